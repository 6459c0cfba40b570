"""Build hook: a wheel that bundles the native library is platform-specific.

Everything else is in pyproject.toml. Without a library in src/ytx/ the wheel
is pure Python (py3-none-any) and finds libytx at run time (YTX_LIBRARY, the
system search). With one copied in (src/ytx/libytx.so, libytx.dylib or
ytx.dll) it is tagged py3-none-<platform>: any Python 3 (it is ctypes, not a
C extension), but only this OS and architecture.
"""

from pathlib import Path

from setuptools import setup
from setuptools.dist import Distribution

_PACKAGE = Path(__file__).resolve().parent / "src" / "ytx"
_BUNDLED = [n for n in ("libytx.so", "libytx.dylib", "ytx.dll") if (_PACKAGE / n).exists()]

cmdclass = {}
distclass = Distribution
if _BUNDLED:
    try:
        from setuptools.command.bdist_wheel import bdist_wheel  # setuptools >= 70.1
    except ImportError:  # older setuptools: the `wheel` package's command
        from wheel.bdist_wheel import bdist_wheel  # type: ignore[no-redef]

    class BinaryDistribution(Distribution):
        """Not pure: the files go to platlib, the wheel gets a platform tag."""

        def has_ext_modules(self) -> bool:
            return True

    class PlatformWheel(bdist_wheel):  # type: ignore[misc, valid-type]
        def get_tag(self):  # type: ignore[no-untyped-def]
            _, _, plat = super().get_tag()
            return "py3", "none", plat  # ctypes: any Python 3, this platform

    distclass = BinaryDistribution
    cmdclass["bdist_wheel"] = PlatformWheel

setup(cmdclass=cmdclass, distclass=distclass)
