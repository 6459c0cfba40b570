//! fork() never crosses two processes' calls (issue 18, part 1), through
//! both transports: a client used before `fork()` has a keep-alive
//! connection in its pool; forked workers use the same client at once.
//!
//! The server here answers each request with the requestId
//! `<connection number>-<customParm>`, so a worker sees at once whether an
//! answer is its own, and on which connection it came. Checked: no crossed
//! answer, no failed call, each call received once, no worker ever uses
//! the parent's connection (number 0), and the parent's connection still
//! serves the parent afterwards: a worker never cut it (`shutdown()`).
//! Before the fix the workers wrote into the parent's socket and read each
//! other's answers.
//!
//! One test per binary: `fork()` in a multi-threaded test harness is only
//! safe when no other test holds a lock; a worker never prints, never
//! unwinds, and leaves with `_exit`.
//!
//! Over `https://` (ureq with TLS) the answers are all alike, so the test
//! counts TLS handshakes instead: each worker makes its own, and the
//! parent's TLS connection still serves the parent afterwards (no worker
//! sent a `close_notify` or wrote a record on it).
#![cfg(unix)]

#[path = "support/tls.rs"]
mod tls;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ytx::{CallbackCall, Client};

const SID: &str = "8a1f0c3e5b7d9f21a4c6e8b0d2f4a6c8";
const TOKEN: &str = "5c7e9a1b3d5f7092e4b6c8d0f2a4c6e8";
const APP: &str = "ff8080813fc70a7b013fc72312324213";
const WORKERS: usize = 4;
const CALLS: usize = 6;

/// (connection number, customParm) of every request received.
type Log = Arc<Mutex<Vec<(usize, String)>>>;

