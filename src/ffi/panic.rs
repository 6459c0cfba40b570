//! The panic boundary of every exported function.
//!
//! A Rust panic must never unwind into C: since Rust 1.81 it aborts the
//! process (a call center's dialer, with every call in flight). So the body
//! of every `#[no_mangle]` function runs inside [`ffi_boundary!`], which
//! catches the panic and returns the fallback of the function's return type
//! ([`OnPanic`]): `YTX_ERR_PANIC` for a `ytx_result`, `YTX_DELIVERY_UNKNOWN`
//! for a delivery (a bug never says "safe to retry"), `""` for a string,
//! NULL for any other pointer, 0 for a number. A function whose 0 would be a
//! lie names its own fallback (`on_panic = -1;`). The caught panic is logged
//! at ERROR through the log callback.
//!
//! The macro wraps the body, not the function, so cbindgen still sees every
//! signature. An object file whose functions return its own enum or
//! pointer type gives its fallback with `on_panic!` (e.g. `push.rs`). A unit test (`every_export_is_behind_the_boundary`) checks that
//! each `#[no_mangle]` function's body is one `ffi_boundary!`, and another
//! forces a panic inside each export (`test_hook`) to show the fallback.

use std::any::Any;
use std::ffi::c_char;
use std::panic::{catch_unwind, AssertUnwindSafe};

use super::codes::{ytx_delivery, ytx_result, FfiError};
use super::outcome::{ytx_outcome, Outcome};
use super::ptr::{self, EMPTY};

/// The value an exported function returns when its body panicked.
pub(crate) trait OnPanic {
    fn on_panic() -> Self;
}

/// `impl OnPanic` for each type listed, with its fallback:
/// `on_panic!(T => value, ...)`. An object file lists its own return types
/// (e.g. `push.rs`: `ytx_push_kind => YTX_PUSH_NONE`).
macro_rules! on_panic {
    ($($t:ty => $fallback:expr),* $(,)?) => {$(
        impl $crate::ffi::panic::OnPanic for $t {
            fn on_panic() -> Self {
                $fallback
            }
        }
    )*};
}
pub(crate) use on_panic;

on_panic!(
    ytx_result => ytx_result::YTX_ERR_PANIC,
    // Never "not sent": a bug may have struck after the request was written.
    ytx_delivery => ytx_delivery::YTX_DELIVERY_UNKNOWN,
    // "", static: many string accessors promise never to return NULL, and
    // "" is harmless where NULL is allowed.
    *const c_char => EMPTY,
    // Numbers: 0 (and `()` for functions that return nothing).
    () => (),
    u16 => 0,
    u32 => 0,
    u64 => 0,
    usize => 0,
    i32 => 0,
    i64 => 0,
);

/// Run the body of an exported function behind the panic boundary.
///
/// - `ffi_boundary! { body }` returns the body's value, or the return type's
///   [`OnPanic`] value if it panicked;
/// - `ffi_boundary! { on_panic = v; body }` returns `v` instead;
/// - `ffi_boundary! { outcome_out = p; body }`, for the functions that make
///   a `ytx_outcome`: the body gives an `Outcome`; a panic becomes one with
///   `YTX_ERR_PANIC`; either is stored in `*p` (unless `p` is NULL) and its
///   result code returned.
///
/// A `return` in the body returns from the body.
macro_rules! ffi_boundary {
    (outcome_out = $out:expr; $($body:tt)*) => {
        $crate::ffi::panic::ffi_boundary! {
            @catch on_panic = $crate::ffi::panic::OnPanic::on_panic();
            $crate::ffi::panic::boundary($out, || { $($body)* })
        }
    };
    (on_panic = $fallback:expr; $($body:tt)*) => {
        $crate::ffi::panic::ffi_boundary! {
            @catch on_panic = $fallback;
            #[cfg(test)]
            $crate::ffi::panic::test_hook::check();
            $($body)*
        }
    };
    (@catch on_panic = $fallback:expr; $($body:tt)*) => {
        match ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(|| {
            $($body)*
        })) {
            Ok(value) => value,
            Err(payload) => {
                $crate::ffi::panic::caught(payload);
                $fallback
            }
        }
    };
    ($($body:tt)*) => {
        $crate::ffi::panic::ffi_boundary! {
            on_panic = $crate::ffi::panic::OnPanic::on_panic();
            $($body)*
        }
    };
}
pub(crate) use ffi_boundary;

