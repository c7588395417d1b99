"""Shared test helpers: the ffmpeg CLI as oracle, and inputs generated from lavfi sources."""

from __future__ import annotations

import functools
import hashlib
import os
import subprocess
import sys
from typing import Dict, List, Tuple

import pytest

from filelikes import NonSeekable, ReadOnly, WriteOnly  # noqa: F401  (tests import them from here)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))
GOLDEN = os.path.join(ROOT, "golden")
# The oracle: the ffmpeg on PATH, or DECODE_AUDIO_TEST_FFMPEG (`make bundled-test` points it at
# the bundled build's own program); inputs each one makes are cached apart, and a run against
# another release's FFmpeg (make compat-suite) names its own cache (DECODE_AUDIO_TEST_INPUTS).
FFMPEG = os.environ.get("DECODE_AUDIO_TEST_FFMPEG") or "ffmpeg"
CACHE = os.environ.get("DECODE_AUDIO_TEST_INPUTS") or os.path.join(
    ROOT, "build", "test-inputs" if FFMPEG == "ffmpeg" else
    "test-inputs-" + hashlib.sha1(os.path.abspath(FFMPEG).encode()).hexdigest()[:8])

try:
    import torch  # noqa: F401

    HAVE_TORCH = True
except ImportError:
    HAVE_TORCH = False

needs_torch = pytest.mark.skipif(not HAVE_TORCH, reason="torch is not installed")

import decode_audio  # noqa: E402  (found through the path set above)

# (major, minor, micro) of each FFmpeg library the decode_audio library runs on, for what
# differs between FFmpeg versions (tests/test_compat.py lists those differences).
FFMPEG_LIBS = {k: v for k, v in decode_audio.get_versions().items() if k.startswith("lib")}
# FFmpeg 7 (libavformat 61, libavfilter 10) on; measured on 5.1 and 7.1.
FFMPEG_7 = FFMPEG_LIBS["libavformat"][0] >= 61


def cli_trims_mp4_padding(libavformat_major: int) -> bool:
    """Whether the ffmpeg CLI ends AAC in MP4 where the MP4 says the stream does (as
    decode_audio always does) rather than after the encoder's end padding: measured on
    FFmpeg 9.0 (libavformat 63), not on 5.1 or 7.1."""
    return libavformat_major >= 63


def _has_libx264() -> bool:
    from decode_audio import ffmpeg_utils

    return "--enable-libx264" in ffmpeg_utils.get_build_config()


# The self-contained wheel's FFmpeg is LGPL, without libx264: mp4 and matroska then default to
# mpeg4 video, and the tests of libx264 itself are skipped.
HAVE_LIBX264 = _has_libx264()
needs_libx264 = pytest.mark.skipif(not HAVE_LIBX264, reason="this FFmpeg has no libx264")
DEFAULT_VIDEO_CODEC = "h264" if HAVE_LIBX264 else "mpeg4"


