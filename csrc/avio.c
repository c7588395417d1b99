/* avio.c - the I/O under a demuxer: paths and URLs with protocol and format whitelists, memory
 * and the caller's read/seek callbacks through a custom AVIOContext. */
#include <stdio.h>
#include <string.h>

#include <libavutil/avstring.h>
#include <libavutil/mem.h>
#include <libavutil/opt.h>

#include "internal.h"

/* Demuxers of audio and audio-visual containers that never open other files or hosts on their
 * own: no playlists (hls, dash, concat), image sequences, devices or session descriptions. */
static const char default_formats[] =
    "aa,aac,aax,ac3,ace,acm,act,adp,ads,adx,aea,afc,aiff,aix,alaw,amr,amrnb,amrwb,apc,ape,apm,"
    "aptx,aptx_hd,argo_asf,asf,asf_o,ast,au,avi,avr,bfstm,bink,binka,boa,brstm,caf,codec2,"
    "codec2raw,daud,dcstr,derf,dfpwm,dsf,dss,dts,dtshd,dv,ea,eac3,epaf,f32be,f32le,f64be,f64le,"
    "flac,flv,fsb,fwse,g722,g723_1,g726,g726le,g729,genh,gsm,gxf,hca,hcom,iff,ilbc,ircam,iss,"
    "ivr,kvag,libgme,libopenmpt,live_flv,loas,lxf,matroska,webm,mca,mlp,mmf,mods,mov,mp4,m4a,"
    "3gp,3g2,mj2,mp3,mpc,mpc8,mpeg,mpegts,msf,mtaf,mulaw,musx,mv,mxf,nistsphere,nsp,nut,nuv,"
    "ogg,oma,pp_bnk,pvf,qcp,rm,rsd,rso,s16be,s16le,s24be,s24le,s32be,s32le,s337m,s8,sbc,scd,"
    "sdx,shn,siff,sln,smk,sol,sox,spdif,svag,svs,tak,truehd,tta,u16be,u16le,u24be,u24le,u32be,"
    "u32le,u8,vag,vividas,vivo,voc,vpk,vqf,w64,wav,wc3movie,wsaud,wsd,wtv,wv,wve,xa,xmv,xvag,"
    "xwma";

/* Protocols a URL may use, by scheme: the scheme's own and what it is built on. */
static void url_protocols(const char *url, char *out, size_t out_size)
{
    static const struct { const char *scheme, *protocols; } table[] = {
        {"http", "http,https,tcp,tls"},
        {"https", "http,https,tcp,tls"},
        {"file", "file"},
        {"ftp", "ftp,tcp"},
        {"rtmp", "rtmp,tcp"},
        {"rtmps", "rtmps,tcp,tls"},
        {"udp", "udp"},
        {"tcp", "tcp"},
        {"srt", "srt,udp"},
    };
    char scheme[32] = "";
    const char *colon = strchr(url, ':');
    if (colon != NULL && colon - url < (ptrdiff_t)sizeof scheme)
        av_strlcpy(scheme, url, (size_t)(colon - url) + 1);
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        if (av_strcasecmp(scheme, table[i].scheme) == 0) {
            av_strlcpy(out, table[i].protocols, out_size);
            return;
        }
    }
    av_strlcpy(out, scheme[0] ? scheme : "none", out_size);
}

static int read_packet(void *opaque, uint8_t *buf, int size)
{
    da_io *in = opaque;
    const da_source *src = in->src;
    if (src->kind == DA_SOURCE_MEMORY) {
        int64_t left = src->size - in->mem_pos;
        if (left <= 0)
            return AVERROR_EOF;
        int n = left < size ? (int)left : size;
        memcpy(buf, src->data + in->mem_pos, (size_t)n);
        in->mem_pos += n;
        return n;
    }
    int64_t n = src->read(src->opaque, buf, size);
    if (n < 0) {
        in->callback_failed = 1;
        return AVERROR_EXIT;
    }
    if (n == 0)
        return AVERROR_EOF;
    if (n > size)
        n = size;
    if (in->head != NULL && in->head_size < DA_HEAD_SIZE) {
        int keep = DA_HEAD_SIZE - in->head_size < n ? DA_HEAD_SIZE - in->head_size : (int)n;
        memcpy(in->head + in->head_size, buf, (size_t)keep);
        in->head_size += keep;
    }
    return (int)n;
}

