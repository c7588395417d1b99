"""The one table of decode options: each option's keyword, default, C field, check, the
backends that take it and the entry points that accept it.

Everything that treats options reads this table: `fill_struct` checks the values given and
writes them into a ``da_decode_options``; `accepted` says which keywords an entry point that
takes ``**decode_kwargs`` (load, stream) lets through; the dispatcher (`_registry`) asks which
backends take an option; tests/test_signatures.py holds the signatures of decode, load,
info, stream, load_many and StreamReader against it.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import numbers
import operator
import sys
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, FrozenSet, Mapping, Optional, Sequence, Tuple, Union

from . import _lib
from ._dtypes import READER_SAMPLE_FORMATS

__all__ = ["Option", "OPTIONS", "ALL_BACKENDS", "FFMPEG", "RESAMPLE_QUALITY", "ON_ERROR",
           "Names", "accepted", "fill_struct", "key_values", "whole", "positive_rate",
           "channel_count", "MAX_CHANNELS", "default_num_threads"]

Names = Union[str, Sequence[str], None]

# resample_quality -> libswresample options ("default" is FFmpeg's own, as `ffmpeg -ar`).
RESAMPLE_QUALITY: Dict[str, Optional[str]] = {
    "fast": "filter_size=8:phase_shift=6:cutoff=0.9",
    "default": None,
    "high": "filter_size=128:phase_shift=14:cutoff=0.98",
    "soxr": "resampler=soxr:precision=28",
}
# on_error -> da_decode_options.on_error
ON_ERROR: Dict[str, int] = {"skip": _lib.ON_ERROR_SKIP, "raise": _lib.ON_ERROR_RAISE}

ALL_BACKENDS = frozenset({"ffmpeg", "sox", "soundfile"})
FFMPEG = frozenset({"ffmpeg"})
# The entry points that decode (load_many passes its keywords on to decode).
DECODERS = frozenset({"decode", "load", "stream", "load_many"})


# The most channels a decode or a save takes (the C library's limit).
MAX_CHANNELS = 64


# ---- checks: each raises ValueError (or TypeError) for a bad value and returns what the C
# field takes ----

def whole(name: str, value: Any, accepted: str, low: int, high: int = 2**31 - 1) -> int:
    """`value` as an int from `low` to `high`: integers and integral floats (16000.0) pass;
    anything else raises ValueError (a number) or TypeError, naming `name` and `accepted`."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        number = int(value)
    elif isinstance(value, numbers.Real) and not isinstance(value, bool):
        if not float(value).is_integer():
            raise ValueError(f"{name} must be {accepted}; got {value!r}, which is not a whole "
                             "number")
        number = int(value)
    elif (hasattr(value, "__index__") and not isinstance(value, (str, bytes))
          and _index(value) is not None):
        number = operator.index(value)  # an integer tensor of one element, say
    else:
        try:  # a float tensor of one element, say
            real = None if isinstance(value, (str, bytes)) else float(value)
        except (TypeError, ValueError):
            real = None
        if real is None:
            raise TypeError(f"{name} must be {accepted}; got {value!r} "
                            f"({type(value).__name__})") from None
        return whole(name, real, accepted, low, high)
    if not low <= number <= high:
        raise ValueError(f"{name} must be {accepted}; got {value!r}")
    return number


def _index(value: Any) -> Optional[int]:
    try:
        return operator.index(value)
    except TypeError:
        return None


def positive_rate(value: Any, name: str = "sample_rate") -> int:
    """A sample rate in Hz: a positive whole number (16000 or 16000.0)."""
    return whole(name, value, "a positive whole number of Hz, e.g. 16000", 1)


def channel_count(value: Any, name: str = "num_channels") -> int:
    return whole(name, value, f"a whole number from 1 to {MAX_CHANNELS}", 1, MAX_CHANNELS)


def _frame_offset(value: Any) -> int:
    return whole("frame_offset", value, "a whole number of frames >= 0", 0, 2**63 - 1)


def _num_frames(value: Any) -> int:
    return whole("num_frames", value, "a whole number of frames >= 0, or -1 for all", -1,
                 2**63 - 1)


def _sample_rate(value: Any) -> int:
    return 0 if value is None else positive_rate(value)


def _num_channels(value: Any) -> int:
    return 0 if value is None else channel_count(value)


def _flag(value: Any) -> int:
    return int(bool(value))


def _stream_index(value: Any) -> int:
    index = -1 if value is None else int(value)
    if index < -1:
        raise ValueError(f"stream_index must be >= 0; got {value}")
    return index


