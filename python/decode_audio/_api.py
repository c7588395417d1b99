"""The public functions: `info`, `decode`, `load`, `get_versions`."""

from __future__ import annotations

import ctypes
from dataclasses import dataclass, field
from typing import Any, Dict, Optional, Tuple

from . import _lib
from ._audio import Audio, dtype_code
from ._source import Source, SourceLike

__all__ = ["AudioMetaData", "info", "decode", "load", "get_versions"]


@dataclass
class AudioMetaData:
    """What `info` found, with torchaudio's field names.

    Attributes
    ----------
    sample_rate : int
    num_frames : int
        Frames `decode` returns at the native rate; an estimate when `num_frames_exact` is False.
    num_channels : int
    bits_per_sample : int
        Coded depth for PCM and lossless codecs (FLAC: 16 or 24); 0 for lossy ones.
    encoding : str
        ``PCM_S PCM_U PCM_F FLAC ULAW ALAW MP3 VORBIS AMR_NB AMR_WB OPUS GSM``, or FFmpeg's
        codec name in capitals for others (``AAC``, ``ALAC``...).
    codec : str
        FFmpeg's codec name (``"pcm_s16le"``, ``"mp3"``...).
    container : str
        FFmpeg's demuxer name (``"wav"``, ``"mov,mp4,m4a,3gp,3g2,mj2"``...).
    duration : float
        Seconds.
    bit_rate : int
        Bits per second, 0 when unknown.
    tags : dict
        Container and stream metadata.
    num_frames_exact : bool
        Whether `num_frames` is what a full decode returns.
    stream_index : int
        The stream described, as FFmpeg counts them.
    sample_format : str
        The decoder's own sample format (``"s16"``, ``"fltp"``...).
    """

    sample_rate: int
    num_frames: int
    num_channels: int
    bits_per_sample: int
    encoding: str
    codec: str = ""
    container: str = ""
    duration: float = 0.0
    bit_rate: int = 0
    tags: Dict[str, str] = field(default_factory=dict)
    num_frames_exact: bool = True
    stream_index: int = 0
    sample_format: str = ""

    def __repr__(self) -> str:
        return (
            f"AudioMetaData(sample_rate={self.sample_rate}, num_frames={self.num_frames}, "
            f"num_channels={self.num_channels}, bits_per_sample={self.bits_per_sample}, "
            f"encoding={self.encoding})"
        )


def _text(value: bytes) -> str:
    return value.decode("utf-8", "replace")


def _open_options(
    opts: Any,
    format: Optional[str],
    buffer_size: int,
    stream_index: Optional[int],
) -> list:
    """Fills a ``da_open_options``; returns the encoded strings it points to."""
    if buffer_size <= 0:
        raise ValueError(f"buffer_size must be positive; got {buffer_size}")
    keep = []
    if format is not None:
        opts.format = fmt = format.encode()
        keep.append(fmt)
    opts.buffer_size = buffer_size
    opts.stream_index = -1 if stream_index is None else int(stream_index)
    if opts.stream_index < -1:
        raise ValueError(f"stream_index must be >= 0; got {stream_index}")
    return keep


