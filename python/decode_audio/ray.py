"""Ray Data: audio files and bytes columns decoded into datasets with Ray's column names.

``read_audio`` is a drop-in for ``ray.data.read_audio`` that decodes every format FFmpeg reads
(M4A/AAC, Opus, WMA...), resamples, remixes and windows, and reads the files inside the read
tasks themselves: each task decodes its files with `load_many` into one block. `DecodeBatch`
decodes a bytes column of any dataset in ``map_batches``.

Ray is imported only when these are called (``pip install decode_audio[ray]``).

Examples
--------
>>> from decode_audio.ray import read_audio                    # doctest: +SKIP
>>> ds = read_audio("clips/", sample_rate=16000, include_paths=True)
>>> ds.take(1)[0]["amplitude"].shape                           # (channels, frames)
"""

from __future__ import annotations

import math
import os
from typing import Any, Dict, Iterator, List, Optional, Sequence, Union

import numpy as np

from ._dtypes import NUMPY_DTYPES, dtype_code
from ._errors import DecodeAudioError
from ._parallel import load_many

__all__ = ["read_audio", "DecodeBatch", "AUDIO_EXTENSIONS"]

# The extensions ray.data.read_audio reads by default; FFmpeg decodes every one of them.
AUDIO_EXTENSIONS = ["mp3", "wav", "aac", "flac", "ogg", "m4a", "wma", "alac", "aiff", "pcm",
                    "amr", "opus", "ra", "rm", "au", "mid", "midi", "caf"]

# read_binary_files' options read_audio applies itself when it reads paths in its own tasks;
# any other (filesystem, partitioning, shuffle...) is read through read_binary_files.
_TASK_OPTIONS = {"parallelism", "num_cpus", "num_gpus", "memory", "concurrency", "compute",
                 "override_num_blocks", "label_selector", "fallback_strategy", "max_calls",
                 "resources", "accelerator_type", "runtime_env", "ray_remote_args"}
# files a read task decodes into one block at most
_FILES_PER_BLOCK = 64
# Unless told otherwise, one read task per CPU of the cluster, as a task's start-up costs as
# much as decoding dozens of short files; many files make more tasks, of this many at most.
_MAX_FILES_PER_TASK = 1024


def _decode_options(sample_rate: Optional[int], num_channels: Optional[int], dtype: Any,
                    frame_offset: int, num_frames: int, on_error: str,
                    extra: Dict[str, Any]) -> Dict[str, Any]:
    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error must be 'raise' or 'skip'; got {on_error!r}")
    if "channels_first" in extra or "out" in extra:
        raise TypeError("Ray's amplitude is (channels, frames): channels_first and out are fixed")
    return dict(extra, sample_rate=sample_rate, num_channels=num_channels, dtype=dtype,
                frame_offset=frame_offset, num_frames=num_frames, channels_first=True)


def _decode_rows(srcs: Sequence[Any], names: Sequence[str], options: Dict[str, Any],
                 on_error: str, num_threads: int) -> Dict[str, Any]:
    """One batch (column -> array) of the decoded `srcs`: ``amplitude``, ``sample_rate``, and
    ``error`` (None where decoding succeeded) with ``on_error="skip"``."""
    results = load_many(srcs, num_threads=num_threads, errors="return", **options)
    amplitude: List[np.ndarray] = []
    rates = np.zeros(len(results), np.int64)
    errors: List[Optional[str]] = []
    dtype = NUMPY_DTYPES[dtype_code(options.get("dtype") or "float32")]
    for i, result in enumerate(results):
        if isinstance(result, BaseException):
            if on_error == "raise":
                if isinstance(result, DecodeAudioError) and str(names[i]) not in str(result):
                    raise DecodeAudioError(f"{names[i]}: {result}", result.code,
                                           str(names[i])) from result
                raise result
            amplitude.append(np.zeros((0, 0), dtype))
            errors.append(f"{type(result).__name__}: {result}")
        else:
            amplitude.append(result.numpy())
            rates[i] = result.sample_rate
            errors.append(None)
    batch: Dict[str, Any] = {"amplitude": _tensor_column(amplitude), "sample_rate": rates}
    if on_error == "skip":
        batch["error"] = np.array(errors, dtype=object)
    return batch


def _tensor_column(arrays: List[np.ndarray]) -> Any:
    """One array of equal-shaped tensors (stacked once), or an object array of ragged ones,
    which Ray turns into a variable-shaped tensor column."""
    if arrays and all(a.shape == arrays[0].shape for a in arrays):
        return np.stack(arrays)
    column = np.empty(len(arrays), dtype=object)
    column[:] = arrays
    return column


