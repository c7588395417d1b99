"""Audio and DecodeAudioError cross process boundaries: pickling, DataLoader workers, and DLPack
capsules that are never consumed."""

from __future__ import annotations

import gc
import os
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from conftest import ROOT, make_input, needs_torch

import decode_audio
from decode_audio import DecodeAudioError
from decode_audio._audio import live_buffers


@pytest.fixture(autouse=True, scope="module")
def _collect_cycles():
    # tracebacks kept by pytest.raises hold frames whose locals hold Audio: free them here, so
    # later modules counting live buffers start from none
    yield
    gc.collect()


CASES = [
    ("wav_s16", 2, 44100, {}),
    ("flac", 1, 16000, {"dtype": "int16"}),
    ("mp3", 2, 44100, {"channels_first": True}),
    ("aac", 6, 48000, {"dtype": "float64", "channels_first": True}),
    ("wav_u8", 1, 8000, {"dtype": "uint8"}),
    ("vorbis", 2, 48000, {"dtype": "int32", "sample_rate": 16000}),
    ("opus", 1, 48000, {"dtype": "int8"}),
]


def assert_same_audio(got, want) -> None:
    assert isinstance(got, decode_audio.Audio)
    assert (got.shape, got.dtype, got.sample_rate, got.num_frames, got.num_channels,
            got.channels_first, got.decode_errors) == (
        want.shape, want.dtype, want.sample_rate, want.num_frames, want.num_channels,
        want.channels_first, want.decode_errors)
    assert got.numpy().tobytes() == want.numpy().tobytes()


@pytest.mark.parametrize("fmt,channels,rate,kwargs", CASES)
@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_audio_pickles_to_an_equal_audio(fmt, channels, rate, kwargs, protocol):
    audio = decode_audio.decode(make_input(fmt, channels, rate), **kwargs)
    again = pickle.loads(pickle.dumps(audio, protocol=protocol))
    assert_same_audio(again, audio)
    # its own buffer, not a view of the pickle or of the original
    assert again.data_ptr != audio.data_ptr
    assert again.numpy().flags.writeable and again.numpy().flags.c_contiguous


def test_protocol_5_sends_the_samples_out_of_band_as_one_buffer():
    audio = decode_audio.decode(make_input("wav_s16", 2, 44100), dtype="int16")
    buffers = []
    data = pickle.dumps(audio, protocol=5, buffer_callback=buffers.append)
    assert len(buffers) == 1
    raw = buffers[0].raw()
    assert raw.nbytes == audio.numpy().nbytes
    # the buffer handed out is the decoded memory itself, not a copy
    assert np.frombuffer(raw, np.uint8).ctypes.data == audio.data_ptr
    assert len(data) < 300
    # whatever the receiver holds the buffer in: bytes, bytearray, the PickleBuffer itself
    for held in (bytes(raw), bytearray(raw), buffers[0]):
        again = pickle.loads(data, buffers=[held])
        assert_same_audio(again, audio)
    with pytest.raises(pickle.UnpicklingError):
        pickle.loads(data)


def test_unpickled_audio_is_freed_once():
    path = make_input("flac", 2, 16000)
    gc_before = live_buffers()
    audio = decode_audio.decode(path)
    again = pickle.loads(pickle.dumps(audio, protocol=5))
    view = again.numpy()
    assert live_buffers() == gc_before + 2
    del audio, again
    assert live_buffers() == gc_before + 1  # the view keeps its buffer
    assert view.sum() != 0
    del view
    assert live_buffers() == gc_before


def test_audio_decoded_into_a_wider_out_array_pickles_its_frames_only():
    path = make_input("wav_s16", 2, 16000)
    out = np.zeros((2, 20000), np.float32)
    audio = decode_audio.decode(path, out=out, channels_first=True)
    assert audio.shape == (2, 16000)
    again = pickle.loads(pickle.dumps(audio, protocol=5))
    assert again.shape == (2, 16000)
    assert np.array_equal(again.numpy(), decode_audio.decode(path, channels_first=True).numpy())


def test_empty_audio_pickles():
    audio = decode_audio.decode(make_input("wav_s16", 1, 16000), frame_offset=16000)
    assert audio.num_frames == 0
    again = pickle.loads(pickle.dumps(audio, protocol=5))
    assert again.shape == (0, 1) and again.sample_rate == 16000


def test_pickle_whose_samples_do_not_fit_its_shape_is_refused():
    from decode_audio._audio import _unpickle

    with pytest.raises(ValueError, match="holds 7 bytes; its shape needs 8"):
        _unpickle(b"\0" * 7, "int16", 2, 2, 16000, False, 0)
    with pytest.raises(DecodeAudioError, match="invalid shape"):
        _unpickle(b"", "int16", 0, 0, 16000, False, 0)


@needs_torch
def test_unpickled_audio_reaches_torch_numpy_and_dlpack_without_copies():
    import torch

    audio = decode_audio.decode(make_input("mp3", 2, 44100), channels_first=True)
    again = pickle.loads(pickle.dumps(audio, protocol=5))
    tensor = again.torch()
    assert tensor.data_ptr() == again.data_ptr == np.from_dlpack(again).ctypes.data
    assert torch.equal(tensor, audio.torch())
    assert torch.from_dlpack(again.__dlpack__(max_version=(1, 0))).shape == (2, audio.num_frames)


