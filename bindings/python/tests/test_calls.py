"""The two operations and their dry runs, against the emulator."""

from __future__ import annotations

import dataclasses
import json
import pickle
import re

import pytest

import ytx
from support import APP, DST, DSTCLID, SID, SRC


def last_body(emulator) -> dict:
    return json.loads(emulator.requests()[-1]["body"])


def test_callback_call_is_accepted_with_a_29_digit_request_id(client, emulator):
    before = emulator.count()
    accepted = client.callback_call(SRC, DST, 600)
    assert isinstance(accepted, ytx.Accepted)
    assert re.fullmatch(r"\d{29}", accepted.request_id), accepted
    assert accepted.status_code == "0"
    assert accepted.status_msg == "提交成功"
    assert emulator.count() == before + 1
    entry = emulator.requests()[-1]
    assert entry["request_id"] == accepted.request_id
    assert entry["path"] == f"/201512/sid/{SID}/call/DailbackCall.wx"
    assert json.loads(entry["body"]) == {
        "action": "callDailBack", "appid": APP, "src": SRC, "dst": DST, "credit": "600",
    }


def test_callback_call_sends_every_option_by_its_wire_name(client, emulator):
    accepted = client.callback_call(
        "+8613800138000", DST, 3600,
        custom_parm="order-42 订单", src_clid="02160000001", dst_clid="02160000002",
        src_timeout=30, dst_timeout=40, src_hint_file="a.wav", dst_hint_file="b.wav",
        ringback_type=ytx.RingbackType.CUSTOM, custom_hint_file="ring.wav",
        dst_fail_hint_file="fail.wav", src_threshold=50, dst_threshold=60,
        src_threshold_file="c.wav", dst_threshold_file="d.wav", call_status_check=True,
    )
    assert len(accepted.request_id) == 29
    assert last_body(emulator) == {
        "action": "callDailBack", "appid": APP,
        "src": SRC,  # +86 normalised by the library
        "dst": DST, "credit": "3600", "customParm": "order-42 订单",
        "srcclid": "02160000001", "dstclid": "02160000002",
        "srctimeout": "30", "dsttimeout": "40", "srchintfile": "a.wav",
        "dsthintfile": "b.wav", "ringbacktype": "3", "customhintfile": "ring.wav",
        "dstfailhintfile": "fail.wav", "srcthreshold": "50", "dstthreshold": "60",
        "srcthresholdfile": "c.wav", "dstthresholdfile": "d.wav",
        "iscallstatuscheck": "1",
    }


def test_call_status_check_false_is_sent_as_0(client, emulator):
    client.callback_call(SRC, DST, 61, call_status_check=False, ringback_type=2)
    body = last_body(emulator)
    assert body["iscallstatuscheck"] == "0"
    assert body["ringbacktype"] == "2"
    assert body["credit"] == "61"


def test_voice_code_is_accepted(client, emulator):
    before = emulator.count()
    accepted = client.voice_code(DST, DSTCLID, "A1b2C3", times=3)
    assert re.fullmatch(r"\d{29}", accepted.request_id)
    assert accepted.status_code == "0"
    assert emulator.count() == before + 1
    entry = emulator.requests()[-1]
    assert entry["path"] == f"/201512/sid/{SID}/call/CodeCallOut.wx"
    assert json.loads(entry["body"]) == {
        "action": "callOutCode", "appid": APP, "dst": DST,
        "dstclid": DSTCLID, "code": "A1b2C3", "time": "3",
    }


def test_voice_code_without_times_leaves_the_platform_default(client, emulator):
    client.voice_code(DST, DSTCLID, "0042")
    body = last_body(emulator)
    assert "time" not in body
    assert body["code"] == "0042"


def test_request_ids_are_unique(client):
    ids = {client.voice_code(DST, DSTCLID, "1234").request_id for _ in range(20)}
    assert len(ids) == 20


@pytest.mark.parametrize("dstclid", [None, ""], ids=["None", "empty"])
def test_voice_code_without_dstclid_leaves_it_out(client, emulator, dstclid):
    before = emulator.count()
    accepted = client.voice_code(DST, dstclid, "1234")
    assert re.fullmatch(r"\d{29}", accepted.request_id)
    assert emulator.count() == before + 1
    entry = emulator.requests()[-1]
    assert entry["path"] == f"/201512/sid/{SID}/call/CodeCallOut.wx"
    assert entry["answer_status_code"] == "0"
    assert json.loads(entry["body"]) == {
        "action": "callOutCode", "appid": APP, "dst": DST, "code": "1234",
    }
    assert "dstclid" not in json.loads(client.prepare_voice_code(DST, dstclid, "1").body)


