"""``ytx.Client``: the platform operations, over the C ABI; and ``ytx.parse_push``."""

from __future__ import annotations

import ctypes
import math
import os
import signal
import threading
import weakref
from dataclasses import dataclass, field as dc_field
from enum import IntEnum
from typing import (
    Annotated,
    Any,
    Callable,
    Dict,
    List,
    Mapping,
    Optional,
    Tuple,
    TypedDict,
    TypeVar,
    Union,
    Unpack,
    get_args,
    get_origin,
    get_type_hints,
)

from . import _logging, _native, _records, _resolve

try:
    # The C functions behind ``signal.signal`` and ``signal.getsignal``: the
    # wrappers convert every handler to and from ``signal.Handlers``, which
    # for a Python function handler means a failed enum lookup each time
    # (about 4 µs a call in CPython 3.11, three per placed call here). Same
    # arguments and results for the handlers this module passes.
    import _signal as _raw_signal
except ImportError:  # pragma: no cover - an interpreter without it
    _raw_signal = signal  # type: ignore[assignment]
from ._errors import (
    CallInterrupted,
    ClientClosed,
    Delivery,
    InternalError,
    InvalidArgument,
    InvalidArgumentType,
    InvalidHandle,
    PlatformError,
    ProtocolError,
    ResultCode,
    Timeout,
    TransportError,
    YtxError,
)

__all__ = [
    "Client", "Accepted", "PreparedRequest", "RingbackType", "CallbackOptions", "parse_push",
]

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1
_UINT32_MAX = 2**32 - 1

# The library's words for values the C types cannot carry (a test checks
# each against the library's own message for an out-of-range value).
_TIMES_RULE = "must be 1, 2 or 3 plays"
_CREDIT_RULE = "must be a whole number of seconds greater than 60 and at most 4294967295"
_LIMIT_RULE = "must be at most 1000"

PathLike = Union[str, "os.PathLike[str]"]


class RingbackType(IntEnum):
    """What the first leg hears while the second leg rings (``ringbacktype``)."""

    #: 1: the second leg's own ringback, passed through.
    PASS_THROUGH = 1
    #: 2: the platform's ringback tone.
    SYSTEM = 2
    #: 3: the file given as ``custom_hint_file``.
    CUSTOM = 3


@dataclass(frozen=True)
class Accepted:
    """The platform accepted the request (statusCode ``"0"``).

    ``request_id`` is the platform's id for it: an opaque string (29 digits
    on the real platform, more than a 64-bit integer holds).
    """

    request_id: str
    status_code: str
    status_msg: str


@dataclass(frozen=True)
class PreparedRequest:
    """A signed request that a dry run built and did not send.

    ``url`` carries the real ``Sign``: a credential for the platform's
    timestamp window, so do not log it. ``repr()`` and ``str()`` redact it.
    """

    method: str
    url: str
    headers: Dict[str, str] = dc_field(default_factory=dict)
    body: str = ""
    #: ``url`` with the Sign value replaced by ``<redacted>``: the library's
    #: one redaction (``ytx_outcome_request_url_redacted``), for logs.
    redacted_url: str = dc_field(default="", compare=False)

    def __repr__(self) -> str:
        return (
            f"PreparedRequest(method={self.method!r}, url={self.redacted_url!r}, "
            f"headers={self.headers!r}, body={self.body!r})"
        )

    __str__ = __repr__


# --- arguments: Python values -> C ----------------------------------------------


def _label(field: str) -> str:
    """How a message names a parameter: ``times (time)`` when the library's
    (wire) name differs, as in the library's own errors (see :func:`_error`)."""
    wire = _WIRE_NAMES.get(field)
    return f"{field} ({wire})" if wire else field


def _type_error(field: str, expected: str, value: object) -> InvalidArgumentType:
    # Only the type is named, never the value (it may be the auth token).
    code = ResultCode.NULL_ARGUMENT if value is None else ResultCode.INVALID_ARGUMENT
    return InvalidArgumentType(
        f"{_label(field)}: must be {expected}, got {type(value).__name__}",
        field=field,
        code=code,
    )


def _text(field: str, value: object) -> bytes:
    """A str as NUL-terminated-safe UTF-8 bytes, or an error naming the field."""
    if not isinstance(value, str):
        raise _type_error(field, "a str", value)
    try:
        data = value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidArgument(
            f"{_label(field)}: is not valid Unicode text (it contains a lone surrogate)",
            field=field,
            code=ResultCode.INVALID_UTF8,
        ) from None
    if b"\x00" in data:
        raise InvalidArgument(
            f"{_label(field)}: must not contain a NUL character (\\x00)", field=field
        )
    return data


