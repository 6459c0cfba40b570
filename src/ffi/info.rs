//! What the library knows, for the bindings to read instead of copying:
//! its version, option names, defaults, the platform's status-code table,
//! the names of result codes and delivery states, and the count of live
//! objects. Every table lives in the Rust core; these functions only
//! expose it.

use std::ffi::{c_char, CString};

use once_cell::sync::Lazy;

use super::codes::{ytx_delivery, ytx_result};
use super::panic::ffi_boundary;
use super::ptr;
use crate::config::{
    CLIENT_OPTION_NAMES, DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT, PRODUCTION_URL, SANDBOX_URL,
};
use crate::error::STATUS_CODES;
use crate::request::CALLBACK_OPTION_NAMES;

/// NUL-terminated copies of the core's static tables, made once.
struct Tables {
    client_options: Vec<CString>,
    callback_options: Vec<CString>,
    status_codes: Vec<(CString, CString)>,
    production_url: CString,
    sandbox_url: CString,
}

static TABLES: Lazy<Tables> = Lazy::new(|| {
    let c = |s: &str| CString::new(s).expect("the core's tables hold no NUL");
    Tables {
        client_options: CLIENT_OPTION_NAMES.iter().map(|s| c(s)).collect(),
        callback_options: CALLBACK_OPTION_NAMES.iter().map(|s| c(s)).collect(),
        status_codes: STATUS_CODES.iter().map(|(k, v)| (c(k), c(v))).collect(),
        production_url: c(PRODUCTION_URL),
        sandbox_url: c(SANDBOX_URL),
    }
});

fn nth(list: &[CString], index: usize) -> *const c_char {
    list.get(index).map_or(std::ptr::null(), |s| s.as_ptr())
}

/// The library version, e.g. `"0.1.0"`: a static string, never freed.
/// Compare with the header's `YTX_VERSION` to catch a header/library mismatch.
#[no_mangle]
pub extern "C" fn ytx_version() -> *const c_char {
    ffi_boundary! {
        concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
    }
}

/// The library version as `major * 10000 + minor * 100 + patch`; compare with
/// the header's `YTX_VERSION_NUMBER`.
#[no_mangle]
pub extern "C" fn ytx_version_number() -> u32 {
    ffi_boundary! {
        let n = |s: &str| s.parse::<u32>().unwrap_or(0);
        n(env!("CARGO_PKG_VERSION_MAJOR")) * 10000
            + n(env!("CARGO_PKG_VERSION_MINOR")) * 100
            + n(env!("CARGO_PKG_VERSION_PATCH"))
    }
}

/// A `ytx_result` as a C caller may pass it: any 32-bit value (a Rust enum
/// must not receive a value that is none of its variants). In the header it
/// is `ytx_result` itself (cbindgen.toml renames it), so callers need no cast.
pub type ytx_result_value = u32;

/// A `ytx_delivery` as a C caller may pass it (see [`ytx_result_value`]).
pub type ytx_delivery_value = u32;

/// The name of a result code, e.g. `"YTX_ERR_TIMEOUT"`, or `"YTX_UNKNOWN"`
/// for a value that is none. A static string, never freed.
#[no_mangle]
pub extern "C" fn ytx_result_name(code: ytx_result_value) -> *const c_char {
    ffi_boundary! {
        ytx_result::from_u32(code)
            .map_or(c"YTX_UNKNOWN", ytx_result::c_name)
            .as_ptr()
    }
}

/// The number of client option names `ytx_client_new` accepts.
#[no_mangle]
pub extern "C" fn ytx_client_option_count() -> usize {
    ffi_boundary! {
        TABLES.client_options.len()
    }
}

/// Client option name number `index` (e.g. "timeout_ms"), a static string;
/// NULL when `index` is out of range.
#[no_mangle]
pub extern "C" fn ytx_client_option_name(index: usize) -> *const c_char {
    ffi_boundary! {
        nth(&TABLES.client_options, index)
    }
}

