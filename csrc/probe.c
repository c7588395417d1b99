/* probe.c - what an input holds: stream parameters, codec, tags and a frame count (exact on
 * request: by demuxing or decoding). */
#include <string.h>

#include <libavutil/avstring.h>
#include <libavutil/crc.h>
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

/* The index after the last sample of the FLAC frame whose header is at p[0..n)
 * (`fixed_block` being STREAMINFO's largest block size); -1 when p holds no valid header (its
 * CRC-8 included) or its frame does not run to p[n - 1] (its CRC-16). */
static int64_t flac_frame_end(const uint8_t *p, int n, int fixed_block)
{
    if (n < 16 || p[0] != 0xff || (p[1] & 0xfe) != 0xf8)
        return -1;
    int variable = p[1] & 1, bs_code = p[2] >> 4, sr_code = p[2] & 15;
    int q = 4, first = p[q], nlen = 1;
    if (first >= 0xc0 && first < 0xfe)
        while (nlen < 7 && (first << nlen) & 0x80)
            nlen++;
    else if (first >= 0x80)
        return -1;
    int64_t number = nlen == 1 ? first : first & (0x3f >> (nlen - 1));
    for (int i = 1; i < nlen; i++)
        number = (number << 6) | (p[q + i] & 0x3f);
    q += nlen;
    int64_t bs;
    if (bs_code == 0 || q + 4 > n)
        return -1;
    if (bs_code == 1)
        bs = 192;
    else if (bs_code <= 5)
        bs = 576 << (bs_code - 2);
    else if (bs_code == 6)
        bs = p[q++] + 1;
    else if (bs_code == 7)
        bs = AV_RB16(p + q) + 1, q += 2;
    else
        bs = 256 << (bs_code - 8);
    q += sr_code == 12 ? 1 : (sr_code == 13 || sr_code == 14) ? 2 : 0;
    if (sr_code == 15 || av_crc(av_crc_get_table(AV_CRC_8_ATM), 0, p, q + 1) != 0 ||
        av_crc(av_crc_get_table(AV_CRC_16_ANSI), 0, p, n) != 0)
        return -1;
    return variable ? number + bs : number * fixed_block + bs;
}

/* Where a FLAC stream ends, from its last frame's header: the frame that ends the file (its
 * CRC-16 runs to the last byte) within the last 256 KiB; -1 when none is found there or the
 * input cannot seek. STREAMINFO's total is only what the encoder wrote: tools that cut, join
 * or stream FLAC leave it wrong or zero. */
static int64_t flac_last_frame_end(const da_input *in)
{
    AVIOContext *pb = in->fmt->pb;
    const AVCodecParameters *par = in->stream->codecpar;
    int64_t size = pb != NULL ? avio_size(pb) : -1;
    if (size <= 0 || par->extradata_size < 34)
        return -1;
    int fixed_block = AV_RB16(par->extradata + 2); /* STREAMINFO's largest block size */
    int len = size > (256 << 10) ? (256 << 10) : (int)size;
    uint8_t *buf = av_malloc(len);
    if (buf == NULL)
        return -1;
    int64_t end = -1;
    if (da__io_read_at(pb, size - len, buf, len) == len)
        for (int p = len - 16; p >= 0 && end < 0; p--)
            end = flac_frame_end(buf + p, len - p, fixed_block);
    av_free(buf);
    return end;
}

/* Whether the input holds the `frames` of PCM its header claims (a file cut short claims more
 * than it holds, and decoding ends where the bytes do): the input's size at least covers
 * them, and for a WAV (RIFF, RIFX, RF64, BW64) they fit between its 'data' chunk's start and
 * the end. 0 where that cannot be told (no seeking, the 'data' chunk past the first bytes). */
