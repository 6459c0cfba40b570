//! Resolving an *outcome unknown*: was the call placed or not?
//!
//! When a callback call ends as *outcome unknown* (the request was written,
//! no valid answer came back), the platform may have placed it. The error
//! carries a [`Ticket`] ([`Error::ticket`](crate::Error::ticket)) holding
//! everything needed to find out: the call's customParm, its ring timeouts
//! and credit, when it was sent, and the last requestId the client saw
//! accepted before sending it (the anchor). [`Client::resolve`](crate::Client::resolve) pages
//! through the call records after the anchor, looking for the customParm,
//! and answers one of ([`ResolutionStatus`]):
//!
//! * **placed**, with the record: do not place the call again;
//! * **not placed**: only once PROTOCOL.md's bound has passed
//!   ([`Ticket::not_placed_after`]: sent time + `srctimeout` +
//!   `dsttimeout` + `credit` + [`RECORD_DELAY_SECS`], with
//!   [`DEFAULT_RING_TIMEOUT_SECS`] for a ring timeout the request did not
//!   give) and every page of the
//!   search was read after it: the call may be placed again;
//! * **not known yet**, with the time to ask again and a cursor to resume
//!   from: before the bound, or when the search ran out of its page budget
//!   or its deadline;
//! * **cannot be resolved**: a voice code, or a call sent without
//!   customParm: nothing identifies its record (the client option
//!   `auto_custom_parm` gives every callback call one).
//!
//! Only an empty page ends the records: a page shorter than its `limit` is
//! no proof of the end (a gateway or the platform may cap `limit`).
//!
//! A ticket is also text ([`Ticket::to_text`], [`Ticket::parse`]), to be
//! saved with the order and resolved after a restart. The format, version 1:
//!
//! ```text
//! ytx-ticket:1;kind=callback;sent=1765000000;credit=600;srctimeout=;dsttimeout=30;anchor=20200437755811196850667520400;customParm=order%2D42;fid=4
//! ```
//!
//! Fields in this order, separated by `;`: `kind` (`callback` or
//! `voicecode`), `sent` (Unix seconds, rounded up; at most
//! 240517398854, so the bound is still a date before year 10000),
//! `credit`, `srctimeout`, `dsttimeout`
//! (seconds; empty: not given in the request), `anchor` (a requestId;
//! empty: none known), `customParm` (percent-encoded UTF-8: every byte other
//! than ASCII letters, digits and `_.~` as `%XX`; empty: none), and
//! optionally `fid` (the product number whose records hold the call; absent
//! or empty: `4`, the callback call; tickets written before it existed
//! still parse). A later version changes the number after `ytx-ticket:`; a
//! version-1 parser refuses any other.
//!
//! **Clocks.** The bound is wall-clock time. In the process that made the
//! ticket (a [`Ticket`] from the error, or its text parsed again in that
//! process) the resolver also waits for it on the monotonic clock, so a
//! wall clock stepped forward (NTP) or running fast cannot bring "not
//! placed" early. A ticket resolved after a restart has only the wall
//! clock: the machines that save and resolve tickets must keep their clocks
//! synchronized (NTP).
//!
//! **Matching.** A record matches when its customParm is exactly the
//! call's, byte for byte. PROTOCOL.md does not say whether the platform
//! keeps a long or non-ASCII customParm unchanged; if it shortened or
//! re-encoded one, its record would not match and, after the bound, the
//! answer would be a wrong "not placed". Use short ASCII references (an
//! order number, or `auto_custom_parm`'s `ytx-<ms>-<pid>-<n>`) for calls
//! you may need to resolve.

use std::fmt;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::error::{Error, Result};
use crate::record::{CallRecord, CALLBACK_FID, MAX_RECORDS_PER_QUERY};
use crate::request::{CallbackCall, RecordQuery};
pub use crate::ticket::{Ticket, TicketKind};

/// The ring timeout assumed for a leg whose `srctimeout` / `dsttimeout` the
/// request did not give (PROTOCOL.md: the platform's default is not
/// documented).
pub const DEFAULT_RING_TIMEOUT_SECS: u64 = 60;
/// How long after a call ends its record is assumed written (PROTOCOL.md:
/// "a query sooner than about 20 s finds nothing").
pub const RECORD_DELAY_SECS: u64 = 60;
/// Default overall deadline of one [`Client::resolve`](crate::Client::resolve).
pub const DEFAULT_RESOLVE_DEADLINE: Duration = Duration::from_secs(60);
/// Default most record queries one [`Client::resolve`](crate::Client::resolve) sends.
pub const DEFAULT_RESOLVE_MAX_PAGES: u32 = 100;
/// Default records asked for per query of [`Client::resolve`](crate::Client::resolve).
pub const DEFAULT_RESOLVE_PAGE_SIZE: u32 = 100;

const TICKET_PREFIX: &str = "ytx-ticket:1;";

