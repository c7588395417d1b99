/* input.c - an opened input: its demuxer (over avio.c's I/O) and the audio stream's decoder,
 * the next decoded frame, and facts about the stream that decoding and probing both need. */
#include <string.h>

#include <libavutil/avstring.h>
#include <libavutil/intreadwrite.h>
#include <libavutil/opt.h>

#include "internal.h"

int da__codec_is_pcm(enum AVCodecID id)
{
    const AVCodecDescriptor *d = avcodec_descriptor_get(id);
    return d != NULL && strncmp(d->name, "pcm_", 4) == 0;
}

int da__input_native_dtype(const da_input *in)
{
    return da__native_dtype(da__codec_is_pcm(in->stream->codecpar->codec_id),
                            in->dec->sample_fmt);
}

/* The stream the caller asked for, else the best audio stream; the others are discarded. */
static int pick_stream(da_input *in, int stream_index, char *err, size_t err_size)
{
    AVFormatContext *fmt = in->fmt;
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
    return 0;
}

/* The decoder the caller named (which must decode the stream's codec), else the default one. */
static int find_decoder(const da_input *in, const char *name, const AVCodec **codec, char *err,
                        size_t err_size)
{
    enum AVCodecID id = in->stream->codecpar->codec_id;
    if (name == NULL) {
        *codec = avcodec_find_decoder(id);
        if (*codec == NULL)
            return da__fail(AVERROR_DECODER_NOT_FOUND, err, err_size, "open '%s': codec '%s'",
                            in->name, avcodec_get_name(id));
        return 0;
    }
    *codec = avcodec_find_decoder_by_name(name);
    if (*codec == NULL)
        return da__failmsg(AVERROR_DECODER_NOT_FOUND, err, err_size,
                           "open '%s': no decoder '%s'", in->name, name);
    if ((*codec)->id != id)
        return da__failmsg(DA_ERR_ARGUMENT, err, err_size,
                           "open '%s': decoder '%s' does not decode %s", in->name, name,
                           avcodec_get_name(id));
    return 0;
}

/* Picks the audio stream and opens its decoder. */
static int open_decoder(da_input *in, const da_open_options *opt, char *err, size_t err_size)
{
    const AVCodec *codec = NULL;
    int ret = pick_stream(in, opt->stream_index, err, err_size);
    if (ret >= 0)
        ret = find_decoder(in, opt->decoder, &codec, err, err_size);
    if (ret < 0)
        return ret;
    in->dec = avcodec_alloc_context3(codec);
    if (in->dec == NULL)
        return da__fail(AVERROR(ENOMEM), err, err_size, "open '%s'", in->name);
    ret = avcodec_parameters_to_context(in->dec, in->stream->codecpar);
    if (ret < 0)
        return da__fail(ret, err, err_size, "open '%s': decoder parameters", in->name);
    /* without it, frame timestamps ignore the priming samples the decoder drops */
    in->dec->pkt_timebase = in->stream->time_base;
    /* audio decoders gain nothing from threads; files are decoded in parallel instead */
    in->dec->thread_count = 1;
    AVDictionary *options = NULL;
    ret = da__dict_set_pairs(&options, opt->decoder_options);
    if (ret >= 0)
        ret = avcodec_open2(in->dec, codec, &options);
    if (ret < 0)
        da__fail(ret, err, err_size, "open '%s': decoder '%s'", in->name, codec->name);
    else
        ret = da__dict_check_used(options, err, err_size, "open '%s': decoder %s", in->name,
                                  codec->name);
    av_dict_free(&options);
    return ret;
}

/* The demuxer the caller named; NULL with *named unset when none is. */
static int named_format(const da_input *in, const char *format, const AVInputFormat **named,
                        char *err, size_t err_size)
{
    *named = NULL;
    if (format == NULL || format[0] == '\0')
        return 0;
    *named = av_find_input_format(format);
    if (*named == NULL)
        return da__failmsg(AVERROR_DEMUXER_NOT_FOUND, err, err_size,
                           "open '%s': unknown format '%s'", in->name, format);
    return 0;
}