def _buffer_size(value: Any) -> int:
    if value <= 0:
        raise ValueError(f"buffer_size must be positive; got {value}")
    return value


def _text(value: Any) -> Optional[bytes]:
    return None if value is None else value.encode()


def _names_of(what: str) -> Callable[[Names], Optional[bytes]]:
    def check(value: Names) -> Optional[bytes]:
        if value is None:
            return None
        if not isinstance(value, str):
            value = ",".join(value)
        if not value or any(c in value for c in " ;|"):
            raise ValueError(f"{what} must be FFmpeg names separated by commas; got {value!r}")
        return value.encode()

    return check


def _filter_desc(value: Any) -> Optional[bytes]:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"filter_desc must be a non-empty filter graph; got {value!r}")
    return value.encode()


def _resample_quality(value: Any) -> Optional[bytes]:
    if value not in RESAMPLE_QUALITY:
        raise ValueError(f"resample_quality must be one of {', '.join(RESAMPLE_QUALITY)}; "
                         f"got {value!r}")
    options = RESAMPLE_QUALITY[value]
    return None if options is None else options.encode()


def _on_error(value: Any) -> int:
    if value not in ON_ERROR:
        raise ValueError(f"on_error must be 'skip' or 'raise'; got {value!r}")
    return ON_ERROR[value]


def _num_threads(value: Any) -> int:
    if value == "auto":
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"num_threads must be a positive int or 'auto'; got {value!r}")
    return value


def default_num_threads() -> int:
    """What ``num_threads=None`` decodes on (the C field's value): "auto" (0) in the main
    thread of a process that is not a worker, 1 elsewhere. Inside `load_many`'s threads, any
    other thread, a DataLoader worker or a multiprocessing worker the cores are already
    shared out, and more threads per input would only oversubscribe them."""
    if threading.current_thread() is not threading.main_thread():
        return 1
    if multiprocessing.parent_process() is not None:
        return 1
    data = sys.modules.get("torch.utils.data")
    if data is not None and data.get_worker_info() is not None:
        return 1
    return 0


def _sample_format(value: Any) -> Any:
    if value is not None and value not in READER_SAMPLE_FORMATS:
        raise ValueError(f"format must be one of {', '.join(READER_SAMPLE_FORMATS)}; "
                         f"got {value!r}")
    return value


def key_values(pairs: Optional[Mapping[str, Any]]) -> Any:
    """A NULL-terminated ``const char *const *`` of alternating keys and values, or None."""
    if not pairs:
        return None
    items = [str(x).encode() for kv in pairs.items() for x in kv]
    array = (ctypes.c_char_p * (len(items) + 1))(*items, None)
    # the struct the pointer is stored in keeps the array (and the array its strings) alive
    return ctypes.cast(array, ctypes.POINTER(ctypes.c_char_p))


@dataclass(frozen=True)
class Option:
    """One option of the decode entry points.

    Attributes
    ----------
    name : str
        Its name in this table, unique (two options share the keyword ``exact``, two
        ``format``).
    default : Any
        The default, which leaves the C field at what da_decode_options_init() sets.
    field : str or None
        The ``da_decode_options`` field it fills (``"open.format"``: of its ``open`` member);
        None: the entry point uses it itself.
    check : callable or None
        Raises ValueError for a bad value; returns the value the C field takes.
    backends : frozenset of str
        The backends that take it; the others refuse a value other than the default.
    entry_points : frozenset of str
        ``decode load info stream load_many StreamReader add_basic_audio_stream
        add_audio_stream``: where it is accepted.
    keyword : str
        The keyword users pass it by; default: `name`.
    defaults : dict
        Entry points whose own default differs from `default` (``load``'s
        ``channels_first=True``).
    """

    name: str
    default: Any
    field: Optional[str]
    check: Optional[Callable[[Any], Any]]
    backends: FrozenSet[str]
    entry_points: FrozenSet[str]
    keyword: str = ""
    defaults: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.keyword:
            object.__setattr__(self, "keyword", self.name)

    def default_for(self, entry_point: str) -> Any:
        return self.defaults.get(entry_point, self.default)


def _o(name: str, default: Any, c_field: Optional[str], check: Optional[Callable[[Any], Any]],
       backends: FrozenSet[str], entry_points: Any, **more: Any) -> Option:
    return Option(name, default, c_field, check, backends, frozenset(entry_points), **more)


_READ = DECODERS | {"info"}
_CHUNKS = {"stream", "add_basic_audio_stream", "add_audio_stream"}

