//! Where a request goes is decided once (issue 18, part 7): the base URL is
//! parsed by one parser (src/transport/url.rs) that both transports and
//! `no_proxy` use. Before, `HTTP://` was refused, a user name and password
//! were accepted, never sent, and shown by `base_url()` and `Debug`, and an
//! empty port was read as 80.

use ytx::{Client, VoiceCode};

const SID: &str = "8a1f0c3e5b7d9f21a4c6e8b0d2f4a6c8";
const TOKEN: &str = "5c7e9a1b3d5f7092e4b6c8d0f2a4c6e8";
const APP: &str = "ff8080813fc70a7b013fc72312324213";

fn emulator() -> ytx_emulator::Emulator {
    ytx_emulator::Emulator::start(ytx_emulator::Config::default(), "127.0.0.1:0").unwrap()
}

#[test]
fn the_scheme_in_any_case_through_both_transports() {
    let emu = emulator();
    let upper = emu.base_url().replace("http://", "HTTP://") + "/";
    for generic in [false, true] {
        let c = Client::builder(SID, TOKEN, APP)
            .base_url(upper.clone())
            .generic_transport(generic)
            .env_proxy(false)
            .build()
            .unwrap();
        assert_eq!(c.base_url(), emu.base_url());
        c.voice_code(&VoiceCode::new("13800138000", "02160000000", "1"))
            .unwrap();
    }
    assert_eq!(emu.request_count(), 2);
}

#[test]
fn userinfo_is_refused_naming_the_option_and_never_shown() {
    let emu = emulator();
    let with_password = emu.base_url().replace("http://", "http://user:s3cret@");
    let e = Client::builder(SID, TOKEN, APP)
        .base_url(with_password.clone())
        .build()
        .unwrap_err();
    assert_eq!(e.field(), Some("base_url"), "{e}");
    assert!(e.to_string().contains("user name or password"), "{e}");
    assert!(!format!("{e} {e:?}").contains("s3cret"), "{e:?}");
    // By name (the C ABI and the bindings) too.
    let mut b = Client::builder(SID, TOKEN, APP);
    b.set("base_url", &with_password).unwrap();
    let e = b.build().unwrap_err();
    assert_eq!(e.field(), Some("base_url"), "{e}");
    assert!(!format!("{e:?}").contains("s3cret"));
    assert_eq!(emu.request_count(), 0);
}

#[test]
fn an_empty_port_is_refused() {
    for url in [
        "http://127.0.0.1:",
        "http://127.0.0.1:/",
        "https://gw.example:/ytx",
    ] {
        let e = Client::builder(SID, TOKEN, APP)
            .base_url(url)
            .build()
            .unwrap_err();
        assert_eq!(e.field(), Some("base_url"), "{url}: {e}");
        assert!(e.to_string().contains("empty port"), "{e}");
    }
}
