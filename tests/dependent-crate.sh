#!/usr/bin/env bash
# A Rust program that depends on the ytx crate with the C ABI left out
# (default-features = false, features = ["tls"]) builds, runs, and carries
# none of the C ABI's ytx_* symbols in the crate's rlib: two versions of the crate in one
# dependency graph could not clash. It
# matches on Delivery::NotSent and calls is_retry_safe(); it is
# tests/data/dependent_main.rs (not under tests/ directly: cargo would take
# it for an integration test).
#
#   bash tests/dependent-crate.sh
#
# Closing line: "dependent crate: N passed, N failed".
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src"
cp "$root/tests/data/dependent_main.rs" "$work/src/main.rs"
cat >"$work/Cargo.toml" <<TOML
[package]
name = "ytx-dependent"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
ytx = { path = "$root", default-features = false, features = ["tls"] }

[workspace]
TOML
cp "$root/Cargo.lock" "$work/Cargo.lock"
target=$(bash "$root/tests/target-dir.sh" 2>/dev/null || echo "$root/target")
passed=0 failed=0
check() { if "${@:2}"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $1"; fi; }
CARGO_TARGET_DIR="$target/dependent" cargo build -q --manifest-path "$work/Cargo.toml"
check "builds with the C ABI left out" [ $? -eq 0 ]
bin="$target/dependent/debug/ytx-dependent"
check "runs" "$bin"
# The crate as linked into the program: its rlib defines none of the C
# ABI's symbols (with the default features it defines every ytx_* of the
# header, which is what would clash between two versions).
rlib="$target/dependent/debug/deps/libytx.rlib"
check "the rlib defines none of the C ABI's symbols" bash -c "[ -f '$rlib' ] && ! nm '$rlib' 2>/dev/null | grep -q ' T ytx_'"
echo "dependent crate: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
