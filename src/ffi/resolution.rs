//! `ytx_resolution`: what `ytx_resolve` (`send.rs`) found out about an
//! *outcome unknown*, and its status (`ytx_resolution_status`). Converts;
//! the rules live in `crate::resolve`.
//!
//! Methods: `ytx_resolution_status_of`, `ytx_resolution_status_name`,
//! `ytx_resolution_record`, `_check_again_unix`, `_cursor`, `_reason`,
//! `ytx_resolution_free`.

use std::ffi::{c_char, CString};
use std::time::UNIX_EPOCH;

use macro_rules_attribute::macro_rules_derive;

use super::panic::{ffi_boundary, on_panic};
use super::ptr::{self, read, read_str};
use super::records::ytx_record;
use super::text::c_string;
use crate::abi::c_enum;
use crate::resolve::{Resolution, ResolutionStatus};

/// What `ytx_resolve` found (fixed width: `uint32_t`).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[macro_rules_derive(c_enum)]
pub enum ytx_resolution_status {
    /// No resolution (the answer for a NULL `ytx_resolution`).
    YTX_RESOLUTION_NONE = 0,
    /// The call was placed: `ytx_resolution_record` is its record. Do not place
    /// it again.
    YTX_RESOLUTION_PLACED = 1,
    /// The call was not placed: the bound (sent time + srctimeout +
    /// dsttimeout + credit + 60 s; 60 s for a ring timeout the request did not
    /// give) has passed and a search read after it found no record. It may be placed again.
    YTX_RESOLUTION_NOT_PLACED = 2,
    /// Not known yet: call `ytx_resolve` again at
    /// `ytx_resolution_check_again_unix`, passing `ytx_resolution_cursor`.
    YTX_RESOLUTION_NOT_KNOWN_YET = 3,
    /// Cannot be resolved: a voice code, or a call sent without customParm
    /// (`ytx_resolution_reason` says which; the client option
    /// `auto_custom_parm` gives every callback call a customParm).
    YTX_RESOLUTION_CANNOT_BE_RESOLVED = 4,
}

/// A `ytx_resolution_status` as a C caller may pass it: any 32-bit value
/// (see `ytx_result_value`). In the header it is `ytx_resolution_status`
/// itself (cbindgen.toml renames it).
pub type ytx_resolution_status_value = u32;

impl From<ResolutionStatus> for ytx_resolution_status {
    fn from(s: ResolutionStatus) -> ytx_resolution_status {
        match s {
            ResolutionStatus::Placed => ytx_resolution_status::YTX_RESOLUTION_PLACED,
            ResolutionStatus::NotPlaced => ytx_resolution_status::YTX_RESOLUTION_NOT_PLACED,
            ResolutionStatus::NotKnownYet => ytx_resolution_status::YTX_RESOLUTION_NOT_KNOWN_YET,
            ResolutionStatus::CannotBeResolved => {
                ytx_resolution_status::YTX_RESOLUTION_CANNOT_BE_RESOLVED
            }
        }
    }
}

on_panic!(ytx_resolution_status => ytx_resolution_status::YTX_RESOLUTION_NONE);

// ===== impl ytx_resolution =====

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
            status: r.status().into(),
            cursor: c_string(r.cursor().unwrap_or_default().to_string()),
            reason: c_string(r.reason().to_string()),
            check_again_unix,
            record: r.record().cloned().map(ytx_record::from),
        }
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
        read(resolution, ytx_resolution_status::YTX_RESOLUTION_NONE, |r| {
            r.status
        })
    }
}

/// The name of a resolution status, e.g. "YTX_RESOLUTION_PLACED", or
/// "YTX_UNKNOWN". A static string, never freed.
#[no_mangle]
pub extern "C" fn ytx_resolution_status_name(status: ytx_resolution_status_value) -> *const c_char {
    ffi_boundary! {
        ytx_resolution_status::from_u32(status)
            .map_or(c"YTX_UNKNOWN", ytx_resolution_status::c_name)
            .as_ptr()
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
        read(resolution, std::ptr::null(), |r| {
            r.record.as_ref().map_or(std::ptr::null(), |r| r as *const ytx_record)
        })
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
        ptr::store(unix_out, read(resolution, None, |r| r.check_again_unix))
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
        read_str(resolution, |r| &r.cursor)
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
        read_str(resolution, |r| &r.reason)
    }
}

/// Release a resolution from `ytx_resolve` and its record. NULL is a no-op.
///
/// # Safety
/// `resolution` is NULL or an owned resolution not yet freed.
#[no_mangle]
pub unsafe extern "C" fn ytx_resolution_free(resolution: *mut ytx_resolution) {
    ffi_boundary! {
        ptr::free_box(resolution);
    }
}
