//! The process-wide log callback (`ytx_log_callback`, `ytx_set_logger`):
//! the core's log sink (`crate::log`) as C sees it.

use std::ffi::{c_char, c_void, CString};

use super::codes::{self, ytx_log_level, ytx_result, FfiError};
use super::outcome::Outcome;
use super::panic::ffi_boundary;

/// A log callback: `user_data` as given to `ytx_set_logger`, the event's
/// level, and a NUL-terminated UTF-8 message valid only during the call.
pub type ytx_log_callback = Option<
    unsafe extern "C" fn(user_data: *mut c_void, level: ytx_log_level, message: *const c_char),
>;

/// Install or remove the process-wide log callback. Off by default.
///
/// Parameters:
/// - `callback`: NULL removes the logger (logging off).
/// - `user_data`: passed back to every call of `callback`; may be NULL.
/// - `min_level`: the most verbose level delivered: `YTX_LOG_ERROR` (1:
///   transport failures, timeouts, bad answers), `YTX_LOG_WARN` (2: also
///   platform rejections and invalid arguments), `YTX_LOG_INFO` (3: also one
///   line per accepted request: URL with the Sign redacted, statusCode,
///   requestId, duration), `YTX_LOG_DEBUG` (4: also each request body, which
///   holds phone numbers). `YTX_LOG_OFF` (0) turns logging off.
///
/// Threading: the callback runs synchronously on the thread of the call being
/// logged, possibly on several threads at once; it must be thread-safe and
/// must not call into this library (nested events are dropped, and
/// `ytx_set_logger` from inside the callback returns
/// `YTX_ERR_INVALID_ARGUMENT`). When `ytx_set_logger` returns, no thread is
/// still inside the previous callback, so its `user_data` may be released.
/// Messages never contain the auth token or the Sign. When logging is off a
/// log point costs one atomic load.
///
/// Returns `YTX_OK`, or `YTX_ERR_INVALID_ARGUMENT` for a `min_level` outside
/// 0–4 (field `min_level`) or a call from inside the callback.
///
/// # Safety
/// `callback`, if not NULL, must be callable from any thread with `user_data`
/// until `ytx_set_logger` is called again.
#[no_mangle]
pub unsafe extern "C" fn ytx_set_logger(
    callback: ytx_log_callback,
    user_data: *mut c_void,
    min_level: i32,
) -> ytx_result {
    ffi_boundary! {
        outcome_out = std::ptr::null_mut();
        let Some(level) = codes::log_level_from_i32(min_level) else {
            return Outcome::error(FfiError::from(crate::error::Error::invalid(
                "min_level",
                format!("must be 0 to 4, got {min_level}"),
            )));
        };
        struct UserData(*mut c_void);
        // SAFETY: the caller guarantees user_data may be used from any thread.
        unsafe impl Send for UserData {}
        unsafe impl Sync for UserData {}
        impl UserData {
            // A method, so closures capture the whole Send + Sync wrapper and
            // not just its raw-pointer field.
            fn get(&self) -> *mut c_void {
                self.0
            }
        }
        let sink = callback.map(|f| {
            let data = UserData(user_data);
            std::sync::Arc::new(move |level: crate::log::LogLevel, message: &str| {
                let text = CString::new(message.replace('\0', "\u{FFFD}")).unwrap_or_default();
                // SAFETY: the caller guarantees `f` is callable with `data`.
                unsafe { f(data.get(), level.into(), text.as_ptr()) };
            }) as crate::log::Sink
        });
        Outcome::local(crate::log::set_logger(level, sink).map_err(FfiError::from))
    }
}
