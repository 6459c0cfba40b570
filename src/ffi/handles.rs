//! The registries behind handles: `ytx_client *` (clients) and
//! `ytx_tracker *` (trackers), one [`Registry`] each.
//!
//! A handle's value is a key, never an address: it is looked up here under a
//! read lock and never dereferenced. Keys are never reused, so a stale handle
//! cannot reach a newer value. Each entry is an `Arc`, so a call in flight
//! keeps its value alive while another thread frees the handle.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use once_cell::sync::Lazy;

use super::client::ytx_client;
use super::codes::{FfiError, FfiResult};
use crate::client::Client;
use crate::tracker::Tracker;

/// Live values of one handle type, by key.
pub(super) struct Registry<T> {
    table: Lazy<RwLock<Table<T>>>,
    next_key: AtomicUsize,
}

type Table<T> = HashMap<usize, Arc<T>, BuildHasherDefault<KeyHash>>;

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

impl<T> Registry<T> {
    /// Keys start at `first` (far from 0 and small integers, apart from the
    /// other registries') and step by 16 so that they look like aligned
    /// pointers to tools that print them.
    const fn new(first: usize) -> Registry<T> {
        Registry {
            table: Lazy::new(Default::default),
            next_key: AtomicUsize::new(first),
        }
    }

    /// Register `value`; its handle.
    pub(super) fn insert<H>(&self, value: T) -> *mut H {
        let key = self.next_key.fetch_add(16, Ordering::Relaxed);
        self.table
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(key, Arc::new(value));
        key as *mut H
    }

    /// The value behind `handle`, or `YTX_ERR_INVALID_HANDLE`.
    pub(super) fn get<H>(&self, handle: *const H) -> FfiResult<Arc<T>> {
        self.table
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(&(handle as usize))
            .cloned()
            .ok_or(FfiError::InvalidHandle)
    }

    /// Unregister `handle`; the value, which the caller drops outside the
    /// lock (a call in flight may still hold it), or `YTX_ERR_INVALID_HANDLE`.
    pub(super) fn remove<H>(&self, handle: *mut H) -> FfiResult<Arc<T>> {
        let mut table = self
            .table
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let removed = table.remove(&(handle as usize));
        if table.is_empty() {
            // Give the table's memory back: a process that freed every
            // handle holds nothing of ours, and valgrind finds nothing
            // "possibly lost" (the table is addressed from its middle).
            table.shrink_to_fit();
        }
        removed.ok_or(FfiError::InvalidHandle)
    }

    /// Number of live handles (for tests and leak checks).
    pub(super) fn live(&self) -> usize {
        self.table
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .len()
    }
}

static CLIENTS: Registry<Client> = Registry::new(0x7974_0000);

/// The trackers behind `ytx_tracker *` handles (`tracker.rs`).
pub(super) static TRACKERS: Registry<Tracker> = Registry::new(0x7a74_0000);

pub(super) fn insert(client: Client) -> *mut ytx_client {
    CLIENTS.insert(client)
}

pub(super) fn get(handle: *const ytx_client) -> FfiResult<Arc<Client>> {
    CLIENTS.get(handle)
}

pub(super) fn remove(handle: *mut ytx_client) -> FfiResult<()> {
    // The client (and its connection pool) is dropped here, outside the
    // lock, unless a call in flight still holds it.
    CLIENTS.remove(handle).map(drop)
}

/// Number of live clients (for tests and leak checks).
pub(super) fn live() -> usize {
    CLIENTS.live()
}
