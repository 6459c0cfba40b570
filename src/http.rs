//! A small keep-alive HTTP/1.1 sender for plain `http://` base URLs without a
//! proxy: the platform's own hosts. `https://` and proxies go through ureq.
//!
//! Why not ureq for these too: per call, ureq 2 makes about a dozen
//! `setsockopt` calls, extra liveness syscalls and two writes (head, body),
//! which put it at a quarter of the loopback floor (BENCHMARKS.md). This sends
//! each request with one write and reads the answer with as few syscalls as
//! the deadline allows.
//!
//! Delivery rules (the reason this module exists in the open rather than as
//! a detail): nothing is ever re-sent once any byte of the request may have
//! left. A pooled connection is checked before use; a connection that fails
//! before a single byte of the request was accepted by the kernel is
//! replaced by a fresh one (the platform cannot have seen the request).
//! Failures to resolve or connect are `NOT_SENT`; anything after the first
//! byte was written is `UNKNOWN`.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::{Delivery, Error, Result};

/// Largest response head accepted.
const MAX_HEAD_BYTES: usize = 16 * 1024;
/// How much a read timeout may exceed the call's remaining time before it is
/// set again: saves a `setsockopt` per call while bounding the overshoot.
const TIMEOUT_SLACK: Duration = Duration::from_millis(50);

/// The answer: status and (bounded) body.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) body: Vec<u8>,
}

struct Conn {
    stream: TcpStream,
    /// The read timeout currently set on the socket.
    read_timeout: Option<Duration>,
}

/// A plain-HTTP origin (`http://host[:port]`) with its connection pool.
pub(crate) struct Plain {
    /// `http://host[:port]`, the prefix of every URL this sender serves.
    origin: String,
    /// The `Host` header value.
    host_header: String,
    host: String,
    port: u16,
    connect_timeout: Duration,
    timeout: Duration,
    user_agent: &'static str,
    pool: Mutex<Vec<Conn>>,
    max_idle: usize,
}

impl Plain {
    /// A sender for `base_url` if it is plain `http://` (else `None`).
    pub(crate) fn for_base_url(
        base_url: &str,
        connect_timeout: Duration,
        timeout: Duration,
        max_idle: usize,
        user_agent: &'static str,
    ) -> Option<Plain> {
        let rest = base_url.strip_prefix("http://")?;
        let authority = rest.split('/').next().unwrap_or("");
        if authority.is_empty() || authority.contains('@') {
            return None; // userinfo in the URL: leave it to ureq
        }
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => match p.parse::<u16>() {
                Ok(port) if !h.is_empty() && !h.contains(']') || h.starts_with('[') => (h, port),
                _ => return None,
            },
            _ => (authority, 80),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            return None;
        }
        Some(Plain {
            origin: format!("http://{authority}"),
            host_header: authority.to_string(),
            host: host.to_string(),
            port,
            connect_timeout,
            timeout,
            user_agent,
            pool: Mutex::new(Vec::new()),
            max_idle,
        })
    }

    /// The request target for `url`, if this sender serves it.
    pub(crate) fn target<'u>(&self, url: &'u str) -> Option<&'u str> {
        url.strip_prefix(self.origin.as_str())
            .filter(|t| t.starts_with('/'))
    }

    /// POST `body` to `target` (path and query) with `headers`, once.
    /// Reads at most `max_body + 1` bytes of a 200 answer's body and 512 of
    /// any other (for the error message).
    pub(crate) fn post(
        &self,
        target: &str,
        headers: &[(&str, &str)],
        body: &[u8],
        max_body: u64,
    ) -> Result<Answer> {
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
            let mut pool = self.pool.lock().unwrap_or_else(|p| p.into_inner());
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
            self.host_header.as_bytes(),
        ]);
        put(&[b"\r\nUser-Agent: ", self.user_agent.as_bytes(), b"\r\n"]);
        for (k, v) in headers {
            put(&[k.as_bytes(), b": ", v.as_bytes(), b"\r\n"]);
        }
        put(&[
            b"Content-Length: ",
            body.len().to_string().as_bytes(),
            b"\r\n\r\n",
            body,
        ]);
        req
    }

    /// The newest idle connection that the server has not closed.
    fn pooled(&self) -> Option<Conn> {
        loop {
            let conn = self.pool.lock().unwrap_or_else(|p| p.into_inner()).pop()?;
            if still_open(&conn.stream) {
                return Some(conn);
            }
        }
    }

    fn connect(&self, deadline: Instant) -> Result<Conn> {
        let addrs: Vec<SocketAddr> = (self.host.as_str(), self.port)
            .to_socket_addrs()
            .map_err(|e| Error::Transport {
                delivery: Delivery::YTX_DELIVERY_NOT_SENT,
                message: format!("DNS lookup of {} failed: {e}", self.host),
            })?
            .collect();
        let mut last = None;
        for addr in &addrs {
            let left = remaining(deadline)
                .ok_or_else(|| timeout(Delivery::YTX_DELIVERY_NOT_SENT, "connecting"))?;
            match TcpStream::connect_timeout(addr, self.connect_timeout.min(left)) {
                Ok(stream) => {
                    // Best effort: Nagle only delays our single write.
                    let _ = stream.set_nodelay(true);
                    return Ok(Conn {
                        stream,
                        read_timeout: None,
                    });
                }
                Err(e) => last = Some(e),
            }
        }
        Err(match last {
            Some(e) if is_timeout(&e) => timeout(Delivery::YTX_DELIVERY_NOT_SENT, "connecting"),
            Some(e) => Error::Transport {
                delivery: Delivery::YTX_DELIVERY_NOT_SENT,
                message: format!("connect failed: {e}"),
            },
            None => Error::Transport {
                delivery: Delivery::YTX_DELIVERY_NOT_SENT,
                message: format!("DNS lookup of {} found no address", self.host),
            },
        })
    }
}

