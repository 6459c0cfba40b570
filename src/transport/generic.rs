//! `https://` and proxies, through ureq 3 (its HTTP/1.1 core is
//! `ureq-proto`). TLS, by cargo feature: `tls-native` (the default through
//! `tls`: the system's OpenSSL on Linux, SChannel on Windows, the system's
//! trusted roots) or `tls-rustls` (rustls with ring and Mozilla's roots
//! built in). Either way `ca_file`'s certificates replace the roots.
//!
//! ureq 3 never retries a request and follows no redirect here
//! (`max_redirects(0)`), so the never-resend rule holds. Which side of
//! "written" an error fell on is read from where it was raised, never from
//! its kind alone: ureq raises the same `Error::Io` (connection refused,
//! host unreachable, ...) from a connect and from a read or write on an
//! established connection, and Linux reports `ECONNREFUSED` or
//! `EHOSTUNREACH` on an established socket too. So every error raised while
//! a connection is being made (TCP connect, the proxy's CONNECT, the TLS
//! handshake: ureq's connector chain, which writes no byte of the request)
//! is tagged by [`Connecting`]; with the lookup before it, only those are
//! *not sent*. Any other I/O error is *unknown*.

use std::io::Read;
use std::sync::Mutex;

use super::{malformed, timeout, RawAnswer};
use crate::config::Settings;
use crate::error::{Delivery, Error, Result};

/// One ureq agent: its own pool, configured from the client's settings.
///
/// Fork rule (see the module `transport`): the agent, and with it its pool,
/// belongs to the process that made it. A process that finds another's
/// (inherited through `fork()`) makes its own from the same settings and
/// drops the inherited one: dropping a ureq 3.5 pool closes this process's
/// descriptors and sends nothing (no `shutdown()`: ureq calls that only from
/// `Agent::shutdown`, which this crate never calls; no TLS `close_notify`:
/// rustls and OpenSSL send one only when asked), so the parent's connections
/// stay as they were.
pub(crate) struct Generic {
    /// The agent and the process that made it.
    agent: Mutex<(u32, ureq::Agent)>,
    /// To make the agent again after a fork.
    settings: Settings,
}

impl Generic {
    pub(crate) fn new(s: &Settings) -> Result<Generic> {
        Ok(Generic {
            agent: Mutex::new((super::owner(), agent(s)?)),
            settings: s.clone(),
        })
    }

    /// This process's agent (a clone shares its pool), made afresh if the
    /// one held was made by another process.
    fn agent(&self) -> Result<ureq::Agent> {
        let me = super::owner();
        let mut held = self.agent.lock().unwrap_or_else(|p| p.into_inner());
        if held.0 != me {
            let inherited = std::mem::replace(&mut held.1, agent(&self.settings)?);
            held.0 = me;
            drop(inherited); // closes our descriptors only, see above
        }
        Ok(held.1.clone())
    }

    /// Replace the agent by one that connects with `connector` (tests:
    /// a fault added after ureq's own connector).
    #[cfg(test)]
    fn connect_with(&self, connector: impl ureq::unversioned::transport::Connector) {
        let mut held = self.agent.lock().unwrap();
        *held = (
            super::owner(),
            agent_with(&self.settings, connector).unwrap(),
        );
    }

    pub(crate) fn post(
        &self,
        url: &str,
        headers: &[(&str, &str)],
        body: &[u8],
        max_body: u64,
    ) -> Result<RawAnswer> {
        let mut r = self.agent()?.post(url);
        for (k, v) in headers {
            r = r.header(*k, *v);
        }
        let response = r.send(body).map_err(|e| map_error(&e))?;
        let status = response.status().as_u16();
        let limit = if status == 200 {
            max_body.saturating_add(1)
        } else {
            512
        };
        let mut buf = Vec::with_capacity(256);
        let read = response
            .into_body()
            .into_reader()
            .take(limit)
            .read_to_end(&mut buf);
        match read {
            Ok(_) => Ok(RawAnswer { status, body: buf }),
            // A non-200 answer's body is only for the message.
            Err(_) if status != 200 => Ok(RawAnswer { status, body: buf }),
            Err(e) => Err(map_error(&ureq::Error::from(e))),
        }
    }
}

