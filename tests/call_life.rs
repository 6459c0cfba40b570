//! The life of a call after "accepted", end to end against the emulator:
//! pushes arrive at a local receiver and parse, the call's record is queried,
//! a call is found by its customParm, a never-placed one is not, and the
//! balance goes down.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use ytx::{CallState, CallbackCall, Client, Endpoint, Error, FindCall, Push, VoiceCode};
use ytx_emulator::{Config, Emulator, DEMO_ACCOUNT_SID, DEMO_APP_ID, DEMO_AUTH_TOKEN};

/// A push receiver on a free port: every body it receives goes to the channel.
fn receiver() -> (String, mpsc::Receiver<Vec<u8>>) {
    let server = tiny_http::Server::http("127.0.0.1:0").expect("bind the receiver");
    let url = format!("http://{}/push", server.server_addr().to_ip().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for mut request in server.incoming_requests() {
            let mut body = Vec::new();
            let _ = request.as_reader().read_to_end(&mut body);
            let _ = request.respond(tiny_http::Response::from_string("ok"));
            if tx.send(body).is_err() {
                return;
            }
        }
    });
    (url, rx)
}

fn setup() -> (Emulator, Client, mpsc::Receiver<Vec<u8>>) {
    let (url, rx) = receiver();
    let emu = Emulator::start(
        Config::default()
            .with_push_url(url)
            .with_push_interval_ms(1)
            // A slowed receiver must not get a push twice (a loaded machine).
            .with_push_timeout_ms(60_000),
        "127.0.0.1:0",
    )
    .unwrap();
    let client = Client::builder(DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, DEMO_APP_ID)
        .base_url(emu.base_url())
        .build()
        .unwrap();
    (emu, client, rx)
}

/// Pushes until the record push of `request_id` arrived (generous deadline).
fn pushes_until_record(rx: &mpsc::Receiver<Vec<u8>>, request_id: &str) -> Vec<Push> {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut got = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let body = rx
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("no record push for {request_id}; got {got:#?}"));
        let push = ytx::parse_push(&body).expect("every push the emulator sends parses");
        let done =
            matches!(&push, Push::Records(r) if r.iter().any(|r| r.request_id() == request_id));
        got.push(push);
        if done {
            return got;
        }
    }
}

