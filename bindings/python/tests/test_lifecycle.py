"""Client lifetime, handle and outcome ownership."""

from __future__ import annotations

import copy
import gc
import pickle
import threading
import time
import weakref

import pytest

import support
import ytx
from support import APP, DST, DSTCLID, FAULT_HTTP_500, SID, SRC, TOKEN


def test_context_manager_close_twice_and_use_after_close(emulator):
    live = ytx.live_clients()
    with ytx.Client(SID, TOKEN, APP, base_url=emulator.base_url) as c:
        assert ytx.live_clients() == live + 1
        assert not c.closed
        assert "open" in repr(c)
        c.voice_code(DST, DSTCLID, "1234")
    assert c.closed
    assert "closed" in repr(c)
    assert ytx.live_clients() == live
    c.close()
    c.close()
    before = emulator.count()
    for call in (lambda: c.callback_call(SRC, DST, 600),
                 lambda: c.voice_code(DST, DSTCLID, "1"),
                 lambda: c.prepare_callback_call(SRC, DST, 600),
                 lambda: c.prepare_voice_code(DST, DSTCLID, "1")):
        with pytest.raises(ytx.ClientClosed) as info:
            call()
        assert isinstance(info.value, ytx.InvalidHandle)
        assert info.value.code == ytx.ResultCode.INVALID_HANDLE
        assert info.value.delivery is ytx.Delivery.NOT_SENT and not info.value.retry_safe
    assert emulator.count() == before


def test_exit_closes_even_on_an_exception(emulator):
    live = ytx.live_clients()
    with pytest.raises(RuntimeError):
        with ytx.Client(SID, TOKEN, APP, base_url=emulator.base_url):
            raise RuntimeError("boom")
    assert ytx.live_clients() == live


def test_a_dropped_client_is_freed_by_its_finalizer(emulator):
    live = ytx.live_clients()
    c = ytx.Client(SID, TOKEN, APP, base_url=emulator.base_url)
    ref = weakref.ref(c)
    assert ytx.live_clients() == live + 1
    del c
    gc.collect()
    assert ref() is None
    assert ytx.live_clients() == live


def test_a_failed_constructor_leaves_no_handle(emulator):
    live = ytx.live_clients()
    for _ in range(100):
        with pytest.raises(ytx.InvalidArgument):
            ytx.Client(SID, TOKEN, APP, environment="nowhere")
    assert ytx.live_clients() == live


def test_the_native_handle_is_invalid_after_free(emulator):
    # ytx_free on a freed handle reports INVALID_HANDLE instead of crashing,
    # and a call with it is an InvalidHandle error.
    c = ytx.Client(SID, TOKEN, APP, base_url=emulator.base_url)
    handle, lib = c._handle, c.library
    c.close()
    assert lib.ytx_free(handle) == ytx.ResultCode.INVALID_HANDLE
    c._handle = handle  # simulate a stale handle reaching the library
    try:
        with pytest.raises(ytx.InvalidHandle) as info:
            c.voice_code(DST, DSTCLID, "1234")
        assert "handle" in info.value.message
    finally:
        c._handle = None


def test_clients_cannot_be_pickled_or_copied(client):
    with pytest.raises(TypeError):
        pickle.dumps(client)
    with pytest.raises(TypeError):
        copy.copy(client)


def test_every_outcome_is_freed_exactly_once(client, monkeypatch):
    """Count ytx_outcome_free calls on success, error and dry-run paths."""
    lib = client.library
    real_free = lib.ytx_outcome_free
    freed = []

    def counting_free(out):
        import ctypes
        freed.append(ctypes.cast(out, ctypes.c_void_p).value)
        real_free(out)

    monkeypatch.setattr(lib, "ytx_outcome_free", counting_free)
    calls = 0
    client.callback_call(SRC, DST, 600); calls += 1
    client.voice_code(DST, DSTCLID, "1234"); calls += 1
    client.prepare_callback_call(SRC, DST, 600); calls += 1
    client.prepare_voice_code(DST, DSTCLID, "1234"); calls += 1
    with pytest.raises(ytx.ProtocolError):
        client.callback_call(SRC, FAULT_HTTP_500, 600)
    calls += 1
    with pytest.raises(ytx.InvalidArgument):
        client.callback_call(SRC, DST, 60)  # rejected by the library
    calls += 1
    with pytest.raises(ytx.InvalidArgument):
        client.prepare_voice_code(DST, DSTCLID, "x" * 20)
    calls += 1
    with pytest.raises(ytx.InvalidArgumentType):
        client.callback_call(SRC, DST, "600")  # rejected before C: no outcome
    with pytest.raises(ytx.InvalidArgument):
        ytx.Client(SID, TOKEN, APP, environment="nowhere", library=lib.path)
    calls += 1
    with ytx.Client(SID, TOKEN, APP, library=lib.path):
        calls += 1
    assert calls > 0 and len(freed) == calls
    assert all(freed)


def test_close_while_other_threads_call(make_client):
    """Closing a client under load never crashes: calls succeed or raise InvalidHandle.

    Each worker calls until it sees the client closed, so every one of them
    ends with an error, which must be InvalidHandle (ClientClosed).
    """
    c = make_client()
    errors = []
    results = []
    start = threading.Barrier(5)
    deadline = time.monotonic() + 30

    def worker():
        start.wait()
        while time.monotonic() < deadline:
            try:
                results.append(c.prepare_callback_call(SRC, DST, 600))
            except ytx.InvalidHandle as e:
                errors.append(e)
                return
            except BaseException as e:  # pragma: no cover - reported below
                errors.append(e)
                return

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    start.wait()
    time.sleep(0.05)  # let them call a while
    c.close()
    for t in threads:
        t.join()
    assert len(errors) == len(threads), errors  # every worker saw the close
    assert all(isinstance(e, ytx.InvalidHandle) for e in errors), errors
    assert c.closed


def test_clients_are_independent(make_client, emulator):
    a = make_client()
    b = make_client(auth_token="f" * 32)
    a.close()
    with pytest.raises(ytx.PlatformError):
        b.callback_call(SRC, DST, 600)
    with pytest.raises(ytx.ClientClosed):
        a.callback_call(SRC, DST, 600)


def test_a_call_crosses_into_the_library_three_times(client, monkeypatch):
    """A placed call is ytx_callback_call, one ytx_outcome_view_of and
    ytx_outcome_free (ctypes crossings cost about a microsecond each); an
    error reads the same view."""
    lib = client.library
    crossings = support.count_crossings(lib, monkeypatch)
    client.callback_call(SRC, DST, 600, custom_parm="order-42")
    assert crossings == ["ytx_callback_call", "ytx_outcome_view_of", "ytx_outcome_free"]
    crossings.clear()
    with pytest.raises(ytx.ProtocolError):
        client.callback_call(SRC, FAULT_HTTP_500, 600)
    assert crossings == ["ytx_callback_call", "ytx_outcome_view_of", "ytx_outcome_free"]
