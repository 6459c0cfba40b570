"""The tracker (issue 21): a call's fate, delivered as one event per fact.

A :class:`Tracker` over a :class:`ytx.Client` turns the platform's pushes
(unsigned hints: lost, repeated, reordered, forged) and the signed record
query (the truth) into events: a leg's state change, a call **completed**
(its confirmed record, exactly once), an *outcome unknown* **resolved**, a
call **overdue**, an **unrecognised push**. Every rule (de-duplication, the
cross-checks, the bound, the query backoff and budget) is the C library's
(``ytx_tracker_*``); this module only converts values.

No hidden thread: the tracker works inside :meth:`Tracker.next_event`,
called from your own thread (or awaited on an :class:`AsyncTracker`).
:meth:`Tracker.on_push` never touches the network: call it from the HTTP
handler and answer the status it returns.

    with ytx.Client(sid, token, app) as client, ytx.Tracker(client) as tracker:
        client.callback_call(src, dst, 600, custom_parm="order-42")  # tracked
        # in the push receiver:  status = tracker.on_push(body, self.path)
        while (event := tracker.next_event(timeout=60)) is not None:
            if event.kind is ytx.EventKind.COMPLETED:
                print(event.custom_parm, event.record.duration, event.record.amount)

Restart: keep what :meth:`Tracker.pending` lists (each item's ``json`` in
your database); a new tracker restored with ``track(item)`` or
``restore(json)`` loses nothing and reports nothing you already received.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import ctypes
import enum
import functools
import math
import threading
import time
import weakref
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import (
    Any, AsyncIterator, Deque, Dict, Iterator, List, Optional, Tuple, Union,
)

from . import _native, _records
from ._client import (
    Client,
    _error,
    _integer,
    _invoke,
    _options,
    _text,
    _type_error,
)
from ._errors import InternalError, InvalidArgument, InvalidHandle, ResultCode

__all__ = [
    "EventKind",
    "Event",
    "PendingCall",
    "Tracker",
    "AsyncTracker",
    "TrackerClosed",
    "STAT_NAMES",
]


class EventKind(enum.IntEnum):
    """What an :class:`Event` reports (``YTX_EVENT_*`` in ``ytx.h``)."""

    #: A leg's state changed: ``state``, ``number``, ``leg``, ``timestamp``
    #: (de-duplicated; each leg's states in order).
    LEG_STATE = _native.YTX_EVENT_LEG_STATE
    #: An accepted call's confirmed record (``record``): once per call.
    COMPLETED = _native.YTX_EVENT_COMPLETED
    #: An *outcome unknown* settled: ``placed`` True (with its ``record``) or
    #: False (only once the bound has passed); ``None`` when it cannot be
    #: resolved (sent without customParm; ``reason`` says so). Once per call.
    RESOLVED = _native.YTX_EVENT_RESOLVED
    #: No record long after the bound (to alert on); the tracker goes on looking.
    OVERDUE = _native.YTX_EVENT_OVERDUE
    #: A push matching no tracked call (requestId, appid or numbers), or an
    #: SMS report: dropped; ``reason`` says why (log it).
    UNRECOGNISED_PUSH = _native.YTX_EVENT_UNRECOGNISED_PUSH


#: The counters of :meth:`Tracker.stats` (``ytx_tracker_stat``'s names).
STAT_NAMES: Tuple[str, ...] = (
    "pushes", "duplicates", "unrecognised", "late", "hints", "stale", "queries",
    "query_errors", "rate_limited", "events",
)

#: Keyword of :class:`Tracker` -> (the library's option name, seconds -> ms?).
_OPTIONS: Dict[str, Tuple[str, bool]] = {
    "verify": ("verify", False),
    "queries_per_minute": ("queries_per_minute", False),
    "overdue_after": ("overdue_after_ms", True),
    "after_disconnect": ("after_disconnect_ms", True),
    "reorder_window": ("reorder_window_ms", True),
    "orphan_window": ("orphan_window_ms", True),
    "default_ring_timeout": ("default_ring_timeout_ms", True),
    "record_delay": ("record_delay_ms", True),
    "assume_credit": ("assume_credit", False),
    "max_tracked": ("max_tracked", False),
    "clock": ("clock", False),
}
#: The library's field names -> this binding's (for error messages).
_FIELDS: Dict[str, str] = {wire: kw for kw, (wire, _) in _OPTIONS.items() if wire != kw}
_FIELDS.update(sent_unix="sent_at", tracked_json="json")

#: The longest single wait inside the library: a wait "forever" is made of
#: such slices, so that Ctrl-C (and a cancelled await) is seen between them.
_SLICE = 0.5


class TrackerClosed(InvalidHandle):
    """The tracker was used after ``close()``."""


@dataclass(frozen=True)
class Event:
    """One event of a :class:`Tracker` (a plain value: no native memory).

    Attributes:
        kind: an :class:`EventKind`.
        request_id: the call's requestId (``""`` for an outcome unknown not
            placed; the requestId the push claimed for an unrecognised push).
        custom_parm: the call's customParm, ``None`` when not known.
        record: the confirmed :class:`ytx.CallRecord` (``COMPLETED``;
            ``RESOLVED`` placed), else ``None``.
        placed: ``RESOLVED``: True / False, ``None`` when it cannot be
            resolved; ``None`` for the other kinds.
        verified: the record came from the signed query (not only a push).
        state: ``LEG_STATE``: a :class:`ytx.CallState` (or an
            :class:`ytx.UnknownState` keeping the text), else ``None``.
        number: ``LEG_STATE``: the leg's number as pushed (``dsc``).
        leg: ``LEG_STATE``: ``"src"`` or ``"dst"`` (``None`` when the call's
            numbers are not known).
        timestamp: ``LEG_STATE``: the push's timestamp text (UTC+8).
        ticket: the outcome unknown's ticket (``RESOLVED``, ``OVERDUE``).
        reason: why, in English (unrecognised, overdue, not placed), or ``""``.
    """

    kind: EventKind
    request_id: str
    custom_parm: Optional[str] = None
    record: Optional[_records.CallRecord] = None
    placed: Optional[bool] = None
    verified: bool = False
    state: Optional[Union[_records.CallState, _records.UnknownState]] = None
    number: Optional[str] = None
    leg: Optional[str] = None
    timestamp: Optional[str] = None
    ticket: Optional[str] = None
    reason: str = ""


@dataclass(frozen=True)
class PendingCall:
    """A call a tracker still watches: keep ``json`` to restore it after a restart.

    Attributes:
        request_id: the requestId (``None`` for an outcome unknown: see ``ticket``).
        custom_parm: its customParm, or ``None``.
        sent_at: when it was sent (an aware UTC ``datetime``).
        credit: its credit in seconds, ``None`` when not known.
        src, dst: its numbers, ``None`` when not known.
        ticket: the outcome unknown's ticket text, else ``None``.
        json: one line of JSON holding all of it and what the application
            already received (pass the item, or this text, to a new tracker's
            :meth:`Tracker.track` / :meth:`Tracker.restore`).
        src_timeout, dst_timeout: the request's ``srctimeout`` /
            ``dsttimeout`` in seconds, ``None`` when not sent (the tracker
            counts its ``default_ring_timeout`` then).
    """

    request_id: Optional[str]
    custom_parm: Optional[str]
    sent_at: datetime
    credit: Optional[int]
    src: Optional[str]
    dst: Optional[str]
    ticket: Optional[str]
    json: str
    src_timeout: Optional[int] = None
    dst_timeout: Optional[int] = None


def _copy_event(lib: _native.NativeLibrary, e: Any) -> Event:
    kind = EventKind(int(lib.ytx_event_kind_of(e)))
    rec = lib.ytx_event_record(e)
    placed = int(lib.ytx_event_placed(e))
    state_text = lib.ytx_event_state(e)
    state: Optional[Union[_records.CallState, _records.UnknownState]] = None
    if state_text:
        try:
            state = _records.CallState(state_text)
        except ValueError:
            state = _records.UnknownState(state_text)
    return Event(
        kind=kind,
        request_id=lib.ytx_event_request_id(e),
        custom_parm=lib.ytx_event_custom_parm(e) or None,
        record=_records.copy_record(lib, rec) if rec else None,
        placed=None if placed < 0 else bool(placed),
        verified=bool(lib.ytx_event_verified(e)),
        state=state,
        number=lib.ytx_event_number(e) or None,
        leg=lib.ytx_event_leg(e) or None,
        timestamp=lib.ytx_event_timestamp(e) or None,
        ticket=lib.ytx_event_ticket(e) or None,
        reason=lib.ytx_event_reason(e),
    )


def _copy_pending(lib: _native.NativeLibrary, p: Any) -> List[PendingCall]:
    def timeout(seconds: int) -> Optional[int]:
        return None if seconds < 0 else seconds  # -1: not known (0 is a timeout)

    items = []
    for i in range(int(lib.ytx_pending_count(p))):
        credit = int(lib.ytx_pending_credit(p, i))
        items.append(PendingCall(
            request_id=lib.ytx_pending_request_id(p, i) or None,
            custom_parm=lib.ytx_pending_custom_parm(p, i) or None,
            sent_at=datetime.fromtimestamp(int(lib.ytx_pending_sent_unix(p, i)), tz=timezone.utc),
            credit=credit or None,
            src=lib.ytx_pending_src(p, i) or None,
            dst=lib.ytx_pending_dst(p, i) or None,
            ticket=lib.ytx_pending_ticket(p, i) or None,
            json=lib.ytx_pending_json(p, i),
            src_timeout=timeout(int(lib.ytx_pending_src_timeout(p, i))),
            dst_timeout=timeout(int(lib.ytx_pending_dst_timeout(p, i))),
        ))
    return items


def _option_value(keyword: str, value: object) -> bytes:
    wire, seconds = _OPTIONS[keyword]
    if seconds:
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise _type_error(keyword, "a number of seconds (int or float)", value)
        if not math.isfinite(float(value)) or float(value) < 0:
            raise InvalidArgument(
                f"{keyword}: must be a number of seconds, 0 or more, got {value!r}",
                field=keyword)
        return str(round(float(value) * 1000)).encode("ascii")
    if keyword in ("verify", "clock"):
        if isinstance(value, enum.Enum):
            value = value.value
        return _text(keyword, value)
    return str(_integer(keyword, value, 0, 2**64 - 1, "must be a whole number, 0 or more")
               ).encode("ascii")


def _unix(field: str, value: object) -> int:
    if value is None:
        return 0
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise InvalidArgument(f"{field}: must be an aware datetime (with a tzinfo)",
                                  field=field)
        return int(value.timestamp())
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not math.isfinite(float(value)) or value <= 0:
            raise InvalidArgument(f"{field}: must be Unix seconds greater than 0, got {value!r}",
                                  field=field)
        return int(value)
    raise _type_error(field, "an aware datetime or Unix seconds", value)


class Tracker:
    """Watches calls and reports each call's fate once (see the module docs).

    Args:
        client: the :class:`ytx.Client` (or :class:`ytx.AsyncClient`) whose
            callback calls are tracked from now on (each accepted call, and
            each *outcome unknown*), and whose signed record query confirms
            them. The tracker keeps the native client alive.
        verify: ``"always"`` (default: every record is confirmed with the
            signed query before it is reported), ``"when_no_record_push"``
            (a pushed record is reported as is; a lost one is queried) or
            ``"never"`` (no query at all).
        queries_per_minute: the record-query budget (default 60).
        overdue_after: seconds after the bound before OVERDUE (default 3600).
        after_disconnect: seconds after both legs' disconnect before the
            first query (default 20).
        reorder_window: seconds a state is held to be ordered (default 1).
        orphan_window: seconds an unmatched push waits for its call (default 10).
        default_ring_timeout: seconds for a ring timeout not given (default 60).
        record_delay: seconds in the bound for the record to be written (default 60).
        assume_credit: credit (seconds) of a call tracked without one (default 3600).
        max_tracked: how many calls at most (default 100000).
        clock: ``"system"`` (default) or ``"manual"`` (tests: :meth:`advance_clock`).

    Thread-safe: ``on_push`` from the HTTP server's threads and
    ``next_event`` from another at once. Close it with :meth:`close` or a
    ``with`` block (a thread waiting in ``next_event`` returns ``None``).
    Bad options raise :class:`ytx.InvalidArgument` naming the keyword.
    """

    def __init__(
        self,
        client: Any,
        verify: Optional[str] = None,
        *,
        queries_per_minute: Optional[int] = None,
        overdue_after: Optional[float] = None,
        after_disconnect: Optional[float] = None,
        reorder_window: Optional[float] = None,
        orphan_window: Optional[float] = None,
        default_ring_timeout: Optional[float] = None,
        record_delay: Optional[float] = None,
        assume_credit: Optional[int] = None,
        max_tracked: Optional[int] = None,
        clock: Optional[str] = None,
    ) -> None:
        self._handle: Any = None
        self._finalizer: "Optional[weakref.finalize[Any, Any]]" = None
        inner = getattr(client, "client", client)  # an AsyncClient: its Client
        if not isinstance(inner, Client):
            raise _type_error("client", "a ytx.Client or ytx.AsyncClient", client)
        given = dict(
            verify=verify, queries_per_minute=queries_per_minute, overdue_after=overdue_after,
            after_disconnect=after_disconnect, reorder_window=reorder_window,
            orphan_window=orphan_window, default_ring_timeout=default_ring_timeout,
            record_delay=record_delay, assume_credit=assume_credit, max_tracked=max_tracked,
            clock=clock,
        )
        pairs = [(_OPTIONS[k][0].encode("ascii"), _option_value(k, v))
                 for k, v in given.items() if v is not None]
        lib = inner.library
        names, values, count = _options(pairs)
        handle = _native.ytx_tracker_p()
        o = _invoke(lib, lib.ytx_tracker_new,
                    (inner._live_handle(), names, values, count, ctypes.byref(handle)),
                    operation="Tracker")
        if o.result != ResultCode.OK:
            raise _error(o, _FIELDS)
        if not handle:  # pragma: no cover - ytx.h: set on YTX_OK
            raise InternalError("ytx_tracker_new succeeded without a handle "
                                "(a bug; please report it)", code=ResultCode.PANIC)
        self._lib = lib
        self._client = inner
        self._handle = handle
        self._finalizer = weakref.finalize(self, lib.ytx_tracker_free, handle)

    # -- lifecycle ----------------------------------------------------------------

    def close(self) -> None:
        """Release the native tracker. Idempotent; a thread waiting in
        :meth:`next_event` returns ``None``, and so do later waits; the other
        calls raise :class:`ytx.TrackerClosed` (``on_push`` answers 500)."""
        self._handle = None
        if self._finalizer is not None:
            self._finalizer()

    @property
    def closed(self) -> bool:
        return self._handle is None

    def __enter__(self) -> "Tracker":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<ytx.Tracker {'closed' if self.closed else 'open'}>"

    def __reduce__(self) -> Any:
        raise TypeError("a ytx.Tracker holds a native handle and cannot be pickled or copied")

    @property
    def client(self) -> Client:
        """The client whose calls are tracked."""
        return self._client

    def _live(self) -> Any:
        handle = self._handle
        if handle is None:
            raise TrackerClosed("this ytx.Tracker is closed; make a new one",
                                code=ResultCode.INVALID_HANDLE)
        return handle

    def _run(self, fn: Any, args: Tuple[Any, ...], operation: str) -> None:
        handle = self._live()
        o = _invoke(self._lib, fn, (handle,) + args, operation=operation)
        if o.result != ResultCode.OK:
            e = _error(o, _FIELDS)
            if isinstance(e, InvalidHandle):
                e = TrackerClosed(e.message, code=e.code, delivery=e.delivery)
            raise e

    # -- pushes -------------------------------------------------------------------

    def on_push(self, body: Union[bytes, bytearray, memoryview],
                query: Optional[str] = None) -> int:
        """Take a push; returns at once (no network) the HTTP status to answer.

        ``body``: the raw body the platform POSTed. ``query``: the URL's
        query (``"Call"``, ``"CallState"``) or the whole request target
        (``self.path`` in an ``http.server`` handler); ``None`` routes by the
        body's shape. 200 for anything that is JSON (used, duplicate, late or
        unrecognised), 400 for a body that is not, 413 for one over 4 MiB,
        500 once the tracker is closed.
        """
        if isinstance(body, (bytearray, memoryview)):
            body = bytes(body)
        if not isinstance(body, bytes):
            raise _type_error("body", "bytes (the raw request body)", body)
        query_b = None if query is None else _text("query", query)
        handle = self._handle
        if handle is None:
            return 500
        return int(self._lib.ytx_tracker_on_push(handle, body, len(body), query_b))

    # -- events -------------------------------------------------------------------

    def _next_once(self, timeout_ms: int) -> Optional[Event]:
        """One ``ytx_tracker_next_event`` call; the event copied out and freed
        (``None`` when the time ran out or the tracker is closed)."""
        handle = self._handle
        if handle is None:
            return None
        lib = self._lib
        out = _native.ytx_event_p()
        try:
            o = _invoke(lib, lib.ytx_tracker_next_event, (handle, timeout_ms, ctypes.byref(out)),
                        operation="next_event")
            if o.result != ResultCode.OK:
                if o.result == ResultCode.INVALID_HANDLE:
                    return None  # closed meanwhile: a waiting thread gets None
                raise _error(o, _FIELDS)
            return _copy_event(lib, out) if out else None
        finally:
            if out:
                lib.ytx_event_free(out)

    def next_event(self, timeout: Optional[float] = None) -> Optional[Event]:
        """The next :class:`Event`, waiting up to ``timeout`` seconds (``None``:
        until there is one, or the tracker is closed); ``None`` when the time
        ran out or the tracker was closed meanwhile.

        The tracker's work (record queries, releasing held states, overdue
        alerts) happens here, on the calling thread: a due query may make it
        return up to the client's timeout later. An event counts as received
        once this returns it (:meth:`pending` says so). On a closed tracker it
        returns ``None`` at once, so that a worker's loop ends cleanly.
        """
        if timeout is not None:
            if not isinstance(timeout, (int, float)) or isinstance(timeout, bool):
                raise _type_error("timeout", "a number of seconds or None", timeout)
            if not math.isfinite(float(timeout)) or timeout < 0:
                raise InvalidArgument(
                    f"timeout: must be a number of seconds, 0 or more, got {timeout!r}",
                    field="timeout")
        deadline = None if timeout is None else time.monotonic() + float(timeout)
        while True:
            if self._handle is None:
                return None
            left = _SLICE if deadline is None else min(_SLICE, deadline - time.monotonic())
            event = self._next_once(max(0, round(left * 1000)))
            if event is not None or self._handle is None:
                return event
            if deadline is not None and time.monotonic() >= deadline:
                return None

    def __iter__(self) -> Iterator[Event]:
        """Every event, as it comes, until the tracker is closed."""
        while not self.closed:
            event = self.next_event()
            if event is not None:
                yield event

    # -- the calls watched --------------------------------------------------------

    def track(
        self,
        request_id: Union[str, PendingCall],
        custom_parm: Optional[str] = None,
        *,
        sent_at: Union[datetime, float, None] = None,
        credit: Optional[int] = None,
        src: Optional[str] = None,
        dst: Optional[str] = None,
    ) -> None:
        """Watch a call placed elsewhere (another process, before a restart).

        ``request_id``: the accepted call's requestId, or a
        :class:`PendingCall` of an earlier tracker (restored with everything
        it holds: the other arguments must not be given). ``sent_at``: an
        aware ``datetime`` or Unix seconds (``None``: now). ``credit``:
        seconds (``None``: not known). ``custom_parm``, ``src``, ``dst``
        sharpen the cross-checks of pushes. Tracking a call already watched
        is not an error. Raises :class:`ytx.InvalidArgument` naming the field.
        """
        if isinstance(request_id, PendingCall):
            if (custom_parm, sent_at, credit, src, dst) != (None, None, None, None, None):
                raise TypeError("track(pending_call) takes no other argument")
            return self.restore(request_id.json)
        args = (
            _text("request_id", request_id),
            None if custom_parm is None else _text("custom_parm", custom_parm),
            _unix("sent_at", sent_at),
            0 if credit is None else _integer(
                "credit", credit, 1, 2**32 - 1, "must be a whole number of seconds, 1 or more"),
            None if src is None else _text("src", src),
            None if dst is None else _text("dst", dst),
        )
        self._run(self._lib.ytx_tracker_track, args, "track")

    def restore(self, json: str) -> None:
        """Watch a call again from its JSON line (:attr:`PendingCall.json`, or
        a ``ytx watch`` journal line); states already received are not
        reported again. Raises :class:`ytx.InvalidArgument` naming the field."""
        self._run(self._lib.ytx_tracker_restore, (_text("json", json),), "restore")

    def pending(self) -> List[PendingCall]:
        """What the tracker still watches (a call leaves once the application
        received its COMPLETED / RESOLVED event), each with what the
        application already received."""
        handle = self._live()
        lib = self._lib
        out = _native.ytx_pending_p()
        try:
            o = _invoke(lib, lib.ytx_tracker_pending, (handle, ctypes.byref(out)),
                        operation="pending")
            if o.result != ResultCode.OK:
                e = _error(o, _FIELDS)
                raise TrackerClosed(e.message, code=e.code) if isinstance(e, InvalidHandle) else e
            return _copy_pending(lib, out)
        finally:
            if out:
                lib.ytx_pending_free(out)

    def forget(self, key: str) -> bool:
        """Stop watching a call: by requestId (or, for an outcome unknown, its
        customParm). True when it was watched."""
        return bool(self._lib.ytx_tracker_forget(self._live(), _text("key", key)))

    def stats(self) -> Dict[str, int]:
        """The tracker's counters by name (:data:`STAT_NAMES`): pushes,
        duplicates, unrecognised, late, stale, queries, ..."""
        handle = self._live()
        return {n: int(self._lib.ytx_tracker_stat(handle, n.encode("ascii"))) for n in STAT_NAMES}

    def advance_clock(self, seconds: float) -> None:
        """Move a ``clock="manual"`` tracker's clock (tests: a call's bound
        passes without waiting). :class:`ytx.InvalidArgument` naming
        ``clock`` on the system clock."""
        if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) \
                or not math.isfinite(float(seconds)) or seconds < 0:
            raise InvalidArgument(f"seconds: must be a number of seconds, 0 or more, "
                                  f"got {seconds!r}", field="seconds")
        self._run(self._lib.ytx_tracker_advance_clock, (round(float(seconds) * 1000),),
                  "advance_clock")


class AsyncTracker:
    """A :class:`Tracker` for asyncio: ``await tracker.next_event(timeout)``.

    Takes the same arguments as :class:`Tracker`, ``client`` an
    :class:`ytx.AsyncClient` (whose executor runs the waits) or a
    :class:`ytx.Client` (then a small executor of its own; or pass
    ``executor=``). ``on_push``, ``track``, ``pending`` never wait on the
    network: they are plain methods, safe to call on the loop.

    Cancelling an awaiting ``next_event`` loses nothing: an event the
    library handed out meanwhile is kept and returned by the next call.
    ``async for event in tracker`` yields every event until it is closed.
    """

    def __init__(self, client: Any, verify: Optional[str] = None, *,
                 executor: Optional[concurrent.futures.Executor] = None,
                 **options: Any) -> None:
        self._tracker = Tracker(client, verify, **options)
        own = executor is None and not hasattr(client, "executor")
        self._owns_executor = own
        self._executor: concurrent.futures.Executor = (
            executor if executor is not None
            else getattr(client, "executor", None)
            or concurrent.futures.ThreadPoolExecutor(max_workers=4,
                                                     thread_name_prefix="ytx-tracker")
        )
        self._kept: Deque[Event] = deque()
        self._lock = threading.Lock()
        self._pull = threading.Lock()  # one worker in the library at a time
        self._waits: "set[asyncio.Future[Optional[Event]]]" = set()

    @property
    def tracker(self) -> Tracker:
        """The :class:`Tracker` underneath (for the plain methods)."""
        return self._tracker

    def _wait(self, timeout: Optional[float], cancelled: threading.Event) -> bool:
        """In a worker thread: pull one event from the library into the
        queue ``_kept``; whether the queue has one. Pulls are serialised
        (``_pull``) and each pulled event is queued before the next pull, so
        events keep the library's order even when waits are cancelled and
        several worker threads are still in the library."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not cancelled.is_set():
            left = _SLICE if deadline is None else min(_SLICE, deadline - time.monotonic())
            if self._pull.acquire(timeout=max(0.0, left)):
                try:
                    with self._lock:
                        if self._kept:  # pulled by a wait that was cancelled meanwhile
                            return True
                    left = _SLICE if deadline is None else deadline - time.monotonic()
                    event = self._tracker._next_once(max(0, round(min(_SLICE, left) * 1000)))
                    if event is not None:
                        with self._lock:
                            self._kept.append(event)
                        return True
                finally:
                    self._pull.release()
            if self._tracker.closed or (deadline is not None and time.monotonic() >= deadline):
                return False
        return False

    def _take(self) -> Optional[Event]:
        with self._lock:
            return self._kept.popleft() if self._kept else None

    async def next_event(self, timeout: Optional[float] = None) -> Optional[Event]:
        """:meth:`Tracker.next_event`, awaited (the wait runs in a worker thread)."""
        if timeout is not None and (not isinstance(timeout, (int, float))
                                    or isinstance(timeout, bool)
                                    or not math.isfinite(float(timeout)) or timeout < 0):
            raise InvalidArgument(f"timeout: must be a number of seconds, 0 or more, "
                                  f"got {timeout!r}", field="timeout")
        deadline = None if timeout is None else time.monotonic() + float(timeout)
        loop = asyncio.get_running_loop()
        while True:
            event = self._take()
            if event is not None or self._tracker.closed:
                return event
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            cancelled = threading.Event()
            call = functools.partial(contextvars.copy_context().run, self._wait, left, cancelled)
            future = loop.run_in_executor(self._executor, call)
            self._waits.add(future)
            future.add_done_callback(self._waits.discard)
            try:
                got = await asyncio.shield(future)
            except asyncio.CancelledError:
                # The worker stops at its next slice; an event it pulls
                # stays queued, first in line for the next call.
                cancelled.set()
                raise
            if not got:
                return None
            # Another task's await may have taken the queued event: then
            # wait again for the time left.
            if deadline is not None and time.monotonic() >= deadline:
                return self._take()

    def __aiter__(self) -> AsyncIterator[Event]:
        return self._events()

    async def _events(self) -> AsyncIterator[Event]:
        while not self._tracker.closed:
            event = await self.next_event()
            if event is not None:
                yield event

    def on_push(self, body: Union[bytes, bytearray, memoryview],
                query: Optional[str] = None) -> int:
        """:meth:`Tracker.on_push` (never waits: call it on the loop)."""
        return self._tracker.on_push(body, query)

    def track(self, request_id: Union[str, PendingCall], custom_parm: Optional[str] = None,
              **kwargs: Any) -> None:
        """:meth:`Tracker.track` (no network)."""
        self._tracker.track(request_id, custom_parm, **kwargs)

    def restore(self, json: str) -> None:
        """:meth:`Tracker.restore` (no network)."""
        self._tracker.restore(json)

    def pending(self) -> List[PendingCall]:
        """:meth:`Tracker.pending`. An event kept from a cancelled await
        counts as received already (the library handed it out): take it
        with ``next_event`` before saving the list for a restart."""
        return self._tracker.pending()

    def forget(self, key: str) -> bool:
        return self._tracker.forget(key)

    def stats(self) -> Dict[str, int]:
        return self._tracker.stats()

    def advance_clock(self, seconds: float) -> None:
        self._tracker.advance_clock(seconds)

    def close(self) -> None:
        """Close the tracker (a waiting ``next_event`` returns ``None``); an
        executor of its own is shut down."""
        self._tracker.close()
        if self._owns_executor:
            self._executor.shutdown(wait=False)

    async def aclose(self) -> None:
        """:meth:`close`, then wait for the worker threads still in the
        library (they return at once once it is closed)."""
        self.close()
        waits = list(self._waits)
        if waits:
            await asyncio.gather(*waits, return_exceptions=True)

    async def __aenter__(self) -> "AsyncTracker":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    @property
    def closed(self) -> bool:
        return self._tracker.closed

    def __repr__(self) -> str:
        return f"<ytx.AsyncTracker {'closed' if self.closed else 'open'}>"

