"""Bad input gives a clear exception naming the source and FFmpeg's reason, never a crash."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT, make_input

import decode_audio
from decode_audio import DecodeAudioError


def test_missing_file_raises_file_not_found(tmp_path):
    missing = tmp_path / "nope.wav"
    with pytest.raises(FileNotFoundError, match="nope.wav.*No such file or directory"):
        decode_audio.decode(missing)
    with pytest.raises(FileNotFoundError):
        decode_audio.info(str(missing))
    with pytest.raises(FileNotFoundError):
        decode_audio.load(missing)


def test_directory_raises_decode_error_naming_it(tmp_path):
    with pytest.raises(DecodeAudioError, match=f"'{tmp_path}'.*Is a directory") as e:
        decode_audio.decode(tmp_path)
    assert e.value.code < 0
    assert isinstance(e.value, RuntimeError)


def test_empty_file_raises_decode_error_naming_it(tmp_path):
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(DecodeAudioError, match="empty.wav") as e:
        decode_audio.decode(empty)
    assert "End of file" in str(e.value) or "Invalid data" in str(e.value)
    with pytest.raises(DecodeAudioError, match="empty.wav"):
        decode_audio.info(empty)


@pytest.mark.parametrize("seed", range(8))
def test_random_bytes_raise_decode_error(tmp_path, seed):
    junk = tmp_path / f"junk{seed}.bin"
    junk.write_bytes(np.random.default_rng(seed).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    with pytest.raises(DecodeAudioError, match=f"junk{seed}.bin': ") as e:
        decode_audio.decode(junk)
    assert e.value.code < 0


def test_random_bytes_in_memory_are_named_as_bytes():
    junk = np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8).tobytes()
    with pytest.raises(DecodeAudioError, match="<bytes of 4096 bytes>"):
        decode_audio.decode(junk)


def test_video_only_input_has_no_audio_stream(tmp_path):
    video = tmp_path / "video.mkv"
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i",
                    "testsrc=size=32x32:rate=5:duration=1", "-c:v", "ffv1", str(video)],
                   check=True)
    with pytest.raises(DecodeAudioError, match="video.mkv.*no audio stream"):
        decode_audio.decode(video)


def test_stream_index_of_a_missing_or_non_audio_stream(tmp_path):
    path = make_input("wav_s16", 1, 8000)
    with pytest.raises(DecodeAudioError, match="stream 3 does not exist"):
        decode_audio.decode(path, stream_index=3)


@pytest.mark.parametrize("kwargs,message", [
    ({"dtype": "complex64"}, "dtype must be one of"),
    ({"dtype": "int64"}, "dtype must be one of"),
    ({"frame_offset": -1}, "frame_offset"),
    ({"num_frames": -2}, "num_frames"),
    ({"sample_rate": 0}, "sample_rate"),
    ({"num_channels": 0}, "num_channels"),
    ({"buffer_size": 0}, "buffer_size"),
])
def test_bad_arguments_raise_value_error_before_decoding(kwargs, message):
    with pytest.raises(ValueError, match=message):
        decode_audio.decode(make_input("wav_s16", 1, 8000), **kwargs)


def test_unknown_format_name_is_reported():
    with pytest.raises(DecodeAudioError, match="unknown format 'nosuchformat'"):
        decode_audio.decode(make_input("wav_s16", 1, 8000), format="nosuchformat")


def test_src_of_the_wrong_type_is_a_type_error():
    with pytest.raises(TypeError, match="src must be"):
        decode_audio.decode(12345)


def test_truncated_files_never_crash(tmp_path):
    # each cut decodes what is there or raises DecodeAudioError; run apart so a crash shows
    cases = []
    for fmt in ("wav_s16", "flac", "mp3", "vorbis", "opus", "aac"):
        data = open(make_input(fmt, 2, 44100 if fmt != "opus" else 48000), "rb").read()
        for cut in (0, 10, 100, len(data) // 3, len(data) - 7):
            p = tmp_path / f"{fmt}_{cut}"
            p.write_bytes(data[:cut])
            cases.append(str(p))
    script = (
        "import sys, decode_audio\n"
        "for p in sys.argv[1:]:\n"
        "    try:\n"
        "        a = decode_audio.decode(p); print('ok', p, a.num_frames)\n"
        "    except decode_audio.DecodeAudioError as e:\n"
        "        print('error', p, e)\n"
    )
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"))
    r = subprocess.run([sys.executable, "-c", script, *cases], capture_output=True, text=True,
                       env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == len(cases)
    assert all(line.startswith(("ok ", "error ")) for line in lines)
    assert any(line.startswith("error ") for line in lines)
    assert any(line.startswith("ok ") for line in lines)
