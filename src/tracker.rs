//! A call's fate, delivered: the [`Tracker`] turns lossy, unsigned pushes
//! and the signed record query into one event per fact.
//!
//! Pushes (PROTOCOL.md, "After a call is accepted") carry no signature, may
//! be lost, duplicated or reordered, and arrive at whichever server a load
//! balancer picks; the record is written only after the call ends. The
//! tracker takes pushes as hints ([`Tracker::on_push`], which never touches
//! the network) and the signed call-record query (`CallCdr.wx`) as the
//! truth. It has no thread of its own: every record query, every held state
//! released and every overdue alert happens inside [`Tracker::next_event`],
//! so it fits a C event loop, a Python thread or asyncio task, a .NET worker.
//!
//! **Which calls.** Made with [`Tracker::new`], a tracker is attached to its
//! client: every callback call the client places from then on
//! ([`Client::callback_call`], or [`Client::send`] of a prepared callback
//! call) is tracked from "accepted", and every *outcome unknown* of one is
//! tracked as a call to resolve (by its [`Ticket`]). [`Tracker::track`]
//! adds a call placed elsewhere; [`Tracker::pending`] lists what is still
//! watched, each item with everything `track` needs (also as one JSON line,
//! [`TrackedCall::to_json`]), so that the application can keep it in its
//! own database and restore it after a restart. The tracker writes nothing
//! to disk.
//!
//! **Events** ([`Event`], [`EventKind`]), each with the call's requestId
//! and customParm:
//! * [`EventKind::LegState`]: a leg's state changed; deduplicated by
//!   (`requestid`, `dsc`, `state`, `timestamp`), each leg's states in the
//!   order callout, alerting, answer, disconnect (a state is held
//!   [`TrackerOptions::reorder_window`] to be put in order; one older than a
//!   state already delivered for its leg is dropped);
//! * [`EventKind::Completed`]: the call's confirmed record (who answered,
//!   how long, what it cost, the recording), exactly once per accepted call;
//! * [`EventKind::Resolved`]: an *outcome unknown* settled: placed (with its
//!   record) or not placed (only once PROTOCOL.md's bound has passed),
//!   exactly once;
//! * [`EventKind::Overdue`]: no record long after the bound (to alert on);
//!   the tracker goes on looking;
//! * [`EventKind::UnrecognisedPush`]: a push whose requestId, appid or
//!   numbers match no tracked call (or an SMS report), dropped.
//!
//! An event counts as received when `next_event` returns it: what
//! `pending()` says was delivered is exactly what the application got, and
//! a tracker restored from it hands out the rest.
//!
//! **Time.** The bound of an accepted call is its sent time plus
//! `srctimeout`, `dsttimeout`, `credit` and [`TrackerOptions::record_delay`] (ring
//! timeouts not given: [`TrackerOptions::default_ring_timeout`]); both
//! legs' `disconnect` pushes bring the first query forward to
//! [`TrackerOptions::after_disconnect`] later, and with [`Verify::Always`] a
//! record push brings it to now. A query that finds nothing is repeated
//! after 30 s, doubling to at most 10 min; `-104` pauses every query (5 s,
//! doubling to 5 min); all within [`TrackerOptions::queries_per_minute`].
//! An *outcome unknown* is resolved with the resolver's search (the bound
//! of its ticket, never shortened: "not placed" must never come early).
//!
//! **Several processes.** Each process learns the fate of the calls it
//! placed from the signed query, whichever server the platform pushed to:
//! pushes only bring queries forward, so no store needs to be shared.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet, VecDeque};
use std::fmt;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use macro_rules_attribute::macro_rules_derive;
use serde::{Deserialize, Serialize};

use crate::abi::{numbered_by, ytx_event_kind};
use crate::client::{CallObserver, Client};
use crate::error::{Error, Result, RATE_LIMITED_STATUS_CODE};
use crate::log::{self, LogLevel};
use crate::record::{self, CallRecord, CallState, Push, CALLBACK_FID, MAX_RECORDS_BYTES};
use crate::request::RecordQuery;
use crate::resolve::{self, ResolutionStatus, ResolveOptions};
use crate::ticket::{Ticket, TicketKind};

/// First pause after a record query that found nothing (or failed).
const FIRST_BACKOFF: Duration = Duration::from_secs(30);
/// Longest pause between two queries of one call.
const MAX_BACKOFF: Duration = Duration::from_secs(600);
/// First pause of every query after a `-104`.
const FIRST_RATE_PAUSE: Duration = Duration::from_secs(5);
/// Longest pause of every query after `-104`s.
const MAX_RATE_PAUSE: Duration = Duration::from_secs(300);
/// Unrecognised pushes waiting for their call, at most.
const MAX_ORPHANS: usize = 1000;
/// Unrecognised-push events queued, at most (more are only counted).
const MAX_QUEUED_UNRECOGNISED: usize = 1000;
/// Finished calls remembered, so that a late push is not "unrecognised".
const MAX_FINISHED: usize = 10_000;
/// The span of the query budget (`queries_per_minute`).
const QUERY_WINDOW: Duration = Duration::from_secs(60);
/// Record pages one resolver search may read at most.
const MAX_PAGES_PER_SEARCH: u32 = 10;
/// Bytes of the pushes waiting for their call (their fields' text), at
/// most: a flood of forged pushes holds no more than this.
const MAX_ORPHAN_BYTES: usize = MAX_RECORDS_BYTES;
/// Longest text of a push a call keeps or an event carries (a state
/// push's dsc, state and timestamp; a claimed requestId, cut to this).
const MAX_PUSH_TEXT_BYTES: usize = 64;
/// States one call keeps at most (a call has two legs of four states;
/// unknown states and replays fill the rest): more are unrecognised.
const MAX_STATES_PER_CALL: usize = 32;

// ===== clock =====

/// Where the tracker reads the time: wall clock and monotonic clock.
/// [`SystemClock`] by default; [`ManualClock`] makes time testable.
pub trait Clock: Send + Sync + fmt::Debug {
    /// Now, on the wall clock and the monotonic clock.
    fn now(&self) -> (SystemTime, Instant);
    /// The clock as a [`ManualClock`], when it is one (the C ABI's
    /// `ytx_tracker_advance_clock`).
    fn as_manual(&self) -> Option<&ManualClock> {
        None
    }
}

/// The system's clocks.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> (SystemTime, Instant) {
        (SystemTime::now(), Instant::now())
    }
}

/// A clock that moves only when told ([`ManualClock::advance`]), for tests:
/// it starts at the real time it was made.
#[derive(Debug)]
pub struct ManualClock {
    at: Mutex<(SystemTime, Instant)>,
}

impl Default for ManualClock {
    fn default() -> Self {
        ManualClock::new()
    }
}

impl ManualClock {
    /// A clock at the real now.
    pub fn new() -> ManualClock {
        ManualClock {
            at: Mutex::new((SystemTime::now(), Instant::now())),
        }
    }
    /// Move both clocks forward by `d` (by nothing when that is past what
    /// they can hold).
    pub fn advance(&self, d: Duration) {
        let mut at = self.at.lock().unwrap_or_else(|p| p.into_inner());
        // Past what the clocks hold: they stay (a test's mistake, no panic).
        if let (Some(wall), Some(mono)) = (at.0.checked_add(d), at.1.checked_add(d)) {
            *at = (wall, mono);
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> (SystemTime, Instant) {
        *self.at.lock().unwrap_or_else(|p| p.into_inner())
    }
    fn as_manual(&self) -> Option<&ManualClock> {
        Some(self)
    }
}

// ===== options =====

/// When a call's record is confirmed with the signed query.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Verify {
    /// A pushed record is confirmed with `CallCdr.wx` before it is reported
    /// (the default): a forged record push cannot complete a call.
    #[default]
    Always,
    /// A pushed record (cross-checked against the call) is reported as
    /// pushed; a call whose record push never came is found by the query.
    WhenNoRecordPush,
    /// No record query at all: calls complete from record pushes only; a
    /// lost record gives [`EventKind::Overdue`], and an *outcome unknown*
    /// is never resolved (only overdue).
    Never,
}

impl Verify {
    /// The name used by [`TrackerOptions::set`]: `always`,
    /// `when_no_record_push`, `never`.
    pub fn name(self) -> &'static str {
        match self {
            Verify::Always => "always",
            Verify::WhenNoRecordPush => "when_no_record_push",
            Verify::Never => "never",
        }
    }
}

/// The options of a [`Tracker`].
///
/// ```
/// let o = ytx::TrackerOptions::new().verify(ytx::Verify::WhenNoRecordPush).queries_per_minute(30);
/// assert!(o.validate().is_ok());
/// let mut o = ytx::TrackerOptions::new();
/// assert_eq!(o.set("queries_per_minute", "0").unwrap_err().field(), Some("queries_per_minute"));
/// ```
#[derive(Clone, Debug)]
pub struct TrackerOptions {
    verify: Verify,
    queries_per_minute: u32,
    overdue_after: Duration,
    after_disconnect: Duration,
    reorder_window: Duration,
    orphan_window: Duration,
    default_ring_timeout: Duration,
    record_delay: Duration,
    assume_credit: u32,
    max_tracked: usize,
    clock: Arc<dyn Clock>,
}

impl Default for TrackerOptions {
    fn default() -> Self {
        TrackerOptions::new()
    }
}

/// The option names of [`TrackerOptions::set`] (the C ABI's and the
/// bindings').
pub const TRACKER_OPTION_NAMES: [&str; 11] = [
    "verify",
    "queries_per_minute",
    "overdue_after_ms",
    "after_disconnect_ms",
    "reorder_window_ms",
    "orphan_window_ms",
    "default_ring_timeout_ms",
    "record_delay_ms",
    "assume_credit",
    "max_tracked",
    "clock",
];

