"""decode_audio: audio in and out of NumPy and PyTorch through FFmpeg, without copies.

>>> import decode_audio
>>> a = decode_audio.decode("speech.wav")          # doctest: +SKIP
>>> a.numpy().shape                                # (frames, channels), float32
>>> waveform, sr = decode_audio.load("speech.wav") # torchaudio-style: (channels, frames)
"""

from . import backends  # noqa: F401 - registers FFmpeg, SoX and soundfile with the dispatcher
from . import ffmpeg_utils, io, sox_utils
from ._audio import Audio
from ._decode import decode, info, load, resample
from ._errors import DecodeAudioError, DecodeAudioFileNotFoundError, DecodeAudioWarning
from ._metadata import AudioMetaData
from ._parallel import load_many
from ._reader import StreamReader, stream
from ._registry import list_audio_backends
from ._save import save
from ._writer import CodecConfig, StreamWriter
from .ffmpeg_utils import (
    get_audio_decoders,
    get_audio_encoders,
    get_demuxers,
    get_log_level,
    get_muxers,
    get_versions,
    set_log_level,
)

__version__ = ".".join(str(n) for n in get_versions()["decode_audio"])  # pyproject.toml's

__all__ = [
    "Audio",
    "AudioMetaData",
    "CodecConfig",
    "DecodeAudioError",
    "DecodeAudioFileNotFoundError",
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
    "io",
    "info",
    "list_audio_backends",
    "load",
    "load_many",
    "resample",
    "save",
    "set_log_level",
    "sox_utils",
    "stream",
]
