#!/usr/bin/env bash
# Checks every claim about the artifacts of `make dist` (scripts/dist.sh):
#
#   bash tests/dist-check.sh [DIST_DIR]      (default: <repo>/dist)
#
# linux-x86_64: no symbol version above GLIBC_2.17, NEEDED only glibc and
#   libgcc_s (no libssl/libcrypto), SONAME libytx.so.0 with its links, the
#   header's exports; the C tarball's files; the quickstart built with its
#   pkg-config file (shared and static) places both calls against the emulator.
# Python: the wheel is tagged manylinux_2_17 and auditwheel agrees, it holds
#   the portable library, and installed in a fresh venv it places a call; the
#   sdist carries the crate (no ../../Cargo.toml) and builds a wheel.
# win-x64, win-x86: PE machine, imports only system DLLs (no libgcc_s_*,
#   libwinpthread-1), exports = the header's functions = ytx.def; ytx.lib
#   (llvm-dlltool) links a program with lld-link as MSVC would; the C
#   quickstart (mingw) and that program run under Wine against the emulator:
#   64-bit with wine64; 32-bit only if wine32 is installed (it is not on a
#   machine whose apt cannot fetch Debian's i386 indexes: then one line says
#   the 32-bit runs were not run, and the structural checks still apply).
# NuGet: runtimes/{linux-x64,win-x64,win-x86}/native hold exactly the files
#   above, the assembly's version is the library's, and a program using the
#   packaged files places a call on Mono and on .NET 8 CoreCLR.
#
# Needs the emulator's environment (YTX_BASE_URL ... as tests/run-all.sh
# exports) or starts $YTX_EMULATOR itself. Closing line: "dist: N passed, N failed".
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dist=${1:-${DIST_DIR:-$root/dist}}
dist=$(cd "$dist" && pwd) || exit 1
tools_dir=${YTX_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ytx-tools}
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n1)
number=$(awk -F. '{ print $1 * 10000 + $2 * 100 + $3 }' <<<"${version%%[-+]*}")
work=$(mktemp -d) || { echo "mktemp failed (disk full?)" >&2; exit 1; }
emu_pid=""
trap '[ -n "$emu_pid" ] && kill "$emu_pid" 2>/dev/null; rm -rf "$work"' EXIT

passed=0 failed=0
check() { # check DESCRIPTION COMMAND...
    local what=$1
    shift
    if "$@" >"$work/out" 2>&1; then
        passed=$((passed + 1))
        echo "ok   $what"
    else
        failed=$((failed + 1))
        echo "FAIL $what"
        sed 's/^/     /' "$work/out" | tail -20
    fi
}

