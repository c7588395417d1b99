"""Inputs the fuzzers found (tests/fuzz/regressions/), replayed as their harness ran them.

A file's first byte is the harness's mode (dtype, layout, resampling, window), the rest the
input; each runs in a subprocess with a timeout, as in tests/test_broken.py.
"""

from __future__ import annotations

import os

import pytest

from conftest import FFMPEG_7, ROOT, make_input
from test_broken import assert_error_names, run_jobs

REGRESSIONS = os.path.join(ROOT, "tests", "fuzz", "regressions")
DTYPES = ["uint8", "int8", "int16", "int32", "float32", "float64"]


def harness_options(mode: int) -> dict:
    """decode()'s options for a mode byte, as tests/fuzz/fuzz_decode.c reads it."""
    kwargs: dict = {"dtype": DTYPES[mode % 6], "channels_first": bool(mode >> 3 & 1)}
    if mode & 0x10:
        kwargs["sample_rate"] = 16000
    if mode & 0x20:
        kwargs.update(frame_offset=100, num_frames=1000)
    if mode & 0x40:
        kwargs["num_channels"] = 1
    if mode & 0x80:
        kwargs["exact"] = False
    return kwargs


# file -> FFmpeg's or our reason the decode fails with (None: it decodes)
EXPECTED = {
    # a 2 GHz (A-law) and a 268 MHz (AU) header rate asked to resample: libswresample's filter
    # bank took 2.1 GB and 41 s, 1.1 GB and 11 s; such rates are now refused
    "decode-alaw-2ghz-resample": "cannot resample 2046828352 Hz to 16000 Hz",
    "decode-au-268mhz-resample": "cannot resample 268435510 Hz to 16000 Hz",
}
if FFMPEG_7:
    # FFmpeg 7's AU demuxer refuses the header's rate itself
    EXPECTED["decode-au-268mhz-resample"] = "Invalid data found when processing input"


@pytest.mark.parametrize("name", sorted(os.listdir(REGRESSIONS)))
def test_fuzzer_finding_is_fixed(tmp_path, name):
    data = open(os.path.join(REGRESSIONS, name), "rb").read()
    src = tmp_path / name
    src.write_bytes(data[1:])
    # an ordinary decode first: the process's peak RSS is compared with its (ASan's is large)
    jobs = [{"id": "baseline", "call": "decode", "src": make_input("wav_s16", 2, 16000),
             "kwargs": {"sample_rate": 8000}},
            {"id": "decode", "call": "decode", "src": str(src), "as": "bytes",
             "kwargs": harness_options(data[0])},
            {"id": "info", "call": "info", "src": str(src), "as": "bytes"}]
    results = run_jobs(jobs, tmp_path, timeout=60)
    r = results["decode"]
    reason = EXPECTED.get(name)
    if reason is None:
        assert r["outcome"] == "ok" or r["type"] == "DecodeAudioError", r
    else:
        assert_error_names(r, f"<bytes of {len(data) - 1} bytes>", reason)
    # a small input costs little memory whatever it claims
    assert r["peak_rss_mb"] - results["baseline"]["peak_rss_mb"] < 100, r
