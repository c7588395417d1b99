"""The public functions: `info`, `decode`, `load`, `get_versions`."""

from __future__ import annotations

import ctypes
import os
import warnings
from dataclasses import dataclass, field
from typing import Any, Dict, Optional, Sequence, Tuple, Union

import numpy as np

from . import _backends, _lib
from ._audio import DTYPES, Audio, dtype_code
from ._errors import DecodeAudioError, DecodeAudioWarning
from ._source import Source, SourceLike, describe

__all__ = ["AudioMetaData", "info", "decode", "load", "get_versions"]

DTYPE_NAMES = {code: name for name, code in DTYPES.items()}

# resample_quality -> libswresample options ("default" is FFmpeg's own, as `ffmpeg -ar`).
RESAMPLE_QUALITY: Dict[str, Optional[str]] = {
    "fast": "filter_size=8:phase_shift=6:cutoff=0.9",
    "default": None,
    "high": "filter_size=128:phase_shift=14:cutoff=0.98",
    "soxr": "resampler=soxr:precision=28",
}


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
    num_streams : int
        Streams in the container, of any type.
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
    num_streams: int = 1

    def __repr__(self) -> str:
        return (
            f"AudioMetaData(sample_rate={self.sample_rate}, num_frames={self.num_frames}, "
            f"num_channels={self.num_channels}, bits_per_sample={self.bits_per_sample}, "
            f"encoding={self.encoding})"
        )


def _text(value: bytes) -> str:
    return value.decode("utf-8", "replace")


Names = Union[str, Sequence[str], None]


def _names(value: Names, what: str) -> Optional[bytes]:
    if value is None:
        return None
    if not isinstance(value, str):
        value = ",".join(value)
    if not value or any(c in value for c in " ;|"):
        raise ValueError(f"{what} must be FFmpeg names separated by commas; got {value!r}")
    return value.encode()


