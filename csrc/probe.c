/* probe.c - what an input holds: stream parameters, codec, tags and an exact frame count. */
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
    if (bits > 0 && d != NULL && strncmp(d->name, "pcm_", 4) == 0)
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

/* Where a FLAC stream ends, from its last frame's header: the frame that ends the file (its
 * CRC-16 runs to the last byte) within the last 256 KiB; -1 when none is found there or the
 * input cannot seek. The file position is restored. STREAMINFO's total is only what the
 * encoder wrote: tools that cut, join or stream FLAC leave it wrong or zero. */
static int64_t flac_last_frame_end(const da_input *in)
{
    AVIOContext *pb = in->fmt->pb;
    const AVCodecParameters *par = in->stream->codecpar;
    if (pb == NULL || !(pb->seekable & AVIO_SEEKABLE_NORMAL) || par->extradata_size < 34)
        return -1;
    int fixed_block = AV_RB16(par->extradata + 2); /* STREAMINFO's largest block size */
    int64_t size = avio_size(pb), here = avio_tell(pb);
    if (size <= 0 || here < 0)
        return -1;
    int len = size > (256 << 10) ? (256 << 10) : (int)size;
    uint8_t *buf = av_malloc(len);
    if (buf == NULL)
        return -1;
    int64_t end = -1;
    if (avio_seek(pb, size - len, SEEK_SET) >= 0 && avio_read(pb, buf, len) == len) {
        const AVCRC *crc8 = av_crc_get_table(AV_CRC_8_ATM);
        const AVCRC *crc16 = av_crc_get_table(AV_CRC_16_ANSI);
        for (int p = len - 16; p >= 0 && end < 0; p--) {
            if (buf[p] != 0xff || (buf[p + 1] & 0xfe) != 0xf8)
                continue;
            int variable = buf[p + 1] & 1, bs_code = buf[p + 2] >> 4, sr_code = buf[p + 2] & 15;
            int q = p + 4, first = buf[q], nlen = 1;
            if (first >= 0xc0 && first < 0xfe)
                while (nlen < 7 && (first << nlen) & 0x80)
                    nlen++;
            else if (first >= 0x80)
                continue;
            int64_t number = nlen == 1 ? first : first & (0x3f >> (nlen - 1));
            for (int i = 1; i < nlen; i++)
                number = (number << 6) | (buf[q + i] & 0x3f);
            q += nlen;
            int64_t bs;
            if (bs_code == 0 || q + 4 > len)
                continue;
            if (bs_code == 1)
                bs = 192;
            else if (bs_code <= 5)
                bs = 576 << (bs_code - 2);
            else if (bs_code == 6)
                bs = buf[q++] + 1;
            else if (bs_code == 7)
                bs = AV_RB16(buf + q) + 1, q += 2;
            else
                bs = 256 << (bs_code - 8);
            q += sr_code == 12 ? 1 : (sr_code == 13 || sr_code == 14) ? 2 : 0;
            if (sr_code == 15 || av_crc(crc8, 0, buf + p, q + 1 - p) != 0 ||
                av_crc(crc16, 0, buf + p, len - p) != 0)
                continue;
            end = variable ? number + bs : number * fixed_block + bs;
        }
    }
    av_free(buf);
    if (avio_seek(pb, here, SEEK_SET) < 0)
        return -1;
    return end;
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
    const AVCodecDescriptor *d = avcodec_descriptor_get(par->codec_id);
    const char *container = in->fmt->iformat->name;
    int pcm = d != NULL && strncmp(d->name, "pcm_", 4) == 0;
    int ogg = strcmp(container, "ogg") == 0;
    if (ogg && in->ogg_unplaced) {
        /* counted by decoding */
    } else if (par->codec_id == AV_CODEC_ID_OPUS && ogg) {
        /* the granule count includes the encoder's priming, which decoding drops */
        n -= par->initial_padding;
        *exact = 1;
    } else if ((pcm && in->fmt->duration_estimation_method != AVFMT_DURATION_FROM_BITRATE) ||
               (par->codec_id == AV_CODEC_ID_VORBIS && ogg)) {
        *exact = 1;
    } else if (par->codec_id == AV_CODEC_ID_FLAC && strcmp(container, "flac") == 0) {
        /* STREAMINFO's total is a hint, taken when the last frame ends there */
        *exact = flac_last_frame_end(in) == n;
    }
    return n > 0 ? n : 0;
}

static int is_mov(const da_input *in)
{
    return strncmp(in->fmt->iformat->name, "mov,", 4) == 0;
}

