//! Local emulator of the ytx.net (云通信) voice platform REST API.
//!
//! It answers `POST /201512/sid/{accountSID}/call/{funcURL}?Sign=...`
//! (`DailbackCall.wx`, `CodeCallOut.wx`, `NoticeCall.wx`, `CallCdr.wx`) and
//! `POST /201612/sid/{accountSID}/account/getBlance.wx?Sign=...` the way
//! `/work/shared/spec/PROTOCOL.md` says the real platform does: it checks the
//! account, the `Authorization` header and its UTC+8 timestamp, the `Sign`
//! query parameter, the JSON body and every field, and answers the platform's
//! `{"statusCode":..,"statusMsg":..,"requestId":..}` object. Magic `dst`
//! numbers (the `FAULT_*` consts and [`PLATFORM_CODE_PREFIX`]) make it misbehave
//! on purpose so that clients can be tested against broken transports and
//! every platform status code.
//!
//! Each accepted call is then played through: a record ([`CallRecord`],
//! served by `CallCdr.wx`), a charge on the account's balance (`-204` once it
//! runs low), and, if the app has a [`App::push_url`], state pushes and a
//! record push delivered in the background ([`Push`]). The `CALL_*` numbers
//! make a call fail or its pushes arrive twice or out of order. See
//! `emulator/README.md`.
//!
//! The signature and timestamp checks here are written independently of the
//! client library on purpose: the client is only ever tested against this
//! emulator, so sharing code would let one bug hide another.
//!
//! # Why a hand-written `std::net` HTTP server and not `tiny_http`
//!
//! `tiny_http` (the dependency first planned for this crate) cannot produce several of
//! the faults this emulator exists for:
//!
//! * dropping a `Request` unanswered makes tiny_http send `500`, and
//!   `Request::into_writer()` / `upgrade()` only hand out a writer (or a
//!   stream) that sits *behind* tiny_http's connection loop: dropping it does
//!   not close the socket, tiny_http goes on waiting for the next keep-alive
//!   request, so "read the request, then close with no answer" and "send
//!   half the body, then close" are impossible;
//! * its response writer is a `BufWriter` shared through a sequencing layer,
//!   which makes "one byte every 200 ms" delivery unreliable;
//! * dropping a `tiny_http::Server` leaves its per-connection threads running,
//!   so `stop()` could not join everything promptly.
//!
//! So the emulator owns the sockets: one accept thread plus one thread per
//! connection, a small HTTP/1.1 parser (Content-Length and chunked bodies,
//! `Expect: 100-continue`, keep-alive and pipelining), and a registry of
//! live sockets so that `stop()` can shut every connection down and join
//! every thread.

#![forbid(unsafe_code)]

mod calls;
mod protocol;
mod push;
mod server;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener};
use std::sync::Arc;
use std::thread::JoinHandle;

use serde::{Deserialize, Serialize};

/// Account id of the demo account in [`Config::default`].
pub const DEMO_ACCOUNT_SID: &str = "8a1f0c3e5b7d9f21a4c6e8b0d2f4a6c8";
/// Auth token of the demo account.
pub const DEMO_AUTH_TOKEN: &str = "5c7e9a1b3d5f7092e4b6c8d0f2a4c6e8";
/// Demo app with both the callback and the voice-code feature enabled.
pub const DEMO_APP_ID: &str = "ff8080813fc70a7b013fc72312324213";
/// Demo app with only the callback feature (a voice code through it answers `-205`).
pub const DEMO_CALLBACK_ONLY_APP_ID: &str = "ff8080813fc70a7b013fc72300000001";

/// Default `Config::timestamp_window_secs`: the platform's ten minutes.
pub const DEFAULT_TIMESTAMP_WINDOW_SECS: u64 = 600;
/// Default `Config::slow_secs`.
pub const DEFAULT_SLOW_SECS: u64 = 60;

