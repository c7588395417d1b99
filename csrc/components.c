/* components.c - names and versions: what this FFmpeg build contains (codecs, muxers,
 * demuxers, protocols, its configure line), the library's and FFmpeg's versions, and the
 * "name\0long name\0" lists these (and sox.c) hand out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavfilter/avfilter.h>
#include <libavutil/log.h>

#include "internal.h"

/* The version is pyproject.toml's, passed by the build (Makefile) as three numbers. */
#if !defined(DA_VERSION_MAJOR) || !defined(DA_VERSION_MINOR) || !defined(DA_VERSION_PATCH)
#error "DA_VERSION_MAJOR, _MINOR and _PATCH are given by the build (make reads pyproject.toml)"
#endif

int da__names_append(da__name_list *l, const char *name, const char *long_name)
{
    size_t a = strlen(name) + 1, b = strlen(long_name) + 1;
    if (l->size + a + b > l->capacity) {
        size_t capacity = l->capacity ? l->capacity * 2 : 4096;
        while (capacity < l->size + a + b)
            capacity *= 2;
        char *p = realloc(l->data, capacity);
        if (p == NULL)
            return AVERROR(ENOMEM);
        l->data = p;
        l->capacity = capacity;
    }
    memcpy(l->data + l->size, name, a);
    memcpy(l->data + l->size + a, long_name, b);
    l->size += a + b;
    return 0;
}

int da__names_finish(da__name_list *l, char **names, int64_t *size)
{
    /* an empty list is still a buffer the caller frees */
    if (l->data == NULL && (l->data = malloc(1)) == NULL)
        return AVERROR(ENOMEM);
    *names = l->data;
    *size = (int64_t)l->size;
    memset(l, 0, sizeof *l);
    return 0;
}

static const char *or_empty(const char *s)
{
    return s != NULL ? s : "";
}

static int is_device(const AVClass *cls)
{
    return cls != NULL && (AV_IS_INPUT_DEVICE(cls->category) ||
                           AV_IS_OUTPUT_DEVICE(cls->category));
}

static int list_codecs(da__name_list *l, int encoders)
{
    void *it = NULL;
    const AVCodec *c;
    int ret = 0;
    while (ret >= 0 && (c = av_codec_iterate(&it)) != NULL)
        if (c->type == AVMEDIA_TYPE_AUDIO &&
            (encoders ? av_codec_is_encoder(c) : av_codec_is_decoder(c)))
            ret = da__names_append(l, c->name, or_empty(c->long_name));
    return ret;
}

/* A muxer or demuxer, unless it is a device (listed only where libavdevice registered it). */
static int append_format(da__name_list *l, const AVClass *cls, const char *name,
                         const char *long_name)
{
    return is_device(cls) ? 0 : da__names_append(l, name, or_empty(long_name));
}

static int list_formats(da__name_list *l, int muxers)
{
    void *it = NULL;
    int ret = 0;
    if (muxers) {
        const AVOutputFormat *f;
        while (ret >= 0 && (f = av_muxer_iterate(&it)) != NULL)
            ret = append_format(l, f->priv_class, f->name, f->long_name);
        return ret;
    }
    const AVInputFormat *f;
    while (ret >= 0 && (f = av_demuxer_iterate(&it)) != NULL)
        ret = append_format(l, f->priv_class, f->name, f->long_name);
    return ret;
}

static int list_protocols(da__name_list *l, int output)
{
    void *it = NULL;
    const char *name;
    int ret = 0;
    while (ret >= 0 && (name = avio_enum_protocols(&it, output)) != NULL)
        ret = da__names_append(l, name, "");
    return ret;
}

int da_list_components(int kind, char **names, int64_t *size, char *err, size_t err_size)
{
    da__name_list l = {0};
    int ret = 0;
    if (names == NULL || size == NULL)
        return da__failmsg(DA_ERR_ARGUMENT, err, err_size, "list components: no output");
    *names = NULL;
    *size = 0;
    switch (kind) {
    case DA_LIST_AUDIO_DECODERS: ret = list_codecs(&l, 0); break;
    case DA_LIST_AUDIO_ENCODERS: ret = list_codecs(&l, 1); break;
    case DA_LIST_MUXERS: ret = list_formats(&l, 1); break;
    case DA_LIST_DEMUXERS: ret = list_formats(&l, 0); break;
    case DA_LIST_INPUT_PROTOCOLS: ret = list_protocols(&l, 0); break;
    case DA_LIST_OUTPUT_PROTOCOLS: ret = list_protocols(&l, 1); break;
    default:
        ret = da__failmsg(DA_ERR_ARGUMENT, err, err_size,
                          "list components: unknown kind %d", kind);
        goto end;
    }
    if (ret >= 0)
        ret = da__names_finish(&l, names, size);
    if (ret < 0)
        da__fail(ret, err, err_size, "list components");
end:
    free(l.data);
    return ret;
}

void da_names_free(char **names)
{
    if (names == NULL)
        return;
    free(*names);
    *names = NULL;
}

int da_get_build_config(const char **config)
{
    if (config == NULL)
        return DA_ERR_ARGUMENT;
    *config = avcodec_configuration();
    return 0;
}

int da_get_versions(da_versions *v)
{
    if (v == NULL)
        return DA_ERR_ARGUMENT;
    memset(v, 0, sizeof *v);
    v->decode_audio = AV_VERSION_INT(DA_VERSION_MAJOR, DA_VERSION_MINOR, DA_VERSION_PATCH);
    v->avutil = avutil_version();
    v->avcodec = avcodec_version();
    v->avformat = avformat_version();
    v->avfilter = avfilter_version();
    v->swresample = swresample_version();
    snprintf(v->ffmpeg, sizeof v->ffmpeg, "%s", av_version_info());
    return 0;
}
