"""The primer's workflow: golden/test.wav decoded to s16le equals the ffmpeg CLI's golden.raw."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import GOLDEN, HAVE_TORCH, ROOT

import decode_audio

TEST_WAV = os.path.join(GOLDEN, "test.wav")
GOLDEN_RAW = os.path.join(GOLDEN, "golden.raw")
# The C program: the one `make` builds, or another build's (`make bundled-test`).
PROGRAM = os.environ.get("DECODE_AUDIO_TEST_PROGRAM") or os.path.join(ROOT, "decode_audio_ffmpeg")


def golden_bytes() -> bytes:
    with open(GOLDEN_RAW, "rb") as f:
        return f.read()


def test_manifest_matches_golden_files():
    with open(os.path.join(GOLDEN, "MANIFEST.json")) as f:
        manifest = json.load(f)
    assert manifest["ffmpeg"].startswith("ffmpeg version")
    for name, entry in manifest["files"].items():
        with open(os.path.join(GOLDEN, name), "rb") as f:
            assert hashlib.sha256(f.read()).hexdigest() == entry["sha256"], name
        assert entry["command"].startswith("ffmpeg ")


def test_golden_raw_is_five_seconds_of_8khz_mono_s16():
    assert len(golden_bytes()) == 5 * 8000 * 2


def test_c_program_matches_golden(tmp_path):
    out = tmp_path / "bin.raw"
    exe = PROGRAM
    subprocess.run([exe, TEST_WAV, str(out)], check=True, capture_output=True)
    assert out.read_bytes() == golden_bytes()


def test_c_program_reports_missing_file(tmp_path):
    exe = PROGRAM
    r = subprocess.run([exe, str(tmp_path / "nope.wav"), str(tmp_path / "x.raw")],
                       capture_output=True, text=True)
    assert r.returncode == 1
    assert "nope.wav" in r.stderr and "No such file or directory" in r.stderr


@pytest.mark.parametrize("via", ["numpy", "torch", "dlpack"])
def test_cli_matches_golden(tmp_path, via):
    if via == "torch" and not HAVE_TORCH:
        pytest.skip("torch is not installed")
    out = tmp_path / f"{via}.raw"
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"))
    subprocess.run([sys.executable, "-m", "decode_audio", "-i", TEST_WAV, "-o", str(out),
                    "--via", via], check=True, env=env)
    assert out.read_bytes() == golden_bytes()


def test_cli_stdin_to_stdout_matches_golden():
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"))
    with open(TEST_WAV, "rb") as f:
        r = subprocess.run([sys.executable, "-m", "decode_audio", "-i", "-", "-o", "-"],
                           stdin=f, capture_output=True, check=True, env=env)
    assert r.stdout == golden_bytes()


def test_python_api_matches_golden():
    audio = decode_audio.decode(TEST_WAV, dtype="int16")
    assert audio.shape == (40000, 1)
    assert audio.sample_rate == 8000
    assert audio.numpy().tobytes() == golden_bytes()
    assert np.asarray(audio).dtype == np.int16
