//! The C ABI of the tracker (`crate::tracker`): `ytx_tracker` (a handle,
//! like `ytx_client`), the `ytx_event` its `ytx_tracker_next_event` hands
//! out, and the `ytx_pending` list of what it still watches. Converts and
//! delegates; the rules live in the core.

use std::collections::HashMap;
use std::ffi::{c_char, CString};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use once_cell::sync::Lazy;

use super::codes::{FfiError, FfiResult};
use super::outcome::{c_string, Outcome};
use super::panic::ffi_boundary;
use super::record::ytx_record;
use super::ytx_result;
use super::{bytes_arg, for_each_option, handles, opt_str_arg, str_arg, ytx_client, ytx_outcome};
use crate::error::Error;
use crate::tracker::{Event, EventKind, TrackedCall, Tracker, TrackerOptions};

/// Opaque tracker handle, from `ytx_tracker_new`, released with
/// `ytx_tracker_free`. Like a client handle it is a key, never an address:
/// a freed or garbage handle is `YTX_ERR_INVALID_HANDLE` (HTTP 500 from
/// `ytx_tracker_on_push`).
///
/// Thread safety: one handle may be used from any number of threads at
/// once (`ytx_tracker_on_push` from the HTTP server's threads,
/// `ytx_tracker_next_event` from the event loop). Freeing it while another
/// thread waits in `ytx_tracker_next_event` is safe: that call returns at
/// once with no event.
pub struct ytx_tracker {
    _private: [u8; 0],
}

static TRACKERS: Lazy<RwLock<HashMap<usize, Arc<Tracker>>>> = Lazy::new(Default::default);
/// Keys apart from the clients' (0x7974_0000...), aligned-looking.
static NEXT_KEY: AtomicUsize = AtomicUsize::new(0x7a74_0000);

fn tracker_of(handle: *const ytx_tracker) -> FfiResult<Arc<Tracker>> {
    TRACKERS
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .get(&(handle as usize))
        .cloned()
        .ok_or(FfiError::InvalidHandle)
}

/// What an event is about (fixed width: `uint32_t`).
pub type ytx_event_kind = u32;
/// No event (the answer for a NULL `ytx_event`).
pub const YTX_EVENT_NONE: ytx_event_kind = 0;
/// A leg's state changed (`ytx_event_state`, `ytx_event_number`,
/// `ytx_event_leg`, `ytx_event_timestamp`).
pub const YTX_EVENT_LEG_STATE: ytx_event_kind = 1;
/// An accepted call's record, confirmed (`ytx_event_record`): once per call.
pub const YTX_EVENT_COMPLETED: ytx_event_kind = 2;
/// An outcome unknown settled: `ytx_event_placed` 1 (with its record) or 0
/// (not placed, only once the bound has passed); -1 when it cannot be
/// resolved (sent without customParm). Once per call.
pub const YTX_EVENT_RESOLVED: ytx_event_kind = 3;
/// No record long after the bound (to alert on); the tracker goes on looking.
pub const YTX_EVENT_OVERDUE: ytx_event_kind = 4;
/// A push matching no tracked call (requestId, appid or numbers), or an SMS
/// report: dropped (`ytx_event_reason` says why).
pub const YTX_EVENT_UNRECOGNISED_PUSH: ytx_event_kind = 5;

fn kind_code(k: EventKind) -> ytx_event_kind {
    match k {
        EventKind::LegState => YTX_EVENT_LEG_STATE,
        EventKind::Completed => YTX_EVENT_COMPLETED,
        EventKind::Resolved => YTX_EVENT_RESOLVED,
        EventKind::Overdue => YTX_EVENT_OVERDUE,
        EventKind::UnrecognisedPush => YTX_EVENT_UNRECOGNISED_PUSH,
    }
}

const EMPTY: &[u8] = b"\0";

fn empty() -> *const c_char {
    EMPTY.as_ptr().cast()
}

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
    leg: &'static [u8],
    timestamp: CString,
    ticket: CString,
    reason: CString,
}

