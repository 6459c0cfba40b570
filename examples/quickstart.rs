//! Quickstart: place a two-way callback call and send a voice verification
//! code, print what was sent (Sign redacted; the auth token is never sent) and
//! what came back.
//!
//! ```text
//! cargo run --example quickstart
//! ```
//!
//! With no environment it starts the local platform emulator in-process and
//! uses its demo account. To use a real account, set
//! `YTX_ACCOUNT_SID`, `YTX_AUTH_TOKEN`, `YTX_APP_ID` and optionally
//! `YTX_BASE_URL` (default: production, `http://api.ytx.net`; the sandbox is
//! `http://sandbox.ytx.net`), `YTX_SRC`, `YTX_DST`, `YTX_DSTCLID`.
//! Exits non-zero if either request fails.

use std::process::ExitCode;

use ytx::{CallbackCall, Client, Environment, PreparedRequest, VoiceCode};

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn main() -> ExitCode {
    // Real credentials from the environment, or the in-process emulator.
    let mut _emulator = None;
    let (sid, token, app, environment) = match env("YTX_ACCOUNT_SID") {
        Some(sid) => {
            let (Some(token), Some(app)) = (env("YTX_AUTH_TOKEN"), env("YTX_APP_ID")) else {
                eprintln!("YTX_ACCOUNT_SID is set: set YTX_AUTH_TOKEN and YTX_APP_ID too");
                return ExitCode::from(2);
            };
            let environment =
                env("YTX_BASE_URL").map_or(Environment::Production, Environment::Custom);
            (sid, token, app, environment)
        }
        None => {
            let emu = ytx_emulator::Emulator::start(ytx_emulator::Config::default(), "127.0.0.1:0")
                .expect("start the local emulator");
            println!(
                "no YTX_ACCOUNT_SID set: using the local emulator at {}",
                emu.base_url()
            );
            let url = emu.base_url();
            _emulator = Some(emu);
            (
                ytx_emulator::DEMO_ACCOUNT_SID.to_string(),
                ytx_emulator::DEMO_AUTH_TOKEN.to_string(),
                ytx_emulator::DEMO_APP_ID.to_string(),
                Environment::Custom(url),
            )
        }
    };

    let client = match Client::builder(sid, token, app)
        .environment(environment)
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("bad configuration: {e}");
            return ExitCode::from(2);
        }
    };
    println!(
        "ytx {} -> {}\n",
        env!("CARGO_PKG_VERSION"),
        client.base_url()
    );

    let src = env("YTX_SRC").unwrap_or_else(|| "13800138000".into());
    let dst = env("YTX_DST").unwrap_or_else(|| "13900139000".into());
    let dstclid = env("YTX_DSTCLID").unwrap_or_else(|| "02160000000".into());

    let call = CallbackCall {
        custom_parm: Some("quickstart-1".into()),
        ..CallbackCall::new(src, dst.clone(), 600)
    };
    let code = VoiceCode {
        times: Some(2),
        ..VoiceCode::new(dst, dstclid, "4096")
    };

    let mut ok = true;
    ok &= run(
        "two-way callback call",
        client.prepare_callback_call(&call),
        &client,
    );
    ok &= run(
        "voice verification code",
        client.prepare_voice_code(&code),
        &client,
    );
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Show the signed request, send it once, show the answer.
fn run(what: &str, prepared: ytx::Result<PreparedRequest>, client: &Client) -> bool {
    println!("== {what}");
    let req = match prepared {
        Ok(r) => r,
        Err(e) => {
            println!("invalid request: {e}\n");
            return false;
        }
    };
    println!("-- sent\n{req}\n");
    match client.send(&req) {
        Ok(accepted) => {
            println!(
                "-- accepted: statusCode {} ({}), requestId {}\n",
                accepted.status_code, accepted.status_msg, accepted.request_id
            );
            true
        }
        Err(e) => {
            println!("-- FAILED: {e}");
            if e.delivery() == ytx::Delivery::YTX_DELIVERY_NOT_SENT {
                println!("   (nothing reached the platform: safe to retry)");
            }
            println!();
            false
        }
    }
}
