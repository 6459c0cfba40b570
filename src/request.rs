//! Typed requests, their validation, and the wire JSON.
//!
//! Everything here is pure: it builds and checks values, it sends nothing.
//! Validation runs before a request is signed, so a bad value never reaches
//! the network, and every error names the field (by its wire name).
//!
//! # Phone numbers
//! `src`, `dst`, `srcclid`, `dstclid` must be 5 to 20 ASCII digits: a mobile
//! number (`13800138000`) or a landline with its area code (`01085485069`).
//! As the one convenience, a Chinese mobile number written internationally,
//! `+8613800138000` or `008613800138000`, is normalised to `13800138000`.
//! Nothing else is rewritten: spaces, dashes, other country codes and
//! international landlines are rejected with an error saying so, because
//! silently changing the number that gets dialled is worse than asking.

use serde::Serialize;

use crate::error::{Error, Result};

/// First-leg ringback mode (`ringbacktype`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RingbackType {
    /// `1`: pass the callee's ringback through.
    PassThrough = 1,
    /// `2`: play the system ringback.
    System = 2,
    /// `3`: play the custom file given in `customhintfile`.
    Custom = 3,
}

/// A two-way callback call (双向呼叫): the platform rings `src`, then `dst`,
/// and bridges them.
///
/// ```
/// use ytx::CallbackCall;
/// let call = CallbackCall {
///     custom_parm: Some("order-42".into()),
///     ..CallbackCall::new("13800138000", "01085485069", 600)
/// };
/// assert!(call.validate().is_ok());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CallbackCall {
    /// First leg (rung first): mobile, or landline with area code.
    pub src: String,
    /// Second leg: same rules.
    pub dst: String,
    /// Call length limit in seconds; must be greater than 60.
    pub credit: u32,
    /// Your own reference (e.g. an order id), echoed in the status push and CDR.
    pub custom_parm: Option<String>,
    /// Caller id shown to the first leg.
    pub src_clid: Option<String>,
    /// Caller id shown to the second leg.
    pub dst_clid: Option<String>,
    /// Seconds before an unanswered first leg is hung up.
    pub src_timeout: Option<u32>,
    /// Seconds before an unanswered second leg is hung up.
    pub dst_timeout: Option<u32>,
    /// Prompt file played to the first leg.
    pub src_hint_file: Option<String>,
    /// Prompt file played to the second leg.
    pub dst_hint_file: Option<String>,
    /// First-leg ringback mode.
    pub ringback_type: Option<RingbackType>,
    /// Custom ringback file, used with [`RingbackType::Custom`].
    pub custom_hint_file: Option<String>,
    /// Prompt played to the first leg when the second leg fails.
    pub dst_fail_hint_file: Option<String>,
    /// Seconds after which the first leg's time warning plays.
    pub src_threshold: Option<u32>,
    /// Seconds after which the second leg's time warning plays.
    pub dst_threshold: Option<u32>,
    /// The first leg's time-warning prompt file.
    pub src_threshold_file: Option<String>,
    /// The second leg's time-warning prompt file.
    pub dst_threshold_file: Option<String>,
    /// `true` turns on call-result recognition (`iscallstatuscheck`).
    pub call_status_check: Option<bool>,
}

