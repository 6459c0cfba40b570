//! The Rust API end to end against the in-process emulator: both operations,
//! platform errors, every transport fault, and the never-resend rule.

#[path = "support/http.rs"]
mod http;

use std::time::{Duration, Instant};

use ytx::{CallbackCall, Client, Delivery, Endpoint, Error, VoiceCode};
use ytx_emulator::{
    platform_code_dst, Config, Emulator, DEMO_ACCOUNT_SID, DEMO_APP_ID, DEMO_AUTH_TOKEN,
    DEMO_CALLBACK_ONLY_APP_ID,
};

fn emulator() -> Emulator {
    let config = Config {
        // The slow answer must be far slower than any timeout bound below.
        slow_secs: 60,
        ..Config::default()
    };
    Emulator::start(config, "127.0.0.1:0").expect("emulator starts")
}

fn client(emu: &Emulator) -> Client {
    Client::builder(DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, DEMO_APP_ID)
        .base_url(emu.base_url())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// Both HTTP paths: the built-in sender (plain http://, the platform's own
/// hosts) and the generic one (ureq: https:// and proxies), so that every
/// transport rule is checked on each.
const TRANSPORTS: [(&str, bool); 2] = [("built-in", false), ("generic", true)];

fn builder(url: &str, generic: bool) -> ytx::ClientBuilder {
    Client::builder(DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, DEMO_APP_ID)
        .base_url(url)
        .generic_transport(generic)
}

fn voice(dst: &str) -> VoiceCode {
    VoiceCode::new(dst, "02160000000", "1234")
}

#[test]
fn both_operations_are_accepted_and_signed_as_the_protocol_says() {
    let emu = emulator();
    let c = client(&emu);
    let call = CallbackCall::new("13800138000", "01085485069", 600)
        .custom_parm("订单-1")
        .src_clid("02160000000");
    let ok = c.callback_call(&call).unwrap();
    assert_eq!(ok.status_code, "0");
    assert_eq!(ok.request_id.len(), 29, "{ok:?}");
    assert!(ok.request_id.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(ok.status_msg, "提交成功");

    let ok2 = c.voice_code(&voice("13800138000").times(3)).unwrap();
    assert_ne!(ok.request_id, ok2.request_id);

    let got = emu.requests();
    assert_eq!(got.len(), 2);
    let r = &got[0];
    assert_eq!(r.method, "POST");
    assert_eq!(
        r.path,
        format!("/201512/sid/{DEMO_ACCOUNT_SID}/call/DailbackCall.wx")
    );
    assert!(r.query.starts_with("Sign="));
    assert_eq!(
        r.header("Content-Type"),
        Some("application/json;charset=utf-8")
    );
    assert_eq!(r.header("Accept"), Some("application/json"));
    let body: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(body["customParm"], "订单-1");
    assert_eq!(body["credit"], "600");
    assert_eq!(
        got[1].path,
        format!("/201512/sid/{DEMO_ACCOUNT_SID}/call/CodeCallOut.wx")
    );
    assert!(got[1].body.contains(r#""time":"3""#));
}

#[test]
fn dry_run_signs_but_sends_nothing() {
    let emu = emulator();
    let c = client(&emu);
    let req = c
        .prepare_callback_call(&CallbackCall::new("13800138000", "13900139000", 61))
        .unwrap();
    assert!(req.url.contains("?Sign="));
    assert_eq!(emu.request_count(), 0);
    // ...and the prepared request is exactly what send() delivers.
    let ok = c.send(&req).unwrap();
    assert_eq!(ok.status_code, "0");
    assert_eq!(emu.requests()[0].body, req.body);
}

#[test]
fn voice_code_endpoint_override_reaches_the_alternative_route() {
    let emu = emulator();
    let c = Client::builder(DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, DEMO_APP_ID)
        .base_url(emu.base_url())
        .voice_code_endpoint(Endpoint {
            func_url: "CodeCallOut.wx".into(),
            action: "callOutCode".into(),
        })
        .build()
        .unwrap();
    c.voice_code(&voice("13800138000")).unwrap();
    assert!(emu.requests()[0].path.ends_with("/call/CodeCallOut.wx"));
}

#[test]
fn platform_errors_keep_code_message_and_explanation() {
    let emu = emulator();
    let wrong_token = Client::builder(
        DEMO_ACCOUNT_SID,
        "0000000000000000000000000000dead",
        DEMO_APP_ID,
    )
    .base_url(emu.base_url())
    .build()
    .unwrap();
    let e = wrong_token.voice_code(&voice("13800138000")).unwrap_err();
    assert_eq!(e.status_code(), Some("-203"), "{e}");
    assert_eq!(e.delivery(), Delivery::Answered);
    assert!(e.to_string().contains("auth token"), "{e}");

    let unknown_account = Client::builder(
        "ffffffffffffffffffffffffffffffff",
        DEMO_AUTH_TOKEN,
        DEMO_APP_ID,
    )
    .base_url(emu.base_url())
    .build()
    .unwrap();
    let e = unknown_account
        .voice_code(&voice("13800138000"))
        .unwrap_err();
    assert_eq!(e.status_code(), Some("-200"), "{e}");

    let callback_only =
        Client::builder(DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, DEMO_CALLBACK_ONLY_APP_ID)
            .base_url(emu.base_url())
            .build()
            .unwrap();
    let e = callback_only.voice_code(&voice("13800138000")).unwrap_err();
    assert_eq!(e.status_code(), Some("-205"), "{e}");
    assert!(e.to_string().contains("environment"), "{e}");

    let c = client(&emu);
    for code in [1u16, 100, 204] {
        let e = c.voice_code(&voice(&platform_code_dst(code))).unwrap_err();
        match &e {
            Error::Platform {
                status_code,
                status_msg,
                ..
            } => {
                assert_eq!(status_code, &format!("-{code}"));
                assert!(!status_msg.is_empty());
            }
            other => panic!("expected a platform error, got {other}"),
        }
    }
}

/// Send one voice code to a fault number; return the error and check that
/// the emulator saw the request exactly once (no retry).
fn fault(emu: &Emulator, c: &Client, dst: &str) -> Error {
    emu.reset();
    let e = c.voice_code(&voice(dst)).unwrap_err();
    // The emulator logs a request once it has read it all, which for a
    // timeout fault may be after the client gave up: wait for it.
    let deadline = Instant::now() + Duration::from_secs(30);
    while emu.request_count() == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(emu.request_count(), 1, "fault {dst}: request count ({e})");
    e
}

#[test]
fn faults_map_to_documented_errors_and_are_never_resent() {
    let emu = emulator();
    for (name, generic) in TRANSPORTS {
        eprintln!("transport: {name}");
        let c = builder(&emu.base_url(), generic).build().unwrap();
        faults_on(&emu, &c);
        // Still works after every fault (broken connections are not reused).
        c.voice_code(&voice("13800138000")).unwrap();
    }
}

fn faults_on(emu: &Emulator, c: &Client) {
    use ytx::ffi::ytx_result as R;
    use ytx_emulator::*;

    let e = fault(emu, c, FAULT_DROP_CONNECTION);
    assert_eq!(
        ytx::ffi::ytx_result::from(e.code()),
        R::YTX_ERR_OUTCOME_UNKNOWN,
        "{e}"
    );
    assert_eq!(e.delivery(), Delivery::Unknown);

    let e = fault(emu, c, FAULT_RESET_MID_BODY);
    assert!(
        matches!(
            ytx::ffi::ytx_result::from(e.code()),
            R::YTX_ERR_OUTCOME_UNKNOWN | R::YTX_ERR_PROTOCOL
        ),
        "{e}"
    );
    assert_eq!(e.delivery(), Delivery::Unknown);

    for (dst, status) in [(FAULT_HTTP_500, 500u16), (FAULT_HTTP_502, 502)] {
        let e = fault(emu, c, dst);
        assert!(
            matches!(&e, Error::HttpStatus { status: s, .. } if *s == status),
            "fault {dst}: {e}"
        );
        assert_eq!(e.delivery(), Delivery::Unknown);
    }

    for dst in [
        FAULT_NOT_JSON,
        FAULT_TRUNCATED_JSON,
        FAULT_NO_STATUS_CODE,
        FAULT_NUMERIC_STATUS_CODE,
        FAULT_NOT_UTF8,
        FAULT_HUGE_BODY,
    ] {
        let e = fault(emu, c, dst);
        assert_eq!(
            ytx::ffi::ytx_result::from(e.code()),
            R::YTX_ERR_PROTOCOL,
            "fault {dst}: {e}"
        );
    }
}

#[test]
fn slow_answers_and_bodies_time_out_within_the_bound_and_are_not_resent() {
    use ytx_emulator::{FAULT_SLOW_ANSWER, FAULT_SLOW_BODY};
    let emu = emulator();
    for (name, generic) in TRANSPORTS {
        // Seconds: time to connect and send on a loaded machine; far
        // below the slow answer (60 s) and the slow body (about 16 s).
        let c = builder(&emu.base_url(), generic)
            .timeout(Duration::from_millis(3000))
            .connect_timeout(Duration::from_millis(3000))
            .build()
            .unwrap();
        for dst in [FAULT_SLOW_ANSWER, FAULT_SLOW_BODY] {
            let start = Instant::now();
            let e = fault(&emu, &c, dst);
            let took = start.elapsed();
            assert_eq!(
                ytx::ffi::ytx_result::from(e.code()),
                ytx::ffi::ytx_result::YTX_ERR_TIMEOUT,
                "{name} {dst}: {e}"
            );
            assert_eq!(e.delivery(), Delivery::Unknown, "{name} {dst}");
            // The timeout fired (3 s), not the 60 s answer: a wide deadline.
            assert!(
                took < Duration::from_secs(20),
                "{name} {dst}: took {took:?}"
            );
        }
    }
}

#[test]
fn a_server_that_accepts_but_never_answers_times_out() {
    // A listener whose backlog accepts the connection; nobody ever reads.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    for (name, generic) in TRANSPORTS {
        let c = builder(&url, generic)
            .timeout(Duration::from_millis(700))
            .connect_timeout(Duration::from_millis(500))
            .build()
            .unwrap();
        let start = Instant::now();
        let e = c.voice_code(&voice("13800138000")).unwrap_err();
        assert_eq!(
            ytx::ffi::ytx_result::from(e.code()),
            ytx::ffi::ytx_result::YTX_ERR_TIMEOUT,
            "{name}: {e}"
        );
        assert_eq!(e.delivery(), Delivery::Unknown, "{name}: {e}");
        let took = start.elapsed();
        // The 700 ms timeout fired, not a hang: a wide deadline.
        assert!(took < Duration::from_secs(20), "{name}: took {took:?}");
    }
    drop(listener);
}

#[test]
fn connection_refused_is_not_sent_and_safe_to_retry() {
    // Bind then drop a listener: the port is free and nothing listens.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    for (name, generic) in TRANSPORTS {
        let c = builder(&format!("http://127.0.0.1:{port}"), generic)
            .build()
            .unwrap();
        let e = c.voice_code(&voice("13800138000")).unwrap_err();
        assert_eq!(
            ytx::ffi::ytx_result::from(e.code()),
            ytx::ffi::ytx_result::YTX_ERR_NOT_SENT,
            "{name}: {e}"
        );
        assert_eq!(e.delivery(), Delivery::NotSent);
        assert!(e.to_string().contains("safe to retry"));
    }
}

#[test]
fn dns_failure_is_not_sent() {
    for (name, generic) in TRANSPORTS {
        let c = builder("http://no-such-host.invalid", generic)
            .build()
            .unwrap();
        let e = c.voice_code(&voice("13800138000")).unwrap_err();
        assert_eq!(e.delivery(), Delivery::NotSent, "{name}: {e}");
    }
}

/// A server for `connections` connections, one after the other: it reads
/// each whole request, writes `answer`, and closes the connection without
/// saying so (no `Connection: close`). Joining it gives the number of
/// requests it read. After each close it sends the connection's client-side
/// address on the channel returned.
fn answer_each_connection(
    answer: String,
    connections: usize,
) -> (
    String,
    std::thread::JoinHandle<usize>,
    std::sync::mpsc::Receiver<std::net::SocketAddr>,
) {
    use std::io::Write;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (closed, closes) = std::sync::mpsc::channel();
    let server = std::thread::spawn(move || {
        for _ in 0..connections {
            let (mut s, peer) = listener.accept().unwrap();
            // Read the whole request (ureq writes head and body apart):
            // closing with unread bytes would send a reset, not a quiet close.
            let req = http::read_request(&mut s)
                .unwrap_or_else(|_| panic!("the client closed mid-request"));
            let text = String::from_utf8_lossy(&req);
            let head = text.split_once("\r\n\r\n").unwrap().0;
            http::content_length(head).expect("a Content-Length");
            s.write_all(answer.as_bytes()).unwrap();
            drop(s);
            let _ = closed.send(peer);
        }
        connections
    });
    (url, server, closes)
}

/// Waits until the server's close of the connection whose client side is
/// `client` has reached the client's socket: the kernel shows that socket
/// in CLOSE_WAIT (the FIN arrived; a peek there sees the end of stream), or
/// no longer at all (the client closed it). Linux: /proc/net/tcp.
fn wait_until_the_close_arrived(client: std::net::SocketAddr) {
    let deadline = Instant::now() + Duration::from_secs(30);
    let std::net::IpAddr::V4(ip) = client.ip() else {
        panic!("{client}: an IPv4 address")
    };
    // /proc/net/tcp shows the address as its 4 bytes read as a host-order
    // u32 in hex, the port in hex: 127.0.0.1:5000 is 0100007F:1388 on x86.
    let local = format!(
        "{:08X}:{:04X}",
        u32::from_ne_bytes(ip.octets()),
        client.port()
    );
    loop {
        let table = std::fs::read_to_string("/proc/net/tcp").expect("/proc/net/tcp (Linux)");
        // "sl local rem st ...": the client's entry has its port locally.
        let state = table.lines().skip(1).find_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() > 3 && f[1] == local).then(|| f[3].to_string())
        });
        match state.as_deref() {
            None | Some("08") => return, // gone, or CLOSE_WAIT
            Some(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            Some(s) => panic!("the close of {client} did not arrive in 30 s (state {s})"),
        }
    }
}