def _integer(field: str, value: object, lo: int, hi: int, rule: str) -> int:
    """An int (not a bool) that fits the C type; the library checks its value."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise _type_error(field, "an int", value)
    n = int(value)
    if not lo <= n <= hi:
        raise InvalidArgument(f"{_label(field)}: {rule}, got {n}", field=field)
    return n


def _seconds_to_ms(field: str, value: object) -> int:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise _type_error(field, "a number of seconds (int or float)", value)
    seconds = float(value)
    if not math.isfinite(seconds) or seconds <= 0 or seconds > 1e9:
        raise InvalidArgument(
            f"{field}: must be a number of seconds greater than 0 (and at most 1e9), "
            f"got {value!r}",
            field=field,
        )
    return max(1, round(seconds * 1000))


#: ``c_char_p * n`` by n: the array types :func:`_options` makes, kept (made
#: once per length instead of looked up through ctypes' type cache per call).
_CHAR_P_ARRAYS: Dict[int, Any] = {}
#: The name arrays :func:`_options` made, by their names: the names come from
#: the binding's own tables, so a program uses a few combinations, each made
#: once (the library only reads them). At most _MAX_NAME_ARRAYS are kept.
_NAME_ARRAYS: Dict[Tuple[bytes, ...], Any] = {}
_MAX_NAME_ARRAYS = 256


def _options(pairs: List[Tuple[bytes, bytes]]) -> Tuple[Any, Any, int]:
    """``const char *const *`` name and value arrays for ``pairs``."""
    n = len(pairs)
    if n == 0:
        return None, None, 0
    array = _CHAR_P_ARRAYS.get(n)
    if array is None:
        array = _CHAR_P_ARRAYS.setdefault(n, ctypes.c_char_p * n)
    keys, data = zip(*pairs)
    names = _NAME_ARRAYS.get(keys)
    if names is None:
        names = array(*keys)
        if len(_NAME_ARRAYS) < _MAX_NAME_ARRAYS:
            names = _NAME_ARRAYS.setdefault(keys, names)
    return names, array(*data), n


class _Wire:
    """``Annotated`` metadata: the field's wire name (what the library takes)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"wire name {self.name!r}"


class CallbackOptions(TypedDict, total=False):
    """The optional fields of a two-way callback call, written once.

    The keywords of :meth:`Client.callback_call`,
    :meth:`Client.prepare_callback_call` and their :class:`ytx.AsyncClient`
    twins; a dict of this type can be passed as ``**options``. Each is sent
    only when given (``None`` counts as not given). In the platform's (wire)
    order, which a test checks against the library's list
    (``ytx_callback_option_name``); the library checks every value.
    """

    #: ``customParm``: your own text, sent back in pushes and records (give
    #: each call a unique one: it is how :meth:`Client.find_call` finds it).
    custom_parm: Annotated[str, _Wire("customParm")]
    #: ``srcclid``: the caller id the first leg (src) sees.
    src_clid: Annotated[str, _Wire("srcclid")]
    #: ``dstclid``: the caller id the second leg (dst) sees.
    dst_clid: Annotated[str, _Wire("dstclid")]
    #: ``srctimeout``: seconds the first leg rings.
    src_timeout: Annotated[int, _Wire("srctimeout")]
    #: ``dsttimeout``: seconds the second leg rings.
    dst_timeout: Annotated[int, _Wire("dsttimeout")]
    #: ``srchintfile``: the prompt played to the first leg.
    src_hint_file: Annotated[str, _Wire("srchintfile")]
    #: ``dsthintfile``: the prompt played to the second leg.
    dst_hint_file: Annotated[str, _Wire("dsthintfile")]
    #: ``ringbacktype``: what the first leg hears while the second rings.
    ringback_type: Annotated["RingbackType", _Wire("ringbacktype")]
    #: ``customhintfile``: the ringback file for :attr:`RingbackType.CUSTOM`.
    custom_hint_file: Annotated[str, _Wire("customhintfile")]
    #: ``dstfailhintfile``: played to the first leg when the second fails.
    dst_fail_hint_file: Annotated[str, _Wire("dstfailhintfile")]
    #: ``srcthreshold``: seconds before the end when the first leg is warned.
    src_threshold: Annotated[int, _Wire("srcthreshold")]
    #: ``dstthreshold``: the same for the second leg.
    dst_threshold: Annotated[int, _Wire("dstthreshold")]
    #: ``srcthresholdfile``: the warning played to the first leg.
    src_threshold_file: Annotated[str, _Wire("srcthresholdfile")]
    #: ``dstthresholdfile``: the warning played to the second leg.
    dst_threshold_file: Annotated[str, _Wire("dstthresholdfile")]
    #: ``iscallstatuscheck``: ask the platform to check the numbers' state.
    call_status_check: Annotated[bool, _Wire("iscallstatuscheck")]


def _option_table() -> Dict[str, Tuple[str, str]]:
    """Python keyword -> (wire name, kind), from :class:`CallbackOptions`."""
    table: Dict[str, Tuple[str, str]] = {}
    for param, hint in get_type_hints(CallbackOptions, include_extras=True).items():
        assert get_origin(hint) is Annotated, param
        typ, wire = get_args(hint)[0], get_args(hint)[1]
        kind = "bool" if typ is bool else "text" if typ is str else "int"
        table[param] = (wire.name, kind)
    return table


# Callback options: Python keyword -> (wire name, kind), in wire order.
_CALLBACK_OPTIONS: Dict[str, Tuple[str, str]] = _option_table()
# The same with the wire name as the bytes the library is given (encoded once).
_CALLBACK_OPTION_BYTES: Dict[str, Tuple[bytes, str]] = {
    param: (wire.encode("ascii"), kind) for param, (wire, kind) in _CALLBACK_OPTIONS.items()
}

# Client keywords -> (the library's option name, kind); a test checks the
# names against ytx_client_option_name.
_CLIENT_OPTIONS: Dict[str, Tuple[str, str]] = {
    "environment": ("environment", "text"),
    "base_url": ("base_url", "text"),
    "timeout": ("timeout_ms", "seconds"),
    "connect_timeout": ("connect_timeout_ms", "seconds"),
    "proxy": ("proxy", "text"),
    "env_proxy": ("env_proxy", "bool"),
    "ca_file": ("ca_file", "path"),
    "pool_idle_timeout": ("pool_idle_timeout_ms", "seconds"),
    "callback_func_url": ("callback_func_url", "text"),
    "callback_action": ("callback_action", "text"),
    "voice_code_func_url": ("voice_code_func_url", "text"),
    "voice_code_action": ("voice_code_action", "text"),
    "max_retries": ("max_retries", "int"),
    "retry_budget": ("retry_budget_ms", "seconds"),
    "retry_backoff": ("retry_backoff_ms", "seconds"),
    "auto_custom_parm": ("auto_custom_parm", "bool"),
}