/// The number of optional callback-call fields `ytx_callback_call` accepts.
#[no_mangle]
pub extern "C" fn ytx_callback_option_count() -> usize {
    ffi_boundary! {
        TABLES.callback_options.len()
    }
}

/// Optional callback-call field number `index` by its wire name (e.g.
/// "customParm"), in wire order, a static string; NULL when out of range.
#[no_mangle]
pub extern "C" fn ytx_callback_option_name(index: usize) -> *const c_char {
    ffi_boundary! {
        nth(&TABLES.callback_options, index)
    }
}

/// The default overall timeout of one call, in milliseconds (option
/// `timeout_ms`).
#[no_mangle]
pub extern "C" fn ytx_default_timeout_ms() -> u64 {
    ffi_boundary! {
        DEFAULT_TIMEOUT.as_millis() as u64
    }
}

/// The default connect timeout in milliseconds (option `connect_timeout_ms`;
/// capped at the overall timeout when that is shorter).
#[no_mangle]
pub extern "C" fn ytx_default_connect_timeout_ms() -> u64 {
    ffi_boundary! {
        DEFAULT_CONNECT_TIMEOUT.as_millis() as u64
    }
}

/// The production base URL (the default), a static string.
#[no_mangle]
pub extern "C" fn ytx_production_url() -> *const c_char {
    ffi_boundary! {
        TABLES.production_url.as_ptr()
    }
}

/// The sandbox base URL (option `environment` = "sandbox"), a static string.
#[no_mangle]
pub extern "C" fn ytx_sandbox_url() -> *const c_char {
    ffi_boundary! {
        TABLES.sandbox_url.as_ptr()
    }
}

/// The number of rows of the platform's status-code table.
#[no_mangle]
pub extern "C" fn ytx_status_code_count() -> usize {
    ffi_boundary! {
        TABLES.status_codes.len()
    }
}

/// Row `index` of the platform's status-code table: the statusCode (e.g.
/// "-204"), a static string, or NULL when out of range. Its explanation:
/// `ytx_explain_status_code`.
#[no_mangle]
pub extern "C" fn ytx_status_code_at(index: usize) -> *const c_char {
    ffi_boundary! {
        TABLES
            .status_codes
            .get(index)
            .map_or(std::ptr::null(), |(k, _)| k.as_ptr())
    }
}

/// What a platform statusCode means and what to do about it (e.g. for
/// "-204": "balance too low: top up"), a static string; NULL for a code not
/// in the table or a NULL / non-UTF-8 `status_code`.
///
/// # Safety
/// `status_code` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn ytx_explain_status_code(status_code: *const c_char) -> *const c_char {
    ffi_boundary! {
        let Ok(code) = ptr::str_arg(status_code, "status_code") else {
            return std::ptr::null();
        };
        TABLES
            .status_codes
            .iter()
            .find(|(k, _)| k.to_bytes() == code.as_bytes())
            .map_or(std::ptr::null(), |(_, v)| v.as_ptr())
    }
}

/// The name of a delivery state, e.g. "YTX_DELIVERY_NOT_SENT", or
/// "YTX_UNKNOWN" for a value that is none. A static string.
#[no_mangle]
pub extern "C" fn ytx_delivery_name(delivery: ytx_delivery_value) -> *const c_char {
    ffi_boundary! {
        ytx_delivery::from_u32(delivery)
            .map_or(c"YTX_UNKNOWN", ytx_delivery::c_name)
            .as_ptr()
    }
}

/// The number of objects the library handed out and that were not yet
/// freed: outcomes, pushes, record lists and balances (not clients: see
/// ytx_live_clients). For exact leak checks in tests and long-running
/// processes: it returns to its old value when everything is freed.
#[no_mangle]
pub extern "C" fn ytx_live_objects() -> usize {
    ffi_boundary! {
        ptr::live_objects()
    }
}
