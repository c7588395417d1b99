"""How often exact Opus and AAC windows are found by verified convergence, and at what preroll.

Run with `make convergence` from bench/ (or `python3 convergence.py` with the library built).
For each input of the matrix (codec, bit rate, channels, rate; two signals), windows at random
offsets are decoded exactly, and `converged_preroll` of each result says how it was found:
verified after two decodes that agreed (the longer preroll, in milliseconds), decoded from the
start after they never did, or not tried (too near the start for decoding twice to pay). Every
window is also checked against the full decode, as the tests do; a mismatch is printed and
makes the exit status 1.
"""

from __future__ import annotations

import collections
import os
import random
import statistics
import subprocess
import sys
import time
from typing import Dict, List, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "python"))

import decode_audio  # noqa: E402

DATA = os.path.join(HERE, "data", "convergence")
SECONDS = 60
WINDOWS = int(os.environ.get("CONVERGENCE_WINDOWS", "100"))

SIGNALS = {
    # two tones with broadband noise (the benchmark's corpus)
    "tones": "0.3*sin(2*PI*440*t)+0.1*random(0)|0.3*sin(2*PI*660*t)+0.1*random(1)",
    # syllable-rate bursts of a gliding voiced tone with partials and a little breath noise
    "voice": "(0.55+0.45*sin(2*PI*3.7*t))*(0.25*sin(2*PI*(120+25*sin(2*PI*0.7*t))*t)"
             "+0.12*sin(2*PI*730*t)+0.06*sin(2*PI*1090*t)+0.03*sin(2*PI*2440*t)"
             "+0.04*(random(0)-0.5))",
}

# label -> (extension, channels, rate, encoder arguments)
MATRIX: Dict[str, Tuple[str, int, int, List[str]]] = {
    "opus 48k stereo 128k": ("opus", 2, 48000, ["-c:a", "libopus", "-b:a", "128k"]),
    "opus 48k stereo 64k": ("opus", 2, 48000, ["-c:a", "libopus", "-b:a", "64k"]),
    "opus 48k mono 32k": ("opus", 1, 48000, ["-c:a", "libopus", "-b:a", "32k"]),
    "opus 16k mono 24k": ("opus", 1, 16000, ["-c:a", "libopus", "-b:a", "24k"]),
    "opus 16k mono 12k voip": ("opus", 1, 16000, ["-c:a", "libopus", "-b:a", "12k",
                                                  "-application", "voip"]),
    "opus 44.1k stereo 96k": ("opus", 2, 44100, ["-c:a", "libopus", "-b:a", "96k"]),
    "aac 44.1k stereo 128k": ("m4a", 2, 44100, ["-c:a", "aac", "-b:a", "128k"]),
    "aac 48k stereo 192k": ("m4a", 2, 48000, ["-c:a", "aac", "-b:a", "192k"]),
    "aac 16k mono 32k": ("m4a", 1, 16000, ["-c:a", "aac", "-b:a", "32k"]),
    "aac 44.1k stereo 128k, no PNS": ("m4a", 2, 44100, ["-c:a", "aac", "-b:a", "128k",
                                                        "-aac_pns", "0"]),
    "aac 16k mono 32k, no PNS": ("m4a", 1, 16000, ["-c:a", "aac", "-b:a", "32k",
                                                   "-aac_pns", "0"]),
}


def make(label: str, signal: str) -> str:
    ext, channels, rate, codec = MATRIX[label]
    name = label.replace(" ", "_").replace(",", "").replace(".", "")
    path = os.path.join(DATA, f"{name}_{signal}.{ext}")
    if not os.path.exists(path):
        os.makedirs(DATA, exist_ok=True)
        exprs = SIGNALS[signal] if channels == 2 else SIGNALS[signal].split("|")[0]
        subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                        f"aevalsrc=exprs={exprs}:s={rate}:d={SECONDS}", "-ac", str(channels),
                        *codec, path], check=True)
    return path


