"""Issue 18, parts 3, 5 and 9 through the binding: retry advice read from
the library (no copy of the rule here), the opt-in automatic retry, the size
limits of free-text fields, and secrets kept out of errors and log records.

The library's logger is process-wide: the test that enables it turns it
off again (``ytx.disable_logging``) when it ends.
"""

from __future__ import annotations

import logging
import re
import socket
import threading
from pathlib import Path
from typing import Iterator, List

import pytest

import ytx
from support import (
    DST,
    FAULT_DROP_CONNECTION,
    FAULT_HTTP_502,
    SRC,
    platform_code_dst,
)

HEADER = Path(__file__).resolve().parents[3] / "include" / "ytx.h"


def header_define(name: str) -> int:
    m = re.search(rf"^#define {name} (\d+)$", HEADER.read_text("utf-8"), re.M)
    assert m, f"no {name} in {HEADER}"
    return int(m.group(1))


MAX_TEXT = header_define("YTX_MAX_TEXT_FIELD_BYTES")


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# --- part 3: retry advice, from the library ----------------------------------


def test_minus_104_is_retry_safe_after_the_documented_pause(client, emulator):
    before = emulator.count()
    with pytest.raises(ytx.PlatformError) as info:
        client.callback_call(SRC, platform_code_dst(104), 600)
    e = info.value
    assert e.status_code == "-104" and e.delivery is ytx.Delivery.ANSWERED
    assert e.retry_safe and e.retry_after == 1.0
    assert emulator.count() == before + 1  # off by default: sent once


@pytest.mark.parametrize("dst", [platform_code_dst(204), platform_code_dst(100),
                                 FAULT_DROP_CONNECTION, FAULT_HTTP_502])
def test_refusals_and_unknown_outcomes_are_not_retry_safe(client, dst):
    with pytest.raises(ytx.YtxError) as info:
        client.callback_call(SRC, dst, 600)
    assert not info.value.retry_safe and info.value.retry_after is None


def test_not_written_is_retry_safe_at_once(make_client):
    c = make_client(base_url=f"http://127.0.0.1:{closed_port()}", timeout=5.0)
    with pytest.raises(ytx.TransportError) as info:
        c.callback_call(SRC, DST, 600)
    assert info.value.retry_safe and info.value.retry_after == 0.0


def test_argument_and_push_errors_are_not_retry_safe(client):
    with pytest.raises(ytx.InvalidArgument) as info:
        client.callback_call(SRC, "1", 600)
    assert info.value.delivery is ytx.Delivery.NOT_SENT and not info.value.retry_safe
    with pytest.raises(ytx.YtxError) as info:
        ytx.parse_push(b"not json")
    assert not info.value.retry_safe


def test_the_binding_holds_no_copy_of_the_rule():
    # The property reads what the library said, whatever the delivery.
    e = ytx.TransportError("x", code=ytx.ResultCode.NOT_SENT, delivery=ytx.Delivery.NOT_SENT)
    assert not e.retry_safe  # made by hand: no advice from the library
    e.retry_after = 0.0
    assert e.retry_safe


def test_max_retries_resends_minus_104_and_never_an_unknown_outcome(make_client, emulator):
    c = make_client(max_retries=1, retry_backoff=0.001)
    before = emulator.count()
    with pytest.raises(ytx.PlatformError):
        c.callback_call(SRC, platform_code_dst(104), 600)
    assert emulator.count() == before + 2
    before = emulator.count()
    with pytest.raises(ytx.TransportError) as info:
        c.callback_call(SRC, FAULT_DROP_CONNECTION, 600)
    assert info.value.delivery is ytx.Delivery.UNKNOWN
    assert emulator.count() == before + 1


@pytest.mark.parametrize("kwargs, field", [
    (dict(max_retries=11), "max_retries"),
    (dict(max_retries=-1), "max_retries"),
    (dict(retry_budget=301.0), "retry_budget"),
    (dict(retry_backoff=20.0), "retry_backoff"),
])
def test_retry_options_are_checked_by_the_library(make_client, kwargs, field):
    with pytest.raises(ytx.InvalidArgument) as info:
        make_client(**kwargs)
    assert info.value.field == field


def test_max_retries_takes_an_int(make_client):
    with pytest.raises(ytx.InvalidArgumentType) as info:
        make_client(max_retries="3")
    assert info.value.field == "max_retries"


# --- part 5: limits -----------------------------------------------------------


def test_a_huge_custom_parm_is_refused_before_sending(client, emulator):
    before = emulator.count()
    with pytest.raises(ytx.InvalidArgument) as info:
        client.callback_call(SRC, DST, 600, custom_parm="x" * (1 << 20))
    assert info.value.field == "custom_parm"
    assert str(MAX_TEXT) in info.value.message
    for kw in ("src_hint_file", "dst_fail_hint_file", "dst_threshold_file"):
        with pytest.raises(ytx.InvalidArgument) as info:
            client.callback_call(SRC, DST, 600, **{kw: "f" * (MAX_TEXT + 1)})
        assert info.value.field == kw
    assert emulator.count() == before
    # At the limit (bytes of UTF-8: 订 is three), it is sent.
    client.callback_call(SRC, DST, 600, custom_parm="订" * (MAX_TEXT // 3))
    assert emulator.count() == before + 1


# --- part 9: secrets ----------------------------------------------------------


class _EchoServer:
    """Answers each request 400 with a page echoing its request line."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.url = "http://127.0.0.1:%d" % self.sock.getsockname()[1]
        self.signs: List[str] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        conn, _ = self.sock.accept()
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(4096)
            head, _, body = data.partition(b"\r\n\r\n")
            length = int(re.search(rb"(?i)content-length:\s*(\d+)", head).group(1))
            while len(body) < length:
                body += conn.recv(4096)
            line = head.split(b"\r\n")[0].decode()
            self.signs.append(line.split("Sign=")[1].split()[0])
            page = f"<html><p>Bad request: {line}</p></html>".encode()
            conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\n"
                         b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(page) + page)


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level(logging.DEBUG, logger="ytx")
    try:
        yield caplog
    finally:
        ytx.disable_logging()


def test_a_page_echoing_the_request_line_leaks_no_sign(make_client, logs):
    ytx.enable_logging(logging.DEBUG)
    server = _EchoServer()
    c = make_client(base_url=server.url, timeout=10.0)
    with pytest.raises(ytx.ProtocolError) as info:
        c.voice_code(SRC, "", "1234")
    server.thread.join(10)
    sign = server.signs[0].lower()
    assert len(sign) == 32
    e = info.value
    assert e.http_status == 400 and "sign=<redacted>" in e.message.lower()
    texts = [str(e), repr(e)] + [r.getMessage() for r in logs.records if r.name == "ytx"]
    assert any(r.levelno == logging.ERROR for r in logs.records if r.name == "ytx")
    for t in texts:
        assert sign not in t.lower(), t


def test_the_recording_url_is_not_in_a_records_repr(client):
    accepted = client.callback_call(SRC, DST, 600, custom_parm="rec-repr")
    rec = client.call_record(accepted.request_id)
    assert rec is not None and rec.recording_url
    assert rec.recording_url not in repr(rec)
