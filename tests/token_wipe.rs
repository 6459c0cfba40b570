//! The auth token is wiped from memory when a client is freed (issue 18,
//! part 9), as libgit2 and rustls do with their secrets: no block the
//! library gives back to the allocator still holds it.
//!
//! The check is an allocator that, while armed, looks into every block
//! freed (or moved by `realloc`) for the token's bytes. Its own test binary:
//! a global allocator is process-wide.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

/// Not the emulator's demo token, so nothing else in the process holds it;
/// a `&'static str`, so the only heap copies are the library's.
const TOKEN: &str = "Zq7Wipe0Me1Token2Secret3Value4x9";

static ARMED: AtomicBool = AtomicBool::new(false);
static FOUND: AtomicUsize = AtomicUsize::new(0);
/// One test at a time arms the allocator.
static TURN: Mutex<()> = Mutex::new(());

struct Scanning;

fn scan(ptr: *mut u8, size: usize) {
    if !ARMED.load(Ordering::Relaxed) || size < TOKEN.len() {
        return;
    }
    // SAFETY: the block is live (it is being freed or moved) and `size`
    // bytes long; reading it allocates nothing.
    let block = unsafe { std::slice::from_raw_parts(ptr, size) };
    if block.windows(TOKEN.len()).any(|w| w == TOKEN.as_bytes()) {
        FOUND.fetch_add(1, Ordering::Relaxed);
    }
}

unsafe impl GlobalAlloc for Scanning {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        scan(ptr, layout.size());
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        scan(ptr, layout.size());
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static ALLOCATOR: Scanning = Scanning;

/// Run `f` with the allocator armed; the number of freed blocks that still
/// held the token.
fn freed_blocks_holding_the_token(f: impl FnOnce()) -> usize {
    FOUND.store(0, Ordering::SeqCst);
    ARMED.store(true, Ordering::SeqCst);
    f();
    ARMED.store(false, Ordering::SeqCst);
    FOUND.load(Ordering::SeqCst)
}

#[test]
fn the_detector_sees_a_token_left_in_freed_memory() {
    let _turn = TURN.lock().unwrap_or_else(|p| p.into_inner());
    // Without this the other tests would prove nothing.
    assert!(freed_blocks_holding_the_token(|| drop(String::from(TOKEN))) >= 1);
}

#[test]
fn a_freed_rust_client_leaves_no_copy_of_the_token() {
    let _turn = TURN.lock().unwrap_or_else(|p| p.into_inner());
    let found = freed_blocks_holding_the_token(|| {
        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let builder = ytx::Client::builder("8a1f0c3e5b7d9f21a4c6e8b0d2f4a6c8", TOKEN, "app1")
            .base_url(format!("http://{closed}"));
        let copy = builder.clone(); // a clone is wiped too
        let client = builder.build().unwrap();
        let call = ytx::CallbackCall::new("13800138000", "13900139000", 600);
        client.prepare_callback_call(&call).unwrap();
        client.callback_call(&call).unwrap_err(); // signed and (not) sent
        drop(client);
        drop(copy);
        // A builder that fails to build is freed too.
        ytx::Client::builder("", TOKEN, "app1").build().unwrap_err();
    });
    assert_eq!(found, 0, "freed blocks still holding the auth token");
}

#[test]
fn a_client_freed_through_the_c_abi_leaves_no_copy_of_the_token() {
    use std::ffi::CString;
    use ytx::ffi::*;
    let _turn = TURN.lock().unwrap_or_else(|p| p.into_inner());
    // The C caller's own copy lives outside the armed window.
    let (sid, token, app) = (
        CString::new("8a1f0c3e5b7d9f21a4c6e8b0d2f4a6c8").unwrap(),
        CString::new(TOKEN).unwrap(),
        CString::new("app1").unwrap(),
    );
    let found = freed_blocks_holding_the_token(|| {
        let mut client: *mut ytx_client = std::ptr::null_mut();
        // SAFETY: valid NUL-terminated strings and an out pointer.
        unsafe {
            let rc = ytx_client_new(
                sid.as_ptr(),
                token.as_ptr(),
                app.as_ptr(),
                std::ptr::null(),
                std::ptr::null(),
                0,
                &mut client,
                std::ptr::null_mut(),
            );
            assert_eq!(rc, ytx_result::YTX_OK);
            assert_eq!(ytx_free(client), ytx_result::YTX_OK);
        }
    });
    assert_eq!(found, 0, "freed blocks still holding the auth token");
}
