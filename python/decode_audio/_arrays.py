"""Samples handed in to be written: a NumPy view of whatever holds them, and their layout in
elements, so the C writers read them in place with their strides."""

from __future__ import annotations

from typing import Any, Tuple

import numpy as np

__all__ = ["as_array", "layout", "import_torch"]


def as_array(src: Any) -> np.ndarray:
    """A NumPy view of torch/NumPy/DLPack/buffer samples (never a copy)."""
    if hasattr(src, "detach") and hasattr(src, "device"):  # torch.Tensor
        if src.device.type != "cpu":
            raise ValueError(f"samples must be on the CPU; got a tensor on {src.device}")
        return src.detach().numpy()
    if isinstance(src, np.ndarray):
        return src
    if hasattr(src, "__dlpack__"):
        return np.from_dlpack(src)
    try:
        return np.asarray(memoryview(src))
    except TypeError:
        raise TypeError(f"samples must be a tensor, an array or a buffer; got "
                        f"{type(src).__name__}") from None


def layout(array: np.ndarray, channels_first: bool) -> Tuple[int, int, int, int]:
    """(frames, channels, frame step, channel step), steps in elements."""
    if array.ndim != 2:
        raise ValueError(f"samples must be 2-D ({'channels, frames' if channels_first else 'frames, channels'}); got shape {array.shape}")
    steps = [s // array.itemsize for s in array.strides]
    if channels_first:
        return array.shape[1], array.shape[0], steps[1], steps[0]
    return array.shape[0], array.shape[1], steps[0], steps[1]


def import_torch(what: str) -> Any:
    """The torch module; without it, an ImportError saying how to get it or do without."""
    try:
        import torch
    except ImportError as e:
        raise ImportError(f"{what} returns a torch tensor, and torch is not installed: "
                          "pip install decode_audio[torch] (or torch), or use "
                          "decode_audio.decode(...).numpy() for a NumPy array") from e
    return torch