#[test]
fn a_stale_pooled_connection_is_replaced_not_reported() {
    // The server closes each connection after one answer, without saying
    // so: the next call must notice the dead pooled connection and use a
    // fresh one, not fail. Each call starts once the previous close has
    // reached the client (if it had not, the request would go out on the
    // closing connection: an outcome unknown, correctly; fuzz finding 8).
    let body = r#"{"statusCode":"0","statusMsg":"ok","requestId":"1"}"#;
    let answer = format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let (url, server, closes) = answer_each_connection(answer, 4);
    for (name, generic) in TRANSPORTS {
        let c = builder(&url, generic).build().unwrap();
        for _ in 0..2 {
            c.voice_code(&voice("13800138000"))
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            let client = closes
                .recv_timeout(Duration::from_secs(30))
                .expect("the server closed the connection");
            wait_until_the_close_arrived(client);
        }
    }
    assert_eq!(server.join().unwrap(), 4);
}

#[test]
fn a_header_line_without_a_colon_is_a_protocol_error_not_a_panic() {
    // ureq 2.12.1 panics on this answer (found by the http_answer fuzz
    // target); the client must turn it into an error like any bad answer.
    let body = r#"{"statusCode":"0","statusMsg":"ok","requestId":"1"}"#;
    let answer = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let (url, server, _) = answer_each_connection(answer, 2);
    for (name, generic) in TRANSPORTS {
        let c = builder(&url, generic).build().unwrap();
        let e = c.voice_code(&voice("13800138000")).unwrap_err();
        assert_eq!(
            ytx::ffi::ytx_result::from(e.code()),
            ytx::ffi::ytx_result::YTX_ERR_PROTOCOL,
            "{name}: {e}"
        );
        assert_eq!(e.delivery(), Delivery::Unknown, "{name}: {e}");
    }
    // One request per call: nothing was sent again.
    assert_eq!(server.join().unwrap(), 2);
}

