//! `ytx-emulator`: run the ytx.net platform emulator as a process.

use std::io::{Read, Write};
use std::process::ExitCode;

use ytx_emulator::{
    Config, Emulator, DEMO_ACCOUNT_SID, DEMO_APP_ID, DEMO_AUTH_TOKEN, DEMO_CALLBACK_ONLY_APP_ID,
};

const USAGE: &str = "\
Usage: ytx-emulator [OPTIONS]

Local emulator of the ytx.net (云通信) voice platform REST API.

Options:
  --listen ADDR          address to listen on (default 127.0.0.1:8080; port 0 picks a free port)
  --config FILE.json     accounts and settings (JSON form of ytx_emulator::Config);
                         default: the demo account with the two demo apps
  --window-secs N        accepted Authorization timestamp skew in seconds (default 600)
  --slow-secs N          how long the slow-answer fault (dst 19900000001) sleeps (default 60)
  --push-url URL         POST the state pushes and record push of every accepted call
                         to URL (sets the push URL of every app in the configuration)
  --push-interval-ms N   pause before each push of a call, in ms (default 20)
  --push-timeout-ms N    timeout of one push attempt, in ms (default 2000); a slower
                         receiver gets the push again (3 attempts in all)
  --balance-fen N        every account's starting balance in fen (0.01 yuan; default
                         10000000000); each call costs 6 fen per started minute and a
                         balance below 6 fen answers -204
  --record-delay-ms N    a record shows in CallCdr.wx N ms after the call (default 0)
  --request-id-from-custom-parm
                         test mode: a call whose customParm is 1 to 15 digits is
                         answered the requestId TIMESTAMP + customParm zero-padded
                         to 15 digits (the fork tests tell crossed answers by it)
  --max-records-per-page N
                         a CallCdr.wx page holds at most N records whatever its limit,
                         as a capping gateway would (default 0: no cap)
  --exit-on-stdin-eof    exit when standard input is closed (so a dead test harness
                         never leaves the emulator running)
  -h, --help             print this help

On start it prints exactly one line to stdout:
  ytx-emulator listening on http://127.0.0.1:PORT
and the demo credentials to stderr.

API: POST /201512/sid/{accountSID}/call/{DailbackCall.wx|CodeCallOut.wx|NoticeCall.wx|CallCdr.wx}
and POST /201612/sid/{accountSID}/account/getBlance.wx, all signed.

Magic numbers: dst 19900000001-12 transport faults, dst 19900001NNN status -NNN,
src 19900002001 first leg no answer, dst 19900002002 busy, 19900002003 duplicate
pushes, 19900002004 out-of-order pushes, 19900002005 second leg no answer.

Control endpoints (not logged): GET /_emulator/requests, GET /_emulator/count,
POST /_emulator/reset, GET /_emulator/records, GET /_emulator/pushes.
See emulator/README.md for the checks, magic numbers, pushes, records and tariff.
";

struct Args {
    listen: String,
    config: Option<String>,
    window_secs: Option<u64>,
    slow_secs: Option<u64>,
    push_url: Option<String>,
    push_interval_ms: Option<u64>,
    push_timeout_ms: Option<u64>,
    balance_fen: Option<u64>,
    record_delay_ms: Option<u64>,
    request_id_from_custom_parm: bool,
    max_records_per_page: Option<u64>,
    exit_on_stdin_eof: bool,
}

enum Parsed {
    Run(Args),
    Help,
}

fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Parsed, String> {
    let mut out = Args {
        listen: "127.0.0.1:8080".into(),
        config: None,
        window_secs: None,
        slow_secs: None,
        push_url: None,
        push_interval_ms: None,
        push_timeout_ms: None,
        balance_fen: None,
        record_delay_ms: None,
        request_id_from_custom_parm: false,
        max_records_per_page: None,
        exit_on_stdin_eof: false,
    };
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let value = |it: &mut dyn Iterator<Item = String>| -> Result<String, String> {
            match inline.clone() {
                Some(v) => Ok(v),
                None => it.next().ok_or_else(|| format!("{name} needs a value")),
            }
        };
        let number = |v: String| -> Result<u64, String> {
            v.parse()
                .map_err(|_| format!("{name}: {v:?} is not a whole number"))
        };
        match name.as_str() {
            "-h" | "--help" => return Ok(Parsed::Help),
            "--listen" => out.listen = value(&mut it)?,
            "--config" => out.config = Some(value(&mut it)?),
            "--window-secs" => out.window_secs = Some(number(value(&mut it)?)?),
            "--slow-secs" => out.slow_secs = Some(number(value(&mut it)?)?),
            "--push-url" => out.push_url = Some(value(&mut it)?),
            "--push-interval-ms" => out.push_interval_ms = Some(number(value(&mut it)?)?),
            "--push-timeout-ms" => out.push_timeout_ms = Some(number(value(&mut it)?)?),
            "--balance-fen" => out.balance_fen = Some(number(value(&mut it)?)?),
            "--record-delay-ms" => out.record_delay_ms = Some(number(value(&mut it)?)?),
            "--request-id-from-custom-parm" if inline.is_none() => {
                out.request_id_from_custom_parm = true
            }
            "--max-records-per-page" => out.max_records_per_page = Some(number(value(&mut it)?)?),
            "--exit-on-stdin-eof" if inline.is_none() => out.exit_on_stdin_eof = true,
            _ => return Err(format!("unknown argument {arg:?}")),
        }
    }
    Ok(Parsed::Run(out))
}

