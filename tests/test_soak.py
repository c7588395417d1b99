"""Load and soak: 10,000 mixed decodes over threads and worker processes.

Every result equals the sequential decode of the same job, resident memory stays flat after a
warm-up (within RSS_BOUND_MB) and no file descriptor is left open.
"""

from __future__ import annotations

import gc
import hashlib
import io
import multiprocessing
import os
import warnings

import pytest

from conftest import make_input

import decode_audio
from decode_audio._audio import live_buffers

# Resident memory may grow this much between the end of the warm-up and the end of the run;
# one leaked buffer per job would grow it by far more (the jobs' buffers sum to 500 MB and more).
RSS_BOUND_MB = 24
TOTAL = 10_000
THREADED = 6_000  # in this process on threads; the rest in worker processes

INPUTS = [("wav_s16", 2, 16000), ("flac", 1, 16000), ("mp3", 2, 44100), ("aac", 2, 48000),
          ("opus", 1, 48000), ("vorbis", 2, 48000), ("wav_u8", 1, 8000), ("aiff", 2, 44100)]
OPTIONS = [{}, {"sample_rate": 16000}, {"frame_offset": 1000, "num_frames": 2000},
           {"dtype": "int16", "channels_first": True}, {"num_channels": 1, "dtype": "float64"}]
VIAS = ["path", "bytes", "file"]


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def make_jobs(broken: str):
    paths = [make_input(fmt, ch, rate, 0.3) for fmt, ch, rate in INPUTS] + [broken]
    return [(paths[i % len(paths)], VIAS[(i // len(paths)) % len(VIAS)],
             (i // (len(paths) * len(VIAS))) % len(OPTIONS)) for i in range(TOTAL)]


def run_job(job) -> str:
    """A digest of what decoding the job gives: its samples and metadata, or its error."""
    path, via, option = job
    if via == "path":
        src = path
    else:
        with open(path, "rb") as f:
            data = f.read()
        src = data if via == "bytes" else io.BytesIO(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            audio = decode_audio.decode(src, **OPTIONS[option])
    except decode_audio.DecodeAudioError as e:
        return f"error {e.code}"
    digest = hashlib.sha1(audio.numpy().tobytes()).hexdigest()
    return f"{audio.shape} {audio.dtype} {audio.sample_rate} {digest}"


def worker_chunk(jobs):
    """Runs jobs in a worker process; returns the digests, its RSS and open fds after each
    tenth of them, and the buffers it left alive (a forked worker inherits the parent's)."""
    gc.collect()
    inherited = live_buffers()
    marks = []
    digests = []
    step = max(1, len(jobs) // 10)
    for i, job in enumerate(jobs):
        digests.append(run_job(job))
        if (i + 1) % step == 0:
            gc.collect()
            marks.append((rss_mb(), open_fds()))
    gc.collect()
    return digests, marks, live_buffers() - inherited


@pytest.fixture(scope="module")
def jobs(tmp_path_factory):
    broken = tmp_path_factory.mktemp("soak") / "broken.mp3"
    broken.write_bytes(b"\xff\xfb\x90\x00" + bytes(range(256)) * 8)
    return make_jobs(str(broken))


@pytest.fixture(scope="module")
def expected(jobs):
    # the sequential result of each distinct job
    return {job: run_job(job) for job in sorted(set(jobs))}


def test_soak_threads(jobs, expected):
    threaded = jobs[:THREADED]
    gc.collect()
    fds = open_fds()
    buffers = live_buffers()
    rss = []
    chunk = 500
    for start in range(0, len(threaded), chunk):
        part = threaded[start:start + chunk]
        results = decode_audio.load_many([_Job(j) for j in part], num_threads=4,
                                         errors="return")
        del results
        digests = _digests_on_threads(part)
        assert digests == [expected[j] for j in part]
        gc.collect()
        rss.append(rss_mb())
    warm = rss[1]  # after 1,000 jobs
    print(f"threads: RSS {rss[0]:.1f} MB after 500 jobs, {warm:.1f} after 1,000, "
          f"{max(rss[1:]):.1f} at most, {rss[-1]:.1f} after {len(threaded)}")
    assert max(rss[1:]) - warm < RSS_BOUND_MB, rss
    assert open_fds() == fds
    assert live_buffers() == buffers


class _Job:
    """A job as a file-like source for load_many (exercises the callback path under threads)."""

    def __init__(self, job):
        path, _, _ = job
        with open(path, "rb") as f:
            self._f = io.BytesIO(f.read())

    def read(self, n=-1):
        return self._f.read(n)

    def readinto(self, b):
        return self._f.readinto(b)

    def seek(self, *args):
        return self._f.seek(*args)

    def tell(self):
        return self._f.tell()

    def seekable(self):
        return True


def _digests_on_threads(part):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(run_job, part))


@pytest.mark.parametrize("context", ["fork", "spawn"])
def test_soak_worker_processes(jobs, expected, context):
    rest = jobs[THREADED:]
    half = rest[: len(rest) // 2] if context == "fork" else rest[len(rest) // 2:]
    parts = [half[i::2] for i in range(2)]
    ctx = multiprocessing.get_context(context)
    with ctx.Pool(2) as pool:
        outcomes = pool.map(worker_chunk, parts)
    for part, (digests, marks, buffers) in zip(parts, outcomes):
        assert digests == [expected[j] for j in part]
        assert buffers == 0
        rss = [m[0] for m in marks]
        warm = rss[1]
        print(f"{context} worker: RSS {warm:.1f} MB after {2 * len(part) // 10} jobs, "
              f"{max(rss[1:]):.1f} at most, {rss[-1]:.1f} after {len(part)}")
        assert max(rss[1:]) - warm < RSS_BOUND_MB, rss
        assert len({m[1] for m in marks}) == 1, marks  # the worker's open fds never change
