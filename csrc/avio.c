/* avio.c - opening inputs: paths, URLs, memory and callbacks, with safe whitelists. */
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
    da_input *in = opaque;
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
    da_input *in = opaque;
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

static void source_name(const da_source *src, char *out, size_t out_size)
{
    const char *name = src->name;
    if (name == NULL && (src->kind == DA_SOURCE_PATH || src->kind == DA_SOURCE_URL))
        name = src->path;
    if (name == NULL)
        name = src->kind == DA_SOURCE_MEMORY ? "<bytes>" : "<file-like>";
    av_strlcpy(out, name, out_size);
}

static int check_source(const da_source *src)
{
    switch (src->kind) {
    case DA_SOURCE_PATH:
    case DA_SOURCE_URL: return src->path != NULL ? 0 : DA_ERR_ARGUMENT;
    case DA_SOURCE_MEMORY: return src->data != NULL && src->size >= 0 ? 0 : DA_ERR_ARGUMENT;
    case DA_SOURCE_CALLBACKS: return src->read != NULL ? 0 : DA_ERR_ARGUMENT;
    default: return DA_ERR_ARGUMENT;
    }
}

/* A big-endian WAV (RIFX) holds big-endian PCM, but FFmpeg 5.1's WAV demuxer names its codec
 * little-endian (pcm_s24le for 24-bit), which decodes every sample wrong. The codec is renamed
 * to its big-endian twin here, before the decoder opens. The first bytes are what the reader
 * kept (non-seekable input) or are read again; the position is restored. */
static int fix_rifx_codec(da_input *in)
{
    if (strcmp(in->fmt->iformat->name, "wav") != 0)
        return 0;
    uint8_t magic[4] = {0};
    if (in->head != NULL) {
        if (in->head_size < 4)
            return 0;
        memcpy(magic, in->head, 4);
    } else {
        AVIOContext *pb = in->fmt->pb;
        int64_t here = pb != NULL ? avio_tell(pb) : -1;
        if (here < 0 || !(pb->seekable & AVIO_SEEKABLE_NORMAL) || avio_seek(pb, 0, SEEK_SET) < 0)
            return 0;
        int got = avio_read(pb, magic, 4);
        if (avio_seek(pb, here, SEEK_SET) < 0)
            return AVERROR(EIO);
        if (got != 4)
            return 0;
    }
    if (memcmp(magic, "RIFX", 4) != 0)
        return 0;
    static const enum AVCodecID twins[][2] = {
        {AV_CODEC_ID_PCM_S16LE, AV_CODEC_ID_PCM_S16BE}, {AV_CODEC_ID_PCM_S24LE, AV_CODEC_ID_PCM_S24BE},
        {AV_CODEC_ID_PCM_S32LE, AV_CODEC_ID_PCM_S32BE}, {AV_CODEC_ID_PCM_F32LE, AV_CODEC_ID_PCM_F32BE},
        {AV_CODEC_ID_PCM_F64LE, AV_CODEC_ID_PCM_F64BE},
    };
    for (unsigned i = 0; i < in->fmt->nb_streams; i++) {
        AVCodecParameters *par = in->fmt->streams[i]->codecpar;
        for (size_t k = 0; k < sizeof twins / sizeof twins[0]; k++)
            if (par->codec_id == twins[k][0]) {
                par->codec_id = twins[k][1];
                break;
            }
    }
    return 0;
}

