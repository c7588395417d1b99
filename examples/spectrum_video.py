"""The spectrum visualiser of torchaudio's StreamWriter tutorial, with decode_audio.

Reads an audio file, draws the spectrum around every video frame's time with matplotlib, and
writes an mp4 holding the audio and the pictures:

    python examples/spectrum_video.py speech.wav spectrum.mp4
    python examples/spectrum_video.py music.flac out.mp4 --frame-rate 25 --width 480 --height 270

The video has one frame per 1/frame_rate s of audio, so both streams last as long as the
input. Each frame is written straight from matplotlib's canvas memory (a channels-last RGBA
buffer seen as (1, 3, height, width)), with no copy in Python.
"""

from __future__ import annotations

import argparse
import math
from typing import Optional, Sequence

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import decode_audio  # noqa: E402
from decode_audio import StreamWriter  # noqa: E402

COLOR = (238 / 255, 76 / 255, 44 / 255)


def spectra(waveform: np.ndarray, sample_rate: int, frame_rate: int, n_fft: int) -> np.ndarray:
    """Magnitude spectra of the channels' mean, one per video frame, centred on its time.

    Like torchaudio's ``Spectrogram(n_fft, hop_length=sample_rate // frame_rate,
    normalized=True, power=1)``: a periodic Hann window, reflect padding, magnitudes divided by
    the window's norm. Returns ``(frames, n_fft // 2 + 1)``.
    """
    hop = sample_rate // frame_rate
    mono = waveform.mean(axis=1)
    count = math.ceil(len(mono) / hop)
    pad = n_fft // 2
    # centred windows: 1 + len // hop of them fit, at least `count`
    padded = np.pad(mono, (pad, pad), mode="reflect" if len(mono) > pad else "constant")
    window = np.hanning(n_fft + 1)[:-1]
    windows = np.lib.stride_tricks.sliding_window_view(padded, n_fft)[::hop][:count]
    return np.abs(np.fft.rfft(windows * window, axis=1)) / np.sqrt(np.sum(window ** 2))


class Canvas:
    """A matplotlib figure of width x height pixels that draws one spectrum at a time."""

    def __init__(self, width: int, height: int, n_fft: int) -> None:
        self.figure = Figure(figsize=(width / 100, height / 100), dpi=100)
        self.canvas = FigureCanvasAgg(self.figure)
        self.axes = self.figure.add_axes((0, 0, 1, 1))
        self.n_fft = n_fft
        self.width, self.height = self.canvas.get_width_height()

    def draw(self, spectrum: np.ndarray) -> np.ndarray:
        """Draws `spectrum`; returns the picture as a (1, 3, height, width) uint8 view of the
        canvas memory (valid until the next draw)."""
        ax = self.axes
        ax.clear()
        ax.set_facecolor("black")
        x = np.arange(len(spectrum))
        for coeff, alpha in ((0.8, 0.7), (1.0, 1.0)):
            d = spectrum ** coeff
            ax.fill_between(x, d, -d, color=(*COLOR, alpha), linewidth=0)
        xlim = self.n_fft // 2 + 1
        ax.set_xlim(-1, xlim)
        ax.set_ylim(-1, 1)
        ax.text(0.97, 0.95, f"Created with decode_audio\n{decode_audio.__version__}",
                transform=ax.transAxes, color="white", ha="right", va="top",
                backgroundcolor="black", fontsize=7)
        self.canvas.draw()
        rgba = np.asarray(self.canvas.buffer_rgba())   # (height, width, 4)
        return rgba[None, :, :, :3].transpose(0, 3, 1, 2)


def render(src: str, dst: str, frame_rate: int = 20, n_fft: int = 4000, width: int = 320,
           height: int = 240, encoder: Optional[str] = None) -> None:
    """Writes `dst` (an mp4): the audio of `src` and its spectrum, `frame_rate` pictures a
    second."""
    audio = decode_audio.decode(src)
    waveform, sample_rate = audio.numpy(), audio.sample_rate
    specs = spectra(waveform, sample_rate, frame_rate, n_fft)
    canvas = Canvas(width, height, n_fft)
    s = StreamWriter(dst)
    s.add_audio_stream(sample_rate=sample_rate, num_channels=waveform.shape[1])
    s.add_video_stream(frame_rate=frame_rate, width=canvas.width, height=canvas.height,
                       encoder=encoder)
    with s.open():
        # a second of audio, then that second's pictures; the muxer interleaves them
        for second, start in enumerate(range(0, len(waveform), sample_rate)):
            s.write_audio_chunk(0, waveform[start:start + sample_rate])
            for spec in specs[second * frame_rate:(second + 1) * frame_rate]:
                s.write_video_chunk(1, canvas.draw(spec))


def main(argv: Optional[Sequence[str]] = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("input", help="an audio file decode_audio reads")
    p.add_argument("output", help="the mp4 to write")
    p.add_argument("--frame-rate", type=int, default=20)
    p.add_argument("--n-fft", type=int, default=4000)
    p.add_argument("--width", type=int, default=320)
    p.add_argument("--height", type=int, default=240)
    p.add_argument("--encoder", default=None, help="video encoder (default: libx264)")
    args = p.parse_args(argv)
    render(args.input, args.output, args.frame_rate, args.n_fft, args.width, args.height,
           args.encoder)


if __name__ == "__main__":
    main()
