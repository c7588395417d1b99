"""The only ctypes module: loads libdecode_audio, declares every symbol and checks errors.

Every function of ``csrc/decode_audio.h`` is declared here once, with ``argtypes``,
``restype`` and, for those that can fail, an ``errcheck`` that turns a negative return into
:class:`DecodeAudioError` (or :class:`FileNotFoundError`) carrying FFmpeg's code and the C
message. Call sites check nothing.
"""

from __future__ import annotations

import ctypes
import errno
import os
import threading
from ctypes import (
    CFUNCTYPE,
    POINTER,
    Structure,
    c_char,
    c_char_p,
    c_double,
    c_int,
    c_int32,
    c_int64,
    c_size_t,
    c_uint32,
    c_void_p,
)
from typing import Any, Callable, Dict, List, Type, TypeVar

from ._errors import DecodeAudioError, DecodeAudioFileNotFoundError

S = TypeVar("S", bound=Structure)

LIBRARY_NAME = "libdecode_audio.so"

# What this module mirrors of decode_audio.h, recorded as it is declared, for the test that
# compares each with the C compiler's view (tests/c/abi_probe.c): C struct name -> ctypes
# Structure, C constant name -> value, and every function declared.
STRUCTS: Dict[str, Type[Structure]] = {}
CONSTANTS: Dict[str, int] = {}
DECLARED: List[str] = []


def _constant(name: str, value: int) -> int:
    CONSTANTS[name] = value
    return value


def _struct(name: str) -> Callable[[Type[S]], Type[S]]:
    def record(cls: Type[S]) -> Type[S]:
        STRUCTS[name] = cls
        return cls

    return record


ERROR_SIZE = _constant("DA_ERROR_SIZE", 1024)

# Error codes (decode_audio.h's, and FFmpeg's AVERROR for a missing file).
ERR_ARGUMENT = _constant("DA_ERR_ARGUMENT", -0x44410001)
ERR_NO_AUDIO = _constant("DA_ERR_NO_AUDIO", -0x44410002)
ERR_TOO_SMALL = _constant("DA_ERR_TOO_SMALL", -0x44410003)
ERR_CALLBACK = _constant("DA_ERR_CALLBACK", -0x44410004)
AVERROR_ENOENT = -errno.ENOENT

# da_dtype (_dtypes.py names them for users)
DTYPE_UINT8 = _constant("DA_DTYPE_UINT8", 0)
DTYPE_INT8 = _constant("DA_DTYPE_INT8", 1)
DTYPE_INT16 = _constant("DA_DTYPE_INT16", 2)
DTYPE_INT32 = _constant("DA_DTYPE_INT32", 3)
DTYPE_FLOAT32 = _constant("DA_DTYPE_FLOAT32", 4)
DTYPE_FLOAT64 = _constant("DA_DTYPE_FLOAT64", 5)
DTYPE_AUTO = _constant("DA_DTYPE_AUTO", -1)

# da_source_kind
SOURCE_PATH = _constant("DA_SOURCE_PATH", 0)
SOURCE_URL = _constant("DA_SOURCE_URL", 1)
SOURCE_MEMORY = _constant("DA_SOURCE_MEMORY", 2)
SOURCE_CALLBACKS = _constant("DA_SOURCE_CALLBACKS", 3)

# da_decode_options.on_error
ON_ERROR_SKIP = _constant("DA_ON_ERROR_SKIP", 0)
ON_ERROR_RAISE = _constant("DA_ON_ERROR_RAISE", 1)

# da_component_kind
LIST_AUDIO_DECODERS = _constant("DA_LIST_AUDIO_DECODERS", 0)
LIST_AUDIO_ENCODERS = _constant("DA_LIST_AUDIO_ENCODERS", 1)
LIST_MUXERS = _constant("DA_LIST_MUXERS", 2)
LIST_DEMUXERS = _constant("DA_LIST_DEMUXERS", 3)
LIST_INPUT_PROTOCOLS = _constant("DA_LIST_INPUT_PROTOCOLS", 4)
LIST_OUTPUT_PROTOCOLS = _constant("DA_LIST_OUTPUT_PROTOCOLS", 5)


# Handles: pointers to what the C library owns, each its own type so that one cannot be
# passed where another is expected.
class ReaderHandle(c_void_p):
    """A ``da_reader *``; freed by da_reader_free()."""


class WriterHandle(c_void_p):
    """A ``da_writer *``; freed by da_writer_free() or da_writer_close()."""


