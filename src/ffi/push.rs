//! `ytx_push`: a parsed push body (what the platform POSTs to your callback
//! URL), its kind (`ytx_push_kind`) and state (`ytx_call_state`). Built once
//! from the Rust value, immutable, readable from any thread. The rules live
//! in `crate::record`; this file only converts.
//!
//! Methods: `ytx_push_parse`, `ytx_push_parse_routed`, `ytx_push_kind_of`,
//! `ytx_push_request_id`, `_number`, `_state_text`, `_state_desc`,
//! `_timestamp`, `_state`, `_timestamp_unix`, `_field`, `_field_count`,
//! `_field_name`, `_field_value`, `_records`, `ytx_push_view_of` (all but
//! the records in one call, into a `ytx_push_view`), `ytx_push_free`.

use std::ffi::c_char;
use std::sync::Arc;

use macro_rules_attribute::macro_rules_derive;

use super::codes::{ytx_result, FfiResult};
use super::outcome::{ytx_outcome, Outcome};
use super::panic::{ffi_boundary, on_panic};
use super::ptr::CStrPtr;
use super::ptr::{self, read, read_str};
use super::records::ytx_records;
use super::text::{CFields, CText, Fields};
use crate::abi::c_enum;
use crate::record::{self, CallState, Push};

/// What a `ytx_push` is (fixed width: `uint32_t`).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[macro_rules_derive(c_enum)]
pub enum ytx_push_kind {
    /// Not a push (the answer for a NULL `ytx_push`).
    YTX_PUSH_NONE = 0,
    /// A state push: one leg of a call changed state.
    YTX_PUSH_STATE = 1,
    /// A call-record push: `ytx_push_records` holds the records.
    YTX_PUSH_RECORDS = 2,
}

/// The state in a state push (fixed width: `uint32_t`).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[macro_rules_derive(c_enum)]
pub enum ytx_call_state {
    /// A state this library does not know (its text: `ytx_push_state_text`);
    /// also the answer for a NULL push or a record push.
    YTX_CALL_STATE_UNKNOWN = 0,
    /// `callout`: dialling.
    YTX_CALL_STATE_CALLOUT = 1,
    /// `alerting`: ringing.
    YTX_CALL_STATE_ALERTING = 2,
    /// `answer`: answered.
    YTX_CALL_STATE_ANSWER = 3,
    /// `disconnect`: ended.
    YTX_CALL_STATE_DISCONNECT = 4,
}

impl From<&CallState> for ytx_call_state {
    fn from(s: &CallState) -> ytx_call_state {
        match s {
            CallState::Callout => ytx_call_state::YTX_CALL_STATE_CALLOUT,
            CallState::Alerting => ytx_call_state::YTX_CALL_STATE_ALERTING,
            CallState::Answer => ytx_call_state::YTX_CALL_STATE_ANSWER,
            CallState::Disconnect => ytx_call_state::YTX_CALL_STATE_DISCONNECT,
            CallState::Unknown(_) => ytx_call_state::YTX_CALL_STATE_UNKNOWN,
        }
    }
}

on_panic!(
    ytx_push_kind => ytx_push_kind::YTX_PUSH_NONE,
    ytx_call_state => ytx_call_state::YTX_CALL_STATE_UNKNOWN,
);

// ===== impl ytx_push =====

/// A parsed push body, from `ytx_push_parse`; released with `ytx_push_free`.
pub struct ytx_push {
    kind: ytx_push_kind,
    state: ytx_call_state,
    request_id: CText,
    number: CText,
    state_text: CText,
    state_desc: CText,
    timestamp: CText,
    timestamp_unix: Option<i64>,
    fields: CFields,
    records: ytx_records,
    /// The state push the texts above borrow from (on the heap: it never
    /// moves; an `Arc` for the reason given at `ytx_record::record`).
    _state: Option<Arc<record::StatePush>>,
}

impl From<Push> for ytx_push {
    fn from(p: Push) -> ytx_push {
        match p {
            Push::State(s) => {
                let s = Arc::new(s);
                let f = s.fields();
                let text = |t: &str| CText::of(f, Some(t));
                ytx_push {
                    kind: ytx_push_kind::YTX_PUSH_STATE,
                    state: s.state().into(),
                    request_id: text(s.request_id()),
                    number: text(s.number()),
                    // The state as sent: the field's text.
                    state_text: CText::of(f, s.get("state")),
                    state_desc: text(s.state_desc()),
                    timestamp: text(s.timestamp_text()),
                    timestamp_unix: s.timestamp().map(|t| t.unix_timestamp()),
                    // SAFETY: the fields live in `s`'s Arc, owned by the result.
                    fields: unsafe { CFields::new(f) },
                    records: ytx_records::new(Vec::new()),
                    _state: Some(s),
                }
            }
            Push::Records(r) => ytx_push {
                kind: ytx_push_kind::YTX_PUSH_RECORDS,
                state: ytx_call_state::YTX_CALL_STATE_UNKNOWN,
                request_id: CText::EMPTY,
                number: CText::EMPTY,
                state_text: CText::EMPTY,
                state_desc: CText::EMPTY,
                timestamp: CText::EMPTY,
                timestamp_unix: None,
                fields: CFields::none(),
                records: ytx_records::new(r),
                _state: None,
            },
        }
    }
}

