"""Python binding of ytx, a client for the ytx.net (云通信) voice platform.

A thin ctypes layer over the ytx C library (libytx): no compiler needed.

    import ytx

    with ytx.Client(account_sid, auth_token, app_id) as client:
        accepted = client.callback_call("13800138000", "01085485069", 600,
                                        custom_parm="order-42")
        print(accepted.request_id)

What happened to a call afterwards comes as pushes to your callback URL
(:func:`parse_push`) and as call records (:meth:`Client.call_record`,
:meth:`Client.find_call`); :meth:`Client.balance` gives the balance. A call
whose outcome is unknown (the exception's ``ticket``) is resolved with
:meth:`Client.resolve`.

The native library is loaded on first use; see :func:`load_library` for
where it is looked for. Every failure of a call raises a :class:`YtxError`
subclass whose ``retry_safe`` says whether sending again is safe. The
library's own log events go to the ``ytx`` :mod:`logging` logger once
:func:`enable_logging` is called (off by default).
"""

from __future__ import annotations

from ._async import AsyncClient
from ._client import (
    Accepted,
    CallbackOptions,
    Client,
    PreparedRequest,
    RingbackType,
    parse_push,
)
from ._errors import (
    CallInterrupted,
    ClientClosed,
    Delivery,
    InternalError,
    InvalidArgument,
    InvalidArgumentType,
    InvalidHandle,
    PlatformError,
    ProtocolError,
    ResultCode,
    Timeout,
    TransportError,
    YtxError,
)
from ._records import (
    CST,
    Balance,
    CallRecord,
    CallState,
    RecordPush,
    StatePush,
    UnknownState,
)
from ._resolve import Resolution, ResolutionStatus
from ._logging import LOGGER_NAME, disable_logging, enable_logging, logging_level
from ._native import (
    EXPECTED_VERSION,
    LibraryError,
    LibraryNotFound,
    LibraryVersionMismatch,
    NativeLibrary,
    load_library,
)

#: The version of this Python package (it binds the C library of the same version).
__version__ = "0.1.0"

__all__ = [
    "Client",
    "AsyncClient",
    "Accepted",
    "PreparedRequest",
    "RingbackType",
    "CallbackOptions",
    "parse_push",
    "StatePush",
    "RecordPush",
    "CallState",
    "UnknownState",
    "CallRecord",
    "Balance",
    "Resolution",
    "ResolutionStatus",
    "CST",
    "ResultCode",
    "Delivery",
    "YtxError",
    "InvalidArgument",
    "InvalidArgumentType",
    "InvalidHandle",
    "ClientClosed",
    "TransportError",
    "Timeout",
    "ProtocolError",
    "PlatformError",
    "InternalError",
    "CallInterrupted",
    "LibraryError",
    "LibraryNotFound",
    "LibraryVersionMismatch",
    "NativeLibrary",
    "load_library",
    "library_version",
    "live_clients",
    "live_objects",
    "status_codes",
    "explain_status_code",
    "enable_logging",
    "disable_logging",
    "logging_level",
    "LOGGER_NAME",
    "EXPECTED_VERSION",
    "__version__",
]


# Public classes show (and pickle) as ``ytx.X``, not ``ytx._errors.X``.
for _cls in (
    Client, AsyncClient, Accepted, PreparedRequest, RingbackType, CallbackOptions, StatePush, RecordPush,
    CallState, UnknownState, CallRecord, Balance, ResultCode, Delivery,
    YtxError, InvalidArgument, InvalidArgumentType, InvalidHandle, ClientClosed, CallInterrupted,
    TransportError, Timeout, ProtocolError, PlatformError, InternalError,
    LibraryError, LibraryNotFound, LibraryVersionMismatch, NativeLibrary,
):
    _cls.__module__ = __name__
del _cls


def library_version() -> str:
    """The version of the loaded native library, e.g. ``"0.1.0"`` (loads it)."""
    return load_library().version


def live_clients() -> int:
    """Native client handles not yet freed, in the default library (leak checks)."""
    return load_library().live_clients()


def live_objects() -> int:
    """Outcomes, pushes, record lists and balances not yet freed, in the
    default library (exact leak checks: it returns to its old value)."""
    return load_library().live_objects()


def status_codes() -> "dict[str, str]":
    """The library's table of the platform's statusCodes: code -> what it
    means and what to do (e.g. ``"-204"``: balance too low)."""
    return load_library().status_codes()


def explain_status_code(status_code: str) -> "str | None":
    """The library's explanation of a platform statusCode, or ``None``."""
    if not isinstance(status_code, str):
        raise TypeError(f"status_code: must be a str, got {type(status_code).__name__}")
    return load_library().ytx_explain_status_code(status_code.encode("utf-8", "replace"))


# The tracker (issue 21): a call's fate, one event per fact (see ytx.tracker).
from .tracker import (  # noqa: E402
    STAT_NAMES as TRACKER_STAT_NAMES,
    AsyncTracker,
    Event,
    EventKind,
    PendingCall,
    Tracker,
    TrackerClosed,
)

__all__ += ["Tracker", "AsyncTracker", "Event", "EventKind", "PendingCall", "TrackerClosed",
            "TRACKER_STAT_NAMES", "live_trackers"]
for _cls in (Tracker, AsyncTracker, Event, EventKind, PendingCall, TrackerClosed):
    _cls.__module__ = __name__
del _cls


def live_trackers() -> int:
    """Native tracker handles not yet freed, in the default library (leak checks)."""
    return int(load_library().ytx_live_trackers())
