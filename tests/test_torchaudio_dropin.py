"""What torchaudio's own I/O tests found different: CodecConfig as save's compression, the
sox and soundfile backends' dtype-following defaults, FileNotFoundError that is also a
RuntimeError, no silent downmix for fixed-rate types, channel limits, the sox backend's
file-object refusal, decode_audio.io, save(tags=)."""

import io
import os
import subprocess
import sys

import numpy as np
import pytest

import decode_audio
from decode_audio import CodecConfig

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WAV = os.path.join(ROOT, "golden", "test.wav")
RATE = 16000
TONE = (0.25 * np.sin(np.arange(RATE, dtype=np.float32) / 5)).reshape(1, -1)
NOISE = (0.3 * np.random.default_rng(0).standard_normal((2, 2 * 44100))).astype(np.float32)


def _backend(name):
    if name not in decode_audio.list_audio_backends():
        pytest.skip(f"{name} is not available")
    return name


def test_codec_config_sets_the_flac_level(tmp_path):
    sizes = {}
    for level in (0, 12):
        path = tmp_path / f"{level}.flac"
        decode_audio.save(path, NOISE, 44100, compression=CodecConfig(compression_level=level))
        same = tmp_path / f"{level}-int.flac"
        decode_audio.save(same, NOISE, 44100, compression=level)
        assert path.read_bytes() == same.read_bytes()
        sizes[level] = path.stat().st_size
    assert sizes[12] < sizes[0]


def test_codec_config_sets_vorbis_quality_and_mp3_bit_rate(tmp_path):
    decode_audio.save(tmp_path / "q.ogg", NOISE, 44100, compression=CodecConfig(qscale=8))
    decode_audio.save(tmp_path / "n.ogg", NOISE, 44100, compression=8)
    a = decode_audio.decode(tmp_path / "q.ogg").numpy()
    assert np.array_equal(a, decode_audio.decode(tmp_path / "n.ogg").numpy())
    decode_audio.save(tmp_path / "b.mp3", NOISE, 44100, compression=CodecConfig(bit_rate=64000))
    assert abs(decode_audio.info(tmp_path / "b.mp3").bit_rate - 64000) < 2000
    with pytest.raises(ValueError, match="compression does not apply to wav"):
        decode_audio.save(tmp_path / "x.wav", NOISE, 44100, compression=CodecConfig(bit_rate=8))
    # a default CodecConfig is no setting at all
    decode_audio.save(tmp_path / "x.wav", NOISE, 44100, compression=CodecConfig())


@pytest.mark.parametrize("backend", ["sox", "soundfile"])
def test_codec_config_reaches_the_other_backends(tmp_path, backend):
    _backend(backend)
    decode_audio.save(tmp_path / "a.flac", NOISE, 44100, backend=backend,
                      compression=CodecConfig(compression_level=8))
    decode_audio.save(tmp_path / "b.flac", NOISE, 44100, backend=backend, compression=8)
    assert (tmp_path / "a.flac").stat().st_size == (tmp_path / "b.flac").stat().st_size


@pytest.mark.parametrize("backend", ["sox", "soundfile"])
@pytest.mark.parametrize("dtype, ext, expected", [
    ("float32", "wav", ("PCM_F", 32)), ("int32", "wav", ("PCM_S", 32)),
    ("int16", "wav", ("PCM_S", 16)), ("float32", "flac", ("FLAC", 24)),
    ("int16", "flac", ("FLAC", 16)),
])
def test_sox_and_soundfile_defaults_follow_the_dtype(tmp_path, backend, dtype, ext, expected):
    _backend(backend)
    samples = decode_audio.decode(WAV, dtype=dtype, channels_first=True).numpy()
    path = tmp_path / f"x.{ext}"
    decode_audio.save(path, samples, 8000, backend=backend)
    meta = decode_audio.info(path)
    assert (meta.encoding, meta.bits_per_sample) == expected
    if dtype == "float32" and ext == "wav":
        assert np.array_equal(decode_audio.decode(path, channels_first=True).numpy(), samples)


def test_the_ffmpeg_backend_keeps_its_16_bit_default(tmp_path):
    samples = decode_audio.decode(WAV, channels_first=True).numpy()
    for ext in ("wav", "flac"):
        decode_audio.save(tmp_path / f"x.{ext}", samples, 8000, backend="ffmpeg")
        assert decode_audio.info(tmp_path / f"x.{ext}").bits_per_sample == 16


