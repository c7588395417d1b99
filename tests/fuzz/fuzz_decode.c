/* fuzz_decode.c - libFuzzer target: decode a buffer from memory, as bytes given to decode().
 *
 * The first input byte picks the output (dtype, layout, a resampled rate, a window), so the
 * converter, the resampler and the window code are reached as well as the demuxers and
 * decoders. Any crash, leak, or sanitizer report is a finding; errors returned are not. */
#include <stdint.h>
#include <string.h>

#include "decode_audio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t mode = data[0];
    da_source src;
    memset(&src, 0, sizeof src);
    src.kind = DA_SOURCE_MEMORY;
    src.data = data + 1;
    src.size = (int64_t)size - 1;
    da_decode_options opt;
    da_decode_options_init(&opt);
    opt.dtype = (int32_t)(mode % 6);
    opt.channels_first = (mode >> 3) & 1;
    if (mode & 0x10)
        opt.sample_rate = 16000;
    if (mode & 0x20) {
        opt.frame_offset = 100;
        opt.num_frames = 1000;
    }
    if (mode & 0x40)
        opt.num_channels = 1;
    if (mode & 0x80)
        opt.exact = 0;
    da_audio *audio = NULL;
    char err[DA_ERROR_SIZE];
    if (da_decode(&src, &opt, &audio, err, sizeof err) == 0) {
        /* touch every sample so a short buffer shows up under ASan */
        volatile uint8_t sink = 0;
        size_t bytes = (size_t)audio->num_frames * (size_t)audio->num_channels *
                       (size_t)audio->itemsize;
        for (size_t i = 0; i < bytes; i += 61)
            sink ^= ((const uint8_t *)audio->data)[i];
        (void)sink;
    }
    da_audio_free(&audio);
    return 0;
}
