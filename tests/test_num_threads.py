"""One input on several threads: decode(src, num_threads=N) equals num_threads=1 byte for byte
(every dtype and layout, resampling, remixing, windows, the caller's array), splits where it
says it does (Audio.num_threads), keeps to one thread where it cannot split, and gives the
errors and skipped packets of one thread."""

from __future__ import annotations

import io
import os
import threading
import warnings

import numpy as np
import pytest

from conftest import FORMATS, encoded, make_input, needs_torch, signal_source
from test_convergence import INPUTS as CONVERGENCE_INPUTS
from test_convergence import VERIFIES as CONVERGENCE_VERIFIES
from test_convergence import encode as encode_for_convergence

import realworld

import decode_audio
from decode_audio import DecodeAudioError
from decode_audio._audio import live_buffers

SECONDS = 4.0
THREADS = (2, 3, 4)
# codecs whose windows after the first are found by verified convergence; resampled, they
# keep one thread (the last window's decoder is drained at the end, csrc/parallel.c)
CONVERGING_FORMATS = {"opus", "aac"}
# num_threads="auto": one thread per this many seconds of output (csrc/parallel.c)
AUTO_SECONDS = 30


def rate_of(fmt: str) -> int:
    return 48000 if 48000 in FORMATS[fmt][3] else FORMATS[fmt][3][-1]


def same(a: decode_audio.Audio, b: decode_audio.Audio) -> bool:
    return (a.shape == b.shape and a.dtype == b.dtype and a.sample_rate == b.sample_rate
            and a.decode_errors == b.decode_errors
            and a.numpy().tobytes() == b.numpy().tobytes())


