/* sink.c - where decoded frames go: placed by index, cut to the window, converted (plain
 * loops), resampled (libswresample) or filtered (libavfilter) into one output buffer. */
#include <string.h>

#include <libavutil/opt.h>

#include "internal.h"

/* libswresample's filter bank grows with the ratio of the rates: resampling from a header's
 * 268 MHz took 11 s and 1.1 GB. Rates above this are not resampled. */
#define MAX_RESAMPLE_RATE 768000

void da__sink_uninit(da_sink *s)
{
    swr_free(&s->swr);
    da__filter_close(&s->filter);
    av_frame_free(&s->filtered);
    av_channel_layout_uninit(&s->out_layout);
    av_channel_layout_uninit(&s->swr_layout);
}

int64_t da__sink_room(const da_sink *s)
{
    return s->limit < 0 ? INT64_MAX : s->limit - s->used;
}

/* Plane pointers (or the one interleaved pointer) at the first free frame. */
static void write_pointers(const da_sink *s, uint8_t **planes)
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
static void flip_to_int8(const da_sink *s, int64_t count)
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

static int reserve(da_sink *s, int64_t extra)
{
    int64_t want = da__sink_room(s);
    if (extra > want)
        extra = want;
    return da__audio_reserve(s->audio, s->used + extra, s->used);
}

static int setup_swr(da_sink *s, const AVFrame *frame)
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

/* Slack after each plane of a scratch buffer for what libswresample writes past its count. */
#define SCRATCH_SLACK 64

/* swr_convert into a scratch buffer of `space` frames per plane (channels-first output), the
 * frames it gives copied to `planes`; returns them, or a negative code. */
static int convert_aside(da_sink *s, uint8_t **planes, int space, const uint8_t **in, int count)
{
    int channels = s->audio->num_channels;
    size_t isz = (size_t)s->audio->itemsize;
    size_t plane = ((size_t)space + SCRATCH_SLACK) * isz;
    uint8_t *scratch = av_malloc(plane * (size_t)channels);
    uint8_t *aside[64];
    if (scratch == NULL)
        return AVERROR(ENOMEM);
    for (int c = 0; c < channels; c++)
        aside[c] = scratch + (size_t)c * plane;
    int got = swr_convert(s->swr, aside, space, in, count);
    for (int c = 0; got > 0 && c < channels; c++)
        memcpy(planes[c], aside[c], (size_t)got * isz);
    av_free(scratch);
    return got;
}

/* The caller's buffer is full: DA_ERR_TOO_SMALL when the resampler gives more output for
 * `count` input frames (NULL: the flush), else 0. */
static int overflows(da_sink *s, const uint8_t **in, int count)
{
    int64_t want = swr_get_out_samples(s->swr, count);
    if (want <= 0)
        return (int)want;
    uint8_t *planes[64];
    int channels = s->audio->num_channels;
    size_t plane = ((size_t)want + SCRATCH_SLACK) * (size_t)s->audio->itemsize *
                   (size_t)(s->planar ? 1 : channels);
    uint8_t *scratch = av_malloc(plane * (size_t)(s->planar ? channels : 1));
    if (scratch == NULL)
        return AVERROR(ENOMEM);
    for (int c = 0; c < (s->planar ? channels : 1); c++)
        planes[c] = scratch + (size_t)c * plane;
    int got = swr_convert(s->swr, planes, (int)want, in, count);
    av_free(scratch);
    return got < 0 ? got : got > 0 ? DA_ERR_TOO_SMALL : 0;
}

/* Runs the resampler on `count` input frames (NULL: flush) into the output. */
static int write_swr(da_sink *s, const uint8_t **in, int count)
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
        int64_t space = da__audio_capacity(s->audio) - s->used;
        /* the caller's buffer: `want` is a bound, not a count; what does not fit waits in
         * the resampler, and only output that truly comes past the end is too much */
        if (ret == DA_ERR_TOO_SMALL && space > 0)
            ret = 0;
        else if (ret == DA_ERR_TOO_SMALL)
            return overflows(s, in, count);
        if (ret < 0)
            return ret;
        if (space > da__sink_room(s))
            space = da__sink_room(s);
        if (space > INT32_MAX)
            space = INT32_MAX;
        /* libswresample sizes its own buffers by the room offered: offer what can come out */
        if (space > (want > 0 ? want : 1))
            space = want > 0 ? want : 1;
        write_pointers(s, planes);
        /* libswresample may write a sample past what it returns into planar int16 output:
         * where that would be past the room (the caller's rows, or the next window's part
         * in a split decode), the output is made aside and copied in */
        int64_t end = da__audio_capacity(s->audio) - s->used;
        if (end > da__sink_room(s))
            end = da__sink_room(s);
        int got = s->planar && space >= end ? convert_aside(s, planes, (int)space, in, count)
                                            : swr_convert(s->swr, planes, (int)space, in, count);
        if (got < 0)
            return got;
        flip_to_int8(s, got);
        s->used += got;
        /* input is taken whole; only a flush needs calling until nothing comes out */
        if (in != NULL || got == 0 || da__sink_room(s) == 0)
            return 0;
    }
}

