//! What happened to a call after it was accepted: call records (话单),
//! state pushes (状态推送), and the account balance (余额).
//!
//! Everything here is pure parsing of what the platform sends: the answers of
//! the call-record query (`CallCdr.wx`) and the balance query
//! (`getBlance.wx`), and the bodies the platform POSTs to the application's
//! callback URL. The queries themselves are methods of
//! [`Client`](crate::Client).
//!
//! # Leniency (PROTOCOL.md, "After a call is accepted")
//! These shapes come from field code, not from the vendor's documents, so
//! they are read leniently: a value may be a JSON string or a number (kept
//! exactly as sent: a 29-digit requestId or an amount of `0.31` is never
//! rounded through a float), a missing optional field is empty, and fields
//! this library does not know are kept and reachable by their wire name.
//! What matters is strict: a body that is not JSON, not an object, a `cdr`
//! that is not an array, or a record that is not an object is an
//! [`Error::Protocol`] naming what is wrong, and bodies are bounded in size.
//!
//! # Resolving an *outcome unknown*
//! When a call ends with [`Delivery::Unknown`](crate::Delivery)
//! the request was written but no valid answer came back: the platform may
//! or may not have placed the call, and there is no requestId. Do not place
//! it again blindly. Instead:
//! 1. Keep the requestId of a call you placed earlier (any call of the same
//!    app; `"0"` means "from the first record", which pages through
//!    everything).
//! 2. Give every call a unique `customParm` (an order id).
//! 3. After the call would have ended plus some seconds (the platform writes
//!    a record about 20 s after the call ends; field code polls every 10
//!    minutes as a fall-back), call
//!    [`Client::find_call`](crate::Client::find_call) with that customParm
//!    and the earlier requestId.
//! 4. `Some(record)`: the call was placed; do not place it again.
//!    `None`: no record yet. Once the platform has certainly had time to
//!    write it, that means the call was not placed and may be placed again.

use std::fmt;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

use crate::error::{Error, Result};

/// Largest push body or record-query answer read (a record is ~500 bytes).
pub const MAX_RECORDS_BYTES: usize = 4 * 1024 * 1024;
/// Largest `limit` of one record query.
pub const MAX_RECORDS_PER_QUERY: u32 = 1000;
/// The `fid` (product number) of the two-way callback call *(field)*.
pub const CALLBACK_FID: &str = "4";

/// The fields of a JSON object, each as text, in the order sent.
///
/// A JSON string is its text; a number is its exact decimal text; `true`,
/// `false` are those words; `null` is empty; an object or array is kept as
/// its raw JSON. A repeated key keeps its last value (as JSON parsers do).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Fields(Vec<(String, String)>);

impl Fields {
    /// The value of the field with this wire name, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value, or `None` when absent or empty.
    fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }

    /// Every field as `(wire name, text)`, in the order sent.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// How many fields there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn from_raw(raw: RawObject<'_>, what: &str) -> Result<Fields> {
        let mut out: Vec<(String, String)> = Vec::with_capacity(raw.0.len());
        for (k, v) in raw.0 {
            let text = raw_text(v).map_err(|e| protocol(format!("{what} field {k:?}: {e}")))?;
            match out.iter_mut().find(|(name, _)| *name == k) {
                Some(slot) => slot.1 = text,
                None => out.push((k, text)),
            }
        }
        Ok(Fields(out))
    }
}

impl fmt::Debug for Fields {
    /// Every field, except the recording's URL (`tapesurl`, a bearer URL:
    /// whoever has it can download the conversation), shown as `<redacted>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.iter().map(|(k, v)| {
                let shown = if k.eq_ignore_ascii_case("tapesurl") && v != "NoTapes" && !v.is_empty()
                {
                    crate::error::REDACTED
                } else {
                    v
                };
                (k, shown)
            }))
            .finish()
    }
}

/// A value's text (see [`Fields`]).
fn raw_text(v: &RawValue) -> std::result::Result<String, String> {
    let raw = v.get();
    match raw.as_bytes().first() {
        Some(b'"') => serde_json::from_str::<String>(raw).map_err(|e| e.to_string()),
        Some(b'n') => Ok(String::new()),
        _ => Ok(raw.to_string()),
    }
}

