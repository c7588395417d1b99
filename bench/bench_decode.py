"""decode_audio.decode beside soundfile.read on 5 minutes of 44.1 kHz stereo, to float32.

Run with `make bench` from the top directory. Each row is the median of several runs of each
reader, interleaved so both see the same machine state; the ratio is decode_audio's time over
soundfile's (below 1.0: decode_audio is faster).
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np
import soundfile

import decode_audio

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")
RUNS = 7


def make_corpus() -> dict:
    os.makedirs(DATA, exist_ok=True)
    source = "aevalsrc=exprs=0.3*sin(2*PI*440*t)+0.1*random(0)|0.3*sin(2*PI*660*t)+0.1*random(1)" \
             ":s=44100:d=300"
    files = {"wav": ["-c:a", "pcm_s16le"], "mp3": ["-c:a", "libmp3lame", "-b:a", "192k"]}
    paths = {}
    for ext, codec in files.items():
        path = os.path.join(DATA, f"5min_44k_stereo.{ext}")
        if not os.path.exists(path):
            subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi",
                            "-i", source, *codec, path], check=True)
        paths[ext] = path
    return paths


def median_time(fn, path: str) -> float:
    times = []
    for _ in range(RUNS):
        t = time.perf_counter()
        fn(path)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> int:
    paths = make_corpus()
    readers = {
        "decode_audio": lambda p: decode_audio.decode(p, dtype="float32"),
        "soundfile": lambda p: soundfile.read(p, dtype="float32"),
    }
    print(f"# decode_audio vs soundfile — {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, soundfile {soundfile.__version__} "
          f"(libsndfile {soundfile.__libsndfile_version__}), FFmpeg "
          f"{decode_audio.get_versions()['ffmpeg']}")
    print("| file | decode_audio ms | soundfile ms | ratio |")
    print("|---|---|---|---|")
    for name, path in paths.items():
        a = decode_audio.decode(path).numpy()
        b, _ = soundfile.read(path, dtype="float32")
        if name == "wav":
            assert np.array_equal(a, b), "decoders disagree on the WAV"
        for reader in readers.values():
            reader(path)  # warm the page cache
        result = {n: median_time(fn, path) for n, fn in readers.items()}
        ours, theirs = result["decode_audio"], result["soundfile"]
        print(f"| {name} 5 min 44.1 kHz stereo | {ours * 1e3:.1f} | {theirs * 1e3:.1f} | "
              f"{ours / theirs:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
