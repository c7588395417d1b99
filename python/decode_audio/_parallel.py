"""Decoding many inputs at once on threads: the C calls release the GIL."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterable, List, Optional, Union

from ._decode import decode
from ._audio import Audio

__all__ = ["load_many"]


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
        `decode`'s options, the same for every input.

    Returns
    -------
    list of Audio (or of exceptions, with ``errors="return"``)

    Examples
    --------
    >>> clips = decode_audio.load_many(paths, sample_rate=16000, num_frames=16000)  # doctest: +SKIP
    >>> batch = np.stack([c.numpy() for c in clips])                                # doctest: +SKIP
    """
    if errors not in ("raise", "return"):
        raise ValueError(f"errors must be 'raise' or 'return'; got {errors!r}")
    items = list(srcs)
    threads = num_threads if num_threads is not None else (os.cpu_count() or 1)
    if threads < 1:
        raise ValueError(f"num_threads must be at least 1; got {num_threads}")

    def one(src: Any) -> Union[Audio, BaseException]:
        try:
            return decode(src, **decode_kwargs)
        except Exception as e:  # noqa: BLE001 - reported per input
            if errors == "raise":
                raise
            return e

    if threads == 1 or len(items) <= 1:
        return [one(src) for src in items]
    with ThreadPoolExecutor(max_workers=min(threads, len(items))) as pool:
        futures = [pool.submit(one, src) for src in items]
        try:
            return [f.result() for f in futures]
        except BaseException:
            for f in futures:
                f.cancel()
            raise