def _client_value(param: str, value: object) -> bytes:
    kind = _CLIENT_OPTIONS[param][1]
    if kind == "seconds":
        return str(_seconds_to_ms(param, value)).encode("ascii")
    if kind == "bool":
        if not isinstance(value, bool):
            raise _type_error(param, "a bool", value)
        return b"1" if value else b"0"
    if kind == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            raise _type_error(param, "an int", value)
        return str(int(value)).encode("ascii")
    if kind == "path" and isinstance(value, os.PathLike):
        value = os.fspath(value)
    return _text(param, value)


# The library names fields as the C API / the wire does; these map them back
# to this binding's parameter names (anything absent is the same in both).
_CLIENT_FIELDS = {name: param for param, (name, _) in _CLIENT_OPTIONS.items() if name != param}
_CALLBACK_FIELDS = {wire: param for param, (wire, _) in _CALLBACK_OPTIONS.items()}
_VOICE_CODE_FIELDS = {"time": "times"}
# The record queries: the library names the requestId by its wire name.
_RECORD_FIELDS = {"lastresid": "request_id"}
_FIND_CALL_FIELDS = {"lastresid": "after_request_id", "customParm": "custom_parm"}
# Parameter -> the library's (wire) name, where they differ.
_WIRE_NAMES: Dict[str, str] = {
    param: wire for param, (wire, _) in _CALLBACK_OPTIONS.items() if param != wire
}
_WIRE_NAMES.update({param: wire for wire, param in _VOICE_CODE_FIELDS.items()})


def _callback_pairs(method: str, options: Mapping[str, object]) -> List[Tuple[bytes, bytes]]:
    pairs: List[Tuple[bytes, bytes]] = []
    for param, value in options.items():
        option = _CALLBACK_OPTION_BYTES.get(param)
        if option is None:  # as Python says it for a keyword it does not know
            raise TypeError(f"{method}() got an unexpected keyword argument {param!r}")
        if value is None:
            continue
        wire, kind = option
        if kind == "text":
            data = _text(param, value)
        elif kind == "int":
            if not isinstance(value, int) or isinstance(value, bool):
                raise _type_error(param, "an int", value)
            data = str(int(value)).encode("ascii")
        else:  # bool
            if not isinstance(value, bool):
                raise _type_error(param, "a bool", value)
            data = b"1" if value else b"0"
        pairs.append((wire, data))
    return pairs


# --- outcomes: C -> Python ---------------------------------------------------------


@dataclass(slots=True)
class _Outcome:
    """What one call's ``ytx_outcome`` said, copied out before it is freed.

    Internal and never changed after :func:`_read` made it; not ``frozen``
    because a frozen dataclass sets each of its fields through
    ``object.__setattr__``, which made it a tenth of the binding's own cost
    per call.
    """

    result: int
    delivery: int = Delivery.NOT_SENT
    message: str = ""
    field: str = ""
    status_code: str = ""
    status_msg: str = ""
    request_id: str = ""
    http_status: int = 0
    #: Seconds to wait before sending again when the library says the
    #: request may be sent again (``ytx_outcome_retry_safe``), else ``None``.
    retry_after: Optional[float] = None
    request: Optional[PreparedRequest] = None
    ticket: str = ""


def _parse_headers(text: str) -> Dict[str, str]:
    headers: Dict[str, str] = {}
    for line in text.splitlines():
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip()] = value.strip()
    return headers


_OutcomeView = _native.ytx_outcome_view
#: ``ResultCode.OK`` as a plain int: an enum member lookup costs as much as
#: reading three fields of the view.
_OK = int(ResultCode.OK)


def _read(lib: _native.NativeLibrary, out: Any, rc: int, want_request: bool) -> _Outcome:
    """Copy what is needed out of a live outcome (all strings are copies).

    One crossing (``ytx_outcome_view_of``) for everything but the request;
    a dry run reads only the request, through its own accessors. The view's
    strings are never NULL (ytx.h); ctypes copies each to ``bytes`` when it
    is read, before the outcome is freed.
    """
    if want_request and rc == _OK:
        return _Outcome(
            result=rc,
            request=PreparedRequest(
                method=lib.ytx_outcome_request_method(out),
                url=lib.ytx_outcome_request_url(out),
                redacted_url=lib.ytx_outcome_request_url_redacted(out),
                headers=_parse_headers(lib.ytx_outcome_request_headers(out)),
                body=lib.ytx_outcome_request_body(out),
            ),
        )
    view = _OutcomeView()
    got = lib.ytx_outcome_view_of(out, view)  # ctypes passes the struct by reference
    if got != _OK:  # pragma: no cover - ytx.h: YTX_OK for a live outcome
        raise InternalError(
            f"ytx_outcome_view_of returned {got} (a bug; please report it)",
            code=ResultCode.PANIC,
            delivery=Delivery.UNKNOWN,
        )
    # Positional, in _Outcome's field order (keywords cost a third more).
    if rc == _OK:
        return _Outcome(
            rc, view.delivery, "", "",
            view.status_code.decode("utf-8", "replace"),
            view.status_msg.decode("utf-8", "replace"),
            view.request_id.decode("utf-8", "replace"),
        )
    return _Outcome(
        rc,
        view.delivery,
        view.message.decode("utf-8", "replace"),
        view.field.decode("utf-8", "replace"),
        view.status_code.decode("utf-8", "replace"),
        view.status_msg.decode("utf-8", "replace"),
        view.request_id.decode("utf-8", "replace"),
        view.http_status,
        view.retry_after_ms / 1000.0 if view.retry_safe else None,
        None,
        view.ticket.decode("utf-8", "replace"),
    )


