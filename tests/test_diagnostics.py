"""Every error message names the source (or destination) and gives FFmpeg's reason."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest

from conftest import FFMPEG_7, make_input

import decode_audio
from decode_audio import DecodeAudioError, StreamWriter

WAV = make_input("wav_s16", 2, 16000)
SAMPLES = np.zeros((2, 1600), np.float32)


class WriteOnly(io.RawIOBase):
    def writable(self) -> bool:
        return True

    def write(self, b) -> int:  # type: ignore[override]
        return len(b)


def damaged_mp3() -> bytes:
    data = bytearray(open(make_input("mp3", 2, 48000, 3.0), "rb").read())
    n = len(data)
    data[n // 2:n // 2 + 1500] = np.random.default_rng(0).integers(0, 256, 1500,
                                                                   dtype=np.uint8).tobytes()
    return bytes(data)


def junk(tmp_path) -> str:
    path = tmp_path / "junk.bin"
    path.write_bytes(np.random.default_rng(5).integers(0, 256, 3000, dtype=np.uint8).tobytes())
    return str(path)


def writer(dst, **stream):
    w = StreamWriter(dst)
    w.add_audio_stream(16000, 2, **stream)
    w.open()


# FFmpeg's reasons that differ between versions (tests/test_compat.py says how)
if FFMPEG_7:
    WRONG_DEMUXER = r"Invalid data found when processing input \(mp3: Failed to find two "
    NO_FILTER = r"Filter not found \(AVFilterGraph: No such filter: 'nosuch'\)"
    BAD_FILTER_ARGS = r"Parsed_volume_0: Error when evaluating the volume expression 'abc'"
else:
    WRONG_DEMUXER = r"Invalid argument \(mp3: "
    NO_FILTER = r"Invalid argument \(No such filter: 'nosuch'\)"
    BAD_FILTER_ARGS = r"Error initializing filter 'volume' with args 'abc'"

# (what is done, the message as a regex: the source's name, then FFmpeg's reason)
CASES = {
    "open random bytes": (lambda t: decode_audio.decode(junk(t)),
                          r"^open '.*junk\.bin': Invalid (argument|data found)"),
    "open with the wrong demuxer": (lambda t: decode_audio.decode(WAV, format="mp3"),
                                    r"^open '.*\.wav': " + WRONG_DEMUXER),
    "open an M4A without its index": (
        lambda t: decode_audio.decode(open(make_input("aac", 2, 16000), "rb").read()[:5000]),
        r"^open '<bytes of 5000 bytes>': Invalid data found when processing input "
        r"\(mov,mp4,m4a,3gp,3g2,mj2: moov atom not found\)"),
    "open an unknown demuxer": (lambda t: decode_audio.decode(WAV, format="nosuch"),
                                r"^open '.*\.wav': unknown format 'nosuch'"),
    "open a missing stream": (lambda t: decode_audio.decode(WAV, stream_index=4),
                              r"^open '.*\.wav': stream 4 does not exist"),
    "open an unknown decoder option": (
        lambda t: list(decode_audio.stream(WAV, 100, decoder_option={"nosuch": "1"})),
        r"^open '.*\.wav': decoder pcm_s16le has no option 'nosuch'"),
    "open a refused connection": (
        lambda t: decode_audio.decode("http://127.0.0.1:9/x.wav"),
        r"^open 'http://127\.0\.0\.1:9/x\.wav': Connection refused \(tcp: "),
    "decode an unknown filter": (
        lambda t: decode_audio.decode(WAV, filter_desc="nosuch"),
        r"^decode '.*\.wav': filter 'nosuch': " + NO_FILTER),
    "decode a filter's bad arguments": (
        lambda t: decode_audio.decode(WAV, filter_desc="volume=abc"),
        r"^decode '.*\.wav': filter 'volume=abc': Invalid argument \(" + BAD_FILTER_ARGS + r"\)"),
    "decode a damaged packet": (
        lambda t: decode_audio.decode(damaged_mp3(), on_error="raise"),
        r"^decode '<bytes of \d+ bytes>': the packet at \d+\.\d+ s: Invalid data found when "
        r"processing input \(mp3float: Header missing\)"),
    "decode an unresampleable rate": (
        lambda t: decode_audio.decode(open(WAV, "rb").read()[:24] + (10**7).to_bytes(4, "little")
                                      + open(WAV, "rb").read()[28:], sample_rate=8000),
        r"^decode '<bytes of \d+ bytes>': cannot resample 10000000 Hz to 8000 Hz"),
    # save() refuses it with a ValueError before writing (tests/test_save_keeps.py)
    "writer to an unknown extension": (lambda t: writer(str(t / "x.nosuch")),
                                       r"^open '.*/x\.nosuch': cannot tell the format from "
                                       r"the name; give a format$"),
    "save without an encoder": (lambda t: decode_audio.save(str(t / "x.amr"), SAMPLES, 16000),
                                r"^add stream to '.*/x\.amr': no audio encoder "
                                r"'libopencore_amrnb'$"),
    "save MP4 to a write-only file-like": (
        lambda t: decode_audio.save(WriteOnly(), SAMPLES, 16000, format="mp4"),
        r"^open '<WriteOnly>': a mp4 file is finished by going back to its header"),
    "writer with an unknown encoder": (lambda t: writer(str(t / "y.wav"), encoder="nosuch"),
                                       r"^add stream to '.*/y\.wav': no audio encoder 'nosuch'$"),
    "writer with an unknown encoder option": (
        lambda t: writer(str(t / "y.wav"), encoder_option={"nosuch": "1"}),
        r"^add stream to '.*/y\.wav': encoder pcm_s16le has no option 'nosuch'$"),
    "writer with an unknown filter": (
        lambda t: writer(str(t / "y.wav"), filter_desc="nosuch"),
        r"^add stream to '.*/y\.wav': filter 'nosuch': " + NO_FILTER + "$"),
    "writer with a sample format its encoder lacks": (
        lambda t: writer(str(t / "y.wav"), encoder_format="s64"),
        r"^add stream to '.*/y\.wav': encoder pcm_s16le does not take sample format 's64'$"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_message_names_the_source_and_ffmpegs_reason(tmp_path, case):
    action, pattern = CASES[case]
    with pytest.raises(DecodeAudioError) as e:
        action(tmp_path)
    assert re.search(pattern, str(e.value)), str(e.value)
    assert e.value.code < 0


def test_save_names_the_path_asked_for_not_its_temporary(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"^\[Errno 2\] save '/nonexistent/x\.wav': "
                                                r"No such file or directory$"):
        decode_audio.save("/nonexistent/x.wav", SAMPLES, 16000)
    with pytest.raises(DecodeAudioError) as e:
        decode_audio.save(str(tmp_path / "x.amr"), SAMPLES, 16000)
    assert ".part" not in str(e.value) and "x.amr" in str(e.value)
    assert list(tmp_path.iterdir()) == []


def test_a_message_logged_in_pieces_is_quoted_whole():
    # libavfilter 8 logs "Error initializing filter 'volume'", " with args 'abc'" and "\n" apart
    with pytest.raises(DecodeAudioError, match=r"\(" + BAD_FILTER_ARGS + r"\)$"):
        decode_audio.decode(WAV, filter_desc="volume=abc")
    # and the next message does not run on from it
    with pytest.raises(DecodeAudioError, match=r"\((AVFilterGraph: )?No such filter: 'nosuch'\)$"):
        decode_audio.decode(WAV, filter_desc="nosuch")
