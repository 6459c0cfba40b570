//! The tracker end to end against the emulator (issue 21): 50 calls mixing
//! every magic number of the emulator, pushed to a local receiver that
//! feeds the tracker, with a restart in the middle (a new tracker restored
//! from `pending()`). Exactly one Completed or Resolved per call, with the
//! right record; no event for a forged push or an SMS report but
//! UnrecognisedPush; every lost record found by the tracker's own query;
//! nothing reported twice.
//!
//! Time is the tracker's manual clock: the test moves it only once every
//! push the emulator sent has been taken, so what happens is decided by
//! the pushes and the clock, never by the machine's speed.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use ytx::{
    CallbackCall, Client, Event, EventKind, ManualClock, TrackedCall, Tracker, TrackerOptions,
    Verify,
};
use ytx_emulator as emu;
use ytx_emulator::{Config, Emulator, DEMO_ACCOUNT_SID, DEMO_APP_ID, DEMO_AUTH_TOKEN};

const SRC: &str = "13800138000";
const DST: &str = "13900139000";

/// The receiver's tracker: swapped at a restart (the write lock waits for
/// a push being taken, so none reaches the old tracker afterwards).
type Slot = Arc<RwLock<Arc<Tracker>>>;

/// A push receiver at a secret path, feeding whichever tracker is in `slot`.
fn receiver(slot: Slot) -> String {
    let server = tiny_http::Server::http("127.0.0.1:0").expect("bind the receiver");
    let url = format!(
        "http://{}/s3cret-7f2a/push",
        server.server_addr().to_ip().unwrap()
    );
    std::thread::spawn(move || {
        for mut request in server.incoming_requests() {
            let mut body = Vec::new();
            let _ = request.as_reader().read_to_end(&mut body);
            let status = if request.url().starts_with("/s3cret-7f2a/push") {
                let tracker = slot.read().unwrap();
                tracker.on_push(&body, Some(request.url()))
            } else {
                404
            };
            let _ = request.respond(tiny_http::Response::empty(status));
        }
    });
    url
}

/// One kind of call: its numbers, how many pushes the emulator sends (or
/// logs as lost) for it, whether its answer is lost (an outcome unknown).
#[derive(Clone, Copy, Debug)]
struct Kind {
    src: &'static str,
    dst: &'static str,
    pushes: usize,
    unknown: bool,
}

const KINDS: [Kind; 13] = [
    Kind {
        src: SRC,
        dst: DST,
        pushes: 9,
        unknown: false,
    },
    Kind {
        src: SRC,
        dst: emu::CALL_SECOND_LEG_BUSY,
        pushes: 7,
        unknown: false,
    },
    Kind {
        src: SRC,
        dst: emu::CALL_DUPLICATE_PUSHES,
        pushes: 12,
        unknown: false,
    },
    Kind {
        src: SRC,
        dst: emu::CALL_OUT_OF_ORDER_PUSHES,
        pushes: 9,
        unknown: false,
    },
    Kind {
        src: SRC,
        dst: emu::CALL_SECOND_LEG_NO_ANSWER,
        pushes: 8,
        unknown: false,
    },
    Kind {
        src: emu::CALL_FIRST_LEG_NO_ANSWER,
        dst: DST,
        pushes: 4,
        unknown: false,
    },
    Kind {
        src: SRC,
        dst: emu::CALL_RECORD_PUSH_LOST,
        pushes: 9,
        unknown: false,
    },
    Kind {
        src: SRC,
        dst: emu::CALL_STATE_PUSHES_LOST,
        pushes: 9,
        unknown: false,
    },
    Kind {
        src: SRC,
        dst: emu::CALL_RECORD_PUSH_FIRST,
        pushes: 9,
        unknown: false,
    },
    Kind {
        src: SRC,
        dst: emu::CALL_FORGED_PUSHES,
        pushes: 11,
        unknown: false,
    },
    Kind {
        src: SRC,
        dst: emu::CALL_SMS_ROUTED_PUSH,
        pushes: 10,
        unknown: false,
    },
    Kind {
        src: SRC,
        dst: emu::FAULT_DROP_CONNECTION,
        pushes: 9,
        unknown: true,
    },
    Kind {
        src: SRC,
        dst: emu::FAULT_TRUNCATED_JSON,
        pushes: 9,
        unknown: true,
    },
];

struct Rig {
    emu: Emulator,
    client: Arc<Client>,
    clock: Arc<ManualClock>,
    slot: Slot,
}

