"""info(), load() and the window options, as torchaudio users expect them."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from conftest import FORMATS, GOLDEN, ROOT, make_input, needs_torch, reference

import decode_audio

# format -> (encoding, bits_per_sample, codec)
EXPECTED_INFO = {
    "wav_s16": ("PCM_S", 16, "pcm_s16le"),
    "wav_s24": ("PCM_S", 24, "pcm_s24le"),
    "wav_s32": ("PCM_S", 32, "pcm_s32le"),
    "wav_f32": ("PCM_F", 32, "pcm_f32le"),
    "wav_u8": ("PCM_U", 8, "pcm_u8"),
    "wav_ulaw": ("ULAW", 8, "pcm_mulaw"),
    "wav_alaw": ("ALAW", 8, "pcm_alaw"),
    "flac": ("FLAC", 16, "flac"),
    "flac_s24": ("FLAC", 24, "flac"),
    "mp3": ("MP3", 0, "mp3"),
    "vorbis": ("VORBIS", 0, "vorbis"),
    "opus": ("OPUS", 0, "opus"),
    "aac": ("AAC", 0, "aac"),
    "aiff": ("PCM_S", 16, "pcm_s16be"),
    "au": ("PCM_S", 16, "pcm_s16be"),
}


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_info_describes_the_stream_and_counts_what_decode_returns(fmt):
    rate = 48000
    path = make_input(fmt, 2, rate)
    meta = decode_audio.info(path)
    encoding, bits, codec = EXPECTED_INFO[fmt]
    assert (meta.encoding, meta.bits_per_sample, meta.codec) == (encoding, bits, codec)
    assert meta.sample_rate == rate and meta.num_channels == 2
    assert meta.num_frames_exact
    assert meta.num_frames == decode_audio.decode(path).num_frames
    assert meta.duration == pytest.approx(meta.num_frames / rate)
    assert meta.container


def test_info_repr_reads_like_torchaudio():
    meta = decode_audio.info(os.path.join(GOLDEN, "test.wav"))
    assert repr(meta) == ("AudioMetaData(sample_rate=8000, num_frames=40000, num_channels=1, "
                          "bits_per_sample=16, encoding=PCM_S)")


def test_info_header_only_may_estimate():
    path = make_input("mp3", 2, 44100)
    fast = decode_audio.info(path, exact=False)
    exact = decode_audio.info(path)
    assert not fast.num_frames_exact and exact.num_frames_exact
    assert abs(fast.num_frames - exact.num_frames) < 44100 // 10


def test_info_reads_tags(tmp_path):
    path = tmp_path / "tagged.flac"
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i",
                    "sine=d=0.1", "-metadata", "title=Ünïcode title", "-metadata", "artist=Me",
                    str(path)], check=True)
    tags = {k.lower(): v for k, v in decode_audio.info(path).tags.items()}
    assert tags["title"] == "Ünïcode title" and tags["artist"] == "Me"


def test_info_restores_a_file_position_so_load_can_follow():
    # the audio starts where the file-like stands, as inside an archive
    with open(make_input("flac", 1, 16000), "rb") as f:
        data = f.read()
    f = io.BytesIO(b"x" * 100 + data)
    f.seek(100)
    meta = decode_audio.info(f)
    assert f.tell() == 100
    assert meta.num_frames == 16000
    assert decode_audio.decode(f).num_frames == meta.num_frames


@pytest.mark.parametrize("fmt", ["wav_s16", "mp3", "vorbis", "aac"])
@pytest.mark.parametrize("offset,count", [(0, 100), (1000, 5000), (47000, 5000), (60000, 10),
                                          (123, -1)])
def test_window_equals_a_slice_of_the_whole(fmt, offset, count):
    path = make_input(fmt, 2, 48000)
    whole = decode_audio.decode(path).numpy()
    part = decode_audio.decode(path, frame_offset=offset, num_frames=count).numpy()
    end = None if count < 0 else offset + count
    np.testing.assert_array_equal(part, whole[offset:end])


@pytest.mark.parametrize("offset,count", [(0, 100), (777, 3000), (15990, 100)])
def test_window_after_resampling_counts_output_frames(offset, count):
    path = make_input("wav_s16", 2, 44100)
    whole = decode_audio.decode(path, sample_rate=16000).numpy()
    part = decode_audio.decode(path, sample_rate=16000, frame_offset=offset,
                               num_frames=count).numpy()
    np.testing.assert_array_equal(part, whole[offset:offset + count])


@needs_torch
@pytest.mark.parametrize("fmt,dtype", [("wav_s16", "int16"), ("wav_s24", "int32"),
                                       ("wav_s32", "int32"), ("wav_u8", "uint8"),
                                       ("wav_f32", "float32"), ("flac", "float32"),
                                       ("mp3", "float32")])
def test_load_without_normalize_keeps_integer_pcm_native(fmt, dtype):
    import torch

    path = make_input(fmt, 2, 16000)
    waveform, rate = decode_audio.load(path, normalize=False)
    assert waveform.dtype == getattr(torch, dtype)
    assert tuple(waveform.shape) == (2, 16000) and rate == 16000
    native = decode_audio.decode(path, dtype=dtype, channels_first=True).numpy()
    np.testing.assert_array_equal(waveform.numpy(), native)


@needs_torch
def test_load_is_float32_channels_first_and_takes_decode_options():
    path = make_input("wav_s16", 2, 44100)
    waveform, rate = decode_audio.load(path, frame_offset=10, num_frames=100,
                                       sample_rate=16000, num_channels=1)
    assert rate == 16000 and tuple(waveform.shape) == (1, 100)
    expected = np.frombuffer(reference(path, "f32le", "-ar", "16000", "-ac", "1"), np.float32)
    np.testing.assert_array_equal(waveform.numpy()[0], expected[10:110])
    with pytest.raises(TypeError, match="nonsense"):
        decode_audio.load(path, nonsense=1)
    with pytest.raises(ValueError, match="backend"):
        decode_audio.load(path, backend="nope")


def run_cli(*args: str, **kw) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"))
    return subprocess.run([sys.executable, "-m", "decode_audio", *args], capture_output=True,
                          env=env, **kw)


def test_cli_info_prints_a_block_and_json():
    path = os.path.join(GOLDEN, "test.wav")
    r = run_cli("info", path, check=True, text=True)
    assert "Duration    : 0:00:05.000 = 40000 frames" in r.stdout.splitlines()
    (fields,) = json.loads(run_cli("info", path, "--json", check=True).stdout)
    assert fields["codec"] == "pcm_s16le" and fields["num_frames"] == 40000


def test_cli_version_names_ffmpeg_libraries():
    r = run_cli("--version", check=True, text=True)
    assert r.stdout.startswith("decode_audio 0.1.0")
    # the same libavcodec as the ffmpeg CLI's (the oracle runs on the same FFmpeg)
    cli = subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True,
                         check=True).stdout
    major, minor, micro = re.search(r"^libavcodec +(\d+)\. *(\d+)\. *(\d+)", cli, re.M).groups()
    assert f"libavcodec {int(major)}.{int(minor)}.{int(micro)}" in r.stdout


@pytest.mark.parametrize("raw", ["u8", "s8", "s16le", "s32le", "f32le", "f64le"])
def test_cli_formats_rates_and_channels_match_ffmpeg(tmp_path, raw):
    path = make_input("mp3", 2, 44100)
    out = tmp_path / "out.raw"
    run_cli("-i", path, "-o", str(out), "-f", raw, "-ar", "16000", "-ac", "1", check=True)
    assert out.read_bytes() == reference(path, raw, "-ar", "16000", "-ac", "1")


def test_cli_reports_errors_without_a_traceback(tmp_path):
    r = run_cli("-i", str(tmp_path / "missing.wav"), "-o", str(tmp_path / "x.raw"), text=True)
    assert r.returncode == 1
    assert "missing.wav" in r.stderr and "Traceback" not in r.stderr


def test_tutorial_gsm_info_and_window(tmp_path):
    path = tmp_path / "whistle.gsm"
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i",
                    "sine=d=4.96:r=8000", "-c:a", "libgsm", "-f", "gsm", str(path)], check=True)
    meta = decode_audio.info(path)
    assert repr(meta) == ("AudioMetaData(sample_rate=8000, num_frames=39680, num_channels=1, "
                          "bits_per_sample=0, encoding=GSM)")
    whole = decode_audio.decode(path).numpy()
    assert len(whole) == 39680
    np.testing.assert_array_equal(decode_audio.decode(path, frame_offset=1000,
                                                      num_frames=5000).numpy(),
                                  whole[1000:6000])


@pytest.mark.parametrize("ext", [".wav", ".flac", ".mp3", ".ogg", ".opus", ".m4a"])
def test_cli_transcodes_to_audio_extensions(tmp_path, ext):
    source = make_input("mp3", 2, 48000)
    out = tmp_path / f"out{ext}"
    run_cli("-i", source, "-o", str(out), "-ar", "48000", check=True)
    meta = decode_audio.info(out)
    assert meta.num_channels == 2 and meta.num_frames == 48000
    if ext in (".wav", ".flac"):
        # 16-bit PCM of the decoded samples, as `ffmpeg -i IN OUT.wav` writes
        assert decode_audio.decode(out, dtype="int16").numpy().tobytes() == \
            reference(source, "s16le")


@pytest.mark.parametrize("kind,codec", [("spdif_ac3", "ac3"), ("spdif_dts", "dts"),
                                        ("raw_dts", "dts")])
def test_compressed_audio_hidden_in_a_wav_is_found(tmp_path, kind, codec):
    # the short WAV payload probe must still recognise what FFmpeg recognises
    encoder = "ac3" if kind == "spdif_ac3" else "dca"
    muxer = "dts" if kind == "raw_dts" else "spdif"
    inner = tmp_path / "inner.bin"
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i",
                    "sine=d=2:r=48000", "-ac", "2", "-c:a", encoder, "-strict", "-2", "-f",
                    muxer, str(inner)], check=True)
    wav = tmp_path / "hidden.wav"
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "s16le", "-ar", "48000",
                    "-ac", "2", "-i", str(inner), "-c:a", "copy", str(wav)], check=True)
    assert decode_audio.info(wav).codec == codec
    assert decode_audio.decode(wav).num_frames > 48000
