#!/usr/bin/env bash
# The C push receiver example against the emulator, end to end:
#
#   bash tests/c/push-receiver.sh LIBDIR EMULATOR
#
# Builds examples/c/push_receiver.c and the C quickstart, runs the receiver
# under valgrind (zero leaks) as the emulator's push URL, and checks what its
# tracker reported. By hand: a state push for a watched call, sent twice, is
# one event; a push for a call nobody watches (a forged one) and a state push
# sent to ?Call are answered 200 and reported as unrecognised, never as a
# state; a body that is not JSON is answered 400. Then the C quickstart
# places a callback call and a voice code to the emulator's "duplicate
# pushes" number; the receiver watches the call (its JSON line on stdin):
# every state of both legs once, in each leg's order, the call completed
# once with its record confirmed by the signed query, and the voice code's
# record (not watched) unrecognised. It also shows each protection of
# "Protecting a receiver": a slow client holding a connection open does not
# stop the pushes, an oversized, negative or missing Content-Length and a
# wrong path are refused at once, and a client slower than the read deadline
# is cut off (408). Closing line: "push receiver: N passed, N failed".
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
cc "${cflags[@]}" "$root/examples/c/push_receiver.c" -L"$libdir" -lytx -lpthread -o "$work/push_receiver" &&
    cc "${cflags[@]}" "$root/examples/c/quickstart.c" -L"$libdir" -lytx -o "$work/quickstart" || exit 1

export YTX_ACCOUNT_SID=8a1f0c3e5b7d9f21a4c6e8b0d2f4a6c8 YTX_AUTH_TOKEN=5c7e9a1b3d5f7092e4b6c8d0f2a4c6e8 \
    YTX_APP_ID=ff8080813fc70a7b013fc72312324213
# The receiver's tracker queries the emulator, which pushes to the receiver:
# the emulator's port is picked first.
emu_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export YTX_BASE_URL=http://127.0.0.1:$emu_port

# Events: 1 state by hand, 2 unrecognised pushes by hand (forged, misrouted),
# the call's 8 states and its completion, the voice code's record
# (unrecognised) = 13. The secret path is the option a receiver should use;
# the long read deadline lets the slow client below wait through it all.
# valgrind as a user runs it (README): every leak kind but "still reachable"
# counts, "possibly lost" included. Its stdin is a FIFO this script writes
# the calls to watch into.
secret=/push-5f0c2a9e71d4
mkfifo "$work/watch"
LD_LIBRARY_PATH="$libdir" valgrind --leak-check=full --error-exitcode=1 \
    "$work/push_receiver" 0 --max 13 --secret-path "$secret" --read-deadline-ms 120000 \
    <"$work/watch" >"$work/received" 2>"$work/valgrind" &
recv_pid=$!
exec 6>"$work/watch"
for _ in $(seq 300); do
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
# wait_for PATTERN: until the receiver printed a line matching it (30 s at most).
wait_for() {
    for _ in $(seq 300); do
        grep -q -- "$1" "$work/received" && return 0
        sleep 0.1
    done
    return 1
}
# A slow client: half a head, then silence, held open through everything below.
exec 7<>"/dev/tcp/127.0.0.1/$port"
printf 'POST %s?CallState HTTP/1.1\r\nContent-Le' "$secret" >&7

watched=20200437755840048670965760400
forged=20200437755840048670965760999
state_body() { # state_body REQUESTID
    echo "{\"requestid\":\"$1\",\"dsc\":\"13800138000\",\"state\":\"answer\",\"stateDesc\":\"x\",\"timestamp\":\"2020-04-28 14:51:37\"}"
}
echo "$watched" >&6
status_oversized=$(raw "POST $secret?Call HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n")
status_negative=$(raw "POST $secret?Call HTTP/1.1\r\nContent-Length: -1\r\n\r\n")
status_missing=$(raw "POST $secret?Call HTTP/1.1\r\n\r\n")
status_wrong_path=$(post "/push-guess?CallState" "$(state_body "$watched")")
status_first=$(post "$secret?CallState" "$(state_body "$watched")")
status_again=$(post "$secret?CallState" "$(state_body "$watched")")
status_misrouted=$(post "$secret?Call" "$(state_body "$watched")")
status_forged=$(post "$secret?CallState" "$(state_body "$forged")")
status_not_json=$(post "$secret?CallState" "not json")
wait_for "^state $watched " # the reorder window passes: it is out

# A long push timeout: the receiver runs under valgrind, and a push whose
# attempt timed out would come again or, after three, be dropped.
coproc EMU {
    exec "$emulator" --listen "127.0.0.1:$emu_port" --push-url "$push_url" --push-timeout-ms 120000 \
        --exit-on-stdin-eof 2>/dev/null
}
emu_pid=$EMU_PID
read -r -t 10 line <&"${EMU[0]}" || { echo "emulator did not start"; exit 1; }