/// A ureq agent configured from the client's settings.
fn agent(s: &Settings) -> Result<ureq::Agent> {
    agent_with(s, ureq::unversioned::transport::DefaultConnector::new())
}

/// A ureq agent configured from the client's settings, connecting with
/// `connector` (ureq's default; the tests add a fault after it).
fn agent_with(
    s: &Settings,
    connector: impl ureq::unversioned::transport::Connector,
) -> Result<ureq::Agent> {
    let proxy = match &s.proxy {
        // Checked by the configuration; the error never repeats it (it
        // may hold a password).
        Some(p) => Some(ureq::Proxy::new(p).map_err(|_| {
            Error::invalid(
                "proxy",
                "must look like http://host:port or http://user:password@host:port",
            )
        })?),
        None => None,
    };
    let config = ureq::Agent::config_builder()
        // The environment's proxy was already chosen (or not) by the
        // configuration: ureq must not read it again.
        .proxy(proxy)
        .http_status_as_error(false)
        // A redirected POST could be re-sent elsewhere: never follow.
        .max_redirects(0)
        .max_redirects_will_error(false)
        .timeout_global(Some(s.timeout))
        // DNS and connect (TCP, proxy CONNECT, TLS) are each bounded by
        // the connect timeout, and everything by the global one.
        .timeout_resolve(Some(s.connect_timeout))
        .timeout_connect(Some(s.connect_timeout))
        .max_idle_connections(s.max_idle)
        .max_idle_connections_per_host(s.max_idle)
        .max_idle_age(s.pool_idle_timeout)
        .user_agent(s.user_agent);
    #[cfg(feature = "_tls")]
    let config = config.tls_config(tls_config(s));
    Ok(ureq::Agent::with_parts(
        config.build(),
        Connecting(connector),
        LookupResolver {
            system: Default::default(),
            replaced: s.resolver.clone(),
        },
    ))
}

/// A connector chain whose every error is tagged as raised while
/// connecting: the request is written only after the chain returns (ureq's
/// `run::connect`, then `send_request`), and a pooled connection does not
/// come through it, so what it raises was before the first byte of the
/// request. ureq runs the whole chain again for a CONNECT proxy's own
/// connection; a tagged error stays tagged once.
#[derive(Debug)]
struct Connecting<C>(C);

impl<C: ureq::unversioned::transport::Connector> ureq::unversioned::transport::Connector
    for Connecting<C>
{
    type Out = C::Out;

    fn connect(
        &self,
        details: &ureq::unversioned::transport::ConnectionDetails,
        chained: Option<()>,
    ) -> std::result::Result<Option<C::Out>, ureq::Error> {
        self.0.connect(details, chained).map_err(|e| match e {
            ureq::Error::Other(b) if b.is::<ConnectError>() => ureq::Error::Other(b),
            e => ureq::Error::Other(Box::new(ConnectError(e))),
        })
    }
}

/// An error raised while connecting (see [`Connecting`]).
#[derive(Debug)]
struct ConnectError(ureq::Error);

impl std::fmt::Display for ConnectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for ConnectError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

/// ureq's own resolver, with every failure but a timeout reported as
/// `HostNotFound`: ureq passes a lookup's I/O error on as a plain `Io`
/// error, which would be indistinguishable from one after the request.
/// The test suite's stand-in ([`crate::config::Resolver`]) replaces the
/// system's when set (called on ureq's thread: a stand-in must return).
struct LookupResolver {
    system: ureq::unversioned::resolver::DefaultResolver,
    replaced: Option<crate::config::Resolver>,
}

impl std::fmt::Debug for LookupResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LookupResolver")
            .field("replaced", &self.replaced.is_some())
            .finish()
    }
}

impl ureq::unversioned::resolver::Resolver for LookupResolver {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: ureq::unversioned::transport::NextTimeout,
    ) -> std::result::Result<ureq::unversioned::resolver::ResolvedSocketAddrs, ureq::Error> {
        if let Some(lookup) = &self.replaced {
            let host = uri.host().unwrap_or("");
            let host = host.trim_start_matches('[').trim_end_matches(']');
            let port = uri.port_u16().unwrap_or(match uri.scheme_str() {
                Some("https") => 443,
                _ => 80,
            });
            let found = lookup(host, port).map_err(|_| ureq::Error::HostNotFound)?;
            let mut addrs = self.system.empty();
            for a in found.into_iter().take(16) {
                addrs.push(a);
            }
            return Ok(addrs);
        }
        match self.system.resolve(uri, config, timeout) {
            Err(e @ ureq::Error::Timeout(_)) => Err(e),
            Err(_) => Err(ureq::Error::HostNotFound),
            ok => ok,
        }
    }
}

