"""The bridge from the library's log hook (``ytx_set_logger``) to :mod:`logging`.

Off by default, and then free: no callback is installed, so a log point in
the library costs one atomic load and Python is never entered.
:func:`enable_logging` installs one module-level ctypes callback in every
loaded library (and in any loaded later); each event becomes a record of the
``ytx`` logger, emitted synchronously on the thread whose call is logged:

=================  ===================
library level      ``logging`` level
=================  ===================
``YTX_LOG_ERROR``  ``logging.ERROR``
``YTX_LOG_WARN``   ``logging.WARNING``
``YTX_LOG_INFO``   ``logging.INFO``
``YTX_LOG_DEBUG``  ``logging.DEBUG``
=================  ===================

Each record carries three ``extra`` fields (attributes of the
:class:`logging.LogRecord`, always set, ``None`` when unknown), for
filters, structured formatters and ``%(request_id)s`` in a format string:

- ``operation``: the binding's method whose library call logged it
  (``"callback_call"``, ``"voice_code"``, ``"prepare_callback_call"``,
  ``"call_record"``, ``"call_records_after"``, ``"find_call"``,
  ``"balance"``, ``"Client"``, ``"parse_push"``): known exactly, since the
  callback runs on the calling thread;
- ``request_id`` and ``status_code``: the platform's requestId and
  statusCode, read from the message (``... -> statusCode 0 requestId ...``,
  ``... -> platform error -203 ...``) when it carries them.

The library never puts the auth token or a Sign in a message. No exception
raised while handling a record (a failing handler or filter) ever reaches the
library: it is reported on ``sys.stderr`` (when ``logging.raiseExceptions``
is true, as ``logging`` itself does) and the call being logged goes on; a
``KeyboardInterrupt`` or ``SystemExit`` is raised again when the call returns.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import traceback
from typing import Any, Dict, Optional, Union

from . import _native

__all__ = ["LOGGER_NAME", "enable_logging", "disable_logging", "logging_level"]

#: The name of the :class:`logging.Logger` the library's events go to.
LOGGER_NAME = "ytx"

_logger = logging.getLogger(LOGGER_NAME)

# ytx_log_level -> logging level.
_YTX_LOG_OFF, _YTX_LOG_ERROR, _YTX_LOG_WARN, _YTX_LOG_INFO, _YTX_LOG_DEBUG = range(5)
_TO_PYTHON = {
    _YTX_LOG_ERROR: logging.ERROR,
    _YTX_LOG_WARN: logging.WARNING,
    _YTX_LOG_INFO: logging.INFO,
    _YTX_LOG_DEBUG: logging.DEBUG,
}

_state_lock = threading.Lock()
#: The library's ``min_level`` while logging is enabled, else None.
_native_level: Optional[int] = None
#: The ``logging`` level given to enable_logging (for logging_level()).
_python_level: Optional[int] = None


class _CallbackState(threading.local):
    """This thread's log-callback state. The class attributes are the
    defaults, so a thread that never logged reads them without an
    ``AttributeError`` being made and caught (``getattr`` with a default
    did that twice per call, about 10% of the binding's own cost)."""

    #: A log callback is running on this thread.
    active: bool = False
    #: A Ctrl-C (or SystemExit) raised in a log handler, to raise once the
    #: library call returns.
    pending: Optional[BaseException] = None


class _OperationState(threading.local):
    """The binding's operation running on this thread (set by _client._invoke)."""

    name: Optional[str] = None


_in_callback = _CallbackState()
_operation = _OperationState()

_REQUEST_ID_RE = re.compile(r"\brequestId (\S+)")
_STATUS_CODE_RE = re.compile(r"-> (?:statusCode|platform error) (\S+)")


def set_operation(name: Optional[str]) -> Optional[str]:
    """Name the operation of this thread's next library calls; returns the
    previous one (to restore)."""
    previous: Optional[str] = _operation.name
    _operation.name = name
    return previous


def _extra(text: str) -> Dict[str, Optional[str]]:
    rid = _REQUEST_ID_RE.search(text)
    code = _STATUS_CODE_RE.search(text)
    return {
        "operation": _operation.name,
        "request_id": rid.group(1) if rid else None,
        "status_code": code.group(1) if code else None,
    }


def _on_log(user_data: Any, level: int, message: Optional[bytes]) -> None:
    """The ``ytx_log_callback``: one library event -> one ``ytx`` record.

    Runs on the thread of the call being logged (ctypes takes the GIL), maybe
    on several threads at once. Nothing may escape it: an exception would be
    printed by ctypes and dropped anyway; here it is reported like a failing
    logging handler, and a KeyboardInterrupt or SystemExit is kept and raised
    again once the library call returns (see take_pending_exit).
    """
    try:
        _in_callback.active = True
        try:
            py_level = _TO_PYTHON.get(level)
            if py_level is None:  # a level added by a newer library
                py_level = logging.DEBUG if level > _YTX_LOG_DEBUG else logging.ERROR
            if _logger.isEnabledFor(py_level):
                text = message.decode("utf-8", "replace") if message else ""
                # no args: a "%" in text is kept as is
                _logger.log(py_level, text, extra=_extra(text))
        finally:
            _in_callback.active = False
    except BaseException as e:  # noqa: B036 - nothing may unwind into C
        try:
            if not isinstance(e, Exception):
                # KeyboardInterrupt, SystemExit: raised again by the binding
                # once the C call has returned (take_pending_exit()).
                _in_callback.pending = e
            elif logging.raiseExceptions and sys.stderr is not None:
                sys.stderr.write("--- ytx: a logging handler failed (the call goes on) ---\n")
                traceback.print_exc(file=sys.stderr)
        except BaseException:  # noqa: B036
            pass


# Made once and kept for the life of the process: the library may call it
# from any thread for as long as it is installed, and keeping it forever
# means no disable/enable interleaving can ever free it too early.
_CALLBACK = _native.ytx_log_callback(_on_log)
_NULL_CALLBACK = _native.ytx_log_callback()


def check_not_in_callback() -> None:
    """Refuse a library call from inside a ``ytx`` log handler (ytx.h: the
    callback must not call into the library)."""
    if _in_callback.active:
        raise RuntimeError(
            "a handler of a ytx log record must not call the ytx library (ytx.h: "
            "the log callback must not call into the library); queue the work instead"
        )


def take_pending_exit() -> Optional[BaseException]:
    """A KeyboardInterrupt/SystemExit a handler raised on this thread during
    the last library call (cleared), for the caller to raise; else None."""
    e: Optional[BaseException] = _in_callback.pending
    if e is not None:
        _in_callback.pending = None
    return e


def _to_native(level: int) -> int:
    """The library's ``min_level`` for a ``logging`` level (NOTSET: everything)."""
    if level <= logging.DEBUG:
        return _YTX_LOG_DEBUG
    if level <= logging.INFO:
        return _YTX_LOG_INFO
    if level <= logging.WARNING:
        return _YTX_LOG_WARN
    if level <= logging.ERROR:
        return _YTX_LOG_ERROR
    return _YTX_LOG_OFF  # CRITICAL and above: the library has no such events


def _install(lib: _native.NativeLibrary, native_level: Optional[int]) -> int:
    if native_level is None or native_level == _YTX_LOG_OFF:
        return int(lib.ytx_set_logger(_NULL_CALLBACK, None, _YTX_LOG_OFF))
    return int(lib.ytx_set_logger(_CALLBACK, None, native_level))


def _on_open(lib: _native.NativeLibrary) -> None:
    """Hook run for each library opened later (under _native._lock)."""
    level = _native_level  # read without _state_lock (see _native._on_open)
    if level is None:
        return
    try:
        _install(lib, level)
    except Exception:  # never let logging break loading the library
        pass


_native._on_open.append(_on_open)


def _check_not_in_callback(what: str) -> None:
    if _in_callback.active:
        raise RuntimeError(
            f"ytx.{what}() was called from a handler of a ytx log record; the library "
            f"forbids changing its logger from inside its log callback"
        )


def _apply(native_level: Optional[int]) -> None:
    """Install (or remove) the callback in every loaded library. Holds _state_lock."""
    for lib in _native.loaded_libraries():
        rc = _install(lib, native_level)
        if rc != 0:
            raise RuntimeError(
                f"ytx_set_logger failed in {lib.path}: {lib.result_name(rc)} ({rc})"
            )


def enable_logging(level: Union[int, str] = logging.INFO) -> None:
    """Send the library's log events to the ``ytx`` :mod:`logging` logger.

    ``level`` is the most verbose ``logging`` level wanted: ``ERROR``
    (transport failures, timeouts, bad answers), ``WARNING`` (also platform
    rejections and invalid arguments), ``INFO`` (also one line per accepted
    request: URL with the Sign redacted, statusCode, requestId, duration) or
    ``DEBUG`` (also each request body, which holds phone numbers). A level
    name (``"DEBUG"``) works too. The ``ytx`` logger's own level and handlers
    still apply as usual; this sets neither.

    Process-wide, like the library's logger: it applies to every loaded
    library and to those loaded later. Calling it again changes the level.
    """
    global _native_level, _python_level
    if isinstance(level, str):
        named = logging.getLevelName(level.upper())
        if not isinstance(named, int):
            raise ValueError(f"level: unknown logging level name {level!r}")
        level = named
    if not isinstance(level, int) or isinstance(level, bool):
        raise TypeError(f"level: must be a logging level (int or name), got "
                        f"{type(level).__name__}")
    _check_not_in_callback("enable_logging")
    with _state_lock:
        _native_level = _to_native(level)
        _python_level = level
        _apply(_native_level)


def disable_logging() -> None:
    """Stop sending log events (the default); idempotent.

    When it returns no thread is still inside the callback, so no ``ytx``
    record is emitted after it.
    """
    global _native_level, _python_level
    _check_not_in_callback("disable_logging")
    with _state_lock:
        _native_level = None
        _python_level = None
        _apply(None)


def logging_level() -> Optional[int]:
    """The level given to :func:`enable_logging`, or None when logging is off."""
    return _python_level
