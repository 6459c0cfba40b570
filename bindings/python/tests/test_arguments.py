"""Bad arguments: each is rejected naming its field, and nothing is sent."""

from __future__ import annotations

from typing import Any, Dict, Iterator

import pytest

import ytx
from support import APP, DST, DSTCLID, SID, SRC, TOKEN


@pytest.fixture
def nothing_sent(emulator) -> Iterator[None]:
    before = emulator.count()
    yield
    assert emulator.count() == before, "a rejected call reached the platform"


def callback_kwargs(**change: Any) -> Dict[str, Any]:
    kw: Dict[str, Any] = dict(src=SRC, dst=DST, credit=600)
    kw.update(change)
    return kw


CALLBACK_CASES = [
    # (change, field, exception type)
    (dict(src=None), "src", ytx.InvalidArgumentType),
    (dict(dst=None), "dst", ytx.InvalidArgumentType),
    (dict(src=13800138000), "src", ytx.InvalidArgumentType),
    (dict(src=b"13800138000"), "src", ytx.InvalidArgumentType),
    (dict(credit=None), "credit", ytx.InvalidArgumentType),
    (dict(credit=True), "credit", ytx.InvalidArgumentType),
    (dict(credit=600.0), "credit", ytx.InvalidArgumentType),
    (dict(credit="600"), "credit", ytx.InvalidArgumentType),
    (dict(credit=60), "credit", ytx.InvalidArgument),
    (dict(credit=-1), "credit", ytx.InvalidArgument),
    (dict(credit=2**32), "credit", ytx.InvalidArgument),
    (dict(credit=2**64 + 600), "credit", ytx.InvalidArgument),  # would wrap in C
    (dict(src=""), "src", ytx.InvalidArgument),
    (dict(src="１３８００１３８０００"), "src", ytx.InvalidArgument),  # full-width digits
    (dict(dst="٠١٠٨٥٤٨٥٠٦٩"), "dst", ytx.InvalidArgument),  # Arabic-Indic digits
    (dict(src="138 0013 8000"), "src", ytx.InvalidArgument),
    (dict(dst="0108548\x005069"), "dst", ytx.InvalidArgument),
    (dict(src="138\ud800"), "src", ytx.InvalidArgument),  # lone surrogate
    (dict(custom_parm="a\x00b"), "custom_parm", ytx.InvalidArgument),
    (dict(custom_parm=""), "custom_parm", ytx.InvalidArgument),
    (dict(custom_parm=42), "custom_parm", ytx.InvalidArgumentType),
    (dict(src_clid="0216000000x"), "src_clid", ytx.InvalidArgument),
    (dict(dst_clid="12"), "dst_clid", ytx.InvalidArgument),
    (dict(ringback_type=4), "ringback_type", ytx.InvalidArgument),
    (dict(ringback_type=0), "ringback_type", ytx.InvalidArgument),
    (dict(ringback_type="1"), "ringback_type", ytx.InvalidArgumentType),
    (dict(src_timeout=0), "src_timeout", ytx.InvalidArgument),
    (dict(dst_timeout=-5), "dst_timeout", ytx.InvalidArgument),
    (dict(src_threshold=1.5), "src_threshold", ytx.InvalidArgumentType),
    (dict(dst_threshold=True), "dst_threshold", ytx.InvalidArgumentType),
    (dict(call_status_check=1), "call_status_check", ytx.InvalidArgumentType),
    (dict(dst_fail_hint_file="a\nb"), "dst_fail_hint_file", ytx.InvalidArgument),
]


@pytest.mark.parametrize("prepare", [False, True], ids=["call", "prepare"])
@pytest.mark.parametrize("change, field, exc", CALLBACK_CASES,
                         ids=[c[1] + "-" + repr(list(c[0].values())[0])[:20]
                              for c in CALLBACK_CASES])
def test_callback_argument_errors(client, nothing_sent, change, field, exc, prepare):
    fn = client.prepare_callback_call if prepare else client.callback_call
    with pytest.raises(exc) as info:
        fn(**callback_kwargs(**change))
    e = info.value
    assert type(e) is exc
    assert e.field == field
    assert e.message.startswith(field), e.message
    assert e.code in (1, 2, 3)
    # Nothing was sent, but the same arguments fail the same way again.
    assert e.delivery is ytx.Delivery.NOT_SENT and not e.retry_safe


