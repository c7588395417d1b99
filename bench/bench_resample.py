"""Speed and quality of decode_audio's resample_quality presets, side by side.

Run with `make bench` (or `PYTHONPATH=python python3 bench/bench_resample.py`). For each preset:
- time to decode and resample 5 minutes of 44.1 kHz stereo WAV to 16 kHz (median of 5);
- alias rejection: a 44.1 kHz sweep from 8.5 to 22 kHz (all above the new 8 kHz Nyquist)
  resampled to 16 kHz; the output's energy relative to the input's, in dB (lower is better);
- passband: a 7 kHz tone's level after resampling to 16 kHz, in dB (0 is best).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

import decode_audio
from decode_audio._options import RESAMPLE_QUALITY

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")


def wav(path: str, source: str) -> str:
    if not os.path.exists(path):
        subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                        source, "-c:a", "pcm_f32le", path], check=True)
    return path


def db(x: float) -> float:
    return 10 * np.log10(max(x, 1e-30))


def main() -> int:
    os.makedirs(DATA, exist_ok=True)
    long = wav(os.path.join(DATA, "5min_44k_stereo_f32.wav"),
               "aevalsrc=exprs=0.3*sin(2*PI*440*t)+0.1*random(0)|0.3*sin(2*PI*660*t):s=44100:d=300")
    # sin(2*pi*(f0*t + (f1-f0)*t^2/(2*T))) sweeps f0 -> f1 over T seconds
    sweep = wav(os.path.join(DATA, "sweep_8k5_22k.wav"),
                "aevalsrc=exprs=0.5*sin(2*PI*(8500*t+(22000-8500)*t*t/(2*4))):s=44100:d=4")
    tone = wav(os.path.join(DATA, "tone_7k.wav"), "aevalsrc=exprs=0.5*sin(2*PI*7000*t):s=44100:d=2")
    x_sweep = decode_audio.decode(sweep).numpy().astype(np.float64)
    print("| resample_quality | options | 5 min 44.1→16 kHz, ms | alias rejection, dB | "
          "7 kHz passband, dB |")
    print("|---|---|---|---|---|")
    for name, options in RESAMPLE_QUALITY.items():
        try:
            decode_audio.decode(tone, sample_rate=16000, resample_quality=name)
        except decode_audio.DecodeAudioError as e:
            print(f"| {name} | {options} | unavailable: {e} | | |")
            continue
        times = []
        for _ in range(5):
            t = time.perf_counter()
            decode_audio.decode(long, sample_rate=16000, resample_quality=name)
            times.append(time.perf_counter() - t)
        y = decode_audio.decode(sweep, sample_rate=16000, resample_quality=name).numpy()
        # energy per second in and out, so the rate change does not count
        alias = db(np.mean(y.astype(np.float64) ** 2) / np.mean(x_sweep ** 2))
        t7 = decode_audio.decode(tone, sample_rate=16000, resample_quality=name).numpy()
        passband = db(np.mean(t7[2000:-2000].astype(np.float64) ** 2) / 0.125)
        print(f"| {name} | `{options or 'FFmpeg defaults'}` | {statistics.median(times) * 1e3:.0f} "
              f"| {alias:.1f} | {passband:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
