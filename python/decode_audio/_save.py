"""`save()`: one array encoded to a file or file-like in one go, like ``torchaudio.save``;
other backends through the registry."""

from __future__ import annotations

import os
from typing import Any, Dict, Optional, Tuple

import numpy as np

from ._arrays import as_array, layout
from ._dtypes import dtype_code
from ._files import write_in_place
from ._formats import (DEFAULT_BITS, DEFAULT_ENCODERS, MUXERS, PCM_BYTE_ORDER, PCM_ENCODERS,
                       SAVE_DTYPES)
from ._registry import BACKENDS, for_writing
from ._writer import Writer, stream_options

__all__ = ["save"]


def _plan(muxer: str, encoding: Optional[str], bits: Optional[int],
          compression: Any, dtype: str) -> Tuple[str, Dict[str, Any]]:
    """(encoder, stream settings) for save(); raises ValueError before anything is written."""
    settings: Dict[str, Any] = {}
    encoding = encoding.upper() if encoding else None
    if muxer in PCM_BYTE_ORDER:
        if compression is not None:
            raise ValueError(f"compression does not apply to {muxer}")
        if encoding is None:
            encoding = "PCM_U" if bits == 8 and muxer != "aiff" and muxer != "au" else "PCM_S"
        if bits is None:
            bits = DEFAULT_BITS.get(encoding)
        encoder = PCM_ENCODERS[PCM_BYTE_ORDER[muxer]].get((encoding, bits))
        if encoder is None:
            raise ValueError(f"{muxer} cannot hold encoding={encoding} with "
                             f"bits_per_sample={bits}")
        return encoder, settings
    encoder, name = DEFAULT_ENCODERS.get(muxer, (None, None))
    if encoding is not None and encoding != name:
        raise ValueError(f"{muxer} files hold {name or 'their own'} audio; encoding={encoding} "
                         "does not apply")
    if muxer == "flac":
        if bits not in (None, 16, 24):
            raise ValueError(f"FLAC takes bits_per_sample 16 or 24; got {bits}")
        settings["encoder_format"] = "s32" if bits == 24 else "s16"
        if bits == 24:
            settings["bits_per_raw_sample"] = 24
        if compression is not None:
            if not (isinstance(compression, (int, np.integer)) and 0 <= compression <= 12):
                raise ValueError(f"FLAC compression is a level from 0 to 12; got {compression}")
            settings["compression_level"] = int(compression)
        return encoder, settings
    if bits is not None:
        raise ValueError(f"bits_per_sample does not apply to {muxer}")
    if compression is not None:
        if not isinstance(compression, (int, float, np.number)) or isinstance(compression, bool):
            raise ValueError(f"compression must be a number; got {compression!r}")
        if muxer == "ogg":
            if not -1 <= compression <= 10:
                raise ValueError(f"Vorbis compression is a quality from -1 to 10; got "
                                 f"{compression}")
            settings["quality"] = float(compression)
        elif compression > 0:
            settings["bit_rate"] = int(compression * 1000)
        else:
            raise ValueError(f"compression is a bit rate in kbit/s for {muxer}; got "
                             f"{compression}")
    return encoder, settings


def save(
    uri: Any,
    src: Any,
    sample_rate: int,
    channels_first: bool = True,
    format: Optional[str] = None,
    encoding: Optional[str] = None,
    bits_per_sample: Optional[int] = None,
    buffer_size: int = 65536,
    backend: Optional[str] = None,
    compression: Any = None,
) -> None:
    """Encodes samples to a file or file-like object, like ``torchaudio.save``.

    Parameters
    ----------
    uri : path or file-like
        A path (written to a temporary name beside it and renamed at the end, so a failure
        leaves nothing there and an existing file untouched), or an object with ``write``
        (``format`` required). Seekable file-likes get complete headers; write-only ones take
        streamable formats (ogg, opus, flac, adts, au, ...) and refuse the others.
    src : torch.Tensor, numpy.ndarray, DLPack or buffer object
        2-D samples, uint8/int16/int32/float32/float64, read in place (any strides).
    sample_rate : int
    channels_first : bool
        Whether `src` is ``(channels, frames)`` (default) or ``(frames, channels)``.
    format : str, optional
        ``wav flac mp3 ogg vorbis opus m4a mp4 aac aiff au gsm amr-nb w64 caf mka webm``, or
        any FFmpeg muxer; default: from the extension.
    encoding : str, optional
        WAV/AIFF/AU: ``PCM_S`` (16/24/32 bits; AIFF/AU also 8), ``PCM_U`` (8), ``PCM_F``
        (32/64), ``ULAW``, ``ALAW``. Default PCM_S 16-bit.
    bits_per_sample : int, optional
        As above; FLAC: 16 (default) or 24.
    buffer_size : int
        Unused; kept for torchaudio's signature.
    backend : str, optional
        ``"ffmpeg"``, ``"sox"`` (paths only; also writes sph, amb, htk and SoX's other
        types) or ``"soundfile"``; default: FFmpeg when it has a muxer for the format, else
        the first other available backend that writes it.
    compression : number, optional
        FFmpeg: FLAC level 0-12 (default 5); MP3, Opus, AAC: bit rate in kbit/s; Vorbis:
        quality -1..10 (default 3). sox: its ``-C`` value. soundfile: FLAC level 0-8.

    Examples
    --------
    >>> decode_audio.save("out.flac", waveform, 16000, bits_per_sample=24)   # doctest: +SKIP
    """
    chosen = for_writing(backend, uri, format)
    if not isinstance(sample_rate, (int, np.integer)) or sample_rate <= 0:
        raise ValueError(f"sample_rate must be a positive integer; got {sample_rate!r}")
    array = as_array(src)
    if array.dtype.name not in SAVE_DTYPES:
        raise ValueError(f"samples must be one of {', '.join(SAVE_DTYPES)}; got {array.dtype}")
    frames, channels, _, _ = layout(array, channels_first)
    if not 0 < channels <= 64:
        raise ValueError(f"samples must have 1 to 64 channels; got {channels}"
                         + ("" if channels_first else " (is channels_first right?)"))
    if chosen != "ffmpeg":
        BACKENDS[chosen].save(uri, array, int(sample_rate), channels_first, format,
                                    encoding, bits_per_sample, compression)
        return
    is_path = isinstance(uri, (str, os.PathLike))
    if format is None:
        if not is_path:
            raise ValueError("format is required when saving to a file-like object")
        format = os.path.splitext(os.fspath(uri))[1].lstrip(".").lower()
        if not format:
            raise ValueError(f"cannot tell the format of {uri!r} from its name; pass format=")
    key = format.lower()
    muxer = MUXERS.get(key, key)
    encoder, settings = _plan(muxer, encoding, bits_per_sample, compression, array.dtype.name)
    # `keep` holds what the C options point to until the file is written
    opts, keep = stream_options(int(sample_rate), channels, dtype_code(array.dtype), encoder,
                                 settings)
    if not is_path:
        _encode(uri, muxer, opts, array, channels_first)
        return
    target = os.fspath(uri)
    write_in_place(target, lambda path: _encode(path, muxer, opts, array, channels_first,
                                                name=target))


def _encode(dst: Any, muxer: str, opts: Any, array: np.ndarray, channels_first: bool,
            name: Optional[str] = None) -> None:
    writer = Writer(dst, muxer, name)
    try:
        writer.add_audio(opts)
        writer.start()
        writer.write(0, array, channels_first)
        writer.close()
    finally:
        writer.abandon()