fn remaining(deadline: Instant) -> Option<Duration> {
    deadline
        .checked_duration_since(Instant::now())
        .filter(|d| !d.is_zero())
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
    )
}

fn timeout(delivery: Delivery, during: &str) -> Error {
    Error::Timeout {
        delivery,
        message: during.to_string(),
    }
}

fn not_sent_io(e: &io::Error, during: &str) -> Error {
    if is_timeout(e) {
        timeout(Delivery::YTX_DELIVERY_NOT_SENT, during)
    } else {
        Error::Transport {
            delivery: Delivery::YTX_DELIVERY_NOT_SENT,
            message: format!("{during}: {e}"),
        }
    }
}

fn unknown_io(e: &io::Error, during: &str) -> Error {
    if is_timeout(e) {
        timeout(Delivery::YTX_DELIVERY_UNKNOWN, during)
    } else {
        Error::Transport {
            delivery: Delivery::YTX_DELIVERY_UNKNOWN,
            message: format!("{during}: {e}"),
        }
    }
}

/// Whether an idle pooled connection is still open: one non-blocking peek
/// (std only: non-blocking on, peek, off). Data or EOF means the server
/// closed it (or broke the protocol).
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
    let left = remaining(deadline).ok_or((0, io::Error::from(io::ErrorKind::TimedOut)))?;
    conn.stream
        .set_write_timeout(Some(left))
        .map_err(|e| (0, e))?;
    let mut done = 0;
    while done < request.len() {
        match conn.stream.write(&request[done..]) {
            Ok(0) => return Err((done, io::Error::from(io::ErrorKind::WriteZero))),
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err((done, e)),
        }
    }
    Ok(())
}

/// Read from the connection into `buf`, honouring the whole-call deadline.
fn read_some(conn: &mut Conn, buf: &mut Vec<u8>, deadline: Instant) -> Result<usize> {
    let left = remaining(deadline)
        .ok_or_else(|| timeout(Delivery::YTX_DELIVERY_UNKNOWN, "waiting for the answer"))?;
    // Re-arm the socket timeout only when it would overshoot the deadline
    // by more than the slack (usually once per connection, not per call).
    if !matches!(conn.read_timeout, Some(t) if t <= left + TIMEOUT_SLACK) {
        conn.stream
            .set_read_timeout(Some(left))
            .map_err(|e| unknown_io(&e, "waiting for the answer"))?;
        conn.read_timeout = Some(left);
    }
    let start = buf.len();
    buf.resize(start + 4096, 0);
    loop {
        match conn.stream.read(&mut buf[start..]) {
            Ok(n) => {
                buf.truncate(start + n);
                return Ok(n);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                buf.truncate(start);
                return Err(unknown_io(&e, "waiting for the answer"));
            }
        }
    }
}

fn closed_early(what: &str) -> Error {
    Error::Transport {
        delivery: Delivery::YTX_DELIVERY_UNKNOWN,
        message: format!("the server closed the connection {what}"),
    }
}

fn malformed(what: &str) -> Error {
    Error::Protocol {
        message: format!("malformed HTTP answer: {what}"),
    }
}