def info(
    src: SourceLike,
    format: Optional[str] = None,
    buffer_size: int = 65536,
    backend: Optional[str] = None,
    *,
    exact: bool = True,
    stream_index: Optional[int] = None,
) -> AudioMetaData:
    """Describes the audio stream of `src` without decoding it (where the header suffices).

    Parameters
    ----------
    src : path, URL, bytes-like or file-like
    format : str, optional
        FFmpeg demuxer name, for inputs whose format cannot be probed.
    buffer_size : int
        I/O buffer size for bytes and file-like sources.
    backend : str, optional
        ``None`` or ``"ffmpeg"``.
    exact : bool
        Make `num_frames` exact, reading further where the header only estimates it.
    stream_index : int, optional
        The stream to describe; default: FFmpeg's best audio stream.

    Returns
    -------
    AudioMetaData

    Examples
    --------
    >>> decode_audio.info("speech.wav")            # doctest: +SKIP
    AudioMetaData(sample_rate=16000, num_frames=54400, num_channels=1, bits_per_sample=16, encoding=PCM_S)
    """
    _check_backend(backend)
    opts = _lib.OpenOptions()
    keep = _open_options(opts, format, buffer_size, stream_index)  # noqa: F841 - kept alive
    result = _lib.InfoStruct()
    with Source(src, restore_position=True) as source:
        _lib.da_probe(
            source.pointer,
            ctypes.byref(opts),
            int(bool(exact)),
            ctypes.byref(result),
            _lib.error_buffer(),
            _lib.ERROR_SIZE,
        )
    try:
        tags: Dict[str, str] = {}
        if result.tags_size > 0:
            parts = ctypes.string_at(result.tags, result.tags_size).split(b"\0")
            for key, value in zip(parts[0::2], parts[1::2]):
                tags[_text(key)] = _text(value)
        return AudioMetaData(
            sample_rate=result.sample_rate,
            num_frames=result.num_frames,
            num_channels=result.num_channels,
            bits_per_sample=result.bits_per_sample,
            encoding=_text(result.encoding),
            codec=_text(result.codec),
            container=_text(result.container),
            duration=result.duration,
            bit_rate=result.bit_rate,
            tags=tags,
            num_frames_exact=bool(result.num_frames_exact),
            stream_index=result.stream_index,
            sample_format=_text(result.sample_format),
        )
    finally:
        _lib.da_info_clear(ctypes.byref(result))


def decode(
    src: SourceLike,
    *,
    frame_offset: int = 0,
    num_frames: int = -1,
    dtype: Any = "float32",
    sample_rate: Optional[int] = None,
    num_channels: Optional[int] = None,
    channels_first: bool = False,
    stream_index: Optional[int] = None,
    format: Optional[str] = None,
    buffer_size: int = 65536,
) -> Audio:
    """Decodes `src` into one buffer, in the type and layout asked for.

    Parameters
    ----------
    src : path, URL, bytes-like or file-like
        Bytes are read in place; file-likes through ``readinto`` or ``read`` (and ``seek``
        when ``seekable()``).
    frame_offset, num_frames : int
        The window, in output frames (after resampling): equal to ``decode(src)[a:a+b]``.
        ``num_frames=-1`` reads to the end. Decoding stops once the window is full.
    dtype : str or dtype
        ``uint8 int8 int16 int32 float32 float64``. Integers use FFmpeg's scaling (int16 full
        scale is 32767); floats are in [-1, 1].
    sample_rate, num_channels : int, optional
        Resample or remix with libswresample (FFmpeg's defaults, as ``ffmpeg -ar/-ac``).
    channels_first : bool
        ``(channels, frames)`` instead of ``(frames, channels)``; written in that layout.
    stream_index : int, optional
        The stream, as FFmpeg counts them; default: FFmpeg's best audio stream.
    format : str, optional
        FFmpeg demuxer name, skipping probing.
    buffer_size : int
        I/O buffer size for bytes and file-like sources.

    Returns
    -------
    Audio
        Array-like; ``.numpy()``, ``.torch()`` and DLPack share its buffer.

    Examples
    --------
    >>> a = decode_audio.decode("music.mp3", dtype="int16")      # doctest: +SKIP
    >>> a.shape                                                  # (frames, channels)
    (220500, 2)
    """
    code = dtype_code(dtype)
    return _decode(src, code, frame_offset, num_frames, sample_rate, num_channels,
                   channels_first, stream_index, format, buffer_size)


