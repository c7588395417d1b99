"""Sources: bytes, file-likes, URLs and the tutorial's HTTP, tar and S3-like bodies, with the
safe defaults that keep an input from opening other files or hosts."""

from __future__ import annotations

import base64
import functools
import gc
import http.server
import io
import os
import pathlib
import tarfile
import threading
import warnings

import numpy as np
import pytest

from conftest import NonSeekable, ReadOnly, ffmpeg, make_input

import decode_audio
from decode_audio import DecodeAudioError
from decode_audio._audio import live_buffers


def _hide_seek(obj):
    """The tutorial's wrapper: an object with nothing but read()."""

    class _wrapper:
        def __init__(self, obj):
            self.obj = obj

        def read(self, n):
            return self.obj.read(n)

    return _wrapper(obj)


class Failing(io.RawIOBase):
    """Raises `error` on the `after`-th read."""

    def __init__(self, data: bytes, error: BaseException, after: int) -> None:
        self._f = io.BytesIO(data)
        self._error = error
        self._after = after
        self.reads = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:  # type: ignore[override]
        self.reads += 1
        if self.reads >= self._after:
            raise self._error
        return self._f.readinto(b)


@pytest.mark.parametrize("error", [ValueError("boom"), OSError(5, "disk on fire"),
                                   KeyboardInterrupt()])
@pytest.mark.parametrize("after", [1, 3])
def test_exceptions_of_a_file_like_propagate_unchanged_and_nothing_leaks(error, after):
    data = pathlib.Path(make_input("wav_s16", 2, 48000, 4.0)).read_bytes()
    gc.collect()
    before = live_buffers()
    src = Failing(data, error, after)
    with pytest.raises(type(error)) as raised:
        decode_audio.decode(src, buffer_size=4096)
    assert raised.value is error
    gc.collect()
    assert live_buffers() == before


def test_an_exception_while_probing_propagates_from_info():
    data = pathlib.Path(make_input("mp3", 2, 48000, 4.0)).read_bytes()
    error = RuntimeError("network reset")
    with pytest.raises(RuntimeError) as raised:
        decode_audio.info(Failing(data, error, 2), buffer_size=4096)
    assert raised.value is error


def test_read_returning_too_much_is_an_error():
    class Liar:
        def read(self, n):
            return b"\0" * (n + 1)

    with pytest.raises(ValueError, match="returned"):
        decode_audio.decode(Liar())


def test_bytes_are_read_in_place():
    data = bytearray(pathlib.Path(make_input("wav_s16", 1, 16000)).read_bytes())
    view = memoryview(data)[44:]  # headerless: give the format
    raw = decode_audio.decode(view, format="s16le", dtype="int16")
    # the s16le demuxer's defaults: mono at 44.1 kHz
    assert raw.sample_rate == 44100
    assert raw.numpy().tobytes() == bytes(data[44:])


# --- safe defaults -----------------------------------------------------------------------


@pytest.fixture
def wav_dir(tmp_path):
    path = tmp_path / "a.wav"
    path.write_bytes(pathlib.Path(make_input("wav_s16", 1, 16000)).read_bytes())
    return tmp_path


def test_a_playlist_pointing_at_a_local_file_is_refused(wav_dir):
    ffmpeg("-i", str(wav_dir / "a.wav"), "-c:a", "aac", str(wav_dir / "a.aac"))
    playlist = wav_dir / "list.m3u8"
    playlist.write_text("#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1.0,\na.aac\n"
                        "#EXT-X-ENDLIST\n")
    with pytest.raises(DecodeAudioError, match="list.m3u8"):
        decode_audio.decode(playlist)
    opened = decode_audio.decode(playlist, formats="hls,aac", protocols="file")
    assert opened.num_frames > 16000


