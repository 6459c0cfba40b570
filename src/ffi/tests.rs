//! Unit tests of the C ABI from Rust: pointers, strings, the panic boundary
//! and a dry run through the exported functions, with no network (Miri runs
//! them: `ffi::tests` in tests/run-all.sh). The forced-panic tests are in
//! `panic.rs`; the tests over the network are tests/ffi.rs.

use std::ffi::{c_char, CStr};

use super::codes::FfiError;
use super::outcome::Outcome;
use super::panic::boundary;
use super::ptr::str_arg;
use super::*;
use crate::error::Error;

#[test]
fn c_names_are_the_cores() {
    use crate::error::{Delivery, ErrorCode};
    for c in [
        ErrorCode::InvalidArgument,
        ErrorCode::NotSent,
        ErrorCode::OutcomeUnknown,
        ErrorCode::Timeout,
        ErrorCode::HttpStatus,
        ErrorCode::Protocol,
        ErrorCode::Platform,
    ] {
        let r = ytx_result::from(c);
        assert_eq!(r as u32, c.as_u32());
        let name = unsafe { CStr::from_ptr(ytx_result_name(r as u32)) };
        assert_eq!(name.to_str().unwrap(), c.name());
    }
    for d in [Delivery::NotSent, Delivery::Unknown, Delivery::Answered] {
        let name = unsafe { CStr::from_ptr(ytx_delivery_name(ytx_delivery::from(d) as u32)) };
        assert_eq!(name.to_str().unwrap(), d.name());
    }
}

#[test]
fn the_headers_limits_are_the_cores() {
    assert_eq!(
        YTX_MAX_TEXT_FIELD_BYTES,
        crate::request::MAX_TEXT_FIELD_BYTES
    );
    assert_eq!(
        YTX_MAX_REQUEST_BODY_BYTES,
        crate::request::MAX_REQUEST_BODY_BYTES
    );
}

#[test]
fn a_panic_becomes_an_error_code_and_an_outcome() {
    let mut out: *mut ytx_outcome = std::ptr::null_mut();
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {})); // keep the test output clean
    let code = boundary(&mut out, || panic!("boom"));
    std::panic::set_hook(hook);
    assert_eq!(code, ytx_result::YTX_ERR_PANIC);
    assert!(!out.is_null());
    // SAFETY: `out` was just made by `boundary`.
    unsafe {
        assert_eq!(ytx_outcome_result(out), ytx_result::YTX_ERR_PANIC);
        assert_eq!(
            ytx_outcome_delivery(out),
            ytx_delivery::YTX_DELIVERY_UNKNOWN
        );
        let msg = CStr::from_ptr(ytx_outcome_message(out)).to_str().unwrap();
        assert!(msg.contains("internal error"), "{msg}");
        ytx_outcome_free(out);
    }
}

#[test]
fn the_library_keeps_working_after_a_caught_panic() {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let _ = boundary(std::ptr::null_mut(), || panic!("first"));
    std::panic::set_hook(hook);
    assert_eq!(
        boundary(std::ptr::null_mut(), Outcome::nothing_sent),
        ytx_result::YTX_OK
    );
}

#[test]
fn str_arg_names_null_and_bad_utf8() {
    // SAFETY: NULL and a NUL-terminated literal.
    unsafe {
        let e = str_arg(std::ptr::null(), "src").unwrap_err();
        assert_eq!(
            e,
            FfiError::NullArgument {
                field: "src".into()
            }
        );
        let e = str_arg(c"\xff\xfe".as_ptr(), "dst").unwrap_err();
        assert_eq!(
            e,
            FfiError::InvalidUtf8 {
                field: "dst".into()
            }
        );
        assert_eq!(
            str_arg(c"13800138000".as_ptr(), "dst").unwrap(),
            "13800138000"
        );
    }
}

fn c(s: &str) -> std::ffi::CString {
    std::ffi::CString::new(s).unwrap()
}

