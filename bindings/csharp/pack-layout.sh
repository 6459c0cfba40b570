#!/usr/bin/env bash
# Assemble the Ytx NuGet package without the .NET SDK (what `dotnet pack
# Ytx.csproj` makes), from Mono's mcs, then check it.
#
#   YTX_NATIVE_DIR=<dir with libytx.so>   (default: release/ in cargo's target
#                                          directory, tests/target-dir.sh;
#                                          the csproj's YtxNativeDir)
#   YTX_WINDOWS_DLL=<path to ytx.dll>     (optional: adds runtimes/win-x64/native/;
#                                          the csproj's YtxWindowsDll)
#   YTX_WINDOWS_X86_DLL=<path to ytx.dll> (optional: the 32-bit one, adds
#                                          runtimes/win-x86/native/)
#   YTX_PACK_OUT=<output directory>       (default: bindings/csharp/bin/pack)
#   YTX_PACK_SMOKE=0                      (skip the consumer smoke test)
#   bash bindings/csharp/pack-layout.sh
#
# Makes, in $YTX_PACK_OUT:
#   Ytx.<version>/                  the package's file tree:
#     Ytx.nuspec, README.md, [Content_Types].xml, _rels/.rels
#     lib/netstandard2.0/Ytx.dll, Ytx.xml, Ytx.dll.config
#     runtimes/linux-x64/native/libytx.so
#     runtimes/win-x64/native/ytx.dll          (when YTX_WINDOWS_DLL is given)
#     runtimes/win-x86/native/ytx.dll          (when YTX_WINDOWS_X86_DLL is given)
#   Ytx.<version>.nupkg             the same tree, zipped
# <version> is the [package] version of <repo>/Cargo.toml (Ytx.csproj's
# <Version> must match). Then it checks the archive's file list, the nuspec,
# the native files' formats and exports, and (with mono) that a program built
# against the packaged Ytx.dll, with the packaged libytx.so copied next to it,
# loads and calls the library. Exits non-zero on any mismatch.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
native_dir=${YTX_NATIVE_DIR:-$(bash "$root/tests/target-dir.sh")/release}
windows_dll=${YTX_WINDOWS_DLL:-}
windows_x86_dll=${YTX_WINDOWS_X86_DLL:-}
pack_out=${YTX_PACK_OUT:-$here/bin/pack}
smoke=${YTX_PACK_SMOKE:-1}

fail() {
    echo "pack-layout.sh: $*" >&2
    exit 1
}

command -v mcs >/dev/null 2>&1 || fail "mcs not found (apt-get install -y mono-mcs)"
[ -f "$native_dir/libytx.so" ] || fail "$native_dir/libytx.so not found (cargo build --release, or set YTX_NATIVE_DIR)"
if [ -n "$windows_dll" ] && [ ! -f "$windows_dll" ]; then
    fail "YTX_WINDOWS_DLL=$windows_dll does not exist"
fi
if [ -n "$windows_x86_dll" ] && [ ! -f "$windows_x86_dll" ]; then
    fail "YTX_WINDOWS_X86_DLL=$windows_x86_dll does not exist"
fi

# The version: [package] version in Cargo.toml, which the csproj must repeat.
version=$(awk '
    /^\[/ { in_package = ($0 == "[package]") }
    in_package && /^version[ \t]*=/ { gsub(/^version[ \t]*=[ \t]*"|".*$/, ""); print; exit }
' "$root/Cargo.toml")
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.+-]+)?$ ]] || fail "no version in $root/Cargo.toml (got '$version')"
csproj_version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$here/Ytx.csproj")
[ "$csproj_version" = "$version" ] || fail "Ytx.csproj <Version> is '$csproj_version' but Cargo.toml says '$version'"
binding_version=$(sed -n 's:.*BindingVersion = "\(.*\)";.*:\1:p' "$here/src/YtxLibrary.cs")
[ "$binding_version" = "$version" ] || fail "YtxLibrary.BindingVersion is '$binding_version' but Cargo.toml says '$version'"

