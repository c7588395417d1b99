"""Audio as users expect: frames by index, duration, astype, repr, a notebook player,
IPython.display.Audio, and resample() of in-memory samples."""

import base64
import io
import os
import re
import wave

import numpy as np
import pytest

import decode_audio

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WAV = os.path.join(ROOT, "golden", "test.wav")


def stereo(tmp_path, rate=8000, frames=8000):
    t = np.arange(frames) / rate
    x = np.stack([0.4 * np.sin(2 * np.pi * 440 * t), 0.2 * np.sin(2 * np.pi * 660 * t)], 1)
    path = str(tmp_path / "stereo.wav")
    decode_audio.save(path, x.astype(np.float32), rate, channels_first=False)
    return path


def test_slices_are_views_of_frames_in_either_layout(tmp_path):
    path = stereo(tmp_path)
    a = decode_audio.decode(path)
    c = decode_audio.decode(path, channels_first=True)
    x = a.numpy()
    assert np.array_equal(a[100:200], x[100:200]) and a[100:200].shape == (100, 2)
    assert np.shares_memory(a[100:200], x)
    assert np.array_equal(c[100:200], x[100:200].T) and c[100:200].shape == (2, 100)
    assert np.shares_memory(c[100:200], c.numpy())
    assert np.array_equal(a[5], x[5]) and np.array_equal(c[5], x[5])  # one frame: its channels
    assert np.array_equal(a[::2], x[::2]) and np.array_equal(c[-3:], x[-3:].T)
    assert np.array_equal(a[100:200, 1], x[100:200, 1])  # a tuple: the array's own axes
    assert np.array_equal(c[1, 100:200], x[100:200, 1])
    # the README's window: decode(x)[a:a+b] equals decoding the window
    assert np.array_equal(a[300:700], decode_audio.decode(path, frame_offset=300,
                                                         num_frames=400).numpy())


def test_duration_repr_and_transpose(tmp_path):
    a = decode_audio.decode(WAV)
    assert a.duration == 5.0
    assert repr(a) == ("Audio(shape=(40000, 1) (frames, channels), dtype=float32, "
                       "sample_rate=8000, duration=5.000 s)")
    long = decode_audio.decode(WAV, sample_rate=100, filter_desc="aloop=loop=30:size=40000")
    assert "duration=2:35.000" in repr(long)
    assert a.T.shape == (1, 40000) and np.shares_memory(a.T, a.numpy())


def test_astype_is_a_new_buffer_scaled_as_decoding_in_that_type():
    f = decode_audio.decode(WAV)
    i = decode_audio.decode(WAV, dtype="int16")
    as_float = i.astype(np.float32)
    assert as_float.dtype == np.float32 and np.array_equal(as_float, f.numpy())
    assert not np.shares_memory(as_float, i.numpy())
    assert np.array_equal(f.astype("int16"), i.numpy())
    assert np.array_equal(i.astype("int32"), decode_audio.decode(WAV, dtype="int32").numpy())
    assert np.array_equal(i.astype("uint8"), decode_audio.decode(WAV, dtype="uint8").numpy())
    copy = f.astype("float32")
    assert np.array_equal(copy, f.numpy()) and not np.shares_memory(copy, f.numpy())
    with pytest.raises(ValueError, match="dtype must be one of"):
        f.astype("complex64")


def _wav_of_data_uri(markup):
    match = re.search(r'<audio controls src="data:audio/wav;base64,([A-Za-z0-9+/=]+)"', markup)
    assert match, markup[:200]
    return base64.b64decode(match.group(1))


def test_the_notebook_player_holds_the_samples(tmp_path):
    path = stereo(tmp_path)
    for channels_first in (False, True):
        a = decode_audio.decode(path, channels_first=channels_first)
        data = _wav_of_data_uri(a._repr_html_())
        back = decode_audio.decode(data, dtype="int16")
        assert back.shape == (8000, 2) and back.sample_rate == 8000
        assert np.array_equal(back.numpy(), decode_audio.decode(path, dtype="int16").numpy())


def test_the_notebook_player_of_long_audio_is_bounded(monkeypatch, tmp_path):
    from decode_audio import _audio
    monkeypatch.setattr(_audio, "HTML_MAX_BYTES", 4000 * 2 * 2)
    a = decode_audio.decode(stereo(tmp_path))
    markup = a._repr_html_()
    back = decode_audio.decode(_wav_of_data_uri(markup))
    assert back.num_frames == 4000
    assert "the player holds the first 0.500 s of 1.000 s" in markup


def tone(tmp_path, channels, rate=8000, frames=8000):
    t = np.arange(frames) / rate
    x = np.stack([(0.4 - 0.1 * c) * np.sin(2 * np.pi * 440 * (c + 1) * t)
                  for c in range(channels)], 1)
    path = str(tmp_path / f"tone{channels}.wav")
    decode_audio.save(path, x.astype(np.float32), rate, channels_first=False)
    return path


def embedded(player):
    """(channels, rate, samples (frames, channels)) of the WAV an IPython player embeds."""
    match = re.search(r'src="data:audio/wav;base64,([A-Za-z0-9+/=]+)"', player._repr_html_())
    assert match
    with wave.open(io.BytesIO(base64.b64decode(match.group(1)))) as w:
        assert w.getsampwidth() == 2
        channels, rate, frames = w.getnchannels(), w.getframerate(), w.getnframes()
        data = np.frombuffer(w.readframes(frames), "<i2").reshape(frames, channels)
    return channels, rate, data