fn load_config(args: &Args) -> Result<Config, String> {
    let mut config = match &args.config {
        Some(path) => {
            let text =
                std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
            serde_json::from_str(&text).map_err(|e| format!("bad config {path}: {e}"))?
        }
        None => Config::default(),
    };
    if let Some(n) = args.window_secs {
        config.timestamp_window_secs = n;
    }
    if let Some(n) = args.slow_secs {
        config.slow_secs = n;
    }
    if let Some(url) = &args.push_url {
        config = config.with_push_url(url.clone());
    }
    if let Some(n) = args.push_interval_ms {
        config.push_interval_ms = n;
    }
    if let Some(n) = args.push_timeout_ms {
        config.push_timeout_ms = n;
    }
    if let Some(n) = args.balance_fen {
        config = config.with_balance_fen(n);
    }
    if let Some(n) = args.record_delay_ms {
        config.record_delay_ms = n;
    }
    if args.request_id_from_custom_parm {
        config.request_id_from_custom_parm = true;
    }
    if let Some(n) = args.max_records_per_page {
        config.max_records_per_page = n;
    }
    Ok(config)
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Parsed::Help) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Ok(Parsed::Run(args)) => args,
        Err(e) => {
            eprintln!("ytx-emulator: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let config = match load_config(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("ytx-emulator: {e}");
            return ExitCode::from(2);
        }
    };
    let demo = config.accounts.iter().any(|a| a.sid == DEMO_ACCOUNT_SID);
    let (window, slow, accounts) = (
        config.timestamp_window_secs,
        config.slow_secs,
        config.accounts.len(),
    );
    let (push_interval, record_delay) = (config.push_interval_ms, config.record_delay_ms);
    let mut push_urls: Vec<String> = config
        .accounts
        .iter()
        .flat_map(|a| a.apps.iter().filter_map(|app| app.push_url.clone()))
        .collect();
    push_urls.sort();
    push_urls.dedup();
    let emulator = match Emulator::start(config, &args.listen) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("ytx-emulator: cannot listen on {}: {e}", args.listen);
            return ExitCode::from(1);
        }
    };

    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "ytx-emulator listening on {}", emulator.base_url());
    let _ = stdout.flush();
    drop(stdout);

    eprintln!(
        "ytx-emulator: {accounts} account(s), timestamp window {window}s, slow answer {slow}s, \
         push interval {push_interval}ms, record delay {record_delay}ms"
    );
    for url in &push_urls {
        eprintln!("  push URL           {url}");
    }
    if demo {
        eprintln!("  accountSID         {DEMO_ACCOUNT_SID}");
        eprintln!("  authToken          {DEMO_AUTH_TOKEN}");
        eprintln!("  appid (both)       {DEMO_APP_ID}");
        eprintln!("  appid (callback)   {DEMO_CALLBACK_ONLY_APP_ID}");
    }

    if args.exit_on_stdin_eof {
        let mut stdin = std::io::stdin().lock();
        let mut buf = [0u8; 1024];
        loop {
            match stdin.read(&mut buf) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        eprintln!("ytx-emulator: stdin closed, exiting");
        emulator.stop();
        ExitCode::SUCCESS
    } else {
        loop {
            std::thread::park();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(v: &[&str]) -> Result<Parsed, String> {
        parse_args(v.iter().map(|s| s.to_string()))
    }

    #[test]
    fn defaults() {
        let Ok(Parsed::Run(a)) = parse(&[]) else {
            panic!()
        };
        assert_eq!(a.listen, "127.0.0.1:8080");
        assert!(a.config.is_none() && !a.exit_on_stdin_eof);
    }

    #[test]
    fn options() {
        let Ok(Parsed::Run(a)) = parse(&[
            "--listen",
            "127.0.0.1:0",
            "--window-secs=30",
            "--slow-secs",
            "2",
            "--exit-on-stdin-eof",
            "--config",
            "c.json",
        ]) else {
            panic!()
        };
        assert_eq!(a.listen, "127.0.0.1:0");
        assert_eq!(a.window_secs, Some(30));
        assert_eq!(a.slow_secs, Some(2));
        assert!(a.exit_on_stdin_eof);
        assert_eq!(a.config.as_deref(), Some("c.json"));
        let Ok(Parsed::Run(a)) = parse(&[
            "--push-url",
            "http://127.0.0.1:9/push",
            "--push-interval-ms=5",
            "--push-timeout-ms",
            "30000",
            "--balance-fen",
            "3",
            "--record-delay-ms",
            "100",
        ]) else {
            panic!()
        };
        let c = load_config(&a).unwrap();
        assert!(c.accounts[0]
            .apps
            .iter()
            .all(|app| app.push_url.as_deref() == Some("http://127.0.0.1:9/push")));
        assert_eq!(c.push_interval_ms, 5);
        assert_eq!(c.push_timeout_ms, 30000);
        assert_eq!(c.accounts[0].balance_fen, 3);
        assert_eq!(c.record_delay_ms, 100);
        assert!(!c.request_id_from_custom_parm);
        let Ok(Parsed::Run(a)) = parse(&["--request-id-from-custom-parm"]) else {
            panic!()
        };
        assert!(load_config(&a).unwrap().request_id_from_custom_parm);
        assert!(parse(&["--balance-fen", "-1"]).is_err());
        assert!(matches!(parse(&["--help"]), Ok(Parsed::Help)));
        assert!(parse(&["--slow-secs", "x"]).is_err());
        assert!(parse(&["--listen"]).is_err());
        assert!(parse(&["--bogus"]).is_err());
    }
}
