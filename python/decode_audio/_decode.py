"""Reading in one go: `info`, `decode` and `load`, over da_probe and da_decode; other
backends through the registry."""

from __future__ import annotations

import ctypes
import inspect
import os
import warnings
from typing import Any, Dict, Optional, Tuple, Union

import numpy as np

from . import _lib
from ._arrays import as_array, import_torch
from ._audio import Audio
from ._dtypes import DTYPE_NAMES, dtype_code
from ._errors import DecodeAudioError, DecodeAudioWarning
from ._metadata import AudioMetaData, from_info
from ._options import (OPTIONS, Names, accepted, channel_count, default_num_threads,
                       fill_struct, key_values)
from ._registry import BACKENDS, for_reading, surely_ffmpeg
from ._source import Source, SourceLike, describe

__all__ = ["info", "decode", "load", "decode_with_ffmpeg", "new_options", "warn_skipped"]

# load()'s options by keyword
_LOAD_OPTIONS = accepted("load")


def new_options() -> Any:
    """A ``da_decode_options`` set to the C library's defaults."""
    opts = _lib.DecodeOptions()
    _lib.da_decode_options_init(ctypes.byref(opts))
    return opts


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
    chosen = for_reading(backend, src, format, {
        "stream_index": stream_index, "protocols": protocols, "formats": formats})
    if chosen != "ffmpeg":
        return BACKENDS[chosen].info(src, format)
    opts = new_options()
    fill_struct(opts, {"stream_index": stream_index, "format": format,
                       "buffer_size": buffer_size, "protocols": protocols, "formats": formats})
    count_exactly = int(bool(exact))
    result = _lib.InfoStruct()
    with Source(src, restore_position=True, protocols=opts.open.protocols) as source:
        _lib.da_probe(
            source.pointer,
            ctypes.byref(opts.open),
            count_exactly,
            ctypes.byref(result),
            _lib.error_buffer(),
            _lib.ERROR_SIZE,
        )
    try:
        return from_info(result)
    finally:
        _lib.da_info_clear(ctypes.byref(result))


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
    num_threads: Union[int, str, None] = None,
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
        True: windows equal the same frames of a full decode bit for bit. AAC and Opus
        windows in seekable MP4 and Ogg are found by verified convergence (two decodes from
        different prerolls that agree bit for bit, else from the start); those of other
        codecs that cannot be entered exactly mid-stream are decoded from the start.
        False: they are entered after a preroll that lets the decoder converge. Windows
        stay sample-aligned; measured on tones with noise at -34 dBFS, Opus then differs
        from a full decode by at most 1.3e-5, AAC by at most 0.015 (its noise substitution
        draws new noise; the SNR stays above 30 dB).
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
    num_threads : int or "auto", optional
        Threads to split this one input among. A local file or bytes whose codec enters exact
        windows without decoding from the start (PCM, FLAC, MP3, Vorbis, WavPack, TTA) and
        whose length is known without decoding is cut into that many contiguous windows, each
        decoded on its own thread straight into its part of the one output; the result is bit
        for bit the one-thread decode (resampling, remixing, every dtype and layout). Opus and
        AAC-LC in Ogg or MP4 split too when not resampled, their windows after the first found
        by verified convergence (as ``exact`` windows are). Other inputs (a filter graph,
        `resample_quality` other than ``"default"`` with resampling, file-likes, URLs, other
        codecs) are decoded on one thread. ``"auto"``: one thread per 30 s of output, up to
        the CPUs the process may use, leaving plain PCM WAV to the native one-thread reader
        and Opus and AAC to one thread (split, they cost 1.3-1.4 times the CPU). Default:
        ``"auto"`` in the main thread of a process that is not a worker, 1 in other threads
        (`load_many`'s among them), DataLoader workers and multiprocessing workers.
        ``Audio.num_threads`` says how many were used.

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
        code = None if out is not None else _lib.DTYPE_FLOAT32
    values = {"frame_offset": frame_offset, "num_frames": num_frames, "dtype": code,
              "sample_rate": sample_rate, "num_channels": num_channels,
              "channels_first": channels_first, "stream_index": stream_index, "format": format,
              "buffer_size": buffer_size, "exact_windows": exact, "protocols": protocols,
              "formats": formats, "filter_desc": filter_desc,
              "resample_quality": resample_quality, "on_error": on_error,
              "num_threads": num_threads}
    if backend is not None or not surely_ffmpeg(src, format):
        chosen = for_reading(backend, src, format, dict(values, out=out), True)
        if chosen != "ffmpeg":
            return Audio(BACKENDS[chosen].decode(src, code, frame_offset, num_frames,
                                                 channels_first, format))
    return decode_with_ffmpeg(src, values, out)


def _out_array(out: Any, code: Optional[int], channels_first: bool) -> Tuple[int, int, int, int]:
    """(dtype code, data address, capacity in frames, channel count) of the caller's `out`
    array or tensor: what da_decode_options' out_data, out_capacity and out_channels take."""
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


def decode_with_ffmpeg(src: SourceLike, values: Dict[str, Any], out: Any = None) -> Audio:
    """decode() and load() through FFmpeg: `values` are the options by their names in the
    option table; `out` the caller's array to decode into, or None."""
    opts = new_options()
    fill_struct(opts, values)
    if values.get("num_threads") is None:
        opts.num_threads = default_num_threads()
    if out is not None:
        opts.dtype, opts.out_data, opts.out_capacity, opts.out_channels = _out_array(
            out, values.get("dtype"), values.get("channels_first", False))
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
        needed = decode_with_ffmpeg(src, values).num_frames
        raise ValueError(
            f"out holds {opts.out_capacity} frames; {needed} are needed") from None
    audio = Audio(ptr, owner=out, row_length=opts.out_capacity if out is not None else 0)
    if audio.decode_errors:
        warn_skipped(src, audio.decode_errors)
    return audio


# dtype.str of samples -> FFmpeg's raw PCM demuxer that reads them
_RAW_DEMUXERS = {"<f4": "f32le", ">f4": "f32be", "<f8": "f64le", ">f8": "f64be", "<i2": "s16le",
                 ">i2": "s16be", "<i4": "s32le", ">i4": "s32be", "|u1": "u8", "|i1": "s8"}


def resample(x: Any, orig_rate: Any, new_rate: Any, quality: str = "default",
             channels_first: Optional[bool] = None) -> Any:
    """Resamples in-memory samples through libswresample, as decoding at `new_rate` does.

    The samples are read in place as raw PCM (FFmpeg's raw demuxer over their memory) and
    decoded with ``sample_rate=new_rate``: the result equals, bit for bit, decoding a WAV of
    the same samples with ``sample_rate=new_rate`` and the same `quality`.

    Parameters
    ----------
    x : numpy.ndarray, torch.Tensor, Audio, DLPack or buffer object
        1-D (mono) or 2-D samples: uint8, int8, int16, int32, float32 or float64.
    orig_rate, new_rate : int
        Sample rates in Hz (integral floats are taken).
    quality : str
        ``"fast"``, ``"default"``, ``"high"`` or ``"soxr"``: decode's `resample_quality`.
    channels_first : bool, optional
        The layout of a 2-D `x`; default: an Audio's own layout, ``(channels, frames)`` for a
        torch tensor (as torchaudio.functional.resample), ``(frames, channels)`` otherwise.
        Frames-first C-contiguous samples are read without a copy; others are made so once.

    Returns
    -------
    The type given: a torch tensor for a tensor, otherwise an Audio (a NumPy array for 1-D
    input), in the input's dtype and layout.
    """
    orig_rate = OPTIONS["sample_rate"].check(orig_rate)
    OPTIONS["sample_rate"].check(new_rate)
    OPTIONS["resample_quality"].check(quality)
    is_torch = hasattr(x, "detach") and hasattr(x, "device")
    if isinstance(x, Audio):
        channels_first = x.channels_first if channels_first is None else channels_first
    elif channels_first is None:
        channels_first = is_torch
    array = as_array(x)
    one_d = array.ndim == 1
    if one_d:
        array, channels_first = array.reshape(-1, 1), False
    elif array.ndim != 2:
        raise ValueError(f"x must be 1-D or 2-D samples; got shape {tuple(array.shape)}")
    frames_first = array.T if channels_first else array
    demuxer = _RAW_DEMUXERS.get(frames_first.dtype.str)
    if demuxer is None:
        raise ValueError(f"x must hold uint8, int8, int16, int32, float32 or float64 samples; "
                         f"got {array.dtype}")
    channels = channel_count(frames_first.shape[1], "the number of channels of x")
    frames_first = np.ascontiguousarray(frames_first)  # a no-op for C-contiguous frames-first
    values: Dict[str, Any] = {
        "dtype": dtype_code(array.dtype.name), "sample_rate": new_rate,
        "channels_first": channels_first, "format": demuxer, "resample_quality": quality}
    opts = new_options()
    fill_struct(opts, values)
    options = key_values({"sample_rate": orig_rate, "ch_layout": f"{channels}c"})
    opts.open.format_options = options
    ptr = ctypes.POINTER(_lib.AudioStruct)()
    with Source(memoryview(frames_first).cast("B"), protocols=None) as source:
        source_name = b"<samples to resample>"
        source.struct.name = source_name
        _lib.da_decode(source.pointer, ctypes.byref(opts), ctypes.byref(ptr),
                       _lib.error_buffer(), _lib.ERROR_SIZE)
    audio = Audio(ptr)
    if is_torch:
        return audio.torch()[:, 0] if one_d else audio.torch()
    return audio.numpy()[:, 0] if one_d else audio


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
        ``on_error``, ``num_threads``.

    Returns
    -------
    (torch.Tensor, int)
        The samples, sharing the decoded buffer, and the sample rate.
    """
    import_torch("load()")
    dtype = decode_kwargs.pop("dtype", None)
    code = _lib.DTYPE_AUTO if not normalize else _lib.DTYPE_FLOAT32
    if dtype is not None:
        code = dtype_code(dtype)
    unknown = set(decode_kwargs) - _LOAD_KEYWORDS
    if unknown:
        raise TypeError(f"load() got unexpected keyword arguments: {', '.join(sorted(unknown))}")
    given = {_LOAD_OPTIONS[k].name: v for k, v in decode_kwargs.items()}
    chosen = BACKENDS[for_reading(backend, src, format, given)]
    if chosen.load is not None:
        return chosen.load(src, frame_offset, num_frames, normalize, channels_first, format,
                           dtype)
    if chosen.decode is not None:
        audio = Audio(chosen.decode(src, code, frame_offset, num_frames, channels_first, format))
        return audio.torch(), audio.sample_rate
    audio = decode_with_ffmpeg(src, {
        "frame_offset": frame_offset, "num_frames": num_frames, "dtype": code,
        "channels_first": channels_first, "format": format, "buffer_size": buffer_size,
        **given})
    return audio.torch(), audio.sample_rate


# the keywords load() passes on to decode: its options other than its own parameters
_LOAD_KEYWORDS = frozenset(_LOAD_OPTIONS) - set(inspect.signature(load).parameters)
