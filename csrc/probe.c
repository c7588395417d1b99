/* probe.c - what an input holds: stream parameters, codec, tags and a frame count (exact on
 * request: by demuxing or decoding). */
#include <string.h>

#include <libavutil/avstring.h>
#include <libavutil/intreadwrite.h>

#include "internal.h"

/* torchaudio's encoding names; codecs it has no name for are named after FFmpeg's codec. */
static void encoding_name(enum AVCodecID id, char *out, size_t out_size)
{
    static const struct { enum AVCodecID id; const char *name; } table[] = {
        {AV_CODEC_ID_PCM_S8, "PCM_S"},       {AV_CODEC_ID_PCM_S16LE, "PCM_S"},
        {AV_CODEC_ID_PCM_S16BE, "PCM_S"},    {AV_CODEC_ID_PCM_S24LE, "PCM_S"},
        {AV_CODEC_ID_PCM_S24BE, "PCM_S"},    {AV_CODEC_ID_PCM_S32LE, "PCM_S"},
        {AV_CODEC_ID_PCM_S32BE, "PCM_S"},    {AV_CODEC_ID_PCM_S64LE, "PCM_S"},
        {AV_CODEC_ID_PCM_S64BE, "PCM_S"},    {AV_CODEC_ID_PCM_S16LE_PLANAR, "PCM_S"},
        {AV_CODEC_ID_PCM_S24LE_PLANAR, "PCM_S"}, {AV_CODEC_ID_PCM_S32LE_PLANAR, "PCM_S"},
        {AV_CODEC_ID_PCM_S8_PLANAR, "PCM_S"}, {AV_CODEC_ID_PCM_S16BE_PLANAR, "PCM_S"},
        {AV_CODEC_ID_PCM_U8, "PCM_U"},       {AV_CODEC_ID_PCM_U16LE, "PCM_U"},
        {AV_CODEC_ID_PCM_U16BE, "PCM_U"},    {AV_CODEC_ID_PCM_U24LE, "PCM_U"},
        {AV_CODEC_ID_PCM_U24BE, "PCM_U"},    {AV_CODEC_ID_PCM_U32LE, "PCM_U"},
        {AV_CODEC_ID_PCM_U32BE, "PCM_U"},    {AV_CODEC_ID_PCM_F32LE, "PCM_F"},
        {AV_CODEC_ID_PCM_F32BE, "PCM_F"},    {AV_CODEC_ID_PCM_F64LE, "PCM_F"},
        {AV_CODEC_ID_PCM_F64BE, "PCM_F"},    {AV_CODEC_ID_PCM_F16LE, "PCM_F"},
        {AV_CODEC_ID_PCM_F24LE, "PCM_F"},    {AV_CODEC_ID_FLAC, "FLAC"},
        {AV_CODEC_ID_PCM_MULAW, "ULAW"},     {AV_CODEC_ID_PCM_ALAW, "ALAW"},
        {AV_CODEC_ID_MP3, "MP3"},            {AV_CODEC_ID_VORBIS, "VORBIS"},
        {AV_CODEC_ID_AMR_NB, "AMR_NB"},      {AV_CODEC_ID_AMR_WB, "AMR_WB"},
        {AV_CODEC_ID_OPUS, "OPUS"},          {AV_CODEC_ID_GSM, "GSM"},
        {AV_CODEC_ID_GSM_MS, "GSM"},         {AV_CODEC_ID_AAC, "AAC"},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        if (table[i].id == id) {
            av_strlcpy(out, table[i].name, out_size);
            return;
        }
    }
    av_strlcpy(out, avcodec_get_name(id), out_size);
    for (char *p = out; *p; p++)
        *p = (char)av_toupper((unsigned char)*p);
}

/* Coded depth for PCM and lossless codecs, 0 for lossy ones. */
static int bits_per_sample(const AVCodecParameters *par)
{
    int bits = av_get_bits_per_sample(par->codec_id);
    const AVCodecDescriptor *d = avcodec_descriptor_get(par->codec_id);
    if (bits > 0 && da__codec_is_pcm(par->codec_id))
        return bits;
    if (d != NULL && (d->props & AV_CODEC_PROP_LOSSLESS) && !(d->props & AV_CODEC_PROP_LOSSY)) {
        if (par->bits_per_raw_sample > 0)
            return par->bits_per_raw_sample;
        if (par->bits_per_coded_sample > 0)
            return par->bits_per_coded_sample;
        return bits > 0 ? bits : av_get_bytes_per_sample((enum AVSampleFormat)par->format) * 8;
    }
    return 0;
}

