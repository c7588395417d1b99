"""decode_audio beside its peers, measured side by side in one run.

Run with `make bench` from the top directory: the peers (soundfile, PyAV, scipy, torchcodec)
live in bench/.venv, the ffmpeg CLI is read through a pipe, and `bare_decode` (bare_decode.c)
is the limit: a bare libav decode loop converting with plain loops. Rows:
- per call, over many calls: 1 s 16 kHz mono WAV (float32, and int16 for the readers that
  keep integers), 1 s 16 kHz mono MP3, a 3.4 s 16 kHz speech-like WAV;
- full decodes of 5 minutes of 44.1 kHz stereo (Opus: 48 kHz) to float32, decode_audio on one
  thread (its column and ratio) and split among two (`num_threads=2`, its own columns: the
  time, the speed-up over one thread, and the ratio to the fastest peer);
- 1 s windows starting 60 s into the same files. decode_audio's are exact (equal to the same
  frames of a full decode; AAC and Opus ones are found by verified convergence), and its
  exact=False rows enter AAC and Opus after a converging preroll without verifying it. A peer
  whose window is not bit for bit the same frames of its own full decode is marked, and the
  ratio of an exact row leaves it out. The ffmpeg CLI seeks with -ss (inexact for lossy codecs);
- peak RSS growth over the size of the output array, each reader in a fresh process
  (decode_audio on one thread and on two);
- load_many scaling over threads.
Each cell is the median of several runs, the readers taking turns run by run in an order
shuffled each run (a reader can slow the one after it: right after torchcodec the next decode
takes up to twice its time here, whoever it is); the ratio is decode_audio's time over the
fastest peer's (below 1.0: decode_audio is faster; the limit column is not a peer). "-" marks a
reader that cannot read the format.
"""

from __future__ import annotations

import os
import platform
import random
import statistics
import subprocess
import sys
import time
from typing import Callable, Dict, FrozenSet, List, Optional, Tuple

import numpy as np

import decode_audio

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")
BARE = os.path.join(HERE, "bare_decode")
RUNS = int(os.environ.get("BENCH_RUNS", "7"))


def _optional(name: str):
    try:
        return __import__(name)
    except Exception:  # noqa: BLE001 - an optional peer fails to import in many ways
        return None


soundfile = _optional("soundfile")
av = _optional("av")
try:
    from scipy.io import wavfile as scipy_wavfile
except Exception:  # noqa: BLE001 - optional
    scipy_wavfile = None
try:
    from torchcodec.decoders import AudioDecoder
except Exception:  # noqa: BLE001 - torchcodec is optional, and fails in many ways
    AudioDecoder = None

PEERS = [name for name, mod in (("soundfile", soundfile), ("PyAV", av), ("scipy", scipy_wavfile),
                                ("ffmpeg pipe", True), ("torchcodec", AudioDecoder))
         if mod is not None]

TONES = ("aevalsrc=exprs=0.3*sin(2*PI*440*t)+0.1*random(0)|0.3*sin(2*PI*660*t)+0.1*random(1)"
         ":s={rate}:d={seconds}")
# Syllable-rate bursts of a gliding voiced tone with formant-like partials and breath noise.
SPEECH = ("aevalsrc=exprs='(0.55+0.45*sin(2*PI*3.7*t))*(0.25*sin(2*PI*(120+25*sin(2*PI*0.7*t))*t)"
          "+0.12*sin(2*PI*730*t)+0.06*sin(2*PI*1090*t)+0.03*sin(2*PI*2440*t)"
          "+0.04*(random(0)-0.5))':s=16000:d=3.4")
CODECS = {
    "wav": ("wav", ["-c:a", "pcm_s16le"]),
    "flac": ("flac", ["-c:a", "flac", "-sample_fmt", "s16"]),
    "mp3": ("mp3", ["-c:a", "libmp3lame", "-b:a", "192k"]),
    "vorbis": ("ogg", ["-c:a", "libvorbis"]),
    "opus": ("opus", ["-c:a", "libopus"]),
    "aac": ("m4a", ["-c:a", "aac"]),
}


def make(name: str, source: str, codec: str) -> str:
    ext, args = CODECS[codec]
    path = os.path.join(DATA, f"{name}.{ext}")
    if not os.path.exists(path):
        os.makedirs(DATA, exist_ok=True)
        subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                        source, *args, path], check=True)
    return path


def median_time(fn: Callable[[], object], calls: int = 1, runs: int = RUNS) -> float:
    """Median over `runs` of the time of one call, each run timing `calls` calls."""
    fn()  # warm the page cache and the libraries
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        for _ in range(calls):
            fn()
        times.append((time.perf_counter() - t) / calls)
    return statistics.median(times)


