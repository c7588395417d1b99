/* mp3.c - plain MP3 files decoded without libavformat.
 *
 * For a short MP3, opening the demuxer and running its parser over every packet is a good
 * part of a decode. A file whose frames are plain (an optional ID3v2 tag, a Xing/Info frame
 * with a LAME tag, layer III frames of one rate and channel count that chain to the end or
 * to an ID3v1 tag) is cut into frames here, by the frame headers, and its frames are sent to
 * the same decoder the general path opens. The LAME tag's delay and padding are applied as
 * FFmpeg's MP3 demuxer has the decoder apply them: the decoder's output from delay + 529
 * samples to frames x samples per frame - padding + 529.
 *
 * A window (frame_offset > 0) is decoded by a fresh decoder sent the frames from a preroll
 * before it on, what comes before the window being dropped. The decoder's output for a frame
 * depends on the frame before it (the filter banks' overlap) and on the main data the two
 * reach back for through the bit reservoir (main_data_begin: at most 511 bytes, 255 for
 * MPEG-2 and 2.5); so the preroll is the frame before the window's first, the frames before
 * that whose main data add up to the reservoir's reach, and two more to spare (the general
 * path, window.c, which does not keep the frames it skips, counts them as the smallest the
 * stream allows). A window that ends well inside the file leaves the headers after it
 * unwalked.
 *
 * The result is the general path's, byte for byte. Anything else goes to FFmpeg
 * (DA_PCM_UNHANDLED): other extensions and sources than a path, windows past the end,
 * resampling, remixing, filters, caller-supplied output, any open option, files without a LAME
 * tag or with a frame count that does not match, frames of other layers or parameters,
 * anything between or after the frames but an ID3v1 tag, files over MAX_MAPPED_BYTES, any
 * decoding error.
 * DECODE_AUDIO_FAST_PATHS=0 sends every input to FFmpeg.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* Files up to this size are read whole; larger ones, and those of a window, are mapped (their
 * packets then copied out one at a time), up to MAX_MAPPED_BYTES: the demuxer's parser costs
 * a long file a tenth of its decode, a window the whole demuxing of what comes before it. */
#define MAX_BYTES (4 << 20)
#define MAX_MAPPED_BYTES (1 << 30)
/* Frames of a window's preroll beyond those the bit reservoir can reach, and the most frames
 * a preroll may have (a longer one goes to FFmpeg). */
#define SPARE_FRAMES 2
#define MAX_PREROLL 60
/* The largest layer III frame (320 kbit/s at 32 kHz, padded), with room to spare. */
#define MAX_FRAME_BYTES 4096
/* The MPEG audio decoder's own delay, which the LAME tag's encoder delay leaves out. */
#define DECODER_DELAY 529

static int plain_options(const da_source *src, const da_decode_options *opt)
{
    const da_open_options *o = &opt->open;
    const char *env = getenv(DA_ENV_FAST_PATHS);
    if (env != NULL && strcmp(env, "0") == 0)
        return 0;
    if (src == NULL || src->kind != DA_SOURCE_PATH || src->path == NULL)
        return 0;
    /* the extension names the demuxer the general path would use (sniff.c) */
    const char *dot = strrchr(src->path, '.');
    if (dot == NULL || strchr(dot, '/') != NULL || strcasecmp(dot, ".mp3") != 0)
        return 0;
    return o->format == NULL && o->protocols == NULL && o->formats == NULL &&
           (o->stream_index == -1 || o->stream_index == 0) && o->decoder == NULL &&
           o->decoder_options == NULL && o->format_options == NULL &&
           opt->filter_desc == NULL && opt->out_data == NULL && opt->sample_rate == 0 &&
           opt->num_channels == 0;
}

static uint32_t rb32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* An open descriptor of `path` when it is a regular file of 1 to max_bytes bytes, its size in
 * *size; -1 otherwise. */
static int open_regular(const char *path, int64_t max_bytes, int *size)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
                    st.st_size > max_bytes)) {
        close(fd);
        fd = -1;
    }
    *size = fd >= 0 ? (int)st.st_size : 0;
    return fd;
}

/* The whole file, when it is a regular file of at most MAX_BYTES, followed by the zeroed
 * padding a decoder may read past a packet; NULL otherwise. */
