//! The wire: how a signed request reaches the platform and its answer comes
//! back. One transport per file, chosen in one place ([`Transport::new`]):
//!
//! * [`plain`]: plain `http://` without a proxy (the platform's own hosts):
//!   our socket code, one write per request, the answer's head and chunk
//!   sizes parsed by `httparse`.
//! * [`generic`]: `https://` and proxies, through ureq 3.
//!
//! Both keep the delivery rules: DNS, connect and TLS handshake failures are
//! `NOT_SENT`; anything after the first byte of the request may have left is
//! `UNKNOWN`; nothing is ever sent twice.
//!
//! Both keep the fork rule: a connection is used only by the process that
//! opened it ([`owner`]). After `fork()` the child inherits the parent's
//! pooled sockets (the same kernel sockets, not copies); were both to write
//! into one, each would read whichever answer came first: another process's
//! requestId, or another's `-104` taken for "not placed". So a pooled
//! connection carries the id of the process that opened it, and a process
//! that finds another's in its pool drops it unused: it closes its own file
//! descriptor and nothing else (no `shutdown()`, no TLS `close_notify`,
//! nothing written), which leaves the parent's connection as it was; then it
//! opens its own.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use self::url::Url;
use crate::error::{Delivery, Error, Result};

pub(crate) mod generic;
pub(crate) mod plain;
pub(crate) mod proxy;
pub(crate) mod url;

/// Default longest idle time of a pooled keep-alive connection. Well under
/// the idle timeouts of common load balancers and NATs (60 s and more): a
/// connection they dropped silently would be written into and end as
/// *outcome unknown*.
pub const DEFAULT_POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// What a transport is made from: checked by `ClientBuilder::build`
/// (src/config.rs), which this module knows nothing of.
#[derive(Clone)]
pub(crate) struct Settings {
    /// The base URL, parsed once (src/transport/url.rs); `url.as_str()` is
    /// its text: scheme and host in lower case, without a trailing slash.
    pub(crate) url: Url,
    pub(crate) connect_timeout: Duration,
    pub(crate) timeout: Duration,
    pub(crate) pool_idle_timeout: Duration,
    pub(crate) max_idle: usize,
    pub(crate) user_agent: &'static str,
    /// `http://[user:pass@]host:port`, checked.
    pub(crate) proxy: Option<String>,
    /// DER certificates from `ca_file`, trusted instead of the built-in roots.
    #[cfg_attr(not(feature = "_tls"), allow(dead_code))]
    pub(crate) ca_certs: Option<Vec<Vec<u8>>>,
    /// Plain `http://` through the generic transport too (tests only).
    pub(crate) generic: bool,
    pub(crate) resolver: Option<Resolver>,
}

/// A host-name lookup (tests replace the system's, see
/// [`ClientBuilder::resolver`](crate::ClientBuilder::resolver)).
pub type Resolver =
    Arc<dyn Fn(&str, u16) -> std::io::Result<Vec<std::net::SocketAddr>> + Send + Sync>;

/// The answer: status and (bounded) body.
#[derive(Debug)]
pub(crate) struct RawAnswer {
    pub(crate) status: u16,
    pub(crate) body: Vec<u8>,
}

/// The transport of one client.
pub(crate) enum Transport {
    /// Plain `http://`, no proxy.
    Plain(plain::Plain),
    /// `https://`, or any base URL through a proxy.
    Generic(generic::Generic),
}

impl Transport {
    /// The one place the transport is chosen: the lean plain sender for an
    /// `http://` base URL reached directly, ureq for the rest.
    pub(crate) fn new(s: &Settings) -> Result<Transport> {
        if s.proxy.is_none() && !s.generic {
            if let Some(p) = plain::Plain::for_settings(s) {
                return Ok(Transport::Plain(p));
            }
        }
        Ok(Transport::Generic(generic::Generic::new(s)?))
    }

    /// POST `body` to `url` once. Reads at most [`body_limit`] bytes of the
    /// answer's body.
    pub(crate) fn post(
        &self,
        url: &str,
        headers: &[(&str, &str)],
        body: &[u8],
        max_body: u64,
    ) -> Result<RawAnswer> {
        match self {
            Transport::Plain(p) => match p.target(url) {
                Some(target) => p.post(target, headers, body, max_body),
                None => Err(Error::invalid(
                    "url",
                    "is not under the client's base URL (a request prepared by another client?)",
                )),
            },
            Transport::Generic(g) => g.post(url, headers, body, max_body),
        }
    }
}

/// The process a connection belongs to: the id of the current process,
/// checked when a pooled connection is taken. A process id is unique among
/// live processes, so a connection tagged with it is used by one process at
/// a time, whoever else holds a copy of its descriptor. `getpid` through std
/// (no `unsafe`, no `pthread_atfork` handler to register): one system call
/// per request, nothing next to the request's own I/O.
pub(crate) fn owner() -> u32 {
    std::process::id()
}

/// The DER certificates of a PEM bundle (`ca_file`).
pub(crate) fn pem_certificates(pem: &[u8]) -> std::result::Result<Vec<Vec<u8>>, String> {
    generic::pem_certificates(pem)
}

/// Bytes that would break the request line or a header line if written
/// (CR, LF, NUL and other controls but tab): a `PreparedRequest` given to
/// `send` may have been edited. Checked before anything is sent.
pub(crate) fn check_request(url: &str, headers: &[(&str, &str)]) -> Result<()> {
    let bad = |s: &str| s.bytes().any(|b| b.is_ascii_control() && b != b'\t');
    if bad(url) || url.contains(' ') {
        return Err(Error::invalid(
            "url",
            "contains a space, CR, LF or another control character",
        ));
    }
    for (name, value) in headers {
        let token = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
        if !token || bad(value) {
            return Err(Error::invalid(
                "headers",
                format!("header {name:?}: a name must be a token and a value must not contain CR, LF or another control character"),
            ));
        }
    }
    Ok(())
}

pub(crate) use crate::error::is_timeout;

/// At most this many bytes are read of an answer other than a 200: enough
/// for the error message ([`crate::error::Error::HttpStatus`] keeps them).
pub(crate) const ERROR_BODY_BYTES: u64 = 512;

/// How many bytes of an answer's body to read: `max_body + 1` of a 200
/// (one more than allowed, to tell "too large"), [`ERROR_BODY_BYTES`] of
/// anything else.
pub(crate) fn body_limit(status: u16, max_body: u64) -> u64 {
    if status == 200 {
        max_body.saturating_add(1)
    } else {
        ERROR_BODY_BYTES
    }
}

/// An I/O error before any byte of the request left: safe to retry.
pub(crate) fn not_sent_io(e: &io::Error, during: &str) -> Error {
    Error::io(Delivery::NotSent, e, during)
}

/// An I/O error once the request may have left: the outcome is unknown.
pub(crate) fn unknown_io(e: &io::Error, during: &str) -> Error {
    Error::io(Delivery::Unknown, e, during)
}

pub(crate) fn malformed(what: impl std::fmt::Display) -> Error {
    Error::Protocol {
        message: format!("malformed HTTP answer: {what}"),
        ticket: None,
    }
}
