#!/usr/bin/env bash
# Packaging test of the Python binding (issue 8): a wheel built from
# bindings/python with the native library copied in must carry the library,
# so that, installed in a fresh venv, `import ytx` works with no environment
# variable. Steps:
#
#  1. a venv in a temporary folder (python3 -m venv, with pip);
#  2. a temporary copy of bindings/python with $YTX_LIBRARY copied into its
#     package folder, built with `pip wheel --no-deps --no-build-isolation`
#     (no package index: PIP_NO_INDEX=1) and checked (platform tag, library
#     inside);
#  3. the wheel installed into the venv (no index either);
#  4. from a folder outside the repository, with YTX_LIBRARY, PYTHONPATH and
#     LD_LIBRARY_PATH unset, a script places both calls against the emulator
#     and checks that the library loaded is the one in the venv's
#     site-packages (also in /proc/self/maps).
#
# Usage, from anywhere (after `cargo build --workspace`):
#
#   YTX_LIBRARY=$PWD/target/debug/libytx.so bash tests/python-venv.sh
#
# Environment:
#   YTX_LIBRARY      the library to bundle (default: libytx.so in the debug
#                    directory of cargo's target directory, tests/target-dir.sh)
#   YTX_BASE_URL, YTX_ACCOUNT_SID, YTX_AUTH_TOKEN, YTX_APP_ID
#                    an emulator and its credentials (tests/run-all.sh exports
#                    them); when YTX_BASE_URL is unset this script starts
#                    $YTX_EMULATOR (default: ytx-emulator next to it) with
#                    the demo credentials
#   PYTHON           the interpreter to test (default: python3)
#
# Building a wheel needs setuptools with bdist_wheel (setuptools >= 70.1, or
# the `wheel` package). When the interpreter has them, the venv sees them
# (--system-site-packages) and nothing is downloaded. When it lacks them,
# they are installed into the venv from the package index (the only network
# use), with a note: `pip install wheel` (or Debian's python3-wheel for
# /usr/bin/python3) makes the test run offline.
#
# Exit status: 0 when every check passed, 1 otherwise.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
py=${PYTHON:-python3}
start=$SECONDS

fail() {
    echo "python-venv: FAILED: $*" >&2
    exit 1
}

case "$(uname -s)" in
Darwin) libname=libytx.dylib ;;
*) libname=libytx.so ;;
esac
if [ -z "${YTX_LIBRARY:-}" ] || [ -z "${YTX_EMULATOR:-}" ]; then
    debug_dir="$(bash "$root/tests/target-dir.sh")/debug"
fi
lib=${YTX_LIBRARY:-$debug_dir/$libname}
[ -d "$lib" ] && lib="$lib/$libname"
[ -f "$lib" ] || fail "no native library at $lib: run \`cargo build --workspace\` or set YTX_LIBRARY"
lib=$(cd "$(dirname "$lib")" && pwd)/$(basename "$lib")

command -v "$py" >/dev/null 2>&1 || fail "no $py"
if ! "$py" -c 'import ensurepip, venv' >/dev/null 2>&1; then
    echo "python-venv: $py has no ensurepip/venv, which creating a venv with pip needs." >&2
    echo "python-venv: install the apt package python3-venv (apt-get install python3-venv)." >&2
    exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/ytx-python-venv.XXXXXX")
