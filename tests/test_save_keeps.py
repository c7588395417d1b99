"""save() and StreamWriter keep what the user had: file modes, symlinks, the user's path in
errors, nothing written for a bad format, the same encoding rules on every backend."""

import os
import stat

import numpy as np
import pytest

import decode_audio
from decode_audio import DecodeAudioError

BACKENDS = ["ffmpeg", "sox", "soundfile"]
TONE = (0.25 * np.sin(np.arange(1600, dtype=np.float32) / 5)).reshape(1, -1)


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def _backend(name):
    if name not in decode_audio.list_audio_backends():
        pytest.skip(f"{name} is not available")
    return name


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_new_file_follows_the_umask(tmp_path, backend, umask_022):
    path = tmp_path / "new.wav"
    decode_audio.save(path, TONE, 16000, backend=_backend(backend))
    assert _mode(path) == 0o644
    os.umask(0o077)
    decode_audio.save(tmp_path / "private.wav", TONE, 16000, backend=backend)
    assert _mode(tmp_path / "private.wav") == 0o600


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_overwritten_file_keeps_its_mode(tmp_path, backend, umask_022):
    path = tmp_path / "kept.wav"
    path.write_bytes(b"old")
    os.chmod(path, 0o664)
    decode_audio.save(path, TONE, 16000, backend=_backend(backend))
    assert _mode(path) == 0o664
    assert decode_audio.info(path).num_frames == TONE.shape[1]


def test_stream_writer_files_follow_the_umask_and_keep_modes(tmp_path, umask_022):
    def write(path):
        w = decode_audio.StreamWriter(path)
        w.add_audio_stream(16000, 1)
        with w.open():
            w.write_audio_chunk(0, TONE.T)

    write(tmp_path / "a.wav")
    assert _mode(tmp_path / "a.wav") == 0o644
    os.chmod(tmp_path / "a.wav", 0o660)
    write(tmp_path / "a.wav")
    assert _mode(tmp_path / "a.wav") == 0o660
    assert decode_audio.info(tmp_path / "a.wav").num_frames == TONE.shape[1]


@pytest.mark.parametrize("backend", BACKENDS)
def test_saving_through_a_symlink_replaces_its_target(tmp_path, backend):
    target = tmp_path / "data" / "real.wav"
    target.parent.mkdir()
    target.write_bytes(b"stale")
    link = tmp_path / "link.wav"
    link.symlink_to(target)
    decode_audio.save(link, TONE, 16000, backend=_backend(backend))
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert decode_audio.info(target).num_frames == TONE.shape[1]
    assert sorted(os.listdir(target.parent)) == ["real.wav"]


def test_stream_writer_through_a_symlink_replaces_its_target(tmp_path):
    target = tmp_path / "real.wav"
    target.write_bytes(b"stale")
    link = tmp_path / "link.wav"
    link.symlink_to(target)
    w = decode_audio.StreamWriter(link)
    w.add_audio_stream(16000, 1)
    with w.open():
        w.write_audio_chunk(0, TONE.T)
    assert link.is_symlink()
    assert decode_audio.info(target).num_frames == TONE.shape[1]


@pytest.mark.parametrize("backend", BACKENDS)
def test_saving_onto_a_directory_names_it(tmp_path, backend):
    directory = tmp_path / "some_dir"
    directory.mkdir()
    with pytest.raises(IsADirectoryError, match=r"save '.*some_dir': Is a directory"):
        decode_audio.save(directory, TONE, 16000, format="wav", backend=_backend(backend))
    assert os.listdir(tmp_path) == ["some_dir"] and os.listdir(directory) == []


@pytest.mark.parametrize("backend", [None] + BACKENDS)
def test_an_unknown_format_is_a_value_error_and_writes_nothing(tmp_path, backend):
    if backend:
        _backend(backend)
    with pytest.raises(ValueError, match="(?i)xyz"):
        decode_audio.save(tmp_path / "x.xyz", TONE, 16000, backend=backend)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_flac_encoding_rules_are_the_same_on_every_backend(tmp_path, backend):
    _backend(backend)
    # FLAC holds signed integers: PCM_S (or FLAC) with 16 or 24 bits is what it writes
    for encoding, bits in (("PCM_S", 16), ("PCM_S", 24), ("FLAC", 16), (None, 24)):
        path = tmp_path / f"{encoding}{bits}.flac"
        decode_audio.save(path, TONE, 16000, encoding=encoding, bits_per_sample=bits,
                          backend=backend)
        meta = decode_audio.info(path)
        assert (meta.encoding, meta.bits_per_sample) == ("FLAC", bits)
    # and nothing else
    for encoding, bits in (("PCM_F", 32), ("ULAW", 8), ("PCM_S", 12)):
        with pytest.raises(ValueError, match="FLAC"):
            decode_audio.save(tmp_path / "bad.flac", TONE, 16000, encoding=encoding,
                              bits_per_sample=bits, backend=backend)
    assert not (tmp_path / "bad.flac").exists()