/* Reads stream info, or sets up what decoding needs without it when the demuxer was sniffed
 * (sniff.c) and the first bytes already say it. */
static int read_stream_info(da_input *in, int sniffed, uint32_t mpa_header)
{
    AVFormatContext *fmt = in->fmt;
    const char *demuxer = fmt->iformat->name;
    if (sniffed && mpa_header != 0 && strcmp(demuxer, "mp3") == 0 && fmt->nb_streams == 1) {
        /* an MP3 with nothing but audio: its first frame's header has what stream info
         * would decode frames to find (probe.c still asks for the rest) */
        int ret = da__mpa_params(fmt->streams[0], mpa_header);
        in->stream_info_skipped = ret >= 0;
        return ret;
    }
    if (sniffed && strcmp(demuxer, "flac") == 0 && fmt->nb_streams == 1 &&
        fmt->streams[0]->codecpar->extradata_size >= 34) {
        /* a FLAC with nothing but audio: the decoder sets itself up from STREAMINFO, which
         * also has the rate and channel count that finding the stream needs */
        AVCodecParameters *par = fmt->streams[0]->codecpar;
        const uint8_t *e = par->extradata;
        par->sample_rate = e[10] << 12 | e[11] << 4 | e[12] >> 4;
        av_channel_layout_uninit(&par->ch_layout);
        par->ch_layout.order = AV_CHANNEL_ORDER_UNSPEC;
        par->ch_layout.nb_channels = ((e[12] >> 1) & 7) + 1;
        in->stream_info_skipped = 1;
        return 0;
    }
    if (sniffed && strcmp(demuxer, "ogg") == 0 && fmt->nb_streams == 1) {
        /* an Ogg Vorbis file: the demuxer has read the three headers (the decoder sets
         * itself up from them), the rate and channel count, and the start and length from
         * the first and last pages; stream info would decode a packet to learn the sample
         * format the decoder gives anyway */
        const AVStream *st = fmt->streams[0];
        const AVCodecParameters *par = st->codecpar;
        if (par->codec_id == AV_CODEC_ID_VORBIS && par->extradata_size > 0 &&
            par->sample_rate > 0 && par->ch_layout.nb_channels > 0 &&
            st->start_time != AV_NOPTS_VALUE && st->duration != AV_NOPTS_VALUE) {
            in->stream_info_skipped = 1;
            return 0;
        }
    }
    return avformat_find_stream_info(fmt, NULL);
}

/* Opens the demuxer over the prepared I/O and checks it used every option given. */
static int open_demuxer(da_input *in, const char *url, const AVInputFormat *ifmt,
                        AVDictionary **options, char *err, size_t err_size)
{
    int ret = avformat_open_input(&in->fmt, url, ifmt, options);
    if (ret < 0) {
        if (in->io.callback_failed)
            ret = DA_ERR_CALLBACK;
        return da__fail(ret, err, err_size, "open '%s'", in->name);
    }
    const char *demuxer = in->fmt->iformat->name;
    ret = da__dict_check_used(*options, err, err_size, "open '%s': the %s demuxer", in->name,
                              demuxer);
    if (ret < 0)
        return ret;
    /* A PCM WAV's payload is probed for hidden compressed audio (raw DTS needs 16 KiB to be
     * recognised), rescanning what it has at each packet: with 4 KiB packets that is 10 ms per
     * open at the default probesize. 16 KiB packets and a 16 KiB probesize scan once. */
    if (strcmp(demuxer, "wav") == 0 || strcmp(demuxer, "w64") == 0) {
        in->fmt->probesize = 16384;
        av_opt_set_int(in->fmt->priv_data, "max_size", 16384, 0);
    }
    /* The FLAC demuxer hands its parser 1 KiB at a time, which then finds frames of several
     * KiB in the pieces: 8 KiB pieces cut a full decode's demuxing by a third and a 1 s
     * window's instructions by a tenth (larger ones read more past a window than they save) */
    if (strcmp(demuxer, "flac") == 0)
        av_opt_set_int(in->fmt->priv_data, "raw_packet_size", 8192, 0);
    return 0;
}

