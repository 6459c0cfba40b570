//! The client: configuration, one keep-alive HTTP agent, send, parse.

use std::fmt;
use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::error::{Delivery, Error, Result};
use crate::log::{self, LogLevel};
use crate::record::{self, Balance, CallRecord, MAX_RECORDS_BYTES};
use crate::request::{CallbackCall, FindCall, RecordQuery, VoiceCode};
use crate::{http, sign};

/// API version in the request path.
pub const API_VERSION: &str = "201512";
/// API version of the balance query (PROTOCOL.md: `account/getBlance.wx`
/// is served under 201612, not 201512).
pub const BALANCE_API_VERSION: &str = "201612";
/// Production base URL.
pub const PRODUCTION_URL: &str = "http://api.ytx.net";
/// Sandbox base URL.
pub const SANDBOX_URL: &str = "http://sandbox.ytx.net";
/// Default connect timeout (DNS + TCP + TLS).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default overall timeout of one call, connect included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
const USER_AGENT: &str = concat!("ytx/", env!("CARGO_PKG_VERSION"));

/// Idle keep-alive connections kept per client (enough for a busy dialer's
/// threads; an idle one costs a socket and a few KB).
pub const MAX_IDLE_CONNECTIONS: usize = 32;
/// Largest answer body read; the platform's answers are under 200 bytes.
pub const MAX_RESPONSE_BYTES: u64 = 64 * 1024;

/// Where requests go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Environment {
    /// `http://api.ytx.net`
    Production,
    /// `http://sandbox.ytx.net` (use the console's test app id)
    Sandbox,
    /// Any other `http://` or `https://` base URL: a gateway, a proxy in
    /// front of the platform, or the local emulator. A path prefix is kept.
    Custom(String),
}

impl Environment {
    /// The base URL, without a trailing slash.
    ///
    /// ```
    /// assert_eq!(ytx::Environment::Sandbox.base_url(), "http://sandbox.ytx.net");
    /// ```
    pub fn base_url(&self) -> &str {
        match self {
            Environment::Production => PRODUCTION_URL,
            Environment::Sandbox => SANDBOX_URL,
            Environment::Custom(url) => url.trim_end_matches('/'),
        }
    }
}

/// The funcURL and action of one operation. The defaults are PROTOCOL.md's;
/// an override lets a deployment switch without a new build (ambiguity 2:
/// the voice code's document also names `NoticeCall.wx` +
/// `templateNoticeCall`, which is the template voice notice, not the code).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// Last path segment, e.g. `DailbackCall.wx`.
    pub func_url: String,
    /// The body's `action`, e.g. `callDailBack`.
    pub action: String,
}

impl Endpoint {
    /// The callback call's documented endpoint.
    pub fn callback_default() -> Endpoint {
        Endpoint {
            func_url: "DailbackCall.wx".into(),
            action: "callDailBack".into(),
        }
    }
    /// The voice code's endpoint: `CodeCallOut.wx` + `callOutCode`
    /// (PROTOCOL.md ambiguity 2, settled by field evidence).
    ///
    /// ```
    /// let e = ytx::Endpoint::voice_code_default();
    /// assert_eq!((e.func_url.as_str(), e.action.as_str()), ("CodeCallOut.wx", "callOutCode"));
    /// ```
    pub fn voice_code_default() -> Endpoint {
        Endpoint {
            func_url: "CodeCallOut.wx".into(),
            action: "callOutCode".into(),
        }
    }
}

/// Builds a [`Client`]. Every setter's value is checked in [`ClientBuilder::build`].
///
/// ```
/// use std::time::Duration;
/// let client = ytx::Client::builder("8a1f0c3e5b7d9f21a4c6e8b0d2f4a6c8", "token", "appid")
///     .environment(ytx::Environment::Sandbox)
///     .timeout(Duration::from_secs(10))
///     .build()
///     .unwrap();
/// assert_eq!(client.base_url(), "http://sandbox.ytx.net");
/// ```
#[derive(Clone)]
pub struct ClientBuilder {
    account_sid: String,
    auth_token: String,
    app_id: String,
    environment: Environment,
    /// `None`: the default, capped at the overall timeout.
    connect_timeout: Option<Duration>,
    timeout: Duration,
    proxy: Option<String>,
    callback: Endpoint,
    voice_code: Endpoint,
    generic_transport: bool,
}

/// Names accepted by [`ClientBuilder::set`] (and the C ABI's client options).
pub const CLIENT_OPTION_NAMES: [&str; 9] = [
    "environment",
    "base_url",
    "connect_timeout_ms",
    "timeout_ms",
    "proxy",
    "callback_func_url",
    "callback_action",
    "voice_code_func_url",
    "voice_code_action",
];

