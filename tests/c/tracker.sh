#!/usr/bin/env bash
# The tracker through the C ABI against the emulator (issue 21), under
# valgrind (zero leaks, "possibly lost" included) and under ASan+UBSan:
#
#   bash tests/c/tracker.sh LIBDIR EMULATOR
#
# tests/c/test_tracker.c starts its own push receiver and the emulator,
# places 50 calls of every magic number with a restart of the tracker in the
# middle, and checks one final event per call (see its header).
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
libdir=${1:?LIBDIR}
emulator=${2:?EMULATOR}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cflags=(-std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -pedantic -I"$root/include")
# shellcheck disable=SC2054 # the commas belong to the flag
san=(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g)
cc "${cflags[@]}" "$root/tests/c/test_tracker.c" -L"$libdir" -lytx -lpthread -o "$work/test_tracker" &&
    cc "${cflags[@]}" "${san[@]}" "$root/tests/c/test_tracker.c" -L"$libdir" -lytx -lpthread \
        -o "$work/test_tracker_san" || exit 1

status=0
echo "== under valgrind"
LD_LIBRARY_PATH="$libdir" valgrind --leak-check=full --error-exitcode=1 --quiet \
    "$work/test_tracker" "$emulator" || status=1
echo "== under ASan+UBSan"
LD_LIBRARY_PATH="$libdir" ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    "$work/test_tracker_san" "$emulator" || status=1
exit $status