#[test]
fn dry_run_round_trip_through_the_extern_functions() {
    // No network: client_new + prepare + accessors + frees, so Miri can
    // check every pointer the C ABI hands out and takes back.
    let (sid, token, app) = (
        c("abcdefghijklmnopqrstuvwxyz012345"),
        c("0123456789abcdef0123456789abcdef"),
        c("app1"),
    );
    let (name, value) = (c("base_url"), c("http://127.0.0.1:9"));
    let names = [name.as_ptr()];
    let values = [value.as_ptr()];
    let mut client: *mut ytx_client = std::ptr::null_mut();
    let mut out: *mut ytx_outcome = std::ptr::null_mut();
    // SAFETY: every pointer is valid for the duration of each call.
    unsafe {
        let rc = ytx_client_new(
            sid.as_ptr(),
            token.as_ptr(),
            app.as_ptr(),
            names.as_ptr(),
            values.as_ptr(),
            1,
            &mut client,
            &mut out,
        );
        assert_eq!(rc, ytx_result::YTX_OK);
        ytx_outcome_free(out);
        let (src, dst, parm_name, parm) = (
            c("13800138000"),
            c("13900139000"),
            c("customParm"),
            c("订单"),
        );
        let on = [parm_name.as_ptr()];
        let ov = [parm.as_ptr()];
        let rc = ytx_callback_prepare(
            client,
            src.as_ptr(),
            dst.as_ptr(),
            61,
            on.as_ptr(),
            ov.as_ptr(),
            1,
            &mut out,
        );
        assert_eq!(rc, ytx_result::YTX_OK);
        let body = CStr::from_ptr(ytx_outcome_request_body(out))
            .to_str()
            .unwrap();
        assert!(body.contains(r#""customParm":"订单""#), "{body}");
        let url = CStr::from_ptr(ytx_outcome_request_url(out))
            .to_str()
            .unwrap();
        assert!(url.starts_with("http://127.0.0.1:9/201512/sid/abcdefghijklmnopqrstuvwxyz012345/call/DailbackCall.wx?Sign="));
        ytx_outcome_free(out);
        let rc = ytx_voice_code_prepare(
            client,
            src.as_ptr(),
            dst.as_ptr(),
            std::ptr::null(),
            0,
            &mut out,
        );
        assert_eq!(rc, ytx_result::YTX_ERR_NULL_ARGUMENT);
        assert_eq!(
            CStr::from_ptr(ytx_outcome_field(out)).to_str().unwrap(),
            "code"
        );
        ytx_outcome_free(out);
        assert_eq!(ytx_free(client), ytx_result::YTX_OK);
        // Freed and foreign handles are detected, never dereferenced.
        assert_eq!(ytx_free(client), ytx_result::YTX_ERR_INVALID_HANDLE);
        let rc = ytx_voice_code_prepare(
            client,
            src.as_ptr(),
            dst.as_ptr(),
            src.as_ptr(),
            0,
            std::ptr::null_mut(),
        );
        assert_eq!(rc, ytx_result::YTX_ERR_INVALID_HANDLE);
        let foreign = 0xdead_beef_usize as *mut ytx_client;
        assert_eq!(ytx_free(foreign), ytx_result::YTX_ERR_INVALID_HANDLE);
    }
}

#[test]
fn outcome_strings_survive_interior_nul() {
    let o = ytx_outcome::from(Outcome::error(FfiError::from(Error::Platform {
        status_code: "-4".into(),
        status_msg: "bad\0msg".into(),
        request_id: String::new(),
    })));
    assert_eq!(o.status_msg_for_test(), "bad\u{FFFD}msg");
}

/// `ytx_outcome_view_of` fills the view with what each accessor returns,
/// the same pointers, for an answer, a platform refusal (-104: retry-safe
/// after 1000 ms), an argument error, a failure before sending, an unknown
/// outcome and an HTTP status; NULLs write nothing.
#[test]
fn the_view_of_an_outcome_is_its_accessors() {
    let answered = Outcome::sent(
        None,
        Ok(Some(crate::response::Response {
            status_code: "0".into(),
            status_msg: "成功".into(),
            request_id: "20160100000002050000000000001".into(),
        })),
    );
    let refused = Outcome::error(FfiError::from(Error::Platform {
        status_code: "-104".into(),
        status_msg: "too fast".into(),
        request_id: "7".into(),
    }));
    let invalid = Outcome::error(FfiError::from(Error::invalid("credit", "must be > 60")));
    let not_sent = Outcome::error(FfiError::from(Error::not_sent("refused")));
    let unknown = Outcome::error(FfiError::from(Error::outcome_unknown("reset")));
    let http = Outcome::error(FfiError::from(Error::HttpStatus {
        status: 502,
        body_start: "bad gateway".into(),
        ticket: None,
    }));
    let mut seen = Vec::new();
    for o in [answered, refused, invalid, not_sent, unknown, http] {
        let o = ytx_outcome::from(o);
        let p: *const ytx_outcome = &o;
        let mut v = std::mem::MaybeUninit::<ytx_outcome_view>::uninit();
        // SAFETY: `p` is a live outcome, `v` room for one view.
        unsafe {
            assert_eq!(ytx_outcome_view_of(p, v.as_mut_ptr()), ytx_result::YTX_OK);
            let v = v.assume_init();
            assert_eq!(v.result, ytx_outcome_result(p));
            assert_eq!(v.delivery, ytx_outcome_delivery(p));
            assert_eq!(v.retry_safe, ytx_outcome_retry_safe(p));
            assert_eq!(v.retry_after_ms, ytx_outcome_retry_after_ms(p));
            assert_eq!(v.http_status, ytx_outcome_http_status(p));
            assert_eq!(v.message, ytx_outcome_message(p));
            assert_eq!(v.field, ytx_outcome_field(p));
            assert_eq!(v.status_code, ytx_outcome_status_code(p));
            assert_eq!(v.status_msg, ytx_outcome_status_msg(p));
            assert_eq!(v.request_id, ytx_outcome_request_id(p));
            assert_eq!(v.ticket, ytx_outcome_ticket(p));
            seen.push((
                v.result as u32,
                v.delivery as u32,
                v.retry_safe,
                v.retry_after_ms,
                v.http_status,
                text(v.status_code).to_owned(),
                text(v.field).to_owned(),
            ));
            for s in [v.message, v.status_msg, v.request_id, v.ticket] {
                text(s); // never NULL, UTF-8
            }
        }
    }
    assert_eq!(
        seen,
        [
            (0, 2, false, 0, 200, "0", ""),
            (20, 2, true, 1000, 200, "-104", ""),
            (3, 0, false, 0, 0, "", "credit"),
            (10, 0, true, 0, 0, "", ""),
            (11, 1, false, 0, 0, "", ""),
            (13, 1, false, 0, 502, "", ""),
        ]
        .map(|(r, d, safe, ms, http, code, field)| {
            (r, d, safe, ms, http, code.to_owned(), field.to_owned())
        })
    );
    // SAFETY: NULL outcome / NULL view: nothing is read or written.
    unsafe {
        let o = ytx_outcome::from(Outcome::nothing_sent());
        let mut v = std::mem::MaybeUninit::<ytx_outcome_view>::zeroed();
        assert_eq!(
            ytx_outcome_view_of(std::ptr::null(), v.as_mut_ptr()),
            ytx_result::YTX_ERR_NULL_ARGUMENT
        );
        assert!(v.assume_init().message.is_null(), "nothing written");
        assert_eq!(
            ytx_outcome_view_of(&o, std::ptr::null_mut()),
            ytx_result::YTX_ERR_NULL_ARGUMENT
        );
    }
}

unsafe fn text<'a>(p: *const c_char) -> &'a str {
    assert!(!p.is_null());
    CStr::from_ptr(p).to_str().unwrap()
}

/// The texts a push hands out borrow from the parsed value: they stay
/// valid while the push lives, also after its records moved into place.
#[test]
fn texts_borrow_from_the_parsed_push() {
    let body = br#"{"cdr":[{"requestid":"1","oriamount":0.31,"x":"a\u0000b","x":"last"},{"requestid":"2","tapesurl":"NoTapes"}]}"#;
    let mut p = std::ptr::null_mut();
    unsafe {
        let rc = ytx_push_parse_routed(
            body.as_ptr(),
            body.len(),
            c"/p?Call".as_ptr(),
            &mut p,
            std::ptr::null_mut(),
        );
        assert_eq!(rc, ytx_result::YTX_OK);
        let list = ytx_push_records(p);
        assert_eq!(ytx_records_count(list), 2);
        let r = ytx_records_get(list, 0);
        assert_eq!(text(ytx_record_request_id(r)), "1");
        assert_eq!(text(ytx_record_amount_text(r)), "0.31");
        assert_eq!(text(ytx_record_field(r, c"x".as_ptr())), "last");
        assert_eq!(ytx_record_field_count(r), 3);
        assert_eq!(text(ytx_record_field_name(r, 2)), "x");
        assert!(ytx_record_field(r, c"nope".as_ptr()).is_null());
        let r = ytx_records_get(list, 1);
        assert_eq!(text(ytx_record_request_id(r)), "2");
        assert_eq!(text(ytx_record_recording_url(r)), "");
        assert_eq!(text(ytx_record_custom_parm(r)), "");
        ytx_push_free(p);

        let body = br#"{"requestid":"9","dsc":"138","state":"hold","z":"\ud800"}"#;
        let rc = ytx_push_parse(body.as_ptr(), body.len(), &mut p, std::ptr::null_mut());
        assert_eq!(rc, ytx_result::YTX_OK);
        assert_eq!(text(ytx_push_request_id(p)), "9");
        assert_eq!(text(ytx_push_number(p)), "138");
        assert_eq!(text(ytx_push_state_text(p)), "hold");
        assert_eq!(text(ytx_push_timestamp(p)), "");
        assert_eq!(text(ytx_push_field(p, c"z".as_ptr())), "\u{FFFD}");
        assert_eq!(text(ytx_push_field_value(p, 3)), "\u{FFFD}");
        ytx_push_free(p);

        // Routed by the key: a record push body on ?CallState is refused.
        let body = br#"{"cdr":[]}"#;
        let rc = ytx_push_parse_routed(
            body.as_ptr(),
            body.len(),
            c"CallState".as_ptr(),
            &mut p,
            std::ptr::null_mut(),
        );
        assert_eq!(rc, ytx_result::YTX_ERR_PROTOCOL);
        assert!(p.is_null());
    }
}

/// `ytx_push_view_of` fills the view with what each accessor returns, the
/// same pointers, for a state push and a record push; NULLs write nothing.
#[test]
fn the_view_of_a_push_is_its_accessors() {
    let state = br#"{"requestid":"9","dsc":"138","state":"answer","stateDesc":"ok","timestamp":"2020-04-28 14:51:37","z":"1"}"#;
    let records = br#"{"cdr":[{"requestid":"1"}]}"#;
    for (body, kind, fields) in [
        (&state[..], ytx_push_kind::YTX_PUSH_STATE, 6),
        (&records[..], ytx_push_kind::YTX_PUSH_RECORDS, 0),
    ] {
        let mut p = std::ptr::null_mut();
        // SAFETY: `p` is made by the parse and freed at the end.
        unsafe {
            let rc = ytx_push_parse(body.as_ptr(), body.len(), &mut p, std::ptr::null_mut());
            assert_eq!(rc, ytx_result::YTX_OK);
            let mut v = std::mem::MaybeUninit::<ytx_push_view>::uninit();
            assert_eq!(ytx_push_view_of(p, v.as_mut_ptr()), ytx_result::YTX_OK);
            let v = v.assume_init();
            assert_eq!(v.kind, kind);
            assert_eq!(v.kind, ytx_push_kind_of(p));
            assert_eq!(v.state, ytx_push_state(p));
            let mut unix = 0i64;
            assert_eq!(v.has_timestamp_unix, ytx_push_timestamp_unix(p, &mut unix));
            assert_eq!(v.timestamp_unix, unix);
            assert_eq!(v.request_id, ytx_push_request_id(p));
            assert_eq!(v.number, ytx_push_number(p));
            assert_eq!(v.state_text, ytx_push_state_text(p));
            assert_eq!(v.state_desc, ytx_push_state_desc(p));
            assert_eq!(v.timestamp, ytx_push_timestamp(p));
            assert_eq!(v.field_count, fields);
            assert_eq!(v.field_count, ytx_push_field_count(p));
            for i in 0..v.field_count {
                assert_eq!(*v.field_names.add(i), ytx_push_field_name(p, i));
                assert_eq!(*v.field_values.add(i), ytx_push_field_value(p, i));
            }
            if fields == 0 {
                assert!(v.field_names.is_null() && v.field_values.is_null());
            } else {
                assert_eq!(text(*v.field_names.add(5)), "z");
                assert_eq!(v.timestamp_unix, 1_588_056_697);
                assert_eq!(v.state, ytx_call_state::YTX_CALL_STATE_ANSWER);
            }
            let mut w = std::mem::MaybeUninit::<ytx_push_view>::zeroed();
            assert_eq!(
                ytx_push_view_of(std::ptr::null(), w.as_mut_ptr()),
                ytx_result::YTX_ERR_NULL_ARGUMENT
            );
            assert!(w.assume_init().request_id.is_null(), "nothing written");
            assert_eq!(
                ytx_push_view_of(p, std::ptr::null_mut()),
                ytx_result::YTX_ERR_NULL_ARGUMENT
            );
            ytx_push_free(p);
        }
    }
}

/// The outcome's strings are made on first access (any thread) and kept:
/// threads reading one outcome at once all get the same pointers, a second
/// read gives the first one again, and the texts are those of the request.
#[test]
fn outcome_strings_are_made_once_and_shared_between_threads() {
    type Accessor = unsafe extern "C" fn(*const ytx_outcome) -> *const c_char;
    const ACCESSORS: [Accessor; 11] = [
        ytx_outcome_message,
        ytx_outcome_field,
        ytx_outcome_status_code,
        ytx_outcome_status_msg,
        ytx_outcome_request_id,
        ytx_outcome_request_method,
        ytx_outcome_request_url,
        ytx_outcome_request_url_redacted,
        ytx_outcome_request_headers,
        ytx_outcome_request_body,
        ytx_outcome_ticket,
    ];
    let client = crate::Client::builder("sid", "token", "app")
        .build()
        .unwrap();
    let req = client
        .sign_callback_call(&crate::CallbackCall::new("13800138000", "13900139000", 61))
        .unwrap();
    let (url, body) = (req.url.clone(), req.body.clone());
    let authorization = req.headers()[2].1.to_string();
    /// A pointer as C threads pass it around.
    #[derive(PartialEq, Debug)]
    struct Shared<T>(*const T);
    impl<T> Clone for Shared<T> {
        fn clone(&self) -> Self {
            *self
        }
    }
    impl<T> Copy for Shared<T> {}
    // SAFETY: an outcome and its strings may be read from any thread (the
    // outcome's documentation).
    unsafe impl<T> Send for Shared<T> {}
    let o = ytx_outcome::from(Outcome::prepared(req));
    let shared = Shared(&o);
    let read_all = move || -> Vec<Shared<c_char>> {
        let o = { shared }.0; // the whole Shared moves in, not its field
                              // SAFETY: the outcome outlives the scope the threads run in.
        ACCESSORS.iter().map(|f| Shared(unsafe { f(o) })).collect()
    };
    let seen: Vec<Vec<Shared<c_char>>> = std::thread::scope(|s| {
        let threads: Vec<_> = (0..4).map(|_| s.spawn(read_all)).collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });
    assert!(seen.iter().all(|p| *p == seen[0]), "{seen:?}");
    assert_eq!(read_all(), seen[0]);
    // SAFETY: the accessors' strings live as long as `o`.
    let text = |i: usize| unsafe { CStr::from_ptr(seen[0][i].0) }.to_str().unwrap();
    assert_eq!([text(0), text(1), text(2), text(3), text(4)], [""; 5]);
    assert_eq!(text(5), "POST");
    assert_eq!(text(6), url);
    assert_eq!(
        text(7),
        format!("{}?Sign=<redacted>", &url[..url.find('?').unwrap()])
    );
    assert_eq!(
        text(8),
        format!(
            "Accept: application/json\nContent-Type: application/json;charset=utf-8\nAuthorization: {authorization}\n"
        )
    );
    assert_eq!(text(9), body);
    assert_eq!(text(10), "");
}
