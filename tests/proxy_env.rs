//! The environment's proxy variables, as curl reads them, in a test binary
//! of their own (the environment is process-wide). A local "proxy" answers
//! whatever reaches it (a CONNECT tunnel or a plain proxied request) and
//! counts; the platform is a second local server that counts too.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use ytx::{Client, VoiceCode};

const SID: &str = "8a1f0c3e5b7d9f21a4c6e8b0d2f4a6c8";
const TOKEN: &str = "5c7e9a1b3d5f7092e4b6c8d0f2a4c6e8";
const APP: &str = "ff8080813fc70a7b013fc72312324213";
const OK_JSON: &str = r#"{"statusCode":"0","statusMsg":"ok","requestId":"1"}"#;

fn head(s: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::new();
    let mut b = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        if s.read(&mut b).ok()? == 0 {
            return None;
        }
        buf.push(b[0]);
    }
    let head = String::from_utf8_lossy(&buf).into_owned();
    let len: usize = head
        .to_ascii_lowercase()
        .lines()
        .find_map(|l| {
            l.strip_prefix("content-length:")
                .map(|v| v.trim().parse().unwrap())
        })
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    s.read_exact(&mut body).ok()?;
    Some(head)
}

/// A server answering every request with the platform's OK; a CONNECT is
/// answered 200 and the tunnel then served the same way. Counts requests
/// (a CONNECT counts as one).
fn counting_server() -> (String, Arc<AtomicUsize>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    let n = Arc::new(AtomicUsize::new(0));
    let count = n.clone();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { continue };
            let count = count.clone();
            std::thread::spawn(move || {
                while let Some(h) = head(&mut s) {
                    count.fetch_add(1, Ordering::SeqCst);
                    let answer = if h.starts_with("CONNECT ") {
                        "HTTP/1.1 200 Connection established\r\n\r\n".to_string()
                    } else {
                        format!(
                            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{OK_JSON}",
                            OK_JSON.len()
                        )
                    };
                    if s.write_all(answer.as_bytes()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    (addr, n)
}

fn call(b: ytx::ClientBuilder) {
    b.build()
        .unwrap()
        .voice_code(&VoiceCode::new("13800138000", "02160000000", "1"))
        .unwrap();
}

#[test]
fn the_environments_proxy_is_used_unless_no_proxy_or_turned_off() {
    let (platform, at_platform) = counting_server();
    let (proxy, at_proxy) = counting_server();
    let base = format!("http://{platform}");
    let b = || Client::builder(SID, TOKEN, APP).base_url(&base);
    let counts = || {
        (
            at_platform.load(Ordering::SeqCst),
            at_proxy.load(Ordering::SeqCst),
        )
    };
    for v in [
        "http_proxy",
        "HTTP_PROXY",
        "https_proxy",
        "HTTPS_PROXY",
        "all_proxy",
        "ALL_PROXY",
        "no_proxy",
        "NO_PROXY",
    ] {
        std::env::remove_var(v);
    }

    // No variable: direct.
    call(b());
    assert_eq!(counts(), (1, 0));

    // HTTP_PROXY (upper case) for an http:// base URL; no scheme means http.
    std::env::set_var("HTTP_PROXY", &proxy);
    call(b());
    let (p, x) = counts();
    assert_eq!(p, 1, "went around the proxy");
    assert!(x >= 1, "the proxy saw nothing");

    // https_proxy does not apply to http://.
    std::env::remove_var("HTTP_PROXY");
    std::env::set_var("https_proxy", format!("http://{proxy}"));
    call(b());
    assert_eq!(counts().0, 2);
    std::env::remove_var("https_proxy");

    // NO_PROXY: the host itself, a domain list, or *.
    std::env::set_var("http_proxy", format!("http://{proxy}"));
    let through = counts().1;
    for no in ["127.0.0.1", "example.com, 127.0.0.0/8", "*"] {
        std::env::set_var("NO_PROXY", no);
        call(b());
    }
    assert_eq!(counts(), (5, through), "NO_PROXY was not honoured");
    std::env::remove_var("NO_PROXY");

    // Turned off: by the option, by name, and by an explicit empty proxy.
    call(b().env_proxy(false));
    let mut named = b();
    named.set("env_proxy", "0").unwrap();
    call(named);
    call(b().proxy(""));
    assert_eq!(counts(), (8, through));

    // An explicit proxy wins over the environment's (which is broken here).
    std::env::set_var("http_proxy", "::not a proxy::");
    call(b().proxy(format!("http://{proxy}")));
    assert_eq!(counts().0, 8);
    assert!(counts().1 > through);
    // A broken variable is an error naming proxy and the variable, never
    // its value.
    let e = b().build().unwrap_err();
    assert_eq!(e.field(), Some("proxy"));
    assert!(
        e.to_string().contains("http_proxy") && !e.to_string().contains("not a proxy"),
        "{e}"
    );
    std::env::remove_var("http_proxy");
}
