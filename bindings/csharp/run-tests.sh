#!/usr/bin/env bash
# Build the C# binding with Mono's mcs and run its tests against the emulator.
#
#   YTX_LIBRARY_DIR=<dir with libytx.so>   (default: <repo>/target/debug)
#   YTX_EMULATOR=<ytx-emulator binary>     (default: <repo>/target/debug/ytx-emulator)
#   bash bindings/csharp/run-tests.sh
#
# Outputs go to bindings/csharp/bin/ (gitignored): Ytx.dll, Ytx.xml (the XML
# docs), Ytx.dll.config (Mono dllmap) and YtxTests.exe. Exits non-zero if the
# tools are missing, the build fails (warnings are errors) or any test fails.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
lib_dir=${YTX_LIBRARY_DIR:-$root/target/debug}
emulator=${YTX_EMULATOR:-$root/target/debug/ytx-emulator}

missing=()
command -v mcs >/dev/null 2>&1 || missing+=("mcs (apt-get install -y mono-mcs)")
command -v mono >/dev/null 2>&1 || missing+=("mono (apt-get install -y mono-runtime)")
if [ ${#missing[@]} -gt 0 ]; then
    echo "run-tests.sh: missing ${missing[*]}" >&2
    echo "install them with: apt-get install -y mono-mcs mono-runtime" >&2
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

echo "mcs: YtxTests.exe"
mcs "${mcs_flags[@]}" -target:exe -out:"$out/YtxTests.exe" -r:"$out/Ytx.dll" "$here/tests/YtxTests.cs"

echo "mono: YtxTests.exe (library from $lib_dir)"
export LD_LIBRARY_PATH="$lib_dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export YTX_EMULATOR="$emulator"
exec mono --debug "$out/YtxTests.exe"
