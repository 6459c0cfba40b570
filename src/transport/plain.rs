//! Plain `http://` without a proxy (the platform's own hosts): our socket
//! code, the HTTP/1.1 framing parsed by `httparse`.
//!
//! Why not ureq here too: per call it costs a multiple of a raw socket loop
//! (BENCHMARKS.md); this writes each request with one write and reads the
//! answer with as few syscalls as the deadline allows. What is parsed — the
//! status line, the header lines, chunk-size lines and trailers — goes
//! through `httparse`; this file only decides the framing from the parsed
//! headers (RFC 9112 §6.3) and counts bytes.
//!
//! Delivery rules: nothing is ever re-sent once any byte of the request may
//! have left. A pooled connection is checked before use (idle age, then a
//! non-blocking peek); one that refuses even the first byte is replaced by a
//! fresh one (the platform cannot have seen the request). Failures to
//! resolve or connect are `NOT_SENT`; anything after the first byte was
//! written is `UNKNOWN`.
//!
//! Fork rule (see the module `transport`): a pooled connection opened by
//! another process (the parent, before `fork()`) is dropped unused when taken
//! from the pool: `TcpStream`'s drop closes this process's descriptor only,
//! it never calls `shutdown()`, so the parent's connection is untouched.

use std::io::{self, Read, Write};
use std::mem::MaybeUninit;
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::{mpsc, Mutex};
use std::time::{Duration, Instant};

use super::url::{Scheme, Url};
use super::{is_timeout, malformed, not_sent_io, unknown_io, RawAnswer};
use super::{Resolver, Settings};
use crate::error::{Delivery, Error, Result};

/// Largest response head accepted (status line and headers, interim answers
/// included).
const MAX_HEAD_BYTES: usize = 16 * 1024;
/// Longest chunk-size line accepted (the size in hex and any extensions).
const MAX_CHUNK_LINE_BYTES: usize = 1024;
/// Most header lines in one head (or trailer section).
const MAX_HEADERS: usize = 64;
/// Most interim (1xx) answers before the final one.
const MAX_INTERIM: usize = 8;
/// The least time an address is given to connect when others follow it.
const MIN_CONNECT_SHARE: Duration = Duration::from_millis(10);
/// How far a socket timeout may differ from the call's remaining time before
/// it is set again: saves a `setsockopt` per call while bounding the error.
const TIMEOUT_SLACK: Duration = Duration::from_millis(50);
/// Most bytes one read asks the socket for.
const READ_BYTES: usize = 4096;

struct Conn {
    stream: TcpStream,
    /// The read and write timeouts currently set on the socket.
    read_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
    /// When it went back to the pool.
    idle_since: Instant,
    /// The process that opened it ([`super::owner`]).
    owner: u32,
    /// What each read lands in before it is appended to the answer's
    /// bytes: zeroed once when the connection is made (safe Rust can only
    /// read into initialised memory), then reused by every read of every
    /// call on it, instead of zeroing 4 KiB per read (BENCHMARKS.md, "The
    /// read buffer and the JSON").
    scratch: Box<[u8]>,
}

/// A plain-HTTP origin (`http://host[:port]`) with its connection pool.
pub(crate) struct Plain {
    /// The base URL: its origin (`http://host[:port]`) prefixes every URL
    /// this sender serves; its authority is the `Host` header; its host and
    /// port are connected to.
    url: Url,
    connect_timeout: Duration,
    timeout: Duration,
    idle_timeout: Duration,
    user_agent: &'static str,
    pool: Mutex<Vec<Conn>>,
    max_idle: usize,
    resolver: Option<Resolver>,
}

impl Plain {
    /// A sender for the base URL if it is plain `http://` (else `None`).
    pub(crate) fn for_settings(s: &Settings) -> Option<Plain> {
        let mut p = Plain::for_url(
            &s.url,
            s.connect_timeout,
            s.timeout,
            s.max_idle,
            s.user_agent,
        )?;
        p.idle_timeout = s.pool_idle_timeout;
        p.resolver = s.resolver.clone();
        Some(p)
    }

