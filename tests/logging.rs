//! The log hook: what is logged per request and per error, that the token
//! and the Sign never appear, levels, and that off means off. One test
//! function, in its own test binary, because the logger is process-wide.

use std::sync::{Arc, Mutex};

use ytx::log::{set_logger, LogLevel};
use ytx::{CallbackCall, Client, VoiceCode};
use ytx_emulator::{
    Config, Emulator, DEMO_ACCOUNT_SID, DEMO_APP_ID, DEMO_AUTH_TOKEN, FAULT_HTTP_500,
};

type Lines = Arc<Mutex<Vec<(LogLevel, String)>>>;

/// A `log` facade logger that keeps the events of target `ytx`.
struct Facade(Mutex<Vec<(::log::Level, String)>>);
static FACADE: Facade = Facade(Mutex::new(Vec::new()));

impl ::log::Log for Facade {
    fn enabled(&self, m: &::log::Metadata) -> bool {
        m.target() == "ytx"
    }
    fn log(&self, r: &::log::Record) {
        if self.enabled(r.metadata()) {
            self.0
                .lock()
                .unwrap()
                .push((r.level(), r.args().to_string()));
        }
    }
    fn flush(&self) {}
}

fn capture(level: LogLevel) -> Lines {
    let lines: Lines = Arc::default();
    let sink = lines.clone();
    set_logger(
        level,
        Some(Arc::new(move |l, m: &str| {
            sink.lock().unwrap().push((l, m.to_string()))
        })),
    )
    .unwrap();
    lines
}

#[test]
fn logging_reports_requests_and_errors_without_secrets() {
    let emu = Emulator::start(Config::default(), "127.0.0.1:0").unwrap();
    let c = Client::builder(DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, DEMO_APP_ID)
        .base_url(emu.base_url())
        .build()
        .unwrap();
    let call = CallbackCall::new("13800138000", "13900139000", 61);

    // Off by default: before any sink is set no level is enabled (this
    // fails if the default were on), so the log points build nothing.
    for level in [
        LogLevel::Error,
        LogLevel::Warn,
        LogLevel::Info,
        LogLevel::Debug,
    ] {
        assert!(!ytx::log::enabled(level), "{level:?} on by default");
    }
    c.callback_call(&call).unwrap();

    // Rust programs get the same events through the `log` facade.
    ::log::set_logger(&FACADE).unwrap();
    ::log::set_max_level(::log::LevelFilter::Debug);

    let lines = capture(LogLevel::Debug);
    let ok = c.callback_call(&call).unwrap();
    c.voice_code(&VoiceCode::new(FAULT_HTTP_500, "02160000000", "1"))
        .unwrap_err();
    c.voice_code(&VoiceCode::new("13800138000", "02160000000", "bad code"))
        .unwrap_err();
    let wrong = Client::builder(
        DEMO_ACCOUNT_SID,
        "0000000000000000000000000000dead",
        DEMO_APP_ID,
    )
    .base_url(emu.base_url())
    .build()
    .unwrap();
    wrong
        .voice_code(&VoiceCode::new("13800138000", "02160000000", "1"))
        .unwrap_err();

    let got = lines.lock().unwrap().clone();
    let text: Vec<String> = got.iter().map(|(l, m)| format!("{l:?} {m}")).collect();
    let all = text.join("\n");
    let has =
        |level: LogLevel, needle: &str| got.iter().any(|(l, m)| *l == level && m.contains(needle));
    assert!(has(LogLevel::Debug, r#""src":"13800138000""#), "{all}");
    assert!(
        has(LogLevel::Info, &format!("requestId {}", ok.request_id)),
        "{all}"
    );
    assert!(has(LogLevel::Info, "?Sign=<redacted>"), "{all}");
    assert!(has(LogLevel::Error, "HTTP status 500"), "{all}");
    assert!(has(LogLevel::Warn, "code: must contain only"), "{all}");
    assert!(has(LogLevel::Warn, "-203"), "{all}");
    assert!(!all.contains(DEMO_AUTH_TOKEN), "token logged:\n{all}");
    // No Sign value: every URL is redacted.
    assert!(
        !got.iter()
            .any(|(_, m)| m.contains("?Sign=") && !m.contains("?Sign=<redacted>")),
        "{all}"
    );
    // accepted: DEBUG + INFO; HTTP 500: DEBUG + ERROR; invalid code: WARN
    // (never sent, so no DEBUG); -203: DEBUG + WARN.
    assert_eq!(got.len(), 7, "{all}");
    // The facade saw exactly the same events, at the same levels, with
    // target ytx.
    let facade = FACADE.0.lock().unwrap().clone();
    let as_facade = |l: LogLevel| match l {
        LogLevel::Error => ::log::Level::Error,
        LogLevel::Warn => ::log::Level::Warn,
        LogLevel::Info => ::log::Level::Info,
        _ => ::log::Level::Debug,
    };
    let expected: Vec<(::log::Level, String)> = got
        .iter()
        .map(|(l, m)| (as_facade(*l), m.clone()))
        .collect();
    assert_eq!(facade, expected, "facade vs sink");
    ::log::set_max_level(::log::LevelFilter::Off);

    // WARN: only warnings and errors.
    let lines = capture(LogLevel::Warn);
    c.callback_call(&call).unwrap();
    c.voice_code(&VoiceCode::new(FAULT_HTTP_500, "02160000000", "1"))
        .unwrap_err();
    let got = lines.lock().unwrap().clone();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, LogLevel::Error);

    // Off again: the old sink receives nothing more.
    set_logger(LogLevel::Off, None).unwrap();
    c.callback_call(&call).unwrap();
    assert_eq!(lines.lock().unwrap().len(), 1);
    assert!(!ytx::log::enabled(LogLevel::Error));

    // A sink may not replace the logger from inside itself.
    let result = Arc::new(Mutex::new(None));
    let r = result.clone();
    set_logger(
        LogLevel::Info,
        Some(Arc::new(move |_, _: &str| {
            *r.lock().unwrap() = Some(set_logger(LogLevel::Off, None).is_err());
        })),
    )
    .unwrap();
    c.callback_call(&call).unwrap();
    set_logger(LogLevel::Off, None).unwrap();
    assert_eq!(*result.lock().unwrap(), Some(true));

    // A sink that panics (the CLI's eprintln! on a broken stderr did) loses
    // its line, never the call: the platform accepted it, its requestId
    // reaches the caller (issue 18).
    let calls = Arc::new(Mutex::new(0));
    let n = calls.clone();
    set_logger(
        LogLevel::Debug,
        Some(Arc::new(move |_, _: &str| {
            *n.lock().unwrap() += 1;
            panic!("a sink that cannot write");
        })),
    )
    .unwrap();
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let accepted =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| c.callback_call(&call)));
    std::panic::set_hook(hook);
    set_logger(LogLevel::Off, None).unwrap();
    let accepted = accepted.expect("the sink's panic reached the caller");
    assert!(!accepted.unwrap().request_id.is_empty());
    assert!(*calls.lock().unwrap() >= 2, "DEBUG body and INFO line");
}