class NamesBuffer(c_void_p):
    """A ``char *`` list of "name\\0long name\\0" pairs; freed by da_names_free()."""


class DLPackHandle(c_void_p):
    """A ``DLManagedTensor *`` (or its versioned kind); released by its deleter."""


READ_FN = CFUNCTYPE(c_int64, c_void_p, c_void_p, c_int64)
SEEK_FN = CFUNCTYPE(c_int64, c_void_p, c_int64, c_int)
WRITE_FN = CFUNCTYPE(c_int64, c_void_p, c_void_p, c_int64)


@_struct("da_source")
class Source(Structure):
    _fields_ = [
        ("kind", c_int32),
        ("seekable", c_int32),
        ("path", c_char_p),
        ("data", c_void_p),
        ("size", c_int64),
        ("opaque", c_void_p),
        ("read", READ_FN),
        ("seek", SEEK_FN),
        ("name", c_char_p),
    ]


@_struct("da_open_options")
class OpenOptions(Structure):
    _fields_ = [
        ("format", c_char_p),
        ("protocols", c_char_p),
        ("formats", c_char_p),
        ("buffer_size", c_int32),
        ("stream_index", c_int32),
        ("decoder", c_char_p),
        ("decoder_options", POINTER(c_char_p)),
        ("format_options", POINTER(c_char_p)),
    ]


@_struct("da_decode_options")
class DecodeOptions(Structure):
    _fields_ = [
        ("open", OpenOptions),
        ("dtype", c_int32),
        ("sample_rate", c_int32),
        ("num_channels", c_int32),
        ("channels_first", c_int32),
        ("frame_offset", c_int64),
        ("num_frames", c_int64),
        ("exact", c_int32),
        ("out_channels", c_int32),
        ("out_data", c_void_p),
        ("out_capacity", c_int64),
        ("filter_desc", c_char_p),
        ("resampler_options", c_char_p),
        ("on_error", c_int32),
        ("num_threads", c_int32),
    ]


@_struct("da_audio")
class AudioStruct(Structure):
    _fields_ = [
        ("data", c_void_p),
        ("num_frames", c_int64),
        ("num_channels", c_int32),
        ("sample_rate", c_int32),
        ("dtype", c_int32),
        ("itemsize", c_int32),
        ("channels_first", c_int32),
        ("owns_data", c_int32),
        ("decode_errors", c_int64),
        ("converged_preroll", c_int64),
        ("num_threads", c_int32),
    ]


@_struct("da_info")
class InfoStruct(Structure):
    _fields_ = [
        ("sample_rate", c_int32),
        ("num_channels", c_int32),
        ("bits_per_sample", c_int32),
        ("stream_index", c_int32),
        ("num_frames", c_int64),
        ("num_frames_exact", c_int32),
        ("num_streams", c_int32),
        ("duration", c_double),
        ("bit_rate", c_int64),
        ("codec", c_char * 32),
        ("codec_long", c_char * 128),
        ("container", c_char * 64),
        ("encoding", c_char * 16),
        ("sample_format", c_char * 16),
        ("tags", c_void_p),
        ("tags_size", c_int64),
    ]


@_struct("da_output")
class Output(Structure):
    _fields_ = [
        ("kind", c_int32),
        ("seekable", c_int32),
        ("path", c_char_p),
        ("opaque", c_void_p),
        ("write", WRITE_FN),
        ("seek", SEEK_FN),
        ("name", c_char_p),
    ]


@_struct("da_audio_stream_options")
class AudioStreamOptions(Structure):
    _fields_ = [
        ("sample_rate", c_int32),
        ("num_channels", c_int32),
        ("dtype", c_int32),
        ("encoder_sample_rate", c_int32),
        ("encoder_num_channels", c_int32),
        ("compression_level", c_int32),
        ("bits_per_raw_sample", c_int32),
        ("reserved", c_int32),
        ("bit_rate", c_int64),
        ("quality", c_double),
        ("encoder", c_char_p),
        ("encoder_format", c_char_p),
        ("encoder_options", POINTER(c_char_p)),
        ("filter_desc", c_char_p),
    ]


@_struct("da_versions")
class Versions(Structure):
    _fields_ = [
        ("decode_audio", c_uint32),
        ("avutil", c_uint32),
        ("avcodec", c_uint32),
        ("avformat", c_uint32),
        ("avfilter", c_uint32),
        ("swresample", c_uint32),
        ("ffmpeg", c_char * 64),
    ]


