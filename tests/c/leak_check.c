/* leak_check.c - drives every entry point of libdecode_audio, and its error paths, for
 * `make valgrind-test` (valgrind's memcheck finds leaks and invalid accesses).
 *
 *     leak_check TMPDIR
 *
 * Writes a short signal in several formats through the writer (to paths, and to seekable and
 * write-only callbacks), then probes and decodes each through paths, memory and callbacks,
 * with conversion, resampling, windows, filters, chunked reading and DLPack exports; then
 * truncated, damaged and failing inputs, and misuse. Each call's outcome is checked against
 * what it should be; the exit status is the number of unexpected outcomes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode_audio.h"

static int failures;
static int calls;
static char err[DA_ERROR_SIZE];

/* Records an outcome: `ret` should be 0 when `ok`, negative otherwise; errors must name
 * something ("what failed: why"). */
static void expect(int ret, int ok, const char *what)
{
    calls++;
    if ((ret == 0) != ok || (ret < 0 && strstr(err, ": ") == NULL)) {
        failures++;
        fprintf(stderr, "UNEXPECTED %s: %d %s\n", what, ret, ret < 0 ? err : "(succeeded)");
    }
    err[0] = '\0';
}

/* ---- memory destinations and sources ---- */

typedef struct membuf {
    uint8_t *data;
    int64_t size, cap, pos;
    int64_t fail_after;       /* a callback fails once pos passes this; -1: never */
} membuf;

static int64_t mem_write(void *opaque, const uint8_t *buf, int64_t size)
{
    membuf *m = opaque;
    if (m->fail_after >= 0 && m->pos + size > m->fail_after)
        return -1;
    if (m->pos + size > m->cap) {
        int64_t cap = (m->pos + size) * 2;
        uint8_t *p = realloc(m->data, (size_t)cap);
        if (p == NULL)
            return -1;
        m->data = p;
        m->cap = cap;
    }
    memcpy(m->data + m->pos, buf, (size_t)size);
    m->pos += size;
    if (m->pos > m->size)
        m->size = m->pos;
    return size;
}

static int64_t mem_read(void *opaque, uint8_t *buf, int64_t size)
{
    membuf *m = opaque;
    if (m->fail_after >= 0 && m->pos >= m->fail_after)
        return -1;
    int64_t end = m->fail_after >= 0 && m->fail_after < m->size ? m->fail_after : m->size;
    int64_t n = end - m->pos < size ? end - m->pos : size;
    memcpy(buf, m->data + m->pos, (size_t)n);
    m->pos += n;
    return n;
}

static int64_t mem_seek(void *opaque, int64_t offset, int whence)
{
    membuf *m = opaque;
    if (whence == 0x10000)
        return m->size;
    int64_t pos = whence == 0 ? offset : whence == 1 ? m->pos + offset : m->size + offset;
    if (pos < 0)
        return -1;
    m->pos = pos;
    return pos;
}

/* ---- writing ---- */

#define RATE 44100
#define FRAMES 22050
#define CHANNELS 2

static float signal_data[FRAMES * CHANNELS];

typedef struct format {
    const char *ext;
    const char *muxer;
    int rate;
    int streamable;           /* write-only callbacks can take it */
} format;

static const format FORMATS[] = {
    {"wav", "wav", RATE, 0},     {"flac", "flac", RATE, 1}, {"mp3", "mp3", RATE, 0},
    {"ogg", "ogg", RATE, 1},     {"opus", "opus", 48000, 1}, {"m4a", "ipod", RATE, 0},
    {"aiff", "aiff", RATE, 0},   {"au", "au", RATE, 1},
};
#define NUM_FORMATS (int)(sizeof FORMATS / sizeof FORMATS[0])

/* Writes the signal to `dst` with `muxer`: two interleaved chunks and one read through
 * channels-first strides, with a tag and optionally a filter. */