/// The latest `sent` a ticket may hold: the bound of any ticket sent then
/// (ring timeouts and credit at their largest, plus the record delay) is
/// still a time every language can show (at most 9999-12-31T23:59:59Z).
const MAX_TICKET_SENT_UNIX: i64 =
    253_402_300_799 - 3 * (u32::MAX as i64) - RECORD_DELAY_SECS as i64;

/// Tickets this process made, by text, with their monotonic stamp: a ticket
/// that went out as text (the C ABI and the bindings hand out text) and is
/// parsed back in the same process gets its stamp again. Bounded: the
/// oldest entries go first.
static STAMPS: std::sync::Mutex<std::collections::VecDeque<(String, Instant)>> =
    std::sync::Mutex::new(std::collections::VecDeque::new());
const MAX_STAMPS: usize = 1024;

fn remember_stamp(text: String, seen: Instant) {
    let mut stamps = STAMPS.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(entry) = stamps.iter_mut().find(|(t, _)| *t == text) {
        entry.1 = entry.1.max(seen);
        return;
    }
    if stamps.len() >= MAX_STAMPS {
        stamps.pop_front();
    }
    stamps.push_back((text, seen));
}

fn stamp_of(text: &str) -> Option<Instant> {
    let stamps = STAMPS.lock().unwrap_or_else(|p| p.into_inner());
    stamps.iter().find(|(t, _)| t == text).map(|(_, s)| *s)
}

/// Unix seconds, rounded up, within `0..=MAX_TICKET_SENT_UNIX` (a bound
/// too late to show is still later than any real one).
fn unix_ceil(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => {
            let s = d.as_secs() + u64::from(d.subsec_nanos() > 0);
            i64::try_from(s).map_or(MAX_TICKET_SENT_UNIX, |s| s.min(MAX_TICKET_SENT_UNIX))
        }
        Err(_) => 0,
    }
}

fn from_unix(s: i64) -> SystemTime {
    if s >= 0 {
        UNIX_EPOCH + Duration::from_secs(s.unsigned_abs())
    } else {
        UNIX_EPOCH - Duration::from_secs(s.unsigned_abs())
    }
}

impl Ticket {
    /// The ticket of a callback call sent at `sent_at` (use a time at or
    /// after the moment the request could last have reached the platform),
    /// with `anchor` the last requestId accepted before it was sent (`None`:
    /// search from the first record).
    pub fn for_callback(call: &CallbackCall, sent_at: SystemTime, anchor: Option<&str>) -> Ticket {
        Ticket {
            kind: TicketKind::CallbackCall,
            sent_unix: unix_ceil(sent_at),
            credit: call.credit,
            src_timeout: call.src_timeout,
            dst_timeout: call.dst_timeout,
            anchor: anchor.filter(|a| !a.is_empty()).map(str::to_string),
            custom_parm: call.custom_parm.clone().filter(|p| !p.is_empty()),
            fid: CALLBACK_FID.to_string(),
            seen: None,
        }
    }

    /// The ticket of a callback call from the wire body it was sent with
    /// (`Client::send` of a prepared request): the body holds the
    /// customParm, credit and ring timeouts, every value a string. A value
    /// that cannot be read is taken at its most cautious: no customParm
    /// (cannot be resolved), the largest credit (the bound never comes
    /// early).
    pub(crate) fn for_callback_body(
        body: &str,
        sent_at: SystemTime,
        anchor: Option<&str>,
    ) -> Ticket {
        let json: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
        let text = |key: &str| json.get(key).and_then(serde_json::Value::as_str);
        let secs = |key: &str| text(key).and_then(|v| v.parse::<u32>().ok());
        let timeout = |key: &str| text(key).map(|v| v.parse::<u32>().unwrap_or(u32::MAX));
        let mut call = CallbackCall::new("", "", secs("credit").unwrap_or(u32::MAX));
        call.src_timeout = timeout("srctimeout");
        call.dst_timeout = timeout("dsttimeout");
        call.custom_parm = text("customParm").map(str::to_string);
        Ticket::for_callback(&call, sent_at, anchor)
    }

    /// The ticket stamped with the monotonic time its failure was seen,
    /// remembered by its text for a parse in this process.
    pub(crate) fn stamped(mut self, seen: Instant) -> Ticket {
        self.seen = Some(seen);
        remember_stamp(self.to_text(), seen);
        self
    }

    /// The ticket with another product number (`fid`) to search the records
    /// of (default `4`, the callback call): digits, else an error naming
    /// `fid`.
    pub fn with_fid(mut self, fid: &str) -> Result<Ticket> {
        check_fid("fid", fid)?;
        self.fid = fid.to_string();
        Ok(self)
    }

    /// The ticket of a voice code: it always resolves as
    /// [`ResolutionStatus::CannotBeResolved`].
    pub fn for_voice_code(sent_at: SystemTime) -> Ticket {
        Ticket {
            kind: TicketKind::VoiceCode,
            sent_unix: unix_ceil(sent_at),
            credit: 0,
            src_timeout: None,
            dst_timeout: None,
            anchor: None,
            custom_parm: None,
            fid: String::new(),
            seen: None,
        }
    }

