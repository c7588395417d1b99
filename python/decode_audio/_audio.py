"""`Audio`: decoded samples in a C buffer, shared with NumPy, torch and DLPack without a copy."""

from __future__ import annotations

import base64
import ctypes
import html
import io
import pickle
import wave
from typing import Any, Optional, Tuple

import numpy as np

from . import _lib
from ._arrays import import_torch
from ._dtypes import DTYPE_NAMES, DTYPES, NUMPY_DTYPES, dtype_code

__all__ = ["Audio", "live_buffers", "convert_samples", "HTML_MAX_BYTES"]

# The most WAV bytes Audio._repr_html_ embeds in a notebook (16-bit PCM, then base64): about
# 55 s of 48 kHz stereo or 5.5 minutes of 16 kHz mono; longer audio plays its beginning.
HTML_MAX_BYTES = 10 * 2**20

_LEGACY = b"dltensor"
_VERSIONED = b"dltensor_versioned"
_KDL_CPU = 1


class Audio:
    """Decoded audio in a buffer owned by the C library.

    Shape ``(frames, channels)``, or ``(channels, frames)`` when decoded with
    ``channels_first=True``; C-contiguous either way. NumPy arrays (``.numpy()``,
    ``np.asarray``), torch tensors (``.torch()``, ``torch.from_dlpack``) and DLPack consumers
    all share its one buffer, which is freed once, when the last of them is gone.

    In a notebook an Audio shows a player (`_repr_html_`). For ``IPython.display.Audio``, pass
    ``a.wav_bytes()`` (no ``rate=``), or ``a.T`` with ``rate=a.sample_rate``: IPython reads
    a 2-D array as ``(channels, frames)``, so ``IPython.display.Audio(a, rate=...)`` of a
    ``(frames, channels)`` Audio takes the frames for channels; NumPy's view of an Audio
    stays ``(frames, channels)``, so that form cannot be mended here.

    Examples
    --------
    >>> a = decode_audio.decode("speech.wav")      # doctest: +SKIP
    >>> a.shape, a.dtype                           # doctest: +SKIP
    ((54400, 1), dtype('float32'))
    >>> x = a.numpy()                              # no copy: x.base is a
    """

    __slots__ = ("_ptr", "_struct", "_owner", "_row", "_interface", "__weakref__")

    def __init__(self, ptr: Any, owner: Any = None, row_length: int = 0) -> None:
        self._ptr = ptr
        self._struct = ptr.contents
        # decoding into the caller's array: keep it alive; channels-first rows keep its length
        self._owner = owner
        self._row = row_length
        self._interface: Optional[dict] = None

    def __del__(self) -> None:
        # Views (NumPy arrays, DLPack capsules) keep this object or the C buffer alive, so the
        # last reference going is the moment to drop ours.
        ptr = getattr(self, "_ptr", None)
        if ptr is not None and _lib is not None:
            self._ptr = None
            _release(ptr)

    # --- description ---
    @property
    def sample_rate(self) -> int:
        """Frames per second."""
        return self._struct.sample_rate

    @property
    def num_frames(self) -> int:
        """Frames (samples per channel)."""
        return self._struct.num_frames

    @property
    def num_channels(self) -> int:
        return self._struct.num_channels

    @property
    def channels_first(self) -> bool:
        """Whether the layout is ``(channels, frames)``."""
        return bool(self._struct.channels_first)

    @property
    def dtype(self) -> np.dtype:
        """The NumPy dtype of the samples."""
        return NUMPY_DTYPES[self._struct.dtype]

    @property
    def shape(self) -> Tuple[int, int]:
        s = self._struct
        if s.channels_first:
            return (s.num_channels, s.num_frames)
        return (s.num_frames, s.num_channels)

    @property
    def decode_errors(self) -> int:
        """Packets the decoder rejected and skipped, as the ffmpeg CLI does."""
        return self._struct.decode_errors

    @property
    def num_threads(self) -> int:
        """Threads the decode was split among (``decode(num_threads=...)``); 1 when it was not."""
        return self._struct.num_threads

    @property
    def data_ptr(self) -> int:
        """Address of the first sample."""
        return self._struct.data or 0

    def __len__(self) -> int:
        return self.shape[0]

    def __repr__(self) -> str:
        layout = "channels, frames" if self.channels_first else "frames, channels"
        return (
            f"Audio(shape={self.shape} ({layout}), dtype={DTYPE_NAMES[self._struct.dtype]}, "
            f"sample_rate={self.sample_rate}, duration={_clock(self.duration)})"
        )

    @property
    def duration(self) -> float:
        """Seconds: ``num_frames / sample_rate``."""
        rate = self.sample_rate
        return self.num_frames / rate if rate else 0.0

    # --- indexing: the frames axis ---
    def __getitem__(self, key: Any) -> np.ndarray:
        """A NumPy view of frames: ``a[i:j]`` are frames i to j, ``a[i]`` frame i (its
        channels), ``a[::2]`` every other frame, whatever the layout (with
        ``channels_first=True`` the frames are the second axis). A tuple indexes the array's
        own axes, as NumPy does: ``a[i:j, 0]`` (frames, channels), ``a[0, i:j]`` (channels
        first)."""
        x = np.asarray(self)
        if isinstance(key, tuple) or not self.channels_first:
            return x[key]
        return x[:, key]

    @property
    def T(self) -> np.ndarray:
        """The transposed NumPy view: ``(channels, frames)`` of a frames-first Audio (what
        ``IPython.display.Audio(a.T, rate=a.sample_rate)`` reads), and the reverse."""
        return np.asarray(self).T

    def astype(self, dtype: Any) -> np.ndarray:
        """A new NumPy array of the samples in `dtype` (any spelling `decode` takes), scaled as
        decoding in that type scales them: int16 -> float32 divides by 32768, float32 ->
        int16 multiplies by 32768, rounds and clips, as FFmpeg's converter does."""
        return convert_samples(np.asarray(self), dtype)

    # --- notebooks ---
    def wav_bytes(self, max_bytes: Optional[int] = None) -> bytes:
        """The samples as a 16-bit PCM WAV file in memory (its first `max_bytes` of samples at
        most), scaled as decoding to int16 scales them: what ``IPython.display.Audio`` plays
        as it is, channels and rate from its header
        (``IPython.display.Audio(a.wav_bytes())``)."""
        x = np.asarray(self)
        frames_first = x.T if self.channels_first else x
        channels = max(self.num_channels, 1)
        if max_bytes is not None:
            frames_first = frames_first[:max(max_bytes // (2 * channels), 0)]
        pcm = convert_samples(frames_first, "int16").astype("<i2", copy=False)
        out = io.BytesIO()
        with wave.open(out, "wb") as w:
            w.setnchannels(channels)
            w.setsampwidth(2)
            w.setframerate(self.sample_rate)
            w.writeframes(np.ascontiguousarray(pcm).tobytes())
        return out.getvalue()

    def _repr_html_(self) -> str:
        """An audio player for Jupyter: a 16-bit WAV in a base64 data URI, at most
        `HTML_MAX_BYTES` of samples (longer audio plays its beginning, and says so)."""
        data = self.wav_bytes(HTML_MAX_BYTES)
        shown = (len(data) - 44) // (2 * max(self.num_channels, 1))
        note = ""
        if shown < self.num_frames:
            rate = self.sample_rate or 1
            note = (f" (the player holds the first {_clock(shown / rate)} of "
                    f"{_clock(self.duration)})")
        uri = "data:audio/wav;base64," + base64.b64encode(data).decode("ascii")
        return (f'<div><audio controls src="{uri}"></audio><br>'
                f"<code>{html.escape(repr(self))}</code>{html.escape(note)}</div>")

    # --- NumPy ---
    @property
    def __array_interface__(self) -> dict:
        # the buffer never changes once decoded: describe it once
        if self._interface is None:
            strides = None
            if self._row and self.channels_first and self._row != self.num_frames:
                strides = (self._row * self.dtype.itemsize, self.dtype.itemsize)
            self._interface = {
                "version": 3,
                "shape": self.shape,
                "typestr": self.dtype.str,
                "data": (self.data_ptr, False),
                "strides": strides,
            }
        return self._interface

    def numpy(self) -> np.ndarray:
        """A NumPy view of the samples (no copy; it keeps this object alive)."""
        return np.asarray(self)

    # --- torch ---
    def torch(self) -> Any:
        """A torch tensor sharing the samples (no copy), through DLPack."""
        return import_torch("Audio.torch()").from_dlpack(self)

    # --- pickling ---
    def __reduce_ex__(self, protocol: Any) -> Tuple[Any, tuple]:
        """Samples and metadata; with protocol 5 the samples go as one out-of-band buffer
        when the pickler takes them (``buffer_callback``), in-band otherwise."""
        samples = self.numpy()
        if not samples.flags.c_contiguous:
            # rows of a caller's wider `out` array: the frames decoded, made contiguous
            samples = np.ascontiguousarray(samples)
        s = self._struct
        data: Any = pickle.PickleBuffer(samples) if protocol >= 5 else samples
        return (_unpickle, (data, DTYPE_NAMES[s.dtype], s.num_frames, s.num_channels,
                            s.sample_rate, bool(s.channels_first), s.decode_errors))

    # --- DLPack ---
    def __dlpack_device__(self) -> Tuple[int, int]:
        return (_KDL_CPU, 0)

    def __dlpack__(
        self,
        *,
        stream: Optional[int] = None,
        max_version: Optional[Tuple[int, int]] = None,
        dl_device: Optional[Tuple[int, int]] = None,
        copy: Optional[bool] = None,
    ) -> Any:
        """A DLPack capsule of the samples.

        A versioned (DLPack 1.x) capsule when the consumer accepts ``max_version >= (1, 0)``,
        a legacy one otherwise. The capsule holds its own reference to the C buffer.
        """
        if self._owner is not None:
            # decoded into the caller's memory: NumPy's export keeps that memory alive
            return self.numpy().__dlpack__(stream=stream, max_version=max_version,
                                           dl_device=dl_device, copy=copy)
        if stream is not None and stream != -1:
            raise BufferError("decode_audio tensors live on the CPU; stream must be None")
        if dl_device is not None and tuple(dl_device) != (_KDL_CPU, 0):
            raise BufferError(f"decode_audio tensors live on the CPU, not {dl_device}")
        if copy:
            raise BufferError("decode_audio exports without copying; copy=True is not supported")
        versioned = max_version is not None and tuple(max_version) >= (1, 0)
        managed = _lib.DLPackHandle()
        _lib.da_audio_to_dlpack(
            self._ptr, int(versioned), ctypes.byref(managed), _lib.error_buffer(), _lib.ERROR_SIZE
        )
        try:
            return _lib.PyCapsule_New(
                managed, _VERSIONED if versioned else _LEGACY, _lib.CAPSULE_DESTRUCTOR
            )
        except BaseException:
            _lib.da_dlpack_release(managed, int(versioned))
            raise


def _clock(seconds: float) -> str:
    """``1.250 s``, ``2:05.000`` or ``1:02:05.000``."""
    if seconds < 60:
        return f"{seconds:.3f} s"
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(int(minutes), 60)
    return f"{hours}:{minutes:02d}:{secs:06.3f}" if hours else f"{minutes}:{secs:06.3f}"


_FULL_SCALE = {"uint8": 128.0, "int8": 128.0, "int16": 32768.0, "int32": 2147483648.0}
_OFFSET = {"uint8": 128.0}
_LIMITS = {"uint8": (0, 255), "int8": (-128, 127), "int16": (-32768, 32767),
           "int32": (-2147483648, 2147483647)}


def convert_samples(x: np.ndarray, dtype: Any) -> np.ndarray:
    """`x` in another sample type, scaled as FFmpeg's converter does (a new array):
    integers map to floats in [-1, 1) by their full scale (uint8 also less its offset 128),
    floats to integers by rounding to nearest and clipping; integers to integers shift."""
    target = np.dtype(DTYPE_NAMES[dtype_code(dtype)])
    source = x.dtype.name
    name = target.name
    if source == name:
        return x.copy()
    if source in _FULL_SCALE and name in _FULL_SCALE and source != "int8" and name != "int8":
        # integer to integer: by shifts, as FFmpeg's converter
        wide = x.astype(np.int64) - int(_OFFSET.get(source, 0))
        shift = {"uint8": 8, "int16": 16, "int32": 32}
        wide = (wide << (shift[name] - shift[source]) if shift[name] > shift[source]
                else wide >> (shift[source] - shift[name]))
        return (wide + int(_OFFSET.get(name, 0))).astype(target)
    if source in _FULL_SCALE:
        wide = x.astype(np.float64)
        if source in _OFFSET:
            wide -= _OFFSET[source]
        wide *= 1.0 / _FULL_SCALE[source]
        return wide.astype(target)
    if name in _FULL_SCALE:
        wide = np.rint(x.astype(np.float64) * _FULL_SCALE[name])
        if name in _OFFSET:
            wide += _OFFSET[name]
        low, high = _LIMITS[name]
        return np.clip(wide, low, high).astype(target)
    return x.astype(target)


def _unpickle(data: Any, dtype: str, num_frames: int, num_channels: int, sample_rate: int,
              channels_first: bool, decode_errors: int) -> Audio:
    """An Audio from pickled samples: copied once, into a new C buffer."""
    # a view of whatever buffer the unpickler gives (bytes, bytearray, memoryview, array)
    samples = np.frombuffer(data, dtype=np.uint8)
    like = _lib.AudioStruct(num_frames=num_frames, num_channels=num_channels,
                            sample_rate=sample_rate, dtype=DTYPES[dtype],
                            channels_first=int(channels_first), decode_errors=decode_errors)
    expected = num_frames * num_channels * NUMPY_DTYPES[like.dtype].itemsize
    if samples.nbytes != expected:
        raise ValueError(f"pickled audio holds {samples.nbytes} bytes; its shape needs {expected}")
    ptr = ctypes.POINTER(_lib.AudioStruct)()
    _lib.da_audio_new(ctypes.byref(like), samples.ctypes.data if expected else None,
                      ctypes.byref(ptr), _lib.error_buffer(), _lib.ERROR_SIZE)
    return Audio(ptr)


def _release(ptr: Any) -> None:
    _lib.da_audio_release(ctypes.byref(ptr))


def live_buffers() -> int:
    """Number of C audio buffers alive in this process (for leak tests)."""
    count = ctypes.c_int64()
    _lib.da_live_buffers(ctypes.byref(count))
    return count.value