_IN_CALLBACK = _logging._in_callback
_OPERATION = _logging._operation
_byref = ctypes.byref


def _invoke(
    lib: _native.NativeLibrary,
    fn: Callable[..., int],
    args: Tuple[Any, ...],
    want_request: bool = False,
    operation: Optional[str] = None,
) -> _Outcome:
    """Call ``fn(*args, &outcome)``; read the outcome and free it exactly once.

    ``operation`` names the binding's method in the log records the call
    emits (their ``operation`` extra field).

    ``args`` (and the bytes and arrays in it) stay referenced here for the
    whole call. The GIL is released while the C function runs.
    """
    # _logging's check_not_in_callback, set_operation and take_pending_exit,
    # inlined on their thread-locals: this runs once per call.
    if _IN_CALLBACK.active:
        _logging.check_not_in_callback()  # raises
    out = _native.ytx_outcome_p()
    previous = _OPERATION.name
    _OPERATION.name = operation
    try:
        try:
            rc = fn(*args, _byref(out))
        finally:
            _OPERATION.name = previous
        if _IN_CALLBACK.pending is not None:
            # Ctrl-C in a log handler: cannot unwind through C
            raise _logging.take_pending_exit()  # type: ignore[misc]
        if not out:  # ytx.h: always set when outcome_out is not NULL
            raise InternalError(
                f"the library returned {rc} without an outcome (a bug; please report it)",
                code=ResultCode.PANIC,
                delivery=Delivery.UNKNOWN,
            )
        return _read(lib, out, rc, want_request)
    finally:
        if out:
            lib.ytx_outcome_free(out)


_T = TypeVar("_T")
_SIGINT = int(signal.SIGINT)
_DEFAULT_INT_HANDLER = signal.default_int_handler


def _keep_on_interrupt(operation: str, call: Callable[[], _T]) -> _T:
    """Run ``call``, a call that places something, so that Ctrl-C loses nothing.

    A C call cannot be stopped half-way (the request may be on the wire), so
    SIGINT only takes effect once it returns; Python would then raise
    KeyboardInterrupt and the call's result (an accepted requestId, or the
    error of an outcome unknown) would be lost. While ``call`` runs on the
    main thread with Python's default SIGINT handler, a Ctrl-C is noted
    instead, and raised once the call has returned, as
    :class:`ytx.CallInterrupted` carrying the result or the error. Other
    threads never receive KeyboardInterrupt, and a program's own SIGINT
    handler is left alone.
    """
    if (threading.current_thread() is not threading.main_thread()
            or _raw_signal.getsignal(_SIGINT) is not _DEFAULT_INT_HANDLER):
        return call()
    interrupted: List[int] = []

    def note(signum: int, frame: object) -> None:
        interrupted.append(signum)

    previous = _raw_signal.signal(_SIGINT, note)
    try:
        try:
            value = call()
        finally:
            # CPython runs the handlers of signals already received before
            # signal.signal swaps the handler, so every Ctrl-C that arrived
            # during the call has reached `note` once this returns.
            _raw_signal.signal(_SIGINT, previous)
    except BaseException as e:
        if interrupted:
            raise CallInterrupted(operation, error=e) from e
        raise
    if interrupted:
        raise CallInterrupted(operation, result=value)
    return value


def _error(o: _Outcome, fields: Mapping[str, str]) -> YtxError:
    """The exception for a failed call's outcome, with the library's retry advice
    and, for an outcome unknown, its ticket."""
    e = _error_of_kind(o, fields)
    e.retry_after = o.retry_after
    e.ticket = o.ticket or None
    return e


def _error_of_kind(o: _Outcome, fields: Mapping[str, str]) -> YtxError:
    rc, msg = o.result, o.message or f"ytx call failed with code {o.result}"
    if rc in (ResultCode.NULL_ARGUMENT, ResultCode.INVALID_UTF8, ResultCode.INVALID_ARGUMENT):
        field = fields.get(o.field, o.field)
        if field != o.field and msg.startswith(o.field + ":"):
            msg = f"{field} ({o.field}){msg[len(o.field):]}"
        return InvalidArgument(msg, field=field, code=rc, delivery=o.delivery)
    if rc == ResultCode.INVALID_HANDLE:
        return InvalidHandle(msg, code=rc, delivery=o.delivery)
    if rc == ResultCode.TIMEOUT:
        return Timeout(msg, code=rc, delivery=o.delivery)
    if rc in (ResultCode.NOT_SENT, ResultCode.OUTCOME_UNKNOWN):
        return TransportError(msg, code=rc, delivery=o.delivery)
    if rc in (ResultCode.HTTP_STATUS, ResultCode.PROTOCOL):
        return ProtocolError(
            msg, code=rc, delivery=o.delivery, http_status=o.http_status or None
        )
    if rc == ResultCode.PLATFORM:
        return PlatformError(
            msg,
            status_code=o.status_code,
            status_msg=o.status_msg,
            request_id=o.request_id,
            delivery=o.delivery,
        )
    if rc == ResultCode.PANIC:
        return InternalError(msg, code=rc, delivery=o.delivery)
    return YtxError(msg, code=rc, delivery=o.delivery)


