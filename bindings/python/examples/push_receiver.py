"""A receiver for the pushes of ytx.net (状态推送, 话单推送) that feeds a ``ytx.Tracker``.

Point the app's callback URL (in the console; for the emulator,
``ytx-emulator --push-url http://127.0.0.1:8000/``) at it and run::

    export YTX_ACCOUNT_SID=... YTX_AUTH_TOKEN=... YTX_APP_ID=...  # [YTX_BASE_URL=...]
    python3 push_receiver.py --listen 127.0.0.1:8000 [--secret-path /SOME-RANDOM-PATH]

It hands every push to a :class:`ytx.Tracker` and answers the status the
tracker returns at once (200 for anything that is JSON, 400 for a body that
is not); the tracker never touches the network there. A second thread takes
the tracker's events and prints one line each: a leg's state (de-duplicated,
in order), a call *completed* with its record confirmed by the signed query
(exactly once), an *outcome unknown* resolved, a call *overdue*, a push that
matches no watched call (*unrecognised*: forged, or for another app). No
de-duplication table, no ordering, no "is this push genuine?" by hand: the
library holds those rules (PROTOCOL.md).

Which calls it watches: in your application, make the tracker on the client
that places the calls (every callback call it places is tracked). This
standalone program places none: it watches the requestIds it reads on stdin,
one a line (or a line of ``tracker.pending()`` JSON, kept over a restart).

Pushes carry no signature: anyone who finds the URL can send one. So it
follows PROTOCOL.md's "Protecting a receiver":

* a body limit (64 KiB: a record push is a few hundred bytes): a missing,
  negative, malformed or larger ``Content-Length`` is refused at once
  (411 / 400 / 413), before any body is read;
* a read deadline per connection (10 s): a client that sends slowly is cut
  off, and each connection has its own thread (at most ``MAX_CONNECTIONS``),
  so one slow client cannot stop the others;
* routing by the key the platform appends to the URL (``?Call``: a record
  push, ``?CallState``: a state push; ``?SMS`` is not a call's): the tracker
  takes ``self.path`` and holds the rule;
* optionally an unguessable path (``--secret-path``), compared in constant
  time; any other path gets 404.

Copy it and replace ``print`` with your own handling (a queue, a database).
"""

from __future__ import annotations

import argparse
import hmac
import http.server
import os
import socket
import sys
import threading
from typing import Callable, Optional, Tuple

import ytx

MAX_BODY = 64 * 1024  # a record push holds one record: a few hundred bytes
READ_DEADLINE = 10.0  # seconds for a whole request, head and body
MAX_CONNECTIONS = 64  # threads serving at once; more wait in the backlog


def describe(event: ytx.Event) -> str:
    """One line for an event of the tracker."""
    rid, kind = event.request_id, event.kind
    if kind is ytx.EventKind.LEG_STATE:
        assert event.state is not None
        return f"{rid} {event.leg or '?'} {event.number} {event.state.value} {event.timestamp}"
    if kind in (ytx.EventKind.COMPLETED, ytx.EventKind.RESOLVED) and event.record is not None:
        r = event.record
        amount = r.amount if r.amount is not None else "?"
        what = "completed" if kind is ytx.EventKind.COMPLETED else "resolved: placed"
        checked = "verified" if event.verified else "from the push"
        return (f"{r.request_id} {what}: {r.duration} s, {amount} yuan, {r.state_desc} "
                f"(customParm {r.custom_parm}, {checked})")
    if kind is ytx.EventKind.RESOLVED:
        return f"customParm {event.custom_parm} resolved: not placed ({event.reason})"
    if kind is ytx.EventKind.OVERDUE:
        return f"{rid or event.custom_parm} overdue: {event.reason}"
    return f"unrecognised push ignored: {event.reason}"


def report_events(tracker: ytx.Tracker, report: Callable[[str], None] = print) -> None:
    """Take the tracker's events until it is closed; one line each."""
    for event in tracker:
        report(describe(event))


class PushHandler(http.server.BaseHTTPRequestHandler):
    """Checks the request, hands the push to the tracker, answers its status."""

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
        status = self.server.tracker.on_push(body, self.path)  # at once: no network
        if status != 200:
            self.server.report(f"answered {status}: not JSON")
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok" if status == 200 else b"no")

    def log_message(self, format: str, *args: object) -> None:
        pass  # the tracker's events are the report


class PushServer(http.server.ThreadingHTTPServer):
    """One thread per connection, at most ``MAX_CONNECTIONS`` at once."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: Tuple[str, int], tracker: ytx.Tracker,
                 report: Callable[[str], None] = print,
                 secret_path: Optional[str] = None) -> None:
        super().__init__(address, PushHandler)
        self.tracker = tracker
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


def watch_stdin(tracker: ytx.Tracker) -> None:
    """Watch the calls named on stdin: a requestId, or a pending() JSON line."""
    for line in sys.stdin:
        line = line.strip()
        try:
            if line.startswith("{"):
                tracker.restore(line)
            elif line:
                tracker.track(line)
        except ytx.InvalidArgument as e:
            print(f"not watched: {e}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--listen", default="127.0.0.1:8000", help="HOST:PORT (port 0: any)")
    parser.add_argument("--secret-path", default=None,
                        help="accept pushes only on this path, e.g. /push-<random>")
    args = parser.parse_args()
    host, _, port = args.listen.rpartition(":")
    env = os.environ
    extra = {"base_url": env["YTX_BASE_URL"]} if env.get("YTX_BASE_URL") else {}
    report = lambda line: print(line, flush=True)  # noqa: E731
    with ytx.Client(env["YTX_ACCOUNT_SID"], env["YTX_AUTH_TOKEN"], env["YTX_APP_ID"],
                    **extra) as client, ytx.Tracker(client) as tracker:
        threading.Thread(target=report_events, args=(tracker, report), daemon=True).start()
        threading.Thread(target=watch_stdin, args=(tracker,), daemon=True).start()
        with PushServer((host, int(port)), tracker, report=report,
                        secret_path=args.secret_path) as server:
            path = args.secret_path or "/"
            report(f"receiving pushes on http://{host}:{server.server_address[1]}{path}")
            server.serve_forever()


if __name__ == "__main__":
    main()
