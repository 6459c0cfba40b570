//! Request building: `CallbackCall` (fields + `set(name, value)`), `VoiceCode`,
//! `request::phone`, `credit_from_i64`, `times_from_i64`, then `validate` and
//! `to_json`.
//!
//! Invariants:
//! * nothing panics;
//! * every error names a field: `field()` is `Some` and non-empty, and is the
//!   option's name for `set` (`option_name` when that name is empty), or one
//!   of the request's wire names;
//! * a failed `set` leaves the request unchanged; a second `set` of the same
//!   option fails;
//! * `validate()` and `to_json()` agree (same error, or both succeed);
//! * when `to_json` succeeds, the output parses as a JSON object whose values
//!   are all strings, with exactly the expected keys; `src`/`dst` (and
//!   `srcclid`/`dstclid`, voice `dst`/`dstclid`; the voice code's optional
//!   `dstclid` is absent when given as "") are 5–20 ASCII digits and
//!   are the input, or the input minus a `+86`/`0086` prefix; `action`,
//!   `appid`, `credit` and the text options are exactly what was given.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};
use ytx::request::{self, CallbackCall, VoiceCode, CALLBACK_OPTION_NAMES};
use ytx_fuzz::requests::{Credit, Input, Name, Phone, Times, Val};

const PHONES: &[&str] = &[
    "13800138000",
    "01085485069",
    "+8613800138000",
    "008613900139000",
    "95555",
    "12345678901234567890",
    "1234",
    "123456789012345678901",
    "+12025550123",
    "+861085485069",
    "138 0013 8000",
    "１３８００１３８０００",
    "",
];

const VALUES: &[&str] = &[
    "1",
    "0",
    "2",
    "3",
    "4",
    "30",
    "4294967295",
    "4294967296",
    "-5",
    "a.wav",
    "order-42",
    "",
    "a\nb",
    "订单",
    "00",
];

fn phone_text(p: &Phone) -> String {
    match p {
        Phone::Known(i) => PHONES[*i as usize % PHONES.len()].to_string(),
        Phone::Digits(n, p) => {
            let prefix = ["", "+86", "0086", "+", "0"][*p as usize % 5];
            format!("{prefix}{n}")
        }
        Phone::Text(s) => s.0.clone(),
    }
}

fn is_digits_5_20(s: &str) -> bool {
    (5..=20).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

/// `out` is what `phone` made of `raw`: the same digits, or `raw` without a
/// `+86`/`0086` prefix (then an 11-digit mobile).
fn check_normalised(raw: &str, out: &str) {
    assert!(is_digits_5_20(out), "{raw:?} -> {out:?}");
    if raw != out {
        let rest = raw
            .strip_prefix("+86")
            .or_else(|| raw.strip_prefix("0086"))
            .unwrap_or_else(|| panic!("{raw:?} rewritten to {out:?}"));
        assert_eq!(rest, out);
        assert_eq!(out.len(), 11, "{raw:?} -> {out:?}");
    }
}

fn check_error(e: &ytx::Error, allowed: &[&str]) {
    let field = e
        .field()
        .unwrap_or_else(|| panic!("error without a field: {e}"));
    assert!(!field.is_empty(), "error with an empty field: {e:?}");
    assert!(allowed.contains(&field), "unexpected field {field:?}: {e}");
    assert_eq!(
        ytx::ffi::ytx_result::from(e.code()),
        ytx::ffi::ytx_result::YTX_ERR_INVALID_ARGUMENT,
        "{e}"
    );
    assert_eq!(e.delivery(), ytx::Delivery::NotSent);
    let text = e.to_string();
    assert!(text.starts_with(&format!("{field}: ")), "{text}");
    let _ = format!("{e:?}");
}

fn object(json: &str) -> Map<String, Value> {
    let v: Value = serde_json::from_str(json).unwrap_or_else(|e| panic!("not JSON ({e}): {json}"));
    let Value::Object(o) = v else {
        panic!("not a JSON object: {json}")
    };
    for (k, v) in &o {
        assert!(v.is_string(), "{k} is not a string: {json}");
    }
    o
}

fn s<'a>(o: &'a Map<String, Value>, k: &str) -> Option<&'a str> {
    o.get(k).and_then(Value::as_str)
}

