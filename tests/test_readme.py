"""Every ```python and ```sh block of README.md runs, in order, in a temporary directory holding
the audio files it names (generated), so the README cannot drift from the code. A block that
cannot run here is preceded by ``<!-- readme-test: skip (why) -->``. The Pipelines section's
blocks run in tests/test_readme_pipelines.py, with the engines and the inputs they name."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from typing import List, Tuple

import pytest

from conftest import GOLDEN, HAVE_TORCH, ROOT, ffmpeg, signal_source

README = os.path.join(ROOT, "README.md")
BLOCK = re.compile(r"(<!-- readme-test: (\w+)[^>]*-->\n)?```(python|sh)\n(.*?)```", re.S)


def blocks() -> List[Tuple[str, str, int]]:
    """(language, code, line) of every block the test runs, in order."""
    text = open(README).read()
    pipelines = text.index("\n## Pipelines\n")
    pipelines = range(pipelines, text.index("\n## ", pipelines + 1))
    found = []
    for m in BLOCK.finditer(text):
        if m.start() in pipelines:
            continue
        directive, language, code = m.group(2), m.group(3), m.group(4)
        if directive is not None and directive != "skip":
            raise ValueError(f"README.md: unknown readme-test directive {directive!r}")
        if directive != "skip":
            found.append((language, code, text.count("\n", 0, m.start(3)) + 1))
    return found


def make_files(where) -> None:
    """The files the README's examples open: speech (16 kHz mono, 3.4 s), music, a long WAV."""
    speech = signal_source(1, 16000, 3.4)
    ffmpeg("-f", "lavfi", "-i", speech, "-c:a", "flac", str(where / "speech.flac"))
    ffmpeg("-f", "lavfi", "-i", speech, str(where / "speech.wav"))
    ffmpeg("-f", "lavfi", "-i", signal_source(2, 44100, 5), "-c:a", "libmp3lame",
           str(where / "music.mp3"))
    ffmpeg("-f", "lavfi", "-i", signal_source(1, 16000, 10), str(where / "long.wav"))
    shutil.copy(os.path.join(GOLDEN, "test.wav"), where / "test.wav")


def test_the_readme_has_blocks_and_only_few_are_skipped():
    text = open(README).read()
    ran = blocks()
    assert sum(1 for lang, _, _ in ran if lang == "python") >= 3
    assert any(lang == "sh" for lang, _, _ in ran)
    assert text.count("<!-- readme-test: skip") <= 2


@pytest.mark.skipif(not HAVE_TORCH, reason="the README's examples use torch")
def test_every_readme_block_runs(tmp_path):
    make_files(tmp_path)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "decode-audio"  # the console script pip installs runs this same main()
    script.write_text(f"#!{sys.executable}\nimport sys\nfrom decode_audio._cli import main\n"
                      "sys.exit(main())\n")
    script.chmod(0o755)
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"),
               PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}", MPLBACKEND="Agg")
    program = ["import decode_audio"]
    for language, code, line in blocks():
        if language == "python":
            program.append(f"# README.md line {line}\n{code}")
            continue
        r = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", code], cwd=tmp_path, env=env,
                           capture_output=True, text=True)
        assert r.returncode == 0, f"README.md line {line}:\n{code}\n{r.stderr}"
    (tmp_path / "readme.py").write_text("\n".join(program))
    r = subprocess.run([sys.executable, "readme.py"], cwd=tmp_path, env=env,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("AudioMetaData(sample_rate=16000, num_frames=54400")
    assert (tmp_path / "out.raw").read_bytes() == open(os.path.join(GOLDEN, "golden.raw"),
                                                       "rb").read()
    assert decode_audio_info(tmp_path / "clip.mp4") == (16000, 54400)


def decode_audio_info(path) -> Tuple[int, int]:
    import decode_audio

    meta = decode_audio.info(path)
    return meta.sample_rate, meta.num_frames
