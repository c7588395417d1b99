/* decode.c - the decode loop and the output it writes into. */
#include <string.h>

#include <libavutil/opt.h>

#include "internal.h"

/* Initial room is capped: headers can claim anything, and real data grows the buffer. */
#define MAX_INITIAL_BYTES ((int64_t)256 << 20)
/* libswresample's filter bank grows with the ratio of the rates: resampling from a header's
 * 268 MHz took 11 s and 1.1 GB. Rates above this are not resampled. */
#define MAX_RESAMPLE_RATE 768000

int da__next_frame(da_input *in, AVFrame *frame)
{
    for (;;) {
        int ret = avcodec_receive_frame(in->dec, frame);
        if (ret >= 0 && frame->nb_samples > 0)
            return 0;
        if (ret >= 0) {
            av_frame_unref(frame);
            continue;
        }
        if (ret == AVERROR_EOF)
            return AVERROR_EOF;
        if (ret != AVERROR(EAGAIN)) {
            /* a corrupt packet: skip it, as the ffmpeg CLI does */
            if (in->decode_errors++ == 0)
                in->first_error = ret;
            if (in->fail_on_error)
                return ret;
            continue;
        }
        if (in->draining)
            return AVERROR_EOF;

        ret = av_read_frame(in->fmt, in->pkt);
        if (in->callback_failed)
            return DA_ERR_CALLBACK;
        if (ret == AVERROR(ENOMEM) || ret == AVERROR_EXIT)
            return ret;
        if (ret < 0) {
            /* end of input, or a read error, which ends it the way the ffmpeg CLI does */
            if (ret != AVERROR_EOF && in->fail_on_error)
                return ret;
            in->draining = 1;
            ret = avcodec_send_packet(in->dec, NULL);
            if (ret < 0 && ret != AVERROR_EOF)
                return ret;
            continue;
        }
        /* packets of other streams, and those wholly before a window's preroll, are never
         * decoded */
        if (in->pkt->stream_index != in->stream_index ||
            (in->pkt->pts != AV_NOPTS_VALUE && in->pkt->duration > 0 &&
             in->pkt->pts + in->pkt->duration <= in->discard_until)) {
            av_packet_unref(in->pkt);
            continue;
        }
        /* a packet without a timestamp (FFmpeg 7's FLAC parser resyncing in damaged data)
         * starts where the one before it ended */
        in->sent_pts = in->pkt->pts != AV_NOPTS_VALUE ? in->pkt->pts : in->sent_end;
        in->sent_end = in->sent_pts != AV_NOPTS_VALUE && in->pkt->duration > 0
                       ? in->sent_pts + in->pkt->duration : AV_NOPTS_VALUE;
        ret = avcodec_send_packet(in->dec, in->pkt);
        av_packet_unref(in->pkt);
        if (ret < 0 && ret != AVERROR(EAGAIN)) {
            if (ret == AVERROR(ENOMEM))
                return ret;
            if (in->decode_errors++ == 0)
                in->first_error = ret;
            if (in->fail_on_error)
                return ret;
        }
    }
}

/* Where decoded frames go: windowed, converted and resampled into one buffer.
 * Input frames are placed by index (samples since the stream's first decoded sample): by a
 * running count when decoding from the start, by their timestamps after a seek or skip. */
typedef struct sink {
    da_audio *audio;
    int64_t used;             /* frames written */
    int64_t limit;            /* frames wanted at most; -1: all */
    int64_t out_skip;         /* output frames still to drop (resampled windows) */
    int64_t in_start;         /* first input index kept */
    int64_t in_end;           /* input index where the stream ends; -1: where decoding does */
    int64_t next_idx;         /* index of the next input frame when it carries no timestamp */
    int use_pts;              /* place the first frames by timestamp (after a seek or skip) */
    int need_pair;            /* ...and only once two frames' timestamps agree */
    int anchored;             /* a frame was placed; the running count takes over */
    int64_t prev_end;         /* index after the last unplaced frame; -1: none yet */
    int64_t origin;           /* timestamp of index 0, in input samples */
    AVRational time_base;     /* of frame timestamps */
    int in_rate;
    int dtype;
    int planar;               /* channels-first output */
    int out_rate;
    AVChannelLayout out_layout;
    enum AVSampleFormat out_fmt;
    int convert_only;         /* same rate and channels: plain loops, no resampler */
    const char *swr_options;  /* the caller's resampler options, or NULL */
    SwrContext *swr;
    da_filter *filter;        /* the caller's filter graph; its output is what is windowed */
    AVFrame *filtered;        /* what the graph hands out */
    int64_t filter_pts;       /* frames fed to the graph */
    /* the input the resampler was set up for */
    enum AVSampleFormat swr_fmt;
    int swr_rate;
    AVChannelLayout swr_layout;
} sink;

/* The first frame after a seek started after the window: the index misled the demuxer. */
#define LANDED_LATE 1