if [ -z "${YTX_BASE_URL:-}" ]; then
    emulator=${YTX_EMULATOR:-$(bash "$root/tests/target-dir.sh")/debug/ytx-emulator}
    coproc EMU { exec "$emulator" --listen 127.0.0.1:0 --exit-on-stdin-eof 2>/dev/null; }
    emu_pid=$EMU_PID
    read -r -t 10 line <&"${EMU[0]}" || { echo "dist-check: the emulator did not start"; exit 1; }
    export YTX_BASE_URL=${line##* }
    export YTX_ACCOUNT_SID=8a1f0c3e5b7d9f21a4c6e8b0d2f4a6c8
    export YTX_AUTH_TOKEN=5c7e9a1b3d5f7092e4b6c8d0f2a4c6e8
    export YTX_APP_ID=ff8080813fc70a7b013fc72312324213
    export YTX_CALLBACK_ONLY_APP_ID=ff8080813fc70a7b013fc72300000001
fi

header_symbols() {
    grep -v '^ *\*\|^ */\*' "$root/include/ytx.h" | grep -o 'ytx_[a-z_0-9]*(' | tr -d '(' | sort -u
}
header_symbols >"$work/header.syms"

# ------------------------------------------------------------ linux-x86_64
c_dir="$dist/linux-x86_64/ytx-$version-linux-x86_64"
so="$c_dir/lib/libytx.so.$version"

glibc_max() {
    local v
    v=$(objdump -T "$so" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n1)
    echo "highest GLIBC_ symbol version: $v"
    [ -n "$v" ] && [ "$(printf '%s\n2.17\n' "$v" | sort -V | tail -n1)" = 2.17 ]
}
needed_ok() {
    local n bad=0
    for n in $(objdump -p "$so" | awk '$1 == "NEEDED" { print $2 }'); do
        case $n in
        libc.so.6 | libm.so.6 | libdl.so.2 | libpthread.so.0 | librt.so.1 | libutil.so.1 | libgcc_s.so.1 | ld-linux-x86-64.so.2) ;;
        *) echo "unexpected NEEDED $n"; bad=1 ;;
        esac
    done
    objdump -p "$so" | awk '$1 == "NEEDED"'
    [ "$bad" = 0 ]
}
exports_ok() { # library-or-dll-listing
    diff -u "$work/header.syms" "$1"
}
tarball_ok() {
    local t="$dist/ytx-$version-linux-x86_64.tar.gz" f
    mkdir -p "$work/tar" && tar -xzf "$t" -C "$work/tar" || return 1
    for f in include/ytx.h "lib/libytx.so.$version" lib/libytx.so.0 lib/libytx.so lib/libytx.a lib/pkgconfig/ytx.pc README.md; do
        [ -e "$work/tar/ytx-$version-linux-x86_64/$f" ] || { echo "no $f in the tarball"; return 1; }
    done
    [ "$(readlink "$work/tar/ytx-$version-linux-x86_64/lib/libytx.so.0")" = "libytx.so.$version" ] &&
        [ "$(readlink "$work/tar/ytx-$version-linux-x86_64/lib/libytx.so")" = "libytx.so.$version" ] &&
        cmp "$root/include/ytx.h" "$work/tar/ytx-$version-linux-x86_64/include/ytx.h"
}
c_quickstart() {
    local p="$work/tar/ytx-$version-linux-x86_64" pc
    pc="$p/lib/pkgconfig"
    [ "$(PKG_CONFIG_PATH=$pc pkg-config --modversion ytx)" = "$version" ] || return 1
    # shellcheck disable=SC2046
    cc -std=c11 -Wall -Wextra -Werror "$root/examples/c/quickstart.c" \
        $(PKG_CONFIG_PATH=$pc pkg-config --cflags --libs ytx) -o "$work/qs" &&
        cc -std=c11 -Wall -Wextra -Werror "$root/examples/c/quickstart.c" \
            $(PKG_CONFIG_PATH=$pc pkg-config --cflags ytx) "$p/lib/libytx.a" \
            $(PKG_CONFIG_PATH=$pc pkg-config --static --libs-only-l ytx | sed 's/-lytx //') -o "$work/qs_static" &&
        env -u LD_LIBRARY_PATH LD_LIBRARY_PATH="$p/lib" "$work/qs" &&
        "$work/qs_static" >/dev/null &&
        ! ldd "$work/qs_static" | grep -q 'libytx\|libssl'
}

check "linux: libytx.so needs no glibc symbol above GLIBC_2.17" glibc_max
check "linux: NEEDED only glibc and libgcc_s (no OpenSSL)" needed_ok
check "linux: SONAME libytx.so.0" bash -c "objdump -p '$so' | grep -q 'SONAME *libytx.so.0$'"
nm -D --defined-only "$so" | awk '{print $3}' | grep '^ytx_' | sort -u >"$work/so.syms"
check "linux: exports exactly the header's functions" exports_ok "$work/so.syms"
check "linux: the C tarball (header, library + SONAME links, libytx.a, ytx.pc, README)" tarball_ok
check "linux: quickstart via pkg-config, shared and static, both calls against the emulator" c_quickstart

