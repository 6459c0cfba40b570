//! `ytx_outcome`: everything about one library call, owned by the caller.
//!
//! An outcome belongs to the call that produced it, so threads never see each
//! other's errors (no global or thread-local "last error").

use std::ffi::{c_char, CString};

use super::codes::{FfiError, FfiResult};
use super::panic::ffi_boundary;
use super::{ytx_delivery, ytx_result};
use crate::client::PreparedRequest;
use crate::error::Error;
use crate::response::Response;

/// What one call produced, in Rust form.
pub(super) struct Outcome {
    pub(super) result: ytx_result,
    delivery: ytx_delivery,
    /// `Some(pause)` when the request may be sent again after the pause.
    retry_after: Option<std::time::Duration>,
    message: String,
    field: String,
    status_code: String,
    status_msg: String,
    request_id: String,
    http_status: u16,
    request: Option<PreparedRequest>,
    /// The ticket of an *outcome unknown*, as text ("" when none).
    ticket: String,
}

impl Outcome {
    pub(super) fn ok() -> Outcome {
        Outcome {
            result: ytx_result::YTX_OK,
            delivery: ytx_delivery::YTX_DELIVERY_NOT_SENT,
            retry_after: None,
            message: String::new(),
            field: String::new(),
            status_code: String::new(),
            status_msg: String::new(),
            request_id: String::new(),
            http_status: 0,
            request: None,
            ticket: String::new(),
        }
    }

    pub(super) fn error(e: &FfiError) -> Outcome {
        let mut o = Outcome::ok();
        o.result = e.code();
        o.delivery = e.delivery();
        o.retry_after = e.retry_after();
        o.message = e.to_string();
        o.field = e.field().unwrap_or_default().to_string();
        if let Some(t) = e.core().and_then(Error::ticket) {
            o.ticket = t.to_text();
        }
        match e.core() {
            Some(Error::Platform {
                status_code,
                status_msg,
                request_id,
            }) => {
                o.status_code = status_code.clone();
                o.status_msg = status_msg.clone();
                o.request_id = request_id.clone();
            }
            Some(Error::HttpStatus { status, .. }) => o.http_status = *status,
            _ => {}
        }
        o
    }

    /// The platform answered (a query's success or refusal).
    pub(super) fn mark_answered(&mut self) {
        self.delivery = ytx_delivery::YTX_DELIVERY_ANSWERED;
        self.http_status = 200;
    }

    pub(super) fn prepared(req: PreparedRequest) -> Outcome {
        let mut o = Outcome::ok();
        o.request = Some(req);
        o
    }

    pub(super) fn sent(req: PreparedRequest, result: FfiResult<Response>) -> Outcome {
        let mut o = match result {
            Ok(r) => Outcome {
                delivery: ytx_delivery::YTX_DELIVERY_ANSWERED,
                status_code: r.status_code,
                status_msg: r.status_msg,
                request_id: r.request_id,
                http_status: 200,
                ..Outcome::ok()
            },
            Err(e) => Outcome::error(&e),
        };
        if matches!(o.result, ytx_result::YTX_ERR_PLATFORM) {
            o.http_status = 200;
        }
        o.request = Some(req);
        o
    }
}

/// The result of one call: its code, and everything known about it.
///
/// Made by every function that takes an `ytx_outcome **outcome_out` (when that
/// is not NULL). Owned by the caller; release it with `ytx_outcome_free`.
/// Strings returned by the accessors are UTF-8, never NULL (empty when not
/// applicable), and valid until the outcome is freed. An outcome is immutable:
/// it may be read from any thread.
pub struct ytx_outcome {
    result: ytx_result,
    delivery: ytx_delivery,
    retry_after: Option<std::time::Duration>,
    http_status: u16,
    message: CString,
    field: CString,
    status_code: CString,
    status_msg: CString,
    request_id: CString,
    request_method: CString,
    request_url: CString,
    request_url_redacted: CString,
    request_headers: CString,
    request_body: CString,
    pub(super) ticket: CString,
}

/// A C string from text that might contain NUL (e.g. a platform message):
/// NULs become U+FFFD so that the rest of the text survives.
pub(super) fn c_string(s: String) -> CString {
    CString::new(s).unwrap_or_else(|e| {
        let text = String::from_utf8_lossy(&e.into_vec()).replace('\0', "\u{FFFD}");
        CString::new(text).unwrap_or_default()
    })
}

impl From<Outcome> for ytx_outcome {
    fn from(o: Outcome) -> ytx_outcome {
        let redacted = o
            .request
            .as_ref()
            .map(|r| r.redacted_url())
            .unwrap_or_default();
        let (method, url, headers, body) = match o.request {
            Some(r) => (
                r.method.to_string(),
                r.url,
                r.headers
                    .iter()
                    .map(|(k, v)| format!("{k}: {v}\n"))
                    .collect::<String>(),
                r.body,
            ),
            None => Default::default(),
        };
        ytx_outcome {
            result: o.result,
            delivery: o.delivery,
            retry_after: o.retry_after,
            http_status: o.http_status,
            message: c_string(o.message),
            field: c_string(o.field),
            status_code: c_string(o.status_code),
            status_msg: c_string(o.status_msg),
            request_id: c_string(o.request_id),
            request_method: c_string(method),
            request_url: c_string(url),
            request_url_redacted: c_string(redacted),
            request_headers: c_string(headers),
            request_body: c_string(body),
            ticket: c_string(o.ticket),
        }
    }
}

