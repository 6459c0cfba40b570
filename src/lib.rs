//! # ytx — a client for the ytx.net (云通信) voice platform
//!
//! Two operations of the platform's REST API, built, validated, signed and
//! sent correctly: the **two-way callback call** (双向呼叫: ring A, then B,
//! bridge them) and the **voice verification code** (语音验证码).
//!
//! ```no_run
//! use ytx::{CallbackCall, Client, VoiceCode};
//!
//! let client = Client::builder("your-account-sid", "your-auth-token", "your-app-id")
//!     .build()?;
//! let call = CallbackCall::new("13800138000", "01085485069", 600).custom_parm("order-42");
//! match client.callback_call(&call) {
//!     Ok(accepted) => println!("requestId {}", accepted.request_id),
//!     Err(e) if e.is_retry_safe() => {
//!         eprintln!("nothing was placed; send it again after {:?}: {e}", e.retry_after())
//!     }
//!     Err(e) => eprintln!("failed: {e}"),
//! }
//! client.voice_code(&VoiceCode::new("13800138000", "02160000000", "4096"))?;
//! # Ok::<(), ytx::Error>(())
//! ```
//!
//! * [`sign`]: timestamp (UTC+8), Sign, Authorization — pure functions.
//! * [`request`]: typed requests, validation, wire JSON.
//! * [`record`]: after a call is accepted: state pushes, call records,
//!   balance, and how to resolve an *outcome unknown* by customParm.
//! * [`client`]: signing and sending each operation once; the [`Client`]
//!   holds the checked configuration, never the builder.
//! * [`config`]: [`ClientBuilder`] and the client options by name; its
//!   checks produce the data the client is made of.
//! * [`response`]: the platform's answer, [`parse_response`].
//! * `transport`: the wire (plain `http://` with `httparse`; `https://`
//!   and proxies through ureq 3; proxy and `NO_PROXY` in `transport::proxy`),
//!   knowing nothing of the builder.
//!
//! Imports go one way: `transport` <- `config` <- `client` <- `ffi`
//! (`tests/module-graph.sh` fails on two modules that import each other).
//! Each public item is re-exported here from the module that defines it.
//! * [`error`]: one [`Error`] enum with stable numeric codes for the C ABI.
//! * [`tracker`]: a call's fate, delivered: the [`Tracker`] turns pushes
//!   (hints) and the signed record query (truth) into one event per fact.
//! * `abi`: the C ABI's numbered enums (result codes, delivery states, log
//!   levels), each written once; [`ErrorCode`], [`Delivery`] and
//!   [`LogLevel`] are numbered by them.
//! * `ticket`: the [`Ticket`] an *outcome unknown* carries (its methods are
//!   in [`resolve`]).
//! * [`log`]: an optional process-wide log sink (off by default).
//! * `ffi`: the C ABI declared in `include/ytx.h` (the only `unsafe` code),
//!   a file per C object over one runner for what sends (its `mod.rs` is
//!   the index), behind the default feature `capi`: a Rust program can leave it out
//!   with `default-features = false` (then add `features = ["tls"]` for
//!   HTTPS).
//!
//! Guarantees: every input is validated before anything is sent and every
//! error names the field; the auth token never appears in an error, `Debug`
//! output or log, nor does the Sign; a request that may have reached the
//! platform is never sent again by the library ([`Error::is_retry_safe`]
//! tells you whether a retry is safe; the opt-in automatic retry,
//! [`ClientBuilder::max_retries`], resends only those); [`Client`] is
//! `Send + Sync`.
#![deny(unsafe_code)]
#![warn(missing_docs)]

mod abi;
pub mod client;
pub mod config;
pub mod error;
#[cfg(feature = "capi")]
#[allow(unsafe_code, non_camel_case_types)]
pub mod ffi;
pub mod log;
pub mod record;
pub mod request;
pub mod resolve;
pub mod response;
pub mod sign;
mod ticket;
pub mod tracker;
mod transport;

pub use client::{Client, PreparedRequest};
pub use config::{ClientBuilder, Endpoint, Environment};
pub use error::{
    explain_status_code, Delivery, Error, ErrorCode, Result, RATE_LIMITED_RETRY_AFTER,
    RATE_LIMITED_STATUS_CODE,
};
pub use log::{set_logger, LogLevel};
pub use record::{
    parse_push, parse_push_routed, Amount, Balance, CallRecord, CallState, Push, PushKind,
    StatePush,
};
pub use request::{CallbackCall, FindCall, RecordQuery, RingbackType, VoiceCode};
pub use resolve::{Resolution, ResolutionStatus, Resolvable, ResolveOptions};
pub use response::{parse_response, Response};
pub use ticket::{Ticket, TicketKind};
pub use tracker::{
    Clock, Event, EventKind, HeardState, Leg, ManualClock, SystemClock, TrackedCall, Tracker,
    TrackerOptions, TrackerStats, Verify,
};
