"""The exceptions of the ytx binding, and the result codes they carry.

Every error a call can raise derives from :class:`YtxError`, which says, in
``delivery``, whether the request reached the platform, and, in
``retry_safe`` and ``retry_after``, whether and when the same request may be
sent again (the library's rule: not written yet, or the platform's ``-104``).

The numbers of :class:`ResultCode` and :class:`Delivery` are those of the C
ABI (``ytx_result`` / ``ytx_delivery`` in ``ytx.h``) and never change.
"""

from __future__ import annotations

import enum
from typing import Any, Dict, Optional, Type

__all__ = [
    "ResultCode",
    "Delivery",
    "YtxError",
    "InvalidArgument",
    "InvalidArgumentType",
    "InvalidHandle",
    "ClientClosed",
    "TransportError",
    "Timeout",
    "ProtocolError",
    "PlatformError",
    "InternalError",
    "CallInterrupted",
]


class ResultCode(enum.IntEnum):
    """``ytx_result``: the code every library call returns."""

    OK = 0
    NULL_ARGUMENT = 1
    INVALID_UTF8 = 2
    INVALID_ARGUMENT = 3
    INVALID_HANDLE = 4
    NOT_SENT = 10
    OUTCOME_UNKNOWN = 11
    TIMEOUT = 12
    HTTP_STATUS = 13
    PROTOCOL = 14
    PLATFORM = 20
    PANIC = 90


class Delivery(enum.IntEnum):
    """``ytx_delivery``: whether a request reached the platform."""

    #: Nothing was written to the network: a retry is safe.
    NOT_SENT = 0
    #: The request was written but no valid answer came back: the platform
    #: may have acted on it, so do not retry blindly. To find out, pass the
    #: exception (or its ``.ticket``, saved with the order) to
    #: ``client.resolve(...)``: ``PLACED`` (do not place it again),
    #: ``NOT_PLACED`` (only once PROTOCOL.md's bound, sent time + ring
    #: timeouts + credit + 60 s, has passed: safe to place again), or
    #: ``NOT_KNOWN_YET`` (ask again at ``check_again_at``). ``find_call``
    #: returning ``None`` only means "no record yet", never "not placed"
    #: (README, "Resolving an outcome unknown").
    UNKNOWN = 1
    #: The platform answered; its answer (accepted or rejected) is final.
    ANSWERED = 2


def _code(code: int) -> int:
    try:
        return ResultCode(code)
    except ValueError:
        return int(code)


def _delivery(d: int) -> Delivery:
    try:
        return Delivery(d)
    except ValueError:  # a newer library: assume the worst
        return Delivery.UNKNOWN


class YtxError(Exception):
    """Base of every error raised by a ytx call.

    Attributes:
        code: the C result code (a :class:`ResultCode`, an ``int``).
        message: an English message for a person; the platform's own
            statusMsg is kept in it. Never contains the auth token.
        delivery: whether the request reached the platform.
        ticket: for an *outcome unknown* of a call (``Delivery.UNKNOWN``),
            what resolving it needs, as text (a ``str``): pass the error or
            the text to :meth:`ytx.Client.resolve`, or save the text to
            resolve the call after a restart. ``None`` for any other error.
    """

    def __init__(
        self,
        message: str,
        *,
        code: int,
        delivery: int = Delivery.NOT_SENT,
    ) -> None:
        super().__init__(message)
        self.message: str = message
        self.code: int = _code(code)
        self.delivery: Delivery = _delivery(delivery)
        #: Seconds to wait before sending the same request again, when that
        #: is safe (see :attr:`retry_safe`); ``None`` when it is not. Set
        #: from the library's advice (``ytx_outcome_retry_after_ms``): 0.0
        #: for a request never written, 1.0 for the platform's ``-104``.
        self.retry_after: Optional[float] = None
        self.ticket: Optional[str] = None

    @property
    def retry_safe(self) -> bool:
        """Whether sending the same request again can succeed without any
        risk of a second call: the library's rule (``ytx_outcome_retry_safe``),
        not a copy. True for a request never written (connection refused,
        DNS, TLS, connect timeout) and for the platform's ``-104`` (request
        rate too high: nothing was placed; wait :attr:`retry_after`). False
        for argument errors (a retry fails the same way), an unknown outcome
        (it may have been placed), other platform refusals, and errors the
        binding raises itself."""
        return self.retry_after is not None

    def __str__(self) -> str:
        return self.message

    def _repr_fields(self) -> Dict[str, Any]:
        return {}

    def __repr__(self) -> str:
        code = self.code.name if isinstance(self.code, ResultCode) else self.code
        parts = [f"code={code}", f"delivery={self.delivery.name}"]
        parts += [f"{k}={v!r}" for k, v in self._repr_fields().items()]
        parts.append(f"message={self.message!r}")
        return f"{type(self).__name__}({', '.join(parts)})"

    def __reduce__(self) -> Any:
        # Keyword-only constructors do not pickle by default; rebuild from
        # the instance's attributes (e.g. to send an error across processes).
        return (_rebuild, (type(self), self.message, dict(self.__dict__)))


def _rebuild(cls: Type[YtxError], message: str, state: Dict[str, Any]) -> YtxError:
    e = cls.__new__(cls)
    Exception.__init__(e, message)
    e.__dict__.update(state)
    return e