/// Run `body` behind the panic boundary and hand its outcome to the caller
/// (the `outcome_out = p;` form of `ffi_boundary!`).
///
/// The outcome is stored in `*outcome_out` when that pointer is not NULL
/// (the caller then owns it and frees it with `ytx_outcome_free`); its result
/// code is returned either way.
pub(crate) fn boundary(
    outcome_out: *mut *mut ytx_outcome,
    body: impl FnOnce() -> Outcome,
) -> ytx_result {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        #[cfg(test)]
        test_hook::check();
        body()
    }))
    .unwrap_or_else(|payload| {
        caught(payload);
        Outcome::error(FfiError::Panic)
    });
    let code = outcome.result();
    // SAFETY: the caller passes either NULL or a pointer to writable
    // storage for one `ytx_outcome *` (documented on every function).
    unsafe { ptr::set_boxed_mut_ptr(outcome_out, || Some(ytx_outcome::from(outcome))) };
    code
}

/// Report a caught panic at ERROR and drop its payload, neither of which may
/// unwind out of the boundary.
#[cold]
pub(crate) fn caught(payload: Box<dyn Any + Send>) {
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        crate::log::log(crate::log::LogLevel::Error, || {
            format!("internal error caught at the C boundary (a bug; please report it): {what}")
        });
    }));
}

/// Tests only: make the next exported function called on this thread panic
/// inside its boundary, as a bug in its body would.
#[cfg(test)]
pub(crate) mod test_hook {
    use std::cell::Cell;

    thread_local! {
        static ARMED: Cell<bool> = const { Cell::new(false) };
    }

    pub(crate) fn arm() {
        ARMED.with(|a| a.set(true));
    }

