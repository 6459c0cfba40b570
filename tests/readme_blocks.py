#!/usr/bin/env python3
"""Run every code block of the main README.md against the emulator.

    python3 tests/readme_blocks.py [README.md]        # tests/run-all.sh runs this
    python3 tests/readme_blocks.py --list             # how each block would run

Every fenced block is exercised according to its language (the fence's info
string). A block of a language this script does not know fails the run, so a
new kind of block gets a rule here rather than going untested.

    rust            built in a temporary cargo project that depends on this
                    crate (path dependency, the repository's Cargo.lock and
                    target directory), then run. A block with `fn main` is a
                    program of its own; the other blocks (fragments) are put,
                    in README order, into one `fn main() -> Result<(),
                    Box<dyn Error>>`: `use` lines and items starting in column
                    0 (fn, struct, impl, ...) go to the top level.
    c               compiled with cc -std=c11 -Wall -Wextra -Werror against
                    include/ and the debug libytx.so, then run. A block with
                    `main(` is a program; the fragments become one program:
                    #include lines and function definitions in column 0 at the
                    top, the rest (in README order) inside main(), after
                    <stdio.h>, <stdlib.h>, <string.h> and "ytx.h". That program
                    is also `app.c` for the shell blocks.
    python          all blocks, in README order, as one script (a later block
                    may use what an earlier one defined), with
                    PYTHONPATH=bindings/python/src and YTX_LIBRARY set.
    csharp          compiled with mcs (warnings are errors) against the
                    binding's sources, run with mono. A block with `Main(` is a
                    program; fragments become one: `using X;` directives at the
                    top, members in column 0 in the class, the rest in Main().
    sh, bash, shell each block with bash -euo pipefail, in README order, in a
                    scratch directory laid out like the repository (include/,
                    examples/, Makefile, ... are symlinks; target/ is the run's
                    target directory, see below), containing app.c (above) and
                    app.cpp (examples/cpp/quickstart.cpp). `cargo` there is the
                    real cargo run from the repository root; `ytx` and
                    `ytx-emulator` are the debug builds. Substitutions:
                    `NAME=...` (a placeholder) becomes the value of $NAME in
                    this run (the emulator's demo account); make install gets
                    DESTDIR=<scratch>/destdir, and pkg-config finds that
                    staging copy (PKG_CONFIG_PATH, PKG_CONFIG_SYSROOT_DIR).
    console         the lines starting with "$ " are run as a sh block; the
                    other lines are output and are not compared.
    make            a Makefile fragment: written to a Makefile with a rule
                    `app: app.c`, `make app YTX_DIR=<scratch>` builds it, ./app runs.
    cmake           a CMakeLists.txt fragment: written after `project(app C)`
                    and `add_executable(app app.c)`, configured with
                    -DYTX_DIR=<scratch>, built, and ./app runs.
    json, toml      parsed (an example must be valid).
    text, "" (none) prose (a file list, output): shown, not run.

In every block the platform's hosts (http://api.ytx.net,
http://sandbox.ytx.net) stand for the emulator: they are replaced by
$YTX_BASE_URL, so that no test ever reaches the real platform. Every program
and shell block gets the emulator's URL and demo credentials in the
environment variables the quickstart reads (YTX_BASE_URL, YTX_ACCOUNT_SID,
YTX_AUTH_TOKEN, YTX_APP_ID); when YTX_BASE_URL is not set this script starts
target/debug/ytx-emulator itself. Checks: the exit status is 0 (60 s at
most, 600 s for shell blocks, which may build), the output never shows
$YTX_AUTH_TOKEN, and a program whose code places a call (callback_call,
CallbackCall, voice_code, VoiceCode) made the emulator receive at least one
request.

A block that cannot run at all (the test command itself) is marked in
README.md by an HTML comment on the line just before its fence:

    <!-- readme-blocks: not run: the reason -->

The run prints it with its reason. Nothing else is skipped.

Environment: YTX_TARGET_DIR (cargo's target directory: debug builds of the
workspace are taken from it; default: `bash tests/target-dir.sh`),
YTX_RELEASE_TARGET_DIR (the target directory release builds of the shell
blocks go to; default: a temporary one; run-all.sh shares its own with the
make install and Windows suites so that nothing is built twice), KEEP=1
(keep the scratch directory; its path is printed).
Exit status 0 when every block passed. Last line: "readme blocks: N passed,
N failed, N not run".
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

ROOT = Path(__file__).resolve().parent.parent
DEMO = {
    "YTX_ACCOUNT_SID": "8a1f0c3e5b7d9f21a4c6e8b0d2f4a6c8",
    "YTX_AUTH_TOKEN": "5c7e9a1b3d5f7092e4b6c8d0f2a4c6e8",
    "YTX_APP_ID": "ff8080813fc70a7b013fc72312324213",
}
PLATFORM_HOSTS = ("http://api.ytx.net", "http://sandbox.ytx.net")
NOT_RUN = re.compile(r"^<!--\s*readme-blocks:\s*not run:\s*(.*?)\s*-->\s*$")
CALLS = re.compile(r"callback_?call|voice_?code", re.I)
SHELL_LANGS = {"sh", "bash", "shell"}
TEXT_LANGS = {"", "text", "txt", "plain", "plaintext", "output"}
KNOWN = SHELL_LANGS | TEXT_LANGS | {"rust", "c", "python", "csharp", "console", "make", "cmake",
                                    "json", "toml"}


@dataclass
class Block:
    lang: str
    line: int  # 1-based line of the opening fence
    code: str
    not_run: Optional[str] = None

    @property
    def name(self) -> str:
        return f"README.md:{self.line} ({self.lang or 'no language'})"


def parse(readme: Path) -> List[Block]:
    blocks: List[Block] = []
    lines = readme.read_text("utf-8").splitlines()
    i = 0
    while i < len(lines):
        m = re.match(r"^(\s*)(```+|~~~+)\s*([^\s`]*)", lines[i])
        if not m:
            i += 1
            continue
        indent, fence, lang = m.group(1), m.group(2), m.group(3).lower()
        start = i
        body: List[str] = []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(fence):
            body.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i])
            i += 1
        i += 1
        marker = NOT_RUN.match(lines[start - 1]) if start > 0 else None
        blocks.append(Block(lang, start + 1, "\n".join(body) + "\n",
                            marker.group(1) if marker else None))
    return blocks


def split_fragment(code: str, header: re.Pattern, item: re.Pattern) -> Tuple[str, str, str]:
    """(header lines, top-level items, statements) of a fragment.

    A header line (#include, using, use) matches `header`; an item starts at a
    column-0 line matching `item` and ends at the next column-0 line that is
    `}` or `};` (or at the line itself when it ends with `;`)."""
    heads: List[str] = []
    items: List[str] = []
    stmts: List[str] = []
    lines = code.splitlines()
    i = 0
    while i < len(lines):
        ln = lines[i]
        if header.match(ln):
            heads.append(ln)
        elif item.match(ln):
            j = i
            if not ln.rstrip().endswith(";"):
                while j < len(lines) and not re.match(r"^\};?\s*$", lines[j]):
                    j += 1
            items.extend(lines[i:j + 1])
            i = j
        else:
            stmts.append(ln)
        i += 1
    return "\n".join(heads) + "\n", "\n".join(items) + "\n", "\n".join(stmts) + "\n"


C_HEADER = re.compile(r"^\s*#\s*include\b")
C_ITEM = re.compile(r"^(?!(if|else|for|while|do|switch|return)\b)(static\s+|extern\s+|inline\s+)*"
                    r"[A-Za-z_][\w\s\*]*\b\w+\s*\([^;]*\)\s*\{?\s*$|^(typedef|struct|enum)\b")
RUST_HEADER = re.compile(r"^use\s")
RUST_ITEM = re.compile(r"^(pub\s+)?(fn|struct|enum|impl|trait|mod|const|static|type)\b|^#\[")
CS_HEADER = re.compile(r"^using\s+[A-Za-z_][\w.]*\s*(=\s*[\w.]+\s*)?;")
CS_ITEM = re.compile(r"^(public|private|internal|protected|static)\b")


class Runner:
    def __init__(self, readme: Path, keep: bool) -> None:
        self.readme = readme
        self.work = Path(tempfile.mkdtemp(prefix="ytx-readme-blocks."))
        self.keep = keep
        self.passed = 0
        self.failed: List[str] = []
        self.skipped = 0
        self.emulator: Optional[subprocess.Popen] = None
        td = os.environ.get("YTX_TARGET_DIR") or subprocess.run(
            ["bash", str(ROOT / "tests" / "target-dir.sh")], capture_output=True, text=True,
            check=True).stdout.strip()
        self.target = Path(td)
        self.debug = self.target / "debug"
        self.lib = self.debug / "libytx.so"
        self.release_target = Path(os.environ.get("YTX_RELEASE_TARGET_DIR") or self.work / "target")
        self.env = dict(os.environ)

    # --- plumbing -------------------------------------------------------
    def start_emulator(self) -> None:
        if self.env.get("YTX_BASE_URL"):
            for k in DEMO:
                if not self.env.get(k):
                    raise SystemExit(f"readme-blocks: YTX_BASE_URL is set but {k} is not")
            return
        emu = self.debug / "ytx-emulator"
        self.emulator = subprocess.Popen([str(emu), "--listen", "127.0.0.1:0", "--exit-on-stdin-eof"],
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.DEVNULL, text=True)
        line = self.emulator.stdout.readline() if self.emulator.stdout else ""
        if not line.strip():
            raise SystemExit(f"readme-blocks: the emulator {emu} did not start")
        self.env["YTX_BASE_URL"] = line.split()[-1]
        self.env.update(DEMO)
        print(f"readme-blocks: started an emulator at {self.env['YTX_BASE_URL']}")

    def count(self) -> int:
        try:
            with urllib.request.urlopen(self.env["YTX_BASE_URL"] + "/_emulator/count", timeout=5) as r:
                return int(json.load(r)["count"])
        except Exception:  # an emulator without the count endpoint: no check
            return -1

    def run(self, name: str, cmd: List[str], cwd: Path, env: Dict[str, str], timeout: int,
            calls: bool = False) -> bool:
        before = self.count()
        t0 = time.monotonic()
        try:
            p = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True,
                               timeout=timeout)
            out, rc = p.stdout + p.stderr, p.returncode
        except subprocess.TimeoutExpired as e:
            out = (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
            out, rc = out + f"\n(timed out after {timeout} s)", -1
        after = self.count()
        problems = []
        if rc != 0:
            problems.append(f"exit status {rc}")
        if self.env["YTX_AUTH_TOKEN"] in out:
            problems.append("the output shows the auth token")
        if calls and before >= 0 and after <= before:
            problems.append("the code places a call but the emulator received no request")
        shown = "\n".join("    " + ln for ln in out.rstrip().splitlines()[-(40 if problems else 6):])
        if problems:
            print(f"  {name}: FAILED ({'; '.join(problems)})\n{shown}")
            self.failed.append(name)
            return False
        reqs = f", {after - before} request(s) to the emulator" if before >= 0 else ""
        print(f"  {name}: ok ({time.monotonic() - t0:.0f} s){reqs}")
        if shown:
            print(shown)
        self.passed += 1
        return True

    def compile_step(self, name: str, cmd: List[str], cwd: Path, timeout: int = 600,
                     env: Optional[Dict[str, str]] = None) -> bool:
        t0 = time.monotonic()
        p = subprocess.run(cmd, cwd=cwd, env=env or self.env, capture_output=True, text=True,
                           timeout=timeout)
        print(f"  built: {' '.join(cmd[:3])} ... ({time.monotonic() - t0:.0f} s)")
        if p.returncode != 0:
            print(f"  {name}: FAILED to build: {' '.join(cmd)}")
            print("\n".join("    " + ln for ln in (p.stdout + p.stderr).rstrip().splitlines()[-60:]))
            self.failed.append(name)
            return False
        return True

    @staticmethod
    def local(code: str) -> str:
        for host in PLATFORM_HOSTS:
            code = code.replace(host, "${YTX_BASE_URL}")
        return code

    def local_program(self, code: str) -> str:
        # In a program there is no shell to expand ${...}: the URL itself.
        for host in PLATFORM_HOSTS:
            code = code.replace(host, self.env["YTX_BASE_URL"])
        return code

    # --- languages --------------------------------------------------------
    def rust(self, blocks: List[Block]) -> None:
        if not blocks:
            return
        proj = self.work / "rust"
        (proj / "src" / "bin").mkdir(parents=True)
        (proj / "Cargo.toml").write_text(
            '[package]\nname = "readme-blocks"\nversion = "0.0.0"\nedition = "2021"\npublish = false\n\n'
            f'[dependencies]\nytx = {{ path = {json.dumps(str(ROOT))} }}\n\n[workspace]\n', "utf-8")
        if (ROOT / "Cargo.lock").exists():  # the same dependency versions: reuse their builds
            shutil.copy(ROOT / "Cargo.lock", proj / "Cargo.lock")
        programs: List[Tuple[str, List[Block]]] = []
        fragments = [b for b in blocks if not re.search(r"^\s*(pub\s+)?fn\s+main\s*\(", b.code, re.M)]
        for b in blocks:
            if b not in fragments:
                programs.append((f"block_{b.line}", [b]))
                (proj / "src" / "bin" / f"block_{b.line}.rs").write_text(self.local_program(b.code), "utf-8")
        if fragments:
            heads, items, stmts = "", "", ""
            for b in fragments:
                h, it, st = split_fragment(self.local_program(b.code), RUST_HEADER, RUST_ITEM)
                heads, items, stmts = heads + h, items + it, stmts + f"// README.md:{b.line}\n" + st
            (proj / "src" / "bin" / "fragments.rs").write_text(
                f"{heads}\n{items}\nfn main() -> Result<(), Box<dyn std::error::Error>> {{\n{stmts}\nOk(())\n}}\n",
                "utf-8")
            programs.append(("fragments", fragments))
        env = dict(self.env, CARGO_TARGET_DIR=str(self.target))
        names = ", ".join(b.name for _, bs in programs for b in bs)
        if not self.compile_step(f"rust: {names}", ["cargo", "build", "--quiet", "--bins"], proj, env=env):
            return
        for bin_name, bs in programs:
            exe = self.target / "debug" / bin_name
            self.run("rust: " + ", ".join(b.name for b in bs), [str(exe)], proj, self.env, 60,
                     calls=any(CALLS.search(b.code) for b in bs))

    def c_fragments_program(self, blocks: List[Block]) -> Optional[str]:
        fragments = [b for b in blocks if not re.search(r"\bmain\s*\(", b.code)]
        if not fragments:
            return None
        heads, items, stmts = "", "", ""
        for b in fragments:
            h, it, st = split_fragment(self.local_program(b.code), C_HEADER, C_ITEM)
            heads, items, stmts = heads + h, items + it, stmts + f"/* README.md:{b.line} */\n" + st
        std = "".join(f"#include <{h}>\n" for h in ("stdio.h", "stdlib.h", "string.h") if h not in heads)
        if '"ytx.h"' not in heads:
            std += '#include "ytx.h"\n'
        return f"{std}{heads}\n{items}\nint main(void) {{\n{stmts}\nreturn 0;\n}}\n"

    def c(self, blocks: List[Block]) -> None:
        d = self.work / "c"
        d.mkdir()
        programs: List[Tuple[Path, List[Block]]] = []
        for b in blocks:
            if re.search(r"\bmain\s*\(", b.code):
                src = d / f"block_{b.line}.c"
                src.write_text(self.local_program(b.code), "utf-8")
                programs.append((src, [b]))
        frag = self.c_fragments_program(blocks)
        if frag is not None:
            (d / "fragments.c").write_text(frag, "utf-8")
            programs.append((d / "fragments.c", [b for b in blocks if not re.search(r"\bmain\s*\(", b.code)]))
        env = dict(self.env, LD_LIBRARY_PATH=str(self.debug))
        for src, bs in programs:
            name = "c: " + ", ".join(b.name for b in bs)
            exe = src.with_suffix("")
            if self.compile_step(name, ["cc", "-std=c11", "-Wall", "-Wextra", "-Werror",
                                        "-D_POSIX_C_SOURCE=200809L", f"-I{ROOT / 'include'}", str(src),
                                        f"-L{self.debug}", "-lytx", "-o", str(exe)], d):
                self.run(name, [str(exe)], d, env, 60, calls=any(CALLS.search(b.code) for b in bs))

    def python(self, blocks: List[Block]) -> None:
        if not blocks:
            return
        d = self.work / "python"
        d.mkdir()
        script = "".join(f"# README.md:{b.line}\n{self.local_program(b.code)}\n" for b in blocks)
        (d / "readme.py").write_text(script, "utf-8")
        env = dict(self.env, PYTHONPATH=str(ROOT / "bindings" / "python" / "src"), YTX_LIBRARY=str(self.lib))
        self.run("python: " + ", ".join(b.name for b in blocks), [sys.executable, "readme.py"], d, env, 60,
                 calls=any(CALLS.search(b.code) for b in blocks))

    def csharp(self, blocks: List[Block]) -> None:
        if not blocks:
            return
        d = self.work / "csharp"
        d.mkdir()
        cs = ROOT / "bindings" / "csharp"
        flags = ["-langversion:7.2", "-warn:4", "-warnaserror+", "-nologo"]
        if not self.compile_step("c#: Ytx.dll", ["mcs", *flags, "-target:library", f"-out:{d / 'Ytx.dll'}",
                                                *map(str, sorted((cs / "src").glob("*.cs")))], d):
            return
        shutil.copy(cs / "Ytx.dll.config", d / "Ytx.dll.config")
        programs: List[Tuple[str, str, List[Block]]] = []
        fragments = [b for b in blocks if not re.search(r"\bMain\s*\(", b.code)]
        for b in blocks:
            if b not in fragments:
                programs.append((f"block_{b.line}", self.local_program(b.code), [b]))
        if fragments:
            heads, items, stmts = "", "", ""
            for b in fragments:
                h, it, st = split_fragment(self.local_program(b.code), CS_HEADER, CS_ITEM)
                heads, items, stmts = heads + h, items + it, stmts + f"// README.md:{b.line}\n" + st
            if not re.search(r"^using\s+System\s*;", heads, re.M):
                heads = "using System;\n" + heads
            programs.append(("fragments", f"{heads}\ninternal static class ReadmeBlocks {{\n{items}\n"
                                           f"private static int Main() {{\n{stmts}\nreturn 0;\n}}\n}}\n", fragments))
        env = dict(self.env, LD_LIBRARY_PATH=str(self.debug))
        for prog, code, bs in programs:
            name = "c#: " + ", ".join(b.name for b in bs)
            (d / f"{prog}.cs").write_text(code, "utf-8")
            if self.compile_step(name, ["mcs", *flags, "-target:exe", f"-out:{d / (prog + '.exe')}",
                                        f"-r:{d / 'Ytx.dll'}", str(d / f"{prog}.cs")], d):
                self.run(name, ["mono", "--debug", f"{prog}.exe"], d, env, 60,
                         calls=any(CALLS.search(b.code) for b in bs))

    # --- shell and build-file blocks ------------------------------------
    def scratch(self, c_blocks: List[Block]) -> Path:
        """A directory laid out like the repository, for the shell blocks."""
        s = self.work / "repo"
        s.mkdir()
        for entry in ROOT.iterdir():
            if entry.name not in ("target", ".git"):
                (s / entry.name).symlink_to(entry)
        # target/: the release target directory, with the workspace's debug
        # builds in it (cargo reuses them: its records are relative to it).
        self.release_target.mkdir(parents=True, exist_ok=True)
        if not (self.release_target / "debug").exists():
            (self.release_target / "debug").symlink_to(self.debug)
        (s / "target").symlink_to(self.release_target)
        app = self.c_fragments_program(c_blocks)
        (s / "app.c").write_text(app if app is not None else (ROOT / "examples" / "c" / "quickstart.c").read_text(),
                                 "utf-8")
        shutil.copy(ROOT / "examples" / "cpp" / "quickstart.cpp", s / "app.cpp")
        # cargo, run from the repository root (so that it is the same
        # workspace, with the same build records) into target/ above.
        bindir = self.work / "bin"
        bindir.mkdir()
        real_cargo = shutil.which("cargo") or "cargo"
        (bindir / "cargo").write_text(f'#!/bin/sh\ncd {json.dumps(str(ROOT))} && exec {json.dumps(real_cargo)} "$@"\n')
        (bindir / "cargo").chmod(0o755)
        for exe in ("ytx", "ytx-emulator"):
            if (self.debug / exe).exists():
                (bindir / exe).symlink_to(self.debug / exe)
        destdir = self.work / "destdir"
        self.shell_env = dict(self.env, PATH=f"{bindir}:{self.env.get('PATH', '')}",
                              CARGO=str(bindir / "cargo"), CARGO_TARGET_DIR=str(self.release_target),
                              DESTDIR=str(destdir), PKG_CONFIG_SYSROOT_DIR=str(destdir),
                              PKG_CONFIG_PATH=f"{destdir}/usr/local/lib/pkgconfig:{destdir}/usr/lib/pkgconfig",
                              YTX_REPO=str(ROOT))
        self.shell_env.pop("YTX_SONAME", None)
        return s

    def shell(self, b: Block, s: Path, code: Optional[str] = None) -> None:
        code = self.local(code if code is not None else b.code)
        # NAME=... placeholders: this run's value of NAME.
        code = re.sub(r"\b([A-Z][A-Z0-9_]*)=\.\.\.(?=\s|$)", r'\1="${\1}"', code)
        (self.work / f"block_{b.line}.sh").write_text(code, "utf-8")
        self.run(f"{b.lang}: {b.name}", ["bash", "-euo", "pipefail", str(self.work / f"block_{b.line}.sh")],
                 s, self.shell_env, 600, calls=False)

    def make(self, b: Block, s: Path) -> None:
        d = self.work / f"make_{b.line}"
        d.mkdir()
        shutil.copy(s / "app.c", d / "app.c")
        (d / "Makefile").write_text(b.code + "\napp: app.c\n", "utf-8")
        if self.compile_step(f"make: {b.name}", ["make", "app", f"YTX_DIR={s}"], d, env=self.shell_env):
            self.run(f"make: {b.name}", ["./app"], d, self.env, 60, calls=True)

    def cmake(self, b: Block, s: Path) -> None:
        d = self.work / f"cmake_{b.line}"
        d.mkdir()
        shutil.copy(s / "app.c", d / "app.c")
        (d / "CMakeLists.txt").write_text(
            "cmake_minimum_required(VERSION 3.13)\nproject(app C)\nadd_executable(app app.c)\n" + b.code, "utf-8")
        if (self.compile_step(f"cmake: {b.name}", ["cmake", "-S", ".", "-B", "build", f"-DYTX_DIR={s}"], d,
                              env=self.shell_env)
                and self.compile_step(f"cmake: {b.name}", ["cmake", "--build", "build"], d, env=self.shell_env)):
            self.run(f"cmake: {b.name}", ["./build/app"], d, self.env, 60, calls=True)

    def data(self, b: Block) -> None:
        try:
            if b.lang == "json":
                json.loads(b.code)
            else:
                import tomllib  # Python 3.11+

                tomllib.loads(b.code)
        except Exception as e:  # noqa: BLE001 - any parse error fails the block
            print(f"  {b.lang}: {b.name}: FAILED: not valid {b.lang}: {e}")
            self.failed.append(b.name)
            return
        print(f"  {b.lang}: {b.name}: ok (valid {b.lang})")
        self.passed += 1

    # --- the run ------------------------------------------------------------
    def main(self, list_only: bool) -> int:
        blocks = parse(self.readme)
        unknown = [b for b in blocks if b.lang not in KNOWN]
        for b in blocks:
            how = ("NOT RUN: " + b.not_run) if b.not_run else ("UNKNOWN LANGUAGE" if b in unknown else "run")
            if list_only or b.not_run or b in unknown:
                print(f"readme-blocks: {b.name}: {how}")
        if list_only:
            return 0
        for b in unknown:
            print(f"  {b.name}: FAILED: no rule for ```{b.lang} blocks in tests/readme_blocks.py")
            self.failed.append(b.name)
        todo = [b for b in blocks if not b.not_run and b not in unknown]
        self.skipped = sum(1 for b in blocks if b.not_run)
        self.start_emulator()
        by = lambda *langs: [b for b in todo if b.lang in langs]  # noqa: E731
        for b in by(*TEXT_LANGS):
            print(f"  {b.name}: text, not code (not run)")
        for b in by("json", "toml"):
            self.data(b)
        self.rust(by("rust"))
        self.c(by("c"))
        self.python(by("python"))
        self.csharp(by("csharp"))
        later = [b for b in todo if b.lang in SHELL_LANGS | {"console", "make", "cmake"}]
        if later:
            s = self.scratch(by("c"))
            for b in later:
                if b.lang == "make":
                    self.make(b, s)
                elif b.lang == "cmake":
                    self.cmake(b, s)
                elif b.lang == "console":
                    cmds = [ln[2:] for ln in b.code.splitlines() if ln.startswith("$ ")]
                    self.shell(b, s, "\n".join(cmds) + "\n")
                else:
                    self.shell(b, s)
        print(f"readme blocks: {self.passed} passed, {len(self.failed)} failed, {self.skipped} not run")
        if self.failed:
            print("failed: " + "; ".join(self.failed))
        return 1 if self.failed else 0

    def close(self) -> None:
        if self.emulator is not None:
            self.emulator.kill()
            self.emulator.wait()
        if self.keep:
            print(f"readme-blocks: kept {self.work}")
        else:
            shutil.rmtree(self.work, ignore_errors=True)


def main() -> int:
    args = [a for a in sys.argv[1:] if a != "--list"]
    readme = Path(args[0]) if args else ROOT / "README.md"
    runner = Runner(readme, keep=bool(os.environ.get("KEEP")))
    start = time.monotonic()
    try:
        return runner.main("--list" in sys.argv[1:])
    finally:
        runner.close()
        print(f"readme-blocks: {time.monotonic() - start:.0f} s")


if __name__ == "__main__":
    sys.exit(main())