impl ClientBuilder {
    /// Production, default timeouts, no proxy, the documented endpoints.
    pub fn new(
        account_sid: impl Into<String>,
        auth_token: impl Into<String>,
        app_id: impl Into<String>,
    ) -> ClientBuilder {
        ClientBuilder {
            account_sid: account_sid.into(),
            auth_token: auth_token.into(),
            app_id: app_id.into(),
            environment: Environment::Production,
            connect_timeout: None,
            timeout: DEFAULT_TIMEOUT,
            proxy: None,
            callback: Endpoint::callback_default(),
            voice_code: Endpoint::voice_code_default(),
            generic_transport: false,
        }
    }

    /// Production, sandbox or a custom base URL.
    pub fn environment(mut self, environment: Environment) -> Self {
        self.environment = environment;
        self
    }
    /// Shorthand for `environment(Environment::Custom(url))`.
    pub fn base_url(self, url: impl Into<String>) -> Self {
        self.environment(Environment::Custom(url.into()))
    }
    /// Limit for DNS + TCP connect (+ TLS). Default 5 s, or the overall
    /// timeout if that is shorter; when set, at most the overall timeout.
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.connect_timeout = Some(d);
        self
    }
    /// Limit for a whole call, connect included. Default 30 s.
    pub fn timeout(mut self, d: Duration) -> Self {
        self.timeout = d;
        self
    }
    /// An HTTP proxy, `http://[user:pass@]host:port`.
    pub fn proxy(mut self, proxy: impl Into<String>) -> Self {
        self.proxy = Some(proxy.into());
        self
    }
    /// Override the callback call's funcURL and action.
    pub fn callback_endpoint(mut self, e: Endpoint) -> Self {
        self.callback = e;
        self
    }
    /// Override the voice code's funcURL and action.
    pub fn voice_code_endpoint(mut self, e: Endpoint) -> Self {
        self.voice_code = e;
        self
    }

    /// Send plain `http://` requests through the generic HTTP stack (ureq,
    /// used for `https://` and proxies) instead of the lean built-in sender.
    /// For the test suite, which runs every fault through both; no reason to
    /// use it otherwise.
    #[doc(hidden)]
    pub fn generic_transport(mut self, yes: bool) -> Self {
        self.generic_transport = yes;
        self
    }

    /// Set an option by name from text (see [`CLIENT_OPTION_NAMES`]), as the
    /// C ABI and the bindings do. `environment` is `production` or `sandbox`;
    /// timeouts are whole milliseconds.
    ///
    /// ```
    /// let mut b = ytx::Client::builder("sid", "token", "app");
    /// b.set("timeout_ms", "5000")?;
    /// assert_eq!(b.set("timeout_ms", "soon").unwrap_err().field(), Some("timeout_ms"));
    /// # Ok::<(), ytx::Error>(())
    /// ```
    pub fn set(&mut self, name: &str, value: &str) -> Result<()> {
        if name.is_empty() {
            return Err(Error::invalid("option_name", "must not be empty"));
        }
        let ms = |v: &str| -> Result<Duration> {
            v.parse::<u64>()
                .ok()
                .filter(|n| *n > 0)
                .map(Duration::from_millis)
                .ok_or_else(|| {
                    Error::invalid(
                        name,
                        format!("must be a whole number of milliseconds greater than 0, got {v:?}"),
                    )
                })
        };
        match name {
            "environment" => {
                self.environment = match value {
                    "production" => Environment::Production,
                    "sandbox" => Environment::Sandbox,
                    _ => {
                        return Err(Error::invalid(
                            name,
                            format!(
                        "must be \"production\" or \"sandbox\" (or set base_url), got {value:?}"
                    ),
                        ))
                    }
                }
            }
            "base_url" => self.environment = Environment::Custom(value.into()),
            "connect_timeout_ms" => self.connect_timeout = Some(ms(value)?),
            "timeout_ms" => self.timeout = ms(value)?,
            "proxy" => self.proxy = Some(value.into()),
            "callback_func_url" => self.callback.func_url = value.into(),
            "callback_action" => self.callback.action = value.into(),
            "voice_code_func_url" => self.voice_code.func_url = value.into(),
            "voice_code_action" => self.voice_code.action = value.into(),
            _ => {
                return Err(Error::invalid(
                    name,
                    format!(
                        "unknown client option; known: {}",
                        CLIENT_OPTION_NAMES.join(", ")
                    ),
                ))
            }
        }
        Ok(())
    }

    /// Check the configuration and make the client.
    ///
    /// Credentials are checked, not trimmed: a value with a space or newline
    /// (pasted from the console) is an error naming the field, because a
    /// silently trimmed credential hides the mistake elsewhere.
    pub fn build(self) -> Result<Client> {
        let built = self.build_checked();
        if let Err(e) = &built {
            log::log(LogLevel::YTX_LOG_WARN, || {
                format!("client not created: {e}")
            });
        }
        built
    }

    fn build_checked(self) -> Result<Client> {
        credential("account_sid", &self.account_sid)?;
        credential("auth_token", &self.auth_token)?;
        credential("app_id", &self.app_id)?;
        let base = self.environment.base_url().to_string();
        check_base_url(&base)?;
        if cfg!(not(feature = "tls")) && base.starts_with("https://") {
            return Err(Error::invalid(
                "base_url",
                "https:// needs the library built with its 'tls' feature (the default)",
            ));
        }
        for (field, v) in [
            ("callback_func_url", &self.callback.func_url),
            ("callback_action", &self.callback.action),
            ("voice_code_func_url", &self.voice_code.func_url),
            ("voice_code_action", &self.voice_code.action),
        ] {
            if v.is_empty()
                || !v
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_')
            {
                return Err(Error::invalid(
                    field,
                    format!("must be non-empty ASCII letters, digits, '.' or '_', got {v:?}"),
                ));
            }
        }
        // Errors name the option names (`timeout_ms`...), the same in every
        // binding, whichever way the value was set.
        if self.timeout.is_zero() {
            return Err(Error::invalid("timeout_ms", "must be greater than 0"));
        }
        let connect_timeout = match self.connect_timeout {
            None => DEFAULT_CONNECT_TIMEOUT.min(self.timeout),
            Some(d) if d.is_zero() || d > self.timeout => {
                return Err(Error::invalid(
                    "connect_timeout_ms",
                    format!(
                        "must be greater than 0 and at most the overall timeout ({} ms)",
                        self.timeout.as_millis()
                    ),
                ))
            }
            Some(d) => d,
        };
        let mut agent = ureq::AgentBuilder::new()
            .timeout_connect(connect_timeout)
            .timeout(self.timeout)
            // A redirected POST could be re-sent elsewhere: never follow.
            .redirects(0)
            // ureq keeps one idle connection per host by default: threads
            // sharing a client would then open a new TCP connection per call.
            .max_idle_connections_per_host(MAX_IDLE_CONNECTIONS)
            .max_idle_connections(MAX_IDLE_CONNECTIONS)
            .user_agent(USER_AGENT);
        if let Some(p) = &self.proxy {
            // The proxy URL may carry a password: the error never repeats it.
            let proxy =
                check_proxy(p).and_then(|()| ureq::Proxy::new(p).map_err(|_| bad_proxy()))?;
            agent = agent.proxy(proxy);
        }
        let sid = &self.account_sid;
        let prefix = format!("{base}/{API_VERSION}/sid/{sid}/call/");
        let plain = match self.proxy {
            None if !self.generic_transport => http::Plain::for_base_url(
                &base,
                connect_timeout,
                self.timeout,
                MAX_IDLE_CONNECTIONS,
                USER_AGENT,
            ),
            _ => None,
        };
        Ok(Client {
            callback_url: format!("{prefix}{}", self.callback.func_url),
            voice_code_url: format!("{prefix}{}", self.voice_code.func_url),
            records_url: format!("{prefix}CallCdr.wx"),
            balance_url: format!("{base}/{BALANCE_API_VERSION}/sid/{sid}/account/getBlance.wx"),
            base_url: base,
            plain,
            agent: agent.build(),
            signature: Mutex::new(None),
            cfg: self,
        })
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("account_sid", &self.account_sid)
            .field("auth_token", &"<redacted>")
            .field("app_id", &self.app_id)
            .field("environment", &self.environment)
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("proxy", &self.proxy.as_ref().map(|_| "<set>"))
            .field("callback", &self.callback)
            .field("voice_code", &self.voice_code)
            .finish()
    }
}

