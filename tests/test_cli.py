"""The command line through the installed `decode-audio` entry point (the package is installed
into a temporary directory with pip, so the console script is the one users get)."""

from __future__ import annotations

import json
import os
import shutil
import stat
import struct
import subprocess
import sys

import numpy as np
import pytest

from conftest import CACHE, GOLDEN, ROOT, ffmpeg, make_input, reference

import decode_audio


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(the decode-audio script, the environment that finds the installed package)."""
    target = tmp_path_factory.mktemp("site")
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation",
                    "-q", "--target", str(target), ROOT], check=True, capture_output=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",
                                                            "DECODE_AUDIO_LIBRARY")}
    env["PYTHONPATH"] = str(target)
    return str(target / "bin" / "decode-audio"), env


@pytest.fixture
def cli(installed, tmp_path):
    script, env = installed

    def run(*args: str, **kw) -> subprocess.CompletedProcess:
        kw.setdefault("capture_output", True)
        return subprocess.run([script, *map(str, args)], env=env, cwd=tmp_path, **kw)
    return run


def no_traceback(r: subprocess.CompletedProcess) -> str:
    err = r.stderr.decode() if isinstance(r.stderr, bytes) else r.stderr
    assert "Traceback" not in err
    return err


def test_help_and_version_name_the_entry_point(cli):
    r = cli("--help", text=True)
    assert r.returncode == 0 and r.stdout.startswith("usage: decode-audio")
    for command in ("decode", "convert", "info", "plot"):
        assert command in r.stdout
    r = cli("--version", text=True)
    v = decode_audio.get_versions()
    assert r.returncode == 0
    assert r.stdout.startswith(f"decode_audio {decode_audio.__version__} (system FFmpeg ")
    assert f"libavcodec {'.'.join(map(str, v['libavcodec']))}" in r.stdout
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"))
    r = subprocess.run([sys.executable, "-m", "decode_audio", "convert", "--help"], env=env,
                       capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.startswith("usage: decode-audio convert")


def test_c_program_help_exits_0():
    r = subprocess.run([os.path.join(ROOT, "decode_audio_ffmpeg"), "--help"],
                       capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.startswith("usage: ")


def test_raw_decode_is_ffmpegs_bytes(cli, tmp_path):
    r = cli("-i", os.path.join(GOLDEN, "test.wav"), "-o", "out.raw")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "out.raw").read_bytes() == open(os.path.join(GOLDEN, "golden.raw"),
                                                       "rb").read()
    r = cli("decode", "-i", os.path.join(GOLDEN, "test.wav"), "-o", "-", "-f", "f32le")
    assert r.stdout == reference(os.path.join(GOLDEN, "test.wav"), "f32le")


def test_several_inputs_to_raw_are_refused(cli, tmp_path):
    r = cli("-i", os.path.join(GOLDEN, "test.wav"), "-i", make_input("mp3", 2, 44100),
            "-o", "x.raw", text=True)
    assert r.returncode == 2 and "-i is given 2 times" in no_traceback(r)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("ext,container", [("aiff", "aiff"), ("au", "au"), ("w64", "w64"),
                                           ("caf", "caf"), ("mka", "matroska,webm"),
                                           ("wv", "wv")])
def test_audio_extensions_are_real_transcodes(cli, tmp_path, ext, container):
    source = make_input("wav_s16", 2, 44100)
    r = cli("-i", source, "-o", f"out.{ext}")
    assert r.returncode == 0, r.stderr
    meta = decode_audio.info(tmp_path / f"out.{ext}")
    assert meta.container == container and meta.num_channels == 2
    if ext != "mka":  # PCM and WavPack are lossless: the same 16-bit samples (mka: Vorbis)
        assert decode_audio.decode(tmp_path / f"out.{ext}", dtype="int16").numpy().tobytes() \
            == reference(source, "s16le")


@pytest.mark.parametrize("args", [["-i", "IN", "-o", "out.xyz"],
                                  ["-i", "IN", "-o", "small.wav", "-f", "f32le"],
                                  ["convert", "IN", "-o", "out.xyz"],
                                  ["convert", "IN", "-o", "small.flac", "-f", "f32le"],
                                  ["convert", "IN", "-d", "dir", "--to", "nope"]])
def test_unknown_formats_and_misplaced_raw_formats_write_nothing(cli, tmp_path, args):
    source = make_input("wav_s16", 1, 16000)
    r = cli(*[source if a == "IN" else a for a in args], text=True)
    assert r.returncode == 2, r.stderr
    err = no_traceback(r)
    assert "unknown format" in err or "-f f32le applies to raw output" in err
    assert os.listdir(tmp_path) == []


def test_threads_split_each_decode_and_give_the_same_bytes(cli, tmp_path):
    source = make_input("flac", 2, 44100, 4.0)
    expected = reference(source, "s16le")
    for args in (["-threads", "3"], ["-threads", "auto"], []):
        r = cli("-i", source, "-o", "-", *args)
        assert r.returncode == 0 and r.stdout == expected, (args, r.stderr)
    r = cli("convert", source, "-o", "out.flac", "-threads", "2")
    assert r.returncode == 0, r.stderr
    assert decode_audio.decode(tmp_path / "out.flac", dtype="int16").numpy().tobytes() == expected
    for bad in ("0", "-2", "two"):
        r = cli("-i", source, "-o", "-", "-threads", bad, text=True)
        assert r.returncode == 2 and "-threads" in no_traceback(r) and not r.stdout


def test_convert_many_in_parallel(cli, tmp_path):
    sources = [make_input("wav_s16", 2, 44100), make_input("flac", 1, 16000),
               make_input("aiff", 2, 8000)]
    r = cli("convert", *sources, "-d", "out", "--to", "flac", "-j", "2")
    assert r.returncode == 0, r.stderr
    for source in sources:
        out = tmp_path / "out" / (os.path.splitext(os.path.basename(source))[0] + ".flac")
        assert decode_audio.decode(out, dtype="int16").numpy().tobytes() == \
            reference(source, "s16le")
    assert sorted(os.listdir(tmp_path / "out")) == sorted(
        os.path.splitext(os.path.basename(s))[0] + ".flac" for s in sources)


def test_convert_window_rate_channels_and_bit_rate(cli, tmp_path):
    source = make_input("wav_s16", 2, 44100, 3.0)
    r = cli("convert", source, "-o", "cut.wav", "-ss", "1", "-t", "0.5", "-ar", "16000",
            "-ac", "1")
    assert r.returncode == 0, r.stderr
    want = decode_audio.decode(source, sample_rate=16000, num_channels=1,
                               frame_offset=16000, num_frames=8000).numpy()
    got = decode_audio.decode(tmp_path / "cut.wav").numpy()
    assert got.shape == (8000, 1)
    np.testing.assert_allclose(got, want, atol=1 / 32768)  # decoded as float, saved as 16-bit
    r = cli("convert", source, "-o", "low.mp3", "-b:a", "64k")
    assert r.returncode == 0, r.stderr
    assert decode_audio.info(tmp_path / "low.mp3").bit_rate == 64000
    r = cli("convert", source, "-o", "x.raw", "-f", "f32le", "-t", "1")
    assert (tmp_path / "x.raw").read_bytes() == reference(source, "f32le", "-t", "1")
    r = cli("convert", source, "-o", "bad.mp3", "-b:a", "lots", text=True)
    assert r.returncode == 2 and "-b:a" in no_traceback(r)


@pytest.mark.parametrize("fmt,ext,raw", [("wav_s24", "flac", "s32le"), ("wav_s24", "wav", "s32le"),
                                         ("wav_s32", "aiff", "s32le"),
                                         ("wav_f32", "wav", "f32le"),
                                         ("flac_s24", "w64", "s32le")])
def test_convert_keeps_a_lossless_sources_depth(cli, tmp_path, fmt, ext, raw):
    source = make_input(fmt, 2, 48000)
    r = cli("convert", source, "-o", f"out.{ext}")
    assert r.returncode == 0, r.stderr
    out = tmp_path / f"out.{ext}"
    assert decode_audio.info(out).bits_per_sample == decode_audio.info(source).bits_per_sample
    assert reference(str(out), raw) == reference(source, raw)


def test_convert_refuses_two_inputs_for_one_output(cli, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    source = make_input("wav_s16", 1, 16000)
    shutil.copy(source, tmp_path / "a" / "x.wav")
    shutil.copy(source, tmp_path / "b" / "x.wav")
    r = cli("convert", "a/x.wav", "b/x.wav", "-d", "out", "--to", "flac", text=True)
    assert r.returncode == 2 and "several inputs would be written to" in no_traceback(r)
    assert not (tmp_path / "out").exists()


def test_convert_reports_a_failing_input_and_does_the_others(cli, tmp_path):
    (tmp_path / "junk.wav").write_bytes(b"not audio at all" * 100)
    good = make_input("wav_s16", 1, 16000)
    r = cli("convert", "junk.wav", good, "missing.wav", "-d", "out", "--to", "wav", text=True)
    assert r.returncode == 1
    err = no_traceback(r)
    assert "junk.wav" in err and "missing.wav" in err
    assert os.listdir(tmp_path / "out") == [os.path.splitext(os.path.basename(good))[0] + ".wav"]


def test_info_blocks_json_and_failures(cli, tmp_path):
    tagged = tmp_path / "tagged.flac"
    ffmpeg("-f", "lavfi", "-i", "sine=d=2.5:r=22050", "-metadata", "title=Hello", str(tagged))
    golden = os.path.join(GOLDEN, "test.wav")
    r = cli("info", golden, "tagged.flac", "missing.wav", text=True)
    assert r.returncode == 1 and "missing.wav" in no_traceback(r)
    first, second = r.stdout.strip().split("\n\n")
    assert first.splitlines() == [
        f"Input File  : '{golden}'", "Channels    : 1", "Sample Rate : 8000",
        "Precision   : 16-bit", "Duration    : 0:00:05.000 = 40000 frames",
        "Codec       : pcm_s16le (PCM_S)", "Container   : wav", "Bit Rate    : 128 kbit/s",
        "Tags        : -"]
    assert "Duration    : 0:00:02.500 = 55125 frames" in second
    assert "  title=Hello" in second.splitlines() and "Container   : flac" in second
    records = json.loads(cli("info", "--json", golden, "missing.wav").stdout)
    assert records[0]["file"] == golden and records[0]["num_frames"] == 40000
    assert records[0]["codec"] == "pcm_s16le" and "missing.wav" in records[1]["error"]
    assert cli("info", golden).returncode == 0


def png_size(path) -> tuple:
    data = open(path, "rb").read(24)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_plot_waveform_and_spectrogram(cli, tmp_path):
    pytest.importorskip("matplotlib")
    tone = tmp_path / "tone.wav"
    ffmpeg("-f", "lavfi", "-i", "sine=f=1500:d=3:r=32000", str(tone))
    r = cli("plot", "tone.wav", "-o", "wave.png")
    assert r.returncode == 0, r.stderr
    assert png_size(tmp_path / "wave.png") == (1200, 600)
    r = cli("plot", "tone.wav", "-o", "spec.png", "--spectrogram", "-ss", "1", "-t", "1",
            "--size", "800x900")
    assert r.returncode == 0, r.stderr
    assert png_size(tmp_path / "spec.png") == (800, 900)
    # the data the plot draws: the tone's peak at 1500 Hz (within a bin), near its level
    from decode_audio._cli.plot import spectrogram
    x = decode_audio.decode(tone).numpy()[:, 0]
    freqs, times, db = spectrogram(x, 32000)
    peak = freqs[np.argmax(db, axis=0)]
    assert np.all(np.abs(peak - 1500) <= freqs[1])
    assert abs(db.max() - 20 * np.log10(np.abs(x).max())) < 0.5  # a sine's level in dBFS
    assert times[0] > 0 and times[-1] < 3


def test_plot_reduces_long_input_chunk_by_chunk(tmp_path):
    from decode_audio._cli.plot import Pooled, Spectrogram, log_rows, spectrogram
    tone = tmp_path / "tone.wav"
    ffmpeg("-f", "lavfi", "-i", "sine=f=1500:d=40:r=32000", "-ac", "2", str(tone))
    x = decode_audio.decode(tone).numpy()
    # the envelope: each group's min and max, whatever the chunks; groups double to the limit
    low, high = Pooled(np.minimum, 1000), Pooled(np.maximum, 1000)
    for i in range(0, len(x), 65536 + 7):
        low.add(x[i:i + 65536 + 7])
        high.add(x[i:i + 65536 + 7])
    lows, sizes = low.result()
    highs, _ = high.result()
    assert 500 < len(lows) <= 1001 and sizes.sum() == len(x) and low.size == 2048
    ends = np.cumsum(sizes)
    for j in (0, 1, 317, len(sizes) - 1):
        group = x[ends[j] - sizes[j]:ends[j]]
        assert np.array_equal(lows[j], group.min(axis=0))
        assert np.array_equal(highs[j], group.max(axis=0))
    # the spectrogram: fed in chunks it equals the one-shot one; pooled, the tone stays put
    mono = x.mean(axis=1)
    whole = spectrogram(mono, 32000)
    fed, pooled = Spectrogram(32000), Spectrogram(32000, limit=100)
    for i in range(0, len(mono), 50000):
        fed.add(mono[i:i + 50000])
        pooled.add(mono[i:i + 50000])
    for a, b in zip(whole, fed.result()):
        assert np.array_equal(a, b)
    freqs, times, db = pooled.result()
    assert 50 < db.shape[1] <= 101 and np.all(np.diff(times) > 0) and times[-1] < 40
    assert np.all(np.abs(freqs[np.argmax(db, axis=0)] - 1500) <= freqs[1])
    assert abs(db.max() - whole[2].max()) < 0.1
    # the rows drawn: log-spaced, the tone's the loudest
    bands, rows = log_rows(freqs, db, 20, 16000, 150)
    assert rows.shape == (150, db.shape[1])
    loudest = np.argmax(rows, axis=0)
    assert np.all((bands[loudest] <= 1500 + freqs[1]) & (bands[loudest + 1] >= 1500 - freqs[1]))


def test_errors_are_one_line_with_an_exit_status(cli, tmp_path):
    source = make_input("wav_s16", 1, 16000)
    r = cli("-i", "missing.wav", "-o", "x.raw", text=True)
    assert r.returncode == 1 and "missing.wav" in no_traceback(r)
    r = cli("-i", source, "-o", "no/such/dir/x.raw", text=True)
    assert r.returncode == 1 and "no/such/dir/x.raw" in no_traceback(r)
    r = cli("-i", source, "-o", "/dev/full", text=True)
    assert r.returncode == 1 and "No space left on device" in no_traceback(r)
    # a pipe or device given as the output is written, never replaced by a renamed file
    # (checked on a FIFO first, so that /dev/full is never at risk)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE)
    r = cli("convert", source, "-o", fifo, "--to", "au", text=True)
    assert r.returncode == 0, r.stderr
    assert reader.communicate()[0][:4] == b".snd" and stat.S_ISFIFO(os.stat(fifo).st_mode)
    os.unlink(fifo)
    r = cli("convert", source, "-o", "/dev/full", "--to", "au", text=True)
    assert r.returncode == 1 and "No space left on device" in no_traceback(r)
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)
    r = cli("info", "missing.wav", text=True)
    assert r.returncode == 1 and "missing.wav" in no_traceback(r)
    assert os.listdir(tmp_path) == []


def test_progress_is_shown_when_asked(cli, tmp_path):
    source = make_input("wav_s16", 1, 16000, 3.0)
    r = cli("-i", source, "-o", "x.raw", "--progress", text=True)
    assert r.returncode == 0 and "3.0/3.0 s" in r.stderr
    # many inputs: a bar of files
    r = cli("convert", source, make_input("flac", 1, 16000), "-d", "out", "--to", "flac",
            "--progress", text=True)
    assert r.returncode == 0 and "2/2" in r.stderr
    # stderr is not a terminal here, so nothing by default
    assert cli("-i", source, "-o", "y.raw", text=True).stderr == ""
    assert cli("convert", source, "-o", "y.flac", text=True).stderr == ""


def test_one_conversion_shows_seconds_of_its_input(installed, tmp_path):
    # 10 s at 16 kHz is three chunks of decoding; tqdm redraws at every update when its
    # minimum interval is 0 (its TQDM_MININTERVAL), so each chunk's second shows
    script, env = installed
    source = make_input("wav_s16", 1, 16000, 10.0)
    r = subprocess.run([script, "convert", source, "-o", "x.flac", "--progress"], cwd=tmp_path,
                       env={**env, "TQDM_MININTERVAL": "0"}, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    shown = [line.strip().split("|")[-1] for line in r.stderr.replace("\r", "\n").splitlines()
             if line.strip()]
    counts = [part.split()[0] for part in shown]
    assert counts == ["0.0/10.0", "4.1/10.0", "8.2/10.0", "10.0/10.0"], shown
    # a window: its seconds
    r = subprocess.run([script, "convert", source, "-o", "y.flac", "-ss", "2", "-t", "5",
                        "--progress"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert r.returncode == 0 and "5.0/5.0 s" in r.stderr, r.stderr
    r = subprocess.run([script, "convert", "missing.wav", "-o", "z.flac", "--progress"],
                       cwd=tmp_path, env=env, capture_output=True, text=True)
    assert r.returncode == 1 and "missing.wav" in no_traceback(r)
    assert sorted(os.listdir(tmp_path)) == ["x.flac", "y.flac"]


@pytest.mark.parametrize("ext, args", [("wav", []), ("flac", ["-ss", "1.5", "-t", "4"]),
                                       ("mp3", ["-ar", "22050"]), ("ogg", ["-ac", "1"]),
                                       ("opus", []), ("m4a", ["-b:a", "96k"]), ("aiff", []),
                                       ("w64", ["-ss", "0.3"])])
def test_convert_streams_the_bytes_one_save_writes(cli, tmp_path, ext, args):
    # 6 s of 44.1 kHz stereo is five chunks of decoding and encoding; the file is the one
    # save() writes of the whole input decoded at once
    source = make_input("wav_s16", 2, 44100, 6.0)
    r = cli("convert", source, "-o", f"out.{ext}", *args)
    assert r.returncode == 0, r.stderr
    options = {"-ss": ("frame_offset", lambda v: round(float(v) * rate)),
               "-t": ("num_frames", lambda v: round(float(v) * rate)),
               "-ar": ("sample_rate", int), "-ac": ("num_channels", int)}
    rate = int(args[args.index("-ar") + 1]) if "-ar" in args else 44100
    kwargs = {options[k][0]: options[k][1](v) for k, v in zip(args[::2], args[1::2])
              if k in options}
    whole = decode_audio.decode(source, **kwargs)
    expected = tmp_path / f"expected.{ext}"
    decode_audio.save(expected, whole.numpy(), whole.sample_rate, channels_first=False,
                      compression=96 if "-b:a" in args else None)
    assert (tmp_path / f"out.{ext}").read_bytes() == expected.read_bytes()


def hour_long() -> str:
    """One hour of 8 kHz mono FLAC (cached)."""
    path = os.path.join(CACHE, "hour_8k_mono.flac")
    if not os.path.exists(path):
        os.makedirs(CACHE, exist_ok=True)
        tmp = f"{path}.{os.getpid()}.flac"
        ffmpeg("-f", "lavfi", "-i", "sine=f=440:r=8000:d=3600", "-c:a", "flac", tmp)
        os.replace(tmp, path)
    return path


PEAK_RSS = """
import resource, subprocess, sys
r = subprocess.run(["bash", "-o", "pipefail", "-c", sys.argv[1]], capture_output=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024, r.returncode,
      len(r.stdout), r.stderr.decode().count("Traceback"))