impl From<Event> for ytx_event {
    fn from(e: Event) -> ytx_event {
        let text = |s: &str| c_string(s.to_string());
        ytx_event {
            kind: kind_code(e.kind()),
            request_id: text(e.request_id()),
            custom_parm: text(e.custom_parm().unwrap_or_default()),
            record: e.record().cloned().map(ytx_record::from),
            placed: e.placed().map_or(-1, i32::from),
            verified: i32::from(e.verified()),
            state: text(e.state().map_or("", |s| s.as_str())),
            number: text(e.number().unwrap_or_default()),
            leg: match e.leg() {
                Some(crate::tracker::Leg::Src) => b"src\0",
                Some(crate::tracker::Leg::Dst) => b"dst\0",
                None => EMPTY,
            },
            timestamp: text(e.timestamp()),
            ticket: c_string(e.ticket().map(|t| t.to_text()).unwrap_or_default()),
            reason: text(e.reason()),
        }
    }
}

/// One item of a `ytx_pending` list.
struct PendingItem {
    request_id: CString,
    custom_parm: CString,
    sent_unix: i64,
    credit: u32,
    json: CString,
}

/// What a tracker still watches, from `ytx_tracker_pending`. Owned by the
/// caller, released with `ytx_pending_free`; immutable. Strings are UTF-8,
/// never NULL, valid until the list is freed.
pub struct ytx_pending {
    items: Vec<PendingItem>,
}

impl From<Vec<TrackedCall>> for ytx_pending {
    fn from(calls: Vec<TrackedCall>) -> ytx_pending {
        let items = calls
            .into_iter()
            .map(|c| PendingItem {
                request_id: c_string(c.request_id.clone().unwrap_or_default()),
                custom_parm: c_string(c.custom_parm.clone().unwrap_or_default()),
                sent_unix: c
                    .sent_at
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX)),
                credit: c.credit.unwrap_or(0),
                json: c_string(c.to_json()),
            })
            .collect();
        ytx_pending { items }
    }
}