static void sink_uninit(sink *s)
{
    swr_free(&s->swr);
    da__filter_close(&s->filter);
    av_frame_free(&s->filtered);
    av_channel_layout_uninit(&s->out_layout);
    av_channel_layout_uninit(&s->swr_layout);
}

static int64_t room_left(const sink *s)
{
    return s->limit < 0 ? INT64_MAX : s->limit - s->used;
}

/* Plane pointers (or the one interleaved pointer) at the first free frame. */
static void write_pointers(const sink *s, uint8_t **planes)
{
    const da_audio *a = s->audio;
    uint8_t *base = a->data;
    size_t isz = (size_t)a->itemsize;
    if (s->planar) {
        size_t row = (size_t)da__audio_capacity(a) * isz;
        for (int c = 0; c < a->num_channels; c++)
            planes[c] = base + (size_t)c * row + (size_t)s->used * isz;
    } else {
        planes[0] = base + (size_t)s->used * isz * (size_t)a->num_channels;
    }
}

/* int8 is produced as uint8 by the resampler and flipped in place. */
static void flip_to_int8(const sink *s, int64_t count)
{
    if (s->dtype != DA_DTYPE_INT8 || count <= 0)
        return;
    const da_audio *a = s->audio;
    uint8_t *base = a->data;
    size_t row = (size_t)da__audio_capacity(a);
    int rows = s->planar ? a->num_channels : 1;
    int64_t n = s->planar ? count : count * a->num_channels;
    for (int r = 0; r < rows; r++) {
        uint8_t *p = s->planar ? base + (size_t)r * row + (size_t)s->used
                               : base + (size_t)s->used * (size_t)a->num_channels;
        for (int64_t i = 0; i < n; i++)
            p[i] ^= 0x80;
    }
}

static int reserve(sink *s, int64_t extra)
{
    int64_t want = room_left(s);
    if (extra > want)
        extra = want;
    return da__audio_reserve(s->audio, s->used + extra, s->used);
}

static int setup_swr(sink *s, const AVFrame *frame)
{
    AVChannelLayout in_layout = {0};
    if (frame->sample_rate > MAX_RESAMPLE_RATE && frame->sample_rate != s->out_rate)
        return AVERROR(EINVAL);
    int ret = av_channel_layout_copy(&in_layout, &frame->ch_layout);
    if (ret < 0)
        return ret;
    /* a layout without channel meaning is taken as the usual one for its count */
    if (in_layout.order == AV_CHANNEL_ORDER_UNSPEC)
        av_channel_layout_default(&in_layout, in_layout.nb_channels);
    swr_free(&s->swr);
    ret = swr_alloc_set_opts2(&s->swr, &s->out_layout, s->out_fmt, s->out_rate, &in_layout,
                              (enum AVSampleFormat)frame->format, frame->sample_rate, 0, NULL);
    if (ret >= 0 && s->swr_options != NULL)
        ret = av_set_options_string(s->swr, s->swr_options, "=", ":");
    if (ret >= 0)
        ret = swr_init(s->swr);
    av_channel_layout_uninit(&s->swr_layout);
    s->swr_layout = in_layout;
    s->swr_fmt = (enum AVSampleFormat)frame->format;
    s->swr_rate = frame->sample_rate;
    return ret;
}

/* Runs the resampler on `count` input frames (NULL: flush) into the output. */
static int write_swr(sink *s, const uint8_t **in, int count)
{
    uint8_t *planes[64];
    /* frames before the window are produced and dropped inside the resampler */
    while (s->out_skip > 0) {
        int drop = s->out_skip > INT32_MAX / 2 ? INT32_MAX / 2 : (int)s->out_skip;
        int ret = swr_drop_output(s->swr, drop);
        if (ret < 0)
            return ret;
        s->out_skip -= drop;
    }
    for (;;) {
        int64_t want = swr_get_out_samples(s->swr, count);
        if (want < 0)
            return (int)want;
        int ret = reserve(s, want > 0 ? want : 1);
        if (ret < 0)
            return ret;
        int64_t space = da__audio_capacity(s->audio) - s->used;
        if (space > room_left(s))
            space = room_left(s);
        if (space > INT32_MAX)
            space = INT32_MAX;
        /* libswresample sizes its own buffers by the room offered: offer what can come out */
        if (space > (want > 0 ? want : 1))
            space = want > 0 ? want : 1;
        write_pointers(s, planes);
        int got = swr_convert(s->swr, planes, (int)space, in, count);
        if (got < 0)
            return got;
        flip_to_int8(s, got);
        s->used += got;
        /* input is taken whole; only a flush needs calling until nothing comes out */
        if (in != NULL || got == 0 || room_left(s) == 0)
            return 0;
    }
}

