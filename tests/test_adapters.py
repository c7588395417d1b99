"""The adapters against their real engines: Hugging Face datasets, WebDataset, lhotse, Dask;
and the package without any of them."""

from __future__ import annotations

import gc
import io
import os
import subprocess
import sys
import tarfile

import numpy as np
import pytest

from conftest import ROOT, make_input, needs_torch

import decode_audio


@pytest.fixture(autouse=True, scope="module")
def _collect_cycles():
    # tracebacks kept by pytest.raises hold frames whose locals hold Audio: free them here, so
    # later modules counting live buffers start from none
    yield
    gc.collect()


MIXED = [("wav_s16", 1, 16000, 1.0), ("flac", 2, 44100, 0.5), ("mp3", 2, 44100, 1.0),
         ("aac", 2, 48000, 0.5), ("opus", 1, 48000, 0.5), ("vorbis", 6, 48000, 0.25)]


@pytest.fixture(scope="module")
def paths():
    return [make_input(fmt, ch, rate, seconds) for fmt, ch, rate, seconds in MIXED]


def test_package_and_adapters_import_without_the_engines():
    # the engines are made unimportable; the adapters only need them when called
    code = """
import sys
for name in ("ray", "dask", "distributed", "datasets", "webdataset", "lhotse", "torchcodec"):
    sys.modules[name] = None
import decode_audio, decode_audio.ray, decode_audio.hf, decode_audio.webdataset
import decode_audio.lhotse

for name in ("ray", "datasets", "webdataset", "lhotse"):
    assert sys.modules[name] is None, name
try:
    decode_audio.lhotse.DecodeAudioBackend
except ImportError:
    print("ok")
"""
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"))
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=120)
    assert run.stdout.strip() == "ok", run.stderr[-3000:]


# ---- Hugging Face datasets ----

def hf_expected(path, **kwargs):
    audio = decode_audio.decode(path, channels_first=True, **kwargs)
    return audio.numpy()[0] if audio.num_channels == 1 else audio.numpy()


def test_hf_runs_without_torchcodec():
    pytest.importorskip("datasets")
    import importlib.util

    assert importlib.util.find_spec("torchcodec") is None


@pytest.mark.parametrize("via", ["path", "bytes"])
def test_hf_transform_decodes_paths_and_bytes(paths, via):
    datasets = pytest.importorskip("datasets")
    from decode_audio.hf import decode_batch

    if via == "path":
        ds = datasets.Dataset.from_dict({"audio": paths, "n": list(range(len(paths)))})
    else:
        entries = [{"bytes": open(p, "rb").read(), "path": None} for p in paths]
        ds = datasets.Dataset.from_dict({"audio": entries, "n": list(range(len(paths)))})
    ds = ds.cast_column("audio", datasets.Audio(decode=False))
    ds = ds.with_transform(decode_batch)
    for i, path in enumerate(paths):
        row = ds[i]
        assert row["n"] == i
        want = hf_expected(path)
        assert row["audio"]["array"].shape == want.shape
        assert row["audio"]["array"].tobytes() == want.tobytes()
        assert row["audio"]["sampling_rate"] == decode_audio.info(path).sample_rate
        assert row["audio"]["path"] == (path if via == "path" else None)
    batch = ds[1:4]
    assert [a["array"].shape for a in batch["audio"]] == [hf_expected(p).shape
                                                         for p in paths[1:4]]


def test_hf_map_batched_stores_decoded_audio(paths):
    datasets = pytest.importorskip("datasets")
    from decode_audio.hf import decode_batch, decoded_feature

    ds = datasets.Dataset.from_dict({"audio": paths}).cast_column(
        "audio", datasets.Audio(decode=False))
    # the column's type changes from Audio to the decoded struct
    features = ds.features.copy()
    features["audio"] = decoded_feature(num_channels=1)
    mapped = ds.map(decode_batch, batched=True, batch_size=4, features=features,
                    fn_kwargs={"sample_rate": 16000, "num_channels": 1})
    assert mapped.features["audio"]["sampling_rate"] == datasets.Value("int64")
    stereo = datasets.Features({"audio": decoded_feature(num_channels=2, dtype="int16")})
    two = ds.map(decode_batch, batched=True, features=stereo,
                 fn_kwargs={"num_channels": 2, "dtype": "int16", "num_frames": 100})
    assert np.asarray(two.with_format("numpy")[0]["audio"]["array"]).shape == (2, 100)
    mapped = mapped.with_format("numpy")
    for i, path in enumerate(paths):
        want = hf_expected(path, sample_rate=16000, num_channels=1)
        got = mapped[i]["audio"]
        assert got["sampling_rate"] == 16000 and got["path"] == path
        assert np.asarray(got["array"], np.float32).tobytes() == want.tobytes()


def test_hf_entry_without_path_or_bytes_is_refused():
    from decode_audio.hf import decode_batch

    with pytest.raises(ValueError, match="needs 'path' or 'bytes'"):
        decode_batch({"audio": [{"path": None, "bytes": None}]})


# ---- WebDataset ----

