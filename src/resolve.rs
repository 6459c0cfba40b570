//! Resolving an *outcome unknown*: was the call placed or not?
//!
//! When a callback call ends as *outcome unknown* (the request was written,
//! no valid answer came back), the platform may have placed it. The error
//! carries a [`Ticket`] ([`Error::ticket`](crate::Error::ticket)) holding
//! everything needed to find out: the call's customParm, its ring timeouts
//! and credit, when it was sent, and the last requestId the client saw
//! accepted before sending it (the anchor). [`Client::resolve`] pages
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
//! ytx-ticket:1;kind=callback;sent=1765000000;credit=600;srctimeout=;dsttimeout=30;anchor=20200437755811196850667520400;customParm=order%2D42
//! ```
//!
//! Fields in this order, separated by `;`: `kind` (`callback` or
//! `voicecode`), `sent` (Unix seconds, rounded up), `credit`, `srctimeout`,
//! `dsttimeout` (seconds; empty: not given in the request), `anchor` (a
//! requestId; empty: none known), `customParm` (percent-encoded UTF-8: every
//! byte other than ASCII letters, digits and `_.~` as `%XX`; empty: none). A
//! later version changes the number after `ytx-ticket:`; a version-1 parser
//! refuses any other.

use std::fmt;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::client::Client;
use crate::error::{Error, Result};
use crate::record::{CallRecord, CALLBACK_FID, MAX_RECORDS_PER_QUERY};
use crate::request::{CallbackCall, RecordQuery};

/// The ring timeout assumed for a leg whose `srctimeout` / `dsttimeout` the
/// request did not give (PROTOCOL.md: the platform's default is not
/// documented).
pub const DEFAULT_RING_TIMEOUT_SECS: u64 = 60;
/// How long after a call ends its record is assumed written (PROTOCOL.md:
/// "a query sooner than about 20 s finds nothing").
pub const RECORD_DELAY_SECS: u64 = 60;
/// Default overall deadline of one [`Client::resolve`].
pub const DEFAULT_RESOLVE_DEADLINE: Duration = Duration::from_secs(60);
/// Default most record queries one [`Client::resolve`] sends.
pub const DEFAULT_RESOLVE_MAX_PAGES: u32 = 100;
/// Default records asked for per query of [`Client::resolve`].
pub const DEFAULT_RESOLVE_PAGE_SIZE: u32 = 100;

const TICKET_PREFIX: &str = "ytx-ticket:1;";

/// What kind of request a [`Ticket`] is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TicketKind {
    /// A two-way callback call: resolvable by its customParm.
    CallbackCall,
    /// A voice verification code: its record carries no customParm and its
    /// product number is not known, so it cannot be resolved.
    VoiceCode,
}

/// What resolving an *outcome unknown* needs: see the [module](self) docs.
///
/// ```
/// let call = ytx::CallbackCall::new("13800138000", "01085485069", 600).custom_parm("order-42");
/// let sent = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_765_000_000);
/// let t = ytx::Ticket::for_callback(&call, sent, Some("20200437755811196850667520400"));
/// let text = t.to_text();
/// assert_eq!(text, "ytx-ticket:1;kind=callback;sent=1765000000;credit=600;srctimeout=;dsttimeout=;anchor=20200437755811196850667520400;customParm=order%2D42");
/// assert_eq!(ytx::Ticket::parse(&text)?, t);
/// // 600 s of credit + 60 + 60 s of ring timeouts + 60 s for the record.
/// assert_eq!(t.not_placed_after(), sent + std::time::Duration::from_secs(780));
/// # Ok::<(), ytx::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Ticket {
    kind: TicketKind,
    sent_unix: i64,
    credit: u32,
    src_timeout: Option<u32>,
    dst_timeout: Option<u32>,
    anchor: Option<String>,
    custom_parm: Option<String>,
}