static int write_signal(const da_output *dst, const char *muxer, int rate, const char *filter)
{
    da_writer *w = NULL;
    int ret = da_writer_open(dst, muxer, &w, err, sizeof err);
    if (ret < 0)
        return ret;
    da_audio_stream_options opt;
    da_audio_stream_options_init(&opt);
    opt.sample_rate = rate;
    opt.num_channels = CHANNELS;
    opt.filter_desc = filter;
    int index = -1;
    ret = da_writer_add_audio(w, &opt, &index, err, sizeof err);
    if (ret >= 0)
        ret = da_writer_set_metadata(w, "title", "leak check", err, sizeof err);
    if (ret >= 0)
        ret = da_writer_start(w, NULL, err, sizeof err);
    if (ret >= 0)
        ret = da_writer_write_audio(w, index, signal_data, 1000, CHANNELS, 1, err, sizeof err);
    if (ret >= 0)
        ret = da_writer_write_audio(w, index, signal_data + 1000 * CHANNELS, 9000, CHANNELS, 1,
                                    err, sizeof err);
    /* the rest read as if the array were (channels, frames) with a row of FRAMES */
    if (ret >= 0)
        ret = da_writer_write_audio(w, index, signal_data, 5000, 1, FRAMES, err, sizeof err);
    if (ret >= 0)
        return da_writer_close(&w, err, sizeof err);
    da_writer_free(&w);
    return ret;
}

/* ---- reading ---- */

static da_source path_source(const char *path)
{
    da_source s;
    memset(&s, 0, sizeof s);
    s.kind = DA_SOURCE_PATH;
    s.path = path;
    return s;
}

static da_source memory_source(const membuf *m, int64_t size)
{
    da_source s;
    memset(&s, 0, sizeof s);
    s.kind = DA_SOURCE_MEMORY;
    s.data = m->data;
    s.size = size;
    return s;
}

static da_source callback_source(membuf *m, int seekable)
{
    da_source s;
    memset(&s, 0, sizeof s);
    s.kind = DA_SOURCE_CALLBACKS;
    s.opaque = m;
    s.read = mem_read;
    s.seek = seekable ? mem_seek : NULL;
    s.seekable = seekable;
    s.name = seekable ? "<seekable callbacks>" : "<read-only callbacks>";
    m->pos = 0;
    return s;
}

static int probe(const da_source *src, int exact)
{
    da_open_options opt;
    memset(&opt, 0, sizeof opt);
    opt.stream_index = -1;
    da_info info;
    int ret = da_probe(src, &opt, exact, &info, err, sizeof err);
    da_info_clear(&info);
    return ret;
}

/* Decodes with `opt` (NULL: defaults) and exports the result through both DLPack kinds. */
static int decode(const da_source *src, const da_decode_options *given)
{
    da_decode_options opt;
    da_decode_options_init(&opt);
    if (given != NULL)
        opt = *given;
    da_audio *audio = NULL;
    int ret = da_decode(src, &opt, &audio, err, sizeof err);
    if (ret < 0)
        return ret;
    for (int versioned = 0; versioned < 2 && ret >= 0; versioned++) {
        void *managed = NULL;
        ret = da_audio_to_dlpack(audio, versioned, &managed, err, sizeof err);
        if (ret >= 0)
            da_dlpack_release(managed, versioned);
    }
    da_audio_release(&audio);
    return ret;
}

/* Reads `chunks` chunks (all: -1) of 4000 frames, then frees the reader. */
static int read_chunks(const da_source *src, int chunks, int sample_rate)
{
    da_decode_options opt;
    da_decode_options_init(&opt);
    opt.sample_rate = sample_rate;
    da_reader *r = NULL;
    int ret = da_reader_open(src, &opt, &r, err, sizeof err);
    for (int i = 0; ret >= 0 && (chunks < 0 || i < chunks); i++) {
        da_audio *chunk = NULL;
        ret = da_reader_read(r, 4000, &chunk, err, sizeof err);
        int64_t n = chunk != NULL ? chunk->num_frames : 0;
        da_audio_release(&chunk);
        if (n == 0)
            break;
    }
    da_reader_free(&r);
    return ret;
}

