"""`StreamWriter`: audio and video encoded and muxed chunk by chunk, thin over the C writer
(csrc/writer.c, audio.c, video.c); also the one C writer and audio stream options that `save`
uses."""

from __future__ import annotations

import ctypes
import math
import numbers
import os
import weakref
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from . import _lib
from ._arrays import as_array, layout
from ._dtypes import DTYPE_NAMES, DTYPES, WRITER_SAMPLE_FORMATS, dtype_code
from ._formats import IMAGE_ENCODERS, MUXERS, PIXEL_FORMATS
from ._options import channel_count, key_values, positive_rate
from ._files import InPlace
from ._source import Destination, call_checked, is_url

__all__ = ["StreamWriter", "CodecConfig", "Writer", "stream_options"]


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
        Variable-bit-rate quality (libvorbis: -1..10; libmp3lame: 0 best..9; video encoders:
        a fixed quantiser, e.g. mpeg4 1 best..31).
    gop_size : int
        Video: frames from one key frame to the next (0: every frame); -1: the encoder's
        default.
    max_b_frames : int
        Video: most B-frames between other frames; -1: the encoder's default.
    """

    bit_rate: int = -1
    compression_level: int = -1
    qscale: Optional[float] = None
    gop_size: int = -1
    max_b_frames: int = -1


def _set_encoder_options(opts: Any, options: Optional[Dict[str, Any]], keep: list) -> None:
    """Points a stream's C options at `options`; `keep` holds the memory until it is added."""
    pointer = key_values(options)
    if pointer is not None:
        opts.encoder_options = pointer
        keep.append(pointer)


