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
from typing import Any

from ._errors import DecodeAudioError

LIBRARY_NAME = "libdecode_audio.so"
ERROR_SIZE = 1024

# Error codes (decode_audio.h and FFmpeg's AVERROR values).
ERR_ARGUMENT = -0x44410001
ERR_NO_AUDIO = -0x44410002
ERR_TOO_SMALL = -0x44410003
ERR_CALLBACK = -0x44410004
AVERROR_ENOENT = -errno.ENOENT

SOURCE_PATH, SOURCE_URL, SOURCE_MEMORY, SOURCE_CALLBACKS = 0, 1, 2, 3
DTYPE_AUTO = -1

READ_FN = CFUNCTYPE(c_int64, c_void_p, c_void_p, c_int64)
SEEK_FN = CFUNCTYPE(c_int64, c_void_p, c_int64, c_int)
WRITE_FN = CFUNCTYPE(c_int64, c_void_p, c_void_p, c_int64)


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
    ]


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
    ]


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
        raise FileNotFoundError(errno.ENOENT, message)
    raise DecodeAudioError(message, code=result)


def _declare(name: str, restype: Any, argtypes: list, check: bool = False) -> Any:
    try:
        fn = getattr(lib, name)
    except AttributeError:
        raise ImportError(
            f"decode_audio: {LIBRARY_NAME} has no symbol {name}; it is older or newer than this "
            "Python package. Rebuild it with `make`."
        ) from None
    fn.restype = restype
    fn.argtypes = argtypes
    if check:
        fn.errcheck = _errcheck
    return fn


ERR = [ctypes.c_char_p, c_size_t]

da_decode_options_init = _declare("da_decode_options_init", c_int, [POINTER(DecodeOptions)])
da_probe = _declare(
    "da_probe",
    c_int,
    [POINTER(Source), POINTER(OpenOptions), c_int, POINTER(InfoStruct), *ERR],
    check=True,
)
da_info_clear = _declare("da_info_clear", None, [POINTER(InfoStruct)])
da_decode = _declare(
    "da_decode",
    c_int,
    [POINTER(Source), POINTER(DecodeOptions), POINTER(POINTER(AudioStruct)), *ERR],
    check=True,
)
da_audio_free = _declare("da_audio_free", None, [POINTER(POINTER(AudioStruct))])
da_audio_to_dlpack = _declare(
    "da_audio_to_dlpack",
    c_int,
    [POINTER(AudioStruct), c_int, POINTER(c_void_p), *ERR],
    check=True,
)
da_dlpack_release = _declare("da_dlpack_release", None, [c_void_p, c_int])
da_live_buffers = _declare("da_live_buffers", c_int, [POINTER(c_int64)])
da_audio_new = _declare(
    "da_audio_new",
    c_int,
    [POINTER(AudioStruct), c_void_p, POINTER(POINTER(AudioStruct)), *ERR],
    check=True,
)
da_get_versions = _declare("da_get_versions", c_int, [POINTER(Versions)])
da_reader_open = _declare(
    "da_reader_open",
    c_int,
    [POINTER(Source), POINTER(DecodeOptions), POINTER(c_void_p), *ERR],
    check=True,
)
da_reader_read = _declare(
    "da_reader_read",
    c_int,
    [c_void_p, c_int64, POINTER(POINTER(AudioStruct)), *ERR],
    check=True,
)
da_reader_free = _declare("da_reader_free", None, [POINTER(c_void_p)])
da_writer_open = _declare(
    "da_writer_open", c_int, [POINTER(Output), c_char_p, POINTER(c_void_p), *ERR], check=True
)
da_audio_stream_options_init = _declare(
    "da_audio_stream_options_init", c_int, [POINTER(AudioStreamOptions)]
)
da_writer_add_audio = _declare(
    "da_writer_add_audio",
    c_int,
    [c_void_p, POINTER(AudioStreamOptions), POINTER(c_int), *ERR],
    check=True,
)
da_writer_set_metadata = _declare(
    "da_writer_set_metadata", c_int, [c_void_p, c_char_p, c_char_p, *ERR], check=True
)
da_writer_start = _declare("da_writer_start", c_int, [c_void_p, POINTER(c_char_p), *ERR],
                           check=True)