/// `dst` that makes the answer slow: sleep `Config::slow_secs`, then a normal success.
pub const FAULT_SLOW_ANSWER: &str = "19900000001";
/// `dst` that makes the emulator read the request, then close the connection without answering.
pub const FAULT_DROP_CONNECTION: &str = "19900000002";
/// `dst` answered with HTTP 500 and an HTML body.
pub const FAULT_HTTP_500: &str = "19900000003";
/// `dst` answered with HTTP 200 and an HTML (non-JSON) body.
pub const FAULT_NOT_JSON: &str = "19900000004";
/// `dst` answered with HTTP 200 and truncated JSON `{"statusCode":"0","statusMs`.
pub const FAULT_TRUNCATED_JSON: &str = "19900000005";
/// `dst` answered with HTTP 200 and a JSON object without `statusCode`.
pub const FAULT_NO_STATUS_CODE: &str = "19900000006";
/// `dst` answered with HTTP 200 and `statusCode` as a JSON number (`0`).
pub const FAULT_NUMERIC_STATUS_CODE: &str = "19900000007";
/// `dst` answered with HTTP 200 and a body of [`HUGE_BODY_LEN`] bytes (valid JSON, statusCode "0").
pub const FAULT_HUGE_BODY: &str = "19900000008";
/// `dst` answered with HTTP 200, `application/json;charset=utf-8`, and a body that is not UTF-8 (GBK).
pub const FAULT_NOT_UTF8: &str = "19900000009";
/// `dst` answered with headers (with Content-Length) at once, then the body one byte every [`SLOW_BODY_BYTE_INTERVAL_MS`].
pub const FAULT_SLOW_BODY: &str = "19900000010";
/// `dst` answered with HTTP 502 and an HTML body.
pub const FAULT_HTTP_502: &str = "19900000011";
/// `dst` answered with the headers (full Content-Length) and half the body, then the connection is closed.
pub const FAULT_RESET_MID_BODY: &str = "19900000012";
/// `dst` = this prefix + three digits `NNN` (1..=999) answers platform status code `-NNN`
/// (e.g. `19900001204` → `-204` balance too low). `19900001000` is not magic.
pub const PLATFORM_CODE_PREFIX: &str = "19900001";
/// `src` of a callback call whose FIRST leg does not answer: states callout,
/// alerting, disconnect for `src`, no second leg; a record with no times,
/// duration 0, amount 0.00, stateDesc `主叫未接听`. As the `dst` of a voice
/// code: the callee does not answer (stateDesc `无人接听`).
pub const CALL_FIRST_LEG_NO_ANSWER: &str = "19900002001";
/// `dst` whose leg is busy: in a callback call the first leg answers, the
/// second gets callout then disconnect (`被叫忙`), duration 0; a voice code's
/// record says `用户正忙`.
pub const CALL_SECOND_LEG_BUSY: &str = "19900002002";
/// `dst` of a call whose pushes arrive twice: each `answer` state push and
/// the record push are each sent twice in a row.
pub const CALL_DUPLICATE_PUSHES: &str = "19900002003";
/// `dst` of a callback call whose pushes arrive out of order: the second
/// leg's `alerting` comes before its `callout`, and the record push comes
/// before the last state push (the second leg's `disconnect`).
pub const CALL_OUT_OF_ORDER_PUSHES: &str = "19900002004";
/// `dst` of a callback call whose SECOND leg rings but does not answer
/// (callout, alerting, disconnect), duration 0, stateDesc `被叫未接听`. As the
/// `dst` of a voice code: like [`CALL_FIRST_LEG_NO_ANSWER`].
pub const CALL_SECOND_LEG_NO_ANSWER: &str = "19900002005";

/// `dst` of a callback call whose record push is lost: a normal call, its
/// state pushes sent, its record push never sent (logged as not delivered,
/// error "lost on purpose"). Its record is in `CallCdr.wx` as usual.
pub const CALL_RECORD_PUSH_LOST: &str = "19900002006";
/// `dst` of a callback call whose state pushes are all lost: a normal call,
/// only its record push sent (the states logged as not delivered).
pub const CALL_STATE_PUSHES_LOST: &str = "19900002007";
/// `dst` of a callback call whose record push arrives before all its state
/// pushes.
pub const CALL_RECORD_PUSH_FIRST: &str = "19900002008";
/// `dst` of a callback call whose pushes include forged ones: before its
/// own, a state push (`answer`) and after them a record push (3600 s) for
/// a requestId the emulator never hands out (the call's with its 14-digit
/// timestamp replaced by `19700101000000`), then its real record push.
pub const CALL_FORGED_PUSHES: &str = "19900002009";
/// `dst` of a callback call followed by an SMS report pushed to the same
/// URL with the routing key `?SMS` (PROTOCOL.md, "Which push it is"): its
/// body is shaped like a state push of this call (`requestid`, `dsc` = src,
/// `state` `DELIVRD`), so only the key tells it apart. Then the record push.
pub const CALL_SMS_ROUTED_PUSH: &str = "19900002010";

