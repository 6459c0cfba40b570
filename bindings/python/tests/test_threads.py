"""One client shared by many threads."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import support
import ytx
from support import DST, DSTCLID, FAULT_SLOW_ANSWER, SRC

THREADS = 8
CALLS = 50


def test_8_threads_x_50_calls_on_one_client(client, emulator):
    before = emulator.count()
    results = {}  # customParm -> request_id
    errors = []
    lock = threading.Lock()
    barrier = threading.Barrier(THREADS)

    def worker(t: int) -> None:
        barrier.wait()
        for i in range(CALLS):
            tag = f"t{t}-c{i}"
            try:
                accepted = client.callback_call(SRC, DST, 600, custom_parm=tag)
            except BaseException as e:  # reported below
                with lock:
                    errors.append((tag, e))
                continue
            with lock:
                results[tag] = accepted.request_id

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert len(results) == THREADS * CALLS
    assert len(set(results.values())) == THREADS * CALLS
    assert emulator.count() == before + THREADS * CALLS
    # Each call's result belongs to its own request: the request the emulator
    # logged with that requestId carries the call's own customParm.
    logged = {
        r["request_id"]: json.loads(r["body"]).get("customParm")
        for r in emulator.requests()
        if r["request_id"]
    }
    for tag, request_id in results.items():
        assert logged[request_id] == tag


def test_threads_run_in_parallel_outside_the_gil(make_client):
    """ctypes releases the GIL: a slow call does not block other threads' calls.

    Event-based: eight calls wait at once for an answer that never comes (an
    emulator whose slow answer is an hour away, a client timeout of minutes):
    all eight requests reach the emulator while none has returned, which calls
    one after another could never do (the first would wait alone). While they
    all wait, fast calls from another thread on the same client complete.
    Then the emulator stops, which ends the eight (outcome unknown).
    """
    slow_calls = 8
    emulator = support.Emulator(support.emulator_path(), slow_secs=3600)
    c = make_client(base_url=emulator.base_url, timeout=300)
    with ThreadPoolExecutor(slow_calls + 1) as pool:
        try:
            slow = [pool.submit(c.voice_code, FAULT_SLOW_ANSWER, DSTCLID, "1")
                    for _ in range(slow_calls)]
            # All eight have reached the emulator, so all eight are waiting in C.
            assert emulator.wait_count(slow_calls, timeout=60) == slow_calls
            assert not any(f.done() for f in slow)
            fast = pool.submit(lambda: [c.voice_code(DST, DSTCLID, "1") for _ in range(5)])
            assert len(fast.result(timeout=60)) == 5
            assert not any(f.done() for f in slow)
        finally:
            emulator.stop()  # the slow answers never come: the connections close
    for f in slow:
        e = f.exception(timeout=60)
        assert isinstance(e, ytx.TransportError), e
        assert e.delivery is ytx.Delivery.UNKNOWN


def test_dry_runs_from_many_threads(client):
    def work(i: int) -> str:
        p = client.prepare_callback_call(SRC, DST, 600, custom_parm=f"p{i}")
        return json.loads(p.body)["customParm"]

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(work, range(400))) == [f"p{i}" for i in range(400)]
