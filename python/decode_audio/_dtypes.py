"""Sample types: the one table of dtype names and their C codes, and the sample-format names
of torchaudio's StreamReader and StreamWriter mapped onto it."""

from __future__ import annotations

from typing import Any, Dict

import numpy as np

from . import _lib

__all__ = ["DTYPES", "DTYPE_NAMES", "NUMPY_DTYPES", "dtype_code", "READER_SAMPLE_FORMATS",
           "WRITER_SAMPLE_FORMATS"]

# User-facing dtype name -> C code (da_dtype).
DTYPES: Dict[str, int] = {
    "uint8": _lib.DTYPE_UINT8,
    "int8": _lib.DTYPE_INT8,
    "int16": _lib.DTYPE_INT16,
    "int32": _lib.DTYPE_INT32,
    "float32": _lib.DTYPE_FLOAT32,
    "float64": _lib.DTYPE_FLOAT64,
}
DTYPE_NAMES: Dict[int, str] = {code: name for name, code in DTYPES.items()}
NUMPY_DTYPES: Dict[int, np.dtype] = {code: np.dtype(name) for name, code in DTYPES.items()}

# StreamReader.add_basic_audio_stream(format=...) -> dtype name. Chunks are always
# (frames, channels): planar or not only names the type.
READER_SAMPLE_FORMATS: Dict[str, str] = {
    "u8": "uint8", "u8p": "uint8", "s16": "int16", "s16p": "int16", "s32": "int32",
    "s32p": "int32", "flt": "float32", "fltp": "float32", "dbl": "float64", "dblp": "float64",
}
# StreamWriter.add_audio_stream(format=...) -> dtype name: the chunks written are interleaved.
WRITER_SAMPLE_FORMATS: Dict[str, str] = {
    "u8": "uint8", "s16": "int16", "s32": "int32", "flt": "float32", "dbl": "float64",
}

# dtypes already looked up (names, NumPy and torch dtypes), so a call costs one dict lookup
_CODES: Dict[Any, int] = dict(DTYPES)


def dtype_code(dtype: Any, name: str = "dtype") -> int:
    """The C code of a dtype given as a name (``"float32"``), a NumPy dtype or dtype class
    (``np.float32``) or a torch dtype (``torch.float32``)."""
    try:
        return _CODES[dtype]
    except (KeyError, TypeError):
        pass
    text = str(dtype)
    if text.startswith("torch."):  # a torch dtype: torch.float32 -> float32
        text = text[len("torch."):]
        dtype_name = text
    else:
        try:
            dtype_name = np.dtype(dtype).name
        except (TypeError, ValueError):
            dtype_name = text
    code = DTYPES.get(dtype_name)
    if code is None:
        raise ValueError(f"{name} must be one of {', '.join(DTYPES)} (a name, a NumPy or a "
                         f"torch dtype); got {dtype!r}")
    try:
        _CODES[dtype] = code
    except TypeError:
        pass
    return code
