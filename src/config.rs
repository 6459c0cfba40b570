//! Configuration: [`ClientBuilder`], its options by name
//! ([`CLIENT_OPTION_NAMES`], the same in the C ABI and the bindings), the
//! checks made by [`ClientBuilder::build`]. URLs are parsed, and the proxy
//! chosen, in `transport::url` and `transport::proxy`.

use std::fmt;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::transport::proxy;
use crate::transport::url::{Scheme, Url};
use crate::transport::Settings;
pub use crate::transport::{Resolver, DEFAULT_POOL_IDLE_TIMEOUT};

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
pub(crate) const USER_AGENT: &str = concat!("ytx/", env!("CARGO_PKG_VERSION"));

/// Idle keep-alive connections kept per client (enough for a busy dialer's
/// threads; an idle one costs a socket and a few KB).
pub const MAX_IDLE_CONNECTIONS: usize = 32;

/// The most retries [`ClientBuilder::max_retries`] accepts.
pub const MAX_RETRIES: u32 = 10;
/// Default bound on the whole time one request may take with its automatic
/// retries ([`ClientBuilder::retry_budget`]).
pub const DEFAULT_RETRY_BUDGET: Duration = Duration::from_secs(10);
/// The longest retry budget accepted: well inside the platform's ten-minute
/// timestamp window, so a resent request's Sign is still valid.
pub const MAX_RETRY_BUDGET: Duration = Duration::from_secs(300);
/// Default first pause of the automatic retry ([`ClientBuilder::retry_backoff`]);
/// it doubles with each retry.
pub const DEFAULT_RETRY_BACKOFF: Duration = Duration::from_millis(200);

/// Where requests go. `Debug` never shows a user name or password written
/// into a custom URL (`build` refuses one; see [`ClientBuilder::base_url`]).
#[derive(Clone, PartialEq, Eq)]
pub enum Environment {
    /// `http://api.ytx.net`
    Production,
    /// `http://sandbox.ytx.net` (use the console's test app id)
    Sandbox,
    /// Any other `http://` or `https://` base URL: a gateway, a proxy in
    /// front of the platform, or the local emulator. A path prefix is kept.
    Custom(String),
}

impl fmt::Debug for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Environment::Production => f.write_str("Production"),
            Environment::Sandbox => f.write_str("Sandbox"),
            Environment::Custom(url) => f
                .debug_tuple("Custom")
                .field(&crate::transport::url::without_userinfo(url))
                .finish(),
        }
    }
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

/// Builds a [`Client`](crate::Client). Every setter's value is checked in [`ClientBuilder::build`].
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
    pub(crate) account_sid: String,
    /// Wiped from memory when the builder (and the client that owns it) is
    /// dropped.
    pub(crate) auth_token: Secret,
    pub(crate) app_id: String,
    pub(crate) environment: Environment,
    /// `None`: the default, capped at the overall timeout.
    pub(crate) connect_timeout: Option<Duration>,
    pub(crate) timeout: Duration,
    pub(crate) proxy: Option<String>,
    pub(crate) callback: Endpoint,
    pub(crate) voice_code: Endpoint,
    pub(crate) pool_idle_timeout: Duration,
    pub(crate) ca_file: Option<String>,
    pub(crate) env_proxy: bool,
    pub(crate) generic_transport: bool,
    pub(crate) resolver: Option<Resolver>,
    pub(crate) retry: RetryPolicy,
    pub(crate) auto_custom_parm: bool,
    /// The options given by name ([`ClientBuilder::set`], the C ABI and the
    /// bindings): their errors name the option (`timeout_ms`); the others
    /// name the builder method (`timeout`).
    pub(crate) by_name: Vec<&'static str>,
}