def _block(batch: Dict[str, Any]) -> Any:
    from ray.data.block import BlockAccessor

    return BlockAccessor.batch_to_block(batch)


class DecodeBatch:
    """Decodes a column of encoded audio in ``Dataset.map_batches``.

    Parameters
    ----------
    column : str
        The column of bytes (``read_binary_files`` names it ``"bytes"``); it is replaced by
        ``amplitude`` (``(channels, frames)``) and ``sample_rate``. Other columns are kept.
    on_error : {"raise", "skip"}
        ``"skip"``: a row that fails gets its reason in an ``error`` column (None elsewhere),
        an empty ``amplitude`` and ``sample_rate`` 0; ``"raise"``: the first failure raises.
    num_threads : int
        Threads decoding a batch (`load_many`); default 1, one per CPU Ray gives the task.
    **decode_kwargs
        `decode`'s options: ``sample_rate``, ``num_channels``, ``dtype``, ``frame_offset``,
        ``num_frames``, ``resample_quality``...

    Examples
    --------
    >>> ds = ray.data.read_binary_files("clips/", include_paths=True)        # doctest: +SKIP
    >>> ds = ds.map_batches(DecodeBatch(sample_rate=16000), batch_size=64)  # doctest: +SKIP
    """

    def __init__(self, column: str = "bytes", *, on_error: str = "raise", num_threads: int = 1,
                 **decode_kwargs: Any) -> None:
        self.column = column
        self.on_error = on_error
        self.num_threads = num_threads
        self.options = _decode_options(decode_kwargs.pop("sample_rate", None),
                                       decode_kwargs.pop("num_channels", None),
                                       decode_kwargs.pop("dtype", "float32"),
                                       decode_kwargs.pop("frame_offset", 0),
                                       decode_kwargs.pop("num_frames", -1), on_error,
                                       decode_kwargs)

    def __call__(self, batch: Dict[str, Any]) -> Dict[str, Any]:
        if self.column not in batch:
            raise KeyError(f"DecodeBatch: the batch has no column {self.column!r}; it has "
                           f"{', '.join(batch)}")
        data = batch[self.column]
        paths = batch.get("path")
        names = [str(p) for p in paths] if paths is not None else [
            f"row {i} of column {self.column!r}" for i in range(len(data))]
        decoded = _decode_rows(list(data), names, self.options, self.on_error, self.num_threads)
        out = {name: value for name, value in batch.items() if name != self.column}
        out.update(decoded)
        return out