fn options(clock: &Arc<ManualClock>, verify: Verify) -> TrackerOptions {
    TrackerOptions::new().verify(verify).clock(clock.clone())
}

fn rig(verify: Verify) -> Rig {
    let clock = Arc::new(ManualClock::new());
    let emu_client = |base: &str| {
        Arc::new(
            Client::builder(DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, DEMO_APP_ID)
                .base_url(base)
                .build()
                .unwrap(),
        )
    };
    // The receiver needs a tracker before the emulator exists: a first
    // client with a placeholder URL, replaced below.
    let placeholder = emu_client("http://127.0.0.1:9");
    let first = Arc::new(Tracker::new(placeholder, options(&clock, verify)).unwrap());
    let slot: Slot = Arc::new(RwLock::new(first));
    let url = receiver(slot.clone());
    let emu = Emulator::start(
        Config::default()
            .with_push_url(url)
            .with_push_interval_ms(1)
            // A slowed receiver must not get a push twice (a loaded machine).
            .with_push_timeout_ms(60_000),
        "127.0.0.1:0",
    )
    .unwrap();
    let client = emu_client(&emu.base_url());
    *slot.write().unwrap() =
        Arc::new(Tracker::new(client.clone(), options(&clock, verify)).unwrap());
    Rig {
        emu,
        client,
        clock,
        slot,
    }
}

impl Rig {
    fn tracker(&self) -> Arc<Tracker> {
        self.slot.read().unwrap().clone()
    }

