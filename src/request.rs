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

use std::borrow::Cow;

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

/// Each optional field of [`CallbackCall`] is listed once, in
/// `callback_options!` below: its Rust name, its kind (how it is checked
/// and sent) and its wire name. The struct's fields, their setters, the
/// setter by wire name, validation, the wire JSON and
/// [`CALLBACK_OPTION_NAMES`] all come from that one list.
macro_rules! callback_options {
    ($( $(#[$doc:meta])* $field:ident : $kind:ident($ty:ty) = $wire:literal, )*) => {
        /// A two-way callback call (双向呼叫): the platform rings `src`, then
        /// `dst`, and bridges them.
        ///
        /// Built with [`CallbackCall::new`] and the setters, one per optional
        /// field (the fields are public to read and change; new ones may be
        /// added, so the struct is `#[non_exhaustive]`).
        ///
        /// ```
        /// use ytx::{CallbackCall, RingbackType};
        /// let call = CallbackCall::new("13800138000", "01085485069", 600)
        ///     .custom_parm("order-42")
        ///     .ringback_type(RingbackType::System);
        /// assert!(call.validate().is_ok());
        /// assert_eq!(call.custom_parm.as_deref(), Some("order-42"));
        /// ```
        #[derive(Clone, Debug, Default, PartialEq, Eq)]
        #[non_exhaustive]
        pub struct CallbackCall {
            /// First leg (rung first): mobile, or landline with area code.
            pub src: String,
            /// Second leg: same rules.
            pub dst: String,
            /// Call length limit in seconds; must be greater than 60.
            pub credit: u32,
            $( $(#[$doc])* pub $field: Option<$ty>, )*
        }

        /// The optional fields of [`CallbackCall`], by wire name, in wire order.
        #[doc(hidden)]
        pub const CALLBACK_OPTION_NAMES: [&str; [$($wire),*].len()] = [$($wire),*];

        impl CallbackCall {
            $(
                #[doc = concat!("Set `", $wire, "` (see the field of the same name).")]
                #[must_use]
                pub fn $field(mut self, value: impl Into<$ty>) -> Self {
                    self.$field = Some(value.into());
                    self
                }
            )*

            fn set_by_wire_name(&mut self, name: &str, value: &str) -> Result<()> {
                match name {
                    $( $wire => put(&mut self.$field, name, $kind::parse(name, value)?), )*
                    _ => Err(Error::invalid(
                        name,
                        format!(
                            "unknown option; the callback call's options are: {}",
                            CALLBACK_OPTION_NAMES.join(", ")
                        ),
                    )),
                }
            }

            /// Each optional field, in wire order: (wire name, wire
            /// text) when it is set (on the stack: no allocation but for
            /// numbers), each checked and normalised on the way; the error
            /// names the first bad one.
            fn wire_options(&self) -> Result<WireOptions<'_>> {
                Ok([$(
                    match &self.$field {
                        Some(v) => Some(($wire, $kind::wire($wire, v)?)),
                        None => None,
                    },
                )*])
            }
        }
    };
}

callback_options! {
    /// Your own reference (e.g. an order id), echoed in the status push and CDR.
    custom_parm: Text(String) = "customParm",
    /// Caller id shown to the first leg.
    src_clid: Phone(String) = "srcclid",
    /// Caller id shown to the second leg.
    dst_clid: Phone(String) = "dstclid",
    /// Seconds before an unanswered first leg is hung up.
    src_timeout: Seconds(u32) = "srctimeout",
    /// Seconds before an unanswered second leg is hung up.
    dst_timeout: Seconds(u32) = "dsttimeout",
    /// Prompt file played to the first leg.
    src_hint_file: Text(String) = "srchintfile",
    /// Prompt file played to the second leg.
    dst_hint_file: Text(String) = "dsthintfile",
    /// First-leg ringback mode.
    ringback_type: Ringback(RingbackType) = "ringbacktype",
    /// Custom ringback file, used with [`RingbackType::Custom`].
    custom_hint_file: Text(String) = "customhintfile",
    /// Prompt played to the first leg when the second leg fails.
    dst_fail_hint_file: Text(String) = "dstfailhintfile",
    /// Seconds after which the first leg's time warning plays.
    src_threshold: Seconds(u32) = "srcthreshold",
    /// Seconds after which the second leg's time warning plays.
    dst_threshold: Seconds(u32) = "dstthreshold",
    /// The first leg's time-warning prompt file.
    src_threshold_file: Text(String) = "srcthresholdfile",
    /// The second leg's time-warning prompt file.
    dst_threshold_file: Text(String) = "dstthresholdfile",
    /// `true` turns on call-result recognition (`iscallstatuscheck`).
    call_status_check: Flag(bool) = "iscallstatuscheck",
}

/// How one kind of optional field is read from text, checked, and sent.
trait OptionKind {
    type Value;
    /// From the text of the C ABI / the bindings.
    fn parse(field: &str, text: &str) -> Result<Self::Value>;
    /// Check a value set in Rust or parsed; its normalised wire text
    /// (every value is sent as a JSON string), borrowed where it can be.
    fn wire<'v>(field: &str, v: &'v Self::Value) -> Result<Cow<'v, str>>;
}

/// Free text: not empty, no control characters.
struct Text;
impl OptionKind for Text {
    type Value = String;
    fn parse(_: &str, t: &str) -> Result<String> {
        Ok(t.to_string())
    }
    fn wire<'v>(field: &str, v: &'v String) -> Result<Cow<'v, str>> {
        text(field, v).map(|()| Cow::Borrowed(v.as_str()))
    }
}

