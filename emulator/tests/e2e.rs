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
    version: &'a str,
    func: &'a str,
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
            version: "201512",
            func: "call",
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
            "/{}/sid/{}/{}/{}?Sign={sign}",
            self.version, self.sid, self.func, self.func_url
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
const VC: &str = "CodeCallOut.wx";
const NOTICE: &str = "NoticeCall.wx";

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
        balance_fen: 10_000,
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
    // CodeCallOut.wx + callOutCode (PROTOCOL.md ambiguity 2).
    let r = Api::demo(VC).call(&mut c, &body("callOutCode", DEMO_APP_ID));
    assert_eq!(r.code(), "0");
    assert!(is_request_id(r.json()["requestId"].as_str().unwrap()));
    // dstclid is optional.
    let no_clid = body("callOutCode", DEMO_APP_ID).replace(r#""dstclid":"01085485069","#, "");
    assert!(!no_clid.contains("dstclid"));
    assert_eq!(Api::demo(VC).call(&mut c, &no_clid).code(), "0");
    let r = Api::demo(VC).call(&mut c, &body("templateNoticeCall", DEMO_APP_ID));
    assert_eq!(r.code(), "-3");

    // NoticeCall.wx is the template notice: an old client's voice code there
    // (the documents' table) has no templateId, so -2, as on the platform.
    let r = Api::demo(NOTICE).call(&mut c, &body("templateNoticeCall", DEMO_APP_ID));
    assert_eq!(r.code(), "-2");
    assert_eq!(r.json()["statusMsg"], "缺少必要参数");
    assert!(r
        .header("x-ytx-emulator-detail")
        .unwrap()
        .contains("templateId"));
    assert_eq!(
        Api::demo(NOTICE)
            .call(&mut c, &body("callOutCode", DEMO_APP_ID))
            .code(),
        "-3"
    );
    // A real template notice (as field code sends it) is accepted.
    let notice = format!(
        r#"{{"action":"templateNoticeCall","appid":"{DEMO_APP_ID}","dst":"13911281234","dstclid":"01085485069","templateId":"2821","datas":["a","b"]}}"#
    );
    let r = Api::demo(NOTICE).call(&mut c, &notice);
    assert_eq!(r.code(), "0");
    assert!(is_request_id(r.json()["requestId"].as_str().unwrap()));

    // Callback-only app on voice code.
    let r = Api::demo(VC).call(&mut c, &body("callOutCode", DEMO_CALLBACK_ONLY_APP_ID));
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
        push_url: None,
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

// ---------------------------------------------------------------- pushes, records, balance

const WAIT: Duration = Duration::from_secs(20);

/// One push as the receiver got it.
#[derive(Debug, Clone)]
struct Got {
    path: String,
    content_type: Option<String>,
    raw: String,
    json: serde_json::Value,
}

/// A push receiver on a std TcpListener: answers `fail_first` requests with
/// HTTP 500, the rest with 200, each on its own connection (`Connection: close`).
struct Receiver {
    addr: SocketAddr,
    rx: std::sync::mpsc::Receiver<Got>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Receiver {
    fn start(fail_first: usize) -> Receiver {
        use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
        use std::sync::Arc;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let served = Arc::new(AtomicUsize::new(0));
        std::thread::spawn(move || {
            while !stopping.load(Ordering::Relaxed) {
                let stream = match listener.accept() {
                    Ok((s, _)) => s,
                    Err(_) => {
                        std::thread::sleep(Duration::from_millis(5));
                        continue;
                    }
                };
                let tx = tx.clone();
                let n = served.fetch_add(1, Ordering::Relaxed);
                std::thread::spawn(move || {
                    stream.set_nonblocking(false).unwrap();
                    stream
                        .set_read_timeout(Some(Duration::from_secs(10)))
                        .unwrap();
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let path = line.split(' ').nth(1).unwrap_or("").to_string();
                    let (mut len, mut ct) = (0usize, None);
                    loop {
                        let mut l = String::new();
                        if reader.read_line(&mut l).unwrap_or(0) == 0 {
                            return;
                        }
                        let l = l.trim_end();
                        if l.is_empty() {
                            break;
                        }
                        let (name, value) = l.split_once(':').unwrap();
                        if name.eq_ignore_ascii_case("content-length") {
                            len = value.trim().parse().unwrap();
                        }
                        if name.eq_ignore_ascii_case("content-type") {
                            ct = Some(value.trim().to_string());
                        }
                    }
                    let mut body = vec![0; len];
                    reader.read_exact(&mut body).unwrap();
                    let raw = String::from_utf8(body).unwrap();
                    let json = serde_json::from_str(&raw).unwrap();
                    let _ = tx.send(Got {
                        path,
                        content_type: ct,
                        raw,
                        json,
                    });
                    let status = if n < fail_first { "500 Oops" } else { "200 OK" };
                    let mut w = stream;
                    let _ = w.write_all(
                        format!(
                            "HTTP/1.1 {status}\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
                        )
                        .as_bytes(),
                    );
                });
            }
        });
        Receiver { addr, rx, stop }
    }

    fn url(&self) -> String {
        format!("http://{}/ytx/push", self.addr)
    }

    /// Exactly `n` pushes, each delivered at the first attempt.
    fn take(&self, emu: &Emulator, n: usize) -> Vec<Got> {
        self.take_logged(emu, n, n)
    }

    /// Exactly `n` requests: waits for them, then for the emulator's push log
    /// to hold `logged` finished pushes, and checks that nothing else came.
    fn take_logged(&self, emu: &Emulator, n: usize, logged: usize) -> Vec<Got> {
        let deadline = Instant::now() + WAIT;
        let mut got = Vec::new();
        while got.len() < n {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(g) => got.push(g),
                Err(_) => panic!("{} of {n} pushes after {WAIT:?}: {got:#?}", got.len()),
            }
        }
        wait_for(|| emu.pushes().len() >= logged);
        // Give a wrong extra push the time of a few push intervals to show up.
        std::thread::sleep(Duration::from_millis(200));
        let extra: Vec<Got> = self.rx.try_iter().collect();
        assert!(extra.is_empty(), "more than {n} pushes: {extra:#?}");
        assert_eq!(emu.pushes().len(), logged);
        got
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

fn wait_for(mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !cond() {
        assert!(
            Instant::now() < deadline,
            "condition not met after {WAIT:?}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn push_config(url: &str) -> Config {
    // A receiver slowed down (a loaded machine) must not get a push twice:
    // the tests count them.
    quick_config()
        .with_push_url(url)
        .with_push_interval_ms(1)
        .with_push_timeout_ms(60_000)
}

fn cb_full(src: &str, dst: &str, custom: Option<&str>) -> String {
    let custom = custom
        .map(|c| format!(r#","customParm":"{c}""#))
        .unwrap_or_default();
    format!(
        r#"{{"action":"callDailBack","appid":"{DEMO_APP_ID}","src":"{src}","dst":"{dst}","credit":"3600"{custom}}}"#
    )
}

fn vc_body(dst: &str) -> String {
    format!(r#"{{"action":"callOutCode","appid":"{DEMO_APP_ID}","dst":"{dst}","code":"158456"}}"#)
}

fn accepted_id(r: &Resp) -> String {
    assert_eq!(r.code(), "0", "{:?}", String::from_utf8_lossy(&r.body));
    r.json()["requestId"].as_str().unwrap().to_string()
}

/// `yyyy-MM-dd HH:mm:ss`.
fn is_datetime(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 19
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b' ',
            13 | 16 => *c == b':',
            _ => c.is_ascii_digit(),
        })
}

/// A push as a label: `src:callout`, `dst:answer`, or `cdr`.
fn label(g: &Got, src: &str, dst: &str) -> String {
    if g.json.get("cdr").is_some() {
        return "cdr".into();
    }
    let dsc = g.json["dsc"].as_str().unwrap();
    let leg = if dsc == src {
        "src"
    } else if dsc == dst {
        "dst"
    } else {
        panic!("dsc {dsc} is neither leg")
    };
    format!("{leg}:{}", g.json["state"].as_str().unwrap())
}

fn keys(v: &serde_json::Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    k.sort();
    k
}

fn sorted(v: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = v.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

/// `lastresid`/`limit` query on CallCdr.wx.
fn cdr_query(c: &mut Conn, app: &str, fid: &str, last: &str, limit: &str) -> Resp {
    let mut api = Api::demo("CallCdr.wx");
    api.version = "201512";
    api.call(
        c,
        &format!(
            r#"{{"action":"getCdrByResId","appid":"{app}","fid":"{fid}","lastresid":"{last}","limit":"{limit}"}}"#
        ),
    )
}

fn cdr_list(r: &Resp) -> Vec<serde_json::Value> {
    assert_eq!(r.status, 200);
    let j = r.json();
    assert!(j.get("statusCode").is_none(), "{j}");
    assert_eq!(keys(&j), ["cdr"]);
    j["cdr"].as_array().unwrap().clone()
}

fn balance_api() -> Api<'static> {
    let mut api = Api::demo("getBlance.wx");
    api.version = "201612";
    api.func = "account";
    api
}

fn balance(c: &mut Conn) -> Resp {
    balance_api().call(
        c,
        &format!(r#"{{"action":"queryBlance","appid":"{DEMO_APP_ID}"}}"#),
    )
}

#[test]
fn callback_call_pushes_states_then_record() {
    let rx = Receiver::start(0);
    let emu = start(push_config(&rx.url()));
    let mut c = Conn::open(emu.addr());
    let (src, dst) = ("13911281234", "01085485069");
    let t = Instant::now();
    let id = accepted_id(&Api::demo(CB).call(&mut c, &cb_full(src, dst, Some("order-1"))));
    let got = rx.take(&emu, 9);
    assert!(t.elapsed() < WAIT);

    let labels: Vec<String> = got.iter().map(|g| label(g, src, dst)).collect();
    assert_eq!(
        labels,
        [
            "src:callout",
            "src:alerting",
            "src:answer",
            "dst:callout",
            "dst:alerting",
            "dst:answer",
            "src:disconnect",
            "dst:disconnect",
            "cdr"
        ]
    );
    let mut last_ts = String::new();
    // The routing key the platform appends (PROTOCOL.md, "Which push it is").
    for (i, g) in got.iter().enumerate() {
        let key = if i == 8 { "Call" } else { "CallState" };
        assert_eq!(g.path, format!("/ytx/push?{key}"));
        assert_eq!(
            g.content_type.as_deref(),
            Some("application/json;charset=utf-8")
        );
    }
    for g in &got[..8] {
        assert_eq!(
            keys(&g.json),
            sorted(&[
                "requestid",
                "dsc",
                "state",
                "stateDesc",
                "timestamp",
                "customParm"
            ])
        );
        assert_eq!(g.json["requestid"], id.as_str());
        assert_eq!(g.json["customParm"], "order-1");
        assert!(!g.json["stateDesc"].as_str().unwrap().is_empty());
        let ts = g.json["timestamp"].as_str().unwrap();
        assert!(is_datetime(ts), "{ts}");
        assert!(
            ts >= last_ts.as_str(),
            "timestamps go back: {ts} after {last_ts}"
        );
        last_ts = ts.to_string();
    }
    // The first push's time is the acceptance time in UTC+8 (the requestId's
    // first 14 digits are that time too).
    let first = got[0].json["timestamp"]
        .as_str()
        .unwrap()
        .replace(['-', ' ', ':'], "");
    assert_eq!(first, id[..14]);

    let cdr_push = &got[8];
    assert_eq!(keys(&cdr_push.json), ["cdr"]);
    let list = cdr_push.json["cdr"].as_array().unwrap();
    assert_eq!(list.len(), 1);
    let r = &list[0];
    assert_eq!(
        keys(r),
        sorted(&[
            "requestid",
            "appid",
            "fid",
            "caller",
            "called",
            "callerstime",
            "calleretime",
            "calledstime",
            "calledetime",
            "tapesurl",
            "duration",
            "oriamount",
            "customParm",
            "stateDesc"
        ])
    );
    assert_eq!(r["requestid"], id.as_str());
    assert_eq!(r["appid"], DEMO_APP_ID);
    assert_eq!(r["fid"], 4);
    assert!(r["fid"].is_u64());
    assert_eq!(
        (r["caller"].as_str(), r["called"].as_str()),
        (Some(src), Some(dst))
    );
    for k in ["callerstime", "calleretime", "calledstime", "calledetime"] {
        assert!(is_datetime(r[k].as_str().unwrap()), "{k}: {}", r[k]);
    }
    assert!(r["callerstime"].as_str() < r["calledstime"].as_str());
    assert!(r["calledstime"].as_str() < r["calledetime"].as_str());
    assert!(r["tapesurl"].as_str().unwrap().starts_with("http://"));
    assert_eq!(r["duration"], 10);
    assert!(r["duration"].is_u64());
    // Exactly two decimals, as a JSON number.
    assert!(
        cdr_push.raw.contains(r#""oriamount":0.06,"#),
        "{}",
        cdr_push.raw
    );
    assert_eq!(r["customParm"], "order-1");
    assert_eq!(r["stateDesc"], "应答|正常");

    // The same record is kept and served.
    let records = emu.records();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].cdr_json(), *r);
    assert_eq!(records[0].amount_fen, 6);
    let served = cdr_list(&cdr_query(&mut c, DEMO_APP_ID, "4", &id, "0"));
    assert_eq!(served, std::slice::from_ref(r));
    // The push log: all delivered at the first attempt.
    let log = emu.pushes();
    assert!(log
        .iter()
        .all(|p| p.delivered && p.attempts == 1 && p.error.is_none()));
    assert_eq!(log[8].body, cdr_push.raw);
}

#[test]
fn magic_numbers_push_sequences() {
    use ytx_emulator::*;
    let rx = Receiver::start(0);
    let emu = start(push_config(&rx.url()));
    let mut c = Conn::open(emu.addr());
    let normal_src = "13911281234";
    let normal_dst = "01085485069";
    struct Case {
        src: &'static str,
        dst: &'static str,
        want: Vec<&'static str>,
        desc: &'static str,
        answered: bool,
    }
    let cases = [
        Case {
            src: CALL_FIRST_LEG_NO_ANSWER,
            dst: normal_dst,
            want: vec!["src:callout", "src:alerting", "src:disconnect", "cdr"],
            desc: "主叫未接听",
            answered: false,
        },
        Case {
            src: normal_src,
            dst: CALL_SECOND_LEG_BUSY,
            want: vec![
                "src:callout",
                "src:alerting",
                "src:answer",
                "dst:callout",
                "dst:disconnect",
                "src:disconnect",
                "cdr",
            ],
            desc: "被叫忙",
            answered: false,
        },
        Case {
            src: normal_src,
            dst: CALL_SECOND_LEG_NO_ANSWER,
            want: vec![
                "src:callout",
                "src:alerting",
                "src:answer",
                "dst:callout",
                "dst:alerting",
                "dst:disconnect",
                "src:disconnect",
                "cdr",
            ],
            desc: "被叫未接听",
            answered: false,
        },
        Case {
            src: normal_src,
            dst: CALL_DUPLICATE_PUSHES,
            want: vec![
                "src:callout",
                "src:alerting",
                "src:answer",
                "src:answer",
                "dst:callout",
                "dst:alerting",
                "dst:answer",
                "dst:answer",
                "src:disconnect",
                "dst:disconnect",
                "cdr",
                "cdr",
            ],
            desc: "应答|正常",
            answered: true,
        },
        Case {
            src: normal_src,
            dst: CALL_OUT_OF_ORDER_PUSHES,
            want: vec![
                "src:callout",
                "src:alerting",
                "src:answer",
                "dst:alerting",
                "dst:callout",
                "dst:answer",
                "src:disconnect",
                "cdr",
                "dst:disconnect",
            ],
            desc: "应答|正常",
            answered: true,
        },
    ];
    let mut ids = Vec::new();
    for case in &cases {
        ids.push(accepted_id(
            &Api::demo(CB).call(&mut c, &cb_full(case.src, case.dst, None)),
        ));
    }
    let total: usize = cases.iter().map(|c| c.want.len()).sum();
    let got = rx.take(&emu, total);
    for (case, id) in cases.iter().zip(&ids) {
        // Calls are delivered in parallel: pick this call's pushes, in arrival order.
        let mine: Vec<&Got> = got
            .iter()
            .filter(|g| {
                g.json
                    .get("requestid")
                    .or_else(|| g.json["cdr"][0].get("requestid"))
                    == Some(&serde_json::Value::from(id.as_str()))
            })
            .collect();
        let labels: Vec<String> = mine.iter().map(|g| label(g, case.src, case.dst)).collect();
        assert_eq!(labels, case.want, "src {} dst {}", case.src, case.dst);
        let cdrs: Vec<&&Got> = mine
            .iter()
            .filter(|g| g.json.get("cdr").is_some())
            .collect();
        let r = &cdrs[0].json["cdr"][0];
        assert_eq!(r["stateDesc"], case.desc);
        assert!(!r.as_object().unwrap().contains_key("customParm"));
        if case.answered {
            assert_eq!(r["duration"], 10);
            assert!(is_datetime(r["calledstime"].as_str().unwrap()));
        } else {
            assert_eq!(r["duration"], 0);
            assert!(
                cdrs[0].raw.contains(r#""oriamount":0.00,"#),
                "{}",
                cdrs[0].raw
            );
            assert_eq!(r["calledstime"], "");
            assert_eq!(r["calledetime"], "");
            assert_eq!(r["tapesurl"], "NoTapes");
        }
        if case.src == CALL_FIRST_LEG_NO_ANSWER {
            assert_eq!(r["callerstime"], "");
            assert_eq!(r["calleretime"], "");
        }
        if case.dst == CALL_SECOND_LEG_BUSY {
            assert!(is_datetime(r["callerstime"].as_str().unwrap()));
            let busy = mine
                .iter()
                .find(|g| label(g, case.src, case.dst) == "dst:disconnect");
            assert_eq!(busy.unwrap().json["stateDesc"], "被叫忙");
        }
        if case.dst == CALL_DUPLICATE_PUSHES {
            // The duplicates are identical.
            assert_eq!(cdrs[0].raw, cdrs[1].raw);
            let answers: Vec<&&Got> = mine
                .iter()
                .filter(|g| g.json.get("state") == Some(&"answer".into()))
                .collect();
            assert_eq!(answers[0].raw, answers[1].raw);
            assert_eq!(answers[2].raw, answers[3].raw);
        }
    }
    // One record per call, whatever its pushes.
    assert_eq!(emu.records().len(), cases.len());
}

#[test]
fn voice_code_record_push() {
    use ytx_emulator::*;
    let rx = Receiver::start(0);
    let emu = start(push_config(&rx.url()));
    let mut c = Conn::open(emu.addr());
    let ok = accepted_id(&Api::demo(VC).call(&mut c, &vc_body("13911281234")));
    let busy = accepted_id(&Api::demo(VC).call(&mut c, &vc_body(CALL_SECOND_LEG_BUSY)));
    let twice = accepted_id(&Api::demo(VC).call(&mut c, &vc_body(CALL_DUPLICATE_PUSHES)));
    let got = rx.take(&emu, 4);
    let by_id = |id: &str| -> Vec<serde_json::Value> {
        got.iter()
            .map(|g| g.json["cdr"][0].clone())
            .filter(|r| r["requestid"] == id)
            .collect()
    };
    let r = &by_id(&ok)[0];
    assert_eq!(
        keys(r),
        sorted(&[
            "requestid",
            "appid",
            "fid",
            "tel",
            "stime",
            "etime",
            "duration",
            "oriamount",
            "stateDesc"
        ])
    );
    assert_eq!(r["fid"], 9);
    assert_eq!(r["tel"], "13911281234");
    assert!(is_datetime(r["stime"].as_str().unwrap()));
    assert_eq!(r["duration"], 12);
    assert_eq!(by_id(&busy)[0]["stateDesc"], "用户正忙");
    assert_eq!(by_id(&busy)[0]["stime"], "");
    assert_eq!(by_id(&twice).len(), 2);
    // Served under fid 9, not 4.
    assert_eq!(
        cdr_list(&cdr_query(&mut c, DEMO_APP_ID, "9", &ok, "0")),
        std::slice::from_ref(r)
    );
    assert!(cdr_list(&cdr_query(&mut c, DEMO_APP_ID, "4", &ok, "0")).is_empty());
}

#[test]
fn failed_push_is_retried_then_delivered() {
    let rx = Receiver::start(1);
    let emu = start(push_config(&rx.url()));
    let mut c = Conn::open(emu.addr());
    let vc = accepted_id(&Api::demo(VC).call(&mut c, &vc_body("13911281234")));
    // The receiver sees the push twice: a 500, then a 200.
    let got = rx.take_logged(&emu, 2, 1);
    assert_eq!(got[0].raw, got[1].raw);
    assert_eq!(got[0].json["cdr"][0]["requestid"], vc.as_str());
    let log = emu.pushes();
    assert_eq!(log.len(), 1);
    assert!(log[0].delivered);
    assert_eq!(log[0].attempts, 2);
}

#[test]
fn undeliverable_pushes_do_not_block_answers() {
    // Refused: a port nobody listens on any more.
    let refused = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/push", l.local_addr().unwrap())
    };
    // Black hole: listening, never accepted, never answered.
    let hole = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut config = quick_config().with_push_interval_ms(1);
    config.accounts[0].apps[0].push_url = Some(refused.clone());
    config.accounts[0].apps[1].push_url =
        Some(format!("http://{}/push", hole.local_addr().unwrap()));
    let emu = start(config);
    let mut c = Conn::open(emu.addr());
    let t = Instant::now();
    for i in 0..12 {
        let body = cb_full("13911281234", "01085485069", None);
        let body = if i % 2 == 1 {
            body.replace(DEMO_APP_ID, DEMO_CALLBACK_ONLY_APP_ID)
        } else {
            body
        };
        let one = Instant::now();
        accepted_id(&Api::demo(CB).call(&mut c, &body));
        // One delivery attempt to the black hole alone takes 2 s (the push
        // timeout), its three attempts 6 s.
        assert!(
            one.elapsed() < Duration::from_secs(5),
            "{:?}",
            one.elapsed()
        );
    }
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
    // Pushes to the refused URL are tried three times, then dropped.
    let refused_url = |p: &ytx_emulator::Push| p.url.starts_with(&format!("{refused}?"));
    wait_for(|| emu.pushes().iter().any(refused_url));
    let dropped = emu.pushes().into_iter().find(refused_url).unwrap();
    assert!(!dropped.delivered);
    assert_eq!(dropped.attempts, ytx_emulator::PUSH_ATTEMPTS);
    assert!(dropped.error.is_some());
    // Stopping does not wait for the pending ones.
    let t = Instant::now();
    emu.stop();
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
    drop(hole);
}

#[test]
fn stop_does_not_wait_for_paced_pushes() {
    let rx = Receiver::start(0);
    let emu = start(
        quick_config()
            .with_push_url(rx.url())
            .with_push_interval_ms(600_000),
    );
    let mut c = Conn::open(emu.addr());
    accepted_id(&Api::demo(CB).call(&mut c, &cb_body("13522855865", "120")));
    let t = Instant::now();
    emu.stop();
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
    assert!(rx.rx.try_recv().is_err());
}

#[test]
fn call_records_query() {
    let emu = start(quick_config());
    let mut c = Conn::open(emu.addr());
    let ids: Vec<String> = (1..=3)
        .map(|i| {
            accepted_id(&Api::demo(CB).call(
                &mut c,
                &cb_full("13911281234", "01085485069", Some(&format!("c{i}"))),
            ))
        })
        .collect();
    let vc = accepted_id(&Api::demo(VC).call(&mut c, &vc_body("13911281234")));
    assert!(ids[0] < ids[1] && ids[1] < ids[2] && ids[2] < vc);
    let parm = |r: &serde_json::Value| r["customParm"].as_str().unwrap().to_string();

    // limit 0: exactly the record of lastresid.
    let one = cdr_list(&cdr_query(&mut c, DEMO_APP_ID, "4", &ids[1], "0"));
    assert_eq!(one.len(), 1);
    assert_eq!(one[0]["requestid"], ids[1].as_str());
    assert_eq!(parm(&one[0]), "c2");
    // Unknown id, other app, other fid: nothing.
    assert!(cdr_list(&cdr_query(
        &mut c,
        DEMO_APP_ID,
        "4",
        "12345678901234567890123456789",
        "0"
    ))
    .is_empty());
    assert!(cdr_list(&cdr_query(
        &mut c,
        DEMO_CALLBACK_ONLY_APP_ID,
        "4",
        &ids[1],
        "0"
    ))
    .is_empty());
    assert!(cdr_list(&cdr_query(&mut c, DEMO_APP_ID, "9", &ids[1], "0")).is_empty());
    assert!(cdr_list(&cdr_query(&mut c, DEMO_APP_ID, "4", "0", "0")).is_empty());

    // limit > 0: pages after lastresid, in acceptance order.
    let page: Vec<String> = cdr_list(&cdr_query(&mut c, DEMO_APP_ID, "4", "0", "2"))
        .iter()
        .map(parm)
        .collect();
    assert_eq!(page, ["c1", "c2"]);
    let page: Vec<String> = cdr_list(&cdr_query(&mut c, DEMO_APP_ID, "4", &ids[1], "2"))
        .iter()
        .map(parm)
        .collect();
    assert_eq!(page, ["c3"]);
    assert!(cdr_list(&cdr_query(&mut c, DEMO_APP_ID, "4", &ids[2], "5")).is_empty());
    let all = cdr_list(&cdr_query(&mut c, DEMO_APP_ID, "4", "0", "100"));
    assert_eq!(all.len(), 3);
    let vcs = cdr_list(&cdr_query(&mut c, DEMO_APP_ID, "9", "0", "100"));
    assert_eq!(vcs.len(), 1);
    assert_eq!(vcs[0]["requestid"], vc.as_str());
    // Same as the Rust API's records.
    let records = emu.records();
    assert_eq!(records.len(), 4);
    assert_eq!(records[0].custom_parm.as_deref(), Some("c1"));
    assert_eq!(records[3].fid, ytx_emulator::FID_VOICE_CODE);
    assert_eq!(records[0].cdr_json(), all[0]);

    // Checks.
    let q = |c: &mut Conn, body: &str| Api::demo("CallCdr.wx").call(c, body);
    let base = format!(
        r#"{{"action":"getCdrByResId","appid":"{DEMO_APP_ID}","fid":"4","lastresid":"0","limit":"1"}}"#
    );
    assert_eq!(
        q(&mut c, &base.replace("getCdrByResId", "getCdrByTime")).code(),
        "-3"
    );
    assert_eq!(q(&mut c, &base.replace(r#","limit":"1""#, "")).code(), "-2");
    assert_eq!(q(&mut c, &base.replace(r#","fid":"4""#, "")).code(), "-2");
    assert_eq!(
        q(&mut c, &base.replace(r#","lastresid":"0""#, "")).code(),
        "-2"
    );
    assert_eq!(
        q(
            &mut c,
            &base.replace(&format!(r#""appid":"{DEMO_APP_ID}","#), "")
        )
        .code(),
        "-2"
    );
    assert_eq!(
        q(&mut c, &base.replace(r#""limit":"1""#, r#""limit":"ten""#)).code(),
        "-101"
    );
    assert_eq!(
        q(&mut c, &base.replace(r#""limit":"1""#, r#""limit":1"#)).code(),
        "-4"
    );
    let mut unsigned = Api::demo("CallCdr.wx");
    unsigned.sign = Some("0".repeat(32));
    assert_eq!(unsigned.call(&mut c, &base).code(), "-203");
    let mut stale = Api::demo("CallCdr.wx");
    stale.ts = cst_timestamp(-3600);
    assert_eq!(stale.call(&mut c, &base).code(), "-202");
    // The query itself is logged (and is not a call).
    let log = emu.requests();
    assert!(log.iter().any(|r| r.path.ends_with("/call/CallCdr.wx")));
    assert_eq!(emu.records().len(), 4);
}

#[test]
fn faulted_calls_are_recorded_so_an_unknown_outcome_can_be_resolved() {
    let emu = start(quick_config());
    let mut c = Conn::open(emu.addr());
    let before = accepted_id(&Api::demo(CB).call(&mut c, &cb_body("13522855865", "120")));
    // The answer is lost: no requestId for the client.
    let mut lost = Conn::open(emu.addr());
    let api = Api::demo(CB);
    let body = cb_full(
        "13911281234",
        ytx_emulator::FAULT_DROP_CONNECTION,
        Some("lost-1"),
    );
    assert!(api.call_raw(&mut lost, &body).is_none());
    // Page after the last known requestId, look for the customParm.
    let after = cdr_list(&cdr_query(&mut c, DEMO_APP_ID, "4", &before, "50"));
    assert_eq!(after.len(), 1);
    assert_eq!(after[0]["customParm"], "lost-1");
    // A platform refusal is not a call.
    assert_eq!(
        api.call(
            &mut c,
            &cb_full("13911281234", "19900001104", Some("refused"))
        )
        .code(),
        "-104"
    );
    assert_eq!(emu.records().len(), 2);
}

#[test]
fn rate_limit_magic_number() {
    let emu = start(quick_config());
    let mut c = Conn::open(emu.addr());
    assert_eq!(ytx_emulator::platform_code_dst(104), "19900001104");
    for r in [
        Api::demo(CB).call(&mut c, &cb_body("19900001104", "120")),
        Api::demo(VC).call(&mut c, &vc_body("19900001104")),
    ] {
        let j = r.json();
        assert_eq!(j["statusCode"], "-104");
        assert_eq!(j["statusMsg"], "请求频率过高");
        assert_eq!(j["requestId"], "");
    }
    assert!(emu.records().is_empty());
}

#[test]
fn balance_query_and_charges() {
    let emu = start(quick_config().with_balance_fen(708));
    let mut c = Conn::open(emu.addr());
    let r = balance(&mut c);
    assert_eq!(r.status, 200);
    assert_eq!(
        std::str::from_utf8(&r.body).unwrap(),
        format!(r#"{{"AccountSID":"{DEMO_ACCOUNT_SID}","Blance":7.08}}"#)
    );
    assert_eq!(emu.balance_fen(DEMO_ACCOUNT_SID), Some(708));
    // A normal callback call: 10 s, 0.06 yuan.
    accepted_id(&Api::demo(CB).call(&mut c, &cb_body("13522855865", "120")));
    assert_eq!(balance(&mut c).json()["Blance"], 7.02);
    // A busy one costs nothing; a voice code (12 s) 0.06.
    accepted_id(&Api::demo(CB).call(&mut c, &cb_body(ytx_emulator::CALL_SECOND_LEG_BUSY, "120")));
    accepted_id(&Api::demo(VC).call(&mut c, &vc_body("13911281234")));
    assert!(std::str::from_utf8(&balance(&mut c).body)
        .unwrap()
        .ends_with(r#""Blance":6.96}"#));
    assert_eq!(emu.balance_fen(DEMO_ACCOUNT_SID), Some(696));
    assert_eq!(emu.balance_fen("nope"), None);

    // Checks: version 201612 and account/ only; the action; the appid.
    let body = format!(r#"{{"action":"queryBlance","appid":"{DEMO_APP_ID}"}}"#);
    let mut old = balance_api();
    old.version = "201512";
    assert_eq!(old.call(&mut c, &body).status, 404);
    assert_eq!(
        balance_api()
            .call(&mut c, &body.replace("queryBlance", "queryBalance"))
            .code(),
        "-3"
    );
    assert_eq!(
        balance_api()
            .call(
                &mut c,
                &body.replace(DEMO_APP_ID, "ff80808100000000000000000000dead")
            )
            .code(),
        "-205"
    );
    let mut bad = balance_api();
    bad.sign = Some("0".repeat(32));
    assert_eq!(bad.call(&mut c, &body).code(), "-203");
}

#[test]
fn broke_account_answers_204() {
    let emu = start(quick_config().with_balance_fen(10));
    let mut c = Conn::open(emu.addr());
    // 10 fen: one call (6 fen) goes through, then 4 fen is below the minimum.
    accepted_id(&Api::demo(CB).call(&mut c, &cb_body("13522855865", "120")));
    assert_eq!(emu.balance_fen(DEMO_ACCOUNT_SID), Some(4));
    for r in [
        Api::demo(CB).call(&mut c, &cb_body("13522855865", "120")),
        Api::demo(VC).call(&mut c, &vc_body("13911281234")),
        // Check 9 comes before the magic numbers.
        Api::demo(CB).call(&mut c, &cb_body("19900001104", "120")),
        Api::demo(CB).call(&mut c, &cb_body(ytx_emulator::FAULT_HTTP_500, "120")),
    ] {
        let j = r.json();
        assert_eq!(j["statusCode"], "-204", "{j}");
        assert_eq!(j["statusMsg"], "余额不足");
        assert_eq!(j["requestId"], "");
    }
    assert_eq!(emu.records().len(), 1);
    assert_eq!(balance(&mut c).json()["Blance"], 0.04);
    // A bad request is still a bad request.
    assert_eq!(
        Api::demo(CB)
            .call(&mut c, &cb_body("13522855865", "60"))
            .code(),
        "-101"
    );
    // Topped up, it works again.
    assert!(emu.set_balance_fen(DEMO_ACCOUNT_SID, 100));
    accepted_id(&Api::demo(CB).call(&mut c, &cb_body("13522855865", "120")));
    assert_eq!(emu.balance_fen(DEMO_ACCOUNT_SID), Some(94));
}

#[test]
fn records_and_pushes_control_endpoints() {
    let rx = Receiver::start(0);
    let emu = start(push_config(&rx.url()));
    let mut c = Conn::open(emu.addr());
    let id = accepted_id(&Api::demo(VC).call(&mut c, &vc_body("13911281234")));
    rx.take(&emu, 1);
    let r = c.request("GET", "/_emulator/records", &[], b"");
    assert_eq!(r.status, 200);
    let j = r.json();
    let rec = &j["records"][0];
    assert_eq!(rec["request_id"], id.as_str());
    assert_eq!(rec["account_sid"], DEMO_ACCOUNT_SID);
    assert_eq!(rec["fid"], 9);
    assert_eq!(rec["amount_fen"], 6);
    assert_eq!(rec["cdr"]["requestid"], id.as_str());
    assert_eq!(
        j["balances"][DEMO_ACCOUNT_SID],
        ytx_emulator::DEFAULT_BALANCE_FEN - 6
    );
    let r = c.request("GET", "/_emulator/pushes", &[], b"");
    let pushes: Vec<ytx_emulator::Push> = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(pushes, emu.pushes());
    // A voice code's one push: its record, with the key the platform appends.
    assert_eq!(pushes[0].url, format!("{}?Call", rx.url()));
    assert!(pushes[0].delivered);
    assert_eq!(
        c.request("POST", "/_emulator/records", &[], b"").status,
        405
    );
    assert_eq!(emu.request_count(), 1, "control endpoints are not logged");
}

#[test]
fn record_delay_hides_fresh_records() {
    let emu = start(quick_config().with_record_delay_ms(600_000));
    let mut c = Conn::open(emu.addr());
    let id = accepted_id(&Api::demo(CB).call(&mut c, &cb_body("13522855865", "120")));
    assert!(cdr_list(&cdr_query(&mut c, DEMO_APP_ID, "4", &id, "0")).is_empty());
    assert!(cdr_list(&cdr_query(&mut c, DEMO_APP_ID, "4", "0", "10")).is_empty());
    assert_eq!(emu.records().len(), 1);
}

#[test]
fn binary_push_url_flag() {
    let rx = Receiver::start(0);
    let mut child = Command::new(env!("CARGO_BIN_EXE_ytx-emulator"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--exit-on-stdin-eof",
            "--push-interval-ms",
            "1",
            "--push-timeout-ms",
            "60000",
        ])
        .args(["--push-url", &rx.url(), "--balance-fen", "708"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let addr: SocketAddr = line
        .trim_end()
        .strip_prefix("ytx-emulator listening on http://")
        .unwrap()
        .parse()
        .unwrap();
    let mut c = Conn::open(addr);
    let id = accepted_id(&Api::demo(CB).call(&mut c, &cb_body("13522855865", "120")));
    let deadline = Instant::now() + WAIT;
    let mut got = Vec::new();
    while got.len() < 9 {
        let left = deadline.saturating_duration_since(Instant::now());
        got.push(rx.rx.recv_timeout(left).expect("9 pushes"));
    }
    assert_eq!(got[0].json["requestid"], id.as_str());
    assert_eq!(got[8].json["cdr"][0]["requestid"], id.as_str());
    assert_eq!(balance(&mut c).json()["Blance"], 7.02);
    let r = c.request("GET", "/_emulator/pushes", &[], b"");
    assert!(r.json().as_array().is_some());
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success());
}

#[test]
fn request_id_from_custom_parm_mode() {
    let body = |parm: &str| {
        format!(
            r#"{{"action":"callDailBack","appid":"{DEMO_APP_ID}","src":"13911281234","dst":"13522855865","credit":"61","customParm":"{parm}"}}"#
        )
    };
    // Off by default: a fresh requestId.
    let emu = start(quick_config());
    let mut c = Conn::open(emu.addr());
    let id = Api::demo(CB).call(&mut c, &body("42")).json()["requestId"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(!id.ends_with("000000000000042"), "{id}");
    drop(emu);
    // On: digits become the requestId's last 15; anything else as usual.
    let emu = start(quick_config().with_request_id_from_custom_parm(true));
    let mut c = Conn::open(emu.addr());
    for parm in ["42", "123456789012345"] {
        let id = Api::demo(CB).call(&mut c, &body(parm)).json()["requestId"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(is_request_id(&id), "{id}");
        assert!(id.ends_with(&format!("{parm:0>15}")), "{id}");
    }
    for parm in ["x1", "1234567890123456"] {
        let j = Api::demo(CB).call(&mut c, &body(parm)).json();
        assert_eq!(j["statusCode"], "0", "{j}");
        let id = j["requestId"].as_str().unwrap();
        assert!(
            is_request_id(id) && !id.ends_with(&format!("{parm:0>15}")),
            "{id}"
        );
    }
}
