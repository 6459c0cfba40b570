"""pytest setup: the package from this checkout, the library, the emulator.

Runs without installing the package: ``bindings/python/src`` goes first on
sys.path. The library comes from ``YTX_LIBRARY`` (default: the repository's
``target/debug/libytx.so``), the emulator from ``YTX_EMULATOR`` (default:
``target/debug/ytx-emulator``).
"""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path
from typing import Callable, Iterator, List

import pytest

_HERE = Path(__file__).resolve().parent
for p in (str(_HERE.parent / "src"), str(_HERE)):
    if p not in sys.path:
        sys.path.insert(0, p)

import support  # noqa: E402

os.environ.setdefault("YTX_LIBRARY", support.library_path())

import ytx  # noqa: E402


@pytest.fixture(scope="session")
def emulator() -> Iterator[support.Emulator]:
    emu = support.Emulator(support.emulator_path(), slow_secs=5)
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def make_client(emulator: support.Emulator) -> Iterator[Callable[..., ytx.Client]]:
    """A factory of clients for the emulator; all are closed after the test."""
    made: List[ytx.Client] = []

    def make(**kwargs: object) -> ytx.Client:
        args = dict(base_url=emulator.base_url, timeout=10.0)
        args.update(kwargs)
        sid = args.pop("account_sid", support.SID)
        token = args.pop("auth_token", support.TOKEN)
        app = args.pop("app_id", support.APP)
        c = ytx.Client(sid, token, app, **args)  # type: ignore[arg-type]
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()


@pytest.fixture
def client(make_client: Callable[..., ytx.Client]) -> ytx.Client:
    return make_client()


@pytest.fixture(autouse=True)
def _no_leaks() -> Iterator[None]:
    """Every test must leave no native client handle and no native object
    (outcome, push, record list, balance) behind: counted exactly."""
    gc.collect()
    objects = ytx.live_objects()
    yield
    gc.collect()
    assert ytx.live_clients() == 0, "a test left a ytx client open"
    assert ytx.live_objects() == objects, (
        f"a test left {ytx.live_objects() - objects} native object(s) unfreed")
