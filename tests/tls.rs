//! HTTPS against a local TLS server whose certificate is signed by a CA made
//! in the test: refused by default (certificates are verified against the
//! built-in roots), accepted with that CA in `ca_file`, through the Rust
//! API and the C ABI; keep-alive (one handshake for many calls).

#[path = "support/tls.rs"]
mod tls;

use std::ffi::{CStr, CString};
use std::ptr;

use ytx::ffi::ytx_result as R;
use ytx::ffi::*;
use ytx::{Client, Delivery, VoiceCode};

const SID: &str = "8a1f0c3e5b7d9f21a4c6e8b0d2f4a6c8";
const TOKEN: &str = "5c7e9a1b3d5f7092e4b6c8d0f2a4c6e8";
const APP: &str = "ff8080813fc70a7b013fc72312324213";
const OK_JSON: &str =
    r#"{"statusCode":"0","statusMsg":"ok","requestId":"20160100000002050000000000001"}"#;

fn server() -> tls::TlsServer {
    let answer = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{OK_JSON}",
        OK_JSON.len()
    );
    tls::start(answer.into_bytes())
}

fn voice() -> VoiceCode {
    VoiceCode::new("13800138000", "02160000000", "4096")
}

#[test]
fn a_private_ca_is_refused_by_default_and_nothing_is_sent() {
    let srv = server();
    let c = Client::builder(SID, TOKEN, APP)
        .base_url(&srv.url)
        .build()
        .unwrap();
    let e = c.voice_code(&voice()).unwrap_err();
    assert_eq!(
        ytx::ffi::ytx_result::from(e.code()),
        R::YTX_ERR_NOT_SENT,
        "{e}"
    );
    assert_eq!(e.delivery(), Delivery::NotSent);
    assert!(e.to_string().contains("certificate"), "{e}");
    assert_eq!(srv.requests(), 0);
}

#[test]
fn the_ca_in_ca_file_is_trusted_and_the_connection_kept() {
    let srv = server();
    let ca = srv.ca_file("rust");
    let c = Client::builder(SID, TOKEN, APP)
        .base_url(&srv.url)
        .ca_file(&ca)
        .build()
        .unwrap();
    for _ in 0..5 {
        let ok = c.voice_code(&voice()).unwrap();
        assert_eq!(ok.request_id, "20160100000002050000000000001");
    }
    assert_eq!(
        (srv.requests(), srv.handshakes()),
        (5, 1),
        "keep-alive: one handshake"
    );
    // Set by name, as the bindings do.
    let mut b = Client::builder(SID, TOKEN, APP).base_url(&srv.url);
    b.set("ca_file", &ca).unwrap();
    b.build().unwrap().voice_code(&voice()).unwrap();
}

#[test]
fn a_bad_ca_file_is_an_error_naming_it() {
    for (content, says) in [
        (None, "cannot read"),
        (Some("not a certificate\n"), "no PEM certificate"),
    ] {
        let path = std::env::temp_dir().join(format!(
            "ytx-bad-ca-{}-{}.pem",
            std::process::id(),
            says.len()
        ));
        if let Some(c) = content {
            std::fs::write(&path, c).unwrap();
        }
        let e = Client::builder(SID, TOKEN, APP)
            .base_url("https://127.0.0.1:9")
            .ca_file(path.to_string_lossy())
            .build()
            .unwrap_err();
        assert_eq!(e.field(), Some("ca_file"), "{e}");
        assert!(e.to_string().contains(says), "{e}");
    }
}

/// One call through the C ABI with these options: (result, message).
fn c_call(options: &[(&str, &str)]) -> (ytx_result, String) {
    let cs = |s: &str| CString::new(s).unwrap();
    let (sid, token, app) = (cs(SID), cs(TOKEN), cs(APP));
    let owned: Vec<_> = options.iter().map(|(n, v)| (cs(n), cs(v))).collect();
    let names: Vec<_> = owned.iter().map(|(n, _)| n.as_ptr()).collect();
    let values: Vec<_> = owned.iter().map(|(_, v)| v.as_ptr()).collect();
    unsafe {
        let mut client = ptr::null_mut();
        let made = ytx_client_new(
            sid.as_ptr(),
            token.as_ptr(),
            app.as_ptr(),
            names.as_ptr(),
            values.as_ptr(),
            names.len(),
            &mut client,
            ptr::null_mut(),
        );
        assert_eq!(made, R::YTX_OK);
        let (dst, clid, code) = (cs("13800138000"), cs("02160000000"), cs("4096"));
        let mut outcome = ptr::null_mut();
        let r = ytx_voice_code(
            client,
            dst.as_ptr(),
            clid.as_ptr(),
            code.as_ptr(),
            0,
            &mut outcome,
        );
        let msg = CStr::from_ptr(ytx_outcome_message(outcome))
            .to_string_lossy()
            .into_owned();
        ytx_outcome_free(outcome);
        ytx_free(client);
        (r, msg)
    }
}

#[test]
fn the_c_abi_refuses_the_private_ca_and_trusts_it_in_ca_file() {
    let srv = server();
    let (r, msg) = c_call(&[("base_url", &srv.url)]);
    assert_eq!(r, R::YTX_ERR_NOT_SENT, "{msg}");
    assert_eq!(srv.requests(), 0);
    let ca = srv.ca_file("c");
    let (r, msg) = c_call(&[("base_url", &srv.url), ("ca_file", &ca)]);
    assert_eq!(r, R::YTX_OK, "{msg}");
    assert_eq!(srv.requests(), 1);
}
