/* video.c - video and still-image streams of the writer: uint8 frames read in place with any
 * strides, converted with libswscale (or a libavfilter graph), encoded and muxed with the
 * writer's other streams by the writer core (writer.c). */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavutil/avstring.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

#include "internal.h"

#define MAX_SIZE 32768

/* The pixel formats frames are written in. A frame whose rows are contiguous is read as the
 * planar format, plane k holding channel order[k]; one whose pixels are contiguous (channel
 * step 1, column step = channels) as the packed format. */
typedef struct input_format {
    const char *name;
    int channels;
    enum AVPixelFormat planar;
    enum AVPixelFormat packed;    /* AV_PIX_FMT_NONE: none */
    int order[3];
} input_format;

static const input_format input_formats[] = {
    {"rgb24", 3, AV_PIX_FMT_GBRP, AV_PIX_FMT_RGB24, {1, 2, 0}},
    {"bgr24", 3, AV_PIX_FMT_GBRP, AV_PIX_FMT_BGR24, {1, 0, 2}},
    {"gray8", 1, AV_PIX_FMT_GRAY8, AV_PIX_FMT_GRAY8, {0, 0, 0}},
    {"gray", 1, AV_PIX_FMT_GRAY8, AV_PIX_FMT_GRAY8, {0, 0, 0}},
    {"yuv444p", 3, AV_PIX_FMT_YUV444P, AV_PIX_FMT_NONE, {0, 1, 2}},
};

typedef struct vstream {
    const input_format *in;
    int width, height;            /* of the frames written */
    AVRational rate;              /* of the frames written */
    int64_t next_pts;             /* the next frame's timestamp, in frames at `rate` */
    AVCodecContext *enc;          /* borrowed: the writer's stream owns it */
    AVFrame *frame;               /* the encoder's input (without a graph) */
    AVFrame *gathered;            /* a frame of unusual layout, gathered in the planar format */
    uint8_t *last_row;            /* padded copies of a frame's last row, for libswscale */
    int row_size;                 /* bytes of each of them */
    struct SwsContext *sws;
    AVFilterGraph *graph;
    AVFilterContext *src, *sink;
    AVFrame *filtered;
} vstream;

static void vstream_free(void *state)
{
    vstream *v = state;
    av_frame_free(&v->frame);
    av_frame_free(&v->gathered);
    av_freep(&v->last_row);
    sws_freeContext(v->sws);
    avfilter_graph_free(&v->graph);
    av_frame_free(&v->filtered);
    av_free(v);
}

static int vstream_drain(da_writer *w, int i, void *state);

static const da_stream_ops video_ops = {"a video", vstream_drain, vstream_free};

int da_video_stream_options_init(da_video_stream_options *opt)
{
    if (opt == NULL)
        return DA_ERR_ARGUMENT;
    memset(opt, 0, sizeof *opt);
    opt->format = "rgb24";
    opt->gop_size = -1;
    opt->max_b_frames = -1;
    opt->compression_level = -1;
    opt->quality = -HUGE_VAL;
    return 0;
}

static const input_format *find_input_format(const char *name)
{
    for (size_t i = 0; i < sizeof input_formats / sizeof input_formats[0]; i++)
        if (strcmp(input_formats[i].name, name) == 0)
            return &input_formats[i];
    return NULL;
}

static int rate_listed(AVRational rate, const AVRational *rates)
{
    for (int i = 0; rates[i].num != 0 || rates[i].den != 0; i++)
        if (av_cmp_q(rate, rates[i]) == 0)
            return 1;
    return 0;
}

/* "buffer -> desc -> [fps] -> [scale] -> format -> buffersink"; out_rate.num == 0 and
 * out_width == 0 leave the rate and size to `desc`. Messages name the destination `name`. */