#[cfg(feature = "_tls")]
fn tls_config(s: &Settings) -> ureq::tls::TlsConfig {
    use ureq::tls::{Certificate, RootCerts, TlsConfig, TlsProvider};
    #[cfg(feature = "tls-rustls")]
    let mut tls = TlsConfig::builder().provider(TlsProvider::Rustls);
    #[cfg(not(feature = "tls-rustls"))]
    let mut tls = TlsConfig::builder()
        .provider(TlsProvider::NativeTls)
        .root_certs(RootCerts::PlatformVerifier);
    if let Some(certs) = &s.ca_certs {
        let certs: Vec<Certificate<'static>> = certs
            .iter()
            .map(|der| Certificate::from_der(der).to_owned())
            .collect();
        tls = tls.root_certs(RootCerts::new_with_certs(&certs));
    }
    tls.build()
}

/// The DER certificates of a PEM bundle.
#[cfg(feature = "_tls")]
pub(crate) fn pem_certificates(pem: &[u8]) -> std::result::Result<Vec<Vec<u8>>, String> {
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(pem) {
        match item {
            Ok(ureq::tls::PemItem::Certificate(c)) => certs.push(c.der().to_vec()),
            Ok(_) => {}
            Err(e) => return Err(format!("not a PEM bundle ({e})")),
        }
    }
    Ok(certs)
}

/// Without TLS there is nothing to trust a CA for.
#[cfg(not(feature = "_tls"))]
pub(crate) fn pem_certificates(_: &[u8]) -> std::result::Result<Vec<Vec<u8>>, String> {
    Err("this build has no TLS (the 'tls' feature): ca_file cannot be used".into())
}

fn not_sent(message: String) -> Error {
    Error::Transport {
        delivery: Delivery::NotSent,
        message,
        source: None,
        ticket: None,
    }
}

fn unknown(message: String) -> Error {
    Error::Transport {
        delivery: Delivery::Unknown,
        message,
        source: None,
        ticket: None,
    }
}

/// Map ureq's error to ours, deciding which side of "written" it fell on:
/// *not sent* for the lookup, the connector chain ([`ConnectError`]) and
/// what ureq checks before it writes; *unknown* for everything else.
fn map_error(e: &ureq::Error) -> Error {
    use ureq::Error as U;
    match e {
        U::Other(b) => match b.downcast_ref::<ConnectError>() {
            Some(ConnectError(e)) => map_connect_error(e),
            None => unknown(format!("network error: {b}")),
        },
        U::HostNotFound => not_sent("DNS lookup failed: host not found".into()),
        // The connector chain made no connection (the pool says so).
        U::ConnectionFailed => not_sent("connect failed".into()),
        U::Timeout(ureq::Timeout::Resolve) => {
            timeout(Delivery::NotSent, "resolving the host (DNS)")
        }
        U::Timeout(_) => timeout(Delivery::Unknown, "waiting for the answer"),
        U::InvalidProxyUrl => not_sent("proxy: invalid URL".into()),
        U::BadUri(_) | U::Http(_) => not_sent("bad URL or header".into()),
        U::TlsRequired => not_sent("TLS: the connection made is not TLS".into()),
        // Written or not, the same kind: refused, unreachable, reset, ...
        U::Io(io) => super::unknown_io(io, "network error"),
        U::Protocol(p) => malformed(p),
        U::LargeResponseHeader(..) => malformed("head too large"),
        other => unknown(format!("network error: {other}")),
    }
}