/// Store a new owned `C` from `value` in `*out` on success (NULL on error)
/// and make the outcome.
///
/// # Safety
/// `out` is NULL or valid for one pointer write.
unsafe fn put<C>(out: *mut *mut C, value: FfiResult<Option<C>>) -> Outcome {
    match value {
        Ok(v) => {
            if !out.is_null() {
                *out = v.map_or(std::ptr::null_mut(), super::owned);
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

/// Make a tracker over a client: every callback call the client places from
/// now on (`ytx_callback_call`) is tracked from "accepted", and every
/// outcome unknown of one is tracked as a call to resolve. No thread of its
/// own: its work (record queries, held states, overdue alerts) happens
/// inside `ytx_tracker_next_event`.
///
/// Parameters:
/// - `client`: a handle from `ytx_client_new`; the tracker keeps the client
///   alive (freeing the client handle is fine).
/// - `option_names`, `option_values`, `option_count`: options by name,
///   UTF-8 (NULL arrays with a count of 0 for the defaults): `verify`
///   (`always` (default), `when_no_record_push`, `never`),
///   `queries_per_minute` (60), `overdue_after_ms` (3600000),
///   `after_disconnect_ms` (20000), `reorder_window_ms` (1000),
///   `orphan_window_ms` (10000), `default_ring_timeout_ms` (60000),
///   `record_delay_ms` (60000), `assume_credit` (3600), `max_tracked`
///   (100000), `clock` (`system`, or `manual` for tests: see
///   `ytx_tracker_advance_clock`).
/// - `tracker_out`: required; receives the new handle on `YTX_OK` (free it
///   with `ytx_tracker_free`), NULL on error.
/// - `outcome_out`: NULL, or receives a new `ytx_outcome` (always).
///
/// Returns `YTX_OK`; `YTX_ERR_INVALID_ARGUMENT` naming a bad option;
/// `YTX_ERR_INVALID_HANDLE` for a bad client. Thread safety: any thread.
///
/// # Safety
/// Every pointer is NULL or valid as described; strings are NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn ytx_tracker_new(
    client: *const ytx_client,
    option_names: *const *const c_char,
    option_values: *const *const c_char,
    option_count: usize,
    tracker_out: *mut *mut ytx_tracker,
    outcome_out: *mut *mut ytx_outcome,
) -> ytx_result {
    ffi_boundary! {
        outcome_out = outcome_out;
        let made = (|| -> FfiResult<*mut ytx_tracker> {
            required(tracker_out, "tracker_out")?;
            let client = handles::get(client)?;
            let mut options = TrackerOptions::new();
            for_each_option(option_names, option_values, option_count, |name, value| {
                Ok(options.set(name, value)?)
            })?;
            let tracker = Tracker::new(client, options)?;
            let key = NEXT_KEY.fetch_add(16, Ordering::Relaxed);
            TRACKERS
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .insert(key, Arc::new(tracker));
            Ok(key as *mut ytx_tracker)
        })();
        match made {
            Ok(handle) => {
                *tracker_out = handle;
                Outcome::ok()
            }
            Err(e) => {
                if !tracker_out.is_null() {
                    *tracker_out = std::ptr::null_mut();
                }
                Outcome::error(&e)
            }
        }
    }
}

/// Release a tracker handle. A thread waiting in `ytx_tracker_next_event`
/// returns at once with no event; the client is no longer followed. NULL
/// or an unknown handle is a no-op.
///
/// # Safety
/// `tracker` is any value (it is looked up, never dereferenced).
#[no_mangle]
pub unsafe extern "C" fn ytx_tracker_free(tracker: *mut ytx_tracker) {
    ffi_boundary! {
        let removed = {
            let mut all = TRACKERS.write().unwrap_or_else(|p| p.into_inner());
            let removed = all.remove(&(tracker as usize));
            if all.is_empty() {
                all.shrink_to_fit();
            }
            removed
        };
        if let Some(t) = removed {
            t.close();
        }
    }
}

/// The number of tracker handles created and not yet freed (leak checks).
#[no_mangle]
pub extern "C" fn ytx_live_trackers() -> usize {
    ffi_boundary! {
        TRACKERS.read().unwrap_or_else(|p| p.into_inner()).len()
    }
}

/// Take a push: the body the platform POSTed and the URL's query. Returns
/// at once, never touching the network, the HTTP status to answer: 200 for
/// anything that is JSON (used, duplicate, late or unrecognised), 400 for a
/// body that is not JSON (or a NULL body with a length), 413 for one over
/// 4 MiB, 500 for a bad handle (or a bug: a caught panic).
///
/// Parameters:
/// - `body`, `body_len`: the raw body (need not be NUL-terminated).
/// - `query`: the URL's query ("Call", "CallState"), or the whole request
///   target ("/ytx/push?Call"); NULL or "" routes by the body's shape.
///
/// Thread safety: any number of threads at once.
///
/// # Safety
/// `body` is NULL or points to `body_len` readable bytes; `query` is NULL
/// or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn ytx_tracker_on_push(
    tracker: *const ytx_tracker,
    body: *const u8,
    body_len: usize,
    query: *const c_char,
) -> u16 {
    ffi_boundary! {
        on_panic = 500;
        let Ok(t) = tracker_of(tracker) else {
            return 500;
        };
        let Ok(body) = bytes_arg(body, body_len, "body") else {
            return 400;
        };
        let query = opt_str_arg(query, "query").ok().flatten();
        t.on_push(body, query)
    }
}

/// The next event, waiting up to `timeout_ms` (negative: until there is
/// one, or the tracker is freed). The tracker's work happens here, on the
/// calling thread (due record queries may take up to the client's timeout
/// longer than `timeout_ms`).
///
/// Parameters:
/// - `event_out`: required; receives a new `ytx_event` (free it with
///   `ytx_event_free`), or NULL when the time ran out.
/// - `outcome_out`: NULL, or receives a new `ytx_outcome` (always).
///
/// Returns `YTX_OK` (with an event or NULL); `YTX_ERR_INVALID_HANDLE`;
/// `YTX_ERR_NULL_ARGUMENT` for a NULL `event_out`. Thread safety: any
/// number of threads may wait at once; each event goes to one of them.
///
/// # Safety
/// The out-pointers are NULL or valid for one pointer write.
#[no_mangle]
pub unsafe extern "C" fn ytx_tracker_next_event(
    tracker: *const ytx_tracker,
    timeout_ms: i64,
    event_out: *mut *mut ytx_event,
    outcome_out: *mut *mut ytx_outcome,
) -> ytx_result {
    ffi_boundary! {
        outcome_out = outcome_out;
        let got = required(event_out, "event_out").and_then(|()| {
            let t = tracker_of(tracker)?;
            let timeout = u64::try_from(timeout_ms).ok().map(Duration::from_millis);
            Ok(t.next_event(timeout).map(ytx_event::from))
        });
        put(event_out, got)
    }
}

/// Watch a call placed elsewhere (another process, before a restart).
///
/// Parameters:
/// - `request_id`: required, the requestId of the accepted call.
/// - `custom_parm`, `src`, `dst`: NULL when not known (they sharpen the
///   cross-checks of pushes).
/// - `sent_unix`: when it was sent, Unix seconds; 0 for now.
/// - `credit`: its credit in seconds; 0 when not known (the option
///   `assume_credit` is used for the bound).
/// - `outcome_out`: NULL, or receives a new `ytx_outcome` (always).
///
/// Returns `YTX_OK` (also when it is already watched);
/// `YTX_ERR_INVALID_ARGUMENT` naming the field. Thread safety: any thread.
///
/// # Safety
/// Strings are NULL or NUL-terminated; `outcome_out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ytx_tracker_track(
    tracker: *const ytx_tracker,
    request_id: *const c_char,
    custom_parm: *const c_char,
    sent_unix: i64,
    credit: u32,
    src: *const c_char,
    dst: *const c_char,
    outcome_out: *mut *mut ytx_outcome,
) -> ytx_result {
    ffi_boundary! {
        outcome_out = outcome_out;
        let done = (|| -> FfiResult<()> {
            let t = tracker_of(tracker)?;
            let text = |p, f| -> FfiResult<Option<String>> {
                Ok(opt_str_arg(p, f)?.filter(|s| !s.is_empty()).map(str::to_string))
            };
            let mut call = TrackedCall::new(str_arg(request_id, "request_id")?);
            call.custom_parm = text(custom_parm, "custom_parm")?;
            call.src = text(src, "src")?;
            call.dst = text(dst, "dst")?;
            call.credit = (credit > 0).then_some(credit);
            if sent_unix < 0 {
                return Err(Error::invalid("sent_unix", "must be 0 (now) or a Unix time").into());
            }
            if sent_unix > 0 {
                call.sent_at = std::time::UNIX_EPOCH + Duration::from_secs(sent_unix.unsigned_abs());
            }
            Ok(t.track(call)?)
        })();
        match done {
            Ok(()) => Outcome::ok(),
            Err(e) => Outcome::error(&e),
        }
    }
}

/// Watch a call again from its JSON (`ytx_pending_json` of an earlier
/// tracker, kept by the application over a restart, or a `ytx watch`
/// journal line). States it says were delivered are never handed out again.
///
/// Returns `YTX_OK`; `YTX_ERR_INVALID_ARGUMENT` naming `tracked_call` (or
/// the bad field). Thread safety: any thread.
///
/// # Safety
/// `tracked_json` is NULL or NUL-terminated; `outcome_out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ytx_tracker_restore(
    tracker: *const ytx_tracker,
    tracked_json: *const c_char,
    outcome_out: *mut *mut ytx_outcome,
) -> ytx_result {
    ffi_boundary! {
        outcome_out = outcome_out;
        let done = (|| -> FfiResult<()> {
            let t = tracker_of(tracker)?;
            let call = TrackedCall::from_json(str_arg(tracked_json, "tracked_json")?)?;
            Ok(t.track(call)?)
        })();
        match done {
            Ok(()) => Outcome::ok(),
            Err(e) => Outcome::error(&e),
        }
    }
}

