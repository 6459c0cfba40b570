//! Whole calls answered by arbitrary bytes, over real loopback sockets.
//!
//! The other targets stop at the JSON body; this one covers what reads the
//! network: the built-in HTTP/1.1 transport (`src/transport/plain.rs`:
//! `httparse` for the head and chunk sizes, our framing and pool) and the
//! generic one (ureq 3). A local server reads each request completely and
//! writes the next answer of the input, in pieces.
//!
//! Input: a mode byte, then the answers, separated by `SEPARATOR`.
//! * bit 0: the transport (0: built-in, what `http://` uses; 1: ureq);
//! * bits 1-2: how many calls one client makes (1, 2, 3; 3 means 1), each
//!   answered by the next answer (cycling): several answers on one
//!   connection when the framing allows reuse;
//! * bits 3-5: the size of the pieces the answer is written in (whole, or
//!   1, 2, 3, 7, 64, 512, 4096 bytes, each a write of its own);
//! * bit 6: 0, the server closes the connection after each answer (so a
//!   close-delimited body ends); 1, it keeps it open for the next request
//!   (and closes it after 100 ms without one).
//!
//! Invariants, for every call:
//! * no panic, and each call returns within its timeout (+15 s of slack for
//!   a loaded machine; a call that ignored it would wait for the server's
//!   30 s);
//! * **exactly one request** reaches the server per call: whatever the
//!   answers, the library never sends a call again (counted once every
//!   connection of the input has ended, so a server thread slower than the
//!   client's timeout changes nothing);
//! * `Ok` only with `statusCode` `"0"`, when one of the answers so far has
//!   a 200 status line and a `statusCode` in it;
//! * an error is never `NOT_SENT` (the request was written), never an
//!   argument error; a platform error is `ANSWERED`, every other one
//!   `UNKNOWN` (the platform may have acted: do not retry blindly);
//! * no message shows the auth token.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use ytx::ffi::{ytx_delivery, ytx_result};
use ytx::{Client, VoiceCode};

const SID: &str = "8a1f0c3e5b7d9f21a4c6e8b0d2f4a6c8";
const TOKEN: &str = "5c7e9a1b3d5f7092e4b6c8d0f2a4c6e8";
const APP: &str = "ff8080813fc70a7b013fc72312324213";
const TIMEOUT: Duration = Duration::from_secs(1);
/// Between two answers of one input.
pub const SEPARATOR: &[u8] = b"\n\0NEXT\0\n";
/// Piece sizes, by bits 3-5 of the mode byte (0: the whole answer at once).
const PIECES: [usize; 8] = [0, 1, 2, 3, 7, 64, 512, 4096];

struct Server {
    url: String,
}

/// Requests the server has read, in all.
static REQUESTS: AtomicUsize = AtomicUsize::new(0);

/// The connection threads not joined yet, and the peers accepted so far:
/// every input joins the threads of its connections before it ends, so no
/// thread of one input is still exiting while libFuzzer checks the next
/// one for leaks (a thread's exit frees its thread-local destructor list:
/// caught mid-way, LeakSanitizer reported 32 bytes "leaked" by
/// `__cxa_thread_atexit_impl`, at random).
#[allow(clippy::type_complexity)]
static CONNECTIONS: Mutex<(Vec<std::thread::JoinHandle<()>>, Vec<SocketAddr>)> =
    Mutex::new((Vec::new(), Vec::new()));

/// Wait until every connection made so far has been accepted and its thread
/// has ended. The connections are closed (their client is dropped), so each
/// thread ends as soon as it reads the close.
fn join_connections(server: &Server) {
    // Accepts are in order: once a marker connection made now is accepted,
    // every earlier one is too.
    let addr = server.url.trim_start_matches("http://");
    let marker = TcpStream::connect(addr).expect("harness: connect the marker");
    let me = marker.local_addr().unwrap();
    drop(marker);
    let deadline = Instant::now() + Duration::from_secs(30);
    while !CONNECTIONS.lock().unwrap().1.contains(&me) {
        assert!(
            Instant::now() < deadline,
            "harness: the marker was never accepted"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    let threads = {
        let mut c = CONNECTIONS.lock().unwrap();
        c.1.clear();
        std::mem::take(&mut c.0)
    };
    for t in threads {
        let _ = t.join();
    }
}

fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let listener = TcpListener::bind("127.0.0.1:0").expect("harness: bind");
        let url = format!("http://{}", listener.local_addr().unwrap());
        std::thread::spawn(move || serve(listener));
        Server { url }
    })
}

