"""The command line, ``decode-audio`` (also ``python -m decode_audio``):

    decode-audio -i IN -o OUT.raw [-f s16le] [-ar RATE] [-ac CH] ...   raw samples (or decode)
    decode-audio convert IN... [-o OUT | -d DIR --to FMT] [-ar] [-ac] [-ss] [-t] [-b:a | -C] [-j]
    decode-audio info FILE... [--json]
    decode-audio plot FILE -o out.png [--spectrogram] [-ss SECONDS] [-t SECONDS]
    decode-audio --version | --codecs | --formats

Exit status: 0 done, 1 an input or output failed (a message on stderr, never a traceback),
2 a command line that asks for something impossible (nothing written), 141 the reader of
standard output went away (as a program killed by SIGPIPE), 130 interrupted.
"""

from __future__ import annotations

import argparse
import errno
import os
import sys
from typing import Any, Callable, Dict, List, Optional

from .. import ffmpeg_utils
from . import convert, info, plot, raw
from .common import EXPECTED, UsageError, extension, is_raw_output, os_message, writable_format

__all__ = ["main"]

PROG = "decode-audio"
COMMANDS = ("decode", "convert", "info", "plot")
TOP_OPTIONS = ("-h", "--help", "--version", "--codecs", "--formats")


def version_text() -> str:
    v = ffmpeg_utils.get_versions()
    libs = ", ".join(f"{name} {'.'.join(map(str, v[name]))}"
                     for name in ("libavutil", "libavcodec", "libavformat", "libavfilter",
                                  "libswresample"))
    ffmpeg = ffmpeg_utils.get_build_config().splitlines()[0].split()[-1]
    # the self-contained wheel's pinned FFmpeg, or whatever the system's library is
    build = "bundled" if ffmpeg.endswith("+decode_audio") else "system"
    version = ".".join(map(str, v["decode_audio"]))
    return f"decode_audio {version} ({build} FFmpeg {ffmpeg}: {libs})"


def listing(readers: Dict[str, str], writers: Dict[str, str], reader: str, writer: str) -> str:
    """Lines like `ffmpeg -codecs`: flags D (reads) and E (writes), the name, the description."""
    lines = [f" D. = {reader}", f" .E = {writer}", " --"]
    for name in sorted(set(readers) | set(writers)):
        flags = ("D" if name in readers else ".") + ("E" if name in writers else ".")
        lines.append(f" {flags} {name:<24} {readers.get(name) or writers.get(name, '')}")
    return "\n".join(lines)


class Listing(argparse.Action):
    """--version, --codecs, --formats: print and exit 0."""

    def __init__(self, option_strings: List[str], dest: str, text: Callable[[], str],
                 **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, **kwargs)
        self.text = text

    def __call__(self, parser: Any, namespace: Any, values: Any, option: Any = None) -> None:
        print(self.text())
        parser.exit(0)


def threads(text: str) -> Any:
    """-threads: a positive count or 'auto'."""
    if text == "auto":
        return text
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be a positive count or 'auto'; got {text!r}")
    return n


def add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("-ar", dest="sample_rate", type=int, metavar="RATE", help="output sample rate")
    p.add_argument("-ac", dest="num_channels", type=int, metavar="CH", help="output channels")
    p.add_argument("-threads", dest="threads", type=threads, metavar="N",
                   help="threads to split each input's decode among (decode()'s num_threads: "
                        "a count or 'auto'; default: one per input)")
    shown = p.add_mutually_exclusive_group()
    shown.add_argument("--progress", dest="progress", action="store_true", default=None,
                       help="show progress on stderr (default: when stderr is a terminal)")
    shown.add_argument("--no-progress", dest="progress", action="store_false")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=PROG, description="Decode, convert, describe and plot audio with FFmpeg. Without "
        "a command, `decode-audio -i IN -o OUT` is `decode-audio decode -i IN -o OUT`.")
    p.add_argument("--version", action=Listing, text=version_text,
                   help="decode_audio's version and the FFmpeg it runs with")
    p.add_argument("--codecs", action=Listing, help="FFmpeg's audio decoders and encoders",
                   text=lambda: listing(ffmpeg_utils.get_audio_decoders(),
                                        ffmpeg_utils.get_audio_encoders(), "audio decoder",
                                        "audio encoder"))
    p.add_argument("--formats", action=Listing, help="FFmpeg's demuxers and muxers",
                   text=lambda: listing(ffmpeg_utils.get_demuxers(), ffmpeg_utils.get_muxers(),
                                        "demuxer", "muxer"))
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for name, module, text in (
            ("decode", raw, "decode one input to raw samples (ffmpeg -i IN -f s16le OUT), in "
                            "bounded memory"),
            ("convert", convert, "convert inputs to another format, in bounded memory, on "
                                 "threads"),
            ("info", info, "describe inputs, like soxi"),
            ("plot", plot, "draw the waveform and a spectrogram to an image, in bounded "
                           "memory")):
        s = sub.add_parser(name, help=text, description=text)
        module.add_arguments(s)  # type: ignore[attr-defined]
        if name in ("decode", "convert"):
            add_common(s)
    return p