/// The optional fields of [`CallbackCall`], by wire name, in wire order.
pub const CALLBACK_OPTION_NAMES: [&str; 15] = [
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

impl CallbackCall {
    /// A call with the required fields and no options.
    ///
    /// ```
    /// let call = ytx::CallbackCall::new("13800138000", "01085485069", 600);
    /// assert_eq!(call.to_json("callDailBack", "app")?,
    ///     r#"{"action":"callDailBack","appid":"app","src":"13800138000","dst":"01085485069","credit":"600"}"#);
    /// # Ok::<(), ytx::Error>(())
    /// ```
    pub fn new(src: impl Into<String>, dst: impl Into<String>, credit: u32) -> CallbackCall {
        CallbackCall {
            src: src.into(),
            dst: dst.into(),
            credit,
            ..CallbackCall::default()
        }
    }

    /// Set an optional field by its wire name (see [`CALLBACK_OPTION_NAMES`])
    /// from text, as the C ABI and the bindings do. Numbers are parsed here;
    /// `iscallstatuscheck` takes `0` or `1`. Setting a field twice is an error.
    ///
    /// ```
    /// let mut call = ytx::CallbackCall::new("13800138000", "01085485069", 600);
    /// call.set("ringbacktype", "2")?;
    /// assert_eq!(call.ringback_type, Some(ytx::RingbackType::System));
    /// assert_eq!(call.set("ringbacktype", "9").unwrap_err().field(), Some("ringbacktype"));
    /// # Ok::<(), ytx::Error>(())
    /// ```
    pub fn set(&mut self, name: &str, value: &str) -> Result<()> {
        fn put<T>(slot: &mut Option<T>, field: &str, v: T) -> Result<()> {
            if slot.is_some() {
                return Err(Error::invalid(field, "given more than once"));
            }
            *slot = Some(v);
            Ok(())
        }
        let text = || value.to_string();
        if name.is_empty() {
            return Err(Error::invalid("option_name", "must not be empty"));
        }
        match name {
            "customParm" => put(&mut self.custom_parm, name, text()),
            "srcclid" => put(&mut self.src_clid, name, text()),
            "dstclid" => put(&mut self.dst_clid, name, text()),
            "srctimeout" => put(&mut self.src_timeout, name, parse_seconds(name, value)?),
            "dsttimeout" => put(&mut self.dst_timeout, name, parse_seconds(name, value)?),
            "srchintfile" => put(&mut self.src_hint_file, name, text()),
            "dsthintfile" => put(&mut self.dst_hint_file, name, text()),
            "ringbacktype" => {
                let t = match value {
                    "1" => RingbackType::PassThrough,
                    "2" => RingbackType::System,
                    "3" => RingbackType::Custom,
                    _ => {
                        return Err(Error::invalid(
                            name,
                            format!(
                                "must be 1 (pass-through), 2 (system) or 3 (custom), got {value:?}"
                            ),
                        ))
                    }
                };
                put(&mut self.ringback_type, name, t)
            }
            "customhintfile" => put(&mut self.custom_hint_file, name, text()),
            "dstfailhintfile" => put(&mut self.dst_fail_hint_file, name, text()),
            "srcthreshold" => put(&mut self.src_threshold, name, parse_seconds(name, value)?),
            "dstthreshold" => put(&mut self.dst_threshold, name, parse_seconds(name, value)?),
            "srcthresholdfile" => put(&mut self.src_threshold_file, name, text()),
            "dstthresholdfile" => put(&mut self.dst_threshold_file, name, text()),
            "iscallstatuscheck" => {
                let on = match value {
                    "1" => true,
                    "0" => false,
                    _ => {
                        return Err(Error::invalid(
                            name,
                            format!("must be 0 or 1, got {value:?}"),
                        ))
                    }
                };
                put(&mut self.call_status_check, name, on)
            }
            _ => Err(Error::invalid(
                name,
                format!(
                    "unknown option; the callback call's options are: {}",
                    CALLBACK_OPTION_NAMES.join(", ")
                ),
            )),
        }
    }

    /// Check every field; the error names the first bad one.
    pub fn validate(&self) -> Result<()> {
        self.normalised().map(|_| ())
    }

    /// The validated request with phone numbers normalised.
    fn normalised(&self) -> Result<CallbackCall> {
        let mut c = self.clone();
        c.src = phone("src", &self.src)?;
        c.dst = phone("dst", &self.dst)?;
        if self.credit <= 60 {
            return Err(Error::invalid(
                "credit",
                format!(
                    "must be a whole number of seconds greater than 60, got {}",
                    self.credit
                ),
            ));
        }
        c.src_clid = opt(&self.src_clid, |v| phone("srcclid", v))?;
        c.dst_clid = opt(&self.dst_clid, |v| phone("dstclid", v))?;
        for (name, v) in [
            ("customParm", &self.custom_parm),
            ("srchintfile", &self.src_hint_file),
            ("dsthintfile", &self.dst_hint_file),
            ("customhintfile", &self.custom_hint_file),
            ("dstfailhintfile", &self.dst_fail_hint_file),
            ("srcthresholdfile", &self.src_threshold_file),
            ("dstthresholdfile", &self.dst_threshold_file),
        ] {
            if let Some(v) = v {
                text(name, v)?;
            }
        }
        for (name, v) in [
            ("srctimeout", self.src_timeout),
            ("dsttimeout", self.dst_timeout),
            ("srcthreshold", self.src_threshold),
            ("dstthreshold", self.dst_threshold),
        ] {
            if v == Some(0) {
                return Err(Error::invalid(name, "must be at least 1 second"));
            }
        }
        Ok(c)
    }

    /// Validate, then serialise to the wire JSON (every value a string).
    pub fn to_json(&self, action: &str, app_id: &str) -> Result<String> {
        let c = self.normalised()?;
        let num = |v: Option<u32>| v.map(|n| n.to_string());
        let wire = CallbackWire {
            action,
            appid: app_id,
            src: &c.src,
            dst: &c.dst,
            credit: c.credit.to_string(),
            custom_parm: c.custom_parm.as_deref(),
            srcclid: c.src_clid.as_deref(),
            dstclid: c.dst_clid.as_deref(),
            srctimeout: num(c.src_timeout),
            dsttimeout: num(c.dst_timeout),
            srchintfile: c.src_hint_file.as_deref(),
            dsthintfile: c.dst_hint_file.as_deref(),
            ringbacktype: c.ringback_type.map(|t| (t as u8).to_string()),
            customhintfile: c.custom_hint_file.as_deref(),
            dstfailhintfile: c.dst_fail_hint_file.as_deref(),
            srcthreshold: num(c.src_threshold),
            dstthreshold: num(c.dst_threshold),
            srcthresholdfile: c.src_threshold_file.as_deref(),
            dstthresholdfile: c.dst_threshold_file.as_deref(),
            iscallstatuscheck: c.call_status_check.map(|on| if on { "1" } else { "0" }),
        };
        Ok(serde_json::to_string(&wire).expect("a struct of strings always serialises"))
    }
}

/// A voice verification code (语音验证码): the platform calls `dst` and reads
/// out `code`.
///
/// ```
/// use ytx::VoiceCode;
/// let vc = VoiceCode { times: Some(2), ..VoiceCode::new("13800138000", "02160000000", "4096") };
/// assert!(vc.validate().is_ok());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VoiceCode {
    /// The number to call: mobile, or landline with area code.
    pub dst: String,
    /// Caller id the callee sees; empty to leave it out (optional: the
    /// platform currently shows the callee's own number, PROTOCOL.md).
    pub dstclid: String,
    /// The code read out: 1 to 19 ASCII letters or digits.
    pub code: String,
    /// How many times it is played, 1 to 3; `None` for the platform default (2).
    pub times: Option<u8>,
}

