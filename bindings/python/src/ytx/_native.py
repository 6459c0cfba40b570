# mypy: disable-error-code="empty-body"
# (The declarations of the C symbols below have no Python body: it never runs.)
"""Finding and loading libytx, and the declaration of every C symbol.

This module mirrors ``include/ytx.h``: each symbol is declared once, as a
typed method of :class:`NativeLibrary` under its C prototype, with its
``argtypes``, ``restype`` and ``errcheck`` in the ``@_c_function`` above it
(the idea of llama-cpp-python's ``ctypes_function``), so that a call with a
wrong argument is a ``ctypes.ArgumentError`` (a ``TypeError``-like
exception) instead of undefined behaviour.

Nothing here is loaded at import time: the library is opened lazily, once, on
first use (thread-safe), from the first of these places that exists:

1. an explicit path (``ytx.load_library(path)`` or ``Client(library=path)``);
2. the ``YTX_LIBRARY`` environment variable (a file, or a folder holding it);
3. a copy inside this package's folder (how a wheel ships it);
4. the platform's normal search (``libytx.so`` / ``libytx.dylib`` /
   ``ytx.dll``: ``LD_LIBRARY_PATH``, ``DYLD_LIBRARY_PATH``, ``PATH``, the
   linker cache, ...).

An explicit path or ``YTX_LIBRARY`` is authoritative: when it is set but
unusable, that is an error, rather than a silent fall-back to some other copy
of the library found further down the list.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
import threading
from ctypes import (
    POINTER,
    c_char_p,
    c_int32,
    c_int64,
    c_size_t,
    c_uint16,
    c_uint32,
    c_uint64,
    c_void_p,
)
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, TypeVar, Union

__all__ = [
    "EXPECTED_VERSION",
    "EXPECTED_VERSION_NUMBER",
    "ENV_VAR",
    "LibraryError",
    "LibraryNotFound",
    "LibraryVersionMismatch",
    "NativeLibrary",
    "load_library",
    "default_library",
    "library_file_names",
]

#: ``YTX_VERSION`` / ``YTX_VERSION_NUMBER`` of the ``ytx.h`` this module mirrors.
EXPECTED_VERSION = "0.1.0"
EXPECTED_VERSION_NUMBER = 100

#: The environment variable naming the library file (or its folder).
ENV_VAR = "YTX_LIBRARY"

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


class LibraryError(ImportError):
    """The native library could not be used (base of the loading errors)."""


class LibraryNotFound(LibraryError):
    """No usable libytx was found; the message lists every place tried."""

    def __init__(self, message: str, tried: Sequence[Tuple[str, str]] = ()) -> None:
        super().__init__(message)
        #: ``(place, why it failed)`` for every place tried, in order.
        self.tried: List[Tuple[str, str]] = list(tried)


class LibraryVersionMismatch(LibraryError):
    """The library found is a version this binding was not written for."""

    def __init__(self, message: str, path: str, found: int, expected: int) -> None:
        super().__init__(message)
        self.path = path
        self.found = found
        self.expected = expected


# --- C types -----------------------------------------------------------------


class ytx_client(ctypes.Structure):
    """Opaque ``struct ytx_client`` (only ever handled through a pointer)."""


class ytx_outcome(ctypes.Structure):
    """Opaque ``struct ytx_outcome`` (only ever handled through a pointer)."""


class ytx_push(ctypes.Structure):
    """Opaque ``struct ytx_push`` (a parsed push body)."""


class ytx_records(ctypes.Structure):
    """Opaque ``struct ytx_records`` (a list of call records)."""


class ytx_record(ctypes.Structure):
    """Opaque ``struct ytx_record`` (one call record, borrowed from its list)."""


class ytx_balance(ctypes.Structure):
    """Opaque ``struct ytx_balance``."""


class ytx_resolution(ctypes.Structure):
    """Opaque ``struct ytx_resolution`` (the answer of ``ytx_resolve``)."""


class ytx_outcome_view(ctypes.Structure):
    """``struct ytx_outcome_view``: an outcome's numbers and borrowed strings,
    filled in one call by ``ytx_outcome_view_of``. ctypes copies a
    ``c_char_p`` field to ``bytes`` when it is read: read the strings before
    the outcome is freed."""

    _fields_ = [
        ("result", c_uint32),  # ytx_result
        ("delivery", c_uint32),  # ytx_delivery
        ("retry_after_ms", c_uint32),
        ("http_status", c_uint16),
        ("retry_safe", ctypes.c_bool),
        ("message", c_char_p),
        ("field", c_char_p),
        ("status_code", c_char_p),
        ("status_msg", c_char_p),
        ("request_id", c_char_p),
        ("ticket", c_char_p),
    ]


class ytx_push_view(ctypes.Structure):
    """``struct ytx_push_view``: a push's kind, state, texts and fields,
    filled in one call by ``ytx_push_view_of`` (borrowed from the push: read
    them before ``ytx_push_free``)."""

    _fields_ = [
        ("kind", c_uint32),  # ytx_push_kind
        ("state", c_uint32),  # ytx_call_state
        ("has_timestamp_unix", c_int32),
        ("timestamp_unix", c_int64),
        ("request_id", c_char_p),
        ("number", c_char_p),
        ("state_text", c_char_p),
        ("state_desc", c_char_p),
        ("timestamp", c_char_p),
        ("field_count", c_size_t),
        ("field_names", POINTER(c_char_p)),
        ("field_values", POINTER(c_char_p)),
    ]


ytx_client_p = POINTER(ytx_client)
ytx_outcome_p = POINTER(ytx_outcome)
ytx_outcome_pp = POINTER(ytx_outcome_p)
ytx_client_pp = POINTER(ytx_client_p)
c_char_p_p = POINTER(c_char_p)  # const char *const *
ytx_push_p = POINTER(ytx_push)
ytx_push_pp = POINTER(ytx_push_p)
ytx_records_p = POINTER(ytx_records)
ytx_records_pp = POINTER(ytx_records_p)
ytx_record_p = POINTER(ytx_record)
ytx_balance_p = POINTER(ytx_balance)
ytx_balance_pp = POINTER(ytx_balance_p)
ytx_resolution_p = POINTER(ytx_resolution)
ytx_resolution_pp = POINTER(ytx_resolution_p)
c_int64_p = POINTER(c_int64)
# The enums that cross the boundary are fixed-width in ytx.h (typedef uint32_t).
ytx_result = c_uint32
ytx_delivery = c_uint32
ytx_log_level = c_uint32
# The push and resolution enums, fixed-width the same way.
ytx_push_kind = c_uint32
ytx_call_state = c_uint32
ytx_resolution_status = c_uint32

#: ``YTX_PUSH_*`` and ``YTX_CALL_STATE_*`` of ``ytx.h`` (a test compares them
#: with the header).
YTX_PUSH_NONE = 0
YTX_PUSH_STATE = 1
YTX_PUSH_RECORDS = 2
YTX_CALL_STATE_UNKNOWN = 0
YTX_CALL_STATE_CALLOUT = 1
YTX_CALL_STATE_ALERTING = 2
YTX_CALL_STATE_ANSWER = 3
YTX_CALL_STATE_DISCONNECT = 4
#: ``YTX_RESOLUTION_*`` of ``ytx.h`` (a test compares them with the header).
YTX_RESOLUTION_NONE = 0
YTX_RESOLUTION_PLACED = 1
YTX_RESOLUTION_NOT_PLACED = 2
YTX_RESOLUTION_NOT_KNOWN_YET = 3
YTX_RESOLUTION_CANNOT_BE_RESOLVED = 4


# --- the tracker (issue 21) ----------------------------------------------------


class ytx_tracker(ctypes.Structure):
    """Opaque ``struct ytx_tracker`` (a handle: looked up, never dereferenced)."""


class ytx_event(ctypes.Structure):
    """Opaque ``struct ytx_event`` (one event of a tracker, owned by the caller)."""


class ytx_pending(ctypes.Structure):
    """Opaque ``struct ytx_pending`` (what a tracker still watches)."""


ytx_tracker_p = POINTER(ytx_tracker)
ytx_tracker_pp = POINTER(ytx_tracker_p)
ytx_event_p = POINTER(ytx_event)
ytx_event_pp = POINTER(ytx_event_p)
ytx_pending_p = POINTER(ytx_pending)
ytx_pending_pp = POINTER(ytx_pending_p)
ytx_event_kind = c_uint32

#: ``YTX_EVENT_*`` of ``ytx.h`` (a test compares them with the header).
YTX_EVENT_NONE = 0
YTX_EVENT_LEG_STATE = 1
YTX_EVENT_COMPLETED = 2
YTX_EVENT_RESOLVED = 3
YTX_EVENT_OVERDUE = 4
YTX_EVENT_UNRECOGNISED_PUSH = 5

#: ``typedef void (*ytx_log_callback)(void *user_data, enum ytx_log_level level,
#: const char *message)``. ctypes hands the callback the message as ``bytes``
#: (a copy). ``ytx_log_callback()`` (no argument) is the NULL callback.
ytx_log_callback = ctypes.CFUNCTYPE(None, c_void_p, ytx_log_level, c_char_p)


def _decode(result: Optional[bytes], func: Any, args: Any) -> str:
    """errcheck for ``const char *`` returns: borrowed UTF-8 -> a Python str.

    ctypes has already copied the bytes (``c_char_p`` restype), so the
    returned str stays valid after the outcome it came from is freed.
    """
    if result is None:  # never NULL per ytx.h; be safe anyway
        return ""
    return result.decode("utf-8", "replace")


def _decode_optional(result: Optional[bytes], func: Any, args: Any) -> Optional[str]:
    """errcheck for ``const char *`` returns that may be NULL ("absent")."""
    if result is None:
        return None
    return result.decode("utf-8", "replace")


_Prototype = Tuple[Any, List[Any], Optional[Callable[..., Any]]]

#: name: (restype, argtypes, errcheck) of every C symbol, in the order of
#: ytx.h; filled by :func:`_c_function` as the class body of
#: :class:`NativeLibrary` runs (its one declaration of each symbol).
_PROTOTYPES: Dict[str, _Prototype] = {}

_F = TypeVar("_F", bound=Callable[..., Any])


def _c_function(
    argtypes: Sequence[Any],
    restype: Any,
    errcheck: Optional[Callable[..., Any]] = None,
) -> Callable[[_F], _F]:
    """Declare the C symbol named like the decorated method, once.

    The method's typed signature is what callers and type checkers see; its
    ``argtypes``, ``restype`` and ``errcheck`` are recorded in ``_PROTOTYPES``
    for :class:`NativeLibrary` to bind on load, when the library's function
    replaces the method on the instance. The Python body never runs.
    """

    def declare(method: _F) -> _F:
        name = method.__name__
        if name in _PROTOTYPES:
            raise TypeError(f"{name} is declared twice")
        _PROTOTYPES[name] = (restype, list(argtypes), errcheck)
        return method

    return declare


def _c_same_as(twin: _F, name: str) -> _F:
    """Declare the C symbol ``name``, whose prototype is ``twin``'s (a
    ``*_prepare`` function and the call it prepares)."""
    if name in _PROTOTYPES:
        raise TypeError(f"{name} is declared twice")
    _PROTOTYPES[name] = _PROTOTYPES[twin.__name__]
    return twin


def _names(count: Callable[[], int], name: Callable[[int], Optional[str]]) -> List[str]:
    out: List[str] = []
    for i in range(int(count())):
        n = name(i)
        if n is not None:
            out.append(n)
    return out


def _compatible(found: int, expected: int) -> bool:
    """Same major version; for 0.x also the same minor (0.x minors break)."""
    f_major, f_minor = divmod(found // 100, 100)
    e_major, e_minor = divmod(expected // 100, 100)
    if f_major != e_major:
        return False
    if e_major == 0:
        return f_minor == e_minor
    return f_minor >= e_minor


def _version_text(n: int) -> str:
    return f"{n // 10000}.{n // 100 % 100}.{n % 100}"


class NativeLibrary:
    """One loaded libytx, with every symbol declared.

    The C functions are attributes named as in ``ytx.h``
    (``lib.ytx_callback_call(...)``), declared once each at the end of this
    class; loading binds every declared symbol (a missing one is an error).
    Instances are made by :func:`load_library`; there is one per library file.
    """

    def __init__(self, cdll: ctypes.CDLL, path: str) -> None:
        self.path = path
        self._cdll = cdll
        for name, (restype, argtypes, errcheck) in _PROTOTYPES.items():
            try:
                fn = cdll[name]  # a fresh function object, not shared
            except AttributeError:
                raise LibraryError(
                    f"{path}: has no symbol {name!r}: not the ytx library, or a "
                    f"version this binding (for ytx {EXPECTED_VERSION}) does not know"
                ) from None
            fn.restype = restype
            fn.argtypes = argtypes
            if errcheck is not None:
                fn.errcheck = errcheck
            setattr(self, name, fn)
        found = int(self.ytx_version_number())
        if not _compatible(found, EXPECTED_VERSION_NUMBER):
            raise LibraryVersionMismatch(
                f"{path}: is ytx {self.ytx_version()} (version number {found}), but "
                f"this Python binding was written for ytx "
                f"{_version_text(EXPECTED_VERSION_NUMBER)} (version number "
                f"{EXPECTED_VERSION_NUMBER}); install the matching library or binding",
                path,
                found,
                EXPECTED_VERSION_NUMBER,
            )
        self.version: str = self.ytx_version()
        self.version_number: int = found

    def live_clients(self) -> int:
        """Client handles created by this library and not yet freed."""
        return int(self.ytx_live_clients())

    def live_objects(self) -> int:
        """Outcomes, pushes, record lists and balances not yet freed."""
        return int(self.ytx_live_objects())

    def client_option_names(self) -> List[str]:
        """The option names ``ytx_client_new`` accepts (``"timeout_ms"``, ...)."""
        return _names(self.ytx_client_option_count, self.ytx_client_option_name)

    def callback_option_names(self) -> List[str]:
        """The callback call's optional fields by wire name, in wire order."""
        return _names(self.ytx_callback_option_count, self.ytx_callback_option_name)

    def status_codes(self) -> Dict[str, str]:
        """The library's table of platform statusCodes -> what each means."""
        table: Dict[str, str] = {}
        for i in range(int(self.ytx_status_code_count())):
            code = self.ytx_status_code_at(i)
            if code is not None:
                table[code] = self.ytx_explain_status_code(code.encode("utf-8")) or ""
        return table

    def delivery_name(self, delivery: int) -> str:
        """The C name of a delivery state, e.g. ``"YTX_DELIVERY_NOT_SENT"``."""
        return self.ytx_delivery_name(int(delivery))

    def result_name(self, code: int) -> str:
        """The C name of a result code, e.g. ``"YTX_ERR_TIMEOUT"``."""
        return self.ytx_result_name(int(code))

    def __repr__(self) -> str:
        return f"<ytx.NativeLibrary {self.version} at {self.path!r}>"

    # --- the C symbols, in the order of ytx.h (bound in __init__) ---------------

    # int64_t ytx_balance_fen(const struct ytx_balance *balance);
    @_c_function([ytx_balance_p], c_int64)
    def ytx_balance_fen(self, balance: Any) -> int: ...

    # void ytx_balance_free(struct ytx_balance *balance);
    @_c_function([ytx_balance_p], None)
    def ytx_balance_free(self, balance: Any) -> None: ...

    # const char *ytx_balance_text(const struct ytx_balance *balance);
    @_c_function([ytx_balance_p], c_char_p, _decode)
    def ytx_balance_text(self, balance: Any) -> str: ...

    # enum ytx_result ytx_call_record(const struct ytx_client *client,
    #     const char *request_id, const char *fid, struct ytx_records **records_out,
    #     struct ytx_outcome **outcome_out);
    @_c_function([ytx_client_p, c_char_p, c_char_p, ytx_records_pp, ytx_outcome_pp], ytx_result)
    def ytx_call_record(
        self,
        client: Any,
        request_id: Optional[bytes],
        fid: Optional[bytes],
        records_out: Any,
        outcome_out: Any,
    ) -> int: ...

    # enum ytx_result ytx_call_records_after(const struct ytx_client *client,
    #     const char *request_id, uint32_t limit, const char *fid,
    #     struct ytx_records **records_out, struct ytx_outcome **outcome_out);
    @_c_function(
        [ytx_client_p, c_char_p, c_uint32, c_char_p, ytx_records_pp, ytx_outcome_pp],
        ytx_result,
    )
    def ytx_call_records_after(
        self,
        client: Any,
        request_id: Optional[bytes],
        limit: int,
        fid: Optional[bytes],
        records_out: Any,
        outcome_out: Any,
    ) -> int: ...

    # enum ytx_result ytx_callback_call(const struct ytx_client *client,
    #     const char *src, const char *dst, int64_t credit,
    #     const char *const *option_names, const char *const *option_values,
    #     size_t option_count, struct ytx_outcome **outcome_out);
    @_c_function(
        [ytx_client_p, c_char_p, c_char_p, c_int64, c_char_p_p, c_char_p_p, c_size_t,
         ytx_outcome_pp],
        ytx_result,
    )
    def ytx_callback_call(
        self,
        client: Any,
        src: Optional[bytes],
        dst: Optional[bytes],
        credit: int,
        option_names: Any,
        option_values: Any,
        option_count: int,
        outcome_out: Any,
    ) -> int: ...

    # size_t ytx_callback_option_count(void);
    @_c_function([], c_size_t)
    def ytx_callback_option_count(self) -> int: ...

    # const char *ytx_callback_option_name(size_t index);  (NULL out of range)
    @_c_function([c_size_t], c_char_p, _decode_optional)
    def ytx_callback_option_name(self, index: int) -> Optional[str]: ...

    # enum ytx_result ytx_callback_prepare(...same as ytx_callback_call...);
    ytx_callback_prepare = _c_same_as(ytx_callback_call, "ytx_callback_prepare")

    # size_t ytx_client_base_url(const struct ytx_client *client, char *buf,
    #     size_t buf_len);
    @_c_function([ytx_client_p, c_char_p, c_size_t], c_size_t)
    def ytx_client_base_url(self, client: Any, buf: Any, buf_len: int) -> int: ...

    # enum ytx_result ytx_client_new(const char *account_sid,
    #     const char *auth_token, const char *app_id,
    #     const char *const *option_names, const char *const *option_values,
    #     size_t option_count, struct ytx_client **client_out,
    #     struct ytx_outcome **outcome_out);
    @_c_function(
        [c_char_p, c_char_p, c_char_p, c_char_p_p, c_char_p_p, c_size_t, ytx_client_pp,
         ytx_outcome_pp],
        ytx_result,
    )
    def ytx_client_new(
        self,
        account_sid: Optional[bytes],
        auth_token: Optional[bytes],
        app_id: Optional[bytes],
        option_names: Any,
        option_values: Any,
        option_count: int,
        client_out: Any,
        outcome_out: Any,
    ) -> int: ...

    # size_t ytx_client_option_count(void);
    @_c_function([], c_size_t)
    def ytx_client_option_count(self) -> int: ...

    # const char *ytx_client_option_name(size_t index);  (NULL out of range)
    @_c_function([c_size_t], c_char_p, _decode_optional)
    def ytx_client_option_name(self, index: int) -> Optional[str]: ...

    # uint64_t ytx_default_connect_timeout_ms(void);
    @_c_function([], c_uint64)
    def ytx_default_connect_timeout_ms(self) -> int: ...

    # uint64_t ytx_default_timeout_ms(void);
    @_c_function([], c_uint64)
    def ytx_default_timeout_ms(self) -> int: ...

    # const char *ytx_delivery_name(ytx_delivery delivery);   (uint32_t)
    @_c_function([ytx_delivery], c_char_p, _decode)
    def ytx_delivery_name(self, delivery: int) -> str: ...

    # const char *ytx_event_custom_parm(const struct ytx_event *event);  ("" when none)
    @_c_function([ytx_event_p], c_char_p, _decode)
    def ytx_event_custom_parm(self, event: Any) -> str: ...

    # void ytx_event_free(struct ytx_event *event);
    @_c_function([ytx_event_p], None)
    def ytx_event_free(self, event: Any) -> None: ...

    # const char *ytx_event_kind_name(ytx_event_kind kind);
    @_c_function([ytx_event_kind], c_char_p, _decode)
    def ytx_event_kind_name(self, kind: int) -> str: ...

    # ytx_event_kind ytx_event_kind_of(const struct ytx_event *event);
    @_c_function([ytx_event_p], ytx_event_kind)
    def ytx_event_kind_of(self, event: Any) -> int: ...

    # const char *ytx_event_leg(const struct ytx_event *event);
    @_c_function([ytx_event_p], c_char_p, _decode)
    def ytx_event_leg(self, event: Any) -> str: ...

    # const char *ytx_event_number(const struct ytx_event *event);
    @_c_function([ytx_event_p], c_char_p, _decode)
    def ytx_event_number(self, event: Any) -> str: ...

    # int32_t ytx_event_placed(const struct ytx_event *event);  (1, 0, -1)
    @_c_function([ytx_event_p], c_int32)
    def ytx_event_placed(self, event: Any) -> int: ...

    # const char *ytx_event_reason(const struct ytx_event *event);
    @_c_function([ytx_event_p], c_char_p, _decode)
    def ytx_event_reason(self, event: Any) -> str: ...

    # const struct ytx_record *ytx_event_record(const struct ytx_event *event);
    @_c_function([ytx_event_p], ytx_record_p)
    def ytx_event_record(self, event: Any) -> Any: ...

    # const char *ytx_event_request_id(const struct ytx_event *event);
    @_c_function([ytx_event_p], c_char_p, _decode)
    def ytx_event_request_id(self, event: Any) -> str: ...

    # const char *ytx_event_state(const struct ytx_event *event);
    @_c_function([ytx_event_p], c_char_p, _decode)
    def ytx_event_state(self, event: Any) -> str: ...

    # const char *ytx_event_ticket(const struct ytx_event *event);
    @_c_function([ytx_event_p], c_char_p, _decode)
    def ytx_event_ticket(self, event: Any) -> str: ...

    # const char *ytx_event_timestamp(const struct ytx_event *event);
    @_c_function([ytx_event_p], c_char_p, _decode)
    def ytx_event_timestamp(self, event: Any) -> str: ...

    # int32_t ytx_event_verified(const struct ytx_event *event);
    @_c_function([ytx_event_p], c_int32)
    def ytx_event_verified(self, event: Any) -> int: ...

    # const char *ytx_explain_status_code(const char *status_code);  (NULL: unknown)
    @_c_function([c_char_p], c_char_p, _decode_optional)
    def ytx_explain_status_code(self, status_code: Optional[bytes]) -> Optional[str]: ...

    # enum ytx_result ytx_find_call(const struct ytx_client *client,
    #     const char *custom_parm, const char *after_request_id, const char *fid,
    #     struct ytx_records **records_out, struct ytx_outcome **outcome_out);
    @_c_function(
        [ytx_client_p, c_char_p, c_char_p, c_char_p, ytx_records_pp, ytx_outcome_pp],
        ytx_result,
    )
    def ytx_find_call(
        self,
        client: Any,
        custom_parm: Optional[bytes],
        after_request_id: Optional[bytes],
        fid: Optional[bytes],
        records_out: Any,
        outcome_out: Any,
    ) -> int: ...

    # enum ytx_result ytx_free(struct ytx_client *client);
    @_c_function([ytx_client_p], ytx_result)
    def ytx_free(self, client: Any) -> int: ...

    # size_t ytx_live_clients(void);
    @_c_function([], c_size_t)
    def ytx_live_clients(self) -> int: ...

    # size_t ytx_live_objects(void);
    @_c_function([], c_size_t)
    def ytx_live_objects(self) -> int: ...

    # size_t ytx_live_trackers(void);
    @_c_function([], c_size_t)
    def ytx_live_trackers(self) -> int: ...

    # enum ytx_delivery ytx_outcome_delivery(const struct ytx_outcome *outcome);
    @_c_function([ytx_outcome_p], ytx_delivery)
    def ytx_outcome_delivery(self, outcome: Any) -> int: ...

    # const char *ytx_outcome_field(const struct ytx_outcome *outcome);
    @_c_function([ytx_outcome_p], c_char_p, _decode)
    def ytx_outcome_field(self, outcome: Any) -> str: ...

    # void ytx_outcome_free(struct ytx_outcome *outcome);
    @_c_function([ytx_outcome_p], None)
    def ytx_outcome_free(self, outcome: Any) -> None: ...

    # uint16_t ytx_outcome_http_status(const struct ytx_outcome *outcome);
    @_c_function([ytx_outcome_p], c_uint16)
    def ytx_outcome_http_status(self, outcome: Any) -> int: ...

    # const char *ytx_outcome_message(const struct ytx_outcome *outcome);
    @_c_function([ytx_outcome_p], c_char_p, _decode)
    def ytx_outcome_message(self, outcome: Any) -> str: ...

    # const char *ytx_outcome_request_body(const struct ytx_outcome *outcome);
    @_c_function([ytx_outcome_p], c_char_p, _decode)
    def ytx_outcome_request_body(self, outcome: Any) -> str: ...

    # const char *ytx_outcome_request_headers(const struct ytx_outcome *outcome);
    @_c_function([ytx_outcome_p], c_char_p, _decode)
    def ytx_outcome_request_headers(self, outcome: Any) -> str: ...

    # const char *ytx_outcome_request_id(const struct ytx_outcome *outcome);
    @_c_function([ytx_outcome_p], c_char_p, _decode)
    def ytx_outcome_request_id(self, outcome: Any) -> str: ...

    # const char *ytx_outcome_request_method(const struct ytx_outcome *outcome);
    @_c_function([ytx_outcome_p], c_char_p, _decode)
    def ytx_outcome_request_method(self, outcome: Any) -> str: ...

    # const char *ytx_outcome_request_url(const struct ytx_outcome *outcome);
    @_c_function([ytx_outcome_p], c_char_p, _decode)
    def ytx_outcome_request_url(self, outcome: Any) -> str: ...

    # const char *ytx_outcome_request_url_redacted(const struct ytx_outcome *outcome);
    @_c_function([ytx_outcome_p], c_char_p, _decode)
    def ytx_outcome_request_url_redacted(self, outcome: Any) -> str: ...

    # enum ytx_result ytx_outcome_result(const struct ytx_outcome *outcome);
    @_c_function([ytx_outcome_p], ytx_result)
    def ytx_outcome_result(self, outcome: Any) -> int: ...

    # uint32_t ytx_outcome_retry_after_ms(const struct ytx_outcome *outcome);
    @_c_function([ytx_outcome_p], ctypes.c_uint32)
    def ytx_outcome_retry_after_ms(self, outcome: Any) -> int: ...

    # bool ytx_outcome_retry_safe(const struct ytx_outcome *outcome);
    @_c_function([ytx_outcome_p], ctypes.c_bool)
    def ytx_outcome_retry_safe(self, outcome: Any) -> bool: ...

    # const char *ytx_outcome_status_code(const struct ytx_outcome *outcome);
    @_c_function([ytx_outcome_p], c_char_p, _decode)
    def ytx_outcome_status_code(self, outcome: Any) -> str: ...

    # const char *ytx_outcome_status_msg(const struct ytx_outcome *outcome);
    @_c_function([ytx_outcome_p], c_char_p, _decode)
    def ytx_outcome_status_msg(self, outcome: Any) -> str: ...

    # const char *ytx_outcome_ticket(const struct ytx_outcome *outcome);  ("" when none)
    @_c_function([ytx_outcome_p], c_char_p, _decode)
    def ytx_outcome_ticket(self, outcome: Any) -> str: ...

    # ytx_result ytx_outcome_view_of(const struct ytx_outcome *outcome,
    #     struct ytx_outcome_view *view_out);
    @_c_function([ytx_outcome_p, POINTER(ytx_outcome_view)], ytx_result)
    def ytx_outcome_view_of(self, outcome: Any, view_out: Any) -> int: ...

    # size_t ytx_pending_count(const struct ytx_pending *pending);
    @_c_function([ytx_pending_p], c_size_t)
    def ytx_pending_count(self, pending: Any) -> int: ...

    # uint32_t ytx_pending_credit(const struct ytx_pending *pending, size_t index);
    @_c_function([ytx_pending_p, c_size_t], c_uint32)
    def ytx_pending_credit(self, pending: Any, index: int) -> int: ...

    # const char *ytx_pending_custom_parm(const struct ytx_pending *pending, size_t index);
    @_c_function([ytx_pending_p, c_size_t], c_char_p, _decode)
    def ytx_pending_custom_parm(self, pending: Any, index: int) -> str: ...

    # const char *ytx_pending_dst(const struct ytx_pending *pending, size_t index);
    @_c_function([ytx_pending_p, c_size_t], c_char_p, _decode)
    def ytx_pending_dst(self, pending: Any, index: int) -> str: ...

    # int64_t ytx_pending_dst_timeout(const struct ytx_pending *pending, size_t index);
    @_c_function([ytx_pending_p, c_size_t], c_int64)
    def ytx_pending_dst_timeout(self, pending: Any, index: int) -> int: ...

    # void ytx_pending_free(struct ytx_pending *pending);
    @_c_function([ytx_pending_p], None)
    def ytx_pending_free(self, pending: Any) -> None: ...

    # const char *ytx_pending_json(const struct ytx_pending *pending, size_t index);
    @_c_function([ytx_pending_p, c_size_t], c_char_p, _decode)
    def ytx_pending_json(self, pending: Any, index: int) -> str: ...

    # const char *ytx_pending_request_id(const struct ytx_pending *pending, size_t index);
    @_c_function([ytx_pending_p, c_size_t], c_char_p, _decode)
    def ytx_pending_request_id(self, pending: Any, index: int) -> str: ...

    # int64_t ytx_pending_sent_unix(const struct ytx_pending *pending, size_t index);
    @_c_function([ytx_pending_p, c_size_t], c_int64)
    def ytx_pending_sent_unix(self, pending: Any, index: int) -> int: ...

    # const char *ytx_pending_src(const struct ytx_pending *pending, size_t index);
    @_c_function([ytx_pending_p, c_size_t], c_char_p, _decode)
    def ytx_pending_src(self, pending: Any, index: int) -> str: ...

    # int64_t ytx_pending_src_timeout(const struct ytx_pending *pending, size_t index);
    @_c_function([ytx_pending_p, c_size_t], c_int64)
    def ytx_pending_src_timeout(self, pending: Any, index: int) -> int: ...

    # const char *ytx_pending_ticket(const struct ytx_pending *pending, size_t index);
    @_c_function([ytx_pending_p, c_size_t], c_char_p, _decode)
    def ytx_pending_ticket(self, pending: Any, index: int) -> str: ...

    # const char *ytx_production_url(void);
    @_c_function([], c_char_p, _decode)
    def ytx_production_url(self) -> str: ...

    # const char *ytx_push_field(const struct ytx_push *push, const char *name);
    @_c_function([ytx_push_p, c_char_p], c_char_p, _decode_optional)
    def ytx_push_field(self, push: Any, name: Optional[bytes]) -> Optional[str]: ...

    # size_t ytx_push_field_count(const struct ytx_push *push);
    @_c_function([ytx_push_p], c_size_t)
    def ytx_push_field_count(self, push: Any) -> int: ...

    # const char *ytx_push_field_name(const struct ytx_push *push, size_t index);
    @_c_function([ytx_push_p, c_size_t], c_char_p, _decode_optional)
    def ytx_push_field_name(self, push: Any, index: int) -> Optional[str]: ...

    # const char *ytx_push_field_value(const struct ytx_push *push, size_t index);
    @_c_function([ytx_push_p, c_size_t], c_char_p, _decode_optional)
    def ytx_push_field_value(self, push: Any, index: int) -> Optional[str]: ...

    # void ytx_push_free(struct ytx_push *push);
    @_c_function([ytx_push_p], None)
    def ytx_push_free(self, push: Any) -> None: ...

    # ytx_push_kind ytx_push_kind_of(const struct ytx_push *push);
    @_c_function([ytx_push_p], ytx_push_kind)
    def ytx_push_kind_of(self, push: Any) -> int: ...

    # const char *ytx_push_number(const struct ytx_push *push);  ("" when absent)
    @_c_function([ytx_push_p], c_char_p, _decode)
    def ytx_push_number(self, push: Any) -> str: ...

    # enum ytx_result ytx_push_parse(const uint8_t *body, size_t body_len,
    #     struct ytx_push **push_out, struct ytx_outcome **outcome_out);
    # (c_char_p: takes bytes; the length is passed, so NULs inside are fine.)
    @_c_function([c_char_p, c_size_t, ytx_push_pp, ytx_outcome_pp], ytx_result)
    def ytx_push_parse(
        self,
        body: Optional[bytes],
        body_len: int,
        push_out: Any,
        outcome_out: Any,
    ) -> int: ...

    # enum ytx_result ytx_push_parse_routed(const uint8_t *body, size_t body_len,
    #     const char *target, struct ytx_push **push_out, struct ytx_outcome **outcome_out);
    @_c_function([c_char_p, c_size_t, c_char_p, ytx_push_pp, ytx_outcome_pp], ytx_result)
    def ytx_push_parse_routed(
        self,
        body: Optional[bytes],
        body_len: int,
        target: Optional[bytes],
        push_out: Any,
        outcome_out: Any,
    ) -> int: ...

    # const struct ytx_records *ytx_push_records(const struct ytx_push *push);
    @_c_function([ytx_push_p], ytx_records_p)
    def ytx_push_records(self, push: Any) -> Any: ...

    # const char *ytx_push_request_id(const struct ytx_push *push);  ("" when absent)
    @_c_function([ytx_push_p], c_char_p, _decode)
    def ytx_push_request_id(self, push: Any) -> str: ...

    # ytx_call_state ytx_push_state(const struct ytx_push *push);
    @_c_function([ytx_push_p], ytx_call_state)
    def ytx_push_state(self, push: Any) -> int: ...

    # const char *ytx_push_state_desc(const struct ytx_push *push);  ("" when absent)
    @_c_function([ytx_push_p], c_char_p, _decode)
    def ytx_push_state_desc(self, push: Any) -> str: ...

    # const char *ytx_push_state_text(const struct ytx_push *push);  ("" when absent)
    @_c_function([ytx_push_p], c_char_p, _decode)
    def ytx_push_state_text(self, push: Any) -> str: ...

    # const char *ytx_push_timestamp(const struct ytx_push *push);  ("" when absent)
    @_c_function([ytx_push_p], c_char_p, _decode)
    def ytx_push_timestamp(self, push: Any) -> str: ...

    # int32_t ytx_push_timestamp_unix(const struct ytx_push *push, int64_t *unix_out);
    @_c_function([ytx_push_p, c_int64_p], c_int32)
    def ytx_push_timestamp_unix(self, push: Any, unix_out: Any) -> int: ...

    # ytx_result ytx_push_view_of(const struct ytx_push *push, struct ytx_push_view *view_out);
    @_c_function([ytx_push_p, POINTER(ytx_push_view)], ytx_result)
    def ytx_push_view_of(self, push: Any, view_out: Any) -> int: ...

    # enum ytx_result ytx_query_balance(const struct ytx_client *client,
    #     struct ytx_balance **balance_out, struct ytx_outcome **outcome_out);
    @_c_function([ytx_client_p, ytx_balance_pp, ytx_outcome_pp], ytx_result)
    def ytx_query_balance(self, client: Any, balance_out: Any, outcome_out: Any) -> int: ...

    # int32_t ytx_record_amount_fen(const struct ytx_record *record, int64_t *fen_out);
    @_c_function([ytx_record_p, c_int64_p], c_int32)
    def ytx_record_amount_fen(self, record: Any, fen_out: Any) -> int: ...

    # const char *ytx_record_amount_text(const struct ytx_record *record);  ("" when absent)
    @_c_function([ytx_record_p], c_char_p, _decode)
    def ytx_record_amount_text(self, record: Any) -> str: ...

    # const char *ytx_record_app_id(const struct ytx_record *record);  ("" when absent)
    @_c_function([ytx_record_p], c_char_p, _decode)
    def ytx_record_app_id(self, record: Any) -> str: ...

    # const char *ytx_record_called(const struct ytx_record *record);  ("" when absent)
    @_c_function([ytx_record_p], c_char_p, _decode)
    def ytx_record_called(self, record: Any) -> str: ...

    # const char *ytx_record_caller(const struct ytx_record *record);  ("" when absent)
    @_c_function([ytx_record_p], c_char_p, _decode)
    def ytx_record_caller(self, record: Any) -> str: ...

    # const char *ytx_record_custom_parm(const struct ytx_record *record);  ("" when absent)
    @_c_function([ytx_record_p], c_char_p, _decode)
    def ytx_record_custom_parm(self, record: Any) -> str: ...

    # int64_t ytx_record_duration(const struct ytx_record *record);
    @_c_function([ytx_record_p], c_int64)
    def ytx_record_duration(self, record: Any) -> int: ...

    # const char *ytx_record_fid(const struct ytx_record *record);  ("" when absent)
    @_c_function([ytx_record_p], c_char_p, _decode)
    def ytx_record_fid(self, record: Any) -> str: ...

    # const char *ytx_record_field(const struct ytx_record *record, const char *name);
    @_c_function([ytx_record_p, c_char_p], c_char_p, _decode_optional)
    def ytx_record_field(self, record: Any, name: Optional[bytes]) -> Optional[str]: ...

    # size_t ytx_record_field_count(const struct ytx_record *record);
    @_c_function([ytx_record_p], c_size_t)
    def ytx_record_field_count(self, record: Any) -> int: ...

    # const char *ytx_record_field_name(const struct ytx_record *record, size_t index);
    @_c_function([ytx_record_p, c_size_t], c_char_p, _decode_optional)
    def ytx_record_field_name(self, record: Any, index: int) -> Optional[str]: ...

    # const char *ytx_record_field_value(const struct ytx_record *record, size_t index);
    @_c_function([ytx_record_p, c_size_t], c_char_p, _decode_optional)
    def ytx_record_field_value(self, record: Any, index: int) -> Optional[str]: ...

    # const char *ytx_record_recording_url(const struct ytx_record *record);  ("" when absent)
    @_c_function([ytx_record_p], c_char_p, _decode)
    def ytx_record_recording_url(self, record: Any) -> str: ...

    # const char *ytx_record_request_id(const struct ytx_record *record);  ("" when absent)
    @_c_function([ytx_record_p], c_char_p, _decode)
    def ytx_record_request_id(self, record: Any) -> str: ...

    # const char *ytx_record_state_desc(const struct ytx_record *record);  ("" when absent)
    @_c_function([ytx_record_p], c_char_p, _decode)
    def ytx_record_state_desc(self, record: Any) -> str: ...

    # const char *ytx_record_tel(const struct ytx_record *record);  ("" when absent)
    @_c_function([ytx_record_p], c_char_p, _decode)
    def ytx_record_tel(self, record: Any) -> str: ...

    # int32_t ytx_record_time_unix(const struct ytx_record *record, const char *name,
    #     int64_t *unix_out);
    @_c_function([ytx_record_p, c_char_p, c_int64_p], c_int32)
    def ytx_record_time_unix(self, record: Any, name: Optional[bytes], unix_out: Any) -> int: ...

    # size_t ytx_records_count(const struct ytx_records *records);
    @_c_function([ytx_records_p], c_size_t)
    def ytx_records_count(self, records: Any) -> int: ...

    # void ytx_records_free(struct ytx_records *records);
    @_c_function([ytx_records_p], None)
    def ytx_records_free(self, records: Any) -> None: ...

    # const struct ytx_record *ytx_records_get(const struct ytx_records *records,
    #     size_t index);
    @_c_function([ytx_records_p, c_size_t], ytx_record_p)
    def ytx_records_get(self, records: Any, index: int) -> Any: ...

    # int32_t ytx_resolution_check_again_unix(const struct ytx_resolution *resolution,
    #     int64_t *unix_out);
    @_c_function([ytx_resolution_p, c_int64_p], c_int32)
    def ytx_resolution_check_again_unix(self, resolution: Any, unix_out: Any) -> int: ...

    # const char *ytx_resolution_cursor(const struct ytx_resolution *resolution);
    @_c_function([ytx_resolution_p], c_char_p, _decode)
    def ytx_resolution_cursor(self, resolution: Any) -> str: ...

    # void ytx_resolution_free(struct ytx_resolution *resolution);
    @_c_function([ytx_resolution_p], None)
    def ytx_resolution_free(self, resolution: Any) -> None: ...

    # const char *ytx_resolution_reason(const struct ytx_resolution *resolution);
    @_c_function([ytx_resolution_p], c_char_p, _decode)
    def ytx_resolution_reason(self, resolution: Any) -> str: ...

    # const struct ytx_record *ytx_resolution_record(const struct ytx_resolution *resolution);
    @_c_function([ytx_resolution_p], ytx_record_p)
    def ytx_resolution_record(self, resolution: Any) -> Any: ...

    # const char *ytx_resolution_status_name(ytx_resolution_status status);
    @_c_function([ytx_resolution_status], c_char_p, _decode)
    def ytx_resolution_status_name(self, status: int) -> str: ...

    # ytx_resolution_status ytx_resolution_status_of(const struct ytx_resolution *resolution);
    @_c_function([ytx_resolution_p], ytx_resolution_status)
    def ytx_resolution_status_of(self, resolution: Any) -> int: ...

    # enum ytx_result ytx_resolve(const struct ytx_client *client, const char *ticket,
    #     const char *cursor, uint64_t deadline_ms, uint32_t max_pages,
    #     struct ytx_resolution **resolution_out, struct ytx_outcome **outcome_out);
    @_c_function(
        [ytx_client_p, c_char_p, c_char_p, c_uint64, c_uint32, ytx_resolution_pp,
         ytx_outcome_pp],
        ytx_result,
    )
    def ytx_resolve(
        self,
        client: Any,
        ticket: Optional[bytes],
        cursor: Optional[bytes],
        deadline_ms: int,
        max_pages: int,
        resolution_out: Any,
        outcome_out: Any,
    ) -> int: ...

    # const char *ytx_result_name(ytx_result code);   (uint32_t)
    @_c_function([ytx_result], c_char_p, _decode)
    def ytx_result_name(self, code: int) -> str: ...

    # const char *ytx_sandbox_url(void);
    @_c_function([], c_char_p, _decode)
    def ytx_sandbox_url(self) -> str: ...

    # enum ytx_result ytx_set_logger(ytx_log_callback callback, void *user_data,
    #     int32_t min_level);
    @_c_function([ytx_log_callback, c_void_p, c_int32], ytx_result)
    def ytx_set_logger(self, callback: Any, user_data: Any, min_level: int) -> int: ...

    # const char *ytx_status_code_at(size_t index);  (NULL out of range)
    @_c_function([c_size_t], c_char_p, _decode_optional)
    def ytx_status_code_at(self, index: int) -> Optional[str]: ...

    # size_t ytx_status_code_count(void);
    @_c_function([], c_size_t)
    def ytx_status_code_count(self) -> int: ...

    # ytx_result ytx_tracker_advance_clock(const struct ytx_tracker *tracker,
    #     uint64_t ms, struct ytx_outcome **outcome_out);
    @_c_function([ytx_tracker_p, c_uint64, ytx_outcome_pp], ytx_result)
    def ytx_tracker_advance_clock(self, tracker: Any, ms: int, outcome_out: Any) -> int: ...

    # int32_t ytx_tracker_forget(const struct ytx_tracker *tracker, const char *key);
    @_c_function([ytx_tracker_p, c_char_p], c_int32)
    def ytx_tracker_forget(self, tracker: Any, key: Optional[bytes]) -> int: ...

    # void ytx_tracker_free(struct ytx_tracker *tracker);
    @_c_function([ytx_tracker_p], None)
    def ytx_tracker_free(self, tracker: Any) -> None: ...

    # ytx_result ytx_tracker_new(const struct ytx_client *client,
    #     const char *const *option_names, const char *const *option_values,
    #     size_t option_count, struct ytx_tracker **tracker_out,
    #     struct ytx_outcome **outcome_out);
    @_c_function(
        [ytx_client_p, c_char_p_p, c_char_p_p, c_size_t, ytx_tracker_pp, ytx_outcome_pp],
        ytx_result,
    )
    def ytx_tracker_new(
        self,
        client: Any,
        option_names: Any,
        option_values: Any,
        option_count: int,
        tracker_out: Any,
        outcome_out: Any,
    ) -> int: ...

    # ytx_result ytx_tracker_next_event(const struct ytx_tracker *tracker,
    #     int64_t timeout_ms, struct ytx_event **event_out,
    #     struct ytx_outcome **outcome_out);
    @_c_function([ytx_tracker_p, c_int64, ytx_event_pp, ytx_outcome_pp], ytx_result)
    def ytx_tracker_next_event(
        self, tracker: Any, timeout_ms: int, event_out: Any, outcome_out: Any
    ) -> int: ...

    # uint16_t ytx_tracker_on_push(const struct ytx_tracker *tracker,
    #     const uint8_t *body, size_t body_len, const char *query);
    @_c_function([ytx_tracker_p, c_char_p, c_size_t, c_char_p], c_uint16)
    def ytx_tracker_on_push(
        self, tracker: Any, body: Optional[bytes], body_len: int, query: Optional[bytes]
    ) -> int: ...

    # ytx_result ytx_tracker_pending(const struct ytx_tracker *tracker,
    #     struct ytx_pending **pending_out, struct ytx_outcome **outcome_out);
    @_c_function([ytx_tracker_p, ytx_pending_pp, ytx_outcome_pp], ytx_result)
    def ytx_tracker_pending(self, tracker: Any, pending_out: Any, outcome_out: Any) -> int: ...

    # ytx_result ytx_tracker_restore(const struct ytx_tracker *tracker,
    #     const char *tracked_json, struct ytx_outcome **outcome_out);
    @_c_function([ytx_tracker_p, c_char_p, ytx_outcome_pp], ytx_result)
    def ytx_tracker_restore(
        self, tracker: Any, tracked_json: Optional[bytes], outcome_out: Any
    ) -> int: ...

    # uint64_t ytx_tracker_stat(const struct ytx_tracker *tracker, const char *name);
    @_c_function([ytx_tracker_p, c_char_p], c_uint64)
    def ytx_tracker_stat(self, tracker: Any, name: Optional[bytes]) -> int: ...

    # ytx_result ytx_tracker_track(const struct ytx_tracker *tracker,
    #     const char *request_id, const char *custom_parm, int64_t sent_unix,
    #     uint32_t credit, const char *src, const char *dst,
    #     struct ytx_outcome **outcome_out);
    @_c_function(
        [ytx_tracker_p, c_char_p, c_char_p, c_int64, c_uint32, c_char_p, c_char_p,
         ytx_outcome_pp],
        ytx_result,
    )
    def ytx_tracker_track(
        self,
        tracker: Any,
        request_id: Optional[bytes],
        custom_parm: Optional[bytes],
        sent_unix: int,
        credit: int,
        src: Optional[bytes],
        dst: Optional[bytes],
        outcome_out: Any,
    ) -> int: ...

    # const char *ytx_version(void);
    @_c_function([], c_char_p, _decode)
    def ytx_version(self) -> str: ...

    # uint32_t ytx_version_number(void);
    @_c_function([], c_uint32)
    def ytx_version_number(self) -> int: ...

    # enum ytx_result ytx_voice_code(const struct ytx_client *client,
    #     const char *dst, const char *dstclid, const char *code,
    #     int32_t times, struct ytx_outcome **outcome_out);
    @_c_function([ytx_client_p, c_char_p, c_char_p, c_char_p, c_int32, ytx_outcome_pp], ytx_result)
    def ytx_voice_code(
        self,
        client: Any,
        dst: Optional[bytes],
        dstclid: Optional[bytes],
        code: Optional[bytes],
        times: int,
        outcome_out: Any,
    ) -> int: ...

    # enum ytx_result ytx_voice_code_prepare(...same as ytx_voice_code...);
    ytx_voice_code_prepare = _c_same_as(ytx_voice_code, "ytx_voice_code_prepare")


