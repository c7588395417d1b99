/* encode.c - encoding and muxing audio: one writer serves save() and StreamWriter. */
#include <math.h>
#include <string.h>

#include <libavutil/audio_fifo.h>
#include <libavutil/avstring.h>
#include <libavutil/opt.h>

#include "internal.h"

#define MAX_STREAMS 16
/* Frames staged at a time when samples must be gathered from a strided layout. */
#define STAGE_FRAMES 4096

/* Muxers whose files are complete without going back to patch a header. */
static const char streamable_muxers[] =
    "ogg,opus,oga,spx,flac,adts,au,matroska,webm,mpegts,nut,s16le,s16be,s24le,s24be,s32le,s32be,"
    "f32le,f32be,f64le,f64be,u8,s8,mulaw,alaw,mp2,ac3,eac3,amr,gsm,wv,tta,"
    /* video */
    "image2pipe,mjpeg,mpjpeg,h264,hevc,m4v,mpeg1video,mpeg2video,rawvideo,yuv4mpegpipe";

typedef struct wstream {
    AVCodecContext *enc;
    AVStream *st;
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
    da_vstream *video;        /* a video stream's state (video.c); NULL for audio */
} wstream;

struct da_writer {
    AVFormatContext *oc;
    AVIOContext *pb;          /* custom I/O, or NULL when FFmpeg opened the destination */
    const da_output *dst;
    AVPacket *pkt;
    wstream *streams[MAX_STREAMS];
    int nb_streams;
    int started;
    int flushed;
    int callback_failed;
    char name[256];
};

static int write_packet(void *opaque, DA_AVIO_WRITE_BUF buf, int size)
{
    da_writer *w = opaque;
    int64_t n = w->dst->write(w->dst->opaque, buf, size);
    if (n != size) {
        w->callback_failed = 1;
        return AVERROR(EIO);
    }
    return size;
}

static int64_t seek_packet(void *opaque, int64_t offset, int whence)
{
    da_writer *w = opaque;
    int64_t pos = w->dst->seek(w->dst->opaque, offset, whence & ~AVSEEK_FORCE);
    return pos < 0 ? AVERROR(EIO) : pos;
}

int da__writer_fail(da_writer *w, int code, char *err, size_t err_size, const char *what)
{
    if (w->callback_failed)
        code = DA_ERR_CALLBACK;
    return da__fail(code, err, err_size, "%s '%s'", what, w->name);
}

