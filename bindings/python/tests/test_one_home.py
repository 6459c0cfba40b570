"""One home for every rule (issue 14): each table or rule the binding holds a
copy of is compared here with ``include/ytx.h`` or with what the library
answers, so that changing one entry on either side fails a test.

What the binding no longer copies at all (it asks the library): the
defaults (timeouts, base URLs: nothing is passed for an option not given),
the option rules (order, repeats, environment with base_url), the Sign
redaction (``ytx_outcome_request_url_redacted``), the effective base URL
(``ytx_client_base_url``) and the platform's status-code explanations.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, List

import pytest

import ytx
from ytx import _client, _logging, _native
from support import APP, DST, DSTCLID, SID, SRC, TOKEN

HEADER = Path(__file__).resolve().parents[3] / "include" / "ytx.h"


def header_enum(name: str) -> Dict[str, int]:
    """``NAME = value`` of ``enum name { ... }`` in ytx.h."""
    text = HEADER.read_text("utf-8")
    m = re.search(r"^enum " + name + r"\b.*?\{(.*?)^\};", text, re.M | re.S)
    assert m, f"no enum {name} in {HEADER}"
    body = re.sub(r"/\*.*?\*/", "", m.group(1), flags=re.S)
    found = {k: int(v) for k, v in re.findall(r"\b(YTX_[A-Z0-9_]+) = (\d+)", body)}
    assert found, f"enum {name} has no entries"
    return found


def library_table(name_of) -> Dict[str, int]:
    """``NAME = value`` of what the library itself names (``ytx_result_name``,
    ``ytx_delivery_name``) over 0-255: the ABI's numbers are below 100."""
    named = {n: name_of(n) for n in range(256)}
    return {name: n for n, name in named.items() if name != "YTX_UNKNOWN"}


@pytest.fixture(scope="module")
def lib() -> ytx.NativeLibrary:
    return ytx.load_library()


def test_result_codes_are_the_headers_and_the_librarys(lib):
    header = header_enum("ytx_result")
    python = {("YTX_OK" if c.name == "OK" else "YTX_ERR_" + c.name): int(c) for c in ytx.ResultCode}
    assert python == header
    assert library_table(lib.result_name) == header
    for c in ytx.ResultCode:
        assert lib.result_name(c) == ("YTX_OK" if c.name == "OK" else "YTX_ERR_" + c.name)


def test_delivery_states_are_the_headers_and_the_librarys(lib):
    header = header_enum("ytx_delivery")
    python = {"YTX_DELIVERY_" + d.name: int(d) for d in ytx.Delivery}
    assert python == header
    assert library_table(lib.delivery_name) == header
    for d in ytx.Delivery:
        assert lib.delivery_name(d) == "YTX_DELIVERY_" + d.name
    # A missing outcome is unknown, never "not sent" (safe to retry).
    assert lib.ytx_outcome_delivery(None) == ytx.Delivery.UNKNOWN


def test_log_levels_are_the_headers():
    header = header_enum("ytx_log_level")
    python = {
        "YTX_LOG_OFF": _logging._YTX_LOG_OFF,
        "YTX_LOG_ERROR": _logging._YTX_LOG_ERROR,
        "YTX_LOG_WARN": _logging._YTX_LOG_WARN,
        "YTX_LOG_INFO": _logging._YTX_LOG_INFO,
        "YTX_LOG_DEBUG": _logging._YTX_LOG_DEBUG,
    }
    assert python == header
    assert sorted(_logging._TO_PYTHON) == sorted(v for k, v in header.items() if k != "YTX_LOG_OFF")


def test_the_15_callback_fields_are_the_librarys_in_wire_order(lib):
    wire = [name for name, _ in _client._CALLBACK_OPTIONS.values()]
    library = lib.callback_option_names()
    assert len(library) == 15, library
    assert wire == library
    # ... and each is a keyword of CallbackOptions, the one Python list.
    assert list(ytx.CallbackOptions.__annotations__) == list(_client._CALLBACK_OPTIONS)
    assert ytx.CallbackOptions.__optional_keys__ == frozenset(_client._CALLBACK_OPTIONS)


def test_the_client_options_are_the_librarys(lib):
    python: List[str] = sorted(name for name, _ in _client._CLIENT_OPTIONS.values())
    library = sorted(lib.client_option_names())
    assert library, "the library lists no client option"
    assert python == library
    # Every one is a keyword of Client.
    import inspect
    params = inspect.signature(ytx.Client).parameters
    for keyword in _client._CLIENT_OPTIONS:
        assert keyword in params, keyword


def test_the_defaults_the_docs_state_are_the_librarys(lib):
    doc = ytx.Client.__doc__ or ""
    timeout = re.search(r"timeout: seconds for a whole call \(default ([\d.]+)\)", doc)
    connect = re.search(r"connect_timeout: seconds to connect, DNS included \(default ([\d.]+)", doc)
    assert timeout and connect, doc
    assert float(timeout.group(1)) * 1000 == lib.ytx_default_timeout_ms()
    assert float(connect.group(1)) * 1000 == lib.ytx_default_connect_timeout_ms()
    # And the base URLs come from the library, not from Python.
    with ytx.Client(SID, TOKEN, APP) as c:
        assert c.base_url == lib.ytx_production_url()
        assert c.prepare_voice_code(DST, DSTCLID, "1").url.startswith(lib.ytx_production_url() + "/")
    with ytx.Client(SID, TOKEN, APP, environment="sandbox") as c:
        assert c.base_url == lib.ytx_sandbox_url()


