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
//! # A push is unauthenticated input
//! Anyone who finds the callback URL can POST to it, so parsing is bounded
//! whatever the body's shape: at most [`MAX_RECORDS_BYTES`] and
//! [`MAX_RECORDS_PER_BODY`] records; linear time plus one sort of the field
//! names (a 4 MiB body of hundreds of thousands of keys, deep nesting, long
//! strings or escapes parses or is refused in milliseconds; `bash
//! benches/run.sh --pushes`); about the body's size again in memory. An
//! oddity in a field the library does not read (a lone surrogate, a NUL,
//! deep nesting) never rejects the push: see [`Fields`]. Route a push by
//! the query key of its URL with [`parse_push_routed`].
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
//! 3. Pass the error (or its saved [`Ticket`](crate::Ticket)) to
//!    [`Client::resolve`](crate::Client::resolve): it pages through the
//!    records after that requestId, looking for the customParm.
//! 4. Placed: do not place it again. Not placed: only once PROTOCOL.md's
//!    bound has passed (sent time + `srctimeout` + `dsttimeout` + `credit` +
//!    60 s: a record is written only after the call ends), so it may be
//!    placed again. Not known yet: ask again at the time it gives.
//!    ([`Client::find_call`](crate::Client::find_call) answers only "a
//!    record, or none yet": its `None` is never "not placed" by itself.)

use std::borrow::Cow;
use std::ffi::CStr;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
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
/// its raw JSON. A repeated key keeps its last value (as JSON parsers do),
/// at the place of its first. Text is read leniently: an escaped lone
/// surrogate (`"\ud800"`) becomes U+FFFD, and so does a NUL character
/// (`"\u0000"`), in every language, so a field the library does not read
/// can never make a push unreadable.
///
/// Built in linear time plus one sort of the names (a 4 MiB body of
/// hundreds of thousands of keys takes milliseconds), and held compactly:
/// every name and value in one buffer, each followed by a NUL so that the
/// C ABI can hand them out without copying.
#[derive(Clone, Default)]
pub struct Fields {
    /// Every name and value, each followed by `\0`.
    text: String,
    /// Per field, in the order sent: the ranges of its name and its value.
    spans: Vec<Span>,
    /// Indexes into `spans`, sorted by name (names are unique).
    by_name: Vec<u32>,
}

#[derive(Clone, Copy, Debug)]
struct Span {
    name: (u32, u32),
    value: (u32, u32),
}

impl Fields {
    /// The value of the field with this wire name, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.position(name).map(|i| self.value_at(i))
    }

    /// The value, or `None` when absent or empty.
    fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }

    /// Every field as `(wire name, text)`, in the order sent.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        (0..self.spans.len()).map(|i| (self.name_at(i), self.value_at(i)))
    }

    /// How many fields there are.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    fn slice(&self, (start, end): (u32, u32)) -> &str {
        &self.text[start as usize..end as usize]
    }

    fn name_at(&self, i: usize) -> &str {
        self.slice(self.spans[i].name)
    }

    fn value_at(&self, i: usize) -> &str {
        self.slice(self.spans[i].value)
    }

    fn position(&self, name: &str) -> Option<usize> {
        self.by_name
            .binary_search_by(|&i| self.name_at(i as usize).cmp(name))
            .ok()
            .map(|k| self.by_name[k] as usize)
    }

    /// `text` as a C string without copying, when it is a name or value of
    /// these fields (or a part of one that runs to its end), as every text
    /// accessor of a record or push returns: each is followed by a NUL in
    /// the buffer and holds none. For the C ABI.
    pub(crate) fn c_str(&self, text: &str) -> Option<&CStr> {
        let base = self.text.as_ptr() as usize;
        let start = (text.as_ptr() as usize).checked_sub(base)?;
        let end = start + text.len();
        if end >= self.text.len() {
            return None;
        }
        CStr::from_bytes_with_nul(&self.text.as_bytes()[start..=end]).ok()
    }

    /// Append one field (a NUL goes after the name and after the value).
    fn push(&mut self, name: &str, value: &str) -> std::result::Result<(), String> {
        if self.text.len() + name.len() + value.len() + 2 > u32::MAX as usize {
            return Err("too large".into());
        }
        let name = self.append(name);
        let value = self.append(value);
        self.spans.push(Span { name, value });
        Ok(())
    }

    fn append(&mut self, s: &str) -> (u32, u32) {
        let start = self.text.len() as u32;
        if s.contains('\0') {
            self.text.push_str(&s.replace('\0', "\u{FFFD}"));
        } else {
            self.text.push_str(s);
        }
        let end = self.text.len() as u32;
        self.text.push('\0');
        (start, end)
    }

    /// Sort the names; a repeated name keeps the last value at the place of
    /// the first. O(n log n) comparisons, never O(n²).
    fn finish(mut self) -> Fields {
        let mut order: Vec<u32> = (0..self.spans.len() as u32).collect();
        // Stable: equal names stay in the order sent.
        order.sort_by(|&a, &b| self.name_at(a as usize).cmp(self.name_at(b as usize)));
        let mut dead = vec![false; 0];
        let mut k = 0;
        while k < order.len() {
            let mut j = k + 1;
            while j < order.len()
                && self.name_at(order[j] as usize) == self.name_at(order[k] as usize)
            {
                j += 1;
            }
            if j - k > 1 {
                if dead.is_empty() {
                    dead = vec![false; self.spans.len()];
                }
                let (first, last) = (order[k] as usize, order[j - 1] as usize);
                self.spans[first].value = self.spans[last].value;
                for &other in &order[k + 1..j] {
                    dead[other as usize] = true;
                }
            }
            k = j;
        }
        if dead.is_empty() {
            self.by_name = order;
            return self;
        }
        // Drop the repeats, keeping the order sent, and index again.
        let mut new_index = vec![u32::MAX; self.spans.len()];
        let mut kept = Vec::with_capacity(self.spans.len());
        for (i, span) in self.spans.iter().enumerate() {
            if !dead[i] {
                new_index[i] = kept.len() as u32;
                kept.push(*span);
            }
        }
        self.spans = kept;
        self.by_name = order
            .into_iter()
            .filter(|&i| !dead[i as usize])
            .map(|i| new_index[i as usize])
            .collect();
        self
    }
}

