#!/usr/bin/env bash
# Print cargo's target directory for this workspace: where `cargo build` puts
# its outputs (CARGO_TARGET_DIR, build.target-dir in a .cargo/config.toml, or
# <repo>/target), as `cargo metadata` reports it. Scripts that look for
# build outputs use this rather than assuming <repo>/target:
#
#   target_dir=$(bash tests/target-dir.sh)   # e.g. /work/main/target
#
# Falls back to <repo>/target when cargo metadata cannot answer.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=$(cd "$root" && ${CARGO:-cargo} metadata --format-version 1 --no-deps 2>/dev/null |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])' 2>/dev/null)
if [ -z "$dir" ]; then
    dir=${CARGO_TARGET_DIR:-$root/target}
    case $dir in /*) ;; *) dir=$root/$dir ;; esac
fi
printf '%s\n' "$dir"
