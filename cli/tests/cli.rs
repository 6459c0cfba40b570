//! The `ytx` binary against the in-process emulator: every command's output
//! (text and --json) and every exit code.
//!
//! Each run starts from an empty environment (no YTX_* of the developer's,
//! XDG_CONFIG_HOME pointing at an empty directory), and every run checks that
//! no auth token it was given appears in its stdout or stderr.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::Value;
use ytx_emulator::{
    platform_code_dst, Config, Emulator, DEMO_ACCOUNT_SID, DEMO_APP_ID, DEMO_AUTH_TOKEN,
    FAULT_DROP_CONNECTION, FAULT_HTTP_500, FAULT_NOT_JSON, FAULT_SLOW_ANSWER,
};

const SRC: &str = "13800138000";
const DST: &str = "13900139000";
const WRONG_TOKEN: &str = "0badc0ffee0badc0ffee0badc0ffee00";

/// Exit codes, as documented in cli/README.md and `ytx --help`.
const OK: i32 = 0;
const NOT_FOUND: i32 = 1;
const INVALID: i32 = 2;
const NOT_SENT: i32 = 3;
const UNKNOWN: i32 = 4;
const REFUSED: i32 = 5;
const BAD_ANSWER: i32 = 6;
const NOT_PLACED: i32 = 7;
const NOT_KNOWN_YET: i32 = 8;
const CANNOT_BE_RESOLVED: i32 = 9;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        let lines: Vec<&str> = self.stdout.lines().collect();
        assert_eq!(lines.len(), 1, "one JSON line on stdout: {}", self.stdout);
        serde_json::from_str(lines[0]).unwrap_or_else(|e| panic!("{e}: {}", self.stdout))
    }
    fn error(&self) -> Value {
        self.json()["error"].clone()
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--stdout\n{}--stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

fn temp_dir() -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "ytx-cli-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Run `ytx` with exactly these environment variables (plus an empty
/// config home) and this stdin.
fn ytx_with(args: &[&str], env: &[(&str, &str)], stdin: &[u8]) -> Run {
    let home = temp_dir();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ytx"));
    cmd.args(args)
        .env_clear()
        .env("XDG_CONFIG_HOME", &home)
        .env("HOME", &home)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("run ytx");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    let run = Run {
        code: out.status.code().expect("exited"),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    };
    // Never the token, whatever happened.
    for (k, v) in env {
        if *k == "YTX_AUTH_TOKEN" {
            assert!(!run.stdout.contains(v), "token on stdout: {run:?}");
            assert!(!run.stderr.contains(v), "token on stderr: {run:?}");
        }
    }
    for token in [DEMO_AUTH_TOKEN, WRONG_TOKEN] {
        assert!(!run.stdout.contains(token), "token on stdout: {run:?}");
        assert!(!run.stderr.contains(token), "token on stderr: {run:?}");
    }
    run
}

fn demo_env(base_url: &str) -> Vec<(&'static str, String)> {
    vec![
        ("YTX_ACCOUNT_SID", DEMO_ACCOUNT_SID.to_string()),
        ("YTX_AUTH_TOKEN", DEMO_AUTH_TOKEN.to_string()),
        ("YTX_APP_ID", DEMO_APP_ID.to_string()),
        ("YTX_BASE_URL", base_url.to_string()),
    ]
}

fn ytx_env(args: &[&str], env: &[(&'static str, String)]) -> Run {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    ytx_with(args, &env, b"")
}

fn start() -> Emulator {
    Emulator::start(Config::default(), "127.0.0.1:0").expect("start the emulator")
}

/// `ytx ARGS` with the demo credentials against `emu`.
fn ytx(emu: &Emulator, args: &[&str]) -> Run {
    ytx_env(args, &demo_env(&emu.base_url()))
}

/// A base URL where nothing listens.
fn closed_port_url() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    format!("http://127.0.0.1:{port}")
}

/// A server that reads one request, then answers `answer` (raw bytes; empty:
/// close without answering). For the queries, which have no magic numbers.
fn stub(answer: &'static [u8]) -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    std::thread::spawn(move || {
        for conn in l.incoming() {
            let Ok(mut s) = conn else { continue };
            read_request(&mut s);
            let _ = s.write_all(answer);
            // Dropping closes the connection.
        }
    });
    url
}

fn read_request(s: &mut TcpStream) {
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let Ok(n) = s.read(&mut chunk) else { return };
        if n == 0 {
            return;
        }
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf);
        if let Some(end) = text.find("\r\n\r\n") {
            let len = text[..end]
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                return;
            }
        }
    }
}

fn assert_error(run: &Run, exit: i32, class: &str, code: &str, delivery: &str) -> Value {
    assert_eq!(run.code, exit, "{run:?}");
    let e = run.error();
    assert_eq!(e["class"], class, "{run:?}");
    assert_eq!(e["code"], code, "{run:?}");
    assert_eq!(e["delivery"], delivery, "{run:?}");
    assert_eq!(e["exit_code"], exit, "{run:?}");
    assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()));
    e
}

// ---------------------------------------------------------------- call

#[test]
fn call_accepted_text_and_json_with_every_option() {
    let emu = start();
    let run = ytx(&emu, &["call", SRC, DST, "--credit", "600"]);
    assert_eq!(run.code, OK, "{run:?}");
    let id = emu.requests()[0].request_id.clone().unwrap();
    assert!(run.stdout.contains("accepted"), "{run:?}");
    assert!(run.stdout.contains(&format!("requestId: {id}")), "{run:?}");

    let run = ytx(
        &emu,
        &[
            "--json",
            "call",
            SRC,
            DST,
            "--credit",
            "600",
            "--custom-parm",
            "order-42",
            "--src-clid",
            "01085485069",
            "--dst-clid",
            "01085485070",
            "--src-timeout",
            "30",
            "--dst-timeout",
            "31",
            "--src-hint-file",
            "a.wav",
            "--dst-hint-file",
            "b.wav",
            "--ringback-type",
            "custom",
            "--custom-hint-file",
            "c.wav",
            "--dst-fail-hint-file",
            "d.wav",
            "--src-threshold",
            "500",
            "--dst-threshold",
            "501",
            "--src-threshold-file",
            "e.wav",
            "--dst-threshold-file",
            "f.wav",
            "--call-status-check",
        ],
    );
    assert_eq!(run.code, OK, "{run:?}");
    let j = run.json();
    let sent = &emu.requests()[1];
    assert_eq!(j["accepted"], true);
    assert_eq!(j["status_code"], "0");
    assert_eq!(j["request_id"].as_str(), sent.request_id.as_deref());
    let body: Value = serde_json::from_str(&sent.body).unwrap();
    for (wire, value) in [
        ("customParm", "order-42"),
        ("srcclid", "01085485069"),
        ("dstclid", "01085485070"),
        ("srctimeout", "30"),
        ("dsttimeout", "31"),
        ("srchintfile", "a.wav"),
        ("dsthintfile", "b.wav"),
        ("ringbacktype", "3"),
        ("customhintfile", "c.wav"),
        ("dstfailhintfile", "d.wav"),
        ("srcthreshold", "500"),
        ("dstthreshold", "501"),
        ("srcthresholdfile", "e.wav"),
        ("dstthresholdfile", "f.wav"),
        ("iscallstatuscheck", "1"),
    ] {
        assert_eq!(body[wire], value, "{wire} in {}", sent.body);
    }
    assert_eq!(body["credit"], "600");

    // --call-status-check=0 sends "0"; the numeric ringback type works too.
    let run = ytx(
        &emu,
        &[
            "call",
            SRC,
            DST,
            "--credit",
            "61",
            "--call-status-check=0",
            "--ringback-type",
            "2",
        ],
    );
    assert_eq!(run.code, OK, "{run:?}");
    let body: Value = serde_json::from_str(&emu.requests()[2].body).unwrap();
    assert_eq!(body["iscallstatuscheck"], "0");
    assert_eq!(body["ringbacktype"], "2");
}

