"""Reads valgrind's XML report of the Python driver and fails on errors that involve our code.

    python3 tests/c/valgrind_report.py REPORT.xml

Python, its dynamic loader and NumPy have errors and leaks of their own under valgrind
(uninitialised reads in longobject.c, ld.so's strncmp, interned objects never freed); those
are not ours. An error counts when any frame of its stack is in libdecode_audio.so: an
invalid access in our code or in FFmpeg called from it, or memory our calls allocated and
never freed (definite leaks only). Prints valgrind's own counts beside ours.
"""

from __future__ import annotations

import collections
import sys
import xml.etree.ElementTree as ET

OURS = "libdecode_audio.so"


def main(path: str) -> int:
    root = ET.parse(path).getroot()
    kinds: collections.Counter = collections.Counter()
    ours = []
    for error in root.iter("error"):
        kind = error.findtext("kind", "")
        kinds[kind] += 1
        if kind.startswith("Leak_") and kind != "Leak_DefinitelyLost":
            continue
        frames = [(f.findtext("fn", "?"), f.findtext("obj", "")) for f in error.iter("frame")]
        if any(obj.endswith(OURS) for _, obj in frames):
            what = error.findtext("what") or error.findtext("xwhat/text") or kind
            stack = "\n    ".join(f"{fn} ({obj.rsplit('/', 1)[-1]})" for fn, obj in frames[:12])
            ours.append(f"{what}\n    {stack}")
    summary = ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())) or "none"
    print(f"valgrind (Python driver): errors by kind in the whole process: {summary}")
    print(f"valgrind (Python driver): {len(ours)} involve {OURS}")
    for text in ours:
        print(text)
    return 1 if ours else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
