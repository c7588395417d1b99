"""Runs decode_audio calls on untrusted inputs, for tests/test_broken.py, in a subprocess.

    python3 tests/broken_worker.py JOBS.json

Each job is ``{"id", "call": "decode"|"info"|"load"|"stream", "src": path, "as": "path"|
"bytes"|"file"|"nonseekable", "kwargs": {...}, "npy": path or null}``. Before a job starts, a
line ``start ID`` is printed, so a crash or hang names its input; after it, one JSON line with
the outcome (``ok`` with the frame count, or ``error`` with the exception's type and message)
and the process's peak RSS in MiB. With ``npy``, the decoded samples are saved there.
"""

from __future__ import annotations

import io
import json
import resource
import sys
import warnings

import numpy as np

import decode_audio
from filelikes import NonSeekable


def _source(job: dict):
    kind = job.get("as", "path")
    if kind == "path":
        return job["src"]
    with open(job["src"], "rb") as f:
        data = f.read()
    if kind == "bytes":
        return data
    if kind == "file":
        return io.BytesIO(data)
    return NonSeekable(data)


def _run(job: dict) -> dict:
    src, kwargs, call = _source(job), job.get("kwargs", {}), job["call"]
    result: dict = {"id": job["id"]}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if call == "info":
            meta = decode_audio.info(src, **kwargs)
            result.update(outcome="ok", frames=meta.num_frames, channels=meta.num_channels,
                          sample_rate=meta.sample_rate, codec=meta.codec)
            return result
        if call == "stream":
            chunks = list(decode_audio.stream(src, 4096, **kwargs))
            samples = np.concatenate([c.numpy() for c in chunks]) if chunks else np.zeros((0, 0))
            errors = chunks[-1].decode_errors if chunks else 0
        elif call == "load":
            tensor, _ = decode_audio.load(src, **kwargs)
            samples, errors = tensor.numpy(), None
            frames = samples.shape[1 if kwargs.get("channels_first", True) else 0]
        else:
            audio = decode_audio.decode(src, **kwargs)
            samples, errors, frames = audio.numpy(), audio.decode_errors, audio.num_frames
        if call == "stream":
            frames = samples.shape[0]
        result.update(outcome="ok", frames=int(frames), dtype=str(samples.dtype),
                      decode_errors=errors,
                      warnings=[str(w.message) for w in caught])
        if job.get("npy"):
            np.save(job["npy"], samples)
    return result


def main(path: str) -> None:
    with open(path) as f:
        jobs = json.load(f)
    for job in jobs:
        print("start", job["id"], flush=True)
        try:
            result = _run(job)
        except decode_audio.DecodeAudioError as e:
            result = {"id": job["id"], "outcome": "error", "type": type(e).__name__,
                      "code": e.code, "message": str(e)}
        except (ValueError, FileNotFoundError) as e:
            result = {"id": job["id"], "outcome": "error", "type": type(e).__name__,
                      "message": str(e)}
        result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