impl VoiceCode {
    /// A voice code with the platform's default number of plays.
    ///
    /// ```
    /// let vc = ytx::VoiceCode::new("13800138000", "02160000000", "4096");
    /// assert!(!vc.to_json("callOutCode", "app")?.contains("time"));
    /// # Ok::<(), ytx::Error>(())
    /// ```
    pub fn new(
        dst: impl Into<String>,
        dstclid: impl Into<String>,
        code: impl Into<String>,
    ) -> VoiceCode {
        VoiceCode {
            dst: dst.into(),
            dstclid: dstclid.into(),
            code: code.into(),
            times: None,
        }
    }

    /// Check every field; the error names the first bad one.
    pub fn validate(&self) -> Result<()> {
        self.normalised().map(|_| ())
    }

    fn normalised(&self) -> Result<VoiceCode> {
        let dst = phone("dst", &self.dst)?;
        // Optional: empty means "not sent"; when given it must be a number.
        let dstclid = match self.dstclid.as_str() {
            "" => String::new(),
            given => phone("dstclid", given)?,
        };
        let code = &self.code;
        if code.is_empty() {
            return Err(Error::invalid("code", "must not be empty"));
        }
        if let Some(bad) = code.chars().find(|c| !c.is_ascii_alphanumeric()) {
            return Err(Error::invalid(
                "code",
                format!("must contain only ASCII letters and digits, found {bad:?}"),
            ));
        }
        if code.len() > 19 {
            return Err(Error::invalid(
                "code",
                format!("must be at most 19 characters, got {}", code.len()),
            ));
        }
        if let Some(t) = self.times {
            check_times(i64::from(t))?;
        }
        Ok(VoiceCode {
            dst,
            dstclid,
            code: code.clone(),
            times: self.times,
        })
    }