/* Frames an MP3 decodes to, from the Xing/Info frame's count less the LAME tag's encoder
 * delay and padding; -1 without them. FFmpeg reads this itself but applies the padding only
 * when it can seek, so a streamed MP3 would otherwise keep up to one codec frame of it. */
static int64_t lame_frames(const uint8_t *p, int size)
{
    int pos = 0;
    if (size >= 10 && memcmp(p, "ID3", 3) == 0) {
        pos = 10 + ((p[6] & 0x7f) << 21 | (p[7] & 0x7f) << 14 | (p[8] & 0x7f) << 7 | (p[9] & 0x7f));
        if (p[5] & 0x10)
            pos += 10;
    }
    /* the first frame header: sync, a known version, layer III */
    for (; pos + 4 <= size; pos++)
        if (p[pos] == 0xff && (p[pos + 1] & 0xe0) == 0xe0 && ((p[pos + 1] >> 3) & 3) != 1 &&
            ((p[pos + 1] >> 1) & 3) == 1)
            break;
    if (pos + 4 > size)
        return -1;
    int mpeg1 = ((p[pos + 1] >> 3) & 3) == 3;
    int mono = ((p[pos + 3] >> 6) & 3) == 3;
    int side = mpeg1 ? (mono ? 17 : 32) : (mono ? 9 : 17);
    int64_t per_frame = mpeg1 ? 1152 : 576;
    int x = pos + 4 + side;
    if (x + 8 > size || (memcmp(p + x, "Xing", 4) != 0 && memcmp(p + x, "Info", 4) != 0))
        return -1;
    uint32_t flags = AV_RB32(p + x + 4);
    int at = x + 8;
    if (!(flags & 1) || at + 4 > size)
        return -1;
    int64_t frames = AV_RB32(p + at);
    at += 4 + ((flags & 2) ? 4 : 0) + ((flags & 4) ? 100 : 0) + ((flags & 8) ? 4 : 0);
    if (at + 24 > size || (memcmp(p + at, "LAME", 4) != 0 && memcmp(p + at, "Lavf", 4) != 0 &&
                           memcmp(p + at, "Lavc", 4) != 0))
        return -1;
    uint32_t delays = AV_RB24(p + at + 21);
    int64_t n = frames * per_frame - (delays >> 12) - (delays & 0xfff);
    return n > 0 ? n : -1;
}

/* Reads `len` bytes at `pos` of a seekable input and goes back; the bytes read, or -1. */
static int read_at(AVIOContext *pb, int64_t pos, uint8_t *buf, int len)
{
    int64_t here = avio_tell(pb);
    if (here < 0 || avio_seek(pb, pos, SEEK_SET) < 0)
        return -1;
    int got = avio_read(pb, buf, len);
    if (avio_seek(pb, here, SEEK_SET) < 0)
        return -1;
    return got;
}

/* The Ogg page header at p[0..n): its length with the segment table and payload, or 0. */
static int ogg_page_size(const uint8_t *p, int n)
{
    if (n < 27 || memcmp(p, "OggS", 4) != 0 || p[4] != 0 || n < 27 + p[26])
        return 0;
    int size = 27 + p[26];
    for (int i = 0; i < p[26]; i++)
        size += p[27 + i];
    return size;
}