impl PartialEq for Fields {
    fn eq(&self, other: &Fields) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for Fields {}

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

/// JSON string bytes as serde_json reads them without validation (WTF-8: an
/// escaped lone surrogate is its 3-byte encoding) to UTF-8: each surrogate
/// becomes one U+FFFD, and anything else invalid too (it cannot occur: the
/// body was valid UTF-8).
fn lenient_text(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => {
            let mut fixed = Vec::with_capacity(bytes.len());
            let mut i = 0;
            while i < bytes.len() {
                // A surrogate's encoding: ED A0..BF 80..BF.
                if bytes[i] == 0xED && i + 2 < bytes.len() && (0xA0..=0xBF).contains(&bytes[i + 1])
                {
                    fixed.extend_from_slice("\u{FFFD}".as_bytes());
                    i += 3;
                } else {
                    fixed.push(bytes[i]);
                    i += 1;
                }
            }
            Cow::Owned(String::from_utf8_lossy(&fixed).into_owned())
        }
    }
}

/// A JSON string's text, read leniently (see [`Fields`]).
struct LenientString<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for LenientString<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LenientString<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON string")
            }
            fn visit_borrowed_bytes<E>(self, v: &'de [u8]) -> std::result::Result<Self::Value, E> {
                Ok(LenientString(lenient_text(v)))
            }
            fn visit_bytes<E>(self, v: &[u8]) -> std::result::Result<Self::Value, E> {
                Ok(LenientString(Cow::Owned(lenient_text(v).into_owned())))
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> std::result::Result<Self::Value, E> {
                Ok(LenientString(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> std::result::Result<Self::Value, E> {
                Ok(LenientString(Cow::Owned(v.to_string())))
            }
        }
        // Bytes: serde_json then does not refuse a lone surrogate.
        d.deserialize_bytes(V)
    }
}

/// A value's text (see [`Fields`]).
fn raw_text(v: &RawValue) -> Cow<'_, str> {
    let raw = v.get();
    match raw.as_bytes().first() {
        Some(b'"') if !raw.contains('\\') => Cow::Borrowed(&raw[1..raw.len() - 1]),
        Some(b'"') => serde_json::from_str::<LenientString<'_>>(raw)
            .map(|s| s.0)
            // Cannot happen: serde_json checked the string when it read it.
            .unwrap_or(Cow::Borrowed("")),
        Some(b'n') => Cow::Borrowed(""),
        _ => Cow::Borrowed(raw),
    }
}