def _load() -> ctypes.CDLL:
    path = os.environ.get("DECODE_AUDIO_LIBRARY") or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), LIBRARY_NAME
    )
    if not os.path.exists(path):
        raise ImportError(
            f"decode_audio: the C library {path} is missing; build it with `make` in the "
            "source tree, or install the package with `pip install .`"
        )
    try:
        return ctypes.CDLL(path)
    except OSError as e:
        raise ImportError(
            f"decode_audio: cannot load {path}: {e}. The FFmpeg shared libraries it was built "
            "against (libavformat, libavcodec, libavutil, libswresample, libavfilter) must be "
            "installed in the same major versions (Debian: apt-get install ffmpeg)."
        ) from e


lib = _load()

_local = threading.local()


def error_buffer() -> ctypes.Array:
    """A per-thread buffer for C error messages."""
    buf = getattr(_local, "err", None)
    if buf is None:
        buf = _local.err = ctypes.create_string_buffer(ERROR_SIZE)
    return buf


def _errcheck(result: int, func: Any, args: tuple) -> int:
    if result >= 0:
        return result
    message = args[-2].value.decode("utf-8", "replace") or func.__name__
    if result == AVERROR_ENOENT:
        raise DecodeAudioFileNotFoundError(errno.ENOENT, message)
    raise DecodeAudioError(message, code=result)


def _declare(name: str, restype: Any, argtypes: list, check: bool = False) -> Any:
    """Declares one function of decode_audio.h (recording it in DECLARED)."""
    try:
        fn = getattr(lib, name)
    except AttributeError:
        raise ImportError(
            f"decode_audio: {LIBRARY_NAME} has no symbol {name}; it is older or newer than this "
            "Python package. Rebuild it with `make`."
        ) from None
    DECLARED.append(name)
    fn.restype = restype
    fn.argtypes = argtypes
    if check:
        fn.errcheck = _errcheck
    return fn


ERR = [ctypes.c_char_p, c_size_t]


def _checked(name: str, argtypes: list) -> Any:
    """Declares a function that returns 0 or a negative error code and writes its message
    into the (err, err_size) arguments that follow `argtypes`."""
    return _declare(name, c_int, [*argtypes, *ERR], check=True)


da_decode_options_init = _declare("da_decode_options_init", c_int, [POINTER(DecodeOptions)])
da_probe = _checked("da_probe",
                    [POINTER(Source), POINTER(OpenOptions), c_int, POINTER(InfoStruct)])
da_info_clear = _declare("da_info_clear", None, [POINTER(InfoStruct)])
da_decode = _checked("da_decode",
                     [POINTER(Source), POINTER(DecodeOptions), POINTER(POINTER(AudioStruct))])
da_audio_release = _declare("da_audio_release", None, [POINTER(POINTER(AudioStruct))])
da_audio_to_dlpack = _checked("da_audio_to_dlpack",
                              [POINTER(AudioStruct), c_int, POINTER(DLPackHandle)])
da_dlpack_release = _declare("da_dlpack_release", None, [c_void_p, c_int])
da_live_buffers = _declare("da_live_buffers", c_int, [POINTER(c_int64)])
da_audio_new = _checked("da_audio_new",
                        [POINTER(AudioStruct), c_void_p, POINTER(POINTER(AudioStruct))])
da_get_versions = _declare("da_get_versions", c_int, [POINTER(Versions)])
da_reader_open = _checked("da_reader_open",
                          [POINTER(Source), POINTER(DecodeOptions), POINTER(ReaderHandle)])
da_reader_read = _checked("da_reader_read", [ReaderHandle, c_int64, POINTER(POINTER(AudioStruct))])
da_reader_free = _declare("da_reader_free", None, [POINTER(ReaderHandle)])
da_writer_open = _checked("da_writer_open", [POINTER(Output), c_char_p, POINTER(WriterHandle)])
da_audio_stream_options_init = _declare("da_audio_stream_options_init",
                                        c_int, [POINTER(AudioStreamOptions)])
da_writer_add_audio = _checked("da_writer_add_audio",
                               [WriterHandle, POINTER(AudioStreamOptions), POINTER(c_int)])
da_writer_set_metadata = _checked("da_writer_set_metadata", [WriterHandle, c_char_p, c_char_p])
da_writer_start = _checked("da_writer_start", [WriterHandle, POINTER(c_char_p)])
da_writer_write_audio = _checked("da_writer_write_audio",
                                 [WriterHandle, c_int, c_void_p, c_int64, c_int64, c_int64])
