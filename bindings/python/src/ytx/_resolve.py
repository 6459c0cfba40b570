"""Resolving an *outcome unknown*: :class:`Resolution` and :class:`ResolutionStatus`.

The rules (the bound, the pages, the cursor) live in the C library
(``ytx_resolve``); this module only copies its answer out.
"""

from __future__ import annotations

import ctypes
import enum
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Optional

from . import _native, _records


class ResolutionStatus(enum.IntEnum):
    """What :meth:`ytx.Client.resolve` found (``YTX_RESOLUTION_*`` in ``ytx.h``)."""

    #: The call was placed: :attr:`Resolution.record` is its record. Do not
    #: place it again.
    PLACED = _native.YTX_RESOLUTION_PLACED
    #: The call was not placed: PROTOCOL.md's bound (sent time + srctimeout +
    #: dsttimeout + credit + 60 s; 60 s for a ring timeout not given) has
    #: passed and a search made after it found no record. It may be placed again.
    NOT_PLACED = _native.YTX_RESOLUTION_NOT_PLACED
    #: Not known yet: resolve again at :attr:`Resolution.check_again_at`,
    #: passing ``cursor=resolution.cursor``.
    NOT_KNOWN_YET = _native.YTX_RESOLUTION_NOT_KNOWN_YET
    #: Cannot be resolved: a voice code, or a call sent without customParm
    #: (:attr:`Resolution.reason` says which; the client option
    #: ``auto_custom_parm=True`` gives every callback call a customParm).
    CANNOT_BE_RESOLVED = _native.YTX_RESOLUTION_CANNOT_BE_RESOLVED


@dataclass(frozen=True)
class Resolution:
    """The answer of :meth:`ytx.Client.resolve`.

    Attributes:
        status: a :class:`ResolutionStatus`.
        record: the call's :class:`ytx.CallRecord` when ``PLACED``, else ``None``.
        check_again_at: when ``NOT_KNOWN_YET``, the time (an aware UTC
            ``datetime``) to resolve again: the bound while it has not
            passed, else now (a page or time budget ran out); else ``None``.
        cursor: when ``NOT_KNOWN_YET``, where the next search resumes (pass
            it as ``cursor=``); ``None`` to start from the ticket's anchor.
        reason: why, in English.
    """

    status: ResolutionStatus
    record: Optional[_records.CallRecord]
    check_again_at: Optional[datetime]
    cursor: Optional[str]
    reason: str


def copy_resolution(lib: _native.NativeLibrary, r: Any) -> Resolution:
    """Copy a live ``ytx_resolution`` into a :class:`Resolution`."""
    status = ResolutionStatus(int(lib.ytx_resolution_status_of(r)))
    rec = lib.ytx_resolution_record(r)
    record = _records.copy_record(lib, rec) if rec else None
    unix = ctypes.c_int64(0)
    again = None
    if lib.ytx_resolution_check_again_unix(r, ctypes.byref(unix)):
        try:
            again = datetime.fromtimestamp(unix.value, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            again = None  # beyond what datetime can hold (the library caps tickets before that)
    cursor = lib.ytx_resolution_cursor(r) or None
    return Resolution(status, record, again, cursor, lib.ytx_resolution_reason(r))