static int open_graph(vstream *v, const char *desc, AVRational out_rate, int out_width,
                      int out_height, enum AVPixelFormat out_fmt, const char *name, char *err,
                      size_t err_size)
{
    char args[256], fps[64] = "", scale[64] = "";
    snprintf(args, sizeof args,
             "video_size=%dx%d:pix_fmt=%s:time_base=%d/%d:frame_rate=%d/%d:pixel_aspect=1/1",
             v->width, v->height, av_get_pix_fmt_name(v->in->planar), v->rate.den, v->rate.num,
             v->rate.num, v->rate.den);
    if (out_rate.num > 0)
        snprintf(fps, sizeof fps, ",fps=%d/%d", out_rate.num, out_rate.den);
    if (out_width > 0)
        snprintf(scale, sizeof scale, ",scale=%d:%d", out_width, out_height);
    char *full = av_asprintf("%s%s%s,format=pix_fmts=%s", desc ? desc : "null", fps, scale,
                             av_get_pix_fmt_name(out_fmt));
    int ret = full == NULL ? AVERROR(ENOMEM)
                           : da__graph_open(&v->graph, "buffer", args, "buffersink", full,
                                            &v->src, &v->sink);
    if (ret >= 0 && (v->filtered = av_frame_alloc()) == NULL)
        ret = AVERROR(ENOMEM);
    if (ret < 0)
        da__fail(ret, err, err_size, "add video stream to '%s': filter '%s'", name,
                 desc ? desc : full ? full : "null");
    av_free(full);
    return ret;
}

static int check_video_options(const da_video_stream_options *opt)
{
    return opt->frame_rate_num <= 0 || opt->frame_rate_den <= 0 || opt->width <= 0 ||
                   opt->height <= 0 || opt->width > MAX_SIZE || opt->height > MAX_SIZE ||
                   opt->encoder_frame_rate_num < 0 || opt->encoder_frame_rate_den < 0 ||
                   opt->encoder_width < 0 || opt->encoder_height < 0 ||
                   opt->encoder_width > MAX_SIZE || opt->encoder_height > MAX_SIZE
               ? DA_ERR_ARGUMENT
               : 0;
}

/* The encoder asked for, else the one the muxer (image2: the file name) suggests. */
static const AVCodec *find_encoder(da_writer *w, const char *encoder, enum AVCodecID *id)
{
    /* image2 guesses its codec from the file name; a file-like has none */
    AVFormatContext *oc = da__writer_context(w);
    *id = av_guess_codec(oc->oformat, NULL, oc->url ? oc->url : "", NULL, AVMEDIA_TYPE_VIDEO);
    return encoder != NULL ? avcodec_find_encoder_by_name(encoder) : avcodec_find_encoder(*id);
}

/* The encoder's pixel format: the one asked for, else the first it lists. */
static int encoder_pix_fmt(const AVCodec *codec, const input_format *in, const char *name,
                           enum AVPixelFormat *fmt)
{
    const enum AVPixelFormat *fmts = da__encoder_pix_fmts(codec);
    *fmt = fmts ? fmts[0] : in->packed != AV_PIX_FMT_NONE ? in->packed : in->planar;
    if (name == NULL)
        return 0;
    *fmt = av_get_pix_fmt(name);
    int ok = *fmt != AV_PIX_FMT_NONE && fmts == NULL;
    for (int i = 0; *fmt != AV_PIX_FMT_NONE && fmts != NULL && fmts[i] != AV_PIX_FMT_NONE; i++)
        ok |= fmts[i] == *fmt;
    return ok ? 0 : DA_ERR_ARGUMENT;
}

/* The encoder's frame rate: the one asked for (*fixed set), else the input's, else the
 * nearest the encoder takes (*fixed set too). */