static void check_format(const char *dir, const format *f)
{
    char path[4096], what[128];
    snprintf(path, sizeof path, "%s/leak.%s", dir, f->ext);
    da_output out;
    memset(&out, 0, sizeof out);
    out.kind = DA_SOURCE_PATH;
    out.path = path;
    snprintf(what, sizeof what, "write %s to a path", f->ext);
    expect(write_signal(&out, NULL, f->rate, NULL), 1, what);

    /* the same to seekable callbacks: this copy is decoded from memory below */
    membuf m = {NULL, 0, 0, 0, -1};
    memset(&out, 0, sizeof out);
    out.kind = DA_SOURCE_CALLBACKS;
    out.opaque = &m;
    out.write = mem_write;
    out.seek = mem_seek;
    out.seekable = 1;
    out.name = "<memory>";
    snprintf(what, sizeof what, "write %s to seekable callbacks", f->ext);
    expect(write_signal(&out, f->muxer, f->rate, "volume=0.5"), 1, what);

    /* write-only callbacks: streamable muxers work, the others refuse */
    membuf w = {NULL, 0, 0, 0, -1};
    out.opaque = &w;
    out.seek = NULL;
    out.seekable = 0;
    snprintf(what, sizeof what, "write %s to write-only callbacks", f->ext);
    expect(write_signal(&out, f->muxer, f->rate, NULL), f->streamable, what);
    /* a destination that fails part way */
    membuf failing = {NULL, 0, 0, 0, 3000};
    out.opaque = &failing;
    snprintf(what, sizeof what, "write %s to failing callbacks", f->ext);
    expect(write_signal(&out, f->muxer, f->rate, NULL), 0, what);
    free(w.data);
    free(failing.data);

    da_source src = path_source(path);
    snprintf(what, sizeof what, "probe %s", f->ext);
    expect(probe(&src, 1), 1, what);
    expect(probe(&src, 0), 1, what);
    snprintf(what, sizeof what, "decode %s", f->ext);
    expect(decode(&src, NULL), 1, what);

    da_decode_options opt;
    da_decode_options_init(&opt);
    opt.dtype = DA_DTYPE_INT16;
    opt.channels_first = 1;
    opt.sample_rate = 16000;
    opt.num_channels = 1;
    da_source mem = memory_source(&m, m.size);
    snprintf(what, sizeof what, "decode %s from memory, resampled", f->ext);
    expect(decode(&mem, &opt), 1, what);

    da_decode_options_init(&opt);
    opt.frame_offset = 3000;
    opt.num_frames = 5000;
    opt.on_error = DA_ON_ERROR_RAISE;
    da_source cb = callback_source(&m, 1);
    snprintf(what, sizeof what, "decode a window of %s from seekable callbacks", f->ext);
    expect(decode(&cb, &opt), 1, what);
    cb = callback_source(&m, 0);
    snprintf(what, sizeof what, "decode %s from read-only callbacks", f->ext);
    expect(decode(&cb, NULL), 1, what);

    da_decode_options_init(&opt);
    opt.filter_desc = "atempo=1.25,highpass=f=300";
    opt.dtype = DA_DTYPE_FLOAT64;
    snprintf(what, sizeof what, "decode %s through a filter", f->ext);
    expect(decode(&src, &opt), 1, what);

    /* into the caller's memory, too small for the result */
    float small[100 * CHANNELS];
    da_decode_options_init(&opt);
    opt.out_data = small;
    opt.out_capacity = 100;
    opt.out_channels = CHANNELS;
    snprintf(what, sizeof what, "decode %s into too small a buffer", f->ext);
    expect(decode(&src, &opt), 0, what);
    opt.num_frames = 100;
    snprintf(what, sizeof what, "decode 100 frames of %s into the caller's buffer", f->ext);
    expect(decode(&src, &opt), 1, what);

    snprintf(what, sizeof what, "read %s in chunks", f->ext);
    expect(read_chunks(&src, -1, 0), 1, what);
    snprintf(what, sizeof what, "read two resampled chunks of %s and stop", f->ext);
    expect(read_chunks(&mem, 2, 8000), 1, what);

    /* truncated, damaged in the middle, and a source whose reads fail */
    da_source half = memory_source(&m, m.size / 2);
    decode(&half, NULL);
    probe(&half, 1);
    err[0] = '\0';
    if (m.size > 4000) {
        uint8_t *keep = malloc((size_t)m.size);
        memcpy(keep, m.data, (size_t)m.size);
        for (int64_t i = m.size / 2; i < m.size / 2 + 600; i++)
            m.data[i] = (uint8_t)(i * 2654435761u >> 13);
        da_decode_options_init(&opt);
        decode(&mem, &opt);
        opt.on_error = DA_ON_ERROR_RAISE;
        decode(&mem, &opt);
        read_chunks(&mem, -1, 16000);
        memcpy(m.data, keep, (size_t)m.size);
        free(keep);
        err[0] = '\0';
    }
    m.fail_after = m.size / 3;
    cb = callback_source(&m, 1);
    snprintf(what, sizeof what, "decode %s from callbacks that fail", f->ext);
    expect(decode(&cb, NULL), 0, what);
    cb = callback_source(&m, 0);
    expect(probe(&cb, 1), 0, what);
    free(m.data);
}