static int pcm_data_within(const da_input *in, int64_t frames)
{
    AVIOContext *pb = in->fmt->pb;
    const AVCodecParameters *par = in->stream->codecpar;
    int64_t size = pb != NULL && (pb->seekable & AVIO_SEEKABLE_NORMAL) ? avio_size(pb) : -1;
    int64_t frame_bytes = par->block_align > 0 ? par->block_align
                          : (int64_t)av_get_bits_per_sample(par->codec_id) *
                                par->ch_layout.nb_channels / 8;
    if (size <= 0 || frame_bytes <= 0 || frames > size / frame_bytes)
        return 0;
    int64_t bytes = frames * frame_bytes;
    if (strcmp(in->fmt->iformat->name, "wav") != 0)
        return 1;
    const int len = DA_HEAD_SIZE;
    uint8_t *p = av_malloc(len);
    if (p == NULL)
        return 0;
    int n = da__io_read_at(pb, 0, p, size < len ? (int)size : len), within = 0;
    int riff = n >= 12 && memcmp(p + 8, "WAVE", 4) == 0 &&
               (memcmp(p, "RIFF", 4) == 0 || memcmp(p, "RIFX", 4) == 0 ||
                memcmp(p, "RF64", 4) == 0 || memcmp(p, "BW64", 4) == 0);
    int big = n >= 4 && memcmp(p, "RIFX", 4) == 0;
    for (int64_t at = 12; riff && at + 8 <= n;) {
        uint32_t chunk = big ? AV_RB32(p + at + 4) : AV_RL32(p + at + 4);
        if (memcmp(p + at, "data", 4) == 0) {
            within = at + 8 + bytes <= size;
            break;
        }
        at += 8 + (int64_t)chunk + (chunk & 1);
    }
    av_free(p);
    return within;
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
    if (ogg && in->ogg_unplaced) {
        /* counted by decoding */
    } else if (par->codec_id == AV_CODEC_ID_OPUS && ogg) {
        /* the granule count includes the encoder's priming, which decoding drops */
        n -= par->initial_padding;
        *exact = 1;
    } else if (pcm && in->fmt->duration_estimation_method != AVFMT_DURATION_FROM_BITRATE) {
        /* the header's size is a hint, taken when the input holds that much */
        *exact = pcm_data_within(in, n);
    } else if (par->codec_id == AV_CODEC_ID_VORBIS && ogg) {
        *exact = 1;
    } else if (par->codec_id == AV_CODEC_ID_FLAC && strcmp(container, "flac") == 0) {
        /* STREAMINFO's total is a hint, taken when the last frame ends there */
        *exact = flac_last_frame_end(in) == n;
    }
    return n > 0 ? n : 0;
}

/* AAC packets are decoded at the start until one gives audio, for the packets before it,
 * which the container times but the decoder turns into nothing: an AAC frame holding only a
 * program config or fill element (some encoders start with one), or one the decoder rejects. */
#define MAX_HEAD_PACKETS 16

/* The decoder, set not to trim (AV_CODEC_FLAG2_SKIP_MANUAL), for looking at the first
 * packets; head_end() puts it back as it was. */
typedef struct head_look {
    AVFrame *frame;
    int flags2;               /* the decoder's own */
    int silent;               /* packets that decoded to nothing */
} head_look;

static int head_start(da_input *in, head_look *h)
{
    h->silent = 0;
    h->flags2 = in->dec->flags2;
    h->frame = av_frame_alloc();
    if (h->frame == NULL)
        return AVERROR(ENOMEM);
    in->dec->flags2 |= AV_CODEC_FLAG2_SKIP_MANUAL;
    return 0;
}

/* Decodes one packet: the frames it gave in *got (0 for nothing, counted in h->silent);
 * AVERROR(ENOSYS) past MAX_HEAD_PACKETS of nothing. */
static int head_packet(da_input *in, head_look *h, AVPacket *pkt, int *got)
{
    *got = 0;
    int ret = avcodec_send_packet(in->dec, pkt);
    if (ret >= 0) {
        ret = avcodec_receive_frame(in->dec, h->frame);
        *got = ret >= 0 ? h->frame->nb_samples : 0;
        av_frame_unref(h->frame);
    }
    if (ret == AVERROR(ENOMEM))
        return ret;
    if (*got == 0 && ++h->silent >= MAX_HEAD_PACKETS)
        return AVERROR(ENOSYS);
    return 0;
}

static int head_end(da_input *in, head_look *h, int ret)
{
    if (h->frame != NULL) {
        in->dec->flags2 = h->flags2;
        avcodec_flush_buffers(in->dec);
    }
    av_frame_free(&h->frame);
    return in->io.callback_failed ? DA_ERR_CALLBACK : ret;
}

/* Packets found in an MP4's index that may decode to nothing are decoded to see, up to this
 * many; past it the count is left to decoding. */
#define MAX_QUIET_PACKETS 256

