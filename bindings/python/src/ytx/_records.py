"""What happened to a call after it was accepted: pushes, call records, balance.

The types here are plain Python values: :func:`ytx.parse_push` and the
record and balance queries of :class:`ytx.Client` copy everything out of the
library's objects and free those at once, so nothing here refers to native
memory and every value may be kept, pickled or passed between threads.

Every reading of the wire (which key holds the requestId, ``NoTapes``, how an
amount or a UTC+8 time parses) is the library's: this module only converts
its answers into Python types.
"""

from __future__ import annotations

import ctypes
import enum
from dataclasses import dataclass, field as dc_field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Dict, List, Mapping, Optional, Union

from . import _native

__all__ = [
    "CST",
    "CallState",
    "UnknownState",
    "StatePush",
    "RecordPush",
    "CallRecord",
    "Balance",
]

#: China Standard Time (UTC+8, no DST): the zone of every time the platform sends.
CST = timezone(timedelta(hours=8), "UTC+8")


class CallState(enum.Enum):
    """The state of one leg in a state push; ``.value`` is the wire text.

    A state this library does not know is not a member: it arrives as an
    :class:`UnknownState`, whose ``.value`` is the text as sent. Compare
    with ``is`` (``push.state is ytx.CallState.ANSWER``) or by ``.value``,
    which works for both.
    """

    #: ``callout``: dialling.
    CALLOUT = "callout"
    #: ``alerting``: ringing.
    ALERTING = "alerting"
    #: ``answer``: answered.
    ANSWER = "answer"
    #: ``disconnect``: ended.
    DISCONNECT = "disconnect"


@dataclass(frozen=True)
class UnknownState:
    """A state the library does not know (``YTX_CALL_STATE_UNKNOWN``), kept as sent.

    Shaped like a :class:`CallState` member: ``.value`` is the raw text,
    ``.name`` is ``"UNKNOWN"``.
    """

    value: str

    @property
    def name(self) -> str:
        return "UNKNOWN"

    def __str__(self) -> str:
        return self.value


#: ``ytx_call_state`` (``YTX_CALL_STATE_*`` in ytx.h) -> the member.
_STATES: Dict[int, CallState] = {
    _native.YTX_CALL_STATE_CALLOUT: CallState.CALLOUT,
    _native.YTX_CALL_STATE_ALERTING: CallState.ALERTING,
    _native.YTX_CALL_STATE_ANSWER: CallState.ANSWER,
    _native.YTX_CALL_STATE_DISCONNECT: CallState.DISCONNECT,
}


def _time(unix: int) -> Optional[datetime]:
    """Unix seconds as an aware datetime in UTC+8 (the platform's own zone).

    ``None`` for a time a ``datetime`` cannot hold (``0001-01-01 00:00:00``
    in UTC+8 is in year 0 in UTC): the text stays in ``fields``.
    """
    try:
        return datetime.fromtimestamp(unix, tz=CST)
    except (ValueError, OverflowError, OSError):
        return None


class _Fields:
    """``fields`` by wire name, with ``obj["wireName"]`` and ``obj.get(...)``."""

    fields: Mapping[str, str]

    def __getitem__(self, name: str) -> str:
        return self.fields[name]

    def __contains__(self, name: object) -> bool:
        return name in self.fields

    def get(self, name: str, default: Optional[str] = None) -> Optional[str]:
        """A field by its wire name, as text (also fields this library does not know)."""
        return self.fields.get(name, default)


@dataclass(frozen=True)
class StatePush(_Fields):
    """A state push: one leg of a call changed state.

    Attributes:
        request_id: the call's requestId (``requestid``), an opaque string.
        number: the phone number of the leg (``dsc``); match it against the
            call's src/dst by suffix (the platform may add or drop a prefix).
        state: a :class:`CallState`, or an :class:`UnknownState` keeping the text.
        state_desc: the platform's text for the state (``stateDesc``).
        timestamp: ``timestamp`` as an aware datetime in UTC+8, or ``None``
            when it is not in a known format (``yyyy-MM-dd HH:mm:ss``,
            ``yyyyMMddHHmmss``).
        timestamp_text: ``timestamp`` as sent.
        fields: every field by wire name, as text, in the order sent.
    """

    request_id: str
    number: str
    state: Union[CallState, UnknownState]
    state_desc: str
    timestamp: Optional[datetime]
    timestamp_text: str
    fields: Dict[str, str] = dc_field(default_factory=dict, hash=False)

    #: ``"state"`` (a :class:`RecordPush` has ``"records"``).
    kind = "state"


