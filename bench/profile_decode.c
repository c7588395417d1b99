/* profile_decode.c - da_decode() in a loop, for profiling one benchmark row with callgrind or
 * perf (bench/Makefile's `profile` target).
 *
 * Usage: profile_decode FILE CALLS [FRAME_OFFSET NUM_FRAMES [EXACT]]
 * Decodes FILE to float32 CALLS times, as decode_audio.decode() does without Python.
 */
#include <stdio.h>
#include <stdlib.h>

#include "decode_audio.h"

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s FILE CALLS [FRAME_OFFSET NUM_FRAMES [EXACT]]\n", argv[0]);
        return 2;
    }
    int calls = atoi(argv[2]);
    for (int i = 0; i < calls; i++) {
        da_source src = {0};
        src.kind = DA_SOURCE_PATH;
        src.path = argv[1];
        da_decode_options opt;
        da_decode_options_init(&opt);
        if (argc > 4) {
            opt.frame_offset = atoll(argv[3]);
            opt.num_frames = atoll(argv[4]);
        }
        if (argc > 5)
            opt.exact = atoi(argv[5]);
        da_audio *audio = NULL;
        char err[DA_ERROR_SIZE];
        if (da_decode(&src, &opt, &audio, err, sizeof err) < 0) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        da_audio_release(&audio);
    }
    return 0;
}
