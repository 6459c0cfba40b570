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
# PROTOCOL.md's keys). It also shows each protection of "Protecting a
# receiver": a slow client holding a connection open does not stop the
# pushes, an oversized, negative or missing Content-Length and a wrong path
# are refused at once, a push routed by ?Call / ?CallState must match its
# body, and a client slower than the read deadline is cut off (408).
# Closing line: "push receiver: N passed, N failed".
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
libdir=${1:?LIBDIR}
emulator=${2:?EMULATOR}
work=$(mktemp -d) || { echo "mktemp failed (disk full?)" >&2; exit 1; }
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

# 8 states + the call's record + the voice code's record + 1 by hand = 11
# new pushes. The secret path is the option a receiver should use.
# valgrind as a user runs it (README): every leak kind but "still reachable"
# counts, "possibly lost" included.
secret=/push-5f0c2a9e71d4
LD_LIBRARY_PATH="$libdir" valgrind --leak-check=full --error-exitcode=1 \
    "$work/push_receiver" 0 --max 11 --secret-path "$secret" >"$work/received" 2>"$work/valgrind" &
recv_pid=$!
for _ in $(seq 100); do
    grep -q '^listening on ' "$work/received" 2>/dev/null && break
    sleep 0.1
done
push_url=$(sed -n 's/^listening on //p' "$work/received")
[ -n "$push_url" ] || { echo "the receiver did not start"; cat "$work/valgrind"; exit 1; }
port=$(echo "$push_url" | sed -n 's|^http://127.0.0.1:\([0-9]*\)/.*|\1|p')

# raw REQUEST: send it on a new connection, print the status line (5 s at most).
raw() {
    local line=""
    exec 5<>"/dev/tcp/127.0.0.1/$port" || return 1
    printf '%b' "$1" >&5
    read -r -t 5 line <&5
    exec 5<&- 5>&-
    echo "${line%$'\r'}"
}
post() { # post TARGET BODY
    raw "POST $1 HTTP/1.1\r\nHost: x\r\nContent-Length: ${#2}\r\n\r\n$2"
}
# A slow client: half a head, then silence, held open through everything below.
exec 7<>"/dev/tcp/127.0.0.1/$port"
printf 'POST %s?CallState HTTP/1.1\r\nContent-Le' "$secret" >&7

state_body='{"requestid":"7","dsc":"1","state":"hold","timestamp":"2020-04-28 14:51:37"}'
status_oversized=$(raw "POST $secret?Call HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n")
status_negative=$(raw "POST $secret?Call HTTP/1.1\r\nContent-Length: -1\r\n\r\n")
status_missing=$(raw "POST $secret?Call HTTP/1.1\r\n\r\n")
status_wrong_path=$(post "/push-guess?CallState" "$state_body")
status_first=$(post "$secret?CallState" "$state_body")
status_again=$(post "$secret?CallState" "$state_body")
status_misrouted=$(post "$secret?Call" "$state_body")

coproc EMU { exec "$emulator" --listen 127.0.0.1:0 --push-url "$push_url" --exit-on-stdin-eof 2>/dev/null; }
emu_pid=$EMU_PID
read -r -t 10 line <&"${EMU[0]}" || { echo "emulator did not start"; exit 1; }
base_url=${line##* }

dup=19900002003 # the emulator's "every answer and record push twice" number
YTX_BASE_URL=$base_url YTX_ACCOUNT_SID=8a1f0c3e5b7d9f21a4c6e8b0d2f4a6c8 \
    YTX_AUTH_TOKEN=5c7e9a1b3d5f7092e4b6c8d0f2a4c6e8 YTX_APP_ID=ff8080813fc70a7b013fc72312324213 \
    YTX_DST=$dup LD_LIBRARY_PATH="$libdir" "$work/quickstart" >"$work/quickstart.out" ||
    { echo "quickstart failed:"; cat "$work/quickstart.out"; exit 1; }

# The receiver exits by itself after 11 new pushes (generous deadline),
# while the slow client still holds its connection.
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
check "8 states of the call and 1 by hand, each once" [ "$(count '^state: ')" -eq 9 ]
for s in callout alerting answer disconnect; do
    check "$s of both legs" [ "$(grep -c "^state: .* $s (" "$work/received")" -eq 2 ]
done
check "both records" [ "$(count '^record: ')" -eq 2 ]
check "the call's record carries its customParm" grep -q '^record: .*customParm c-quickstart-1 ' "$work/received"
check "duplicates ignored" [ "$(count '^duplicate ignored: ')" -ge 2 ]
check "one push routed to ?Call with a state body refused: $status_misrouted" \
    [ "$(count '^not a push: .*?Call')" -eq 1 ] && [ "$(count '^not a push')" -eq 1 ]
check "an absurd Content-Length is refused at once: $status_oversized" [ "$status_oversized" = "HTTP/1.1 413 Content Too Large" ]
check "a negative Content-Length is refused at once: $status_negative" [ "$status_negative" = "HTTP/1.1 400 Bad Request" ]
check "no Content-Length is refused: $status_missing" [ "$status_missing" = "HTTP/1.1 411 Length Required" ]
check "a wrong path is refused: $status_wrong_path" [ "$status_wrong_path" = "HTTP/1.1 404 Not Found" ]
check "a push by hand is answered 200: $status_first" [ "$status_first" = "HTTP/1.1 200 OK" ]
check "the same state push again is answered 200 and ignored" \
    [ "$status_again" = "HTTP/1.1 200 OK" ] && grep -q '^duplicate ignored: state|7|1|hold|2020-04-28 14:51:37$' "$work/received"
check "the slow client did not stop the others (all pushes handled while it waited)" \
    [ "$(count '^refused: 408')" -eq 0 ]
exec 7<&- 7>&-

# The read deadline: a receiver with a short one cuts a slow client off.
LD_LIBRARY_PATH="$libdir" "$work/push_receiver" 0 --read-deadline-ms 300 >"$work/deadline" 2>&1 &
slow_pid=$!
for _ in $(seq 100); do
    grep -q '^listening on ' "$work/deadline" 2>/dev/null && break
    sleep 0.1
done
port=$(sed -n 's|^listening on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$work/deadline")
status_slow=$(raw "POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n{")
kill "$slow_pid" 2>/dev/null
wait "$slow_pid" 2>/dev/null
check "a client slower than the read deadline gets 408: $status_slow" [ "$status_slow" = "HTTP/1.1 408 Request Timeout" ]
if [ "$failed" -gt 0 ]; then
    echo "--- receiver output"; cat "$work/received"; cat "$work/valgrind"
fi
echo "push receiver: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
