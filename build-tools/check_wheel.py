"""Checks a built wheel: its size, and that its library needs only the C library's own parts,
refers to no system FFmpeg or libsox, and exports nothing but decode_audio's da_* API.

    python build-tools/check_wheel.py dist/decode_audio-*.whl
"""

import re
import subprocess
import sys
import tempfile
import zipfile

MAX_BYTES = 20 * 1024 * 1024
ALLOWED_NEEDED = re.compile(r"^(libc|libm|libpthread|libdl|librt|ld-linux-x86-64)\.so\.\d+$")
FORBIDDEN = re.compile(rb"lib(avcodec|avformat|avutil|avfilter|avdevice|swresample|swscale|"
                       rb"postproc|sox|mp3lame|opus|vorbis|ogg|z|gsm|opencore-amr(?:nb|wb))\.so")


def check(wheel: str) -> list:
    problems = []
    size = len(open(wheel, "rb").read())
    if size >= MAX_BYTES:
        problems.append(f"{size} bytes, over {MAX_BYTES}")
    with zipfile.ZipFile(wheel) as z, tempfile.TemporaryDirectory() as tmp:
        libs = [n for n in z.namelist() if n.endswith(".so") or ".so." in n]
        if libs != ["decode_audio/libdecode_audio.so"]:
            problems.append(f"shared libraries {libs}, expected only decode_audio/libdecode_audio.so")
        for name in libs:
            path = z.extract(name, tmp)
            dyn = subprocess.run(["readelf", "-d", path], check=True, capture_output=True,
                                 text=True).stdout
            needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]", dyn)
            problems += [f"{name} needs {n}" for n in needed if not ALLOWED_NEEDED.match(n)]
            for m in sorted(set(FORBIDDEN.findall(open(path, "rb").read()))):
                problems.append(f"{name} mentions {m.decode()}.so")
            syms = subprocess.run(["nm", "-D", "--defined-only", path], check=True,
                                  capture_output=True, text=True).stdout.split("\n")
            exported = [s.split()[-1] for s in syms if s.strip()]
            problems += [f"{name} exports {s}" for s in exported if not s.startswith("da_")]
            print(f"{name}: needs {', '.join(needed)}; exports {len(exported)} da_* symbols")
    print(f"{wheel}: {size} bytes ({size / 1e6:.1f} MB)")
    return problems


if __name__ == "__main__":
    problems = [p for w in sys.argv[1:] for p in check(w)]
    for p in problems:
        print("check_wheel:", p, file=sys.stderr)
    sys.exit(1 if problems or len(sys.argv) < 2 else 0)
