//! The client: signing and sending each operation once, over the transport
//! its configuration chose. Configuration is in [`crate::config`], the
//! answer's parsing in [`crate::response`], the wire in `transport`. Their
//! public items used to be re-exported here too: those paths still work, as
//! deprecated aliases (use `ytx::X`, `ytx::config::X` or `ytx::response::X`).

use std::borrow::Cow;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Instant, SystemTime};

use crate::error::{Error, Result};
use crate::log::{self, LogLevel};
use crate::record::{Balance, CallRecord};
use crate::request::{CallbackCall, FindCall, RecordQuery, VoiceCode};
use crate::resolve::{self, Resolution, Resolvable, ResolveOptions, Ticket};
use crate::response::{self, answer_to_result, Answer};
use crate::sign;
use crate::transport::{self, Transport};

use crate::config::{self, Config};

// ===== the old paths (ytx::client::X), kept as deprecated aliases =====

/// Old path of [`crate::config::ClientBuilder`].
#[deprecated(
    since = "0.1.0",
    note = "use ytx::ClientBuilder (ytx::config::ClientBuilder)"
)]
pub type ClientBuilder = config::ClientBuilder;
/// Old path of [`crate::config::Endpoint`].
#[deprecated(since = "0.1.0", note = "use ytx::Endpoint (ytx::config::Endpoint)")]
pub type Endpoint = config::Endpoint;
/// Old path of [`crate::config::Environment`].
#[deprecated(
    since = "0.1.0",
    note = "use ytx::Environment (ytx::config::Environment)"
)]
pub type Environment = config::Environment;
/// Old path of [`crate::config::Resolver`].
#[deprecated(since = "0.1.0", note = "use ytx::config::Resolver")]
pub type Resolver = config::Resolver;
/// Old path of [`crate::response::Response`].
#[deprecated(since = "0.1.0", note = "use ytx::Response (ytx::response::Response)")]
pub type Response = crate::response::Response;
/// Old path of [`crate::config::API_VERSION`].
#[deprecated(since = "0.1.0", note = "use ytx::config::API_VERSION")]
pub const API_VERSION: &str = crate::config::API_VERSION;
/// Old path of [`crate::config::BALANCE_API_VERSION`].
#[deprecated(since = "0.1.0", note = "use ytx::config::BALANCE_API_VERSION")]
pub const BALANCE_API_VERSION: &str = crate::config::BALANCE_API_VERSION;
/// Old path of [`crate::config::CLIENT_OPTION_NAMES`].
#[doc(hidden)]
#[deprecated(since = "0.1.0", note = "use ytx::config::CLIENT_OPTION_NAMES")]
pub const CLIENT_OPTION_NAMES: [&str; crate::config::CLIENT_OPTION_NAMES.len()] =
    crate::config::CLIENT_OPTION_NAMES;
/// Old path of [`crate::config::DEFAULT_CONNECT_TIMEOUT`].
#[deprecated(since = "0.1.0", note = "use ytx::config::DEFAULT_CONNECT_TIMEOUT")]
pub const DEFAULT_CONNECT_TIMEOUT: std::time::Duration = crate::config::DEFAULT_CONNECT_TIMEOUT;
/// Old path of [`crate::config::DEFAULT_POOL_IDLE_TIMEOUT`].
#[deprecated(since = "0.1.0", note = "use ytx::config::DEFAULT_POOL_IDLE_TIMEOUT")]
pub const DEFAULT_POOL_IDLE_TIMEOUT: std::time::Duration = crate::config::DEFAULT_POOL_IDLE_TIMEOUT;
/// Old path of [`crate::config::DEFAULT_TIMEOUT`].
#[deprecated(since = "0.1.0", note = "use ytx::config::DEFAULT_TIMEOUT")]
pub const DEFAULT_TIMEOUT: std::time::Duration = crate::config::DEFAULT_TIMEOUT;
/// Old path of [`crate::config::MAX_IDLE_CONNECTIONS`].
#[deprecated(since = "0.1.0", note = "use ytx::config::MAX_IDLE_CONNECTIONS")]
pub const MAX_IDLE_CONNECTIONS: usize = crate::config::MAX_IDLE_CONNECTIONS;
/// Old path of [`crate::config::PRODUCTION_URL`].
#[deprecated(since = "0.1.0", note = "use ytx::config::PRODUCTION_URL")]
pub const PRODUCTION_URL: &str = crate::config::PRODUCTION_URL;
/// Old path of [`crate::config::SANDBOX_URL`].
#[deprecated(since = "0.1.0", note = "use ytx::config::SANDBOX_URL")]
pub const SANDBOX_URL: &str = crate::config::SANDBOX_URL;
/// Old path of [`crate::response::MAX_RESPONSE_BYTES`].
#[deprecated(since = "0.1.0", note = "use ytx::response::MAX_RESPONSE_BYTES")]
pub const MAX_RESPONSE_BYTES: u64 = crate::response::MAX_RESPONSE_BYTES;
/// Old path of [`crate::response::parse_response`].
#[deprecated(
    since = "0.1.0",
    note = "use ytx::parse_response (ytx::response::parse_response)"
)]
pub fn parse_response(body: &[u8]) -> Result<response::Response> {
    crate::response::parse_response(body)
}

// ===== impl ClientBuilder::build =====