/// An error of the connector chain: nothing of the request was written.
fn map_connect_error(e: &ureq::Error) -> Error {
    use ureq::Error as U;
    match e {
        U::Timeout(_) => timeout(Delivery::NotSent, "connecting"),
        // The CONNECT proxy's own host.
        U::HostNotFound => not_sent("DNS lookup failed: host not found".into()),
        U::ConnectProxyFailed(why) => not_sent(format!("proxy: CONNECT failed: {why}")),
        U::Protocol(p) => not_sent(format!("proxy: malformed answer to CONNECT: {p}")),
        U::Tls(why) => not_sent(format!("TLS: {why}")),
        #[cfg(feature = "_tls")]
        U::Pem(why) => not_sent(format!("TLS: {why}")),
        #[cfg(feature = "tls-native")]
        U::NativeTls(e) => not_sent(format!("TLS handshake failed: {e}")),
        #[cfg(feature = "tls-rustls")]
        U::Rustls(r) => not_sent(format!("TLS handshake failed: {r}")),
        U::Io(io) => {
            if let Some(r) = io.get_ref().and_then(tls_error) {
                return super::with_io_source(not_sent(format!("TLS handshake failed: {r}")), io);
            }
            super::not_sent_io(io, "connect failed")
        }
        other => not_sent(format!("connect failed: {other}")),
    }
}

