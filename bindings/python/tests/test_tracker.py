"""The tracker (issue 21) through the Python binding, end to end.

An emulator started with ``--push-url`` pushes every call to a receiver in
this process (a secret path) that feeds the tracker; 50 calls mix every
magic number (lost record push, lost state pushes, record push first, forged
requestId, an SMS report told apart only by its routing key, duplicates,
out of order, failed legs, two outcomes unknown), with a restart in the
middle (a new tracker restored from ``pending()``).

Time is the tracker's manual clock, moved only once every push the emulator
sent has been taken: what happens is decided by the pushes and the clock,
never by the machine's speed (waits are event waits with generous deadlines).
"""

from __future__ import annotations

import asyncio
import http.server
import json
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Set

import pytest

import ytx
from ytx import _native
from support import (
    APP,
    CALL_DUPLICATE_PUSHES,
    CALL_FIRST_LEG_NO_ANSWER,
    CALL_OUT_OF_ORDER_PUSHES,
    CALL_SECOND_LEG_BUSY,
    CALL_SECOND_LEG_NO_ANSWER,
    FAULT_DROP_CONNECTION,
    FAULT_TRUNCATED_JSON,
    SID,
    SRC,
    TOKEN,
    Emulator,
    emulator_path,
    platform_code_dst,
)

HEADER = Path(__file__).resolve().parents[3] / "include" / "ytx.h"
DST = "13900139000"
CALL_RECORD_PUSH_LOST = "19900002006"
CALL_STATE_PUSHES_LOST = "19900002007"
CALL_RECORD_PUSH_FIRST = "19900002008"
CALL_FORGED_PUSHES = "19900002009"
CALL_SMS_ROUTED_PUSH = "19900002010"
SECRET = "/s3cret-5d1e/push"
DEADLINE = 120.0


def forged_request_id(request_id: str) -> str:
    """ytx_emulator::forged_request_id: the 14-digit timestamp replaced."""
    return "19700101000000" + request_id[14:]


@dataclass(frozen=True)
class Kind:
    src: str
    dst: str
    pushes: int  # pushes the emulator logs for it (lost ones included)
    unknown: bool = False


KINDS = [
    Kind(SRC, DST, 9),
    Kind(SRC, CALL_SECOND_LEG_BUSY, 7),
    Kind(SRC, CALL_DUPLICATE_PUSHES, 12),
    Kind(SRC, CALL_OUT_OF_ORDER_PUSHES, 9),
    Kind(SRC, CALL_SECOND_LEG_NO_ANSWER, 8),
    Kind(CALL_FIRST_LEG_NO_ANSWER, DST, 4),
    Kind(SRC, CALL_RECORD_PUSH_LOST, 9),
    Kind(SRC, CALL_STATE_PUSHES_LOST, 9),
    Kind(SRC, CALL_RECORD_PUSH_FIRST, 9),
    Kind(SRC, CALL_FORGED_PUSHES, 11),
    Kind(SRC, CALL_SMS_ROUTED_PUSH, 10),
    Kind(SRC, FAULT_DROP_CONNECTION, 9, unknown=True),
    Kind(SRC, FAULT_TRUNCATED_JSON, 9, unknown=True),
]


@dataclass
class Placed:
    kind: Kind
    custom_parm: str
    request_id: Optional[str]


