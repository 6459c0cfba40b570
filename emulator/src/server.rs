//! The HTTP/1.1 server: accept loop, one thread per connection, request
//! parsing, answers and faults. See the crate docs for why this is not tiny_http.

use std::collections::{HashMap, VecDeque};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use time::OffsetDateTime;

use crate::protocol::{self, Accepted, Call, Kind};
use crate::{calls, push, CallRecord, Config, Push, Received};

/// Longest request line or header line accepted.
const MAX_LINE: usize = 16 * 1024;
/// Most header lines accepted.
const MAX_HEADERS: usize = 128;
/// Largest request body accepted (the API's bodies are a few hundred bytes).
const MAX_BODY: u64 = 1024 * 1024;
/// A keep-alive connection idle this long is closed.
const IDLE_TIMEOUT: Duration = Duration::from_secs(300);
/// A client that stops reading for this long is given up on.
const WRITE_TIMEOUT: Duration = Duration::from_secs(60);
/// After `Connection: close`, how long unread input is drained before closing
/// (closing with unread input would send RST and could destroy the answer).
const LINGER: Duration = Duration::from_secs(1);

const JSON: &str = "application/json;charset=UTF-8";
const HTML: &str = "text/html;charset=utf-8";
const TEXT: &str = "text/plain;charset=utf-8";

/// State shared by the accept thread, the connection threads, the push
/// workers and the handle.
pub(crate) struct Shared {
    config: Config,
    log: Mutex<Vec<Received>>,
    stopping: Mutex<bool>,
    stop_cv: Condvar,
    conns: Mutex<HashMap<u64, TcpStream>>,
    handles: Mutex<Vec<JoinHandle<()>>>,
    next_conn: AtomicU64,
    /// Records and balances.
    calls: Mutex<Calls>,
    /// Pushes to the apps' callback URLs.
    pub(crate) push: push::Queue,
}

/// The accepted calls' records and the accounts' balances.
struct Calls {
    /// In acceptance order, which is also requestId order; at most
    /// [`crate::MAX_RECORDS`].
    records: VecDeque<Stored>,
    balances: HashMap<String, u64>,
}

struct Stored {
    record: CallRecord,
    /// When `CallCdr.wx` starts to show it (`Config::record_delay_ms`).
    available_at: Instant,
}

/// What placing a call came to.
enum Placed {
    /// Balance below [`crate::MIN_BALANCE_FEN`]: `-204`.
    Broke,
    /// Accepted, with this requestId.
    Accepted(String),
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    pub(crate) fn new(config: Config) -> Shared {
        Shared {
            log: Mutex::new(Vec::new()),
            stopping: Mutex::new(false),
            stop_cv: Condvar::new(),
            conns: Mutex::new(HashMap::new()),
            handles: Mutex::new(Vec::new()),
            next_conn: AtomicU64::new(0),
            calls: Mutex::new(Calls {
                records: VecDeque::new(),
                balances: config
                    .accounts
                    .iter()
                    .map(|a| (a.sid.clone(), a.balance_fen))
                    .collect(),
            }),
            push: push::Queue::default(),
            config,
        }
    }

    pub(crate) fn config(&self) -> &Config {
        &self.config
    }

    pub(crate) fn records_snapshot(&self) -> Vec<CallRecord> {
        lock(&self.calls)
            .records
            .iter()
            .map(|s| s.record.clone())
            .collect()
    }

    pub(crate) fn balance_fen(&self, sid: &str) -> Option<u64> {
        lock(&self.calls).balances.get(sid).copied()
    }

    /// Every account's balance, in configuration order.
    fn balances_snapshot(&self) -> Vec<(String, u64)> {
        let calls = lock(&self.calls);
        self.config
            .accounts
            .iter()
            .map(|a| {
                (
                    a.sid.clone(),
                    calls.balances.get(&a.sid).copied().unwrap_or(0),
                )
            })
            .collect()
    }

    pub(crate) fn set_balance_fen(&self, sid: &str, fen: u64) -> bool {
        match lock(&self.calls).balances.get_mut(sid) {
            Some(b) => {
                *b = fen;
                true
            }
            None => false,
        }
    }

    pub(crate) fn pushes_snapshot(&self) -> Vec<Push> {
        self.push.log_snapshot()
    }

