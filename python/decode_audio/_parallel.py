"""Decoding many inputs at once on threads: the C calls release the GIL.

The public name is `load_many`, after torchaudio's `load`, but what it returns is what `decode`
returns (`Audio` objects, not `(tensor, rate)` pairs); inside, the work is `decode_many`."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, Iterable, List, Optional, Union

from ._audio import Audio
from ._decode import decode

__all__ = ["load_many", "decode_many"]


def load_many(
    srcs: Iterable[Any],
    num_threads: Optional[int] = None,
    errors: str = "raise",
    **decode_kwargs: Any,
) -> List[Union[Audio, BaseException]]:
    """Decodes many inputs in parallel threads, keeping their order.

    Parameters
    ----------
    srcs : iterable of paths, URLs, bytes or file-likes
    num_threads : int, optional
        Threads to decode on; default: the number of CPUs.
    errors : {"raise", "return"}
        ``"raise"``: the first failing input's exception (in input order) is raised.
        ``"return"``: a failing input's exception takes its place in the result and the
        others are decoded as usual.
    **decode_kwargs
        `decode`'s options, the same for every input; each input is decoded on one thread
        (`decode`'s own ``num_threads`` is 1 here).

    Returns
    -------
    list of Audio (or of exceptions, with ``errors="return"``)

    Examples
    --------
    >>> clips = decode_audio.load_many(paths, sample_rate=16000, num_frames=16000)  # doctest: +SKIP
    >>> batch = np.stack([c.numpy() for c in clips])                                # doctest: +SKIP
    """
    return decode_many(srcs, num_threads, errors, decode_kwargs)


def decode_many(srcs: Iterable[Any], num_threads: Optional[int], errors: str,
                decode_kwargs: Dict[str, Any]) -> List[Union[Audio, BaseException]]:
    """`decode` of each of `srcs` with the same options, on threads, in input order."""
    if errors not in ("raise", "return"):
        raise ValueError(f"errors must be 'raise' or 'return'; got {errors!r}")
    sources = list(srcs)
    threads = num_threads if num_threads is not None else (os.cpu_count() or 1)
    if threads < 1:
        raise ValueError(f"num_threads must be at least 1; got {num_threads}")

    def decode_one(src: Any) -> Union[Audio, BaseException]:
        try:
            return decode(src, num_threads=1, **decode_kwargs)
        except Exception as e:  # noqa: BLE001 - reported per input
            if errors == "raise":
                raise
            return e

    if threads == 1 or len(sources) <= 1:
        return [decode_one(src) for src in sources]
    with ThreadPoolExecutor(max_workers=min(threads, len(sources))) as pool:
        futures = [pool.submit(decode_one, src) for src in sources]
        try:
            return [f.result() for f in futures]
        except BaseException:
            for f in futures:
                f.cancel()
            raise
