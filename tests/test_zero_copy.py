"""One decoded buffer, shared by NumPy, torch and DLPack, freed exactly once."""

from __future__ import annotations

import ctypes
import gc
import re
import os

import numpy as np
import pytest

from conftest import ROOT, make_input, needs_torch

import decode_audio
from decode_audio import _lib
from decode_audio._audio import live_buffers


@pytest.fixture
def path():
    return make_input("wav_s16", 2, 16000)


def test_numpy_view_shares_the_buffer_and_keeps_it_alive(path):
    gc.collect()
    before = live_buffers()
    audio = decode_audio.decode(path)
    assert live_buffers() == before + 1
    array = audio.numpy()
    assert array.ctypes.data == audio.data_ptr
    assert array.base is audio
    del audio
    gc.collect()
    assert live_buffers() == before + 1
    assert float(np.abs(array).max()) > 0.1  # still readable
    del array
    gc.collect()
    assert live_buffers() == before


@needs_torch
def test_torch_numpy_and_dlpack_share_one_pointer(path):
    import torch

    gc.collect()
    before = live_buffers()
    audio = decode_audio.decode(path)
    ptr = audio.data_ptr
    array = audio.numpy()
    tensor = audio.torch()
    via_torch_dlpack = torch.from_dlpack(audio)
    via_numpy_dlpack = np.from_dlpack(audio)
    assert array.ctypes.data == ptr
    assert tensor.data_ptr() == ptr
    assert via_torch_dlpack.data_ptr() == ptr
    assert via_numpy_dlpack.ctypes.data == ptr
    assert tuple(tensor.shape) == audio.shape and tensor.dtype == torch.float32
    # writes through one view are seen by the others
    array[0, 0] = 0.25
    assert tensor[0, 0].item() == 0.25 and via_numpy_dlpack[0, 0] == 0.25
    del audio, array
    gc.collect()
    assert live_buffers() == before + 1
    del tensor, via_torch_dlpack
    gc.collect()
    assert live_buffers() == before + 1
    del via_numpy_dlpack
    gc.collect()
    assert live_buffers() == before


@needs_torch
def test_load_returns_a_tensor_over_the_decoded_buffer(path):
    gc.collect()
    before = live_buffers()
    waveform, sample_rate = decode_audio.load(path)
    assert sample_rate == 16000
    assert tuple(waveform.shape) == (2, 16000)
    assert waveform.is_contiguous()
    assert live_buffers() == before + 1
    del waveform
    gc.collect()
    assert live_buffers() == before


@pytest.mark.parametrize("max_version,name", [(None, "dltensor"), ((0, 8), "dltensor"),
                                              ((1, 0), "dltensor_versioned"),
                                              ((1, 3), "dltensor_versioned")])
def test_dlpack_capsule_version_follows_the_consumer(path, max_version, name):
    gc.collect()
    before = live_buffers()
    audio = decode_audio.decode(path)
    capsule = audio.__dlpack__(max_version=max_version)
    assert f'"{name}"' in repr(capsule)
    assert audio.__dlpack_device__() == (1, 0)
    del audio
    gc.collect()
    assert live_buffers() == before + 1  # the unconsumed capsule holds a reference
    del capsule
    gc.collect()
    assert live_buffers() == before


def test_dlpack_refuses_what_it_cannot_do(path):
    audio = decode_audio.decode(path)
    with pytest.raises(BufferError):
        audio.__dlpack__(copy=True)
    with pytest.raises(BufferError):
        audio.__dlpack__(dl_device=(2, 0))
    with pytest.raises(BufferError):
        audio.__dlpack__(stream=1)


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "float32", "float64"])
def test_every_dtype_reaches_numpy_and_dlpack_with_its_type(path, dtype):
    audio = decode_audio.decode(path, dtype=dtype)
    assert audio.dtype == np.dtype(dtype)
    assert audio.numpy().dtype == np.dtype(dtype)
    assert np.from_dlpack(audio).dtype == np.dtype(dtype)
    assert audio.__array_interface__["typestr"] == np.dtype(dtype).str


def test_channels_first_is_c_contiguous_without_a_copy(path):
    audio = decode_audio.decode(path, channels_first=True)
    array = audio.numpy()
    assert array.shape == (2, 16000)
    assert array.flags.c_contiguous and array.flags.owndata is False
    assert array.ctypes.data == audio.data_ptr
    assert audio.shape == (2, 16000)


def test_every_function_of_the_header_is_declared():
    with open(os.path.join(ROOT, "csrc", "decode_audio.h")) as f:
        header = f.read()
    declared = set(re.findall(r"DA_API\s+[\w\s\*]+?\b(da_\w+)\s*\(", header))
    assert declared == set(_lib.DECLARED)
    for name in declared:
        fn = getattr(_lib, name)
        assert fn.argtypes is not None
        # every function that can fail fills a message and raises through errcheck
        # (da_strerror only writes a message, and cannot fail)
        takes_error = (fn.argtypes[-2:] == [ctypes.c_char_p, ctypes.c_size_t]
                       and name != "da_strerror")
        assert (getattr(fn, "errcheck", None) is _lib._errcheck) == takes_error, name


def test_error_codes_have_messages():
    buf = _lib.error_buffer()
    for code in (_lib.ERR_ARGUMENT, _lib.ERR_NO_AUDIO, _lib.ERR_TOO_SMALL, _lib.ERR_CALLBACK, -2):
        _lib.da_strerror(code, buf, _lib.ERROR_SIZE)
        assert buf.value and b"Error number" not in buf.value


def test_versions_are_the_running_ffmpeg():
    v = decode_audio.get_versions()
    assert v["decode_audio"] == (0, 1, 0)
    assert v["libavcodec"] >= (59, 37, 100)
    assert v["libavformat"][0] >= 59 and v["libswresample"][0] >= 4
    assert all(isinstance(x, tuple) and len(x) == 3 for x in v.values())
    assert "ffmpeg" not in v


@pytest.mark.parametrize("channels_first", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "int16"])
def test_a_resampled_decode_fills_an_array_of_exactly_its_size(dtype, channels_first):
    # the resampler's bound on what it may give is not a count: an exact array is enough
    path = make_input("flac", 2, 44100, 3.0)
    full = decode_audio.decode(path, sample_rate=16000, dtype=dtype,
                               channels_first=channels_first, num_threads=1).numpy()
    out = np.zeros(full.shape, full.dtype)
    audio = decode_audio.decode(path, sample_rate=16000, dtype=dtype,
                                channels_first=channels_first, out=out, num_threads=1)
    assert np.shares_memory(audio.numpy(), out)
    assert audio.numpy().tobytes() == full.tobytes()
    frames = full.shape[1] if channels_first else full.shape[0]
    small = np.zeros((2, frames - 1) if channels_first else (frames - 1, 2), full.dtype)
    with pytest.raises(ValueError, match=f"{frames} are needed"):
        decode_audio.decode(path, sample_rate=16000, dtype=dtype, channels_first=channels_first,
                            out=small, num_threads=1)
