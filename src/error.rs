//! One error type for the whole library, with stable numeric codes for the C ABI.
//!
//! Every message is written for a person who has to act on it, and none of
//! them ever contains the auth token: errors are built from field names,
//! reasons and what the platform answered, never from the credentials.

use std::fmt;

/// Result codes of the C ABI (`ytx_result` in `ytx.h`).
///
/// The numbers are part of the ABI: they never change, and a retired number is
/// never reused. Ranges: 0 success; 1–9 bad input from the caller; 10–19 the
/// network or the HTTP exchange; 20–29 the platform's own answer; 90–99 bugs.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(non_camel_case_types)]
pub enum ytx_result {
    /// Success: the platform accepted the request (statusCode "0").
    YTX_OK = 0,
    /// A required pointer argument was NULL. The field is named.
    YTX_ERR_NULL_ARGUMENT = 1,
    /// A string argument was not valid UTF-8. The field is named.
    YTX_ERR_INVALID_UTF8 = 2,
    /// An argument has a bad value (empty, malformed number, credit <= 60, ...).
    /// The field is named. Nothing was sent.
    YTX_ERR_INVALID_ARGUMENT = 3,
    /// The client handle is NULL, already freed, or not one this library made.
    YTX_ERR_INVALID_HANDLE = 4,
    /// The request could not be delivered and was never written to the
    /// network (DNS failure, connection refused, TLS handshake failed).
    /// Nothing reached the platform: retrying is safe.
    YTX_ERR_NOT_SENT = 10,
    /// The connection failed after the request was (at least partly) written.
    /// The platform may have acted on it: retrying may ring a customer twice.
    YTX_ERR_OUTCOME_UNKNOWN = 11,
    /// A timeout fired. Check the delivery state: a connect timeout means
    /// nothing was sent, a timeout while waiting for the answer means the
    /// outcome is unknown.
    YTX_ERR_TIMEOUT = 12,
    /// The server answered with an HTTP status other than 200 (the platform
    /// always answers 200, so this is a gateway, proxy or wrong base URL).
    YTX_ERR_HTTP_STATUS = 13,
    /// The answer was not the platform's JSON (not JSON, no statusCode,
    /// wrong types, too large, not UTF-8).
    YTX_ERR_PROTOCOL = 14,
    /// The platform answered with a statusCode other than "0". Its code,
    /// message and requestId are available.
    YTX_ERR_PLATFORM = 20,
    /// A bug inside the library was caught at the C boundary (a Rust panic).
    /// The library is still usable; please report it.
    YTX_ERR_PANIC = 90,
}

/// Whether a request reached the platform, as far as the client can know.
///
/// This is the answer to "may I send it again?": only `YTX_DELIVERY_NOT_SENT`
/// makes a blind retry safe.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(non_camel_case_types)]
pub enum ytx_delivery {
    /// Nothing was written to the network. A retry is safe.
    YTX_DELIVERY_NOT_SENT = 0,
    /// The request was written but no complete, valid answer came back. The
    /// platform may have placed the call: do not retry blindly.
    YTX_DELIVERY_UNKNOWN = 1,
    /// The platform answered; its answer (accepted or rejected) is final.
    YTX_DELIVERY_ANSWERED = 2,
}

/// Rust name of [`ytx_delivery`].
pub type Delivery = ytx_delivery;