@pytest.mark.parametrize("backend", [None, "ffmpeg", "sox", "soundfile"])
def test_a_missing_file_is_both_file_not_found_and_runtime_error(backend):
    if backend:
        _backend(backend)
    for call in (decode_audio.info, decode_audio.load):
        if call is decode_audio.load:
            pytest.importorskip("torch")
        with pytest.raises(RuntimeError, match="nope.wav") as e:
            call("/nonexistent/nope.wav", backend=backend)
        assert isinstance(e.value, FileNotFoundError) and e.value.errno == 2
        assert isinstance(e.value, decode_audio.DecodeAudioFileNotFoundError)


def test_the_sox_backend_refuses_to_downmix_or_resample_gsm(tmp_path):
    _backend("sox")
    stereo = np.zeros((2, 8000), np.float32)
    with pytest.raises(ValueError, match=r"gsm files hold 8000 Hz mono audio only; got 2 "
                                         r"channels at 8000 Hz"):
        decode_audio.save(tmp_path / "x.gsm", stereo, 8000, backend="sox")
    with pytest.raises(ValueError, match=r"got 1 channel at 16000 Hz"):
        decode_audio.save(tmp_path / "x.gsm", stereo[:1], 16000, backend="sox")
    assert os.listdir(tmp_path) == []
    decode_audio.save(tmp_path / "x.gsm", stereo[:1], 8000, backend="sox")
    assert decode_audio.info(tmp_path / "x.gsm").num_channels == 1


def test_more_than_64_channels(tmp_path):
    many = np.zeros((100, 160), np.float32)
    with pytest.raises(ValueError, match=r"1 to 64 channels; got 100 .*backend='sox' or "
                                         r"'soundfile' take up to 256"):
        decode_audio.save(tmp_path / "x.wav", many, 8000)
    for backend in ("sox", "soundfile"):
        if backend in decode_audio.list_audio_backends():
            decode_audio.save(tmp_path / f"{backend}.wav", many, 8000, backend=backend)
            assert decode_audio.info(tmp_path / f"{backend}.wav",
                                     backend=backend).num_channels == 100
    with pytest.raises(ValueError, match="1 to 256 channels; got 300"):
        decode_audio.save(tmp_path / "y.wav", np.zeros((300, 10), np.float32), 8000,
                          backend=_backend("sox"))


def test_the_sox_backends_file_object_refusal_says_torchaudios_words(tmp_path):
    _backend("sox")
    with open(WAV, "rb") as f:
        with pytest.raises(ValueError, match="^SoX backend does not support reading from "
                                             "file-like objects; the sox backend takes paths"):
            decode_audio.info(f, backend="sox")
    with pytest.raises(ValueError, match="^SoX backend does not support writing to file-like"):
        decode_audio.save(io.BytesIO(), TONE, RATE, format="wav", backend="sox")


def test_decode_audio_io_is_torchaudios_spelling():
    import decode_audio.io as dio
    from decode_audio.io import CodecConfig as C, StreamReader, StreamWriter
    assert (C, StreamReader, StreamWriter) == (decode_audio.CodecConfig,
                                               decode_audio.StreamReader,
                                               decode_audio.StreamWriter)
    assert dio.__all__ == ["CodecConfig", "StreamReader", "StreamWriter"]
    # the package's own `import io` is still the standard library's
    from decode_audio import _files
    assert _files.io is io


@pytest.mark.parametrize("backend", ["ffmpeg", "soundfile"])
def test_save_writes_tags(tmp_path, backend):
    _backend(backend)
    for ext in ("flac", "wav", "ogg"):
        path = tmp_path / f"t.{ext}"
        decode_audio.save(path, TONE, RATE, backend=backend,
                          tags={"title": "A tone", "artist": "decode_audio"})
        tags = {k.lower(): v for k, v in decode_audio.info(path).tags.items()}
        assert tags.get("title") == "A tone" and tags.get("artist") == "decode_audio", tags


def test_tags_a_backend_cannot_write_are_refused(tmp_path):
    with pytest.raises(ValueError, match="soundfile backend writes the tags"):
        decode_audio.save(tmp_path / "x.wav", TONE, RATE, backend=_backend("soundfile"),
                          tags={"nosuch": "1"})
    with pytest.raises(ValueError, match="sox backend writes no tags"):
        decode_audio.save(tmp_path / "x.wav", TONE, RATE, backend=_backend("sox"),
                          tags={"title": "1"})
    assert os.listdir(tmp_path) == []
