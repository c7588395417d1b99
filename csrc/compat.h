/* compat.h - every difference between the FFmpeg versions the library builds against (5.1 and
 * newer: libavcodec 59.37 onwards). No other file checks an FFmpeg version; they call these. */
#ifndef DA_COMPAT_H
#define DA_COMPAT_H

#include <libavcodec/avcodec.h>
#include <libavformat/avio.h>
#include <libavutil/channel_layout.h>
#include <libavutil/pixfmt.h>
#include <libavutil/rational.h>
#include <libavutil/samplefmt.h>

/* 5.1 is the first release with AVChannelLayout (`ch_layout`), which the library uses
 * throughout; the `channels`/`channel_layout` fields it replaced are gone in 7.0. */
#if LIBAVCODEC_VERSION_INT < AV_VERSION_INT(59, 37, 100)
#error "FFmpeg 5.1 or newer is required (AVChannelLayout)"
#endif

/* The buffer an AVIOContext's write callback is handed: const from libavformat 61 (FFmpeg 7.0)
 * on, where a non-const callback no longer converts. */
#if LIBAVFORMAT_VERSION_MAJOR >= 61
#define DA_AVIO_WRITE_BUF const uint8_t *
#else
#define DA_AVIO_WRITE_BUF uint8_t *
#endif

/* AAC-LC's profile number: FF_PROFILE_* became AV_PROFILE_* in FFmpeg 6.1 (libavcodec 60.31),
 * and the FF_ names are gone in 7.0. */
#ifdef AV_PROFILE_AAC_LOW
#define DA_PROFILE_AAC_LOW AV_PROFILE_AAC_LOW
#else
#define DA_PROFILE_AAC_LOW FF_PROFILE_AAC_LOW
#endif

/* ---- what an encoder supports ----
 * Each returns the encoder's list, ended by its sentinel (AV_SAMPLE_FMT_NONE, 0, a layout of
 * 0 channels, AV_PIX_FMT_NONE, {0, 0}), or NULL when the encoder takes any value. The lists
 * belong to FFmpeg and live as long as the process.
 * libavcodec 61.13 (FFmpeg 7.1) replaced AVCodec's sample_fmts, supported_samplerates,
 * ch_layouts, pix_fmts and supported_framerates with avcodec_get_supported_config() and
 * deprecated them (still there in 8.x); libavcodec 63 (FFmpeg 9.0) removed them. */
#if LIBAVCODEC_VERSION_INT >= AV_VERSION_INT(61, 13, 100)
#define DA_HAVE_SUPPORTED_CONFIG 1

static inline const void *da__codec_config(const AVCodec *codec, enum AVCodecConfig config)
{
    const void *list = NULL;
    if (avcodec_get_supported_config(NULL, codec, config, 0, &list, NULL) < 0)
        return NULL;
    return list;
}

static inline const enum AVSampleFormat *da__codec_sample_fmts(const AVCodec *codec)
{
    return da__codec_config(codec, AV_CODEC_CONFIG_SAMPLE_FORMAT);
}

static inline const int *da__codec_sample_rates(const AVCodec *codec)
{
    return da__codec_config(codec, AV_CODEC_CONFIG_SAMPLE_RATE);
}

static inline const AVChannelLayout *da__codec_ch_layouts(const AVCodec *codec)
{
    return da__codec_config(codec, AV_CODEC_CONFIG_CHANNEL_LAYOUT);
}

static inline const enum AVPixelFormat *da__codec_pix_fmts(const AVCodec *codec)
{
    return da__codec_config(codec, AV_CODEC_CONFIG_PIX_FORMAT);
}

static inline const AVRational *da__codec_frame_rates(const AVCodec *codec)
{
    return da__codec_config(codec, AV_CODEC_CONFIG_FRAME_RATE);
}
#else
#define DA_HAVE_SUPPORTED_CONFIG 0

static inline const enum AVSampleFormat *da__codec_sample_fmts(const AVCodec *codec)
{
    return codec->sample_fmts;
}

static inline const int *da__codec_sample_rates(const AVCodec *codec)
{
    return codec->supported_samplerates;
}

static inline const AVChannelLayout *da__codec_ch_layouts(const AVCodec *codec)
{
    return codec->ch_layouts;
}

static inline const enum AVPixelFormat *da__codec_pix_fmts(const AVCodec *codec)
{
    return codec->pix_fmts;
}

static inline const AVRational *da__codec_frame_rates(const AVCodec *codec)
{
    return codec->supported_framerates;
}
#endif

#endif