    /// What the ticket is about.
    pub fn kind(&self) -> TicketKind {
        self.kind
    }
    /// The request's customParm, `None` when it had none.
    pub fn custom_parm(&self) -> Option<&str> {
        self.custom_parm.as_deref()
    }
    /// The last requestId accepted before the request was sent.
    pub fn anchor(&self) -> Option<&str> {
        self.anchor.as_deref()
    }
    /// When the request was sent (whole seconds, rounded up).
    pub fn sent_at(&self) -> SystemTime {
        from_unix(self.sent_unix)
    }
    /// The request's credit (0 for a voice code).
    pub fn credit(&self) -> u32 {
        self.credit
    }
    /// The request's `srctimeout`, if it gave one.
    pub fn src_timeout(&self) -> Option<u32> {
        self.src_timeout
    }
    /// The request's `dsttimeout`, if it gave one.
    pub fn dst_timeout(&self) -> Option<u32> {
        self.dst_timeout
    }
    /// The product number whose records hold the call: `4` (the callback
    /// call) unless [`Ticket::with_fid`] or the text said otherwise; `""`
    /// for a voice code.
    pub fn fid(&self) -> &str {
        &self.fid
    }

    /// How long after it was sent the bound comes.
    fn bound_span(&self) -> Duration {
        let ring = |t: Option<u32>| t.map_or(DEFAULT_RING_TIMEOUT_SECS, u64::from);
        Duration::from_secs(
            ring(self.src_timeout)
                + ring(self.dst_timeout)
                + u64::from(self.credit)
                + RECORD_DELAY_SECS,
        )
    }

    /// Whether the bound has passed: on the wall clock and, for a ticket
    /// made (or parsed) in this process, on the monotonic clock too.
    pub(crate) fn bound_passed(&self, wall: SystemTime, mono: Instant) -> bool {
        wall >= self.not_placed_after()
            && self
                .seen
                .is_none_or(|s| s.checked_add(self.bound_span()).is_some_and(|b| mono >= b))
    }

    /// When the bound passes on both clocks, seen at `wall` / `mono`.
    pub(crate) fn bound_passes_at(&self, wall: SystemTime, mono: Instant) -> SystemTime {
        let on_mono = self
            .seen
            .map_or(wall, |s| match s.checked_add(self.bound_span()) {
                Some(b) => wall + b.saturating_duration_since(mono),
                None => from_unix(MAX_TICKET_SENT_UNIX) + self.bound_span(),
            });
        self.not_placed_after().max(on_mono)
    }

    /// PROTOCOL.md's bound: after this time, a placed call's record has been
    /// written, so a search that does not find it means "not placed". Sent
    /// time + `srctimeout` + `dsttimeout` (each
    /// [`DEFAULT_RING_TIMEOUT_SECS`] when not given) + `credit` + the
    /// record delay ([`RECORD_DELAY_SECS`]).
    ///
    /// This is wall-clock time. In the process that made the ticket the
    /// resolver also waits for the bound on the monotonic clock, so a clock
    /// stepped forward cannot bring "not placed" early; a ticket resolved
    /// after a restart has only the wall clock: keep it synchronized (NTP).
    pub fn not_placed_after(&self) -> SystemTime {
        self.sent_at() + self.bound_span()
    }

    /// The ticket as text (format in the [module](self) docs), to be saved
    /// and [parsed](Ticket::parse) back later, in any process.
    pub fn to_text(&self) -> String {
        let opt = |v: Option<u32>| v.map(|n| n.to_string()).unwrap_or_default();
        format!(
            "{TICKET_PREFIX}kind={};sent={};credit={};srctimeout={};dsttimeout={};anchor={};customParm={};fid={}",
            match self.kind {
                TicketKind::CallbackCall => "callback",
                TicketKind::VoiceCode => "voicecode",
            },
            self.sent_unix,
            self.credit,
            opt(self.src_timeout),
            opt(self.dst_timeout),
            self.anchor.as_deref().unwrap_or(""),
            percent_encode(self.custom_parm.as_deref().unwrap_or("")),
            self.fid,
        )
    }