# ------------------------------------------------------------------ Python
wheel=$(ls "$dist"/ytx-"$version"-py3-none-*.whl 2>/dev/null | head -n1)
sdist="$dist/ytx-$version.tar.gz"
venv="$tools_dir/py-build"
wheel_tag() {
    echo "wheel: $(basename "$wheel")"
    case $(basename "$wheel") in *manylinux_2_17_x86_64*) ;; *) return 1 ;; esac
    "$venv/bin/auditwheel" show "$wheel" | tee "$work/show" && grep -q 'manylinux_2_17_x86_64' "$work/show"
}
wheel_lib() {
    "$venv/bin/python" - "$wheel" "$so" <<'EOF'
import hashlib, sys, zipfile
wheel, so = sys.argv[1:]
with zipfile.ZipFile(wheel) as z:
    inside = z.read("ytx/libytx.so")
with open(so, "rb") as f:
    assert hashlib.sha256(inside).digest() == hashlib.sha256(f.read()).digest(), "the wheel's library is not the portable one"
EOF
}
wheel_runs() {
    python3 -m venv "$work/wv" && "$work/wv/bin/python" -m pip install -q --no-index --no-deps "$wheel" &&
        (cd / && env -u YTX_LIBRARY -u LD_LIBRARY_PATH V="$version" "$work/wv/bin/python" -c '
import os, ytx
assert ytx.library_version() == os.environ["V"], ytx.library_version()
with ytx.Client(os.environ["YTX_ACCOUNT_SID"], os.environ["YTX_AUTH_TOKEN"], os.environ["YTX_APP_ID"], base_url=os.environ["YTX_BASE_URL"]) as c:
    a = c.voice_code("13800138000", None, "1234")
    assert a.status_code == "0", a
print("the wheel placed a call:", a.request_id)')
}
sdist_builds() {
    tar -tzf "$sdist" >"$work/sdist.list" || return 1
    grep -qx "ytx-$version/rust/Cargo.toml" "$work/sdist.list" || { echo "no rust/Cargo.toml in the sdist"; return 1; }
    grep -qx "ytx-$version/rust/src/lib.rs" "$work/sdist.list" || { echo "no rust/src/lib.rs in the sdist"; return 1; }
    grep -qx "ytx-$version/setup.py" "$work/sdist.list" || { echo "no setup.py in the sdist"; return 1; }
    mkdir -p "$work/sd" && tar -xzf "$sdist" -C "$work/sd" &&
        (cd "$work/sd/ytx-$version" && "$venv/bin/python" -m pip wheel -q --no-deps --no-build-isolation -w "$work/sdw" .) &&
        ls "$work"/sdw/ytx-"$version"-py3-none-linux_x86_64.whl &&
        "$venv/bin/python" -c 'import sys, zipfile; assert "ytx/libytx.so" in zipfile.ZipFile(sys.argv[1]).namelist()' "$work"/sdw/ytx-*.whl
}
check "python: wheel tagged manylinux_2_17_x86_64, auditwheel agrees" wheel_tag
check "python: the wheel holds the portable library" wheel_lib
check "python: the wheel in a fresh venv places a call (no YTX_LIBRARY)" wheel_runs
check "python: the sdist carries the crate and builds a wheel from it alone" sdist_builds

# ----------------------------------------------------------------- Windows
have_wine32=""
if command -v wine >/dev/null 2>&1 && [ -x /usr/lib/wine/wine ] && dpkg -s wine32 >/dev/null 2>&1; then
    have_wine32=1
fi
windows_imports_ok() { # objdump dll
    local d bad=0
    for d in $("$1" -p "$2" | awk '/DLL Name:/ { print $3 }'); do
        case $(tr 'A-Z' 'a-z' <<<"$d") in
        kernel32.dll | advapi32.dll | bcrypt.dll | bcryptprimitives.dll | ntdll.dll | userenv.dll | ws2_32.dll | \
            msvcrt.dll | secur32.dll | crypt32.dll | ncrypt.dll | shell32.dll | ole32.dll | oleaut32.dll | \
            user32.dll | iphlpapi.dll | api-ms-win-*.dll) echo "imports $d" ;;
        *) echo "imports a non-system DLL: $d"; bad=1 ;;
        esac
    done
    [ "$bad" = 0 ]
}
pe_machine() { # dll expected
    local pe m
    pe=$(od -An -t u4 -j 60 -N 4 "$1" | tr -d ' ')
    m=$(od -An -t u2 -j $((pe + 4)) -N 2 "$1" | tr -d ' ')
    echo "machine $m"
    [ "$m" = "$2" ]
}
msvc_program() { # arch dir gcc-prefix
    # A program that uses ytx.lib as MSVC's link.exe would: compiled to a COFF
    # object (no mingw runtime: its own entry point), linked by lld-link
    # against ytx.lib and kernel32 only; exits 0 when the DLL answers with
    # the header's version.
    local arch=$1 d=$2 cc=$3 machine
    case $arch in x64) machine=x64 ;; x86) machine=x86 ;; esac
    cat >"$d/msvc_link.c" <<'EOF'
