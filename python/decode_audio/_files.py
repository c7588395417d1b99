"""Files written in place of others: every backend's `save` writes a temporary file beside its
target and renames it over the target at the end."""

from __future__ import annotations

import os
import tempfile
from typing import Any, Callable

from ._errors import DecodeAudioError

__all__ = ["write_in_place"]


def write_in_place(target: Any, write: Callable[[str], None]) -> None:
    """Calls ``write(temporary_path)`` beside `target`, then renames it over `target`, so a
    failure leaves nothing there and an existing file untouched (every backend's save)."""
    target = os.fspath(target)
    directory = os.path.dirname(os.path.abspath(target))
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", suffix=".part",
                                         dir=directory)
    except OSError as e:
        raise type(e)(e.errno, f"save '{target}': {e.strerror}") from None
    os.close(fd)
    try:
        write(temporary)
        os.replace(temporary, target)
    except BaseException as e:
        if os.path.exists(temporary):
            os.unlink(temporary)
        if isinstance(e, DecodeAudioError) and temporary in e.message:
            # the message names the file the caller asked for, not the temporary one
            raise DecodeAudioError(e.message.replace(temporary, target), e.code) from None
        raise