/// The answers of the current input (taken in order by every connection),
/// the piece size and whether connections stay open.
#[allow(clippy::type_complexity)]
static CURRENT: Mutex<Option<(std::collections::VecDeque<Vec<u8>>, usize, bool)>> =
    Mutex::new(None);

/// Accept connections; a thread per connection reads requests and writes
/// the current input's next answer (nothing if none is left: a resent
/// request gets no answer).
fn serve(listener: TcpListener) {
    loop {
        let Ok((mut conn, peer)) = listener.accept() else {
            continue;
        };
        let thread = std::thread::spawn(move || {
            let _ = conn.set_nodelay(true);
            // The request comes at once; 30 s only bounds a client that
            // ignores its own timeout (see check()).
            let _ = conn.set_read_timeout(Some(Duration::from_secs(30)));
            // What was read and not yet taken as a request: kept across a
            // read timeout, so a request cut by one is still counted whole.
            let mut buf = Vec::new();
            while read_request(&mut conn, &mut buf) {
                REQUESTS.fetch_add(1, Ordering::SeqCst);
                let next = CURRENT
                    .lock()
                    .unwrap()
                    .as_mut()
                    .and_then(|(q, piece, keep)| Some((q.pop_front()?, *piece, *keep)));
                let Some((answer, piece, keep_open)) = next else {
                    break;
                };
                let pieces: Vec<&[u8]> = if piece == 0 {
                    vec![&answer[..]]
                } else {
                    answer.chunks(piece).collect()
                };
                if pieces.iter().any(|p| conn.write_all(p).is_err()) {
                    break;
                }
                if !keep_open {
                    break;
                }
                // Kept open: the client's next call follows at once, or
                // never (a close-delimited body, a connection not reused):
                // close after a short quiet spell rather than make every
                // such input wait for the client's timeout.
                let _ = conn.set_read_timeout(Some(Duration::from_millis(100)));
            }
            let _ = conn.shutdown(Shutdown::Write);
            // Read until the client closes, so the close is quiet (no
            // reset), and count what arrives: a client that took the
            // connection for its next call just before the close (it can,
            // when it is slower than the 100 ms above) has sent a request
            // that reached the server, answered by the close. The client
            // closes once it is dropped, so the bound is only for one that
            // never does.
            let _ = conn.set_read_timeout(Some(Duration::from_secs(30)));
            while read_request(&mut conn, &mut buf) {
                REQUESTS.fetch_add(1, Ordering::SeqCst);
            }
        });
        let mut c = CONNECTIONS.lock().unwrap();
        c.0.push(thread);
        c.1.push(peer);
    }
}
/// Read one whole request (head, then Content-Length bytes of body), taking
/// it out of `buf`; false on a close, an error or a read timeout (what was
/// read stays in `buf`).
fn read_request(conn: &mut TcpStream, buf: &mut Vec<u8>) -> bool {
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
                buf.drain(..end + 4 + len);
                return true;
            }
        }
        match conn.read(&mut chunk) {
            Ok(0) | Err(_) => return false,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn split<'a>(mut rest: &'a [u8]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    while let Some(i) = rest.windows(SEPARATOR.len()).position(|w| w == SEPARATOR) {
        out.push(&rest[..i]);
        rest = &rest[i + SEPARATOR.len()..];
    }
    out.push(rest);
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let generic = mode & 1 == 1;
    let calls = match (mode >> 1) & 3 {
        1 => 2,
        2 => 3,
        _ => 1,
    };
    let piece = PIECES[usize::from((mode >> 3) & 7)];
    let keep_open = mode & 0x40 != 0;
    let answers = split(rest);
    let server = server();
    // A fresh client per input: no pooled connection carries over.
    let client = Client::builder(SID, TOKEN, APP)
        .base_url(server.url.as_str())
        .timeout(TIMEOUT)
        .generic_transport(generic)
        .build()
        .expect("harness: client");
    let transport = if generic { "ureq" } else { "built-in" };
    let script: Vec<Vec<u8>> = (0..calls)
        .map(|i| answers[i % answers.len()].to_vec())
        .collect();
    *CURRENT.lock().unwrap() = Some((script.clone().into(), piece, keep_open));

    let before = REQUESTS.load(Ordering::SeqCst);
    let mut results = Vec::new();
    for i in 0..calls {
        let started = Instant::now();
        let got = client.voice_code(&VoiceCode::new("13800138000", "02160000000", "4096"));
        let took = started.elapsed();
        check(transport, i, &script[..=i], &got, took);
        results.push(got);
    }
    drop(client);
    *CURRENT.lock().unwrap() = None;
    join_connections(server);
    // Every connection has ended: every request written has been read.
    let sent = REQUESTS.load(Ordering::SeqCst) - before;
    assert_eq!(
        sent, calls,
        "{transport}: {sent} requests for {calls} calls: {results:?}"
    );
});