/* The frame count from the header, and whether a full decode is known to give exactly that. */
static int64_t header_frames(const da_input *in, int *exact)
{
    const AVStream *st = in->stream;
    const AVCodecParameters *par = st->codecpar;
    int rate = par->sample_rate;
    *exact = 0;
    if (rate <= 0)
        return 0;
    int64_t end = da__stream_end(in);
    if (end >= 0) {
        /* decoding stops where the container says the stream ends */
        *exact = 1;
        return end;
    }
    if (st->duration == AV_NOPTS_VALUE || st->duration <= 0) {
        int64_t d = in->fmt->duration;
        return d != AV_NOPTS_VALUE && d > 0 ? av_rescale(d, rate, AV_TIME_BASE) : 0;
    }
    int64_t n = av_rescale_q(st->duration, st->time_base, (AVRational){1, rate});
    const char *container = in->fmt->iformat->name;
    int pcm = da__codec_is_pcm(par->codec_id);
    int ogg = strcmp(container, "ogg") == 0;
    if (par->codec_id == AV_CODEC_ID_OPUS && ogg) {
        /* the granule count includes the encoder's priming, which decoding drops */
        n -= par->initial_padding;
        *exact = 1;
    } else if ((pcm && in->fmt->duration_estimation_method != AVFMT_DURATION_FROM_BITRATE) ||
               (par->codec_id == AV_CODEC_ID_FLAC && strcmp(container, "flac") == 0) ||
               (par->codec_id == AV_CODEC_ID_VORBIS && ogg)) {
        *exact = 1;
    }
    return n > 0 ? n : 0;
}

/* Counts the frames a full decode gives from packet durations, less the priming and padding
 * the container marks for removal: exact for codecs whose every packet decodes to its duration. */
static int count_by_demuxing(da_input *in, int64_t *count)
{
    int64_t n = 0, trimmed = 0;
    int ret;
    AVPacket *pkt = in->pkt;
    while ((ret = av_read_frame(in->fmt, pkt)) >= 0) {
        if (pkt->stream_index == in->stream_index) {
            if (pkt->duration <= 0) {
                av_packet_unref(pkt);
                return AVERROR(ENOSYS);
            }
            n += pkt->duration;
            size_t size = 0;
            const uint8_t *skip = av_packet_get_side_data(pkt, AV_PKT_DATA_SKIP_SAMPLES, &size);
            if (skip != NULL && size >= 8)
                trimmed += (int64_t)AV_RL32(skip) + (int64_t)AV_RL32(skip + 4);
        }
        av_packet_unref(pkt);
    }
    if (in->io.callback_failed)
        return DA_ERR_CALLBACK;
    if (ret == AVERROR(ENOMEM))
        return ret;
    AVRational tb = in->stream->time_base;
    *count = av_rescale_q(n, tb, (AVRational){1, in->dec->sample_rate}) - trimmed;
    return 0;
}

/* Counts the frames a full decode gives by decoding: the last resort. */
static int count_by_decoding(da_input *in, int64_t *count)
{
    AVFrame *frame = av_frame_alloc();
    if (frame == NULL)
        return AVERROR(ENOMEM);
    int64_t n = 0;
    int ret;
    while ((ret = da__next_frame(in, frame)) >= 0) {
        n += frame->nb_samples;
        av_frame_unref(frame);
    }
    av_frame_free(&frame);
    if (ret != AVERROR_EOF)
        return ret;
    *count = n;
    return 0;
}

static int collect_tags(const AVDictionary *container, const AVDictionary *stream, da_info *info)
{
    const AVDictionary *dicts[2] = {container, stream};
    size_t size = 0;
    const AVDictionaryEntry *e;
    for (int i = 0; i < 2; i++)
        for (e = NULL; (e = av_dict_get(dicts[i], "", e, AV_DICT_IGNORE_SUFFIX)) != NULL;)
            size += strlen(e->key) + strlen(e->value) + 2;
    if (size == 0)
        return 0;
    info->tags = av_malloc(size);
    if (info->tags == NULL)
        return AVERROR(ENOMEM);
    char *p = info->tags;
    for (int i = 0; i < 2; i++) {
        for (e = NULL; (e = av_dict_get(dicts[i], "", e, AV_DICT_IGNORE_SUFFIX)) != NULL;) {
            size_t k = strlen(e->key) + 1, v = strlen(e->value) + 1;
            memcpy(p, e->key, k);
            memcpy(p + k, e->value, v);
            p += k + v;
        }
    }
    info->tags_size = (int64_t)size;
    return 0;
}

