"""No native object or handle leaks over many calls, counted exactly.

The library counts what it hands out and has not got back: outcomes,
pushes, record lists and balances (``ytx.live_objects()``) and client
handles (``ytx.live_clients()``). After any call through the binding both
must be back where they were: one object or one handle kept is a failure,
where an RSS budget would let megabytes through.
"""

from __future__ import annotations

import ctypes
import gc

import pytest

import ytx
from ytx import _native
from support import APP, DST, DSTCLID, FAULT_HTTP_500, SID, SRC, TOKEN

DRY_RUNS = 2_000
REAL_CALLS = 300
CLIENTS = 200


def test_the_counters_see_one_object_and_one_handle(client):
    """The check below can fail: an outcome or a client not freed is counted."""
    lib = client.library
    objects, clients = ytx.live_objects(), ytx.live_clients()
    out = _native.ytx_outcome_p()
    rc = lib.ytx_voice_code_prepare(client._live_handle(), DST.encode(), None, b"1", 0,
                                    ctypes.byref(out))
    assert rc == 0 and out
    assert ytx.live_objects() == objects + 1
    lib.ytx_outcome_free(out)
    assert ytx.live_objects() == objects
    extra = ytx.Client(SID, TOKEN, APP, base_url=client.base_url)
    assert ytx.live_clients() == clients + 1
    extra.close()
    assert ytx.live_clients() == clients


def test_no_leaks_over_many_calls(emulator):
    gc.collect()
    objects = ytx.live_objects()
    assert ytx.live_clients() == 0
    client = ytx.Client(SID, TOKEN, APP, base_url=emulator.base_url)
    try:
        for i in range(DRY_RUNS):
            if i % 2:
                client.prepare_callback_call(SRC, DST, 600, custom_parm=f"leak-{i}")
            else:
                client.prepare_voice_code(DST, DSTCLID, "1234", times=2)
            if i % 10 == 0:  # error paths too
                with pytest.raises(ytx.InvalidArgument):
                    client.prepare_callback_call(SRC, DST, 60)
            assert ytx.live_objects() == objects, f"after dry run {i}"
        for i in range(REAL_CALLS):
            if i % 20 == 0:
                with pytest.raises(ytx.ProtocolError):
                    client.callback_call(SRC, FAULT_HTTP_500, 600)
            elif i % 20 == 1:
                client.balance()
                client.call_records_after("0", 5)
                client.call_record("0")
            else:
                client.voice_code(DST, DSTCLID, "1234")
            assert ytx.live_objects() == objects, f"after call {i}"
        for i in range(CLIENTS):
            with ytx.Client(SID, TOKEN, APP, base_url=emulator.base_url):
                assert ytx.live_clients() == 2
            assert ytx.live_clients() == 1, f"after client {i}"
            with pytest.raises(ytx.InvalidArgument):
                ytx.Client(SID, TOKEN, APP, base_url="ftp://nowhere")
            assert ytx.live_clients() == 1 and ytx.live_objects() == objects
    finally:
        client.close()
    gc.collect()
    assert ytx.live_clients() == 0
    assert ytx.live_objects() == objects