VOICE_CASES = [
    (dict(dst=None), "dst", ytx.InvalidArgumentType),
    (dict(dstclid=1234), "dstclid", ytx.InvalidArgumentType),
    (dict(dstclid=" "), "dstclid", ytx.InvalidArgument),
    (dict(code=None), "code", ytx.InvalidArgumentType),
    (dict(code=1234), "code", ytx.InvalidArgumentType),
    (dict(code=""), "code", ytx.InvalidArgument),
    (dict(code="A" * 20), "code", ytx.InvalidArgument),
    (dict(code="12-34"), "code", ytx.InvalidArgument),
    (dict(code="１２３４"), "code", ytx.InvalidArgument),
    (dict(code="12\x0034"), "code", ytx.InvalidArgument),
    (dict(dstclid="+1 555 0100"), "dstclid", ytx.InvalidArgument),
    (dict(times=4), "times", ytx.InvalidArgument),
    (dict(times=0), "times", ytx.InvalidArgument),
    (dict(times=-1), "times", ytx.InvalidArgument),
    (dict(times=2**40), "times", ytx.InvalidArgument),
    (dict(times="2"), "times", ytx.InvalidArgumentType),
    (dict(times=2.0), "times", ytx.InvalidArgumentType),
    (dict(times=False), "times", ytx.InvalidArgumentType),
]


@pytest.mark.parametrize("prepare", [False, True], ids=["call", "prepare"])
@pytest.mark.parametrize("change, field, exc", VOICE_CASES,
                         ids=[c[1] + "-" + repr(list(c[0].values())[0])[:20]
                              for c in VOICE_CASES])
def test_voice_code_argument_errors(client, nothing_sent, change, field, exc, prepare):
    kw: Dict[str, Any] = dict(dst=DST, dstclid=DSTCLID, code="1234")
    kw.update(change)
    fn = client.prepare_voice_code if prepare else client.voice_code
    with pytest.raises(exc) as info:
        fn(**kw)
    e = info.value
    assert type(e) is exc
    assert e.field == field
    assert e.message.startswith(field), e.message
    assert not e.retry_safe and e.retry_after is None


def test_a_code_of_19_characters_is_fine(client):
    assert client.prepare_voice_code(DST, DSTCLID, "A" * 19).method == "POST"


def test_wire_names_are_kept_in_the_message(client):
    with pytest.raises(ytx.InvalidArgument) as info:
        client.callback_call(SRC, DST, 600, ringback_type=4)
    assert info.value.message.startswith("ringback_type (ringbacktype): ")
    assert "4" in info.value.message


def test_unknown_keyword_is_a_plain_type_error(client):
    with pytest.raises(TypeError):
        client.callback_call(SRC, DST, 600, customParm="x")  # type: ignore[call-arg]


CLIENT_CASES = [
    (dict(account_sid=None), "account_sid", ytx.InvalidArgumentType),
    (dict(auth_token=None), "auth_token", ytx.InvalidArgumentType),
    (dict(app_id=None), "app_id", ytx.InvalidArgumentType),
    (dict(account_sid=""), "account_sid", ytx.InvalidArgument),
    (dict(account_sid=SID + "\n"), "account_sid", ytx.InvalidArgument),
    (dict(app_id="app-id!"), "app_id", ytx.InvalidArgument),
    (dict(auth_token=TOKEN[:-1] + "中"), "auth_token", ytx.InvalidArgument),
    (dict(environment="staging"), "environment", ytx.InvalidArgument),
    (dict(environment=1), "environment", ytx.InvalidArgumentType),
    (dict(base_url="ftp://example.com"), "base_url", ytx.InvalidArgument),
    (dict(base_url="http://"), "base_url", ytx.InvalidArgument),
    (dict(timeout=0), "timeout", ytx.InvalidArgument),
    (dict(timeout=-1.0), "timeout", ytx.InvalidArgument),
    (dict(timeout=float("nan")), "timeout", ytx.InvalidArgument),
    (dict(timeout="30"), "timeout", ytx.InvalidArgumentType),
    (dict(connect_timeout=0.0), "connect_timeout", ytx.InvalidArgument),
    (dict(proxy="socks5://127.0.0.1:1080"), "proxy", ytx.InvalidArgument),
    (dict(callback_func_url="a/b"), "callback_func_url", ytx.InvalidArgument),
    (dict(voice_code_action=""), "voice_code_action", ytx.InvalidArgument),
]


