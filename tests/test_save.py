"""save(): every encoding round-trips; files are gapless, reproducible and written atomically."""

from __future__ import annotations

import io

import numpy as np
import pytest

from conftest import NonSeekable, WriteOnly, needs_torch

import decode_audio
from decode_audio import DecodeAudioError


def music(rate: int, seconds: float = 2.0, channels: int = 2) -> np.ndarray:
    """A music-like signal: decaying harmonic notes over a little noise, (frames, channels)."""
    t = np.arange(int(rate * seconds)) / rate
    out = np.zeros((len(t), channels), np.float32)
    rng = np.random.default_rng(0)
    for c in range(channels):
        for k, f0 in enumerate((220.0, 277.2, 329.6, 440.0)):
            start = k * seconds / 4
            env = np.where(t >= start, np.exp(-3 * (t - start)), 0.0)
            for h in range(1, 6):
                out[:, c] += (0.12 / h) * env * np.sin(2 * np.pi * f0 * h * t * (1 + 0.002 * c))
        out[:, c] += 0.003 * rng.standard_normal(len(t))
    return out


def snr_db(ref: np.ndarray, got: np.ndarray) -> float:
    return float(10 * np.log10(np.sum(ref.astype(np.float64) ** 2) /
                               np.sum((ref.astype(np.float64) - got) ** 2)))


def test_default_wav_is_16_bit_pcm_of_the_expected_size(tmp_path):
    x = music(16000)
    path = tmp_path / "a.wav"
    decode_audio.save(path, x, 16000, channels_first=False)
    assert path.stat().st_size == 44 + 2 * len(x) * 2
    meta = decode_audio.info(path)
    assert (meta.encoding, meta.bits_per_sample, meta.num_frames) == ("PCM_S", 16, len(x))
    expected = np.clip(np.rint(x * 32768), -32768, 32767).astype(np.int16)
    np.testing.assert_array_equal(decode_audio.decode(path, dtype="int16").numpy(), expected)


def test_saving_to_bytesio_needs_a_format_and_starts_with_riff():
    x = music(8000).T
    with pytest.raises(ValueError, match="format is required"):
        decode_audio.save(io.BytesIO(), x, 8000)
    buf = io.BytesIO()
    decode_audio.save(buf, x, 8000, format="wav")
    assert buf.getvalue()[:4] == b"RIFF" and buf.getvalue()[8:12] == b"WAVE"
    assert decode_audio.info(buf.getvalue()).num_frames == x.shape[1]


# (format, encoding, bits) -> (encoding and bits info() reports, lossless for int16 input)
PCM_CASES = [
    ("wav", "PCM_S", 16, "PCM_S", 16), ("wav", "PCM_S", 24, "PCM_S", 24),
    ("wav", "PCM_S", 32, "PCM_S", 32), ("wav", "PCM_U", 8, "PCM_U", 8),
    ("wav", "PCM_F", 32, "PCM_F", 32), ("wav", "PCM_F", 64, "PCM_F", 64),
    ("wav", "ULAW", None, "ULAW", 8), ("wav", "ALAW", 8, "ALAW", 8),
    ("aiff", "PCM_S", 8, "PCM_S", 8), ("aiff", "PCM_S", 24, "PCM_S", 24),
    ("aiff", "PCM_F", 32, "PCM_F", 32), ("au", "PCM_S", 16, "PCM_S", 16),
    ("au", "ULAW", 8, "ULAW", 8), ("flac", None, 16, "FLAC", 16), ("flac", None, 24, "FLAC", 24),
]


@pytest.mark.parametrize("fmt,encoding,bits,reported,reported_bits", PCM_CASES)
def test_every_pcm_encoding_round_trips(tmp_path, fmt, encoding, bits, reported, reported_bits):
    x = music(16000, 1.0)
    path = tmp_path / f"x.{fmt}"
    decode_audio.save(path, x, 16000, channels_first=False, encoding=encoding,
                      bits_per_sample=bits)
    meta = decode_audio.info(path)
    assert (meta.encoding, meta.bits_per_sample) == (reported, reported_bits)
    assert meta.num_frames == len(x) and meta.num_channels == 2 and meta.sample_rate == 16000
    y = decode_audio.decode(path).numpy()
    worst = {8: 0.05, 16: 1e-4, 24: 1e-6, 32: 1e-8, 64: 1e-12}[reported_bits]
    if reported in ("ULAW", "ALAW"):
        worst = 0.02
    assert np.abs(y - x).max() < worst


