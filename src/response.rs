//! The answer: the platform's JSON body ([`parse_response`]) and how an
//! HTTP status and body become a result, for every kind of request.

use std::fmt;

use crate::error::{Error, Result};
use crate::record::{self, Balance, CallRecord, MAX_RECORDS_BYTES};

/// Largest answer body read; the platform's answers are under 200 bytes.
pub const MAX_RESPONSE_BYTES: u64 = 64 * 1024;

/// The platform's answer to an accepted request (statusCode `"0"`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// Opaque request id (29 digits on the real platform: keep it as text).
    pub request_id: String,
    /// Always `"0"` here; errors are [`Error::Platform`].
    pub status_code: String,
    /// The platform's message, e.g. `提交成功`.
    pub status_msg: String,
}

/// What one kind of request is answered with, and how it is read.
pub(crate) trait Answer: Sized {
    /// The largest answer body read.
    const MAX_BYTES: u64;
    /// Parse an HTTP 200 body.
    fn parse(body: &[u8]) -> Result<Self>;
    /// The log line's account of it (no secret: the Sign is never in it).
    fn summary(&self) -> String;
}

impl Answer for Response {
    const MAX_BYTES: u64 = MAX_RESPONSE_BYTES;
    fn parse(body: &[u8]) -> Result<Self> {
        parse_response(body)
    }
    fn summary(&self) -> String {
        format!(
            "statusCode {} requestId {}",
            self.status_code, self.request_id
        )
    }
}

impl Answer for Vec<CallRecord> {
    const MAX_BYTES: u64 = MAX_RECORDS_BYTES as u64;
    fn parse(body: &[u8]) -> Result<Self> {
        record::parse_records(body)
    }
    fn summary(&self) -> String {
        format!("{} call record(s)", self.len())
    }
}

impl Answer for Balance {
    const MAX_BYTES: u64 = MAX_RESPONSE_BYTES;
    fn parse(body: &[u8]) -> Result<Self> {
        record::parse_balance(body)
    }
    fn summary(&self) -> String {
        "balance".to_string()
    }
}

/// An answer read by the built-in sender: 200 → parse, else an HTTP error.
pub(crate) fn answer_to_result<T: Answer>(status: u16, body: &[u8]) -> Result<T> {
    if status != 200 {
        return Err(http_status_error(status, body));
    }
    if body.len() as u64 > T::MAX_BYTES {
        return Err(too_large(T::MAX_BYTES));
    }
    T::parse(without_bom(body))
}

/// `body` without a leading UTF-8 byte-order mark (.NET servers, which the
/// platform is, often write one before the JSON; RFC 8259 lets a parser
/// ignore it).
pub(crate) fn without_bom(body: &[u8]) -> &[u8] {
    body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body)
}

pub(crate) fn too_large(limit: u64) -> Error {
    Error::Protocol {
        message: format!("answer body larger than {limit} bytes"),
        ticket: None,
    }
}

pub(crate) fn http_status_error(status: u16, body: &[u8]) -> Error {
    let body = &body[..body.len().min(512)];
    let body_start: String = String::from_utf8_lossy(body)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(200)
        .collect();
    Error::HttpStatus {
        status,
        body_start: body_start.trim().to_string(),
        ticket: None,
    }
}