    /// The host, port and `Host` header are those `url` was parsed into
    /// (src/transport/url.rs), the same that ureq and `no_proxy` see.
    fn for_url(
        url: &Url,
        connect_timeout: Duration,
        timeout: Duration,
        max_idle: usize,
        user_agent: &'static str,
    ) -> Option<Plain> {
        if url.scheme != Scheme::Http {
            return None;
        }
        Some(Plain {
            url: url.clone(),
            connect_timeout,
            timeout,
            idle_timeout: super::DEFAULT_POOL_IDLE_TIMEOUT,
            user_agent,
            pool: Mutex::new(Vec::new()),
            max_idle,
            resolver: None,
        })
    }

    /// The request target for `url`, if this sender serves it.
    pub(crate) fn target<'u>(&self, url: &'u str) -> Option<&'u str> {
        url.strip_prefix(self.url.origin())
            .filter(|t| t.starts_with('/'))
    }

    /// POST `body` to `target` (path and query) with `headers`, once.
    /// Reads at most [`super::body_limit`] bytes of the answer's body.
    pub(crate) fn post(
        &self,
        target: &str,
        headers: &[(&str, &str)],
        body: &[u8],
        max_body: u64,
    ) -> Result<RawAnswer> {
        // The whole-call deadline, afresh for this call.
        let deadline = Instant::now() + self.timeout;
        let request = self.request_bytes(target, headers, body);

        // A pooled connection that is still open, else a new one. If the
        // kernel refuses even the first byte on a pooled connection, nothing
        // reached the server: try once more on a fresh connection.
        let mut conn = match self.pooled() {
            Some(conn) => conn,
            None => self.connect(deadline)?,
        };
        let mut written = write_request(&mut conn, &request, deadline);
        if matches!(written, Err((0, _))) {
            conn = self.connect(deadline)?;
            written = write_request(&mut conn, &request, deadline);
        }
        if let Err((n, e)) = written {
            return Err(if n == 0 {
                not_sent_io(&e, "sending the request")
            } else {
                unknown_io(&e, "sending the request")
            });
        }

        let (answer, reusable) = read_answer(&mut conn, deadline, max_body)?;
        if reusable {
            conn.idle_since = Instant::now();
            let mut pool = self.pool.lock().unwrap_or_else(|p| p.into_inner());
            let (idle, me) = (self.idle_timeout, conn.owner);
            pool.retain(|c| c.owner == me && c.idle_since.elapsed() < idle);
            if pool.len() < self.max_idle {
                pool.push(conn);
            }
        }
        Ok(answer)
    }

    fn request_bytes(&self, target: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
        let mut req = Vec::with_capacity(256 + target.len() + body.len());
        let mut put = |parts: &[&[u8]]| parts.iter().for_each(|p| req.extend_from_slice(p));
        put(&[
            b"POST ",
            target.as_bytes(),
            b" HTTP/1.1\r\nHost: ",
            self.url.authority.as_bytes(),
        ]);
        put(&[b"\r\nUser-Agent: ", self.user_agent.as_bytes(), b"\r\n"]);
        for (k, v) in headers {
            put(&[k.as_bytes(), b": ", v.as_bytes(), b"\r\n"]);
        }
        let mut digits = [0; 20];
        put(&[
            b"Content-Length: ",
            crate::request::decimal(body.len() as u64, &mut digits).as_bytes(),
            b"\r\n\r\n",
            body,
        ]);
        req
    }

    /// The newest idle connection of this process that is young enough and
    /// that the server has not closed. Older ones than the idle limit are
    /// closed: a NAT or load balancer may have dropped them without a word.
    /// Another process's (inherited through `fork()`) are dropped untouched:
    /// not even peeked at (a peek could see the other process's answer).
    /// The process id is asked for only once a connection is taken (an
    /// empty pool costs no `getpid`; the new connection's tag asks anyway).
    fn pooled(&self) -> Option<Conn> {
        let mut me = None;
        loop {
            let conn = self.pool.lock().unwrap_or_else(|p| p.into_inner()).pop()?;
            if conn.owner != *me.get_or_insert_with(super::owner) {
                // Drop closes our descriptor only (no shutdown(), nothing
                // written): the process that opened it goes on using it.
                drop(conn);
                continue;
            }
            if conn.idle_since.elapsed() < self.idle_timeout && still_open(&conn.stream) {
                return Some(conn);
            }
        }
    }

    /// Resolve and connect, both within the connect timeout (and the call's
    /// deadline). The connect timeout is shared across the resolved
    /// addresses, as ureq shares it (a geometric series: each address but
    /// the last gets half of what is left, the last all of it), so that one
    /// dead address (an unreachable IPv6 listed first, a host gone from a
    /// round robin) does not take the whole budget and fail every new
    /// connection: the next address still gets its turn.
    fn connect(&self, deadline: Instant) -> Result<Conn> {
        let connect_deadline = deadline.min(Instant::now() + self.connect_timeout);
        let addrs = self.resolve(connect_deadline)?;
        let mut last = None;
        for (i, addr) in addrs.iter().enumerate() {
            let left = remaining(connect_deadline)
                .ok_or_else(|| Error::timeout(Delivery::NotSent, "connecting"))?;
            let share = if i + 1 == addrs.len() {
                left
            } else {
                (left / 2).max(MIN_CONNECT_SHARE).min(left)
            };
            match TcpStream::connect_timeout(addr, share) {
                Ok(stream) => {
                    // Best effort: Nagle only delays our single write.
                    let _ = stream.set_nodelay(true);
                    return Ok(Conn {
                        stream,
                        read_timeout: None,
                        write_timeout: None,
                        idle_since: Instant::now(),
                        owner: super::owner(),
                        scratch: vec![0; READ_BYTES].into_boxed_slice(),
                    });
                }
                Err(e) => last = Some(e),
            }
        }
        Err(match last {
            Some(e) if is_timeout(&e) => {
                Error::timeout(Delivery::NotSent, "connecting").with_io(&e)
            }
            Some(e) => Error::not_sent(format!("connect failed: {e}")).with_io(&e),
            None => Error::not_sent(format!("DNS lookup of {} found no address", self.url.host)),
        })
    }

    /// The host's addresses. An IP address needs no lookup; a name is looked
    /// up on a helper thread so that a stuck resolver cannot hold the call
    /// past `deadline` (the thread ends on its own when the lookup does).
    fn resolve(&self, deadline: Instant) -> Result<Vec<SocketAddr>> {
        if let Ok(ip) = self.url.host.parse::<IpAddr>() {
            return Ok(vec![SocketAddr::new(ip, self.url.port)]);
        }
        let failed = |e: io::Error| {
            Error::not_sent(format!("DNS lookup of {} failed: {e}", self.url.host)).with_io(&e)
        };
        let left = remaining(deadline)
            .ok_or_else(|| Error::timeout(Delivery::NotSent, "resolving the host"))?;
        let (tx, rx) = mpsc::channel();
        let (host, port, resolver) = (self.url.host.clone(), self.url.port, self.resolver.clone());
        std::thread::Builder::new()
            .name("ytx-dns".into())
            .spawn(move || {
                let found = match resolver {
                    Some(r) => r(&host, port),
                    None => (host.as_str(), port)
                        .to_socket_addrs()
                        .map(Iterator::collect),
                };
                let _ = tx.send(found);
            })
            .map_err(failed)?;
        match rx.recv_timeout(left) {
            Ok(found) => found.map_err(failed),
            Err(mpsc::RecvTimeoutError::Timeout) => Err(Error::timeout(
                Delivery::NotSent,
                "resolving the host (DNS)",
            )),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                Err(failed(io::Error::other("the lookup failed")))
            }
        }
    }
}

