"""filter_desc: FFmpeg filter graphs on decoding, compared with `ffmpeg -af` byte for byte."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import make_input, needs_torch, reference

import decode_audio
from decode_audio import DecodeAudioError

FILTERS = ["volume=0.5", "highpass=f=200", "atempo=1.5", "aresample=16000",
           "pan=mono|c0=0.5*c0+0.5*c1", "atempo=0.8,lowpass=f=3000"]


@pytest.mark.parametrize("dtype,raw", [("float32", "f32le"), ("int16", "s16le")])
@pytest.mark.parametrize("desc", FILTERS)
@pytest.mark.parametrize("fmt", ["wav_s16", "mp3", "flac"])
def test_filter_equals_ffmpeg_af(fmt, desc, dtype, raw):
    path = make_input(fmt, 2, 44100)
    audio = decode_audio.decode(path, filter_desc=desc, dtype=dtype)
    expected = reference(path, raw, "-af", desc)
    assert audio.numpy().tobytes() == expected
    if desc == "aresample=16000":
        assert audio.sample_rate == 16000
    if desc.startswith("pan=mono"):
        assert audio.num_channels == 1


@pytest.mark.parametrize("desc", ["atempo=1.5", "highpass=f=200"])
def test_filter_with_rate_and_channels_equals_ffmpeg(desc):
    path = make_input("wav_s16", 2, 44100)
    audio = decode_audio.decode(path, filter_desc=desc, sample_rate=16000, num_channels=1)
    assert (audio.sample_rate, audio.num_channels) == (16000, 1)
    expected = reference(path, "f32le", "-af", desc, "-ar", "16000", "-ac", "1")
    got = audio.numpy().tobytes()
    # the CLI resamples after the filters in a separate step; it matches to float rounding
    np.testing.assert_allclose(np.frombuffer(got, np.float32), np.frombuffer(expected, np.float32),
                               atol=1e-6)


@pytest.mark.parametrize("desc", ["atempo=1.5", "volume=2"])
@pytest.mark.parametrize("offset,count", [(0, 500), (7000, 3000), (20000, -1)])
def test_window_counts_filter_output_frames(desc, offset, count):
    path = make_input("mp3", 2, 44100)
    whole = decode_audio.decode(path, filter_desc=desc).numpy()
    part = decode_audio.decode(path, filter_desc=desc, frame_offset=offset,
                               num_frames=count).numpy()
    np.testing.assert_array_equal(part, whole[offset:] if count < 0 else
                                  whole[offset:offset + count])


def test_channels_first_filtered_output_is_the_transpose():
    path = make_input("wav_s16", 2, 16000)
    a = decode_audio.decode(path, filter_desc="volume=0.3").numpy()
    b = decode_audio.decode(path, filter_desc="volume=0.3", channels_first=True).numpy()
    np.testing.assert_array_equal(a.T, b)


def test_bad_filter_is_reported():
    path = make_input("wav_s16", 1, 8000)
    with pytest.raises(DecodeAudioError, match="filter 'nosuchfilter'"):
        decode_audio.decode(path, filter_desc="nosuchfilter")
    with pytest.raises(ValueError, match="filter_desc"):
        decode_audio.decode(path, filter_desc="  ")


@needs_torch
def test_load_takes_filter_desc():
    path = make_input("wav_s16", 2, 16000)
    waveform, rate = decode_audio.load(path, filter_desc="atempo=2")
    assert rate == 16000 and waveform.shape[0] == 2
    assert abs(waveform.shape[1] - 8000) < 200


@pytest.mark.parametrize("quality", ["fast", "high", "soxr"])
def test_resample_quality_equals_ffmpeg_aresample_with_the_same_options(quality):
    from decode_audio._options import RESAMPLE_QUALITY

    path = make_input("wav_s16", 2, 44100)
    got = decode_audio.decode(path, sample_rate=16000, resample_quality=quality).numpy()
    options = RESAMPLE_QUALITY[quality]
    expected = reference(path, "f32le", "-af", f"aresample=16000:{options}")
    assert got.tobytes() == expected
    default = decode_audio.decode(path, sample_rate=16000).numpy()
    assert got.shape == default.shape and not np.array_equal(got, default)
    part = decode_audio.decode(path, sample_rate=16000, resample_quality=quality,
                               frame_offset=5000, num_frames=3000).numpy()
    np.testing.assert_array_equal(part, got[5000:8000])


def test_unknown_resample_quality_is_a_value_error():
    with pytest.raises(ValueError, match="resample_quality"):
        decode_audio.decode(make_input("wav_s16", 1, 8000), sample_rate=16000,
                            resample_quality="best")