    /// A ticket from its text ([`Ticket::to_text`]). Anything else is an
    /// error naming `ticket`.
    pub fn parse(text: &str) -> Result<Ticket> {
        let bad = |why: &str| Error::invalid("ticket", why.to_string());
        let rest = text.strip_prefix(TICKET_PREFIX).ok_or_else(|| {
            if text.starts_with("ytx-ticket:") {
                bad("a ticket of another format version than 1 (made by a newer library?)")
            } else {
                bad("not a ticket: it must start with \"ytx-ticket:1;\"")
            }
        })?;
        let keys = [
            "kind",
            "sent",
            "credit",
            "srctimeout",
            "dsttimeout",
            "anchor",
            "customParm",
            "fid",
        ];
        let parts: Vec<&str> = rest.split(';').collect();
        // `fid` is optional: tickets made before it was added still parse.
        if parts.len() != keys.len() && parts.len() != keys.len() - 1 {
            return Err(bad(&format!(
                "must have the fields {} (and optionally fid)",
                keys[..keys.len() - 1].join(", ")
            )));
        }
        let mut values = [""; 8];
        for ((part, key), slot) in parts.iter().zip(keys).zip(values.iter_mut()) {
            *slot = part
                .strip_prefix(key)
                .and_then(|p| p.strip_prefix('='))
                .ok_or_else(|| bad(&format!("expected the field {key} in its place")))?;
        }
        let [kind, sent, credit, src, dst, anchor, parm, fid] = values;
        let number = |key: &str, v: &str| -> Result<u32> {
            v.parse::<u32>()
                .map_err(|_| bad(&format!("{key} must be a whole number of seconds")))
        };
        let opt_number = |key: &str, v: &str| -> Result<Option<u32>> {
            if v.is_empty() {
                Ok(None)
            } else {
                number(key, v).map(Some)
            }
        };
        let kind = match kind {
            "callback" => TicketKind::CallbackCall,
            "voicecode" => TicketKind::VoiceCode,
            _ => return Err(bad("kind must be callback or voicecode")),
        };
        let sent_unix = sent
            .parse::<i64>()
            .ok()
            .ok_or_else(|| bad("sent must be a time in Unix seconds"))?;
        if !(0..=MAX_TICKET_SENT_UNIX).contains(&sent_unix) {
            return Err(bad(&format!(
                "sent must be a time in Unix seconds from 0 to {MAX_TICKET_SENT_UNIX} \
                 (so that the time it can be resolved is still a date)"
            )));
        }
        let fid = match (kind, fid) {
            (TicketKind::VoiceCode, _) => String::new(),
            (TicketKind::CallbackCall, "") => CALLBACK_FID.to_string(),
            (TicketKind::CallbackCall, f) => {
                check_fid("ticket", f).map_err(|_| bad("fid must be a product number (digits)"))?;
                f.to_string()
            }
        };
        if !anchor.is_empty() {
            crate::request::request_id_text("ticket", anchor)
                .map_err(|_| bad("anchor must be a requestId (ASCII letters or digits)"))?;
        }
        let custom_parm = percent_decode(parm).ok_or_else(|| {
            bad("customParm must be percent-encoded UTF-8 without control characters")
        })?;
        Ok(Ticket {
            kind,
            sent_unix,
            credit: number("credit", credit)?,
            src_timeout: opt_number("srctimeout", src)?,
            dst_timeout: opt_number("dsttimeout", dst)?,
            anchor: (!anchor.is_empty()).then(|| anchor.to_string()),
            custom_parm: (!custom_parm.is_empty()).then_some(custom_parm),
            fid,
            seen: stamp_of(text),
        })
    }
}

/// A product number: 1 to 10 ASCII digits, else an error naming `field`.
fn check_fid(field: &str, fid: &str) -> Result<()> {
    if fid.is_empty() || fid.len() > 10 || !fid.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::invalid(
            field,
            format!("must be a product number (1 to 10 digits), got {fid:?}"),
        ));
    }
    Ok(())
}

impl fmt::Display for Ticket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text())
    }
}

impl std::str::FromStr for Ticket {
    type Err = Error;
    fn from_str(s: &str) -> Result<Ticket> {
        Ticket::parse(s)
    }
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            if !hex.bytes().all(|h| h.is_ascii_hexdigit()) {
                return None;
            }
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else if b.is_ascii_alphanumeric() || b"_.~".contains(&b) {
            out.push(b);
            i += 1;
        } else {
            return None;
        }
    }
    String::from_utf8(out)
        .ok()
        .filter(|t| !t.chars().any(char::is_control))
}

/// The answer of [`Client::resolve`](crate::Client::resolve).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ResolutionStatus {
    /// The call was placed: its record is in [`Resolution::record`]. Do not
    /// place it again.
    Placed,
    /// The call was not placed: the bound has passed and a search read
    /// after it found no record. It may be placed again.
    NotPlaced,
    /// Not known yet: ask again at [`Resolution::check_again_at`], passing
    /// [`Resolution::cursor`] ([`ResolveOptions::cursor`]).
    NotKnownYet,
    /// Cannot be resolved: a voice code, or a call sent without customParm
    /// ([`Resolution::reason`] says which).
    CannotBeResolved,
}

impl ResolutionStatus {
    /// The stable name, the same in every language (`ytx_resolution_status`
    /// in C), e.g. `"YTX_RESOLUTION_PLACED"`.
    pub fn name(self) -> &'static str {
        match self {
            ResolutionStatus::Placed => "YTX_RESOLUTION_PLACED",
            ResolutionStatus::NotPlaced => "YTX_RESOLUTION_NOT_PLACED",
            ResolutionStatus::NotKnownYet => "YTX_RESOLUTION_NOT_KNOWN_YET",
            ResolutionStatus::CannotBeResolved => "YTX_RESOLUTION_CANNOT_BE_RESOLVED",
        }
    }
}