class Rig:
    """A receiver feeding whichever tracker is in the slot, an emulator
    pushing to it, and a client for that emulator."""

    def __init__(self, **tracker_options: object) -> None:
        self.options = dict(clock="manual", **tracker_options)
        self.lock = threading.Lock()  # a push being taken finishes before a swap
        self.tracker: Optional[ytx.Tracker] = None
        rig = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status = 404
                if self.path.split("?", 1)[0] == SECRET:
                    with rig.lock:
                        status = rig.tracker.on_push(body, self.path) if rig.tracker else 503
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                       daemon=True)
        self.thread.start()
        url = f"http://127.0.0.1:{self.server.server_address[1]}{SECRET}"
        self.emu = Emulator(emulator_path(),
                            extra_args=["--push-url", url, "--push-interval-ms", "1"])
        self.client = ytx.Client(SID, TOKEN, APP, base_url=self.emu.base_url, timeout=10.0)
        self.tracker = self.new_tracker()

    def new_tracker(self) -> ytx.Tracker:
        return ytx.Tracker(self.client, **self.options)  # type: ignore[arg-type]

    def swap(self, new: ytx.Tracker) -> ytx.Tracker:
        with self.lock:
            old, self.tracker = self.tracker, new
        assert old is not None
        return old

    def wait_pushes(self, n: int) -> None:
        deadline = time.monotonic() + DEADLINE
        while len(self.emu.pushes()) < n:
            assert time.monotonic() < deadline, f"{len(self.emu.pushes())} of {n} pushes"
            time.sleep(0.01)
        assert len(self.emu.pushes()) == n

    def place(self, i: int) -> Placed:
        kind = KINDS[i % len(KINDS)]
        cp = f"c{i}"
        try:
            rid: Optional[str] = self.client.callback_call(kind.src, kind.dst, 100,
                                                           custom_parm=cp).request_id
            assert not kind.unknown, f"call {i} ({kind}) was answered"
        except ytx.YtxError as e:
            assert kind.unknown, f"call {i} ({kind}): {e}"
            assert e.ticket, e
            rid = None
        return Placed(kind, cp, rid)

    def close(self) -> None:
        with self.lock:
            if self.tracker is not None:
                self.tracker.close()
            self.tracker = None
        self.client.close()
        self.emu.stop()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)


@pytest.fixture
def rig_factory() -> Iterator:
    made: List[Rig] = []

    def make(**options: object) -> Rig:
        r = Rig(**options)
        made.append(r)
        return r

    yield make
    for r in made:
        r.close()


def drain(t: ytx.Tracker, into: List[ytx.Event]) -> None:
    while (e := t.next_event(timeout=0.005)) is not None:
        into.append(e)


def finals(events: List[ytx.Event]) -> List[ytx.Event]:
    return [e for e in events if e.kind in (ytx.EventKind.COMPLETED, ytx.EventKind.RESOLVED)]


def run_clock(t: ytx.Tracker, events: List[ytx.Event], calls: int) -> None:
    """Move the clock by 30 s steps, taking every event, until each call has
    its final event (at most 2 simulated hours)."""
    for _ in range(240):
        drain(t, events)
        if len(finals(events)) >= calls:
            return
        t.advance_clock(30)
    drain(t, events)