impl TrackerOptions {
    /// The defaults: verify always, 60 queries a minute, overdue 1 h after
    /// the bound, first query 20 s after both legs hung up, states held
    /// 1 s to be ordered, an unmatched push waits 10 s for its call, ring
    /// timeouts 60 s and the record delay 60 s (PROTOCOL.md), a credit of
    /// 3600 s assumed for a call tracked without one, at most 100,000
    /// calls, the system clock.
    pub fn new() -> TrackerOptions {
        TrackerOptions {
            verify: Verify::Always,
            queries_per_minute: 60,
            overdue_after: Duration::from_secs(3600),
            after_disconnect: Duration::from_secs(20),
            reorder_window: Duration::from_secs(1),
            orphan_window: Duration::from_secs(10),
            default_ring_timeout: Duration::from_secs(resolve::DEFAULT_RING_TIMEOUT_SECS),
            record_delay: Duration::from_secs(resolve::RECORD_DELAY_SECS),
            assume_credit: 3600,
            max_tracked: 100_000,
            clock: Arc::new(SystemClock),
        }
    }
    /// When a record is confirmed with the signed query ([`Verify`]).
    pub fn verify(mut self, v: Verify) -> Self {
        self.verify = v;
        self
    }
    /// The most record queries in any minute (at least 1; a resolver
    /// search's pages count one each).
    pub fn queries_per_minute(mut self, n: u32) -> Self {
        self.queries_per_minute = n;
        self
    }
    /// How long after the bound a call with no record is reported overdue.
    pub fn overdue_after(mut self, d: Duration) -> Self {
        self.overdue_after = d;
        self
    }
    /// The first query of a call comes this long after both legs'
    /// `disconnect` pushes (PROTOCOL.md: a query sooner than about 20 s
    /// after the call finds nothing).
    pub fn after_disconnect(mut self, d: Duration) -> Self {
        self.after_disconnect = d;
        self
    }
    /// How long a state push is held so that one pushed out of order can
    /// take its place (0: delivered at once, in the order received).
    pub fn reorder_window(mut self, d: Duration) -> Self {
        self.reorder_window = d;
        self
    }
    /// How long a push that matches no tracked call waits for its call (a
    /// push may arrive before the answer that tracks it) before it is
    /// reported unrecognised.
    pub fn orphan_window(mut self, d: Duration) -> Self {
        self.orphan_window = d;
        self
    }
    /// The ring timeout assumed for a leg whose `srctimeout` / `dsttimeout`
    /// the call did not give, in the bound of an accepted call.
    pub fn default_ring_timeout(mut self, d: Duration) -> Self {
        self.default_ring_timeout = d;
        self
    }
    /// How long after a call ends its record is assumed written, in the
    /// bound of an accepted call.
    pub fn record_delay(mut self, d: Duration) -> Self {
        self.record_delay = d;
        self
    }
    /// The credit (seconds) assumed for a call tracked without one.
    pub fn assume_credit(mut self, secs: u32) -> Self {
        self.assume_credit = secs;
        self
    }
    /// The most calls watched at once; `track` beyond it is an error.
    pub fn max_tracked(mut self, n: usize) -> Self {
        self.max_tracked = n;
        self
    }
    /// The clock (default [`SystemClock`]).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }
    /// Set an option by name ([`TRACKER_OPTION_NAMES`]; durations in
    /// milliseconds; `verify`: `always`, `when_no_record_push`, `never`;
    /// `clock`: `system` or `manual`). A bad name or value is an error
    /// naming it.
    pub fn set(&mut self, name: &str, value: &str) -> Result<()> {
        let number = |v: &str| -> Result<u64> {
            v.parse::<u64>()
                .map_err(|_| Error::invalid(name, format!("must be a whole number, got {v:?}")))
        };
        let ms = |v: &str| number(v).map(Duration::from_millis);
        let small = |v: &str| -> Result<u32> {
            u32::try_from(number(v)?)
                .map_err(|_| Error::invalid(name, "must be at most 4294967295"))
        };
        match name {
            "verify" => {
                self.verify = match value {
                    "always" => Verify::Always,
                    "when_no_record_push" => Verify::WhenNoRecordPush,
                    "never" => Verify::Never,
                    _ => {
                        return Err(Error::invalid(
                            name,
                            "must be always, when_no_record_push or never",
                        ))
                    }
                }
            }
            "queries_per_minute" => self.queries_per_minute = small(value)?,
            "overdue_after_ms" => self.overdue_after = ms(value)?,
            "after_disconnect_ms" => self.after_disconnect = ms(value)?,
            "reorder_window_ms" => self.reorder_window = ms(value)?,
            "orphan_window_ms" => self.orphan_window = ms(value)?,
            "default_ring_timeout_ms" => self.default_ring_timeout = ms(value)?,
            "record_delay_ms" => self.record_delay = ms(value)?,
            "assume_credit" => self.assume_credit = small(value)?,
            "max_tracked" => {
                self.max_tracked = usize::try_from(number(value)?)
                    .map_err(|_| Error::invalid(name, "too large"))?
            }
            "clock" => {
                self.clock = match value {
                    "system" => Arc::new(SystemClock),
                    "manual" => Arc::new(ManualClock::new()),
                    _ => return Err(Error::invalid(name, "must be system or manual")),
                }
            }
            _ => {
                return Err(Error::invalid(
                    name,
                    format!(
                        "no such tracker option (options: {})",
                        TRACKER_OPTION_NAMES.join(", ")
                    ),
                ))
            }
        }
        self.validate()
    }
    /// Check every option; the error names the first bad one.
    pub fn validate(&self) -> Result<()> {
        if self.queries_per_minute == 0 {
            return Err(Error::invalid("queries_per_minute", "must be at least 1"));
        }
        if self.max_tracked == 0 {
            return Err(Error::invalid("max_tracked", "must be at least 1"));
        }
        let year = Duration::from_secs(366 * 24 * 3600);
        for (name, d) in [
            ("overdue_after_ms", self.overdue_after),
            ("after_disconnect_ms", self.after_disconnect),
            ("reorder_window_ms", self.reorder_window),
            ("orphan_window_ms", self.orphan_window),
            ("default_ring_timeout_ms", self.default_ring_timeout),
            ("record_delay_ms", self.record_delay),
        ] {
            if d > year {
                return Err(Error::invalid(name, "must be at most a year"));
            }
        }
        Ok(())
    }
    /// The verify option.
    pub fn verify_mode(&self) -> Verify {
        self.verify
    }
    /// The clock, e.g. to advance a [`ManualClock`] set by name.
    pub fn clock_ref(&self) -> &Arc<dyn Clock> {
        &self.clock
    }
}

// ===== tracked calls =====

/// A state push heard for a tracked call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeardState {
    /// The leg's number as pushed (`dsc`).
    pub number: String,
    /// The state as pushed (`state`).
    pub state: String,
    /// The push's `timestamp`, as text.
    pub timestamp: String,
    /// Handed out by `next_event` (or dropped as older than a state
    /// already handed out): never handed out again.
    pub delivered: bool,
}

/// A call the tracker watches: what [`Tracker::track`] takes and
/// [`Tracker::pending`] gives. Only `request_id` (or, for an *outcome
/// unknown*, `ticket`) is required; what else is known sharpens the
/// cross-checks of pushes and the time of the first query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackedCall {
    /// The requestId; `None` for an *outcome unknown* (then `ticket`).
    pub request_id: Option<String>,
    /// The *outcome unknown*'s ticket.
    pub ticket: Option<Ticket>,
    /// The request's customParm.
    pub custom_parm: Option<String>,
    /// The first leg's number.
    pub src: Option<String>,
    /// The second leg's number.
    pub dst: Option<String>,
    /// The request's credit, seconds.
    pub credit: Option<u32>,
    /// The request's `srctimeout`.
    pub src_timeout: Option<u32>,
    /// The request's `dsttimeout`.
    pub dst_timeout: Option<u32>,
    /// When it was sent (the bound counts from it).
    pub sent_at: SystemTime,
    /// The product number of its record (`"4"`, the callback call).
    pub fid: String,
    /// The state pushes heard.
    pub states: Vec<HeardState>,
    /// A record push was heard (and cross-checked).
    pub record_pushed: bool,
    /// The application received an [`EventKind::Overdue`] for it.
    pub overdue_reported: bool,
}

/// The JSON form of [`TrackedCall`] (version 1).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TrackedJson {
    #[serde(default = "one")]
    v: u32,
    #[serde(default)]
    request_id: Option<String>,
    #[serde(default)]
    ticket: Option<String>,
    #[serde(default)]
    custom_parm: Option<String>,
    #[serde(default)]
    src: Option<String>,
    #[serde(default)]
    dst: Option<String>,
    #[serde(default)]
    credit: Option<u32>,
    #[serde(default)]
    src_timeout: Option<u32>,
    #[serde(default)]
    dst_timeout: Option<u32>,
    #[serde(default)]
    sent_at: Option<i64>,
    #[serde(default)]
    fid: Option<String>,
    #[serde(default)]
    states: Vec<HeardState>,
    #[serde(default)]
    record_pushed: bool,
    #[serde(default)]
    overdue_reported: bool,
}

fn one() -> u32 {
    1
}

fn unix_of(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

/// Unix seconds as a time; `None` before 1970 or past what a time holds.
fn from_unix(s: i64) -> Option<SystemTime> {
    u64::try_from(s)
        .ok()
        .and_then(|s| UNIX_EPOCH.checked_add(Duration::from_secs(s)))
}

/// How far after the real now a tracked call's `sent_at` may be: generous
/// (a test's fixed time, another machine's clock); much later is not a
/// time a call was sent, and would push its timers past any date.
const MAX_SENT_AHEAD: Duration = Duration::from_secs(366 * 24 * 3600);

/// The end of year 9999: what a time past what `SystemTime` can add to is
/// held at.
fn far_future() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(253_402_300_799)
}

/// `t + d`, never a panic: past what a time holds, the far future.
fn later(t: SystemTime, d: Duration) -> SystemTime {
    t.checked_add(d).unwrap_or_else(|| t.max(far_future()))
}

/// Check a tracked call's sent time: not before 1970, at most a year after
/// the real now. The error names `field`.
pub(crate) fn check_sent_at(t: SystemTime, field: &str) -> Result<()> {
    if t < UNIX_EPOCH {
        return Err(Error::invalid(field, "must be a time after 1970-01-01"));
    }
    if SystemTime::now()
        .checked_add(MAX_SENT_AHEAD)
        .is_some_and(|max| t > max)
    {
        return Err(Error::invalid(
            field,
            "is more than a year in the future: not when the call was sent",
        ));
    }
    Ok(())
}

impl TrackedCall {
    /// A call known by its requestId alone, sent now.
    pub fn new(request_id: impl Into<String>) -> TrackedCall {
        TrackedCall {
            request_id: Some(request_id.into()),
            ticket: None,
            custom_parm: None,
            src: None,
            dst: None,
            credit: None,
            src_timeout: None,
            dst_timeout: None,
            sent_at: SystemTime::now(),
            fid: CALLBACK_FID.to_string(),
            states: Vec::new(),
            record_pushed: false,
            overdue_reported: false,
        }
    }

    /// The *outcome unknown* of this ticket, to resolve.
    pub fn unknown(ticket: Ticket) -> TrackedCall {
        TrackedCall {
            request_id: None,
            custom_parm: ticket.custom_parm().map(str::to_string),
            credit: Some(ticket.credit()),
            src_timeout: ticket.src_timeout(),
            dst_timeout: ticket.dst_timeout(),
            sent_at: ticket.sent_at(),
            fid: ticket.fid().to_string(),
            ticket: Some(ticket),
            ..TrackedCall::new("")
        }
    }

    /// A callback call from its wire body (every value a string), accepted
    /// as `request_id` (or, `None`, its outcome unknown).
    fn from_body(body: &str, request_id: Option<&str>, sent_at: SystemTime) -> TrackedCall {
        let json: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
        let text = |key: &str| {
            json.get(key)
                .and_then(serde_json::Value::as_str)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let secs = |key: &str| text(key).and_then(|v| v.parse::<u32>().ok());
        TrackedCall {
            request_id: request_id.map(str::to_string),
            custom_parm: text("customParm"),
            src: text("src"),
            dst: text("dst"),
            credit: secs("credit"),
            src_timeout: secs("srctimeout"),
            dst_timeout: secs("dsttimeout"),
            sent_at,
            ..TrackedCall::new("")
        }
    }

    /// The key it is watched by: the requestId, or for an *outcome
    /// unknown* `unknown:` and its customParm (or its ticket's text).
    pub fn key(&self) -> String {
        match (&self.request_id, &self.ticket) {
            (Some(id), _) => id.clone(),
            (None, Some(t)) => match t.custom_parm() {
                Some(p) => format!("unknown:{p}"),
                None => format!("unknown:{}", t.to_text()),
            },
            (None, None) => String::new(),
        }
    }

    /// Check it: a requestId (1 to 64 ASCII letters or digits) or a ticket,
    /// a `sent_at` after 1970 and at most a year after the real now; the
    /// error names the field.
    pub fn validate(&self) -> Result<()> {
        match (&self.request_id, &self.ticket) {
            (Some(id), _) => crate::request::request_id_text("request_id", id)?,
            (None, Some(_)) => {}
            (None, None) => {
                return Err(Error::invalid(
                    "request_id",
                    "a tracked call needs a requestId, or the ticket of an outcome unknown",
                ))
            }
        }
        if self.fid.is_empty()
            || self.fid.len() > 10
            || !self.fid.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(Error::invalid(
                "fid",
                "must be a product number (1 to 10 digits)",
            ));
        }
        check_sent_at(self.sent_at, "sent_at")
    }

    /// One line of JSON (version 1; the `ytx watch` journal format):
    /// `{"v":1,"request_id":...,"ticket":...,"custom_parm":...,"src":...,
    /// "dst":...,"credit":...,"src_timeout":...,"dst_timeout":...,
    /// "sent_at":<unix s>,"fid":"4","states":[{"number","state",
    /// "timestamp","delivered"}],"record_pushed":false,"overdue_reported":false}`.
    pub fn to_json(&self) -> String {
        let j = TrackedJson {
            v: 1,
            request_id: self.request_id.clone(),
            ticket: self.ticket.as_ref().map(Ticket::to_text),
            custom_parm: self.custom_parm.clone(),
            src: self.src.clone(),
            dst: self.dst.clone(),
            credit: self.credit,
            src_timeout: self.src_timeout,
            dst_timeout: self.dst_timeout,
            sent_at: Some(unix_of(self.sent_at)),
            fid: Some(self.fid.clone()),
            states: self.states.clone(),
            record_pushed: self.record_pushed,
            overdue_reported: self.overdue_reported,
        };
        serde_json::to_string(&j).expect("a struct of strings and numbers serialises")
    }

    /// A tracked call from its JSON ([`TrackedCall::to_json`]); only
    /// `request_id` or `ticket` is required (`sent_at` absent: now). Bad
    /// JSON or an unknown key is an error naming `tracked_call`; a bad
    /// value, an error naming its field.
    pub fn from_json(text: &str) -> Result<TrackedCall> {
        if !text.trim_start().starts_with('{') {
            return Err(Error::invalid(
                "tracked_call",
                "not a tracked call: not a JSON object",
            ));
        }
        let j: TrackedJson = serde_json::from_str(text)
            .map_err(|e| Error::invalid("tracked_call", format!("not a tracked call: {e}")))?;
        if j.v != 1 {
            return Err(Error::invalid(
                "tracked_call",
                "a tracked call of another format version than 1",
            ));
        }
        let ticket = j.ticket.as_deref().map(Ticket::parse).transpose()?;
        let base = match ticket {
            Some(t) => TrackedCall::unknown(t),
            None => TrackedCall::new(""),
        };
        let call = TrackedCall {
            request_id: j.request_id.filter(|r| !r.is_empty()),
            custom_parm: j.custom_parm.or(base.custom_parm.clone()),
            src: j.src,
            dst: j.dst,
            credit: j.credit.or(base.credit),
            src_timeout: j.src_timeout.or(base.src_timeout),
            dst_timeout: j.dst_timeout.or(base.dst_timeout),
            sent_at: match j.sent_at {
                None => base.sent_at,
                Some(s) => from_unix(s).ok_or_else(|| {
                    Error::invalid("sent_at", "must be Unix seconds after 1970-01-01")
                })?,
            },
            fid: j.fid.unwrap_or(base.fid.clone()),
            states: j.states,
            record_pushed: j.record_pushed,
            overdue_reported: j.overdue_reported,
            ..base
        };
        call.validate()?;
        Ok(call)
    }
}

