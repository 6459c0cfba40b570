//! `ytx_records` and `ytx_record`: a list of call records and its entries,
//! as the record queries (`send.rs`), a record push (`push.rs`) and a
//! resolution (`resolution.rs`) hand them out. Built once from the Rust
//! values, immutable, readable from any thread. The rules live in
//! `crate::record`; this file only converts.
//!
//! Methods: `ytx_records_count`, `ytx_records_get`, `ytx_records_free`;
//! `ytx_record_request_id`, `_app_id`, `_fid`, `_custom_parm`, `_caller`,
//! `_called`, `_tel`, `_state_desc`, `_recording_url`, `_amount_text`,
//! `_duration`, `_amount_fen`, `_time_unix`, `_field`, `_field_count`,
//! `_field_name`, `_field_value`.

use std::ffi::c_char;
use std::sync::Arc;

use super::panic::{ffi_boundary, on_panic};
use super::ptr::{self, read, read_str};
use super::text::{CFields, CText, Fields};
use crate::record::CallRecord;

on_panic!(
    *const ytx_records => std::ptr::null(),
    *const ytx_record => std::ptr::null(),
);

// ===== impl ytx_records =====

/// A list of call records: from `ytx_call_record`, `ytx_call_records_after`
/// and `ytx_find_call` (owned by the caller, released with
/// `ytx_records_free`), or borrowed from a record push (`ytx_push_records`).
pub struct ytx_records {
    items: Vec<ytx_record>,
}

impl ytx_records {
    pub(super) fn new(records: Vec<CallRecord>) -> ytx_records {
        ytx_records {
            items: records.into_iter().map(ytx_record::from).collect(),
        }
    }
}

/// The number of records in a list (0 for NULL).
///
/// # Safety
/// `records` is NULL or a live list.
#[no_mangle]
pub unsafe extern "C" fn ytx_records_count(records: *const ytx_records) -> usize {
    ffi_boundary! {
        read(records, 0, |r| r.items.len())
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
        read(records, std::ptr::null(), |r| {
            r.items.get(index).map_or(std::ptr::null(), |r| r as *const ytx_record)
        })
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
        ptr::free_box(records);
    }
}

// ===== impl ytx_record =====

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

impl Fields for ytx_record {
    fn c_fields(&self) -> &CFields {
        &self.fields
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
        read_str(record, |x| &x.request_id)
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
        read_str(record, |x| &x.app_id)
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
        read_str(record, |x| &x.fid)
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
        read_str(record, |x| &x.custom_parm)
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
        read_str(record, |x| &x.caller)
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
        read_str(record, |x| &x.called)
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
        read_str(record, |x| &x.tel)
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
        read_str(record, |x| &x.state_desc)
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
        read_str(record, |x| &x.recording_url)
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
        read_str(record, |x| &x.amount_text)
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
        read(record, None, |r| r.record.duration())
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
        ptr::store(
            fen_out,
            read(record, None, |r| r.record.amount()).map(|a| a.fen()),
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
        let Ok(name) = ptr::str_arg(name, "name") else {
            return 0;
        };
        ptr::store(
            unix_out,
            read(record, None, |r| r.record.time(name)).map(|t| t.unix_timestamp()),
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
        ytx_record::field(record, name)
    }
}

/// The number of fields of the record (0 for NULL).
///
/// # Safety
/// `record` is NULL or a live record.
#[no_mangle]
pub unsafe extern "C" fn ytx_record_field_count(record: *const ytx_record) -> usize {
    ffi_boundary! {
        ytx_record::field_count(record)
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
        ytx_record::field_name(record, index)
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
        ytx_record::field_value(record, index)
    }
}