/// A JSON object read as `(key, raw value)` pairs, borrowing the input.
///
/// Deserialised with `deserialize_map` only, so a JSON array is refused
/// (serde would let a derived struct read one).
struct RawObject<'a>(Vec<(String, &'a RawValue)>);

impl<'de> Deserialize<'de> for RawObject<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawObject<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut m: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = m.next_entry::<String, &'de RawValue>()? {
                    out.push((k, v));
                }
                Ok(RawObject(out))
            }
        }
        d.deserialize_map(V)
    }
}

fn protocol(message: impl Into<String>) -> Error {
    Error::Protocol {
        message: message.into(),
        ticket: None,
    }
}

/// Parse a body into a JSON object of raw values, with the size bound.
fn object<'a>(body: &'a [u8], what: &str) -> Result<RawObject<'a>> {
    if body.len() > MAX_RECORDS_BYTES {
        return Err(protocol(format!(
            "{what} is larger than {MAX_RECORDS_BYTES} bytes"
        )));
    }
    let text = std::str::from_utf8(body).map_err(|_| protocol(format!("{what} is not UTF-8")))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    serde_json::from_str::<RawObject<'a>>(text).map_err(|e| {
        let kind = if e.is_data() {
            "not a JSON object"
        } else if e.is_eof() {
            "truncated JSON"
        } else {
            "not JSON"
        };
        protocol(format!(
            "{what} is {kind} (line {}, column {})",
            e.line(),
            e.column()
        ))
    })
}

/// An amount of money in yuan, kept exactly: the decimal text sent and whole
/// fen (1 yuan = 100 fen).
///
/// ```
/// let a = ytx::record::Amount::parse("0.31").unwrap();
/// assert_eq!((a.text(), a.fen()), ("0.31", 31));
/// assert_eq!(ytx::record::Amount::parse("7.1").unwrap().fen(), 710);
/// assert!(ytx::record::Amount::parse("0.315").is_none()); // not whole fen
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Amount {
    text: String,
    fen: i64,
}

impl Amount {
    /// An amount from decimal text (`-`? digits, then `.` and up to two
    /// digits; further digits only if they are zeros). `None` otherwise:
    /// exponents, signs other than a leading `-`, or fractions of a fen.
    pub fn parse(text: &str) -> Option<Amount> {
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !all_digits(whole) || !all_digits(frac) {
            return None;
        }
        if digits.ends_with('.') {
            return None;
        }
        if frac.len() > 2 && frac[2..].bytes().any(|b| b != b'0') {
            return None;
        }
        let mut cents = [b'0'; 2];
        for (slot, b) in cents.iter_mut().zip(frac.bytes()) {
            *slot = b;
        }
        let yuan: i64 = whole.parse().ok()?;
        let cents = i64::from(cents[0] - b'0') * 10 + i64::from(cents[1] - b'0');
        let fen = yuan.checked_mul(100)?.checked_add(cents)?;
        Some(Amount {
            text: text.to_string(),
            fen: if negative { -fen } else { fen },
        })
    }

