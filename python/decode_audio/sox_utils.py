"""What the SoX backend reads and writes: torchaudio's ``utils.sox_utils`` listings.

>>> from decode_audio import sox_utils
>>> "htk" in sox_utils.list_write_formats()      # doctest: +SKIP
True
"""

from __future__ import annotations

from typing import List

from ._components import sox_formats
from ._registry import BACKENDS

__all__ = ["is_available", "list_read_formats", "list_write_formats"]


def is_available() -> bool:
    """Whether the C library was built with libsox (the ``"sox"`` backend)."""
    return BACKENDS["sox"].available()


def _formats(write: bool) -> List[str]:
    if not is_available():
        raise RuntimeError(f"the sox backend is not available: {BACKENDS['sox'].missing}")
    return sorted(sox_formats(write))


def list_read_formats() -> List[str]:
    """SoX's file types that the sox backend reads (``"htk"``, ``"sph"``, ``"wav"``, ...)."""
    return _formats(False)


def list_write_formats() -> List[str]:
    """SoX's file types that the sox backend writes (``"amb"``, ``"htk"``, ``"sph"``, ...)."""
    return _formats(True)
