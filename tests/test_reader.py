"""Chunked decoding: stream() and StreamReader, equal to the one-shot decode bit for bit."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from conftest import CACHE, NonSeekable, ROOT, ffmpeg, make_input

import decode_audio
from decode_audio import StreamReader


def concat(chunks, channels_first=False):
    arrays = [c.numpy() for c in chunks]
    return np.concatenate(arrays, axis=1 if channels_first else 0)


CASES = [("wav_s16", 2, 44100, {}), ("mp3", 2, 44100, {}), ("flac", 1, 16000, {}),
         ("vorbis", 2, 48000, {}), ("opus", 2, 48000, {}), ("aac", 2, 48000, {}),
         ("mp3", 2, 44100, {"sample_rate": 16000}), ("wav_s16", 2, 44100, {"sample_rate": 22050,
                                                                             "num_channels": 1}),
         ("vorbis", 2, 48000, {"filter_desc": "atempo=1.3"}),
         ("flac", 1, 16000, {"frame_offset": 5000, "num_frames": 20000}),
         ("mp3", 2, 44100, {"dtype": "int16", "channels_first": True})]


@pytest.mark.parametrize("chunk", [1000, 4096, 44100])
@pytest.mark.parametrize("fmt,channels,rate,kwargs", CASES)
def test_chunks_concatenate_to_the_one_shot_decode(fmt, channels, rate, kwargs, chunk):
    path = make_input(fmt, channels, rate, 3.0)
    whole = decode_audio.decode(path, **kwargs).numpy()
    chunks = list(decode_audio.stream(path, chunk, **kwargs))
    channels_first = kwargs.get("channels_first", False)
    assert all((c.shape[1] if channels_first else c.shape[0]) == chunk for c in chunks[:-1])
    got = concat(chunks, channels_first)
    assert got.dtype == whole.dtype
    np.testing.assert_array_equal(got, whole)


def test_stream_from_a_non_seekable_file_like():
    path = make_input("mp3", 2, 44100, 3.0)
    data = pathlib.Path(path).read_bytes()
    whole = decode_audio.decode(path).numpy()
    got = concat(decode_audio.stream(NonSeekable(data), 3000))
    np.testing.assert_array_equal(got, whole)


def test_stream_raises_what_the_file_like_raises():
    class Failing(NonSeekable):
        reads = 0

        def readinto(self, b):
            self.reads += 1
            if self.reads > 3:
                raise ConnectionResetError("peer went away")
            return super().readinto(b)

    data = pathlib.Path(make_input("wav_s16", 2, 48000, 4.0)).read_bytes()
    with pytest.raises(ConnectionResetError):
        for _ in decode_audio.stream(Failing(data), 1000, buffer_size=4096):
            pass


def test_memory_stays_bounded_on_an_hour_of_audio():
    path = os.path.join(CACHE, "hour_16k_mono.flac")
    if not os.path.exists(path):
        ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=16000:duration=3600",
               "-c:a", "flac", path + ".part.flac")
        os.replace(path + ".part.flac", path)
    script = (
        "import resource, sys, decode_audio\n"
        "base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "n = 0\n"
        "for chunk in decode_audio.stream(sys.argv[1], 16000):\n"
        "    n += chunk.num_frames\n"
        "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print(n, (peak - base) * 1024)\n"
    )
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"))
    r = subprocess.run([sys.executable, "-c", script, path], capture_output=True, text=True,
                       env=env, check=True, timeout=300)
    frames, growth = map(int, r.stdout.split())
    assert frames == 3600 * 16000
    # the whole decode would be 230 MB of float32; streaming holds a chunk or two
    assert growth < 16 * 2 ** 20, growth


def test_stream_reader_like_torchaudio():
    torch = pytest.importorskip("torch")
    path = make_input("mp3", 2, 44100, 3.0)
    r = StreamReader(path)
    assert r.num_src_streams == 1 and r.default_audio_stream == 0
    meta = r.get_src_stream_info(0)
    assert meta.sample_rate == 44100 and meta.num_channels == 2
    r.add_basic_audio_stream(frames_per_chunk=8000, sample_rate=16000, format="s16p")
    r.add_audio_stream(frames_per_chunk=4410, filter_desc="volume=0.5")
    firsts, seconds = [], []
    for a, b in r.stream():
        if a is not None:
            firsts.append(a)
        if b is not None:
            seconds.append(b)
    assert all(isinstance(c, torch.Tensor) for c in firsts + seconds)
    assert firsts[0].dtype == torch.int16 and tuple(firsts[0].shape) == (8000, 2)
    np.testing.assert_array_equal(torch.cat(firsts).numpy(),
                                  decode_audio.decode(path, sample_rate=16000,
                                                      dtype="int16").numpy())
    np.testing.assert_array_equal(torch.cat(seconds).numpy(),
                                  decode_audio.decode(path, filter_desc="volume=0.5").numpy())


def test_stream_reader_seek_is_exact_and_process_packet_pops_chunks():
    pytest.importorskip("torch")
    path = make_input("flac", 1, 16000, 3.0)
    whole = decode_audio.decode(path).numpy()
    r = StreamReader(path)
    r.add_basic_audio_stream(frames_per_chunk=1000)
    r.seek(1.25)
    assert r.process_packet() == 0
    (chunk,) = r.pop_chunks()
    np.testing.assert_array_equal(chunk.numpy(), whole[20000:21000])
    r.seek(0.0)
    r.fill_buffer()
    (chunk,) = r.pop_chunks()
    np.testing.assert_array_equal(chunk.numpy(), whole[:1000])
    assert r.pop_chunks() == (None,)


def test_stream_reader_misuse():
    path = make_input("wav_s16", 1, 8000)
    r = StreamReader(path)
    with pytest.raises(RuntimeError, match="add an output"):
        next(r.stream())
    with pytest.raises(ValueError, match="format must be one of"):
        r.add_basic_audio_stream(100, format="s24")
    with pytest.raises(ValueError, match="frames_per_chunk"):
        r.add_basic_audio_stream(0)
    r.add_basic_audio_stream(100, decoder="pcm_u8")
    with pytest.raises(decode_audio.DecodeAudioError, match="decoder 'pcm_u8' does not decode"):
        next(r.stream())
    with pytest.raises(ValueError, match="frames_per_chunk"):
        list(decode_audio.stream(path, -5))


def test_stream_reader_chooses_the_decoder_and_its_options():
    pytest.importorskip("torch")
    path = make_input("mp3", 2, 44100, 3.0)
    r = StreamReader(path)
    r.add_basic_audio_stream(frames_per_chunk=44100, decoder="mp3", format="s16p")
    chunks = [c for (c,) in r.stream()]
    # the fixed-point mp3 decoder is not bit-equal to mp3float, but close
    fixed = np.concatenate([c.numpy() for c in chunks]).astype(np.float64) / 32768
    flt = decode_audio.decode(path).numpy()
    assert fixed.shape == flt.shape and 0 < np.abs(fixed - flt).max() < 0.01
    r = StreamReader(path)
    r.add_basic_audio_stream(1000, decoder_option={"nosuchoption": "1"})
    with pytest.raises(decode_audio.DecodeAudioError, match="has no option 'nosuchoption'"):
        next(r.stream())


def test_stream_reader_passes_demuxer_options():
    pytest.importorskip("torch")
    path = make_input("wav_s16", 1, 16000)
    r = StreamReader(path, option={"max_size": "1024"})  # the wav demuxer's packet size
    r.add_basic_audio_stream(frames_per_chunk=4000)
    got = np.concatenate([c.numpy() for (c,) in r.stream()])
    np.testing.assert_array_equal(got, decode_audio.decode(path).numpy())
    r = StreamReader(path, option={"nosuchoption": "1"})
    r.add_basic_audio_stream(frames_per_chunk=4000)
    with pytest.raises(decode_audio.DecodeAudioError, match="has no option 'nosuchoption'"):
        next(r.stream())


def test_stream_is_an_iterator_that_seeks_exactly():
    path = make_input("flac", 2, 44100)
    whole = decode_audio.decode(path).numpy()
    chunks = decode_audio.stream(path, 1000)
    assert iter(chunks) is chunks
    next(chunks)
    chunks.seek(0.5)  # 22050 frames in, exactly
    np.testing.assert_array_equal(concat(chunks), whole[22050:])
    assert list(chunks) == []  # ended stays ended
    chunks.seek(0)
    np.testing.assert_array_equal(concat(chunks), whole)
    # a window keeps its end; a resampled stream counts output frames
    window = decode_audio.stream(path, 700, frame_offset=100, num_frames=30000)
    window.seek(0.25)
    np.testing.assert_array_equal(concat(window), whole[11025:30100])
    resampled = decode_audio.stream(path, 700, sample_rate=16000)
    resampled.seek(0.5)
    np.testing.assert_array_equal(concat(resampled),
                                  decode_audio.decode(path, sample_rate=16000).numpy()[8000:])
    with pytest.raises(ValueError, match="seconds"):
        chunks.seek(-1)
    with pytest.raises(ValueError, match="non-seekable"):
        decode_audio.stream(NonSeekable(open(path, "rb").read()), 100).seek(1)