/// A JSON object read into [`Fields`], keeping the raw value of one key
/// (`cdr`) for a second look.
///
/// Deserialised with `deserialize_map` only, so a JSON array is refused
/// (serde would let a derived struct read one).
struct Object<'a> {
    fields: Fields,
    raw: Option<&'a RawValue>,
}

struct ObjectSeed {
    keep_raw: Option<&'static str>,
}

impl<'de> DeserializeSeed<'de> for ObjectSeed {
    type Value = Object<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Object<'de>, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ObjectSeed {
    type Value = Object<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> std::result::Result<Self::Value, A::Error> {
        let mut fields = Fields::default();
        let mut raw = None;
        while let Some(LenientString(k)) = m.next_key::<LenientString<'de>>()? {
            let v: &'de RawValue = m.next_value()?;
            if Some(k.as_ref()) == self.keep_raw {
                raw = Some(v);
            }
            fields
                .push(&k, &raw_text(v))
                .map_err(serde::de::Error::custom)?;
        }
        Ok(Object {
            fields: fields.finish(),
            raw,
        })
    }
}

fn protocol(message: impl Into<String>) -> Error {
    Error::Protocol {
        message: message.into(),
        ticket: None,
    }
}

/// Parse a body into a JSON object's fields (and the raw value of
/// `keep_raw`), with the size bound.
fn object<'a>(body: &'a [u8], what: &str, keep_raw: Option<&'static str>) -> Result<Object<'a>> {
    if body.len() > MAX_RECORDS_BYTES {
        return Err(protocol(format!(
            "{what} is larger than {MAX_RECORDS_BYTES} bytes"
        )));
    }
    let text = std::str::from_utf8(body).map_err(|_| protocol(format!("{what} is not UTF-8")))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut de = serde_json::Deserializer::from_str(text);
    let parsed = ObjectSeed { keep_raw }
        .deserialize(&mut de)
        .and_then(|o| de.end().map(|()| o));
    parsed.map_err(|e| {
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
        let mut de = serde_json::Deserializer::from_str(raw.get());
        let fields = ObjectSeed { keep_raw: None }
            .deserialize(&mut de)
            .map_err(|_| protocol(format!("cdr[{index}] is not a JSON object")))?
            .fields;
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
    parse_push_body(body, None).map_err(as_invalid_push)
}

fn parse_push_body(body: &[u8], route: Option<PushKind>) -> Result<Push> {
    let Object { fields, raw } = object(body, "push body", Some("cdr"))?;
    let kind = match (route, raw.is_some(), fields.get("state").is_some()) {
        (Some(PushKind::Records), false, _) => {
            return Err(protocol(
                "the URL says a call-record push (?Call) but the body has no \"cdr\"",
            ))
        }
        (Some(PushKind::State), true, _) => {
            return Err(protocol(
                "the URL says a state push (?CallState) but the body has a \"cdr\"",
            ))
        }
        (Some(kind), _, _) => kind,
        (None, true, _) => PushKind::Records,
        (None, false, true) => PushKind::State,
        (None, false, false) => return Err(protocol(
            "push body is neither a state push (no \"state\") nor a call-record push (no \"cdr\")",
        )),
    };
    if kind == PushKind::Records {
        return match raw {
            Some(cdr) => records_of(cdr).map(Push::Records),
            None => Err(protocol("call-record push has no \"cdr\"")),
        };
    }
    let Some(state) = fields.get("state") else {
        return Err(protocol("state push has no \"state\""));
    };
    let state = CallState::from_wire(state);
    let push = StatePush { fields, state };
    if push.request_id().is_empty() {
        return Err(protocol("state push has no requestid"));
    }
    Ok(Push::State(push))
}

/// Which push a request to the callback URL carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PushKind {
    /// A state push (`?CallState`, or a body with `state`).
    State,
    /// A call-record push (`?Call`, or a body with `cdr`).
    Records,
}

/// The push a request to the callback URL announces with its query key
/// (PROTOCOL.md, "Which push it is"): `?Call` is a call-record push,
/// `?CallState` a state push. `target` is the request target
/// (`/path?CallState`) or the query alone (`CallState`); the key may be
/// bare or have a value, among other parameters (its case as the platform
/// sends it).
///
/// `Ok(None)` when there is no such key (route on the body's shape then);
/// an [`Error::InvalidPush`] for `?SMS` (an SMS report, another product)
/// or both keys at once.
///
/// ```
/// use ytx::record::{push_route, PushKind};
/// assert_eq!(push_route("/ytx/push?Call").unwrap(), Some(PushKind::Records));
/// assert_eq!(push_route("CallState").unwrap(), Some(PushKind::State));
/// assert_eq!(push_route("/ytx/push").unwrap(), None);
/// assert!(push_route("/ytx/push?SMS").is_err());
/// ```
pub fn push_route(target: &str) -> Result<Option<PushKind>> {
    let query = match target.split_once('?') {
        Some((_, q)) => q,
        None if target.starts_with('/') => "",
        None => target,
    };
    let query = query.split('#').next().unwrap_or("");
    let mut found = None;
    for param in query.split('&') {
        let key = param.split('=').next().unwrap_or("");
        let kind = if key == "Call" {
            PushKind::Records
        } else if key == "CallState" {
            PushKind::State
        } else if key == "SMS" {
            return Err(invalid_push(
                "the URL says an SMS report (?SMS), not a push of a call".into(),
            ));
        } else {
            continue;
        };
        if found.is_some_and(|f| f != kind) {
            return Err(invalid_push(
                "the URL says both a call-record push (?Call) and a state push (?CallState)".into(),
            ));
        }
        found = Some(kind);
    }
    Ok(found)
}

fn invalid_push(message: String) -> Error {
    Error::InvalidPush { message }
}

/// [`parse_push`], routed as PROTOCOL.md says: by the query key of the
/// request the push came in (`?Call`: a call-record push, `?CallState`: a
/// state push; see [`push_route`]), and by the body's shape when there is
/// none. `target` is the request target (`/path?Call`) or its query alone;
/// `""` routes by shape. A body that does not match its key is an
/// [`Error::InvalidPush`] saying so.
///
/// ```
/// let push = ytx::record::parse_push_routed(br#"{"cdr":[{"requestid":"1"}]}"#, "/ytx/push?Call")?;
/// assert!(matches!(push, ytx::Push::Records(_)));
/// let wrong = ytx::record::parse_push_routed(br#"{"cdr":[]}"#, "/ytx/push?CallState");
/// assert!(wrong.unwrap_err().to_string().contains("?CallState"));
/// # Ok::<(), ytx::Error>(())
/// ```
pub fn parse_push_routed(body: &[u8], target: &str) -> Result<Push> {
    let route = push_route(target)?;
    parse_push_body(body, route).map_err(as_invalid_push)
}

fn as_invalid_push(e: Error) -> Error {
    match e {
        Error::Protocol { message, .. } => Error::InvalidPush { message },
        other => other,
    }
}

/// The largest number of records one body may hold: a push holds one, a
/// query answers at most [`MAX_RECORDS_PER_QUERY`]. A body with more is a
/// protocol error (a flood of empty records would otherwise cost far more
/// memory than its bytes).
pub const MAX_RECORDS_PER_BODY: usize = 10 * MAX_RECORDS_PER_QUERY as usize;

fn records_of(cdr: &RawValue) -> Result<Vec<CallRecord>> {
    struct Items;
    impl<'de> Visitor<'de> for Items {
        type Value = std::result::Result<Vec<&'de RawValue>, ()>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an array")
        }
        fn visit_seq<A: SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> std::result::Result<Self::Value, A::Error> {
            let mut items = Vec::new();
            while let Some(item) = seq.next_element::<&'de RawValue>()? {
                if items.len() == MAX_RECORDS_PER_BODY {
                    // Read the rest (it must still be JSON), keeping nothing.
                    while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                    return Ok(Err(()));
                }
                items.push(item);
            }
            Ok(Ok(items))
        }
    }
    if cdr.get().as_bytes().first() != Some(&b'[') {
        return Err(protocol("cdr is not an array"));
    }
    let mut de = serde_json::Deserializer::from_str(cdr.get());
    let items = de
        .deserialize_seq(Items)
        .map_err(|_| protocol("cdr is not an array of JSON values"))?
        .map_err(|()| {
            protocol(format!(
                "cdr holds more than {MAX_RECORDS_PER_BODY} records"
            ))
        })?;
    items
        .into_iter()
        .enumerate()
        .map(|(i, raw)| CallRecord::from_raw(raw, i))
        .collect()
}

