"""ytx.parse_push: the field samples of PROTOCOL.md, leniency, garbage (issue 12).

Pure: no emulator. Expected values are written out by hand from PROTOCOL.md
(2020-04-28 14:51:37 UTC+8 is 06:51:37 UTC, Unix 1588056697), never computed
with the code under test.
"""

from __future__ import annotations

import pickle
import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

import support
import ytx
from ytx import _native, _records

HEADER = Path(__file__).resolve().parents[3] / "include" / "ytx.h"

# PROTOCOL.md, "State push", exactly.
STATE_SAMPLE = b"""{"requestid":"20200437755840048670965760400","dsc":"18610559223",
 "state":"answer","stateDesc":"...","timestamp":"2020-04-28 14:51:37"}"""

# PROTOCOL.md, "Call record query", the record of a two-way callback call, exactly.
RECORD_SAMPLE = """{"requestid":"20200437755811196850667520400","appid":"ff1f324a0604417c9c7f5f1186225fda",
 "fid":4,"caller":"18610559223","called":"01053189990",
 "callerstime":"2020-04-28 14:51:37","calleretime":"2020-04-28 14:51:47",
 "calledstime":"2020-04-28 14:51:43","calledetime":"2020-04-28 14:51:47",
 "tapesurl":"http://101.200.159.167:16214/.../20200428145126_xxx.mp3",
 "duration":10,"oriamount":0.31,"customParm":"order-id-123456","stateDesc":"应答|正常"}"""


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def one_record(record_json: str) -> ytx.CallRecord:
    push = ytx.parse_push(('{"cdr":[' + record_json + "]}").encode("utf-8"))
    assert isinstance(push, ytx.RecordPush) and push.kind == "records"
    assert len(push.records) == 1
    return push.records[0]


def test_the_state_push_sample():
    p = ytx.parse_push(STATE_SAMPLE)
    assert isinstance(p, ytx.StatePush) and p.kind == "state"
    assert p.request_id == "20200437755840048670965760400"
    assert p.number == "18610559223"
    assert p.state is ytx.CallState.ANSWER and p.state.value == "answer"
    assert p.state_desc == "..."
    assert p.timestamp_text == "2020-04-28 14:51:37"
    assert p.timestamp == utc(2020, 4, 28, 6, 51, 37)
    assert p.timestamp.utcoffset() == timedelta(hours=8)  # shown in the platform's zone
    assert (p.timestamp.hour, p.timestamp.minute) == (14, 51)
    assert p.timestamp.timestamp() == 1588056697
    assert p.fields == {
        "requestid": "20200437755840048670965760400", "dsc": "18610559223",
        "state": "answer", "stateDesc": "...", "timestamp": "2020-04-28 14:51:37",
    }
    assert list(p.fields) == ["requestid", "dsc", "state", "stateDesc", "timestamp"]
    assert p["dsc"] == "18610559223" and p.get("nope") is None and "state" in p


def test_the_record_sample():
    r = one_record(RECORD_SAMPLE)
    assert r.request_id == "20200437755811196850667520400"  # 29 digits, intact
    assert r.app_id == "ff1f324a0604417c9c7f5f1186225fda"
    assert r.fid == "4"
    assert (r.caller, r.called, r.tel) == ("18610559223", "01053189990", None)
    assert r.duration == 10
    assert r.amount == Decimal("0.31") and r.amount_text == "0.31"
    assert r.amount_fen == 31
    assert r.custom_parm == "order-id-123456"
    assert r.state_desc == "应答|正常"
    assert r.recording_url == "http://101.200.159.167:16214/.../20200428145126_xxx.mp3"
    assert r.caller_answered == utc(2020, 4, 28, 6, 51, 37)
    assert r.caller_ended == utc(2020, 4, 28, 6, 51, 47)
    assert r.called_answered == utc(2020, 4, 28, 6, 51, 43)
    assert r.called_ended == utc(2020, 4, 28, 6, 51, 47)
    assert r.caller_answered.utcoffset() == timedelta(hours=8)
    assert (r.stime, r.etime) == (None, None)
    assert len(r.fields) == 14
    assert r["fid"] == "4" and r["oriamount"] == "0.31" and r["duration"] == "10"
    with pytest.raises(KeyError):
        r["tel"]


