//! `ytx_tracker`: the tracker's handle (`crate::tracker`), a key into the
//! registry of `handles.rs` like `ytx_client`, never an address. Its
//! `ytx_tracker_next_event` hands out a `ytx_event` (`event.rs`), its
//! `ytx_tracker_pending` a `ytx_pending` (`pending.rs`). The record
//! queries the tracker sends are its own work, inside `next_event` (the
//! core); no entry point here sends anything itself. Converts and
//! delegates; the rules live in the core.
//!
//! Methods: `ytx_tracker_new`, `ytx_tracker_free`, `ytx_live_trackers`,
//! `ytx_tracker_on_push`, `_next_event`, `_track`, `_restore`, `_pending`,
//! `_forget`, `_stat`, `_advance_clock`.

use std::ffi::c_char;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use super::client::ytx_client;
use super::codes::{ytx_result, FfiResult};
use super::event::ytx_event;
use super::handles::{self, TRACKERS};
use super::outcome::{ytx_outcome, Outcome};
use super::panic::ffi_boundary;
use super::pending::ytx_pending;
use super::ptr::{self, bytes_arg, for_each_option, opt_str_arg, str_arg};
use crate::error::Error;
use crate::tracker::{TrackedCall, Tracker, TrackerOptions};

// ===== impl ytx_tracker =====

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

fn tracker_of(handle: *const ytx_tracker) -> FfiResult<Arc<Tracker>> {
    TRACKERS.get(handle)
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
            ptr::required_out(tracker_out, "tracker_out")?;
            let client = handles::get(client)?;
            let mut options = TrackerOptions::new();
            for_each_option((option_names, option_values, option_count), |name, value| {
                Ok(options.set(name, value)?)
            })?;
            Ok(TRACKERS.insert(Tracker::new(client, options)?))
        })();
        ptr::write(tracker_out, *made.as_ref().unwrap_or(&std::ptr::null_mut()));
        Outcome::local(made.map(drop))
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
        // Closed here, outside the registry's lock; dropped when the last
        // call in flight lets go of it.
        if let Ok(t) = TRACKERS.remove(tracker) {
            t.close();
        }
    }
}

/// The number of tracker handles created and not yet freed (leak checks).
#[no_mangle]
pub extern "C" fn ytx_live_trackers() -> usize {
    ffi_boundary! {
        TRACKERS.live()
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
        let got = ptr::required_out(event_out, "event_out").and_then(|()| {
            let t = tracker_of(tracker)?;
            let timeout = u64::try_from(timeout_ms).ok().map(Duration::from_millis);
            Ok(t.next_event(timeout))
        });
        match got {
            Ok(event) => {
                ptr::set_boxed_mut_ptr(event_out, || event.map(ytx_event::from));
                Outcome::nothing_sent()
            }
            Err(e) => {
                ptr::set_boxed_mut_ptr(event_out, || None);
                Outcome::error(e)
            }
        }
    }
}

/// Watch a call placed elsewhere (another process, before a restart).
///
/// Parameters:
/// - `request_id`: required, the requestId of the accepted call.
/// - `custom_parm`, `src`, `dst`: NULL when not known (they sharpen the
///   cross-checks of pushes).
/// - `sent_unix`: when it was sent, Unix seconds (at most a year after now);
///   0 for now.
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
                call.sent_at = UNIX_EPOCH
                    .checked_add(Duration::from_secs(sent_unix.unsigned_abs()))
                    .ok_or_else(|| Error::invalid("sent_unix", "is past what a time holds"))?;
                crate::tracker::check_sent_at(call.sent_at, "sent_unix")?;
            }
            Ok(t.track(call)?)
        })();
        Outcome::local(done)
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
        Outcome::local(done)
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
        let got = ptr::required_out(pending_out, "pending_out")
            .and_then(|()| Ok(ytx_pending::from(tracker_of(tracker)?.pending())));
        Outcome::local(ptr::set_result_ptr(pending_out, got))
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
        Outcome::local(done)
    }
}
