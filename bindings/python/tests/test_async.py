"""ytx.AsyncClient: the blocking calls in worker threads, cancellation that
stops the waiting and never the call already sent."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time

import pytest

import support
import ytx
from support import APP, DST, DSTCLID, FAULT_SLOW_ANSWER, SID, SRC, TOKEN, WRONG_TOKEN

# Wide deadlines: a loaded CI machine may be slow, but never this slow.
DEADLINE = 30.0


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, DEADLINE))


def test_both_calls_concurrently_against_the_emulator():
    # An emulator whose slow answer is an hour away: the slow call cannot
    # end before the test stops the emulator, however loaded the machine.
    emulator = support.Emulator(support.emulator_path(), slow_secs=3600)

    async def main():
        async with ytx.AsyncClient(SID, TOKEN, APP, base_url=emulator.base_url, timeout=300) as c:
            assert isinstance(c.client, ytx.Client) and c.base_url == emulator.base_url
            # A slow call first: the other two finish while it is still waiting,
            # so they ran concurrently, not one after another.
            slow = asyncio.create_task(c.voice_code(FAULT_SLOW_ANSWER, DSTCLID, "1"))
            call, code = await asyncio.gather(
                c.callback_call(SRC, DST, 600, custom_parm="async-1"),
                c.voice_code(DST, DSTCLID, "4096", times=2),
            )
            assert not slow.done()
            n = await asyncio.get_running_loop().run_in_executor(
                c.executor, emulator.wait_count, 3, DEADLINE)
            assert n == 3 and not slow.done()
            sent = {r["request_id"] for r in emulator.requests()}
            emulator.stop()  # the slow answer never comes: its connection closes
            with pytest.raises(ytx.TransportError) as lost:
                await slow
            assert lost.value.delivery is ytx.Delivery.UNKNOWN
        return call, code, sent

    try:
        call, code, sent = run(main())
    finally:
        emulator.stop()
    for a in (call, code):
        assert isinstance(a, ytx.Accepted) and a.status_code == "0" and a.request_id
    assert call.request_id != code.request_id
    assert {call.request_id, code.request_id} <= sent


def test_every_method_is_awaitable_with_the_same_results(emulator):
    async def main():
        async with ytx.AsyncClient(SID, TOKEN, APP, base_url=emulator.base_url) as c:
            anchor = (await c.callback_call(SRC, DST, 600)).request_id
            placed = await c.callback_call(SRC, DST, 600, custom_parm="async-find",
                                           ringback_type=ytx.RingbackType.SYSTEM)
            p = await c.prepare_callback_call(SRC, DST, 600, custom_parm="dry")
            v = await c.prepare_voice_code(DST, DSTCLID, "1234", times=3)
            record = await c.call_record(placed.request_id)
            after = await c.call_records_after(anchor, 10)
            found = await c.find_call("async-find", after_request_id=anchor)
            balance = await c.balance()
        return placed, p, v, record, after, found, balance

    placed, p, v, record, after, found, balance = run(main())
    assert p.method == "POST" and '"customParm":"dry"' in p.body
    assert v.method == "POST" and '"time":"3"' in v.body
    assert record is not None and record.request_id == placed.request_id
    assert after, "no record after the anchor"
    assert [r.request_id for r in after] == [placed.request_id]
    assert found == record
    assert isinstance(balance, ytx.Balance)


def test_the_same_exceptions(emulator):
    async def main():
        async with ytx.AsyncClient(SID, WRONG_TOKEN, APP, base_url=emulator.base_url) as bad:
            with pytest.raises(ytx.PlatformError) as info:
                await bad.callback_call(SRC, DST, 600)
            assert info.value.status_code == "-203"
        # Through a closed gate: the slow answer is held, so the 1 s timeout
        # always comes first.
        with support.Gate(emulator.base_url) as gate:
            await timeouts(gate)

    async def timeouts(gate):
        async with ytx.AsyncClient(SID, TOKEN, APP, base_url=gate.base_url, timeout=1) as c:
            with pytest.raises(ytx.InvalidArgument) as invalid:
                await c.callback_call(SRC, DST, 60)
            assert invalid.value.field == "credit"
            with pytest.raises(TimeoutError) as timeout:  # ytx.Timeout is one
                await c.voice_code(FAULT_SLOW_ANSWER, DSTCLID, "1")
            assert isinstance(timeout.value, ytx.Timeout) and not timeout.value.retry_safe
            with pytest.raises(TypeError):
                await c.callback_call(SRC, DST, 600, customParm="x")  # type: ignore[call-arg]
        with pytest.raises(ytx.ClientClosed):
            await c.balance()

    run(main())


def test_cancelling_stops_the_waiting_not_the_call(emulator):
    """The call goes through a closed gate (its answer held); the await is
    cancelled once the request has reached the emulator. The await ends with
    CancelledError while the call is still running (it cannot have its
    answer); once the gate opens, the call finishes in its thread, and the
    emulator received exactly one request: the call was neither withdrawn nor
    sent again."""
    executor = concurrent.futures.ThreadPoolExecutor(2)
    finished = threading.Event()
    results = []
    gate = support.Gate(emulator.base_url)
    sync = ytx.Client(SID, TOKEN, APP, base_url=gate.base_url, timeout=300)
    original = sync.voice_code

    def voice_code(*args, **kwargs):
        try:
            results.append(original(*args, **kwargs))
        finally:
            finished.set()
        return results[-1]

    sync.voice_code = voice_code  # type: ignore[method-assign]
    before = emulator.count()

    async def main():
        c = ytx.AsyncClient(client=sync, executor=executor)
        task = asyncio.create_task(c.voice_code(DST, DSTCLID, "1"))
        # Wait (off the loop) until the emulator has the request.
        n = await asyncio.get_running_loop().run_in_executor(
            None, emulator.wait_count, before + 1, DEADLINE)
        assert n == before + 1
        assert not finished.is_set() and not task.done()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # The call itself is still waiting for its answer.
        assert not finished.is_set(), "the await waited for the call to finish"

    try:
        run(main())
        # The call goes on in its thread and gets its answer once let through.
        gate.open()
        assert finished.wait(DEADLINE), "the call never finished"
        assert len(results) == 1 and results[0].status_code == "0"
        time.sleep(0.2)  # anything sent again would have arrived by now
        assert emulator.count() == before + 1, "the call was withdrawn or sent again"
    finally:
        gate.close()  # ends the call if a check above failed first
        executor.shutdown(wait=True)
        sync.close()


def test_a_wrapped_client_and_bad_arguments(emulator):
    sync = ytx.Client(SID, TOKEN, APP, base_url=emulator.base_url)
    c = ytx.AsyncClient(client=sync)
    assert c.client is sync and repr(c).startswith("<ytx.AsyncClient ")
    with pytest.raises(TypeError):
        ytx.AsyncClient(SID, client=sync)
    with pytest.raises(TypeError):
        ytx.AsyncClient(client="not a client")  # type: ignore[arg-type]
    run(c.aclose())
    assert c.closed and sync.closed
