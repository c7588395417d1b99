"""Broken and hostile inputs: each decodes what is there or raises, never crashes or hangs.

Every case runs in a subprocess (tests/broken_worker.py) with a timeout, so a crash or a hang
fails the test and names its input instead of taking pytest down. The outcomes are the ones
tabled in tests/fuzz/README.md; where the ffmpeg CLI reads an input, ours is compared with it.
"""

from __future__ import annotations

import glob
import json
import os
import struct
import subprocess
import sys
import warnings
from typing import Dict, List

import numpy as np
import pytest

from conftest import FORMATS, ROOT, make_input

WORKER = os.path.join(ROOT, "tests", "broken_worker.py")


def run_jobs(jobs: List[dict], tmp_path, timeout: float = 120) -> Dict[str, dict]:
    """Runs `jobs` in one worker process; fails naming the input that crashed or hung it."""
    spec = tmp_path / f"jobs-{len(list(tmp_path.iterdir()))}.json"
    spec.write_text(json.dumps(jobs))
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"))
    try:
        r = subprocess.run([sys.executable, WORKER, str(spec)], capture_output=True, text=True,
                           env=env, timeout=timeout)
        out, code, err = r.stdout, r.returncode, r.stderr
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        code, err = "timeout", f"no answer within {timeout} s"
    results, last = {}, None
    for line in out.splitlines():
        if line.startswith("start "):
            last = line[6:]
        else:
            result = json.loads(line)
            results[result["id"]] = result
            last = None
    if code != 0 or last is not None:
        pytest.fail(f"worker {code} on input {last!r}: {err[-3000:]}")
    assert len(results) == len(jobs)
    return results


def cli_decode(path: str, raw_format: str = "f32le") -> bytes:
    """What `ffmpeg -i path -f raw_format -` writes; b"" when it cannot read the input."""
    cmd = ["ffmpeg", "-nostdin", "-loglevel", "quiet", "-i", path, "-f", raw_format, "-"]
    return subprocess.run(cmd, capture_output=True).stdout


def assert_error_names(result: dict, name: str, reason: str = "") -> None:
    assert result["outcome"] == "error", result
    assert result["type"] == "DecodeAudioError", result
    assert f"'{name}" in result["message"] or name in result["message"], result
    assert reason in result["message"], result


# ---- scipy's own odd WAV files ----

def _scipy_data() -> str:
    try:
        import scipy
    except ImportError:
        return ""
    return os.path.join(os.path.dirname(scipy.__file__), "io", "tests", "data")


SCIPY_DATA = _scipy_data()
SCIPY_WAVS = sorted(glob.glob(os.path.join(SCIPY_DATA, "*.wav"))) if SCIPY_DATA else []

# file -> what decode_audio does with it (tests/fuzz/README.md explains each):
#   ("scipy", dtype): equal to scipy.io.wavfile.read's values; dtype None is load(normalize=
#       False)'s native type; "s64" is float64 compared with int64 / 2**63
#   ("cli", raw format): scipy refuses (or misreads) it; equal to the ffmpeg CLI's decode
#   ("error", reason): DecodeAudioError with FFmpeg's reason; the CLI cannot read it either
SCIPY_EXPECTED = {
    "test-1234Hz-le-1ch-10S-20bit-extra.wav": ("scipy", None),
    "test-44100Hz-2ch-32bit-float-be.wav": ("error", "Not yet implemented in FFmpeg"),
    "test-44100Hz-2ch-32bit-float-le.wav": ("scipy", None),
    "test-44100Hz-be-1ch-4bytes.wav": ("error", "Not yet implemented in FFmpeg"),
    "test-44100Hz-le-1ch-4bytes-early-eof-no-data.wav": ("error", "no 'data' tag found"),
    "test-44100Hz-le-1ch-4bytes-early-eof.wav": ("scipy", None),
    "test-44100Hz-le-1ch-4bytes-incomplete-chunk.wav": ("error", "Invalid data found"),
    "test-44100Hz-le-1ch-4bytes-rf64.wav": ("scipy", None),
    "test-44100Hz-le-1ch-4bytes.wav": ("scipy", None),
    "test-48000Hz-2ch-64bit-float-le-wavex.wav": ("scipy", "float64"),
    "test-8000Hz-be-3ch-5S-24bit.wav": ("scipy", None),
    "test-8000Hz-le-1ch-1byte-ulaw.wav": ("cli", "s16le"),
    "test-8000Hz-le-2ch-1byteu.wav": ("scipy", None),
    "test-8000Hz-le-3ch-5S-24bit-inconsistent.wav": ("cli", "s32le"),
    "test-8000Hz-le-3ch-5S-24bit-rf64.wav": ("scipy", None),
    "test-8000Hz-le-3ch-5S-24bit.wav": ("scipy", None),
    "test-8000Hz-le-3ch-5S-36bit.wav": ("error", "Decoder not found"),
    "test-8000Hz-le-3ch-5S-45bit.wav": ("error", "Decoder not found"),
    "test-8000Hz-le-3ch-5S-53bit.wav": ("error", "Decoder not found"),
    "test-8000Hz-le-3ch-5S-64bit.wav": ("scipy", "s64"),
    "test-8000Hz-le-4ch-9S-12bit.wav": ("scipy", None),
    "test-8000Hz-le-5ch-9S-5bit.wav": ("scipy", None),
}
RAW_DTYPES = {"s16le": "<i2", "s32le": "<i4"}