static uint8_t *read_file(const char *path, int *size)
{
    int fd = open_regular(path, MAX_BYTES, size);
    if (fd < 0)
        return NULL;
    uint8_t *buf = calloc(1, (size_t)*size + AV_INPUT_BUFFER_PADDING_SIZE);
    if (buf != NULL && pread(fd, buf, (size_t)*size, 0) != *size) {
        free(buf);
        buf = NULL;
    }
    if (buf == NULL)
        *size = 0;
    close(fd);
    return buf;
}

/* The whole file mapped, when it is a regular file of at most MAX_MAPPED_BYTES; NULL
 * otherwise. Packets are copied out of it into a padded buffer before decoding. */
static uint8_t *map_file(const char *path, int *size)
{
    int fd = open_regular(path, MAX_MAPPED_BYTES, size);
    if (fd < 0)
        return NULL;
    void *p = mmap(NULL, (size_t)*size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
        p = NULL;
        *size = 0;
    }
    close(fd);
    return p;
}

/* Lets the pages of a mapping before `at` go once more than MAX_RESIDENT bytes of it have
 * been read (they are read from the page cache again if touched), so that walking or decoding
 * a long file does not keep it resident; nothing for a file read into memory. */
#define MAX_RESIDENT (1 << 20)
static void drop_behind(const uint8_t *b, int mapped, int at, int *dropped)
{
    if (!mapped || at - *dropped < MAX_RESIDENT)
        return;
    int end = at - at % (int)sysconf(_SC_PAGESIZE);
    madvise((void *)(uintptr_t)(b + *dropped), (size_t)(end - *dropped), MADV_DONTNEED);
    *dropped = end;
}

/* The parts of a plain MP3: where its audio frames are and what to keep of their output. */
typedef struct mp3_file {
    int first, end;           /* byte range of the audio frames */
    int rate, channels, spf, reach; /* reach: the bit reservoir's, in bytes */
    int64_t frames;           /* audio frames */
    int64_t keep_from, keep_to; /* decoder output kept: [keep_from, keep_to) */
} mp3_file;

/* Bytes of main data in the frame at p (its size less the header, CRC and side info). */
static int main_data_size(const uint8_t *p)
{
    int mpeg1 = ((p[1] >> 3) & 3) == 3, mono = ((p[3] >> 6) & 3) == 3, crc = !(p[1] & 1);
    return da__mpa_frame_size(p) - 4 - 2 * crc - (mpeg1 ? (mono ? 17 : 32) : (mono ? 9 : 17));
}

/* 0 when `b` is a plain MP3 (see the top of the file), filling `f`. A window of `num_frames`
 * frames (-1: to the end) at `frame_offset` > 0 that ends two frames or more before the last
 * needs no walk past its end. */
static int parse(const uint8_t *b, int n, int mapped, int64_t frame_offset, int64_t num_frames,
                 mp3_file *f)
{
    int pos = da__id3v2_size(b, n);
    /* another ID3v2 tag after the first, which FFmpeg would also skip */
    if (pos + 10 > n || memcmp(b + pos, "ID3", 3) == 0)
        return -1;
    int layer, rate, channels, spf, delay, padding, spf_tag;
    int64_t frames;
    uint32_t info = rb32(b + pos);
    int info_size = da__mpa_frame_size(b + pos);
    if (info_size <= 0 || !da__mpa_header(info, &layer, &rate, &channels, &spf) || layer != 3 ||
        pos + info_size > n ||
        da__mpa_lame_tag(b + pos, info_size, &frames, &delay, &padding, &spf_tag) < 0 ||
        spf_tag != spf || frames <= 0)
        return -1;
    f->first = pos + info_size;
    f->spf = spf;
    f->reach = ((info >> 19) & 3) == 3 ? 511 : 255;
    int64_t limit = INT64_MAX;
    if (frame_offset > 0 && num_frames >= 0) {
        int64_t last = ((int64_t)delay + DECODER_DELAY + frame_offset + num_frames) / spf + 2;
        if (last < frames)
            limit = last;
    }
    f->rate = rate;
    f->channels = channels;
    /* the frames: each header with the tag frame's version, layer and rate, and as many
     * channels (joint stereo or not) */
    uint32_t mask = 0xfffe0c00u;
    int64_t count = 0;
    int at = f->first, dropped = 0;
    while (at + 4 <= n && count < limit) {
        drop_behind(b, mapped, at, &dropped);
        uint32_t h = rb32(b + at);
        int size = da__mpa_frame_size(b + at);
        if (size <= 0 || (h & mask) != (info & mask) ||
            (((h >> 6) & 3) == 3) != (((info >> 6) & 3) == 3) || at + size > n)
            break;
        at += size;
        count++;
    }
    f->end = at;
    /* nothing after the frames but an ID3v1 tag (unless the walk stopped after a window) */
    if (count < limit && !(at == n || (n - at == 128 && memcmp(b + at, "TAG", 3) == 0)))
        return -1;
    if (count < limit && count != frames)
        return -1;
    f->frames = frames;
    f->keep_from = (int64_t)delay + DECODER_DELAY;
    f->keep_to = frames * spf - padding + DECODER_DELAY;
    if (f->keep_to > frames * spf)
        f->keep_to = frames * spf;
    return f->keep_to > f->keep_from ? 0 : -1;
}

