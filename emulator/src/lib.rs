//! Local emulator of the ytx.net (云通信) voice platform REST API.
//!
//! It answers `POST /201512/sid/{accountSID}/call/{funcURL}?Sign=...` the way
//! `/work/shared/spec/PROTOCOL.md` says the real platform does: it checks the
//! account, the `Authorization` header and its UTC+8 timestamp, the `Sign`
//! query parameter, the JSON body and every field, and answers the platform's
//! `{"statusCode":..,"statusMsg":..,"requestId":..}` object. Magic `dst`
//! numbers (the `FAULT_*` consts and [`PLATFORM_CODE_PREFIX`]) make it misbehave
//! on purpose so that clients can be tested against broken transports and
//! every platform status code. See `emulator/README.md`.
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

mod protocol;
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
/// Size of the [`FAULT_HUGE_BODY`] answer: 10 MiB.
pub const HUGE_BODY_LEN: usize = 10 * 1024 * 1024;
/// Delay between bytes of the [`FAULT_SLOW_BODY`] answer.
pub const SLOW_BODY_BYTE_INTERVAL_MS: u64 = 200;

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
}

/// One application of an account.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct App {
    /// appid.
    pub id: String,
    /// Two-way callback call (双向呼叫) enabled. Default true.
    #[serde(default = "default_true")]
    pub callback: bool,
    /// Voice verification code (语音验证码) enabled. Default true.
    #[serde(default = "default_true")]
    pub voice_code: bool,
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
                    },
                    App {
                        id: DEMO_CALLBACK_ONLY_APP_ID.to_string(),
                        callback: true,
                        voice_code: false,
                    },
                ],
            }],
            timestamp_window_secs: DEFAULT_TIMESTAMP_WINDOW_SECS,
            slow_secs: DEFAULT_SLOW_SECS,
        }
    }
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

    /// Clears the log.
    pub fn reset(&self) {
        self.shared.log_clear()
    }

    /// Stops accepting, closes every connection, interrupts slow faults and
    /// joins all threads. Same as dropping.
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
