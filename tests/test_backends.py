"""Backends: the same file through ffmpeg, sox and soundfile; the dispatcher; SoX-only formats."""

from __future__ import annotations

import dataclasses
import gc
import io
import os
import signal
import struct
import subprocess
import sys
import threading

import numpy as np
import pytest

import decode_audio
from conftest import ROOT, NonSeekable, ffmpeg, make_input, needs_torch
from decode_audio import _registry as _backends
from decode_audio._audio import live_buffers

# (format, channels, rate, tolerance of sox, tolerance of soundfile) against FFmpeg, float32.
SAME_SAMPLES = [
    ("wav_s16", 2, 16000, 0, 0),
    ("wav_s24", 2, 16000, 0, 0),
    ("wav_s32", 1, 16000, 0, 0),
    ("wav_u8", 2, 8000, 0, 0),
    ("wav_ulaw", 1, 8000, 0, 0),
    ("wav_alaw", 1, 8000, 0, 0),
    ("wav_f32", 2, 16000, 1e-9, 0),  # libsox carries samples as int32
    ("flac", 2, 44100, 0, 0),
    ("flac", 6, 48000, 0, 0),
    ("flac_s24", 2, 44100, 0, 0),
    ("aiff", 2, 16000, 0, 0),
    ("au", 1, 16000, 0, 0),
    ("vorbis", 2, 44100, 1e-4, 1e-5),  # other decoders: libvorbis' float rounding
]
INFO_FIELDS = ("sample_rate", "num_frames", "num_channels", "bits_per_sample", "encoding")
OTHERS = ("sox", "soundfile")


def test_this_install_has_every_backend_in_precedence_order():
    # make deps installs libsox-dev and soundfile, so CI has all three
    assert decode_audio.list_audio_backends() == ["ffmpeg", "sox", "soundfile"]


@needs_torch
@pytest.mark.parametrize("backend", OTHERS)
@pytest.mark.parametrize("fmt,channels,rate,sox_tol,sf_tol", SAME_SAMPLES)
def test_every_backend_gives_ffmpegs_samples_and_info(fmt, channels, rate, sox_tol, sf_tol,
                                                      backend):
    path = make_input(fmt, channels, rate)
    expected, expected_rate = decode_audio.load(path, backend="ffmpeg")
    waveform, got_rate = decode_audio.load(path, backend=backend)
    assert got_rate == expected_rate == rate
    assert waveform.dtype == expected.dtype and tuple(waveform.shape) == tuple(expected.shape)
    tol = sox_tol if backend == "sox" else sf_tol
    np.testing.assert_allclose(waveform.numpy(), expected.numpy(), rtol=0, atol=tol)
    ours, theirs = decode_audio.info(path, backend="ffmpeg"), decode_audio.info(path,
                                                                               backend=backend)
    assert isinstance(theirs, decode_audio.AudioMetaData)
    for field in INFO_FIELDS:
        assert getattr(theirs, field) == getattr(ours, field), field


@needs_torch
@pytest.mark.parametrize("backend", OTHERS)
@pytest.mark.parametrize("fmt,dtype", [("wav_s16", "int16"), ("wav_s24", "int32"),
                                       ("wav_u8", "uint8"), ("flac", "float32")])
def test_normalize_false_gives_ffmpegs_native_type(fmt, dtype, backend):
    path = make_input(fmt, 2, 16000)
    expected, _ = decode_audio.load(path, normalize=False)
    waveform, _ = decode_audio.load(path, normalize=False, backend=backend)
    assert str(waveform.dtype) == f"torch.{dtype}" == str(expected.dtype)
    np.testing.assert_array_equal(waveform.numpy(), expected.numpy())


