"""The logging bridge: library events -> the ``ytx`` logging.Logger (issue 8).

The library's logger is process-wide, so every test here turns logging off
again when it ends (the ``logs`` fixture), and the tests about the state of
a fresh process run in a fresh interpreter.
"""

from __future__ import annotations

import logging
import re
import textwrap
import threading
from typing import Iterator, List

import pytest

import ytx
from support import (
    DST,
    DSTCLID,
    FAULT_HTTP_500,
    SRC,
    TOKEN,
    WRONG_TOKEN,
    library_path,
    run_python,
)

@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """caplog at DEBUG on the ``ytx`` logger; library logging off afterwards."""
    caplog.set_level(logging.DEBUG, logger="ytx")
    try:
        yield caplog
    finally:
        ytx.disable_logging()


def ytx_records(caplog: pytest.LogCaptureFixture) -> List[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "ytx"]


def messages(caplog: pytest.LogCaptureFixture, level: int) -> List[str]:
    return [r.getMessage() for r in ytx_records(caplog) if r.levelno == level]


def test_off_by_default_in_a_fresh_process(emulator):
    out = run_python(textwrap.dedent(f"""
        import logging, ytx, ytx._logging as yl
        got = []
        class H(logging.Handler):
            def emit(self, record): got.append(record)
        logging.getLogger("ytx").addHandler(H(logging.DEBUG))
        logging.getLogger("ytx").setLevel(logging.DEBUG)
        assert ytx.logging_level() is None and yl._native_level is None
        with ytx.Client("8a1f0c3e5b7d9f21a4c6e8b0d2f4a6c8", "5c7e9a1b3d5f7092e4b6c8d0f2a4c6e8",
                        "ff8080813fc70a7b013fc72312324213", base_url={emulator.base_url!r}) as c:
            c.voice_code("13800138000", "02160000000", "1234")
            try:
                c.voice_code("13800138000", "02160000000", "bad code")
            except ytx.InvalidArgument:
                pass
        print("records", len(got))
    """), env={"YTX_LIBRARY": library_path()})
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.split() == ["records", "0"]


def test_enabled_before_the_library_is_loaded(emulator):
    """enable_logging() does not load the library; the one loaded later logs."""
    out = run_python(textwrap.dedent(f"""
        import logging, ytx, ytx._native as n
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
        ytx.enable_logging(logging.INFO)
        assert n._default is None, "enable_logging loaded the library"
        with ytx.Client("8a1f0c3e5b7d9f21a4c6e8b0d2f4a6c8", "5c7e9a1b3d5f7092e4b6c8d0f2a4c6e8",
                        "ff8080813fc70a7b013fc72312324213", base_url={emulator.base_url!r}) as c:
            print(c.voice_code("13800138000", "02160000000", "1234").request_id)
    """), env={"YTX_LIBRARY": library_path()})
    assert out.returncode == 0, out.stdout + out.stderr
    request_id = out.stdout.strip()
    assert re.search(rf"^INFO ytx .*requestId {request_id}", out.stderr, re.M), out.stderr


def test_accepted_call_logs_info_with_request_id_and_redacted_sign(client, logs):
    ytx.enable_logging(logging.INFO)
    assert ytx.logging_level() == logging.INFO
    call = client.callback_call(SRC, DST, 600)
    info = messages(logs, logging.INFO)
    assert len(info) == 1, info
    assert f"requestId {call.request_id}" in info[0]
    assert "?Sign=<redacted>" in info[0]
    assert "statusCode 0" in info[0]
    assert messages(logs, logging.DEBUG) == []  # INFO: no request body
    record = ytx_records(logs)[0]
    assert record.name == ytx.LOGGER_NAME == "ytx"
    assert record.threadName == threading.current_thread().name  # synchronous


def test_a_fault_logs_error(client, logs):
    ytx.enable_logging(logging.INFO)
    with pytest.raises(ytx.ProtocolError):
        client.voice_code(FAULT_HTTP_500, DSTCLID, "1234")
    errors = messages(logs, logging.ERROR)
    assert len(errors) == 1 and "HTTP status 500" in errors[0], errors
    assert "?Sign=<redacted>" in errors[0]


