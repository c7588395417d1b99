"""``decode-audio plot FILE -o out.png [--spectrogram]``: the waveform and, if asked, a
log-frequency spectrogram in dBFS, drawn by matplotlib's Agg backend."""

from __future__ import annotations

import argparse
from typing import Any, Tuple

import numpy as np

from .._decode import decode, info
from .common import frames

__all__ = ["add_arguments", "run", "spectrogram", "WINDOW"]

WINDOW = 4096  # samples per spectrogram column (hop: a quarter of it)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("input", metavar="FILE", help="input path or URL")
    p.add_argument("-o", dest="output", required=True, help="image file (.png, .svg, .pdf, ...)")
    p.add_argument("--spectrogram", action="store_true",
                   help="add a log-frequency spectrogram in dBFS under the waveform")
    p.add_argument("-ss", dest="start", type=float, metavar="SECONDS", help="start time")
    p.add_argument("-t", dest="duration", type=float, metavar="SECONDS", help="duration")
    p.add_argument("--size", default="1200x600", metavar="WxH",
                   help="image size in pixels (default 1200x600)")


def spectrogram(mono: np.ndarray, rate: int, window: int = WINDOW
                ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(frequencies in Hz, column times in s, power in dBFS (frequency x time)) of `mono`,
    Hann-windowed; a full-scale sine reads 0 dBFS at its frequency."""
    hop = window // 4
    if len(mono) < window:
        mono = np.pad(mono, (0, window - len(mono)))
    count = 1 + (len(mono) - window) // hop
    taper = np.hanning(window).astype(np.float32)
    columns = np.lib.stride_tricks.sliding_window_view(mono, window)[::hop][:count]
    magnitude = np.abs(np.fft.rfft(columns * taper, axis=1)).T / (taper.sum() / 2)
    db = 20 * np.log10(np.maximum(magnitude, 1e-10))
    freqs = np.fft.rfftfreq(window, 1 / rate)
    times = (np.arange(count) * hop + window / 2) / rate
    return freqs, times, db


def run(args: argparse.Namespace) -> int:
    import matplotlib  # optional (pip install decode_audio[plot]); only this command needs it

    matplotlib.use("Agg")
    from matplotlib import pyplot

    width, height = (int(n) for n in args.size.lower().split("x"))
    rate = info(args.input, exact=False).sample_rate
    audio = decode(args.input, frame_offset=frames(args.start, rate) or 0,
                   num_frames=frames(args.duration, rate) or -1)
    x = audio.numpy()
    start = args.start or 0.0
    rows = 2 if args.spectrogram else 1
    fig, axes = pyplot.subplots(rows, 1, figsize=(width / 100, height / 100), dpi=100,
                                squeeze=False, sharex=True)
    wave: Any = axes[0][0]
    per_pixel = len(x) // width
    for channel in range(x.shape[1]):
        label = f"channel {channel + 1}"
        if per_pixel > 4:  # a long input is drawn as its envelope: each pixel's min and max
            bins = x[:per_pixel * width, channel].reshape(width, per_pixel)
            time = start + (np.arange(width) + 0.5) * per_pixel / rate
            wave.fill_between(time, bins.min(axis=1), bins.max(axis=1), linewidth=0.5,
                              label=label)
        else:
            time = start + np.arange(len(x)) / rate
            wave.plot(time, x[:, channel], linewidth=0.5, label=label)
    wave.set(ylabel="amplitude", ylim=(-1.05, 1.05), title=args.input)
    if x.shape[1] > 1:
        wave.legend(loc="upper right")
    if args.spectrogram:
        freqs, times, db = spectrogram(x.mean(axis=1), rate)
        ax: Any = axes[1][0]
        mesh = ax.pcolormesh(start + times, freqs[1:], db[1:], shading="nearest",
                             vmin=-120, vmax=0, cmap="magma")
        ax.set(yscale="log", ylabel="frequency (Hz)", ylim=(max(freqs[1], 20), rate / 2))
        fig.colorbar(mesh, ax=axes[:, 0].tolist(), label="dBFS")
    axes[-1][0].set_xlabel("time (s)")
    fig.savefig(args.output, dpi=100)
    pyplot.close(fig)
    return 0