def test_decode_audio_error_pickles_with_code_message_and_source(tmp_path):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF\0\0\0\0WAVEfmt " + os.urandom(64))
    with pytest.raises(DecodeAudioError) as info:
        decode_audio.decode(str(bad))
    error = info.value
    assert error.source == str(bad) and error.code < 0 and str(bad) in error.message
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        again = pickle.loads(pickle.dumps(error, protocol=protocol))
        assert type(again) is DecodeAudioError
        assert (again.code, again.message, again.source, str(again)) == (
            error.code, error.message, error.source, str(error))
    made = DecodeAudioError("x: y", -22)
    again = pickle.loads(pickle.dumps(made))
    assert (again.code, again.message, again.source) == (-22, "x: y", None)


def test_decode_error_names_bytes_as_its_source():
    with pytest.raises(DecodeAudioError) as info:
        decode_audio.decode(b"not audio at all" * 10)
    assert info.value.source == "<bytes of 160 bytes>"


@needs_torch
@pytest.mark.parametrize("context", ["fork", "spawn", "forkserver"])
def test_dataloader_workers_return_audio(context):
    import torch

    from loader_data import Decoded

    paths = [make_input(fmt, ch, rate) for fmt, ch, rate, _ in CASES]
    dataset = Decoded(paths)
    loader = torch.utils.data.DataLoader(dataset, batch_size=None, num_workers=2,
                                         multiprocessing_context=context, timeout=120)
    got = list(loader)
    assert len(got) == len(paths)
    for i, audio in enumerate(got):
        assert_same_audio(audio, dataset[i])
    # and batched, with a collate_fn that keeps them as they are
    loader = torch.utils.data.DataLoader(dataset, batch_size=3, num_workers=2, collate_fn=list,
                                         multiprocessing_context=context, timeout=120)
    batches = list(loader)
    assert [len(b) for b in batches] == [3, 3, 1]
    assert_same_audio(batches[2][0], dataset[6])


@needs_torch
def test_dataloader_worker_error_reaches_the_main_process(tmp_path):
    import torch

    from loader_data import Decoded

    bad = tmp_path / "bad.mp3"
    bad.write_bytes(os.urandom(4000))
    loader = torch.utils.data.DataLoader(Decoded([str(bad)]), batch_size=None, num_workers=1,
                                         multiprocessing_context="spawn", timeout=120)
    with pytest.raises(DecodeAudioError, match="bad.mp3"):
        list(loader)


# A one-minute stereo file decodes to 21 MB of float32: a capsule leaking its buffer shows.
_CAPSULES = """
import gc, sys
if sys.argv[1] == "torch":
    import torch
import decode_audio
from decode_audio._audio import live_buffers


def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20

audio = decode_audio.decode(sys.argv[2])
for version in (None, (1, 0)):
    audio.__dlpack__(max_version=version)          # dropped at once
start = rss_mb()
for i in range(60):
    capsule = audio.__dlpack__(max_version=None if i % 2 else (1, 0))
    assert live_buffers() == 1
    del capsule
held = [audio.__dlpack__() for _ in range(3)]
del audio
gc.collect()
assert live_buffers() == 1, live_buffers()
del held
print(live_buffers(), round(rss_mb() - start, 1))
# a capsule still alive when the interpreter exits
keep = decode_audio.decode(sys.argv[2]).__dlpack__()
"""


@pytest.mark.parametrize("with_torch", [False, True], ids=["without-torch", "with-torch"])
def test_unconsumed_dlpack_capsules_free_their_buffer(with_torch, tmp_path):
    if with_torch:
        pytest.importorskip("torch")
    from conftest import ffmpeg

    path = str(tmp_path / "minute.wav")
    ffmpeg("-f", "lavfi", "-i", "sine=f=440:d=60:r=44100", "-ac", "2", path)
    script = tmp_path / "capsules.py"
    script.write_text(textwrap.dedent(_CAPSULES))
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"))
    run = subprocess.run([sys.executable, str(script), "torch" if with_torch else "-", path],
                         capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 0, run.stderr
    live, grown_mb = run.stdout.split()
    assert live == "0"
    # 60 leaked capsules would hold 1.2 GB; one buffer's worth of slack is allowed
    assert float(grown_mb) < 25, grown_mb


_SHARED_PROTOTYPES = """
import ctypes, gc, sys
py = ctypes.pythonapi
def meddle():
    # what another module may do to the process-wide ctypes.pythonapi function objects
    for name in ("PyCapsule_IsValid", "PyCapsule_GetPointer", "PyCapsule_New"):
        getattr(py, name).argtypes = [ctypes.py_object, ctypes.c_char_p][: 2 if name != "PyCapsule_New" else 1]
        getattr(py, name).restype = ctypes.c_int
if sys.argv[1] == "before":
    meddle()
import decode_audio
from decode_audio._audio import live_buffers
if sys.argv[1] == "after":
    meddle()
audio = decode_audio.decode(sys.argv[2])
for version in (None, (1, 0)):
    capsule = audio.__dlpack__(max_version=version)
    assert "dltensor" in repr(capsule)
    del capsule
import numpy as np
assert np.from_dlpack(audio).shape == audio.shape
del audio
gc.collect()
print(live_buffers())
"""


@pytest.mark.parametrize("when", ["before", "after"])
def test_capsules_do_not_depend_on_the_shared_ctypes_pythonapi(when, tmp_path):
    # A ctypes destructor calling ctypes.pythonapi.PyCapsule_IsValid found it false for both
    # names once another module had set that shared function's argtypes to py_object: every
    # unconsumed capsule kept its buffer.
    script = tmp_path / "meddle.py"
    script.write_text(textwrap.dedent(_SHARED_PROTOTYPES))
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"))
    run = subprocess.run([sys.executable, str(script), when, make_input("wav_s16", 2, 16000)],
                         capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "0"
