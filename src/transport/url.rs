//! Where a request goes, decided once: the base URL and the proxy are parsed
//! here, by `http`'s [`Uri`](ureq::http::Uri), and nowhere else. The plain
//! transport connects to [`Url::host`]:[`Url::port`]; ureq gets
//! [`Url::as_str`], which it parses with the same `Uri` into the same host
//! and port; `no_proxy` is decided on the same [`Url::host`].
//!
//! Why `http::Uri` and not the `url` crate: it is already in the tree (ureq
//! parses every URL with it), so both transports split a URL the same way
//! by construction, at no cost in size; `url` (WHATWG) would add `idna` and
//! its Unicode tables to the library for host names the platform never has.
//! `Uri` is lenient where we are not (it takes `+80` or `99999` as a port
//! text, keeps userinfo, drops a fragment), so the parts are checked here.
//!
//! The rules (README, "Base URL and proxy"):
//! * the scheme is `http` or `https` in any case (`HTTP://` is `http://`);
//! * a user name or password (`user:pass@`) in the base URL is refused, with
//!   an error naming the option that never repeats the value: it would not
//!   be sent to the platform (its credentials are the account's) and would
//!   be printed wherever the URL is; in the proxy it is the proxy's login,
//!   kept for ureq and never printed;
//! * the port is 1 to 65535 in decimal digits; an empty one (`http://h:/`)
//!   is refused rather than read as the scheme's default (the URL standard's
//!   reading): it is nearly always a number lost from a template;
//! * the host is a DNS name (ASCII letters, digits, `-`, `.`, `_`), an IPv4
//!   address or a bracketed IPv6 address (no zone); it is lower-cased;
//! * no query, no fragment, no whitespace or control characters; a trailing
//!   `/` of the path is dropped.

use std::net::Ipv6Addr;

use crate::error::{Error, Result};

/// `http://` or `https://`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scheme {
    Http,
    Https,
}

impl Scheme {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
    fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }
}

/// A checked base URL or proxy URL, normalised.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Url {
    pub(crate) scheme: Scheme,
    /// Lower case; an IPv6 address without its brackets.
    pub(crate) host: String,
    /// The given port, else the scheme's default.
    pub(crate) port: u16,
    /// `host[:port]` as written in the normalised URL and the `Host` header
    /// (brackets around IPv6, the port only when one was given).
    pub(crate) authority: String,
    /// The path prefix without a trailing `/` (`""` for none).
    pub(crate) path: String,
    /// `scheme://authority` + path.
    text: String,
}

impl Url {
    /// A base URL (the `base_url` option, or `environment`'s). Errors name
    /// `field` and never repeat the value.
    pub(crate) fn base(text: &str, field: &'static str) -> Result<Url> {
        let (url, userinfo) = parse(
            text,
            field,
            "an http:// or https:// URL, e.g. http://127.0.0.1:8080 or https://gw.example.com/ytx",
        )?;
        if userinfo.is_some() {
            return Err(Error::invalid(
                field,
                "must not contain a user name or password (user:password@): the platform's credentials are the account SID and auth token, and a password in the URL would be printed wherever the URL is",
            ));
        }
        Ok(url)
    }

    /// A proxy URL, `http://[user:password@]host:port`: the URL and its
    /// userinfo. Errors name `field` and never repeat the value (it may hold
    /// a password).
    pub(crate) fn proxy(text: &str, field: &'static str) -> Result<(Url, Option<String>)> {
        const SHAPE: &str = "http://host:port or http://user:password@host:port";
        let (url, userinfo) = parse(text, field, SHAPE)?;
        let has_port = url.authority.starts_with('[') && url.authority.contains("]:")
            || !url.authority.starts_with('[') && url.authority.contains(':');
        if url.scheme != Scheme::Http || !url.path.is_empty() || !has_port {
            return Err(Error::invalid(field, format!("must look like {SHAPE}")));
        }
        Ok((url, userinfo))
    }

    /// The normalised URL: `scheme://authority` + path.
    pub(crate) fn as_str(&self) -> &str {
        &self.text
    }