# --- finding the library -------------------------------------------------------


def library_file_names() -> List[str]:
    """The library's file name(s) on this platform."""
    if sys.platform == "win32":
        return ["ytx.dll"]
    if sys.platform == "darwin":
        return ["libytx.dylib"]
    return ["libytx.so"]


_lock = threading.Lock()
_by_key: Dict[str, NativeLibrary] = {}
_default: Optional[NativeLibrary] = None
_dll_dirs: List[Any] = []  # os.add_dll_directory handles, kept open (Windows)
#: Called with each newly opened library, under ``_lock`` (the logging bridge
#: uses it to install its callback in libraries loaded after enable_logging()).
#: A hook must not take a lock that is held while waiting for ``_lock``.
_on_open: List[Callable[[NativeLibrary], None]] = []


def _opened(lib: NativeLibrary) -> None:
    for hook in _on_open:
        hook(lib)


def loaded_libraries() -> List[NativeLibrary]:
    """Every library opened so far (each once)."""
    with _lock:
        unique: Dict[int, NativeLibrary] = {id(lib): lib for lib in _by_key.values()}
    return list(unique.values())


def _add_dll_directory(folder: str) -> None:
    if sys.platform == "win32" and hasattr(os, "add_dll_directory"):
        try:
            _dll_dirs.append(os.add_dll_directory(folder))
        except OSError:
            pass


