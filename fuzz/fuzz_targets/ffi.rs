//! The C ABI, driven as a C caller would: NUL-terminated strings made from
//! arbitrary bytes, NULL pointers chosen by the input, option arrays (the
//! count always matches what is allocated: lying about it is UB by contract),
//! arbitrary credit/times integers and arbitrary (never dereferenced) handle
//! values.
//!
//! Only dry-run functions are used (`ytx_callback_prepare`,
//! `ytx_voice_code_prepare`), plus `ytx_client_new` / `ytx_free`; every client
//! gets `base_url` = `http://127.0.0.1:9...` as its last option, so even a
//! send could not leave the machine. Nothing here sends.
//!
//! Invariants:
//! * no crash, no panic (`YTX_ERR_PANIC` is a finding), no leak (every outcome
//!   and client is freed; libFuzzer's -detect_leaks checks);
//! * the returned code equals `ytx_outcome_result(outcome)` and has a name;
//! * every string accessor returns non-NULL, NUL-terminated UTF-8 (also for a
//!   NULL outcome);
//! * the code, field and message are those of a Rust model of the call built
//!   from the public Rust API (`ClientBuilder::set`, `CallbackCall::set`,
//!   `credit_from_i64`, `times_from_i64`, `to_json`); an argument error names
//!   a non-empty field; on success the body is the model's `to_json`, the URL
//!   is the loopback base URL + `?Sign=` + 32 hex digits, nothing was sent;
//! * a handle that is not live gives `YTX_ERR_INVALID_HANDLE`;
//! * the auth token never appears in an outcome (unless the caller also passed
//!   it as another argument);
//! * `ytx_live_clients()` is back to its starting value after each input;
//! * with a log callback installed (`ytx_set_logger`, DEBUG unless the input
//!   changes it), every message is non-empty UTF-8 at a level 1–4, and shows
//!   neither the request's Sign nor the auth token.
#![no_main]

use std::ffi::{c_char, c_void, CStr};
use std::ptr;

use libfuzzer_sys::fuzz_target;
use ytx::config::{ClientBuilder, CLIENT_OPTION_NAMES};
use ytx::ffi::ytx_delivery;
use ytx::ffi::ytx_result as R;
use ytx::ffi::*;
use ytx::request::{self, CallbackCall, VoiceCode, CALLBACK_OPTION_NAMES};
use ytx_fuzz::ffi::{Handle, Input, Op, Options, Text};

const BASE_URL: &str = "http://127.0.0.1:9";
const BASE_PATHS: &[&str] = &["", "/", "/gw/ytx/", "/a b", "/?q", "/#f", "/x\n", "/ü"];

const CREDENTIALS: &[&str] = &[
    "8a1f0c3e5b7d9f21a4c6e8b0d2f4a6c8",
    "5c7e9a1b3d5f7092e4b6c8d0f2a4c6e8",
    "ff8080813fc70a7b013fc72312324213",
    "abc",
    "",
    "a b",
    "abc\n",
    "a|b",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "ÄÖ",
    // Token canaries: the token check runs only for tokens from this table
    // (see token_check), valid or not.
    "S3cr3tT0kenValue0000000000000000",
    "S3cr3tT0kenValue0000000000000000 ",
    "S3cr3tT0kenValue00000000\n",
    "S3cr3t|T0ken|Value|0000",
    "S3cr3tT0kenValueS3cr3tT0kenValueS3cr3tT0kenValueS3cr3tT0kenValue0",
];
const PHONES: &[&str] = &[
    "13800138000",
    "01085485069",
    "+8613800138000",
    "008613900139000",
    "95555",
    "1234",
    "123456789012345678901",
    "+12025550123",
    "+861085485069",
    "138 0013 8000",
    "",
];
const CODES: &[&str] = &[
    "4096",
    "ab12",
    "",
    "9999999999999999999",
    "99999999999999999999",
    "12 34",
    "１２",
];
const VALUES: &[&str] = &[
    "1",
    "0",
    "2",
    "3",
    "30",
    "4294967295",
    "4294967296",
    "-1",
    "a.wav",
    "order-42",
    "",
    "a\nb",
    "sandbox",
    "production",
    "1000",
    "60000",
    "http://127.0.0.1:8",
    "not a url",
    "CodeCallOut.wx",
    "callOutCode",
    "../x",
];