/// What [`Client::resolve`](crate::Client::resolve) found.
#[derive(Clone, Debug, PartialEq)]
pub struct Resolution {
    status: ResolutionStatus,
    record: Option<CallRecord>,
    check_again_at: Option<SystemTime>,
    cursor: Option<String>,
    reason: String,
}

impl Resolution {
    fn new(status: ResolutionStatus, reason: impl Into<String>) -> Resolution {
        Resolution {
            status,
            record: None,
            check_again_at: None,
            cursor: None,
            reason: reason.into(),
        }
    }

    /// Placed, not placed, not known yet, or cannot be resolved.
    pub fn status(&self) -> ResolutionStatus {
        self.status
    }
    /// The call's record, when [`ResolutionStatus::Placed`].
    pub fn record(&self) -> Option<&CallRecord> {
        self.record.as_ref()
    }
    /// When to ask again, when [`ResolutionStatus::NotKnownYet`]: the bound
    /// when it has not passed yet (a search then can say "not placed";
    /// asking sooner can only find it placed), else now (the budget ran
    /// out: resume at once from the cursor).
    pub fn check_again_at(&self) -> Option<SystemTime> {
        self.check_again_at
    }
    /// Where the next search resumes (pass it as [`ResolveOptions::cursor`]),
    /// when [`ResolutionStatus::NotKnownYet`]: a requestId, or `None` to
    /// start again from the ticket's anchor. It only moves past pages read
    /// after the bound, so resuming never skips a record written later.
    pub fn cursor(&self) -> Option<&str> {
        self.cursor.as_deref()
    }
    /// Why, in English (e.g. which budget ran out, or why it cannot be
    /// resolved).
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

/// Bounds and resume point of one [`Client::resolve`](crate::Client::resolve).
///
/// ```
/// let o = ytx::ResolveOptions::new().deadline(std::time::Duration::from_secs(10)).max_pages(5);
/// assert!(o.validate().is_ok());
/// assert_eq!(ytx::ResolveOptions::new().max_pages(0).validate().unwrap_err().field(), Some("max_pages"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolveOptions {
    deadline: Duration,
    max_pages: u32,
    page_size: u32,
    cursor: Option<String>,
    fid: Option<String>,
}

impl Default for ResolveOptions {
    fn default() -> Self {
        ResolveOptions::new()
    }
}

impl ResolveOptions {
    /// [`DEFAULT_RESOLVE_DEADLINE`], [`DEFAULT_RESOLVE_MAX_PAGES`] pages of
    /// [`DEFAULT_RESOLVE_PAGE_SIZE`], from the ticket's anchor.
    pub fn new() -> ResolveOptions {
        ResolveOptions {
            deadline: DEFAULT_RESOLVE_DEADLINE,
            max_pages: DEFAULT_RESOLVE_MAX_PAGES,
            page_size: DEFAULT_RESOLVE_PAGE_SIZE,
            cursor: None,
            fid: None,
        }
    }
    /// The overall deadline, checked before each page and passed to the
    /// client's automatic retry (no retry of a record query starts after
    /// it); a query already sent ends within the client's timeout.
    pub fn deadline(mut self, d: Duration) -> Self {
        self.deadline = d;
        self
    }
    /// The most record queries this search sends.
    pub fn max_pages(mut self, n: u32) -> Self {
        self.max_pages = n;
        self
    }
    /// Records asked for per query (1 to 1000); a gateway may answer fewer.
    pub fn page_size(mut self, n: u32) -> Self {
        self.page_size = n;
        self
    }
    /// Resume from a cursor an earlier [`Resolution`] of the same ticket
    /// gave ([`Resolution::cursor`]); `None`: from the ticket's anchor.
    pub fn cursor(mut self, cursor: Option<&str>) -> Self {
        self.cursor = cursor.filter(|c| !c.is_empty()).map(str::to_string);
        self
    }
    /// The product number (`fid`) whose records are searched; default: the
    /// ticket's ([`Ticket::fid`]), which is `4`, the callback call, unless
    /// it says otherwise.
    pub fn fid(mut self, fid: impl Into<String>) -> Self {
        self.fid = Some(fid.into());
        self
    }
    /// Check every option; the error names the first bad one.
    pub fn validate(&self) -> Result<()> {
        if let Some(fid) = &self.fid {
            check_fid("fid", fid)?;
        }
        if self.deadline.is_zero() {
            return Err(Error::invalid("deadline", "must be greater than 0"));
        }
        if self.max_pages == 0 {
            return Err(Error::invalid("max_pages", "must be at least 1"));
        }
        if !(1..=MAX_RECORDS_PER_QUERY).contains(&self.page_size) {
            return Err(Error::invalid(
                "page_size",
                format!("must be 1 to {MAX_RECORDS_PER_QUERY}"),
            ));
        }
        if let Some(c) = &self.cursor {
            crate::request::request_id_text("cursor", c)?;
        }
        Ok(())
    }
}

