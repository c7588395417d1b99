"""WebDataset: a decoder handler that decodes audio members of a tar in memory.

``WebDataset``'s own audio handler writes every sample to a temporary file for its decoder;
this one decodes the member's bytes in place. WebDataset is not imported here (``pip install
decode_audio[webdataset]``); torch is needed for the tensors.

Examples
--------
>>> import webdataset as wds                                             # doctest: +SKIP
>>> from decode_audio.webdataset import handler
>>> ds = wds.WebDataset("shards/{000..009}.tar").decode(handler(sample_rate=16000))
>>> waveform, sample_rate = next(iter(ds))["flac"]                      # (channels, frames)
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Tuple, Union

from ._decode import load

__all__ = ["handler"]


def handler(extensions: Union[str, Any] = "flac mp3 wav ogg opus m4a",
            **load_kwargs: Any) -> Callable[[str, bytes], Optional[Tuple[Any, int]]]:
    """A WebDataset decoder handler for audio members.

    Parameters
    ----------
    extensions : str or list of str
        The member extensions it decodes (the last part of the key, case-insensitive); others
        are left to the next handler.
    **load_kwargs
        `load`'s options: ``sample_rate``, ``num_channels``, ``frame_offset``,
        ``num_frames``, ``normalize``, ``channels_first``...

    Returns
    -------
    callable
        ``(key, data) -> (tensor, sample_rate)``, or None for a key it does not handle.
    """
    if isinstance(extensions, str):
        extensions = extensions.split()
    wanted = frozenset(e.lower().lstrip(".") for e in extensions)
    if not wanted:
        raise ValueError("handler: give at least one extension")

    def decode_member(key: str, data: bytes) -> Optional[Tuple[Any, int]]:
        if key.rsplit(".", 1)[-1].lower() not in wanted:
            return None
        return load(data, **load_kwargs)

    return decode_member
