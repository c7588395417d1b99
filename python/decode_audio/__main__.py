"""Command line: decode to raw samples, transcode, or describe an input.

    python -m decode_audio -i IN -o OUT [-f s16le] [-ar RATE] [-ac CH] [--via numpy|torch|dlpack]
                           [--frame-offset N] [--num-frames N] [--filter DESC]
    python -m decode_audio -i IN -o OUT.flac [-ar RATE] [-ac CH]     (.wav .flac .mp3 .ogg .opus .m4a)
    python -m decode_audio info IN [--json]
    python -m decode_audio --version
    python -m decode_audio --codecs | --formats

``-f s16le`` at the native rate and channel count writes the same bytes as
``ffmpeg -i IN -f s16le OUT``. ``-i -`` reads standard input, ``-o -`` writes standard output.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, BinaryIO, List, Optional

import numpy as np

from . import __version__, decode, ffmpeg_utils, get_versions, info, save
from ._errors import DecodeAudioError

# FFmpeg's raw format names -> dtype (little-endian, as this library writes native order).
RAW_FORMATS = {
    "u8": "uint8",
    "s8": "int8",
    "s16le": "int16",
    "s32le": "int32",
    "f32le": "float32",
    "f64le": "float64",
}
AUDIO_EXTENSIONS = (".wav", ".flac", ".mp3", ".ogg", ".opus", ".m4a")


def _decode_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m decode_audio",
        description="Decode audio to raw samples with FFmpeg (as `ffmpeg -i IN -f s16le OUT`). "
        "Also: `python -m decode_audio info IN [--json]`, `--version`, `--codecs` (FFmpeg's "
        "audio decoders and encoders) and `--formats` (its demuxers and muxers).",
    )
    p.add_argument("-i", dest="input", required=True, help="input path or URL; - for stdin")
    p.add_argument("-o", dest="output", required=True,
                   help="output raw file (- for stdout), or an audio file to transcode to "
                        f"({' '.join(AUDIO_EXTENSIONS)})")
    p.add_argument("-f", dest="format", default="s16le", choices=sorted(RAW_FORMATS),
                   help="raw sample format (default s16le)")
    p.add_argument("-ar", dest="sample_rate", type=int, help="output sample rate")
    p.add_argument("-ac", dest="num_channels", type=int, help="output channel count")
    p.add_argument("--via", choices=("numpy", "torch", "dlpack"), default="numpy",
                   help="the zero-copy path the samples take on their way out (default numpy)")
    p.add_argument("--frame-offset", type=int, default=0, help="first output frame")
    p.add_argument("--num-frames", type=int, default=-1, help="most output frames (-1: all)")
    p.add_argument("--filter", help="FFmpeg audio filter graph, e.g. atempo=1.5")
    p.add_argument("--input-format", help="FFmpeg demuxer name, skipping probing")
    return p


def _version_text() -> str:
    v = get_versions()
    libs = ", ".join(
        f"{name} {'.'.join(map(str, v[name]))}"
        for name in ("libavutil", "libavcodec", "libavformat", "libavfilter", "libswresample")
    )
    return f"decode_audio {__version__} ({v['ffmpeg_build']} FFmpeg {v['ffmpeg']}: {libs})"


def _listing(readers: dict, writers: dict, reader: str, writer: str) -> str:
    """Lines like `ffmpeg -codecs`: flags D (reads) and E (writes), the name, the description."""
    lines = [f" D. = {reader}", f" .E = {writer}", " --"]
    for name in sorted(set(readers) | set(writers)):
        flags = ("D" if name in readers else ".") + ("E" if name in writers else ".")
        lines.append(f" {flags} {name:<24} {readers.get(name) or writers.get(name, '')}")
    return "\n".join(lines)


def _samples(audio: Any, via: str) -> memoryview:
    """The bytes of the decoded samples, through the chosen zero-copy path."""
    if via == "numpy":
        array = audio.numpy()
    elif via == "torch":
        array = audio.torch().numpy()
    else:
        array = np.from_dlpack(audio)
    return memoryview(array).cast("B")


def _open_input(name: str) -> Any:
    return sys.stdin.buffer if name == "-" else name


def _write(name: str, data: memoryview) -> None:
    if name == "-":
        out: BinaryIO = sys.stdout.buffer
        out.write(data)
        out.flush()
        return
    with open(name, "wb") as f:
        f.write(data)


def _run_decode(argv: List[str]) -> int:
    args = _decode_parser().parse_args(argv)
    transcode = args.output != "-" and os.path.splitext(args.output)[1].lower() in AUDIO_EXTENSIONS
    audio = decode(
        _open_input(args.input),
        dtype=RAW_FORMATS[args.format],
        sample_rate=args.sample_rate,
        num_channels=args.num_channels,
        frame_offset=args.frame_offset,
        num_frames=args.num_frames,
        format=args.input_format,
        filter_desc=args.filter,
    )
    if transcode:
        # encoded with the format's defaults, as `ffmpeg -i IN OUT` would
        save(args.output, audio.numpy(), audio.sample_rate, channels_first=False)
        return 0
    _write(args.output, _samples(audio, args.via))
    return 0


def _run_info(argv: List[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m decode_audio info",
                                description="Describe the audio stream of an input.")
    p.add_argument("input", help="input path or URL; - for stdin")
    p.add_argument("--json", action="store_true", help="print every field as JSON")
    p.add_argument("--fast", action="store_true",
                   help="read only the header (num_frames may be an estimate)")
    args = p.parse_args(argv)
    meta = info(_open_input(args.input), exact=not args.fast)
    if args.json:
        print(json.dumps(meta.__dict__, indent=2, ensure_ascii=False))
    else:
        print(meta)
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        if argv and argv[0] == "--version":
            print(_version_text())
            return 0
        if argv and argv[0] == "--codecs":
            print(_listing(ffmpeg_utils.get_audio_decoders(), ffmpeg_utils.get_audio_encoders(),
                           "audio decoder", "audio encoder"))
            return 0
        if argv and argv[0] == "--formats":
            print(_listing(ffmpeg_utils.get_demuxers(), ffmpeg_utils.get_muxers(), "demuxer",
                           "muxer"))
            return 0
        if argv and argv[0] == "info":
            return _run_info(argv[1:])
        return _run_decode(argv)
    except (DecodeAudioError, FileNotFoundError, ValueError) as e:
        print(f"decode_audio: {e}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 1


if __name__ == "__main__":
    sys.exit(main())
