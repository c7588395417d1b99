"""decode_audio beside its peers, measured side by side in one run.

Run with `make bench` from the top directory (the peers live in bench/.venv). Rows:
- full decodes of 5 minutes of 44.1 kHz stereo to float32;
- exact 1 s windows starting 60 s into the same files (AAC and Opus cannot be entered
  exactly mid-stream, so decode_audio decodes them from the start; the exact=False rows enter
  them after a converging preroll, as the peers do).
Each cell is the median of several runs, the readers interleaved so they see the same machine
state; the ratio is decode_audio's time over the fastest peer's (below 1.0: decode_audio is
faster). A peer that cannot read a format shows "-".
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
from typing import Callable, Dict, Optional

import numpy as np
import soundfile

import decode_audio

try:
    from torchcodec.decoders import AudioDecoder
except Exception:  # noqa: BLE001 - torchcodec is optional, and fails in many ways
    AudioDecoder = None

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")
RUNS = 7
SOURCE = ("aevalsrc=exprs=0.3*sin(2*PI*440*t)+0.1*random(0)|0.3*sin(2*PI*660*t)+0.1*random(1)"
          ":s={rate}:d=300")
CORPUS = {
    "wav": ("wav", 44100, ["-c:a", "pcm_s16le"]),
    "flac": ("flac", 44100, ["-c:a", "flac", "-sample_fmt", "s16"]),
    "mp3": ("mp3", 44100, ["-c:a", "libmp3lame", "-b:a", "192k"]),
    "vorbis": ("ogg", 44100, ["-c:a", "libvorbis"]),
    "opus": ("opus", 48000, ["-c:a", "libopus"]),
    "aac": ("m4a", 44100, ["-c:a", "aac"]),
}


def make_corpus() -> Dict[str, str]:
    os.makedirs(DATA, exist_ok=True)
    paths = {}
    for name, (ext, rate, codec) in CORPUS.items():
        path = os.path.join(DATA, f"5min_{name}_stereo.{ext}")
        if not os.path.exists(path):
            subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi",
                            "-i", SOURCE.format(rate=rate), *codec, path], check=True)
        paths[name] = path
    return paths


def median_time(fn: Callable[[], object]) -> float:
    fn()  # warm the page cache and the libraries
    times = []
    for _ in range(RUNS):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def soundfile_reader(path: str, start: int = 0, frames: int = -1) -> Optional[Callable]:
    try:
        soundfile.info(path)
    except Exception:  # noqa: BLE001 - a format libsndfile does not read
        return None
    return lambda: soundfile.read(path, start=start, frames=frames, dtype="float32")


def torchcodec_reader(path: str, start: float = 0.0, stop: Optional[float] = None):
    if AudioDecoder is None:
        return None
    return lambda: AudioDecoder(path).get_samples_played_in_range(start, stop)


def row(label: str, ours: Callable, peers: Dict[str, Optional[Callable]]) -> str:
    t_ours = median_time(ours)
    cells, best = [], None
    for fn in peers.values():
        if fn is None:
            cells.append("-")
            continue
        t = median_time(fn)
        cells.append(f"{t * 1e3:.1f}")
        best = t if best is None else min(best, t)
    ratio = f"{t_ours / best:.2f}" if best else "-"
    return f"| {label} | {t_ours * 1e3:.1f} | " + " | ".join(cells) + f" | {ratio} |"


def main() -> int:
    paths = make_corpus()
    peers = ["soundfile"] + (["torchcodec"] if AudioDecoder is not None else [])
    versions = decode_audio.get_versions()
    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}; FFmpeg {versions['ffmpeg']}; soundfile "
          f"{soundfile.__version__} (libsndfile {soundfile.__libsndfile_version__})"
          + (f"; torchcodec {__import__('torchcodec').__version__}" if AudioDecoder else ""))
    print()
    print("Full decode to float32 (ms, median of %d):" % RUNS)
    print()
    print("| file | decode_audio | " + " | ".join(peers) + " | ratio |")
    print("|---|---" + "|---" * len(peers) + "|---|")
    for name in ("wav", "mp3"):
        path = paths[name]
        if name == "wav":
            ours_samples = decode_audio.decode(path).numpy()
            theirs, _ = soundfile.read(path, dtype="float32")
            assert np.array_equal(ours_samples, theirs), "decoders disagree on the WAV"
        readers = {"soundfile": soundfile_reader(path),
                   "torchcodec": torchcodec_reader(path)}
        print(row(f"{name} 5 min 44.1 kHz stereo", lambda p=path: decode_audio.decode(p),
                  {k: readers[k] for k in peers}))
    print()
    print("Exact 1 s window 60 s in, float32 (ms, median of %d):" % RUNS)
    print()
    print("| file | decode_audio | " + " | ".join(peers) + " | ratio |")
    print("|---|---" + "|---" * len(peers) + "|---|")
    for name, path in paths.items():
        rate = CORPUS[name][1]
        readers = {"soundfile": soundfile_reader(path, 60 * rate, rate),
                   "torchcodec": torchcodec_reader(path, 60.0, 61.0)}
        print(row(f"{name} 60 s + 1 s",
                  lambda p=path, r=rate: decode_audio.decode(p, frame_offset=60 * r,
                                                             num_frames=r),
                  {k: readers[k] for k in peers}))
    for name in ("opus", "aac"):
        path, rate = paths[name], CORPUS[name][1]
        readers = {"soundfile": soundfile_reader(path, 60 * rate, rate),
                   "torchcodec": torchcodec_reader(path, 60.0, 61.0)}
        print(row(f"{name} 60 s + 1 s, exact=False",
                  lambda p=path, r=rate: decode_audio.decode(p, frame_offset=60 * r,
                                                             num_frames=r, exact=False),
                  {k: readers[k] for k in peers}))
    print()
    print_scaling()
    return 0


def print_scaling() -> None:
    """load_many over 24 thirty-second MP3s on 1 and 2 threads."""
    path = os.path.join(DATA, "30s_mp3_stereo.mp3")
    if not os.path.exists(path):
        subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                        SOURCE.format(rate=44100).replace("d=300", "d=30"), "-c:a", "libmp3lame",
                        path], check=True)
    paths = [path] * 24
    t1 = median_time(lambda: decode_audio.load_many(paths, num_threads=1))
    t2 = median_time(lambda: decode_audio.load_many(paths, num_threads=2))
    print("load_many, 24 x 30 s MP3 (ms, median of %d):" % RUNS)
    print()
    print("| threads | ms | speed-up |")
    print("|---|---|---|")
    print(f"| 1 | {t1 * 1e3:.0f} | 1.00 |")
    print(f"| 2 | {t2 * 1e3:.0f} | {t1 / t2:.2f} |")


if __name__ == "__main__":
    sys.exit(main())
