"""What the linked libraries contain, as the C library lists it: FFmpeg's codecs, formats and
protocols, and SoX's file types."""

from __future__ import annotations

import ctypes
from typing import Callable, Dict, List, Tuple

from . import _lib

__all__ = ["ffmpeg_components", "sox_formats"]


def _pairs(fill: Callable[[object, object], object]) -> List[Tuple[str, str]]:
    """The (name, long name) pairs of a "name\\0long\\0" list that `fill` makes in C."""
    data = _lib.NamesBuffer()
    size = ctypes.c_int64()
    fill(ctypes.byref(data), ctypes.byref(size))
    try:
        parts = ctypes.string_at(data, size.value).split(b"\0") if size.value else []
    finally:
        _lib.da_names_free(ctypes.byref(data))
    names = [p.decode("utf-8", "replace") for p in parts]
    return list(zip(names[0::2], names[1::2]))


def ffmpeg_components(kind: int) -> List[Tuple[str, str]]:
    """FFmpeg's components of one `_lib.LIST_*` kind, as (name, description) pairs."""
    return _pairs(lambda data, size: _lib.da_list_components(
        kind, data, size, _lib.error_buffer(), _lib.ERROR_SIZE))


def sox_formats(write: bool) -> Dict[str, str]:
    """SoX's file types that read (or write): ``{"sph": "SPHERE ...", "htk": ..., ...}``."""
    return dict(_pairs(lambda data, size: _lib.da_sox_list_formats(
        int(write), data, size, _lib.error_buffer(), _lib.ERROR_SIZE)))
