//! Writes the hand-written seeds: `corpus/parse_response/seed-*` (answer
//! bodies, as bytes), `corpus/http_answer/seed-*` (a transport byte and a
//! whole HTTP answer), `corpus/requests/seed-*` and `corpus/ffi/seed-*`
//! (structured inputs, encoded). Each structured seed is decoded again and
//! compared, so a change of layout in `arbitrary` fails here instead of
//! silently turning the seeds into noise. Also writes the hand-minimised
//! inputs of the bugs found into `artifacts-found/`.
//!
//! `cargo fuzz cmin` renames or drops seeds: run this again afterwards.
//!
//!     cargo run --manifest-path fuzz/Cargo.toml --example make_seeds
//!
//! Table indices (`Known(i)`) refer to the tables at the top of each target.

use std::path::Path;

use arbitrary::Arbitrary;
use ytx_fuzz::ffi::{self, Handle, Op, Options, Text};
use ytx_fuzz::requests::{self, Credit, Name, Phone, Times, Val};
use ytx_fuzz::{decode, Bytes, Encode, List};

fn write<T>(dir: &str, name: &str, value: &T)
where
    T: Encode + PartialEq + std::fmt::Debug + for<'a> Arbitrary<'a>,
{
    save(
        &Path::new("corpus").join(dir).join(format!("seed-{name}")),
        value,
    );
}

