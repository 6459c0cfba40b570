//! What happens to a call after the emulator accepted it: its record (CDR)
//! and the pushes to the app's callback URL (PROTOCOL.md, "After a call is
//! accepted"). Everything is computed at acceptance, on a simulated timeline
//! that starts at the acceptance time; the pushes are then delivered by
//! `push.rs`.

use time::{Duration, OffsetDateTime};

use crate::protocol::{datetime_of, Accepted, Kind};
use crate::CallRecord;

/// How the call goes, from the magic numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scenario {
    Normal,
    FirstLegNoAnswer,
    SecondLegBusy,
    SecondLegNoAnswer,
    DuplicatePushes,
    OutOfOrderPushes,
    RecordPushLost,
    StatePushesLost,
    RecordPushFirst,
    ForgedPushes,
    SmsRoutedPush,
}

pub(crate) fn scenario(accepted: &Accepted) -> Scenario {
    let dst = accepted.get("dst").unwrap_or_default();
    if accepted.kind == Kind::Callback
        && accepted.get("src") == Some(crate::CALL_FIRST_LEG_NO_ANSWER)
    {
        return Scenario::FirstLegNoAnswer;
    }
    match dst {
        crate::CALL_SECOND_LEG_BUSY => Scenario::SecondLegBusy,
        crate::CALL_SECOND_LEG_NO_ANSWER => Scenario::SecondLegNoAnswer,
        crate::CALL_DUPLICATE_PUSHES => Scenario::DuplicatePushes,
        crate::CALL_OUT_OF_ORDER_PUSHES => Scenario::OutOfOrderPushes,
        crate::CALL_RECORD_PUSH_LOST => Scenario::RecordPushLost,
        crate::CALL_STATE_PUSHES_LOST => Scenario::StatePushesLost,
        crate::CALL_RECORD_PUSH_FIRST => Scenario::RecordPushFirst,
        crate::CALL_FORGED_PUSHES => Scenario::ForgedPushes,
        crate::CALL_SMS_ROUTED_PUSH => Scenario::SmsRoutedPush,
        // The voice code's only leg is dst.
        crate::CALL_FIRST_LEG_NO_ANSWER if accepted.kind != Kind::Callback => {
            Scenario::FirstLegNoAnswer
        }
        _ => Scenario::Normal,
    }
}

/// A call's record and the bodies to push, in push order.
pub(crate) struct Outcome {
    pub record: CallRecord,
    pub pushes: Vec<PushOut>,
}

/// One push of a call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PushOut {
    pub body: String,
    /// The routing key appended to the URL; `None`: the one the body's
    /// shape calls for (`Call` for a record push, `CallState` otherwise).
    pub key: Option<&'static str>,
    /// Lost on purpose: logged as not delivered, never sent.
    pub lost: bool,
}

impl PushOut {
    fn sent(body: String) -> PushOut {
        PushOut {
            body,
            key: None,
            lost: false,
        }
    }
}

/// A requestId the emulator never hands out, made from a real one: its
/// 14-digit timestamp replaced by 1970's (what a forger who saw one
/// requestId would try).
pub(crate) fn forged_request_id(request_id: &str) -> String {
    let tail = request_id.get(14..).unwrap_or(request_id);
    format!("19700101000000{tail}")
}

/// Fen for `secs` billed seconds: [`crate::TARIFF_FEN_PER_MINUTE`] per started minute.
pub(crate) fn amount_fen(secs: u64) -> u64 {
    secs.saturating_add(59) / 60 * crate::TARIFF_FEN_PER_MINUTE
}

/// `fen` as yuan with two decimals (a JSON number as text), e.g. `0.06`.
pub(crate) fn yuan(fen: u64) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

fn json_str(s: &str) -> String {
    serde_json::to_string(s).expect("a string serializes")
}

struct Leg<'a> {
    number: &'a str,
}