src=13800138000 dup=19900002003 # the emulator's "every answer and record push twice" number
YTX_SRC=$src YTX_DST=$dup LD_LIBRARY_PATH="$libdir" "$work/quickstart" >"$work/quickstart.out" ||
    { echo "quickstart failed:"; cat "$work/quickstart.out"; exit 1; }
call_id=$(sed -n '/^callback call/,/^voice code/s/.*requestId \([0-9A-Za-z]*\)$/\1/p' "$work/quickstart.out")
code_id=$(sed -n '/^voice code/,$s/.*requestId \([0-9A-Za-z]*\)$/\1/p' "$work/quickstart.out")
# Watch the call with what the application knows of it (a pushes before this
# line waits for it: the tracker's orphan window).
echo "{\"request_id\":\"$call_id\",\"custom_parm\":\"c-quickstart-1\",\"src\":\"$src\",\"dst\":\"$dup\",\"credit\":600}" >&6

# The receiver exits by itself after 13 events (generous deadline), while
# the slow client still holds its connection.
status=1
for _ in $(seq 600); do
    if ! kill -0 "$recv_pid" 2>/dev/null; then
        wait "$recv_pid"
        status=$?
        recv_pid=""
        break
    fi
    sleep 0.1
done
exec 6>&-

passed=0 failed=0
check() { # check DESCRIPTION COMMAND...
    if "${@:2}"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $1"; fi
}
all() { eval "$1"; } # all 'COND && COND': one check of several conditions
count() { grep -c -- "$1" "$work/received"; }
check "the receiver exited cleanly under valgrind after 13 events (status $status)" [ "$status" -eq 0 ]
check "the quickstart's requestIds: $call_id, $code_id" all '[ -n "$call_id" ] && [ -n "$code_id" ]'
check "a state push by hand is answered 200: $status_first" [ "$status_first" = "HTTP/1.1 200 OK" ]
check "the same push again is answered 200 and reported once: $status_again" all '
    [ "$status_again" = "HTTP/1.1 200 OK" ] && [ "$(count "^state $watched ")" -eq 1 ] &&
    [ "$(count "^state $watched ? 13800138000 answer 2020-04-28 14:51:37$")" -eq 1 ]'
check "a forged push (no watched call) is answered 200, reported unrecognised only: $status_forged" all '
    [ "$status_forged" = "HTTP/1.1 200 OK" ] && [ "$(count "$forged")" -eq 1 ] &&
    [ "$(count "^unrecognised push: no tracked call has requestId \"$forged\"$")" -eq 1 ]'
check "a state push sent to ?Call is answered 200, unrecognised by the library's routing: $status_misrouted" all '
    [ "$status_misrouted" = "HTTP/1.1 200 OK" ] && [ "$(count "^unrecognised push: .*?Call")" -eq 1 ]'
check "a body that is not JSON is answered 400: $status_not_json" all '
    [ "$status_not_json" = "HTTP/1.1 400 Bad Request" ] && [ "$(count "^answered 400: not JSON$")" -eq 1 ]'
check "the call's 8 states, each once (the emulator sent some twice)" [ "$(count "^state $call_id ")" -eq 8 ]
for leg in "src $src" "dst $dup"; do
    order=$(sed -n "s/^state $call_id $leg \([a-z]*\) .*/\1/p" "$work/received" | tr '\n' ' ')
    check "the $leg leg's states in order: $order" [ "$order" = "callout alerting answer disconnect " ]
done
check "the call completed once, with its customParm and record, confirmed by the signed query" all '
    [ "$(count "^completed $call_id ")" -eq 1 ] &&
    grep -q "^completed $call_id customParm=c-quickstart-1 duration=[0-9]* amount=[0-9.]* ([0-9]* fen) url=http.* verified=1$" "$work/received"'
check "the voice code's record (not watched) is unrecognised" [ "$(count "^unrecognised push: .*$code_id")" -eq 1 ]
check "13 events, nothing else" [ "$(grep -cE '^(state|completed|resolved|overdue|unrecognised push:) ' "$work/received")" -eq 13 ]
check "an absurd Content-Length is refused at once: $status_oversized" [ "$status_oversized" = "HTTP/1.1 413 Content Too Large" ]
check "a negative Content-Length is refused at once: $status_negative" [ "$status_negative" = "HTTP/1.1 400 Bad Request" ]
check "no Content-Length is refused: $status_missing" [ "$status_missing" = "HTTP/1.1 411 Length Required" ]
check "a wrong path is refused: $status_wrong_path" [ "$status_wrong_path" = "HTTP/1.1 404 Not Found" ]
check "the slow client did not stop the others (all pushes handled while it waited)" \
    [ "$(count '^refused: 408')" -eq 0 ]
exec 7<&- 7>&-

# The read deadline: a receiver with a short one cuts a slow client off.
LD_LIBRARY_PATH="$libdir" "$work/push_receiver" 0 --read-deadline-ms 300 </dev/null >"$work/deadline" 2>&1 &
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
