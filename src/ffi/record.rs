//! C objects for what happens after a call is accepted: a parsed push
//! (`ytx_push`), a list of call records (`ytx_records`, each entry a
//! `ytx_record`), and a balance (`ytx_balance`). Each is built once from the
//! Rust value (every string converted up front), is immutable, and may be
//! read from any thread. The rules live in `crate::record`; this file only
//! converts.

use std::ffi::{c_char, CString};
use std::sync::Arc;

use super::codes::{FfiError, FfiResult};
use super::outcome::{c_string, Outcome};
use super::panic::ffi_boundary;
use super::ytx_result;
use super::{bytes_arg, handles, opt_str_arg, str_arg, ytx_client, ytx_outcome};
use crate::client::Client;
use crate::error::Error;
use crate::record::{self, Balance, CallRecord, CallState, Push, StatePush};
use crate::request::{FindCall, RecordQuery};

/// What a `ytx_push` is (fixed width: `uint32_t`).
pub type ytx_push_kind = u32;
/// Not a push (the answer for a NULL `ytx_push`).
pub const YTX_PUSH_NONE: ytx_push_kind = 0;
/// A state push: one leg of a call changed state.
pub const YTX_PUSH_STATE: ytx_push_kind = 1;
/// A call-record push: `ytx_push_records` holds the records.
pub const YTX_PUSH_RECORDS: ytx_push_kind = 2;

/// The state in a state push (fixed width: `uint32_t`).
pub type ytx_call_state = u32;
/// A state this library does not know (its text: `ytx_push_state_text`);
/// also the answer for a NULL push or a record push.
pub const YTX_CALL_STATE_UNKNOWN: ytx_call_state = 0;
/// `callout`: dialling.
pub const YTX_CALL_STATE_CALLOUT: ytx_call_state = 1;
/// `alerting`: ringing.
pub const YTX_CALL_STATE_ALERTING: ytx_call_state = 2;
/// `answer`: answered.
pub const YTX_CALL_STATE_ANSWER: ytx_call_state = 3;
/// `disconnect`: ended.
pub const YTX_CALL_STATE_DISCONNECT: ytx_call_state = 4;

const EMPTY: &[u8] = b"\0";

fn empty() -> *const c_char {
    EMPTY.as_ptr().cast()
}

/// A NUL-terminated string borrowed from the core value its object holds
/// (the buffer of `record::Fields`, which never moves while the object
/// lives), or the static "". No text is copied: a 4 MiB push costs about
/// its own size again through the C ABI, not a `CString` per field.
#[derive(Clone, Copy)]
struct CText(*const c_char);

// SAFETY: a CText points into immutable data owned by the same object (or
// into a static); the object is read-only after it is made, so sharing it
// between threads is sharing immutable bytes.
unsafe impl Send for CText {}
// SAFETY: as for Send.
unsafe impl Sync for CText {}

impl CText {
    /// `text` from `fields` (see `Fields::c_str`); "" when absent or, which
    /// the core rules out, not a text of these fields.
    fn of(fields: &record::Fields, text: Option<&str>) -> CText {
        CText(
            text.and_then(|t| fields.c_str(t))
                .map_or(empty(), |c| c.as_ptr()),
        )
    }

    fn as_ptr(&self) -> *const c_char {
        self.0
    }
}

/// A string of a live object, "" for NULL.
///
/// # Safety
/// `p` is NULL or points to a live object.
unsafe fn str_of<T>(p: *const T, f: impl FnOnce(&T) -> &CText) -> *const c_char {
    p.as_ref().map_or(empty(), |x| f(x).as_ptr())
}

/// Fields by wire name, in the order sent, borrowed from the core's fields.
struct CFields {
    names: Vec<CText>,
    values: Vec<CText>,
    /// The core's fields, for lookups by name (binary search); owned by the
    /// same object, never moved while it lives.
    fields: *const record::Fields,
}

// SAFETY: as for CText: read-only data of the same object.
unsafe impl Send for CFields {}
// SAFETY: as for Send.
unsafe impl Sync for CFields {}