/// Parse the platform's answer body (HTTP 200); a leading UTF-8 byte-order
/// mark is skipped. Pure: used by [`Client::send`](crate::Client::send)
/// and by users who send a [`PreparedRequest`](crate::PreparedRequest) through their own HTTP stack.
///
/// ```
/// let ok = ytx::parse_response(r#"{"statusCode":"0","statusMsg":"提交成功","requestId":"1"}"#.as_bytes())?;
/// assert_eq!(ok.request_id, "1");
/// let e = ytx::parse_response(br#"{"statusCode":"-203","statusMsg":"","requestId":""}"#).unwrap_err();
/// assert_eq!(e.status_code(), Some("-203"));
/// # Ok::<(), ytx::Error>(())
/// ```
pub fn parse_response(body: &[u8]) -> Result<Response> {
    let text = std::str::from_utf8(without_bom(body)).map_err(|_| Error::Protocol {
        message: "answer body is not UTF-8".into(),
        ticket: None,
    })?;
    let wire: WireAnswer = serde_json::from_str(text).map_err(|e| Error::Protocol {
        message: format!(
            "answer is not the platform's JSON object ({})",
            e.classify_name()
        ),
        ticket: None,
    })?;
    let string = |v: Option<WireValue>, name: &str, required: bool| -> Result<String> {
        match v {
            Some(WireValue::String(s)) => Ok(s),
            None | Some(WireValue::Null) if !required => Ok(String::new()),
            None => Err(Error::Protocol {
                message: format!("answer has no {name}"),
                ticket: None,
            }),
            Some(WireValue::Null) => Err(Error::Protocol {
                message: format!("{name} in the answer is null, not a string"),
                ticket: None,
            }),
            Some(WireValue::Other(kind)) => Err(Error::Protocol {
                message: format!("{name} in the answer is {kind}, not a string"),
                ticket: None,
            }),
        }
    };
    let status_code = string(wire.status_code, "statusCode", true)?;
    let status_msg = string(wire.status_msg, "statusMsg", false)?;
    let request_id = string(wire.request_id, "requestId", false)?;
    if status_code.is_empty() {
        return Err(Error::Protocol {
            message: "statusCode in the answer is empty".into(),
            ticket: None,
        });
    }
    if status_code == "0" {
        Ok(Response {
            request_id,
            status_code,
            status_msg,
        })
    } else {
        Err(Error::Platform {
            status_code,
            status_msg,
            request_id,
        })
    }
}

/// The three fields of an answer, read from a JSON **object** only.
///
/// Deserialized with `deserialize_map`, not a derived struct: serde lets a
/// derived struct read a JSON array too (`["0","",""]` would have been an
/// accepted request; found by fuzzing). Other keys are checked for syntax
/// and skipped without being built; a repeated key keeps its last value.
struct WireAnswer {
    status_code: Option<WireValue>,
    status_msg: Option<WireValue>,
    request_id: Option<WireValue>,
}

/// A key of the answer object, compared without being copied (escaped keys
/// such as `"status\u0043ode"` compare by their decoded text).
enum WireKey {
    StatusCode,
    StatusMsg,
    RequestId,
    Other,
}

impl<'de> serde::Deserialize<'de> for WireKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = WireKey;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_str<E>(self, v: &str) -> std::result::Result<WireKey, E> {
                Ok(match v {
                    "statusCode" => WireKey::StatusCode,
                    "statusMsg" => WireKey::StatusMsg,
                    "requestId" => WireKey::RequestId,
                    _ => WireKey::Other,
                })
            }
        }
        d.deserialize_str(V)
    }
}

/// One field's value: a string, null, or another JSON type ("a number").
enum WireValue {
    String(String),
    Null,
    Other(&'static str),
}

impl<'de> serde::Deserialize<'de> for WireAnswer {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = WireAnswer;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<WireAnswer, A::Error> {
                let mut answer = WireAnswer {
                    status_code: None,
                    status_msg: None,
                    request_id: None,
                };
                while let Some(key) = map.next_key::<WireKey>()? {
                    let slot = match key {
                        WireKey::StatusCode => &mut answer.status_code,
                        WireKey::StatusMsg => &mut answer.status_msg,
                        WireKey::RequestId => &mut answer.request_id,
                        WireKey::Other => {
                            map.next_value::<serde::de::IgnoredAny>()?;
                            continue;
                        }
                    };
                    *slot = Some(map.next_value()?);
                }
                Ok(answer)
            }
        }
        d.deserialize_map(V)
    }
}

impl<'de> serde::Deserialize<'de> for WireValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        use serde::de::{IgnoredAny, MapAccess, SeqAccess};
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = WireValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_str<E>(self, v: &str) -> std::result::Result<WireValue, E> {
                Ok(WireValue::String(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> std::result::Result<WireValue, E> {
                Ok(WireValue::String(v))
            }
            fn visit_unit<E>(self) -> std::result::Result<WireValue, E> {
                Ok(WireValue::Null)
            }
            fn visit_none<E>(self) -> std::result::Result<WireValue, E> {
                Ok(WireValue::Null)
            }
            fn visit_bool<E>(self, _: bool) -> std::result::Result<WireValue, E> {
                Ok(WireValue::Other("a boolean"))
            }
            fn visit_i64<E>(self, _: i64) -> std::result::Result<WireValue, E> {
                Ok(WireValue::Other("a number"))
            }
            fn visit_u64<E>(self, _: u64) -> std::result::Result<WireValue, E> {
                Ok(WireValue::Other("a number"))
            }
            fn visit_f64<E>(self, _: f64) -> std::result::Result<WireValue, E> {
                Ok(WireValue::Other("a number"))
            }
            fn visit_seq<A: SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<WireValue, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(WireValue::Other("an array"))
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<WireValue, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(WireValue::Other("an object"))
            }
        }
        d.deserialize_any(V)
    }
}

