/* pcm.c - plain PCM WAV files decoded without libavformat.
 *
 * Opening a WAV through libavformat costs about a millisecond (probing, stream info, the
 * scan of the payload for hidden compressed audio), which is most of the time a short file
 * takes. A WAV whose samples are plain PCM (8/16/24/32-bit integer, 32/64-bit float, A-law,
 * mu-law) in one data chunk is read here directly: its header is parsed, the samples are read
 * and converted with the loops of convert.c, into the same buffer the general path would fill.
 *
 * The result is the general path's, byte for byte. So anything this reader is not sure of
 * goes to FFmpeg instead (da__pcm_decode returns DA_PCM_UNHANDLED): another container, RF64,
 * big-endian RIFX, compressed payloads, extensible headers with unusual bit depths, masks or
 * subformats, more than one data chunk, a data size of 0 or 0xFFFFFFFF (streamed files),
 * partial trailing frames, payloads in which FFmpeg's probes could find DTS, AC-3, AAC, MP3,
 * TrueHD or S/PDIF bursts, resampling, remixing, filters, caller-supplied output, any open
 * option, read errors. Setting the environment variable DECODE_AUDIO_FAST_PATHS=0 sends every
 * input to FFmpeg.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "internal.h"

/* Bytes read from the start of a file at once: the header and, for short files, everything. */
#define HEAD_BYTES 65536
/* The head buffer: the header and HEAD_BYTES of payload; later it stages the rest of the
 * samples, read and converted this many bytes at a time. */
#define HEAD_ALLOC (HEAD_BYTES + 8192)
/* FFmpeg's payload probe of an s16 WAV sees its first packet (probesize 16 KiB, see input.c). */
#define PROBE_BYTES 16384
#define MAX_CHUNKS 4096

enum { K_U8, K_S16, K_S24, K_S32, K_F32, K_F64, K_ALAW, K_MULAW };

typedef struct pcm_file {
    int fd;                   /* DA_SOURCE_PATH, else -1 */
    const uint8_t *mem;       /* DA_SOURCE_MEMORY */
    int64_t size;             /* bytes in the file */
    uint8_t *head;            /* the first head_size bytes (files only) */
    int64_t head_size;
    int kind;
    int channels;
    int rate;
    int sample_bytes;         /* bytes per sample in the file */
    int64_t data_offset;
    int64_t frames;           /* whole frames in the data chunk */
} pcm_file;