impl CFields {
    /// # Safety
    /// `fields` must outlive the result and never move (it lives in an Arc
    /// of the same object).
    unsafe fn new(fields: &record::Fields) -> CFields {
        let (names, values) = fields
            .iter()
            .map(|(k, v)| (CText::of(fields, Some(k)), CText::of(fields, Some(v))))
            .unzip();
        CFields {
            names,
            values,
            fields,
        }
    }

    fn none() -> CFields {
        CFields {
            names: Vec::new(),
            values: Vec::new(),
            fields: std::ptr::null(),
        }
    }

    /// # Safety
    /// `name` is NULL or a NUL-terminated string.
    unsafe fn get(&self, name: *const c_char) -> *const c_char {
        let Ok(name) = str_arg(name, "name") else {
            return std::ptr::null();
        };
        let Some(fields) = self.fields.as_ref() else {
            return std::ptr::null();
        };
        match fields.get(name) {
            Some(v) => CText::of(fields, Some(v)).as_ptr(),
            None => std::ptr::null(),
        }
    }

    fn name(&self, index: usize) -> *const c_char {
        self.names
            .get(index)
            .map_or(std::ptr::null(), |n| n.as_ptr())
    }

    fn value(&self, index: usize) -> *const c_char {
        self.values
            .get(index)
            .map_or(std::ptr::null(), |v| v.as_ptr())
    }
}

/// One call record, borrowed from the `ytx_records` or `ytx_push` that holds
/// it (never freed on its own). Strings are UTF-8, valid as long as that
/// owner, and never NULL unless stated ("" when absent).
pub struct ytx_record {
    fields: CFields,
    request_id: CText,
    app_id: CText,
    fid: CText,
    custom_parm: CText,
    caller: CText,
    called: CText,
    tel: CText,
    state_desc: CText,
    recording_url: CText,
    amount_text: CText,
    /// On the heap, so the texts above stay where they point when the
    /// record moves (an `Arc`, not a `Box`: moving a `Box` would assert
    /// unique access, which the borrowed texts contradict).
    record: Arc<CallRecord>,
}

impl From<CallRecord> for ytx_record {
    fn from(r: CallRecord) -> ytx_record {
        let record = Arc::new(r);
        let r = &*record;
        let f = r.fields();
        let text = |t: Option<&str>| CText::of(f, t);
        ytx_record {
            // SAFETY: the fields live in `record`'s Arc, owned by the result.
            fields: unsafe { CFields::new(f) },
            request_id: text(Some(r.request_id())),
            app_id: text(r.app_id()),
            fid: text(r.fid()),
            custom_parm: text(r.custom_parm()),
            caller: text(r.caller()),
            called: text(r.called()),
            tel: text(r.tel()),
            state_desc: text(r.state_desc()),
            recording_url: text(r.recording_url()),
            // The amount's text is the field's, as sent.
            amount_text: text(r.amount().and(r.get("oriamount"))),
            record,
        }
    }
}

/// A list of call records: from `ytx_call_record`, `ytx_call_records_after`
/// and `ytx_find_call` (owned by the caller, released with
/// `ytx_records_free`), or borrowed from a record push (`ytx_push_records`).
pub struct ytx_records {
    items: Vec<ytx_record>,
}

impl ytx_records {
    fn new(records: Vec<CallRecord>) -> ytx_records {
        ytx_records {
            items: records.into_iter().map(ytx_record::from).collect(),
        }
    }
}

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
    _state: Option<Arc<StatePush>>,
}

