"""Call records, find_call and the balance against the emulator (issue 12).

The emulator records every call it places (also one whose answer a fault
then loses) and serves the records on CallCdr.wx at once
(``--record-delay-ms`` 0), the balance on getBlance.wx; each call costs 6 fen
per started minute (emulator --help).
"""

from __future__ import annotations

import json
import re
import socket
import uuid
from decimal import Decimal
from typing import Any, Dict

import pytest

import ytx
from support import (
    APP,
    CALL_FIRST_LEG_NO_ANSWER,
    CALL_SECOND_LEG_BUSY,
    DST,
    DSTCLID,
    FAULT_DROP_CONNECTION,
    FID_VOICE_CODE,
    SID,
    SRC,
    WRONG_TOKEN,
    Emulator,
    emulator_path,
    platform_code_dst,
)


def unique(prefix: str = "order") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def last_request(emulator: Emulator) -> Dict[str, Any]:
    return emulator.requests()[-1]


def test_the_record_of_a_callback_call(client, emulator):
    cp = unique()
    call = client.callback_call(SRC, DST, 600, custom_parm=cp)
    r = client.call_record(call.request_id)
    assert isinstance(r, ytx.CallRecord)
    assert r.request_id == call.request_id
    assert (r.caller, r.called, r.custom_parm, r.fid, r.app_id) == (SRC, DST, cp, "4", APP)
    # The emulator's normal call: both legs answer, 10 billed seconds, 6 fen.
    assert r.duration == 10
    assert (r.amount, r.amount_text, r.amount_fen) == (Decimal("0.06"), "0.06", 6)
    assert r.state_desc == "应答|正常"
    assert r.recording_url is not None and r.recording_url.endswith(".mp3")
    assert r.caller_answered < r.called_answered < r.called_ended
    assert r.caller_answered.utcoffset().total_seconds() == 8 * 3600
    # What went over the wire: CallCdr.wx, getCdrByResId, limit 0, fid 4.
    entry = last_request(emulator)
    assert entry["path"] == f"/201512/sid/{SID}/call/CallCdr.wx"
    assert re.fullmatch(r"Sign=[0-9A-F]{32}", entry["query"])
    assert json.loads(entry["body"]) == {
        "action": "getCdrByResId", "appid": APP, "fid": "4",
        "lastresid": call.request_id, "limit": "0",
    }
    # The same record as the emulator keeps it, field for field.
    kept = next(x for x in emulator.records() if x["request_id"] == call.request_id)
    assert r.fields == {k: v if isinstance(v, str) else json.dumps(v)
                        for k, v in kept["cdr"].items()}


def test_an_unknown_request_id_has_no_record(client):
    assert client.call_record("20200437755811196850667520400") is None


def test_the_record_of_a_voice_code_is_one_leg(client):
    code = client.voice_code(DST, None, "1234", times=2)
    assert client.call_record(code.request_id) is None  # fid 4 is the callback call's
    r = client.call_record(code.request_id, fid=FID_VOICE_CODE)
    assert r is not None and r.request_id == code.request_id
    assert (r.tel, r.caller, r.called, r.fid) == (DST, None, None, FID_VOICE_CODE)
    assert r.duration == 12 and r.amount_fen == 6  # two readings of 6 s
    assert r.stime is not None and r.etime is not None and r.stime < r.etime
    assert r.recording_url is None


def test_unanswered_and_busy_calls(client):
    no_answer = client.callback_call(CALL_FIRST_LEG_NO_ANSWER, DST, 600)
    r = client.call_record(no_answer.request_id)
    assert r is not None
    assert (r.duration, r.amount_fen, r.amount) == (0, 0, Decimal("0.00"))
    assert r.caller_answered is None and r.called_answered is None
    assert r.state_desc == "主叫未接听"
    busy = client.callback_call(SRC, CALL_SECOND_LEG_BUSY, 600)
    r = client.call_record(busy.request_id)
    assert r is not None and r.caller_answered is not None and r.called_answered is None
    assert r.state_desc == "被叫忙" and r.duration == 0


