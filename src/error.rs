//! One error type for the whole library, with stable numeric codes for the C ABI.
//!
//! Every message is written for a person who has to act on it, and none of
//! them ever contains the auth token: errors are built from field names,
//! reasons and what the platform answered, never from the credentials.

use std::fmt;
use std::time::Duration;

/// The platform's statusCode for "request rate too high" (请求频率过高,
/// PROTOCOL.md, "Limits seen in the field"): a refusal, nothing was placed,
/// and the same request may be sent again after a pause.
pub const RATE_LIMITED_STATUS_CODE: &str = "-104";

/// The pause before sending again a request the platform refused with
/// `-104` ([`Error::retry_after`]). The platform documents no figure; one
/// second is the library's choice: the field's limit (15 simultaneous calls
/// per number) frees up as calls end, and a caller that waits a second
/// between retries stays far below any per-second rate.
pub const RATE_LIMITED_RETRY_AFTER: Duration = Duration::from_secs(1);

use macro_rules_attribute::macro_rules_derive;

use crate::abi::{numbered_by, numbered_by_with_0_1_names, ytx_delivery, ytx_result};
use crate::ticket::Ticket;

/// What kind of error an [`Error`] is: [`Error::code`]. Each has a stable
/// number ([`ErrorCode::as_u32`]), the same as the C ABI's `ytx_result`
/// (`YTX_ERR_*`) and the bindings' codes: each variant is numbered by the
/// C ABI's table (`src/abi.rs`), the one place the numbers and names are
/// written.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[macro_rules_derive(numbered_by)]
#[non_exhaustive]
pub enum ErrorCode {
    /// A bad value; nothing was sent ([`Error::InvalidArgument`]).
    InvalidArgument = ytx_result::YTX_ERR_INVALID_ARGUMENT as u32,
    /// Not delivered and never written to the network: retrying is safe.
    NotSent = ytx_result::YTX_ERR_NOT_SENT as u32,
    /// The connection failed after the request was (at least partly)
    /// written: the platform may have acted on it.
    OutcomeUnknown = ytx_result::YTX_ERR_OUTCOME_UNKNOWN as u32,
    /// A timeout fired; [`Error::delivery`] says on which side of "sent".
    Timeout = ytx_result::YTX_ERR_TIMEOUT as u32,
    /// An HTTP status other than 200 (a gateway, proxy or wrong base URL).
    HttpStatus = ytx_result::YTX_ERR_HTTP_STATUS as u32,
    /// The answer (or a push body) was not the platform's JSON.
    Protocol = ytx_result::YTX_ERR_PROTOCOL as u32,
    /// The platform answered with a statusCode other than "0".
    Platform = ytx_result::YTX_ERR_PLATFORM as u32,
}

impl ErrorCode {
    /// The stable name, the same in every language (`ytx_result` in C):
    /// e.g. `"YTX_ERR_PLATFORM"`.
    ///
    /// ```
    /// assert_eq!(ytx::ErrorCode::NotSent.name(), "YTX_ERR_NOT_SENT");
    /// ```
    pub fn name(self) -> &'static str {
        ytx_result::from(self).name()
    }

    /// The stable number (as `ytx_result` in `ytx.h`): 3, 10, 11, 12, 13,
    /// 14, 20.
    ///
    /// ```
    /// assert_eq!(ytx::ErrorCode::Platform.as_u32(), 20);
    /// ```
    pub fn as_u32(self) -> u32 {
        self as u32
    }
}

/// Whether a request reached the platform, as far as the client can know.
///
/// Half of the answer to "may I send it again?": only
/// [`Delivery::NotSent`] rules out a second call. The whole answer is
/// [`Error::is_retry_safe`].
///
/// Numbered by the C ABI's `ytx_delivery` (`src/abi.rs`).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[macro_rules_derive(numbered_by_with_0_1_names)]
pub enum Delivery {
    /// Nothing was written to the network: sending again cannot make a
    /// second call (whether it can succeed: the retry advice).
    NotSent = ytx_delivery::YTX_DELIVERY_NOT_SENT as u32,
    /// The request was written but no complete, valid answer came back. The
    /// platform may have placed the call: do not retry blindly (find it by
    /// its customParm: [`Client::find_call`](crate::Client::find_call)).
    Unknown = ytx_delivery::YTX_DELIVERY_UNKNOWN as u32,
    /// The platform answered; its answer (accepted or rejected) is final.
    Answered = ytx_delivery::YTX_DELIVERY_ANSWERED as u32,
}