    /// `scheme://authority`: the prefix of every request URL under this one.
    pub(crate) fn origin(&self) -> &str {
        &self.text[..self.text.len() - self.path.len()]
    }
}

/// `text` with anything before an `@` in its authority replaced by
/// `<redacted>`: for `Debug` of a URL not yet checked (it may hold a
/// password that `build` will refuse).
pub(crate) fn without_userinfo(text: &str) -> std::borrow::Cow<'_, str> {
    let start = text.find("://").map_or(0, |i| i + 3);
    let end = text[start..]
        .find(['/', '?', '#'])
        .map_or(text.len(), |i| start + i);
    match text[start..end].rfind('@') {
        Some(at) => format!("{}<redacted>{}", &text[..start], &text[start + at..]).into(),
        None => text.into(),
    }
}

/// Split and check `text`; the userinfo is returned apart (not in the URL).
fn parse(text: &str, field: &'static str, shape: &str) -> Result<(Url, Option<String>)> {
    let must = |why: &str| Error::invalid(field, format!("must be {shape}: {why}"));
    if text
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || c == '?' || c == '#')
    {
        return Err(Error::invalid(
            field,
            "must not contain whitespace, a query or a fragment",
        ));
    }
    let uri: ureq::http::Uri = text
        .parse()
        .map_err(|_| must("it is not a URL (a character not allowed, or no host)"))?;
    let scheme = match uri.scheme_str().map(str::to_ascii_lowercase).as_deref() {
        Some("http") => Scheme::Http,
        Some("https") => Scheme::Https,
        _ => return Err(must("the scheme is not http:// or https://")),
    };
    let authority = uri
        .authority()
        .map(|a| a.as_str())
        .filter(|a| !a.is_empty())
        .ok_or_else(|| must("it has no host"))?;
    let (userinfo, host_port) = match authority.rsplit_once('@') {
        Some((u, hp)) => (Some(u.to_string()), hp),
        None => (None, authority),
    };
    // host and port, split the way `Uri` splits them (after the last ':'
    // outside brackets).
    let (host, port_text) = if let Some(v6) = host_port.strip_prefix('[') {
        let (inside, after) = v6
            .split_once(']')
            .ok_or_else(|| must("an IPv6 address lacks its ']'"))?;
        match after {
            "" => (inside, None),
            _ => (
                inside,
                Some(
                    after
                        .strip_prefix(':')
                        .ok_or_else(|| must("something follows the IPv6 address"))?,
                ),
            ),
        }
    } else {
        match host_port.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (host_port, None),
        }
    };
    let bracketed = host_port.starts_with('[');
    if bracketed {
        host.parse::<Ipv6Addr>().map_err(|_| {
            must("the part in brackets is not an IPv6 address (zones are not supported)")
        })?;
    } else if host.is_empty()
        || !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
    {
        return Err(must(
            "the host must be a DNS name (ASCII letters, digits, '-', '.', '_') or an IP address",
        ));
    }
    let port = match port_text {
        None => None,
        Some("") => {
            return Err(Error::invalid(
                field,
                "has an empty port (nothing after ':'): give the port, or leave out the ':' for the scheme's default",
            ))
        }
        Some(p) => Some(
            Some(p)
                .filter(|p| p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|p| p.parse::<u16>().ok())
                .filter(|p| *p != 0)
                .ok_or_else(|| must("the port must be a number from 1 to 65535"))?,
        ),
    };
    let host = host.to_ascii_lowercase();
    let shown_host = if bracketed {
        format!("[{host}]")
    } else {
        host.clone()
    };
    let authority = match port {
        Some(p) => format!("{shown_host}:{p}"),
        None => shown_host,
    };
    let path = uri.path().trim_end_matches('/').to_string();
    let text = format!("{}://{authority}{path}", scheme.as_str());
    Ok((
        Url {
            scheme,
            host,
            port: port.unwrap_or(scheme.default_port()),
            authority,
            path,
            text,
        },
        userinfo,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(s: &str) -> Result<Url> {
        Url::base(s, "base_url")
    }

    #[test]
    fn base_urls_normalised() {
        let u = base("HTTP://Api.YTX.net").unwrap();
        assert_eq!(
            (u.as_str(), u.scheme, u.host.as_str(), u.port),
            ("http://api.ytx.net", Scheme::Http, "api.ytx.net", 80)
        );
        assert_eq!(u.origin(), "http://api.ytx.net");
        let u = base("https://GW.example.com/YTX/").unwrap();
        assert_eq!(
            (u.as_str(), u.port, u.path.as_str(), u.origin()),
            (
                "https://gw.example.com/YTX",
                443,
                "/YTX",
                "https://gw.example.com"
            )
        );
        let u = base("http://127.0.0.1:8080/").unwrap();
        assert_eq!(
            (u.as_str(), u.authority.as_str()),
            ("http://127.0.0.1:8080", "127.0.0.1:8080")
        );
        let u = base("http://[::1]:9000/gw").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.authority.as_str()),
            ("::1", 9000, "[::1]:9000")
        );
        let u = base("http://[::1]").unwrap();
        assert_eq!((u.host.as_str(), u.port), ("::1", 80));
        assert_eq!(base("http://h:08").unwrap().as_str(), "http://h:8");
    }

    #[test]
    fn base_urls_refused() {
        for bad in [
            "ftp://h",
            "http://",
            "http:///x",
            "//h/x",
            "h:80",
            "http://h:",
            "http://h:/x",
            "https://h:",
            "http://h:0",
            "http://h:65536",
            "http://h:99999",
            "http://h:+80",
            "http://h:1:2",
            "http://[::1",
            "http://[::1]x",
            "http://[fe80::1%25eth0]/",
            "http://[nothex]",
            "http://h/?q",
            "http://h/#f",
            "http://a b",
            "http://h!/",
        ] {
            let e = base(bad).unwrap_err();
            assert_eq!(e.field(), Some("base_url"), "{bad}: {e}");
        }
        for secret in [
            "http://user:s3cret@h",
            "http://s3cret@h:1/x",
            "HTTPS://u:s3cret@h",
        ] {
            let e = base(secret).unwrap_err().to_string();
            assert!(
                e.contains("base_url") && e.contains("user name or password"),
                "{e}"
            );
            assert!(!e.contains("s3cret"), "{e}");
        }
        // The host is the one after the userinfo, never before it: refused.
        assert!(base("http://api.ytx.net:80@evil.example").is_err());
    }

    #[test]
    fn userinfo_never_shown() {
        assert_eq!(
            without_userinfo("http://u:s3cret@h:1/p@x"),
            "http://<redacted>@h:1/p@x"
        );
        assert_eq!(without_userinfo("http://h/a@b"), "http://h/a@b");
        let env = crate::Environment::Custom("https://a:s3cret@gw/x".into());
        let shown = format!(
            "{env:?} {:?}",
            crate::Client::builder("s", "t", "a").environment(env.clone())
        );
        assert!(
            !shown.contains("s3cret") && shown.contains("Custom(\"https://<redacted>@gw/x\")"),
            "{shown}"
        );
    }

    #[test]
    fn proxies() {
        let (u, who) = Url::proxy("HTTP://User:pw@Proxy:3128", "proxy").unwrap();
        assert_eq!(
            (u.as_str(), who.as_deref()),
            ("http://proxy:3128", Some("User:pw"))
        );
        let (u, who) = Url::proxy("http://[::1]:3128/", "proxy").unwrap();
        assert_eq!((u.host.as_str(), u.port, who), ("::1", 3128, None));
        for bad in [
            "proxy:3128",
            "http://proxy",
            "http://[::1]",
            "https://proxy:3128",
            "socks5://proxy:1080",
            "http://proxy:3128/path",
            "http://u:pw@proxy:",
            "::bad::pw",
        ] {
            let e = Url::proxy(bad, "proxy").unwrap_err();
            assert_eq!(e.field(), Some("proxy"), "{bad}: {e}");
            assert!(!e.to_string().contains("pw"), "{e}");
        }
    }
}
