//! Optional, process-wide logging of each request and each error.
//!
//! Off by default. When off, a log point costs one relaxed atomic load and
//! builds no message. What is logged never contains the auth token (it is
//! never in a request) nor the Sign (URLs are logged with `Sign=<redacted>`).
//! Request bodies (phone numbers) are logged only at [`LogLevel::Debug`].
//!
//! Rust programs get the events through the [`log`](https://docs.rs/log)
//! facade (target `ytx`, the same levels and the same redaction): install
//! any `log` logger. The process-wide sink below is what the C ABI's
//! `ytx_set_logger` and the bindings use.
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
//! ytx::log::set_logger(ytx::log::LogLevel::Info, Some(Arc::new(|level, msg: &str| {
//!     eprintln!("ytx {level:?}: {msg}");
//! }))).unwrap();
//! # ytx::log::set_logger(ytx::log::LogLevel::Off, None).unwrap();
//! ```

use std::cell::Cell;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, RwLock};

use macro_rules_attribute::macro_rules_derive;

use crate::abi::{numbered_by_with_0_1_names, ytx_log_level};
use crate::error::{Error, Result};

/// Log levels. A sink set with a minimum level receives the events of that
/// level and the more severe ones. Numbered by the C ABI's `ytx_log_level`
/// (`src/abi.rs`), 0–4 in this order.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[macro_rules_derive(numbered_by_with_0_1_names)]
pub enum LogLevel {
    /// Nothing is logged.
    Off = ytx_log_level::YTX_LOG_OFF as u32,
    /// Transport failures, timeouts, bad answers.
    Error = ytx_log_level::YTX_LOG_ERROR as u32,
    /// Platform rejections (statusCode ≠ "0") and invalid arguments.
    Warn = ytx_log_level::YTX_LOG_WARN as u32,
    /// One line per accepted request: URL (Sign redacted), statusCode,
    /// requestId, duration.
    Info = ytx_log_level::YTX_LOG_INFO as u32,
    /// Also each request's body before it is sent.
    Debug = ytx_log_level::YTX_LOG_DEBUG as u32,
}

impl LogLevel {
    /// The `log` crate's level for this one (`None` for `Off`).
    fn facade(self) -> Option<::log::Level> {
        Some(match self {
            LogLevel::Off => return None,
            LogLevel::Error => ::log::Level::Error,
            LogLevel::Warn => ::log::Level::Warn,
            LogLevel::Info => ::log::Level::Info,
            LogLevel::Debug => ::log::Level::Debug,
        })
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
/// verbose level it receives. [`LogLevel::Off`] or `None` turns logging off.
///
/// Fails with an invalid-argument error when called from inside a sink.
/// A sink that panics loses that line only: the call being logged goes on.
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
        LogLevel::Off
    };
    *slot = sink.filter(|_| level != LogLevel::Off);
    LEVEL.store(level as u8, Ordering::Release);
    Ok(())
}

/// Whether events of `level` are delivered now.
///
/// ```
/// // Off by default.
/// assert!(!ytx::log::enabled(ytx::LogLevel::Error));
/// ```
#[inline]
pub fn enabled(level: LogLevel) -> bool {
    (level as u8) <= LEVEL.load(Ordering::Relaxed)
}

/// Deliver an event to the sink and to the `log` facade (target `ytx`);
/// `message` is only built when one of them wants the level.
#[inline]
pub(crate) fn log(level: LogLevel, message: impl FnOnce() -> String) {
    let sink = enabled(level);
    let facade = level
        .facade()
        .filter(|l| *l <= ::log::max_level() && ::log::log_enabled!(target: "ytx", *l));
    if sink || facade.is_some() {
        let text = message();
        // The Sign never leaves in a log line, whatever text it came in with.
        let clean = match crate::error::redact_secrets(&text, None) {
            std::borrow::Cow::Owned(o) => Some(o),
            std::borrow::Cow::Borrowed(_) => None,
        };
        let text = clean.unwrap_or(text);
        if let Some(l) = facade {
            ::log::log!(target: "ytx", l, "{text}");
        }
        if sink {
            deliver(level, &text);
        }
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
            // A sink that panics (e.g. eprintln! on a closed stderr) loses
            // its line, never the call being logged: the INFO line comes
            // after the platform accepted, and its requestId must reach the
            // caller.
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                sink(level, message);
            }));
        }
    }
}