int da_writer_open(const da_output *dst, const char *format, da_writer **out, char *err,
                   size_t err_size)
{
    if (out == NULL || dst == NULL)
        return da__failmsg(DA_ERR_ARGUMENT, err, err_size, "open output: no destination");
    *out = NULL;
    da__log_init();
    da__log_reset();
    int ret = 0;
    char *url = NULL;
    da_writer *w = av_mallocz(sizeof *w);
    if (w == NULL)
        return da__fail(AVERROR(ENOMEM), err, err_size, "open output");
    w->dst = dst;
    const char *name = dst->name ? dst->name : dst->path ? dst->path : "<file-like>";
    av_strlcpy(w->name, name, sizeof w->name);
    const char *guess = dst->kind == DA_SOURCE_CALLBACKS ? NULL : dst->path;
    if ((dst->kind == DA_SOURCE_CALLBACKS && dst->write == NULL) ||
        (dst->kind != DA_SOURCE_CALLBACKS && dst->path == NULL)) {
        ret = da__failmsg(DA_ERR_ARGUMENT, err, err_size, "open output: invalid destination");
        goto end;
    }
    if (format != NULL && av_guess_format(format, NULL, NULL) == NULL) {
        ret = da__failmsg(AVERROR_MUXER_NOT_FOUND, err, err_size,
                          "open '%s': unknown format '%s'", w->name, format);
        goto end;
    }
    ret = avformat_alloc_output_context2(&w->oc, NULL, format, guess);
    if (ret < 0 || w->oc == NULL) {
        ret = da__failmsg(ret < 0 ? ret : AVERROR_MUXER_NOT_FOUND, err, err_size,
                          "open '%s': cannot tell the format from the name; give a format",
                          w->name);
        goto end;
    }
    /* the same input gives the same bytes: no encoder versions or dates in the file */
    w->oc->flags |= AVFMT_FLAG_BITEXACT;
    w->pkt = av_packet_alloc();
    if (w->pkt == NULL) {
        ret = da__writer_fail(w, AVERROR(ENOMEM), err, err_size, "open");
        goto end;
    }
    if (dst->kind == DA_SOURCE_CALLBACKS) {
        int seekable = dst->seek != NULL && dst->seekable;
        if (!seekable && !av_match_list(w->oc->oformat->name, streamable_muxers, ',')) {
            ret = da__failmsg(DA_ERR_ARGUMENT, err, err_size,
                              "open '%s': a %s file is finished by going back to its header, "
                              "which this destination cannot do; give a seekable file-like "
                              "or a streamable format (ogg, opus, flac, adts, au, mpegts, ...)",
                              w->name, w->oc->oformat->name);
            goto end;
        }
        uint8_t *buffer = av_malloc(65536);
        w->pb = buffer == NULL ? NULL
                               : avio_alloc_context(buffer, 65536, 1, w, NULL, write_packet,
                                                    seekable ? seek_packet : NULL);
        if (w->pb == NULL) {
            av_free(buffer);
            ret = da__writer_fail(w, AVERROR(ENOMEM), err, err_size, "open");
            goto end;
        }
        w->oc->pb = w->pb;
        w->oc->flags |= AVFMT_FLAG_CUSTOM_IO;
    } else if (!(w->oc->oformat->flags & AVFMT_NOFILE)) {
        url = dst->kind == DA_SOURCE_PATH ? av_asprintf("file:%s", dst->path) : av_strdup(dst->path);
        if (url == NULL) {
            ret = da__writer_fail(w, AVERROR(ENOMEM), err, err_size, "open");
            goto end;
        }
        ret = avio_open2(&w->oc->pb, url, AVIO_FLAG_WRITE, NULL, NULL);
        if (ret < 0) {
            da__writer_fail(w, ret, err, err_size, "open");
            goto end;
        }
    }

end:
    av_free(url);
    if (ret < 0)
        da_writer_free(&w);
    *out = w;
    return ret;
}

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
    const enum AVSampleFormat *fmts = da__codec_sample_fmts(codec);
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
    const int *rates = da__codec_sample_rates(codec);
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
    const AVChannelLayout *layouts = da__codec_ch_layouts(codec);
    if (layouts == NULL)
        return 1;
    for (int i = 0; layouts[i].nb_channels != 0; i++)
        if (layouts[i].nb_channels == channels)
            return 1;
    return 0;
}

static void stream_free(wstream **sp)
{
    if (sp == NULL || *sp == NULL)
        return;
    wstream *s = *sp;
    avcodec_free_context(&s->enc);
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
    da__video_free(&s->video);
    av_freep(sp);
}

/* Gives the stream *sp, whose encoder is open, its stream in the muxer and its index; the
 * writer owns it from then on and *sp is set to NULL. */
static int attach_stream(da_writer *w, wstream **sp, int *stream_index, char *err,
                         size_t err_size)
{
    wstream *s = *sp;
    s->st = avformat_new_stream(w->oc, NULL);
    if (s->st == NULL)
        return da__fail(AVERROR(ENOMEM), err, err_size, "add stream to '%s'", w->name);
    int ret = avcodec_parameters_from_context(s->st->codecpar, s->enc);
    if (ret < 0)
        return da__fail(ret, err, err_size, "add stream to '%s'", w->name);
    s->st->time_base = s->enc->time_base;
    if (s->enc->codec_type == AVMEDIA_TYPE_VIDEO)
        s->st->avg_frame_rate = s->enc->framerate;
    *stream_index = w->nb_streams;
    w->streams[w->nb_streams++] = s;
    *sp = NULL;
    return 0;
}