fn credential(field: &str, v: &str) -> Result<()> {
    if v.is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    if v.chars().any(char::is_whitespace) {
        return Err(Error::invalid(
            field,
            "contains whitespace (a space or newline pasted from the console?)",
        ));
    }
    if !v.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Error::invalid(
            field,
            "must contain only ASCII letters and digits",
        ));
    }
    if v.len() > 64 {
        return Err(Error::invalid(
            field,
            format!("is too long ({} characters, at most 64)", v.len()),
        ));
    }
    Ok(())
}

fn bad_proxy() -> Error {
    Error::invalid(
        "proxy",
        "must look like http://host:port or http://user:password@host:port",
    )
}

/// `http://[user:password@]host:port`, checked here because ureq accepts
/// almost anything. The error never repeats the value (it may hold a password).
fn check_proxy(p: &str) -> Result<()> {
    let rest = p.strip_prefix("http://").ok_or_else(bad_proxy)?;
    let host_port = rest.rsplit_once('@').map_or(rest, |(_, hp)| hp);
    let (host, port) = host_port.rsplit_once(':').ok_or_else(bad_proxy)?;
    let port_ok =
        !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) && port.parse::<u16>().is_ok();
    let host_ok = !host.is_empty()
        && host.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'[' | b']' | b':')
        });
    if host_ok && port_ok {
        Ok(())
    } else {
        Err(bad_proxy())
    }
}

