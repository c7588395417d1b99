"""Building on every FFmpeg: version checks live in csrc/compat.h, and warnings fail our builds
but not a user's `pip install .`; and what differs between FFmpeg versions.

Measured between FFmpeg 5.1 (Debian 12) and 7.1 (Debian 13), each decoding the same files, and
each tested where it shows:
- samples: AAC, Opus and Vorbis decode a rounding step apart (below); the rest bit for bit;
  lengths agree. Encoders differ too (LAME's header, AAC), so each version's run makes its own
  inputs (DECODE_AUDIO_TEST_INPUTS).
- error texts (tests/test_diagnostics.py, conftest.FFMPEG_7): a filter graph fails with
  "Filter not found" where 5.1 said "Invalid argument", and FFmpeg's own line differs; the MP3
  demuxer refuses a WAV with "Invalid data found" where 5.1 said "Invalid argument".
- the AU demuxer of 7.1 refuses a 268 MHz rate at open, where 5.1 opened it and the library
  refused to resample it (tests/test_fuzz_regressions.py).
- the FLAC parser of 7.1 gives a packet without a timestamp where it resyncs in damaged data;
  the library places it after the one before, so on_error="raise" names a time on both
  (tests/test_on_error.py).
- the CLI's `-demuxers` list gained a device column (tests/test_ffmpeg_utils.py).
And on 9.0 (Debian sid): the CLI ends AAC in MP4 where the MP4 says, as the library always
does, where 5.1 and 7.1 also output the encoder's end padding (conftest.cli_trims_mp4_padding,
tests/test_formats.py and below).
"""

from __future__ import annotations

import ast
import glob
import os
import re
import subprocess

import numpy as np
import pytest

from conftest import FFMPEG_LIBS, ROOT, cli_trims_mp4_padding, make_input

import decode_audio


def make_dry_run(*args: str) -> list:
    """The compiler commands `make lib` would run from scratch (nothing is built)."""
    out = subprocess.run(["make", "-n", "-B", "-C", ROOT, "--no-print-directory",
                          "BUILD=build/dry-run", "LIB=build/dry-run/lib.so", "lib", *args],
                         check=True, capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if " -c csrc/" in line]


def setup_make_command() -> list:
    """The make command setup.py runs (read from its source: importing it would build)."""
    with open(os.path.join(ROOT, "setup.py")) as f:
        tree = ast.parse(f.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "MAKE_LIB":
            return ast.literal_eval(node.value)
    raise AssertionError("setup.py has no MAKE_LIB")


def test_make_compiles_with_warnings_as_errors():
    lines = make_dry_run()
    assert len(lines) == len(glob.glob(os.path.join(ROOT, "csrc", "*.c"))) - 1  # not the CLI
    for line in lines:
        assert "-Wall" in line.split() and "-Wextra" in line.split()
        assert "-Werror" in line.split(), line


def test_pip_install_compiles_with_warnings_but_not_as_errors():
    command = setup_make_command()
    assert command[:2] == ["make", "lib"]
    lines = make_dry_run(*command[2:])
    assert lines
    for line in lines:
        assert "-Wall" in line.split() and "-Wextra" in line.split()
        assert "-Werror" not in line, line


def test_ffmpeg_version_checks_live_only_in_compat_h():
    check = re.compile(r"\bLIB(AV|SW)\w*_VERSION\w*|\bFF_API_\w+|^\s*#\s*(el)?if.*VERSION")
    offenders = []
    for path in glob.glob(os.path.join(ROOT, "csrc", "*.[ch]")):
        if os.path.basename(path) == "compat.h":
            continue
        with open(path) as f:
            for n, line in enumerate(f, 1):
                if check.search(line):
                    offenders.append(f"{os.path.basename(path)}:{n}: {line.strip()}")
    assert offenders == []


def test_compat_h_is_what_internal_h_includes_first():
    with open(os.path.join(ROOT, "csrc", "internal.h")) as f:
        includes = re.findall(r'^#include "(\S+)"', f.read(), re.M)
    assert includes[0] == "compat.h"


# ---- what differs between FFmpeg versions, measured on 5.1 (Debian 12) and 7.1 (Debian 13) ----
# `make compat-suite` runs this suite on another release's FFmpeg with its `ffmpeg` as the
# oracle, and names the machine's own `ffmpeg` here as the other version.
OTHER_FFMPEG = os.environ.get("DECODE_AUDIO_OTHER_FFMPEG")
needs_other_ffmpeg = pytest.mark.skipif(
    not OTHER_FFMPEG, reason="no second FFmpeg (make compat-suite names one)")

# Float decoders whose arithmetic changed: the same file decodes to samples a rounding step
# apart (at most 2**-22 measured, on ~half the samples), of the same length. Integer
# decoders agree bit for bit.
FLOAT_ROUNDING = {"aac": 2.0 ** -22, "opus": 2.0 ** -22, "vorbis": 2.0 ** -22}
SAME_BITS = ["wav_s16", "wav_s24", "wav_f32", "wav_ulaw", "flac", "flac_s24", "mp3", "aiff"]


def decode_with(ffmpeg: str, path: str) -> np.ndarray:
    out = subprocess.run([ffmpeg, "-nostdin", "-v", "error", "-i", path, "-f", "f32le", "-"],
                         check=True, capture_output=True).stdout
    return np.frombuffer(out, np.float32).reshape(-1, 2)


def libavformat_major(ffmpeg: str) -> int:
    out = subprocess.run([ffmpeg, "-version"], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^libavformat +(\d+)\.", out, re.M).group(1))


@needs_other_ffmpeg
@pytest.mark.parametrize("fmt", sorted(FLOAT_ROUNDING) + SAME_BITS)
def test_samples_match_another_ffmpeg_version_within_its_rounding(fmt):
    path = make_input(fmt, 2, 48000)
    theirs, oracle = decode_with(OTHER_FFMPEG, path), decode_with("ffmpeg", path)
    # ours ends where an MP4 says the stream does, before the AAC encoder's padding (128
    # frames here), where FFmpeg 9's CLI ends too
    ours = decode_audio.decode(path, dtype="float32").numpy()
    for cli, major in ((theirs, libavformat_major(OTHER_FFMPEG)),
                       (oracle, FFMPEG_LIBS["libavformat"][0])):
        padded = fmt == "aac" and not cli_trims_mp4_padding(major)
        assert len(cli) == len(ours) + (128 if padded else 0)
    theirs = theirs[:len(ours)]
    if fmt in FLOAT_ROUNDING:
        assert np.abs(ours - theirs).max() <= FLOAT_ROUNDING[fmt]
    else:
        np.testing.assert_array_equal(ours, theirs)