/// Storage for the C strings and pointer arrays of one call.
#[derive(Default)]
struct Arena {
    strings: Vec<Vec<u8>>,
    arrays: Vec<Vec<*const c_char>>,
}

impl Arena {
    /// The bytes a C caller passes (None for NULL), and the pointer.
    fn text(&mut self, t: &Text, table: &[&str]) -> (Option<Vec<u8>>, *const c_char) {
        let bytes = match t {
            Text::Null => return (None, ptr::null()),
            Text::Known(i) => table[*i as usize % table.len()].as_bytes().to_vec(),
            Text::Bytes(b) => b.0.clone(),
        };
        (Some(until_nul(&bytes).to_vec()), self.c_string(&bytes))
    }

    fn c_string(&mut self, bytes: &[u8]) -> *const c_char {
        let mut v = bytes.to_vec();
        v.push(0);
        // The heap buffer does not move when `v` moves into `strings`.
        let p = v.as_ptr().cast();
        self.strings.push(v);
        p
    }

    fn array(&mut self, ptrs: Vec<*const c_char>) -> *const *const c_char {
        let p = ptrs.as_ptr();
        self.arrays.push(ptrs);
        p
    }
}

/// What C sees of a byte buffer with a NUL appended.
fn until_nul(b: &[u8]) -> &[u8] {
    match b.iter().position(|&c| c == 0) {
        Some(i) => &b[..i],
        None => b,
    }
}

/// The options as the model sees them.
enum OptModel {
    Pairs(Vec<(Option<Vec<u8>>, Option<Vec<u8>>)>),
    NullNames,
    NullValues,
    Empty,
}

struct COptions {
    names: *const *const c_char,
    values: *const *const c_char,
    count: usize,
    model: OptModel,
}

fn build_options(
    arena: &mut Arena,
    o: &Options,
    name_table: &[&str],
    forced: Option<(&str, String)>,
) -> COptions {
    // NULL arrays still come with `count` real entries on the other side.
    let filler = |n: &u8| -> Vec<(Text, Text)> {
        (0..(*n as usize % 4 + 1))
            .map(|_| (Text::Known(0), Text::Known(8)))
            .collect()
    };
    let (pairs, null_names, null_values) = match o {
        Options::Pairs(p) => (p.0.iter().take(12).cloned().collect(), false, false),
        Options::NullNames(n) => (filler(n), true, false),
        Options::NullValues(n) => (filler(n), false, true),
        Options::NullBoth(n) => (filler(n), true, true),
        // With a forced option there is something to pass: real arrays.
        Options::None => (Vec::new(), forced.is_none(), forced.is_none()),
    };
    let mut names = Vec::new();
    let mut values = Vec::new();
    let mut model = Vec::new();
    for (n, v) in &pairs {
        let (nb, np) = arena.text(n, name_table);
        let (vb, vp) = arena.text(v, VALUES);
        names.push(np);
        values.push(vp);
        model.push((nb, vb));
    }
    if let Some((name, value)) = forced {
        names.push(arena.c_string(name.as_bytes()));
        values.push(arena.c_string(value.as_bytes()));
        model.push((Some(name.as_bytes().to_vec()), Some(value.into_bytes())));
    }
    let count = names.len();
    let model = if count == 0 {
        OptModel::Empty
    } else if null_names {
        OptModel::NullNames
    } else if null_values {
        OptModel::NullValues
    } else {
        OptModel::Pairs(model)
    };
    COptions {
        names: if null_names {
            ptr::null()
        } else {
            arena.array(names)
        },
        values: if null_values {
            ptr::null()
        } else {
            arena.array(values)
        },
        count,
        model,
    }
}

fn name_table_all() -> &'static [&'static str] {
    static ALL: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    ALL.get_or_init(|| {
        let mut v: Vec<&str> = CALLBACK_OPTION_NAMES.to_vec();
        v.extend(CLIENT_OPTION_NAMES);
        v.push("");
        v.push("bogus");
        v
    })
}

/// A client made by this input.
struct Made {
    handle: *mut ytx_client,
    live: bool,
    token: Vec<u8>,
    /// The token came from the CREDENTIALS table (see token_check).
    canary: bool,
    /// Every other string given to ytx_client_new (for the token check).
    others: Vec<Vec<u8>>,
    app_id: String,
    callback_action: String,
    voice_action: String,
    base: String,
}

