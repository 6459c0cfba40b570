//! `ytx_outcome`: everything about one library call, owned by the caller.
//!
//! An outcome belongs to the call that produced it, so threads never see each
//! other's errors (no global or thread-local "last error").
//!
//! Methods: `ytx_outcome_result`, `_delivery`, `_retry_safe`,
//! `_retry_after_ms`, `_message`, `_field`, `_status_code`, `_status_msg`,
//! `_request_id`, `_http_status`, `_request_method`, `_request_url`,
//! `_request_url_redacted`, `_request_headers`, `_request_body`, `_ticket`,
//! `ytx_outcome_view_of` (all but the `request_*` ones in one call, into a
//! `ytx_outcome_view`), `ytx_outcome_free`.

use std::borrow::Cow;
use std::ffi::{c_char, CString};
use std::sync::OnceLock;

use super::codes::{ytx_delivery, ytx_result, FfiError, FfiResult};
use super::panic::ffi_boundary;
use super::ptr::{self, read, EMPTY};
use super::text::c_text;
use crate::client::SignedRequest;
use crate::error::Error;
use crate::response::Response;

// ===== Outcome: what one call produced, in Rust form =====

/// What one call produced, in Rust form; `ytx_outcome` is made from it.
pub(super) struct Outcome {
    end: End,
    /// The request that was built (a call or its dry run), for the
    /// `request_*` accessors.
    request: Option<SignedRequest>,
}

/// How a call ended. What reached the platform and the HTTP status of its
/// answer follow from this alone ([`End::delivery_and_http_status`]): no
/// entry point sets them.
enum End {
    /// Nothing was sent and nothing failed: a client made, a push parsed, a
    /// dry run.
    NothingSent,
    /// The platform answered; a call's answer (statusCode, statusMsg,
    /// requestId) when there is one to show.
    Answered(Option<Response>),
    Failed(FfiError),
}

impl End {
    /// The one place that says what reached the platform and with which
    /// HTTP status it answered: 200 for an answer and for the platform's
    /// refusal, the status of an HTTP status error, 0 for everything else.
    fn delivery_and_http_status(&self) -> (ytx_delivery, u16) {
        match self {
            End::NothingSent => (ytx_delivery::YTX_DELIVERY_NOT_SENT, 0),
            End::Answered(_) => (ytx_delivery::YTX_DELIVERY_ANSWERED, 200),
            End::Failed(e) => {
                let status = match e.core() {
                    Some(Error::Platform { .. }) => 200,
                    Some(Error::HttpStatus { status, .. }) => *status,
                    _ => 0,
                };
                (e.delivery(), status)
            }
        }
    }
}

impl Outcome {
    /// A call that sends nothing succeeded (never for a call that sent a
    /// request: that one's outcome comes from [`Outcome::sent`]).
    pub(super) fn nothing_sent() -> Outcome {
        Outcome {
            end: End::NothingSent,
            request: None,
        }
    }

    pub(super) fn error(e: FfiError) -> Outcome {
        Outcome {
            end: End::Failed(e),
            request: None,
        }
    }

    /// A call that sends nothing: success or its error.
    pub(super) fn local(result: FfiResult<()>) -> Outcome {
        match result {
            Ok(()) => Outcome::nothing_sent(),
            Err(e) => Outcome::error(e),
        }
    }

    /// A dry run: the request, signed, not sent.
    pub(super) fn prepared(request: SignedRequest) -> Outcome {
        Outcome {
            end: End::NothingSent,
            request: Some(request),
        }
    }

    /// A request went out (the runner's outcome, `send.rs`): answered, with
    /// the call's answer when there is one to show, or failed.
    pub(super) fn sent(
        request: Option<SignedRequest>,
        result: FfiResult<Option<Response>>,
    ) -> Outcome {
        let end = match result {
            Ok(answer) => End::Answered(answer),
            Err(e) => End::Failed(e),
        };
        Outcome { end, request }
    }

    /// The result code the call returns.
    pub(super) fn result(&self) -> ytx_result {
        match &self.end {
            End::NothingSent | End::Answered(_) => ytx_result::YTX_OK,
            End::Failed(e) => e.code(),
        }
    }
}

// ===== impl ytx_outcome =====

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
    end: End,
    request: Option<SignedRequest>,
    /// The C string of each [`Text`], made on its first access and kept
    /// until the outcome is freed (`OnceLock`: an outcome may be read from
    /// several threads at once). A call whose caller reads no string pays
    /// for none; `None` is the static "".
    texts: [OnceLock<Option<CString>>; Text::COUNT],
}

// An outcome may be read from any thread (documented above).
const _: fn() = || {
    fn shared<T: Send + Sync>() {}
    shared::<ytx_outcome>();
};