/// Each client option given by name is listed once, in `client_options!`
/// below, one line each: its name (as C, Python and C# give it), the
/// builder method that sets it in Rust (named by a `build` error when the
/// option was not given by name), how its text is parsed, where the value
/// goes, what `Debug` shows of it, and, for a value checked on its own in
/// `build`, that check. [`CLIENT_OPTION_NAMES`] (which the C ABI's
/// `ytx_client_option_name` and the bindings' drift tests read), the
/// by-name setter, the names `build`'s errors use ([`option`]), those
/// checks and `ClientBuilder`'s `Debug` all come from that one list, as
/// `callback_options!` (src/request.rs) does for the callback call's
/// options. The C docs of `ytx_client_new` (which cbindgen reads from
/// source) are kept in step by a test in this file.
macro_rules! client_options {
    ($(
        $name:ident : $method:ident, $parse:ident => |$b:ident, $v:ident| $put:expr,
        show |$sb:ident| $show:expr
        $(, check |$cb:ident| $check:expr)? ;
    )*) => {
        /// Names accepted by [`ClientBuilder::set`] (and the C ABI's client options).
        #[doc(hidden)]
        pub const CLIENT_OPTION_NAMES: [&str; [$(stringify!($name)),*].len()] =
            [$(stringify!($name)),*];

        /// Each client option's name, for the checks of `build` to name it
        /// (through [`ClientBuilder::field`]) without writing it again.
        #[allow(non_upper_case_globals, dead_code)]
        pub(crate) mod option {
            $( pub(crate) const $name: &str = stringify!($name); )*
        }

        impl ClientBuilder {
            /// Set the option `name` (one of [`CLIENT_OPTION_NAMES`]) from text.
            fn set_by_name(&mut self, name: &str, value: &str) -> Result<()> {
                match name {
                    $( stringify!($name) => {
                        let $v = $parse(name, value)?;
                        let $b = self;
                        $put;
                    } )*
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

            /// The checks of single values the list gives, in its order.
            fn check_listed(&self) -> Result<()> {
                $($(
                    let $cb = self;
                    if let Err(reason) = $check {
                        return Err(Error::invalid(self.field(option::$name), reason));
                    }
                )?)*
                Ok(())
            }

            /// Each option, by name, as `Debug` shows it.
            fn debug_options(&self, f: &mut fmt::DebugStruct<'_, '_>) {
                $( f.field(stringify!($name), &{ let $sb = self; $show }); )*
            }
        }

        /// The builder method that sets the option `option`.
        fn method_of(option: &'static str) -> &'static str {
            match option {
                $( stringify!($name) => stringify!($method), )*
                _ => option,
            }
        }
    };
}

client_options! {
    environment: environment, environment => |b, v| b.environment = v,
        show |b| &b.environment;
    base_url: base_url, text => |b, v| b.environment = Environment::Custom(v),
        show |b| crate::transport::url::without_userinfo(b.environment.base_url());
    connect_timeout_ms: connect_timeout, ms => |b, v| b.connect_timeout = Some(v),
        show |b| b.connect_timeout;
    timeout_ms: timeout, ms => |b, v| b.timeout = v,
        show |b| b.timeout;
    proxy: proxy, text => |b, v| b.proxy = Some(v),
        show |b| b.proxy.as_ref().map(|_| "<set>");
    callback_func_url: callback_endpoint, text => |b, v| b.callback.func_url = v,
        show |b| &b.callback.func_url, check |b| endpoint_part(&b.callback.func_url);
    callback_action: callback_endpoint, text => |b, v| b.callback.action = v,
        show |b| &b.callback.action, check |b| endpoint_part(&b.callback.action);
    voice_code_func_url: voice_code_endpoint, text => |b, v| b.voice_code.func_url = v,
        show |b| &b.voice_code.func_url, check |b| endpoint_part(&b.voice_code.func_url);
    voice_code_action: voice_code_endpoint, text => |b, v| b.voice_code.action = v,
        show |b| &b.voice_code.action, check |b| endpoint_part(&b.voice_code.action);
    pool_idle_timeout_ms: pool_idle_timeout, ms => |b, v| b.pool_idle_timeout = v,
        show |b| b.pool_idle_timeout;
    ca_file: ca_file, text => |b, v| b.ca_file = Some(v),
        show |b| &b.ca_file;
    env_proxy: env_proxy, flag => |b, v| b.env_proxy = v,
        show |b| b.env_proxy;
    max_retries: max_retries, retries => |b, v| b.retry.max_retries = v,
        show |b| b.retry.max_retries;
    retry_budget_ms: retry_budget, ms => |b, v| b.retry.budget = v,
        show |b| b.retry.budget;
    retry_backoff_ms: retry_backoff, ms => |b, v| b.retry.backoff = v,
        show |b| b.retry.backoff;
    auto_custom_parm: auto_custom_parm, flag => |b, v| b.auto_custom_parm = v,
        show |b| b.auto_custom_parm;
}

/// A funcURL or action: non-empty ASCII letters, digits, '.' or '_' (it
/// goes into the URL's path and the body as is).
fn endpoint_part(v: &str) -> std::result::Result<(), String> {
    if v.is_empty()
        || !v
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_')
    {
        return Err(format!(
            "must be non-empty ASCII letters, digits, '.' or '_', got {v:?}"
        ));
    }
    Ok(())
}

/// Parse an option's text as is.
fn text(_name: &str, value: &str) -> Result<String> {
    Ok(value.into())
}

/// Parse whole milliseconds greater than 0.
fn ms(name: &str, value: &str) -> Result<Duration> {
    value
        .parse::<u64>()
        .ok()
        .filter(|n| *n > 0)
        .map(Duration::from_millis)
        .ok_or_else(|| {
            Error::invalid(
                name,
                format!("must be a whole number of milliseconds greater than 0, got {value:?}"),
            )
        })
}

/// Parse `1`/`true`/`on` or `0`/`false`/`off`.
fn flag(name: &str, value: &str) -> Result<bool> {
    match value {
        "1" | "true" | "on" => Ok(true),
        "0" | "false" | "off" => Ok(false),
        _ => Err(Error::invalid(
            name,
            format!("must be 1 or 0, got {value:?}"),
        )),
    }
}

/// Parse a retry count: digits only, at most [`MAX_RETRIES`].
fn retries(name: &str, value: &str) -> Result<u32> {
    value
        .parse::<u32>()
        .ok()
        .filter(|n| *n <= MAX_RETRIES && value.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| {
            Error::invalid(
                name,
                format!("must be a whole number from 0 to {MAX_RETRIES}, got {value:?}"),
            )
        })
}

/// Parse `production` or `sandbox`.
fn environment(name: &str, value: &str) -> Result<Environment> {
    match value {
        "production" => Ok(Environment::Production),
        "sandbox" => Ok(Environment::Sandbox),
        _ => Err(Error::invalid(
            name,
            format!("must be \"production\" or \"sandbox\" (or set base_url), got {value:?}"),
        )),
    }
}

/// The automatic retry of retry-safe failures (off by default).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RetryPolicy {
    /// Retries after the first attempt; 0: never retry.
    pub(crate) max_retries: u32,
    /// Bound on the time from the first attempt to the start of the last.
    pub(crate) budget: Duration,
    /// The first pause; doubled for each further retry.
    pub(crate) backoff: Duration,
}

impl RetryPolicy {
    /// The pause before retry number `n` (1 for the first) of a failure that
    /// may be retried after `retry_after`: the backoff doubled `n - 1` times,
    /// at least `retry_after`.
    pub(crate) fn pause(&self, n: u32, retry_after: Duration) -> Duration {
        let doubled = self
            .backoff
            .saturating_mul(1u32.checked_shl(n.saturating_sub(1)).unwrap_or(u32::MAX));
        doubled.max(retry_after)
    }
}

impl ClientBuilder {
    /// Production, default timeouts, no proxy, the documented endpoints.
    pub fn new(
        account_sid: impl Into<String>,
        auth_token: impl Into<String>,
        app_id: impl Into<String>,
    ) -> ClientBuilder {
        ClientBuilder {
            account_sid: account_sid.into(),
            auth_token: Secret(auth_token.into()),
            app_id: app_id.into(),
            environment: Environment::Production,
            connect_timeout: None,
            timeout: DEFAULT_TIMEOUT,
            proxy: None,
            callback: Endpoint::callback_default(),
            voice_code: Endpoint::voice_code_default(),
            pool_idle_timeout: DEFAULT_POOL_IDLE_TIMEOUT,
            ca_file: None,
            env_proxy: true,
            generic_transport: false,
            resolver: None,
            retry: RetryPolicy {
                max_retries: 0,
                budget: DEFAULT_RETRY_BUDGET,
                backoff: DEFAULT_RETRY_BACKOFF,
            },
            auto_custom_parm: false,
            by_name: Vec::new(),
        }
    }

    /// The field an error about an option names: its option name when it was
    /// given by name, else the builder method that sets it.
    fn field(&self, option: &'static str) -> &'static str {
        if self.by_name.contains(&option) {
            option
        } else {
            method_of(option)
        }
    }

    /// Production, sandbox or a custom base URL.
    pub fn environment(mut self, environment: Environment) -> Self {
        self.environment = environment;
        self
    }
    /// Shorthand for `environment(Environment::Custom(url))`. Checked in
    /// `build`: `http://` or `https://` in any case, a host, a port of 1 to
    /// 65535 or none; a user name or password (`user:pass@`) or an empty
    /// port (`http://host:/`) is an error naming `base_url`, which never
    /// repeats the value. [`Client::base_url`](crate::Client::base_url) gives it normalised.
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
    /// An HTTP proxy, `http://[user:pass@]host:port`; `""` for none. It wins
    /// over the environment's (see [`ClientBuilder::env_proxy`]).
    pub fn proxy(mut self, proxy: impl Into<String>) -> Self {
        self.proxy = Some(proxy.into());
        self
    }
    /// Whether to use the proxy the environment names when no
    /// [`ClientBuilder::proxy`] is set (default `true`), as curl does:
    /// `http_proxy` / `HTTP_PROXY` for an `http://` base URL, `https_proxy`
    /// / `HTTPS_PROXY` for `https://`, else `all_proxy` / `ALL_PROXY`; hosts
    /// in `no_proxy` / `NO_PROXY` (names with their subdomains, IP addresses,
    /// `addr/bits`, or `*`) are reached directly. Read once, in `build`.
    pub fn env_proxy(mut self, yes: bool) -> Self {
        self.env_proxy = yes;
        self
    }
    /// The longest a keep-alive connection may sit idle in the pool before it
    /// is closed instead of reused. Default 30 s
    /// ([`DEFAULT_POOL_IDLE_TIMEOUT`]): under the idle timeouts of common
    /// load balancers and NATs, which drop a connection without telling
    /// either end (a request written into one would end as *outcome
    /// unknown*). Set it lower if something in front of the platform drops
    /// idle connections sooner.
    pub fn pool_idle_timeout(mut self, d: Duration) -> Self {
        self.pool_idle_timeout = d;
        self
    }
    /// A PEM file of CA certificates for `https://` (a gateway with a private
    /// CA). Its certificates are trusted **instead of** the default roots
    /// (the system's with the default `tls` feature, Mozilla's built in with
    /// `tls-rustls`), as curl's `--cacert`; to trust both, put both in the
    /// file (e.g. append yours to a copy of the system's
    /// `/etc/ssl/certs/ca-certificates.crt`).
    /// Read once, in `build`: an unreadable file or one without a
    /// certificate is an error naming `ca_file`.
    pub fn ca_file(mut self, path: impl Into<String>) -> Self {
        self.ca_file = Some(path.into());
        self
    }
    /// Resolve host names with `resolver` instead of the system's. For the
    /// test suite, which checks that a lookup is bounded by the connect
    /// timeout and that the connect timeout is shared across addresses
    /// without depending on the host's DNS; no reason to use it otherwise.
    /// (The plain-`http://` transport bounds a stuck lookup; the generic one
    /// calls it on ureq's thread, unbounded.)
    #[doc(hidden)]
    pub fn resolver(mut self, resolver: Resolver) -> Self {
        self.resolver = Some(resolver);
        self
    }
    /// Resend a request automatically, up to `n` times (at most
    /// [`MAX_RETRIES`]), when it failed in a way that makes sending it again
    /// safe ([`Error::is_retry_safe`]): before it was written (connection
    /// refused, DNS, TLS handshake, connect timeout), or refused by the
    /// platform with `-104`. Never an *outcome unknown*, an argument error
    /// or another platform answer. Default 0: off (as twilio-node and
    /// twilio-go chose; a caller with its own retry loop keeps full control).
    ///
    /// Pauses before each retry: [`ClientBuilder::retry_backoff`], doubled
    /// each time, at least the error's [`Error::retry_after`]; no retry
    /// starts after [`ClientBuilder::retry_budget`]. Each retry is logged at
    /// WARN. The error returned is the last attempt's.
    ///
    /// ```
    /// let client = ytx::Client::builder("sid", "token", "app").max_retries(3).build()?;
    /// # Ok::<(), ytx::Error>(())
    /// ```
    pub fn max_retries(mut self, n: u32) -> Self {
        self.retry.max_retries = n;
        self
    }
    /// The time from the first attempt after which no automatic retry starts
    /// (default 10 s, at most [`MAX_RETRY_BUDGET`]); a retry whose pause
    /// would end after it is not made.
    pub fn retry_budget(mut self, d: Duration) -> Self {
        self.retry.budget = d;
        self
    }
    /// The pause before the first automatic retry (default 200 ms), doubled
    /// for each further one, never shorter than the error's
    /// [`Error::retry_after`] (1 s for `-104`).
    pub fn retry_backoff(mut self, d: Duration) -> Self {
        self.retry.backoff = d;
        self
    }
    /// Give every callback call sent without a customParm a unique one
    /// (`ytx-<unix ms>-<pid>-<counter>`: unique across processes and
    /// restarts, no randomness), so that every *outcome unknown* can be
    /// resolved ([`Client::resolve`](crate::Client::resolve)). Off by
    /// default: the platform echoes customParm in pushes and records, so
    /// turn it on when nothing reads it as your own reference. By name:
    /// `auto_custom_parm` `1` / `0`.
    pub fn auto_custom_parm(mut self, yes: bool) -> Self {
        self.auto_custom_parm = yes;
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
    #[doc(hidden)]
    pub fn set(&mut self, name: &str, value: &str) -> Result<()> {
        if name.is_empty() {
            return Err(Error::invalid("option_name", "must not be empty"));
        }
        self.set_by_name(name, value)?;
        if let Some(known) = CLIENT_OPTION_NAMES.iter().find(|n| **n == name) {
            self.by_name.push(known);
        }
        Ok(())
    }

    /// Set several options by name (see [`ClientBuilder::set`]), as the C ABI
    /// and the bindings give them: the order never matters, each option may
    /// be given once, and `environment` and `base_url` exclude each other
    /// (both are an error naming both, never "the last one wins").
    ///
    /// ```
    /// let mut b = ytx::Client::builder("sid", "token", "app");
    /// let e = b.set_options([("base_url", "http://127.0.0.1:1"), ("environment", "sandbox")]).unwrap_err();
    /// assert!(e.to_string().contains("environment") && e.to_string().contains("base_url"));
    /// ```
    #[doc(hidden)]
    pub fn set_options<'a>(
        &mut self,
        options: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<()> {
        let mut seen: Vec<&str> = Vec::new();
        for (name, value) in options {
            if seen.contains(&name) {
                return Err(Error::invalid(name, "is given more than once"));
            }
            let exclusive = [option::environment, option::base_url];
            if exclusive.contains(&name) && seen.iter().any(|s| exclusive.contains(s)) {
                return Err(Error::invalid(
                    name,
                    "environment and base_url are both given: give one of them (base_url for any URL, environment for production or sandbox)",
                ));
            }
            self.set(name, value)?;
            seen.push(name);
        }
        Ok(())
    }

    /// Check the configuration: the checked data a client is made of
    /// ([`ClientBuilder::build`], in src/client.rs, makes the client).
    ///
    /// Credentials are checked, not trimmed: a value with a space or newline
    /// (pasted from the console) is an error naming the field, because a
    /// silently trimmed credential hides the mistake elsewhere.
    pub(crate) fn check(self) -> Result<Config> {
        credential("account_sid", &self.account_sid)?;
        credential("auth_token", &self.auth_token)?;
        credential("app_id", &self.app_id)?;
        // Parsed once, here: the transports, no_proxy and base_url() all use
        // this (src/transport/url.rs).
        let url = Url::base(self.environment.base_url(), option::base_url)?;
        if cfg!(not(feature = "_tls")) && url.scheme == Scheme::Https {
            return Err(Error::invalid(
                option::base_url,
                "https:// needs the library built with its 'tls' feature (the default)",
            ));
        }
        self.check_listed()?;
        // Errors name the option (`timeout_ms`) when it was given by name
        // (C, the bindings), the builder method (`timeout`) in Rust.
        if self.timeout.is_zero() {
            return Err(Error::invalid(
                self.field(option::timeout_ms),
                "must be greater than 0",
            ));
        }
        let connect_timeout = match self.connect_timeout {
            None => DEFAULT_CONNECT_TIMEOUT.min(self.timeout),
            Some(d) if d.is_zero() || d > self.timeout => {
                return Err(Error::invalid(
                    self.field(option::connect_timeout_ms),
                    format!(
                        "must be greater than 0 and at most the overall timeout ({} ms)",
                        self.timeout.as_millis()
                    ),
                ))
            }
            Some(d) => d,
        };
        let pool_idle_timeout = self.pool_idle_timeout;
        if pool_idle_timeout.is_zero() {
            return Err(Error::invalid(
                self.field(option::pool_idle_timeout_ms),
                "must be greater than 0",
            ));
        }
        if self.retry.max_retries > MAX_RETRIES {
            return Err(Error::invalid(
                self.field(option::max_retries),
                format!(
                    "must be at most {MAX_RETRIES}, got {}",
                    self.retry.max_retries
                ),
            ));
        }
        if self.retry.budget.is_zero() || self.retry.budget > MAX_RETRY_BUDGET {
            return Err(Error::invalid(
                self.field(option::retry_budget_ms),
                format!(
                    "must be greater than 0 and at most {} ms (inside the platform's timestamp window)",
                    MAX_RETRY_BUDGET.as_millis()
                ),
            ));
        }
        if self.retry.backoff.is_zero() || self.retry.backoff > self.retry.budget {
            return Err(Error::invalid(
                self.field(option::retry_backoff_ms),
                format!(
                    "must be greater than 0 and at most the retry budget ({} ms)",
                    self.retry.budget.as_millis()
                ),
            ));
        }
        let ca_certs = match &self.ca_file {
            Some(path) => Some(read_ca_file(path)?),
            None => None,
        };
        let proxy = proxy::choose(&url, self.proxy.as_deref(), self.env_proxy, &|name| {
            std::env::var(name).ok()
        })?;
        Ok(Config {
            transport: Settings {
                url,
                connect_timeout,
                timeout: self.timeout,
                pool_idle_timeout,
                max_idle: MAX_IDLE_CONNECTIONS,
                user_agent: USER_AGENT,
                proxy,
                ca_certs,
                generic: self.generic_transport,
                resolver: self.resolver,
            },
            account_sid: self.account_sid,
            auth_token: self.auth_token,
            app_id: self.app_id,
            callback: self.callback,
            voice_code: self.voice_code,
            retry: self.retry,
            auto_custom_parm: self.auto_custom_parm,
        })
    }
}

/// What [`ClientBuilder::build`] checked, and all a client keeps of its
/// configuration (the builder itself is gone once the client is made).
#[derive(Clone)]
pub(crate) struct Config {
    pub(crate) account_sid: String,
    /// Wiped from memory when the client is dropped.
    pub(crate) auth_token: Secret,
    pub(crate) app_id: String,
    pub(crate) callback: Endpoint,
    pub(crate) voice_code: Endpoint,
    pub(crate) retry: RetryPolicy,
    pub(crate) auto_custom_parm: bool,
    /// What the transport is made from.
    pub(crate) transport: Settings,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = &self.transport;
        f.debug_struct("Config")
            .field("account_sid", &self.account_sid)
            .field("auth_token", &"<redacted>")
            .field("app_id", &self.app_id)
            .field("base_url", &t.url.as_str())
            .field("connect_timeout", &t.connect_timeout)
            .field("timeout", &t.timeout)
            .field("proxy", &t.proxy.as_ref().map(|_| "<set>"))
            .field("pool_idle_timeout", &t.pool_idle_timeout)
            .field("ca_file", &t.ca_certs.as_ref().map(|_| "<set>"))
            .field("retry", &self.retry)
            .field("callback", &self.callback)
            .field("voice_code", &self.voice_code)
            .field("auto_custom_parm", &self.auto_custom_parm)
            .finish()
    }
}

/// A credential kept in memory only as long as needed: its bytes (the
/// whole allocation) are overwritten with zeros when it is dropped, as
/// libgit2 and rustls do with their secrets, so a freed client leaves no
/// copy of the auth token on the heap for a core dump or a later
/// allocation to reveal. Never shown by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret(pub(crate) String);

impl std::ops::Deref for Secret {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Read a PEM bundle of CA certificates. The error names `ca_file` and the
/// path (a path is not a secret).
fn read_ca_file(path: &str) -> Result<Vec<Vec<u8>>> {
    let pem = std::fs::read(path)
        .map_err(|e| Error::invalid(option::ca_file, format!("cannot read {path:?}: {e}")))?;
    let certs = crate::transport::pem_certificates(&pem)
        .map_err(|why| Error::invalid(option::ca_file, format!("{path:?}: {why}")))?;
    if certs.is_empty() {
        return Err(Error::invalid(
            option::ca_file,
            format!("{path:?} holds no PEM certificate (-----BEGIN CERTIFICATE-----)"),
        ));
    }
    Ok(certs)
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("ClientBuilder");
        d.field("account_sid", &self.account_sid)
            .field("auth_token", &"<redacted>")
            .field("app_id", &self.app_id);
        self.debug_options(&mut d);
        d.finish()
    }
}

/// The longest account SID, auth token or app id accepted.
const MAX_CREDENTIAL_LEN: usize = 64;

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
    if v.len() > MAX_CREDENTIAL_LEN {
        return Err(Error::invalid(
            field,
            format!(
                "is too long ({} characters, at most {MAX_CREDENTIAL_LEN})",
                v.len()
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// cbindgen reads the C docs from source, where `client_options!` cannot
    /// write them: the doc of `ytx_client_new` in the header must name every
    /// option of the list, so a new option cannot ship undocumented in C.
    #[test]
    fn the_c_docs_name_every_client_option() {
        let header = include_str!("../include/ytx.h");
        let end = header.find("ytx_result ytx_client_new(").unwrap();
        let doc = &header[header[..end].rfind("/**").unwrap()..end];
        let words: Vec<&str> = doc
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .collect();
        for name in CLIENT_OPTION_NAMES {
            assert!(
                words.contains(&name),
                "{name} is not in ytx_client_new's doc"
            );
        }
    }

    /// `Debug` shows every option of the list by its name, and no secret.
    #[test]
    fn debug_shows_every_option_and_no_secret() {
        let b = ClientBuilder::new("sid", "S3cr3tT0ken", "app")
            .base_url("http://user:hunter2@gw.example/")
            .proxy("http://user:hunter2@proxy:8080");
        let text = format!("{b:?}");
        for name in CLIENT_OPTION_NAMES {
            assert!(text.contains(&format!(" {name}: ")), "{name}: {text}");
        }
        assert!(
            !text.contains("S3cr3tT0ken") && !text.contains("hunter2"),
            "{text}"
        );
        assert!(text.contains("gw.example"), "{text}");
    }

    /// Each option sets by name, and a build error about it names the option
    /// when given by name, the builder method otherwise.
    #[test]
    fn an_error_names_the_option_given_by_name_else_the_method() {
        let mut b = ClientBuilder::new("sid", "token", "app");
        for name in CLIENT_OPTION_NAMES {
            assert_eq!(b.field(name), method_of(name));
            assert_ne!(method_of(name), "", "{name}");
            // The method an error names is a builder method.
            let method = format!("    pub fn {}(", method_of(name));
            assert!(include_str!("config.rs").contains(&method), "{method}");
        }
        b.set("timeout_ms", "1000").unwrap();
        assert_eq!(b.field("timeout_ms"), "timeout_ms");
        assert_eq!(b.field("retry_budget_ms"), "retry_budget");
        assert_eq!(method_of("voice_code_action"), "voice_code_endpoint");
    }
}