    /// The decimal text as the platform sent it, e.g. `"0.31"`.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whole fen, e.g. `31` for `0.31` yuan.
    pub fn fen(&self) -> i64 {
        self.fen
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// A time the platform sent (UTC+8, China Standard Time): accepts
/// `yyyy-MM-dd HH:mm:ss` (also with `T`) and `yyyyMMddHHmmss`. `None` for
/// empty text or any other format.
///
/// ```
/// let t = ytx::record::parse_time("2020-04-28 14:51:37").unwrap();
/// assert_eq!(t.unix_timestamp(), 1588056697);
/// assert_eq!(ytx::record::parse_time("20200428145137"), Some(t));
/// assert_eq!(ytx::record::parse_time("28/04/2020"), None);
/// ```
pub fn parse_time(text: &str) -> Option<OffsetDateTime> {
    let b = text.as_bytes();
    let compact: Vec<u8> = match b.len() {
        19 if b[4] == b'-'
            && b[7] == b'-'
            && (b[10] == b' ' || b[10] == b'T')
            && b[13] == b':'
            && b[16] == b':' =>
        {
            [
                &b[0..4],
                &b[5..7],
                &b[8..10],
                &b[11..13],
                &b[14..16],
                &b[17..19],
            ]
            .concat()
        }
        14 => b.to_vec(),
        _ => return None,
    };
    if !compact.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = |r: std::ops::Range<usize>| -> u32 {
        compact[r]
            .iter()
            .fold(0, |acc, d| acc * 10 + u32::from(d - b'0'))
    };
    let month = Month::try_from(u8::try_from(n(4..6)).ok()?).ok()?;
    let date = Date::from_calendar_date(i32::try_from(n(0..4)).ok()?, month, n(6..8) as u8).ok()?;
    let time = Time::from_hms(n(8..10) as u8, n(10..12) as u8, n(12..14) as u8).ok()?;
    let cst = UtcOffset::from_hms(8, 0, 0).ok()?;
    Some(PrimitiveDateTime::new(date, time).assume_offset(cst))
}

/// One call record (话单, CDR), from the record query or a record push.
///
/// Two shapes exist (PROTOCOL.md): a two-way callback call's, with `caller`
/// / `called` and four times, and a one-leg call's (voice notice, and
/// presumably voice code), with `tel`, `stime`, `etime`. Accessors give the
/// known fields typed; [`CallRecord::get`] gives any field by its wire name.
///
/// ```
/// let push = ytx::parse_push(r#"{"cdr":[{"requestid":"20200437755811196850667520400",
///     "caller":"18610559223","called":"01053189990","duration":10,"oriamount":0.31,
///     "tapesurl":"NoTapes","customParm":"order-1","stateDesc":"应答|正常","extra":1}]}"#.as_bytes())?;
/// let ytx::Push::Records(records) = push else { unreachable!() };
/// let r = &records[0];
/// assert_eq!(r.request_id(), "20200437755811196850667520400");
/// assert_eq!(r.duration(), Some(10));
/// assert_eq!(r.amount().map(|a| a.fen()), Some(31));
/// assert_eq!(r.recording_url(), None);
/// assert_eq!(r.get("extra"), Some("1"));
/// # Ok::<(), ytx::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallRecord {
    fields: Fields,
    amount: Option<Amount>,
}

impl CallRecord {
    fn from_raw(raw: &RawValue, index: usize) -> Result<CallRecord> {
        let obj: RawObject<'_> = serde_json::from_str(raw.get())
            .map_err(|_| protocol(format!("cdr[{index}] is not a JSON object")))?;
        let fields = Fields::from_raw(obj, &format!("cdr[{index}]"))?;
        let amount = fields.non_empty("oriamount").and_then(Amount::parse);
        Ok(CallRecord { fields, amount })
    }

    /// Any field by its wire name (`requestid`, `tapesurl`, a field this
    /// library does not know...), as text.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields.get(name)
    }

    /// Every field, by wire name, in the order sent.
    pub fn fields(&self) -> &Fields {
        &self.fields
    }

    fn text(&self, name: &str) -> Option<&str> {
        self.fields.non_empty(name)
    }

    /// The call's requestId (`requestid`; empty if absent).
    pub fn request_id(&self) -> &str {
        self.text("requestid")
            .or_else(|| self.text("requestId"))
            .unwrap_or("")
    }

    /// The app id (`appid`).
    pub fn app_id(&self) -> Option<&str> {
        self.text("appid")
    }

    /// The product number (`fid`): `4` for a callback call.
    pub fn fid(&self) -> Option<&str> {
        self.text("fid")
    }

    /// Your own reference from the request (`customParm`).
    pub fn custom_parm(&self) -> Option<&str> {
        self.text("customParm").or_else(|| self.text("customparm"))
    }

    /// First leg (`caller`, the request's `src`) of a two-leg record.
    pub fn caller(&self) -> Option<&str> {
        self.text("caller")
    }

    /// Second leg (`called`, the request's `dst`) of a two-leg record.
    pub fn called(&self) -> Option<&str> {
        self.text("called")
    }

    /// The number called (`tel`) of a one-leg record.
    pub fn tel(&self) -> Option<&str> {
        self.text("tel")
    }

    /// A time field by wire name (`callerstime`, `calleretime`,
    /// `calledstime`, `calledetime`, `stime`, `etime`), parsed from UTC+8.
    /// `None` when absent, empty (it never happened) or not a known format
    /// (the text stays reachable with [`CallRecord::get`]).
    pub fn time(&self, name: &str) -> Option<OffsetDateTime> {
        self.text(name).and_then(parse_time)
    }

