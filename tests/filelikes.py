"""File-like stand-ins for the sources and destinations users pass: shared by the tests,
their subprocess workers and the fuzz harness over the Python API."""

from __future__ import annotations

import io


class NonSeekable(io.RawIOBase):
    """A stream that can only be read, like an HTTP body."""

    def __init__(self, data: bytes) -> None:
        self._f = io.BytesIO(data)
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:  # type: ignore[override]
        n = self._f.readinto(b)
        self.bytes_read += n
        return n


class ReadOnly:
    """An object with nothing but read(n), like boto3's StreamingBody."""

    def __init__(self, data: bytes) -> None:
        self._f = io.BytesIO(data)

    def read(self, n: int = -1) -> bytes:
        return self._f.read(n)


class WriteOnly:
    """A destination with nothing but write(b), like a socket or a pipe; `data` holds what
    was written."""

    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, b) -> int:
        self.data += b
        return len(b)