/* Converts frames [first, first + count) of `frame` with the plain loops. */
static int write_plain(sink *s, const AVFrame *frame, int first, int count)
{
    int ret = reserve(s, count);
    if (ret < 0)
        return ret;
    uint8_t *planes[64];
    write_pointers(s, planes);
    enum AVSampleFormat fmt = (enum AVSampleFormat)frame->format;
    int channels = frame->ch_layout.nb_channels;
    int in_planar = av_sample_fmt_is_planar(fmt);
    int isz = av_get_bytes_per_sample(fmt);
    if (!in_planar && !s->planar) {
        const uint8_t *src = frame->extended_data[0] + (size_t)first * (size_t)(isz * channels);
        ret = da__convert(fmt, src, 1, s->dtype, planes[0], 1, (int64_t)count * channels);
    } else {
        int osz = s->audio->itemsize;
        for (int c = 0; c < channels && ret >= 0; c++) {
            const uint8_t *src = in_planar
                                     ? frame->extended_data[c] + (size_t)first * (size_t)isz
                                     : frame->extended_data[0] +
                                           ((size_t)first * (size_t)channels + (size_t)c) *
                                               (size_t)isz;
            uint8_t *dst = s->planar ? planes[c] : planes[0] + (size_t)c * (size_t)osz;
            ret = da__convert(fmt, src, in_planar ? 1 : channels, s->dtype, dst,
                              s->planar ? 1 : channels, count);
        }
    }
    if (ret < 0)
        return ret;
    s->used += count;
    return 0;
}

/* Writes what the filter graph hands out, less the frames before the window. */
static int drain_filter(sink *s)
{
    while (room_left(s) > 0) {
        int ret = da__filter_pull(s->filter, s->filtered);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
            return 0;
        if (ret < 0)
            return ret;
        int first = 0, n = s->filtered->nb_samples;
        if (s->out_skip > 0) {
            first = s->out_skip < n ? (int)s->out_skip : n;
            s->out_skip -= first;
        }
        int64_t count = n - first < room_left(s) ? n - first : room_left(s);
        ret = count > 0 ? write_plain(s, s->filtered, first, (int)count) : 0;
        av_frame_unref(s->filtered);
        if (ret < 0)
            return ret;
    }
    return 0;
}

/* Feeds frames [first, last) of `frame` (NULL: the end) through the filter graph. */
static int filter_frame(sink *s, const AVFrame *frame, int64_t first, int64_t last)
{
    AVFrame *in = NULL;
    int ret = 0;
    if (frame != NULL) {
        in = av_frame_alloc();
        if (in == NULL)
            return AVERROR(ENOMEM);
        if (first == 0 && last == frame->nb_samples) {
            ret = av_frame_ref(in, frame);
        } else {
            /* only the ends of a stream are cut: copying them costs little */
            in->format = frame->format;
            in->sample_rate = frame->sample_rate;
            in->nb_samples = (int)(last - first);
            ret = av_channel_layout_copy(&in->ch_layout, &frame->ch_layout);
            if (ret >= 0)
                ret = av_frame_get_buffer(in, 0);
            if (ret >= 0)
                ret = av_samples_copy(in->extended_data, frame->extended_data, 0, (int)first,
                                      in->nb_samples, frame->ch_layout.nb_channels,
                                      (enum AVSampleFormat)frame->format);
        }
        in->pts = s->filter_pts;
        s->filter_pts += last - first;
    }
    if (ret >= 0)
        ret = da__filter_push(s->filter, in);
    av_frame_free(&in);
    return ret < 0 ? ret : drain_filter(s);
}

static int sink_frame(sink *s, const AVFrame *frame)
{
    int64_t idx = s->next_idx;
    if (s->use_pts && !s->anchored) {
        /* A timestamp places the first frame after a seek or skip. Some decoders stamp a
         * frame at a block-size change with its packet's start rather than its own (Vorbis),
         * so where there is preroll to spare, trust a timestamp only once the next frame's
         * agrees with it; from then on the running count places frames, as in a full decode. */
        if (frame->pts == AV_NOPTS_VALUE)
            return 0;
        int64_t at = av_rescale_q(frame->pts, s->time_base, (AVRational){1, s->in_rate}) -
                     s->origin;
        if (s->need_pair && at != s->prev_end) {
            s->prev_end = at + frame->nb_samples;
            return 0;
        }
        if (at > s->in_start)
            return LANDED_LATE;
        s->anchored = 1;
        idx = at;
    }
    s->next_idx = idx + frame->nb_samples;
    int64_t first = s->in_start > idx ? s->in_start - idx : 0;
    int64_t last = frame->nb_samples;
    if (s->in_end >= 0 && idx + last > s->in_end)
        last = s->in_end - idx;
    if (first >= last)
        return 0;
    int channels = frame->ch_layout.nb_channels;
    if (channels > 64)
        return AVERROR_PATCHWELCOME;
    if (s->filter != NULL)
        return filter_frame(s, frame, first, last);

    int plain = s->convert_only && s->swr == NULL && channels == s->out_layout.nb_channels &&
                frame->sample_rate == s->out_rate &&
                av_get_packed_sample_fmt((enum AVSampleFormat)frame->format) <= AV_SAMPLE_FMT_DBL;
    if (plain) {
        int64_t count = last - first;
        if (count > room_left(s))
            count = room_left(s);
        return count > 0 ? write_plain(s, frame, (int)first, (int)count) : 0;
    }
    int same_input = s->swr != NULL && frame->format == s->swr_fmt &&
                     frame->sample_rate == s->swr_rate &&
                     channels == s->swr_layout.nb_channels;
    if (!same_input) {
        /* the first frame, or one whose format changed mid-stream */
        if (s->swr != NULL) {
            int ret = write_swr(s, NULL, 0);
            if (ret < 0)
                return ret;
        }
        int ret = setup_swr(s, frame);
        if (ret < 0)
            return ret;
    }
    enum AVSampleFormat fmt = (enum AVSampleFormat)frame->format;
    size_t step = (size_t)av_get_bytes_per_sample(fmt) * (size_t)first;
    const uint8_t *planes[64];
    if (av_sample_fmt_is_planar(fmt)) {
        for (int c = 0; c < channels; c++)
            planes[c] = frame->extended_data[c] + step;
    } else {
        planes[0] = frame->extended_data[0] + step * (size_t)channels;
    }
    return write_swr(s, planes, (int)(last - first));
}