#[cfg(test)]
impl ytx_outcome {
    pub(super) fn status_msg_for_test(&self) -> &str {
        self.status_msg.to_str().unwrap_or("")
    }
}

pub(super) fn result_name(code: u32) -> &'static std::ffi::CStr {
    ytx_result::from_u32(code).map_or(c"YTX_UNKNOWN", ytx_result::c_name)
}

const EMPTY: &[u8] = b"\0";

/// Read a field of an outcome, NULL-safe.
///
/// # Safety
/// `o` is NULL or a live outcome not yet freed.
unsafe fn read<T>(o: *const ytx_outcome, default: T, f: impl FnOnce(&ytx_outcome) -> T) -> T {
    match o.as_ref() {
        Some(o) => f(o),
        None => default,
    }
}

/// # Safety
/// As [`read`].
pub(super) unsafe fn read_str(
    o: *const ytx_outcome,
    f: impl FnOnce(&ytx_outcome) -> &CString,
) -> *const c_char {
    read(o, EMPTY.as_ptr().cast(), |o| f(o).as_ptr())
}

/// The call's result code (the same value the call returned).
/// `YTX_ERR_NULL_ARGUMENT` for a NULL outcome.
///
/// # Safety
/// `outcome` is NULL or a live outcome not yet freed.
#[no_mangle]
pub unsafe extern "C" fn ytx_outcome_result(outcome: *const ytx_outcome) -> ytx_result {
    ffi_boundary! {
        read(outcome, ytx_result::YTX_ERR_NULL_ARGUMENT, |o| o.result)
    }
}

/// Whether the request reached the platform: `YTX_DELIVERY_NOT_SENT` (nothing
/// was written), `YTX_DELIVERY_UNKNOWN` (it may have been acted on: do not
/// retry blindly) or `YTX_DELIVERY_ANSWERED` (the platform answered). To
/// decide a retry, ask `ytx_outcome_retry_safe`: an argument error is not
/// sent but fails the same way again, and a `-104` is answered but nothing
/// was placed.
/// `YTX_DELIVERY_UNKNOWN` for a NULL outcome: a missing outcome never says
/// "safe to retry".
///
/// # Safety
/// `outcome` is NULL or a live outcome not yet freed.
#[no_mangle]
pub unsafe extern "C" fn ytx_outcome_delivery(outcome: *const ytx_outcome) -> ytx_delivery {
    ffi_boundary! {
        read(outcome, ytx_delivery::YTX_DELIVERY_UNKNOWN, |o| o.delivery)
    }
}

/// Whether sending the same request again can succeed without any risk of
/// a second call: `true` for a failure before the request was written
/// (`YTX_ERR_NOT_SENT`, or `YTX_ERR_TIMEOUT` with `YTX_DELIVERY_NOT_SENT`)
/// and for the platform's `-104` (request rate too high: a refusal, nothing
/// was placed; wait `ytx_outcome_retry_after_ms` first). `false` for
/// everything else: success, argument errors (NULL, UTF-8, invalid value,
/// handle: a retry fails the same way), an unknown outcome (the call may
/// have been placed: resolve it, never resend it blindly), HTTP status and
/// protocol errors, other platform refusals, a push that does not parse,
/// and a NULL outcome. The rule is the library's (`Error::is_retry_safe`
/// in Rust); every binding reads it here.
///
/// # Safety
/// `outcome` is NULL or a live outcome not yet freed.
#[no_mangle]
pub unsafe extern "C" fn ytx_outcome_retry_safe(outcome: *const ytx_outcome) -> bool {
    ffi_boundary! {
        on_panic = false;
        read(outcome, false, |o| o.retry_after.is_some())
    }
}

/// For a retry-safe outcome (`ytx_outcome_retry_safe`), the pause in
/// milliseconds before sending the request again: 0 for a failure before
/// it was written, 1000 for the platform's `-104`. 0 when the outcome is
/// not retry-safe (check that first) or NULL.
///
/// # Safety
/// `outcome` is NULL or a live outcome not yet freed.
#[no_mangle]
pub unsafe extern "C" fn ytx_outcome_retry_after_ms(outcome: *const ytx_outcome) -> u32 {
    ffi_boundary! {
        read(outcome, 0, |o| {
            o.retry_after
                .map_or(0, |d| u32::try_from(d.as_millis()).unwrap_or(u32::MAX))
        })
    }
}

/// An English message for a person, e.g. `credit: must be a whole number of
/// seconds greater than 60, got 60`; empty on success. Never contains the
/// auth token.
///
/// # Safety
/// `outcome` is NULL or a live outcome not yet freed.
#[no_mangle]
pub unsafe extern "C" fn ytx_outcome_message(outcome: *const ytx_outcome) -> *const c_char {
    ffi_boundary! {
        read_str(outcome, |o| &o.message)
    }
}

