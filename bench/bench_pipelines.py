"""Pipelines side by side: each engine's own audio decoding against decode_audio's adapter.

    python bench_pipelines.py [--files 300] [--seconds 10] [--repeat 3] [--only ray,hf,wds]

Clips: half WAV, half FLAC, 16 kHz mono, `--seconds` long (made once with the ffmpeg CLI in
.pipeline-clips/). Prints a Markdown section: files per second, the best of `--repeat` runs
after one warm-up, and the ratio ours / theirs.

- Ray Data: ``ray.data.read_audio`` against ``decode_audio.ray.read_audio`` on one local
  cluster of 2 CPUs, WAV and FLAC measured apart (``materialize()`` of the dataset).
- Hugging Face datasets: ``Audio()`` columns decoded by the library (torchcodec) against
  ``Audio(decode=False)`` with ``decode_audio.hf.decode_batch`` as the transform; every row
  read with ``ds[i]``, its samples taken.
- WebDataset: ``.decode(wds.torch_audio)`` (a temporary file per sample, torchaudio) against
  ``.decode(decode_audio.webdataset.handler())``, over one tar of all the clips.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tarfile
import time
from typing import Callable, Dict, List

HERE = os.path.dirname(os.path.abspath(__file__))
CLIPS = os.path.join(HERE, ".pipeline-clips")


def make_clips(count: int, seconds: float) -> Dict[str, List[str]]:
    """`count` clips, half WAV and half FLAC, each a different tone with noise."""
    folder = os.path.join(CLIPS, f"{count}x{seconds:g}s")
    os.makedirs(folder, exist_ok=True)
    files: Dict[str, List[str]] = {"wav": [], "flac": []}
    for i in range(count):
        ext = "wav" if i % 2 == 0 else "flac"
        path = os.path.join(folder, f"clip{i:04d}.{ext}")
        if not os.path.exists(path):
            tone = 200 + 7 * i
            src = (f"aevalsrc=exprs=0.3*sin(2*PI*{tone}*t)+0.05*(random(0)-0.5):s=16000:"
                   f"d={seconds}")
            subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi",
                            "-i", src, "-c:a", "pcm_s16le" if ext == "wav" else "flac",
                            "-sample_fmt", "s16", path + ".tmp." + ext], check=True)
            os.replace(path + ".tmp." + ext, path)
        files[ext].append(path)
    return files


def best_rate(run: Callable[[], int], repeat: int) -> float:
    """Files per second: the best of `repeat` timed runs after one warm-up."""
    run()
    best = 0.0
    for _ in range(repeat):
        start = time.perf_counter()
        n = run()
        best = max(best, n / (time.perf_counter() - start))
    return best


def bench_ray(files: Dict[str, List[str]], repeat: int) -> List[tuple]:
    import ray

    from decode_audio.ray import read_audio

    python_dir = os.path.join(os.path.dirname(HERE), "python")
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [python_dir] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])
    ray.init(num_cpus=2, object_store_memory=1 << 30, include_dashboard=False,
             log_to_driver=False, configure_logging=False)
    ray.data.DataContext.get_current().enable_progress_bars = False
    rows = []
    try:
        for ext, paths in files.items():
            def theirs() -> int:
                return ray.data.read_audio(paths).materialize().count()

            def ours() -> int:
                return read_audio(paths).materialize().count()

            rows.append((f"Ray Data, {len(paths)} {ext.upper()}", "ray.data.read_audio",
                         best_rate(theirs, repeat), "decode_audio.ray.read_audio",
                         best_rate(ours, repeat)))
    finally:
        ray.shutdown()
    return rows


def bench_hf(files: Dict[str, List[str]], repeat: int) -> List[tuple]:
    import datasets

    from decode_audio.hf import decode_batch

    paths = [p for pair in zip(files["wav"], files["flac"]) for p in pair]
    base = datasets.Dataset.from_dict({"audio": paths})
    theirs_ds = base.cast_column("audio", datasets.Audio())
    ours_ds = base.cast_column("audio", datasets.Audio(decode=False)).with_transform(
        lambda batch: decode_batch(batch, num_threads=1))

    def theirs() -> int:
        for i in range(len(theirs_ds)):
            theirs_ds[i]["audio"]["array"]
        return len(theirs_ds)

    def ours() -> int:
        for i in range(len(ours_ds)):
            ours_ds[i]["audio"]["array"]
        return len(ours_ds)

    return [(f"HF datasets, {len(paths)} WAV+FLAC, ds[i]", "Audio() (torchcodec)",
             best_rate(theirs, repeat), "decode_audio.hf.decode_batch",
             best_rate(ours, repeat))]


def bench_webdataset(files: Dict[str, List[str]], repeat: int) -> List[tuple]:
    import webdataset as wds

    from decode_audio.webdataset import handler

    paths = [p for pair in zip(files["wav"], files["flac"]) for p in pair]
    shard = os.path.join(CLIPS, f"shard-{len(paths)}.tar")
    if not os.path.exists(shard):
        with tarfile.open(shard + ".tmp", "w") as tar:
            for i, path in enumerate(paths):
                tar.add(path, arcname=f"sample{i:05d}.{path.rsplit('.', 1)[1]}")
        os.replace(shard + ".tmp", shard)

    def count(decoder: Callable) -> Callable[[], int]:
        def run() -> int:
            n = 0
            for sample in wds.WebDataset(shard, shardshuffle=False).decode(decoder):
                audio = sample.get("wav") or sample.get("flac")
                assert audio[0].shape[-1] > 0
                n += 1
            return n
        return run

    return [(f"WebDataset, {len(paths)} WAV+FLAC, one tar", "wds.torch_audio",
             best_rate(count(wds.torch_audio), repeat), "decode_audio.webdataset.handler",
             best_rate(count(handler()), repeat))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", default="ray,hf,wds")
    args = parser.parse_args()
    files = make_clips(args.files, args.seconds)
    benches = {"ray": bench_ray, "hf": bench_hf, "wds": bench_webdataset}
    rows = []
    for name in args.only.split(","):
        try:
            rows += benches[name](files, args.repeat)
        except ImportError as e:
            print(f"{name}: skipped ({e})", file=sys.stderr)
    load = os.getloadavg()[0]
    print(f"## Pipelines (bench_pipelines.py): {args.files} clips of {args.seconds:g} s, "
          f"16 kHz mono\n")
    print(f"Files per second, best of {args.repeat} runs after a warm-up; {os.cpu_count()} "
          f"CPUs, load {load:.1f} at the end.\n")
    versions = []
    for name in ("ray", "datasets", "torchcodec", "webdataset", "torchaudio"):
        try:
            versions.append(f"{name} {__import__(name).__version__}")
        except ImportError:
            pass
    print(f"Versions: {', '.join(versions)}. `datasets` decodes through torchcodec; WebDataset's "
          "`torch_audio` writes each member to a temporary file and calls `torchaudio.load`, "
          "which decodes it through torchcodec.\n")
    print("| pipeline | theirs | files/s | ours | files/s | ours / theirs |")
    print("|---|---|---:|---|---:|---:|")
    for what, their_name, their_rate, our_name, our_rate in rows:
        print(f"| {what} | `{their_name}` | {their_rate:.0f} | `{our_name}` | {our_rate:.0f} "
              f"| {our_rate / their_rate:.2f} |")


if __name__ == "__main__":
    main()