impl config::ClientBuilder {
    /// Check the configuration and make the client.
    ///
    /// Credentials are checked, not trimmed: a value with a space or newline
    /// (pasted from the console) is an error naming the field, because a
    /// silently trimmed credential hides the mistake elsewhere.
    ///
    /// (Defined here, not in src/config.rs, so that the configuration knows
    /// nothing of the client: the builder checks, the client holds what it
    /// checked.)
    pub fn build(self) -> Result<Client> {
        let built = self.check().and_then(Client::new);
        if let Err(e) = &built {
            log::log(LogLevel::Warn, || format!("client not created: {e}"));
        }
        built
    }
}

// ===== impl Client =====

/// A signed request, ready to send: what goes on the wire.
///
/// From [`Client::prepare_callback_call`] / [`Client::prepare_voice_code`]
/// (a dry run), for debugging or for sending through your own HTTP stack.
/// Its URL carries the Sign, valid for the platform's timestamp window: treat
/// it like a short-lived credential. `Display` shows it with the Sign redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct PreparedRequest {
    /// Always `POST`.
    pub method: &'static str,
    /// Full URL including `?Sign=...`.
    pub url: String,
    /// Accept, Content-Type, Authorization.
    pub headers: Vec<(&'static str, String)>,
    /// The JSON body.
    pub body: String,
}

impl PreparedRequest {
    /// The URL with the Sign value replaced by `<redacted>`, for logs.
    ///
    /// ```
    /// let c = ytx::Client::builder("sid", "token", "app").build()?;
    /// let req = c.prepare_voice_code(&ytx::VoiceCode::new("13800138000", "02160000000", "1"))?;
    /// assert!(req.redacted_url().ends_with("?Sign=<redacted>"));
    /// # Ok::<(), ytx::Error>(())
    /// ```
    pub fn redacted_url(&self) -> String {
        redact_sign(&self.url)
    }
}

impl fmt::Display for PreparedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} {}", self.method, self.redacted_url())?;
        for (k, v) in &self.headers {
            writeln!(f, "{k}: {v}")?;
        }
        write!(f, "\n{}", self.body)
    }
}

impl fmt::Debug for PreparedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PreparedRequest")
            .field("method", &self.method)
            .field("url", &self.redacted_url())
            .field("headers", &self.headers)
            .field("body", &self.body)
            .finish()
    }
}

/// A request the library built and signed from checked parts, for the C
/// ABI's calls and dry runs ([`Client::sign_callback_call`]): what a
/// [`PreparedRequest`] holds, with the headers read from the shared
/// per-second signature instead of copied.
pub(crate) struct SignedRequest {
    what: Signed,
    /// Full URL including `?Sign=...`.
    pub(crate) url: String,
    sig: Arc<Signature>,
    /// The JSON body.
    pub(crate) body: String,
}

/// What a [`SignedRequest`] is, for the ticket of its *outcome unknown*.
#[derive(Clone, Copy)]
enum Signed {
    CallbackCall,
    VoiceCode,
}

impl SignedRequest {
    /// Always `POST`.
    pub(crate) const METHOD: &'static str = "POST";

    /// Accept, Content-Type, Authorization.
    pub(crate) fn headers(&self) -> [(&'static str, &str); 3] {
        self.sig.headers()
    }

    /// The URL with the Sign value replaced by `<redacted>`.
    pub(crate) fn redacted_url(&self) -> String {
        redact_sign(&self.url)
    }
}

impl From<SignedRequest> for PreparedRequest {
    fn from(r: SignedRequest) -> PreparedRequest {
        PreparedRequest {
            method: SignedRequest::METHOD,
            headers: r.headers().map(|(k, v)| (k, v.to_string())).to_vec(),
            url: r.url,
            body: r.body,
        }
    }
}

/// A client of the ytx.net platform. Cheap to share: `Send + Sync`, one
/// keep-alive connection pool inside; use one per account from any number of
/// threads. A call is never re-sent once it may have reached the platform.
pub struct Client {
    /// The checked configuration (never the builder).
    cfg: Config,
    base_url: String,
    callback_url: String,
    voice_code_url: String,
    records_url: String,
    balance_url: String,
    /// The HTTP transport chosen for the base URL and proxy
    /// ([`transport::Transport::new`]).
    transport: Transport,
    /// Sign and Authorization of the current second (they change once a
    /// second), shared by the calls of that second.
    signature: Mutex<Option<Arc<Signature>>>,
    /// The requestId of the last callback call this client saw accepted:
    /// the anchor of the next *outcome unknown*'s ticket.
    last_accepted: Mutex<Option<String>>,
    /// Who is told of every callback call placed (a tracker attached to
    /// this client); `has_observers` spares the lock when there is none.
    observers: Mutex<Vec<Weak<dyn CallObserver>>>,
    has_observers: AtomicBool,
}

/// Told of every callback call a client places while attached (a
/// tracker, `crate::tracker`): each accepted one, by its requestId and wire
/// body, and each *outcome unknown*, by its ticket and wire body. Called on
/// the thread that placed the call, after the answer: it must not block.
pub(crate) trait CallObserver: Send + Sync {
    /// A callback call was accepted.
    fn accepted(&self, request_id: &str, body: &str);
    /// A callback call ended as *outcome unknown*.
    fn unknown(&self, ticket: &Ticket, body: &str);
}

/// What a request is, for the ticket of its *outcome unknown*.
enum Sending<'a> {
    /// A callback call, as sent (its customParm included).
    Callback(&'a CallbackCall),
    /// A callback call known only by its wire body (a [`PreparedRequest`]).
    CallbackBody(&'a str),
    /// A voice code.
    VoiceCode,
    /// Anything else (record queries, balance): no ticket.
    Other,
}

/// Sign and Authorization for one timestamp (one UTC second).
struct Signature {
    second: i64,
    sign: String,
    authorization: String,
}

impl Drop for Signature {
    /// The Sign is a credential for the platform's timestamp window: wiped
    /// like the auth token when the cache lets it go.
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.sign);
    }
}