@needs_torch
@pytest.mark.parametrize("backend", OTHERS)
@pytest.mark.parametrize("channels_first", [True, False])
@pytest.mark.parametrize("fmt", ["flac", "wav_s16", "wav_s24"])
def test_windows_and_layouts_match_ffmpeg(backend, channels_first, fmt):
    path = make_input(fmt, 2, 16000)
    kw = dict(frame_offset=12345, num_frames=1000, channels_first=channels_first)
    expected, _ = decode_audio.load(path, **kw)
    waveform, _ = decode_audio.load(path, backend=backend, **kw)
    assert tuple(waveform.shape) == ((2, 1000) if channels_first else (1000, 2))
    np.testing.assert_array_equal(waveform.numpy(), expected.numpy())
    # a window past the end is empty, one reaching over it is cut
    tail, _ = decode_audio.load(path, backend=backend, frame_offset=15900, num_frames=500)
    assert tail.shape[1] == 100
    empty, _ = decode_audio.load(path, backend=backend, frame_offset=20000)
    assert empty.shape[1] == 0


def test_sox_decode_is_zero_copy_into_the_librarys_buffer():
    path = make_input("wav_s16", 2, 16000)
    before = live_buffers()
    audio = decode_audio.decode(path, backend="sox", dtype="int16", channels_first=True)
    assert isinstance(audio, decode_audio.Audio) and audio.shape == (2, 16000)
    array = audio.numpy()
    assert array.ctypes.data == audio.data_ptr and not array.flags.owndata
    np.testing.assert_array_equal(array, decode_audio.decode(path, dtype="int16",
                                                             channels_first=True).numpy())
    assert live_buffers() == before + 1
    del audio, array
    gc.collect()
    assert live_buffers() == before


def test_sox_decodes_in_parallel_threads():
    path = make_input("flac", 2, 44100)
    expected = decode_audio.decode(path).numpy()
    results = [None] * 4

    def run(i: int) -> None:
        results[i] = decode_audio.decode(path, backend="sox").numpy()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in results:
        np.testing.assert_array_equal(r, expected)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_sox_decodes_in_a_child_forked_while_another_thread_decodes():
    path = make_input("flac", 2, 44100)
    expected = decode_audio.decode(path).numpy()
    stop = threading.Event()

    def busy() -> None:
        while not stop.is_set():
            decode_audio.decode(path, backend="sox")

    t = threading.Thread(target=busy)
    t.start()
    try:
        for _ in range(3):
            pid = os.fork()
            if pid == 0:  # the child: exit 0 only if its decode is right, die if it hangs
                signal.alarm(20)
                ok = np.array_equal(decode_audio.decode(path, backend="sox").numpy(), expected)
                os._exit(0 if ok else 1)
            _, status = os.waitpid(pid, 0)
            assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    finally:
        stop.set()
        t.join()


# ---- the dispatcher ----

@pytest.mark.parametrize("src,fmt,chosen", [
    ("a.wav", None, "ffmpeg"),
    ("a.sph", None, "ffmpeg"),          # FFmpeg reads NIST SPHERE
    ("a.htk", None, "sox"),             # it does not read HTK
    ("a.bin", "htk", "sox"),
    ("http://example.com/a.htk", None, "ffmpeg"),
    (b"RIFF", None, "ffmpeg"),
])
def test_reading_picks_ffmpeg_first_then_what_can_read_the_format(src, fmt, chosen):
    assert _backends.for_reading(None, src, fmt, {}) == chosen


@pytest.mark.parametrize("dst,fmt,chosen", [
    ("a.wav", None, "ffmpeg"), ("a.flac", None, "ffmpeg"), ("a.m4a", None, "ffmpeg"),
    ("a.sph", None, "sox"), ("a.amb", None, "sox"), ("a.htk", None, "sox"),
    ("a.out", "htk", "sox"), ("a.rf64", None, "soundfile"),
])
def test_writing_picks_ffmpeg_first_then_what_can_write_the_format(dst, fmt, chosen):
    assert _backends.for_writing(None, dst, fmt) == chosen


@pytest.fixture
def without(monkeypatch):
    """Makes the named backends unavailable for a test."""
    def hide(*names: str) -> None:
        for name in names:
            monkeypatch.setitem(_backends.BACKENDS, name, dataclasses.replace(
                _backends.BACKENDS[name], available=lambda: False))
    return hide


