"""StreamWriter video streams: frames, sizes and pixels checked through the ffmpeg CLI."""

from __future__ import annotations

import io
import json
import subprocess

import numpy as np
import pytest

from conftest import (DEFAULT_VIDEO_CODEC, HAVE_LIBX264, WriteOnly, ffmpeg, needs_libx264,
                      needs_torch)
from test_save import music

from decode_audio import CodecConfig, DecodeAudioError, StreamWriter

H, W = 48, 64


def noise(frames, channels=3, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (frames, channels, H, W), dtype=np.uint8)


def smooth(frames):
    """A moving pattern of soft colour waves: what video encoders are made for."""
    t = np.arange(frames)[:, None, None, None]
    c = np.arange(3)[None, :, None, None]
    y = np.arange(H)[None, None, :, None]
    x = np.arange(W)[None, None, None, :]
    return (127.5 + 100 * np.sin(0.15 * x + 0.1 * y + 0.3 * t + 2 * c)).astype(np.uint8)


def frames_of(path, pix_fmt="rgb24", *extra):
    """The decoded frames as (time, channels, height, width), by `ffmpeg -f rawvideo`."""
    data = np.frombuffer(ffmpeg("-i", str(path), *extra, "-f", "rawvideo", "-pix_fmt", pix_fmt,
                                "-"), np.uint8)
    if pix_fmt in ("rgb24", "bgr24"):
        return data.reshape(-1, H, W, 3).transpose(0, 3, 1, 2)
    if pix_fmt == "gray":
        return data.reshape(-1, 1, H, W)
    return data.reshape(-1, 3, H, W)  # planar 4:4:4


def probe(path, *entries):
    out = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-show_entries",
                          ",".join(entries), "-of", "json", str(path)],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def psnr(a, b):
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return 10 * np.log10(255.0 ** 2 / mse)


def write(dst, chunks, fmt=None, **stream):
    s = StreamWriter(dst, format=fmt)
    s.add_video_stream(**stream)
    with s.open():
        for chunk in chunks:
            s.write_video_chunk(0, chunk)


# ---- still images ----

def test_png_is_exact(tmp_path):
    img = noise(1)
    write(tmp_path / "x.png", [img], frame_rate=1, width=W, height=H)
    assert np.array_equal(frames_of(tmp_path / "x.png"), img)
    stream = probe(tmp_path / "x.png", "stream=codec_name,width,height")["streams"][0]
    assert (stream["codec_name"], stream["width"], stream["height"]) == ("png", W, H)