/* 5.1 through the encoders that take it (libvorbisenc's own setup leak is suppressed). */
static void check_multichannel(void)
{
    static float six[4000 * 6];
    for (int i = 0; i < 4000 * 6; i++)
        six[i] = (float)((i * 37) % 101) / 101.0f - 0.5f;
    const char *muxers[] = {"ogg", "opus", "adts", "flac", "wav"};
    for (int i = 0; i < 5; i++) {
        membuf m = {NULL, 0, 0, 0, -1};
        da_output out;
        memset(&out, 0, sizeof out);
        out.kind = DA_SOURCE_CALLBACKS;
        out.opaque = &m;
        out.write = mem_write;
        out.seek = mem_seek;
        out.seekable = 1;
        out.name = "<memory>";
        da_writer *w = NULL;
        da_audio_stream_options opt;
        da_audio_stream_options_init(&opt);
        opt.sample_rate = 48000;
        opt.num_channels = 6;
        int index = -1, ret = da_writer_open(&out, muxers[i], &w, err, sizeof err);
        if (ret >= 0)
            ret = da_writer_add_audio(w, &opt, &index, err, sizeof err);
        if (ret >= 0)
            ret = da_writer_start(w, NULL, err, sizeof err);
        if (ret >= 0)
            ret = da_writer_write_audio(w, index, six, 4000, 6, 1, err, sizeof err);
        if (ret >= 0)
            ret = da_writer_close(&w, err, sizeof err);
        da_writer_free(&w);
        char what[64];
        snprintf(what, sizeof what, "write 5.1 %s", muxers[i]);
        expect(ret, 1, what);
        da_source src = memory_source(&m, m.size);
        snprintf(what, sizeof what, "decode 5.1 %s", muxers[i]);
        expect(decode(&src, NULL), 1, what);
        free(m.data);
    }
}