def test_without_sox_htk_goes_to_soundfile_then_nowhere(without):
    without("sox")
    assert decode_audio.list_audio_backends() == ["ffmpeg", "soundfile"]
    assert _backends.for_reading(None, "a.htk", None, {}) == "soundfile"
    assert _backends.for_writing(None, "a.htk", None) == "soundfile"
    without("soundfile")
    with pytest.raises(RuntimeError, match="no available backend .*'a.htk'"):
        _backends.for_reading(None, "a.htk", None, {})
    with pytest.raises(ValueError, match="can write format 'htk'"):
        _backends.for_writing(None, "a.htk", None)


def test_options_only_ffmpeg_takes_leave_no_backend_for_htk():
    with pytest.raises(RuntimeError, match="sample_rate=8000"):
        _backends.for_reading(None, "a.htk", None, {"sample_rate": 8000})
    with pytest.raises(RuntimeError, match="out=<ndarray>"):
        decode_audio.decode("a.htk", out=np.zeros((10, 1), np.float32))


def test_an_unavailable_backend_named_explicitly_is_a_value_error(without, tmp_path):
    without("sox")
    path = make_input("wav_s16", 1, 8000)
    with pytest.raises(ValueError, match="'sox' is not available .*without libsox"):
        decode_audio.load(path, backend="sox")
    with pytest.raises(ValueError, match="available: \\['ffmpeg', 'soundfile'\\]"):
        decode_audio.info(path, backend="sox")
    with pytest.raises(ValueError, match="not available"):
        decode_audio.save(tmp_path / "x.wav", np.zeros((1, 10), np.float32), 8000,
                          backend="sox")
    assert list(tmp_path.iterdir()) == []


def test_an_unavailable_soundfile_named_explicitly_says_how_to_get_it(without):
    without("soundfile")
    path = make_input("wav_s16", 1, 8000)
    with pytest.raises(ValueError, match="'soundfile' is not available .*pip install soundfile"):
        decode_audio.load(path, backend="soundfile")
    assert decode_audio.list_audio_backends() == ["ffmpeg", "sox"]


@needs_torch
def test_misuse_of_the_other_backends_raises_value_errors_before_writing(tmp_path):
    x = np.zeros((1, 100), np.float32)
    path = make_input("wav_s16", 1, 8000)
    for call, message in (
        (lambda: decode_audio.info("http://127.0.0.1:9/a.wav", backend="sox"), "not URLs"),
        (lambda: decode_audio.save(tmp_path / "noext", x, 8000, backend="sox"),
         "cannot tell the format of .*noext"),
        (lambda: decode_audio.save(io.BytesIO(), x, 8000, backend="soundfile"),
         "format is required"),
        (lambda: decode_audio.save(tmp_path / "a.xyz", x, 8000, backend="soundfile"),
         "libsndfile does not write XYZ; its formats: .*WAV"),
        (lambda: decode_audio.save(tmp_path / "a.wav", x, 8000, backend="soundfile",
                                   encoding="PCM_U", bits_per_sample=16),
         "cannot write WAV with encoding=PCM_U and bits_per_sample=16"),
        (lambda: decode_audio.load(path, backend="soundfile", dtype="int8"),
         "loads float32, float64, int16, int32 or uint8; got dtype int8"),
    ):
        with pytest.raises(ValueError, match=message):
            call()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("backend", ["nope", "FFMPEG", 3])
def test_an_unknown_backend_is_a_value_error(backend):
    with pytest.raises(ValueError, match="backend must be one of 'ffmpeg', 'sox', 'soundfile'"):
        decode_audio.info(make_input("wav_s16", 1, 8000), backend=backend)


def _file_likes():
    data = open(make_input("wav_s16", 1, 8000), "rb").read()
    return [data, bytearray(data), io.BytesIO(data)]


