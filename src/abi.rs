//! The C ABI's numbered tables, each written once: the result codes
//! ([`ytx_result`]), the delivery states ([`ytx_delivery`]), the log
//! levels ([`ytx_log_level`]) and the tracker's event kinds
//! ([`ytx_event_kind`]).
//!
//! Each is one `#[repr(u32)]` enum whose variants are `NAME = number`, as
//! cbindgen writes it into `include/ytx.h` (it reads the enum from here: it
//! does not expand macros, so the enum itself is never written by one). What
//! else the library needs of a table is derived from that one list by
//! [`c_enum!`] (`#[macro_rules_derive]`, as rustls-ffi derives its
//! `rustls_result` lookup): the names, the reverse lookup by number and the
//! list of every value. The Rust API's own enums ([`ErrorCode`],
//! [`Delivery`], [`LogLevel`], [`EventKind`]) take their numbers from these
//! (`NotSent = ytx_delivery::YTX_DELIVERY_NOT_SENT as u32`), and
//! [`numbered_by!`] derives their conversions from that.
//!
//! Adding a code, a delivery state or a level is one line here (plus, for
//! one the Rust API produces, its variant in the Rust enum, whose `match`es
//! the compiler then asks for); the header follows when the library is
//! built, and the bindings' drift tests (`bindings/python/tests/
//! test_one_home.py`, `bindings/csharp/tests/OneHomeTests.cs`) fail until
//! Python and C# follow too.
//!
//! This module is in the core (no `capi` feature needed) because the Rust
//! enums are numbered by it; `ffi` re-exports the C enums.
//!
//! [`ErrorCode`]: crate::ErrorCode
//! [`Delivery`]: crate::Delivery
//! [`LogLevel`]: crate::LogLevel
//! [`EventKind`]: crate::EventKind
#![allow(non_camel_case_types)]

use std::ffi::CStr;

use macro_rules_attribute::macro_rules_derive;

/// Derived for a C enum (`#[repr(u32)]`, every variant `NAME = number`):
/// `ALL` (every value, in the order written), `from_u32` (the value of a
/// number, if any), `name` (`"YTX_OK"`) and `c_name` (the same as a static
/// C string).
macro_rules! c_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $number:literal ),* $(,)?
        }
    ) => {
        #[allow(dead_code)]
        impl $name {
            /// Every value, in the order written.
            pub(crate) const ALL: [$name; [$($number),*].len()] = [$($name::$variant),*];

            /// The value numbered `n`, if any.
            pub(crate) const fn from_u32(n: u32) -> Option<$name> {
                match n {
                    $( $number => Some($name::$variant), )*
                    _ => None,
                }
            }

            /// The name, as written in C (e.g. `"YTX_OK"`).
            pub(crate) const fn name(self) -> &'static str {
                match self {
                    $( $name::$variant => stringify!($variant), )*
                }
            }

            /// The name as a static, NUL-terminated C string.
            pub(crate) const fn c_name(self) -> &'static ::std::ffi::CStr {
                match self {
                    $( $name::$variant => const { $crate::abi::c_str(concat!(stringify!($variant), "\0")) }, )*
                }
            }
        }
    };
}

