//! What the platform checks, in the platform's order (PROTOCOL.md).
//!
//! Independent of the client library on purpose; see the crate docs.

use base64::Engine as _;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

use crate::{Account, Config};

/// What a route does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Two-way callback call (`DailbackCall.wx`).
    Callback,
    /// Voice verification code (`CodeCallOut.wx`).
    VoiceCode,
    /// Template voice notice (`NoticeCall.wx`), needs `templateId`.
    TemplateNotice,
    /// Call record query (`CallCdr.wx`).
    CallRecords,
    /// Balance query (`account/getBlance.wx`, version 201612).
    Balance,
}

/// A funcURL the platform serves and the action it expects.
#[derive(Debug)]
pub(crate) struct Route {
    pub version: &'static str,
    pub func: &'static str,
    pub func_url: &'static str,
    pub action: &'static str,
    pub kind: Kind,
}

/// `/{version}/sid/{sid}/{func}/{funcURL}`: the routes served (PROTOCOL.md).
/// The voice code is `CodeCallOut.wx` + `callOutCode` (ambiguity 2);
/// `NoticeCall.wx` + `templateNoticeCall` is the template voice notice.
pub(crate) const ROUTES: &[Route] = &[
    Route {
        version: "201512",
        func: "call",
        func_url: "DailbackCall.wx",
        action: "callDailBack",
        kind: Kind::Callback,
    },
    Route {
        version: "201512",
        func: "call",
        func_url: "NoticeCall.wx",
        action: "templateNoticeCall",
        kind: Kind::TemplateNotice,
    },
    Route {
        version: "201512",
        func: "call",
        func_url: "CodeCallOut.wx",
        action: "callOutCode",
        kind: Kind::VoiceCode,
    },
    Route {
        version: "201512",
        func: "call",
        func_url: "CallCdr.wx",
        action: "getCdrByResId",
        kind: Kind::CallRecords,
    },
    Route {
        version: "201612",
        func: "account",
        func_url: "getBlance.wx",
        action: "queryBlance",
        kind: Kind::Balance,
    },
];

/// Matches an API path; `None` means 404.
pub(crate) fn route_for<'p>(method: &str, path: &'p str) -> Option<(&'p str, &'static Route)> {
    if method != "POST" {
        return None;
    }
    let mut parts = path.strip_prefix('/')?.split('/');
    let (version, sid_lit, sid, func, func_url) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if parts.next().is_some() || sid_lit != "sid" || sid.is_empty() {
        return None;
    }
    let route = ROUTES
        .iter()
        .find(|r| r.version == version && r.func == func && r.func_url == func_url)?;
    Some((sid, route))
}

/// The platform's message for a status code.
pub(crate) fn status_msg(code: &str) -> &'static str {
    match code {
        "0" => "提交成功",
        "-1" => "号码无效",
        "-2" => "缺少必要参数",
        "-3" => "无效的action",
        "-4" => "JSON格式错误",
        "-100" => "平台内部错误",
        "-101" => "参数值非法",
        "-102" => "号码格式非法",
        "-104" => "请求频率过高",
        "-200" => "账户不存在",
        "-201" => "账户已停用",
        "-202" => "Authorization或时间戳无效或已过期",
        "-203" => "Sign验证失败",
        "-204" => "余额不足",
        "-205" => "应用验证失败",
        _ => "未知错误",
    }
}

/// A check failed: the status code to answer and, for the
/// `X-Ytx-Emulator-Detail` header, why (ASCII).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Rejection {
    pub code: &'static str,
    pub detail: String,
}

fn reject<T>(code: &'static str, detail: impl Into<String>) -> Result<T, Rejection> {
    Err(Rejection {
        code,
        detail: detail.into(),
    })
}

/// China Standard Time, UTC+8, no DST.
pub(crate) fn cst() -> UtcOffset {
    UtcOffset::from_whole_seconds(8 * 3600).expect("UTC+8 is a valid offset")
}