@pytest.mark.parametrize("layout", ["hwc", "strided", "flipped"])
def test_any_strides_are_read_in_place(tmp_path, layout):
    img = noise(1)
    if layout == "hwc":      # a (time, height, width, channels) buffer seen as NCHW
        chunk = np.ascontiguousarray(img.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    elif layout == "strided":  # every other column of a wider buffer, channels last
        wide = np.zeros((1, H, 2 * W, 4), np.uint8)
        wide[:, :, ::2, :3] = img.transpose(0, 2, 3, 1)
        chunk = wide[:, :, ::2, :3].transpose(0, 3, 1, 2)
    else:                     # negative steps
        chunk = np.ascontiguousarray(img[:, ::-1, ::-1, ::-1])[:, ::-1, ::-1, ::-1]
    assert not chunk.flags.c_contiguous
    write(tmp_path / "x.png", [chunk], frame_rate=1, width=W, height=H)
    assert np.array_equal(frames_of(tmp_path / "x.png"), img)


@pytest.mark.parametrize("size", [(37, 29), (128, 96)])
def test_scaling_reads_every_layout_alike(tmp_path, size):
    """Rows handed to libswscale in place (the last one through a padded copy) scale as a
    frame gathered into our own buffer does."""
    img = noise(1, seed=5)
    wide = np.zeros((1, H, 2 * W, 4), np.uint8)
    wide[:, :, ::2, :3] = img.transpose(0, 2, 3, 1)
    layouts = [img, np.ascontiguousarray(img.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2),
               wide[:, :, ::2, :3].transpose(0, 3, 1, 2)]
    outputs = []
    for k, chunk in enumerate(layouts):
        path = tmp_path / f"{k}.png"
        write(path, [chunk], frame_rate=1, width=W, height=H, encoder_width=size[0],
              encoder_height=size[1])
        outputs.append(ffmpeg("-i", str(path), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"))
    assert len(outputs[0]) == size[0] * size[1] * 3
    assert outputs[1] == outputs[0] and outputs[2] == outputs[0]


def test_gray8_bgr24_and_yuv444p_inputs(tmp_path):
    gray = noise(1, channels=1, seed=1)
    write(tmp_path / "g.png", [gray], frame_rate=1, width=W, height=H, format="gray8")
    assert np.array_equal(frames_of(tmp_path / "g.png", "gray"), gray)

    img = noise(1, seed=2)
    write(tmp_path / "b.png", [img[:, ::-1]], frame_rate=1, width=W, height=H, format="bgr24")
    assert np.array_equal(frames_of(tmp_path / "b.png"), img)

    # yuv444p -> rgb24 png is libswscale's BT.601 conversion; ffmpeg's own gives the same
    yuv = noise(1, seed=3)
    write(tmp_path / "y.png", [yuv], frame_rate=1, width=W, height=H, format="yuv444p")
    raw = tmp_path / "y.yuv"
    raw.write_bytes(yuv.tobytes())
    ffmpeg("-f", "rawvideo", "-pix_fmt", "yuv444p", "-s", f"{W}x{H}", "-i", str(raw),
           "-frames:v", "1", str(tmp_path / "ref.png"))
    assert np.array_equal(frames_of(tmp_path / "y.png"), frames_of(tmp_path / "ref.png"))


def test_jpeg_still_image(tmp_path):
    img = smooth(1)
    write(tmp_path / "x.jpg", [img], frame_rate=1, width=W, height=H)
    stream = probe(tmp_path / "x.jpg", "stream=codec_name,width,height,nb_read_frames")
    stream = stream["streams"][0]
    assert (stream["codec_name"], stream["width"], stream["height"]) == ("mjpeg", W, H)
    assert int(stream["nb_read_frames"]) == 1
    assert psnr(frames_of(tmp_path / "x.jpg"), img) > 28  # measured 31.2 dB


def test_still_images_to_file_likes(tmp_path):
    img = noise(1)
    write(tmp_path / "x.png", [img], frame_rate=1, width=W, height=H)
    buf = io.BytesIO()
    write(buf, [img], fmt="png", frame_rate=1, width=W, height=H)
    assert buf.getvalue() == (tmp_path / "x.png").read_bytes()

    img = smooth(1)
    write(tmp_path / "x.jpg", [img], frame_rate=1, width=W, height=H)
    out = WriteOnly()
    write(out, [img], fmt="jpg", frame_rate=1, width=W, height=H)
    assert bytes(out.data) == (tmp_path / "x.jpg").read_bytes()


# ---- video ----

@needs_libx264
def test_lossless_h264_is_exact(tmp_path):
    """libx264 at qp 0 in yuv444p is lossless: yuv444p frames come back bit for bit."""
    yuv = noise(12, seed=4)
    path = tmp_path / "l.mp4"
    write(path, [yuv[:5], yuv[5:]], frame_rate=10, width=W, height=H, format="yuv444p",
          encoder="libx264", encoder_format="yuv444p", encoder_option={"qp": "0"})
    got = frames_of(path, "yuv444p")
    assert got.shape == yuv.shape and np.array_equal(got, yuv)


@pytest.mark.parametrize("encoder,codec", [pytest.param("libx264", "h264", marks=needs_libx264),
                                           ("mpeg4", "mpeg4")])
def test_mp4_frames_size_and_quality(tmp_path, encoder, codec):
    v = smooth(20)
    path = tmp_path / "v.mp4"
    write(path, [v], frame_rate=10, width=W, height=H, encoder=encoder)
    stream = probe(path, "stream=codec_name,width,height,pix_fmt,nb_read_frames,avg_frame_rate,"
                   "duration")["streams"][0]
    assert stream["codec_name"] == codec and stream["pix_fmt"] == "yuv420p"
    assert (stream["width"], stream["height"], int(stream["nb_read_frames"])) == (W, H, 20)
    assert stream["avg_frame_rate"] == "10/1" and float(stream["duration"]) == 2.0
    got = frames_of(path)
    # the same frames encoded by the ffmpeg CLI from raw rgb24 to yuv420p, as the reference
    raw = tmp_path / "v.rgb"
    raw.write_bytes(np.ascontiguousarray(v.transpose(0, 2, 3, 1)).tobytes())
    ref = tmp_path / "ref.mp4"
    ffmpeg("-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{W}x{H}", "-r", "10", "-i", str(raw),
           "-c:v", encoder, "-pix_fmt", "yuv420p", "-threads", "1", "-flags", "+bitexact",
           str(ref))
    # the same conversion and encoder settings: the decoded frames are the CLI's exactly
    assert np.array_equal(got, frames_of(ref))
    # lossy with 4:2:0 chroma: measured 30.7 dB (libx264, crf 23) and 31.0 dB (mpeg4)
    assert psnr(got, v) > 29.5


def test_default_mp4_encoder_is_libx264_and_chunks_give_the_same_bytes(tmp_path):
    v = smooth(25)
    write(tmp_path / "one.mp4", [v], frame_rate=25, width=W, height=H)
    write(tmp_path / "many.mp4", [v[:1], v[1:8], v[8:9], v[9:]], frame_rate=25, width=W,
          height=H)
    assert (tmp_path / "one.mp4").read_bytes() == (tmp_path / "many.mp4").read_bytes()
    assert probe(tmp_path / "one.mp4", "stream=codec_name")["streams"][0]["codec_name"] == \
        DEFAULT_VIDEO_CODEC


@needs_torch
def test_torch_chunks_permuted_from_channels_last(tmp_path):
    import torch

    v = smooth(10)
    t = torch.from_numpy(np.ascontiguousarray(v.transpose(0, 2, 3, 1))).permute(0, 3, 1, 2)
    write(tmp_path / "t.mp4", [t], frame_rate=10, width=W, height=H, encoder="mpeg4")
    write(tmp_path / "n.mp4", [v], frame_rate=10, width=W, height=H, encoder="mpeg4")
    assert (tmp_path / "t.mp4").read_bytes() == (tmp_path / "n.mp4").read_bytes()


def test_codec_config_and_encoder_options(tmp_path):
    v = smooth(20)
    for q in (2, 31):
        write(tmp_path / f"q{q}.mp4", [v], frame_rate=10, width=W, height=H, encoder="mpeg4",
              codec_config=CodecConfig(gop_size=5, max_b_frames=0, qscale=q))
    frames = probe(tmp_path / "q2.mp4", "frame=key_frame,pict_type")["frames"]
    assert [f["key_frame"] for f in frames] == [1, 0, 0, 0, 0] * 4
    assert {f["pict_type"] for f in frames} == {"I", "P"}
    # a finer quantiser: a bigger file, closer to the source
    assert (tmp_path / "q2.mp4").stat().st_size > 2 * (tmp_path / "q31.mp4").stat().st_size
    assert psnr(frames_of(tmp_path / "q2.mp4"), v) > psnr(frames_of(tmp_path / "q31.mp4"), v) + 3
    with pytest.raises(DecodeAudioError, match="no option 'nonsense'"):
        write(tmp_path / "o.mp4", [], frame_rate=10, width=W, height=H,
              encoder_option={"nonsense": "1"})
    with pytest.raises(DecodeAudioError, match="does not take pixel format 'rgb24'"):
        write(tmp_path / "f.mp4", [], frame_rate=10, width=W, height=H,
              encoder="libx264" if HAVE_LIBX264 else "mpeg4", encoder_format="rgb24")


def test_filter_desc_encoder_size_and_rate(tmp_path):
    img = noise(1)
    write(tmp_path / "f.png", [img], frame_rate=1, width=W, height=H, filter_desc="hflip")
    assert np.array_equal(frames_of(tmp_path / "f.png"), img[..., ::-1])

    v = smooth(20)
    path = tmp_path / "s.mp4"
    write(path, [v], frame_rate=10, width=W, height=H, encoder_width=32, encoder_height=24,
          encoder_frame_rate=5)
    stream = probe(path, "stream=width,height,nb_read_frames,avg_frame_rate,duration")
    stream = stream["streams"][0]
    assert (stream["width"], stream["height"], int(stream["nb_read_frames"])) == (32, 24, 10)
    assert stream["avg_frame_rate"] == "5/1" and float(stream["duration"]) == 2.0

    # a filter that sets the size and rate decides the encoder's
    path = tmp_path / "d.mkv"
    write(path, [v], frame_rate=10, width=W, height=H, filter_desc="scale=32:16,fps=20")
    stream = probe(path, "stream=width,height,nb_read_frames")["streams"][0]
    assert (stream["width"], stream["height"], int(stream["nb_read_frames"])) == (32, 16, 40)


def test_an_encoder_of_fixed_rates_takes_the_nearest_or_refuses_one_asked_for(tmp_path):
    path = tmp_path / "m.mkv"
    write(path, [noise(10)], frame_rate=20, width=W, height=H, encoder="mpeg1video")
    stream = probe(path, "stream=avg_frame_rate,nb_read_frames")["streams"][0]
    # 0.5 s at MPEG-1's nearest rate, 23.976: frames repeated by the fps filter
    assert (stream["avg_frame_rate"], int(stream["nb_read_frames"])) == ("24000/1001", 12)
    with pytest.raises(DecodeAudioError, match="mpeg1video does not take 7/1 frames per second"):
        StreamWriter(tmp_path / "r.mkv").add_video_stream(
            frame_rate=20, width=W, height=H, encoder="mpeg1video", encoder_frame_rate=7)


def test_pts_follows_torchaudio(tmp_path):
    v = smooth(6)
    path = tmp_path / "p.mkv"
    s = StreamWriter(path)
    s.add_video_stream(frame_rate=10, width=W, height=H, encoder="mpeg4")
    with s.open():
        s.write_video_chunk(0, v[:2])             # 0.0, 0.1
        s.write_video_chunk(0, v[2:4], pts=0.5)   # 0.5, 0.6: a gap
        s.write_video_chunk(0, v[4:5], pts=0.7)   # where the next one goes anyway
        s.write_video_chunk(0, v[5:], pts=0.94)   # rounded to 0.9
        with pytest.raises(ValueError, match="before the next frame"):
            s.write_video_chunk(0, v[:1], pts=0.5)
        with pytest.raises(ValueError, match="pts must be"):
            s.write_video_chunk(0, v[:1], pts=-1.0)
        with pytest.raises(ValueError, match="pts is out of range"):
            s.write_video_chunk(0, v[:1], pts=1e300)
    frames = probe(path, "frame=pts_time")["frames"]
    assert [round(float(f["pts_time"]), 3) for f in frames] == [0.0, 0.1, 0.5, 0.6, 0.7, 0.9]


def test_wrong_chunks_raise_value_error_naming_the_shape(tmp_path):
    s = StreamWriter(tmp_path / "w.mp4")
    s.add_audio_stream(sample_rate=16000, num_channels=1)
    s.add_video_stream(frame_rate=10, width=W, height=H)
    with s.open():
        expected = rf"\(time, 3, {H}, {W}\)"
        for bad in (np.zeros((1, 3, W, H), np.uint8), np.zeros((1, 1, H, W), np.uint8),
                    np.zeros((3, H, W), np.uint8), np.zeros((1, 3, H, W), np.float32),
                    np.zeros((1, 3, H, W), np.int16)):
            with pytest.raises(ValueError, match=expected):
                s.write_video_chunk(1, bad)
        with pytest.raises(ValueError, match="video stream; use write_video_chunk"):
            s.write_audio_chunk(1, np.zeros((10, 1), np.float32))
        with pytest.raises(ValueError, match="audio stream; use write_audio_chunk"):
            s.write_video_chunk(0, np.zeros((1, 3, H, W), np.uint8))
        with pytest.raises(ValueError, match="no stream 2"):
            s.write_video_chunk(2, np.zeros((1, 3, H, W), np.uint8))
    s = StreamWriter(tmp_path / "x.mp4")
    with pytest.raises(ValueError, match="format must be one of"):
        s.add_video_stream(frame_rate=10, width=W, height=H, format="yuv420p")
    with pytest.raises(ValueError, match="frame_rate"):
        s.add_video_stream(frame_rate=0, width=W, height=H)
    with pytest.raises(ValueError, match="width"):
        s.add_video_stream(frame_rate=10, width=0, height=H)
    for bad, message in (({"frame_rate": True}, "frame_rate must be a positive number"),
                         ({"frame_rate": float("nan")}, "frame_rate must be a positive number"),
                         ({"frame_rate": 1e12}, "frame_rate is out of range"),
                         ({"encoder_frame_rate": "25"}, "encoder_frame_rate must be"),
                         ({"encoder_width": 0}, "encoder_width must be an integer"),
                         ({"encoder_height": 2.5}, "encoder_height must be an integer")):
        with pytest.raises(ValueError, match=message):
            s.add_video_stream(**{"frame_rate": 10, "width": W, "height": H, **bad})
    s.add_video_stream(frame_rate=10, width=W, height=H)
    with pytest.raises(RuntimeError, match="before writing"):
        s.write_video_chunk(0, noise(1))
    with s.open():
        with pytest.raises(RuntimeError, match="before open"):
            s.add_video_stream(frame_rate=10, width=W, height=H)
        for pts in (float("nan"), True, "1"):
            with pytest.raises(ValueError, match="pts must be a finite number"):
                s.write_video_chunk(0, noise(1), pts=pts)
        s.write_video_chunk(0, noise(1))
    assert int(probe(tmp_path / "x.mp4", "stream=nb_read_frames")["streams"][0]
               ["nb_read_frames"]) == 1


def test_ffmpeg_failures_raise_decode_audio_error(tmp_path):
    if HAVE_LIBX264:
        with pytest.raises(DecodeAudioError, match=r"libx264.*width not divisible by 2"):
            StreamWriter(tmp_path / "o.mp4").add_video_stream(frame_rate=10, width=63, height=47)
    with pytest.raises(DecodeAudioError, match=f"'{tmp_path / 'f.mp4'}': filter 'nonsense'"
                                                ".*No such filter: 'nonsense'"):
        StreamWriter(tmp_path / "f.mp4").add_video_stream(frame_rate=10, width=W, height=H,
                                                          filter_desc="nonsense")
    with pytest.raises(DecodeAudioError, match="no video encoder 'aac'"):
        StreamWriter(tmp_path / "e.mp4").add_video_stream(frame_rate=10, width=W, height=H,
                                                          encoder="aac")
    s = StreamWriter(tmp_path / "x.mp4")
    s.add_video_stream(frame_rate=10, width=W, height=H)
    with s.open():
        s.write_video_chunk(0, noise(2))
        s.flush()
        with pytest.raises(DecodeAudioError, match="the writer was flushed"):
            s.write_video_chunk(0, noise(1))
    assert int(probe(tmp_path / "x.mp4", "stream=nb_read_frames")["streams"][0]
               ["nb_read_frames"]) == 2


# ---- audio and video in one file ----

def _audio_video(dst, fmt=None, seconds=2, rate=16000, fps=10):
    audio = music(rate, seconds)[:, :1].copy()
    video = smooth(seconds * fps)
    s = StreamWriter(dst, format=fmt)
    s.add_audio_stream(sample_rate=rate, num_channels=1)
    s.add_video_stream(frame_rate=fps, width=W, height=H)
    with s.open():
        for k in range(seconds):  # a second of each at a time, as the tutorial does
            s.write_audio_chunk(0, audio[k * rate:(k + 1) * rate])
            s.write_video_chunk(1, video[k * fps:(k + 1) * fps])


def test_audio_and_video_muxed_with_durations_order_and_interleaving(tmp_path):
    path = tmp_path / "av.mp4"
    _audio_video(path)
    streams = probe(path, "stream=index,codec_type,codec_name,duration,nb_read_frames")
    streams = streams["streams"]
    assert [(s["index"], s["codec_type"], s["codec_name"]) for s in streams] == \
        [(0, "audio", "aac"), (1, "video", DEFAULT_VIDEO_CODEC)]
    assert float(streams[1]["duration"]) == 2.0 and int(streams[1]["nb_read_frames"]) == 20
    assert abs(float(streams[0]["duration"]) - 2.0) < 0.001
    packets = probe(path, "packet=stream_index,dts_time,pos")["packets"]
    packets.sort(key=lambda p: int(p["pos"]))
    # interleaved in file order: no packet is more than 0.5 s away in time from the last
    # packet of the other stream before it (written one stream after the other, they would
    # be 2 s apart; h264's B-frames put its dts up to 0.2 s before its pts)
    last = {}
    for p in packets:
        other = last.get(1 - p["stream_index"])
        if other is not None:
            assert abs(float(p["dts_time"]) - other) < 0.5
        last[p["stream_index"]] = float(p["dts_time"])
    assert len({p["stream_index"] for p in packets[:10]}) == 2


def test_audio_and_video_to_file_likes(tmp_path):
    _audio_video(tmp_path / "av.mp4")
    buf = io.BytesIO()
    _audio_video(buf, fmt="mp4")  # seekable: the same bytes as the file
    assert buf.getvalue() == (tmp_path / "av.mp4").read_bytes()

    with pytest.raises(DecodeAudioError, match="seekable file-like or a streamable format"):
        _audio_video(WriteOnly(), fmt="mp4")
    out = WriteOnly()
    _audio_video(out, fmt="matroska")
    (tmp_path / "av.mkv").write_bytes(out.data)
    streams = probe(tmp_path / "av.mkv", "stream=codec_name,nb_read_frames")["streams"]
    assert [s["codec_name"] for s in streams] == ["vorbis", DEFAULT_VIDEO_CODEC]
    assert int(streams[1]["nb_read_frames"]) == 20


def test_a_stream_that_fails_to_open_leaves_nothing_in_the_file(tmp_path):
    path = tmp_path / "f.mkv"
    s = StreamWriter(path)
    with pytest.raises(DecodeAudioError, match="No such filter"):
        s.add_audio_stream(sample_rate=16000, num_channels=1, filter_desc="nonsense")
    with pytest.raises(DecodeAudioError, match="no option 'nonsense'"):
        s.add_video_stream(frame_rate=10, width=W, height=H, encoder_option={"nonsense": "1"})
    s.add_audio_stream(sample_rate=16000, num_channels=1)
    s.add_video_stream(frame_rate=10, width=W, height=H, encoder="mpeg4")
    with s.open():
        s.write_audio_chunk(0, np.zeros((16000, 1), np.float32))
        s.write_video_chunk(1, smooth(10))
    streams = probe(path, "stream=index,codec_type,nb_read_frames")["streams"]
    assert [(x["index"], x["codec_type"]) for x in streams] == [(0, "audio"), (1, "video")]
    assert int(streams[1]["nb_read_frames"]) == 10