@dataclass(frozen=True)
class CallRecord(_Fields):
    """One call record (话单, CDR), from a record push or the record query.

    Two shapes exist: a two-way callback call's (``caller``, ``called``, four
    times) and a one-leg call's (``tel``, ``stime``, ``etime``). Optional
    fields are ``None`` when absent or empty; ``record["anyWireName"]`` and
    ``fields`` give every field as text, also those this library does not know.

    Attributes:
        request_id: ``requestid`` ("" if absent).
        custom_parm: your reference from the request (``customParm``).
        caller, called: first and second leg of a two-leg record.
        tel: the number called in a one-leg record.
        duration: billed seconds (``duration``), or ``None``.
        amount: the charge in yuan (``oriamount``), exact, as a ``Decimal``
            (``Decimal("0.31")``), or ``None`` when absent or not whole fen.
        amount_text: the same as the decimal text sent, e.g. ``"0.31"``.
        amount_fen: the same in whole fen, e.g. ``31``.
        recording_url: ``tapesurl``; ``None`` for ``NoTapes``. A bearer URL
            (whoever has it can download the conversation): left out of
            ``repr``, as ``fields`` is, so logging a record does not leak it.
        state_desc: the outcome in words (``stateDesc``), e.g. ``应答|正常``.
        app_id, fid: the app and the product number (``"4"``: callback call).
        caller_answered, caller_ended, called_answered, called_ended:
            ``callerstime``, ``calleretime``, ``calledstime``,
            ``calledetime`` as aware datetimes in UTC+8; ``None`` when it
            never happened (``called_answered`` ``None``: the second leg
            never answered) or the text is in an unknown format.
        stime, etime: the same for a one-leg record.
    """

    request_id: str
    custom_parm: Optional[str]
    caller: Optional[str]
    called: Optional[str]
    tel: Optional[str]
    duration: Optional[int]
    amount: Optional[Decimal]
    amount_text: Optional[str]
    amount_fen: Optional[int]
    recording_url: Optional[str] = dc_field(repr=False)
    state_desc: Optional[str]
    app_id: Optional[str]
    fid: Optional[str]
    caller_answered: Optional[datetime]
    caller_ended: Optional[datetime]
    called_answered: Optional[datetime]
    called_ended: Optional[datetime]
    stime: Optional[datetime]
    etime: Optional[datetime]
    fields: Dict[str, str] = dc_field(default_factory=dict, hash=False, repr=False)


@dataclass(frozen=True)
class RecordPush:
    """A call-record push (``{"cdr":[...]}``): usually one record."""

    records: List[CallRecord] = dc_field(default_factory=list, hash=False)

    #: ``"records"`` (a :class:`StatePush` has ``"state"``).
    kind = "records"


@dataclass(frozen=True)
class Balance:
    """The account's balance, exact.

    ``amount`` is yuan as a ``Decimal`` (``Decimal("7.08")``), ``text`` the
    decimal text the platform sent, ``fen`` whole fen (``708``; may be negative).
    """

    amount: Decimal
    text: str
    fen: int

    def __str__(self) -> str:
        return self.text


Push = Union[StatePush, RecordPush]

# --- copying out of the library's objects ------------------------------------------

_RECORD_TIMES = {
    "caller_answered": b"callerstime",
    "caller_ended": b"calleretime",
    "called_answered": b"calledstime",
    "called_ended": b"calledetime",
    "stime": b"stime",
    "etime": b"etime",
}


def _fields(count: int, name_at: Any, value_at: Any) -> Dict[str, str]:
    out: Dict[str, str] = {}
    for i in range(count):
        name = name_at(i)
        if name is not None:
            out[name] = value_at(i) or ""
    return out


def _none_if_empty(text: str) -> Optional[str]:
    return text or None


