//! `ytx_pending`: what a tracker still watches, as `ytx_tracker_pending`
//! (`tracker.rs`) hands it out, each item with what `ytx_tracker_restore`
//! needs after a restart. Built once from the Rust values, immutable,
//! readable from any thread. The rules live in `crate::tracker`; this file
//! only converts.
//!
//! Methods: `ytx_pending_count`, `ytx_pending_request_id`, `_custom_parm`,
//! `_sent_unix`, `_credit`, `_src`, `_dst`, `_src_timeout`, `_dst_timeout`,
//! `_ticket`, `_json`, `ytx_pending_free`.

use std::ffi::{c_char, CString};
use std::time::UNIX_EPOCH;

use super::panic::ffi_boundary;
use super::ptr::{self, read, CStrPtr, EMPTY};
use super::text::c_string;
use crate::ticket::Ticket;
use crate::tracker::TrackedCall;

// ===== impl ytx_pending =====

/// One item of a `ytx_pending` list.
struct PendingItem {
    request_id: CString,
    custom_parm: CString,
    sent_unix: i64,
    credit: u32,
    src: CString,
    dst: CString,
    src_timeout: i64,
    dst_timeout: i64,
    ticket: CString,
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
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX)),
                credit: c.credit.unwrap_or(0),
                src: c_string(c.src.clone().unwrap_or_default()),
                dst: c_string(c.dst.clone().unwrap_or_default()),
                src_timeout: c.src_timeout.map_or(-1, i64::from),
                dst_timeout: c.dst_timeout.map_or(-1, i64::from),
                ticket: c_string(c.ticket.as_ref().map(Ticket::to_text).unwrap_or_default()),
                json: c_string(c.to_json()),
            })
            .collect();
        ytx_pending { items }
    }
}

/// `f` of item `index` of the list at `pending`, or `default` (NULL list,
/// index past the end).
///
/// # Safety
/// `pending` is NULL or a live list.
unsafe fn item<R>(
    pending: *const ytx_pending,
    index: usize,
    default: R,
    f: impl FnOnce(&PendingItem) -> R,
) -> R {
    read(pending, None, |p| p.items.get(index)).map_or(default, f)
}

/// How many calls the list holds; 0 for NULL.
///
/// # Safety
/// `pending` is NULL or a live list.
#[no_mangle]
pub unsafe extern "C" fn ytx_pending_count(pending: *const ytx_pending) -> usize {
    ffi_boundary! {
        read(pending, 0, |p| p.items.len())
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
        item(pending, index, EMPTY, |i| i.request_id.c_ptr())
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
        item(pending, index, EMPTY, |i| i.custom_parm.c_ptr())
    }
}

/// When item `index` was sent, Unix seconds (0 for NULL, past the end).
///
/// # Safety
/// `pending` is NULL or a live list.
#[no_mangle]
pub unsafe extern "C" fn ytx_pending_sent_unix(pending: *const ytx_pending, index: usize) -> i64 {
    ffi_boundary! {
        item(pending, index, 0, |i| i.sent_unix)
    }
}

/// The credit of item `index`, seconds (0 when not known, NULL, past the end).
///
/// # Safety
/// `pending` is NULL or a live list.
#[no_mangle]
pub unsafe extern "C" fn ytx_pending_credit(pending: *const ytx_pending, index: usize) -> u32 {
    ffi_boundary! {
        item(pending, index, 0, |i| i.credit)
    }
}

/// The first leg's number of item `index` ("" when not known, NULL, past
/// the end).
///
/// # Safety
/// `pending` is NULL or a live list.
#[no_mangle]
pub unsafe extern "C" fn ytx_pending_src(
    pending: *const ytx_pending,
    index: usize,
) -> *const c_char {
    ffi_boundary! {
        item(pending, index, EMPTY, |i| i.src.c_ptr())
    }
}

/// The second leg's number of item `index` ("" when not known, NULL, past
/// the end).
///
/// # Safety
/// `pending` is NULL or a live list.
#[no_mangle]
pub unsafe extern "C" fn ytx_pending_dst(
    pending: *const ytx_pending,
    index: usize,
) -> *const c_char {
    ffi_boundary! {
        item(pending, index, EMPTY, |i| i.dst.c_ptr())
    }
}

/// The first leg's ring timeout of item `index` (the request's
/// `srctimeout`), seconds; -1 when not known (the tracker counts its option
/// `default_ring_timeout_ms`), for NULL or past the end.
///
/// # Safety
/// `pending` is NULL or a live list.
#[no_mangle]
pub unsafe extern "C" fn ytx_pending_src_timeout(pending: *const ytx_pending, index: usize) -> i64 {
    ffi_boundary! {
        on_panic = -1; // 0 is a timeout, -1 "not known"
        item(pending, index, -1, |i| i.src_timeout)
    }
}

/// The second leg's ring timeout of item `index` (the request's
/// `dsttimeout`), seconds; -1 when not known (the tracker counts its option
/// `default_ring_timeout_ms`), for NULL or past the end.
///
/// # Safety
/// `pending` is NULL or a live list.
#[no_mangle]
pub unsafe extern "C" fn ytx_pending_dst_timeout(pending: *const ytx_pending, index: usize) -> i64 {
    ffi_boundary! {
        on_panic = -1; // 0 is a timeout, -1 "not known"
        item(pending, index, -1, |i| i.dst_timeout)
    }
}

/// The ticket of item `index` when it is an outcome unknown (the text
/// `ytx_outcome_ticket` gave, which `ytx_resolve` takes); "" for a call
/// with a requestId, NULL, past the end.
///
/// # Safety
/// `pending` is NULL or a live list.
#[no_mangle]
pub unsafe extern "C" fn ytx_pending_ticket(
    pending: *const ytx_pending,
    index: usize,
) -> *const c_char {
    ffi_boundary! {
        item(pending, index, EMPTY, |i| i.ticket.c_ptr())
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
        item(pending, index, EMPTY, |i| i.json.c_ptr())
    }
}

/// Release a pending list. NULL is a no-op.
///
/// # Safety
/// `pending` is NULL or an owned list not yet freed.
#[no_mangle]
pub unsafe extern "C" fn ytx_pending_free(pending: *mut ytx_pending) {
    ffi_boundary! {
        ptr::free_box(pending);
    }
}
