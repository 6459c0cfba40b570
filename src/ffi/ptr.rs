//! The caller's pointers, one idiom each (rustls-ffi's `ffi.rs`): every
//! file of `src/ffi` reads and writes C memory through these and nowhere
//! else.
//!
//! * In: [`str_arg`], [`opt_str_arg`], [`bytes_arg`], [`for_each_option`]
//!   (a NULL or bad argument is an error naming it); [`read`] and
//!   [`read_str`] borrow a possibly-NULL object for an accessor (NULL gives
//!   the accessor's default, [`EMPTY`] for a string).
//! * Out: [`required_out`] checks an out-pointer the caller must give;
//!   [`write`] and [`store`] write a value through one that may be NULL;
//!   [`set_boxed_mut_ptr`] (and [`set_result_ptr`]) hands a new object to
//!   the caller, [`free_box`] takes it back (both counted for `ytx_live_objects`);
//!   [`copy_to_buf`] fills a caller's buffer.

use std::ffi::{c_char, CStr, CString};
use std::sync::atomic::{AtomicUsize, Ordering};

use super::codes::{FfiError, FfiResult};
use crate::error::Error;

/// The empty string every accessor returns for "none": static, never freed.
pub(super) const EMPTY: *const c_char = c"".as_ptr();

/// A library string an accessor hands out: a pointer valid as long as the
/// object that holds it.
pub(super) trait CStrPtr {
    fn c_ptr(&self) -> *const c_char;
}

impl CStrPtr for CString {
    fn c_ptr(&self) -> *const c_char {
        self.as_ptr()
    }
}

impl CStrPtr for &'static CStr {
    fn c_ptr(&self) -> *const c_char {
        self.as_ptr()
    }
}

/// `f` of the object at `p`, or `default` for NULL: the one way an accessor
/// reads its object.
///
/// # Safety
/// `p` is NULL or points to a live object that outlives `'a`.
pub(super) unsafe fn read<'a, T: 'a, R>(p: *const T, default: R, f: impl FnOnce(&'a T) -> R) -> R {
    match p.as_ref() {
        Some(x) => f(x),
        None => default,
    }
}

/// A string of the object at `p`, or [`EMPTY`] for NULL.
///
/// # Safety
/// As [`read`].
pub(super) unsafe fn read_str<'a, T: 'a, S: CStrPtr + 'a>(
    p: *const T,
    f: impl FnOnce(&'a T) -> &'a S,
) -> *const c_char {
    read(p, EMPTY, |x| f(x).c_ptr())
}

/// Borrow a NUL-terminated UTF-8 argument.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string that outlives the call.
pub(super) unsafe fn str_arg<'a>(p: *const c_char, field: &str) -> FfiResult<&'a str> {
    named_str_arg(p, || field.to_owned())
}

/// [`str_arg`] with the field's name made only for an error.
///
/// # Safety
/// As [`str_arg`].
unsafe fn named_str_arg<'a>(
    p: *const c_char,
    field: impl FnOnce() -> String,
) -> FfiResult<&'a str> {
    if p.is_null() {
        return Err(FfiError::null(field()));
    }
    CStr::from_ptr(p)
        .to_str()
        .map_err(|_| FfiError::InvalidUtf8 { field: field() })
}

/// Borrow an optional NUL-terminated UTF-8 argument: NULL is `None`.
///
/// # Safety
/// As [`str_arg`].
pub(super) unsafe fn opt_str_arg<'a>(p: *const c_char, field: &str) -> FfiResult<Option<&'a str>> {
    if p.is_null() {
        return Ok(None);
    }
    str_arg(p, field).map(Some)
}

/// Borrow `len` bytes at `p`: none when `len` is 0 (then `p` may be NULL);
/// a NULL `p` with a length is an error naming `field`.
///
/// # Safety
/// `p` is NULL or points to `len` readable bytes that outlive the call.
pub(super) unsafe fn bytes_arg<'a>(p: *const u8, len: usize, field: &str) -> FfiResult<&'a [u8]> {
    match (p.is_null(), len) {
        (_, 0) => Ok(&[]),
        (true, _) => Err(FfiError::null(field)),
        (false, n) => Ok(std::slice::from_raw_parts(p, n)),
    }
}

/// Option arrays as the C functions take them: names, values, count.
pub(super) type OptionArrays = (*const *const c_char, *const *const c_char, usize);

