"""Every error class, from real failures the emulator produces on purpose."""

from __future__ import annotations

import pickle
import socket
import time

import pytest

import support
import ytx
from support import (
    CALLBACK_ONLY_APP,
    DST,
    DSTCLID,
    FAULT_DROP_CONNECTION,
    FAULT_HTTP_500,
    FAULT_HTTP_502,
    FAULT_HUGE_BODY,
    FAULT_NO_STATUS_CODE,
    FAULT_NOT_JSON,
    FAULT_NOT_UTF8,
    FAULT_NUMERIC_STATUS_CODE,
    FAULT_RESET_MID_BODY,
    FAULT_SLOW_ANSWER,
    FAULT_TRUNCATED_JSON,
    SRC,
    TOKEN,
    WRONG_TOKEN,
    platform_code_dst,
)


def no_secrets(e: BaseException) -> None:
    for text in (str(e), repr(e), str(e.args)):
        assert TOKEN not in text
        assert WRONG_TOKEN not in text


def test_hierarchy():
    assert issubclass(ytx.InvalidArgument, ytx.YtxError)
    assert issubclass(ytx.InvalidArgument, ValueError)
    assert issubclass(ytx.InvalidArgumentType, ytx.InvalidArgument)
    assert issubclass(ytx.InvalidArgumentType, TypeError)
    assert issubclass(ytx.ClientClosed, ytx.InvalidHandle)
    assert issubclass(ytx.Timeout, ytx.TransportError)
    # The standard hierarchy too: except TimeoutError / ConnectionError work.
    assert issubclass(ytx.Timeout, TimeoutError)
    assert issubclass(ytx.TransportError, ConnectionError)
    assert issubclass(ytx.Timeout, ConnectionError)
    e = ytx.Timeout("a timeout", code=ytx.ResultCode.TIMEOUT, delivery=ytx.Delivery.UNKNOWN)
    assert str(e) == "a timeout" and e.args == ("a timeout",)
    assert e.errno is None and e.strerror is None  # an OSError, not a fake errno
    back = pickle.loads(pickle.dumps(e))
    assert type(back) is ytx.Timeout and back.delivery == ytx.Delivery.UNKNOWN
    assert str(back) == "a timeout"
    for cls in (ytx.InvalidHandle, ytx.TransportError, ytx.ProtocolError,
                ytx.PlatformError, ytx.InternalError):
        assert issubclass(cls, ytx.YtxError)
    assert issubclass(ytx.LibraryNotFound, ImportError)
    assert [d.value for d in ytx.Delivery] == [0, 1, 2]
    assert ytx.TransportError.__module__ == "ytx"  # tracebacks say ytx.TransportError


def test_wrong_token_is_platform_error_203(make_client, emulator):
    c = make_client(auth_token=WRONG_TOKEN)
    before = emulator.count()
    with pytest.raises(ytx.PlatformError) as info:
        c.callback_call(SRC, DST, 600)
    e = info.value
    assert e.code == ytx.ResultCode.PLATFORM == 20
    assert e.status_code == "-203"
    assert e.status_msg  # the platform's own (Chinese) message
    assert e.status_msg in e.message and "-203" in e.message
    assert "auth token" in e.message  # the library's English hint
    assert e.delivery is ytx.Delivery.ANSWERED
    assert e.retry_safe is False
    assert emulator.count() == before + 1
    no_secrets(e)
    assert WRONG_TOKEN not in repr(c) and WRONG_TOKEN not in str(c)


def test_voice_code_on_a_callback_only_app_is_205(make_client):
    c = make_client(app_id=CALLBACK_ONLY_APP)
    c.callback_call(SRC, DST, 600)  # the app has the callback feature
    with pytest.raises(ytx.PlatformError) as info:
        c.voice_code(DST, DSTCLID, "1234")
    assert info.value.status_code == "-205"
    assert info.value.status_msg == "应用验证失败"
    assert info.value.request_id == ""


@pytest.mark.parametrize("n, msg", [
    (1, "号码无效"), (2, "缺少必要参数"), (100, "平台内部错误"), (102, "号码格式非法"),
    (201, "账户已停用"), (202, "Authorization或时间戳无效或已过期"), (204, "余额不足"),
    (999, "未知错误"),
])
def test_platform_codes_from_magic_numbers(client, emulator, n, msg):
    before = emulator.count()
    with pytest.raises(ytx.PlatformError) as info:
        client.callback_call(SRC, platform_code_dst(n), 600)
    e = info.value
    assert (e.status_code, e.status_msg) == (f"-{n}", msg)
    assert msg in str(e)
    assert e.delivery is ytx.Delivery.ANSWERED and not e.retry_safe
    assert emulator.count() == before + 1
    with pytest.raises(ytx.PlatformError) as info:
        client.voice_code(platform_code_dst(n), DSTCLID, "1234")
    assert info.value.status_code == f"-{n}"


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_connection_refused_is_not_sent_and_retry_safe(make_client):
    c = make_client(base_url=f"http://127.0.0.1:{closed_port()}", timeout=5)
    with pytest.raises(ytx.TransportError) as info:
        c.callback_call(SRC, DST, 600)
    e = info.value
    assert type(e) is ytx.TransportError
    assert e.code == ytx.ResultCode.NOT_SENT == 10
    assert e.delivery is ytx.Delivery.NOT_SENT
    assert e.retry_safe is True
    assert "safe to retry" in e.message
    no_secrets(e)


