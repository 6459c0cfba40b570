#!/usr/bin/env bash
# Fuzz smoke test, deterministic: the same commit always runs the same
# inputs. For each cargo-fuzz target of fuzz/, one after the other, in one
# in-process libFuzzer run, every input of fuzz/artifacts-found/<target>-*
# (past findings) and of the committed corpus fuzz/corpus/<target>/ runs
# once (-runs=0: no mutation).
# Why no mutation: ffi signs with the clock and http_answer races its
# server's threads, so their coverage, and with it the inputs a fixed seed's
# mutations try, moves from run to run; and two clean-clone runs of one
# commit gave different DONE lines for parse_response, requests and push
# too (2026-12-06; the same machine, clones at two paths). A mutating run
# could then find a bug in one run of a commit and miss it in the next.
# Mutating runs are the separate command of fuzz/README.md, "Looking for new
# bugs"; what they cover joins the committed corpus by a merge, what they
# find joins fuzz/artifacts-found/, and this replays both from then on.
# Address-space randomisation is off for the run (setarch -R).
#
#   bash tests/fuzz-smoke.sh                              # the test command's run
#   FUZZ_TARGETS="requests ffi" bash tests/fuzz-smoke.sh  # some targets
#   FUZZ_SEED=7 FUZZ_RUNS=100000 bash tests/fuzz-smoke.sh # also mutate, seed 7,
#     100,000 executions per target (not what the test command runs)
#
# Longer, random runs that look for new bugs are a separate command (see
# fuzz/README.md, "Looking for new bugs"); what they find joins
# fuzz/artifacts-found/ and is replayed here from then on.
#
# Needs the nightly toolchain, cargo-fuzz and setarch (util-linux):
#   rustup toolchain install nightly
#   cargo install cargo-fuzz
#
# Exits non-zero when a tool is missing, a target does not build, or any
# target finds something (crash, panic, failed invariant, leak, timeout).
# The committed corpus is only read: new inputs go to a temporary directory.
# Crash inputs are kept under fuzz/artifacts/<target>/ (git-ignored); see
# fuzz/README.md for how to reproduce and minimise them.
# Closing line: "fuzz targets: N passed, N failed".
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seed=${FUZZ_SEED:-1}
read -r -a targets <<<"${FUZZ_TARGETS:-parse_response http_answer requests ffi push}"

# Executions per target, replay included: 0, replay only, unless FUZZ_RUNS
# is set.
runs_for() {
    echo "${FUZZ_RUNS:-0}"
}

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
if ! setarch "$(uname -m)" -R true 2>/dev/null; then
    echo "fuzz-smoke: setarch -R (util-linux) is missing or not permitted"
    exit 2
fi

work=$(mktemp -d) || { echo "mktemp failed (disk full?)" >&2; exit 1; }
trap 'rm -rf "$work"' EXIT
cd "$root/fuzz"

echo "=== building the fuzz targets (cargo +nightly fuzz build)"
if ! cargo +nightly fuzz build; then
    echo "fuzz-smoke: the fuzz targets do not build"
    echo "fuzz targets: 0 passed, ${#targets[@]} failed"
    exit 1
fi

# The targets run directly, not through `cargo fuzz run`: started through
# cargo, two runs of one seed still part ways.
triple=$(rustc +nightly -vV | sed -n 's/^host: //p')
bin_dir=${CARGO_TARGET_DIR:-$root/fuzz/target}/$triple/release

passed=0
failed=0
failed_names=()
for t in "${targets[@]}"; do
    runs=$(runs_for "$t")
    echo
    if [ "$runs" = 0 ]; then
        echo "=== $t: replay corpus/$t and artifacts-found/$t-*"
    else
        echo "=== $t: replay corpus/$t and artifacts-found/$t-*, then seed $seed for $runs executions"
    fi
    mkdir -p "$work/$t"
    # The inputs of past findings start in the scratch directory, which
    # libFuzzer reads like any corpus; the first directory receives new
    # inputs, the committed one is read only.
    cp "$root"/fuzz/artifacts-found/"$t"-* "$work/$t"/ 2>/dev/null || true
    # -reload=0: never re-read the corpus on a timer (time must not decide).
    # -use_cmp=0 -use_memmem=0: no values seen in comparisons join the
    # mutation dictionary (some are time-derived: with them two runs of one
    # seed parted ways after ~1,500 executions).
    # -timeout=60: one input taking a minute is a finding (a hang); no
    # input comes near it on a loaded machine (http_answer's slowest: three
    # calls of a 1 s timeout).
    mkdir -p "$root/fuzz/artifacts/$t"
    if ASAN_OPTIONS=detect_odr_violation=0 setarch "$(uname -m)" -R "$bin_dir/$t" \
        -artifact_prefix="$root/fuzz/artifacts/$t/" -seed="$seed" -runs="$runs" -reload=0 \
        -use_cmp=0 -use_memmem=0 \
        -timeout=60 -print_final_stats=1 "$work/$t" "corpus/$t" >"$work/$t.log" 2>&1; then
        passed=$((passed + 1))
        # INITED: the replay is done (inputs run, coverage); DONE: the end.
        grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)' "$work/$t.log" | sed -E 's/ (exec\/s|rss): [0-9]+(Mb)?//g'
        echo "--- $t: ok"
    else
        failed=$((failed + 1))
        failed_names+=("$t")
        # The finding: what failed, where, and the saved input (kept for the
        # end of the run too, where CI's excerpt of the output shows it).
        {
            grep -E -A12 'panicked at|ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer)' "$work/$t.log" | head -40
            grep -E 'Test unit written to' "$work/$t.log" | head -5
            echo "reproduce (from fuzz/): cargo +nightly fuzz run $t artifacts/$t/<the file above>"
        } | tee "$work/$t.finding"
        echo "--- $t: FOUND SOMETHING (its log was $(wc -l <"$work/$t.log") lines)"
    fi
done

echo
if [ "$failed" -gt 0 ]; then
    for t in "${failed_names[@]}"; do
        echo "=== the finding of $t, again:"
        cat "$work/$t.finding"
    done
    echo "targets with findings: ${failed_names[*]}"
fi
echo "fuzz targets: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
