/* fuzz_probe.c - libFuzzer target: probe a buffer from memory, as info() does (the first
 * byte chooses exact or header-only counting, and whether the input is seekable). */
#include <stdint.h>
#include <string.h>

#include "decode_audio.h"

typedef struct cursor {
    const uint8_t *data;
    int64_t size, pos;
} cursor;

static int64_t read_fn(void *opaque, uint8_t *buf, int64_t size)
{
    cursor *c = opaque;
    int64_t n = c->size - c->pos < size ? c->size - c->pos : size;
    memcpy(buf, c->data + c->pos, (size_t)n);
    c->pos += n;
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t mode = data[0];
    cursor c = {data + 1, (int64_t)size - 1, 0};
    da_source src;
    memset(&src, 0, sizeof src);
    if (mode & 2) {
        /* a non-seekable file-like: the head buffer and the no-seek paths */
        src.kind = DA_SOURCE_CALLBACKS;
        src.opaque = &c;
        src.read = read_fn;
    } else {
        src.kind = DA_SOURCE_MEMORY;
        src.data = c.data;
        src.size = c.size;
    }
    da_open_options opt;
    memset(&opt, 0, sizeof opt);
    opt.stream_index = -1;
    da_info info;
    memset(&info, 0, sizeof info);
    char err[DA_ERROR_SIZE];
    if (da_probe(&src, &opt, mode & 1, &info, err, sizeof err) == 0) {
        volatile size_t n = strlen(info.codec) + strlen(info.container) + strlen(info.encoding);
        for (int64_t i = 0; i < info.tags_size; i++)
            n += (unsigned char)info.tags[i];
        (void)n;
    }
    da_info_clear(&info);
    return 0;
}