/// The one error type of the library.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A required C pointer argument was NULL (only from the C ABI).
    NullArgument {
        /// The parameter's name.
        field: String,
    },
    /// A C string argument was not valid UTF-8 (only from the C ABI).
    InvalidUtf8 {
        /// The parameter's name.
        field: String,
    },
    /// An argument has a bad value. Nothing was sent.
    InvalidArgument {
        /// The field, as named in the API (wire names for request fields).
        field: String,
        /// What is wrong with it, in English.
        reason: String,
    },
    /// A client handle that is NULL, freed or foreign (only from the C ABI).
    InvalidHandle,
    /// A network failure. `delivery` says whether the request was written.
    Transport {
        /// [`Delivery::YTX_DELIVERY_NOT_SENT`] or [`Delivery::YTX_DELIVERY_UNKNOWN`].
        delivery: Delivery,
        /// What failed.
        message: String,
    },
    /// A timeout. `delivery` says whether the request was written.
    Timeout {
        /// [`Delivery::YTX_DELIVERY_NOT_SENT`] or [`Delivery::YTX_DELIVERY_UNKNOWN`].
        delivery: Delivery,
        /// Which timeout fired.
        message: String,
    },
    /// An HTTP status other than 200.
    HttpStatus {
        /// The HTTP status code.
        status: u16,
        /// The start of the body, with control characters removed.
        body_start: String,
    },
    /// The answer is not the platform's JSON.
    Protocol {
        /// What is wrong with the answer.
        message: String,
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
    /// A panic caught at the C boundary (only from the C ABI).
    Panic,
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

    /// The stable result code of this error.
    ///
    /// ```
    /// let e = ytx::Error::invalid("credit", "must be greater than 60");
    /// assert_eq!(e.code(), ytx::ytx_result::YTX_ERR_INVALID_ARGUMENT);
    /// assert_eq!(e.code() as u32, 3);
    /// ```
    pub fn code(&self) -> ytx_result {
        use ytx_result::*;
        match self {
            Error::NullArgument { .. } => YTX_ERR_NULL_ARGUMENT,
            Error::InvalidUtf8 { .. } => YTX_ERR_INVALID_UTF8,
            Error::InvalidArgument { .. } => YTX_ERR_INVALID_ARGUMENT,
            Error::InvalidHandle => YTX_ERR_INVALID_HANDLE,
            Error::Transport {
                delivery: Delivery::YTX_DELIVERY_NOT_SENT,
                ..
            } => YTX_ERR_NOT_SENT,
            Error::Transport { .. } => YTX_ERR_OUTCOME_UNKNOWN,
            Error::Timeout { .. } => YTX_ERR_TIMEOUT,
            Error::HttpStatus { .. } => YTX_ERR_HTTP_STATUS,
            Error::Protocol { .. } | Error::InvalidPush { .. } => YTX_ERR_PROTOCOL,
            Error::Platform { .. } => YTX_ERR_PLATFORM,
            Error::Panic => YTX_ERR_PANIC,
        }
    }

    /// Whether the request reached the platform. Only
    /// [`Delivery::YTX_DELIVERY_NOT_SENT`] makes a retry safe.
    ///
    /// ```
    /// use ytx::{Delivery, Error};
    /// let refused = Error::Transport { delivery: Delivery::YTX_DELIVERY_NOT_SENT, message: "refused".into() };
    /// assert_eq!(refused.delivery(), Delivery::YTX_DELIVERY_NOT_SENT); // safe to retry
    /// let reset = Error::Transport { delivery: Delivery::YTX_DELIVERY_UNKNOWN, message: "reset".into() };
    /// assert_eq!(reset.code(), ytx::ytx_result::YTX_ERR_OUTCOME_UNKNOWN); // may have rung
    /// ```
    pub fn delivery(&self) -> Delivery {
        match self {
            Error::NullArgument { .. }
            | Error::InvalidUtf8 { .. }
            | Error::InvalidArgument { .. }
            | Error::InvalidHandle
            // Parsing a push sends nothing.
            | Error::InvalidPush { .. } => Delivery::YTX_DELIVERY_NOT_SENT,
            Error::Transport { delivery, .. } | Error::Timeout { delivery, .. } => *delivery,
            // A gateway error page or a garbled answer: the platform may
            // have acted on the request before that happened.
            Error::HttpStatus { .. } | Error::Protocol { .. } | Error::Panic => {
                Delivery::YTX_DELIVERY_UNKNOWN
            }
            Error::Platform { .. } => Delivery::YTX_DELIVERY_ANSWERED,
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
            Error::NullArgument { field }
            | Error::InvalidUtf8 { field }
            | Error::InvalidArgument { field, .. } => Some(field),
            _ => None,
        }
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
            Error::NullArgument { field } => write!(f, "{field}: must not be NULL"),
            Error::InvalidUtf8 { field } => write!(f, "{field}: is not valid UTF-8"),
            Error::InvalidArgument { field, reason } => write!(f, "{field}: {reason}"),
            Error::InvalidHandle => {
                f.write_str("invalid client handle (NULL, already freed, or not made by ytx_client_new)")
            }
            Error::Transport { delivery, message } => match delivery {
                Delivery::YTX_DELIVERY_NOT_SENT => {
                    write!(f, "request not sent ({message}); safe to retry")
                }
                _ => write!(
                    f,
                    "connection failed after the request was sent ({message}); the platform may have acted on it, do not retry blindly"
                ),
            },
            Error::Timeout { delivery, message } => match delivery {
                Delivery::YTX_DELIVERY_NOT_SENT => {
                    write!(f, "timed out before the request was sent ({message}); safe to retry")
                }
                _ => write!(
                    f,
                    "timed out waiting for the platform ({message}); the platform may have acted on the request, do not retry blindly"
                ),
            },
            Error::HttpStatus { status, body_start } => {
                write!(f, "HTTP status {status} instead of 200 (the platform always answers 200: check the base URL, proxy or gateway)")?;
                if !body_start.is_empty() {
                    write!(f, "; body starts: {body_start}")?;
                }
                Ok(())
            }
            Error::Protocol { message } => write!(f, "unexpected answer: {message}"),
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
            Error::Panic => f.write_str("internal error in the ytx library (a bug; please report it)"),
        }
    }
}