#[test]
fn call_invalid_input_sends_nothing() {
    let emu = start();
    for (args, field) in [
        (vec!["call", SRC, DST, "--credit", "60"], "credit"),
        (vec!["call", SRC, DST, "--credit", "-5"], "credit"),
        (vec!["call", "138-0013", DST, "--credit", "600"], "src"),
        (
            vec!["call", SRC, DST, "--credit", "600", "--src-clid", "12 3"],
            "srcclid",
        ),
        (
            vec!["call", SRC, DST, "--credit", "600", "--ringback-type", "9"],
            "ringbacktype",
        ),
        (
            vec!["call", SRC, DST, "--credit", "600", "--src-timeout", "soon"],
            "srctimeout",
        ),
        (
            vec!["call", SRC, DST, "--credit", "600", "--call-status-check=2"],
            "iscallstatuscheck",
        ),
    ] {
        let run = ytx(&emu, &args);
        assert_eq!(run.code, INVALID, "{args:?}: {run:?}");
        assert!(run.stderr.contains(field), "{args:?}: {run:?}");
        assert!(run.stderr.contains("nothing was sent"), "{run:?}");
        assert!(run.stdout.is_empty(), "{run:?}");
        let mut json = vec!["--json"];
        json.extend(&args);
        let run = ytx(&emu, &json);
        let e = assert_error(
            &run,
            INVALID,
            "invalid_input",
            "YTX_ERR_INVALID_ARGUMENT",
            "YTX_DELIVERY_NOT_SENT",
        );
        assert_eq!(e["field"], field, "{run:?}");
    }
    // --credit given as the flag name in the text.
    let run = ytx(&emu, &["call", SRC, DST, "--credit", "60"]);
    assert!(run.stderr.contains("--credit"), "{run:?}");
    // Usage errors: the same exit code, JSON with --json.
    for args in [
        vec!["call", SRC, DST],
        vec!["call", SRC, DST, "--credit", "ten"],
        vec!["call", SRC, DST, "--credit", "600", "--colour", "blue"],
        vec!["call", SRC],
    ] {
        let run = ytx(&emu, &args);
        assert_eq!(run.code, INVALID, "{args:?}: {run:?}");
        assert!(run.stdout.is_empty(), "{run:?}");
        let mut json = vec!["--json"];
        json.extend(&args);
        let run = ytx(&emu, &json);
        assert_error(
            &run,
            INVALID,
            "invalid_input",
            "YTX_ERR_USAGE",
            "YTX_DELIVERY_NOT_SENT",
        );
    }
    assert_eq!(emu.request_count(), 0);
}

#[test]
fn call_not_sent() {
    let url = closed_port_url();
    let env = demo_env(&url);
    let run = ytx_env(&["call", SRC, DST, "--credit", "600"], &env);
    assert_eq!(run.code, NOT_SENT, "{run:?}");
    assert!(run.stderr.contains("safe to retry"), "{run:?}");
    let run = ytx_env(&["--json", "call", SRC, DST, "--credit", "600"], &env);
    assert_error(
        &run,
        NOT_SENT,
        "not_sent",
        "YTX_ERR_NOT_SENT",
        "YTX_DELIVERY_NOT_SENT",
    );
}

#[test]
fn call_outcome_unknown() {
    let emu = start();
    let run = ytx(
        &emu,
        &["call", SRC, FAULT_DROP_CONNECTION, "--credit", "600"],
    );
    assert_eq!(run.code, UNKNOWN, "{run:?}");
    assert!(run.stderr.contains("do not retry blindly"), "{run:?}");
    assert!(run.stderr.contains("ytx resolve"), "{run:?}");
    let run = ytx(
        &emu,
        &[
            "--json",
            "call",
            SRC,
            FAULT_DROP_CONNECTION,
            "--credit",
            "600",
        ],
    );
    assert_error(
        &run,
        UNKNOWN,
        "outcome_unknown",
        "YTX_ERR_OUTCOME_UNKNOWN",
        "YTX_DELIVERY_UNKNOWN",
    );
    // A timeout while waiting for the answer is an unknown outcome too.
    let run = ytx(
        &emu,
        &[
            "--json",
            "--timeout-ms",
            "3000",
            "call",
            SRC,
            FAULT_SLOW_ANSWER,
            "--credit",
            "600",
        ],
    );
    assert_error(
        &run,
        UNKNOWN,
        "outcome_unknown",
        "YTX_ERR_TIMEOUT",
        "YTX_DELIVERY_UNKNOWN",
    );
}

#[test]
fn call_refused_by_the_platform() {
    let emu = start();
    let dst = platform_code_dst(204);
    let run = ytx(&emu, &["call", SRC, &dst, "--credit", "600"]);
    assert_eq!(run.code, REFUSED, "{run:?}");
    assert!(run.stderr.contains("-204"), "{run:?}");
    assert!(run.stderr.contains("refused"), "{run:?}");
    let run = ytx(&emu, &["--json", "call", SRC, &dst, "--credit", "600"]);
    let e = assert_error(
        &run,
        REFUSED,
        "refused",
        "YTX_ERR_PLATFORM",
        "YTX_DELIVERY_ANSWERED",
    );
    assert_eq!(e["status_code"], "-204");
    assert_eq!(e["status_msg"], "余额不足");
    assert!(e["explanation"].as_str().unwrap().contains("balance"));
}