fn check_base_url(url: &str) -> Result<()> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or_else(|| Error::invalid("base_url", "must start with http:// or https://"))?;
    let host = rest.split('/').next().unwrap_or("");
    if host.is_empty() {
        return Err(Error::invalid("base_url", "has no host"));
    }
    if url
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || c == '?' || c == '#')
    {
        return Err(Error::invalid(
            "base_url",
            "must not contain whitespace, a query or a fragment",
        ));
    }
    Ok(())
}

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

/// The platform's answer to an accepted request (statusCode `"0"`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// Opaque request id (29 digits on the real platform: keep it as text).
    pub request_id: String,
    /// Always `"0"` here; errors are [`Error::Platform`].
    pub status_code: String,
    /// The platform's message, e.g. `提交成功`.
    pub status_msg: String,
}

/// A client of the ytx.net platform. Cheap to share: `Send + Sync`, one
/// keep-alive connection pool inside; use one per account from any number of
/// threads. A call is never re-sent once it may have reached the platform.
pub struct Client {
    cfg: ClientBuilder,
    base_url: String,
    callback_url: String,
    voice_code_url: String,
    records_url: String,
    balance_url: String,
    /// The lean sender for plain `http://` without a proxy (the platform's
    /// own hosts); `None` for `https://` or a proxy, which go through ureq.
    plain: Option<http::Plain>,
    agent: ureq::Agent,
    /// Sign and Authorization of the current second (they change once a
    /// second), shared by the calls of that second.
    signature: Mutex<Option<Arc<Signature>>>,
}

/// Sign and Authorization for one timestamp (one UTC second).
struct Signature {
    second: i64,
    sign: String,
    authorization: String,
}

