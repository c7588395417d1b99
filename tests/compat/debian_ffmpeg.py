#!/usr/bin/env python3
"""Another Debian release's FFmpeg, unpacked into a cache, for the version matrix.

    debian_ffmpeg.py RELEASE dev       headers and libraries to compile and link against
    debian_ffmpeg.py RELEASE runtime   everything the libraries and the `ffmpeg` program need to
                                       run, down to that release's C library and loader
    debian_ffmpeg.py RELEASE names PACKAGE...
                                       fails unless the release has every package named (the
                                       Makefile's apt install must work there)
    debian_ffmpeg.py RELEASE runtime --wrappers DIR
                                       also writes DIR/python3, DIR/ffmpeg and DIR/ffprobe:
                                       this Python and that release's programs, each started by
                                       that release's loader on that release's libraries

Prints the directory the packages were unpacked into (its `pkgconfig/` holds the .pc files,
rewritten to point into it). The machine's own apt set-up is never used or changed: apt runs with
its own sources list, package lists and an empty "installed" list under the cache, and the
packages are unpacked with `dpkg -x`, not installed.

The cache lives in $DECODE_AUDIO_CACHE, else $XDG_CACHE_HOME/decode_audio, else
~/.cache/decode_audio; an unpacked tree is named after the release and a digest of the exact
package versions in it, so a new upload makes a new tree (and the old one is removed) while a
fresh clone reuses what is there. The package lists are refreshed at most every few hours; when
the archive cannot be reached, lists and trees already in the cache are used.
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from typing import Dict, List

MIRROR = "http://deb.debian.org/debian"
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
LISTS_MAX_AGE = 6 * 3600
# The FFmpeg libraries the project links, as Debian names their development packages.
DEV_PACKAGES = ["libavcodec-dev", "libavformat-dev", "libavutil-dev", "libswresample-dev",
                "libavfilter-dev", "libswscale-dev"]
# What the test suite runs on top of those: the CLI oracles, libsox for the sox backend (named
# through its -dev package: Debian 14 replaces libsox3 with sox-ng's), and the C library whose
# loader runs the programs.
RUNTIME_PACKAGES = DEV_PACKAGES + ["ffmpeg", "libsox-dev", "libsox-fmt-all", "libc6"]
FFMPEG_LIB = re.compile(r"^lib(av|sw|postproc)")
# this machine's, whose programs run the other release's libraries
ARCH = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True,
                      check=True).stdout.strip()


def cache_root() -> str:
    base = os.environ.get("DECODE_AUDIO_CACHE")
    if not base:
        xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        base = os.path.join(xdg, "decode_audio")
    return os.path.join(base, "debian")


def log(msg: str) -> None:
    print(f"debian_ffmpeg: {msg}", file=sys.stderr, flush=True)


class Apt:
    """apt-get and apt-cache with a private state directory for one release."""

    def __init__(self, release: str):
        self.release = release
        self.dir = os.path.join(cache_root(), f"apt-{release}")
        self.lists = os.path.join(self.dir, "lists")
        self.archives = os.path.join(self.dir, "archives")
        for d in (os.path.join(self.lists, "partial"), os.path.join(self.archives, "partial"),
                  os.path.join(self.dir, "cache"), os.path.join(self.dir, "preferences.d")):
            os.makedirs(d, exist_ok=True)
        # written only when they change: apt rebuilds its cache when they are touched
        self.sources = os.path.join(self.dir, "sources.list")
        line = f"deb [signed-by={KEYRING}] {MIRROR} {release} main\n"
        if not os.path.exists(self.sources) or open(self.sources).read() != line:
            with open(self.sources, "w") as f:
                f.write(line)
        self.status = os.path.join(self.dir, "status")
        if not os.path.exists(self.status) or os.path.getsize(self.status) > 0:
            # nothing counts as installed: every dependency is listed
            open(self.status, "w").close()

    def options(self) -> List[str]:
        opts = {
            "Dir::Etc::sourcelist": self.sources, "Dir::Etc::sourceparts": "-",
            "Dir::Etc::preferences": os.path.join(self.dir, "preferences"),
            "Dir::Etc::preferencesparts": os.path.join(self.dir, "preferences.d"),
            "Dir::State::Lists": self.lists,
            "Dir::State::status": self.status, "Dir::Cache": os.path.join(self.dir, "cache"),
            "Dir::Cache::archives": self.archives,
            # kept even where the machine's apt.conf turns the caches off (container images)
            "Dir::Cache::pkgcache": os.path.join(self.dir, "cache", "pkgcache.bin"),
            "Dir::Cache::srcpkgcache": "",  # only the binary cache is read again
            "APT::Architecture": ARCH, "APT::Architectures": ARCH,
            "APT::Install-Recommends": "false",
            "APT::Get::List-Cleanup": "true", "Debug::NoLocking": "true",
            "APT::Sandbox::User": "root" if os.getuid() == 0 else os.environ.get("USER", ""),
        }
        return [a for k, v in opts.items() for a in ("-o", f"{k}={v}")]

    def run(self, tool: str, *args: str) -> str:
        r = subprocess.run([tool, *self.options(), *args], capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"{tool} {' '.join(args)} failed:\n{r.stderr.strip()}")
        return r.stdout

    def update(self) -> None:
        stamp = os.path.join(self.dir, "updated")
        fresh = os.path.exists(stamp) and time.time() - os.path.getmtime(stamp) < LISTS_MAX_AGE
        if fresh:
            return
        try:
            self.run("apt-get", "-q", "update")
            open(stamp, "w").close()
        except RuntimeError as e:
            if not any(n.endswith("Packages") or ".Packages." in n or n.endswith("_Packages.lz4")
                       for n in os.listdir(self.lists)):
                raise
            log(f"{self.release}: could not refresh the package lists, using the cached ones "
                f"({str(e).splitlines()[-1]})")

    def has(self, package: str) -> bool:
        """A real package or one that others provide (apt installs a provider)."""
        out = self.run("apt-cache", "showpkg", package)
        versions = re.search(r"^Versions: *\n(.*?)^Reverse Depends", out, re.M | re.S)
        provided = re.search(r"^Reverse Provides: *\n(\S+)", out, re.M)
        return bool((versions and versions.group(1).strip()) or provided)

    def show(self, packages: List[str]) -> Dict[str, tuple]:
        """Each package's candidate version and the first choice of each of its Depends."""
        out = self.run("apt-cache", "show", "--no-all-versions", *packages)
        found = {}
        for stanza in out.split("\n\n"):
            name = re.search(r"^Package: (\S+)", stanza, re.M)
            if not name:
                continue
            version = re.search(r"^Version: (\S+)", stanza, re.M).group(1)
            m = re.search(r"^Depends: (.*)$", stanza, re.M)
            depends = [alt.split("|")[0].split()[0].split(":")[0]
                       for alt in m.group(1).split(",")] if m else []
            found[name.group(1)] = (version, depends)
        return found

    def dev_closure(self) -> Dict[str, str]:
        """The -dev packages and the FFmpeg libraries they depend on, with their versions."""
        todo, seen = list(DEV_PACKAGES), {}
        while todo:
            shown = self.show(todo)
            seen.update((name, version) for name, (version, _) in shown.items())
            todo = sorted({d for _, depends in shown.values() for d in depends
                           if FFMPEG_LIB.match(d)} - set(seen))
        return seen

    def runtime_closure(self) -> Dict[str, str]:
        """Every package the runtime packages need, as apt resolves it on an empty system."""
        out = self.run("apt-get", "-s", "-q", "install", *RUNTIME_PACKAGES)
        found = re.findall(r"^Inst (\S+) \((\S+) ", out, re.M)
        return {name.split(":")[0]: version for name, version in found}

    def download(self, packages: Dict[str, str]) -> List[str]:
        """The .deb files of exactly these versions, downloaded once into the apt cache."""
        def deb_name(p: str, v: str) -> str:
            return f"{p}_{v.replace(':', '%3a')}_"

        have = os.listdir(self.archives)
        missing = [f"{p}={v}" for p, v in packages.items()
                   if not any(n.startswith(deb_name(p, v)) for n in have)]
        if missing:
            log(f"{self.release}: downloading {len(missing)} packages")
            r = subprocess.run(["apt-get", *self.options(), "-q", "download", *missing],
                               cwd=self.archives, capture_output=True, text=True)
            if r.returncode != 0:
                raise RuntimeError(f"apt-get download failed:\n{r.stderr.strip()}")
        have = os.listdir(self.archives)
        debs = []
        for p, v in sorted(packages.items()):
            hit = [n for n in have if n.startswith(deb_name(p, v)) and n.endswith(".deb")]
            if not hit:
                raise RuntimeError(f"{p} {v} was not downloaded")
            debs.append(os.path.join(self.archives, hit[0]))
        return debs