def _open_file(path: str) -> NativeLibrary:
    """Open one library file (cached by its real path). Caller holds _lock."""
    key = os.path.realpath(path)
    lib = _by_key.get(key)
    if lib is None:
        _add_dll_directory(os.path.dirname(key))
        lib = NativeLibrary(ctypes.CDLL(key), path)
        _by_key[key] = lib
        _opened(lib)
    return lib


def _open_system(name: str) -> NativeLibrary:
    """Open by bare name through the platform's search. Caller holds _lock."""
    key = "system:" + name
    lib = _by_key.get(key)
    if lib is None:
        lib = NativeLibrary(ctypes.CDLL(name), name)
        _by_key[key] = lib
        _opened(lib)
    return lib


def _candidates_in(place: str) -> List[str]:
    """A file path as given, or the library's file name(s) inside a folder."""
    if os.path.isdir(place):
        return [os.path.join(place, n) for n in library_file_names()]
    return [place]


def _try_files(files: List[str], tried: List[Tuple[str, str]]) -> Optional[NativeLibrary]:
    for f in files:
        if not os.path.exists(f):
            tried.append((f, "no such file"))
            continue
        try:
            return _open_file(f)
        except LibraryError:
            raise  # found, but wrong: say so rather than look elsewhere
        except OSError as e:
            tried.append((f, f"could not be loaded: {e}"))
    return None