fn unix_ceil(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => {
            let s = d.as_secs() + u64::from(d.subsec_nanos() > 0);
            i64::try_from(s).unwrap_or(i64::MAX)
        }
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
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
        }
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

    /// PROTOCOL.md's bound: after this time, a placed call's record has been
    /// written, so a search that does not find it means "not placed". Sent
    /// time + `srctimeout` + `dsttimeout` (each
    /// [`DEFAULT_RING_TIMEOUT_SECS`] when not given) + `credit` + the
    /// record delay ([`RECORD_DELAY_SECS`]).
    pub fn not_placed_after(&self) -> SystemTime {
        let ring = |t: Option<u32>| t.map_or(DEFAULT_RING_TIMEOUT_SECS, u64::from);
        let secs = ring(self.src_timeout)
            + ring(self.dst_timeout)
            + u64::from(self.credit)
            + RECORD_DELAY_SECS;
        self.sent_at() + Duration::from_secs(secs)
    }

    /// The ticket as text (format in the [module](self) docs), to be saved
    /// and [parsed](Ticket::parse) back later, in any process.
    pub fn to_text(&self) -> String {
        let opt = |v: Option<u32>| v.map(|n| n.to_string()).unwrap_or_default();
        format!(
            "{TICKET_PREFIX}kind={};sent={};credit={};srctimeout={};dsttimeout={};anchor={};customParm={}",
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
        ];
        let parts: Vec<&str> = rest.split(';').collect();
        if parts.len() != keys.len() {
            return Err(bad(&format!(
                "must have the {} fields {}",
                keys.len(),
                keys.join(", ")
            )));
        }
        let mut values = [""; 7];
        for ((part, key), slot) in parts.iter().zip(keys).zip(values.iter_mut()) {
            *slot = part
                .strip_prefix(key)
                .and_then(|p| p.strip_prefix('='))
                .ok_or_else(|| bad(&format!("expected the field {key} in its place")))?;
        }
        let [kind, sent, credit, src, dst, anchor, parm] = values;
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
            .filter(|s| (0..=253_402_300_799).contains(s))
            .ok_or_else(|| bad("sent must be a time in Unix seconds"))?;
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
        })
    }
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

/// The answer of [`Client::resolve`].
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

/// What [`Client::resolve`] found.
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

/// Bounds and resume point of one [`Client::resolve`].
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
        }
    }
    /// The overall deadline, checked before each page (a page already sent
    /// ends within the client's timeout).
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
    /// Check every option; the error names the first bad one.
    pub fn validate(&self) -> Result<()> {
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

/// What [`Client::resolve`] takes: a [`Ticket`], or the error of an
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

impl Client {
    /// Resolve an *outcome unknown* with the default [`ResolveOptions`]:
    /// see [`Client::resolve_with`].
    pub fn resolve(&self, what: &impl Resolvable) -> Result<Resolution> {
        self.resolve_with(what, &ResolveOptions::new())
    }

    /// Was the call of this ticket (or of this *outcome unknown* error)
    /// placed? See the [module](crate::resolve) docs for the answers. Only
    /// record queries are sent (they place nothing); a query that fails is
    /// returned as its error (safe to call `resolve` again). An error
    /// without a ticket (not an *outcome unknown*) is
    /// [`ResolutionStatus::CannotBeResolved`].
    ///
    /// ```no_run
    /// # let client = ytx::Client::builder("sid", "token", "app").build()?;
    /// # let call = ytx::CallbackCall::new("13800138000", "01085485069", 600).custom_parm("order-42");
    /// use ytx::ResolutionStatus::*;
    /// if let Err(e) = client.callback_call(&call) {
    ///     if let Some(ticket) = e.ticket() {
    ///         let saved = ticket.to_text(); // keep it with the order
    ///         let r = client.resolve(&ytx::Ticket::parse(&saved)?)?;
    ///         match r.status() {
    ///             Placed => println!("placed: {}", r.record().unwrap().request_id()),
    ///             NotPlaced => println!("not placed: safe to place again"),
    ///             NotKnownYet => println!("ask again at {:?} from {:?}", r.check_again_at(), r.cursor()),
    ///             CannotBeResolved => println!("{}", r.reason()),
    ///         }
    ///     }
    /// }
    /// # Ok::<(), ytx::Error>(())
    /// ```
    pub fn resolve_with(
        &self,
        what: &impl Resolvable,
        options: &ResolveOptions,
    ) -> Result<Resolution> {
        crate::client::logged_invalid("resolve", options.validate())?;
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
        let bound = ticket.not_placed_after();
        let started = Instant::now();
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
            let now = SystemTime::now();
            Resolution {
                check_again_at: Some(if now < bound { bound } else { now }),
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
            let asked_at = SystemTime::now();
            let after_bound = *searched_after_bound.get_or_insert(asked_at >= bound);
            let query = RecordQuery::after(after.clone(), options.page_size).fid(CALLBACK_FID);
            let mut page = self.call_records(&query)?;
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
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn unique_custom_parms_differ_and_are_valid() {
        let a = unique_custom_parm();
        let b = unique_custom_parm();
        assert_ne!(a, b);
        let call = CallbackCall::new("13800138000", "13900139000", 61).custom_parm(a);
        assert!(call.validate().is_ok());
    }
}
