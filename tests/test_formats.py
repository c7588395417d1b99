"""The format matrix: every format x channels x rate, decoded byte for byte like the ffmpeg CLI."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

from conftest import (CHANNELS, FFMPEG_LIBS, FORMATS, NonSeekable, ReadOnly, RATES,
                      cli_trims_mp4_padding, make_input, reference)

import decode_audio

CASES = [
    (fmt, ch, rate)
    for fmt, (_, _, max_channels, rates) in FORMATS.items()
    for ch in CHANNELS
    if ch <= max_channels
    for rate in RATES
    if rate in rates
]

RAW = {"float32": "f32le", "int16": "s16le"}


def assert_matches_cli(got: np.ndarray, expected: bytes, fmt: str, resampled: bool = False):
    """Byte equality with the CLI; for AAC in MP4 over our length, which is the true one.

    MP4 declares the stream's length, which decode_audio keeps to; the CLI before FFmpeg 9 also
    outputs the encoder's end padding (up to 1024 frames). A resampler fed that padding instead
    of the end of input differs in its last outputs, one filter length of them.
    """
    data = got.tobytes()
    if fmt == "aac" and not cli_trims_mp4_padding(FFMPEG_LIBS["libavformat"][0]):
        frame_bytes = got.itemsize * got.shape[-1]
        assert len(data) < len(expected) <= len(data) + 2048 * frame_bytes
        keep = len(data) - (64 * frame_bytes if resampled else 0)
        assert data[:keep] == expected[:keep]
    else:
        assert data == expected


@pytest.mark.parametrize("dtype", ["float32", "int16"])
@pytest.mark.parametrize("fmt,channels,rate", CASES)
def test_decode_equals_ffmpeg_cli(fmt, channels, rate, dtype):
    path = make_input(fmt, channels, rate)
    expected = reference(path, RAW[dtype])
    audio = decode_audio.decode(path, dtype=dtype)
    # FFmpeg's Opus decoder always runs at 48 kHz, whatever rate the encoder was fed
    assert audio.sample_rate == (48000 if fmt == "opus" else rate)
    assert audio.num_channels == channels
    assert audio.shape == (audio.num_frames, channels)
    assert len(expected) > 0
    if fmt == "aac":
        assert audio.num_frames == rate  # the one second that was encoded
    assert_matches_cli(audio.numpy(), expected, fmt)


@pytest.mark.parametrize("dtype,raw", [("uint8", "u8"), ("int8", "s8"), ("int32", "s32le"),
                                       ("float64", "f64le")])
@pytest.mark.parametrize("fmt", ["wav_s16", "wav_s24", "wav_f32", "wav_u8", "mp3", "flac"])
def test_every_dtype_equals_ffmpeg_cli(fmt, dtype, raw):
    path = make_input(fmt, 2, 44100)
    assert decode_audio.decode(path, dtype=dtype).numpy().tobytes() == reference(path, raw)


@pytest.mark.parametrize("dtype", ["float32", "int16", "int8", "float64"])
@pytest.mark.parametrize("fmt,channels", [("wav_s16", 2), ("mp3", 2), ("aac", 6), ("flac", 1),
                                          ("vorbis", 6)])
def test_channels_first_is_the_transpose_written_directly(fmt, channels, dtype):
    path = make_input(fmt, channels, 48000)
    interleaved = decode_audio.decode(path, dtype=dtype).numpy()
    planar = decode_audio.decode(path, dtype=dtype, channels_first=True).numpy()
    assert planar.shape == (channels, interleaved.shape[0])
    assert planar.flags.c_contiguous and planar.base is not None
    np.testing.assert_array_equal(planar, interleaved.T)


# (format, channels, rate) -> (sample_rate, num_channels) asked for; compared with ffmpeg -ar/-ac.
RESAMPLE_CASES = [
    ("wav_s16", 2, 44100, 16000, None),
    ("wav_s16", 1, 48000, 44100, None),
    ("wav_f32", 2, 8000, 48000, None),
    ("mp3", 2, 48000, 16000, None),
    ("vorbis", 6, 44100, None, 2),
    ("aac", 6, 48000, 16000, 1),
    ("flac", 1, 16000, None, 2),
    ("opus", 2, 48000, 8000, 1),
    ("wav_u8", 2, 16000, 22050, 1),
]


@pytest.mark.parametrize("dtype", ["float32", "int16"])
@pytest.mark.parametrize("fmt,channels,rate,out_rate,out_channels", RESAMPLE_CASES)
def test_resample_and_remix_equal_ffmpeg_cli(fmt, channels, rate, out_rate, out_channels, dtype):
    path = make_input(fmt, channels, rate)
    extra = []
    if out_rate:
        extra += ["-ar", str(out_rate)]
    if out_channels:
        extra += ["-ac", str(out_channels)]
    expected = reference(path, RAW[dtype], *extra)
    audio = decode_audio.decode(path, dtype=dtype, sample_rate=out_rate, num_channels=out_channels)
    assert audio.sample_rate == (out_rate or rate)
    assert audio.num_channels == (out_channels or channels)
    assert_matches_cli(audio.numpy(), expected, fmt, resampled=bool(out_rate))


@pytest.mark.parametrize("fmt,channels,rate,out_rate,out_channels", RESAMPLE_CASES[:4])
def test_resampled_channels_first_is_the_transpose(fmt, channels, rate, out_rate, out_channels):
    path = make_input(fmt, channels, rate)
    kw = dict(sample_rate=out_rate, num_channels=out_channels)
    interleaved = decode_audio.decode(path, **kw).numpy()
    planar = decode_audio.decode(path, channels_first=True, **kw).numpy()
    np.testing.assert_array_equal(planar, interleaved.T)


OPENERS = {
    "str": lambda p: p,
    "pathlib": pathlib.Path,
    "bytes": lambda p: pathlib.Path(p).read_bytes(),
    "bytearray": lambda p: bytearray(pathlib.Path(p).read_bytes()),
    "memoryview": lambda p: memoryview(pathlib.Path(p).read_bytes()),
    "seekable_file": lambda p: open(p, "rb"),
    "non_seekable": lambda p: NonSeekable(pathlib.Path(p).read_bytes()),
    "read_only": lambda p: ReadOnly(pathlib.Path(p).read_bytes()),
}


@pytest.mark.parametrize("opener", list(OPENERS))
@pytest.mark.parametrize("fmt", ["wav_s16", "flac", "mp3", "vorbis", "opus", "aac"])
def test_every_kind_of_source_gives_the_same_samples(fmt, opener):
    path = make_input(fmt, 2, 48000)
    src = OPENERS[opener](path)
    try:
        got = decode_audio.decode(src).numpy()
    finally:
        if hasattr(src, "close"):
            src.close()
    # streamed MP3s lose their end padding too, by the LAME tag decode_audio reads itself
    assert_matches_cli(got, reference(path, "f32le"), fmt)