#include "ytx.h"
__declspec(dllimport) void __stdcall ExitProcess(unsigned int code);
void __stdcall entry(void) { ExitProcess(ytx_version_number() == YTX_VERSION_NUMBER ? 0u : 1u); }
EOF
    "$cc" -c -O2 -ffreestanding -fno-stack-protector -fno-asynchronous-unwind-tables -I"$root/include" \
        "$d/msvc_link.c" -o "$d/msvc_link.obj" &&
        lld-link-14 -nologo -nodefaultlib -safeseh:no -subsystem:console -machine:$machine \
            -entry:"$([ "$arch" = x86 ] && echo entry@0 || echo entry)" \
            -out:"$d/msvc_link.exe" "$d/msvc_link.obj" "$d/ytx.lib" "$d/msvc/kernel32.lib" &&
        "${cc%gcc}objdump" -p "$d/msvc_link.exe" >"$d/msvc_link.imports" &&
        # It imports ytx_version_number from ytx.dll under the DLL's own
        # (undecorated) export name, also on x86 where C symbols get a '_'.
        sed -n '/DLL Name: ytx.dll/,/^$/p' "$d/msvc_link.imports" | grep -q ' ytx_version_number$'
}
windows_arch() { # arch
    local arch=$1 triple objdump gcc machine d
    case $arch in
    x64) triple=x86_64-w64-mingw32 machine=34404 ;;
    x86) triple=i686-w64-mingw32 machine=332 ;;
    esac
    objdump=$triple-objdump gcc=$triple-gcc
    d="$dist/win-$arch"
    local w="$work/win-$arch"
    mkdir -p "$w"
    cp "$d/ytx.dll" "$d/ytx.lib" "$w/"
    cp "$root/include/ytx.h" "$w/"
    check "win-$arch: ytx.dll is a $arch PE DLL" pe_machine "$d/ytx.dll" "$machine"
    check "win-$arch: ytx.dll imports only system DLLs (no libgcc_s_*, libwinpthread-1)" windows_imports_ok "$objdump" "$d/ytx.dll"
    "$objdump" -p "$d/ytx.dll" | sed -n '/\[Ordinal\/Name Pointer\] Table/,/^$/p' | grep -o 'ytx_[a-z_0-9]*' | sort -u >"$work/dll-$arch.syms"
    check "win-$arch: ytx.dll exports exactly the header's functions" exports_ok "$work/dll-$arch.syms"
    sed -n 's/^ *\(ytx_[a-z_0-9]*\).*/\1/p' "$d/ytx.def" | sort -u >"$work/def-$arch.syms"
    check "win-$arch: ytx.def lists exactly the header's functions" exports_ok "$work/def-$arch.syms"
    # kernel32.lib for lld-link: from the same def-file route (llvm-dlltool).
    # (In a folder of its own: mingw's ld would take it for -lkernel32.)
    mkdir -p "$w/msvc"
    printf 'LIBRARY kernel32.dll\nEXPORTS\n    ExitProcess%s\n' "$([ "$arch" = x86 ] && echo '@4')" >"$w/msvc/kernel32.def"
    llvm-dlltool -m "$([ "$arch" = x86 ] && echo i386 || echo i386:x86-64)" -d "$w/msvc/kernel32.def" -l "$w/msvc/kernel32.lib" \
        $([ "$arch" = x86 ] && echo -k)
    check "win-$arch: a program links against ytx.lib with lld-link (as MSVC would)" msvc_program "$arch" "$w" "$gcc"
    "$gcc" -std=c11 -Wall -Wextra -Werror -I"$root/include" "$root/examples/c/quickstart.c" -L"$w" -l:ytx.dll -o "$w/quickstart.exe" &&
        "$gcc" -shared -O2 -Wall -Wextra -Werror "$root/tests/windows/bcryptprimitives_shim.c" -ladvapi32 \
            $([ "$arch" = x86 ] && echo -Wl,--kill-at) -o "$w/bcryptprimitives.dll"
    local wine
    if [ "$arch" = x64 ]; then
        wine=/usr/lib/wine/wine64
    elif [ -n "$have_wine32" ]; then
        wine=/usr/lib/wine/wine
    else
        echo "NOT RUN win-x86: 32-bit Wine (wine32, Debian's i386 architecture) is not installed, so the 32-bit quickstart and the lld-link program did not run; the structural checks above did"
        return 0
    fi
    check "win-$arch: the C quickstart under Wine, both calls against the emulator" \
        bash -c "cd '$w' && WINEDEBUG=-all WINEPREFIX='$work/wineprefix-$arch' timeout 180 $wine quickstart.exe"
    check "win-$arch: the lld-link program runs under Wine and gets the header's version" \
        bash -c "cd '$w' && WINEDEBUG=-all WINEPREFIX='$work/wineprefix-$arch' timeout 120 $wine msvc_link.exe"
}
windows_arch x64
windows_arch x86