/* How a window starts: decode from the start, seek, or skip packets without decoding them. */
enum { ENTER_FROM_START, ENTER_SEEK, ENTER_SKIP };

/* How far before a window the decoder must start for its output to equal a full decode's,
 * and how to get there. Measured per codec (see FFMPEG-NOTES §7): PCM and FLAC need nothing;
 * Vorbis needs its previous packet (Ogg granule positions make its seeks land exactly, with
 * room to spare); MP3's bit reservoir reaches back up to 16 codec frames, and its seeks land
 * by byte estimates, so its packets are skipped instead.
 * AAC (noise substitution draws from a decoder-wide random state) and Opus never converge
 * exactly, so exact windows decode them from the start. */
static int enter_policy(const da_input *in, int exact, int64_t *preroll)
{
    const AVCodecParameters *par = in->stream->codecpar;
    int seekable = in->fmt->pb != NULL && (in->fmt->pb->seekable & AVIO_SEEKABLE_NORMAL);
    /* containers whose seeks land on packets with exact timestamps (Ogg granules, an MP4
     * index), where the preroll of an inexact window is reached by seeking */
    const char *demuxer = in->fmt->iformat->name;
    int stamped = seekable && (strcmp(demuxer, "ogg") == 0 || strstr(demuxer, "mp4") != NULL);
    const AVCodecDescriptor *d = avcodec_descriptor_get(par->codec_id);
    *preroll = 0;
    if (d != NULL && strncmp(d->name, "pcm_", 4) == 0) {
        /* PCM demuxers seek by the header's byte rate; where it disagrees with the sample
         * rate and size, a seek lands elsewhere than its timestamps say, so such input is
         * entered by skipping packets, whose timestamps count their samples */
        int64_t bit_rate = (int64_t)par->sample_rate * par->ch_layout.nb_channels *
                           av_get_bits_per_sample(par->codec_id);
        return seekable && par->bit_rate == bit_rate && bit_rate > 0 ? ENTER_SEEK : ENTER_SKIP;
    }
    switch (par->codec_id) {
    case AV_CODEC_ID_FLAC:
    case AV_CODEC_ID_WAVPACK:
    case AV_CODEC_ID_TTA:
        return seekable ? ENTER_SEEK : ENTER_SKIP;
    case AV_CODEC_ID_MP3:
        *preroll = 16 * (int64_t)(par->frame_size > 0 ? par->frame_size : 1152);
        return ENTER_SKIP;
    case AV_CODEC_ID_VORBIS:
        *preroll = 16384;
        return seekable ? ENTER_SEEK : ENTER_SKIP;
    case AV_CODEC_ID_OPUS:
        *preroll = 4 * (int64_t)(par->seek_preroll > 0 ? par->seek_preroll : 3840);
        return exact ? ENTER_FROM_START : stamped ? ENTER_SEEK : ENTER_SKIP;
    default:
        *preroll = 8192;
        return exact ? ENTER_FROM_START : stamped ? ENTER_SEEK : ENTER_SKIP;
    }
}

/* Sets where the sink starts keeping input and output for a window entered by `mode`;
 * returns the input index the demuxer must reach (before the codec's preroll). */