fn remaining(deadline: Instant) -> Option<Duration> {
    deadline
        .checked_duration_since(Instant::now())
        .filter(|d| !d.is_zero())
}

/// Whether `current` is close enough to `left` to keep (see TIMEOUT_SLACK).
fn close_enough(current: Option<Duration>, left: Duration) -> bool {
    current.is_some_and(|t| t <= left + TIMEOUT_SLACK && t + TIMEOUT_SLACK >= left)
}

/// Whether an idle pooled connection is still open: one non-blocking peek
/// at one byte. Data or EOF means the server closed it (or broke the
/// protocol); only "would block" (nothing to read) means open.
///
/// On unix this is one `recv(MSG_PEEK | MSG_DONTWAIT)` through `socket2`
/// (the rust-lang crate that wraps socket calls std does not offer; its
/// `unsafe` stays in the crate, this crate's stays in `src/ffi`): one system
/// call instead of std's three (non-blocking on, peek, off).
#[cfg(unix)]
fn still_open(stream: &TcpStream) -> bool {
    let mut byte = [std::mem::MaybeUninit::<u8>::uninit(); 1];
    let flags = libc::MSG_PEEK | libc::MSG_DONTWAIT;
    loop {
        match socket2::SockRef::from(stream).recv_with_flags(&mut byte, flags) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return e.kind() == io::ErrorKind::WouldBlock,
            Ok(_) => return false,
        }
    }
}