def test_int16_samples_survive_pcm_and_flac_bit_exactly(tmp_path):
    x = (music(16000, 1.0) * 32767).astype(np.int16)
    for name in ("a.wav", "a.flac", "a.aiff"):
        decode_audio.save(tmp_path / name, x, 16000, channels_first=False)
        np.testing.assert_array_equal(decode_audio.decode(tmp_path / name, dtype="int16").numpy(),
                                      x)


# format -> the SNR (dB) its default settings must reach on the music-like signal; measured
# with FFmpeg 5.1: wav/flac 76.5 (16-bit), mp3 23.2 (128 kbit/s), ogg 25.2 (q3, ~112 kbit/s),
# opus 24.2 (~118 kbit/s), m4a 22.8 (AAC ~128 kbit/s). Waveform SNR undersells perceptual codecs.
LOSSY = {"mp3": 21, "ogg": 23, "opus": 22, "m4a": 20}


@pytest.mark.parametrize("fmt", ["wav", "flac", *LOSSY])
def test_round_trip_is_gapless(tmp_path, fmt):
    rate = 48000 if fmt == "opus" else 44100
    x = music(rate)
    path = tmp_path / f"g.{fmt}"
    decode_audio.save(path, x, rate, channels_first=False)
    y = decode_audio.decode(path, sample_rate=rate).numpy()
    assert y.shape == x.shape
    assert decode_audio.info(path).num_frames == len(x)
    assert snr_db(x, y) > LOSSY.get(fmt, 75)


@pytest.mark.parametrize("fmt", ["wav", "flac", "mp3", "ogg", "opus", "m4a", "aiff", "au"])
def test_saving_twice_gives_identical_bytes(tmp_path, fmt):
    x = music(16000 if fmt != "opus" else 48000, 1.0)
    decode_audio.save(tmp_path / f"1.{fmt}", x, 16000 if fmt != "opus" else 48000,
                      channels_first=False)
    decode_audio.save(tmp_path / f"2.{fmt}", x, 16000 if fmt != "opus" else 48000,
                      channels_first=False)
    assert (tmp_path / f"1.{fmt}").read_bytes() == (tmp_path / f"2.{fmt}").read_bytes()


@pytest.mark.parametrize("kwargs,message", [
    ({"bits_per_sample": 12}, "cannot hold"),
    ({"encoding": "PCM_Q"}, "cannot hold"),
    ({"encoding": "PCM_S", "bits_per_sample": 8}, "cannot hold"),
    ({"encoding": "MP3"}, "cannot hold"),
    ({"compression": 5}, "compression does not apply"),
    ({"format": "flac", "bits_per_sample": 20}, "FLAC takes"),
    ({"format": "flac", "compression": 40}, "level from 0 to 12"),
    ({"format": "mp3", "bits_per_sample": 16}, "does not apply"),
    ({"format": "mp3", "encoding": "PCM_S"}, "does not apply"),
    ({"format": "ogg", "compression": 20}, "quality from -1 to 10"),
    ({"backend": "nope"}, "backend"),
])
def test_bad_arguments_raise_before_any_file_exists(tmp_path, kwargs, message):
    path = tmp_path / "never.wav"
    with pytest.raises(ValueError, match=message):
        decode_audio.save(path, music(8000, 0.1), 8000, channels_first=False, **kwargs)
    assert list(tmp_path.iterdir()) == []


def test_bad_samples_raise_value_error(tmp_path):
    with pytest.raises(ValueError, match="2-D"):
        decode_audio.save(tmp_path / "a.wav", np.zeros(100, np.float32), 8000)
    with pytest.raises(ValueError, match="one of"):
        decode_audio.save(tmp_path / "a.wav", np.zeros((1, 100), np.complex64), 8000)
    with pytest.raises(ValueError, match="sample_rate"):
        decode_audio.save(tmp_path / "a.wav", np.zeros((1, 100), np.float32), 0)
    with pytest.raises(ValueError, match="cannot tell the format"):
        decode_audio.save(tmp_path / "noext", np.zeros((1, 100), np.float32), 8000)
    assert list(tmp_path.iterdir()) == []


