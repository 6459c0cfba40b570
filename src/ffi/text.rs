//! The library's strings as C sees them: copies made once ([`c_string`],
//! [`c_text`]), and texts borrowed from a parsed value ([`CText`],
//! [`CFields`]) so that a push or a record costs no `CString` per field.
//! The accessors of a push's and a record's fields by name and by index
//! share one body each here ([`Fields`]): `ytx_push_field*` and
//! `ytx_record_field*` are one-line calls of these.

use std::ffi::{c_char, CString};

use super::ptr::{self, CStrPtr, EMPTY};
use crate::record;

/// A C string from text that might contain NUL (e.g. a platform message):
/// NULs become U+FFFD so that the rest of the text survives.
pub(super) fn c_string(s: String) -> CString {
    CString::new(s).unwrap_or_else(|e| {
        let text = String::from_utf8_lossy(&e.into_vec()).replace('\0', "\u{FFFD}");
        CString::new(text).unwrap_or_default()
    })
}

/// [`c_string`] of a borrowed text, copied once into a buffer with room
/// for the NUL (no reallocation to append it); `None` for "" (the static
/// [`EMPTY`], no allocation).
pub(super) fn c_text(s: &str) -> Option<CString> {
    if s.is_empty() {
        return None;
    }
    let mut bytes = Vec::with_capacity(s.len() + 1);
    bytes.extend_from_slice(s.as_bytes());
    Some(CString::new(bytes).unwrap_or_else(|_| c_string(s.to_owned())))
}

/// A NUL-terminated string borrowed from the core value its object holds
/// (the buffer of `record::Fields`, which never moves while the object
/// lives), or the static "". No text is copied: a 4 MiB push costs about
/// its own size again through the C ABI, not a `CString` per field.
/// `repr(transparent)`: a `[CText]` is a C array of `const char *`
/// ([`CFields::arrays`]).
#[derive(Clone, Copy)]
#[repr(transparent)]
pub(super) struct CText(*const c_char);

// SAFETY: a CText points into immutable data owned by the same object (or
// into a static); the object is read-only after it is made, so sharing it
// between threads is sharing immutable bytes.
unsafe impl Send for CText {}
// SAFETY: as for Send.
unsafe impl Sync for CText {}

impl CText {
    /// The static "".
    pub(super) const EMPTY: CText = CText(EMPTY);

    /// `text` from `fields` (see `Fields::c_str`); "" when absent or, which
    /// the core rules out, not a text of these fields.
    pub(super) fn of(fields: &record::Fields, text: Option<&str>) -> CText {
        CText(
            text.and_then(|t| fields.c_str(t))
                .map_or(EMPTY, |c| c.as_ptr()),
        )
    }
}

impl CStrPtr for CText {
    fn c_ptr(&self) -> *const c_char {
        self.0
    }
}

/// Fields by wire name, in the order sent, borrowed from the core's fields.
pub(super) struct CFields {
    names: Vec<CText>,
    values: Vec<CText>,
    /// The core's fields, for lookups by name (binary search); owned by the
    /// same object, never moved while it lives.
    fields: *const record::Fields,
}

// SAFETY: as for CText: read-only data of the same object.
unsafe impl Send for CFields {}
// SAFETY: as for Send.
unsafe impl Sync for CFields {}

impl CFields {
    /// # Safety
    /// `fields` must outlive the result and never move (it lives in an Arc
    /// of the same object).
    pub(super) unsafe fn new(fields: &record::Fields) -> CFields {
        let (names, values) = fields
            .iter()
            .map(|(k, v)| (CText::of(fields, Some(k)), CText::of(fields, Some(v))))
            .unzip();
        CFields {
            names,
            values,
            fields,
        }
    }

    pub(super) fn none() -> CFields {
        CFields {
            names: Vec::new(),
            values: Vec::new(),
            fields: std::ptr::null(),
        }
    }

    /// # Safety
    /// `name` is NULL or a NUL-terminated string.
    unsafe fn get(&self, name: *const c_char) -> *const c_char {
        let Ok(name) = ptr::str_arg(name, "name") else {
            return std::ptr::null();
        };
        ptr::read(self.fields, std::ptr::null(), |fields| {
            fields
                .get(name)
                .map_or(std::ptr::null(), |v| CText::of(fields, Some(v)).c_ptr())
        })
    }

    /// The number of fields and their names and values as C arrays of
    /// `const char *` (NULL when there are none), valid while `self` lives.
    pub(super) fn arrays(&self) -> (usize, *const *const c_char, *const *const c_char) {
        let array = |list: &[CText]| {
            if list.is_empty() {
                std::ptr::null()
            } else {
                list.as_ptr().cast::<*const c_char>()
            }
        };
        (self.names.len(), array(&self.names), array(&self.values))
    }

    fn nth(list: &[CText], index: usize) -> *const c_char {
        list.get(index).map_or(std::ptr::null(), CText::c_ptr)
    }
}

/// A C object whose fields are readable by wire name and by index (a push,
/// a record): the four field accessors of each are these functions.
pub(super) trait Fields {
    fn c_fields(&self) -> &CFields;

    /// `ytx_x_field`: the value of field `name`, NULL when absent (or the
    /// object or `name` is NULL).
    ///
    /// # Safety
    /// `owner` is NULL or a live object; `name` is NULL or NUL-terminated.
    unsafe fn field(owner: *const Self, name: *const c_char) -> *const c_char
    where
        Self: Sized,
    {
        ptr::read(owner, std::ptr::null(), |o| o.c_fields().get(name))
    }

    /// `ytx_x_field_count`: the number of fields (0 for NULL).
    ///
    /// # Safety
    /// `owner` is NULL or a live object.
    unsafe fn field_count(owner: *const Self) -> usize
    where
        Self: Sized,
    {
        ptr::read(owner, 0, |o| o.c_fields().names.len())
    }

    /// `ytx_x_field_name`: the wire name of field number `index` (in the
    /// order sent), NULL when out of range.
    ///
    /// # Safety
    /// `owner` is NULL or a live object.
    unsafe fn field_name(owner: *const Self, index: usize) -> *const c_char
    where
        Self: Sized,
    {
        ptr::read(owner, std::ptr::null(), |o| {
            CFields::nth(&o.c_fields().names, index)
        })
    }

    /// `ytx_x_field_value`: the value of field number `index`, NULL when
    /// out of range.
    ///
    /// # Safety
    /// `owner` is NULL or a live object.
    unsafe fn field_value(owner: *const Self, index: usize) -> *const c_char
    where
        Self: Sized,
    {
        ptr::read(owner, std::ptr::null(), |o| {
            CFields::nth(&o.c_fields().values, index)
        })
    }
}
