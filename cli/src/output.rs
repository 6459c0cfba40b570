//! What `ytx` prints: text for people by default, one JSON object on stdout
//! with `--json`. Errors go to stderr as text, or to stdout as JSON.
//!
//! Nothing here prints the auth token (it is never in a library value) or
//! the Sign (a prepared request is shown with `Sign=<redacted>`).

use std::io::Write;

use serde_json::{json, Map, Value};
use std::time::UNIX_EPOCH;
use ytx::record::Fields;

use ytx::{CallRecord, Error, PreparedRequest, Push, Resolution, ResolutionStatus, Response};

use crate::exit;

/// How to print.
pub struct Output {
    /// `--json`.
    pub json: bool,
}

/// A command's result: both forms, and its exit code.
pub struct Report {
    /// Text for stdout, ending in a newline.
    pub human: String,
    /// The JSON object for `--json`.
    pub json: Value,
    /// The exit code.
    pub code: u8,
}

fn stdout(text: &str) {
    // A closed pipe (`ytx ... | head`) is not an error worth a panic.
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// Write to stderr; a stderr that cannot be written is not an error worth
/// a panic (never `eprintln!` in this program: it panics on EPIPE).
pub fn stderr(text: &str) {
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

impl Output {
    /// Print a report; returns its exit code.
    pub fn report(&self, r: Report) -> u8 {
        if self.json {
            stdout(&format!("{}\n", r.json));
        } else {
            stdout(&r.human);
        }
        r.code
    }

    /// A warning: stderr in both modes (stdout stays one JSON object).
    pub fn warn(&self, text: &str) {
        stderr(&format!("ytx: warning: {text}\n"));
    }

    /// Print an error; returns its exit code. `places`: the command places
    /// a call (`call`, `code`).
    pub fn error(&self, e: &Error, places: bool) -> u8 {
        let code = exit::of(e);
        if self.json {
            let mut obj = Map::new();
            obj.insert("code".into(), json!(e.code().name()));
            obj.insert("class".into(), json!(exit::class(code)));
            obj.insert("exit_code".into(), json!(code));
            obj.insert("message".into(), json!(e.to_string()));
            obj.insert("delivery".into(), json!(e.delivery().name()));
            obj.insert("field".into(), json!(e.field()));
            if let Some(flag) = e.field().and_then(flag_of) {
                obj.insert("option".into(), json!(flag));
            }
            if let Error::Platform {
                status_code,
                status_msg,
                request_id,
            } = e
            {
                obj.insert("status_code".into(), json!(status_code));
                obj.insert("status_msg".into(), json!(status_msg));
                obj.insert("request_id".into(), json!(request_id));
                obj.insert(
                    "explanation".into(),
                    json!(ytx::explain_status_code(status_code)),
                );
            }
            if let Error::HttpStatus { status, .. } = e {
                obj.insert("http_status".into(), json!(status));
            }
            if let Some(t) = e.ticket() {
                obj.insert("ticket".into(), json!(t.to_text()));
            }
            stdout(&format!("{}\n", json!({ "error": obj })));
        } else {
            let mut text = format!("ytx: {e}\n");
            if let Some(flag) = e.field().and_then(flag_of) {
                text.push_str(&format!("ytx: (given as {flag})\n"));
            }
            if let Some(t) = e.ticket() {
                text.push_str(&format!("ytx: ticket: {t}\n"));
            }
            text.push_str(&format!(
                "ytx: {} (exit {code})\n",
                exit::advice(code, places)
            ));
            stderr(&text);
        }
        code
    }
}

/// The command-line spelling of a request field the library names.
fn flag_of(field: &str) -> Option<&'static str> {
    Some(match field {
        "src" => "SRC",
        "dst" => "DST",
        "credit" => "--credit",
        "code" => "CODE",
        "time" => "--times",
        "lastresid" => "REQUEST_ID / --after",
        "fid" => "--fid",
        "limit" => "--page-size",
        "max_pages" => "--max-pages",
        "page_size" => "--page-size",
        "ticket" => "TICKET",
        "cursor" => "--cursor",
        "deadline" => "--deadline-ms",
        "dstclid" => "--dstclid / --dst-clid",
        other => crate::CALL_FLAGS
            .iter()
            .find(|(_, wire)| *wire == other)
            .map(|(flag, _)| *flag)?,
    })
}

/// A clap error (usage, or --help / --version). Returns the exit code.
pub fn usage_error(e: clap::Error, json: bool) -> u8 {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) && !(json && e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand)
    {
        let _ = e.print();
        return match e.kind() {
            ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => exit::INVALID_INPUT,
            _ => exit::OK,
        };
    }
    // An unknown option may have been given a value with `=`: never repeat
    // the value (`--auth-token=...` is the case that matters).
    let mut message = e.render().to_string();
    let mut hint = String::new();
    if e.kind() == ErrorKind::UnknownArgument {
        if let Some(ContextValue::String(arg)) = e.get(ContextKind::InvalidArg) {
            let name = arg.split('=').next().unwrap_or(arg);
            message = format!("error: unexpected argument '{name}'");
            if name.contains("token") || name.contains("secret") || name.contains("password") {
                hint = "the auth token is never taken from the command line (ps and the shell history would show it): set YTX_AUTH_TOKEN in the environment or in the config file".into();
            } else {
                hint = "see `ytx --help`".into();
            }
        }
    }
    let message = message.trim_end().to_string();
    if json {
        let mut text = message.trim_start_matches("error: ").to_string();
        if !hint.is_empty() {
            text.push_str(&format!("; {hint}"));
        }
        stdout(&format!(
            "{}\n",
            json!({"error": {
                "code": "YTX_ERR_USAGE",
                "class": exit::class(exit::INVALID_INPUT),
                "exit_code": exit::INVALID_INPUT,
                "message": text,
                "delivery": "YTX_DELIVERY_NOT_SENT",
            }})
        ));
    } else {
        let mut text = format!("{message}\n");
        if !hint.is_empty() {
            text.push_str(&format!("\n{hint}\n"));
        }
        stderr(&text);
    }
    exit::INVALID_INPUT
}