/// Elsewhere (Windows has no per-call non-blocking flag): std only,
/// non-blocking on, peek, off.
#[cfg(not(unix))]
fn still_open(stream: &TcpStream) -> bool {
    let mut byte = [0u8; 1];
    if stream.set_nonblocking(true).is_err() {
        return false;
    }
    let open = matches!(stream.peek(&mut byte), Err(e) if e.kind() == io::ErrorKind::WouldBlock);
    open && stream.set_nonblocking(false).is_ok()
}

/// Write the whole request; on failure, how many bytes had been accepted.
fn write_request(
    conn: &mut Conn,
    request: &[u8],
    deadline: Instant,
) -> std::result::Result<(), (usize, io::Error)> {
    let mut done = 0;
    while done < request.len() {
        let left = remaining(deadline).ok_or((done, io::Error::from(io::ErrorKind::TimedOut)))?;
        if !close_enough(conn.write_timeout, left) {
            conn.stream
                .set_write_timeout(Some(left))
                .map_err(|e| (done, e))?;
            conn.write_timeout = Some(left);
        }
        match conn.stream.write(&request[done..]) {
            Ok(0) => return Err((done, io::Error::from(io::ErrorKind::WriteZero))),
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            // A timeout that fired early (within the slack): go on.
            Err(e) if is_timeout(&e) && remaining(deadline).is_some() => {
                conn.write_timeout = None;
            }
            Err(e) => return Err((done, e)),
        }
    }
    Ok(())
}

/// Read from the connection (at most [`READ_BYTES`] at a time), appending
/// to `buf`; 0 at end of stream. Honours the whole-call deadline: the
/// socket's read timeout is set to what is left of it whenever it differs
/// by more than the slack (so a short timeout left from the end of a slow
/// call never carries over).
fn fill(conn: &mut Conn, buf: &mut Vec<u8>, deadline: Instant) -> Result<usize> {
    loop {
        let Some(left) = remaining(deadline) else {
            return Err(Error::timeout(Delivery::Unknown, "waiting for the answer"));
        };
        if !close_enough(conn.read_timeout, left) {
            if let Err(e) = conn.stream.set_read_timeout(Some(left)) {
                return Err(unknown_io(&e, "waiting for the answer"));
            }
            conn.read_timeout = Some(left);
        }
        match conn.stream.read(&mut conn.scratch) {
            Ok(n) => {
                buf.extend_from_slice(&conn.scratch[..n]);
                return Ok(n);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            // A timeout that fired early (within the slack): re-arm, go on.
            Err(e) if is_timeout(&e) && remaining(deadline).is_some() => {
                conn.read_timeout = None;
            }
            Err(e) => return Err(unknown_io(&e, "waiting for the answer")),
        }
    }
}

fn closed_early(what: &str) -> Error {
    Error::outcome_unknown(format!("the server closed the connection {what}"))
}

/// How the body of an answer is delimited (RFC 9112 §6.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Framing {
    /// No body: 204, 304 (and 1xx).
    Empty,
    /// `Content-Length`.
    Sized(u64),
    /// `Transfer-Encoding` ending in `chunked`.
    Chunked,
    /// Until the server closes: no length, or a transfer coding other than
    /// chunked last.
    ToClose,
}

/// What the head says, from `httparse`'s parse of it.
#[derive(Debug)]
struct Head {
    status: u16,
    framing: Framing,
    /// The connection may carry another request after this answer.
    keep_alive: bool,
}

/// The parser: lenient where RFC 9112 lets a recipient be (bare LF line
/// ends, obs-fold in responses, spaces before a header's colon), strict
/// elsewhere.
fn parser() -> httparse::ParserConfig {
    let mut config = httparse::ParserConfig::default();
    config
        .allow_obsolete_multiline_headers_in_responses(true)
        .allow_spaces_after_header_name_in_responses(true);
    config
}

/// The comma-separated elements of a header value (obs-fold and other
/// whitespace around them dropped), empty ones skipped.
fn elements(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value
        .split(|b| *b == b',')
        .map(|e| e.trim_ascii())
        .filter(|e| !e.is_empty())
}