@pytest.mark.parametrize("which", [0, 1, 2])
def test_sox_refuses_bytes_and_file_likes_saying_so(which, tmp_path):
    src = _file_likes()[which]
    for call in (lambda: decode_audio.info(src, backend="sox"),
                 lambda: decode_audio.load(src, backend="sox"),
                 lambda: decode_audio.decode(src, backend="sox")):
        with pytest.raises(ValueError, match="sox backend takes paths only, not file-like"):
            call()
    with pytest.raises(ValueError, match="paths only"):
        decode_audio.save(io.BytesIO(), np.zeros((1, 10), np.float32), 8000, format="wav",
                          backend="sox")


@pytest.mark.parametrize("option", [{"sample_rate": 8000}, {"num_channels": 1},
                                    {"filter_desc": "volume=2"}, {"stream_index": 0},
                                    {"resample_quality": "high"},
                                    {"out": np.zeros((16000, 2), np.float32)}])
def test_sox_refuses_what_only_ffmpeg_does(option):
    path = make_input("wav_s16", 2, 16000)
    with pytest.raises(ValueError, match=f"sox backend does not take {next(iter(option))}"):
        decode_audio.decode(path, backend="sox", **option)


def test_soundfile_refuses_streams_it_cannot_seek():
    data = open(make_input("wav_s16", 1, 8000), "rb").read()
    with pytest.raises(ValueError, match="seekable file-like objects only"):
        decode_audio.info(NonSeekable(data), backend="soundfile")
    assert decode_audio.info(NonSeekable(data)).num_frames == 8000  # FFmpeg reads it


def test_soundfile_refuses_decode_and_urls():
    path = make_input("wav_s16", 1, 8000)
    with pytest.raises(ValueError, match="use load\\(\\), or backend='ffmpeg' or 'sox'"):
        decode_audio.decode(path, backend="soundfile")
    with pytest.raises(ValueError, match="not URLs"):
        decode_audio.info("http://127.0.0.1:9/a.wav", backend="soundfile")


def test_sox_errors_name_the_source_and_the_reason(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.wav"):
        decode_audio.load(str(tmp_path / "missing.wav"), backend="sox")
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"RIFF" + bytes(200))
    with pytest.raises(decode_audio.DecodeAudioError, match=f"sox open '{junk}': .+"):
        decode_audio.info(junk, backend="sox")