/// What [`Client::resolve`](crate::Client::resolve) takes: a [`Ticket`], or the error of an
/// *outcome unknown* (which holds its ticket).
pub trait Resolvable {
    /// The ticket, `None` when there is nothing to resolve.
    fn ticket(&self) -> Option<&Ticket>;
}

impl Resolvable for Ticket {
    fn ticket(&self) -> Option<&Ticket> {
        Some(self)
    }
}

impl Resolvable for Option<Ticket> {
    fn ticket(&self) -> Option<&Ticket> {
        self.as_ref()
    }
}

impl Resolvable for Error {
    fn ticket(&self) -> Option<&Ticket> {
        Error::ticket(self)
    }
}

/// A process-wide unique customParm (`ytx-<unix ms>-<pid>-<counter>`): the
/// time and the process id tell processes and restarts apart, the counter
/// the calls of one process. No randomness.
pub(crate) fn unique_custom_parm() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("ytx-{ms}-{}-{n}", std::process::id())
}

/// The search of [`Client::resolve_with`](crate::Client::resolve_with),
/// once the options are checked: `page` runs one record query (the client's
/// `call_records_until`), so that this module needs no client.
pub(crate) fn search(
    what: &impl Resolvable,
    options: &ResolveOptions,
    page: impl FnMut(&RecordQuery, Option<Instant>) -> Result<Vec<CallRecord>>,
) -> Result<Resolution> {
    search_at(what, options, &|| (SystemTime::now(), Instant::now()), page)
}