static int encoder_rate(const AVCodec *codec, const da_video_stream_options *opt,
                        AVRational in_rate, AVRational *rate, int *fixed)
{
    const AVRational *rates = da__encoder_frame_rates(codec);
    *rate = in_rate;
    *fixed = opt->encoder_frame_rate_num > 0;
    if (*fixed)
        *rate = av_make_q(opt->encoder_frame_rate_num,
                          opt->encoder_frame_rate_den > 0 ? opt->encoder_frame_rate_den : 1);
    if (rates == NULL || rate_listed(*rate, rates))
        return 0;
    if (*fixed)
        return DA_ERR_ARGUMENT;
    *rate = rates[av_find_nearest_q_idx(*rate, rates)];
    *fixed = 1;
    return 0;
}

/* The encoder's frame size and rate after the filter graph, which is built when the caller
 * gave one or the rate changes (fps drops or repeats frames). */
static int open_conversion(vstream *v, const da_video_stream_options *opt,
                           enum AVPixelFormat fmt, AVRational *rate, int fixed_rate,
                           int *width, int *height, const char *name, char *err,
                           size_t err_size)
{
    int need_fps = fixed_rate && (av_cmp_q(*rate, v->rate) != 0 || opt->filter_desc != NULL);
    *width = opt->encoder_width > 0 ? opt->encoder_width : 0;
    *height = opt->encoder_height > 0 ? opt->encoder_height : 0;
    if (*width > 0 || *height > 0) {
        *width = *width > 0 ? *width : opt->width;
        *height = *height > 0 ? *height : opt->height;
    }
    if (opt->filter_desc == NULL && !need_fps) {
        if (*width == 0) {
            *width = opt->width;
            *height = opt->height;
        }
        return 0;
    }
    int ret = open_graph(v, opt->filter_desc, need_fps ? *rate : av_make_q(0, 1), *width,
                         *height, fmt, name, err, err_size);
    if (ret < 0)
        return ret;
    *width = av_buffersink_get_w(v->sink);
    *height = av_buffersink_get_h(v->sink);
    AVRational made = av_buffersink_get_frame_rate(v->sink);
    if (!fixed_rate && made.num > 0 && made.den > 0)
        *rate = made;
    return 0;
}

/* The encoder's input frame (without a graph) and the padded last rows. */
static int alloc_buffers(vstream *v, int input_width)
{
    const AVCodecContext *enc = v->enc;
    if (v->graph == NULL) {
        v->frame = av_frame_alloc();
        if (v->frame == NULL)
            return AVERROR(ENOMEM);
        v->frame->format = enc->pix_fmt;
        v->frame->width = enc->width;
        v->frame->height = enc->height;
        int ret = av_frame_get_buffer(v->frame, 0);
        if (ret < 0)
            return ret;
    }
    /* room for a row of every plane of any input format, with what libswscale may read */
    v->row_size = FFALIGN(input_width * 3 + 64, 64);
    v->last_row = av_mallocz((size_t)v->row_size * 3);
    return v->last_row == NULL ? AVERROR(ENOMEM) : 0;
}