@pytest.mark.skipif(not SCIPY_WAVS, reason="scipy's test data is not installed")
def test_scipy_wav_files_match_scipy_or_the_cli(tmp_path):
    from scipy.io import wavfile

    jobs = []
    for path in SCIPY_WAVS:
        name = os.path.basename(path)
        how, arg = SCIPY_EXPECTED.get(name, ("any", None))
        npy = str(tmp_path / f"{name}.npy")
        if how == "scipy" and arg is None:
            jobs.append({"id": name, "call": "load", "src": path, "npy": npy,
                         "kwargs": {"normalize": False, "channels_first": False}})
        else:
            dtype = {"s64": "float64", "float64": "float64"}.get(arg, None)
            kwargs = {"dtype": dtype} if dtype else {}
            if how == "cli":
                kwargs = {"dtype": "int16" if arg == "s16le" else "int32"}
            jobs.append({"id": name, "call": "decode", "src": path, "npy": npy, "kwargs": kwargs})
        # the same file as bytes and as a non-seekable stream ends the same way
        for kind in ("bytes", "nonseekable"):
            jobs.append({"id": f"{name} as {kind}", "call": "decode", "src": path, "as": kind,
                         "kwargs": jobs[-1]["kwargs"] if jobs[-1]["call"] == "decode" else {}})
    results = run_jobs(jobs, tmp_path)
    seen: set = set()
    for path in SCIPY_WAVS:
        name = os.path.basename(path)
        how, arg = SCIPY_EXPECTED.get(name, ("any", None))
        r = results[name]
        seen.add(name)
        if how == "error":
            assert_error_names(r, name, arg)
            assert cli_decode(path) == b""
        elif how == "scipy":
            assert r["outcome"] == "ok", r
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # scipy warns about the odd ones it reads
                _, expected = wavfile.read(path)
            ours = np.load(tmp_path / f"{name}.npy")
            expected = expected.reshape(len(expected), -1)
            if arg == "s64":
                expected = expected / 2.0**63
            assert ours.dtype == expected.dtype.newbyteorder("="), name
            np.testing.assert_array_equal(ours, expected, err_msg=name)
        elif how == "cli":
            assert r["outcome"] == "ok", r
            ours = np.load(tmp_path / f"{name}.npy")
            cli = np.frombuffer(cli_decode(path, arg), RAW_DTYPES[arg])
            np.testing.assert_array_equal(ours.ravel(), cli, err_msg=name)
        else:
            assert r["outcome"] == "ok" or r["type"] == "DecodeAudioError", r
        for kind in ("bytes", "nonseekable"):
            other = results[f"{name} as {kind}"]
            assert other["outcome"] == r["outcome"], (name, kind, other)
            if r["outcome"] == "ok":
                assert other["frames"] == r["frames"], (name, kind)
    # the table covers what this scipy ships (a newer one may add files, checked above)
    assert len(seen & set(SCIPY_EXPECTED)) >= len(SCIPY_EXPECTED) // 2


def test_scipy_early_eof_info_counts_the_frames_decode_returns(tmp_path):
    # the header claims 4410 frames; the file holds 236, which is what decode returns
    path = os.path.join(SCIPY_DATA, "test-44100Hz-le-1ch-4bytes-early-eof.wav")
    if not os.path.exists(path):
        pytest.skip("scipy's test data is not installed")
    r = run_jobs([{"id": "info", "call": "info", "src": path},
                  {"id": "decode", "call": "decode", "src": path}], tmp_path)
    assert r["info"]["frames"] == 236
    assert r["decode"]["frames"] == 236 == len(cli_decode(path)) // 4


# ---- empty inputs ----

def test_empty_inputs_raise_naming_the_source_through_every_call(tmp_path):
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    jobs = [{"id": f"{call} {kind}", "call": call, "src": str(empty), "as": kind}
            for call in ("decode", "info", "load", "stream")
            for kind in ("path", "bytes", "file", "nonseekable")]
    results = run_jobs(jobs, tmp_path)
    names = {"path": "empty.wav", "bytes": "<bytes of 0 bytes>", "file": "<BytesIO>",
             "nonseekable": "<NonSeekable>"}
    for job in jobs:
        kind = job["as"]
        assert_error_names(results[job["id"]], names[kind], "Invalid data found")