/* Writes frames [first, last) of a decoded frame at `used` in `a`. */
static int write_frame(da_audio *a, const AVFrame *frame, int first, int last, int64_t used)
{
    int ret = da__audio_reserve(a, used + (last - first), used);
    if (ret < 0)
        return ret;
    enum AVSampleFormat fmt = (enum AVSampleFormat)frame->format;
    int isz = av_get_bytes_per_sample(fmt), osz = a->itemsize, ch = a->num_channels;
    int planar_in = av_sample_fmt_is_planar(fmt);
    size_t row = (size_t)da__audio_capacity(a) * (size_t)osz;
    uint8_t *base = a->data;
    if (planar_in && !a->channels_first && ch <= 2) {
        const uint8_t *planes[2];
        for (int c = 0; c < ch; c++)
            planes[c] = frame->extended_data[c] + (size_t)first * (size_t)isz;
        return da__convert_planes(fmt, planes, ch, a->dtype,
                                  base + (size_t)used * (size_t)ch * (size_t)osz, last - first);
    }
    for (int c = 0; c < ch && ret >= 0; c++) {
        const uint8_t *src = planar_in ? frame->extended_data[c] + (size_t)first * (size_t)isz
                                       : frame->extended_data[0] +
                                             ((size_t)first * (size_t)ch + (size_t)c) * (size_t)isz;
        uint8_t *dst = a->channels_first
                           ? base + (size_t)c * row + (size_t)used * (size_t)osz
                           : base + ((size_t)used * (size_t)ch + (size_t)c) * (size_t)osz;
        ret = da__convert(av_get_packed_sample_fmt(fmt), src, planar_in ? 1 : ch, a->dtype, dst,
                          a->channels_first ? 1 : ch, last - first);
    }
    return ret;
}

