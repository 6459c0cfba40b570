"""The push receiver example, and a call's whole life end to end (issues 12, 21).

``examples/push_receiver.py`` runs on port 0 in this process and feeds a
``ytx.Tracker`` (manual clock: time moves only when a test says so). First it
gets pushes POSTed by hand (duplicates, out of order, garbage, a push for no
watched call); then an emulator started with ``--push-url`` pointing at it
plays whole calls, and the test finds a call by its customParm through the
record query.

Waits are event waits with generous deadlines, never sleeps tuned to a
fast machine.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
import urllib.error
import urllib.request
import uuid
from typing import Any, Callable, Iterator, List

import pytest

import ytx
from support import (
    APP,
    CALL_DUPLICATE_PUSHES,
    CALL_OUT_OF_ORDER_PUSHES,
    DST,
    SID,
    SRC,
    TOKEN,
    Emulator,
    emulator_path,
    load_example,
)

receiver = load_example("push_receiver")
DEADLINE = 30.0  # seconds; the emulator pushes every 20 ms


class Receiver:
    """The example's server on port 0 feeding a tracker, with a wait on what it reported."""

    def __init__(self, client: ytx.Client, secret_path: "str | None" = None,
                 verify: str = "never") -> None:
        self.lines: List[str] = []
        self._cv = threading.Condition()
        self.tracker = ytx.Tracker(client, verify=verify, clock="manual")
        self.server = receiver.PushServer(("127.0.0.1", 0), self.tracker, report=self._report,
                                          secret_path=secret_path)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}{secret_path or '/ytx/push'}"
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                        daemon=True)
        self._thread.start()
        self._events = threading.Thread(target=receiver.report_events,
                                        args=(self.tracker, self._report), daemon=True)
        self._events.start()

    def _report(self, line: str) -> None:
        with self._cv:
            self.lines.append(line)
            self._cv.notify_all()

    def wait(self, what: Callable[[], bool], timeout: float = DEADLINE) -> None:
        deadline = time.monotonic() + timeout
        with self._cv:
            while not what():
                left = deadline - time.monotonic()
                assert left > 0, f"timed out; the receiver reported: {self.lines}"
                self._cv.wait(left)

    def after(self, seconds: float) -> None:
        """Move the tracker's clock (held states come out, windows pass)."""
        self.tracker.advance_clock(seconds)

    def mine(self, request_id: str) -> List[str]:
        with self._cv:
            return [line for line in self.lines if line.startswith(request_id + " ")]

    def post_all(self, *bodies: bytes, query: str = "") -> None:
        """POST each body; each is taken by the tracker before its answer comes."""
        for body in bodies:
            with self.post(body, query) as answer:
                assert answer.status == 200 and answer.read() == b"ok"

    def post(self, body: bytes, query: str = "") -> Any:
        req = urllib.request.Request(self.url + query, data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
        return urllib.request.urlopen(req, timeout=10)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(10)
        self.tracker.close()
        self._events.join(10)


@pytest.fixture
def rx(client) -> Iterator[Receiver]:
    r = Receiver(client)
    try:
        yield r
    finally:
        r.close()


RID = "20200437755840048670965760400"


def state(rid: str, number: str, s: str, ts: str = "2020-04-28 14:51:37") -> bytes:
    return (f'{{"requestid":"{rid}","dsc":"{number}","state":"{s}",'
            f'"stateDesc":"x","timestamp":"{ts}"}}').encode()


def record(rid: str) -> bytes:
    return (f'{{"cdr":[{{"requestid":"{rid}","caller":"{SRC}","called":"{DST}",'
            f'"duration":10,"oriamount":0.31,"tapesurl":"NoTapes","customParm":"o-1",'
            f'"stateDesc":"应答|正常"}}]}}').encode()


# --- the receiver, by hand ---------------------------------------------------------


def test_the_receiver_answers_200_and_reports_each_fact(rx):
    rx.tracker.track(RID, "o-1", credit=600, src=SRC, dst=DST)
    with rx.post(state(RID, SRC, "answer")) as answer:
        assert answer.status == 200 and answer.read() == b"ok"
    rx.after(2)  # the reorder window passes
    rx.wait(lambda: len(rx.lines) == 1)
    assert rx.lines[0] == f"{RID} src {SRC} answer 2020-04-28 14:51:37"
    rx.post_all(record(RID))
    rx.after(2)
    rx.wait(lambda: len(rx.lines) == 2)
    assert rx.lines[1] == f"{RID} completed: 10 s, 0.31 yuan, 应答|正常 (customParm o-1, from the push)"
    assert rx.tracker.pending() == []


def test_a_duplicate_push_is_reported_once(rx):
    rx.tracker.track(RID, src=SRC, dst=DST)
    rx.post_all(state(RID, SRC, "answer"), state(RID, SRC, "answer"),
                state(RID, SRC, "disconnect", "2020-04-28 14:52:00"), record(RID), record(RID))
    rx.after(2)
    rx.wait(lambda: any("completed" in line for line in rx.lines))
    mine = rx.mine(RID)
    assert mine[:2] == [f"{RID} src {SRC} answer 2020-04-28 14:51:37",
                        f"{RID} src {SRC} disconnect 2020-04-28 14:52:00"], mine
    assert len(mine) == 3 and "completed" in mine[2], mine
    stats = rx.tracker.stats()
    assert stats["duplicates"] + stats["late"] == 2, stats
    # A push after the call's end is dropped too (counted, never reported).
    rx.post_all(state(RID, DST, "disconnect", "2020-04-28 14:52:01"))
    rx.after(2)
    assert rx.tracker.next_event(timeout=0) is None and len(rx.mine(RID)) == 3


def test_out_of_order_pushes_are_reported_in_order(rx):
    rx.tracker.track(RID, src=SRC, dst=DST)
    rx.post_all(state(RID, DST, "alerting", "2020-04-28 14:51:40"),
                state(RID, DST, "callout", "2020-04-28 14:51:39"))
    rx.after(2)
    rx.wait(lambda: len(rx.lines) == 2)
    assert rx.lines == [f"{RID} dst {DST} callout 2020-04-28 14:51:39",
                        f"{RID} dst {DST} alerting 2020-04-28 14:51:40"]
    # A state older than one already reported never moves the leg back.
    rx.post_all(state(RID, DST, "callout", "2020-04-28 14:51:38"))
    rx.after(2)
    assert rx.tracker.next_event(timeout=0) is None
    assert len(rx.lines) == 2


def test_garbage_and_pushes_for_no_watched_call(rx):
    with pytest.raises(urllib.error.HTTPError) as e:
        rx.post(b"not json")
    assert e.value.code == 400
    rx.wait(lambda: rx.lines == ["answered 400: not JSON"])
    rx.post_all(b'{"cdr":{}}', state("1003", SRC, "answer"))  # JSON: 200 whatever it is
    rx.after(11)  # the orphan window: a push may come before its call is watched
    rx.wait(lambda: len(rx.lines) == 3)
    assert all(line.startswith("unrecognised push ignored: ") for line in rx.lines[1:]), rx.lines
    assert any("1003" in line for line in rx.lines)


# --- protecting the receiver (PROTOCOL.md, issue 18) --------------------------------


def raw_status(port: int, request: bytes, timeout: float = 10.0) -> str:
    """Send raw bytes on a new connection; the status line answered ("" if closed)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(request)
        data = b""
        while b"\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        return data.split(b"\r\n", 1)[0].decode()


def test_a_slow_client_does_not_stop_the_others(rx):
    rx.tracker.track("2001", src=SRC, dst=DST)
    with socket.create_connection(("127.0.0.1", rx.port), timeout=10) as slow:
        slow.sendall(b"POST /ytx/push?CallState HTTP/1.1\r\nContent-Le")  # and then nothing
        rx.post_all(state("2001", SRC, "answer"), record("2001"))
        rx.after(2)
        rx.wait(lambda: len(rx.mine("2001")) == 2)
        assert rx.mine("2001")[0] == f"2001 src {SRC} answer 2020-04-28 14:51:37"


def test_a_bad_content_length_is_refused_at_once(rx):
    head = b"POST /ytx/push?Call HTTP/1.1\r\nHost: x\r\n"
    # No body follows: the answer comes from the head alone.
    assert raw_status(rx.port, head + b"Content-Length: 99999999999\r\n\r\n") == \
        "HTTP/1.0 413 Request Entity Too Large"
    assert raw_status(rx.port, head + b"Content-Length: -1\r\n\r\n") == \
        "HTTP/1.0 400 Bad Request"
    assert raw_status(rx.port, head + b"\r\n").startswith("HTTP/1.0 411")
    assert raw_status(rx.port, head + b"Content-Length: %d\r\n\r\n" % (receiver.MAX_BODY + 1)) \
        .startswith("HTTP/1.0 413")
    assert [line.split(" (")[0] for line in rx.lines] == \
        ["refused: 413", "refused: 400", "refused: 411", "refused: 413"]


def test_a_client_slower_than_the_read_deadline_is_cut_off(rx, monkeypatch):
    monkeypatch.setattr(receiver, "READ_DEADLINE", 0.3)
    t = time.monotonic()
    with socket.create_connection(("127.0.0.1", rx.port), timeout=DEADLINE) as slow:
        slow.sendall(b"POST /ytx/push HTTP/1.1\r\nContent-Length: 10\r\n\r\n{")
        assert slow.recv(4096) == b""  # closed without an answer
    assert time.monotonic() - t < DEADLINE
    assert rx.lines == []


def test_routing_by_the_query_key_the_platform_appends(rx):
    rx.tracker.track("2002", src=SRC, dst=DST)
    rx.tracker.track("2003", src=SRC, dst=DST)
    rx.post_all(state("2002", SRC, "answer"), query="?CallState")
    rx.post_all(record("2002"), query="?Call")
    rx.post_all(state("2003", SRC, "answer"), query="?Call")  # the body is not a record push
    rx.post_all(state("2003", SRC, "DELIVRD"), query="?SMS")  # an SMS report, not a call's
    rx.after(2)
    rx.wait(lambda: len(rx.lines) == 4)
    assert rx.mine("2002")[0] == f"2002 src {SRC} answer 2020-04-28 14:51:37"
    assert "completed" in rx.mine("2002")[1]
    odd = [line for line in rx.lines if line.startswith("unrecognised push ignored: ")]
    assert len(odd) == 2 and any("?Call" in line for line in odd) and any("SMS" in line for line in odd), odd
    assert rx.mine("2003") == []


def test_a_secret_path_is_required_when_set(client):
    r = Receiver(client, secret_path="/push-5f0c2a9e71d4")
    try:
        r.tracker.track("2004", src=SRC, dst=DST)
        wrong = f"http://127.0.0.1:{r.port}/push-guess?CallState"
        req = urllib.request.Request(wrong, data=state("2004", SRC, "answer"), method="POST")
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(req, timeout=10)
        assert e.value.code == 404
        r.post_all(state("2004", SRC, "answer"))
        r.after(2)
        r.wait(lambda: len(r.lines) == 2)
        assert r.lines == ["refused: 404 (wrong path)", f"2004 src {SRC} answer 2020-04-28 14:51:37"]
    finally:
        r.close()


def test_de_duplication_keys(rx):
    # Same requestid, dsc and state, another timestamp: another push (kept
    # apart by PROTOCOL.md's key); the same timestamp again: a duplicate.
    rx.tracker.track("3001", src=SRC, dst=DST)
    rx.post_all(state("3001", SRC, "hold", "2020-04-28 14:51:37"),
                state("3001", SRC, "hold", "2020-04-28 14:51:38"),
                state("3001", SRC, "hold", "2020-04-28 14:51:38"))
    assert rx.tracker.stats()["duplicates"] == 1


# --- a call's whole life, against the emulator ----------------------------------------


@pytest.fixture
def pushing_emulator() -> Iterator[Emulator]:
    """An emulator (its pushes go to the receiver of :func:`erx`)."""
    # The receiver needs a client of this emulator for its tracker, and the
    # emulator needs the receiver's URL: the receiver's server is bound first
    # (port 0, listening, so pushes wait in its backlog), and :func:`erx`
    # gives it its tracker and serves it.
    server = receiver.PushServer(("127.0.0.1", 0), None)  # type: ignore[arg-type]
    port = server.server_address[1]
    try:
        emu = Emulator(emulator_path(), extra_args=[
            "--push-url", f"http://127.0.0.1:{port}/ytx/push", "--push-interval-ms", "1"])
    except BaseException:
        server.server_close()
        raise
    emu.port = port  # type: ignore[attr-defined]
    emu.push_server = server  # type: ignore[attr-defined]
    try:
        yield emu
    finally:
        emu.stop()
        server.server_close()


@pytest.fixture
def pushing(pushing_emulator) -> Iterator[ytx.Client]:
    """A client for :func:`pushing_emulator`."""
    with ytx.Client(SID, TOKEN, APP, base_url=pushing_emulator.base_url, timeout=10.0) as c:
        yield c


@pytest.fixture
def erx(pushing, pushing_emulator) -> Iterator[Receiver]:
    """The receiver on the emulator's push port, its tracker on :func:`pushing`
    (verify always: each record confirmed by the signed query)."""
    r = Receiver.__new__(Receiver)
    r.lines, r._cv = [], threading.Condition()
    r.tracker = ytx.Tracker(pushing, verify="always", clock="manual")
    r.server = pushing_emulator.push_server
    r.server.tracker, r.server.report = r.tracker, r._report
    r.port = pushing_emulator.port
    r.url = f"http://127.0.0.1:{r.port}/ytx/push"
    r._thread = threading.Thread(target=r.server.serve_forever, args=(0.05,), daemon=True)
    r._thread.start()
    r._events = threading.Thread(target=receiver.report_events, args=(r.tracker, r._report),
                                 daemon=True)
    r._events.start()
    try:
        yield r
    finally:
        r.close()


def until_completed(r: Receiver, request_id: str) -> List[str]:
    """Move the clock until the call's completed line (at most 10 simulated minutes)."""
    for _ in range(60):
        if any(" completed: " in line for line in r.mine(request_id)):
            break
        r.after(10)
        time.sleep(0.01)
    r.wait(lambda: any(" completed: " in line for line in r.mine(request_id)))
    return r.mine(request_id)


def wait_pushes(emulator: Emulator, n: int) -> None:
    deadline = time.monotonic() + DEADLINE
    while len(emulator.pushes()) < n:
        assert time.monotonic() < deadline, emulator.pushes()
        time.sleep(0.01)


LEG_STATES = ["callout", "alerting", "answer", "disconnect"]


def test_a_call_end_to_end_pushes_then_find_call(erx, pushing, pushing_emulator):
    client = pushing
    before = client.callback_call(SRC, DST, 600).request_id  # a requestId from before
    order = f"order-{uuid.uuid4().hex}"
    call = client.callback_call(SRC, DST, 600, custom_parm=order)  # tracked: its client's
    wait_pushes(pushing_emulator, 18)
    mine = until_completed(erx, call.request_id)
    for leg, number in (("src", SRC), ("dst", DST)):
        seen = [s for s in LEG_STATES for line in mine
                if line.startswith(f"{call.request_id} {leg} {number} {s} ")]
        assert seen == LEG_STATES, mine
    assert mine[-1].startswith(f"{call.request_id} completed: 10 s, ")
    assert mine[-1].endswith(f"(customParm {order}, verified)")

    # What the tracker confirmed is what the signed query finds.
    found = client.find_call(order, after_request_id=before)
    assert found is not None and found.request_id == call.request_id
    assert client.call_record(call.request_id) == found
    assert client.find_call(f"never-placed-{uuid.uuid4().hex}", after_request_id=before) is None


def test_duplicate_and_out_of_order_pushes_from_the_emulator(erx, pushing, pushing_emulator):
    emulator = pushing_emulator
    dup = pushing.callback_call(SRC, CALL_DUPLICATE_PUSHES, 600, custom_parm="dup")
    ooo = pushing.callback_call(SRC, CALL_OUT_OF_ORDER_PUSHES, 600, custom_parm="ooo")
    # 8 state pushes and a record push each, plus 3 repeats for dup.
    wait_pushes(emulator, 21)
    sent = [p["body"] for p in emulator.pushes()]
    dup_sent = [b for b in sent if dup.request_id in b]
    ooo_sent = [b for b in sent if ooo.request_id in b]
    assert len(dup_sent) == 12 and len(set(dup_sent)) == 9  # answers and record twice
    dst_states = [s for b in ooo_sent for s in ("callout", "alerting")
                  if f'"dsc":"{CALL_OUT_OF_ORDER_PUSHES}","state":"{s}"' in b]
    assert dst_states == ["alerting", "callout"]
    # The tracker reported each state once, each leg in order, then the call
    # once. (The out-of-order call's record push comes before its last state
    # push: once the call is reported completed, that state is dropped, so
    # it is reported or not depending on when the query ran.)
    for call, dst in ((dup, CALL_DUPLICATE_PUSHES), (ooo, CALL_OUT_OF_ORDER_PUSHES)):
        mine = until_completed(erx, call.request_id)
        for leg, number in (("src", SRC), ("dst", dst)):
            seen = [line.split()[3] for line in mine if line.split()[1:3] == [leg, number]]
            if call is dup or leg == "src":
                assert seen == LEG_STATES, mine
            else:
                assert seen in (LEG_STATES, LEG_STATES[:3]), mine
        assert sum(" completed: " in line for line in mine) == 1
        assert " completed: " in mine[-1]
    assert len(erx.mine(dup.request_id)) == 9


def test_the_example_runs_as_a_program(emulator):
    """``python3 push_receiver.py --listen 127.0.0.1:0`` serves, as its docstring says."""
    import select
    import subprocess
    import sys

    from support import EXAMPLES_DIR, SRC_DIR, library_path

    env = dict(os.environ, PYTHONPATH=str(SRC_DIR), YTX_LIBRARY=library_path(),
               YTX_ACCOUNT_SID=SID, YTX_AUTH_TOKEN=TOKEN, YTX_APP_ID=APP,
               YTX_BASE_URL=emulator.base_url)
    env.pop("PYTHONUNBUFFERED", None)  # the example must flush its own lines
    proc = subprocess.Popen([sys.executable, str(EXAMPLES_DIR / "push_receiver.py"),
                             "--listen", "127.0.0.1:0"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)

    def line() -> str:  # never hang the suite on a missing line
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], DEADLINE)
        assert ready, "the example printed nothing (not flushed?)"
        return proc.stdout.readline()

    try:
        first = line()
        m = re.fullmatch(r"receiving pushes on (http://127\.0\.0\.1:\d+/)\n", first)
        assert m, first
        assert proc.stdin is not None
        proc.stdin.write("1004\n")  # watch this call
        proc.stdin.flush()
        # The push may come before the line is read: the orphan window keeps it.
        req = urllib.request.Request(m.group(1), data=state("1004", SRC, "answer"),
                                     method="POST")
        with urllib.request.urlopen(req, timeout=10) as answer:
            assert answer.status == 200
        assert line() == f"1004 ? {SRC} answer 2020-04-28 14:51:37\n"
    finally:
        proc.kill()
        proc.wait(10)
        for f in (proc.stdin, proc.stdout):
            if f is not None:
                f.close()