#[test]
fn invalid_input_sends_nothing() {
    let emu = emulator();
    let c = client(&emu);
    assert_eq!(
        c.callback_call(&CallbackCall::new("13800138000", "13900139000", 60))
            .unwrap_err()
            .field(),
        Some("credit")
    );
    assert_eq!(
        c.voice_code(&VoiceCode::new("13800138000", "02160000000", "12-34"))
            .unwrap_err()
            .field(),
        Some("code")
    );
    assert_eq!(emu.request_count(), 0);
}

#[test]
fn what_no_platform_accepts_is_refused_before_sending_naming_the_field() {
    use ytx::request::{MAX_REQUEST_BODY_BYTES, MAX_TEXT_FIELD_BYTES};
    let emu = emulator();
    let c = client(&emu);
    let call = || CallbackCall::new("13800138000", "13900139000", 600);
    // A 1 MiB customParm was sent, answered 413, and reported as an
    // unknown outcome: now it is an argument error and nothing is sent.
    let e = c
        .callback_call(&call().custom_parm("x".repeat(1 << 20)))
        .unwrap_err();
    assert_eq!(e.field(), Some("customParm"), "{e}");
    assert!(
        e.to_string().contains(&MAX_TEXT_FIELD_BYTES.to_string()),
        "{e}"
    );
    assert!(!e.is_retry_safe());
    // Every free-text field has the limit, in bytes of UTF-8.
    let long = "f".repeat(MAX_TEXT_FIELD_BYTES + 1);
    for (field, call) in [
        ("srchintfile", call().src_hint_file(long.clone())),
        ("dsthintfile", call().dst_hint_file(long.clone())),
        ("customhintfile", call().custom_hint_file(long.clone())),
        ("dstfailhintfile", call().dst_fail_hint_file(long.clone())),
        ("srcthresholdfile", call().src_threshold_file(long.clone())),
        ("dstthresholdfile", call().dst_threshold_file(long.clone())),
        ("customParm", call().custom_parm("订".repeat(342))),
    ] {
        assert_eq!(c.callback_call(&call).unwrap_err().field(), Some(field));
    }
    // A search for a customParm no call can have is refused too.
    let e = c.find_call(&long, "0").unwrap_err();
    assert_eq!(e.field(), Some("customParm"), "{e}");
    // An edited prepared request with a huge body: refused, naming `body`.
    let mut req = c.prepare_callback_call(&call()).unwrap();
    req.body = format!("{{\"pad\":\"{}\"}}", "x".repeat(MAX_REQUEST_BODY_BYTES));
    assert_eq!(c.send(&req).unwrap_err().field(), Some("body"));
    assert_eq!(emu.request_count(), 0);
    // At the limit, every free-text field at once: accepted.
    let full = "订".repeat(MAX_TEXT_FIELD_BYTES / 3);
    let big = call()
        .custom_parm(full.clone())
        .src_hint_file(full.clone())
        .dst_hint_file(full.clone())
        .custom_hint_file(full.clone())
        .dst_fail_hint_file(full.clone())
        .src_threshold_file(full.clone())
        .dst_threshold_file("\"".repeat(MAX_TEXT_FIELD_BYTES));
    c.callback_call(&big).unwrap();
    assert_eq!(emu.request_count(), 1);
}

