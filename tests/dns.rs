//! DNS is inside the connect timeout: a lookup that never returns ends the
//! call as a timeout, not sent, within the connect timeout. The resolver is
//! replaced (`ClientBuilder::resolver`, hidden) so that the test does not
//! depend on the host's DNS. (On e506838 the lookup had no bound at all, and
//! there was no way to test it without a misbehaving DNS server.)

use std::sync::Arc;
use std::time::{Duration, Instant};

use ytx::{Client, Delivery, VoiceCode};

const SID: &str = "8a1f0c3e5b7d9f21a4c6e8b0d2f4a6c8";
const TOKEN: &str = "5c7e9a1b3d5f7092e4b6c8d0f2a4c6e8";
const APP: &str = "ff8080813fc70a7b013fc72312324213";

#[test]
fn a_stuck_lookup_is_bounded_by_the_connect_timeout() {
    let c = Client::builder(SID, TOKEN, APP)
        .base_url("http://stuck.example:8080")
        .connect_timeout(Duration::from_millis(300))
        .timeout(Duration::from_secs(30))
        .resolver(Arc::new(|_, _| {
            std::thread::sleep(Duration::from_secs(60));
            Ok(vec![])
        }))
        .build()
        .unwrap();
    let started = Instant::now();
    let e = c
        .voice_code(&VoiceCode::new("13800138000", "02160000000", "1"))
        .unwrap_err();
    let took = started.elapsed();
    assert_eq!(
        ytx::ffi::ytx_result::from(e.code()),
        ytx::ffi::ytx_result::YTX_ERR_TIMEOUT,
        "{e}"
    );
    assert_eq!(e.delivery(), Delivery::NotSent, "{e}");
    // Bounded by the 300 ms connect timeout, not the 30 s call or the 60 s
    // lookup: a wide deadline between them.
    assert!(took < Duration::from_secs(10), "took {took:?}");
}

#[test]
fn a_failed_lookup_is_not_sent_and_the_resolver_gets_host_and_port() {
    let seen = Arc::new(std::sync::Mutex::new(None));
    let s = seen.clone();
    let c = Client::builder(SID, TOKEN, APP)
        .base_url("http://gw.example:8080/ytx")
        .resolver(Arc::new(move |host, port| {
            *s.lock().unwrap() = Some((host.to_string(), port));
            Err(std::io::Error::other("no such host"))
        }))
        .build()
        .unwrap();
    let e = c
        .voice_code(&VoiceCode::new("13800138000", "02160000000", "1"))
        .unwrap_err();
    assert_eq!(
        ytx::ffi::ytx_result::from(e.code()),
        ytx::ffi::ytx_result::YTX_ERR_NOT_SENT,
        "{e}"
    );
    assert!(e.to_string().contains("DNS"), "{e}");
    assert_eq!(
        *seen.lock().unwrap(),
        Some(("gw.example".to_string(), 8080))
    );
}

/// A local address whose connect hangs (SYNs dropped): a listener whose
/// accept queue is full. Linux drops a SYN when the queue of a listener is
/// full, so the connect neither succeeds nor fails until its timeout: the
/// dead address of a dual-stack host or a round robin, without a network.
#[cfg(target_os = "linux")]
fn black_hole() -> (
    std::net::TcpListener,
    Vec<std::net::TcpStream>,
    std::net::SocketAddr,
) {
    use std::os::fd::AsRawFd;
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    // SAFETY: the listener's own descriptor; listen() again only sets the
    // backlog.
    assert_eq!(unsafe { libc::listen(l.as_raw_fd(), 0) }, 0);
    let addr = l.local_addr().unwrap();
    let mut filling = vec![];
    for _ in 0..64 {
        match std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(300)) {
            Ok(s) => filling.push(s),
            Err(_) => return (l, filling, addr), // full: the next SYN is dropped
        }
    }
    panic!("the accept queue never filled");
}

/// The plain transport shares the connect timeout across the resolved
/// addresses, as ureq does: a first address that never answers does not
/// take the whole budget, the second still connects. (Before issue 18 the
/// first took it all, and every new connection failed as a timeout.)
#[cfg(target_os = "linux")]
#[test]
fn a_dead_first_address_leaves_time_for_the_next() {
    let (_l, _filling, dead) = black_hole();
    let emu =
        ytx_emulator::Emulator::start(ytx_emulator::Config::default(), "127.0.0.1:0").unwrap();
    let alive = emu.addr();
    for generic in [false, true] {
        let c = Client::builder(SID, TOKEN, APP)
            .base_url("http://twice.example:8080")
            .connect_timeout(Duration::from_secs(4))
            .timeout(Duration::from_secs(30))
            .generic_transport(generic)
            .resolver(Arc::new(move |_, _| Ok(vec![dead, alive])))
            .build()
            .unwrap();
        let r = c.voice_code(&VoiceCode::new("13800138000", "02160000000", "1"));
        assert!(r.is_ok(), "generic={generic}: {:?}", r.err());
    }
}