@pytest.mark.parametrize("channels", [1, 2])
def test_ipython_display_audio_plays_the_decoded_samples(tmp_path, channels):
    from IPython.display import Audio as Player  # the real one (make deps-python installs it)

    path = tone(tmp_path, channels)
    a = decode_audio.decode(path)
    c = decode_audio.decode(path, channels_first=True)
    # the WAV of wav_bytes(): no rate to give, samples as decoding to int16 gives them
    as_int16 = decode_audio.decode(path, dtype="int16").numpy()
    for audio in (a, c):
        got_channels, rate, data = embedded(Player(audio.wav_bytes()))
        assert (got_channels, rate) == (channels, 8000) and np.array_equal(data, as_int16)
    # IPython's own layout, (channels, frames): a.T or a channels-first Audio, with rate=;
    # IPython scales the peak to 32767
    x = a.numpy().astype(np.float64)
    scaled = (x / np.abs(x).max() * 32767).astype("<i2")
    shown = [a.T, c] + ([a[:, 0]] if channels == 1 else [])
    for samples in shown:
        got_channels, rate, data = embedded(Player(samples, rate=a.sample_rate))
        assert (got_channels, rate) == (channels, 8000) and np.array_equal(data, scaled)


def test_ipython_reads_any_2d_array_as_channels_then_frames(tmp_path):
    """Why the README says to give IPython `a.wav_bytes()` or `a.T`: it reads a 2-D array as
    (channels, frames), and an Audio is (frames, channels) to NumPy; without rate= it takes
    bytes only. Should IPython change, this fails, and the README with it."""
    from IPython.display import Audio as Player

    a = decode_audio.decode(tone(tmp_path, 2))
    with pytest.raises(ValueError, match="rate must be specified"):
        Player(a)
    assert embedded(Player(a, rate=a.sample_rate))[0] == 8000  # frames taken for channels


@pytest.mark.parametrize("dtype, channels, quality", [
    ("float32", 2, "default"), ("int16", 1, "high"), ("float64", 3, "fast"),
    ("int32", 2, "soxr"), ("float32", 6, "default"),
])
def test_resample_equals_decoding_a_wav_at_the_new_rate(tmp_path, dtype, channels, quality):
    rng = np.random.default_rng(channels)
    x = (0.5 * np.sin(np.arange(44100)[:, None] / (3 + np.arange(channels)))
         + 0.01 * rng.standard_normal((44100, channels)))
    x = decode_audio.decode(_wav(tmp_path, x.astype(np.float32), 44100), dtype=dtype).numpy()
    encoding = {"float32": "PCM_F", "float64": "PCM_F", "int16": "PCM_S", "int32": "PCM_S"}
    bits = {"float32": 32, "float64": 64, "int16": 16, "int32": 32}
    path = str(tmp_path / "same.wav")
    decode_audio.save(path, x, 44100, channels_first=False, encoding=encoding[dtype],
                      bits_per_sample=bits[dtype])
    expected = decode_audio.decode(path, sample_rate=16000, dtype=dtype,
                                   resample_quality=quality).numpy()
    got = decode_audio.resample(x, 44100, 16000, quality=quality)
    assert got.dtype == np.dtype(dtype) and got.shape == expected.shape
    assert np.array_equal(np.asarray(got), expected)


def _wav(tmp_path, x, rate):
    path = str(tmp_path / "src.wav")
    decode_audio.save(path, x, rate, channels_first=False, encoding="PCM_F")
    return path


def test_resample_keeps_the_type_and_layout_it_is_given(tmp_path):
    a = decode_audio.decode(stereo(tmp_path))
    expected = decode_audio.decode(stereo(tmp_path), sample_rate=16000).numpy()
    assert np.array_equal(np.asarray(decode_audio.resample(a, 8000, 16000.0)), expected)
    assert np.array_equal(decode_audio.resample(a.numpy()[:, 0].copy(), 8000, 16000),
                          decode_audio.resample(a.numpy()[:, :1].copy(), 8000,
                                                16000).numpy()[:, 0])
    channels_first = decode_audio.resample(a.numpy().T, 8000, 16000, channels_first=True)
    assert channels_first.shape == (2, 16000)
    assert np.array_equal(np.asarray(channels_first), expected.T)
    torch = pytest.importorskip("torch")
    t = decode_audio.resample(torch.from_numpy(a.numpy().T.copy()), 8000, 16000)
    assert isinstance(t, torch.Tensor) and t.shape == (2, 16000)
    assert np.array_equal(t.numpy(), expected.T)
    mono = decode_audio.resample(torch.from_numpy(a.numpy()[:, 0].copy()), 8000, 16000)
    assert mono.shape == (16000,) and np.array_equal(mono.numpy(), expected[:, 0])


def test_resample_refuses_what_it_cannot_do():
    x = np.zeros(100, np.float32)
    with pytest.raises(ValueError, match="resample_quality must be one of"):
        decode_audio.resample(x, 8000, 16000, quality="best")
    with pytest.raises(TypeError, match="sample_rate must be a positive whole number"):
        decode_audio.resample(x, "8k", 16000)
    with pytest.raises(ValueError, match="uint8, int8, int16, int32, float32 or float64"):
        decode_audio.resample(x.astype(np.complex64), 8000, 16000)


def test_ipython_shows_the_player(tmp_path):
    formatters = pytest.importorskip("IPython.core.formatters")
    a = decode_audio.decode(stereo(tmp_path))
    shown, _ = formatters.DisplayFormatter().format(a)
    assert shown["text/plain"] == repr(a)
    back = decode_audio.decode(_wav_of_data_uri(shown["text/html"]), dtype="int16")
    assert back.shape == (8000, 2)
