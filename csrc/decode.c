/* decode.c - the decode loop and the output it writes into. */
#include <string.h>

#include <libavutil/opt.h>

#include "internal.h"

/* Initial room is capped: headers can claim anything, and real data grows the buffer. */
#define MAX_INITIAL_BYTES ((int64_t)256 << 20)

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
            in->draining = 1;
            ret = avcodec_send_packet(in->dec, NULL);
            if (ret < 0 && ret != AVERROR_EOF)
                return ret;
            continue;
        }
        if (in->pkt->stream_index != in->stream_index) {
            av_packet_unref(in->pkt);
            continue;
        }
        ret = avcodec_send_packet(in->dec, in->pkt);
        av_packet_unref(in->pkt);
        if (ret < 0 && ret != AVERROR(EAGAIN)) {
            if (ret == AVERROR(ENOMEM))
                return ret;
            if (in->decode_errors++ == 0)
                in->first_error = ret;
        }
    }
}

/* Where decoded frames go: converted, resampled and windowed into one buffer. */
typedef struct sink {
    da_audio *audio;
    int64_t used;             /* frames written */
    int64_t skip;             /* output frames still to drop before the window */
    int64_t limit;            /* frames wanted at most; -1: all */
    int dtype;
    int planar;               /* channels-first output */
    int out_rate;
    AVChannelLayout out_layout;
    enum AVSampleFormat out_fmt;
    int convert_only;         /* same rate and channels: plain loops, no resampler */
    SwrContext *swr;
    /* the input the resampler was set up for */
    enum AVSampleFormat swr_fmt;
    int swr_rate;
    AVChannelLayout swr_layout;
} sink;

