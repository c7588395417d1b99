"""Building on every FFmpeg: version checks live in csrc/compat.h, and warnings fail our builds
but not a user's `pip install .`."""

from __future__ import annotations

import ast
import glob
import os
import re
import subprocess

from conftest import ROOT


def make_dry_run(*args: str) -> list:
    """The compiler commands `make lib` would run from scratch (nothing is built)."""
    out = subprocess.run(["make", "-n", "-B", "-C", ROOT, "--no-print-directory",
                          "BUILD=build/dry-run", "LIB=build/dry-run/lib.so", "lib", *args],
                         check=True, capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if " -c csrc/" in line]


def setup_make_command() -> list:
    """The make command setup.py runs (read from its source: importing it would build)."""
    with open(os.path.join(ROOT, "setup.py")) as f:
        tree = ast.parse(f.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "MAKE_LIB":
            return ast.literal_eval(node.value)
    raise AssertionError("setup.py has no MAKE_LIB")


def test_make_compiles_with_warnings_as_errors():
    lines = make_dry_run()
    assert len(lines) == len(glob.glob(os.path.join(ROOT, "csrc", "*.c"))) - 1  # not the CLI
    for line in lines:
        assert "-Wall" in line.split() and "-Wextra" in line.split()
        assert "-Werror" in line.split(), line


def test_pip_install_compiles_with_warnings_but_not_as_errors():
    command = setup_make_command()
    assert command[:2] == ["make", "lib"]
    lines = make_dry_run(*command[2:])
    assert lines
    for line in lines:
        assert "-Wall" in line.split() and "-Wextra" in line.split()
        assert "-Werror" not in line, line


def test_ffmpeg_version_checks_live_only_in_compat_h():
    check = re.compile(r"\bLIB(AV|SW)\w*_VERSION\w*|\bFF_API_\w+|^\s*#\s*(el)?if.*VERSION")
    offenders = []
    for path in glob.glob(os.path.join(ROOT, "csrc", "*.[ch]")):
        if os.path.basename(path) == "compat.h":
            continue
        with open(path) as f:
            for n, line in enumerate(f, 1):
                if check.search(line):
                    offenders.append(f"{os.path.basename(path)}:{n}: {line.strip()}")
    assert offenders == []


def test_compat_h_is_what_internal_h_includes_first():
    with open(os.path.join(ROOT, "csrc", "internal.h")) as f:
        includes = re.findall(r'^#include "(\S+)"', f.read(), re.M)
    assert includes[0] == "compat.h"
