"""StreamWriter for audio, as torchaudio's: chunked writes equal one write, any destination."""

from __future__ import annotations

import io
import socket
import threading

import numpy as np
import pytest

from conftest import ffmpeg
from test_save import music

import decode_audio
from decode_audio import CodecConfig, DecodeAudioError, StreamWriter


def write(dst, chunks, fmt=None, **stream):
    w = StreamWriter(dst, format=fmt)
    w.add_audio_stream(**stream)
    with w.open():
        for chunk in chunks:
            w.write_audio_chunk(0, chunk)


@pytest.mark.parametrize("fmt", ["mp3", "flac", "ogg", "opus", "m4a", "wav"])
def test_chunks_of_any_size_give_the_same_bytes_as_one_write(tmp_path, fmt):
    rate = 48000 if fmt == "opus" else 44100
    x = music(rate, 1.5)
    whole = tmp_path / f"whole.{fmt}"
    write(whole, [x], sample_rate=rate, num_channels=2)
    pieces = tmp_path / f"pieces.{fmt}"
    cuts = [0, 1, 7, 1000, 1152, 4099, 30000, len(x)]
    write(pieces, [x[a:b] for a, b in zip(cuts, cuts[1:])], sample_rate=rate, num_channels=2)
    assert pieces.read_bytes() == whole.read_bytes()
    assert decode_audio.decode(whole, sample_rate=rate).num_frames == len(x)


def test_every_add_audio_stream_parameter(tmp_path):
    x = (music(44100, 1.0) * 32767).astype(np.int16)
    path = tmp_path / "p.mp3"
    w = StreamWriter(path)
    w.add_audio_stream(sample_rate=44100, num_channels=2, format="s16", encoder="libmp3lame",
                       encoder_option={"reservoir": "0"}, encoder_format="s16p",
                       encoder_sample_rate=16000, encoder_num_channels=1,
                       codec_config=CodecConfig(bit_rate=32000))
    w.set_metadata({"title": "chunked", "artist": "decode_audio"})
    with w.open():
        w.write_audio_chunk(0, x)
    meta = decode_audio.info(path)
    assert (meta.sample_rate, meta.num_channels) == (16000, 1)
    assert abs(meta.bit_rate - 32000) < 2000
    assert meta.num_frames == 16000
    tags = {k.lower(): v for k, v in meta.tags.items()}
    assert tags["title"] == "chunked" and tags["artist"] == "decode_audio"


def test_vorbis_quality_and_flac_compression_from_codec_config(tmp_path):
    x = music(44100, 2.0)
    sizes = {}
    for q in (0, 8):
        write(tmp_path / f"q{q}.ogg", [x], sample_rate=44100, num_channels=2,
              codec_config=CodecConfig(qscale=q))
        sizes[q] = (tmp_path / f"q{q}.ogg").stat().st_size
    assert sizes[0] < sizes[8]
    for level in (0, 12):
        write(tmp_path / f"c{level}.flac", [x], sample_rate=44100, num_channels=2,
              codec_config=CodecConfig(compression_level=level))
    assert (tmp_path / "c12.flac").stat().st_size < (tmp_path / "c0.flac").stat().st_size


def test_file_like_destination(tmp_path):
    x = music(44100, 1.0)
    buf = io.BytesIO()
    write(buf, [x[:1000], x[1000:]], fmt="mp3", sample_rate=44100, num_channels=2)
    path = tmp_path / "ref.mp3"
    write(path, [x], sample_rate=44100, num_channels=2)
    assert buf.getvalue() == path.read_bytes()