def test_a_one_leg_record_and_leniency():
    r = one_record(
        '{"requestid":20200437755811196850667520401,"tel":"13800138000",'
        '"stime":"","etime":"20200428145147","duration":"0","oriamount":"0",'
        '"tapesurl":"NoTapes","stateDesc":"关机","newField":{"a":[1]},"flag":true,"nothing":null}'
    )
    assert r.request_id == "20200437755811196850667520401"  # a JSON number, never a float
    assert r.tel == "13800138000" and r.caller is None and r.called is None
    assert r.stime is None                       # empty: it never happened
    assert r.etime == utc(2020, 4, 28, 6, 51, 47)  # the compact format
    assert r.duration == 0
    assert (r.amount, r.amount_fen, r.amount_text) == (Decimal("0"), 0, "0")
    assert r.recording_url is None and r["tapesurl"] == "NoTapes"
    assert r.state_desc == "关机"
    assert r.custom_parm is None
    # Fields this library does not know survive, as text.
    assert r["newField"] == '{"a":[1]}'
    assert r["flag"] == "true"
    assert r["nothing"] == ""


def test_missing_optional_fields_are_none_not_errors():
    r = one_record("{}")
    assert r.request_id == ""
    assert (r.duration, r.amount, r.amount_fen, r.recording_url, r.custom_parm) == (
        None, None, None, None, None)
    assert r.fields == {}


def test_an_amount_that_is_not_whole_fen_is_kept_as_text_only():
    r = one_record('{"requestid":"1","oriamount":0.315,"duration":"ten"}')
    assert (r.amount, r.amount_text, r.amount_fen) == (None, None, None)
    assert r["oriamount"] == "0.315"
    assert r.duration is None and r["duration"] == "ten"


def test_a_record_push_with_several_records():
    body = ('{"cdr":[' + RECORD_SAMPLE + "," + RECORD_SAMPLE.replace("0400", "0401") + "]}")
    push = ytx.parse_push(body.encode())
    assert [r.request_id for r in push.records] == [
        "20200437755811196850667520400", "20200437755811196850667520401"]
    assert ytx.parse_push(b'{"cdr":[]}').records == []


@pytest.mark.parametrize("wire, state", [
    ("callout", ytx.CallState.CALLOUT), ("alerting", ytx.CallState.ALERTING),
    ("answer", ytx.CallState.ANSWER), ("disconnect", ytx.CallState.DISCONNECT),
])
def test_every_known_state(wire, state):
    p = ytx.parse_push(b'{"requestid":"1","state":"%s"}' % wire.encode())
    assert p.state is state and state.value == wire
    assert ytx.CallState(wire) is state


def test_an_unknown_state_and_unknown_fields_survive():
    p = ytx.parse_push(
        '\ufeff{"requestid":"1","state":"hold","timestamp":"soon","x":2,"新":"值"}'.encode())
    assert isinstance(p.state, ytx.UnknownState)
    assert p.state == ytx.UnknownState("hold")
    assert (p.state.value, p.state.name, str(p.state)) == ("hold", "UNKNOWN", "hold")
    assert p.state is not ytx.CallState.ANSWER
    assert p.timestamp is None and p.timestamp_text == "soon"
    assert p["x"] == "2" and p["新"] == "值"
    assert p.number == "" and p.state_desc == ""


def test_the_compact_timestamp_format():
    p = ytx.parse_push(b'{"requestid":"1","state":"answer","timestamp":"20200428145137"}')
    assert p.timestamp == utc(2020, 4, 28, 6, 51, 37)


def test_a_repeated_key_keeps_the_last():
    p = ytx.parse_push(b'{"requestid":"1","state":"answer","state":"disconnect"}')
    assert p.state is ytx.CallState.DISCONNECT and p.fields == {
        "requestid": "1", "state": "disconnect"}