static int64_t plan_window(sink *s, int mode, int64_t preroll, int64_t frame_offset)
{
    s->used = 0;
    s->next_idx = 0;
    s->use_pts = mode != ENTER_FROM_START;
    s->need_pair = mode != ENTER_FROM_START && preroll > 0;
    s->anchored = 0;
    s->prev_end = -1;
    swr_free(&s->swr);
    if (s->filter != NULL) {
        /* filters may change the length: the window is counted on their output */
        s->in_start = 0;
        s->out_skip = frame_offset;
        return 0;
    }
    if (s->out_rate == s->in_rate) {
        s->in_start = frame_offset;
        s->out_skip = 0;
        return frame_offset;
    }
    if (mode == ENTER_FROM_START || s->swr_options != NULL) {
        /* a resampler of unknown filter length is run from the start */
        s->in_start = 0;
        s->out_skip = frame_offset;
        s->use_pts = 0;
        return 0;
    }
    /* A resampler started on a boundary of the rates' common period, with enough input
     * before the window to fill its filter, gives the same output as one that ran from 0. */
    int64_t g = av_gcd(s->in_rate, s->out_rate);
    int64_t in_period = s->in_rate / g, out_period = s->out_rate / g;
    int64_t filter = 256 * (s->in_rate > s->out_rate ? (s->in_rate + s->out_rate - 1) / s->out_rate : 1);
    int64_t periods = frame_offset / out_period - (filter + in_period - 1) / in_period - 1;
    if (periods < 0)
        periods = 0;
    s->in_start = periods * in_period;
    s->out_skip = frame_offset - periods * out_period;
    return s->in_start;
}

/* Positions the input so the decoder's first frame starts at or before index `target`. */
static int enter(da_input *in, int mode, int64_t target, int64_t preroll, int64_t origin)
{
    AVStream *st = in->stream;
    int rate = in->dec->sample_rate;
    int64_t from = target - preroll;
    if (mode == ENTER_FROM_START || from <= 0)
        return 0;
    int64_t ts = av_rescale_q(origin + from, (AVRational){1, rate}, st->time_base);
    if (mode == ENTER_SKIP) {
        in->discard_until = ts;
        return 0;
    }
    int ret = avformat_seek_file(in->fmt, in->stream_index, INT64_MIN, ts, ts, 0);
    if (ret < 0)
        return ret;
    avcodec_flush_buffers(in->dec);
    return 0;
}

/* Goes back to the first packet, after a seek that landed after its target. */
static int rewind_input(da_input *in)
{
    AVStream *st = in->stream;
    int64_t ts = st->start_time != AV_NOPTS_VALUE ? st->start_time : 0;
    in->discard_until = INT64_MIN;
    in->draining = 0;
    int ret = avformat_seek_file(in->fmt, in->stream_index, INT64_MIN, ts, ts, 0);
    if (ret < 0)
        return ret;
    avcodec_flush_buffers(in->dec);
    return 0;
}

/* Frames the output will probably hold, or -1 when unknown; `exact` says if it is certain. */
static int64_t estimate_frames(const da_input *in, int out_rate, int *exact)
{
    const AVStream *st = in->stream;
    int in_rate = in->dec->sample_rate;
    int64_t n = -1;
    *exact = 0;
    if (st->duration != AV_NOPTS_VALUE && st->duration > 0) {
        n = av_rescale_q(st->duration, st->time_base, (AVRational){1, in_rate});
        /* PCM and FLAC headers count samples exactly */
        enum AVCodecID id = st->codecpar->codec_id;
        const AVCodecDescriptor *d = avcodec_descriptor_get(id);
        *exact = id == AV_CODEC_ID_FLAC ||
                 (d != NULL && (d->props & AV_CODEC_PROP_LOSSLESS) && strncmp(d->name, "pcm_", 4) == 0);
    } else if (in->fmt->duration != AV_NOPTS_VALUE && in->fmt->duration > 0) {
        n = av_rescale(in->fmt->duration, in_rate, AV_TIME_BASE);
    }
    if (n < 0 || in_rate <= 0)
        return -1;
    if (out_rate != in_rate) {
        n = av_rescale(n, out_rate, in_rate);
        *exact = 0;
    }
    return n;
}

/* The integer type of integer PCM, float32 for anything else. */
static int native_dtype(const da_input *in)
{
    const AVCodecDescriptor *d = avcodec_descriptor_get(in->stream->codecpar->codec_id);
    if (d == NULL || strncmp(d->name, "pcm_", 4) != 0)
        return DA_DTYPE_FLOAT32;
    switch (av_get_packed_sample_fmt(in->dec->sample_fmt)) {
    case AV_SAMPLE_FMT_U8: return DA_DTYPE_UINT8;
    case AV_SAMPLE_FMT_S16: return DA_DTYPE_INT16;
    case AV_SAMPLE_FMT_S32: return DA_DTYPE_INT32;
    default: return DA_DTYPE_FLOAT32;
    }
}

static int check_options(const da_decode_options *opt)
{
    if ((opt->dtype != DA_DTYPE_AUTO && da__dtype_size(opt->dtype) == 0) ||
        opt->sample_rate < 0 || opt->num_channels < 0 || opt->num_channels > 64 || opt->frame_offset < 0 || opt->num_frames < -1 ||
        (opt->out_data != NULL && opt->out_capacity < 0) ||
        (opt->on_error != DA_ON_ERROR_SKIP && opt->on_error != DA_ON_ERROR_RAISE))
        return DA_ERR_ARGUMENT;
    return 0;
}