def _open_options(
    opts: Any,
    format: Optional[str],
    buffer_size: int,
    stream_index: Optional[int],
    protocols: Names = None,
    formats: Names = None,
    decoder: Optional[str] = None,
    decoder_option: Optional[Dict[str, Any]] = None,
    option: Optional[Dict[str, Any]] = None,
) -> list:
    """Fills a ``da_open_options``; returns the encoded strings it points to."""
    if buffer_size <= 0:
        raise ValueError(f"buffer_size must be positive; got {buffer_size}")
    keep = []
    if format is not None:
        opts.format = fmt = format.encode()
        keep.append(fmt)
    for name, value in (("protocols", _names(protocols, "protocols")),
                        ("formats", _names(formats, "formats"))):
        if value is not None:
            setattr(opts, name, value)
            keep.append(value)
    if decoder is not None:
        opts.decoder = name = decoder.encode()
        keep.append(name)
    for name, pairs in (("decoder_options", decoder_option), ("format_options", option)):
        if pairs:
            items = [str(x).encode() for kv in pairs.items() for x in kv]
            array = (ctypes.c_char_p * (len(items) + 1))(*items, None)
            setattr(opts, name, ctypes.cast(array, ctypes.POINTER(ctypes.c_char_p)))
            keep += [items, array]
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
    protocols: Names = None,
    formats: Names = None,
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
        ``"ffmpeg"``, ``"sox"`` (paths only) or ``"soundfile"``; default: the first backend
        of `list_audio_backends` that can read `src` with these options (FFmpeg first).
        One named explicitly that is unavailable, or cannot take `src` or an option, raises
        ValueError.
    exact : bool
        Make `num_frames` exact, reading further where the header only estimates it.
    stream_index : int, optional
        The stream to describe; default: FFmpeg's best audio stream.
    protocols, formats : str or list of str, optional
        FFmpeg protocols and demuxers the input may use, replacing the safe defaults (a path:
        ``file`` only; a URL: its scheme's own; audio demuxers only, no playlists). ``formats="*"``
        allows every demuxer.

    Returns
    -------
    AudioMetaData

    Examples
    --------
    >>> decode_audio.info("speech.wav")            # doctest: +SKIP
    AudioMetaData(sample_rate=16000, num_frames=54400, num_channels=1, bits_per_sample=16, encoding=PCM_S)
    """
    chosen = _backends.for_reading(backend, src, format, {
        "stream_index": stream_index, "protocols": protocols, "formats": formats})
    if chosen != "ffmpeg":
        return _other_backend(chosen).info(src, format)
    opts = _lib.OpenOptions()
    keep = _open_options(opts, format, buffer_size, stream_index, protocols, formats)  # noqa: F841
    result = _lib.InfoStruct()
    with Source(src, restore_position=True, protocols=opts.protocols) as source:
        _lib.da_probe(
            source.pointer,
            ctypes.byref(opts),
            int(bool(exact)),
            ctypes.byref(result),
            _lib.error_buffer(),
            _lib.ERROR_SIZE,
        )
    try:
        return _metadata(result)
    finally:
        _lib.da_info_clear(ctypes.byref(result))


def _metadata(result: Any) -> AudioMetaData:
    """An AudioMetaData from a filled ``da_info``."""
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
        num_streams=result.num_streams,
    )


def decode(
    src: SourceLike,
    *,
    frame_offset: int = 0,
    num_frames: int = -1,
    dtype: Any = None,
    sample_rate: Optional[int] = None,
    num_channels: Optional[int] = None,
    channels_first: bool = False,
    stream_index: Optional[int] = None,
    format: Optional[str] = None,
    buffer_size: int = 65536,
    exact: bool = True,
    out: Any = None,
    protocols: Names = None,
    formats: Names = None,
    filter_desc: Optional[str] = None,
    resample_quality: str = "default",
    backend: Optional[str] = None,
    on_error: str = "skip",
) -> Audio:
    """Decodes `src` into one buffer, in the type and layout asked for.

    Parameters
    ----------
    src : path, URL, bytes-like or file-like
        Bytes are read in place; file-likes through ``readinto`` or ``read`` (and ``seek``
        when ``seekable()``).
    frame_offset, num_frames : int
        The window, in output frames (after resampling): equal to ``decode(src)[a:a+b]`` bit
        for bit. ``num_frames=-1`` reads to the end. PCM and FLAC are seeked, MP3 and Vorbis
        entered by skipping packets undecoded; reading stops once the window is full.
    dtype : str or dtype, optional
        ``uint8 int8 int16 int32 float32 float64`` (default float32, or the type of `out`).
        Integers use FFmpeg's scaling (int16 full scale is 32767); floats are in [-1, 1].
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
    exact : bool
        True: windows of AAC, Opus and other codecs that cannot be entered exactly mid-stream
        are decoded from the start. False: they are entered after a preroll that lets the
        decoder converge. Windows stay sample-aligned; measured on tones with noise at
        -34 dBFS, Opus then differs from a full decode by at most 1.3e-5, AAC by at most
        0.015 (its noise substitution draws new noise; the SNR stays above 30 dB).
    out : numpy.ndarray or torch.Tensor, optional
        A writable C-contiguous 2-D array to decode into, shaped ``(frames, channels)`` (or
        ``(channels, frames)`` with `channels_first`); the result is a view of the frames
        written. Too small: ValueError naming the size needed.
    protocols, formats : str or list of str, optional
        As for `info`.
    filter_desc : str, optional
        An FFmpeg audio filter graph (``"atempo=1.5,highpass=f=200"``) applied to the decoded
        audio; `sample_rate`/`num_channels` then apply to its output, and the window counts
        its output frames (the input is decoded from the start).
    resample_quality : str
        ``"fast"``, ``"default"`` (FFmpeg's, equal to ``ffmpeg -ar``), ``"high"`` or
        ``"soxr"``; see the README's table of speed and alias rejection.
    backend : str, optional
        ``"ffmpeg"`` or ``"sox"`` (paths only; the window, `dtype` and `channels_first`
        only); default: as the dispatcher chooses (see `list_audio_backends`).
    on_error : str
        What a packet the decoder rejects (damaged data) does. ``"skip"`` (the default) skips
        it, as the ffmpeg CLI does, counts it in ``Audio.decode_errors`` and issues a
        `DecodeAudioWarning`; ``"raise"`` raises `DecodeAudioError` at the first one (or at a
        read error). Either way an input of which nothing decodes raises.

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
    if dtype is not None:
        code: Optional[int] = dtype_code(dtype)
    else:
        code = None if out is not None else dtype_code("float32")
    if backend is not None or not _backends.surely_ffmpeg(src, format):
        chosen = _backends.for_reading(backend, src, format, {
            "sample_rate": sample_rate, "num_channels": num_channels, "out": out,
            "stream_index": stream_index, "protocols": protocols, "formats": formats,
            "filter_desc": filter_desc, "resample_quality": resample_quality,
            "on_error": on_error}, True)
        if chosen != "ffmpeg":
            return _other_backend(chosen).decode(src, code, frame_offset=frame_offset,
                                                 num_frames=num_frames,
                                                 channels_first=channels_first, format=format)
    return _decode(src, code, out, frame_offset=frame_offset, num_frames=num_frames,
                   sample_rate=sample_rate, num_channels=num_channels,
                   channels_first=channels_first, stream_index=stream_index, format=format,
                   buffer_size=buffer_size, exact=exact, protocols=protocols, formats=formats,
                   filter_desc=filter_desc, resample_quality=resample_quality,
                   on_error=on_error)


def _out_buffer(out: Any, code: Optional[int], channels_first: bool) -> Tuple[int, int, int, int]:
    """(dtype code, data address, frames, channels) of a caller's output array or tensor."""
    if hasattr(out, "data_ptr") and hasattr(out, "is_contiguous"):  # torch.Tensor
        if out.device.type != "cpu" or not out.is_contiguous() or out.dim() != 2:
            raise ValueError("out must be a C-contiguous 2-D CPU tensor")
        out_code, address, shape = dtype_code(out.dtype), out.data_ptr(), tuple(out.shape)
    elif isinstance(out, np.ndarray):
        if not (out.flags.c_contiguous and out.flags.writeable) or out.ndim != 2:
            raise ValueError("out must be a writable C-contiguous 2-D array")
        out_code, address, shape = dtype_code(out.dtype), out.ctypes.data, out.shape
    else:
        raise TypeError(f"out must be a NumPy array or a torch tensor; got {type(out).__name__}")
    if code is not None and code != out_code:
        raise ValueError(f"dtype {DTYPE_NAMES[code]} differs from out's {DTYPE_NAMES[out_code]}")
    frames, channels = (shape[1], shape[0]) if channels_first else shape
    return out_code, address, frames, channels


def _position(src: Any) -> Optional[int]:
    try:
        return src.tell() if hasattr(src, "seekable") and src.seekable() else None
    except Exception:  # noqa: BLE001 - a source that cannot say cannot be read again
        return None


def _rewinder(src: Any, start: Optional[int]) -> Any:
    """A function that makes `src` readable again from where it started, or None."""
    if isinstance(src, (str, os.PathLike, bytes, bytearray, memoryview)):
        return lambda: None
    if start is not None:
        return lambda: src.seek(start)
    return None


def _fill_options(
    opts: Any,
    code: Optional[int],
    frame_offset: int = 0,
    num_frames: int = -1,
    sample_rate: Optional[int] = None,
    num_channels: Optional[int] = None,
    channels_first: bool = False,
    stream_index: Optional[int] = None,
    format: Optional[str] = None,
    buffer_size: int = 65536,
    exact: bool = True,
    protocols: Names = None,
    formats: Names = None,
    filter_desc: Optional[str] = None,
    resample_quality: str = "default",
    decoder: Optional[str] = None,
    decoder_option: Optional[Dict[str, Any]] = None,
    option: Optional[Dict[str, Any]] = None,
    on_error: str = "skip",
) -> list:
    """Checks decode's options and fills a ``da_decode_options``; returns what it points to."""
    if frame_offset < 0:
        raise ValueError(f"frame_offset must be >= 0; got {frame_offset}")
    if num_frames < -1:
        raise ValueError(f"num_frames must be >= 0, or -1 for all; got {num_frames}")
    if sample_rate is not None and sample_rate <= 0:
        raise ValueError(f"sample_rate must be positive; got {sample_rate}")
    if num_channels is not None and not 0 < num_channels <= 64:
        raise ValueError(f"num_channels must be between 1 and 64; got {num_channels}")
    if on_error not in _lib.ON_ERROR:
        raise ValueError(f"on_error must be 'skip' or 'raise'; got {on_error!r}")
    _lib.da_decode_options_init(ctypes.byref(opts))
    opts.on_error = _lib.ON_ERROR[on_error]
    keep = _open_options(opts.open, format, buffer_size, stream_index, protocols, formats,
                         decoder, decoder_option, option)
    if code is not None:
        opts.dtype = code
    opts.sample_rate = sample_rate or 0
    opts.num_channels = num_channels or 0
    opts.channels_first = int(bool(channels_first))
    opts.frame_offset = int(frame_offset)
    opts.num_frames = int(num_frames)
    opts.exact = int(bool(exact))
    if filter_desc is not None:
        if not isinstance(filter_desc, str) or not filter_desc.strip():
            raise ValueError(f"filter_desc must be a non-empty filter graph; got {filter_desc!r}")
        opts.filter_desc = desc = filter_desc.encode()
        keep.append(desc)
    if resample_quality not in RESAMPLE_QUALITY:
        raise ValueError(f"resample_quality must be one of {', '.join(RESAMPLE_QUALITY)}; "
                         f"got {resample_quality!r}")
    if RESAMPLE_QUALITY[resample_quality] is not None:
        opts.resampler_options = options = RESAMPLE_QUALITY[resample_quality].encode()
        keep.append(options)
    return keep


def _decode(src: SourceLike, code: Optional[int], out: Any = None, **options: Any) -> Audio:
    """decode() and load() in one: `options` are _fill_options' keyword arguments."""
    opts = _lib.DecodeOptions()
    keep = _fill_options(opts, code, **options)  # noqa: F841 - kept alive for the call
    channels_first = options.get("channels_first", False)
    if out is not None:
        opts.dtype, opts.out_data, opts.out_capacity, opts.out_channels = _out_buffer(
            out, code, channels_first)
    ptr = ctypes.POINTER(_lib.AudioStruct)()
    start = _position(src) if out is not None else None
    try:
        with Source(src, protocols=opts.open.protocols) as source:
            _lib.da_decode(
                source.pointer,
                ctypes.byref(opts),
                ctypes.byref(ptr),
                _lib.error_buffer(),
                _lib.ERROR_SIZE,
            )
    except DecodeAudioError as e:
        if e.source is None:
            e.source = describe(src)
        if out is None or e.code not in (_lib.ERR_TOO_SMALL, _lib.ERR_ARGUMENT):
            raise
        if e.code == _lib.ERR_ARGUMENT:
            raise ValueError(str(e)) from None
        # the size needed is what the same call returns when it may allocate
        rewind = _rewinder(src, start)
        if rewind is None:
            raise ValueError(f"out holds {opts.out_capacity} frames; more are needed") from None
        rewind()
        needed = _decode(src, code, None, **options).num_frames
        raise ValueError(
            f"out holds {opts.out_capacity} frames; {needed} are needed") from None
    audio = Audio(ptr, owner=out, row_length=opts.out_capacity if out is not None else 0)
    if audio.decode_errors:
        warn_skipped(src, audio.decode_errors)
    return audio


def warn_skipped(src: SourceLike, count: int) -> None:
    """The warning for packets that on_error="skip" skipped."""
    warnings.warn(f"decode '{describe(src)}': skipped {count} damaged packet"
                  f"{'s' if count != 1 else ''} the decoder rejected (on_error='skip')",
                  DecodeAudioWarning, stacklevel=4)


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
        As for `info`. The sox and soundfile backends take the window, `normalize`,
        `channels_first` and ``dtype`` only.
    **decode_kwargs
        `decode`'s other options: ``sample_rate``, ``num_channels``, ``stream_index``,
        ``exact``, ``protocols``, ``formats``, ``filter_desc``, ``resample_quality``,
        ``on_error``.

    Returns
    -------
    (torch.Tensor, int)
        The samples, sharing the decoded buffer, and the sample rate.
    """
    dtype = decode_kwargs.pop("dtype", None)
    code = _lib.DTYPE_AUTO if not normalize else dtype_code("float32")
    if dtype is not None:
        code = dtype_code(dtype)
    unknown = set(decode_kwargs) - {"sample_rate", "num_channels", "stream_index", "exact",
                                    "protocols", "formats", "filter_desc", "resample_quality",
                                    "on_error"}
    if unknown:
        raise TypeError(f"load() got unexpected keyword arguments: {', '.join(sorted(unknown))}")
    chosen = _backends.for_reading(backend, src, format, decode_kwargs)
    if chosen == "soundfile":
        return _other_backend(chosen).load(src, frame_offset, num_frames, normalize,
                                           channels_first, format, dtype)
    if chosen == "sox":
        audio = _other_backend(chosen).decode(src, code, frame_offset, num_frames,
                                              channels_first, format)
        return audio.torch(), audio.sample_rate
    audio = _decode(src, code, None, frame_offset=frame_offset, num_frames=num_frames,
                    channels_first=channels_first, format=format, buffer_size=buffer_size,
                    **decode_kwargs)
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


def _other_backend(name: str) -> Any:
    """The module of a backend other than FFmpeg."""
    if name == "sox":
        from . import _sox

        return _sox
    from . import _soundfile

    return _soundfile

