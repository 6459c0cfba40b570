#!/usr/bin/env bash
# The C push receiver example against the emulator, end to end:
#
#   bash tests/c/push-receiver.sh LIBDIR EMULATOR
#
# Builds examples/c/push_receiver.c and the C quickstart, runs the receiver
# under valgrind (zero leaks) as the emulator's push URL, places a callback
# call and a voice code to the emulator's "duplicate pushes" number with the
# C quickstart, and checks what the receiver printed: every state of both
# legs once, both records, and the duplicates ignored (idempotent by
# requestId). Closing line: "push receiver: N passed, N failed".
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
libdir=${1:?LIBDIR}
emulator=${2:?EMULATOR}
work=$(mktemp -d)
recv_pid="" emu_pid=""
cleanup() {
    [ -n "$emu_pid" ] && kill "$emu_pid" 2>/dev/null
    [ -n "$recv_pid" ] && kill "$recv_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

cflags=(-std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -pedantic -I"$root/include")
cc "${cflags[@]}" "$root/examples/c/push_receiver.c" -L"$libdir" -lytx -o "$work/push_receiver" &&
    cc "${cflags[@]}" "$root/examples/c/quickstart.c" -L"$libdir" -lytx -o "$work/quickstart" || exit 1

# 8 states + the call's record + the voice code's record = 10 new pushes.
# valgrind as a user runs it (README): every leak kind but "still reachable"
# counts, "possibly lost" included.
LD_LIBRARY_PATH="$libdir" valgrind --leak-check=full --error-exitcode=1 \
    "$work/push_receiver" 0 --max 10 >"$work/received" 2>"$work/valgrind" &
recv_pid=$!
for _ in $(seq 100); do
    grep -q '^listening on ' "$work/received" 2>/dev/null && break
    sleep 0.1
done
push_url=$(sed -n 's/^listening on //p' "$work/received")
[ -n "$push_url" ] || { echo "the receiver did not start"; cat "$work/valgrind"; exit 1; }

coproc EMU { exec "$emulator" --listen 127.0.0.1:0 --push-url "$push_url" --exit-on-stdin-eof 2>/dev/null; }
emu_pid=$EMU_PID
read -r -t 10 line <&"${EMU[0]}" || { echo "emulator did not start"; exit 1; }
base_url=${line##* }

dup=19900002003 # the emulator's "every answer and record push twice" number
YTX_BASE_URL=$base_url YTX_ACCOUNT_SID=8a1f0c3e5b7d9f21a4c6e8b0d2f4a6c8 \
    YTX_AUTH_TOKEN=5c7e9a1b3d5f7092e4b6c8d0f2a4c6e8 YTX_APP_ID=ff8080813fc70a7b013fc72312324213 \
    YTX_DST=$dup LD_LIBRARY_PATH="$libdir" "$work/quickstart" >"$work/quickstart.out" ||
    { echo "quickstart failed:"; cat "$work/quickstart.out"; exit 1; }

# The receiver exits by itself after 10 new pushes (generous deadline).
status=1
for _ in $(seq 300); do
    if ! kill -0 "$recv_pid" 2>/dev/null; then
        wait "$recv_pid"
        status=$?
        recv_pid=""
        break
    fi
    sleep 0.1
done

passed=0 failed=0
check() { # check DESCRIPTION COMMAND...
    if "${@:2}"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $1"; fi
}
count() { grep -c -- "$1" "$work/received"; }
check "the receiver exited cleanly under valgrind (status $status)" [ "$status" -eq 0 ]
check "8 states, each once" [ "$(count '^state: ')" -eq 8 ]
for s in callout alerting answer disconnect; do
    check "$s of both legs" [ "$(grep -c "^state: .* $s (" "$work/received")" -eq 2 ]
done
check "both records" [ "$(count '^record: ')" -eq 2 ]
check "the call's record carries its customParm" grep -q '^record: .*customParm c-quickstart-1 ' "$work/received"
check "duplicates ignored" [ "$(count '^duplicate ignored: ')" -ge 2 ]
check "nothing unparsable" [ "$(count '^not a push')" -eq 0 ]
if [ "$failed" -gt 0 ]; then
    echo "--- receiver output"; cat "$work/received"; cat "$work/valgrind"
fi
echo "push receiver: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
