"""Where the time of a benchmark row goes, counted in instructions by callgrind.

Run with `make profile` from bench/ (after `make bench` has made the corpus). For each row,
profile_decode runs the row's da_decode() call once and five times under valgrind's callgrind;
the difference over four calls is one call's cost without start-up, split by the functions
that matter. Instruction counts do not move with the machine's load, unlike times.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from typing import Dict, List, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")
PROFILER = os.path.join(HERE, "profile_decode")

# label, file, extra arguments (frame_offset num_frames [exact])
ROWS: List[Tuple[str, str, List[str]]] = [
    ("WAV 1 s per call", "1s_16k_mono.wav", []),
    ("MP3 1 s per call", "1s_16k_mono.mp3", []),
    ("FLAC 1 s window 60 s in", "5min_stereo_flac.flac", ["2646000", "44100"]),
    ("MP3 1 s window 60 s in", "5min_stereo_mp3.mp3", ["2646000", "44100"]),
    ("Vorbis 1 s window 60 s in", "5min_stereo_vorbis.ogg", ["2646000", "44100"]),
    ("Opus 1 s window, exact", "5min_stereo_opus.opus", ["2880000", "48000"]),
    ("Opus 1 s window, exact=False", "5min_stereo_opus.opus", ["2880000", "48000", "0"]),
    ("AAC 1 s window, exact", "5min_stereo_aac.m4a", ["2646000", "44100"]),
    ("AAC 1 s window, exact=False", "5min_stereo_aac.m4a", ["2646000", "44100", "0"]),
]

# (column, callgrind function names whose inclusive costs add up to it)
PARTS = [
    ("open: probe", ["av_probe_input_buffer2"]),
    ("open: stream info", ["avformat_find_stream_info"]),
    ("open: decoder", ["avcodec_open2"]),
    ("seek", ["avformat_seek_file"]),
    ("demux", ["av_read_frame"]),
    ("decode", ["avcodec_send_packet", "avcodec_receive_frame"]),
    ("convert", ["da__convert", "da__convert_planes", "swr_convert"]),
    ("native WAV", ["da__pcm_decode"]),
    ("native MP3", ["da__mp3_decode"]),
]


def callgrind(path: str, args: List[str], calls: int) -> Tuple[int, Dict[str, int]]:
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "cg.out")
        subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                        PROFILER, path, str(calls), *args], check=True, capture_output=True)
        text = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", out],
                              check=True, capture_output=True, text=True).stdout
    total, funcs = 0, {}
    for line in text.splitlines():
        m = re.match(r"\s*([\d,]+)\s+(?:\([^)]*\)\s+)?(.*)$", line)
        if not m:
            continue
        count = int(m.group(1).replace(",", ""))
        name = m.group(2)
        if "PROGRAM TOTALS" in name:
            total = count
            continue
        fn = re.sub(r"^.*:", "", name.split(" [")[0])
        funcs[fn] = max(funcs.get(fn, 0), count)
    return total, funcs


def main() -> int:
    print("Instructions per call (millions, callgrind; inclusive, so the open parts overlap "
          "the decoder's own set-up):")
    print()
    print("| row | total | " + " | ".join(name for name, _ in PARTS) + " |")
    print("|---|---" + "|---" * len(PARTS) + "|")
    for label, name, args in ROWS:
        path = os.path.join(DATA, name)
        if not os.path.exists(path):
            print(f"| {label} | (no {name}: run make bench first) |")
            continue
        t1, f1 = callgrind(path, args, 1)
        t5, f5 = callgrind(path, args, 5)
        per_call = (t5 - t1) / 4
        cells = []
        for _, fns in PARTS:
            n = sum(f5.get(fn, 0) - f1.get(fn, 0) for fn in fns) / 4
            cells.append(f"{n / 1e6:.2f}" if n > 0 else "-")
        print(f"| {label} | {per_call / 1e6:.2f} | " + " | ".join(cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
