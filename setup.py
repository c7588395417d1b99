"""Builds libdecode_audio.so with `make lib` and ships it inside the wheel."""

import subprocess

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py

# Warnings do not fail a user's install: a deprecation in a newer FFmpeg than ours was
# tested with (our own builds, `make` and `make test`, keep -Werror).
MAKE_LIB = ["make", "lib", "WERROR="]


class BuildWithLibrary(build_py):
    def run(self):
        subprocess.check_call(MAKE_LIB)
        super().run()


class BinaryDistribution(Distribution):
    """The wheel carries a compiled library, so it is platform-specific."""

    def has_ext_modules(self):
        return True


setup(cmdclass={"build_py": BuildWithLibrary}, distclass=BinaryDistribution)