class Writer:
    """One C writer; freed (abandoning the file) if never closed."""

    def __init__(self, dst: Any, format: Optional[str], name: Optional[str] = None) -> None:
        self.dst = Destination(dst, name)
        self.ptr = _lib.WriterHandle()
        self._call(_lib.da_writer_open, self.dst.pointer,
                   format.encode() if format else None, ctypes.byref(self.ptr))
        self._finalizer = weakref.finalize(self, _lib.da_writer_free, ctypes.byref(self.ptr))
        self.channels: List[int] = []
        self.dtypes: List[int] = []
        # video stream index -> (channels, height, width, frame rate)
        self.video: Dict[int, Tuple[int, int, int, Fraction]] = {}
        self.next_pts: Dict[int, int] = {}

    def _call(self, fn: Any, *args: Any) -> None:
        call_checked(self.dst, fn, *args)

    def add_audio(self, opts: Any) -> int:
        index = ctypes.c_int()
        self._call(_lib.da_writer_add_audio, self.ptr, ctypes.byref(opts), ctypes.byref(index))
        self.channels.append(opts.num_channels)
        self.dtypes.append(opts.dtype)
        return index.value

    def add_video(self, opts: Any, channels: int, rate: Fraction) -> int:
        index = ctypes.c_int()
        self._call(_lib.da_writer_add_video, self.ptr, ctypes.byref(opts), ctypes.byref(index))
        self.channels.append(channels)
        self.dtypes.append(DTYPES["uint8"])
        self.video[index.value] = (channels, opts.height, opts.width, rate)
        self.next_pts[index.value] = 0
        return index.value

    def write_video(self, index: int, array: np.ndarray, pts: Optional[int]) -> None:
        channels, height, width, _ = self.video[index]
        expected = (channels, height, width)
        if array.dtype != np.uint8 or array.ndim != 4 or tuple(array.shape[1:]) != expected:
            raise ValueError(f"stream {index} takes uint8 chunks of shape (time, {channels}, "
                             f"{height}, {width}); got shape {tuple(array.shape)} and dtype "
                             f"{array.dtype}")
        if pts is not None and pts < self.next_pts[index]:
            raise ValueError(f"pts of frame {pts} of stream {index} is before the next frame's "
                             f"({self.next_pts[index]})")
        if array.shape[0] == 0:
            return
        start = self.next_pts[index] if pts is None else pts
        self._call(_lib.da_writer_write_video, self.ptr, index,
                   array.__array_interface__["data"][0], array.shape[0], *array.strides,
                   -1 if pts is None else pts)
        self.next_pts[index] = start + array.shape[0]

    def set_metadata(self, key: str, value: str) -> None:
        self._call(_lib.da_writer_set_metadata, self.ptr, key.encode(), value.encode())

    def start(self, options: Optional[Dict[str, Any]] = None) -> None:
        self._call(_lib.da_writer_start, self.ptr, key_values(options))

    def write(self, index: int, array: np.ndarray, channels_first: bool) -> None:
        frames, channels, frame_step, channel_step = layout(array, channels_first)
        if channels != self.channels[index]:
            raise ValueError(f"stream {index} has {self.channels[index]} channels; the chunk "
                             f"has {channels}")
        if dtype_code(array.dtype) != self.dtypes[index]:
            raise ValueError(f"stream {index} takes {DTYPE_NAMES[self.dtypes[index]]} samples; the "
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



def _frame_rate(value: Any, name: str) -> Fraction:
    """A positive frame rate as a fraction with a denominator up to 65535."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a positive number; got {value!r}")
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive number; got {value!r}")
    rate = Fraction(value).limit_denominator(65535)
    if rate <= 0 or rate.numerator > 2**31 - 1:
        raise ValueError(f"{name} is out of range; got {value!r}")
    return rate


def stream_options(sample_rate: int, channels: int, dtype: int, encoder: Optional[str],
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
    _set_encoder_options(opts, settings.get("encoder_options"), keep)
    return opts, keep


class StreamWriter:
    """Encodes and muxes audio and video streams chunk by chunk, like
    ``torchaudio.io.StreamWriter``.

    Parameters
    ----------
    dst : path, URL or file-like
        A path, a protocol URL (``udp://127.0.0.1:5000`` with ``format="mpegts"``), or an
        object with ``write`` (and ``seek`` for formats that patch their header, such as
        mp4; a write-only one takes streamable formats: matroska, mpegts, image2pipe, ...).
    format : str, optional
        FFmpeg muxer name, or a still-image format (``png``, ``jpg``, ``bmp``, ``tiff``);
        default: from the path's extension.
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
        # a still-image format names its encoder; the muxer writes one file or a pipe
        self._image_encoder = IMAGE_ENCODERS.get(format.lower()) if format else None
        if self._image_encoder is not None:
            self._format = "image2" if isinstance(dst, (str, os.PathLike)) else "image2pipe"
        self._writer: Optional[Writer] = None
        self._place: Optional[InPlace] = None
        self._metadata: Dict[str, str] = {}
        self._opened = False
        self._closed = False
        self._keep: list = []

    def _ensure_writer(self) -> Writer:
        if self._writer is None:
            dst, name = self._dst, None
            if (isinstance(dst, (str, os.PathLike)) and not is_url(dst)
                    and not (self._format == "image2" and "%" in os.fspath(dst))):
                # written beside the path and renamed over it by close(): a failure leaves
                # nothing there (and an existing file untouched), as save() does
                self._place = InPlace(dst, keep_extension=True)
                weakref.finalize(self, self._place.discard)
                dst, name = self._place.path, self._place.target
            try:
                self._writer = Writer(dst, self._format, name)
            except BaseException as e:
                self._discard()
                renamed = self._place.rename_error(e) if self._place is not None else None
                if renamed is not None:
                    raise renamed from None
                raise
        return self._writer

    def _discard(self) -> None:
        if self._place is not None:
            self._place.discard()

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
        if format not in WRITER_SAMPLE_FORMATS:
            raise ValueError(f"format must be one of {', '.join(WRITER_SAMPLE_FORMATS)}; got {format!r}")
        sample_rate = positive_rate(sample_rate)
        num_channels = channel_count(num_channels)
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
        opts, keep = stream_options(int(sample_rate), int(num_channels),
                                     DTYPES[WRITER_SAMPLE_FORMATS[format]], encoder, settings)
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
        if i in self._writer.video:
            raise ValueError(f"stream {i} is a video stream; use write_video_chunk")
        self._writer.write(i, as_array(chunk), channels_first=False)

    def add_video_stream(
        self,
        frame_rate: Any,
        width: int,
        height: int,
        format: str = "rgb24",
        encoder: Optional[str] = None,
        encoder_option: Optional[Dict[str, str]] = None,
        encoder_format: Optional[str] = None,
        encoder_frame_rate: Any = None,
        encoder_width: Optional[int] = None,
        encoder_height: Optional[int] = None,
        codec_config: Optional[CodecConfig] = None,
        filter_desc: Optional[str] = None,
    ) -> None:
        """Adds a video (or still-image) stream; chunks written to it are
        ``(time, channels, height, width)`` uint8.

        Parameters
        ----------
        frame_rate : int, float or Fraction
            Frames per second of the chunks (``1`` for a still image); a float is taken as
            the nearest fraction with a denominator up to 65535 (29.97 -> 2997/100).
        width, height : int
            Of the chunks' frames.
        format : str
            Pixel format of the chunks: ``"rgb24"`` or ``"bgr24"`` (3 channels), ``"gray8"``
            (1 channel), ``"yuv444p"`` (3 channels, Y U V).
        encoder : str, optional
            FFmpeg encoder; default: the destination's (libx264 for mp4, png for .png, mjpeg
            for .jpg).
        encoder_option : dict, optional
            Encoder options, e.g. ``{"crf": "18", "preset": "fast"}`` for libx264.
        encoder_format : str, optional
            The encoder's pixel format (``"yuv420p"``, ``"yuv444p"``); default: the first one
            the encoder lists (yuv420p for libx264 and mpeg4, rgb24 for png).
        encoder_frame_rate : int, float or Fraction, optional
            Frame rate of the encoded stream; frames are dropped or repeated to reach it.
        encoder_width, encoder_height : int, optional
            Size of the encoded frames (scaled with libswscale's bicubic filter).
        codec_config : CodecConfig, optional
            Bit rate, compression level, fixed quality, GOP size, B-frames.
        filter_desc : str, optional
            An FFmpeg video filter graph applied before encoding, e.g. ``"hflip"``; without
            encoder_width/height or encoder_frame_rate its output sets the encoded size and
            rate.
        """
        if self._opened:
            raise RuntimeError("add streams before open()")
        if format not in PIXEL_FORMATS:
            raise ValueError(f"format must be one of {', '.join(PIXEL_FORMATS)}; got {format!r}")
        rate = _frame_rate(frame_rate, "frame_rate")
        for name, value in (("width", width), ("height", height)):
            if not isinstance(value, numbers.Integral) or not 0 < value <= 32768:
                raise ValueError(f"{name} must be an integer from 1 to 32768; got {value!r}")
        for name, value in (("encoder_width", encoder_width), ("encoder_height", encoder_height)):
            if value is not None and (not isinstance(value, numbers.Integral)
                                      or not 0 < value <= 32768):
                raise ValueError(f"{name} must be an integer from 1 to 32768; got {value!r}")
        opts = _lib.VideoStreamOptions()
        _lib.da_video_stream_options_init(ctypes.byref(opts))
        opts.frame_rate_num, opts.frame_rate_den = rate.numerator, rate.denominator
        opts.width, opts.height = int(width), int(height)
        keep: list = []

        def text(value: Optional[str]) -> Optional[bytes]:
            if value is None:
                return None
            b = str(value).encode()
            keep.append(b)
            return b

        opts.format = text(format)
        if encoder_frame_rate is not None:
            enc_rate = _frame_rate(encoder_frame_rate, "encoder_frame_rate")
            opts.encoder_frame_rate_num = enc_rate.numerator
            opts.encoder_frame_rate_den = enc_rate.denominator
        opts.encoder_width = int(encoder_width or 0)
        opts.encoder_height = int(encoder_height or 0)
        opts.encoder = text(encoder or self._image_encoder)
        opts.encoder_format = text(encoder_format)
        opts.filter_desc = text(filter_desc)
        if codec_config is not None:
            if codec_config.bit_rate > 0:
                opts.bit_rate = int(codec_config.bit_rate)
            if codec_config.compression_level >= 0:
                opts.compression_level = int(codec_config.compression_level)
            if codec_config.gop_size >= 0:
                opts.gop_size = int(codec_config.gop_size)
            if codec_config.max_b_frames >= 0:
                opts.max_b_frames = int(codec_config.max_b_frames)
            if codec_config.qscale is not None and not math.isnan(codec_config.qscale):
                opts.quality = float(codec_config.qscale)
        _set_encoder_options(opts, encoder_option, keep)
        self._ensure_writer().add_video(opts, PIXEL_FORMATS[format], rate)
        self._keep.append(keep)

    def write_video_chunk(self, i: int, chunk: Any, pts: Optional[float] = None) -> None:
        """Encodes a ``(time, channels, height, width)`` uint8 chunk of video stream `i`.

        The chunk is read in place (any strides: a permuted ``(time, height, width,
        channels)`` tensor needs no copy). Chunks may hold any number of frames; a still
        image is one frame.

        Parameters
        ----------
        i : int
            The stream's index.
        chunk : torch.Tensor, numpy.ndarray, DLPack or buffer object
        pts : float, optional
            The first frame's presentation time in seconds, as torchaudio's: rounded to a
            whole number of frames at the stream's frame rate, and not before the next frame
            expected (a later one leaves a gap: the previous frame lasts longer). The other
            frames follow one frame apart. None: right after the last frame written.
        """
        if not self._opened or self._closed:
            raise RuntimeError("open() the StreamWriter before writing")
        if not 0 <= i < len(self._writer.channels):
            raise ValueError(f"no stream {i}")
        if i not in self._writer.video:
            raise ValueError(f"stream {i} is an audio stream; use write_audio_chunk")
        frame_pts = None
        if pts is not None:
            if (not isinstance(pts, numbers.Real) or isinstance(pts, bool)
                    or not math.isfinite(pts) or pts < 0):
                raise ValueError(f"pts must be a finite number of seconds >= 0; got {pts!r}")
            frame_pts = math.floor(pts * self._writer.video[i][3] + 0.5)
            if frame_pts >= 2**53:  # ctypes would cut a larger count to 64 bits silently
                raise ValueError(f"pts is out of range; got {pts!r}")
        self._writer.write_video(i, as_array(chunk), frame_pts)

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
                    if self._place is not None:
                        self._place.commit()
            finally:
                self._writer.abandon()
                self._discard()

    def __enter__(self) -> "StreamWriter":
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.close()
        elif self._writer is not None:
            self._closed = True
            self._writer.abandon()
            self._discard()
