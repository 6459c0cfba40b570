//! `https://` and proxies, through ureq 3 (its HTTP/1.1 core is
//! `ureq-proto`). TLS, by cargo feature: `tls-native` (the default through
//! `tls`: the system's OpenSSL on Linux, SChannel on Windows, the system's
//! trusted roots) or `tls-rustls` (rustls with ring and Mozilla's roots
//! built in). Either way `ca_file`'s certificates replace the roots.
//!
//! ureq 3 never retries a request and follows no redirect here
//! (`max_redirects(0)`), so the never-resend rule holds. Which side of
//! "written" an error fell on is read from its kind: resolving, connecting,
//! the proxy's CONNECT and the TLS handshake come before the request.

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
        ureq::unversioned::transport::DefaultConnector::new(),
        LookupResolver {
            system: Default::default(),
            replaced: s.resolver.clone(),
        },
    ))
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

/// A rustls error that only the handshake can raise (the server's
/// certificate, protocol versions, ciphers): the request was not written.
#[cfg(feature = "tls-rustls")]
fn handshake_only(e: &rustls::Error) -> bool {
    use rustls::Error as E;
    matches!(
        e,
        E::InvalidCertificate(_)
            | E::NoCertificatesPresented
            | E::PeerIncompatible(_)
            | E::UnsupportedNameType
            | E::InappropriateHandshakeMessage { .. }
            | E::InvalidCertRevocationList(_)
    )
}

#[cfg(feature = "tls-rustls")]
fn tls_handshake_error(e: &(dyn std::error::Error + 'static)) -> Option<Error> {
    let r = e.downcast_ref::<rustls::Error>()?;
    handshake_only(r).then(|| Error::Transport {
        delivery: Delivery::NotSent,
        message: format!("TLS handshake failed: {r}"),
        source: None,
    })
}

#[cfg(not(feature = "tls-rustls"))]
fn tls_handshake_error(_: &(dyn std::error::Error + 'static)) -> Option<Error> {
    None
}

/// Map ureq's error to ours, deciding which side of "written" it fell on.
fn map_error(e: &ureq::Error) -> Error {
    use std::io::ErrorKind as K;
    use ureq::Error as U;
    let not_sent = |message: String| Error::Transport {
        delivery: Delivery::NotSent,
        message,
        source: None,
    };
    let unknown = |message: String| Error::Transport {
        delivery: Delivery::Unknown,
        message,
        source: None,
    };
    match e {
        U::HostNotFound => not_sent("DNS lookup failed: host not found".into()),
        U::ConnectionFailed => not_sent("connect failed".into()),
        U::Timeout(t) => match t {
            ureq::Timeout::Resolve => timeout(Delivery::NotSent, "resolving the host (DNS)"),
            ureq::Timeout::Connect => timeout(Delivery::NotSent, "connecting"),
            _ => timeout(Delivery::Unknown, "waiting for the answer"),
        },
        U::ConnectProxyFailed(why) => not_sent(format!("proxy: CONNECT failed: {why}")),
        U::InvalidProxyUrl => not_sent("proxy: invalid URL".into()),
        U::BadUri(_) | U::Http(_) => not_sent("bad URL or header".into()),
        U::Tls(why) => not_sent(format!("TLS: {why}")),
        #[cfg(feature = "_tls")]
        U::Pem(why) => not_sent(format!("TLS: {why}")),
        // native-tls fails only in its handshake (ureq connects with it);
        // later TLS errors come as I/O errors of the stream.
        #[cfg(feature = "tls-native")]
        U::NativeTls(e) => not_sent(format!("TLS handshake failed: {e}")),
        #[cfg(feature = "tls-rustls")]
        U::Rustls(r) => tls_handshake_error(r).unwrap_or_else(|| unknown(format!("TLS: {r}"))),
        U::Io(io) => {
            if let Some(inner) = io.get_ref() {
                if let Some(err) = tls_handshake_error(inner) {
                    return err;
                }
            }
            let mapped = match io.kind() {
                K::ConnectionRefused
                | K::HostUnreachable
                | K::NetworkUnreachable
                | K::NetworkDown
                | K::AddrNotAvailable => not_sent(format!("connect failed: {io}")),
                K::TimedOut | K::WouldBlock => timeout(Delivery::Unknown, "waiting for the answer"),
                _ => unknown(format!("network error: {io}")),
            };
            super::with_io_source(mapped, io)
        }
        U::Protocol(p) => malformed(p),
        U::LargeResponseHeader(..) => malformed("head too large"),
        other => unknown(format!("network error: {other}")),
    }
}