fn callback(input: &Input) {
    let src = phone_text(&input.src);
    let dst = phone_text(&input.dst);
    let credit = match input.credit {
        Credit::Direct(c) => c,
        Credit::FromI64(c) => match request::credit_from_i64(c) {
            Ok(v) => {
                assert!(v > 60 && i64::from(v) == c, "{c} -> {v}");
                v
            }
            Err(e) => {
                check_error(&e, &["credit"]);
                assert!(c <= 60 || c > i64::from(u32::MAX), "{c} refused: {e}");
                return;
            }
        },
    };
    let mut call = CallbackCall::new(src.clone(), dst.clone(), credit);
    let mut set_ok: Vec<(String, String)> = Vec::new();
    for (name, val) in input.options.0.iter().take(24) {
        let name = match name {
            Name::Known(i) => {
                CALLBACK_OPTION_NAMES[*i as usize % CALLBACK_OPTION_NAMES.len()].to_string()
            }
            Name::Other(s) => s.0.clone(),
        };
        let value = match val {
            Val::Known(i) => VALUES[*i as usize % VALUES.len()].to_string(),
            Val::Number(n) => n.to_string(),
            Val::Text(s) => s.0.clone(),
        };
        let before = call.clone();
        match call.set(&name, &value) {
            Ok(()) => {
                assert!(
                    CALLBACK_OPTION_NAMES.contains(&name.as_str()),
                    "set accepted {name:?}"
                );
                assert!(
                    !set_ok.iter().any(|(n, _)| *n == name),
                    "{name} accepted twice"
                );
                set_ok.push((name, value));
            }
            Err(e) => {
                // An empty name is reported as "option_name".
                let field = if name.is_empty() {
                    "option_name"
                } else {
                    name.as_str()
                };
                check_error(&e, &[field]);
                assert_eq!(call, before, "a failed set({name:?}) changed the request");
            }
        }
    }

    let fields: Vec<&str> = ["src", "dst", "credit"]
        .into_iter()
        .chain(CALLBACK_OPTION_NAMES)
        .collect();
    let validated = call.validate();
    let json = call.to_json(&input.action.0, &input.app_id.0);
    match (&validated, &json) {
        (Ok(()), Ok(_)) => {}
        // The body's size includes the action and app id (checked by the
        // client's builder, not here): only to_json sees it.
        (Ok(()), Err(b)) if b.field() == Some("body") => {
            check_error(b, &["body"]);
            return;
        }
        (Err(a), Err(b)) => {
            assert_eq!(a, b);
            check_error(a, &fields);
        }
        _ => panic!("validate {validated:?} and to_json {json:?} disagree"),
    }
    let Ok(json) = json else { return };
    let o = object(&json);
    assert_eq!(s(&o, "action"), Some(input.action.0.as_str()));
    assert_eq!(s(&o, "appid"), Some(input.app_id.0.as_str()));
    check_normalised(&src, s(&o, "src").expect("src"));
    check_normalised(&dst, s(&o, "dst").expect("dst"));
    assert!(credit > 60);
    assert_eq!(s(&o, "credit"), Some(credit.to_string().as_str()));
    // Exactly the required keys plus the options that were set.
    assert_eq!(o.len(), 5 + set_ok.len(), "{json}");
    for (name, value) in &set_ok {
        let got = s(&o, name).unwrap_or_else(|| panic!("{name} missing: {json}"));
        match name.as_str() {
            "srcclid" | "dstclid" => check_normalised(value, got),
            "srctimeout" | "dsttimeout" | "srcthreshold" | "dstthreshold" => {
                let n: u32 = got.parse().unwrap_or_else(|_| panic!("{name}={got:?}"));
                assert!(n >= 1);
                assert_eq!(
                    value.parse::<u32>().ok(),
                    Some(n),
                    "{name}: {value:?} -> {got:?}"
                );
            }
            "ringbacktype" => {
                assert!(["1", "2", "3"].contains(&got));
                assert_eq!(got, value);
            }
            "iscallstatuscheck" => {
                assert!(["0", "1"].contains(&got));
                assert_eq!(got, value);
            }
            _ => {
                assert_eq!(got, value);
                assert!(!got.is_empty() && !got.chars().any(char::is_control));
                assert!(
                    got.len() <= ytx::request::MAX_TEXT_FIELD_BYTES,
                    "{name}: {} bytes",
                    got.len()
                );
            }
        }
    }
}

fn voice_code(input: &Input) {
    let times = match input.times {
        Times::Direct(t) => t,
        Times::FromI64(t) => match request::times_from_i64(t) {
            Ok(None) => {
                assert_eq!(t, 0);
                None
            }
            Ok(Some(v)) => {
                assert!((1..=3).contains(&v) && i64::from(v) == t);
                Some(v)
            }
            Err(e) => {
                check_error(&e, &["time"]);
                assert!(!(0..=3).contains(&t));
                return;
            }
        },
    };
    let dst = phone_text(&input.voice_dst);
    let dstclid = phone_text(&input.voice_dstclid);
    let mut vc = VoiceCode::new(dst.clone(), dstclid.clone(), input.code.0.clone());
    vc.times = times;
    let validated = vc.validate();
    let json = vc.to_json(&input.action.0, &input.app_id.0);
    match (&validated, &json) {
        (Ok(()), Ok(_)) => {}
        (Err(a), Err(b)) => {
            assert_eq!(a, b);
            check_error(a, &["dst", "dstclid", "code", "time"]);
        }
        _ => panic!("validate {validated:?} and to_json {json:?} disagree"),
    }
    let Ok(json) = json else { return };
    let o = object(&json);
    assert_eq!(s(&o, "action"), Some(input.action.0.as_str()));
    assert_eq!(s(&o, "appid"), Some(input.app_id.0.as_str()));
    check_normalised(&dst, s(&o, "dst").expect("dst"));
    // dstclid is optional: "" leaves it out of the body, else a number.
    let clid_keys = if dstclid.is_empty() {
        assert_eq!(o.get("dstclid"), None, "{json}");
        0
    } else {
        check_normalised(&dstclid, s(&o, "dstclid").expect("dstclid"));
        1
    };
    let code = s(&o, "code").expect("code");
    assert_eq!(code, input.code.0);
    assert!((1..=19).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_alphanumeric()));
    match times {
        None => assert_eq!(o.len(), 4 + clid_keys, "{json}"),
        Some(t) => {
            assert!((1..=3).contains(&t));
            assert_eq!(s(&o, "time"), Some(t.to_string().as_str()));
            assert_eq!(o.len(), 5 + clid_keys, "{json}");
        }
    }
}

fn phone(input: &Input) {
    let field = if input.phone_field { "srcclid" } else { "dst" };
    let raw = phone_text(&input.src);
    match request::phone(field, &raw) {
        Ok(out) => check_normalised(&raw, &out),
        Err(e) => check_error(&e, &[field]),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some(input) = ytx_fuzz::decode::<Input>(data) else {
        return;
    };
    phone(&input);
    callback(&input);
    voice_code(&input);
});
