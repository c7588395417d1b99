"""What save(durable=True) costs: N small WAVs saved with and without fsync of the file and its
directory, per file, into each directory given (default: the system's temporary directory and
the current one).

    PYTHONPATH=python python3 bench/bench_durable.py [DIR ...] [--files 200]
"""

import argparse
import os
import statistics
import sys
import tempfile
import time

import numpy as np

import decode_audio


def run(directory, files, durable, samples):
    with tempfile.TemporaryDirectory(dir=directory) as d:
        start = time.perf_counter()
        for i in range(files):
            decode_audio.save(os.path.join(d, f"{i}.wav"), samples, 16000, durable=durable)
        return (time.perf_counter() - start) / files


def main():
    p = argparse.ArgumentParser()
    p.add_argument("dirs", nargs="*", default=[tempfile.gettempdir(), "."])
    p.add_argument("--files", type=int, default=200)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    samples = np.zeros((1, 16000), np.float32)  # 1 s mono: a 32 KB WAV
    print(f"{args.files} WAVs of 32 KB each; median of {args.repeat} runs, ms per file")
    for d in args.dirs:
        row = {}
        for durable in (False, True):
            row[durable] = statistics.median(run(d, args.files, durable, samples)
                                             for _ in range(args.repeat)) * 1000
        print(f"{os.path.abspath(d)}: durable=False {row[False]:.2f}  durable=True "
              f"{row[True]:.2f}  (+{row[True] - row[False]:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