/// Walk `count` name/value pairs, calling `set(name, value)` for each.
///
/// # Safety
/// When `count > 0`, `names` and `values` are NULL or point to `count`
/// readable `const char *` each.
pub(super) unsafe fn for_each_option<'a>(
    (names, values, count): OptionArrays,
    mut set: impl FnMut(&'a str, &'a str) -> FfiResult<()>,
) -> FfiResult<()> {
    if count == 0 {
        return Ok(());
    }
    if names.is_null() {
        return Err(FfiError::null("option_names"));
    }
    if values.is_null() {
        return Err(FfiError::null("option_values"));
    }
    for i in 0..count {
        // The field's name is made only for an error, not on every call.
        let field = || format!("option_names[{i}]");
        let name = named_str_arg(*names.add(i), field)?;
        if name.is_empty() {
            return Err(Error::invalid(field(), "must not be empty").into());
        }
        let value = str_arg(*values.add(i), name)?;
        set(name, value)?;
    }
    Ok(())
}

/// An out-pointer the caller must give: NULL is an error naming it.
pub(super) fn required_out<T>(out: *mut T, field: &str) -> FfiResult<()> {
    if out.is_null() {
        return Err(FfiError::null(field));
    }
    Ok(())
}

/// Write `value` through `out` unless `out` is NULL: the one way to write
/// an out-pointer.
///
/// # Safety
/// `out` is NULL or valid for one write of a `T`.
pub(super) unsafe fn write<T>(out: *mut T, value: T) {
    if !out.is_null() {
        out.write(value);
    }
}

/// A number the caller asked for that may not exist: `Some` is written
/// through `out` (unless NULL) and gives 1; `None` writes nothing and gives 0.
///
/// # Safety
/// As [`write`].
pub(super) unsafe fn store<T>(out: *mut T, value: Option<T>) -> i32 {
    match value {
        Some(v) => {
            write(out, v);
            1
        }
        None => 0,
    }
}

/// Objects handed to the caller and not yet freed: outcomes, pushes,
/// record lists, balances, resolutions (for leak checks).
static LIVE_OBJECTS: AtomicUsize = AtomicUsize::new(0);

/// The number of objects [`set_boxed_mut_ptr`] handed out that
/// [`free_box`] has not taken back.
pub(super) fn live_objects() -> usize {
    LIVE_OBJECTS.load(Ordering::Relaxed)
}

/// Hand a new object to the caller through `out`: `Some` is boxed (and
/// counted until [`free_box`]), `None` stores NULL. `value` is not even
/// called when `out` is NULL.
///
/// # Safety
/// As [`write`].
pub(super) unsafe fn set_boxed_mut_ptr<T>(out: *mut *mut T, value: impl FnOnce() -> Option<T>) {
    if out.is_null() {
        return;
    }
    let p = match value() {
        Some(v) => {
            LIVE_OBJECTS.fetch_add(1, Ordering::Relaxed);
            Box::into_raw(Box::new(v))
        }
        None => std::ptr::null_mut(),
    };
    write(out, p);
}

/// [`set_boxed_mut_ptr`] for a result: the new object on success, NULL on
/// error (which is given back).
///
/// # Safety
/// As [`write`].
pub(super) unsafe fn set_result_ptr<T>(out: *mut *mut T, value: FfiResult<T>) -> FfiResult<()> {
    match value {
        Ok(v) => {
            set_boxed_mut_ptr(out, || Some(v));
            Ok(())
        }
        Err(e) => {
            set_boxed_mut_ptr(out, || None);
            Err(e)
        }
    }
}

/// Drop an object made by [`set_boxed_mut_ptr`]; NULL is a no-op.
///
/// # Safety
/// `p` is NULL or from [`set_boxed_mut_ptr`] and not yet freed.
pub(super) unsafe fn free_box<T>(p: *mut T) {
    if !p.is_null() {
        LIVE_OBJECTS.fetch_sub(1, Ordering::Relaxed);
        // Dropping plain owned data cannot panic; no boundary needed.
        drop(Box::from_raw(p));
    }
}

/// Copy `text` into the caller's buffer `buf` of `buf_len` bytes, cut to
/// `buf_len - 1` bytes and NUL-terminated, as snprintf does (nothing when
/// `buf` is NULL or `buf_len` is 0). Returns the length of `text`.
///
/// # Safety
/// `buf` is NULL or points to `buf_len` writable bytes.
pub(super) unsafe fn copy_to_buf(text: &[u8], buf: *mut c_char, buf_len: usize) -> usize {
    if !buf.is_null() && buf_len > 0 {
        let n = text.len().min(buf_len - 1);
        std::ptr::copy_nonoverlapping(text.as_ptr(), buf.cast::<u8>(), n);
        buf.add(n).write(0);
    }
    text.len()
}