int da_decode_options_init(da_decode_options *opt)
{
    if (opt == NULL)
        return DA_ERR_ARGUMENT;
    memset(opt, 0, sizeof *opt);
    opt->open.stream_index = -1;
    opt->dtype = DA_DTYPE_FLOAT32;
    opt->num_frames = -1;
    opt->exact = 1;
    return 0;
}

/* One decoding of one input: the sink and where the input stands. Resumable, so the same
 * loop serves a whole decode and a chunked reader. */
typedef struct job {
    sink s;
    da_input *in;
    AVFrame *frame;
    int dtype;
    int out_channels;
    int mode;                 /* how the window is entered */
    int64_t preroll;
    int64_t frame_offset;
    int entered;              /* the window was planned and entered */
    int ended;                /* the input is finished and the sink flushed */
} job;

static void job_close(job *j)
{
    av_frame_free(&j->frame);
    sink_uninit(&j->s);
    da__input_close(&j->in);
}

/* Opens the input and sets the sink up as `opt` says (everything but its output buffer). */
static int job_open(job *j, const da_source *src, const da_decode_options *opt, char *err,
                    size_t err_size)
{
    memset(j, 0, sizeof *j);
    if (opt == NULL || check_options(opt) < 0)
        return da__failmsg(DA_ERR_ARGUMENT, err, err_size, "decode: invalid options");
    int ret = da__input_open(src, &opt->open, &j->in, err, err_size);
    if (ret < 0)
        return ret;
    da_input *in = j->in;
    in->fail_on_error = opt->on_error == DA_ON_ERROR_RAISE;
    sink *s = &j->s;
    int in_channels = in->dec->ch_layout.nb_channels;
    int in_rate = in->dec->sample_rate;
    if (in_channels <= 0 || in_rate <= 0)
        return da__failmsg(AVERROR_INVALIDDATA, err, err_size,
                           "decode '%s': the stream has no sample rate or channel count", in->name);
    j->dtype = opt->dtype == DA_DTYPE_AUTO ? native_dtype(in) : opt->dtype;
    s->dtype = j->dtype;
    s->planar = opt->channels_first != 0;
    s->in_rate = in_rate;
    s->out_rate = opt->sample_rate > 0 ? opt->sample_rate : in_rate;
    if (s->out_rate != in_rate && (in_rate > MAX_RESAMPLE_RATE || s->out_rate > MAX_RESAMPLE_RATE))
        return da__failmsg(AVERROR(EINVAL), err, err_size,
                           "decode '%s': cannot resample %d Hz to %d Hz (rates above %d Hz are "
                           "not resampled)", in->name, in_rate, s->out_rate, MAX_RESAMPLE_RATE);
    j->out_channels = opt->num_channels > 0 ? opt->num_channels : in_channels;
    av_channel_layout_default(&s->out_layout, j->out_channels);
    if (opt->num_channels == 0 && in->dec->ch_layout.order != AV_CHANNEL_ORDER_UNSPEC)
        av_channel_layout_copy(&s->out_layout, &in->dec->ch_layout);
    s->out_fmt = da__dtype_sample_fmt(j->dtype, s->planar);
    s->convert_only = s->out_rate == in_rate && j->out_channels == in_channels;
    s->swr_options = opt->resampler_options;
    if (opt->filter_desc != NULL) {
        /* the graph converts to the output type, and to the rate and layout asked for */
        ret = da__filter_open(&s->filter, opt->filter_desc, in_rate, in->dec->sample_fmt,
                              &in->dec->ch_layout, opt->sample_rate,
                              da__dtype_sample_fmt(j->dtype, 0),
                              opt->num_channels > 0 ? &s->out_layout : NULL, 0, err, err_size);
        if (ret < 0)
            return da__prefix(ret, err, err_size, "decode '%s': ", in->name);
        s->filtered = av_frame_alloc();
        if (s->filtered == NULL)
            return da__fail(AVERROR(ENOMEM), err, err_size, "decode '%s'", in->name);
        da__filter_output(s->filter, &s->out_rate, &j->out_channels);
        av_channel_layout_uninit(&s->out_layout);
        av_channel_layout_default(&s->out_layout, j->out_channels);
        s->convert_only = 1;
    }
    s->limit = opt->num_frames;
    s->time_base = in->stream->time_base;
    s->origin = in->stream->start_time != AV_NOPTS_VALUE
                    ? av_rescale_q(in->stream->start_time, s->time_base, (AVRational){1, in_rate})
                    : 0;
    s->in_end = da__stream_end(in);
    j->frame = av_frame_alloc();
    if (j->frame == NULL)
        return da__fail(AVERROR(ENOMEM), err, err_size, "decode '%s'", in->name);
    j->frame_offset = opt->frame_offset;
    j->mode = opt->frame_offset > 0 && s->filter == NULL ? enter_policy(in, opt->exact, &j->preroll)
                                                         : ENTER_FROM_START;
    return 0;
}