def test_a_failure_part_way_leaves_the_target_untouched(tmp_path):
    target = tmp_path / "song.mp3"
    target.write_bytes(b"precious")
    six_channels = np.zeros((6, 1000), np.float32)  # libmp3lame takes 1 or 2 channels
    # the message names the target, not the temporary file written first
    with pytest.raises(DecodeAudioError,
                       match=f"^add stream to '{target}': encoder libmp3lame cannot encode 6 "):
        decode_audio.save(target, six_channels, 44100)
    assert target.read_bytes() == b"precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["song.mp3"]


def test_a_failing_file_like_propagates_its_exception():
    class Broken(io.BytesIO):
        def write(self, b):
            raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        decode_audio.save(Broken(), music(8000, 0.5), 8000, channels_first=False, format="wav")


@pytest.mark.parametrize("fmt", ["wav", "flac", "mp3"])
def test_seekable_file_likes_get_complete_headers(tmp_path, fmt):
    x = music(44100, 1.0)
    path = tmp_path / f"p.{fmt}"
    decode_audio.save(path, x, 44100, channels_first=False)
    with open(tmp_path / f"f.{fmt}", "wb") as f:
        decode_audio.save(f, x, 44100, channels_first=False, format=fmt)
    assert (tmp_path / f"f.{fmt}").read_bytes() == path.read_bytes()
    buf = io.BytesIO()
    decode_audio.save(buf, x, 44100, channels_first=False, format=fmt)
    assert buf.getvalue() == path.read_bytes()
    # the header carries the length (WAV sizes, FLAC STREAMINFO) or the gapless tag (MP3)
    assert decode_audio.decode(buf.getvalue()).num_frames == len(x)
    if fmt != "mp3":
        assert decode_audio.info(buf.getvalue(), exact=False).num_frames == len(x)


def test_write_only_file_likes_take_streamable_formats_only():
    x = music(48000, 1.0)
    out = WriteOnly()
    decode_audio.save(out, x, 48000, channels_first=False, format="ogg")
    assert decode_audio.decode(NonSeekable(bytes(out.data))).num_frames == len(x)
    for fmt in ("wav", "mp3", "m4a"):
        out = WriteOnly()
        with pytest.raises(DecodeAudioError, match="seekable"):
            decode_audio.save(out, x, 48000, channels_first=False, format=fmt)
        assert len(out.data) == 0


@needs_torch
def test_inputs_from_torch_numpy_dlpack_and_buffers_give_the_same_file(tmp_path):
    import torch

    x = (music(16000, 0.5) * 32767).astype(np.int16)  # (frames, channels)
    reference = tmp_path / "ref.wav"
    decode_audio.save(reference, x, 16000, channels_first=False)
    sources = {
        "torch": torch.from_numpy(x.T.copy()),
        "torch_view": torch.from_numpy(x).T,     # a transposed view: strided, no copy
        "numpy_view": x.T,
        "dlpack": decode_audio.decode(reference, dtype="int16", channels_first=True),
        "buffer": memoryview(np.ascontiguousarray(x.T)),
    }
    for name, src in sources.items():
        path = tmp_path / f"{name}.wav"
        decode_audio.save(path, src, 16000)
        assert path.read_bytes() == reference.read_bytes(), name


@pytest.mark.parametrize("fmt,compression,smaller", [("flac", 8, ("flac", 0)),
                                                     ("mp3", 64, ("mp3", 256)),
                                                     ("ogg", 0, ("ogg", 8)),
                                                     ("opus", 32, ("opus", 128)),
                                                     ("m4a", 64, ("m4a", 192))])
def test_compression_changes_the_size(tmp_path, fmt, compression, smaller):
    rate = 48000 if fmt == "opus" else 44100
    x = music(rate)
    small, large = tmp_path / f"s.{fmt}", tmp_path / f"l.{fmt}"
    decode_audio.save(small, x, rate, channels_first=False, compression=compression)
    decode_audio.save(large, x, rate, channels_first=False, compression=smaller[1])
    assert small.stat().st_size < large.stat().st_size
    assert decode_audio.decode(small, sample_rate=rate).num_frames == len(x)


def test_tutorial_formats_save_and_report(tmp_path):
    x = music(8000, 3.4, channels=1).T  # (channels, frames) as torchaudio.load gives
    for fmt in ("wav", "flac", "mp3", "ogg", "opus", "m4a", "gsm"):
        path = tmp_path / f"save_example.{fmt}"
        decode_audio.save(path, x, 8000, format=fmt)
        meta = decode_audio.info(path)
        assert meta.num_frames > 0 and meta.num_channels == 1