/// What the tracker still watches, each item with what the application
/// already received: keep the items' JSON (`ytx_pending_json`) and
/// `ytx_tracker_restore` each in a new tracker after a restart.
///
/// Parameters:
/// - `pending_out`: required; receives a new list (free it with
///   `ytx_pending_free`), NULL on error.
///
/// # Safety
/// The out-pointers are NULL or valid for one pointer write.
#[no_mangle]
pub unsafe extern "C" fn ytx_tracker_pending(
    tracker: *const ytx_tracker,
    pending_out: *mut *mut ytx_pending,
    outcome_out: *mut *mut ytx_outcome,
) -> ytx_result {
    ffi_boundary! {
        outcome_out = outcome_out;
        let got = required(pending_out, "pending_out")
            .and_then(|()| Ok(Some(ytx_pending::from(tracker_of(tracker)?.pending()))));
        put(pending_out, got)
    }
}

/// Stop watching a call, by its key (the requestId, or `unknown:` and the
/// customParm of an outcome unknown). 1 when it was watched, 0 otherwise
/// (also for a bad handle or NULL key).
///
/// # Safety
/// `key` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn ytx_tracker_forget(
    tracker: *const ytx_tracker,
    key: *const c_char,
) -> i32 {
    ffi_boundary! {
        match (tracker_of(tracker), str_arg(key, "key")) {
            (Ok(t), Ok(k)) => i32::from(t.forget(k)),
            _ => 0,
        }
    }
}