def copy_record(lib: _native.NativeLibrary, rec: Any) -> CallRecord:
    """A :class:`CallRecord` from a live ``ytx_record *`` (copies everything)."""
    out = ctypes.c_int64()
    fen: Optional[int] = None
    if lib.ytx_record_amount_fen(rec, ctypes.byref(out)):
        fen = int(out.value)
    amount_text = _none_if_empty(lib.ytx_record_amount_text(rec))
    times: Dict[str, Optional[datetime]] = {}
    for attr, wire in _RECORD_TIMES.items():
        found = lib.ytx_record_time_unix(rec, wire, ctypes.byref(out))
        times[attr] = _time(out.value) if found else None
    duration = int(lib.ytx_record_duration(rec))
    return CallRecord(
        request_id=lib.ytx_record_request_id(rec),
        custom_parm=_none_if_empty(lib.ytx_record_custom_parm(rec)),
        caller=_none_if_empty(lib.ytx_record_caller(rec)),
        called=_none_if_empty(lib.ytx_record_called(rec)),
        tel=_none_if_empty(lib.ytx_record_tel(rec)),
        duration=duration if duration >= 0 else None,
        amount=Decimal(amount_text) if amount_text is not None and fen is not None else None,
        amount_text=amount_text if fen is not None else None,
        amount_fen=fen,
        recording_url=_none_if_empty(lib.ytx_record_recording_url(rec)),
        state_desc=_none_if_empty(lib.ytx_record_state_desc(rec)),
        app_id=_none_if_empty(lib.ytx_record_app_id(rec)),
        fid=_none_if_empty(lib.ytx_record_fid(rec)),
        fields=_fields(
            int(lib.ytx_record_field_count(rec)),
            lambda i: lib.ytx_record_field_name(rec, i),
            lambda i: lib.ytx_record_field_value(rec, i),
        ),
        **times,
    )


def copy_records(lib: _native.NativeLibrary, records: Any) -> List[CallRecord]:
    """Every record of a live ``ytx_records *``, copied."""
    if not records:
        return []
    result = []
    for i in range(int(lib.ytx_records_count(records))):
        rec = lib.ytx_records_get(records, i)
        if rec:
            result.append(copy_record(lib, rec))
    return result


def copy_push(lib: _native.NativeLibrary, push: Any) -> Push:
    """A :class:`StatePush` or :class:`RecordPush` from a live ``ytx_push *``.

    One crossing (``ytx_push_view_of``) for a state push, fields included
    (was one per field); a record push then reads its records.
    """
    view = _native.ytx_push_view()
    got = lib.ytx_push_view_of(push, view)  # ctypes passes the struct by reference
    if got != 0:  # pragma: no cover - ytx.h: YTX_OK for a live push
        raise ValueError(f"ytx_push_view_of returned {got}")
    kind = view.kind
    if kind == _native.YTX_PUSH_RECORDS:
        return RecordPush(records=copy_records(lib, lib.ytx_push_records(push)))
    if kind != _native.YTX_PUSH_STATE:  # pragma: no cover - ytx_push_parse made it
        raise ValueError(f"the library returned a push of unknown kind {kind}")
    state: Union[CallState, UnknownState]
    known = _STATES.get(view.state)
    state = known if known is not None else UnknownState(view.state_text.decode("utf-8", "replace"))
    names, values = view.field_names, view.field_values
    fields: Dict[str, str] = {}
    for i in range(view.field_count):
        fields[names[i].decode("utf-8", "replace")] = (values[i] or b"").decode("utf-8", "replace")
    return StatePush(
        request_id=view.request_id.decode("utf-8", "replace"),
        number=view.number.decode("utf-8", "replace"),
        state=state,
        state_desc=view.state_desc.decode("utf-8", "replace"),
        timestamp=_time(view.timestamp_unix) if view.has_timestamp_unix else None,
        timestamp_text=view.timestamp.decode("utf-8", "replace"),
        fields=fields,
    )


def copy_balance(lib: _native.NativeLibrary, balance: Any) -> Balance:
    """A :class:`Balance` from a live ``ytx_balance *``."""
    text = lib.ytx_balance_text(balance)
    return Balance(amount=Decimal(text), text=text, fen=int(lib.ytx_balance_fen(balance)))
