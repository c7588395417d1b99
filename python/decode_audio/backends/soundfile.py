"""The soundfile backend: info, load and save through python-soundfile (libsndfile), imported
only when first used."""

from __future__ import annotations

import errno
import functools
import io
import os
from typing import Any, Dict, FrozenSet, Optional, Tuple

import numpy as np

from .._arrays import import_torch
from .._dtypes import DTYPE_NAMES, dtype_code
from .._errors import DecodeAudioFileNotFoundError
from .._files import refuse_text_mode, write_in_place
from .._formats import (DEFAULT_BITS, DTYPE_ENCODINGS, DTYPE_FLAC_BITS, flac_bits,
                        pcm_encoding)
from .._metadata import AudioMetaData
from .._options import OPTIONS
from .._registry import Backend, register

__all__ = ["BACKEND", "available", "formats", "major_format", "info", "load", "save"]

# libsndfile subtype -> (torchaudio's encoding, bits per sample, the dtype load(normalize=False)
# gives: the integer type of integer PCM, as the FFmpeg backend does).
_SUBTYPES: Dict[str, Tuple[str, int, str]] = {
    "PCM_S8": ("PCM_S", 8, "uint8"), "PCM_U8": ("PCM_U", 8, "uint8"),
    "PCM_16": ("PCM_S", 16, "int16"), "PCM_24": ("PCM_S", 24, "int32"),
    "PCM_32": ("PCM_S", 32, "int32"), "FLOAT": ("PCM_F", 32, "float32"),
    "DOUBLE": ("PCM_F", 64, "float32"), "ULAW": ("ULAW", 8, "float32"),
    "ALAW": ("ALAW", 8, "float32"), "VORBIS": ("VORBIS", 0, "float32"),
    "OPUS": ("OPUS", 0, "float32"), "MPEG_LAYER_III": ("MP3", 0, "float32"),
    "GSM610": ("GSM", 0, "float32"),
}
# (encoding, bits) -> libsndfile subtype, for save().
_SAVE_SUBTYPES = {
    ("PCM_S", 8): "PCM_S8", ("PCM_S", 16): "PCM_16", ("PCM_S", 24): "PCM_24",
    ("PCM_S", 32): "PCM_32", ("PCM_U", 8): "PCM_U8", ("PCM_F", 32): "FLOAT",
    ("PCM_F", 64): "DOUBLE", ("ULAW", 8): "ULAW", ("ALAW", 8): "ALAW",
}
_READ_DTYPES = ("float32", "float64", "int16", "int32")
# The tags libsndfile writes.
_TAGS = ("title", "copyright", "software", "artist", "comment", "date", "album", "license",
         "tracknumber", "genre")
# Extensions and format names -> libsndfile's major formats, where they differ.
_FORMATS = {"aif": "AIFF", "aifc": "AIFF", "oga": "OGG", "vorbis": "OGG", "opus": "OGG",
            "sph": "NIST", "snd": "AU", "mp3": "MP3"}


@functools.lru_cache(maxsize=None)
def _module() -> Any:
    try:
        import soundfile
    except (ImportError, OSError):
        return None
    return soundfile


def available() -> bool:
    return _module() is not None


def formats() -> Dict[str, str]:
    """libsndfile's major formats: ``{"WAV": "WAV (Microsoft)", ...}``."""
    return dict(_module().available_formats())


@functools.lru_cache(maxsize=None)
def _known_formats() -> FrozenSet[str]:
    return frozenset(formats()) if available() else frozenset()


def knows(fmt: str) -> bool:
    """Whether libsndfile reads and writes files of this extension or format name."""
    return major_format(fmt, None) in _known_formats()


def major_format(format: Optional[str], path: Any) -> Optional[str]:
    """libsndfile's major format for a format name, or else the extension of `path`."""
    if format is None and isinstance(path, (str, os.PathLike)):
        format = os.path.splitext(os.fspath(path))[1].lstrip(".") or None
    if format is None:
        return None
    return _FORMATS.get(format.lower(), format.upper())


def _opened(src: Any) -> Any:
    """What soundfile can open: a path, or a file-like (bytes are shared by io.BytesIO; a
    bytearray or memoryview is copied into it once)."""
    if isinstance(src, (bytes, bytearray, memoryview)):
        return io.BytesIO(src)
    if isinstance(src, (str, os.PathLike)):
        path = os.fspath(src)
        if not os.path.exists(path):
            raise DecodeAudioFileNotFoundError(errno.ENOENT,
                                               f"open '{path}': No such file or directory")
        return path
    if not isinstance(src, str):
        refuse_text_mode(src, "read")
    if not isinstance(src, str) and not (hasattr(src, "seekable") and src.seekable()):
        raise ValueError("the soundfile backend reads seekable file-like objects only; use "
                         "backend='ffmpeg' for streams")
    return src