/// A phone number (see the module docs).
struct Phone;
impl OptionKind for Phone {
    type Value = String;
    fn parse(_: &str, t: &str) -> Result<String> {
        Ok(t.to_string())
    }
    fn wire<'v>(field: &str, v: &'v String) -> Result<Cow<'v, str>> {
        phone_str(field, v).map(Cow::Borrowed)
    }
}

/// Whole seconds, at least 1.
struct Seconds;
impl OptionKind for Seconds {
    type Value = u32;
    fn parse(field: &str, t: &str) -> Result<u32> {
        parse_seconds(field, t)
    }
    fn wire<'v>(field: &str, v: &'v u32) -> Result<Cow<'v, str>> {
        if *v == 0 {
            return Err(Error::invalid(field, "must be at least 1 second"));
        }
        Ok(Cow::Owned(v.to_string()))
    }
}

/// `ringbacktype`: 1, 2 or 3.
struct Ringback;
impl OptionKind for Ringback {
    type Value = RingbackType;
    fn parse(field: &str, t: &str) -> Result<RingbackType> {
        match t {
            "1" => Ok(RingbackType::PassThrough),
            "2" => Ok(RingbackType::System),
            "3" => Ok(RingbackType::Custom),
            _ => Err(Error::invalid(
                field,
                format!("must be 1 (pass-through), 2 (system) or 3 (custom), got {t:?}"),
            )),
        }
    }
    fn wire<'v>(_: &str, v: &'v RingbackType) -> Result<Cow<'v, str>> {
        Ok(Cow::Borrowed(match v {
            RingbackType::PassThrough => "1",
            RingbackType::System => "2",
            RingbackType::Custom => "3",
        }))
    }
}

/// A switch: `0` or `1`.
struct Flag;
impl OptionKind for Flag {
    type Value = bool;
    fn parse(field: &str, t: &str) -> Result<bool> {
        match t {
            "1" => Ok(true),
            "0" => Ok(false),
            _ => Err(Error::invalid(field, format!("must be 0 or 1, got {t:?}"))),
        }
    }
    fn wire<'v>(_: &str, v: &'v bool) -> Result<Cow<'v, str>> {
        Ok(Cow::Borrowed(if *v { "1" } else { "0" }))
    }
}

/// Set an optional field once: a second time is an error.
fn put<T>(slot: &mut Option<T>, field: &str, v: T) -> Result<()> {
    if slot.is_some() {
        return Err(Error::invalid(field, "given more than once"));
    }
    *slot = Some(v);
    Ok(())
}

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

    /// Set an optional field by its wire name from text, as the C ABI and
    /// the bindings do (numbers are parsed here; `iscallstatuscheck` takes
    /// `0` or `1`). Setting a field twice is an error. Not part of the Rust
    /// API: Rust code uses the typed setters.
    ///
    /// ```
    /// let mut call = ytx::CallbackCall::new("13800138000", "01085485069", 600);
    /// call.set("ringbacktype", "2")?;
    /// assert_eq!(call.ringback_type, Some(ytx::RingbackType::System));
    /// assert_eq!(call.set("ringbacktype", "9").unwrap_err().field(), Some("ringbacktype"));
    /// # Ok::<(), ytx::Error>(())
    /// ```
    #[doc(hidden)]
    pub fn set(&mut self, name: &str, value: &str) -> Result<()> {
        if name.is_empty() {
            return Err(Error::invalid("option_name", "must not be empty"));
        }
        self.set_by_wire_name(name, value)
    }

    /// Check every field; the error names the first bad one.
    pub fn validate(&self) -> Result<()> {
        self.wire("", "", &mut [0; 20]).map(|_| ())
    }

    /// The validated request as sent: phone numbers normalised, every
    /// value borrowed from `self` (or written into `digits`) rather than
    /// copied into a normalised clone of the call.
    fn wire<'a>(
        &'a self,
        action: &'a str,
        app_id: &'a str,
        digits: &'a mut [u8; 20],
    ) -> Result<CallbackWire<'a>> {
        let src = phone_str("src", &self.src)?;
        let dst = phone_str("dst", &self.dst)?;
        if self.credit <= 60 {
            return Err(Error::invalid(
                "credit",
                format!(
                    "must be a whole number of seconds greater than 60, got {}",
                    self.credit
                ),
            ));
        }
        let options = self.wire_options()?;
        Ok(CallbackWire {
            head: [
                ("action", action),
                ("appid", app_id),
                ("src", src),
                ("dst", dst),
                ("credit", decimal(self.credit.into(), digits)),
            ],
            options,
        })
    }

    /// Validate, then serialise to the wire JSON (every value a string).
    pub fn to_json(&self, action: &str, app_id: &str) -> Result<String> {
        let body = self.wire(action, app_id, &mut [0; 20])?.to_json();
        check_body(&body)?;
        Ok(body)
    }
}

