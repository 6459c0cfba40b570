//! Which proxy a client uses: the `proxy` option, else the environment's as
//! curl reads it, decided on the host the transport connects to (the base
//! URL parsed once by [`super::url`]).

use std::net::IpAddr;

use super::url::Url;
use crate::error::{Error, Result};

/// The proxy for `base`: `option` (`""`: none at all), else unless
/// `use_env` is false the environment's (`var` reads a variable). Returns
/// the proxy for ureq, `http://[user:password@]host:port` normalised, or
/// `None` to connect directly. Errors name `proxy` and never repeat a value.
pub(crate) fn choose(
    base: &Url,
    option: Option<&str>,
    use_env: bool,
    var: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<String>> {
    if let Some(p) = option {
        if p.is_empty() {
            return Ok(None); // "" turns the proxy off, environment included
        }
        return Url::proxy(p, "proxy").map(|(u, who)| Some(for_ureq(&u, who)));
    }
    if !use_env {
        return Ok(None);
    }
    let Some((name, value)) = from_env(base, var) else {
        return Ok(None);
    };
    let (u, who) = Url::proxy(&value, "proxy").map_err(|_| {
        Error::invalid(
            "proxy",
            format!("the environment variable {name} must look like http://host:port or http://user:password@host:port (set env_proxy to 0 to ignore it)"),
        )
    })?;
    Ok(Some(for_ureq(&u, who)))
}

/// The proxy URL given to ureq (which sends the userinfo as
/// `Proxy-Authorization`).
fn for_ureq(u: &Url, userinfo: Option<String>) -> String {
    match userinfo {
        Some(who) => format!("http://{who}@{}", u.authority),
        None => u.as_str().to_string(),
    }
}

/// The proxy the environment names for `base`, as curl chooses it:
/// `http_proxy` for `http://` and `https_proxy` for `https://`, else
/// `all_proxy`, each in lower case first, then upper case; an empty value
/// counts as unset. `no_proxy` (or `NO_PROXY`) lists hosts reached directly:
/// `*` for all; a name matches itself and its subdomains (a leading dot is
/// ignored); an IP address matches itself, `addr/bits` a network.
/// Returns the variable's name and its value (a value without a scheme gets
/// `http://`, as curl assumes).
pub(crate) fn from_env(
    base: &Url,
    var: &dyn Fn(&str) -> Option<String>,
) -> Option<(String, String)> {
    let get = |name: &str| -> Option<(String, String)> {
        [name.to_ascii_lowercase(), name.to_ascii_uppercase()]
            .into_iter()
            .find_map(|n| var(&n).filter(|v| !v.trim().is_empty()).map(|v| (n, v)))
    };
    // The very host the transport connects to (lower case, no brackets).
    let host = base.host.trim_end_matches('.');
    if let Some((_, list)) = get("no_proxy") {
        if no_proxy_matches(&list, host) {
            return None;
        }
    }
    let (name, value) =
        get(&format!("{}_proxy", base.scheme.as_str())).or_else(|| get("all_proxy"))?;
    let value = value.trim().to_string();
    let value = if value.contains("://") {
        value
    } else {
        format!("http://{value}")
    };
    Some((name, value))
}

fn no_proxy_matches(list: &str, host: &str) -> bool {
    let host_ip: Option<IpAddr> = host.parse().ok();
    list.split(|c: char| c == ',' || c.is_whitespace())
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .any(|entry| {
            if entry == "*" {
                return true;
            }
            let entry = entry.trim_start_matches('.').to_ascii_lowercase();
            let entry = entry.trim_start_matches('[').trim_end_matches(']');
            if let Some(ip) = host_ip {
                let (net, bits) = match entry.split_once('/') {
                    Some((n, b)) => (n, b.parse::<u32>().ok()),
                    None => (entry, None),
                };
                let Ok(net) = net.parse::<IpAddr>() else {
                    return false;
                };
                return match (ip, net) {
                    (IpAddr::V4(a), IpAddr::V4(b)) => {
                        prefix_eq(u32::from(a).into(), u32::from(b).into(), 32, bits)
                    }
                    (IpAddr::V6(a), IpAddr::V6(b)) => {
                        prefix_eq(u128::from(a), u128::from(b), 128, bits)
                    }
                    _ => false,
                };
            }
            let entry = entry.trim_end_matches('.');
            host == entry || host.strip_suffix(entry).is_some_and(|p| p.ends_with('.'))
        })
}

/// Whether the first `bits` (all, when `None`) of two `width`-bit numbers agree.
fn prefix_eq(a: u128, b: u128, width: u32, bits: Option<u32>) -> bool {
    let bits = bits.unwrap_or(width).min(width);
    if bits == 0 {
        return true;
    }
    let shift = width - bits;
    (a >> shift) == (b >> shift)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pick(base: &str, vars: &[(&str, &str)]) -> Option<(String, String)> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        from_env(&Url::base(base, "base_url").unwrap(), &|name| {
            vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn the_environments_proxy_as_curl_chooses_it() {
        let p = |base, vars| pick(base, vars).map(|(var, v)| format!("{var}={v}"));
        // By scheme, lower case first, then upper; all_proxy last.
        assert_eq!(
            p("http://h", &[("HTTP_PROXY", "p:1")]),
            Some("HTTP_PROXY=http://p:1".into())
        );
        assert_eq!(
            p(
                "http://h",
                &[("HTTP_PROXY", "http://a:1"), ("http_proxy", "http://b:1")]
            ),
            Some("http_proxy=http://b:1".into())
        );
        assert_eq!(p("http://h", &[("https_proxy", "http://a:1")]), None);
        assert_eq!(
            p("https://h", &[("HTTPS_PROXY", "http://a:1")]),
            Some("HTTPS_PROXY=http://a:1".into())
        );
        // The scheme in any case is the same scheme.
        assert_eq!(
            p("HTTPS://h", &[("https_proxy", "http://a:1")]),
            Some("https_proxy=http://a:1".into())
        );
        assert_eq!(
            p("https://h", &[("ALL_PROXY", "http://a:1")]),
            Some("ALL_PROXY=http://a:1".into())
        );
        assert_eq!(
            p("http://h", &[("http_proxy", "  ")]),
            None,
            "empty is unset"
        );
        // no_proxy: names with their subdomains (leading dot or not), IPs,
        // networks, *; never a mere suffix of a label.
        let proxied = |base: &str, no: &str| {
            pick(base, &[("http_proxy", "http://p:1"), ("NO_PROXY", no)]).is_some()
        };
        assert!(!proxied("http://api.ytx.net", "ytx.net"));
        assert!(!proxied("http://api.ytx.net:8080/x", ".ytx.net"));
        assert!(!proxied("http://API.YTX.NET", "ytx.net"));
        assert!(!proxied("http://api.ytx.net.", "ytx.net."));
        assert!(proxied("http://api.notytx.net", "ytx.net"));
        assert!(proxied("http://ytx.net.evil", "ytx.net"));
        assert!(!proxied("http://10.1.2.3:80", "example.com, 10.0.0.0/8"));
        assert!(proxied("http://11.1.2.3", "10.0.0.0/8"));
        assert!(!proxied("http://[::1]:8080", "::1"));
        assert!(!proxied("http://[fd00::5]", "fd00::/8"));
        assert!(!proxied("http://anything", "*"));
        assert!(proxied("http://h", ""));
    }

    #[test]
    fn the_option_wins_and_is_checked() {
        let base = Url::base("http://api.ytx.net", "base_url").unwrap();
        let env = |_: &str| Some("http://env:1".to_string());
        assert_eq!(
            choose(&base, Some("HTTP://u:pw@Proxy:3128"), true, &env).unwrap(),
            Some("http://u:pw@proxy:3128".into())
        );
        assert_eq!(choose(&base, Some(""), true, &env).unwrap(), None);
        assert_eq!(
            choose(&base, None, true, &env).unwrap(),
            Some("http://env:1".into())
        );
        assert_eq!(choose(&base, None, false, &env).unwrap(), None);
        let e = choose(&base, Some("http://u:pw@proxy"), true, &env).unwrap_err();
        assert_eq!(e.field(), Some("proxy"));
        assert!(!e.to_string().contains("pw"), "{e}");
        let bad_env = |_: &str| Some("http://u:pw@proxy:".to_string());
        let e = choose(&base, None, true, &bad_env).unwrap_err();
        assert!(
            e.to_string().contains("all_proxy") || e.to_string().contains("http_proxy"),
            "{e}"
        );
        assert!(!e.to_string().contains("pw@"), "{e}");
    }
}
