"""Encoding: `save()` and `StreamWriter`, thin over the C writer (csrc/encode.c)."""

from __future__ import annotations

import ctypes
import math
import os
import tempfile
import weakref
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from . import _lib
from ._audio import DTYPES, dtype_code
from ._source import Destination, call_checked

__all__ = ["save", "StreamWriter", "CodecConfig"]

# File extension (or format= name) -> FFmpeg muxer.
MUXERS = {
    "wav": "wav", "flac": "flac", "mp3": "mp3", "ogg": "ogg", "oga": "ogg", "vorbis": "ogg",
    "opus": "opus", "m4a": "ipod", "mp4": "mp4", "aac": "adts", "adts": "adts", "aiff": "aiff",
    "aif": "aiff", "au": "au", "gsm": "gsm", "amr": "amr", "amr-nb": "amr", "w64": "w64",
    "caf": "caf", "mka": "matroska", "webm": "webm", "wv": "wv", "ac3": "ac3",
}
# Muxer -> (its audio encoder, its encoding name for torchaudio's `encoding`).
DEFAULT_ENCODERS = {
    "wav": ("pcm_s16le", "PCM_S"), "flac": ("flac", "FLAC"), "mp3": ("libmp3lame", "MP3"),
    "ogg": ("libvorbis", "VORBIS"), "opus": ("libopus", "OPUS"), "ipod": ("aac", "AAC"),
    "mp4": ("aac", "AAC"), "adts": ("aac", "AAC"), "aiff": ("pcm_s16be", "PCM_S"),
    "au": ("pcm_s16be", "PCM_S"), "gsm": ("libgsm", "GSM"), "amr": ("libopencore_amrnb", "AMR_NB"),
    "w64": ("pcm_s16le", "PCM_S"), "caf": ("pcm_s16be", "PCM_S"),
}
# PCM containers: (encoding, bits) -> encoder, per byte order.
_PCM = {
    "le": {("PCM_S", 16): "pcm_s16le", ("PCM_S", 24): "pcm_s24le", ("PCM_S", 32): "pcm_s32le",
           ("PCM_U", 8): "pcm_u8", ("PCM_F", 32): "pcm_f32le", ("PCM_F", 64): "pcm_f64le",
           ("ULAW", 8): "pcm_mulaw", ("ALAW", 8): "pcm_alaw"},
    "be": {("PCM_S", 8): "pcm_s8", ("PCM_S", 16): "pcm_s16be", ("PCM_S", 24): "pcm_s24be",
           ("PCM_S", 32): "pcm_s32be", ("PCM_F", 32): "pcm_f32be", ("PCM_F", 64): "pcm_f64be",
           ("ULAW", 8): "pcm_mulaw", ("ALAW", 8): "pcm_alaw"},
}
_PCM_ORDER = {"wav": "le", "w64": "le", "aiff": "be", "au": "be", "caf": "be"}
_DEFAULT_BITS = {"PCM_S": 16, "PCM_U": 8, "PCM_F": 32, "ULAW": 8, "ALAW": 8}
# torchaudio's sample format names for StreamWriter -> our dtype names.
SAMPLE_FORMATS = {"u8": "uint8", "s16": "int16", "s32": "int32", "flt": "float32",
                  "dbl": "float64"}
_SAVE_DTYPES = ("uint8", "int16", "int32", "float32", "float64")


@dataclass
class CodecConfig:
    """Encoder settings, as torchaudio's ``CodecConfig``.

    Attributes
    ----------
    bit_rate : int
        Bits per second; -1: the encoder's default.
    compression_level : int
        -1: the encoder's default (FLAC: 0-12).
    qscale : float, optional
        Variable-bit-rate quality (libvorbis: -1..10; libmp3lame: 0 best..9).
    """

    bit_rate: int = -1
    compression_level: int = -1
    qscale: Optional[float] = None


def _as_array(src: Any) -> np.ndarray:
    """A NumPy view of torch/NumPy/DLPack/buffer samples (never a copy)."""
    if hasattr(src, "detach") and hasattr(src, "device"):  # torch.Tensor
        if src.device.type != "cpu":
            raise ValueError(f"samples must be on the CPU; got a tensor on {src.device}")
        return src.detach().numpy()
    if isinstance(src, np.ndarray):
        return src
    if hasattr(src, "__dlpack__"):
        return np.from_dlpack(src)
    try:
        return np.asarray(memoryview(src))
    except TypeError:
        raise TypeError(f"samples must be a tensor, an array or a buffer; got "
                        f"{type(src).__name__}") from None


