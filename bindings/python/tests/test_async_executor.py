"""ytx.AsyncClient owns its concurrency (issue 19): its own executor, sized
by ``max_workers``, never the event loop's default one; tens of slow calls
wait at once; closing the client shuts its executor down.

Waiting at once is shown by events, not by time: the calls go through a
closed :class:`support.Gate` (their answers held), so all 50 requests reach
the emulator only if 50 calls wait at the same moment (the loop's default
executor, 6 threads on 2 cores, would stop at 6); then the gate opens."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time

import pytest

import support
import ytx
from support import APP, DST, DSTCLID, FAULT_SLOW_ANSWER, SID, TOKEN

DEADLINE = 60.0


@pytest.fixture(scope="module")
def one_second_emulator():
    emu = support.Emulator(support.emulator_path(), slow_secs=1)
    try:
        yield emu
    finally:
        emu.stop()


class _Refusing(concurrent.futures.ThreadPoolExecutor):
    """A default executor that fails any use: the client must not touch it."""

    def __init__(self) -> None:
        super().__init__(max_workers=1)
        self.used = 0

    def submit(self, fn, *args, **kwargs):  # type: ignore[override]
        self.used += 1
        raise AssertionError("the loop's default executor was used")


def test_fifty_calls_wait_at_once(emulator):
    calls = 50

    async def main(gate):
        refusing = _Refusing()
        asyncio.get_running_loop().set_default_executor(refusing)  # type: ignore[arg-type]
        async with ytx.AsyncClient(SID, TOKEN, APP, base_url=gate.base_url, timeout=300) as c:
            start = time.monotonic()
            futures = [asyncio.ensure_future(c.voice_code(DST, DSTCLID, "1234")) for _ in range(calls)]
            # All fifty requests on the emulator while their answers are held
            # (waited for off the loop, on a thread of its own).
            with concurrent.futures.ThreadPoolExecutor(1) as waiter:
                n = await asyncio.get_running_loop().run_in_executor(
                    waiter, emulator.wait_count, before + calls, DEADLINE)
            took = time.monotonic() - start
            assert n == before + calls, f"only {n - before} of {calls} calls were waiting at once"
            assert not any(f.done() for f in futures)
            gate.open()
            answers = await asyncio.gather(*futures)
        return answers, took, refusing.used

    before = emulator.count()
    with support.Gate(emulator.base_url) as gate:
        answers, took, used = asyncio.run(asyncio.wait_for(main(gate), 2 * DEADLINE))
    assert used == 0
    assert all(a.status_code == "0" for a in answers)
    assert len({a.request_id for a in answers}) == calls
    assert emulator.count() == before + calls
    print(f"measured: {calls} calls waiting at once after {took:.2f} s")


def test_max_workers_bounds_the_calls_in_flight(one_second_emulator):
    emu = one_second_emulator

    async def main():
        async with ytx.AsyncClient(SID, TOKEN, APP, base_url=emu.base_url, timeout=20, max_workers=2) as c:
            assert isinstance(c.executor, concurrent.futures.ThreadPoolExecutor)
            assert c.executor._max_workers == 2  # noqa: SLF001 (the documented size)
            start = time.monotonic()
            await asyncio.gather(*(c.voice_code(FAULT_SLOW_ANSWER, DSTCLID, "1234") for _ in range(4)))
            return time.monotonic() - start

    took = asyncio.run(asyncio.wait_for(main(), DEADLINE))
    # Two rounds of a one-second answer: at least ~2 s, never all four at once.
    assert took >= 1.8, f"4 calls with max_workers=2 took {took:.1f} s"


def test_default_size_and_bad_sizes():
    c = ytx.AsyncClient(SID, TOKEN, APP, base_url="http://127.0.0.1:9/")
    try:
        assert c.executor._max_workers == ytx._async.DEFAULT_MAX_WORKERS >= 50  # noqa: SLF001
    finally:
        c.close()
    for bad in (0, -1, 1.5, True, "8"):
        with pytest.raises(ValueError, match="max_workers"):
            ytx.AsyncClient(SID, TOKEN, APP, base_url="http://127.0.0.1:9/", max_workers=bad)
    with pytest.raises(TypeError, match="not both"):
        ytx.AsyncClient(SID, TOKEN, APP, executor=concurrent.futures.ThreadPoolExecutor(1), max_workers=2)


def test_closing_shuts_the_own_executor_down_and_leaves_a_given_one(one_second_emulator):
    emu = one_second_emulator

    async def main():
        c = ytx.AsyncClient(SID, TOKEN, APP, base_url=emu.base_url, timeout=20)
        await c.balance()  # starts a worker thread
        workers = [t for t in threading.enumerate() if t.name.startswith("ytx-async")]
        assert workers
        await c.aclose()
        with pytest.raises(RuntimeError):
            c.executor.submit(lambda: None)  # shut down
        with pytest.raises(ytx.ClientClosed):
            await c.balance()
        for t in workers:
            t.join(timeout=10)
            assert not t.is_alive()

        mine = concurrent.futures.ThreadPoolExecutor(2)
        try:
            async with ytx.AsyncClient(SID, TOKEN, APP, base_url=emu.base_url, executor=mine) as c2:
                assert c2.executor is mine
                await c2.balance()
            assert mine.submit(lambda: 7).result(timeout=10) == 7  # still usable
        finally:
            mine.shutdown()

    asyncio.run(asyncio.wait_for(main(), DEADLINE))
