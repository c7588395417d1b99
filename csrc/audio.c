/* audio.c - the writer's audio streams: samples of any dtype and 2-D layout, converted to the
 * encoder's format and rate (libswresample and a FIFO of whole encoder frames, or the caller's
 * libavfilter graph), then encoded and muxed by the writer core (writer.c). */
#include <math.h>
#include <string.h>

#include <libavutil/audio_fifo.h>

#include "internal.h"

/* Frames staged at a time when samples must be gathered from a strided layout. */
#define STAGE_FRAMES 4096

typedef struct astream {
    AVCodecContext *enc;      /* borrowed: the writer's stream owns it */
    SwrContext *swr;
    AVAudioFifo *fifo;
    AVFrame *frame;
    int dtype;                /* of the samples written */
    int channels;             /* of the samples written */
    int in_rate;              /* of the samples written */
    int frame_size;           /* frames per encoder frame */
    int64_t next_pts;         /* in the encoder's time base */
    uint8_t *stage;           /* the samples written, interleaved (int8 as uint8) */
    uint8_t **converted;      /* the resampler's output, in the encoder's format */
    int converted_frames;     /* room in `converted` */
    da_filter *filter;        /* the caller's filter graph, replacing the resampler and FIFO */
    AVFrame *filtered;        /* what the graph hands out */
    int64_t in_pts;           /* frames fed to the graph */
} astream;

static void astream_free(void *state)
{
    astream *s = state;
    swr_free(&s->swr);
    if (s->fifo != NULL)
        av_audio_fifo_free(s->fifo);
    av_frame_free(&s->frame);
    da__filter_close(&s->filter);
    av_frame_free(&s->filtered);
    av_freep(&s->stage);
    if (s->converted != NULL)
        av_freep(&s->converted[0]);
    av_freep(&s->converted);
    av_free(s);
}

static int astream_drain(da_writer *w, int i, void *state);

static const da_stream_ops audio_ops = {"an audio", astream_drain, astream_free};

int da_audio_stream_options_init(da_audio_stream_options *opt)
{
    if (opt == NULL)
        return DA_ERR_ARGUMENT;
    memset(opt, 0, sizeof *opt);
    opt->dtype = DA_DTYPE_FLOAT32;
    opt->compression_level = -1;
    opt->quality = -HUGE_VAL;
    return 0;
}

/* The encoder's sample format nearest to the samples' type: the same type packed or planar,
 * else the widest the encoder takes. */
static enum AVSampleFormat pick_sample_fmt(const AVCodec *codec, int dtype)
{
    const enum AVSampleFormat *fmts = da__encoder_sample_fmts(codec);
    enum AVSampleFormat want = da__dtype_sample_fmt(dtype, 0);
    if (fmts == NULL)
        return want;
    enum AVSampleFormat best = fmts[0];
    for (int i = 0; fmts[i] != AV_SAMPLE_FMT_NONE; i++) {
        if (av_get_packed_sample_fmt(fmts[i]) == want)
            return fmts[i];
        if (av_get_bytes_per_sample(fmts[i]) > av_get_bytes_per_sample(best))
            best = fmts[i];
    }
    return best;
}

/* The supported rate nearest to `rate`, preferring higher ones. */
static int pick_rate(const AVCodec *codec, int rate)
{
    const int *rates = da__encoder_sample_rates(codec);
    if (rates == NULL)
        return rate;
    int best = 0;
    for (int i = 0; rates[i] != 0; i++) {
        if (rates[i] == rate)
            return rate;
        int better = best == 0 || (rates[i] >= rate && (best < rate || rates[i] < best)) ||
                     (rates[i] < rate && best < rate && rates[i] > best);
        if (better)
            best = rates[i];
    }
    return best;
}

static int layout_supported(const AVCodec *codec, int channels)
{
    const AVChannelLayout *layouts = da__encoder_ch_layouts(codec);
    if (layouts == NULL)
        return 1;
    for (int i = 0; layouts[i].nb_channels != 0; i++)
        if (layouts[i].nb_channels == channels)
            return 1;
    return 0;
}

static int format_supported(const AVCodec *codec, enum AVSampleFormat fmt)
{
    const enum AVSampleFormat *fmts = da__encoder_sample_fmts(codec);
    int ok = fmt != AV_SAMPLE_FMT_NONE && fmts == NULL;
    for (int i = 0; fmts != NULL && fmts[i] != AV_SAMPLE_FMT_NONE; i++)
        ok |= fmts[i] == fmt;
    return ok;
}

/* The encoder, and the channels, sample format and rate it is to encode: those asked for
 * (failing when it does not take them), else the nearest it takes. */