class InvalidArgument(YtxError, ValueError):
    """An argument was rejected before anything was sent.

    ``field`` names it as this binding's parameter (``src``, ``credit``,
    ``ringback_type``, ``times``, ``auth_token``, ...). Codes 1, 2 and 3.
    """

    def __init__(
        self,
        message: str,
        *,
        field: str,
        code: int = ResultCode.INVALID_ARGUMENT,
        delivery: int = Delivery.NOT_SENT,
    ) -> None:
        super().__init__(message, code=code, delivery=delivery)
        self.field: str = field

    def _repr_fields(self) -> Dict[str, Any]:
        return {"field": self.field}


class InvalidArgumentType(InvalidArgument, TypeError):
    """An argument of the wrong Python type (``None``, ``bool`` for ``credit``, ...).

    Raised by the binding before calling the library, because ctypes would
    otherwise coerce or crash.
    """


class InvalidHandle(YtxError):
    """The client handle is not valid (code 4): the client was closed."""


class ClientClosed(InvalidHandle):
    """The client was used after ``close()``."""


class TransportError(YtxError, ConnectionError):
    """The network failed (codes 10 and 11); also a :class:`ConnectionError`.

    Code 10 (``NOT_SENT``, ``retry_safe``, ``retry_after`` 0.0): nothing
    reached the platform.
    Code 11 (``OUTCOME_UNKNOWN``): the request was written, the answer was
    lost; the platform may have placed the call: resolve it with
    :meth:`ytx.Client.resolve` (``client.resolve(err)``; ``err.ticket``).
    """


class Timeout(TransportError, TimeoutError):
    """A timeout fired (code 12); ``delivery`` says whether it was sent.

    Also a :class:`TimeoutError` (and, as a :class:`TransportError`, a
    :class:`ConnectionError`), so ``except TimeoutError`` catches it.
    """


class ProtocolError(YtxError):
    """The answer was not the platform's (code 13: HTTP status; 14: not its JSON).

    ``http_status`` is the HTTP status for code 13 (e.g. 502), else ``None``.
    """

    def __init__(
        self,
        message: str,
        *,
        code: int,
        delivery: int = Delivery.UNKNOWN,
        http_status: Optional[int] = None,
    ) -> None:
        super().__init__(message, code=code, delivery=delivery)
        self.http_status: Optional[int] = http_status

    def _repr_fields(self) -> Dict[str, Any]:
        return {"http_status": self.http_status}


class PlatformError(YtxError):
    """The platform answered with a statusCode other than ``"0"`` (code 20).

    ``status_code`` (e.g. ``"-203"``), ``status_msg`` (the platform's own
    text, often Chinese) and ``request_id`` (often empty) are as it sent them.
    ``message`` ends with the library's explanation of the codes it knows
    (PROTOCOL.md's table), e.g. for ``-104``: "request rate too high: slow
    down; the platform refused it, so nothing was placed". The answer is
    final (``delivery`` ``ANSWERED``); only ``-100`` (the platform's internal
    error) and ``-104`` invite sending again later.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: str,
        status_msg: str,
        request_id: str,
        code: int = ResultCode.PLATFORM,
        delivery: int = Delivery.ANSWERED,
    ) -> None:
        super().__init__(message, code=code, delivery=delivery)
        self.status_code: str = status_code
        self.status_msg: str = status_msg
        self.request_id: str = request_id

    def _repr_fields(self) -> Dict[str, Any]:
        return {
            "status_code": self.status_code,
            "status_msg": self.status_msg,
            "request_id": self.request_id,
        }


class InternalError(YtxError):
    """A bug inside the library was caught (code 90); please report it."""


class CallInterrupted(KeyboardInterrupt):
    """Ctrl-C (SIGINT) arrived while a call was being placed; the call finished first.

    The C call cannot be stopped half-way (the request may already be on the
    wire), so the binding lets it finish, then raises this instead of a bare
    :class:`KeyboardInterrupt`, carrying what became known: ``result``, the
    :class:`ytx.Accepted` of an accepted call (its ``request_id``), or
    ``error``, the :class:`YtxError` the call ended with (for an *outcome
    unknown*, resolve it before placing the call again). It is a
    ``KeyboardInterrupt``: code that does not know it still stops as on any
    Ctrl-C, and the traceback shows the requestId.
    """

    def __init__(self, operation: str, *, result: Any = None, error: Optional[BaseException] = None) -> None:
        self.operation = operation
        #: The call's :class:`ytx.Accepted`, or ``None`` when it failed.
        self.result = result
        #: The exception the call ended with, or ``None`` when it was accepted.
        self.error = error
        super().__init__(str(self))

    @property
    def request_id(self) -> str:
        """The platform's requestId when it gave one (accepted, or refused), else ``""``."""
        if self.result is not None:
            return str(self.result.request_id)
        return str(getattr(self.error, "request_id", "") or "")

    @property
    def ticket(self) -> Optional[str]:
        """The unknown outcome's ticket, when the error carries one."""
        return getattr(self.error, "ticket", None)

    def __str__(self) -> str:
        head = f"interrupted (Ctrl-C) during {self.operation}, after the call returned: "
        if self.result is not None:
            return head + f"accepted, requestId {self.result.request_id}"
        if isinstance(self.error, YtxError):
            return head + f"{type(self.error).__name__} (delivery {self.error.delivery.name}): {self.error}"
        return head + f"{self.error!r}"

    def __reduce__(self) -> Any:
        return (_call_interrupted, (self.operation, self.result, self.error))


def _call_interrupted(operation: str, result: Any, error: Optional[BaseException]) -> CallInterrupted:
    return CallInterrupted(operation, result=result, error=error)
