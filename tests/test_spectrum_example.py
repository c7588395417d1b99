"""examples/spectrum_video.py: the tutorial's spectrum visualiser makes a playable mp4 whose
pictures show the audio's spectrum at their time."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import CACHE, DEFAULT_VIDEO_CODEC, ROOT, ffmpeg

pytest.importorskip("matplotlib")

W, H = 160, 120


@pytest.fixture(scope="module")
def tones():
    """2.5 s of 16 kHz stereo: 1 kHz then (from 1.25 s) 2 kHz on the left, 6 kHz on the right."""
    os.makedirs(CACHE, exist_ok=True)
    path = os.path.join(CACHE, "spectrum_tones.wav")
    if not os.path.exists(path):
        ffmpeg("-f", "lavfi", "-i", "aevalsrc=exprs=0.5*if(lt(t\\,1.25)\\,sin(2*PI*1000*t)\\,"
               "sin(2*PI*2000*t))|0.5*sin(2*PI*6000*t):s=16000:d=2.5", "-c:a", "pcm_s16le",
               path)
    return path


def column(freq, n_fft=4000, rate=16000):
    """Where the plot draws `freq`: the x axis runs from bin -1 to bin n_fft / 2 + 1."""
    return (freq * n_fft / rate + 1) / (n_fft // 2 + 2) * W


@pytest.mark.parametrize("encoder,codec", [(None, DEFAULT_VIDEO_CODEC), ("mpeg4", "mpeg4")])
def test_spectrum_video(tmp_path, tones, encoder, codec):
    out = tmp_path / "spectrum.mp4"
    cmd = [sys.executable, os.path.join(ROOT, "examples", "spectrum_video.py"), tones, str(out),
           "--width", str(W), "--height", str(H)]
    if encoder:
        cmd += ["--encoder", encoder]
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"))
    subprocess.run(cmd, check=True, env=env, timeout=120)

    info = json.loads(subprocess.run(
        ["ffprobe", "-v", "error", "-count_frames", "-show_entries",
         "format=duration:stream=codec_type,codec_name,width,height,avg_frame_rate,"
         "nb_read_frames,duration,sample_rate,channels", "-of", "json", str(out)],
        check=True, capture_output=True, text=True).stdout)
    audio, video = info["streams"]
    assert (audio["codec_type"], audio["codec_name"]) == ("audio", "aac")
    assert (int(audio["sample_rate"]), audio["channels"]) == (16000, 2)
    assert (video["codec_type"], video["codec_name"]) == ("video", codec)
    assert (video["width"], video["height"], video["avg_frame_rate"]) == (W, H, "20/1")
    assert int(video["nb_read_frames"]) == 50          # 2.5 s at 20 frames a second
    assert float(video["duration"]) == 2.5
    assert abs(float(audio["duration"]) - 2.5) < 0.01
    assert abs(float(info["format"]["duration"]) - 2.5) < 0.01

    frames = np.frombuffer(ffmpeg("-i", str(out), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"),
                           np.uint8).reshape(-1, H, W, 3)
    # frame 12 is at 0.6 s (1 kHz and 6 kHz), frame 37 at 1.85 s (2 kHz and 6 kHz): the
    # columns that are mostly red are where those frequencies are drawn
    for index, freqs in ((12, (1000, 6000)), (37, (2000, 6000))):
        red = frames[index, :, :, 0].astype(np.float64).mean(axis=0)
        peaks = np.nonzero(red > 0.5 * red.max())[0]
        expected = [column(f) for f in freqs]
        assert all(min(abs(p - e) for e in expected) <= 1.5 for p in peaks), (index, peaks)
        assert all(min(abs(p - e) for p in peaks) <= 1.5 for e in expected), (index, peaks)