/// The rustls error inside an I/O error of the handshake, for its message.
#[cfg(feature = "tls-rustls")]
fn tls_error(e: &(dyn std::error::Error + Send + Sync + 'static)) -> Option<String> {
    e.downcast_ref::<rustls::Error>().map(ToString::to_string)
}

#[cfg(not(feature = "tls-rustls"))]
fn tls_error(_: &(dyn std::error::Error + Send + Sync + 'static)) -> Option<String> {
    None
}

#[cfg(test)]
mod tests {
    use std::io::Read;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    use ureq::unversioned::transport::{
        Buffers, ConnectionDetails, Connector, DefaultConnector, NextTimeout, Transport,
    };

    use crate::{CallbackCall, Client, Delivery, ErrorCode};

    /// Wraps each connection made so that, once the request was written,
    /// reading the answer fails with `kind`: what Linux reports on an
    /// established socket (`EHOSTUNREACH`, `ECONNREFUSED`, ...) when
    /// retransmission gives up, and what ureq passes on from its read path
    /// as the same `Error::Io` a refused connect gives. Counts the
    /// connections that wrote a request.
    #[derive(Debug)]
    struct FailAfterWrite {
        kind: std::io::ErrorKind,
        written: Arc<AtomicUsize>,
    }

    #[derive(Debug)]
    struct Failing {
        inner: Box<dyn Transport>,
        kind: std::io::ErrorKind,
        wrote: bool,
        written: Arc<AtomicUsize>,
    }

    impl Connector<Box<dyn Transport>> for FailAfterWrite {
        type Out = Failing;
        fn connect(
            &self,
            _: &ConnectionDetails,
            chained: Option<Box<dyn Transport>>,
        ) -> Result<Option<Failing>, ureq::Error> {
            Ok(chained.map(|inner| Failing {
                inner,
                kind: self.kind,
                wrote: false,
                written: self.written.clone(),
            }))
        }
    }

    impl Transport for Failing {
        fn buffers(&mut self) -> &mut dyn Buffers {
            self.inner.buffers()
        }
        fn transmit_output(&mut self, amount: usize, t: NextTimeout) -> Result<(), ureq::Error> {
            self.inner.transmit_output(amount, t)?;
            if !self.wrote {
                self.wrote = true;
                self.written.fetch_add(1, Ordering::SeqCst);
            }
            Ok(())
        }
        fn await_input(&mut self, t: NextTimeout) -> Result<bool, ureq::Error> {
            if self.wrote {
                return Err(ureq::Error::Io(std::io::Error::from(self.kind)));
            }
            self.inner.await_input(t)
        }
        fn is_open(&mut self) -> bool {
            !self.wrote && self.inner.is_open()
        }
    }

    /// A server that reads whatever it is sent and never answers.
    fn silent_server() -> String {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut s) = conn else { return };
                std::thread::spawn(move || {
                    let mut sink = [0u8; 4096];
                    while matches!(s.read(&mut sink), Ok(n) if n > 0) {}
                });
            }
        });
        url
    }

    /// Review of issue 18: the kinds a refused or unreachable connect gives
    /// were read as "not sent" wherever they came from, so an error after
    /// the request was written was called retry-safe and `max_retries`
    /// resent a call that may have been placed.
    #[test]
    fn an_error_after_the_request_was_written_is_unknown_whatever_its_kind() {
        use std::io::ErrorKind as K;
        let url = silent_server();
        for kind in [
            K::ConnectionRefused,
            K::HostUnreachable,
            K::NetworkUnreachable,
            K::NetworkDown,
            K::AddrNotAvailable,
            K::ConnectionReset,
        ] {
            let c = Client::builder(
                "abcdefghijklmnopqrstuvwxyz012345",
                "0123456789abcdef0123456789abcdef",
                "app1",
            )
            .base_url(&url)
            .generic_transport(true)
            .timeout(Duration::from_secs(10))
            .max_retries(3)
            .retry_backoff(Duration::from_millis(1))
            .build()
            .unwrap();
            let super::super::Transport::Generic(g) = c.transport() else {
                panic!("not the ureq transport");
            };
            let written = Arc::new(AtomicUsize::new(0));
            g.connect_with(DefaultConnector::new().chain(FailAfterWrite {
                kind,
                written: written.clone(),
            }));
            let e = c
                .callback_call(&CallbackCall::new("13800138000", "13900139000", 600))
                .unwrap_err();
            assert_eq!(written.load(Ordering::SeqCst), 1, "{kind:?}: resent: {e}");
            assert_eq!(e.delivery(), Delivery::Unknown, "{kind:?}: {e}");
            assert_eq!(e.code(), ErrorCode::OutcomeUnknown, "{kind:?}: {e}");
            assert!(!e.is_retry_safe(), "{kind:?}: {e}");
            assert_eq!(e.retry_after(), None, "{kind:?}: {e}");
        }
    }

    /// A proxy that answers every CONNECT with `answer`, then closes; it
    /// counts the CONNECTs it read.
    fn connect_proxy(answer: &'static str) -> (String, Arc<AtomicUsize>) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let count = Arc::new(AtomicUsize::new(0));
        let seen = count.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut s) = conn else { return };
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    match s.read(&mut byte) {
                        Ok(1) => head.push(byte[0]),
                        _ => break,
                    }
                }
                if head.starts_with(b"CONNECT ") {
                    seen.fetch_add(1, Ordering::SeqCst);
                }
                let _ = std::io::Write::write_all(&mut s, answer.as_bytes());
            }
        });
        (url, count)
    }

    /// What fails while connecting (the proxy refusing the connection or
    /// the CONNECT, the TLS handshake cut off) wrote nothing of the
    /// request: not sent, retried when asked.
    #[test]
    fn an_error_while_connecting_is_not_sent_and_retried() {
        let builder = |base: &str, proxy: &str| {
            Client::builder(
                "abcdefghijklmnopqrstuvwxyz012345",
                "0123456789abcdef0123456789abcdef",
                "app1",
            )
            .base_url(base)
            .proxy(proxy)
            .env_proxy(false)
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(10))
            .max_retries(2)
            .retry_backoff(Duration::from_millis(1))
            .build()
            .unwrap()
        };
        let call = CallbackCall::new("13800138000", "13900139000", 600);
        // A proxy nothing listens on.
        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let e = builder(
            "http://api.ytx.example",
            &format!("http://127.0.0.1:{closed}"),
        )
        .callback_call(&call)
        .unwrap_err();
        assert_eq!(e.delivery(), Delivery::NotSent, "{e}");
        assert!(e.is_retry_safe(), "{e}");
        // CONNECT refused, and CONNECT accepted but the TLS handshake cut
        // off: three CONNECTs each (the first and two retries).
        for answer in [
            "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n",
            "HTTP/1.1 200 Connection established\r\n\r\n",
        ] {
            let (proxy, connects) = connect_proxy(answer);
            let e = builder("https://api.ytx.example", &proxy)
                .callback_call(&call)
                .unwrap_err();
            assert_eq!(e.delivery(), Delivery::NotSent, "{answer:?}: {e}");
            assert!(e.is_retry_safe(), "{answer:?}: {e}");
            assert_eq!(connects.load(Ordering::SeqCst), 3, "{answer:?}: {e}");
        }
    }
}
