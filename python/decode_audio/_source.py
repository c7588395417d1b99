"""Turns what users pass as `src` (or `dst`) into the C library's ``da_source`` (``da_output``).

Paths and URLs go by name; bytes-like objects are read in place; file-like objects are read
and written through callbacks. An exception raised by a file-like's own methods is kept while
the C call unwinds and raised unchanged afterwards.
"""

from __future__ import annotations

import ctypes
import os
import re
from typing import Any, Optional, Union

import numpy as np

from . import _lib
from ._errors import DecodeAudioError
from ._files import refuse_text_mode

__all__ = ["SourceLike", "Source", "Destination", "call_checked", "is_seekable"]

SourceLike = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, Any]

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)[:,]")
_AVSEEK_SIZE = 0x10000


def describe(src: Any) -> str:
    """How messages name a source."""
    if isinstance(src, (str, os.PathLike)):
        return os.fspath(src) if not isinstance(src, bytes) else repr(src)
    if isinstance(src, (bytes, bytearray, memoryview)):
        return f"<{type(src).__name__} of {memoryview(src).nbytes} bytes>"
    name = getattr(src, "name", None)
    if isinstance(name, str):
        return name
    return f"<{type(src).__name__}>"


class Source:
    """A ``da_source`` for one C call; use as a context manager around the call.

    Parameters
    ----------
    src
        A path, URL, bytes-like object or file-like object.
    restore_position
        Put a seekable file-like back where it was when the call is over.
    protocols
        The protocols the caller allowed: a string starting with one of them and a colon
        (``concat:``, ``data:``) is then a URL rather than a file name.
    """

    def __init__(self, src: SourceLike, restore_position: bool = False,
                 protocols: Optional[bytes] = None) -> None:
        self.struct = _lib.Source()
        self.error: Optional[BaseException] = None
        self._file: Any = None
        self._start = 0
        self._restore = restore_position
        self._keep: list = []
        name = describe(src)
        self._name = name.encode("utf-8", "surrogateescape")
        self.struct.name = self._name
        s = self.struct
        if isinstance(src, (str, os.PathLike)):
            self._path = _set_path(s, src, protocols)
        elif isinstance(src, (bytes, bytearray, memoryview)):
            view = np.frombuffer(src, dtype=np.uint8)
            self._keep.append(view)
            s.kind = _lib.SOURCE_MEMORY
            s.data = view.__array_interface__["data"][0]
            s.size = view.size
        elif hasattr(src, "read") or hasattr(src, "readinto"):
            self._open_file(src)
        else:
            raise TypeError(
                "src must be a path, a URL, a bytes-like object or a file-like object with "
                f"read(); got {type(src).__name__}"
            )

    def _open_file(self, f: Any) -> None:
        refuse_text_mode(f, "read")
        self._file = f
        s = self.struct
        s.kind = _lib.SOURCE_CALLBACKS
        readinto = getattr(f, "readinto", None)
        read = getattr(f, "read", None)

        def read_cb(_opaque: Any, buf: int, size: int) -> int:
            try:
                if readinto is not None:
                    view = memoryview((ctypes.c_uint8 * size).from_address(buf)).cast("B")
                    n = readinto(view)
                    return n or 0
                data = read(size)
                n = len(data)
                if n > size:
                    raise ValueError(f"read({size}) returned {n} bytes")
                ctypes.memmove(buf, data, n)
                return n
            except BaseException as e:  # noqa: BLE001 - re-raised after the C call
                self.error = e
                return -1

        s.read = _lib.READ_FN(read_cb)
        self._keep.append(s.read)
        if is_seekable(f):
            self._start = f.tell()
            s.seek = _seek_callback(f, self._start, self, report_size=True)
            s.seekable = 1
            self._keep.append(s.seek)

    @property
    def pointer(self) -> Any:
        return ctypes.byref(self.struct)

    def __enter__(self) -> "Source":
        return self

    def check(self) -> None:
        """Raises what a file-like's own method raised during the last C call."""
        error, self.error = self.error, None
        if error is not None:
            raise error

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if self._restore and self._file is not None and self.struct.seekable:
            try:
                self._file.seek(self._start)
            except Exception:  # noqa: BLE001 - the call's own outcome matters more
                pass
        error, self.error = self.error, None
        if error is not None:
            raise error


