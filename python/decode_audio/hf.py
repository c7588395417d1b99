"""Hugging Face ``datasets``: decoding an audio column with decode_audio instead of the
library's built-in decoder.

Cast the column to ``Audio(decode=False)`` so that entries stay ``{"path", "bytes"}``, then
decode them with `decode_batch`, either on access (``with_transform``) or once, stored
(``map(batched=True)``). ``datasets`` itself is not imported here (``pip install
decode_audio[hf]``).

Examples
--------
>>> from datasets import Audio                                          # doctest: +SKIP
>>> from decode_audio.hf import decode_batch
>>> ds = ds.cast_column("audio", Audio(decode=False))
>>> ds = ds.with_transform(lambda b: decode_batch(b, sample_rate=16000))
>>> ds[0]["audio"]["array"].shape                                       # (frames,) for mono

Stored once with ``map``, the column changes type; name the new one with `decoded_feature`:

>>> features = ds.features.copy()                                       # doctest: +SKIP
>>> features["audio"] = decoded_feature(num_channels=1)
>>> ds = ds.map(decode_batch, batched=True, features=features,
...             fn_kwargs={"sample_rate": 16000, "num_channels": 1})
"""

from __future__ import annotations

import os
from typing import Any, Dict, List, Optional

from ._parallel import load_many

__all__ = ["decode_batch", "decoded_feature"]


def _source(entry: Any) -> Any:
    """What to decode of one entry: its bytes when it has them, else its path."""
    if isinstance(entry, (str, os.PathLike, bytes, bytearray, memoryview)):
        return entry
    if isinstance(entry, dict):
        if entry.get("bytes") is not None:
            return entry["bytes"]
        if entry.get("path") is not None:
            return entry["path"]
    raise ValueError(f"decode_batch: an audio entry needs 'path' or 'bytes'; got {entry!r:.80}")


def _path(entry: Any) -> Optional[str]:
    if isinstance(entry, dict):
        return entry.get("path")
    if isinstance(entry, (str, os.PathLike)):
        return os.fspath(entry)
    return None


def decode_batch(batch: Dict[str, List[Any]], *, column: str = "audio",
                 num_threads: Optional[int] = None, **decode_kwargs: Any) -> Dict[str, List[Any]]:
    """Decodes the audio entries of a batch (a dict of column -> list) in place of their bytes.

    Parameters
    ----------
    batch : dict
        A batch as ``with_transform`` and ``map(batched=True)`` pass it.
    column : str
        The audio column; its entries are ``{"path", "bytes"}`` dicts (``Audio(decode=False)``),
        paths or bytes. Bytes are decoded in place; a path is read when there are no bytes.
    num_threads : int, optional
        Threads decoding the batch (`load_many`); default: the number of CPUs.
    **decode_kwargs
        `decode`'s options (``sample_rate``, ``num_channels``, ``dtype``, ``frame_offset``,
        ``num_frames``...).

    Returns
    -------
    dict
        The batch with each entry of `column` replaced by ``{"array", "sampling_rate",
        "path"}``: ``array`` is a NumPy array, 1-D for one channel, ``(channels, frames)``
        otherwise, as ``datasets`` gives.
    """
    if "channels_first" in decode_kwargs or "out" in decode_kwargs:
        raise TypeError("decode_batch: arrays are (channels, frames); channels_first and out "
                        "are fixed")
    entries = batch[column]
    decoded = load_many([_source(e) for e in entries], num_threads=num_threads,
                        channels_first=True, **decode_kwargs)
    out = []
    for entry, audio in zip(entries, decoded):
        array = audio.numpy()
        out.append({"array": array[0] if audio.num_channels == 1 else array,
                    "sampling_rate": audio.sample_rate, "path": _path(entry)})
    result = dict(batch)
    result[column] = out
    return result


def decoded_feature(num_channels: int = 1, dtype: str = "float32") -> Dict[str, Any]:
    """The ``datasets`` type of a column `decode_batch` filled, for ``map(features=...)``.

    ``datasets`` would otherwise take ``{"array", "sampling_rate", "path"}`` for its own
    ``Audio`` type and re-encode it.

    Parameters
    ----------
    num_channels : int
        1: ``array`` is a list of samples; more: a list of channels (decode with the same
        ``num_channels`` so that every row has the shape).
    dtype : str
        The sample type decoded (``decode``'s `dtype`).
    """
    import datasets

    array: Any = datasets.List(datasets.Value(dtype))
    if num_channels != 1:
        array = datasets.List(array, length=num_channels)
    return {"array": array, "sampling_rate": datasets.Value("int64"),
            "path": datasets.Value("string")}