# ---- the readers: each returns float32 samples, (frames, channels) or (channels, frames) ----

def to_float(x: np.ndarray) -> np.ndarray:
    if x.dtype == np.int16:
        return x.astype(np.float32) * np.float32(1 / 32768)
    if x.dtype == np.int32:
        return x.astype(np.float32) * np.float32(1 / 2147483648)
    return x.astype(np.float32, copy=False)


def ours(path: str, start: int = 0, frames: int = -1, **kw) -> Callable:
    return lambda: decode_audio.decode(path, frame_offset=start, num_frames=frames, **kw)


def soundfile_reader(path: str, start: int = 0, frames: int = -1, dtype: str = "float32"):
    try:
        soundfile.info(path)
    except Exception:  # noqa: BLE001 - a format libsndfile does not read
        return None
    return lambda: soundfile.read(path, start=start, frames=frames, dtype=dtype)


def scipy_reader(path: str, start: int = 0, frames: int = -1, dtype: str = "float32"):
    if not path.endswith(".wav"):
        return None
    convert = to_float if dtype == "float32" else (lambda x: x)
    if start == 0 and frames < 0:
        return lambda: convert(scipy_wavfile.read(path)[1])
    return lambda: convert(scipy_wavfile.read(path, mmap=True)[1][start:start + frames])


def pyav_planes(f) -> np.ndarray:
    """A PyAV frame as (channels, samples): to_ndarray gives packed formats as one row."""
    x = f.to_ndarray()
    return x.reshape(-1, len(f.layout.channels)).T if f.format.is_packed else x


def pyav_reader(path: str, start: int = 0, frames: int = -1, dtype: str = "float32"):
    def full():
        with av.open(path) as c:
            parts = [pyav_planes(f) for f in c.decode(audio=0)]
        x = np.concatenate(parts, axis=1)
        return to_float(x) if dtype == "float32" else x

    def window():
        with av.open(path) as c:
            st = c.streams.audio[0]
            rate = st.codec_context.sample_rate
            c.seek(int(start / rate / st.time_base), stream=st)
            parts, first = [], None
            for f in c.decode(st):
                at = int(round(f.pts * st.time_base * rate))
                if first is None:
                    first = at
                parts.append(pyav_planes(f))
                if at + f.samples >= start + frames:
                    break
            x = np.concatenate(parts, axis=1)
            a = max(start - first, 0)
            return to_float(x[:, a:a + frames])

    return full if start == 0 and frames < 0 else window


def pipe_reader(path: str, start: int = 0, frames: int = -1, rate: int = 0,
                dtype: str = "float32"):
    fmt = "f32le" if dtype == "float32" else "s16le"
    seek = ["-ss", f"{start / rate}"] if start else []
    length = ["-t", f"{frames / rate}"] if frames >= 0 else []
    cmd = ["ffmpeg", "-nostdin", "-loglevel", "error", *seek, "-i", path, *length,
           "-f", fmt, "-"]
    return lambda: np.frombuffer(subprocess.run(cmd, check=True, capture_output=True).stdout,
                                 dtype=np.float32 if dtype == "float32" else np.int16)


def torchcodec_reader(path: str, start: float = 0.0, stop: Optional[float] = None):
    if stop is None:
        return lambda: AudioDecoder(path).get_all_samples()
    return lambda: AudioDecoder(path).get_samples_played_in_range(start, stop)


def peers_for(path: str, rate: int, start: int = 0, frames: int = -1, dtype: str = "float32"):
    readers = {
        "soundfile": lambda: soundfile_reader(path, start, frames, dtype),
        "PyAV": lambda: pyav_reader(path, start, frames, dtype),
        "scipy": lambda: scipy_reader(path, start, frames, dtype),
        "ffmpeg pipe": lambda: pipe_reader(path, start, frames, rate, dtype),
        "torchcodec": lambda: (torchcodec_reader(path, start / rate,
                                                 None if frames < 0 else (start + frames) / rate)
                               if dtype == "float32" else None),
    }
    return {name: readers[name]() for name in PEERS}


def bare_time(path: str) -> Optional[float]:
    if not os.path.exists(BARE):
        return None
    out = subprocess.run([BARE, path, str(RUNS)], check=True, capture_output=True, text=True)
    return float(out.stdout.split()[0]) / 1e3


# ---- rows ----

# the column of decode_audio split among two threads (full decodes)
THREADS_2 = "decode_audio num_threads=2"


