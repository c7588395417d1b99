"""The fast paths give the same bytes as the general FFmpeg path: the native PCM WAV reader
(csrc/pcm.c), the native MP3 reader (csrc/mp3.c) and the demuxer named from a path's extension
and first bytes (csrc/sniff.c).

DECODE_AUDIO_FAST_PATHS=0 turns them off; each case decodes both ways and compares shape, type,
rate and bytes. Inputs the fast paths must leave to FFmpeg (compressed audio hiding in a PCM
payload, RF64, resampling, misnamed files, ...) are compared the same way.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import struct
import time

import numpy as np
import pytest

from conftest import CACHE, ffmpeg, make_input

import decode_audio

WAV_FORMATS = ("wav_s16", "wav_s24", "wav_s32", "wav_f32", "wav_u8", "wav_ulaw", "wav_alaw")
OPTIONS = [
    {},
    {"dtype": "int16"},
    {"dtype": "int8"},
    {"dtype": "uint8"},
    {"dtype": "int32"},
    {"dtype": "float64"},
    {"channels_first": True},
    {"channels_first": True, "dtype": "int16", "frame_offset": 777, "num_frames": 5000},
    {"frame_offset": 1000, "num_frames": 300},
    {"frame_offset": 15990, "num_frames": 300},
    {"frame_offset": 20000},
    {"num_frames": 0},
    {"sample_rate": 16000, "num_channels": None},
]


def both(src, **kwargs):
    """(native, general) decodes of src."""
    native = decode_audio.decode(src, **kwargs)
    os.environ["DECODE_AUDIO_FAST_PATHS"] = "0"
    try:
        general = decode_audio.decode(src, **kwargs)
    finally:
        del os.environ["DECODE_AUDIO_FAST_PATHS"]
    return native, general


def outcome(src, native=True):
    """The decode of src, or the message it fails with."""
    if not native:
        os.environ["DECODE_AUDIO_FAST_PATHS"] = "0"
    try:
        return decode_audio.decode(src)
    except decode_audio.DecodeAudioError as e:
        return str(e)
    finally:
        os.environ.pop("DECODE_AUDIO_FAST_PATHS", None)


def assert_same(native, general):
    a, b = native.numpy(), general.numpy()
    assert (a.shape, a.dtype, native.sample_rate) == (b.shape, b.dtype, general.sample_rate)
    assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize("fmt", WAV_FORMATS)
@pytest.mark.parametrize("channels", (1, 2, 6))
def test_wav_matrix_equals_general_path(fmt, channels):
    path = make_input(fmt, channels, 16000)
    for kwargs in OPTIONS:
        assert_same(*both(path, **{k: v for k, v in kwargs.items() if v is not None}))
    with open(path, "rb") as f:
        data = f.read()
    assert_same(*both(data, channels_first=True, frame_offset=100, num_frames=4000))


@pytest.mark.parametrize("fmt", WAV_FORMATS)
def test_native_integer_type_equals_general_path(fmt, monkeypatch):
    path = make_input(fmt, 2, 8000)
    native, _ = decode_audio.load(path, normalize=False)
    monkeypatch.setenv("DECODE_AUDIO_FAST_PATHS", "0")
    general, _ = decode_audio.load(path, normalize=False)
    assert native.dtype == general.dtype
    assert native.numpy().tobytes() == general.numpy().tobytes()


def test_native_path_is_taken():
    """The reason for the native path: a 1 s WAV decodes several times faster without
    libavformat (medians of interleaved calls, so machine load affects both alike)."""
    path = make_input("wav_s16", 1, 16000)
    native, general = [], []
    for _ in range(30):
        for env, times in ((None, native), ("0", general)):
            if env is not None:
                os.environ["DECODE_AUDIO_FAST_PATHS"] = env
            t = time.perf_counter()
            decode_audio.decode(path)
            times.append(time.perf_counter() - t)
            os.environ.pop("DECODE_AUDIO_FAST_PATHS", None)
    assert np.median(native) * 3 < np.median(general)


def _wrap_as_pcm(name: str, codec_args: list, fmt: str) -> str:
    """A 16-bit stereo WAV whose payload is another codec's bitstream, as DTS-in-WAV is."""
    os.makedirs(CACHE, exist_ok=True)
    raw = os.path.join(CACHE, f"hidden_{name}.{fmt}")
    out = os.path.join(CACHE, f"hidden_{name}.wav")
    if not os.path.exists(out):
        ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=1", "-ac", "2",
               *codec_args, "-f", fmt, raw)
        ffmpeg("-f", "s16le", "-ar", "48000", "-ac", "2", "-i", raw, "-c:a", "copy", out)
    return out