    /// When the first leg answered (`callerstime`).
    pub fn caller_answered(&self) -> Option<OffsetDateTime> {
        self.time("callerstime")
    }

    /// When the first leg hung up (`calleretime`).
    pub fn caller_ended(&self) -> Option<OffsetDateTime> {
        self.time("calleretime")
    }

    /// When the second leg answered (`calledstime`; `None`: it never did).
    pub fn called_answered(&self) -> Option<OffsetDateTime> {
        self.time("calledstime")
    }

    /// When the second leg hung up (`calledetime`).
    pub fn called_ended(&self) -> Option<OffsetDateTime> {
        self.time("calledetime")
    }

    /// The recording's URL (`tapesurl`); `None` for `NoTapes` or empty.
    pub fn recording_url(&self) -> Option<&str> {
        self.text("tapesurl").filter(|u| *u != "NoTapes")
    }

    /// Billed seconds (`duration`); `None` when absent or not a whole number.
    pub fn duration(&self) -> Option<u64> {
        let d = self.text("duration")?;
        d.parse()
            .ok()
            .or_else(|| d.strip_suffix(".0").and_then(|w| w.parse().ok()))
    }

    /// The charge (`oriamount`, yuan), exact; `None` when absent or not an
    /// amount of whole fen (the text stays reachable with [`CallRecord::get`]).
    pub fn amount(&self) -> Option<&Amount> {
        self.amount.as_ref()
    }

    /// The outcome in words (`stateDesc`), e.g. `应答|正常`.
    pub fn state_desc(&self) -> Option<&str> {
        self.text("stateDesc")
    }
}

/// The state of one leg in a state push (`state`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum CallState {
    /// `callout`: dialling.
    Callout,
    /// `alerting`: ringing.
    Alerting,
    /// `answer`: answered.
    Answer,
    /// `disconnect`: ended.
    Disconnect,
    /// Any other value, kept as sent.
    Unknown(String),
}

impl CallState {
    /// The state from its wire text.
    pub fn from_wire(text: &str) -> CallState {
        match text {
            "callout" => CallState::Callout,
            "alerting" => CallState::Alerting,
            "answer" => CallState::Answer,
            "disconnect" => CallState::Disconnect,
            other => CallState::Unknown(other.to_string()),
        }
    }

    /// The wire text, e.g. `"answer"`.
    pub fn as_str(&self) -> &str {
        match self {
            CallState::Callout => "callout",
            CallState::Alerting => "alerting",
            CallState::Answer => "answer",
            CallState::Disconnect => "disconnect",
            CallState::Unknown(s) => s,
        }
    }
}

impl fmt::Display for CallState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A state push: one leg of a call changed state.
///
/// ```
/// let push = ytx::parse_push(br#"{"requestid":"20200437755840048670965760400",
///     "dsc":"18610559223","state":"answer","stateDesc":"...","timestamp":"2020-04-28 14:51:37"}"#)?;
/// let ytx::Push::State(s) = push else { unreachable!() };
/// assert_eq!(s.state(), &ytx::CallState::Answer);
/// assert_eq!(s.number(), "18610559223");
/// assert_eq!(s.timestamp().map(|t| t.unix_timestamp()), Some(1588056697));
/// # Ok::<(), ytx::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatePush {
    fields: Fields,
    state: CallState,
}

impl StatePush {
    /// The call's requestId (`requestid`).
    pub fn request_id(&self) -> &str {
        self.fields
            .non_empty("requestid")
            .or_else(|| self.fields.non_empty("requestId"))
            .unwrap_or("")
    }

    /// The phone number of the leg this is about (`dsc`). Match it against
    /// the call's src/dst by suffix: the platform may add or drop a prefix.
    pub fn number(&self) -> &str {
        self.fields.get("dsc").unwrap_or("")
    }

    /// The leg's new state.
    pub fn state(&self) -> &CallState {
        &self.state
    }

    /// The platform's text for the state (`stateDesc`).
    pub fn state_desc(&self) -> &str {
        self.fields.get("stateDesc").unwrap_or("")
    }

