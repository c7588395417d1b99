"""Writes the fuzzing seed corpus: short files of the test format matrix, made by the ffmpeg CLI.

    python3 tests/fuzz/make_seeds.py OUT_DIR [--path]

Each file is 0.1 s of the tests' signal in every format at 1 and 2 channels (5.1 for a few),
prefixed by the mode byte the C harnesses read first (0: float32 interleaved, full decode).
With --path the mode byte is instead the one with which fuzz_path.c names the file with its
format's extension, so that its fast paths are reached from the start.
"""

from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from conftest import FORMATS, make_input  # noqa: E402


# fuzz_path.c's extensions, indexed by the low three bits of the mode byte
PATH_EXTENSIONS = ("wav", "mp3", "flac", "ogg", "m4a", "opus", "aiff", "au")


def main(out_dir: str, for_path: bool = False) -> None:
    os.makedirs(out_dir, exist_ok=True)
    for fmt, (ext, _, max_channels, rates) in FORMATS.items():
        for channels in (1, 2, 6):
            if channels > max_channels or (channels == 6 and fmt not in ("wav_s16", "vorbis", "aac")):
                continue
            rate = 48000 if 48000 in rates else rates[-1]
            if channels == 1:
                rate = rates[0]
            with open(make_input(fmt, channels, rate, 0.1), "rb") as f:
                data = f.read()
            with open(os.path.join(out_dir, f"{fmt}_{channels}ch_{rate}"), "wb") as f:
                f.write(bytes([PATH_EXTENSIONS.index(ext) if for_path else 0]) + data)


if __name__ == "__main__":
    main(sys.argv[1], "--path" in sys.argv[2:])
