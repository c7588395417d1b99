"""The backends' registry and the dispatcher: which library serves an `info`, `load`,
`decode` or `save`.

Each backend (the modules of ``backends/``) registers one `Backend` record saying what it can
do and the functions that serve it; the dispatcher reads only those records and the option
table. The operations (`_decode`, `_writer`) consult the registry and call what it returns,
so they never import a backend. FFmpeg's record carries no functions: the operations serve
FFmpeg themselves. With ``backend=None`` the first available backend, in the order they
registered (ffmpeg, sox, soundfile), that can handle the source, its format and the options
given is chosen, as in torchaudio's dispatcher; a backend named explicitly is used if it is
available, and fails with ValueError when it is not, or when it cannot take the source or an
option.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Mapping, Optional

from ._formats import FFMPEG_CANNOT_READ
from ._options import ALL_BACKENDS, OPTIONS

__all__ = ["Backend", "BACKENDS", "register", "list_audio_backends", "surely_ffmpeg",
           "for_reading", "for_writing"]


@dataclass(frozen=True)
class Backend:
    """What one backend can do, and what serves it; the dispatcher's only source of truth.

    Attributes
    ----------
    name : str
    file_like : bool
        Reads and writes bytes and file-like objects, not only paths.
    urls : bool
        Reads URLs (``http://...``).
    decodes : bool
        `decode` can return its samples as an `Audio` over the library's own buffer.
    available : callable
        Whether this install has it.
    reads : callable
        ``reads(format)``: whether it may read a file of this extension or format name.
    writes : callable
        ``writes(format)``: whether it writes this extension or format name.
    missing : str
        Why it may be unavailable, for error messages.
    info, decode, load, save : callable or None
        What serves each call (None where the operations serve it: FFmpeg, or a call the
        backend does not take). ``info(src, format) -> AudioMetaData``;
        ``decode(src, code, frame_offset, num_frames, channels_first, format)`` returns the
        ``da_audio`` pointer the caller wraps; ``load(src, frame_offset, num_frames,
        normalize, channels_first, format, dtype) -> (tensor, rate)``; ``save(uri, array,
        sample_rate, channels_first, format, encoding, bits_per_sample, compression)``.
    """

    name: str
    file_like: bool
    urls: bool
    decodes: bool
    available: Callable[[], bool]
    reads: Callable[[str], bool]
    writes: Callable[[str], bool]
    missing: str = ""
    info: Optional[Callable[..., Any]] = None
    decode: Optional[Callable[..., Any]] = None
    load: Optional[Callable[..., Any]] = None
    save: Optional[Callable[..., Any]] = None


# name -> Backend, in the order the dispatcher tries them (the order they registered)
BACKENDS: Dict[str, Backend] = {}


def register(backend: Backend) -> Backend:
    """Adds (or replaces) a backend; the first registered is tried first."""
    BACKENDS[backend.name] = backend
    return backend


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


def _refusal(b: Backend, src: Any, options: Mapping[str, Any], needs_decode: bool,
             writing: bool = False) -> str:
    """Why `b` cannot serve the call, or ""."""
    kind = _kind(src)
    if kind == "file-like" and not b.file_like:
        # torchaudio's words first, for code that matches them
        said = ("SoX backend does not support " + ("writing to" if writing else "reading from")
                + " file-like objects; " if b.name == "sox" else "")
        return (f"{said}the {b.name} backend takes paths only, not file-like objects or bytes; use "
                f"backend='ffmpeg'" + (" or 'soundfile'" if b.name != "soundfile" else ""))
    if kind == "url" and not b.urls:
        return f"the {b.name} backend takes paths only, not URLs; use backend='ffmpeg'"
    if needs_decode and not b.decodes:
        return (f"decode() returns the library's own buffers, which the {b.name} backend "
                "cannot fill; use load(), or backend='ffmpeg' or 'sox'")
    used = [OPTIONS[k].keyword for k in _given(options) if b.name not in OPTIONS[k].backends]
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
    return name.rpartition(".")[2].lower() not in FFMPEG_CANNOT_READ


def for_reading(backend: Optional[str], src: Any, format: Optional[str],
                options: Mapping[str, Any], needs_decode: bool = False) -> str:
    """The name of the backend that reads `src` for info/load/decode (`options`: those
    given, by their names in the option table)."""
    if backend is None and (surely_ffmpeg(src, format) or _kind(src) != "path"
                            or _extension(src, format) not in FFMPEG_CANNOT_READ):
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
    """The name of the backend that writes `uri` in `format` (or its extension) for save()."""
    if backend is not None:
        b = _named(backend)
        why = _refusal(b, uri, {}, False, writing=True)
        if why:
            raise ValueError(why)
        return b.name
    fmt = _extension(uri, format)
    if not fmt or BACKENDS["ffmpeg"].writes(fmt):
        return "ffmpeg"  # it also says best why a name without a format cannot be written
    for b in BACKENDS.values():
        if b.available() and not _refusal(b, uri, {}, False) and b.writes(fmt):
            return b.name
    raise ValueError(f"no available backend ({', '.join(list_audio_backends())}) can write "
                       f"format {fmt!r} to {uri!r}")


def _given(options: Mapping[str, Any]) -> Dict[str, Any]:
    """The options in `options` that some backend refuses, given a value other than their
    default (an `out` array is compared by identity: ``array != None`` would be an array)."""
    given = {}
    for name, value in options.items():
        option = OPTIONS.get(name)
        if option is None or option.backends == ALL_BACKENDS:
            continue
        default = option.default
        if not (value is None if default is None else value == default):
            given[name] = value
    return given


def _options_text(options: Mapping[str, Any]) -> str:
    used = [f"{OPTIONS[k].keyword}={v!r}" if isinstance(v, (str, int, float))
            else f"{OPTIONS[k].keyword}=<{type(v).__name__}>" for k, v in _given(options).items()]
    return f" and {', '.join(used)}" if used else ""
