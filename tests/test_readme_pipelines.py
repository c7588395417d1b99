"""The README's Pipelines blocks run as written, on real files and the real engines."""

from __future__ import annotations

import gc
import io
import os
import re
import tarfile

import pytest

from conftest import ROOT, make_input, needs_torch


@pytest.fixture(autouse=True, scope="module")
def _collect_cycles():
    # tracebacks kept by pytest.raises hold frames whose locals hold Audio: free them here, so
    # later modules counting live buffers start from none
    yield
    gc.collect()


def pipeline_blocks():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        text = f.read()
    section = text[text.index("## Pipelines\n"):]
    section = section[:section.index("\n## ", 1)]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def test_every_engine_has_its_block():
    joined = "\n".join(pipeline_blocks())
    for name in ("DataLoader", "decode_audio.ray", "dask.bag", "decode_audio.hf",
                 "decode_audio.webdataset", "decode_audio.lhotse"):
        assert name in joined, name


@needs_torch
@pytest.mark.parametrize("index", range(len(pipeline_blocks())))
def test_readme_pipeline_block_runs(index, tmp_path, request):
    block = pipeline_blocks()[index]
    engine = {"ray": "ray", "dask": "distributed", "datasets": "datasets",
              "webdataset": "webdataset", "lhotse": "lhotse"}
    for module, needed in engine.items():
        if f"import {module}" in block or f"from {module}" in block or \
                f"decode_audio.{module}" in block:
            pytest.importorskip(needed)
    if "decode_audio.ray" in block:
        request.getfixturevalue("ray_cluster")
    paths = [make_input("flac", 1, 16000, 1.0), make_input("mp3", 2, 44100, 1.0),
             make_input("wav_s16", 2, 16000, 0.5), make_input("aac", 1, 48000, 0.5)]
    shard = str(tmp_path / "shard.tar")
    with tarfile.open(shard, "w") as tar:
        for i, path in enumerate(paths[:1] * 3):
            for name, data in ((f"{i:03d}.flac", open(path, "rb").read()),
                               (f"{i:03d}.txt", b"words")):
                member = tarfile.TarInfo(name)
                member.size = len(data)
                tar.addfile(member, io.BytesIO(data))
    scope = {"paths": paths, "shard": shard, "__name__": "readme_block"}
    exec(compile(block, f"README.md block {index}", "exec"), scope)
    check_results(block, scope)


def check_results(block: str, scope: dict) -> None:
    """What each block leaves behind is what its comments say."""
    import decode_audio

    paths = scope["paths"]
    if "DataLoader" in block:
        assert scope["lengths"] == [decode_audio.decode(p, sample_rate=16000).num_frames
                                    for p in paths]
    elif "decode_audio.ray" in block:
        row = scope["row"]
        assert row["amplitude"].dtype.name == "float32" and row["sample_rate"] == 16000
        assert scope["decoded"].count() == len(paths)
        assert "error" in scope["skipped"].columns()
    elif "dask.bag" in block:
        assert [c.sample_rate for c in scope["clips"]] == [16000] * len(paths)
        assert len(scope["per_partition"]) == len(paths)
    elif "decode_audio.hf" in block:
        assert scope["first"]["sampling_rate"] == 16000 and scope["first"]["path"] == paths[0]
        assert scope["stored"][1]["audio"]["sampling_rate"] == 16000
    elif "decode_audio.webdataset" in block:
        assert scope["sample_rate"] == 16000 and scope["waveform"].shape[0] == 1
    elif "decode_audio.lhotse" in block:
        assert scope["window"].shape == (1, 8000)
    else:
        raise AssertionError("a block of no known engine")