def _seek_callback(f: Any, start: int, owner: Any, report_size: bool) -> Any:
    """A C seek callback over `f`, whose position `start` is offset 0; errors go to
    `owner.error` and return -1."""

    def seek_cb(_opaque: Any, offset: int, whence: int) -> int:
        try:
            if whence == _AVSEEK_SIZE:
                if not report_size:
                    return -1
                here = f.tell()
                end = f.seek(0, os.SEEK_END)
                f.seek(here)
                return end - start
            if whence == os.SEEK_SET:
                return f.seek(start + offset) - start
            return f.seek(offset, whence) - start
        except BaseException as e:  # noqa: BLE001 - re-raised after the C call
            owner.error = e
            return -1

    return _lib.SEEK_FN(seek_cb)


def _set_path(struct: Any, path: Any, protocols: Optional[bytes]) -> bytes:
    """Points a source or output struct at a path or URL; returns the bytes it points to."""
    path = os.fspath(path)
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    encoded = path.encode("utf-8", "surrogateescape")
    struct.kind = _lib.SOURCE_URL if _is_url(path, protocols) else _lib.SOURCE_PATH
    struct.path = encoded
    return encoded


def is_url(path: Any) -> bool:
    """Whether a path-like names a protocol URL (``udp://…``) rather than a file."""
    path = os.fspath(path)
    return _is_url(os.fsdecode(path) if isinstance(path, bytes) else path, None)


def _is_url(path: str, protocols: Optional[bytes]) -> bool:
    """A string is a URL when it has a scheme://, or when the caller allowed its scheme."""
    if ":" not in path:
        return False
    if _URL.match(path):
        return True
    # FFmpeg's own reading of a protocol prefix: "concat:…", "data:…", "subfile,,…:…"
    scheme = _SCHEME.match(path)
    allowed = protocols.decode().split(",") if protocols else []
    return scheme is not None and scheme.group(1) in allowed and scheme.group(1) != "file"


def is_seekable(f: Any) -> bool:
    """Whether a file-like is read with seeking (else as a stream, from its start once)."""
    if not (hasattr(f, "seek") and hasattr(f, "tell")):
        return False
    seekable = getattr(f, "seekable", None)
    try:
        return bool(seekable()) if seekable is not None else False
    except Exception:  # noqa: BLE001 - an object that cannot say is streamed
        return False


class Destination:
    """A ``da_output`` for a writer's life: a path, a protocol URL or a file-like with write().

    Call `check` after each C call to raise what the file-like raised.
    """

    def __init__(self, dst: Any, name: Optional[str] = None) -> None:
        self.struct = _lib.Output()
        self.error: Optional[BaseException] = None
        self._keep: list = []
        name = describe(dst) if name is None else name
        self._name = name.encode("utf-8", "surrogateescape")
        s = self.struct
        s.name = self._name
        if isinstance(dst, (str, os.PathLike)):
            self._path = _set_path(s, dst, None)
            return
        if not hasattr(dst, "write"):
            raise TypeError(f"dst must be a path, a URL or a file-like object with write(); "
                            f"got {type(dst).__name__}")
        refuse_text_mode(dst, "write")
        write = dst.write

        def write_cb(_opaque: Any, buf: int, size: int) -> int:
            try:
                view = memoryview((ctypes.c_uint8 * size).from_address(buf)).cast("B")
                done = 0
                while done < size:
                    n = write(view[done:])
                    done += size - done if n is None else n
                return size
            except BaseException as e:  # noqa: BLE001 - re-raised after the C call
                self.error = e
                return -1

        s.kind = _lib.SOURCE_CALLBACKS
        s.write = _lib.WRITE_FN(write_cb)
        self._keep.append(s.write)
        if is_seekable(dst):
            # a muxer never asks a destination for its size
            s.seek = _seek_callback(dst, dst.tell(), self, report_size=False)
            s.seekable = 1
            self._keep.append(s.seek)

    @property
    def pointer(self) -> Any:
        return ctypes.byref(self.struct)

    def check(self) -> None:
        """Raises what a file-like's own method raised during the last C call."""
        error, self.error = self.error, None
        if error is not None:
            raise error


def call_checked(io: Any, fn: Any, *args: Any) -> None:
    """Calls a C function that reads or writes through `io` (a Source or Destination) over
    several calls; what the file-like raised during the call is raised in place of the C error."""
    try:
        fn(*args, _lib.error_buffer(), _lib.ERROR_SIZE)
    except DecodeAudioError:
        io.check()
        raise
    io.check()