impl Signature {
    /// The request URL: the operation's URL with `?Sign=` (one
    /// allocation of the exact size, without `format!`'s machinery: about
    /// 1,000 instructions less per call, BENCHMARKS.md).
    fn url(&self, url: &str) -> String {
        [url, "?Sign=", &self.sign].concat()
    }

    /// The request headers, as PROTOCOL.md lists them.
    fn headers(&self) -> [(&'static str, &str); 3] {
        [
            ("Accept", "application/json"),
            ("Content-Type", "application/json;charset=utf-8"),
            ("Authorization", &self.authorization),
        ]
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client").field("config", &self.cfg).finish()
    }
}

impl Client {
    /// The client for a checked configuration (from [`ClientBuilder::build`](config::ClientBuilder::build)).
    fn new(cfg: Config) -> Result<Client> {
        let base = cfg.transport.url.as_str().to_string();
        let sid = &cfg.account_sid;
        let prefix = format!("{base}/{}/sid/{sid}/call/", config::API_VERSION);
        Ok(Client {
            callback_url: format!("{prefix}{}", cfg.callback.func_url),
            voice_code_url: format!("{prefix}{}", cfg.voice_code.func_url),
            records_url: format!("{prefix}CallCdr.wx"),
            balance_url: format!(
                "{base}/{}/sid/{sid}/account/getBlance.wx",
                config::BALANCE_API_VERSION
            ),
            base_url: base,
            transport: Transport::new(&cfg.transport)?,
            signature: Mutex::new(None),
            last_accepted: Mutex::new(None),
            observers: Mutex::new(Vec::new()),
            has_observers: AtomicBool::new(false),
            cfg,
        })
    }

    /// The transport, for the transports' own tests (fault injection).
    #[cfg(test)]
    pub(crate) fn transport(&self) -> &Transport {
        &self.transport
    }

    /// Start building a client for these credentials.
    pub fn builder(
        account_sid: impl Into<String>,
        auth_token: impl Into<String>,
        app_id: impl Into<String>,
    ) -> config::ClientBuilder {
        config::ClientBuilder::new(account_sid, auth_token, app_id)
    }

    /// The base URL requests go to.
    ///
    /// ```
    /// let c = ytx::Client::builder("sid", "token", "app").base_url("http://127.0.0.1:8080/").build()?;
    /// assert_eq!(c.base_url(), "http://127.0.0.1:8080");
    /// # Ok::<(), ytx::Error>(())
    /// ```
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Place a two-way callback call: the platform rings `src`, then `dst`,
    /// and bridges them. Sent at most once.
    ///
    /// ```no_run
    /// # let client = ytx::Client::builder("sid", "token", "app").build()?;
    /// let accepted = client.callback_call(&ytx::CallbackCall::new("13800138000", "01085485069", 600))?;
    /// println!("requestId {}", accepted.request_id);
    /// # Ok::<(), ytx::Error>(())
    /// ```
    ///
    /// An *outcome unknown* error carries a [`Ticket`] ([`Error::ticket`]):
    /// pass it to [`Client::resolve`] to learn whether the call was placed.
    pub fn callback_call(&self, call: &CallbackCall) -> Result<response::Response> {
        let call = self.with_custom_parm(call);
        let body = logged_invalid(
            "callback call",
            call.to_json(&self.cfg.callback.action, &self.cfg.app_id),
        )?;
        let anchor = self.anchor();
        let result = self.execute(&self.callback_url, &body);
        let result = self.settle(&Sending::Callback(&call), anchor, result);
        self.notify(&body, &result);
        result
    }

    /// The app id requests are sent with.
    pub(crate) fn app_id(&self) -> &str {
        &self.cfg.app_id
    }

    /// Tell `observer` of every callback call placed from now on, until it
    /// is dropped.
    pub(crate) fn attach(&self, observer: Weak<dyn CallObserver>) {
        let mut observers = self.observers.lock().unwrap_or_else(|p| p.into_inner());
        observers.retain(|o| o.strong_count() > 0);
        observers.push(observer);
        self.has_observers.store(true, Ordering::Release);
    }

    /// Tell the attached observers of a callback call's result: accepted,
    /// or *outcome unknown* (with its ticket). Nothing when none is attached.
    fn notify(&self, body: &str, result: &Result<response::Response>) {
        if !self.has_observers.load(Ordering::Acquire) {
            return;
        }
        let live: Vec<Arc<dyn CallObserver>> = {
            let mut observers = self.observers.lock().unwrap_or_else(|p| p.into_inner());
            observers.retain(|o| o.strong_count() > 0);
            if observers.is_empty() {
                self.has_observers.store(false, Ordering::Release);
            }
            observers.iter().filter_map(Weak::upgrade).collect()
        };
        for o in live {
            match result {
                Ok(r) => o.accepted(&r.request_id, body),
                Err(e) => {
                    if let Some(t) = e.ticket() {
                        o.unknown(t, body);
                    }
                }
            }
        }
    }

