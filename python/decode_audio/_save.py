"""`save()`: one array encoded to a file or file-like in one go, like ``torchaudio.save``;
other backends through the registry."""

from __future__ import annotations

import os
from typing import Any, Dict, Iterable, Mapping, Optional, Tuple

import numpy as np

from ._arrays import as_array, layout
from ._dtypes import DTYPE_NAMES, dtype_code
from ._files import refuse_text_mode, write_in_place
from ._formats import (DEFAULT_BITS, DEFAULT_ENCODERS, MUXERS, PCM_BYTE_ORDER, PCM_ENCODERS,
                       SAVE_DTYPES, flac_bits, pcm_encoding)
from ._options import MAX_CHANNELS, positive_rate
from ._registry import BACKENDS, for_writing
from ._writer import CodecConfig, Writer, stream_options

__all__ = ["save", "save_chunks"]


def _plan(muxer: str, encoding: Optional[str], bits: Optional[int],
          compression: Any, dtype: str) -> Tuple[str, Dict[str, Any]]:
    """(encoder, stream settings) for save(); raises ValueError before anything is written."""
    settings: Dict[str, Any] = {}
    encoding = encoding.upper() if encoding else None
    if muxer in PCM_BYTE_ORDER:
        if compression is not None:
            raise ValueError(f"compression does not apply to {muxer}")
        if encoding is None:
            encoding = pcm_encoding(muxer, bits)
        if bits is None:
            bits = DEFAULT_BITS.get(encoding)
        encoder = PCM_ENCODERS[PCM_BYTE_ORDER[muxer]].get((encoding, bits))
        if encoder is None:
            raise ValueError(f"{muxer} cannot hold encoding={encoding} with "
                             f"bits_per_sample={bits}")
        return encoder, settings
    if muxer == "flac":
        bits = flac_bits(encoding, bits)
        encoding = None
    encoder, name = DEFAULT_ENCODERS.get(muxer, (None, None))
    if encoding is not None and encoding != name:
        raise ValueError(f"{muxer} files hold {name or 'their own'} audio; encoding={encoding} "
                         "does not apply")
    if muxer == "flac":
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
    durable: bool = False,
    tags: Optional[Mapping[str, Any]] = None,
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
    compression : number or CodecConfig, optional
        FFmpeg: FLAC level 0-12 (default 5); MP3, Opus, AAC: bit rate in kbit/s; Vorbis:
        quality -1..10 (default 3). sox: its ``-C`` value. soundfile: FLAC level 0-8.
        A `CodecConfig` (torchaudio's): ``compression_level`` is the FLAC level, ``qscale``
        the Vorbis (or MP3 VBR) quality, ``bit_rate`` the bit rate in bit/s; the other
        backends take its one value that applies as their number.
    durable : bool
        Paths: fsync the file before renaming it over the target, and its directory after,
        so the new file is on disk when save returns (see the README for the cost).
    tags : dict, optional
        Metadata, e.g. ``{"title": ..., "artist": ...}``: any keys with FFmpeg; libsndfile's
        (title, copyright, software, artist, comment, date, album, license, tracknumber,
        genre) with soundfile; none with sox.

    Examples
    --------
    >>> decode_audio.save("out.flac", waveform, 16000, bits_per_sample=24)   # doctest: +SKIP
    """
    if not isinstance(uri, (str, os.PathLike)):
        refuse_text_mode(uri, "write")
    chosen = for_writing(backend, uri, format)
    sample_rate = positive_rate(sample_rate)
    array = as_array(src)
    if array.dtype.name not in SAVE_DTYPES:
        raise ValueError(f"samples must be one of {', '.join(SAVE_DTYPES)}; got {array.dtype}")
    frames, channels, _, _ = layout(array, channels_first)
    limit = SAVE_CHANNELS[chosen]
    if not 0 < channels <= limit:
        others = "" if chosen != "ffmpeg" else (
            f" (the FFmpeg backend's limit; backend='sox' or 'soundfile' take up to "
            f"{SAVE_CHANNELS['sox']} for WAV, FLAC and other PCM files)")
        raise ValueError(f"samples must have 1 to {limit} channels; got {channels}"
                         + ("" if channels_first else " (is channels_first right?)") + others)
    if tags is not None and not isinstance(tags, Mapping):
        raise TypeError(f"tags must be a dict of names to values; got {type(tags).__name__}")
    if chosen != "ffmpeg":
        if isinstance(compression, CodecConfig):
            compression = _config_number(compression)
        BACKENDS[chosen].save(uri, array, int(sample_rate), channels_first, format,
                              encoding, bits_per_sample, compression, durable, tags or {})
        return
    muxer, opts, keep, tag_map = _ffmpeg_plan(uri, format, encoding, bits_per_sample,
                                              compression, array.dtype, channels,
                                              int(sample_rate), tags)
    # `keep` holds what the C options point to until the file is written
    _write(uri, muxer, opts, tag_map, durable, (array,), channels_first)
    del keep


def save_chunks(
    uri: Any,
    chunks: Iterable[Any],
    sample_rate: int,
    num_channels: int,
    dtype: Any,
    format: Optional[str] = None,
    encoding: Optional[str] = None,
    bits_per_sample: Optional[int] = None,
    compression: Any = None,
    durable: bool = False,
    tags: Optional[Mapping[str, Any]] = None,
) -> None:
    """`save` of samples that arrive in chunks, through FFmpeg: each chunk a ``(frames,
    channels)`` array (or `Audio`, e.g. from `stream()`) of `num_channels` channels and
    `dtype`, encoded as it comes, so memory stays bounded by one chunk and the encoder's state
    whatever the length. The file is the one `save` writes of the chunks joined, byte for byte,
    and is written as `save` writes it: a path through a temporary file renamed at the end (a
    failing chunk leaves nothing there), a file-like as it is. The other arguments are
    `save`'s."""
    if not isinstance(uri, (str, os.PathLike)):
        refuse_text_mode(uri, "write")
    sample_rate = positive_rate(sample_rate)
    dtype = np.dtype(DTYPE_NAMES[dtype_code(dtype)])
    if dtype.name not in SAVE_DTYPES:
        raise ValueError(f"samples must be one of {', '.join(SAVE_DTYPES)}; got {dtype}")
    if not 0 < num_channels <= SAVE_CHANNELS["ffmpeg"]:
        raise ValueError(f"samples must have 1 to {SAVE_CHANNELS['ffmpeg']} channels; got "
                         f"{num_channels}")
    if tags is not None and not isinstance(tags, Mapping):
        raise TypeError(f"tags must be a dict of names to values; got {type(tags).__name__}")
    muxer, opts, keep, tag_map = _ffmpeg_plan(uri, format, encoding, bits_per_sample,
                                              compression, dtype, num_channels,
                                              int(sample_rate), tags)
    _write(uri, muxer, opts, tag_map, durable, (as_array(c) for c in chunks), False)
    del keep  # alive until here


def _ffmpeg_plan(uri: Any, format: Optional[str], encoding: Optional[str],
                 bits_per_sample: Optional[int], compression: Any, dtype: np.dtype,
                 channels: int, sample_rate: int, tags: Optional[Mapping[str, Any]]
                 ) -> Tuple[str, Any, list, Dict[str, str]]:
    """(muxer, C stream options, what they point to, tags) of an FFmpeg save; raises
    ValueError before anything is written."""
    if format is None:
        if not isinstance(uri, (str, os.PathLike)):
            raise ValueError("format is required when saving to a file-like object")
        format = os.path.splitext(os.fspath(uri))[1].lstrip(".").lower()
        if not format:
            raise ValueError(f"cannot tell the format of {uri!r} from its name; pass format=")
    key = format.lower()
    if not BACKENDS["ffmpeg"].writes(key):
        raise ValueError(f"FFmpeg has no muxer for format {key!r}; see get_muxers()")
    muxer = MUXERS.get(key, key)
    config = None
    if isinstance(compression, CodecConfig):
        config, compression = compression, None
    encoder, settings = _plan(muxer, encoding, bits_per_sample, compression, dtype.name)
    if config is not None:
        settings.update(_config_settings(muxer, config))
    opts, keep = stream_options(sample_rate, channels, dtype_code(dtype), encoder, settings)
    return muxer, opts, keep, {str(k): str(v) for k, v in (tags or {}).items()}


def _write(uri: Any, muxer: str, opts: Any, tags: Dict[str, str], durable: bool,
           arrays: Iterable[np.ndarray], channels_first: bool) -> None:
    """Encodes `arrays` one after another: to a path in place, to a file-like as it is."""
    if not isinstance(uri, (str, os.PathLike)):
        _encode(uri, muxer, opts, arrays, channels_first, tags)
        return
    target = os.fspath(uri)
    write_in_place(target, lambda path: _encode(path, muxer, opts, arrays, channels_first, tags,
                                                name=target), durable)


# The most channels each backend's save takes: the C library's limit for FFmpeg; 256 as
# torchaudio's sox backend for libsox and libsndfile.
SAVE_CHANNELS = {"ffmpeg": MAX_CHANNELS, "sox": 256, "soundfile": 256}


def _config_settings(muxer: str, config: CodecConfig) -> Dict[str, Any]:
    """A CodecConfig as save()'s stream settings: compression_level, qscale, bit_rate."""
    settings: Dict[str, Any] = {}
    if muxer in PCM_BYTE_ORDER:
        if config != CodecConfig():
            raise ValueError(f"compression does not apply to {muxer}; got {config}")
        return settings
    if config.compression_level is not None and config.compression_level >= 0:
        if muxer == "flac" and not 0 <= config.compression_level <= 12:
            raise ValueError(f"FLAC compression_level is a level from 0 to 12; got "
                             f"{config.compression_level}")
        settings["compression_level"] = int(config.compression_level)
    if config.qscale is not None and config.qscale == config.qscale:  # not NaN
        if muxer == "ogg" and not -1 <= config.qscale <= 10:
            raise ValueError(f"Vorbis qscale is a quality from -1 to 10; got {config.qscale}")
        settings["quality"] = float(config.qscale)
    if config.bit_rate is not None and config.bit_rate > 0:
        settings["bit_rate"] = int(config.bit_rate)
    return settings


def _config_number(config: CodecConfig) -> Any:
    """The one number the sox and soundfile backends take for a CodecConfig (None: none)."""
    if config.compression_level is not None and config.compression_level >= 0:
        return config.compression_level
    if config.qscale is not None and config.qscale == config.qscale:
        return config.qscale
    if config.bit_rate is not None and config.bit_rate > 0:
        return config.bit_rate / 1000
    return None


def _encode(dst: Any, muxer: str, opts: Any, arrays: Iterable[np.ndarray],
            channels_first: bool, tags: Dict[str, str], name: Optional[str] = None) -> None:
    writer = Writer(dst, muxer, name)
    try:
        writer.add_audio(opts)
        for key, value in tags.items():
            writer.set_metadata(key, value)
        writer.start()
        for array in arrays:
            writer.write(0, array, channels_first)
        writer.close()
    finally:
        writer.abandon()