/// A `statusCode` other than `"0"` is the platform's refusal.
fn platform_refusal(fields: &Fields) -> Result<()> {
    let Some(status_code) = fields.get("statusCode") else {
        return Ok(());
    };
    if status_code == "0" {
        return Ok(());
    }
    let text = |name: &str| fields.get(name).unwrap_or_default().to_string();
    Err(Error::Platform {
        status_code: status_code.to_string(),
        status_msg: text("statusMsg"),
        request_id: text("requestId"),
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
    let obj = object(body, "call-record answer", Some("cdr"))?;
    platform_refusal(&obj.fields)?;
    match obj.raw {
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
    let fields = object(body, "balance answer", None)?.fields;
    platform_refusal(&fields)?;
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
    fn oddities_in_fields_not_read_never_reject_the_push() {
        // A lone surrogate (leading, trailing, in a key), a NUL, deep
        // nesting: all in fields the library does not read.
        let deep = format!("{}{}", "[".repeat(1000), "]".repeat(1000));
        let body = format!(
            r#"{{"requestid":"7","state":"answer","x":"a\ud800b","y":"\udc00","\ud83d":1,"z":"n\u0000l","d":{deep},"ok":"\ud83d\ude00"}}"#
        );
        let Push::State(s) = parse_push(body.as_bytes()).unwrap() else {
            panic!()
        };
        assert_eq!(s.request_id(), "7");
        assert_eq!(s.get("x"), Some("a\u{FFFD}b"));
        assert_eq!(s.get("y"), Some("\u{FFFD}"));
        assert_eq!(s.get("\u{FFFD}"), Some("1"));
        assert_eq!(s.get("z"), Some("n\u{FFFD}l"));
        assert_eq!(s.get("d").map(str::len), Some(2000));
        assert_eq!(s.get("ok"), Some("😀"));
        // The same in a record.
        let r = one(r#"{"cdr":[{"requestid":"8","stateDesc":"\ud800","k\udfff":"v"}]}"#);
        assert_eq!(r.request_id(), "8");
        assert_eq!(r.state_desc(), Some("\u{FFFD}"));
        assert_eq!(r.get("k\u{FFFD}"), Some("v"));
        // Still JSON is required: a bad escape is not JSON.
        assert!(parse_push(br#"{"requestid":"7","state":"x","x":"\q"}"#).is_err());
        // Trailing garbage after the object is not a push either.
        assert!(parse_push(br#"{"requestid":"7","state":"x"} x"#).is_err());
    }

    #[test]
    fn a_time_out_of_everyday_range_keeps_its_text() {
        // .NET's unset date: representable here (the bindings leave their
        // parsed value empty when their language cannot hold it).
        let Push::State(s) =
            parse_push(br#"{"requestid":"1","state":"answer","timestamp":"0001-01-01 00:00:00"}"#)
                .unwrap()
        else {
            panic!()
        };
        assert_eq!(s.timestamp_text(), "0001-01-01 00:00:00");
        assert_eq!(
            s.timestamp().map(|t| t.unix_timestamp()),
            Some(-62_135_596_800 - 8 * 3600)
        );
    }

    #[test]
    #[cfg_attr(miri, ignore)] // 10 000 records: slow under Miri
    fn many_records_are_refused_beyond_the_bound() {
        let body = |n: usize| format!("{{\"cdr\":[{}{{}}]}}", "{},".repeat(n - 1));
        match parse_push(body(MAX_RECORDS_PER_BODY).as_bytes()).unwrap() {
            Push::Records(r) => assert_eq!(r.len(), MAX_RECORDS_PER_BODY),
            other => panic!("{other:?}"),
        }
        let e = parse_push(body(MAX_RECORDS_PER_BODY + 1).as_bytes()).unwrap_err();
        assert!(e.to_string().contains("more than 10000 records"), "{e}");
        // What follows the bound must still be JSON.
        let bad = format!("{{\"cdr\":[{}x]}}", "{},".repeat(MAX_RECORDS_PER_BODY + 1));
        assert!(!parse_push(bad.as_bytes())
            .unwrap_err()
            .to_string()
            .contains("more than"));
        assert!(parse_records(body(MAX_RECORDS_PER_BODY + 1).as_bytes()).is_err());
    }

    #[test]
    fn routing_by_the_query_key() {
        let state = br#"{"requestid":"1","state":"answer"}"#;
        let record = br#"{"cdr":[{"requestid":"1"}]}"#;
        for target in ["", "/ytx/push", "/p?x=1", "/p?call", "/p?Calls"] {
            assert!(
                matches!(parse_push_routed(state, target), Ok(Push::State(_))),
                "{target}"
            );
            assert!(
                matches!(parse_push_routed(record, target), Ok(Push::Records(_))),
                "{target}"
            );
        }
        for target in ["/p?Call", "Call", "/p?a=1&Call", "/p?Call=", "/p?Call#f"] {
            assert_eq!(
                push_route(target).unwrap(),
                Some(PushKind::Records),
                "{target}"
            );
            assert!(matches!(
                parse_push_routed(record, target),
                Ok(Push::Records(_))
            ));
            let e = parse_push_routed(state, target).unwrap_err();
            assert!(matches!(e, Error::InvalidPush { .. }), "{e:?}");
            assert!(e.to_string().contains("?Call"), "{e}");
        }
        for target in ["/p?CallState", "CallState", "/p?CallState&x"] {
            assert_eq!(
                push_route(target).unwrap(),
                Some(PushKind::State),
                "{target}"
            );
            assert!(matches!(
                parse_push_routed(state, target),
                Ok(Push::State(_))
            ));
            let e = parse_push_routed(record, target).unwrap_err();
            assert!(e.to_string().contains("?CallState"), "{e}");
        }
        // A state push body that lacks its state, routed as one.
        let e = parse_push_routed(br#"{"requestid":"1"}"#, "?CallState").unwrap_err();
        assert!(e.to_string().contains("no \"state\""), "{e}");
        for target in ["/p?SMS", "/p?Call&CallState"] {
            let e = parse_push_routed(state, target).unwrap_err();
            assert!(matches!(e, Error::InvalidPush { .. }), "{e:?}");
        }
    }

    #[test]
    fn fields_keep_order_and_last_value_in_linear_time() {
        // Repeats keep the first place and the last value.
        let Push::State(s) = parse_push(
            br#"{"b":"1","requestid":"9","a":"x","b":"2","state":"answer","a":"y","b":"3"}"#,
        )
        .unwrap() else {
            panic!()
        };
        let got: Vec<_> = s.fields().iter().collect();
        assert_eq!(
            got,
            [
                ("b", "3"),
                ("requestid", "9"),
                ("a", "y"),
                ("state", "answer")
            ]
        );
        assert_eq!(s.fields().get("missing"), None);
    }

    /// The worst shapes of a 4 MiB push, each checked for what it parses to.
    /// Speed is measured by `bash benches/run.sh --pushes`; here a wide
    /// deadline only catches a hang (the quadratic key check took minutes).
    #[test]
    #[cfg_attr(miri, ignore)]
    fn hostile_4_mib_shapes_parse_or_are_refused() {
        use std::sync::mpsc;
        use std::time::Duration;
        const SIZE: usize = 4 * 1024 * 1024 - 64;
        let head = r#"{"requestid":"1","state":"answer""#;
        let mut many = String::from(head);
        let mut i = 0;
        while many.len() < SIZE - 20 {
            many.push_str(&format!(",\"k{i}\":{i}"));
            i += 1;
        }
        many.push('}');
        let keys = i + 2;
        let mut dups = String::from(head);
        while dups.len() < SIZE - 20 {
            dups.push_str(",\"state\":\"alerting\"");
        }
        dups.push('}');
        let escapes = format!(
            "{head},\"x\":\"{}\"}}",
            "\\u0041\\ud800".repeat((SIZE - 60) / 12)
        );
        let deep = format!(
            "{head},\"x\":{}{}}}",
            "[".repeat(SIZE / 2 - 40),
            "]".repeat(SIZE / 2 - 40)
        );
        let empties = format!("{{\"cdr\":[{}{{}}]}}", "{},".repeat((SIZE - 20) / 3));
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let fields = |b: &str| match parse_push(b.as_bytes()) {
                Ok(Push::State(s)) => Ok(s.fields().len()),
                Ok(Push::Records(r)) => Ok(r.len()),
                Err(e) => Err(e.to_string()),
            };
            let _ = tx.send((
                fields(&many),
                fields(&dups),
                fields(&escapes),
                fields(&deep),
                fields(&empties),
            ));
        });
        let (many, dups, escapes, deep, empties) = rx
            .recv_timeout(Duration::from_secs(300))
            .expect("4 MiB pushes parsed within 300 s (a hang otherwise)");
        assert_eq!(many, Ok(keys));
        assert_eq!(dups, Ok(2));
        assert_eq!(escapes, Ok(3));
        assert_eq!(deep, Ok(3));
        assert!(empties.unwrap_err().contains("more than"));
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