class Table:
    def __init__(self, title: str, unit: str, limit: bool = False, decimals: int = 1,
                 threads: bool = False) -> None:
        self.title, self.unit, self.limit, self.decimals = title, unit, limit, decimals
        self.threads = threads
        self.rows: List[str] = []
        self.marked = False

    def add(self, label: str, ours_fn: Callable, peers: Dict[str, Optional[Callable]],
            calls: int = 1, pipe_calls: Optional[int] = None, limit: Optional[float] = None,
            ours_2: Optional[Callable] = None, inexact: FrozenSet[str] = frozenset(),
            like_for_like: bool = False):
        """Times decode_audio and the peers round-robin, run by run, so that they share the
        machine's state; cells are medians over the runs. `ours_2`: decode_audio on two
        threads, for the table's num_threads=2 columns. Peers in `inexact` are marked, and
        left out of the ratio unless `like_for_like` (decode_audio's result is inexact too)."""
        scale = 1e6 if self.unit == "µs" else 1e3
        fmt = f"{{:.{self.decimals}f}}"
        readers = [("decode_audio", ours_fn, calls)]
        if self.threads:
            readers.append((THREADS_2, ours_2, calls))
        for name in PEERS:
            if peers.get(name) is not None:
                n = pipe_calls if name == "ffmpeg pipe" and pipe_calls else calls
                readers.append((name, peers[name], n))
        times: Dict[str, List[float]] = {name: [] for name, _, _ in readers}
        for _, fn, _ in readers:
            fn()  # warm the page cache and the libraries
        order = random.Random(label)
        for _ in range(RUNS):
            for name, fn, n in order.sample(readers, len(readers)):
                t = time.perf_counter()
                for _ in range(n):
                    fn()
                times[name].append((time.perf_counter() - t) / n)
        median = {name: statistics.median(ts) for name, ts in times.items()}
        t_ours = median.pop("decode_audio")
        t_2 = median.pop(THREADS_2, None)
        cells = [fmt.format(median[name] * scale) + (" †" if name in inexact else "")
                 if name in median else "-" for name in PEERS]
        self.marked = self.marked or bool(inexact & set(median))
        same = [t for name, t in median.items() if like_for_like or name not in inexact]
        best = min(same) if same else None
        ratio = f"{t_ours / best:.2f}" if best else "-"
        row = f"| {label} | {fmt.format(t_ours * scale)} | "
        if self.threads:
            ratio_2 = f"{t_2 / best:.2f}" if best else "-"
            row += f"{fmt.format(t_2 * scale)} | {t_ours / t_2:.2f} | {ratio_2} | "
            print(f"  {label}: num_threads=2 {t_2 * scale:.2f} {self.unit}, "
                  f"{t_ours / t_2:.2f}x one thread", file=sys.stderr, flush=True)
        row += " | ".join(cells) + f" | {ratio}"
        if self.limit:
            row += (f" | {fmt.format(limit * scale)} | {t_ours / limit:.2f}" if limit
                    else " | - | -")
        self.rows.append(row + " |")
        print(f"  {label}: ours {t_ours * scale:.2f} {self.unit}, ratio {ratio}",
              file=sys.stderr, flush=True)

    def render(self) -> str:
        head = f"| file | decode_audio | "
        rule = "|---|---" + "|---" * len(PEERS) + "|---"
        if self.threads:
            head += f"{THREADS_2} | speed-up | ratio 2 threads | "
            rule += "|---|---|---"
        head += " | ".join(PEERS) + " | ratio"
        if self.limit:
            head += " | bare libav loop | vs loop"
            rule += "|---|---"
        note = (["", "† The peer's window is not the same frames of its own full decode (it "
                 "enters the window without a converged preroll); the ratio of an exact row is "
                 "over the fastest peer whose window is."] if self.marked else [])
        return "\n".join([f"{self.title} ({self.unit}, median of {RUNS}):", "", head + " |",
                          rule + "|", *self.rows, *note, ""])


def per_call_rows() -> Table:
    table = Table("Per call, 16 kHz mono, float32 unless marked", "µs", decimals=0)
    tone = "sine=frequency=440:sample_rate=16000:duration=1"
    wav1, mp31 = make("1s_16k_mono", tone, "wav"), make("1s_16k_mono", tone, "mp3")
    speech = make("3.4s_16k_speech", SPEECH, "wav")
    calls = 200
    table.add("WAV 1 s", ours(wav1), peers_for(wav1, 16000), calls, 3)
    table.add("WAV 1 s, int16", ours(wav1, dtype="int16"), peers_for(wav1, 16000, dtype="int16"),
              calls, 3)
    table.add("MP3 1 s", ours(mp31), peers_for(mp31, 16000), 50, 3)
    table.add("WAV 3.4 s speech-like", ours(speech), peers_for(speech, 16000), calls, 3)
    return table