def measure(path: str, sample_rate, rng: random.Random):
    full = decode_audio.decode(path, sample_rate=sample_rate).numpy()
    rate = sample_rate or decode_audio.info(path).sample_rate
    n = len(full)
    outcomes: collections.Counter = collections.Counter()
    times, bad = [], 0
    for _ in range(WINDOWS):
        count = rng.choice([rate // 10, rate, rate])
        offset = rng.randrange(0, n - count)
        t = time.perf_counter()
        audio = decode_audio.decode(path, sample_rate=sample_rate, frame_offset=offset,
                                    num_frames=count)
        times.append(time.perf_counter() - t)
        pre = audio._struct.converged_preroll
        key = ("verified", pre) if pre > 0 else ("start",) if pre < 0 else ("not tried",)
        outcomes[key] += 1
        if audio.numpy().tobytes() != full[offset:offset + count].tobytes():
            bad += 1
            print(f"MISMATCH {path} sample_rate={sample_rate} {offset} {count} {pre}",
                  file=sys.stderr)
    return outcomes, statistics.median(times) * 1e3, bad


def summary(totals: collections.Counter, prerolls: Dict[str, collections.Counter]) -> str:
    """The per-codec table: how often convergence verified, at what preroll (in milliseconds of
    input), and how often the window was decoded from the start instead."""
    lines = ["Per codec, over the rows below:", "",
             "| codec | windows | verified | at preroll | from the start | not tried | "
             "mismatches |", "|---|---|---|---|---|---|---|"]
    for codec in ("opus", "aac"):
        n = sum(v for k, v in totals.items() if k[0] == codec and k[1] != "mismatch")
        if n == 0:
            continue
        verified = totals[(codec, "verified")]
        at = ", ".join(f"{ms} ms: {v}" for ms, v in sorted(prerolls[codec].items())) or "-"
        lines.append(f"| {codec} | {n} | {verified} ({100 * verified / n:.0f} %) | {at} | "
                     f"{totals[(codec, 'start')]} | {totals[(codec, 'not tried')]} | "
                     f"{totals[(codec, 'mismatch')]} |")
    return "\n".join(lines + [""])


def main() -> int:
    rng = random.Random(18)
    load = os.getloadavg()
    rows = ["| input | signal | output rate | verified (at preroll) | from the start | "
            "not tried | median ms | mismatches |", "|---|---|---|---|---|---|---|---|"]
    total_bad = 0
    totals: collections.Counter = collections.Counter()
    prerolls: Dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for label in MATRIX:
        rate = MATRIX[label][2]
        codec = label.split()[0]
        for signal in SIGNALS:
            path = make(label, signal)
            for sample_rate in (None, 16000 if rate != 16000 else 44100):
                outcomes, ms, bad = measure(path, sample_rate, rng)
                total_bad += bad
                in_rate = decode_audio.info(path).sample_rate
                verified = sorted((k[1], v) for k, v in outcomes.items() if k[0] == "verified")
                cell = ", ".join(f"{v} ({1000 * p // in_rate} ms)" for p, v in verified) or "0"
                for k, v in outcomes.items():
                    totals[(codec,) + k[:1]] += v
                for p, v in verified:
                    prerolls[codec][1000 * p // in_rate] += v
                totals[(codec, "mismatch")] += bad
                rows.append(f"| {label} | {signal} | {sample_rate or 'native'} | {cell} | "
                            f"{outcomes[('start',)]} | {outcomes[('not tried',)]} | {ms:.2f} | "
                            f"{bad} |")
                print(f"  {rows[-1]}", file=sys.stderr, flush=True)
    print("## Exact Opus and AAC windows by verified convergence (convergence.py)")
    print()
    print(f"Exact windows ({WINDOWS} per row: 0.1 s or 1 s at random offsets of a {SECONDS} s "
          f"file), by how they were found; each is also compared with the full decode "
          f"(mismatches). Load average at the start: {load[0]:.2f}.")
    print()
    print(summary(totals, prerolls))
    print("\n".join(rows))
    return 1 if total_bad else 0


if __name__ == "__main__":
    sys.exit(main())
