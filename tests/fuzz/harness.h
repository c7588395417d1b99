/* harness.h - what the libFuzzer targets share: the decoding options a mode byte picks, and
 * a read of every decoded sample. */
#ifndef DA_FUZZ_HARNESS_H
#define DA_FUZZ_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "decode_audio.h"

/* The input after its mode byte, as bytes given to decode(). */
static inline void fuzz_memory_source(const uint8_t *data, size_t size, da_source *src)
{
    memset(src, 0, sizeof *src);
    src->kind = DA_SOURCE_MEMORY;
    src->data = data + 1;
    src->size = (int64_t)size - 1;
}

/* Options from the first input byte: bits 0-2 the dtype (mod 6), bit 3 channels-first,
 * bit 4 resampling to 16 kHz, bit 5 the window [100, 1100), bit 6 a remix to mono, bit 7
 * exact=0. tests/test_fuzz_regressions.py reads the byte the same way. */
static inline void fuzz_options(uint8_t mode, da_decode_options *opt)
{
    da_decode_options_init(opt);
    opt->dtype = (int32_t)(mode % 6);
    opt->channels_first = (mode >> 3) & 1;
    if (mode & 0x10)
        opt->sample_rate = 16000;
    if (mode & 0x20) {
        opt->frame_offset = 100;
        opt->num_frames = 1000;
    }
    if (mode & 0x40)
        opt->num_channels = 1;
    if (mode & 0x80)
        opt->exact = 0;
}

/* Reads every 61st byte of the samples, so that a buffer shorter than it claims shows up
 * under ASan. */
static inline void fuzz_touch(const da_audio *audio)
{
    volatile uint8_t sink = 0;
    size_t bytes = (size_t)audio->num_frames * (size_t)audio->num_channels *
                   (size_t)audio->itemsize;
    for (size_t i = 0; i < bytes; i += 61)
        sink ^= ((const uint8_t *)audio->data)[i];
    (void)sink;
}

#endif /* DA_FUZZ_HARNESS_H */
