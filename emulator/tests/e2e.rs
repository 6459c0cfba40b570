//! End to end over real sockets, with a tiny HTTP client written here (no
//! ureq, no ytx crate). Expected signatures are computed with md5/base64
//! directly from the protocol's definition, not with the emulator's code.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use time::OffsetDateTime;
use ytx_emulator::{
    Account, App, Config, Emulator, Received, DEMO_ACCOUNT_SID, DEMO_APP_ID, DEMO_AUTH_TOKEN,
    DEMO_CALLBACK_ONLY_APP_ID,
};

// ---------------------------------------------------------------- client

#[derive(Debug)]
struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&self.body)))
    }
    fn code(&self) -> String {
        assert_eq!(
            self.status,
            200,
            "{:?}",
            String::from_utf8_lossy(&self.body)
        );
        self.json()["statusCode"].as_str().unwrap().to_string()
    }
}

/// Status code and headers.
type Head = (u16, Vec<(String, String)>);

/// One keep-alive connection.
struct Conn {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Conn {
    fn open(addr: SocketAddr) -> Conn {
        let s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        Conn {
            reader: BufReader::new(s.try_clone().unwrap()),
            writer: s,
        }
    }

    fn send_raw(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).unwrap();
    }

    fn send(&mut self, method: &str, target: &str, headers: &[(&str, String)], body: &[u8]) {
        let mut req = format!("{method} {target} HTTP/1.1\r\nHost: localhost\r\n");
        for (n, v) in headers {
            req.push_str(&format!("{n}: {v}\r\n"));
        }
        req.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
        let mut bytes = req.into_bytes();
        bytes.extend_from_slice(body);
        self.send_raw(&bytes);
    }

    /// Status line and headers; `None` if the server closed first.
    fn read_head(&mut self) -> std::io::Result<Option<Head>> {
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        let status: u16 = line.split(' ').nth(1).unwrap().parse().unwrap();
        let mut headers = Vec::new();
        loop {
            let mut l = String::new();
            if self.reader.read_line(&mut l)? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            let l = l.trim_end();
            if l.is_empty() {
                break;
            }
            let (n, v) = l.split_once(':').unwrap();
            headers.push((n.to_string(), v.trim().to_string()));
        }
        Ok(Some((status, headers)))
    }

    fn read(&mut self) -> std::io::Result<Option<Resp>> {
        let Some((status, headers)) = self.read_head()? else {
            return Ok(None);
        };
        let len: usize = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .map(|(_, v)| v.parse().unwrap())
            .unwrap();
        let mut body = vec![0; len];
        self.reader.read_exact(&mut body)?;
        Ok(Some(Resp {
            status,
            headers,
            body,
        }))
    }

    fn request(
        &mut self,
        method: &str,
        target: &str,
        headers: &[(&str, String)],
        body: &[u8],
    ) -> Resp {
        self.send(method, target, headers, body);
        self.read().unwrap().expect("server closed the connection")
    }
}

// ---------------------------------------------------------------- signing

/// UTC+8 `yyyyMMddHHmmss`, `offset_secs` away from now.
fn cst_timestamp(offset_secs: i64) -> String {
    let t = OffsetDateTime::now_utc() + time::Duration::seconds(8 * 3600 + offset_secs);
    format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}",
        t.year(),
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn sign(sid: &str, token: &str, ts: &str) -> String {
    format!("{:X}", md5::compute(format!("{sid}{token}{ts}")))
}

fn authorization(sid: &str, ts: &str, sep: char) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{sid}{sep}{ts}"))
}

struct Api<'a> {
    sid: &'a str,
    token: &'a str,
    func_url: &'a str,
    ts: String,
    sign: Option<String>,
    auth: Option<String>,
    content_type: &'a str,
}