/// Read one answer. Returns it and whether the connection may be reused.
fn read_answer(conn: &mut Conn, deadline: Instant, max_body: u64) -> Result<(Answer, bool)> {
    let mut buf = Vec::with_capacity(4096);
    loop {
        // The head.
        let head_end = loop {
            if let Some(i) = find(&buf, b"\r\n\r\n") {
                break i + 4;
            }
            if buf.len() > MAX_HEAD_BYTES {
                return Err(malformed("head larger than 16 KiB"));
            }
            if read_some(conn, &mut buf, deadline)? == 0 {
                return Err(closed_early("before answering"));
            }
        };
        let head = Head::parse(&buf[..head_end])?;
        buf.drain(..head_end);
        if (100..200).contains(&head.status) {
            continue; // an interim answer (100 Continue): the real one follows
        }
        let limit = if head.status == 200 {
            max_body + 1
        } else {
            512
        };
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let (body, complete) = if head.chunked {
            read_chunked(conn, buf, deadline, limit)?
        } else if let Some(len) = head.content_length {
            read_sized(conn, buf, deadline, len, limit)?
        } else {
            read_to_close(conn, buf, deadline, limit)?
        };
        let reusable = complete && head.keep_alive && !head.chunked_trailer_pending;
        return Ok((
            Answer {
                status: head.status,
                body,
            },
            reusable,
        ));
    }
}

struct Head {
    status: u16,
    content_length: Option<u64>,
    chunked: bool,
    keep_alive: bool,
    chunked_trailer_pending: bool,
}