def test_dropped_connection_is_outcome_unknown(client, emulator):
    before = emulator.count()
    with pytest.raises(ytx.TransportError) as info:
        client.callback_call(SRC, FAULT_DROP_CONNECTION, 600)
    e = info.value
    assert e.code == ytx.ResultCode.OUTCOME_UNKNOWN == 11
    assert e.delivery is ytx.Delivery.UNKNOWN and e.retry_safe is False
    assert emulator.count() == before + 1  # sent once, never re-sent


def test_slow_answer_is_timeout_with_unknown_outcome(make_client, emulator):
    with support.Gate(emulator.base_url) as gate:  # the slow answer held: the timeout comes first
        c = make_client(base_url=gate.base_url, timeout=1)
        before = emulator.count()
        t0 = time.monotonic()
        with pytest.raises(ytx.Timeout) as info:
            c.voice_code(FAULT_SLOW_ANSWER, DSTCLID, "1234")
        elapsed = time.monotonic() - t0
    # Not before the 1 s timeout; the upper bound is a deadline with a wide
    # margin (a hung call), not a speed test.
    assert 0.8 < elapsed < 30, elapsed
    e = info.value
    assert isinstance(e, ytx.TransportError)
    assert e.code == ytx.ResultCode.TIMEOUT == 12
    assert e.delivery is ytx.Delivery.UNKNOWN and not e.retry_safe
    assert emulator.wait_count(before + 1) == before + 1


@pytest.mark.parametrize("dst, code, http_status", [
    (FAULT_HTTP_500, 13, 500),
    (FAULT_HTTP_502, 13, 502),
    (FAULT_NOT_JSON, 14, None),
    (FAULT_TRUNCATED_JSON, 14, None),
    (FAULT_NO_STATUS_CODE, 14, None),
    (FAULT_NUMERIC_STATUS_CODE, 14, None),
    (FAULT_HUGE_BODY, 14, None),
    (FAULT_NOT_UTF8, 14, None),
])
def test_bad_answers_are_protocol_errors(client, emulator, dst, code, http_status):
    before = emulator.count()
    with pytest.raises(ytx.ProtocolError) as info:
        client.callback_call(SRC, dst, 600)
    e = info.value
    assert e.code == code
    assert e.http_status == http_status
    if http_status:
        assert str(http_status) in e.message
    assert e.delivery is ytx.Delivery.UNKNOWN and not e.retry_safe
    assert emulator.count() == before + 1


def test_reset_mid_body_is_outcome_unknown(client, emulator):
    before = emulator.count()
    with pytest.raises(ytx.TransportError) as info:
        client.voice_code(FAULT_RESET_MID_BODY, DSTCLID, "1234")
    assert info.value.code == ytx.ResultCode.OUTCOME_UNKNOWN
    assert emulator.count() == before + 1


def test_the_client_keeps_working_after_faults(client):
    for dst in (FAULT_DROP_CONNECTION, FAULT_HTTP_500, FAULT_NOT_JSON):
        with pytest.raises(ytx.YtxError):
            client.callback_call(SRC, dst, 600)
        assert client.callback_call(SRC, DST, 600).status_code == "0"


def test_errors_pickle_with_their_attributes(make_client):
    c = make_client(auth_token=WRONG_TOKEN)
    with pytest.raises(ytx.PlatformError) as info:
        c.callback_call(SRC, DST, 600)
    with pytest.raises(ytx.InvalidArgument) as bad:
        c.callback_call(SRC, DST, 60)
    for e in (info.value, bad.value):
        back = pickle.loads(pickle.dumps(e))
        assert type(back) is type(e)
        assert back.__dict__ == e.__dict__
        assert str(back) == str(e) and repr(back) == repr(e)


def test_no_error_shows_the_token(make_client):
    with pytest.raises(ytx.InvalidArgument) as info:
        make_client(auth_token=TOKEN + " ")  # a stray space pasted from the console
    assert info.value.field == "auth_token"
    no_secrets(info.value)
    with pytest.raises(ytx.InvalidArgument) as info:
        make_client(auth_token=TOKEN + "\x00")
    assert info.value.field == "auth_token"
    no_secrets(info.value)
    with pytest.raises(ytx.InvalidArgument) as info:
        make_client(auth_token="é" + TOKEN)
    no_secrets(info.value)
    c = make_client()
    assert TOKEN not in repr(c) and TOKEN not in str(c)
    assert TOKEN not in repr(vars(c))
    for call in (lambda: c.callback_call(SRC, FAULT_HTTP_500, 600),
                 lambda: c.callback_call(SRC, platform_code_dst(203), 600),
                 lambda: c.callback_call(SRC, DST, 1)):
        with pytest.raises(ytx.YtxError) as info:
            call()
        no_secrets(info.value)
