"""The exception decode_audio raises for what FFmpeg or the library reports, and its warning."""

from __future__ import annotations

__all__ = ["DecodeAudioError", "DecodeAudioFileNotFoundError", "DecodeAudioWarning"]


class DecodeAudioError(RuntimeError):
    """FFmpeg or decode_audio could not do what was asked.

    The message names the source and FFmpeg's reason, e.g.
    ``open 'x.mp3': Invalid data found when processing input``.

    Attributes
    ----------
    code : int
        The negative FFmpeg ``AVERROR`` value (or one of decode_audio's own codes).
    message : str
        The message, as C wrote it.
    """

    def __init__(self, message: str, code: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class DecodeAudioFileNotFoundError(FileNotFoundError, RuntimeError):
    """A file to read is not there: both a `FileNotFoundError` (``errno.ENOENT``) and a
    `RuntimeError`, which code written for torchaudio catches."""


class DecodeAudioWarning(UserWarning):
    """Something was wrong with the input but decoding went on.

    Issued when ``on_error="skip"`` skipped packets the decoder rejected; the message names
    the source and the number skipped (also ``Audio.decode_errors``).
    """
