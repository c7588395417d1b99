"""Chunked decoding: `stream()` and torchaudio's `StreamReader` (audio), over da_reader."""

from __future__ import annotations

import collections
import ctypes
import os
import weakref
from typing import Any, Deque, Dict, Iterator, List, Optional, Tuple

from . import _lib
from ._audio import Audio
from ._decode import info, new_options, warn_skipped
from ._dtypes import READER_SAMPLE_FORMATS, dtype_code
from ._metadata import AudioMetaData
from ._options import OPTIONS, accepted, fill_struct
from ._source import Source, SourceLike, call_checked, is_seekable

__all__ = ["stream", "Chunks", "StreamReader"]

# stream()'s options by keyword
_STREAM_OPTIONS = accepted("stream")
_DTYPE_DEFAULT = OPTIONS["dtype"].default_for("stream")


class _Chunks:
    """One da_reader: decodes `src` chunk by chunk; frees itself when dropped."""

    def __init__(self, src: SourceLike, frames_per_chunk: int, **decode_kwargs: Any) -> None:
        if not isinstance(frames_per_chunk, int) or frames_per_chunk <= 0:
            raise ValueError(f"frames_per_chunk must be a positive integer; got "
                             f"{frames_per_chunk!r}")
        self.frames_per_chunk = frames_per_chunk
        dtype = decode_kwargs.pop("dtype", _DTYPE_DEFAULT)
        unknown = [k for k in decode_kwargs if k not in _STREAM_OPTIONS]
        if unknown:
            raise TypeError(f"unexpected decode options: {', '.join(unknown)}")
        self._opts = new_options()
        fill_struct(self._opts, {"dtype": dtype_code(dtype), **{
            _STREAM_OPTIONS[k].name: v for k, v in decode_kwargs.items()}})
        self._src = src
        self._skipped = 0
        self._source = Source(src, protocols=self._opts.open.protocols)
        self._ptr = _lib.ReaderHandle()
        self._call(_lib.da_reader_open, self._source.pointer, ctypes.byref(self._opts),
                   ctypes.byref(self._ptr))
        self._finalizer = weakref.finalize(self, _lib.da_reader_free, ctypes.byref(self._ptr))
        self.ended = False

    def _call(self, fn: Any, *args: Any) -> None:
        call_checked(self._source, fn, *args)

    def read(self) -> Optional[Audio]:
        """The next chunk, or None after the end."""
        if self.ended:
            return None
        ptr = ctypes.POINTER(_lib.AudioStruct)()
        self._call(_lib.da_reader_read, self._ptr, self.frames_per_chunk, ctypes.byref(ptr))
        chunk = Audio(ptr)
        if chunk.decode_errors > self._skipped:
            self._skipped = chunk.decode_errors
            warn_skipped(self._src, chunk.decode_errors)
        if chunk.num_frames < self.frames_per_chunk:
            self.ended = True
            self.close()
        return chunk if chunk.num_frames > 0 else None

    def close(self) -> None:
        self._finalizer()


def stream(src: SourceLike, frames_per_chunk: int, **decode_kwargs: Any) -> "Chunks":
    """Decodes `src` in chunks of `frames_per_chunk` frames, in bounded memory.

    Parameters
    ----------
    src : path, URL, bytes-like or file-like
    frames_per_chunk : int
        Frames per chunk; only the last may be shorter.
    **decode_kwargs
        `decode`'s options (``dtype``, ``sample_rate``, ``num_channels``, ``channels_first``,
        ``frame_offset``, ``num_frames``, ``filter_desc``, ...).

    Returns
    -------
    Chunks
        An iterator of `Audio` chunks that, concatenated, equal
        ``decode(src, **decode_kwargs)`` bit for bit; ``seek(seconds)`` restarts it there.

    Examples
    --------
    >>> for chunk in decode_audio.stream("hour.flac", 16000, sample_rate=16000):  # doctest: +SKIP
    ...     model(chunk.torch())
    """
    return Chunks(src, frames_per_chunk, decode_kwargs)


