"""decode_audio: audio in and out of NumPy and PyTorch through FFmpeg, without copies.

>>> import decode_audio
>>> a = decode_audio.decode("speech.wav")          # doctest: +SKIP
>>> a.numpy().shape                                # (frames, channels), float32
>>> waveform, sr = decode_audio.load("speech.wav") # torchaudio-style: (channels, frames)
"""

from ._api import AudioMetaData, decode, get_versions, info, load
from ._audio import Audio
from ._backends import list_audio_backends
from ._errors import DecodeAudioError, DecodeAudioWarning
from ._parallel import load_many
from ._reader import StreamReader, stream
from ._writer import CodecConfig, StreamWriter, save
from . import ffmpeg_utils, sox_utils
from .ffmpeg_utils import (
    get_audio_decoders,
    get_audio_encoders,
    get_demuxers,
    get_log_level,
    get_muxers,
    set_log_level,
)

__version__ = ".".join(str(n) for n in get_versions()["decode_audio"])  # pyproject.toml's

__all__ = [
    "Audio",
    "AudioMetaData",
    "CodecConfig",
    "DecodeAudioError",
    "DecodeAudioWarning",
    "StreamReader",
    "StreamWriter",
    "decode",
    "ffmpeg_utils",
    "get_audio_decoders",
    "get_audio_encoders",
    "get_demuxers",
    "get_log_level",
    "get_muxers",
    "get_versions",
    "info",
    "list_audio_backends",
    "load",
    "load_many",
    "save",
    "set_log_level",
    "sox_utils",
    "stream",
]