/// Derived for a Rust API enum numbered by a C enum (every variant
/// `Name = c_enum::NAME as u32`): `From<Self>` for the C enum and
/// `from_c` (the Rust value of a C one, if it has one). Given `with_0_1_names`
/// (as `numbered_by_with_0_1_names`), also the C names as hidden associated
/// constants (`Delivery::YTX_DELIVERY_NOT_SENT`), the names 0.1 gave the
/// values of [`Delivery`](crate::Delivery) and [`LogLevel`](crate::LogLevel).
macro_rules! numbered {
    (
        $aliases:ident
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $(#[$m0:meta])* $v0:ident = $c:ident :: $cv0:ident as u32
            $( , $(#[$vmeta:meta])* $variant:ident = $c2:ident :: $cvariant:ident as u32 )*
            $(,)?
        }
    ) => {
        impl From<$name> for $c {
            fn from(v: $name) -> $c {
                match v {
                    $name::$v0 => $c::$cv0,
                    $( $name::$variant => $c::$cvariant, )*
                }
            }
        }

        impl $name {
            /// The Rust value of the C value `c`, if it has one.
            #[allow(dead_code, unreachable_patterns)]
            pub(crate) const fn from_c(c: $c) -> Option<$name> {
                match c {
                    $c::$cv0 => Some($name::$v0),
                    $( $c::$cvariant => Some($name::$variant), )*
                    _ => None,
                }
            }
        }

        $crate::abi::numbered!(@$aliases $name, $c, $v0 $cv0 $(, $variant $cvariant)*);
    };
    (@without_0_1_names $($rest:tt)*) => {};
    (@with_0_1_names $name:ident, $c:ident, $($variant:ident $cvariant:ident),*) => {
        #[allow(missing_docs)]
        impl $name {
            $(
                #[doc(hidden)]
                pub const $cvariant: $name = $name::$variant;
            )*
        }
    };
}

/// `#[macro_rules_derive(numbered_by)]`: see [`numbered!`].
macro_rules! numbered_by {
    ($($item:tt)*) => { $crate::abi::numbered!(without_0_1_names $($item)*); };
}

/// `#[macro_rules_derive(numbered_by_with_0_1_names)]`: see [`numbered!`].
macro_rules! numbered_by_with_0_1_names {
    ($($item:tt)*) => { $crate::abi::numbered!(with_0_1_names $($item)*); };
}

pub(crate) use {c_enum, numbered, numbered_by, numbered_by_with_0_1_names};

/// `s` (which ends with its only NUL) as a C string; used in constants, so
/// a bad `s` fails the build.
pub(crate) const fn c_str(s: &'static str) -> &'static CStr {
    match CStr::from_bytes_with_nul(s.as_bytes()) {
        Ok(c) => c,
        Err(_) => panic!("a C name ends with its only NUL"),
    }
}

/// Result codes of the C ABI.
///
/// The numbers are part of the ABI: they never change, and a retired number is
/// never reused. Ranges: 0 success; 1–9 bad input from the caller; 10–19 the
/// network or the HTTP exchange; 20–29 the platform's own answer; 90–99 bugs.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[macro_rules_derive(c_enum)]
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

/// Log levels. A callback set with a minimum level receives the events of
/// that level and the more severe ones.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[macro_rules_derive(c_enum)]
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

/// Whether a request reached the platform, as far as the client can know.
///
/// Half of the answer to "may I send it again?": only `YTX_DELIVERY_NOT_SENT`
/// rules out a second call. The whole answer is `ytx_outcome_retry_safe`
/// (not for argument errors, which fail the same way; yes for the
/// platform's `-104`, answered but nothing placed).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[macro_rules_derive(c_enum)]
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

/// What a tracker's event is about (`ytx_tracker_next_event`). The Rust
/// API's [`EventKind`](crate::EventKind) is numbered by it and names its
/// values with these names, the same in every binding.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[macro_rules_derive(c_enum)]
pub enum ytx_event_kind {
    /// No event (the answer for a NULL `ytx_event`).
    YTX_EVENT_NONE = 0,
    /// A leg's state changed (`ytx_event_state`, `ytx_event_number`,
    /// `ytx_event_leg`, `ytx_event_timestamp`).
    YTX_EVENT_LEG_STATE = 1,
    /// An accepted call's record, confirmed (`ytx_event_record`): once per call.
    YTX_EVENT_COMPLETED = 2,
    /// An outcome unknown settled: `ytx_event_placed` 1 (with its record) or 0
    /// (not placed, only once the bound has passed); -1 when it cannot be
    /// resolved (sent without customParm). Once per call.
    YTX_EVENT_RESOLVED = 3,
    /// No record long after the bound (to alert on); the tracker goes on looking.
    YTX_EVENT_OVERDUE = 4,
    /// A push matching no tracked call (requestId, appid or numbers), or an SMS
    /// report: dropped (`ytx_event_reason` says why).
    YTX_EVENT_UNRECOGNISED_PUSH = 5,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers_come_from_the_one_list() {
        for r in ytx_result::ALL {
            assert_eq!(ytx_result::from_u32(r as u32), Some(r));
            assert_eq!(format!("{r:?}"), r.name());
            assert_eq!(r.c_name().to_str(), Ok(r.name()));
        }
        assert_eq!(ytx_result::from_u32(u32::MAX), None);
        assert_eq!(ytx_result::YTX_ERR_PANIC.name(), "YTX_ERR_PANIC");
        assert_eq!(
            ytx_delivery::from_u32(2),
            Some(ytx_delivery::YTX_DELIVERY_ANSWERED)
        );
        assert_eq!(ytx_delivery::from_u32(u32::MAX), None);
        let levels: Vec<u32> = ytx_log_level::ALL.iter().map(|l| *l as u32).collect();
        assert!(levels.starts_with(&[0, 1, 2, 3, 4]), "{levels:?}");
        assert_eq!(ytx_log_level::YTX_LOG_WARN.c_name(), c"YTX_LOG_WARN");
    }
}
