"""Shared test helpers: paths, demo credentials, and the emulator process."""

from __future__ import annotations

import json
import os
import select
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

BINDING_DIR = Path(__file__).resolve().parents[1]  # bindings/python
REPO_ROOT = BINDING_DIR.parents[1]
SRC_DIR = BINDING_DIR / "src"

# The emulator's demo configuration (emulator/README.md).
SID = "8a1f0c3e5b7d9f21a4c6e8b0d2f4a6c8"
TOKEN = "5c7e9a1b3d5f7092e4b6c8d0f2a4c6e8"
APP = "ff8080813fc70a7b013fc72312324213"
CALLBACK_ONLY_APP = "ff8080813fc70a7b013fc72300000001"
WRONG_TOKEN = "0" * 32  # well-formed, but not the account's token

SRC = "13800138000"
DST = "01085485069"
DSTCLID = "02160000000"

# Magic dst numbers (emulator/README.md, "Magic dst numbers").
FAULT_SLOW_ANSWER = "19900000001"
FAULT_DROP_CONNECTION = "19900000002"
FAULT_HTTP_500 = "19900000003"
FAULT_NOT_JSON = "19900000004"
FAULT_TRUNCATED_JSON = "19900000005"
FAULT_NO_STATUS_CODE = "19900000006"
FAULT_NUMERIC_STATUS_CODE = "19900000007"
FAULT_HUGE_BODY = "19900000008"
FAULT_NOT_UTF8 = "19900000009"
FAULT_HTTP_502 = "19900000011"
FAULT_RESET_MID_BODY = "19900000012"


# Magic numbers of a call's life (emulator --help, ytx_emulator::CALL_*).
CALL_FIRST_LEG_NO_ANSWER = "19900002001"  # as src
CALL_SECOND_LEG_BUSY = "19900002002"
CALL_DUPLICATE_PUSHES = "19900002003"
CALL_OUT_OF_ORDER_PUSHES = "19900002004"
CALL_SECOND_LEG_NO_ANSWER = "19900002005"
FID_VOICE_CODE = "9"  # the emulator's choice (the platform's is not known)


def platform_code_dst(n: int) -> str:
    """The dst that makes the emulator answer statusCode ``-n``."""
    return f"19900001{n:03d}"


def library_path() -> str:
    return os.environ.get("YTX_LIBRARY") or str(REPO_ROOT / "target" / "debug" / "libytx.so")


def emulator_path() -> str:
    return os.environ.get("YTX_EMULATOR") or str(REPO_ROOT / "target" / "debug" / "ytx-emulator")


class Emulator:
    """A running ``ytx-emulator`` process and its control endpoints."""

    def __init__(self, binary: str, slow_secs: int = 5, extra_args: Sequence[str] = ()) -> None:
        if not os.path.exists(binary):
            raise RuntimeError(
                f"ytx-emulator not found at {binary}: run `cargo build --workspace` "
                f"or set YTX_EMULATOR"
            )
        self.proc = subprocess.Popen(
            [binary, "--listen", "127.0.0.1:0", "--exit-on-stdin-eof",
             "--slow-secs", str(slow_secs), *extra_args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], 15)
        line = self.proc.stdout.readline().decode() if ready else ""
        prefix = "ytx-emulator listening on "
        if not line.startswith(prefix):
            self.stop()
            raise RuntimeError(f"ytx-emulator did not start (first line: {line!r})")
        self.base_url = line[len(prefix):].strip()

    def _get(self, path: str, method: str = "GET") -> Any:
        req = urllib.request.Request(self.base_url + path, method=method,
                                     data=b"" if method == "POST" else None)
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def count(self) -> int:
        return int(self._get("/_emulator/count")["count"])

    def requests(self) -> List[Dict[str, Any]]:
        return list(self._get("/_emulator/requests"))

    def records(self) -> List[Dict[str, Any]]:
        """The calls the emulator placed, each with the ``cdr`` it serves."""
        return list(self._get("/_emulator/records")["records"])

    def pushes(self) -> List[Dict[str, Any]]:
        return list(self._get("/_emulator/pushes"))

    def reset(self) -> None:
        self._get("/_emulator/reset", method="POST")

    def wait_count(self, expected: int, timeout: float = 30.0) -> int:
        """The count, waiting for requests still arriving to reach it (the
        deadline only bounds a request that never comes)."""
        deadline = time.monotonic() + timeout
        n = self.count()
        while n < expected and time.monotonic() < deadline:
            time.sleep(0.02)
            n = self.count()
        return n

    def stop(self) -> None:
        if self.proc.stdin is not None:
            try:
                self.proc.stdin.close()  # --exit-on-stdin-eof
            except OSError:
                pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