    /// Validate, then serialise to the wire JSON (every value a string).
    pub fn to_json(&self, action: &str, app_id: &str) -> Result<String> {
        let v = self.normalised()?;
        let wire = VoiceCodeWire {
            action,
            appid: app_id,
            dst: &v.dst,
            dstclid: Some(v.dstclid.as_str()).filter(|c| !c.is_empty()),
            code: &v.code,
            time: v.times.map(|t| t.to_string()),
        };
        Ok(serde_json::to_string(&wire).expect("a struct of strings always serialises"))
    }
}

/// A call-record query (`CallCdr.wx`, action `getCdrByResId`).
///
/// ```
/// use ytx::RecordQuery;
/// let q = RecordQuery::after("20200437755811196850667520400", 50).fid("4");
/// assert_eq!(q.to_json("app")?,
///     r#"{"action":"getCdrByResId","appid":"app","fid":"4","lastresid":"20200437755811196850667520400","limit":"50"}"#);
/// assert_eq!(RecordQuery::of("").validate().unwrap_err().field(), Some("lastresid"));
/// # Ok::<(), ytx::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordQuery {
    last_request_id: String,
    limit: u32,
    fid: String,
    /// Made by [`RecordQuery::after`]: `limit` must then be at least 1.
    paging: bool,
}

impl RecordQuery {
    /// The one record of `request_id` (`limit` 0).
    pub fn of(request_id: impl Into<String>) -> RecordQuery {
        RecordQuery {
            last_request_id: request_id.into(),
            limit: 0,
            fid: crate::record::CALLBACK_FID.into(),
            paging: false,
        }
    }

    /// Up to `limit` (1 to [`MAX_RECORDS_PER_QUERY`](crate::record::MAX_RECORDS_PER_QUERY))
    /// records after `request_id`; `"0"` starts from the first record.
    pub fn after(request_id: impl Into<String>, limit: u32) -> RecordQuery {
        RecordQuery {
            limit,
            paging: true,
            ..RecordQuery::of(request_id)
        }
    }

    /// The product whose records are wanted (`fid`): `4`, the callback call,
    /// by default.
    pub fn fid(mut self, fid: impl Into<String>) -> RecordQuery {
        self.fid = fid.into();
        self
    }

    /// The requestId the query starts from (`lastresid`).
    pub fn last_request_id(&self) -> &str {
        &self.last_request_id
    }

    /// How many records (`limit`; 0: exactly the record of `lastresid`).
    pub fn limit(&self) -> u32 {
        self.limit
    }

    /// Whether this pages through the records after `lastresid`
    /// ([`RecordQuery::after`]) rather than asking for one ([`RecordQuery::of`]).
    pub fn is_paging(&self) -> bool {
        self.paging
    }

    /// Check every field; the error names the first bad one (by wire name).
    pub fn validate(&self) -> Result<()> {
        request_id_text("lastresid", &self.last_request_id)?;
        if self.fid.is_empty() || !self.fid.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::invalid(
                "fid",
                format!("must be a product number (digits), got {:?}", self.fid),
            ));
        }
        let max = crate::record::MAX_RECORDS_PER_QUERY;
        if self.paging && self.limit == 0 {
            return Err(Error::invalid(
                "limit",
                "must be at least 1 when paging (RecordQuery::of asks for one record)",
            ));
        }
        if self.limit > max {
            return Err(Error::invalid(
                "limit",
                format!("must be at most {max}, got {}", self.limit),
            ));
        }
        Ok(())
    }

    /// Validate, then serialise to the wire JSON (every value a string).
    pub fn to_json(&self, app_id: &str) -> Result<String> {
        self.validate()?;
        let wire = RecordQueryWire {
            action: "getCdrByResId",
            appid: app_id,
            fid: &self.fid,
            lastresid: &self.last_request_id,
            limit: self.limit.to_string(),
        };
        Ok(serde_json::to_string(&wire).expect("a struct of strings always serialises"))
    }
}

/// A requestId given back to the platform: 1 to 64 ASCII letters or digits
/// (real ones are 29 digits; `"0"` starts a record query at the beginning).
pub(crate) fn request_id_text(field: &str, v: &str) -> Result<()> {
    if v.is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    if v.len() > 64 || !v.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Error::invalid(
            field,
            "must be a requestId: 1 to 64 ASCII letters or digits",
        ));
    }
    Ok(())
}

