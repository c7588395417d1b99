"""The real-world corpus: files written by encoders other than FFmpeg's, and mangled ones.

    python tests/realworld.py [DIR]   builds every file (cached) and prints the table

Each entry is made by a Debian encoder (lame, flac, oggenc, opusenc, speexenc, wavpack, sox,
twolame, mkvmerge, mpcenc, sndfile-convert, AtomicParsley) from a WAV that FFmpeg generates,
or by rewriting such a file's bytes the way broken or unusual files in the wild look: bogus
header counts, truncated tags, garbage between frames, missing edit lists. The files live in
a cache directory named after a hash of this script and the tools' versions, so a change to
either builds them again.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import struct
import subprocess
import sys
import zlib
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# tool -> the command that prints its version
TOOLS = {
    "lame": ["lame", "--version"],
    "flac": ["flac", "--version"],
    "oggenc": ["oggenc", "--version"],
    "opusenc": ["opusenc", "--version"],
    "speexenc": ["speexenc", "--version"],
    "wavpack": ["wavpack", "--version"],
    "sox": ["sox", "--version"],
    "twolame": ["twolame", "--help"],
    "mkvmerge": ["mkvmerge", "--version"],
    "mpcenc": ["mpcenc", "--version"],
    "sndfile-convert": ["sndfile-convert", "--version"],
    "AtomicParsley": ["AtomicParsley", "--version"],
    "id3v2": ["id3v2", "--version"],
    "ffmpeg": ["ffmpeg", "-version"],
}


def run(*cmd: str) -> None:
    subprocess.run(cmd, check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def ffmpeg(*args: str) -> None:
    run("ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args)


def tool_versions() -> str:
    out = []
    for name, cmd in TOOLS.items():
        try:
            p = subprocess.run(cmd, capture_output=True, stdin=subprocess.DEVNULL)
            text = (p.stdout + p.stderr).decode("utf-8", "replace")
            out.append(name + ":" + next((ln for ln in text.splitlines() if ln.strip()), ""))
        except OSError:
            out.append(name + ":missing")
    return "\n".join(out)


def cache_dir() -> str:
    with open(os.path.abspath(__file__), "rb") as f:
        key = hashlib.sha1(f.read() + tool_versions().encode()).hexdigest()[:12]
    base = os.environ.get("DECODE_AUDIO_REALWORLD",
                          os.path.join(os.path.expanduser("~"), ".cache", "decode_audio",
                                       "realworld"))
    return os.path.join(base, key)


# ---- sources: PCM made by FFmpeg, the input every encoder here is fed ----

def source(d: str, rate: int, channels: int, seconds: float, fmt: str = "pcm_s16le") -> str:
    path = os.path.join(d, "src", f"{rate}_{channels}_{seconds:g}_{fmt}.wav")
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.{os.getpid()}.wav"  # processes building at once each write their own
        exprs = "|".join(
            f"0.4*sin(2*PI*{220 * (c + 1)}*t)+0.05*sin(2*PI*{3100 + 50 * c}*t)"
            f"+0.02*(random({c})-0.5)" for c in range(channels))
        ffmpeg("-f", "lavfi", "-i", f"aevalsrc=exprs={exprs}:s={rate}:d={seconds}",
               "-c:a", fmt, "-fflags", "+bitexact", "-flags:a", "+bitexact", tmp)
        os.replace(tmp, path)
    return path


# ---- byte surgery ----

def read(path: str) -> bytearray:
    with open(path, "rb") as f:
        return bytearray(f.read())


def write(path: str, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)


def mp3_frames(data: bytes, start: int) -> List[int]:
    """Offsets of the MPEG audio frames from `start` on (layer II/III, by their headers)."""
    rates = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}
    kbps = {(3, 1): [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
            (3, 2): [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
            (2, 1): [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
            (2, 2): [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160]}
    out, pos = [], start
    while pos + 4 <= len(data):
        h = data[pos:pos + 4]
        if h[0] != 0xFF or (h[1] & 0xE0) != 0xE0:
            break
        ver, layer = (h[1] >> 3) & 3, (h[1] >> 1) & 3
        layer = {1: 1, 2: 2}.get(layer, 0)  # 1: layer III, 2: layer II
        br = kbps[(3 if ver == 3 else 2, layer)][h[2] >> 4] * 1000
        sr = rates[ver][(h[2] >> 2) & 3]
        pad = (h[2] >> 1) & 1
        size = (144 * br // sr if ver == 3 or layer == 2 else 72 * br // sr) + pad
        out.append(pos)
        pos += size
    return out


def id3v2_size(data: bytes) -> int:
    if data[:3] != b"ID3":
        return 0
    return 10 + ((data[6] & 0x7F) << 21 | (data[7] & 0x7F) << 14 | (data[8] & 0x7F) << 7 |
                 (data[9] & 0x7F))


def xing_at(data: bytes) -> int:
    """Where the Xing or Info tag of an MP3's first frame starts."""
    x = data.find(b"Info")
    return x if x >= 0 else data.find(b"Xing")


def xing_frames(data: bytes) -> int:
    """The frame count the Xing or Info tag states."""
    x = xing_at(data)
    return struct.unpack(">I", data[x + 8:x + 12])[0]


