"""The push receiver example, and a call's whole life end to end (issue 12).

``examples/push_receiver.py`` runs on port 0 in this process. First it gets
pushes POSTed by hand (duplicates, out of order, garbage); then an emulator
started with ``--push-url`` pointing at it plays whole calls, and the test
finds a call by its customParm through the record query.

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
    """The example's server on port 0, with a wait on what it reported."""

    def __init__(self, secret_path: "str | None" = None) -> None:
        self.lines: List[str] = []
        self._cv = threading.Condition()
        self.server = receiver.PushServer(("127.0.0.1", 0), report=self._report,
                                          secret_path=secret_path)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}{secret_path or '/ytx/push'}"
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                        daemon=True)
        self._thread.start()

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

    def wait_record(self, request_id: str) -> "receiver.Call":
        self.wait(lambda: (c := self.server.calls.get(request_id)) is not None
                  and c.record is not None)
        return self.server.calls.get(request_id)

    def post_all(self, *bodies: bytes) -> None:
        """POST each body and wait until the receiver handled it (one line each).

        The receiver answers before it handles a push, so without the wait
        two pushes sent in a row may be handled in either order.
        """
        for body in bodies:
            n = len(self.lines)
            self.post(body).close()
            self.wait(lambda: len(self.lines) > n)

    def post(self, body: bytes, query: str = "") -> Any:
        req = urllib.request.Request(self.url + query, data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
        return urllib.request.urlopen(req, timeout=10)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(10)


@pytest.fixture
def rx() -> Iterator[Receiver]:
    r = Receiver()
    try:
        yield r
    finally:
        r.close()


def state(rid: str, number: str, s: str, ts: str = "2020-04-28 14:51:37") -> bytes:
    return (f'{{"requestid":"{rid}","dsc":"{number}","state":"{s}",'
            f'"stateDesc":"x","timestamp":"{ts}"}}').encode()


def record(rid: str) -> bytes:
    return (f'{{"cdr":[{{"requestid":"{rid}","caller":"{SRC}","called":"{DST}",'
            f'"duration":10,"oriamount":0.31,"tapesurl":"NoTapes","customParm":"o-1",'
            f'"stateDesc":"应答|正常"}}]}}').encode()


# --- the receiver, by hand ---------------------------------------------------------


def test_the_receiver_answers_200_and_reports_each_push(rx):
    rid = "20200437755840048670965760400"
    with rx.post(state(rid, SRC, "answer")) as answer:
        assert answer.status == 200 and answer.read() == b"ok"
    rx.wait(lambda: len(rx.lines) == 1)
    assert rx.lines[0] == f"{rid} {SRC} answer 2020-04-28 14:51:37"
    rx.post_all(record(rid))
    call = rx.wait_record(rid)
    assert call.record.amount_fen == 31 and call.record.duration == 10
    assert call.legs == {SRC: ytx.CallState.ANSWER}
    assert "record: 10 s, 0.31 yuan, 应答|正常 (customParm o-1)" in rx.lines[1]


def test_a_duplicate_push_is_ignored(rx):
    rid = "1001"
    rx.post_all(state(rid, SRC, "answer"), state(rid, SRC, "answer"), record(rid),
                record(rid), state(rid, SRC, "disconnect", "2020-04-28 14:52:00"))
    assert len(rx.lines) == 5, rx.lines
    assert rx.lines[1] == f"{rid} duplicate state push, ignored"
    assert rx.lines[3] == f"{rid} duplicate record push, ignored"
    assert rx.server.calls.get(rid).legs == {SRC: ytx.CallState.DISCONNECT}


def test_out_of_order_pushes_never_move_a_leg_back(rx):
    rid = "1002"
    rx.post_all(state(rid, DST, "alerting", "2020-04-28 14:51:40"),
                state(rid, DST, "callout", "2020-04-28 14:51:39"),
                record(rid),
                state(rid, DST, "disconnect", "2020-04-28 14:51:50"))
    assert len(rx.lines) == 4, rx.lines
    call = rx.server.calls.get(rid)
    assert call.legs == {DST: ytx.CallState.DISCONNECT} and call.record is not None
    assert "(late: the leg is already alerting)" in rx.lines[1]


def test_garbage_and_unknown_states_are_reported_not_fatal(rx):
    for body in (b"not json", b'{"cdr":{}}', b"", state("1003", SRC, "hold")):
        n = len(rx.lines)
        with rx.post(body) as answer:
            assert answer.status == 200  # always: the platform need not resend
        rx.wait(lambda: len(rx.lines) > n)
    assert len(rx.lines) == 4, rx.lines
    assert sum(line.startswith("not a push, ignored: ") for line in rx.lines) == 3
    assert any("cdr is not an array" in line for line in rx.lines)
    assert rx.lines[-1].endswith("hold 2020-04-28 14:51:37 (unknown state, kept as is)")
    assert rx.server.calls.get("1003").legs == {}


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
    with socket.create_connection(("127.0.0.1", rx.port), timeout=10) as slow:
        slow.sendall(b"POST /ytx/push?CallState HTTP/1.1\r\nContent-Le")  # and then nothing
        rx.post_all(state("2001", SRC, "answer"), record("2001"))
        assert rx.server.calls.get("2001").record is not None
        assert rx.lines[0] == f"2001 {SRC} answer 2020-04-28 14:51:37"


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
    rx.post(state("2002", SRC, "answer"), "?CallState").close()
    rx.post(record("2002"), "?Call").close()
    rx.wait(lambda: len(rx.lines) == 2)
    n = len(rx.lines)
    rx.post(state("2003", SRC, "answer"), "?Call").close()  # the body is not a record push
    rx.wait(lambda: len(rx.lines) > n)
    assert rx.lines[-1].startswith("not a push, ignored: ") and "?Call" in rx.lines[-1]
    assert rx.server.calls.get("2003") is None


def test_a_secret_path_is_required_when_set():
    r = Receiver(secret_path="/push-5f0c2a9e71d4")
    try:
        wrong = f"http://127.0.0.1:{r.port}/push-guess?CallState"
        req = urllib.request.Request(wrong, data=state("2004", SRC, "answer"), method="POST")
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(req, timeout=10)
        assert e.value.code == 404
        r.post_all(state("2004", SRC, "answer"))
        assert r.lines == ["refused: 404 (wrong path)", f"2004 {SRC} answer 2020-04-28 14:51:37"]
    finally:
        r.close()


def test_de_duplication_keys_and_bounded_memory(monkeypatch):
    monkeypatch.setattr(receiver, "MAX_REMEMBERED", 3)
    r = Receiver()
    try:
        # Same requestid, dsc and state, another timestamp: a new push.
        r.post_all(state("3001", SRC, "hold", "2020-04-28 14:51:37"),
                   state("3001", SRC, "hold", "2020-04-28 14:51:38"),
                   state("3001", SRC, "hold", "2020-04-28 14:51:38"))
        assert r.lines[2] == "3001 duplicate state push, ignored"
        # Memory is bounded: beyond 3 keys the oldest is forgotten.
        r.post_all(record("3002"), record("3003"), state("3001", SRC, "hold", "2020-04-28 14:51:37"))
        assert "duplicate" not in r.lines[-1]
        assert len(r.server.calls._seen) == 3 and len(r.server.calls._calls) <= 3
    finally:
        r.close()


# --- a call's whole life, against the emulator ----------------------------------------


@pytest.fixture
def pushing_emulator(rx) -> Iterator[Emulator]:
    """An emulator that pushes every call to the receiver."""
    emu = Emulator(emulator_path(), extra_args=["--push-url", rx.url])
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def pushing(pushing_emulator) -> Iterator[ytx.Client]:
    """A client for :func:`pushing_emulator`."""
    with ytx.Client(SID, TOKEN, APP, base_url=pushing_emulator.base_url, timeout=10.0) as c:
        yield c


LEG_STATES = [ytx.CallState.CALLOUT, ytx.CallState.ALERTING, ytx.CallState.ANSWER,
              ytx.CallState.DISCONNECT]


def test_a_call_end_to_end_pushes_then_find_call(rx, pushing):
    client = pushing
    before = client.callback_call(SRC, DST, 600).request_id  # a requestId from before
    rx.wait_record(before)
    order = f"order-{uuid.uuid4().hex}"
    call = client.callback_call(SRC, DST, 600, custom_parm=order)

    # The receiver handles a push after answering it, so the record push
    # (sent last) may be handled before the last state push: wait for both.
    done = {SRC: ytx.CallState.DISCONNECT, DST: ytx.CallState.DISCONNECT}
    rx.wait(lambda: (c := rx.server.calls.get(call.request_id)) is not None
            and c.record is not None and c.legs == done)
    got = rx.server.calls.get(call.request_id)
    mine = [line for line in rx.lines if line.startswith(call.request_id)]
    for number in (SRC, DST):
        seen = [s for s in LEG_STATES
                for line in mine if line.startswith(f"{call.request_id} {number} {s.value} ")]
        assert seen == LEG_STATES, mine
    pushed = got.record
    assert pushed.custom_parm == order and pushed.duration == 10

    # The pushes are hints: the signed record query confirms them.
    found = client.find_call(order, after_request_id=before)
    assert found is not None and found.request_id == call.request_id
    assert found == pushed  # the same record, field for field
    assert client.find_call(order, after_request_id="0") == found
    assert client.call_record(call.request_id) == found
    assert client.find_call(f"never-placed-{uuid.uuid4().hex}", after_request_id=before) is None


def test_duplicate_and_out_of_order_pushes_from_the_emulator(rx, pushing, pushing_emulator):
    emulator = pushing_emulator
    dup = pushing.callback_call(SRC, CALL_DUPLICATE_PUSHES, 600, custom_parm="dup")
    ooo = pushing.callback_call(SRC, CALL_OUT_OF_ORDER_PUSHES, 600, custom_parm="ooo")
    # 8 state pushes and a record push each, plus 3 repeats for dup.
    rx.wait(lambda: sum(line.startswith(dup.request_id) for line in rx.lines) == 12
            and sum(line.startswith(ooo.request_id) for line in rx.lines) == 9)
    # The emulator did send them so (its push log, in sending order; an entry
    # is logged once the receiver answered, so wait for the last ones).
    deadline = time.monotonic() + DEADLINE
    while True:
        sent = [p["body"] for p in emulator.pushes()]
        dup_sent = [b for b in sent if dup.request_id in b]
        ooo_sent = [b for b in sent if ooo.request_id in b]
        if (len(dup_sent), len(ooo_sent)) == (12, 9) or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert len(dup_sent) == 12 and len(set(dup_sent)) == 9  # answers and record twice
    dst_states = [s for b in ooo_sent for s in ("callout", "alerting")
                  if f'"dsc":"{CALL_OUT_OF_ORDER_PUSHES}","state":"{s}"' in b]
    assert dst_states == ["alerting", "callout"]
    assert '"cdr"' in ooo_sent[-2] and '"disconnect"' in ooo_sent[-1]
    # The receiver took each duplicate once (8 states + 1 record, 3 ignored)...
    dup_lines = [line for line in rx.lines if line.startswith(dup.request_id)]
    assert len(dup_lines) == 12 and sum("duplicate" in line for line in dup_lines) == 3
    # ...and ended both calls with both legs disconnected: nothing moved back.
    for rid, dst in ((dup.request_id, CALL_DUPLICATE_PUSHES),
                     (ooo.request_id, CALL_OUT_OF_ORDER_PUSHES)):
        assert rx.server.calls.get(rid).legs == {
            SRC: ytx.CallState.DISCONNECT, dst: ytx.CallState.DISCONNECT}


def test_the_example_runs_as_a_program():
    """``python3 push_receiver.py --listen 127.0.0.1:0`` serves, as its docstring says."""
    import select
    import subprocess
    import sys

    from support import EXAMPLES_DIR, SRC_DIR, library_path

    env = dict(os.environ, PYTHONPATH=str(SRC_DIR), YTX_LIBRARY=library_path())
    env.pop("PYTHONUNBUFFERED", None)  # the example must flush its own lines
    proc = subprocess.Popen([sys.executable, str(EXAMPLES_DIR / "push_receiver.py"),
                             "--listen", "127.0.0.1:0"],
                            stdout=subprocess.PIPE, text=True, env=env)

    def line() -> str:  # never hang the suite on a missing line
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], DEADLINE)
        assert ready, "the example printed nothing (not flushed?)"
        return proc.stdout.readline()

    try:
        first = line()
        m = re.fullmatch(r"receiving pushes on (http://127\.0\.0\.1:\d+/)\n", first)
        assert m, first
        req = urllib.request.Request(m.group(1), data=state("1004", SRC, "answer"),
                                     method="POST")
        with urllib.request.urlopen(req, timeout=10) as answer:
            assert answer.status == 200
        assert line() == f"1004 {SRC} answer 2020-04-28 14:51:37\n"
    finally:
        proc.kill()
        proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()
