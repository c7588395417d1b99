"""Builds libdecode_audio.so and ships it inside the wheel.

`pip install .` runs `make lib`: the library links the system's FFmpeg shared libraries.
`DECODE_AUDIO_FFMPEG=bundled pip install .` runs `make bundled-lib` instead: the library links
a pinned FFmpeg built from source statically (build-tools/build-ffmpeg.sh), so the wheel needs
nothing but the C library.
"""

import os
import shutil
import subprocess

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py

try:
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:  # setuptools < 70
    from wheel.bdist_wheel import bdist_wheel

FFMPEG = os.environ.get("DECODE_AUDIO_FFMPEG", "system")
if FFMPEG not in ("system", "bundled"):
    raise SystemExit(f"DECODE_AUDIO_FFMPEG must be 'system' or 'bundled', not {FFMPEG!r}")
BUNDLED_LIB = os.path.join("build", "bundled", "libdecode_audio.so")
BUNDLED_LICENSES = os.path.join("build", "bundled", "ffmpeg-prefix", "share", "licenses")
# Warnings do not fail a user's install: a deprecation in a newer FFmpeg than ours was
# tested with warns. Our own builds (`make`, `make test`, `make wheel`) keep -Werror.
MAKE_FLAGS = ["WERROR="]


class BuildWithLibrary(build_py):
    def run(self):
        target = "bundled-lib" if FFMPEG == "bundled" else "lib"
        subprocess.check_call(["make", target, *MAKE_FLAGS])
        # build/lib may hold the other kind's library, newer than this one: copy regardless
        self.force = True
        super().run()
        package = os.path.join(self.build_lib, "decode_audio")
        # The licence texts of what the bundled library carries (FFmpeg, LAME, libopus, ...);
        # a system build carries none, even where an earlier bundled build left them.
        licenses = os.path.join(package, "licenses")
        shutil.rmtree(licenses, ignore_errors=True)
        if FFMPEG == "bundled":
            os.makedirs(package, exist_ok=True)
            shutil.copyfile(BUNDLED_LIB, os.path.join(package, "libdecode_audio.so"))
            shutil.copytree(BUNDLED_LICENSES, licenses)


class BinaryDistribution(Distribution):
    """The wheel carries a compiled library, so it is platform-specific."""

    def has_ext_modules(self):
        return True


class PlatformWheel(bdist_wheel):
    """Tagged py3-none-<platform>: the library is loaded with ctypes, so it does not depend on
    the Python version or its ABI, only on the platform."""

    def get_tag(self):
        _, _, platform = super().get_tag()
        return "py3", "none", platform


setup(
    cmdclass={"build_py": BuildWithLibrary, "bdist_wheel": PlatformWheel},
    distclass=BinaryDistribution,
)
