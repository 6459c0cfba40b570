#!/usr/bin/env bash
# The performance benchmark of issue 7, in one command:
#
#     bash benches/run.sh
#
# Builds the release shared library (the Python binding loads it, and its
# stripped size is reported), makes sure Python's `requests` is importable,
# then runs benches/perf.rs (`cargo bench --bench perf`), which prints the
# whole table. Extra arguments go to the bench binary:
#
#     bash benches/run.sh --experiments          # where the Rust API's time goes
#     bash benches/run.sh --thread-experiments   # 8 threads, connection pool sizes
#     bash benches/run.sh --only rust 100000     # one client alone, for perf/strace
#
# YTX_BENCH_QUICK=1 makes a short smoke run; YTX_BENCH_JSON=file also writes
# the results as JSON; PYTHON picks the interpreter (default python3).
# Not part of tests/run-all.sh: nothing here asserts on timings.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --lib --quiet
py="${PYTHON:-python3}"
if ! "$py" -c 'import requests' 2>/dev/null; then
    echo "installing Python requests for the comparison client" >&2
    "$py" -m pip install --quiet requests
fi
exec cargo bench --quiet --bench perf -- "$@"