def test_paging_through_the_records_after_a_request_id(client, emulator):
    anchor = client.callback_call(SRC, DST, 600).request_id
    ids = [client.callback_call(SRC, DST, 600, custom_parm=unique()).request_id
           for _ in range(5)]
    page = client.call_records_after(anchor, 3)
    assert [r.request_id for r in page] == ids[:3]
    assert json.loads(last_request(emulator)["body"])["limit"] == "3"
    page = client.call_records_after(page[-1].request_id, limit=3)
    assert [r.request_id for r in page] == ids[3:]
    assert client.call_records_after(ids[-1]) == []
    everything = client.call_records_after("0", 1000)
    assert [r.request_id for r in everything][-6:] == [anchor] + ids


def test_find_call_by_custom_parm(client, emulator):
    anchor = client.callback_call(SRC, DST, 600).request_id
    cp = unique()
    for _ in range(3):
        client.callback_call(SRC, DST, 600, custom_parm=unique("other"))
    call = client.callback_call(SRC, DST, 600, custom_parm=cp)
    found = client.find_call(cp, after_request_id=anchor)
    assert found is not None and found.request_id == call.request_id
    assert found.custom_parm == cp
    found = client.find_call(cp, after_request_id="0")
    assert found is not None and found.request_id == call.request_id
    # Searching from after the call itself, and a customParm never placed.
    assert client.find_call(cp, after_request_id=call.request_id) is None
    assert client.find_call(unique("never-placed"), after_request_id=anchor) is None


def test_an_outcome_unknown_is_resolved_with_find_call(client):
    anchor = client.callback_call(SRC, DST, 600).request_id
    cp = unique()
    with pytest.raises(ytx.TransportError) as info:
        client.callback_call(SRC, FAULT_DROP_CONNECTION, 600, custom_parm=cp)
    assert info.value.delivery is ytx.Delivery.UNKNOWN and not info.value.retry_safe
    # The emulator placed it (the answer was lost): found, so do not place it again.
    found = client.find_call(cp, after_request_id=anchor)
    assert found is not None and found.called == FAULT_DROP_CONNECTION


def test_the_balance_is_exact_and_goes_down_with_each_call(client, emulator):
    b = client.balance()
    assert isinstance(b, ytx.Balance)
    assert b.amount == Decimal(b.text) and b.fen == int(b.amount * 100)
    assert re.fullmatch(r"\d+\.\d\d", b.text) and str(b) == b.text
    entry = last_request(emulator)
    assert entry["path"] == f"/201612/sid/{SID}/account/getBlance.wx"
    assert json.loads(entry["body"]) == {"action": "queryBlance", "appid": APP}
    client.callback_call(SRC, DST, 600)  # 10 s: 6 fen
    after = client.balance()
    assert after.fen == b.fen - 6 and after.amount == b.amount - Decimal("0.06")


def test_a_broke_account_gets_204_and_a_zero_balance():
    emu = Emulator(emulator_path(), extra_args=["--balance-fen", "6"])
    try:
        with ytx.Client(SID, "5c7e9a1b3d5f7092e4b6c8d0f2a4c6e8", APP,
                        base_url=emu.base_url, timeout=10.0) as c:
            assert c.balance().fen == 6
            c.callback_call(SRC, DST, 600)
            b = c.balance()
            assert (b.fen, b.amount, b.text) == (0, Decimal("0.00"), "0.00")
            with pytest.raises(ytx.PlatformError) as info:
                c.callback_call(SRC, DST, 600)
            assert info.value.status_code == "-204"
            assert "balance too low" in info.value.message  # the library's explanation
    finally:
        emu.stop()


def test_queries_raise_the_same_errors_as_the_calls(make_client):
    bad = make_client(auth_token=WRONG_TOKEN)
    for query in (lambda: bad.call_record("1"), lambda: bad.call_records_after("0", 5),
                  lambda: bad.find_call("x", after_request_id="0"), bad.balance):
        with pytest.raises(ytx.PlatformError) as info:
            query()
        e = info.value
        assert e.status_code == "-203" and e.delivery is ytx.Delivery.ANSWERED
        assert not e.retry_safe

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    nowhere = make_client(base_url=f"http://127.0.0.1:{port}", timeout=5.0)
    for query in (lambda: nowhere.call_record("1"), nowhere.balance,
                  lambda: nowhere.find_call("x", after_request_id="0")):
        with pytest.raises(ytx.TransportError) as info:
            query()
        assert info.value.code is ytx.ResultCode.NOT_SENT and info.value.retry_safe