impl Signature {
    /// The request URL: the operation's URL with `?Sign=`.
    fn url(&self, url: &str) -> String {
        format!("{url}?Sign={}", self.sign)
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
    /// Start building a client for these credentials.
    pub fn builder(
        account_sid: impl Into<String>,
        auth_token: impl Into<String>,
        app_id: impl Into<String>,
    ) -> ClientBuilder {
        ClientBuilder::new(account_sid, auth_token, app_id)
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
    pub fn callback_call(&self, call: &CallbackCall) -> Result<Response> {
        let body = logged_invalid(
            "callback call",
            call.to_json(&self.cfg.callback.action, &self.cfg.app_id),
        )?;
        self.execute(&self.callback_url, &body)
    }

    /// Send a voice verification code: the platform calls `dst` and reads
    /// out the code. Sent at most once.
    ///
    /// ```no_run
    /// # let client = ytx::Client::builder("sid", "token", "app").build()?;
    /// match client.voice_code(&ytx::VoiceCode::new("13800138000", "02160000000", "4096")) {
    ///     Ok(accepted) => println!("requestId {}", accepted.request_id),
    ///     Err(e) if e.delivery() == ytx::Delivery::YTX_DELIVERY_NOT_SENT => println!("retry: {e}"),
    ///     Err(e) => println!("do not retry blindly: {e}"),
    /// }
    /// # Ok::<(), ytx::Error>(())
    /// ```
    pub fn voice_code(&self, code: &VoiceCode) -> Result<Response> {
        let body = logged_invalid(
            "voice code",
            code.to_json(&self.cfg.voice_code.action, &self.cfg.app_id),
        )?;
        self.execute(&self.voice_code_url, &body)
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
        let body = logged_invalid("call-record query", query.to_json(&self.cfg.app_id))?;
        self.execute(&self.records_url, &body)
    }

    /// Find the call whose `customParm` is `custom_parm` among the records
    /// after `after_request_id` (a requestId you knew from before the call;
    /// `"0"` searches from the first record). This is how an *outcome
    /// unknown* is resolved without ringing anyone twice (see
    /// [`record`](crate::record) for the steps): `Some(record)` means the call
    /// was placed. `None` means no record yet: the platform writes one some
    /// seconds after the call ends, so only a search made well after that
    /// means "not placed". Pages of 100, at most 100 pages (see
    /// [`Client::find_call_with`]).
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
            if (page.len() as u64) < u64::from(query.limit()) {
                return Ok(None);
            }
            let last = page.last().map(CallRecord::request_id).unwrap_or("");
            if last.is_empty() || last == after {
                return Err(Error::Protocol {
                    message: "a full page of call records does not move past the requestId it started from: cannot page on".into(),
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
        let sig = self.signature();
        self.send_logged(&sig.url(url), &sig.headers(), body)
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
    pub fn prepare_callback_call(&self, call: &CallbackCall) -> Result<PreparedRequest> {
        let body = call.to_json(&self.cfg.callback.action, &self.cfg.app_id)?;
        Ok(self.prepare(&self.callback_url, body, &self.signature()))
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
        let body = code.to_json(&self.cfg.voice_code.action, &self.cfg.app_id)?;
        Ok(self.prepare(&self.voice_code_url, body, &self.signature()))
    }

    /// A dry run's request, signed with `sig` (the per-second cache, as the
    /// send path uses: a request prepared and one sent in the same second
    /// carry the same Sign).
    fn prepare(&self, url: &str, body: String, sig: &Signature) -> PreparedRequest {
        PreparedRequest {
            method: "POST",
            url: sig.url(url),
            headers: sig.headers().map(|(k, v)| (k, v.to_string())).to_vec(),
            body,
        }
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
    /// [`Error::delivery`] says whether a retry is safe.
    pub fn send(&self, req: &PreparedRequest) -> Result<Response> {
        let headers: Vec<(&str, &str)> =
            req.headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.send_logged(&req.url, &headers, &req.body)
    }

    /// Send once, with the log lines around it.
    fn send_logged<T: Answer>(&self, url: &str, headers: &[(&str, &str)], body: &str) -> Result<T> {
        log::log(LogLevel::YTX_LOG_DEBUG, || {
            format!("sending POST {} {body}", redact_sign(url))
        });
        let started = std::time::Instant::now();
        let result = self.send_once::<T>(url, headers, body);
        let ms = started.elapsed().as_millis();
        match &result {
            Ok(r) => log::log(LogLevel::YTX_LOG_INFO, || {
                format!("POST {} -> {} ({ms} ms)", redact_sign(url), r.summary())
            }),
            Err(e @ Error::Platform { .. }) => log::log(LogLevel::YTX_LOG_WARN, || {
                format!("POST {} -> {e} ({ms} ms)", redact_sign(url))
            }),
            Err(e) => log::log(LogLevel::YTX_LOG_ERROR, || {
                format!("POST {} failed: {e} ({ms} ms)", redact_sign(url))
            }),
        }
        result
    }

    fn send_once<T: Answer>(&self, url: &str, headers: &[(&str, &str)], body: &str) -> Result<T> {
        if let Some((plain, target)) = self.plain.as_ref().and_then(|p| Some((p, p.target(url)?))) {
            let answer = plain.post(target, headers, body.as_bytes(), T::MAX_BYTES)?;
            return answer_to_result(answer.status, &answer.body);
        }
        // ureq 2.12.1, the last 2.x, panics on some malformed answers: a
        // header line without a colon makes Header::value slice past the
        // line (found by the http_answer fuzz target). The request has been
        // written by then, so the outcome is unknown: report a protocol
        // error instead of unwinding into the caller. (The default panic
        // hook still prints ureq's message, which holds no secret.)
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.send_ureq(url, headers, body)
        }))
        .unwrap_or_else(|_| {
            Err(Error::Protocol {
                message: "malformed HTTP answer (the HTTP library failed on it)".into(),
            })
        })
    }

    fn send_ureq<T: Answer>(&self, url: &str, headers: &[(&str, &str)], body: &str) -> Result<T> {
        let mut r = self.agent.request("POST", url);
        for (k, v) in headers {
            r = r.set(k, v);
        }
        match r.send_string(body) {
            Ok(resp) if resp.status() == 200 => T::parse(&read_body(resp, T::MAX_BYTES)?),
            Ok(resp) => Err(http_status(resp)),
            Err(ureq::Error::Status(_, resp)) => Err(http_status(resp)),
            Err(ureq::Error::Transport(t)) => Err(transport_error(&t)),
        }
    }
}

/// `url` with the Sign value replaced by `<redacted>`, for logs.
fn redact_sign(url: &str) -> String {
    match url.find("?Sign=") {
        Some(i) => format!("{}?Sign=<redacted>", &url[..i]),
        None => url.to_string(),
    }
}

/// What one kind of request is answered with, and how it is read.
pub(crate) trait Answer: Sized {
    /// The largest answer body read.
    const MAX_BYTES: u64;
    /// Parse an HTTP 200 body.
    fn parse(body: &[u8]) -> Result<Self>;
    /// The log line's account of it (no secret: the Sign is never in it).
    fn summary(&self) -> String;
}

impl Answer for Response {
    const MAX_BYTES: u64 = MAX_RESPONSE_BYTES;
    fn parse(body: &[u8]) -> Result<Self> {
        parse_response(body)
    }
    fn summary(&self) -> String {
        format!(
            "statusCode {} requestId {}",
            self.status_code, self.request_id
        )
    }
}

impl Answer for Vec<CallRecord> {
    const MAX_BYTES: u64 = MAX_RECORDS_BYTES as u64;
    fn parse(body: &[u8]) -> Result<Self> {
        record::parse_records(body)
    }
    fn summary(&self) -> String {
        format!("{} call record(s)", self.len())
    }
}

impl Answer for Balance {
    const MAX_BYTES: u64 = MAX_RESPONSE_BYTES;
    fn parse(body: &[u8]) -> Result<Self> {
        record::parse_balance(body)
    }
    fn summary(&self) -> String {
        "balance".to_string()
    }
}

#[derive(serde::Serialize)]
struct BalanceWire<'a> {
    action: &'a str,
    appid: &'a str,
}

/// An answer read by the built-in sender: 200 → parse, else an HTTP error.
fn answer_to_result<T: Answer>(status: u16, body: &[u8]) -> Result<T> {
    if status != 200 {
        return Err(http_status_error(status, body));
    }
    if body.len() as u64 > T::MAX_BYTES {
        return Err(too_large(T::MAX_BYTES));
    }
    T::parse(body)
}

fn too_large(limit: u64) -> Error {
    Error::Protocol {
        message: format!("answer body larger than {limit} bytes"),
    }
}

/// Log a request rejected before sending (at WARN) and pass the result on.
/// Used by every path that sends: the Rust API here, the C ABI in `ffi`.
pub(crate) fn logged_invalid<T>(what: &str, r: Result<T>) -> Result<T> {
    if let Err(e) = &r {
        log::log(LogLevel::YTX_LOG_WARN, || format!("{what} not sent: {e}"));
    }
    r
}

fn read_body(resp: ureq::Response, limit: u64) -> Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(256);
    resp.into_reader()
        .take(limit + 1)
        .read_to_end(&mut buf)
        .map_err(|e| io_error_after_send(&e, "reading the answer"))?;
    if buf.len() as u64 > limit {
        return Err(too_large(limit));
    }
    Ok(buf)
}

fn http_status(resp: ureq::Response) -> Error {
    let status = resp.status();
    let mut buf = Vec::new();
    let _ = resp.into_reader().take(512).read_to_end(&mut buf);
    http_status_error(status, &buf)
}

fn http_status_error(status: u16, body: &[u8]) -> Error {
    let body = &body[..body.len().min(512)];
    let body_start: String = String::from_utf8_lossy(body)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(200)
        .collect();
    Error::HttpStatus {
        status,
        body_start: body_start.trim().to_string(),
    }
}

fn is_timeout(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
    )
}

