//! Plain-HTTP test servers' one shared piece: reading a whole request off a
//! connection (ureq and the http:// transport may write head and body apart;
//! answering, or closing, before the body is read would race them).
#![allow(dead_code)]

use std::io::Read;

/// The Content-Length of a request's head, if it has one (a malformed value
/// fails the test).
pub fn content_length(head: &str) -> Option<usize> {
    head.lines().find_map(|l| {
        l.to_ascii_lowercase()
            .strip_prefix("content-length:")
            .map(|v| v.trim().parse::<usize>().unwrap())
    })
}

/// Read one request from `s`: its head, then the Content-Length bytes of
/// body (none without one). `Err` holds what was read when the peer closed,
/// or a read failed, before the request was whole.
pub fn read_request(s: &mut impl Read) -> Result<Vec<u8>, Vec<u8>> {
    let complete = |r: &[u8]| {
        let text = String::from_utf8_lossy(r);
        text.split_once("\r\n\r\n")
            .is_some_and(|(head, body)| body.len() >= content_length(head).unwrap_or(0))
    };
    let mut req = Vec::new();
    let mut buf = [0u8; 4096];
    while !complete(&req) {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return Err(req),
            Ok(n) => req.extend_from_slice(&buf[..n]),
        }
    }
    Ok(req)
}