// ===== events =====

/// What an [`Event`] is about. Numbered by the C ABI's `ytx_event_kind`
/// (`src/abi.rs`), whose names [`EventKind::name`] gives.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[macro_rules_derive(numbered_by)]
pub enum EventKind {
    /// A leg's state changed.
    LegState = ytx_event_kind::YTX_EVENT_LEG_STATE as u32,
    /// An accepted call's record, confirmed: once per call.
    Completed = ytx_event_kind::YTX_EVENT_COMPLETED as u32,
    /// An *outcome unknown* settled (placed with its record, or not
    /// placed): once per call.
    Resolved = ytx_event_kind::YTX_EVENT_RESOLVED as u32,
    /// No record long after the bound.
    Overdue = ytx_event_kind::YTX_EVENT_OVERDUE as u32,
    /// A push matching no tracked call, dropped.
    UnrecognisedPush = ytx_event_kind::YTX_EVENT_UNRECOGNISED_PUSH as u32,
}

impl EventKind {
    /// The stable name, the same in every language, e.g.
    /// `"YTX_EVENT_COMPLETED"`.
    pub fn name(self) -> &'static str {
        ytx_event_kind::from(self).name()
    }
}

/// Which leg of a callback call a state is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Leg {
    /// The first leg (`src`, the record's `caller`).
    Src,
    /// The second leg (`dst`, the record's `called`).
    Dst,
}

impl Leg {
    /// `"src"` or `"dst"`.
    pub fn name(self) -> &'static str {
        match self {
            Leg::Src => "src",
            Leg::Dst => "dst",
        }
    }
}

/// One fact about a tracked call (or an unrecognised push).
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    kind: EventKind,
    key: String,
    request_id: String,
    custom_parm: Option<String>,
    record: Option<CallRecord>,
    placed: Option<bool>,
    verified: bool,
    state: Option<CallState>,
    number: Option<String>,
    leg: Option<Leg>,
    timestamp: String,
    ticket: Option<Ticket>,
    reason: String,
}

impl Event {
    fn new(kind: EventKind, call: Option<&TrackedCall>, reason: impl Into<String>) -> Event {
        Event {
            kind,
            key: call.map(TrackedCall::key).unwrap_or_default(),
            request_id: call.and_then(|c| c.request_id.clone()).unwrap_or_default(),
            custom_parm: call.and_then(|c| c.custom_parm.clone()),
            record: None,
            placed: None,
            verified: false,
            state: None,
            number: None,
            leg: None,
            timestamp: String::new(),
            ticket: call.and_then(|c| c.ticket.clone()),
            reason: reason.into(),
        }
    }
    /// What it is.
    pub fn kind(&self) -> EventKind {
        self.kind
    }
    /// The call's requestId; `""` for an *outcome unknown* not placed (or
    /// not yet resolved), and the requestId the push claimed for an
    /// unrecognised push.
    pub fn request_id(&self) -> &str {
        &self.request_id
    }
    /// The call's customParm, when known.
    pub fn custom_parm(&self) -> Option<&str> {
        self.custom_parm.as_deref()
    }
    /// The record: [`EventKind::Completed`], and [`EventKind::Resolved`]
    /// when placed.
    pub fn record(&self) -> Option<&CallRecord> {
        self.record.as_ref()
    }
    /// [`EventKind::Resolved`]: `Some(true)` placed, `Some(false)` not
    /// placed, `None` when it cannot be resolved (sent without customParm:
    /// [`Event::reason`]). `None` for the other kinds.
    pub fn placed(&self) -> Option<bool> {
        self.placed
    }
    /// Completed / Resolved: the record came from the signed query (not
    /// only from a push).
    pub fn verified(&self) -> bool {
        self.verified
    }
    /// [`EventKind::LegState`]: the leg's new state.
    pub fn state(&self) -> Option<&CallState> {
        self.state.as_ref()
    }
    /// [`EventKind::LegState`]: the leg's number as pushed (`dsc`).
    pub fn number(&self) -> Option<&str> {
        self.number.as_deref()
    }
    /// [`EventKind::LegState`]: which leg, when the call's numbers are known.
    pub fn leg(&self) -> Option<Leg> {
        self.leg
    }
    /// [`EventKind::LegState`]: the push's `timestamp` text (UTC+8).
    pub fn timestamp(&self) -> &str {
        &self.timestamp
    }
    /// The ticket of an *outcome unknown* (Resolved, Overdue).
    pub fn ticket(&self) -> Option<&Ticket> {
        self.ticket.as_ref()
    }
    /// Why, in English: for an unrecognised push, an overdue call, a call
    /// not placed or that cannot be resolved.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

/// Counters of a [`Tracker`] since it was made.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TrackerStats {
    /// Pushes given to `on_push`.
    pub pushes: u64,
    /// Pushes (or records) already heard.
    pub duplicates: u64,
    /// Pushes dropped as unrecognised (requestId, appid or numbers).
    pub unrecognised: u64,
    /// Pushes for a call already completed or resolved.
    pub late: u64,
    /// Pushes naming the customParm of an *outcome unknown* (they bring
    /// its search forward; its one event is Resolved).
    pub hints: u64,
    /// States dropped as older than one already delivered for their leg.
    pub stale: u64,
    /// Record queries sent (`CallCdr.wx` requests).
    pub queries: u64,
    /// Record queries that failed.
    pub query_errors: u64,
    /// `-104` answers.
    pub rate_limited: u64,
    /// Events handed out.
    pub events: u64,
}

/// The names of [`TrackerStats`]' counters, for the C ABI (`ytx_tracker_stat`).
pub const TRACKER_STAT_NAMES: [&str; 10] = [
    "pushes",
    "duplicates",
    "unrecognised",
    "late",
    "hints",
    "stale",
    "queries",
    "query_errors",
    "rate_limited",
    "events",
];

impl TrackerStats {
    /// A counter by name ([`TRACKER_STAT_NAMES`]); `None` for another name.
    pub fn get(&self, name: &str) -> Option<u64> {
        Some(match name {
            "pushes" => self.pushes,
            "duplicates" => self.duplicates,
            "unrecognised" => self.unrecognised,
            "late" => self.late,
            "hints" => self.hints,
            "stale" => self.stale,
            "queries" => self.queries,
            "query_errors" => self.query_errors,
            "rate_limited" => self.rate_limited,
            "events" => self.events,
            _ => return None,
        })
    }
}

// ===== the tracker's state =====

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Held,
    Queued,
    Delivered,
    Stale,
}

#[derive(Debug)]
struct Heard {
    number: String,
    state: String,
    timestamp: String,
    status: Status,
    /// Held until then, to be ordered.
    until: SystemTime,
}

#[derive(Debug)]
struct Entry {
    call: TrackedCall,
    heard: Vec<Heard>,
    pushed_record: Option<CallRecord>,
    /// When the next query (or search) is due; `None`: none planned.
    next_query: Option<SystemTime>,
    backoff: Duration,
    in_flight: bool,
    /// Completed / Resolved queued, not yet handed out.
    finished: bool,
    overdue_queued: bool,
    cursor: Option<String>,
    /// When its last search was taken (an outcome unknown): a hint brings
    /// the next one no sooner than [`FIRST_BACKOFF`] after it.
    last_search: Option<SystemTime>,
}

struct Orphan {
    push: OrphanPush,
    request_id: String,
    until: SystemTime,
    /// What it holds, counted against [`MAX_ORPHAN_BYTES`].
    bytes: usize,
}

enum OrphanPush {
    State(record::StatePush),
    Record(CallRecord),
}

struct State {
    entries: HashMap<String, Entry>,
    /// Keys of outcome-unknown entries (few): matched by customParm.
    unknowns: HashSet<String>,
    events: VecDeque<Event>,
    queued_unrecognised: usize,
    /// (release time, key) of held states, in arrival order.
    held: VecDeque<(SystemTime, String)>,
    orphans: VecDeque<Orphan>,
    /// The sum of the orphans' `bytes`.
    orphan_bytes: usize,
    /// (due, sequence, key) of planned queries; stale ones are skipped.
    queries: BinaryHeap<Reverse<(SystemTime, u64, String)>>,
    /// (due, sequence, key) of overdue alerts.
    overdue: BinaryHeap<Reverse<(SystemTime, u64, String)>>,
    timer_seq: u64,
    finished: HashSet<String>,
    finished_order: VecDeque<String>,
    /// When the queries of the last minute were sent (the budget: at most
    /// `queries_per_minute` in any minute), oldest first.
    recent_queries: VecDeque<SystemTime>,
    rate_pause_until: Option<SystemTime>,
    rate_pause: Duration,
    stats: TrackerStats,
    /// Passes of `next_event`'s loop (tests count them: no busy waiting).
    passes: u64,
}

struct Shared {
    client: Arc<Client>,
    options: TrackerOptions,
    state: Mutex<State>,
    cv: Condvar,
    /// [`Tracker::close`] was called.
    closed: std::sync::atomic::AtomicBool,
}

/// Watches calls and delivers their fate: see the [module](self) docs.
///
/// `Send + Sync`: `on_push` from the HTTP server's threads and `next_event`
/// from the event loop, at once.
pub struct Tracker {
    shared: Arc<Shared>,
}

impl fmt::Debug for Tracker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tracker")
            .field("options", &self.shared.options)
            .finish()
    }
}

/// Whether two phone numbers are the same leg: one ends with the other
/// (the platform may add or drop a prefix), comparing digits only, the
/// shorter holding at least 5 digits.
fn same_number(a: &str, b: &str) -> bool {
    let d = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
    let (a, b) = (d(a), d(b));
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    short.len() >= 5 && long.ends_with(&short)
}

fn rank(state: &str) -> Option<u8> {
    match state {
        "callout" => Some(1),
        "alerting" => Some(2),
        "answer" => Some(3),
        "disconnect" => Some(4),
        _ => None,
    }
}

/// The leg a number is, for a call: `Ok(None)` when the call's numbers are
/// not known, `Err` when they are and it is neither.
fn leg_of(call: &TrackedCall, number: &str) -> std::result::Result<Option<Leg>, ()> {
    if call.src.is_none() && call.dst.is_none() {
        return Ok(None);
    }
    if call.src.as_deref().is_some_and(|s| same_number(s, number)) {
        return Ok(Some(Leg::Src));
    }
    if call.dst.as_deref().is_some_and(|d| same_number(d, number)) {
        return Ok(Some(Leg::Dst));
    }
    // One of the two is not known: a number that is not the known one may
    // be the other leg.
    match (&call.src, &call.dst) {
        (Some(_), None) => Ok(Some(Leg::Dst)),
        (None, Some(_)) => Ok(Some(Leg::Src)),
        _ => Err(()),
    }
}