class Gate:
    """A TCP relay to ``base_url`` that passes every request on at once and
    holds every answer until :meth:`open`. A call through a closed gate
    cannot end by its answer, however loaded the machine: only its own
    timeout, an interrupt, or :meth:`drop` ends it; the emulator's request
    count shows when it was sent. Use it as a context manager."""

    def __init__(self, base_url: str) -> None:
        target = urllib.parse.urlsplit(base_url)
        self._target = (target.hostname or "127.0.0.1", target.port or 80)
        self._open = threading.Event()
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._sockets: List[socket.socket] = []
        self._listener = socket.create_server(("127.0.0.1", 0))  # port 0: no race for a port
        self.base_url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._thread = threading.Thread(target=self._accept, daemon=True, name="gate-accept")
        self._thread.start()

    def open(self) -> None:
        """Let the held answers and every later one through."""
        self._open.set()

    def drop(self) -> None:
        """Close every connection: the answers held are lost (outcome unknown)."""
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for s in sockets:
            _end(s)

    def close(self) -> None:
        self._closed.set()
        _end(self._listener)
        self.drop()
        self._thread.join(5)

    def __enter__(self) -> "Gate":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            try:
                server = socket.create_connection(self._target, timeout=10)
                server.settimeout(None)
            except OSError:
                _end(client)
                continue
            with self._lock:
                if self._closed.is_set():
                    _end(client)
                    _end(server)
                    return
                self._sockets += [client, server]
            for src, dst, answers in ((client, server, False), (server, client, True)):
                threading.Thread(target=self._pump, args=(src, dst, answers), daemon=True,
                                 name="gate-answers" if answers else "gate-requests").start()

    def _pump(self, src: socket.socket, dst: socket.socket, answers: bool) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if answers:
                    while not self._open.wait(0.05):
                        if self._closed.is_set():
                            return
                dst.sendall(data)
        except OSError:
            pass
        finally:
            _end(src)  # one side ended: so does the other
            _end(dst)


def _end(s: socket.socket) -> None:
    """Shut ``s`` down (waking a blocked recv in another thread), then close it."""
    try:
        s.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    s.close()


EXAMPLES_DIR = BINDING_DIR / "examples"


def load_example(name: str) -> Any:
    """Import ``bindings/python/examples/<name>.py`` as a module."""
    import importlib.util

    path = EXAMPLES_DIR / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"ytx_example_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def run_python(code: str, env: Optional[Dict[str, str]] = None, cwd: Optional[str] = None
               ) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter with the package on sys.path."""
    full_env = dict(os.environ)
    full_env.pop("YTX_LIBRARY", None)
    full_env.pop("LD_LIBRARY_PATH", None)
    full_env["PYTHONPATH"] = str(SRC_DIR)
    if env:
        full_env.update(env)
    return subprocess.run([sys.executable, "-c", code], env=full_env, cwd=cwd,
                          capture_output=True, text=True, timeout=60)


def count_crossings(lib, monkeypatch) -> list:
    """Wrap every ``ytx_*`` function of the loaded library ``lib`` (for the
    test's duration) so that each call appends its name to the list
    returned: how many times Python crosses into the library."""
    crossings: list = []
    for name in [n for n in vars(lib) if n.startswith("ytx_")]:
        def counting(*args, _fn=getattr(lib, name), _name=name):
            crossings.append(_name)
            return _fn(*args)
        monkeypatch.setattr(lib, name, counting)
    return crossings