@pytest.mark.parametrize("name, codec_args, fmt, codec", [
    ("ac3", ["-c:a", "ac3"], "ac3", "ac3"),
    ("mp3", ["-c:a", "libmp3lame"], "mp3", "mp3"),
    ("dts", ["-c:a", "dca", "-strict", "-2"], "dts", "dts"),
    ("spdif", ["-c:a", "ac3"], "spdif", "ac3"),
])
def test_hidden_compressed_payload_is_left_to_ffmpeg(name, codec_args, fmt, codec):
    path = _wrap_as_pcm(name, codec_args, fmt)
    assert decode_audio.info(path).codec == codec
    native, general = both(path)
    assert_same(native, general)
    # decoded as the codec, not as the noise its bytes make as PCM
    assert native.num_frames != os.path.getsize(path) // 4


def _riff(chunks) -> bytes:
    body = b"WAVE" + b"".join(tag + struct.pack("<I", len(data)) + data + b"\0" * (len(data) & 1)
                              for tag, data in chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _fmt(tag=1, channels=2, rate=8000, bits=16, extra=b""):
    align = channels * bits // 8
    return struct.pack("<HHIIHH", tag, channels, rate, rate * align, align, bits) + extra


def test_odd_headers_equal_general_path(tmp_path):
    rng = np.random.default_rng(0)
    samples = (rng.standard_normal(4000) * 3000).astype("<i2").tobytes()
    guid_tail = bytes.fromhex("000010008000 00aa00389b71".replace(" ", ""))
    cases = {
        "list_after_data": [(b"fmt ", _fmt()), (b"data", samples),
                            (b"LIST", b"INFOISFT\4\0\0\0abc\0")],
        "two_data_chunks": [(b"fmt ", _fmt()), (b"data", samples[:4000]),
                            (b"data", samples[4000:])],
        "odd_data_u8": [(b"fmt ", _fmt(channels=1, bits=8)), (b"data", samples[:4001]),
                        (b"LIST", b"INFO")],
        "partial_frame": [(b"fmt ", _fmt()), (b"data", samples[:4002])],
        "fmt_after_junk": [(b"junk", b"x" * 7), (b"fmt ", _fmt()), (b"data", samples)],
        "waveformat_14": [(b"fmt ", _fmt(channels=1, bits=8)[:14]), (b"data", samples)],
        "extensible_24_in_32": [(b"fmt ", _fmt(tag=0xFFFE, bits=32, extra=struct.pack(
            "<HHI", 22, 24, 3) + struct.pack("<I", 1) + guid_tail)), (b"data", samples)],
        "extensible_odd_mask": [(b"fmt ", _fmt(tag=0xFFFE, extra=struct.pack(
            "<HHI", 22, 16, 7) + struct.pack("<I", 1) + guid_tail)), (b"data", samples)],
        "extensible_float": [(b"fmt ", _fmt(tag=0xFFFE, bits=32, extra=struct.pack(
            "<HHI", 22, 32, 3) + struct.pack("<I", 3) + guid_tail)),
            (b"data", np.linspace(-1, 1, 2000, dtype="<f4").tobytes())],
        "bits_12": [(b"fmt ", _fmt(bits=12)[:12] + struct.pack("<HH", 4, 12)), (b"data", samples)],
    }
    for name, chunks in cases.items():
        path = tmp_path / f"{name}.wav"
        path.write_bytes(_riff(chunks))
        native, general = outcome(str(path)), outcome(str(path), native=False)
        if isinstance(native, str) or isinstance(general, str):
            assert native == general, name  # both fail, with the same message
        else:
            assert_same(native, general)
    # a data size larger than the file (a truncated recording): both read what is there
    data = bytearray(_riff([(b"fmt ", _fmt()), (b"data", samples)]))
    data[40:44] = struct.pack("<I", 1 << 30)
    truncated = tmp_path / "truncated.wav"
    truncated.write_bytes(bytes(data))
    native, general = both(str(truncated))
    assert_same(native, general)
    assert native.num_frames == 2000


@pytest.mark.parametrize("bits, tag, dtype", [(32, 3, "<f4"), (64, 3, "<f8"), (32, 1, "<i4")])
def test_unaligned_samples_equal_general_path(bits, tag, dtype, tmp_path):
    """Samples at an offset that is not a multiple of their size (a 6-byte chunk before the
    data, as an odd LIST chunk makes, or bytes read in place at an odd address) are staged
    in aligned memory before the conversion loops read them."""
    rng = np.random.default_rng(1)
    samples = (rng.standard_normal(6000) * (0.3 if tag == 3 else 2**28)).astype(dtype)
    wav = _riff([(b"fmt ", _fmt(tag=tag, bits=bits)), (b"junk", b"abcdef"),
                 (b"data", samples.tobytes())])
    path = tmp_path / "unaligned.wav"
    path.write_bytes(wav)
    native, general = both(str(path))
    assert_same(native, general)
    assert general.num_frames == 3000
    if dtype == "<f4":
        assert np.array_equal(native.numpy().reshape(-1), samples)
    shifted = memoryview(bytearray(b"\0" + wav))[1:]
    assert_same(*both(shifted, dtype="int16", channels_first=True))
    assert_same(*both(shifted, frame_offset=1001, num_frames=999))


def test_rf64_resampling_and_remixing_use_ffmpeg(tmp_path):
    src = make_input("wav_s16", 2, 16000)
    rf64 = str(tmp_path / "rf64.wav")
    ffmpeg("-i", src, "-c:a", "pcm_s16le", "-rf64", "always", rf64)
    assert_same(*both(rf64))
    assert_same(*both(src, sample_rate=8000))
    assert_same(*both(src, num_channels=1))
    assert_same(*both(src, sample_rate=8000, frame_offset=100, num_frames=1000))


@pytest.mark.parametrize("fmt", ("mp3", "flac", "vorbis", "opus", "aac", "wav_s16"))
def test_named_demuxer_equals_probing(fmt):
    src = make_input(fmt, 2, 48000)
    assert_same(*both(src))
    assert_same(*both(src, frame_offset=1000, num_frames=5000))
    assert_same(*both(src, dtype="int16", sample_rate=16000))


@pytest.mark.parametrize("fmt, wrong", [("wav_s16", "mp3"), ("flac", "ogg"), ("mp3", "m4a"),
                                        ("vorbis", "flac"), ("aac", "mp3"), ("mp3", "wav")])
def test_misnamed_files_are_probed(fmt, wrong, tmp_path):
    src = make_input(fmt, 2, 44100 if fmt != "vorbis" else 48000)
    misnamed = str(tmp_path / f"audio.{wrong}")
    shutil.copy(src, misnamed)
    a, b = decode_audio.decode(misnamed).numpy(), decode_audio.decode(src).numpy()
    assert a.shape == b.shape and a.tobytes() == b.tobytes()
    assert_same(*both(misnamed))


@pytest.mark.parametrize("fmt", ("mp3", "flac", "vorbis", "opus", "aac", "wav_s16"))
def test_info_equals_probing(fmt, monkeypatch):
    src = make_input(fmt, 2, 48000)
    fast = decode_audio.info(src)
    monkeypatch.setenv("DECODE_AUDIO_FAST_PATHS", "0")
    assert decode_audio.info(src) == fast


def test_vorbis_windows_entered_by_seeking_equal_full_decode(tmp_path):
    """Seekable Ogg Vorbis is entered by seeking 16384 frames before the window; the first
    frames are placed once two timestamps agree. Windows equal a full decode's frames."""
    pink = str(tmp_path / "pink_q0.ogg")
    ffmpeg("-f", "lavfi", "-i", "anoisesrc=color=pink:r=44100:d=12", "-ac", "2", "-c:a",
           "libvorbis", "-q:a", "0", pink)
    rng = np.random.default_rng(7)
    for path in (make_input("vorbis", 6, 48000, 12.0), make_input("vorbis", 1, 8000, 12.0), pink):
        full = decode_audio.decode(path).numpy()
        offsets = [1, 2047, 2048, 16383, 16384, 16385, len(full) - 5,
                   *rng.integers(0, len(full), 12).tolist()]
        for offset in offsets:
            for count in (1, 3000):
                window = decode_audio.decode(path, frame_offset=offset, num_frames=count).numpy()
                assert window.tobytes() == full[offset:offset + count].tobytes(), (path, offset)


# The native MP3 path (csrc/mp3.c): MP3 files with a LAME tag, cut into frames by their headers
# and decoded without libavformat; files it is not sure of are left to FFmpeg.
MP3_ENCODINGS = [
    (16000, 1, ["-b:a", "192k"]), (44100, 2, ["-b:a", "128k"]), (48000, 2, ["-q:a", "2"]),
    (22050, 1, ["-b:a", "32k"]), (8000, 1, ["-b:a", "16k"]), (32000, 2, ["-q:a", "6"]),
    (44100, 1, ["-b:a", "320k"]), (24000, 2, ["-b:a", "64k"]), (11025, 2, ["-b:a", "24k"]),
]
MP3_OPTIONS = [{}, {"dtype": "int16"}, {"dtype": "float64", "channels_first": True},
               {"num_frames": 1000}, {"num_frames": 0}, {"channels_first": True, "num_frames": 7},
               {"frame_offset": 500, "num_frames": 300}, {"sample_rate": 16000}]


def mp3_input(rate: int, channels: int, args: list, seconds: float, extra: tuple = ()) -> str:
    os.makedirs(CACHE, exist_ok=True)
    key = hashlib.sha1(repr((rate, channels, args, seconds, extra)).encode()).hexdigest()[:10]
    path = os.path.join(CACHE, f"native_mp3_{rate}_{channels}_{key}.mp3")
    if not os.path.exists(path):
        tmp = path + f".{os.getpid()}.mp3"
        ffmpeg("-f", "lavfi", "-i",
               f"aevalsrc=0.3*sin(2*PI*440*t)+0.05*random(0):s={rate}:d={seconds}",
               "-ac", str(channels), "-c:a", "libmp3lame", *args, *extra, tmp)
        os.replace(tmp, path)
    return path


@pytest.mark.parametrize("rate,channels,args", MP3_ENCODINGS)
def test_mp3_matrix_equals_general_path(rate, channels, args):
    for seconds in (0.05, 1, 3.3):
        path = mp3_input(rate, channels, args, seconds)
        for kwargs in MP3_OPTIONS:
            assert_same(*both(path, **kwargs))


@pytest.mark.parametrize("extra", [
    ("-id3v2_version", "3", "-metadata", "title=a title", "-write_id3v1", "1"),
    ("-id3v2_version", "4", "-metadata", "artist=" + "x" * 3000),
    ("-write_xing", "0"),
    ("-id3v2_version", "0", "-write_id3v1", "1"),
])
def test_mp3_tags_equal_general_path(extra):
    path = mp3_input(44100, 2, ["-b:a", "96k"], 1.3, extra)
    for kwargs in MP3_OPTIONS:
        assert_same(*both(path, **kwargs))


@pytest.mark.parametrize("rate,channels,args", MP3_ENCODINGS + [(24000, 1, ["-b:a", "8k"])])
def test_mp3_windows_equal_full_decode(rate, channels, args):
    """Windows on the native path start a fresh decoder a preroll before them that covers the
    bit reservoir's reach: they are the same frames of the full decode at every offset, near
    the start, past 16 frames, in the middle and at the end (8 kbit/s at 24 kHz has frames of
    24 bytes, 11 of them main data), and the general path's bytes where it skips packets."""
    path = mp3_input(rate, channels, args, 3.3)
    full = decode_audio.decode(path).numpy()
    spf = 1152 if rate >= 32000 else 576
    n = len(full)
    rng = np.random.default_rng(rate)
    offsets = [1, 46, 47, 600, 3 * spf + 7, 16 * spf - 1, 16 * spf, 16 * spf + 1, 17 * spf + 5,
               n - 1000, n - 1, *rng.integers(1, n, 12).tolist()]
    for offset in offsets:
        for count in (1, 3000, -1):
            window = decode_audio.decode(path, frame_offset=offset, num_frames=count).numpy()
            end = n if count < 0 else offset + count
            assert window.tobytes() == full[offset:end].tobytes(), (path, offset, count)
        # the general path's preroll covers the reservoir of the smallest frames too
        if offset >= 16 * spf:
            for kwargs in ({}, {"dtype": "int16", "channels_first": True}):
                assert_same(*both(path, frame_offset=offset, num_frames=2000, **kwargs))
    # past the end: FFmpeg decides, as for any input
    assert_same(*both(path, frame_offset=n + 10))


def test_mp3_mapped_file_equals_general_path():
    """A file over the size read whole is mapped, its frames copied out one at a time."""
    path = mp3_input(44100, 2, ["-b:a", "320k"], 110)
    assert os.path.getsize(path) > 4 << 20
    for kwargs in ({}, {"dtype": "int16", "channels_first": True}, {"num_frames": 44100},
                   {"frame_offset": 3_000_000, "num_frames": 1000}):
        assert_same(*both(path, **kwargs))


def test_mp3_more_frames_than_the_tag_counts(tmp_path):
    """Frames of the same kind appended after those the Xing tag counts: the native path
    leaves the full decode to FFmpeg, and its windows inside the counted frames are still the
    same frames of the full decode."""
    tagged = open(mp3_input(44100, 2, ["-b:a", "128k"], 3.3), "rb").read()
    bare = open(mp3_input(44100, 2, ["-b:a", "128k"], 1.3,
                          ("-write_xing", "0", "-id3v2_version", "0")), "rb").read()
    path = tmp_path / "more.mp3"
    path.write_bytes(tagged + bare)
    assert_same(*both(str(path)))
    full = decode_audio.decode(str(path)).numpy()
    for offset in (30000, 100000, 140000):
        window = decode_audio.decode(str(path), frame_offset=offset, num_frames=1000).numpy()
        assert window.tobytes() == full[offset:offset + 1000].tobytes(), offset


def test_mp3_damaged_or_extended_equals_general_path(tmp_path):
    """Bytes after the frames, a frame cut short, junk between frames: FFmpeg decides."""
    data = open(mp3_input(44100, 2, ["-b:a", "128k"], 1), "rb").read()
    variants = {
        "trailing": data + b"junk" * 50,
        "cut": data[:-100],
        "junk": data[:5000] + b"\0" * 37 + data[5000:],
        "apetag": data + b"APETAGEX" + b"\0" * 24,
    }
    for name, payload in variants.items():
        path = tmp_path / f"{name}.mp3"
        path.write_bytes(payload)
        native, general = outcome(str(path)), outcome(str(path), native=False)
        if isinstance(native, str) or isinstance(general, str):
            assert native == general, name
        else:
            assert_same(native, general)


@pytest.mark.parametrize("rate,channels,args", [(24000, 1, ["-b:a", "8k"]),
                                                (22050, 2, ["-b:a", "16k"])])
def test_mp3_windows_of_small_frames_from_bytes_equal_full_decode(rate, channels, args):
    """Bytes and file-likes take the general path, which skips packets to a preroll it cannot
    measure: at 8-16 kbit/s an MPEG-2 frame holds a few bytes of main data, so the bit
    reservoir reaches back further than 16 frames, and the preroll must say so."""
    path = mp3_input(rate, channels, args, 6)
    full = decode_audio.decode(path).numpy()
    data = open(path, "rb").read()
    n = len(full)
    for offset in [1, 16 * 576 + 3, 30 * 576, n // 3, n // 2 + 11, n - 700]:
        for src in (data, io.BytesIO(data)):
            window = decode_audio.decode(src, frame_offset=offset, num_frames=600).numpy()
            assert window.tobytes() == full[offset:offset + 600].tobytes(), (offset, type(src))