#[test]
fn call_with_a_wrong_token_is_refused_and_never_shows_the_token() {
    let emu = start();
    let mut env = demo_env(&emu.base_url());
    env[1].1 = WRONG_TOKEN.to_string();
    let run = ytx_env(&["call", SRC, DST, "--credit", "600"], &env);
    assert_eq!(run.code, REFUSED, "{run:?}");
    assert!(run.stderr.contains("-203"), "{run:?}");
    assert!(!run.stdout.contains(WRONG_TOKEN) && !run.stderr.contains(WRONG_TOKEN));
    for verbose in [&[][..], &["-vv"][..]] {
        let mut args = vec!["--json"];
        args.extend(verbose);
        args.extend(["call", SRC, DST, "--credit", "600"]);
        let run = ytx_env(&args, &env);
        let e = assert_error(
            &run,
            REFUSED,
            "refused",
            "YTX_ERR_PLATFORM",
            "YTX_DELIVERY_ANSWERED",
        );
        assert_eq!(e["status_code"], "-203");
        assert!(!run.stdout.contains(WRONG_TOKEN) && !run.stderr.contains(WRONG_TOKEN));
    }
    assert_eq!(emu.request_count(), 3);
}

#[test]
fn call_bad_answer() {
    let emu = start();
    for (dst, code) in [
        (FAULT_NOT_JSON, "YTX_ERR_PROTOCOL"),
        (FAULT_HTTP_500, "YTX_ERR_HTTP_STATUS"),
    ] {
        let run = ytx(&emu, &["call", SRC, dst, "--credit", "600"]);
        assert_eq!(run.code, BAD_ANSWER, "{run:?}");
        assert!(run.stderr.contains("bad answer"), "{run:?}");
        let run = ytx(&emu, &["--json", "call", SRC, dst, "--credit", "600"]);
        let e = assert_error(&run, BAD_ANSWER, "bad_answer", code, "YTX_DELIVERY_UNKNOWN");
        if dst == FAULT_HTTP_500 {
            assert_eq!(e["http_status"], 500);
        }
    }
}

fn assert_sign_redacted(text: &str) {
    assert!(text.contains("Sign=<redacted>"), "{text}");
    let mut rest = text;
    while let Some(i) = rest.find("Sign=") {
        rest = &rest[i + 5..];
        assert!(rest.starts_with("<redacted>"), "an unredacted Sign: {text}");
    }
}