/// For argument errors, the parameter or field at fault (`src`, `credit`,
/// `auth_token`, `customParm`, ...); empty otherwise.
///
/// # Safety
/// `outcome` is NULL or a live outcome not yet freed.
#[no_mangle]
pub unsafe extern "C" fn ytx_outcome_field(outcome: *const ytx_outcome) -> *const c_char {
    ffi_boundary! {
        read_str(outcome, |o| &o.field)
    }
}

/// The platform's statusCode (`"0"` on success, e.g. `"-203"` for
/// `YTX_ERR_PLATFORM`); empty when the platform did not answer.
///
/// # Safety
/// `outcome` is NULL or a live outcome not yet freed.
#[no_mangle]
pub unsafe extern "C" fn ytx_outcome_status_code(outcome: *const ytx_outcome) -> *const c_char {
    ffi_boundary! {
        read_str(outcome, |o| &o.status_code)
    }
}

/// The platform's statusMsg, as it sent it (often Chinese, UTF-8).
///
/// # Safety
/// `outcome` is NULL or a live outcome not yet freed.
#[no_mangle]
pub unsafe extern "C" fn ytx_outcome_status_msg(outcome: *const ytx_outcome) -> *const c_char {
    ffi_boundary! {
        read_str(outcome, |o| &o.status_msg)
    }
}

/// The platform's requestId: an opaque string (29 digits on the real
/// platform, more than a 64-bit integer holds). Empty when none was given.
///
/// # Safety
/// `outcome` is NULL or a live outcome not yet freed.
#[no_mangle]
pub unsafe extern "C" fn ytx_outcome_request_id(outcome: *const ytx_outcome) -> *const c_char {
    ffi_boundary! {
        read_str(outcome, |o| &o.request_id)
    }
}

/// The HTTP status of the answer: 200 for `YTX_OK` and `YTX_ERR_PLATFORM`,
/// the status for `YTX_ERR_HTTP_STATUS` (e.g. 502), and 0 for every other
/// result (including `YTX_ERR_PROTOCOL`, whose answer may or may not have
/// had a readable status line).
///
/// # Safety
/// `outcome` is NULL or a live outcome not yet freed.
#[no_mangle]
pub unsafe extern "C" fn ytx_outcome_http_status(outcome: *const ytx_outcome) -> u16 {
    ffi_boundary! {
        read(outcome, 0, |o| o.http_status)
    }
}

/// The method of the request that was built (`POST`); empty when the call
/// failed before a request was built (e.g. invalid arguments).
///
/// # Safety
/// `outcome` is NULL or a live outcome not yet freed.
#[no_mangle]
pub unsafe extern "C" fn ytx_outcome_request_method(outcome: *const ytx_outcome) -> *const c_char {
    ffi_boundary! {
        read_str(outcome, |o| &o.request_method)
    }
}

/// The full URL of the request, including `?Sign=`: the Sign is valid for the
/// platform's timestamp window, so do not log it unredacted.
///
/// # Safety
/// `outcome` is NULL or a live outcome not yet freed.
#[no_mangle]
pub unsafe extern "C" fn ytx_outcome_request_url(outcome: *const ytx_outcome) -> *const c_char {
    ffi_boundary! {
        read_str(outcome, |o| &o.request_url)
    }
}

/// The request URL with the Sign value replaced by `<redacted>`, for logs and
/// displays (the library's one redaction: use it rather than cutting the
/// URL yourself). "" when the outcome holds no request.
///
/// # Safety
/// `outcome` is NULL or a live outcome not yet freed.
#[no_mangle]
pub unsafe extern "C" fn ytx_outcome_request_url_redacted(
    outcome: *const ytx_outcome,
) -> *const c_char {
    ffi_boundary! {
        read_str(outcome, |o| &o.request_url_redacted)
    }
}

/// The request's headers, one `Name: value\n` line each.
///
/// # Safety
/// `outcome` is NULL or a live outcome not yet freed.
#[no_mangle]
pub unsafe extern "C" fn ytx_outcome_request_headers(outcome: *const ytx_outcome) -> *const c_char {
    ffi_boundary! {
        read_str(outcome, |o| &o.request_headers)
    }
}

/// The request's JSON body.
///
/// # Safety
/// `outcome` is NULL or a live outcome not yet freed.
#[no_mangle]
pub unsafe extern "C" fn ytx_outcome_request_body(outcome: *const ytx_outcome) -> *const c_char {
    ffi_boundary! {
        read_str(outcome, |o| &o.request_body)
    }
}

/// Release an outcome and every string borrowed from it. NULL is a no-op.
///
/// # Safety
/// `outcome` is NULL or an outcome from this library not yet freed; freeing
/// it twice is undefined behaviour (as with `free`).
#[no_mangle]
pub unsafe extern "C" fn ytx_outcome_free(outcome: *mut ytx_outcome) {
    ffi_boundary! {
        super::release(outcome);
    }
}