impl Delivery {
    /// The stable name, the same in every language (`ytx_delivery` in C):
    /// e.g. `"YTX_DELIVERY_NOT_SENT"`.
    pub fn name(self) -> &'static str {
        ytx_delivery::from(self).name()
    }

    /// Whether this delivery state alone rules out a second call: only
    /// [`Delivery::NotSent`] (nothing reached the platform).
    ///
    /// This is half of the retry question. [`Error::is_retry_safe`] is the
    /// whole answer ("can sending the same request again succeed, without
    /// any risk of a second call?"): it also says *no* for an argument
    /// error (not sent, but a retry fails the same way) and *yes* for the
    /// platform's `-104` (answered, but a refusal: nothing was placed).
    /// Use that one to decide a retry.
    pub fn is_retry_safe(self) -> bool {
        self == Delivery::NotSent
    }
}

/// The one error type of the library.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// An argument has a bad value. Nothing was sent.
    InvalidArgument {
        /// The field, as named in the API (wire names for request fields).
        field: String,
        /// What is wrong with it, in English.
        reason: String,
    },
    /// A network failure. `delivery` says whether the request was written.
    Transport {
        /// The I/O or TLS error underneath, when there is one (also
        /// [`std::error::Error::source`]).
        source: Option<Cause>,
        /// [`Delivery::NotSent`] or [`Delivery::Unknown`].
        delivery: Delivery,
        /// What failed.
        message: String,
        /// For an *outcome unknown* of a callback call: what resolving it
        /// needs ([`Error::ticket`], [`Client::resolve`](crate::Client::resolve)).
        ticket: Option<Box<Ticket>>,
    },
    /// A timeout. `delivery` says whether the request was written.
    Timeout {
        /// The I/O error underneath, when there is one.
        source: Option<Cause>,
        /// [`Delivery::NotSent`] or [`Delivery::Unknown`].
        delivery: Delivery,
        /// Which timeout fired.
        message: String,
        /// As in [`Error::Transport`].
        ticket: Option<Box<Ticket>>,
    },
    /// An HTTP status other than 200.
    HttpStatus {
        /// The HTTP status code.
        status: u16,
        /// The start of the body, with control characters removed.
        body_start: String,
        /// As in [`Error::Transport`].
        ticket: Option<Box<Ticket>>,
    },
    /// The answer is not the platform's JSON.
    Protocol {
        /// What is wrong with the answer.
        message: String,
        /// As in [`Error::Transport`].
        ticket: Option<Box<Ticket>>,
    },
    /// A push body (POSTed to the app's callback URL) that is not a push:
    /// not JSON, not an object, `cdr` not an array, ... Nothing was sent.
    /// Same result code as [`Error::Protocol`].
    InvalidPush {
        /// What is wrong with the body.
        message: String,
    },
    /// The platform answered with a statusCode other than "0".
    Platform {
        /// The platform's statusCode, e.g. "-203".
        status_code: String,
        /// The platform's own statusMsg (often Chinese), as sent.
        status_msg: String,
        /// The platform's requestId (usually empty on errors).
        request_id: String,
    },
}