impl From<Push> for ytx_push {
    fn from(p: Push) -> ytx_push {
        match p {
            Push::State(s) => {
                let s = Arc::new(s);
                let f = s.fields();
                let text = |t: &str| CText::of(f, Some(t));
                ytx_push {
                    kind: YTX_PUSH_STATE,
                    state: match s.state() {
                        CallState::Callout => YTX_CALL_STATE_CALLOUT,
                        CallState::Alerting => YTX_CALL_STATE_ALERTING,
                        CallState::Answer => YTX_CALL_STATE_ANSWER,
                        CallState::Disconnect => YTX_CALL_STATE_DISCONNECT,
                        CallState::Unknown(_) => YTX_CALL_STATE_UNKNOWN,
                    },
                    request_id: text(s.request_id()),
                    number: text(s.number()),
                    // The state as sent: the field's text.
                    state_text: CText::of(f, s.get("state")),
                    state_desc: text(s.state_desc()),
                    timestamp: text(s.timestamp_text()),
                    timestamp_unix: s.timestamp().map(|t| t.unix_timestamp()),
                    // SAFETY: the fields live in `s`'s Arc, owned by the result.
                    fields: unsafe { CFields::new(f) },
                    records: ytx_records { items: Vec::new() },
                    _state: Some(s),
                }
            }
            Push::Records(r) => ytx_push {
                kind: YTX_PUSH_RECORDS,
                state: YTX_CALL_STATE_UNKNOWN,
                request_id: CText(empty()),
                number: CText(empty()),
                state_text: CText(empty()),
                state_desc: CText(empty()),
                timestamp: CText(empty()),
                timestamp_unix: None,
                fields: CFields::none(),
                records: ytx_records::new(r),
                _state: None,
            },
        }
    }
}

/// The account balance, from `ytx_query_balance`; released with `ytx_balance_free`.
pub struct ytx_balance {
    text: CString,
    fen: i64,
}

impl From<Balance> for ytx_balance {
    fn from(b: Balance) -> ytx_balance {
        ytx_balance {
            text: c_string(b.amount().text().to_string()),
            fen: b.amount().fen(),
        }
    }
}

/// Store `value` in `*out` (when `out` is not NULL) on success, NULL on error.
///
/// # Safety
/// `out` is NULL or valid for one pointer write.
unsafe fn put<T, C: From<T>>(out: *mut *mut C, value: FfiResult<T>) -> Outcome {
    match value {
        Ok(v) => {
            if !out.is_null() {
                *out = super::owned(C::from(v));
            }
            Outcome::ok()
        }
        Err(e) => {
            if !out.is_null() {
                *out = std::ptr::null_mut();
            }
            Outcome::error(&e)
        }
    }
}

fn required<T>(out: *mut *mut T, field: &str) -> FfiResult<()> {
    if out.is_null() {
        return Err(FfiError::null(field));
    }
    Ok(())
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
        let parsed = required(push_out, "push_out").and_then(|()| {
            Ok(record::parse_push(bytes_arg(body, body_len, "body")?)?)
        });
        put(push_out, parsed)
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
        let parsed = required(push_out, "push_out").and_then(|()| {
            let target = opt_str_arg(target, "target")?.unwrap_or_default();
            let bytes = bytes_arg(body, body_len, "body")?;
            Ok(record::parse_push_routed(bytes, target)?)
        });
        put(push_out, parsed)
    }
}

/// Release a push and everything borrowed from it. NULL is a no-op.
///
/// # Safety
/// `push` is NULL or a push from `ytx_push_parse` not yet freed.
#[no_mangle]
pub unsafe extern "C" fn ytx_push_free(push: *mut ytx_push) {
    ffi_boundary! {
        super::release(push);
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
        push.as_ref().map_or(YTX_PUSH_NONE, |p| p.kind)
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
        str_of(push, |x| &x.request_id)
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
        str_of(push, |x| &x.number)
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
        str_of(push, |x| &x.state_text)
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
        str_of(push, |x| &x.state_desc)
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
        str_of(push, |x| &x.timestamp)
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
        push.as_ref().map_or(YTX_CALL_STATE_UNKNOWN, |p| p.state)
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
        store(push.as_ref().and_then(|p| p.timestamp_unix), unix_out)
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
        push.as_ref()
            .map_or(std::ptr::null(), |p| p.fields.get(name))
    }
}

/// The number of fields of a state push (0 for a record push or NULL).
///
/// # Safety
/// `push` is NULL or a live push.
#[no_mangle]
pub unsafe extern "C" fn ytx_push_field_count(push: *const ytx_push) -> usize {
    ffi_boundary! {
        push.as_ref().map_or(0, |p| p.fields.names.len())
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
        push.as_ref()
            .map_or(std::ptr::null(), |p| p.fields.name(index))
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
        push.as_ref()
            .map_or(std::ptr::null(), |p| p.fields.value(index))
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
        push.as_ref().map_or(std::ptr::null(), |p| &p.records)
    }
}

