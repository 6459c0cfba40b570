//! `ytx_event`: one event of a tracker, as `ytx_tracker_next_event`
//! (`tracker.rs`) hands it out, and its kind (`ytx_event_kind`, written
//! once in `src/abi.rs`, as the Rust `EventKind` is numbered by it). Built
//! once from the Rust value, immutable, readable from any thread. The rules
//! live in `crate::tracker`; this file only converts.
//!
//! Methods: `ytx_event_kind_of`, `ytx_event_kind_name`,
//! `ytx_event_request_id`, `_custom_parm`, `_record`, `_placed`,
//! `_verified`, `_state`, `_number`, `_leg`, `_timestamp`, `_ticket`,
//! `_reason`, `ytx_event_free`.

use std::ffi::{c_char, CStr, CString};

use super::panic::{ffi_boundary, on_panic};
use super::ptr::{self, read, read_str};
use super::records::ytx_record;
use super::text::c_string;
pub use crate::abi::ytx_event_kind;
use crate::tracker::{Event, Leg};

/// A `ytx_event_kind` as a C caller may pass it: any 32-bit value (see
/// `ytx_result_value`). In the header it is `ytx_event_kind` itself
/// (cbindgen.toml renames it).
pub type ytx_event_kind_value = u32;

on_panic!(ytx_event_kind => ytx_event_kind::YTX_EVENT_NONE);

// ===== impl ytx_event =====

/// One event from `ytx_tracker_next_event`. Owned by the caller, released
/// with `ytx_event_free`; immutable, so it may be read from any thread.
/// Strings are UTF-8, never NULL ("" when not applicable), valid until the
/// event is freed.
pub struct ytx_event {
    kind: ytx_event_kind,
    request_id: CString,
    custom_parm: CString,
    record: Option<ytx_record>,
    placed: i32,
    verified: i32,
    state: CString,
    number: CString,
    leg: &'static CStr,
    timestamp: CString,
    ticket: CString,
    reason: CString,
}

impl From<Event> for ytx_event {
    fn from(e: Event) -> ytx_event {
        let text = |s: &str| c_string(s.to_string());
        ytx_event {
            kind: e.kind().into(),
            request_id: text(e.request_id()),
            custom_parm: text(e.custom_parm().unwrap_or_default()),
            record: e.record().cloned().map(ytx_record::from),
            placed: e.placed().map_or(-1, i32::from),
            verified: i32::from(e.verified()),
            state: text(e.state().map_or("", |s| s.as_str())),
            number: text(e.number().unwrap_or_default()),
            leg: match e.leg() {
                Some(Leg::Src) => c"src",
                Some(Leg::Dst) => c"dst",
                None => c"",
            },
            timestamp: text(e.timestamp()),
            ticket: c_string(e.ticket().map(|t| t.to_text()).unwrap_or_default()),
            reason: text(e.reason()),
        }
    }
}

/// The event's kind (`YTX_EVENT_*`); `YTX_EVENT_NONE` for NULL.
///
/// # Safety
/// `event` is NULL or a live event.
#[no_mangle]
pub unsafe extern "C" fn ytx_event_kind_of(event: *const ytx_event) -> ytx_event_kind {
    ffi_boundary! {
        read(event, ytx_event_kind::YTX_EVENT_NONE, |e| e.kind)
    }
}

/// The name of an event kind, e.g. "YTX_EVENT_COMPLETED", or "YTX_UNKNOWN".
/// A static string, never freed.
#[no_mangle]
pub extern "C" fn ytx_event_kind_name(kind: ytx_event_kind_value) -> *const c_char {
    ffi_boundary! {
        ytx_event_kind::from_u32(kind)
            .map_or(c"YTX_UNKNOWN", ytx_event_kind::c_name)
            .as_ptr()
    }
}

/// The call's requestId ("" for an outcome unknown not placed; the
/// requestId the push claimed for an unrecognised push). "" for NULL.
///
/// # Safety
/// `event` is NULL or a live event.
#[no_mangle]
pub unsafe extern "C" fn ytx_event_request_id(event: *const ytx_event) -> *const c_char {
    ffi_boundary! {
        read_str(event, |e| &e.request_id)
    }
}