@pytest.mark.parametrize("change, field, exc", CLIENT_CASES,
                         ids=[c[1] for c in CLIENT_CASES])
def test_client_argument_errors(emulator, change, field, exc):
    kw: Dict[str, Any] = dict(account_sid=SID, auth_token=TOKEN, app_id=APP,
                              base_url=emulator.base_url)
    kw.update(change)
    sid, token, app = kw.pop("account_sid"), kw.pop("auth_token"), kw.pop("app_id")
    live = ytx.live_clients()
    with pytest.raises(exc) as info:
        ytx.Client(sid, token, app, **kw)
    assert type(info.value) is exc
    assert info.value.field == field
    assert TOKEN not in str(info.value) and TOKEN not in repr(info.value)
    assert ytx.live_clients() == live


def test_a_proxy_password_is_not_repeated(emulator):
    with pytest.raises(ytx.InvalidArgument) as info:
        ytx.Client(SID, TOKEN, APP, proxy="http://user:hunter2@host")
    assert info.value.field == "proxy"
    assert "hunter2" not in str(info.value)


def test_a_short_timeout_caps_the_connect_timeout(make_client):
    # connect_timeout defaults to 5 s; with timeout=1 it is capped, not an error.
    c = make_client(timeout=1)
    assert c.voice_code(DST, DSTCLID, "1234").status_code == "0"
    c = make_client(timeout=0.0001)  # rounds up to 1 ms, still valid
    assert c.closed is False


def test_environment_and_base_url_together_is_the_librarys_error(emulator):
    # Options are order-free in the library: giving both is its error, naming both.
    live = ytx.live_clients()
    with pytest.raises(ytx.InvalidArgument) as info:
        ytx.Client(SID, TOKEN, APP, environment="sandbox", base_url=emulator.base_url)
    assert "environment" in str(info.value) and "base_url" in str(info.value)
    assert ytx.live_clients() == live


def test_defaults_are_the_librarys(emulator):
    # Nothing is passed for an option left out: the library's defaults apply.
    lib = ytx.load_library()
    with ytx.Client(SID, TOKEN, APP) as c:
        assert c.base_url == lib.ytx_production_url()
    with ytx.Client(SID, TOKEN, APP, environment="sandbox") as c:
        assert c.base_url == lib.ytx_sandbox_url()
    with ytx.Client(SID, TOKEN, APP, base_url=emulator.base_url + "/") as c:
        assert c.base_url == emulator.base_url.rstrip("/")


def test_base_url_is_parsed_once_by_the_library(emulator):
    # Issue 18: a user name or password in the base URL is refused naming
    # base_url and never echoed (before, it was accepted, not sent, and shown
    # in repr); an empty port is refused; the scheme is case-insensitive and
    # the URL normalised, as repr and base_url show it.
    host_port = emulator.base_url[len("http://"):]
    live = ytx.live_clients()
    with pytest.raises(ytx.InvalidArgument) as info:
        ytx.Client(SID, TOKEN, APP, base_url=f"http://user:s3cret@{host_port}")
    assert info.value.field == "base_url"
    assert "user name or password" in str(info.value)
    assert "s3cret" not in str(info.value) and "s3cret" not in repr(info.value)
    with pytest.raises(ytx.InvalidArgument) as info:
        ytx.Client(SID, TOKEN, APP, base_url=f"http://{host_port.split(':')[0]}:/")
    assert info.value.field == "base_url"
    assert ytx.live_clients() == live
    with ytx.Client(SID, TOKEN, APP, base_url=f"HTTP://{host_port}/") as c:
        assert c.base_url == emulator.base_url
        assert f"base_url={emulator.base_url!r}" in repr(c)
        assert c.voice_code(SRC, DSTCLID, "1").request_id
