"""The exactness promises on files FFmpeg did not write (tests/realworld.py makes them):
decode() equals the CLI, and info(), windows and streams agree with decode(), from a path,
from bytes and from a non-seekable file-like."""

from __future__ import annotations

import pathlib
import subprocess

import numpy as np
import pytest

from conftest import NonSeekable

import realworld

import decode_audio
from decode_audio import DecodeAudioError

DIR = realworld.cache_dir()
ENTRIES = realworld.build(DIR)
NAMES = sorted(ENTRIES)

# MP4 states where its stream ends; the CLI also outputs the encoder's end padding (README,
# "Lengths"), so samples are compared over decode_audio's length.
TRIMMED_BY_CONTAINER = {"aac/mp4", "aac/3gp"}


# Vorbis streams whose first audio page is also their last: the frames that page's granule
# position gives. The CLI gives 47872, 128 and 384: FFmpeg 5.1 takes the first packet, which
# decodes to nothing, to be a block of audio, and trims the end by that block too many (or,
# where that is more than the last packet holds, not at all).
OGG_ONE_PAGE = {"sox_vorbis_48000.ogg": 48000, "sox_vorbis_4.ogg": 4, "oggenc_short.ogg": 300}

# FFmpeg 5.1 reads a RIFX WAV's PCM as little-endian; the CLI is told the true codec.
CLI_DECODER = {"pcm_s24be/wav": ["-c:a", "pcm_s24be"]}


def cli(path: str, kind: str = "") -> np.ndarray:
    out = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", *CLI_DECODER.get(kind, []), "-i",
                          path, "-f", "f32le", "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(out, np.float32)


_full = {}


def full(name: str) -> np.ndarray:
    if name not in _full:
        _full[name] = decode_audio.decode(realworld.path_of(name, DIR)).numpy()
    return _full[name]


def test_corpus_is_big_enough():
    kinds = {e.kind for e in ENTRIES.values()}
    assert len(ENTRIES) >= 60 and len(kinds) >= 15, (len(ENTRIES), sorted(kinds))
    assert len(ENTRIES) == len(realworld.CORPUS), "some files could not be made"


@pytest.mark.parametrize("name", NAMES)
def test_decode_equals_cli(name):
    e = ENTRIES[name]
    got = full(name)
    expected = cli(realworld.path_of(name, DIR), e.kind)
    data = got.reshape(-1)
    if name in OGG_ONE_PAGE:
        # the page's granule position ends the stream (Vorbis I, A.2), which FFmpeg 5.1
        # misses by a block here: samples are compared over the shorter length
        assert len(got) == OGG_ONE_PAGE[name]
        n = min(len(data), len(expected))
        assert n > 0 and data[:n].tobytes() == expected[:n].tobytes()
        return
    if e.kind in TRIMMED_BY_CONTAINER:
        ch = got.shape[1]
        assert len(data) <= len(expected) <= len(data) + 2048 * ch
        expected = expected[:len(data)]
    assert data.tobytes() == expected.tobytes()


# Known failures, each named by its class; strict, so a fix shows up.
XFAIL: dict = {}


def names(test: str):
    return [pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=XFAIL[(test, n)]))
            if (test, n) in XFAIL else n for n in NAMES]


@pytest.mark.parametrize("name", NAMES)
def test_corpus_labels_name_the_codec_and_demuxer(name):
    codec, demuxer = ENTRIES[name].kind.split("/")
    meta = decode_audio.info(realworld.path_of(name, DIR), exact=False)
    assert meta.codec == codec and demuxer in meta.container.split(","), (meta.codec,
                                                                          meta.container)