def check(r: Rig, placed: List[Placed], events: List[ytx.Event], replayed: Set[str]) -> None:
    truth = {rec["request_id"]: rec for rec in r.emu.records()}
    # Exactly one COMPLETED or RESOLVED per call, with the right record.
    fin = finals(events)
    assert len(fin) == len(placed), fin
    for p in placed:
        mine = [e for e in fin if e.custom_parm == p.custom_parm]
        assert len(mine) == 1, (p, mine)
        e = mine[0]
        assert e.record is not None, (p, e)
        t = truth[e.record.request_id]
        assert t["custom_parm"] == p.custom_parm
        assert e.record.duration == t["duration_secs"], p
        assert e.record.amount_fen == t["amount_fen"], p
        if p.request_id is not None:
            assert e.kind is ytx.EventKind.COMPLETED, (p, e)
            assert e.request_id == p.request_id == e.record.request_id
        else:
            assert e.kind is ytx.EventKind.RESOLVED, (p, e)
            assert e.placed is True and e.verified
            assert e.request_id == e.record.request_id
        if p.kind.dst == CALL_RECORD_PUSH_LOST:  # found by the tracker's own query
            assert e.verified, (p, e)
    # Unrecognised: exactly the forged pushes and the SMS reports.
    forged = {forged_request_id(p.request_id) for p in placed
              if p.kind.dst == CALL_FORGED_PUSHES and p.request_id}
    sms = {p.request_id for p in placed if p.kind.dst == CALL_SMS_ROUTED_PUSH}
    unrecognised = [e for e in events if e.kind is ytx.EventKind.UNRECOGNISED_PUSH]
    if not replayed:
        assert len(unrecognised) == 2 * len(forged) + len(sms), unrecognised
    for e in unrecognised:
        assert (e.request_id in forged or (e.request_id in sms and "SMS" in e.reason)
                or e.request_id in replayed), e
    for f in forged:
        assert 1 <= sum(e.request_id == f for e in unrecognised) <= 2, f
    for e in events:
        if e.kind is not ytx.EventKind.UNRECOGNISED_PUSH:
            assert e.request_id not in forged, e
            assert e.state is None or e.state.value != "DELIVRD", e
    # Leg states: never twice, each leg's in order, none after the final event.
    seen: Set[tuple] = set()
    last: Dict[tuple, int] = {}
    finished: Set[str] = set()
    rank = ["callout", "alerting", "answer", "disconnect"]
    for e in events:
        if e.kind is ytx.EventKind.LEG_STATE:
            assert e.state is not None and e.number and e.timestamp and e.leg in ("src", "dst")
            key = (e.request_id, e.number, e.state.value, e.timestamp)
            assert key not in seen, f"reported twice: {key}"
            seen.add(key)
            assert e.request_id not in finished, f"after its call's end: {e}"
            n = rank.index(e.state.value)
            before = last.get((e.request_id, e.leg))
            assert before is None or before < n, f"out of order: {e}"
            last[(e.request_id, e.leg)] = n
        elif e.kind in (ytx.EventKind.COMPLETED, ytx.EventKind.RESOLVED):
            finished.add(e.request_id)
    for p in placed:
        if p.request_id is None:
            continue
        n = sum(e.kind is ytx.EventKind.LEG_STATE and e.request_id == p.request_id
                for e in events)
        if p.kind.dst == CALL_STATE_PUSHES_LOST:
            assert n == 0, p
        elif p.kind.src == SRC and p.kind.dst in (DST, CALL_RECORD_PUSH_LOST):
            assert n == 8, p