impl Head {
    /// From a complete parsed head.
    fn from_parsed(response: &httparse::Response<'_, '_>) -> Result<Head> {
        let status = response.code.ok_or_else(|| malformed("no status code"))?;
        let http11 = response.version == Some(1);
        let mut content_length: Option<u64> = None;
        let mut codings: Option<bool> = None; // Some(last is chunked)
        let mut close = false;
        let mut keep_alive_token = false;
        for h in response.headers.iter() {
            if h.name.eq_ignore_ascii_case("content-length") {
                for e in elements(h.value) {
                    // 1*DIGIT: no sign, no space, no hex.
                    let n = std::str::from_utf8(e)
                        .ok()
                        .filter(|t| t.bytes().all(|b| b.is_ascii_digit()))
                        .and_then(|t| t.parse::<u64>().ok())
                        .ok_or_else(|| malformed("bad Content-Length"))?;
                    if content_length.is_some_and(|m| m != n) {
                        return Err(malformed("conflicting Content-Length values"));
                    }
                    content_length = Some(n);
                }
            } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
                if let Some(last) = elements(h.value).last() {
                    let coding = last
                        .split(|b| *b == b';')
                        .next()
                        .unwrap_or(b"")
                        .trim_ascii();
                    codings = Some(coding.eq_ignore_ascii_case(b"chunked"));
                }
            } else if h.name.eq_ignore_ascii_case("connection") {
                for e in elements(h.value) {
                    close |= e.eq_ignore_ascii_case(b"close");
                    keep_alive_token |= e.eq_ignore_ascii_case(b"keep-alive");
                }
            }
        }
        let mut keep_alive = !close && (http11 || keep_alive_token);
        let framing = if status == 204 || status == 304 || (100..200).contains(&status) {
            Framing::Empty
        } else if let Some(chunked) = codings {
            // Transfer-Encoding wins over Content-Length, but a message with
            // both may be an attempt at request smuggling: do not reuse the
            // connection (RFC 9112 §6.1). An HTTP/1.0 answer with a transfer
            // coding has faulty framing: close after it too (§6.3).
            if content_length.is_some() || !http11 {
                keep_alive = false;
            }
            if chunked {
                Framing::Chunked
            } else {
                Framing::ToClose
            }
        } else if let Some(n) = content_length {
            Framing::Sized(n)
        } else {
            Framing::ToClose
        };
        if framing == Framing::ToClose {
            keep_alive = false;
        }
        Ok(Head {
            status,
            framing,
            keep_alive,
        })
    }
}

/// Parse the head at the start of `buf`: `Some((head, its length))`, or
/// `None` if more bytes are needed.
fn parse_head(buf: &[u8]) -> Result<Option<(Head, usize)>> {
    // Slots left uninitialised (httparse writes each one it fills and
    // hands back only those): the 64 slots, 2 KiB, are not zeroed per parse.
    let mut headers = [const { MaybeUninit::uninit() }; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut []);
    match parser().parse_response_with_uninit_headers(&mut response, buf, &mut headers) {
        Ok(httparse::Status::Complete(n)) => Ok(Some((Head::from_parsed(&response)?, n))),
        Ok(httparse::Status::Partial) => Ok(None),
        Err(httparse::Error::TooManyHeaders) => {
            Err(malformed(format!("more than {MAX_HEADERS} header lines")))
        }
        Err(e) => Err(malformed(e)),
    }
}

/// Read one answer. Returns it and whether the connection may be reused.
fn read_answer(conn: &mut Conn, deadline: Instant, max_body: u64) -> Result<(RawAnswer, bool)> {
    let mut buf = Vec::new();
    let mut interim = 0;
    loop {
        let (head, head_len) = loop {
            // (Nothing to parse before the first read.)
            if !buf.is_empty() {
                if let Some(parsed) = parse_head(&buf)? {
                    break parsed;
                }
            }
            if buf.len() > MAX_HEAD_BYTES {
                return Err(malformed(format_args!(
                    "head larger than {} KiB",
                    MAX_HEAD_BYTES / 1024
                )));
            }
            if fill(conn, &mut buf, deadline)? == 0 {
                return Err(closed_early(if buf.is_empty() {
                    "before answering"
                } else {
                    "in the middle of the answer's head"
                }));
            }
        };
        buf.drain(..head_len);
        if head.status == 101 {
            return Err(malformed(
                "101 Switching Protocols to a request that asked for none",
            ));
        }
        if (100..200).contains(&head.status) {
            interim += 1;
            if interim > MAX_INTERIM {
                return Err(malformed("too many interim (1xx) answers"));
            }
            continue; // 100 Continue, 103 Early Hints: the real one follows
        }
        let limit = super::body_limit(head.status, max_body);
        let (body, complete) = match head.framing {
            Framing::Empty => (Vec::new(), buf.is_empty()),
            Framing::Sized(len) => read_sized(conn, buf, deadline, len, limit)?,
            Framing::Chunked => read_chunked(conn, buf, deadline, limit)?,
            Framing::ToClose => read_to_close(conn, buf, deadline, limit)?,
        };
        return Ok((
            RawAnswer {
                status: head.status,
                body,
            },
            complete && head.keep_alive,
        ));
    }
}

