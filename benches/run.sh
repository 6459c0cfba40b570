#!/usr/bin/env bash
# The performance benchmark of issues 7 and 22, in one command:
#
#     bash benches/run.sh
#
# Builds the release shared library (the Python and C# bindings load it, and
# its stripped size is reported), makes sure Python's `requests` is
# importable, builds the C# bench client (bindings/csharp/bench/Bench.cs)
# with Mono's mcs against Ytx.dll, then runs benches/perf.rs (`cargo bench
# --bench perf`), which prints the whole table: every language's row with
# its CPU time per call, allocations per call (Rust API, C ABI), and the push
# parser's throughput in every language. Extra arguments go to the bench
# binary:
#
#     bash benches/run.sh --experiments          # where the Rust API's time goes
#     bash benches/run.sh --thread-experiments   # 8 threads, connection pool sizes
#     bash benches/run.sh --only rust 100000     # one client alone, for perf/strace/callgrind
#     bash benches/run.sh --only8 cabi 80000     # 8 threads on one handle, for strace -f -c
#
# YTX_BENCH_QUICK=1 makes a short smoke run; YTX_BENCH_JSON=file also writes
# the results as JSON; PYTHON picks the interpreter (default python3);
# YTX_DOTNET the .NET 8 host (default: tests/setup.sh's, in the tool cache,
# as bindings/csharp/run-tests.sh finds it).
#
# Every language's runtime must be there: a missing one (python3, mono, mcs,
# the .NET 8 host) stops this script with a message saying how to install
# it, and a client that fails to run makes the bench exit non-zero after
# printing its tables; no row is skipped silently.
# Not part of tests/run-all.sh: nothing here asserts on timings.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

py="${PYTHON:-python3}"
tools_dir=${YTX_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ytx-tools}
dotnet=${YTX_DOTNET:-$tools_dir/py/dnv/net/runtime/.net/dotnet}
only_rust=""
for a in "$@"; do
    # These modes run no other language's client.
    case $a in --only | --only8 | --experiments | --thread-experiments | --https | --pushes | --serve)
        only_rust=1 ;;
    esac
done

missing=()
if [ -z "$only_rust" ]; then
    command -v "$py" >/dev/null 2>&1 || missing+=("$py (the Python interpreter; set PYTHON)")
    command -v mcs >/dev/null 2>&1 || missing+=("mcs (apt-get install -y mono-mcs)")
    command -v mono >/dev/null 2>&1 || missing+=("mono (apt-get install -y mono-runtime)")
    [ -x "$dotnet" ] || missing+=("the .NET 8 host $dotnet (bash tests/setup.sh installs it, or set YTX_DOTNET)")
fi
if [ ${#missing[@]} -gt 0 ]; then
    echo "benches/run.sh: missing ${missing[*]}" >&2
    echo "install them with: bash tests/setup.sh" >&2
    exit 2
fi

cargo build --release --lib --quiet
if [ -z "$only_rust" ]; then
    if ! "$py" -c 'import requests' 2>/dev/null; then
        echo "installing Python requests for the comparison client" >&2
        "$py" -m pip install --quiet requests
    fi

    # The C# client: Ytx.dll and YtxBench.exe built by mcs as run-tests.sh
    # builds the suite, run by perf.rs on Mono and on .NET 8 (dotnet exec
    # with the same runtimeconfig as run-tests.sh).
    target_dir=$(bash "$root/tests/target-dir.sh")
    cs="$target_dir/csharp-bench"
    mkdir -p "$cs"
    mcs_flags=(-langversion:7.2 -warn:4 -warnaserror+ -nologo -optimize+)
    mcs "${mcs_flags[@]}" -target:library -out:"$cs/Ytx.dll" "$root"/bindings/csharp/src/*.cs
    cp "$root/bindings/csharp/Ytx.dll.config" "$cs/Ytx.dll.config"
    mcs "${mcs_flags[@]}" -target:exe -out:"$cs/YtxBench.exe" -r:"$cs/Ytx.dll" "$root"/bindings/csharp/bench/*.cs
    printf '%s\n' '{' '  "runtimeOptions": {' '    "tfm": "net8.0",' \
        '    "framework": { "name": "Microsoft.NETCore.App", "version": "8.0.0" }' '  }' '}' \
        >"$cs/ytx-net8.runtimeconfig.json"
    export YTX_BENCH_CSHARP_DIR="$cs"
    export YTX_DOTNET="$dotnet"
fi
exec cargo bench --quiet --bench perf -- "$@"