/// One state push.
fn state_push(
    request_id: &str,
    leg: &Leg<'_>,
    state: &str,
    desc: &str,
    at: OffsetDateTime,
    custom_parm: Option<&str>,
) -> String {
    let mut s = format!(
        r#"{{"requestid":{},"dsc":{},"state":{},"stateDesc":{},"timestamp":{}"#,
        json_str(request_id),
        json_str(leg.number),
        json_str(state),
        json_str(desc),
        json_str(&datetime_of(at))
    );
    if let Some(p) = custom_parm {
        s.push_str(&format!(r#","customParm":{}"#, json_str(p)));
    }
    s.push('}');
    s
}

fn opt_time(t: Option<OffsetDateTime>) -> String {
    t.map(datetime_of).unwrap_or_default()
}

/// Simulates an accepted callback call or voice code. `None` for the
/// template notice (accepted, but neither recorded nor pushed). The push
/// bodies are only built `with_pushes` (the app has a push URL).
pub(crate) fn simulate(
    account_sid: &str,
    accepted: &Accepted,
    request_id: &str,
    start: OffsetDateTime,
    with_pushes: bool,
) -> Option<Outcome> {
    let mut outcome = match accepted.kind {
        Kind::Callback => callback(account_sid, accepted, request_id, start, with_pushes),
        Kind::VoiceCode => voice_code(account_sid, accepted, request_id, start),
        _ => return None,
    };
    if !with_pushes {
        outcome.pushes.clear();
    }
    Some(outcome)
}

fn secs(n: i64) -> Duration {
    Duration::seconds(n)
}

fn callback(
    account_sid: &str,
    accepted: &Accepted,
    request_id: &str,
    t0: OffsetDateTime,
    with_pushes: bool,
) -> Outcome {
    let src = Leg {
        number: accepted.get("src").unwrap_or_default(),
    };
    let dst = Leg {
        number: accepted.get("dst").unwrap_or_default(),
    };
    let custom_parm = accepted.get("customParm");
    let scenario = scenario(accepted);
    let push = |leg: &Leg<'_>, state: &str, desc: &str, at: OffsetDateTime| {
        if with_pushes {
            state_push(request_id, leg, state, desc, at, custom_parm)
        } else {
            String::new()
        }
    };

    // Timeline (seconds after acceptance): src rings at 1, answers at 3; dst
    // is called at 3, rings at 4, answers at 9; both hang up at 13. Billed:
    // the first leg's answered time, 10 s (like the field sample).
    let mut states: Vec<String> = Vec::new();
    let (caller_s, caller_e, called_s, called_e, duration, desc, tapes) = match scenario {
        Scenario::FirstLegNoAnswer => {
            states.push(push(&src, "callout", "呼叫中", t0));
            states.push(push(&src, "alerting", "振铃", t0 + secs(1)));
            states.push(push(&src, "disconnect", "未接听", t0 + secs(31)));
            (None, None, None, None, 0, "主叫未接听", false)
        }
        Scenario::SecondLegBusy => {
            states.push(push(&src, "callout", "呼叫中", t0));
            states.push(push(&src, "alerting", "振铃", t0 + secs(1)));
            states.push(push(&src, "answer", "应答", t0 + secs(3)));
            states.push(push(&dst, "callout", "呼叫中", t0 + secs(3)));
            states.push(push(&dst, "disconnect", "被叫忙", t0 + secs(4)));
            states.push(push(&src, "disconnect", "挂机", t0 + secs(8)));
            let (s, e) = (t0 + secs(3), t0 + secs(8));
            (Some(s), Some(e), None, None, 0, "被叫忙", false)
        }
        Scenario::SecondLegNoAnswer => {
            states.push(push(&src, "callout", "呼叫中", t0));
            states.push(push(&src, "alerting", "振铃", t0 + secs(1)));
            states.push(push(&src, "answer", "应答", t0 + secs(3)));
            states.push(push(&dst, "callout", "呼叫中", t0 + secs(3)));
            states.push(push(&dst, "alerting", "振铃", t0 + secs(4)));
            states.push(push(&dst, "disconnect", "未接听", t0 + secs(34)));
            states.push(push(&src, "disconnect", "挂机", t0 + secs(34)));
            let (s, e) = (t0 + secs(3), t0 + secs(34));
            (Some(s), Some(e), None, None, 0, "被叫未接听", false)
        }
        Scenario::Normal
        | Scenario::DuplicatePushes
        | Scenario::OutOfOrderPushes
        | Scenario::RecordPushLost
        | Scenario::StatePushesLost
        | Scenario::RecordPushFirst
        | Scenario::ForgedPushes
        | Scenario::SmsRoutedPush => {
            let twice = scenario == Scenario::DuplicatePushes;
            states.push(push(&src, "callout", "呼叫中", t0));
            states.push(push(&src, "alerting", "振铃", t0 + secs(1)));
            states.push(push(&src, "answer", "应答", t0 + secs(3)));
            if twice {
                states.push(push(&src, "answer", "应答", t0 + secs(3)));
            }
            if scenario == Scenario::OutOfOrderPushes {
                states.push(push(&dst, "alerting", "振铃", t0 + secs(4)));
                states.push(push(&dst, "callout", "呼叫中", t0 + secs(3)));
            } else {
                states.push(push(&dst, "callout", "呼叫中", t0 + secs(3)));
                states.push(push(&dst, "alerting", "振铃", t0 + secs(4)));
            }
            states.push(push(&dst, "answer", "应答", t0 + secs(9)));
            if twice {
                states.push(push(&dst, "answer", "应答", t0 + secs(9)));
            }
            states.push(push(&src, "disconnect", "挂机", t0 + secs(13)));
            states.push(push(&dst, "disconnect", "挂机", t0 + secs(13)));
            let (cs, ds, e) = (t0 + secs(3), t0 + secs(9), t0 + secs(13));
            (Some(cs), Some(e), Some(ds), Some(e), 10, "应答|正常", true)
        }
    };
    let amount = amount_fen(duration);
    let tapes = if tapes {
        format!(
            "http://tapes.ytx-emulator.invalid/{}/{request_id}.mp3",
            &request_id[..8.min(request_id.len())]
        )
    } else {
        "NoTapes".to_string()
    };
    let mut cdr = format!(
        r#"{{"requestid":{},"appid":{},"fid":{},"caller":{},"called":{},"callerstime":{},"calleretime":{},"calledstime":{},"calledetime":{},"tapesurl":{},"duration":{duration},"oriamount":{}"#,
        json_str(request_id),
        json_str(&accepted.appid),
        crate::FID_CALLBACK,
        json_str(src.number),
        json_str(dst.number),
        json_str(&opt_time(caller_s)),
        json_str(&opt_time(caller_e)),
        json_str(&opt_time(called_s)),
        json_str(&opt_time(called_e)),
        json_str(&tapes),
        yuan(amount),
    );
    if let Some(p) = custom_parm {
        cdr.push_str(&format!(r#","customParm":{}"#, json_str(p)));
    }
    cdr.push_str(&format!(r#","stateDesc":{}}}"#, json_str(desc)));

    let record_push = format!(r#"{{"cdr":[{cdr}]}}"#);
    let mut pushes: Vec<PushOut> = states.into_iter().map(PushOut::sent).collect();
    match scenario {
        Scenario::OutOfOrderPushes => {
            let last = pushes.len() - 1;
            pushes.insert(last, PushOut::sent(record_push));
        }
        Scenario::DuplicatePushes => {
            pushes.push(PushOut::sent(record_push.clone()));
            pushes.push(PushOut::sent(record_push));
        }
        Scenario::RecordPushLost => pushes.push(PushOut {
            lost: true,
            ..PushOut::sent(record_push)
        }),
        Scenario::StatePushesLost => {
            for p in &mut pushes {
                p.lost = true;
            }
            pushes.push(PushOut::sent(record_push));
        }
        Scenario::RecordPushFirst => pushes.insert(0, PushOut::sent(record_push)),
        Scenario::ForgedPushes if with_pushes => {
            // A forger who saw one requestId: a state push and a record
            // push (a long, costly call) for a requestId never handed out.
            let forged = forged_request_id(request_id);
            pushes.insert(
                0,
                PushOut::sent(state_push(
                    &forged,
                    &dst,
                    "answer",
                    "应答",
                    t0 + secs(9),
                    custom_parm,
                )),
            );
            let cdr = cdr.replacen(&json_str(request_id), &json_str(&forged), 1);
            let cdr = cdr.replacen(r#""duration":10,"#, r#""duration":3600,"#, 1);
            pushes.push(PushOut::sent(format!(r#"{{"cdr":[{cdr}]}}"#)));
            pushes.push(PushOut::sent(record_push));
        }
        Scenario::SmsRoutedPush if with_pushes => {
            // An SMS report (another product) to the same URL, routed by
            // its key alone: by its shape it would pass for a state push
            // of this call.
            let sms = format!(
                r#"{{"requestid":{},"dsc":{},"state":"DELIVRD","stateDesc":"短信已送达","timestamp":{}}}"#,
                json_str(request_id),
                json_str(src.number),
                json_str(&datetime_of(t0 + secs(13)))
            );
            pushes.push(PushOut {
                key: Some("SMS"),
                ..PushOut::sent(sms)
            });
            pushes.push(PushOut::sent(record_push));
        }
        _ => pushes.push(PushOut::sent(record_push)),
    }
    Outcome {
        record: CallRecord {
            account_sid: account_sid.to_string(),
            appid: accepted.appid.clone(),
            request_id: request_id.to_string(),
            fid: crate::FID_CALLBACK,
            duration_secs: duration,
            amount_fen: amount,
            custom_parm: custom_parm.map(str::to_string),
            cdr,
        },
        pushes,
    }
}

fn voice_code(
    account_sid: &str,
    accepted: &Accepted,
    request_id: &str,
    t0: OffsetDateTime,
) -> Outcome {
    let tel = accepted.get("dst").unwrap_or_default();
    let plays: i64 = accepted
        .get("time")
        .and_then(|t| t.parse().ok())
        .unwrap_or(2);
    let scenario = scenario(accepted);
    // Answered at 3 s; each reading of the code takes 6 s.
    let (stime, etime, duration, desc) = match scenario {
        Scenario::FirstLegNoAnswer | Scenario::SecondLegNoAnswer => (None, None, 0, "无人接听"),
        Scenario::SecondLegBusy => (None, None, 0, "用户正忙"),
        _ => {
            let (s, e) = (t0 + secs(3), t0 + secs(3 + 6 * plays));
            (Some(s), Some(e), (6 * plays) as u64, "应答|正常")
        }
    };
    let amount = amount_fen(duration);
    let cdr = format!(
        r#"{{"requestid":{},"appid":{},"fid":{},"tel":{},"stime":{},"etime":{},"duration":{duration},"oriamount":{},"stateDesc":{}}}"#,
        json_str(request_id),
        json_str(&accepted.appid),
        crate::FID_VOICE_CODE,
        json_str(tel),
        json_str(&opt_time(stime)),
        json_str(&opt_time(etime)),
        yuan(amount),
        json_str(desc),
    );
    let record_push = format!(r#"{{"cdr":[{cdr}]}}"#);
    let pushes = if scenario == Scenario::DuplicatePushes {
        vec![
            PushOut::sent(record_push.clone()),
            PushOut::sent(record_push),
        ]
    } else {
        vec![PushOut::sent(record_push)]
    };
    Outcome {
        record: CallRecord {
            account_sid: account_sid.to_string(),
            appid: accepted.appid.clone(),
            request_id: request_id.to_string(),
            fid: crate::FID_VOICE_CODE,
            duration_secs: duration,
            amount_fen: amount,
            custom_parm: None,
            cdr,
        },
        pushes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn accepted(kind: Kind, fields: &[(&str, &str)]) -> Accepted {
        Accepted {
            kind,
            appid: "app1".into(),
            fields: fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    fn t0() -> OffsetDateTime {
        // 2020-04-28 14:51:27 UTC+8
        time::PrimitiveDateTime::new(
            time::Date::from_calendar_date(2020, time::Month::April, 28).unwrap(),
            time::Time::from_hms(6, 51, 27).unwrap(),
        )
        .assume_utc()
    }

    fn parse(s: &str) -> Value {
        serde_json::from_str(s).unwrap()
    }

    #[test]
    fn tariff_and_yuan() {
        assert_eq!(amount_fen(0), 0);
        assert_eq!(amount_fen(1), 6);
        assert_eq!(amount_fen(60), 6);
        assert_eq!(amount_fen(61), 12);
        assert_eq!(yuan(0), "0.00");
        assert_eq!(yuan(6), "0.06");
        assert_eq!(yuan(708), "7.08");
        assert_eq!(yuan(10_000), "100.00");
    }

    #[test]
    fn normal_callback_record_and_pushes() {
        let a = accepted(
            Kind::Callback,
            &[
                ("src", "13911281234"),
                ("dst", "01085485069"),
                ("customParm", "o-1"),
            ],
        );
        let o = simulate("sid", &a, "20200428145127000000000000001", t0(), true).unwrap();
        assert_eq!(o.pushes.len(), 9);
        let states: Vec<(String, String)> = o.pushes[..8]
            .iter()
            .map(|p| {
                let v = parse(&p.body);
                (
                    v["dsc"].as_str().unwrap().to_string(),
                    v["state"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let want = [
            ("13911281234", "callout"),
            ("13911281234", "alerting"),
            ("13911281234", "answer"),
            ("01085485069", "callout"),
            ("01085485069", "alerting"),
            ("01085485069", "answer"),
            ("13911281234", "disconnect"),
            ("01085485069", "disconnect"),
        ];
        let want: Vec<(String, String)> = want
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        assert_eq!(states, want);
        assert_eq!(parse(&o.pushes[0].body)["timestamp"], "2020-04-28 14:51:27");
        let cdr = parse(&o.record.cdr);
        assert_eq!(parse(&o.pushes[8].body)["cdr"][0], cdr);
        assert_eq!(cdr["fid"], 4);
        assert_eq!(cdr["callerstime"], "2020-04-28 14:51:30");
        assert_eq!(cdr["calledstime"], "2020-04-28 14:51:36");
        assert_eq!(cdr["calleretime"], "2020-04-28 14:51:40");
        assert_eq!(cdr["duration"], 10);
        assert!(o.record.cdr.contains(r#""oriamount":0.06,"#));
        assert_eq!(cdr["customParm"], "o-1");
        assert_eq!(cdr["stateDesc"], "应答|正常");
        assert_eq!(o.record.amount_fen, 6);
    }

    #[test]
    fn lost_first_forged_and_sms_pushes() {
        let call = |dst: &str| {
            let a = accepted(
                Kind::Callback,
                &[("src", "13911281234"), ("dst", dst), ("customParm", "o-1")],
            );
            let id = "20200428145127000000000000001";
            simulate("sid", &a, id, t0(), true).unwrap().pushes
        };
        let id = "20200428145127000000000000001";
        let is_record = |p: &PushOut| p.body.starts_with(r#"{"cdr""#);
        // Record push lost: the last push, marked lost; states sent.
        let p = call(crate::CALL_RECORD_PUSH_LOST);
        assert_eq!(p.len(), 9);
        assert!(is_record(&p[8]) && p[8].lost);
        assert!(p[..8].iter().all(|p| !p.lost && !is_record(p)));
        // State pushes lost: every state lost, the record sent.
        let p = call(crate::CALL_STATE_PUSHES_LOST);
        assert!(p[..8].iter().all(|p| p.lost) && !p[8].lost && is_record(&p[8]));
        // Record first.
        let p = call(crate::CALL_RECORD_PUSH_FIRST);
        assert!(is_record(&p[0]) && p[1..].iter().all(|p| !is_record(p)));
        // Forged: a state push first and a record push for a requestId
        // never handed out, then the real record.
        let p = call(crate::CALL_FORGED_PUSHES);
        let forged = forged_request_id(id);
        assert_eq!(forged, "19700101000000000000000000001");
        assert_eq!(parse(&p[0].body)["requestid"], forged.as_str());
        assert_eq!(parse(&p[9].body)["cdr"][0]["requestid"], forged.as_str());
        assert_eq!(parse(&p[9].body)["cdr"][0]["duration"], 3600);
        assert_eq!(parse(&p[10].body)["cdr"][0]["requestid"], id);
        assert_eq!(p.len(), 11);
        // SMS report: keyed SMS, shaped like a state push of the call.
        let p = call(crate::CALL_SMS_ROUTED_PUSH);
        let sms = &p[8];
        assert_eq!(sms.key, Some("SMS"));
        assert_eq!(parse(&sms.body)["requestid"], id);
        assert_eq!(parse(&sms.body)["state"], "DELIVRD");
        assert!(is_record(&p[9]) && p[9].key.is_none());
    }

    #[test]
    fn voice_code_record() {
        let a = accepted(
            Kind::VoiceCode,
            &[("dst", "13911281234"), ("code", "1"), ("time", "3")],
        );
        let o = simulate("sid", &a, "1", t0(), true).unwrap();
        let cdr = parse(&o.record.cdr);
        assert_eq!(cdr["fid"], 9);
        assert_eq!(cdr["tel"], "13911281234");
        assert_eq!(cdr["duration"], 18);
        assert_eq!(o.pushes.len(), 1);
        let busy = accepted(Kind::VoiceCode, &[("dst", crate::CALL_SECOND_LEG_BUSY)]);
        let o = simulate("sid", &busy, "2", t0(), true).unwrap();
        assert_eq!(parse(&o.record.cdr)["stateDesc"], "用户正忙");
        assert!(o.record.cdr.contains(r#""oriamount":0.00,"#));
        assert!(simulate("sid", &accepted(Kind::TemplateNotice, &[]), "3", t0(), true).is_none());
    }
}