def lame_tag_at(data: bytes) -> int:
    """Offset of the 'LAME' string in the Info/Xing frame."""
    x = xing_at(data)
    flags = struct.unpack(">I", data[x + 4:x + 8])[0]
    at = x + 8 + (4 if flags & 1 else 0) + (4 if flags & 2 else 0) + (100 if flags & 4 else 0) + \
        (4 if flags & 8 else 0)
    assert data[at:at + 4] == b"LAME", data[at:at + 4]
    return at


def set_lame_delays(data: bytearray, start: int, end: int) -> None:
    at = lame_tag_at(data) + 21
    v = (start << 12) | end
    data[at:at + 3] = v.to_bytes(3, "big")
    # the tag's CRC covers the frame up to it; a wrong one makes FFmpeg ignore the delays
    frame = data.find(b"\xff", id3v2_size(data))
    crc_at = lame_tag_at(data) + 34
    data[crc_at:crc_at + 2] = crc16_lame(data[frame:crc_at]).to_bytes(2, "big")


def crc16_lame(buf: bytes) -> int:
    crc = 0
    for b in buf:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def set_xing_frames(data: bytearray, frames: int) -> None:
    x = xing_at(data)
    data[x + 8:x + 12] = struct.pack(">I", frames)
    frame = data.find(b"\xff", id3v2_size(data))
    crc_at = lame_tag_at(data) + 34
    data[crc_at:crc_at + 2] = crc16_lame(data[frame:crc_at]).to_bytes(2, "big")


def vbri_from_xing(data: bytearray, frames: int) -> bytearray:
    """Rewrites the LAME Info frame as a Fraunhofer VBRI frame claiming `frames` frames."""
    first = data.find(b"\xff", id3v2_size(data))
    x = xing_at(data)
    body = bytearray(data)
    end = x + 120 + 36
    body[x:end] = bytes(end - x)
    at = first + 4 + 32
    vbri = b"VBRI" + struct.pack(">HHHIIHHHH", 1, 1105, 75, len(data) - first, frames, 0, 1, 2, 1)
    body[at:at + len(vbri)] = vbri
    return body


def flac_blocks(data: bytes):
    """(offset, type, length) of each metadata block, and where the frames start."""
    assert data[:4] == b"fLaC"
    pos, out = 4, []
    while True:
        hdr = data[pos]
        length = int.from_bytes(data[pos + 1:pos + 4], "big")
        out.append((pos, hdr & 0x7F, length))
        pos += 4 + length
        if hdr & 0x80:
            return out, pos


def set_flac_total(data: bytearray, total: int) -> None:
    blocks, _ = flac_blocks(data)
    pos = blocks[0][0] + 4  # STREAMINFO
    v = int.from_bytes(data[pos + 10:pos + 18], "big")
    v = (v & ~((1 << 36) - 1)) | (total & ((1 << 36) - 1))
    data[pos + 10:pos + 18] = v.to_bytes(8, "big")


def crc8(buf: bytes) -> int:
    crc = 0
    for b in buf:
        crc ^= b
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def crc16_flac(buf: bytes) -> int:
    crc = 0
    for b in buf:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x8005) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc


def utf8_number(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    for length in range(2, 8):
        if n < 1 << (5 * length + 1):
            break
    out = []
    for _ in range(length - 1):
        out.append(0x80 | (n & 0x3F))
        n >>= 6
    first = ((0xFF << (8 - length)) & 0xFF) | n
    return bytes([first] + out[::-1])


def utf8_number_len(data: bytes, at: int) -> int:
    first = data[at]
    return 1 if first < 0x80 else 8 - (0xFF ^ first).bit_length()


def flac_frames(data: bytes, start: int) -> List[tuple]:
    """(offset, end, number length, length after the number with the CRC-8, block size) of
    each frame, found by walking frame headers and checking each frame's CRC-16."""
    frames = []
    pos = start
    while pos < len(data) - 2:
        # sync(14) reserved(1) strategy(1) | block size(4) rate(4) | channels(4) bits(3) r(1)
        assert data[pos] == 0xFF and data[pos + 1] & 0xFE == 0xF8, pos
        bs_code, sr_code = data[pos + 2] >> 4, data[pos + 2] & 15
        nlen = utf8_number_len(data, pos + 4)
        q = pos + 4 + nlen
        if bs_code == 6:
            bs = data[q] + 1
            q += 1
        elif bs_code == 7:
            bs = int.from_bytes(data[q:q + 2], "big") + 1
            q += 2
        elif bs_code == 1:
            bs = 192
        elif 2 <= bs_code <= 5:
            bs = 576 << (bs_code - 2)
        else:
            bs = 256 << (bs_code - 8)
        q += {12: 1, 13: 2, 14: 2}.get(sr_code, 0) + 1  # rate bytes, CRC-8
        post = q - (pos + 4 + nlen)
        # the frame ends where a sync code follows and the CRC-16 up to it matches
        end = q + 1
        while True:
            nxt = data.find(b"\xff", end)
            while nxt >= 0 and nxt + 1 < len(data) and (data[nxt + 1] & 0xFE) != 0xF8:
                nxt = data.find(b"\xff", nxt + 1)
            cand = len(data) if nxt < 0 else nxt
            if crc16_flac(data[pos:cand - 2]) == int.from_bytes(data[cand - 2:cand], "big"):
                end = cand
                break
            if nxt < 0:
                raise ValueError("no frame end")
            end = nxt + 1
        frames.append((pos, end, nlen, post, bs))
        pos = end
    return frames


def flac_variable(a: bytes, b: bytes) -> bytes:
    """The frames of two FLAC files (of one format) as one variable-block-size stream:
    every frame header rewritten to carry its first sample's number."""
    blocks, start_a = flac_blocks(a)
    _, start_b = flac_blocks(b)
    out = bytearray(a[:start_a])
    sample = 0
    sizes = []
    for data, start in ((a, start_a), (b, start_b)):
        for pos, end, nlen, post, bs in flac_frames(data, start):
            hdr = bytearray(data[pos:pos + 4])
            hdr[1] |= 1  # variable block size: the header numbers samples, not frames
            after = pos + 4 + nlen
            head = bytes(hdr) + utf8_number(sample) + data[after:after + post - 1]
            head += bytes([crc8(head)])
            frame = head + data[after + post:end - 2]
            out += frame + crc16_flac(frame).to_bytes(2, "big")
            sample += bs
            sizes.append(bs)
    si = blocks[0][0] + 4
    out[si:si + 2] = min(sizes[:-1]).to_bytes(2, "big")
    out[si + 2:si + 4] = max(sizes).to_bytes(2, "big")
    out[si + 4:si + 10] = bytes(6)  # frame sizes unknown
    set_flac_total(out, sample)
    out[si + 18:si + 34] = bytes(16)  # no MD5
    return bytes(out)


def ogg_pages(data: bytes):
    pos = 0
    while pos < len(data):
        assert data[pos:pos + 4] == b"OggS", pos
        nseg = data[pos + 26]
        size = 27 + nseg + sum(data[pos + 27:pos + 27 + nseg])
        yield pos, size
        pos += size


def ogg_crc(page: bytes) -> int:
    crc = 0
    for b in page:
        crc ^= b << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) & 0xFFFFFFFF if crc & 0x80000000 else \
                (crc << 1) & 0xFFFFFFFF
    return crc