/// Everything an outcome says, read through the accessors.
#[derive(Debug, Default)]
struct View {
    result: Option<R>,
    delivery: Option<ytx_delivery>,
    http_status: u16,
    message: String,
    field: String,
    status_code: String,
    status_msg: String,
    request_id: String,
    method: String,
    url: String,
    headers: String,
    body: String,
}

unsafe fn c_text(p: *const c_char, what: &str) -> String {
    assert!(!p.is_null(), "{what} returned NULL");
    CStr::from_ptr(p)
        .to_str()
        .unwrap_or_else(|_| panic!("{what} is not UTF-8"))
        .to_owned()
}

/// Read and free an outcome, checking what holds for every outcome.
unsafe fn view(ret: R, out: *mut ytx_outcome) -> View {
    let name = c_text(ytx_result_name(ret as u32), "ytx_result_name");
    assert_ne!(name, "YTX_UNKNOWN", "{ret:?} has no name");
    assert_ne!(
        ret,
        R::YTX_ERR_PANIC,
        "a panic was caught at the C boundary"
    );
    if out.is_null() {
        return View::default();
    }
    let v = View {
        result: Some(ytx_outcome_result(out)),
        delivery: Some(ytx_outcome_delivery(out)),
        http_status: ytx_outcome_http_status(out),
        message: c_text(ytx_outcome_message(out), "message"),
        field: c_text(ytx_outcome_field(out), "field"),
        status_code: c_text(ytx_outcome_status_code(out), "status_code"),
        status_msg: c_text(ytx_outcome_status_msg(out), "status_msg"),
        request_id: c_text(ytx_outcome_request_id(out), "request_id"),
        method: c_text(ytx_outcome_request_method(out), "request_method"),
        url: c_text(ytx_outcome_request_url(out), "request_url"),
        headers: c_text(ytx_outcome_request_headers(out), "request_headers"),
        body: c_text(ytx_outcome_request_body(out), "request_body"),
    };
    ytx_outcome_free(out);
    assert_eq!(
        v.result,
        Some(ret),
        "returned code differs from ytx_outcome_result"
    );
    // Nothing in this target reaches the platform.
    assert_eq!(v.http_status, 0);
    assert!(v.status_code.is_empty() && v.status_msg.is_empty() && v.request_id.is_empty());
    assert_eq!(
        v.delivery,
        Some(ytx_delivery::YTX_DELIVERY_NOT_SENT),
        "{v:?}"
    );
    if ret == R::YTX_OK {
        assert!(v.message.is_empty() && v.field.is_empty(), "{v:?}");
    } else {
        assert!(!v.message.is_empty(), "{v:?}");
        assert!(
            v.method.is_empty() && v.url.is_empty() && v.body.is_empty(),
            "{v:?}"
        );
        match ret {
            R::YTX_ERR_NULL_ARGUMENT | R::YTX_ERR_INVALID_UTF8 | R::YTX_ERR_INVALID_ARGUMENT => {
                assert!(!v.field.is_empty(), "argument error without a field: {v:?}")
            }
            _ => assert!(v.field.is_empty(), "{v:?}"),
        }
    }
    v
}

/// The model's verdict: Ok(body or ()) or (code, field, message).
type Model<T> = Result<T, (R, String, String)>;

/// What the C ABI answers for a NULL pointer argument.
fn null_arg<T>(field: impl Into<String>) -> Model<T> {
    let field = field.into();
    Err((
        R::YTX_ERR_NULL_ARGUMENT,
        field.clone(),
        format!("{field}: must not be NULL"),
    ))
}

/// What the C ABI answers for a string that is not UTF-8.
fn bad_utf8<T>(field: impl Into<String>) -> Model<T> {
    let field = field.into();
    Err((
        R::YTX_ERR_INVALID_UTF8,
        field.clone(),
        format!("{field}: is not valid UTF-8"),
    ))
}

fn err<T>(e: ytx::Error) -> Model<T> {
    Err((
        ytx::ffi::ytx_result::from(e.code()),
        e.field().unwrap_or_default().to_string(),
        e.to_string(),
    ))
}

fn model_str(b: &Option<Vec<u8>>, field: &str) -> Model<String> {
    match b {
        None => null_arg(field),
        Some(b) => match std::str::from_utf8(b) {
            Ok(s) => Ok(s.to_string()),
            Err(_) => bad_utf8(field),
        },
    }
}

