"""FFmpeg utilities: listings of what Debian's FFmpeg holds, the build, the log level, the CLI."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading

import pytest

import decode_audio
from conftest import ROOT
from decode_audio import ffmpeg_utils
from decode_audio._cli import version_text
from decode_audio._components import ffmpeg_components


@pytest.fixture
def log_level():
    """Restores the default level after a test changes it."""
    yield
    ffmpeg_utils.set_log_level(16)


def test_audio_decoders_hold_debians_codecs_and_no_video_ones():
    decoders = ffmpeg_utils.get_audio_decoders()
    for name in ("mp3float", "mp3", "flac", "vorbis", "libopus", "aac", "pcm_s16le", "pcm_mulaw"):
        assert name in decoders
    assert "h264" not in decoders
    assert decoders["flac"] == "FLAC (Free Lossless Audio Codec)"


def test_audio_encoders_hold_the_libraries_debian_links():
    encoders = ffmpeg_utils.get_audio_encoders()
    for name in ("libmp3lame", "libvorbis", "libopus", "flac", "aac", "pcm_s24le"):
        assert name in encoders
    assert "mp3float" not in encoders and "libx264" not in encoders
    assert "MP3" in encoders["libmp3lame"]


def test_muxers_and_demuxers_match_the_ffmpeg_cli():
    muxers, demuxers = ffmpeg_utils.get_muxers(), ffmpeg_utils.get_demuxers()
    for name in ("wav", "ogg", "flac", "mp3", "ipod", "adts", "matroska"):
        assert name in muxers
    for name in ("wav", "ogg", "flac", "mp3", "mov,mp4,m4a,3gp,3g2,mj2", "aac"):
        assert name in demuxers
    assert muxers["wav"] == "WAV / WAVE (Waveform Audio)"
    # the CLI lists the same demuxers (it also lists devices, which we leave out)
    out = subprocess.run(["ffmpeg", "-hide_banner", "-demuxers"], capture_output=True,
                         text=True, check=True).stdout
    # under a legend ending in a "--" line, rows of flags ("D", "DE"; FFmpeg 7 adds "d" for
    # devices, in a column of its own), the name and a description
    rows = out.split("\n --", 1)[1].split("\n", 1)[1].splitlines()
    cli = {next(t for t in row.split() if t.strip("DEd.")) for row in rows if row.strip()}
    assert set(demuxers) <= cli
    # what only the CLI lists is libavdevice's inputs, which the library does not link
    assert "alsa" in cli - set(demuxers) and "lavfi" in cli - set(demuxers)
    assert len(cli - set(demuxers)) < 20


def test_protocols_list_file_and_http_both_ways():
    inputs, outputs = ffmpeg_utils.get_input_protocols(), ffmpeg_utils.get_output_protocols()
    for name in ("file", "http", "https", "pipe", "tcp", "udp"):
        assert name in inputs and name in outputs
    assert "concat" in inputs and "concat" not in outputs
    assert "md5" in outputs and "md5" not in inputs


def test_an_unknown_kind_of_listing_fails_in_c_naming_it():
    with pytest.raises(decode_audio.DecodeAudioError, match="list components: unknown kind 99"):
        ffmpeg_components(99)


def test_build_config_is_the_configure_line():
    config = ffmpeg_utils.get_build_config()
    version, flags = config.split("\n")
    assert re.fullmatch(r"ffmpeg version \d+\.\d+\S*", version)
    assert flags.startswith("configuration: ") and "--enable-libmp3lame" in flags \
        and "--prefix=" in flags


def test_versions_are_the_running_libraries():
    v = ffmpeg_utils.get_versions()
    assert v["libavcodec"][0] >= 59 and v["libavformat"][0] >= 59
    assert ffmpeg_utils.get_versions is decode_audio.get_versions


def test_version_text_says_which_ffmpeg_build():
    # The wheel's own FFmpeg is configured with --extra-version=<debian revision>+decode_audio.
    first = ffmpeg_utils.get_build_config().splitlines()[0]
    bundled = first.endswith("+decode_audio")
    assert bundled == (os.environ.get("DECODE_AUDIO_LIBRARY", "").find("bundled") >= 0)
    text = version_text()
    assert ("bundled FFmpeg" if bundled else "system FFmpeg") in text
    assert first.split()[-1] in text


def test_top_level_reexports():
    for name in ("get_audio_decoders", "get_audio_encoders", "get_muxers", "get_demuxers",
                 "set_log_level", "get_log_level"):
        assert getattr(decode_audio, name) is getattr(ffmpeg_utils, name)


def test_log_level_round_trips_and_accepts_names(log_level):
    assert ffmpeg_utils.get_log_level() == 16
    for level in (-8, 0, 8, 24, 32, 40, 48, 56, 17):
        ffmpeg_utils.set_log_level(level)
        assert ffmpeg_utils.get_log_level() == level
    ffmpeg_utils.set_log_level("warning")
    assert ffmpeg_utils.get_log_level() == 24


@pytest.mark.parametrize("level", [-9, 57, 1000])
def test_log_level_out_of_range_is_a_value_error(level, log_level):
    with pytest.raises(ValueError, match="between -8"):
        ffmpeg_utils.set_log_level(level)
    assert ffmpeg_utils.get_log_level() == 16


def test_log_level_of_a_wrong_type_is_a_type_error(log_level):
    with pytest.raises(TypeError):
        ffmpeg_utils.set_log_level(16.0)
    with pytest.raises(ValueError, match="quiet"):
        ffmpeg_utils.set_log_level("loud")


def _junk(tmp_path) -> str:
    path = str(tmp_path / "junk.bin")
    with open(path, "wb") as f:
        f.write(bytes(range(256)) * 12)
    return path


def _message(path: str) -> str:
    with pytest.raises(decode_audio.DecodeAudioError) as e:
        decode_audio.decode(path, format="wav")
    return str(e.value)


def test_log_level_decides_what_error_messages_quote(tmp_path, log_level):
    path = _junk(tmp_path)
    # the wav demuxer logs why at error level; the message quotes it by default
    assert "(wav: invalid start code" in _message(path)
    ffmpeg_utils.set_log_level("quiet")
    assert _message(path) == f"open '{path}': Invalid data found when processing input"
    ffmpeg_utils.set_log_level("fatal")
    assert "wav:" not in _message(path)
    # at debug level later, chattier lines are recorded too
    ffmpeg_utils.set_log_level("debug")
    assert "(AVIOContext: Statistics" in _message(path)


def test_log_level_is_shared_by_threads(tmp_path, log_level):
    path = _junk(tmp_path)
    ffmpeg_utils.set_log_level("quiet")
    seen = []
    t = threading.Thread(target=lambda: seen.append(_message(path)))
    t.start()
    t.join()
    assert "(" not in seen[0]


def _cli(*args: str) -> str:
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"))
    return subprocess.run([sys.executable, "-m", "decode_audio", *args], capture_output=True,
                          text=True, check=True, env=env).stdout


def test_cli_codecs_flags_decoders_and_encoders():
    lines = {line.split()[1]: line.split()[0] for line in _cli("--codecs").splitlines()[3:]}
    assert lines["libmp3lame"] == ".E"
    assert lines["mp3float"] == "D."
    assert lines["flac"] == "DE"
    assert set(lines) == (set(ffmpeg_utils.get_audio_decoders())
                          | set(ffmpeg_utils.get_audio_encoders()))


def test_cli_formats_flags_demuxers_and_muxers():
    lines = {line.split()[1]: line.split()[0] for line in _cli("--formats").splitlines()[3:]}
    assert lines["wav"] == "DE"
    assert lines["ipod"] == ".E"
    assert lines["mov,mp4,m4a,3gp,3g2,mj2"] == "D."