def test_fifty_calls_every_magic_number_and_a_restart_in_the_middle(rig_factory):
    r = rig_factory(verify="when_no_record_push")
    events: List[ytx.Event] = []
    placed: List[Placed] = []
    pushes = 0
    # A refused call (-104) is not tracked: nothing was placed.
    with pytest.raises(ytx.PlatformError):
        r.client.callback_call(SRC, platform_code_dst(104), 100, custom_parm="refused")
    assert r.tracker.pending() == []

    for i in range(25):
        p = r.place(i)
        pushes += p.kind.pushes
        placed.append(p)
    pending = r.tracker.pending()
    assert len(pending) == 25
    assert {p.custom_parm for p in pending} == {p.custom_parm for p in placed}
    assert all(p.credit == 100 and p.src in (SRC, CALL_FIRST_LEG_NO_ANSWER) for p in pending
               if p.request_id)
    assert sum(p.request_id is None and p.ticket is not None for p in pending) == \
        sum(p.kind.unknown for p in placed)
    r.wait_pushes(pushes)
    drain(r.tracker, events)
    finished_before = {e.request_id for e in finals(events)}

    # The restart: pushes go to the new tracker; what the old one still
    # watches is restored in the new one from its pending() items.
    new = r.new_tracker()
    old = r.swap(new)
    drain(old, events)
    saved = old.pending()
    assert len(saved) >= 2, saved
    old.close()
    for item in saved[: len(saved) // 2]:
        new.track(item)
    for item in saved[len(saved) // 2:]:
        new.restore(item.json)  # what an application kept in its database
    assert [p.json for p in new.pending()] == [p.json for p in saved] or \
        sorted(p.json for p in new.pending()) == sorted(p.json for p in saved)
    # The platform sends every push of the first half again: nothing is
    # reported twice.
    for push in r.emu.pushes():
        if push["delivered"]:
            query = push["url"].split("?", 1)[1] if "?" in push["url"] else None
            assert new.on_push(push["body"].encode(), query) == 200

    for i in range(25, 50):
        p = r.place(i)
        pushes += p.kind.pushes
        placed.append(p)
    r.wait_pushes(pushes)
    run_clock(new, events, len(placed))
    # And nothing more, however long the clock runs.
    new.advance_clock(6 * 3600)
    drain(new, events)
    check(r, placed, events, finished_before)
    assert new.pending() == []
    stats = new.stats()
    assert stats["pushes"] > 0 and stats["queries"] > 0, stats


def test_verify_always_confirms_every_record_with_the_query(rig_factory):
    r = rig_factory(verify="always")
    events: List[ytx.Event] = []
    placed = [r.place(i) for i in range(len(KINDS))]
    r.wait_pushes(sum(p.kind.pushes for p in placed))
    run_clock(r.tracker, events, len(placed))
    check(r, placed, events, set())
    assert all(e.verified for e in finals(events))
    stats = r.tracker.stats()
    # One query per accepted call, one search page per outcome unknown.
    assert stats["queries"] == len(placed), stats
    assert stats["unrecognised"] == 3, stats


def test_asyncio_tracker_and_a_cancelled_wait_loses_nothing(rig_factory):
    r = rig_factory(verify="always")

    async def main() -> List[ytx.Event]:
        events: List[ytx.Event] = []
        async with ytx.AsyncClient(client=r.client) as ac:
            async with ytx.AsyncTracker(ac, clock="manual", verify="always") as t:
                old = r.swap(t.tracker)
                old.close()
                # A wait cancelled while nothing is ready: nothing lost.
                waiting = asyncio.ensure_future(t.next_event())
                await asyncio.sleep(0.05)
                waiting.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await waiting
                placed = [await asyncio.get_running_loop().run_in_executor(None, r.place, i)
                          for i in range(len(KINDS))]
                await asyncio.get_running_loop().run_in_executor(
                    None, r.wait_pushes, sum(p.kind.pushes for p in placed))
                for _ in range(240):
                    # Half the waits are cancelled at once: whatever the
                    # library handed out meanwhile comes with a later call.
                    w = asyncio.ensure_future(t.next_event(timeout=0.2))
                    await asyncio.sleep(0)
                    w.cancel()
                    try:
                        e = await w
                        if e is not None:
                            events.append(e)
                    except asyncio.CancelledError:
                        pass
                    while (e := await t.next_event(timeout=0.005)) is not None:
                        events.append(e)
                    if len(finals(events)) >= len(placed):
                        break
                    t.advance_clock(30)
                check(r, placed, events, set())
                assert t.pending() == []
            assert t.closed
            with r.lock:
                r.tracker = None
        return events

    assert len(finals(asyncio.run(main()))) == len(KINDS)


def test_async_waits_keep_the_librarys_order_when_one_is_cancelled(client):
    """A cancelled await's worker may still be inside the library when the
    next await starts: the event it pulls must come out first. The library's
    pull is replaced by one that hands out 1, 2, ... in the order the pulls
    begin, the first blocking until released (so the second await starts
    while the cancelled worker is still in the library)."""
    t = ytx.AsyncTracker(client, clock="manual")
    first_in = threading.Event()
    release = threading.Event()
    lock = threading.Lock()
    count = [0]

    def pull(timeout_ms: int) -> Optional[int]:
        with lock:
            count[0] += 1
            n = count[0]
        if n == 1:
            first_in.set()
            release.wait(10)
        return n  # type: ignore[return-value]

    t.tracker._next_once = pull  # type: ignore[method-assign]

    async def main() -> List[object]:
        w = asyncio.ensure_future(t.next_event())
        while not first_in.is_set():
            await asyncio.sleep(0.001)
        w.cancel()
        with pytest.raises(asyncio.CancelledError):
            await w
        second = asyncio.ensure_future(t.next_event(timeout=5))
        await asyncio.sleep(0.05)
        release.set()
        return [await second, await t.next_event(timeout=5)]

    try:
        assert asyncio.run(main()) == [1, 2]
    finally:
        release.set()
        t.close()


# --- the API, without the emulator's pushes ------------------------------------------


def state_push(rid: str, number: str, state: str, ts: str) -> bytes:
    return (f'{{"requestid":"{rid}","dsc":"{number}","state":"{state}",'
            f'"stateDesc":"x","timestamp":"{ts}"}}').encode()


def test_on_push_statuses_and_bad_input_naming_the_field(client):
    with ytx.Tracker(client, clock="manual") as t:
        assert t.on_push(b"not json") == 400
        assert t.on_push(bytearray(b"{}"), "CallState") == 200
        with pytest.raises(ytx.InvalidArgument) as e:
            t.on_push("text, not bytes")  # type: ignore[arg-type]
        assert e.value.field == "body"
        for kwargs, field in ((dict(verify="sometimes"), "verify"),
                              (dict(queries_per_minute=0), "queries_per_minute"),
                              (dict(overdue_after=-1.0), "overdue_after"),
                              (dict(clock="sundial"), "clock")):
            with pytest.raises(ytx.InvalidArgument) as e:
                ytx.Tracker(client, **kwargs)  # type: ignore[arg-type]
            assert e.value.field == field, (kwargs, e.value)
        with pytest.raises(ytx.InvalidArgument) as e:
            t.restore("{}")
        assert e.value.field == "request_id"
        with pytest.raises(ytx.InvalidArgument) as e:
            t.track("")
        assert e.value.field == "request_id", e.value
        with pytest.raises(ytx.InvalidArgument) as e:
            t.track("20261206150000000000000000001", credit=0)
        assert e.value.field == "credit"
        assert not t.forget("20261206150000000000000000001")
    with ytx.Tracker(client) as system:
        with pytest.raises(ytx.InvalidArgument) as e:
            system.advance_clock(1)
        assert e.value.field == "clock"


def test_track_pending_forget_and_close(client):
    rid = "20261206150000123456789012345"
    with ytx.Tracker(client, clock="manual", verify="never") as t:
        t.track(rid, "order-7", sent_at=1_800_000_000, credit=600, src=SRC, dst=DST)
        t.track(rid)  # already watched: not an error
        [p] = t.pending()
        assert (p.request_id, p.custom_parm, p.credit, p.src, p.dst, p.ticket) == (
            rid, "order-7", 600, SRC, DST, None)
        assert (p.src_timeout, p.dst_timeout) == (None, None)  # track() takes none
        assert p.sent_at.timestamp() == 1_800_000_000
        assert t.on_push(state_push(rid, SRC, "answer", "2027-01-15 16:00:05"), "CallState") == 200
        assert t.next_event(timeout=0) is None  # held for the reorder window
        t.advance_clock(2)
        e = t.next_event(timeout=1)
        assert e is not None and e.kind is ytx.EventKind.LEG_STATE
        assert (e.request_id, e.custom_parm, e.number, e.leg, e.timestamp) == (
            rid, "order-7", SRC, "src", "2027-01-15 16:00:05")
        assert e.state is ytx.CallState.ANSWER and e.record is None and e.placed is None
        # The state is received: a tracker restored from pending() does not
        # report it again.
        with ytx.Tracker(client, clock="manual") as restored:
            restored.track(t.pending()[0])
            restored.advance_clock(2)
            assert restored.on_push(state_push(rid, SRC, "answer", "2027-01-15 16:00:05")) == 200
            restored.advance_clock(2)
            assert restored.next_event(timeout=0.01) is None
            assert restored.stats()["duplicates"] + restored.stats()["stale"] >= 1
        assert t.forget(rid) and t.pending() == []
        assert t.stats()["events"] == 1
    assert t.closed and t.on_push(b"{}") == 500
    assert t.next_event(timeout=30) is None  # at once: a worker's loop ends
    with pytest.raises(ytx.TrackerClosed):
        t.pending()
    t.close()  # idempotent
    assert ytx.live_trackers() == 0


def test_pending_items_carry_what_restore_took(client):
    """Numbers, ring timeouts (0 is one, not "not known") and an outcome
    unknown's ticket come back on the items, and survive a second restore."""
    ticket = ("ytx-ticket:1;kind=callback;sent=1700000000;credit=100;srctimeout=;"
              "dsttimeout=30;anchor=;customParm=t1;fid=4")
    lines = [
        json.dumps({"request_id": "rTimeouts1", "src": SRC, "dst": DST,
                    "src_timeout": 0, "dst_timeout": 45, "credit": 90}),
        json.dumps({"ticket": ticket}),
    ]
    with ytx.Tracker(client, clock="manual") as t:
        for line in lines:
            t.restore(line)
        by_key = {p.request_id or p.ticket: p for p in t.pending()}
        assert set(by_key) == {"rTimeouts1", ticket}
        call, unknown = by_key["rTimeouts1"], by_key[ticket]
        assert (call.src, call.dst, call.src_timeout, call.dst_timeout, call.credit, call.ticket) == (
            SRC, DST, 0, 45, 90, None)
        assert (unknown.request_id, unknown.custom_parm, unknown.ticket) == (None, "t1", ticket)
        assert (unknown.src_timeout, unknown.dst_timeout, unknown.credit) == (None, 30, 100)
        assert unknown.sent_at.timestamp() == 1_700_000_000
        with ytx.Tracker(client, clock="manual") as again:
            for item in t.pending():
                again.track(item)
            assert sorted(again.pending(), key=lambda p: p.json) == \
                sorted(t.pending(), key=lambda p: p.json)


def test_close_wakes_a_thread_waiting_forever(client):
    t = ytx.Tracker(client)
    got: List[object] = []
    th = threading.Thread(target=lambda: got.append(t.next_event()))
    th.start()
    time.sleep(0.05)
    t.close()
    th.join(DEADLINE)
    assert not th.is_alive() and got == [None]


# --- one home: the kinds and names are the header's ---------------------------------


def test_event_kinds_are_the_headers_and_the_librarys():
    text = HEADER.read_text()
    enum = re.search(r"^enum ytx_event_kind\b.*?\{(.*?)^\};", text, re.M | re.S)
    assert enum, "no enum ytx_event_kind in ytx.h"
    body = re.sub(r"/\*.*?\*/", "", enum.group(1), flags=re.S)
    defines = {k: int(v) for k, v in re.findall(r"\b(YTX_EVENT_[A-Z_]+) = (\d+)", body)}
    mine = {k: getattr(_native, k) for k in dir(_native) if k.startswith("YTX_EVENT_")}
    assert defines and mine == defines
    assert {"YTX_EVENT_" + k.name: int(k) for k in ytx.EventKind} == {
        k: v for k, v in defines.items() if k != "YTX_EVENT_NONE"}
    lib = ytx.load_library()
    for k in ytx.EventKind:
        assert lib.ytx_event_kind_name(k) == "YTX_EVENT_" + k.name


def test_options_and_stats_are_the_headers():
    text = HEADER.read_text()
    doc = text[text.index("ytx_result ytx_tracker_new") - 2000:text.index("ytx_result ytx_tracker_new")]
    from ytx.tracker import _OPTIONS
    for _, (wire, _ms) in _OPTIONS.items():
        assert re.search(r"\b" + wire + r"\b", doc), wire
    stat_doc = text[text.index("uint64_t ytx_tracker_stat") - 400:text.index("uint64_t ytx_tracker_stat")]
    listed = re.search(r"by name: ([a-z_, ]+)\.", stat_doc.replace("\n *", ""))
    assert listed, stat_doc
    assert tuple(n.strip() for n in listed.group(1).split(",")) == ytx.TRACKER_STAT_NAMES