static void check_misuse(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/missing.wav", dir);
    da_source src = path_source(path);
    expect(decode(&src, NULL), 0, "decode a missing file");
    expect(probe(&src, 1), 0, "probe a missing file");
    expect(read_chunks(&src, 1, 0), 0, "read a missing file");
    src = path_source(dir);
    expect(decode(&src, NULL), 0, "decode a directory");

    uint8_t junk[4096];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (uint8_t)(i * 2654435761u >> 11);
    membuf m = {junk, sizeof junk, sizeof junk, 0, -1};
    da_source mem = memory_source(&m, m.size);
    expect(decode(&mem, NULL), 0, "decode random bytes");
    expect(probe(&mem, 1), 0, "probe random bytes");
    da_source empty = memory_source(&m, 0);
    expect(decode(&empty, NULL), 0, "decode nothing");

    snprintf(path, sizeof path, "%s/leak.wav", dir);
    src = path_source(path);
    da_decode_options opt;
    da_decode_options_init(&opt);
    opt.open.format = "nosuchformat";
    expect(decode(&src, &opt), 0, "decode with an unknown demuxer");
    da_decode_options_init(&opt);
    opt.open.stream_index = 5;
    expect(decode(&src, &opt), 0, "decode a missing stream");
    da_decode_options_init(&opt);
    opt.open.decoder = "nosuchdecoder";
    expect(decode(&src, &opt), 0, "decode with an unknown decoder");
    const char *bad_option[] = {"nosuchoption", "1", NULL};
    da_decode_options_init(&opt);
    opt.open.decoder_options = bad_option;
    expect(decode(&src, &opt), 0, "decode with an unknown decoder option");
    da_decode_options_init(&opt);
    opt.open.format_options = bad_option;
    expect(decode(&src, &opt), 0, "decode with an unknown demuxer option");
    da_decode_options_init(&opt);
    opt.filter_desc = "nosuchfilter";
    expect(decode(&src, &opt), 0, "decode through an unknown filter");
    da_decode_options_init(&opt);
    opt.resampler_options = "nosuchoption=1";
    opt.sample_rate = 8000;
    expect(decode(&src, &opt), 0, "decode with an unknown resampler option");
    da_decode_options_init(&opt);
    opt.dtype = 99;
    expect(decode(&src, &opt), 0, "decode to an unknown dtype");
    opt.dtype = DA_DTYPE_FLOAT32;
    opt.on_error = 7;
    expect(decode(&src, &opt), 0, "decode with an unknown on_error");

    da_output out;
    memset(&out, 0, sizeof out);
    out.kind = DA_SOURCE_PATH;
    snprintf(path, sizeof path, "%s/leak.nosuchext", dir);
    out.path = path;
    da_writer *w = NULL;
    expect(da_writer_open(&out, NULL, &w, err, sizeof err), 0, "write an unknown extension");
    expect(da_writer_open(&out, "nosuchmuxer", &w, err, sizeof err), 0, "write an unknown muxer");
    snprintf(path, sizeof path, "%s/no/such/dir/x.wav", dir);
    expect(write_signal(&out, NULL, RATE, NULL), 0, "write into a missing directory");

    snprintf(path, sizeof path, "%s/misuse.wav", dir);
    expect(da_writer_open(&out, NULL, &w, err, sizeof err), 1, "open a writer");
    da_audio_stream_options sopt;
    da_audio_stream_options_init(&sopt);
    sopt.sample_rate = RATE;
    sopt.num_channels = CHANNELS;
    sopt.encoder = "nosuchencoder";
    int index = -1;
    expect(da_writer_add_audio(w, &sopt, &index, err, sizeof err), 0, "add an unknown encoder");
    sopt.encoder = NULL;
    sopt.filter_desc = "nosuchfilter";
    expect(da_writer_add_audio(w, &sopt, &index, err, sizeof err), 0, "add an unknown filter");
    /* the failed adds leave the muxer with a stream it cannot write: only freeing is left */
    da_writer_free(&w);
    sopt.filter_desc = NULL;
    expect(da_writer_open(&out, NULL, &w, err, sizeof err), 1, "open a writer");
    expect(da_writer_add_audio(w, &sopt, &index, err, sizeof err), 1, "add a stream");
    expect(da_writer_write_audio(w, index, signal_data, 10, CHANNELS, 1, err, sizeof err), 0,
           "write before the header");
    expect(da_writer_start(w, NULL, err, sizeof err), 1, "write the header");
    expect(da_writer_write_audio(w, 3, signal_data, 10, CHANNELS, 1, err, sizeof err), 0,
           "write to a missing stream");
    expect(da_writer_write_audio(w, index, signal_data, 1000, CHANNELS, 1, err, sizeof err), 1,
           "write samples");
    /* abandoned: nothing is finished, everything is freed */
    da_writer_free(&w);
    da_writer_free(&w);

    expect(da_writer_open(&out, "wav", &w, err, sizeof err), 1, "open a writer");
    sopt.encoder = "pcm_s16le";
    sopt.num_channels = 0;
    expect(da_writer_add_audio(w, &sopt, &index, err, sizeof err), 0, "add zero channels");
    da_writer_close(&w, err, sizeof err);
    err[0] = '\0';
    da_writer_free(&w);

    da_versions v;
    expect(da_get_versions(&v), 1, "get versions");
    da_strerror(-1094995529, err, sizeof err);
    err[0] = '\0';
    int64_t live = -1;
    da_live_buffers(&live);
    if (live != 0) {
        failures++;
        fprintf(stderr, "UNEXPECTED: %lld buffers alive at the end\n", (long long)live);
    }
}