fn io_error_after_send(e: &std::io::Error, during: &str) -> Error {
    if is_timeout(e) {
        Error::Timeout {
            delivery: Delivery::YTX_DELIVERY_UNKNOWN,
            message: format!("while {during}"),
        }
    } else {
        Error::Transport {
            delivery: Delivery::YTX_DELIVERY_UNKNOWN,
            message: format!("{during}: {e}"),
        }
    }
}

/// Map ureq's transport error to ours, deciding which side of "written" it
/// fell on. ureq reports DNS, connect and TLS handshake failures as `Dns` /
/// `ConnectionFailed` (nothing written yet); everything after is `Io` or a
/// response parse error (the request was written).
fn transport_error(t: &ureq::Transport) -> Error {
    use std::error::Error as _;
    use ureq::ErrorKind as K;
    let io = t.source().and_then(|s| s.downcast_ref::<std::io::Error>());
    let timed_out = io.is_some_and(is_timeout);
    let what = t
        .message()
        .map(str::to_string)
        .unwrap_or_else(|| t.kind().to_string());
    let (delivery, message) = match t.kind() {
        K::Dns => (
            Delivery::YTX_DELIVERY_NOT_SENT,
            format!("DNS lookup failed: {what}"),
        ),
        K::ConnectionFailed => (
            Delivery::YTX_DELIVERY_NOT_SENT,
            match io {
                Some(e) => format!("connect failed: {e}"),
                None => format!("connect failed: {what}"),
            },
        ),
        K::ProxyConnect | K::ProxyUnauthorized | K::InvalidProxyUrl => (
            Delivery::YTX_DELIVERY_NOT_SENT,
            format!("proxy: {}", t.kind()),
        ),
        K::InvalidUrl | K::UnknownScheme => (
            Delivery::YTX_DELIVERY_NOT_SENT,
            format!("bad URL: {}", t.kind()),
        ),
        K::BadStatus | K::BadHeader => {
            return Error::Protocol {
                message: format!("malformed HTTP answer: {what}"),
            }
        }
        _ => (
            Delivery::YTX_DELIVERY_UNKNOWN,
            match io {
                Some(e) => format!("network error: {e}"),
                None => format!("network error: {what}"),
            },
        ),
    };
    if timed_out {
        let message = match delivery {
            Delivery::YTX_DELIVERY_NOT_SENT => "connecting".to_string(),
            _ => "waiting for the answer".to_string(),
        };
        return Error::Timeout { delivery, message };
    }
    Error::Transport { delivery, message }
}

