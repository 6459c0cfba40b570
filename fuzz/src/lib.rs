//! Input types of the structured fuzz targets, shared by the targets
//! (decoding, with `arbitrary`) and by `examples/make_seeds.rs` (encoding the
//! hand-written seeds of `corpus/`).
//!
//! The byte layout is the one `arbitrary` 1.x reads: integers little-endian
//! (`usize` as 8 bytes), `bool` one byte (low bit), `Option` a bool then the
//! value, an enum a `u32` that selects variant `(v * count) >> 32`, struct
//! fields in order. Strings and lists have their own small types here
//! ([`Bytes`], [`Str`], [`List`]: one length byte, then the content) so that
//! the layout is simple to write by hand. `make_seeds` checks every seed by
//! decoding it again, so a layout change in `arbitrary` is caught there.

use arbitrary::{Arbitrary, Result, Unstructured};

/// Bytes `arbitrary` decodes back into the value.
pub trait Encode {
    /// Append this value's layout to `out`.
    fn encode(&self, out: &mut Vec<u8>);
    /// The layout alone.
    fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::new();
        self.encode(&mut v);
        v
    }
}

macro_rules! ints {
    ($($t:ty),*) => {$(
        impl Encode for $t {
            fn encode(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
        }
    )*};
}
ints!(u8, u32, u64, i32, i64);

impl Encode for usize {
    fn encode(&self, out: &mut Vec<u8>) {
        (*self as u64).encode(out)
    }
}

impl Encode for bool {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(u8::from(*self));
    }
}

impl<T: Encode> Encode for Option<T> {
    fn encode(&self, out: &mut Vec<u8>) {
        self.is_some().encode(out);
        if let Some(v) = self {
            v.encode(out);
        }
    }
}

impl<A: Encode, B: Encode> Encode for (A, B) {
    fn encode(&self, out: &mut Vec<u8>) {
        self.0.encode(out);
        self.1.encode(out);
    }
}

/// Select variant `k` of an enum with `n` variants (derived `Arbitrary`).
pub fn variant(out: &mut Vec<u8>, k: u32, n: u32) {
    let v = ((u64::from(k) << 32) + u64::from(n) - 1) / u64::from(n);
    (v as u32).encode(out);
}

/// Up to 255 arbitrary bytes: a length byte, then the bytes (fewer if the
/// input ends first).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Bytes(pub Vec<u8>);

impl<'a> Arbitrary<'a> for Bytes {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let n = usize::from(u8::arbitrary(u)?).min(u.len());
        Ok(Bytes(u.bytes(n)?.to_vec()))
    }
}

impl Encode for Bytes {
    fn encode(&self, out: &mut Vec<u8>) {
        let n = u8::try_from(self.0.len()).expect("at most 255 bytes");
        out.push(n);
        out.extend_from_slice(&self.0);
    }
}

impl From<&str> for Bytes {
    fn from(s: &str) -> Bytes {
        Bytes(s.as_bytes().to_vec())
    }
}

/// Text: [`Bytes`] read as UTF-8, invalid sequences replaced by U+FFFD.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Str(pub String);

impl<'a> Arbitrary<'a> for Str {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let b = Bytes::arbitrary(u)?;
        Ok(Str(String::from_utf8_lossy(&b.0).into_owned()))
    }
}

impl Encode for Str {
    fn encode(&self, out: &mut Vec<u8>) {
        Bytes::from(self.0.as_str()).encode(out)
    }
}

impl From<&str> for Str {
    fn from(s: &str) -> Str {
        Str(s.to_string())
    }
}

/// A list: a count byte, then that many elements (fewer if the input ends).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct List<T>(pub Vec<T>);

impl<T> Default for List<T> {
    fn default() -> Self {
        List(Vec::new())
    }
}

impl<'a, T: Arbitrary<'a>> Arbitrary<'a> for List<T> {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let n = u8::arbitrary(u)?;
        let mut v = Vec::new();
        for _ in 0..n {
            if u.is_empty() {
                break;
            }
            v.push(T::arbitrary(u)?);
        }
        Ok(List(v))
    }
}

impl<T: Encode> Encode for List<T> {
    fn encode(&self, out: &mut Vec<u8>) {
        let n = u8::try_from(self.0.len()).expect("at most 255 elements");
        out.push(n);
        for e in &self.0 {
            e.encode(out);
        }
    }
}

/// Decode a whole input as the targets do.
pub fn decode<'a, T: Arbitrary<'a>>(data: &'a [u8]) -> Option<T> {
    T::arbitrary(&mut Unstructured::new(data)).ok()
}

pub mod requests {
    //! Input of the `requests` target.
    use super::*;

