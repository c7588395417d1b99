/* buffer.c - output buffers: allocation, growth, shrinking, reference counting, and new buffers
 * of given samples (da_audio_new). */
#define _GNU_SOURCE
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

/* Outputs at least this large are mapped directly, so growing and shrinking them remaps pages
 * instead of copying, and transparent huge pages make their first touch cheap. */
#define MAP_THRESHOLD ((size_t)2 << 20)
#define HUGE_PAGE ((size_t)2 << 20)

typedef struct da_buffer {
    da_audio audio;           /* first, so a da_audio * is a da_buffer * */
    atomic_int refs;
    int mapped;               /* data came from mmap */
    size_t bytes;             /* bytes allocated at data */
    int64_t capacity;         /* frames that fit */
} da_buffer;

static atomic_llong live_buffers;

static size_t round_up(size_t n, size_t to)
{
    return (n + to - 1) / to * to;
}

/* Maps `bytes` (a page multiple) aligned to a huge page, and asks for huge pages. */
static void *map_pages(size_t bytes)
{
    size_t len = bytes + HUGE_PAGE;
    uint8_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    uint8_t *aligned = (uint8_t *)round_up((uintptr_t)p, HUGE_PAGE);
    size_t head = (size_t)(aligned - p);
    if (head > 0)
        munmap(p, head);
    if (len - head - bytes > 0)
        munmap(aligned + bytes, len - head - bytes);
#ifdef MADV_HUGEPAGE
    madvise(aligned, bytes, MADV_HUGEPAGE);
#endif
    return aligned;
}

/* Resizes the buffer's memory to `bytes`, keeping its contents up to the smaller size. */
static int resize(da_buffer *b, size_t bytes)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    if (bytes < 64)
        bytes = 64;
    if (b->mapped) {
        bytes = round_up(bytes, page);
        void *p = mremap(b->audio.data, b->bytes, bytes, MREMAP_MAYMOVE);
        if (p == MAP_FAILED)
            return AVERROR(ENOMEM);
#ifdef MADV_HUGEPAGE
        if (bytes > b->bytes)
            madvise(p, bytes, MADV_HUGEPAGE);
#endif
        b->audio.data = p;
    } else if (bytes >= MAP_THRESHOLD) {
        bytes = round_up(bytes, page);
        void *p = map_pages(bytes);
        if (p == NULL)
            return AVERROR(ENOMEM);
        if (b->audio.data != NULL) {
            memcpy(p, b->audio.data, b->bytes < bytes ? b->bytes : bytes);
            free(b->audio.data);
        }
        b->audio.data = p;
        b->mapped = 1;
    } else {
        void *p = realloc(b->audio.data, bytes);
        if (p == NULL)
            return AVERROR(ENOMEM);
        b->audio.data = p;
    }
    b->bytes = bytes;
    return 0;
}

static int check_shape(int dtype, int num_channels, int64_t capacity)
{
    if (da__dtype_size(dtype) == 0 || num_channels <= 0 || num_channels > 1024 || capacity < 0)
        return DA_ERR_ARGUMENT;
    return 0;
}

/* A buffer over `data` (the caller's) or, when `data` is NULL, over memory of its own. */
static int make_buffer(int dtype, int num_channels, int sample_rate, int channels_first,
                       void *data, int64_t capacity, da_audio **out)
{
    *out = NULL;
    int ret = check_shape(dtype, num_channels, capacity);
    if (ret < 0)
        return ret;
    da_buffer *b = calloc(1, sizeof *b);
    if (b == NULL)
        return AVERROR(ENOMEM);
    b->audio.dtype = dtype;
    b->audio.itemsize = da__dtype_size(dtype);
    b->audio.num_channels = num_channels;
    b->audio.sample_rate = sample_rate;
    b->audio.channels_first = channels_first ? 1 : 0;
    b->audio.num_threads = 1;
    atomic_init(&b->refs, 1);
    size_t bytes = (size_t)capacity * (size_t)num_channels * (size_t)b->audio.itemsize;
    if (data != NULL) {
        b->audio.data = data;
        b->bytes = bytes;
    } else {
        b->audio.owns_data = 1;
        ret = resize(b, bytes);
        if (ret < 0) {
            free(b);
            return ret;
        }
    }
    b->capacity = capacity;
    atomic_fetch_add(&live_buffers, 1);
    *out = &b->audio;
    return 0;
}

int da__audio_alloc(int dtype, int num_channels, int sample_rate, int channels_first,
                    int64_t capacity, da_audio **out)
{
    return make_buffer(dtype, num_channels, sample_rate, channels_first, NULL, capacity, out);
}