mkdir -p "$pack_out"
pack_out=$(cd "$pack_out" && pwd) # absolute: the zip step runs inside the layout
id=Ytx
layout="$pack_out/$id.$version"
nupkg="$pack_out/$id.$version.nupkg"
rm -rf "$layout" "$nupkg"
mkdir -p "$layout/lib/netstandard2.0" "$layout/runtimes/linux-x64/native" "$layout/_rels"

echo "pack: $id $version -> $nupkg"
# The assembly's version is the library's (dotnet pack takes it from the
# csproj's <Version>; mcs from this generated file, kept out of src/ so that
# the SDK build does not see the attributes twice).
assembly_info="$pack_out/AssemblyVersion.cs"
numeric=${version%%[-+]*}
printf '%s\n' \
    "[assembly: System.Reflection.AssemblyVersion(\"$numeric.0\")]" \
    "[assembly: System.Reflection.AssemblyFileVersion(\"$numeric.0\")]" \
    "[assembly: System.Reflection.AssemblyInformationalVersion(\"$version\")]" >"$assembly_info"
mcs -langversion:7.2 -warn:4 -warnaserror+ -nologo -optimize+ -target:library \
    -out:"$layout/lib/netstandard2.0/Ytx.dll" -doc:"$layout/lib/netstandard2.0/Ytx.xml" "$here"/src/*.cs "$assembly_info"
cp "$here/Ytx.dll.config" "$layout/lib/netstandard2.0/Ytx.dll.config"
cp "$here/README.md" "$layout/README.md"
cp "$native_dir/libytx.so" "$layout/runtimes/linux-x64/native/libytx.so"
if [ -n "$windows_dll" ]; then
    mkdir -p "$layout/runtimes/win-x64/native"
    cp "$windows_dll" "$layout/runtimes/win-x64/native/ytx.dll"
fi
if [ -n "$windows_x86_dll" ]; then
    mkdir -p "$layout/runtimes/win-x86/native"
    cp "$windows_x86_dll" "$layout/runtimes/win-x86/native/ytx.dll"
fi

# The nuspec: the metadata of Ytx.csproj (keep the two in step).
description=$(sed -n 's:.*<Description>\(.*\)</Description>.*:\1:p' "$here/Ytx.csproj")
authors=$(sed -n 's:.*<Authors>\(.*\)</Authors>.*:\1:p' "$here/Ytx.csproj")
license=$(sed -n 's:.*<PackageLicenseExpression>\(.*\)</PackageLicenseExpression>.*:\1:p' "$here/Ytx.csproj")
tags=$(sed -n 's:.*<PackageTags>\(.*\)</PackageTags>.*:\1:p' "$here/Ytx.csproj" | tr ';' ' ')
[ -n "$description" ] && [ -n "$authors" ] && [ -n "$license" ] || fail "Ytx.csproj lacks Description, Authors or PackageLicenseExpression"
cat > "$layout/$id.nuspec" <<EOF
<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
  <metadata>
    <id>$id</id>
    <version>$version</version>
    <authors>$authors</authors>
    <license type="expression">$license</license>
    <licenseUrl>https://licenses.nuget.org/$(echo "$license" | sed 's/ /%20/g')</licenseUrl>
    <readme>README.md</readme>
    <description>$description</description>
    <tags>$tags</tags>
    <dependencies>
      <group targetFramework=".NETStandard2.0" />
    </dependencies>
  </metadata>
</package>
EOF

# The Open Packaging Conventions parts that nuget pack writes.
cat > "$layout/[Content_Types].xml" <<'EOF'
<?xml version="1.0" encoding="utf-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
  <Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml" />
  <Default Extension="nuspec" ContentType="application/octet" />
  <Default Extension="dll" ContentType="application/octet" />
  <Default Extension="xml" ContentType="application/octet" />
  <Default Extension="config" ContentType="application/octet" />
  <Default Extension="md" ContentType="application/octet" />
  <Default Extension="so" ContentType="application/octet" />
</Types>
EOF
cat > "$layout/_rels/.rels" <<EOF
<?xml version="1.0" encoding="utf-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
  <Relationship Type="http://schemas.microsoft.com/packaging/2010/07/manifest" Target="/$id.nuspec" Id="R$(echo "$id$version" | cksum | cut -d' ' -f1)" />
</Relationships>
EOF

# Zip it: zip(1) if present, else python3's zipfile. Entries in sorted order,
# no directory entries (NuGet ignores them), no extra attributes.
(
    cd "$layout"
    if command -v zip >/dev/null 2>&1; then
        find . -type f | sed 's:^\./::' | LC_ALL=C sort | zip -q -X -D "$nupkg" -@
    elif command -v python3 >/dev/null 2>&1; then
        python3 - "$nupkg" <<'PY'
import os, sys, zipfile
files = sorted(os.path.relpath(os.path.join(d, f), ".") for d, _, fs in os.walk(".") for f in fs)
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    for f in files:
        z.write(f, f.replace(os.sep, "/"))
PY
    else
        fail "neither zip nor python3 found"
    fi
) || fail "could not write $nupkg"

# ------------------------------------------------------------------ checks

list_archive() {
    if command -v unzip >/dev/null 2>&1; then
        unzip -Z1 "$1"
    else
        python3 -c 'import sys, zipfile; print("\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))' "$1"
    fi
}

extract_all() { # archive directory
    if command -v unzip >/dev/null 2>&1; then
        unzip -q "$1" -d "$2"
    else
        python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$1" "$2"
    fi
}

expected=(
    "Ytx.nuspec"
    "README.md"
    "[Content_Types].xml"
    "_rels/.rels"
    "lib/netstandard2.0/Ytx.dll"
    "lib/netstandard2.0/Ytx.dll.config"
    "lib/netstandard2.0/Ytx.xml"
    "runtimes/linux-x64/native/libytx.so"
)
[ -n "$windows_dll" ] && expected+=("runtimes/win-x64/native/ytx.dll")
[ -n "$windows_x86_dll" ] && expected+=("runtimes/win-x86/native/ytx.dll")
want=$(printf '%s\n' "${expected[@]}" | LC_ALL=C sort)
got=$(list_archive "$nupkg" | LC_ALL=C sort)
if [ "$want" != "$got" ]; then
    echo "expected:" >&2; echo "$want" >&2
    echo "got:" >&2; echo "$got" >&2
    fail "$nupkg: unexpected file list"
fi

check_dir="$pack_out/.check"
rm -rf "$check_dir"
mkdir -p "$check_dir"
trap 'rm -rf "$check_dir"' EXIT
extracted="$check_dir/extracted"
extract_all "$nupkg" "$extracted"
for f in "${expected[@]}"; do
    cmp -s "$extracted/$f" "$layout/$f" || fail "$f in the archive differs from the layout"
done

nuspec=$(cat "$extracted/Ytx.nuspec")
grep -q "<id>$id</id>" <<<"$nuspec" || fail "nuspec: no <id>$id</id>"
grep -q "<version>$version</version>" <<<"$nuspec" || fail "nuspec: no <version>$version</version>"

u16() { od -An -t u2 -j "$2" -N 2 "$1" | tr -d ' '; }
u32() { od -An -t u4 -j "$2" -N 4 "$1" | tr -d ' '; }
magic() { od -An -c -j "${3:-0}" -N "$2" "$1" | tr -d ' '; } # file count [offset]

so="$layout/runtimes/linux-x64/native/libytx.so"
[ "$(magic "$so" 4)" = '177ELF' ] || fail "libytx.so is not an ELF file"
[ "$(u16 "$so" 16)" = 3 ] || fail "libytx.so is not a shared object (ELF type $(u16 "$so" 16))"
[ "$(u16 "$so" 18)" = 62 ] || fail "libytx.so is not x86-64 (ELF machine $(u16 "$so" 18)) but sits under linux-x64"
for sym in ytx_version ytx_client_new ytx_callback_prepare ytx_set_logger ytx_outcome_free; do
    grep -aq "$sym" "$so" || fail "libytx.so does not export $sym"
done
if [ -n "$windows_dll" ]; then
    dll="$layout/runtimes/win-x64/native/ytx.dll"
    [ "$(magic "$dll" 2)" = MZ ] || fail "ytx.dll is not a PE file"
    pe=$(u32 "$dll" 60)
    [ "$(magic "$dll" 4 "$pe")" = 'PE\0\0' ] || fail "ytx.dll has no PE header"
    [ "$(u16 "$dll" $((pe + 4)))" = 34404 ] || fail "ytx.dll is not x64 (machine $(u16 "$dll" $((pe + 4)))) but sits under win-x64"
    for sym in ytx_version ytx_client_new ytx_set_logger; do
        grep -aq "$sym" "$dll" || fail "ytx.dll does not export $sym"
    done
fi
if [ -n "$windows_x86_dll" ]; then
    dll="$layout/runtimes/win-x86/native/ytx.dll"
    [ "$(magic "$dll" 2)" = MZ ] || fail "the win-x86 ytx.dll is not a PE file"
    pe=$(u32 "$dll" 60)
    [ "$(magic "$dll" 4 "$pe")" = 'PE\0\0' ] || fail "the win-x86 ytx.dll has no PE header"
    [ "$(u16 "$dll" $((pe + 4)))" = 332 ] || fail "the win-x86 ytx.dll is not x86 (machine $(u16 "$dll" $((pe + 4)))) but sits under win-x86"
    for sym in ytx_version ytx_client_new ytx_set_logger; do
        grep -aq "$sym" "$dll" || fail "the win-x86 ytx.dll does not export $sym"
    done
fi
[ "$(magic "$layout/lib/netstandard2.0/Ytx.dll" 2)" = MZ ] || fail "Ytx.dll is not a PE file"
grep -q 'T:Ytx.YtxLog' "$layout/lib/netstandard2.0/Ytx.xml" || fail "Ytx.xml lacks the docs of Ytx.YtxLog"

# Smoke test, as a Mono user of the package would run it: reference
# lib/netstandard2.0/Ytx.dll, copy runtimes/linux-x64/native/libytx.so next to
# the program, no LD_LIBRARY_PATH.
if [ "$smoke" != 0 ] && command -v mono >/dev/null 2>&1; then
    app="$check_dir/app"
    mkdir -p "$app"
    cp "$extracted/lib/netstandard2.0/Ytx.dll" "$extracted/lib/netstandard2.0/Ytx.dll.config" "$app/"
    cp "$extracted/runtimes/linux-x64/native/libytx.so" "$app/"
    cat > "$app/Smoke.cs" <<'EOF'
using System;
using Ytx;
internal static class Smoke
{
    private static int Main()
    {
        using (var c = new YtxClient("8a1f0c3e5b7d9f21a4c6e8b0d2f4a6c8", "5c7e9a1b3d5f7092e4b6c8d0f2a4c6e8",
            "ff8080813fc70a7b013fc72312324213", new YtxClientOptions { BaseUrl = "http://127.0.0.1:9" }))
        {
            PreparedRequest p = c.PrepareVoiceCode("13800138000", "02160000000", "1234");
            Console.WriteLine("smoke: ytx " + YtxLibrary.Version + " loaded; " + p.Method + " " + p.RedactedUrl);
        }
        // The assembly's version is the library's (not 0.0.0.0).
        Version assembly = typeof(YtxLibrary).Assembly.GetName().Version;
        Console.WriteLine("smoke: assembly version " + assembly);
        if (assembly.ToString(3) != YtxLibrary.Version.Split('-', '+')[0] || assembly.Revision != 0)
        {
            return 2;
        }
        return YtxLibrary.Version == YtxLibrary.BindingVersion ? 0 : 1;
    }
}
EOF
    mcs -nologo -langversion:7.2 -target:exe -out:"$app/Smoke.exe" -r:"$app/Ytx.dll" "$app/Smoke.cs"
    (cd / && env -u LD_LIBRARY_PATH mono "$app/Smoke.exe") ||
        fail "the smoke test could not use the packaged library, or the assembly version is not the library's"
fi

echo "pack: ok, $(list_archive "$nupkg" | wc -l | tr -d ' ') files:"
list_archive "$nupkg" | LC_ALL=C sort | sed 's/^/  /'