    pub(crate) fn check() {
        if ARMED.with(|a| a.replace(false)) {
            panic!("forced by the test hook");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::ffi::{c_char, CStr};
    use std::ptr::{null, null_mut};

    use super::super::*;
    use super::test_hook;

    /// Every file of src/ (relative path, text), read at test time so that a
    /// new file is checked too.
    fn sources() -> Vec<(String, String)> {
        fn walk(dir: &std::path::Path, root: &std::path::Path, out: &mut Vec<(String, String)>) {
            for entry in std::fs::read_dir(dir).expect("src/ is readable") {
                let path = entry.expect("a directory entry").path();
                if path.is_dir() {
                    walk(&path, root, out);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let rel = path.strip_prefix(root).unwrap().display().to_string();
                    out.push((rel, std::fs::read_to_string(&path).unwrap()));
                }
            }
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut out = Vec::new();
        walk(&root.join("src"), root, &mut out);
        out
    }

    /// The index of the `}` that closes the `{` at `open`, skipping string
    /// literals and line comments.
    fn closing(text: &[u8], open: usize) -> usize {
        let (mut depth, mut i) = (0usize, open);
        while i < text.len() {
            match text[i] {
                b'"' => {
                    i += 1;
                    while text[i] != b'"' {
                        i += if text[i] == b'\\' { 2 } else { 1 };
                    }
                }
                b'/' if text.get(i + 1) == Some(&b'/') => {
                    while text[i] != b'\n' {
                        i += 1;
                    }
                }
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        return i;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        panic!("unbalanced braces");
    }

    /// The names of the `#[no_mangle]` functions whose whole body is one
    /// `ffi_boundary! { ... }`, and a complaint for each other export.
    fn exports() -> (Vec<String>, Vec<String>) {
        let (mut good, mut bad) = (Vec::new(), Vec::new());
        for (path, text) in sources() {
            let attributes = text.lines().scan(0, |offset, line| {
                let at = *offset;
                *offset += line.len() + 1;
                Some((at, line.trim()))
            });
            let exported = attributes
                .filter(|(_, l)| *l == "#[no_mangle]" || *l == "#[unsafe(no_mangle)]")
                .map(|(at, _)| at)
                .collect::<Vec<_>>();
            for at in exported {
                let fn_at = at + text[at..].find("fn ").expect("an fn after #[no_mangle]");
                let name: String = text[fn_at + 3..]
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !path.starts_with("src/ffi/") {
                    bad.push(format!("{path}: {name} is exported outside src/ffi"));
                    continue;
                }
                let open = fn_at + text[fn_at..].find('{').expect("a body");
                let close = closing(text.as_bytes(), open);
                let body = text[open + 1..close].trim();
                let whole = body.strip_prefix("ffi_boundary! {").is_some_and(|rest| {
                    let inner = open + 1 + text[open + 1..].find('{').unwrap();
                    closing(text.as_bytes(), inner) + 1
                        == open + 1 + text[open + 1..close].trim_end().len()
                        && rest.trim_end().ends_with('}')
                });
                if whole {
                    good.push(name);
                } else {
                    bad.push(format!(
                        "{path}: {name}'s body is not one ffi_boundary! {{ ... }}"
                    ));
                }
            }
        }
        (good, bad)
    }

    #[test]
    fn every_export_is_behind_the_boundary() {
        let (good, bad) = exports();
        assert!(bad.is_empty(), "{bad:#?}");
        // The header declares exactly these functions: none is missed.
        let header = include_str!("../../include/ytx.h");
        let mut declared: Vec<&str> = header
            .lines()
            .filter(|l| !l.trim_start().starts_with('*') && !l.trim_start().starts_with("/*"))
            .flat_map(|l| l.split('(').rev().skip(1))
            .filter_map(|before| {
                let at = before.rfind(|c: char| !(c.is_alphanumeric() || c == '_'));
                Some(&before[at.map_or(0, |i| i + 1)..]).filter(|n| n.starts_with("ytx_"))
            })
            .collect();
        declared.sort();
        let mut exported: Vec<&str> = good.iter().map(String::as_str).collect();
        exported.sort();
        assert_eq!(exported, declared);
        assert!(good.len() >= 81, "found only {} exports", good.len());
    }

    fn quiet<T>(f: impl FnOnce() -> T) -> T {
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let r = f();
        std::panic::set_hook(hook);
        r
    }

    fn text(p: *const c_char) -> &'static str {
        assert!(!p.is_null(), "a string fallback is never NULL");
        // SAFETY: fallbacks are static strings.
        unsafe { CStr::from_ptr(p) }.to_str().unwrap()
    }

    #[test]
    fn a_panic_in_any_export_returns_its_fallback() {
        let mut called: Vec<&str> = Vec::new();
        macro_rules! forced {
            ($name:ident($($arg:expr),*) => $check:expr) => {{
                test_hook::arm();
                // SAFETY: the forced panic comes before any argument is read.
                #[allow(unused_unsafe)]
                let got = quiet(|| unsafe { $name($($arg),*) });
                #[allow(clippy::redundant_closure_call)]
                ($check)(got);
                called.push(stringify!($name));
            }};
        }
        let panic = |r: ytx_result| assert_eq!(r, ytx_result::YTX_ERR_PANIC);
        let empty = |p: *const c_char| assert_eq!(text(p), "");
        let zero = |n: usize| assert_eq!(n, 0);
        // Functions that make an outcome store one saying YTX_ERR_PANIC.
        let mut out: *mut ytx_outcome = null_mut();
        let mut with_outcome =
            |name: &'static str, call: &dyn Fn(*mut *mut ytx_outcome) -> ytx_result| {
                test_hook::arm();
                out = null_mut();
                assert_eq!(
                    quiet(|| call(&mut out)),
                    ytx_result::YTX_ERR_PANIC,
                    "{name}"
                );
                assert!(!out.is_null(), "{name}: no outcome");
                // SAFETY: just made by the call.
                unsafe {
                    assert_eq!(ytx_outcome_result(out), ytx_result::YTX_ERR_PANIC, "{name}");
                    assert_eq!(
                        ytx_outcome_delivery(out),
                        ytx_delivery::YTX_DELIVERY_UNKNOWN
                    );
                    ytx_outcome_free(out);
                }
                name
            };
        let (n, s) = (null::<c_char>(), c"x".as_ptr());
        let c = null::<ytx_client>();
        let mut made = vec![
            with_outcome("ytx_client_new", &|o| unsafe {
                ytx_client_new(s, s, s, null(), null(), 0, null_mut(), o)
            }),
            with_outcome("ytx_callback_call", &|o| unsafe {
                ytx_callback_call(c, s, s, 61, null(), null(), 0, o)
            }),
            with_outcome("ytx_callback_prepare", &|o| unsafe {
                ytx_callback_prepare(c, s, s, 61, null(), null(), 0, o)
            }),
            with_outcome("ytx_voice_code", &|o| unsafe {
                ytx_voice_code(c, s, n, s, 0, o)
            }),
            with_outcome("ytx_voice_code_prepare", &|o| unsafe {
                ytx_voice_code_prepare(c, s, n, s, 0, o)
            }),
            with_outcome("ytx_push_parse", &|o| unsafe {
                ytx_push_parse(null(), 0, null_mut(), o)
            }),
            with_outcome("ytx_push_parse_routed", &|o| unsafe {
                ytx_push_parse_routed(null(), 0, null(), null_mut(), o)
            }),
            with_outcome("ytx_call_record", &|o| unsafe {
                ytx_call_record(c, s, n, null_mut(), o)
            }),
            with_outcome("ytx_call_records_after", &|o| unsafe {
                ytx_call_records_after(c, s, 1, n, null_mut(), o)
            }),
            with_outcome("ytx_find_call", &|o| unsafe {
                ytx_find_call(c, s, s, n, null_mut(), o)
            }),
            with_outcome("ytx_query_balance", &|o| unsafe {
                ytx_query_balance(c, null_mut(), o)
            }),
            with_outcome("ytx_resolve", &|o| unsafe {
                ytx_resolve(c, s, n, 0, 0, null_mut(), o)
            }),
            with_outcome("ytx_tracker_new", &|o| unsafe {
                ytx_tracker_new(c, null(), null(), 0, null_mut(), o)
            }),
            with_outcome("ytx_tracker_next_event", &|o| unsafe {
                ytx_tracker_next_event(null(), 0, null_mut(), o)
            }),
            with_outcome("ytx_tracker_track", &|o| unsafe {
                ytx_tracker_track(null(), s, n, 0, 0, n, n, o)
            }),
            with_outcome("ytx_tracker_restore", &|o| unsafe {
                ytx_tracker_restore(null(), s, o)
            }),
            with_outcome("ytx_tracker_pending", &|o| unsafe {
                ytx_tracker_pending(null(), null_mut(), o)
            }),
            with_outcome("ytx_tracker_advance_clock", &|o| unsafe {
                ytx_tracker_advance_clock(null(), 1, o)
            }),
        ];
        called.append(&mut made);

        forced!(ytx_version() => empty);
        forced!(ytx_version_number() => |v: u32| assert_eq!(v, 0));
        forced!(ytx_result_name(0) => empty);
        forced!(ytx_delivery_name(0) => empty);
        forced!(ytx_free(null_mut()) => panic);
        forced!(ytx_set_logger(None, null_mut(), 0) => panic);
        forced!(ytx_live_objects() => zero);
        forced!(ytx_live_clients() => zero);
        forced!(ytx_client_option_count() => zero);
        forced!(ytx_client_option_name(0) => empty);
        forced!(ytx_callback_option_count() => zero);
        forced!(ytx_callback_option_name(0) => empty);
        forced!(ytx_default_timeout_ms() => |v: u64| assert_eq!(v, 0));
        forced!(ytx_default_connect_timeout_ms() => |v: u64| assert_eq!(v, 0));
        forced!(ytx_production_url() => empty);
        forced!(ytx_sandbox_url() => empty);
        forced!(ytx_status_code_count() => zero);
        forced!(ytx_status_code_at(0) => empty);
        forced!(ytx_explain_status_code(s) => empty);
        forced!(ytx_client_base_url(c, null_mut(), 0) => zero);

        let o = null::<ytx_outcome>();
        forced!(ytx_outcome_result(o) => panic);
        forced!(ytx_outcome_delivery(o) => |d| assert_eq!(d, ytx_delivery::YTX_DELIVERY_UNKNOWN));
        forced!(ytx_outcome_message(o) => empty);
        forced!(ytx_outcome_field(o) => empty);
        forced!(ytx_outcome_status_code(o) => empty);
        forced!(ytx_outcome_status_msg(o) => empty);
        forced!(ytx_outcome_request_id(o) => empty);
        forced!(ytx_outcome_http_status(o) => |v: u16| assert_eq!(v, 0));
        forced!(ytx_outcome_request_method(o) => empty);
        forced!(ytx_outcome_request_url(o) => empty);
        forced!(ytx_outcome_request_url_redacted(o) => empty);
        forced!(ytx_outcome_request_headers(o) => empty);
        forced!(ytx_outcome_request_body(o) => empty);
        forced!(ytx_outcome_retry_safe(o) => |v: bool| assert!(!v));
        forced!(ytx_outcome_retry_after_ms(o) => |v: u32| assert_eq!(v, 0));
        forced!(ytx_outcome_view_of(o, null_mut()) => panic);
        forced!(ytx_outcome_free(null_mut()) => |()| ());

        let p = null::<ytx_push>();
        let mut unix = 7i64;
        forced!(ytx_push_free(null_mut()) => |()| ());
        forced!(ytx_push_kind_of(p) => |k| assert_eq!(k, ytx_push_kind::YTX_PUSH_NONE));
        forced!(ytx_push_request_id(p) => empty);
        forced!(ytx_push_number(p) => empty);
        forced!(ytx_push_state_text(p) => empty);
        forced!(ytx_push_state_desc(p) => empty);
        forced!(ytx_push_timestamp(p) => empty);
        forced!(ytx_push_state(p) => |k| assert_eq!(k, ytx_call_state::YTX_CALL_STATE_UNKNOWN));
        forced!(ytx_push_timestamp_unix(p, &mut unix) => |v: i32| assert_eq!(v, 0));
        forced!(ytx_push_field(p, s) => empty);
        forced!(ytx_push_field_count(p) => zero);
        forced!(ytx_push_field_name(p, 0) => empty);
        forced!(ytx_push_field_value(p, 0) => empty);
        forced!(ytx_push_records(p) => |r: *const ytx_records| assert!(r.is_null()));
        forced!(ytx_push_view_of(p, null_mut()) => panic);

        let rs = null::<ytx_records>();
        forced!(ytx_records_count(rs) => zero);
        forced!(ytx_records_get(rs, 0) => |r: *const ytx_record| assert!(r.is_null()));
        forced!(ytx_records_free(null_mut()) => |()| ());

        let r = null::<ytx_record>();
        forced!(ytx_record_request_id(r) => empty);
        forced!(ytx_record_app_id(r) => empty);
        forced!(ytx_record_fid(r) => empty);
        forced!(ytx_record_custom_parm(r) => empty);
        forced!(ytx_record_caller(r) => empty);
        forced!(ytx_record_called(r) => empty);
        forced!(ytx_record_tel(r) => empty);
        forced!(ytx_record_state_desc(r) => empty);
        forced!(ytx_record_recording_url(r) => empty);
        forced!(ytx_record_amount_text(r) => empty);
        forced!(ytx_record_duration(r) => |v: i64| assert_eq!(v, -1));
        forced!(ytx_record_amount_fen(r, &mut unix) => |v: i32| assert_eq!(v, 0));
        forced!(ytx_record_time_unix(r, s, &mut unix) => |v: i32| assert_eq!(v, 0));
        forced!(ytx_record_field(r, s) => empty);
        forced!(ytx_record_field_count(r) => zero);
        forced!(ytx_record_field_name(r, 0) => empty);
        forced!(ytx_record_field_value(r, 0) => empty);

        let b = null::<ytx_balance>();
        forced!(ytx_balance_text(b) => empty);
        forced!(ytx_balance_fen(b) => |v: i64| assert_eq!(v, 0));
        forced!(ytx_balance_free(null_mut()) => |()| ());
        let res = null::<ytx_resolution>();
        forced!(ytx_outcome_ticket(o) => empty);
        forced!(ytx_resolution_status_of(res) => |v| assert_eq!(v, ytx_resolution_status::YTX_RESOLUTION_NONE));
        forced!(ytx_resolution_status_name(ytx_resolution_status::YTX_RESOLUTION_PLACED as u32) => empty);
        forced!(ytx_resolution_record(res) => |r: *const ytx_record| assert!(r.is_null()));
        forced!(ytx_resolution_check_again_unix(res, &mut unix) => |v: i32| assert_eq!(v, 0));
        forced!(ytx_resolution_cursor(res) => empty);
        forced!(ytx_resolution_reason(res) => empty);
        forced!(ytx_resolution_free(null_mut()) => |()| ());

        let tr = null::<ytx_tracker>();
        let ev = null::<ytx_event>();
        let pe = null::<ytx_pending>();
        forced!(ytx_tracker_free(null_mut()) => |()| ());
        forced!(ytx_live_trackers() => zero);
        forced!(ytx_tracker_on_push(tr, null(), 0, n) => |v: u16| assert_eq!(v, 500));
        forced!(ytx_tracker_forget(tr, s) => |v: i32| assert_eq!(v, 0));
        forced!(ytx_tracker_stat(tr, s) => |v: u64| assert_eq!(v, 0));
        forced!(ytx_event_kind_of(ev) => |v| assert_eq!(v, ytx_event_kind::YTX_EVENT_NONE));
        forced!(ytx_event_kind_name(ytx_event_kind::YTX_EVENT_COMPLETED as u32) => empty);
        forced!(ytx_event_request_id(ev) => empty);
        forced!(ytx_event_custom_parm(ev) => empty);
        forced!(ytx_event_record(ev) => |r: *const ytx_record| assert!(r.is_null()));
        forced!(ytx_event_placed(ev) => |v: i32| assert_eq!(v, -1));
        forced!(ytx_event_verified(ev) => |v: i32| assert_eq!(v, 0));
        forced!(ytx_event_state(ev) => empty);
        forced!(ytx_event_number(ev) => empty);
        forced!(ytx_event_leg(ev) => empty);
        forced!(ytx_event_timestamp(ev) => empty);
        forced!(ytx_event_ticket(ev) => empty);
        forced!(ytx_event_reason(ev) => empty);
        forced!(ytx_event_free(null_mut()) => |()| ());
        forced!(ytx_pending_count(pe) => zero);
        forced!(ytx_pending_request_id(pe, 0) => empty);
        forced!(ytx_pending_custom_parm(pe, 0) => empty);
        forced!(ytx_pending_sent_unix(pe, 0) => |v: i64| assert_eq!(v, 0));
        forced!(ytx_pending_credit(pe, 0) => |v: u32| assert_eq!(v, 0));
        forced!(ytx_pending_src(pe, 0) => empty);
        forced!(ytx_pending_dst(pe, 0) => empty);
        forced!(ytx_pending_src_timeout(pe, 0) => |v: i64| assert_eq!(v, -1));
        forced!(ytx_pending_dst_timeout(pe, 0) => |v: i64| assert_eq!(v, -1));
        forced!(ytx_pending_ticket(pe, 0) => empty);
        forced!(ytx_pending_json(pe, 0) => empty);
        forced!(ytx_pending_free(null_mut()) => |()| ());
        assert_eq!(unix, 7, "no out-parameter written on a panic");

        // Every export was tried, and the library still works.
        let (mut all, _) = exports();
        all.sort();
        called.sort();
        assert_eq!(called, all);
        assert_eq!(text(ytx_result_name(0)), "YTX_OK");
    }
}
