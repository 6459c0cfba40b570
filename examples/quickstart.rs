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
//! platform POSTs to an app's callback URL, feeding a `ytx::Tracker`: the
//! tracker turns the pushes (unsigned hints: deduplicated, ordered,
//! cross-checked) and the signed record query into events, printed as they
//! come: each leg's state, then the call's confirmed record, once.
//!
//! To use a real account, set `YTX_ACCOUNT_SID`, `YTX_AUTH_TOKEN`,
//! `YTX_APP_ID` and optionally `YTX_BASE_URL` (default: production,
//! `http://api.ytx.net`; the sandbox is `http://sandbox.ytx.net`), `YTX_SRC`,
//! `YTX_DST`, `YTX_DSTCLID`. Pushes then go to the callback URL configured
//! in the console (not here), and the record is queried once after the call,
//! with a note: the platform writes it some seconds after the call ends.
//! Exits non-zero if either request fails.

use std::process::ExitCode;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use ytx::{
    CallbackCall, Client, Environment, EventKind, PreparedRequest, Tracker, TrackerOptions,
    VoiceCode,
};

/// Where the push receiver finds the tracker (made once the client is).
type TrackerSlot = Arc<OnceLock<Arc<Tracker>>>;

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn main() -> ExitCode {
    // Real credentials from the environment, or the in-process emulator.
    let mut _emulator = None;
    let mut slot = None;
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
            let (push_url, tracker_slot) = push_receiver();
            slot = Some(tracker_slot);
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
        Ok(c) => Arc::new(c),
        Err(e) => {
            eprintln!("bad configuration: {e}");
            return ExitCode::from(2);
        }
    };
    // With the local receiver: a tracker attached to the client follows
    // every callback call it places from now on.
    let tracker = slot.map(|slot| {
        let t = Arc::new(
            Tracker::new(client.clone(), TrackerOptions::new()).expect("default options are valid"),
        );
        let _ = slot.set(t.clone());
        t
    });
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
        follow(&client, id, tracker.as_deref());
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
/// points at), protected as PROTOCOL.md's "Protecting a receiver" says,
/// since anyone who finds the URL can POST to it: an unguessable path
/// (compared in constant time), a 64 KiB body limit with a bad
/// Content-Length refused at once, a read deadline, a thread per connection
/// (at most 64) so one slow client cannot stop the others. Each push goes
/// to the tracker, which answers at once with the status to send (it never
/// touches the network) and does the rest: routing by `?Call` /
/// `?CallState`, de-duplication by PROTOCOL.md's keys, cross-checks.
fn push_receiver() -> (String, TrackerSlot) {
    use std::io::Write;
    use std::sync::atomic::{AtomicUsize, Ordering};

    const MAX_CONNECTIONS: usize = 64;

    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind the push receiver");
    // An unguessable path: the push URL is the only secret a receiver has.
    let secret = {
        use std::hash::BuildHasher;
        let random = std::collections::hash_map::RandomState::new();
        format!("/ytx/push-{:016x}", random.hash_one(Instant::now()))
    };
    let url = format!("http://{}{secret}", listener.local_addr().expect("bound"));
    let slot: TrackerSlot = Arc::new(OnceLock::new());
    let busy = Arc::new(AtomicUsize::new(0));

    let tracker_slot = slot.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            if busy.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
                busy.fetch_sub(1, Ordering::SeqCst);
                let _ = stream.write_all(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                continue;
            }
            let (slot, busy, secret) = (tracker_slot.clone(), Arc::clone(&busy), secret.clone());
            std::thread::spawn(move || {
                let status = match (read_push_request(&mut stream, &secret), slot.get()) {
                    (Ok((target, body)), Some(tracker)) => {
                        match tracker.on_push(&body, Some(&target)) {
                            200 => "200 OK",
                            400 => "400 Bad Request",
                            413 => "413 Content Too Large",
                            _ => "500 Internal Server Error",
                        }
                    }
                    (Ok(_), None) => "503 Service Unavailable",
                    (Err(status), _) => status,
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
                busy.fetch_sub(1, Ordering::SeqCst);
            });
        }
    });
    (url, slot)
}