static int64_t seek_packet(void *opaque, int64_t offset, int whence)
{
    da_io *in = opaque;
    const da_source *src = in->src;
    whence &= ~AVSEEK_FORCE;
    if (src->kind == DA_SOURCE_MEMORY) {
        int64_t pos;
        switch (whence) {
        case AVSEEK_SIZE: return src->size;
        case SEEK_SET: pos = offset; break;
        case SEEK_CUR: pos = in->mem_pos + offset; break;
        case SEEK_END: pos = src->size + offset; break;
        default: return AVERROR(EINVAL);
        }
        /* past the end is allowed, as lseek allows it: reads there find the end, which is
         * what a demuxer skipping a chunk that claims more bytes than there are expects */
        if (pos < 0)
            return AVERROR(EINVAL);
        in->mem_pos = pos;
        return pos;
    }
    int64_t pos = src->seek(src->opaque, offset, whence);
    return pos < 0 ? AVERROR(EIO) : pos;
}

void da__source_name(const da_source *src, char *out, size_t out_size)
{
    const char *name = src->name;
    if (name == NULL && (src->kind == DA_SOURCE_PATH || src->kind == DA_SOURCE_URL))
        name = src->path;
    if (name == NULL)
        name = src->kind == DA_SOURCE_MEMORY ? "<bytes>" : "<file-like>";
    av_strlcpy(out, name, out_size);
}

int da__source_check(const da_source *src)
{
    switch (src->kind) {
    case DA_SOURCE_PATH:
    case DA_SOURCE_URL: return src->path != NULL ? 0 : DA_ERR_ARGUMENT;
    case DA_SOURCE_MEMORY: return src->data != NULL && src->size >= 0 ? 0 : DA_ERR_ARGUMENT;
    case DA_SOURCE_CALLBACKS: return src->read != NULL ? 0 : DA_ERR_ARGUMENT;
    default: return DA_ERR_ARGUMENT;
    }
}

/* The protocols a source may use: the caller's list, else what its kind needs. */
static void source_protocols(const da_source *src, const char *given, char *out, size_t out_size)
{
    if (given != NULL)
        av_strlcpy(out, given, out_size);
    else if (src->kind == DA_SOURCE_PATH)
        av_strlcpy(out, "file", out_size);
    else if (src->kind == DA_SOURCE_URL)
        url_protocols(src->path, out, out_size);
    else
        av_strlcpy(out, "none", out_size);
}

/* The custom I/O context reading memory or the caller's callbacks. */
static int open_custom_io(da_io *io, const da_source *src, int buffer_size, AVFormatContext *fmt)
{
    int size = buffer_size > 0 ? buffer_size : 65536;
    uint8_t *buffer = av_malloc((size_t)size);
    int seekable = src->kind == DA_SOURCE_MEMORY || (src->seek != NULL && src->seekable);
    if (!seekable)
        io->head = av_malloc(DA_HEAD_SIZE);
    io->pb = buffer == NULL ? NULL
                            : avio_alloc_context(buffer, size, 0, io, read_packet, NULL,
                                                 seekable ? seek_packet : NULL);
    if (io->pb == NULL) {
        av_free(buffer);
        return AVERROR(ENOMEM);
    }
    fmt->pb = io->pb;
    return 0;
}

int da__io_prepare(da_io *io, const da_source *src, const da_open_options *opt,
                   const AVInputFormat *named, AVFormatContext *fmt, AVDictionary **options,
                   char **url)
{
    io->src = src;
    /* a format the caller names is allowed whatever the whitelist says */
    const char *formats = opt->formats != NULL ? opt->formats : default_formats;
    if (strcmp(formats, "*") != 0) {
        fmt->format_whitelist = named != NULL ? av_asprintf("%s,%s", formats, named->name)
                                              : av_strdup(formats);
        if (fmt->format_whitelist == NULL)
            return AVERROR(ENOMEM);
    }
    char protocols[256];
    source_protocols(src, opt->protocols, protocols, sizeof protocols);
    int ret = da__dict_set_pairs(options, opt->format_options);
    if (ret >= 0)
        ret = av_dict_set(options, "protocol_whitelist", protocols, 0);
    if (ret < 0)
        return ret;
    if (src->kind == DA_SOURCE_PATH) {
        /* a plain path is never parsed as a URL: "data:x.wav" is a file name */
        *url = av_asprintf("file:%s", src->path);
    } else if (src->kind == DA_SOURCE_URL) {
        *url = av_strdup(src->path);
    } else {
        ret = open_custom_io(io, src, opt->buffer_size, fmt);
        if (ret < 0)
            return ret;
        *url = av_strdup("");
    }
    return *url == NULL ? AVERROR(ENOMEM) : 0;
}

void da__io_close(da_io *io)
{
    /* libavformat may have replaced the buffer we gave it, so free the one it holds now */
    if (io->pb != NULL) {
        av_freep(&io->pb->buffer);
        avio_context_free(&io->pb);
    }
    av_freep(&io->head);
}