def _prepared(o: _Outcome) -> PreparedRequest:
    if o.request is None:  # pragma: no cover - _read always sets it for a dry run
        raise InternalError("a dry run returned no request (a bug; please report it)",
                            code=ResultCode.PANIC)
    return o.request


def _client_base_url(lib: _native.NativeLibrary, handle: Any) -> str:
    """The library's effective base URL of a client (``ytx_client_base_url``)."""
    size = 256
    while True:
        buf = ctypes.create_string_buffer(size)
        n = int(lib.ytx_client_base_url(handle, buf, size))
        if n < size:
            return buf.value.decode("utf-8", "replace")
        size = n + 1


# C function -> the binding's method (the ``operation`` of its log records).
_OPERATIONS = {
    "ytx_callback_call": "callback_call",
    "ytx_callback_prepare": "prepare_callback_call",
    "ytx_voice_code": "voice_code",
    "ytx_voice_code_prepare": "prepare_voice_code",
    "ytx_call_record": "call_record",
    "ytx_call_records_after": "call_records_after",
    "ytx_find_call": "find_call",
    "ytx_query_balance": "balance",
    "ytx_resolve": "resolve",
}


def _free_handle(lib: _native.NativeLibrary, handle: Any) -> None:
    """weakref.finalize callback: release a client handle (runs at most once)."""
    lib.ytx_free(handle)


# --- the client ----------------------------------------------------------------------