impl Error {
    /// An [`Error::InvalidArgument`] for `field`.
    ///
    /// ```
    /// assert_eq!(ytx::Error::invalid("dst", "must not be empty").to_string(), "dst: must not be empty");
    /// ```
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Error {
        Error::InvalidArgument {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// A transport error before any byte of the request left: *not sent*,
    /// safe to retry.
    pub(crate) fn not_sent(message: impl Into<String>) -> Error {
        Error::transport(Delivery::NotSent, message)
    }

    /// A transport error once the request may have left: *outcome unknown*.
    pub(crate) fn outcome_unknown(message: impl Into<String>) -> Error {
        Error::transport(Delivery::Unknown, message)
    }

    /// A transport error on the given side of "written".
    pub(crate) fn transport(delivery: Delivery, message: impl Into<String>) -> Error {
        Error::Transport {
            delivery,
            message: message.into(),
            source: None,
            ticket: None,
        }
    }

    /// A timeout `during` a step, on the given side of "written".
    pub(crate) fn timeout(delivery: Delivery, during: &str) -> Error {
        Error::Timeout {
            delivery,
            message: during.to_string(),
            source: None,
            ticket: None,
        }
    }

    /// The I/O error `e` `during` a step, on the given side of "written": a
    /// timeout if `e` is one ([`is_timeout`]), else a transport error whose
    /// message is `"{during}: {e}"`; `e` is its [`std::error::Error::source`].
    pub(crate) fn io(delivery: Delivery, e: &std::io::Error, during: &str) -> Error {
        if is_timeout(e) {
            Error::timeout(delivery, during)
        } else {
            Error::transport(delivery, format!("{during}: {e}"))
        }
        .with_io(e)
    }

    /// This error with the I/O error `e` as its
    /// [`std::error::Error::source`] (transport errors and timeouts only).
    pub(crate) fn with_io(mut self, e: &std::io::Error) -> Error {
        if let Error::Transport { source, .. } | Error::Timeout { source, .. } = &mut self {
            *source = Some(Cause::io(e));
        }
        self
    }

    /// What kind of error this is, with a stable number.
    ///
    /// ```
    /// let e = ytx::Error::invalid("credit", "must be greater than 60");
    /// assert_eq!(e.code(), ytx::ErrorCode::InvalidArgument);
    /// assert_eq!(e.code().as_u32(), 3);
    /// ```
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::InvalidArgument { .. } => ErrorCode::InvalidArgument,
            Error::Transport {
                delivery: Delivery::NotSent,
                ..
            } => ErrorCode::NotSent,
            Error::Transport { .. } => ErrorCode::OutcomeUnknown,
            Error::Timeout { .. } => ErrorCode::Timeout,
            Error::HttpStatus { .. } => ErrorCode::HttpStatus,
            Error::Protocol { .. } | Error::InvalidPush { .. } => ErrorCode::Protocol,
            Error::Platform { .. } => ErrorCode::Platform,
        }
    }

    /// Whether sending the same request again can succeed without any risk
    /// of a second call. Yes for exactly two cases:
    ///
    /// * a transport failure or timeout before the request was written
    ///   ([`Delivery::NotSent`]: connection refused, DNS, TLS handshake,
    ///   connect timeout);
    /// * the platform's `-104` (request rate too high,
    ///   [`RATE_LIMITED_STATUS_CODE`]): a refusal, nothing was placed; send
    ///   it again after [`Error::retry_after`].
    ///
    /// No for everything else: an argument error (nothing was sent, but the
    /// same request fails the same way: fix it), a push that does not parse
    /// (nothing to send again), an *outcome unknown* (the call may have been
    /// placed: resolve it, never resend it blindly), an HTTP status or a
    /// garbled answer (also unknown), and every other platform refusal (its
    /// answer is final). The C ABI's `ytx_outcome_retry_safe` and the
    /// bindings' `retry_safe` read this.
    ///
    /// ```
    /// use ytx::{Delivery, Error};
    /// let e = ytx::Error::invalid("credit", "must be greater than 60");
    /// assert!(!e.is_retry_safe()); // nothing was sent, but a retry fails the same way
    /// let refused = Error::Transport { delivery: Delivery::NotSent, message: "refused".into(), source: None, ticket: None };
    /// assert!(refused.is_retry_safe());
    /// let busy = ytx::parse_response(br#"{"statusCode":"-104","statusMsg":"x"}"#).unwrap_err();
    /// assert!(busy.is_retry_safe() && busy.retry_after().is_some());
    /// ```
    pub fn is_retry_safe(&self) -> bool {
        self.retry_after().is_some()
    }