def test_endpoint_overrides_reach_the_wire(make_client, emulator):
    # The old default (the documents' table): the template voice notice,
    # which the platform refuses without a templateId (-2). Only a caller
    # who chose it gets there.
    c = make_client(voice_code_func_url="NoticeCall.wx", voice_code_action="templateNoticeCall")
    with pytest.raises(ytx.PlatformError) as info:
        c.voice_code(DST, DSTCLID, "1234")
    assert info.value.status_code == "-2"
    entry = emulator.requests()[-1]
    assert entry["path"].endswith("/call/NoticeCall.wx")
    assert json.loads(entry["body"])["action"] == "templateNoticeCall"


def test_dry_runs_send_nothing(client, emulator):
    before = emulator.count()
    p = client.prepare_callback_call(SRC, DST, 600, custom_parm="dry")
    v = client.prepare_voice_code(DST, DSTCLID, "1234", times=1)
    for _ in range(50):
        client.prepare_callback_call(SRC, DST, 600)
    assert emulator.count() == before
    assert isinstance(p, ytx.PreparedRequest)
    assert p.method == "POST" and v.method == "POST"
    assert p.url.startswith(f"{emulator.base_url}/201512/sid/{SID}/call/DailbackCall.wx?Sign=")
    assert re.search(r"\?Sign=[0-9A-Fa-f]{32}$", p.url)
    assert json.loads(p.body)["customParm"] == "dry"
    assert v.url.startswith(f"{emulator.base_url}/201512/sid/{SID}/call/CodeCallOut.wx?Sign=")
    assert json.loads(v.body) == {
        "action": "callOutCode", "appid": APP, "dst": DST,
        "dstclid": DSTCLID, "code": "1234", "time": "1",
    }
    assert p.headers["Content-Type"] == "application/json;charset=utf-8"
    assert p.headers["Accept"] == "application/json"
    assert "Authorization" in p.headers


def test_a_prepared_request_hides_its_sign_when_printed(client):
    p = client.prepare_voice_code(DST, DSTCLID, "1234")
    sign = p.url.split("Sign=")[1]
    for text in (repr(p), str(p), f"{p}", repr([p])):
        assert sign not in text
        assert "Sign=<redacted>" in text
    # The library's one redaction, not a Python copy of it.
    assert p.redacted_url == p.url.split("?Sign=")[0] + "?Sign=<redacted>"
    assert repr(p).count(p.redacted_url) == 1


def test_a_prepared_request_can_be_sent_by_hand(client, emulator):
    import urllib.request

    p = client.prepare_callback_call(SRC, DST, 600)
    before = emulator.count()
    req = urllib.request.Request(p.url, data=p.body.encode(), method=p.method,
                                 headers=p.headers)
    with urllib.request.urlopen(req, timeout=10) as r:
        answer = json.loads(r.read())
    assert answer["statusCode"] == "0", answer
    assert emulator.count() == before + 1


def test_results_are_frozen_dataclasses(client):
    a = client.voice_code(DST, DSTCLID, "1234")
    p = client.prepare_voice_code(DST, DSTCLID, "1234")
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.request_id = "x"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.url = "x"  # type: ignore[misc]
    assert a == ytx.Accepted(a.request_id, "0", "提交成功")
    assert pickle.loads(pickle.dumps(a)) == a
    assert [f.name for f in dataclasses.fields(ytx.PreparedRequest)] == [
        "method", "url", "headers", "body", "redacted_url"]


def test_sandbox_environment_and_library_version(emulator):
    with ytx.Client(SID, "a" * 32, APP, environment="sandbox") as c:
        p = c.prepare_voice_code(DST, DSTCLID, "1")
        assert p.url.startswith("http://sandbox.ytx.net/201512/")
        assert c.base_url == "http://sandbox.ytx.net"
    with ytx.Client(SID, "a" * 32, APP) as c:
        assert c.prepare_voice_code(DST, DSTCLID, "1").url.startswith("http://api.ytx.net/")
    assert ytx.library_version() == ytx.EXPECTED_VERSION
    assert ytx.load_library().version_number == 100