trait ClassifyName {
    fn classify_name(&self) -> &'static str;
}
impl ClassifyName for serde_json::Error {
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "I/O",
            serde_json::error::Category::Syntax => "syntax error",
            serde_json::error::Category::Data => "not an object",
            serde_json::error::Category::Eof => "truncated",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Delivery;
    use crate::ErrorCode;

    #[test]
    fn parse_success_and_platform_errors() {
        let ok = parse_response(
            r#"{"statusCode":"0","statusMsg":"提交成功","requestId":"20160100000002050000000000001"}"#.as_bytes(),
        )
        .unwrap();
        assert_eq!(ok.request_id, "20160100000002050000000000001");
        assert_eq!(ok.status_msg, "提交成功");
        let e = parse_response(
            r#"{"statusCode":"-2","statusMsg":"缺少必要参数","requestId":""}"#.as_bytes(),
        )
        .unwrap_err();
        assert_eq!(e.code(), ErrorCode::Platform);
        assert_eq!(e.status_code(), Some("-2"));
        assert!(e.to_string().contains("缺少必要参数"));
    }

    #[test]
    fn parse_rejects_what_is_not_the_platform_json() {
        for body in [
            &b"<html>502</html>"[..],
            b"",
            b"{\"statusCode\":\"0\",\"statusMs",
            b"{\"statusMsg\":\"x\"}",
            b"{\"statusCode\":0}",
            b"{\"statusCode\":\"\"}",
            b"{\"statusCode\":\"0\",\"requestId\":2016}",
            b"[1,2]",
            br#"["0","",""]"#,
            br#"["-2","x",""]"#,
            b"\xff\xfe{}",
        ] {
            let e = parse_response(body).unwrap_err();
            assert_eq!(
                e.code(),
                ErrorCode::Protocol,
                "{:?}",
                String::from_utf8_lossy(body)
            );
            assert_eq!(e.delivery(), Delivery::Unknown);
        }
    }

    #[test]
    fn parse_reads_keys_like_a_json_object_does() {
        // Escaped key text, other keys of any type skipped, null optional
        // fields, and the last of a repeated key wins (as in a JSON map).
        let ok = parse_response(
            br#" {"x":[1,{"a":null}],"status\u0043ode":"-9","statusMsg":null,
                  "y":{"statusCode":"-1"},"statusCode":"0","requestId":"7"} "#,
        )
        .unwrap();
        assert_eq!(
            (
                ok.status_code.as_str(),
                ok.status_msg.as_str(),
                ok.request_id.as_str()
            ),
            ("0", "", "7")
        );
        let e = parse_response(br#"{"statusCode":"0","statusCode":"-203"}"#).unwrap_err();
        assert_eq!(e.status_code(), Some("-203"));
        // Each wrong type is named; a null statusCode is not a missing one.
        for (body, says) in [
            (
                &br#"{"statusCode":null}"#[..],
                "statusCode in the answer is null",
            ),
            (
                br#"{"statusCode":true}"#,
                "statusCode in the answer is a boolean",
            ),
            (
                br#"{"statusCode":-2.5}"#,
                "statusCode in the answer is a number",
            ),
            (
                br#"{"statusCode":["0"]}"#,
                "statusCode in the answer is an array",
            ),
            (
                br#"{"statusCode":{"0":1}}"#,
                "statusCode in the answer is an object",
            ),
            (
                br#"{"statusCode":"0","statusMsg":1}"#,
                "statusMsg in the answer is a number",
            ),
            (br#"{"requestId":"1"}"#, "answer has no statusCode"),
            (br#"["0"]"#, "not an object"),
            (br#"{"statusCode":"0"} x"#, "syntax error"),
        ] {
            let e = parse_response(body).unwrap_err();
            assert_eq!(e.code(), ErrorCode::Protocol);
            assert!(e.to_string().contains(says), "{e} (expected {says:?})");
        }
    }
}