/* da_audio_new: copies, zeros, a large (mapped) buffer, and shapes it refuses. */
static void check_audio_new(void)
{
    da_audio like = {0};
    like.dtype = DA_DTYPE_FLOAT32;
    like.num_channels = CHANNELS;
    like.sample_rate = 16000;
    like.num_frames = FRAMES;
    like.decode_errors = 2;
    da_audio *a = NULL;
    int ret = da_audio_new(&like, signal_data, &a, err, sizeof err);
    expect(ret, 1, "audio_new copy");
    if (ret == 0 && (memcmp(a->data, signal_data, sizeof signal_data) != 0 ||
                     a->decode_errors != 2 || a->num_frames != FRAMES)) {
        failures++;
        fprintf(stderr, "UNEXPECTED audio_new: the copy differs\n");
    }
    void *managed = NULL;
    if (ret == 0 && da_audio_to_dlpack(a, 1, &managed, err, sizeof err) == 0)
        da_dlpack_release(managed, 1);
    da_audio_release(&a);
    like.num_frames = 3 << 20;  /* 24 MB: mapped pages */
    like.channels_first = 1;
    expect(da_audio_new(&like, NULL, &a, err, sizeof err), 1, "audio_new zeros");
    da_audio_release(&a);
    like.num_channels = 0;
    expect(da_audio_new(&like, NULL, &a, err, sizeof err), 0, "audio_new without channels");
    like.num_channels = 2;
    like.num_frames = INT64_MAX / 4;
    expect(da_audio_new(&like, NULL, &a, err, sizeof err), 0, "audio_new of too many frames");
    expect(da_audio_new(NULL, NULL, &a, err, sizeof err), 0, "audio_new without a shape");
    calls++;
    if (da_dlpack_set_capsule_api(NULL, NULL) == 0)
        failures++;
    da_dlpack_capsule_destructor(NULL);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s TMPDIR\n", argv[0]);
        return 2;
    }
    for (int f = 0; f < FRAMES; f++)
        for (int c = 0; c < CHANNELS; c++)
            signal_data[f * CHANNELS + c] =
                (float)(0.4 * ((f * (c + 3)) % 200) / 200.0 - 0.2 + 0.1 * ((f * 7919) % 13) / 13.0);
    for (int i = 0; i < NUM_FORMATS; i++)
        check_format(argv[1], &FORMATS[i]);
    check_multichannel();
    check_misuse(argv[1]);
    check_audio_new();
    printf("leak_check: %d calls, %d unexpected outcomes\n", calls, failures);
    return failures > 0;
}
