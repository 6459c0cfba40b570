#!/usr/bin/env bash
# Fuzz smoke test: each cargo-fuzz target of fuzz/ runs for a short time
# (30 s by default) starting from the committed corpus, one after the other,
# in-process (one fuzzing process, no -jobs).
#
#   bash tests/fuzz-smoke.sh              # 30 s per target
#   FUZZ_SECONDS=120 bash tests/fuzz-smoke.sh
#   FUZZ_TARGETS="http_answer ffi" bash tests/fuzz-smoke.sh   # some targets
#
# Needs the nightly toolchain and cargo-fuzz:
#   rustup toolchain install nightly
#   cargo install cargo-fuzz
#
# Exits non-zero when a tool is missing, a target does not build, or any
# target finds something (crash, panic, failed invariant, leak, timeout).
# The committed corpus is only read: new inputs go to a temporary directory.
# The inputs of fixed findings (fuzz/artifacts-found/) are replayed first.
# Crash inputs are kept under fuzz/artifacts/<target>/ (git-ignored); see
# fuzz/README.md for how to reproduce and minimise them.
# Closing line: "fuzz targets: N passed, N failed".
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=${FUZZ_SECONDS:-30}
read -r -a targets <<<"${FUZZ_TARGETS:-parse_response http_answer requests ffi push}"

if ! command -v cargo >/dev/null 2>&1 || ! cargo +nightly --version >/dev/null 2>&1; then
    echo "fuzz-smoke: the nightly toolchain is missing; install it with:"
    echo "    rustup toolchain install nightly"
    exit 2
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "fuzz-smoke: cargo-fuzz is missing; install it with:"
    echo "    cargo install cargo-fuzz"
    exit 2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$root/fuzz"

echo "=== building the fuzz targets (cargo +nightly fuzz build)"
if ! cargo +nightly fuzz build; then
    echo "fuzz-smoke: the fuzz targets do not build"
    echo "fuzz targets: 0 passed, ${#targets[@]} failed"
    exit 1
fi

passed=0
failed=0
failed_names=()
for t in "${targets[@]}"; do
    echo
    echo "=== $t: ${seconds} s from corpus/$t"
    mkdir -p "$work/$t"
    # The inputs of past findings (artifacts-found/<target>-*) run first, as
    # regression cases: they start in the scratch directory, which libFuzzer
    # reads like any corpus. The first directory receives new inputs; the
    # committed one is read only.
    cp "$root"/fuzz/artifacts-found/"$t"-* "$work/$t"/ 2>/dev/null || true
    if cargo +nightly fuzz run "$t" "$work/$t" "corpus/$t" -- \
        -max_total_time="$seconds" -timeout=20 -print_final_stats=1 \
        >"$work/$t.log" 2>&1; then
        passed=$((passed + 1))
        grep -E '^#[0-9]+.*(DONE|cov:)' "$work/$t.log" | tail -1
        grep -E 'stat::(number_of_executed_units|average_exec_per_sec)' "$work/$t.log"
        echo "--- $t: ok"
    else
        failed=$((failed + 1))
        failed_names+=("$t")
        # The finding: what failed, where, and the saved input.
        grep -E -A12 'panicked at|ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer)' "$work/$t.log" | head -60
        grep -E 'Test unit written to|cargo fuzz (run|tmin)' "$work/$t.log" | head -5
        echo "--- $t: FOUND SOMETHING (full log above was $(wc -l <"$work/$t.log") lines)"
    fi
done

echo
if [ "$failed" -gt 0 ]; then
    echo "targets with findings: ${failed_names[*]}"
fi
echo "fuzz targets: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
