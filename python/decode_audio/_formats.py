"""Containers and codecs by the names users give: extensions and ``format=`` names to FFmpeg
muxers, their default encoders, the PCM encoders by encoding and depth, and what FFmpeg
cannot read."""

from __future__ import annotations

from typing import Dict, FrozenSet, Optional, Tuple

__all__ = ["MUXERS", "DEFAULT_ENCODERS", "PCM_ENCODERS", "PCM_BYTE_ORDER", "DEFAULT_BITS",
           "SAVE_DTYPES", "PIXEL_FORMATS", "IMAGE_ENCODERS", "FFMPEG_CANNOT_READ",
           "flac_bits", "pcm_encoding", "DTYPE_ENCODINGS", "DTYPE_FLAC_BITS", "FIXED_SIGNAL"]

# File extension (or format= name) -> FFmpeg muxer.
MUXERS: Dict[str, str] = {
    "wav": "wav", "flac": "flac", "mp3": "mp3", "ogg": "ogg", "oga": "ogg", "vorbis": "ogg",
    "opus": "opus", "m4a": "ipod", "mp4": "mp4", "aac": "adts", "adts": "adts", "aiff": "aiff",
    "aif": "aiff", "au": "au", "gsm": "gsm", "amr": "amr", "amr-nb": "amr", "w64": "w64",
    "caf": "caf", "mka": "matroska", "mkv": "matroska", "webm": "webm", "wv": "wv", "ac3": "ac3",
}
# Muxer -> (its audio encoder, its encoding name for torchaudio's `encoding`).
DEFAULT_ENCODERS: Dict[str, Tuple[str, str]] = {
    "wav": ("pcm_s16le", "PCM_S"), "flac": ("flac", "FLAC"), "mp3": ("libmp3lame", "MP3"),
    "ogg": ("libvorbis", "VORBIS"), "opus": ("libopus", "OPUS"), "ipod": ("aac", "AAC"),
    "mp4": ("aac", "AAC"), "adts": ("aac", "AAC"), "aiff": ("pcm_s16be", "PCM_S"),
    "au": ("pcm_s16be", "PCM_S"), "gsm": ("libgsm", "GSM"), "amr": ("libopencore_amrnb", "AMR_NB"),
    "w64": ("pcm_s16le", "PCM_S"), "caf": ("pcm_s16be", "PCM_S"),
}
# PCM containers: (encoding, bits) -> encoder, per byte order.
PCM_ENCODERS: Dict[str, Dict[Tuple[str, int], str]] = {
    "le": {("PCM_S", 16): "pcm_s16le", ("PCM_S", 24): "pcm_s24le", ("PCM_S", 32): "pcm_s32le",
           ("PCM_U", 8): "pcm_u8", ("PCM_F", 32): "pcm_f32le", ("PCM_F", 64): "pcm_f64le",
           ("ULAW", 8): "pcm_mulaw", ("ALAW", 8): "pcm_alaw"},
    "be": {("PCM_S", 8): "pcm_s8", ("PCM_S", 16): "pcm_s16be", ("PCM_S", 24): "pcm_s24be",
           ("PCM_S", 32): "pcm_s32be", ("PCM_F", 32): "pcm_f32be", ("PCM_F", 64): "pcm_f64be",
           ("ULAW", 8): "pcm_mulaw", ("ALAW", 8): "pcm_alaw"},
}
# The PCM muxers and their byte order.
PCM_BYTE_ORDER: Dict[str, str] = {"wav": "le", "w64": "le", "aiff": "be", "au": "be",
                                  "caf": "be"}
# torchaudio's encodings -> the bits per sample save() writes when none is given.
DEFAULT_BITS: Dict[str, Optional[int]] = {"PCM_S": 16, "PCM_U": 8, "PCM_F": 32, "ULAW": 8,
                                          "ALAW": 8}
# The sox and soundfile backends' default for WAV and W64, as torchaudio's: the samples' own
# type (the FFmpeg backend's default stays 16-bit PCM, as torchaudio's FFmpeg backend).
DTYPE_ENCODINGS: Dict[str, Tuple[str, int]] = {
    "uint8": ("PCM_U", 8), "int16": ("PCM_S", 16), "int32": ("PCM_S", 32),
    "float32": ("PCM_F", 32), "float64": ("PCM_F", 64)}
# ... and for FLAC (24 bits at most).
DTYPE_FLAC_BITS: Dict[str, int] = {"uint8": 16, "int16": 16, "int32": 24, "float32": 24,
                                   "float64": 24}
# File types that hold one sample rate and channel count only: (rate, channels).
FIXED_SIGNAL: Dict[str, Tuple[int, int]] = {"gsm": (8000, 1), "amr-nb": (8000, 1),
                                            "amr-wb": (16000, 1)}
# The sample types save() takes.
SAVE_DTYPES: Tuple[str, ...] = ("uint8", "int16", "int32", "float32", "float64")
# Pixel formats of video chunks -> channels.
PIXEL_FORMATS: Dict[str, int] = {"rgb24": 3, "bgr24": 3, "gray8": 1, "yuv444p": 3}
# Still-image format= names -> their encoder; written by image2 (paths) or image2pipe.
IMAGE_ENCODERS: Dict[str, str] = {"png": "png", "jpg": "mjpeg", "jpeg": "mjpeg", "bmp": "bmp",
                                  "tiff": "tiff"}
# Extensions of files SoX writes that FFmpeg 5.1 cannot open (measured with ffprobe).
FFMPEG_CANNOT_READ: FrozenSet[str] = frozenset({
    "cdda", "cvsd", "cvu", "dat", "dvms", "fap", "htk", "ima", "lpc", "mat", "paf", "prc",
    "smp", "sndt", "sou", "txw", "vms", "vox",
})


def flac_bits(encoding: Optional[str], bits: Optional[int]) -> Optional[int]:
    """The bits per sample of a FLAC save, the same rule on every backend: FLAC holds signed
    integers, so `encoding` may be None, ``FLAC`` or ``PCM_S``, with 16 or 24 bits (None: the
    backend's default). Raises ValueError for anything else."""
    if encoding is not None and encoding.upper() not in ("FLAC", "PCM_S"):
        raise ValueError(f"FLAC holds signed integer samples: encoding must be FLAC or PCM_S "
                         f"(or None); got {encoding!r}")
    if bits not in (None, 16, 24):
        raise ValueError(f"FLAC takes bits_per_sample 16 or 24; got {bits}")
    return bits


def pcm_encoding(container: str, bits: Optional[int]) -> str:
    """The encoding of a PCM save given `bits_per_sample` but no `encoding`, the same on every
    backend: 8 bits are unsigned in WAV and W64 (signed in AIFF, AU and CAF), 64 bits are
    float, the others signed integers."""
    if bits == 8:
        return "PCM_U" if container.lower() in ("wav", "w64", "wavex", "rf64") else "PCM_S"
    return "PCM_F" if bits == 64 else "PCM_S"