/// Encode `value` into `path` (relative to fuzz/), checking that it decodes back.
fn save<T>(path: &Path, value: &T)
where
    T: Encode + PartialEq + std::fmt::Debug + for<'a> Arbitrary<'a>,
{
    let bytes = value.to_bytes();
    let back: T = decode(&bytes).expect("decodes");
    assert_eq!(&back, value, "{} does not decode to itself", path.display());
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

fn text(s: &str) -> Phone {
    Phone::Text(s.into())
}

fn opt(name: &str, value: &str) -> (Name, Val) {
    (Name::Other(name.into()), Val::Text(value.into()))
}

fn request_seeds() {
    let base = requests::Input {
        src: text("13800138000"),
        dst: text("01085485069"),
        credit: Credit::Direct(600),
        options: List::default(),
        action: "callDailBack".into(),
        app_id: "ff8080813fc70a7b013fc72312324213".into(),
        voice_dst: text("13800138000"),
        voice_dstclid: text("02160000000"),
        code: "4096".into(),
        times: Times::FromI64(0),
        phone_field: false,
    };
    let all_options = List(vec![
        opt("customParm", "order-42"),
        opt("srcclid", "02160000000"),
        opt("dstclid", "02160000001"),
        opt("srctimeout", "30"),
        opt("dsttimeout", "40"),
        opt("srchintfile", "a.wav"),
        opt("dsthintfile", "b.wav"),
        opt("ringbacktype", "3"),
        opt("customhintfile", "c.wav"),
        opt("dstfailhintfile", "d.wav"),
        opt("srcthreshold", "50"),
        opt("dstthreshold", "55"),
        opt("srcthresholdfile", "e.wav"),
        opt("dstthresholdfile", "f.wav"),
        opt("iscallstatuscheck", "1"),
    ]);
    let seeds: Vec<(&str, requests::Input)> = vec![
        ("valid-minimal", base.clone()),
        (
            "valid-all-options",
            requests::Input {
                options: all_options,
                times: Times::Direct(Some(3)),
                code: "ab12".into(),
                ..base.clone()
            },
        ),
        (
            "valid-international",
            requests::Input {
                src: text("+8613800138000"),
                dst: text("008613900139000"),
                credit: Credit::FromI64(61),
                options: List(vec![
                    (Name::Known(0), Val::Known(9)),
                    (Name::Known(7), Val::Known(1)),
                ]),
                times: Times::FromI64(2),
                phone_field: true,
                ..base.clone()
            },
        ),
        (
            "valid-digits-json-escapes",
            requests::Input {
                src: Phone::Digits(95555, 0),
                dst: Phone::Digits(13900139000, 2),
                action: "a\"\\\u{1}b".into(),
                app_id: "应用".into(),
                options: List(vec![opt("customParm", "订单 \"42\" \\ </script>")]),
                ..base.clone()
            },
        ),
        (
            "invalid-credit-60",
            requests::Input {
                credit: Credit::Direct(60),
                ..base.clone()
            },
        ),
        (
            "invalid-credit-too-large",
            requests::Input {
                credit: Credit::FromI64(1 << 32),
                ..base.clone()
            },
        ),
        (
            "voice-code-without-dstclid",
            requests::Input {
                voice_dstclid: text(""),
                times: Times::FromI64(2),
                ..base.clone()
            },
        ),
        (
            "invalid-phones",
            requests::Input {
                src: text("138 0013 8000"),
                dst: text("+861085485069"),
                voice_dst: text("１３８００１３８０００"),
                voice_dstclid: text("123456789012345678901"),
                ..base.clone()
            },
        ),
        (
            "invalid-options",
            requests::Input {
                options: List(vec![
                    opt("ringbacktype", "4"),
                    opt("iscallstatuscheck", "yes"),
                    opt("srctimeout", "-5"),
                    opt("dsttimeout", ""),
                    opt("srcthreshold", "99999999999"),
                    opt("bogus", "1"),
                    opt("customParm", "a"),
                    opt("customParm", "b"),
                    opt("srchintfile", ""),
                    opt("dsthintfile", "a\nb"),
                    opt("dstthreshold", "0"),
                ]),
                ..base.clone()
            },
        ),
        (
            "invalid-voice-code",
            requests::Input {
                code: "12 34".into(),
                times: Times::Direct(Some(4)),
                ..base.clone()
            },
        ),
        (
            "invalid-voice-times",
            requests::Input {
                code: "99999999999999999999".into(),
                times: Times::FromI64(-1),
                ..base.clone()
            },
        ),
    ];
    for (name, s) in &seeds {
        write("requests", name, s);
    }
}

/// Platform answers (HTTP 200 bodies): real ones, error answers, near-misses.
fn response_seeds() {
    let seeds: &[(&str, &[u8])] = &[
        ("ok-callback", r#"{"statusCode":"0","statusMsg":"提交成功","requestId":"20160100000002050000000000001"}"#.as_bytes()),
        ("ok-no-msg", br#"{"statusCode":"0","requestId":"20160100000002050000000000002"}"#),
        ("ok-null-fields", br#"{"statusCode":"0","statusMsg":null,"requestId":null}"#),
        ("ok-extra-field", r#"{"statusCode":"0","statusMsg":"提交成功","requestId":"2016","extra":[1,{"a":true}]}"#.as_bytes()),
        ("ok-pretty-escaped", b"{\r\n  \"statusCode\" : \"0\",\r\n  \"statusMsg\" : \"\\u63d0\\u4ea4\\u6210\\u529f\",\r\n  \"requestId\" : \"20160100000002050000000000001\"\r\n}\n"),
        ("ok-ignored-oddities", br#"{"statusCode":"0","x":1e400,"y":"\ud800","statusMsg":"\ud83d\ude00"}"#),
        ("err-missing-param", r#"{"statusCode":"-2","statusMsg":"缺少必要参数","requestId":""}"#.as_bytes()),
        ("err-sign", r#"{"statusCode":"-203","statusMsg":"Sign校验失败"}"#.as_bytes()),
        ("err-timestamp", r#"{"statusCode":"-202","statusMsg":"时间戳过期","requestId":""}"#.as_bytes()),
        ("err-app", r#"{"statusCode":"-205","statusMsg":"应用校验失败"}"#.as_bytes()),
        ("err-unknown-code", br#"{"statusCode":"-999","statusMsg":"?","requestId":"1"}"#),
        ("err-nul-in-msg", br#"{"statusCode":"-4","statusMsg":"bad\u0000msg"}"#),
        ("near-numeric-code", r#"{"statusCode":0,"statusMsg":"提交成功","requestId":"2016"}"#.as_bytes()),
        ("near-empty-code", br#"{"statusCode":"","statusMsg":"x"}"#),
        ("near-no-code", br#"{"statusMsg":"x","requestId":"1"}"#),
        ("near-numeric-request-id", br#"{"statusCode":"0","requestId":20160100000002050000000000001}"#),
        ("near-object-code", br#"{"statusCode":{"v":"0"}}"#),
        ("near-duplicate-code", br#"{"statusCode":"-1","statusCode":"0"}"#),
        ("near-lone-surrogate-msg", br#"{"statusCode":"0","statusMsg":"\ud800"}"#),
        ("near-truncated", br#"{"statusCode":"0","statusMs"#),
        ("near-trailing", br#"{"statusCode":"0"} x"#),
        ("near-array", r#"["0","提交成功","2016"]"#.as_bytes()),
        ("near-array-numbers", b"[1,2]"),
        ("near-html", b"<html><body>502 Bad Gateway</body></html>"),
        ("near-empty", b""),
        ("near-null", b"null"),
        ("near-string", br#""0""#),
        ("near-utf16-bom", b"\xff\xfe{\x00}\x00"),
        ("near-latin1", b"{\"statusCode\":\"-2\",\"statusMsg\":\"\xe9\"}"),
    ];
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/parse_response");
    std::fs::create_dir_all(&dir).unwrap();
    for (name, body) in seeds {
        std::fs::write(dir.join(format!("seed-{name}")), body).unwrap();
    }
}

/// `corpus/http_answer/seed-*`: a transport byte (0: built-in sender, 1:
/// ureq) and a whole HTTP answer, as servers and gateways send them.
fn http_answer_seeds() {
    let ok =
        r#"{"statusCode":"0","statusMsg":"提交成功","requestId":"20160100000002050000000000001"}"#;
    let sized = |status: &str, extra: &str, body: &str| {
        format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/json;charset=utf-8\r\n{extra}Content-Length: {}\r\n\r\n{body}",
            body.len()
        )
    };
    let chunked = |body: &str| {
        let (a, b) = body.split_at(body.len() / 2);
        format!(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{a}\r\n{:x};ext=1\r\n{b}\r\n0\r\nX-Trailer: 1\r\n\r\n",
            a.len(),
            b.len()
        )
    };
    let seeds: Vec<(&str, String)> = vec![
        ("ok", sized("200 OK", "", ok)),
        (
            "ok-keep-alive",
            sized("200 OK", "Connection: keep-alive\r\n", ok),
        ),
        ("ok-close", sized("200 OK", "Connection: close\r\n", ok)),
        (
            "ok-http10",
            sized("200 OK", "", ok).replacen("HTTP/1.1", "HTTP/1.0", 1),
        ),
        ("ok-chunked", chunked(ok)),
        (
            "ok-to-close",
            format!("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{ok}"),
        ),
        (
            "ok-after-100",
            format!("HTTP/1.1 100 Continue\r\n\r\n{}", sized("200 OK", "", ok)),
        ),
        (
            "platform-203",
            sized(
                "200 OK",
                "",
                r#"{"statusCode":"-203","statusMsg":"Sign校验失败","requestId":""}"#,
            ),
        ),
        (
            "http-500-html",
            sized(
                "500 Internal Server Error",
                "Content-Type: text/html\r\n",
                "<html><body>500</body></html>",
            ),
        ),
        ("http-502", sized("502 Bad Gateway", "", "<html>502</html>")),
        (
            "http-302",
            sized("302 Found", "Location: http://127.0.0.1:9/\r\n", ""),
        ),
        ("not-json", sized("200 OK", "", "<html>oops</html>")),
        ("truncated-body", sized("200 OK", "", ok)[..60].to_string()),
        (
            "short-content-length",
            sized("200 OK", "", ok).replacen("Content-Length: ", "Content-Length: 1", 1),
        ),
        ("two-lengths", sized("200 OK", "Content-Length: 5\r\n", ok)),
        (
            "bad-chunk-size",
            chunked(ok).replacen("\r\n\r\n", "\r\n\r\nzz\r\n", 1),
        ),
        ("head-only", "HTTP/1.1 200 OK\r\n".to_string()),
        ("no-status", "\r\n\r\n".to_string()),
        ("garbage", "SSH-2.0-OpenSSH_9.2\r\n".to_string()),
    ];
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/http_answer");
    std::fs::create_dir_all(&dir).unwrap();
    for (name, answer) in &seeds {
        for (mode, transport) in [(0u8, "builtin"), (1u8, "ureq")] {
            let mut bytes = vec![mode];
            bytes.extend_from_slice(answer.as_bytes());
            std::fs::write(dir.join(format!("seed-{transport}-{name}")), bytes).unwrap();
        }
    }
    http_answer_limit_seeds(&dir, ok, &sized);
}

/// Issue 13: answers at the limits, several on one connection (mode bits
/// 1-2: calls; bit 6: the server keeps the connection open), written in
/// pieces (bits 3-5: 1, 2, 3, 7, 64, 512, 4096 bytes). The layout is the
/// target's (`fuzz_targets/http_answer.rs`).
fn http_answer_limit_seeds(dir: &Path, ok: &str, sized: &dyn Fn(&str, &str, &str) -> String) {
    const SEPARATOR: &[u8] = b"\n\0NEXT\0\n";
    let mode = |calls: u8, piece: u8, keep_open: bool| -> u8 {
        let calls = match calls {
            2 => 1,
            3 => 2,
            _ => 0,
        };
        (calls << 1) | (piece << 3) | if keep_open { 0x40 } else { 0 }
    };
    // A JSON answer of exactly `len` bytes (the body limit is 64 KiB).
    let padded = |len: usize| {
        let mut v = r#"{"statusCode":"0","statusMsg":"ok","requestId":"1","pad":""#.to_string();
        while v.len() < len - 2 {
            v.push('x');
        }
        v.push_str("\"}");
        v
    };
    let big = padded(64 * 1024);
    let bigger = padded(64 * 1024 + 1);
    let chunked_at_limit = format!(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{big}\r\n0\r\n\r\n",
        big.len()
    );
    let many_headers = |n: usize| {
        let extra: String = (0..n).map(|i| format!("X-{i}: {i}\r\n")).collect();
        sized("200 OK", &extra, ok)
    };
    let long_head = sized(
        "200 OK",
        &format!("X-Long: {}\r\n", "y".repeat(16 * 1024 - 200)),
        ok,
    );
    let seeds: Vec<(&str, Vec<String>)> = vec![
        ("chunk-at-limit", vec![chunked_at_limit.clone()]),
        ("sized-at-limit", vec![sized("200 OK", "", &big)]),
        ("sized-over-limit", vec![sized("200 OK", "", &bigger)]),
        (
            "chunk-u64-max",
            vec![format!("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n{ok}\r\n0\r\n\r\n")],
        ),
        (
            "chunk-17-digits",
            vec![format!("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1ffffffffffffffff\r\n{ok}\r\n0\r\n\r\n")],
        ),
        ("bare-lf", vec![sized("200 OK", "", ok).replace("\r\n", "\n")]),
        ("204-then-200", vec!["HTTP/1.1 204 No Content\r\n\r\n".into(), sized("200 OK", "", ok)]),
        ("304-then-200", vec!["HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n".into(), sized("200 OK", "", ok)]),
        ("bom", vec![sized("200 OK", "", &format!("\u{feff}{ok}"))]),
        ("obs-fold", vec![sized("200 OK", "X-Note: a,\r\n b\r\n", ok)]),
        ("te-and-cl", vec![format!("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{ok}\r\n0\r\n\r\n", ok.len()), sized("200 OK", "", ok)]),
        ("te-identity-to-close", vec![format!("HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\nContent-Length: 2\r\n\r\n{ok}")]),
        ("101-then-200", vec![format!("HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n{}", sized("200 OK", "", ok))]),
        ("plus-length", vec![sized("200 OK", "", ok).replacen("Content-Length: ", "Content-Length: +", 1)]),
        ("head-at-16k", vec![long_head]),
        ("64-headers", vec![many_headers(62)]),
        ("65-headers", vec![many_headers(65)]),
        ("keep-alive-three", vec![sized("200 OK", "", ok), sized("200 OK", "", ok), sized("200 OK", "", ok)]),
        ("extra-bytes-after-body", vec![format!("{}HTTP/1.1 200 OK\r\n", sized("200 OK", "", ok)), sized("200 OK", "", ok)]),
        ("http10-keep-alive-then-close", vec![sized("200 OK", "Connection: keep-alive\r\n", ok).replacen("HTTP/1.1", "HTTP/1.0", 1), sized("200 OK", "Connection: close\r\n", ok)]),
    ];
    for (name, answers) in &seeds {
        let calls = answers.len().max(2) as u8;
        let joined = answers
            .iter()
            .map(|a| a.as_bytes())
            .collect::<Vec<_>>()
            .join(SEPARATOR);
        // Small answers whole and in 1- and 7-byte pieces; large ones (the
        // limits) in 4 KiB pieces only, to keep the corpus small (the
        // fuzzer varies the mode byte anyway).
        let pieces: &[(u8, &str)] = if joined.len() > 4096 {
            &[(7, "4k")]
        } else {
            &[(0, "whole"), (1, "1b"), (4, "7b")]
        };
        for &(piece, tag) in pieces {
            for (transport, t) in [(0u8, "builtin"), (1u8, "ureq")] {
                let mut bytes = vec![mode(calls, piece, true) | transport];
                bytes.extend_from_slice(&joined);
                std::fs::write(dir.join(format!("seed-{t}-reuse-{name}-{tag}")), bytes).unwrap();
            }
        }
    }
}

fn t(s: &str) -> Text {
    Text::Bytes(Bytes::from(s))
}

fn pairs(p: &[(&str, &str)]) -> Options {
    Options::Pairs(List(p.iter().map(|(n, v)| (t(n), t(v))).collect()))
}

fn new_client(options: Options) -> Op {
    Op::NewClient {
        sid: t("8a1f0c3e5b7d9f21a4c6e8b0d2f4a6c8"),
        token: t("5c7e9a1b3d5f7092e4b6c8d0f2a4c6e8"),
        app_id: t("ff8080813fc70a7b013fc72312324213"),
        options,
        base_path: 0,
        client_out_null: false,
        outcome_out_null: false,
    }
}

fn callback(h: Handle, src: Text, dst: Text, credit: i64, options: Options) -> Op {
    Op::Callback {
        handle: h,
        src,
        dst,
        credit,
        options,
        outcome_out_null: false,
    }
}

fn voice(h: Handle, dst: Text, code: Text, times: i32) -> Op {
    Op::Voice {
        handle: h,
        dst,
        dstclid: t("02160000000"),
        code,
        times,
        outcome_out_null: false,
    }
}

fn ffi_seeds() {
    let c0 = || Handle::Made(0);
    let seeds: Vec<(&str, ffi::Input)> = vec![
        (
            "valid-both-operations",
            List(vec![
                new_client(Options::None),
                callback(c0(), t("13800138000"), t("01085485069"), 600, Options::None),
                voice(c0(), t("13800138000"), t("4096"), 2),
                Op::Free(c0()),
            ]),
        ),
        (
            "valid-options",
            List(vec![
                new_client(pairs(&[
                    ("environment", "sandbox"),
                    ("timeout_ms", "2500"),
                    ("connect_timeout_ms", "1000"),
                    ("callback_action", "callDailBack"),
                    ("voice_code_func_url", "CodeCallOut.wx"),
                    ("voice_code_action", "callOutCode"),
                    ("proxy", "http://user:pw@127.0.0.1:8080"),
                ])),
                callback(
                    c0(),
                    t("+8613800138000"),
                    t("95555"),
                    61,
                    pairs(&[
                        ("customParm", "order-42"),
                        ("srcclid", "02160000000"),
                        ("ringbacktype", "3"),
                        ("customhintfile", "c.wav"),
                        ("iscallstatuscheck", "1"),
                    ]),
                ),
                voice(c0(), t("008613900139000"), t("ab12"), 3),
            ]),
        ),
        (
            "null-and-bad-utf8-arguments",
            List(vec![
                new_client(Options::None),
                callback(c0(), Text::Null, t("01085485069"), 600, Options::None),
                callback(
                    c0(),
                    t("13800138000"),
                    Text::Bytes(Bytes(vec![0xff, 0xfe])),
                    600,
                    Options::None,
                ),
                callback(
                    c0(),
                    t("13800138000"),
                    t("01085485069"),
                    600,
                    Options::NullNames(1),
                ),
                callback(
                    c0(),
                    t("13800138000"),
                    t("01085485069"),
                    600,
                    Options::NullValues(2),
                ),
                callback(
                    c0(),
                    t("13800138000"),
                    t("01085485069"),
                    600,
                    Options::Pairs(List(vec![
                        (Text::Known(0), Text::Null),
                        (Text::Null, t("1")),
                    ])),
                ),
                voice(c0(), t("13800138000"), Text::Null, 0),
                voice(c0(), t("13800138000"), Text::Null, 7),
                voice(
                    c0(),
                    Text::Bytes(Bytes(b"138\0 cut at the NUL".to_vec())),
                    t("1"),
                    1,
                ),
            ]),
        ),
        (
            "invalid-values",
            List(vec![
                new_client(Options::None),
                callback(c0(), t("13800138000"), t("01085485069"), 60, Options::None),
                callback(c0(), t("13800138000"), t("01085485069"), -1, Options::None),
                callback(
                    c0(),
                    t("13800138000"),
                    t("01085485069"),
                    i64::MAX,
                    Options::None,
                ),
                callback(
                    c0(),
                    t("13800138000"),
                    t("01085485069"),
                    600,
                    pairs(&[("bogus", "1")]),
                ),
                callback(
                    c0(),
                    t("13800138000"),
                    t("01085485069"),
                    600,
                    pairs(&[("", "1")]),
                ),
                voice(c0(), t("13800138000"), t("4096"), 4),
                voice(c0(), t("13800138000"), t("4096"), i32::MIN),
            ]),
        ),
        (
            "bad-client-arguments",
            List(vec![
                Op::NewClient {
                    sid: Text::Null,
                    token: t("x"),
                    app_id: t("y"),
                    options: Options::None,
                    base_path: 0,
                    client_out_null: false,
                    outcome_out_null: false,
                },
                Op::NewClient {
                    sid: t("8a1f0c3e5b7d9f21a4c6e8b0d2f4a6c8"),
                    token: t("S3cr3tT0kenValue0000000000000000 "),
                    app_id: t("app"),
                    options: Options::None,
                    base_path: 0,
                    client_out_null: false,
                    outcome_out_null: false,
                },
                new_client(pairs(&[("timeout_ms", "0")])),
                new_client(pairs(&[("environment", "prod")])),
                new_client(pairs(&[("proxy", "::bad::secretpw")])),
                new_client(pairs(&[("callback_func_url", "../x")])),
                new_client(pairs(&[("colour", "blue")])),
                Op::NewClient {
                    sid: t("8a1f0c3e5b7d9f21a4c6e8b0d2f4a6c8"),
                    token: t("5c7e9a1b3d5f7092e4b6c8d0f2a4c6e8"),
                    app_id: t("app"),
                    options: Options::None,
                    base_path: 4, // "/?q": a query in base_url
                    client_out_null: true,
                    outcome_out_null: false,
                },
            ]),
        ),
        (
            "handles",
            List(vec![
                callback(
                    Handle::Null,
                    t("13800138000"),
                    t("01085485069"),
                    600,
                    Options::None,
                ),
                voice(Handle::Raw(0xdead_beef), t("13800138000"), t("1"), 0),
                new_client(Options::None),
                new_client(Options::None),
                Op::Free(Handle::Made(0)),
                callback(
                    Handle::Made(0),
                    t("13800138000"),
                    t("01085485069"),
                    600,
                    Options::None,
                ),
                voice(Handle::Made(1), t("13800138000"), t("1"), 0),
                Op::Free(Handle::Made(0)),
                Op::Free(Handle::Null),
                Op::Free(Handle::Raw(usize::MAX)),
            ]),
        ),
        (
            "outcome-null-and-names",
            List(vec![
                Op::NullOutcome,
                Op::SetLogger {
                    level: 5,
                    null_callback: false,
                },
                Op::SetLogger {
                    level: -1,
                    null_callback: true,
                },
                Op::SetLogger {
                    level: 2,
                    null_callback: false,
                },
                Op::ResultName(0),
                Op::ResultName(14),
                Op::ResultName(90),
                Op::ResultName(-1),
                Op::ResultName(i32::MAX),
                new_client(Options::None),
                Op::Voice {
                    handle: c0(),
                    dst: t("13800138000"),
                    dstclid: t("02160000000"),
                    code: t("4096"),
                    times: 0,
                    outcome_out_null: true,
                },
            ]),
        ),
    ];
    for (name, s) in &seeds {
        write("ffi", name, s);
    }
}

/// Minimal inputs of the bugs the targets found, hand-minimised (a
/// structured input minimised by `cargo fuzz tmin` is not readable), in
/// `artifacts-found/` (`parse_response-*` there is a plain file).
fn found() {
    let dir = Path::new("artifacts-found");
    // CallbackCall::set("", "1") fails with an empty field().
    save(
        &dir.join("requests-empty-option-name"),
        &requests::Input {
            src: text("13800138000"),
            dst: text("01085485069"),
            credit: Credit::Direct(600),
            options: List(vec![opt("", "1")]),
            action: "callDailBack".into(),
            app_id: "app".into(),
            voice_dst: text("13800138000"),
            voice_dstclid: text("02160000000"),
            code: "4096".into(),
            times: Times::Direct(None),
            phone_field: false,
        },
    );
    // A voice code without dstclid (optional since issue 17): the oracle
    // still demanded one, and a random smoke run found it (issue 18).
    save(
        &dir.join("requests-voice-code-without-dstclid"),
        &requests::Input {
            src: text("13800138000"),
            dst: text("01085485069"),
            credit: Credit::Direct(600),
            options: List::default(),
            action: "callOutCode".into(),
            app_id: "app".into(),
            voice_dst: text("13800138000"),
            voice_dstclid: text(""),
            code: "4096".into(),
            times: Times::Direct(None),
            phone_field: false,
        },
    );
    // ytx_callback_prepare with option name "": INVALID_ARGUMENT, field "".
    save(
        &dir.join("ffi-empty-option-name-callback"),
        &List(vec![
            new_client(Options::None),
            callback(
                Handle::Made(0),
                t("13800138000"),
                t("01085485069"),
                600,
                pairs(&[("", "1")]),
            ),
        ]),
    );
    // ytx_client_new with option name "": INVALID_ARGUMENT, field "".
    save(
        &dir.join("ffi-empty-option-name-client"),
        &List(vec![new_client(pairs(&[("", "1")]))]),
    );
    // Option name "" with a NULL value: NULL_ARGUMENT, field "".
    save(
        &dir.join("ffi-empty-option-name-null-value"),
        &List(vec![
            new_client(Options::None),
            callback(
                Handle::Made(0),
                t("13800138000"),
                t("01085485069"),
                600,
                Options::Pairs(List(vec![(t(""), Text::Null)])),
            ),
        ]),
    );
    // ureq 2.12.1 panics on a header line without a colon (Header::value
    // slices past the line). Transport byte 1 (ureq), then the answer.
    let answer =
        "HTTP/1.1 200 OK\r\nConnection\r\nContent-Length: 17\r\n\r\n{\"statusCode\":\"0\"}";
    let mut bytes = vec![1u8];
    bytes.extend_from_slice(answer.as_bytes());
    std::fs::write(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(dir.join("http_answer-ureq-header-without-colon")),
        bytes,
    )
    .unwrap();
}

fn main() {
    response_seeds();
    http_answer_seeds();
    request_seeds();
    ffi_seeds();
    found();
    println!("seeds written under {}/corpus", env!("CARGO_MANIFEST_DIR"));
}