    /// When the same request may be sent again, for a retry-safe error
    /// ([`Error::is_retry_safe`]): after this pause. Zero for a failure
    /// before the request was written, [`RATE_LIMITED_RETRY_AFTER`] for the
    /// platform's `-104`. `None` when sending it again is not safe.
    ///
    /// ```
    /// let busy = ytx::parse_response(br#"{"statusCode":"-104","statusMsg":"x"}"#).unwrap_err();
    /// assert_eq!(busy.retry_after(), Some(ytx::RATE_LIMITED_RETRY_AFTER));
    /// ```
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Transport {
                delivery: Delivery::NotSent,
                ..
            }
            | Error::Timeout {
                delivery: Delivery::NotSent,
                ..
            } => Some(Duration::ZERO),
            Error::Platform { status_code, .. } if status_code == RATE_LIMITED_STATUS_CODE => {
                Some(RATE_LIMITED_RETRY_AFTER)
            }
            _ => None,
        }
    }

    /// Whether the request reached the platform. Only [`Delivery::NotSent`]
    /// makes a retry safe.
    ///
    /// ```
    /// use ytx::{Delivery, Error, ErrorCode};
    /// let refused = Error::Transport { delivery: Delivery::NotSent, message: "refused".into(), source: None, ticket: None };
    /// assert_eq!(refused.delivery(), Delivery::NotSent); // safe to retry
    /// let reset = Error::Transport { delivery: Delivery::Unknown, message: "reset".into(), source: None, ticket: None };
    /// assert_eq!(reset.code(), ErrorCode::OutcomeUnknown); // may have rung
    /// ```
    pub fn delivery(&self) -> Delivery {
        match self {
            // Parsing a push sends nothing.
            Error::InvalidArgument { .. } | Error::InvalidPush { .. } => Delivery::NotSent,
            Error::Transport { delivery, .. } | Error::Timeout { delivery, .. } => *delivery,
            // A gateway error page or a garbled answer: the platform may
            // have acted on the request before that happened.
            Error::HttpStatus { .. } | Error::Protocol { .. } => Delivery::Unknown,
            Error::Platform { .. } => Delivery::Answered,
        }
    }

    /// The field an argument error is about, if any.
    ///
    /// ```
    /// let e = ytx::VoiceCode::new("13800138000", "02160000000", "12-34").validate().unwrap_err();
    /// assert_eq!(e.field(), Some("code"));
    /// ```
    pub fn field(&self) -> Option<&str> {
        match self {
            Error::InvalidArgument { field, .. } => Some(field),
            _ => None,
        }
    }

    /// What resolving this *outcome unknown* needs, when it is one of a
    /// callback call (or a voice code, which resolves as "cannot be
    /// resolved"): pass the error or the ticket to
    /// [`Client::resolve`](crate::Client::resolve), or save
    /// [`Ticket::to_text`] to resolve it after a restart. `None` for any
    /// other error.
    pub fn ticket(&self) -> Option<&Ticket> {
        match self {
            Error::Transport { ticket, .. }
            | Error::Timeout { ticket, .. }
            | Error::HttpStatus { ticket, .. }
            | Error::Protocol { ticket, .. } => ticket.as_deref(),
            _ => None,
        }
    }

    /// The error with `ticket` attached, when its delivery is unknown.
    pub(crate) fn with_ticket(mut self, new: Ticket) -> Error {
        if self.delivery() != Delivery::Unknown {
            return self;
        }
        match &mut self {
            Error::Transport { ticket, .. }
            | Error::Timeout { ticket, .. }
            | Error::HttpStatus { ticket, .. }
            | Error::Protocol { ticket, .. } => *ticket = Some(Box::new(new)),
            _ => {}
        }
        self
    }

    /// The platform's statusCode, for [`Error::Platform`].
    ///
    /// ```
    /// let e = ytx::parse_response(br#"{"statusCode":"-204","statusMsg":"x"}"#).unwrap_err();
    /// assert_eq!(e.status_code(), Some("-204"));
    /// ```
    pub fn status_code(&self) -> Option<&str> {
        match self {
            Error::Platform { status_code, .. } => Some(status_code),
            _ => None,
        }
    }
}

