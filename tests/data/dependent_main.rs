//! A program written against the Rust API as a dependent crate would use it,
//! with the C ABI left out (tests/dependent-crate.sh builds and runs it).
use std::time::Duration;

use ytx::{CallbackCall, Client, Delivery, ErrorCode, VoiceCode};

fn main() {
    // Nothing listens on this port: the call cannot be delivered.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port");
    let client = Client::builder("8a1f0c3e5b7d9f21a4c6e8b0d2f4a6c8", "token", "app")
        .base_url(format!("http://{closed}"))
        .timeout(Duration::from_secs(5))
        .build()
        .expect("a valid configuration");
    let call = CallbackCall::new("13800138000", "01085485069", 600).custom_parm("order-42");
    match client.callback_call(&call) {
        Ok(accepted) => panic!("accepted by nothing: {}", accepted.request_id),
        Err(e) if e.delivery() == Delivery::NotSent => {
            assert!(e.is_retry_safe());
            assert_eq!(e.code(), ErrorCode::NotSent);
            println!("not sent, safe to retry: {e}");
        }
        Err(e) => panic!("expected not sent: {e}"),
    }
    let e = client
        .voice_code(&VoiceCode::new("13800138000", "", "12-34").times(2))
        .unwrap_err();
    assert_eq!(
        (e.code(), e.field()),
        (ErrorCode::InvalidArgument, Some("code"))
    );
    match e.delivery() {
        Delivery::NotSent => println!("invalid code refused before sending"),
        Delivery::Unknown | Delivery::Answered => panic!("{e}"),
    }
}