static void sink_uninit(sink *s)
{
    swr_free(&s->swr);
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
    int ret = av_channel_layout_copy(&in_layout, &frame->ch_layout);
    if (ret < 0)
        return ret;
    /* a layout without channel meaning is taken as the usual one for its count */
    if (in_layout.order == AV_CHANNEL_ORDER_UNSPEC)
        av_channel_layout_default(&in_layout, in_layout.nb_channels);
    swr_free(&s->swr);
    ret = swr_alloc_set_opts2(&s->swr, &s->out_layout, s->out_fmt, s->out_rate, &in_layout,
                              (enum AVSampleFormat)frame->format, frame->sample_rate, 0, NULL);
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
    while (s->skip > 0) {
        int drop = s->skip > INT32_MAX / 2 ? INT32_MAX / 2 : (int)s->skip;
        int ret = swr_drop_output(s->swr, drop);
        if (ret < 0)
            return ret;
        s->skip -= drop;
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

static int sink_frame(sink *s, const AVFrame *frame)
{
    int same_input = s->swr != NULL && frame->format == s->swr_fmt &&
                     frame->sample_rate == s->swr_rate &&
                     frame->ch_layout.nb_channels == s->swr_layout.nb_channels;
    int plain = s->convert_only && s->swr == NULL &&
                frame->ch_layout.nb_channels == s->out_layout.nb_channels &&
                frame->sample_rate == s->out_rate &&
                av_get_packed_sample_fmt((enum AVSampleFormat)frame->format) <= AV_SAMPLE_FMT_DBL;
    if (plain) {
        int first = 0, count = frame->nb_samples;
        if (s->skip > 0) {
            int64_t drop = s->skip < count ? s->skip : count;
            s->skip -= drop;
            first = (int)drop;
            count -= (int)drop;
        }
        if (count > room_left(s))
            count = (int)room_left(s);
        return count > 0 ? write_plain(s, frame, first, count) : 0;
    }
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
    return write_swr(s, (const uint8_t **)frame->extended_data, frame->nb_samples);
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
        (opt->out_data != NULL && opt->out_capacity < 0))
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
    return 0;
}

int da_decode(const da_source *src, const da_decode_options *opt, da_audio **out, char *err,
              size_t err_size)
{
    if (out == NULL)
        return da__failmsg(DA_ERR_ARGUMENT, err, err_size, "decode: no output pointer");
    *out = NULL;
    if (opt == NULL || check_options(opt) < 0)
        return da__failmsg(DA_ERR_ARGUMENT, err, err_size, "decode: invalid options");

    da_input *in = NULL;
    AVFrame *frame = NULL;
    sink s = {0};
    s.audio = NULL;
    int ret = da__input_open(src, &opt->open, &in, err, err_size);
    if (ret < 0)
        goto end;

    int in_channels = in->dec->ch_layout.nb_channels;
    int in_rate = in->dec->sample_rate;
    if (in_channels <= 0 || in_rate <= 0) {
        ret = da__failmsg(AVERROR_INVALIDDATA, err, err_size,
                          "decode '%s': the stream has no sample rate or channel count", in->name);
        goto end;
    }
    int dtype = opt->dtype == DA_DTYPE_AUTO ? native_dtype(in) : opt->dtype;
    s.dtype = dtype;
    s.planar = opt->channels_first != 0;
    s.out_rate = opt->sample_rate > 0 ? opt->sample_rate : in_rate;
    int out_channels = opt->num_channels > 0 ? opt->num_channels : in_channels;
    av_channel_layout_default(&s.out_layout, out_channels);
    if (opt->num_channels == 0 && in->dec->ch_layout.order != AV_CHANNEL_ORDER_UNSPEC)
        av_channel_layout_copy(&s.out_layout, &in->dec->ch_layout);
    s.out_fmt = da__dtype_sample_fmt(dtype, s.planar);
    s.convert_only = s.out_rate == in_rate && out_channels == in_channels;
    s.skip = opt->frame_offset;
    s.limit = opt->num_frames;

    if (opt->out_data != NULL) {
        ret = da__audio_wrap(dtype, out_channels, s.out_rate, s.planar, opt->out_data,
                             opt->out_capacity, &s.audio);
    } else {
        int exact = 0;
        int64_t cap = estimate_frames(in, s.out_rate, &exact);
        if (cap >= 0) {
            cap -= opt->frame_offset;
            if (!exact)
                cap += cap / 50 + 4096;
        }
        if (cap < 0)
            cap = s.out_rate;
        if (s.limit >= 0 && cap > s.limit)
            cap = s.limit;
        int64_t max_frames = MAX_INITIAL_BYTES / da__dtype_size(dtype) / out_channels;
        ret = da__audio_alloc(dtype, out_channels, s.out_rate, s.planar,
                              cap < max_frames ? cap : max_frames, &s.audio);
    }
    frame = av_frame_alloc();
    if (ret < 0 || frame == NULL) {
        ret = da__fail(ret < 0 ? ret : AVERROR(ENOMEM), err, err_size, "decode '%s'", in->name);
        goto end;
    }

    while (room_left(&s) > 0) {
        ret = da__next_frame(in, frame);
        if (ret == AVERROR_EOF)
            break;
        if (ret < 0)
            goto fail;
        ret = sink_frame(&s, frame);
        av_frame_unref(frame);
        if (ret < 0)
            goto fail;
    }
    if (s.swr != NULL && room_left(&s) > 0) {
        ret = write_swr(&s, NULL, 0);
        if (ret < 0)
            goto fail;
    }
    if (s.used == 0 && in->decode_errors > 0 && opt->frame_offset == 0) {
        ret = da__fail(in->first_error, err, err_size, "decode '%s'", in->name);
        goto end;
    }
    ret = da__audio_finish(s.audio, s.used);
    if (ret < 0)
        goto fail;
    s.audio->decode_errors = in->decode_errors;
    *out = s.audio;
    s.audio = NULL;
    goto end;

fail:
    if (ret == DA_ERR_TOO_SMALL)
        da__failmsg(ret, err, err_size,
                    "decode '%s': the output buffer holds %lld frames; more are needed",
                    in->name, (long long)opt->out_capacity);
    else
        da__fail(ret, err, err_size, "decode '%s'", in->name);
end:
    av_frame_free(&frame);
    sink_uninit(&s);
    da_audio_free(&s.audio);
    da__input_close(&in);
    return ret;
}