int da_probe(const da_source *src, const da_open_options *opt, int count_exactly, da_info *info,
             char *err, size_t err_size)
{
    if (info == NULL)
        return da__failmsg(DA_ERR_ARGUMENT, err, err_size, "probe: no output pointer");
    memset(info, 0, sizeof *info);
    da_input *in = NULL;
    int ret = da__input_open(src, opt, &in, err, err_size);
    if (ret < 0)
        return ret;
    /* durations and bit rates come from stream info, which decoding can do without */
    if (in->stream_info_skipped && (ret = avformat_find_stream_info(in->fmt, NULL)) < 0) {
        da__fail(ret, err, err_size, "open '%s': reading stream info", in->name);
        goto end;
    }

    const AVCodecParameters *par = in->stream->codecpar;
    info->sample_rate = in->dec->sample_rate;
    info->num_channels = in->dec->ch_layout.nb_channels;
    info->bits_per_sample = bits_per_sample(par);
    info->stream_index = in->stream_index;
    info->num_streams = (int32_t)in->fmt->nb_streams;
    info->bit_rate = par->bit_rate > 0 ? par->bit_rate : in->fmt->bit_rate;
    av_strlcpy(info->codec, avcodec_get_name(par->codec_id), sizeof info->codec);
    const AVCodecDescriptor *d = avcodec_descriptor_get(par->codec_id);
    av_strlcpy(info->codec_long, d != NULL && d->long_name ? d->long_name : "",
               sizeof info->codec_long);
    av_strlcpy(info->container, in->fmt->iformat->name, sizeof info->container);
    encoding_name(par->codec_id, info->encoding, sizeof info->encoding);
    const char *sf = av_get_sample_fmt_name(in->dec->sample_fmt);
    av_strlcpy(info->sample_format, sf ? sf : "", sizeof info->sample_format);
    ret = collect_tags(in->fmt->metadata, in->stream->metadata, info);
    if (ret < 0) {
        da__fail(ret, err, err_size, "probe '%s'", in->name);
        goto end;
    }

    int header_exact = 0;
    info->num_frames = header_frames(in, &header_exact);
    info->num_frames_exact = header_exact;
    if (da__index_unreachable(in)) {
        ret = da__unreachable_error(in, err, err_size);
        goto end;
    }
    enum AVCodecID id = par->codec_id;
    if (count_exactly && !header_exact &&
        (id == AV_CODEC_ID_MP3 || id == AV_CODEC_ID_MP2 || id == AV_CODEC_ID_AC3 ||
         id == AV_CODEC_ID_EAC3 || (id == AV_CODEC_ID_AAC && !da__input_is_mov(in)))) {
        ret = count_by_demuxing(in, &info->num_frames);
        if (ret >= 0)
            header_exact = info->num_frames_exact = 1;
        else if (ret != AVERROR(ENOSYS))
            goto counting_failed;
        else if ((ret = da__input_rewind(in)) < 0)
            goto counting_failed;
        ret = 0;
    }
    if (count_exactly && !header_exact) {
        ret = count_by_decoding(in, &info->num_frames);
        if (ret < 0)
            goto counting_failed;
        info->num_frames_exact = 1;
    }
    if (info->num_frames_exact && info->sample_rate > 0)
        info->duration = (double)info->num_frames / info->sample_rate;
    else if (in->fmt->duration != AV_NOPTS_VALUE && in->fmt->duration > 0)
        info->duration = (double)in->fmt->duration / AV_TIME_BASE;

    goto end;

counting_failed:
    da__fail(ret, err, err_size, "probe '%s': counting frames", in->name);
end:
    if (ret < 0)
        da_info_clear(info);
    da__input_close(&in);
    return ret;
}

void da_info_clear(da_info *info)
{
    if (info == NULL)
        return;
    av_freep(&info->tags);
    memset(info, 0, sizeof *info);
}
