"""The backends, one module each; importing this package registers them, in the order the
dispatcher tries them: FFmpeg, then SoX, then python-soundfile (see `_registry`)."""

from . import ffmpeg, sox, soundfile

__all__ = ["ffmpeg", "sox", "soundfile"]