"""


def peak_rss(command: str, env) -> tuple:
    """(peak RSS in MB of the shell command's processes, its status, bytes out, tracebacks)."""
    out = subprocess.run([sys.executable, "-c", PEAK_RSS, command], env=env, check=True,
                         capture_output=True, text=True).stdout.split()
    return tuple(int(n) for n in out)


def test_an_hour_decodes_to_raw_in_bounded_memory(installed):
    script, env = installed
    hour = hour_long()
    base, status, _, _ = peak_rss(f"{script} info {hour}", env)
    assert status == 0
    # the whole hour as int16 would be 57.6 MB (float32 115 MB); a chunk is 65536 frames
    peak, status, size, tracebacks = peak_rss(f"{script} -i {hour} -o -", env)
    assert status == 0 and size == 3600 * 8000 * 2 and tracebacks == 0
    assert peak - base < 20, (peak, base)
    peak, status, size, tracebacks = peak_rss(
        f"{script} -i {hour} -o - | head -c 100", env)
    assert size == 100 and tracebacks == 0 and status == 141
    assert peak - base < 20, (peak, base)


def test_an_hour_converts_in_bounded_memory(installed, tmp_path):
    script, env = installed
    hour = hour_long()
    base, status, _, _ = peak_rss(f"{script} info {hour}", env)
    assert status == 0
    # decoded at once, the hour is 115 MB of float32 (before streaming: 110 MB over `info`)
    for ext in ("flac", "wav"):
        out = tmp_path / f"hour.{ext}"
        peak, status, _, tracebacks = peak_rss(f"{script} convert {hour} -o {out}", env)
        assert status == 0 and tracebacks == 0
        assert peak - base < 25, (ext, peak, base)
        assert reference(str(out), "s16le") == reference(hour, "s16le")
        assert stat.S_IMODE(os.stat(out).st_mode) == 0o666 & ~current_umask()


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_an_hour_plots_in_bounded_memory(installed, tmp_path):
    pytest.importorskip("matplotlib")
    script, env = installed
    hour = hour_long()
    # matplotlib's own share: the plot of 5 s
    base, status, _, _ = peak_rss(f"{script} plot {GOLDEN}/test.wav -o {tmp_path}/short.png "
                                  "--spectrogram", env)
    assert status == 0
    # decoded at once the hour was 115 MB, and its every spectrogram column drawn 5 GB
    for extra in ("", "--spectrogram"):
        out = tmp_path / "hour.png"
        peak, status, _, tracebacks = peak_rss(f"{script} plot {hour} -o {out} {extra}", env)
        assert status == 0 and tracebacks == 0
        assert peak - base < 40, (extra, peak, base)
        assert png_size(out) == (1200, 600)