#[test]
fn one_client_shared_by_threads() {
    let emu = emulator();
    let c = std::sync::Arc::new(client(&emu));
    let handles: Vec<_> = (0..8)
        .map(|t| {
            let c = c.clone();
            std::thread::spawn(move || {
                for i in 0..25 {
                    let call = CallbackCall::new("13800138000", "13900139000", 61)
                        .custom_parm(format!("t{t}-{i}"));
                    let ok = c.callback_call(&call).unwrap();
                    assert_eq!(ok.request_id.len(), 29);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let got = emu.requests();
    assert_eq!(got.len(), 200);
    for t in 0..8 {
        for i in 0..25 {
            let tag = format!("\"customParm\":\"t{t}-{i}\"");
            assert_eq!(
                got.iter().filter(|r| r.body.contains(&tag)).count(),
                1,
                "{tag}"
            );
        }
    }
}

#[test]
fn the_token_appears_in_no_error() {
    let emu = emulator();
    let token = DEMO_AUTH_TOKEN;
    let c = client(&emu);
    let mut errors = vec![
        c.voice_code(&voice(ytx_emulator::FAULT_HTTP_500))
            .unwrap_err(),
        c.voice_code(&voice(ytx_emulator::FAULT_NOT_JSON))
            .unwrap_err(),
        c.voice_code(&voice(&platform_code_dst(203))).unwrap_err(),
        c.voice_code(&VoiceCode::new("x", "y", "z")).unwrap_err(),
        Client::builder(DEMO_ACCOUNT_SID, format!("{token}\r\n"), DEMO_APP_ID)
            .build()
            .unwrap_err(),
    ];
    errors.push(
        Client::builder(DEMO_ACCOUNT_SID, token, DEMO_APP_ID)
            .base_url("http://127.0.0.1:1")
            .build()
            .unwrap()
            .voice_code(&voice("13800138000"))
            .unwrap_err(),
    );
    for e in errors {
        assert!(!e.to_string().contains(token), "{e}");
        assert!(!format!("{e:?}").contains(token), "{e:?}");
    }
    assert!(!format!("{c:?}").contains(token));
}

#[test]
fn errors_name_the_builder_method_in_rust_and_the_option_by_name() {
    use std::time::Duration;
    let rust = Client::builder(DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, DEMO_APP_ID)
        .timeout(Duration::from_secs(1))
        .connect_timeout(Duration::from_secs(5))
        .build()
        .unwrap_err();
    assert_eq!(rust.field(), Some("connect_timeout"), "{rust}");
    let rust = Client::builder(DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, DEMO_APP_ID)
        .timeout(Duration::ZERO)
        .build()
        .unwrap_err();
    assert_eq!(rust.field(), Some("timeout"), "{rust}");
    // The same mistake by option name (as C and the bindings give it).
    let mut b = Client::builder(DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, DEMO_APP_ID);
    b.set_options([("connect_timeout_ms", "5000"), ("timeout_ms", "1000")])
        .unwrap();
    let by_name = b.build().unwrap_err();
    assert_eq!(by_name.field(), Some("connect_timeout_ms"), "{by_name}");
}

#[test]
fn a_transport_error_has_the_io_error_as_its_source() {
    use std::error::Error as _;
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    for generic in [false, true] {
        let e = Client::builder(DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, DEMO_APP_ID)
            .base_url(format!("http://{closed}"))
            .generic_transport(generic)
            .build()
            .unwrap()
            .callback_call(&CallbackCall::new("13800138000", "13900139000", 61))
            .unwrap_err();
        assert!(e.is_retry_safe(), "{e}");
        let io = e
            .source()
            .and_then(|s| s.downcast_ref::<std::io::Error>())
            .unwrap_or_else(|| panic!("no io::Error source: {e:?}"));
        assert_eq!(io.kind(), std::io::ErrorKind::ConnectionRefused);
    }
}