def test_ringback_types_are_exactly_what_the_library_accepts(client):
    import json
    for rt in ytx.RingbackType:
        p = client.prepare_callback_call(SRC, DST, 600, ringback_type=rt)
        assert json.loads(p.body)["ringbacktype"] == str(int(rt))
    values = sorted(int(rt) for rt in ytx.RingbackType)
    for outside in (values[0] - 1, values[-1] + 1):
        with pytest.raises(ytx.InvalidArgument) as info:
            client.prepare_callback_call(SRC, DST, 600, ringback_type=outside)
        assert info.value.field == "ringback_type"


def _without_value(message: str) -> str:
    return re.sub(r", got -?\d+$", "", message)


@pytest.mark.parametrize("call, library_value, python_value", [
    (lambda c, v: c.prepare_voice_code(DST, DSTCLID, "1", times=v), 4, 0),
    (lambda c, v: c.prepare_voice_code(DST, DSTCLID, "1", times=v), 4, 2**31),
    (lambda c, v: c.prepare_callback_call(SRC, DST, v), 60, 2**63),
    (lambda c, v: c.call_records_after("0", v), 1001, 2**32),
], ids=["times-0", "times-int32", "credit-int64", "limit-uint32"])
def test_the_bindings_own_range_messages_are_the_librarys(make_client, call, library_value,
                                                          python_value):
    # The binding refuses what the C types cannot carry (and times=0, "the
    # platform default" in C) itself; it must say what the library says.
    c = make_client()
    with pytest.raises(ytx.InvalidArgument) as from_library:
        call(c, library_value)
    with pytest.raises(ytx.InvalidArgument) as from_python:
        call(c, python_value)
    assert from_python.value.field == from_library.value.field
    assert _without_value(from_python.value.message) == _without_value(from_library.value.message)


def test_status_code_explanations_come_from_the_library(lib):
    table = ytx.status_codes()
    assert "-204" in table and table["-204"], table
    assert table == lib.status_codes()
    assert ytx.explain_status_code("-204") == lib.ytx_explain_status_code(b"-204")
    assert ytx.explain_status_code("no such code") is None


def test_the_resolution_statuses_are_the_headers():
    defines = header_enum("ytx_resolution_status")
    mine = {k: getattr(_native, k) for k in dir(_native) if k.startswith("YTX_RESOLUTION_")}
    assert defines and mine == defines
    assert {"YTX_RESOLUTION_" + s.name: int(s) for s in ytx.ResolutionStatus} == {
        k: v for k, v in defines.items() if k != "YTX_RESOLUTION_NONE"}
    lib = ytx.load_library()
    for s in ytx.ResolutionStatus:
        assert lib.ytx_resolution_status_name(s) == "YTX_RESOLUTION_" + s.name


def header_struct(name: str) -> List[tuple]:
    """``(C type, field name)`` of ``typedef struct name { ... } name;`` in ytx.h."""
    text = HEADER.read_text("utf-8")
    m = re.search(r"^typedef struct " + name + r" \{(.*?)^\} " + name + ";", text, re.M | re.S)
    assert m, f"no struct {name} in {HEADER}"
    body = re.sub(r"/\*.*?\*/", "", m.group(1), flags=re.S)
    return [(" ".join(t.split()), f) for t, f in re.findall(r"([A-Za-z_][\w ]*?\s*\**)\s*(\w+);", body)]


def test_the_outcome_view_is_the_headers_struct():
    """``ytx_outcome_view``'s fields, in order and width, are ytx.h's."""
    import ctypes

    widths = {"ytx_result": ctypes.c_uint32, "ytx_delivery": ctypes.c_uint32,
              "uint32_t": ctypes.c_uint32, "uint16_t": ctypes.c_uint16,
              "bool": ctypes.c_bool, "const char *": ctypes.c_char_p}
    header = [(widths[t], f) for t, f in header_struct("ytx_outcome_view")]
    assert len(header) == 11
    mine = [(t, f) for f, t in _native.ytx_outcome_view._fields_]
    assert mine == header


def test_the_outcome_view_is_what_each_accessor_says(lib, make_client):
    """One ``ytx_outcome_view_of`` gives what the eleven accessors give, on
    success and on an argument error; NULLs are YTX_ERR_NULL_ARGUMENT."""
    import ctypes

    client = make_client()
    for credit in (600, 60):
        out = _native.ytx_outcome_p()
        rc = lib.ytx_callback_call(client._live_handle(), SRC.encode(), DST.encode(), credit,
                                   None, None, 0, ctypes.byref(out))
        try:
            view = _native.ytx_outcome_view()
            assert lib.ytx_outcome_view_of(out, ctypes.byref(view)) == ytx.ResultCode.OK
            assert view.result == rc == (ytx.ResultCode.OK if credit == 600
                                         else ytx.ResultCode.INVALID_ARGUMENT)
            assert view.delivery == lib.ytx_outcome_delivery(out)
            assert view.retry_safe == lib.ytx_outcome_retry_safe(out)
            assert view.retry_after_ms == lib.ytx_outcome_retry_after_ms(out)
            assert view.http_status == lib.ytx_outcome_http_status(out)
            for name in ("message", "field", "status_code", "status_msg", "request_id", "ticket"):
                accessor = getattr(lib, "ytx_outcome_" + name)
                assert getattr(view, name).decode() == accessor(out), name
            assert (view.field, view.request_id != b"") == (
                (b"", True) if credit == 600 else (b"credit", False))
            assert lib.ytx_outcome_view_of(out, None) == ytx.ResultCode.NULL_ARGUMENT
        finally:
            lib.ytx_outcome_free(out)
    view = _native.ytx_outcome_view()
    assert lib.ytx_outcome_view_of(None, ctypes.byref(view)) == ytx.ResultCode.NULL_ARGUMENT
    assert view.message is None, "nothing written"