@pytest.fixture
def nothing_sent(emulator):
    before = emulator.count()
    yield
    assert emulator.count() == before, "an invalid query reached the emulator"


@pytest.mark.parametrize("call, field, exc", [
    (lambda c: c.call_record(""), "request_id", ytx.InvalidArgument),
    (lambda c: c.call_record("12 34"), "request_id", ytx.InvalidArgument),
    (lambda c: c.call_record(None), "request_id", ytx.InvalidArgumentType),
    (lambda c: c.call_record("1", fid="four"), "fid", ytx.InvalidArgument),
    (lambda c: c.call_record("1", fid=4), "fid", ytx.InvalidArgumentType),
    (lambda c: c.call_records_after("0", 0), "limit", ytx.InvalidArgument),
    (lambda c: c.call_records_after("0", 1001), "limit", ytx.InvalidArgument),
    (lambda c: c.call_records_after("0", -1), "limit", ytx.InvalidArgument),
    (lambda c: c.call_records_after("0", "5"), "limit", ytx.InvalidArgumentType),
    (lambda c: c.call_records_after("x-1", 5), "request_id", ytx.InvalidArgument),
    (lambda c: c.find_call("", after_request_id="0"), "custom_parm", ytx.InvalidArgument),
    (lambda c: c.find_call("x", after_request_id=""), "after_request_id", ytx.InvalidArgument),
    (lambda c: c.find_call(None, after_request_id="0"), "custom_parm", ytx.InvalidArgumentType),
    (lambda c: c.find_call("x", after_request_id="0", fid=""), "fid", None),
], ids=["empty-id", "spaced-id", "none-id", "bad-fid", "int-fid", "limit-0", "limit-1001",
        "limit-negative", "limit-str", "bad-after", "empty-parm", "empty-after",
        "none-parm", "empty-fid-is-default"])
def test_query_argument_errors_name_the_parameter(client, call, field, exc, request):
    if exc is None:  # not an error: "" is the default fid, like the C API's
        assert call(client) is None
        return
    request.getfixturevalue("nothing_sent")
    with pytest.raises(exc) as info:
        call(client)
    e = info.value
    assert type(e) is exc and e.field == field
    assert e.message.startswith(field), e.message
    assert e.delivery is ytx.Delivery.NOT_SENT and not e.retry_safe


@pytest.mark.parametrize("n", [104, 204])
def test_rate_limit_and_balance_codes_are_explained_by_the_library(client, n):
    for place in (lambda: client.callback_call(SRC, platform_code_dst(n), 600),
                  lambda: client.voice_code(platform_code_dst(n), DSTCLID, "1234")):
        with pytest.raises(ytx.PlatformError) as info:
            place()
        e = info.value
        assert e.status_code == f"-{n}" and e.delivery is ytx.Delivery.ANSWERED
        assert e.status_msg and e.status_msg in e.message
        explained = ytx.explain_status_code(f"-{n}")  # the library's table
        assert explained and explained in e.message, e.message


def test_queries_free_what_they_copy(client):
    """Record lists and balances are freed after the copy, on success and error."""

    anchor = client.callback_call(SRC, DST, 600).request_id
    for _ in range(20):
        client.callback_call(SRC, DST, 600, custom_parm=unique())

    def churn(n: int) -> None:
        for i in range(n):
            assert len(client.call_records_after(anchor, 20)) == 20
            client.balance()
            if i % 10 == 0:
                with pytest.raises(ytx.InvalidArgument):
                    client.call_records_after(anchor, 0)

    objects = ytx.live_objects()
    churn(300)
    assert ytx.live_objects() == objects  # every record list, balance and outcome freed