fn check(
    transport: &str,
    call: usize,
    answers: &[Vec<u8>],
    got: &ytx::Result<ytx::Response>,
    took: Duration,
) {
    if let Err(e) = got {
        if ytx::ffi::ytx_result::from(e.code()) == ytx_result::YTX_ERR_NOT_SENT {
            panic!("{transport}, call {call}: not sent to the local server: {e}");
        }
    }
    // Generous for a loaded machine (the test command's run must not
    // depend on the machine's speed), far below the server's 30 s read
    // timeout that a call ignoring its own timeout would wait for.
    assert!(
        took < TIMEOUT + Duration::from_secs(15),
        "{transport}, call {call}: took {took:?} with a {TIMEOUT:?} timeout: {got:?}"
    );
    match got {
        Ok(r) => {
            assert_eq!(r.status_code, "0", "{transport}");
            assert!(
                // Empty lines before the status line are skipped, as RFC
                // 9112 (2.2) allows a recipient to.
                answers.iter().any(|a| a
                    .iter()
                    .position(|b| *b != b'\r' && *b != b'\n')
                    .is_some_and(|start| a[start..].starts_with(b"HTTP/"))
                    && contains(a, b" 200")
                    && contains(a, b"statusCode")),
                "{transport}, call {call}: accepted without a 200 answer: {:?}",
                answers
                    .iter()
                    .map(|a| String::from_utf8_lossy(a))
                    .collect::<Vec<_>>()
            );
        }
        Err(e) => {
            let code = ytx::ffi::ytx_result::from(e.code());
            let shown = format!("{e} {e:?}");
            assert!(!shown.contains(TOKEN), "{transport}: token in {shown}");
            match code {
                ytx_result::YTX_ERR_PLATFORM => {
                    assert_eq!(
                        ytx::ffi::ytx_delivery::from(e.delivery()),
                        ytx_delivery::YTX_DELIVERY_ANSWERED,
                        "{shown}"
                    )
                }
                ytx_result::YTX_ERR_OUTCOME_UNKNOWN
                | ytx_result::YTX_ERR_TIMEOUT
                | ytx_result::YTX_ERR_HTTP_STATUS
                | ytx_result::YTX_ERR_PROTOCOL => {
                    assert_eq!(
                        ytx::ffi::ytx_delivery::from(e.delivery()),
                        ytx_delivery::YTX_DELIVERY_UNKNOWN,
                        "{shown}"
                    )
                }
                other => {
                    panic!("{transport}, call {call}: {other:?} for an answer after a sent request: {shown}")
                }
            }
        }
    }
}