/// `s`, or its first `max` bytes (at a character boundary) and "…".
fn cut(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// Whether `rid` can be a requestId at all (1 to 64 ASCII letters or
/// digits): a push claiming anything else matches no call.
fn is_request_id(rid: &str) -> bool {
    crate::request::request_id_text("requestid", rid).is_ok()
}

/// A leg's identity within a call: its [`Leg`], or its number.
fn leg_key(call: &TrackedCall, number: &str) -> String {
    match leg_of(call, number) {
        Ok(Some(l)) => l.name().to_string(),
        _ => number.chars().filter(char::is_ascii_digit).collect(),
    }
}

impl Entry {
    fn new(call: TrackedCall, now: SystemTime) -> Entry {
        let heard = call
            .states
            .iter()
            .map(|s| Heard {
                number: s.number.clone(),
                state: s.state.clone(),
                timestamp: s.timestamp.clone(),
                status: if s.delivered {
                    Status::Delivered
                } else {
                    Status::Held
                },
                until: now,
            })
            .collect();
        Entry {
            call,
            heard,
            pushed_record: None,
            next_query: None,
            backoff: FIRST_BACKOFF,
            in_flight: false,
            finished: false,
            overdue_queued: false,
            cursor: None,
            last_search: None,
        }
    }

    /// The bound: when the record must exist.
    fn bound(&self, o: &TrackerOptions) -> SystemTime {
        if let Some(t) = &self.call.ticket {
            return t.not_placed_after();
        }
        let ring =
            |t: Option<u32>| t.map_or(o.default_ring_timeout, |s| Duration::from_secs(s.into()));
        let credit = Duration::from_secs(self.call.credit.unwrap_or(o.assume_credit).into());
        let span = ring(self.call.src_timeout)
            .saturating_add(ring(self.call.dst_timeout))
            .saturating_add(credit)
            .saturating_add(o.record_delay);
        later(self.call.sent_at, span)
    }

    /// The call has ended by its pushes: the first leg hung up, and the
    /// second did too (or the first never answered: there was no second).
    fn ended(&self) -> bool {
        let mut legs: HashMap<String, (bool, bool)> = HashMap::new();
        for h in &self.heard {
            let e = legs.entry(leg_key(&self.call, &h.number)).or_default();
            e.0 |= h.state == "answer";
            e.1 |= h.state == "disconnect";
        }
        let known = self.call.src.is_some() || self.call.dst.is_some();
        if known {
            let src = legs.get("src").copied().unwrap_or_default();
            let dst = legs.get("dst").copied().unwrap_or_default();
            src.1 && (dst.1 || !src.0)
        } else {
            let down = legs.values().filter(|l| l.1).count();
            down >= 2 || (down == 1 && legs.len() == 1 && legs.values().all(|l| !l.0))
        }
    }

    fn to_pending(&self) -> TrackedCall {
        let mut call = self.call.clone();
        call.states = self
            .heard
            .iter()
            .map(|h| HeardState {
                number: h.number.clone(),
                state: h.state.clone(),
                timestamp: h.timestamp.clone(),
                delivered: matches!(h.status, Status::Delivered | Status::Stale),
            })
            .collect();
        call
    }
}

impl State {
    fn query_timer(&mut self, at: SystemTime, key: &str) {
        self.timer_seq += 1;
        self.queries
            .push(Reverse((at, self.timer_seq, key.to_string())));
    }

    fn overdue_timer(&mut self, at: SystemTime, key: &str) {
        self.timer_seq += 1;
        self.overdue
            .push(Reverse((at, self.timer_seq, key.to_string())));
    }

    /// Plan the entry's next query at `at` (earlier than what is planned
    /// only when `earlier_only`).
    fn plan(&mut self, key: &str, at: SystemTime, earlier_only: bool, o: &TrackerOptions) {
        if o.verify == Verify::Never {
            return;
        }
        let Some(e) = self.entries.get_mut(key) else {
            return;
        };
        if e.finished {
            return;
        }
        if earlier_only && e.next_query.is_some_and(|n| n <= at) {
            return;
        }
        e.next_query = Some(at);
        self.query_timer(at, key);
    }

    fn push_event(&mut self, ev: Event) {
        if ev.kind == EventKind::UnrecognisedPush {
            if self.queued_unrecognised >= MAX_QUEUED_UNRECOGNISED {
                return;
            }
            self.queued_unrecognised += 1;
        }
        self.events.push_back(ev);
    }

    fn unrecognised(&mut self, request_id: &str, reason: String) {
        // Both may come from a forged push: what is kept of them is short.
        let request_id = cut(request_id, MAX_PUSH_TEXT_BYTES);
        let reason = cut(&reason, 4 * MAX_PUSH_TEXT_BYTES);
        self.stats.unrecognised += 1;
        log::log(LogLevel::Warn, || {
            format!("push dropped: {reason} (requestId {request_id:?})")
        });
        let mut ev = Event::new(EventKind::UnrecognisedPush, None, reason);
        ev.request_id = request_id;
        self.push_event(ev);
    }

    /// Hand out held states of `key` that are due (all of them when
    /// `force`), each leg's in order; older than a state already handed
    /// out: dropped.
    fn release(&mut self, key: &str, now: SystemTime, force: bool) {
        let Some(e) = self.entries.get_mut(key) else {
            return;
        };
        let mut due: Vec<usize> = (0..e.heard.len())
            .filter(|&i| e.heard[i].status == Status::Held && (force || e.heard[i].until <= now))
            .collect();
        if due.is_empty() {
            return;
        }
        // In the order they happened (by their timestamps, then each leg's
        // order of states); a state without a readable timestamp last.
        let key = |h: &Heard| {
            let at = record::parse_time(&h.timestamp).map_or(i64::MAX, |t| t.unix_timestamp());
            (at, rank(&h.state).unwrap_or(0))
        };
        due.sort_by_key(|&i| key(&e.heard[i]));
        let mut events = Vec::new();
        let mut stale = 0;
        for i in due {
            let lk = leg_key(&e.call, &e.heard[i].number);
            let last = e
                .heard
                .iter()
                .filter(|h| matches!(h.status, Status::Queued | Status::Delivered))
                .filter(|h| leg_key(&e.call, &h.number) == lk)
                .filter_map(|h| rank(&h.state))
                .max();
            let r = rank(&e.heard[i].state);
            if let (Some(r), Some(last)) = (r, last) {
                if r <= last {
                    e.heard[i].status = Status::Stale;
                    stale += 1;
                    continue;
                }
            }
            e.heard[i].status = Status::Queued;
            let h = &e.heard[i];
            let mut ev = Event::new(EventKind::LegState, Some(&e.call), "");
            ev.state = Some(CallState::from_wire(&h.state));
            ev.number = Some(h.number.clone());
            ev.leg = leg_of(&e.call, &h.number).ok().flatten();
            ev.timestamp = h.timestamp.clone();
            events.push(ev);
        }
        self.stats.stale += stale;
        for ev in events {
            self.push_event(ev);
        }
    }

    /// Queue the call's one Completed / Resolved event (its held states
    /// first).
    fn finish(&mut self, key: &str, mut ev: Event, now: SystemTime, o: &TrackerOptions) {
        self.release(key, now, true);
        let _ = o;
        let Some(e) = self.entries.get_mut(key) else {
            return;
        };
        if e.finished {
            return;
        }
        e.finished = true;
        e.next_query = None;
        ev.key = key.to_string();
        if ev.kind == EventKind::Resolved && !ev.request_id.is_empty() {
            // From now on its pushes are late, not unrecognised.
            self.remember_finished(ev.request_id.clone());
        }
        self.push_event(ev);
    }

    fn completed(
        &mut self,
        key: &str,
        record: CallRecord,
        verified: bool,
        now: SystemTime,
        o: &TrackerOptions,
    ) {
        let Some(e) = self.entries.get(key) else {
            return;
        };
        let mut ev = Event::new(EventKind::Completed, Some(&e.call), "");
        ev.record = Some(record);
        ev.verified = verified;
        self.finish(key, ev, now, o);
    }

    fn remember_finished(&mut self, key: String) {
        if self.finished.insert(key.clone()) {
            self.finished_order.push_back(key);
            if self.finished_order.len() > MAX_FINISHED {
                if let Some(old) = self.finished_order.pop_front() {
                    self.finished.remove(&old);
                }
            }
        }
    }

    /// The application received `ev`.
    fn delivered(&mut self, ev: &Event) {
        self.stats.events += 1;
        match ev.kind {
            EventKind::UnrecognisedPush => {
                self.queued_unrecognised = self.queued_unrecognised.saturating_sub(1);
            }
            EventKind::LegState => {
                if let Some(e) = self.entries.get_mut(&ev.key) {
                    let state = ev.state.as_ref().map_or("", CallState::as_str);
                    if let Some(h) = e.heard.iter_mut().find(|h| {
                        h.status == Status::Queued
                            && Some(h.number.as_str()) == ev.number.as_deref()
                            && h.state == state
                            && h.timestamp == ev.timestamp
                    }) {
                        h.status = Status::Delivered;
                    }
                }
            }
            EventKind::Overdue => {
                if let Some(e) = self.entries.get_mut(&ev.key) {
                    e.call.overdue_reported = true;
                }
            }
            EventKind::Completed | EventKind::Resolved => {
                if self.entries.remove(&ev.key).is_some() {
                    self.unknowns.remove(&ev.key);
                    self.remember_finished(ev.key.clone());
                    if !ev.request_id.is_empty() && ev.request_id != ev.key {
                        self.remember_finished(ev.request_id.clone());
                    }
                }
            }
        }
    }

    /// When a query may be sent: `None` now, or when a -104 pause ends or
    /// the budget frees one.
    fn budget_free_at(&mut self, now: SystemTime, o: &TrackerOptions) -> Option<SystemTime> {
        if let Some(until) = self.rate_pause_until.filter(|u| *u > now) {
            return Some(until);
        }
        self.budget_frees_at(now, o)
    }

    /// When the budget (at most `queries_per_minute` queries in any
    /// minute) frees a query: `None` now.
    fn budget_frees_at(&mut self, now: SystemTime, o: &TrackerOptions) -> Option<SystemTime> {
        if self.free_queries(now, o) > 0 {
            return None;
        }
        let oldest = self.recent_queries.front().copied().unwrap_or(now);
        Some(later(oldest, QUERY_WINDOW).max(later(now, Duration::from_millis(1))))
    }

    /// How many queries the budget allows now.
    fn free_queries(&mut self, now: SystemTime, o: &TrackerOptions) -> usize {
        if self
            .recent_queries
            .back()
            .is_some_and(|t| *t > later(now, QUERY_WINDOW))
        {
            // The wall clock went back: start the window again.
            self.recent_queries.clear();
        }
        while self
            .recent_queries
            .front()
            .is_some_and(|t| later(*t, QUERY_WINDOW) <= now)
        {
            self.recent_queries.pop_front();
        }
        (o.queries_per_minute as usize).saturating_sub(self.recent_queries.len())
    }

    /// Give back `n` queries taken at `at` and not sent.
    fn refund_queries(&mut self, at: SystemTime, mut n: u32) {
        while n > 0 {
            let Some(i) = self.recent_queries.iter().rposition(|t| *t == at) else {
                return;
            };
            self.recent_queries.remove(i);
            n -= 1;
        }
    }
}

/// One piece of network work, done outside the lock.
enum Job {
    Query {
        key: String,
        request_id: String,
        fid: String,
    },
    Search {
        key: String,
        ticket: Ticket,
        cursor: Option<String>,
        pages: u32,
        /// When its pages were taken from the budget.
        taken_at: SystemTime,
    },
}

impl Tracker {
    /// A tracker over `client`, attached to it: every callback call the
    /// client places from now on is tracked (see the [module](self) docs).
    /// Bad options: an error naming the option.
    pub fn new(client: Arc<Client>, options: TrackerOptions) -> Result<Tracker> {
        options.validate()?;
        let shared = Arc::new(Shared {
            client: client.clone(),
            state: Mutex::new(State {
                entries: HashMap::new(),
                unknowns: HashSet::new(),
                events: VecDeque::new(),
                queued_unrecognised: 0,
                held: VecDeque::new(),
                orphans: VecDeque::new(),
                orphan_bytes: 0,
                queries: BinaryHeap::new(),
                overdue: BinaryHeap::new(),
                timer_seq: 0,
                finished: HashSet::new(),
                finished_order: VecDeque::new(),
                recent_queries: VecDeque::new(),
                rate_pause_until: None,
                rate_pause: FIRST_RATE_PAUSE,
                stats: TrackerStats::default(),
                passes: 0,
            }),
            options,
            cv: Condvar::new(),
            closed: std::sync::atomic::AtomicBool::new(false),
        });
        let weak: Weak<Shared> = Arc::downgrade(&shared);
        client.attach(weak);
        Ok(Tracker { shared })
    }

    /// The options it was made with.
    pub fn options(&self) -> &TrackerOptions {
        &self.shared.options
    }

    /// Counters since it was made.
    pub fn stats(&self) -> TrackerStats {
        self.shared.lock().stats
    }

    /// Take a push: `body` as POSTed, `query` the URL's query (`"Call"`,
    /// `"CallState"`, a whole target such as `"/ytx/push?Call"`, or `None`:
    /// route by the body's shape). Answers at once with the HTTP status to
    /// send, never touching the network: 200 for anything that is JSON
    /// (used, duplicate, late or unrecognised), 400 for a body that is not
    /// JSON, 413 for one over 4 MiB.
    pub fn on_push(&self, body: &[u8], query: Option<&str>) -> u16 {
        if body.len() > MAX_RECORDS_BYTES {
            self.shared.lock().stats.pushes += 1;
            return 413;
        }
        let parsed = record::parse_push_routed(body, query.unwrap_or("")).map_err(|e| {
            // Read outside the lock: no other push waits for this one.
            let json = serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok();
            let claimed = json.then(|| {
                serde_json::from_slice::<serde_json::Value>(body)
                    .ok()
                    .and_then(|v| {
                        v.get("requestid")
                            .or_else(|| v.get("requestId"))
                            .and_then(|r| r.as_str().map(str::to_string))
                    })
                    .unwrap_or_default()
            });
            (claimed, e)
        });
        let mut st = self.shared.lock();
        st.stats.pushes += 1;
        let push = match parsed {
            Ok(p) => p,
            Err((claimed, e)) => {
                let Some(claimed) = claimed else {
                    return 400;
                };
                st.unrecognised(&claimed, e.to_string());
                self.shared.cv.notify_all();
                return 200;
            }
        };
        let (now, _) = self.shared.options.clock.now();
        match push {
            Push::State(s) => self.shared.state_push(&mut st, s, now, true),
            Push::Records(records) => {
                for r in records {
                    self.shared.record_push(&mut st, r, now, true);
                }
            }
        }
        self.shared.cv.notify_all();
        200
    }

    /// Watch a call placed elsewhere, or restore one from [`Tracker::pending`]
    /// (its states marked delivered are never handed out again). A call
    /// already watched is left as it is; one this tracker already completed
    /// is not watched again. An error names the field.
    pub fn track(&self, call: TrackedCall) -> Result<()> {
        call.validate()?;
        let (now, _) = self.shared.options.clock.now();
        let mut st = self.shared.lock();
        self.shared.insert(&mut st, call, now)?;
        self.shared.cv.notify_all();
        Ok(())
    }

    /// Close the tracker: every `next_event`, waiting now or called later,
    /// returns `None` at once (for a shutdown, or a C handle freed while a
    /// thread waits). Pushes are still answered; nothing is tracked any
    /// more.
    pub fn close(&self) {
        self.shared
            .closed
            .store(true, std::sync::atomic::Ordering::Release);
        let _st = self.shared.lock();
        self.shared.cv.notify_all();
    }

    /// Advance the tracker's clock by `d` when it is a [`ManualClock`]
    /// (tests), waking `next_event`; an error naming `clock` otherwise.
    pub fn advance_clock(&self, d: Duration) -> Result<()> {
        let clock = self.shared.options.clock.as_manual().ok_or_else(|| {
            Error::invalid(
                "clock",
                "the tracker's clock is not manual (set the option clock to manual)",
            )
        })?;
        clock.advance(d);
        let _st = self.shared.lock();
        self.shared.cv.notify_all();
        Ok(())
    }

    /// Stop watching a call, by its key ([`TrackedCall::key`]: the
    /// requestId, or `unknown:` and the customParm of an *outcome
    /// unknown*). `true` when it was watched.
    pub fn forget(&self, key: &str) -> bool {
        let mut st = self.shared.lock();
        st.unknowns.remove(key);
        st.entries.remove(key).is_some()
    }

    /// What it still watches, with what the application already received
    /// (see [`HeardState::delivered`], [`TrackedCall::overdue_reported`]):
    /// keep it, and [`Tracker::track`] each item in a new tracker after a
    /// restart. In no particular order.
    pub fn pending(&self) -> Vec<TrackedCall> {
        let st = self.shared.lock();
        st.entries.values().map(Entry::to_pending).collect()
    }

    /// The next event, waiting up to `timeout` (`None`: until there is
    /// one). The tracker's work happens here, on the calling thread: due
    /// record queries (so it may take up to the client's timeout longer
    /// than `timeout`), held states, overdue alerts. `None` when the time
    /// is up. Any number of threads may wait at once; each event goes to
    /// one of them.
    pub fn next_event(&self, timeout: Option<Duration>) -> Option<Event> {
        let started = Instant::now();
        let deadline = timeout.and_then(|t| started.checked_add(t));
        let sh = &*self.shared;
        let mut st = sh.lock();
        loop {
            st.passes += 1;
            if sh.closed.load(std::sync::atomic::Ordering::Acquire) {
                return None;
            }
            if let Some(ev) = st.events.pop_front() {
                st.delivered(&ev);
                return Some(ev);
            }
            let (now, _) = sh.options.clock.now();
            sh.due_work(&mut st, now);
            if !st.events.is_empty() {
                continue;
            }
            if let Some(job) = sh.take_job(&mut st, now) {
                drop(st);
                let outcome = sh.run(&job);
                st = sh.lock();
                let (now, _) = sh.options.clock.now();
                sh.apply(&mut st, job, outcome, now);
                continue;
            }
            let real_left = match deadline {
                Some(d) => match d.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => Some(left),
                    _ => return None,
                },
                None => None,
            };
            let wake = sh.next_wake(&mut st, now).map(|w| {
                w.duration_since(now)
                    .unwrap_or(Duration::from_millis(1))
                    .max(Duration::from_millis(1))
            });
            let wait = match (real_left, wake) {
                (Some(a), Some(b)) => a.min(b),
                (Some(a), None) => a,
                (None, Some(b)) => b,
                (None, None) => Duration::from_secs(3600),
            };
            st = sh
                .cv
                .wait_timeout(st, wait)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }
}

/// What a job's network work produced.
enum JobOutcome {
    Query(Result<Option<CallRecord>>),
    Search(Result<resolve::Resolution>, u32),
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn insert(&self, st: &mut State, call: TrackedCall, now: SystemTime) -> Result<()> {
        let key = call.key();
        if st.entries.contains_key(&key) || st.finished.contains(&key) {
            return Ok(());
        }
        if st.entries.len() >= self.options.max_tracked {
            return Err(Error::invalid(
                "max_tracked",
                format!(
                    "the tracker already watches {} calls (its max_tracked)",
                    self.options.max_tracked
                ),
            ));
        }
        let o = &self.options;
        let entry = Entry::new(call, later(now, o.reorder_window));
        let unknown = entry.call.request_id.is_none();
        let bound = entry.bound(o);
        let first = if unknown {
            // A search before the bound can only find it placed: early,
            // cheap when placed; the bound's search settles "not placed".
            later(entry.call.sent_at, o.after_disconnect).min(bound)
        } else if entry.call.record_pushed || entry.ended() {
            now
        } else {
            bound
        };
        let overdue_reported = entry.call.overdue_reported;
        let held = entry.heard.iter().any(|h| h.status == Status::Held);
        st.entries.insert(key.clone(), entry);
        if unknown {
            st.unknowns.insert(key.clone());
        }
        self.plan_unknown_or_call(st, &key, first);
        if !overdue_reported {
            st.overdue_timer(later(bound, o.overdue_after), &key);
        }
        if held {
            st.held
                .push_back((later(now, o.reorder_window), key.clone()));
        }
        // Pushes that came before the call was tracked.
        let orphans = std::mem::take(&mut st.orphans);
        for orphan in orphans {
            let matches =
                Some(orphan.request_id.as_str()) == st.entries[&key].call.request_id.as_deref();
            if !matches {
                st.orphans.push_back(orphan);
                continue;
            }
            st.orphan_bytes -= orphan.bytes;
            match orphan.push {
                OrphanPush::State(s) => self.state_push(st, s, now, false),
                OrphanPush::Record(r) => self.record_push(st, r, now, false),
            }
        }
        Ok(())
    }

    fn plan_unknown_or_call(&self, st: &mut State, key: &str, at: SystemTime) {
        st.plan(key, at, false, &self.options);
    }

    fn orphan(&self, st: &mut State, request_id: &str, push: OrphanPush, now: SystemTime) {
        let fields = match &push {
            OrphanPush::State(s) => s.fields(),
            OrphanPush::Record(r) => r.fields(),
        };
        let bytes = request_id.len() + fields.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>();
        if st.orphans.len() >= MAX_ORPHANS || st.orphan_bytes + bytes > MAX_ORPHAN_BYTES {
            st.unrecognised(
                request_id,
                format!("no tracked call has requestId {request_id:?}"),
            );
            return;
        }
        st.orphan_bytes += bytes;
        st.orphans.push_back(Orphan {
            push,
            request_id: request_id.to_string(),
            until: later(now, self.options.orphan_window),
            bytes,
        });
    }

    fn state_push(&self, st: &mut State, s: record::StatePush, now: SystemTime, fresh: bool) {
        let rid = s.request_id();
        if !is_request_id(rid) {
            let why = format!("not a requestId: {:?}", cut(rid, MAX_PUSH_TEXT_BYTES));
            st.unrecognised(rid, why);
            return;
        }
        let rid = rid.to_string();
        let Some(e) = st.entries.get_mut(&rid) else {
            if st.finished.contains(&rid) {
                st.stats.late += 1;
            } else if self.hint_by_custom_parm(st, s.get("customParm"), now) {
                // An outcome unknown's push: it brought the search forward.
            } else if fresh {
                self.orphan(st, &rid, OrphanPush::State(s), now);
            } else {
                st.unrecognised(&rid, format!("no tracked call has requestId {rid:?}"));
            }
            return;
        };
        if e.finished {
            st.stats.late += 1;
            return;
        }
        if [s.number(), s.state().as_str(), s.timestamp_text()]
            .iter()
            .any(|t| t.len() > MAX_PUSH_TEXT_BYTES)
        {
            let why = format!(
                "state push for requestId {rid:?}: its dsc, state or timestamp is longer than {MAX_PUSH_TEXT_BYTES} bytes"
            );
            st.unrecognised(&rid, why);
            return;
        }
        let number = s.number().to_string();
        if leg_of(&e.call, &number).is_err() {
            let why = format!(
                "state push for requestId {rid:?}: its number (dsc) is neither of the call's"
            );
            st.unrecognised(&rid, why);
            return;
        }
        if let (Some(mine), Some(theirs)) = (&e.call.custom_parm, s.get("customParm")) {
            if !theirs.is_empty() && mine != theirs {
                let why =
                    format!("state push for requestId {rid:?}: its customParm is not the call's");
                st.unrecognised(&rid, why);
                return;
            }
        }
        let (state, ts) = (
            s.state().as_str().to_string(),
            s.timestamp_text().to_string(),
        );
        if e.heard
            .iter()
            .any(|h| h.number == number && h.state == state && h.timestamp == ts)
        {
            st.stats.duplicates += 1;
            return;
        }
        if e.heard.len() >= MAX_STATES_PER_CALL {
            let why = format!(
                "state push for requestId {rid:?}: the call already has {MAX_STATES_PER_CALL} states"
            );
            st.unrecognised(&rid, why);
            return;
        }
        let was_ended = e.ended();
        e.heard.push(Heard {
            number,
            state,
            timestamp: ts,
            status: Status::Held,
            until: later(now, self.options.reorder_window),
        });
        let ended = !was_ended && e.ended();
        st.held
            .push_back((later(now, self.options.reorder_window), rid.clone()));
        if ended {
            st.plan(
                &rid,
                later(now, self.options.after_disconnect),
                true,
                &self.options,
            );
        }
    }

    /// A push naming the customParm of an *outcome unknown*: search for it
    /// now (a hint only: the search is what settles it), or, when it was
    /// searched for lately, [`FIRST_BACKOFF`] after that search: forged
    /// pushes cannot use up the query budget.
    fn hint_by_custom_parm(&self, st: &mut State, parm: Option<&str>, now: SystemTime) -> bool {
        let Some(parm) = parm.filter(|p| !p.is_empty()) else {
            return false;
        };
        let key = format!("unknown:{parm}");
        if st.unknowns.contains(&key) {
            st.stats.hints += 1;
            let at = st
                .entries
                .get(&key)
                .and_then(|e| e.last_search)
                .map_or(now, |last| later(last, FIRST_BACKOFF).max(now));
            st.plan(&key, at, true, &self.options);
            return true;
        }
        false
    }

    fn record_push(&self, st: &mut State, r: CallRecord, now: SystemTime, fresh: bool) {
        let rid = r.request_id().to_string();
        if !is_request_id(&rid) {
            if !self.hint_by_custom_parm(st, r.custom_parm(), now) {
                let why = format!("not a requestId: {:?}", cut(&rid, MAX_PUSH_TEXT_BYTES));
                st.unrecognised(&rid, why);
            }
            return;
        }
        let Some(e) = st.entries.get_mut(&rid) else {
            if st.finished.contains(&rid) {
                st.stats.late += 1;
            } else if self.hint_by_custom_parm(st, r.custom_parm(), now) {
                // Settled by the search it brought forward.
            } else if fresh && !rid.is_empty() {
                self.orphan(st, &rid, OrphanPush::Record(r), now);
            } else {
                st.unrecognised(&rid, format!("no tracked call has requestId {rid:?}"));
            }
            return;
        };
        if e.finished {
            st.stats.late += 1;
            return;
        }
        let mismatch = if r.app_id().is_some_and(|a| a != self.client.app_id()) {
            Some("its appid is not this client's")
        } else if let (Some(mine), Some(theirs)) = (&e.call.src, r.caller()) {
            (!same_number(mine, theirs)).then_some("its caller is not the call's src")
        } else {
            None
        }
        .or_else(|| match (&e.call.dst, r.called()) {
            (Some(mine), Some(theirs)) if !same_number(mine, theirs) => {
                Some("its called is not the call's dst")
            }
            _ => None,
        })
        .or_else(|| match (&e.call.custom_parm, r.custom_parm()) {
            (Some(mine), Some(theirs)) if mine != theirs => {
                Some("its customParm is not the call's")
            }
            _ => None,
        });
        if let Some(why) = mismatch {
            st.unrecognised(&rid, format!("record push for requestId {rid:?}: {why}"));
            return;
        }
        // A duplicate only when this tracker holds the record: a call
        // restored with `record_pushed` lost it (verify=never queries never),
        // so the platform's retry is what completes it.
        if e.pushed_record.is_some() {
            st.stats.duplicates += 1;
            return;
        }
        e.call.record_pushed = true;
        e.pushed_record = Some(r.clone());
        match self.options.verify {
            Verify::Always => st.plan(&rid, now, true, &self.options),
            Verify::WhenNoRecordPush | Verify::Never => {
                st.completed(&rid, r, false, now, &self.options)
            }
        }
    }

    /// Held states due, orphans expired, overdue alerts.
    fn due_work(&self, st: &mut State, now: SystemTime) {
        while st.held.front().is_some_and(|(t, _)| *t <= now) {
            let (_, key) = st.held.pop_front().expect("checked");
            st.release(&key, now, false);
        }
        while st.orphans.front().is_some_and(|x| x.until <= now) {
            let x = st.orphans.pop_front().expect("checked");
            st.orphan_bytes -= x.bytes;
            if st.finished.contains(&x.request_id) {
                // An outcome unknown's push, its call resolved since.
                st.stats.late += 1;
                continue;
            }
            st.unrecognised(
                &x.request_id,
                format!("no tracked call has requestId {:?}", x.request_id),
            );
        }
        while st.overdue.peek().is_some_and(|Reverse(t)| t.0 <= now) {
            let Reverse((_, _, key)) = st.overdue.pop().expect("peeked");
            let Some(e) = st.entries.get_mut(&key) else {
                continue;
            };
            if e.finished || e.overdue_queued || e.call.overdue_reported {
                continue;
            }
            e.overdue_queued = true;
            let why = if e.call.request_id.is_some() {
                "no record yet, long after the time by which it must exist"
            } else {
                "outcome unknown not yet resolved, long after its bound"
            };
            let mut ev = Event::new(EventKind::Overdue, Some(&e.call), why);
            ev.key = key;
            st.push_event(ev);
        }
    }

    fn take_job(&self, st: &mut State, now: SystemTime) -> Option<Job> {
        if self.options.verify == Verify::Never {
            return None;
        }
        if st.queries.peek().is_some_and(|Reverse(t)| t.0 <= now)
            && st.budget_free_at(now, &self.options).is_some()
        {
            // Due queries wait where they are; `next_wake` wakes for the
            // budget, not for them.
            return None;
        }
        loop {
            let Reverse((at, _, key)) = st.queries.peek()?.clone();
            if at > now {
                return None;
            }
            let valid = st
                .entries
                .get(&key)
                .is_some_and(|e| !e.finished && !e.in_flight && e.next_query == Some(at));
            st.queries.pop();
            if !valid {
                continue;
            }
            st.recent_queries.push_back(now);
            // A search may read more pages, as many as the budget allows
            // now (taken now, the ones not read given back).
            let more = (st.free_queries(now, &self.options) as u32).min(MAX_PAGES_PER_SEARCH - 1);
            let e = st.entries.get_mut(&key).expect("checked");
            e.in_flight = true;
            e.next_query = None;
            st.stats.queries += 1;
            return Some(match (&e.call.request_id, &e.call.ticket) {
                (Some(id), _) => Job::Query {
                    key,
                    request_id: id.clone(),
                    fid: e.call.fid.clone(),
                },
                (None, Some(t)) => {
                    e.last_search = Some(now);
                    let job = Job::Search {
                        key,
                        ticket: t.clone(),
                        cursor: e.cursor.clone(),
                        pages: 1 + more,
                        taken_at: now,
                    };
                    for _ in 0..more {
                        st.recent_queries.push_back(now);
                    }
                    job
                }
                (None, None) => {
                    e.in_flight = false;
                    continue;
                }
            });
        }
    }

    fn run(&self, job: &Job) -> JobOutcome {
        match job {
            Job::Query {
                request_id, fid, ..
            } => JobOutcome::Query(
                self.client
                    .call_record_with(&RecordQuery::of(request_id.as_str()).fid(fid.as_str())),
            ),
            Job::Search {
                ticket,
                cursor,
                pages,
                ..
            } => {
                let mut used = 0u32;
                let options = ResolveOptions::new()
                    .max_pages(*pages)
                    .cursor(cursor.as_deref());
                let clock = self.options.clock.clone();
                let r = resolve::search_at(ticket, &options, &|| clock.now(), |q, until| {
                    used += 1;
                    self.client.call_records_until(q, until)
                });
                JobOutcome::Search(r, used)
            }
        }
    }

    fn failed(&self, st: &mut State, key: &str, e: &Error, now: SystemTime) {
        let o = &self.options;
        if e.status_code() == Some(RATE_LIMITED_STATUS_CODE) {
            st.stats.rate_limited += 1;
            let pause = st.rate_pause;
            st.rate_pause = (pause * 2).min(MAX_RATE_PAUSE);
            st.rate_pause_until = Some(later(now, pause));
            st.plan(key, later(now, pause), false, o);
        } else {
            st.stats.query_errors += 1;
            self.backoff(st, key, now);
        }
        log::log(LogLevel::Warn, || {
            format!("tracker: record query for {key} failed: {e}")
        });
    }

    fn backoff(&self, st: &mut State, key: &str, now: SystemTime) {
        let o = &self.options;
        let Some(e) = st.entries.get_mut(key) else {
            return;
        };
        let mut at = later(now, e.backoff);
        e.backoff = (e.backoff * 2).min(MAX_BACKOFF);
        // Never sleep past the bound: the bound's query settles it.
        let bound = e.bound(o);
        if bound > now && at > bound {
            at = bound;
        }
        if let Some(t) = &e.call.ticket {
            let (wall, mono) = o.clock.now();
            let b = t.bound_passes_at(wall, mono);
            if b > now && at > b {
                at = b;
            }
        }
        st.plan(key, at, false, o);
    }

    fn apply(&self, st: &mut State, job: Job, outcome: JobOutcome, now: SystemTime) {
        let o = &self.options;
        let key = match &job {
            Job::Query { key, .. } | Job::Search { key, .. } => key.clone(),
        };
        if let (
            Job::Search {
                pages, taken_at, ..
            },
            JobOutcome::Search(_, used),
        ) = (&job, &outcome)
        {
            // The pages the budget gave and the search did not read.
            st.refund_queries(*taken_at, pages.saturating_sub((*used).max(1)));
        }
        match st.entries.get_mut(&key) {
            Some(e) => e.in_flight = false,
            None => return,
        }
        match outcome {
            JobOutcome::Query(Ok(Some(record))) => {
                st.rate_pause = FIRST_RATE_PAUSE;
                st.completed(&key, record, true, now, o);
            }
            JobOutcome::Query(Ok(None)) => {
                st.rate_pause = FIRST_RATE_PAUSE;
                self.backoff(st, &key, now);
            }
            JobOutcome::Query(Err(e)) => self.failed(st, &key, &e, now),
            JobOutcome::Search(r, used) => {
                st.stats.queries += u64::from(used.saturating_sub(1));
                match r {
                    Err(e) => self.failed(st, &key, &e, now),
                    Ok(res) => {
                        st.rate_pause = FIRST_RATE_PAUSE;
                        let e = &st.entries[&key];
                        let mut ev = Event::new(EventKind::Resolved, Some(&e.call), res.reason());
                        ev.verified = true;
                        match res.status() {
                            ResolutionStatus::Placed => {
                                let record = res.record().cloned();
                                ev.request_id = record
                                    .as_ref()
                                    .map(|r| r.request_id().to_string())
                                    .unwrap_or_default();
                                ev.record = record;
                                ev.placed = Some(true);
                                st.finish(&key, ev, now, o);
                            }
                            ResolutionStatus::NotPlaced => {
                                ev.placed = Some(false);
                                st.finish(&key, ev, now, o);
                            }
                            ResolutionStatus::CannotBeResolved => {
                                ev.verified = false;
                                st.finish(&key, ev, now, o);
                            }
                            ResolutionStatus::NotKnownYet => {
                                let cursor = res.cursor().map(str::to_string);
                                if let Some(e) = st.entries.get_mut(&key) {
                                    e.cursor = cursor;
                                }
                                self.backoff(st, &key, now);
                            }
                        }
                    }
                }
            }
        }
    }

    /// The earliest time something is due (a held state, an orphan, a timer;
    /// a query no sooner than the budget or a -104 pause allows).
    fn next_wake(&self, st: &mut State, now: SystemTime) -> Option<SystemTime> {
        let query = st.queries.peek().map(|Reverse(t)| t.0).map(|at| {
            match st.budget_free_at(now, &self.options) {
                Some(free) => at.max(free),
                None => at,
            }
        });
        [
            st.held.front().map(|h| h.0),
            st.orphans.front().map(|x| x.until),
            query,
            st.overdue.peek().map(|Reverse(t)| t.0),
        ]
        .into_iter()
        .flatten()
        .min()
    }
}

impl CallObserver for Shared {
    fn accepted(&self, request_id: &str, body: &str) {
        if self.closed.load(std::sync::atomic::Ordering::Acquire)
            || crate::request::request_id_text("request_id", request_id).is_err()
        {
            return;
        }
        let (now, _) = self.options.clock.now();
        let call = TrackedCall::from_body(body, Some(request_id), now);
        let mut st = self.lock();
        if let Err(e) = self.insert(&mut st, call, now) {
            log::log(LogLevel::Error, || {
                format!("tracker: call {request_id} not tracked: {e}")
            });
        }
        self.cv.notify_all();
    }

    fn unknown(&self, ticket: &Ticket, body: &str) {
        if ticket.kind() != TicketKind::CallbackCall {
            return;
        }
        let (now, _) = self.options.clock.now();
        let from_body = TrackedCall::from_body(body, None, now);
        let call = TrackedCall {
            src: from_body.src,
            dst: from_body.dst,
            ..TrackedCall::unknown(ticket.clone())
        };
        let mut st = self.lock();
        if let Err(e) = self.insert(&mut st, call, now) {
            log::log(LogLevel::Error, || {
                format!("tracker: outcome unknown not tracked: {e}")
            });
        }
        self.cv.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CallbackCall;

    const SRC: &str = "13800138000";
    const DST: &str = "13900139000";

    #[test]
    fn numbers_match_by_suffix() {
        assert!(same_number("13800138000", "8613800138000"));
        assert!(same_number("013800138000", "13800138000"));
        assert!(!same_number("13800138000", "13800138001"));
        assert!(!same_number("", ""));
        assert!(!same_number("8000", "13800138000"));
    }

    struct Rig {
        emu: ytx_emulator::Emulator,
        client: Arc<Client>,
        clock: Arc<ManualClock>,
        tracker: Tracker,
    }

    fn rig_with(options: TrackerOptions) -> Rig {
        let emu =
            ytx_emulator::Emulator::start(ytx_emulator::Config::default(), "127.0.0.1:0").unwrap();
        let client = Arc::new(
            Client::builder(
                ytx_emulator::DEMO_ACCOUNT_SID,
                ytx_emulator::DEMO_AUTH_TOKEN,
                ytx_emulator::DEMO_APP_ID,
            )
            .base_url(emu.base_url())
            .build()
            .unwrap(),
        );
        let clock = Arc::new(ManualClock::new());
        let tracker = Tracker::new(client.clone(), options.clock(clock.clone())).unwrap();
        Rig {
            emu,
            client,
            clock,
            tracker,
        }
    }

    fn rig() -> Rig {
        rig_with(TrackerOptions::new())
    }

    fn state(id: &str, dsc: &str, state: &str, ts: &str) -> Vec<u8> {
        format!(r#"{{"requestid":"{id}","dsc":"{dsc}","state":"{state}","stateDesc":"","timestamp":"2026-12-06 15:00:{ts}"}}"#).into_bytes()
    }

    /// Every event until none comes within a moment.
    fn drain(t: &Tracker) -> Vec<Event> {
        std::iter::from_fn(|| t.next_event(Some(Duration::from_millis(20)))).collect()
    }

    fn legs(events: &[Event]) -> Vec<(String, String)> {
        events
            .iter()
            .filter(|e| e.kind() == EventKind::LegState)
            .map(|e| {
                (
                    e.leg().map_or("?", Leg::name).to_string(),
                    e.state().unwrap().to_string(),
                )
            })
            .collect()
    }

    fn tracked(id: &str) -> TrackedCall {
        TrackedCall {
            src: Some(SRC.into()),
            dst: Some(DST.into()),
            credit: Some(100),
            ..TrackedCall::new(id)
        }
    }

    #[test]
    fn states_are_deduplicated_ordered_and_stale_ones_dropped() {
        let r = rig();
        let t = &r.tracker;
        t.track(tracked("1001")).unwrap();
        // Out of order within the window, and a duplicate.
        assert_eq!(
            t.on_push(&state("1001", DST, "alerting", "04"), Some("CallState")),
            200
        );
        assert_eq!(t.on_push(&state("1001", SRC, "callout", "00"), None), 200);
        assert_eq!(t.on_push(&state("1001", DST, "callout", "03"), None), 200);
        assert_eq!(t.on_push(&state("1001", DST, "callout", "03"), None), 200);
        // Held for the reorder window: nothing yet.
        assert!(drain(t).is_empty());
        r.clock.advance(Duration::from_secs(2));
        let got = legs(&drain(t));
        assert_eq!(
            got,
            [("src", "callout"), ("dst", "callout"), ("dst", "alerting")]
                .map(|(a, b)| (a.to_string(), b.to_string()))
        );
        // A state older than one delivered for its leg: dropped.
        t.on_push(&state("1001", DST, "callout", "02"), None);
        // The platform's prefix on the number: the same leg.
        t.on_push(&state("1001", &format!("86{DST}"), "answer", "09"), None);
        r.clock.advance(Duration::from_secs(2));
        assert_eq!(legs(&drain(t)), [("dst".to_string(), "answer".to_string())]);
        let s = t.stats();
        assert_eq!((s.duplicates, s.stale, s.unrecognised), (1, 1, 0));
    }

    #[test]
    fn forged_and_malformed_pushes_are_only_unrecognised() {
        let r = rig();
        let t = &r.tracker;
        t.track(tracked("1002")).unwrap();
        assert_eq!(t.on_push(b"not json", None), 400);
        assert_eq!(t.on_push(b"{}", None), 200);
        // A number that is neither leg's, a requestId nobody tracks, an
        // SMS report shaped like a state push, another app's record.
        assert_eq!(
            t.on_push(&state("1002", "13700137000", "answer", "01"), None),
            200
        );
        assert_eq!(t.on_push(&state("9999", SRC, "answer", "01"), None), 200);
        assert_eq!(
            t.on_push(&state("1002", SRC, "DELIVRD", "01"), Some("SMS")),
            200
        );
        let other_app = br#"{"cdr":[{"requestid":"1002","appid":"someone-else","caller":"13800138000","called":"13900139000"}]}"#;
        assert_eq!(t.on_push(other_app, Some("Call")), 200);
        let now = drain(t);
        assert_eq!(now.len(), 4, "{now:?}");
        // The unknown requestId waits out the orphan window first.
        r.clock.advance(Duration::from_secs(11));
        let later = drain(t);
        assert_eq!(later.len(), 1);
        assert_eq!(later[0].request_id(), "9999");
        assert!(now
            .iter()
            .chain(&later)
            .all(|e| e.kind() == EventKind::UnrecognisedPush));
        assert_eq!(t.stats().unrecognised, 5);
        // The call itself is untouched.
        assert_eq!(t.pending().len(), 1);
        assert!(t.pending()[0].states.is_empty());
    }

    #[test]
    fn forged_pushes_hold_bounded_memory() {
        let r = rig();
        let t = &r.tracker;
        t.track(tracked("1003")).unwrap();
        // Pushes for calls nobody tracks wait for their call, but only up
        // to MAX_ORPHAN_BYTES: ten 1 MiB ones do not all wait.
        let pad = "7".repeat(1 << 20);
        for i in 0..10 {
            let body = format!(
                r#"{{"requestid":"8{i}","dsc":"{SRC}","state":"answer","timestamp":"2026-12-06 15:00:01","x":"{pad}"}}"#
            );
            assert_eq!(t.on_push(body.as_bytes(), None), 200);
        }
        let at_once = drain(t);
        assert!(
            at_once.len() >= 10 - MAX_ORPHAN_BYTES / (1 << 20),
            "{}",
            at_once.len()
        );
        assert!(at_once
            .iter()
            .all(|e| e.kind() == EventKind::UnrecognisedPush));
        // A claimed requestId is kept (in the event and its reason) cut short.
        let body =
            format!(r#"{{"requestid":"{pad}","dsc":"{SRC}","state":"answer","timestamp":"x"}}"#);
        assert_eq!(t.on_push(body.as_bytes(), None), 200);
        let body = format!(r#"{{"requestid":{pad}}}"#);
        assert_eq!(t.on_push(body.as_bytes(), None), 200);
        let got = drain(t);
        assert_eq!(got.len(), 2, "{got:?}");
        for e in &got {
            assert_eq!(e.kind(), EventKind::UnrecognisedPush);
            assert!(
                e.request_id().len() <= MAX_PUSH_TEXT_BYTES + 3,
                "{}",
                e.request_id().len()
            );
            assert!(
                e.reason().len() <= 4 * MAX_PUSH_TEXT_BYTES,
                "{}",
                e.reason().len()
            );
        }
        // A tracked call keeps a bounded number of states, each of bounded
        // size: more, or longer, are unrecognised.
        let long =
            format!(r#"{{"requestid":"1003","dsc":"{SRC}","state":"answer","timestamp":"{pad}"}}"#);
        assert_eq!(t.on_push(long.as_bytes(), None), 200);
        for i in 0..100 {
            let body = format!(
                r#"{{"requestid":"1003","dsc":"{SRC}","state":"hold{i}","timestamp":"2026-12-06 15:00:{:02}"}}"#,
                i % 60
            );
            assert_eq!(t.on_push(body.as_bytes(), None), 200);
        }
        r.clock.advance(Duration::from_secs(2));
        let got = drain(t);
        let pending = t.pending();
        assert_eq!(pending.len(), 1);
        assert_eq!(pending[0].states.len(), MAX_STATES_PER_CALL);
        let unrecognised = got
            .iter()
            .filter(|e| e.kind() == EventKind::UnrecognisedPush)
            .count();
        assert_eq!(unrecognised, 1 + 100 - MAX_STATES_PER_CALL);
    }

    #[test]
    fn a_lost_record_is_found_by_the_query_after_the_bound_once() {
        let r = rig();
        let t = &r.tracker;
        let call = CallbackCall::new(SRC, DST, 100).custom_parm("lost-1");
        let id = r.client.callback_call(&call).unwrap().request_id;
        assert_eq!(t.pending().len(), 1);
        assert_eq!(t.pending()[0].custom_parm.as_deref(), Some("lost-1"));
        // Before the bound: nothing asked, nothing told.
        assert!(drain(t).is_empty());
        assert_eq!(t.stats().queries, 0);
        r.clock.advance(Duration::from_secs(60 + 60 + 100 + 60));
        let got = drain(t);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].kind(), EventKind::Completed);
        assert_eq!(got[0].request_id(), id);
        assert!(got[0].verified());
        let rec = got[0].record().unwrap();
        assert_eq!((rec.request_id(), rec.duration()), (id.as_str(), Some(10)));
        assert_eq!(got[0].custom_parm(), Some("lost-1"));
        assert_eq!(t.stats().queries, 1);
        assert!(t.pending().is_empty());
        // Late pushes of a finished call are neither events nor unrecognised.
        t.on_push(&state(&id, SRC, "disconnect", "13"), None);
        r.clock.advance(Duration::from_secs(3600 * 3));
        assert!(drain(t).is_empty());
        assert_eq!((t.stats().late, t.stats().unrecognised), (1, 0));
    }

    #[test]
    fn disconnects_bring_the_query_forward_and_a_record_push_is_confirmed() {
        let r = rig();
        let t = &r.tracker;
        let id = r
            .client
            .callback_call(&CallbackCall::new(SRC, DST, 3000))
            .unwrap()
            .request_id;
        t.on_push(&state(&id, SRC, "answer", "03"), None);
        t.on_push(&state(&id, SRC, "disconnect", "13"), None);
        t.on_push(&state(&id, DST, "disconnect", "13"), None);
        r.clock.advance(Duration::from_secs(19));
        let got = drain(t);
        assert_eq!(legs(&got).len(), 3);
        assert_eq!(t.stats().queries, 0);
        r.clock.advance(Duration::from_secs(2));
        let got = drain(t);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].kind(), EventKind::Completed);
        assert_eq!(t.stats().queries, 1);

        // A record push (verify always) is queried at once; a forged one
        // with the right requestId but another caller is unrecognised.
        let id = r
            .client
            .callback_call(&CallbackCall::new(SRC, DST, 3000))
            .unwrap()
            .request_id;
        let forged = format!(
            r#"{{"cdr":[{{"requestid":"{id}","caller":"13700137000","called":"{DST}","duration":3600}}]}}"#
        );
        t.on_push(forged.as_bytes(), Some("Call"));
        let pushed = format!(
            r#"{{"cdr":[{{"requestid":"{id}","caller":"{SRC}","called":"{DST}","duration":99}}]}}"#
        );
        t.on_push(pushed.as_bytes(), Some("Call"));
        t.on_push(pushed.as_bytes(), Some("Call"));
        let got = drain(t);
        let kinds: Vec<EventKind> = got.iter().map(Event::kind).collect();
        assert_eq!(kinds, [EventKind::UnrecognisedPush, EventKind::Completed]);
        // The queried record, not the pushed one.
        assert_eq!(got[1].record().unwrap().duration(), Some(10));
        assert!(got[1].verified());
        assert_eq!(t.stats().duplicates, 1);
    }

    #[test]
    fn when_no_record_push_trusts_a_cross_checked_push() {
        let r = rig_with(TrackerOptions::new().verify(Verify::WhenNoRecordPush));
        let t = &r.tracker;
        t.track(tracked("1003")).unwrap();
        let pushed = format!(
            r#"{{"cdr":[{{"requestid":"1003","caller":"{SRC}","called":"{DST}","duration":"42"}}]}}"#
        );
        t.on_push(pushed.as_bytes(), None);
        let got = drain(t);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].record().unwrap().duration(), Some(42));
        assert!(!got[0].verified());
        assert_eq!(t.stats().queries, 0);
    }

    #[test]
    fn overdue_once_and_the_search_goes_on() {
        let r = rig_with(TrackerOptions::new().overdue_after(Duration::from_secs(60)));
        let t = &r.tracker;
        // A requestId the emulator never gave: no record, ever.
        t.track(TrackedCall {
            sent_at: r.clock.now().0,
            ..tracked("1004")
        })
        .unwrap();
        r.clock.advance(Duration::from_secs(280));
        assert!(drain(t).is_empty());
        assert_eq!(t.stats().queries, 1);
        r.clock.advance(Duration::from_secs(70));
        let got = drain(t);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].kind(), EventKind::Overdue);
        assert!(t.pending()[0].overdue_reported);
        r.clock.advance(Duration::from_secs(3600));
        assert!(drain(t).is_empty());
        assert!(t.stats().queries >= 3, "{:?}", t.stats());
    }

    #[test]
    fn an_outcome_unknown_is_resolved_placed_or_not_placed() {
        let r = rig();
        let t = &r.tracker;
        let call = CallbackCall::new(SRC, ytx_emulator::FAULT_DROP_CONNECTION, 100)
            .custom_parm("unknown-1");
        let e = r.client.callback_call(&call).unwrap_err();
        assert!(e.ticket().is_some());
        let p = t.pending();
        assert_eq!((p.len(), p[0].request_id.is_none()), (1, true));
        r.clock.advance(Duration::from_secs(21));
        let got = drain(t);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].kind(), EventKind::Resolved);
        assert_eq!(got[0].placed(), Some(true));
        assert_eq!(got[0].custom_parm(), Some("unknown-1"));
        assert_eq!(got[0].record().unwrap().custom_parm(), Some("unknown-1"));
        assert_eq!(got[0].request_id(), got[0].record().unwrap().request_id());

        // Never placed: not placed, only once the bound has passed.
        let never = CallbackCall::new(SRC, DST, 100).custom_parm("never-sent");
        let ticket = Ticket::for_callback(&never, r.clock.now().0, None);
        t.track(TrackedCall::unknown(ticket)).unwrap();
        r.clock.advance(Duration::from_secs(21));
        assert!(drain(t).is_empty());
        r.clock.advance(Duration::from_secs(280));
        let got = drain(t);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(
            (got[0].kind(), got[0].placed()),
            (EventKind::Resolved, Some(false))
        );
        assert!(t.pending().is_empty());
    }

    #[test]
    fn a_restored_tracker_reports_nothing_twice_and_loses_nothing() {
        let r = rig();
        let t = &r.tracker;
        let id = r
            .client
            .callback_call(&CallbackCall::new(SRC, DST, 100).custom_parm("restart-1"))
            .unwrap()
            .request_id;
        t.on_push(&state(&id, SRC, "callout", "00"), None);
        r.clock.advance(Duration::from_secs(2));
        assert_eq!(legs(&drain(t)).len(), 1);
        t.on_push(&state(&id, SRC, "alerting", "01"), None);
        // Heard, not yet handed out when the process stops.
        let saved: Vec<String> = t.pending().iter().map(TrackedCall::to_json).collect();
        assert_eq!(saved.len(), 1);
        drop(r.tracker);

        let clock = r.clock.clone();
        let t2 =
            Tracker::new(r.client.clone(), TrackerOptions::new().clock(clock.clone())).unwrap();
        for line in &saved {
            t2.track(TrackedCall::from_json(line).unwrap()).unwrap();
        }
        // The platform pushes the delivered one again: a duplicate.
        t2.on_push(&state(&id, SRC, "callout", "00"), None);
        clock.advance(Duration::from_secs(2));
        assert_eq!(
            legs(&drain(&t2)),
            [("src".to_string(), "alerting".to_string())]
        );
        clock.advance(Duration::from_secs(300));
        let got = drain(&t2);
        assert_eq!(got.len(), 1);
        assert_eq!(
            (got[0].kind(), got[0].request_id()),
            (EventKind::Completed, id.as_str())
        );
        let _ = &r.emu;
    }

    #[test]
    fn a_rate_limited_answer_pauses_every_query() {
        // A platform that answers every record query -104.
        let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
        let base = format!("http://{}", server.server_addr().to_ip().unwrap());
        let answered = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let count = answered.clone();
        std::thread::spawn(move || {
            for mut r in server.incoming_requests() {
                let mut body = Vec::new();
                let _ = r.as_reader().read_to_end(&mut body);
                count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let busy = r#"{"statusCode":"-104","statusMsg":"请求频率过高","requestId":""}"#;
                let _ = r.respond(tiny_http::Response::from_string(busy));
            }
        });
        let client = Arc::new(
            Client::builder("8a1f0c3e5b7d9f21a4c6e8b0d2f4a6c8", "t0ken", "app")
                .base_url(base)
                .build()
                .unwrap(),
        );
        let clock = Arc::new(ManualClock::new());
        let t = Tracker::new(client, TrackerOptions::new().clock(clock.clone())).unwrap();
        for id in ["3001", "3002", "3003"] {
            t.track(TrackedCall {
                sent_at: clock.now().0,
                ..tracked(id)
            })
            .unwrap();
        }
        clock.advance(Duration::from_secs(281));
        assert!(drain(&t).is_empty());
        // One query answered -104: every query waits 5 s.
        assert_eq!((t.stats().queries, t.stats().rate_limited), (1, 1));
        clock.advance(Duration::from_secs(4));
        drain(&t);
        assert_eq!(t.stats().queries, 1);
        clock.advance(Duration::from_secs(2));
        drain(&t);
        // Then one more, -104 again: the pause doubles to 10 s.
        assert_eq!((t.stats().queries, t.stats().rate_limited), (2, 2));
        clock.advance(Duration::from_secs(9));
        drain(&t);
        assert_eq!(t.stats().queries, 2);
        assert_eq!(answered.load(std::sync::atomic::Ordering::SeqCst), 2);
        assert_eq!(t.pending().len(), 3);
    }

    #[test]
    fn tracked_call_json_round_trips_and_bad_input_names_the_field() {
        let mut c = tracked("20261206150000000000000000001");
        c.custom_parm = Some("订单;42".into());
        c.states.push(HeardState {
            number: SRC.into(),
            state: "answer".into(),
            timestamp: "2026-12-06 15:00:03".into(),
            delivered: true,
        });
        c.sent_at = UNIX_EPOCH + Duration::from_secs(1_765_000_000);
        let back = TrackedCall::from_json(&c.to_json()).unwrap();
        assert_eq!(back, c);
        let t = Ticket::parse("ytx-ticket:1;kind=callback;sent=1;credit=61;srctimeout=;dsttimeout=;anchor=;customParm=a").unwrap();
        let u = TrackedCall::unknown(t);
        assert_eq!(TrackedCall::from_json(&u.to_json()).unwrap(), u);
        assert_eq!(u.key(), "unknown:a");
        let minimal = TrackedCall::from_json(r#"{"request_id":"123"}"#).unwrap();
        assert_eq!(minimal.fid, "4");
        for (bad, field) in [
            ("[]", "tracked_call"),
            (r#"{"request_id":"1","colour":1}"#, "tracked_call"),
            (r#"{"v":2,"request_id":"1"}"#, "tracked_call"),
            ("{}", "request_id"),
            (r#"{"request_id":"a-b"}"#, "request_id"),
            (r#"{"ticket":"x"}"#, "ticket"),
            (r#"{"request_id":"1","fid":"x"}"#, "fid"),
        ] {
            let e = TrackedCall::from_json(bad).unwrap_err();
            assert_eq!(e.field(), Some(field), "{bad}: {e}");
        }
    }

    #[test]
    fn the_query_budget_spaces_queries_and_a_client_without_tracker_is_unchanged() {
        let r = rig_with(TrackerOptions::new().queries_per_minute(2));
        let t = &r.tracker;
        for i in 0..4 {
            t.track(tracked(&format!("200{i}"))).unwrap();
        }
        r.clock.advance(Duration::from_secs(300));
        drain(t);
        assert_eq!(t.stats().queries, 2);
        // At most 2 in any minute: none more until the first two are a
        // minute old, then the other two.
        r.clock.advance(Duration::from_secs(30));
        drain(t);
        assert_eq!(t.stats().queries, 2);
        r.clock.advance(Duration::from_secs(30));
        drain(t);
        assert_eq!(t.stats().queries, 4);
        // A tracker dropped: the client goes on as before.
        drop(r.tracker);
        let c = &r.client;
        assert!(c.callback_call(&CallbackCall::new(SRC, DST, 100)).is_ok());
        let mut o = TrackerOptions::new();
        assert_eq!(
            o.set("verify", "sometimes").unwrap_err().field(),
            Some("verify")
        );
        assert_eq!(o.set("colour", "1").unwrap_err().field(), Some("colour"));
        assert!(o.set("clock", "manual").is_ok());
    }
}

#[cfg(test)]
mod review_tests {
    use super::*;

    fn tracker(options: TrackerOptions) -> Tracker {
        let client = Arc::new(
            Client::builder("a".repeat(32), "b".repeat(32), "c".repeat(32))
                .base_url("http://127.0.0.1:9")
                .build()
                .unwrap(),
        );
        Tracker::new(client, options).unwrap()
    }

    /// A restored (or `ytx_tracker_track`ed) sent_at near the end of time
    /// must be an error naming sent_at, not a panic in `bound()`.
    #[test]
    fn far_future_sent_at_is_an_error_not_a_panic() {
        let t = tracker(TrackerOptions::new());
        let call = TrackedCall::from_json(r#"{"request_id":"1001","sent_at":9223372036854775807}"#);
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            call.and_then(|c| t.track(c))
        }));
        assert!(r.is_ok(), "track panicked");
        let e = r.unwrap().unwrap_err();
        assert_eq!(e.field(), Some("sent_at"), "{e}");
        // Before 1970, or past what a time holds: an error too.
        for s in [-1, i64::MIN] {
            let json = format!(r#"{{"request_id":"1001","sent_at":{s}}}"#);
            let e = TrackedCall::from_json(&json).unwrap_err();
            assert_eq!(e.field(), Some("sent_at"), "{json}: {e}");
        }
        // Built in Rust and tracked directly: the same error.
        let mut c = TrackedCall::new("1002");
        c.sent_at = SystemTime::now() + Duration::from_secs(367 * 24 * 3600);
        assert_eq!(t.track(c.clone()).unwrap_err().field(), Some("sent_at"));
        // Within a year ahead (a fixed time in a test): watched.
        c.sent_at = SystemTime::now() + Duration::from_secs(60 * 24 * 3600);
        t.track(c).unwrap();
        assert_eq!(t.pending().len(), 1);
        // A manual clock pushed past what it holds stays where it is.
        let clock = ManualClock::new();
        let before = clock.now();
        clock.advance(Duration::MAX);
        assert_eq!(clock.now(), before);
    }

    /// verify=never: a record push queues Completed; the application
    /// checkpoints pending() before next_event, restarts, restores. The
    /// record is not in pending, and record_pushed=true makes the tracker
    /// drop the same record when pushed again: the call never completes.
    #[test]
    fn never_mode_restart_loses_a_pushed_record() {
        let o = || TrackerOptions::new().verify(Verify::Never);
        let t = tracker(o());
        t.track(TrackedCall::new("1005")).unwrap();
        let rec = br#"{"cdr":[{"requestid":"1005","duration":7}]}"#;
        assert_eq!(t.on_push(rec, Some("Call")), 200);
        let saved: Vec<String> = t.pending().iter().map(TrackedCall::to_json).collect();
        assert_eq!(saved.len(), 1);
        drop(t); // restart before the event was handed out
        let t2 = tracker(o());
        for s in &saved {
            t2.track(TrackedCall::from_json(s).unwrap()).unwrap();
        }
        assert_eq!(t2.on_push(rec, Some("Call")), 200); // platform retry
        let got = t2.next_event(Some(Duration::from_millis(50)));
        assert_eq!(got.map(|e| e.kind()), Some(EventKind::Completed));
    }

    /// Forged pushes naming an outcome unknown's customParm: each is a
    /// hint, but together they bring its search forward only once (not
    /// again within FIRST_BACKOFF of the last search), so they cannot use
    /// up the query budget.
    #[test]
    fn forged_hints_bring_a_search_forward_once() {
        let clock = Arc::new(ManualClock::new());
        let t = tracker(TrackerOptions::new().clock(clock.clone()));
        let call = crate::CallbackCall::new("13800138000", "13900139000", 100).custom_parm("h1");
        let ticket = Ticket::for_callback(&call, clock.now().0, None);
        t.track(TrackedCall::unknown(ticket)).unwrap();
        let _ = t.next_event(Some(Duration::from_millis(1)));
        assert_eq!(t.stats().queries, 0, "no search before the first is due");
        for i in 0..100 {
            let push = format!(
                r#"{{"requestid":"9{i:03}","dsc":"13900139000","state":"callout","timestamp":"2026-12-06 15:00:00","customParm":"h1"}}"#
            );
            assert_eq!(t.on_push(push.as_bytes(), Some("CallState")), 200);
            let _ = t.next_event(Some(Duration::from_millis(1)));
        }
        assert_eq!(t.stats().hints, 100);
        assert_eq!(t.stats().queries, 1);
        // The search failed (nothing listens): its backoff search comes.
        clock.advance(FIRST_BACKOFF);
        let _ = t.next_event(Some(Duration::from_millis(1)));
        assert_eq!(t.stats().queries, 2, "the backoff's search");
    }

    /// Many calls due and the budget empty: `next_event` waits for the
    /// budget, it does not wake every millisecond to move one call.
    #[test]
    fn an_empty_budget_is_waited_for_not_polled() {
        let clock = Arc::new(ManualClock::new());
        let t = tracker(
            TrackerOptions::new()
                .queries_per_minute(1)
                .clock(clock.clone()),
        );
        for i in 0..50 {
            let mut c = TrackedCall::new(format!("70{i:02}"));
            c.sent_at = clock.now().0;
            t.track(c).unwrap();
        }
        clock.advance(Duration::from_secs(3 * 3600));
        // Overdue alerts for all 50 first (due work, no query).
        let mut overdue = 0;
        while let Some(ev) = t.next_event(Some(Duration::from_millis(1))) {
            assert_eq!(ev.kind(), EventKind::Overdue);
            overdue += 1;
        }
        assert_eq!(overdue, 50);
        assert_eq!(t.stats().queries, 1);
        let before = t.shared.lock().passes;
        assert!(t.next_event(Some(Duration::from_millis(500))).is_none());
        let passes = t.shared.lock().passes - before;
        assert_eq!(t.stats().queries, 1);
        assert!(passes <= 4, "{passes} passes for one wait");
        // A -104 pause is waited for the same way.
        {
            let mut st = t.shared.lock();
            st.recent_queries.clear();
            st.rate_pause_until = Some(later(clock.now().0, Duration::from_secs(60)));
        }
        let before = t.shared.lock().passes;
        assert!(t.next_event(Some(Duration::from_millis(500))).is_none());
        let passes = t.shared.lock().passes - before;
        assert_eq!(t.stats().queries, 1);
        assert!(passes <= 4, "{passes} passes for one paused wait");
    }
}