/// How [`Client::find_call`](crate::Client::find_call) searches: for the
/// record whose `customParm` matches, among the records after a requestId
/// known from before.
///
/// ```
/// let f = ytx::FindCall::new("order-42", "20200437755811196850667520400").page_size(200);
/// assert!(f.validate().is_ok());
/// assert_eq!(ytx::FindCall::new("", "1").validate().unwrap_err().field(), Some("customParm"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FindCall {
    custom_parm: String,
    after_request_id: String,
    fid: String,
    page_size: u32,
    max_pages: u32,
}

/// Default records fetched per query of [`FindCall`].
pub const FIND_CALL_PAGE_SIZE: u32 = 100;
/// Default bound on the number of queries of one [`FindCall`] search.
pub const FIND_CALL_MAX_PAGES: u32 = 100;

impl FindCall {
    /// Search for `custom_parm` among the records after `after_request_id`
    /// (`"0"`: from the first record), fid `4`, [`FIND_CALL_PAGE_SIZE`]
    /// records a page, at most [`FIND_CALL_MAX_PAGES`] pages.
    pub fn new(custom_parm: impl Into<String>, after_request_id: impl Into<String>) -> FindCall {
        FindCall {
            custom_parm: custom_parm.into(),
            after_request_id: after_request_id.into(),
            fid: crate::record::CALLBACK_FID.into(),
            page_size: FIND_CALL_PAGE_SIZE,
            max_pages: FIND_CALL_MAX_PAGES,
        }
    }

    /// The product (`fid`), `4` by default.
    pub fn fid(mut self, fid: impl Into<String>) -> FindCall {
        self.fid = fid.into();
        self
    }

    /// Records per query (1 to [`MAX_RECORDS_PER_QUERY`](crate::record::MAX_RECORDS_PER_QUERY)).
    pub fn page_size(mut self, n: u32) -> FindCall {
        self.page_size = n;
        self
    }

    /// Most queries one search makes before it gives up with an error
    /// (never with "not found", which would invite placing the call again).
    pub fn max_pages(mut self, n: u32) -> FindCall {
        self.max_pages = n;
        self
    }

    /// The customParm searched for.
    pub fn custom_parm(&self) -> &str {
        &self.custom_parm
    }

    /// Check every field; the error names the first bad one.
    pub fn validate(&self) -> Result<()> {
        text("customParm", &self.custom_parm)?;
        if self.page_size == 0 {
            return Err(Error::invalid("limit", "page size must be at least 1"));
        }
        if self.max_pages == 0 {
            return Err(Error::invalid("max_pages", "must be at least 1"));
        }
        self.page(&self.after_request_id).validate()
    }

    pub(crate) fn page(&self, after: &str) -> RecordQuery {
        RecordQuery::after(after, self.page_size).fid(self.fid.clone())
    }

    pub(crate) fn max_page_count(&self) -> u32 {
        self.max_pages
    }

    pub(crate) fn after_request_id(&self) -> &str {
        &self.after_request_id
    }
}

/// `credit` from a signed integer, as the C ABI takes it: the rule is the
/// same as [`CallbackCall::validate`]'s, and values beyond `u32` are refused
/// with the same field name instead of wrapping.
///
/// ```
/// assert_eq!(ytx::request::credit_from_i64(61)?, 61);
/// assert_eq!(ytx::request::credit_from_i64(-1).unwrap_err().field(), Some("credit"));
/// # Ok::<(), ytx::Error>(())
/// ```
pub fn credit_from_i64(credit: i64) -> Result<u32> {
    match u32::try_from(credit) {
        Ok(c) if c > 60 => Ok(c),
        _ => Err(Error::invalid(
            "credit",
            format!(
                "must be a whole number of seconds greater than 60 and at most {}, got {credit}",
                u32::MAX
            ),
        )),
    }
}

/// `time` (number of plays) from a signed integer: `0` means the platform
/// default, `1..=3` a count, anything else is an error.
///
/// ```
/// assert_eq!(ytx::request::times_from_i64(0)?, None);
/// assert_eq!(ytx::request::times_from_i64(2)?, Some(2));
/// assert!(ytx::request::times_from_i64(4).is_err());
/// # Ok::<(), ytx::Error>(())
/// ```
pub fn times_from_i64(times: i64) -> Result<Option<u8>> {
    if times == 0 {
        return Ok(None);
    }
    check_times(times).map(|t| Some(t as u8))
}