/// [`search`] with the time the bound is checked against read from `now`
/// (wall, monotonic): the tracker's clock, which tests can move. The
/// search's own deadline stays on the real monotonic clock.
pub(crate) fn search_at(
    what: &impl Resolvable,
    options: &ResolveOptions,
    now: &dyn Fn() -> (SystemTime, Instant),
    mut page: impl FnMut(&RecordQuery, Option<Instant>) -> Result<Vec<CallRecord>>,
) -> Result<Resolution> {
    let Some(ticket) = what.ticket() else {
        return Ok(Resolution::new(
            ResolutionStatus::CannotBeResolved,
            "no ticket: only an outcome unknown of a callback call can be resolved",
        ));
    };
    if ticket.kind == TicketKind::VoiceCode {
        return Ok(Resolution::new(
            ResolutionStatus::CannotBeResolved,
            "a voice code cannot be resolved: its record has no customParm to find it by",
        ));
    }
    let Some(parm) = ticket.custom_parm() else {
        return Ok(Resolution::new(
            ResolutionStatus::CannotBeResolved,
            "the call was sent without customParm, so nothing identifies its record; \
             give every call a customParm (or set the client option auto_custom_parm)",
        ));
    };
    let fid = options.fid.as_deref().unwrap_or(match ticket.fid.as_str() {
        "" => CALLBACK_FID,
        f => f,
    });
    let started = Instant::now();
    let until = started.checked_add(options.deadline);
    let start = options
        .cursor
        .clone()
        .or_else(|| ticket.anchor.clone())
        .unwrap_or_else(|| "0".to_string());
    let mut after = start.clone();
    // Moves only past pages read after the bound (see Resolution::cursor).
    let mut cursor = start;
    let mut searched_after_bound = None;
    let not_known = |cursor: &str, why: String| {
        let (now, mono) = now();
        Resolution {
            check_again_at: Some(ticket.bound_passes_at(now, mono).max(now)),
            cursor: (cursor != "0").then(|| cursor.to_string()),
            ..Resolution::new(ResolutionStatus::NotKnownYet, why)
        }
    };
    for _ in 0..options.max_pages {
        if started.elapsed() >= options.deadline {
            return Ok(not_known(
                &cursor,
                format!(
                    "the deadline of {} ms passed before the end of the records; resume from the cursor",
                    options.deadline.as_millis()
                ),
            ));
        }
        let after_bound = *searched_after_bound.get_or_insert_with(|| {
            let (wall, mono) = now();
            ticket.bound_passed(wall, mono)
        });
        let query = RecordQuery::after(after.clone(), options.page_size).fid(fid);
        let mut page = page(&query, until)?;
        if let Some(i) = page.iter().position(|r| r.custom_parm() == Some(parm)) {
            return Ok(Resolution {
                record: Some(page.swap_remove(i)),
                ..Resolution::new(ResolutionStatus::Placed, "found its record by customParm")
            });
        }
        let Some(last) = page.last() else {
            // An empty page: the end of the records.
            return Ok(if after_bound {
                Resolution::new(
                    ResolutionStatus::NotPlaced,
                    "no record with its customParm, searched after the time by which a placed call's record is written",
                )
            } else {
                not_known(
                    &cursor,
                    "no record yet: the call may still be ringing or talking, or its record not yet written".into(),
                )
            });
        };
        let last = last.request_id();
        if last.is_empty() || last == after {
            return Err(Error::Protocol {
                message: "a page of call records does not move past the requestId it started from: cannot page on".into(),
                ticket: None,
            });
        }
        after = last.to_string();
        if after_bound {
            cursor = after.clone();
        }
    }
    Ok(not_known(
        &cursor,
        format!(
            "searched {} pages without reaching the end of the records; resume from the cursor",
            options.max_pages
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Client;

    #[test]
    fn ticket_text_round_trips_any_custom_parm() {
        let sent = UNIX_EPOCH + Duration::from_millis(1_765_000_000_001);
        for parm in ["order-42", "订单;=%x", "a b", "~._"] {
            let call = CallbackCall::new("13800138000", "13900139000", 61)
                .custom_parm(parm)
                .src_timeout(30u32);
            let t = Ticket::for_callback(&call, sent, None);
            assert_eq!(t.sent_at(), UNIX_EPOCH + Duration::from_secs(1_765_000_001));
            let text = t.to_text();
            assert!(!text[TICKET_PREFIX.len()..].contains(' '), "{text}");
            assert_eq!(Ticket::parse(&text).unwrap(), t, "{text}");
        }
        let t = Ticket::for_voice_code(sent);
        assert_eq!(Ticket::parse(&t.to_text()).unwrap(), t);
    }

    #[test]
    fn a_bad_ticket_names_the_ticket() {
        let good = "ytx-ticket:1;kind=callback;sent=1;credit=61;srctimeout=;dsttimeout=;anchor=;customParm=a";
        assert!(Ticket::parse(good).is_ok());
        for bad in [
            "",
            "ytx-ticket:2;kind=callback",
            "ytx-ticket:1;kind=callback;sent=1;credit=61;srctimeout=;dsttimeout=;anchor=",
            "ytx-ticket:1;kind=fax;sent=1;credit=61;srctimeout=;dsttimeout=;anchor=;customParm=a",
            "ytx-ticket:1;kind=callback;sent=x;credit=61;srctimeout=;dsttimeout=;anchor=;customParm=a",
            "ytx-ticket:1;kind=callback;sent=1;credit=61;srctimeout=-1;dsttimeout=;anchor=;customParm=a",
            "ytx-ticket:1;kind=callback;sent=1;credit=61;srctimeout=;dsttimeout=;anchor=a-b;customParm=a",
            "ytx-ticket:1;kind=callback;sent=1;credit=61;srctimeout=;dsttimeout=;anchor=;customParm=a%2",
            "ytx-ticket:1;kind=callback;sent=1;credit=61;srctimeout=;dsttimeout=;anchor=;customParm=%0A",
            "ytx-ticket:1;kind=callback;sent=1;credit=61;srctimeout=;dsttimeout=;anchor=;customParm=%FF",
            "ytx-ticket:1;sent=1;kind=callback;credit=61;srctimeout=;dsttimeout=;anchor=;customParm=a",
        ] {
            let e = Ticket::parse(bad).unwrap_err();
            assert_eq!(e.field(), Some("ticket"), "{bad}: {e}");
        }
    }

    #[test]
    fn the_bound_uses_the_requests_values_or_the_defaults() {
        let sent = UNIX_EPOCH + Duration::from_secs(1000);
        let call = CallbackCall::new("13800138000", "13900139000", 100);
        let t = Ticket::for_callback(&call, sent, None);
        assert_eq!(
            t.not_placed_after(),
            sent + Duration::from_secs(60 + 60 + 100 + 60)
        );
        let call = call.src_timeout(10u32).dst_timeout(20u32);
        let t = Ticket::for_callback(&call, sent, None);
        assert_eq!(
            t.not_placed_after(),
            sent + Duration::from_secs(10 + 20 + 100 + 60)
        );
    }

    fn emulator_client(emu: &ytx_emulator::Emulator) -> Client {
        Client::builder(
            ytx_emulator::DEMO_ACCOUNT_SID,
            ytx_emulator::DEMO_AUTH_TOKEN,
            ytx_emulator::DEMO_APP_ID,
        )
        .base_url(emu.base_url())
        .build()
        .unwrap()
    }

    #[test]
    fn a_wall_clock_stepped_forward_does_not_bring_not_placed_early() {
        let emu =
            ytx_emulator::Emulator::start(ytx_emulator::Config::default(), "127.0.0.1:0").unwrap();
        let c = emulator_client(&emu);
        // The wall clock says the call was sent an hour ago (a step of one
        // hour after the failure was seen); the monotonic clock says now.
        let call = CallbackCall::new("13800138000", "13900139000", 100).custom_parm("stepped");
        let ticket =
            Ticket::for_callback(&call, SystemTime::now() - Duration::from_secs(3600), None)
                .stamped(Instant::now());
        assert!(SystemTime::now() > ticket.not_placed_after());
        let r = c.resolve(&ticket).unwrap();
        assert_eq!(r.status(), ResolutionStatus::NotKnownYet, "{}", r.reason());
        // Ask again when the bound has passed on the monotonic clock too.
        let again = r.check_again_at().unwrap();
        let span = Duration::from_secs(60 + 60 + 100 + 60);
        assert!(
            again >= SystemTime::now() + span - Duration::from_secs(30),
            "{again:?}"
        );
        // The same through its text in this process (the C ABI and the
        // bindings hand out text).
        let parsed = Ticket::parse(&ticket.to_text()).unwrap();
        let r = c.resolve(&parsed).unwrap();
        assert_eq!(r.status(), ResolutionStatus::NotKnownYet, "{}", r.reason());
        // Without the stamp (another process, after a restart), only the
        // wall clock is left: not placed.
        let unstamped = Ticket::for_callback(
            &call,
            SystemTime::now() - Duration::from_secs(3600),
            Some("1"),
        );
        let r = c.resolve(&unstamped).unwrap();
        assert_eq!(r.status(), ResolutionStatus::NotPlaced, "{}", r.reason());
    }

    #[test]
    fn the_fid_is_in_the_ticket_and_old_tickets_without_it_parse() {
        let old = "ytx-ticket:1;kind=callback;sent=1;credit=61;srctimeout=;dsttimeout=;anchor=;customParm=a";
        let t = Ticket::parse(old).unwrap();
        assert_eq!(t.fid(), CALLBACK_FID);
        assert!(
            t.to_text().ends_with(";customParm=a;fid=4"),
            "{}",
            t.to_text()
        );
        let t = t.with_fid("17").unwrap();
        assert_eq!(Ticket::parse(&t.to_text()).unwrap().fid(), "17");
        assert_eq!(t.clone().with_fid("x").unwrap_err().field(), Some("fid"));
        assert_eq!(
            Ticket::parse(&format!("{old};fid=4x")).unwrap_err().field(),
            Some("ticket")
        );
        assert_eq!(
            ResolveOptions::new()
                .fid("")
                .validate()
                .unwrap_err()
                .field(),
            Some("fid")
        );
    }

    #[test]
    fn resolve_searches_the_fid_of_the_options_or_else_of_the_ticket() {
        let emu =
            ytx_emulator::Emulator::start(ytx_emulator::Config::default(), "127.0.0.1:0").unwrap();
        let c = emulator_client(&emu);
        let call = CallbackCall::new("13800138000", "13900139000", 100).custom_parm("by-fid");
        c.callback_call(&call).unwrap();
        let ticket = Ticket::for_callback(&call, SystemTime::now(), None);
        let r = c.resolve(&ticket).unwrap();
        assert_eq!(r.status(), ResolutionStatus::Placed, "{}", r.reason());
        // The emulator keeps callback calls under fid 4: another fid finds
        // nothing, whether the ticket or the options name it.
        let other = ticket.clone().with_fid("5").unwrap();
        let r = c.resolve(&other).unwrap();
        assert_eq!(r.status(), ResolutionStatus::NotKnownYet, "{}", r.reason());
        let r = c
            .resolve_with(&ticket, &ResolveOptions::new().fid("5"))
            .unwrap();
        assert_eq!(r.status(), ResolutionStatus::NotKnownYet, "{}", r.reason());
        let r = c
            .resolve_with(&other, &ResolveOptions::new().fid("4"))
            .unwrap();
        assert_eq!(r.status(), ResolutionStatus::Placed, "{}", r.reason());
    }

    #[test]
    fn a_far_future_sent_is_refused_so_the_bound_stays_a_date() {
        let at = |sent: i64| {
            format!("ytx-ticket:1;kind=callback;sent={sent};credit=4294967295;srctimeout=4294967295;dsttimeout=4294967295;anchor=;customParm=a")
        };
        let t = Ticket::parse(&at(MAX_TICKET_SENT_UNIX)).unwrap();
        let last = UNIX_EPOCH + Duration::from_secs(253_402_300_799);
        assert!(t.not_placed_after() <= last);
        for bad in [MAX_TICKET_SENT_UNIX + 1, 253_402_300_799] {
            let e = Ticket::parse(&at(bad)).unwrap_err();
            assert_eq!(e.field(), Some("ticket"), "{e}");
        }
        // A far-future time given in Rust is held at the same limit.
        let call = CallbackCall::new("13800138000", "13900139000", u32::MAX)
            .src_timeout(u32::MAX)
            .dst_timeout(u32::MAX)
            .custom_parm("a");
        let far = UNIX_EPOCH + Duration::from_secs(400_000_000_000);
        assert!(Ticket::for_callback(&call, far, None).not_placed_after() <= last);
    }

    #[test]
    fn unique_custom_parms_differ_and_are_valid() {
        let a = unique_custom_parm();
        let b = unique_custom_parm();
        assert_ne!(a, b);
        let call = CallbackCall::new("13800138000", "13900139000", 61).custom_parm(a);
        assert!(call.validate().is_ok());
    }
}