/// Parse the platform's answer body (HTTP 200). Pure: used by [`Client::send`]
/// and by users who send a [`PreparedRequest`] through their own HTTP stack.
///
/// ```
/// let ok = ytx::parse_response(r#"{"statusCode":"0","statusMsg":"提交成功","requestId":"1"}"#.as_bytes())?;
/// assert_eq!(ok.request_id, "1");
/// let e = ytx::parse_response(br#"{"statusCode":"-203","statusMsg":"","requestId":""}"#).unwrap_err();
/// assert_eq!(e.status_code(), Some("-203"));
/// # Ok::<(), ytx::Error>(())
/// ```
pub fn parse_response(body: &[u8]) -> Result<Response> {
    let text = std::str::from_utf8(body).map_err(|_| Error::Protocol {
        message: "answer body is not UTF-8".into(),
    })?;
    let wire: WireAnswer = serde_json::from_str(text).map_err(|e| Error::Protocol {
        message: format!(
            "answer is not the platform's JSON object ({})",
            e.classify_name()
        ),
    })?;
    let string = |v: Option<WireValue>, name: &str, required: bool| -> Result<String> {
        match v {
            Some(WireValue::String(s)) => Ok(s),
            None | Some(WireValue::Null) if !required => Ok(String::new()),
            None => Err(Error::Protocol {
                message: format!("answer has no {name}"),
            }),
            Some(WireValue::Null) => Err(Error::Protocol {
                message: format!("{name} in the answer is null, not a string"),
            }),
            Some(WireValue::Other(kind)) => Err(Error::Protocol {
                message: format!("{name} in the answer is {kind}, not a string"),
            }),
        }
    };
    let status_code = string(wire.status_code, "statusCode", true)?;
    let status_msg = string(wire.status_msg, "statusMsg", false)?;
    let request_id = string(wire.request_id, "requestId", false)?;
    if status_code.is_empty() {
        return Err(Error::Protocol {
            message: "statusCode in the answer is empty".into(),
        });
    }
    if status_code == "0" {
        Ok(Response {
            request_id,
            status_code,
            status_msg,
        })
    } else {
        Err(Error::Platform {
            status_code,
            status_msg,
            request_id,
        })
    }
}

/// The three fields of an answer, read from a JSON **object** only.
///
/// Deserialized with `deserialize_map`, not a derived struct: serde lets a
/// derived struct read a JSON array too (`["0","",""]` would have been an
/// accepted request; found by fuzzing). Other keys are checked for syntax
/// and skipped without being built; a repeated key keeps its last value.
struct WireAnswer {
    status_code: Option<WireValue>,
    status_msg: Option<WireValue>,
    request_id: Option<WireValue>,
}

/// A key of the answer object, compared without being copied (escaped keys
/// such as `"status\u0043ode"` compare by their decoded text).
enum WireKey {
    StatusCode,
    StatusMsg,
    RequestId,
    Other,
}

impl<'de> serde::Deserialize<'de> for WireKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = WireKey;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_str<E>(self, v: &str) -> std::result::Result<WireKey, E> {
                Ok(match v {
                    "statusCode" => WireKey::StatusCode,
                    "statusMsg" => WireKey::StatusMsg,
                    "requestId" => WireKey::RequestId,
                    _ => WireKey::Other,
                })
            }
        }
        d.deserialize_str(V)
    }
}

/// One field's value: a string, null, or another JSON type ("a number").
enum WireValue {
    String(String),
    Null,
    Other(&'static str),
}

impl<'de> serde::Deserialize<'de> for WireAnswer {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = WireAnswer;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<WireAnswer, A::Error> {
                let mut answer = WireAnswer {
                    status_code: None,
                    status_msg: None,
                    request_id: None,
                };
                while let Some(key) = map.next_key::<WireKey>()? {
                    let slot = match key {
                        WireKey::StatusCode => &mut answer.status_code,
                        WireKey::StatusMsg => &mut answer.status_msg,
                        WireKey::RequestId => &mut answer.request_id,
                        WireKey::Other => {
                            map.next_value::<serde::de::IgnoredAny>()?;
                            continue;
                        }
                    };
                    *slot = Some(map.next_value()?);
                }
                Ok(answer)
            }
        }
        d.deserialize_map(V)
    }
}

impl<'de> serde::Deserialize<'de> for WireValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        use serde::de::{IgnoredAny, MapAccess, SeqAccess};
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = WireValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_str<E>(self, v: &str) -> std::result::Result<WireValue, E> {
                Ok(WireValue::String(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> std::result::Result<WireValue, E> {
                Ok(WireValue::String(v))
            }
            fn visit_unit<E>(self) -> std::result::Result<WireValue, E> {
                Ok(WireValue::Null)
            }
            fn visit_none<E>(self) -> std::result::Result<WireValue, E> {
                Ok(WireValue::Null)
            }
            fn visit_bool<E>(self, _: bool) -> std::result::Result<WireValue, E> {
                Ok(WireValue::Other("a boolean"))
            }
            fn visit_i64<E>(self, _: i64) -> std::result::Result<WireValue, E> {
                Ok(WireValue::Other("a number"))
            }
            fn visit_u64<E>(self, _: u64) -> std::result::Result<WireValue, E> {
                Ok(WireValue::Other("a number"))
            }
            fn visit_f64<E>(self, _: f64) -> std::result::Result<WireValue, E> {
                Ok(WireValue::Other("a number"))
            }
            fn visit_seq<A: SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<WireValue, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(WireValue::Other("an array"))
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<WireValue, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(WireValue::Other("an object"))
            }
        }
        d.deserialize_any(V)
    }
}

