#!/usr/bin/env bash
# One client made before fork() and used by the workers the master forks
# (tests/c/test_fork.c), against an emulator that answers each call with a
# requestId derived from its customParm (--request-id-from-custom-parm):
#
#   bash tests/c/fork.sh LIBDIR EMULATOR
#
# Run under valgrind as a user would (which follows the forked workers: zero
# errors, nothing definitely, indirectly or possibly lost in each process)
# and then built with ASan+UBSan. Zero crossed
# answers, zero failed calls, each call received exactly once.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
libdir=${1:?LIBDIR}
emulator=${2:?EMULATOR}
work=$(mktemp -d) || { echo "mktemp failed (disk full?)" >&2; exit 1; }
emu_pid=""
cleanup() {
    [ -n "$emu_pid" ] && kill "$emu_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

cflags=(-std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -pedantic -I"$root/include")
# shellcheck disable=SC2054 # the commas belong to the flag
san=(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g)
cc "${cflags[@]}" "$root/tests/c/test_fork.c" -L"$libdir" -lytx -o "$work/test_fork" &&
    cc "${cflags[@]}" "${san[@]}" "$root/tests/c/test_fork.c" -L"$libdir" -lytx -o "$work/test_fork_san" || exit 1

coproc EMU { exec "$emulator" --listen 127.0.0.1:0 --request-id-from-custom-parm --exit-on-stdin-eof 2>/dev/null; }
emu_pid=$EMU_PID
read -r -t 10 line <&"${EMU[0]}" || { echo "emulator did not start"; exit 1; }
export YTX_BASE_URL=${line##* }
export YTX_ACCOUNT_SID=8a1f0c3e5b7d9f21a4c6e8b0d2f4a6c8
export YTX_AUTH_TOKEN=5c7e9a1b3d5f7092e4b6c8d0f2a4c6e8
export YTX_APP_ID=ff8080813fc70a7b013fc72312324213

echo "valgrind:"
# Exactly as the README tells a user to run it (run-all.sh's valgrind_run):
# every leak kind but "still reachable" fails, "possibly lost" included, in
# the master and in each forked worker (valgrind checks each process as it
# exits, _exit too); no suppression file.
LD_LIBRARY_PATH="$libdir" valgrind --leak-check=full --error-exitcode=1 \
    "$work/test_fork" || exit 1
echo "ASan+UBSan:"
LD_LIBRARY_PATH="$libdir" ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 "$work/test_fork_san"