def test_a_failed_stream_writer_leaves_nothing(tmp_path):
    path = tmp_path / "clip.wav"
    w = decode_audio.StreamWriter(path)
    w.add_audio_stream(16000, 2)
    with pytest.raises(ValueError):
        with w.open():
            w.write_audio_chunk(0, TONE)  # (channels, frames): the wrong layout
    assert os.listdir(tmp_path) == []


def test_a_failed_stream_writer_leaves_an_old_file_untouched(tmp_path):
    path = tmp_path / "clip.wav"
    path.write_bytes(b"old")
    w = decode_audio.StreamWriter(path)
    w.add_audio_stream(16000, 2)
    w.open()
    w.write_audio_chunk(0, np.zeros((10, 2), np.float32))
    del w  # never closed
    import gc
    gc.collect()
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["clip.wav"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_durable_saves_write_the_same_file(tmp_path, backend):
    decode_audio.save(tmp_path / "a.wav", TONE, 16000, backend=_backend(backend), durable=True)
    decode_audio.save(tmp_path / "b.wav", TONE, 16000, backend=backend, durable=False)
    assert (tmp_path / "a.wav").read_bytes() == (tmp_path / "b.wav").read_bytes()


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("ext, bits, expected", [
    ("wav", 8, ("PCM_U", 8)), ("wav", 64, ("PCM_F", 64)), ("wav", 32, ("PCM_S", 32)),
    ("au", 8, ("PCM_S", 8)), ("w64", 24, ("PCM_S", 24)),
])
def test_bits_alone_mean_the_same_encoding_on_every_backend(tmp_path, backend, ext, bits,
                                                            expected):
    path = tmp_path / f"x.{ext}"
    decode_audio.save(path, TONE, 16000, bits_per_sample=bits, backend=_backend(backend))
    meta = decode_audio.info(path)
    assert (meta.encoding, meta.bits_per_sample) == expected


@pytest.mark.parametrize("backend", ["ffmpeg", "sox"])
def test_a_pipe_is_written_to_not_replaced(tmp_path, backend):
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(open(fifo, "rb").read()), daemon=True)
    reader.start()
    decode_audio.save(fifo, TONE, 16000, format="au", backend=_backend(backend))
    reader.join(30)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and os.listdir(tmp_path) == ["pipe"]
    assert got and got[0][:4] == b".snd"


@pytest.mark.parametrize("backend", ["ffmpeg", "sox", "soundfile"])
def test_a_full_device_raises_naming_it_and_stays_a_device(backend):
    # as root a rename over /dev/full would succeed and replace the device with a file
    with pytest.raises((OSError, RuntimeError), match="/dev/full"):
        decode_audio.save("/dev/full", TONE, 16000, format="au" if backend != "soundfile"
                          else "wav", backend=_backend(backend))
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_saving_chunks_is_saving_the_whole_and_keeps_what_was_there(tmp_path, umask_022):
    # the CLI's convert encodes chunk by chunk through save_chunks
    from decode_audio._save import save_chunks
    x = (0.3 * np.sin(np.arange(100000, dtype=np.float32) / 7)).reshape(-1, 2)
    for ext in ("wav", "flac", "mp3", "ogg"):
        whole, chunked = tmp_path / f"whole.{ext}", tmp_path / f"chunked.{ext}"
        decode_audio.save(whole, x, 16000, channels_first=False)
        save_chunks(chunked, (x[i:i + 4096] for i in range(0, len(x), 4096)), 16000, 2,
                    np.float32)
        assert chunked.read_bytes() == whole.read_bytes(), ext
    # a chunk that fails half way leaves the file that was there, with its mode
    target = tmp_path / "kept.flac"
    decode_audio.save(target, x, 16000, channels_first=False)
    os.chmod(target, 0o664)
    before = target.read_bytes()

    def failing():
        yield x[:4096]
        raise RuntimeError("the source broke")
    with pytest.raises(RuntimeError, match="the source broke"):
        save_chunks(target, failing(), 16000, 2, "float32")
    assert target.read_bytes() == before and _mode(target) == 0o664
    assert sorted(os.listdir(tmp_path)) == sorted(
        [f"{k}.{e}" for k in ("whole", "chunked") for e in ("wav", "flac", "mp3", "ogg")]
        + ["kept.flac"])
    with pytest.raises(ValueError, match="2 channels; the chunk has 1"):
        save_chunks(tmp_path / "bad.wav", [x[:, :1]], 16000, 2, "float32")
    assert not (tmp_path / "bad.wav").exists()