impl fmt::Debug for Error {
    // Debug shows the variant and the same safe text as Display.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Error({:?}: {})", self.code(), self)
    }
}

impl std::error::Error for Error {}

/// Result with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable() {
        // These numbers are ABI: changing one breaks every binding.
        assert_eq!(ytx_result::YTX_OK as u32, 0);
        assert_eq!(ytx_result::YTX_ERR_NULL_ARGUMENT as u32, 1);
        assert_eq!(ytx_result::YTX_ERR_INVALID_UTF8 as u32, 2);
        assert_eq!(ytx_result::YTX_ERR_INVALID_ARGUMENT as u32, 3);
        assert_eq!(ytx_result::YTX_ERR_INVALID_HANDLE as u32, 4);
        assert_eq!(ytx_result::YTX_ERR_NOT_SENT as u32, 10);
        assert_eq!(ytx_result::YTX_ERR_OUTCOME_UNKNOWN as u32, 11);
        assert_eq!(ytx_result::YTX_ERR_TIMEOUT as u32, 12);
        assert_eq!(ytx_result::YTX_ERR_HTTP_STATUS as u32, 13);
        assert_eq!(ytx_result::YTX_ERR_PROTOCOL as u32, 14);
        assert_eq!(ytx_result::YTX_ERR_PLATFORM as u32, 20);
        assert_eq!(ytx_result::YTX_ERR_PANIC as u32, 90);
        assert_eq!(Delivery::YTX_DELIVERY_NOT_SENT as u32, 0);
        assert_eq!(Delivery::YTX_DELIVERY_UNKNOWN as u32, 1);
        assert_eq!(Delivery::YTX_DELIVERY_ANSWERED as u32, 2);
    }

    #[test]
    fn transport_code_follows_delivery() {
        let not_sent = Error::Transport {
            delivery: Delivery::YTX_DELIVERY_NOT_SENT,
            message: "connection refused".into(),
        };
        let unknown = Error::Transport {
            delivery: Delivery::YTX_DELIVERY_UNKNOWN,
            message: "reset".into(),
        };
        assert_eq!(not_sent.code(), ytx_result::YTX_ERR_NOT_SENT);
        assert_eq!(unknown.code(), ytx_result::YTX_ERR_OUTCOME_UNKNOWN);
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
        assert_eq!(e.delivery(), Delivery::YTX_DELIVERY_ANSWERED);
        assert_eq!(e.status_code(), Some("-202"));
        assert_eq!(explain_status_code("-999"), None);
    }

    #[test]
    fn invalid_argument_names_the_field() {
        let e = Error::invalid("credit", "must be greater than 60");
        assert_eq!(e.field(), Some("credit"));
        assert_eq!(e.to_string(), "credit: must be greater than 60");
        assert_eq!(e.delivery(), Delivery::YTX_DELIVERY_NOT_SENT);
    }
}