def test_udp_mpegts_reaches_a_local_socket():
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(0.2)
    port = receiver.getsockname()[1]
    received = bytearray()
    done = threading.Event()

    def receive():
        # until the writer is done and the socket has been quiet for a moment
        while True:
            try:
                received.extend(receiver.recv(65536))
            except OSError:
                if done.is_set():
                    return

    thread = threading.Thread(target=receive, daemon=True)
    thread.start()
    x = music(48000, 1.0)
    try:
        write(f"udp://127.0.0.1:{port}?pkt_size=1316", [x], fmt="mpegts", sample_rate=48000,
              num_channels=2, encoder="mp2")
    finally:
        done.set()
        thread.join(timeout=5)
        receiver.close()
    assert len(received) > 0 and len(received) % 188 == 0
    got = decode_audio.decode(bytes(received), format="mpegts", formats="mpegts")
    assert got.sample_rate == 48000 and abs(got.num_frames - len(x)) <= 1152 * 2


def test_misuse_raises_clear_errors(tmp_path):
    w = StreamWriter(tmp_path / "a.wav")
    with pytest.raises(RuntimeError, match="add a stream"):
        w.open()
    w.add_audio_stream(16000, 1)
    with pytest.raises(RuntimeError, match="open"):
        w.write_audio_chunk(0, np.zeros((10, 1), np.float32))
    with w.open():
        with pytest.raises(ValueError, match="1 channels; the chunk has 2"):
            w.write_audio_chunk(0, np.zeros((10, 2), np.float32))
        with pytest.raises(ValueError, match="takes float32"):
            w.write_audio_chunk(0, np.zeros((10, 1), np.int16))
        with pytest.raises(ValueError, match="no stream 3"):
            w.write_audio_chunk(3, np.zeros((10, 1), np.float32))
    with pytest.raises(ValueError, match="format is required"):
        StreamWriter(io.BytesIO())
    w = StreamWriter(tmp_path / "b.mp3")
    with pytest.raises(DecodeAudioError, match="no audio encoder 'nosuchcodec'"):
        w.add_audio_stream(16000, 1, encoder="nosuchcodec")
    with pytest.raises(DecodeAudioError, match="has no option 'nosuchoption'"):
        w.add_audio_stream(16000, 1, encoder_option={"nosuchoption": "1"})
    with pytest.raises(DecodeAudioError, match="does not take sample format 'dbl'"):
        w.add_audio_stream(16000, 1, encoder_format="dbl")
    with pytest.raises(ValueError, match="format must be one of"):
        w.add_audio_stream(16000, 1, format="s24")
    with pytest.raises(DecodeAudioError, match="filter 'nosuchfilter=1'"):
        w.add_audio_stream(16000, 1, filter_desc="nosuchfilter=1")


@pytest.mark.parametrize("fmt", ["wav", "mp3", "opus"])
def test_filter_desc_is_applied_before_encoding(tmp_path, fmt):
    rate = 48000 if fmt == "opus" else 44100
    x = (music(rate, 1.0) * 32767).astype(np.int16)
    plain, filtered = tmp_path / f"plain.{fmt}", tmp_path / f"filtered.{fmt}"
    write(plain, [x], sample_rate=rate, num_channels=2, format="s16")
    cuts = [0, 333, 5000, len(x)]
    write(filtered, [x[a:b] for a, b in zip(cuts, cuts[1:])], sample_rate=rate, num_channels=2,
          format="s16", filter_desc="volume=0.5")
    a = decode_audio.decode(plain, sample_rate=rate).numpy()
    b = decode_audio.decode(filtered, sample_rate=rate).numpy()
    assert a.shape == b.shape == x.shape
    ratio = np.sqrt(np.sum(b.astype(np.float64) ** 2) / np.sum(a.astype(np.float64) ** 2))
    assert abs(ratio - 0.5) < 0.02
    if fmt == "wav":
        # the ffmpeg CLI applying the same filter is the oracle
        expected = ffmpeg("-i", str(plain), "-af", "volume=0.5", "-f", "s16le", "-")
        assert decode_audio.decode(filtered, dtype="int16").numpy().tobytes() == expected
        # one chunk or several: the same bytes
        whole = tmp_path / "whole.wav"
        write(whole, [x], sample_rate=rate, num_channels=2, format="s16", filter_desc="volume=0.5")
        assert whole.read_bytes() == filtered.read_bytes()