/* Chooses, sets up and opens the encoder of `v`, with the filter graph before it if any. */
static int open_encoder(da_writer *w, vstream *v, const da_video_stream_options *opt,
                        AVCodecContext **enc, char *err, size_t err_size)
{
    const char *name = da__writer_name(w);
    enum AVCodecID id;
    const AVCodec *codec = find_encoder(w, opt->encoder, &id);
    if (codec == NULL || codec->type != AVMEDIA_TYPE_VIDEO)
        return da__failmsg(AVERROR_ENCODER_NOT_FOUND, err, err_size,
                           "add video stream to '%s': no video encoder '%s'", name,
                           opt->encoder ? opt->encoder : avcodec_get_name(id));
    enum AVPixelFormat fmt;
    if (encoder_pix_fmt(codec, v->in, opt->encoder_format, &fmt) < 0)
        return da__failmsg(DA_ERR_ARGUMENT, err, err_size,
                           "add video stream to '%s': encoder %s does not take pixel format "
                           "'%s'", name, codec->name, opt->encoder_format);
    AVRational rate;
    int fixed_rate, width, height;
    if (encoder_rate(codec, opt, v->rate, &rate, &fixed_rate) < 0)
        return da__failmsg(DA_ERR_ARGUMENT, err, err_size,
                           "add video stream to '%s': encoder %s does not take %d/%d frames "
                           "per second", name, codec->name, rate.num, rate.den);
    int ret = open_conversion(v, opt, fmt, &rate, fixed_rate, &width, &height, name, err,
                              err_size);
    if (ret < 0)
        return ret;
    *enc = avcodec_alloc_context3(codec);
    if (*enc == NULL)
        return da__fail(AVERROR(ENOMEM), err, err_size, "add video stream to '%s'", name);
    AVCodecContext *e = *enc;
    e->width = width;
    e->height = height;
    e->pix_fmt = fmt;
    e->framerate = rate;
    e->time_base = av_inv_q(rate);
    e->sample_aspect_ratio = av_make_q(1, 1);
    if (opt->gop_size >= 0)
        e->gop_size = opt->gop_size;
    if (opt->max_b_frames >= 0)
        e->max_b_frames = opt->max_b_frames;
    const da_encoder_settings set = {opt->bit_rate, opt->compression_level, opt->quality,
                                     opt->encoder_options};
    return da__writer_open_encoder(w, e, codec, &set, "add video stream to", err, err_size);
}

int da_writer_add_video(da_writer *w, const da_video_stream_options *opt, int *stream_index,
                        char *err, size_t err_size)
{
    if (w == NULL || opt == NULL || stream_index == NULL)
        return da__failmsg(DA_ERR_ARGUMENT, err, err_size, "add video stream: invalid arguments");
    *stream_index = -1;
    const char *name = da__writer_name(w);
    int ret = da__writer_can_add(w, err, err_size);
    if (ret < 0)
        return ret;
    const input_format *in = find_input_format(opt->format ? opt->format : "rgb24");
    if (in == NULL)
        return da__failmsg(DA_ERR_ARGUMENT, err, err_size,
                           "add video stream to '%s': unknown input format '%s' (rgb24, bgr24, "
                           "gray8 or yuv444p)", name, opt->format);
    if (check_video_options(opt) < 0)
        return da__failmsg(DA_ERR_ARGUMENT, err, err_size,
                           "add video stream to '%s': invalid frame rate or size", name);
    da__log_reset();
    AVCodecContext *enc = NULL;
    vstream *v = av_mallocz(sizeof *v);
    if (v == NULL)
        return da__fail(AVERROR(ENOMEM), err, err_size, "add video stream to '%s'", name);
    v->in = in;
    v->width = opt->width;
    v->height = opt->height;
    v->rate = av_make_q(opt->frame_rate_num, opt->frame_rate_den);
    ret = open_encoder(w, v, opt, &enc, err, err_size);
    if (ret < 0)
        goto end;
    v->enc = enc;
    ret = alloc_buffers(v, opt->width);
    if (ret < 0) {
        da__fail(ret, err, err_size, "add video stream to '%s'", name);
        goto end;
    }
    ret = da__writer_add_stream(w, &enc, &video_ops, (void **)&v, stream_index, err, err_size);

end:
    avcodec_free_context(&enc);
    if (v != NULL)
        vstream_free(v);
    return ret;
}

/* Steps of the caller's memory, in bytes. */
typedef struct layout {
    int64_t channel, row, column;
} layout;

/* A source frame as libswscale reads it. */
typedef struct picture {
    const uint8_t *planes[4];
    int linesizes[4];
    enum AVPixelFormat fmt;
    int padded;                   /* the memory may be read past each row's end */
} picture;

/* Points `pic` at the frame at `base` when libswscale can read its layout; otherwise gathers
 * it into v->gathered, in the planar format. */