int da__mp3_decode(const da_source *src, const da_decode_options *opt, da_audio **out,
                   char *err, size_t err_size)
{
    if (opt == NULL || !plain_options(src, opt))
        return DA_PCM_UNHANDLED;
    int n = 0, ret = DA_PCM_UNHANDLED, window = opt->frame_offset > 0;
    uint8_t *b = window ? NULL : read_file(src->path, &n);
    int mapped = b == NULL;
    if (mapped)
        b = map_file(src->path, &n);
    uint8_t *packet = NULL;
    mp3_file f;
    AVCodecContext *dec = NULL;
    AVPacket *pkt = NULL;
    AVFrame *frame = NULL;
    da_audio *a = NULL;
    int dropped = 0;
    if (b == NULL || parse(b, n, mapped, opt->frame_offset, opt->num_frames, &f) < 0)
        goto end;
    const AVCodec *codec = avcodec_find_decoder(AV_CODEC_ID_MP3);
    if (codec == NULL || (dec = avcodec_alloc_context3(codec)) == NULL ||
        (pkt = av_packet_alloc()) == NULL || (frame = av_frame_alloc()) == NULL)
        goto end;
    dec->sample_rate = f.rate;
    av_channel_layout_default(&dec->ch_layout, f.channels);
    dec->thread_count = 1;
    if (avcodec_open2(dec, codec, NULL) < 0)
        goto end;
    int dtype = opt->dtype == DA_DTYPE_AUTO ? DA_DTYPE_FLOAT32 : opt->dtype;
    /* the window starts at decoder output `keep`; a window past the end: FFmpeg decides */
    int64_t keep = f.keep_from + opt->frame_offset;
    int64_t want = f.keep_to - keep;
    if (want <= 0)
        goto end;
    if (opt->num_frames >= 0 && opt->num_frames < want)
        want = opt->num_frames;
    if (da__audio_alloc(dtype, f.channels, f.rate, opt->channels_first != 0, want, &a) < 0)
        goto end;
    int64_t decoded = 0, used = 0;
    int at = f.first, ok = 1;
    if (window) {
        /* frame t holds the window's first sample; frames t - 1 and t decode as in a full
         * decode once the frames sent before t - 1 hold the reservoir's reach of main data */
        int64_t t = keep / f.spf, k = 0, s;
        int start[MAX_PREROLL + 4], data[MAX_PREROLL + 4], sum = 0;
        const int ring = MAX_PREROLL + 4;
        for (; k < t; k++) {
            start[k % ring] = at;
            data[k % ring] = main_data_size(b + at);
            at += da__mpa_frame_size(b + at);
            drop_behind(b, mapped, at, &dropped);
        }
        for (s = t - 1; s > 0 && sum < f.reach && t - s <= MAX_PREROLL; sum += data[s % ring])
            s--;
        if (t - s > MAX_PREROLL)
            goto end;
        /* too near the start for the reach, or the spare frames: from the first frame */
        s = sum < f.reach || s <= SPARE_FRAMES ? 0 : s - SPARE_FRAMES;
        at = s > 0 ? start[s % ring] : f.first;
        decoded = s * f.spf;
    }
    if (mapped && (packet = av_malloc(MAX_FRAME_BYTES + AV_INPUT_BUFFER_PADDING_SIZE)) == NULL)
        goto end;
    while (ok && used < want) {
        int r = avcodec_receive_frame(dec, frame);
        if (r == AVERROR(EAGAIN)) {
            if (at >= f.end) {
                ok = avcodec_send_packet(dec, NULL) >= 0;
                continue;
            }
            int size = da__mpa_frame_size(b + at);
            pkt->data = b + at;
            pkt->size = size;
            if (packet != NULL && size > MAX_FRAME_BYTES) {
                ok = 0;
                break;
            }
            if (packet != NULL) {
                /* out of the mapping, with the zeroed padding a decoder may read */
                memcpy(packet, b + at, (size_t)size);
                memset(packet + size, 0, AV_INPUT_BUFFER_PADDING_SIZE);
                pkt->data = packet;
            }
            at += size;
            drop_behind(b, mapped, at, &dropped);
            ok = avcodec_send_packet(dec, pkt) >= 0;
            continue;
        }
        if (r == AVERROR_EOF)
            break;
        /* any error, or output unlike the first frame's: the general path decides */
        if (r < 0 || frame->sample_rate != f.rate || frame->ch_layout.nb_channels != f.channels ||
            frame->nb_samples <= 0) {
            ok = 0;
            break;
        }
        int64_t first = keep - decoded, last = keep + want - decoded;
        if (first < 0)
            first = 0;
        if (last > frame->nb_samples)
            last = frame->nb_samples;
        if (first < last) {
            if ((r = write_frame(a, frame, (int)first, (int)last, used)) < 0) {
                ret = r;
                goto end;
            }
            used += last - first;
        }
        decoded += frame->nb_samples;
        av_frame_unref(frame);
    }
    /* the frames decode to fewer samples than the tag says: the general path decides */
    if (!ok || used != want)
        goto end;
    ret = da__audio_finish(a, used);
    if (ret < 0)
        goto end;
    *out = a;
    a = NULL;

end:
    if (ret < 0)
        da__fail(ret, err, err_size, "decode '%s'", src->name != NULL ? src->name : src->path);
    da_audio_release(&a);
    av_frame_free(&frame);
    av_packet_free(&pkt);
    avcodec_free_context(&dec);
    av_free(packet);
    if (mapped && b != NULL)
        munmap(b, (size_t)n);
    else
        free(b);
    return ret;
}