# ------------------------------------------------------------------- NuGet
nupkg="$dist/Ytx.$version.nupkg"
nuget_layout() {
    mkdir -p "$work/nu" && python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$nupkg" "$work/nu" &&
        cmp "$work/nu/runtimes/linux-x64/native/libytx.so" "$so" &&
        cmp "$work/nu/runtimes/win-x64/native/ytx.dll" "$dist/win-x64/ytx.dll" &&
        cmp "$work/nu/runtimes/win-x86/native/ytx.dll" "$dist/win-x86/ytx.dll"
}
assembly_version() {
    cat >"$work/AsmVersion.cs" <<'EOF'
internal static class AsmVersion
{
    private static int Main(string[] args)
    {
        System.Version v = System.Reflection.AssemblyName.GetAssemblyName(args[0]).Version;
        System.Console.WriteLine("assembly version " + v);
        return v.ToString() == args[1] ? 0 : 1;
    }
}
EOF
    mcs -nologo -out:"$work/AsmVersion.exe" "$work/AsmVersion.cs" &&
        mono "$work/AsmVersion.exe" "$work/nu/lib/netstandard2.0/Ytx.dll" "${version%%[-+]*}.0"
}
nuget_runs() {
    # A program against the packaged Ytx.dll, with the packaged (portable)
    # libytx.so next to it, on Mono and on .NET 8 CoreCLR.
    local app="$work/nuapp" dotnet="${YTX_DOTNET:-$tools_dir/py/dnv/net/runtime/.net/dotnet}"
    mkdir -p "$app" &&
        cp "$work/nu/lib/netstandard2.0/Ytx.dll" "$work/nu/lib/netstandard2.0/Ytx.dll.config" \
            "$work/nu/runtimes/linux-x64/native/libytx.so" "$app/" &&
        cat >"$app/Use.cs" <<'EOF' &&
internal static class Use
{
    private static int Main()
    {
        var e = System.Environment.GetEnvironmentVariable("YTX_BASE_URL");
        using (var c = new Ytx.YtxClient(System.Environment.GetEnvironmentVariable("YTX_ACCOUNT_SID"),
            System.Environment.GetEnvironmentVariable("YTX_AUTH_TOKEN"), System.Environment.GetEnvironmentVariable("YTX_APP_ID"),
            new Ytx.YtxClientOptions { BaseUrl = e }))
        {
            Ytx.YtxAccepted a = c.VoiceCode("13800138000", null, "1234");
            System.Console.WriteLine("the package placed a call: " + a.RequestId + " (ytx " + Ytx.YtxLibrary.Version + ")");
            return a.StatusCode == "0" ? 0 : 1;
        }
    }
}
EOF
        mcs -nologo -out:"$app/Use.exe" -r:"$app/Ytx.dll" "$app/Use.cs" &&
        (cd / && env -u LD_LIBRARY_PATH mono "$app/Use.exe") &&
        printf '{"runtimeOptions":{"tfm":"net8.0","framework":{"name":"Microsoft.NETCore.App","version":"8.0.0"}}}\n' >"$app/Use.runtimeconfig.json" &&
        (cd / && env -u LD_LIBRARY_PATH DOTNET_ROOT="$(dirname "$dotnet")" "$dotnet" exec "$app/Use.exe")
}
check "nuget: runtimes/{linux-x64,win-x64,win-x86}/native hold the portable library and both DLLs" nuget_layout
check "nuget: a program on the packaged Ytx.dll + linux-x64 library places a call on Mono and on .NET 8 CoreCLR" nuget_runs
check "nuget: the assembly's version is the library's ($version)" assembly_version

: "$number"
echo "dist: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