def ogg_shift_granules(data: bytes, offset: int) -> bytes:
    """Adds `offset` to every audio page's granule position, as in a stream whose capture
    started mid-way (a non-zero first granule)."""
    out = bytearray(data)
    for pos, size in ogg_pages(data):
        g = struct.unpack("<q", data[pos + 6:pos + 14])[0]
        if g > 0:
            out[pos + 6:pos + 14] = struct.pack("<q", g + offset)
            out[pos + 22:pos + 26] = bytes(4)
            out[pos + 22:pos + 26] = struct.pack("<I", ogg_crc(bytes(out[pos:pos + size])))
    return bytes(out)


def mp4_strip(data: bytes, atom: bytes) -> bytes:
    """Renames every `atom` box inside moov/trak to 'free', which hides it."""
    out = bytearray(data)
    i = out.find(atom)
    while i >= 4:
        out[i:i + 4] = b"free"
        i = out.find(atom, i + 4)
    return bytes(out)


def adts_fill_first(data: bytes) -> bytes:
    """An ADTS stream that starts with a frame holding only a fill element, which decodes to
    no audio: containers time it as 1024 frames."""
    h = bytearray(data[:7])
    size = 9
    h[3] = (h[3] & 0xFC) | ((size >> 11) & 3)
    h[4] = (size >> 3) & 0xFF
    h[5] = ((size & 7) << 5) | (h[5] & 0x1F)
    h[6] &= 0xFC  # one raw data block
    # raw_data_block: ID_FIL (110) with count 0 (0000), ID_END (111)
    return bytes(h) + bytes([0xC1, 0xC0]) + data


def adts_frames(data: bytes) -> List[int]:
    """The offsets of an ADTS stream's frames."""
    at, out = 0, []
    while at + 7 <= len(data) and data[at] == 0xFF and data[at + 1] & 0xF6 == 0xF0:
        out.append(at)
        at += ((data[at + 3] & 3) << 11) | (data[at + 4] << 3) | (data[at + 5] >> 5)
    return out


