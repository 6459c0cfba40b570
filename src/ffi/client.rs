//! `ytx_client`: the client handle (`ytx_client_new`, `ytx_free`), what it
//! tells about itself (`ytx_client_base_url`) and the count of live ones.
//! A handle is a key into the registry of `handles.rs`, never an address.
//!
//! Methods: `ytx_client_new`, `ytx_client_base_url`, `ytx_free`,
//! `ytx_live_clients`. What a client sends: `send.rs`.

use std::ffi::c_char;
use std::panic::catch_unwind;

use super::codes::{ytx_result, FfiError};
use super::handles;
use super::outcome::{ytx_outcome, Outcome};
use super::panic::ffi_boundary;
use super::ptr::{self, for_each_option, str_arg};
use crate::config::ClientBuilder;

// ===== impl ytx_client =====

/// Opaque client handle, from `ytx_client_new`, released with `ytx_free`.
///
/// Thread safety: one handle may be used from any number of threads at once.
///
/// fork(): a handle made before fork() may be used in the parent and in
/// every child. A connection is used only by the process that opened it: a
/// child never reuses the keep-alive connections the parent pooled (it
/// closes its copies unused, without shutdown(), so the parent's stay open
/// and untouched) and opens its own, so no process ever reads another's
/// answer. As with any library that takes locks, fork() while no other
/// thread of the process is inside a ytx_ call (a pre-fork master: make the
/// client, fork the workers, call).
pub struct ytx_client {
    _private: [u8; 0],
}

/// Create a client.
///
/// Parameters:
/// - `account_sid`, `auth_token`, `app_id`: UTF-8, required, ASCII letters and
///   digits (a stray space or newline is `YTX_ERR_INVALID_ARGUMENT` naming the
///   field; the token never appears in any message).
/// - `option_names` / `option_values`: `option_count` pairs of UTF-8 strings,
///   may be NULL when `option_count` is 0. Names: `environment`
///   (`production` default, or `sandbox`), `base_url` (any `http://` or
///   `https://` URL, e.g. the emulator; the scheme in any case; a user
///   name or password in it, or an empty port (`http://host:/`), is
///   `YTX_ERR_INVALID_ARGUMENT` naming `base_url`, the value never echoed;
///   `ytx_client_base_url` gives it normalised: scheme and host in lower
///   case, no trailing slash), `timeout_ms` (whole call, default
///   30000), `connect_timeout_ms` (default 5000 or `timeout_ms` if shorter;
///   at most `timeout_ms`; DNS included), `proxy` (`http://host:port` or
///   `http://user:password@host:port`; `""` for none, the environment's
///   included), `env_proxy` (`1`, the default: without `proxy`, use
///   the proxy the environment names, as curl does: `http_proxy`/`HTTP_PROXY`
///   for an `http://` base URL, `https_proxy`/`HTTPS_PROXY` for `https://`,
///   else `all_proxy`/`ALL_PROXY`, except for hosts in `no_proxy`/`NO_PROXY`;
///   `0`: ignore the environment),
///   `ca_file` (a PEM file of CA certificates trusted for `https://`
///   instead of the default roots, the system's or, built with
///   `tls-rustls`, Mozilla's; put both in it to trust both),
///   `pool_idle_timeout_ms` (how long a keep-alive connection may idle in
///   the pool before it is closed instead of reused, default 30000),
///   `callback_func_url`, `callback_action`, `voice_code_func_url`,
///   `voice_code_action` (endpoint overrides), `auto_custom_parm` (`1`:
///   give every callback call sent without `customParm` a unique one,
///   `ytx-<unix ms>-<pid>-<counter>`, so that every *outcome unknown* can be
///   resolved with `ytx_resolve`; `0`, the default: send none), `max_retries` (0, the
///   default, to 10: resend a request automatically only when
///   `ytx_outcome_retry_safe` would say so: not written yet, or the
///   platform's `-104`; never an unknown outcome; one WARN log line per
///   retry), `retry_budget_ms` (no retry starts later than this after the
///   first attempt, default 10000, at most 300000), `retry_backoff_ms`
///   (the first pause, doubled for each retry and at least the error's
///   `ytx_outcome_retry_after_ms`, default 200). The order never matters;
///   each option may be given once; `environment` and `base_url` together
///   are an error naming both. The names: `ytx_client_option_name`.
/// - `client_out`: required; receives the handle on success, untouched on error.
/// - `outcome_out`: NULL, or receives a new `ytx_outcome` (always, on success
///   and on error) that the caller frees with `ytx_outcome_free`.
///
/// Returns `YTX_OK`, `YTX_ERR_NULL_ARGUMENT`, `YTX_ERR_INVALID_UTF8` or
/// `YTX_ERR_INVALID_ARGUMENT` (the outcome's field names the culprit).
/// Ownership: the caller owns the handle and releases it with `ytx_free`.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// Every pointer is NULL or valid as described; strings are NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn ytx_client_new(
    account_sid: *const c_char,
    auth_token: *const c_char,
    app_id: *const c_char,
    option_names: *const *const c_char,
    option_values: *const *const c_char,
    option_count: usize,
    client_out: *mut *mut ytx_client,
    outcome_out: *mut *mut ytx_outcome,
) -> ytx_result {
    ffi_boundary! {
        outcome_out = outcome_out;
        let arguments = (|| {
            let mut b = ClientBuilder::new(
                str_arg(account_sid, "account_sid")?,
                str_arg(auth_token, "auth_token")?,
                str_arg(app_id, "app_id")?,
            );
            let mut options = Vec::with_capacity(option_count.min(64));
            for_each_option((option_names, option_values, option_count), |n, v| {
                options.push((n, v));
                Ok(())
            })?;
            b.set_options(options)?;
            ptr::required_out(client_out, "client_out")?;
            Ok(b)
        })();
        // build() logs its own rejections; log the ones found before it.
        let made = crate::client::logged_invalid("client", arguments)
            .and_then(|b| b.build().map_err(FfiError::from));
        match made {
            Ok(client) => {
                ptr::write(client_out, handles::insert(client));
                Outcome::nothing_sent()
            }
            Err(e) => Outcome::error(e),
        }
    }
}

/// Release a client. `ytx_free(NULL)` is a no-op returning `YTX_OK`.
///
/// Returns `YTX_ERR_INVALID_HANDLE` for a handle that was already freed or
/// not made by `ytx_client_new` (nothing else happens). Calls already running
/// on other threads with this handle finish normally; later calls return
/// `YTX_ERR_INVALID_HANDLE`.
///
/// # Safety
/// Any pointer value is accepted; it is never dereferenced.
#[no_mangle]
pub unsafe extern "C" fn ytx_free(client: *mut ytx_client) -> ytx_result {
    ffi_boundary! {
        outcome_out = std::ptr::null_mut();
        if client.is_null() {
            return Outcome::nothing_sent();
        }
        Outcome::local(handles::remove(client))
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
        match handles::get(client) {
            Ok(c) => ptr::copy_to_buf(c.base_url().as_bytes(), buf, buf_len),
            Err(_) => {
                ptr::copy_to_buf(b"", buf, buf_len);
                0
            }
        }
    }
}

/// The number of client handles created and not yet freed (for leak checks
/// in tests and long-running processes).
#[no_mangle]
pub extern "C" fn ytx_live_clients() -> usize {
    ffi_boundary! {
        catch_unwind(handles::live).unwrap_or(0)
    }
}