    /// The call with a unique customParm when it has none and the client
    /// option `auto_custom_parm` is on.
    fn with_custom_parm<'a>(&self, call: &'a CallbackCall) -> Cow<'a, CallbackCall> {
        if self.cfg.auto_custom_parm && call.custom_parm.is_none() {
            Cow::Owned(call.clone().custom_parm(resolve::unique_custom_parm()))
        } else {
            Cow::Borrowed(call)
        }
    }

    /// The last requestId accepted for a callback call, before a send.
    fn anchor(&self) -> Option<String> {
        self.last_accepted
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Remember an accepted callback call's requestId as the next anchor
    /// (one that cannot be a `lastresid` is not kept).
    fn remember_accepted(&self, request_id: &str) {
        if crate::request::request_id_text("requestId", request_id).is_ok() {
            let mut slot = self.last_accepted.lock().unwrap_or_else(|p| p.into_inner());
            match slot.as_mut() {
                // The previous one's buffer, reused: no allocation per call.
                Some(last) => {
                    last.clear();
                    last.push_str(request_id);
                }
                None => *slot = Some(request_id.to_string()),
            }
        }
    }

    /// After a send: remember an accepted callback call's requestId (the
    /// next anchor); give an *outcome unknown* its ticket, stamped with the
    /// time the failure was seen (no earlier than the request could have
    /// reached the platform, so the bound is never too early).
    fn settle(
        &self,
        what: &Sending,
        anchor: Option<String>,
        result: Result<response::Response>,
    ) -> Result<response::Response> {
        let e = match (result, what) {
            (Ok(r), Sending::Callback(_) | Sending::CallbackBody(_)) => {
                self.remember_accepted(&r.request_id);
                return Ok(r);
            }
            (Ok(r), _) => return Ok(r),
            (Err(e), _) => e,
        };
        // Both clocks read after the failure was seen.
        let (now, seen) = (SystemTime::now(), Instant::now());
        let anchor = anchor.as_deref();
        let ticket = match what {
            Sending::Callback(call) => Ticket::for_callback(call, now, anchor),
            Sending::CallbackBody(body) => Ticket::for_callback_body(body, now, anchor),
            Sending::VoiceCode => Ticket::for_voice_code(now),
            Sending::Other => return Err(e),
        };
        Err(e.with_ticket(ticket.stamped(seen)))
    }

    /// Send a voice verification code: the platform calls `dst` and reads
    /// out the code. Sent at most once.
    ///
    /// ```no_run
    /// # let client = ytx::Client::builder("sid", "token", "app").build()?;
    /// match client.voice_code(&ytx::VoiceCode::new("13800138000", "02160000000", "4096")) {
    ///     Ok(accepted) => println!("requestId {}", accepted.request_id),
    ///     Err(e) if e.delivery() == ytx::Delivery::NotSent => println!("retry: {e}"),
    ///     Err(e) => println!("do not retry blindly: {e}"),
    /// }
    /// # Ok::<(), ytx::Error>(())
    /// ```
    pub fn voice_code(&self, code: &VoiceCode) -> Result<response::Response> {
        let body = logged_invalid(
            "voice code",
            code.to_json(&self.cfg.voice_code.action, &self.cfg.app_id),
        )?;
        let result = self.execute(&self.voice_code_url, &body);
        self.settle(&Sending::VoiceCode, None, result)
    }

    /// The record of one call (`CallCdr.wx`, `getCdrByResId` with `limit`
    /// 0, fid 4), or `None` when the platform has none (yet: it writes a
    /// record about 20 s after the call ends). Sent once, like every request.
    ///
    /// ```no_run
    /// # let client = ytx::Client::builder("sid", "token", "app").build()?;
    /// if let Some(r) = client.call_record("20200437755811196850667520400")? {
    ///     println!("{:?} s, {} fen", r.duration(), r.amount().map_or(0, |a| a.fen()));
    /// }
    /// # Ok::<(), ytx::Error>(())
    /// ```
    pub fn call_record(&self, request_id: &str) -> Result<Option<CallRecord>> {
        self.call_record_with(&RecordQuery::of(request_id))
    }

    /// [`Client::call_record`] with a query of your own (e.g.
    /// `RecordQuery::of(id).fid("4")`); a paging query is an error naming
    /// `limit`.
    pub fn call_record_with(&self, query: &RecordQuery) -> Result<Option<CallRecord>> {
        if query.is_paging() {
            return logged_invalid(
                "call-record query",
                Err(Error::invalid(
                    "limit",
                    "call_record_with takes RecordQuery::of (one record), not a paging query",
                )),
            );
        }
        let mut records = self.call_records(query)?;
        let request_id = query.last_request_id();
        // The one record asked for; anything else the answer held is ignored.
        let found = records.iter().position(|r| r.request_id() == request_id);
        Ok(match found {
            Some(i) => Some(records.swap_remove(i)),
            None if records.len() == 1 && records[0].request_id().is_empty() => records.pop(),
            None => None,
        })
    }

    /// Up to `limit` records (1 to 1000) after `request_id` (`"0"`: from the
    /// first), fid 4, in the platform's order; empty when there are none.
    pub fn call_records_after(&self, request_id: &str, limit: u32) -> Result<Vec<CallRecord>> {
        self.call_records(&RecordQuery::after(request_id, limit))
    }

    /// Any call-record query (e.g. with another `fid`).
    pub fn call_records(&self, query: &RecordQuery) -> Result<Vec<CallRecord>> {
        self.call_records_until(query, None)
    }

    /// [`Client::call_records`] whose automatic retries (if any) start no
    /// later than `until` (the resolver's deadline).
    pub(crate) fn call_records_until(
        &self,
        query: &RecordQuery,
        until: Option<Instant>,
    ) -> Result<Vec<CallRecord>> {
        let body = logged_invalid("call-record query", query.to_json(&self.cfg.app_id))?;
        logged_invalid("request", crate::request::check_body(&body))?;
        let sig = self.signature();
        self.send_logged(&sig.url(&self.records_url), &sig.headers(), &body, until)
    }

    /// Find the call whose `customParm` is `custom_parm` among the records
    /// after `after_request_id` (a requestId you knew from before the call;
    /// `"0"` searches from the first record). This is how an *outcome
    /// unknown* is resolved without ringing anyone twice (see
    /// [`record`](crate::record) for the steps): `Some(record)` means the call
    /// was placed. `None` means no record yet, never by itself "not
    /// placed": a record is written only after the call ends, up to
    /// `srctimeout` + `dsttimeout` + `credit` + 60 s after it was sent
    /// (PROTOCOL.md). Pages of 100, at most 100 pages (see
    /// [`Client::find_call_with`]). Only an empty page ends the search (a
    /// gateway may answer fewer records than asked for).
    /// [`Client::resolve`] answers the same question with the bound
    /// applied: placed, not placed, or not known yet.
    ///
    /// ```no_run
    /// # let client = ytx::Client::builder("sid", "token", "app").build()?;
    /// match client.find_call("order-42", "20200437755811196850667520400")? {
    ///     Some(r) => println!("placed: {}", r.request_id()),
    ///     None => println!("no record (yet)"),
    /// }
    /// # Ok::<(), ytx::Error>(())
    /// ```
    pub fn find_call(
        &self,
        custom_parm: &str,
        after_request_id: &str,
    ) -> Result<Option<CallRecord>> {
        self.find_call_with(&FindCall::new(custom_parm, after_request_id))
    }

    /// [`Client::find_call`] with a page size, page bound or fid of your own.
    /// The first matching record is returned. Running out of pages before
    /// the end of the records is an error naming `max_pages`, never "not
    /// found".
    pub fn find_call_with(&self, search: &FindCall) -> Result<Option<CallRecord>> {
        logged_invalid("call search", search.validate())?;
        let mut after = search.after_request_id().to_string();
        for _ in 0..search.max_page_count() {
            let query = search.page(&after);
            let page = self.call_records(&query)?;
            if let Some(hit) = page
                .iter()
                .position(|r| r.custom_parm() == Some(search.custom_parm()))
            {
                return Ok(page.into_iter().nth(hit));
            }
            // Only an empty page is the end: a page shorter than `limit` is
            // no proof of it (a gateway or the platform may cap `limit`).
            let Some(last) = page.last().map(CallRecord::request_id) else {
                return Ok(None);
            };
            if last.is_empty() || last == after {
                return Err(Error::Protocol {
                    message: "a full page of call records does not move past the requestId it started from: cannot page on".into(),
                    ticket: None,
                });
            }
            after = last.to_string();
        }
        Err(Error::invalid(
            "max_pages",
            format!(
                "searched {} pages of {} records without reaching the last record; search from a later requestId or allow more pages",
                search.max_page_count(),
                search.page(&after).limit()
            ),
        ))
    }

    /// The account's balance (`account/getBlance.wx`, version 201612), exact.
    /// Checking it before a campaign avoids a run of `-204`.
    ///
    /// ```no_run
    /// # let client = ytx::Client::builder("sid", "token", "app").build()?;
    /// println!("balance {} yuan", client.balance()?.amount());
    /// # Ok::<(), ytx::Error>(())
    /// ```
    pub fn balance(&self) -> Result<Balance> {
        let body = BalanceWire {
            action: "queryBlance",
            appid: &self.cfg.app_id,
        };
        let body = serde_json::to_string(&body).expect("a struct of strings always serialises");
        self.execute(&self.balance_url, &body)
    }

    /// Sign and send without building a [`PreparedRequest`] (the hot path).
    fn execute<T: Answer>(&self, url: &str, body: &str) -> Result<T> {
        logged_invalid("request", crate::request::check_body(body))?;
        let sig = self.signature();
        self.send_logged(&sig.url(url), &sig.headers(), body, None)
    }

    /// The Sign and Authorization for now, computed once per second.
    fn signature(&self) -> Arc<Signature> {
        let now = time::OffsetDateTime::now_utc();
        let second = now.unix_timestamp();
        let mut slot = self.signature.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(sig) = slot.as_ref().filter(|s| s.second == second) {
            return sig.clone();
        }
        let sig = Arc::new(self.signature_at(second, &sign::timestamp_at(now)));
        *slot = Some(sig.clone());
        sig
    }

    /// The Sign and Authorization for one timestamp (`yyyyMMddHHmmss`, UTC+8).
    fn signature_at(&self, second: i64, timestamp: &str) -> Signature {
        let sid = &self.cfg.account_sid;
        Signature {
            second,
            sign: sign::sign(sid, &self.cfg.auth_token, timestamp),
            authorization: sign::authorization(sid, timestamp),
        }
    }

    /// Validate and sign a callback call without sending it (a dry run).
    ///
    /// ```
    /// let client = ytx::Client::builder("sid", "token", "app").build()?;
    /// let req = client.prepare_callback_call(&ytx::CallbackCall::new("13800138000", "13900139000", 61))?;
    /// assert!(req.url.starts_with("http://api.ytx.net/201512/sid/sid/call/DailbackCall.wx?Sign="));
    /// assert!(req.to_string().contains("Sign=<redacted>"));
    /// # Ok::<(), ytx::Error>(())
    /// ```
    ///
    /// The body carries what resolving needs (customParm, credit, ring
    /// timeouts; with `auto_custom_parm`, the customParm given here): an
    /// *outcome unknown* of [`Client::send`] has its ticket.
    pub fn prepare_callback_call(&self, call: &CallbackCall) -> Result<PreparedRequest> {
        self.sign_callback_call(call).map(PreparedRequest::from)
    }

    /// [`Client::prepare_callback_call`] without the owned header values
    /// of a [`PreparedRequest`]: what the C ABI's calls and dry runs send
    /// ([`Client::send_signed`]) and show.
    pub(crate) fn sign_callback_call(&self, call: &CallbackCall) -> Result<SignedRequest> {
        let call = self.with_custom_parm(call);
        let body = call.to_json(&self.cfg.callback.action, &self.cfg.app_id)?;
        Ok(Self::sign(
            Signed::CallbackCall,
            &self.callback_url,
            body,
            self.signature(),
        ))
    }

    /// Validate and sign a voice code without sending it (a dry run).
    ///
    /// ```
    /// let client = ytx::Client::builder("sid", "token", "app").build()?;
    /// let req = client.prepare_voice_code(&ytx::VoiceCode::new("13800138000", "02160000000", "4096"))?;
    /// assert!(req.body.contains(r#""code":"4096""#));
    /// # Ok::<(), ytx::Error>(())
    /// ```
    pub fn prepare_voice_code(&self, code: &VoiceCode) -> Result<PreparedRequest> {
        self.sign_voice_code(code).map(PreparedRequest::from)
    }

    /// [`Client::prepare_voice_code`] as a [`SignedRequest`] (see
    /// [`Client::sign_callback_call`]).
    pub(crate) fn sign_voice_code(&self, code: &VoiceCode) -> Result<SignedRequest> {
        let body = code.to_json(&self.cfg.voice_code.action, &self.cfg.app_id)?;
        Ok(Self::sign(
            Signed::VoiceCode,
            &self.voice_code_url,
            body,
            self.signature(),
        ))
    }

    /// A request to `url`, signed with `sig` (the per-second cache, as the
    /// send path signs: a request prepared and one sent in the same second
    /// carry the same Sign).
    fn sign(what: Signed, url: &str, body: String, sig: Arc<Signature>) -> SignedRequest {
        SignedRequest {
            what,
            url: sig.url(url),
            sig,
            body,
        }
    }

    /// Send a request this client signed ([`Client::sign_callback_call`],
    /// [`Client::sign_voice_code`]) as [`Client::send`] sends a
    /// [`PreparedRequest`], without `send`'s checks of what a caller may
    /// have edited: the URL and headers are the ones the Rust API's own
    /// calls send unchecked (the base URL, account and endpoints were
    /// checked when the client was built; Sign and Authorization are hex
    /// and Base64). The body's size is checked, as on every path. An
    /// *outcome unknown* of a callback call carries its ticket, read from
    /// the body; a callback call's result is told to the attached
    /// observers (trackers), as `send` tells it.
    pub(crate) fn send_signed(&self, req: &SignedRequest) -> Result<response::Response> {
        logged_invalid("request", crate::request::check_body(&req.body))?;
        let what = match req.what {
            Signed::CallbackCall => Sending::CallbackBody(&req.body),
            Signed::VoiceCode => Sending::VoiceCode,
        };
        let anchor = self.anchor();
        let result = self.send_logged(&req.url, &req.headers(), &req.body, None);
        let result = self.settle(&what, anchor, result);
        if matches!(what, Sending::CallbackBody(_)) {
            self.notify(&req.body, &result);
        }
        result
    }

    /// Send a prepared request once, and parse the answer.
    ///
    /// ```no_run
    /// # let client = ytx::Client::builder("sid", "token", "app").build()?;
    /// let req = client.prepare_voice_code(&ytx::VoiceCode::new("13800138000", "02160000000", "1"))?;
    /// eprintln!("sending {req}"); // Display redacts the Sign
    /// let accepted = client.send(&req)?;
    /// # Ok::<(), ytx::Error>(())
    /// ```
    ///
    /// Never retried here once the request may have been written: the error's
    /// [`Error::delivery`] says whether a retry is safe. An *outcome unknown*
    /// of a callback call or voice code carries its [`Ticket`], as from
    /// [`Client::callback_call`]: the callback call's is read from the body
    /// as sent (customParm, credit, ring timeouts).
    ///
    /// A request whose URL or header values hold CR, LF or another control
    /// character (an edited `PreparedRequest`) is refused before anything is
    /// sent: an error naming `url` or `headers`.
    pub fn send(&self, req: &PreparedRequest) -> Result<response::Response> {
        let headers: Vec<(&str, &str)> =
            req.headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        logged_invalid("request", transport::check_request(&req.url, &headers))?;
        logged_invalid("request", crate::request::check_body(&req.body))?;
        let what = if req.url.starts_with(&format!("{}?", self.callback_url)) {
            Sending::CallbackBody(&req.body)
        } else if req.url.starts_with(&format!("{}?", self.voice_code_url)) {
            Sending::VoiceCode
        } else {
            Sending::Other
        };
        let anchor = self.anchor();
        let result = self.send_logged(&req.url, &headers, &req.body, None);
        let result = self.settle(&what, anchor, result);
        if matches!(what, Sending::CallbackBody(_)) {
            self.notify(&req.body, &result);
        }
        result
    }

    /// Send, with the log lines around each attempt; resent only when the
    /// client's retry policy allows it and the failure is retry-safe
    /// ([`Error::retry_after`]), never after an *outcome unknown*, and
    /// never starting after `until` (a caller's own deadline).
    fn send_logged<T: Answer>(
        &self,
        url: &str,
        headers: &[(&str, &str)],
        body: &str,
        until: Option<Instant>,
    ) -> Result<T> {
        let policy = self.cfg.retry;
        let first = Instant::now();
        let mut retries = 0;
        loop {
            let result = self.attempt::<T>(url, headers, body);
            let after = match &result {
                Err(e) if retries < policy.max_retries => e.retry_after(),
                _ => None,
            };
            let Some(after) = after else {
                return result;
            };
            retries += 1;
            let pause = policy.pause(retries, after);
            let e = result.as_ref().err().map(ToString::to_string);
            let e = e.as_deref().unwrap_or("");
            if first.elapsed() + pause > policy.budget {
                log::log(LogLevel::Warn, || {
                    format!(
                        "POST {} not retried: the retry budget of {} ms would be exceeded ({e})",
                        redact_sign(url),
                        policy.budget.as_millis()
                    )
                });
                return result;
            }
            if until.is_some_and(|u| Instant::now() + pause > u) {
                log::log(LogLevel::Warn, || {
                    format!(
                        "POST {} not retried: the caller's deadline would pass first ({e})",
                        redact_sign(url)
                    )
                });
                return result;
            }
            log::log(LogLevel::Warn, || {
                format!(
                    "retry {retries} of {} in {} ms: POST {} ({e})",
                    policy.max_retries,
                    pause.as_millis(),
                    redact_sign(url)
                )
            });
            std::thread::sleep(pause);
        }
    }

    /// Send once, with the log lines around it.
    fn attempt<T: Answer>(&self, url: &str, headers: &[(&str, &str)], body: &str) -> Result<T> {
        log::log(LogLevel::Debug, || {
            format!("sending POST {} {body}", redact_sign(url))
        });
        let started = std::time::Instant::now();
        let result = self
            .send_once::<T>(url, headers, body)
            .map_err(|e| e.redacted(sign_of(url)));
        let ms = started.elapsed().as_millis();
        match &result {
            Ok(r) => log::log(LogLevel::Info, || {
                format!("POST {} -> {} ({ms} ms)", redact_sign(url), r.summary())
            }),
            Err(e @ Error::Platform { .. }) => log::log(LogLevel::Warn, || {
                format!("POST {} -> {e} ({ms} ms)", redact_sign(url))
            }),
            Err(e) => log::log(LogLevel::Error, || {
                format!("POST {} failed: {e} ({ms} ms)", redact_sign(url))
            }),
        }
        result
    }

    fn send_once<T: Answer>(&self, url: &str, headers: &[(&str, &str)], body: &str) -> Result<T> {
        let answer = self
            .transport
            .post(url, headers, body.as_bytes(), T::MAX_BYTES)?;
        answer_to_result(answer.status, &answer.body)
    }
}

