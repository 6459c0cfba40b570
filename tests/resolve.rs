//! Resolving an *outcome unknown* (issue 18, part 2), end to end against the
//! emulator: placed (also behind a gateway that caps a page at 50 records),
//! not placed only after PROTOCOL.md's bound, not known yet before it,
//! resuming from the cursor, the page and time budgets, what cannot be
//! resolved, the ticket as text, and `auto_custom_parm`.
//!
//! No test sleeps: a ticket sent "long ago" is made with `Ticket::for_callback`
//! and a time in the past, as one saved before a restart would be.

use std::time::{Duration, SystemTime};

use ytx::{
    CallbackCall, Client, Error, ResolutionStatus, ResolveOptions, Ticket, TicketKind, VoiceCode,
};
use ytx_emulator::{
    platform_code_dst, Config, Emulator, DEMO_ACCOUNT_SID, DEMO_APP_ID, DEMO_AUTH_TOKEN,
    FAULT_DROP_CONNECTION, FAULT_HTTP_502,
};

fn client(emu: &Emulator) -> Client {
    Client::builder(DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, DEMO_APP_ID)
        .base_url(emu.base_url())
        .build()
        .unwrap()
}

/// An emulator whose record pages hold at most 50 records, like a gateway
/// capping `limit`.
fn capped() -> Emulator {
    Emulator::start(
        Config::default().with_max_records_per_page(50),
        "127.0.0.1:0",
    )
    .unwrap()
}

fn call(parm: &str) -> CallbackCall {
    CallbackCall::new("13800138000", "13900139000", 600).custom_parm(parm)
}

/// A call whose answer is lost after the platform placed it.
fn lost(parm: &str) -> CallbackCall {
    CallbackCall::new("13800138000", FAULT_DROP_CONNECTION, 600).custom_parm(parm)
}

/// `n` calls placed by another process (another client), after `c`'s last.
fn others(emu: &Emulator, n: usize) {
    let other = client(emu);
    for i in 0..n {
        other.callback_call(&call(&format!("other-{i}"))).unwrap();
    }
}

/// A ticket for `parm` sent `ago` before now, after `anchor`.
fn ticket_sent(parm: &str, ago: Duration, anchor: Option<&str>) -> Ticket {
    Ticket::for_callback(&call(parm), SystemTime::now() - ago, anchor)
}

const LONG_AGO: Duration = Duration::from_secs(3600);

#[test]
fn an_unknown_outcome_carries_a_ticket_and_resolves_as_placed_behind_a_capped_page() {
    let emu = capped();
    let c = client(&emu);
    let anchor = c.callback_call(&call("before")).unwrap().request_id;
    // 60 calls of another process land between the anchor and ours: the
    // first page after the anchor is cut at 50 records.
    others(&emu, 60);
    let e = c.callback_call(&lost("order-lost")).unwrap_err();
    assert_eq!(e.delivery(), ytx::Delivery::Unknown, "{e}");
    let ticket = e.ticket().expect("an outcome unknown carries its ticket");
    assert_eq!(ticket.kind(), TicketKind::CallbackCall);
    assert_eq!(ticket.custom_parm(), Some("order-lost"));
    assert_eq!(ticket.anchor(), Some(anchor.as_str()));
    assert_eq!(ticket.credit(), 600);

    let r = c.resolve(&e).unwrap();
    assert_eq!(r.status(), ResolutionStatus::Placed, "{}", r.reason());
    let record = r.record().expect("placed: the record");
    assert_eq!(record.custom_parm(), Some("order-lost"));
    let placed = emu
        .records()
        .into_iter()
        .find(|x| x.custom_parm.as_deref() == Some("order-lost"))
        .unwrap();
    assert_eq!(record.request_id(), placed.request_id);
    assert_eq!(r.check_again_at(), None);
}

#[test]
fn find_call_pages_on_past_a_short_page() {
    // A page shorter than `limit` is not the end: find_call (pages of 100)
    // must not answer "not found" for a call behind a page capped at 50.
    let emu = capped();
    let c = client(&emu);
    let anchor = c.callback_call(&call("before")).unwrap().request_id;
    others(&emu, 60);
    let placed = c.callback_call(&call("order-behind")).unwrap().request_id;
    let found = c.find_call("order-behind", &anchor).unwrap();
    assert_eq!(found.map(|r| r.request_id().to_string()), Some(placed));
    assert_eq!(c.find_call("order-never", &anchor).unwrap(), None);
}

