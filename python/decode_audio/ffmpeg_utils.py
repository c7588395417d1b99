"""What the running FFmpeg contains, and its log level: torchaudio's ``utils.ffmpeg_utils``.

>>> from decode_audio import ffmpeg_utils
>>> "libmp3lame" in ffmpeg_utils.get_audio_encoders()     # doctest: +SKIP
True
>>> ffmpeg_utils.set_log_level(24)            # record warnings too  # doctest: +SKIP
"""

from __future__ import annotations

import ctypes
from typing import Dict, List, Tuple, Union

from . import _lib
from ._components import ffmpeg_components

__all__ = [
    "get_versions",
    "get_audio_decoders",
    "get_audio_encoders",
    "get_muxers",
    "get_demuxers",
    "get_input_protocols",
    "get_output_protocols",
    "get_build_config",
    "get_log_level",
    "set_log_level",
    "LOG_LEVELS",
]

# FFmpeg's log levels by their `ffmpeg -loglevel` names.
LOG_LEVELS: Dict[str, int] = {
    "quiet": -8,
    "panic": 0,
    "fatal": 8,
    "error": 16,
    "warning": 24,
    "info": 32,
    "verbose": 40,
    "debug": 48,
    "trace": 56,
}


def get_versions() -> Dict[str, Tuple[int, int, int]]:
    """Versions of decode_audio and of the FFmpeg libraries it runs with, as torchaudio's
    ``get_versions``: every value a tuple (FFmpeg's own version string is the first line of
    `get_build_config`).

    Returns
    -------
    dict
        ``{"decode_audio": (0, 1, 0), "libavutil": (57, 28, 100), ...}``.
    """
    v = _lib.Versions()
    _lib.da_get_versions(ctypes.byref(v))

    def split(n: int) -> Tuple[int, int, int]:
        return (n >> 16, (n >> 8) & 0xFF, n & 0xFF)

    return {
        "decode_audio": split(v.decode_audio),
        "libavutil": split(v.avutil),
        "libavcodec": split(v.avcodec),
        "libavformat": split(v.avformat),
        "libavfilter": split(v.avfilter),
        "libswresample": split(v.swresample),
    }


def get_audio_decoders() -> Dict[str, str]:
    """Audio decoders: ``{"mp3float": "MP3 (MPEG audio layer 3)", "flac": ..., ...}``."""
    return dict(ffmpeg_components(_lib.LIST_AUDIO_DECODERS))


def get_audio_encoders() -> Dict[str, str]:
    """Audio encoders: ``{"libmp3lame": "libmp3lame MP3 (MPEG audio layer 3)", ...}``."""
    return dict(ffmpeg_components(_lib.LIST_AUDIO_ENCODERS))


def get_muxers() -> Dict[str, str]:
    """Muxers (output formats, not devices): ``{"wav": "WAV / WAVE (Waveform Audio)", ...}``."""
    return dict(ffmpeg_components(_lib.LIST_MUXERS))


def get_demuxers() -> Dict[str, str]:
    """Demuxers (input formats, not devices): ``{"wav": "WAV / WAVE (Waveform Audio)", ...}``."""
    return dict(ffmpeg_components(_lib.LIST_DEMUXERS))


def get_input_protocols() -> List[str]:
    """Protocols that read: ``["async", "cache", "concat", ..., "file", "http", ...]``."""
    return [name for name, _ in ffmpeg_components(_lib.LIST_INPUT_PROTOCOLS)]


def get_output_protocols() -> List[str]:
    """Protocols that write: ``["crypto", "file", "ftp", ...]``."""
    return [name for name, _ in ffmpeg_components(_lib.LIST_OUTPUT_PROTOCOLS)]


def get_build_config() -> str:
    """FFmpeg's build, as ``ffmpeg -buildconf`` gives it: a first line ``ffmpeg version
    5.1.6-0+deb12u1`` and a second ``configuration: --prefix=/usr ...`` (the flags it was
    configured with). The pinned FFmpeg of the self-contained wheel has a version ending in
    ``+decode_audio``; any other is the system's, which the library links."""
    v = _lib.Versions()
    _lib.da_get_versions(ctypes.byref(v))
    config = ctypes.c_char_p()
    _lib.da_get_build_config(ctypes.byref(config))
    return (f"ffmpeg version {v.ffmpeg.decode('utf-8', 'replace')}\n"
            f"configuration: {(config.value or b'').decode('utf-8', 'replace')}")


def get_log_level() -> int:
    """The most verbose FFmpeg log level recorded; see `set_log_level`."""
    level = ctypes.c_int()
    _lib.da_get_log_level(ctypes.byref(level))
    return level.value


def set_log_level(level: Union[int, str]) -> None:
    """Sets the most verbose FFmpeg log level recorded, as torchaudio's ``set_log_level``.

    Each thread keeps FFmpeg's last message at or below this level, and error messages quote
    it where it says more than the error code. decode_audio never prints FFmpeg's messages.
    The level is process-wide and changing it is thread-safe; FFmpeg's own global level
    (``av_log_set_level``) is left alone.

    Parameters
    ----------
    level : int or str
        FFmpeg's levels (or their names): ``-8`` quiet (record nothing), ``0`` panic, ``8``
        fatal, ``16`` error (the default), ``24`` warning, ``32`` info, ``40`` verbose,
        ``48`` debug, ``56`` trace; any integer in between.

    Examples
    --------
    >>> set_log_level(24)          # doctest: +SKIP
    >>> set_log_level("quiet")     # doctest: +SKIP
    """
    if isinstance(level, str):
        if level not in LOG_LEVELS:
            raise ValueError(f"level must be one of {', '.join(LOG_LEVELS)} or an integer; "
                             f"got {level!r}")
        level = LOG_LEVELS[level]
    if isinstance(level, bool) or not isinstance(level, int):
        raise TypeError(f"level must be an int; got {type(level).__name__}")
    if not LOG_LEVELS["quiet"] <= level <= LOG_LEVELS["trace"]:
        raise ValueError(f"level must be between -8 (quiet) and 56 (trace); got {level}")
    _lib.da_set_log_level(level)
