//! Request signing: timestamp, Sign and Authorization. Pure functions, no I/O.
//!
//! ```
//! let ts = "20140416142030";
//! let sign = ytx::sign::sign("abcdefghijklmnopqrstuvwxyz012345", "0123456789abcdef0123456789abcdef", ts);
//! assert_eq!(sign, "698CD6F76DB3CAE8E9875C1F8F298B2C");
//! ```

use base64::Engine as _;
use time::{OffsetDateTime, UtcOffset};

/// China Standard Time: UTC+8, no daylight saving time.
pub const CHINA_STANDARD_TIME: UtcOffset = match UtcOffset::from_hms(8, 0, 0) {
    Ok(offset) => offset,
    Err(_) => panic!("UTC+8 is a valid offset"),
};

/// The platform timestamp `yyyyMMddHHmmss` for the instant `at`, in UTC+8.
///
/// ```
/// use time::macros::datetime;
/// assert_eq!(ytx::sign::timestamp_at(datetime!(2026-11-22 16:30:00 UTC)), "20261123003000");
/// ```
///
/// The host's time zone plays no part: the instant is converted to UTC+8
/// explicitly, so a host set to UTC or America/New_York stamps the same text.
pub fn timestamp_at(at: OffsetDateTime) -> String {
    let t = at.to_offset(CHINA_STANDARD_TIME);
    format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// The platform timestamp for now (see [`timestamp_at`]).
///
/// ```
/// assert_eq!(ytx::sign::timestamp_now().len(), 14);
/// ```
pub fn timestamp_now() -> String {
    timestamp_at(OffsetDateTime::now_utc())
}

/// Sign: upper-case hex MD5 of `account_sid + auth_token + timestamp`.
pub fn sign(account_sid: &str, auth_token: &str, timestamp: &str) -> String {
    let mut ctx = md5::Context::new();
    ctx.consume(account_sid.as_bytes());
    ctx.consume(auth_token.as_bytes());
    ctx.consume(timestamp.as_bytes());
    format!("{:X}", ctx.compute())
}

/// Authorization header value: standard padded Base64 of `account_sid|timestamp`.
///
/// The separator is `|` (PROTOCOL.md ambiguity 1).
///
/// ```
/// assert_eq!(
///     ytx::sign::authorization("ff8080813c37da53013c804f8072007c", "20130201150000"),
///     "ZmY4MDgwODEzYzM3ZGE1MzAxM2M4MDRmODA3MjAwN2N8MjAxMzAyMDExNTAwMDA="
/// );
/// ```
pub fn authorization(account_sid: &str, timestamp: &str) -> String {
    let mut plain = String::with_capacity(account_sid.len() + 1 + timestamp.len());
    plain.push_str(account_sid);
    plain.push('|');
    plain.push_str(timestamp);
    base64::engine::general_purpose::STANDARD.encode(plain)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    // Vectors from ../shared/spec/vectors.json, computed there with Python's
    // hashlib and base64. Re-checkable by hand, e.g. for the third one:
    //   printf 'ff8080813c37da53013c804f8072007ctoken20130201150000' | md5sum
    //     -> 4f0e023d8cbd68f1eb4802e5b0112fa3
    //   printf 'ff8080813c37da53013c804f8072007c|20130201150000' | base64
    //     -> ZmY4MDgwODEzYzM3ZGE1MzAxM2M4MDRmODA3MjAwN2N8MjAxMzAyMDExNTAwMDA=
    const SIGNING: [(&str, &str, &str, &str, &str); 3] = [
        (
            "abcdefghijklmnopqrstuvwxyz012345",
            "0123456789abcdef0123456789abcdef",
            "20140416142030",
            "698CD6F76DB3CAE8E9875C1F8F298B2C",
            "YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXowMTIzNDV8MjAxNDA0MTYxNDIwMzA=",
        ),
        (
            "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
            "a1b2c3d4e5f60718293a4b5c6d7e8f90",
            "20161231235959",
            "69600DF04EA2A21F839BE63EFDAE96A6",
            "MGYxZTJkM2M0YjVhNjk3ODg3OTZhNWI0YzNkMmUxZjB8MjAxNjEyMzEyMzU5NTk=",
        ),
        (
            "ff8080813c37da53013c804f8072007c",
            "token",
            "20130201150000",
            "4F0E023D8CBD68F1EB4802E5B0112FA3",
            "ZmY4MDgwODEzYzM3ZGE1MzAxM2M4MDRmODA3MjAwN2N8MjAxMzAyMDExNTAwMDA=",
        ),
    ];

    #[test]
    fn sign_matches_vectors() {
        for (sid, token, ts, want_sign, _) in SIGNING {
            assert_eq!(sign(sid, token, ts), want_sign, "sid {sid}");
        }
    }

    #[test]
    fn authorization_matches_vectors() {
        for (sid, _, ts, _, want_auth) in SIGNING {
            assert_eq!(authorization(sid, ts), want_auth, "sid {sid}");
        }
    }

    #[test]
    fn timestamp_is_utc_plus_8() {
        // vectors.json utc_to_timestamp: date change, year change, leap day.
        assert_eq!(
            timestamp_at(datetime!(2026-11-22 16:30:00 UTC)),
            "20261123003000"
        );
        assert_eq!(
            timestamp_at(datetime!(2026-12-31 23:59:59 UTC)),
            "20270101075959"
        );
        assert_eq!(
            timestamp_at(datetime!(2024-02-28 20:00:00 UTC)),
            "20240229040000"
        );
    }

    #[test]
    fn timestamp_ignores_the_offset_of_the_input() {
        // The same instant expressed in New York time stamps the same text.
        let ny = datetime!(2026-11-22 11:30:00 -5);
        assert_eq!(timestamp_at(ny), "20261123003000");
    }

    #[test]
    fn timestamp_now_has_the_platform_shape() {
        let ts = timestamp_now();
        assert_eq!(ts.len(), 14);
        assert!(ts.bytes().all(|b| b.is_ascii_digit()));
    }
}