    /// The `timestamp` as sent (UTC+8).
    pub fn timestamp_text(&self) -> &str {
        self.fields.get("timestamp").unwrap_or("")
    }

    /// The `timestamp` parsed from UTC+8, when it is in a known format.
    pub fn timestamp(&self) -> Option<OffsetDateTime> {
        parse_time(self.timestamp_text())
    }

    /// Any field by its wire name.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields.get(name)
    }

    /// Every field, by wire name, in the order sent.
    pub fn fields(&self) -> &Fields {
        &self.fields
    }
}

/// A body the platform POSTed to the application's callback URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Push {
    /// A state push (`{"requestid":..., "state":...}`).
    State(StatePush),
    /// A call-record push (`{"cdr":[...]}`), usually one record.
    Records(Vec<CallRecord>),
}

/// Parse a push body (the raw bytes of the POST the platform sent to your
/// callback URL). Pure: nothing is sent. Answer the platform's POST with
/// HTTP 200 at once, whatever this returns; pushes carry no signature, so
/// treat one as a hint and confirm what matters with
/// [`Client::call_record`](crate::Client::call_record).
///
/// An object with `cdr` is a record push (`cdr` must be an array of
/// objects); an object with `state` is a state push (it must have a
/// requestid). Anything else is an [`Error::InvalidPush`] naming the
/// problem (result code `YTX_ERR_PROTOCOL`; nothing was sent).
///
/// ```
/// assert!(ytx::parse_push(b"not json").is_err());
/// assert!(ytx::parse_push(br#"{"cdr":{}}"#).unwrap_err().to_string().contains("cdr"));
/// ```
pub fn parse_push(body: &[u8]) -> Result<Push> {
    parse_push_body(body).map_err(|e| match e {
        Error::Protocol { message, .. } => Error::InvalidPush { message },
        other => other,
    })
}

fn parse_push_body(body: &[u8]) -> Result<Push> {
    let obj = object(body, "push body")?;
    if let Some(cdr) = find(&obj, "cdr") {
        return records_of(cdr).map(Push::Records);
    }
    let fields = Fields::from_raw(obj, "push")?;
    let Some(state) = fields.get("state") else {
        return Err(protocol(
            "push body is neither a state push (no \"state\") nor a call-record push (no \"cdr\")",
        ));
    };
    let state = CallState::from_wire(state);
    let push = StatePush { fields, state };
    if push.request_id().is_empty() {
        return Err(protocol("state push has no requestid"));
    }
    Ok(Push::State(push))
}

fn find<'a>(obj: &RawObject<'a>, key: &str) -> Option<&'a RawValue> {
    // The last of repeated keys, as for every other field.
    obj.0.iter().rev().find(|(k, _)| k == key).map(|(_, v)| *v)
}

fn records_of(cdr: &RawValue) -> Result<Vec<CallRecord>> {
    let items: Vec<&RawValue> = match cdr.get().as_bytes().first() {
        Some(b'[') => serde_json::from_str(cdr.get())
            .map_err(|_| protocol("cdr is not an array of JSON values"))?,
        _ => return Err(protocol("cdr is not an array")),
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, raw)| CallRecord::from_raw(raw, i))
        .collect()
}

/// A `statusCode` other than `"0"` is the platform's refusal.
fn platform_refusal(obj: &RawObject<'_>) -> Result<()> {
    let Some(code) = find(obj, "statusCode") else {
        return Ok(());
    };
    let text = |v: Option<&RawValue>| {
        v.map(|v| raw_text(v).unwrap_or_default())
            .unwrap_or_default()
    };
    let status_code = text(Some(code));
    if status_code == "0" {
        return Ok(());
    }
    Err(Error::Platform {
        status_code,
        status_msg: text(find(obj, "statusMsg")),
        request_id: text(find(obj, "requestId")),
    })
}

