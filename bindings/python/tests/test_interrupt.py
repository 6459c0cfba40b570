"""Ctrl-C during a call loses nothing: the call finishes, then
``ytx.CallInterrupted`` (a KeyboardInterrupt) carries its result or error.

Each test runs a small program in a child process, as a user would, through a
closed :class:`support.Gate` to the emulator (the answer is held), and sends
it SIGINT once the emulator has the request: the child is then inside the
call, and the call cannot have ended yet. Only then does the test let the
answer through (or drop the connection), so nothing timed decides the result.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Tuple

import support
from support import DST

_SRC = str(Path(__file__).resolve().parents[1] / "src")


def run_interrupted(emulator: support.Emulator, body: str, then: str = "open") -> Tuple[int, str, str]:
    """Run ``body`` (with ``client`` made, through a closed gate) in a child;
    SIGINT it once its request reached the emulator, then ``then`` the gate:
    ``"open"`` lets the answer through, ``"drop"`` closes the connection."""
    with support.Gate(emulator.base_url) as gate:
        program = textwrap.dedent(
            f"""
            import signal, sys
            # Python's own SIGINT handler, as in a terminal: a process
            # started in the background (nohup, `&` without job control, some
            # CI runners) inherits SIGINT ignored, and Python then installs
            # no handler at all (Ctrl-C could not reach it).
            signal.signal(signal.SIGINT, signal.default_int_handler)
            sys.path.insert(0, {_SRC!r})
            import ytx
            client = ytx.Client({support.SID!r}, {support.TOKEN!r}, {support.APP!r},
                                base_url={gate.base_url!r}, timeout=300)
            print("calling", flush=True)
            """
        ) + textwrap.dedent(body)
        before = emulator.count()
        child = subprocess.Popen(
            [sys.executable, "-c", program],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(os.environ),
        )
        try:
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "calling"
            # The emulator has the request: the child is in the call, whose
            # answer the gate holds.
            assert emulator.wait_count(before + 1, timeout=60) == before + 1
            child.send_signal(signal.SIGINT)
            if then == "open":
                gate.open()
            else:
                gate.drop()
            out, err = child.communicate(timeout=60)
        finally:
            if child.poll() is None:
                child.kill()
                child.communicate()
    return child.returncode, out, err


def test_ctrl_c_during_an_accepted_call_keeps_the_request_id(emulator: support.Emulator) -> None:
    before = emulator.count()
    rc, out, err = run_interrupted(
        emulator,
        f"""
        try:
            client.callback_call("13800138000", {DST!r}, 61, custom_parm="interrupt-accepted")
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
        client.voice_code({DST!r}, None, "4096")
        print("not interrupted", flush=True)
        """,
    )
    assert rc != 0 and "not interrupted" not in out, (rc, out, err)
    assert re.search(r"ytx\.CallInterrupted: interrupted \(Ctrl-C\) during voice_code, "
                     r"after the call returned: accepted, requestId \d+", err), err


def test_ctrl_c_during_a_call_that_fails_keeps_the_error(emulator: support.Emulator) -> None:
    """The connection lost while waiting for the answer: outcome unknown. The
    interrupt carries the error (its delivery says: resolve before placing it
    again)."""
    rc, out, err = run_interrupted(
        emulator,
        f"""
        try:
            client.callback_call("13800138000", {DST!r}, 61, custom_parm="interrupt-unknown")
        except getattr(ytx, "CallInterrupted", ()) as e:  # () before it existed
            print("interrupted", type(e.error).__name__, e.error.delivery.name, e.result, flush=True)
            # What resolving it needs: the unknown outcome's ticket.
            print("ticket", bool(e.ticket) and e.ticket == e.error.ticket, flush=True)
            sys.exit(3)
        except KeyboardInterrupt:
            print("KeyboardInterrupt without the error", flush=True)
            sys.exit(4)
        """,
        then="drop",
    )
    assert rc == 3, (rc, out, err)
    assert "interrupted TransportError UNKNOWN None" in out, out
    assert "ticket True" in out, out
