//! The C ABI of the resolver (`crate::resolve`): the ticket of an *outcome
//! unknown* (`ytx_outcome_ticket`), `ytx_resolve`, and the `ytx_resolution`
//! it produces. Converts and delegates; the rules live in the core.

use std::ffi::{c_char, CString};
use std::time::{Duration, UNIX_EPOCH};

use super::outcome::{c_string, read_str};
use super::panic::ffi_boundary;
use super::record::{query, store, ytx_record};
use super::{opt_str_arg, str_arg, ytx_client, ytx_outcome, ytx_result};
use crate::resolve::{Resolution, ResolutionStatus, ResolveOptions, Ticket};

/// What `ytx_resolve` found (fixed width: `uint32_t`).
pub type ytx_resolution_status = u32;
/// No resolution (the answer for a NULL `ytx_resolution`).
pub const YTX_RESOLUTION_NONE: ytx_resolution_status = 0;
/// The call was placed: `ytx_resolution_record` is its record. Do not place
/// it again.
pub const YTX_RESOLUTION_PLACED: ytx_resolution_status = 1;
/// The call was not placed: the bound (sent time + srctimeout +
/// dsttimeout + credit + 60 s; 60 s for a ring timeout the request did not
/// give) has passed and a search read after it found no record. It may be placed again.
pub const YTX_RESOLUTION_NOT_PLACED: ytx_resolution_status = 2;
/// Not known yet: call `ytx_resolve` again at
/// `ytx_resolution_check_again_unix`, passing `ytx_resolution_cursor`.
pub const YTX_RESOLUTION_NOT_KNOWN_YET: ytx_resolution_status = 3;
/// Cannot be resolved: a voice code, or a call sent without customParm
/// (`ytx_resolution_reason` says which; the client option
/// `auto_custom_parm` gives every callback call a customParm).
pub const YTX_RESOLUTION_CANNOT_BE_RESOLVED: ytx_resolution_status = 4;

fn status_code(s: ResolutionStatus) -> ytx_resolution_status {
    match s {
        ResolutionStatus::Placed => YTX_RESOLUTION_PLACED,
        ResolutionStatus::NotPlaced => YTX_RESOLUTION_NOT_PLACED,
        ResolutionStatus::NotKnownYet => YTX_RESOLUTION_NOT_KNOWN_YET,
        ResolutionStatus::CannotBeResolved => YTX_RESOLUTION_CANNOT_BE_RESOLVED,
    }
}

const EMPTY: &[u8] = b"\0";

/// The answer of `ytx_resolve`. Owned by the caller, released with
/// `ytx_resolution_free`; immutable, so it may be read from any thread.
/// Strings are UTF-8, never NULL for a live resolution, valid until it is
/// freed.
pub struct ytx_resolution {
    status: ytx_resolution_status,
    record: Option<ytx_record>,
    check_again_unix: Option<i64>,
    cursor: CString,
    reason: CString,
}

impl From<Resolution> for ytx_resolution {
    fn from(r: Resolution) -> ytx_resolution {
        let check_again_unix =
            r.check_again_at()
                .map(|t| match t.duration_since(UNIX_EPOCH) {
                    Ok(d) => i64::try_from(d.as_secs() + u64::from(d.subsec_nanos() > 0))
                        .unwrap_or(i64::MAX),
                    Err(_) => 0,
                });
        ytx_resolution {
            status: status_code(r.status()),
            cursor: c_string(r.cursor().unwrap_or_default().to_string()),
            reason: c_string(r.reason().to_string()),
            check_again_unix,
            record: r.record().cloned().map(ytx_record::from),
        }
    }
}

/// The ticket of an *outcome unknown* of `ytx_callback_call` (or
/// `ytx_voice_code`, whose ticket resolves as
/// `YTX_RESOLUTION_CANNOT_BE_RESOLVED`), as text: everything `ytx_resolve`
/// needs (customParm, ring timeouts, credit, the time it was sent, the last
/// requestId this client saw accepted before it). Save it with the order to
/// resolve the call after a restart; the format is stable and versioned
/// (`ytx-ticket:1;...`, README). "" when the outcome has no ticket (any
/// other result) or is NULL. Borrowed from the outcome.
///
/// # Safety
/// `outcome` is NULL or a live outcome not yet freed.
#[no_mangle]
pub unsafe extern "C" fn ytx_outcome_ticket(outcome: *const ytx_outcome) -> *const c_char {
    ffi_boundary! {
        read_str(outcome, |o| &o.ticket)
    }
}