    /// A phone number.
    #[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
    pub enum Phone {
        /// One of `PHONES` in the target (index modulo its length).
        Known(u8),
        /// The digits of a number after a prefix: `""`, `+86`, `0086`, `+`, `0`.
        Digits(u64, u8),
        /// Any text.
        Text(Str),
    }

    /// An option name for `CallbackCall::set`.
    #[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
    pub enum Name {
        /// `CALLBACK_OPTION_NAMES[i % 15]`.
        Known(u8),
        /// Any text.
        Other(Str),
    }

    /// An option value.
    #[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
    pub enum Val {
        /// One of `VALUES` in the target.
        Known(u8),
        /// A number as decimal text.
        Number(u64),
        /// Any text.
        Text(Str),
    }

    /// The callback call's credit.
    #[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
    pub enum Credit {
        /// Straight into the struct.
        Direct(u32),
        /// Through `request::credit_from_i64` (as the C ABI does).
        FromI64(i64),
    }

    /// The voice code's number of plays.
    #[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
    pub enum Times {
        /// Straight into the struct.
        Direct(Option<u8>),
        /// Through `request::times_from_i64` (as the C ABI does).
        FromI64(i64),
    }

    /// One input of the `requests` target.
    #[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
    pub struct Input {
        pub src: Phone,
        pub dst: Phone,
        pub credit: Credit,
        pub options: List<(Name, Val)>,
        pub action: Str,
        pub app_id: Str,
        pub voice_dst: Phone,
        pub voice_dstclid: Phone,
        pub code: Str,
        pub times: Times,
        /// Which field name `request::phone` is called with.
        pub phone_field: bool,
    }

    impl Encode for Phone {
        fn encode(&self, out: &mut Vec<u8>) {
            match self {
                Phone::Known(i) => {
                    variant(out, 0, 3);
                    i.encode(out)
                }
                Phone::Digits(n, p) => {
                    variant(out, 1, 3);
                    n.encode(out);
                    p.encode(out)
                }
                Phone::Text(s) => {
                    variant(out, 2, 3);
                    s.encode(out)
                }
            }
        }
    }
    impl Encode for Name {
        fn encode(&self, out: &mut Vec<u8>) {
            match self {
                Name::Known(i) => {
                    variant(out, 0, 2);
                    i.encode(out)
                }
                Name::Other(s) => {
                    variant(out, 1, 2);
                    s.encode(out)
                }
            }
        }
    }
    impl Encode for Val {
        fn encode(&self, out: &mut Vec<u8>) {
            match self {
                Val::Known(i) => {
                    variant(out, 0, 3);
                    i.encode(out)
                }
                Val::Number(n) => {
                    variant(out, 1, 3);
                    n.encode(out)
                }
                Val::Text(s) => {
                    variant(out, 2, 3);
                    s.encode(out)
                }
            }
        }
    }
    impl Encode for Credit {
        fn encode(&self, out: &mut Vec<u8>) {
            match self {
                Credit::Direct(c) => {
                    variant(out, 0, 2);
                    c.encode(out)
                }
                Credit::FromI64(c) => {
                    variant(out, 1, 2);
                    c.encode(out)
                }
            }
        }
    }
    impl Encode for Times {
        fn encode(&self, out: &mut Vec<u8>) {
            match self {
                Times::Direct(t) => {
                    variant(out, 0, 2);
                    t.encode(out)
                }
                Times::FromI64(t) => {
                    variant(out, 1, 2);
                    t.encode(out)
                }
            }
        }
    }
    impl Encode for Input {
        fn encode(&self, out: &mut Vec<u8>) {
            self.src.encode(out);
            self.dst.encode(out);
            self.credit.encode(out);
            self.options.encode(out);
            self.action.encode(out);
            self.app_id.encode(out);
            self.voice_dst.encode(out);
            self.voice_dstclid.encode(out);
            self.code.encode(out);
            self.times.encode(out);
            self.phone_field.encode(out);
        }
    }
}

pub mod ffi {
    //! Input of the `ffi` target: a list of C calls.
    use super::*;

    /// A `const char *` argument.
    #[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
    pub enum Text {
        /// NULL.
        Null,
        /// One of the target's tables for this argument (index modulo length).
        Known(u8),
        /// These bytes with a NUL appended (C sees them up to the first NUL).
        Bytes(Bytes),
    }

    /// The option arrays of one call; the count always matches them.
    #[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
    pub enum Options {
        /// `count` name/value pairs; any entry may be NULL.
        Pairs(List<(Text, Text)>),
        /// names NULL, values a real array of `n % 4 + 1` strings.
        NullNames(u8),
        /// values NULL, names a real array.
        NullValues(u8),
        /// Both NULL with a count > 0.
        NullBoth(u8),
        /// Count 0, both NULL.
        None,
    }

