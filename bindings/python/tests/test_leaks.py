"""No native memory or handle leaks over many calls."""

from __future__ import annotations

import gc
import time

import pytest

import ytx
from support import APP, DST, DSTCLID, FAULT_HTTP_500, SID, SRC, TOKEN, rss_kib

DRY_RUNS = 20_000
REAL_CALLS = 2_000
CLIENTS = 1_000
MAX_GROWTH_KIB = 4 * 1024


def churn(client: ytx.Client, emulator_url: str, n_dry: int, n_real: int, n_clients: int) -> None:
    for i in range(n_dry):
        if i % 2:
            client.prepare_callback_call(SRC, DST, 600, custom_parm=f"leak-{i}")
        else:
            client.prepare_voice_code(DST, DSTCLID, "1234", times=2)
        if i % 10 == 0:  # error paths too
            with pytest.raises(ytx.InvalidArgument):
                client.prepare_callback_call(SRC, DST, 60)
    for i in range(n_real):
        if i % 20 == 0:
            with pytest.raises(ytx.ProtocolError):
                client.callback_call(SRC, FAULT_HTTP_500, 600)
        else:
            client.voice_code(DST, DSTCLID, "1234")
    for _ in range(n_clients):
        with ytx.Client(SID, TOKEN, APP, base_url=emulator_url):
            pass


def test_no_leaks_over_many_calls(emulator):
    gc.collect()
    assert ytx.live_clients() == 0
    client = ytx.Client(SID, TOKEN, APP, base_url=emulator.base_url)
    try:
        # Warm up: allocator pools, the connection pool, Python caches.
        churn(client, emulator.base_url, 2_000, 200, 100)
        gc.collect()
        rss_before = rss_kib()
        t0 = time.monotonic()
        churn(client, emulator.base_url, DRY_RUNS, REAL_CALLS, CLIENTS)
        elapsed = time.monotonic() - t0
        gc.collect()
        rss_after = rss_kib()
    finally:
        client.close()
    assert ytx.live_clients() == 0
    if rss_before is None or rss_after is None:
        pytest.skip("no /proc/self/status: RSS not measured (handles were checked)")
    growth = rss_after - rss_before
    print(f"\n{DRY_RUNS} dry runs + {REAL_CALLS} calls + {CLIENTS} clients in "
          f"{elapsed:.1f} s; RSS {rss_before} -> {rss_after} KiB ({growth:+d} KiB)")
    assert growth < MAX_GROWTH_KIB, f"RSS grew by {growth} KiB"
