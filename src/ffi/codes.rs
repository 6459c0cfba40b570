//! The C ABI's enums (fixed width: `#[repr(u32)]`) and the errors only the
//! C boundary can produce, with their conversions from the Rust API's types.

use std::fmt;

use crate::error::{Delivery, Error, ErrorCode};
use crate::log::LogLevel;

/// Result codes of the C ABI.
///
/// The numbers are part of the ABI: they never change, and a retired number is
/// never reused. Ranges: 0 success; 1–9 bad input from the caller; 10–19 the
/// network or the HTTP exchange; 20–29 the platform's own answer; 90–99 bugs.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
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
    /// wrong types, too large, not UTF-8), or a push body is not a push.
    YTX_ERR_PROTOCOL = 14,
    /// The platform answered with a statusCode other than "0". Its code,
    /// message and requestId are available.
    YTX_ERR_PLATFORM = 20,
    /// A bug inside the library was caught at the C boundary (a Rust panic).
    /// The library is still usable; please report it.
    YTX_ERR_PANIC = 90,
}

impl From<ErrorCode> for ytx_result {
    fn from(c: ErrorCode) -> ytx_result {
        match c {
            ErrorCode::InvalidArgument => ytx_result::YTX_ERR_INVALID_ARGUMENT,
            ErrorCode::NotSent => ytx_result::YTX_ERR_NOT_SENT,
            ErrorCode::OutcomeUnknown => ytx_result::YTX_ERR_OUTCOME_UNKNOWN,
            ErrorCode::Timeout => ytx_result::YTX_ERR_TIMEOUT,
            ErrorCode::HttpStatus => ytx_result::YTX_ERR_HTTP_STATUS,
            ErrorCode::Protocol => ytx_result::YTX_ERR_PROTOCOL,
            ErrorCode::Platform => ytx_result::YTX_ERR_PLATFORM,
        }
    }
}

/// Whether a request reached the platform, as far as the client can know.
///
/// Half of the answer to "may I send it again?": only `YTX_DELIVERY_NOT_SENT`
/// rules out a second call. The whole answer is `ytx_outcome_retry_safe`
/// (not for argument errors, which fail the same way; yes for the
/// platform's `-104`, answered but nothing placed).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ytx_delivery {
    /// Nothing was written to the network: sending again cannot make a
    /// second call (whether it can succeed: the retry advice).
    YTX_DELIVERY_NOT_SENT = 0,
    /// The request was written but no complete, valid answer came back. The
    /// platform may have placed the call: do not retry blindly.
    YTX_DELIVERY_UNKNOWN = 1,
    /// The platform answered; its answer (accepted or rejected) is final.
    YTX_DELIVERY_ANSWERED = 2,
}

impl From<Delivery> for ytx_delivery {
    fn from(d: Delivery) -> ytx_delivery {
        match d {
            Delivery::NotSent => ytx_delivery::YTX_DELIVERY_NOT_SENT,
            Delivery::Unknown => ytx_delivery::YTX_DELIVERY_UNKNOWN,
            Delivery::Answered => ytx_delivery::YTX_DELIVERY_ANSWERED,
        }
    }
}

/// Log levels. A callback set with a minimum level receives the events of
/// that level and the more severe ones.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ytx_log_level {
    /// Nothing is logged.
    YTX_LOG_OFF = 0,
    /// Transport failures, timeouts, bad answers.
    YTX_LOG_ERROR = 1,
    /// Platform rejections (statusCode ≠ "0") and invalid arguments.
    YTX_LOG_WARN = 2,
    /// One line per accepted request: URL (Sign redacted), statusCode,
    /// requestId, duration.
    YTX_LOG_INFO = 3,
    /// Also each request's body before it is sent.
    YTX_LOG_DEBUG = 4,
}