trait ClassifyName {
    fn classify_name(&self) -> &'static str;
}
impl ClassifyName for serde_json::Error {
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "I/O",
            serde_json::error::Category::Syntax => "syntax error",
            serde_json::error::Category::Data => "not an object",
            serde_json::error::Category::Eof => "truncated",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ytx_result as R;

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
        let req = c.prepare(
            &c.callback_url,
            "{}".into(),
            &c.signature_at(0, "20140416142030"),
        );
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
        assert_eq!(c.cfg.timeout, Duration::from_millis(2500));
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
            "callback_func_url"
        );
        assert_eq!(
            bad(Client::builder(SID, TOKEN, "a").timeout(Duration::ZERO)),
            "timeout_ms"
        );
        assert_eq!(
            bad(Client::builder(SID, TOKEN, "a")
                .connect_timeout(Duration::from_secs(60))
                .timeout(Duration::from_secs(10))),
            "connect_timeout_ms"
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

    #[test]
    fn parse_success_and_platform_errors() {
        let ok = parse_response(
            r#"{"statusCode":"0","statusMsg":"提交成功","requestId":"20160100000002050000000000001"}"#.as_bytes(),
        )
        .unwrap();
        assert_eq!(ok.request_id, "20160100000002050000000000001");
        assert_eq!(ok.status_msg, "提交成功");
        let e = parse_response(
            r#"{"statusCode":"-2","statusMsg":"缺少必要参数","requestId":""}"#.as_bytes(),
        )
        .unwrap_err();
        assert_eq!(e.code(), R::YTX_ERR_PLATFORM);
        assert_eq!(e.status_code(), Some("-2"));
        assert!(e.to_string().contains("缺少必要参数"));
    }

    #[test]
    fn parse_rejects_what_is_not_the_platform_json() {
        for body in [
            &b"<html>502</html>"[..],
            b"",
            b"{\"statusCode\":\"0\",\"statusMs",
            b"{\"statusMsg\":\"x\"}",
            b"{\"statusCode\":0}",
            b"{\"statusCode\":\"\"}",
            b"{\"statusCode\":\"0\",\"requestId\":2016}",
            b"[1,2]",
            br#"["0","",""]"#,
            br#"["-2","x",""]"#,
            b"\xff\xfe{}",
        ] {
            let e = parse_response(body).unwrap_err();
            assert_eq!(
                e.code(),
                R::YTX_ERR_PROTOCOL,
                "{:?}",
                String::from_utf8_lossy(body)
            );
            assert_eq!(e.delivery(), Delivery::YTX_DELIVERY_UNKNOWN);
        }
    }

    #[test]
    fn parse_reads_keys_like_a_json_object_does() {
        // Escaped key text, other keys of any type skipped, null optional
        // fields, and the last of a repeated key wins (as in a JSON map).
        let ok = parse_response(
            br#" {"x":[1,{"a":null}],"status\u0043ode":"-9","statusMsg":null,
                  "y":{"statusCode":"-1"},"statusCode":"0","requestId":"7"} "#,
        )
        .unwrap();
        assert_eq!(
            (
                ok.status_code.as_str(),
                ok.status_msg.as_str(),
                ok.request_id.as_str()
            ),
            ("0", "", "7")
        );
        let e = parse_response(br#"{"statusCode":"0","statusCode":"-203"}"#).unwrap_err();
        assert_eq!(e.status_code(), Some("-203"));
        // Each wrong type is named; a null statusCode is not a missing one.
        for (body, says) in [
            (
                &br#"{"statusCode":null}"#[..],
                "statusCode in the answer is null",
            ),
            (
                br#"{"statusCode":true}"#,
                "statusCode in the answer is a boolean",
            ),
            (
                br#"{"statusCode":-2.5}"#,
                "statusCode in the answer is a number",
            ),
            (
                br#"{"statusCode":["0"]}"#,
                "statusCode in the answer is an array",
            ),
            (
                br#"{"statusCode":{"0":1}}"#,
                "statusCode in the answer is an object",
            ),
            (
                br#"{"statusCode":"0","statusMsg":1}"#,
                "statusMsg in the answer is a number",
            ),
            (br#"{"requestId":"1"}"#, "answer has no statusCode"),
            (br#"["0"]"#, "not an object"),
            (br#"{"statusCode":"0"} x"#, "syntax error"),
        ] {
            let e = parse_response(body).unwrap_err();
            assert_eq!(e.code(), R::YTX_ERR_PROTOCOL);
            assert!(e.to_string().contains(says), "{e} (expected {says:?})");
        }
    }
}