def full_rows(paths: Dict[str, Tuple[str, int]]) -> Table:
    table = Table("Full decode, 5 min 44.1 kHz stereo (Opus 48 kHz), float32", "ms", limit=True,
                  threads=True)
    wav = paths["wav"][0]
    assert np.array_equal(decode_audio.decode(wav).numpy(),
                          soundfile.read(wav, dtype="float32")[0]), "decoders disagree on the WAV"
    for name, (path, rate) in paths.items():
        # the decode_audio column is one thread (the default splits a 5 min file)
        one = decode_audio.decode(path, num_threads=1)
        two = decode_audio.decode(path, num_threads=2)
        assert one.numpy().tobytes() == two.numpy().tobytes(), f"{name}: threads disagree"
        print(f"  {name}: num_threads=2 decodes on {two.num_threads}", file=sys.stderr)
        table.add(name, ours(path, num_threads=1), peers_for(path, rate), limit=bare_time(path),
                  ours_2=ours(path, num_threads=2))
    return table


def as_frames(out: object, channels: int) -> np.ndarray:
    """A reader's result as a (frames, channels) array."""
    if isinstance(out, tuple):  # soundfile: (data, rate)
        out = out[0]
    if hasattr(out, "numpy"):  # decode_audio's Audio
        out = out.numpy()
    elif hasattr(out, "data") and not isinstance(out, np.ndarray):  # torchcodec's AudioSamples
        out = out.data.numpy()
    x = np.asarray(out)
    if x.ndim == 1:  # the pipe's interleaved samples
        return x.reshape(-1, channels)
    return x if x.shape[1] == channels else x.T


def inexact_peers(path: str, rate: int, start: int, frames: int) -> FrozenSet[str]:
    """The peers whose window differs from the same frames of their own full decode (bit for
    bit, as decode_audio's exact windows are held to)."""
    full, window = peers_for(path, rate), peers_for(path, rate, start, frames)
    ours_full = as_frames(decode_audio.decode(path), 2)
    assert as_frames(ours(path, start, frames)(), 2).tobytes() == \
        ours_full[start:start + frames].tobytes(), f"decode_audio's window of {path} is not exact"
    names = set()
    for name in PEERS:
        if window.get(name) is None or full.get(name) is None:
            continue
        w, f = as_frames(window[name](), 2), as_frames(full[name](), 2)[start:start + frames]
        if w.shape != f.shape or w.tobytes() != f.tobytes():
            names.add(name)
            diff = (np.abs(w - f).max() if w.shape == f.shape else f"shape {w.shape} vs {f.shape}")
            print(f"  {os.path.basename(path)}: {name}'s window differs from its full decode "
                  f"({diff})", file=sys.stderr, flush=True)
    return frozenset(names)


def window_rows(paths: Dict[str, Tuple[str, int]]) -> Table:
    table = Table("1 s window 60 s in, float32", "ms", decimals=2)
    inexact = {name: inexact_peers(path, rate, 60 * rate, rate)
               for name, (path, rate) in paths.items()}
    for name, (path, rate) in paths.items():
        table.add(name, ours(path, 60 * rate, rate), peers_for(path, rate, 60 * rate, rate), 5, 1,
                  inexact=inexact[name])
    for name in ("opus", "aac"):
        path, rate = paths[name]
        table.add(f"{name}, exact=False", ours(path, 60 * rate, rate, exact=False),
                  peers_for(path, rate, 60 * rate, rate), 5, 1, inexact=inexact[name],
                  like_for_like=True)
    return table