/// `fid` of the two-way callback call's records (the platform's, *field*).
pub const FID_CALLBACK: u32 = 4;
/// `fid` of the voice code's records. The platform's number is not known;
/// 9 is the emulator's choice.
pub const FID_VOICE_CODE: u32 = 9;
/// Tariff: fen (0.01 yuan) per started minute of a record's `duration`,
/// both products. A call with duration 0 costs nothing.
pub const TARIFF_FEN_PER_MINUTE: u64 = 6;
/// A call (callback, voice code or template notice) is refused with `-204`
/// when the account's balance is below this (one minute's tariff).
pub const MIN_BALANCE_FEN: u64 = TARIFF_FEN_PER_MINUTE;
/// Default `Account::balance_fen`: 100,000,000.00 yuan, so that no test or
/// benchmark (hundreds of thousands of calls) runs it dry; give an account a
/// small `balance_fen` to reach `-204`.
pub const DEFAULT_BALANCE_FEN: u64 = 10_000_000_000;
/// The emulator keeps the records of at most this many calls (the oldest
/// are forgotten first), so that long benchmarks do not grow without bound.
pub const MAX_RECORDS: usize = 100_000;
/// Default `Config::push_interval_ms`.
pub const DEFAULT_PUSH_INTERVAL_MS: u64 = 20;
/// How many times one push is tried before it is dropped.
pub const PUSH_ATTEMPTS: u32 = 3;
/// Pause after a failed push attempt; doubled after each further failure.
pub const PUSH_RETRY_BACKOFF_MS: u64 = 100;
/// Default timeout of one push attempt (connect, send, answer), in seconds:
/// `Config::push_timeout_ms` is 1000 times this unless set.
pub const PUSH_TIMEOUT_SECS: u64 = 2;

/// Size of the [`FAULT_HUGE_BODY`] answer: 10 MiB.
pub const HUGE_BODY_LEN: usize = 10 * 1024 * 1024;
/// Delay between bytes of the [`FAULT_SLOW_BODY`] answer.
pub const SLOW_BODY_BYTE_INTERVAL_MS: u64 = 200;

/// The requestId of the forged pushes of a [`CALL_FORGED_PUSHES`] call
/// whose requestId is `request_id`: never handed out by the emulator.
pub fn forged_request_id(request_id: &str) -> String {
    calls::forged_request_id(request_id)
}

/// The `dst` that makes the emulator answer platform status code `-code`
/// (`code` in 1..=999), e.g. `platform_code_dst(204) == "19900001204"`.
pub fn platform_code_dst(code: u16) -> String {
    format!("{PLATFORM_CODE_PREFIX}{:03}", code % 1000)
}

/// Emulator configuration. Its JSON form is the `--config` file of the binary.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct Config {
    /// Known accounts.
    pub accounts: Vec<Account>,
    /// How far (either way) the Authorization timestamp may be from now. Default 600.
    #[serde(default = "default_window")]
    pub timestamp_window_secs: u64,
    /// How long the [`FAULT_SLOW_ANSWER`] fault sleeps before answering. Default 60.
    #[serde(default = "default_slow")]
    pub slow_secs: u64,
    /// Pause before each push of a call (state and record pushes). Default
    /// [`DEFAULT_PUSH_INTERVAL_MS`] (20).
    #[serde(default = "default_push_interval")]
    pub push_interval_ms: u64,
    /// Timeout of one push attempt (connect, send, answer), in ms; an
    /// attempt that takes longer counts as failed and is tried again (at
    /// most [`PUSH_ATTEMPTS`] in all), so a receiver slower than this
    /// receives the push more than once. Default [`PUSH_TIMEOUT_SECS`] *
    /// 1000 (2000); 0 is taken as 1. Tests whose receiver may be slow (under
    /// valgrind, on a loaded machine) and that count pushes set it long.
    #[serde(default = "default_push_timeout")]
    pub push_timeout_ms: u64,
    /// How long after acceptance a call's record can be queried with
    /// `CallCdr.wx` (the platform takes about 20 s). Default 0.
    #[serde(default)]
    pub record_delay_ms: u64,
    /// Test mode: a call whose `customParm` is 1 to 15 ASCII digits is
    /// answered the requestId `<14-digit timestamp><customParm, zero-padded
    /// to 15 digits>`, so that a client can tell at once whether an answer
    /// is its own request's (the fork tests: tests/c/fork.sh and the Python
    /// binding's test_fork.py). Other calls get a fresh requestId as usual.
    /// Two calls with the same customParm in the same second get the same
    /// requestId: for tests only. Default false.
    #[serde(default)]
    pub request_id_from_custom_parm: bool,
    /// The most records one `CallCdr.wx` page answers, whatever `limit`
    /// asked for, as a gateway or the platform capping `limit` would (e.g.
    /// 50). Default 0: no cap.
    #[serde(default)]
    pub max_records_per_page: u64,
}