fn check_times(times: i64) -> Result<i64> {
    if (1..=3).contains(&times) {
        Ok(times)
    } else {
        Err(Error::invalid(
            "time",
            format!("must be 1, 2 or 3 plays, got {times}"),
        ))
    }
}

fn parse_seconds(field: &str, value: &str) -> Result<u32> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::invalid(
            field,
            format!("must be a whole number of seconds, got {value:?}"),
        ));
    }
    value
        .parse()
        .map_err(|_| Error::invalid(field, format!("is too large: {value}")))
}

fn opt(v: &Option<String>, f: impl Fn(&str) -> Result<String>) -> Result<Option<String>> {
    v.as_deref().map(f).transpose()
}

/// Free text (customParm, file names): not empty, no control characters.
fn text(field: &str, v: &str) -> Result<()> {
    if v.is_empty() {
        return Err(Error::invalid(
            field,
            "must not be empty (leave it unset instead)",
        ));
    }
    if v.chars().any(char::is_control) {
        return Err(Error::invalid(field, "must not contain control characters"));
    }
    Ok(())
}

/// Validate and normalise a phone number (see the module docs).
///
/// ```
/// assert_eq!(ytx::request::phone("dst", "+8613800138000")?, "13800138000");
/// assert!(ytx::request::phone("dst", "010-85485069").is_err());
/// # Ok::<(), ytx::Error>(())
/// ```
pub fn phone(field: &str, raw: &str) -> Result<String> {
    if raw.is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    let international = raw.strip_prefix("+86").or_else(|| raw.strip_prefix("0086"));
    if let Some(rest) = international {
        if is_mobile(rest) {
            return Ok(rest.to_string());
        }
        return Err(Error::invalid(
            field,
            "an international +86/0086 number must be an 11-digit mobile number; write landlines with their area code, e.g. 01085485069",
        ));
    }
    if raw.starts_with('+') {
        return Err(Error::invalid(
            field,
            "only Chinese numbers can be called: write mobiles as 13800138000 and landlines with their area code",
        ));
    }
    if let Some((i, c)) = raw.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        return Err(Error::invalid(
            field,
            format!("must contain only digits, found {c:?} at byte {i} (no spaces or dashes)"),
        ));
    }
    if !(5..=20).contains(&raw.len()) {
        return Err(Error::invalid(
            field,
            format!("must be 5 to 20 digits, got {}", raw.len()),
        ));
    }
    Ok(raw.to_string())
}

fn is_mobile(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 11
        && b[0] == b'1'
        && (b'3'..=b'9').contains(&b[1])
        && b.iter().all(u8::is_ascii_digit)
}

#[derive(Serialize)]
struct CallbackWire<'a> {
    action: &'a str,
    appid: &'a str,
    src: &'a str,
    dst: &'a str,
    credit: String,
    #[serde(rename = "customParm", skip_serializing_if = "Option::is_none")]
    custom_parm: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    srcclid: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dstclid: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    srctimeout: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dsttimeout: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    srchintfile: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dsthintfile: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ringbacktype: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    customhintfile: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dstfailhintfile: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    srcthreshold: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dstthreshold: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    srcthresholdfile: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dstthresholdfile: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    iscallstatuscheck: Option<&'a str>,
}

#[derive(Serialize)]
struct RecordQueryWire<'a> {
    action: &'a str,
    appid: &'a str,
    fid: &'a str,
    lastresid: &'a str,
    limit: String,
}