static int source_picture(vstream *v, const uint8_t *base, const layout *l, picture *pic)
{
    const input_format *in = v->in;
    int W = v->width, H = v->height, C = in->channels;
    memset(pic, 0, sizeof *pic);
    if (l->column == 1 && l->row >= W && l->row <= INT_MAX) {
        for (int k = 0; k < C; k++) {
            pic->planes[k] = base + in->order[k] * l->channel;
            pic->linesizes[k] = (int)l->row;
        }
        pic->fmt = in->planar;
        return 0;
    }
    if (in->packed != AV_PIX_FMT_NONE && l->channel == 1 && l->column == C &&
        l->row >= (int64_t)W * C && l->row <= INT_MAX) {
        pic->planes[0] = base;
        pic->linesizes[0] = (int)l->row;
        pic->fmt = in->packed;
        return 0;
    }
    if (v->gathered == NULL) {
        v->gathered = av_frame_alloc();
        if (v->gathered == NULL)
            return AVERROR(ENOMEM);
        v->gathered->format = in->planar;
        v->gathered->width = W;
        v->gathered->height = H;
        int ret = av_frame_get_buffer(v->gathered, 0);
        if (ret < 0)
            return ret;
    }
    for (int k = 0; k < C; k++) {
        const uint8_t *plane = base + in->order[k] * l->channel;
        for (int y = 0; y < H; y++) {
            const uint8_t *src = plane + y * l->row;
            uint8_t *dst = v->gathered->data[k] + (ptrdiff_t)y * v->gathered->linesize[k];
            for (int x = 0; x < W; x++)
                dst[x] = src[x * l->column];
        }
        pic->planes[k] = v->gathered->data[k];
        pic->linesizes[k] = v->gathered->linesize[k];
    }
    pic->fmt = in->planar;
    pic->padded = 1;
    return 0;
}

/* Converts `pic` into `dst` (allocated, writable): copied when the format and size agree,
 * else through libswscale. */
static int convert_picture(vstream *v, const picture *pic, AVFrame *dst)
{
    int W = v->width, H = v->height;
    if (pic->fmt == dst->format && W == dst->width && H == dst->height) {
        for (int p = 0; p < av_pix_fmt_count_planes(pic->fmt); p++)
            av_image_copy_plane(dst->data[p], dst->linesize[p], pic->planes[p],
                                pic->linesizes[p], av_image_get_linesize(pic->fmt, W, p), H);
        return 0;
    }
    v->sws = sws_getCachedContext(v->sws, W, H, pic->fmt, dst->width, dst->height, dst->format,
                                  SWS_BICUBIC, NULL, NULL, NULL);
    if (v->sws == NULL)
        return AVERROR(EINVAL);
    /* libswscale's vector code may read a little past a row's end, which the caller's
     * memory may not have after its last row: that row goes through a padded copy */
    int direct = pic->padded ? H : H - 1;
    int ret = 0;
    if (direct > 0)
        ret = sws_scale(v->sws, pic->planes, pic->linesizes, 0, direct, dst->data,
                        dst->linesize);
    if (ret >= 0 && direct < H) {
        const uint8_t *rows[4] = {NULL};
        int sizes[4] = {0};
        for (int p = 0; p < av_pix_fmt_count_planes(pic->fmt); p++) {
            uint8_t *row = v->last_row + (size_t)p * (size_t)v->row_size;
            memcpy(row, pic->planes[p] + (ptrdiff_t)(H - 1) * pic->linesizes[p],
                   (size_t)av_image_get_linesize(pic->fmt, W, p));
            rows[p] = row;
            sizes[p] = v->row_size;
        }
        ret = sws_scale(v->sws, rows, sizes, H - 1, 1, dst->data, dst->linesize);
    }
    return ret < 0 ? ret : 0;
}

/* Where the frames of a video stream's filter graph go. */
typedef struct graph_out {
    da_writer *w;
    int index;
    vstream *v;
    AVRational time_base;         /* of the graph's output */
} graph_out;