fn model_options(o: &OptModel, mut set: impl FnMut(&str, &str) -> ytx::Result<()>) -> Model<()> {
    match o {
        OptModel::Empty => Ok(()),
        OptModel::NullNames => null_arg("option_names"),
        OptModel::NullValues => null_arg("option_values"),
        OptModel::Pairs(pairs) => {
            for (i, (n, v)) in pairs.iter().enumerate() {
                let name = model_str(n, &format!("option_names[{i}]"))?;
                if name.is_empty() {
                    return err(ytx::Error::invalid(
                        format!("option_names[{i}]"),
                        "must not be empty",
                    ));
                }
                let value = model_str(v, &name)?;
                set(&name, &value).or_else(err)?;
            }
            Ok(())
        }
    }
}

/// Compare the C outcome with the model.
fn compare<T>(ret: R, v: &View, model: &Model<T>, has_outcome: bool) {
    match model {
        Ok(_) => assert_eq!(ret, R::YTX_OK, "model says OK: {v:?}"),
        Err((code, field, message)) => {
            assert_eq!(ret, *code, "model says {code:?} ({message}): {v:?}");
            if has_outcome {
                assert_eq!(&v.field, field);
                assert_eq!(v.message, message.replace('\0', "\u{FFFD}"));
            }
        }
    }
}

/// The auth token shows neither in the outcome nor in what was logged (unless
/// the caller passed the same text as another argument).
///
/// Only for tokens picked from `CREDENTIALS` (`canary`) of 12 bytes or more:
/// a token made of arbitrary bytes is steered by libFuzzer's comparison
/// tracing into matching the library's own fixed text (seen: a token equal
/// to part of "client not sent: account_sid: must not be NULL").
fn token_check(token: &[u8], canary: bool, others: &[&[u8]], v: &View, logs: &[String]) {
    if !canary
        || token.len() < 12
        || others
            .iter()
            .any(|o| o.windows(token.len()).any(|w| w == token))
    {
        return;
    }
    let Ok(token) = std::str::from_utf8(token) else {
        return;
    };
    let url = v.url.split("?Sign=").next().unwrap_or("");
    for (what, s) in [
        ("message", &v.message),
        ("field", &v.field),
        ("url", &url.to_string()),
        ("headers", &v.headers),
        ("body", &v.body),
    ] {
        assert!(
            !s.contains(token),
            "the auth token shows in the outcome's {what}: {s:?}"
        );
    }
    for m in logs {
        assert!(!m.contains(token), "the auth token was logged: {m:?}");
    }
}

thread_local! {
    static LOGS: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The log callback: keeps every message for the checks after each call.
unsafe extern "C" fn collect_log(
    _user_data: *mut c_void,
    level: ytx_log_level,
    message: *const c_char,
) {
    assert!(
        (1..=4).contains(&(level as i32)),
        "logged at level {}",
        level as i32
    );
    let text = c_text(message, "log message");
    LOGS.with(|l| l.borrow_mut().push(text));
}

/// The messages logged since the last call; none shows the request's Sign
/// (known when the call returned a prepared request in its outcome). Only
/// the real value is looked for: "Sign=" itself may come from the caller's
/// own text, which error messages quote.
fn take_logs(sign: Option<&str>) -> Vec<String> {
    let logs = LOGS.with(|l| std::mem::take(&mut *l.borrow_mut()));
    for m in &logs {
        assert!(!m.is_empty(), "empty log message");
        if let Some(sign) = sign {
            assert!(!m.contains(sign), "the Sign was logged: {m:?}");
        }
    }
    logs
}

unsafe fn set_logger(level: i32, null_callback: bool) {
    let callback: ytx_log_callback = if null_callback {
        None
    } else {
        Some(collect_log)
    };
    let ret = ytx_set_logger(callback, ptr::null_mut(), level);
    let expected = if (0..=4).contains(&level) {
        R::YTX_OK
    } else {
        R::YTX_ERR_INVALID_ARGUMENT
    };
    assert_eq!(ret, expected, "ytx_set_logger(.., {level})");
    take_logs(None);
}

fn check_prepared(v: &View, client: &Made, body: &str) {
    assert_eq!(v.method, "POST");
    let (url, sign) = v.url.split_once("?Sign=").expect("URL has ?Sign=");
    assert!(
        url.starts_with(&format!("{}/201512/sid/", client.base)),
        "{url}"
    );
    assert!(url.starts_with(BASE_URL));
    assert!(
        sign.len() == 32
            && sign
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_lowercase()),
        "{sign}"
    );
    assert!(v.headers.starts_with("Accept: application/json\nContent-Type: application/json;charset=utf-8\nAuthorization: "), "{}", v.headers);
    assert!(v.headers.ends_with('\n'));
    assert_eq!(v.body, body);
    let o: serde_json::Value = serde_json::from_str(&v.body).expect("body is JSON");
    let o = o.as_object().expect("body is an object");
    assert!(o.values().all(|v| v.is_string()), "{}", v.body);
}