def test_an_ffconcat_list_is_refused(wav_dir):
    listing = wav_dir / "list.ffconcat"
    listing.write_text("ffconcat version 1.0\nfile a.wav\nfile a.wav\n")
    with pytest.raises(DecodeAudioError, match="list.ffconcat"):
        decode_audio.decode(listing)
    opened = decode_audio.decode(listing, formats=["concat", "wav"])
    assert opened.num_frames == 32000


@pytest.mark.parametrize("make_url,protocols", [
    (lambda d: f"concat:{d / 'a.wav'}|{d / 'a.wav'}", "concat,file"),
    (lambda d: f"subfile,,start,0,end,0,,:{d / 'a.wav'}", "subfile,file"),
    (lambda d: "data:audio/wav;base64," + base64.b64encode((d / "a.wav").read_bytes()).decode(),
     "data"),
])
def test_protocol_strings_are_file_names_unless_allowed(wav_dir, make_url, protocols):
    url = make_url(wav_dir)
    with pytest.raises((FileNotFoundError, DecodeAudioError)):
        decode_audio.decode(url)
    assert decode_audio.decode(url, protocols=protocols).num_frames >= 16000


def test_a_url_may_not_use_other_protocols(wav_dir):
    # an http URL cannot reach a local file through the file protocol
    with pytest.raises(DecodeAudioError):
        decode_audio.decode(f"file://{wav_dir / 'a.wav'}", protocols="http,tcp")
    assert decode_audio.decode(f"file://{wav_dir / 'a.wav'}").num_frames == 16000


def test_a_non_seekable_mp4_with_its_index_at_the_end_says_so(tmp_path):
    source = make_input("aac", 2, 44100, 10.0)
    data = pathlib.Path(source).read_bytes()
    with pytest.raises(DecodeAudioError, match="moov"):
        decode_audio.decode(NonSeekable(data))
    with pytest.raises(DecodeAudioError, match="moov"):
        decode_audio.info(NonSeekable(data))
    faststart = tmp_path / "fast.m4a"
    ffmpeg("-i", source, "-c", "copy", "-movflags", "+faststart", str(faststart))
    streamed = decode_audio.decode(NonSeekable(faststart.read_bytes()))
    np.testing.assert_array_equal(streamed.numpy(), decode_audio.decode(source).numpy())


@pytest.mark.parametrize("tag", ["valid", "size byte with the high bit set"])
def test_an_mp3_behind_an_id3v2_tag_decodes_alike_from_every_source(tag, tmp_path):
    # ID3v2 sizes are syncsafe (7 bits a byte): a size byte with the high bit set makes the
    # header no ID3v2 tag at all, so FFmpeg finds no LAME tag behind it and trims nothing;
    # a streamed source, whose LAME tag this library reads itself, must not trim either
    path = tmp_path / "tagged.mp3"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration=1",
           "-metadata", "title=abc", "-c:a", "libmp3lame", "-b:a", "128k", str(path))
    data = bytearray(path.read_bytes())
    assert data[:3] == b"ID3" and not (data[6] | data[7] | data[8] | data[9]) & 0x80
    if tag != "valid":
        data[9] |= 0x80
        path.write_bytes(data)
    cli = np.frombuffer(ffmpeg("-i", str(path), "-f", "f32le", "-"), np.float32)
    whole = decode_audio.decode(str(path))
    assert whole.num_frames == len(cli)
    assert whole.num_frames == (44100 if tag == "valid" else 46080)
    for src in (bytes(data), NonSeekable(bytes(data))):
        np.testing.assert_array_equal(decode_audio.decode(src).numpy(), whole.numpy())


# --- the tutorial's loading cases --------------------------------------------------------


