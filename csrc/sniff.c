/* sniff.c - the demuxer for a file whose extension and first bytes agree, without probing.
 *
 * libavformat's probe runs every demuxer's probe function over the first 2 KiB or more: for
 * a 1 s MP3 that is a quarter of the decode. When a path's extension names a format and the
 * file starts the way only that format starts, the probe's answer is known, so the demuxer is
 * named instead. Anything else (no extension, a mismatch, an ID3 tag too long to look past,
 * MPEG audio frames that do not chain) is probed as usual, and so is everything when
 * DECODE_AUDIO_FAST_PATHS=0.
 *
 * An MP3 found so also needs no stream info: what avformat_find_stream_info() would decode
 * frames to learn (rate, channels, frame size) is in the first frame's header.
 */
#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "internal.h"

#define SNIFF_BYTES 4096

/* MP3: after an ID3v2 tag, if any, three MPEG audio frames in a row; *header gets the
 * first one's header. */
static int is_mp3(const uint8_t *b, int n, uint32_t *header)
{
    int at = da__id3v2_size(b, n);
    if (at + 4 <= n)
        *header = (uint32_t)b[at] << 24 | (uint32_t)b[at + 1] << 16 | (uint32_t)b[at + 2] << 8 |
                  b[at + 3];
    for (int frames = 0; frames < 3; frames++) {
        if (at + 4 > n)
            return 0;
        int len = da__mpa_frame_size(b + at);
        if (len == 0)
            return 0;
        at += len;
    }
    return 1;
}

static int is_wav(const uint8_t *b, int n, uint32_t *header)
{
    (void)header;
    if (n < 12 || memcmp(b, "RIFF", 4) != 0 || memcmp(b + 8, "WAVE", 4) != 0)
        return 0;
    /* what the ACT demuxer outbids WAV for (actdec.c): a 16-byte fmt chunk and its marker */
    int act = n >= 258 && b[16] == 16 && b[17] == 0 && b[18] == 0 && b[19] == 0 &&
              b[256] == 0x84 && b[257] == 0;
    return !act;
}

const AVInputFormat *da__sniff_format(const da_source *src, uint32_t *mpa_header)
{
    static const struct {
        const char *ext, *demuxer;
        int (*matches)(const uint8_t *, int, uint32_t *);
    } table[] = {
        {"mp3", "mp3", is_mp3},
        {"wav", "wav", is_wav},
    };
    static const struct {
        const char *ext, *demuxer, *magic;
        int offset;
    } magic[] = {
        {"flac", "flac", "fLaC", 0},
        {"ogg", "ogg", "OggS", 0},
        {"oga", "ogg", "OggS", 0},
        {"opus", "ogg", "OggS", 0},
        {"m4a", "mov", "ftyp", 4},
        {"mp4", "mov", "ftyp", 4},
    };
    if (src->kind != DA_SOURCE_PATH || src->path == NULL)
        return NULL;
    const char *env = getenv(DA_ENV_FAST_PATHS);
    if (env != NULL && strcmp(env, "0") == 0)
        return NULL;
    const char *dot = strrchr(src->path, '.');
    if (dot == NULL || strchr(dot, '/') != NULL)
        return NULL;
    const char *ext = dot + 1;
    const char *demuxer = NULL;
    int (*matches)(const uint8_t *, int, uint32_t *) = NULL;
    const char *want = NULL;
    int offset = 0;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcasecmp(ext, table[i].ext) == 0) {
            demuxer = table[i].demuxer;
            matches = table[i].matches;
        }
    for (size_t i = 0; i < sizeof magic / sizeof magic[0]; i++)
        if (strcasecmp(ext, magic[i].ext) == 0) {
            demuxer = magic[i].demuxer;
            want = magic[i].magic;
            offset = magic[i].offset;
        }
    if (demuxer == NULL)
        return NULL;
    uint8_t b[SNIFF_BYTES];
    int fd = open(src->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    ssize_t n = pread(fd, b, sizeof b, 0);
    close(fd);
    if (n <= 0)
        return NULL;
    uint32_t header = 0;
    int ok = matches != NULL ? matches(b, (int)n, &header)
                             : n >= offset + 4 && memcmp(b + offset, want, 4) == 0;
    if (ok && mpa_header != NULL)
        *mpa_header = header;
    return ok ? av_find_input_format(demuxer) : NULL;
}