int da_writer_add_audio(da_writer *w, const da_audio_stream_options *opt, int *stream_index,
                        char *err, size_t err_size)
{
    if (w == NULL || opt == NULL || stream_index == NULL)
        return da__failmsg(DA_ERR_ARGUMENT, err, err_size, "add stream: invalid arguments");
    *stream_index = -1;
    int ret = da__writer_can_add(w, err, err_size);
    if (ret < 0)
        return ret;
    if (opt->sample_rate <= 0 || opt->num_channels <= 0 || opt->num_channels > 64 ||
        da__dtype_size(opt->dtype) == 0 || opt->encoder_sample_rate < 0 ||
        opt->encoder_num_channels < 0 || opt->encoder_num_channels > 64)
        return da__failmsg(DA_ERR_ARGUMENT, err, err_size,
                           "add stream to '%s': invalid rate, channels or sample type", w->name);
    da__log_reset();
    AVChannelLayout in_layout = {0}, out_layout = {0};
    wstream *s = av_mallocz(sizeof *s);
    if (s == NULL)
        return da__fail(AVERROR(ENOMEM), err, err_size, "add stream to '%s'", w->name);
    s->dtype = opt->dtype;
    s->channels = opt->num_channels;
    s->in_rate = opt->sample_rate;

    const AVCodec *codec = opt->encoder != NULL ? avcodec_find_encoder_by_name(opt->encoder)
                                                : avcodec_find_encoder(w->oc->oformat->audio_codec);
    if (codec == NULL || codec->type != AVMEDIA_TYPE_AUDIO) {
        ret = da__failmsg(AVERROR_ENCODER_NOT_FOUND, err, err_size,
                          "add stream to '%s': no audio encoder '%s'", w->name,
                          opt->encoder ? opt->encoder
                                       : avcodec_get_name(w->oc->oformat->audio_codec));
        goto end;
    }
    int out_channels = opt->encoder_num_channels > 0 ? opt->encoder_num_channels
                                                     : opt->num_channels;
    if (!layout_supported(codec, out_channels)) {
        ret = da__failmsg(DA_ERR_ARGUMENT, err, err_size,
                          "add stream to '%s': encoder %s cannot encode %d channels", w->name,
                          codec->name, out_channels);
        goto end;
    }
    enum AVSampleFormat fmt = pick_sample_fmt(codec, opt->dtype);
    if (opt->encoder_format != NULL) {
        fmt = av_get_sample_fmt(opt->encoder_format);
        const enum AVSampleFormat *fmts = da__codec_sample_fmts(codec);
        int ok = fmt != AV_SAMPLE_FMT_NONE && fmts == NULL;
        for (int i = 0; fmts != NULL && fmts[i] != AV_SAMPLE_FMT_NONE; i++)
            ok |= fmts[i] == fmt;
        if (!ok) {
            ret = da__failmsg(DA_ERR_ARGUMENT, err, err_size,
                              "add stream to '%s': encoder %s does not take sample format '%s'",
                              w->name, codec->name, opt->encoder_format);
            goto end;
        }
    }
    int rate = pick_rate(codec, opt->encoder_sample_rate > 0 ? opt->encoder_sample_rate
                                                              : opt->sample_rate);
    if (opt->encoder_sample_rate > 0 && rate != opt->encoder_sample_rate) {
        ret = da__failmsg(DA_ERR_ARGUMENT, err, err_size,
                          "add stream to '%s': encoder %s does not take %d Hz", w->name,
                          codec->name, opt->encoder_sample_rate);
        goto end;
    }

    s->enc = avcodec_alloc_context3(codec);
    if (s->enc == NULL) {
        ret = da__fail(AVERROR(ENOMEM), err, err_size, "add stream to '%s'", w->name);
        goto end;
    }
    AVCodecContext *enc = s->enc;
    enc->sample_fmt = fmt;
    enc->sample_rate = rate;
    enc->time_base = (AVRational){1, rate};
    av_channel_layout_default(&out_layout, out_channels);
    av_channel_layout_copy(&enc->ch_layout, &out_layout);
    if (opt->bits_per_raw_sample > 0)
        enc->bits_per_raw_sample = opt->bits_per_raw_sample;
    ret = da__writer_open_encoder(w, enc, codec, opt->bit_rate, opt->compression_level,
                                  opt->quality, opt->encoder_options, "add stream to", err,
                                  err_size);
    if (ret < 0)
        goto end;
    /* frame_size is known only once the encoder is open */
    s->frame_size = (codec->capabilities & AV_CODEC_CAP_VARIABLE_FRAME_SIZE) || enc->frame_size <= 0
                        ? STAGE_FRAMES
                        : enc->frame_size;

    av_channel_layout_default(&in_layout, opt->num_channels);
    if (opt->filter_desc != NULL) {
        int fixed = !(codec->capabilities & AV_CODEC_CAP_VARIABLE_FRAME_SIZE) && enc->frame_size > 0;
        ret = da__filter_open(&s->filter, opt->filter_desc, opt->sample_rate,
                              da__dtype_sample_fmt(opt->dtype, 0), &in_layout, rate,
                              enc->sample_fmt, &enc->ch_layout, fixed ? enc->frame_size : 0,
                              err, err_size);
        if (ret < 0) {
            da__prefix(ret, err, err_size, "add stream to '%s': ", w->name);
            goto end;
        }
        s->filtered = av_frame_alloc();
        if (s->filtered == NULL)
            ret = AVERROR(ENOMEM);
    } else {
        ret = swr_alloc_set_opts2(&s->swr, &enc->ch_layout, enc->sample_fmt, rate, &in_layout,
                                  da__dtype_sample_fmt(opt->dtype, 0), opt->sample_rate, 0,
                                  NULL);
        if (ret >= 0)
            ret = swr_init(s->swr);
    }
    /* without a filter graph, converted samples wait in a FIFO for whole encoder frames */
    if (s->filter == NULL)
        s->fifo = av_audio_fifo_alloc(enc->sample_fmt, out_channels, s->frame_size * 2);
    s->frame = av_frame_alloc();
    s->stage = av_malloc((size_t)STAGE_FRAMES * (size_t)opt->num_channels *
                         (size_t)da__dtype_size(opt->dtype));
    if (ret >= 0 && ((s->filter == NULL && s->fifo == NULL) || s->frame == NULL ||
                     s->stage == NULL))
        ret = AVERROR(ENOMEM);
    if (ret >= 0) {
        s->frame->nb_samples = s->frame_size;
        s->frame->format = enc->sample_fmt;
        s->frame->sample_rate = rate;
        ret = av_channel_layout_copy(&s->frame->ch_layout, &enc->ch_layout);
        if (ret >= 0)
            ret = av_frame_get_buffer(s->frame, 0);
    }
    if (ret < 0) {
        da__fail(ret, err, err_size, "add stream to '%s'", w->name);
        goto end;
    }
    /* the muxer's stream comes last, so that a failure leaves no stream in the file */
    ret = attach_stream(w, &s, stream_index, err, err_size);

end:
    av_channel_layout_uninit(&in_layout);
    av_channel_layout_uninit(&out_layout);
    stream_free(&s);
    return ret;
}