/// A counter of the tracker by name: `pushes`, `duplicates`, `unrecognised`,
/// `late`, `hints`, `stale`, `queries`, `query_errors`, `rate_limited`, `events`.
/// 0 for another name, a NULL name or a bad handle.
///
/// # Safety
/// `name` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn ytx_tracker_stat(tracker: *const ytx_tracker, name: *const c_char) -> u64 {
    ffi_boundary! {
        match (tracker_of(tracker), str_arg(name, "name")) {
            (Ok(t), Ok(n)) => t.stats().get(n).unwrap_or(0),
            _ => 0,
        }
    }
}

/// Move the clock of a tracker made with the option `clock` = `manual` by
/// `ms` milliseconds (tests: the bound of a call passes without waiting).
/// `YTX_ERR_INVALID_ARGUMENT` naming `clock` for a tracker on the system
/// clock.
///
/// # Safety
/// `outcome_out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ytx_tracker_advance_clock(
    tracker: *const ytx_tracker,
    ms: u64,
    outcome_out: *mut *mut ytx_outcome,
) -> ytx_result {
    ffi_boundary! {
        outcome_out = outcome_out;
        let done = tracker_of(tracker)
            .and_then(|t| Ok(t.advance_clock(Duration::from_millis(ms))?));
        match done {
            Ok(()) => Outcome::ok(),
            Err(e) => Outcome::error(&e),
        }
    }
}

/// Read a field of an event, or `fallback` for NULL.
///
/// # Safety
/// `e` is NULL or a live event.
unsafe fn read<T>(e: *const ytx_event, fallback: T, f: impl FnOnce(&ytx_event) -> T) -> T {
    e.as_ref().map_or(fallback, f)
}

/// The event's kind (`YTX_EVENT_*`); `YTX_EVENT_NONE` for NULL.
///
/// # Safety
/// `event` is NULL or a live event.
#[no_mangle]
pub unsafe extern "C" fn ytx_event_kind_of(event: *const ytx_event) -> ytx_event_kind {
    ffi_boundary! {
        read(event, YTX_EVENT_NONE, |e| e.kind)
    }
}

/// The name of an event kind, e.g. "YTX_EVENT_COMPLETED", or "YTX_UNKNOWN".
/// A static string, never freed.
#[no_mangle]
pub extern "C" fn ytx_event_kind_name(kind: ytx_event_kind) -> *const c_char {
    ffi_boundary! {
        let name: &'static [u8] = match kind {
            YTX_EVENT_NONE => b"YTX_EVENT_NONE\0",
            YTX_EVENT_LEG_STATE => b"YTX_EVENT_LEG_STATE\0",
            YTX_EVENT_COMPLETED => b"YTX_EVENT_COMPLETED\0",
            YTX_EVENT_RESOLVED => b"YTX_EVENT_RESOLVED\0",
            YTX_EVENT_OVERDUE => b"YTX_EVENT_OVERDUE\0",
            YTX_EVENT_UNRECOGNISED_PUSH => b"YTX_EVENT_UNRECOGNISED_PUSH\0",
            _ => b"YTX_UNKNOWN\0",
        };
        name.as_ptr().cast()
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
        read(event, empty(), |e| e.request_id.as_ptr())
    }
}

/// The call's customParm, "" when not known. "" for NULL.
///
/// # Safety
/// `event` is NULL or a live event.
#[no_mangle]
pub unsafe extern "C" fn ytx_event_custom_parm(event: *const ytx_event) -> *const c_char {
    ffi_boundary! {
        read(event, empty(), |e| e.custom_parm.as_ptr())
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
        read(event, empty(), |e| e.state.as_ptr())
    }
}

