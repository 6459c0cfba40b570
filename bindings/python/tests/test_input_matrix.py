"""The bad-input matrix shared by every binding (issue 6): tests/data/input_matrix.tsv.

Each row changes one argument of a known-good dry run and states the
expected result; its header comment describes the format. The rows for
``where`` = ``all`` or ``bindings`` apply here (``c`` rows need raw bytes or
NULL option values that Python cannot express). Every call is a dry run
(``prepare_*``) on a client whose base URL is ``http://127.0.0.1:9``: nothing
is ever sent.

For codes 1-3 the binding must raise :class:`ytx.InvalidArgument` whose
message carries the library's (wire) name of the field (``ringbacktype``,
``time``, ``customParm``, ...) and whose ``.field`` is this binding's
parameter name for it, through the binding's own name tables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

import ytx
from ytx import _client

MATRIX = Path(__file__).resolve().parents[3] / "tests" / "data" / "input_matrix.tsv"
APPLIES = ("all", "bindings")

# The baselines of the header comment.
SID = "8a1f0c3e5b7d9f21a4c6e8b0d2f4a6c8"
TOKEN = "5c7e9a1b3d5f7092e4b6c8d0f2a4c6e8"
APP = "ff8080813fc70a7b013fc72312324213"
BASE_URL = "http://127.0.0.1:9"  # discard port: nothing listens, nothing is sent
CALLBACK = dict(src="13800138000", dst="13900139000", credit=600)
VOICE = dict(dst="13800138000", dstclid="02160000000", code="1234", times=None)

NULL = object()  # <NULL>

# Wire (library) name -> this binding's parameter name, per operation: the
# binding's own tables, so the test checks the names users see.
FIELD_TABLES: Dict[str, Dict[str, str]] = {
    "client": _client._CLIENT_FIELDS,
    "callback": _client._CALLBACK_FIELDS,
    "voice": _client._VOICE_CODE_FIELDS,
}


@dataclass(frozen=True)
class Row:
    line: int
    where: str
    op: str
    arg: str
    raw: str  # the value column as written
    code: int
    field: str

    @property
    def id(self) -> str:
        shown = self.raw if len(self.raw) <= 16 else self.raw[:13] + "..."
        return f"L{self.line}-{self.op}-{self.arg}={shown}"


_TOKEN_RE = re.compile(r"\{rep:(\d+):([^}]*)\}|\\(x[0-9A-Fa-f]{2}|.)", re.S)
_ESCAPES = {"0": b"\0", "n": b"\n", "r": b"\r", "t": b"\t", "\\": b"\\"}


def unescape(text: str) -> bytes:
    """The matrix's value syntax -> the bytes it stands for."""
    out: List[bytes] = []
    pos = 0
    for m in _TOKEN_RE.finditer(text):
        out.append(text[pos:m.start()].encode("utf-8"))
        pos = m.end()
        if m.group(1) is not None:
            out.append(unescape(m.group(2)) * int(m.group(1)))
        elif m.group(3).startswith("x"):
            out.append(bytes([int(m.group(3)[1:], 16)]))
        elif m.group(3) in _ESCAPES:
            out.append(_ESCAPES[m.group(3)])
        else:
            raise ValueError(f"unknown escape \\{m.group(3)} in {text!r}")
    out.append(text[pos:].encode("utf-8"))
    return b"".join(out)


def value_of(row: Row) -> Any:
    """The row's value as Python text: None for <NULL>, else a str."""
    if row.raw == "<NULL>":
        return None
    return unescape(row.raw).decode("utf-8")  # raw non-UTF-8 bytes: only in c rows


def read_matrix() -> List[Row]:
    rows = []
    for n, line in enumerate(MATRIX.read_text(encoding="utf-8").split("\n"), start=1):
        if not line or line.startswith("#"):
            continue
        cols = line.split("\t")  # the value may be empty or spaces: never strip
        assert len(cols) == 6, f"{MATRIX.name}:{n}: expected 6 tab-separated columns: {line!r}"
        where, op, arg, raw, code, field = cols
        assert where in ("all", "c", "bindings"), f"line {n}: where={where!r}"
        assert op in FIELD_TABLES, f"line {n}: op={op!r}"
        assert code in ("0", "1", "2", "3"), f"line {n}: code={code!r}"
        assert (code == "0") == (field == "-"), f"line {n}: code {code} with field {field!r}"
        rows.append(Row(n, where, op, arg, raw, int(code), field))
    return rows


ROWS = read_matrix()
APPLICABLE = [r for r in ROWS if r.where in APPLIES]


# --- building the call ----------------------------------------------------------------


def option_param(wire: str) -> Tuple[str, str]:
    """The keyword and kind ("text", "int", "bool") of a callback option."""
    for param, (name, kind) in _client._CALLBACK_OPTIONS.items():
        if name == wire:
            return param, kind
    raise AssertionError(f"ytx has no keyword for the callback option {wire!r}")