static int choose_encoder(da_writer *w, const da_audio_stream_options *opt,
                          const AVCodec **codec, AVCodecContext **enc, char *err,
                          size_t err_size)
{
    const char *name = da__writer_name(w);
    enum AVCodecID id = da__writer_context(w)->oformat->audio_codec;
    *codec = opt->encoder != NULL ? avcodec_find_encoder_by_name(opt->encoder)
                                  : avcodec_find_encoder(id);
    const AVCodec *c = *codec;
    if (c == NULL || c->type != AVMEDIA_TYPE_AUDIO)
        return da__failmsg(AVERROR_ENCODER_NOT_FOUND, err, err_size,
                           "add stream to '%s': no audio encoder '%s'", name,
                           opt->encoder ? opt->encoder : avcodec_get_name(id));
    int enc_channels = opt->encoder_num_channels > 0 ? opt->encoder_num_channels
                                                     : opt->num_channels;
    if (!layout_supported(c, enc_channels))
        return da__failmsg(DA_ERR_ARGUMENT, err, err_size,
                           "add stream to '%s': encoder %s cannot encode %d channels", name,
                           c->name, enc_channels);
    enum AVSampleFormat fmt = pick_sample_fmt(c, opt->dtype);
    if (opt->encoder_format != NULL && !format_supported(c, fmt = av_get_sample_fmt(
                                                                 opt->encoder_format)))
        return da__failmsg(DA_ERR_ARGUMENT, err, err_size,
                           "add stream to '%s': encoder %s does not take sample format '%s'",
                           name, c->name, opt->encoder_format);
    int rate = pick_rate(c, opt->encoder_sample_rate > 0 ? opt->encoder_sample_rate
                                                         : opt->sample_rate);
    if (opt->encoder_sample_rate > 0 && rate != opt->encoder_sample_rate)
        return da__failmsg(DA_ERR_ARGUMENT, err, err_size,
                           "add stream to '%s': encoder %s does not take %d Hz", name, c->name,
                           opt->encoder_sample_rate);
    *enc = avcodec_alloc_context3(c);
    if (*enc == NULL)
        return da__fail(AVERROR(ENOMEM), err, err_size, "add stream to '%s'", name);
    (*enc)->sample_fmt = fmt;
    (*enc)->sample_rate = rate;
    (*enc)->time_base = (AVRational){1, rate};
    av_channel_layout_default(&(*enc)->ch_layout, enc_channels);
    if (opt->bits_per_raw_sample > 0)
        (*enc)->bits_per_raw_sample = opt->bits_per_raw_sample;
    return 0;
}

/* From the samples written to the encoder's input: the caller's filter graph, or the
 * resampler and a FIFO of whole encoder frames. */
static int open_conversion(astream *s, const AVCodec *codec, const char *filter_desc,
                           const char *name, char *err, size_t err_size)
{
    AVCodecContext *enc = s->enc;
    AVChannelLayout in_layout = {0};
    av_channel_layout_default(&in_layout, s->channels);
    enum AVSampleFormat in_fmt = da__dtype_sample_fmt(s->dtype, 0);
    int ret;
    if (filter_desc != NULL) {
        int fixed = !(codec->capabilities & AV_CODEC_CAP_VARIABLE_FRAME_SIZE) && enc->frame_size > 0;
        ret = da__filter_open(&s->filter, filter_desc, s->in_rate, in_fmt, &in_layout,
                              enc->sample_rate, enc->sample_fmt, &enc->ch_layout,
                              fixed ? enc->frame_size : 0, err, err_size);
        if (ret < 0)
            return da__prefix(ret, err, err_size, "add stream to '%s': ", name);
        s->filtered = av_frame_alloc();
        ret = s->filtered == NULL ? AVERROR(ENOMEM) : 0;
        return ret < 0 ? da__fail(ret, err, err_size, "add stream to '%s'", name) : 0;
    }
    ret = swr_alloc_set_opts2(&s->swr, &enc->ch_layout, enc->sample_fmt, enc->sample_rate,
                              &in_layout, in_fmt, s->in_rate, 0, NULL);
    if (ret >= 0)
        ret = swr_init(s->swr);
    /* converted samples wait in a FIFO for whole encoder frames */
    if (ret >= 0 && (s->fifo = av_audio_fifo_alloc(enc->sample_fmt, enc->ch_layout.nb_channels,
                                                   s->frame_size * 2)) == NULL)
        ret = AVERROR(ENOMEM);
    return ret < 0 ? da__fail(ret, err, err_size, "add stream to '%s'", name) : 0;
}

