/* fuzz_reader.c - libFuzzer target: the chunked reader must give what da_decode gives.
 *
 * The input is laid out as for fuzz_decode.c (a mode byte, then the file; interleaved
 * output only). Wherever da_decode succeeds, the chunks of da_reader_read, at a chunk size
 * the mode byte also picks, must concatenate to the same frames bit for bit; a difference
 * aborts, as a crash would. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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
    opt.channels_first = 0; /* chunks are interleaved */
    int64_t chunk_frames = 1 + (mode * 131) % 3000;
    char err[DA_ERROR_SIZE];
    da_audio *whole = NULL;
    da_reader *r = NULL;
    if (da_decode(&src, &opt, &whole, err, sizeof err) < 0)
        goto end;
    size_t frame_bytes = (size_t)whole->num_channels * (size_t)whole->itemsize;
    size_t total = (size_t)whole->num_frames * frame_bytes;
    if (da_reader_open(&src, &opt, &r, err, sizeof err) < 0)
        abort();
    size_t done = 0;
    for (;;) {
        da_audio *chunk = NULL;
        if (da_reader_read(r, chunk_frames, &chunk, err, sizeof err) < 0)
            abort();
        size_t bytes = (size_t)chunk->num_frames * frame_bytes;
        if (chunk->num_frames > chunk_frames || done + bytes > total ||
            (bytes > 0 && memcmp((const uint8_t *)whole->data + done, chunk->data, bytes) != 0))
            abort();
        done += bytes;
        int64_t n = chunk->num_frames;
        da_audio_release(&chunk);
        if (n < chunk_frames)
            break;
    }
    if (done != total)
        abort();
end:
    da_reader_free(&r);
    da_audio_release(&whole);
    return 0;
}
