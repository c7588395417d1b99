"""What the subcommands share: raw sample formats, output kinds, progress bars, the errors a
command reports without a traceback, and seconds to frames."""

from __future__ import annotations

import os
import sys
from typing import Any, Optional

from tqdm import tqdm

from .._registry import BACKENDS

__all__ = ["RAW_FORMATS", "RAW_EXTENSIONS", "UsageError", "EXPECTED", "extension", "progress",
           "SECONDS_BAR", "writable_format", "is_raw_output", "frames", "os_message"]

# FFmpeg's raw sample format names -> dtype (native little-endian order, as decode writes).
RAW_FORMATS = {"u8": "uint8", "s8": "int8", "s16le": "int16", "s32le": "int32",
               "f32le": "float32", "f64le": "float64"}
# Outputs that are raw samples: these extensions, none, or a raw format's name.
RAW_EXTENSIONS = ("", "raw", "pcm", *RAW_FORMATS)


class UsageError(Exception):
    """A command line that asks for something impossible; exit status 2, nothing written."""


# What a command reports as a message rather than a traceback: FileNotFoundError, a full
# disk, a closed pipe (OSError); DecodeAudioError (a RuntimeError); bad values (ValueError).
EXPECTED = (OSError, RuntimeError, ValueError, UsageError)


def extension(path: str) -> str:
    return os.path.splitext(path)[1][1:].lower()


def is_raw_output(path: str) -> bool:
    """Whether `path` gets raw samples: standard output, or a raw extension."""
    return path == "-" or extension(path) in RAW_EXTENSIONS


def writable_format(name: str) -> bool:
    """Whether some available backend's save() writes format `name` (an extension)."""
    return bool(name) and any(b.available() and b.writes(name) for b in BACKENDS.values())


# A bar counting seconds of input: "42%|####      | 25.2/60.0 s [00:03<00:04]".
SECONDS_BAR = "{l_bar}{bar}| {n:.1f}/{total:.1f} s [{elapsed}<{remaining}]"


def progress(enabled: Optional[bool], **kwargs: Any) -> Any:
    """A tqdm bar on stderr, shown when stderr is a terminal unless `enabled` says otherwise."""
    show = sys.stderr.isatty() if enabled is None else enabled
    return tqdm(disable=not show, file=sys.stderr, dynamic_ncols=True, **kwargs)


def frames(seconds: Optional[float], rate: int) -> Optional[int]:
    return None if seconds is None else int(round(seconds * rate))


def os_message(e: OSError) -> str:
    """``what 'path': reason`` for an OSError, with no errno noise."""
    reason = e.strerror or str(e)
    if e.filename is None or str(e.filename) in reason:
        return reason
    return f"'{e.filename}': {reason}"