fn default_window() -> u64 {
    DEFAULT_TIMESTAMP_WINDOW_SECS
}
fn default_slow() -> u64 {
    DEFAULT_SLOW_SECS
}
fn default_true() -> bool {
    true
}
fn default_push_interval() -> u64 {
    DEFAULT_PUSH_INTERVAL_MS
}
fn default_push_timeout() -> u64 {
    PUSH_TIMEOUT_SECS * 1000
}
fn default_balance() -> u64 {
    DEFAULT_BALANCE_FEN
}

/// One platform account.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct Account {
    /// accountSID.
    pub sid: String,
    /// authToken.
    pub token: String,
    /// A disabled account answers `-201`. Default true.
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// The account's applications.
    #[serde(default)]
    pub apps: Vec<App>,
    /// Starting balance in fen (0.01 yuan). Default [`DEFAULT_BALANCE_FEN`]
    /// (100,000,000.00 yuan). Each accepted call takes its amount off; below
    /// [`MIN_BALANCE_FEN`] calls answer `-204`.
    #[serde(default = "default_balance")]
    pub balance_fen: u64,
}

/// One application of an account.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct App {
    /// appid.
    pub id: String,
    /// Two-way callback call (双向呼叫) enabled. Default true.
    #[serde(default = "default_true")]
    pub callback: bool,
    /// Voice verification code (语音验证码) enabled, and with it the
    /// template voice notice. Default true.
    #[serde(default = "default_true")]
    pub voice_code: bool,
    /// The app's callback URL: if set, the emulator POSTs the state pushes
    /// and the record push of each accepted call there. Default none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push_url: Option<String>,
}

impl Default for Config {
    /// The demo account with [`DEMO_APP_ID`] (both features) and
    /// [`DEMO_CALLBACK_ONLY_APP_ID`] (callback only).
    fn default() -> Self {
        Config {
            accounts: vec![Account {
                sid: DEMO_ACCOUNT_SID.to_string(),
                token: DEMO_AUTH_TOKEN.to_string(),
                enabled: true,
                apps: vec![
                    App {
                        id: DEMO_APP_ID.to_string(),
                        callback: true,
                        voice_code: true,
                        push_url: None,
                    },
                    App {
                        id: DEMO_CALLBACK_ONLY_APP_ID.to_string(),
                        callback: true,
                        voice_code: false,
                        push_url: None,
                    },
                ],
                balance_fen: DEFAULT_BALANCE_FEN,
            }],
            timestamp_window_secs: DEFAULT_TIMESTAMP_WINDOW_SECS,
            slow_secs: DEFAULT_SLOW_SECS,
            push_interval_ms: DEFAULT_PUSH_INTERVAL_MS,
            push_timeout_ms: PUSH_TIMEOUT_SECS * 1000,
            record_delay_ms: 0,
            request_id_from_custom_parm: false,
            max_records_per_page: 0,
        }
    }
}

impl Config {
    /// Sets the push URL of every app of every account.
    pub fn with_push_url(mut self, url: impl Into<String>) -> Config {
        let url = url.into();
        for app in self.accounts.iter_mut().flat_map(|a| a.apps.iter_mut()) {
            app.push_url = Some(url.clone());
        }
        self
    }

