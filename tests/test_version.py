"""One version number: pyproject.toml's, built into the library and read back by the package."""

from __future__ import annotations

import os
import re

import decode_audio

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def pyproject_version() -> str:
    with open(os.path.join(ROOT, "pyproject.toml"), encoding="utf-8") as f:
        match = re.search(r'^version = "([^"]+)"$', f.read(), re.MULTILINE)
    assert match is not None
    return match.group(1)


def test_package_library_and_pyproject_agree():
    version = pyproject_version()
    assert re.fullmatch(r"\d+\.\d+\.\d+", version)
    assert decode_audio.__version__ == version
    assert decode_audio.get_versions()["decode_audio"] == tuple(map(int, version.split(".")))


def test_no_other_file_writes_the_version():
    version = pyproject_version()
    for path in ("csrc/decode_audio.h", "csrc/internal.h", "python/decode_audio/__init__.py",
                 "setup.py"):
        with open(os.path.join(ROOT, path), encoding="utf-8") as f:
            text = f.read()
        assert version not in text, path
        assert not re.search(r"#define DA_VERSION_(MAJOR|MINOR|PATCH)", text), path
