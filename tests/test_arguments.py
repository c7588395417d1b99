"""Forgiving, precise arguments: dtypes in every spelling, integral floats for rates and
channel counts, errors naming the argument and what it takes, text-mode files refused with a
hint, load() without torch."""

import io
import os
import subprocess
import sys

import numpy as np
import pytest

import decode_audio

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WAV = os.path.join(ROOT, "golden", "test.wav")
TONE = (0.25 * np.sin(np.arange(1600, dtype=np.float32) / 5)).reshape(1, -1)


@pytest.mark.parametrize("dtype", ["int16", np.int16, np.dtype("int16"), "i2", "<i2"])
def test_dtype_in_every_numpy_spelling(dtype):
    assert decode_audio.decode(WAV, dtype=dtype, num_frames=10).dtype == np.int16


def test_dtype_as_torch_dtypes_and_classes():
    torch = pytest.importorskip("torch")
    assert decode_audio.decode(WAV, dtype=torch.float64, num_frames=5).dtype == np.float64
    t, _ = decode_audio.load(WAV, dtype=np.float32, num_frames=5)
    assert t.dtype == torch.float32
    t, _ = decode_audio.load(WAV, dtype=torch.int16, num_frames=5)
    assert t.dtype == torch.int16


def test_a_bad_dtype_names_the_argument_and_the_choices():
    with pytest.raises(ValueError, match=r"dtype must be one of uint8, int8, int16, int32, "
                                         r"float32, float64.*got 'complex64'"):
        decode_audio.decode(WAV, dtype="complex64")
    with pytest.raises(ValueError, match="dtype must be one of"):
        decode_audio.decode(WAV, dtype=np.complex64)


def test_integral_floats_are_rates_and_channel_counts(tmp_path):
    a = decode_audio.decode(WAV, sample_rate=8000.0, num_channels=1.0, num_frames=100.0,
                            frame_offset=10.0)
    b = decode_audio.decode(WAV, sample_rate=8000, num_channels=1, num_frames=100,
                            frame_offset=10)
    assert a.sample_rate == 8000 and np.array_equal(a.numpy(), b.numpy())
    decode_audio.save(tmp_path / "a.wav", TONE, np.float64(16000.0))
    assert decode_audio.info(tmp_path / "a.wav").sample_rate == 16000
    w = decode_audio.StreamWriter(tmp_path / "b.wav")
    w.add_audio_stream(16000.0, 1.0)
    with w.open():
        w.write_audio_chunk(0, TONE.T)
    assert decode_audio.info(tmp_path / "b.wav").sample_rate == 16000


@pytest.mark.parametrize("kwargs, error, message", [
    ({"sample_rate": 16000.5}, ValueError, r"sample_rate must be a positive whole number of Hz.*"
                                           r"16000\.5"),
    ({"sample_rate": "16k"}, TypeError, r"sample_rate must be a positive whole number of Hz, "
                                        r"e\.g\. 16000; got '16k' \(str\)"),
    ({"sample_rate": -8000}, ValueError, r"sample_rate must be a positive whole number"),
    ({"num_channels": 1.5}, ValueError, r"num_channels must be a whole number from 1 to"),
    ({"num_channels": "2"}, TypeError, r"num_channels must be a whole number from 1 to"),
    ({"frame_offset": 1.5}, ValueError, r"frame_offset must be a whole number of frames >= 0; "
                                        r"got 1\.5"),
    ({"frame_offset": -1}, ValueError, r"frame_offset must be"),
    ({"num_frames": 2.5}, ValueError, r"num_frames must be a whole number of frames"),
    ({"num_frames": "10"}, TypeError, r"num_frames must be"),
])
def test_wrong_numbers_name_the_argument_and_what_it_takes(kwargs, error, message):
    with pytest.raises(error, match=message):
        decode_audio.decode(WAV, **kwargs)
    if "sample_rate" in kwargs or "frame_offset" in kwargs:
        for entry in (lambda: list(decode_audio.stream(WAV, 1000, **kwargs)),
                      lambda: decode_audio.load_many([WAV], errors="raise", **kwargs)):
            with pytest.raises(error, match=message):
                entry()


def test_frame_offset_is_never_truncated_on_any_backend():
    for backend in decode_audio.list_audio_backends():
        with pytest.raises(ValueError, match="frame_offset must be a whole number"):
            if backend == "soundfile":
                pytest.importorskip("torch")
                decode_audio.load(WAV, frame_offset=1.5, backend=backend)
            else:
                decode_audio.decode(WAV, frame_offset=1.5, backend=backend)


def test_save_and_stream_writer_rates_name_the_argument(tmp_path):
    with pytest.raises(TypeError, match=r"sample_rate must be a positive whole number.*'16k'"):
        decode_audio.save(tmp_path / "a.wav", TONE, "16k")
    with pytest.raises(ValueError, match=r"sample_rate must be a positive whole number.*44100\.5"):
        decode_audio.save(tmp_path / "a.wav", TONE, 44100.5)
    w = decode_audio.StreamWriter(tmp_path / "b.wav")
    with pytest.raises(ValueError, match="num_channels must be a whole number from 1 to"):
        w.add_audio_stream(16000, 2.5)
    assert os.listdir(tmp_path) == []


def test_text_mode_files_are_refused_with_a_hint(tmp_path):
    with open(WAV, "r") as f:
        with pytest.raises(TypeError, match=r"text mode.*open\(path, 'rb'\)"):
            decode_audio.decode(f)
        with pytest.raises(TypeError, match="text mode"):
            decode_audio.info(f)
    with open(tmp_path / "out.wav", "w") as f:
        for backend in decode_audio.list_audio_backends():
            if backend == "sox":
                continue  # paths only
            with pytest.raises(TypeError, match=r"text mode.*open\(path, 'wb'\)"):
                decode_audio.save(f, TONE, 16000, format="wav", backend=backend)
        with pytest.raises(TypeError, match="text mode"):
            decode_audio.StreamWriter(f, format="wav").add_audio_stream(16000, 1)
    with pytest.raises(TypeError, match="text mode"):
        decode_audio.decode(io.StringIO("RIFF"))
    assert (tmp_path / "out.wav").read_bytes() == b""


def test_load_without_torch_says_what_to_install_and_what_to_use_instead():
    code = ("import sys; sys.modules['torch'] = None\n"
            "import decode_audio\n"
            "try:\n"
            f"    decode_audio.load({WAV!r})\n"
            "except ImportError as e:\n"
            "    print(type(e).__name__, e)\n")
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         check=True).stdout
    assert out.startswith("ImportError ")
    assert "pip install decode_audio[torch]" in out and "decode(...).numpy()" in out