/// `yyyyMMddHHmmss` in UTC+8 for an instant (whatever the host's zone).
pub(crate) fn timestamp_of(instant: OffsetDateTime) -> String {
    let t = instant.to_offset(cst());
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

/// Parses a `yyyyMMddHHmmss` UTC+8 timestamp; `None` unless exactly 14 ASCII
/// digits naming a real date and time.
pub(crate) fn parse_timestamp(ts: &str) -> Option<OffsetDateTime> {
    let b = ts.as_bytes();
    if b.len() != 14 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let num = |r: std::ops::Range<usize>| ts[r].parse::<u32>().ok();
    let year = i32::try_from(num(0..4)?).ok()?;
    let month = Month::try_from(u8::try_from(num(4..6)?).ok()?).ok()?;
    let day = u8::try_from(num(6..8)?).ok()?;
    let date = Date::from_calendar_date(year, month, day).ok()?;
    let time = Time::from_hms(
        u8::try_from(num(8..10)?).ok()?,
        u8::try_from(num(10..12)?).ok()?,
        u8::try_from(num(12..14)?).ok()?,
    )
    .ok()?;
    Some(PrimitiveDateTime::new(date, time).assume_offset(cst()))
}

/// Is `ts` a valid timestamp within `window_secs` of `now` (either way)?
pub(crate) fn timestamp_fresh(ts: &str, now: OffsetDateTime, window_secs: u64) -> bool {
    match parse_timestamp(ts) {
        Some(t) => (t - now).whole_seconds().unsigned_abs() <= window_secs,
        None => false,
    }
}

/// Decodes `Authorization` (Base64 of `sid|timestamp`), checks the sid
/// against the path's, and returns the timestamp.
pub(crate) fn authorization_timestamp(
    header: Option<&str>,
    path_sid: &str,
) -> Result<String, Rejection> {
    let Some(header) = header else {
        return reject("-202", "Authorization header missing");
    };
    let raw = match base64::engine::general_purpose::STANDARD.decode(header.trim()) {
        Ok(raw) => raw,
        Err(_) => return reject("-202", "Authorization is not standard padded Base64"),
    };
    let Ok(text) = String::from_utf8(raw) else {
        return reject("-202", "Authorization does not decode to UTF-8 text");
    };
    let Some((sid, ts)) = text.split_once('|') else {
        return reject(
            "-202",
            "Authorization does not decode to accountSID|timestamp (separator must be '|')",
        );
    };
    if sid != path_sid {
        return reject(
            "-202",
            "Authorization accountSID differs from the accountSID in the path",
        );
    }
    Ok(ts.to_string())
}

/// Does `sign` equal MD5(sid + token + timestamp), case-insensitively?
pub(crate) fn sign_matches(sid: &str, token: &str, timestamp: &str, sign: &str) -> bool {
    let expected = format!("{:x}", md5::compute(format!("{sid}{token}{timestamp}")));
    expected.eq_ignore_ascii_case(sign)
}

/// `application/json`, optionally with parameters; a charset, if given, must be UTF-8.
pub(crate) fn json_content_type(value: Option<&str>) -> bool {
    let Some(value) = value else { return false };
    let mut parts = value.split(';');
    let media = parts.next().unwrap_or("").trim();
    if !media.eq_ignore_ascii_case("application/json") {
        return false;
    }
    parts.all(|p| {
        let p = p.trim();
        match p.split_once('=') {
            Some((k, v)) if k.trim().eq_ignore_ascii_case("charset") => {
                let v = v.trim().trim_matches('"');
                v.eq_ignore_ascii_case("utf-8") || v.eq_ignore_ascii_case("utf8")
            }
            _ => true,
        }
    })
}

/// First value of `key` in a query string, percent-decoded.
pub(crate) fn query_param(query: &str, key: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == key).then(|| percent_decode(v))
    })
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What an API call carries, as far as the checks are concerned.
pub(crate) struct Call<'a> {
    pub sid: &'a str,
    pub route: &'static Route,
    pub query: &'a str,
    pub authorization: Option<&'a str>,
    pub content_type: Option<&'a str>,
    pub body: &'a [u8],
}

const CALLBACK_FIELDS: &[&str] = &[
    "action",
    "appid",
    "src",
    "dst",
    "credit",
    "customParm",
    "srcclid",
    "dstclid",
    "srctimeout",
    "dsttimeout",
    "srchintfile",
    "dsthintfile",
    "ringbacktype",
    "customhintfile",
    "dstfailhintfile",
    "srcthreshold",
    "dstthreshold",
    "srcthresholdfile",
    "dstthresholdfile",
    "iscallstatuscheck",
];
const CALLBACK_REQUIRED: &[&str] = &["src", "dst", "credit"];
const CALLBACK_PHONES: &[&str] = &["src", "dst", "srcclid", "dstclid"];

