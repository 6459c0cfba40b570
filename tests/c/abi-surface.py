#!/usr/bin/env python3
"""The C ABI surface against the committed list tests/data/abi-surface.txt.

A refactor of src/ffi may change the header's layout and doc text, never a
symbol or a value. This check reads:

- `symbol NAME`: every dynamic symbol libytx.so defines whose name starts
  with ytx_ (`nm -D --defined-only`);
- `const NAME=VALUE`: every YTX_ constant of include/ytx.h, whether an enum
  member (`NAME = VALUE` inside `enum x { ... }`) or a `#define` with a
  value (the include guard and the version macros are left out: the version
  is Cargo.toml's, checked against ytx_version() by the C tests);
- `type NAME`: every ytx_ name the header typedefs (its kind, enum or
  integer or struct, is layout);
- `fn PROTOTYPE`: every function prototype, white space folded;

and compares the sorted lines with tests/data/abi-surface.txt. Adding or
changing anything of the ABI means updating that list on purpose:

    python3 tests/c/abi-surface.py [--update] [path/to/libytx.so]

The library defaults to the debug build in cargo's target directory
(tests/target-dir.sh). Prints the differences and exits 1 when there are any.
"""

import re
import subprocess
import sys
from pathlib import Path

root = Path(__file__).resolve().parents[2]
HEADER = root / "include" / "ytx.h"
LIST = root / "tests" / "data" / "abi-surface.txt"
LEFT_OUT = {"YTX_H", "YTX_VERSION", "YTX_VERSION_NUMBER"}

args = [a for a in sys.argv[1:] if a != "--update"]
update = "--update" in sys.argv[1:]
if args:
    lib = Path(args[0])
else:
    target = subprocess.run(["bash", str(root / "tests" / "target-dir.sh")], capture_output=True, text=True,
                            check=True).stdout.strip()
    lib = Path(target) / "debug" / "libytx.so"
if not lib.is_file():
    sys.exit(f"abi-surface: no library at {lib}: build it first (cargo build -p ytx)")


def symbols():
    out = subprocess.run(["nm", "-D", "--defined-only", str(lib)], capture_output=True, text=True,
                         check=True).stdout
    return {f"symbol {f[2]}" for f in (line.split() for line in out.splitlines())
            if len(f) == 3 and f[2].startswith("ytx_")}


def header_lines():
    text = HEADER.read_text("utf-8")
    code = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    code = re.sub(r"//[^\n]*", "", code)
    found = set()
    for name, value in re.findall(r"^[ \t]*#define[ \t]+(YTX_\w+)[ \t]+(\S.*?)[ \t]*$", code, re.M):
        if name not in LEFT_OUT:
            found.add(f"const {name}={value}")
    for body in re.findall(r"\benum\s+\w+[^{;]*\{(.*?)\}", code, re.S):
        for name, value in re.findall(r"\b(YTX_\w+)\s*=\s*([^,\s]+)", body):
            found.add(f"const {name}={value}")
    # Statements at file scope, preprocessor lines and enum bodies removed.
    flat = re.sub(r"^[ \t]*#.*$", "", code, flags=re.M)
    flat = re.sub(r'extern "C"\s*\{', "", flat)
    flat = re.sub(r"\}\s*$", "", flat.rstrip())  # the brace that closes extern "C"
    flat = re.sub(r"\{[^{}]*\}", ";", flat)
    for statement in flat.split(";"):
        s = " ".join(statement.split())
        if not s:
            continue
        if s.startswith("typedef"):
            m = re.search(r"\(\s*\*\s*(ytx_\w+)\s*\)", s) or re.search(r"(ytx_\w+)$", s)
            if m:
                found.add(f"type {m.group(1)}")
        elif re.search(r"\bytx_\w+\(", s):
            s = re.sub(r"\(\s+", "(", re.sub(r"\s+\)", ")", s))
            found.add(f"fn {s};")
    return found


current = sorted(symbols() | header_lines())
kinds = {k: sum(1 for c in current if c.startswith(k + " ")) for k in ("symbol", "const", "type", "fn")}
if not kinds["symbol"] or not kinds["const"] or not kinds["fn"]:
    sys.exit(f"abi-surface: found {kinds}: the check itself is broken")
if kinds["symbol"] != kinds["fn"]:
    print(f"abi-surface: {kinds['symbol']} exported symbols but {kinds['fn']} prototypes in ytx.h")

banner = ("# The C ABI surface: libytx.so's ytx_ symbols, ytx.h's constants, type names and\n"
          "# prototypes. Made by `python3 tests/c/abi-surface.py --update`; a change here is a\n"
          "# change of the ABI, made on purpose (see the script).\n")
if update:
    LIST.write_text(banner + "".join(line + "\n" for line in current))
    print(f"abi-surface: wrote {LIST.relative_to(root)}: {kinds}")
    sys.exit(0)

committed = [line for line in LIST.read_text("utf-8").splitlines() if line and not line.startswith("#")]
gone = sorted(set(committed) - set(current))
new = sorted(set(current) - set(committed))
for line in gone:
    print(f"- {line}   (in {LIST.relative_to(root)}, no longer in the ABI)")
for line in new:
    print(f"+ {line}   (in the ABI, not in {LIST.relative_to(root)})")
if gone or new:
    print("abi-surface: the C ABI changed; if that is on purpose, run "
          "python3 tests/c/abi-surface.py --update and commit the list")
    sys.exit(1)
print(f"abi-surface: unchanged ({kinds['symbol']} symbols, {kinds['const']} constants, "
      f"{kinds['type']} types, {kinds['fn']} prototypes)")
