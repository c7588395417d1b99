"""A dataset for the DataLoader tests, importable by spawned workers."""

from __future__ import annotations

import torch

import decode_audio


class Clips(torch.utils.data.Dataset):
    """One second windows of the given files, as float32 (channels, frames) tensors."""

    def __init__(self, paths):
        self.paths = list(paths)

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i: int):
        waveform, _ = decode_audio.load(self.paths[i], frame_offset=1000, num_frames=8000,
                                        sample_rate=16000, num_channels=1)
        return waveform


class Decoded(torch.utils.data.Dataset):
    """The decoded `Audio` of each file itself, which workers send back pickled."""

    def __init__(self, paths):
        self.paths = list(paths)

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i: int) -> decode_audio.Audio:
        return decode_audio.decode(self.paths[i], channels_first=i % 2 == 1)


class ThreadsUsed(torch.utils.data.Dataset):
    """The threads each file's decode was split among, with decode's default num_threads."""

    def __init__(self, paths):
        self.paths = list(paths)

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i: int) -> int:
        return decode_audio.decode(self.paths[i]).num_threads