def rewrite_pkgconfig(tree: str, root: str) -> None:
    """Copies the .pc files unpacked in tree into tree/pkgconfig, their prefix moved to root."""
    out = os.path.join(tree, "pkgconfig")
    os.makedirs(out, exist_ok=True)
    for d, _, files in os.walk(os.path.join(tree, "usr")):
        if os.path.basename(d) != "pkgconfig":
            continue
        for name in files:
            if not name.endswith(".pc"):
                continue
            with open(os.path.join(d, name)) as f:
                text = f.read()
            # prefix=/usr, and any directory spelled out in full rather than from ${prefix}
            text = re.sub(r"^(\w+)=/usr\b", lambda m: f"{m.group(1)}={root}/usr", text, flags=re.M)
            with open(os.path.join(out, name), "w") as f:
                f.write(text)


def unpack(release: str, kind: str, packages: Dict[str, str], apt: Apt) -> str:
    listing = "".join(f"{p}={v}\n" for p, v in sorted(packages.items()))
    digest = hashlib.sha256(listing.encode()).hexdigest()[:12]
    avcodec = packages.get("libavcodec-dev", "unknown").split(":")[-1]
    name = f"{release}-{kind}-{avcodec}-{digest}"
    root = os.path.join(cache_root(), name)
    if os.path.exists(os.path.join(root, ".complete")):
        return root
    debs = apt.download(packages)
    tmp = f"{root}.tmp{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    log(f"{release}: unpacking {len(debs)} packages into {root}")
    for deb in debs:
        subprocess.run(["dpkg", "-x", deb, tmp], check=True)
    # static libraries are most of the -dev packages, and nothing links them
    for d, _, files in os.walk(tmp):
        for f in files:
            if f.endswith(".a"):
                os.remove(os.path.join(d, f))
    with open(os.path.join(tmp, "packages.txt"), "w") as f:
        f.write(listing)
    rewrite_pkgconfig(tmp, root)
    open(os.path.join(tmp, ".complete"), "w").close()
    shutil.rmtree(root, ignore_errors=True)
    os.rename(tmp, root)
    # the tree is the cache: the .deb files and older trees of this release and kind go
    for deb in debs:
        os.remove(deb)
    for n in os.listdir(cache_root()):
        if n.startswith(f"{release}-{kind}-") and n != name:
            shutil.rmtree(os.path.join(cache_root(), n), ignore_errors=True)
    return root