def adts_fill_mid(data: bytes) -> bytes:
    """An ADTS stream with a frame holding only a fill element in its middle, which decodes to
    no audio: the demuxer times it as 1024 frames."""
    at = adts_frames(data)[len(adts_frames(data)) // 2]
    return data[:at] + adts_fill_first(data)[:9] + data[at:]


def wav_bogus_sizes(src: str) -> bytes:
    """A WAV whose RIFF and data sizes say 0xFFFFFFFF, as a stream writer leaves them."""
    data = read(src)
    data[4:8] = b"\xff\xff\xff\xff"
    d = data.find(b"data")
    data[d + 4:d + 8] = b"\xff\xff\xff\xff"
    return bytes(data)


def rifx24(path: str, frames: int = 2000, channels: int = 2, rate: int = 44100) -> None:
    """A big-endian (RIFX) 24-bit PCM WAV, written byte by byte: a ramp across the whole range
    starting at full-scale negative."""
    samples = []
    for i in range(frames):
        for c in range(channels):
            v = -(1 << 23) + ((i * 8191 + c * 12345) % (1 << 24))
            samples.append(v)
    pcm = b"".join((v & 0xFFFFFF).to_bytes(3, "big") for v in samples)
    fmt = struct.pack(">HHIIHH", 1, channels, rate, rate * channels * 3, channels * 3, 24)
    body = b"WAVE" + b"fmt " + struct.pack(">I", len(fmt)) + fmt + b"data" + \
        struct.pack(">I", len(pcm)) + pcm
    write(path, b"RIFX" + struct.pack(">I", len(body)) + body)


def rifx24_expected(frames: int = 2000, channels: int = 2) -> List[int]:
    return [-(1 << 23) + ((i * 8191 + c * 12345) % (1 << 24))
            for i in range(frames) for c in range(channels)]


# ---- the corpus ----

@dataclass
class Entry:
    name: str      # file name in the cache
    tool: str      # what wrote it
    kind: str      # codec/container
    make: Callable[[str, str], None]  # (cache dir, output path)
    note: str = ""


def _enc(tool_cmd: Callable[[str, str], List[str]], rate=44100, ch=2, sec=3.0,
         fmt="pcm_s16le") -> Callable[[str, str], None]:
    def make(d: str, out: str) -> None:
        run(*tool_cmd(source(d, rate, ch, sec, fmt), out))
    return make


def _then(first: Callable[[str, str], None], change: Callable[[bytearray], bytes]):
    def make(d: str, out: str) -> None:
        tmp = out + ".orig"
        first(d, tmp)
        write(out, change(read(tmp)))
        os.remove(tmp)
    return make


def _lame(*opts: str, **kw):
    return _enc(lambda s, o: ["lame", "--quiet", *opts, s, o], **kw)


def _insert_garbage(data: bytearray) -> bytes:
    start = id3v2_size(data)
    frames = mp3_frames(data, data.find(b"\xff", start))
    at = frames[len(frames) // 2]
    return bytes(data[:at]) + b"\x00garbage between frames\xff\x00" * 8 + bytes(data[at:])


def _truncate_id3(data: bytearray) -> bytes:
    # the tag claims 4 KiB more than it holds: the demuxer lands inside the audio
    size = id3v2_size(data) - 10
    size += 4096
    data[6:10] = bytes([(size >> 21) & 0x7F, (size >> 14) & 0x7F, (size >> 7) & 0x7F,
                        size & 0x7F])
    return bytes(data)


def _cut(fraction: float):
    return lambda data: bytes(data[:int(len(data) * fraction)])


def _lame_pad(start: int, end: int):
    def change(data: bytearray) -> bytes:
        set_lame_delays(data, start, end)
        return bytes(data)
    return change


def _xing_frames(delta: int):
    def change(data: bytearray) -> bytes:
        n = xing_frames(data)
        set_xing_frames(data, max(1, n + delta))
        return bytes(data)
    return change


def _vbri(delta: int):
    def change(data: bytearray) -> bytes:
        n = xing_frames(data)
        return bytes(vbri_from_xing(data, max(1, n + delta)))
    return change


def _flac(*opts: str, **kw):
    return _enc(lambda s, o: ["flac", "--silent", "-f", *opts, "-o", o, s], **kw)


def _flac_total(total: Optional[int], factor: float = 1.0):
    def change(data: bytearray) -> bytes:
        blocks, _ = flac_blocks(data)
        pos = blocks[0][0] + 4
        old = int.from_bytes(data[pos + 10:pos + 18], "big") & ((1 << 36) - 1)
        set_flac_total(data, int(old * factor) if total is None else total)
        return bytes(data)
    return change


def _flac_varblock(d: str, out: str) -> None:
    src = source(d, 44100, 2, 2.0)
    run("flac", "--silent", "-f", "-b", "4096", "--no-seektable", "-o", out + ".a", src)
    run("flac", "--silent", "-f", "-b", "1152", "--no-seektable", "-o", out + ".b", src)
    write(out, flac_variable(read(out + ".a"), read(out + ".b")))
    os.remove(out + ".a")
    os.remove(out + ".b")


def _oggenc(*opts: str, **kw):
    return _enc(lambda s, o: ["oggenc", "--quiet", *opts, "-o", o, s], **kw)


def _chained(first: Callable[[str, str], None], second: Callable[[str, str], None]):
    def make(d: str, out: str) -> None:
        first(d, out + ".1")
        second(d, out + ".2")
        write(out, read(out + ".1") + read(out + ".2"))
        os.remove(out + ".1")
        os.remove(out + ".2")
    return make


def _sox(*opts: str, rate=44100, ch=2, sec=2.0, ext="wav"):
    return _enc(lambda s, o: ["sox", s, *opts, "-t", ext, o], rate=rate, ch=ch, sec=sec)


def _sox_synth(frames: int, rate: int, *opts: str, ext="ogg"):
    def make(d: str, out: str) -> None:
        run("sox", "-n", "-r", str(rate), "-c", "1", *opts, "-t", ext, out,
            "synth", f"{frames}s", "sine", "440")
    return make


def _sndfile(ext: str, *opts: str, **kw):
    def make(d: str, out: str) -> None:
        run("sndfile-convert", *opts, source(d, kw.get("rate", 44100), kw.get("ch", 2), 2.0),
            out + "." + ext)
        os.replace(out + "." + ext, out)
    return make


def _ff(*args: str, rate=44100, ch=2, sec=3.0):
    def make(d: str, out: str) -> None:
        ffmpeg("-i", source(d, rate, ch, sec), *args, out)
    return make


def _mkv(inner: Callable[[str, str], None], ext: str):
    def make(d: str, out: str) -> None:
        tmp = out + "." + ext
        inner(d, tmp)
        run("mkvmerge", "-q", "-o", out, tmp)
        os.remove(tmp)
    return make


def _atomic(inner: Callable[[str, str], None]):
    def make(d: str, out: str) -> None:
        tmp = out + ".in.m4a"
        inner(d, tmp)
        run("AtomicParsley", tmp, "--title", "Über Tag", "--artist", "AtomicParsley",
            "--output", out)
        os.remove(tmp)
    return make


def _id3(inner: Callable[[str, str], None]):
    def make(d: str, out: str) -> None:
        inner(d, out)
        run("id3v2", "--song", "A title", "--artist", "id3v2", "--comment", "x" * 300, out)
    return make


def _fill_mid_tone(d: str, out: str) -> None:
    ffmpeg("-f", "lavfi", "-i", "sine=f=440:d=10:r=44100", "-ac", "2", "-c:a", "aac", "-f",
           "adts", out + ".aac")
    write(out + ".aac", adts_fill_mid(read(out + ".aac")))
    ffmpeg("-i", out + ".aac", "-c", "copy", "-movflags", "+faststart", "-f", "mp4", out)
    os.remove(out + ".aac")


def _rifx(d: str, out: str) -> None:
    rifx24(out)


E = Entry
CORPUS: List[Entry] = [
    # lame: CBR, VBR, ABR, resampled, quality settings, tags
    E("lame_cbr128.mp3", "lame", "mp3/mp3", _lame("-b", "128")),
    E("lame_cbr320_q0.mp3", "lame", "mp3/mp3", _lame("-b", "320", "-q", "0")),
    E("lame_vbr0.mp3", "lame", "mp3/mp3", _lame("-V", "0")),
    E("lame_vbr5_q9.mp3", "lame", "mp3/mp3", _lame("-V", "5", "-q", "9")),
    E("lame_vbr9_mono.mp3", "lame", "mp3/mp3", _lame("-V", "9", "-m", "m"), ),
    E("lame_abr96.mp3", "lame", "mp3/mp3", _lame("--abr", "96")),
    E("lame_resample22.mp3", "lame", "mp3/mp3", _lame("--resample", "22.05", "-b", "64")),
    E("lame_resample16.mp3", "lame", "mp3/mp3", _lame("--resample", "16", "-V", "4")),
    E("lame_resample8.mp3", "lame", "mp3/mp3", _lame("--resample", "8", "-b", "16")),
    E("lame_48k_mono.mp3", "lame", "mp3/mp3", _lame("-b", "96", rate=48000, ch=1)),
    E("lame_noxing.mp3", "lame", "mp3/mp3", _lame("-t", "-b", "128")),
    E("lame_short229.mp3", "lame", "mp3/mp3", _lame("-b", "128", sec=229 / 44100)),
    E("lame_short10.mp3", "lame", "mp3/mp3", _lame("-b", "128", ch=1, sec=10 / 44100)),
    E("lame_id3v2.mp3", "lame+id3v2", "mp3/mp3", _id3(_lame("-V", "2"))),
    E("lame_id3_truncated.mp3", "lame+id3v2", "mp3/mp3",
      _then(_id3(_lame("-V", "2")), _truncate_id3)),
    E("lame_garbage.mp3", "lame", "mp3/mp3", _then(_lame("-b", "128"), _insert_garbage)),
    E("lame_cut.mp3", "lame", "mp3/mp3", _then(_lame("-V", "3"), _cut(0.77))),
    E("lame_pad_exceeds.mp3", "lame", "mp3/mp3",
      _then(_lame("-b", "128", sec=600 / 44100), _lame_pad(576, 4000))),
    E("lame_delay_exceeds.mp3", "lame", "mp3/mp3",
      _then(_lame("-b", "128", sec=600 / 44100), _lame_pad(4000, 1000))),
    E("lame_xing_more.mp3", "lame", "mp3/mp3", _then(_lame("-b", "128"), _xing_frames(40))),
    E("lame_xing_fewer.mp3", "lame", "mp3/mp3", _then(_lame("-b", "128"), _xing_frames(-40))),
    E("lame_vbri.mp3", "lame", "mp3/mp3", _then(_lame("-V", "4"), _vbri(0))),
    E("lame_vbri_more.mp3", "lame", "mp3/mp3", _then(_lame("-V", "4"), _vbri(100))),
    # twolame: MPEG-1 layer II
    E("twolame_192.mp2", "twolame", "mp2/mp3", _enc(lambda s, o: ["twolame", "-b", "192", s, o])),
    E("twolame_mono_48k.mp2", "twolame", "mp2/mp3",
      _enc(lambda s, o: ["twolame", "-b", "96", "-m", "m", s, o], rate=48000, ch=1)),
    E("twolame_32k.mp2", "twolame", "mp2/mp3",
      _enc(lambda s, o: ["twolame", "-b", "128", s, o], rate=32000)),
    # flac
    E("flac_default.flac", "flac", "flac/flac", _flac()),
    E("flac_8.flac", "flac", "flac/flac", _flac("-8")),
    E("flac_nopad.flac", "flac", "flac/flac", _flac("--no-padding", "--no-seektable", "-0")),
    E("flac_b576_mono.flac", "flac", "flac/flac", _flac("-b", "576", ch=1, rate=16000)),
    E("flac_24bit.flac", "flac", "flac/flac", _flac(fmt="pcm_s24le")),
    E("flac_6ch.flac", "flac", "flac/flac", _flac(ch=6, rate=48000, sec=1.0)),
    E("flac_ignore_sizes.flac", "flac", "flac/flac",
      lambda d, out: (write(out + ".wav", wav_bogus_sizes(source(d, 44100, 2, 2.0))),
                      run("flac", "--silent", "-f", "--ignore-chunk-sizes", "-o", out,
                          out + ".wav"), os.remove(out + ".wav"))),
    E("flac_total_zero.flac", "flac", "flac/flac", _then(_flac(), _flac_total(0))),
    E("flac_total_big.flac", "flac", "flac/flac", _then(_flac("--no-seektable"),
                                                       _flac_total(None, 7.3))),
    E("flac_total_small.flac", "flac", "flac/flac", _then(_flac("--no-seektable"),
                                                         _flac_total(None, 0.25))),
    E("flac_varblock.flac", "flac", "flac/flac", _flac_varblock),
    E("flac_cut.flac", "flac", "flac/flac", _then(_flac(), _cut(0.6))),
    # Ogg: Vorbis, FLAC, Opus, Speex
    E("oggenc_q3.ogg", "oggenc", "vorbis/ogg", _oggenc("-q", "3")),
    E("oggenc_qm1_mono.ogg", "oggenc", "vorbis/ogg", _oggenc("-q", "-1", ch=1, rate=22050)),
    E("oggenc_q10_48k.ogg", "oggenc", "vorbis/ogg", _oggenc("-q", "10", rate=48000)),
    E("oggenc_6ch.ogg", "oggenc", "vorbis/ogg", _oggenc("-q", "4", ch=6, rate=48000, sec=1.5)),
    E("oggenc_resample.ogg", "oggenc", "vorbis/ogg", _oggenc("--resample", "16000")),
    E("oggenc_short.ogg", "oggenc", "vorbis/ogg", _oggenc(sec=300 / 44100)),
    E("oggenc_granule_offset.ogg", "oggenc", "vorbis/ogg",
      _then(_oggenc("-q", "3"), lambda d: ogg_shift_granules(bytes(d), 44100))),
    E("oggenc_chained.ogg", "oggenc", "vorbis/ogg",
      _chained(_oggenc("-q", "3", sec=1.5), _oggenc("-q", "5", sec=1.0))),
    E("oggenc_cut.ogg", "oggenc", "vorbis/ogg", _then(_oggenc("-q", "3"), _cut(0.55))),
    E("sox_vorbis_48000.ogg", "sox", "vorbis/ogg", _sox_synth(48000, 48000)),
    E("sox_vorbis_4.ogg", "sox", "vorbis/ogg", _sox_synth(4, 48000)),
    E("flac_ogg.oga", "flac", "flac/ogg", _flac("--ogg")),
    E("flac_ogg_mono.oga", "flac", "flac/ogg", _flac("--ogg", "-b", "1152", ch=1, rate=8000)),
    E("opusenc_64k.opus", "opusenc", "opus/ogg",
      _enc(lambda s, o: ["opusenc", "--quiet", "--bitrate", "64", s, o])),
    E("opusenc_mono16k.opus", "opusenc", "opus/ogg",
      _enc(lambda s, o: ["opusenc", "--quiet", "--bitrate", "24", s, o], rate=16000, ch=1)),
    E("opusenc_frame60.opus", "opusenc", "opus/ogg",
      _enc(lambda s, o: ["opusenc", "--quiet", "--framesize", "60", s, o], rate=48000)),
    E("opusenc_granule_offset.opus", "opusenc", "opus/ogg",
      _then(_enc(lambda s, o: ["opusenc", "--quiet", s, o], rate=48000),
            lambda d: ogg_shift_granules(bytes(d), 48000))),
    E("speexenc_nb.spx", "speexenc", "speex/ogg",
      _enc(lambda s, o: ["speexenc", "--narrowband", s, o], rate=8000, ch=1)),
    E("speexenc_wb.spx", "speexenc", "speex/ogg",
      _enc(lambda s, o: ["speexenc", "--wideband", "--vbr", s, o], rate=16000, ch=1)),
    E("speexenc_uwb_stereo.spx", "speexenc", "speex/ogg",
      _enc(lambda s, o: ["speexenc", "--ultra-wideband", s, o], rate=32000, ch=2)),
    # WavPack
    E("wavpack_default.wv", "wavpack", "wavpack/wv",
      _enc(lambda s, o: ["wavpack", "-q", "-y", s, "-o", o])),
    E("wavpack_hx.wv", "wavpack", "wavpack/wv",
      _enc(lambda s, o: ["wavpack", "-q", "-y", "-hh", "-x3", s, "-o", o])),
    E("wavpack_lossy.wv", "wavpack", "wavpack/wv",
      _enc(lambda s, o: ["wavpack", "-q", "-y", "-b320", s, "-o", o])),
    E("wavpack_24bit.wv", "wavpack", "wavpack/wv",
      _enc(lambda s, o: ["wavpack", "-q", "-y", s, "-o", o], fmt="pcm_s24le")),
    E("wavpack_float.wv", "wavpack", "wavpack/wv",
      _enc(lambda s, o: ["wavpack", "-q", "-y", s, "-o", o], fmt="pcm_f32le")),
    # sox: PCM variants in WAV, AIFF, AU and others
    E("sox_u8.wav", "sox", "pcm_u8/wav", _sox("-b", "8", "-e", "unsigned")),
    E("sox_ulaw.wav", "sox", "pcm_mulaw/wav", _sox("-e", "u-law", rate=8000, ch=1)),
    E("sox_alaw.wav", "sox", "pcm_alaw/wav", _sox("-e", "a-law", rate=8000, ch=1)),
    E("sox_ima.wav", "sox", "adpcm_ima_wav/wav", _sox("-e", "ima-adpcm", rate=16000, ch=1)),
    E("sox_msadpcm.wav", "sox", "adpcm_ms/wav", _sox("-e", "ms-adpcm", rate=22050)),
    E("sox_gsm.wav", "sox", "gsm_ms/wav", _sox("-e", "gsm-full-rate", rate=8000, ch=1)),
    E("sox_float.wav", "sox", "pcm_f32le/wav", _sox("-e", "floating-point", "-b", "32")),
    E("sox_s24.wav", "sox", "pcm_s24le/wav", _sox("-b", "24")),
    E("sox_aiff.aiff", "sox", "pcm_s16be/aiff", _sox(ext="aiff")),
    E("sox_aiff8.aiff", "sox", "pcm_s8/aiff", _sox("-b", "8", ext="aiff", ch=1)),
    E("sox_aifc.aifc", "sox", "pcm_s16be/aiff", _sox(ext="aifc")),
    E("sox_au_ulaw.au", "sox", "pcm_mulaw/au", _sox("-e", "u-law", ext="au", rate=8000)),
    E("sox_au_s8.au", "sox", "pcm_s8/au", _sox("-b", "8", ext="au")),
    E("sox_voc.voc", "sox", "pcm_u8/voc", _sox("-b", "8", ext="voc", ch=1, rate=22050)),
    E("sox_native.sox", "sox", "pcm_s32le/sox", _sox(ext="sox")),
    E("sox_sphere.sph", "sox", "pcm_s16le/nistsphere", _sox(ext="sph", ch=1, rate=16000)),
    E("sox_w64.w64", "sox", "pcm_s16le/w64", _sox(ext="w64")),
    E("sox_8svx.8svx", "sox", "pcm_s8_planar/iff", _sox(ext="8svx", ch=1, rate=16000)),
    E("rifx_s24be.wav", "by hand", "pcm_s24be/wav", _rifx),
    # libsndfile
    E("sndfile.caf", "sndfile-convert", "pcm_s16be/caf", _sndfile("caf")),
    E("sndfile_alac.caf", "sndfile-convert", "alac/caf", _sndfile("caf", "-alac16")),
    E("sndfile.rf64", "sndfile-convert", "pcm_s16le/wav", _sndfile("rf64")),
    E("sndfile_ircam.sf", "sndfile-convert", "pcm_s16le/ircam", _sndfile("sf", ch=1)),
    # PCM cut short: the header claims more frames than the file holds
    E("sox_cut.wav", "sox, cut short", "pcm_s16le/wav", _then(_sox(), _cut(0.61))),
    E("sndfile_cut.rf64", "sndfile-convert, cut short", "pcm_s16le/wav",
      _then(_sndfile("rf64"), _cut(0.61))),
    E("sox_cut.w64", "sox, cut short", "pcm_s16le/w64", _then(_sox(ext="w64"), _cut(0.61))),
    E("sox_cut.aiff", "sox, cut short", "pcm_s16be/aiff", _then(_sox(ext="aiff"), _cut(0.61))),
    E("sndfile.w64", "sndfile-convert", "pcm_s24le/w64", _sndfile("w64", "-pcm24")),
    # musepack
    E("mpcenc.mpc", "mpcenc", "musepack8/mpc8",
      _enc(lambda s, o: ["mpcenc", "--silent", "--overwrite", s, o])),
    # Matroska by mkvmerge
    E("mkvmerge_vorbis.mka", "mkvmerge", "vorbis/matroska", _mkv(_oggenc("-q", "3"), "ogg")),
    E("mkvmerge_flac.mka", "mkvmerge", "flac/matroska", _mkv(_flac(), "flac")),
    E("mkvmerge_mp3.mka", "mkvmerge", "mp3/matroska", _mkv(_lame("-V", "2"), "mp3")),
    E("mkvmerge_opus.mka", "mkvmerge", "opus/matroska",
      _mkv(_enc(lambda s, o: ["opusenc", "--quiet", s, o], rate=48000), "opus")),
    E("mkvmerge_aac.mka", "mkvmerge", "aac/matroska", _mkv(_ff("-c:a", "aac", "-f", "adts"),
                                                          "aac")),
    # AAC in MP4 and ADTS, AC-3 and E-AC-3 (FFmpeg's encoders; files rewritten where noted)
    E("ff_noeditlist.m4a", "ffmpeg -use_editlist 0", "aac/mp4",
      _ff("-c:a", "aac", "-use_editlist", "0", "-f", "mp4")),
    E("ff_editlist_stripped.m4a", "ffmpeg, edts removed", "aac/mp4",
      _then(_ff("-c:a", "aac", "-f", "mp4"), lambda d: mp4_strip(bytes(d), b"edts"))),
    E("ff_noeditlist.3gp", "ffmpeg -use_editlist 0", "aac/3gp",
      _ff("-c:a", "aac", "-b:a", "32k", "-use_editlist", "0", "-f", "3gp", rate=16000, ch=1)),
    E("atomicparsley.m4a", "AtomicParsley", "aac/mp4", _atomic(_ff("-c:a", "aac", "-f", "mp4"))),
    E("atomicparsley_noedts.m4a", "AtomicParsley", "aac/mp4",
      _atomic(_ff("-c:a", "aac", "-use_editlist", "0", "-f", "mp4"))),
    E("ff_adts.aac", "ffmpeg", "aac/aac", _ff("-c:a", "aac", "-f", "adts")),
    E("ff_adts_mono8k.aac", "ffmpeg", "aac/aac",
      _ff("-c:a", "aac", "-f", "adts", rate=8000, ch=1)),
    E("adts_fill_first.aac", "ffmpeg, fill frame first", "aac/aac",
      _then(_ff("-c:a", "aac", "-f", "adts"), lambda d: adts_fill_first(bytes(d)))),
    E("fill_first_noedts.m4a", "ffmpeg, fill frame first", "aac/mp4",
      lambda d, out: (write(out + ".aac", adts_fill_first(read(_made(d, "ff_adts.aac")))),
                      ffmpeg("-i", out + ".aac", "-c", "copy", "-use_editlist", "0", "-f", "mp4",
                             out), os.remove(out + ".aac"))),
    E("fill_first.m4a", "ffmpeg, fill frame first", "aac/mp4",
      lambda d, out: (write(out + ".aac", adts_fill_first(read(_made(d, "ff_adts.aac")))),
                      ffmpeg("-i", out + ".aac", "-c", "copy", "-f", "mp4", out),
                      os.remove(out + ".aac"))),
    E("adts_fill_mid.aac", "ffmpeg, fill frame inside", "aac/aac",
      _then(_ff("-c:a", "aac", "-f", "adts"), lambda d: adts_fill_mid(bytes(d)))),
    E("fill_mid.m4a", "ffmpeg, fill frame inside", "aac/mp4",
      lambda d, out: (write(out + ".aac", adts_fill_mid(read(_made(d, "ff_adts.aac")))),
                      ffmpeg("-i", out + ".aac", "-c", "copy", "-f", "mp4", out),
                      os.remove(out + ".aac"))),
    # a tone: its windows verify by convergence (converge.c), which the fill frame misled
    E("fill_mid_tone.m4a", "ffmpeg, fill frame inside", "aac/mp4", _fill_mid_tone),
    E("ff_ac3.ac3", "ffmpeg", "ac3/ac3", _ff("-c:a", "ac3", "-f", "ac3")),
    E("ff_eac3.eac3", "ffmpeg", "eac3/eac3", _ff("-c:a", "eac3", "-f", "eac3", rate=48000)),
    E("ff_ac3_garbage.ac3", "ffmpeg", "ac3/ac3",
      _then(_ff("-c:a", "ac3", "-f", "ac3"),
            lambda d: bytes(d[:len(d) // 2]) + b"\x55" * 700 + bytes(d[len(d) // 2:]))),
]


def _made(d: str, name: str) -> str:
    """The path of another entry, made first if need be."""
    path = os.path.join(d, name)
    if not os.path.exists(path):
        e = next(e for e in CORPUS if e.name == name)
        tmp = os.path.join(d, f".part{os.getpid()}_{name}")
        e.make(d, tmp)
        os.replace(tmp, path)
    return path


def build(d: Optional[str] = None) -> Dict[str, Entry]:
    """Makes every missing file; returns name -> entry for those that exist."""
    d = d or cache_dir()
    os.makedirs(d, exist_ok=True)
    made = {}
    for e in CORPUS:
        path = os.path.join(d, e.name)
        if not os.path.exists(path):
            tmp = os.path.join(d, f".part{os.getpid()}_{e.name}")
            try:
                e.make(d, tmp)
            except (OSError, subprocess.CalledProcessError) as exc:
                print(f"realworld: {e.name} not made ({exc})", file=sys.stderr)
                continue
            os.replace(tmp, path)
        made[e.name] = e
    return made


def path_of(name: str, d: Optional[str] = None) -> str:
    return os.path.join(d or cache_dir(), name)


if __name__ == "__main__":
    where = sys.argv[1] if len(sys.argv) > 1 else cache_dir()
    entries = build(where)
    table: Dict[tuple, int] = {}
    for e in entries.values():
        table[(e.tool, e.kind)] = table.get((e.tool, e.kind), 0) + 1
    for (tool, kind), n in sorted(table.items()):
        print(f"{tool:28} {kind:24} {n}")
    kinds = {e.kind for e in entries.values()}
    print(f"{len(entries)} files, {len(kinds)} codec/container pairs in {where}")
