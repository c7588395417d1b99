"""``decode-audio convert IN... [-o OUT | -d DIR --to FMT]``: each input decoded chunk by chunk
(`stream()`, `CHUNK_FRAMES` frames at a time) and each chunk encoded as it comes
(`save_chunks()`), so memory stays bounded whatever the input's length: one chunk, the decoder's
and the encoder's state. Written as `save()` writes (atomically: a failure leaves nothing at the
output, an overwritten file keeps its mode); many inputs on threads."""

from __future__ import annotations

import argparse
import itertools
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

from .._decode import decode, info
from .._metadata import AudioMetaData
from .._reader import stream
from .._registry import for_writing
from .._save import save, save_chunks
from .common import (EXPECTED, RAW_FORMATS, SECONDS_BAR, UsageError, extension, frames,
                     is_raw_output, progress, writable_format)
from .raw import CHUNK_FRAMES, samples, to_file

__all__ = ["add_arguments", "run", "plan", "bit_rate"]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("inputs", nargs="+", metavar="IN", help="input paths or URLs")
    p.add_argument("-o", dest="output", help="output file (one input); its extension is the "
                                             "format unless --to says")
    p.add_argument("-d", dest="directory", help="output directory: DIR/NAME.FMT per input")
    p.add_argument("--to", dest="to", metavar="FMT",
                   help="output format (wav, flac, mp3, ogg, opus, m4a, aiff, au, w64, caf, "
                        "mka, wv, ...; raw: s16le, f32le, ...)")
    p.add_argument("-f", dest="format", choices=sorted(RAW_FORMATS),
                   help="sample format of raw output (.raw, .pcm or -)")
    p.add_argument("-ss", dest="start", type=float, metavar="SECONDS", help="start time")
    p.add_argument("-t", dest="duration", type=float, metavar="SECONDS", help="duration")
    quality = p.add_mutually_exclusive_group()
    quality.add_argument("-b:a", dest="bit_rate", metavar="RATE",
                         help="bit rate of lossy formats, e.g. 128k")
    quality.add_argument("-C", dest="compression", type=float, metavar="QUALITY",
                         help="as sox -C: FLAC level, MP3/Opus/AAC kbit/s, Vorbis quality")
    p.add_argument("-j", dest="jobs", type=int, default=os.cpu_count() or 1,
                   help="inputs converted at once (default: the number of CPUs)")


def bit_rate(text: str) -> float:
    """``128k``, ``128000`` or ``1.5M`` as kbit/s (what save's `compression` takes)."""
    scale = {"k": 1e3, "m": 1e6}.get(text[-1:].lower(), 1.0)
    number = text[:-1] if scale != 1.0 else text
    try:
        value = float(number) * scale
    except ValueError:
        raise UsageError(f"-b:a takes a bit rate such as 128k or 96000; got {text!r}") from None
    if value <= 0:
        raise UsageError(f"-b:a must be positive; got {text!r}")
    return value / 1000


def plan(args: argparse.Namespace) -> List[Tuple[str, str, str]]:
    """(input, output, format) per input; refuses what cannot be written before any decoding."""
    if args.output and args.directory:
        raise UsageError("give -o OUT or -d DIR, not both")
    if not args.output and not args.directory:
        raise UsageError("give -o OUT (one input) or -d DIR --to FMT")
    if args.output and len(args.inputs) > 1:
        raise UsageError(f"-o takes one input ({len(args.inputs)} given); use -d DIR --to FMT")
    if args.directory and not args.to:
        raise UsageError("-d DIR needs --to FMT")
    jobs = []
    for src in args.inputs:
        if args.output:
            out = args.output
        else:
            stem = os.path.splitext(os.path.basename(src.rstrip("/")))[0] or "out"
            out = os.path.join(args.directory, f"{stem}.{args.to}")
        fmt = (args.to or ("s16le" if out == "-" else extension(out))).lower()
        raw = fmt in RAW_FORMATS or (not args.to and is_raw_output(out))
        if args.format and not raw:
            raise UsageError(f"-f {args.format} applies to raw output (.raw, .pcm, -); "
                             f"{out!r} is {fmt or 'of no known format'}")
        if not raw and not writable_format(fmt):
            raise UsageError(f"cannot write {out!r}: unknown format {fmt!r} (give a known "
                             f"extension or --to: wav, flac, mp3, ogg, opus, m4a, aiff, ...)")
        jobs.append((src, out, "raw" if raw else fmt))
    outputs = [os.path.abspath(out) for _, out, _ in jobs]
    twice = sorted({out for out in outputs if outputs.count(out) > 1})
    if twice:
        raise UsageError(f"several inputs would be written to {', '.join(twice)}")
    return jobs


# Containers of plain PCM, whose depth a conversion keeps (as the ffmpeg CLI does).
PCM_CONTAINERS = ("wav", "w64", "aiff", "aif", "au", "caf")