static uint32_t rl16(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t rl32(const uint8_t *p)
{
    return rl16(p) | rl16(p + 2) << 16;
}

/* Copies `n` bytes at `offset` into `buf`, or points at them in place; NULL if not there. */
static const uint8_t *bytes_at(const pcm_file *f, int64_t offset, int64_t n, uint8_t *buf)
{
    if (offset < 0 || n < 0 || offset + n > f->size)
        return NULL;
    if (f->mem != NULL)
        return f->mem + offset;
    if (offset + n <= f->head_size)
        return f->head + offset;
    int64_t done = 0;
    while (done < n) {
        ssize_t got = pread(f->fd, buf + done, (size_t)(n - done), (off_t)(offset + done));
        if (got <= 0)
            return NULL;
        done += got;
    }
    return buf;
}

/* 'fmt ' as FFmpeg reads it (riffdec.c), for the cases this reader takes; -1 otherwise. */
static int parse_fmt(pcm_file *f, const uint8_t *b, uint32_t size)
{
    if (size < 14)
        return -1;
    uint32_t tag = rl16(b), channels = rl16(b + 2), rate = rl32(b + 4), align = rl16(b + 12);
    uint32_t bits = size == 14 ? 8 : rl16(b + 14);
    if (tag == 0xFFFE) {
        static const uint8_t base_guid[12] = {0x00, 0x00, 0x10, 0x00, 0x80, 0x00,
                                              0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71};
        if (size < 40 || rl16(b + 16) < 22)
            return -1;
        uint32_t valid = rl16(b + 18), mask = rl32(b + 20);
        int odd_mask = mask != 0 && (uint32_t)__builtin_popcount(mask) != channels;
        if ((valid != 0 && valid != bits) || odd_mask ||
            memcmp(b + 28, base_guid, sizeof base_guid) != 0)
            return -1;
        tag = rl32(b + 24);
    }
    switch (tag) {
    case 1:
        f->kind = bits == 8    ? K_U8
                  : bits == 16 ? K_S16
                  : bits == 24 ? K_S24
                  : bits == 32 ? K_S32
                               : -1;
        break;
    case 3: f->kind = bits == 32 ? K_F32 : bits == 64 ? K_F64 : -1; break;
    case 6: f->kind = bits == 8 ? K_ALAW : -1; break;
    case 7: f->kind = bits == 8 ? K_MULAW : -1; break;
    default: return -1;
    }
    if (f->kind < 0 || channels == 0 || channels > 64 || rate == 0 || rate > INT32_MAX ||
        align != channels * (bits / 8))
        return -1;
    f->channels = (int)channels;
    f->rate = (int)rate;
    f->sample_bytes = (int)(bits / 8);
    return 0;
}

/* Walks the RIFF chunks as FFmpeg's WAV demuxer does; 0 when the file is one of ours. */
static int parse_wav(pcm_file *f)
{
    uint8_t buf[64];
    const uint8_t *h = bytes_at(f, 0, 12, buf);
    if (h == NULL || memcmp(h, "RIFF", 4) != 0 || memcmp(h + 8, "WAVE", 4) != 0)
        return -1;
    int64_t pos = 12, data_size = -1;
    int got_fmt = 0;
    for (int n = 0; pos + 4 <= f->size; n++) {
        if (n == MAX_CHUNKS)
            return -1;
        h = bytes_at(f, pos, pos + 8 <= f->size ? 8 : 4, buf);
        if (h == NULL)
            return -1;
        /* a second data chunk would be read after the first */
        if (memcmp(h, "data", 4) == 0 && f->data_offset > 0)
            return -1;
        if (pos + 8 > f->size)
            break;
        uint32_t size = rl32(h + 4);
        int64_t body = pos + 8;
        if (memcmp(h, "fmt ", 4) == 0) {
            if (got_fmt || size > sizeof buf)
                return -1;
            const uint8_t *b = bytes_at(f, body, size, buf);
            if (b == NULL || parse_fmt(f, b, size) < 0)
                return -1;
            got_fmt = 1;
        } else if (memcmp(h, "data", 4) == 0) {
            if (!got_fmt || size == 0 || size == 0xFFFFFFFFu)
                return -1;
            f->data_offset = body;
            data_size = size;
        } else if (memcmp(h, "SMV0", 4) == 0 || memcmp(h, "XMA2", 4) == 0) {
            return -1;
        }
        int64_t next = body + size;
        if (next >= f->size)
            break;
        /* past an odd-sized data chunk FFmpeg looks for more data unaligned */
        if ((next & 1) && f->data_offset == body)
            return -1;
        pos = next + (next & 1);
    }
    if (f->data_offset <= 0)
        return -1;
    int64_t avail = f->size - f->data_offset;
    int64_t bytes = data_size < avail ? data_size : avail;
    int64_t frame_bytes = (int64_t)f->sample_bytes * f->channels;
    /* FFmpeg's decoder rejects a partial frame as a decode error */
    if (bytes % frame_bytes != 0)
        return -1;
    f->frames = bytes / frame_bytes;
    /* the ACT demuxer outbids WAV for files whose header looks like this (actdec.c) */
    h = bytes_at(f, 16, 4, buf);
    if (h != NULL && rl32(h) == 16 && f->size >= 512) {
        const uint8_t *a = bytes_at(f, 256, 2, buf);
        if (a == NULL || (a[0] == 0x84 && a[1] == 0))
            return -1;
    }
    return 0;
}

/* Length of the ADTS frame at p (6 bytes), or 0 (aacdec.c's probe). */
static int adts_frame_size(const uint8_t *p)
{
    if (((uint32_t)p[0] << 8 | (p[1] & 0xF6)) != 0xFFF0)
        return 0;
    int size = (p[3] & 3) << 11 | p[4] << 3 | p[5] >> 5;
    return size >= 7 ? size : 0;
}

/* Length of the LOAS frame at p (3 bytes), or 0 (loasdec.c's probe). */
static int loas_frame_size(const uint8_t *p)
{
    if (p[0] != 0x56 || (p[1] & 0xE0) != 0xE0)
        return 0;
    return ((p[1] & 0x1F) << 8 | p[2]) + 3;
}

/* Nonzero when the frame header that `size` recognises at q is followed by another where the
 * frame ends: the raw MP3, ADTS and LOAS probes count runs of such frames. */
static int chained(const uint8_t *q, const uint8_t *end, int (*size)(const uint8_t *))
{
    if (q + 6 > end)
        return 0;
    int len = size(q);
    return len > 0 && q + len + 6 <= end && size(q + len) > 0;
}

/* Nonzero when FFmpeg's probes could see compressed audio starting at p[i]; bytes past n read
 * as 0, as the probes' padding does. The 32-bit sync words are those of IEC 61937 (S/PDIF,
 * looked for in any integer PCM), and with `full` (16-bit PCM, whose first packet is probed
 * for other codecs) those of DTS (core 16- and 14-bit, both byte orders; DTS-HD) and
 * TrueHD/MLP, and runs of MP3, ADTS or LOAS frames. */
static int suspect_at(const uint8_t *p, int64_t i, int64_t n, int full)
{
    uint8_t b[4];
    for (int k = 0; k < 4; k++)
        b[k] = i + k < n ? p[i + k] : 0;
    uint32_t w = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    if (w == 0x72F81F4Eu)
        return 1;
    if (!full)
        return 0;
    if (w == 0x7FFE8001u || w == 0xFE7F0180u || w == 0x1FFFE800u || w == 0xFF1F00E8u ||
        w == 0x64582025u || (w | 1) == 0xF8726FBBu)
        return 1;
    return chained(p + i, p + n, da__mpa_frame_size) || chained(p + i, p + n, adts_frame_size) ||
           chained(p + i, p + n, loas_frame_size);
}

static int is_ac3_sync(uint8_t a, uint8_t b)
{
    return (a == 0x0B && b == 0x77) || (a == 0x77 && b == 0x0B);
}

#ifdef __SSE2__
/* Sifts positions [i, n - 3) WIDTH at a time (GCC's vector extensions: one body for SSE2 and
 * AVX2) for the first two or three bytes of the patterns suspect_at() looks for, looking at
 * those that pass one by one, and counts AC-3 sync words into *ac3. Returns the position it
 * stopped at, or -1 when a candidate is suspect. */
#define DEFINE_SIFT(NAME, VEC, WIDTH, MOVEMASK, ATTR)                                          \
    ATTR static int64_t NAME(const uint8_t *p, int64_t i, int64_t n, int full, unsigned *ac3) \
    {                                                                                          \
        for (; i + WIDTH + 3 <= n; i += WIDTH) {                                               \
            VEC v0, v1, v2;                                                                    \
            memcpy(&v0, p + i, WIDTH);                                                         \
            memcpy(&v1, p + i + 1, WIDTH);                                                     \
            memcpy(&v2, p + i + 2, WIDTH);                                                     \
            VEC c = (VEC)((v0 == 0x72) & (v1 == 0xF8) & (v2 == 0x1F));                         \
            if (full) {                                                                        \
                VEC high = (VEC)((v1 & 0xE0) == 0xE0);                                         \
                c |= (VEC)(v0 == 0xFF) & (high | (VEC)((v1 == 0x1F) & (v2 == 0x00)));          \
                c |= (VEC)(v0 == 0x56) & high;                                                 \
                c |= (VEC)(((v0 == 0x7F) & (v1 == 0xFE)) | ((v0 == 0xFE) & (v1 == 0x7F)));     \
                c |= (VEC)((v0 == 0x1F) & (v1 == 0xFF) & (v2 == 0xE8));                        \
                c |= (VEC)(((v0 == 0x64) & (v1 == 0x58)) | ((v0 == 0xF8) & (v1 == 0x72)));     \
                VEC a = (VEC)(((v0 == 0x0B) & (v1 == 0x77)) | ((v0 == 0x77) & (v1 == 0x0B)));  \
                *ac3 += (unsigned)__builtin_popcount(MOVEMASK(a));                             \
            }                                                                                  \
            for (unsigned m = MOVEMASK(c); m != 0; m &= m - 1)                                 \
                if (suspect_at(p, i + __builtin_ctz(m), n, full))                              \
                    return -1;                                                                 \
        }                                                                                      \
        return i;                                                                              \
    }

typedef uint8_t u8x16 __attribute__((vector_size(16)));
#define MOVEMASK16(v) ((unsigned)_mm_movemask_epi8((__m128i)(v)))
DEFINE_SIFT(sift16, u8x16, 16, MOVEMASK16, )

#if defined(__GNUC__) && defined(__x86_64__)
#define HAVE_AVX2_SIFT 1
#include <immintrin.h>
typedef uint8_t u8x32 __attribute__((vector_size(32)));
#define MOVEMASK32(v) ((unsigned)_mm256_movemask_epi8((__m256i)(v)))
DEFINE_SIFT(sift32, u8x32, 32, MOVEMASK32, __attribute__((target("avx2"))))
#endif
#endif

/* Scans p[0, n) for what suspect_at() looks for, and counts AC-3 sync words into *ac3: sifted
 * 32 positions at a time where the CPU has AVX2, then 16 with SSE2, then byte by byte. */
static int scan(const uint8_t *p, int64_t n, int full, unsigned *ac3)
{
    int64_t i = 0;
#ifdef HAVE_AVX2_SIFT
    if (__builtin_cpu_supports("avx2") && (i = sift32(p, i, n, full, ac3)) < 0)
        return 1;
#endif
#ifdef __SSE2__
    if ((i = sift16(p, i, n, full, ac3)) < 0)
        return 1;
#endif
    for (; i < n; i++) {
        if (full && i + 1 < n && is_ac3_sync(p[i], p[i + 1]))
            (*ac3)++;
        if (suspect_at(p, i, n, full))
            return 1;
    }
    return 0;
}

/* Nonzero when FFmpeg might take the payload (its first n bytes) for something other than
 * PCM. The WAV demuxer looks for S/PDIF bursts in the first 64 KiB of integer PCM; a 16-bit
 * payload's first packet is also probed for raw compressed audio, whose probes need runs of
 * frames (MP3, ADTS, LOAS), a frame at the start or hundreds of them (AC-3), or 32-bit sync
 * words (DTS, TrueHD). Erring towards FFmpeg only costs time. */
static int payload_suspect(const pcm_file *f, const uint8_t *payload, int64_t n)
{
    if (f->kind != K_U8 && f->kind != K_S16 && f->kind != K_S24 && f->kind != K_S32)
        return 0;
    int64_t head = n < HEAD_BYTES ? n : HEAD_BYTES, probed = 0;
    unsigned ac3 = 0;
    if (f->kind == K_S16) {
        probed = n < PROBE_BYTES ? n : PROBE_BYTES;
        if (scan(payload, probed, 1, &ac3) || ac3 >= 64 ||
            (probed >= 2 && is_ac3_sync(payload[0], payload[1])) ||
            (probed >= 3 && memcmp(payload, "ID3", 3) == 0))
            return 1;
        /* the S/PDIF pattern may straddle the end of the probed bytes */
        probed = probed > 3 ? probed - 3 : 0;
    }
    return scan(payload + probed, head - probed, 0, &ac3);
}

/* G.711 expansions, as FFmpeg's pcm decoder computes them. */
static int16_t alaw_sample(uint8_t v)
{
    v ^= 0x55;
    int t = v & 0x0F, seg = (v & 0x70) >> 4;
    t = seg ? (t + t + 1 + 32) << (seg + 2) : (t + t + 1) << 3;
    return (int16_t)((v & 0x80) ? t : -t);
}

static int16_t mulaw_sample(uint8_t v)
{
    v = (uint8_t)~v;
    int t = (((v & 0x0F) << 3) + 0x84) << ((v & 0x70) >> 4);
    return (int16_t)((v & 0x80) ? 0x84 - t : t - 0x84);
}

/* The sample format FFmpeg's decoder gives for `kind` (24-bit and the logarithmic codes
 * widened, as its pcm decoders do). */
static enum AVSampleFormat decoded_fmt(int kind)
{
    switch (kind) {
    case K_U8: return AV_SAMPLE_FMT_U8;
    case K_S16:
    case K_ALAW:
    case K_MULAW: return AV_SAMPLE_FMT_S16;
    case K_S24:
    case K_S32: return AV_SAMPLE_FMT_S32;
    case K_F32: return AV_SAMPLE_FMT_FLT;
    default: return AV_SAMPLE_FMT_DBL;
    }
}

/* Converts `frames` frames at `in` into the output at frame `at`. `tmp` holds as many frames
 * of s16/s32 for the formats that are widened first. */
static int convert_frames(const pcm_file *f, const uint8_t *in, int64_t frames, da_audio *a,
                          int64_t at, void *tmp)
{
    int ch = f->channels;
    int64_t count = frames * ch;
    enum AVSampleFormat fmt = decoded_fmt(f->kind);
    if (f->kind == K_S24) {
        int32_t *w = tmp;
        for (int64_t i = 0; i < count; i++)
            w[i] = (int32_t)((uint32_t)in[3 * i] << 8 | (uint32_t)in[3 * i + 1] << 16 |
                             (uint32_t)in[3 * i + 2] << 24);
        in = tmp;
    } else if (f->kind == K_ALAW || f->kind == K_MULAW) {
        int16_t table[256], *w = tmp;
        for (int v = 0; v < 256; v++)
            table[v] = f->kind == K_ALAW ? alaw_sample((uint8_t)v) : mulaw_sample((uint8_t)v);
        for (int64_t i = 0; i < count; i++)
            w[i] = table[in[i]];
        in = tmp;
    }
    size_t isz = (size_t)av_get_bytes_per_sample(fmt), osz = (size_t)a->itemsize;
    uint8_t *out = a->data;
    if (!a->channels_first)
        return da__convert(fmt, in, 1, a->dtype, out + (size_t)at * (size_t)ch * osz, 1, count);
    size_t row = (size_t)da__audio_capacity(a) * osz;
    for (int c = 0; c < ch; c++) {
        int ret = da__convert(fmt, in + (size_t)c * isz, ch, a->dtype,
                              out + (size_t)c * row + (size_t)at * osz, 1, frames);
        if (ret < 0)
            return ret;
    }
    return 0;
}

/* Whether the options (already checked by da_decode) leave nothing for FFmpeg to do beyond
 * reading and converting. */
static int plain_options(const da_source *src, const da_decode_options *opt)
{
    const da_open_options *o = &opt->open;
    const char *env = getenv(DA_ENV_FAST_PATHS);
    if (env != NULL && strcmp(env, "0") == 0)
        return 0;
    if (src == NULL || !((src->kind == DA_SOURCE_PATH && src->path != NULL) ||
                         (src->kind == DA_SOURCE_MEMORY && src->data != NULL && src->size >= 0)))
        return 0;
    return (o->format == NULL || strcmp(o->format, "wav") == 0) && o->protocols == NULL &&
           o->formats == NULL && (o->stream_index == -1 || o->stream_index == 0) &&
           o->decoder == NULL && o->decoder_options == NULL && o->format_options == NULL &&
           opt->filter_desc == NULL && opt->out_data == NULL;
}

/* Reads the file's head (a path) or points at the bytes (memory) and parses the header;
 * negative when the input is not one for this reader. */
static int open_source(const da_source *src, pcm_file *f)
{
    if (src->kind == DA_SOURCE_MEMORY) {
        f->mem = src->data;
        f->size = src->size;
    } else {
        struct stat st;
        f->fd = open(src->path, O_RDONLY | O_CLOEXEC);
        if (f->fd < 0 || fstat(f->fd, &st) < 0 || !S_ISREG(st.st_mode))
            return -1;
        f->size = st.st_size;
        f->head_size = f->size < HEAD_ALLOC ? f->size : HEAD_ALLOC;
        f->head = malloc(HEAD_ALLOC);
        if (f->head == NULL || pread(f->fd, f->head, (size_t)f->head_size, 0) != f->head_size)
            return -1;
    }
    return parse_wav(f);
}

/* Converts frames [first, first + count) of the data chunk into `a`, a block at a time;
 * DA_PCM_UNHANDLED when the file changed under us (FFmpeg then says what happened). */
static int read_frames(pcm_file *f, int64_t first, int64_t count, da_audio *a)
{
    int64_t frame_bytes = (int64_t)f->sample_bytes * f->channels;
    int widened = f->kind == K_S24 || f->kind == K_ALAW || f->kind == K_MULAW;
    int64_t step = HEAD_ALLOC / frame_bytes;
    /* tmp holds a block widened to s16/s32, or a block staged to align its samples */
    int64_t tmp_frame = frame_bytes > 4 * f->channels ? frame_bytes : 4 * f->channels;
    size_t tmp_size = (size_t)(step < count ? step : count) * (size_t)tmp_frame;
    void *tmp = NULL;
    int ret = 0;
    if (widened && (tmp = malloc(tmp_size > 0 ? tmp_size : 1)) == NULL)
        return AVERROR(ENOMEM);
    for (int64_t done = 0; done < count && ret >= 0;) {
        int64_t n = count - done < step ? count - done : step;
        int64_t at = f->data_offset + (first + done) * frame_bytes;
        /* beyond what the head holds, the head buffer stages the samples */
        if (f->mem == NULL && at + n * frame_bytes > f->head_size)
            f->head_size = 0;
        const uint8_t *in = bytes_at(f, at, n * frame_bytes, f->head);
        if (in == NULL) {
            ret = DA_PCM_UNHANDLED;
            break;
        }
        /* the conversion loops read whole samples, so an unaligned block (a data chunk at
         * an offset that is not a multiple of the sample size) is staged in aligned memory */
        if (!widened && (uintptr_t)in % (uintptr_t)f->sample_bytes != 0) {
            if (tmp == NULL && (tmp = malloc(tmp_size)) == NULL) {
                ret = AVERROR(ENOMEM);
                break;
            }
            memcpy(tmp, in, (size_t)(n * frame_bytes));
            in = tmp;
        }
        ret = convert_frames(f, in, n, a, done, tmp);
        done += n;
    }
    free(tmp);
    return ret;
}

int da__pcm_decode(const da_source *src, const da_decode_options *opt, da_audio **out,
                   char *err, size_t err_size)
{
    if (opt == NULL || !plain_options(src, opt))
        return DA_PCM_UNHANDLED;
    int ret = DA_PCM_UNHANDLED;
    pcm_file f = {.fd = -1};
    da_audio *a = NULL;
    const char *name = src->name != NULL ? src->name : src->kind == DA_SOURCE_PATH ? src->path
                                                                                  : "<bytes>";
    if (open_source(src, &f) < 0)
        goto end;
    if ((opt->sample_rate > 0 && opt->sample_rate != f.rate) ||
        (opt->num_channels > 0 && opt->num_channels != f.channels))
        goto end;
    int64_t data_bytes = f.frames * f.sample_bytes * f.channels;
    uint8_t probe_buf[HEAD_BYTES];
    int64_t probe_n = data_bytes < HEAD_BYTES ? data_bytes : HEAD_BYTES;
    const uint8_t *payload = bytes_at(&f, f.data_offset, probe_n, probe_buf);
    if (payload == NULL || payload_suspect(&f, payload, probe_n))
        goto end;

    int64_t first = opt->frame_offset < f.frames ? opt->frame_offset : f.frames;
    int64_t count = f.frames - first;
    if (opt->num_frames >= 0 && opt->num_frames < count)
        count = opt->num_frames;
    int dtype = opt->dtype == DA_DTYPE_AUTO ? da__native_dtype(1, decoded_fmt(f.kind))
                                            : opt->dtype;
    ret = da__audio_alloc(dtype, f.channels, f.rate, opt->channels_first != 0, count, &a);
    if (ret >= 0)
        ret = read_frames(&f, first, count, a);
    if (ret == 0)
        ret = da__audio_finish(a, count);
    if (ret < 0 || ret == DA_PCM_UNHANDLED)
        goto end;
    *out = a;
    a = NULL;

end:
    if (ret < 0)
        da__fail(ret, err, err_size, "decode '%s'", name);
    da_audio_release(&a);
    free(f.head);
    if (f.fd >= 0)
        close(f.fd);
    return ret;
}