/* An MP4's AAC decodes to the index's packets less those that give nothing (at the start,
 * and later ones the index shows may: da__mov_aac_next_quiet), of the first audio frame's
 * size each, less the start skip; the container's duration (its edit list, or the packets'
 * times without one) can only end it earlier. Lowers *count to that; leaves it where the
 * index is unusable, and clears *exact where the packets that may give nothing are too many
 * to decode. */
static int mov_aac_frames(da_input *in, int64_t *count, int *exact)
{
    int64_t entries = avformat_index_get_entries_count(in->stream);
    if (entries <= 0)
        return 0;
    head_look h;
    int ret = head_start(in, &h), out = 0, first = 1;
    int64_t skip = 0, pad = 0, read = 0;
    while (ret >= 0 && out == 0 && (ret = da__read_packet(in)) >= 0) {
        if (in->pkt->stream_index == in->stream_index) {
            if (first)
                da__packet_marks(in->pkt, &skip, &pad);
            first = 0;
            read++;
            ret = head_packet(in, &h, in->pkt, &out);
        }
        av_packet_unref(in->pkt);
    }
    /* the packets after those that may give nothing too */
    uint8_t quiet[DA_QUIET_MAX + AV_INPUT_BUFFER_PADDING_SIZE];
    int size = 0, found = 0, got = 0;
    for (int64_t i = read; ret >= 0 && out > 0 &&
                           (ret = da__mov_aac_next_quiet(in, &i, INT64_MAX, quiet, &size)) > 0;) {
        if (++found > MAX_QUIET_PACKETS || (ret = av_new_packet(in->pkt, size)) < 0)
            break;
        memcpy(in->pkt->data, quiet, (size_t)size);
        ret = head_packet(in, &h, in->pkt, &got);
        av_packet_unref(in->pkt);
    }
    /* without seeking, the packets cannot be read ahead: the index's count is an estimate */
    if (ret == AVERROR(ESPIPE))
        *exact = 0, ret = 0;
    if (found > MAX_QUIET_PACKETS || (ret < 0 && ret != AVERROR_EOF))
        *exact = 0;
    ret = head_end(in, &h, ret);
    if (ret == DA_ERR_CALLBACK || ret == AVERROR(ENOMEM))
        return ret;
    int64_t n = out > 0 ? (entries - h.silent) * out - skip : INT64_MAX;
    if (n < *count)
        *count = n > 0 ? n : 0;
    return 0;
}

/* The frame count in the 'data' chunk size of a PCM WAV read without seeking, which FFmpeg
 * leaves unset when it cannot learn the input's size: from the first bytes read (in->io.head),
 * an estimate (the input may be cut short, which only reading it through shows). -1 where the
 * header holds no count (a streamed WAV writes 0 or 0xFFFFFFFF) or is not among those bytes. */
static int64_t unseekable_wav_frames(const da_input *in)
{
    const uint8_t *p = in->io.head;
    int n = in->io.head_size;
    const AVCodecParameters *par = in->stream->codecpar;
    if (p == NULL || n < 12 || strcmp(in->fmt->iformat->name, "wav") != 0 ||
        !da__codec_is_pcm(par->codec_id) || par->block_align <= 0 ||
        memcmp(p, "RIFF", 4) != 0 || memcmp(p + 8, "WAVE", 4) != 0)
        return -1;
    for (int64_t at = 12; at + 8 <= n;) {
        uint32_t size = AV_RL32(p + at + 4);
        if (memcmp(p + at, "data", 4) == 0)
            return size == 0 || size == 0xFFFFFFFFu ? -1 : (int64_t)(size / par->block_align);
        at += 8 + (int64_t)size + (size & 1);
    }
    return -1;
}

/* The header's count, flagged in *exact where it is certain: header_frames(), or for a WAV
 * read without seeking, its 'data' chunk size as an estimate. */
static int64_t header_count(const da_input *in, int *exact)
{
    int64_t n = header_frames(in, exact);
    int64_t wav_frames = *exact ? -1 : unseekable_wav_frames(in);
    return wav_frames >= 0 ? wav_frames : n;
}

/* Counts the frames a full decode gives from packet durations, less the priming and padding
 * the container marks for removal (da__kept_frames): exact for codecs whose every packet decodes
 * to its duration, where timestamps count whole samples. A count is never negative. */