#[derive(Serialize)]
struct VoiceCodeWire<'a> {
    action: &'a str,
    appid: &'a str,
    dst: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    dstclid: Option<&'a str>,
    code: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    time: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn field_of(r: Result<impl std::fmt::Debug>) -> String {
        r.expect_err("must fail").field().unwrap().to_string()
    }

    fn parse(s: &str) -> Value {
        serde_json::from_str(s).unwrap()
    }

    #[test]
    fn callback_wire_json_has_every_value_as_a_string() {
        let mut c = CallbackCall::new("13800138000", "01085485069", 120);
        for (name, value) in [
            ("customParm", "order-1"),
            ("srcclid", "02160000000"),
            ("dstclid", "02160000001"),
            ("srctimeout", "30"),
            ("dsttimeout", "40"),
            ("srchintfile", "a.wav"),
            ("dsthintfile", "b.wav"),
            ("ringbacktype", "3"),
            ("customhintfile", "c.wav"),
            ("dstfailhintfile", "d.wav"),
            ("srcthreshold", "50"),
            ("dstthreshold", "55"),
            ("srcthresholdfile", "e.wav"),
            ("dstthresholdfile", "f.wav"),
            ("iscallstatuscheck", "1"),
        ] {
            c.set(name, value).unwrap();
        }
        let got = parse(&c.to_json("callDailBack", "app1").unwrap());
        assert_eq!(
            got,
            json!({
                "action": "callDailBack", "appid": "app1",
                "src": "13800138000", "dst": "01085485069", "credit": "120",
                "customParm": "order-1", "srcclid": "02160000000", "dstclid": "02160000001",
                "srctimeout": "30", "dsttimeout": "40", "srchintfile": "a.wav", "dsthintfile": "b.wav",
                "ringbacktype": "3", "customhintfile": "c.wav", "dstfailhintfile": "d.wav",
                "srcthreshold": "50", "dstthreshold": "55", "srcthresholdfile": "e.wav",
                "dstthresholdfile": "f.wav", "iscallstatuscheck": "1"
            })
        );
    }

    #[test]
    fn callback_minimal_json_omits_unset_options() {
        let got = CallbackCall::new("13800138000", "13900139000", 61)
            .to_json("callDailBack", "app")
            .unwrap();
        assert_eq!(
            got,
            r#"{"action":"callDailBack","appid":"app","src":"13800138000","dst":"13900139000","credit":"61"}"#
        );
    }

    #[test]
    fn credit_must_exceed_60() {
        for bad in [0, 1, 60] {
            let c = CallbackCall::new("13800138000", "13900139000", bad);
            assert_eq!(field_of(c.validate()), "credit");
        }
        assert!(CallbackCall::new("13800138000", "13900139000", 61)
            .validate()
            .is_ok());
        assert_eq!(field_of(credit_from_i64(-1)), "credit");
        assert_eq!(field_of(credit_from_i64(60)), "credit");
        assert_eq!(field_of(credit_from_i64(i64::from(u32::MAX) + 1)), "credit");
        assert_eq!(credit_from_i64(61).unwrap(), 61);
    }

    #[test]
    fn phone_numbers_are_checked_and_named() {
        for (bad, why) in [
            ("", "empty"),
            ("1380013800a", "digits"),
            ("138 0013 8000", "digits"),
            ("010-85485069", "digits"),
            ("１３８００１３８０００", "digits"), // full-width digits
            ("1234", "5 to 20"),
            ("123456789012345678901", "5 to 20"),
            ("+12025550123", "Chinese"),
            ("+861085485069", "11-digit mobile"),
        ] {
            let e = phone("dst", bad).unwrap_err();
            assert_eq!(e.field(), Some("dst"), "{bad}");
            assert!(e.to_string().contains(why), "{bad}: {e}");
        }
        assert_eq!(phone("src", "+8613800138000").unwrap(), "13800138000");
        assert_eq!(phone("src", "008613800138000").unwrap(), "13800138000");
        assert_eq!(phone("src", "01085485069").unwrap(), "01085485069");
        assert_eq!(phone("src", "95555").unwrap(), "95555");
    }

    #[test]
    fn international_mobile_is_normalised_on_the_wire() {
        let got = parse(
            &CallbackCall::new("+8613800138000", "008613900139000", 90)
                .to_json("callDailBack", "a")
                .unwrap(),
        );
        assert_eq!(got["src"], "13800138000");
        assert_eq!(got["dst"], "13900139000");
    }

    #[test]
    fn every_callback_field_is_named_in_its_error() {
        let ok = CallbackCall::new("13800138000", "13900139000", 90);
        assert_eq!(
            field_of(
                CallbackCall {
                    src: "x".into(),
                    ..ok.clone()
                }
                .validate()
            ),
            "src"
        );
        assert_eq!(
            field_of(
                CallbackCall {
                    dst: "".into(),
                    ..ok.clone()
                }
                .validate()
            ),
            "dst"
        );
        assert_eq!(
            field_of(
                CallbackCall {
                    src_clid: Some("abc".into()),
                    ..ok.clone()
                }
                .validate()
            ),
            "srcclid"
        );
        assert_eq!(
            field_of(
                CallbackCall {
                    dst_clid: Some("".into()),
                    ..ok.clone()
                }
                .validate()
            ),
            "dstclid"
        );
        assert_eq!(
            field_of(
                CallbackCall {
                    custom_parm: Some("a\nb".into()),
                    ..ok.clone()
                }
                .validate()
            ),
            "customParm"
        );
        assert_eq!(
            field_of(
                CallbackCall {
                    dst_hint_file: Some(String::new()),
                    ..ok.clone()
                }
                .validate()
            ),
            "dsthintfile"
        );
        assert_eq!(
            field_of(
                CallbackCall {
                    src_timeout: Some(0),
                    ..ok.clone()
                }
                .validate()
            ),
            "srctimeout"
        );
    }

    #[test]
    fn set_rejects_bad_text_values_by_name() {
        let mut c = CallbackCall::new("13800138000", "13900139000", 90);
        assert_eq!(field_of(c.set("ringbacktype", "4")), "ringbacktype");
        assert_eq!(field_of(c.set("ringbacktype", "0")), "ringbacktype");
        assert_eq!(
            field_of(c.set("iscallstatuscheck", "yes")),
            "iscallstatuscheck"
        );
        assert_eq!(field_of(c.set("srctimeout", "-5")), "srctimeout");
        assert_eq!(field_of(c.set("dsttimeout", "")), "dsttimeout");
        assert_eq!(
            field_of(c.set("srcthreshold", "99999999999")),
            "srcthreshold"
        );
        assert_eq!(field_of(c.set("bogus", "1")), "bogus");
        assert_eq!(field_of(c.set("", "1")), "option_name");
        c.set("customParm", "a").unwrap();
        let e = c.set("customParm", "b").unwrap_err();
        assert!(e.to_string().contains("more than once"), "{e}");
        assert_eq!(c.custom_parm.as_deref(), Some("a"));
    }

    #[test]
    fn voice_code_wire_json() {
        let v = VoiceCode {
            times: Some(3),
            ..VoiceCode::new("13800138000", "02160000000", "ab12")
        };
        assert_eq!(
            v.to_json("callOutCode", "app").unwrap(),
            r#"{"action":"callOutCode","appid":"app","dst":"13800138000","dstclid":"02160000000","code":"ab12","time":"3"}"#
        );
        let v = VoiceCode::new("13800138000", "02160000000", "1");
        assert!(!v.to_json("x", "y").unwrap().contains("time"));
        // dstclid is optional: empty leaves it out of the body.
        let v = VoiceCode::new("13800138000", "", "1");
        assert_eq!(
            v.to_json("callOutCode", "app").unwrap(),
            r#"{"action":"callOutCode","appid":"app","dst":"13800138000","code":"1"}"#
        );
    }

    #[test]
    fn voice_code_rules() {
        let ok = VoiceCode::new("13800138000", "02160000000", "1234");
        let code = |c: &str| {
            VoiceCode {
                code: c.into(),
                ..ok.clone()
            }
            .validate()
        };
        assert_eq!(field_of(code("")), "code");
        assert_eq!(field_of(code("12 34")), "code");
        assert_eq!(field_of(code("12-34")), "code");
        assert_eq!(field_of(code("１２")), "code");
        assert_eq!(field_of(code(&"9".repeat(20))), "code");
        assert!(code(&"9".repeat(19)).is_ok());
        assert!(code("Ab9").is_ok());
        assert!(VoiceCode {
            dstclid: "".into(),
            ..ok.clone()
        }
        .validate()
        .is_ok());
        assert_eq!(
            field_of(
                VoiceCode {
                    dstclid: " ".into(),
                    ..ok.clone()
                }
                .validate()
            ),
            "dstclid"
        );
        assert_eq!(
            field_of(
                VoiceCode {
                    dst: "12".into(),
                    ..ok.clone()
                }
                .validate()
            ),
            "dst"
        );
        for t in [0u8, 4, 255] {
            assert_eq!(
                field_of(
                    VoiceCode {
                        times: Some(t),
                        ..ok.clone()
                    }
                    .validate()
                ),
                "time"
            );
        }
        assert_eq!(times_from_i64(0).unwrap(), None);
        assert_eq!(times_from_i64(3).unwrap(), Some(3));
        assert_eq!(field_of(times_from_i64(4)), "time");
        assert_eq!(field_of(times_from_i64(-1)), "time");
    }
}
