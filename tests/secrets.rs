//! Secrets stay secret, wherever the text comes from (issue 18, part 9):
//! a server that echoes the request line (and so the Sign) into its answer
//! never puts the Sign into our errors or log lines; the recording URL
//! (`tapesurl`, a bearer URL) is never logged at INFO (nor at all) and
//! never in an error message. One test binary of its own: the logger is
//! process-wide. (The token wipe has its own binary: tests/token_wipe.rs.)

#[path = "support/http.rs"]
mod http;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ytx::log::{set_logger, LogLevel};
use ytx::{CallbackCall, Client};
use ytx_emulator::{Config, Emulator, DEMO_ACCOUNT_SID, DEMO_APP_ID, DEMO_AUTH_TOKEN};

type Lines = Arc<Mutex<Vec<(LogLevel, String)>>>;

/// The logger is process-wide: the tests that capture it take turns.
static LOGGER: Mutex<()> = Mutex::new(());

/// The recording URL of the field sample (PROTOCOL.md).
const TAPES: &str = "http://101.200.159.167:16214/rec/20200428145126_xxx.mp3";

/// A server that answers each request with `answer(request line)` (a full
/// HTTP response); it keeps every Sign it was sent.
fn echo_server(
    answer: fn(&str) -> String,
) -> (String, Arc<Mutex<Vec<String>>>, std::thread::JoinHandle<()>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let signs: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = signs.clone();
    let server = std::thread::spawn(move || {
        listener.set_nonblocking(false).unwrap();
        for conn in listener.incoming() {
            let Ok(mut s) = conn else { return };
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            // What was read, whole or not.
            let req = http::read_request(&mut s).unwrap_or_else(|partial| partial);
            let text = String::from_utf8_lossy(&req).to_string();
            let line = text.lines().next().unwrap_or("").to_string();
            if line == "STOP" {
                return;
            }
            if let Some(sign) = line.split("Sign=").nth(1) {
                let sign = sign.split([' ', '&']).next().unwrap_or("");
                seen.lock().unwrap().push(sign.to_string());
            }
            let _ = s.write_all(answer(&line).as_bytes());
        }
    });
    (url, signs, server)
}

fn http(status: &str, content_type: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

fn capture(level: LogLevel) -> Lines {
    let lines: Lines = Arc::default();
    let sink = lines.clone();
    set_logger(
        level,
        Some(Arc::new(move |l, m: &str| {
            sink.lock().unwrap().push((l, m.to_string()))
        })),
    )
    .unwrap();
    lines
}

fn stop(url: &str, server: std::thread::JoinHandle<()>) {
    let mut s = std::net::TcpStream::connect(url.trim_start_matches("http://")).unwrap();
    s.write_all(b"STOP\r\n\r\n").unwrap();
    drop(s);
    server.join().unwrap();
}

#[test]
fn no_secret_leaves_in_an_error_or_a_log_line() {
    let _turn = LOGGER.lock().unwrap_or_else(|p| p.into_inner());
    let lines = capture(LogLevel::Debug);
    let answers: [fn(&str) -> String; 4] = [
        // A gateway's error page that echoes the request line.
        |line| {
            http(
                "400 Bad Request",
                "text/html",
                &format!("<html><body><h1>400</h1><p>Bad request: {line}</p></body></html>"),
            )
        },
        // The same with the Sign in lower case.
        |line| {
            http(
                "502 Bad Gateway",
                "text/plain",
                &format!("upstream refused {}", line.to_lowercase()),
            )
        },
        // A platform-shaped refusal whose message quotes the request.
        |line| {
            let body = serde_json::json!({
                "statusCode": "-4",
                "statusMsg": format!("JSON格式错误: {line}"),
                "requestId": "",
            });
            http("200 OK", "application/json", &body.to_string())
        },
        // A proxy's 500 page that dumps a call record it had cached.
        |_| {
            http(
                "500 Internal Server Error",
                "application/json",
                &format!(r#"{{"cdr":[{{"requestid":"1","tapesurl":"{TAPES}","duration":10}}]}}"#),
            )
        },
    ];
    for (i, answer) in answers.into_iter().enumerate() {
        for generic in [false, true] {
            lines.lock().unwrap().clear();
            let (url, signs, server) = echo_server(answer);
            let c = Client::builder(DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, DEMO_APP_ID)
                .base_url(&url)
                .generic_transport(generic)
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap();
            let e = c
                .callback_call(&CallbackCall::new("13800138000", "13900139000", 600))
                .unwrap_err();
            stop(&url, server);
            let sign = signs.lock().unwrap()[0].to_ascii_lowercase();
            assert_eq!(sign.len(), 32, "{sign}");
            let mut texts = vec![e.to_string(), format!("{e:?}")];
            if let ytx::Error::HttpStatus { body_start, .. } = &e {
                texts.push(body_start.clone());
            }
            if let ytx::Error::Platform { status_msg, .. } = &e {
                texts.push(status_msg.clone());
            }
            let logged = lines.lock().unwrap().clone();
            assert!(
                logged.iter().any(|(l, _)| *l <= LogLevel::Warn),
                "answer {i}: the failure was logged: {logged:?}"
            );
            texts.extend(logged.into_iter().map(|(_, m)| m));
            for t in &texts {
                let lower = t.to_ascii_lowercase();
                assert!(
                    !lower.contains(&sign),
                    "answer {i}, generic {generic}: the Sign in {t}"
                );
                assert!(
                    !t.contains("101.200.159.167"),
                    "answer {i}: the recording URL in {t}"
                );
            }
            // What the page said is still there, minus the secret.
            if i < 3 {
                assert!(
                    texts[0].to_ascii_lowercase().contains("sign=<redacted>"),
                    "answer {i}: {}",
                    texts[0]
                );
            }
        }
    }
    set_logger(LogLevel::Off, None).unwrap();
}

#[test]
fn the_recording_url_is_never_logged_nor_shown_by_debug() {
    let emu = Emulator::start(Config::default(), "127.0.0.1:0").unwrap();
    let c = Client::builder(DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, DEMO_APP_ID)
        .base_url(emu.base_url())
        .build()
        .unwrap();
    let accepted = c
        .callback_call(&CallbackCall::new("13800138000", "13900139000", 600).custom_parm("o-1"))
        .unwrap();
    // Capture everything, DEBUG included, while the records are read.
    let _turn = LOGGER.lock().unwrap_or_else(|p| p.into_inner());
    let lines = capture(LogLevel::Debug);
    let record = c
        .call_record(&accepted.request_id)
        .unwrap()
        .expect("a record");
    let found = c.find_call("o-1", "0").unwrap().expect("found");
    let page = c.call_records_after("0", 10).unwrap();
    set_logger(LogLevel::Off, None).unwrap();
    let url = record
        .recording_url()
        .expect("an answered call has a recording");
    assert!(url.starts_with("http://"), "{url}");
    let logged = lines.lock().unwrap().clone();
    assert!(!logged.is_empty());
    for (_, m) in &logged {
        assert!(!m.contains(url), "logged: {m}");
    }
    // Debug output (which people log) does not show it either.
    for shown in [
        format!("{record:?}"),
        format!("{found:?}"),
        format!("{page:?}"),
        format!("{:?}", record.fields()),
    ] {
        assert!(!shown.contains(url), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
    }
    // A push holding a record: the same.
    let push = format!(r#"{{"cdr":[{{"requestid":"1","tapesurl":"{TAPES}"}}]}}"#);
    let p = ytx::parse_push(push.as_bytes()).unwrap();
    assert!(!format!("{p:?}").contains(TAPES));
}