impl Head {
    fn parse(head: &[u8]) -> Result<Head> {
        let text = std::str::from_utf8(head).map_err(|_| malformed("head is not text"))?;
        let mut lines = text.split("\r\n");
        let status_line = lines.next().unwrap_or("");
        let mut parts = status_line.splitn(3, ' ');
        let version = parts.next().unwrap_or("");
        let status = parts
            .next()
            .filter(|s| s.len() == 3)
            .and_then(|s| s.parse::<u16>().ok())
            .ok_or_else(|| malformed("bad status line"))?;
        let http11 = match version {
            "HTTP/1.1" => true,
            "HTTP/1.0" => false,
            _ => return Err(malformed("not HTTP/1.x")),
        };
        let mut h = Head {
            status,
            content_length: None,
            chunked: false,
            keep_alive: http11,
            chunked_trailer_pending: false,
        };
        for line in lines.filter(|l| !l.is_empty()) {
            let (name, value) = line
                .split_once(':')
                .ok_or_else(|| malformed("bad header line"))?;
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                let n = value
                    .parse::<u64>()
                    .map_err(|_| malformed("bad Content-Length"))?;
                if h.content_length.is_some_and(|m| m != n) {
                    return Err(malformed("conflicting Content-Length"));
                }
                h.content_length = Some(n);
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                h.chunked = value
                    .rsplit(',')
                    .next()
                    .is_some_and(|last| last.trim().eq_ignore_ascii_case("chunked"));
            } else if name.eq_ignore_ascii_case("connection") {
                for token in value.split(',').map(str::trim) {
                    if token.eq_ignore_ascii_case("close") {
                        h.keep_alive = false;
                    } else if token.eq_ignore_ascii_case("keep-alive") && !http11 {
                        h.keep_alive = true;
                    }
                }
            }
        }
        Ok(h)
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A body of `len` bytes; keeps at most `limit`. Complete means fully read.
fn read_sized(
    conn: &mut Conn,
    mut buf: Vec<u8>,
    deadline: Instant,
    len: u64,
    limit: usize,
) -> Result<(Vec<u8>, bool)> {
    let want = usize::try_from(len).unwrap_or(usize::MAX);
    while buf.len() < want.min(limit) {
        if read_some(conn, &mut buf, deadline)? == 0 {
            return Err(closed_early("in the middle of the answer"));
        }
    }
    let complete = buf.len() == want; // more than `want`: a protocol break
    buf.truncate(want.min(limit));
    Ok((buf, complete))
}

/// A body delimited by the server closing the connection.
fn read_to_close(
    conn: &mut Conn,
    mut buf: Vec<u8>,
    deadline: Instant,
    limit: usize,
) -> Result<(Vec<u8>, bool)> {
    while buf.len() < limit {
        if read_some(conn, &mut buf, deadline)? == 0 {
            break;
        }
    }
    buf.truncate(limit);
    Ok((buf, false))
}

/// A chunked body; keeps at most `limit` bytes of data.
fn read_chunked(
    conn: &mut Conn,
    mut raw: Vec<u8>,
    deadline: Instant,
    limit: usize,
) -> Result<(Vec<u8>, bool)> {
    let mut body = Vec::new();
    let mut pos = 0;
    loop {
        // The chunk-size line.
        let line_end = loop {
            if let Some(i) = find(&raw[pos..], b"\r\n") {
                break pos + i;
            }
            if raw.len() - pos > 1024 {
                return Err(malformed("chunk size line too long"));
            }
            if read_some(conn, &mut raw, deadline)? == 0 {
                return Err(closed_early("in the middle of the answer"));
            }
        };
        let size_text =
            std::str::from_utf8(&raw[pos..line_end]).map_err(|_| malformed("bad chunk size"))?;
        let size_text = size_text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| malformed("bad chunk size"))?;
        pos = line_end + 2;
        if size == 0 {
            // Trailers until an empty line; done.
            loop {
                if let Some(i) = find(&raw[pos..], b"\r\n") {
                    if i == 0 {
                        return Ok((body, true));
                    }
                    pos += i + 2;
                    continue;
                }
                if raw.len() - pos > MAX_HEAD_BYTES {
                    return Err(malformed("trailers too large"));
                }
                if read_some(conn, &mut raw, deadline)? == 0 {
                    return Ok((body, false));
                }
            }
        }
        // The chunk's data and its CRLF.
        while raw.len() < pos + size + 2 {
            if body.len() + (raw.len() - pos) >= limit {
                break;
            }
            if read_some(conn, &mut raw, deadline)? == 0 {
                return Err(closed_early("in the middle of the answer"));
            }
        }
        let available = (raw.len() - pos).min(size);
        body.extend_from_slice(&raw[pos..pos + available]);
        if body.len() >= limit {
            body.truncate(limit);
            return Ok((body, false));
        }
        pos += size + 2;
        // Keep the buffer small: drop what has been consumed.
        raw.drain(..pos);
        pos = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    fn sender(url: &str) -> Plain {
        Plain::for_base_url(
            url,
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
        assert_eq!((p.host.as_str(), p.port), ("api.ytx.net", 80));
        assert_eq!(
            p.target("http://api.ytx.net/201512/x?Sign=1"),
            Some("/201512/x?Sign=1")
        );
        assert_eq!(p.target("http://api.ytx.net.evil/x"), None);
        let p = sender("http://127.0.0.1:8080/gw");
        assert_eq!((p.host.as_str(), p.port), ("127.0.0.1", 8080));
        assert_eq!(
            p.target("http://127.0.0.1:8080/gw/201512"),
            Some("/gw/201512")
        );
        let p = sender("http://[::1]:9000");
        assert_eq!((p.host.as_str(), p.port), ("::1", 9000));
        assert!(Plain::for_base_url("https://x", Duration::ZERO, Duration::ZERO, 1, "").is_none());
        assert!(
            Plain::for_base_url("http://u:p@x", Duration::ZERO, Duration::ZERO, 1, "").is_none()
        );
        assert!(
            Plain::for_base_url("http://x:notaport", Duration::ZERO, Duration::ZERO, 1, "")
                .is_none()
        );
    }

    /// A one-shot server: reads one request, writes `answer` (in pieces),
    /// then optionally keeps the connection open for a second request.
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
                    s.write_all(piece).unwrap();
                    s.flush().unwrap();
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
        answer.extend(std::iter::repeat(b'x').take(100_000));
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
        assert_eq!(e.delivery(), Delivery::YTX_DELIVERY_NOT_SENT, "{e}");
        // Closed before answering: unknown.
        let (url, server) = serve(vec![vec![]]);
        let e = sender(&url).post("/", &[], b"", 10).unwrap_err();
        assert_eq!(e.delivery(), Delivery::YTX_DELIVERY_UNKNOWN, "{e}");
        server.join().unwrap();
        // Garbage: a protocol error.
        let (url, server) = serve(vec![b"SSH-2.0-OpenSSH\r\n\r\n".to_vec()]);
        let e = sender(&url).post("/", &[], b"", 10).unwrap_err();
        assert_eq!(e.code(), crate::ytx_result::YTX_ERR_PROTOCOL, "{e}");
        server.join().unwrap();
    }

    #[test]
    fn heads() {
        let h = Head::parse(b"HTTP/1.0 502 Bad Gateway\r\nContent-Length: 3\r\n\r\n").unwrap();
        assert_eq!(
            (h.status, h.content_length, h.keep_alive),
            (502, Some(3), false)
        );
        let h = Head::parse(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n").unwrap();
        assert!(!h.keep_alive);
        let h =
            Head::parse(b"HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, chunked\r\n\r\n").unwrap();
        assert!(h.chunked);
        assert!(
            Head::parse(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n")
                .is_err()
        );
        assert!(Head::parse(b"HTTP/2 200\r\n\r\n").is_err());
        assert!(Head::parse(b"HTTP/1.1 20 OK\r\n\r\n").is_err());
    }
}