int da__audio_wrap(int dtype, int num_channels, int sample_rate, int channels_first,
                   void *data, int64_t capacity, da_audio **out)
{
    if (data == NULL) {
        *out = NULL;
        return DA_ERR_ARGUMENT;
    }
    return make_buffer(dtype, num_channels, sample_rate, channels_first, data, capacity, out);
}

int64_t da__audio_capacity(const da_audio *audio)
{
    return ((const da_buffer *)audio)->capacity;
}

int da__audio_reserve(da_audio *audio, int64_t capacity, int64_t used)
{
    da_buffer *b = (da_buffer *)audio;
    if (capacity <= b->capacity)
        return 0;
    if (!audio->owns_data)
        return DA_ERR_TOO_SMALL;
    /* grow by half again at least, so appending stays linear */
    int64_t grown = b->capacity + b->capacity / 2;
    if (capacity < grown)
        capacity = grown;
    size_t row = (size_t)audio->itemsize;
    size_t frame = row * (size_t)audio->num_channels;
    int ret = resize(b, (size_t)capacity * frame);
    if (ret < 0)
        return ret;
    if (audio->channels_first) {
        /* rows move to their new starts, last first, since each moves towards the end */
        uint8_t *base = audio->data;
        for (int c = audio->num_channels - 1; c > 0; c--)
            memmove(base + (size_t)c * (size_t)capacity * row,
                    base + (size_t)c * (size_t)b->capacity * row, (size_t)used * row);
    }
    b->capacity = capacity;
    return 0;
}

int da__audio_finish(da_audio *audio, int64_t used)
{
    da_buffer *b = (da_buffer *)audio;
    audio->num_frames = used;
    if (!audio->owns_data || used == b->capacity)
        return 0;
    size_t row = (size_t)audio->itemsize;
    if (audio->channels_first) {
        uint8_t *base = audio->data;
        for (int c = 1; c < audio->num_channels; c++)
            memmove(base + (size_t)c * (size_t)used * row,
                    base + (size_t)c * (size_t)b->capacity * row, (size_t)used * row);
    }
    int ret = resize(b, (size_t)used * row * (size_t)audio->num_channels);
    if (ret < 0)
        return ret;
    b->capacity = used;
    return 0;
}

int da_audio_new(const da_audio *like, const void *data, da_audio **out, char *err,
                 size_t err_size)
{
    if (out == NULL)
        return da__failmsg(DA_ERR_ARGUMENT, err, err_size, "audio: no output pointer");
    *out = NULL;
    if (like == NULL || check_shape(like->dtype, like->num_channels, like->num_frames) < 0 ||
        like->sample_rate <= 0 || like->decode_errors < 0)
        return da__failmsg(DA_ERR_ARGUMENT, err, err_size, "audio: invalid shape");
    size_t frame = (size_t)like->num_channels * (size_t)da__dtype_size(like->dtype);
    if ((uint64_t)like->num_frames > (uint64_t)(SIZE_MAX / 2) / frame)
        return da__failmsg(DA_ERR_ARGUMENT, err, err_size, "audio: %lld frames are too many",
                           (long long)like->num_frames);
    da_audio *a = NULL;
    int ret = da__audio_alloc(like->dtype, like->num_channels, like->sample_rate,
                              like->channels_first, like->num_frames, &a);
    if (ret < 0)
        return da__fail(ret, err, err_size, "audio");
    size_t bytes = (size_t)like->num_frames * frame;
    if (data != NULL)
        memcpy(a->data, data, bytes);
    else
        memset(a->data, 0, bytes);
    a->num_frames = like->num_frames;
    a->decode_errors = like->decode_errors;
    *out = a;
    return 0;
}

void da__audio_retain(da_audio *audio)
{
    atomic_fetch_add(&((da_buffer *)audio)->refs, 1);
}

void da_audio_release(da_audio **audio)
{
    if (audio == NULL || *audio == NULL)
        return;
    da_buffer *b = (da_buffer *)*audio;
    *audio = NULL;
    if (atomic_fetch_sub(&b->refs, 1) != 1)
        return;
    if (b->audio.owns_data) {
        if (b->mapped)
            munmap(b->audio.data, b->bytes);
        else
            free(b->audio.data);
    }
    free(b);
    atomic_fetch_sub(&live_buffers, 1);
}

int da_live_buffers(int64_t *count)
{
    if (count == NULL)
        return DA_ERR_ARGUMENT;
    *count = (int64_t)atomic_load(&live_buffers);
    return 0;
}