const VOICE_CODE_FIELDS: &[&str] = &["action", "appid", "dst", "dstclid", "code", "time"];
/// `dstclid` is optional (PROTOCOL.md: the table says required, field code does not).
const VOICE_CODE_REQUIRED: &[&str] = &["dst", "code"];
const VOICE_CODE_PHONES: &[&str] = &["dst", "dstclid"];

/// The template voice notice as field code sends it (`datas` an array of
/// strings, `templateId` a string or a JSON number).
const NOTICE_FIELDS: &[&str] = &[
    "action",
    "appid",
    "dst",
    "dstclid",
    "templateId",
    "datas",
    "time",
    "speed",
    "isdtmfcallback",
];
const NOTICE_REQUIRED: &[&str] = &["dst", "templateId"];
const NOTICE_PHONES: &[&str] = &["dst", "dstclid"];

const RECORDS_FIELDS: &[&str] = &["action", "appid", "fid", "lastresid", "limit"];
const RECORDS_REQUIRED: &[&str] = &["fid", "lastresid", "limit"];

const BALANCE_FIELDS: &[&str] = &["action", "appid"];

fn is_phone(v: &str) -> bool {
    (5..=20).contains(&v.len()) && v.bytes().all(|c| c.is_ascii_digit())
}

fn is_whole_number(v: &str) -> bool {
    !v.is_empty() && v.len() <= 18 && v.bytes().all(|c| c.is_ascii_digit())
}

fn is_one_to_three(v: &str) -> bool {
    matches!(v, "1" | "2" | "3")
}

/// A request that passed every check: its operation and its fields (all as
/// text; a notice's `datas` array is kept as its JSON text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Accepted {
    pub kind: Kind,
    pub appid: String,
    pub fields: Vec<(String, String)>,
}

impl Accepted {
    /// A field's value, `None` if absent or empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }
}

