"""Build hook: compile libytx from this repository's Rust sources into the package.

Everything else is in pyproject.toml. ``pip install ./bindings/python`` and
``pip wheel ./bindings/python`` run ``cargo`` (through setuptools-rust) on the
repository's ``Cargo.toml`` in release mode and put the C-ABI library in the
package folder under its plain name (``ytx/libytx.so``, ``libytx.dylib`` or
``ytx.dll``), where ``ytx._native`` looks for it. No Python extension module
is built: the binding is ctypes, so the wheel is tagged ``py3-none-<platform>``
(any Python 3, this OS and architecture), and ``auditwheel repair`` turns the
Linux one into a manylinux wheel.

Where the crate is: ``rust/Cargo.toml`` next to this file when present (the
sdist that ``make dist`` builds carries the crate there, as ``cargo package``
makes it), else the repository's ``../../Cargo.toml``.

``YTX_PREBUILT_LIBRARY=/path/to/libytx.so``: no cargo at all; that file is
put in the package as it is (``make dist`` builds the wheel on the portable
glibc 2.17 library this way, then ``auditwheel repair`` tags it manylinux).

Knobs (all setuptools-rust's or cargo's own):

- ``CARGO_TARGET_DIR``: where cargo builds (default: the repository's
  ``target/``), so a build already made there is reused;
- ``SETUPTOOLS_RUST_CARGO_PROFILE=dev``: a debug build, for a quick try;
- ``CARGO``: the cargo to run.

Needs a Rust toolchain (``cargo`` on ``PATH``, Rust 1.85 or newer).
"""

import os
import shutil
import sys
from pathlib import Path

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py
from setuptools_rust import Binding, RustExtension
from setuptools_rust.build import build_rust

try:
    from setuptools.command.bdist_wheel import bdist_wheel  # setuptools >= 70.1
except ImportError:  # older setuptools: the `wheel` package's command
    from wheel.bdist_wheel import bdist_wheel  # type: ignore[no-redef]

_HERE = Path(__file__).resolve().parent
# The sdist's own copy of the crate, else bindings/python -> the repository,
# whose root crate builds libytx.
_CARGO_TOML = _HERE / "rust" / "Cargo.toml"
if not _CARGO_TOML.is_file():
    _CARGO_TOML = _HERE.parent.parent / "Cargo.toml"
_PREBUILT = os.environ.get("YTX_PREBUILT_LIBRARY", "")

if sys.platform == "win32":
    _LIBNAME = "ytx.dll"
elif sys.platform == "darwin":
    _LIBNAME = "libytx.dylib"
else:
    _LIBNAME = "libytx.so"


class BuildLibytx(build_rust):  # type: ignore[misc]
    """setuptools-rust's build, with the library under its C name.

    setuptools-rust names a cdylib like a Python extension module
    (``libytx.cpython-311-x86_64-linux-gnu.so``); a ctypes library keeps the
    name C programs and ``ytx._native`` know, whatever the Python version.
    """

    def get_dylib_ext_path(self, ext: RustExtension, target_fname: str) -> str:
        path = super().get_dylib_ext_path(ext, target_fname)
        return os.path.join(os.path.dirname(path), _LIBNAME)


class PlatformWheel(bdist_wheel):  # type: ignore[misc, valid-type]
    """ctypes, not a C extension: any Python 3, only this platform."""

    def get_tag(self):  # type: ignore[no-untyped-def]
        _, _, plat = super().get_tag()
        return "py3", "none", plat


class BuildPyWithLibrary(build_py):  # type: ignore[misc]
    """build_py, plus the prebuilt library (YTX_PREBUILT_LIBRARY) in the package."""

    def run(self) -> None:
        super().run()
        dest = os.path.join(self.build_lib, "ytx", _LIBNAME)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        shutil.copyfile(_PREBUILT, dest)


class BinaryDistribution(Distribution):  # type: ignore[misc]
    """A platform (platlib) wheel even though no extension is built here."""

    def has_ext_modules(self) -> bool:
        return True


if _PREBUILT:
    if not os.path.isfile(_PREBUILT):
        raise SystemExit(f"ytx: YTX_PREBUILT_LIBRARY={_PREBUILT} is not a file")
    setup(distclass=BinaryDistribution, cmdclass={"build_py": BuildPyWithLibrary, "bdist_wheel": PlatformWheel})
    sys.exit(0)

if not _CARGO_TOML.is_file():
    raise SystemExit(
        f"ytx: no {_CARGO_TOML}: the Python package is built from the ytx "
        f"repository (pip install ./bindings/python in a clone of it)"
    )

setup(
    rust_extensions=[
        RustExtension(
            # The module name only places the file (in the ytx package);
            # BuildLibytx gives it its C name.
            "ytx.libytx",
            path=str(_CARGO_TOML),
            binding=Binding.NoBinding,
            # The C ABI is the root crate's default feature `capi`; named here
            # so that the package never builds a library without the ytx_*
            # symbols, whatever the defaults become.
            features=["capi"],
            py_limited_api=False,
        )
    ],
    cmdclass={"build_rust": BuildLibytx, "bdist_wheel": PlatformWheel},
)
