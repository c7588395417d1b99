/* writer.c - the writer core: the output (path, URL or write callbacks) and its muxer, the
 * streams' encoders behind a table of functions per stream (audio.c, video.c), header,
 * packets, flush and trailer. One writer serves save() and StreamWriter. */
#include <math.h>
#include <string.h>

#include <libavutil/avstring.h>
#include <libavutil/opt.h>

#include "internal.h"

#define MAX_STREAMS 16

/* Muxers whose files are complete without going back to patch a header. */
static const char streamable_muxers[] =
    "ogg,opus,oga,spx,flac,adts,au,matroska,webm,mpegts,nut,s16le,s16be,s24le,s24be,s32le,s32be,"
    "f32le,f32be,f64le,f64be,u8,s8,mulaw,alaw,mp2,ac3,eac3,amr,gsm,wv,tta,"
    /* video */
    "image2pipe,mjpeg,mpjpeg,h264,hevc,m4v,mpeg1video,mpeg2video,rawvideo,yuv4mpegpipe";

/* A stream of the writer: its encoder and muxer stream, and the audio or video state behind
 * its table of functions. */
typedef struct wstream {
    AVCodecContext *enc;
    AVStream *st;
    const da_stream_ops *ops;
    void *state;
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

/* The custom I/O context writing through the caller's callbacks. */
static int open_callbacks(da_writer *w, char *err, size_t err_size)
{
    const da_output *dst = w->dst;
    int seekable = dst->seek != NULL && dst->seekable;
    if (!seekable && !av_match_list(w->oc->oformat->name, streamable_muxers, ','))
        return da__failmsg(DA_ERR_ARGUMENT, err, err_size,
                           "open '%s': a %s file is finished by going back to its header, "
                           "which this destination cannot do; give a seekable file-like "
                           "or a streamable format (ogg, opus, flac, adts, au, mpegts, ...)",
                           w->name, w->oc->oformat->name);
    uint8_t *buffer = av_malloc(65536);
    w->pb = buffer == NULL ? NULL
                           : avio_alloc_context(buffer, 65536, 1, w, NULL, write_packet,
                                                seekable ? seek_packet : NULL);
    if (w->pb == NULL) {
        av_free(buffer);
        return da__writer_fail(w, AVERROR(ENOMEM), err, err_size, "open");
    }
    w->oc->pb = w->pb;
    w->oc->flags |= AVFMT_FLAG_CUSTOM_IO;
    return 0;
}

/* The file or URL the muxer writes to (*url is freed by the caller). */
static int open_file(da_writer *w, char **url, char *err, size_t err_size)
{
    const da_output *dst = w->dst;
    *url = dst->kind == DA_SOURCE_PATH ? av_asprintf("file:%s", dst->path) : av_strdup(dst->path);
    if (*url == NULL)
        return da__writer_fail(w, AVERROR(ENOMEM), err, err_size, "open");
    int ret = avio_open2(&w->oc->pb, *url, AVIO_FLAG_WRITE, NULL, NULL);
    return ret < 0 ? da__writer_fail(w, ret, err, err_size, "open") : 0;
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
    if (dst->kind == DA_SOURCE_CALLBACKS)
        ret = open_callbacks(w, err, err_size);
    else if (!(w->oc->oformat->flags & AVFMT_NOFILE))
        ret = open_file(w, &url, err, err_size);

end:
    av_free(url);
    if (ret < 0)
        da_writer_free(&w);
    *out = w;
    return ret;
}


static void stream_free(wstream **sp)
{
    if (sp == NULL || *sp == NULL)
        return;
    wstream *s = *sp;
    if (s->state != NULL)
        s->ops->free(s->state);
    avcodec_free_context(&s->enc);
    av_freep(sp);
}

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

int da__writer_add_stream(da_writer *w, AVCodecContext **enc, const da_stream_ops *ops,
                          void **state, int *stream_index, char *err, size_t err_size)
{
    int ret = da__writer_can_add(w, err, err_size);
    wstream *s = ret < 0 ? NULL : av_mallocz(sizeof *s);
    if (s == NULL) {
        avcodec_free_context(enc);
        ops->free(*state);
        *state = NULL;
        return ret < 0 ? ret : da__fail(AVERROR(ENOMEM), err, err_size, "add stream to '%s'",
                                        w->name);
    }
    s->enc = *enc;
    s->ops = ops;
    s->state = *state;
    *enc = NULL;
    *state = NULL;
    s->st = avformat_new_stream(w->oc, NULL);
    if (s->st == NULL) {
        ret = da__fail(AVERROR(ENOMEM), err, err_size, "add stream to '%s'", w->name);
        goto end;
    }
    ret = avcodec_parameters_from_context(s->st->codecpar, s->enc);
    if (ret < 0) {
        da__fail(ret, err, err_size, "add stream to '%s'", w->name);
        goto end;
    }
    s->st->time_base = s->enc->time_base;
    if (s->enc->codec_type == AVMEDIA_TYPE_VIDEO)
        s->st->avg_frame_rate = s->enc->framerate;
    *stream_index = w->nb_streams;
    w->streams[w->nb_streams++] = s;
    s = NULL;
end:
    stream_free(&s);
    return ret;
}

int da__writer_open_encoder(da_writer *w, AVCodecContext *enc, const AVCodec *codec,
                            const da_encoder_settings *set, const char *what, char *err,
                            size_t err_size)
{
    if (set->bit_rate > 0)
        enc->bit_rate = set->bit_rate;
    if (set->compression_level >= 0)
        enc->compression_level = set->compression_level;
    if (set->quality > -1e9) {
        enc->flags |= AV_CODEC_FLAG_QSCALE;
        enc->global_quality = (int)lrint(set->quality * FF_QP2LAMBDA);
    }
    enc->flags |= AV_CODEC_FLAG_BITEXACT;
    enc->thread_count = 1;
    if (codec->capabilities & AV_CODEC_CAP_EXPERIMENTAL)
        enc->strict_std_compliance = FF_COMPLIANCE_EXPERIMENTAL;
    if (w->oc->oformat->flags & AVFMT_GLOBALHEADER)
        enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    AVDictionary *options = NULL;
    int ret = da__dict_set_pairs(&options, set->options);
    if (ret >= 0)
        ret = avcodec_open2(enc, codec, &options);
    if (ret < 0)
        da__fail(ret, err, err_size, "%s '%s': encoder %s", what, w->name, codec->name);
    else
        ret = da__dict_check_used(options, err, err_size, "%s '%s': encoder %s", what, w->name,
                                  codec->name);
    av_dict_free(&options);
    return ret;
}

void *da__writer_stream(da_writer *w, int i, const da_stream_ops *ops, const char *what,
                        char *err, size_t err_size)
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
    const wstream *s = w->streams[i];
    if (s->ops != ops) {
        da__failmsg(DA_ERR_ARGUMENT, err, err_size, "%s '%s': stream %d is %s stream", what,
                    w->name, i, s->ops->kind);
        return NULL;
    }
    return s->state;
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

/* MP4's edit list, which states where the audio ends, counts in the movie's timescale:
 * FFmpeg's default of 1000 rounds the length to a millisecond (5121 frames at 44.1 kHz came
 * back as 5116). Audio-only files count in the sample rate unless `dict` says otherwise. */
static int default_movie_timescale(const AVFormatContext *oc, AVDictionary **dict)
{
    int audio_rate = 0, video = 0;
    for (unsigned i = 0; i < oc->nb_streams; i++) {
        const AVCodecParameters *par = oc->streams[i]->codecpar;
        if (par->codec_type == AVMEDIA_TYPE_AUDIO && audio_rate == 0)
            audio_rate = par->sample_rate;
        video |= par->codec_type == AVMEDIA_TYPE_VIDEO;
    }
    /* (a muxer's private data starts with its AVClass only when it has options) */
    if (audio_rate > 0 && !video && oc->oformat->priv_class != NULL && oc->priv_data != NULL &&
        av_opt_find(oc->priv_data, "movie_timescale", NULL, 0, 0) != NULL &&
        av_dict_get(*dict, "movie_timescale", NULL, 0) == NULL)
        return av_dict_set_int(dict, "movie_timescale", audio_rate, 0);
    return 0;
}

int da_writer_start(da_writer *w, const char *const *options, char *err, size_t err_size)
{
    if (w == NULL || w->started || w->nb_streams == 0)
        return da__failmsg(DA_ERR_ARGUMENT, err, err_size, "write header: %s",
                           w == NULL ? "no writer" : w->started ? "written already"
                                                                 : "no stream was added");
    da__log_reset();
    AVDictionary *dict = NULL;
    int ret = da__dict_set_pairs(&dict, options);
    if (ret >= 0)
        ret = default_movie_timescale(w->oc, &dict);
    if (ret >= 0)
        ret = avformat_write_header(w->oc, &dict);
    if (ret < 0)
        da__writer_fail(w, ret, err, err_size, "write header of");
    else
        ret = da__dict_check_used(dict, err, err_size, "write header of '%s': the %s muxer",
                                  w->name, w->oc->oformat->name);
    av_dict_free(&dict);
    if (ret >= 0)
        w->started = 1;
    return ret < 0 ? ret : 0;
}

int da__writer_encode(da_writer *w, int i, AVFrame *frame)
{
    const wstream *s = w->streams[i];
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
        if (s->enc->codec_type == AVMEDIA_TYPE_VIDEO && w->pkt->duration == 0)
            w->pkt->duration = 1;
        av_packet_rescale_ts(w->pkt, s->enc->time_base, s->st->time_base);
        ret = av_interleaved_write_frame(w->oc, w->pkt);
        if (ret < 0)
            return ret;
    }
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
        /* what the stream still holds, then the encoder's own delay */
        int ret = w->streams[i]->ops->drain(w, i, w->streams[i]->state);
        if (ret >= 0)
            ret = da__writer_encode(w, i, NULL);
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

/* ---- what an encoder takes: its lists, NULL where it does not say; read the way the FFmpeg
 * built against offers them (compat.h) ---- */

const enum AVSampleFormat *da__encoder_sample_fmts(const AVCodec *codec)
{
    return da__codec_sample_fmts(codec);
}

const int *da__encoder_sample_rates(const AVCodec *codec)
{
    return da__codec_sample_rates(codec);
}

const AVChannelLayout *da__encoder_ch_layouts(const AVCodec *codec)
{
    return da__codec_ch_layouts(codec);
}

const enum AVPixelFormat *da__encoder_pix_fmts(const AVCodec *codec)
{
    return da__codec_pix_fmts(codec);
}

const AVRational *da__encoder_frame_rates(const AVCodec *codec)
{
    return da__codec_frame_rates(codec);
}
