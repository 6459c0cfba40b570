"""A receiver for the pushes of ytx.net (状态推送, 话单推送), standard library only.

Point the app's callback URL (in the console; for the emulator,
``ytx-emulator --push-url http://127.0.0.1:8000/``) at it and run::

    python3 push_receiver.py --listen 127.0.0.1:8000 [--secret-path /SOME-RANDOM-PATH]

It answers every POST with HTTP 200 at once (the platform only needs to
know the push arrived), then parses the body with ``ytx.parse_push`` and
prints what it learnt. The platform may send a push twice and out of order
(the call record can come before the last state push), so it keeps what it
knows per requestId, ignores a push it already has, and never lets a leg's
state move backwards.

Pushes carry no signature: anyone who finds the URL can send one. So it
follows PROTOCOL.md's "Protecting a receiver":

* a body limit (64 KiB: a record push is a few hundred bytes): a missing,
  negative, malformed or larger ``Content-Length`` is refused at once
  (411 / 400 / 413), before any body is read;
* a read deadline per connection (10 s): a client that sends slowly is cut
  off, and each connection has its own thread (at most ``MAX_CONNECTIONS``),
  so one slow client cannot stop the others;
* routing by the key the platform appends to the URL (``?Call``: a record
  push, ``?CallState``: a state push), by the body's shape without one:
  ``ytx.parse_push(body, self.path)`` holds the rule;
* de-duplication by PROTOCOL.md's keys (a state push by requestid, dsc,
  state and timestamp, never by requestid alone; a record by requestid), in
  bounded memory: the oldest keys and calls are forgotten first;
* optionally an unguessable path (``--secret-path``), compared in constant
  time; any other path gets 404.

Confirm what matters (billing, "the customer was reached") with
``client.call_record(request_id)``. Copy it and replace ``print`` with your
own handling (a queue, a database).
"""

from __future__ import annotations

import argparse
import hmac
import http.server
import socket
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable, Dict, Hashable, Optional, Tuple

import ytx

#: A leg's states in the order they happen; a state push never moves a leg back.
ORDER = {s: n for n, s in enumerate(ytx.CallState)}
MAX_BODY = 64 * 1024  # a record push holds one record: a few hundred bytes
READ_DEADLINE = 10.0  # seconds for a whole request, head and body
MAX_CONNECTIONS = 64  # threads serving at once; more wait in the backlog
MAX_REMEMBERED = 100_000  # de-duplication keys and calls kept (oldest forgotten)


class Bounded(OrderedDict):  # type: ignore[type-arg]
    """A dict that forgets its oldest entries beyond ``limit``."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def __setitem__(self, key: Hashable, value: object) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        while len(self) > self.limit:
            self.popitem(last=False)


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
        self._calls: Dict[str, Call] = Bounded(MAX_REMEMBERED)
        self._seen: Dict[Tuple[str, ...], bool] = Bounded(MAX_REMEMBERED)

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
                self._seen[key] = True
                call = self._call(push.request_id)
                lines.append(self._state(call, push))
            else:
                for r in push.records:
                    if ("record", r.request_id) in self._seen:
                        lines.append(f"{r.request_id} duplicate record push, ignored")
                        continue
                    self._seen[("record", r.request_id)] = True
                    self._call(r.request_id).record = r
                    amount = r.amount if r.amount is not None else "?"
                    lines.append(f"{r.request_id} record: {r.duration} s, {amount} yuan, "
                                 f"{r.state_desc} (customParm {r.custom_parm})")
        return lines

    def _call(self, request_id: str) -> Call:
        call = self._calls.get(request_id)
        if call is None:
            call = self._calls[request_id] = Call(request_id)
        return call

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
    """Checks the request, answers 200 at once, then parses the push."""

    server: "PushServer"
    timeout = READ_DEADLINE  # no single read waits longer than this

    def setup(self) -> None:
        super().setup()
        # The whole request must arrive within READ_DEADLINE: a client that
        # sends a byte now and then is cut off all the same.
        self._answered = False
        self._timer = threading.Timer(READ_DEADLINE, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def _expire(self) -> None:
        if not self._answered:
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def finish(self) -> None:
        self._timer.cancel()
        super().finish()

    def _refuse(self, status: int, why: str) -> None:
        self._answered = True
        self.server.report(f"refused: {status} ({why})")
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

    def do_POST(self) -> None:
        path = self.path.split("?", 1)[0]
        secret = self.server.secret_path
        if secret is not None and not hmac.compare_digest(path.encode(), secret.encode()):
            return self._refuse(404, "wrong path")
        if self.headers.get("Transfer-Encoding"):
            return self._refuse(411, "chunked")
        length_text = self.headers.get("Content-Length")
        if length_text is None:
            return self._refuse(411, "no Content-Length")
        if not length_text.isascii() or not length_text.isdigit():
            return self._refuse(400, "Content-Length not a number")  # "-1" too
        if int(length_text) > MAX_BODY:
            return self._refuse(413, "Content-Length over the limit")
        body = self.rfile.read(int(length_text))
        if len(body) != int(length_text):
            return  # the client went away (or the deadline cut it off)
        self._answered = True
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")
        self.wfile.flush()  # the platform has its answer; now do the work
        try:
            push = ytx.parse_push(body, self.path)  # routed by ?Call / ?CallState
        except ytx.ProtocolError as e:
            self.server.report(f"not a push, ignored: {e}")
            return
        for line in self.server.calls.apply(push):
            self.server.report(line)

    def log_message(self, format: str, *args: object) -> None:
        pass  # one line per push from report() is enough


class PushServer(http.server.ThreadingHTTPServer):
    """One thread per connection, at most ``MAX_CONNECTIONS`` at once."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: Tuple[str, int],
                 report: Callable[[str], None] = print,
                 secret_path: Optional[str] = None) -> None:
        super().__init__(address, PushHandler)
        self.calls = Calls()
        self.report = report
        self.secret_path = secret_path
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)

    def process_request(self, request, client_address) -> None:  # type: ignore[override]
        self._slots.acquire()  # full: the next clients wait in the backlog
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request, client_address) -> None:  # type: ignore[override]
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--listen", default="127.0.0.1:8000", help="HOST:PORT (port 0: any)")
    parser.add_argument("--secret-path", default=None,
                        help="accept pushes only on this path, e.g. /push-<random>")
    args = parser.parse_args()
    host, _, port = args.listen.rpartition(":")
    with PushServer((host, int(port)), report=lambda line: print(line, flush=True),
                    secret_path=args.secret_path) as server:
        path = args.secret_path or "/"
        print(f"receiving pushes on http://{host}:{server.server_address[1]}{path}", flush=True)
        server.serve_forever()


if __name__ == "__main__":
    main()
