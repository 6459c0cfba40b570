//! `ytx::parse_push` (and the C ABI's `ytx_push_parse`) on arbitrary bytes:
//! the body of a POST to the app's callback URL, which anyone who can reach
//! the receiver can send.
//!
//! Invariants:
//! * neither panics, and both agree (same success, same requestIds, same
//!   record count, same field texts);
//! * `Ok` only for a UTF-8 JSON *object* (a leading BOM allowed): a record
//!   push iff the object has `cdr`, which is then an array of objects with as
//!   many records; otherwise a state push, which has `state` and a non-empty
//!   requestid; the state's text is the object's `state` text;
//! * every record field is reachable by its wire name with the text the
//!   oracle finds; an amount, when parsed, is the `oriamount` text and its
//!   fen are that text's value; a duration, when parsed, is that text;
//! * `Err` is always a protocol error with a message.
//!
//! The oracle is an independent parse into maps of raw JSON values.
#![no_main]

use std::collections::BTreeMap;
use std::ffi::CStr;

use libfuzzer_sys::fuzz_target;
use serde_json::value::RawValue;
use ytx::ffi::*;
use ytx::{parse_push, Push};

type Raw = BTreeMap<String, Box<RawValue>>;

/// A raw value's text as the library documents it (`record::Fields`: a NUL
/// character reads as U+FFFD, in every language).
fn text(v: &RawValue) -> Option<String> {
    let raw = v.get();
    match raw.as_bytes()[0] {
        b'"' => serde_json::from_str::<String>(raw)
            .ok()
            .map(|s| s.replace('\0', "\u{FFFD}")),
        b'n' => Some(String::new()),
        _ => Some(raw.to_string()),
    }
}

/// A key read as the library reads a field name (`record::Fields`):
/// leniently, from its unescaped bytes, so that a raw control character or
/// an escaped lone surrogate does not make the push unreadable; NUL and
/// what is not UTF-8 read as U+FFFD (a surrogate may give more than one
/// here: keys with U+FFFD are not compared).
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Key(String);

impl<'de> serde::Deserialize<'de> for Key {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Key;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a key")
            }
            fn visit_bytes<E>(self, v: &[u8]) -> Result<Key, E> {
                Ok(Key(String::from_utf8_lossy(v).replace('\0', "\u{FFFD}")))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key, E> {
                Ok(Key(v.replace('\0', "\u{FFFD}")))
            }
        }
        d.deserialize_bytes(V)
    }
}

fn oracle(data: &[u8]) -> Option<Raw> {
    let s = std::str::from_utf8(data).ok()?;
    let s = s.strip_prefix('\u{feff}').unwrap_or(s);
    let map: BTreeMap<Key, Box<RawValue>> = serde_json::from_str(s).ok()?;
    Some(map.into_iter().map(|(k, v)| (k.0, v)).collect())
}

fn c(p: *const std::ffi::c_char) -> String {
    assert!(!p.is_null());
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

fn check_fields(raw: &Raw, get: impl Fn(&str) -> Option<String>) {
    for (k, v) in raw {
        if let Some(t) = text(v) {
            if !t.contains('\0') && !k.contains('\u{FFFD}') {
                assert_eq!(get(k).as_deref(), Some(t.as_str()), "field {k}");
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() > 64 * 1024 {
        return;
    }
    let got = parse_push(data);

    // The C ABI on the same bytes.
    let mut push: *mut ytx_push = std::ptr::null_mut();
    let mut outcome: *mut ytx_outcome = std::ptr::null_mut();
    let rc = unsafe { ytx_push_parse(data.as_ptr(), data.len(), &mut push, &mut outcome) };
    assert!(!outcome.is_null());
    unsafe {
        assert_eq!(ytx_outcome_result(outcome), rc);
        ytx_outcome_free(outcome);
    }
    assert_eq!(rc == ytx_result::YTX_OK, got.is_ok(), "C and Rust disagree");
    assert_eq!(rc == ytx_result::YTX_OK, !push.is_null());

    let object = oracle(data);
    match got {
        Err(e) => {
            assert_eq!(
                ytx::ffi::ytx_result::from(e.code()),
                ytx_result::YTX_ERR_PROTOCOL,
                "{e:?}"
            );
            assert!(!e.to_string().is_empty());
            assert_eq!(rc, ytx_result::YTX_ERR_PROTOCOL);
        }
        Ok(Push::Records(records)) => {
            let o = object.expect("Ok only for a JSON object");
            let cdr = o.get("cdr").expect("a record push has cdr");
            let items: Vec<Box<RawValue>> =
                serde_json::from_str(cdr.get()).expect("cdr is an array");
            assert_eq!(items.len(), records.len());
            let list = unsafe { ytx_push_records(push) };
            assert_eq!(
                unsafe { ytx_push_kind_of(push) },
                ytx_push_kind::YTX_PUSH_RECORDS
            );
            assert_eq!(unsafe { ytx_records_count(list) }, records.len());
            for (i, (item, r)) in items.iter().zip(&records).enumerate() {
                let raw: Raw = serde_json::from_str(item.get()).expect("each record is an object");
                check_fields(&raw, |k| r.get(k).map(str::to_string));
                let cr = unsafe { ytx_records_get(list, i) };
                assert!(!cr.is_null());
                check_fields(&raw, |k| {
                    let name = std::ffi::CString::new(k).ok()?;
                    let p = unsafe { ytx_record_field(cr, name.as_ptr()) };
                    (!p.is_null()).then(|| c(p))
                });
                if !r.request_id().contains('\0') {
                    assert_eq!(c(unsafe { ytx_record_request_id(cr) }), r.request_id());
                }
                if let Some(a) = r.amount() {
                    assert_eq!(r.get("oriamount"), Some(a.text()));
                    let v: f64 = a.text().parse().expect("an amount is a decimal");
                    assert!((v * 100.0 - a.fen() as f64).abs() < 1.0 + v.abs() * 1e-9);
                    let mut fen = 0i64;
                    assert_eq!(unsafe { ytx_record_amount_fen(cr, &mut fen) }, 1);
                    assert_eq!(fen, a.fen());
                }
                if let Some(d) = r.duration() {
                    let t = r.get("duration").unwrap();
                    assert!(t == d.to_string() || t == format!("{d}.0"), "{t} vs {d}");
                }
                let _ = (r.caller_answered(), r.time("etime"), r.recording_url());
            }
        }
        Ok(Push::State(s)) => {
            let o = object.expect("Ok only for a JSON object");
            assert!(!o.contains_key("cdr"));
            assert!(!s.request_id().is_empty());
            let state = o.get("state").and_then(|v| text(v)).expect("has a state");
            assert_eq!(s.state().as_str(), state);
            check_fields(&o, |k| s.get(k).map(str::to_string));
            assert_eq!(
                unsafe { ytx_push_kind_of(push) },
                ytx_push_kind::YTX_PUSH_STATE
            );
            if !state.contains('\0') {
                assert_eq!(c(unsafe { ytx_push_state_text(push) }), state);
            }
            if !s.request_id().contains('\0') {
                assert_eq!(c(unsafe { ytx_push_request_id(push) }), s.request_id());
            }
            let mut t = 0i64;
            let parsed = unsafe { ytx_push_timestamp_unix(push, &mut t) } == 1;
            assert_eq!(parsed, s.timestamp().is_some());
            assert_eq!(unsafe { ytx_push_field_count(push) }, s.fields().len());
        }
    }
    unsafe { ytx_push_free(push) };
});