def test_an_invalid_argument_and_a_platform_rejection_log_warning(client, make_client, logs):
    ytx.enable_logging(logging.INFO)
    with pytest.raises(ytx.InvalidArgument):
        client.voice_code(DST, DSTCLID, "bad code")
    with pytest.raises(ytx.PlatformError):
        make_client(auth_token=WRONG_TOKEN).voice_code(DST, DSTCLID, "1234")
    warnings = messages(logs, logging.WARNING)
    assert len(warnings) == 2, warnings
    assert "code: must contain only" in warnings[0]
    assert "-203" in warnings[1]
    assert messages(logs, logging.INFO) == messages(logs, logging.ERROR) == []


def test_debug_shows_the_body(client, logs):
    ytx.enable_logging(logging.DEBUG)
    client.callback_call(SRC, DST, 600, custom_parm="order-42 50%d")
    debug = messages(logs, logging.DEBUG)
    assert len(debug) == 1, debug
    assert f'"src":"{SRC}"' in debug[0] and f'"dst":"{DST}"' in debug[0]
    assert '"customParm":"order-42 50%d"' in debug[0]  # no %-formatting applied
    assert len(messages(logs, logging.INFO)) == 1


def test_the_auth_token_and_the_sign_never_appear(client, make_client, logs):
    ytx.enable_logging(logging.DEBUG)
    client.callback_call(SRC, DST, 600)
    client.voice_code(DST, DSTCLID, "1234", times=3)
    for bad in (lambda: client.voice_code(FAULT_HTTP_500, DSTCLID, "1"),
                lambda: client.voice_code(DST, DSTCLID, "12 34"),
                lambda: client.callback_call(SRC, DST, 60),
                lambda: make_client(auth_token=WRONG_TOKEN).voice_code(DST, DSTCLID, "1"),
                lambda: make_client(auth_token=TOKEN + " ")):
        with pytest.raises(ytx.YtxError):
            bad()
    records = ytx_records(logs)
    assert len(records) >= 8
    signs = [r.getMessage() for r in records if "Sign=" in r.getMessage()]
    assert signs
    for r in records:
        text = r.getMessage()
        assert TOKEN not in text, text
        assert TOKEN.upper() not in text, text
        for m in re.finditer(r"Sign=([^\s&]*)", text):
            assert m.group(1) == "<redacted>", text


def test_disable_stops_everything(client, logs):
    ytx.enable_logging(logging.DEBUG)
    client.voice_code(DST, DSTCLID, "1234")
    n = len(ytx_records(logs))
    assert n == 2  # DEBUG body + INFO
    ytx.disable_logging()
    ytx.disable_logging()  # idempotent
    assert ytx.logging_level() is None
    client.voice_code(DST, DSTCLID, "1234")
    with pytest.raises(ytx.ProtocolError):
        client.voice_code(FAULT_HTTP_500, DSTCLID, "1234")
    with pytest.raises(ytx.InvalidArgument):
        client.voice_code(DST, DSTCLID, "bad code")
    assert len(ytx_records(logs)) == n


def test_the_level_given_is_the_most_verbose_delivered(client, logs):
    ytx.enable_logging(logging.WARNING)
    client.voice_code(DST, DSTCLID, "1234")          # INFO: not delivered
    with pytest.raises(ytx.ProtocolError):
        client.voice_code(FAULT_HTTP_500, DSTCLID, "1")  # ERROR (+DEBUG): only ERROR
    assert [r.levelno for r in ytx_records(logs)] == [logging.ERROR]
    ytx.enable_logging("debug")                      # a name works; calling again changes it
    assert ytx.logging_level() == logging.DEBUG
    client.voice_code(DST, DSTCLID, "1234")
    assert [r.levelno for r in ytx_records(logs)][1:] == [logging.DEBUG, logging.INFO]
    ytx.enable_logging(logging.CRITICAL)             # the library has nothing that severe
    with pytest.raises(ytx.ProtocolError):
        client.voice_code(FAULT_HTTP_500, DSTCLID, "1")
    assert len(ytx_records(logs)) == 3


def test_the_python_logger_level_still_filters(client, logs):
    ytx.enable_logging(logging.DEBUG)
    logging.getLogger("ytx").setLevel(logging.WARNING)  # caplog restores it
    client.voice_code(DST, DSTCLID, "1234")
    assert ytx_records(logs) == []


