//! `ytx watch` against the in-process emulator (issue 21): the emulator
//! pushes to the watch's secret path, the test gives it the requestIds on
//! stdin, and reads one JSON line per event. Every call gets exactly one
//! `completed` with its own record; forged pushes and the SMS report give
//! only `unrecognised_push`; the receiver refuses what "Protecting a
//! receiver" says it must.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use ytx::{CallbackCall, Client};
use ytx_emulator as emu;
use ytx_emulator::{Config, Emulator, DEMO_ACCOUNT_SID, DEMO_APP_ID, DEMO_AUTH_TOKEN};

const SRC: &str = "13800138000";
const SECRET: &str = "/ytx/push-5e1f0c9b27a4";

/// A raw request to the watch; its status code.
fn raw(addr: &str, request: &[u8]) -> u16 {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(request).unwrap();
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    answer
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {answer:?}"))
}

/// The watch, started against an emulator that does not exist yet (at
/// `base`); its address, stdout and stdin.
struct Watch {
    child: std::process::Child,
    addr: String,
}

fn start_watch(base: &str, home: &std::path::Path) -> Watch {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ytx"))
        .env_clear()
        .env("XDG_CONFIG_HOME", home)
        .env("YTX_ACCOUNT_SID", DEMO_ACCOUNT_SID)
        .env("YTX_AUTH_TOKEN", DEMO_AUTH_TOKEN)
        .env("YTX_APP_ID", DEMO_APP_ID)
        .args([
            "--base-url",
            base,
            "watch",
            "--listen",
            "127.0.0.1:0",
            "--path",
            SECRET,
            "--max-body",
            "4096",
            "--read-deadline-ms",
            "500",
            // The calls' bound: tracked when read, no credit known, records
            // written at once by the emulator.
            "--assume-credit",
            "0",
            "--default-ring-timeout-ms",
            "0",
            "--record-delay-ms",
            "0",
            "--after-disconnect-ms",
            "0",
            // A push may reach the watch before the test has written its
            // call's requestId to the watch's stdin: the window must cover
            // any lag of that (a loaded machine). The test waits it out
            // about twice (the forged pushes are reported at its end, the
            // watch exits a window after the last event).
            "--orphan-window-ms",
            "10000",
            "--exit-when-done",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let addr = line
        .trim()
        .strip_prefix("ytx watch: listening on http://")
        .unwrap_or_else(|| panic!("{line:?}"))
        .to_string();
    std::thread::spawn(move || {
        let mut rest = String::new();
        let _ = stderr.read_to_string(&mut rest);
        if !rest.is_empty() {
            eprint!("ytx watch stderr: {rest}");
        }
    });
    Watch { child, addr }
}

#[test]
fn watch_tracks_a_stdin_list_of_request_ids_against_the_emulator() {
    let home = std::env::temp_dir().join(format!("ytx-watch-test-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    // The watch needs the emulator's URL, the emulator the watch's: take a
    // free port for the emulator, start the watch against it, then the
    // emulator there (again with another port if it was taken meanwhile).
    let (mut watch, emulator) = (0..20)
        .find_map(|_| {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let watch = start_watch(&format!("http://127.0.0.1:{port}"), &home);
            let config = Config::default()
                .with_push_url(format!("http://{}{SECRET}", watch.addr))
                .with_push_interval_ms(1)
                // A slowed watch must not get a push twice or see it dropped.
                .with_push_timeout_ms(60_000);
            match Emulator::start(config, &format!("127.0.0.1:{port}")) {
                Ok(e) => Some((watch, e)),
                Err(_) => {
                    let mut w = watch;
                    let _ = w.child.kill();
                    let _ = w.child.wait();
                    None
                }
            }
        })
        .expect("a free port for the emulator");
    let addr = watch.addr.clone();

    // The receiver's protections (PROTOCOL.md, "Protecting a receiver").
    let post = |target: &str, head: &str, body: &str| {
        raw(
            &addr,
            format!("POST {target} HTTP/1.1\r\n{head}\r\n{body}").as_bytes(),
        )
    };
    assert_eq!(post("/elsewhere?Call", "Content-Length: 2\r\n", "{}"), 404);
    assert_eq!(
        raw(&addr, format!("GET {SECRET} HTTP/1.1\r\n\r\n").as_bytes()),
        405
    );
    assert_eq!(post(SECRET, "Content-Length: 99999\r\n", ""), 413);
    assert_eq!(post(SECRET, "", ""), 411);
    assert_eq!(post(SECRET, "Content-Length: 10\r\n", "{"), 408);
    let not_json = format!("{SECRET}?CallState");
    assert_eq!(post(&not_json, "Content-Length: 3\r\n", "not"), 400);

    // The calls, each kind twice; their requestIds on the watch's stdin.
    let client = Client::builder(DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, DEMO_APP_ID)
        .base_url(emulator.base_url())
        .build()
        .unwrap();
    let kinds = [
        ("13900139000", 9),
        (emu::CALL_DUPLICATE_PUSHES, 12),
        (emu::CALL_OUT_OF_ORDER_PUSHES, 9),
        (emu::CALL_RECORD_PUSH_LOST, 9),
        (emu::CALL_STATE_PUSHES_LOST, 9),
        (emu::CALL_RECORD_PUSH_FIRST, 9),
        (emu::CALL_FORGED_PUSHES, 11),
        (emu::CALL_SMS_ROUTED_PUSH, 10),
    ];
    let mut stdin = watch.child.stdin.take().unwrap();
    let mut placed: HashMap<String, &str> = HashMap::new();
    let mut pushes = 0;
    for i in 0..16 {
        let (dst, n) = kinds[i % kinds.len()];
        let call = CallbackCall::new(SRC, dst, 100).custom_parm(format!("w{i}"));
        let id = client.callback_call(&call).unwrap().request_id;
        writeln!(stdin, "{id}").unwrap();
        placed.insert(id, dst);
        pushes += n;
    }
    // Every push answered before stdin closes (then the watch may finish).
    let deadline = Instant::now() + Duration::from_secs(120);
    while emulator.pushes().len() < pushes {
        assert!(
            Instant::now() < deadline,
            "pushes: {}",
            emulator.pushes().len()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(emulator
        .pushes()
        .iter()
        .all(|p| p.delivered || p.error.as_deref() == Some("lost on purpose (magic number)")));
    drop(stdin);

    let mut out = String::new();
    watch
        .child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    let status = watch.child.wait().unwrap();
    assert!(status.success(), "{status:?}\n{out}");
    let events: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();

    let records: HashMap<String, emu::CallRecord> = emulator
        .records()
        .into_iter()
        .map(|r| (r.request_id.clone(), r))
        .collect();
    let forged: HashSet<String> = placed
        .iter()
        .filter(|(_, d)| **d == emu::CALL_FORGED_PUSHES)
        .map(|(id, _)| emu::forged_request_id(id))
        .collect();
    let mut completed: HashMap<String, usize> = HashMap::new();
    let mut unrecognised = 0;
    for e in &events {
        let id = e["request_id"].as_str().unwrap().to_string();
        match e["event"].as_str().unwrap() {
            "completed" => {
                *completed.entry(id.clone()).or_default() += 1;
                let truth = &records[&id];
                assert_eq!(e["record"]["request_id"], id.as_str(), "{e}");
                assert_eq!(e["record"]["duration_secs"], truth.duration_secs, "{e}");
                assert_eq!(e["record"]["amount_fen"], truth.amount_fen, "{e}");
                assert_eq!(e["verified"], true, "{e}");
            }
            "leg_state" => {
                assert!(placed.contains_key(&id), "{e}");
                assert_ne!(e["state"], "DELIVRD", "{e}");
            }
            "unrecognised_push" => {
                unrecognised += 1;
                let sms = placed.get(&id) == Some(&emu::CALL_SMS_ROUTED_PUSH);
                assert!(forged.contains(&id) || sms, "{e}");
            }
            other => panic!("unexpected event {other}: {e}"),
        }
    }
    assert_eq!(completed.len(), placed.len(), "{out}");
    assert!(completed.values().all(|n| *n == 1), "{completed:?}");
    // Two forged pushes per forged call, one SMS report per SMS call.
    assert_eq!(unrecognised, 2 * 2 + 2, "{out}");
    let _ = std::fs::remove_dir_all(&home);
}

/// `ytx watch --exit-when-done` with nothing to track, the journal `journal`
/// (if any) and `stdin`; its exit status and stderr. Every line given is
/// bad, so nothing stays tracked and the watch exits once stdin is read.
fn watch_bad_lines(journal: Option<&std::path::Path>, stdin: &[u8]) -> (bool, String) {
    // No config file: a home that does not exist (nothing left behind).
    let home = std::env::temp_dir().join(format!("ytx-watch-bad-{}", std::process::id()));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ytx"));
    cmd.env_clear()
        .env("XDG_CONFIG_HOME", &home)
        .env("YTX_ACCOUNT_SID", DEMO_ACCOUNT_SID)
        .env("YTX_AUTH_TOKEN", DEMO_AUTH_TOKEN)
        .env("YTX_APP_ID", DEMO_APP_ID)
        .args(["--base-url", "http://127.0.0.1:9", "watch"])
        .args(["--listen", "127.0.0.1:0", "--path", SECRET])
        .args(["--orphan-window-ms", "0", "--exit-when-done"]);
    if let Some(j) = journal {
        cmd.arg("--journal").arg(j);
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn watch_skips_a_journal_line_that_is_not_utf8_and_reads_on() {
    let dir = std::env::temp_dir().join(format!("ytx-watch-journal-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let journal = dir.join("calls.jsonl");
    // Line 3 is incomplete (the application is still writing it): not read yet.
    std::fs::write(
        &journal,
        b"x\xff\n{\"request_id\":\"1001\",\"bogus\":1}\n{\"request_id\":\"1002\",\"bog",
    )
    .unwrap();
    let (ok, err) = watch_bad_lines(Some(&journal), b"");
    let name = journal.display();
    assert!(ok, "{err}");
    assert!(
        err.contains(&format!(
            "ytx watch: journal {name} line 1: line skipped: not UTF-8"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!("ytx watch: journal {name} line 2: line skipped: "))
            && err.contains("bogus"),
        "{err}"
    );
    assert!(!err.contains("line 3"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn watch_skips_a_stdin_line_that_is_not_utf8_and_reads_on() {
    let (ok, err) = watch_bad_lines(None, b"x\xff\n{\"request_id\":\"1001\",\"bogus\":1}\n");
    assert!(ok, "{err}");
    assert!(
        err.contains("ytx watch: stdin line 1: line skipped: not UTF-8"),
        "{err}"
    );
    assert!(
        err.contains("ytx watch: stdin line 2: line skipped: ") && err.contains("bogus"),
        "{err}"
    );
}