/* Decodes until the sink holds `want` frames or its window is full, or the input ends (then
 * the resampler or filter graph is flushed and j->ended set). The first call enters the
 * window; a seek or skip that cannot place it falls back to decoding from the start. */
static int pump(job *j, int64_t want)
{
    sink *s = &j->s;
    da_input *in = j->in;
    int ret = 0;
    if (!j->entered) {
        j->entered = 1;
        int64_t target = plan_window(s, j->mode, j->preroll, j->frame_offset);
        ret = enter(in, j->mode, target, j->preroll, s->origin);
    }
    int done = 0;
    for (;;) {
        int late = ret == LANDED_LATE;
        if (ret >= 0 && !late) {
            while (s->used < want) {
                if (room_left(s) <= 0 || (s->in_end >= 0 && s->next_idx >= s->in_end)) {
                    done = 1;
                    break;
                }
                ret = da__next_frame(in, j->frame);
                if (ret == AVERROR_EOF) {
                    ret = 0;
                    done = 1;
                    break;
                }
                if (ret < 0)
                    return ret;
                ret = sink_frame(s, j->frame);
                av_frame_unref(j->frame);
                if (ret != 0)
                    break;
            }
            /* the input ended before a timestamp could place the window */
            late = ret == LANDED_LATE || (done && ret == 0 && s->use_pts && !s->anchored);
        }
        if (j->mode == ENTER_FROM_START || !(late || (ret < 0 && j->mode == ENTER_SEEK)))
            break;
        j->mode = ENTER_FROM_START;
        plan_window(s, j->mode, 0, j->frame_offset);
        done = 0;
        ret = rewind_input(in);
    }
    if (ret < 0 || !done)
        return ret;
    j->ended = 1;
    if (s->filter != NULL && room_left(s) > 0)
        return filter_frame(s, NULL, 0, 0);
    if (s->swr != NULL && room_left(s) > 0)
        return write_swr(s, NULL, 0);
    return 0;
}

/* A new output buffer for the job, sized for `frames` (capped: headers can claim anything). */
static int job_alloc(job *j, int64_t frames, da_audio **out)
{
    int64_t max_frames = MAX_INITIAL_BYTES / da__dtype_size(j->dtype) / j->out_channels;
    return da__audio_alloc(j->dtype, j->out_channels, j->s.out_rate, j->s.planar,
                           frames < max_frames ? frames : max_frames, out);
}

static int job_fail(job *j, int ret, int64_t capacity, char *err, size_t err_size)
{
    if (ret == DA_ERR_TOO_SMALL)
        return da__failmsg(ret, err, err_size,
                           "decode '%s': the output buffer holds %lld frames; more are needed",
                           j->in->name, (long long)capacity);
    const da_input *in = j->in;
    if (in->fail_on_error && in->decode_errors > 0 && in->sent_pts != AV_NOPTS_VALUE)
        return da__fail(ret, err, err_size, "decode '%s': the packet at %.3f s", in->name,
                        (double)in->sent_pts * av_q2d(in->stream->time_base));
    return da__fail(ret, err, err_size, "decode '%s'", in->name);
}

int da_decode(const da_source *src, const da_decode_options *opt, da_audio **out, char *err,
              size_t err_size)
{
    if (out == NULL)
        return da__failmsg(DA_ERR_ARGUMENT, err, err_size, "decode: no output pointer");
    *out = NULL;
    /* plain PCM WAV files are read without libavformat when that gives the same bytes */
    int ret = da__pcm_decode(src, opt, out, err, err_size);
    if (ret != DA_PCM_UNHANDLED)
        return ret;
    job j;
    sink *s = &j.s;
    ret = job_open(&j, src, opt, err, err_size);
    if (ret < 0)
        goto end;
    da_input *in = j.in;
    if (opt->out_data != NULL) {
        if (opt->out_channels != j.out_channels) {
            ret = da__failmsg(DA_ERR_ARGUMENT, err, err_size,
                              "decode '%s': the output has %d channels, the buffer %d", in->name,
                              j.out_channels, opt->out_channels);
            goto end;
        }
        ret = da__audio_wrap(j.dtype, j.out_channels, s->out_rate, s->planar, opt->out_data,
                             opt->out_capacity, &s->audio);
    } else {
        int exact = 0;
        int64_t cap = estimate_frames(in, s->out_rate, &exact);
        if (cap >= 0) {
            cap -= opt->frame_offset;
            if (!exact)
                cap += cap / 50 + 4096;
        }
        if (cap < 0)
            cap = s->out_rate;
        if (s->limit >= 0 && cap > s->limit)
            cap = s->limit;
        ret = job_alloc(&j, cap, &s->audio);
    }
    if (ret < 0) {
        da__fail(ret, err, err_size, "decode '%s'", in->name);
        goto end;
    }
    ret = pump(&j, INT64_MAX);
    if (ret < 0) {
        job_fail(&j, ret, opt->out_capacity, err, err_size);
        goto end;
    }
    if (s->used == 0 && in->decode_errors > 0 && opt->frame_offset == 0) {
        ret = da__fail(in->first_error, err, err_size, "decode '%s'", in->name);
        goto end;
    }
    if (s->used == 0 && s->next_idx == 0 && da__index_unreachable(in)) {
        ret = da__unreachable_error(in, err, err_size);
        goto end;
    }
    ret = da__audio_finish(s->audio, s->used);
    if (ret < 0) {
        da__fail(ret, err, err_size, "decode '%s'", in->name);
        goto end;
    }
    s->audio->decode_errors = in->decode_errors;
    *out = s->audio;
    s->audio = NULL;

end:
    da_audio_free(&s->audio);
    job_close(&j);
    return ret;
}