/// The number of records in a list (0 for NULL).
///
/// # Safety
/// `records` is NULL or a live list.
#[no_mangle]
pub unsafe extern "C" fn ytx_records_count(records: *const ytx_records) -> usize {
    ffi_boundary! {
        records.as_ref().map_or(0, |r| r.items.len())
    }
}

/// Record number `index` of a list (borrowed from the list), or NULL when out
/// of range or `records` is NULL.
///
/// # Safety
/// `records` is NULL or a live list.
#[no_mangle]
pub unsafe extern "C" fn ytx_records_get(
    records: *const ytx_records,
    index: usize,
) -> *const ytx_record {
    ffi_boundary! {
        records
            .as_ref()
            .and_then(|r| r.items.get(index))
            .map_or(std::ptr::null(), |r| r as *const ytx_record)
    }
}

/// Release a list from `ytx_call_record`, `ytx_call_records_after` or
/// `ytx_find_call`, and every record borrowed from it. NULL is a no-op.
/// Never pass the list borrowed from a push.
///
/// # Safety
/// `records` is NULL or an owned list not yet freed.
#[no_mangle]
pub unsafe extern "C" fn ytx_records_free(records: *mut ytx_records) {
    ffi_boundary! {
        super::release(records);
    }
}

/// The record's requestId (`requestid`), exactly as sent.
/// "" for NULL or when absent.
///
/// # Safety
/// `record` is NULL or a live record.
#[no_mangle]
pub unsafe extern "C" fn ytx_record_request_id(record: *const ytx_record) -> *const c_char {
    ffi_boundary! {
        str_of(record, |x| &x.request_id)
    }
}
/// The app id (`appid`).
/// "" for NULL or when absent.
///
/// # Safety
/// `record` is NULL or a live record.
#[no_mangle]
pub unsafe extern "C" fn ytx_record_app_id(record: *const ytx_record) -> *const c_char {
    ffi_boundary! {
        str_of(record, |x| &x.app_id)
    }
}
/// The product number (`fid`): "4" for a callback call.
/// "" for NULL or when absent.
///
/// # Safety
/// `record` is NULL or a live record.
#[no_mangle]
pub unsafe extern "C" fn ytx_record_fid(record: *const ytx_record) -> *const c_char {
    ffi_boundary! {
        str_of(record, |x| &x.fid)
    }
}
/// Your own reference from the request (`customParm`).
/// "" for NULL or when absent.
///
/// # Safety
/// `record` is NULL or a live record.
#[no_mangle]
pub unsafe extern "C" fn ytx_record_custom_parm(record: *const ytx_record) -> *const c_char {
    ffi_boundary! {
        str_of(record, |x| &x.custom_parm)
    }
}
/// First leg of a two-leg record (`caller`, the request's src).
/// "" for NULL or when absent.
///
/// # Safety
/// `record` is NULL or a live record.
#[no_mangle]
pub unsafe extern "C" fn ytx_record_caller(record: *const ytx_record) -> *const c_char {
    ffi_boundary! {
        str_of(record, |x| &x.caller)
    }
}
/// Second leg of a two-leg record (`called`, the request's dst).
/// "" for NULL or when absent.
///
/// # Safety
/// `record` is NULL or a live record.
#[no_mangle]
pub unsafe extern "C" fn ytx_record_called(record: *const ytx_record) -> *const c_char {
    ffi_boundary! {
        str_of(record, |x| &x.called)
    }
}
/// The number called in a one-leg record (`tel`).
/// "" for NULL or when absent.
///
/// # Safety
/// `record` is NULL or a live record.
#[no_mangle]
pub unsafe extern "C" fn ytx_record_tel(record: *const ytx_record) -> *const c_char {
    ffi_boundary! {
        str_of(record, |x| &x.tel)
    }
}
/// The outcome in words (`stateDesc`), e.g. "应答|正常".
/// "" for NULL or when absent.
///
/// # Safety
/// `record` is NULL or a live record.
#[no_mangle]
pub unsafe extern "C" fn ytx_record_state_desc(record: *const ytx_record) -> *const c_char {
    ffi_boundary! {
        str_of(record, |x| &x.state_desc)
    }
}
/// The recording's URL (`tapesurl`); "" when there is none (`NoTapes`).
/// "" for NULL or when absent.
///
/// # Safety
/// `record` is NULL or a live record.
#[no_mangle]
pub unsafe extern "C" fn ytx_record_recording_url(record: *const ytx_record) -> *const c_char {
    ffi_boundary! {
        str_of(record, |x| &x.recording_url)
    }
}
/// The charge in yuan as the exact decimal text sent (`oriamount`, e.g.
/// "0.31"); "" when absent or not an amount of whole fen.
/// "" for NULL or when absent.
///
/// # Safety
/// `record` is NULL or a live record.
#[no_mangle]
pub unsafe extern "C" fn ytx_record_amount_text(record: *const ytx_record) -> *const c_char {
    ffi_boundary! {
        str_of(record, |x| &x.amount_text)
    }
}