int da_writer_set_metadata(da_writer *w, const char *key, const char *value, char *err,
                           size_t err_size)
{
    if (w == NULL || key == NULL || w->started)
        return da__failmsg(DA_ERR_ARGUMENT, err, err_size,
                           "set metadata: %s", w && w->started ? "the header is written already"
                                                              : "invalid arguments");
    int ret = av_dict_set(&w->oc->metadata, key, value, 0);
    return ret < 0 ? da__fail(ret, err, err_size, "set metadata of '%s'", w->name) : 0;
}

int da_writer_start(da_writer *w, const char *const *options, char *err, size_t err_size)
{
    if (w == NULL || w->started || w->nb_streams == 0)
        return da__failmsg(DA_ERR_ARGUMENT, err, err_size, "write header: %s",
                           w == NULL ? "no writer" : w->started ? "written already"
                                                                 : "no stream was added");
    da__log_reset();
    AVDictionary *dict = NULL;
    for (const char *const *kv = options; kv != NULL && kv[0] != NULL; kv += 2)
        av_dict_set(&dict, kv[0], kv[1] ? kv[1] : "", 0);
    int ret = avformat_write_header(w->oc, &dict);
    if (ret >= 0 && av_dict_count(dict) > 0)
        ret = da__failmsg(AVERROR_OPTION_NOT_FOUND, err, err_size,
                          "write header of '%s': the %s muxer has no option '%s'", w->name,
                          w->oc->oformat->name, av_dict_get(dict, "", NULL, AV_DICT_IGNORE_SUFFIX)->key);
    else if (ret < 0)
        da__writer_fail(w, ret, err, err_size, "write header of");
    av_dict_free(&dict);
    if (ret >= 0)
        w->started = 1;
    return ret < 0 ? ret : 0;
}

/* Sends `frame` (NULL: drain) to the encoder and muxes what comes out. */
static int encode(da_writer *w, wstream *s, AVFrame *frame)
{
    int ret = avcodec_send_frame(s->enc, frame);
    if (ret < 0)
        return ret;
    for (;;) {
        ret = avcodec_receive_packet(s->enc, w->pkt);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
            return 0;
        if (ret < 0)
            return ret;
        w->pkt->stream_index = s->st->index;
        /* a video packet lasts one frame (the time base is the frame period) unless told */
        if (s->video != NULL && w->pkt->duration == 0)
            w->pkt->duration = 1;
        av_packet_rescale_ts(w->pkt, s->enc->time_base, s->st->time_base);
        ret = av_interleaved_write_frame(w->oc, w->pkt);
        if (ret < 0)
            return ret;
    }
}