/// A dry run: the signed request, Sign redacted.
pub fn dry_run(req: &PreparedRequest) -> Report {
    let headers: Map<String, Value> = req
        .headers
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    Report {
        // PreparedRequest's Display redacts the Sign.
        human: format!("# dry run: not sent (Sign redacted)\n{req}\n"),
        json: json!({
            "dry_run": true,
            "sent": false,
            "method": req.method,
            "url": req.redacted_url(),
            "headers": headers,
            "body": req.body,
        }),
        code: exit::OK,
    }
}

/// An accepted request.
pub fn accepted(what: &str, r: &Response) -> Report {
    Report {
        human: format!(
            "{what} accepted (statusCode {}{})\nrequestId: {}\n",
            r.status_code,
            if r.status_msg.is_empty() {
                String::new()
            } else {
                format!(", {}", r.status_msg)
            },
            r.request_id
        ),
        json: json!({
            "accepted": true,
            "request_id": r.request_id,
            "status_code": r.status_code,
            "status_msg": r.status_msg,
        }),
        code: exit::OK,
    }
}

fn fields_text(fields: &Fields, indent: &str) -> String {
    let width = fields
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    fields
        .iter()
        .map(|(k, v)| format!("{indent}{k:width$}  {v}\n"))
        .collect()
}

fn fields_json(fields: &Fields) -> Value {
    Value::Object(
        fields
            .iter()
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect(),
    )
}

/// A call record as text: a summary line, then every field as sent.
pub fn record_text(r: &CallRecord) -> String {
    let mut summary = vec![format!("call record {}", r.request_id())];
    if let Some(d) = r.duration() {
        summary.push(format!("{d} s"));
    }
    if let Some(a) = r.amount() {
        summary.push(format!("{a} yuan"));
    }
    if let Some(s) = r.state_desc() {
        summary.push(s.to_string());
    }
    format!("{}\n{}", summary.join(", "), fields_text(r.fields(), "  "))
}