/* Picks the audio stream, discards the others and opens its decoder. */
static int open_decoder(da_input *in, const da_open_options *opt, char *err, size_t err_size)
{
    int stream_index = opt->stream_index;
    AVFormatContext *fmt = in->fmt;
    const AVCodec *codec = NULL;
    if (stream_index >= 0) {
        if ((unsigned)stream_index >= fmt->nb_streams)
            return da__failmsg(AVERROR_STREAM_NOT_FOUND, err, err_size,
                               "open '%s': stream %d does not exist (%u streams)", in->name,
                               stream_index, fmt->nb_streams);
        enum AVMediaType type = fmt->streams[stream_index]->codecpar->codec_type;
        if (type != AVMEDIA_TYPE_AUDIO)
            return da__failmsg(DA_ERR_ARGUMENT, err, err_size,
                               "open '%s': stream %d is %s, not audio", in->name, stream_index,
                               av_get_media_type_string(type) ? av_get_media_type_string(type)
                                                              : "unknown");
    } else {
        stream_index = av_find_best_stream(fmt, AVMEDIA_TYPE_AUDIO, -1, -1, NULL, 0);
        if (stream_index < 0)
            return da__failmsg(DA_ERR_NO_AUDIO, err, err_size, "open '%s': no audio stream found",
                               in->name);
    }
    in->stream_index = stream_index;
    in->stream = fmt->streams[stream_index];
    for (unsigned i = 0; i < fmt->nb_streams; i++)
        if ((int)i != stream_index)
            fmt->streams[i]->discard = AVDISCARD_ALL;

    AVCodecParameters *par = in->stream->codecpar;
    if (opt->decoder != NULL) {
        codec = avcodec_find_decoder_by_name(opt->decoder);
        if (codec == NULL)
            return da__failmsg(AVERROR_DECODER_NOT_FOUND, err, err_size,
                               "open '%s': no decoder '%s'", in->name, opt->decoder);
        if (codec->id != par->codec_id)
            return da__failmsg(DA_ERR_ARGUMENT, err, err_size,
                               "open '%s': decoder '%s' does not decode %s", in->name,
                               opt->decoder, avcodec_get_name(par->codec_id));
    } else {
        codec = avcodec_find_decoder(par->codec_id);
    }
    if (codec == NULL)
        return da__fail(AVERROR_DECODER_NOT_FOUND, err, err_size, "open '%s': codec '%s'",
                        in->name, avcodec_get_name(par->codec_id));
    in->dec = avcodec_alloc_context3(codec);
    if (in->dec == NULL)
        return da__fail(AVERROR(ENOMEM), err, err_size, "open '%s'", in->name);
    int ret = avcodec_parameters_to_context(in->dec, par);
    if (ret < 0)
        return da__fail(ret, err, err_size, "open '%s': decoder parameters", in->name);
    /* without it, frame timestamps ignore the priming samples the decoder drops */
    in->dec->pkt_timebase = in->stream->time_base;
    /* audio decoders gain nothing from threads; files are decoded in parallel instead */
    in->dec->thread_count = 1;
    AVDictionary *options = NULL;
    for (const char *const *kv = opt->decoder_options; kv != NULL && kv[0] != NULL; kv += 2)
        av_dict_set(&options, kv[0], kv[1] ? kv[1] : "", 0);
    ret = avcodec_open2(in->dec, codec, &options);
    if (ret >= 0 && av_dict_count(options) > 0)
        ret = da__failmsg(AVERROR_OPTION_NOT_FOUND, err, err_size,
                          "open '%s': decoder %s has no option '%s'", in->name, codec->name,
                          av_dict_get(options, "", NULL, AV_DICT_IGNORE_SUFFIX)->key);
    else if (ret < 0)
        da__fail(ret, err, err_size, "open '%s': decoder '%s'", in->name, codec->name);
    av_dict_free(&options);
    return ret < 0 ? ret : 0;
}