/// Billed seconds (`duration`), or -1 when absent or not a whole number
/// (or `record` is NULL, or a bug was caught).
///
/// # Safety
/// `record` is NULL or a live record.
#[no_mangle]
pub unsafe extern "C" fn ytx_record_duration(record: *const ytx_record) -> i64 {
    ffi_boundary! {
        on_panic = -1; // as for an unknown duration, never a billed 0
        record
            .as_ref()
            .and_then(|r| r.record.duration())
            .and_then(|d| i64::try_from(d).ok())
            .unwrap_or(-1)
    }
}

/// The charge in whole fen (1 yuan = 100 fen; "0.31" is 31): returns 1 and
/// stores it in `*fen_out`, or returns 0 (absent, not whole fen, NULL
/// record) and leaves `*fen_out` alone.
///
/// # Safety
/// `record` is NULL or a live record; `fen_out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ytx_record_amount_fen(
    record: *const ytx_record,
    fen_out: *mut i64,
) -> i32 {
    ffi_boundary! {
        store(
            record
                .as_ref()
                .and_then(|r| r.record.amount())
                .map(|a| a.fen()),
            fen_out,
        )
    }
}

/// A time field by wire name (`callerstime`, `calleretime`, `calledstime`,
/// `calledetime`, `stime`, `etime`) as Unix seconds, parsed from UTC+8:
/// returns 1 and stores it in `*unix_out`, or returns 0 (absent, empty: it
/// never happened, or an unknown format; see `ytx_record_field` for the
/// text) and leaves `*unix_out` alone.
///
/// # Safety
/// `record` is NULL or a live record; `name` is NULL or NUL-terminated;
/// `unix_out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ytx_record_time_unix(
    record: *const ytx_record,
    name: *const c_char,
    unix_out: *mut i64,
) -> i32 {
    ffi_boundary! {
        let Ok(name) = str_arg(name, "name") else {
            return 0;
        };
        store(
            record
                .as_ref()
                .and_then(|r| r.record.time(name))
                .map(|t| t.unix_timestamp()),
            unix_out,
        )
    }
}

/// Any field of the record by its wire name (also fields this library does
/// not know), as text: a JSON number as its exact digits, `null` as "".
/// NULL when absent (or `record`/`name` is NULL).
///
/// # Safety
/// `record` is NULL or a live record; `name` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn ytx_record_field(
    record: *const ytx_record,
    name: *const c_char,
) -> *const c_char {
    ffi_boundary! {
        record
            .as_ref()
            .map_or(std::ptr::null(), |r| r.fields.get(name))
    }
}

/// The number of fields of the record (0 for NULL).
///
/// # Safety
/// `record` is NULL or a live record.
#[no_mangle]
pub unsafe extern "C" fn ytx_record_field_count(record: *const ytx_record) -> usize {
    ffi_boundary! {
        record.as_ref().map_or(0, |r| r.fields.names.len())
    }
}

/// The wire name of the record's field number `index` (in the order sent),
/// or NULL when out of range.
///
/// # Safety
/// `record` is NULL or a live record.
#[no_mangle]
pub unsafe extern "C" fn ytx_record_field_name(
    record: *const ytx_record,
    index: usize,
) -> *const c_char {
    ffi_boundary! {
        record
            .as_ref()
            .map_or(std::ptr::null(), |r| r.fields.name(index))
    }
}

