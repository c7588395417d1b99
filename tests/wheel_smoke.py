"""Smoke test of an installed wheel, run by `make wheel-test` inside a bare Debian root.

    python tests/wheel_smoke.py prepare DIR     (in the source tree, with the oracle ffmpeg)
    python wheel_smoke.py run DIR               (where only the wheel and numpy are installed)

`prepare` writes DIR/golden/ and DIR/matrix/: one file per format of the test matrix, made by
the ffmpeg that DECODE_AUDIO_TEST_FFMPEG names (the bundled build's), with that ffmpeg's f32le
decode beside it. `run` checks, against the installed package only: that no FFmpeg, libsox or
compiler is around; the golden diff through the CLI; each matrix file decoded byte for byte
like the oracle, its `info`, and windows equal to slices of the full decode; `save` of every
documented format and its round trip; a StreamWriter mp4 with audio and video.
"""

from __future__ import annotations

import ctypes.util
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CHANNELS, RATE = 2, 44100


def prepare(out: str) -> None:
    sys.path.insert(0, HERE)
    import conftest  # the oracle and the format matrix (needs pytest, present in the tree)

    os.makedirs(os.path.join(out, "matrix"), exist_ok=True)
    os.makedirs(os.path.join(out, "golden"), exist_ok=True)
    for name in ("test.wav", "golden.raw"):
        shutil.copyfile(os.path.join(conftest.GOLDEN, name), os.path.join(out, "golden", name))
    manifest = {}
    for fmt, (ext, _, _, rates) in conftest.FORMATS.items():
        rate = RATE if RATE in rates else rates[-1]
        src = conftest.make_input(fmt, CHANNELS, rate)
        name = f"{fmt}.{ext}"
        shutil.copyfile(src, os.path.join(out, "matrix", name))
        with open(os.path.join(out, "matrix", fmt + ".f32le"), "wb") as f:
            f.write(conftest.reference(src, "f32le"))
        manifest[fmt] = {"file": name, "channels": CHANNELS, "sample_rate": rate}
    with open(os.path.join(out, "matrix", "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    print(f"wheel_smoke: {len(manifest)} matrix files in {out} made by {conftest.FFMPEG}")


class Checks:
    def __init__(self) -> None:
        self.passed = 0
        self.failed = []

    def __call__(self, what: str, ok: bool, detail: str = "") -> None:
        if ok:
            self.passed += 1
        else:
            self.failed.append(f"{what}: {detail}")
            print(f"FAIL {what} {detail}", flush=True)


def run(data: str) -> int:
    import numpy as np

    import decode_audio

    check = Checks()
    # Nothing to fall back on: no FFmpeg, no libsox, no compiler.
    for prog in ("ffmpeg", "ffprobe", "sox", "cc", "gcc"):
        check(f"no {prog} here", shutil.which(prog) is None, str(shutil.which(prog)))
    for lib in ("avcodec", "avformat", "avutil", "swresample", "sox"):
        check(f"no lib{lib} here", ctypes.util.find_library(lib) is None)

    first = decode_audio.ffmpeg_utils.get_build_config().splitlines()[0]
    check("bundled FFmpeg", first.endswith("+decode_audio"), first)
    check("backends", decode_audio.list_audio_backends() == ["ffmpeg"],
          str(decode_audio.list_audio_backends()))
    r = subprocess.run(["decode-audio", "--version"], capture_output=True, text=True)
    check("decode-audio --version", r.returncode == 0 and "bundled FFmpeg" in r.stdout, r.stdout)
    print(r.stdout.strip())

    with tempfile.TemporaryDirectory() as tmp:
        # The golden diff through the CLI.
        out = os.path.join(tmp, "out.raw")
        subprocess.run([sys.executable, "-m", "decode_audio", "-i",
                        os.path.join(data, "golden", "test.wav"), "-o", out], check=True)
        with open(out, "rb") as a, open(os.path.join(data, "golden", "golden.raw"), "rb") as b:
            check("golden diff", a.read() == b.read())

        # Every format of the matrix: decode, info, windows.
        with open(os.path.join(data, "matrix", "manifest.json")) as f:
            manifest = json.load(f)
        for fmt, m in manifest.items():
            path = os.path.join(data, "matrix", m["file"])
            with open(os.path.join(data, "matrix", fmt + ".f32le"), "rb") as f:
                expected = f.read()
            full = decode_audio.decode(path).numpy()
            got = full.tobytes()
            if fmt == "aac":
                # MP4 declares the stream's length, which decode_audio keeps to; the CLI also
                # writes the encoder's end padding (tests/test_formats.py, assert_matches_cli).
                frame = 4 * m["channels"]
                check("decode aac", len(full) == m["sample_rate"] and len(got) < len(expected)
                      <= len(got) + 2048 * frame and expected[:len(got)] == got,
                      f"{len(got)} bytes vs {len(expected)}")
            else:
                check(f"decode {fmt}", got == expected, f"{len(got)} bytes vs {len(expected)}")
            meta = decode_audio.info(path)
            check(f"info {fmt}", (meta.sample_rate, meta.num_channels)
                  == (m["sample_rate"], m["channels"]), str(meta))
            n = len(full)
            for a, b in ((0, 1000), (n // 3, 4410), (n - 777, 777)):
                w = decode_audio.decode(path, frame_offset=a, num_frames=b).numpy()
                check(f"window {fmt} [{a}:{a + b}]", np.array_equal(w, full[a:a + b]),
                      f"{w.shape}")
        print(f"decoded {len(manifest)} formats: {', '.join(manifest)}")
        # Resampling with each quality, libsoxr's included.
        path = os.path.join(data, "matrix", manifest["wav_s16"]["file"])
        for quality in ("fast", "default", "high", "soxr"):
            y = decode_audio.decode(path, sample_rate=16000, resample_quality=quality)
            check(f"resample {quality}", y.shape == (16000, CHANNELS), str(y.shape))

        # save() of every documented format, and back.
        t = np.arange(2 * 48000) / 48000
        x = (0.3 * np.stack([np.sin(2 * np.pi * 440 * t), np.sin(2 * np.pi * 660 * t)])
             ).astype(np.float32)
        saves = [("wav", {}), ("wav", {"encoding": "PCM_S", "bits_per_sample": 24}),
                 ("wav", {"encoding": "PCM_S", "bits_per_sample": 32}),
                 ("wav", {"encoding": "PCM_U", "bits_per_sample": 8}),
                 ("wav", {"encoding": "PCM_F", "bits_per_sample": 32}),
                 ("wav", {"encoding": "PCM_F", "bits_per_sample": 64}),
                 ("wav", {"encoding": "ULAW"}), ("wav", {"encoding": "ALAW"}),
                 ("aiff", {}), ("au", {}), ("w64", {}), ("flac", {}),
                 ("flac", {"bits_per_sample": 24, "compression": 8}), ("mp3", {}),
                 ("ogg", {}), ("opus", {}), ("m4a", {}), ("mp4", {}), ("aac", {}),
                 ("caf", {}), ("mka", {}), ("webm", {})]
        lossless = {"wav", "aiff", "au", "w64", "flac", "caf"}
        for i, (ext, kw) in enumerate(saves):
            path = os.path.join(tmp, f"save{i}.{ext}")
            try:
                decode_audio.save(path, x, 48000, **kw)
                y = decode_audio.decode(path).numpy()
            except Exception as e:  # noqa: BLE001  (reported, and the smoke fails)
                check(f"save {ext} {kw}", False, repr(e))
                continue
            if ext in lossless and not kw.get("encoding") in ("PCM_U", "ULAW", "ALAW"):
                err = float(np.max(np.abs(y - x.T)))
                check(f"save {ext} {kw}", y.shape == x.T.shape and err < 1e-4, f"{y.shape} {err}")
            else:
                check(f"save {ext} {kw}", y.shape[1] == 2 and abs(len(y) - len(t)) <= 2048,
                      f"{y.shape}")
        # Not in the bundled build (they need libgsm and libopencore-amrnb): a clean error.
        for ext in ("gsm", "amr"):
            path = os.path.join(tmp, f"nope.{ext}")
            try:
                decode_audio.save(path, x[:1], 8000)
                check(f"save {ext} refused", False, "it was written")
            except (decode_audio.DecodeAudioError, ValueError) as e:
                check(f"save {ext} refused", not os.path.exists(path), str(e))
                print(f"save .{ext}: {e}")
        print(f"saved and read back {len(saves)} formats")

        # A StreamWriter mp4: AAC plus the default video encoder (mpeg4 in this build).
        path = os.path.join(tmp, "clip.mp4")
        s = decode_audio.StreamWriter(path)
        s.add_audio_stream(sample_rate=16000, num_channels=1)
        s.add_video_stream(frame_rate=20, width=64, height=48)
        frames = np.zeros((40, 3, 48, 64), np.uint8)
        frames[:, 0] = np.arange(40, dtype=np.uint8)[:, None, None] * 6
        with s.open():
            s.write_audio_chunk(0, x[0, :32000].reshape(-1, 1))
            s.write_video_chunk(1, frames)
        meta = decode_audio.info(path)
        y = decode_audio.decode(path).numpy()
        with open(path, "rb") as f:
            body = f.read()
        check("StreamWriter mp4", meta.sample_rate == 16000 and y.shape == (32000, 1)
              and b"mp4v" in body and b"mp4a" in body, f"{meta} {y.shape}")

    print(f"wheel smoke: {check.passed} checks passed, {len(check.failed)} failed")
    return 1 if check.failed else 0


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("prepare", "run"):
        sys.exit(__doc__)
    if sys.argv[1] == "prepare":
        prepare(sys.argv[2])
    else:
        sys.exit(run(sys.argv[2]))