def _windows(n: int):
    return [(0, 1000), (max(0, n // 2 - 500), 1777), (max(0, n - 900), 2000)]


@pytest.mark.parametrize("name", names("info"))
def test_info_counts_what_decode_returns(name):
    path = realworld.path_of(name, DIR)
    n = len(full(name))
    meta = decode_audio.info(path)
    assert meta.num_frames_exact
    assert meta.num_frames == n
    est = decode_audio.info(path, exact=False)
    assert est.num_frames >= 0
    if est.num_frames_exact:
        assert est.num_frames == n
    assert decode_audio.info(pathlib.Path(path).read_bytes()).num_frames == n


@pytest.mark.parametrize("name", names("windows"))
def test_windows_are_slices(name):
    path = realworld.path_of(name, DIR)
    a = full(name)
    data = pathlib.Path(path).read_bytes()
    for offset, count in _windows(len(a)):
        want = a[offset:offset + count]
        got = decode_audio.decode(path, frame_offset=offset, num_frames=count).numpy()
        assert got.shape == want.shape, (offset, count)
        assert got.tobytes() == want.tobytes(), (offset, count)
        got = decode_audio.decode(data, frame_offset=offset, num_frames=count).numpy()
        assert got.tobytes() == want.tobytes(), ("bytes", offset, count)


@pytest.mark.parametrize("name", names("non_seekable"))
def test_stream_and_non_seekable_equal_decode(name):
    path = realworld.path_of(name, DIR)
    a = full(name)
    chunks = [c.numpy() for c in decode_audio.stream(path, 4093)]
    assert all(len(c) == 4093 for c in chunks[:-1])
    joined = np.concatenate(chunks) if chunks else np.zeros((0, a.shape[1]), a.dtype)
    assert joined.tobytes() == a.tobytes()
    data = pathlib.Path(path).read_bytes()
    assert decode_audio.decode(data).numpy().tobytes() == a.tobytes()
    try:
        got = decode_audio.decode(NonSeekable(data)).numpy()
    except DecodeAudioError:
        # refused without seeking only where the CLI cannot read it from a pipe either (an
        # MP4 whose index follows the audio, a CAF with its data chunk after a free chunk)
        piped = subprocess.run(["ffmpeg", "-v", "error", "-i", "pipe:0", "-f", "f32le", "-"],
                               input=data, capture_output=True)
        assert piped.returncode != 0 and not piped.stdout
        with pytest.raises(DecodeAudioError):
            decode_audio.info(NonSeekable(data))
        return
    assert got.tobytes() == a.tobytes()
    meta = decode_audio.info(NonSeekable(data))
    assert meta.num_frames_exact and meta.num_frames == len(a)
    est = decode_audio.info(NonSeekable(data), exact=False)
    assert est.num_frames >= 0
    if est.num_frames_exact:
        assert est.num_frames == len(a)
    chunks = [c.numpy() for c in decode_audio.stream(NonSeekable(data), 10007)]
    joined = np.concatenate(chunks) if chunks else np.zeros((0, a.shape[1]), a.dtype)
    assert joined.tobytes() == a.tobytes()


@pytest.mark.parametrize("name", names("non_seekable_window"))
def test_non_seekable_window_at_the_end_is_a_slice(name):
    a = full(name)
    data = pathlib.Path(realworld.path_of(name, DIR)).read_bytes()
    offset, count = _windows(len(a))[2]
    try:
        got = decode_audio.decode(NonSeekable(data), frame_offset=offset, num_frames=count)
    except DecodeAudioError:
        piped = subprocess.run(["ffmpeg", "-v", "error", "-i", "pipe:0", "-f", "f32le", "-"],
                               input=data, capture_output=True)
        assert piped.returncode != 0 and not piped.stdout
        return
    assert got.numpy().tobytes() == a[offset:offset + count].tobytes()


def test_rifx_24bit_big_endian_decodes_right():
    """Written byte by byte, so the expectation is independent of every reader."""
    path = realworld.path_of("rifx_s24be.wav", DIR)
    got = decode_audio.decode(path, dtype="int32").numpy()
    want = np.array(realworld.rifx24_expected(), np.int64).reshape(-1, 2) << 8
    assert got.shape == want.shape
    np.testing.assert_array_equal(got.astype(np.int64), want)
    wavfile = pytest.importorskip("scipy.io.wavfile")
    rate, ref = wavfile.read(path)
    assert rate == 44100
    np.testing.assert_array_equal(got.astype(np.int64), ref.astype(np.int64) << (
        8 if np.abs(ref).max() < 1 << 23 else 0))


@pytest.mark.parametrize("rate", [44100, 48000, 22050])
@pytest.mark.parametrize("frames", [1000, 5121, 44117, 88114])
def test_saved_m4a_is_gapless_at_any_length(tmp_path, frames, rate):
    """The edit list counts in the sample rate, not in milliseconds (1000 frames at 44.1 kHz
    came back as 970, 5121 as 5116)."""
    x = (np.random.default_rng(frames).random((2, frames), np.float32) - 0.5) * 0.5
    path = str(tmp_path / "x.m4a")
    decode_audio.save(path, x, rate)
    assert len(decode_audio.decode(path)) == frames
    assert decode_audio.info(path).num_frames == frames


@pytest.mark.parametrize("name", ["lame_vbr0.mp3", "lame_noxing.mp3", "ff_ac3.ac3",
                                  "flac_total_big.flac", "oggenc_q3.ogg"])
@pytest.mark.parametrize("how", ["path", "bytes", "seekable_file"])
def test_stream_reader_info_agrees_with_info(name, how):
    """get_src_stream_info(i).num_frames is info()'s (an MP3 reported 442368 for 441000)."""
    path = realworld.path_of(name, DIR)
    src = {"path": path, "bytes": pathlib.Path(path).read_bytes(),
           "seekable_file": open(path, "rb")}[how]
    try:
        r = decode_audio.StreamReader(src)
        meta = r.get_src_stream_info(r.default_audio_stream)
        assert meta.num_frames_exact
        assert meta.num_frames == len(full(name))
        if how == "seekable_file":
            assert src.tell() == 0
    finally:
        if how == "seekable_file":
            src.close()