def _expand(paths: Union[str, os.PathLike, Sequence[Any]], extensions: Optional[Sequence[str]],
            ignore_missing: bool) -> List[str]:
    """Local files, directories walked in sorted order, filtered by extension."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    suffixes = tuple("." + e.lower().lstrip(".") for e in extensions) if extensions else None
    files: List[str] = []
    for path in paths:
        path = os.fspath(path)
        if path.startswith("file://"):
            path = path[len("file://"):]
        if os.path.isdir(path):
            found = []
            for root, dirs, names in os.walk(path):
                dirs.sort()
                found += [os.path.join(root, n) for n in sorted(names)]
        elif os.path.exists(path):
            found = [path]
        elif ignore_missing:
            continue
        else:
            raise FileNotFoundError(f"read_audio: {path} does not exist")
        files += [f for f in found if suffixes is None or f.lower().endswith(suffixes)]
    return files


def _is_local(paths: Any) -> bool:
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    return all("://" not in os.fspath(p) or os.fspath(p).startswith("file://") for p in paths)


def _read_task_class() -> Any:
    from ray.data.block import BlockMetadata
    from ray.data.datasource import Datasource, ReadTask

    class AudioFilesDatasource(Datasource):
        """Local audio files, decoded by the read tasks, a block per group of files."""

        def __init__(self, files: List[str], options: Dict[str, Any], on_error: str,
                     include_paths: bool, num_threads: int, tasks_given: bool) -> None:
            super().__init__()
            self.files = files
            self.tasks_given = tasks_given
            self.options = options
            self.on_error = on_error
            self.include_paths = include_paths
            self.num_threads = num_threads

        def get_name(self) -> str:
            return "DecodeAudio"

        def estimate_inmemory_data_size(self) -> Optional[int]:
            return sum(os.path.getsize(f) for f in self.files) or None

        def get_read_tasks(self, parallelism: int, *args: Any, **kwargs: Any) -> List[Any]:
            count = len(self.files)
            if count == 0:
                return []
            if self.tasks_given and parallelism > 0:
                tasks = min(parallelism, count)
            else:
                import ray

                cpus = int(ray.cluster_resources().get("CPU", 1)) if ray.is_initialized() else 1
                tasks = min(count, max(cpus, math.ceil(count / _MAX_FILES_PER_TASK)))
            per_task = math.ceil(count / tasks)
            return [self._task(self.files[i:i + per_task], ReadTask, BlockMetadata)
                    for i in range(0, count, per_task)]

        def _task(self, files: List[str], read_task: Any, metadata: Any) -> Any:
            options, on_error = self.options, self.on_error
            include_paths, threads = self.include_paths, self.num_threads

            def read() -> Iterator[Any]:
                for start in range(0, len(files), _FILES_PER_BLOCK):
                    group = files[start:start + _FILES_PER_BLOCK]
                    batch = _decode_rows(group, group, options, on_error, threads)
                    if include_paths:
                        batch["path"] = np.array(group, dtype=object)
                    yield _block(batch)

            size = sum(os.path.getsize(f) for f in files)
            return read_task(read, metadata(num_rows=len(files), size_bytes=size,
                                            input_files=files, exec_stats=None))

    return AudioFilesDatasource


def read_audio(
    paths: Union[str, os.PathLike, Sequence[Any]],
    *,
    sample_rate: Optional[int] = None,
    num_channels: Optional[int] = None,
    dtype: Any = "float32",
    frame_offset: int = 0,
    num_frames: int = -1,
    include_paths: bool = False,
    on_error: str = "raise",
    file_extensions: Optional[List[str]] = AUDIO_EXTENSIONS,
    ignore_missing_paths: bool = False,
    **read_binary_files_kwargs: Any,
) -> Any:
    """A ``ray.data.Dataset`` of decoded audio files, with ``ray.data.read_audio``'s columns.

    Parameters
    ----------
    paths : str or list of str
        Files and directories (walked, filtered by `file_extensions`).
    sample_rate, num_channels, dtype, frame_offset, num_frames
        As for `decode`: resampling, remixing, the sample type and a window in output frames.
    include_paths : bool
        Add a ``path`` column.
    on_error : {"raise", "skip"}
        ``"raise"``: a file that cannot be decoded fails the dataset, the error naming it.
        ``"skip"``: it becomes a row with its reason in an ``error`` column (None for the
        others), an empty ``amplitude`` and ``sample_rate`` 0.
    file_extensions : list of str, optional
        Ray's list by default (including m4a, aac, wma, which FFmpeg decodes); None: every file.
    **read_binary_files_kwargs
        ``ray.data.read_binary_files``' options. Local paths are read by decode_audio's own
        read tasks (which take ``override_num_blocks``, ``concurrency``, ``ray_remote_args``
        and the other task options); remote URIs and ``filesystem``, ``partitioning``,
        ``shuffle`` and the like go through ``read_binary_files`` and `DecodeBatch`.

    Returns
    -------
    ray.data.Dataset
        Columns ``amplitude`` (``(channels, frames)`` arrays), ``sample_rate`` (int64), plus
        ``path`` and ``error`` as asked.
    """
    import ray.data

    options = _decode_options(sample_rate, num_channels, dtype, frame_offset, num_frames,
                              on_error, {})
    own = _is_local(paths) and set(read_binary_files_kwargs) <= _TASK_OPTIONS
    if not own:
        ds = ray.data.read_binary_files(paths, include_paths=True,
                                        file_extensions=file_extensions,
                                        ignore_missing_paths=ignore_missing_paths,
                                        **read_binary_files_kwargs)
        options.pop("channels_first")
        ds = ds.map_batches(DecodeBatch("bytes", on_error=on_error, **options), batch_size=64)
        return ds if include_paths else ds.drop_columns(["path"])
    files = _expand(paths, file_extensions, ignore_missing_paths)
    remote = read_binary_files_kwargs.get("ray_remote_args") or {}
    threads = max(1, int(read_binary_files_kwargs.get("num_cpus")
                         or remote.get("num_cpus") or 1))
    given = "override_num_blocks" in read_binary_files_kwargs or \
        read_binary_files_kwargs.get("parallelism", -1) > 0
    source = _read_task_class()(files, options, on_error, include_paths, threads, given)
    return ray.data.read_datasource(source, **read_binary_files_kwargs)