fn find_live(made: &[Made], h: *mut ytx_client) -> Option<usize> {
    made.iter().position(|m| m.live && m.handle == h)
}

fn handle_of(made: &[Made], h: &Handle) -> *mut ytx_client {
    match h {
        Handle::Made(i) if !made.is_empty() => made[*i as usize % made.len()].handle,
        // No client yet: a value no client ever gets (keys are multiples of 16).
        Handle::Made(i) => (0x7974_0000usize + 1 + *i as usize) as *mut ytx_client,
        Handle::Null => ptr::null_mut(),
        Handle::Raw(v) => *v as *mut ytx_client,
    }
}

fn out_ptr(out: &mut *mut ytx_outcome, null: bool) -> *mut *mut ytx_outcome {
    if null {
        ptr::null_mut()
    } else {
        out
    }
}

unsafe fn new_client(made: &mut Vec<Made>, op: &Op) {
    let Op::NewClient {
        sid,
        token,
        app_id,
        options,
        base_path,
        client_out_null,
        outcome_out_null,
    } = op
    else {
        unreachable!()
    };
    let mut arena = Arena::default();
    let (sid_b, sid_p) = arena.text(sid, CREDENTIALS);
    let (tok_b, tok_p) = arena.text(token, CREDENTIALS);
    let (app_b, app_p) = arena.text(app_id, CREDENTIALS);
    let base = format!(
        "{BASE_URL}{}",
        BASE_PATHS[*base_path as usize % BASE_PATHS.len()]
    );
    // base_url always goes last, so no option can point the client elsewhere.
    let opts = build_options(
        &mut arena,
        options,
        name_table_all(),
        Some(("base_url", base.clone())),
    );

    let before = ytx_live_clients();
    let sentinel = 0x5eed_usize as *mut ytx_client;
    let mut client: *mut ytx_client = sentinel;
    let mut out: *mut ytx_outcome = ptr::null_mut();
    let ret = ytx_client_new(
        sid_p,
        tok_p,
        app_p,
        opts.names,
        opts.values,
        opts.count,
        if *client_out_null {
            ptr::null_mut()
        } else {
            &mut client
        },
        out_ptr(&mut out, *outcome_out_null),
    );
    let v = view(ret, out);
    assert!(matches!(
        ret,
        R::YTX_OK
            | R::YTX_ERR_NULL_ARGUMENT
            | R::YTX_ERR_INVALID_UTF8
            | R::YTX_ERR_INVALID_ARGUMENT
    ));
    assert!(v.method.is_empty() && v.url.is_empty() && v.body.is_empty());

    // The model: the same steps with the Rust API.
    let mut actions = (String::from("callDailBack"), String::from("callOutCode"));
    let model: Model<()> = (|| {
        let s = model_str(&sid_b, "account_sid")?;
        let t = model_str(&tok_b, "auth_token")?;
        let a = model_str(&app_b, "app_id")?;
        let mut b = ClientBuilder::new(s, t, a);
        // Every name and value is converted first, then set as a whole
        // (order-free, each once, environment xor base_url).
        let mut pairs: Vec<(String, String)> = Vec::new();
        model_options(&opts.model, |n, val| {
            pairs.push((n.to_string(), val.to_string()));
            Ok(())
        })?;
        b.set_options(pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())))
            .or_else(err)?;
        for (n, val) in &pairs {
            match n.as_str() {
                "callback_action" => actions.0 = val.clone(),
                "voice_code_action" => actions.1 = val.clone(),
                _ => {}
            }
        }
        if *client_out_null {
            return null_arg("client_out");
        }
        b.build().map(drop).or_else(err)
    })();
    compare(ret, &v, &model, !*outcome_out_null);

    let mut others: Vec<Vec<u8>> = Vec::new();
    others.extend(sid_b.clone());
    others.extend(app_b.clone());
    if let OptModel::Pairs(p) = &opts.model {
        for (n, val) in p {
            others.extend(n.clone());
            others.extend(val.clone());
        }
    }
    if let Some(t) = &tok_b {
        let o: Vec<&[u8]> = others.iter().map(Vec::as_slice).collect();
        let logs = take_logs(None);
        token_check(t, matches!(token, Text::Known(_)), &o, &v, &logs);
    }

    if ret == R::YTX_OK {
        assert!(!client.is_null() && client != sentinel);
        assert!(
            made.iter().all(|m| m.handle != client),
            "a handle value was reused"
        );
        assert_eq!(ytx_live_clients(), before + 1);
        made.push(Made {
            handle: client,
            live: true,
            token: tok_b.unwrap(),
            canary: matches!(token, Text::Known(_)),
            others,
            app_id: String::from_utf8(app_b.unwrap()).unwrap(),
            callback_action: actions.0,
            voice_action: actions.1,
            base: base.trim_end_matches('/').to_string(),
        });
    } else {
        assert_eq!(client, sentinel, "client_out written on error");
        assert_eq!(ytx_live_clients(), before);
    }
}

