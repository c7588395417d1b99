/* filter.c - FFmpeg audio filter graphs between our frames and an encoder (or output). */
#include <stdio.h>
#include <string.h>

#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavutil/avstring.h>

#include "internal.h"

struct da_filter {
    AVFilterGraph *graph;
    AVFilterContext *src;
    AVFilterContext *sink;
};

/* A layout FFmpeg can print: one without channel meaning becomes the usual one. */
static void describe_layout(const AVChannelLayout *layout, char *out, size_t out_size)
{
    AVChannelLayout l = {0};
    if (layout->order == AV_CHANNEL_ORDER_UNSPEC)
        av_channel_layout_default(&l, layout->nb_channels);
    else
        av_channel_layout_copy(&l, layout);
    av_channel_layout_describe(&l, out, out_size);
    av_channel_layout_uninit(&l);
}

int da__graph_open(AVFilterGraph **graph, const char *source, const char *source_args,
                   const char *sink, const char *desc, AVFilterContext **source_ctx,
                   AVFilterContext **sink_ctx)
{
    AVFilterInOut *inputs = NULL, *outputs = NULL;
    *graph = avfilter_graph_alloc();
    if (*graph == NULL)
        return AVERROR(ENOMEM);
    /* one graph per stream, run on the caller's thread */
    (*graph)->nb_threads = 1;
    int ret = avfilter_graph_create_filter(source_ctx, avfilter_get_by_name(source), "in",
                                           source_args, NULL, *graph);
    if (ret >= 0)
        ret = avfilter_graph_create_filter(sink_ctx, avfilter_get_by_name(sink), "out", NULL,
                                           NULL, *graph);
    if (ret >= 0 && ((outputs = avfilter_inout_alloc()) == NULL ||
                     (inputs = avfilter_inout_alloc()) == NULL))
        ret = AVERROR(ENOMEM);
    if (ret >= 0) {
        outputs->name = av_strdup("in");
        outputs->filter_ctx = *source_ctx;
        inputs->name = av_strdup("out");
        inputs->filter_ctx = *sink_ctx;
        ret = avfilter_graph_parse_ptr(*graph, desc, &inputs, &outputs, NULL);
    }
    if (ret >= 0)
        ret = avfilter_graph_config(*graph, NULL);
    avfilter_inout_free(&inputs);
    avfilter_inout_free(&outputs);
    return ret;
}

int da__filter_open(da_filter **out, const char *desc, int in_rate, enum AVSampleFormat in_fmt,
                    const AVChannelLayout *in_layout, int out_rate,
                    enum AVSampleFormat out_fmt, const AVChannelLayout *out_layout,
                    int frame_size, char *err, size_t err_size)
{
    *out = NULL;
    char args[512], in_desc[128], out_desc[128] = "";
    describe_layout(in_layout, in_desc, sizeof in_desc);
    if (out_layout != NULL)
        describe_layout(out_layout, out_desc, sizeof out_desc);
    snprintf(args, sizeof args, "time_base=1/%d:sample_rate=%d:sample_fmt=%s:channel_layout=%s",
             in_rate, in_rate, av_get_sample_fmt_name(in_fmt), in_desc);
    /* the output is pinned by an appended aformat, which every FFmpeg version reads alike;
     * a rate or layout left open (0, NULL) is whatever the caller's filters make */
    char rate_arg[32] = "", layout_arg[160] = "";
    if (out_rate > 0)
        snprintf(rate_arg, sizeof rate_arg, ":sample_rates=%d", out_rate);
    if (out_layout != NULL)
        snprintf(layout_arg, sizeof layout_arg, ":channel_layouts=%s", out_desc);
    char *full = av_asprintf("%s,aformat=sample_fmts=%s%s%s", desc,
                             av_get_sample_fmt_name(out_fmt), rate_arg, layout_arg);
    da_filter *f = av_mallocz(sizeof *f);
    int ret = f == NULL || full == NULL ? AVERROR(ENOMEM)
                                        : da__graph_open(&f->graph, "abuffer", args,
                                                         "abuffersink", full, &f->src, &f->sink);
    av_free(full);
    if (ret < 0) {
        da__filter_close(&f);
        return da__fail(ret, err, err_size, "filter '%s'", desc);
    }
    if (frame_size > 0)
        av_buffersink_set_frame_size(f->sink, (unsigned)frame_size);
    *out = f;
    return 0;
}

void da__filter_output(const da_filter *f, int *sample_rate, int *num_channels)
{
    AVChannelLayout layout = {0};
    *sample_rate = av_buffersink_get_sample_rate(f->sink);
    *num_channels = av_buffersink_get_ch_layout(f->sink, &layout) >= 0 ? layout.nb_channels : 0;
    av_channel_layout_uninit(&layout);
}

int da__filter_push(da_filter *f, AVFrame *frame)
{
    return av_buffersrc_add_frame_flags(f->src, frame, frame ? AV_BUFFERSRC_FLAG_KEEP_REF : 0);
}

int da__graph_drain(AVFilterContext *buffersink, AVFrame *frame, da_take_fn take, void *ctx)
{
    for (;;) {
        int ret = av_buffersink_get_frame(buffersink, frame);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
            return 0;
        if (ret < 0)
            return ret;
        ret = take(ctx, frame);
        av_frame_unref(frame);
        if (ret != 0)
            return ret < 0 ? ret : 0;
    }
}

int da__filter_drain(da_filter *f, AVFrame *frame, da_take_fn take, void *ctx)
{
    return da__graph_drain(f->sink, frame, take, ctx);
}

void da__filter_close(da_filter **fp)
{
    if (fp == NULL || *fp == NULL)
        return;
    avfilter_graph_free(&(*fp)->graph);
    av_freep(fp);
}