class Client:
    """A client for the ytx.net voice platform.

    One client may be shared by any number of threads. Close it with
    :meth:`close` or a ``with`` block; a client that is garbage-collected is
    closed then. Every call raises a :class:`ytx.YtxError` subclass on failure.

    Args:
        account_sid, auth_token, app_id: the credentials from the console.
        environment: ``"production"`` (default) or ``"sandbox"``.
        base_url: any ``http://`` or ``https://`` URL (a gateway, the
            emulator); overrides ``environment``.
        timeout: seconds for a whole call (default 30.0).
        connect_timeout: seconds to connect, DNS included (default 5.0, or
            ``timeout`` when that is shorter; at most ``timeout``).
        proxy: ``http://host:port`` or ``http://user:password@host:port``;
            ``""`` for none, not even the environment's.
        env_proxy: ``False`` not to use the proxy the environment names
            (``HTTP_PROXY``, ``HTTPS_PROXY``, ``NO_PROXY``... as curl reads
            them; default ``True``).
        ca_file: a PEM file of CA certificates trusted for ``https://``
            instead of the built-in roots.
        pool_idle_timeout: seconds a keep-alive connection may idle before it
            is closed instead of reused (default: the library's, ``ytx.h``).
        callback_func_url, callback_action, voice_code_func_url,
        voice_code_action: endpoint overrides (see PROTOCOL.md, ambiguity 2).
        max_retries: resend a request automatically up to this many times
            (0 to 10; default 0: off) when the failure makes that safe
            (``retry_safe``: not written yet, or the platform's ``-104``);
            never an unknown outcome. Each retry is logged at WARNING.
        retry_budget: seconds after the first attempt when no retry starts
            any more (default 10, at most 300).
        retry_backoff: seconds of the first pause (default 0.2), doubled for
            each retry, never shorter than the error's ``retry_after``.
        auto_custom_parm: ``True`` to give every callback call sent without
            ``custom_parm`` a unique one (``ytx-<unix ms>-<pid>-<counter>``),
            so that every *outcome unknown* can be resolved
            (:meth:`resolve`); default ``False``.
        library: path of the libytx file (or its folder) to use for this
            client, instead of the default one (see :func:`ytx.load_library`).
    """

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        app_id: str,
        *,
        environment: Optional[str] = None,
        base_url: Optional[str] = None,
        timeout: Optional[float] = None,
        connect_timeout: Optional[float] = None,
        proxy: Optional[str] = None,
        env_proxy: Optional[bool] = None,
        ca_file: Optional[PathLike] = None,
        pool_idle_timeout: Optional[float] = None,
        callback_func_url: Optional[str] = None,
        callback_action: Optional[str] = None,
        voice_code_func_url: Optional[str] = None,
        voice_code_action: Optional[str] = None,
        max_retries: Optional[int] = None,
        retry_budget: Optional[float] = None,
        retry_backoff: Optional[float] = None,
        auto_custom_parm: Optional[bool] = None,
        library: Optional[PathLike] = None,
    ) -> None:
        self._handle: Any = None
        self._finalizer: "Optional[weakref.finalize[Any, Any]]" = None
        sid_b = _text("account_sid", account_sid)
        token_b = _text("auth_token", auth_token)
        app_b = _text("app_id", app_id)
        # Only what was given is passed: the library owns every default
        # (ytx_default_timeout_ms, ytx_production_url, ...) and every rule
        # between options (environment and base_url together is its error).
        given = dict(
            environment=environment, base_url=base_url, timeout=timeout,
            connect_timeout=connect_timeout, proxy=proxy, env_proxy=env_proxy,
            ca_file=ca_file, pool_idle_timeout=pool_idle_timeout,
            callback_func_url=callback_func_url, callback_action=callback_action,
            voice_code_func_url=voice_code_func_url, voice_code_action=voice_code_action,
            max_retries=max_retries, retry_budget=retry_budget, retry_backoff=retry_backoff,
            auto_custom_parm=auto_custom_parm,
        )
        pairs = [
            (_CLIENT_OPTIONS[param][0].encode("ascii"), _client_value(param, value))
            for param, value in given.items()
            if value is not None
        ]

        lib = _native.open_library(library)
        names, values, count = _options(pairs)
        handle = _native.ytx_client_p()
        o = _invoke(
            lib,
            lib.ytx_client_new,
            (sid_b, token_b, app_b, names, values, count, ctypes.byref(handle)),
            operation="Client",
        )
        if o.result != ResultCode.OK:
            raise _error(o, _CLIENT_FIELDS)
        if not handle:
            raise InternalError(
                "ytx_client_new succeeded without a handle (a bug; please report it)",
                code=ResultCode.PANIC,
            )
        self._lib = lib
        self._handle = handle
        self._finalizer = weakref.finalize(self, _free_handle, lib, handle)
        self._account_sid = account_sid
        self._app_id = app_id
        self._base_url = _client_base_url(lib, handle)

    # -- lifecycle -------------------------------------------------------------

    def close(self) -> None:
        """Release the native client. Idempotent; later calls raise :class:`ClientClosed`.

        Calls already running on other threads finish normally.
        """
        self._handle = None
        if self._finalizer is not None:
            self._finalizer()  # frees the handle the first time only

    @property
    def closed(self) -> bool:
        return self._handle is None

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return (
            f"<ytx.Client account_sid={getattr(self, '_account_sid', '?')!r} "
            f"app_id={getattr(self, '_app_id', '?')!r} "
            f"base_url={getattr(self, '_base_url', '?')!r} {state}>"
        )

    def __reduce__(self) -> Any:
        raise TypeError("a ytx.Client holds a native handle and cannot be pickled or copied")

    @property
    def account_sid(self) -> str:
        return self._account_sid

    @property
    def app_id(self) -> str:
        return self._app_id

    @property
    def base_url(self) -> str:
        """The platform's base URL this client sends to."""
        return self._base_url

    @property
    def library(self) -> _native.NativeLibrary:
        """The native library this client runs on."""
        return self._lib

    def _live_handle(self) -> Any:
        handle = self._handle
        if handle is None:
            raise ClientClosed(
                "this ytx.Client is closed; make a new one",
                code=ResultCode.INVALID_HANDLE,
            )
        return handle

    def _run(
        self,
        fn_name: str,
        args: Tuple[Any, ...],
        fields: Mapping[str, str],
        want_request: bool,
    ) -> _Outcome:
        handle = self._live_handle()
        lib = self._lib
        o = _invoke(lib, getattr(lib, fn_name), (handle,) + args, want_request,
                    _OPERATIONS.get(fn_name, fn_name))
        if o.result != ResultCode.OK:
            e = _error(o, fields)
            if isinstance(e, InvalidHandle) and self._handle is None:
                # closed by another thread while this call was starting
                e = ClientClosed(e.message, code=e.code, delivery=e.delivery)
            raise e
        return o

    # -- two-way callback call ------------------------------------------------------

    def _callback(
        self, method: str, src: object, dst: object, credit: object,
        options: Mapping[str, object],
    ) -> _Outcome:
        src_b = _text("src", src)
        dst_b = _text("dst", dst)
        credit_n = _integer(
            "credit", credit, _INT64_MIN, _INT64_MAX,
            _CREDIT_RULE,
        )
        names, values, count = _options(_callback_pairs(method, options))
        prepare = method.startswith("prepare_")
        return self._run(
            "ytx_callback_prepare" if prepare else "ytx_callback_call",
            (src_b, dst_b, credit_n, names, values, count),
            _CALLBACK_FIELDS, prepare,
        )

    def callback_call(
        self, src: str, dst: str, credit: int, **options: Unpack[CallbackOptions]
    ) -> Accepted:
        """Place a two-way callback call: ring ``src``, then ``dst``, and bridge them.

        ``src``/``dst``: 5-20 digits (mobile, or landline with area code;
        ``+86``/``0086`` + mobile is normalised). ``credit``: the call's
        length limit in seconds, greater than 60. ``options``: the optional
        fields of :class:`ytx.CallbackOptions` as keywords (``custom_parm=``,
        ``ringback_type=RingbackType.SYSTEM``, ...), each sent only when given.

        The request is sent at most once. Returns :class:`Accepted`; raises
        :class:`InvalidArgument` (nothing sent), :class:`TransportError`,
        :class:`Timeout`, :class:`ProtocolError` or :class:`PlatformError`:
        check ``retry_safe`` before sending again. A Ctrl-C during the call
        takes effect when it returns, as :class:`ytx.CallInterrupted` (a
        ``KeyboardInterrupt``) carrying the ``result`` or the ``error``.
        """
        def place() -> Accepted:
            o = self._callback("callback_call", src, dst, credit, options)
            return Accepted(o.request_id, o.status_code, o.status_msg)

        return _keep_on_interrupt("callback_call", place)

    def prepare_callback_call(
        self, src: str, dst: str, credit: int, **options: Unpack[CallbackOptions]
    ) -> PreparedRequest:
        """Dry run of :meth:`callback_call`: validate and sign, send nothing."""
        o = self._callback("prepare_callback_call", src, dst, credit, options)
        return _prepared(o)

    # -- voice verification code -------------------------------------------------------

    def _voice(
        self,
        fn_name: str,
        dst: object,
        dstclid: object,
        code: object,
        times: object,
        want_request: bool,
    ) -> _Outcome:
        dst_b = _text("dst", dst)
        clid_b = None if dstclid is None else _text("dstclid", dstclid)  # NULL: not sent
        code_b = _text("code", code)
        if times is None:
            times_n = 0  # the C API's "platform default"
        else:
            # The library checks the value (its rule: 1-3); only what the C
            # int32 cannot carry, and 0 (which means "the platform default"
            # there), are refused here, in the library's words (a test
            # compares them).
            times_n = _integer("times", times, _INT32_MIN, _INT32_MAX, _TIMES_RULE)
            if times_n == 0:
                raise InvalidArgument(f"{_label('times')}: {_TIMES_RULE}, got 0", field="times")
        return self._run(
            fn_name, (dst_b, clid_b, code_b, times_n), _VOICE_CODE_FIELDS, want_request
        )

    def voice_code(
        self, dst: str, dstclid: Optional[str], code: str, *, times: Optional[int] = None
    ) -> Accepted:
        """Send a voice verification code: the platform calls ``dst`` and reads ``code``.

        Sent to ``CodeCallOut.wx`` with action ``callOutCode`` (PROTOCOL.md,
        ambiguity 2; ``voice_code_func_url``/``voice_code_action`` override it).
        ``dstclid``: the caller id the callee sees, optional: ``None`` or
        ``""`` leaves it out of the request (the platform currently shows the
        callee's own number anyway). ``code``: 1-19 ASCII
        letters or digits (a str: leading zeros matter). ``times``: how many
        times it is read, 1-3 (``None``: the platform default, 2).
        Returns :class:`Accepted`; raises as :meth:`callback_call` does.
        """
        def place() -> Accepted:
            o = self._voice("ytx_voice_code", dst, dstclid, code, times, False)
            return Accepted(o.request_id, o.status_code, o.status_msg)

        return _keep_on_interrupt("voice_code", place)

    def prepare_voice_code(
        self, dst: str, dstclid: Optional[str], code: str, *, times: Optional[int] = None
    ) -> PreparedRequest:
        """Dry run of :meth:`voice_code`: validate and sign, send nothing."""
        o = self._voice("ytx_voice_code_prepare", dst, dstclid, code, times, True)
        return _prepared(o)

    # -- after a call is accepted: records and balance ------------------------------

    def _records_query(
        self, fn_name: str, args: Tuple[Any, ...], fields: Mapping[str, str]
    ) -> List[_records.CallRecord]:
        """Run a record query; copy the list out and free it exactly once."""
        records = _native.ytx_records_p()
        try:
            self._run(fn_name, args + (ctypes.byref(records),), fields, False)
            return _records.copy_records(self._lib, records)
        finally:
            if records:
                self._lib.ytx_records_free(records)

    def call_record(
        self, request_id: str, *, fid: Optional[str] = None
    ) -> Optional[_records.CallRecord]:
        """The record of one call (``CallCdr.wx``, ``getCdrByResId``, limit 0).

        ``request_id``: the requestId of an accepted call. ``fid``: the
        product number, ``None`` for ``"4"`` (the two-way callback call).
        Returns a :class:`ytx.CallRecord`, or ``None`` when the platform has
        none (yet: it writes a record some seconds, about 20, after the call
        ends). Sent once, never retried; raises as :meth:`callback_call` does.
        """
        args = (_text("request_id", request_id), self._fid(fid))
        found = self._records_query("ytx_call_record", args, _RECORD_FIELDS)
        return found[0] if found else None

    def call_records_after(
        self, request_id: str, limit: int = 100, *, fid: Optional[str] = None
    ) -> List[_records.CallRecord]:
        """Up to ``limit`` (1-1000) call records after ``request_id``, for paging.

        ``request_id`` ``"0"`` starts from the first record; pass the last
        record's ``request_id`` to get the next page. Returns a list of
        :class:`ytx.CallRecord` in the platform's order, shorter than
        ``limit`` (empty: no more) at the end. ``fid`` as in :meth:`call_record`.
        """
        rid = _text("request_id", request_id)
        n = _integer("limit", limit, 0, _UINT32_MAX, _LIMIT_RULE)
        return self._records_query(
            "ytx_call_records_after", (rid, n, self._fid(fid)), _RECORD_FIELDS
        )

    def find_call(
        self, custom_parm: str, *, after_request_id: str, fid: Optional[str] = None
    ) -> Optional[_records.CallRecord]:
        """Find the call whose ``customParm`` is ``custom_parm``: a record or ``None``.

        Searches the records after ``after_request_id`` (a requestId you knew
        from before the call; ``"0"`` searches from the first record), 100
        records a query, at most 100 queries; running out of queries raises
        :class:`ytx.InvalidArgument` naming ``max_pages``, never ``None``.

        This is how a call whose delivery was *unknown* is resolved without
        ringing anyone twice: a record means the call was placed (do not
        place it again). ``None`` means no record *yet*, never by itself
        "not placed": a record is written only after the call ends, up to
        srctimeout + dsttimeout + credit + 60 s after it was sent.
        :meth:`resolve` applies that bound and answers placed, not placed or
        not known yet.
        """
        args = (
            _text("custom_parm", custom_parm),
            _text("after_request_id", after_request_id),
            self._fid(fid),
        )
        found = self._records_query("ytx_find_call", args, _FIND_CALL_FIELDS)
        return found[0] if found else None

    def resolve(
        self,
        err_or_ticket: Union[YtxError, str],
        *,
        cursor: Optional[str] = None,
        deadline: Optional[float] = None,
        max_pages: Optional[int] = None,
    ) -> _resolve.Resolution:
        """Was the call of an *outcome unknown* placed? A :class:`ytx.Resolution`.

        ``err_or_ticket``: the exception a call raised (its ``ticket``), or a
        ticket's text saved earlier (``err.ticket``, stable across versions
        and restarts). Sends only record queries (they place nothing),
        paging after the last requestId this client saw accepted before the
        call and looking for its customParm. ``status`` is one of
        :class:`ytx.ResolutionStatus`: ``PLACED`` (``record`` is its record:
        do not place it again), ``NOT_PLACED`` (only once PROTOCOL.md's
        bound has passed: sent time + ring timeouts + credit + 60 s),
        ``NOT_KNOWN_YET`` (resolve again at ``check_again_at`` with
        ``cursor=resolution.cursor``; also when ``max_pages`` (default 100)
        or ``deadline`` (seconds, default 60) ran out, never an error) or
        ``CANNOT_BE_RESOLVED`` (a voice code, a call without customParm, an
        error that is not an outcome unknown). Raises
        :class:`InvalidArgument` for a bad ticket or cursor, and the error
        of a record query that failed (safe to resolve again).
        """
        if isinstance(err_or_ticket, YtxError):
            text = err_or_ticket.ticket or ""
        elif isinstance(err_or_ticket, str):
            text = err_or_ticket
        else:
            raise _type_error("err_or_ticket", "a ytx.YtxError or a ticket (str)", err_or_ticket)
        ticket_b = text.encode("utf-8")
        cursor_b = None if cursor is None else _text("cursor", cursor)
        deadline_ms = 0 if deadline is None else _seconds_to_ms("deadline", deadline)
        pages = 0 if max_pages is None else _integer(
            "max_pages", max_pages, 1, _UINT32_MAX, "must be a whole number from 1 to 4294967295")
        out = _native.ytx_resolution_p()
        try:
            self._run("ytx_resolve", (ticket_b, cursor_b, deadline_ms, pages, ctypes.byref(out)),
                      {}, False)
            if not out:  # pragma: no cover - ytx.h: set on YTX_OK
                raise InternalError("ytx_resolve succeeded without a resolution "
                                    "(a bug; please report it)", code=ResultCode.PANIC)
            return _resolve.copy_resolution(self._lib, out)
        finally:
            if out:
                self._lib.ytx_resolution_free(out)

    @staticmethod
    def _fid(fid: Optional[str]) -> Optional[bytes]:
        return None if fid is None else _text("fid", fid)

    def balance(self) -> _records.Balance:
        """The account's balance (``account/getBlance.wx``, version 201612), exact.

        Returns a :class:`ytx.Balance` (``amount`` a ``Decimal`` in yuan,
        ``fen`` whole fen). Checking it before a campaign avoids a run of
        ``-204`` (balance too low). Raises as :meth:`callback_call` does.
        """
        balance = _native.ytx_balance_p()
        try:
            self._run("ytx_query_balance", (ctypes.byref(balance),), {}, False)
            if not balance:  # pragma: no cover - ytx.h: set on YTX_OK
                raise InternalError("ytx_query_balance succeeded without a balance "
                                    "(a bug; please report it)", code=ResultCode.PANIC)
            return _records.copy_balance(self._lib, balance)
        finally:
            if balance:
                self._lib.ytx_balance_free(balance)


