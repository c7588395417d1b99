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


def make_variable(name: str, *args: str) -> list:
    """A variable of the Makefile as make expands it (given these command-line settings)."""
    out = subprocess.run(["make", "-s", "-C", ROOT, "--no-print-directory",
                          f"--eval=da-print-var: ; @echo $({name})", "da-print-var", *args],
                         check=True, capture_output=True, text=True).stdout
    return out.split()


def setup_make_flags() -> list:
    """The settings setup.py passes to make (read from its source: importing it would build),
    checked to be what its build step passes."""
    with open(os.path.join(ROOT, "setup.py")) as f:
        tree = ast.parse(f.read())
    flags = None
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "MAKE_FLAGS":
            flags = ast.literal_eval(node.value)
    assert flags is not None, "setup.py has no MAKE_FLAGS"
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)
             and getattr(node.func, "attr", "") == "check_call"]
    assert len(calls) == 1
    command = calls[0].args[0]
    assert isinstance(command, ast.List) and ast.literal_eval(command.elts[0]) == "make"
    assert any(isinstance(e, ast.Starred) and getattr(e.value, "id", "") == "MAKE_FLAGS"
               for e in command.elts), ast.dump(command)
    return flags


def test_make_compiles_with_warnings_as_errors():
    lines = make_dry_run()
    assert len(lines) == len(glob.glob(os.path.join(ROOT, "csrc", "*.c"))) - 1  # not the CLI
    for line in lines:
        assert "-Wall" in line.split() and "-Wextra" in line.split()
        assert "-Werror" in line.split(), line
    # the self-contained wheel's build (make wheel) too, without letting deprecations through
    bundled = make_variable("BUNDLED_CFLAGS")
    assert "-Werror" in bundled and not any(f.startswith("-Wno-") for f in bundled)


def test_pip_install_compiles_with_warnings_but_not_as_errors():
    flags = setup_make_flags()
    lines = make_dry_run(*flags)
    assert lines
    for line in lines:
        assert "-Wall" in line.split() and "-Wextra" in line.split()
        assert "-Werror" not in line, line
    # DECODE_AUDIO_FFMPEG=bundled pip install . builds bundled-lib with the same settings
    bundled = make_variable("BUNDLED_CFLAGS", *flags)
    assert "-Wall" in bundled and "-Werror" not in bundled


# Every C file of the repository: the library, its tests and harnesses, the benchmarks. (The
# shell and Python of build-tools/ pin the one FFmpeg the wheel bundles; they adapt no code.)
C_SOURCES = ["csrc/*.[ch]", "bench/*.[ch]", "tests/c/*.[ch]", "tests/fuzz/*.[ch]"]
# FFmpeg's version macros, its FF_API_ switches, a runtime version compared, and any #if on a
# version; the library's own DA_VERSION_* are not FFmpeg's (packed with AV_VERSION_INT, which
# alone checks nothing).
VERSION_CHECK = re.compile(r"\bLIB(AV|SW|POSTPROC)\w*_VERSION\w*|\bFF_API_\w+"
                           r"|\b(av\w*|sw\w*)_version\s*\(\s*\)\s*[<>=!]"
                           r"|^\s*#\s*(el)?if\b.*\b(?!DA_VERSION_)\w*VERSION")


def version_checks(path: str) -> list:
    with open(path) as f:
        return [f"{os.path.relpath(path, ROOT)}:{n}: {line.strip()}"
                for n, line in enumerate(f, 1) if VERSION_CHECK.search(line)]


def test_ffmpeg_version_checks_live_only_in_compat_h():
    paths = [p for pattern in C_SOURCES for p in glob.glob(os.path.join(ROOT, pattern))]
    assert {os.path.relpath(p, ROOT).split(os.sep)[0] for p in paths} == {"csrc", "bench", "tests"}
    compat = os.path.join(ROOT, "csrc", "compat.h")
    assert compat in paths
    assert [c for p in paths if p != compat for c in version_checks(p)] == []
    # what the check finds: compat.h's checks (the minimum version, the AVIO callback's buffer,
    # the encoders' supported configurations), and none of the library's own version
    found = "\n".join(version_checks(compat))
    assert found.count("#if") == 3, found
    assert not VERSION_CHECK.search("#if !defined(DA_VERSION_MAJOR) || !defined(DA_VERSION_PATCH)")
    assert not VERSION_CHECK.search("v = AV_VERSION_INT(DA_VERSION_MAJOR, DA_VERSION_MINOR, 0);")
    assert VERSION_CHECK.search("    if (avcodec_version() >= AV_VERSION_INT(61, 0, 0))")
    assert VERSION_CHECK.search("#if FF_API_OLD_CHANNEL_LAYOUT")


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
