"""Ctrl-C during a call loses nothing: the call finishes, then
``ytx.CallInterrupted`` (a KeyboardInterrupt) carries its result or error.

Each test runs a small program in a child process, as a user would, against
the emulator's slow answer (``19900000001``: the answer comes after
``slow_secs``, 5 s here), and sends it SIGINT while the call waits.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Tuple

import support

SLOW = "19900000001"  # FAULT_SLOW_ANSWER
_SRC = str(Path(__file__).resolve().parents[1] / "src")


def run_interrupted(emulator: support.Emulator, body: str, timeout: float = 30.0) -> Tuple[int, str, str]:
    """Run ``body`` (with ``client`` made) in a child; SIGINT it 1 s into its call."""
    program = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {_SRC!r})
        import ytx
        client = ytx.Client({support.SID!r}, {support.TOKEN!r}, {support.APP!r},
                            base_url={emulator.base_url!r}, timeout={timeout!r})
        print("calling", flush=True)
        """
    ) + textwrap.dedent(body)
    child = subprocess.Popen(
        [sys.executable, "-c", program],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "calling"
    time.sleep(1.0)  # the request is on its way; the answer comes after 5 s
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=60)
    return child.returncode, out, err


def test_ctrl_c_during_an_accepted_call_keeps_the_request_id(emulator: support.Emulator) -> None:
    before = emulator.count()
    rc, out, err = run_interrupted(
        emulator,
        f"""
        try:
            client.callback_call("13800138000", {SLOW!r}, 61, custom_parm="interrupt-accepted")
        except getattr(ytx, "CallInterrupted", ()) as e:  # () before it existed
            assert isinstance(e, KeyboardInterrupt)
            assert e.error is None and e.result.request_id == e.request_id
            print("interrupted", e.request_id, flush=True)
            sys.exit(3)
        except KeyboardInterrupt:
            print("KeyboardInterrupt without the result", flush=True)
            sys.exit(4)
        print("not interrupted", flush=True)
        """,
    )
    assert rc == 3, (rc, out, err)
    m = re.search(r"^interrupted (\d+)$", out, re.M)
    assert m, out
    # The requestId is the one the platform gave the call, sent once.
    assert emulator.count() == before + 1
    placed = [r for r in emulator.records() if r.get("custom_parm") == "interrupt-accepted"]
    assert [r["request_id"] for r in placed] == [m.group(1)]


def test_an_uncaught_interrupt_still_shows_the_request_id(emulator: support.Emulator) -> None:
    """Code that knows nothing of CallInterrupted stops as on any Ctrl-C,
    and the traceback names the requestId."""
    rc, out, err = run_interrupted(
        emulator,
        f"""
        client.voice_code({SLOW!r}, None, "4096")
        print("not interrupted", flush=True)
        """,
    )
    assert rc != 0 and "not interrupted" not in out, (rc, out, err)
    assert re.search(r"ytx\.CallInterrupted: interrupted \(Ctrl-C\) during voice_code, "
                     r"after the call returned: accepted, requestId \d+", err), err


def test_ctrl_c_during_a_call_that_fails_keeps_the_error(emulator: support.Emulator) -> None:
    """A timeout while waiting for the answer: outcome unknown. The interrupt
    carries the error (its delivery says: resolve before placing it again)."""
    rc, out, err = run_interrupted(
        emulator,
        f"""
        try:
            client.callback_call("13800138000", {SLOW!r}, 61, custom_parm="interrupt-unknown")
        except getattr(ytx, "CallInterrupted", ()) as e:  # () before it existed
            print("interrupted", type(e.error).__name__, e.error.delivery.name, e.result, flush=True)
            # What resolving it needs: the unknown outcome's ticket.
            print("ticket", bool(e.ticket) and e.ticket == e.error.ticket, flush=True)
            sys.exit(3)
        except KeyboardInterrupt:
            print("KeyboardInterrupt without the error", flush=True)
            sys.exit(4)
        """,
        timeout=2.5,
    )
    assert rc == 3, (rc, out, err)
    assert "interrupted Timeout UNKNOWN None" in out, out
    assert "ticket True" in out, out