/* The input's first bytes, up to `len`: those kept of a non-seekable source, or read again
 * (da__io_read_at: 0 where it cannot seek). How many, or a negative code. */
static int first_bytes(const da_input *in, uint8_t *buf, int len)
{
    if (in->io.head != NULL) {
        int n = in->io.head_size < len ? in->io.head_size : len;
        memcpy(buf, in->io.head, (size_t)n);
        return n;
    }
    return da__io_read_at(in->fmt->pb, 0, buf, len);
}

/* A big-endian WAV (RIFX) holds big-endian PCM, but FFmpeg 5.1's WAV demuxer names its codec
 * little-endian (pcm_s24le for 24-bit), which decodes every sample wrong. The codec is renamed
 * to its big-endian twin here, before the decoder opens. */
static int fix_rifx_codec(da_input *in)
{
    if (strcmp(in->fmt->iformat->name, "wav") != 0)
        return 0;
    uint8_t magic[4];
    int n = first_bytes(in, magic, 4);
    if (n < 4 || memcmp(magic, "RIFX", 4) != 0)
        return n < 0 ? n : 0;
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

/* The Ogg page at p[0..n): its length with the segment table and payload, or 0. */
static int ogg_page_size(const uint8_t *p, int n)
{
    if (n < 27 || memcmp(p, "OggS", 4) != 0 || p[4] != 0 || n < 27 + p[26])
        return 0;
    int size = 27 + p[26];
    for (int i = 0; i < p[26]; i++)
        size += p[27 + i];
    return size;
}

/* Ogg with one logical stream: what FFmpeg 5.1's timestamps miss, from the first and last
 * pages (the ogg_* fields of da_input); nothing for other inputs. The position is restored. */
static int inspect_ogg(da_input *in)
{
    in->ogg_end = -1;
    if (strcmp(in->fmt->iformat->name, "ogg") != 0 || in->fmt->nb_streams != 1)
        return 0;
    const int len = DA_HEAD_SIZE;
    uint8_t *buf = av_malloc(len);
    if (buf == NULL)
        return AVERROR(ENOMEM);
    int n = first_bytes(in, buf, len), got = 0;
    uint32_t serial = n >= 27 ? AV_RL32(buf + 14) : 0;
    /* the first page whose granule position counts samples: is it the last one as well? */
    for (int pos = 0, size; n > 0 && (size = ogg_page_size(buf + pos, n - pos)) > 0 &&
                           pos + size <= n; pos += size) {
        int64_t granule = (int64_t)AV_RL64(buf + pos + 6);
        if (AV_RL32(buf + pos + 14) != serial || granule <= 0)
            continue;
        if (buf[pos + 5] & 4) {
            in->ogg_single_page = 1;
            in->ogg_end = granule;
        }
        break;
    }
    /* a chain: the file ends in another logical stream than it starts with; where the end
     * cannot be read (no seeking), one may follow, whose timestamps start again */
    int64_t size = n >= 27 && in->fmt->pb != NULL ? avio_size(in->fmt->pb) : -1;
    int seekable = in->fmt->pb != NULL && (in->fmt->pb->seekable & AVIO_SEEKABLE_NORMAL);
    if (size <= 0 || !seekable)
        in->ogg_unplaced = 1;
    if (size > 0 && seekable) {
        int tail = size > len ? len : (int)size;
        got = da__io_read_at(in->fmt->pb, size - tail, buf, tail);
        for (int p = got - 27; p >= 0; p--)
            if (ogg_page_size(buf + p, got - p) > 0 && p + ogg_page_size(buf + p, got - p) == got) {
                in->ogg_unplaced = AV_RL32(buf + p + 14) != serial;
                break;
            }
    }
    av_free(buf);
    const AVStream *st = in->stream;
    if (st->start_time != AV_NOPTS_VALUE && st->start_time > 0)
        in->ogg_unplaced = 1;
    return n < 0 ? n : got < 0 ? got : 0;
}

/* MPEG audio read by FFmpeg's MP3 demuxer: its packets are restated (place_mpa_packet), and
 * a non-seekable one's LAME padding is marked as FFmpeg marks it when it can seek: from the
 * Xing/Info frame's count less the padding, plus the decoder's delay (529). */
static void inspect_mpa(da_input *in)
{
    enum AVCodecID id = in->stream->codecpar->codec_id;
    in->mpa = strcmp(in->fmt->iformat->name, "mp3") == 0 &&
              (id == AV_CODEC_ID_MP1 || id == AV_CODEC_ID_MP2 || id == AV_CODEC_ID_MP3);
    const uint8_t *p = in->io.head;
    int size = in->io.head_size;
    if (!in->mpa || p == NULL)
        return;
    /* the first frame, right after the ID3v2 tag where FFmpeg looks for it */
    int pos = da__id3v2_size(p, size), delay, padding, per_frame;
    int64_t frames;
    if (pos >= size || da__mpa_lame_tag(p + pos, size - pos, &frames, &delay, &padding,
                                        &per_frame) < 0 || frames <= 0)
        return;
    in->mpa_last_discard = frames * per_frame;
    in->mpa_first_discard = in->mpa_last_discard - padding + 529;
}

int da__input_open(const da_source *src, const da_open_options *opt, da_input **out,
                   char *err, size_t err_size)
{
    *out = NULL;
    da__log_init();
    da__log_reset();
    if (src == NULL || opt == NULL || da__source_check(src) < 0)
        return da__failmsg(DA_ERR_ARGUMENT, err, err_size, "open: invalid source");
    AVDictionary *options = NULL;
    char *url = NULL;
    da_input *in = av_mallocz(sizeof *in);
    if (in == NULL)
        return da__fail(AVERROR(ENOMEM), err, err_size, "open");
    in->stream_index = -1;
    in->discard_until = INT64_MIN;
    in->entry_pts = AV_NOPTS_VALUE;
    da__source_name(src, in->name, sizeof in->name);
    in->pkt = av_packet_alloc();
    in->fmt = avformat_alloc_context();
    int ret = in->pkt == NULL || in->fmt == NULL ? AVERROR(ENOMEM) : 0;
    if (ret < 0)
        goto fail;
    const AVInputFormat *ifmt = NULL;
    ret = named_format(in, opt->format, &ifmt, err, err_size);
    if (ret < 0)
        goto end;
    ret = da__io_prepare(&in->io, src, opt, ifmt, in->fmt, &options, &url);
    if (ret < 0)
        goto fail;
    /* a path whose extension and first bytes agree names its demuxer: no probing (sniff.c) */
    uint32_t mpa_header = 0;
    int sniffed = 0;
    if (ifmt == NULL && opt->formats == NULL)
        sniffed = (ifmt = da__sniff_format(src, &mpa_header)) != NULL;
    ret = open_demuxer(in, url, ifmt, &options, err, err_size);
    if (ret < 0)
        goto end;
    ret = read_stream_info(in, sniffed, mpa_header);
    if (ret < 0 || in->io.callback_failed) {
        ret = in->io.callback_failed ? DA_ERR_CALLBACK : ret;
        da__fail(ret, err, err_size, "open '%s': reading stream info", in->name);
        goto end;
    }
    ret = fix_rifx_codec(in);
    if (ret < 0)
        goto fail;
    ret = open_decoder(in, opt, err, err_size);
    if (ret >= 0 && (ret = inspect_ogg(in)) < 0)
        goto fail;
    if (ret >= 0)
        inspect_mpa(in);
    goto end;

fail:
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
    da__io_close(&in->io);
    av_packet_free(&in->pkt);
    av_freep(inp);
}

int da__input_rewind(da_input *in)
{
    AVStream *st = in->stream;
    int64_t ts = st->start_time != AV_NOPTS_VALUE ? st->start_time : 0;
    in->discard_until = INT64_MIN;
    in->entry_pts = AV_NOPTS_VALUE;
    in->draining = 0;
    in->mpa_count = 0;
    in->mpa_skip = 0;
    int ret = avformat_seek_file(in->fmt, in->stream_index, INT64_MIN, ts, ts, 0);
    if (ret < 0)
        return ret;
    avcodec_flush_buffers(in->dec);
    return 0;
}

int da__packet_marks(const AVPacket *pkt, int64_t *skip, int64_t *pad)
{
    size_t size = 0;
    const uint8_t *sd = av_packet_get_side_data(pkt, AV_PKT_DATA_SKIP_SAMPLES, &size);
    if (sd == NULL || size < 8)
        return 0;
    *skip = (int32_t)AV_RL32(sd) > 0 ? (int32_t)AV_RL32(sd) : 0;
    *pad = (int32_t)AV_RL32(sd + 4);
    return 1;
}

int64_t da__kept_frames(int64_t frames, int64_t *skip, int64_t pad)
{
    if (*skip >= frames) {
        *skip -= frames;
        return 0;
    }
    frames -= *skip;
    *skip = 0;
    return pad > 0 && pad <= frames ? frames - pad : frames;
}

/* The end padding of a non-seekable MP3's LAME tag, marked on the packet as FFmpeg's demuxer
 * marks it when it can seek (it reads the tag either way, but applies the padding only
 * then): the packet's samples at or past first_discard, if it starts before last_discard. */
static int mark_mpa_padding(da_input *in, AVPacket *pkt, AVRational per_sample)
{
    AVRational tb = in->stream->time_base;
    if (in->mpa_last_discard <= 0 || pkt->pts == AV_NOPTS_VALUE || pkt->duration <= 0)
        return 0;
    int64_t sample = av_rescale_q(pkt->pts, tb, per_sample);
    int64_t duration = av_rescale_q(pkt->duration, tb, per_sample), end = sample + duration;
    if (end < in->mpa_first_discard || sample >= in->mpa_last_discard)
        return 0;
    int64_t pad = end - in->mpa_first_discard < duration ? end - in->mpa_first_discard : duration;
    size_t size = 0;
    uint8_t *sd = av_packet_get_side_data(pkt, AV_PKT_DATA_SKIP_SAMPLES, &size);
    if (sd == NULL || size < 10) {
        sd = av_packet_new_side_data(pkt, AV_PKT_DATA_SKIP_SAMPLES, 10);
        if (sd == NULL)
            return AVERROR(ENOMEM);
        memset(sd, 0, 10);
    }
    AV_WL32(sd + 4, (uint32_t)pad);
    return 0;
}

/* Restates an MPEG audio packet's timestamp as where a full decode puts its samples: after
 * the samples the packets before it decode to (their frames, less the marks), so a window
 * entered by skipping packets counts as a full decode does past a rejected packet or
 * padding cut mid-stream. */
static int place_mpa_packet(da_input *in, AVPacket *pkt)
{
    AVRational tb = in->stream->time_base, per_sample = {1, in->dec->sample_rate};
    if (in->dec->sample_rate <= 0 || in->mpa_count < 0)
        return 0;
    int ret = mark_mpa_padding(in, pkt, per_sample);
    if (ret < 0)
        return ret;
    int64_t skip = 0, pad = 0;
    /* libavcodec takes each marked packet's skip in place of what was left */
    if (da__packet_marks(pkt, &skip, &pad))
        in->mpa_skip = skip;
    int64_t skip_before = in->mpa_skip;
    int64_t frames = da__mpa_packet_samples(pkt->data, pkt->size);
    int64_t kept = da__kept_frames(frames, &in->mpa_skip, pad);
    if (pkt->pts != AV_NOPTS_VALUE) {
        /* the decoder stamps its output with the packet's timestamp plus the skip it drops */
        const AVStream *st = in->stream;
        int64_t origin = st->start_time != AV_NOPTS_VALUE
                         ? av_rescale_q(st->start_time, tb, per_sample) : 0;
        int64_t at = origin + in->mpa_count - (skip_before - in->mpa_skip);
        pkt->pts = pkt->dts = av_rescale_q(at, per_sample, tb);
    }
    in->mpa_count += kept;
    return 0;
}

int da__read_packet(da_input *in)
{
    int ret = av_read_frame(in->fmt, in->pkt);
    if (ret < 0 || !in->mpa || in->pkt->stream_index != in->stream_index)
        return ret;
    ret = place_mpa_packet(in, in->pkt);
    if (ret < 0)
        av_packet_unref(in->pkt);
    return ret;
}

/* Counts a packet the decoder rejected; nonzero when that fails the decode. */
static int rejected(da_input *in, int code)
{
    if (in->decode_errors++ == 0)
        in->first_error = code;
    return in->fail_on_error;
}

/* Reads the next packet of the stream and sends it to the decoder (or, at the end of the
 * input, the flush packet). Packets wholly before a window's preroll are never decoded. */
static int feed_decoder(da_input *in)
{
    int ret = da__read_packet(in);
    if (in->io.callback_failed)
        return DA_ERR_CALLBACK;
    if (ret == AVERROR(ENOMEM) || ret == AVERROR_EXIT)
        return ret;
    if (ret < 0) {
        /* end of input, or a read error, which ends it the way the ffmpeg CLI does */
        if (ret != AVERROR_EOF && in->fail_on_error)
            return ret;
        in->draining = 1;
        ret = avcodec_send_packet(in->dec, NULL);
        return ret < 0 && ret != AVERROR_EOF ? ret : 0;
    }
    if (in->pkt->stream_index != in->stream_index ||
        (in->pkt->pts != AV_NOPTS_VALUE && in->pkt->duration > 0 &&
         in->pkt->pts + in->pkt->duration <= in->discard_until)) {
        av_packet_unref(in->pkt);
        return 0;
    }
    if (in->ogg_single_page) {
        /* FFmpeg's end trimming of such a stream is off by a block: the sink ends it at the
         * page's granule position instead (da__stream_end) */
        uint8_t *sd = av_packet_get_side_data(in->pkt, AV_PKT_DATA_SKIP_SAMPLES, NULL);
        if (sd != NULL)
            AV_WL32(sd + 4, 0);
    }
    /* a packet without a timestamp (FFmpeg 7's FLAC parser resyncing in damaged data) starts
     * where the one before it ended */
    in->sent_pts = in->pkt->pts != AV_NOPTS_VALUE ? in->pkt->pts : in->sent_end;
    in->sent_end = in->sent_pts != AV_NOPTS_VALUE && in->pkt->duration > 0
                   ? in->sent_pts + in->pkt->duration : AV_NOPTS_VALUE;
    if (in->entry_pts == AV_NOPTS_VALUE)
        in->entry_pts = in->pkt->pts;
    if (in->stream->codecpar->codec_id == AV_CODEC_ID_OPUS && in->pkt->size > 0 &&
        (in->pkt->data[0] >> 3) < 16)
        in->silk_packets++;
    ret = avcodec_send_packet(in->dec, in->pkt);
    av_packet_unref(in->pkt);
    if (ret < 0 && ret != AVERROR(EAGAIN) && (ret == AVERROR(ENOMEM) || rejected(in, ret)))
        return ret;
    return 0;
}

int da__next_frame(da_input *in, AVFrame *frame)
{
    for (;;) {
        int ret = avcodec_receive_frame(in->dec, frame);
        if (ret >= 0 && frame->nb_samples > 0)
            return 0;
        if (ret >= 0) {
            av_frame_unref(frame);
            continue;
        }
        if (ret == AVERROR_EOF)
            return AVERROR_EOF;
        if (ret != AVERROR(EAGAIN)) {
            /* a corrupt packet: skip it, as the ffmpeg CLI does */
            if (rejected(in, ret))
                return ret;
            continue;
        }
        if (in->draining)
            return AVERROR_EOF;
        ret = feed_decoder(in);
        if (ret < 0)
            return ret;
    }
}

/* ---- stream facts ---- */

int da__input_is_mov(const da_input *in)
{
    return strncmp(in->fmt->iformat->name, "mov,", 4) == 0;
}

int da__aac_maybe_silent(const da_input *in, const uint8_t *p, int n)
{
    int at = 0;
    if (in->stream->codecpar->extradata_size <= 0) {
        /* ADTS: 12 sync bits, layer 0; the header is 7 bytes, 9 with its CRC */
        if (n < 7 || p[0] != 0xff || (p[1] & 0xf6) != 0xf0 || (p[6] & 3) != 0)
            return 1;
        at = (p[1] & 1) ? 7 : 9;
    }
    if (n <= at)
        return 1;
    int id = p[at] >> 5;
    return !(id == 0 || id == 1 || id == 3);
}

int da__mov_aac_next_quiet(da_input *in, int64_t *i, int64_t before, uint8_t *buf, int *size)
{
    AVStream *st = in->stream;
    int64_t entries = avformat_index_get_entries_count(st);
    for (; *i < entries; (*i)++) {
        const AVIndexEntry *e = avformat_index_get_entry(st, (int)*i);
        if (e == NULL || e->timestamp >= before)
            return 0;
        if (e->size <= 0 || e->size > DA_QUIET_MAX)
            continue;
        AVIOContext *pb = in->fmt->pb;
        if (pb == NULL || !(pb->seekable & AVIO_SEEKABLE_NORMAL))
            return AVERROR(ESPIPE);
        /* read in the index's order, forward: the MP4 demuxer seeks to each packet itself */
        int64_t at = avio_seek(pb, e->pos, SEEK_SET);
        int got = at < 0 ? (int)at : avio_read(pb, buf, e->size);
        if (in->io.callback_failed)
            return DA_ERR_CALLBACK;
        if (got == AVERROR_EOF)
            return 0;
        if (got < 0)
            return got;
        memset(buf + got, 0, AV_INPUT_BUFFER_PADDING_SIZE);
        if (got == e->size && da__aac_maybe_silent(in, buf, got)) {
            *size = got;
            (*i)++;
            return 1;
        }
    }
    return 0;
}

int64_t da__stream_end(const da_input *in)
{
    const AVStream *st = in->stream;
    enum AVCodecID id = st->codecpar->codec_id;
    const char *demuxer = in->fmt->iformat->name;
    int rate = in->dec->sample_rate;
    if (in->ogg_single_page)
        return in->ogg_end;
    /* an Ogg stream's last granule position ends it, in a window as in a full decode */
    int ogg = strcmp(demuxer, "ogg") == 0 && !in->ogg_unplaced &&
              (id == AV_CODEC_ID_VORBIS || id == AV_CODEC_ID_FLAC) &&
              (st->start_time == AV_NOPTS_VALUE || st->start_time <= 0);
    int mov_aac = da__input_is_mov(in) && id == AV_CODEC_ID_AAC;
    if (!(ogg || mov_aac) || rate <= 0 || st->duration == AV_NOPTS_VALUE || st->duration <= 0)
        return -1;
    return av_rescale_q(st->duration, st->time_base, (AVRational){1, rate});
}

int da__input_counts_samples(const da_input *in)
{
    AVRational tb = in->stream->time_base;
    int rate = in->dec->sample_rate;
    return rate > 0 && tb.num > 0 && tb.den % ((int64_t)rate * tb.num) == 0;
}

int da__index_unreachable(const da_input *in)
{
    int seekable = in->fmt->pb != NULL && (in->fmt->pb->seekable & AVIO_SEEKABLE_NORMAL);
    if (!da__input_is_mov(in) || seekable || in->fmt->pb == NULL)
        return 0;
    /* with the index after the audio, reading the header went past the first packet, which
     * stays reachable while it is still in the I/O buffer (a small file) */
    AVStream *st = in->stream;
    AVIOContext *pb = in->fmt->pb;
    const AVIndexEntry *first =
        avformat_index_get_entries_count(st) > 0 ? avformat_index_get_entry(st, 0) : NULL;
    return first != NULL && first->pos < avio_tell(pb) - (int64_t)(pb->buf_ptr - pb->buffer);
}

int da__unreachable_error(const da_input *in, char *err, size_t err_size)
{
    return da__failmsg(AVERROR_INVALIDDATA, err, err_size,
                       "open '%s': this MP4/M4A keeps its index (moov) after the audio, which "
                       "a non-seekable source cannot reach; pass a seekable file, bytes, or a "
                       "file remuxed with -movflags +faststart",
                       in->name);
}