da_writer_write_audio = _declare(
    "da_writer_write_audio",
    c_int,
    [c_void_p, c_int, c_void_p, c_int64, c_int64, c_int64, *ERR],
    check=True,
)
da_writer_flush = _declare("da_writer_flush", c_int, [c_void_p, *ERR], check=True)
da_writer_close = _declare("da_writer_close", c_int, [POINTER(c_void_p), *ERR], check=True)
da_writer_free = _declare("da_writer_free", None, [POINTER(c_void_p)])
da_strerror = _declare("da_strerror", c_int, [c_int, *ERR])

# The functions of decode_audio.h, for the test that every one is declared.
DECLARED = (
    "da_decode_options_init",
    "da_probe",
    "da_info_clear",
    "da_decode",
    "da_audio_free",
    "da_audio_to_dlpack",
    "da_dlpack_release",
    "da_live_buffers",
    "da_audio_new",
    "da_get_versions",
    "da_strerror",
    "da_reader_open",
    "da_reader_read",
    "da_reader_free",
    "da_writer_open",
    "da_audio_stream_options_init",
    "da_writer_add_audio",
    "da_writer_set_metadata",
    "da_writer_start",
    "da_writer_write_audio",
    "da_writer_flush",
    "da_writer_close",
    "da_writer_free",
)

# Python's capsule API, for handing DLPack tensors to consumers. An unconsumed capsule is freed
# by the library's own C destructor, which calls CPython's capsule functions directly (no
# Python code runs while a capsule dies).
# ctypes.pythonapi's function objects are shared by every module of the process, and some set
# their own argtypes on them: these prototypes are this module's own.
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

DECLARED += ("da_dlpack_set_capsule_api", "da_dlpack_capsule_destructor")

# ---- Video streams in the writer (decode_audio.h: "Video streams in the writer") ----


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


da_video_stream_options_init = _declare(
    "da_video_stream_options_init", c_int, [POINTER(VideoStreamOptions)]
)
da_writer_add_video = _declare(
    "da_writer_add_video",
    c_int,
    [c_void_p, POINTER(VideoStreamOptions), POINTER(c_int), *ERR],
    check=True,
)
da_writer_write_video = _declare(
    "da_writer_write_video",
    c_int,
    [c_void_p, c_int, c_void_p, c_int64, c_int64, c_int64, c_int64, c_int64, c_int64, *ERR],
    check=True,
)

DECLARED = DECLARED + (
    "da_video_stream_options_init",
    "da_writer_add_video",
    "da_writer_write_video",
)

# ---- FFmpeg utilities: what this build contains, and its log (csrc/utils.c, error.c) ----

LIST_AUDIO_DECODERS, LIST_AUDIO_ENCODERS, LIST_MUXERS, LIST_DEMUXERS = 0, 1, 2, 3
LIST_INPUT_PROTOCOLS, LIST_OUTPUT_PROTOCOLS = 4, 5

da_list_components = _declare(
    "da_list_components",
    c_int,
    [c_int, POINTER(c_void_p), POINTER(c_int64), *ERR],
    check=True,
)
da_names_free = _declare("da_names_free", None, [POINTER(c_void_p)])
da_get_build_config = _declare("da_get_build_config", c_int, [POINTER(c_char_p)])
da_set_log_level = _declare("da_set_log_level", c_int, [c_int])
da_get_log_level = _declare("da_get_log_level", c_int, [POINTER(c_int)])

DECLARED += (
    "da_list_components",
    "da_names_free",
    "da_get_build_config",
    "da_set_log_level",
    "da_get_log_level",
)

# ---- The SoX backend: paths through libsox (csrc/sox.c) ----


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
da_sox_probe = _declare(
    "da_sox_probe", c_int, [c_char_p, c_char_p, POINTER(InfoStruct), *ERR], check=True
)
da_sox_decode = _declare(
    "da_sox_decode",
    c_int,
    [c_char_p, POINTER(DecodeOptions), POINTER(POINTER(AudioStruct)), *ERR],
    check=True,
)
da_sox_save = _declare(
    "da_sox_save",
    c_int,
    [c_char_p, POINTER(SoxSaveOptions), c_void_p, c_int64, c_int64, c_int64, *ERR],
    check=True,
)
da_sox_list_formats = _declare(
    "da_sox_list_formats",
    c_int,
    [c_int, POINTER(c_void_p), POINTER(c_int64), *ERR],
    check=True,
)

DECLARED += (
    "da_sox_available",
    "da_sox_probe",
    "da_sox_decode",
    "da_sox_save",
    "da_sox_list_formats",
)

# ---- Damaged input (decode_audio.h) ----

# da_decode_options.on_error, by the names decode(on_error=...) takes.
ON_ERROR = {"skip": 0, "raise": 1}
