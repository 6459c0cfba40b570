//! The [`Ticket`] of an *outcome unknown*: the data, on its own so that
//! [`Error`](crate::Error) (which carries one) and `resolve` (which makes,
//! reads and resolves them, and returns errors) each import it, not each
//! other. Its methods are in `src/resolve.rs`.

use std::time::Instant;

/// What kind of request a [`Ticket`] is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TicketKind {
    /// A two-way callback call: resolvable by its customParm.
    CallbackCall,
    /// A voice verification code: its record carries no customParm and its
    /// product number is not known, so it cannot be resolved.
    VoiceCode,
}

/// What resolving an *outcome unknown* needs: see the [`resolve`](crate::resolve)
/// module's docs. Made and read there (`Ticket::for_callback`,
/// `Ticket::parse`, ...); defined here, where [`Error`](crate::Error) can
/// hold it without importing the module that returns it.
///
/// ```
/// let call = ytx::CallbackCall::new("13800138000", "01085485069", 600).custom_parm("order-42");
/// let sent = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_765_000_000);
/// let t = ytx::Ticket::for_callback(&call, sent, Some("20200437755811196850667520400"));
/// let text = t.to_text();
/// assert_eq!(text, "ytx-ticket:1;kind=callback;sent=1765000000;credit=600;srctimeout=;dsttimeout=;anchor=20200437755811196850667520400;customParm=order%2D42;fid=4");
/// assert_eq!(ytx::Ticket::parse(&text)?, t);
/// // 600 s of credit + 60 + 60 s of ring timeouts + 60 s for the record.
/// assert_eq!(t.not_placed_after(), sent + std::time::Duration::from_secs(780));
/// # Ok::<(), ytx::Error>(())
/// ```
///
/// Equality and hashing compare what the text holds: a ticket and its
/// parsed text are equal, whatever monotonic stamp either carries.
#[derive(Clone, Debug)]
pub struct Ticket {
    pub(crate) kind: TicketKind,
    pub(crate) sent_unix: i64,
    pub(crate) credit: u32,
    pub(crate) src_timeout: Option<u32>,
    pub(crate) dst_timeout: Option<u32>,
    pub(crate) anchor: Option<String>,
    pub(crate) custom_parm: Option<String>,
    pub(crate) fid: String,
    /// When this process saw the failure, on the monotonic clock (not in
    /// the text): the bound must also have passed on this clock, so a wall
    /// clock stepped forward (NTP) or running fast cannot make "not placed"
    /// come early.
    pub(crate) seen: Option<Instant>,
}

impl Ticket {
    fn key(&self) -> impl PartialEq + std::hash::Hash + '_ {
        (
            self.kind,
            self.sent_unix,
            self.credit,
            self.src_timeout,
            self.dst_timeout,
            &self.anchor,
            &self.custom_parm,
            &self.fid,
        )
    }
}

impl PartialEq for Ticket {
    fn eq(&self, other: &Ticket) -> bool {
        self.key() == other.key()
    }
}

impl Eq for Ticket {}

impl std::hash::Hash for Ticket {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.key().hash(state);
    }
}