/// Parse the answer of a call-record query (`CallCdr.wx`): `{"cdr":[...]}`.
/// A `statusCode` other than `"0"` is [`Error::Platform`]; no `cdr` is a
/// protocol error; `{"cdr":[]}` is "no record (yet)".
///
/// ```
/// assert!(ytx::record::parse_records(br#"{"cdr":[]}"#)?.is_empty());
/// let e = ytx::record::parse_records(br#"{"statusCode":"-203","statusMsg":"x"}"#).unwrap_err();
/// assert_eq!(e.status_code(), Some("-203"));
/// # Ok::<(), ytx::Error>(())
/// ```
pub fn parse_records(body: &[u8]) -> Result<Vec<CallRecord>> {
    let obj = object(body, "call-record answer")?;
    platform_refusal(&obj)?;
    match find(&obj, "cdr") {
        Some(cdr) => records_of(cdr),
        None => Err(protocol("call-record answer has no cdr")),
    }
}

/// The account's balance, from the balance query (`getBlance.wx`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Balance {
    amount: Amount,
    fields: Fields,
}

impl Balance {
    /// The balance in yuan, exact (`Blance`).
    pub fn amount(&self) -> &Amount {
        &self.amount
    }

    /// The account SID the platform answered for (`AccountSID`).
    pub fn account_sid(&self) -> Option<&str> {
        self.fields.non_empty("AccountSID")
    }

    /// Any field of the answer by its wire name.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields.get(name)
    }
}