/* The encoder's input frame and the staging buffer of gathered samples. */
static int alloc_buffers(astream *s)
{
    const AVCodecContext *enc = s->enc;
    s->frame = av_frame_alloc();
    s->stage = av_malloc((size_t)STAGE_FRAMES * (size_t)s->channels *
                         (size_t)da__dtype_size(s->dtype));
    if (s->frame == NULL || s->stage == NULL)
        return AVERROR(ENOMEM);
    s->frame->nb_samples = s->frame_size;
    s->frame->format = enc->sample_fmt;
    s->frame->sample_rate = enc->sample_rate;
    int ret = av_channel_layout_copy(&s->frame->ch_layout, &enc->ch_layout);
    return ret < 0 ? ret : av_frame_get_buffer(s->frame, 0);
}

int da_writer_add_audio(da_writer *w, const da_audio_stream_options *opt, int *stream_index,
                        char *err, size_t err_size)
{
    if (w == NULL || opt == NULL || stream_index == NULL)
        return da__failmsg(DA_ERR_ARGUMENT, err, err_size, "add stream: invalid arguments");
    *stream_index = -1;
    const char *name = da__writer_name(w);
    int ret = da__writer_can_add(w, err, err_size);
    if (ret < 0)
        return ret;
    if (opt->sample_rate <= 0 || opt->num_channels <= 0 || opt->num_channels > 64 ||
        da__dtype_size(opt->dtype) == 0 || opt->encoder_sample_rate < 0 ||
        opt->encoder_num_channels < 0 || opt->encoder_num_channels > 64)
        return da__failmsg(DA_ERR_ARGUMENT, err, err_size,
                           "add stream to '%s': invalid rate, channels or sample type", name);
    da__log_reset();
    const AVCodec *codec = NULL;
    AVCodecContext *enc = NULL;
    astream *s = av_mallocz(sizeof *s);
    if (s == NULL)
        return da__fail(AVERROR(ENOMEM), err, err_size, "add stream to '%s'", name);
    s->dtype = opt->dtype;
    s->channels = opt->num_channels;
    s->in_rate = opt->sample_rate;
    ret = choose_encoder(w, opt, &codec, &enc, err, err_size);
    if (ret < 0)
        goto end;
    const da_encoder_settings set = {opt->bit_rate, opt->compression_level, opt->quality,
                                     opt->encoder_options};
    ret = da__writer_open_encoder(w, enc, codec, &set, "add stream to", err, err_size);
    if (ret < 0)
        goto end;
    s->enc = enc;
    /* frame_size is known only once the encoder is open */
    s->frame_size = (codec->capabilities & AV_CODEC_CAP_VARIABLE_FRAME_SIZE) || enc->frame_size <= 0
                        ? STAGE_FRAMES
                        : enc->frame_size;
    ret = open_conversion(s, codec, opt->filter_desc, name, err, err_size);
    if (ret < 0)
        goto end;
    ret = alloc_buffers(s);
    if (ret < 0) {
        da__fail(ret, err, err_size, "add stream to '%s'", name);
        goto end;
    }
    /* the muxer's stream comes last, so that a failure leaves no stream in the file */
    ret = da__writer_add_stream(w, &enc, &audio_ops, (void **)&s, stream_index, err, err_size);

end:
    avcodec_free_context(&enc);
    if (s != NULL)
        astream_free(s);
    return ret;
}

/* Encodes whole encoder frames from the FIFO; with `last`, the short rest too. */
static int drain_fifo(da_writer *w, int i, astream *s, int last)
{
    for (;;) {
        int n = av_audio_fifo_size(s->fifo);
        if (n == 0 || (n < s->frame_size && !last))
            return 0;
        if (n > s->frame_size)
            n = s->frame_size;
        int ret = av_frame_make_writable(s->frame);
        if (ret < 0)
            return ret;
        s->frame->nb_samples = n;
        if (av_audio_fifo_read(s->fifo, (void **)s->frame->data, n) != n)
            return AVERROR_BUG;
        s->frame->pts = s->next_pts;
        s->next_pts += n;
        ret = da__writer_encode(w, i, s->frame);
        if (ret < 0)
            return ret;
    }
}

/* Converts `count` interleaved frames (NULL: the resampler's remainder) into the FIFO. */
static int convert_into_fifo(astream *s, const uint8_t *in, int count)
{
    int room = swr_get_out_samples(s->swr, count);
    if (room < 0)
        return room;
    if (room > s->converted_frames) {
        if (s->converted != NULL)
            av_freep(&s->converted[0]);
        av_freep(&s->converted);
        int ret = av_samples_alloc_array_and_samples(&s->converted, NULL,
                                                     s->enc->ch_layout.nb_channels, room,
                                                     s->enc->sample_fmt, 0);
        if (ret < 0)
            return ret;
        s->converted_frames = room;
    }
    const uint8_t *planes[1] = {in};
    int got = swr_convert(s->swr, s->converted, room, in != NULL ? planes : NULL, count);
    if (got < 0)
        return got;
    if (got > 0 && av_audio_fifo_write(s->fifo, (void **)s->converted, got) != got)
        return AVERROR(ENOMEM);
    return got;
}

