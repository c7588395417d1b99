"""decode_audio.ray on a real local Ray cluster (the session's `ray_cluster`)."""

from __future__ import annotations

import gc
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT, make_input

import decode_audio
from decode_audio import DecodeAudioError


@pytest.fixture(autouse=True, scope="module")
def _collect_cycles():
    # tracebacks kept by pytest.raises hold frames whose locals hold Audio: free them here, so
    # later modules counting live buffers start from none
    yield
    gc.collect()

pytest.importorskip("ray")

# different formats, lengths, rates and channel counts; m4a (AAC) is one Ray's reader refuses
FILES = [("wav_s16", 1, 16000, 1.0), ("flac", 2, 44100, 2.0), ("mp3", 2, 44100, 1.5),
         ("aac", 2, 48000, 1.0), ("vorbis", 1, 16000, 0.5), ("opus", 2, 48000, 1.0),
         ("wav_s24", 6, 48000, 0.25)]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("audio")
    paths = []
    for i, (fmt, ch, rate, seconds) in enumerate(FILES):
        src = make_input(fmt, ch, rate, seconds)
        dst = root / f"{i:02d}_{fmt}{os.path.splitext(src)[1]}"
        shutil.copy(src, dst)
        paths.append(str(dst))
    (root / "notes.txt").write_text("not audio")
    return str(root), paths


def by_path(rows):
    return {row["path"]: row for row in rows}


def test_read_audio_rows_equal_decode(ray_cluster, folder):
    from decode_audio.ray import read_audio

    root, paths = folder
    rows = by_path(read_audio(root, include_paths=True).take_all())
    assert sorted(rows) == paths  # the text file is not an audio extension
    for path in paths:
        want = decode_audio.decode(path, channels_first=True)
        got = rows[path]
        assert got["sample_rate"] == want.sample_rate
        assert got["amplitude"].dtype == np.float32
        assert got["amplitude"].shape == want.shape  # (channels, frames)
        assert got["amplitude"].tobytes() == want.numpy().tobytes()


def test_read_audio_options_and_many_blocks(ray_cluster, folder):
    from decode_audio.ray import read_audio

    _, paths = folder
    options = dict(sample_rate=16000, num_channels=1, dtype="int16", frame_offset=100,
                   num_frames=3000)
    ds = read_audio(paths, include_paths=True, override_num_blocks=3, **options)
    rows = by_path(ds.take_all())
    assert set(ds.columns()) == {"amplitude", "sample_rate", "path"}
    for path in paths:
        want = decode_audio.decode(path, channels_first=True, **options)
        assert rows[path]["amplitude"].shape == (1, 3000)
        assert rows[path]["amplitude"].tobytes() == want.numpy().tobytes()
        assert rows[path]["sample_rate"] == 16000
    assert set(read_audio(paths).columns()) == {"amplitude", "sample_rate"}


def test_read_audio_agrees_with_rays_reader_on_wav_and_flac(ray_cluster, folder):
    import ray

    from decode_audio.ray import read_audio

    _, paths = folder
    chosen = [p for p in paths if p.endswith((".wav", ".flac"))]
    chosen = [p for p in chosen if "s24" not in p]  # soundfile reads 24-bit with other scaling
    ours = by_path(read_audio(chosen, include_paths=True).take_all())
    theirs = by_path(ray.data.read_audio(chosen, include_paths=True).take_all())
    assert sorted(ours) == sorted(theirs) == sorted(chosen)
    for path in chosen:
        assert ours[path]["sample_rate"] == theirs[path]["sample_rate"]
        assert ours[path]["amplitude"].shape == theirs[path]["amplitude"].shape
        np.testing.assert_array_equal(ours[path]["amplitude"], theirs[path]["amplitude"])


def test_rays_reader_fails_on_m4a_that_ours_decodes(ray_cluster, folder):
    import ray

    from decode_audio.ray import read_audio

    _, paths = folder
    m4a = [p for p in paths if p.endswith(".m4a")]
    with pytest.raises(Exception):
        ray.data.read_audio(m4a).take_all()
    (row,) = read_audio(m4a).take_all()
    assert row["amplitude"].shape == decode_audio.decode(m4a[0], channels_first=True).shape


def test_corrupt_file_raises_naming_it_or_becomes_an_error_row(ray_cluster, folder, tmp_path):
    from decode_audio.ray import read_audio

    _, paths = folder
    bad = tmp_path / "broken.mp3"
    bad.write_bytes(os.urandom(3000))
    with pytest.raises(Exception, match="broken.mp3") as info:
        read_audio([paths[0], str(bad), paths[1]]).take_all()
    assert isinstance(info.value, DecodeAudioError)  # Ray's error is also the library's
    rows = by_path(read_audio([paths[0], str(bad), paths[1]], include_paths=True,
                              on_error="skip").take_all())
    assert rows[str(bad)]["error"].startswith("DecodeAudioError: ")
    assert rows[str(bad)]["sample_rate"] == 0 and rows[str(bad)]["amplitude"].size == 0
    assert rows[paths[0]]["error"] is None and rows[paths[1]]["error"] is None
    assert rows[paths[1]]["amplitude"].tobytes() == decode_audio.decode(
        paths[1], channels_first=True).numpy().tobytes()


def test_decode_batch_over_read_binary_files(ray_cluster, folder):
    import ray

    from decode_audio.ray import DecodeBatch

    _, paths = folder
    ds = ray.data.read_binary_files(paths, include_paths=True)
    ds = ds.map_batches(DecodeBatch(sample_rate=22050), batch_size=3)
    rows = by_path(ds.take_all())
    assert "bytes" not in ds.columns()
    for path in paths:
        want = decode_audio.decode(path, channels_first=True, sample_rate=22050)
        assert rows[path]["amplitude"].tobytes() == want.numpy().tobytes()


def test_read_audio_through_read_binary_files_options(ray_cluster, folder):
    import pyarrow.fs

    from decode_audio.ray import read_audio

    _, paths = folder
    rows = by_path(read_audio(paths[:3], include_paths=True,
                              filesystem=pyarrow.fs.LocalFileSystem()).take_all())
    for path in paths[:3]:
        assert rows[path]["amplitude"].tobytes() == decode_audio.decode(
            path, channels_first=True).numpy().tobytes()


def test_the_adapter_module_never_shadows_ray():
    # decode_audio/ray.py must leave `import ray` to the real Ray, imported before or after it
    code = ("import decode_audio.ray as ours, ray, ray.data; import ray.data as d; "
            "assert ray.__file__ != ours.__file__ and hasattr(ray, 'init'); "
            "from decode_audio import ray as again; assert again is ours; "
            "ours._read_task_class(); print('ok')")
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"))
    for cwd in (ROOT, os.path.join(ROOT, "python")):
        run = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env,
                             capture_output=True, text=True, timeout=120)
        assert run.stdout.strip() == "ok", (cwd, run.stderr[-2000:])
