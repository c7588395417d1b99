/* fuzz_decode.c - libFuzzer target: decode a buffer from memory, as bytes given to decode().
 *
 * The first input byte picks the output (dtype, layout, a resampled rate, a window), so the
 * converter, the resampler and the window code are reached as well as the demuxers and
 * decoders. Any crash, leak, or sanitizer report is a finding; errors returned are not. */
#include <stdint.h>

#include "harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t mode = data[0];
    da_source src;
    fuzz_memory_source(data, size, &src);
    da_decode_options opt;
    fuzz_options(mode, &opt);
    da_audio *audio = NULL;
    char err[DA_ERROR_SIZE];
    if (da_decode(&src, &opt, &audio, err, sizeof err) == 0)
        fuzz_touch(audio);
    da_audio_release(&audio);
    return 0;
}