#[test]
fn not_placed_only_after_the_bound() {
    let emu = capped();
    let c = client(&emu);
    others(&emu, 60);
    // Sent long ago: the bound (sent + 60 + 60 + 600 + 60 s) has passed.
    let old = ticket_sent("order-never", LONG_AGO, None);
    assert!(old.not_placed_after() < SystemTime::now());
    let r = c.resolve(&old).unwrap();
    assert_eq!(r.status(), ResolutionStatus::NotPlaced, "{}", r.reason());
    assert_eq!(r.record(), None);

    // Sent just now: not found means "not known yet", until the bound.
    let new = ticket_sent("order-never", Duration::ZERO, None);
    let r = c.resolve(&new).unwrap();
    assert_eq!(r.status(), ResolutionStatus::NotKnownYet, "{}", r.reason());
    assert_eq!(r.check_again_at(), Some(new.not_placed_after()));
    // The cursor does not move past pages read before the bound: a record
    // written later may land behind them.
    assert_eq!(r.cursor(), None);

    // The request's own ring timeouts count: 700 s ago with credit 600 and
    // the default 60 + 60 + 60 is not yet past; with 10 s ring timeouts it is.
    let ago = SystemTime::now() - Duration::from_secs(700);
    let defaults = Ticket::for_callback(&call("order-never"), ago, None);
    assert_eq!(
        c.resolve(&defaults).unwrap().status(),
        ResolutionStatus::NotKnownYet
    );
    let short = call("order-never").src_timeout(10u32).dst_timeout(10u32);
    let short = Ticket::for_callback(&short, ago, None);
    assert_eq!(
        c.resolve(&short).unwrap().status(),
        ResolutionStatus::NotPlaced
    );
}

#[test]
fn a_placed_call_is_found_before_the_bound_too() {
    let emu = capped();
    let c = client(&emu);
    others(&emu, 3);
    c.callback_call(&call("order-early")).unwrap();
    let t = ticket_sent("order-early", Duration::ZERO, None);
    assert_eq!(c.resolve(&t).unwrap().status(), ResolutionStatus::Placed);
}

#[test]
fn a_search_out_of_pages_is_not_known_yet_and_resumes_from_its_cursor() {
    let emu = capped();
    let c = client(&emu);
    others(&emu, 120);
    let target = c.callback_call(&call("order-late")).unwrap().request_id;
    let t = ticket_sent("order-late", LONG_AGO, None);

    let one_page = ResolveOptions::new().max_pages(1);
    let r = c.resolve_with(&t, &one_page).unwrap();
    assert_eq!(r.status(), ResolutionStatus::NotKnownYet, "{}", r.reason());
    assert!(r.reason().contains("pages"), "{}", r.reason());
    assert!(r.check_again_at().unwrap() <= SystemTime::now());
    let first = r
        .cursor()
        .expect("after the bound the cursor moves")
        .to_string();
    let fiftieth = &emu.records()[49].request_id;
    assert_eq!(&first, fiftieth, "one capped page of 50 was read");

    // Resuming walks on from there, one page at a time, to the record.
    let mut cursor = first;
    let mut steps = 0;
    let found = loop {
        steps += 1;
        assert!(steps < 10, "resuming does not get anywhere");
        let r = c
            .resolve_with(&t, &one_page.clone().cursor(Some(&cursor)))
            .unwrap();
        match r.status() {
            ResolutionStatus::NotKnownYet => {
                let next = r.cursor().unwrap().to_string();
                assert_ne!(next, cursor, "the cursor moves on");
                cursor = next;
            }
            ResolutionStatus::Placed => break r,
            other => panic!("{other:?}: {}", r.reason()),
        }
    };
    assert_eq!(found.record().unwrap().request_id(), target);
    assert_eq!(steps, 2, "pages 2 and 3 of 50");

    // Before the bound, running out of pages keeps the starting point.
    let t = ticket_sent("order-never", Duration::ZERO, None);
    let r = c.resolve_with(&t, &one_page).unwrap();
    assert_eq!(r.status(), ResolutionStatus::NotKnownYet);
    assert_eq!(r.cursor(), None);
    assert_eq!(r.check_again_at(), Some(t.not_placed_after()));
}