def python_value(row: Row) -> Tuple[Any, bool]:
    """(value for the Python API, True if the API's type cannot express it).

    A value that the Python type cannot hold is passed as the str it is,
    and the binding must refuse it with InvalidArgumentType.
    """
    text = value_of(row)
    if text is None:
        return None, False
    kind = "text"
    if row.arg in ("credit", "time"):
        kind = "int"
    elif row.arg.startswith("opt:"):
        kind = option_param(row.arg[4:])[1]
    if kind == "int":
        if row.arg == "time" and text == "0":
            # The C API's time 0 means "the platform default"; in Python that
            # is times=None (times=0 is refused by the binding: a 0 would
            # otherwise silently mean "default"; see test_arguments.py).
            return None, False
        try:
            return int(text), False
        except ValueError:
            return text, True  # e.g. srctimeout "abc": src_timeout is an int
    if kind == "bool":
        # call_status_check is a bool: iscallstatuscheck "0"/"1" are False/
        # True; anything else (e.g. "2") cannot be expressed, and the int is
        # refused as a type error before the library is called.
        if text in ("0", "1"):
            return text == "1", False
        try:
            return int(text), True
        except ValueError:
            return text, True
    return text, False


def run(row: Row) -> Any:
    """Make the row's dry run; returns what it returned (or raises)."""
    value, _ = python_value(row)
    if row.op == "client":
        creds = dict(account_sid=SID, auth_token=TOKEN, app_id=APP)
        assert row.arg in creds, f"line {row.line}: unknown client argument {row.arg!r}"
        creds[row.arg] = value
        with ytx.Client(creds["account_sid"], creds["auth_token"], creds["app_id"],
                        base_url=BASE_URL) as c:
            return c.prepare_voice_code(**VOICE)
    with ytx.Client(SID, TOKEN, APP, base_url=BASE_URL) as c:
        if row.op == "callback":
            kw: Dict[str, Any] = dict(CALLBACK)
            if row.arg.startswith("opt:"):
                kw[option_param(row.arg[4:])[0]] = value
            else:
                assert row.arg in kw, f"line {row.line}: unknown callback argument {row.arg!r}"
                kw[row.arg] = value
            return c.prepare_callback_call(**kw)
        kw = dict(VOICE)
        param = _client._VOICE_CODE_FIELDS.get(row.arg, row.arg)  # time -> times
        assert param in kw, f"line {row.line}: unknown voice argument {row.arg!r}"
        kw[param] = value
        return c.prepare_voice_code(**kw)


# --- the tests -----------------------------------------------------------------------


@pytest.mark.parametrize("row", APPLICABLE, ids=[r.id for r in APPLICABLE])
def test_matrix_row(row: Row) -> None:
    _, inexpressible = python_value(row)
    if row.code == 0:
        prepared = run(row)
        assert isinstance(prepared, ytx.PreparedRequest)
        assert prepared.method == "POST" and "Sign=" in prepared.url
        return
    with pytest.raises(ytx.InvalidArgument) as info:
        run(row)
    e = info.value
    wire = row.field
    param = FIELD_TABLES[row.op].get(wire, wire)
    assert e.field == param, f"field {e.field!r}, expected {param!r} (wire name {wire!r})"
    assert wire in e.message, f"the message does not name {wire!r}: {e.message!r}"
    assert e.message.startswith(param), e.message
    assert e.code == row.code, (e.code, e.message)
    # Not sent, and not retry-safe: a retry fails the same way (issue 18).
    assert e.delivery is ytx.Delivery.NOT_SENT and not e.retry_safe
    if inexpressible:
        # The row's value does not fit the Python parameter's type (e.g.
        # call_status_check=2 when it is a bool): a type error, still code 3
        # and still naming the field.
        assert isinstance(e, ytx.InvalidArgumentType) and isinstance(e, TypeError)
    elif row.raw == "<NULL>":
        assert isinstance(e, ytx.InvalidArgumentType)  # None for a required argument
    else:
        assert type(e) is ytx.InvalidArgument
    assert TOKEN not in e.message and TOKEN not in repr(e)


def test_the_matrix_has_at_least_50_rows_for_the_bindings() -> None:
    assert len(APPLICABLE) >= 50, len(APPLICABLE)
    # ...and the rows the bindings cannot express are the C-only ones.
    for r in ROWS:
        if r.where == "c":
            continue
        assert "\\x" not in r.raw, f"line {r.line}: raw bytes in a {r.where} row"


def test_the_baselines_are_the_ones_the_matrix_states() -> None:
    header = "".join(
        line for line in MATRIX.read_text(encoding="utf-8").splitlines(True)
        if line.startswith("#")
    )
    header = re.sub(r"\s+", " ", header.replace("#", " "))
    for expected in (SID, TOKEN, APP, f"base_url {BASE_URL}",
                     "src 13800138000", "dst 13900139000", "credit 600",
                     "dst 13800138000", "dstclid 02160000000", "code 1234",
                     "time 0 = default"):
        assert expected in header, expected


def test_the_baselines_succeed() -> None:
    with ytx.Client(SID, TOKEN, APP, base_url=BASE_URL) as c:
        assert c.prepare_callback_call(**CALLBACK).method == "POST"
        assert c.prepare_voice_code(**VOICE).method == "POST"


def test_unescape() -> None:
    assert unescape(r"a\0b\n\r\t\\") == b"a\0b\n\r\t\\"
    assert unescape(r"12\xff") == b"12\xff"
    assert unescape("{rep:3:ab}-{rep:2:\\t}") == b"ababab-\t\t"
    assert unescape("令牌") == "令牌".encode("utf-8")
    assert unescape("") == b""
    with pytest.raises(ValueError):
        unescape(r"\q")
