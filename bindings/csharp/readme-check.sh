#!/usr/bin/env bash
# The C# code of bindings/csharp/README.md builds and runs as written.
#
#   bash bindings/csharp/readme-check.sh <Ytx.dll dir> <libytx.so dir> <ytx-emulator>
#
# Issue 5's acceptance is "a program written as a new user would write it from
# that README places both calls against the emulator". This takes the README's
# ```csharp blocks as they are:
#   * the Quickstart program is compiled with mcs and run with only the
#     environment variables the README names (YTX_ACCOUNT_SID, YTX_AUTH_TOKEN,
#     YTX_APP_ID, YTX_BASE_URL = a fresh emulator); it must exit 0, print two
#     requestIds, and the emulator must have received exactly two requests;
#   * the Errors section's CallWithRetry is compiled inside a class and called
#     against the same emulator: one call, one request;
#   * the first Logging block installs its handler around that call, which
#     must print an Info line (the second block needs
#     Microsoft.Extensions.Logging, which is not here: it is left out).
# Run by run-tests.sh. Exits non-zero on any failure. KEEP=1 keeps the
# generated sources and programs (the path is printed).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bin_dir=$(cd "$1" && pwd)
lib_dir=$(cd "$2" && pwd)
emulator=$3
readme="$here/README.md"
work=$(mktemp -d)
emu_pid=
cleanup() {
    [ -n "$emu_pid" ] && kill "$emu_pid" 2>/dev/null || true
    if [ -n "${KEEP:-}" ]; then echo "readme-check: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

fail() {
    echo "readme-check: $*" >&2
    exit 1
}

# block <section> <n>: the n-th (1-based) ```csharp block under "## <section>".
block() {
    awk -v want="## $1" -v n="$2" '
        /^## / { in_sec = ($0 == want); next }
        in_sec && /^```csharp$/ { k++; if (k == n) { on = 1; next } }
        on && /^```$/ { exit }
        on { print }
    ' "$readme"
}

block Quickstart 1 >"$work/Quickstart.cs"
block Errors 1 >"$work/retry.txt"
block Logging 1 >"$work/log.txt"
for f in Quickstart.cs retry.txt log.txt; do
    [ -s "$work/$f" ] || fail "no code block for $f in $readme"
done

# The fragments inside a program that calls them, as a user would.
{
    echo 'using System; using Ytx;'
    echo 'internal static class Fragments {'
    cat "$work/retry.txt"
    # The logging block is set-up, "// ...", tear-down: the program's work goes
    # where the "// ..." stands.
    echo 'static void LoggingSetup() {'
    sed '/^\/\/ \.\.\./,$d' "$work/log.txt"
    echo '}'
    echo 'static void LoggingTeardown() {'
    sed '1,/^\/\/ \.\.\./d' "$work/log.txt"
    echo '}'
    echo 'private static int Main() {'
    echo '  LoggingSetup();'
    echo '  using (var client = new YtxClient(Environment.GetEnvironmentVariable("YTX_ACCOUNT_SID"),'
    echo '      Environment.GetEnvironmentVariable("YTX_AUTH_TOKEN"), Environment.GetEnvironmentVariable("YTX_APP_ID"),'
    echo '      new YtxClientOptions { BaseUrl = Environment.GetEnvironmentVariable("YTX_BASE_URL") })) {'
    echo '    Console.WriteLine("retry example: requestId " + CallWithRetry(client, "13800138000", "01085485069").RequestId);'
    echo '  }'
    echo '  LoggingTeardown();'
    echo '  return 0; } }'
} >"$work/Fragments.cs"

flags=(-langversion:7.2 -warn:4 -warnaserror+ -nologo -r:"$bin_dir/Ytx.dll")
mcs "${flags[@]}" -target:exe -out:"$work/Quickstart.exe" "$work/Quickstart.cs" ||
    fail "the README's Quickstart does not compile"
mcs "${flags[@]}" -target:exe -out:"$work/Fragments.exe" "$work/Fragments.cs" ||
    fail "the README's CallWithRetry / logging code does not compile"
cp "$bin_dir/Ytx.dll" "$bin_dir/Ytx.dll.config" "$work/"

# A fresh emulator on a free port; its first line gives the URL.
coproc EMU { exec "$emulator" --listen 127.0.0.1:0; }
emu_pid=$EMU_PID
read -r -t 15 line <&"${EMU[0]}" || fail "the emulator did not start"
base_url=${line#ytx-emulator listening on }
count() { python3 -c 'import json,sys,urllib.request; print(json.load(urllib.request.urlopen(sys.argv[1]+"/_emulator/count"))["count"])' "$base_url"; }

# The emulator's demo account (emulator/README.md), as the README says.
export YTX_ACCOUNT_SID=8a1f0c3e5b7d9f21a4c6e8b0d2f4a6c8
export YTX_AUTH_TOKEN=5c7e9a1b3d5f7092e4b6c8d0f2a4c6e8
export YTX_APP_ID=ff8080813fc70a7b013fc72312324213
export YTX_BASE_URL=$base_url
export LD_LIBRARY_PATH="$lib_dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

out=$(cd "$work" && mono Quickstart.exe 2>&1) || fail "the README's Quickstart failed: $out"
echo "$out"
[ "$(grep -cE 'requestId [0-9]{29}' <<<"$out")" -eq 2 ] || fail "the Quickstart did not print two requestIds"
grep -q "$YTX_AUTH_TOKEN" <<<"$out" && fail "the Quickstart's output shows the token"
[ "$(count)" -eq 2 ] || fail "the emulator received $(count) requests from the Quickstart, not 2"

out=$(cd "$work" && mono Fragments.exe 2>&1) || fail "the README's CallWithRetry failed: $out"
echo "$out"
grep -qE '^retry example: requestId [0-9]{29}$' <<<"$out" || fail "CallWithRetry gave no requestId"
grep -qE 'ytx Info: POST .*Sign=<redacted>' <<<"$out" || fail "the README's log handler printed no Info line"
[ "$(count)" -eq 3 ] || fail "the emulator received $(count) requests in all, not 3"
echo "readme-check: the README's Quickstart, CallWithRetry and log handler work"