    /// Sets the balance of every account, in fen.
    pub fn with_balance_fen(mut self, fen: u64) -> Config {
        for account in &mut self.accounts {
            account.balance_fen = fen;
        }
        self
    }

    /// Sets [`Config::push_interval_ms`].
    pub fn with_push_interval_ms(mut self, ms: u64) -> Config {
        self.push_interval_ms = ms;
        self
    }

    /// Sets [`Config::push_timeout_ms`].
    pub fn with_push_timeout_ms(mut self, ms: u64) -> Config {
        self.push_timeout_ms = ms;
        self
    }

    /// Sets [`Config::request_id_from_custom_parm`].
    pub fn with_request_id_from_custom_parm(mut self, yes: bool) -> Config {
        self.request_id_from_custom_parm = yes;
        self
    }

    /// Sets [`Config::max_records_per_page`].
    pub fn with_max_records_per_page(mut self, n: u64) -> Config {
        self.max_records_per_page = n;
        self
    }

    /// Sets [`Config::record_delay_ms`].
    pub fn with_record_delay_ms(mut self, ms: u64) -> Config {
        self.record_delay_ms = ms;
        self
    }
}

/// The record (CDR) of a call the emulator accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallRecord {
    /// The account that placed it.
    pub account_sid: String,
    /// Its app.
    pub appid: String,
    /// The requestId answered (also the record's `requestid`).
    pub request_id: String,
    /// [`FID_CALLBACK`] or [`FID_VOICE_CODE`].
    pub fid: u32,
    /// Billed seconds (the record's `duration`).
    pub duration_secs: u64,
    /// The charge in fen (the record's `oriamount` × 100).
    pub amount_fen: u64,
    /// The request's `customParm`, if it had a non-empty one.
    pub custom_parm: Option<String>,
    /// The record object exactly as `CallCdr.wx` serves it and the record
    /// push carries it (inside `{"cdr":[...]}`).
    pub cdr: String,
}

impl CallRecord {
    /// [`CallRecord::cdr`] parsed.
    pub fn cdr_json(&self) -> serde_json::Value {
        serde_json::from_str(&self.cdr).expect("the emulator writes valid JSON")
    }
}

/// One push the emulator tried to deliver (after its last attempt).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Push {
    /// Where it went: the app's push URL with the routing key the platform
    /// appends (`?Call` for a record push, `?CallState` for a state push).
    pub url: String,
    /// The JSON body.
    pub body: String,
    /// Answered with a 2xx status.
    pub delivered: bool,
    /// Attempts made (at most [`PUSH_ATTEMPTS`]).
    pub attempts: u32,
    /// Why the last attempt failed, if it did.
    pub error: Option<String>,
}

/// One request the emulator received (control endpoints excluded).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Received {
    /// HTTP method as sent.
    pub method: String,
    /// Path part of the request target, without the query.
    pub path: String,
    /// Query string without the `?` (not decoded), empty if none.
    pub query: String,
    /// Headers in arrival order, names as sent.
    pub headers: Vec<(String, String)>,
    /// Body (decoded as UTF-8, invalid bytes replaced).
    pub body: String,
    /// The `statusCode` answered: `Some` for every platform JSON answer
    /// (success, check failures, platform-code magic numbers, and the slow
    /// answer), `None` for 404s and for faults 2..=12.
    pub answer_status_code: Option<String>,
    /// The `requestId` of a successful (`statusCode` "0") answer, `None` otherwise.
    pub request_id: Option<String>,
}

impl Received {
    /// First header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A running emulator. Dropping it stops it.
pub struct Emulator {
    addr: SocketAddr,
    shared: Arc<server::Shared>,
    accept_thread: Option<JoinHandle<()>>,
}

impl Emulator {
    /// Binds `listen` (e.g. `"127.0.0.1:0"`) and serves on background threads.
    pub fn start(config: Config, listen: &str) -> std::io::Result<Emulator> {
        let listener = TcpListener::bind(listen)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(server::Shared::new(config));
        push::spawn_workers(&shared)?;
        let accept_thread = server::spawn_accept_loop(listener, Arc::clone(&shared))?;
        Ok(Emulator {
            addr,
            shared,
            accept_thread: Some(accept_thread),
        })
    }

