//! Delivery of the pushes to the apps' callback URLs, off the request path.
//!
//! Accepting a call only appends its push sequence to a queue (a short lock):
//! answering API requests never waits for a receiver. A few worker threads
//! take one sequence at a time and POST its bodies in order, pausing
//! `Config::push_interval_ms` before each. A push that fails (no connection,
//! timeout, non-2xx status) is tried [`crate::PUSH_ATTEMPTS`] times with a
//! doubling backoff, then dropped. On stop the workers abandon what is left;
//! a push in flight ends within `Config::push_timeout_ms`.
//!
//! HTTP goes through `ureq` (a maintained client) rather than a hand-written
//! one: the receivers are the clients' own servers, and their HTTP quirks are
//! not what the emulator is here to test.

use std::collections::VecDeque;
use std::io;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use crate::server::Shared;
use crate::Push;

/// Worker threads: sequences of different calls are delivered in parallel,
/// so one dead receiver does not hold all others up (unless there are more
/// dead receivers than workers).
const WORKERS: usize = 4;
/// Sequences waiting beyond this are dropped (and logged as not delivered).
const MAX_PENDING: usize = 10_000;
/// At most this many finished pushes are kept in the log (oldest dropped).
const MAX_LOG: usize = 100_000;

/// The pushes of one call, delivered in order.
pub(crate) struct Sequence {
    pub url: String,
    pub bodies: Vec<crate::calls::PushOut>,
}

/// The queue, the delivery log and the workers.
#[derive(Default)]
pub(crate) struct Queue {
    pending: Mutex<VecDeque<Sequence>>,
    cv: Condvar,
    log: Mutex<VecDeque<Push>>,
    workers: Mutex<Vec<JoinHandle<()>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Queue {
    /// Queues a call's pushes; never blocks on delivery.
    pub(crate) fn enqueue(&self, seq: Sequence) {
        let mut pending = lock(&self.pending);
        if pending.len() >= MAX_PENDING {
            drop(pending);
            for out in seq.bodies {
                self.record(Push {
                    url: seq.url.clone(),
                    body: out.body,
                    delivered: false,
                    attempts: 0,
                    error: Some("push queue full".into()),
                });
            }
            return;
        }
        pending.push_back(seq);
        self.cv.notify_one();
    }

    pub(crate) fn log_snapshot(&self) -> Vec<Push> {
        lock(&self.log).iter().cloned().collect()
    }

    fn record(&self, push: Push) {
        let mut log = lock(&self.log);
        if log.len() >= MAX_LOG {
            log.pop_front();
        }
        log.push_back(push);
    }

    /// Wakes every worker (the stopping flag is already set) and joins them.
    pub(crate) fn stop(&self) {
        {
            // Taking the lock orders this after any worker's stopping check.
            let _pending = lock(&self.pending);
            self.cv.notify_all();
        }
        let workers = std::mem::take(&mut *lock(&self.workers));
        for w in workers {
            let _ = w.join();
        }
    }
}

/// Starts the workers.
pub(crate) fn spawn_workers(shared: &Arc<Shared>) -> io::Result<()> {
    for i in 0..WORKERS {
        let s = Arc::clone(shared);
        let spawned = thread::Builder::new()
            .name(format!("ytx-emulator-push-{i}"))
            .spawn(move || worker(&s));
        match spawned {
            Ok(handle) => lock(&shared.push.workers).push(handle),
            Err(e) => {
                shared.set_stopping();
                shared.push.stop();
                return Err(e);
            }
        }
    }
    Ok(())
}

fn worker(shared: &Shared) {
    let agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_millis(
            shared.config().push_timeout_ms.max(1),
        )))
        .max_redirects(0)
        .max_redirects_will_error(false)
        .http_status_as_error(false)
        // Explicit: ureq 3 reads the environment's proxy by default; pushes
        // go straight to the receiver.
        .proxy(None)
        .user_agent("ytx-emulator push")
        .build()
        .new_agent();
    let interval = Duration::from_millis(shared.config().push_interval_ms);
    loop {
        let seq = {
            let mut pending = lock(&shared.push.pending);
            loop {
                if shared.is_stopping() {
                    return;
                }
                if let Some(seq) = pending.pop_front() {
                    break seq;
                }
                pending = shared
                    .push
                    .cv
                    .wait(pending)
                    .unwrap_or_else(|e| e.into_inner());
            }
        };
        for out in seq.bodies {
            if shared.sleep(interval) {
                return;
            }
            let body = out.body;
            let url = match out.key {
                Some(key) => keyed_url(&seq.url, key),
                None => routed_url(&seq.url, &body),
            };
            if out.lost {
                shared.push.record(Push {
                    url,
                    body,
                    delivered: false,
                    attempts: 0,
                    error: Some("lost on purpose (magic number)".into()),
                });
                continue;
            }
            let mut attempts = 0;
            let mut backoff = Duration::from_millis(crate::PUSH_RETRY_BACKOFF_MS);
            let error = loop {
                attempts += 1;
                match attempt(&agent, &url, &body) {
                    Ok(()) => break None,
                    Err(e) if attempts >= crate::PUSH_ATTEMPTS => break Some(e),
                    Err(_) => {
                        if shared.sleep(backoff) {
                            return;
                        }
                        backoff *= 2;
                    }
                }
            };
            shared.push.record(Push {
                url,
                body,
                delivered: error.is_none(),
                attempts,
                error,
            });
        }
    }
}

/// The push URL with the key the platform appends (PROTOCOL.md, "Which
/// push it is"): `?Call` for a call-record push, `?CallState` for a state
/// push. A URL that already has a query gets `&Call` / `&CallState` (how
/// the platform joins them is not known).
pub(crate) fn routed_url(url: &str, body: &str) -> String {
    let key = if body.starts_with("{\"cdr\"") {
        "Call"
    } else {
        "CallState"
    };
    keyed_url(url, key)
}

/// The push URL with the query key `key` appended (`?key`, or `&key` when
/// it already has a query), before any fragment.
pub(crate) fn keyed_url(url: &str, key: &str) -> String {
    let (base, fragment) = match url.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (url, None),
    };
    let sep = if base.contains('?') { '&' } else { '?' };
    match fragment {
        Some(f) => format!("{base}{sep}{key}#{f}"),
        None => format!("{base}{sep}{key}"),
    }
}

/// One POST. `Err` says why it did not count as delivered.
fn attempt(agent: &ureq::Agent, url: &str, body: &str) -> Result<(), String> {
    let resp = agent
        .post(url)
        .header("Content-Type", "application/json;charset=utf-8")
        .send(body)
        .map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    // Read the answer so that the connection can be reused.
    let _ = resp.into_body().read_to_vec();
    if (200..300).contains(&status) {
        Ok(())
    } else {
        Err(format!("HTTP {status}"))
    }
}

#[cfg(test)]
mod tests {
    use super::routed_url;

    #[test]
    fn the_routing_key_is_appended() {
        let (state, record) = (r#"{"requestid":"1","state":"answer"}"#, r#"{"cdr":[{}]}"#);
        assert_eq!(routed_url("http://h/p", state), "http://h/p?CallState");
        assert_eq!(routed_url("http://h/p", record), "http://h/p?Call");
        assert_eq!(routed_url("http://h/p?t=1", record), "http://h/p?t=1&Call");
        assert_eq!(routed_url("http://h/p#x", state), "http://h/p?CallState#x");
        assert_eq!(super::keyed_url("http://h/p", "SMS"), "http://h/p?SMS");
    }
}