@pytest.mark.parametrize("body, reason", [
    (b"", "truncated"),
    (b"hello", "not JSON"),
    (b"[1,2]", "not a JSON object"),
    (b'"x"', "not a JSON object"),
    (b'{"cdr":1', "truncated"),
    (b'{"cdr":{"a":1}}', "cdr is not an array"),
    (b'{"cdr":[1]}', "cdr[0] is not a JSON object"),
    (b'{"cdr":[{}, []]}', "cdr[1]"),
    (b'{"state":"answer"}', "requestid"),
    (b'{"state":"answer","requestid":""}', "requestid"),
    (b'{"a":1}', "neither"),
    (b"\xff\xfe", "UTF-8"),
    (b" " * (4 * 1024 * 1024 + 1), "larger"),
], ids=["empty", "not-json", "array", "string", "truncated", "cdr-object", "cdr-item",
        "cdr-second-item", "no-requestid", "empty-requestid", "neither", "not-utf8", "too-big"])
def test_garbage_is_a_protocol_error_with_the_librarys_reason(body, reason):
    with pytest.raises(ytx.ProtocolError) as info:
        ytx.parse_push(body)
    e = info.value
    assert e.code is ytx.ResultCode.PROTOCOL
    assert reason in e.message, e.message
    assert e.http_status is None


def test_the_body_must_be_bytes():
    with pytest.raises(ytx.InvalidArgumentType) as info:
        ytx.parse_push(STATE_SAMPLE.decode())  # type: ignore[arg-type]
    assert info.value.field == "body"
    with pytest.raises(ytx.InvalidArgumentType):
        ytx.parse_push(None)  # type: ignore[arg-type]
    assert ytx.parse_push(bytearray(STATE_SAMPLE)).state is ytx.CallState.ANSWER
    assert ytx.parse_push(memoryview(STATE_SAMPLE)).state is ytx.CallState.ANSWER
    # The length is passed: a NUL inside the body is the library's to judge.
    with pytest.raises(ytx.ProtocolError):
        ytx.parse_push(b'{"requestid":"1",\x00"state":"answer"}')


def test_parsed_values_hold_no_native_memory():
    push = ytx.parse_push(('{"cdr":[' + RECORD_SAMPLE + "]}").encode())
    state = ytx.parse_push(STATE_SAMPLE)
    for value in (push, state):
        copy = pickle.loads(pickle.dumps(value))
        assert copy == value
    assert repr(push.records[0]).startswith("CallRecord(request_id='20200437755811196850667520400'")


def test_many_parses_free_every_push_exactly():
    body = ('{"cdr":[' + ",".join([RECORD_SAMPLE] * 10) + "]}").encode()
    objects = ytx.live_objects()
    for _ in range(300):
        assert len(ytx.parse_push(body).records) == 10
        with pytest.raises(ytx.ProtocolError):
            ytx.parse_push(b'{"cdr":{}}')
        assert ytx.live_objects() == objects  # the push and the outcomes freed


def test_the_push_constants_are_the_headers():
    """The binding's copies of YTX_PUSH_* / YTX_CALL_STATE_* match ytx.h."""
    # The members of the header's enum ytx_push_kind and enum ytx_call_state.
    bodies = re.findall(r"^enum ytx_(?:push_kind|call_state)\b.*?\{(.*?)^\};", HEADER.read_text(), re.M | re.S)
    assert len(bodies) == 2, "enum ytx_push_kind and enum ytx_call_state in ytx.h"
    defines = dict(
        (m.group(1), int(m.group(2)))
        for body in bodies
        for m in re.finditer(r"\b(YTX_(?:PUSH|CALL_STATE)_[A-Z]+) = (\d+)",
                             re.sub(r"/\*.*?\*/", "", body, flags=re.S))
    )
    mine = {k: getattr(_native, k) for k in dir(_native)
            if re.fullmatch(r"YTX_(?:PUSH|CALL_STATE)_[A-Z]+", k)}
    assert defines and mine == defines
    # Each numbered state is the enum member of the same name.
    for name, member in ytx.CallState.__members__.items():
        assert _records._STATES[defines[f"YTX_CALL_STATE_{name}"]] is member
    assert len(_records._STATES) == len(ytx.CallState) == len(defines) - 4  # minus UNKNOWN, 3 kinds


