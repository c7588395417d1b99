/* decode_audio_ffmpeg - decodes IN to raw signed 16-bit little-endian samples in OUT, at the
 * input's own rate and channel count: the same bytes as `ffmpeg -i IN -f s16le OUT`. */
#include <stdio.h>
#include <string.h>

#include "decode_audio.h"

static void usage(FILE *to, const char *name)
{
    fprintf(to, "usage: %s IN OUT\n"
                "Decodes IN to raw s16le samples (native rate and channels) in OUT.\n", name);
}

int main(int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout, argv[0]);
        return 0;
    }
    if (argc != 3) {
        usage(stderr, argv[0]);
        return 2;
    }
    char err[DA_ERROR_SIZE] = "";
    da_source src = {0};
    src.kind = DA_SOURCE_PATH;
    src.path = argv[1];
    da_decode_options opt;
    da_decode_options_init(&opt);
    opt.dtype = DA_DTYPE_INT16;
    da_audio *audio = NULL;
    int status = 1;
    FILE *out = NULL;
    if (da_decode(&src, &opt, &audio, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        goto end;
    }
    out = fopen(argv[2], "wb");
    if (out == NULL) {
        perror(argv[2]);
        goto end;
    }
    size_t count = (size_t)audio->num_frames * (size_t)audio->num_channels;
    if (fwrite(audio->data, (size_t)audio->itemsize, count, out) != count) {
        perror(argv[2]);
        goto end;
    }
    status = 0;
    fprintf(stderr, "%lld frames, %d channels, %d Hz\n", (long long)audio->num_frames,
            audio->num_channels, audio->sample_rate);
end:
    if (out != NULL && fclose(out) != 0 && status == 0) {
        perror(argv[2]);
        status = 1;
    }
    da_audio_release(&audio);
    return status;
}
