#!/usr/bin/env bash
# A Rust program that depends on the ytx crate with the C ABI left out
# (default-features = false, features = ["tls"]) builds, runs, and carries
# none of the C ABI's ytx_* symbols in the crate's rlib: two versions of the crate in one
# dependency graph could not clash. It
# matches on Delivery::NotSent and calls is_retry_safe(); it is
# tests/data/dependent_main.rs (not under tests/ directly: cargo would take
# it for an integration test).
#
# Then the crate as cargo's registry would hold it (cargo package, unpacked,
# made read-only, its include/ytx.h altered so that a write would show):
# with default-features = false cbindgen is not in the build graph at all,
# and with the default features (cbindgen runs) the build succeeds and the
# copy is left byte for byte as it was: only a build of the repository
# itself writes include/ytx.h.
#
#   bash tests/dependent-crate.sh
#
# Closing line: "dependent crate: N passed, N failed".
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=$(mktemp -d) || { echo "mktemp failed (disk full?)" >&2; exit 1; }
registry=""
trap 'rm -rf "$work"; [ -n "$registry" ] && chmod -R u+w "$registry" && rm -rf "$registry"' EXIT
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

# The registry copy.
CARGO_TARGET_DIR="$target/dependent" cargo package -q -p ytx --no-verify --allow-dirty --offline \
    --manifest-path "$root/Cargo.toml" 2>/dev/null
crate="$target/dependent/package/ytx-$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n1).crate"
check "cargo package made the crate" [ -f "$crate" ]
# Outside $work: no workspace manifest above it, as in cargo's registry.
registry=$(mktemp -d) || { echo "mktemp failed (disk full?)" >&2; exit 1; }
tar -xzf "$crate" -C "$registry"
copy=$(echo "$registry"/ytx-*)
echo '/* altered: a build that writes the header would undo this */' >>"$copy/include/ytx.h"
chmod -R a-w "$copy"
sums() { (cd "$copy" && find . -type f -exec sha256sum {} + | sort); }
before=$(sums)
dependent_on_copy() { # dependent_on_copy FEATURES-TOML DIR
    mkdir -p "$2/src"
    cp "$root/tests/data/dependent_main.rs" "$2/src/main.rs"
    cp "$root/Cargo.lock" "$2/Cargo.lock"
    cat >"$2/Cargo.toml" <<TOML
[package]
name = "ytx-dependent"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
ytx = { path = "$copy", $1 }

[workspace]
TOML
}
dependent_on_copy 'default-features = false, features = ["tls"]' "$work/lean"
check "without the C ABI, cbindgen is not in the build graph" \
    bash -c "! cargo tree -q --offline --manifest-path '$work/lean/Cargo.toml' -e normal,build --prefix none | grep -q '^cbindgen '"
CARGO_TARGET_DIR="$target/dependent" cargo build -q --offline --manifest-path "$work/lean/Cargo.toml"
check "builds on a read-only registry copy without the C ABI" [ $? -eq 0 ]
dependent_on_copy 'features = ["tls"]' "$work/full"
check "with the C ABI, cbindgen is in the build graph" \
    bash -c "cargo tree -q --offline --manifest-path '$work/full/Cargo.toml' -e normal,build --prefix none | grep -q '^cbindgen '"
CARGO_TARGET_DIR="$target/dependent" cargo build -q --offline --manifest-path "$work/full/Cargo.toml"
check "builds on a read-only registry copy with the C ABI (cbindgen runs)" [ $? -eq 0 ]
check "the registry copy is left as it was (no include/ytx.h written)" [ "$before" = "$(sums)" ]
check "the build generated the header into its OUT_DIR only" \
    bash -c "ls '$target'/dependent/debug/build/ytx-*/out/ytx.h >/dev/null 2>&1"
echo "dependent crate: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
