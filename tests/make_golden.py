"""Makes golden/: the primer's test input and its raw decode, both by the ffmpeg CLI.

The only writer of golden/. Run from anywhere: ``python tests/make_golden.py``.
Writes golden/test.wav (1000 Hz sine, 5 s, 8 kHz, s16), golden/golden.raw (its s16le
decode) and golden/MANIFEST.json (the commands, the ffmpeg version and each file's sha256).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GOLDEN = os.path.join(ROOT, "golden")

COMMANDS = {
    "test.wav": ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi",
                 "-i", "sine=frequency=1000:duration=5", "-c:a", "pcm_s16le", "-ar", "8000",
                 "-fflags", "+bitexact", "-flags:a", "+bitexact", "test.wav"],
    "golden.raw": ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", "test.wav",
                   "-f", "s16le", "-acodec", "pcm_s16le", "golden.raw"],
}


def ffmpeg_version() -> str:
    out = subprocess.run(["ffmpeg", "-version"], check=True, capture_output=True, text=True)
    return out.stdout.splitlines()[0]


def sha256(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def main() -> int:
    os.makedirs(GOLDEN, exist_ok=True)
    manifest = {"ffmpeg": ffmpeg_version(), "files": {}}
    for name, command in COMMANDS.items():
        subprocess.run(command, cwd=GOLDEN, check=True)
        manifest["files"][name] = {
            "command": " ".join(command),
            "sha256": sha256(os.path.join(GOLDEN, name)),
        }
    with open(os.path.join(GOLDEN, "MANIFEST.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    print(f"golden/: {', '.join(COMMANDS)} made with {manifest['ffmpeg']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
