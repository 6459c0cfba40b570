"""Finding and loading the native library (each case in a fresh interpreter)."""

from __future__ import annotations

import os
import shutil
import textwrap
from pathlib import Path

import ytx
from support import APP, SID, SRC_DIR, TOKEN, library_path, run_python


def check(result) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_import_does_not_load_and_first_use_loads_once():
    out = check(run_python(textwrap.dedent("""
        import threading, ytx, ytx._native as n
        assert n._default is None, "loaded at import"
        got = []
        ts = [threading.Thread(target=lambda: got.append(ytx.load_library())) for _ in range(16)]
        [t.start() for t in ts]; [t.join() for t in ts]
        assert len({id(x) for x in got}) == 1
        assert len(n._by_key) == 1
        print(got[0].version)
    """), env={"YTX_LIBRARY": library_path()}))
    assert out.strip() == ytx.EXPECTED_VERSION


def test_not_found_lists_every_place_tried(tmp_path):
    result = run_python(textwrap.dedent("""
        import ytx
        try:
            ytx.Client("a", "b", "c")
        except ytx.LibraryNotFound as e:
            assert isinstance(e, ImportError)
            print(e)
            print("TRIED", len(e.tried))
    """), cwd=str(tmp_path))
    out = check(result)
    assert "$YTX_LIBRARY: not set" in out
    assert str(SRC_DIR / "ytx" / "libytx.so") in out
    assert "system search for libytx.so" in out
    assert "TRIED 3" in out or "TRIED 4" in out


def test_a_wrong_ytx_library_is_an_error_not_a_fallback(tmp_path):
    missing = tmp_path / "nope" / "libytx.so"
    out = check(run_python(textwrap.dedent("""
        import ytx
        try:
            ytx.load_library()
        except ytx.LibraryNotFound as e:
            print(e)
    """), env={"YTX_LIBRARY": str(missing)}))
    assert f"{missing}: no such file" in out
    assert "YTX_LIBRARY" in out


def test_a_file_that_is_not_a_library(tmp_path):
    bogus = tmp_path / "libytx.so"
    bogus.write_text("not an ELF file")
    out = check(run_python(textwrap.dedent(f"""
        import ytx
        try:
            ytx.load_library({str(bogus)!r})
        except ytx.LibraryNotFound as e:
            print(e)
    """)))
    assert "could not be loaded" in out


def test_explicit_path_file_or_folder_and_library_parameter():
    lib = library_path()
    out = check(run_python(textwrap.dedent(f"""
        import os, ytx
        a = ytx.load_library({os.path.dirname(lib)!r})   # a folder holding it
        b = ytx.load_library({lib!r})                    # the file itself
        assert a is b
        with ytx.Client({SID!r}, {TOKEN!r}, {APP!r}, library={lib!r}) as c:
            assert c.library is a
            print(c.prepare_voice_code("13800138000", "01085485069", "1").method)
        print(ytx.live_clients())
    """)))
    assert out.split() == ["POST", "0"]


def test_a_copy_inside_the_package_folder_is_found(tmp_path):
    pkg = tmp_path / "site" / "ytx"
    shutil.copytree(SRC_DIR / "ytx", pkg, ignore=shutil.ignore_patterns("__pycache__", "*.so"))
    shutil.copy(library_path(), pkg / "libytx.so")
    out = check(run_python(textwrap.dedent("""
        import ytx
        print(ytx.load_library().path)
    """), env={"PYTHONPATH": str(tmp_path / "site")}, cwd=str(tmp_path)))
    assert Path(out.strip()) == pkg / "libytx.so"


def test_version_mismatch_fails_clearly():
    out = check(run_python(textwrap.dedent("""
        import ytx, ytx._native as n
        n.EXPECTED_VERSION_NUMBER = 20000   # pretend this binding wants 2.0.0
        try:
            ytx.load_library()
        except ytx.LibraryVersionMismatch as e:
            assert isinstance(e, ImportError)
            print(e.found, e.expected)
            print(e)
    """), env={"YTX_LIBRARY": library_path()}))
    first, message = out.split("\n", 1)
    assert first == "100 20000"
    assert "is ytx 0.1.0" in message and "written for ytx 2.0.0" in message


def test_every_symbol_is_declared():
    lib = ytx.load_library()
    from ytx._native import _PROTOTYPES

    header = (Path(__file__).resolve().parents[3] / "include" / "ytx.h").read_text()
    import re

    declared_in_header = set(re.findall(r"\b(ytx_[a-z_]+)\(", header))
    assert declared_in_header == set(_PROTOTYPES), declared_in_header ^ set(_PROTOTYPES)
    for name in _PROTOTYPES:
        fn = getattr(lib, name)
        assert fn.argtypes is not None and hasattr(fn, "restype"), name
    assert lib.result_name(12) == "YTX_ERR_TIMEOUT"
    assert lib.result_name(12345) == "YTX_UNKNOWN"
    assert os.path.realpath(lib.path) == os.path.realpath(library_path())


def test_each_symbol_is_declared_once_as_in_the_header():
    """One table: each C symbol is one typed method of NativeLibrary whose
    parameters are the header's, in number and name, in the header's order."""
    import inspect
    import re

    from ytx._native import _PROTOTYPES, NativeLibrary

    header = (Path(__file__).resolve().parents[3] / "include" / "ytx.h").read_text()
    prototypes = re.findall(r"^[a-z][^;\n(]*?\b(ytx_[a-z_]+)\(([^)]*)\);", header, re.M)
    assert len(prototypes) == len(set(re.findall(r"\b(ytx_[a-z_]+)\(", header)))
    assert [name for name, _ in prototypes] == list(_PROTOTYPES)
    for name, params in prototypes:
        c_names = [] if params.strip() == "void" else [
            re.search(r"([a-z_]+)$", p.strip()).group(1) for p in params.split(",")]
        method = getattr(NativeLibrary, name)
        py_names = list(inspect.signature(method).parameters)[1:]  # without self
        assert py_names == c_names, name
        assert len(_PROTOTYPES[name][1]) == len(c_names), name


def test_enum_parameters_cross_at_the_enums_width():
    """ytx_result_name(ytx_result) and ytx_delivery_name(ytx_delivery): uint32_t."""
    import ctypes
    import re

    from ytx._native import _PROTOTYPES

    header = (Path(__file__).resolve().parents[3] / "include" / "ytx.h").read_text()
    taking = re.findall(r"\b(ytx_[a-z_]+)\((ytx_result|ytx_delivery) [a-z_]+\);", header)
    assert {name for name, _ in taking} >= {"ytx_result_name", "ytx_delivery_name"}
    for name, _ in taking:
        assert _PROTOTYPES[name][1] == [ctypes.c_uint32], name
    lib = ytx.load_library()
    assert lib.result_name(2**32 - 1) == "YTX_UNKNOWN"
    assert lib.delivery_name(2) == "YTX_DELIVERY_ANSWERED"


def test_wrong_argument_types_at_the_c_layer_are_type_errors():
    """argtypes turn a wrong call into an exception, not a crash."""
    import ctypes

    lib = ytx.load_library()
    try:
        lib.ytx_voice_code(None, "13800138000", b"x", b"1", 0, None)  # str, not bytes
    except ctypes.ArgumentError:
        pass
    else:  # pragma: no cover
        raise AssertionError("a str was accepted as const char *")
    try:
        lib.ytx_free(12345)  # an int, not a ytx_client *
    except ctypes.ArgumentError:
        pass
    else:  # pragma: no cover
        raise AssertionError("an int was accepted as ytx_client *")