int da__ogg_inspect(da_input *in)
{
    in->ogg_end = -1;
    if (strcmp(in->fmt->iformat->name, "ogg") != 0 || in->fmt->nb_streams != 1)
        return 0;
    AVIOContext *pb = in->fmt->pb;
    int seekable = pb != NULL && (pb->seekable & AVIO_SEEKABLE_NORMAL);
    const int len = 65536;
    uint8_t *buf = av_malloc(len);
    if (buf == NULL)
        return AVERROR(ENOMEM);
    int n = -1;
    if (in->head != NULL)
        memcpy(buf, in->head, (size_t)(n = in->head_size));
    else if (seekable)
        n = read_at(pb, 0, buf, len);
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
    /* a chain: the file ends in another logical stream than it starts with */
    int64_t size = seekable ? avio_size(pb) : -1;
    if (n >= 27 && size > 0) {
        int tail = size > len ? len : (int)size;
        int got = read_at(pb, size - tail, buf, tail);
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
    return 0;
}

int64_t da__stream_end(const da_input *in)
{
    const AVStream *st = in->stream;
    int rate = in->dec->sample_rate;
    /* the LAME tag is read where it is the file's first frame, not inside other containers */
    if (st->codecpar->codec_id == AV_CODEC_ID_MP3 && in->head != NULL &&
        strcmp(in->fmt->iformat->name, "mp3") == 0)
        return lame_frames(in->head, in->head_size);
    if (in->ogg_single_page)
        return in->ogg_end;
    if (strcmp(in->fmt->iformat->name, "ogg") == 0 && !in->ogg_unplaced && rate > 0 &&
        (st->codecpar->codec_id == AV_CODEC_ID_VORBIS || st->codecpar->codec_id == AV_CODEC_ID_FLAC) &&
        st->duration != AV_NOPTS_VALUE && st->duration > 0 &&
        (st->start_time == AV_NOPTS_VALUE || st->start_time <= 0))
        /* the last granule position ends the stream, in a window as in a full decode */
        return av_rescale_q(st->duration, st->time_base, (AVRational){1, rate});
    if (!is_mov(in) || st->codecpar->codec_id != AV_CODEC_ID_AAC || rate <= 0 ||
        st->duration == AV_NOPTS_VALUE || st->duration <= 0)
        return -1;
    return av_rescale_q(st->duration, st->time_base, (AVRational){1, rate});
}

int da__index_unreachable(const da_input *in)
{
    int seekable = in->fmt->pb != NULL && (in->fmt->pb->seekable & AVIO_SEEKABLE_NORMAL);
    if (!is_mov(in) || seekable || in->fmt->pb == NULL)
        return 0;
    /* with the index after the audio, reading the header went past the first packet */
    AVStream *st = in->stream;
    const AVIndexEntry *first =
        avformat_index_get_entries_count(st) > 0 ? avformat_index_get_entry(st, 0) : NULL;
    return first != NULL && first->pos < avio_tell(in->fmt->pb);
}

int da__unreachable_error(const da_input *in, char *err, size_t err_size)
{
    return da__failmsg(AVERROR_INVALIDDATA, err, err_size,
                       "open '%s': this MP4/M4A keeps its index (moov) after the audio, which "
                       "a non-seekable source cannot reach; pass a seekable file, bytes, or a "
                       "file remuxed with -movflags +faststart",
                       in->name);
}

/* Sends one packet to the decoder, which must not trim (AV_CODEC_FLAG2_SKIP_MANUAL), and says
 * whether audio came out: an AAC frame holding only a program config or fill element (some
 * encoders start with one) decodes to nothing, and so does a packet the decoder rejects. */
static int decodes_to_audio(da_input *in, AVPacket *pkt, AVFrame *frame, int *got)
{
    *got = 0;
    int ret = avcodec_send_packet(in->dec, pkt);
    if (ret == AVERROR(ENOMEM))
        return ret;
    if (ret < 0)
        return 0;
    ret = avcodec_receive_frame(in->dec, frame);
    *got = ret >= 0 ? frame->nb_samples : 0;
    av_frame_unref(frame);
    return ret == AVERROR(ENOMEM) ? ret : 0;
}

/* AAC packets are decoded at the start until one gives audio, for the packets before it,
 * which the container times but the decoder turns into nothing. */
#define MAX_HEAD_PACKETS 16

/* An MP4's AAC decodes to the index's packets less those at the start that give nothing, of
 * the first audio frame's size each, less the start skip; the container's duration (its edit
 * list, or the packets' times without one) can only end it earlier. Sets *count to that;
 * leaves it where the index is unusable. */
static int mov_aac_frames(da_input *in, int64_t *count)
{
    int64_t entries = avformat_index_get_entries_count(in->stream);
    if (entries <= 0)
        return 0;
    AVFrame *frame = av_frame_alloc();
    if (frame == NULL)
        return AVERROR(ENOMEM);
    int flags2 = in->dec->flags2;
    in->dec->flags2 |= AV_CODEC_FLAG2_SKIP_MANUAL;
    int64_t silent = 0, skip = 0;
    int out = 0, ret = 0, first = 1;
    AVPacket *pkt = in->pkt;
    while (out == 0 && silent < MAX_HEAD_PACKETS && (ret = av_read_frame(in->fmt, pkt)) >= 0) {
        if (pkt->stream_index == in->stream_index) {
            size_t size = 0;
            const uint8_t *sd = av_packet_get_side_data(pkt, AV_PKT_DATA_SKIP_SAMPLES, &size);
            if (sd != NULL && size >= 8 && first)
                skip = (int32_t)AV_RL32(sd) > 0 ? (int32_t)AV_RL32(sd) : 0;
            first = 0;
            ret = decodes_to_audio(in, pkt, frame, &out);
            silent += out == 0;
        }
        av_packet_unref(pkt);
        if (ret < 0)
            break;
    }
    in->dec->flags2 = flags2;
    avcodec_flush_buffers(in->dec);
    av_frame_free(&frame);
    if (in->callback_failed)
        return DA_ERR_CALLBACK;
    if (ret == AVERROR(ENOMEM))
        return ret;
    if (out > 0) {
        int64_t n = (entries - silent) * out - skip;
        if (n < 0)
            n = 0;
        if (n < *count)
            *count = n;
    }
    return 0;
}

/* Counts the frames a full decode gives from packet durations, less the priming and padding
 * the container marks for removal: exact for codecs whose every packet decodes to its duration.
 * The marks are applied as the decoder applies them (libavcodec's discard_samples): the skip
 * at the start runs on across packets until used up, and a packet's end padding counts only
 * when it is not longer than what is left of the packet. A count is never negative. */
static int count_by_demuxing(da_input *in, int64_t *count)
{
    int64_t n = 0, skip = 0;
    int ret;
    AVPacket *pkt = in->pkt;
    AVRational tb = in->stream->time_base;
    int rate = in->dec->sample_rate;
    if (!da__counts_samples(tb, rate))
        return AVERROR(ENOSYS);
    /* AAC's first packets are decoded until one gives audio: those before it count nothing */
    int head = in->stream->codecpar->codec_id == AV_CODEC_ID_AAC, head_packets = 0;
    AVFrame *frame = head ? av_frame_alloc() : NULL;
    if (head && frame == NULL)
        return AVERROR(ENOMEM);
    int flags2 = in->dec->flags2;
    in->dec->flags2 |= AV_CODEC_FLAG2_SKIP_MANUAL;
    while ((ret = av_read_frame(in->fmt, pkt)) >= 0) {
        if (pkt->stream_index == in->stream_index) {
            if (pkt->duration <= 0) {
                ret = AVERROR(ENOSYS);
                break;
            }
            int64_t frames = av_rescale_q(pkt->duration, tb, (AVRational){1, rate});
            int64_t pad = 0;
            size_t size = 0;
            const uint8_t *sd = av_packet_get_side_data(pkt, AV_PKT_DATA_SKIP_SAMPLES, &size);
            if (sd != NULL && size >= 8) {
                skip = (int32_t)AV_RL32(sd) > 0 ? (int32_t)AV_RL32(sd) : 0;
                pad = (int32_t)AV_RL32(sd + 4);
            }
            if (head) {
                int got = 0;
                if ((ret = decodes_to_audio(in, pkt, frame, &got)) < 0)
                    break;
                if (got > 0)
                    head = 0;
                else if (++head_packets >= MAX_HEAD_PACKETS) {
                    ret = AVERROR(ENOSYS);
                    break;
                } else
                    frames = 0;
            }
            if (skip >= frames) {
                skip -= frames;
                frames = 0;
            } else {
                frames -= skip;
                skip = 0;
                if (pad > 0 && pad <= frames)
                    frames -= pad;
            }
            n += frames;
        }
        av_packet_unref(pkt);
    }
    av_packet_unref(pkt);
    in->dec->flags2 = flags2;
    avcodec_flush_buffers(in->dec);
    av_frame_free(&frame);
    if (in->callback_failed)
        return DA_ERR_CALLBACK;
    if (ret == AVERROR(ENOMEM) || ret == AVERROR(ENOSYS))
        return ret;
    *count = n;
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

/* Back to the first packet, to count again by decoding. */
static int rewind_for_count(da_input *in)
{
    int64_t ts = in->stream->start_time != AV_NOPTS_VALUE ? in->stream->start_time : 0;
    return avformat_seek_file(in->fmt, in->stream_index, INT64_MIN, ts, ts, 0);
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

int da_probe(const da_source *src, const da_open_options *opt, int exact, da_info *info,
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
    /* cheap (a packet or two), so done for estimates too, which the header's count says are
     * exact for MP4 */
    if (header_exact && id == AV_CODEC_ID_AAC && is_mov(in) &&
        (ret = mov_aac_frames(in, &info->num_frames)) < 0)
        goto counting_failed;
    if (exact && !header_exact &&
        (id == AV_CODEC_ID_MP3 || id == AV_CODEC_ID_MP2 || id == AV_CODEC_ID_AC3 ||
         id == AV_CODEC_ID_EAC3 || (id == AV_CODEC_ID_AAC && !is_mov(in)))) {
        ret = count_by_demuxing(in, &info->num_frames);
        if (ret >= 0)
            header_exact = info->num_frames_exact = 1;
        else if (ret != AVERROR(ENOSYS))
            goto counting_failed;
        else if ((ret = rewind_for_count(in)) < 0)
            goto counting_failed;
        ret = 0;
    }
    if (exact && !header_exact) {
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