@needs_torch
def test_webdataset_handler_decodes_audio_members_of_a_tar(paths, tmp_path):
    wds = pytest.importorskip("webdataset")
    import torch

    from decode_audio.webdataset import handler

    shard = tmp_path / "shard.tar"
    members = []
    with tarfile.open(shard, "w") as tar:
        for i, path in enumerate(paths):
            ext = os.path.splitext(path)[1][1:]
            ext = "opus" if ext == "opus" else ext
            for name, data in ((f"s{i:03d}.{ext}", open(path, "rb").read()),
                               (f"s{i:03d}.txt", f"clip {i}".encode())):
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            members.append(ext)
    ds = wds.WebDataset(str(shard), shardshuffle=False).decode(
        handler("flac mp3 wav ogg opus m4a", sample_rate=16000))
    samples = list(ds)
    assert len(samples) == len(paths)
    for i, (sample, path, ext) in enumerate(zip(samples, paths, members)):
        assert sample["txt"] == f"clip {i}"  # text members go to WebDataset's own handlers
        tensor, rate = sample[ext]
        want = decode_audio.decode(path, sample_rate=16000, channels_first=True)
        assert rate == 16000 and isinstance(tensor, torch.Tensor)
        assert tensor.numpy().tobytes() == want.numpy().tobytes()


def test_webdataset_handler_leaves_other_keys_and_writes_no_file(paths, tmp_path, monkeypatch):
    import tempfile

    from decode_audio.webdataset import handler

    decode_member = handler("flac wav", normalize=False)
    assert decode_member("txt", b"hello") is None
    assert decode_member("mp3", open(paths[2], "rb").read()) is None
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "no-such-dir"))
    pytest.importorskip("torch")
    tensor, rate = decode_member("x.WAV", open(paths[0], "rb").read())
    assert rate == 16000 and str(tensor.dtype) == "torch.int16" and tensor.shape[0] == 1
    assert not os.path.exists(tmp_path / "no-such-dir")
    with pytest.raises(ValueError):
        handler("")


# ---- lhotse ----

@pytest.mark.parametrize("fmt,channels,rate", [("flac", 2, 44100), ("mp3", 2, 44100),
                                                ("wav_s16", 1, 16000), ("aac", 1, 48000)])
def test_lhotse_window_equals_the_slice_of_a_full_decode(fmt, channels, rate):
    pytest.importorskip("lhotse")
    from lhotse import Recording
    from lhotse.audio.backend import audio_backend

    from decode_audio.lhotse import DecodeAudioBackend

    path = make_input(fmt, channels, rate, 2.0)
    full = decode_audio.decode(path, channels_first=True).numpy()
    with audio_backend(DecodeAudioBackend()):
        recording = Recording.from_file(path)
        assert recording.num_samples == full.shape[1]
        assert recording.sampling_rate == rate and recording.num_channels == channels
        got = recording.load_audio(offset=0.37, duration=0.81)
        start = round(0.37 * rate)
        assert got.shape == (channels, round(0.81 * rate))
        assert got.tobytes() == full[:, start:start + got.shape[1]].tobytes()
        everything = recording.load_audio()
        assert everything.tobytes() == full.tobytes()


def test_lhotse_backend_forces_the_opus_rate_and_reads_file_objects():
    pytest.importorskip("lhotse")
    from decode_audio.lhotse import DecodeAudioBackend

    backend = DecodeAudioBackend()
    path = make_input("opus", 2, 48000, 1.0)
    samples, rate = backend.read_audio(path, offset=0.25, duration=0.5,
                                       force_opus_sampling_rate=16000)
    full = decode_audio.decode(path, sample_rate=16000, channels_first=True).numpy()
    assert rate == 16000 and samples.shape == (2, 8000)
    assert samples.tobytes() == full[:, 4000:12000].tobytes()
    meta = backend.info(path, force_opus_sampling_rate=16000)
    assert (meta.samplerate, meta.frames, meta.channels) == (16000, full.shape[1], 2)
    # not Opus: the forced rate does not apply
    wav = make_input("wav_s16", 1, 8000, 1.0)
    assert backend.read_audio(wav, force_opus_sampling_rate=16000)[1] == 8000
    with open(path, "rb") as f:
        samples, rate = backend.read_audio(io.BytesIO(f.read()), offset=0.25, duration=0.5,
                                           force_opus_sampling_rate=16000)
    assert rate == 16000 and samples.tobytes() == full[:, 4000:12000].tobytes()
    assert decode_audio.lhotse.DecodeAudioBackend is DecodeAudioBackend
    import pickle

    assert type(pickle.loads(pickle.dumps(backend))) is DecodeAudioBackend


def test_lhotse_info_is_exact_where_the_header_is_not():
    pytest.importorskip("lhotse")
    from decode_audio.lhotse import DecodeAudioBackend

    path = make_input("mp3", 1, 16000, 1.3)
    meta = DecodeAudioBackend().info(path)
    assert meta.frames == decode_audio.decode(path).num_frames
    assert meta.duration == pytest.approx(meta.frames / 16000)


# ---- Dask: the README's recipe, on a LocalCluster with worker processes ----

def test_dask_bag_and_map_partitions_on_worker_processes(paths, tmp_path):
    pytest.importorskip("dask.bag")
    distributed = pytest.importorskip("distributed")
    import dask.bag as db

    from decode_audio import DecodeAudioError, decode, load_many

    bad = tmp_path / "bad.flac"
    bad.write_bytes(os.urandom(2000))
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        bag = db.from_sequence(paths, npartitions=3)
        clips = bag.map(decode, sample_rate=16000).compute()
        assert all(isinstance(c, decode_audio.Audio) for c in clips)
        for path, clip in zip(paths, clips):
            assert clip.numpy().tobytes() == decode(path, sample_rate=16000).numpy().tobytes()
        # load_many over each partition: threads inside each worker process
        per_partition = bag.map_partitions(load_many, num_threads=2).compute()
        assert [c.shape for c in per_partition] == [decode(p).shape for p in paths]
        # an error crosses back with its code and source
        with pytest.raises(DecodeAudioError) as info:
            db.from_sequence([str(bad)]).map(decode).compute()
        assert info.value.source == str(bad) and info.value.code < 0
        assert len(client.scheduler_info()["workers"]) == 2