/// A keep-alive HTTP/1.1 server answering `{"statusCode":"0",
/// "requestId":"<connection>-<customParm>"}`.
fn serve() -> (String, Log) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let log: Log = Arc::default();
    let l = log.clone();
    std::thread::spawn(move || {
        for (n, stream) in listener.incoming().enumerate() {
            let Ok(stream) = stream else { continue };
            let log = l.clone();
            std::thread::spawn(move || {
                let mut out = stream.try_clone().unwrap();
                let mut r = BufReader::new(stream);
                loop {
                    let mut len = 0usize;
                    loop {
                        let mut line = String::new();
                        if r.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        let line = line.trim_end();
                        if line.is_empty() {
                            break;
                        }
                        if let Some((k, v)) = line.split_once(':') {
                            if k.eq_ignore_ascii_case("content-length") {
                                len = v.trim().parse().unwrap();
                            }
                        }
                    }
                    let mut body = vec![0; len];
                    if r.read_exact(&mut body).is_err() {
                        return;
                    }
                    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
                    let parm = json["customParm"].as_str().unwrap_or("").to_string();
                    log.lock().unwrap().push((n, parm.clone()));
                    let answer = format!(
                        r#"{{"statusCode":"0","statusMsg":"ok","requestId":"{n}-{parm}"}}"#
                    );
                    let head = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                        answer.len()
                    );
                    if out
                        .write_all(head.as_bytes())
                        .and_then(|()| out.write_all(answer.as_bytes()))
                        .is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    (url, log)
}

/// The connection number of an answer to `parm`, or why not.
fn call(c: &Client, parm: &str) -> Result<usize, String> {
    let r = c
        .callback_call(&CallbackCall::new("13800138000", "13900139000", 61).custom_parm(parm))
        .map_err(|e| format!("call {parm} failed: {e}"))?;
    let (conn, got) = r
        .request_id
        .split_once('-')
        .ok_or_else(|| format!("requestId {}", r.request_id))?;
    if got != parm {
        return Err(format!("call {parm} got another call's answer ({got})"));
    }
    conn.parse().map_err(|_| r.request_id.clone())
}

/// Exit codes of a worker.
const OK: i32 = 0;
const CROSSED: i32 = 10;
const FAILED: i32 = 11;
const PARENTS_CONNECTION: i32 = 12;
const PANICKED: i32 = 13;

fn worker(c: &Client, w: usize) -> i32 {
    for i in 0..CALLS {
        match call(c, &format!("{}", (w + 1) * 1000 + i)) {
            Ok(0) => return PARENTS_CONNECTION,
            Ok(_) => {}
            Err(e) if e.contains("another call") => return CROSSED,
            Err(_) => return FAILED,
        }
    }
    OK
}

fn fork_workers(generic: bool) {
    let (url, log) = serve();
    let c = Client::builder(SID, TOKEN, APP)
        .base_url(url)
        .timeout(Duration::from_secs(20))
        .generic_transport(generic)
        .build()
        .unwrap();
    // The parent's call: its connection (number 0) goes to the pool.
    assert_eq!(call(&c, "900001"), Ok(0));
    let codes = fork_each(|w| worker(&c, w));
    let transport = if generic { "ureq" } else { "plain" };
    assert_eq!(
        codes,
        vec![OK; WORKERS],
        "{transport}: worker exit codes (10 crossed, 11 failed, 12 used the parent's connection)"
    );
    // The parent's connection still serves the parent: no worker cut it.
    assert_eq!(call(&c, "900002"), Ok(0), "{transport}");
    // Each call received exactly once.
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (_, parm) in log.lock().unwrap().iter() {
        *seen.entry(parm.clone()).or_default() += 1;
    }
    assert_eq!(seen.len(), 2 + WORKERS * CALLS, "{transport}: {seen:?}");
    assert!(seen.values().all(|n| *n == 1), "{transport}: {seen:?}");
}

/// Fork `WORKERS` children that each run `work` and leave with its code.
fn fork_each(work: impl Fn(usize) -> i32) -> Vec<i32> {
    let mut pids = vec![];
    for w in 0..WORKERS {
        // SAFETY: the child only runs `work`, then leaves with _exit.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            let code = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(w)))
                .unwrap_or(PANICKED);
            // SAFETY: ends the child without running the harness's exit.
            unsafe { libc::_exit(code) };
        }
        pids.push(pid);
    }
    pids.into_iter()
        .map(|pid| {
            let mut status = 0;
            // SAFETY: waits for our own child.
            assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
            assert!(libc::WIFEXITED(status), "a worker died: {status}");
            libc::WEXITSTATUS(status)
        })
        .collect()
}

fn fork_workers_over_tls() {
    const OK_JSON: &str = r#"{"statusCode":"0","statusMsg":"ok","requestId":"1"}"#;
    let server = tls::start(
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{OK_JSON}",
            OK_JSON.len()
        )
        .into_bytes(),
    );
    let c = Client::builder(SID, TOKEN, APP)
        .base_url(server.url.clone())
        .ca_file(server.ca_file("fork"))
        .timeout(Duration::from_secs(20))
        .env_proxy(false)
        .build()
        .unwrap();
    let voice = ytx::VoiceCode::new("13800138000", "02160000000", "1");
    c.voice_code(&voice).unwrap();
    assert_eq!(server.handshakes(), 1);
    let codes = fork_each(|_| {
        for _ in 0..CALLS {
            if c.voice_code(&voice).is_err() {
                return FAILED;
            }
        }
        OK
    });
    assert_eq!(
        codes,
        vec![OK; WORKERS],
        "https: worker exit codes (11 failed)"
    );
    assert_eq!(
        server.handshakes(),
        1 + WORKERS,
        "one TLS connection per worker"
    );
    // The parent's TLS connection still serves the parent: no new handshake.
    c.voice_code(&voice).unwrap();
    assert_eq!(
        server.handshakes(),
        1 + WORKERS,
        "the parent had to reconnect"
    );
    assert_eq!(server.requests(), 2 + WORKERS * CALLS);
}

#[test]
fn forked_workers_never_share_a_connection_with_the_parent() {
    fork_workers(false);
    fork_workers(true);
    fork_workers_over_tls();
}