int da__input_open(const da_source *src, const da_open_options *opt, da_input **out,
                   char *err, size_t err_size)
{
    *out = NULL;
    da__log_init();
    da__log_reset();
    if (src == NULL || opt == NULL || check_source(src) < 0)
        return da__failmsg(DA_ERR_ARGUMENT, err, err_size, "open: invalid source");

    int ret = 0;
    AVDictionary *options = NULL;
    char *url = NULL;
    uint8_t *io_buffer = NULL;
    da_input *in = av_mallocz(sizeof *in);
    if (in == NULL)
        return da__fail(AVERROR(ENOMEM), err, err_size, "open");
    in->src = src;
    in->stream_index = -1;
    in->discard_until = INT64_MIN;
    source_name(src, in->name, sizeof in->name);

    in->pkt = av_packet_alloc();
    in->fmt = avformat_alloc_context();
    if (in->pkt == NULL || in->fmt == NULL) {
        ret = da__fail(AVERROR(ENOMEM), err, err_size, "open '%s'", in->name);
        goto end;
    }

    const AVInputFormat *ifmt = NULL;
    if (opt->format != NULL && opt->format[0] != '\0') {
        ifmt = av_find_input_format(opt->format);
        if (ifmt == NULL) {
            ret = da__failmsg(AVERROR_DEMUXER_NOT_FOUND, err, err_size,
                              "open '%s': unknown format '%s'", in->name, opt->format);
            goto end;
        }
    }
    /* a format the caller names is allowed whatever the whitelist says */
    const char *formats = opt->formats != NULL ? opt->formats : default_formats;
    if (strcmp(formats, "*") != 0) {
        in->fmt->format_whitelist = ifmt != NULL ? av_asprintf("%s,%s", formats, ifmt->name)
                                                 : av_strdup(formats);
        if (in->fmt->format_whitelist == NULL) {
            ret = da__fail(AVERROR(ENOMEM), err, err_size, "open '%s'", in->name);
            goto end;
        }
    }
    /* a path whose extension and first bytes agree names its demuxer: no probing (sniff.c) */
    uint32_t mpa_header = 0;
    int sniffed = 0;
    if (ifmt == NULL && opt->formats == NULL)
        sniffed = (ifmt = da__sniff_format(src, &mpa_header)) != NULL;

    char protocols[256];
    if (opt->protocols != NULL)
        av_strlcpy(protocols, opt->protocols, sizeof protocols);
    else if (src->kind == DA_SOURCE_PATH)
        av_strlcpy(protocols, "file", sizeof protocols);
    else if (src->kind == DA_SOURCE_URL)
        url_protocols(src->path, protocols, sizeof protocols);
    else
        av_strlcpy(protocols, "none", sizeof protocols);
    for (const char *const *kv = opt->format_options; kv != NULL && kv[0] != NULL; kv += 2)
        av_dict_set(&options, kv[0], kv[1] ? kv[1] : "", 0);
    av_dict_set(&options, "protocol_whitelist", protocols, 0);

    if (src->kind == DA_SOURCE_PATH) {
        /* a plain path is never parsed as a URL: "data:x.wav" is a file name */
        url = av_asprintf("file:%s", src->path);
    } else if (src->kind == DA_SOURCE_URL) {
        url = av_strdup(src->path);
    } else {
        int size = opt->buffer_size > 0 ? opt->buffer_size : 65536;
        io_buffer = av_malloc((size_t)size);
        int seekable = src->kind == DA_SOURCE_MEMORY || (src->seek != NULL && src->seekable);
        if (!seekable)
            in->head = av_malloc(DA_HEAD_SIZE);
        in->pb = io_buffer == NULL ? NULL
                                   : avio_alloc_context(io_buffer, size, 0, in, read_packet,
                                                        NULL, seekable ? seek_packet : NULL);
        if (in->pb == NULL) {
            av_free(io_buffer);
            ret = da__fail(AVERROR(ENOMEM), err, err_size, "open '%s'", in->name);
            goto end;
        }
        in->fmt->pb = in->pb;
        url = av_strdup("");
    }
    if (url == NULL) {
        ret = da__fail(AVERROR(ENOMEM), err, err_size, "open '%s'", in->name);
        goto end;
    }

    ret = avformat_open_input(&in->fmt, url, ifmt, &options);
    if (ret < 0) {
        if (in->callback_failed)
            ret = DA_ERR_CALLBACK;
        da__fail(ret, err, err_size, "open '%s'", in->name);
        goto end;
    }
    if (av_dict_count(options) > 0) {
        ret = da__failmsg(AVERROR_OPTION_NOT_FOUND, err, err_size,
                          "open '%s': the %s demuxer has no option '%s'", in->name,
                          in->fmt->iformat->name,
                          av_dict_get(options, "", NULL, AV_DICT_IGNORE_SUFFIX)->key);
        goto end;
    }
    /* A PCM WAV's payload is probed for hidden compressed audio (raw DTS needs 16 KiB to be
     * recognised), rescanning what it has at each packet: with 4 KiB packets that is 10 ms per
     * open at the default probesize. 16 KiB packets and a 16 KiB probesize scan once. */
    if (strcmp(in->fmt->iformat->name, "wav") == 0 || strcmp(in->fmt->iformat->name, "w64") == 0) {
        in->fmt->probesize = 16384;
        av_opt_set_int(in->fmt->priv_data, "max_size", 16384, 0);
    }
    const char *demuxer = in->fmt->iformat->name;
    if (sniffed && mpa_header != 0 && strcmp(demuxer, "mp3") == 0 && in->fmt->nb_streams == 1) {
        /* an MP3 with nothing but audio: its first frame's header has what stream info
         * would decode frames to find (probe.c still asks for the rest) */
        ret = da__mpa_params(in->fmt->streams[0], mpa_header);
        in->stream_info_skipped = ret >= 0;
    } else if (sniffed && strcmp(demuxer, "flac") == 0 && in->fmt->nb_streams == 1 &&
               in->fmt->streams[0]->codecpar->extradata_size >= 34) {
        /* a FLAC with nothing but audio: the decoder sets itself up from STREAMINFO, which
         * also has the rate and channel count that finding the stream needs */
        AVCodecParameters *par = in->fmt->streams[0]->codecpar;
        const uint8_t *e = par->extradata;
        par->sample_rate = e[10] << 12 | e[11] << 4 | e[12] >> 4;
        av_channel_layout_uninit(&par->ch_layout);
        par->ch_layout.order = AV_CHANNEL_ORDER_UNSPEC;
        par->ch_layout.nb_channels = ((e[12] >> 1) & 7) + 1;
        in->stream_info_skipped = 1;
    } else {
        ret = avformat_find_stream_info(in->fmt, NULL);
    }
    if (ret < 0 || in->callback_failed) {
        ret = in->callback_failed ? DA_ERR_CALLBACK : ret;
        da__fail(ret, err, err_size, "open '%s': reading stream info", in->name);
        goto end;
    }
    ret = fix_rifx_codec(in);
    if (ret < 0) {
        da__fail(ret, err, err_size, "open '%s'", in->name);
        goto end;
    }
    ret = open_decoder(in, opt, err, err_size);
    if (ret >= 0 && (ret = da__ogg_inspect(in)) < 0)
        da__fail(ret, err, err_size, "open '%s'", in->name);

end:
    av_dict_free(&options);
    av_free(url);
    if (ret < 0)
        da__input_close(&in);
    *out = in;
    return ret;
}

void da__input_close(da_input **inp)
{
    if (inp == NULL || *inp == NULL)
        return;
    da_input *in = *inp;
    avcodec_free_context(&in->dec);
    avformat_close_input(&in->fmt);
    /* libavformat may have replaced the buffer we gave it, so free the one it holds now */
    if (in->pb != NULL) {
        av_freep(&in->pb->buffer);
        avio_context_free(&in->pb);
    }
    av_packet_free(&in->pkt);
    av_freep(&in->head);
    av_freep(inp);
}