/// The value of the record's field number `index`, or NULL when out of range.
///
/// # Safety
/// `record` is NULL or a live record.
#[no_mangle]
pub unsafe extern "C" fn ytx_record_field_value(
    record: *const ytx_record,
    index: usize,
) -> *const c_char {
    ffi_boundary! {
        record
            .as_ref()
            .map_or(std::ptr::null(), |r| r.fields.value(index))
    }
}

/// Store `value` in `*out` (when `out` is not NULL) and return 1; 0 (nothing
/// stored) for `None`.
///
/// # Safety
/// `out` is NULL or writable.
pub(super) unsafe fn store(value: Option<i64>, out: *mut i64) -> i32 {
    match value {
        Some(v) => {
            if !out.is_null() {
                *out = v;
            }
            1
        }
        None => 0,
    }
}

/// Send a query with the client behind `client`.
///
/// # Safety
/// `out` is NULL or valid for one pointer write.
pub(super) unsafe fn query<T, C: From<T>>(
    client: *const ytx_client,
    out: *mut *mut C,
    out_name: &str,
    run: impl FnOnce(&Client) -> FfiResult<T>,
) -> Outcome {
    let result = crate::client::logged_invalid(
        "query",
        handles::get(client).and_then(|c| required(out, out_name).map(|()| c)),
    )
    .and_then(|c| run(&c));
    let delivered = matches!(&result, Ok(_) | Err(FfiError::Core(Error::Platform { .. })));
    let mut outcome = put(out, result);
    if delivered {
        outcome.mark_answered();
    }
    outcome
}

/// The record of one call (`CallCdr.wx`, `getCdrByResId`, limit 0).
///
/// Parameters:
/// - `client`: a handle from `ytx_client_new`.
/// - `request_id`: UTF-8, the requestId of an accepted call.
/// - `fid`: the product number; NULL or "" for "4" (the callback call).
/// - `records_out`: required; on `YTX_OK` receives a new list with the one
///   record, or an empty list when the platform has none (yet: it writes a
///   record about 20 s after the call ends); NULL on error. Free it with
///   `ytx_records_free`.
/// - `outcome_out`: NULL, or receives a new `ytx_outcome` (always).
///
/// Returns `YTX_OK` or the error's code, as `ytx_callback_call` does. Sent
/// once, never retried. Thread safety: any number of threads.
///
/// # Safety
/// Every pointer is NULL or valid as described; strings are NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn ytx_call_record(
    client: *const ytx_client,
    request_id: *const c_char,
    fid: *const c_char,
    records_out: *mut *mut ytx_records,
    outcome_out: *mut *mut ytx_outcome,
) -> ytx_result {
    ffi_boundary! {
        outcome_out = outcome_out;
        query(client, records_out, "records_out", |c| {
            let q = with_fid(RecordQuery::of(str_arg(request_id, "request_id")?), fid)?;
            Ok(ytx_records::new(
                c.call_record_with(&q)?.into_iter().collect(),
            ))
        })
    }
}

/// Up to `limit` (1–1000) call records after `request_id` ("0": from the
/// first), for paging: pass the last record's requestId to get the next
/// page. Parameters and result as `ytx_call_record`; the list may hold
/// fewer records than `limit` (none: the end).
///
/// # Safety
/// As `ytx_call_record`.
#[no_mangle]
pub unsafe extern "C" fn ytx_call_records_after(
    client: *const ytx_client,
    request_id: *const c_char,
    limit: u32,
    fid: *const c_char,
    records_out: *mut *mut ytx_records,
    outcome_out: *mut *mut ytx_outcome,
) -> ytx_result {
    ffi_boundary! {
        outcome_out = outcome_out;
        query(client, records_out, "records_out", |c| {
            let q = with_fid(
                RecordQuery::after(str_arg(request_id, "request_id")?, limit),
                fid,
            )?;
            Ok(ytx_records::new(c.call_records(&q)?))
        })
    }
}