    /// Wait until the emulator has finished `n` pushes (each taken by the
    /// receiver, or lost on purpose). A generous deadline: only a hang
    /// fails here.
    fn wait_pushes(&self, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(120);
        while self.emu.pushes().len() < n {
            assert!(
                Instant::now() < deadline,
                "{} of {n} pushes after 120 s",
                self.emu.pushes().len()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(self.emu.pushes().len(), n);
    }

    /// Place call `i` of the mix; its customParm is `c<i>`.
    fn place(&self, i: usize) -> Placed {
        let kind = KINDS[i % KINDS.len()];
        let call = CallbackCall::new(kind.src, kind.dst, 100).custom_parm(format!("c{i}"));
        let request_id = match self.client.callback_call(&call) {
            Ok(r) => {
                assert!(!kind.unknown, "call {i} ({kind:?}) was answered");
                Some(r.request_id)
            }
            Err(e) => {
                assert!(kind.unknown, "call {i} ({kind:?}): {e}");
                assert!(e.ticket().is_some(), "call {i}: {e}");
                None
            }
        };
        Placed {
            kind,
            custom_parm: format!("c{i}"),
            request_id,
        }
    }
}

#[derive(Debug)]
struct Placed {
    kind: Kind,
    custom_parm: String,
    request_id: Option<String>,
}

fn drain(t: &Tracker, into: &mut Vec<Event>) {
    while let Some(e) = t.next_event(Some(Duration::from_millis(5))) {
        into.push(e);
    }
}

/// Move the clock in steps of 30 s, taking every event, until `done` says
/// so (at most 2 simulated hours).
fn run_clock(r: &Rig, events: &mut Vec<Event>, done: impl Fn(&[Event]) -> bool) {
    let t = r.tracker();
    for _ in 0..240 {
        drain(&t, events);
        if done(events) {
            return;
        }
        r.clock.advance(Duration::from_secs(30));
    }
    drain(&t, events);
}

fn finals(events: &[Event]) -> Vec<&Event> {
    events
        .iter()
        .filter(|e| matches!(e.kind(), EventKind::Completed | EventKind::Resolved))
        .collect()
}

/// Checks every property of the issue over the events the application
/// received from every tracker in turn.
///
/// `replayed`: calls finished before a restart whose pushes were sent
/// again to the new tracker, which does not know them: they may only give
/// UnrecognisedPush events. Without any, the count of those is exact.
fn check(r: &Rig, placed: &[Placed], events: &[Event], replayed: &HashSet<String>) {
    let records: HashMap<String, emu::CallRecord> = r
        .emu
        .records()
        .into_iter()
        .map(|rec| (rec.request_id.clone(), rec))
        .collect();
    // Exactly one Completed or Resolved per call, with the right record.
    let finals = finals(events);
    assert_eq!(finals.len(), placed.len(), "{finals:#?}");
    for p in placed {
        let mine: Vec<&&Event> = finals
            .iter()
            .filter(|e| e.custom_parm() == Some(p.custom_parm.as_str()))
            .collect();
        assert_eq!(mine.len(), 1, "{p:?}: {mine:#?}");
        let e = mine[0];
        let record = e
            .record()
            .unwrap_or_else(|| panic!("{p:?}: no record in {e:?}"));
        let truth = &records[record.request_id()];
        assert_eq!(truth.custom_parm.as_deref(), Some(p.custom_parm.as_str()));
        assert_eq!(record.duration(), Some(truth.duration_secs), "{p:?}");
        assert_eq!(
            record.amount().map(|a| a.fen()),
            Some(truth.amount_fen as i64)
        );
        match &p.request_id {
            Some(id) => {
                assert_eq!(e.kind(), EventKind::Completed, "{p:?}");
                assert_eq!(e.request_id(), id);
                assert_eq!(record.request_id(), id);
            }
            None => {
                assert_eq!(e.kind(), EventKind::Resolved, "{p:?}");
                assert_eq!(e.placed(), Some(true));
                assert!(e.verified());
                assert_eq!(e.request_id(), record.request_id());
            }
        }
        // Every lost record found by the tracker's own (signed) query.
        if p.kind.dst == emu::CALL_RECORD_PUSH_LOST {
            assert!(e.verified(), "{p:?}: {e:?}");
        }
    }
    // Unrecognised: exactly the forged pushes (a state and a record push
    // per forged call) and the SMS reports; nothing else of theirs.
    let forged: HashSet<String> = placed
        .iter()
        .filter(|p| p.kind.dst == emu::CALL_FORGED_PUSHES)
        .map(|p| emu::forged_request_id(p.request_id.as_deref().unwrap()))
        .collect();
    let sms: HashSet<&str> = placed
        .iter()
        .filter(|p| p.kind.dst == emu::CALL_SMS_ROUTED_PUSH)
        .map(|p| p.request_id.as_deref().unwrap())
        .collect();
    let unrecognised: Vec<&Event> = events
        .iter()
        .filter(|e| e.kind() == EventKind::UnrecognisedPush)
        .collect();
    if replayed.is_empty() {
        assert_eq!(
            unrecognised.len(),
            2 * forged.len() + sms.len(),
            "{unrecognised:#?}"
        );
    }
    for e in &unrecognised {
        assert!(
            forged.contains(e.request_id())
                || (sms.contains(e.request_id()) && e.reason().contains("SMS"))
                || replayed.contains(e.request_id()),
            "{e:?}"
        );
    }
    for f in &forged {
        let n = unrecognised.iter().filter(|e| e.request_id() == f).count();
        assert!((1..=2).contains(&n), "forged {f}: {n} unrecognised events");
    }
    for e in events
        .iter()
        .filter(|e| e.kind() != EventKind::UnrecognisedPush)
    {
        assert!(!forged.contains(e.request_id()), "{e:?}");
        assert_ne!(e.state().map(|s| s.as_str()), Some("DELIVRD"), "{e:?}");
    }
    // Leg states: never twice, each leg's in order, none after its call's
    // final event.
    let mut seen = HashSet::new();
    let mut last: HashMap<(String, String), u8> = HashMap::new();
    let mut finished = HashSet::new();
    let rank = |s: &str| {
        ["callout", "alerting", "answer", "disconnect"]
            .iter()
            .position(|x| *x == s)
    };
    for e in events {
        match e.kind() {
            EventKind::LegState => {
                let key = (
                    e.request_id().to_string(),
                    e.number().unwrap().to_string(),
                    e.state().unwrap().to_string(),
                    e.timestamp().to_string(),
                );
                assert!(seen.insert(key.clone()), "reported twice: {key:?}");
                assert!(
                    !finished.contains(e.request_id()),
                    "after its call's end: {e:?}"
                );
                let r = rank(e.state().unwrap().as_str()).unwrap() as u8;
                let leg = (
                    e.request_id().to_string(),
                    e.leg().unwrap().name().to_string(),
                );
                let before = last.insert(leg, r);
                assert!(before.is_none_or(|b| b < r), "out of order: {e:?}");
            }
            EventKind::Completed | EventKind::Resolved => {
                finished.insert(e.request_id().to_string());
            }
            _ => {}
        }
    }
    // A call whose state pushes all arrived (and were not all lost) had
    // its states reported; one whose states were lost had none.
    for p in placed {
        let Some(id) = &p.request_id else { continue };
        let n = events
            .iter()
            .filter(|e| e.kind() == EventKind::LegState && e.request_id() == id)
            .count();
        if p.kind.dst == emu::CALL_STATE_PUSHES_LOST {
            assert_eq!(n, 0, "{p:?}");
        } else if p.kind.src == SRC && [DST, emu::CALL_RECORD_PUSH_LOST].contains(&p.kind.dst) {
            assert_eq!(n, 8, "{p:?}");
        }
    }
}

#[test]
fn fifty_calls_every_magic_number_and_a_restart_in_the_middle() {
    // WhenNoRecordPush, so that a Completed from the query (verified)
    // shows the tracker found the record itself.
    let r = rig(Verify::WhenNoRecordPush);
    let mut events = Vec::new();
    let mut placed = Vec::new();
    let mut pushes = 0;
    // A refused call (-104) is not tracked: nothing was placed.
    let refused = CallbackCall::new(SRC, emu::platform_code_dst(104), 100).custom_parm("refused");
    assert!(r.client.callback_call(&refused).is_err());
    assert!(r.tracker().pending().is_empty());

    for i in 0..25 {
        let p = r.place(i);
        pushes += p.kind.pushes;
        placed.push(p);
    }
    // Every call is pending until the application has its final event.
    assert_eq!(r.tracker().pending().len(), 25);
    r.wait_pushes(pushes);
    // The application takes what is ready; the calls whose record push
    // was lost, and the outcomes unknown, are still watched, their states
    // held (the clock has not moved), not yet handed out.
    drain(&r.tracker(), &mut events);
    let finished_before: HashSet<String> = finals(&events)
        .iter()
        .map(|e| e.request_id().to_string())
        .collect();

    // The restart: pushes go to the new tracker (the old one takes no
    // more); what the old one still watches is restored in the new one.
    let old = r.tracker();
    let new = Arc::new(
        Tracker::new(
            r.client.clone(),
            options(&r.clock, Verify::WhenNoRecordPush),
        )
        .unwrap(),
    );
    *r.slot.write().unwrap() = new.clone();
    drain(&old, &mut events);
    let saved: Vec<String> = old.pending().iter().map(TrackedCall::to_json).collect();
    assert!(saved.len() >= 2, "{saved:#?}");
    drop(old);
    for line in &saved {
        new.track(TrackedCall::from_json(line).unwrap()).unwrap();
    }
    assert_eq!(new.pending().len(), saved.len());
    // The platform sends every push of the first half again (say the old
    // process died before answering them): nothing is reported twice.
    for push in r.emu.pushes().iter().filter(|p| p.delivered) {
        let query = push.url.split_once('?').map(|(_, q)| q);
        assert_eq!(new.on_push(push.body.as_bytes(), query), 200);
    }

    for i in 25..50 {
        let p = r.place(i);
        pushes += p.kind.pushes;
        placed.push(p);
    }
    r.wait_pushes(pushes);
    run_clock(&r, &mut events, |ev| finals(ev).len() >= placed.len());
    // And nothing more, however long the clock runs.
    r.clock.advance(Duration::from_secs(6 * 3600));
    drain(&new, &mut events);
    check(&r, &placed, &events, &finished_before);
    assert!(new.pending().is_empty(), "{:#?}", new.pending());
    let s = new.stats();
    let accepted = placed.iter().filter(|p| p.request_id.is_some()).count();
    eprintln!("after the restart: {s:?}; {accepted} accepted calls of 50");
}

#[test]
fn verify_always_confirms_every_record_with_the_query() {
    let r = rig(Verify::Always);
    let mut events = Vec::new();
    let mut placed = Vec::new();
    let mut pushes = 0;
    for i in 0..KINDS.len() {
        let p = r.place(i);
        pushes += p.kind.pushes;
        placed.push(p);
    }
    r.wait_pushes(pushes);
    run_clock(&r, &mut events, |ev| finals(ev).len() >= placed.len());
    check(&r, &placed, &events, &HashSet::new());
    assert!(finals(&events).iter().all(|e| e.verified()));
    let t = r.tracker();
    let s = t.stats();
    // One query per accepted call (each found at its first query), and
    // one search page per outcome unknown.
    assert_eq!(s.queries, placed.len() as u64, "{s:?}");
    assert_eq!(s.unrecognised, 3);
}