/* ---- the chunked reader ---- */

struct da_reader {
    job j;
    da_audio *carry;          /* frames decoded past the last chunk, starting the next */
    int64_t carried;
    int64_t limit;            /* frames to deliver in all; -1: to the end */
    int64_t delivered;
};

int da_reader_open(const da_source *src, const da_decode_options *opt, da_reader **out,
                   char *err, size_t err_size)
{
    if (out == NULL)
        return da__failmsg(DA_ERR_ARGUMENT, err, err_size, "open reader: no output pointer");
    *out = NULL;
    if (opt != NULL && opt->out_data != NULL)
        return da__failmsg(DA_ERR_ARGUMENT, err, err_size,
                           "open reader: a reader allocates its chunks");
    da_reader *r = av_mallocz(sizeof *r);
    if (r == NULL)
        return da__fail(AVERROR(ENOMEM), err, err_size, "open reader");
    int ret = job_open(&r->j, src, opt, err, err_size);
    if (ret < 0) {
        da_reader_free(&r);
        return ret;
    }
    r->limit = opt->num_frames;
    *out = r;
    return 0;
}

/* Moves frames [from, from + count) of `a` to the start of `b` (both of one shape). */
static void move_frames(const da_audio *a, int64_t from, int64_t count, da_audio *b)
{
    size_t isz = (size_t)a->itemsize;
    if (a->channels_first) {
        size_t row_a = (size_t)da__audio_capacity(a) * isz;
        size_t row_b = (size_t)da__audio_capacity(b) * isz;
        for (int c = 0; c < a->num_channels; c++)
            memcpy((uint8_t *)b->data + (size_t)c * row_b,
                   (const uint8_t *)a->data + (size_t)c * row_a + (size_t)from * isz,
                   (size_t)count * isz);
    } else {
        size_t frame = isz * (size_t)a->num_channels;
        memcpy(b->data, (const uint8_t *)a->data + (size_t)from * frame, (size_t)count * frame);
    }
}

int da_reader_read(da_reader *r, int64_t num_frames, da_audio **out, char *err,
                   size_t err_size)
{
    if (out == NULL || r == NULL || num_frames <= 0)
        return da__failmsg(DA_ERR_ARGUMENT, err, err_size, "read: invalid arguments");
    *out = NULL;
    job *j = &r->j;
    sink *s = &j->s;
    da__log_reset();
    int ret = 0;
    da_audio *chunk = r->carry;
    r->carry = NULL;
    if (chunk == NULL)
        ret = job_alloc(j, num_frames, &chunk);
    if (ret >= 0)
        ret = da__audio_reserve(chunk, num_frames, r->carried);
    if (ret < 0) {
        da__fail(ret, err, err_size, "read '%s'", j->in->name);
        goto end;
    }
    s->audio = chunk;
    s->used = r->carried;
    /* the window's limit counts from the first chunk; the sink counts from this one */
    s->limit = r->limit < 0 ? -1 : r->limit - r->delivered;
    if (!j->ended && s->used < num_frames) {
        ret = pump(j, num_frames);
        if (ret < 0) {
            job_fail(j, ret, 0, err, err_size);
            goto end;
        }
    }
    int64_t n = s->used < num_frames ? s->used : num_frames;
    r->carried = s->used - n;
    if (r->carried > 0) {
        ret = job_alloc(j, r->carried > num_frames ? r->carried : num_frames, &r->carry);
        if (ret < 0) {
            da__fail(ret, err, err_size, "read '%s'", j->in->name);
            goto end;
        }
        move_frames(chunk, n, r->carried, r->carry);
    }
    ret = da__audio_finish(chunk, n);
    if (ret < 0) {
        da__fail(ret, err, err_size, "read '%s'", j->in->name);
        goto end;
    }
    r->delivered += n;
    chunk->decode_errors = j->in->decode_errors;
    *out = chunk;
    chunk = NULL;

end:
    s->audio = NULL;
    da_audio_free(&chunk);
    return ret;
}

void da_reader_free(da_reader **rp)
{
    if (rp == NULL || *rp == NULL)
        return;
    da_audio_free(&(*rp)->carry);
    job_close(&(*rp)->j);
    av_freep(rp);
}