def test_sox_takes_a_path_as_a_file_name_never_a_pipe_or_stdin(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in (f"|touch {tmp_path}/ran", "-"):
        with pytest.raises(FileNotFoundError):
            decode_audio.info(name, backend="sox")
    assert not (tmp_path / "ran").exists()
    # a file really named like that is read
    path = make_input("wav_s16", 1, 8000)
    os.symlink(path, tmp_path / "-")
    assert decode_audio.info("-", backend="sox").num_frames == 8000


def test_libsox_prints_nothing(tmp_path):
    code = ("import decode_audio, sys\n"
            "open('bad.htk', 'wb').write(b'\\x80' * 40)\n"
            "for b in ('bad.htk', 'nothing.wav'):\n"
            "    try: decode_audio.decode(b, backend='sox')\n"
            "    except Exception as e: print(type(e).__name__)\n")
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"))
    if env.get("DECODE_AUDIO_LIBRARY"):  # the sanitizer build, named from the repository
        env["DECODE_AUDIO_LIBRARY"] = os.path.join(ROOT, env["DECODE_AUDIO_LIBRARY"])
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                       cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["DecodeAudioError", "DecodeAudioFileNotFoundError"]
    assert r.stderr == ""


# ---- SoX-only formats and save options ----

def test_sox_utils_list_what_libsox_reads_and_writes():
    from decode_audio import sox_utils

    assert sox_utils.is_available()
    reads, writes = sox_utils.list_read_formats(), sox_utils.list_write_formats()
    for name in ("htk", "sph", "amb", "wav", "flac", "mp3", "ogg", "8svx"):
        assert name in reads and name in writes
    # libsox-fmt-all's plugins: MP3 through libmad/LAME, formats through libsndfile
    assert "mat5" in writes and "opus" not in writes


def test_sox_utils_say_when_libsox_is_missing(without):
    from decode_audio import sox_utils

    without("sox")
    assert not sox_utils.is_available()
    with pytest.raises(RuntimeError, match="built without libsox"):
        sox_utils.list_read_formats()


def _tones(channels: int, frames: int) -> np.ndarray:
    t = np.arange(frames) / 16000
    x = np.stack([0.5 * np.sin(2 * np.pi * 220 * (c + 1) * t) for c in range(channels)])
    return np.round(x * 32767).astype(np.int16)


@needs_torch
@pytest.mark.parametrize("fmt,channels", [("sph", 1), ("sph", 2), ("amb", 4), ("htk", 1),
                                          ("wav", 2), ("au", 2)])
def test_sox_formats_round_trip_exactly(fmt, channels, tmp_path):
    x = _tones(channels, 4000)
    path = tmp_path / f"out.{fmt}"
    decode_audio.save(path, x, 16000, backend="sox")
    meta = decode_audio.info(path, backend="sox")
    assert (meta.sample_rate, meta.num_frames, meta.num_channels, meta.bits_per_sample,
            meta.encoding) == (16000, 4000, channels, 16, "PCM_S")
    waveform, rate = decode_audio.load(path, backend="sox", normalize=False)
    assert rate == 16000 and str(waveform.dtype) == "torch.int16"
    np.testing.assert_array_equal(waveform.numpy(), x)
    if fmt != "htk":  # FFmpeg reads what sox wrote, as the CLI decodes it
        raw = ffmpeg("-i", str(path), "-f", "s16le", "-")
        np.testing.assert_array_equal(np.frombuffer(raw, np.int16).reshape(-1, channels).T, x)


def test_htk_header_is_big_endian_waveform(tmp_path):
    path = tmp_path / "out.htk"
    decode_audio.save(path, _tones(1, 4000), 16000)  # the dispatcher's choice: sox
    samples, period, size, kind = struct.unpack(">iihh", path.read_bytes()[:12])
    assert (samples, period, size, kind) == (4000, 625, 2, 0)
    assert path.stat().st_size == 12 + 2 * 4000


@needs_torch
@pytest.mark.parametrize("encoding,bits,dtype,codec", [
    ("PCM_S", 24, "int32", "pcm_s24le"), ("PCM_S", 32, "int32", "pcm_s32le"),
    ("PCM_U", 8, "uint8", "pcm_u8"), ("PCM_F", 32, "float32", "pcm_f32le"),
    ("ULAW", 8, "float32", "pcm_mulaw"), ("ALAW", 8, "float32", "pcm_alaw"),
])
def test_sox_save_takes_encoding_and_bits(encoding, bits, dtype, codec, tmp_path):
    path = tmp_path / "out.wav"
    x = _tones(2, 1000).astype(np.float32) / 32768
    decode_audio.save(path, x, 16000, encoding=encoding, bits_per_sample=bits, backend="sox")
    meta = decode_audio.info(path)  # FFmpeg's reading of what sox wrote
    assert (meta.codec, meta.encoding, meta.bits_per_sample) == (codec, encoding, bits)
    waveform, _ = decode_audio.load(path, normalize=False, backend="sox")
    assert str(waveform.dtype) == f"torch.{dtype}"
    back, _ = decode_audio.load(path, backend="sox")
    # a step of the 8-bit logarithmic codes at 0.5 is 1/64
    tol = {"ULAW": 1 / 60, "ALAW": 1 / 60, "PCM_U": 1 / 128}.get(encoding, 1e-7)
    np.testing.assert_allclose(back.numpy(), x, rtol=0, atol=tol)


def test_sox_flac_compression_changes_the_size_not_the_samples(tmp_path):
    x = _tones(2, 16000)
    sizes = {}
    for level in (0, 8):
        path = tmp_path / f"c{level}.flac"
        decode_audio.save(path, x, 16000, backend="sox", compression=level)
        sizes[level] = path.stat().st_size
        np.testing.assert_array_equal(
            decode_audio.decode(path, dtype="int16", channels_first=True).numpy(), x)
    assert sizes[8] < sizes[0]


def test_sox_save_rejects_bad_arguments_before_writing(tmp_path):
    x = _tones(1, 100)
    for kw, message in (({"encoding": "PCM_X"}, "encoding must be"),
                        ({"bits_per_sample": 12}, "bits_per_sample must be"),
                        ({"compression": "high"}, "as a number")):
        with pytest.raises(ValueError, match=message):
            decode_audio.save(tmp_path / "x.wav", x, 16000, backend="sox", **kw)
    # libsox would quietly write 16-bit PCM instead
    for kw in ({"encoding": "PCM_F"}, {"bits_per_sample": 24}):
        with pytest.raises(decode_audio.DecodeAudioError,
                           match=f"^sox save '{tmp_path / 'x.htk'}': htk cannot hold encoding "
                                 ".* would write PCM_S, 16 bits"):
            decode_audio.save(tmp_path / "x.htk", _tones(1, 100), 16000, backend="sox", **kw)
    assert list(tmp_path.iterdir()) == []


# ---- soundfile ----

@needs_torch
def test_soundfile_reads_and_writes_file_likes(tmp_path):
    x = _tones(2, 3000)
    buf = io.BytesIO()
    decode_audio.save(buf, x, 16000, format="flac", backend="soundfile")
    buf.seek(0)
    meta = decode_audio.info(buf, backend="soundfile")
    assert buf.tell() == 0 and (meta.num_frames, meta.encoding, meta.container) == (
        3000, "FLAC", "flac")
    waveform, rate = decode_audio.load(buf, backend="soundfile", normalize=False,
                                       dtype="int16")
    np.testing.assert_array_equal(waveform.numpy(), x)
    # FFmpeg decodes what libsndfile wrote to the same samples
    np.testing.assert_array_equal(
        decode_audio.decode(buf.getvalue(), dtype="int16", channels_first=True).numpy(), x)


@needs_torch
def test_soundfile_save_follows_torchaudios_defaults_and_ffmpegs_encodings(tmp_path):
    x = _tones(1, 2000).astype(np.float32) / 32768
    # the default follows the dtype, as torchaudio's soundfile backend
    # (tests/test_torchaudio_dropin.py)
    for encoding, bits, codec in ((None, None, "pcm_f32le"), ("PCM_S", 24, "pcm_s24le"),
                                  ("PCM_F", 32, "pcm_f32le"), ("ULAW", None, "pcm_mulaw")):
        path = tmp_path / "out.wav"
        decode_audio.save(path, x, 8000, encoding=encoding, bits_per_sample=bits,
                          backend="soundfile")
        assert decode_audio.info(path).codec == codec
    with pytest.raises(ValueError, match="compression only for FLAC"):
        decode_audio.save(tmp_path / "y.wav", x, 8000, backend="soundfile", compression=3)


@needs_torch
def test_soundfile_saves_and_loads_8_bit_unsigned_samples_exactly(tmp_path):
    x = np.arange(256, dtype=np.uint8).reshape(2, 128)
    path = tmp_path / "u8.wav"
    decode_audio.save(path, x, 8000, encoding="PCM_U", bits_per_sample=8, backend="soundfile")
    assert decode_audio.info(path).codec == "pcm_u8"
    np.testing.assert_array_equal(
        decode_audio.decode(path, dtype="uint8", channels_first=True).numpy(), x)
    waveform, _ = decode_audio.load(path, normalize=False, backend="soundfile")
    assert str(waveform.dtype) == "torch.uint8"
    np.testing.assert_array_equal(waveform.numpy(), x)


def test_the_dispatcher_saves_files_that_every_backend_reads_alike(tmp_path):
    x = _tones(2, 2000)
    path = tmp_path / "a.flac"
    decode_audio.save(path, x, 16000)
    metas = [decode_audio.info(path, backend=b) for b in decode_audio.list_audio_backends()]
    assert len(metas) == 3
    for m in metas:
        assert tuple(getattr(m, f) for f in INFO_FIELDS) == (16000, 2000, 2, 16, "FLAC")