def _not_found(intro: str, tried: List[Tuple[str, str]]) -> LibraryNotFound:
    lines = [intro, "Places tried, in order:"]
    lines += [f"  - {place}: {why}" for place, why in tried]
    lines.append(
        f"Fix: set {ENV_VAR} to the library file (e.g. target/debug/"
        f"{library_file_names()[0]} after `cargo build`), pass its path with "
        f"ytx.load_library(path) or Client(..., library=path), or copy it into "
        f"{_PACKAGE_DIR}."
    )
    return LibraryNotFound("\n".join(lines), tried)


def _search() -> NativeLibrary:
    """Find the default library (steps 2-4 of the module docs). Holds _lock."""
    tried: List[Tuple[str, str]] = []
    env = os.environ.get(ENV_VAR, "")
    if env:
        lib = _try_files(_candidates_in(env), tried)
        if lib is not None:
            return lib
        raise _not_found(
            f"ytx: the native library named by {ENV_VAR}={env!r} could not be "
            f"loaded (unset {ENV_VAR} to search the package folder and the "
            f"system instead).",
            tried,
        )
    tried.append((f"${ENV_VAR}", "not set"))
    lib = _try_files(_candidates_in(_PACKAGE_DIR), tried)
    if lib is not None:
        return lib
    names = list(library_file_names())
    found = ctypes.util.find_library("ytx")
    if found and found not in names:
        names.append(found)
    for name in names:
        try:
            return _open_system(name)
        except LibraryError:
            raise
        except OSError as e:
            tried.append((f"system search for {name}", f"{e}"))
    raise _not_found("ytx: the native library (libytx) was not found.", tried)