impl Error {
    /// This error with every text it carries (messages, an HTTP body's start,
    /// the platform's statusMsg) passed through [`redact_secrets`]: `sign`
    /// (the request's Sign, any case) and any `Sign=` query value become
    /// `<redacted>`. The client applies it to every error of a request, so
    /// an answer that echoes the request line (a gateway's error page)
    /// never carries the Sign into a message or a log line.
    pub(crate) fn redacted(self, sign: &str) -> Error {
        let r = |t: String| match redact_secrets(&t, Some(sign)) {
            std::borrow::Cow::Borrowed(_) => t,
            std::borrow::Cow::Owned(o) => o,
        };
        match self {
            Error::Transport {
                source,
                delivery,
                message,
                ticket,
            } => Error::Transport {
                source,
                delivery,
                message: r(message),
                ticket,
            },
            Error::Timeout {
                source,
                delivery,
                message,
                ticket,
            } => Error::Timeout {
                source,
                delivery,
                message: r(message),
                ticket,
            },
            Error::HttpStatus {
                status,
                body_start,
                ticket,
            } => Error::HttpStatus {
                status,
                body_start: r(body_start),
                ticket,
            },
            Error::Protocol { message, ticket } => Error::Protocol {
                message: r(message),
                ticket,
            },
            Error::Platform {
                status_code,
                status_msg,
                request_id,
            } => Error::Platform {
                status_code,
                status_msg: r(status_msg),
                request_id,
            },
            e @ (Error::InvalidArgument { .. } | Error::InvalidPush { .. }) => e,
        }
    }
}

/// What replaces a secret in any text the library passes on.
pub const REDACTED: &str = "<redacted>";

/// `text` with the request's Sign removed, whatever the text's source (an
/// error page that echoes the request line, a proxy's message, a log line):
/// every `Sign=` query value (the key in any case, the value up to `&`,
/// whitespace, a quote, `<`, `>` or `#`) becomes `Sign=<redacted>`, and
/// every occurrence of `sign` itself (ASCII case ignored; when given, and
/// at least 8 characters) becomes `<redacted>`. Borrowed when nothing was
/// found. The recording's URL is a secret too (PROTOCOL.md: a bearer
/// URL): the value of a `tapesurl` key (`"tapesurl":"..."` or
/// `tapesurl=...`) becomes `<redacted>` as well (`NoTapes` stays).
///
/// ```
/// let page = "<h1>400</h1> POST /201512/sid/x/call/DailbackCall.wx?sign=698cd6f76db3cae8&a=1 HTTP/1.1";
/// let clean = ytx::error::redact_secrets(page, None);
/// assert!(clean.contains("?sign=<redacted>&a=1") && !clean.contains("698cd6f7"));
/// assert_eq!(ytx::error::redact_secrets("echo 698CD6F76DB3CAE8", Some("698cd6f76db3cae8")), "echo <redacted>");
/// ```
pub fn redact_secrets<'a>(text: &'a str, sign: Option<&str>) -> std::borrow::Cow<'a, str> {
    use std::borrow::Cow;
    let mut out: Cow<'a, str> = Cow::Borrowed(text);
    if let Some(sign) = sign.filter(|s| s.len() >= 8 && s.is_ascii()) {
        // ASCII lower-casing keeps every byte where it was.
        let lower = out.to_ascii_lowercase();
        let needle = sign.to_ascii_lowercase();
        if lower.contains(&needle) {
            let mut s = String::with_capacity(out.len());
            let mut last = 0;
            for (i, _) in lower.match_indices(&needle) {
                s.push_str(&out[last..i]);
                s.push_str(REDACTED);
                last = i + needle.len();
            }
            s.push_str(&out[last..]);
            out = Cow::Owned(s);
        }
    }
    if let Cow::Owned(o) = redact_values(&out, "tapesurl", &[":", "="], "\"'<>,}\\") {
        out = Cow::Owned(o);
    }
    if let Cow::Owned(o) = redact_values(&out, "sign", &["="], "&#\"'<>\\") {
        out = Cow::Owned(o);
    }
    out
}