/* Encodes whole encoder frames from the FIFO; with `last`, the short rest too. */
static int drain_fifo(da_writer *w, wstream *s, int last)
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
        ret = encode(w, s, s->frame);
        if (ret < 0)
            return ret;
    }
}

/* Converts `count` interleaved frames (NULL: the resampler's remainder) into the FIFO. */
static int convert_into_fifo(wstream *s, const uint8_t *in, int count)
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

/* Encodes what the filter graph hands out until it needs more input (or ends). */
static int drain_filter(da_writer *w, wstream *s)
{
    for (;;) {
        int ret = da__filter_pull(s->filter, s->filtered);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
            return 0;
        if (ret < 0)
            return ret;
        s->filtered->pts = s->next_pts;
        s->next_pts += s->filtered->nb_samples;
        ret = encode(w, s, s->filtered);
        av_frame_unref(s->filtered);
        if (ret < 0)
            return ret;
    }
}

/* Feeds `count` interleaved frames (NULL: the end) through the filter graph to the encoder. */
static int filter_chunk(da_writer *w, wstream *s, const uint8_t *in, int count)
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
    return ret < 0 ? ret : drain_filter(w, s);
}

int da_writer_write_audio(da_writer *w, int stream_index, const void *data, int64_t num_frames,
                          int64_t frame_step, int64_t channel_step, char *err, size_t err_size)
{
    if (w == NULL || stream_index < 0 || stream_index >= w->nb_streams || num_frames < 0 ||
        (data == NULL && num_frames > 0))
        return da__failmsg(DA_ERR_ARGUMENT, err, err_size, "write audio: invalid arguments");
    if (!w->started || w->flushed)
        return da__failmsg(DA_ERR_ARGUMENT, err, err_size, "write audio to '%s': %s", w->name,
                           w->flushed ? "the writer was flushed" : "the header is not written");
    da__log_reset();
    wstream *s = w->streams[stream_index];
    if (s->video != NULL)
        return da__failmsg(DA_ERR_ARGUMENT, err, err_size,
                           "write audio to '%s': stream %d is a video stream", w->name,
                           stream_index);
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
            ret = filter_chunk(w, s, chunk, n);
        } else {
            ret = convert_into_fifo(s, chunk, n);
            if (ret >= 0)
                ret = drain_fifo(w, s, 0);
        }
        done += n;
    }
    return ret < 0 ? da__writer_fail(w, ret, err, err_size, "encode audio to") : 0;
}

int da_writer_flush(da_writer *w, char *err, size_t err_size)
{
    if (w == NULL || !w->started)
        return da__failmsg(DA_ERR_ARGUMENT, err, err_size, "flush: the header is not written");
    if (w->flushed)
        return 0;
    da__log_reset();
    w->flushed = 1;
    for (int i = 0; i < w->nb_streams; i++) {
        wstream *s = w->streams[i];
        int ret = 0;
        if (s->video != NULL) {
            ret = da__video_drain(w, i, s->video);
        } else if (s->filter != NULL) {
            ret = filter_chunk(w, s, NULL, 0);
        } else {
            while ((ret = convert_into_fifo(s, NULL, 0)) > 0)
                ;
            if (ret >= 0)
                ret = drain_fifo(w, s, 1);
        }
        if (ret >= 0)
            ret = encode(w, s, NULL);
        if (ret < 0)
            return da__writer_fail(w, ret, err, err_size, "finish encoding to");
    }
    return 0;
}

int da_writer_close(da_writer **wp, char *err, size_t err_size)
{
    if (wp == NULL || *wp == NULL)
        return 0;
    da_writer *w = *wp;
    int ret = 0;
    if (w->started) {
        ret = da_writer_flush(w, err, err_size);
        /* the trailer is what patches sizes into the header */
        int r = av_write_trailer(w->oc);
        if (ret >= 0 && r < 0)
            ret = da__writer_fail(w, r, err, err_size, "finish");
    }
    if (w->pb != NULL)
        avio_flush(w->pb);
    else if (w->oc != NULL && !(w->oc->oformat->flags & AVFMT_NOFILE)) {
        int r = avio_closep(&w->oc->pb);
        if (ret >= 0 && r < 0)
            ret = da__writer_fail(w, r, err, err_size, "close");
    }
    if (ret >= 0 && w->callback_failed)
        ret = da__writer_fail(w, AVERROR(EIO), err, err_size, "write");
    da_writer_free(wp);
    return ret;
}

