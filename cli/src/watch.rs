//! `ytx watch`: a push receiver that runs itself. It listens on an address
//! and a secret path (PROTOCOL.md, "Protecting a receiver": the path
//! compared in constant time, a body limit, a read deadline, routing by
//! `?Call` / `?CallState`), feeds every push to a [`ytx::Tracker`], and
//! prints one JSON line per event on stdout, so that an application that
//! cannot embed an HTTP server can read a pipe. It places nothing: it
//! tracks the calls it is given (requestIds or journal lines on stdin, as
//! arguments, or in a journal file it follows).

use std::fs::File;
use std::io::{BufRead, IsTerminal, Read, Seek, SeekFrom, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use ytx::{Client, Error, Event, EventKind, TrackedCall, Tracker, TrackerOptions};

use crate::output;

/// The options of `ytx watch`.
#[derive(clap::Args)]
#[command(after_help = WATCH_HELP)]
pub struct WatchArgs {
    /// requestIds of calls to track (more on stdin, one a line).
    pub request_ids: Vec<String>,
    /// Address to listen on (port 0: any free port; the address is printed on stderr).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8090")]
    pub listen: String,
    /// The secret path pushes must be POSTed to (e.g. /ytx/push-7f3a9c...): the
    /// push URL's only secret, set in the platform's console. Other paths: 404.
    #[arg(long, value_name = "PATH")]
    pub path: String,
    /// A journal file the application appends one JSON line to per placed
    /// call; read at start and followed (see below).
    #[arg(long, value_name = "FILE")]
    pub journal: Option<std::path::PathBuf>,
    /// Largest push body accepted, bytes (larger: 413).
    #[arg(long, value_name = "BYTES", default_value_t = 64 * 1024)]
    pub max_body: usize,
    /// Whole-request read deadline, milliseconds (slower: 408).
    #[arg(long, value_name = "MS", default_value_t = 10_000)]
    pub read_deadline_ms: u64,
    /// Most connections at once (more: 503).
    #[arg(long, value_name = "N", default_value_t = 64)]
    pub max_connections: usize,
    /// Exit (0) once stdin is closed and every call tracked has its final event.
    #[arg(long)]
    pub exit_when_done: bool,
    /// always | when_no_record_push | never: when a record is confirmed with the signed query.
    #[arg(long, value_name = "MODE")]
    pub verify: Option<String>,
    /// Most record queries a minute (default 60).
    #[arg(long, value_name = "N")]
    pub queries_per_minute: Option<String>,
    /// First query this long after both legs hung up (default 20000).
    #[arg(long, value_name = "MS")]
    pub after_disconnect_ms: Option<String>,
    /// Record delay in the bound (default 60000).
    #[arg(long, value_name = "MS")]
    pub record_delay_ms: Option<String>,
    /// Ring timeout assumed for a leg with none, in the bound (default 60000).
    #[arg(long, value_name = "MS")]
    pub default_ring_timeout_ms: Option<String>,
    /// Credit (seconds) assumed for a call tracked without one (default 3600).
    #[arg(long, value_name = "SECONDS")]
    pub assume_credit: Option<String>,
    /// Overdue this long after the bound (default 3600000).
    #[arg(long, value_name = "MS")]
    pub overdue_after_ms: Option<String>,
    /// How long a push matching no tracked call waits for it (default 10000).
    #[arg(long, value_name = "MS")]
    pub orphan_window_ms: Option<String>,
    /// How long a state is held to be put in order (default 1000).
    #[arg(long, value_name = "MS")]
    pub reorder_window_ms: Option<String>,
}

pub const WATCH_HELP: &str = "\
Examples:
  ytx watch --listen 0.0.0.0:8090 --path /ytx/push-7f3a9c2e41d8 --journal calls.jsonl
  printf '%s\\n' 20200437755811196850667520400 | ytx watch --path /p-7f3a9c --exit-when-done

Input (stdin, arguments, journal): a line is a requestId, or one JSON object
(a journal line, also what the library's TrackedCall::to_json and
ytx_pending_json write):
  {\"request_id\":\"2020...\",\"custom_parm\":\"order-42\",\"src\":\"13800138000\",
   \"dst\":\"01085485069\",\"credit\":600,\"src_timeout\":null,\"dst_timeout\":30,
   \"sent_at\":1765000000}
Only request_id is required (or \"ticket\": the ticket text of an outcome
unknown, to resolve it). sent_at is Unix seconds (default: when read); what
else is given sharpens the checks of pushes and the time of the first query.
Empty lines and lines starting with # are skipped; a bad line (also one not
UTF-8) is reported on stderr and skipped.

Restarts: ytx watch keeps nothing across its own restart. With --journal it
reads the file again from the start, so calls already completed are reported
again: skip repeats (every event carries its request_id), or give the new
watch only the calls still without their final event (their journal lines,
as TrackedCall::to_json / ytx_pending_json write them).

Output: one JSON object a line on stdout, one per event:
  {\"event\":\"leg_state\",\"request_id\",\"custom_parm\",\"leg\":\"src\"|\"dst\"|null,\"number\",\"state\",\"timestamp\"}
  {\"event\":\"completed\",\"request_id\",\"custom_parm\",\"verified\",\"record\":{...}}
  {\"event\":\"resolved\",\"request_id\",\"custom_parm\",\"placed\":true|false|null,\"verified\",\"record\",\"ticket\",\"reason\"}
  {\"event\":\"overdue\",\"request_id\",\"custom_parm\",\"ticket\",\"reason\"}
  {\"event\":\"unrecognised_push\",\"request_id\",\"reason\"}
Exactly one completed (or resolved) per call; its record is confirmed with the
signed record query (--verify). Pushes are answered 200 at once (400: not
JSON; 404: another path; 405: not POST; 408: slower than the read deadline;
411/413: no or too large a Content-Length; 503: too many connections).";

/// One event as a JSON line.
pub fn event_json(e: &Event) -> Value {
    let record = e.record().map(output::record_json);
    let base = |name: &str| {
        json!({
            "event": name,
            "request_id": e.request_id(),
            "custom_parm": e.custom_parm(),
        })
    };
    let mut v = match e.kind() {
        EventKind::LegState => {
            let mut v = base("leg_state");
            v["leg"] = json!(e.leg().map(|l| l.name()));
            v["number"] = json!(e.number());
            v["state"] = json!(e.state().map(|s| s.as_str()));
            v["timestamp"] = json!(e.timestamp());
            v
        }
        EventKind::Completed => {
            let mut v = base("completed");
            v["verified"] = json!(e.verified());
            v["record"] = json!(record);
            v
        }
        EventKind::Resolved => {
            let mut v = base("resolved");
            v["placed"] = json!(e.placed());
            v["verified"] = json!(e.verified());
            v["record"] = json!(record);
            v
        }
        EventKind::Overdue => base("overdue"),
        EventKind::UnrecognisedPush => {
            json!({"event": "unrecognised_push", "request_id": e.request_id()})
        }
    };
    if let Some(t) = e.ticket() {
        v["ticket"] = json!(t.to_text());
    }
    if !e.reason().is_empty() {
        v["reason"] = json!(e.reason());
    }
    v
}

/// A line of input: a requestId or a JSON journal line.
fn tracked_of(line: &str) -> Result<Option<TrackedCall>, Error> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    if line.starts_with('{') {
        return TrackedCall::from_json(line).map(Some);
    }
    let call = TrackedCall::new(line);
    call.validate()?;
    Ok(Some(call))
}

fn track_line(tracker: &Tracker, line: &str, origin: &str) {
    match tracked_of(line).and_then(|c| c.map_or(Ok(()), |c| tracker.track(c))) {
        Ok(()) => {}
        Err(e) => output::stderr(&format!("ytx watch: {origin}: line skipped: {e}\n")),
    }
}

/// A line as read (bytes, with its newline or not): one not UTF-8 is
/// reported on stderr and skipped like any bad line.
fn track_bytes(tracker: &Tracker, line: &[u8], origin: &str) {
    match std::str::from_utf8(line) {
        Ok(line) => track_line(tracker, line, origin),
        Err(_) => output::stderr(&format!("ytx watch: {origin}: line skipped: not UTF-8\n")),
    }
}

fn options(a: &WatchArgs) -> Result<TrackerOptions, Error> {
    let mut o = TrackerOptions::new();
    for (name, value) in [
        ("verify", &a.verify),
        ("queries_per_minute", &a.queries_per_minute),
        ("after_disconnect_ms", &a.after_disconnect_ms),
        ("record_delay_ms", &a.record_delay_ms),
        ("default_ring_timeout_ms", &a.default_ring_timeout_ms),
        ("assume_credit", &a.assume_credit),
        ("overdue_after_ms", &a.overdue_after_ms),
        ("orphan_window_ms", &a.orphan_window_ms),
        ("reorder_window_ms", &a.reorder_window_ms),
    ] {
        if let Some(v) = value {
            o.set(name, v)?;
        }
    }
    Ok(o)
}

/// Run `ytx watch` until killed (or done, with --exit-when-done). Returns
/// only on an error before it starts listening, or when done.
pub fn run(a: &WatchArgs, client: Client) -> Result<(), Error> {
    if !a.path.starts_with('/') || a.path.contains('?') || a.path.len() < 2 {
        return Err(Error::invalid(
            "path",
            "must be a path starting with / (no query): the push URL's secret",
        ));
    }
    if a.max_body == 0 {
        return Err(Error::invalid("max_body", "must be at least 1"));
    }
    if a.read_deadline_ms == 0 {
        return Err(Error::invalid("read_deadline_ms", "must be at least 1"));
    }
    let options = options(a)?;
    let orphan_wait = Duration::from_millis(
        a.orphan_window_ms
            .as_deref()
            .and_then(|v| v.parse().ok())
            .unwrap_or(10_000),
    );
    let tracker = Arc::new(Tracker::new(Arc::new(client), options)?);
    for id in &a.request_ids {
        track_line(&tracker, id, "argument");
    }
    let listener = TcpListener::bind(&a.listen)
        .map_err(|e| Error::invalid("listen", format!("cannot listen on {}: {e}", a.listen)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::invalid("listen", e.to_string()))?;
    output::stderr(&format!("ytx watch: listening on http://{addr}\n"));
    let limits = Limits {
        secret: a.path.clone(),
        max_body: a.max_body,
        read_deadline: Duration::from_millis(a.read_deadline_ms),
    };
    serve(listener, Arc::clone(&tracker), limits, a.max_connections);

    // stdin: requestIds or journal lines, until EOF.
    let stdin_done = Arc::new(AtomicBool::new(false));
    {
        let (tracker, done) = (Arc::clone(&tracker), Arc::clone(&stdin_done));
        let stdin = std::io::stdin();
        if stdin.is_terminal() && !a.exit_when_done {
            done.store(true, Ordering::SeqCst);
        } else {
            std::thread::spawn(move || {
                // Bytes, not lines(): a line that is not UTF-8 is reported
                // and skipped, and the lines after it are still read (read_until
                // retries an interrupted read itself).
                let mut stdin = stdin.lock();
                let (mut line, mut n) = (Vec::new(), 0);
                loop {
                    line.clear();
                    match stdin.read_until(b'\n', &mut line) {
                        Ok(0) => break,
                        Ok(_) => {
                            n += 1;
                            track_bytes(&tracker, &line, &format!("stdin line {n}"));
                        }
                        Err(_) => break,
                    }
                }
                done.store(true, Ordering::SeqCst);
            });
        }
    }

    let mut journal = a.journal.as_ref().map(|p| Journal {
        path: p.clone(),
        offset: 0,
        partial: Vec::new(),
        line: 0,
    });
    let mut quiet_since: Option<Instant> = None;
    loop {
        if let Some(j) = &mut journal {
            j.follow(&tracker);
        }
        match tracker.next_event(Some(Duration::from_millis(200))) {
            Some(e) => {
                quiet_since = None;
                let line = format!("{}\n", event_json(&e));
                let mut out = std::io::stdout().lock();
                if out
                    .write_all(line.as_bytes())
                    .and_then(|()| out.flush())
                    .is_err()
                {
                    // Nobody reads the events any more.
                    return Ok(());
                }
            }
            None => {
                if a.exit_when_done
                    && stdin_done.load(Ordering::SeqCst)
                    && tracker.pending().is_empty()
                {
                    // Quiet for the orphan window too: a push that matched
                    // no call is reported before exiting.
                    let since = *quiet_since.get_or_insert_with(Instant::now);
                    if since.elapsed() > orphan_wait + Duration::from_millis(300) {
                        return Ok(());
                    }
                }
            }
        }
    }
}

/// A journal file followed: lines appended are tracked as they come.
struct Journal {
    path: std::path::PathBuf,
    offset: u64,
    /// Bytes read after the last newline: a line still being written.
    partial: Vec<u8>,
    line: usize,
}

impl Journal {
    fn follow(&mut self, tracker: &Tracker) {
        let Ok(mut f) = File::open(&self.path) else {
            return;
        };
        let len = f.metadata().map(|m| m.len()).unwrap_or(0);
        if len < self.offset {
            // Truncated or replaced: read it again from the start.
            self.offset = 0;
            self.partial.clear();
            self.line = 0;
        }
        if len == self.offset || f.seek(SeekFrom::Start(self.offset)).is_err() {
            return;
        }
        // Bytes, not text: a line that is not UTF-8 is skipped (reported)
        // and the lines after it are still read.
        let mut bytes = Vec::new();
        let Ok(n) = (&mut f).take(len - self.offset).read_to_end(&mut bytes) else {
            return;
        };
        self.offset += n as u64;
        self.partial.extend_from_slice(&bytes);
        while let Some(i) = self.partial.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.partial.drain(..=i).collect();
            self.line += 1;
            let origin = format!("journal {} line {}", self.path.display(), self.line);
            track_bytes(tracker, &line, &origin);
        }
    }
}

struct Limits {
    secret: String,
    max_body: usize,
    read_deadline: Duration,
}

/// Accept connections on a thread, one thread per connection (at most
/// `max_connections`), each answering one request.
fn serve(listener: TcpListener, tracker: Arc<Tracker>, limits: Limits, max_connections: usize) {
    let limits = Arc::new(limits);
    let busy = Arc::new(AtomicUsize::new(0));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            if busy.fetch_add(1, Ordering::SeqCst) >= max_connections {
                busy.fetch_sub(1, Ordering::SeqCst);
                answer(&mut stream, 503);
                continue;
            }
            let (tracker, limits, busy) =
                (Arc::clone(&tracker), Arc::clone(&limits), Arc::clone(&busy));
            std::thread::spawn(move || {
                let status = match read_request(&mut stream, &limits) {
                    Ok((target, body)) => {
                        let query = target.split_once('?').map(|(_, q)| q);
                        tracker.on_push(&body, query)
                    }
                    Err(status) => status,
                };
                answer(&mut stream, status);
                busy.fetch_sub(1, Ordering::SeqCst);
            });
        }
    });
}

fn answer(stream: &mut TcpStream, status: u16) {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        411 => "Length Required",
        413 => "Content Too Large",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "Error",
    };
    let _ = write!(
        stream,
        "HTTP/1.1 {status} {reason}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
}

/// One request within the limits: `Ok((target, body))`, or the status to
/// refuse it with.
fn read_request(stream: &mut TcpStream, limits: &Limits) -> Result<(String, Vec<u8>), u16> {
    const MAX_HEAD: usize = 8 * 1024;
    let deadline = Instant::now() + limits.read_deadline;
    let mut buf = Vec::new();
    let mut more = |buf: &mut Vec<u8>| -> Result<(), u16> {
        let left = deadline.saturating_duration_since(Instant::now());
        let mut chunk = [0u8; 4096];
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            return Err(408);
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => Err(408),
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                Ok(())
            }
        }
    };
    let end = loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
        if buf.len() > MAX_HEAD {
            return Err(431);
        }
        more(&mut buf)?;
    };
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut parts = lines.next().unwrap_or("").split(' ');
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    // The path, compared in constant time (for a given length).
    let path = target.split('?').next().unwrap_or("");
    let diff = path
        .bytes()
        .zip(limits.secret.bytes())
        .fold(0u8, |d, (a, b)| d | (a ^ b));
    if path.len() != limits.secret.len() || diff != 0 {
        return Err(404);
    }
    if method != "POST" {
        return Err(405);
    }
    let length = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .map(|(_, v)| v.trim());
    let length = match length {
        None => return Err(411),
        Some(v) if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) => return Err(400),
        Some(v) => match v.parse::<usize>() {
            Ok(n) if n <= limits.max_body => n,
            _ => return Err(413),
        },
    };
    buf.drain(..end + 4);
    while buf.len() < length {
        more(&mut buf)?;
    }
    buf.truncate(length);
    Ok((target.to_string(), buf))
}