/// The strings of an outcome, one accessor each.
#[derive(Clone, Copy)]
enum Text {
    Message,
    Field,
    StatusCode,
    StatusMsg,
    RequestId,
    RequestMethod,
    RequestUrl,
    RequestUrlRedacted,
    RequestHeaders,
    RequestBody,
    Ticket,
}

impl Text {
    const COUNT: usize = Text::Ticket as usize + 1;
}

impl From<Outcome> for ytx_outcome {
    fn from(o: Outcome) -> ytx_outcome {
        let result = o.result();
        let (delivery, http_status) = o.end.delivery_and_http_status();
        let retry_after = match &o.end {
            End::Failed(e) => e.retry_after(),
            _ => None,
        };
        ytx_outcome {
            result,
            delivery,
            retry_after,
            http_status,
            end: o.end,
            request: o.request,
            texts: Default::default(),
        }
    }
}

impl ytx_outcome {
    /// The C string of `which`, made on first access.
    fn text(&self, which: Text) -> *const c_char {
        self.texts[which as usize]
            .get_or_init(|| c_text(&self.make(which)))
            .as_ref()
            .map_or(EMPTY, |c| c.as_ptr())
    }

    /// The text of `which` ("" when not applicable).
    fn make(&self, which: Text) -> Cow<'_, str> {
        let error = match &self.end {
            End::Failed(e) => Some(e),
            _ => None,
        };
        let request = self.request.as_ref();
        let text = match which {
            Text::Message => error.map(|e| Cow::Owned(e.to_string())),
            Text::Field => error.and_then(FfiError::field).map(Cow::Borrowed),
            Text::StatusCode => self.answer().map(|a| Cow::Borrowed(a.0)),
            Text::StatusMsg => self.answer().map(|a| Cow::Borrowed(a.1)),
            Text::RequestId => self.answer().map(|a| Cow::Borrowed(a.2)),
            Text::RequestMethod => request.map(|_| Cow::Borrowed(SignedRequest::METHOD)),
            Text::RequestUrl => request.map(|r| Cow::Borrowed(r.url.as_str())),
            Text::RequestUrlRedacted => request.map(|r| Cow::Owned(r.redacted_url())),
            Text::RequestHeaders => request.map(|r| {
                let mut text = String::new();
                for (k, v) in r.headers() {
                    text.extend([k, ": ", v, "\n"]);
                }
                Cow::Owned(text)
            }),
            Text::RequestBody => request.map(|r| Cow::Borrowed(r.body.as_str())),
            Text::Ticket => error
                .and_then(FfiError::core)
                .and_then(Error::ticket)
                .map(|t| Cow::Owned(t.to_text())),
        };
        text.unwrap_or_default()
    }

    /// The pause before a retry in milliseconds; 0 when not retry-safe.
    fn retry_after_ms(&self) -> u32 {
        self.retry_after
            .map_or(0, |d| u32::try_from(d.as_millis()).unwrap_or(u32::MAX))
    }

    /// The platform's statusCode, statusMsg and requestId: of its answer,
    /// or of its refusal.
    fn answer(&self) -> Option<(&str, &str, &str)> {
        match &self.end {
            End::Answered(Some(r)) => Some((&r.status_code, &r.status_msg, &r.request_id)),
            End::Failed(FfiError::Core(Error::Platform {
                status_code,
                status_msg,
                request_id,
            })) => Some((status_code, status_msg, request_id)),
            _ => None,
        }
    }
}

#[cfg(test)]
impl ytx_outcome {
    pub(super) fn status_msg_for_test(&self) -> &str {
        // SAFETY: a pointer into this outcome's own string, or the static "".
        unsafe { std::ffi::CStr::from_ptr(self.text(Text::StatusMsg)) }
            .to_str()
            .unwrap_or("")
    }
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
        read(outcome, 0, ytx_outcome::retry_after_ms)
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
        read(outcome, EMPTY, |o| o.text(Text::Message))
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
        read(outcome, EMPTY, |o| o.text(Text::Field))
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
        read(outcome, EMPTY, |o| o.text(Text::StatusCode))
    }
}

/// The platform's statusMsg, as it sent it (often Chinese, UTF-8).
///
/// # Safety
/// `outcome` is NULL or a live outcome not yet freed.
#[no_mangle]
pub unsafe extern "C" fn ytx_outcome_status_msg(outcome: *const ytx_outcome) -> *const c_char {
    ffi_boundary! {
        read(outcome, EMPTY, |o| o.text(Text::StatusMsg))
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
        read(outcome, EMPTY, |o| o.text(Text::RequestId))
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
        read(outcome, EMPTY, |o| o.text(Text::RequestMethod))
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
        read(outcome, EMPTY, |o| o.text(Text::RequestUrl))
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
        read(outcome, EMPTY, |o| o.text(Text::RequestUrlRedacted))
    }
}