class Chunks:
    """The iterator `stream()` returns: `Audio` chunks, and `seek(seconds)` to restart exactly
    at a time (counted in output frames from the start of the input, as
    ``StreamReader.seek``). The input is opened at the first chunk and closed at the end."""

    def __init__(self, src: SourceLike, frames_per_chunk: int,
                 decode_kwargs: Dict[str, Any]) -> None:
        self._src = src
        self._frames_per_chunk = frames_per_chunk
        self._kwargs = dict(decode_kwargs)
        self._reader: Optional[_Chunks] = None
        self._rate: Optional[int] = decode_kwargs.get("sample_rate")
        self._start = src.tell() if _seekable(src) else None
        self._ended = False

    def __iter__(self) -> "Chunks":
        return self

    def __next__(self) -> Audio:
        if self._ended:
            raise StopIteration
        if self._reader is None:
            self._reader = _Chunks(self._src, self._frames_per_chunk, **self._kwargs)
        chunk = self._reader.read()
        if chunk is None:
            self.close()
            self._ended = True
            raise StopIteration
        self._rate = self._rate or chunk.sample_rate
        return chunk

    def seek(self, seconds: float) -> None:
        """Restarts at `seconds` from the start of the input, sample-exact; the window's end
        (``num_frames``), if one was given, stays where it was."""
        if not isinstance(seconds, (int, float)) or seconds < 0:
            raise ValueError(f"seconds must be a number >= 0; got {seconds!r}")
        if not isinstance(self._src, (str, os.PathLike, bytes, bytearray, memoryview)):
            if self._start is None:
                raise ValueError("a non-seekable source cannot be seeked")
            self._src.seek(self._start)  # type: ignore[union-attr]
        rate = self._rate or info(self._src, format=self._kwargs.get("format"),
                                  exact=False).sample_rate
        first = int(round(seconds * rate))
        offset = self._kwargs.get("frame_offset", 0) or 0
        count = self._kwargs.get("num_frames", -1)
        if count is not None and count >= 0:
            self._kwargs["num_frames"] = max(0, offset + count - first)
        self._kwargs["frame_offset"] = first
        self.close()
        self._ended = False

    def close(self) -> None:
        """Frees the decoder now (it is also freed when the iterator is dropped)."""
        if self._reader is not None:
            self._reader.close()
        self._reader = None


def _seekable(src: Any) -> bool:
    try:
        return callable(getattr(src, "seek", None)) and bool(src.seekable())
    except (AttributeError, OSError, ValueError):
        return False


class _Output:
    """An output stream of a StreamReader."""

    def __init__(self, frames_per_chunk: int, buffer_chunk_size: int, options: Dict[str, Any]):
        self.frames_per_chunk = frames_per_chunk
        self.options = options
        self.buffer: Deque[Any] = collections.deque(maxlen=max(1, buffer_chunk_size))
        self.reader: Optional[_Chunks] = None


