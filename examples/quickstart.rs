//! Quickstart: place a two-way callback call and send a voice verification
//! code, print what was sent (Sign redacted; the auth token is never sent) and
//! what came back; then follow the call: its pushes and its record.
//!
//! ```text
//! cargo run --example quickstart
//! ```
//!
//! With no environment it starts the local platform emulator in-process and
//! uses its demo account, plus a small local receiver for the pushes the
//! platform POSTs to an app's callback URL: each push is printed (parsed) as
//! it arrives, then the call's record is queried and printed.
//!
//! To use a real account, set `YTX_ACCOUNT_SID`, `YTX_AUTH_TOKEN`,
//! `YTX_APP_ID` and optionally `YTX_BASE_URL` (default: production,
//! `http://api.ytx.net`; the sandbox is `http://sandbox.ytx.net`), `YTX_SRC`,
//! `YTX_DST`, `YTX_DSTCLID`. Pushes then go to the callback URL configured
//! in the console (not here), and the record is queried once after the call,
//! with a note: the platform writes it some seconds after the call ends.
//! Exits non-zero if either request fails.

use std::process::ExitCode;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use ytx::{CallbackCall, Client, Environment, PreparedRequest, Push, VoiceCode};

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn main() -> ExitCode {
    // Real credentials from the environment, or the in-process emulator.
    let mut _emulator = None;
    let mut pushes = None;
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
            let (push_url, received) = push_receiver();
            pushes = Some(received);
            let config = ytx_emulator::Config::default().with_push_url(&push_url);
            let emu = ytx_emulator::Emulator::start(config, "127.0.0.1:0")
                .expect("start the local emulator");
            println!("pushes go to the local receiver at {push_url}");
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
    // Optional: without it the callee sees the platform's default caller id.
    let dstclid = env("YTX_DSTCLID").unwrap_or_default();

    let call = CallbackCall::new(src, dst.clone(), 600).custom_parm("quickstart-1");
    let code = VoiceCode::new(dst, dstclid, "4096").times(2);

    let call_id = run(
        "two-way callback call",
        client.prepare_callback_call(&call),
        &client,
    );
    let code_id = run(
        "voice verification code",
        client.prepare_voice_code(&code),
        &client,
    );
    if let Some(id) = &call_id {
        follow(&client, id, pushes.as_ref());
    }
    if call_id.is_some() && code_id.is_some() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Show the signed request, send it once, show the answer; the requestId
/// when accepted.
fn run(what: &str, prepared: ytx::Result<PreparedRequest>, client: &Client) -> Option<String> {
    println!("== {what}");
    let req = match prepared {
        Ok(r) => r,
        Err(e) => {
            println!("invalid request: {e}\n");
            return None;
        }
    };
    println!("-- sent\n{req}\n");
    match client.send(&req) {
        Ok(accepted) => {
            println!(
                "-- accepted: statusCode {} ({}), requestId {}\n",
                accepted.status_code, accepted.status_msg, accepted.request_id
            );
            Some(accepted.request_id)
        }
        Err(e) => {
            println!("-- FAILED: {e}");
            if let Some(pause) = e.retry_after() {
                // Not written, or the platform's -104: nothing was placed.
                println!("   (nothing was placed: safe to send again after {pause:?})");
            }
            println!();
            None
        }
    }
}

/// A local receiver for the platform's pushes (what an app's callback URL
/// points at): it answers 200 at once and hands each body on.
fn push_receiver() -> (String, mpsc::Receiver<Vec<u8>>) {
    let server = tiny_http::Server::http("127.0.0.1:0").expect("bind the push receiver");
    let url = match server.server_addr().to_ip() {
        Some(addr) => format!("http://{addr}/ytx/push"),
        None => unreachable!("bound to an IP address"),
    };
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for mut request in server.incoming_requests() {
            let mut body = Vec::new();
            let read = request.as_reader().read_to_end(&mut body);
            // Answer first: the platform only needs to know it arrived.
            let _ = request.respond(tiny_http::Response::from_string("ok"));
            if read.is_ok() && tx.send(body).is_err() {
                return;
            }
        }
    });
    (url, rx)
}

/// After the call: print its pushes (with the local receiver) and its record.
fn follow(client: &Client, request_id: &str, pushes: Option<&mpsc::Receiver<Vec<u8>>>) {
    println!("== the call's life (requestId {request_id})");
    let Some(pushes) = pushes else {
        // A real platform POSTs pushes to the app's callback URL from the
        // console, and writes the record some seconds after the call ends.
        println!("pushes go to your app's callback URL; the record appears some seconds after the call ends.");
        match client.call_record(request_id) {
            Ok(Some(r)) => print_record("record", &r),
            Ok(None) => println!("no record yet: query it again later (ytx::Client::call_record)"),
            Err(e) => println!("record query failed: {e}"),
        }
        return;
    };
    // Wait for the call-record push, printing every push on the way.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(body) = pushes.recv_timeout(left) else {
            println!("-- no record push within 10 s");
            break;
        };
        match ytx::parse_push(&body) {
            Ok(Push::State(s)) => println!(
                "-- push: leg {} {} ({}) at {}",
                s.number(),
                s.state(),
                s.state_desc(),
                s.timestamp_text()
            ),
            Ok(Push::Records(records)) => {
                let mine = records.iter().any(|r| r.request_id() == request_id);
                for r in &records {
                    print_record("push: record", r);
                }
                if mine {
                    break;
                }
            }
            Err(e) => println!("-- push not understood: {e}"),
        }
    }
    match client.call_record(request_id) {
        Ok(Some(r)) => print_record("queried record", &r),
        Ok(None) => println!("-- no record yet"),
        Err(e) => println!("-- record query failed: {e}"),
    }
    match client.balance() {
        Ok(b) => println!("-- balance: {} yuan\n", b.amount()),
        Err(e) => println!("-- balance query failed: {e}\n"),
    }
}

fn print_record(what: &str, r: &ytx::CallRecord) {
    println!(
        "-- {what}: requestId {} customParm {} {} -> {}, {} s, {} yuan ({} fen), {}, recording {}",
        r.request_id(),
        r.custom_parm().unwrap_or("-"),
        r.caller().or(r.tel()).unwrap_or("-"),
        r.called().unwrap_or("-"),
        r.duration().map_or("?".to_string(), |d| d.to_string()),
        r.amount().map_or("?", |a| a.text()),
        r.amount().map_or(0, |a| a.fen()),
        r.state_desc().unwrap_or("-"),
        r.recording_url().unwrap_or("none"),
    );
}