void da_writer_free(da_writer **wp)
{
    if (wp == NULL || *wp == NULL)
        return;
    da_writer *w = *wp;
    for (int i = 0; i < w->nb_streams; i++)
        stream_free(&w->streams[i]);
    if (w->oc != NULL) {
        if (w->pb == NULL && !(w->oc->oformat->flags & AVFMT_NOFILE))
            avio_closep(&w->oc->pb);
        avformat_free_context(w->oc);
    }
    if (w->pb != NULL) {
        av_freep(&w->pb->buffer);
        avio_context_free(&w->pb);
    }
    av_packet_free(&w->pkt);
    av_freep(wp);
}

/* ---- shared with video.c ---- */

int da__writer_can_add(da_writer *w, char *err, size_t err_size)
{
    if (w->started || w->nb_streams >= MAX_STREAMS)
        return da__failmsg(DA_ERR_ARGUMENT, err, err_size, "add stream to '%s': %s", w->name,
                           w->started ? "the header is written already" : "too many streams");
    return 0;
}

AVFormatContext *da__writer_context(da_writer *w)
{
    return w->oc;
}

const char *da__writer_name(const da_writer *w)
{
    return w->name;
}

int da__writer_add_stream(da_writer *w, AVCodecContext **enc, da_vstream **video,
                          int *stream_index, char *err, size_t err_size)
{
    int ret = da__writer_can_add(w, err, err_size);
    wstream *s = ret < 0 ? NULL : av_mallocz(sizeof *s);
    if (s == NULL) {
        avcodec_free_context(enc);
        da__video_free(video);
        return ret < 0 ? ret : da__fail(AVERROR(ENOMEM), err, err_size, "add stream to '%s'",
                                        w->name);
    }
    s->enc = *enc;
    s->video = *video;
    *enc = NULL;
    *video = NULL;
    ret = attach_stream(w, &s, stream_index, err, err_size);
    stream_free(&s);
    return ret;
}

int da__writer_open_encoder(da_writer *w, AVCodecContext *enc, const AVCodec *codec,
                            int64_t bit_rate, int compression_level, double quality,
                            const char *const *encoder_options, const char *what, char *err,
                            size_t err_size)
{
    AVDictionary *options = NULL;
    if (bit_rate > 0)
        enc->bit_rate = bit_rate;
    if (compression_level >= 0)
        enc->compression_level = compression_level;
    if (quality > -1e9) {
        enc->flags |= AV_CODEC_FLAG_QSCALE;
        enc->global_quality = (int)lrint(quality * FF_QP2LAMBDA);
    }
    enc->flags |= AV_CODEC_FLAG_BITEXACT;
    enc->thread_count = 1;
    if (codec->capabilities & AV_CODEC_CAP_EXPERIMENTAL)
        enc->strict_std_compliance = FF_COMPLIANCE_EXPERIMENTAL;
    if (w->oc->oformat->flags & AVFMT_GLOBALHEADER)
        enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    for (const char *const *kv = encoder_options; kv != NULL && kv[0] != NULL; kv += 2)
        av_dict_set(&options, kv[0], kv[1] ? kv[1] : "", 0);
    int ret = avcodec_open2(enc, codec, &options);
    if (ret < 0)
        da__fail(ret, err, err_size, "%s '%s': encoder %s", what, w->name, codec->name);
    else if (av_dict_count(options) > 0)
        ret = da__failmsg(AVERROR_OPTION_NOT_FOUND, err, err_size,
                          "%s '%s': encoder %s has no option '%s'", what, w->name, codec->name,
                          av_dict_get(options, "", NULL, AV_DICT_IGNORE_SUFFIX)->key);
    av_dict_free(&options);
    return ret;
}

da_vstream *da__writer_video(da_writer *w, int i, const char *what, char *err, size_t err_size)
{
    if (w == NULL || i < 0 || i >= w->nb_streams) {
        da__failmsg(DA_ERR_ARGUMENT, err, err_size, "%s: no stream %d", what, i);
        return NULL;
    }
    if (!w->started || w->flushed) {
        da__failmsg(DA_ERR_ARGUMENT, err, err_size, "%s '%s': %s", what, w->name,
                    w->flushed ? "the writer was flushed" : "the header is not written");
        return NULL;
    }
    if (w->streams[i]->video == NULL)
        da__failmsg(DA_ERR_ARGUMENT, err, err_size, "%s '%s': stream %d is an audio stream",
                    what, w->name, i);
    return w->streams[i]->video;
}

int da__writer_encode(da_writer *w, int i, AVFrame *frame)
{
    return encode(w, w->streams[i], frame);
}