# --- issue 18, part 4: a push cannot stall or break its receiver -------------------


def test_a_time_python_cannot_hold_keeps_its_text_and_no_value():
    # .NET's unset date: 0001-01-01 00:00:00 UTC+8 is in year 0 in UTC.
    p = ytx.parse_push(b'{"requestid":"1","state":"answer","timestamp":"0001-01-01 00:00:00"}')
    assert p.timestamp is None
    assert p.timestamp_text == "0001-01-01 00:00:00"
    # The same code path copies the records of call_record and find_call.
    r = one_record('{"requestid":"2","callerstime":"0001-01-01 00:00:00",'
                   '"calleretime":"9999-12-31 23:59:59","stime":"0001-01-01 08:00:00"}')
    assert r.caller_answered is None
    assert r["callerstime"] == "0001-01-01 00:00:00"
    assert r.caller_ended == datetime(9999, 12, 31, 23, 59, 59, tzinfo=_records.CST)
    assert r.stime == datetime(1, 1, 1, 8, 0, 0, tzinfo=_records.CST)


def test_an_oddity_in_a_field_not_read_never_rejects_the_push():
    p = ytx.parse_push(b'{"requestid":"1","state":"answer","x":"a\\ud800b",'
                       b'"\\udc00":"k","z":"n\\u0000l","deep":' + b"[" * 5000 + b"]" * 5000 + b"}")
    assert p.request_id == "1" and p.state is ytx.CallState.ANSWER
    assert p["x"] == "a\ufffdb"
    assert p["\ufffd"] == "k"
    assert p["z"] == "n\ufffdl"
    assert len(p["deep"]) == 10000


def test_routing_by_the_query_key():
    state = b'{"requestid":"1","state":"answer"}'
    record = b'{"cdr":[{"requestid":"1"}]}'
    assert isinstance(ytx.parse_push(state, "/ytx/push?CallState"), ytx.StatePush)
    assert isinstance(ytx.parse_push(record, "/ytx/push?Call"), ytx.RecordPush)
    assert isinstance(ytx.parse_push(record, "/ytx/push"), ytx.RecordPush)  # by shape
    assert isinstance(ytx.parse_push(state, "CallState&x=1"),
                      ytx.StatePush)
    with pytest.raises(ytx.ProtocolError, match=r"\?Call\b"):
        ytx.parse_push(state, "/ytx/push?Call")
    with pytest.raises(ytx.ProtocolError, match=r"\?CallState"):
        ytx.parse_push(record, "/ytx/push?CallState")
    with pytest.raises(ytx.ProtocolError, match="SMS"):
        ytx.parse_push(state, "/ytx/push?SMS")
    with pytest.raises(TypeError):
        ytx.parse_push(state, b"/ytx/push?Call")  # type: ignore[arg-type]


def _in_time(fn, seconds=300.0):
    """fn() in a thread; a wide deadline that only catches a hang."""
    import threading

    out = {}

    def run():
        try:
            out["value"] = fn()
        except Exception as e:  # noqa: BLE001 - handed to the test
            out["error"] = e

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), f"did not finish in {seconds} s (a hang)"
    if "error" in out:
        raise out["error"]
    return out["value"]


