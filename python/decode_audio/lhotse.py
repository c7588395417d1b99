"""lhotse: `DecodeAudioBackend`, an ``AudioBackend`` that reads recordings with decode_audio.

Windows given in seconds are read exactly (``round(seconds * sample_rate)`` frames, as lhotse
counts them), every FFmpeg format is read, and ``info`` reports exact frame counts.

lhotse registers each ``AudioBackend`` subclass when the class is made, so the class is made,
and lhotse imported, the first time ``DecodeAudioBackend`` is looked up (``pip install
decode_audio[lhotse]``).

Examples
--------
>>> from lhotse import Recording                                          # doctest: +SKIP
>>> from lhotse.audio.backend import audio_backend
>>> from decode_audio.lhotse import DecodeAudioBackend
>>> with audio_backend(DecodeAudioBackend()):
...     samples = Recording.from_file("speech.flac").load_audio(offset=1.5, duration=2.0)
"""

from __future__ import annotations

import os
from typing import Any, Optional, Tuple

import numpy as np

from ._decode import decode, info

__all__ = ["DecodeAudioBackend"]


def _source(path_or_fd: Any) -> Any:
    """What decode takes: paths as strings, file objects (BytesIO...) as they are."""
    if isinstance(path_or_fd, os.PathLike):
        return os.fspath(path_or_fd)
    return path_or_fd


def _is_opus(src: Any) -> bool:
    if isinstance(src, str):
        return src.lower().endswith(".opus")
    return info(src, exact=False).codec == "opus"


def _window(seconds: float, sample_rate: int) -> int:
    # lhotse's compute_num_samples: round to the nearest frame
    return int(round(seconds * sample_rate))


def read_audio(path_or_fd: Any, offset: float = 0.0, duration: Optional[float] = None,
               force_opus_sampling_rate: Optional[int] = None) -> Tuple[np.ndarray, int]:
    """(samples, sample_rate): float32 ``(channels, frames)``, the window exact."""
    src = _source(path_or_fd)
    rate = None
    if force_opus_sampling_rate is not None and _is_opus(src):
        rate = int(force_opus_sampling_rate)
    if rate is None:
        rate = info(src, exact=False).sample_rate if offset or duration is not None else None
    start = _window(offset, rate) if offset and rate else 0
    frames = _window(duration, rate) if duration is not None and rate else -1
    audio = decode(src, frame_offset=start, num_frames=frames, sample_rate=rate,
                   channels_first=True)
    return audio.numpy(), audio.sample_rate


def audio_info(path_or_fd: Any, force_opus_sampling_rate: Optional[int] = None) -> Any:
    """lhotse's ``LibsndfileCompatibleAudioInfo`` with the exact frame count."""
    from lhotse.audio.backend import LibsndfileCompatibleAudioInfo

    src = _source(path_or_fd)
    meta = info(src)
    frames, rate = meta.num_frames, meta.sample_rate
    if force_opus_sampling_rate is not None and meta.codec == "opus" and \
            force_opus_sampling_rate != rate:
        if hasattr(src, "seek"):
            src.seek(0)
        rate = int(force_opus_sampling_rate)
        frames = decode(src, sample_rate=rate).num_frames
    return LibsndfileCompatibleAudioInfo(channels=meta.num_channels, frames=frames,
                                         samplerate=rate, duration=frames / rate)


def _make_backend() -> type:
    from lhotse.audio.backend import AudioBackend

    class DecodeAudioBackend(AudioBackend):
        """Reads every format FFmpeg decodes, from paths and file objects, windows exact."""

        def read_audio(self, path_or_fd: Any, offset: float = 0.0,
                       duration: Optional[float] = None,
                       force_opus_sampling_rate: Optional[int] = None) -> Tuple[np.ndarray, int]:
            return read_audio(path_or_fd, offset, duration, force_opus_sampling_rate)

        def info(self, path_or_fd: Any, force_opus_sampling_rate: Optional[int] = None) -> Any:
            return audio_info(path_or_fd, force_opus_sampling_rate)

        def supports_info(self) -> bool:
            return True

        def is_applicable(self, path_or_fd: Any) -> bool:
            return True

    # instances pickle by name (DataLoader workers): the name leads back through __getattr__
    DecodeAudioBackend.__module__ = __name__
    DecodeAudioBackend.__qualname__ = "DecodeAudioBackend"
    return DecodeAudioBackend


def __getattr__(name: str) -> Any:
    if name == "DecodeAudioBackend":
        cls = _make_backend()
        globals()[name] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
