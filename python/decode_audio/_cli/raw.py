"""``decode-audio -i IN -o OUT``: decode to raw samples, chunk by chunk through `stream()`, so
memory stays bounded (one chunk of `CHUNK_FRAMES` frames plus the decoder's state) for any
input length (with -threads N, a path is decoded whole, split among N threads, instead); written
to standard output, a device, or a regular file atomically."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, BinaryIO, Optional

import numpy as np

from .._decode import decode, info
from .._files import write_in_place
from .._reader import stream
from .common import RAW_FORMATS, SECONDS_BAR, progress

__all__ = ["add_arguments", "run", "CHUNK_FRAMES"]

CHUNK_FRAMES = 65536


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("-i", dest="input", action="append", required=True,
                   help="input path or URL; - for standard input")
    p.add_argument("-o", dest="output", required=True,
                   help="raw output file, - for standard output (an audio extension such as "
                        ".wav or .flac transcodes, as `convert` does)")
    p.add_argument("-f", dest="format", choices=sorted(RAW_FORMATS),
                   help="raw sample format (default s16le)")
    p.add_argument("--via", choices=("numpy", "torch", "dlpack"), default="numpy",
                   help="the zero-copy path the samples take on their way out (default numpy)")
    p.add_argument("--frame-offset", type=int, default=0, help="first output frame")
    p.add_argument("--num-frames", type=int, default=-1, help="most output frames (-1: all)")
    p.add_argument("--filter", help="FFmpeg audio filter graph, e.g. atempo=1.5")
    p.add_argument("--input-format", help="FFmpeg demuxer name, skipping probing")


def samples(chunk: Any, via: str) -> memoryview:
    """The bytes of a decoded chunk, through the chosen zero-copy path."""
    if via == "numpy":
        array = chunk.numpy()
    elif via == "torch":
        array = chunk.torch().numpy()
    else:
        array = np.from_dlpack(chunk)
    return memoryview(array).cast("B")


def run(args: argparse.Namespace, source: Any) -> int:
    options = dict(dtype=RAW_FORMATS[args.format or "s16le"], sample_rate=args.sample_rate,
                   num_channels=args.num_channels, frame_offset=args.frame_offset,
                   num_frames=args.num_frames, format=args.input_format,
                   filter_desc=args.filter)
    total = None
    if isinstance(source, str) and args.progress is not False:
        total = info(source, format=args.input_format, exact=False).duration or None
    if args.threads not in (None, 1) and isinstance(source, str):
        # split among threads, the input is decoded whole, then written as one chunk
        chunks: Any = [decode(source, num_threads=args.threads, **options)]
    else:
        chunks = stream(source, CHUNK_FRAMES, **options)

    def write(out: BinaryIO) -> None:
        with progress(args.progress, total=total, unit="s",
                      bar_format=SECONDS_BAR if total else None) as bar:
            for chunk in chunks:
                out.write(samples(chunk, args.via))
                bar.update(chunk.num_frames / chunk.sample_rate)
        out.flush()

    to_file(args.output, write)
    return 0


def to_file(name: str, write: Any) -> None:
    """Standard output for -, a device or pipe as it is, a regular file atomically; an OSError
    names the output."""
    try:
        _to_file(name, write)
    except OSError as e:
        if e.filename is None:
            raise type(e)(e.errno, e.strerror, "<stdout>" if name == "-" else name) from None
        raise


def _to_file(name: str, write: Any) -> None:
    if name == "-":
        write(sys.stdout.buffer)
        return
    if os.path.exists(name) and not os.path.isfile(name):
        with open(name, "wb") as out:
            write(out)
        return

    def into(temporary: str) -> None:
        with open(temporary, "wb") as out:
            write(out)

    write_in_place(name, into)
