//! Optional, process-wide logging of each request and each error.
//!
//! Off by default. When off, a log point costs one relaxed atomic load and
//! builds no message. What is logged never contains the auth token (it is
//! never in a request) nor the Sign (URLs are logged with `Sign=<redacted>`).
//! Request bodies (phone numbers) are logged only at [`LogLevel::YTX_LOG_DEBUG`].
//!
//! The sink is called synchronously on the thread that made the call, from
//! any number of threads at once, so it must be thread-safe. Replacing or
//! removing the sink waits for calls already inside the old sink to return,
//! so a sink's resources may be released as soon as [`set_logger`] returns.
//! A sink must not call back into this library: nested log events are
//! dropped and [`set_logger`] called from inside a sink is refused.
//!
//! ```
//! use std::sync::Arc;
//! ytx::log::set_logger(ytx::log::LogLevel::YTX_LOG_INFO, Some(Arc::new(|level, msg: &str| {
//!     eprintln!("ytx {level:?}: {msg}");
//! }))).unwrap();
//! # ytx::log::set_logger(ytx::log::LogLevel::YTX_LOG_OFF, None).unwrap();
//! ```

use std::cell::Cell;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, RwLock};

use crate::error::{Error, Result};

/// Log levels (`ytx_log_level` in `ytx.h`). A sink set with a minimum level
/// receives the events of that level and the more severe ones.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[allow(non_camel_case_types)]
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

/// Rust name of [`ytx_log_level`].
pub type LogLevel = ytx_log_level;

impl LogLevel {
    /// The level with this number (0–4), or `None`.
    pub fn from_i32(n: i32) -> Option<LogLevel> {
        use ytx_log_level::*;
        [
            YTX_LOG_OFF,
            YTX_LOG_ERROR,
            YTX_LOG_WARN,
            YTX_LOG_INFO,
            YTX_LOG_DEBUG,
        ]
        .into_iter()
        .find(|l| *l as i32 == n)
    }
}

/// A log sink: receives the level and the message.
pub type Sink = Arc<dyn Fn(LogLevel, &str) + Send + Sync>;

static LEVEL: AtomicU8 = AtomicU8::new(0);
static SINK: RwLock<Option<Sink>> = RwLock::new(None);

thread_local! {
    static IN_SINK: Cell<bool> = const { Cell::new(false) };
}

/// Install (`Some`) or remove (`None`) the process-wide sink, with the most
/// verbose level it receives. `YTX_LOG_OFF` or `None` turns logging off.
///
/// Fails with an invalid-argument error when called from inside a sink.
pub fn set_logger(min_level: LogLevel, sink: Option<Sink>) -> Result<()> {
    if IN_SINK.with(Cell::get) {
        return Err(Error::invalid(
            "callback",
            "the logger cannot be changed from inside the log callback",
        ));
    }
    // Taking the write lock waits for sinks running on other threads.
    let mut slot = SINK.write().unwrap_or_else(|p| p.into_inner());
    let level = if sink.is_some() {
        min_level
    } else {
        LogLevel::YTX_LOG_OFF
    };
    *slot = sink.filter(|_| level != LogLevel::YTX_LOG_OFF);
    LEVEL.store(level as u8, Ordering::Release);
    Ok(())
}

/// Whether events of `level` are delivered now.
///
/// ```
/// // Off by default.
/// assert!(!ytx::log::enabled(ytx::LogLevel::YTX_LOG_ERROR));
/// ```
#[inline]
pub fn enabled(level: LogLevel) -> bool {
    (level as u8) <= LEVEL.load(Ordering::Relaxed)
}

/// Deliver an event; `message` is only built when the level is enabled.
#[inline]
pub(crate) fn log(level: LogLevel, message: impl FnOnce() -> String) {
    if enabled(level) {
        deliver(level, &message());
    }
}

#[cold]
fn deliver(level: LogLevel, message: &str) {
    if IN_SINK.with(Cell::get) {
        return; // a sink that calls into the library: drop nested events
    }
    let slot = SINK.read().unwrap_or_else(|p| p.into_inner());
    if let Some(sink) = slot.as_ref() {
        // Re-check under the lock: the level may have changed meanwhile.
        if enabled(level) {
            struct Reset;
            impl Drop for Reset {
                fn drop(&mut self) {
                    IN_SINK.with(|f| f.set(false));
                }
            }
            IN_SINK.with(|f| f.set(true));
            let _reset = Reset;
            sink(level, message);
        }
    }
}