    /// The bound address (the real port when started on port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` (a wildcard bind address is shown as loopback).
    pub fn base_url(&self) -> String {
        format!("http://{}", connectable(self.addr))
    }

    /// Every request received so far, in arrival order (control endpoints excluded).
    pub fn requests(&self) -> Vec<Received> {
        self.shared.log_snapshot()
    }

    /// Number of requests in the log.
    pub fn request_count(&self) -> usize {
        self.shared.log_len()
    }

    /// Clears the request log (records, balances and the push log stay).
    pub fn reset(&self) {
        self.shared.log_clear()
    }

    /// The records of the calls accepted so far (the last [`MAX_RECORDS`]),
    /// in acceptance (= requestId) order, including those `record_delay_ms`
    /// still hides from `CallCdr.wx`.
    pub fn records(&self) -> Vec<CallRecord> {
        self.shared.records_snapshot()
    }

    /// An account's balance in fen, `None` for an unknown account.
    pub fn balance_fen(&self, sid: &str) -> Option<u64> {
        self.shared.balance_fen(sid)
    }

    /// Sets an account's balance in fen; false for an unknown account.
    pub fn set_balance_fen(&self, sid: &str, fen: u64) -> bool {
        self.shared.set_balance_fen(sid, fen)
    }

    /// Every push whose delivery is finished (delivered, or dropped after
    /// [`PUSH_ATTEMPTS`] attempts), in the order they finished.
    pub fn pushes(&self) -> Vec<Push> {
        self.shared.pushes_snapshot()
    }

    /// Stops accepting, closes every connection, interrupts slow faults,
    /// abandons pending pushes and joins all threads (a push in flight may
    /// take up to [`Config::push_timeout_ms`]). Same as dropping.
    pub fn stop(self) {
        drop(self)
    }

    fn shutdown(&mut self) {
        if let Some(accept) = self.accept_thread.take() {
            server::shutdown(&self.shared, connectable(self.addr), accept);
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("addr", &self.addr)
            .finish()
    }
}

/// A wildcard bind address is not something to connect to: use loopback.
fn connectable(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), addr.port())
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), addr.port())
        }
        _ => addr,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_code_dst_pads_to_three_digits() {
        assert_eq!(platform_code_dst(204), "19900001204");
        assert_eq!(platform_code_dst(1), "19900001001");
        assert_eq!(platform_code_dst(100), "19900001100");
    }

    #[test]
    fn config_json_defaults() {
        let c: Config = serde_json::from_str(
            r#"{"accounts":[{"sid":"a","token":"t","apps":[{"id":"x","voice_code":false}]}]}"#,
        )
        .unwrap();
        assert_eq!(c.timestamp_window_secs, 600);
        assert_eq!(c.slow_secs, 60);
        assert_eq!(c.push_timeout_ms, 2000);
        assert!(c.accounts[0].enabled);
        assert!(c.accounts[0].apps[0].callback);
        assert!(!c.accounts[0].apps[0].voice_code);
    }

    #[test]
    fn default_config_has_demo_apps() {
        let c = Config::default();
        assert_eq!(c.accounts.len(), 1);
        assert_eq!(c.accounts[0].sid, "8a1f0c3e5b7d9f21a4c6e8b0d2f4a6c8");
        assert_eq!(c.accounts[0].token, "5c7e9a1b3d5f7092e4b6c8d0f2a4c6e8");
        let apps = &c.accounts[0].apps;
        assert!(apps
            .iter()
            .any(|a| a.id == "ff8080813fc70a7b013fc72312324213" && a.callback && a.voice_code));
        assert!(apps
            .iter()
            .any(|a| a.id == "ff8080813fc70a7b013fc72300000001" && a.callback && !a.voice_code));
    }

    #[test]
    fn base_url_of_wildcard_is_loopback() {
        let a: SocketAddr = "0.0.0.0:1234".parse().unwrap();
        assert_eq!(connectable(a).to_string(), "127.0.0.1:1234");
        let a: SocketAddr = "[::]:1234".parse().unwrap();
        assert_eq!(connectable(a).to_string(), "[::1]:1234");
    }
}