RSS_SCRIPT = r"""
import sys, numpy as np


def peak_rss():
    # VmHWM, not ru_maxrss: ru_maxrss keeps the high-water mark of the process that forked us
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))



peer, path, small = sys.argv[1], sys.argv[2], sys.argv[3]
if peer.startswith("decode_audio"):
    import decode_audio
    threads = 2 if peer.endswith("=2") else 1
    run = lambda: decode_audio.decode(path, num_threads=threads).numpy()
elif peer == "soundfile":
    import soundfile
    run = lambda: soundfile.read(path, dtype="float32")[0]
elif peer == "PyAV":
    import av
    def run():
        with av.open(path) as c:
            return np.concatenate([f.to_ndarray() for f in c.decode(audio=0)], axis=1)
elif peer == "scipy":
    from scipy.io import wavfile
    run = lambda: wavfile.read(path)[1].astype(np.float32) * np.float32(1 / 32768)
elif peer == "ffmpeg pipe":
    import subprocess
    cmd = lambda: ["ffmpeg", "-nostdin", "-loglevel", "error", "-i", path, "-f", "f32le", "-"]
    run = lambda: np.frombuffer(subprocess.run(cmd(), check=True, capture_output=True).stdout,
                                dtype=np.float32)
else:
    from torchcodec.decoders import AudioDecoder
    run = lambda: AudioDecoder(path).get_all_samples().data.numpy()
# a 1 s file of the same format first: the libraries' code and tables are then paged in, and
# what the 5 min decode adds is the memory the decode itself needs
path, big = small, path
run()
path = big
base = peak_rss()
x = run()
peak = peak_rss()
print((peak - base) * 1024 / x.nbytes)
"""


def rss_rows(paths: Dict[str, Tuple[str, int]]) -> str:
    smalls = {name: make(f"1s_stereo_{name}", TONES.format(rate=44100, seconds=1), name)
              for name in ("wav", "flac", "mp3")}
    lines = ["Peak RSS growth over the output array's size, fresh process per reader, after "
             "a 1 s file of the same format has paged the libraries in (1.00 = the array "
             "alone):", "",
             f"| file | decode_audio | {THREADS_2} | " + " | ".join(PEERS) + " |",
             "|---|---|---" + "|---" * len(PEERS) + "|"]
    for name in ("wav", "flac", "mp3"):
        path = paths[name][0]
        cells = []
        for peer in ["decode_audio", THREADS_2] + PEERS:
            if (peer == "scipy" and name != "wav") or (peer == "soundfile" and
                                                       soundfile_reader(path) is None):
                cells.append("-")
                continue
            out = subprocess.run([sys.executable, "-c", RSS_SCRIPT, peer, path, smalls[name]],
                                 check=True,
                                 capture_output=True, text=True, env=os.environ)
            cells.append(f"{float(out.stdout):.2f}")
        lines.append(f"| {name} 5 min | " + " | ".join(cells) + " |")
        print(f"  rss {name}: {cells}", file=sys.stderr, flush=True)
    return "\n".join(lines + [""])


def scaling_rows() -> str:
    path = make("30s_stereo", TONES.format(rate=44100, seconds=30), "mp3")
    paths = [path] * 24
    t1 = median_time(lambda: decode_audio.load_many(paths, num_threads=1))
    t2 = median_time(lambda: decode_audio.load_many(paths, num_threads=2))
    return "\n".join([f"load_many, 24 x 30 s MP3 (ms, median of {RUNS}):", "",
                      "| threads | ms | speed-up |", "|---|---|---|",
                      f"| 1 | {t1 * 1e3:.0f} | 1.00 |", f"| 2 | {t2 * 1e3:.0f} | {t1 / t2:.2f} |",
                      ""])


def environment() -> str:
    ffmpeg_version = decode_audio.ffmpeg_utils.get_build_config().splitlines()[0].split()[-1]
    parts = [f"{platform.machine()}, {os.cpu_count()} cores", f"Python {platform.python_version()}",
             f"numpy {np.__version__}", f"FFmpeg {ffmpeg_version}"]
    if soundfile is not None:
        parts.append(f"soundfile {soundfile.__version__} (libsndfile "
                     f"{soundfile.__libsndfile_version__})")
    if av is not None:
        parts.append(f"PyAV {av.__version__} (its own FFmpeg {av.ffmpeg_version_info})")
    if scipy_wavfile is not None:
        parts.append(f"scipy {__import__('scipy').__version__}")
    if AudioDecoder is not None:
        parts.append(f"torchcodec {__import__('torchcodec').__version__}")
    load = os.getloadavg()
    return ("Machine: " + "; ".join(parts) +
            f". Load average at the start: {load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f}.")


def main() -> int:
    paths = {}
    for name in CODECS:
        rate = 48000 if name == "opus" else 44100
        paths[name] = (make(f"5min_stereo_{name}", TONES.format(rate=rate, seconds=300), name),
                       rate)
    started = time.time()
    print(environment())
    print()
    for section in (per_call_rows, lambda: full_rows(paths), lambda: window_rows(paths)):
        print(section().render(), flush=True)
    print(rss_rows(paths), flush=True)
    print(scaling_rows(), flush=True)
    print(f"(whole run: {time.time() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