da_writer_flush = _checked("da_writer_flush", [WriterHandle])
da_writer_close = _checked("da_writer_close", [POINTER(WriterHandle)])
da_writer_free = _declare("da_writer_free", None, [POINTER(WriterHandle)])
da_strerror = _declare("da_strerror", c_int, [c_int, *ERR])


# Python's capsule API, for handing DLPack tensors to consumers. An unconsumed capsule is freed
# by the library's own C destructor, which calls CPython's capsule functions directly (no
# Python code runs while a capsule dies).
# ctypes.pythonapi's function objects are shared by every module of the process, and some set
# their own argtypes on them: this prototype is this module's own.
PyCapsule_New = ctypes.PYFUNCTYPE(ctypes.py_object, c_void_p, c_char_p, c_void_p)(
    ("PyCapsule_New", ctypes.pythonapi))
da_dlpack_set_capsule_api = _declare("da_dlpack_set_capsule_api", c_int, [c_void_p, c_void_p])
da_dlpack_capsule_destructor = _declare("da_dlpack_capsule_destructor", None, [c_void_p])
da_dlpack_set_capsule_api(
    ctypes.cast(ctypes.pythonapi.PyCapsule_IsValid, c_void_p),
    ctypes.cast(ctypes.pythonapi.PyCapsule_GetPointer, c_void_p),
)
# the address PyCapsule_New takes as the destructor
CAPSULE_DESTRUCTOR = ctypes.cast(da_dlpack_capsule_destructor, c_void_p).value

# ---- Video streams in the writer (decode_audio.h: "Video streams in the writer") ----


@_struct("da_video_stream_options")
class VideoStreamOptions(Structure):
    _fields_ = [
        ("frame_rate_num", c_int32),
        ("frame_rate_den", c_int32),
        ("width", c_int32),
        ("height", c_int32),
        ("format", c_char_p),
        ("encoder_frame_rate_num", c_int32),
        ("encoder_frame_rate_den", c_int32),
        ("encoder_width", c_int32),
        ("encoder_height", c_int32),
        ("gop_size", c_int32),
        ("max_b_frames", c_int32),
        ("compression_level", c_int32),
        ("reserved", c_int32),
        ("bit_rate", c_int64),
        ("quality", c_double),
        ("encoder", c_char_p),
        ("encoder_format", c_char_p),
        ("encoder_options", POINTER(c_char_p)),
        ("filter_desc", c_char_p),
    ]


da_video_stream_options_init = _declare("da_video_stream_options_init",
                                        c_int, [POINTER(VideoStreamOptions)])
da_writer_add_video = _checked("da_writer_add_video",
                               [WriterHandle, POINTER(VideoStreamOptions), POINTER(c_int)])
da_writer_write_video = _checked("da_writer_write_video",
                                 [WriterHandle, c_int, c_void_p, c_int64, c_int64, c_int64,
                                  c_int64, c_int64, c_int64])


# ---- FFmpeg utilities: what this build contains, and its log (csrc/components.c, error.c) ----

da_list_components = _checked("da_list_components",
                              [c_int, POINTER(NamesBuffer), POINTER(c_int64)])
da_names_free = _declare("da_names_free", None, [POINTER(NamesBuffer)])
da_get_build_config = _declare("da_get_build_config", c_int, [POINTER(c_char_p)])
da_set_log_level = _declare("da_set_log_level", c_int, [c_int])
da_get_log_level = _declare("da_get_log_level", c_int, [POINTER(c_int)])


# ---- The SoX backend: paths through libsox (csrc/sox.c) ----


@_struct("da_sox_save_options")
class SoxSaveOptions(Structure):
    _fields_ = [
        ("sample_rate", c_int32),
        ("num_channels", c_int32),
        ("dtype", c_int32),
        ("bits_per_sample", c_int32),
        ("encoding", c_char_p),
        ("format", c_char_p),
        ("compression", c_double),
    ]


da_sox_available = _declare("da_sox_available", c_int, [])
da_sox_probe = _checked("da_sox_probe", [c_char_p, c_char_p, POINTER(InfoStruct)])
da_sox_decode = _checked("da_sox_decode",
                         [c_char_p, POINTER(DecodeOptions), POINTER(POINTER(AudioStruct))])
da_sox_save = _checked("da_sox_save",
                       [c_char_p, POINTER(SoxSaveOptions), c_void_p, c_int64, c_int64, c_int64])
da_sox_list_formats = _checked("da_sox_list_formats",
                               [c_int, POINTER(NamesBuffer), POINTER(c_int64)])