def test_hostile_4_mib_pushes_parse_or_are_refused():
    size = 4 * 1024 * 1024 - 64
    head = b'{"requestid":"1","state":"answer"'
    parts = [head]
    n, i = len(head), 0
    while n < size - 20:
        part = b',"k%d":%d' % (i, i)
        parts.append(part)
        n += len(part)
        i += 1
    many = b"".join(parts) + b"}"
    p = _in_time(lambda: ytx.parse_push(many))
    assert len(p.fields) == i + 2 and p["k7"] == "7"
    dups = head + b',"state":"alerting"' * ((size - 40) // 19) + b"}"
    p = _in_time(lambda: ytx.parse_push(dups))
    assert p.state is ytx.CallState.ALERTING and len(p.fields) == 2
    empties = b'{"cdr":[' + b"{}," * ((size - 20) // 3) + b"{}]}"
    with pytest.raises(ytx.ProtocolError, match="more than 10000 records"):
        _in_time(lambda: ytx.parse_push(empties))


def test_a_state_push_crosses_into_the_library_five_times(monkeypatch):
    """parse, the outcome's view, its free, the push's view (its fields
    included), the push's free: not one crossing per field."""
    lib = ytx.load_library()
    crossings = support.count_crossings(lib, monkeypatch)
    push = ytx.parse_push(STATE_SAMPLE)
    assert crossings == ["ytx_push_parse", "ytx_outcome_view_of", "ytx_outcome_free",
                         "ytx_push_view_of", "ytx_push_free"]
    assert push.fields["dsc"] == "18610559223" and len(push.fields) == 5


def test_the_push_view_is_the_headers_struct():
    """``ytx_push_view``'s fields, in order and width, are ytx.h's."""
    import ctypes

    text = HEADER.read_text("utf-8")
    m = re.search(r"^typedef struct ytx_push_view \{(.*?)^\} ytx_push_view;", text, re.M | re.S)
    assert m, "struct ytx_push_view in ytx.h"
    body = re.sub(r"/\*.*?\*/", "", m.group(1), flags=re.S)
    widths = {"ytx_push_kind": ctypes.c_uint32, "ytx_call_state": ctypes.c_uint32,
              "int32_t": ctypes.c_int32, "int64_t": ctypes.c_int64, "size_t": ctypes.c_size_t,
              "const char *": ctypes.c_char_p,
              "const char *const *": ctypes.POINTER(ctypes.c_char_p)}
    header = [(widths[" ".join(t.split())], f)
              for t, f in re.findall(r"([A-Za-z_][\w *]*?\s*\**)\s*(\w+);", body)]
    assert len(header) == 12
    assert [(t, f) for f, t in _native.ytx_push_view._fields_] == header


def test_the_push_view_is_what_each_accessor_says():
    """One ``ytx_push_view_of`` gives what the accessors give; NULLs are
    YTX_ERR_NULL_ARGUMENT and write nothing."""
    import ctypes

    lib = ytx.load_library()
    body = b'{"requestid":"9","dsc":"138","state":"hold","stateDesc":"x","timestamp":"bad","z":"\\u00e9"}'
    push = _native.ytx_push_p()
    assert lib.ytx_push_parse(body, len(body), ctypes.byref(push), None) == 0
    try:
        view = _native.ytx_push_view()
        assert lib.ytx_push_view_of(push, ctypes.byref(view)) == 0
        assert view.kind == lib.ytx_push_kind_of(push) == _native.YTX_PUSH_STATE
        assert view.state == lib.ytx_push_state(push) == _native.YTX_CALL_STATE_UNKNOWN
        out = ctypes.c_int64(7)
        assert view.has_timestamp_unix == lib.ytx_push_timestamp_unix(push, ctypes.byref(out)) == 0
        for name in ("request_id", "number", "state_text", "state_desc", "timestamp"):
            assert getattr(view, name).decode() == getattr(lib, "ytx_push_" + name)(push), name
        assert view.field_count == lib.ytx_push_field_count(push) == 6
        for i in range(view.field_count):
            assert view.field_names[i].decode() == lib.ytx_push_field_name(push, i)
            assert view.field_values[i].decode() == lib.ytx_push_field_value(push, i)
        assert view.field_values[5].decode() == "é"
        assert lib.ytx_push_view_of(push, None) == ytx.ResultCode.NULL_ARGUMENT
    finally:
        lib.ytx_push_free(push)
    view = _native.ytx_push_view()
    assert lib.ytx_push_view_of(None, ctypes.byref(view)) == ytx.ResultCode.NULL_ARGUMENT
    assert view.request_id is None, "nothing written"