#[test]
fn dry_runs_send_nothing_and_redact_the_sign() {
    let emu = start();
    let run = ytx(
        &emu,
        &[
            "call",
            SRC,
            DST,
            "--credit",
            "600",
            "--custom-parm",
            "dry-1",
            "--dry-run",
        ],
    );
    assert_eq!(run.code, OK, "{run:?}");
    assert_sign_redacted(&run.stdout);
    assert!(run.stdout.contains("POST "), "{run:?}");
    assert!(run.stdout.contains("/call/DailbackCall.wx?Sign=<redacted>"));
    assert!(run.stdout.contains("Authorization: "), "{run:?}");
    assert!(run.stdout.contains(r#""customParm":"dry-1""#), "{run:?}");
    assert!(run.stdout.contains("not sent"), "{run:?}");

    let run = ytx(
        &emu,
        &["--json", "code", SRC, "4096", "--times", "2", "--dry-run"],
    );
    assert_eq!(run.code, OK, "{run:?}");
    let j = run.json();
    assert_eq!(j["dry_run"], true);
    assert_eq!(j["sent"], false);
    assert_eq!(j["method"], "POST");
    assert!(j["url"]
        .as_str()
        .unwrap()
        .ends_with("/call/CodeCallOut.wx?Sign=<redacted>"));
    assert_sign_redacted(&run.stdout);
    let body: Value = serde_json::from_str(j["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["code"], "4096");
    assert_eq!(body["time"], "2");
    assert!(j["headers"]["Authorization"].is_string());

    // A dry run validates: a bad value is still exit 2.
    let run = ytx(&emu, &["call", SRC, DST, "--credit", "60", "--dry-run"]);
    assert_eq!(run.code, INVALID, "{run:?}");
    assert_eq!(emu.request_count(), 0, "a dry run sent something");
}

// ---------------------------------------------------------------- code

#[test]
fn code_every_exit_code() {
    let emu = start();
    let run = ytx(&emu, &["code", SRC, "4096"]);
    assert_eq!(run.code, OK, "{run:?}");
    assert!(run.stdout.contains("voice code accepted"), "{run:?}");
    let body: Value = serde_json::from_str(&emu.requests()[0].body).unwrap();
    assert!(
        body.get("dstclid").is_none(),
        "dstclid sent though not given"
    );
    assert!(body.get("time").is_none());

    let run = ytx(
        &emu,
        &[
            "--json",
            "code",
            SRC,
            "4096",
            "--dstclid",
            "02160000000",
            "--times",
            "3",
        ],
    );
    assert_eq!(run.code, OK, "{run:?}");
    let sent = &emu.requests()[1];
    assert_eq!(
        run.json()["request_id"].as_str(),
        sent.request_id.as_deref()
    );
    let body: Value = serde_json::from_str(&sent.body).unwrap();
    assert_eq!(body["dstclid"], "02160000000");
    assert_eq!(body["time"], "3");

    for (args, field) in [
        (vec!["--json", "code", SRC, "40-96"], "code"),
        (vec!["--json", "code", SRC, "4096", "--times", "4"], "time"),
        (vec!["--json", "code", SRC, "4096", "--times", "0"], "time"),
        (
            vec!["--json", "code", SRC, "4096", "--dstclid", "x"],
            "dstclid",
        ),
        (vec!["--json", "code", "12", "4096"], "dst"),
    ] {
        let run = ytx(&emu, &args);
        let e = assert_error(
            &run,
            INVALID,
            "invalid_input",
            "YTX_ERR_INVALID_ARGUMENT",
            "YTX_DELIVERY_NOT_SENT",
        );
        assert_eq!(e["field"], field, "{run:?}");
    }
    assert_eq!(emu.request_count(), 2);

    let run = ytx_env(
        &["--json", "code", SRC, "4096"],
        &demo_env(&closed_port_url()),
    );
    assert_error(
        &run,
        NOT_SENT,
        "not_sent",
        "YTX_ERR_NOT_SENT",
        "YTX_DELIVERY_NOT_SENT",
    );
    let run = ytx(&emu, &["--json", "code", FAULT_DROP_CONNECTION, "4096"]);
    assert_error(
        &run,
        UNKNOWN,
        "outcome_unknown",
        "YTX_ERR_OUTCOME_UNKNOWN",
        "YTX_DELIVERY_UNKNOWN",
    );
    let run = ytx(&emu, &["--json", "code", &platform_code_dst(205), "4096"]);
    let e = assert_error(
        &run,
        REFUSED,
        "refused",
        "YTX_ERR_PLATFORM",
        "YTX_DELIVERY_ANSWERED",
    );
    assert_eq!(e["status_code"], "-205");
    let run = ytx(&emu, &["code", FAULT_NOT_JSON, "4096"]);
    assert_eq!(run.code, BAD_ANSWER, "{run:?}");
}

// ---------------------------------------------------------------- record, find

/// Place a call through `ytx` and return its requestId.
fn place(emu: &Emulator, custom_parm: &str) -> String {
    let run = ytx(
        emu,
        &[
            "--json",
            "call",
            SRC,
            DST,
            "--credit",
            "600",
            "--custom-parm",
            custom_parm,
        ],
    );
    assert_eq!(run.code, OK, "{run:?}");
    run.json()["request_id"].as_str().unwrap().to_string()
}

#[test]
fn record_found_and_not_found() {
    let emu = start();
    let id = place(&emu, "rec-1");
    let run = ytx(&emu, &["record", &id]);
    assert_eq!(run.code, OK, "{run:?}");
    assert!(
        run.stdout.starts_with(&format!("call record {id}")),
        "{run:?}"
    );
    assert!(run.stdout.contains("customParm"), "{run:?}");
    assert!(run.stdout.contains("rec-1"), "{run:?}");

    let run = ytx(&emu, &["--json", "record", &id]);
    assert_eq!(run.code, OK, "{run:?}");
    let j = run.json();
    assert_eq!(j["found"], true);
    let r = &j["record"];
    assert_eq!(r["request_id"], id.as_str());
    assert_eq!(r["custom_parm"], "rec-1");
    assert_eq!(r["caller"], SRC);
    assert_eq!(r["called"], DST);
    let emu_record = emu
        .records()
        .into_iter()
        .find(|r| r.request_id == id)
        .unwrap();
    assert_eq!(r["duration_secs"], emu_record.duration_secs);
    assert_eq!(r["amount_fen"], emu_record.amount_fen);
    assert_eq!(r["fields"]["requestid"], id.as_str());

    // No such record (yet): exit 1, in both forms.
    let run = ytx(&emu, &["record", "20000101000000000000000000001"]);
    assert_eq!(run.code, NOT_FOUND, "{run:?}");
    assert!(run.stdout.contains("no record"), "{run:?}");
    let run = ytx(&emu, &["--json", "record", "20000101000000000000000000001"]);
    assert_eq!(run.code, NOT_FOUND, "{run:?}");
    assert_eq!(run.json()["found"], false);
    // Another product: the callback call's record is not found under fid 9.
    let run = ytx(&emu, &["--json", "record", &id, "--fid", "9"]);
    assert_eq!(run.code, NOT_FOUND, "{run:?}");

    let before = emu.request_count();
    let run = ytx(&emu, &["--json", "record", "2020-1"]);
    let e = assert_error(
        &run,
        INVALID,
        "invalid_input",
        "YTX_ERR_INVALID_ARGUMENT",
        "YTX_DELIVERY_NOT_SENT",
    );
    assert_eq!(e["field"], "lastresid");
    let run = ytx(&emu, &["--json", "record", &id, "--fid", "four"]);
    assert_eq!(run.code, INVALID, "{run:?}");
    assert_eq!(emu.request_count(), before);
}

#[test]
fn find_by_custom_parm() {
    let emu = start();
    let first = place(&emu, "find-0");
    let id = place(&emu, "find-1");
    let run = ytx(&emu, &["find", "find-1", "--after", &first]);
    assert_eq!(run.code, OK, "{run:?}");
    assert!(run.stdout.starts_with("found"), "{run:?}");
    assert!(run.stdout.contains(&id), "{run:?}");
    let run = ytx(&emu, &["--json", "find", "find-1", "--after", "0"]);
    assert_eq!(run.code, OK, "{run:?}");
    let j = run.json();
    assert_eq!(j["found"], true);
    assert_eq!(j["record"]["request_id"], id.as_str());
    // Small pages still find it.
    let run = ytx(
        &emu,
        &[
            "--json",
            "find",
            "find-1",
            "--after",
            "0",
            "--page-size",
            "1",
        ],
    );
    assert_eq!(run.code, OK, "{run:?}");

    // Not found: exit 1. The record of the requestId searched after is
    // not among the records "after" it.
    let run = ytx(&emu, &["find", "find-0", "--after", &first]);
    assert_eq!(run.code, NOT_FOUND, "{run:?}");
    assert!(run.stdout.starts_with("not found"), "{run:?}");
    let run = ytx(&emu, &["--json", "find", "nobody", "--after", "0"]);
    assert_eq!(run.code, NOT_FOUND, "{run:?}");
    assert_eq!(run.json()["found"], false);

    // Running out of pages is an error, never "not found".
    let run = ytx(
        &emu,
        &[
            "--json",
            "find",
            "nobody",
            "--after",
            "0",
            "--page-size",
            "1",
            "--max-pages",
            "1",
        ],
    );
    let e = assert_error(
        &run,
        INVALID,
        "invalid_input",
        "YTX_ERR_INVALID_ARGUMENT",
        "YTX_DELIVERY_NOT_SENT",
    );
    assert_eq!(e["field"], "max_pages");

    // --after is required.
    let run = ytx(&emu, &["find", "find-1"]);
    assert_eq!(run.code, INVALID, "{run:?}");
    let run = ytx(&emu, &["--json", "find", "", "--after", "0"]);
    assert_eq!(run.error()["field"], "customParm");
}

/// record, find and balance: the error exits, which the queries share with
/// the calls (the faults come from a stub: the queries have no magic numbers).
#[test]
fn queries_every_error_exit_code() {
    let emu = start();
    let mut wrong = demo_env(&emu.base_url());
    wrong[1].1 = WRONG_TOKEN.to_string();
    let dropper = stub(b"");
    let not_json = stub(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\n<html>");
    let http_502 =
        stub(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 3\r\nConnection: close\r\n\r\nbad");
    let queries: [&[&str]; 3] = [
        &["--json", "record", "20200437755811196850667520400"],
        &["--json", "find", "x", "--after", "0"],
        &["--json", "balance"],
    ];
    for q in queries {
        let run = ytx_env(q, &wrong);
        let e = assert_error(
            &run,
            REFUSED,
            "refused",
            "YTX_ERR_PLATFORM",
            "YTX_DELIVERY_ANSWERED",
        );
        assert_eq!(e["status_code"], "-203", "{q:?}");
        let run = ytx_env(q, &demo_env(&closed_port_url()));
        assert_error(
            &run,
            NOT_SENT,
            "not_sent",
            "YTX_ERR_NOT_SENT",
            "YTX_DELIVERY_NOT_SENT",
        );
        let run = ytx_env(q, &demo_env(&dropper));
        assert_error(
            &run,
            UNKNOWN,
            "outcome_unknown",
            "YTX_ERR_OUTCOME_UNKNOWN",
            "YTX_DELIVERY_UNKNOWN",
        );
        let run = ytx_env(q, &demo_env(&not_json));
        assert_error(
            &run,
            BAD_ANSWER,
            "bad_answer",
            "YTX_ERR_PROTOCOL",
            "YTX_DELIVERY_UNKNOWN",
        );
        let run = ytx_env(q, &demo_env(&http_502));
        assert_error(
            &run,
            BAD_ANSWER,
            "bad_answer",
            "YTX_ERR_HTTP_STATUS",
            "YTX_DELIVERY_UNKNOWN",
        );
        // Text mode: the same exit code, the advice on stderr.
        let text: Vec<&str> = q[1..].to_vec();
        let run = ytx_env(&text, &demo_env(&dropper));
        assert_eq!(run.code, UNKNOWN, "{run:?}");
        assert!(run.stderr.contains("retrying it is harmless"), "{run:?}");
    }
}

// ---------------------------------------------------------------- balance

#[test]
fn balance_text_and_json() {
    let emu = start();
    emu.set_balance_fen(DEMO_ACCOUNT_SID, 70_812);
    let run = ytx(&emu, &["balance"]);
    assert_eq!(run.code, OK, "{run:?}");
    assert!(run.stdout.contains("balance: 708.12 yuan"), "{run:?}");
    assert!(run.stdout.contains(DEMO_ACCOUNT_SID), "{run:?}");
    let run = ytx(&emu, &["--json", "balance"]);
    assert_eq!(run.code, OK, "{run:?}");
    let j = run.json();
    assert_eq!(j["balance_yuan"], "708.12");
    assert_eq!(j["balance_fen"], 70_812);
    assert_eq!(j["account_sid"], DEMO_ACCOUNT_SID);
    // A call when broke: refused, -204.
    emu.set_balance_fen(DEMO_ACCOUNT_SID, 0);
    let run = ytx(&emu, &["--json", "call", SRC, DST, "--credit", "600"]);
    assert_eq!(run.code, REFUSED, "{run:?}");
    assert_eq!(run.error()["status_code"], "-204");
}

// ---------------------------------------------------------------- push

const STATE_PUSH: &str = r#"{"requestid":"20200437755840048670965760400","dsc":"18610559223",
 "state":"answer","stateDesc":"...","timestamp":"2020-04-28 14:51:37"}"#;

const RECORD_PUSH: &str = r#"{"cdr":[{"requestid":"20200437755811196850667520400","appid":"ff1f324a0604417c9c7f5f1186225fda",
 "fid":4,"caller":"18610559223","called":"01053189990",
 "callerstime":"2020-04-28 14:51:37","calleretime":"2020-04-28 14:51:47",
 "calledstime":"2020-04-28 14:51:43","calledetime":"2020-04-28 14:51:47",
 "tapesurl":"http://101.200.159.167:16214/.../20200428145126_xxx.mp3",
 "duration":10,"oriamount":0.31,"customParm":"order-id-123456","stateDesc":"应答|正常"}]}"#;

fn push(args: &[&str], body: &str) -> Run {
    ytx_with(args, &[], body.as_bytes())
}

#[test]
fn push_parses_the_protocol_samples_without_credentials() {
    let run = push(&["push"], STATE_PUSH);
    assert_eq!(run.code, OK, "{run:?}");
    assert!(
        run.stdout.starts_with(
            "state push: 18610559223 is answer (requestId 20200437755840048670965760400)"
        ),
        "{run:?}"
    );
    assert!(run.stdout.contains("2020-04-28 14:51:37"), "{run:?}");
    let run = push(&["--json", "push"], STATE_PUSH);
    assert_eq!(run.code, OK, "{run:?}");
    let j = run.json();
    assert_eq!(j["push"], "state");
    assert_eq!(j["request_id"], "20200437755840048670965760400");
    assert_eq!(j["number"], "18610559223");
    assert_eq!(j["state"], "answer");
    assert_eq!(j["timestamp_unix"], 1_588_056_697);
    assert_eq!(j["fields"]["stateDesc"], "...");

    let run = push(&["push"], RECORD_PUSH);
    assert_eq!(run.code, OK, "{run:?}");
    assert!(
        run.stdout.starts_with("call-record push: 1 record(s)"),
        "{run:?}"
    );
    assert!(run.stdout.contains("10 s, 0.31 yuan, 应答|正常"), "{run:?}");
    assert!(run.stdout.contains("order-id-123456"), "{run:?}");
    let run = push(&["--json", "push"], RECORD_PUSH);
    assert_eq!(run.code, OK, "{run:?}");
    let j = run.json();
    assert_eq!(j["push"], "records");
    let r = &j["records"][0];
    assert_eq!(r["request_id"], "20200437755811196850667520400");
    assert_eq!(r["duration_secs"], 10);
    assert_eq!(r["amount_fen"], 31);
    assert_eq!(r["amount_yuan"], "0.31");
    assert_eq!(r["custom_parm"], "order-id-123456");
    assert_eq!(r["fields"]["fid"], "4");

    // An unknown state is kept, not refused.
    let run = push(
        &["--json", "push"],
        r#"{"requestid":"1","dsc":"1","state":"hold"}"#,
    );
    assert_eq!(run.code, OK, "{run:?}");
    assert_eq!(run.json()["state"], "hold");
}

#[test]
fn push_garbage_is_a_bad_answer() {
    for body in [
        "",
        "not json",
        "<html></html>",
        "[1,2]",
        r#"{"cdr":{}}"#,
        r#"{"cdr":[1]}"#,
        r#"{"state":"answer"}"#,
        r#"{"hello":"world"}"#,
        r#"{"requestid":"1","state":"answer""#,
    ] {
        let run = push(&["push"], body);
        assert_eq!(run.code, BAD_ANSWER, "{body:?}: {run:?}");
        assert!(run.stdout.is_empty(), "{run:?}");
        assert!(run.stderr.contains("not a push"), "{run:?}");
        let run = push(&["--json", "push"], body);
        assert_error(
            &run,
            BAD_ANSWER,
            "bad_answer",
            "YTX_ERR_PROTOCOL",
            // Parsing a push sends nothing.
            "YTX_DELIVERY_NOT_SENT",
        );
    }
}

// ---------------------------------------------------------------- credentials

fn write_config(dir: &Path, name: &str, text: &str, mode: u32) -> PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    #[cfg(not(unix))]
    let _ = mode;
    path
}

fn config_text(token: &str, base_url: &str) -> String {
    format!(
        "# ytx credentials\n\nYTX_ACCOUNT_SID={DEMO_ACCOUNT_SID}\nexport YTX_AUTH_TOKEN=\"{token}\"\nYTX_APP_ID = {DEMO_APP_ID}\r\nYTX_BASE_URL='{base_url}'\n"
    )
}

#[test]
fn credentials_from_a_config_file() {
    let emu = start();
    let dir = temp_dir();
    let good = write_config(
        &dir,
        "good",
        &config_text(DEMO_AUTH_TOKEN, &emu.base_url()),
        0o600,
    );
    let good = good.to_str().unwrap();
    let run = ytx_with(&["--config", good, "balance"], &[], b"");
    assert_eq!(run.code, OK, "{run:?}");
    assert!(run.stderr.is_empty(), "{run:?}");
    let run = ytx_with(
        &[
            "--json", "--config", good, "call", SRC, DST, "--credit", "600",
        ],
        &[],
        b"",
    );
    assert_eq!(run.code, OK, "{run:?}");

    // The environment overrides the file, key by key.
    let wrong = write_config(
        &dir,
        "wrong",
        &config_text(WRONG_TOKEN, &emu.base_url()),
        0o600,
    );
    let wrong = wrong.to_str().unwrap();
    let run = ytx_with(&["--json", "--config", wrong, "balance"], &[], b"");
    assert_eq!(run.code, REFUSED, "{run:?}");
    assert_eq!(run.error()["status_code"], "-203");
    let run = ytx_with(
        &["--json", "--config", wrong, "balance"],
        &[("YTX_AUTH_TOKEN", DEMO_AUTH_TOKEN)],
        b"",
    );
    assert_eq!(run.code, OK, "{run:?}");
    let run = ytx_with(
        &["--json", "--config", good, "balance"],
        &[("YTX_AUTH_TOKEN", WRONG_TOKEN)],
        b"",
    );
    assert_eq!(run.code, REFUSED, "{run:?}");
    // A flag overrides the environment (and the file).
    let run = ytx_with(
        &[
            "--json",
            "--config",
            good,
            "--base-url",
            &closed_port_url(),
            "balance",
        ],
        &[("YTX_BASE_URL", emu.base_url().as_str())],
        b"",
    );
    assert_eq!(run.code, NOT_SENT, "{run:?}");
    let run = ytx_with(
        &[
            "--json",
            "--config",
            good,
            "--account-sid",
            "0123456789abcdef",
            "balance",
        ],
        &[],
        b"",
    );
    assert_eq!(run.code, REFUSED, "{run:?}");
    assert_eq!(run.error()["status_code"], "-200");
}

#[test]
fn the_default_config_path() {
    let emu = start();
    let home = temp_dir();
    write_config(
        &home,
        "ytx/config",
        &config_text(DEMO_AUTH_TOKEN, &emu.base_url()),
        0o600,
    );
    let home = home.to_str().unwrap();
    // $XDG_CONFIG_HOME/ytx/config
    let run = ytx_with(&["--json", "balance"], &[("XDG_CONFIG_HOME", home)], b"");
    assert_eq!(run.code, OK, "{run:?}");
    // ~/.config/ytx/config without XDG_CONFIG_HOME
    let user = temp_dir();
    write_config(
        &user,
        ".config/ytx/config",
        &config_text(DEMO_AUTH_TOKEN, &emu.base_url()),
        0o600,
    );
    let user = user.to_str().unwrap();
    let run = ytx_with(
        &["--json", "balance"],
        &[("XDG_CONFIG_HOME", ""), ("HOME", user)],
        b"",
    );
    assert_eq!(run.code, OK, "{run:?}");
}

#[cfg(unix)]
#[test]
fn a_config_file_others_can_read_is_warned_about() {
    let emu = start();
    let dir = temp_dir();
    let path = write_config(
        &dir,
        "open",
        &config_text(DEMO_AUTH_TOKEN, &emu.base_url()),
        0o644,
    );
    let run = ytx_with(
        &["--json", "--config", path.to_str().unwrap(), "balance"],
        &[],
        b"",
    );
    assert_eq!(run.code, OK, "{run:?}");
    assert!(run.stderr.contains("chmod 600"), "{run:?}");
    run.json();
}

#[test]
fn bad_config_files_never_repeat_their_lines() {
    let dir = temp_dir();
    let secret = "s3cretTokenValueInABadLine000000";
    for (name, text, says) in [
        ("missing", None, "cannot read"),
        ("nokey", Some(format!("{secret}\n")), "expected KEY=value"),
        (
            "unknown",
            Some(format!("YTX_TOKEN={secret}\n")),
            "unknown key YTX_TOKEN",
        ),
        (
            "lower",
            Some(format!("auth_token {secret} = x\n")),
            "not a known key",
        ),
    ] {
        let path = dir.join(name);
        if let Some(text) = text {
            std::fs::write(&path, text).unwrap();
        }
        let p = path.to_str().unwrap();
        for json in [false, true] {
            let mut args = vec!["--config", p, "balance"];
            if json {
                args.insert(0, "--json");
            }
            let run = ytx_with(&args, &[], b"");
            assert_eq!(run.code, INVALID, "{name}: {run:?}");
            let all = format!("{}{}", run.stdout, run.stderr);
            assert!(all.contains(says), "{name}: {run:?}");
            assert!(!all.contains(secret), "{name}: {run:?}");
        }
    }
}

#[test]
fn missing_credentials_are_invalid_input() {
    let emu = start();
    let run = ytx_with(
        &["balance"],
        &[("YTX_BASE_URL", emu.base_url().as_str())],
        b"",
    );
    assert_eq!(run.code, INVALID, "{run:?}");
    assert!(run.stderr.contains("YTX_AUTH_TOKEN"), "{run:?}");
    let run = ytx_with(
        &["--json", "call", SRC, DST, "--credit", "600"],
        &[
            ("YTX_ACCOUNT_SID", DEMO_ACCOUNT_SID),
            ("YTX_APP_ID", DEMO_APP_ID),
            ("YTX_BASE_URL", emu.base_url().as_str()),
        ],
        b"",
    );
    let e = assert_error(
        &run,
        INVALID,
        "invalid_input",
        "YTX_ERR_INVALID_ARGUMENT",
        "YTX_DELIVERY_NOT_SENT",
    );
    assert_eq!(e["field"], "auth_token");
    // A token with a pasted newline: named, not shown.
    let run = ytx_with(
        &["--json", "balance"],
        &[
            ("YTX_ACCOUNT_SID", DEMO_ACCOUNT_SID),
            ("YTX_AUTH_TOKEN", &format!("{DEMO_AUTH_TOKEN}\n")),
            ("YTX_APP_ID", DEMO_APP_ID),
            ("YTX_BASE_URL", emu.base_url().as_str()),
        ],
        b"",
    );
    assert_eq!(run.code, INVALID, "{run:?}");
    assert_eq!(run.error()["field"], "auth_token");
    // Both an environment and a base URL from the same place.
    let mut env = demo_env(&emu.base_url());
    env.push(("YTX_ENVIRONMENT", "sandbox".into()));
    let run = ytx_env(&["--json", "balance"], &env);
    assert_eq!(run.code, INVALID, "{run:?}");
    let run = ytx_env(
        &["--json", "--timeout-ms", "soon", "balance"],
        &demo_env(&emu.base_url()),
    );
    assert_eq!(run.error()["field"], "timeout_ms");
    assert_eq!(emu.request_count(), 0);
}

#[test]
fn the_auth_token_is_not_a_command_line_option() {
    let emu = start();
    let env = demo_env(&emu.base_url());
    let secret = "c0mmandL1neT0ken000000000000000";
    for args in [
        vec!["--auth-token", secret, "balance"],
        vec!["balance", "--auth-token", secret],
        vec!["balance", &format!("--auth-token={secret}")],
        vec!["call", SRC, DST, "--credit", "600", "--auth-token", secret],
        vec!["--json", "balance", &format!("--auth-token={secret}")],
    ]
    .iter()
    .map(|a| a.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = ytx_env(&args, &env);
        assert_eq!(run.code, INVALID, "{args:?}: {run:?}");
        let all = format!("{}{}", run.stdout, run.stderr);
        assert!(all.contains("--auth-token"), "{run:?}");
        assert!(all.contains("never taken from the command line"), "{run:?}");
        assert!(!all.contains(secret), "{args:?}: {run:?}");
    }
    assert_eq!(emu.request_count(), 0);
}

// ---------------------------------------------------------------- help, logging

#[test]
fn help_on_every_command_with_an_example() {
    let run = ytx_with(&["--help"], &[], b"");
    assert_eq!(run.code, OK, "{run:?}");
    for want in [
        "Exit codes",
        "0  ok",
        "1  not found",
        "2  invalid input",
        "3  not sent",
        "4  outcome unknown",
        "5  refused",
        "6  bad answer",
        "7  not placed",
        "8  not known yet",
        "9  cannot be",
        "YTX_AUTH_TOKEN",
        "~/.config/ytx/config",
        "Examples:",
    ] {
        assert!(run.stdout.contains(want), "{want:?} not in --help");
    }
    for cmd in [
        "call", "code", "record", "find", "resolve", "balance", "push",
    ] {
        let run = ytx_with(&[cmd, "--help"], &[], b"");
        assert_eq!(run.code, OK, "{run:?}");
        assert!(run.stdout.contains("Examples:"), "{cmd}: {run:?}");
        assert!(run.stdout.contains(&format!("ytx {cmd}")), "{cmd}: {run:?}");
        assert!(run.stdout.contains("Exit:"), "{cmd}: {run:?}");
        let run = ytx_with(&["help", cmd], &[], b"");
        assert_eq!(run.code, OK, "{run:?}");
    }
    for flag in [
        "--custom-parm",
        "--src-clid",
        "--dst-clid",
        "--src-timeout",
        "--dst-timeout",
        "--src-hint-file",
        "--dst-hint-file",
        "--ringback-type",
        "--custom-hint-file",
        "--dst-fail-hint-file",
        "--src-threshold",
        "--dst-threshold",
        "--src-threshold-file",
        "--dst-threshold-file",
        "--call-status-check",
        "--dry-run",
    ] {
        let run = ytx_with(&["call", "--help"], &[], b"");
        assert!(run.stdout.contains(flag), "{flag} not in call --help");
    }
    assert!(!ytx_with(&["call", "--help"], &[], b"")
        .stdout
        .contains("--auth-token"));
    // No command: the help, and exit 2.
    let run = ytx_with(&[], &[], b"");
    assert_eq!(run.code, INVALID, "{run:?}");
    assert!(
        format!("{}{}", run.stdout, run.stderr).contains("Usage:"),
        "{run:?}"
    );
    let run = ytx_with(&["--json"], &[], b"");
    assert_eq!(run.code, INVALID, "{run:?}");
    assert!(run.error()["message"]
        .as_str()
        .unwrap()
        .contains("requires a subcommand"));
    let run = ytx_with(&["--version"], &[], b"");
    assert_eq!(run.code, OK, "{run:?}");
    assert!(run.stdout.starts_with("ytx "), "{run:?}");
}

#[test]
fn verbose_logs_with_the_sign_redacted() {
    let emu = start();
    let run = ytx(&emu, &["-vv", "call", SRC, DST, "--credit", "600"]);
    assert_eq!(run.code, OK, "{run:?}");
    assert!(
        run.stderr.contains("DailbackCall.wx?Sign=<redacted>"),
        "{run:?}"
    );
    assert_sign_redacted(&run.stderr);
    assert!(run.stderr.contains(r#""credit":"600""#), "{run:?}");
}

/// How stderr is broken for [`ytx_broken_stderr`].
#[derive(Clone, Copy, Debug)]
enum BrokenStderr {
    /// A pipe whose reader has gone (`ytx -v ... 2>&1 | head -0`-like):
    /// every write fails with EPIPE.
    ClosedPipe,
    /// Started with file descriptor 2 closed (`2>&-`).
    ClosedFd,
}

/// `ytx ARGS` against `emu` with a broken stderr: the exit code and stdout.
fn ytx_broken_stderr(emu: &Emulator, args: &[&str], how: BrokenStderr) -> (i32, String) {
    let home = temp_dir();
    let mut cmd = match how {
        BrokenStderr::ClosedPipe => Command::new(env!("CARGO_BIN_EXE_ytx")),
        BrokenStderr::ClosedFd => {
            let mut sh = Command::new("sh");
            sh.args(["-c", r#"exec "$0" "$@" 2>&-"#, env!("CARGO_BIN_EXE_ytx")]);
            sh
        }
    };
    cmd.args(args)
        .env_clear()
        .env("XDG_CONFIG_HOME", &home)
        .env("HOME", &home)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in demo_env(&emu.base_url()) {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("run ytx");
    drop(child.stderr.take()); // the reader goes before ytx writes anything
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    let status = child.wait().unwrap();
    (status.code().expect("exited, not killed"), stdout)
}

#[test]
fn a_broken_stderr_never_loses_the_request_id_nor_the_exit_code() {
    // Issue 18: with -v, the log line of an accepted call went to a broken
    // stderr with eprintln!, which panicked: exit 101 and no requestId,
    // for a call the platform had placed.
    let emu = start();
    for how in [BrokenStderr::ClosedPipe, BrokenStderr::ClosedFd] {
        for verbose in ["-v", "-vv"] {
            let (code, stdout) =
                ytx_broken_stderr(&emu, &[verbose, "call", SRC, DST, "--credit", "600"], how);
            assert_eq!(code, OK, "{how:?} {verbose}: {stdout}");
            let id = stdout
                .lines()
                .find_map(|l| l.strip_prefix("requestId: "))
                .unwrap_or_else(|| panic!("{how:?} {verbose}: no requestId: {stdout}"));
            assert!(id.len() >= 20 && id.bytes().all(|b| b.is_ascii_digit()));
            let (code, stdout) =
                ytx_broken_stderr(&emu, &[verbose, "--json", "code", DST, "4096"], how);
            assert_eq!(code, OK, "{how:?} {verbose}: {stdout}");
            let v: Value = serde_json::from_str(stdout.trim()).unwrap();
            assert!(
                v["request_id"].as_str().is_some_and(|s| !s.is_empty()),
                "{v}"
            );
            // Failures: the exit code follows the delivery all the same.
            let refused = platform_code_dst(204);
            let unknown = (FAULT_DROP_CONNECTION, UNKNOWN);
            for (dst, want) in [(refused.as_str(), REFUSED), unknown] {
                let (code, stdout) =
                    ytx_broken_stderr(&emu, &[verbose, "call", SRC, dst, "--credit", "600"], how);
                assert_eq!(code, want, "{how:?} {verbose} {dst}: {stdout}");
            }
        }
    }
}

// ---------------------------------------------------------------- resolve

/// The ticket line `ytx call` printed on stderr.
fn ticket_on_stderr(run: &Run) -> String {
    run.stderr
        .lines()
        .find_map(|l| l.strip_prefix("ytx: ticket: "))
        .unwrap_or_else(|| panic!("no ticket line: {run:?}"))
        .to_string()
}

#[test]
fn an_outcome_unknown_prints_its_ticket_and_resolve_answers_placed() {
    let emu = start();
    // Text: the ticket on stderr, and advice pointing at ytx resolve.
    let run = ytx(
        &emu,
        &[
            "call",
            SRC,
            FAULT_DROP_CONNECTION,
            "--credit",
            "600",
            "--custom-parm",
            "cli-lost",
        ],
    );
    assert_eq!(run.code, UNKNOWN, "{run:?}");
    let ticket = ticket_on_stderr(&run);
    assert!(
        ticket.starts_with("ytx-ticket:1;kind=callback;"),
        "{ticket}"
    );
    assert!(ticket.contains("customParm=cli%2Dlost"), "{ticket}");
    assert!(run.stderr.contains("ytx resolve"), "{run:?}");
    let run = ytx(&emu, &["resolve", &ticket]);
    assert_eq!(run.code, OK, "{run:?}");
    assert!(run.stdout.starts_with("placed:"), "{run:?}");
    assert!(run.stdout.contains("cli-lost"), "{run:?}");

    // JSON: the ticket in the error object; a timeout (slow answer) too.
    let run = ytx(
        &emu,
        &[
            "--json",
            "--timeout-ms",
            "3000",
            "call",
            SRC,
            FAULT_SLOW_ANSWER,
            "--credit",
            "600",
            "--custom-parm",
            "cli-slow",
        ],
    );
    let e = assert_error(
        &run,
        UNKNOWN,
        "outcome_unknown",
        "YTX_ERR_TIMEOUT",
        "YTX_DELIVERY_UNKNOWN",
    );
    let ticket = e["ticket"].as_str().expect("a ticket field").to_string();
    assert!(ticket.contains("customParm=cli%2Dslow"), "{ticket}");
    // The emulator places the call once it has read the request, before
    // its slow answer; the client's timeout may beat that read: wait for it.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !emu
        .records()
        .iter()
        .any(|r| r.custom_parm.as_deref() == Some("cli-slow"))
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the emulator did not place the call"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let run = ytx(&emu, &["--json", "resolve", &ticket]);
    assert_eq!(run.code, OK, "{run:?}");
    let j = run.json();
    assert_eq!(j["status"], "placed", "{run:?}");
    assert_eq!(j["status_name"], "YTX_RESOLUTION_PLACED", "{run:?}");
    assert_eq!(j["record"]["custom_parm"], "cli-slow", "{run:?}");
    assert!(
        j["check_again_at"].is_null() && j["cursor"].is_null(),
        "{run:?}"
    );
    // A refusal is not an outcome unknown: no ticket.
    let run = ytx(
        &emu,
        &[
            "--json",
            "call",
            SRC,
            &platform_code_dst(204),
            "--credit",
            "600",
        ],
    );
    assert_eq!(run.code, REFUSED, "{run:?}");
    assert!(run.error().get("ticket").is_none(), "{run:?}");
}

#[test]
fn resolve_every_answer_and_exit_code() {
    let emu = start();
    let long_ago = |parm: &str| {
        format!("ytx-ticket:1;kind=callback;sent=1000;credit=600;srctimeout=;dsttimeout=;anchor=;customParm={parm}")
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    // Not placed: long after the bound, no record.
    let run = ytx(&emu, &["resolve", &long_ago("never")]);
    assert_eq!(run.code, NOT_PLACED, "{run:?}");
    assert!(run.stdout.starts_with("not placed"), "{run:?}");
    // Not known yet: before the bound, with the time to ask again.
    let fresh = format!("ytx-ticket:1;kind=callback;sent={now};credit=600;srctimeout=;dsttimeout=;anchor=;customParm=never");
    let run = ytx(&emu, &["resolve", &fresh]);
    assert_eq!(run.code, NOT_KNOWN_YET, "{run:?}");
    assert!(run.stdout.contains("check again at: "), "{run:?}");
    let run = ytx(&emu, &["--json", "resolve", &fresh]);
    let j = run.json();
    assert_eq!(j["status"], "not_known_yet", "{run:?}");
    assert_eq!(j["check_again_unix"].as_u64(), Some(now + 780), "{run:?}");
    assert!(
        j["check_again_at"].as_str().unwrap().ends_with('Z'),
        "{run:?}"
    );
    assert!(j["record"].is_null(), "{run:?}");
    // Out of pages: not known yet with a cursor to resume from.
    for i in 0..3 {
        place(&emu, &format!("cli-resolve-{i}"));
    }
    let run = ytx(
        &emu,
        &[
            "--json",
            "resolve",
            &long_ago("never"),
            "--page-size",
            "1",
            "--max-pages",
            "2",
        ],
    );
    assert_eq!(run.code, NOT_KNOWN_YET, "{run:?}");
    let cursor = run.json()["cursor"].as_str().unwrap().to_string();
    let run = ytx(&emu, &["resolve", &long_ago("never"), "--cursor", &cursor]);
    assert_eq!(run.code, NOT_PLACED, "{run:?}");
    // Cannot be resolved: a call without customParm.
    let run = ytx(&emu, &["--json", "resolve", &long_ago("")]);
    assert_eq!(run.code, CANNOT_BE_RESOLVED, "{run:?}");
    assert_eq!(run.json()["status"], "cannot_be_resolved", "{run:?}");
    // Bad input names the field, nothing sent.
    let run = ytx(&emu, &["--json", "resolve", "not-a-ticket"]);
    let e = assert_error(
        &run,
        INVALID,
        "invalid_input",
        "YTX_ERR_INVALID_ARGUMENT",
        "YTX_DELIVERY_NOT_SENT",
    );
    assert_eq!(e["field"], "ticket", "{run:?}");
    let run = ytx(
        &emu,
        &["--json", "resolve", &long_ago("x"), "--cursor", "a-b"],
    );
    assert_eq!(run.error()["option"], "--cursor", "{run:?}");
}

#[test]
fn find_help_points_to_resolve_for_not_placed() {
    let run = ytx_with(&["find", "--help"], &[], b"");
    assert!(run.stdout.contains("ytx resolve"), "{run:?}");
    assert!(
        !run.stdout.contains("about 20 s after the call would"),
        "{run:?}"
    );
}
