//! A whole call answered by arbitrary bytes, over a real loopback socket.
//!
//! The other targets stop at the JSON body; this one covers what reads the
//! network: the built-in HTTP/1.1 sender (`src/http.rs`: status line,
//! headers, Content-Length, chunked, interim answers, close-delimited
//! bodies) and, for comparison, the ureq path. A local server reads each
//! request completely, writes the input's bytes as the answer and closes.
//!
//! Input: the first byte's low bit picks the transport (0: the built-in
//! sender, the one `http://` uses; 1: ureq); the rest is the answer.
//!
//! Invariants, for every answer:
//! * no panic (but for one known ureq panic that the client catches, see
//!   `allow_the_known_ureq_panic`), and the call returns within its timeout
//!   (+1 s slack);
//! * **exactly one request** reaches the server: whatever the answer, the
//!   library never sends the call again (a second connection is counted);
//! * `Ok` only with `statusCode` `"0"`, from an answer that has a 200 status
//!   line and a `statusCode` in it;
//! * an error is never `NOT_SENT` (the request was written), never an
//!   argument error; a platform error is `ANSWERED`, every other one
//!   `UNKNOWN` (the platform may have acted: do not retry blindly);
//! * no message shows the auth token.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use ytx::{ytx_delivery, ytx_result, Client, VoiceCode};

const SID: &str = "8a1f0c3e5b7d9f21a4c6e8b0d2f4a6c8";
const TOKEN: &str = "5c7e9a1b3d5f7092e4b6c8d0f2a4c6e8";
const APP: &str = "ff8080813fc70a7b013fc72312324213";
const TIMEOUT: Duration = Duration::from_secs(2);

struct Server {
    url: String,
    answers: Mutex<Sender<Vec<u8>>>,
}

/// Requests the server has read, in all.
static REQUESTS: AtomicUsize = AtomicUsize::new(0);

fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let listener = TcpListener::bind("127.0.0.1:0").expect("harness: bind");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = channel::<Vec<u8>>();
        std::thread::spawn(move || serve(listener, rx));
        Server {
            url,
            answers: Mutex::new(tx),
        }
    })
}

/// One connection at a time: read the request, answer with the queued bytes
/// (nothing if none is queued: a resent request gets no answer), close.
fn serve(listener: TcpListener, answers: Receiver<Vec<u8>>) {
    for conn in listener.incoming() {
        let Ok(mut conn) = conn else { continue };
        let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
        if !read_request(&mut conn) {
            continue;
        }
        REQUESTS.fetch_add(1, Ordering::SeqCst);
        if let Ok(answer) = answers.try_recv() {
            let _ = conn.write_all(&answer);
        }
        let _ = conn.shutdown(Shutdown::Write);
        // Drain until the client closes, so the close is quiet (no reset).
        let mut sink = [0u8; 1024];
        let _ = conn.set_read_timeout(Some(Duration::from_millis(200)));
        while matches!(conn.read(&mut sink), Ok(n) if n > 0) {}
    }
}

/// Read one whole request (head, then Content-Length bytes of body).
fn read_request(conn: &mut TcpStream) -> bool {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                return true;
            }
        }
        match conn.read(&mut chunk) {
            Ok(0) | Err(_) => return false,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

/// libfuzzer-sys aborts on every panic, even one the library catches. The
/// client contains one known panic of ureq 2.12.1 (a header line without a
/// colon: `header.rs`, see `tests/client.rs`) with `catch_unwind`; let that
/// one unwind to it, and abort on any other as before.
fn allow_the_known_ureq_panic() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        std::panic::set_hook(Box::new(|info| {
            let known = info
                .location()
                .is_some_and(|l| l.file().ends_with("ureq-2.12.1/src/header.rs"));
            if !known {
                eprintln!("{info}");
                std::process::abort();
            }
        }));
    });
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, answer)) = data.split_first() else {
        return;
    };
    let generic = mode & 1 == 1;
    allow_the_known_ureq_panic();
    let server = server();
    // A fresh client per input: no pooled connection carries over.
    let client = Client::builder(SID, TOKEN, APP)
        .base_url(server.url.as_str())
        .timeout(TIMEOUT)
        .generic_transport(generic)
        .build()
        .expect("harness: client");

    let before = REQUESTS.load(Ordering::SeqCst);
    server
        .answers
        .lock()
        .unwrap()
        .send(answer.to_vec())
        .expect("harness: server gone");
    let started = Instant::now();
    let got = client.voice_code(&VoiceCode::new("13800138000", "02160000000", "4096"));
    let took = started.elapsed();
    drop(client);
    let sent = REQUESTS.load(Ordering::SeqCst) - before;
    let transport = if generic { "ureq" } else { "built-in" };

    if let Err(e) = &got {
        if e.code() == ytx_result::YTX_ERR_NOT_SENT && sent == 0 {
            panic!("harness: could not reach the local server ({transport}): {e}");
        }
    }
    assert_eq!(
        sent, 1,
        "{transport}: {sent} requests for one call: {got:?}"
    );
    assert!(
        took < TIMEOUT + Duration::from_secs(1),
        "{transport}: the call took {took:?} with a {TIMEOUT:?} timeout: {got:?}"
    );
    match got {
        Ok(r) => {
            assert_eq!(r.status_code, "0", "{transport}");
            assert!(
                answer.starts_with(b"HTTP/") && contains(answer, b" 200"),
                "{transport}: accepted without a 200 status line: {:?}",
                String::from_utf8_lossy(answer)
            );
            assert!(contains(answer, b"statusCode"), "{transport}");
        }
        Err(e) => {
            let code = e.code();
            let shown = format!("{e} {e:?}");
            assert!(!shown.contains(TOKEN), "{transport}: token in {shown}");
            match code {
                ytx_result::YTX_ERR_PLATFORM => {
                    assert_eq!(e.delivery(), ytx_delivery::YTX_DELIVERY_ANSWERED, "{shown}")
                }
                ytx_result::YTX_ERR_OUTCOME_UNKNOWN
                | ytx_result::YTX_ERR_TIMEOUT
                | ytx_result::YTX_ERR_HTTP_STATUS
                | ytx_result::YTX_ERR_PROTOCOL => {
                    assert_eq!(e.delivery(), ytx_delivery::YTX_DELIVERY_UNKNOWN, "{shown}")
                }
                other => {
                    panic!("{transport}: {other:?} for an answer after a sent request: {shown}")
                }
            }
        }
    }
});