/// A body of `len` bytes; keeps at most `limit`. Complete means exactly the
/// body was read (nothing after it: anything more breaks the framing).
fn read_sized(
    conn: &mut Conn,
    mut buf: Vec<u8>,
    deadline: Instant,
    len: u64,
    limit: u64,
) -> Result<(Vec<u8>, bool)> {
    let want = len.min(limit);
    while (buf.len() as u64) < want {
        if fill(conn, &mut buf, deadline)? == 0 {
            return Err(closed_early("in the middle of the answer"));
        }
    }
    let complete = buf.len() as u64 == len;
    buf.truncate(usize::try_from(want).unwrap_or(usize::MAX));
    Ok((buf, complete))
}

/// A body delimited by the server closing the connection.
fn read_to_close(
    conn: &mut Conn,
    mut buf: Vec<u8>,
    deadline: Instant,
    limit: u64,
) -> Result<(Vec<u8>, bool)> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    while buf.len() < limit {
        if fill(conn, &mut buf, deadline)? == 0 {
            break;
        }
    }
    buf.truncate(limit);
    Ok((buf, false))
}

/// A chunked body; keeps at most `limit` bytes of data. Chunk-size lines and
/// trailers are parsed by `httparse`; sizes are counted in `u64`, never
/// added to buffer positions.
fn read_chunked(
    conn: &mut Conn,
    mut raw: Vec<u8>,
    deadline: Instant,
    limit: u64,
) -> Result<(Vec<u8>, bool)> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let mut body = Vec::new();
    let mut pos = 0;
    let mut more = |raw: &mut Vec<u8>, pos: &mut usize| -> Result<()> {
        raw.drain(..*pos);
        *pos = 0;
        if fill(conn, raw, deadline)? == 0 {
            return Err(closed_early("in the middle of the answer"));
        }
        Ok(())
    };
    loop {
        // The chunk-size line.
        let size = loop {
            match httparse::parse_chunk_size(&raw[pos..]) {
                Ok(httparse::Status::Complete((n, size))) => {
                    pos += n;
                    break size;
                }
                Ok(httparse::Status::Partial) if raw.len() - pos <= MAX_CHUNK_LINE_BYTES => {
                    more(&mut raw, &mut pos)?
                }
                Ok(httparse::Status::Partial) => return Err(malformed("chunk size line too long")),
                Err(_) => return Err(malformed("bad chunk size")),
            }
        };
        if size == 0 {
            // The trailer section, up to its empty line; then done.
            loop {
                let mut trailers = [httparse::EMPTY_HEADER; MAX_HEADERS];
                match httparse::parse_headers(&raw[pos..], &mut trailers) {
                    Ok(httparse::Status::Complete((n, _))) => {
                        let complete = pos + n == raw.len();
                        return Ok((body, complete));
                    }
                    Ok(httparse::Status::Partial) if raw.len() - pos <= MAX_HEAD_BYTES => {
                        more(&mut raw, &mut pos)?
                    }
                    Ok(httparse::Status::Partial) => return Err(malformed("trailers too large")),
                    Err(e) => return Err(malformed(format!("trailers: {e}"))),
                }
            }
        }
        // The chunk's data.
        let mut left = size;
        while left > 0 {
            if pos == raw.len() {
                more(&mut raw, &mut pos)?;
            }
            let here = raw.len() - pos;
            let take = usize::try_from(left).map_or(here, |l| l.min(here));
            let keep = take.min(limit - body.len());
            body.extend_from_slice(&raw[pos..pos + keep]);
            pos += take;
            left -= take as u64;
            if body.len() >= limit {
                return Ok((body, false)); // over the limit: the caller refuses it
            }
        }
        // The CRLF after the data (a bare LF is accepted).
        loop {
            match &raw[pos..] {
                [b'\r', b'\n', ..] => pos += 2,
                [b'\n', ..] => pos += 1,
                [] | [b'\r'] => {
                    more(&mut raw, &mut pos)?;
                    continue;
                }
                _ => return Err(malformed("chunk data not followed by CRLF")),
            }
            break;
        }
        if pos > 4096 {
            raw.drain(..pos);
            pos = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    fn sender(url: &str) -> Plain {
        Plain::for_url(
            &Url::base(url, "base_url").unwrap(),
            Duration::from_secs(1),
            Duration::from_secs(2),
            4,
            "ytx/test",
        )
        .unwrap()
    }

    #[test]
    fn base_urls() {
        let p = sender("http://api.ytx.net");
        assert_eq!((p.url.host.as_str(), p.url.port), ("api.ytx.net", 80));
        assert_eq!(
            p.target("http://api.ytx.net/201512/x?Sign=1"),
            Some("/201512/x?Sign=1")
        );
        assert_eq!(p.target("http://api.ytx.net.evil/x"), None);
        let p = sender("http://127.0.0.1:8080/gw");
        assert_eq!((p.url.host.as_str(), p.url.port), ("127.0.0.1", 8080));
        assert_eq!(
            p.target("http://127.0.0.1:8080/gw/201512"),
            Some("/gw/201512")
        );
        let p = sender("http://[::1]:9000");
        assert_eq!((p.url.host.as_str(), p.url.port), ("::1", 9000));
        let p = sender("http://[::1]");
        assert_eq!((p.url.host.as_str(), p.url.port), ("::1", 80));
        // Scheme and host in any case: the URL is normalised once.
        let p = sender("HTTP://API.ytx.net:8080/GW/");
        assert_eq!(
            (p.url.host.as_str(), p.url.port, p.url.authority.as_str()),
            ("api.ytx.net", 8080, "api.ytx.net:8080")
        );
        assert_eq!(p.target("http://api.ytx.net:8080/GW/x"), Some("/GW/x"));
        let https = Url::base("https://x", "base_url").unwrap();
        assert!(Plain::for_url(&https, Duration::ZERO, Duration::ZERO, 1, "").is_none());
    }

    /// A one-connection server: for each answer, reads one request and
    /// writes the answer in pieces of 7 bytes.
    fn serve(answers: Vec<Vec<u8>>) -> (String, std::thread::JoinHandle<Vec<Vec<u8>>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let handle = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut got = vec![];
            for answer in answers {
                let mut req = vec![0u8; 8192];
                let n = s.read(&mut req).unwrap();
                got.push(req[..n].to_vec());
                for piece in answer.chunks(7) {
                    // The client may rightly hang up early (e.g. on garbage):
                    // a broken pipe here is not the test's failure.
                    if s.write_all(piece).and_then(|()| s.flush()).is_err() {
                        break;
                    }
                }
            }
            got
        });
        (url, handle)
    }

    #[test]
    fn one_write_keep_alive_and_reuse() {
        let ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi".to_vec();
        let (url, server) = serve(vec![ok.clone(), ok]);
        let p = sender(&url);
        for _ in 0..2 {
            let a = p
                .post("/p?Sign=X", &[("Authorization", "abc")], b"{}", 100)
                .unwrap();
            assert_eq!((a.status, a.body.as_slice()), (200, &b"hi"[..]));
        }
        let got = server.join().unwrap();
        let first = String::from_utf8(got[0].clone()).unwrap();
        assert!(
            first.starts_with("POST /p?Sign=X HTTP/1.1\r\nHost: 127.0.0.1:"),
            "{first}"
        );
        assert!(
            first.contains("\r\nAuthorization: abc\r\nContent-Length: 2\r\n\r\n{}"),
            "{first}"
        );
        assert_eq!(got.len(), 2, "the second request reused the connection");
    }

    #[test]
    fn still_open_is_only_an_idle_connection_and_consumes_nothing() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut ours = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (mut theirs, _) = listener.accept().unwrap();
        assert!(still_open(&ours), "nothing to read: open");
        // A blocking peek waits for the byte (or EOF) without taking it.
        theirs.write_all(b"x").unwrap();
        ours.peek(&mut [0u8; 1]).unwrap();
        assert!(!still_open(&ours), "unread data: not reusable");
        assert!(!still_open(&ours), "and the peek took nothing");
        drop(theirs);
        let mut got = Vec::new();
        ours.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        ours.read_to_end(&mut got).unwrap();
        assert_eq!(
            got, b"x",
            "the byte was still there, then EOF (blocking reads)"
        );
        assert!(!still_open(&ours), "closed by the server: not reusable");
    }

    #[test]
    fn chunked_and_interim_answers() {
        let answer =
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=1\r\nabc\r\n2\r\nde\r\n0\r\nT: 1\r\n\r\n".to_vec();
        let (url, server) = serve(vec![answer]);
        let a = sender(&url).post("/", &[], b"", 100).unwrap();
        assert_eq!(a.body, b"abcde");
        server.join().unwrap();
    }

    #[test]
    fn bodies_are_bounded() {
        let mut answer = b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n".to_vec();
        answer.extend(std::iter::repeat_n(b'x', 100_000));
        let (url, server) = serve(vec![answer]);
        let a = sender(&url).post("/", &[], b"", 10).unwrap();
        assert_eq!(a.body.len(), 11, "at most max_body + 1 bytes");
        drop(server); // the server may see a reset: we stopped reading
    }

    #[test]
    fn delivery_states() {
        // Nothing listens: not sent.
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let e = sender(&format!("http://127.0.0.1:{port}"))
            .post("/", &[], b"", 10)
            .unwrap_err();
        assert_eq!(e.delivery(), Delivery::NotSent, "{e}");
        // Closed before answering: unknown.
        let (url, server) = serve(vec![vec![]]);
        let e = sender(&url).post("/", &[], b"", 10).unwrap_err();
        assert_eq!(e.delivery(), Delivery::Unknown, "{e}");
        server.join().unwrap();
        // Garbage: a protocol error.
        let (url, server) = serve(vec![b"SSH-2.0-OpenSSH\r\n\r\n".to_vec()]);
        let e = sender(&url).post("/", &[], b"", 10).unwrap_err();
        assert_eq!(e.code(), crate::ErrorCode::Protocol, "{e}");
        server.join().unwrap();
    }

    fn head(bytes: &[u8]) -> Result<Head> {
        parse_head(bytes).map(|h| h.expect("a complete head").0)
    }

    #[test]
    fn heads() {
        let h = head(b"HTTP/1.0 502 Bad Gateway\r\nContent-Length: 3\r\n\r\n").unwrap();
        assert_eq!(
            (h.status, h.framing, h.keep_alive),
            (502, Framing::Sized(3), false)
        );
        let h = head(b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 3\r\n\r\n")
            .unwrap();
        assert!(h.keep_alive);
        let h = head(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").unwrap();
        assert!(!h.keep_alive);
        let h = head(b"HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, chunked\r\n\r\n").unwrap();
        assert_eq!((h.framing, h.keep_alive), (Framing::Chunked, true));
        // Transfer-Encoding wins over Content-Length; the connection closes.
        let h = head(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n")
            .unwrap();
        assert_eq!((h.framing, h.keep_alive), (Framing::Chunked, false));
        // A coding other than chunked last: read to close.
        let h = head(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\nContent-Length: 5\r\n\r\n",
        )
        .unwrap();
        assert_eq!((h.framing, h.keep_alive), (Framing::ToClose, false));
        // 204/304: no body whatever the headers say.
        for s in [
            &b"HTTP/1.1 204 No Content\r\n\r\n"[..],
            b"HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n",
        ] {
            let h = head(s).unwrap();
            assert_eq!((h.framing, h.keep_alive), (Framing::Empty, true));
        }
        // Bare LF line ends, obs-fold, a non-UTF-8 reason and header value.
        let h = head(b"HTTP/1.1 200 \xb3\xc9\xb9\xa6\nX: a\n b\nY: \xff\nContent-Length: 1\n\n")
            .unwrap();
        assert_eq!((h.status, h.framing), (200, Framing::Sized(1)));
        // Identical repeated lengths are one; different ones, signs, hex: no.
        assert_eq!(
            head(b"HTTP/1.1 200 OK\r\nContent-Length: 4, 4\r\n\r\n")
                .unwrap()
                .framing,
            Framing::Sized(4)
        );
        for bad in [
            &b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"[..],
            b"HTTP/1.1 200 OK\r\nContent-Length: +1\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 0x1\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
            b"HTTP/2 200\r\n\r\n",
            b"HTTP/1.1 20 OK\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
        ] {
            assert!(head(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
