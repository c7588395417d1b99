"""`pip install .` builds the C library and ships it, so the package imports anywhere."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile

from conftest import GOLDEN, ROOT


def test_wheel_ships_the_library_and_imports_outside_the_repo(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(tmp_path), ROOT], check=True, capture_output=True)
    wheels = list(tmp_path.glob("decode_audio-*.whl"))
    assert len(wheels) == 1
    with zipfile.ZipFile(wheels[0]) as z:
        names = z.namelist()
        assert "decode_audio/libdecode_audio.so" in names
        assert "decode_audio/py.typed" in names
        z.extractall(tmp_path / "site")
    assert "py3-none-any" not in wheels[0].name  # platform-specific: it carries a binary
    code = ("import decode_audio, sys; a = decode_audio.decode(sys.argv[1], dtype='int16'); "
            "print(decode_audio.__file__); print(a.num_frames)")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",
                                                            "DECODE_AUDIO_LIBRARY")}
    env["PYTHONPATH"] = str(tmp_path / "site")
    r = subprocess.run([sys.executable, "-c", code, os.path.join(GOLDEN, "test.wav")],
                       cwd=tmp_path, env=env, capture_output=True, text=True, check=True)
    where, frames = r.stdout.split()
    assert where.startswith(str(tmp_path / "site"))
    assert frames == "40000"