emulator_pid=""
cleanup() {
    if [ -n "$emulator_pid" ]; then
        kill "$emulator_pid" 2>/dev/null || true
        wait "$emulator_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PIP_NO_WARN_SCRIPT_LOCATION=1
unset PIP_REQUIRE_VIRTUALENV PYTHONPATH PYTHONHOME

# What setup.py imports for a platform wheel: setuptools' bdist_wheel, or the
# `wheel` package's for setuptools < 70.1.
can_build_wheels='
import setuptools
try:
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:
    from wheel.bdist_wheel import bdist_wheel
'

# 1. the venv
venv="$work/venv"
if "$py" -c "$can_build_wheels" >/dev/null 2>&1; then
    "$py" -m venv --system-site-packages "$venv" || fail "python3 -m venv failed"
    echo "python-venv: venv with $("$py" -V 2>&1), build tools from its site-packages (offline)"
else
    "$py" -m venv "$venv" || fail "python3 -m venv failed"
    if ! "$venv/bin/python" -c "$can_build_wheels" >/dev/null 2>&1; then
        echo "python-venv: $py lacks setuptools' bdist_wheel (pip install wheel to work offline);"
        echo "python-venv: installing setuptools and wheel into the venv from the package index"
        "$venv/bin/python" -m pip install -q setuptools wheel ||
            fail "could not install setuptools and wheel into the venv"
    fi
    echo "python-venv: venv with $("$py" -V 2>&1)"
fi
vpy="$venv/bin/python"
"$vpy" -m pip --version >/dev/null || fail "the venv has no pip"

# 2. the wheel, from a copy of bindings/python with the library inside
src="$work/src"
"$py" - "$root/bindings/python" "$src" <<'EOF' || fail "copying bindings/python"
import shutil, sys
shutil.copytree(sys.argv[1], sys.argv[2], ignore=shutil.ignore_patterns(
    "__pycache__", "*.pyc", "*.egg-info", "build", "dist", ".pytest_cache", ".mypy_cache",
    "tests", "libytx.so", "libytx.dylib", "ytx.dll"))
EOF
cp "$lib" "$src/src/ytx/$libname"
PIP_NO_INDEX=1 "$vpy" -m pip wheel -q --no-deps --no-build-isolation -w "$work/dist" "$src" ||
    fail "pip wheel failed"
wheels=("$work"/dist/ytx-*.whl)
[ "${#wheels[@]}" -eq 1 ] && [ -f "${wheels[0]}" ] || fail "expected one wheel, got: ${wheels[*]}"
wheel=${wheels[0]}
echo "python-venv: built $(basename "$wheel")"
"$vpy" - "$wheel" "$libname" "$lib" <<'EOF' || fail "the wheel is wrong"
import hashlib, os, sys, zipfile
wheel, libname, lib = sys.argv[1:]
tags = os.path.basename(wheel)[:-4].split("-")[2:]
assert tags[0] == "py3" and tags[1] == "none" and tags[2] != "any", f"not a platform wheel: {tags}"
with zipfile.ZipFile(wheel) as z:
    names = z.namelist()
    assert f"ytx/{libname}" in names, f"no ytx/{libname} in the wheel: {names}"
    assert "ytx/__init__.py" in names and "ytx/py.typed" in names, names
    inside = hashlib.sha256(z.read(f"ytx/{libname}")).hexdigest()
    wheel_meta = z.read(next(n for n in names if n.endswith(".dist-info/WHEEL"))).decode()
with open(lib, "rb") as f:
    assert inside == hashlib.sha256(f.read()).hexdigest(), "the bundled library differs from YTX_LIBRARY"
assert "Root-Is-Purelib: false" in wheel_meta, wheel_meta
EOF

# 3. install it (nothing else: the package has no dependencies)
PIP_NO_INDEX=1 "$vpy" -m pip install -q --no-deps "$wheel" || fail "pip install of the wheel failed"

# 4. the emulator: the runner's, or one of our own
if [ -z "${YTX_BASE_URL:-}" ]; then
    emulator_bin=${YTX_EMULATOR:-$debug_dir/ytx-emulator}
    [ -x "$emulator_bin" ] || fail "no emulator at $emulator_bin: run \`cargo build --workspace\` or set YTX_BASE_URL"
    # Port 0: it picks a free port and prints its URL first; it exits when
    # its stdin (our pipe) closes, so it never outlives this script.
    coproc EMU { exec "$emulator_bin" --listen 127.0.0.1:0 --exit-on-stdin-eof 2>/dev/null; }
    emulator_pid=$EMU_PID
    read -r -t 15 line <&"${EMU[0]}" || fail "the emulator did not start"
    export YTX_BASE_URL=${line##* }
    export YTX_ACCOUNT_SID=8a1f0c3e5b7d9f21a4c6e8b0d2f4a6c8
    export YTX_AUTH_TOKEN=5c7e9a1b3d5f7092e4b6c8d0f2a4c6e8
    export YTX_APP_ID=ff8080813fc70a7b013fc72312324213
    echo "python-venv: started an emulator at $YTX_BASE_URL"
fi
: "${YTX_ACCOUNT_SID:?}" "${YTX_AUTH_TOKEN:?}" "${YTX_APP_ID:?}"

# 5. use it from outside the repository, with nothing pointing at the library
outside="$work/outside"
mkdir "$outside"
cat >"$outside/check.py" <<'EOF'
import os, sys, sysconfig

assert "YTX_LIBRARY" not in os.environ and "LD_LIBRARY_PATH" not in os.environ
import ytx

repo = os.path.realpath(os.environ["REPO_ROOT"])
pkg = os.path.realpath(os.path.dirname(ytx.__file__))
site = {os.path.realpath(sysconfig.get_paths()[k]) for k in ("purelib", "platlib")}
assert os.path.dirname(pkg) in site, f"ytx imported from {pkg}, not the venv's site-packages {site}"
assert not pkg.startswith(repo + os.sep), f"ytx imported from the repository: {pkg}"

lib = ytx.load_library()
loaded = os.path.realpath(lib.path)
assert loaded == os.path.join(pkg, os.environ["LIBNAME"]), f"loaded {loaded}, not the bundled copy"
assert ytx.library_version() == ytx.__version__, (ytx.library_version(), ytx.__version__)

with ytx.Client(os.environ["YTX_ACCOUNT_SID"], os.environ["YTX_AUTH_TOKEN"],
                os.environ["YTX_APP_ID"], base_url=os.environ["YTX_BASE_URL"],
                timeout=10) as client:
    call = client.callback_call("13800138000", "01085485069", 600, custom_parm="venv-test")
    code = client.voice_code("13800138000", "02160000000", "4096", times=2)
assert call.status_code == "0" and call.request_id, call
assert code.status_code == "0" and code.request_id, code
assert ytx.live_clients() == 0

if os.path.exists("/proc/self/maps"):  # the only libytx mapped is the bundled one
    with open("/proc/self/maps") as f:
        mapped = {os.path.realpath(line.split(None, 5)[5].strip())
                  for line in f if "libytx" in line and len(line.split(None, 5)) == 6}
    assert mapped == {loaded}, mapped

print(f"ytx {ytx.library_version()} from {loaded}")
print(f"callback call accepted, requestId {call.request_id}")
print(f"voice code accepted, requestId {code.request_id}")
EOF
(
    cd "$outside" &&
        env -u YTX_LIBRARY -u LD_LIBRARY_PATH -u DYLD_LIBRARY_PATH -u PYTHONPATH \
            REPO_ROOT="$root" LIBNAME="$libname" PYTHONNOUSERSITE=1 "$vpy" check.py
) || fail "the installed package did not work"

echo "python-venv: ok ($((SECONDS - start)) s)"
