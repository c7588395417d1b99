"""The backends and the dispatcher: which library serves an `info`, `load`, `decode` or `save`.

Each backend is described once, in `BACKENDS`, by what it can do; the dispatcher reads only
that table. With ``backend=None`` the first available backend (in the order ffmpeg, sox,
soundfile) that can handle the source, its format and the options given is chosen, as in
torchaudio's dispatcher; a backend named explicitly is used if it is available, and fails
with ValueError when it is not, or when it cannot take the source or an option.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import Any, Callable, Dict, FrozenSet, List, Mapping, Optional

from . import _lib

__all__ = ["Backend", "BACKENDS", "list_audio_backends", "for_reading", "for_writing"]

# Options of decode()/load()/info() beyond the window, sample type, layout and format, with
# the value that means "not used".
EXTRA_OPTIONS: Dict[str, Any] = {
    "sample_rate": None,
    "num_channels": None,
    "filter_desc": None,
    "resample_quality": "default",
    "stream_index": None,
    "protocols": None,
    "formats": None,
    "out": None,
    "on_error": "skip",
}

# Extensions of files SoX writes that FFmpeg 5.1 cannot open (measured with ffprobe).
_FFMPEG_CANNOT_READ = frozenset({
    "cdda", "cvsd", "cvu", "dat", "dvms", "fap", "htk", "ima", "lpc", "mat", "paf", "prc",
    "smp", "sndt", "sou", "txw", "vms", "vox",
})


@dataclass(frozen=True)
class Backend:
    """What one backend can do; the dispatcher's only source of truth.

    Attributes
    ----------
    name : str
    file_like : bool
        Reads and writes bytes and file-like objects, not only paths.
    urls : bool
        Reads URLs (``http://...``).
    decode : bool
        `decode` can return its samples as an `Audio` over the library's own buffer.
    options : frozenset of str
        The `EXTRA_OPTIONS` it takes (resampling, remixing, filters, stream choice, ...).
    available : callable
        Whether this install has it.
    reads : callable
        ``reads(format)``: whether it may read a file of this extension or format name.
    writes : callable
        ``writes(format)``: whether it writes this extension or format name.
    missing : str
        Why it may be unavailable, for error messages.
    """

    name: str
    file_like: bool
    urls: bool
    decode: bool
    options: FrozenSet[str]
    available: Callable[[], bool]
    reads: Callable[[str], bool]
    writes: Callable[[str], bool]
    missing: str


@functools.lru_cache(maxsize=None)
def _ffmpeg_muxers() -> FrozenSet[str]:
    from . import ffmpeg_utils
    from ._writer import MUXERS

    return frozenset(ffmpeg_utils.get_muxers()) | frozenset(MUXERS)


@functools.lru_cache(maxsize=None)
def _sox_formats(write: bool) -> FrozenSet[str]:
    from . import _sox

    return frozenset(_sox.list_formats(write)) if _sox_available() else frozenset()


@functools.lru_cache(maxsize=None)
def _sox_available() -> bool:
    return bool(_lib.da_sox_available())


@functools.lru_cache(maxsize=None)
def _soundfile_formats() -> FrozenSet[str]:
    from . import _soundfile

    return frozenset(_soundfile.formats()) if _soundfile.available() else frozenset()


def _soundfile_available() -> bool:
    from . import _soundfile

    return _soundfile.available()


def _soundfile_knows(fmt: str) -> bool:
    from . import _soundfile

    return _soundfile._major(fmt, None) in _soundfile_formats()


BACKENDS: Dict[str, Backend] = {
    b.name: b
    for b in (
        Backend("ffmpeg", file_like=True, urls=True, decode=True,
                options=frozenset(EXTRA_OPTIONS), available=lambda: True,
                reads=lambda fmt: fmt not in _FFMPEG_CANNOT_READ,
                writes=lambda fmt: fmt in _ffmpeg_muxers(), missing=""),
        Backend("sox", file_like=False, urls=False, decode=True, options=frozenset(),
                available=_sox_available,
                reads=lambda fmt: fmt in _sox_formats(False),
                writes=lambda fmt: fmt in _sox_formats(True),
                missing="libdecode_audio was built without libsox; install libsox-dev and "
                        "run make"),
        Backend("soundfile", file_like=True, urls=False, decode=False, options=frozenset(),
                available=_soundfile_available, reads=_soundfile_knows, writes=_soundfile_knows,
                missing="python-soundfile is not installed; pip install soundfile"),
    )
}


def list_audio_backends() -> List[str]:
    """The backends usable in this install, in the order the dispatcher tries them.

    Returns
    -------
    list of str
        A subset of ``["ffmpeg", "sox", "soundfile"]``: sox when the C library was built with
        libsox, soundfile when python-soundfile imports.

    Examples
    --------
    >>> decode_audio.list_audio_backends()     # doctest: +SKIP
    ['ffmpeg', 'sox', 'soundfile']
    """
    return [name for name, b in BACKENDS.items() if b.available()]


def _kind(src: Any) -> str:
    """"path", "url" or "file-like" (bytes-likes count as file-likes)."""
    if isinstance(src, (str, os.PathLike)):
        return "url" if "://" in os.fspath(src) else "path"
    return "file-like"


def _extension(src: Any, format: Optional[str]) -> str:
    if format:
        return format.lower()
    if isinstance(src, (str, os.PathLike)):
        return os.path.splitext(os.fspath(src))[1].lstrip(".").lower()
    return ""


def _named(backend: str) -> Backend:
    b = BACKENDS.get(backend) if isinstance(backend, str) else None
    if b is None:
        raise ValueError(f"backend must be one of {', '.join(map(repr, BACKENDS))} or None; "
                         f"got {backend!r}")
    if not b.available():
        raise ValueError(f"backend {backend!r} is not available in this install ({b.missing}); "
                         f"available: {list_audio_backends()}")
    return b


def _refusal(b: Backend, src: Any, options: Mapping[str, Any], needs_decode: bool) -> str:
    """Why `b` cannot serve the call, or ""."""
    kind = _kind(src)
    if kind == "file-like" and not b.file_like:
        return (f"the {b.name} backend takes paths only, not file-like objects or bytes; use "
                f"backend='ffmpeg'" + (" or 'soundfile'" if b.name != "soundfile" else ""))
    if kind == "url" and not b.urls:
        return f"the {b.name} backend takes paths only, not URLs; use backend='ffmpeg'"
    if needs_decode and not b.decode:
        return (f"decode() returns the library's own buffers, which the {b.name} backend "
                "cannot fill; use load(), or backend='ffmpeg' or 'sox'")
    used = [k for k in _given(options) if k not in b.options]
    if used:
        return f"the {b.name} backend does not take {', '.join(used)}; use backend='ffmpeg'"
    return ""


def surely_ffmpeg(src: Any, format: Optional[str]) -> bool:
    """Whether ``backend=None`` reads `src` with FFmpeg, decided without the options: true for
    every source but a path (or format) ending in a name FFmpeg cannot read. Cheap, for the
    per-call path; a false answer is settled by `for_reading`."""
    if not isinstance(src, (str, os.PathLike)):
        return True
    name = format or os.fspath(src)
    return name.rpartition(".")[2].lower() not in _FFMPEG_CANNOT_READ


def for_reading(backend: Optional[str], src: Any, format: Optional[str],
                options: Mapping[str, Any], needs_decode: bool = False) -> str:
    """The backend that reads `src` for info/load/decode (`options`: the extra ones given)."""
    if backend is None and (surely_ffmpeg(src, format) or _kind(src) != "path"
                            or _extension(src, format) not in _FFMPEG_CANNOT_READ):
        return "ffmpeg"  # first, and the only one for URLs and every option
    if backend is not None:
        b = _named(backend)
        why = _refusal(b, src, options, needs_decode)
        if why:
            raise ValueError(why)
        return b.name
    fmt = _extension(src, format)
    for b in BACKENDS.values():
        if (b.available() and not _refusal(b, src, options, needs_decode)
                and (not fmt or b.reads(fmt))):
            return b.name
    raise RuntimeError(f"no available backend ({', '.join(list_audio_backends())}) can read "
                       f"{src!r} with format={format!r}" + _options_text(options))


def for_writing(backend: Optional[str], uri: Any, format: Optional[str]) -> str:
    """The backend that writes `uri` in `format` (or its extension) for save()."""
    if backend is not None:
        b = _named(backend)
        why = _refusal(b, uri, {}, False)
        if why:
            raise ValueError(why)
        return b.name
    fmt = _extension(uri, format)
    if not fmt or BACKENDS["ffmpeg"].writes(fmt):
        return "ffmpeg"  # it also says best why a name without a format cannot be written
    for b in BACKENDS.values():
        if b.available() and not _refusal(b, uri, {}, False) and b.writes(fmt):
            return b.name
    raise RuntimeError(f"no available backend ({', '.join(list_audio_backends())}) can write "
                       f"format {fmt!r} to {uri!r}")


def _given(options: Mapping[str, Any]) -> Dict[str, Any]:
    """The `EXTRA_OPTIONS` in `options` that are used (an `out` array is compared by
    identity: ``array != None`` would be an array)."""
    return {k: v for k, v in options.items() if k in EXTRA_OPTIONS
            and not (v is None if EXTRA_OPTIONS[k] is None else v == EXTRA_OPTIONS[k])}


def _options_text(options: Mapping[str, Any]) -> str:
    used = [f"{k}={v!r}" if isinstance(v, (str, int, float)) else f"{k}=<{type(v).__name__}>"
            for k, v in _given(options).items()]
    return f" and {', '.join(used)}" if used else ""