/// The request's headers, one `Name: value\n` line each.
///
/// # Safety
/// `outcome` is NULL or a live outcome not yet freed.
#[no_mangle]
pub unsafe extern "C" fn ytx_outcome_request_headers(outcome: *const ytx_outcome) -> *const c_char {
    ffi_boundary! {
        read(outcome, EMPTY, |o| o.text(Text::RequestHeaders))
    }
}

/// The request's JSON body.
///
/// # Safety
/// `outcome` is NULL or a live outcome not yet freed.
#[no_mangle]
pub unsafe extern "C" fn ytx_outcome_request_body(outcome: *const ytx_outcome) -> *const c_char {
    ffi_boundary! {
        read(outcome, EMPTY, |o| o.text(Text::RequestBody))
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
        read(outcome, EMPTY, |o| o.text(Text::Ticket))
    }
}

// ===== impl ytx_outcome_view =====

/// An outcome's numbers and strings in one struct, filled by
/// `ytx_outcome_view_of`: what a caller reads after a call, without one
/// call per field (each call through a foreign-function interface such as
/// Python's ctypes costs about a microsecond).
///
/// Every field holds exactly what its accessor returns
/// (`ytx_outcome_result`, `ytx_outcome_delivery`, ...). The strings are
/// UTF-8, never NULL ("" when not applicable), borrowed from the outcome:
/// valid until `ytx_outcome_free`, and the same pointers the accessors
/// return. The request (`ytx_outcome_request_*`) is not in the view: read
/// it with its accessors. The layout is fixed; fields added later come with
/// a new function, never in this struct.
#[repr(C)]
pub struct ytx_outcome_view {
    /// `ytx_outcome_result`.
    pub result: ytx_result,
    /// `ytx_outcome_delivery`.
    pub delivery: ytx_delivery,
    /// `ytx_outcome_retry_after_ms` (0 unless `retry_safe`).
    pub retry_after_ms: u32,
    /// `ytx_outcome_http_status`.
    pub http_status: u16,
    /// `ytx_outcome_retry_safe`.
    pub retry_safe: bool,
    /// `ytx_outcome_message`.
    pub message: *const c_char,
    /// `ytx_outcome_field`.
    pub field: *const c_char,
    /// `ytx_outcome_status_code`.
    pub status_code: *const c_char,
    /// `ytx_outcome_status_msg`.
    pub status_msg: *const c_char,
    /// `ytx_outcome_request_id`.
    pub request_id: *const c_char,
    /// `ytx_outcome_ticket`.
    pub ticket: *const c_char,
}

impl From<&ytx_outcome> for ytx_outcome_view {
    fn from(o: &ytx_outcome) -> ytx_outcome_view {
        ytx_outcome_view {
            result: o.result,
            delivery: o.delivery,
            retry_after_ms: o.retry_after_ms(),
            http_status: o.http_status,
            retry_safe: o.retry_after.is_some(),
            message: o.text(Text::Message),
            field: o.text(Text::Field),
            status_code: o.text(Text::StatusCode),
            status_msg: o.text(Text::StatusMsg),
            request_id: o.text(Text::RequestId),
            ticket: o.text(Text::Ticket),
        }
    }
}

/// Fill `*view_out` with everything `outcome` says but its request, in one
/// call: the same values as `ytx_outcome_result`, `_delivery`,
/// `_retry_after_ms`, `_http_status`, `_retry_safe`, `_message`, `_field`,
/// `_status_code`, `_status_msg`, `_request_id` and `_ticket`.
///
/// Parameters:
/// - `outcome`: a live outcome (borrowed).
/// - `view_out`: required; written on `YTX_OK` only. Its strings borrow
///   from `outcome` and are valid until `ytx_outcome_free(outcome)`.
///
/// Returns `YTX_OK` (the outcome's own result is `view_out->result`);
/// `YTX_ERR_NULL_ARGUMENT` when `outcome` or `view_out` is NULL (nothing
/// written). Thread safety: an outcome may be read from any thread.
///
/// # Safety
/// `outcome` is NULL or a live outcome not yet freed; `view_out` is NULL or
/// valid for one write of a `ytx_outcome_view`.
#[no_mangle]
pub unsafe extern "C" fn ytx_outcome_view_of(
    outcome: *const ytx_outcome,
    view_out: *mut ytx_outcome_view,
) -> ytx_result {
    ffi_boundary! {
        let filled = ptr::required_out(view_out, "view_out").and_then(|()| {
            read(outcome, None, |o| Some(ytx_outcome_view::from(o)))
                .ok_or_else(|| FfiError::null("outcome"))
        });
        match filled {
            Ok(view) => {
                ptr::write(view_out, view);
                ytx_result::YTX_OK
            }
            Err(e) => e.code(),
        }
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
        ptr::free_box(outcome);
    }
}
