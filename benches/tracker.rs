//! The tracker's two numbers of issue 21 (BENCHMARKS.md, "Issue 21"):
//!
//!     cargo bench --bench tracker
//!
//! 1. Pushes per second through `Tracker::on_push`, one thread: the 8 state
//!    pushes and the record push of each of 20,000 tracked calls, plus one
//!    duplicate of each, bodies prepared beforehand (parse, cross-check,
//!    de-duplicate, hold; no network).
//! 2. Record queries per completed call, against the in-process emulator:
//!    calls of every magic number with their pushes, the clock moved past
//!    every bound, for each `verify` mode.
//!
//! Prints; asserts nothing on timings.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ytx::{
    CallbackCall, Client, EventKind, ManualClock, TrackedCall, Tracker, TrackerOptions, Verify,
};
use ytx_emulator as emu;

fn client(base: &str) -> Arc<Client> {
    Arc::new(
        Client::builder(
            emu::DEMO_ACCOUNT_SID,
            emu::DEMO_AUTH_TOKEN,
            emu::DEMO_APP_ID,
        )
        .base_url(base)
        .build()
        .unwrap(),
    )
}

fn pushes_per_second() {
    const CALLS: usize = 20_000;
    let clock = Arc::new(ManualClock::new());
    let tracker = Tracker::new(
        client("http://127.0.0.1:9"),
        TrackerOptions::new()
            .clock(clock.clone())
            .verify(Verify::WhenNoRecordPush)
            .max_tracked(CALLS + 1),
    )
    .unwrap();
    let (src, dst) = ("13800138000", "13900139000");
    let mut bodies: Vec<(String, &str)> = Vec::with_capacity(CALLS * 10);
    for i in 0..CALLS {
        let id = format!("2026120615000000000000{i:07}");
        tracker
            .track(TrackedCall {
                src: Some(src.into()),
                dst: Some(dst.into()),
                credit: Some(600),
                custom_parm: Some(format!("o-{i}")),
                ..TrackedCall::new(id.clone())
            })
            .unwrap();
        for (n, (leg, state, s)) in [
            (src, "callout", 0),
            (src, "alerting", 1),
            (src, "answer", 3),
            (dst, "callout", 3),
            (dst, "alerting", 4),
            (dst, "answer", 9),
            (src, "disconnect", 13),
            (dst, "disconnect", 13),
        ]
        .into_iter()
        .enumerate()
        {
            let body = format!(
                r#"{{"requestid":"{id}","dsc":"{leg}","state":"{state}","stateDesc":"x","timestamp":"2026-12-06 15:00:{s:02}","customParm":"o-{i}"}}"#
            );
            if n == 2 {
                bodies.push((body.clone(), "CallState"));
            }
            bodies.push((body, "CallState"));
        }
        let record = format!(
            r#"{{"cdr":[{{"requestid":"{id}","appid":"{}","fid":4,"caller":"{src}","called":"{dst}","callerstime":"2026-12-06 15:00:03","calleretime":"2026-12-06 15:00:13","calledstime":"2026-12-06 15:00:09","calledetime":"2026-12-06 15:00:13","tapesurl":"NoTapes","duration":10,"oriamount":0.06,"customParm":"o-{i}","stateDesc":"ok"}}]}}"#,
            emu::DEMO_APP_ID
        );
        bodies.push((record.clone(), "Call"));
        bodies.push((record, "Call"));
    }
    let started = Instant::now();
    for (body, query) in &bodies {
        assert_eq!(tracker.on_push(body.as_bytes(), Some(query)), 200);
    }
    let took = started.elapsed();
    let mut events = 0;
    while tracker.next_event(Some(Duration::ZERO)).is_some() {
        events += 1;
    }
    let s = tracker.stats();
    println!(
        "on_push, one thread: {} pushes in {:.3} s = {:.0} pushes/s ({:.2} us each); {} duplicates, {} events ({} calls completed from their record push)",
        bodies.len(),
        took.as_secs_f64(),
        bodies.len() as f64 / took.as_secs_f64(),
        took.as_secs_f64() * 1e6 / bodies.len() as f64,
        s.duplicates,
        events,
        CALLS
    );
}

fn queries_per_call(verify: Verify) {
    const CALLS: usize = 130;
    let kinds = [
        ("13800138000", "13900139000"),
        ("13800138000", emu::CALL_SECOND_LEG_BUSY),
        ("13800138000", emu::CALL_DUPLICATE_PUSHES),
        ("13800138000", emu::CALL_OUT_OF_ORDER_PUSHES),
        ("13800138000", emu::CALL_SECOND_LEG_NO_ANSWER),
        (emu::CALL_FIRST_LEG_NO_ANSWER, "13900139000"),
        ("13800138000", emu::CALL_RECORD_PUSH_LOST),
        ("13800138000", emu::CALL_STATE_PUSHES_LOST),
        ("13800138000", emu::CALL_RECORD_PUSH_FIRST),
        ("13800138000", emu::CALL_FORGED_PUSHES),
        ("13800138000", emu::CALL_SMS_ROUTED_PUSH),
        ("13800138000", emu::FAULT_DROP_CONNECTION),
        ("13800138000", emu::FAULT_TRUNCATED_JSON),
    ];
    // A receiver feeding the tracker, made before the emulator (push URL).
    let clock = Arc::new(ManualClock::new());
    let slot: Arc<std::sync::OnceLock<Arc<Tracker>>> = Arc::default();
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let url = format!("http://{}/p", server.server_addr().to_ip().unwrap());
    let s2 = slot.clone();
    std::thread::spawn(move || {
        for mut r in server.incoming_requests() {
            let mut body = Vec::new();
            let _ = r.as_reader().read_to_end(&mut body);
            let status = s2.get().map_or(503, |t| t.on_push(&body, Some(r.url())));
            let _ = r.respond(tiny_http::Response::empty(status));
        }
    });
    let e = emu::Emulator::start(
        emu::Config::default()
            .with_push_url(url)
            .with_push_interval_ms(1),
        "127.0.0.1:0",
    )
    .unwrap();
    let c = client(&e.base_url());
    let t = Arc::new(
        Tracker::new(
            c.clone(),
            TrackerOptions::new().clock(clock.clone()).verify(verify),
        )
        .unwrap(),
    );
    let _ = slot.set(t.clone());
    for i in 0..CALLS {
        let (src, dst) = kinds[i % kinds.len()];
        let _ = c.callback_call(&CallbackCall::new(src, dst, 100).custom_parm(format!("q{i}")));
    }
    // Every push taken (each finished push is in the emulator's log).
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut last = (0, Instant::now());
    while Instant::now() < deadline {
        let n = e.pushes().len();
        if n != last.0 {
            last = (n, Instant::now());
        } else if last.1.elapsed() > Duration::from_secs(1) {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut finals = 0;
    for _ in 0..240 {
        while let Some(ev) = t.next_event(Some(Duration::from_millis(2))) {
            finals += usize::from(matches!(
                ev.kind(),
                EventKind::Completed | EventKind::Resolved
            ));
        }
        if finals >= CALLS {
            break;
        }
        clock.advance(Duration::from_secs(30));
    }
    let s = t.stats();
    println!(
        "verify {:<19} {CALLS} calls of the 13 kinds: {finals} completed/resolved, {} record queries = {:.2} per call ({} unrecognised pushes)",
        verify.name(),
        s.queries,
        s.queries as f64 / finals.max(1) as f64,
        s.unrecognised
    );
}

fn main() {
    pushes_per_second();
    for v in [Verify::Always, Verify::WhenNoRecordPush, Verify::Never] {
        queries_per_call(v);
    }
}