class StreamReader:
    """Chunked decoding of the audio streams of one input, like ``torchaudio.io.StreamReader``.

    Parameters
    ----------
    src : path, URL, bytes-like or file-like
    format : str, optional
        FFmpeg demuxer name, skipping probing.
    option : dict, optional
        Demuxer and protocol options (``{"probesize": "32768"}``).
    buffer_size : int
        I/O buffer size for bytes and file-like sources.
    on_error : str
        ``"skip"`` (default) or ``"raise"``: what a packet the decoder rejects does, as for
        `decode`.

    Chunks are torch tensors ``(frames, channels)`` when torch is installed, `Audio` otherwise.

    Examples
    --------
    >>> r = StreamReader("speech.wav")                                  # doctest: +SKIP
    >>> r.add_basic_audio_stream(frames_per_chunk=16000, sample_rate=16000)
    >>> for (chunk,) in r.stream():
    ...     chunk.shape                                                 # (16000, 1)
    """

    def __init__(self, src: SourceLike, format: Optional[str] = None,
                 option: Optional[Dict[str, str]] = None, buffer_size: int = 4096,
                 on_error: str = "skip") -> None:
        OPTIONS["on_error"].check(on_error)
        self._on_error = on_error
        self._src = src
        self._option = dict(option) if option else None
        self._format = format
        self._buffer_size = buffer_size
        self._meta: AudioMetaData = info(src, format=format, buffer_size=buffer_size,
                                         exact=False)
        self._exact: Dict[int, AudioMetaData] = {}
        self._outputs: List[_Output] = []
        self._file_like = not isinstance(src, (str, os.PathLike, bytes, bytearray, memoryview))

    @property
    def num_src_streams(self) -> int:
        """Streams in the input, of any type."""
        return self._meta.num_streams

    @property
    def num_out_streams(self) -> int:
        return len(self._outputs)

    @property
    def default_audio_stream(self) -> int:
        """FFmpeg's best audio stream."""
        return self._meta.stream_index

    def get_src_stream_info(self, i: int) -> AudioMetaData:
        """Describes audio stream `i` (a non-audio stream raises DecodeAudioError).

        `num_frames` is what `info` says, exact, counted on first use where the header only
        estimates it; a non-seekable file-like cannot be read twice, so its default stream
        keeps the header's count (``num_frames_exact`` says which)."""
        if i in self._exact:
            return self._exact[i]
        rereadable = not self._file_like or is_seekable(self._src)
        if i == self._meta.stream_index and (self._meta.num_frames_exact or not rereadable):
            return self._meta
        if not rereadable:
            raise ValueError("only the default audio stream of a non-seekable file-like can "
                             "be described")
        self._exact[i] = info(self._src, format=self._format, buffer_size=self._buffer_size,
                              stream_index=i)
        return self._exact[i]

    def add_basic_audio_stream(
        self,
        frames_per_chunk: int,
        buffer_chunk_size: int = 3,
        stream_index: Optional[int] = None,
        decoder: Optional[str] = None,
        decoder_option: Optional[Dict[str, str]] = None,
        format: Optional[str] = "fltp",
        sample_rate: Optional[int] = None,
        num_channels: Optional[int] = None,
    ) -> None:
        """Adds an output of `frames_per_chunk` frames per chunk, converted as asked."""
        OPTIONS["sample_format"].check(format)
        self._add(frames_per_chunk, buffer_chunk_size, stream_index, decoder, decoder_option,
                  dtype=READER_SAMPLE_FORMATS[format or "fltp"], sample_rate=sample_rate,
                  num_channels=num_channels)

    def add_audio_stream(
        self,
        frames_per_chunk: int,
        buffer_chunk_size: int = 3,
        stream_index: Optional[int] = None,
        decoder: Optional[str] = None,
        decoder_option: Optional[Dict[str, str]] = None,
        filter_desc: Optional[str] = None,
    ) -> None:
        """Adds an output whose audio goes through an FFmpeg filter graph (float32 chunks)."""
        self._add(frames_per_chunk, buffer_chunk_size, stream_index, decoder, decoder_option,
                  filter_desc=filter_desc)

    def _add(self, frames_per_chunk: int, buffer_chunk_size: int, stream_index: Optional[int],
             decoder: Optional[str], decoder_option: Optional[Dict[str, str]],
             **options: Any) -> None:
        if self._outputs and self._file_like:
            raise ValueError("a file-like source can feed one output stream")
        if not isinstance(frames_per_chunk, int) or frames_per_chunk <= 0:
            raise ValueError(f"frames_per_chunk must be a positive integer; got "
                             f"{frames_per_chunk!r}")
        options = {k: v for k, v in options.items() if v is not None}
        options.update(format=self._format, buffer_size=max(self._buffer_size, 4096),
                       stream_index=stream_index, decoder=decoder,
                       decoder_option=decoder_option, option=self._option,
                       on_error=self._on_error)
        self._outputs.append(_Output(frames_per_chunk, buffer_chunk_size, options))

    def remove_stream(self, i: int) -> None:
        """Removes output stream `i`."""
        del self._outputs[i]

    def seek(self, timestamp: float, mode: str = "precise") -> None:
        """Restarts every output at `timestamp` seconds, exactly (all modes are precise)."""
        if mode not in ("precise", "key", "any"):
            raise ValueError(f"mode must be 'precise', 'key' or 'any'; got {mode!r}")
        if timestamp < 0:
            raise ValueError(f"timestamp must be >= 0; got {timestamp}")
        if self._file_like:
            if not (hasattr(self._src, "seek") and self._src.seekable()):
                raise ValueError("a non-seekable source cannot be seeked")
            self._src.seek(0)
        for out in self._outputs:
            rate = out.options.get("sample_rate") or self._meta.sample_rate
            out.options["frame_offset"] = int(round(timestamp * rate))
            out.reader = None
            out.buffer.clear()

    def _reader(self, out: _Output) -> _Chunks:
        if out.reader is None:
            out.reader = _Chunks(self._src, out.frames_per_chunk, **out.options)
        return out.reader

    @staticmethod
    def _wrap(chunk: Audio) -> Any:
        try:
            return chunk.torch()
        except ImportError:
            return chunk

    def process_packet(self, timeout: Optional[float] = None, backoff: float = 10.0) -> int:
        """Decodes the next chunk of every output into its buffer; 1 once all have ended."""
        if not self._outputs:
            raise RuntimeError("add an output stream first")
        progressed = False
        for out in self._outputs:
            reader = self._reader(out)
            if reader.ended:
                continue
            chunk = reader.read()
            if chunk is not None:
                out.buffer.append(self._wrap(chunk))
                progressed = True
        return 0 if progressed else 1

    def process_all_packets(self) -> None:
        while self.process_packet() == 0:
            pass

    def is_buffer_ready(self) -> bool:
        """Whether every output has a chunk waiting (or has ended)."""
        return all(len(out.buffer) > 0 or (out.reader is not None and out.reader.ended)
                   for out in self._outputs)

    def fill_buffer(self, timeout: Optional[float] = None, backoff: float = 10.0) -> int:
        """Decodes until every output has a chunk (or all have ended); 1 at the end."""
        while not self.is_buffer_ready():
            if self.process_packet() == 1:
                return 1
        return 0

    def pop_chunks(self) -> Tuple[Any, ...]:
        """The oldest waiting chunk of every output (None where none waits)."""
        return tuple(out.buffer.popleft() if out.buffer else None for out in self._outputs)

    def stream(self, timeout: Optional[float] = None,
               backoff: float = 10.0) -> Iterator[Tuple[Any, ...]]:
        """Yields a tuple of one chunk per output (None for an output that has ended)."""
        if not self._outputs:
            raise RuntimeError("add an output stream first")
        while True:
            self.fill_buffer()
            chunks = self.pop_chunks()
            if all(c is None for c in chunks):
                return
            yield chunks
