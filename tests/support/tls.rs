//! A local HTTPS server for the tests and the benchmark: a CA and a server
//! certificate made on the spot with rcgen (nothing committed, nothing
//! expires), rustls in front of a keep-alive handler that answers every
//! request with the same bytes. It counts TLS handshakes and requests.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

pub struct TlsServer {
    /// `https://127.0.0.1:PORT`
    pub url: String,
    /// The CA that signed the server's certificate, PEM.
    pub ca_pem: String,
    handshakes: Arc<AtomicUsize>,
    requests: Arc<AtomicUsize>,
}

impl TlsServer {
    pub fn handshakes(&self) -> usize {
        self.handshakes.load(Ordering::SeqCst)
    }
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
    /// Write the CA to a file (for `ca_file`) and return its path.
    pub fn ca_file(&self, name: &str) -> String {
        let path =
            std::env::temp_dir().join(format!("ytx-test-ca-{}-{name}.pem", std::process::id()));
        std::fs::write(&path, &self.ca_pem).unwrap();
        path.to_string_lossy().into_owned()
    }
}

/// Start a server answering every request with `answer`.
pub fn start(answer: Vec<u8>) -> TlsServer {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "ytx test CA");
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
        .unwrap()
        .signed_by(&key, &ca_cert, &ca_key)
        .unwrap();

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .unwrap();
    let config = Arc::new(config);

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("https://{}", listener.local_addr().unwrap());
    let handshakes = Arc::new(AtomicUsize::new(0));
    let requests = Arc::new(AtomicUsize::new(0));
    let (hs, rq) = (handshakes.clone(), requests.clone());
    let answer = Arc::new(answer);
    std::thread::spawn(move || {
        for tcp in listener.incoming() {
            let Ok(tcp) = tcp else { continue };
            let _ = tcp.set_nodelay(true);
            let (config, hs, rq, answer) = (config.clone(), hs.clone(), rq.clone(), answer.clone());
            std::thread::spawn(move || {
                let conn = rustls::ServerConnection::new(config).unwrap();
                let mut tls = rustls::StreamOwned::new(conn, tcp);
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                let mut counted = false;
                loop {
                    // One whole request (head + Content-Length body).
                    let end = loop {
                        if let Some(end) = request_end(&buf) {
                            break end;
                        }
                        match tls.read(&mut chunk) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                        if !counted && !tls.conn.is_handshaking() {
                            counted = true;
                            hs.fetch_add(1, Ordering::SeqCst);
                        }
                    };
                    buf.drain(..end);
                    rq.fetch_add(1, Ordering::SeqCst);
                    if tls.write_all(&answer).and_then(|()| tls.flush()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    TlsServer {
        url,
        ca_pem: ca_cert.pem(),
        handshakes,
        requests,
    }
}

fn request_end(buf: &[u8]) -> Option<usize> {
    let head_end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    (buf.len() >= head_end + len).then_some(head_end + len)
}
