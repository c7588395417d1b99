"""``decode-audio info FILE...``: a soxi-like block per input, or JSON for machines."""

from __future__ import annotations

import argparse
import json
from typing import Any, Dict, List

from .._decode import info as describe
from .._metadata import AudioMetaData
from .common import EXPECTED

__all__ = ["add_arguments", "run", "block", "clock"]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("inputs", nargs="+", metavar="FILE", help="input paths or URLs; - for stdin")
    p.add_argument("--json", action="store_true",
                   help="a JSON list, one object per input (failed ones carry \"error\")")
    p.add_argument("--fast", action="store_true",
                   help="read only the header (the frame count may be an estimate)")


def clock(seconds: float) -> str:
    """``h:mm:ss.sss``."""
    millis = int(round(seconds * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    return f"{hours}:{minutes:02d}:{millis / 1000:06.3f}"


def block(name: str, meta: AudioMetaData) -> str:
    """soxi's layout: one ``Field : value`` line each."""
    exact = meta.num_frames_exact
    seconds = meta.num_frames / meta.sample_rate if meta.sample_rate and meta.num_frames \
        else meta.duration
    duration = f"{'' if exact else '~'}{clock(seconds)}"
    if meta.num_frames or exact:
        duration += f" = {meta.num_frames} frames{'' if exact else ' (estimate)'}"
    precision = f"{meta.bits_per_sample}-bit" if meta.bits_per_sample else "-"
    rate = f"{meta.bit_rate / 1000:g} kbit/s" if meta.bit_rate else "-"
    lines = [("Input File", f"'{name}'"), ("Channels", meta.num_channels),
             ("Sample Rate", meta.sample_rate), ("Precision", precision),
             ("Duration", duration), ("Codec", f"{meta.codec} ({meta.encoding})"),
             ("Container", meta.container), ("Bit Rate", rate)]
    tags = meta.tags or {}
    lines.append(("Tags", "-" if not tags else ""))
    text = [f"{label:<12}: {value}".rstrip() for label, value in lines]
    text += [f"  {key}={value}" for key, value in tags.items()]
    return "\n".join(text)


def run(args: argparse.Namespace, report: Any, open_input: Any) -> int:
    """Describes every input; 1 if any failed (the others are still described)."""
    failed = 0
    records: List[Dict[str, Any]] = []
    blocks: List[str] = []
    for name in args.inputs:
        try:
            meta = describe(open_input(name), exact=not args.fast)
        except EXPECTED as e:  # reported, and the next input still described
            failed += 1
            message = report(e, name)
            records.append({"file": name, "error": message})
            continue
        records.append({"file": name, **meta.__dict__})
        blocks.append(block(name, meta))
        if not args.json:
            print(("\n" if len(blocks) > 1 else "") + blocks[-1], flush=True)
    if args.json:
        print(json.dumps(records, indent=2, ensure_ascii=False))
    return 1 if failed else 0