/// Was the call of this ticket placed? Sends only record queries
/// (`CallCdr.wx`, which place nothing), paging after the ticket's anchor
/// (or `cursor`) and looking for its customParm. Only an empty page ends
/// the records (a page shorter than asked for is no proof of the end).
///
/// Parameters:
/// - `client`: a handle from `ytx_client_new` (the same account and app).
/// - `ticket`: UTF-8, from `ytx_outcome_ticket` (now or saved earlier);
///   "" (an outcome without a ticket) resolves as
///   `YTX_RESOLUTION_CANNOT_BE_RESOLVED`.
/// - `cursor`: NULL or "" to search from the ticket's anchor; else the
///   `ytx_resolution_cursor` of an earlier resolution of the same ticket.
/// - `deadline_ms`: overall deadline, checked before each page; 0 for the
///   default (60000).
/// - `max_pages`: the most record queries to send; 0 for the default (100).
/// - `resolution_out`: required; receives a new `ytx_resolution` on
///   `YTX_OK` (free it with `ytx_resolution_free`), NULL on error.
/// - `outcome_out`: NULL, or receives a new `ytx_outcome` (always).
///
/// Returns `YTX_OK` with one of the four answers (running out of pages or
/// time is `YTX_RESOLUTION_NOT_KNOWN_YET` with a cursor, never an error);
/// `YTX_ERR_INVALID_ARGUMENT` naming `ticket` or `cursor` for bad text;
/// otherwise the error of a record query that failed (safe to call
/// `ytx_resolve` again). Thread safety: any number of threads.
///
/// # Safety
/// Every pointer is NULL or valid as described; strings are NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn ytx_resolve(
    client: *const ytx_client,
    ticket: *const c_char,
    cursor: *const c_char,
    deadline_ms: u64,
    max_pages: u32,
    resolution_out: *mut *mut ytx_resolution,
    outcome_out: *mut *mut ytx_outcome,
) -> ytx_result {
    ffi_boundary! {
        outcome_out = outcome_out;
        query(client, resolution_out, "resolution_out", |c| {
            let ticket = match str_arg(ticket, "ticket")? {
                "" => None,
                text => Some(Ticket::parse(text)?),
            };
            let mut options = ResolveOptions::new().cursor(opt_str_arg(cursor, "cursor")?);
            if deadline_ms > 0 {
                options = options.deadline(Duration::from_millis(deadline_ms));
            }
            if max_pages > 0 {
                options = options.max_pages(max_pages);
            }
            Ok(c.resolve_with(&ticket, &options)?)
        })
    }
}

/// The answer: `YTX_RESOLUTION_PLACED`, `YTX_RESOLUTION_NOT_PLACED`,
/// `YTX_RESOLUTION_NOT_KNOWN_YET` or `YTX_RESOLUTION_CANNOT_BE_RESOLVED`;
/// `YTX_RESOLUTION_NONE` for NULL.
///
/// # Safety
/// `resolution` is NULL or a live resolution.
#[no_mangle]
pub unsafe extern "C" fn ytx_resolution_status_of(
    resolution: *const ytx_resolution,
) -> ytx_resolution_status {
    ffi_boundary! {
        resolution.as_ref().map_or(YTX_RESOLUTION_NONE, |r| r.status)
    }
}

/// The name of a resolution status, e.g. "YTX_RESOLUTION_PLACED", or
/// "YTX_UNKNOWN". A static string, never freed.
#[no_mangle]
pub extern "C" fn ytx_resolution_status_name(status: ytx_resolution_status) -> *const c_char {
    ffi_boundary! {
        let name: &'static [u8] = match status {
            YTX_RESOLUTION_NONE => b"YTX_RESOLUTION_NONE\0",
            YTX_RESOLUTION_PLACED => b"YTX_RESOLUTION_PLACED\0",
            YTX_RESOLUTION_NOT_PLACED => b"YTX_RESOLUTION_NOT_PLACED\0",
            YTX_RESOLUTION_NOT_KNOWN_YET => b"YTX_RESOLUTION_NOT_KNOWN_YET\0",
            YTX_RESOLUTION_CANNOT_BE_RESOLVED => b"YTX_RESOLUTION_CANNOT_BE_RESOLVED\0",
            _ => b"YTX_UNKNOWN\0",
        };
        name.as_ptr().cast()
    }
}

/// The call's record when `YTX_RESOLUTION_PLACED` (borrowed from the
/// resolution: read it with the `ytx_record_*` accessors, never free it on
/// its own), else NULL.
///
/// # Safety
/// `resolution` is NULL or a live resolution.
#[no_mangle]
pub unsafe extern "C" fn ytx_resolution_record(
    resolution: *const ytx_resolution,
) -> *const ytx_record {
    ffi_boundary! {
        resolution
            .as_ref()
            .and_then(|r| r.record.as_ref())
            .map_or(std::ptr::null(), |r| r as *const ytx_record)
    }
}

/// When to call `ytx_resolve` again, in Unix seconds, when
/// `YTX_RESOLUTION_NOT_KNOWN_YET`: stores it in `*unix_out` (if not NULL)
/// and returns 1; returns 0 (nothing stored) for the other answers and NULL.
///
/// # Safety
/// `resolution` is NULL or a live resolution; `unix_out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ytx_resolution_check_again_unix(
    resolution: *const ytx_resolution,
    unix_out: *mut i64,
) -> i32 {
    ffi_boundary! {
        store(resolution.as_ref().and_then(|r| r.check_again_unix), unix_out)
    }
}

/// Where the next `ytx_resolve` of the same ticket resumes (pass it as
/// `cursor`): a requestId, or "" to start again from the ticket's anchor.
/// It only moves past pages read after the bound, so resuming never skips a
/// record written later. "" for NULL.
///
/// # Safety
/// `resolution` is NULL or a live resolution.
#[no_mangle]
pub unsafe extern "C" fn ytx_resolution_cursor(resolution: *const ytx_resolution) -> *const c_char {
    ffi_boundary! {
        resolution
            .as_ref()
            .map_or(EMPTY.as_ptr().cast(), |r| r.cursor.as_ptr())
    }
}

/// Why, in English (which budget ran out, why it cannot be resolved, ...).
/// "" for NULL.
///
/// # Safety
/// `resolution` is NULL or a live resolution.
#[no_mangle]
pub unsafe extern "C" fn ytx_resolution_reason(resolution: *const ytx_resolution) -> *const c_char {
    ffi_boundary! {
        resolution
            .as_ref()
            .map_or(EMPTY.as_ptr().cast(), |r| r.reason.as_ptr())
    }
}

/// Release a resolution from `ytx_resolve` and its record. NULL is a no-op.
///
/// # Safety
/// `resolution` is NULL or an owned resolution not yet freed.
#[no_mangle]
pub unsafe extern "C" fn ytx_resolution_free(resolution: *mut ytx_resolution) {
    ffi_boundary! {
        super::release(resolution)
    }
}