unsafe fn prepare(made: &[Made], op: &Op) {
    let mut arena = Arena::default();
    let mut out: *mut ytx_outcome = ptr::null_mut();
    let (handle, outcome_null, ret, model, args): (_, _, _, Option<Model<String>>, Vec<Vec<u8>>) =
        match op {
            Op::Callback {
                handle,
                src,
                dst,
                credit,
                options,
                outcome_out_null,
            } => {
                let h = handle_of(made, handle);
                let (src_b, src_p) = arena.text(src, PHONES);
                let (dst_b, dst_p) = arena.text(dst, PHONES);
                let opts = build_options(&mut arena, options, name_table_all(), None);
                let ret = ytx_callback_prepare(
                    h,
                    src_p,
                    dst_p,
                    *credit,
                    opts.names,
                    opts.values,
                    opts.count,
                    out_ptr(&mut out, *outcome_out_null),
                );
                let model = find_live(made, h).map(|i| {
                    let c = &made[i];
                    let src = model_str(&src_b, "src")?;
                    let dst = model_str(&dst_b, "dst")?;
                    let credit = request::credit_from_i64(*credit).or_else(err)?;
                    let mut call = CallbackCall::new(src, dst, credit);
                    model_options(&opts.model, |n, v| call.set(n, v))?;
                    call.to_json(&c.callback_action, &c.app_id).or_else(err)
                });
                let mut args: Vec<Vec<u8>> = src_b.into_iter().chain(dst_b).collect();
                if let OptModel::Pairs(p) = opts.model {
                    for (n, v) in p {
                        args.extend(n);
                        args.extend(v);
                    }
                }
                (h, *outcome_out_null, ret, model, args)
            }
            Op::Voice {
                handle,
                dst,
                dstclid,
                code,
                times,
                outcome_out_null,
            } => {
                let h = handle_of(made, handle);
                let (dst_b, dst_p) = arena.text(dst, PHONES);
                let (clid_b, clid_p) = arena.text(dstclid, PHONES);
                let (code_b, code_p) = arena.text(code, CODES);
                let ret = ytx_voice_code_prepare(
                    h,
                    dst_p,
                    clid_p,
                    code_p,
                    *times,
                    out_ptr(&mut out, *outcome_out_null),
                );
                let model = find_live(made, h).map(|i| {
                    let c = &made[i];
                    // Arguments are checked in parameter order.
                    let mut vc = VoiceCode::new(
                        model_str(&dst_b, "dst")?,
                        // Optional: NULL is "", not sent.
                        match &clid_b {
                            None => String::new(),
                            Some(_) => model_str(&clid_b, "dstclid")?,
                        },
                        model_str(&code_b, "code")?,
                    );
                    vc.times = request::times_from_i64(i64::from(*times)).or_else(err)?;
                    vc.to_json(&c.voice_action, &c.app_id).or_else(err)
                });
                let args = dst_b.into_iter().chain(clid_b).chain(code_b).collect();
                (h, *outcome_out_null, ret, model, args)
            }
            _ => unreachable!(),
        };
    let v = view(ret, out);
    let logs = take_logs(v.url.split_once("?Sign=").map(|(_, s)| s));
    let Some(model) = model else {
        assert_eq!(
            ret,
            R::YTX_ERR_INVALID_HANDLE,
            "handle {handle:?} is not live"
        );
        return;
    };
    assert!(matches!(
        ret,
        R::YTX_OK
            | R::YTX_ERR_NULL_ARGUMENT
            | R::YTX_ERR_INVALID_UTF8
            | R::YTX_ERR_INVALID_ARGUMENT
    ));
    compare(ret, &v, &model, !outcome_null);
    let client = &made[find_live(made, handle).unwrap()];
    if let (Ok(body), false) = (&model, outcome_null) {
        check_prepared(&v, client, body);
    }
    let mut others: Vec<&[u8]> = client.others.iter().map(Vec::as_slice).collect();
    others.extend(args.iter().map(Vec::as_slice));
    token_check(&client.token, client.canary, &others, &v, &logs);
}