def _layout(array: np.ndarray, channels_first: bool) -> Tuple[int, int, int, int]:
    """(frames, channels, frame step, channel step), steps in elements."""
    if array.ndim != 2:
        raise ValueError(f"samples must be 2-D ({'channels, frames' if channels_first else 'frames, channels'}); got shape {array.shape}")
    steps = [s // array.itemsize for s in array.strides]
    if channels_first:
        return array.shape[1], array.shape[0], steps[1], steps[0]
    return array.shape[0], array.shape[1], steps[0], steps[1]


def _encoder_options(options: Optional[Dict[str, Any]]) -> Tuple[Any, list]:
    """A NULL-terminated key/value array for C, and what it points to."""
    if not options:
        return None, []
    items: List[bytes] = []
    for key, value in options.items():
        items += [str(key).encode(), str(value).encode()]
    array = (ctypes.c_char_p * (len(items) + 1))(*items, None)
    return array, items


class _Writer:
    """One C writer; freed (abandoning the file) if never closed."""

    def __init__(self, dst: Any, format: Optional[str], name: Optional[str] = None) -> None:
        self.dst = Destination(dst, name)
        self.ptr = ctypes.c_void_p()
        self._call(_lib.da_writer_open, self.dst.pointer,
                   format.encode() if format else None, ctypes.byref(self.ptr))
        self._finalizer = weakref.finalize(self, _lib.da_writer_free, ctypes.byref(self.ptr))
        self.channels: List[int] = []
        self.dtypes: List[int] = []

    def _call(self, fn: Any, *args: Any) -> None:
        call_checked(self.dst, fn, *args)

    def add_audio(self, opts: Any) -> int:
        index = ctypes.c_int()
        self._call(_lib.da_writer_add_audio, self.ptr, ctypes.byref(opts), ctypes.byref(index))
        self.channels.append(opts.num_channels)
        self.dtypes.append(opts.dtype)
        return index.value

    def set_metadata(self, key: str, value: str) -> None:
        self._call(_lib.da_writer_set_metadata, self.ptr, key.encode(), value.encode())

    def start(self, options: Optional[Dict[str, Any]] = None) -> None:
        array, keep = _encoder_options(options)  # noqa: F841 - kept alive for the call
        self._call(_lib.da_writer_start, self.ptr, array)

    def write(self, index: int, array: np.ndarray, channels_first: bool) -> None:
        frames, channels, frame_step, channel_step = _layout(array, channels_first)
        if channels != self.channels[index]:
            raise ValueError(f"stream {index} has {self.channels[index]} channels; the chunk "
                             f"has {channels}")
        if dtype_code(array.dtype) != self.dtypes[index]:
            raise ValueError(f"stream {index} takes {_NAMES[self.dtypes[index]]} samples; the "
                             f"chunk is {array.dtype}")
        if frames == 0:
            return
        self._call(_lib.da_writer_write_audio, self.ptr, index,
                   array.__array_interface__["data"][0], frames, frame_step, channel_step)

    def flush(self) -> None:
        self._call(_lib.da_writer_flush, self.ptr)

    def close(self) -> None:
        if self._finalizer.alive:
            self._finalizer.detach()
            self._call(_lib.da_writer_close, ctypes.byref(self.ptr))

    def abandon(self) -> None:
        self._finalizer()


_NAMES = {code: name for name, code in DTYPES.items()}


def _plan(muxer: str, encoding: Optional[str], bits: Optional[int],
          compression: Any, dtype: str) -> Tuple[str, Dict[str, Any]]:
    """(encoder, stream settings) for save(); raises ValueError before anything is written."""
    settings: Dict[str, Any] = {}
    encoding = encoding.upper() if encoding else None
    if muxer in _PCM_ORDER:
        if compression is not None:
            raise ValueError(f"compression does not apply to {muxer}")
        if encoding is None:
            encoding = "PCM_U" if bits == 8 and muxer != "aiff" and muxer != "au" else "PCM_S"
        if bits is None:
            bits = _DEFAULT_BITS.get(encoding)
        encoder = _PCM[_PCM_ORDER[muxer]].get((encoding, bits))
        if encoder is None:
            raise ValueError(f"{muxer} cannot hold encoding={encoding} with "
                             f"bits_per_sample={bits}")
        return encoder, settings
    encoder, name = DEFAULT_ENCODERS.get(muxer, (None, None))
    if encoding is not None and encoding != name:
        raise ValueError(f"{muxer} files hold {name or 'their own'} audio; encoding={encoding} "
                         "does not apply")
    if muxer == "flac":
        if bits not in (None, 16, 24):
            raise ValueError(f"FLAC takes bits_per_sample 16 or 24; got {bits}")
        settings["encoder_format"] = "s32" if bits == 24 else "s16"
        if bits == 24:
            settings["bits_per_raw_sample"] = 24
        if compression is not None:
            if not (isinstance(compression, (int, np.integer)) and 0 <= compression <= 12):
                raise ValueError(f"FLAC compression is a level from 0 to 12; got {compression}")
            settings["compression_level"] = int(compression)
        return encoder, settings
    if bits is not None:
        raise ValueError(f"bits_per_sample does not apply to {muxer}")
    if compression is not None:
        if not isinstance(compression, (int, float, np.number)) or isinstance(compression, bool):
            raise ValueError(f"compression must be a number; got {compression!r}")
        if muxer == "ogg":
            if not -1 <= compression <= 10:
                raise ValueError(f"Vorbis compression is a quality from -1 to 10; got "
                                 f"{compression}")
            settings["quality"] = float(compression)
        elif compression > 0:
            settings["bit_rate"] = int(compression * 1000)
        else:
            raise ValueError(f"compression is a bit rate in kbit/s for {muxer}; got "
                             f"{compression}")
    return encoder, settings


def _stream_options(sample_rate: int, channels: int, dtype: int, encoder: Optional[str],
                    settings: Dict[str, Any]) -> Tuple[Any, list]:
    opts = _lib.AudioStreamOptions()
    _lib.da_audio_stream_options_init(ctypes.byref(opts))
    opts.sample_rate = sample_rate
    opts.num_channels = channels
    opts.dtype = dtype
    keep: list = []
    if encoder:
        opts.encoder = e = encoder.encode()
        keep.append(e)
    if settings.get("encoder_format"):
        opts.encoder_format = f = settings["encoder_format"].encode()
        keep.append(f)
    for field in ("encoder_sample_rate", "encoder_num_channels", "bits_per_raw_sample"):
        if settings.get(field):
            setattr(opts, field, int(settings[field]))
    if settings.get("compression_level") is not None and settings["compression_level"] >= 0:
        opts.compression_level = int(settings["compression_level"])
    if settings.get("bit_rate") and settings["bit_rate"] > 0:
        opts.bit_rate = int(settings["bit_rate"])
    if settings.get("quality") is not None:
        opts.quality = float(settings["quality"])
    if settings.get("filter_desc"):
        opts.filter_desc = d = settings["filter_desc"].encode()
        keep.append(d)
    array, items = _encoder_options(settings.get("encoder_options"))
    if array is not None:
        opts.encoder_options = ctypes.cast(array, ctypes.POINTER(ctypes.c_char_p))
        keep += [array, items]
    return opts, keep


def save(
    uri: Any,
    src: Any,
    sample_rate: int,
    channels_first: bool = True,
    format: Optional[str] = None,
    encoding: Optional[str] = None,
    bits_per_sample: Optional[int] = None,
    buffer_size: int = 65536,
    backend: Optional[str] = None,
    compression: Any = None,
) -> None:
    """Encodes samples to a file or file-like object, like ``torchaudio.save``.

    Parameters
    ----------
    uri : path or file-like
        A path (written to a temporary name beside it and renamed at the end, so a failure
        leaves nothing there and an existing file untouched), or an object with ``write``
        (``format`` required). Seekable file-likes get complete headers; write-only ones take
        streamable formats (ogg, opus, flac, adts, au, ...) and refuse the others.
    src : torch.Tensor, numpy.ndarray, DLPack or buffer object
        2-D samples, uint8/int16/int32/float32/float64, read in place (any strides).
    sample_rate : int
    channels_first : bool
        Whether `src` is ``(channels, frames)`` (default) or ``(frames, channels)``.
    format : str, optional
        ``wav flac mp3 ogg vorbis opus m4a mp4 aac aiff au gsm amr-nb w64 caf mka webm``, or
        any FFmpeg muxer; default: from the extension.
    encoding : str, optional
        WAV/AIFF/AU: ``PCM_S`` (16/24/32 bits; AIFF/AU also 8), ``PCM_U`` (8), ``PCM_F``
        (32/64), ``ULAW``, ``ALAW``. Default PCM_S 16-bit.
    bits_per_sample : int, optional
        As above; FLAC: 16 (default) or 24.
    buffer_size : int
        Unused; kept for torchaudio's signature.
    backend : str, optional
        ``None`` or ``"ffmpeg"``.
    compression : number, optional
        FLAC: level 0-12 (default 5); MP3, Opus, AAC: bit rate in kbit/s; Vorbis: quality
        -1..10 (default 3).

    Examples
    --------
    >>> decode_audio.save("out.flac", waveform, 16000, bits_per_sample=24)   # doctest: +SKIP
    """
    if backend not in (None, "ffmpeg"):
        raise ValueError(f"backend must be None or 'ffmpeg'; got {backend!r}")
    if not isinstance(sample_rate, (int, np.integer)) or sample_rate <= 0:
        raise ValueError(f"sample_rate must be a positive integer; got {sample_rate!r}")
    array = _as_array(src)
    if array.dtype.name not in _SAVE_DTYPES:
        raise ValueError(f"samples must be one of {', '.join(_SAVE_DTYPES)}; got {array.dtype}")
    frames, channels, _, _ = _layout(array, channels_first)
    if not 0 < channels <= 64:
        raise ValueError(f"samples must have 1 to 64 channels; got {channels}"
                         + ("" if channels_first else " (is channels_first right?)"))
    is_path = isinstance(uri, (str, os.PathLike))
    if format is None:
        if not is_path:
            raise ValueError("format is required when saving to a file-like object")
        format = os.path.splitext(os.fspath(uri))[1].lstrip(".").lower()
        if not format:
            raise ValueError(f"cannot tell the format of {uri!r} from its name; pass format=")
    key = format.lower()
    muxer = MUXERS.get(key, key)
    encoder, settings = _plan(muxer, encoding, bits_per_sample, compression, array.dtype.name)
    # `keep` holds what the C options point to until the file is written
    opts, keep = _stream_options(int(sample_rate), channels, dtype_code(array.dtype), encoder,
                                 settings)
    if not is_path:
        _encode(uri, muxer, opts, array, channels_first)
        return
    target = os.fspath(uri)
    directory = os.path.dirname(os.path.abspath(target))
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", suffix=".part",
                                         dir=directory)
    except OSError as e:
        raise type(e)(e.errno, f"save '{target}': {e.strerror}") from None
    os.close(fd)
    try:
        # messages name the file asked for, not the temporary one written first
        _encode(temporary, muxer, opts, array, channels_first, name=target)
        os.replace(temporary, target)
    except BaseException:
        os.unlink(temporary)
        raise