/// `YTX_EVENT_LEG_STATE`: the leg's number as pushed (`dsc`); "" otherwise.
///
/// # Safety
/// `event` is NULL or a live event.
#[no_mangle]
pub unsafe extern "C" fn ytx_event_number(event: *const ytx_event) -> *const c_char {
    ffi_boundary! {
        read(event, empty(), |e| e.number.as_ptr())
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
        read(event, empty(), |e| e.leg.as_ptr().cast())
    }
}

/// `YTX_EVENT_LEG_STATE`: the push's `timestamp` text (UTC+8); "" otherwise.
///
/// # Safety
/// `event` is NULL or a live event.
#[no_mangle]
pub unsafe extern "C" fn ytx_event_timestamp(event: *const ytx_event) -> *const c_char {
    ffi_boundary! {
        read(event, empty(), |e| e.timestamp.as_ptr())
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
        read(event, empty(), |e| e.ticket.as_ptr())
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
        read(event, empty(), |e| e.reason.as_ptr())
    }
}

/// Release an event and its record. NULL is a no-op.
///
/// # Safety
/// `event` is NULL or an owned event not yet freed.
#[no_mangle]
pub unsafe extern "C" fn ytx_event_free(event: *mut ytx_event) {
    ffi_boundary! {
        super::release(event)
    }
}

/// Item `index` of a pending list, or `None` (NULL list, index past the end).
///
/// # Safety
/// `p` is NULL or a live list.
unsafe fn item<'a>(p: *const ytx_pending, index: usize) -> Option<&'a PendingItem> {
    p.as_ref().and_then(|p| p.items.get(index))
}

/// How many calls the list holds; 0 for NULL.
///
/// # Safety
/// `pending` is NULL or a live list.
#[no_mangle]
pub unsafe extern "C" fn ytx_pending_count(pending: *const ytx_pending) -> usize {
    ffi_boundary! {
        pending.as_ref().map_or(0, |p| p.items.len())
    }
}

/// The requestId of item `index` ("" for an outcome unknown, a NULL list
/// or an index past the end).
///
/// # Safety
/// `pending` is NULL or a live list.
#[no_mangle]
pub unsafe extern "C" fn ytx_pending_request_id(
    pending: *const ytx_pending,
    index: usize,
) -> *const c_char {
    ffi_boundary! {
        item(pending, index).map_or(empty(), |i| i.request_id.as_ptr())
    }
}

/// The customParm of item `index` ("" when none, NULL, past the end).
///
/// # Safety
/// `pending` is NULL or a live list.
#[no_mangle]
pub unsafe extern "C" fn ytx_pending_custom_parm(
    pending: *const ytx_pending,
    index: usize,
) -> *const c_char {
    ffi_boundary! {
        item(pending, index).map_or(empty(), |i| i.custom_parm.as_ptr())
    }
}

/// When item `index` was sent, Unix seconds (0 for NULL, past the end).
///
/// # Safety
/// `pending` is NULL or a live list.
#[no_mangle]
pub unsafe extern "C" fn ytx_pending_sent_unix(pending: *const ytx_pending, index: usize) -> i64 {
    ffi_boundary! {
        item(pending, index).map_or(0, |i| i.sent_unix)
    }
}

/// The credit of item `index`, seconds (0 when not known, NULL, past the end).
///
/// # Safety
/// `pending` is NULL or a live list.
#[no_mangle]
pub unsafe extern "C" fn ytx_pending_credit(pending: *const ytx_pending, index: usize) -> u32 {
    ffi_boundary! {
        item(pending, index).map_or(0, |i| i.credit)
    }
}

/// Item `index` as one line of JSON, everything `ytx_tracker_restore`
/// needs (format: README, "The tracker"); "" for NULL or past the end.
///
/// # Safety
/// `pending` is NULL or a live list.
#[no_mangle]
pub unsafe extern "C" fn ytx_pending_json(
    pending: *const ytx_pending,
    index: usize,
) -> *const c_char {
    ffi_boundary! {
        item(pending, index).map_or(empty(), |i| i.json.as_ptr())
    }
}

/// Release a pending list. NULL is a no-op.
///
/// # Safety
/// `pending` is NULL or an owned list not yet freed.
#[no_mangle]
pub unsafe extern "C" fn ytx_pending_free(pending: *mut ytx_pending) {
    ffi_boundary! {
        super::release(pending)
    }
}