def open_input(name: str) -> Any:
    return sys.stdin.buffer if name == "-" else name


def report(error: BaseException, name: Optional[str] = None) -> str:
    """Prints `error` as one line on stderr (no traceback) and returns the message; an
    unexpected exception is raised again."""
    if not isinstance(error, EXPECTED):
        raise error
    if isinstance(error, OSError) and not isinstance(error, BrokenPipeError):
        message = os_message(error)
    else:
        message = str(error)
    if name and name not in message:
        message = f"'{name}': {message}"
    print(f"{PROG}: {message}", file=sys.stderr, flush=True)
    return message


def decode_command(args: argparse.Namespace) -> int:
    if len(args.input) > 1:
        raise UsageError(f"-i is given {len(args.input)} times: decode one input at a time, or "
                         f"convert several with `{PROG} convert IN... -d DIR --to FMT`")
    if is_raw_output(args.output):
        return raw.run(args, open_input(args.input[0]))
    # an audio extension transcodes, as `convert` does; an unknown one is refused
    fmt = extension(args.output)
    if args.format:
        raise UsageError(f"-f {args.format} applies to raw output (.raw, .pcm, -); "
                         f"{args.output!r} is {fmt}: use `{PROG} convert` options for it")
    if not writable_format(fmt):
        raise UsageError(f"cannot write {args.output!r}: unknown format {fmt!r} (raw samples "
                         f"go to .raw, .pcm or -; audio to .wav, .flac, .mp3, ...)")
    if args.input[0] == "-" or args.frame_offset or args.num_frames >= 0 or args.filter \
            or args.input_format or args.via != "numpy":
        raise UsageError("--frame-offset, --num-frames, --filter, --input-format, --via and "
                         f"-i - apply to raw output; use `{PROG} convert IN -o OUT -ss -t`")
    ns = argparse.Namespace(inputs=args.input, output=args.output, directory=None, to=None,
                            format=None, start=None, duration=None, bit_rate=None,
                            compression=None, jobs=1, sample_rate=args.sample_rate,
                            num_channels=args.num_channels, progress=args.progress,
                            threads=args.threads)
    return convert.run(ns, report)


def run(argv: List[str]) -> int:
    if argv and argv[0] not in COMMANDS + TOP_OPTIONS:
        argv = ["decode", *argv]  # today's form: decode-audio -i IN -o OUT
    args = parser().parse_args(argv)
    if args.command is None:
        parser().print_help(sys.stderr)
        return 2
    if args.command == "decode":
        return decode_command(args)
    if args.command == "convert":
        return convert.run(args, report)
    if args.command == "info":
        return info.run(args, report, open_input)
    return plot.run(args)


def main(argv: Optional[List[str]] = None) -> int:
    """The entry point: returns the exit status."""
    try:
        return run(sys.argv[1:] if argv is None else argv)
    except BrokenPipeError:
        quiet_stdout()
        return 141
    except UsageError as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except EXPECTED as e:
        if isinstance(e, OSError) and e.errno == errno.EPIPE:
            quiet_stdout()
            return 141
        report(e)
        return 1


def quiet_stdout() -> None:
    """Points standard output at /dev/null, so the interpreter's last flush of a closed pipe
    says nothing."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