    /// A client handle argument.
    #[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
    pub enum Handle {
        /// One of the clients made by this input (live or freed).
        Made(u8),
        /// NULL.
        Null,
        /// Any value: it is never dereferenced.
        Raw(usize),
    }

    /// One C call.
    #[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
    pub enum Op {
        /// `ytx_client_new`, with `base_url=http://127.0.0.1:9<path>` always
        /// added as the last option.
        NewClient {
            sid: Text,
            token: Text,
            app_id: Text,
            options: Options,
            base_path: u8,
            client_out_null: bool,
            outcome_out_null: bool,
        },
        /// `ytx_callback_prepare`.
        Callback {
            handle: Handle,
            src: Text,
            dst: Text,
            credit: i64,
            options: Options,
            outcome_out_null: bool,
        },
        /// `ytx_voice_code_prepare`.
        Voice {
            handle: Handle,
            dst: Text,
            dstclid: Text,
            code: Text,
            times: i32,
            outcome_out_null: bool,
        },
        /// `ytx_free`.
        Free(Handle),
        /// `ytx_result_name`.
        ResultName(i32),
        /// Every `ytx_outcome_*` accessor on NULL, and `ytx_outcome_free(NULL)`.
        NullOutcome,
        /// `ytx_set_logger` with the target's collecting callback (or NULL)
        /// and this `min_level`. Every input starts with the callback at
        /// `YTX_LOG_DEBUG`.
        SetLogger { level: i32, null_callback: bool },
    }

    /// One input of the `ffi` target.
    pub type Input = List<Op>;

    impl Encode for Text {
        fn encode(&self, out: &mut Vec<u8>) {
            match self {
                Text::Null => variant(out, 0, 3),
                Text::Known(i) => {
                    variant(out, 1, 3);
                    i.encode(out)
                }
                Text::Bytes(b) => {
                    variant(out, 2, 3);
                    b.encode(out)
                }
            }
        }
    }
    impl Encode for Options {
        fn encode(&self, out: &mut Vec<u8>) {
            match self {
                Options::Pairs(p) => {
                    variant(out, 0, 5);
                    p.encode(out)
                }
                Options::NullNames(n) => {
                    variant(out, 1, 5);
                    n.encode(out)
                }
                Options::NullValues(n) => {
                    variant(out, 2, 5);
                    n.encode(out)
                }
                Options::NullBoth(n) => {
                    variant(out, 3, 5);
                    n.encode(out)
                }
                Options::None => variant(out, 4, 5),
            }
        }
    }
    impl Encode for Handle {
        fn encode(&self, out: &mut Vec<u8>) {
            match self {
                Handle::Made(i) => {
                    variant(out, 0, 3);
                    i.encode(out)
                }
                Handle::Null => variant(out, 1, 3),
                Handle::Raw(v) => {
                    variant(out, 2, 3);
                    v.encode(out)
                }
            }
        }
    }
    impl Encode for Op {
        fn encode(&self, out: &mut Vec<u8>) {
            match self {
                Op::NewClient {
                    sid,
                    token,
                    app_id,
                    options,
                    base_path,
                    client_out_null,
                    outcome_out_null,
                } => {
                    variant(out, 0, 7);
                    sid.encode(out);
                    token.encode(out);
                    app_id.encode(out);
                    options.encode(out);
                    base_path.encode(out);
                    client_out_null.encode(out);
                    outcome_out_null.encode(out);
                }
                Op::Callback {
                    handle,
                    src,
                    dst,
                    credit,
                    options,
                    outcome_out_null,
                } => {
                    variant(out, 1, 7);
                    handle.encode(out);
                    src.encode(out);
                    dst.encode(out);
                    credit.encode(out);
                    options.encode(out);
                    outcome_out_null.encode(out);
                }
                Op::Voice {
                    handle,
                    dst,
                    dstclid,
                    code,
                    times,
                    outcome_out_null,
                } => {
                    variant(out, 2, 7);
                    handle.encode(out);
                    dst.encode(out);
                    dstclid.encode(out);
                    code.encode(out);
                    times.encode(out);
                    outcome_out_null.encode(out);
                }
                Op::Free(h) => {
                    variant(out, 3, 7);
                    h.encode(out)
                }
                Op::ResultName(c) => {
                    variant(out, 4, 7);
                    c.encode(out)
                }
                Op::NullOutcome => variant(out, 5, 7),
                Op::SetLogger {
                    level,
                    null_callback,
                } => {
                    variant(out, 6, 7);
                    level.encode(out);
                    null_callback.encode(out)
                }
            }
        }
    }
}