OPTIONS: Dict[str, Option] = {o.name: o for o in (
    _o("frame_offset", 0, "frame_offset", _frame_offset, ALL_BACKENDS, DECODERS),
    _o("num_frames", -1, "num_frames", _num_frames, ALL_BACKENDS, DECODERS),
    # the entry points make it a C code (dtype_code; load's normalize; the sample format)
    _o("dtype", None, "dtype", None, ALL_BACKENDS, DECODERS, defaults={"stream": "float32"}),
    _o("sample_rate", None, "sample_rate", _sample_rate, FFMPEG,
       DECODERS | {"add_basic_audio_stream"}),
    _o("num_channels", None, "num_channels", _num_channels, FFMPEG,
       DECODERS | {"add_basic_audio_stream"}),
    _o("channels_first", False, "channels_first", _flag, ALL_BACKENDS, DECODERS,
       defaults={"load": True}),
    _o("stream_index", None, "open.stream_index", _stream_index, FFMPEG, _READ | _CHUNKS),
    _o("format", None, "open.format", _text, ALL_BACKENDS, _READ | {"StreamReader"}),
    _o("buffer_size", 65536, "open.buffer_size", _buffer_size, ALL_BACKENDS,
       _READ | {"StreamReader"}, defaults={"StreamReader": 4096}),
    # decoding: windows of codecs that cannot be entered exactly are decoded from the start
    _o("exact_windows", True, "exact", _flag, ALL_BACKENDS, DECODERS, keyword="exact"),
    # probing: num_frames is made exact where the header only estimates it (da_probe's
    # argument, not a field)
    _o("exact_count", True, None, _flag, ALL_BACKENDS, {"info"}, keyword="exact"),
    # the caller's array: decode fills out_data, out_capacity and out_channels from it
    _o("out", None, None, None, FFMPEG, {"decode", "load_many"}),
    _o("protocols", None, "open.protocols", _names_of("protocols"), FFMPEG, _READ),
    _o("formats", None, "open.formats", _names_of("formats"), FFMPEG, _READ),
    _o("filter_desc", None, "filter_desc", _filter_desc, FFMPEG,
       DECODERS | {"add_audio_stream"}),
    _o("resample_quality", "default", "resampler_options", _resample_quality, FFMPEG,
       DECODERS),
    _o("backend", None, None, None, ALL_BACKENDS, {"decode", "load", "info", "load_many"}),
    _o("on_error", "skip", "on_error", _on_error, FFMPEG, DECODERS | {"StreamReader"}),
    # threads one input's decode is split among; load_many's own num_threads is its pool's,
    # and each of its inputs is decoded on one thread. None: default_num_threads()
    _o("num_threads", None, "num_threads", _num_threads, FFMPEG, {"decode", "load"}),
    _o("decoder", None, "open.decoder", _text, FFMPEG, _CHUNKS),
    _o("decoder_option", None, "open.decoder_options", key_values, FFMPEG, _CHUNKS),
    _o("format_options", None, "open.format_options", key_values, FFMPEG,
       {"stream", "StreamReader"}, keyword="option"),
    # StreamReader.add_basic_audio_stream's sample format: it becomes the dtype
    _o("sample_format", "fltp", None, _sample_format, FFMPEG, {"add_basic_audio_stream"},
       keyword="format"),
    # load(): False gives integer PCM its own integer type (the dtype DTYPE_AUTO)
    _o("normalize", True, None, None, ALL_BACKENDS, {"load"}),
)}

# option name -> (its check, whether its field is in `open`, the field's name)
_FIELDS: Dict[str, Tuple[Callable[[Any], Any], bool, str]] = {
    o.name: (o.check or (lambda value: value), o.field.startswith("open."),
             o.field.rpartition(".")[2])
    for o in OPTIONS.values() if o.field is not None
}


def accepted(entry_point: str) -> Dict[str, Option]:
    """The options `entry_point` accepts, by keyword."""
    return {o.keyword: o for o in OPTIONS.values() if entry_point in o.entry_points}


def fill_struct(opts: Any, values: Mapping[str, Any]) -> None:
    """Checks `values` (by option name) and writes them into `opts`, a ``da_decode_options``
    that da_decode_options_init() has set: a value that is its option's default is left at
    what the C library set. The struct keeps what it points to alive."""
    for name, value in values.items():
        if value is OPTIONS[name].default:
            continue
        spec = _FIELDS.get(name)
        if spec is None:
            continue
        check, in_open, attr = spec
        setattr(opts.open if in_open else opts, attr, check(value))
