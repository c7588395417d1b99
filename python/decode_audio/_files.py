"""Files written in place of others: every backend's `save` and `StreamWriter` write a
temporary file beside the target and rename it over the target at the end. Also the refusal
of file objects opened in text mode.

What the user had stays: a new file gets the mode the umask gives (as ``open()`` would), an
overwritten file keeps its mode, a symlink keeps pointing where it did (its target is
replaced), and every error names the path the user gave.
"""

from __future__ import annotations

import errno
import io
import os
import shutil
import stat
import tempfile
import threading
from typing import Any, Callable, Optional

from ._errors import DecodeAudioError

__all__ = ["write_in_place", "InPlace", "umask", "refuse_text_mode"]

_UMASK_LOCK = threading.Lock()


def umask() -> int:
    """The process's umask, read without changing it where the system tells (Linux), else set
    and restored at once."""
    try:
        with open("/proc/self/status", "rb") as f:
            for line in f:
                if line.startswith(b"Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def _fsync_directory(directory: str) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class InPlace:
    """A temporary file beside `target` (`path`); `commit` renames it over the target,
    `discard` removes it.

    Parameters
    ----------
    target : path
        What the user asked to write. A symlink is followed: its final target is replaced.
    durable : bool
        fsync the file before the rename and its directory after it, so the new content is
        on disk when `commit` returns (a crash leaves the old file or the new, never an empty
        one).
    keep_extension : bool
        End the temporary name with the target's extension, for writers that choose their
        format from the name.
    """

    def __init__(self, target: Any, durable: bool = False, keep_extension: bool = False) -> None:
        self.target = os.fspath(target)
        if isinstance(self.target, bytes):
            self.target = os.fsdecode(self.target)
        self.durable = durable
        real = os.path.realpath(self.target)
        if os.path.isdir(real):
            raise IsADirectoryError(errno.EISDIR, f"save '{self.target}': Is a directory")
        self.real = real
        self.done = False
        try:
            st = os.stat(real)
            self.mode = stat.S_IMODE(st.st_mode)
        except FileNotFoundError:
            self.mode = 0o666 & ~umask()
        except OSError as e:
            raise type(e)(e.errno, f"save '{self.target}': {e.strerror}") from None
        else:
            if not stat.S_ISREG(st.st_mode):
                # a device or a pipe (/dev/null, a FIFO) is written to, never replaced
                self.path = self.target
                self.done = True
                self.special = True
                return
        self.special = False
        directory = os.path.dirname(real)
        try:
            fd, self.path = tempfile.mkstemp(prefix=f".{os.path.basename(real)}.",
                                             suffix=".part" + (os.path.splitext(real)[1]
                                                               if keep_extension else ""),
                                             dir=directory)
        except OSError as e:
            raise type(e)(e.errno, f"save '{self.target}': {e.strerror}") from None
        os.close(fd)

    def commit(self) -> None:
        """Gives the file its mode, makes it durable if asked, and renames it over the target."""
        if self.done:
            return
        try:
            os.chmod(self.path, self.mode)
            if self.durable:
                fd = os.open(self.path, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
            os.replace(self.path, self.real)
            self.done = True
            if self.durable:
                _fsync_directory(os.path.dirname(self.real))
        except OSError as e:
            self.discard()
            raise type(e)(e.errno, f"save '{self.target}': {e.strerror}") from None

    def discard(self) -> None:
        if not self.done:
            self.done = True
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                pass

    def rename_error(self, e: BaseException) -> Optional[BaseException]:
        """A DecodeAudioError naming the temporary file, renamed to name the target."""
        if (isinstance(e, DecodeAudioError) and self.path != self.target
                and self.path in e.message):
            source = e.source.replace(self.path, self.target) if e.source else e.source
            return DecodeAudioError(e.message.replace(self.path, self.target), e.code, source)
        return None


def write_in_place(target: Any, write: Callable[[str], None], durable: bool = False,
                   seeks: bool = False) -> None:
    """Calls ``write(temporary_path)`` beside `target`, then renames it over `target`, so a
    failure leaves nothing there and an existing file untouched (every backend's save).

    `seeks`: the writer opens its file for reading and writing and goes back to finish its
    header (libsox), which a pipe or a device does not allow: opened that way, a pipe without
    a reader yet takes the bytes and drops them. Such a target gets the bytes of a regular
    temporary file instead."""
    place = InPlace(target, durable)
    if seeks and place.special:
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "audio" + os.path.splitext(place.real)[1])
            write(path)
            try:
                with open(path, "rb") as src, open(place.target, "wb") as dst:
                    shutil.copyfileobj(src, dst)
            except OSError as e:
                raise type(e)(e.errno, f"save '{place.target}': {e.strerror}") from None
        return
    try:
        write(place.path)
    except BaseException as e:
        place.discard()
        renamed = place.rename_error(e)
        if renamed is not None:
            raise renamed from None
        raise
    place.commit()


def refuse_text_mode(f: Any, what: str) -> None:
    """Raises TypeError for a file-like opened in text mode (it reads or writes str)."""
    mode = getattr(f, "mode", None)
    if isinstance(f, io.TextIOBase) or (isinstance(mode, str) and "b" not in mode
                                        and hasattr(f, "encoding")):
        name = getattr(f, "name", None)
        shown = f" {name!r}" if isinstance(name, str) else ""
        raise TypeError(f"the file object{shown} is open in text mode; audio is bytes: open it "
                        f"in binary mode, e.g. open(path, {'rb' if what == 'read' else 'wb'!r})")