/// Runs every platform check in order. `Ok` carries the accepted fields
/// (for the balance check, the magic numbers and the records); `Err` the
/// status code to answer.
pub(crate) fn evaluate(
    config: &Config,
    call: &Call<'_>,
    now: OffsetDateTime,
) -> Result<Accepted, Rejection> {
    // 1. account
    let Some(account) = config.accounts.iter().find(|a| a.sid == call.sid) else {
        return reject("-200", format!("no account {}", call.sid));
    };
    if !account.enabled {
        return reject("-201", "account disabled");
    }

    // 2. Authorization and its timestamp
    let ts = authorization_timestamp(call.authorization, call.sid)?;
    if parse_timestamp(&ts).is_none() {
        return reject(
            "-202",
            format!("timestamp {ts:?} is not yyyyMMddHHmmss (UTC+8)"),
        );
    }
    if !timestamp_fresh(&ts, now, config.timestamp_window_secs) {
        return reject(
            "-202",
            format!(
                "timestamp {ts} is more than {}s away from now ({} UTC+8)",
                config.timestamp_window_secs,
                timestamp_of(now)
            ),
        );
    }

    // 3. Sign
    let Some(sign) = query_param(call.query, "Sign") else {
        return reject("-203", "Sign query parameter missing");
    };
    if !sign_matches(call.sid, &account.token, &ts, &sign) {
        return reject(
            "-203",
            "Sign is not MD5(accountSID + authToken + timestamp)",
        );
    }

    // 4. content type and JSON
    if !json_content_type(call.content_type) {
        return reject("-4", "Content-Type is not application/json (UTF-8)");
    }
    let body: serde_json::Value = match serde_json::from_slice(call.body) {
        Ok(v) => v,
        Err(e) => return reject("-4", format!("body is not JSON: {e}")),
    };
    let Some(obj) = body.as_object() else {
        return reject("-4", "body is not a JSON object");
    };
    let kind = call.route.kind;
    let mut fields: Vec<(String, String)> = Vec::with_capacity(obj.len());
    for (k, v) in obj {
        let text = match v {
            serde_json::Value::String(s) => Some(s.clone()),
            // The template notice as field code sends it.
            serde_json::Value::Number(n) if kind == Kind::TemplateNotice && k == "templateId" => {
                n.as_u64().map(|n| n.to_string())
            }
            serde_json::Value::Array(items)
                if kind == Kind::TemplateNotice
                    && k == "datas"
                    && items.iter().all(serde_json::Value::is_string) =>
            {
                Some(v.to_string())
            }
            _ => None,
        };
        match text {
            Some(s) => fields.push((k.clone(), s)),
            None => return reject("-4", format!("value of {k} is not a JSON string")),
        }
    }
    let get = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    };

    // 5. action
    let Some(action) = get("action") else {
        return reject("-2", "action missing");
    };
    if action != call.route.action {
        return reject(
            "-3",
            format!(
                "action {action:?} is not {:?} (expected on {})",
                call.route.action, call.route.func_url
            ),
        );
    }

    // 6. appid
    let Some(appid) = get("appid") else {
        return reject("-2", "appid missing");
    };
    check_app(account, appid, kind)?;

    // 7. required fields
    let (allowed, required, phones): (&[&str], &[&str], &[&str]) = match kind {
        Kind::Callback => (CALLBACK_FIELDS, CALLBACK_REQUIRED, CALLBACK_PHONES),
        Kind::VoiceCode => (VOICE_CODE_FIELDS, VOICE_CODE_REQUIRED, VOICE_CODE_PHONES),
        Kind::TemplateNotice => (NOTICE_FIELDS, NOTICE_REQUIRED, NOTICE_PHONES),
        Kind::CallRecords => (RECORDS_FIELDS, RECORDS_REQUIRED, &[]),
        Kind::Balance => (BALANCE_FIELDS, &[], &[]),
    };
    for name in required {
        if get(name).is_none() {
            return reject("-2", format!("{name} missing or empty"));
        }
    }

    // 8. formats: phone numbers first (-102), then everything else (-101)
    for (k, v) in &fields {
        if phones.contains(&k.as_str()) && !is_phone(v) {
            return reject("-102", format!("{k} is not 5-20 ASCII digits"));
        }
    }
    for (k, v) in &fields {
        let (k, v) = (k.as_str(), v.as_str());
        if !allowed.contains(&k) {
            return reject("-101", format!("unknown field {k}"));
        }
        let ok = match k {
            "credit" => is_whole_number(v) && v.parse::<u64>().is_ok_and(|n| n > 60),
            "code" => (1..=19).contains(&v.len()) && v.bytes().all(|c| c.is_ascii_alphanumeric()),
            "time" | "ringbacktype" => is_one_to_three(v),
            "srctimeout" | "dsttimeout" | "srcthreshold" | "dstthreshold" | "fid" | "limit"
            | "templateId" => is_whole_number(v),
            // A requestId has 29 digits, more than a u64 holds.
            "lastresid" => (1..=40).contains(&v.len()) && v.bytes().all(|c| c.is_ascii_digit()),
            "iscallstatuscheck" | "isdtmfcallback" => matches!(v, "0" | "1"),
            "speed" => matches!(v, "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8" | "9"),
            _ => true,
        };
        if !ok {
            let rule = match k {
                "credit" => "a whole number greater than 60",
                "code" => "1-19 ASCII letters or digits",
                "time" | "ringbacktype" => "1, 2 or 3",
                "iscallstatuscheck" | "isdtmfcallback" => "0 or 1",
                "speed" => "1 to 9",
                "fid" | "limit" | "templateId" => "a whole number",
                "lastresid" => "a requestId (digits) or 0",
                _ => "a whole number of seconds",
            };
            return reject("-101", format!("{k} must be {rule}"));
        }
    }

    // 9. accepted (the balance check of calls is the server's: it is state)
    Ok(Accepted {
        kind,
        appid: appid.to_string(),
        fields,
    })
}

fn check_app(account: &Account, appid: &str, kind: Kind) -> Result<(), Rejection> {
    let Some(app) = account.apps.iter().find(|a| a.id == appid) else {
        return reject("-205", format!("no app {appid} on this account"));
    };
    let (enabled, feature) = match kind {
        Kind::Callback => (app.callback, "callback"),
        // The template notice goes with the voice feature in the emulator.
        Kind::VoiceCode | Kind::TemplateNotice => (app.voice_code, "voice code"),
        // Any app of the account may query records and the balance.
        Kind::CallRecords | Kind::Balance => (true, ""),
    };
    if !enabled {
        return reject("-205", format!("app {appid} has no {feature} feature"));
    }
    Ok(())
}