#[test]
fn a_deadline_that_passes_is_not_known_yet_never_an_argument_error() {
    let emu = capped();
    let c = client(&emu);
    others(&emu, 5);
    let t = ticket_sent("order-never", LONG_AGO, None);
    // A page of one record takes longer than a nanosecond: the deadline has
    // passed before the second page.
    let options = ResolveOptions::new()
        .deadline(Duration::from_nanos(1))
        .page_size(1);
    let r = c.resolve_with(&t, &options).unwrap();
    assert_eq!(r.status(), ResolutionStatus::NotKnownYet, "{}", r.reason());
    assert!(r.reason().contains("deadline"), "{}", r.reason());

    // Bad options are argument errors naming them; budgets never are.
    for (o, field) in [
        (ResolveOptions::new().max_pages(0), "max_pages"),
        (ResolveOptions::new().page_size(0), "page_size"),
        (ResolveOptions::new().deadline(Duration::ZERO), "deadline"),
        (ResolveOptions::new().cursor(Some("a-b")), "cursor"),
    ] {
        assert_eq!(c.resolve_with(&t, &o).unwrap_err().field(), Some(field));
    }
}

#[test]
fn what_cannot_be_resolved_says_so() {
    let emu = capped();
    let c = client(&emu);
    // A voice code: its record has no customParm.
    let e = c
        .voice_code(&VoiceCode::new(FAULT_DROP_CONNECTION, "", "1234"))
        .unwrap_err();
    assert_eq!(e.ticket().map(Ticket::kind), Some(TicketKind::VoiceCode));
    let r = c.resolve(&e).unwrap();
    assert_eq!(r.status(), ResolutionStatus::CannotBeResolved);
    assert!(r.reason().contains("voice code"), "{}", r.reason());

    // A callback call without customParm.
    let e = c
        .callback_call(&CallbackCall::new("13800138000", FAULT_HTTP_502, 600))
        .unwrap_err();
    assert!(matches!(e, Error::HttpStatus { status: 502, .. }), "{e}");
    let t = e.ticket().expect("a ticket, saying what is missing");
    assert_eq!(t.custom_parm(), None);
    let r = c.resolve(&e).unwrap();
    assert_eq!(r.status(), ResolutionStatus::CannotBeResolved);
    assert!(r.reason().contains("customParm"), "{}", r.reason());

    // An error that is not an outcome unknown has no ticket.
    let e = c
        .callback_call(
            &CallbackCall::new("13800138000", platform_code_dst(204), 600).custom_parm("x"),
        )
        .unwrap_err();
    assert_eq!(e.ticket(), None);
    assert_eq!(
        c.resolve(&e).unwrap().status(),
        ResolutionStatus::CannotBeResolved
    );
}

#[test]
fn a_ticket_saved_as_text_resolves_after_a_restart() {
    let emu = capped();
    let saved = {
        let c = client(&emu);
        c.callback_call(&call("before")).unwrap();
        let e = c.callback_call(&lost("订单 42;x=%")).unwrap_err();
        e.ticket().unwrap().to_text()
    };
    assert!(saved.starts_with("ytx-ticket:1;kind=callback;"), "{saved}");
    // A new client (a new process) knows nothing but the text.
    let c = client(&emu);
    let t = Ticket::parse(&saved).unwrap();
    assert_eq!(t.to_text(), saved);
    assert_eq!(t.custom_parm(), Some("订单 42;x=%"));
    let r = c.resolve(&t).unwrap();
    assert_eq!(r.status(), ResolutionStatus::Placed, "{}", r.reason());
    assert_eq!(r.record().unwrap().custom_parm(), Some("订单 42;x=%"));
    assert_eq!(
        Ticket::parse("ytx-ticket:9;whatever").unwrap_err().field(),
        Some("ticket")
    );
}