def _encode(dst: Any, muxer: str, opts: Any, array: np.ndarray, channels_first: bool,
            name: Optional[str] = None) -> None:
    writer = _Writer(dst, muxer, name)
    try:
        writer.add_audio(opts)
        writer.start()
        writer.write(0, array, channels_first)
        writer.close()
    finally:
        writer.abandon()


class StreamWriter:
    """Encodes and muxes streams chunk by chunk, like ``torchaudio.io.StreamWriter``.

    Parameters
    ----------
    dst : path, URL or file-like
        A path, a protocol URL (``udp://127.0.0.1:5000`` with ``format="mpegts"``), or an
        object with ``write`` (and ``seek`` for formats that patch their header).
    format : str, optional
        FFmpeg muxer name; default: from the path's extension.
    buffer_size : int
        Unused; kept for torchaudio's signature.

    Examples
    --------
    >>> w = StreamWriter("out.mp3")                                  # doctest: +SKIP
    >>> w.add_audio_stream(sample_rate=16000, num_channels=1)         # doctest: +SKIP
    >>> with w.open():                                               # doctest: +SKIP
    ...     w.write_audio_chunk(0, waveform)                          # (frames, channels)
    """

    def __init__(self, dst: Any, format: Optional[str] = None, buffer_size: int = 65536) -> None:
        if format is None and not isinstance(dst, (str, os.PathLike)):
            raise ValueError("format is required when writing to a file-like object")
        self._dst = dst
        self._format = MUXERS.get(format.lower(), format) if format else None
        self._writer: Optional[_Writer] = None
        self._metadata: Dict[str, str] = {}
        self._opened = False
        self._closed = False
        self._keep: list = []

    def _ensure_writer(self) -> _Writer:
        if self._writer is None:
            self._writer = _Writer(self._dst, self._format)
        return self._writer

    def add_audio_stream(
        self,
        sample_rate: int,
        num_channels: int,
        format: str = "flt",
        encoder: Optional[str] = None,
        encoder_option: Optional[Dict[str, str]] = None,
        encoder_format: Optional[str] = None,
        encoder_sample_rate: Optional[int] = None,
        encoder_num_channels: Optional[int] = None,
        codec_config: Optional[CodecConfig] = None,
        filter_desc: Optional[str] = None,
    ) -> None:
        """Adds an audio stream; chunks written to it are ``(frames, num_channels)``.

        Parameters
        ----------
        sample_rate, num_channels : int
            Of the chunks written.
        format : str
            Sample format of the chunks: ``u8 s16 s32 flt dbl``.
        encoder : str, optional
            FFmpeg encoder; default: the muxer's (e.g. libmp3lame for mp3).
        encoder_option : dict, optional
            Encoder options (``{"qscale:a": "2"}`` style names without the stream suffix).
        encoder_format : str, optional
            The encoder's sample format (``"s16"``, ``"fltp"``).
        encoder_sample_rate, encoder_num_channels : int, optional
            Resample / remix before encoding.
        codec_config : CodecConfig, optional
            Bit rate, compression level, VBR quality.
        filter_desc : str, optional
            An FFmpeg audio filter graph applied before encoding, e.g.
            ``"volume=0.5,highpass=f=200"``; its output is converted to what the encoder takes.
        """
        if self._opened:
            raise RuntimeError("add streams before open()")
        if format not in SAMPLE_FORMATS:
            raise ValueError(f"format must be one of {', '.join(SAMPLE_FORMATS)}; got {format!r}")
        if not isinstance(sample_rate, (int, np.integer)) or sample_rate <= 0:
            raise ValueError(f"sample_rate must be a positive integer; got {sample_rate!r}")
        if not 0 < num_channels <= 64:
            raise ValueError(f"num_channels must be between 1 and 64; got {num_channels}")
        settings: Dict[str, Any] = {
            "encoder_format": encoder_format,
            "encoder_sample_rate": encoder_sample_rate,
            "encoder_num_channels": encoder_num_channels,
            "encoder_options": encoder_option,
            "filter_desc": filter_desc,
        }
        if codec_config is not None:
            settings["bit_rate"] = codec_config.bit_rate
            settings["compression_level"] = codec_config.compression_level
            if codec_config.qscale is not None and not math.isnan(codec_config.qscale):
                settings["quality"] = codec_config.qscale
        opts, keep = _stream_options(int(sample_rate), int(num_channels),
                                     DTYPES[SAMPLE_FORMATS[format]], encoder, settings)
        self._ensure_writer().add_audio(opts)
        self._keep.append(keep)

    def set_metadata(self, metadata: Dict[str, str]) -> None:
        """Sets container tags (before `open`)."""
        if self._opened:
            raise RuntimeError("set metadata before open()")
        writer = self._ensure_writer()
        for key, value in metadata.items():
            writer.set_metadata(str(key), str(value))

    def open(self, option: Optional[Dict[str, str]] = None) -> "StreamWriter":
        """Writes the header; usable as a context manager that closes on exit."""
        if self._opened:
            raise RuntimeError("the StreamWriter is open already")
        if self._writer is None or not self._writer.channels:
            raise RuntimeError("add a stream before open()")
        self._writer.start(option)
        self._opened = True
        return self

    def write_audio_chunk(self, i: int, chunk: Any, pts: Optional[float] = None) -> None:
        """Encodes a ``(frames, channels)`` chunk of stream `i`; chunks may be any size.

        `pts` must be None: samples follow each other without gaps.
        """
        if not self._opened or self._closed:
            raise RuntimeError("open() the StreamWriter before writing")
        if pts is not None:
            raise NotImplementedError("pts is not supported for audio; chunks follow each other")
        if not 0 <= i < len(self._writer.channels):
            raise ValueError(f"no stream {i}")
        self._writer.write(i, _as_array(chunk), channels_first=False)

    def flush(self) -> None:
        """Encodes what the streams still hold; nothing more can be written afterwards."""
        if self._opened and not self._closed:
            self._writer.flush()

    def close(self) -> None:
        """Finishes the file (trailer) and closes the destination."""
        if self._writer is not None and not self._closed:
            self._closed = True
            try:
                if self._opened:
                    self._writer.close()
            finally:
                self._writer.abandon()

    def __enter__(self) -> "StreamWriter":
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.close()
        elif self._writer is not None:
            self._closed = True
            self._writer.abandon()
