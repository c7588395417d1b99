/* mpeg.c - MPEG audio frame headers, Xing/LAME tags and ID3v2 tags, read from bytes: the one
 * parser of each, for sniffing an MP3 (sniff.c), its length (input.c) and the native MP3
 * path (mp3.c). */
#include <string.h>

#include "internal.h"

/* Sample rates of MPEG-1 by the header's rate index; MPEG-2 halves them, MPEG-2.5 quarters. */
static const int mpeg1_rates[3] = {44100, 48000, 32000};

int da__id3v2_size(const uint8_t *p, int n)
{
    /* "ID3", a version and revision other than 0xff, and a size in four syncsafe bytes (7 bits
     * each, the high bit always 0): a size byte with the high bit set is no ID3v2 header, as
     * the ID3v2 specification and FFmpeg's own check both have it */
    if (n < 10 || memcmp(p, "ID3", 3) != 0 || p[3] == 0xff || p[4] == 0xff ||
        ((p[6] | p[7] | p[8] | p[9]) & 0x80))
        return 0;
    int size = p[6] << 21 | p[7] << 14 | p[8] << 7 | p[9];
    /* a footer, when the flags announce one, is another 10 bytes */
    return 10 + size + ((p[5] & 0x10) ? 10 : 0);
}

/* The fields of a header the sizes and parameters are computed from; 0 when it is invalid.
 * Inlined: the payload scans of pcm.c call da__mpa_frame_size at every sync-like byte. */
static inline __attribute__((always_inline)) int parse_header(uint32_t h, int *version, int *layer, int *rate)
{
    *version = (h >> 19) & 3;
    *layer = 4 - (int)((h >> 17) & 3);
    int bitrate = (h >> 12) & 15, rate_index = (h >> 10) & 3;
    if ((h & 0xFFE00000u) != 0xFFE00000u || *version == 1 || *layer == 4 || bitrate == 0 ||
        bitrate == 15 || rate_index == 3)
        return 0;
    int lsf = *version != 3;
    *rate = mpeg1_rates[rate_index] >> (lsf + (*version == 0));
    return 1;
}

int da__mpa_frame_size(const uint8_t *p)
{
    static const uint16_t kbps[2][3][15] = {
        {{0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448},
         {0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384},
         {0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320}},
        {{0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256},
         {0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160},
         {0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160}}};
    uint32_t h = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    int version, layer, rate;
    if (!parse_header(h, &version, &layer, &rate))
        return 0;
    int lsf = version != 3, padding = (h >> 9) & 1;
    int br = kbps[lsf][layer - 1][(h >> 12) & 15];
    if (layer == 1)
        return (br * 12000 / rate + padding) * 4;
    return br * 144000 / (layer == 3 ? rate << lsf : rate) + padding;
}

int da__mpa_params(AVStream *st, uint32_t header)
{
    int version, layer, rate;
    if (!parse_header(header, &version, &layer, &rate))
        return AVERROR_INVALIDDATA;
    int lsf = version != 3;
    AVCodecParameters *par = st->codecpar;
    par->sample_rate = rate;
    av_channel_layout_uninit(&par->ch_layout);
    av_channel_layout_default(&par->ch_layout, ((header >> 6) & 3) == 3 ? 1 : 2);
    par->frame_size = layer == 1 ? 384 : layer == 2 || !lsf ? 1152 : 576;
    return 0;
}

int da__mpa_header(uint32_t h, int *layer, int *rate, int *channels, int *frame_samples)
{
    int version;
    if (!parse_header(h, &version, layer, rate))
        return 0;
    *channels = ((h >> 6) & 3) == 3 ? 1 : 2;
    *frame_samples = *layer == 1 ? 384 : *layer == 2 || version == 3 ? 1152 : 576;
    return 1;
}

int64_t da__mpa_packet_samples(const uint8_t *p, int n)
{
    /* the decoder decodes a frame from the packet's first byte, then what follows it as
     * another packet, until what is left holds no valid header (an error, which ends the
     * packet) or the frame runs to the packet's end */
    int64_t samples = 0;
    for (int at = 0; n - at >= 4;) {
        uint32_t h = (uint32_t)p[at] << 24 | (uint32_t)p[at + 1] << 16 |
                     (uint32_t)p[at + 2] << 8 | p[at + 3];
        int layer, rate, channels, frame_samples, size = da__mpa_frame_size(p + at);
        if (size <= 0 || !da__mpa_header(h, &layer, &rate, &channels, &frame_samples))
            break;
        samples += frame_samples;
        at += size;
    }
    return samples;
}

int da__mpa_lame_tag(const uint8_t *p, int size, int64_t *frames, int *delay, int *padding,
                     int *frame_samples)
{
    /* sync, a known version, layer III */
    if (size < 4 || p[0] != 0xff || (p[1] & 0xe0) != 0xe0 || ((p[1] >> 3) & 3) == 1 ||
        ((p[1] >> 1) & 3) != 1)
        return -1;
    int mpeg1 = ((p[1] >> 3) & 3) == 3;
    int mono = ((p[3] >> 6) & 3) == 3;
    int side = mpeg1 ? (mono ? 17 : 32) : (mono ? 9 : 17);
    int x = 4 + side;
    if (x + 8 > size || (memcmp(p + x, "Xing", 4) != 0 && memcmp(p + x, "Info", 4) != 0))
        return -1;
    uint32_t flags = (uint32_t)p[x + 4] << 24 | p[x + 5] << 16 | p[x + 6] << 8 | p[x + 7];
    int at = x + 8;
    if (!(flags & 1) || at + 4 > size)
        return -1;
    *frames = (int64_t)((uint32_t)p[at] << 24 | p[at + 1] << 16 | p[at + 2] << 8 | p[at + 3]);
    at += 4 + ((flags & 2) ? 4 : 0) + ((flags & 4) ? 100 : 0) + ((flags & 8) ? 4 : 0);
    if (at + 24 > size || (memcmp(p + at, "LAME", 4) != 0 && memcmp(p + at, "Lavf", 4) != 0 &&
                           memcmp(p + at, "Lavc", 4) != 0))
        return -1;
    uint32_t delays = (uint32_t)p[at + 21] << 16 | p[at + 22] << 8 | p[at + 23];
    *delay = (int)(delays >> 12);
    *padding = (int)(delays & 0xfff);
    *frame_samples = mpeg1 ? 1152 : 576;
    return 0;
}