impl<'a> Api<'a> {
    fn demo(func_url: &'a str) -> Api<'a> {
        Api {
            sid: DEMO_ACCOUNT_SID,
            token: DEMO_AUTH_TOKEN,
            func_url,
            ts: cst_timestamp(0),
            sign: None,
            auth: None,
            content_type: "application/json;charset=utf-8",
        }
    }

    fn target(&self) -> String {
        let sign = self
            .sign
            .clone()
            .unwrap_or_else(|| sign(self.sid, self.token, &self.ts));
        format!(
            "/201512/sid/{}/call/{}?Sign={sign}",
            self.sid, self.func_url
        )
    }

    fn headers(&self) -> Vec<(&'static str, String)> {
        vec![
            (
                "Authorization",
                self.auth
                    .clone()
                    .unwrap_or_else(|| authorization(self.sid, &self.ts, '|')),
            ),
            ("Content-Type", self.content_type.to_string()),
            ("Accept", "application/json".to_string()),
        ]
    }

    fn call(&self, conn: &mut Conn, body: &str) -> Resp {
        conn.request("POST", &self.target(), &self.headers(), body.as_bytes())
    }
}

const CB: &str = "DailbackCall.wx";
const VC: &str = "NoticeCall.wx";

fn cb_body(dst: &str, credit: &str) -> String {
    format!(
        r#"{{"action":"callDailBack","appid":"{DEMO_APP_ID}","src":"13911281234","dst":"{dst}","credit":"{credit}"}}"#
    )
}

fn start(config: Config) -> Emulator {
    Emulator::start(config, "127.0.0.1:0").unwrap()
}

fn quick_config() -> Config {
    Config {
        slow_secs: 1,
        ..Config::default()
    }
}

fn is_request_id(s: &str) -> bool {
    s.len() == 29 && s.bytes().all(|c| c.is_ascii_digit())
}

// ---------------------------------------------------------------- tests

#[test]
fn signed_callback_is_accepted_and_logged() {
    let emu = start(quick_config());
    assert!(emu.base_url().starts_with("http://127.0.0.1:"));
    let mut c = Conn::open(emu.addr());
    let r = Api::demo(CB).call(&mut c, &cb_body("01085485069", "3600"));
    assert_eq!(r.status, 200);
    assert!(r
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
    let j = r.json();
    assert_eq!(j["statusCode"], "0");
    assert_eq!(j["statusMsg"], "提交成功");
    let id = j["requestId"].as_str().unwrap().to_string();
    assert!(is_request_id(&id), "{id}");

    // A second call gets a different requestId, on the same connection.
    let r2 = Api::demo(CB).call(&mut c, &cb_body("13522855865", "61"));
    assert_eq!(r2.code(), "0");
    assert_ne!(r2.json()["requestId"].as_str().unwrap(), id);

    let log = emu.requests();
    assert_eq!(log.len(), 2);
    assert_eq!(emu.request_count(), 2);
    let first = &log[0];
    assert_eq!(first.method, "POST");
    assert_eq!(
        first.path,
        format!("/201512/sid/{DEMO_ACCOUNT_SID}/call/DailbackCall.wx")
    );
    assert!(first.query.starts_with("Sign="));
    assert_eq!(first.header("accept"), Some("application/json"));
    assert_eq!(first.body, cb_body("01085485069", "3600"));
    assert_eq!(first.answer_status_code.as_deref(), Some("0"));
    assert_eq!(first.request_id.as_deref(), Some(id.as_str()));
    emu.reset();
    assert_eq!(emu.request_count(), 0);
}

#[test]
fn signature_checks() {
    let emu = start(quick_config());
    let mut c = Conn::open(emu.addr());
    let body = cb_body("13522855865", "120");

    // Lower-case Sign is accepted too.
    let mut api = Api::demo(CB);
    api.sign = Some(sign(DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, &api.ts).to_lowercase());
    assert_eq!(api.call(&mut c, &body).code(), "0");

    // Wrong Sign.
    let mut api = Api::demo(CB);
    api.sign = Some(sign(DEMO_ACCOUNT_SID, "wrong-token", &api.ts));
    let r = api.call(&mut c, &body);
    assert_eq!(r.code(), "-203");
    assert_eq!(r.json()["requestId"], "");
    assert!(r.header("x-ytx-emulator-detail").is_some());

    // Missing Sign.
    let api = Api::demo(CB);
    let target = format!("/201512/sid/{DEMO_ACCOUNT_SID}/call/{CB}");
    let r = c.request("POST", &target, &api.headers(), body.as_bytes());
    assert_eq!(r.code(), "-203");

    // Stale (11 minutes old) and future (11 minutes ahead) timestamps.
    for offset in [-660, 660] {
        let mut api = Api::demo(CB);
        api.ts = cst_timestamp(offset);
        assert_eq!(api.call(&mut c, &body).code(), "-202", "offset {offset}");
    }
    // 9 minutes is inside the window.
    let mut api = Api::demo(CB);
    api.ts = cst_timestamp(-540);
    assert_eq!(api.call(&mut c, &body).code(), "0");

    // Host-local-time bug: a UTC timestamp is 8 hours off.
    let mut api = Api::demo(CB);
    api.ts = cst_timestamp(-8 * 3600);
    assert_eq!(api.call(&mut c, &body).code(), "-202");

    // Colon separator (the document's example) in Authorization.
    let mut api = Api::demo(CB);
    api.auth = Some(authorization(DEMO_ACCOUNT_SID, &api.ts, ':'));
    assert_eq!(api.call(&mut c, &body).code(), "-202");

    // Authorization missing / not Base64 / another sid.
    let api = Api::demo(CB);
    let no_auth: Vec<_> = api
        .headers()
        .into_iter()
        .filter(|(n, _)| *n != "Authorization")
        .collect();
    assert_eq!(
        c.request("POST", &api.target(), &no_auth, body.as_bytes())
            .code(),
        "-202"
    );
    let mut api = Api::demo(CB);
    api.auth = Some("%%%not-base64%%%".into());
    assert_eq!(api.call(&mut c, &body).code(), "-202");
    let mut api = Api::demo(CB);
    api.auth = Some(authorization(
        "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
        &api.ts,
        '|',
    ));
    assert_eq!(api.call(&mut c, &body).code(), "-202");

    // Sign over a different timestamp than Authorization's.
    let mut api = Api::demo(CB);
    api.sign = Some(sign(DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, &cst_timestamp(-5)));
    assert_eq!(api.call(&mut c, &body).code(), "-203");
}

#[test]
fn account_checks() {
    let mut config = quick_config();
    config.accounts.push(Account {
        sid: "0f1e2d3c4b5a69788796a5b4c3d2e1f0".into(),
        token: "a1b2c3d4e5f60718293a4b5c6d7e8f90".into(),
        enabled: false,
        apps: vec![],
    });
    let emu = start(config);
    let mut c = Conn::open(emu.addr());
    let body = cb_body("13522855865", "120");

    let mut api = Api::demo(CB);
    api.sid = "ffffffffffffffffffffffffffffffff";
    let r = api.call(&mut c, &body);
    assert_eq!(r.code(), "-200");

    let mut api = Api::demo(CB);
    api.sid = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
    api.token = "a1b2c3d4e5f60718293a4b5c6d7e8f90";
    assert_eq!(api.call(&mut c, &body).code(), "-201");
}

#[test]
fn body_checks() {
    let emu = start(quick_config());
    let mut c = Conn::open(emu.addr());
    let api = Api::demo(CB);

    assert_eq!(
        api.call(&mut c, &cb_body("13522855865", "60")).code(),
        "-101"
    );
    assert_eq!(api.call(&mut c, &cb_body("13522855865", "61")).code(), "0");
    assert_eq!(
        api.call(&mut c, &cb_body("1352285586a", "61")).code(),
        "-102"
    );
    assert_eq!(api.call(&mut c, &cb_body("1234", "61")).code(), "-102");

    let missing_src = format!(
        r#"{{"action":"callDailBack","appid":"{DEMO_APP_ID}","dst":"13522855865","credit":"120"}}"#
    );
    let r = api.call(&mut c, &missing_src);
    assert_eq!(r.code(), "-2");
    assert_eq!(r.json()["statusMsg"], "缺少必要参数");

    let wrong_action = cb_body("13522855865", "120").replace("callDailBack", "templateNoticeCall");
    assert_eq!(api.call(&mut c, &wrong_action).code(), "-3");
    let no_action = format!(
        r#"{{"appid":"{DEMO_APP_ID}","src":"13911281234","dst":"13522855865","credit":"120"}}"#
    );
    assert_eq!(api.call(&mut c, &no_action).code(), "-2");

    let unknown_app =
        cb_body("13522855865", "120").replace(DEMO_APP_ID, "ff80808100000000000000000000dead");
    assert_eq!(api.call(&mut c, &unknown_app).code(), "-205");

    let numeric_credit =
        cb_body("13522855865", "120").replace(r#""credit":"120""#, r#""credit":120"#);
    assert_eq!(api.call(&mut c, &numeric_credit).code(), "-4");
    assert_eq!(api.call(&mut c, "not json").code(), "-4");

    let mut form = Api::demo(CB);
    form.content_type = "application/x-www-form-urlencoded";
    assert_eq!(
        form.call(&mut c, &cb_body("13522855865", "120")).code(),
        "-4"
    );

    let unknown_field = cb_body("13522855865", "120").replace("{", r#"{"extra":"1","#);
    assert_eq!(api.call(&mut c, &unknown_field).code(), "-101");
}

#[test]
fn voice_code_routes_and_features() {
    let emu = start(quick_config());
    let mut c = Conn::open(emu.addr());
    let body = |action: &str, app: &str| {
        format!(
            r#"{{"action":"{action}","appid":"{app}","dst":"13911281234","dstclid":"01085485069","code":"158456","time":"2"}}"#
        )
    };
    let r = Api::demo(VC).call(&mut c, &body("templateNoticeCall", DEMO_APP_ID));
    assert_eq!(r.code(), "0");
    assert!(is_request_id(r.json()["requestId"].as_str().unwrap()));

    // Alternative route of PROTOCOL.md ambiguity 2.
    let r = Api::demo("CodeCallOut.wx").call(&mut c, &body("callOutCode", DEMO_APP_ID));
    assert_eq!(r.code(), "0");
    let r = Api::demo(VC).call(&mut c, &body("callOutCode", DEMO_APP_ID));
    assert_eq!(r.code(), "-3");

    // Callback-only app on voice code.
    let r = Api::demo(VC).call(
        &mut c,
        &body("templateNoticeCall", DEMO_CALLBACK_ONLY_APP_ID),
    );
    assert_eq!(r.code(), "-205");
    assert_eq!(r.json()["statusMsg"], "应用验证失败");
    // ...but fine for callback.
    let cb = cb_body("13522855865", "120").replace(DEMO_APP_ID, DEMO_CALLBACK_ONLY_APP_ID);
    assert_eq!(Api::demo(CB).call(&mut c, &cb).code(), "0");
    // And an app with voice code only refuses the callback.
    drop(c);
    drop(emu);
    let mut config = quick_config();
    config.accounts[0].apps.push(App {
        id: "ff8080813fc70a7b013fc72300000002".into(),
        callback: false,
        voice_code: true,
    });
    let emu = start(config);
    let mut c = Conn::open(emu.addr());
    let cb = cb_body("13522855865", "120").replace(DEMO_APP_ID, "ff8080813fc70a7b013fc72300000002");
    assert_eq!(Api::demo(CB).call(&mut c, &cb).code(), "-205");
}

#[test]
fn not_found_is_plain_text_and_logged() {
    let emu = start(quick_config());
    let mut c = Conn::open(emu.addr());
    let api = Api::demo(CB);
    let r = c.request("GET", &api.target(), &api.headers(), b"");
    assert_eq!(r.status, 404);
    assert!(r.header("content-type").unwrap().starts_with("text/plain"));
    let r = c.request(
        "POST",
        &api.target().replace("201512", "201411"),
        &api.headers(),
        b"{}",
    );
    assert_eq!(r.status, 404);
    let r = c.request("POST", "/", &[], b"");
    assert_eq!(r.status, 404);
    let log = emu.requests();
    assert_eq!(log.len(), 3);
    assert!(log.iter().all(|r| r.answer_status_code.is_none()));
    assert_eq!(log[0].method, "GET");
}

#[test]
fn faults() {
    let emu = start(quick_config());
    let api = Api::demo(CB);

    // Dropped connection: no bytes at all, then EOF.
    let mut c = Conn::open(emu.addr());
    c.send(
        "POST",
        &api.target(),
        &api.headers(),
        cb_body(ytx_emulator::FAULT_DROP_CONNECTION, "120").as_bytes(),
    );
    let mut rest = Vec::new();
    let _ = c.reader.read_to_end(&mut rest);
    assert!(rest.is_empty(), "{:?}", String::from_utf8_lossy(&rest));

    // HTTP 500 with HTML, and the connection stays usable.
    let mut c = Conn::open(emu.addr());
    let r = api.call(&mut c, &cb_body(ytx_emulator::FAULT_HTTP_500, "120"));
    assert_eq!(r.status, 500);
    assert!(String::from_utf8_lossy(&r.body).contains("<html>"));
    let r = api.call(&mut c, &cb_body(ytx_emulator::FAULT_HTTP_502, "120"));
    assert_eq!(r.status, 502);
    let r = api.call(&mut c, &cb_body(ytx_emulator::FAULT_TRUNCATED_JSON, "120"));
    assert_eq!(
        (r.status, r.body.as_slice()),
        (200, &br#"{"statusCode":"0","statusMs"#[..])
    );
    let r = api.call(
        &mut c,
        &cb_body(ytx_emulator::FAULT_NUMERIC_STATUS_CODE, "120"),
    );
    assert_eq!(r.json()["statusCode"], 0);
    let r = api.call(&mut c, &cb_body(ytx_emulator::FAULT_NO_STATUS_CODE, "120"));
    assert!(r.json().get("statusCode").is_none());
    let r = api.call(&mut c, &cb_body(ytx_emulator::FAULT_NOT_UTF8, "120"));
    assert!(std::str::from_utf8(&r.body).is_err());
    let r = api.call(&mut c, &cb_body(ytx_emulator::FAULT_NOT_JSON, "120"));
    assert!(r.body.starts_with(b"<html>"));
    let r = api.call(&mut c, &cb_body(ytx_emulator::FAULT_HUGE_BODY, "120"));
    assert_eq!(r.body.len(), 10 * 1024 * 1024);
    assert_eq!(r.json()["statusCode"], "0");

    // Platform codes.
    let r = api.call(&mut c, &cb_body("19900001204", "120"));
    assert_eq!(r.code(), "-204");
    assert_eq!(r.json()["statusMsg"], "余额不足");
    assert_eq!(
        api.call(&mut c, &cb_body("19900001100", "120")).code(),
        "-100"
    );
    assert_eq!(
        api.call(&mut c, &cb_body("19900001001", "120")).code(),
        "-1"
    );

    // Reset mid-body: fewer bytes than Content-Length, then EOF.
    let mut c = Conn::open(emu.addr());
    c.send(
        "POST",
        &api.target(),
        &api.headers(),
        cb_body(ytx_emulator::FAULT_RESET_MID_BODY, "120").as_bytes(),
    );
    let (status, headers) = c.read_head().unwrap().unwrap();
    assert_eq!(status, 200);
    let len: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .unwrap()
        .1
        .parse()
        .unwrap();
    let mut got = Vec::new();
    let _ = c.reader.read_to_end(&mut got);
    assert!(!got.is_empty() && got.len() < len, "{} of {len}", got.len());

    // Slow answer (slow_secs = 1 here).
    let mut c = Conn::open(emu.addr());
    let t = Instant::now();
    let r = api.call(&mut c, &cb_body(ytx_emulator::FAULT_SLOW_ANSWER, "120"));
    assert!(
        t.elapsed() >= Duration::from_millis(950),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(r.code(), "0");

    // Slow body: headers at once, then a byte every 200 ms.
    let mut c = Conn::open(emu.addr());
    c.send(
        "POST",
        &api.target(),
        &api.headers(),
        cb_body(ytx_emulator::FAULT_SLOW_BODY, "120").as_bytes(),
    );
    let (status, _) = c.read_head().unwrap().unwrap();
    assert_eq!(status, 200);
    let t = Instant::now();
    let mut two = [0u8; 2];
    c.reader.read_exact(&mut two).unwrap();
    assert!(
        t.elapsed() >= Duration::from_millis(300),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(&two, b"{\"");

    // Every one of them is logged; faults have no statusCode.
    let log = emu.requests();
    assert_eq!(log.len(), 15);
    assert!(log[0].answer_status_code.is_none());
    assert_eq!(log[9].answer_status_code.as_deref(), Some("-204"));
    assert_eq!(log[13].answer_status_code.as_deref(), Some("0"));
    assert!(is_request_id(log[13].request_id.as_deref().unwrap()));
}

#[test]
fn stop_interrupts_slow_answer_promptly() {
    let emu = start(Config {
        slow_secs: 60,
        ..Config::default()
    });
    let addr = emu.addr();
    let client = std::thread::spawn(move || {
        let mut c = Conn::open(addr);
        Api::demo(CB).call_raw(&mut c, &cb_body(ytx_emulator::FAULT_SLOW_ANSWER, "120"))
    });
    // An idle keep-alive connection must not hold stop() up either, nor
    // answers stuck on a client that does not read.
    let _idle = Conn::open(addr);
    let mut stuck = Vec::new();
    for fault in [ytx_emulator::FAULT_HUGE_BODY, ytx_emulator::FAULT_SLOW_BODY] {
        let mut c = Conn::open(addr);
        let api = Api::demo(CB);
        c.send(
            "POST",
            &api.target(),
            &api.headers(),
            cb_body(fault, "120").as_bytes(),
        );
        stuck.push(c);
    }
    while emu.request_count() < 3 {
        std::thread::sleep(Duration::from_millis(10));
    }
    let t = Instant::now();
    emu.stop();
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    // The client saw the connection close without an answer.
    assert!(client.join().unwrap().is_none());
    assert!(TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_err());
}

impl Api<'_> {
    fn call_raw(&self, conn: &mut Conn, body: &str) -> Option<Resp> {
        conn.send("POST", &self.target(), &self.headers(), body.as_bytes());
        conn.read().ok().flatten()
    }
}

#[test]
fn control_endpoints() {
    let emu = start(quick_config());
    let mut c = Conn::open(emu.addr());
    assert_eq!(
        c.request("GET", "/_emulator/count", &[], b"").json(),
        serde_json::json!({"count": 0})
    );
    Api::demo(CB).call(&mut c, &cb_body("13522855865", "120"));
    Api::demo(CB).call(&mut c, &cb_body("13522855865", "1"));
    assert_eq!(
        c.request("GET", "/_emulator/count", &[], b"").json(),
        serde_json::json!({"count": 2})
    );
    let r = c.request("GET", "/_emulator/requests", &[], b"");
    let log: Vec<Received> = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(log, emu.requests());
    assert_eq!(log[1].answer_status_code.as_deref(), Some("-101"));
    assert!(log[1].request_id.is_none());
    // Raw JSON shape for other languages.
    let raw = r.json();
    assert_eq!(raw[0]["answer_status_code"], "0");
    assert_eq!(raw[0]["method"], "POST");
    assert!(raw[0]["headers"][0].is_array());
    assert_eq!(c.request("GET", "/_emulator/reset", &[], b"").status, 405);
    assert_eq!(c.request("POST", "/_emulator/reset", &[], b"").status, 200);
    assert_eq!(emu.request_count(), 0);
    assert_eq!(c.request("GET", "/_emulator/nope", &[], b"").status, 404);
    assert_eq!(emu.request_count(), 0, "control endpoints are not logged");
}

#[test]
fn http_details_chunked_expect_pipelining() {
    let emu = start(quick_config());
    let api = Api::demo(CB);
    let body = cb_body("13522855865", "120");

    // Chunked request body with Expect: 100-continue.
    let mut c = Conn::open(emu.addr());
    let mut head = format!("POST {} HTTP/1.1\r\nHost: x\r\n", api.target());
    for (n, v) in api.headers() {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str("Transfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n");
    c.send_raw(head.as_bytes());
    let (status, _) = c.read_head().unwrap().unwrap();
    assert_eq!(status, 100);
    let (a, b) = body.split_at(10);
    c.send_raw(
        format!(
            "{:x}\r\n{a}\r\n{:X};ext=1\r\n{b}\r\n0\r\n\r\n",
            a.len(),
            b.len()
        )
        .as_bytes(),
    );
    assert_eq!(c.read().unwrap().unwrap().code(), "0");

    // Two pipelined requests, answered in order.
    let mut c = Conn::open(emu.addr());
    c.send("POST", &api.target(), &api.headers(), body.as_bytes());
    c.send(
        "POST",
        &api.target(),
        &api.headers(),
        cb_body("13522855865", "5").as_bytes(),
    );
    assert_eq!(c.read().unwrap().unwrap().code(), "0");
    assert_eq!(c.read().unwrap().unwrap().code(), "-101");

    // Connection: close is honoured.
    let mut c = Conn::open(emu.addr());
    let mut h = api.headers();
    h.push(("Connection", "close".into()));
    let r = c.request("POST", &api.target(), &h, body.as_bytes());
    assert_eq!(r.header("connection"), Some("close"));
    assert!(c.read().unwrap().is_none());

    // Garbage is a 400, not a hang.
    let mut c = Conn::open(emu.addr());
    c.send_raw(b"NONSENSE\r\n\r\n");
    assert_eq!(c.read().unwrap().unwrap().status, 400);
}

#[test]
fn concurrent_keep_alive_clients() {
    let emu = start(quick_config());
    let addr = emu.addr();
    let threads: Vec<_> = (0..16)
        .map(|_| {
            std::thread::spawn(move || {
                let mut c = Conn::open(addr);
                let mut ids = Vec::new();
                for _ in 0..200 {
                    let r = Api::demo(CB).call(&mut c, &cb_body("13522855865", "120"));
                    assert_eq!(r.code(), "0");
                    ids.push(r.json()["requestId"].as_str().unwrap().to_string());
                }
                ids
            })
        })
        .collect();
    let mut all: Vec<String> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    assert_eq!(emu.request_count(), 16 * 200);
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 16 * 200, "requestIds are unique");
}

#[test]
fn binary_prints_url_and_exits_on_stdin_eof() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ytx-emulator"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--exit-on-stdin-eof",
            "--slow-secs",
            "1",
        ])
        // The emulator's clock must not depend on the host's zone.
        .env("TZ", "America/New_York")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let url = line
        .trim_end()
        .strip_prefix("ytx-emulator listening on http://")
        .unwrap_or_else(|| panic!("{line:?}"));
    let addr: SocketAddr = url.parse().unwrap();
    let mut c = Conn::open(addr);
    assert_eq!(
        Api::demo(CB)
            .call(&mut c, &cb_body("13522855865", "120"))
            .code(),
        "0"
    );
    assert_eq!(
        c.request("GET", "/_emulator/count", &[], b"").json(),
        serde_json::json!({"count": 1})
    );
    drop(child.stdin.take());
    let t = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success());
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "did not exit on stdin EOF"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(err.contains(DEMO_AUTH_TOKEN), "{err}");
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    assert!(
        rest.is_empty(),
        "exactly one stdout line, got more: {rest:?}"
    );
}

#[test]
fn binary_help_and_bad_args() {
    let out = Command::new(env!("CARGO_BIN_EXE_ytx-emulator"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("--exit-on-stdin-eof"));
    let out = Command::new(env!("CARGO_BIN_EXE_ytx-emulator"))
        .arg("--bogus")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