def test_bad_levels():
    with pytest.raises(ValueError):
        ytx.enable_logging("LOUD")
    with pytest.raises(TypeError):
        ytx.enable_logging(True)
    with pytest.raises(TypeError):
        ytx.enable_logging(2.5)  # type: ignore[arg-type]
    assert ytx.logging_level() is None


class Boom(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        raise RuntimeError("handler bug")


class BadFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        raise ValueError("filter bug")


def test_a_failing_handler_or_filter_never_reaches_the_library(client, logs, capsys):
    logger = logging.getLogger("ytx")
    handler = Boom()
    logger.addHandler(handler)
    try:
        ytx.enable_logging(logging.INFO)
        assert client.voice_code(DST, DSTCLID, "1234").status_code == "0"
        bad = BadFilter()
        logger.addFilter(bad)
        try:
            assert client.voice_code(DST, DSTCLID, "1234").status_code == "0"
        finally:
            logger.removeFilter(bad)
    finally:
        logger.removeHandler(handler)
    err = capsys.readouterr().err
    assert err.count("ytx: a logging handler failed (the call goes on)") == 2, err
    assert "RuntimeError: handler bug" in err and "ValueError: filter bug" in err
    assert "ctypes callback" not in err
    assert client.voice_code(DST, DSTCLID, "1234").status_code == "0"


def test_changing_the_logger_from_a_handler_is_refused(client, logs):
    seen: List[BaseException] = []

    class Toggler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            for fn in (ytx.disable_logging, lambda: ytx.enable_logging(logging.DEBUG)):
                try:
                    fn()
                except RuntimeError as e:
                    seen.append(e)

    handler = Toggler()
    logging.getLogger("ytx").addHandler(handler)
    try:
        ytx.enable_logging(logging.INFO)
        client.voice_code(DST, DSTCLID, "1234")
    finally:
        logging.getLogger("ytx").removeHandler(handler)
    assert len(seen) == 2 and "from a handler" in str(seen[0])
    assert ytx.logging_level() == logging.INFO  # unchanged


def test_eight_threads_log_concurrently(client, logs):
    ytx.enable_logging(logging.INFO)
    per_thread = 15
    ids: dict = {}
    errors: List[BaseException] = []

    def work(n: int) -> None:
        try:
            ids[threading.current_thread().name] = [
                client.voice_code(DST, DSTCLID, f"{n}{i}").request_id for i in range(per_thread)
            ]
        except BaseException as e:  # pragma: no cover
            errors.append(e)

    threads = [threading.Thread(target=work, args=(n,), name=f"ytx-log-{n}") for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    info = [r for r in ytx_records(logs) if r.levelno == logging.INFO]
    assert len(info) == 8 * per_thread
    for r in info:  # each record on the thread whose call it describes
        request_id = re.search(r"requestId (\d+)", r.getMessage())
        assert request_id and request_id.group(1) in ids[r.threadName], r.getMessage()


def test_enable_and_disable_while_eight_threads_call(client, logs):
    """Toggling the logger while calls are logged: no crash, no lost callback."""
    stop = threading.Event()
    errors: List[BaseException] = []
    calls = [0]

    def work() -> None:
        try:
            while not stop.is_set():
                client.voice_code(DST, DSTCLID, "1234")
                calls[0] += 1
        except BaseException as e:  # pragma: no cover
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    try:
        for i in range(60):
            ytx.enable_logging(logging.DEBUG if i % 2 else logging.INFO)
            ytx.disable_logging()
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors, errors
    assert calls[0] > 0
    n = len(ytx_records(logs))
    client.voice_code(DST, DSTCLID, "1234")
    assert len(ytx_records(logs)) == n  # off at the end


def test_ctrl_c_in_a_handler_is_passed_on_not_lost():
    """A KeyboardInterrupt cannot unwind through C: it is raised when the call returns."""
    out = run_python(textwrap.dedent("""
        import logging, time, ytx
        class H(logging.Handler):
            def emit(self, record):
                raise KeyboardInterrupt
        logging.getLogger("ytx").addHandler(H())
        ytx.enable_logging(logging.WARNING)
        c = ytx.Client("8a1f0c3e5b7d9f21a4c6e8b0d2f4a6c8", "5c7e9a1b3d5f7092e4b6c8d0f2a4c6e8",
                       "ff8080813fc70a7b013fc72312324213", base_url="http://127.0.0.1:9")
        try:
            try:
                c.voice_code("13800138000", "02160000000", "1 2")  # logs a WARNING
            except ytx.InvalidArgument:
                time.sleep(5)  # (too late: it must interrupt the call itself)
            print("not interrupted")
        except KeyboardInterrupt:
            print("interrupted")
        c.close()
        print("live", ytx.live_clients())
    """), env={"YTX_LIBRARY": library_path()})
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.split() == ["interrupted", "live", "0"], out.stdout + out.stderr


def test_a_handler_may_not_call_the_library(client, emulator, logs, capsys):
    seen: List[BaseException] = []
    before = emulator.count()

    class Caller(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            try:
                client.voice_code(DST, DSTCLID, "1234")
            except RuntimeError as e:
                seen.append(e)
            client.voice_code(DST, DSTCLID, "1234")  # uncaught: reported, not fatal

    handler = Caller()
    logging.getLogger("ytx").addHandler(handler)
    try:
        ytx.enable_logging(logging.INFO)
        assert client.voice_code(DST, DSTCLID, "1234").status_code == "0"
    finally:
        logging.getLogger("ytx").removeHandler(handler)
    assert len(seen) == 1 and "must not call the ytx library" in str(seen[0])
    err = capsys.readouterr().err
    assert "ytx: a logging handler failed" in err and "must not call the ytx library" in err
    assert emulator.wait_count(before + 1) == before + 1  # no nested call was made


def test_records_carry_operation_request_id_and_status_code(client, make_client, logs):
    ytx.enable_logging(logging.DEBUG)
    accepted = client.callback_call(SRC, DST, 600)
    code = client.voice_code(DST, DSTCLID, "1234")
    client.prepare_voice_code(DST, DSTCLID, "1234")
    client.balance()
    with pytest.raises(ytx.PlatformError):
        make_client(auth_token=WRONG_TOKEN).callback_call(SRC, DST, 600)
    with pytest.raises(ytx.InvalidArgument):
        client.voice_code(DST, DSTCLID, "1234", times=9)
    ytx.disable_logging()
    records = ytx_records(logs)
    assert records, "no ytx record"
    for r in records:  # always set, so %(request_id)s never fails in a format
        assert hasattr(r, "operation") and hasattr(r, "request_id") and hasattr(r, "status_code")

    def info(operation):
        return [r for r in records if r.operation == operation and r.levelno == logging.INFO]

    (call,) = [r for r in info("callback_call") if r.request_id]
    assert (call.request_id, call.status_code) == (accepted.request_id, "0")
    (vc,) = [r for r in info("voice_code") if r.request_id]
    assert (vc.request_id, vc.status_code) == (code.request_id, "0")
    assert info("balance"), "no INFO record of the balance query"
    assert {r.operation for r in records if r.levelno == logging.DEBUG} >= {
        "callback_call", "voice_code", "balance"}
    (rejected,) = [r for r in records if r.levelno == logging.WARNING and r.status_code]
    assert (rejected.operation, rejected.status_code) == ("callback_call", "-203")
    (invalid,) = [r for r in records if r.levelno == logging.WARNING and not r.status_code]
    assert invalid.operation == "voice_code" and invalid.request_id is None


def test_the_operation_of_an_async_call_is_its_method(emulator, logs):
    import asyncio

    from support import APP, SID

    async def main():
        async with ytx.AsyncClient(SID, TOKEN, APP, base_url=emulator.base_url) as c:
            return await asyncio.gather(c.callback_call(SRC, DST, 600),
                                        c.voice_code(DST, DSTCLID, "1"))

    ytx.enable_logging(logging.INFO)
    call, code = asyncio.run(main())
    ytx.disable_logging()
    by_id = {r.request_id: r.operation for r in ytx_records(logs) if r.request_id}
    assert by_id == {call.request_id: "callback_call", code.request_id: "voice_code"}