/// Parse the answer of the balance query: `{"AccountSID":"...","Blance":7.08}`
/// (the platform's spelling). A `statusCode` other than `"0"` is
/// [`Error::Platform`]; a missing or malformed `Blance` a protocol error.
///
/// ```
/// let b = ytx::record::parse_balance(br#"{"AccountSID":"ee76","Blance":7.08}"#)?;
/// assert_eq!(b.amount().fen(), 708);
/// # Ok::<(), ytx::Error>(())
/// ```
pub fn parse_balance(body: &[u8]) -> Result<Balance> {
    let obj = object(body, "balance answer")?;
    platform_refusal(&obj)?;
    let fields = Fields::from_raw(obj, "balance answer")?;
    let text = fields
        .non_empty("Blance")
        .or_else(|| fields.non_empty("balance"))
        .ok_or_else(|| protocol("balance answer has no Blance"))?;
    let amount = Amount::parse(text)
        .ok_or_else(|| protocol(format!("Blance in the answer is not an amount: {text:?}")))?;
    Ok(Balance { amount, fields })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// PROTOCOL.md's record sample, exactly.
    const SAMPLE_RECORD: &str = r#"{"requestid":"20200437755811196850667520400","appid":"ff1f324a0604417c9c7f5f1186225fda",
 "fid":4,"caller":"18610559223","called":"01053189990",
 "callerstime":"2020-04-28 14:51:37","calleretime":"2020-04-28 14:51:47",
 "calledstime":"2020-04-28 14:51:43","calledetime":"2020-04-28 14:51:47",
 "tapesurl":"http://101.200.159.167:16214/.../20200428145126_xxx.mp3",
 "duration":10,"oriamount":0.31,"customParm":"order-id-123456","stateDesc":"应答|正常"}"#;

    fn one(body: &str) -> CallRecord {
        match parse_push(body.as_bytes()).unwrap() {
            Push::Records(mut r) => {
                assert_eq!(r.len(), 1);
                r.remove(0)
            }
            other => panic!("not a record push: {other:?}"),
        }
    }

    #[test]
    fn protocol_record_sample() {
        let r = one(&format!(r#"{{"cdr":[{SAMPLE_RECORD}]}}"#));
        assert_eq!(r.request_id(), "20200437755811196850667520400");
        assert_eq!(r.app_id(), Some("ff1f324a0604417c9c7f5f1186225fda"));
        assert_eq!(r.fid(), Some("4"));
        assert_eq!(r.caller(), Some("18610559223"));
        assert_eq!(r.called(), Some("01053189990"));
        assert_eq!(r.tel(), None);
        assert_eq!(r.duration(), Some(10));
        let a = r.amount().unwrap();
        assert_eq!((a.text(), a.fen()), ("0.31", 31));
        assert_eq!(r.custom_parm(), Some("order-id-123456"));
        assert_eq!(r.state_desc(), Some("应答|正常"));
        assert!(r.recording_url().unwrap().ends_with("_xxx.mp3"));
        // 2020-04-28 14:51:37 UTC+8 is 06:51:37 UTC.
        assert_eq!(r.caller_answered().unwrap().unix_timestamp(), 1_588_056_697);
        assert_eq!(r.caller_ended().unwrap().unix_timestamp(), 1_588_056_707);
        assert_eq!(r.called_answered().unwrap().unix_timestamp(), 1_588_056_703);
        assert_eq!(r.called_ended().unwrap().unix_timestamp(), 1_588_056_707);
        assert_eq!(r.fields().len(), 14);
    }

    #[test]
    fn one_leg_record_and_leniency() {
        let r = one(
            r#"{"cdr":[{"requestid":20200437755811196850667520401,"tel":"13800138000",
            "stime":"","etime":"20200428145147","duration":"0","oriamount":"0",
            "tapesurl":"NoTapes","stateDesc":"关机","newField":{"a":[1]},"flag":true,"nothing":null}]}"#,
        );
        // A 29-digit number stays exact (never through a float).
        assert_eq!(r.request_id(), "20200437755811196850667520401");
        assert_eq!(r.tel(), Some("13800138000"));
        assert_eq!(r.caller(), None);
        assert_eq!(r.time("stime"), None);
        assert_eq!(r.time("etime").unwrap().unix_timestamp(), 1_588_056_707);
        assert_eq!(r.duration(), Some(0));
        assert_eq!(r.amount().unwrap().fen(), 0);
        assert_eq!(r.recording_url(), None);
        assert_eq!(r.get("newField"), Some(r#"{"a":[1]}"#));
        assert_eq!(r.get("flag"), Some("true"));
        assert_eq!(r.get("nothing"), Some(""));
        assert_eq!(r.custom_parm(), None);
        // Missing optional fields are empty, not errors.
        let r = one(r#"{"cdr":[{}]}"#);
        assert_eq!(r.request_id(), "");
        assert_eq!((r.duration(), r.amount()), (None, None));
    }

    #[test]
    fn state_push_sample_and_unknown_state() {
        let p = parse_push(
            br#"{"requestid":"20200437755840048670965760400","dsc":"18610559223",
            "state":"answer","stateDesc":"...","timestamp":"2020-04-28 14:51:37"}"#,
        )
        .unwrap();
        let Push::State(s) = p else { panic!() };
        assert_eq!(s.request_id(), "20200437755840048670965760400");
        assert_eq!(s.number(), "18610559223");
        assert_eq!(s.state(), &CallState::Answer);
        assert_eq!(s.state_desc(), "...");
        assert_eq!(s.timestamp_text(), "2020-04-28 14:51:37");
        assert_eq!(s.timestamp().unwrap().unix_timestamp(), 1_588_056_697);

        let Push::State(s) = parse_push(
            "\u{feff}{\"requestid\":\"1\",\"state\":\"hold\",\"timestamp\":\"soon\",\"x\":2}"
                .as_bytes(),
        )
        .unwrap() else {
            panic!()
        };
        assert_eq!(s.state(), &CallState::Unknown("hold".into()));
        assert_eq!(s.state().as_str(), "hold");
        assert_eq!(s.timestamp(), None);
        assert_eq!(s.timestamp_text(), "soon");
        assert_eq!(s.get("x"), Some("2"));
        for (w, st) in [
            ("callout", CallState::Callout),
            ("alerting", CallState::Alerting),
            ("disconnect", CallState::Disconnect),
        ] {
            assert_eq!(CallState::from_wire(w), st);
            assert_eq!(st.as_str(), w);
        }
    }

    #[test]
    fn garbage_is_a_protocol_error_naming_the_problem() {
        let msg = |b: &[u8]| match parse_push(b) {
            Err(e @ Error::InvalidPush { .. }) => {
                assert_eq!(e.code(), crate::ErrorCode::Protocol);
                assert_eq!(e.delivery(), crate::Delivery::NotSent);
                assert!(e.to_string().starts_with("not a push: "), "{e}");
                let Error::InvalidPush { message } = e else {
                    unreachable!()
                };
                message
            }
            other => panic!("{other:?}"),
        };
        assert!(msg(b"").contains("truncated"), "{}", msg(b""));
        assert!(msg(b"hello").contains("not JSON"));
        assert!(msg(b"[1,2]").contains("not a JSON object"));
        assert!(msg(b"\"x\"").contains("not a JSON object"));
        assert!(msg(b"{\"cdr\":1").contains("truncated"));
        assert!(msg(br#"{"cdr":{"a":1}}"#).contains("cdr is not an array"));
        assert!(msg(br#"{"cdr":[1]}"#).contains("cdr[0] is not a JSON object"));
        assert!(msg(br#"{"cdr":[{}, []]}"#).contains("cdr[1]"));
        assert!(msg(br#"{"state":"answer"}"#).contains("requestid"));
        assert!(msg(br#"{"a":1}"#).contains("neither"));
        assert!(msg(b"\xff\xfe").contains("UTF-8"));
        let big = vec![b' '; MAX_RECORDS_BYTES + 1];
        assert!(msg(&big).contains("larger"));
    }

    #[test]
    fn repeated_keys_keep_the_last() {
        let Push::State(s) =
            parse_push(br#"{"requestid":"1","state":"answer","state":"disconnect"}"#).unwrap()
        else {
            panic!()
        };
        assert_eq!(s.state(), &CallState::Disconnect);
        assert_eq!(s.fields().len(), 2);
    }

    #[test]
    fn amounts() {
        for (t, fen) in [
            ("0.31", 31),
            ("0", 0),
            ("7.08", 708),
            ("7.1", 710),
            ("12", 1200),
            ("0.310", 31),
            ("-1.5", -150),
            ("100000000.00", 10_000_000_000),
        ] {
            assert_eq!(Amount::parse(t).map(|a| a.fen()), Some(fen), "{t}");
        }
        for t in [
            "",
            ".5",
            "1.",
            "0.315",
            "3.1e-1",
            "+1",
            "1,5",
            "abc",
            "--1",
            "99999999999999999999",
        ] {
            assert_eq!(Amount::parse(t), None, "{t}");
        }
    }

    #[test]
    fn times() {
        assert_eq!(
            parse_time("2020-04-28T14:51:37").unwrap().unix_timestamp(),
            1_588_056_697
        );
        for t in [
            "",
            "2020-13-28 14:51:37",
            "2020-02-30 00:00:00",
            "2020-04-28 24:00:00",
            "2020-04-28 14:51",
            "2020042814513a",
        ] {
            assert_eq!(parse_time(t), None, "{t}");
        }
    }

    #[test]
    fn record_query_answers() {
        assert!(parse_records(br#"{"cdr":[]}"#).unwrap().is_empty());
        let r = parse_records(
            format!(r#"{{"statusCode":"0","cdr":[{SAMPLE_RECORD},{SAMPLE_RECORD}]}}"#).as_bytes(),
        )
        .unwrap();
        assert_eq!(r.len(), 2);
        let e = parse_records(br#"{"statusCode":"-202","statusMsg":"expired","requestId":""}"#)
            .unwrap_err();
        assert_eq!(e.status_code(), Some("-202"));
        // A numeric statusCode is still the platform's refusal.
        assert_eq!(
            parse_records(br#"{"statusCode":-104}"#)
                .unwrap_err()
                .status_code(),
            Some("-104")
        );
        assert!(matches!(
            parse_records(br#"{"statusCode":"0"}"#),
            Err(Error::Protocol { .. })
        ));
        assert!(matches!(
            parse_records(br#"{"cdr":null}"#),
            Err(Error::Protocol { .. })
        ));
    }

    #[test]
    fn balance_answers() {
        let b =
            parse_balance(br#"{"AccountSID":"ee76c8fe84364a5f8623bc4528debe30","Blance":7.08}"#)
                .unwrap();
        assert_eq!((b.amount().text(), b.amount().fen()), ("7.08", 708));
        assert_eq!(b.account_sid(), Some("ee76c8fe84364a5f8623bc4528debe30"));
        assert_eq!(
            parse_balance(br#"{"Blance":"-0.50","statusCode":"0"}"#)
                .unwrap()
                .amount()
                .fen(),
            -50
        );
        assert_eq!(
            parse_balance(br#"{"statusCode":"-200","statusMsg":"no"}"#)
                .unwrap_err()
                .status_code(),
            Some("-200")
        );
        assert!(matches!(
            parse_balance(br#"{"AccountSID":"x"}"#),
            Err(Error::Protocol { .. })
        ));
        assert!(matches!(
            parse_balance(br#"{"Blance":"lots"}"#),
            Err(Error::Protocol { .. })
        ));
    }
}