impl Fields for ytx_push {
    fn c_fields(&self) -> &CFields {
        &self.fields
    }
}

/// Hand a parse's push to the caller through `push_out` (NULL on error).
///
/// # Safety
/// `push_out` is NULL or valid for one pointer write.
unsafe fn hand_over(push_out: *mut *mut ytx_push, parsed: FfiResult<Push>) -> Outcome {
    Outcome::local(ptr::set_result_ptr(push_out, parsed.map(ytx_push::from)))
}

/// Parse a push body: the raw bytes the platform POSTed to your callback URL.
/// Pure: nothing is sent, no client needed.
///
/// Parameters:
/// - `body`: `body_len` bytes (need not be NUL-terminated; may be NULL when
///   `body_len` is 0, which is then a protocol error).
/// - `push_out`: required; receives a new `ytx_push` on `YTX_OK`, NULL on
///   error. The caller frees it with `ytx_push_free`.
/// - `outcome_out`: NULL, or receives a new `ytx_outcome` (always).
///
/// Returns `YTX_OK`; `YTX_ERR_PROTOCOL` when the body is not a push (not
/// UTF-8 JSON, not an object, `cdr` not an array, a state push without a
/// requestid, larger than 4 MiB), with the reason in the outcome's message
/// ("not a push: ..."; delivery `YTX_DELIVERY_NOT_SENT`: nothing was sent);
/// `YTX_ERR_NULL_ARGUMENT` for a NULL `push_out`, or a NULL `body` with a
/// length. Answer the platform's POST with HTTP 200 whatever this returns.
/// A push carries no signature: confirm what matters with `ytx_call_record`.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `body` is NULL or points to `body_len` readable bytes; the out-pointers
/// are NULL or valid for one pointer write.
#[no_mangle]
pub unsafe extern "C" fn ytx_push_parse(
    body: *const u8,
    body_len: usize,
    push_out: *mut *mut ytx_push,
    outcome_out: *mut *mut ytx_outcome,
) -> ytx_result {
    ffi_boundary! {
        outcome_out = outcome_out;
        let parsed = ptr::required_out(push_out, "push_out").and_then(|()| {
            Ok(record::parse_push(ptr::bytes_arg(body, body_len, "body")?)?)
        });
        hand_over(push_out, parsed)
    }
}

/// Parse a push body routed as PROTOCOL.md says ("Which push it is"): by
/// the query key of the request it came in (`?Call`: a call-record push,
/// `?CallState`: a state push), and by the body's shape when there is none.
///
/// Parameters as `ytx_push_parse`, plus:
/// - `target`: the request target the push was POSTed to (e.g.
///   "/ytx/push?CallState"), or its query string alone ("CallState"); NULL
///   or "" routes by the body's shape, as `ytx_push_parse` does.
///
/// Returns as `ytx_push_parse`; also `YTX_ERR_PROTOCOL` when the body does
/// not match its key (a `?Call` body without `cdr`, a `?CallState` body with
/// one), for `?SMS` (an SMS report, another product), or for both keys.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// As `ytx_push_parse`; `target` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn ytx_push_parse_routed(
    body: *const u8,
    body_len: usize,
    target: *const c_char,
    push_out: *mut *mut ytx_push,
    outcome_out: *mut *mut ytx_outcome,
) -> ytx_result {
    ffi_boundary! {
        outcome_out = outcome_out;
        let parsed = ptr::required_out(push_out, "push_out").and_then(|()| {
            let target = ptr::opt_str_arg(target, "target")?.unwrap_or_default();
            let bytes = ptr::bytes_arg(body, body_len, "body")?;
            Ok(record::parse_push_routed(bytes, target)?)
        });
        hand_over(push_out, parsed)
    }
}

/// Release a push and everything borrowed from it. NULL is a no-op.
///
/// # Safety
/// `push` is NULL or a push from `ytx_push_parse` not yet freed.
#[no_mangle]
pub unsafe extern "C" fn ytx_push_free(push: *mut ytx_push) {
    ffi_boundary! {
        ptr::free_box(push);
    }
}