/// The Sign value of a request URL (`""` when it has none).
fn sign_of(url: &str) -> &str {
    url.find("?Sign=").map_or("", |i| {
        let v = &url[i + "?Sign=".len()..];
        &v[..v.find('&').unwrap_or(v.len())]
    })
}

/// `url` with the Sign value replaced by `<redacted>`, for logs.
fn redact_sign(url: &str) -> String {
    match url.find("?Sign=") {
        Some(i) => format!("{}?Sign=<redacted>", &url[..i]),
        None => url.to_string(),
    }
}

#[derive(serde::Serialize)]
struct BalanceWire<'a> {
    action: &'a str,
    appid: &'a str,
}

/// Log a request rejected before sending (at WARN) and pass the result on.
/// Used by every path that sends: the Rust API here, the C ABI in `ffi`.
pub(crate) fn logged_invalid<T, E: fmt::Display>(
    what: &str,
    r: std::result::Result<T, E>,
) -> std::result::Result<T, E> {
    if let Err(e) = &r {
        log::log(LogLevel::Warn, || format!("{what} not sent: {e}"));
    }
    r
}

// ===== impl Client: resolving an outcome unknown (the search is in src/resolve.rs) =====

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
    /// [`ResolutionStatus::CannotBeResolved`](crate::ResolutionStatus::CannotBeResolved).
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
        logged_invalid("resolve", options.validate())?;
        resolve::search(what, options, |query, until| {
            self.call_records_until(query, until)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ClientBuilder, Endpoint, Environment, SANDBOX_URL};
    use std::time::Duration;

    const SID: &str = "abcdefghijklmnopqrstuvwxyz012345";
    const TOKEN: &str = "0123456789abcdef0123456789abcdef";

    fn client() -> Client {
        Client::builder(SID, TOKEN, "app1").build().unwrap()
    }

    #[test]
    fn client_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Client>();
    }

    #[test]
    fn prepared_request_matches_the_protocol() {
        let c = client();
        // Vector 1 of vectors.json: timestamp 20140416142030.
        let req = PreparedRequest::from(Client::sign(
            Signed::CallbackCall,
            &c.callback_url,
            "{}".into(),
            Arc::new(c.signature_at(0, "20140416142030")),
        ));
        assert_eq!(
            req.url,
            "http://api.ytx.net/201512/sid/abcdefghijklmnopqrstuvwxyz012345/call/DailbackCall.wx?Sign=698CD6F76DB3CAE8E9875C1F8F298B2C"
        );
        assert_eq!(req.method, "POST");
        assert_eq!(
            req.headers,
            vec![
                ("Accept", "application/json".to_string()),
                ("Content-Type", "application/json;charset=utf-8".to_string()),
                (
                    "Authorization",
                    "YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXowMTIzNDV8MjAxNDA0MTYxNDIwMzA=".to_string()
                ),
            ]
        );
        let shown = req.to_string();
        assert!(shown.contains("?Sign=<redacted>"), "{shown}");
        assert!(!shown.contains("698CD6F7"), "{shown}");
        assert!(!format!("{req:?}").contains("698CD6F7"));
    }

    #[test]
    fn environments_and_endpoint_overrides() {
        // The default voice-code endpoint is CodeCallOut.wx + callOutCode.
        let c = Client::builder(SID, TOKEN, "a")
            .environment(Environment::Sandbox)
            .build()
            .unwrap();
        let req = c
            .prepare_voice_code(&VoiceCode::new("13800138000", "", "1234"))
            .unwrap();
        assert!(req
            .url
            .starts_with("http://sandbox.ytx.net/201512/sid/abcdefghijklmnopqrstuvwxyz012345/call/CodeCallOut.wx?Sign="));
        assert_eq!(
            req.body,
            r#"{"action":"callOutCode","appid":"a","dst":"13800138000","code":"1234"}"#
        );
        // The per-client override still reaches any other endpoint.
        let c = Client::builder(SID, TOKEN, "a")
            .environment(Environment::Sandbox)
            .voice_code_endpoint(Endpoint {
                func_url: "NoticeCall.wx".into(),
                action: "templateNoticeCall".into(),
            })
            .build()
            .unwrap();
        let req = c
            .prepare_voice_code(&VoiceCode::new("13800138000", "02160000000", "1234"))
            .unwrap();
        assert!(req.url.contains("/call/NoticeCall.wx?Sign="), "{}", req.url);
        assert!(
            req.body
                .starts_with(r#"{"action":"templateNoticeCall","appid":"a""#),
            "{}",
            req.body
        );

        let c = Client::builder(SID, TOKEN, "a")
            .base_url("https://gw.example.com/ytx/")
            .build()
            .unwrap();
        assert_eq!(c.base_url(), "https://gw.example.com/ytx");
        assert!(c
            .callback_url
            .starts_with("https://gw.example.com/ytx/201512/"));
    }

    #[test]
    fn set_options_by_name() {
        let mut b = Client::builder(SID, TOKEN, "a");
        b.set("environment", "sandbox").unwrap();
        b.set("timeout_ms", "2500").unwrap();
        b.set("connect_timeout_ms", "1000").unwrap();
        b.set("voice_code_func_url", "NoticeCall.wx").unwrap();
        let c = b.clone().build().unwrap();
        assert_eq!(c.base_url(), SANDBOX_URL);
        assert_eq!(c.cfg.transport.timeout, Duration::from_millis(2500));
        assert!(c.voice_code_url.ends_with("/NoticeCall.wx"));
        for (name, value) in [
            ("environment", "prod"),
            ("timeout_ms", "0"),
            ("timeout_ms", "-1"),
            ("connect_timeout_ms", "1.5"),
            ("colour", "blue"),
        ] {
            let e = b.set(name, value).unwrap_err();
            assert_eq!(e.field(), Some(name));
        }
    }

    #[test]
    fn bad_configuration_names_the_field() {
        let bad = |b: ClientBuilder| b.build().unwrap_err().field().unwrap().to_string();
        assert_eq!(bad(Client::builder("", TOKEN, "a")), "account_sid");
        assert_eq!(
            bad(Client::builder(SID, format!("{TOKEN}\n"), "a")),
            "auth_token"
        );
        assert_eq!(bad(Client::builder(SID, TOKEN, " a")), "app_id");
        assert_eq!(bad(Client::builder("a|b", TOKEN, "a")), "account_sid");
        assert_eq!(
            bad(Client::builder(SID, TOKEN, "a").base_url("ftp://x")),
            "base_url"
        );
        assert_eq!(
            bad(Client::builder(SID, TOKEN, "a").base_url("http://")),
            "base_url"
        );
        assert_eq!(
            bad(Client::builder(SID, TOKEN, "a").base_url("http://h/?q")),
            "base_url"
        );
        assert_eq!(
            bad(Client::builder(SID, TOKEN, "a").proxy("not a url")),
            "proxy"
        );
        assert_eq!(
            bad(
                Client::builder(SID, TOKEN, "a").callback_endpoint(Endpoint {
                    func_url: "../x".into(),
                    action: "a".into()
                })
            ),
            "callback_endpoint"
        );
        assert_eq!(
            bad(Client::builder(SID, TOKEN, "a").timeout(Duration::ZERO)),
            "timeout"
        );
        assert_eq!(
            bad(Client::builder(SID, TOKEN, "a")
                .connect_timeout(Duration::from_secs(60))
                .timeout(Duration::from_secs(10))),
            "connect_timeout"
        );
        // A short overall timeout alone is fine: the default connect timeout
        // shrinks to it.
        let mut b = Client::builder(SID, TOKEN, "a");
        b.set("timeout_ms", "800").unwrap();
        assert!(b.build().is_ok());
    }

    #[test]
    fn the_token_never_shows() {
        let secret = "S3cr3tT0kenValue0000000000000000";
        let b = Client::builder(SID, secret, "a").proxy("http://user:pw@proxy:8080");
        assert!(!format!("{b:?}").contains(secret));
        assert!(!format!("{b:?}").contains("pw@"));
        let c = b.build().unwrap();
        assert!(!format!("{c:?}").contains(secret));
        let e = Client::builder(SID, format!("{secret} "), "a")
            .build()
            .unwrap_err();
        assert!(!e.to_string().contains(secret));
        assert!(!format!("{e:?}").contains(secret));
        let e = Client::builder(SID, secret, "a")
            .proxy("::bad::secretpw")
            .build()
            .unwrap_err();
        assert!(!e.to_string().contains("secretpw"));
    }
}