# ---- every format of the matrix, truncated ----

def _cuts(n: int) -> List[int]:
    return sorted({10, 44, 100, 1000, n // 3, 2 * n // 3, n - 7})


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_truncated_files_decode_what_the_cli_decodes(tmp_path, fmt):
    ext, _, _, rates = FORMATS[fmt]
    rate = 48000 if 48000 in rates else rates[-1]
    data = open(make_input(fmt, 2, rate), "rb").read()
    jobs, paths = [], {}
    for cut in _cuts(len(data)):
        path = tmp_path / f"{fmt}_cut{cut}.{ext}"
        path.write_bytes(data[:cut])
        paths[cut] = str(path)
        jobs.append({"id": str(cut), "call": "decode", "src": str(path), "npy": f"{path}.npy"})
        jobs.append({"id": f"{cut} nonseekable", "call": "decode", "src": str(path),
                     "as": "nonseekable"})
    results = run_jobs(jobs, tmp_path)
    decoded = 0
    for cut, path in paths.items():
        r = results[str(cut)]
        cli = np.frombuffer(cli_decode(path), np.float32)
        if r["outcome"] == "error":
            assert_error_names(r, os.path.basename(path))
            assert cli.size == 0, (cut, "the CLI decodes what we refuse")
        else:
            ours = np.load(f"{path}.npy").ravel()
            if ext == "m4a":
                # an M4A ends where its container says; the CLI adds the encoder's padding
                cli = cli[:ours.size]
            np.testing.assert_array_equal(ours, cli, err_msg=f"{fmt} cut at {cut}")
            decoded += r["frames"] > 0
        # without seeking the outcome is the same kind (an MP3 keeps its LAME tag)
        other = results[f"{cut} nonseekable"]
        assert other["outcome"] == r["outcome"] or other.get("type") == "DecodeAudioError", other
    # the last cut keeps nearly everything: it always decodes
    assert results[str(len(data) - 7)]["outcome"] == "ok"
    assert decoded >= 1


# ---- random bytes ----

def test_random_bytes_raise_or_decode_through_every_call_and_source(tmp_path):
    rng = np.random.default_rng(7)
    jobs = []
    wav_header = open(make_input("wav_s16", 2, 8000), "rb").read()[:44]
    inputs = {
        "random": rng.integers(0, 256, 8192, dtype=np.uint8).tobytes(),
        "random-long": rng.integers(0, 256, 300_000, dtype=np.uint8).tobytes(),
        "zeros": bytes(8192),
        # a valid header over random samples: PCM of noise, as the CLI reads it
        "wav-header": wav_header + rng.integers(0, 256, 8000, dtype=np.uint8).tobytes(),
    }
    for fmt in ("flac", "mp3", "vorbis", "opus", "aac"):
        head = open(make_input(fmt, 2, 48000), "rb").read()[:400]
        inputs[f"{fmt}-head"] = head + rng.integers(0, 256, 6000, dtype=np.uint8).tobytes()
    for name, data in inputs.items():
        (tmp_path / name).write_bytes(data)
        for call in ("decode", "info", "stream"):
            for kind in ("path", "bytes", "nonseekable"):
                jobs.append({"id": f"{name} {call} {kind}", "call": call,
                             "src": str(tmp_path / name), "as": kind})
    results = run_jobs(jobs, tmp_path)
    for job in jobs:
        r = results[job["id"]]
        assert r["outcome"] == "ok" or r["type"] == "DecodeAudioError", r
    for call in ("decode", "info", "stream"):
        assert_error_names(results[f"random {call} path"], "random")
        assert_error_names(results[f"zeros {call} bytes"], "<bytes of 8192 bytes>")
    assert results["wav-header decode path"]["frames"] == 2000
    assert results["wav-header decode path"]["frames"] == len(cli_decode(
        str(tmp_path / "wav-header"))) // 8


# ---- headers that claim far more than there is ----

def _rf64(claimed_frames: int, payload: bytes, channels: int = 2, rate: int = 16000) -> bytes:
    """An RF64 WAV whose ds64 chunk claims `claimed_frames` 16-bit frames."""
    fmt = struct.pack("<HHIIHH", 1, channels, rate, rate * 2 * channels, 2 * channels, 16)
    size = claimed_frames * 2 * channels
    ds64 = struct.pack("<QQQI", size + 72, size, claimed_frames, 0)
    body = (b"WAVEds64" + struct.pack("<I", len(ds64)) + ds64 + b"fmt " + struct.pack("<I", 16)
            + fmt + b"data" + struct.pack("<I", 0xFFFFFFFF) + payload)
    return b"RF64" + struct.pack("<I", 0xFFFFFFFF) + body


def _flac_claiming_max_frames(path: str) -> bytes:
    """A FLAC whose STREAMINFO claims 2**36 - 1 frames (the field's largest value)."""
    data = bytearray(open(path, "rb").read())
    assert data[:4] == b"fLaC" and data[4] & 0x7F == 0
    word = int.from_bytes(data[18:26], "big") | (2**36 - 1)
    data[18:26] = word.to_bytes(8, "big")
    return bytes(data)


def test_header_claiming_2_40_frames_keeps_rss_bounded(tmp_path):
    t = np.arange(16000 * 2) / 16000
    payload = (np.sin(2 * np.pi * 440 * t) * 10000).astype("<i2").tobytes()
    huge = tmp_path / "huge.wav"
    huge.write_bytes(_rf64(2**40, payload))
    flac = tmp_path / "huge.flac"
    flac.write_bytes(_flac_claiming_max_frames(make_input("flac", 2, 16000)))
    normal = make_input("wav_s16", 2, 16000)
    baseline = run_jobs([{"id": "normal", "call": "decode", "src": normal},
                         {"id": "normal 8k", "call": "decode", "src": normal,
                          "kwargs": {"sample_rate": 8000}}], tmp_path)
    jobs = [{"id": "info", "call": "info", "src": str(huge)},
            {"id": "decode", "call": "decode", "src": str(huge), "npy": str(huge) + ".npy"},
            {"id": "channels_first", "call": "decode", "src": str(huge),
             "kwargs": {"channels_first": True, "dtype": "float64"}},
            {"id": "resampled", "call": "decode", "src": str(huge),
             "kwargs": {"sample_rate": 8000}},
            {"id": "stream", "call": "stream", "src": str(huge)},
            {"id": "nonseekable", "call": "decode", "src": str(huge), "as": "nonseekable"},
            {"id": "flac info", "call": "info", "src": str(flac)},
            {"id": "flac", "call": "decode", "src": str(flac), "kwargs": {"sample_rate": 8000}}]
    results = run_jobs(jobs, tmp_path)
    # decoding returns what is there, and info counts it: the WAV header's count is checked
    # against the file's size, a FLAC's STREAMINFO total against its last frame
    assert results["info"]["frames"] == 16000
    assert results["flac info"]["frames"] == 16000
    for name in ("decode", "channels_first", "stream", "nonseekable"):
        assert results[name]["frames"] == 16000, results[name]
    assert results["resampled"]["frames"] == 8000
    assert results["flac"]["frames"] == 8000
    cli = np.frombuffer(cli_decode(str(huge)), np.float32)
    np.testing.assert_array_equal(np.load(str(huge) + ".npy").ravel(), cli)
    # the peak RSS of the whole worker grows by little more than one normal decode's
    growth = results["flac"]["peak_rss_mb"] - baseline["normal 8k"]["peak_rss_mb"]
    assert growth < 64, f"peak RSS grew by {growth:.0f} MiB"


# ---- damage in the middle ----

@pytest.mark.parametrize("fmt", ["mp3", "flac", "vorbis", "opus", "aac"])
def test_garbage_in_the_middle_is_skipped_as_the_cli_skips_it(tmp_path, fmt):
    ext = FORMATS[fmt][0]
    data = bytearray(open(make_input(fmt, 2, 48000, 3.0), "rb").read())
    n = len(data)
    data[n // 2:n // 2 + 1500] = np.random.default_rng(0).integers(0, 256, 1500,
                                                                   dtype=np.uint8).tobytes()
    path = tmp_path / f"damaged.{ext}"
    path.write_bytes(bytes(data))
    results = run_jobs([{"id": "decode", "call": "decode", "src": str(path),
                         "npy": f"{path}.npy"},
                        {"id": "stream", "call": "stream", "src": str(path)},
                        {"id": "nonseekable", "call": "decode", "src": str(path),
                         "as": "nonseekable"}], tmp_path)
    r = results["decode"]
    assert r["outcome"] == "ok", r
    ours = np.load(f"{path}.npy").ravel()
    cli = np.frombuffer(cli_decode(str(path)), np.float32)
    # what survives is what the CLI outputs, sample for sample (an M4A ends at its container's
    # length, the CLI's output runs on through the encoder's padding)
    np.testing.assert_array_equal(ours, cli[:ours.size] if ext == "m4a" else cli)
    # a damaged Ogg page (about a second here) is dropped whole, other formats lose less
    assert 48000 * (1.5 if ext in ("ogg", "opus") else 2.5) < r["frames"] < 48000 * 3
    assert results["stream"]["frames"] == results["nonseekable"]["frames"] == r["frames"]
    # packets the decoder rejected are counted (the Ogg demuxer drops damaged pages itself)
    if fmt in ("mp3", "flac", "aac"):
        assert r["decode_errors"] > 0
        assert results["stream"]["decode_errors"] == r["decode_errors"]