    /// Check 9, the balance, then the call itself: a fresh requestId, its
    /// record and charge (under one lock, so that acceptance order is
    /// requestId order), and its pushes queued if the app has a push URL.
    fn place(&self, sid: &str, accepted: &Accepted) -> Placed {
        let url = self
            .config
            .accounts
            .iter()
            .find(|a| a.sid == sid)
            .and_then(|a| a.apps.iter().find(|app| app.id == accepted.appid))
            .and_then(|app| app.push_url.clone());
        let (id, pushes) = {
            let mut calls = lock(&self.calls);
            let balance = calls.balances.get(sid).copied().unwrap_or(0);
            if balance < crate::MIN_BALANCE_FEN {
                return Placed::Broke;
            }
            // The clock is read once: the requestId's time part is the
            // acceptance time of the record and of the first push.
            let (id, now) = match accepted.get("customParm") {
                Some(p)
                    if self.config.request_id_from_custom_parm
                        && (1..=15).contains(&p.len())
                        && p.bytes().all(|b| b.is_ascii_digit()) =>
                {
                    let now = OffsetDateTime::now_utc();
                    (format!("{}{p:0>15}", protocol::timestamp_of(now)), now)
                }
                _ => next_request_id(),
            };
            let Some(outcome) = calls::simulate(sid, accepted, &id, now, url.is_some()) else {
                return Placed::Accepted(id);
            };
            if let Some(b) = calls.balances.get_mut(sid) {
                *b = b.saturating_sub(outcome.record.amount_fen);
            }
            if calls.records.len() >= crate::MAX_RECORDS {
                calls.records.pop_front();
            }
            calls.records.push_back(Stored {
                record: outcome.record,
                available_at: Instant::now() + Duration::from_millis(self.config.record_delay_ms),
            });
            (id, outcome.pushes)
        };
        if let Some(url) = url {
            self.push.enqueue(push::Sequence {
                url,
                bodies: pushes,
            });
        }
        Placed::Accepted(id)
    }

    /// `CallCdr.wx` + `getCdrByResId`: the `{"cdr":[...]}` body.
    fn query_records(&self, sid: &str, accepted: &Accepted) -> String {
        let fid: u64 = accepted
            .get("fid")
            .and_then(|f| f.parse().ok())
            .unwrap_or(u64::MAX);
        let limit: u64 = accepted
            .get("limit")
            .and_then(|l| l.parse().ok())
            .unwrap_or(0);
        let limit = match self.config.max_records_per_page {
            0 => limit,
            cap => limit.min(cap),
        };
        let last = accepted.get("lastresid").unwrap_or("0");
        let now = Instant::now();
        let calls = lock(&self.calls);
        let mine = calls.records.iter().filter(|s| {
            s.record.account_sid == sid
                && s.record.appid == accepted.appid
                && u64::from(s.record.fid) == fid
                && s.available_at <= now
        });
        let found: Vec<&str> = if limit == 0 {
            mine.filter(|s| s.record.request_id == last)
                .map(|s| s.record.cdr.as_str())
                .take(1)
                .collect()
        } else {
            mine.filter(|s| id_after(&s.record.request_id, last))
                .map(|s| s.record.cdr.as_str())
                .take(usize::try_from(limit).unwrap_or(usize::MAX))
                .collect()
        };
        format!(r#"{{"cdr":[{}]}}"#, found.join(","))
    }

    pub(crate) fn log_snapshot(&self) -> Vec<Received> {
        lock(&self.log).clone()
    }

    pub(crate) fn log_len(&self) -> usize {
        lock(&self.log).len()
    }

    pub(crate) fn log_clear(&self) {
        lock(&self.log).clear()
    }

    fn push(&self, r: Received) {
        lock(&self.log).push(r)
    }

    pub(crate) fn is_stopping(&self) -> bool {
        *lock(&self.stopping)
    }

    pub(crate) fn set_stopping(&self) {
        *lock(&self.stopping) = true;
        self.stop_cv.notify_all();
    }

    /// Sleeps for `d` unless stopped first; true if the emulator is stopping.
    pub(crate) fn sleep(&self, d: Duration) -> bool {
        let guard = lock(&self.stopping);
        let (guard, _) = self
            .stop_cv
            .wait_timeout_while(guard, d, |stopping| !*stopping)
            .unwrap_or_else(|e| e.into_inner());
        *guard
    }
}

pub(crate) fn spawn_accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
) -> io::Result<JoinHandle<()>> {
    thread::Builder::new()
        .name("ytx-emulator-accept".into())
        .spawn(move || accept_loop(listener, shared))
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let accepted = listener.accept();
        if shared.is_stopping() {
            break;
        }
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(_) => {
                // EMFILE and friends: back off a little and go on.
                thread::sleep(Duration::from_millis(10));
                continue;
            }
        };
        let id = shared.next_conn.fetch_add(1, Ordering::Relaxed);
        let Ok(registered) = stream.try_clone() else {
            continue;
        };
        lock(&shared.conns).insert(id, registered);
        let conn_shared = Arc::clone(&shared);
        let spawned = thread::Builder::new()
            .name(format!("ytx-emulator-conn-{id}"))
            .spawn(move || {
                serve_connection(&conn_shared, stream);
                lock(&conn_shared.conns).remove(&id);
            });
        match spawned {
            Ok(handle) => {
                let mut handles = lock(&shared.handles);
                handles.retain(|h| !h.is_finished());
                handles.push(handle);
            }
            Err(_) => {
                if let Some(s) = lock(&shared.conns).remove(&id) {
                    let _ = s.shutdown(Shutdown::Both);
                }
            }
        }
    }
}

/// Stops everything and joins every thread.
pub(crate) fn shutdown(shared: &Shared, addr: SocketAddr, accept: JoinHandle<()>) {
    shared.set_stopping();
    // Wake the accept thread out of accept().
    let _ = TcpStream::connect_timeout(&addr, Duration::from_secs(2));
    let _ = accept.join();
    for stream in lock(&shared.conns).values() {
        let _ = stream.shutdown(Shutdown::Both);
    }
    let handles = std::mem::take(&mut *lock(&shared.handles));
    for handle in handles {
        let _ = handle.join();
    }
    shared.push.stop();
}

