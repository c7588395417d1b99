/* fuzz_path.c - libFuzzer target: the same input decoded and probed from a file.
 *
 * Paths take code that memory does not: the extension and first bytes can name the demuxer
 * (sniff.c), MP3 and FLAC then skip stream info, and a plain PCM WAV is read with pread
 * through its head buffer (pcm.c). The input is written to a file whose extension the first
 * byte chooses, then decoded (with the options fuzz_decode.c picks from the same byte) and
 * probed. Any crash, leak or sanitizer report is a finding; errors returned are not. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static const char *const extensions[8] = {"wav", "mp3", "flac", "ogg", "m4a", "opus", "aiff",
                                          "au"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t mode = data[0];
    char path[256];
    const char *dir = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/da-fuzz-path-%d.%s", dir != NULL ? dir : "/tmp",
             (int)getpid(), extensions[mode & 7]);
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        abort();
    if (size > 1 && fwrite(data + 1, 1, size - 1, f) != size - 1)
        abort();
    fclose(f);

    da_source src;
    memset(&src, 0, sizeof src);
    src.kind = DA_SOURCE_PATH;
    src.path = path;
    da_decode_options opt;
    da_decode_options_init(&opt);
    opt.dtype = (int32_t)((mode >> 3) % 6);
    opt.channels_first = (mode >> 5) & 1;
    if (mode & 0x40) {
        opt.frame_offset = 100;
        opt.num_frames = 1000;
    }
    if (mode & 0x80)
        opt.sample_rate = 16000;
    da_audio *audio = NULL;
    char err[DA_ERROR_SIZE];
    if (da_decode(&src, &opt, &audio, err, sizeof err) == 0)
        fuzz_touch(audio);
    da_audio_release(&audio);

    da_info info;
    da_open_options open_opt = opt.open;
    if (da_probe(&src, &open_opt, mode & 1, &info, err, sizeof err) == 0)
        da_info_clear(&info);
    unlink(path);
    return 0;
}
