"""Exact windows: decode(x, frame_offset=a, num_frames=b) == decode(x)[a:a+b], bit for bit."""

from __future__ import annotations

import io
import pathlib

import numpy as np
import pytest

from conftest import FORMATS, NonSeekable, make_input

import decode_audio

SECONDS = 4.0


def rate_of(fmt: str) -> int:
    return 48000 if 48000 in FORMATS[fmt][3] else FORMATS[fmt][3][-1]


@pytest.mark.parametrize("sample_rate", [None, 16000])
@pytest.mark.parametrize("fmt", list(FORMATS))
def test_window_equals_slice_of_full_decode(fmt, sample_rate):
    path = make_input(fmt, 2, rate_of(fmt), SECONDS)
    full = decode_audio.decode(path, sample_rate=sample_rate).numpy()
    n = len(full)
    assert n > 0
    for offset, count in [(0, 1000), (n // 2, 4000), (n // 3 + 1, 333), (n - 500, 1000),
                          (n - 1, 1), (n + 10, 100), (12345, -1)]:
        part = decode_audio.decode(path, sample_rate=sample_rate, frame_offset=offset,
                                   num_frames=count).numpy()
        expected = full[offset:] if count < 0 else full[offset:offset + count]
        assert part.shape == expected.shape, (offset, count)
        assert part.tobytes() == expected.tobytes(), (offset, count)


@pytest.mark.parametrize("fmt", ["wav_s16", "flac", "mp3", "vorbis"])
def test_window_is_exact_from_every_kind_of_source(fmt):
    path = make_input(fmt, 2, rate_of(fmt), SECONDS)
    data = pathlib.Path(path).read_bytes()
    offset, count = 70001, 5000
    expected = decode_audio.decode(path).numpy()[offset:offset + count]
    for src in (data, io.BytesIO(data), NonSeekable(data)):
        got = decode_audio.decode(src, frame_offset=offset, num_frames=count).numpy()
        assert got.tobytes() == expected.tobytes(), type(src).__name__


@pytest.mark.parametrize("fmt,bound", [("opus", 1e-4), ("aac", 0.05)])
def test_fast_windows_stay_aligned_within_the_documented_bound(fmt, bound):
    path = make_input(fmt, 2, 48000, SECONDS)
    full = decode_audio.decode(path).numpy()
    for offset in (30000, 100001, 150000):
        fast = decode_audio.decode(path, frame_offset=offset, num_frames=20000,
                                   exact=False).numpy()
        ref = full[offset:offset + 20000]
        assert fast.shape == ref.shape
        error = fast - ref
        assert np.abs(error).max() < bound
        snr = 10 * np.log10(np.sum(ref ** 2) / max(np.sum(error ** 2), 1e-30))
        assert snr > 30


class CountingReader(io.RawIOBase):
    """A file-like that counts the bytes it hands out (seekable or not)."""

    def __init__(self, data: bytes, seekable: bool) -> None:
        self._f = io.BytesIO(data)
        self._seekable = seekable
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self._seekable

    def seek(self, offset: int, whence: int = 0) -> int:
        if not self._seekable:
            raise io.UnsupportedOperation("seek")
        return self._f.seek(offset, whence)

    def tell(self) -> int:
        return self._f.tell()

    def readinto(self, b) -> int:  # type: ignore[override]
        n = self._f.readinto(b)
        self.bytes_read += n
        return n


def test_reading_stops_once_the_window_is_full():
    data = pathlib.Path(make_input("wav_s16", 1, 16000, 60.0)).read_bytes()
    reader = CountingReader(data, seekable=False)
    got = decode_audio.decode(reader, frame_offset=0, num_frames=16000, dtype="int16")
    assert got.num_frames == 16000
    assert reader.bytes_read < len(data) // 10


def test_a_window_deep_in_a_seekable_wav_reads_little_of_it():
    data = pathlib.Path(make_input("wav_s16", 2, 44100, 60.0)).read_bytes()
    reader = CountingReader(data, seekable=True)
    got = decode_audio.decode(reader, frame_offset=50 * 44100, num_frames=44100,
                              dtype="int16")
    assert got.numpy().tobytes() == data[44 + 50 * 176400:44 + 51 * 176400]
    assert reader.bytes_read < len(data) // 10


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_info_counts_what_decode_returns_from_bytes_and_streams(fmt):
    path = make_input(fmt, 2, rate_of(fmt), SECONDS)
    data = pathlib.Path(path).read_bytes()
    for src in (path, data):
        assert decode_audio.info(src).num_frames == decode_audio.decode(src).num_frames
    if fmt != "aac":  # an MP4 index at the end cannot be read without seeking
        meta = decode_audio.info(NonSeekable(data))
        assert meta.num_frames == decode_audio.decode(NonSeekable(data)).num_frames


def test_mp4_length_is_the_declared_one():
    path = make_input("aac", 1, 44100, SECONDS)
    assert decode_audio.decode(path).num_frames == 4 * 44100
    assert decode_audio.info(path).num_frames == 4 * 44100


@pytest.mark.parametrize("dtype", ["int16", "float32"])
@pytest.mark.parametrize("channels_first", [False, True])
def test_decode_into_a_caller_buffer(dtype, channels_first):
    path = make_input("flac", 2, 16000, SECONDS)
    expected = decode_audio.decode(path, dtype=dtype, channels_first=channels_first,
                                   frame_offset=100, num_frames=20000).numpy()
    shape = (2, 30000) if channels_first else (30000, 2)
    out = np.full(shape, 7, dtype=dtype)
    audio = decode_audio.decode(path, out=out, channels_first=channels_first,
                                frame_offset=100, num_frames=20000)
    view = audio.numpy()
    assert view.shape == expected.shape and np.shares_memory(view, out)
    np.testing.assert_array_equal(view, expected)
    rest = out[:, 20000:] if channels_first else out[20000:]
    assert (rest == 7).all()  # nothing written past the frames decoded


def test_decode_into_a_torch_tensor():
    torch = pytest.importorskip("torch")
    path = make_input("wav_s16", 1, 16000, SECONDS)
    out = torch.zeros(64000, 1)
    audio = decode_audio.decode(path, out=out)
    assert audio.num_frames == 64000 and audio.torch().data_ptr() == out.data_ptr()
    np.testing.assert_array_equal(out.numpy(), decode_audio.decode(path).numpy())


def test_a_caller_buffer_too_small_names_the_size_needed():
    path = make_input("mp3", 2, 16000, SECONDS)
    needed = decode_audio.decode(path).num_frames
    with pytest.raises(ValueError, match=f"out holds 1000 frames; {needed} are needed"):
        decode_audio.decode(path, out=np.zeros((1000, 2), np.float32))
    with pytest.raises(ValueError, match="2 channels, the buffer 1"):
        decode_audio.decode(path, out=np.zeros((needed, 1), np.float32))
    with pytest.raises(ValueError, match="differs from out"):
        decode_audio.decode(path, out=np.zeros((needed, 2), np.float32), dtype="int16")
    with pytest.raises(ValueError, match="C-contiguous"):
        decode_audio.decode(path, out=np.zeros((2, needed), np.float32).T)


def test_a_wav_whose_byte_rate_disagrees_is_windowed_exactly(monkeypatch):
    """A header's byte rate that is not rate x block size sends FFmpeg's PCM seek elsewhere
    than its timestamps say; such input is entered by skipping packets instead."""
    rng = np.random.default_rng(5)
    samples = rng.integers(0, 256, 3000, dtype=np.uint8).tobytes()
    rate, wrong_byte_rate = 8000, 48000
    fmt = b"".join(v.to_bytes(n, "little") for v, n in
                   ((1, 2), (1, 2), (rate, 4), (wrong_byte_rate, 4), (1, 2), (8, 2)))
    body = b"WAVEfmt " + len(fmt).to_bytes(4, "little") + fmt + b"data" + \
        len(samples).to_bytes(4, "little") + samples
    wav = b"RIFF" + len(body).to_bytes(4, "little") + body
    monkeypatch.setenv("DECODE_AUDIO_FAST_PATHS", "0")  # FFmpeg's demuxer for bytes too
    full = decode_audio.decode(wav, dtype="int16").numpy()
    assert full.shape == (3000, 1)
    for offset in (1, 499, 1000, 2990, 2999, 3000, 5000):
        for src in (wav, io.BytesIO(wav)):
            got = decode_audio.decode(src, dtype="int16", frame_offset=offset, num_frames=400)
            assert got.numpy().tobytes() == full[offset:offset + 400].tobytes(), offset


@pytest.mark.parametrize("frames", [1, 80, 800])
def test_a_flac_of_one_short_frame_enters_any_window(frames):
    # FLAC's seek search finds nothing in a file of one short frame, and can seek back to
    # nowhere: the window is decoded from the start of the input opened again
    path = make_input("flac", 1, 8000, frames / 8000)
    full = decode_audio.decode(path, num_threads=1).numpy()
    assert len(full) == frames
    for offset in sorted({1, 10, frames // 2, frames - 1}):
        if offset >= frames:
            continue
        for count in (-1, 3):
            part = decode_audio.decode(path, frame_offset=offset, num_frames=count,
                                       num_threads=1).numpy()
            expected = full[offset:] if count < 0 else full[offset:offset + count]
            assert part.tobytes() == expected.tobytes(), (offset, count)