def load_library(path: Optional[Union[str, "os.PathLike[str]"]] = None) -> NativeLibrary:
    """Load libytx (once) and return it.

    With ``path`` (the library file, or a folder holding it), load that file
    and make it the default library used by clients made without
    ``library=``. Without it, return the default library, searching for it
    on first use (``YTX_LIBRARY``, the package folder, the system search).

    Raises :class:`LibraryNotFound` (listing every place tried) or
    :class:`LibraryVersionMismatch`; both are ``ImportError`` subclasses.
    """
    global _default
    if path is None:
        return default_library()
    with _lock:
        lib = _open_explicit(os.fspath(path))
        _default = lib
        return lib


def open_library(path: Optional[Union[str, "os.PathLike[str]"]]) -> NativeLibrary:
    """The library at ``path`` (without changing the default), or the default."""
    if path is None:
        return default_library()
    with _lock:
        return _open_explicit(os.fspath(path))


def _open_explicit(path: str) -> NativeLibrary:
    tried: List[Tuple[str, str]] = []
    lib = _try_files(_candidates_in(path), tried)
    if lib is None:
        raise _not_found(
            f"ytx: the native library at the explicit path {path!r} could not be loaded.",
            tried,
        )
    return lib


def default_library() -> NativeLibrary:
    """The default library, loaded on first use (thread-safe, once)."""
    global _default
    lib = _default
    if lib is not None:
        return lib
    with _lock:
        if _default is None:
            _default = _search()
        return _default