/// A call record as JSON: the typed fields, and every field as text.
pub fn record_json(r: &CallRecord) -> Value {
    json!({
        "request_id": r.request_id(),
        "custom_parm": r.custom_parm(),
        "caller": r.caller(),
        "called": r.called(),
        "tel": r.tel(),
        "duration_secs": r.duration(),
        "amount_yuan": r.amount().map(|a| a.text()),
        "amount_fen": r.amount().map(|a| a.fen()),
        "recording_url": r.recording_url(),
        "state_desc": r.state_desc(),
        "fields": fields_json(r.fields()),
    })
}

/// Unix seconds as `yyyy-mm-ddThh:mm:ssZ` (proleptic Gregorian, UTC).
pub fn utc_text(unix: i64) -> String {
    let (days, secs) = (unix.div_euclid(86_400), unix.rem_euclid(86_400));
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// What `ytx resolve` found.
pub fn resolution(r: &Resolution) -> Report {
    let (code, class) = match r.status() {
        ResolutionStatus::Placed => (exit::OK, "placed"),
        ResolutionStatus::NotPlaced => (exit::NOT_PLACED, "not_placed"),
        ResolutionStatus::NotKnownYet => (exit::NOT_KNOWN_YET, "not_known_yet"),
        ResolutionStatus::CannotBeResolved => (exit::CANNOT_BE_RESOLVED, "cannot_be_resolved"),
    };
    let again = r
        .check_again_at()
        .map(|t| match t.duration_since(UNIX_EPOCH) {
            Ok(d) => {
                i64::try_from(d.as_secs() + u64::from(d.subsec_nanos() > 0)).unwrap_or(i64::MAX)
            }
            Err(_) => 0,
        });
    let mut human = match r.status() {
        ResolutionStatus::Placed => {
            "placed: the call was placed (do not place it again)\n".to_string()
        }
        ResolutionStatus::NotPlaced => "not placed: placing it again is safe\n".to_string(),
        ResolutionStatus::NotKnownYet => "not known yet\n".to_string(),
        ResolutionStatus::CannotBeResolved => "cannot be resolved\n".to_string(),
    };
    human.push_str(&format!("reason: {}\n", r.reason()));
    if let Some(t) = again {
        human.push_str(&format!("check again at: {} ({t})\n", utc_text(t)));
    }
    if let Some(c) = r.cursor() {
        human.push_str(&format!("cursor: {c}\n"));
    }
    if let Some(rec) = r.record() {
        human.push_str(&record_text(rec));
    }
    Report {
        human,
        json: json!({
            "status": class,
            "status_name": r.status().name(),
            "reason": r.reason(),
            "record": r.record().map(record_json),
            "check_again_at": again.map(utc_text),
            "check_again_unix": again,
            "cursor": r.cursor(),
        }),
        code,
    }
}

/// A parsed push body.
pub fn push(p: &Push) -> Report {
    match p {
        Push::State(s) => {
            let ts = s.timestamp().map(|t| t.unix_timestamp());
            Report {
                human: format!(
                    "state push: {} is {} (requestId {})\n{}",
                    s.number(),
                    s.state(),
                    s.request_id(),
                    fields_text(s.fields(), "  ")
                ),
                json: json!({
                    "push": "state",
                    "request_id": s.request_id(),
                    "number": s.number(),
                    "state": s.state().as_str(),
                    "state_desc": s.state_desc(),
                    "timestamp": s.timestamp_text(),
                    "timestamp_unix": ts,
                    "fields": fields_json(s.fields()),
                }),
                code: exit::OK,
            }
        }
        Push::Records(records) => {
            let mut human = format!("call-record push: {} record(s)\n", records.len());
            for r in records {
                human.push_str(&record_text(r));
            }
            Report {
                human,
                json: json!({
                    "push": "records",
                    "records": records.iter().map(record_json).collect::<Vec<_>>(),
                }),
                code: exit::OK,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn utc_text_is_the_calendar_date() {
        assert_eq!(super::utc_text(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::utc_text(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(super::utc_text(1_765_000_000), "2025-12-06T05:46:40Z");
        assert_eq!(super::utc_text(253_402_300_799), "9999-12-31T23:59:59Z");
    }
}
