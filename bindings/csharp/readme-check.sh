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
#   * the Async block's PlaceBoth is compiled into the same program and places
#     both calls concurrently against the same emulator: two requests;
#   * the first Logging block installs its handler around those calls, which
#     must print an Info line (the second block needs
#     Microsoft.Extensions.Logging, which is not here: it is left out).
#   * the "Life of a call" blocks (OnPush, the records/balance statements,
#     WasPlaced) are compiled into a program that places a callback call with
#     a customParm against the same emulator, feeds OnPush PROTOCOL.md's push
#     samples, runs the records block on the call, and asks WasPlaced for the
#     ticket of a call whose answer was lost (the emulator's dropped-connection
#     fault: true) and for a ticket of a customParm never placed, sent long ago
#     (false); the tracker block (PrintEvents) runs on a tracker of that client
#     fed one state push of the call, which it still watches.
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
block Async 1 >"$work/async.txt"
block "The life of a call" 1 >"$work/onpush.txt"
block "The life of a call" 2 >"$work/records.txt"
block "The life of a call" 3 >"$work/wasplaced.txt"
block "The life of a call" 4 >"$work/tracker.txt"
for f in Quickstart.cs retry.txt log.txt async.txt onpush.txt records.txt wasplaced.txt tracker.txt; do
    [ -s "$work/$f" ] || fail "no code block for $f in $readme"
done

# The fragments inside a program that calls them, as a user would.
{
    echo 'using System; using Ytx;'
    echo 'internal static class Fragments {'
    cat "$work/retry.txt"
    cat "$work/async.txt"
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
    echo '    PlaceBoth(client, System.Threading.CancellationToken.None).GetAwaiter().GetResult();'
    echo '  }'
    echo '  LoggingTeardown();'
    echo '  return 0; } }'
} >"$work/Fragments.cs"

# The life-of-a-call fragments, likewise.
{
    echo 'using System; using System.Text; using Ytx;'
    echo 'internal static class Life {'
    cat "$work/onpush.txt"
    echo 'static void Records(YtxClient client, YtxAccepted call) {'
    cat "$work/records.txt"
    echo 'Console.WriteLine("balance " + balance.Text + " = " + balance.Fen + " fen");'
    echo '}'
    cat "$work/wasplaced.txt"
    cat "$work/tracker.txt"
    echo 'private static int Main() {'
    echo '  OnPush(Encoding.UTF8.GetBytes("{\"requestid\":\"20200437755840048670965760400\",\"dsc\":\"18610559223\",\"state\":\"answer\",\"stateDesc\":\"...\",\"timestamp\":\"2020-04-28 14:51:37\"}"));'
    echo '  OnPush(Encoding.UTF8.GetBytes("{\"cdr\":[{\"requestid\":\"20200437755811196850667520400\",\"duration\":10,\"oriamount\":0.31,\"customParm\":\"order-id-123456\",\"stateDesc\":\"应答|正常\"}]}"));'
    echo '  using (var client = new YtxClient(Environment.GetEnvironmentVariable("YTX_ACCOUNT_SID"),'
    echo '      Environment.GetEnvironmentVariable("YTX_AUTH_TOKEN"), Environment.GetEnvironmentVariable("YTX_APP_ID"),'
    echo '      new YtxClientOptions { BaseUrl = Environment.GetEnvironmentVariable("YTX_BASE_URL") }))'
    echo '  using (var tracker = new YtxTracker(client)) {'
    echo '    YtxAccepted call = client.CallbackCall("13800138000", "13900139000", 600, new CallbackOptions { CustomParm = "readme-order-7" });'
    echo '    tracker.OnPush(Encoding.UTF8.GetBytes("{\"requestid\":\"" + call.RequestId + "\",\"dsc\":\"13800138000\",\"state\":\"answer\",\"stateDesc\":\"x\",\"timestamp\":\"2020-04-28 14:51:37\"}"), "CallState");'
    echo '    PrintEvents(tracker, TimeSpan.FromSeconds(3));'
    echo '    Console.WriteLine("tracked: " + tracker.Pending().Count);'
    echo '    Records(client, call);'
    echo '    YtxException lost = null;'
    echo '    try { client.CallbackCall("13800138000", "19900000002", 600, new CallbackOptions { CustomParm = "readme-order-8" }); }'
    echo '    catch (YtxException e) { lost = e; }'
    echo '    Console.WriteLine("placed? " + WasPlaced(client, lost.Ticket));'
    echo '    Console.WriteLine("never placed? " + WasPlaced(client, "ytx-ticket:1;kind=callback;sent=1000;credit=600;srctimeout=;dsttimeout=;anchor=;customParm=readme%2Dorder%2Dnever"));'
    echo '  }'
    echo '  return 0; } }'
} >"$work/Life.cs"

flags=(-langversion:7.2 -warn:4 -warnaserror+ -nologo -r:"$bin_dir/Ytx.dll")
mcs "${flags[@]}" -target:exe -out:"$work/Quickstart.exe" "$work/Quickstart.cs" ||
    fail "the README's Quickstart does not compile"
mcs "${flags[@]}" -target:exe -out:"$work/Fragments.exe" "$work/Fragments.cs" ||
    fail "the README's CallWithRetry / logging code does not compile"
mcs "${flags[@]}" -target:exe -out:"$work/Life.exe" "$work/Life.cs" ||
    fail "the README's life-of-a-call code (OnPush, records, WasPlaced) does not compile"
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
grep -qE '^accepted: [0-9]{29}, [0-9]{29}$' <<<"$out" || fail "the Async block's PlaceBoth did not print two requestIds"
[ "$(count)" -eq 5 ] || fail "the emulator received $(count) requests in all, not 5 (2 + CallWithRetry's 1 + PlaceBoth's 2)"

out=$(cd "$work" && mono Life.exe 2>&1) || fail "the README's life-of-a-call code failed: $out"
echo "$out"
grep -qE '^20200437755840048670965760400 18610559223 Answer at .*14:51:37 \+08:00$' <<<"$out" ||
    fail "OnPush did not print the state push"
grep -qx '20200437755811196850667520400 order-id-123456: 10 s, 0.31 yuan, 应答|正常' <<<"$out" ||
    fail "OnPush did not print the record push"
grep -qE '^13800138000 -> 13900139000: [0-9]+ s, [0-9]+\.[0-9]{2} yuan \([0-9]+ fen\), 应答\|正常, recording http' <<<"$out" ||
    fail "the records block did not print the call's record"
grep -qE '^balance [0-9]+\.[0-9]{2} = [0-9]+ fen$' <<<"$out" || fail "the records block gave no balance"
grep -qE '^placed: requestId [0-9]{29}, ' <<<"$out" || fail "WasPlaced did not find the call"
grep -qx 'placed? True' <<<"$out" || fail "WasPlaced is not true for the call placed"
grep -qx 'never placed? False' <<<"$out" || fail "WasPlaced is not false for a customParm never placed"
grep -qE '^[0-9]{29} src Answer$' <<<"$out" || fail "PrintEvents did not print the tracked call's state"
grep -qx 'tracked: 1' <<<"$out" || fail "the tracker does not watch the call placed on its client"
echo "readme-check: the README's Quickstart, CallWithRetry, log handler, async and life-of-a-call code work"