def depth(meta: AudioMetaData, fmt: str) -> Tuple[str, Dict[str, Any]]:
    """The dtype to decode to and save's encoding settings that keep a lossless source's
    depth: 24- and 32-bit integer or 64-bit float PCM, or 24-bit FLAC (save's defaults, 16-bit,
    otherwise)."""
    bits, encoding = meta.bits_per_sample, meta.encoding
    lossless = encoding in ("PCM_S", "PCM_F", "FLAC")
    if not lossless or bits <= 16:
        return "float32", {}
    if fmt == "flac":
        return "int32", {"bits_per_sample": 24}
    if fmt in PCM_CONTAINERS:
        if encoding == "PCM_F":
            return ("float64" if bits == 64 else "float32"), {"encoding": "PCM_F",
                                                               "bits_per_sample": bits}
        return "int32", {"encoding": "PCM_S", "bits_per_sample": 32 if bits > 24 else 24}
    return "float32", {}


def convert_one(src: str, out: str, fmt: str, args: argparse.Namespace,
                tick: Optional[Callable[[float], None]] = None) -> None:
    """Decodes `src` chunk by chunk and encodes each chunk as it comes (formats FFmpeg writes,
    and raw samples), so memory stays bounded; `tick(seconds)` after each chunk."""
    raw = fmt == "raw"
    meta = info(src, exact=False)
    rate = args.sample_rate or meta.sample_rate
    dtype, settings = (RAW_FORMATS[args.format or "s16le"], {}) if raw else depth(meta, fmt)
    options: Dict[str, Any] = dict(dtype=dtype, sample_rate=args.sample_rate,
                                   num_channels=args.num_channels,
                                   frame_offset=frames(args.start, rate) or 0,
                                   num_frames=frames(args.duration, rate) or -1)
    compression: Any = args.compression
    if args.bit_rate:
        compression = bit_rate(args.bit_rate)
    if isinstance(compression, float) and compression.is_integer():
        compression = int(compression)
    if not raw and for_writing(None, out, fmt) != "ffmpeg":
        # a type only SoX or libsndfile writes: their save() takes the whole input at once
        audio = decode(src, num_threads=args.threads or 1, **options)
        save(out, audio.numpy(), audio.sample_rate, channels_first=False, format=fmt,
             compression=compression, **settings)
        if tick is not None:
            tick(audio.duration)
        return
    if args.threads not in (None, 1):
        # split among threads, the input is decoded whole, then encoded as one chunk
        chunks = counted(iter([decode(src, num_threads=args.threads, **options)]), tick)
    else:
        chunks = counted(stream(src, CHUNK_FRAMES, **options), tick)
    if raw:
        to_file(out, lambda f: write_raw(f, chunks))
        return
    # the output's rate and channels: the first chunk's (the header's when there is none)
    first = next(chunks, None)
    if first is not None:
        rate, channels = first.sample_rate, first.num_channels
        chunks = itertools.chain([first], chunks)
    else:
        channels = args.num_channels or meta.num_channels
    if out == "-" or (os.path.exists(out) and not os.path.isfile(out)):
        # a pipe or device is written as it is (never replaced by a renamed file), in a
        # format that streams
        to_file(out, lambda f: save_chunks(f, chunks, rate, channels, dtype, format=fmt,
                                           compression=compression, **settings))
        return
    save_chunks(out, chunks, rate, channels, dtype, format=fmt, compression=compression,
                **settings)


def write_raw(out: Any, chunks: Iterator[Any]) -> None:
    for chunk in chunks:
        out.write(samples(chunk, "numpy"))


def counted(chunks: Iterator[Any], tick: Optional[Callable[[float], None]]) -> Iterator[Any]:
    """`chunks`, calling ``tick(seconds)`` after each with its duration."""
    for chunk in chunks:
        yield chunk
        if tick is not None:
            tick(chunk.num_frames / chunk.sample_rate)


def seconds(src: str, args: argparse.Namespace) -> Optional[float]:
    """How many seconds of `src` a conversion reads (its -ss/-t window), when the header
    tells; None otherwise."""
    try:
        duration = info(src, exact=False).duration
    except EXPECTED:
        return None  # the conversion reports it
    if not duration:
        return None
    left = max(duration - (args.start or 0.0), 0.0)
    return min(left, args.duration) if args.duration is not None else left


def run(args: argparse.Namespace, report: Any) -> int:
    """Converts every input; a failing one is reported and the others still go. 1 if any
    failed."""
    jobs = plan(args)
    if args.bit_rate:
        bit_rate(args.bit_rate)  # a bad rate is refused before anything is decoded
    if args.jobs < 1:
        raise UsageError(f"-j must be at least 1; got {args.jobs}")
    if args.directory:
        os.makedirs(args.directory, exist_ok=True)
    if len(jobs) == 1:
        # one input: a bar in seconds of it
        (src, out, fmt), = jobs
        total = seconds(src, args) if args.progress is not False else None
        with progress(args.progress, total=total, unit="s", bar_format=SECONDS_BAR
                      if total else None) as bar:
            try:
                convert_one(src, out, fmt, args, bar.update)
            except Exception as error:
                bar.close()
                report(error, src)
                return 1
        return 0
    failed = 0
    with progress(args.progress, total=len(jobs), unit="file") as bar, \
            ThreadPoolExecutor(max_workers=min(args.jobs, len(jobs))) as pool:
        futures = [(src, pool.submit(convert_one, src, out, fmt, args)) for src, out, fmt in jobs]
        for src, future in futures:
            error: Optional[BaseException] = future.exception()
            if error is not None:
                failed += 1
                report(error, src)
            bar.update(1)
    return 1 if failed else 0
