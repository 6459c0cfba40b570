"""One client used before ``os.fork()`` and then by the forked workers at once
(a pre-fork worker pool: gunicorn ``--preload``, Celery prefork,
``multiprocessing`` with fork).

The emulator runs with ``--request-id-from-custom-parm``: a call whose
customParm is digits is answered a requestId ending in them (zero-padded to
15), so each worker sees at once whether an answer is its own. Before the fix
the workers wrote into the parent's pooled socket and read each other's
answers (issue 18, part 1).
"""

from __future__ import annotations

import os
from typing import Iterator, List, Tuple

import pytest

import support
import ytx
from support import DST, SRC

WORKERS = 4
CALLS = 6

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no os.fork here")


@pytest.fixture(scope="module")
def derived_ids() -> Iterator[support.Emulator]:
    emu = support.Emulator(support.emulator_path(),
                           extra_args=["--request-id-from-custom-parm"])
    try:
        yield emu
    finally:
        emu.stop()


def _own(client: ytx.Client, parm: str) -> str:
    """One call; "" if answered with its own requestId, else what went wrong."""
    try:
        got = client.callback_call(SRC, DST, 61, custom_parm=parm).request_id
    except ytx.YtxError as e:
        return f"call {parm} failed: {e}"
    return "" if got.endswith(parm.zfill(15)) else f"call {parm} got requestId {got}"


def test_forked_workers_never_read_each_others_answers(derived_ids: support.Emulator) -> None:
    c = ytx.Client(support.SID, support.TOKEN, support.APP,
                   base_url=derived_ids.base_url, timeout=20.0)
    try:
        before = derived_ids.count()
        # The parent's call: its connection goes to the client's pool.
        assert _own(c, "900001") == ""
        workers: List[Tuple[int, int]] = []
        for w in range(WORKERS):
            r, wr = os.pipe()
            pid = os.fork()
            if pid == 0:  # the worker: report through the pipe, never return
                code = 0
                try:
                    os.close(r)
                    problems = [_own(c, str((w + 1) * 1000 + i)) for i in range(CALLS)]
                    os.write(wr, "\n".join(p for p in problems if p).encode())
                    c.close()
                except BaseException:
                    code = 3
                finally:
                    os._exit(code)
            os.close(wr)
            workers.append((pid, r))
        problems = []
        for pid, r in workers:
            with os.fdopen(r, "rb") as f:
                problems += f.read().decode().splitlines()
            _, status = os.waitpid(pid, 0)
            assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
        assert problems == [], "crossed answers or failed calls in the workers"
        # The parent's own connection still works (no worker cut it).
        assert _own(c, "900002") == ""
        # Each call reached the emulator exactly once.
        assert derived_ids.count() - before == 2 + WORKERS * CALLS
    finally:
        c.close()