def library_path(root: str) -> List[str]:
    """Where the release's loader looks first: its multiarch directory, and the directories
    that alternatives (BLAS, LAPACK) and private run paths (PulseAudio) would point at."""
    lib = glob.glob(os.path.join(root, "usr", "lib", "*-linux-gnu*", "libc.so.6"))[0]
    lib = os.path.dirname(lib)
    return [lib] + [os.path.join(lib, d) for d in ("blas", "lapack", "pulseaudio")
                    if os.path.isdir(os.path.join(lib, d))]


def write_wrappers(root: str, out: str) -> None:
    """Programs run by the release's own loader, which a newer C library needs (the loader and
    libc.so.6 must come from one release). The path is given to the loader, not put in
    LD_LIBRARY_PATH, so the programs these start (the machine's own) run as usual; a Python
    started from this one (through sys.executable, which names the wrapper) gets the same."""
    os.makedirs(out, exist_ok=True)
    loader = glob.glob(os.path.join(root, "usr", "lib", "*-linux-gnu*", "ld-linux*.so.*"))[0]
    libs = ":".join(library_path(root))
    programs = {
        "python3": os.path.realpath(sys.executable),
        "ffmpeg": os.path.join(root, "usr", "bin", "ffmpeg"),
        "ffprobe": os.path.join(root, "usr", "bin", "ffprobe"),
    }
    for name, program in programs.items():
        path = os.path.join(out, name)
        with open(path, "w") as f:
            f.write(f'#!/bin/sh\nexec "{loader}" --library-path "{libs}" --argv0 "$0" '
                    f'"{program}" "$@"\n')
        os.chmod(path, 0o755)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("release", help="a Debian suite or codename: trixie, sid, ...")
    ap.add_argument("kind", choices=["dev", "runtime", "names"])
    ap.add_argument("packages", nargs="*", help="the package names to look up (names)")
    ap.add_argument("--wrappers", metavar="DIR", help="write the programs' wrappers into DIR")
    args = ap.parse_args()
    apt = Apt(args.release)
    try:
        apt.update()
        if args.kind == "names":
            missing = [p for p in args.packages if not apt.has(p)]
            if missing:
                log(f"{args.release} has no package {', '.join(missing)}")
                return 1
            return 0
        packages = apt.dev_closure() if args.kind == "dev" else apt.runtime_closure()
        if args.kind == "runtime":
            packages.update(apt.dev_closure())
        root = unpack(args.release, args.kind, packages, apt)
        if args.wrappers:
            write_wrappers(root, args.wrappers)
        print(root)
    except (RuntimeError, OSError, subprocess.CalledProcessError) as e:
        log(f"{args.release} {args.kind}: {e}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