/// `text` with the value after each `key` (ASCII case ignored, not preceded
/// by a letter or digit, optionally quoted, then one of `separators`,
/// optionally quoted) up to whitespace or one of `stops` replaced by
/// [`REDACTED`]; `NoTapes` and empty values stay.
fn redact_values<'a>(
    text: &'a str,
    key: &str,
    separators: &[&str],
    stops: &str,
) -> std::borrow::Cow<'a, str> {
    use std::borrow::Cow;
    let lower = text.to_ascii_lowercase();
    if !lower.contains(key) {
        return Cow::Borrowed(text);
    }
    let out = text;
    let mut s = String::with_capacity(out.len());
    let mut last = 0;
    let mut changed = false;
    for (i, _) in lower.match_indices(key) {
        if i < last || (i > 0 && out.as_bytes()[i - 1].is_ascii_alphanumeric()) {
            continue;
        }
        let mut start = i + key.len();
        start += quote_len(&out[start..]);
        let gap = |r: &str| r.len() - r.trim_start().len();
        start += gap(&out[start..]);
        let Some(sep) = separators.iter().find(|s| out[start..].starts_with(**s)) else {
            continue;
        };
        start += sep.len();
        start += gap(&out[start..]);
        start += quote_len(&out[start..]);
        let end = out[start..]
            .find(|c: char| c.is_whitespace() || c.is_control() || stops.contains(c))
            .map_or(out.len(), |n| start + n);
        let value = &out[start..end];
        if value.is_empty() || value == REDACTED || value == "NoTapes" {
            continue;
        }
        s.push_str(&out[last..start]);
        s.push_str(REDACTED);
        last = end;
        changed = true;
    }
    if !changed {
        return Cow::Borrowed(text);
    }
    s.push_str(&out[last..]);
    Cow::Owned(s)
}

/// The length of a leading `"` or `\"` (a quote in JSON inside JSON).
fn quote_len(s: &str) -> usize {
    if s.starts_with("\\\"") {
        2
    } else {
        usize::from(s.starts_with('"'))
    }
}

/// The vendor's status-code table (PROTOCOL.md): `(statusCode, what it
/// means and what to do)`. The one copy: [`explain_status_code`], the C ABI
/// and the bindings read it.
pub const STATUS_CODES: [(&str, &str); 15] = [
    ("0", "accepted"),
    ("-1", "invalid number: check src/dst"),
    ("-2", "a required parameter is missing"),
    ("-3", "invalid action"),
    ("-4", "invalid JSON"),
    ("-100", "internal error on the platform: may retry later"),
    ("-101", "illegal parameter value"),
    ("-102", "illegal phone number"),
    ("-104", "request rate too high: slow down; the platform refused it, so nothing was placed"),
    ("-200", "no such account: check the account SID"),
    ("-201", "account disabled: reactivate it in the console"),
    ("-202", "Authorization or timestamp invalid or expired: check the host clock (the timestamp is UTC+8, computed from UTC)"),
    ("-203", "Sign check failed: check the auth token"),
    ("-204", "balance too low: top up"),
    ("-205", "application check failed: app id vs environment (sandbox app on production or the reverse), IP whitelist, feature not enabled or app not online"),
];

/// What a platform status code means and what to do about it, from the
/// vendor's table in PROTOCOL.md. `None` for codes not in the table.
///
/// ```
/// assert!(ytx::explain_status_code("-202").unwrap().contains("clock"));
/// assert_eq!(ytx::explain_status_code("-999"), None);
/// ```
pub fn explain_status_code(code: &str) -> Option<&'static str> {
    STATUS_CODES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, text)| *text)
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidArgument { field, reason } => write!(f, "{field}: {reason}"),
            Error::Transport {
                delivery, message, ..
            } => match delivery {
                Delivery::NotSent => {
                    write!(f, "request not sent ({message}); safe to retry")
                }
                _ => write!(
                    f,
                    "connection failed after the request was sent ({message}); the platform may have acted on it, do not retry blindly"
                ),
            },
            Error::Timeout {
                delivery, message, ..
            } => match delivery {
                Delivery::NotSent => {
                    write!(f, "timed out before the request was sent ({message}); safe to retry")
                }
                _ => write!(
                    f,
                    "timed out waiting for the platform ({message}); the platform may have acted on the request, do not retry blindly"
                ),
            },
            Error::HttpStatus { status, body_start , ..} => {
                write!(f, "HTTP status {status} instead of 200 (the platform always answers 200: check the base URL, proxy or gateway)")?;
                if !body_start.is_empty() {
                    write!(f, "; body starts: {body_start}")?;
                }
                Ok(())
            }
            Error::Protocol { message , ..} => write!(f, "unexpected answer: {message}"),
            Error::InvalidPush { message } => write!(f, "not a push: {message}"),
            Error::Platform {
                status_code,
                status_msg,
                request_id,
            } => {
                write!(f, "platform error {status_code}")?;
                if !status_msg.is_empty() {
                    write!(f, " ({status_msg})")?;
                }
                if let Some(why) = explain_status_code(status_code) {
                    write!(f, ": {why}")?;
                }
                if !request_id.is_empty() {
                    write!(f, " [requestId {request_id}]")?;
                }
                Ok(())
            }
        }
    }
}