/* Converts frames [first, first + count) of `frame` with the plain loops. */
static int write_plain(da_sink *s, const AVFrame *frame, int first, int count)
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
    } else if (in_planar && !s->planar) {
        const uint8_t *src[64];
        for (int c = 0; c < channels; c++)
            src[c] = frame->extended_data[c] + (size_t)first * (size_t)isz;
        ret = da__convert_planes(fmt, src, channels, s->dtype, planes[0], count);
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

/* Writes a frame the filter graph handed out, less the frames before the window; stops the
 * drain once the window is full. */
static int take_filtered(void *ctx, AVFrame *frame)
{
    da_sink *s = ctx;
    int first = 0, n = frame->nb_samples;
    if (s->out_skip > 0) {
        first = s->out_skip < n ? (int)s->out_skip : n;
        s->out_skip -= first;
    }
    int64_t count = n - first < da__sink_room(s) ? n - first : da__sink_room(s);
    int ret = count > 0 ? write_plain(s, frame, first, (int)count) : 0;
    return ret < 0 ? ret : da__sink_room(s) <= 0;
}

/* Feeds frames [first, last) of `frame` (NULL: the end) through the filter graph. */
static int filter_frame(da_sink *s, const AVFrame *frame, int64_t first, int64_t last)
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
    if (ret < 0 || da__sink_room(s) <= 0)
        return ret;
    return da__filter_drain(s->filter, s->filtered, take_filtered, s);
}

int da__sink_frame(da_sink *s, const AVFrame *frame)
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
            return DA_LANDED_LATE;
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
        if (count > da__sink_room(s))
            count = da__sink_room(s);
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

/* The output's channel layout: the input's own unless a count is asked for. */
static void output_layout(da_sink *s, const AVCodecContext *dec, int num_channels)
{
    s->num_channels = num_channels > 0 ? num_channels : dec->ch_layout.nb_channels;
    av_channel_layout_default(&s->out_layout, s->num_channels);
    if (num_channels == 0 && dec->ch_layout.order != AV_CHANNEL_ORDER_UNSPEC)
        av_channel_layout_copy(&s->out_layout, &dec->ch_layout);
}

/* Puts the caller's filter graph between the decoder and the output: the graph converts to
 * the output type, and to the rate and layout asked for. */
static int open_filter(da_sink *s, const da_input *in, const da_decode_options *opt, char *err,
                       size_t err_size)
{
    const AVCodecContext *dec = in->dec;
    int ret = da__filter_open(&s->filter, opt->filter_desc, s->in_rate, dec->sample_fmt,
                              &dec->ch_layout, opt->sample_rate,
                              da__dtype_sample_fmt(s->dtype, 0),
                              opt->num_channels > 0 ? &s->out_layout : NULL, 0, err, err_size);
    if (ret < 0)
        return da__prefix(ret, err, err_size, "decode '%s': ", in->name);
    s->filtered = av_frame_alloc();
    if (s->filtered == NULL)
        return da__fail(AVERROR(ENOMEM), err, err_size, "decode '%s'", in->name);
    da__filter_output(s->filter, &s->out_rate, &s->num_channels);
    av_channel_layout_uninit(&s->out_layout);
    av_channel_layout_default(&s->out_layout, s->num_channels);
    s->convert_only = 1;
    return 0;
}

int da__sink_init(da_sink *s, const da_input *in, const da_decode_options *opt, char *err,
                  size_t err_size)
{
    const AVCodecContext *dec = in->dec;
    int in_channels = dec->ch_layout.nb_channels;
    int in_rate = dec->sample_rate;
    if (in_channels <= 0 || in_rate <= 0)
        return da__failmsg(AVERROR_INVALIDDATA, err, err_size,
                           "decode '%s': the stream has no sample rate or channel count", in->name);
    s->dtype = opt->dtype == DA_DTYPE_AUTO ? da__input_native_dtype(in) : opt->dtype;
    s->planar = opt->channels_first != 0;
    s->in_rate = in_rate;
    s->out_rate = opt->sample_rate > 0 ? opt->sample_rate : in_rate;
    if (s->out_rate != in_rate && (in_rate > MAX_RESAMPLE_RATE || s->out_rate > MAX_RESAMPLE_RATE))
        return da__failmsg(AVERROR(EINVAL), err, err_size,
                           "decode '%s': cannot resample %d Hz to %d Hz (rates above %d Hz are "
                           "not resampled)", in->name, in_rate, s->out_rate, MAX_RESAMPLE_RATE);
    output_layout(s, dec, opt->num_channels);
    s->out_fmt = da__dtype_sample_fmt(s->dtype, s->planar);
    s->convert_only = s->out_rate == in_rate && s->num_channels == in_channels;
    s->swr_options = opt->resampler_options;
    if (opt->filter_desc != NULL) {
        int ret = open_filter(s, in, opt, err, err_size);
        if (ret < 0)
            return ret;
    }
    s->limit = opt->num_frames;
    s->time_base = in->stream->time_base;
    s->origin = in->stream->start_time != AV_NOPTS_VALUE
                    ? av_rescale_q(in->stream->start_time, s->time_base, (AVRational){1, in_rate})
                    : 0;
    s->in_end = da__stream_end(in);
    return 0;
}

int da__sink_flush(da_sink *s)
{
    if (s->filter != NULL && da__sink_room(s) > 0)
        return filter_frame(s, NULL, 0, 0);
    if (s->swr != NULL && da__sink_room(s) > 0)
        return write_swr(s, NULL, 0);
    return 0;
}