/// One request to the push receiver, within its limits: `Ok((target,
/// body))`, or `Err(status)` to refuse it with.
fn read_push_request(
    stream: &mut std::net::TcpStream,
    secret: &str,
) -> Result<(String, Vec<u8>), &'static str> {
    use std::io::Read;
    const MAX_BODY: usize = 64 * 1024;
    const MAX_HEAD: usize = 8 * 1024;
    const READ_DEADLINE: Duration = Duration::from_secs(10);

    let deadline = Instant::now() + READ_DEADLINE;
    let mut buf = Vec::new();
    // Read more, within what is left of the deadline.
    let mut more = |buf: &mut Vec<u8>| -> Result<(), &'static str> {
        let left = deadline.saturating_duration_since(Instant::now());
        let mut chunk = [0u8; 4096];
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            return Err("408 Request Timeout");
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => Err("408 Request Timeout"),
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                Ok(())
            }
        }
    };
    let end = loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
        if buf.len() > MAX_HEAD {
            return Err("431 Request Header Fields Too Large");
        }
        more(&mut buf)?;
    };
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut parts = lines.next().unwrap_or("").split(' ');
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    // The path, compared in constant time (for a given length).
    let path = target.split('?').next().unwrap_or("");
    let diff = path
        .bytes()
        .zip(secret.bytes())
        .fold(0u8, |d, (a, b)| d | (a ^ b));
    if path.len() != secret.len() || diff != 0 {
        return Err("404 Not Found");
    }
    if method != "POST" {
        return Err("405 Method Not Allowed");
    }
    let length = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .map(|(_, v)| v.trim());
    // Refused at once, from the head alone: none, not digits ("-1"), too big.
    let length = match length {
        None => return Err("411 Length Required"),
        Some(v) if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) => {
            return Err("400 Bad Request")
        }
        Some(v) => match v.parse::<usize>() {
            Ok(n) if n <= MAX_BODY => n,
            _ => return Err("413 Content Too Large"),
        },
    };
    buf.drain(..end + 4);
    while buf.len() < length {
        more(&mut buf)?;
    }
    buf.truncate(length);
    Ok((target.to_string(), buf))
}

/// After the call: its fate from the tracker (with the local receiver), or
/// its record queried once.
fn follow(client: &Client, request_id: &str, tracker: Option<&Tracker>) {
    println!("== the call's life (requestId {request_id})");
    let Some(tracker) = tracker else {
        // A real platform POSTs pushes to the app's callback URL from the
        // console, and writes the record some seconds after the call ends.
        println!("pushes go to your app's callback URL; the record appears some seconds after the call ends.");
        println!(
            "(a ytx::Tracker fed by your receiver reports it: see the README, \"The tracker\")"
        );
        match client.call_record(request_id) {
            Ok(Some(r)) => print_record("record", &r),
            Ok(None) => println!("no record yet: query it again later (ytx::Client::call_record)"),
            Err(e) => println!("record query failed: {e}"),
        }
        return;
    };
    // The tracker's events until the call's one Completed: each leg's
    // state (in order, once), then the record, confirmed with the signed
    // query. Its work happens inside next_event: no thread of its own.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let Some(event) = tracker.next_event(Some(left)) else {
            println!("-- no record within 10 s");
            break;
        };
        match event.kind() {
            EventKind::LegState => println!(
                "-- leg {} ({}) {} at {}",
                event.leg().map_or("?", |l| l.name()),
                event.number().unwrap_or("-"),
                event.state().map_or("-", |s| s.as_str()),
                event.timestamp()
            ),
            EventKind::Completed => {
                if let Some(r) = event.record() {
                    print_record("completed, record confirmed by the signed query", r);
                }
                if event.request_id() == request_id {
                    break;
                }
            }
            _ => println!(
                "-- {:?}: {} {}",
                event.kind(),
                event.request_id(),
                event.reason()
            ),
        }
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
