"""The FFmpeg backend: what FFmpeg reads and writes. The operations themselves (`_decode`,
`_reader`, `_writer`) serve it, so its record carries no functions."""

from __future__ import annotations

import functools
from typing import FrozenSet

from .. import _lib
from .._components import ffmpeg_components
from .._formats import FFMPEG_CANNOT_READ, MUXERS
from .._registry import Backend, register

__all__ = ["BACKEND"]


@functools.lru_cache(maxsize=None)
def muxers() -> FrozenSet[str]:
    """FFmpeg's muxer names and the extensions save() maps to one."""
    return frozenset(name for name, _ in ffmpeg_components(_lib.LIST_MUXERS)) | frozenset(MUXERS)


BACKEND = register(Backend(
    "ffmpeg", file_like=True, urls=True, decodes=True, available=lambda: True,
    reads=lambda fmt: fmt not in FFMPEG_CANNOT_READ, writes=lambda fmt: fmt in muxers()))
