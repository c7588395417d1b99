"""``decode-audio plot FILE -o out.png [--spectrogram]``: the waveform and, if asked, a
log-frequency spectrogram in dBFS, drawn by matplotlib's Agg backend.

The input is decoded chunk by chunk (`stream()`) and reduced as it comes, so memory stays
bounded whatever its length: the waveform keeps each channel's min and max over groups of
frames (at most 4 groups per pixel of width), the spectrogram the mean power of groups of
neighbouring columns (at most one per two pixels of width), drawn on log-spaced frequency
rows (one per four pixels of height), so that each cell covers a pixel or more."""

from __future__ import annotations

import argparse
from typing import Any, List, Optional, Tuple

import numpy as np

from .._decode import info
from .._reader import stream
from .common import frames
from .raw import CHUNK_FRAMES

__all__ = ["add_arguments", "run", "spectrogram", "Spectrogram", "Pooled", "log_rows", "edges",
           "WINDOW"]

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


class Pooled:
    """Rows (one per frame, or per spectrogram column) reduced by `ufunc` (np.minimum,
    np.maximum, np.add) over groups of consecutive rows, in bounded memory: whenever more than
    `limit` groups are held, neighbours merge and the group size doubles. None: no merging."""

    def __init__(self, ufunc: Any, limit: Optional[int]) -> None:
        self.ufunc = ufunc
        self.limit = limit
        self.size = 1  # rows per group
        self.groups: List[np.ndarray] = []  # (groups, columns) arrays of whole groups
        self.count = 0
        self.part: Optional[np.ndarray] = None  # the last, partial group, of `fill` rows
        self.fill = 0

    def add(self, rows: np.ndarray) -> None:
        if not len(rows):
            return
        i = 0
        if self.fill:  # complete the partial group first
            i = min(self.size - self.fill, len(rows))
            self.part = self.ufunc(self.part, self.ufunc.reduce(rows[:i], axis=0))
            self.fill += i
            if self.fill == self.size:
                self._push(self.part[None])
                self.part, self.fill = None, 0
        whole = (len(rows) - i) // self.size
        if whole:
            block = rows[i:i + whole * self.size].reshape(whole, self.size, -1)
            self._push(self.ufunc.reduce(block, axis=1))
            i += whole * self.size
        if i < len(rows):
            self.part, self.fill = self.ufunc.reduce(rows[i:], axis=0), len(rows) - i
        while self.limit is not None and self.count > self.limit:
            self._merge()

    def _push(self, groups: np.ndarray) -> None:
        self.groups.append(groups)
        self.count += len(groups)

    def _merge(self) -> None:
        held = np.concatenate(self.groups)
        if len(held) % 2:  # the odd last group joins the partial one, after it
            last = held[-1]
            self.part = last if self.part is None else self.ufunc(last, self.part)
            self.fill += self.size
            held = held[:-1]
        pairs = self.ufunc.reduce(held.reshape(len(held) // 2, 2, -1), axis=1)
        self.groups, self.count, self.size = [pairs], len(pairs), self.size * 2

    def result(self) -> Tuple[np.ndarray, np.ndarray]:
        """(reduced groups, rows in each group)."""
        groups = self.groups + ([self.part[None]] if self.fill else [])
        if not groups:
            return np.zeros((0, 0)), np.zeros(0, dtype=np.int64)
        sizes = np.full(self.count + (1 if self.fill else 0), self.size, dtype=np.int64)
        if self.fill:
            sizes[-1] = self.fill
        return np.concatenate(groups), sizes


class Spectrogram:
    """A Hann-windowed spectrogram fed chunk by chunk: columns of `window` samples every
    quarter window, their power averaged over groups of neighbouring columns so that at most
    `limit` (None: all) are kept; a full-scale sine reads 0 dBFS at its frequency."""

    def __init__(self, rate: int, window: int = WINDOW, limit: Optional[int] = None) -> None:
        self.rate, self.window, self.hop = rate, window, window // 4
        self.taper = np.hanning(window).astype(np.float32)
        self.power = Pooled(np.add, limit)
        self.tail = np.zeros(0, np.float32)  # samples after the last column's start

    def add(self, mono: np.ndarray) -> None:
        data = np.concatenate([self.tail, mono]) if len(self.tail) else mono
        count = 0 if len(data) < self.window else 1 + (len(data) - self.window) // self.hop
        if count:
            self._columns(data, count)
        self.tail = data[count * self.hop:].copy()

    def _columns(self, data: np.ndarray, count: int) -> None:
        columns = np.lib.stride_tricks.sliding_window_view(data, self.window)[::self.hop][:count]
        spectrum = np.fft.rfft(columns * self.taper, axis=1)
        self.power.add((spectrum.real ** 2 + spectrum.imag ** 2).astype(np.float32))

    def result(self) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(frequencies in Hz, column times in s, power in dBFS (frequency x time))."""
        if self.power.count == 0 and not self.power.fill:  # shorter than a window: padded
            self._columns(np.pad(self.tail, (0, self.window - len(self.tail))), 1)
        power, sizes = self.power.result()
        power /= sizes[:, None] * (float(self.taper.sum()) / 2) ** 2  # the mean, in full scale
        db = 10 * np.log10(np.maximum(power, 1e-20, out=power), out=power).T
        # a group's time: the middle of its columns' centres
        first = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        times = ((first + (sizes - 1) / 2) * self.hop + self.window / 2) / self.rate
        return np.fft.rfftfreq(self.window, 1 / self.rate), times, db


def spectrogram(mono: np.ndarray, rate: int, window: int = WINDOW
                ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(frequencies in Hz, column times in s, power in dBFS (frequency x time)) of `mono`,
    every column kept (`Spectrogram` fed at once)."""
    s = Spectrogram(rate, window)
    s.add(mono)
    return s.result()


def log_rows(freqs: np.ndarray, db: np.ndarray, low: float, high: float, count: int
             ) -> Tuple[np.ndarray, np.ndarray]:
    """(row edges in Hz, levels (row x time)): `db` (frequency x time) on `count` rows
    spaced evenly in log frequency from `low` to `high`, so the drawing holds a bounded number
    of cells. A row takes its loudest bin; one narrower than a bin, the bin at its centre."""
    bounds = np.geomspace(low, high, count + 1)
    centres = np.sqrt(bounds[:-1] * bounds[1:])
    nearest = np.clip(np.rint(centres / freqs[1]).astype(np.int64), 0, len(freqs) - 1)
    rows = db[nearest]
    first, last = np.searchsorted(freqs, bounds[:-1]), np.searchsorted(freqs, bounds[1:])
    for i in np.flatnonzero(last > first):
        rows[i] = db[first[i]:last[i]].max(axis=0)
    return bounds, rows


def edges(centres: np.ndarray) -> np.ndarray:
    """Cell edges around increasing `centres` (halfway between neighbours)."""
    if len(centres) == 1:
        return np.array([centres[0] - 0.5, centres[0] + 0.5])
    middle = (centres[1:] + centres[:-1]) / 2
    return np.concatenate([[2 * centres[0] - middle[0]], middle,
                           [2 * centres[-1] - middle[-1]]])


def run(args: argparse.Namespace) -> int:
    import matplotlib  # optional (pip install decode_audio[plot]); only this command needs it

    matplotlib.use("Agg")
    from matplotlib import pyplot

    width, height = (int(n) for n in args.size.lower().split("x"))
    rate = info(args.input, exact=False).sample_rate
    chunks = stream(args.input, CHUNK_FRAMES, frame_offset=frames(args.start, rate) or 0,
                    num_frames=frames(args.duration, rate) or -1)
    # per channel, each group of frames' min and max; groups double until at most 4 per pixel
    low, high = Pooled(np.minimum, 4 * width), Pooled(np.maximum, 4 * width)
    spectrum = Spectrogram(rate, limit=width // 2) if args.spectrogram else None
    channels = 1
    for chunk in chunks:
        x = chunk.numpy()
        rate, channels = chunk.sample_rate, x.shape[1]
        low.add(x)
        high.add(x)
        if spectrum is not None:
            spectrum.add(x.mean(axis=1))
    lows, sizes = low.result()
    highs, _ = high.result()
    start = args.start or 0.0
    rows = 2 if args.spectrogram else 1
    fig, axes = pyplot.subplots(rows, 1, figsize=(width / 100, height / 100), dpi=100,
                                squeeze=False, sharex=True)
    wave: Any = axes[0][0]
    # each group's time: its middle
    first = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    time = start + (first + sizes / 2) / rate
    for channel in range(lows.shape[1] if len(lows) else 0):
        label = f"channel {channel + 1}"
        if low.size > 1:  # a long input is drawn as its envelope: each group's min and max
            wave.fill_between(time, lows[:, channel], highs[:, channel], linewidth=0.5,
                              label=label)
        else:
            wave.plot(start + first / rate, lows[:, channel], linewidth=0.5, label=label)
    wave.set(ylabel="amplitude", ylim=(-1.05, 1.05), title=args.input)
    if channels > 1:
        wave.legend(loc="upper right")
    if spectrum is not None:
        freqs, times, db = spectrum.result()
        low_hz = max(freqs[1], 20)
        bands, levels = log_rows(freqs, db, low_hz, rate / 2, max(height // 4, 16))
        ax: Any = axes[1][0]
        mesh = ax.pcolormesh(start + edges(times), bands, levels, shading="flat", vmin=-120,
                             vmax=0, cmap="magma")
        ax.set(yscale="log", ylabel="frequency (Hz)", ylim=(low_hz, rate / 2))
        fig.colorbar(mesh, ax=axes[:, 0].tolist(), label="dBFS")
    axes[-1][0].set_xlabel("time (s)")
    fig.savefig(args.output, dpi=100)
    pyplot.close(fig)
    return 0
