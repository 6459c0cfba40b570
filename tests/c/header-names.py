#!/usr/bin/env python3
"""Every global name include/ytx.h declares starts with ytx_ / YTX_.

A C or C++ program includes ytx.h next to its own code: a name such as
`LogLevel` or `Delivery` would collide with the program's own. The header is
run through the C preprocessor (as C11, C23 and C++, so every branch of the
enums is seen; comments removed, the system headers left out) and every
name it puts in the global scope is checked: macros, typedefs, struct and
enum tags, enum constants and functions. Parameter and field names are not
global and are not checked.

    python3 tests/c/header-names.py [include/ytx.h]

Prints the names found by kind, then each offending name; exits 1 if any.
"""

import re
import subprocess
import sys
from pathlib import Path

root = Path(__file__).resolve().parents[2]
header = Path(sys.argv[1]) if len(sys.argv) > 1 else root / "include" / "ytx.h"
PREFIX = re.compile(r"^(ytx_|YTX_)")
# The language's own names, and the standard types the header uses.
KEYWORDS = {
    "typedef", "struct", "enum", "union", "const", "void", "char", "int", "unsigned",
    "signed", "long", "short", "extern", "static", "inline", "bool", "_Bool",
    "uint8_t", "uint16_t", "uint32_t", "uint64_t", "int8_t", "int16_t", "int32_t",
    "int64_t", "size_t", "uintptr_t", "intptr_t",
}

source = "".join(line for line in header.read_text().splitlines(True) if not line.lstrip().startswith("#include"))


def preprocess(*flags):
    return subprocess.run(["cc", "-E", "-P", *flags, "-"], input=source, capture_output=True, text=True, check=True).stdout


def macros():
    empty = subprocess.run(["cc", "-E", "-dM", "-x", "c", "-"], input="", capture_output=True, text=True, check=True).stdout
    defined = subprocess.run(["cc", "-E", "-dM", "-x", "c", "-"], input=source, capture_output=True, text=True, check=True).stdout
    names = lambda text: {m.group(1) for m in re.finditer(r"^#define (\w+)", text, re.M)}
    return names(defined) - names(empty)


def declarations(text):
    """(kind, name) for every global name in preprocessed `text`."""
    found = set()
    tokens = re.findall(r"[A-Za-z_]\w*|[{}();,=*:\[\]]|\S", text)
    depth_brace = depth_paren = 0
    enum_body = []  # stack: True for the braces of an enum
    statement = []
    for i, tok in enumerate(tokens):
        prev = tokens[i - 1] if i else ""
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        if tok in ("struct", "enum", "union") and re.match(r"[A-Za-z_]", nxt):
            found.add((tok + " tag", nxt))
        if tok == "{":
            enum_body.append("enum" in statement)
            depth_brace += 1
        elif tok == "}":
            enum_body.pop()
            depth_brace -= 1
        elif tok == "(":
            # a function's name: the identifier before '(' at file scope
            if depth_paren == 0 and depth_brace == 0 and re.match(r"[A-Za-z_]", prev) and prev not in KEYWORDS:
                found.add(("function" if "typedef" not in statement else "typedef", prev))
            depth_paren += 1
        elif tok == ")":
            depth_paren -= 1
        elif re.match(r"[A-Za-z_]", tok) and enum_body and enum_body[-1] and depth_paren == 0 and prev in ("{", ","):
            found.add(("enum constant", tok))
        elif tok == "*" and prev == "(" and depth_paren == 1 and "typedef" in statement:
            found.add(("typedef", nxt))  # typedef R (*name)(...)
        if tok == ";" and depth_brace == 0 and depth_paren == 0:
            if statement and statement[0] == "typedef" and re.match(r"[A-Za-z_]", prev) and ")" not in statement:
                found.add(("typedef", prev))
            statement = []
        elif depth_brace == 0:
            statement.append(tok)
    return found


names = {("macro", m) for m in macros()}
for flags in (["-x", "c", "-std=c11"], ["-x", "c", "-std=c2x"], ["-x", "c++", "-std=c++11"]):
    names |= declarations(preprocess(*flags))
# Names guarded by cbindgen's header machinery, not ours to rename.
names -= {("macro", "__STDC_VERSION__")}

by_kind = {}
for kind, name in sorted(names):
    by_kind.setdefault(kind, []).append(name)
for kind, items in sorted(by_kind.items()):
    print(f"{kind}: {len(items)}")
bad = sorted(f"{kind} {name}" for kind, name in names if not PREFIX.match(name))
for b in bad:
    print(f"not prefixed with ytx_/YTX_: {b}")
if not names or "function" not in by_kind:
    print("found no declarations: the check itself is broken")
    sys.exit(1)
sys.exit(1 if bad else 0)
