//! The errors only the C boundary can produce, and the C ABI's enums
//! (defined once, with their names and reverse lookup, in `src/abi.rs`).

use std::fmt;

pub use crate::abi::{ytx_delivery, ytx_log_level, ytx_result};
use crate::error::Error;
use crate::log::LogLevel;

/// The Rust level of a C level number (0–4), or `None`.
pub(super) fn log_level_from_i32(n: i32) -> Option<LogLevel> {
    let c = ytx_log_level::from_u32(u32::try_from(n).ok()?)?;
    LogLevel::from_c(c)
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
