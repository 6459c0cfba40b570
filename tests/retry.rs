//! Retry advice that is true (issue 18, part 3): `is_retry_safe` says yes
//! exactly for a failure before the request was written and for the
//! platform's `-104`, and the opt-in automatic retry resends exactly those,
//! bounded in count and time, with a log line per retry, and never an
//! *outcome unknown*. In its own test binary: one test sets the
//! process-wide logger.

#[path = "support/http.rs"]
mod http;

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ytx::{CallbackCall, Client, ClientBuilder, Delivery, Error, ErrorCode, VoiceCode};
use ytx_emulator::{
    platform_code_dst, Config, Emulator, DEMO_ACCOUNT_SID, DEMO_APP_ID, DEMO_AUTH_TOKEN,
    FAULT_DROP_CONNECTION, FAULT_HTTP_502,
};

fn emulator() -> Emulator {
    Emulator::start(Config::default(), "127.0.0.1:0").expect("emulator starts")
}

fn builder(url: &str) -> ClientBuilder {
    Client::builder(DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, DEMO_APP_ID)
        .base_url(url)
        .timeout(Duration::from_secs(10))
        // Short pauses: -104 still waits its documented second.
        .retry_backoff(Duration::from_millis(1))
}

fn call(dst: &str) -> CallbackCall {
    CallbackCall::new("13800138000", dst, 600).custom_parm("order-retry")
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn the_advice_follows_the_delivery_and_the_platforms_answer() {
    let emu = emulator();
    let c = builder(&emu.base_url()).build().unwrap();
    // -104: answered, but a refusal: nothing was placed; after a pause.
    let e = c.callback_call(&call(&platform_code_dst(104))).unwrap_err();
    assert_eq!(e.delivery(), Delivery::Answered);
    assert!(e.is_retry_safe(), "{e}");
    assert_eq!(e.retry_after(), Some(ytx::RATE_LIMITED_RETRY_AFTER));
    // Every other refusal is final.
    for code in [100, 203, 204, 205] {
        let e = c
            .callback_call(&call(&platform_code_dst(code)))
            .unwrap_err();
        assert!(!e.is_retry_safe(), "-{code}: {e}");
    }
    // Unknown outcomes: never.
    for dst in [FAULT_DROP_CONNECTION, FAULT_HTTP_502] {
        let e = c.callback_call(&call(dst)).unwrap_err();
        assert_eq!(e.delivery(), Delivery::Unknown, "{e}");
        assert!(!e.is_retry_safe(), "{e}");
        assert_eq!(e.retry_after(), None);
    }
    // An argument error sent nothing, but fails the same way again.
    let e = c.callback_call(&call("1")).unwrap_err();
    assert_eq!(e.delivery(), Delivery::NotSent);
    assert!(!e.is_retry_safe(), "{e}");
    // A push that does not parse is nothing to send again.
    let e = ytx::parse_push(b"not json").unwrap_err();
    assert!(!e.is_retry_safe(), "{e}");
    // Not written: yes, at once.
    let c = builder(&format!("http://127.0.0.1:{}", closed_port()))
        .build()
        .unwrap();
    let e = c
        .voice_code(&VoiceCode::new("13800138000", "", "1234"))
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotSent);
    assert_eq!(e.retry_after(), Some(Duration::ZERO), "{e}");
}

#[test]
fn off_by_default_every_request_is_sent_once() {
    let emu = emulator();
    let c = builder(&emu.base_url()).build().unwrap();
    let e = c.callback_call(&call(&platform_code_dst(104))).unwrap_err();
    assert!(e.is_retry_safe());
    assert_eq!(emu.request_count(), 1);
}

#[test]
fn an_unknown_outcome_is_never_resent_whatever_the_retry_count() {
    let emu = emulator();
    let c = builder(&emu.base_url()).max_retries(5).build().unwrap();
    for (dst, code) in [
        (FAULT_DROP_CONNECTION, ErrorCode::OutcomeUnknown),
        (FAULT_HTTP_502, ErrorCode::HttpStatus),
    ] {
        emu.reset();
        let e = c.callback_call(&call(dst)).unwrap_err();
        assert_eq!(e.code(), code, "{e}");
        assert_eq!(emu.request_count(), 1, "{dst} was resent");
    }
    // Other platform refusals are final too.
    emu.reset();
    let e = c.callback_call(&call(&platform_code_dst(203))).unwrap_err();
    assert_eq!(e.status_code(), Some("-203"));
    assert_eq!(emu.request_count(), 1);
    // And an argument error is never sent at all.
    emu.reset();
    c.callback_call(&call("1")).unwrap_err();
    assert_eq!(emu.request_count(), 0);
}