def outcome(src, **kw):
    """What decode gives: the Audio, or the exception's type and message."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            audio = decode_audio.decode(src, **kw)
        except (DecodeAudioError, ValueError) as e:
            return (type(e), str(e)), [str(w.message) for w in caught]
    return audio, [str(w.message) for w in caught]


OPTIONS = [
    {},
    {"dtype": "int16"},
    {"dtype": "uint8"},
    {"dtype": "int8"},
    {"dtype": "int32"},
    {"dtype": "float64"},
    {"channels_first": True},
    {"sample_rate": 16000},
    {"sample_rate": 44100, "channels_first": True, "dtype": "int16"},
    {"num_channels": 1},
    {"num_channels": 1, "sample_rate": 22050, "dtype": "int32"},
    {"frame_offset": 12345, "num_frames": 54321},
    {"frame_offset": 777, "channels_first": True, "sample_rate": 16000},
    {"frame_offset": 100000, "dtype": "uint8", "channels_first": True},
]


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in
                                                                   o.items()) or "plain")
@pytest.mark.parametrize("fmt", list(FORMATS))
def test_threads_equal_one_thread_byte_for_byte(fmt, options):
    path = make_input(fmt, 2, rate_of(fmt), SECONDS)
    one = decode_audio.decode(path, num_threads=1, **options)
    assert one.num_threads == 1 and one.num_frames > 0
    for n in THREADS:
        many = decode_audio.decode(path, num_threads=n, **options)
        assert same(many, one), (n, many.shape, one.shape)
        resampled = options.get("sample_rate") not in (None, rate_of(fmt))
        assert many.num_threads == (1 if fmt in CONVERGING_FORMATS and resampled else n)


@pytest.mark.parametrize("fmt", ["wav_s16", "flac", "mp3", "vorbis"])
def test_windows_inside_the_split_decode_are_slices_of_the_full_decode(fmt):
    path = make_input(fmt, 2, rate_of(fmt), SECONDS)
    for sample_rate in (None, 16000):
        full = decode_audio.decode(path, sample_rate=sample_rate, num_threads=1).numpy()
        n = len(full)
        for offset, count in [(0, 1000), (1, 7), (n // 3 + 1, 4001), (n - 500, 1000),
                              (n - 3, -1), (n // 2, -1), (n, 10), (n + 10, 100), (50, 0)]:
            for threads in THREADS:
                part = decode_audio.decode(path, sample_rate=sample_rate, frame_offset=offset,
                                           num_frames=count, num_threads=threads)
                expected = full[offset:] if count < 0 else full[offset:offset + count]
                assert part.shape == expected.shape, (offset, count, threads)
                assert part.numpy().tobytes() == expected.tobytes(), (offset, count, threads)
                split = min(threads, len(expected))
                # MP3's and Vorbis's headers estimate the length: a window that starts past
                # the estimate is decoded on one thread
                if fmt in ("mp3", "vorbis") and offset >= n - 1000:
                    assert part.num_threads in (1, split), (offset, count, threads)
                else:
                    assert part.num_threads == split or len(expected) <= 1


@pytest.mark.parametrize("fmt", ["wav_s16", "flac", "mp3", "vorbis"])
def test_more_threads_than_frames_and_very_short_inputs(fmt):
    for seconds in (0.0005, 0.01, 0.1):
        path = make_input(fmt, 1, 8000 if fmt != "vorbis" else 16000, seconds)
        one = decode_audio.decode(path, num_threads=1)
        for n in (2, 4, 64, 1000):
            many = decode_audio.decode(path, num_threads=n)
            assert same(many, one), (seconds, n)
            # at most 64 threads, and a frame each; a Vorbis stream of one Ogg page, and a
            # FLAC of one frame that cannot seek, are not entered mid-stream, and an MP3
            # whose header estimates more frames than it holds is decoded on one thread
            split = max(1, min(n, 64, one.num_frames))
            if fmt == "wav_s16" or seconds == 0.1 and fmt == "flac":
                assert many.num_threads == split, (seconds, n)
            else:
                assert many.num_threads in (1, split), (seconds, n)
        for kw in ({"sample_rate": 44100}, {"channels_first": True, "dtype": "int16"}):
            assert same(decode_audio.decode(path, num_threads=7, **kw),
                        decode_audio.decode(path, num_threads=1, **kw)), (seconds, kw)


def test_a_handful_of_frames_split_one_frame_per_thread(tmp_path):
    path = tmp_path / "three.wav"
    decode_audio.save(str(path), np.array([[0.25], [-0.5], [0.75]], np.float32), 8000,
                      channels_first=False, encoding="PCM_F")
    audio = decode_audio.decode(str(path), num_threads=4)
    assert audio.num_threads == 3
    assert audio.numpy()[:, 0].tolist() == [0.25, -0.5, 0.75]


@pytest.mark.parametrize("channels_first", [False, True])
def test_the_callers_array_is_filled_in_place(channels_first):
    path = make_input("flac", 2, 48000, SECONDS)
    one = decode_audio.decode(path, dtype="int16", channels_first=channels_first).numpy()
    frames = one.shape[1] if channels_first else one.shape[0]
    shape = (2, frames + 1000) if channels_first else (frames + 1000, 2)
    out = np.full(shape, 12345, np.int16)
    audio = decode_audio.decode(path, out=out, channels_first=channels_first, num_threads=3)
    assert audio.num_threads == 3
    np.testing.assert_array_equal(audio.numpy(), one)
    assert np.shares_memory(audio.numpy(), out)
    spare = out[:, frames:] if channels_first else out[frames:]
    assert (spare == 12345).all()
    small = np.zeros((2, frames - 1) if channels_first else (frames - 1, 2), np.int16)
    with pytest.raises(ValueError, match=f"{frames} are needed"):
        decode_audio.decode(path, out=small, channels_first=channels_first, num_threads=3)


def test_bytes_split_and_file_likes_keep_one_thread():
    path = make_input("mp3", 2, 44100, SECONDS)
    data = open(path, "rb").read()
    one = decode_audio.decode(path, num_threads=1)
    from_bytes = decode_audio.decode(data, num_threads=3)
    assert from_bytes.num_threads == 3 and same(from_bytes, one)
    from_file = decode_audio.decode(io.BytesIO(data), num_threads=3)
    assert from_file.num_threads == 1 and same(from_file, one)


def test_filters_and_resampler_options_keep_one_thread():
    path = make_input("flac", 2, 48000, SECONDS)
    for kw in ({"filter_desc": "volume=0.5"}, {"sample_rate": 16000, "resample_quality": "high"}):
        many = decode_audio.decode(path, num_threads=2, **kw)
        assert many.num_threads == 1
        assert same(many, decode_audio.decode(path, num_threads=1, **kw))
    # without resampling the resampler's options change nothing, and the decode splits
    assert decode_audio.decode(path, num_threads=2, resample_quality="high").num_threads == 2


@needs_torch
def test_load_takes_num_threads():
    path = make_input("wav_s24", 2, 48000, SECONDS)
    for normalize in (True, False):
        one, rate = decode_audio.load(path, normalize=normalize, num_threads=1)
        many, rate2 = decode_audio.load(path, normalize=normalize, num_threads=3)
        assert rate == rate2 and one.dtype == many.dtype and one.shape == many.shape
        assert one.numpy().tobytes() == many.numpy().tobytes()


def test_num_threads_is_checked():
    path = make_input("wav_s16", 1, 8000)
    for bad in (0, -1, 1.5, "two", True):
        with pytest.raises(ValueError, match="num_threads"):
            decode_audio.decode(path, num_threads=bad)
    assert decode_audio.decode(path, num_threads="auto").num_frames == 8000
    with pytest.raises(ValueError, match="num_threads"):
        decode_audio.decode(path, backend="sox", num_threads=2)


# ---- the default: "auto" in the main thread of a process that is not a worker, else 1 ----

def auto_threads(seconds: float) -> int:
    return max(1, min(len(os.sched_getaffinity(0)), int(seconds // AUTO_SECONDS)))


def test_auto_gives_a_thread_per_thirty_seconds_up_to_the_cpus():
    long = make_input("flac", 1, 8000, 2 * AUTO_SECONDS + 1.0)
    short = make_input("flac", 1, 8000, AUTO_SECONDS - 1.0)
    assert decode_audio.decode(long, num_threads="auto").num_threads == auto_threads(61)
    assert decode_audio.decode(short, num_threads="auto").num_threads == 1
    # the default, in the main thread
    assert decode_audio.decode(long).num_threads == auto_threads(61)
    assert same(decode_audio.decode(long), decode_audio.decode(long, num_threads=1))


def test_auto_leaves_plain_wav_to_the_native_reader():
    long = make_input("wav_s16", 2, 16000, 2 * AUTO_SECONDS + 1.0)
    one = decode_audio.decode(long, num_threads=1)
    auto = decode_audio.decode(long, num_threads="auto")
    assert auto.num_threads == 1 and same(auto, one)
    asked = decode_audio.decode(long, num_threads=2)
    assert asked.num_threads == 2 and same(asked, one)


def test_other_threads_and_load_many_decode_each_input_on_one_thread():
    long = make_input("flac", 1, 8000, 2 * AUTO_SECONDS + 1.0)
    seen = []
    t = threading.Thread(target=lambda: seen.append(decode_audio.decode(long).num_threads))
    t.start()
    t.join()
    assert seen == [1]
    for threads in (1, 2):
        assert [a.num_threads for a in decode_audio.load_many([long] * 2, num_threads=threads)] \
            == [1, 1]
    # asked for explicitly, another thread splits too
    t = threading.Thread(target=lambda: seen.append(
        decode_audio.decode(long, num_threads=2).num_threads))
    t.start()
    t.join()
    assert seen == [1, 2]


@needs_torch
def test_dataloader_workers_decode_each_input_on_one_thread():
    import torch

    from loader_data import ThreadsUsed

    long = make_input("flac", 1, 8000, 2 * AUTO_SECONDS + 1.0)
    loader = torch.utils.data.DataLoader(ThreadsUsed([long] * 2), batch_size=None,
                                         num_workers=1)
    assert [int(x) for x in loader] == [1, 1]
    # the same dataset in the main process decodes with the default of the main thread
    assert [int(x) for x in ThreadsUsed([long])] == [auto_threads(61)]


# ---- errors and damaged input: what one thread gives ----

def damaged_flac(tmp_path) -> str:
    """A FLAC whose count is exact (STREAMINFO, last frame) with a damaged frame at 70 %."""
    data = bytearray(open(make_input("flac", 2, 44100, SECONDS), "rb").read())
    at = int(len(data) * 0.7)
    data[at:at + 64] = bytes(64)
    path = tmp_path / "damaged.flac"
    path.write_bytes(bytes(data))
    return str(path)


@pytest.mark.parametrize("on_error", ["skip", "raise"])
def test_a_failing_window_gives_the_one_thread_result_or_error(tmp_path, on_error):
    path = damaged_flac(tmp_path)
    assert decode_audio.info(path).num_frames == int(SECONDS * 44100)
    before = live_buffers()
    one, one_warnings = outcome(path, on_error=on_error, num_threads=1)
    for n in THREADS:
        many, many_warnings = outcome(path, on_error=on_error, num_threads=n)
        if on_error == "raise":
            assert many == one and "damaged.flac" in one[1]
        else:
            assert one.decode_errors > 0 and same(many, one)
            assert many_warnings == one_warnings and len(one_warnings) == 1
    one = many = None
    assert live_buffers() == before


def test_errors_name_the_source_once(tmp_path):
    path = tmp_path / "noise.flac"
    path.write_bytes(b"fLaC" + bytes(200))
    for n in (1, 2):
        with pytest.raises(DecodeAudioError) as e:
            decode_audio.decode(str(path), num_threads=n)
        assert str(e.value).count("noise.flac") == 1


# ---- files other encoders made, damaged ones among them ----

CORPUS_DIR = realworld.cache_dir()


def test_every_file_of_the_corpus_equals_its_one_thread_decode():
    entries = realworld.build(CORPUS_DIR)
    split = set()
    for name in sorted(entries):
        path = realworld.path_of(name, CORPUS_DIR)
        data = open(path, "rb").read()
        for kw in ({}, {"sample_rate": 16000, "channels_first": True}):
            one, one_warnings = outcome(path, num_threads=1, **kw)
            for src, n in ((path, 2), (data, 3)):
                many, many_warnings = outcome(src, num_threads=n, **kw)
                if isinstance(one, tuple):
                    assert isinstance(many, tuple) and many[0] == one[0], (name, kw, n)
                    continue
                assert same(many, one), (name, kw, n)
                assert len(many_warnings) == len(one_warnings), (name, kw, n)
                if many.num_threads > 1:
                    split.add(entries[name].kind)
    # the codecs of exact window entry split, from every container that times samples exactly
    assert {"flac/flac", "flac/ogg", "mp3/mp3", "vorbis/ogg", "pcm_s16le/wav", "pcm_s16be/aiff",
            "pcm_mulaw/au"} <= split, sorted(split)


# ---- Opus and AAC: the windows after the first found by verified convergence ----

@pytest.mark.parametrize("name", list(CONVERGENCE_INPUTS))
def test_opus_and_aac_windows_by_convergence_equal_one_thread(name):
    path = encode_for_convergence(name)
    one = decode_audio.decode(path, num_threads=1)
    n = one.num_frames
    for threads in THREADS:
        many = decode_audio.decode(path, num_threads=threads)
        assert same(many, one), (name, threads, many._struct.converged_preroll)
        assert many.num_threads == threads
        # the test is not vacuous: on the inputs whose windows verify, they did
        if name in CONVERGENCE_VERIFIES:
            assert many._struct.converged_preroll > 0, (name, threads)
    full = one.numpy()
    for offset, count in [(1, -1), (n // 3, n // 3), (n // 2 + 17, -1), (n - 5000, 4000)]:
        for threads in (2, 3):
            part = decode_audio.decode(path, frame_offset=offset, num_frames=count,
                                       num_threads=threads)
            expected = full[offset:] if count < 0 else full[offset:offset + count]
            assert part.numpy().tobytes() == expected.tobytes(), (name, offset, count, threads)
    for kw in ({"dtype": "int16", "channels_first": True}, {"num_channels": 1},
               {"sample_rate": 22050}):
        assert same(decode_audio.decode(path, num_threads=2, **kw),
                    decode_audio.decode(path, num_threads=1, **kw)), (name, kw)
    # resampled, the last window's decoder would be drained at the end: one thread
    assert decode_audio.decode(path, num_threads=2, sample_rate=22050).num_threads == 1


def test_aac_profiles_that_never_verify_keep_one_thread():
    path = encoded("he_aac", "m4a", ["-f", "lavfi", "-i", signal_source(2, 44100, 20.0),
                                     "-c:a", "aac", "-profile:a", "aac_main", "-b:a", "96k",
                                     "-fflags", "+bitexact", "-flags:a", "+bitexact"])
    one = decode_audio.decode(path, num_threads=1)
    many = decode_audio.decode(path, num_threads=2)
    assert many.num_threads == 1 and same(many, one)


# a window found by convergence is decoded in parts of at most 30 s (csrc/parallel.c)
CONVERGE_SPAN = 30


@pytest.mark.parametrize("name", ["opus_48k_stereo_96k", "aac_44k_mono_nopns"])
def test_long_converging_windows_are_decoded_in_parts(name):
    ext, channels, rate, codec = CONVERGENCE_INPUTS[name]
    seconds = 3.5 * CONVERGE_SPAN  # the window after the first holds more than one part
    path = encoded(f"long_{name}", ext, ["-f", "lavfi", "-i",
                                         signal_source(channels, rate, seconds), *codec,
                                         "-fflags", "+bitexact", "-flags:a", "+bitexact"])
    one = decode_audio.decode(path, num_threads=1)
    for threads in (2, 3):
        many = decode_audio.decode(path, num_threads=threads)
        assert many.num_threads == threads and same(many, one), threads
        assert many._struct.converged_preroll > 0, threads
