"""on_error: damaged packets are skipped and counted (the default, as the ffmpeg CLI) or raise."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

from conftest import FORMATS, make_input, needs_torch, run_ffmpeg

import decode_audio
from decode_audio import DecodeAudioError, DecodeAudioWarning


def damaged(fmt: str) -> bytes:
    """3 s of `fmt` with 1500 random bytes in the middle."""
    data = bytearray(open(make_input(fmt, 2, 48000, 3.0), "rb").read())
    n = len(data)
    data[n // 2:n // 2 + 1500] = np.random.default_rng(0).integers(0, 256, 1500,
                                                                   dtype=np.uint8).tobytes()
    return bytes(data)


# the decoder of each, as the CLI's log names it
REJECTED = {"mp3": "mp3float", "flac": "flac", "aac": "aac"}
# the CLI's line for each packet its decoder rejects (FFmpeg 7 words it otherwise)
CLI_REJECTS = re.compile(r"Error while decoding stream|Error submitting packet to decoder|"
                         r"Decoding error")


def cli_rejections(fmt: str, data: bytes, tmp_path) -> tuple:
    """The oracle: how many packets the ffmpeg CLI's decoder rejects in data, and the lines the
    decoder logs for the first of them. (The inputs, and so the damage, differ between FFmpeg
    versions: LAME's header and the AAC encoder do.)"""
    path = tmp_path / f"damaged.{FORMATS[fmt][0]}"
    path.write_bytes(data)
    # "repeat": the log does not fold a line repeated into "Last message repeated"
    log = run_ffmpeg("-nostdin", "-loglevel", "repeat+error", "-i", str(path), "-f", "null",
                     "-").stderr.decode()
    lines = log.splitlines()
    count = sum(1 for line in lines if CLI_REJECTS.search(line))
    first = next(i for i, line in enumerate(lines) if CLI_REJECTS.search(line))
    reasons = [re.sub(r"^\[(\w+) @ 0x[0-9a-f]+\] ", r"\1: ", line) for line in lines[:first]
               if line.startswith(f"[{REJECTED[fmt]} @ ")]
    return count, reasons


@pytest.mark.parametrize("fmt", sorted(REJECTED))
def test_skip_is_the_default_and_counts_and_warns(fmt, tmp_path):
    data = damaged(fmt)
    count, _ = cli_rejections(fmt, data, tmp_path)
    assert count > 0
    with pytest.warns(DecodeAudioWarning, match=rf"decode '<bytes of {len(data)} bytes>': "
                                                rf"skipped {count} damaged packets?"):
        audio = decode_audio.decode(data)
    assert audio.decode_errors == count
    with pytest.warns(DecodeAudioWarning):
        skipped = decode_audio.decode(data, on_error="skip")
    np.testing.assert_array_equal(audio.numpy(), skipped.numpy())
    assert 2 * 48000 < audio.num_frames < 3 * 48000


@pytest.mark.parametrize("fmt", sorted(REJECTED))
def test_raise_names_the_source_the_time_and_ffmpegs_reason(fmt, tmp_path):
    data = damaged(fmt)
    _, reasons = cli_rejections(fmt, data, tmp_path)
    with pytest.raises(DecodeAudioError, match=rf"decode '<bytes of {len(data)} bytes>': the "
                                               rf"packet at 1\.\d\d\d s: Invalid data found "
                                               rf"when processing input \(") as e:
        decode_audio.decode(data, on_error="raise")
    assert e.value.code == -1094995529  # AVERROR_INVALIDDATA
    # FFmpeg's last word on the packet, of those its decoder logged
    assert re.search(r"\((.*)\)$", str(e.value)).group(1) in reasons


def test_a_window_before_the_damage_decodes_under_raise():
    data = damaged("flac")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        head = decode_audio.decode(data, on_error="raise", num_frames=48000)
    assert head.num_frames == 48000 and head.decode_errors == 0


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_undamaged_inputs_decode_the_same_under_raise(fmt):
    rate = FORMATS[fmt][3][-1]
    path = make_input(fmt, 2, rate)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        full = decode_audio.decode(path).numpy()
        strict = decode_audio.decode(path, on_error="raise").numpy()
        window = decode_audio.decode(path, on_error="raise", frame_offset=1000,
                                     num_frames=5000).numpy()
    np.testing.assert_array_equal(full, strict)
    np.testing.assert_array_equal(full[1000:6000], window)


def test_stream_warns_once_per_new_skip_and_raises_under_raise():
    data = damaged("aac")
    with pytest.warns(DecodeAudioWarning, match="skipped 5 damaged packets") as record:
        chunks = list(decode_audio.stream(data, 16000))
    assert len([w for w in record if issubclass(w.category, DecodeAudioWarning)]) >= 1
    assert chunks[-1].decode_errors == 5
    with pytest.warns(DecodeAudioWarning):
        whole = decode_audio.decode(data)
    assert sum(c.num_frames for c in chunks) == whole.num_frames
    with pytest.raises(DecodeAudioError, match="the packet at"):
        list(decode_audio.stream(data, 16000, on_error="raise"))


@needs_torch
def test_load_and_stream_reader_take_on_error():
    data = damaged("mp3")
    with pytest.raises(DecodeAudioError, match="Header missing"):
        decode_audio.load(data, on_error="raise")
    with pytest.warns(DecodeAudioWarning):
        waveform, rate = decode_audio.load(data)
    assert rate == 48000 and waveform.shape[0] == 2
    r = decode_audio.StreamReader(data, on_error="raise")
    r.add_basic_audio_stream(48000)
    with pytest.raises(DecodeAudioError, match="Header missing"):
        list(r.stream())


@pytest.mark.parametrize("bad", ["ignore", "", None, 1])
def test_bad_on_error_is_a_value_error(bad):
    path = make_input("wav_s16", 1, 8000)
    with pytest.raises(ValueError, match="on_error must be 'skip' or 'raise'"):
        decode_audio.decode(path, on_error=bad)
    with pytest.raises(ValueError, match="on_error"):
        decode_audio.StreamReader(path, on_error=bad)


@pytest.mark.skipif("sox" not in decode_audio.list_audio_backends(), reason="no sox backend")
def test_on_error_raise_is_refused_by_the_sox_backend(tmp_path):
    path = str(tmp_path / "x.wav")
    decode_audio.save(path, np.zeros((1, 800), np.float32), 8000)
    with pytest.raises(ValueError, match="sox backend does not take on_error"):
        decode_audio.decode(path, backend="sox", on_error="raise")
    assert decode_audio.decode(path, backend="sox", on_error="skip").num_frames == 800