def _decode(
    src: SourceLike,
    code: int,
    frame_offset: int,
    num_frames: int,
    sample_rate: Optional[int],
    num_channels: Optional[int],
    channels_first: bool,
    stream_index: Optional[int],
    format: Optional[str],
    buffer_size: int,
) -> Audio:
    if frame_offset < 0:
        raise ValueError(f"frame_offset must be >= 0; got {frame_offset}")
    if num_frames < -1:
        raise ValueError(f"num_frames must be >= 0, or -1 for all; got {num_frames}")
    if sample_rate is not None and sample_rate <= 0:
        raise ValueError(f"sample_rate must be positive; got {sample_rate}")
    if num_channels is not None and not 0 < num_channels <= 64:
        raise ValueError(f"num_channels must be between 1 and 64; got {num_channels}")
    opts = _lib.DecodeOptions()
    _lib.da_decode_options_init(ctypes.byref(opts))
    keep = _open_options(opts.open, format, buffer_size, stream_index)  # noqa: F841
    opts.dtype = code
    opts.sample_rate = sample_rate or 0
    opts.num_channels = num_channels or 0
    opts.channels_first = int(bool(channels_first))
    opts.frame_offset = int(frame_offset)
    opts.num_frames = int(num_frames)
    ptr = ctypes.POINTER(_lib.AudioStruct)()
    with Source(src) as source:
        _lib.da_decode(
            source.pointer,
            ctypes.byref(opts),
            ctypes.byref(ptr),
            _lib.error_buffer(),
            _lib.ERROR_SIZE,
        )
    return Audio(ptr)


def load(
    src: SourceLike,
    frame_offset: int = 0,
    num_frames: int = -1,
    normalize: bool = True,
    channels_first: bool = True,
    format: Optional[str] = None,
    buffer_size: int = 65536,
    backend: Optional[str] = None,
    **decode_kwargs: Any,
) -> Tuple[Any, int]:
    """Loads audio as a torch tensor, like ``torchaudio.load``.

    Parameters
    ----------
    src : path, URL, bytes-like or file-like
    frame_offset, num_frames : int
        The window in frames; decoding stops once it is full.
    normalize : bool
        True: float32 in [-1, 1]. False: the native integer type of integer PCM (uint8,
        int16, int32 for 24 and 32 bits), float32 for everything else.
    channels_first : bool
        ``(channels, frames)`` (default) or ``(frames, channels)``.
    format, buffer_size, backend
        As for `info`.
    **decode_kwargs
        `decode`'s other options: ``sample_rate``, ``num_channels``, ``stream_index``.

    Returns
    -------
    (torch.Tensor, int)
        The samples, sharing the decoded buffer, and the sample rate.
    """
    _check_backend(backend)
    dtype = decode_kwargs.pop("dtype", None)
    code = _lib.DTYPE_AUTO if not normalize else dtype_code("float32")
    if dtype is not None:
        code = dtype_code(dtype)
    unknown = set(decode_kwargs) - {"sample_rate", "num_channels", "stream_index"}
    if unknown:
        raise TypeError(f"load() got unexpected keyword arguments: {', '.join(sorted(unknown))}")
    audio = _decode(
        src,
        code,
        frame_offset,
        num_frames,
        decode_kwargs.get("sample_rate"),
        decode_kwargs.get("num_channels"),
        channels_first,
        decode_kwargs.get("stream_index"),
        format,
        buffer_size,
    )
    return audio.torch(), audio.sample_rate


def get_versions() -> Dict[str, Any]:
    """Versions of decode_audio and of the FFmpeg libraries it runs with.

    Returns
    -------
    dict
        ``{"decode_audio": (0, 1, 0), "libavutil": (57, 28, 100), ...}``, plus ``"ffmpeg"``,
        FFmpeg's version string.
    """
    v = _lib.Versions()
    _lib.da_get_versions(ctypes.byref(v))

    def split(n: int) -> Tuple[int, int, int]:
        return (n >> 16, (n >> 8) & 0xFF, n & 0xFF)

    out: Dict[str, Any] = {
        "decode_audio": split(v.decode_audio),
        "libavutil": split(v.avutil),
        "libavcodec": split(v.avcodec),
        "libavformat": split(v.avformat),
        "libavfilter": split(v.avfilter),
        "libswresample": split(v.swresample),
    }
    out["ffmpeg"] = _text(v.ffmpeg)
    return out


def _check_backend(backend: Optional[str]) -> None:
    if backend not in (None, "ffmpeg"):
        raise ValueError(f"backend must be None or 'ffmpeg'; got {backend!r}")