/// The call's customParm, "" when not known. "" for NULL.
///
/// # Safety
/// `event` is NULL or a live event.
#[no_mangle]
pub unsafe extern "C" fn ytx_event_custom_parm(event: *const ytx_event) -> *const c_char {
    ffi_boundary! {
        read_str(event, |e| &e.custom_parm)
    }
}

/// The record of a `YTX_EVENT_COMPLETED`, or of a `YTX_EVENT_RESOLVED` that
/// was placed (borrowed from the event: read it with the `ytx_record_*`
/// accessors, never free it on its own); NULL otherwise.
///
/// # Safety
/// `event` is NULL or a live event.
#[no_mangle]
pub unsafe extern "C" fn ytx_event_record(event: *const ytx_event) -> *const ytx_record {
    ffi_boundary! {
        read(event, std::ptr::null(), |e| {
            e.record.as_ref().map_or(std::ptr::null(), |r| r as *const ytx_record)
        })
    }
}

/// `YTX_EVENT_RESOLVED`: 1 placed, 0 not placed; -1 when it cannot be
/// resolved, for the other kinds and for NULL.
///
/// # Safety
/// `event` is NULL or a live event.
#[no_mangle]
pub unsafe extern "C" fn ytx_event_placed(event: *const ytx_event) -> i32 {
    ffi_boundary! {
        on_panic = -1;
        read(event, -1, |e| e.placed)
    }
}

/// 1 when the event's record came from the signed query (not only from a
/// push), else 0.
///
/// # Safety
/// `event` is NULL or a live event.
#[no_mangle]
pub unsafe extern "C" fn ytx_event_verified(event: *const ytx_event) -> i32 {
    ffi_boundary! {
        read(event, 0, |e| e.verified)
    }
}

/// `YTX_EVENT_LEG_STATE`: the leg's new state as pushed ("callout",
/// "alerting", "answer", "disconnect", or another value kept as sent);
/// "" otherwise.
///
/// # Safety
/// `event` is NULL or a live event.
#[no_mangle]
pub unsafe extern "C" fn ytx_event_state(event: *const ytx_event) -> *const c_char {
    ffi_boundary! {
        read_str(event, |e| &e.state)
    }
}

/// `YTX_EVENT_LEG_STATE`: the leg's number as pushed (`dsc`); "" otherwise.
///
/// # Safety
/// `event` is NULL or a live event.
#[no_mangle]
pub unsafe extern "C" fn ytx_event_number(event: *const ytx_event) -> *const c_char {
    ffi_boundary! {
        read_str(event, |e| &e.number)
    }
}

/// `YTX_EVENT_LEG_STATE`: "src" or "dst", "" when the call's numbers are
/// not known (and for the other kinds). A static string.
///
/// # Safety
/// `event` is NULL or a live event.
#[no_mangle]
pub unsafe extern "C" fn ytx_event_leg(event: *const ytx_event) -> *const c_char {
    ffi_boundary! {
        read_str(event, |e| &e.leg)
    }
}

/// `YTX_EVENT_LEG_STATE`: the push's `timestamp` text (UTC+8); "" otherwise.
///
/// # Safety
/// `event` is NULL or a live event.
#[no_mangle]
pub unsafe extern "C" fn ytx_event_timestamp(event: *const ytx_event) -> *const c_char {
    ffi_boundary! {
        read_str(event, |e| &e.timestamp)
    }
}

/// The ticket text of an outcome unknown (`YTX_EVENT_RESOLVED`,
/// `YTX_EVENT_OVERDUE`); "" otherwise.
///
/// # Safety
/// `event` is NULL or a live event.
#[no_mangle]
pub unsafe extern "C" fn ytx_event_ticket(event: *const ytx_event) -> *const c_char {
    ffi_boundary! {
        read_str(event, |e| &e.ticket)
    }
}

/// Why, in English (an unrecognised push, an overdue call, a call not
/// placed or that cannot be resolved); "" otherwise.
///
/// # Safety
/// `event` is NULL or a live event.
#[no_mangle]
pub unsafe extern "C" fn ytx_event_reason(event: *const ytx_event) -> *const c_char {
    ffi_boundary! {
        read_str(event, |e| &e.reason)
    }
}

/// Release an event and its record. NULL is a no-op.
///
/// # Safety
/// `event` is NULL or an owned event not yet freed.
#[no_mangle]
pub unsafe extern "C" fn ytx_event_free(event: *mut ytx_event) {
    ffi_boundary! {
        ptr::free_box(event);
    }
}