class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("www")
    for name, fmt, rate in (("speech.wav", "wav_s16", 16000), ("music.mp3", "mp3", 44100),
                            ("clip.flac", "flac", 16000)):
        (root / name).write_bytes(pathlib.Path(make_input(fmt, 1, rate, 4.0)).read_bytes())
    handler = functools.partial(_Handler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", root
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize("name", ["speech.wav", "music.mp3", "clip.flac"])
def test_http_body_streamed_with_requests(server, name):
    requests = pytest.importorskip("requests")
    base, root = server
    expected = decode_audio.decode(root / name).numpy()
    with requests.get(f"{base}/{name}", stream=True, timeout=10) as response:
        meta = decode_audio.info(_hide_seek(response.raw))
    assert meta.num_frames == len(expected)
    with requests.get(f"{base}/{name}", stream=True, timeout=10) as response:
        got = decode_audio.decode(_hide_seek(response.raw)).numpy()
        fetched_all = response.raw.tell()
    np.testing.assert_array_equal(got, expected)
    with requests.get(f"{base}/{name}", stream=True, timeout=10) as response:
        rate = meta.sample_rate
        part = decode_audio.decode(_hide_seek(response.raw), frame_offset=rate,
                                   num_frames=rate, buffer_size=4096).numpy()
        fetched_part = response.raw.tell()
    np.testing.assert_array_equal(part, expected[rate:2 * rate])
    assert fetched_part < fetched_all


def test_http_url_is_opened_by_ffmpeg(server):
    base, root = server
    got = decode_audio.decode(f"{base}/speech.wav").numpy()
    np.testing.assert_array_equal(got, decode_audio.decode(root / "speech.wav").numpy())
    waveform, rate = decode_audio.load(f"{base}/speech.wav", frame_offset=16000,
                                       num_frames=16000)
    assert rate == 16000 and tuple(waveform.shape) == (1, 16000)


def test_tar_member(tmp_path):
    wav = pathlib.Path(make_input("wav_s16", 1, 16000, 4.0))
    archive = tmp_path / "devkit.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(wav, arcname="VOiCES_devkit/source-16k/clip.wav")
    expected = decode_audio.decode(wav).numpy()
    with tarfile.open(archive, mode="r") as tar:
        member = tar.extractfile("VOiCES_devkit/source-16k/clip.wav")
        got = decode_audio.decode(member).numpy()
    np.testing.assert_array_equal(got, expected)
    with tarfile.open(archive, mode="r") as tar:
        member = tar.extractfile("VOiCES_devkit/source-16k/clip.wav")
        part = decode_audio.decode(member, frame_offset=16000, num_frames=16000).numpy()
        assert member.tell() < wav.stat().st_size
    np.testing.assert_array_equal(part, expected[16000:32000])


def test_s3_like_body_with_only_read():
    data = pathlib.Path(make_input("mp3", 1, 16000, 4.0)).read_bytes()
    expected = decode_audio.decode(data).numpy()
    body = ReadOnly(data)
    np.testing.assert_array_equal(decode_audio.decode(body).numpy(), expected)
    body = ReadOnly(data)
    part = decode_audio.decode(body, frame_offset=16000, num_frames=8000,
                               buffer_size=4096).numpy()
    np.testing.assert_array_equal(part, expected[16000:24000])
    assert body._f.tell() < len(data)


def test_cli_reads_stdin(tmp_path):
    import subprocess
    import sys

    from conftest import ROOT, reference

    path = make_input("mp3", 2, 44100)
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"))
    with open(path, "rb") as f:
        r = subprocess.run([sys.executable, "-m", "decode_audio", "-i", "-", "-o", "-",
                            "-f", "f32le"], stdin=f, capture_output=True, env=env, check=True)
    assert r.stdout == reference(path, "f32le")


def test_a_chunk_claiming_more_than_the_file_ends_bytes_as_it_ends_a_path(tmp_path, monkeypatch):
    """After the data chunk, a chunk whose size runs past the end of the input: the WAV
    demuxer skips it by seeking past the end, which must find the end for bytes as it does
    for a file, not leave the demuxer reading chunk headers out of the payload."""
    rng = np.random.default_rng(3)
    samples = rng.integers(-2**15, 2**15, 800, dtype="<i2").tobytes()
    fmt = (1).to_bytes(2, "little") + (1).to_bytes(2, "little") + (8000).to_bytes(4, "little") \
        + (16000).to_bytes(4, "little") + (2).to_bytes(2, "little") + (16).to_bytes(2, "little")
    # the claimed chunk's body holds what reads as another data chunk if it is not skipped
    tail = b"junk" + (2**31).to_bytes(4, "little") + b"data" + (600).to_bytes(4, "little") \
        + bytes(600)
    body = b"WAVE" + b"fmt " + len(fmt).to_bytes(4, "little") + fmt + b"data" \
        + len(samples).to_bytes(4, "little") + samples + tail
    wav = b"RIFF" + len(body).to_bytes(4, "little") + body
    path = tmp_path / "claims.wav"
    path.write_bytes(wav)
    cli = np.frombuffer(ffmpeg("-i", str(path), "-f", "s16le", "-"), "<i2")
    assert len(cli) == 800
    monkeypatch.setenv("DECODE_AUDIO_FAST_PATHS", "0")  # FFmpeg's demuxer for every source
    for src in (str(path), wav, io.BytesIO(wav)):
        got = decode_audio.decode(src, dtype="int16").numpy().reshape(-1)
        assert got.tobytes() == cli.tobytes(), type(src).__name__


@pytest.mark.parametrize("exact", [True, False])
def test_info_of_a_non_seekable_wav_estimates_from_its_header(exact):
    # a minute of 44.1 kHz stereo: 10.6 MB. Its header's count is a hint: a file cut short
    # claims the same, which only reading it through shows (see the next test), so exact=False
    # reads the header alone and says its figure is an estimate, and exact=True counts.
    data = open(make_input("wav_s16", 2, 44100, 60.0), "rb").read()
    f = NonSeekable(data)
    meta = decode_audio.info(f, exact=exact)
    assert (meta.num_frames, meta.num_frames_exact) == (2646000, exact)
    assert meta.duration == 60.0
    if not exact:
        assert f.bytes_read < 200_000  # the I/O buffer and stream info, not the samples
    # a WAV written to a pipe has no count in its header: exact counts by decoding, and
    # exact=False says its figure is an estimate
    streamed = ffmpeg("-f", "lavfi", "-i", "sine=d=2:r=8000", "-f", "wav", "-")
    meta = decode_audio.info(NonSeekable(streamed), exact=exact)
    if exact:
        assert (meta.num_frames, meta.num_frames_exact) == (16000, True)
    else:
        assert not meta.num_frames_exact


@pytest.mark.parametrize("rf64", [False, True])
@pytest.mark.parametrize("keep", [0.6, 0.999])
def test_info_of_a_wav_cut_short_counts_what_decode_returns(tmp_path, rf64, keep):
    """A WAV or RF64 whose header claims more frames than the file holds: info() counts what
    decode() returns (RF64's ds64 size was taken as exact: 44100 for 26448), from a path,
    bytes and a non-seekable file-like."""
    whole = tmp_path / "whole.wav"
    ffmpeg("-f", "lavfi", "-i", "sine=f=440:d=1:r=44100", "-ac", "2", "-c:a", "pcm_s16le",
           *(["-rf64", "always"] if rf64 else []), str(whole))
    data = whole.read_bytes()
    data = data[:int(len(data) * keep) + 1]
    path = tmp_path / "cut.wav"
    path.write_bytes(data)
    for make in (lambda: str(path), lambda: data, lambda: NonSeekable(data)):
        with warnings.catch_warnings():
            # the last partial frame is a damaged packet
            warnings.simplefilter("ignore", decode_audio.DecodeAudioWarning)
            n = len(decode_audio.decode(make()))
        assert 0 < n < 44100
        meta = decode_audio.info(make())
        assert (meta.num_frames, meta.num_frames_exact) == (n, True), type(make()).__name__
        est = decode_audio.info(make(), exact=False)
        assert est.num_frames >= 0 and (est.num_frames == n or not est.num_frames_exact)
