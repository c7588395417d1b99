"""The Python side of `make valgrind-test`: the ctypes layer's callbacks and error paths.

Run under valgrind with the plain library; leaks and invalid accesses in libdecode_audio
(through file-like callbacks, DLPack capsules, writers and chunked readers) show up in
valgrind's report. StreamReader is left out: it imports torch, far too slow under valgrind,
and reads through the same da_reader as stream(). Python's own allocations are not our concern (see tests/c/valgrind.supp).
"""

from __future__ import annotations

import io
import sys

import numpy as np

import decode_audio
from decode_audio import DecodeAudioError


class NonSeekable(io.RawIOBase):
    def __init__(self, data: bytes, fail_at: int = -1) -> None:
        self._f = io.BytesIO(data)
        self._fail_at = fail_at

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:  # type: ignore[override]
        if 0 <= self._fail_at <= self._f.tell():
            raise OSError("the network went away")
        return self._f.readinto(b)


class WriteOnly(io.RawIOBase):
    def __init__(self, fail_at: int = -1) -> None:
        self.data = bytearray()
        self._fail_at = fail_at

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:  # type: ignore[override]
        if 0 <= self._fail_at <= len(self.data):
            raise OSError("disk full")
        self.data += bytes(b)
        return len(b)


def expect_error(kind, fn, *args, **kwargs) -> None:
    try:
        fn(*args, **kwargs)
    except kind:
        return
    raise AssertionError(f"{fn.__name__} did not raise {kind.__name__}")


def main() -> None:
    t = np.arange(8000) / 16000
    wave = np.stack([np.sin(2 * np.pi * 440 * t), np.sin(2 * np.pi * 660 * t)]).astype(np.float32)
    encoded = {}
    for fmt in ("wav", "flac", "mp3", "ogg"):
        buf = io.BytesIO()
        decode_audio.save(buf, wave, 16000, format=fmt)
        encoded[fmt] = buf.getvalue()
    # write-only destinations: a streamable format works, a failing one raises its own error
    decode_audio.save(WriteOnly(), wave, 16000, format="ogg")
    expect_error(OSError, decode_audio.save, WriteOnly(fail_at=1000), wave, 16000, format="ogg")
    expect_error(DecodeAudioError, decode_audio.save, WriteOnly(), wave, 16000, format="wav")

    for fmt, data in encoded.items():
        a = decode_audio.decode(io.BytesIO(data), dtype="int16", channels_first=True)
        assert a.num_frames > 7000, (fmt, a.num_frames)
        capsule = a.__dlpack__(max_version=(1, 0))
        del capsule
        x = np.from_dlpack(a)
        assert x.shape == a.shape
        decode_audio.decode(NonSeekable(data), sample_rate=8000)
        decode_audio.decode(memoryview(data), frame_offset=1000, num_frames=2000)
        decode_audio.info(io.BytesIO(data))
        decode_audio.info(NonSeekable(data))
        chunks = list(decode_audio.stream(NonSeekable(data), 3000))
        assert sum(c.num_frames for c in chunks) == decode_audio.decode(data).num_frames
        expect_error(OSError, decode_audio.decode, NonSeekable(data, fail_at=len(data) // 2))
        # a reader dropped half way through
        it = decode_audio.stream(io.BytesIO(data), 2000)
        next(it)
        del it
        out = np.zeros((100, 2), np.float32)
        expect_error(ValueError, decode_audio.decode, data, out=out)

    w = decode_audio.StreamWriter(WriteOnly(), format="ogg")
    w.add_audio_stream(16000, 2)
    with w.open():
        w.write_audio_chunk(0, wave.T.copy())
    w = decode_audio.StreamWriter(io.BytesIO(), format="flac")
    w.add_audio_stream(16000, 2)
    w.open()
    w.write_audio_chunk(0, wave.T.copy())
    del w  # abandoned without close

    junk = np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8).tobytes()
    expect_error(DecodeAudioError, decode_audio.decode, junk)
    expect_error(DecodeAudioError, decode_audio.decode, NonSeekable(junk))
    expect_error(DecodeAudioError, decode_audio.info, io.BytesIO(b""))
    expect_error(FileNotFoundError, decode_audio.decode, "/nonexistent/x.wav")
    damaged = bytearray(encoded["mp3"])
    damaged[len(damaged) // 2:len(damaged) // 2 + 300] = junk[:300]
    expect_error(DecodeAudioError, decode_audio.decode, bytes(damaged), on_error="raise")
    from decode_audio._audio import live_buffers
    del a, x, chunks
    import gc

    gc.collect()
    assert live_buffers() == 0, live_buffers()
    print("valgrind_driver: done")


if __name__ == "__main__":
    sys.exit(main())