/// A voice verification code (语音验证码): the platform calls `dst` and reads
/// out `code`.
///
/// ```
/// use ytx::VoiceCode;
/// let vc = VoiceCode::new("13800138000", "02160000000", "4096").times(2);
/// assert!(vc.validate().is_ok());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct VoiceCode {
    /// The number to call: mobile, or landline with area code.
    pub dst: String,
    /// Caller id the callee sees; empty to leave it out (optional: the
    /// platform currently shows the callee's own number, PROTOCOL.md).
    pub dst_clid: String,
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
            dst_clid: dstclid.into(),
            code: code.into(),
            times: None,
        }
    }

    /// The caller id the callee sees (`dstclid`); `""` leaves it out.
    #[must_use]
    pub fn dst_clid(mut self, dst_clid: impl Into<String>) -> Self {
        self.dst_clid = dst_clid.into();
        self
    }

    /// How many times the code is played, 1 to 3 (wire `time`); without it
    /// the platform plays it twice.
    #[must_use]
    pub fn times(mut self, times: u8) -> Self {
        self.times = Some(times);
        self
    }

    /// Check every field; the error names the first bad one.
    pub fn validate(&self) -> Result<()> {
        self.normalised().map(|_| ())
    }

    fn normalised(&self) -> Result<VoiceCode> {
        let dst = phone("dst", &self.dst)?;
        // Optional: empty means "not sent"; when given it must be a number.
        let dst_clid = match self.dst_clid.as_str() {
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
            dst_clid,
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
            dstclid: Some(v.dst_clid.as_str()).filter(|c| !c.is_empty()),
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
#[doc(hidden)]
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
#[doc(hidden)]
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

/// Free text (customParm, file names): not empty, no control characters,
/// at most [`MAX_TEXT_FIELD_BYTES`].
fn text(field: &str, v: &str) -> Result<()> {
    if v.is_empty() {
        return Err(Error::invalid(
            field,
            "must not be empty (leave it unset instead)",
        ));
    }
    if v.len() > MAX_TEXT_FIELD_BYTES {
        return Err(Error::invalid(
            field,
            format!(
                "is too long ({} bytes of UTF-8, at most {MAX_TEXT_FIELD_BYTES})",
                v.len()
            ),
        ));
    }
    if v.chars().any(char::is_control) {
        return Err(Error::invalid(field, "must not contain control characters"));
    }
    Ok(())
}

/// The longest free-text field, in bytes of UTF-8: `customParm` and every
/// file name (`srchintfile`, `dsthintfile`, `customhintfile`,
/// `dstfailhintfile`, `srcthresholdfile`, `dstthresholdfile`), and the
/// `customParm` a [`FindCall`] searches for.
///
/// PROTOCOL.md gives no limit; the platform's answer to a larger value is
/// not known (the emulator answers HTTP 413 past 1 MiB, which a client can
/// only report as *outcome unknown*). 1024 bytes is the library's choice:
/// it holds any order reference (a UUID is 36, a 64-character reference
/// fits sixteen times) and any file name (255 bytes on common file
/// systems), and keeps the whole body far below [`MAX_REQUEST_BODY_BYTES`].
/// A longer value is refused before anything is sent, naming the field.
///
/// ```
/// let call = ytx::CallbackCall::new("13800138000", "01085485069", 600)
///     .custom_parm("x".repeat(ytx::request::MAX_TEXT_FIELD_BYTES + 1));
/// assert_eq!(call.validate().unwrap_err().field(), Some("customParm"));
/// ```
pub const MAX_TEXT_FIELD_BYTES: usize = 1024;

/// The largest request body the library sends, in bytes: every valid
/// request fits (seven free-text fields at their maximum, each character
/// escaped, are 14 KiB); a larger body (an edited
/// [`PreparedRequest`](crate::PreparedRequest) given to
/// [`Client::send`](crate::Client::send)) is refused before anything is
/// sent, with an error naming `body`.
pub const MAX_REQUEST_BODY_BYTES: usize = 16 * 1024;

/// Refuse a body larger than [`MAX_REQUEST_BODY_BYTES`], naming `body`.
pub(crate) fn check_body(body: &str) -> Result<()> {
    if body.len() > MAX_REQUEST_BODY_BYTES {
        return Err(Error::invalid(
            "body",
            format!(
                "is too large ({} bytes, at most {MAX_REQUEST_BODY_BYTES})",
                body.len()
            ),
        ));
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
    phone_str(field, raw).map(str::to_string)
}

/// [`phone`] without the copy: the normalised number is always a part of
/// `raw` (all of it, or what follows `+86` / `0086`).
fn phone_str<'a>(field: &str, raw: &'a str) -> Result<&'a str> {
    if raw.is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    let international = raw.strip_prefix("+86").or_else(|| raw.strip_prefix("0086"));
    if let Some(rest) = international {
        if is_mobile(rest) {
            return Ok(rest);
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
    // By bytes: a digit is one byte, so the first byte that is not one
    // starts the first character that is not one.
    if let Some(i) = raw.bytes().position(|b| !b.is_ascii_digit()) {
        let c = raw[i..].chars().next().unwrap_or_default();
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
    Ok(raw)
}

fn is_mobile(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 11
        && b[0] == b'1'
        && (b'3'..=b'9').contains(&b[1])
        && b.iter().all(u8::is_ascii_digit)
}

/// The callback call's body: the required fields, then the options set, in
/// wire order, every value a JSON string.
/// `n` in decimal, written into `buf` (a u64 has at most 20 digits): the
/// credit and the Content-Length without a `String` (and `fmt`) per call.
pub(crate) fn decimal(mut n: u64, buf: &mut [u8; 20]) -> &str {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    std::str::from_utf8(&buf[i..]).expect("ASCII digits")
}

/// The optional fields of a callback call, by wire name and text, in wire
/// order; `None` for a field not set.
type WireOptions<'a> = [Option<(&'static str, Cow<'a, str>)>; CALLBACK_OPTION_NAMES.len()];

struct CallbackWire<'a> {
    head: [(&'static str, &'a str); 5],
    options: WireOptions<'a>,
}

impl CallbackWire<'_> {
    /// The JSON text, by serde_json, into a buffer of the size it takes
    /// when nothing needs escaping (`{`, `"k":"v"` and commas, `}`): one
    /// allocation instead of `to_string`'s 128 bytes grown once.
    fn to_json(&self) -> String {
        let pairs = self.head.iter().map(|(k, v)| (*k, *v));
        let options = self.options.iter().flatten();
        let size = pairs
            .chain(options.map(|(k, v)| (*k, v.as_ref())))
            .map(|(k, v)| k.len() + v.len() + 6)
            .sum::<usize>()
            + 1;
        let mut out = Vec::with_capacity(size);
        serde_json::to_writer(&mut out, self).expect("a struct of strings always serialises");
        String::from_utf8(out).expect("serde_json writes UTF-8")
    }
}

impl Serialize for CallbackWire<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let set = self.options.iter().flatten();
        let mut m = s.serialize_map(Some(self.head.len() + set.clone().count()))?;
        for (k, v) in &self.head {
            m.serialize_entry(k, v)?;
        }
        for (k, v) in set {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
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
    fn callback_json_bytes_keep_wire_order_and_escapes() {
        // Byte for byte (key order matters to the spec's examples): the
        // normalised legs, the options in wire order, serde_json's escapes.
        let c = CallbackCall::new("+8613800138000", "008613900139000", 4_294_967_295)
            .custom_parm("order \"42\" \\ 订单")
            .src_clid("02160000000")
            .ringback_type(RingbackType::Custom)
            .src_timeout(30u32)
            .call_status_check(false);
        assert_eq!(
            c.to_json("callDailBack", "app").unwrap(),
            r#"{"action":"callDailBack","appid":"app","src":"13800138000","dst":"13900139000","credit":"4294967295","customParm":"order \"42\" \\ 订单","srcclid":"02160000000","srctimeout":"30","ringbacktype":"3","iscallstatuscheck":"0"}"#
        );
    }

    #[test]
    fn decimal_writes_any_number() {
        for n in [0, 7, 61, 600, 1_000_000, u32::MAX.into(), u64::MAX] {
            assert_eq!(decimal(n, &mut [0; 20]), n.to_string());
        }
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
            dst_clid: "".into(),
            ..ok.clone()
        }
        .validate()
        .is_ok());
        assert_eq!(
            field_of(
                VoiceCode {
                    dst_clid: " ".into(),
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