#[test]
fn auto_custom_parm_makes_every_callback_call_resolvable() {
    let emu = capped();
    let mut b =
        Client::builder(DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, DEMO_APP_ID).base_url(emu.base_url());
    b.set("auto_custom_parm", "1").unwrap();
    assert_eq!(
        b.clone()
            .set("auto_custom_parm", "yes")
            .unwrap_err()
            .field(),
        Some("auto_custom_parm")
    );
    let c = b.build().unwrap();
    let bare = || CallbackCall::new("13800138000", "13900139000", 600);
    c.callback_call(&bare()).unwrap();
    c.callback_call(&bare()).unwrap();
    // A customParm of the caller's own is kept.
    c.callback_call(&call("mine")).unwrap();
    let e = c
        .callback_call(&CallbackCall::new(
            "13800138000",
            FAULT_DROP_CONNECTION,
            600,
        ))
        .unwrap_err();
    let parm = e.ticket().unwrap().custom_parm().unwrap().to_string();
    assert!(parm.starts_with("ytx-"), "{parm}");
    let r = c.resolve(&e).unwrap();
    assert_eq!(r.status(), ResolutionStatus::Placed, "{}", r.reason());
    assert_eq!(r.record().unwrap().custom_parm(), Some(parm.as_str()));

    let parms: Vec<String> = emu
        .records()
        .into_iter()
        .map(|r| r.custom_parm.unwrap_or_default())
        .collect();
    assert_eq!(parms[2], "mine");
    let mut unique = parms.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), parms.len(), "{parms:?}");
    assert!(parms.iter().all(|p| !p.is_empty()), "{parms:?}");

    // Off by default: a call without customParm goes without one.
    let plain = client(&emu);
    let e = plain
        .callback_call(&CallbackCall::new(
            "13800138000",
            FAULT_DROP_CONNECTION,
            600,
        ))
        .unwrap_err();
    assert_eq!(e.ticket().unwrap().custom_parm(), None);
}

#[test]
fn a_prepared_callback_call_sent_with_send_carries_its_ticket() {
    let emu = capped();
    let mut b =
        Client::builder(DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, DEMO_APP_ID).base_url(emu.base_url());
    b.set("auto_custom_parm", "1").unwrap();
    let c = b.build().unwrap();
    let anchor = c
        .send(&c.prepare_callback_call(&call("before-prepared")).unwrap())
        .unwrap()
        .request_id;
    let lost = lost("order-prepared").src_timeout(30u32);
    let e = c
        .send(&c.prepare_callback_call(&lost).unwrap())
        .unwrap_err();
    assert_eq!(e.delivery(), ytx::Delivery::Unknown, "{e}");
    let t = e
        .ticket()
        .expect("send gives an outcome unknown its ticket");
    assert_eq!(t.kind(), TicketKind::CallbackCall);
    assert_eq!(t.custom_parm(), Some("order-prepared"));
    assert_eq!(t.credit(), 600);
    assert_eq!(t.src_timeout(), Some(30));
    assert_eq!(t.dst_timeout(), None);
    assert_eq!(t.anchor(), Some(anchor.as_str()));
    let r = c.resolve(&e).unwrap();
    assert_eq!(r.status(), ResolutionStatus::Placed, "{}", r.reason());

    // auto_custom_parm's customParm is in the prepared body, so in the ticket.
    let bare = CallbackCall::new("13800138000", FAULT_DROP_CONNECTION, 600);
    let e = c
        .send(&c.prepare_callback_call(&bare).unwrap())
        .unwrap_err();
    let parm = e.ticket().unwrap().custom_parm().unwrap().to_string();
    assert!(parm.starts_with("ytx-"), "{parm}");
    let r = c.resolve(&e).unwrap();
    assert_eq!(r.record().unwrap().custom_parm(), Some(parm.as_str()));

    // A voice code sent the same way: a ticket that says it cannot be resolved.
    let e = c
        .send(
            &c.prepare_voice_code(&VoiceCode::new(FAULT_DROP_CONNECTION, "", "1234"))
                .unwrap(),
        )
        .unwrap_err();
    assert_eq!(e.ticket().map(Ticket::kind), Some(TicketKind::VoiceCode));
}

/// A server that answers every request with the platform's `-104` (rate
/// too high: safe to retry after a second), counting the requests.
fn always_rate_limited() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let count = std::sync::Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
                if line == "\r\n" {
                    break;
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            seen.fetch_add(1, Ordering::SeqCst);
            let answer = r#"{"statusCode":"-104","statusMsg":"rate","requestId":""}"#;
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                answer.len()
            );
        }
    });
    (url, count)
}

#[test]
fn the_resolve_deadline_bounds_the_automatic_retries_of_its_queries() {
    let (url, count) = always_rate_limited();
    let c = Client::builder(DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, DEMO_APP_ID)
        .base_url(url)
        .max_retries(3)
        .retry_backoff(Duration::from_millis(1))
        .build()
        .unwrap();
    let t = ticket_sent("order-busy", LONG_AGO, None);
    // Each retry of a -104 waits a second: none fits in a 300 ms deadline.
    let options = ResolveOptions::new().deadline(Duration::from_millis(300));
    let e = c.resolve_with(&t, &options).unwrap_err();
    assert!(e.is_retry_safe(), "{e}");
    assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 1);
}