static int count_by_demuxing(da_input *in, int64_t *count)
{
    if (!da__input_counts_samples(in))
        return AVERROR(ENOSYS);
    AVRational tb = in->stream->time_base, per_sample = {1, in->dec->sample_rate};
    /* AAC's first packets are decoded until one gives audio: those before it count nothing;
     * so do those later that may give nothing (da__aac_maybe_silent) */
    int aac = in->stream->codecpar->codec_id == AV_CODEC_ID_AAC, head = aac;
    head_look h = {0};
    int ret = head ? head_start(in, &h) : 0;
    int64_t n = 0, skip = 0;
    AVPacket *pkt = in->pkt;
    while (ret >= 0 && (ret = da__read_packet(in)) >= 0) {
        if (pkt->stream_index == in->stream_index) {
            int64_t frames = av_rescale_q(pkt->duration, tb, per_sample), pad = 0;
            int got = 1;
            da__packet_marks(pkt, &skip, &pad);
            if (pkt->duration <= 0)
                ret = AVERROR(ENOSYS);
            else if ((head || (aac && da__aac_maybe_silent(in, pkt->data, pkt->size))) &&
                     (ret = head_packet(in, &h, pkt, &got)) >= 0)
                head = head && got == 0;
            n += ret >= 0 && got > 0 ? da__kept_frames(frames, &skip, pad) : 0;
        }
        av_packet_unref(pkt);
    }
    ret = head_end(in, &h, ret);
    if (ret == DA_ERR_CALLBACK || ret == AVERROR(ENOMEM) || ret == AVERROR(ENOSYS))
        return ret;
    /* MPEG audio: what its packets' frames decode to, which a packet the decoder rejects
     * (garbage between frames) leaves out (da__read_packet) */
    *count = in->mpa && in->mpa_count >= 0 ? in->mpa_count : n;
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
    /* a full decode ends where the container says (da__stream_end), as the sink ends it */
    int64_t end = da__stream_end(in);
    *count = end >= 0 && end < n ? end : n;
    return 0;
}

/* Betters the header's count in info where that is cheap (MP4's AAC), and where
 * `count_exactly` asks and the header's is not certain, counts: by demuxing where that is
 * exact, else by decoding. */
static int count_frames(da_input *in, int count_exactly, da_info *info)
{
    enum AVCodecID id = in->stream->codecpar->codec_id;
    int ret = 0;
    /* cheap (a packet or two), so done for estimates too, which the header's count says are
     * exact for MP4 */
    int mov_aac = info->num_frames_exact && id == AV_CODEC_ID_AAC && da__input_is_mov(in);
    if (mov_aac && (ret = mov_aac_frames(in, &info->num_frames, &info->num_frames_exact)) < 0)
        return ret;
    if (!count_exactly || info->num_frames_exact)
        return 0;
    /* mov_aac_frames read the first packets */
    if (mov_aac && (ret = da__input_rewind(in)) < 0)
        return ret;
    if (id == AV_CODEC_ID_MP3 || id == AV_CODEC_ID_MP2 || id == AV_CODEC_ID_AC3 ||
        id == AV_CODEC_ID_EAC3 || (id == AV_CODEC_ID_AAC && !da__input_is_mov(in))) {
        ret = count_by_demuxing(in, &info->num_frames);
        if (ret != AVERROR(ENOSYS)) {
            info->num_frames_exact = ret >= 0;
            return ret;
        }
        if ((ret = da__input_rewind(in)) < 0)
            return ret;
    }
    ret = count_by_decoding(in, &info->num_frames);
    info->num_frames_exact = ret >= 0;
    return ret;
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
    info->num_frames = header_count(in, &header_exact);
    info->num_frames_exact = header_exact;
    if (da__index_unreachable(in)) {
        ret = da__unreachable_error(in, err, err_size);
        goto end;
    }
    ret = count_frames(in, count_exactly, info);
    if (ret < 0)
        goto counting_failed;
    if (info->num_frames_exact && info->sample_rate > 0)
        info->duration = (double)info->num_frames / info->sample_rate;
    else if (in->fmt->duration != AV_NOPTS_VALUE && in->fmt->duration > 0)
        info->duration = (double)in->fmt->duration / AV_TIME_BASE;
    else if (info->num_frames > 0 && info->sample_rate > 0)
        info->duration = (double)info->num_frames / info->sample_rate; /* an estimate too */

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
