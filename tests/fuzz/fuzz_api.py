"""atheris harness over the Python API: decode, info and stream from bytes and file-likes.

    PYTHONPATH=python python3 tests/fuzz/fuzz_api.py [libFuzzer options] CORPUS_DIR

The first input byte picks how the rest is handed over (bytes, a seekable BytesIO, a
non-seekable reader, an object with only read(n)) and the options (dtype, layout,
resampling, a window, on_error); the rest is the file. Any exception other than
DecodeAudioError (or the DecodeAudioWarning of a skip) is a finding, as is a crash, and so
is a stream whose chunks do not add up to the decode of the same input.
"""

from __future__ import annotations

import io
import os
import sys
import warnings

import atheris

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from filelikes import NonSeekable, ReadOnly  # noqa: E402

with atheris.instrument_imports():
    import decode_audio
    from decode_audio import DecodeAudioError, DecodeAudioWarning

DTYPES = ["uint8", "int8", "int16", "int32", "float32", "float64"]


SOURCES = [bytes, io.BytesIO, NonSeekable, ReadOnly]


def options(mode: int) -> dict:
    kwargs: dict = {"dtype": DTYPES[mode % 6], "channels_first": bool(mode >> 3 & 1)}
    if mode & 0x10:
        kwargs["sample_rate"] = 16000
    if mode & 0x20:
        kwargs.update(frame_offset=100, num_frames=1000)
    if mode & 0x80:
        kwargs["on_error"] = "raise"
    return kwargs


def test_one_input(data: bytes) -> None:
    if len(data) < 2:
        return
    mode, kind, body = data[0], data[1] % len(SOURCES), data[2:]
    make = SOURCES[kind]
    kwargs = options(mode)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DecodeAudioWarning)
        try:
            decode_audio.info(make(body))
        except DecodeAudioError:
            pass
        try:
            audio = decode_audio.decode(make(body), **kwargs)
        except DecodeAudioError:
            return
        assert audio.numpy().shape == audio.shape
        if mode & 0x40:
            try:
                chunks = list(decode_audio.stream(make(body), 777, **kwargs))
            except DecodeAudioError:
                return
            total = sum(c.num_frames for c in chunks)
            assert total == audio.num_frames, (total, audio.num_frames, kwargs)


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