def ffmpeg(*args: str) -> bytes:
    """Runs the ffmpeg CLI and returns its standard output."""
    cmd = [FFMPEG, "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args]
    return subprocess.run(cmd, check=True, capture_output=True).stdout


def run_ffmpeg(*args: str) -> subprocess.CompletedProcess:
    """Runs the ffmpeg CLI with exactly these arguments, whatever its exit status."""
    return subprocess.run([FFMPEG, "-hide_banner", *args], capture_output=True)


# Format name -> (file extension, encoder arguments, largest channel count, sample rates).
FORMATS: Dict[str, Tuple[str, List[str], int, Tuple[int, ...]]] = {
    "wav_s16": ("wav", ["-c:a", "pcm_s16le"], 6, (8000, 16000, 44100, 48000)),
    "wav_s24": ("wav", ["-c:a", "pcm_s24le"], 6, (8000, 16000, 44100, 48000)),
    "wav_s32": ("wav", ["-c:a", "pcm_s32le"], 6, (8000, 16000, 44100, 48000)),
    "wav_f32": ("wav", ["-c:a", "pcm_f32le"], 6, (8000, 16000, 44100, 48000)),
    "wav_u8": ("wav", ["-c:a", "pcm_u8"], 6, (8000, 16000, 44100, 48000)),
    "wav_ulaw": ("wav", ["-c:a", "pcm_mulaw"], 6, (8000, 16000, 44100, 48000)),
    "wav_alaw": ("wav", ["-c:a", "pcm_alaw"], 6, (8000, 16000, 44100, 48000)),
    "flac": ("flac", ["-c:a", "flac", "-sample_fmt", "s16"], 6, (8000, 16000, 44100, 48000)),
    "flac_s24": ("flac", ["-c:a", "flac", "-sample_fmt", "s32"], 2, (44100, 48000)),
    "mp3": ("mp3", ["-c:a", "libmp3lame"], 2, (8000, 16000, 44100, 48000)),
    "vorbis": ("ogg", ["-c:a", "libvorbis"], 6, (8000, 16000, 44100, 48000)),
    "opus": ("opus", ["-c:a", "libopus"], 6, (8000, 16000, 48000)),
    "aac": ("m4a", ["-c:a", "aac"], 6, (8000, 16000, 44100, 48000)),
    "aiff": ("aiff", ["-c:a", "pcm_s16be"], 6, (8000, 16000, 44100, 48000)),
    "au": ("au", ["-c:a", "pcm_s16be"], 6, (8000, 16000, 44100, 48000)),
}
CHANNELS = (1, 2, 6)
RATES = (8000, 16000, 44100, 48000)
_LAYOUTS = {1: "mono", 2: "stereo", 6: "5.1"}


def signal_source(channels: int, rate: int, seconds: float) -> str:
    """A lavfi source with a different tone (plus a little noise) in every channel."""
    exprs = "|".join(
        f"0.4*sin(2*PI*{220 * (c + 1)}*t)+0.05*sin(2*PI*{3100 + 50 * c}*t)+0.02*(random({c})-0.5)"
        for c in range(channels)
    )
    return f"aevalsrc=exprs={exprs}:s={rate}:c={_LAYOUTS.get(channels, f'{channels}c')}:d={seconds}"


@functools.lru_cache(maxsize=None)
def make_input(fmt: str, channels: int, rate: int, seconds: float = 1.0) -> str:
    """Encodes a generated signal with the ffmpeg CLI (cached under build/test-inputs)."""
    ext, codec, _, _ = FORMATS[fmt]
    args = ["-f", "lavfi", "-i", signal_source(channels, rate, seconds), *codec,
            "-fflags", "+bitexact", "-flags:a", "+bitexact"]
    return encoded(f"{fmt}_{channels}ch_{rate}_{seconds:g}s", ext, args)


def encoded(stem: str, ext: str, args: List[str]) -> str:
    """What `ffmpeg ARGS OUT` writes, kept in build/test-inputs under `stem` and a hash of the
    arguments; made once, and renamed into place so parallel runs never see half a file."""
    os.makedirs(CACHE, exist_ok=True)
    key = hashlib.sha1(" ".join(args).encode()).hexdigest()[:8]
    path = os.path.join(CACHE, f"{stem}_{key}.{ext}")
    if not os.path.exists(path):
        tmp = f"{path}.{os.getpid()}.{ext}"
        ffmpeg(*args, tmp)
        os.replace(tmp, path)
    return path


def reference(path: str, raw_format: str, *extra: str) -> bytes:
    """What `ffmpeg -i path [extra] -f raw_format -` writes: the oracle."""
    return ffmpeg("-i", path, *extra, "-f", raw_format, "-")


@pytest.fixture(scope="session")
def ray_cluster():
    """One local Ray cluster for the whole test run: two CPUs, a small object store."""
    ray = pytest.importorskip("ray")
    # workers are other processes: they find the package through an absolute PYTHONPATH
    python_dir = os.path.join(ROOT, "python")
    paths = [python_dir] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    os.environ["PYTHONPATH"] = os.pathsep.join(os.path.abspath(p) for p in paths)
    ray.init(num_cpus=2, object_store_memory=256 * 2**20, include_dashboard=False,
             log_to_driver=False, configure_logging=False)
    ray.data.DataContext.get_current().enable_progress_bars = False
    yield ray
    ray.shutdown()
