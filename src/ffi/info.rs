//! What the library knows, for the bindings to read instead of copying:
//! option names, defaults, the platform's status-code table, the names of
//! result codes and delivery states, and a client's effective base URL.
//! Every table lives in the Rust core; these functions only expose it.

use std::ffi::{c_char, CStr, CString};

use once_cell::sync::Lazy;

use super::panic::ffi_boundary;
use super::ytx_delivery;
use super::{handles, ytx_client};
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
        if status_code.is_null() {
            return std::ptr::null();
        }
        let code = CStr::from_ptr(status_code).to_bytes();
        TABLES
            .status_codes
            .iter()
            .find(|(k, _)| k.to_bytes() == code)
            .map_or(std::ptr::null(), |(_, v)| v.as_ptr())
    }
}

/// The name of a delivery state, e.g. "YTX_DELIVERY_NOT_SENT", or
/// "YTX_UNKNOWN" for a value that is none. A static string.
#[no_mangle]
pub extern "C" fn ytx_delivery_name(delivery: super::ytx_delivery_value) -> *const c_char {
    ffi_boundary! {
        ytx_delivery::from_u32(delivery)
            .map_or(c"YTX_UNKNOWN", ytx_delivery::c_name)
            .as_ptr()
    }
}

/// Copy the client's effective base URL (after `environment` / `base_url`,
/// without a trailing slash, e.g. `http://api.ytx.net`) into `buf`, cut to
/// `buf_len - 1` bytes and NUL-terminated (as snprintf does; `buf` may be
/// NULL when `buf_len` is 0). Returns the URL's full length in bytes (so a
/// return value >= `buf_len` means it was cut), or 0 for a NULL, freed or
/// foreign handle (a base URL is never empty).
///
/// # Safety
/// `buf` is NULL or points to `buf_len` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn ytx_client_base_url(
    client: *const ytx_client,
    buf: *mut c_char,
    buf_len: usize,
) -> usize {
    ffi_boundary! {
        let Ok(c) = handles::get(client) else {
            if !buf.is_null() && buf_len > 0 {
                *buf = 0;
            }
            return 0;
        };
        let url = c.base_url().as_bytes();
        if !buf.is_null() && buf_len > 0 {
            let n = url.len().min(buf_len - 1);
            std::ptr::copy_nonoverlapping(url.as_ptr(), buf.cast::<u8>(), n);
            *buf.add(n) = 0;
        }
        url.len()
    }
}