impl From<LogLevel> for ytx_log_level {
    fn from(l: LogLevel) -> ytx_log_level {
        match l {
            LogLevel::Off => ytx_log_level::YTX_LOG_OFF,
            LogLevel::Error => ytx_log_level::YTX_LOG_ERROR,
            LogLevel::Warn => ytx_log_level::YTX_LOG_WARN,
            LogLevel::Info => ytx_log_level::YTX_LOG_INFO,
            LogLevel::Debug => ytx_log_level::YTX_LOG_DEBUG,
        }
    }
}

/// The Rust level of a C level number (0–4), or `None`.
pub(super) fn log_level_from_i32(n: i32) -> Option<LogLevel> {
    [
        LogLevel::Off,
        LogLevel::Error,
        LogLevel::Warn,
        LogLevel::Info,
        LogLevel::Debug,
    ]
    .into_iter()
    .find(|l| *l as i32 == n)
}

/// An error at the C boundary: one of the core's, or one that only C can
/// make (a NULL pointer, bytes that are not UTF-8, a bad handle, a panic).
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum FfiError {
    Core(Error),
    NullArgument { field: String },
    InvalidUtf8 { field: String },
    InvalidHandle,
    Panic,
}

impl From<Error> for FfiError {
    fn from(e: Error) -> FfiError {
        FfiError::Core(e)
    }
}

impl FfiError {
    pub(crate) fn null(field: impl Into<String>) -> FfiError {
        FfiError::NullArgument {
            field: field.into(),
        }
    }

    pub(crate) fn code(&self) -> ytx_result {
        match self {
            FfiError::Core(e) => e.code().into(),
            FfiError::NullArgument { .. } => ytx_result::YTX_ERR_NULL_ARGUMENT,
            FfiError::InvalidUtf8 { .. } => ytx_result::YTX_ERR_INVALID_UTF8,
            FfiError::InvalidHandle => ytx_result::YTX_ERR_INVALID_HANDLE,
            FfiError::Panic => ytx_result::YTX_ERR_PANIC,
        }
    }

    pub(crate) fn delivery(&self) -> ytx_delivery {
        match self {
            FfiError::Core(e) => e.delivery().into(),
            // Refused at the boundary: nothing was sent.
            FfiError::NullArgument { .. }
            | FfiError::InvalidUtf8 { .. }
            | FfiError::InvalidHandle => ytx_delivery::YTX_DELIVERY_NOT_SENT,
            // A bug may have struck after sending.
            FfiError::Panic => ytx_delivery::YTX_DELIVERY_UNKNOWN,
        }
    }

    /// When the same request may be sent again: the core's rule
    /// ([`Error::retry_after`]); never for an error only C can make (a NULL
    /// or non-UTF-8 argument, a bad handle: a retry fails the same way; a
    /// panic: the request may have gone).
    pub(crate) fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            FfiError::Core(e) => e.retry_after(),
            _ => None,
        }
    }

    pub(crate) fn field(&self) -> Option<&str> {
        match self {
            FfiError::Core(e) => e.field(),
            FfiError::NullArgument { field } | FfiError::InvalidUtf8 { field } => Some(field),
            FfiError::InvalidHandle | FfiError::Panic => None,
        }
    }

    pub(crate) fn core(&self) -> Option<&Error> {
        match self {
            FfiError::Core(e) => Some(e),
            _ => None,
        }
    }
}

impl fmt::Display for FfiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FfiError::Core(e) => e.fmt(f),
            FfiError::NullArgument { field } => write!(f, "{field}: must not be NULL"),
            FfiError::InvalidUtf8 { field } => write!(f, "{field}: is not valid UTF-8"),
            FfiError::InvalidHandle => f.write_str(
                "invalid client handle (NULL, already freed, or not made by ytx_client_new)",
            ),
            FfiError::Panic => {
                f.write_str("internal error in the ytx library (a bug; please report it)")
            }
        }
    }
}

impl fmt::Debug for FfiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FfiError({:?}: {})", self.code(), self)
    }
}

/// Result at the C boundary.
pub(crate) type FfiResult<T> = std::result::Result<T, FfiError>;