/* Where the frames of an audio stream's filter graph go. */
typedef struct graph_out {
    da_writer *w;
    int index;
    astream *s;
} graph_out;

/* Encodes a frame the filter graph handed out. */
static int take_filtered(void *ctx, AVFrame *frame)
{
    graph_out *o = ctx;
    frame->pts = o->s->next_pts;
    o->s->next_pts += frame->nb_samples;
    return da__writer_encode(o->w, o->index, frame);
}

/* Feeds `count` interleaved frames (NULL: the end) through the filter graph to the encoder. */
static int filter_chunk(da_writer *w, int i, astream *s, const uint8_t *in, int count)
{
    AVFrame *frame = NULL;
    int ret = 0;
    if (in != NULL) {
        frame = av_frame_alloc();
        if (frame == NULL)
            return AVERROR(ENOMEM);
        frame->nb_samples = count;
        frame->format = da__dtype_sample_fmt(s->dtype, 0);
        frame->sample_rate = s->in_rate;
        frame->pts = s->in_pts;
        av_channel_layout_default(&frame->ch_layout, s->channels);
        ret = av_frame_get_buffer(frame, 0);
        if (ret >= 0)
            memcpy(frame->data[0], in,
                   (size_t)count * (size_t)s->channels * (size_t)da__dtype_size(s->dtype));
        s->in_pts += count;
    }
    if (ret >= 0)
        ret = da__filter_push(s->filter, frame);
    av_frame_free(&frame);
    graph_out o = {w, i, s};
    return ret < 0 ? ret : da__filter_drain(s->filter, s->filtered, take_filtered, &o);
}

int da_writer_write_audio(da_writer *w, int stream_index, const void *data, int64_t num_frames,
                          int64_t frame_step, int64_t channel_step, char *err, size_t err_size)
{
    astream *s = da__writer_stream(w, stream_index, &audio_ops, "write audio to", err, err_size);
    if (s == NULL)
        return DA_ERR_ARGUMENT;
    if (num_frames < 0 || (data == NULL && num_frames > 0))
        return da__failmsg(DA_ERR_ARGUMENT, err, err_size, "write audio to '%s': invalid "
                           "arguments", da__writer_name(w));
    da__log_reset();
    int isz = da__dtype_size(s->dtype);
    int C = s->channels;
    const uint8_t *base = data;
    int interleaved = frame_step == C && channel_step == 1 && s->dtype != DA_DTYPE_INT8;
    int ret = 0;
    for (int64_t done = 0; done < num_frames && ret >= 0;) {
        int n = num_frames - done > STAGE_FRAMES ? STAGE_FRAMES : (int)(num_frames - done);
        const uint8_t *chunk = base + (size_t)(done * frame_step) * (size_t)isz;
        if (!interleaved) {
            /* gather any 2-D layout into interleaved frames, a chunk at a time */
            uint8_t *out = s->stage;
            for (int f = 0; f < n; f++)
                for (int c = 0; c < C; c++, out += isz)
                    memcpy(out, chunk + (size_t)(f * frame_step + c * channel_step) * (size_t)isz,
                           (size_t)isz);
            if (s->dtype == DA_DTYPE_INT8)
                for (size_t i = 0; i < (size_t)n * (size_t)C; i++)
                    s->stage[i] ^= 0x80;
            chunk = s->stage;
        }
        if (s->filter != NULL) {
            ret = filter_chunk(w, stream_index, s, chunk, n);
        } else {
            ret = convert_into_fifo(s, chunk, n);
            if (ret >= 0)
                ret = drain_fifo(w, stream_index, s, 0);
        }
        done += n;
    }
    return ret < 0 ? da__writer_fail(w, ret, err, err_size, "encode audio to") : 0;
}

/* Feeds the end of the input through the graph or the resampler and FIFO to the encoder. */
static int astream_drain(da_writer *w, int i, void *state)
{
    astream *s = state;
    if (s->filter != NULL)
        return filter_chunk(w, i, s, NULL, 0);
    int ret;
    while ((ret = convert_into_fifo(s, NULL, 0)) > 0)
        ;
    return ret < 0 ? ret : drain_fifo(w, i, s, 1);
}