unsafe fn free(made: &mut [Made], h: &Handle) {
    let h = handle_of(made, h);
    let before = ytx_live_clients();
    let ret = ytx_free(h);
    if h.is_null() {
        assert_eq!(ret, R::YTX_OK);
    } else if let Some(i) = find_live(made, h) {
        assert_eq!(ret, R::YTX_OK);
        made[i].live = false;
        assert_eq!(ytx_live_clients(), before - 1);
        return;
    } else {
        assert_eq!(ret, R::YTX_ERR_INVALID_HANDLE, "freeing {h:?}");
    }
    assert_eq!(ytx_live_clients(), before);
}

unsafe fn null_outcome() {
    let null = ptr::null();
    assert_eq!(ytx_outcome_result(null), R::YTX_ERR_NULL_ARGUMENT);
    // A missing outcome never says "safe to retry".
    assert_eq!(
        ytx_outcome_delivery(null),
        ytx_delivery::YTX_DELIVERY_UNKNOWN
    );
    assert_eq!(ytx_outcome_http_status(null), 0);
    for (what, p) in [
        ("message", ytx_outcome_message(null)),
        ("field", ytx_outcome_field(null)),
        ("status_code", ytx_outcome_status_code(null)),
        ("status_msg", ytx_outcome_status_msg(null)),
        ("request_id", ytx_outcome_request_id(null)),
        ("request_method", ytx_outcome_request_method(null)),
        ("request_url", ytx_outcome_request_url(null)),
        ("request_headers", ytx_outcome_request_headers(null)),
        ("request_body", ytx_outcome_request_body(null)),
    ] {
        assert_eq!(c_text(p, what), "", "{what} of NULL");
    }
    ytx_outcome_free(ptr::null_mut());
}

fuzz_target!(|data: &[u8]| {
    let Some(ops) = ytx_fuzz::decode::<Input>(data) else {
        return;
    };
    let start = ytx_live_clients();
    // SAFETY: collect_log may be called from any thread with any user_data.
    unsafe { set_logger(4, false) };
    let mut made: Vec<Made> = Vec::new();
    // SAFETY: every pointer passed is NULL or points into live buffers of the
    // right length, NUL-terminated; counts match the arrays.
    unsafe {
        for op in ops.0.iter().take(32) {
            match op {
                Op::NewClient { .. } if made.len() < 4 => new_client(&mut made, op),
                Op::NewClient { .. } => {}
                Op::Callback { .. } | Op::Voice { .. } => prepare(&made, op),
                Op::Free(h) => free(&mut made, h),
                Op::ResultName(code) => {
                    let name = c_text(ytx_result_name(*code as u32), "ytx_result_name");
                    assert!(name.starts_with("YTX_"), "{name}");
                }
                Op::NullOutcome => null_outcome(),
                Op::SetLogger {
                    level,
                    null_callback,
                } => set_logger(*level, *null_callback),
            }
        }
        for m in made.iter().filter(|m| m.live) {
            assert_eq!(ytx_free(m.handle), R::YTX_OK);
        }
        for m in &made {
            // Freed handles stay invalid: keys are never reused.
            assert_eq!(ytx_free(m.handle), R::YTX_ERR_INVALID_HANDLE);
        }
    }
    assert_eq!(ytx_live_clients(), start, "a client outlived its input");
});