def info(src: Any, format: Optional[str]) -> AudioMetaData:
    sf = _module()
    f = _opened(src)
    start = f.tell() if hasattr(f, "seekable") and f.seekable() else None
    try:
        with sf.SoundFile(f, format=_raw_format(format)) as s:
            fmt, subtype, frames, rate, channels = (s.format, s.subtype, s.frames,
                                                    s.samplerate, s.channels)
            tags = {k: v for k, v in s.copy_metadata().items() if v}
    finally:
        if start is not None:
            f.seek(start)
    encoding, bits, _ = _SUBTYPES.get(subtype, (subtype, 0, "float32"))
    if fmt == "FLAC":
        encoding = "FLAC"
    return AudioMetaData(sample_rate=rate, num_frames=frames, num_channels=channels,
                         bits_per_sample=bits, encoding=encoding, codec="",
                         container=fmt.lower(), duration=frames / rate if rate else 0.0,
                         tags=tags, sample_format=subtype)


def _raw_format(format: Optional[str]) -> Optional[str]:
    # libsndfile probes by itself; a format is needed only for headerless (RAW) input
    return "RAW" if format is not None and format.upper() == "RAW" else None


def load(src: Any, frame_offset: int, num_frames: int, normalize: bool, channels_first: bool,
         format: Optional[str], dtype: Any = None) -> Tuple[Any, int]:
    torch = import_torch("load()")
    frame_offset = OPTIONS["frame_offset"].check(frame_offset)
    num_frames = OPTIONS["num_frames"].check(num_frames)
    sf = _module()
    with sf.SoundFile(_opened(src), format=_raw_format(format)) as s:
        if dtype is not None:
            name = DTYPE_NAMES[dtype_code(dtype)]
        elif normalize or s.format in ("FLAC", "OGG", "MP3"):
            name = "float32"  # integers only for integer PCM, as with FFmpeg
        else:
            name = _SUBTYPES.get(s.subtype, ("", 0, "float32"))[2]
        read = name if name in _READ_DTYPES else "int16"
        if name not in _READ_DTYPES and name != "uint8":
            raise ValueError(f"the soundfile backend loads float32, float64, int16, int32 or "
                             f"uint8; got dtype {name}")
        if frame_offset:
            s.seek(min(frame_offset, s.frames) if s.seekable() else frame_offset)
        data = s.read(num_frames, dtype=read, always_2d=True)
        rate = s.samplerate
    if name == "uint8":  # FFmpeg's unsigned 8-bit: the high byte, offset by 128
        data >>= 8
        data += 128
        data = data.astype(np.uint8)
    tensor = torch.from_numpy(data)
    return (tensor.t() if channels_first else tensor), rate


def save(uri: Any, array: np.ndarray, sample_rate: int, channels_first: bool,
         format: Optional[str], encoding: Optional[str], bits_per_sample: Optional[int],
         compression: Any, durable: bool = False,
         tags: Optional[Dict[str, Any]] = None) -> None:
    sf = _module()
    unknown = sorted(set(tags or {}) - set(_TAGS))
    if unknown:
        raise ValueError(f"the soundfile backend writes the tags {', '.join(_TAGS)}; got "
                         f"{', '.join(unknown)} (backend='ffmpeg' writes any)")
    major = major_format(format, uri)
    if major is None:
        raise ValueError("format is required when saving to a file-like object")
    if major not in formats():
        raise ValueError(f"libsndfile does not write {major}; its formats: "
                         f"{', '.join(sorted(formats()))}")
    subtype = None
    if major == "FLAC":
        bits_per_sample = flac_bits(encoding, bits_per_sample)
        encoding = None
        if bits_per_sample is None:
            bits_per_sample = DTYPE_FLAC_BITS[array.dtype.name]
    elif major in ("WAV", "W64", "WAVEX", "RF64") and encoding is None and bits_per_sample is None:
        encoding, bits_per_sample = DTYPE_ENCODINGS[array.dtype.name]
    if encoding is not None or bits_per_sample is not None:
        enc = (encoding or pcm_encoding(major, bits_per_sample)).upper()
        bits = bits_per_sample or DEFAULT_BITS.get(enc)
        subtype = _SAVE_SUBTYPES.get((enc, bits))
        if subtype is None or not sf.check_format(major, subtype):
            raise ValueError(f"the soundfile backend cannot write {major} with encoding={enc} "
                             f"and bits_per_sample={bits}")
    elif major in ("WAV", "AIFF", "AU", "W64", "CAF", "FLAC", "NIST", "RF64", "WAVEX"):
        subtype = "PCM_16"  # as the FFmpeg backend's default
    level = None
    if compression is not None:
        if major != "FLAC" or not 0 <= compression <= 8:
            raise ValueError("the soundfile backend takes compression only for FLAC, as a "
                             f"level from 0 to 8; got {compression!r}")
        level = compression / 8
    if array.dtype == np.uint8:  # libsndfile takes no 8-bit samples: scaled to [-1, 1)
        array = array.astype(np.float32)
        array /= 128
        array -= 1
    frames_first = array.T if channels_first else array

    def write(dst: Any) -> None:
        with sf.SoundFile(dst, "w", int(sample_rate), frames_first.shape[1], subtype=subtype,
                          format=major, compression_level=level) as f:
            for key, value in (tags or {}).items():
                setattr(f, key, str(value))
            f.write(frames_first)

    if isinstance(uri, (str, os.PathLike)):
        write_in_place(uri, write, durable)
    else:
        write(uri)


BACKEND = register(Backend(
    "soundfile", file_like=True, urls=False, decodes=False, available=available, reads=knows,
    writes=knows, missing="python-soundfile is not installed; pip install soundfile",
    info=info, load=load, save=save))
