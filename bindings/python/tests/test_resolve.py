"""Resolving an *outcome unknown* (issue 18, part 2) through the binding.

Against an emulator whose record pages hold at most 50 records (a gateway
capping ``limit``): the exception of a lost answer carries ``.ticket`` (a
str); ``Client.resolve`` answers with a ``ytx.Resolution``. Tickets sent
"long ago" are made from the documented text format, so nothing sleeps.
"""

from __future__ import annotations

import asyncio
import re
import time
from datetime import datetime, timezone
from typing import Iterator

import pytest

import ytx
from support import APP, FAULT_DROP_CONNECTION, SID, SRC, TOKEN, Emulator, emulator_path

DST_OK = "13900139000"


@pytest.fixture(scope="module")
def capped() -> Iterator[Emulator]:
    emu = Emulator(emulator_path(), extra_args=["--max-records-per-page", "50"])
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def client(capped: Emulator) -> Iterator[ytx.Client]:
    with ytx.Client(SID, TOKEN, APP, base_url=capped.base_url, timeout=10.0) as c:
        yield c


def ticket(parm: str, sent: int, anchor: str = "") -> str:
    enc = "".join(ch if re.fullmatch(r"[A-Za-z0-9_.~]", ch) else
                  "".join(f"%{b:02X}" for b in ch.encode()) for ch in parm)
    return (f"ytx-ticket:1;kind=callback;sent={sent};credit=600;srctimeout=;"
            f"dsttimeout=;anchor={anchor};customParm={enc}")


def test_a_lost_answer_carries_a_ticket_and_resolves_as_placed_behind_a_capped_page(capped, client):
    anchor = client.callback_call(SRC, DST_OK, 600, custom_parm="py-before").request_id
    with ytx.Client(SID, TOKEN, APP, base_url=capped.base_url) as other:
        for i in range(60):  # another process's calls: the first page is cut at 50
            other.callback_call(SRC, DST_OK, 600, custom_parm=f"py-other-{i}")
    with pytest.raises(ytx.TransportError) as info:
        client.callback_call(SRC, FAULT_DROP_CONNECTION, 600, custom_parm="py-lost")
    err = info.value
    assert err.delivery == ytx.Delivery.UNKNOWN
    assert isinstance(err.ticket, str) and err.ticket.startswith("ytx-ticket:1;kind=callback;")
    assert f"anchor={anchor};" in err.ticket
    r = client.resolve(err)
    assert r.status is ytx.ResolutionStatus.PLACED, r.reason
    assert isinstance(r, ytx.Resolution)
    assert r.record is not None and r.record.custom_parm == "py-lost"
    assert r.check_again_at is None and r.cursor is None
    # The same from the saved text, by a new client (a restart).
    with ytx.Client(SID, TOKEN, APP, base_url=capped.base_url) as fresh:
        assert fresh.resolve(err.ticket).status is ytx.ResolutionStatus.PLACED


def test_not_placed_only_after_the_bound_not_known_yet_before(client):
    old = ticket("py-never", 1000)
    r = client.resolve(old)
    assert r.status is ytx.ResolutionStatus.NOT_PLACED, r.reason
    now = int(time.time())
    r = client.resolve(ticket("py-never", now))
    assert r.status is ytx.ResolutionStatus.NOT_KNOWN_YET, r.reason
    assert r.check_again_at == datetime.fromtimestamp(now + 780, tz=timezone.utc)
    assert r.cursor is None and r.record is None


def test_out_of_pages_resumes_from_the_cursor(client):
    client.callback_call(SRC, DST_OK, 600, custom_parm="py-resume")
    t = ticket("py-resume", 1000)
    r = client.resolve(t, max_pages=1)
    steps = 0
    while r.status is ytx.ResolutionStatus.NOT_KNOWN_YET:
        assert r.cursor, r.reason
        assert r.check_again_at is not None
        steps += 1
        assert steps < 50
        r = client.resolve(t, cursor=r.cursor, max_pages=1)
    assert r.status is ytx.ResolutionStatus.PLACED, r.reason
    assert steps >= 1, "a page budget of one page of 50 ran out at least once"
    # The budgets are passed on (a deadline that passes is tested in Rust,
    # where a page can be made smaller than any deadline's clock tick).
    r = client.resolve(ticket("py-never", 1000), deadline=30.0, max_pages=1000)
    assert r.status is ytx.ResolutionStatus.NOT_PLACED, r.reason
    with pytest.raises(ytx.InvalidArgument) as bad:
        client.resolve(ticket("py-never", 1000), deadline=0)
    assert bad.value.field == "deadline"


def test_what_cannot_be_resolved_says_so(client):
    with pytest.raises(ytx.TransportError) as info:
        client.callback_call(SRC, FAULT_DROP_CONNECTION, 600)
    r = client.resolve(info.value)
    assert r.status is ytx.ResolutionStatus.CANNOT_BE_RESOLVED and "customParm" in r.reason
    with pytest.raises(ytx.TransportError) as info:
        client.voice_code(FAULT_DROP_CONNECTION, None, "1234")
    assert client.resolve(info.value).status is ytx.ResolutionStatus.CANNOT_BE_RESOLVED
    # An error that is not an outcome unknown has no ticket.
    e = ytx.InvalidArgument("x", field="x")
    assert e.ticket is None
    assert client.resolve(e).status is ytx.ResolutionStatus.CANNOT_BE_RESOLVED
    with pytest.raises(ytx.InvalidArgument) as bad:
        client.resolve("ytx-ticket:2;x")
    assert bad.value.field == "ticket"
    with pytest.raises(ytx.InvalidArgument) as bad:
        client.resolve(ticket("a", 1), cursor="a-b")
    assert bad.value.field == "cursor"
    with pytest.raises(TypeError):
        client.resolve(42)  # type: ignore[arg-type]


def test_a_far_future_ticket_is_refused_and_the_latest_one_still_gives_a_date(client):
    def far(sent: int) -> str:
        big = 4294967295
        return (f"ytx-ticket:1;kind=callback;sent={sent};credit={big};srctimeout={big};"
                f"dsttimeout={big};anchor=;customParm=pyfar")
    # The latest sent a ticket may hold: its bound is the last second of 9999.
    r = client.resolve(far(240517398854))
    assert r.status is ytx.ResolutionStatus.NOT_KNOWN_YET, r.reason
    assert r.check_again_at == datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone.utc)
    for sent in (240517398855, 253402300799):
        with pytest.raises(ytx.InvalidArgument) as bad:
            client.resolve(far(sent))
        assert bad.value.field == "ticket"


def test_auto_custom_parm(capped):
    with ytx.Client(SID, TOKEN, APP, base_url=capped.base_url, auto_custom_parm=True) as c:
        with pytest.raises(ytx.TransportError) as info:
            c.callback_call(SRC, FAULT_DROP_CONNECTION, 600)
        assert "customParm=ytx" in info.value.ticket
        r = c.resolve(info.value)
        assert r.status is ytx.ResolutionStatus.PLACED, r.reason
        assert r.record.custom_parm.startswith("ytx-")


def test_async_client_resolves_too(capped):
    async def main() -> ytx.Resolution:
        async with ytx.AsyncClient(SID, TOKEN, APP, base_url=capped.base_url) as c:
            return await c.resolve(ticket("py-never", 1000))
    assert asyncio.run(main()).status is ytx.ResolutionStatus.NOT_PLACED
