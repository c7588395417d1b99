"""The SoX backend: info, decode and save of paths through libsox (csrc/sox.c)."""

from __future__ import annotations

import ctypes
import functools
import math
import os
from typing import Any, Dict, FrozenSet, Optional

import numpy as np

from .. import _lib
from .._arrays import layout
from .._components import sox_formats
from .._dtypes import dtype_code
from .._files import write_in_place
from .._formats import (DTYPE_ENCODINGS, DTYPE_FLAC_BITS, FIXED_SIGNAL, flac_bits,
                        pcm_encoding)
from .._metadata import AudioMetaData, from_info
from .._options import fill_struct
from .._registry import Backend, register

__all__ = ["BACKEND", "ENCODINGS", "info", "decode", "save", "formats", "available"]

# torchaudio's encodings that libsox writes, with their default bits per sample.
ENCODINGS: Dict[str, Optional[int]] = {
    "PCM_S": None, "PCM_U": 8, "PCM_F": 32, "ULAW": 8, "ALAW": 8, "FLAC": None, "MP3": None,
    "VORBIS": None, "GSM": None, "AMR_NB": None, "AMR_WB": None,
}
# save()'s format names that SoX spells differently.
_SOX_TYPES = {"vorbis": "ogg", "oga": "ogg", "aif": "aiff", "nist": "sph", "amr-nb": "amr-nb"}


def _path(src: Any) -> bytes:
    return os.fsencode(os.fspath(src))


@functools.lru_cache(maxsize=None)
def available() -> bool:
    """Whether the C library was built with libsox."""
    return bool(_lib.da_sox_available())


@functools.lru_cache(maxsize=None)
def formats(write: bool) -> FrozenSet[str]:
    """SoX's file types that read (or write); empty without libsox."""
    return frozenset(sox_formats(write)) if available() else frozenset()


def info(src: Any, format: Optional[str]) -> AudioMetaData:
    result = _lib.InfoStruct()
    _lib.da_sox_probe(_path(src), format.encode() if format else None, ctypes.byref(result),
                      _lib.error_buffer(), _lib.ERROR_SIZE)
    try:
        return from_info(result)
    finally:
        _lib.da_info_clear(ctypes.byref(result))


def decode(src: Any, code: Optional[int], frame_offset: int = 0, num_frames: int = -1,
           channels_first: bool = False, format: Optional[str] = None) -> Any:
    """Decodes `src` into a C buffer (zero-copy, as the FFmpeg path): the ``da_audio``
    pointer, for the caller to wrap in an Audio."""
    opts = _lib.DecodeOptions()
    _lib.da_decode_options_init(ctypes.byref(opts))
    fill_struct(opts, {"frame_offset": frame_offset, "num_frames": num_frames, "dtype": code,
                       "channels_first": channels_first, "format": format or None})
    ptr = ctypes.POINTER(_lib.AudioStruct)()
    _lib.da_sox_decode(_path(src), ctypes.byref(opts), ctypes.byref(ptr), _lib.error_buffer(),
                       _lib.ERROR_SIZE)
    return ptr


def save(uri: Any, array: np.ndarray, sample_rate: int, channels_first: bool,
         format: Optional[str], encoding: Optional[str], bits_per_sample: Optional[int],
         compression: Any, durable: bool = False,
         tags: Optional[Dict[str, Any]] = None) -> None:
    """Writes `array` (2-D, any strides) to the path `uri` through libsox."""
    if tags:
        raise ValueError("the sox backend writes no tags; use backend='ffmpeg' (any tags) or "
                         "'soundfile'")
    if format is None:
        format = os.path.splitext(os.fspath(uri))[1].lstrip(".")
        if not format:
            raise ValueError(f"cannot tell the format of {uri!r} from its name; pass format=")
    sox_type = _SOX_TYPES.get(format.lower(), format.lower())
    if sox_type not in formats(True):
        raise ValueError(f"SoX does not write format {format!r}; see "
                         "sox_utils.list_write_formats()")
    if sox_type == "flac":
        bits_per_sample = flac_bits(encoding, bits_per_sample)
        encoding = None
        if bits_per_sample is None:
            bits_per_sample = DTYPE_FLAC_BITS[array.dtype.name]
    elif sox_type in ("wav", "w64", "amb") and encoding is None and bits_per_sample is None:
        encoding, bits_per_sample = DTYPE_ENCODINGS[array.dtype.name]
    frames, channels, frame_step, channel_step = layout(array, channels_first)
    if sox_type in FIXED_SIGNAL and (sample_rate, channels) != FIXED_SIGNAL[sox_type]:
        rate, count = FIXED_SIGNAL[sox_type]
        raise ValueError(f"{sox_type} files hold {rate} Hz {'mono' if count == 1 else ''} "
                         f"audio only; got {channels} channel{'s' if channels != 1 else ''} at "
                         f"{sample_rate} Hz (resample and downmix first, e.g. with decode(..., "
                         f"sample_rate={rate}, num_channels={count}))")
    if encoding is not None:
        encoding = encoding.upper()
        if encoding not in ENCODINGS:
            raise ValueError(f"encoding must be one of {', '.join(ENCODINGS)}; got {encoding!r}")
    if bits_per_sample is not None and bits_per_sample not in (8, 16, 24, 32, 64):
        raise ValueError(f"bits_per_sample must be 8, 16, 24, 32 or 64; got {bits_per_sample}")
    if (encoding is None and bits_per_sample is not None
            and sox_type in ("wav", "w64", "amb", "aiff", "aifc", "au", "caf")):
        encoding = pcm_encoding(sox_type, bits_per_sample)
    if bits_per_sample is None and encoding is not None:
        bits_per_sample = ENCODINGS[encoding]
    if compression is not None and (isinstance(compression, bool)
                                    or not isinstance(compression, (int, float, np.number))):
        raise ValueError(f"the sox backend takes compression as a number (sox -C); got "
                         f"{compression!r}")
    opts = _lib.SoxSaveOptions()
    opts.sample_rate = int(sample_rate)
    opts.num_channels = channels
    opts.dtype = dtype_code(array.dtype)
    opts.bits_per_sample = bits_per_sample or 0
    opts.encoding = encoding.encode() if encoding else None
    opts.format = sox_type.encode()
    opts.compression = math.nan if compression is None else float(compression)
    data = array.__array_interface__["data"][0]

    def write(path: str) -> None:
        _lib.da_sox_save(_path(path), ctypes.byref(opts), data, frames, frame_step,
                         channel_step, _lib.error_buffer(), _lib.ERROR_SIZE)

    write_in_place(uri, write, durable, seeks=True)


BACKEND = register(Backend(
    "sox", file_like=False, urls=False, decodes=True, available=available,
    reads=lambda fmt: fmt in formats(False), writes=lambda fmt: fmt in formats(True),
    missing="libdecode_audio was built without libsox; install libsox-dev and run make",
    info=info, decode=decode, save=save))
