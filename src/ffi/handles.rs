//! The registry of live clients behind `ytx_client *` handles.
//!
//! A handle's value is a key, never an address: it is looked up here under a
//! read lock and never dereferenced. Keys are never reused, so a stale handle
//! cannot reach a newer client. Each entry is an `Arc`, so a call in flight
//! keeps its client alive while another thread frees the handle.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use once_cell::sync::Lazy;

use super::client::ytx_client;
use super::codes::{FfiError, FfiResult};
use crate::client::Client;

/// Live clients by key.
type Registry = HashMap<usize, Arc<Client>, BuildHasherDefault<KeyHash>>;

static CLIENTS: Lazy<RwLock<Registry>> = Lazy::new(Default::default);

/// The hash of a key: one multiplication (Fibonacci hashing), not SipHash.
/// Keys are made here from a counter, never chosen by a caller (a handle
/// from C is only looked up), so there is no collision flood to resist.
#[derive(Default)]
struct KeyHash(u64);

impl Hasher for KeyHash {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only usize keys are hashed here; any other input still hashes.
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u64(&mut self, n: u64) {
        // Keys step by 16: drop the four zero bits before spreading the rest.
        self.0 = n.rotate_right(4).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
}

/// Keys start far from 0 and small integers, and step by 16 so that they look
/// like aligned pointers to tools that print them.
static NEXT_KEY: AtomicUsize = AtomicUsize::new(0x7974_0000);

pub(super) fn insert(client: Client) -> *mut ytx_client {
    let key = NEXT_KEY.fetch_add(16, Ordering::Relaxed);
    CLIENTS
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .insert(key, Arc::new(client));
    key as *mut ytx_client
}

pub(super) fn get(handle: *const ytx_client) -> FfiResult<Arc<Client>> {
    CLIENTS
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .get(&(handle as usize))
        .cloned()
        .ok_or(FfiError::InvalidHandle)
}

pub(super) fn remove(handle: *mut ytx_client) -> FfiResult<()> {
    let removed = {
        let mut clients = CLIENTS
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let removed = clients.remove(&(handle as usize));
        if clients.is_empty() {
            // Give the table's memory back: a process that freed every
            // client holds nothing of ours, and valgrind finds nothing
            // "possibly lost" (the table is addressed from its middle).
            clients.shrink_to_fit();
        }
        removed
    };
    // The client (and its connection pool) is dropped here, outside the lock,
    // unless a call in flight still holds it.
    removed.map(drop).ok_or(FfiError::InvalidHandle)
}

/// Number of live clients (for tests and leak checks).
pub(super) fn live() -> usize {
    CLIENTS
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .len()
}