/// What the push is: `YTX_PUSH_STATE` or `YTX_PUSH_RECORDS`; `YTX_PUSH_NONE`
/// for NULL.
///
/// # Safety
/// `push` is NULL or a live push.
#[no_mangle]
pub unsafe extern "C" fn ytx_push_kind_of(push: *const ytx_push) -> ytx_push_kind {
    ffi_boundary! {
        read(push, ytx_push_kind::YTX_PUSH_NONE, |p| p.kind)
    }
}

/// A state push's requestId (`requestid`); "" for a record push.
/// "" for NULL.
///
/// # Safety
/// `push` is NULL or a live push.
#[no_mangle]
pub unsafe extern "C" fn ytx_push_request_id(push: *const ytx_push) -> *const c_char {
    ffi_boundary! {
        read_str(push, |x| &x.request_id)
    }
}

/// A state push's leg number (`dsc`): match it against the call's src or
/// dst by suffix (the platform may add or drop a prefix).
/// "" for NULL.
///
/// # Safety
/// `push` is NULL or a live push.
#[no_mangle]
pub unsafe extern "C" fn ytx_push_number(push: *const ytx_push) -> *const c_char {
    ffi_boundary! {
        read_str(push, |x| &x.number)
    }
}

/// A state push's state as sent (`state`), e.g. "answer" or a state this
/// library does not know.
/// "" for NULL.
///
/// # Safety
/// `push` is NULL or a live push.
#[no_mangle]
pub unsafe extern "C" fn ytx_push_state_text(push: *const ytx_push) -> *const c_char {
    ffi_boundary! {
        read_str(push, |x| &x.state_text)
    }
}

/// A state push's `stateDesc`.
/// "" for NULL.
///
/// # Safety
/// `push` is NULL or a live push.
#[no_mangle]
pub unsafe extern "C" fn ytx_push_state_desc(push: *const ytx_push) -> *const c_char {
    ffi_boundary! {
        read_str(push, |x| &x.state_desc)
    }
}

/// A state push's `timestamp` as sent (UTC+8).
/// "" for NULL.
///
/// # Safety
/// `push` is NULL or a live push.
#[no_mangle]
pub unsafe extern "C" fn ytx_push_timestamp(push: *const ytx_push) -> *const c_char {
    ffi_boundary! {
        read_str(push, |x| &x.timestamp)
    }
}

/// A state push's state: `YTX_CALL_STATE_CALLOUT`, `_ALERTING`, `_ANSWER`,
/// `_DISCONNECT`, or `YTX_CALL_STATE_UNKNOWN` (then see
/// `ytx_push_state_text`; also for NULL and for a record push).
///
/// # Safety
/// `push` is NULL or a live push.
#[no_mangle]
pub unsafe extern "C" fn ytx_push_state(push: *const ytx_push) -> ytx_call_state {
    ffi_boundary! {
        read(push, ytx_call_state::YTX_CALL_STATE_UNKNOWN, |p| p.state)
    }
}

/// A state push's `timestamp` as Unix seconds: returns 1 and stores it in
/// `*unix_out` when the text is a known UTC+8 format (`yyyy-MM-dd HH:mm:ss`
/// or `yyyyMMddHHmmss`); returns 0 and leaves `*unix_out` alone otherwise.
///
/// # Safety
/// `push` is NULL or a live push; `unix_out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ytx_push_timestamp_unix(push: *const ytx_push, unix_out: *mut i64) -> i32 {
    ffi_boundary! {
        ptr::store(unix_out, read(push, None, |p| p.timestamp_unix))
    }
}

/// A field of a state push by its wire name (also fields this library does
/// not know), or NULL when absent (or `push`/`name` is NULL).
///
/// # Safety
/// `push` is NULL or a live push; `name` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn ytx_push_field(
    push: *const ytx_push,
    name: *const c_char,
) -> *const c_char {
    ffi_boundary! {
        ytx_push::field(push, name)
    }
}

/// The number of fields of a state push (0 for a record push or NULL).
///
/// # Safety
/// `push` is NULL or a live push.
#[no_mangle]
pub unsafe extern "C" fn ytx_push_field_count(push: *const ytx_push) -> usize {
    ffi_boundary! {
        ytx_push::field_count(push)
    }
}

/// The wire name of a state push's field number `index` (in the order
/// sent), or NULL when out of range.
///
/// # Safety
/// `push` is NULL or a live push.
#[no_mangle]
pub unsafe extern "C" fn ytx_push_field_name(push: *const ytx_push, index: usize) -> *const c_char {
    ffi_boundary! {
        ytx_push::field_name(push, index)
    }
}