/// `yyyy-MM-dd HH:mm:ss` in UTC+8 (the pushes' and records' format).
pub(crate) fn datetime_of(instant: OffsetDateTime) -> String {
    let t = instant.to_offset(cst());
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

#[cfg(test)]
mod tests {
    //! Expected values come from /work/shared/spec/vectors.json (computed
    //! with Python's hashlib/base64), never from the code under test.
    use super::*;
    use time::Duration;

    fn utc(y: i32, mo: Month, d: u8, h: u8, mi: u8, s: u8) -> OffsetDateTime {
        PrimitiveDateTime::new(
            Date::from_calendar_date(y, mo, d).unwrap(),
            Time::from_hms(h, mi, s).unwrap(),
        )
        .assume_utc()
    }

    // vectors.json signing[0]
    const V_SID: &str = "abcdefghijklmnopqrstuvwxyz012345";
    const V_TOKEN: &str = "0123456789abcdef0123456789abcdef";
    const V_TS: &str = "20140416142030";
    const V_SIGN: &str = "698CD6F76DB3CAE8E9875C1F8F298B2C";
    const V_AUTH: &str = "YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXowMTIzNDV8MjAxNDA0MTYxNDIwMzA=";

    #[test]
    fn sign_accepts_vector_in_both_cases_and_rejects_wrong() {
        assert!(sign_matches(V_SID, V_TOKEN, V_TS, V_SIGN));
        assert!(sign_matches(
            V_SID,
            V_TOKEN,
            V_TS,
            "698cd6f76db3cae8e9875c1f8f298b2c"
        ));
        assert!(!sign_matches(
            V_SID,
            V_TOKEN,
            V_TS,
            "698CD6F76DB3CAE8E9875C1F8F298B2D"
        ));
        assert!(!sign_matches(V_SID, V_TOKEN, "20140416142031", V_SIGN));
        assert!(!sign_matches(V_SID, "wrongtoken", V_TS, V_SIGN));
        assert!(!sign_matches(V_SID, V_TOKEN, V_TS, ""));
    }

    #[test]
    fn sign_other_vectors() {
        assert!(sign_matches(
            "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
            "a1b2c3d4e5f60718293a4b5c6d7e8f90",
            "20161231235959",
            "69600DF04EA2A21F839BE63EFDAE96A6"
        ));
        assert!(sign_matches(
            "ff8080813c37da53013c804f8072007c",
            "token",
            "20130201150000",
            "4F0E023D8CBD68F1EB4802E5B0112FA3"
        ));
    }

    #[test]
    fn authorization_vectors_decode() {
        assert_eq!(authorization_timestamp(Some(V_AUTH), V_SID).unwrap(), V_TS);
        assert_eq!(
            authorization_timestamp(
                Some("MGYxZTJkM2M0YjVhNjk3ODg3OTZhNWI0YzNkMmUxZjB8MjAxNjEyMzEyMzU5NTk="),
                "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
            )
            .unwrap(),
            "20161231235959"
        );
        // Right header, other account in the path.
        assert_eq!(
            authorization_timestamp(Some(V_AUTH), "0f1e2d3c4b5a69788796a5b4c3d2e1f0")
                .unwrap_err()
                .code,
            "-202"
        );
    }

    #[test]
    fn authorization_rejections() {
        assert_eq!(
            authorization_timestamp(None, V_SID).unwrap_err().code,
            "-202"
        );
        assert_eq!(
            authorization_timestamp(Some("not base64!"), V_SID)
                .unwrap_err()
                .code,
            "-202"
        );
        // base64("abcdefghijklmnopqrstuvwxyz012345:20140416142030"), the
        // document's colon example (Python base64.b64encode).
        assert_eq!(
            authorization_timestamp(
                Some("YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXowMTIzNDU6MjAxNDA0MTYxNDIwMzA="),
                V_SID
            )
            .unwrap_err()
            .code,
            "-202"
        );
        // Unpadded form of the vector is not standard padded Base64.
        assert_eq!(
            authorization_timestamp(
                Some("YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXowMTIzNDV8MjAxNDA0MTYxNDIwMzA"),
                V_SID
            )
            .unwrap_err()
            .code,
            "-202"
        );
    }

    #[test]
    fn utc_to_timestamp_vectors() {
        assert_eq!(
            timestamp_of(utc(2026, Month::November, 22, 16, 30, 0)),
            "20261123003000"
        );
        assert_eq!(
            timestamp_of(utc(2026, Month::December, 31, 23, 59, 59)),
            "20270101075959"
        );
        assert_eq!(
            timestamp_of(utc(2024, Month::February, 28, 20, 0, 0)),
            "20240229040000"
        );
    }

    #[test]
    fn parse_timestamp_is_utc_plus_8() {
        assert_eq!(
            parse_timestamp("20261123003000").unwrap(),
            utc(2026, Month::November, 22, 16, 30, 0)
        );
        assert_eq!(
            parse_timestamp("20270101075959").unwrap(),
            utc(2026, Month::December, 31, 23, 59, 59)
        );
        for bad in [
            "",
            "2014041614203",
            "201404161420300",
            "2014-04-16 14:2",
            "20141316142030",
            "20140230142030",
            "20140416242030",
            "20140416146030",
            "2014041614203x",
            "２0140416142030",
        ] {
            assert!(parse_timestamp(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn window_accepts_now_and_rejects_eleven_minutes_off() {
        let now = OffsetDateTime::now_utc();
        // Independent formatting of now in UTC+8 (not timestamp_of).
        let cst_now = now + Duration::hours(8);
        let fmt = |t: OffsetDateTime| {
            format!(
                "{:04}{:02}{:02}{:02}{:02}{:02}",
                t.year(),
                t.month() as u8,
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            )
        };
        assert!(timestamp_fresh(&fmt(cst_now), now, 600));
        assert!(timestamp_fresh(
            &fmt(cst_now + Duration::minutes(9)),
            now,
            600
        ));
        assert!(timestamp_fresh(
            &fmt(cst_now - Duration::minutes(9)),
            now,
            600
        ));
        assert!(!timestamp_fresh(
            &fmt(cst_now + Duration::minutes(11)),
            now,
            600
        ));
        assert!(!timestamp_fresh(
            &fmt(cst_now - Duration::minutes(11)),
            now,
            600
        ));
        // The host-local-time bug: a UTC clock read as UTC+8 is 8 h off.
        assert!(!timestamp_fresh(&fmt(now), now, 600));
    }

    #[test]
    fn window_edges() {
        let now = utc(2014, Month::April, 16, 6, 20, 30); // 20140416142030 in UTC+8
        assert!(timestamp_fresh("20140416142030", now, 0));
        assert!(timestamp_fresh("20140416143030", now, 600));
        assert!(!timestamp_fresh("20140416143031", now, 600));
        assert!(timestamp_fresh("20140416141030", now, 600));
        assert!(!timestamp_fresh("20140416141029", now, 600));
    }

    #[test]
    fn content_types() {
        assert!(json_content_type(Some("application/json;charset=utf-8")));
        assert!(json_content_type(Some("application/json")));
        assert!(json_content_type(Some("Application/JSON; charset=UTF-8")));
        assert!(json_content_type(Some("application/json;charset=utf-8;")));
        assert!(!json_content_type(None));
        assert!(!json_content_type(Some(
            "application/x-www-form-urlencoded"
        )));
        assert!(!json_content_type(Some("text/json")));
        assert!(!json_content_type(Some("application/json;charset=gbk")));
    }

    #[test]
    fn query_params() {
        assert_eq!(query_param("Sign=ABC&x=1", "Sign").as_deref(), Some("ABC"));
        assert_eq!(
            query_param("x=1&Sign=a%42c", "Sign").as_deref(),
            Some("aBc")
        );
        assert_eq!(query_param("sign=ABC", "Sign"), None);
        assert_eq!(query_param("", "Sign"), None);
        assert_eq!(query_param("Sign", "Sign").as_deref(), Some(""));
        assert_eq!(query_param("Sign=%4", "Sign").as_deref(), Some("%4"));
    }

    #[test]
    fn routes() {
        let (sid, r) = route_for("POST", "/201512/sid/abc/call/DailbackCall.wx").unwrap();
        assert_eq!((sid, r.action), ("abc", "callDailBack"));
        let (_, r) = route_for("POST", "/201512/sid/abc/call/NoticeCall.wx").unwrap();
        assert_eq!(
            (r.action, r.kind),
            ("templateNoticeCall", Kind::TemplateNotice)
        );
        let (_, r) = route_for("POST", "/201512/sid/abc/call/CodeCallOut.wx").unwrap();
        assert_eq!((r.action, r.kind), ("callOutCode", Kind::VoiceCode));
        let (_, r) = route_for("POST", "/201512/sid/abc/call/CallCdr.wx").unwrap();
        assert_eq!(r.action, "getCdrByResId");
        let (sid, r) = route_for("POST", "/201612/sid/abc/account/getBlance.wx").unwrap();
        assert_eq!((sid, r.action), ("abc", "queryBlance"));
        assert!(route_for("POST", "/201512/sid/abc/account/getBlance.wx").is_none());
        assert!(route_for("POST", "/201612/sid/abc/call/getBlance.wx").is_none());
        assert!(route_for("POST", "/201612/sid/abc/call/DailbackCall.wx").is_none());
        assert!(route_for("GET", "/201512/sid/abc/call/DailbackCall.wx").is_none());
        assert!(route_for("POST", "/201511/sid/abc/call/DailbackCall.wx").is_none());
        assert!(route_for("POST", "/201512/sid//call/DailbackCall.wx").is_none());
        assert!(route_for("POST", "/201512/sid/abc/sms/DailbackCall.wx").is_none());
        assert!(route_for("POST", "/201512/sid/abc/call/Other.wx").is_none());
        assert!(route_for("POST", "/201512/sid/abc/call/DailbackCall.wx/").is_none());
    }

    fn call_with(body: &str, route: usize) -> Result<Accepted, Rejection> {
        let cfg = Config::default();
        let sid = crate::DEMO_ACCOUNT_SID;
        let now = utc(2014, Month::April, 16, 6, 20, 30);
        // MD5 of sid+token+"20140416142030" and base64 of "sid|20140416142030",
        // both from Python (hashlib.md5 / base64.b64encode).
        let call = Call {
            sid,
            route: &ROUTES[route],
            query: "Sign=54cb35b79945e21c00f4e9150788fc96",
            authorization: Some("OGExZjBjM2U1YjdkOWYyMWE0YzZlOGIwZDJmNGE2Yzh8MjAxNDA0MTYxNDIwMzA="),
            content_type: Some("application/json;charset=utf-8"),
            body: body.as_bytes(),
        };
        evaluate(&cfg, &call, now)
    }

    const APP: &str = "ff8080813fc70a7b013fc72312324213";

    fn cb(extra: &str) -> String {
        format!(
            r#"{{"action":"callDailBack","appid":"{APP}","src":"13911281234","dst":"01085485069"{extra}}}"#
        )
    }

    #[test]
    fn evaluate_field_rules() {
        let code = |r: Result<Accepted, Rejection>| match r {
            Ok(_) => "0",
            Err(e) => e.code,
        };
        let ok = call_with(&cb(r#","credit":"61""#), 0).unwrap();
        assert_eq!(ok.kind, Kind::Callback);
        assert_eq!(ok.get("dst"), Some("01085485069"));
        assert_eq!(ok.appid, APP);
        assert_eq!(code(call_with(&cb(r#","credit":"60""#), 0)), "-101");
        assert_eq!(code(call_with(&cb(r#","credit":"6 1""#), 0)), "-101");
        assert_eq!(code(call_with(&cb(r#","credit":"-100""#), 0)), "-101");
        assert_eq!(code(call_with(&cb(r#","credit":"""#), 0)), "-2");
        assert_eq!(code(call_with(&cb(r#","credit":3600"#), 0)), "-4");
        assert_eq!(code(call_with(&cb(""), 0)), "-2");
        assert_eq!(
            code(call_with(&cb(r#","credit":"120","ringbacktype":"4""#), 0)),
            "-101"
        );
        assert_eq!(
            code(call_with(&cb(r#","credit":"120","foo":"1""#), 0)),
            "-101"
        );
        assert_eq!(
            code(call_with(&cb(r#","credit":"120","srcclid":"12a45""#), 0)),
            "-102"
        );
        assert_eq!(
            code(call_with(
                &cb(
                    r#","credit":"120","iscallstatuscheck":"1","srctimeout":"30","customParm":"order 1""#
                ),
                0
            )),
            "0"
        );
        // The action of one route on another.
        assert_eq!(code(call_with(&cb(r#","credit":"61""#), 1)), "-3");
        // Voice code: CodeCallOut.wx + callOutCode (route 2).
        let vc = |extra: &str| {
            format!(
                r#"{{"action":"callOutCode","appid":"{APP}","dst":"13911281234","dstclid":"01085485069"{extra}}}"#
            )
        };
        assert_eq!(code(call_with(&vc(r#","code":"158456""#), 2)), "0");
        assert_eq!(
            code(call_with(&vc(r#","code":"AbC123","time":"3""#), 2)),
            "0"
        );
        // dstclid is optional.
        let no_clid = format!(
            r#"{{"action":"callOutCode","appid":"{APP}","dst":"13911281234","code":"1234"}}"#
        );
        assert_eq!(call_with(&no_clid, 2).unwrap().kind, Kind::VoiceCode);
        assert_eq!(
            code(call_with(&vc(r#","code":"158456","time":"0""#), 2)),
            "-101"
        );
        assert_eq!(
            code(call_with(&vc(r#","code":"12345678901234567890""#), 2)),
            "-101"
        );
        assert_eq!(code(call_with(&vc(r#","code":"12-34""#), 2)), "-101");
        assert_eq!(code(call_with(&vc(""), 2)), "-2");
        assert_eq!(
            code(call_with(&vc(r#","code":"1","credit":"100""#), 2)),
            "-101"
        );
        assert_eq!(code(call_with("[]", 2)), "-4");
        assert_eq!(code(call_with("", 2)), "-4");
        assert_eq!(code(call_with("{}", 2)), "-2");
    }

    #[test]
    fn template_notice_needs_template_id() {
        let code = |r: Result<Accepted, Rejection>| match r {
            Ok(_) => "0",
            Err(e) => e.code,
        };
        // An old client's voice code sent to NoticeCall.wx: no templateId.
        let old = format!(
            r#"{{"action":"templateNoticeCall","appid":"{APP}","dst":"13911281234","dstclid":"01085485069","code":"158456","time":"2"}}"#
        );
        let r = call_with(&old, 1).unwrap_err();
        assert_eq!(r.code, "-2");
        assert!(r.detail.contains("templateId"), "{}", r.detail);
        let cc = old.replace("templateNoticeCall", "callOutCode");
        assert_eq!(code(call_with(&cc, 1)), "-3");
        // As field code sends it: templateId a number, datas an array.
        let notice = format!(
            r#"{{"action":"templateNoticeCall","appid":"{APP}","dst":"13911281234","templateId":2750,"datas":["a","b"]}}"#
        );
        let ok = call_with(&notice, 1).unwrap();
        assert_eq!(ok.kind, Kind::TemplateNotice);
        assert_eq!(ok.get("templateId"), Some("2750"));
        assert_eq!(code(call_with(&notice.replace("2750", r#""9""#), 1)), "0");
        assert_eq!(
            code(call_with(&notice.replace(r#"["a","b"]"#, "[1]"), 1)),
            "-4"
        );
        // A code is not a field of the notice.
        assert_eq!(
            code(call_with(&notice.replace("{", r#"{"code":"1","#), 1)),
            "-101"
        );
    }

    #[test]
    fn records_and_balance_fields() {
        let code = |r: Result<Accepted, Rejection>| match r {
            Ok(_) => "0",
            Err(e) => e.code,
        };
        let q = |extra: &str| format!(r#"{{"action":"getCdrByResId","appid":"{APP}"{extra}}}"#);
        assert_eq!(
            code(call_with(
                &q(r#","fid":"4","lastresid":"0","limit":"10""#),
                3
            )),
            "0"
        );
        assert_eq!(
            code(call_with(
                &q(r#","fid":"4","lastresid":"20200437755811196850667520400","limit":"0""#),
                3
            )),
            "0"
        );
        assert_eq!(
            code(call_with(&q(r#","fid":"4","lastresid":"0""#), 3)),
            "-2"
        );
        assert_eq!(code(call_with(&q(r#","fid":"4","limit":"1""#), 3)), "-2");
        assert_eq!(
            code(call_with(&q(r#","lastresid":"0","limit":"1""#), 3)),
            "-2"
        );
        assert_eq!(
            code(call_with(
                &q(r#","fid":"4","lastresid":"0","limit":"ten""#),
                3
            )),
            "-101"
        );
        assert_eq!(
            code(call_with(
                &q(r#","fid":"4","lastresid":"0","limit":"-1""#),
                3
            )),
            "-101"
        );
        let by_time = format!(
            r#"{{"action":"getCdrByTime","appid":"{APP}","fid":"4","lastresid":"0","limit":"1"}}"#
        );
        assert_eq!(code(call_with(&by_time, 3)), "-3");
        let other_app = q(r#","fid":"4","lastresid":"0","limit":"1""#).replace(APP, "nope");
        assert_eq!(code(call_with(&other_app, 3)), "-205");

        let b = format!(r#"{{"action":"queryBlance","appid":"{APP}"}}"#);
        assert_eq!(call_with(&b, 4).unwrap().kind, Kind::Balance);
        assert_eq!(
            code(call_with(&b.replace("queryBlance", "queryBalance"), 4)),
            "-3"
        );
        assert_eq!(code(call_with(r#"{"action":"queryBlance"}"#, 4)), "-2");
    }
}
