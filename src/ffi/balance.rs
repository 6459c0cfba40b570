//! `ytx_balance`: the account balance that `ytx_query_balance` (`send.rs`)
//! hands out. Immutable, readable from any thread.
//!
//! Methods: `ytx_balance_text`, `ytx_balance_fen`, `ytx_balance_free`.

use std::ffi::{c_char, CString};

use super::panic::ffi_boundary;
use super::ptr::{self, read, read_str};
use super::text::c_string;
use crate::record::Balance;

// ===== impl ytx_balance =====

/// The account balance, from `ytx_query_balance`; released with `ytx_balance_free`.
pub struct ytx_balance {
    text: CString,
    fen: i64,
}

impl From<Balance> for ytx_balance {
    fn from(b: Balance) -> ytx_balance {
        ytx_balance {
            text: c_string(b.amount().text().to_string()),
            fen: b.amount().fen(),
        }
    }
}

/// The balance in yuan as the exact decimal text sent, e.g. "7.08"; "" for NULL.
///
/// # Safety
/// `balance` is NULL or a live balance.
#[no_mangle]
pub unsafe extern "C" fn ytx_balance_text(balance: *const ytx_balance) -> *const c_char {
    ffi_boundary! {
        read_str(balance, |b| &b.text)
    }
}

/// The balance in whole fen (7.08 yuan is 708; may be negative); 0 for NULL.
///
/// # Safety
/// `balance` is NULL or a live balance.
#[no_mangle]
pub unsafe extern "C" fn ytx_balance_fen(balance: *const ytx_balance) -> i64 {
    ffi_boundary! {
        read(balance, 0, |b| b.fen)
    }
}

/// Release a balance. NULL is a no-op.
///
/// # Safety
/// `balance` is NULL or a balance from `ytx_query_balance` not yet freed.
#[no_mangle]
pub unsafe extern "C" fn ytx_balance_free(balance: *mut ytx_balance) {
    ffi_boundary! {
        ptr::free_box(balance);
    }
}