/// Find the call whose `customParm` is `custom_parm` among the records after
/// `after_request_id` (a requestId known from before the call; "0" searches
/// from the first record), paging 100 records at a time, at most 100 pages.
///
/// This is how an *outcome unknown* (`YTX_DELIVERY_UNKNOWN`) is resolved
/// without ringing anyone twice: on `YTX_OK`, a list of one record means the
/// call was placed (do not place it again); an empty list means no record
/// yet, never by itself "not placed": a record is written only after the
/// call ends, up to srctimeout + dsttimeout + credit + 60 s after it was
/// sent (PROTOCOL.md). `ytx_resolve` applies that bound and answers placed,
/// not placed or not known yet. Only an empty page ends the
/// search: a page shorter than asked for (a gateway capping `limit`) is
/// not the end. Running out of pages is `YTX_ERR_INVALID_ARGUMENT` naming `max_pages`,
/// never an empty list. Other parameters as `ytx_call_record`.
///
/// # Safety
/// As `ytx_call_record`.
#[no_mangle]
pub unsafe extern "C" fn ytx_find_call(
    client: *const ytx_client,
    custom_parm: *const c_char,
    after_request_id: *const c_char,
    fid: *const c_char,
    records_out: *mut *mut ytx_records,
    outcome_out: *mut *mut ytx_outcome,
) -> ytx_result {
    ffi_boundary! {
        outcome_out = outcome_out;
        query(client, records_out, "records_out", |c| {
            let mut search = FindCall::new(
                str_arg(custom_parm, "custom_parm")?,
                str_arg(after_request_id, "after_request_id")?,
            );
            if let Some(f) = opt_str_arg(fid, "fid")?.filter(|f| !f.is_empty()) {
                search = search.fid(f);
            }
            Ok(ytx_records::new(
                c.find_call_with(&search)?.into_iter().collect(),
            ))
        })
    }
}

/// # Safety
/// `fid` is NULL or a NUL-terminated string.
unsafe fn with_fid(q: RecordQuery, fid: *const c_char) -> FfiResult<RecordQuery> {
    Ok(match opt_str_arg(fid, "fid")? {
        Some(f) if !f.is_empty() => q.fid(f),
        _ => q,
    })
}

/// The account's balance (`account/getBlance.wx`, version 201612).
///
/// - `client`: a handle from `ytx_client_new`.
/// - `balance_out`: required; receives a new `ytx_balance` on `YTX_OK`, NULL
///   on error; free it with `ytx_balance_free`.
/// - `outcome_out`: NULL, or receives a new `ytx_outcome` (always).
///
/// Returns `YTX_OK` or the error's code, as `ytx_callback_call` does.
///
/// # Safety
/// Every pointer is NULL or valid as described.
#[no_mangle]
pub unsafe extern "C" fn ytx_query_balance(
    client: *const ytx_client,
    balance_out: *mut *mut ytx_balance,
    outcome_out: *mut *mut ytx_outcome,
) -> ytx_result {
    ffi_boundary! {
        outcome_out = outcome_out;
        query(client, balance_out, "balance_out", |c| {
            Ok(c.balance()?)
        })
    }
}

/// The balance in yuan as the exact decimal text sent, e.g. "7.08"; "" for NULL.
///
/// # Safety
/// `balance` is NULL or a live balance.
#[no_mangle]
pub unsafe extern "C" fn ytx_balance_text(balance: *const ytx_balance) -> *const c_char {
    ffi_boundary! {
        balance.as_ref().map_or(empty(), |b| b.text.as_ptr())
    }
}

/// The balance in whole fen (7.08 yuan is 708; may be negative); 0 for NULL.
///
/// # Safety
/// `balance` is NULL or a live balance.
#[no_mangle]
pub unsafe extern "C" fn ytx_balance_fen(balance: *const ytx_balance) -> i64 {
    ffi_boundary! {
        balance.as_ref().map_or(0, |b| b.fen)
    }
}

/// Release a balance. NULL is a no-op.
///
/// # Safety
/// `balance` is NULL or a balance from `ytx_query_balance` not yet freed.
#[no_mangle]
pub unsafe extern "C" fn ytx_balance_free(balance: *mut ytx_balance) {
    ffi_boundary! {
        super::release(balance);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

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
}