/// A server that answers its first `refusals` requests with `-104`, then
/// accepts; it counts the requests it read.
fn busy_then_accepting(refusals: usize) -> (String, Arc<AtomicUsize>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut s) = conn else { return };
            let seen = seen.clone();
            std::thread::spawn(move || loop {
                // One request per loop: head, then Content-Length bytes.
                if http::read_request(&mut s).is_err() {
                    return;
                }
                let n = seen.fetch_add(1, Ordering::SeqCst);
                let body = if n < refusals {
                    r#"{"statusCode":"-104","statusMsg":"请求频率过高","requestId":""}"#
                } else {
                    r#"{"statusCode":"0","statusMsg":"提交成功","requestId":"20261206000000000000000000001"}"#
                };
                let answer = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                );
                if s.write_all(answer.as_bytes()).is_err() {
                    return;
                }
            });
        }
    });
    (url, count)
}

#[test]
fn a_refused_call_is_sent_again_after_the_pause_exactly_as_often_as_needed() {
    let (url, count) = busy_then_accepting(1);
    let c = builder(&url).max_retries(3).build().unwrap();
    let started = std::time::Instant::now();
    let ok = c.callback_call(&call("13900139000")).unwrap();
    assert_eq!(ok.request_id, "20261206000000000000000000001");
    // Refused once, accepted once: two requests, not one more.
    assert_eq!(count.load(Ordering::SeqCst), 2);
    // The documented pause was kept (a lower bound only: not a speed test).
    assert!(started.elapsed() >= ytx::RATE_LIMITED_RETRY_AFTER);
}

#[test]
fn retries_stop_at_the_count_and_at_the_budget() {
    // Always refused: 1 + max_retries requests.
    let emu = emulator();
    let c = builder(&emu.base_url()).max_retries(1).build().unwrap();
    let e = c.callback_call(&call(&platform_code_dst(104))).unwrap_err();
    assert_eq!(e.status_code(), Some("-104"));
    assert_eq!(emu.request_count(), 2);
    // The budget counts the time spent so far plus the next pause. With a
    // backoff b and a budget of 3b the first retry (pause b) is made
    // whenever the first attempt took less than 2b, and the second (pause
    // 2b, after at least b) never fits: so exactly 2 requests, however slow
    // a loaded machine makes an attempt (up to 4 s here; the test waits
    // one 2 s pause). 3 retries allowed.
    emu.reset();
    let c = builder(&emu.base_url())
        .max_retries(3)
        .retry_backoff(Duration::from_secs(2))
        .retry_budget(Duration::from_secs(6))
        .build()
        .unwrap();
    c.callback_call(&call(&platform_code_dst(104))).unwrap_err();
    assert_eq!(emu.request_count(), 2);
}

#[test]
fn a_request_never_written_is_retried_with_a_log_line_each_time() {
    let port = closed_port();
    let lines: Arc<Mutex<Vec<(ytx::LogLevel, String)>>> = Arc::default();
    let sink = lines.clone();
    ytx::set_logger(
        ytx::LogLevel::Warn,
        Some(Arc::new(move |l, m: &str| {
            sink.lock().unwrap().push((l, m.to_string()))
        })),
    )
    .unwrap();
    for generic in [false, true] {
        lines.lock().unwrap().clear();
        let c = builder(&format!("http://127.0.0.1:{port}"))
            .generic_transport(generic)
            .max_retries(3)
            .build()
            .unwrap();
        let e = c.callback_call(&call("13900139000")).unwrap_err();
        // Still the last attempt's error: not sent.
        assert_eq!(e.code(), ErrorCode::NotSent, "{e}");
        let got = lines.lock().unwrap().clone();
        let mine = |start: &str| {
            got.iter()
                .filter(|(_, m)| m.contains(&format!(":{port}/")) && m.starts_with(start))
                .count()
        };
        // Four attempts, each logged as failed; three retries, each announced.
        assert_eq!(mine("POST "), 4, "{got:#?}");
        assert_eq!(mine("retry "), 3, "{got:#?}");
        assert!(got
            .iter()
            .filter(|(_, m)| m.starts_with("retry "))
            .all(|(l, m)| *l == ytx::LogLevel::Warn && m.contains("Sign=<redacted>")));
    }
    ytx::set_logger(ytx::LogLevel::Off, None).unwrap();
}

#[test]
fn retry_options_by_name_are_checked() {
    let mut b = Client::builder(DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, DEMO_APP_ID);
    b.set_options([
        ("max_retries", "2"),
        ("retry_budget_ms", "5000"),
        ("retry_backoff_ms", "100"),
    ])
    .unwrap();
    b.build().unwrap();
    for (name, value) in [
        ("max_retries", "11"),
        ("max_retries", "-1"),
        ("max_retries", "+1"),
        ("retry_budget_ms", "0"),
        ("retry_budget_ms", "300001"),
        ("retry_backoff_ms", "x"),
    ] {
        let mut b = Client::builder(DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, DEMO_APP_ID);
        let e: Error = b
            .set(name, value)
            .err()
            .unwrap_or_else(|| b.build().unwrap_err());
        assert_eq!(e.field(), Some(name), "{name}={value}: {e}");
    }
    let e = Client::builder(DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, DEMO_APP_ID)
        .retry_backoff(Duration::from_secs(20))
        .build()
        .unwrap_err();
    assert_eq!(e.field(), Some("retry_backoff"));
    assert!(ytx::config::CLIENT_OPTION_NAMES.contains(&"max_retries"));
}