# --- pushes -------------------------------------------------------------------------


def parse_push(
    body: Union[bytes, bytearray, memoryview],
    target: Optional[str] = None,
    *,
    library: Optional[PathLike] = None,
) -> Union[_records.StatePush, _records.RecordPush]:
    """Parse a push: the raw body the platform POSTed to your callback URL.

    Pure: nothing is sent, no client is needed. Returns a
    :class:`ytx.StatePush` (``{"requestid":..., "state":...}``) or a
    :class:`ytx.RecordPush` (``{"cdr":[...]}``), plain Python values that
    hold no native memory. Raises :class:`ytx.ProtocolError` (code
    ``PROTOCOL``) with the library's reason when the body is not a push: not
    UTF-8 JSON, not an object, ``cdr`` not an array, a state push without a
    requestid, larger than 4 MiB or than 10,000 records.

    ``target``: the request target the push was POSTed to (``self.path`` in
    an ``http.server`` handler, e.g. ``"/ytx/push?CallState"``) or its query
    alone. The platform appends ``?Call`` to a call-record push and
    ``?CallState`` to a state push; with a target the push is routed by that
    key (a body that does not match it is a ``ProtocolError``, and so is
    ``?SMS``), without one (or without the key) by the body's shape.

    Answer the platform's POST with HTTP 200 whatever this returns. A push
    carries no signature: treat it as a hint and confirm what matters
    (billing, "the customer was reached") with :meth:`Client.call_record`.
    ``library``: as ``Client(library=...)``.
    """
    if isinstance(body, (bytearray, memoryview)):
        body = bytes(body)
    if not isinstance(body, bytes):
        raise _type_error("body", "bytes (the raw request body)", body)
    lib = _native.open_library(library)
    push = _native.ytx_push_p()
    try:
        if target is None:
            o = _invoke(lib, lib.ytx_push_parse, (body, len(body), ctypes.byref(push)),
                        operation="parse_push")
        else:
            o = _invoke(lib, lib.ytx_push_parse_routed,
                        (body, len(body), _text("target", target),
                         ctypes.byref(push)),
                        operation="parse_push")
        if o.result != ResultCode.OK:
            raise _error(o, {})
        if not push:  # pragma: no cover - ytx.h: set on YTX_OK
            raise InternalError("ytx_push_parse succeeded without a push "
                                "(a bug; please report it)", code=ResultCode.PANIC)
        return _records.copy_push(lib, push)
    finally:
        if push:
            lib.ytx_push_free(push)
