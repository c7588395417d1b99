"""`AudioMetaData`, what `info` returns whichever backend answers, and its making from a
filled ``da_info``."""

from __future__ import annotations

import ctypes
from dataclasses import dataclass, field
from typing import Any, Dict

__all__ = ["AudioMetaData", "from_info"]


@dataclass
class AudioMetaData:
    """What `info` found, with torchaudio's field names.

    Attributes
    ----------
    sample_rate : int
    num_frames : int
        Frames `decode` returns at the native rate; an estimate when `num_frames_exact` is False.
    num_channels : int
    bits_per_sample : int
        Coded depth for PCM and lossless codecs (FLAC: 16 or 24); 0 for lossy ones.
    encoding : str
        ``PCM_S PCM_U PCM_F FLAC ULAW ALAW MP3 VORBIS AMR_NB AMR_WB OPUS GSM``, or FFmpeg's
        codec name in capitals for others (``AAC``, ``ALAC``...).
    codec : str
        FFmpeg's codec name (``"pcm_s16le"``, ``"mp3"``...).
    container : str
        FFmpeg's demuxer name (``"wav"``, ``"mov,mp4,m4a,3gp,3g2,mj2"``...).
    duration : float
        Seconds.
    bit_rate : int
        Bits per second, 0 when unknown.
    tags : dict
        Container and stream metadata.
    num_frames_exact : bool
        Whether `num_frames` is what a full decode returns.
    stream_index : int
        The stream described, as FFmpeg counts them.
    sample_format : str
        The decoder's own sample format (``"s16"``, ``"fltp"``...).
    num_streams : int
        Streams in the container, of any type.
    """

    sample_rate: int
    num_frames: int
    num_channels: int
    bits_per_sample: int
    encoding: str
    codec: str = ""
    container: str = ""
    duration: float = 0.0
    bit_rate: int = 0
    tags: Dict[str, str] = field(default_factory=dict)
    num_frames_exact: bool = True
    stream_index: int = 0
    sample_format: str = ""
    num_streams: int = 1

    def __repr__(self) -> str:
        return (
            f"AudioMetaData(sample_rate={self.sample_rate}, num_frames={self.num_frames}, "
            f"num_channels={self.num_channels}, bits_per_sample={self.bits_per_sample}, "
            f"encoding={self.encoding})"
        )


def text(value: bytes) -> str:
    """A C string as text (bad bytes replaced)."""
    return value.decode("utf-8", "replace")


def from_info(result: Any) -> AudioMetaData:
    """An AudioMetaData from a filled ``da_info`` (FFmpeg's or SoX's probe)."""
    tags: Dict[str, str] = {}
    if result.tags_size > 0:
        parts = ctypes.string_at(result.tags, result.tags_size).split(b"\0")
        for key, value in zip(parts[0::2], parts[1::2]):
            tags[text(key)] = text(value)
    return AudioMetaData(
        sample_rate=result.sample_rate,
        num_frames=result.num_frames,
        num_channels=result.num_channels,
        bits_per_sample=result.bits_per_sample,
        encoding=text(result.encoding),
        codec=text(result.codec),
        container=text(result.container),
        duration=result.duration,
        bit_rate=result.bit_rate,
        tags=tags,
        num_frames_exact=bool(result.num_frames_exact),
        stream_index=result.stream_index,
        sample_format=text(result.sample_format),
        num_streams=result.num_streams,
    )
