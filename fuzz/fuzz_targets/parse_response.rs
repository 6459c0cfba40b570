//! `ytx::parse_response` on arbitrary bytes (an HTTP 200 answer body).
//!
//! Invariants:
//! * it never panics;
//! * `Ok` only when the body is a UTF-8 JSON *object* (after one optional
//!   leading byte-order mark) whose `statusCode` is the
//!   string `"0"`; the response's fields are the object's `statusMsg` /
//!   `requestId` strings (empty when absent or null);
//! * on `Err` the code is `YTX_ERR_PROTOCOL` or `YTX_ERR_PLATFORM`; a platform
//!   error comes only from an object whose `statusCode` is a non-empty string
//!   other than `"0"`, and carries that code; `Display` and `Debug` work and
//!   are not empty; `delivery()` matches the code.
//!
//! The oracle is an independent parse into a map of raw JSON values.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;

use serde_json::value::RawValue;
use serde_json::{Map, Value};
use ytx::ffi::{ytx_delivery, ytx_result};
use ytx::parse_response;

/// What the library should report for an optional string field.
fn optional_string(o: &Map<String, Value>, key: &str) -> Option<String> {
    match o.get(key) {
        None | Some(Value::Null) => Some(String::new()),
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => None, // wrong type: must be a protocol error
    }
}

/// The oracle's view of the body: `Some(map)` iff it is a UTF-8 JSON object.
/// Values stay raw (checked the way serde_json checks an ignored value, as
/// the library does for unknown fields: e.g. a lone surrogate escape or
/// `1e400` there is accepted by both); the three fields the library reads
/// are then parsed fully, as the library does.
fn oracle(data: &[u8]) -> Option<Map<String, Value>> {
    // One leading UTF-8 byte-order mark is skipped (.NET servers send one).
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    let text = std::str::from_utf8(data).ok()?;
    let raw: BTreeMap<String, Box<RawValue>> = serde_json::from_str(text).ok()?;
    let mut o = Map::new();
    for key in ["statusCode", "statusMsg", "requestId"] {
        if let Some(r) = raw.get(key) {
            // Unparseable here means the library must fail too: mark it with
            // a value of the wrong type.
            let v = serde_json::from_str(r.get()).unwrap_or(Value::Bool(false));
            o.insert(key.to_string(), v);
        }
    }
    Some(o)
}

fuzz_target!(|data: &[u8]| {
    let got = parse_response(data);

    let object = oracle(data);
    let object = object.as_ref();
    let shown = || String::from_utf8_lossy(data).into_owned();

    match got {
        Ok(r) => {
            let o = object.unwrap_or_else(|| {
                panic!(
                    "Ok for an answer that is not a UTF-8 JSON object: {:?}",
                    shown()
                )
            });
            assert_eq!(
                o.get("statusCode"),
                Some(&Value::String("0".into())),
                "Ok without statusCode \"0\": {:?}",
                shown()
            );
            assert_eq!(r.status_code, "0");
            assert_eq!(
                Some(&r.status_msg),
                optional_string(o, "statusMsg").as_ref()
            );
            assert_eq!(
                Some(&r.request_id),
                optional_string(o, "requestId").as_ref()
            );
        }
        Err(e) => {
            let code = ytx::ffi::ytx_result::from(e.code());
            let display = e.to_string();
            let debug = format!("{e:?}");
            assert!(!display.is_empty() && !debug.is_empty());
            assert_eq!(
                e.field(),
                None,
                "a parse error is not about a field: {display}"
            );
            match code {
                ytx_result::YTX_ERR_PROTOCOL => {
                    assert_eq!(
                        ytx::ffi::ytx_delivery::from(e.delivery()),
                        ytx_delivery::YTX_DELIVERY_UNKNOWN
                    );
                    assert_eq!(e.status_code(), None);
                }
                ytx_result::YTX_ERR_PLATFORM => {
                    assert_eq!(
                        ytx::ffi::ytx_delivery::from(e.delivery()),
                        ytx_delivery::YTX_DELIVERY_ANSWERED
                    );
                    let o = object.unwrap_or_else(|| {
                        panic!("platform error for a non-object answer: {:?}", shown())
                    });
                    let sc = o
                        .get("statusCode")
                        .and_then(Value::as_str)
                        .unwrap_or_else(|| {
                            panic!("platform error without a string statusCode: {:?}", shown())
                        });
                    assert!(!sc.is_empty() && sc != "0", "{:?}", shown());
                    assert_eq!(e.status_code(), Some(sc));
                    assert!(display.contains(sc), "{display}");
                    // The other two fields must have been strings (or absent/null).
                    assert!(optional_string(o, "statusMsg").is_some(), "{:?}", shown());
                    assert!(optional_string(o, "requestId").is_some(), "{:?}", shown());
                }
                other => panic!("unexpected code {other:?} for {:?}: {display}", shown()),
            }
        }
    }
});