/// One parsed HTTP request.
struct HttpRequest {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    keep_alive: bool,
}

impl HttpRequest {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn header_tokens(&self, name: &str) -> Vec<String> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .flat_map(|(_, v)| v.split(','))
            .map(|t| t.trim().to_ascii_lowercase())
            .filter(|t| !t.is_empty())
            .collect()
    }
}

enum ReadError {
    /// Socket error, timeout or EOF mid-request: just close.
    Io,
    /// Not acceptable HTTP: answer this status and close.
    Http(u16, &'static str, String),
}

fn bad(msg: impl Into<String>) -> ReadError {
    ReadError::Http(400, "Bad Request", msg.into())
}

/// Reads one line (LF or CRLF), without the terminator. `None` on a clean EOF.
fn read_line(reader: &mut impl BufRead) -> Result<Option<Vec<u8>>, ReadError> {
    let mut buf = Vec::new();
    let n = reader
        .take(MAX_LINE as u64 + 1)
        .read_until(b'\n', &mut buf)
        .map_err(|_| ReadError::Io)?;
    if n == 0 {
        return Ok(None);
    }
    if buf.last() != Some(&b'\n') {
        if buf.len() > MAX_LINE {
            return Err(ReadError::Http(
                431,
                "Request Header Fields Too Large",
                "line too long".into(),
            ));
        }
        return Err(ReadError::Io);
    }
    buf.pop();
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    Ok(Some(buf))
}

fn read_request(
    reader: &mut BufReader<TcpStream>,
    out: &mut TcpStream,
) -> Result<Option<HttpRequest>, ReadError> {
    // Request line (RFC 9112 allows empty lines before it).
    let mut empties = 0;
    let line = loop {
        match read_line(reader)? {
            None => return Ok(None),
            Some(l) if l.is_empty() => {
                empties += 1;
                if empties > 8 {
                    return Err(ReadError::Io);
                }
            }
            Some(l) => break l,
        }
    };
    let line = String::from_utf8(line).map_err(|_| bad("request line is not UTF-8"))?;
    let parts: Vec<&str> = line.split(' ').collect();
    if parts.len() != 3 || parts.iter().any(|p| p.is_empty()) {
        return Err(bad("malformed request line"));
    }
    let (method, target, version) = (parts[0], parts[1], parts[2]);
    let http10 = match version {
        "HTTP/1.1" => false,
        "HTTP/1.0" => true,
        v if v.starts_with("HTTP/") => {
            return Err(ReadError::Http(
                505,
                "HTTP Version Not Supported",
                "only HTTP/1.0 and HTTP/1.1".into(),
            ))
        }
        _ => return Err(bad("malformed request line")),
    };

    let mut headers = Vec::new();
    loop {
        let Some(l) = read_line(reader)? else {
            return Err(ReadError::Io);
        };
        if l.is_empty() {
            break;
        }
        if headers.len() >= MAX_HEADERS {
            return Err(ReadError::Http(
                431,
                "Request Header Fields Too Large",
                "too many headers".into(),
            ));
        }
        if l[0] == b' ' || l[0] == b'\t' {
            return Err(bad("obsolete header line folding"));
        }
        let text = String::from_utf8_lossy(&l);
        let Some((name, value)) = text.split_once(':') else {
            return Err(bad("header line without ':'"));
        };
        if name.is_empty() || name.bytes().any(|c| c <= b' ' || c == 0x7f) {
            return Err(bad("malformed header name"));
        }
        headers.push((
            name.to_string(),
            value.trim_matches(|c| c == ' ' || c == '\t').to_string(),
        ));
    }

    let mut req = HttpRequest {
        method: method.to_string(),
        target: target.to_string(),
        headers,
        body: Vec::new(),
        keep_alive: false,
    };
    let conn = req.header_tokens("connection");
    req.keep_alive = if conn.iter().any(|t| t == "close") {
        false
    } else if http10 {
        conn.iter().any(|t| t == "keep-alive")
    } else {
        true
    };

    // Body framing.
    let te = req.header_tokens("transfer-encoding");
    let chunked = match te.last() {
        None => false,
        Some(t) if t == "chunked" => true,
        Some(_) => {
            return Err(ReadError::Http(
                501,
                "Not Implemented",
                "unsupported Transfer-Encoding".into(),
            ))
        }
    };
    let mut length: u64 = 0;
    if !chunked {
        let mut seen: Option<u64> = None;
        for (_, v) in req
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        {
            for part in v.split(',') {
                let part = part.trim();
                if part.is_empty() || !part.bytes().all(|c| c.is_ascii_digit()) {
                    return Err(bad("malformed Content-Length"));
                }
                let n: u64 = part.parse().map_err(|_| bad("malformed Content-Length"))?;
                if seen.is_some_and(|s| s != n) {
                    return Err(bad("conflicting Content-Length"));
                }
                seen = Some(n);
            }
        }
        length = seen.unwrap_or(0);
        if length > MAX_BODY {
            return Err(too_large());
        }
    }
    let has_body = chunked || length > 0;
    if let Some(expect) = req.header("expect") {
        if !expect.eq_ignore_ascii_case("100-continue") {
            return Err(ReadError::Http(
                417,
                "Expectation Failed",
                "only 100-continue".into(),
            ));
        }
        if has_body && !http10 {
            out.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
                .map_err(|_| ReadError::Io)?;
        }
    }
    if chunked {
        req.body = read_chunked(reader)?;
    } else if length > 0 {
        let mut body = Vec::with_capacity(length as usize);
        reader
            .take(length)
            .read_to_end(&mut body)
            .map_err(|_| ReadError::Io)?;
        if (body.len() as u64) < length {
            return Err(ReadError::Io);
        }
        req.body = body;
    }
    Ok(Some(req))
}

fn too_large() -> ReadError {
    ReadError::Http(413, "Content Too Large", "request body too large".into())
}

fn read_chunked(reader: &mut BufReader<TcpStream>) -> Result<Vec<u8>, ReadError> {
    let mut body = Vec::new();
    loop {
        let line = read_line(reader)?.ok_or(ReadError::Io)?;
        let line = String::from_utf8_lossy(&line);
        let size = line.split(';').next().unwrap_or("").trim();
        if size.is_empty() || size.len() > 15 {
            return Err(bad("malformed chunk size"));
        }
        let size = u64::from_str_radix(size, 16).map_err(|_| bad("malformed chunk size"))?;
        if size == 0 {
            // Trailers, up to the empty line.
            loop {
                let l = read_line(reader)?.ok_or(ReadError::Io)?;
                if l.is_empty() {
                    return Ok(body);
                }
            }
        }
        if body.len() as u64 + size > MAX_BODY {
            return Err(too_large());
        }
        let before = body.len();
        reader
            .take(size)
            .read_to_end(&mut body)
            .map_err(|_| ReadError::Io)?;
        if ((body.len() - before) as u64) < size {
            return Err(ReadError::Io);
        }
        if !read_line(reader)?.ok_or(ReadError::Io)?.is_empty() {
            return Err(bad("chunk data longer than its size"));
        }
    }
}

fn serve_connection(shared: &Shared, stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let _ = stream.set_read_timeout(Some(IDLE_TIMEOUT));
    let _ = stream.set_write_timeout(Some(WRITE_TIMEOUT));
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut out = stream;
    let mut linger = false;
    loop {
        if shared.is_stopping() {
            break;
        }
        let req = match read_request(&mut reader, &mut out) {
            Ok(Some(req)) => req,
            Ok(None) | Err(ReadError::Io) => break,
            Err(ReadError::Http(status, reason, msg)) => {
                let mut head = head(status, reason, TEXT, msg.len(), false, &[]);
                head.extend_from_slice(msg.as_bytes());
                let _ = out.write_all(&head);
                linger = true;
                break;
            }
        };
        match handle(shared, &req, &mut out) {
            Ok(Next::KeepAlive) if req.keep_alive => continue,
            Ok(Next::KeepAlive) => {
                linger = true;
                break;
            }
            Ok(Next::Close) | Err(_) => break,
        }
    }
    if linger && !shared.is_stopping() {
        // Half-close, then drain what the client may still send, so that
        // closing does not turn into an RST that destroys the answer.
        let _ = out.shutdown(Shutdown::Write);
        let _ = reader.get_ref().set_read_timeout(Some(LINGER));
        let mut sink = [0u8; 4096];
        let mut drained = 0;
        while drained < 1 << 20 {
            match reader.read(&mut sink) {
                Ok(0) | Err(_) => break,
                Ok(n) => drained += n,
            }
        }
    }
    let _ = out.shutdown(Shutdown::Both);
}

/// What to do with the connection after an answer.
enum Next {
    /// Keep it if the client wants to.
    KeepAlive,
    /// Close it now (a fault already did, or the emulator is stopping).
    Close,
}

fn http_date(t: OffsetDateTime) -> String {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        DAYS[t.weekday().number_days_from_monday() as usize],
        t.day(),
        MONTHS[u8::from(t.month()) as usize - 1],
        t.year(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Status line and headers, ending with the empty line.
fn head(
    status: u16,
    reason: &str,
    content_type: &str,
    content_length: usize,
    keep_alive: bool,
    extra: &[(&str, String)],
) -> Vec<u8> {
    let mut h = format!(
        "HTTP/1.1 {status} {reason}\r\nServer: ytx-emulator\r\nDate: {}\r\nContent-Type: {content_type}\r\nContent-Length: {content_length}\r\n",
        http_date(OffsetDateTime::now_utc())
    );
    h.push_str(if keep_alive {
        "Connection: keep-alive\r\n"
    } else {
        "Connection: close\r\n"
    });
    for (name, value) in extra {
        h.push_str(name);
        h.push_str(": ");
        h.push_str(value);
        h.push_str("\r\n");
    }
    h.push_str("\r\n");
    h.into_bytes()
}

/// Writes a complete answer in one write.
fn send(
    out: &mut TcpStream,
    req: &HttpRequest,
    status: u16,
    reason: &str,
    content_type: &str,
    body: &[u8],
    extra: &[(&str, String)],
) -> io::Result<Next> {
    let mut bytes = head(
        status,
        reason,
        content_type,
        body.len(),
        req.keep_alive,
        extra,
    );
    if req.method != "HEAD" {
        bytes.extend_from_slice(body);
    }
    out.write_all(&bytes)?;
    out.flush()?;
    Ok(Next::KeepAlive)
}

/// Header values must be printable ASCII (the detail may quote client input).
fn header_safe(s: &str) -> String {
    s.chars()
        .map(|c| if (' '..='~').contains(&c) { c } else { '?' })
        .collect()
}

fn json_str(s: &str) -> String {
    serde_json::to_string(s).expect("a string serializes")
}

/// The platform's answer object, in the platform's key order.
fn api_json(code: &str, request_id: &str) -> String {
    format!(
        r#"{{"statusCode":{},"statusMsg":{},"requestId":{}}}"#,
        json_str(code),
        json_str(protocol::status_msg(code)),
        json_str(request_id)
    )
}

/// A fresh 29-digit requestId: UTC+8 `yyyyMMddHHmmss` + 15 digits of a
/// process-wide sequence (seeded from the clock and the pid, so two emulator
/// processes are unlikely to collide). Within one process every id is
/// greater than the one before (as numbers and as text: the time part never
/// goes back, even if the clock does), so requestId order is issue order.
/// Also returns the time the id stands for (now, or the last id's time if
/// the clock went back): the call's acceptance time, read once.
fn next_request_id() -> (String, OffsetDateTime) {
    struct Seq {
        last_ts: String,
        last: OffsetDateTime,
        n: u64,
    }
    static SEQ: OnceLock<Mutex<Seq>> = OnceLock::new();
    const MOD: u64 = 1_000_000_000_000_000;
    let seq = SEQ.get_or_init(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        let seed = nanos.wrapping_mul(6_364_136_223_846_793_005) ^ u64::from(std::process::id());
        Mutex::new(Seq {
            last_ts: String::new(),
            last: OffsetDateTime::UNIX_EPOCH,
            n: seed % (MOD / 2),
        })
    });
    let mut seq = lock(seq);
    // Read under the lock: ids issued later never have an earlier time.
    let mut now = OffsetDateTime::now_utc();
    let ts = protocol::timestamp_of(now);
    if ts > seq.last_ts {
        seq.last_ts = ts;
        seq.last = now;
    } else if ts < seq.last_ts {
        now = seq.last;
    }
    // Starts below MOD / 2: it would take 5 * 10^14 ids to wrap.
    seq.n = (seq.n + 1) % MOD;
    (format!("{}{:015}", seq.last_ts, seq.n), now)
}

/// Is requestId `id` after `last` (both digit strings; `"0"` is before all)?
fn id_after(id: &str, last: &str) -> bool {
    let last = last.trim_start_matches('0');
    let id = id.trim_start_matches('0');
    (id.len(), id) > (last.len(), last)
}

/// What a magic `dst` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Magic {
    SlowAnswer,
    DropConnection,
    Http500,
    NotJson,
    TruncatedJson,
    NoStatusCode,
    NumericStatusCode,
    HugeBody,
    NotUtf8,
    SlowBody,
    Http502,
    ResetMidBody,
    Platform(u16),
}

fn magic(dst: &str) -> Option<Magic> {
    if let Some(rest) = dst.strip_prefix(crate::PLATFORM_CODE_PREFIX) {
        if rest.len() == 3 && rest.bytes().all(|c| c.is_ascii_digit()) {
            let n: u16 = rest.parse().ok()?;
            return (n > 0).then_some(Magic::Platform(n));
        }
        return None;
    }
    Some(match dst {
        crate::FAULT_SLOW_ANSWER => Magic::SlowAnswer,
        crate::FAULT_DROP_CONNECTION => Magic::DropConnection,
        crate::FAULT_HTTP_500 => Magic::Http500,
        crate::FAULT_NOT_JSON => Magic::NotJson,
        crate::FAULT_TRUNCATED_JSON => Magic::TruncatedJson,
        crate::FAULT_NO_STATUS_CODE => Magic::NoStatusCode,
        crate::FAULT_NUMERIC_STATUS_CODE => Magic::NumericStatusCode,
        crate::FAULT_HUGE_BODY => Magic::HugeBody,
        crate::FAULT_NOT_UTF8 => Magic::NotUtf8,
        crate::FAULT_SLOW_BODY => Magic::SlowBody,
        crate::FAULT_HTTP_502 => Magic::Http502,
        crate::FAULT_RESET_MID_BODY => Magic::ResetMidBody,
        _ => return None,
    })
}

fn split_target(target: &str) -> (&str, &str) {
    // Absolute form (through a proxy): drop scheme and authority.
    let target = ["http://", "https://"]
        .iter()
        .find_map(|scheme| {
            let rest = target
                .get(..scheme.len())
                .filter(|p| p.eq_ignore_ascii_case(scheme))?;
            let rest = &target[rest.len()..];
            Some(rest.find('/').map_or("/", |i| &rest[i..]))
        })
        .unwrap_or(target);
    target.split_once('?').unwrap_or((target, ""))
}

fn handle(shared: &Shared, req: &HttpRequest, out: &mut TcpStream) -> io::Result<Next> {
    let (path, query) = split_target(&req.target);
    if path == "/_emulator" || path.starts_with("/_emulator/") {
        return control(shared, req, path, out);
    }
    let mut rec = Received {
        method: req.method.clone(),
        path: path.to_string(),
        query: query.to_string(),
        headers: req.headers.clone(),
        body: String::from_utf8_lossy(&req.body).into_owned(),
        answer_status_code: None,
        request_id: None,
    };
    let Some((sid, route)) = protocol::route_for(&req.method, path) else {
        shared.push(rec);
        let msg = format!(
            "404 Not Found: {} {path}\nThe API is POST /201512/sid/{{accountSID}}/call/{{DailbackCall.wx|CodeCallOut.wx|NoticeCall.wx|CallCdr.wx}}?Sign=... and POST /201612/sid/{{accountSID}}/account/getBlance.wx?Sign=...\n",
            req.method
        );
        return send(out, req, 404, "Not Found", TEXT, msg.as_bytes(), &[]);
    };
    let call = Call {
        sid,
        route,
        query,
        authorization: req.header("authorization"),
        content_type: req.header("content-type"),
        body: &req.body,
    };
    let accepted = match protocol::evaluate(&shared.config, &call, OffsetDateTime::now_utc()) {
        Ok(accepted) => accepted,
        Err(rejection) => {
            rec.answer_status_code = Some(rejection.code.to_string());
            shared.push(rec);
            let detail = [("X-Ytx-Emulator-Detail", header_safe(&rejection.detail))];
            let body = api_json(rejection.code, "");
            return send(out, req, 200, "OK", JSON, body.as_bytes(), &detail);
        }
    };

    // Queries: answered with their own shapes (no statusCode, like the samples).
    match accepted.kind {
        Kind::CallRecords => {
            rec.answer_status_code = Some("0".into());
            let body = shared.query_records(sid, &accepted);
            shared.push(rec);
            return send(out, req, 200, "OK", JSON, body.as_bytes(), &[]);
        }
        Kind::Balance => {
            rec.answer_status_code = Some("0".into());
            shared.push(rec);
            let fen = shared.balance_fen(sid).unwrap_or(0);
            let body = format!(
                r#"{{"AccountSID":{},"Blance":{}}}"#,
                json_str(sid),
                calls::yuan(fen)
            );
            return send(out, req, 200, "OK", JSON, body.as_bytes(), &[]);
        }
        Kind::Callback | Kind::VoiceCode | Kind::TemplateNotice => {}
    }

    let dst = accepted.get("dst").unwrap_or_default().to_string();
    let magic = magic(&dst);
    let broke = |mut rec: Received| {
        rec.answer_status_code = Some("-204".into());
        shared.push(rec);
        let detail = [(
            "X-Ytx-Emulator-Detail",
            format!(
                "balance {} fen is below {} fen",
                shared.balance_fen(sid).unwrap_or(0),
                crate::MIN_BALANCE_FEN
            ),
        )];
        (api_json("-204", ""), detail)
    };
    if let Some(Magic::Platform(n)) = magic {
        // Check 9 (the balance) comes before the magic numbers.
        if shared.balance_fen(sid).unwrap_or(0) < crate::MIN_BALANCE_FEN {
            let (body, detail) = broke(rec);
            return send(out, req, 200, "OK", JSON, body.as_bytes(), &detail);
        }
        let code = format!("-{n}");
        rec.answer_status_code = Some(code.clone());
        shared.push(rec);
        let fault = [("X-Ytx-Emulator-Fault", format!("{:?}", Magic::Platform(n)))];
        let body = api_json(&code, "");
        return send(out, req, 200, "OK", JSON, body.as_bytes(), &fault);
    }
    // Every other fault is a call the platform accepted (recorded, charged,
    // pushed) whose answer the transport then lost or mangled.
    let id = match shared.place(sid, &accepted) {
        Placed::Broke => {
            let (body, detail) = broke(rec);
            return send(out, req, 200, "OK", JSON, body.as_bytes(), &detail);
        }
        Placed::Accepted(id) => id,
    };

    let Some(magic) = magic else {
        rec.answer_status_code = Some("0".into());
        rec.request_id = Some(id.clone());
        shared.push(rec);
        return send(
            out,
            req,
            200,
            "OK",
            JSON,
            api_json("0", &id).as_bytes(),
            &[],
        );
    };
    let fault = [("X-Ytx-Emulator-Fault", format!("{magic:?}"))];
    match magic {
        Magic::Platform(_) => unreachable!("answered above"),
        Magic::SlowAnswer => {
            rec.answer_status_code = Some("0".into());
            rec.request_id = Some(id.clone());
            shared.push(rec);
            if shared.sleep(Duration::from_secs(shared.config.slow_secs)) {
                return Ok(Next::Close);
            }
            send(
                out,
                req,
                200,
                "OK",
                JSON,
                api_json("0", &id).as_bytes(),
                &fault,
            )
        }
        Magic::DropConnection => {
            shared.push(rec);
            let _ = out.shutdown(Shutdown::Both);
            Ok(Next::Close)
        }
        Magic::Http500 => {
            shared.push(rec);
            let body = "<html>\r\n<head><title>500 Internal Server Error</title></head>\r\n<body>\r\n<center><h1>500 Internal Server Error</h1></center>\r\n</body>\r\n</html>\r\n";
            send(
                out,
                req,
                500,
                "Internal Server Error",
                HTML,
                body.as_bytes(),
                &fault,
            )
        }
        Magic::Http502 => {
            shared.push(rec);
            let body = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
            send(out, req, 502, "Bad Gateway", HTML, body.as_bytes(), &fault)
        }
        Magic::NotJson => {
            shared.push(rec);
            let body = "<html><head><title>ytx.net</title></head><body><h1>系统维护中</h1><p>Service under maintenance</p></body></html>";
            send(out, req, 200, "OK", HTML, body.as_bytes(), &fault)
        }
        Magic::TruncatedJson => {
            shared.push(rec);
            let body = r#"{"statusCode":"0","statusMs"#;
            send(out, req, 200, "OK", JSON, body.as_bytes(), &fault)
        }
        Magic::NoStatusCode => {
            shared.push(rec);
            let body = format!(
                r#"{{"statusMsg":"提交成功","requestId":{}}}"#,
                json_str(&id)
            );
            send(out, req, 200, "OK", JSON, body.as_bytes(), &fault)
        }
        Magic::NumericStatusCode => {
            shared.push(rec);
            let body = format!(
                r#"{{"statusCode":0,"statusMsg":"提交成功","requestId":{}}}"#,
                json_str(&id)
            );
            send(out, req, 200, "OK", JSON, body.as_bytes(), &fault)
        }
        Magic::NotUtf8 => {
            shared.push(rec);
            // "提交成功" in GBK, declared as UTF-8.
            let mut body = br#"{"statusCode":"0","statusMsg":""#.to_vec();
            body.extend_from_slice(&[0xCC, 0xE1, 0xBD, 0xBB, 0xB3, 0xC9, 0xB9, 0xA6]);
            body.extend_from_slice(br#"","requestId":""#);
            body.extend_from_slice(id.as_bytes());
            body.extend_from_slice(br#""}"#);
            send(out, req, 200, "OK", JSON, &body, &fault)
        }
        Magic::HugeBody => {
            shared.push(rec);
            send_huge(out, req, &id, &fault)
        }
        Magic::SlowBody => {
            shared.push(rec);
            let body = api_json("0", &id).into_bytes();
            out.write_all(&head(200, "OK", JSON, body.len(), req.keep_alive, &fault))?;
            out.flush()?;
            for byte in body {
                if shared.sleep(Duration::from_millis(crate::SLOW_BODY_BYTE_INTERVAL_MS)) {
                    return Ok(Next::Close);
                }
                out.write_all(&[byte])?;
                out.flush()?;
            }
            Ok(Next::KeepAlive)
        }
        Magic::ResetMidBody => {
            shared.push(rec);
            let body = api_json("0", &id).into_bytes();
            let mut bytes = head(200, "OK", JSON, body.len(), req.keep_alive, &fault);
            bytes.extend_from_slice(&body[..body.len() / 2]);
            out.write_all(&bytes)?;
            out.flush()?;
            let _ = out.shutdown(Shutdown::Both);
            Ok(Next::Close)
        }
    }
}

/// 10 MiB of valid JSON (statusCode "0" plus a padding field), streamed.
fn send_huge(
    out: &mut TcpStream,
    req: &HttpRequest,
    id: &str,
    extra: &[(&str, String)],
) -> io::Result<Next> {
    let prefix = format!(
        r#"{{"statusCode":"0","statusMsg":"提交成功","requestId":{},"padding":""#,
        json_str(id)
    );
    let suffix = r#""}"#;
    let total = crate::HUGE_BODY_LEN;
    let mut padding = total - prefix.len() - suffix.len();
    let mut bytes = head(200, "OK", JSON, total, req.keep_alive, extra);
    bytes.extend_from_slice(prefix.as_bytes());
    out.write_all(&bytes)?;
    let chunk = [b'x'; 64 * 1024];
    while padding > 0 {
        let n = padding.min(chunk.len());
        out.write_all(&chunk[..n])?;
        padding -= n;
    }
    out.write_all(suffix.as_bytes())?;
    out.flush()?;
    Ok(Next::KeepAlive)
}

/// `/_emulator/...`: not logged.
fn control(
    shared: &Shared,
    req: &HttpRequest,
    path: &str,
    out: &mut TcpStream,
) -> io::Result<Next> {
    let known = [
        "/_emulator/requests",
        "/_emulator/count",
        "/_emulator/reset",
        "/_emulator/records",
        "/_emulator/pushes",
    ];
    match (req.method.as_str(), path) {
        ("GET", "/_emulator/requests") => {
            let body = serde_json::to_vec(&shared.log_snapshot()).expect("log serializes");
            send(out, req, 200, "OK", JSON, &body, &[])
        }
        ("GET", "/_emulator/count") => {
            let body = format!(r#"{{"count":{}}}"#, shared.log_len());
            send(out, req, 200, "OK", JSON, body.as_bytes(), &[])
        }
        ("POST", "/_emulator/reset") => {
            shared.log_clear();
            send(out, req, 200, "OK", JSON, br#"{"count":0}"#, &[])
        }
        ("GET", "/_emulator/records") => {
            let body = records_json(&shared.records_snapshot(), &shared.balances_snapshot());
            send(out, req, 200, "OK", JSON, body.as_bytes(), &[])
        }
        ("GET", "/_emulator/pushes") => {
            let body = serde_json::to_vec(&shared.pushes_snapshot()).expect("pushes serialize");
            send(out, req, 200, "OK", JSON, &body, &[])
        }
        (_, p) if known.contains(&p) => {
            let allow = if p == "/_emulator/reset" { "POST" } else { "GET" };
            send(
                out,
                req,
                405,
                "Method Not Allowed",
                TEXT,
                b"405 Method Not Allowed\n",
                &[("Allow", allow.to_string())],
            )
        }
        _ => send(
            out,
            req,
            404,
            "Not Found",
            TEXT,
            b"404 Not Found: control endpoints are GET /_emulator/requests, GET /_emulator/count, POST /_emulator/reset, GET /_emulator/records, GET /_emulator/pushes\n",
            &[],
        ),
    }
}

/// `GET /_emulator/records`: `{"records":[...],"balances":{sid: fen}}`, each
/// record's `cdr` embedded as the exact object `CallCdr.wx` serves.
fn records_json(records: &[CallRecord], balances: &[(String, u64)]) -> String {
    let items: Vec<String> = records
        .iter()
        .map(|r| {
            format!(
                r#"{{"account_sid":{},"appid":{},"request_id":{},"fid":{},"duration_secs":{},"amount_fen":{},"custom_parm":{},"cdr":{}}}"#,
                json_str(&r.account_sid),
                json_str(&r.appid),
                json_str(&r.request_id),
                r.fid,
                r.duration_secs,
                r.amount_fen,
                serde_json::to_string(&r.custom_parm).expect("serializes"),
                r.cdr
            )
        })
        .collect();
    let balances: Vec<String> = balances
        .iter()
        .map(|(sid, fen)| format!("{}:{fen}", json_str(sid)))
        .collect();
    format!(
        r#"{{"records":[{}],"balances":{{{}}}}}"#,
        items.join(","),
        balances.join(",")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_numbers() {
        assert_eq!(magic("19900000001"), Some(Magic::SlowAnswer));
        assert_eq!(magic("19900000002"), Some(Magic::DropConnection));
        assert_eq!(magic("19900000012"), Some(Magic::ResetMidBody));
        assert_eq!(magic("19900000013"), None);
        assert_eq!(magic("19900001204"), Some(Magic::Platform(204)));
        assert_eq!(magic("19900001001"), Some(Magic::Platform(1)));
        assert_eq!(magic("19900001000"), None);
        assert_eq!(magic("1990000120"), None);
        assert_eq!(magic("13911281234"), None);
    }

    #[test]
    fn request_ids_are_29_digits_unique_and_increasing() {
        let issued: Vec<(String, OffsetDateTime)> = (0..1000).map(|_| next_request_id()).collect();
        for (id, at) in &issued {
            assert_eq!(id.len(), 29);
            assert!(id.bytes().all(|c| c.is_ascii_digit()));
            // The time handed back is the id's own (the record's and the
            // pushes' acceptance time).
            assert_eq!(protocol::timestamp_of(*at), id[..14]);
        }
        let ids: Vec<String> = issued.into_iter().map(|(id, _)| id).collect();
        for w in ids.windows(2) {
            assert!(w[1] > w[0], "{} then {}", w[0], w[1]);
            assert!(id_after(&w[1], &w[0]) && !id_after(&w[0], &w[1]));
        }
    }

    #[test]
    fn id_order() {
        assert!(id_after("20200437755811196850667520400", "0"));
        assert!(!id_after("0", "0"));
        assert!(id_after("10", "9"));
        assert!(!id_after("9", "10"));
        assert!(!id_after("5", "5"));
        assert!(id_after("5", "0004"));
    }

    #[test]
    fn http_date_format() {
        // 2014-04-16T06:20:30Z was a Wednesday.
        let t = time::PrimitiveDateTime::new(
            time::Date::from_calendar_date(2014, time::Month::April, 16).unwrap(),
            time::Time::from_hms(6, 20, 30).unwrap(),
        )
        .assume_utc();
        assert_eq!(http_date(t), "Wed, 16 Apr 2014 06:20:30 GMT");
    }

    #[test]
    fn targets() {
        assert_eq!(split_target("/a/b?Sign=1"), ("/a/b", "Sign=1"));
        assert_eq!(split_target("/a/b"), ("/a/b", ""));
        assert_eq!(split_target("http://api.ytx.net/a?x=1"), ("/a", "x=1"));
        assert_eq!(split_target("http://api.ytx.net"), ("/", ""));
    }

    #[test]
    fn api_json_shape() {
        assert_eq!(
            api_json("-2", ""),
            r#"{"statusCode":"-2","statusMsg":"缺少必要参数","requestId":""}"#
        );
    }
}
