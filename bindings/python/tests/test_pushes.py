"""The push receiver example, and a call's whole life end to end (issue 12).

``examples/push_receiver.py`` runs on port 0 in this process. First it gets
pushes POSTed by hand (duplicates, out of order, garbage); then an emulator
started with ``--push-url`` pointing at it plays whole calls, and the test
finds a call by its customParm through the record query.

Waits are event waits with generous deadlines, never sleeps tuned to a
fast machine.
"""

from __future__ import annotations

import threading
import time
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

    def __init__(self) -> None:
        self.lines: List[str] = []
        self._cv = threading.Condition()
        self.server = receiver.PushServer(("127.0.0.1", 0), report=self._report)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/ytx/push"
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

    def post(self, body: bytes) -> Any:
        req = urllib.request.Request(self.url, data=body, method="POST",
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
    rx.post(record(rid)).close()
    call = rx.wait_record(rid)
    assert call.record.amount_fen == 31 and call.record.duration == 10
    assert call.legs == {SRC: ytx.CallState.ANSWER}
    assert "record: 10 s, 0.31 yuan, 应答|正常 (customParm o-1)" in rx.lines[1]


def test_a_duplicate_push_is_ignored(rx):
    rid = "1001"
    for body in (state(rid, SRC, "answer"), state(rid, SRC, "answer"), record(rid),
                 record(rid), state(rid, SRC, "disconnect", "2020-04-28 14:52:00")):
        rx.post(body).close()
    rx.wait(lambda: any("disconnect" in line for line in rx.lines))
    assert len(rx.lines) == 3, rx.lines  # answer, record, disconnect: once each
    assert rx.server.calls.get(rid).legs == {SRC: ytx.CallState.DISCONNECT}


def test_out_of_order_pushes_never_move_a_leg_back(rx):
    rid = "1002"
    for body in (state(rid, DST, "alerting", "2020-04-28 14:51:40"),
                 state(rid, DST, "callout", "2020-04-28 14:51:39"),
                 record(rid),
                 state(rid, DST, "disconnect", "2020-04-28 14:51:50")):
        rx.post(body).close()
    rx.wait(lambda: len(rx.lines) == 4)
    call = rx.server.calls.get(rid)
    assert call.legs == {DST: ytx.CallState.DISCONNECT} and call.record is not None
    assert "(late: the leg is already alerting)" in rx.lines[1]


def test_garbage_and_unknown_states_are_reported_not_fatal(rx):
    for body in (b"not json", b'{"cdr":{}}', b"", state("1003", SRC, "hold")):
        with rx.post(body) as answer:
            assert answer.status == 200  # always: the platform need not resend
    rx.wait(lambda: len(rx.lines) == 4)
    assert sum(line.startswith("not a push, ignored: ") for line in rx.lines) == 3
    assert any("cdr is not an array" in line for line in rx.lines)
    assert rx.lines[-1].endswith("hold 2020-04-28 14:51:37 (unknown state, kept as is)")
    assert rx.server.calls.get("1003").legs == {}


# --- a call's whole life, against the emulator ----------------------------------------


@pytest.fixture
def pushing(rx) -> Iterator[ytx.Client]:
    """A client for an emulator that pushes every call to the receiver."""
    emu = Emulator(emulator_path(), extra_args=["--push-url", rx.url])
    try:
        with ytx.Client(SID, TOKEN, APP, base_url=emu.base_url, timeout=10.0) as c:
            yield c
    finally:
        emu.stop()


LEG_STATES = [ytx.CallState.CALLOUT, ytx.CallState.ALERTING, ytx.CallState.ANSWER,
              ytx.CallState.DISCONNECT]


def test_a_call_end_to_end_pushes_then_find_call(rx, pushing):
    client = pushing
    before = client.callback_call(SRC, DST, 600).request_id  # a requestId from before
    rx.wait_record(before)
    order = f"order-{uuid.uuid4().hex}"
    call = client.callback_call(SRC, DST, 600, custom_parm=order)

    got = rx.wait_record(call.request_id)
    # Every state push of both legs arrived and parsed; the record push too.
    assert got.legs == {SRC: ytx.CallState.DISCONNECT, DST: ytx.CallState.DISCONNECT}
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


def test_duplicate_and_out_of_order_pushes_from_the_emulator(rx, pushing):
    dup = pushing.callback_call(SRC, CALL_DUPLICATE_PUSHES, 600, custom_parm="dup")
    ooo = pushing.callback_call(SRC, CALL_OUT_OF_ORDER_PUSHES, 600, custom_parm="ooo")
    for rid, dst in ((dup.request_id, CALL_DUPLICATE_PUSHES),
                     (ooo.request_id, CALL_OUT_OF_ORDER_PUSHES)):
        rx.wait(lambda: (c := rx.server.calls.get(rid)) is not None and c.record is not None
                and c.legs.get(dst) is ytx.CallState.DISCONNECT)
    # Duplicates were pushed but reported once: 4 states per leg + 1 record.
    assert len([line for line in rx.lines if line.startswith(dup.request_id)]) == 9
    # Out of order: the callout after alerting is late, and nothing moved back.
    ooo_lines = [line for line in rx.lines if line.startswith(ooo.request_id)]
    assert any(f"{CALL_OUT_OF_ORDER_PUSHES} callout" in line and "late" in line
               for line in ooo_lines), ooo_lines
    assert rx.server.calls.get(ooo.request_id).legs == {
        SRC: ytx.CallState.DISCONNECT, CALL_OUT_OF_ORDER_PUSHES: ytx.CallState.DISCONNECT}