/// The value of a state push's field number `index`, or NULL when out of range.
///
/// # Safety
/// `push` is NULL or a live push.
#[no_mangle]
pub unsafe extern "C" fn ytx_push_field_value(
    push: *const ytx_push,
    index: usize,
) -> *const c_char {
    ffi_boundary! {
        ytx_push::field_value(push, index)
    }
}

/// A record push's records (borrowed: valid until `ytx_push_free`; never
/// pass it to `ytx_records_free`). An empty list for a state push; NULL only
/// for a NULL push.
///
/// # Safety
/// `push` is NULL or a live push.
#[no_mangle]
pub unsafe extern "C" fn ytx_push_records(push: *const ytx_push) -> *const ytx_records {
    ffi_boundary! {
        read(push, std::ptr::null(), |p| &p.records)
    }
}

// ===== impl ytx_push_view =====

/// A push's kind, state and texts in one struct, filled by
/// `ytx_push_view_of`, for callers that pay for each call (a
/// foreign-function interface such as Python's ctypes).
///
/// Every field holds what its accessor returns (`ytx_push_kind_of`,
/// `ytx_push_state`, ...). The strings are UTF-8, never NULL ("" when
/// absent) and the arrays hold `field_count` strings each (NULL when
/// `field_count` is 0); all are borrowed from the push: valid until
/// `ytx_push_free`. A record push's records are read with
/// `ytx_push_records`. The layout is fixed; fields added later come with a
/// new function, never in this struct.
#[repr(C)]
pub struct ytx_push_view {
    /// `ytx_push_kind_of`.
    pub kind: ytx_push_kind,
    /// `ytx_push_state`.
    pub state: ytx_call_state,
    /// What `ytx_push_timestamp_unix` returns: 1 when `timestamp_unix`
    /// holds the timestamp as Unix seconds, else 0 (and `timestamp_unix` is 0).
    pub has_timestamp_unix: i32,
    /// The timestamp as Unix seconds when `has_timestamp_unix` is 1.
    pub timestamp_unix: i64,
    /// `ytx_push_request_id`.
    pub request_id: *const c_char,
    /// `ytx_push_number`.
    pub number: *const c_char,
    /// `ytx_push_state_text`.
    pub state_text: *const c_char,
    /// `ytx_push_state_desc`.
    pub state_desc: *const c_char,
    /// `ytx_push_timestamp`.
    pub timestamp: *const c_char,
    /// `ytx_push_field_count`.
    pub field_count: usize,
    /// `ytx_push_field_name` of 0 .. `field_count`, in the order sent.
    pub field_names: *const *const c_char,
    /// `ytx_push_field_value` of 0 .. `field_count`.
    pub field_values: *const *const c_char,
}

impl From<&ytx_push> for ytx_push_view {
    fn from(p: &ytx_push) -> ytx_push_view {
        let (field_count, field_names, field_values) = p.fields.arrays();
        ytx_push_view {
            kind: p.kind,
            state: p.state,
            has_timestamp_unix: i32::from(p.timestamp_unix.is_some()),
            timestamp_unix: p.timestamp_unix.unwrap_or(0),
            request_id: p.request_id.c_ptr(),
            number: p.number.c_ptr(),
            state_text: p.state_text.c_ptr(),
            state_desc: p.state_desc.c_ptr(),
            timestamp: p.timestamp.c_ptr(),
            field_count,
            field_names,
            field_values,
        }
    }
}

/// Fill `*view_out` with everything `push` says but its records, in one
/// call: the same values as `ytx_push_kind_of`, `_state`,
/// `_timestamp_unix`, `_request_id`, `_number`, `_state_text`,
/// `_state_desc`, `_timestamp`, `_field_count`, `_field_name` and
/// `_field_value`.
///
/// Parameters:
/// - `push`: a live push (borrowed).
/// - `view_out`: required; written on `YTX_OK` only. Its strings and
///   arrays borrow from `push` and are valid until `ytx_push_free(push)`.
///
/// Returns `YTX_OK`; `YTX_ERR_NULL_ARGUMENT` when `push` or `view_out` is
/// NULL (nothing written). Thread safety: a push may be read from any thread.
///
/// # Safety
/// `push` is NULL or a live push; `view_out` is NULL or valid for one write
/// of a `ytx_push_view`.
#[no_mangle]
pub unsafe extern "C" fn ytx_push_view_of(
    push: *const ytx_push,
    view_out: *mut ytx_push_view,
) -> ytx_result {
    ffi_boundary! {
        let filled = ptr::required_out(view_out, "view_out").and_then(|()| {
            read(push, None, |p| Some(ytx_push_view::from(p)))
                .ok_or_else(|| super::codes::FfiError::null("push"))
        });
        match filled {
            Ok(view) => {
                ptr::write(view_out, view);
                ytx_result::YTX_OK
            }
            Err(e) => e.code(),
        }
    }
}