impl fmt::Debug for Error {
    // Debug shows the variant and the same safe text as Display.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Error({:?}: {})", self.code(), self)
    }
}

impl std::error::Error for Error {
    /// The I/O or TLS error underneath a transport failure or a timeout.
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Transport {
                source: Some(c), ..
            }
            | Error::Timeout {
                source: Some(c), ..
            } => Some(&*c.0),
            _ => None,
        }
    }
}

/// The error underneath an [`Error`] (an I/O or TLS error), shared so that
/// [`Error`] stays `Clone`. Two causes always compare equal: errors are
/// equal when what they say is.
#[derive(Clone)]
pub struct Cause(std::sync::Arc<dyn std::error::Error + Send + Sync + 'static>);

impl Cause {
    /// Wrap an error.
    pub fn new(e: impl std::error::Error + Send + Sync + 'static) -> Cause {
        Cause(std::sync::Arc::new(e))
    }

    /// A copy of an I/O error (its OS error code, or its kind and text).
    pub(crate) fn io(e: &std::io::Error) -> Cause {
        Cause::new(match e.raw_os_error() {
            Some(code) => std::io::Error::from_raw_os_error(code),
            None => std::io::Error::new(e.kind(), e.to_string()),
        })
    }
}

impl PartialEq for Cause {
    fn eq(&self, _: &Cause) -> bool {
        true
    }
}

impl Eq for Cause {}

impl fmt::Debug for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

/// Result with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// An I/O error that is a timeout (a socket's read or write timeout shows
/// as `WouldBlock` on some systems).
pub(crate) fn is_timeout(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable() {
        // These numbers are ABI (ytx_result): changing one breaks every binding.
        assert_eq!(ErrorCode::InvalidArgument.as_u32(), 3);
        assert_eq!(ErrorCode::NotSent.as_u32(), 10);
        assert_eq!(ErrorCode::OutcomeUnknown.as_u32(), 11);
        assert_eq!(ErrorCode::Timeout.as_u32(), 12);
        assert_eq!(ErrorCode::HttpStatus.as_u32(), 13);
        assert_eq!(ErrorCode::Protocol.as_u32(), 14);
        assert_eq!(ErrorCode::Platform.as_u32(), 20);
        assert!(Delivery::NotSent.is_retry_safe());
        assert!(!Delivery::Unknown.is_retry_safe() && !Delivery::Answered.is_retry_safe());
    }

    #[test]
    fn code_written_for_0_1_still_builds() {
        // The 0.1 names, as values and as patterns.
        let d = Delivery::YTX_DELIVERY_NOT_SENT;
        let retry = match d {
            Delivery::YTX_DELIVERY_NOT_SENT => true,
            Delivery::YTX_DELIVERY_UNKNOWN | Delivery::YTX_DELIVERY_ANSWERED => false,
        };
        assert!(retry && d == Delivery::NotSent);
        assert_eq!(crate::LogLevel::YTX_LOG_INFO, crate::LogLevel::Info);
    }

    #[test]
    fn transport_code_follows_delivery() {
        let not_sent = Error::Transport {
            delivery: Delivery::NotSent,
            message: "connection refused".into(),
            source: None,
            ticket: None,
        };
        let unknown = Error::Transport {
            delivery: Delivery::Unknown,
            message: "reset".into(),
            source: None,
            ticket: None,
        };
        assert_eq!(not_sent.code(), ErrorCode::NotSent);
        assert_eq!(unknown.code(), ErrorCode::OutcomeUnknown);
        assert!(not_sent.to_string().contains("safe to retry"));
        assert!(unknown.to_string().contains("do not retry"));
    }

    #[test]
    fn platform_error_explains_the_code_and_keeps_the_message() {
        let e = Error::Platform {
            status_code: "-202".into(),
            status_msg: "时间戳过期".into(),
            request_id: String::new(),
        };
        let text = e.to_string();
        assert!(text.contains("-202"), "{text}");
        assert!(text.contains("时间戳过期"), "{text}");
        assert!(text.contains("UTC+8"), "{text}");
        assert_eq!(e.delivery(), Delivery::Answered);
        assert_eq!(e.status_code(), Some("-202"));
        assert_eq!(explain_status_code("-999"), None);
    }

    #[test]
    fn secrets_are_redacted_from_any_text() {
        let sign = "698CD6F76DB3CAE8E9875C1F8F298B2C";
        let echo = format!("<html>400 Bad Request: POST /201512/sid/x/call/DailbackCall.wx?Sign={sign} HTTP/1.1</html>");
        let clean = redact_secrets(&echo, None);
        assert!(!clean.contains("698CD6F7"), "{clean}");
        assert!(clean.contains("?Sign=<redacted> HTTP/1.1"), "{clean}");
        // The value itself, in any case, wherever it is, when known.
        let lower = format!("{{\"error\":\"bad token {}\"}}", sign.to_lowercase());
        assert!(!redact_secrets(&lower, Some(sign)).contains("698cd6f7"));
        // A query key in any case, and quoted inside JSON inside JSON.
        for t in [
            format!("url=/x?a=1&SIGN={sign}&b=2"),
            format!("{{\"q\":\"sign={sign}\"}}"),
        ] {
            let c = redact_secrets(&t, None);
            assert!(!c.contains("698CD6F7"), "{c}");
        }
        assert_eq!(
            redact_secrets("a=1&sign=x#f", None),
            "a=1&sign=<redacted>#f"
        );
        // Words that only end in "sign" stay.
        assert_eq!(redact_secrets("design=blue", None), "design=blue");
        // The recording's URL.
        let cdr = r#"{"cdr":[{"requestid":"1","tapesurl":"http://101.200.159.167:16214/a/b.mp3?x=1&y=2","duration":10}]}"#;
        let c = redact_secrets(cdr, None);
        assert!(!c.contains("101.200"), "{c}");
        assert!(
            c.contains(r#""tapesurl":"<redacted>","duration":10"#),
            "{c}"
        );
        assert_eq!(
            redact_secrets(r#""tapesurl":"NoTapes""#, None),
            r#""tapesurl":"NoTapes""#
        );
        let escaped = r#"body: {\"tapesurl\":\"http://h/t.mp3\"}"#;
        assert!(!redact_secrets(escaped, None).contains("h/t.mp3"));
        // Nothing to do: borrowed.
        assert!(matches!(
            redact_secrets("plain text", Some(sign)),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn retry_advice_is_true() {
        let transport = |delivery| Error::Transport {
            delivery,
            message: "x".into(),
            source: None,
            ticket: None,
        };
        let timeout = |delivery| Error::Timeout {
            delivery,
            message: "x".into(),
            source: None,
            ticket: None,
        };
        let platform = |code: &str| Error::Platform {
            status_code: code.into(),
            status_msg: String::new(),
            request_id: String::new(),
        };
        // Yes: before the request was written, and -104 (after a pause).
        assert_eq!(
            transport(Delivery::NotSent).retry_after(),
            Some(Duration::ZERO)
        );
        assert_eq!(
            timeout(Delivery::NotSent).retry_after(),
            Some(Duration::ZERO)
        );
        assert_eq!(
            platform("-104").retry_after(),
            Some(RATE_LIMITED_RETRY_AFTER)
        );
        assert!(platform("-104").is_retry_safe());
        // No: a retry fails the same way, or may ring twice, or is final.
        for e in [
            Error::invalid("credit", "bad"),
            Error::InvalidPush {
                message: "not JSON".into(),
            },
            transport(Delivery::Unknown),
            timeout(Delivery::Unknown),
            Error::HttpStatus {
                status: 502,
                body_start: String::new(),
                ticket: None,
            },
            Error::Protocol {
                message: "x".into(),
                ticket: None,
            },
            platform("-100"),
            platform("-203"),
            platform("0104"),
        ] {
            assert!(!e.is_retry_safe(), "{e}");
            assert_eq!(e.retry_after(), None, "{e}");
        }
    }

    #[test]
    fn invalid_argument_names_the_field() {
        let e = Error::invalid("credit", "must be greater than 60");
        assert_eq!(e.field(), Some("credit"));
        assert_eq!(e.to_string(), "credit: must be greater than 60");
        assert_eq!(e.delivery(), Delivery::NotSent);
    }
}
