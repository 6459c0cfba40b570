"""A receiver for the pushes of ytx.net (状态推送, 话单推送), standard library only.

Point the app's callback URL (in the console; for the emulator,
``ytx-emulator --push-url http://127.0.0.1:8000/``) at it and run::

    python3 push_receiver.py --listen 127.0.0.1:8000

It answers every POST with HTTP 200 at once (the platform only needs to
know the push arrived), then parses the body with ``ytx.parse_push`` and
prints what it learnt. The platform may send a push twice and out of order
(the call record can come before the last state push), so it keeps what it
knows per requestId, ignores a push it already has, and never lets a leg's
state move backwards. Pushes carry no signature: anyone who can reach this
port can forge one, so confirm what matters (billing, "the customer was
reached") with ``client.call_record(request_id)``.

Copy it and replace ``print`` with your own handling (a queue, a database).
"""

from __future__ import annotations

import argparse
import http.server
import threading
from dataclasses import dataclass, field
from typing import Callable, Dict, Optional, Set, Tuple

import ytx

#: A leg's states in the order they happen; a state push never moves a leg back.
ORDER = {s: n for n, s in enumerate(ytx.CallState)}
MAX_BODY = 4 * 1024 * 1024  # the library refuses larger bodies anyway


@dataclass
class Call:
    """What the pushes said about one call."""

    request_id: str
    legs: Dict[str, ytx.CallState] = field(default_factory=dict)  # number -> state
    record: Optional[ytx.CallRecord] = None


class Calls:
    """The calls seen so far, by requestId: idempotent, order-tolerant, thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: Dict[str, Call] = {}
        self._seen: Set[Tuple[str, ...]] = set()

    def get(self, request_id: str) -> Optional[Call]:
        with self._lock:
            return self._calls.get(request_id)

    def apply(self, push: "ytx.StatePush | ytx.RecordPush") -> "list[str]":
        """Take in one push; returns a line for each thing it said."""
        lines = []
        with self._lock:
            if isinstance(push, ytx.StatePush):
                key = ("state", push.request_id, push.number, push.state.value,
                       push.timestamp_text)
                if key in self._seen:
                    return [f"{push.request_id} duplicate state push, ignored"]
                self._seen.add(key)
                call = self._calls.setdefault(push.request_id, Call(push.request_id))
                lines.append(self._state(call, push))
            else:
                for r in push.records:
                    if ("record", r.request_id) in self._seen:
                        lines.append(f"{r.request_id} duplicate record push, ignored")
                        continue
                    self._seen.add(("record", r.request_id))
                    self._calls.setdefault(r.request_id, Call(r.request_id)).record = r
                    amount = r.amount if r.amount is not None else "?"
                    lines.append(f"{r.request_id} record: {r.duration} s, {amount} yuan, "
                                 f"{r.state_desc} (customParm {r.custom_parm})")
        return lines

    @staticmethod
    def _state(call: Call, push: ytx.StatePush) -> str:
        line = f"{push.request_id} {push.number} {push.state.value} {push.timestamp_text}"
        if not isinstance(push.state, ytx.CallState):
            return line + " (unknown state, kept as is)"
        before = call.legs.get(push.number)
        if before is not None and ORDER[before] >= ORDER[push.state]:
            return line + f" (late: the leg is already {before.value})"
        call.legs[push.number] = push.state
        return line


class PushHandler(http.server.BaseHTTPRequestHandler):
    """Answers 200 at once, then parses the push and hands it to ``server.calls``."""

    server: "PushServer"

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(min(length, MAX_BODY + 1))
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")
        self.wfile.flush()  # the platform has its answer; now do the work
        try:
            push = ytx.parse_push(body)
        except ytx.ProtocolError as e:
            self.server.report(f"not a push, ignored: {e}")
            return
        for line in self.server.calls.apply(push):
            self.server.report(line)

    def log_message(self, format: str, *args: object) -> None:
        pass  # one line per push from report() is enough


class PushServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: Tuple[str, int],
                 report: Callable[[str], None] = print) -> None:
        super().__init__(address, PushHandler)
        self.calls = Calls()
        self.report = report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--listen", default="127.0.0.1:8000", help="HOST:PORT (port 0: any)")
    host, _, port = parser.parse_args().listen.rpartition(":")
    with PushServer((host, int(port)), report=lambda line: print(line, flush=True)) as server:
        print(f"receiving pushes on http://{host}:{server.server_address[1]}/", flush=True)
        server.serve_forever()


if __name__ == "__main__":
    main()
