"""Many files: load_many on threads, concurrent decodes, and torch DataLoader workers."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from conftest import make_input, needs_torch

import decode_audio
from decode_audio import DecodeAudioError

MIXED = [("wav_s16", 2, 44100), ("mp3", 2, 44100), ("flac", 1, 16000), ("vorbis", 2, 48000),
         ("opus", 2, 48000), ("aac", 2, 48000), ("wav_u8", 1, 8000), ("au", 2, 16000)]
OPTIONS = [{}, {"sample_rate": 16000}, {"frame_offset": 3000, "num_frames": 5000},
           {"dtype": "int16", "channels_first": True}, {"num_channels": 1}]


def jobs():
    paths = [make_input(fmt, ch, rate, 2.0) for fmt, ch, rate in MIXED]
    return [(paths[i % len(paths)], OPTIONS[i % len(OPTIONS)]) for i in range(200)]


def test_load_many_keeps_order_and_equals_decode():
    paths = [make_input(fmt, ch, rate, 2.0) for fmt, ch, rate in MIXED]
    many = decode_audio.load_many(paths, num_threads=3, sample_rate=16000)
    assert len(many) == len(paths)
    for path, audio in zip(paths, many):
        np.testing.assert_array_equal(audio.numpy(),
                                      decode_audio.decode(path, sample_rate=16000).numpy())


def test_load_many_reports_errors_without_losing_the_others(tmp_path):
    good = make_input("wav_s16", 1, 8000)
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not audio at all" * 10)
    missing = tmp_path / "missing.wav"
    out = decode_audio.load_many([good, bad, good, missing], num_threads=2, errors="return")
    assert out[0].num_frames == out[2].num_frames == 8000
    assert isinstance(out[1], DecodeAudioError) and "bad.wav" in str(out[1])
    assert isinstance(out[3], FileNotFoundError)
    with pytest.raises(DecodeAudioError, match="bad.wav"):
        decode_audio.load_many([good, bad, good], num_threads=2)
    with pytest.raises(ValueError, match="errors"):
        decode_audio.load_many([good], errors="ignore")


def test_four_threads_of_mixed_decodes_equal_the_sequential_results():
    work = jobs()
    expected = [decode_audio.decode(path, **kw).numpy().tobytes() for path, kw in work]
    results = [None] * len(work)

    def run(start):
        for i in range(start, len(work), 4):
            path, kw = work[i]
            results[i] = decode_audio.decode(path, **kw).numpy().tobytes()

    threads = [threading.Thread(target=run, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == expected


@needs_torch
@pytest.mark.parametrize("context", ["fork", "spawn", "forkserver"])
def test_dataloader_workers_decode_correctly(context):
    import torch

    from loader_data import Clips

    paths = [make_input(fmt, ch, rate, 2.0) for fmt, ch, rate in MIXED]
    dataset = Clips(paths)
    expected = torch.stack([dataset[i] for i in range(len(dataset))])
    loader = torch.utils.data.DataLoader(dataset, batch_size=2, num_workers=2,
                                         multiprocessing_context=context)
    got = torch.cat(list(loader))
    assert got.shape == (len(paths), 1, 8000)
    assert torch.equal(got, expected)