fn states_of(pushes: &[Push], request_id: &str) -> Vec<(String, CallState)> {
    pushes
        .iter()
        .filter_map(|p| match p {
            Push::State(s) if s.request_id() == request_id => {
                Some((s.number().to_string(), s.state().clone()))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn pushes_then_record_then_find_by_custom_parm() {
    let (emu, client, rx) = setup();
    let before = client.balance().unwrap();

    // An earlier call gives the requestId to search after.
    let earlier = client
        .callback_call(
            &CallbackCall::new("13800138000", "13900139000", 600).custom_parm("order-earlier"),
        )
        .unwrap();
    pushes_until_record(&rx, &earlier.request_id);

    let call = CallbackCall::new("13800138001", "01085485069", 600).custom_parm("order-42");
    let accepted = client.callback_call(&call).unwrap();
    let pushes = pushes_until_record(&rx, &accepted.request_id);

    // Both legs went callout → alerting → answer → disconnect, first leg first.
    let states = states_of(&pushes, &accepted.request_id);
    use CallState::*;
    let leg = |n: &str| -> Vec<CallState> {
        states
            .iter()
            .filter(|(num, _)| num == n)
            .map(|(_, s)| s.clone())
            .collect()
    };
    assert_eq!(leg("13800138001"), [Callout, Alerting, Answer, Disconnect]);
    assert_eq!(leg("01085485069"), [Callout, Alerting, Answer, Disconnect]);
    assert_eq!(states[0].0, "13800138001", "the first leg is rung first");
    let Some(Push::Records(pushed)) = pushes.last() else {
        panic!("the last push is the record")
    };
    let pushed = &pushed[0];
    assert_eq!(pushed.custom_parm(), Some("order-42"));
    assert_eq!(pushed.caller(), Some("13800138001"));
    assert_eq!(pushed.called(), Some("01085485069"));
    assert!(pushed.called_answered().is_some());
    assert!(pushed.duration().unwrap() > 0);

    // The record query answers the same record.
    let record = client
        .call_record(&accepted.request_id)
        .unwrap()
        .expect("the emulator writes the record at once");
    assert_eq!(record.request_id(), accepted.request_id);
    assert_eq!(record.duration(), pushed.duration());
    assert_eq!(record.amount(), pushed.amount());
    assert_eq!(record.custom_parm(), Some("order-42"));

    // Found by customParm after the earlier requestId; never-placed: not found.
    let found = client
        .find_call("order-42", &earlier.request_id)
        .unwrap()
        .expect("placed, so found");
    assert_eq!(found.request_id(), accepted.request_id);
    assert_eq!(
        client
            .find_call("order-never", &earlier.request_id)
            .unwrap(),
        None
    );
    // Only records after the given requestId are searched...
    assert_eq!(
        client
            .find_call("order-earlier", &earlier.request_id)
            .unwrap(),
        None
    );
    // ...and "0" searches from the first record.
    assert_eq!(
        client
            .find_call("order-earlier", "0")
            .unwrap()
            .map(|r| r.request_id().to_string()),
        Some(earlier.request_id.clone())
    );
    // Pages of one record walk the same way.
    let paged = client
        .find_call_with(&FindCall::new("order-42", "0").page_size(1))
        .unwrap();
    assert_eq!(
        paged.map(|r| r.request_id().to_string()),
        Some(accepted.request_id.clone())
    );
    // Running out of pages is an error, never "not found".
    let e = client
        .find_call_with(&FindCall::new("order-never", "0").page_size(1).max_pages(1))
        .unwrap_err();
    assert_eq!(e.field(), Some("max_pages"), "{e}");

    // Paging through the records.
    let first = client.call_records_after("0", 1).unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].request_id(), earlier.request_id);
    let next = client
        .call_records_after(first[0].request_id(), 10)
        .unwrap();
    assert_eq!(next.len(), 1);
    assert_eq!(next[0].request_id(), accepted.request_id);
    assert!(client
        .call_records_after(&accepted.request_id, 10)
        .unwrap()
        .is_empty());
    assert_eq!(
        client.call_record("20000000000000000000000000000").unwrap(),
        None
    );

    // The balance went down by what the two calls cost.
    let after = client.balance().unwrap();
    let cost = emu
        .records()
        .iter()
        .map(|r| r.amount_fen as i64)
        .sum::<i64>();
    assert!(cost > 0);
    assert_eq!(before.amount().fen() - after.amount().fen(), cost);
}

#[test]
fn magic_numbers_shape_the_pushes() {
    let (_emu, client, rx) = setup();
    let place = |src: &str, dst: &str| {
        let r = client
            .callback_call(&CallbackCall::new(src, dst, 600))
            .unwrap();
        pushes_until_record(&rx, &r.request_id)
            .into_iter()
            .filter(|p| match p {
                Push::State(s) => s.request_id() == r.request_id,
                Push::Records(recs) => recs.iter().any(|x| x.request_id() == r.request_id),
            })
            .collect::<Vec<_>>()
    };
    let record = |pushes: &[Push]| match pushes.last() {
        Some(Push::Records(r)) => r[0].clone(),
        other => panic!("{other:?}"),
    };

    // The first leg does not answer: no second leg, nothing billed.
    let p = place(ytx_emulator::CALL_FIRST_LEG_NO_ANSWER, "13900139000");
    assert!(p.iter().all(|p| match p {
        Push::State(s) =>
            s.number() == ytx_emulator::CALL_FIRST_LEG_NO_ANSWER && s.state() != &CallState::Answer,
        Push::Records(_) => true,
    }));
    let r = record(&p);
    assert_eq!((r.duration(), r.caller_answered()), (Some(0), None));
    assert_eq!(r.amount().map(|a| a.fen()), Some(0));

    // The second leg is busy: it never answers.
    let p = place("13800138000", ytx_emulator::CALL_SECOND_LEG_BUSY);
    let r = record(&p);
    assert!(r.caller_answered().is_some());
    assert_eq!(r.called_answered(), None);
}

#[test]
fn voice_code_goes_to_code_call_out_and_the_old_default_is_caught() {
    let (emu, client, _rx) = setup();
    // dstclid is optional: empty leaves it out.
    client
        .voice_code(&VoiceCode::new("13800138000", "", "4096"))
        .unwrap();
    let got = emu.requests();
    let last = got.last().unwrap();
    assert_eq!(
        last.path,
        format!("/201512/sid/{DEMO_ACCOUNT_SID}/call/CodeCallOut.wx")
    );
    assert!(!last.body.contains("dstclid"), "{}", last.body);
    assert!(last.body.contains(r#""action":"callOutCode""#));

    // The old default (the template voice notice's endpoint) is refused as
    // the platform refuses a notice without templateId: -2.
    let old = Client::builder(DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, DEMO_APP_ID)
        .base_url(emu.base_url())
        .voice_code_endpoint(Endpoint {
            func_url: "NoticeCall.wx".into(),
            action: "templateNoticeCall".into(),
        })
        .build()
        .unwrap();
    let e = old
        .voice_code(&VoiceCode::new("13800138000", "02160000000", "4096"))
        .unwrap_err();
    assert_eq!(e.status_code(), Some("-2"), "{e}");
}

#[test]
fn queries_share_the_error_model() {
    let (emu, _client, _rx) = setup();
    // A wrong token: the platform refuses the query (-203), the token is in
    // no message.
    let wrong = Client::builder(
        DEMO_ACCOUNT_SID,
        "0123456789abcdef0123456789abcdef",
        DEMO_APP_ID,
    )
    .base_url(emu.base_url())
    .build()
    .unwrap();
    for e in [
        wrong.balance().unwrap_err(),
        wrong.call_record("1").unwrap_err(),
        wrong.find_call("x", "0").unwrap_err(),
    ] {
        assert_eq!(e.status_code(), Some("-203"), "{e}");
        assert!(!e.to_string().contains("0123456789abcdef"));
    }
    // Bad input is refused before anything is sent.
    let n = emu.request_count();
    let c = Client::builder(DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, DEMO_APP_ID)
        .base_url(emu.base_url())
        .build()
        .unwrap();
    for (e, field) in [
        (c.call_record("").unwrap_err(), "lastresid"),
        (c.call_record("12 3").unwrap_err(), "lastresid"),
        (c.call_records_after("0", 0).unwrap_err(), "limit"),
        (c.call_records_after("0", 1001).unwrap_err(), "limit"),
        (c.find_call("", "0").unwrap_err(), "customParm"),
        (
            c.call_records(&ytx::RecordQuery::of("1").fid("x"))
                .unwrap_err(),
            "fid",
        ),
    ] {
        assert!(matches!(e, Error::InvalidArgument { .. }), "{e}");
        assert_eq!(e.field(), Some(field), "{e}");
    }
    assert_eq!(emu.request_count(), n, "nothing was sent");
    // Nothing listening: not sent, safe to retry.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let gone = Client::builder(DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, DEMO_APP_ID)
        .base_url(format!("http://{closed}"))
        .build()
        .unwrap();
    assert_eq!(
        gone.balance().unwrap_err().delivery(),
        ytx::Delivery::NotSent
    );
}