/* Encodes a frame the filter graph handed out, in the encoder's time base. */
static int take_filtered(void *ctx, AVFrame *frame)
{
    graph_out *o = ctx;
    frame->pts = av_rescale_q(frame->pts, o->time_base, o->v->enc->time_base);
    frame->pict_type = AV_PICTURE_TYPE_NONE;
    frame->quality = o->v->enc->global_quality;
    return da__writer_encode(o->w, o->index, frame);
}

/* Encodes what the filter graph hands out until it needs more input (or ends). */
static int drain_graph(da_writer *w, int i, vstream *v)
{
    graph_out o = {w, i, v, av_buffersink_get_time_base(v->sink)};
    return da__graph_drain(v->sink, v->filtered, take_filtered, &o);
}

/* Converts one frame and sends it on: to the encoder, or through the filter graph. */
static int write_frame(da_writer *w, int i, vstream *v, const picture *pic)
{
    int ret;
    if (v->graph == NULL) {
        ret = av_frame_make_writable(v->frame);
        if (ret >= 0)
            ret = convert_picture(v, pic, v->frame);
        if (ret < 0)
            return ret;
        v->frame->pts = v->next_pts;
        /* fixed-quality encoders (mpeg4's qscale) read the quality of each frame */
        v->frame->quality = v->enc->global_quality;
        return da__writer_encode(w, i, v->frame);
    }
    AVFrame *frame = av_frame_alloc();
    if (frame == NULL)
        return AVERROR(ENOMEM);
    frame->format = v->in->planar;
    frame->width = v->width;
    frame->height = v->height;
    frame->sample_aspect_ratio = av_make_q(1, 1);
    ret = av_frame_get_buffer(frame, 0);
    if (ret >= 0)
        ret = convert_picture(v, pic, frame);
    if (ret >= 0) {
        frame->pts = v->next_pts;
        ret = av_buffersrc_add_frame_flags(v->src, frame, 0);
    }
    av_frame_free(&frame);
    return ret < 0 ? ret : drain_graph(w, i, v);
}

int da_writer_write_video(da_writer *w, int stream_index, const void *data, int64_t num_frames,
                          int64_t frame_step, int64_t channel_step, int64_t row_step,
                          int64_t column_step, int64_t pts, char *err, size_t err_size)
{
    vstream *v = da__writer_stream(w, stream_index, &video_ops, "write video to", err,
                                   err_size);
    if (v == NULL)
        return DA_ERR_ARGUMENT;
    if (num_frames < 0 || (data == NULL && num_frames > 0))
        return da__failmsg(DA_ERR_ARGUMENT, err, err_size, "write video to '%s': invalid "
                           "arguments", da__writer_name(w));
    if (pts >= 0 && pts < v->next_pts)
        return da__failmsg(DA_ERR_ARGUMENT, err, err_size,
                           "write video to '%s': pts %lld is before the next frame's, %lld",
                           da__writer_name(w), (long long)pts, (long long)v->next_pts);
    da__log_reset();
    if (pts >= 0)
        v->next_pts = pts;
    layout l = {channel_step, row_step, column_step};
    const uint8_t *base = data;
    int ret = 0;
    for (int64_t t = 0; t < num_frames && ret >= 0; t++) {
        picture pic;
        ret = source_picture(v, base + t * frame_step, &l, &pic);
        if (ret >= 0)
            ret = write_frame(w, stream_index, v, &pic);
        v->next_pts++;
    }
    return ret < 0 ? da__writer_fail(w, ret, err, err_size, "encode video to") : 0;
}

/* Feeds the end of the input through the filter graph to the encoder. */
static int vstream_drain(da_writer *w, int i, void *state)
{
    vstream *v = state;
    if (v->graph == NULL)
        return 0;
    /* the input ends where a frame after the last would start, so that the last frame
     * lasts its frame through rate conversion */
    int ret = av_buffersrc_close(v->src, v->next_pts, AV_BUFFERSRC_FLAG_PUSH);
    return ret < 0 ? ret : drain_graph(w, i, v);
}
