/* sox.c - the SoX backend: info, decode and save of paths through libsox.
 *
 * Compiled with libsox when the Makefile finds its headers (DA_HAVE_SOX); otherwise every
 * function fails with AVERROR(ENOSYS) and da_sox_available() says 0.
 *
 * libsox keeps global state (its format table, sox_globals, the "subsystem" its messages
 * set), so it is initialised once with pthread_once and every call into it holds one mutex.
 * Its messages go to a handler that keeps the last failure of the calling thread for our
 * error messages; libsox never prints.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

#ifdef DA_HAVE_SOX
#include <sox.h>

/* Samples (all channels) read or written per libsox call. */
#define CHUNK_SAMPLES 16384
/* A header's frame count is trusted for the first allocation only up to this. */
#define MAX_INITIAL_FRAMES ((int64_t)1 << 20)

static pthread_once_t sox_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t sox_lock = PTHREAD_MUTEX_INITIALIZER;
static int sox_init_result;
/* libsox's last failure message on this thread. */
static _Thread_local char sox_last[256];

static void message_handler(unsigned level, const char *filename, const char *fmt, va_list ap)
{
    (void)filename;
    if (level != 1)
        return;
    vsnprintf(sox_last, sizeof sox_last, fmt, ap);
}

/* A fork while another thread is inside libsox must not leave the child's lock held. */
static void lock_for_fork(void)
{
    pthread_mutex_lock(&sox_lock);
}

static void unlock_after_fork(void)
{
    pthread_mutex_unlock(&sox_lock);
}

static void init_sox(void)
{
    pthread_atfork(lock_for_fork, unlock_after_fork, unlock_after_fork);
    sox_globals.output_message_handler = message_handler;
    sox_globals.verbosity = 1;
    sox_globals.use_magic = sox_false;
    sox_init_result = sox_init();
    if (sox_init_result == SOX_SUCCESS)
        sox_init_result = sox_format_init();
}

/* Initialises libsox once and takes the lock; 0, or a failure written into err. */
static int enter(char *err, size_t err_size, const char *what, const char *name)
{
    pthread_once(&sox_once, init_sox);
    if (sox_init_result != SOX_SUCCESS)
        return da__failmsg(AVERROR_EXTERNAL, err, err_size, "%s '%s': libsox failed to start",
                           what, name);
    pthread_mutex_lock(&sox_lock);
    sox_last[0] = '\0';
    return 0;
}

static void leave(void)
{
    pthread_mutex_unlock(&sox_lock);
}

/* libsox's reason, or `fallback`. */
static const char *reason(const sox_format_t *ft, const char *fallback)
{
    if (sox_last[0] != '\0')
        return sox_last;
    if (ft != NULL && ft->sox_errstr[0] != '\0')
        return ft->sox_errstr;
    return fallback;
}

/* libsox reads "-" as stdin, "|cmd" as a pipe and "http://" through wget: make every path a
 * plain file name. */
static int file_name(const char *path, char *out, size_t size)
{
    int n = snprintf(out, size, "%s%s", path[0] == '/' ? "" : "./", path);
    return n > 0 && (size_t)n < size ? 0 : AVERROR(ENAMETOOLONG);
}

static int check_path(const char *path, char *name, size_t size, const char *what, char *err,
                      size_t err_size)
{
    struct stat st;
    if (path == NULL || path[0] == '\0')
        return da__failmsg(DA_ERR_ARGUMENT, err, err_size, "%s: no path", what);
    int ret = file_name(path, name, size);
    if (ret < 0)
        return da__fail(ret, err, err_size, "%s '%s'", what, path);
    if (stat(name, &st) != 0)
        return da__fail(AVERROR(errno), err, err_size, "%s '%s'", what, path);
    if (S_ISDIR(st.st_mode))
        return da__fail(AVERROR(EISDIR), err, err_size, "%s '%s'", what, path);
    return 0;
}

/* torchaudio's names for libsox's encodings. */
static const char *encoding_name(sox_encoding_t e)
{
    switch (e) {
    case SOX_ENCODING_SIGN2: return "PCM_S";
    case SOX_ENCODING_UNSIGNED: return "PCM_U";
    case SOX_ENCODING_FLOAT: return "PCM_F";
    case SOX_ENCODING_FLAC: return "FLAC";
    case SOX_ENCODING_ULAW: return "ULAW";
    case SOX_ENCODING_ALAW: return "ALAW";
    case SOX_ENCODING_MP3: return "MP3";
    case SOX_ENCODING_VORBIS: return "VORBIS";
    case SOX_ENCODING_AMR_WB: return "AMR_WB";
    case SOX_ENCODING_AMR_NB: return "AMR_NB";
    case SOX_ENCODING_OPUS: return "OPUS";
    case SOX_ENCODING_GSM: return "GSM";
    default: return "UNKNOWN";
    }
}

static int encoding_from_name(const char *name, sox_encoding_t *e)
{
    static const struct { const char *name; sox_encoding_t e; } table[] = {
        {"PCM_S", SOX_ENCODING_SIGN2}, {"PCM_U", SOX_ENCODING_UNSIGNED},
        {"PCM_F", SOX_ENCODING_FLOAT}, {"ULAW", SOX_ENCODING_ULAW},
        {"ALAW", SOX_ENCODING_ALAW}, {"FLAC", SOX_ENCODING_FLAC}, {"MP3", SOX_ENCODING_MP3},
        {"VORBIS", SOX_ENCODING_VORBIS}, {"GSM", SOX_ENCODING_GSM},
        {"AMR_NB", SOX_ENCODING_AMR_NB}, {"AMR_WB", SOX_ENCODING_AMR_WB},
    };
    *e = SOX_ENCODING_UNKNOWN;
    if (name == NULL)
        return 0;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(name, table[i].name) == 0) {
            *e = table[i].e;
            return 0;
        }
    return DA_ERR_ARGUMENT;
}

/* The type DA_DTYPE_AUTO decodes to, as with FFmpeg: integer PCM's own, else float32. */
static int auto_dtype(const sox_format_t *ft)
{
    unsigned bits = ft->encoding.bits_per_sample;
    sox_encoding_t e = ft->encoding.encoding;
    int integer = e == SOX_ENCODING_SIGN2 || e == SOX_ENCODING_UNSIGNED;
    /* the sample format FFmpeg's decoder gives for that many bits (24 widened to 32) */
    enum AVSampleFormat fmt = bits == 8                 ? AV_SAMPLE_FMT_U8
                              : bits == 16              ? AV_SAMPLE_FMT_S16
                              : bits == 24 || bits == 32 ? AV_SAMPLE_FMT_S32
                                                        : AV_SAMPLE_FMT_NONE;
    return da__native_dtype(integer, fmt);
}

/* Whether libsox's seek lands on the exact frame: uncompressed PCM and FLAC. */
static int seeks_exactly(const sox_format_t *ft)
{
    if (!ft->seekable || ft->handler.seek == NULL)
        return 0;
    switch (ft->encoding.encoding) {
    case SOX_ENCODING_SIGN2: case SOX_ENCODING_UNSIGNED: case SOX_ENCODING_FLOAT:
    case SOX_ENCODING_ULAW: case SOX_ENCODING_ALAW: case SOX_ENCODING_FLAC:
        return 1;
    default:
        return 0;
    }
}

/* Frames the header declares; -1 when it does not say. */
static int64_t declared_frames(const sox_format_t *ft)
{
    if (ft->signal.channels == 0 || ft->signal.length == SOX_UNSPEC ||
        ft->signal.length == SOX_UNKNOWN_LEN)
        return -1;
    return (int64_t)(ft->signal.length / ft->signal.channels);
}

static int copy_tags(const sox_format_t *ft, da_info *info)
{
    size_t total = 0;
    for (char **c = ft->oob.comments; c != NULL && *c != NULL; c++)
        total += strlen(*c) + 2;
    if (total == 0)
        return 0;
    char *tags = av_malloc(total);
    if (tags == NULL)
        return AVERROR(ENOMEM);
    size_t n = 0;
    for (char **c = ft->oob.comments; *c != NULL; c++) {
        const char *eq = strchr(*c, '=');
        size_t key = eq != NULL ? (size_t)(eq - *c) : strlen(*c);
        const char *value = eq != NULL ? eq + 1 : "";
        memcpy(tags + n, *c, key);
        tags[n + key] = '\0';
        n += key + 1;
        memcpy(tags + n, value, strlen(value) + 1);
        n += strlen(value) + 1;
    }
    info->tags = tags;
    info->tags_size = (int64_t)n;
    return 0;
}

/* Opens `name` (the file at `path`) for reading; NULL with the reason in err. */
static sox_format_t *open_read(const char *name, const char *path, const char *format,
                               char *err, size_t err_size)
{
    sox_format_t *ft = sox_open_read(name, NULL, NULL, format);
    if (ft == NULL)
        da__failmsg(AVERROR_INVALIDDATA, err, err_size, "sox open '%s': %s", path,
                    reason(NULL, "libsox cannot read it"));
    return ft;
}

int da_sox_available(void)
{
    return 1;
}

int da_sox_probe(const char *path, const char *format, da_info *info, char *err, size_t err_size)
{
    char name[4096];
    sox_format_t *ft = NULL;
    if (info == NULL)
        return da__failmsg(DA_ERR_ARGUMENT, err, err_size, "sox info: no output");
    memset(info, 0, sizeof *info);
    int ret = check_path(path, name, sizeof name, "sox info", err, err_size);
    if (ret < 0)
        return ret;
    ret = enter(err, err_size, "sox info", path);
    if (ret < 0)
        return ret;
    ft = open_read(name, path, format, err, err_size);
    if (ft == NULL) {
        ret = AVERROR_INVALIDDATA;
        goto end;
    }
    int64_t frames = declared_frames(ft);
    info->sample_rate = (int32_t)lrint(ft->signal.rate);
    info->num_channels = (int32_t)ft->signal.channels;
    info->bits_per_sample = (int32_t)ft->encoding.bits_per_sample;
    info->stream_index = 0;
    info->num_streams = 1;
    info->num_frames = frames > 0 ? frames : 0;
    /* libsox's MP3 length comes from the bit rate unless a Xing header says it */
    info->num_frames_exact = frames >= 0 && ft->encoding.encoding != SOX_ENCODING_MP3;
    info->duration = ft->signal.rate > 0 ? (double)info->num_frames / ft->signal.rate : 0.0;
    snprintf(info->container, sizeof info->container, "%s", ft->filetype ? ft->filetype : "");
    snprintf(info->encoding, sizeof info->encoding, "%s",
             encoding_name(ft->encoding.encoding));
    if (ft->encoding.encoding < SOX_ENCODINGS)
        snprintf(info->codec_long, sizeof info->codec_long, "%s",
                 sox_get_encodings_info()[ft->encoding.encoding].desc);
    snprintf(info->sample_format, sizeof info->sample_format, "s32");
    ret = copy_tags(ft, info);
    if (ret < 0)
        da__fail(ret, err, err_size, "sox info '%s'", path);
end:
    if (ft != NULL)
        sox_close(ft);
    leave();
    return ret;
}

/* Converts `frames` frames of libsox samples into the audio at frame `at`. */
static void store(da_audio *audio, const sox_sample_t *in, int64_t frames, int64_t at)
{
    int ch = audio->num_channels;
    size_t size = (size_t)audio->itemsize;
    uint8_t *base = audio->data;
    if (!audio->channels_first) {
        da__convert(AV_SAMPLE_FMT_S32, in, 1, audio->dtype, base + (size_t)at * ch * size, 1,
                    frames * ch);
        return;
    }
    int64_t row = da__audio_capacity(audio);
    for (int c = 0; c < ch; c++)
        da__convert(AV_SAMPLE_FMT_S32, in + c, ch, audio->dtype,
                    base + ((size_t)c * (size_t)row + (size_t)at) * size, 1, frames);
}

/* Goes to the window's first frame where libsox seeks exactly: *skip is then 0, or *past_end
 * set when the window starts after the end. Elsewhere the frames are read and dropped. */
static int seek_window(sox_format_t **ft, const char *name, const char *path, const char *format,
                       int64_t *skip, int *past_end, char *err, size_t err_size)
{
    int64_t declared = declared_frames(*ft);
    int ch = (int)(*ft)->signal.channels;
    if (*skip <= 0 || !seeks_exactly(*ft))
        return 0;
    if (declared >= 0 && *skip >= declared) {
        *past_end = 1;
        return 0;
    }
    if (sox_seek(*ft, (sox_uint64_t)(*skip * ch), SOX_SEEK_SET) == SOX_SUCCESS) {
        *skip = 0;
        return 0;
    }
    /* a failed seek leaves the reader anywhere: start again and read up to the window */
    sox_close(*ft);
    *ft = open_read(name, path, format, err, err_size);
    return *ft == NULL ? AVERROR_INVALIDDATA : 0;
}

/* Reads up to `limit` frames (-1: all) after dropping `skip` into `audio`; *used gets how
 * many. */
static int read_window(sox_format_t *ft, int64_t skip, int64_t limit, da_audio *audio,
                       int64_t *used)
{
    int ch = (int)ft->signal.channels;
    int64_t chunk_frames = CHUNK_SAMPLES / ch > 0 ? CHUNK_SAMPLES / ch : 1;
    sox_sample_t *chunk = malloc((size_t)chunk_frames * (size_t)ch * sizeof *chunk);
    if (chunk == NULL)
        return AVERROR(ENOMEM);
    int ret = 0;
    while (limit < 0 || *used < limit) {
        int64_t frames = (int64_t)sox_read(ft, chunk, (size_t)(chunk_frames * ch)) / ch;
        if (frames == 0)
            break;
        int64_t first = skip < frames ? skip : frames;
        skip -= first;
        int64_t n = frames - first;
        if (limit >= 0 && n > limit - *used)
            n = limit - *used;
        if (n <= 0)
            continue;
        ret = da__audio_reserve(audio, *used + n, *used);
        if (ret < 0)
            break;
        store(audio, chunk + first * ch, n, *used);
        *used += n;
    }
    free(chunk);
    return ret;
}

/* The output buffer, with room for what the header declares after the offset, within reason
 * (it grows as needed). */
static int alloc_output(const sox_format_t *ft, const da_decode_options *opt, da_audio **audio)
{
    int dtype = opt->dtype == DA_DTYPE_AUTO ? auto_dtype(ft) : opt->dtype;
    int64_t declared = declared_frames(ft);
    int64_t want = declared < 0 ? 0 : declared - opt->frame_offset;
    if (opt->num_frames >= 0 && (want <= 0 || want > opt->num_frames))
        want = opt->num_frames;
    if (want < 0 || want > MAX_INITIAL_FRAMES)
        want = want < 0 ? 0 : MAX_INITIAL_FRAMES;
    return da__audio_alloc(dtype, (int)ft->signal.channels, (int)lrint(ft->signal.rate),
                           opt->channels_first, want, audio);
}

int da_sox_decode(const char *path, const da_decode_options *opt, da_audio **out, char *err,
                  size_t err_size)
{
    char name[4096];
    sox_format_t *ft = NULL;
    da_audio *audio = NULL;
    if (out == NULL || opt == NULL)
        return da__failmsg(DA_ERR_ARGUMENT, err, err_size, "sox decode: no options or output");
    *out = NULL;
    if (opt->sample_rate || opt->num_channels || opt->filter_desc || opt->out_data ||
        opt->resampler_options || opt->open.stream_index > 0 ||
        !da__window_valid(opt->frame_offset, opt->num_frames))
        return da__failmsg(DA_ERR_ARGUMENT, err, err_size,
                           "sox decode '%s': libsox decodes the whole stream as it is (no "
                           "resampling, remixing, filters, out buffers or stream choice)",
                           path ? path : "");
    int ret = check_path(path, name, sizeof name, "sox decode", err, err_size);
    if (ret < 0 || (ret = enter(err, err_size, "sox decode", path)) < 0)
        return ret;
    ft = open_read(name, path, opt->open.format, err, err_size);
    if (ft == NULL) {
        ret = AVERROR_INVALIDDATA;
        goto end;
    }
    int ch = (int)ft->signal.channels;
    if (ch <= 0 || ch > 1024 || ft->signal.rate <= 0) {
        ret = da__failmsg(AVERROR_INVALIDDATA, err, err_size,
                          "sox open '%s': %d channels at %g Hz", path, ch, ft->signal.rate);
        goto end;
    }
    int64_t skip = opt->frame_offset, used = 0;
    int past_end = 0;
    ret = alloc_output(ft, opt, &audio);
    if (ret >= 0)
        ret = seek_window(&ft, name, path, opt->open.format, &skip, &past_end, err, err_size);
    if (ret == AVERROR_INVALIDDATA && ft == NULL)
        goto end;
    if (ret >= 0 && !past_end)
        ret = read_window(ft, skip, opt->num_frames, audio, &used);
    /* a damaged end gives what was read before it; nothing at all is an error */
    if (ret >= 0 && ft->sox_errno != 0 && ft->sox_errno != SOX_EOF && used == 0) {
        ret = da__failmsg(AVERROR_INVALIDDATA, err, err_size, "sox decode '%s': %s", path,
                          reason(ft, "read failed"));
        goto end;
    }
    if (ret >= 0)
        ret = da__audio_finish(audio, used);
    if (ret < 0) {
        da__fail(ret, err, err_size, "sox decode '%s'", path);
        goto end;
    }
    *out = audio;
    audio = NULL;
end:
    da_audio_release(&audio);
    if (ft != NULL)
        sox_close(ft);
    leave();
    return ret;
}

static sox_bool may_overwrite(const char *filename)
{
    (void)filename;
    return sox_true;
}

/* Opens `name` (the file at `path`) for writing as `opt` says, failing where libsox would
 * fall back to another encoding or depth. */
static int open_write(const char *name, const char *path, const da_sox_save_options *opt,
                      sox_encoding_t encoding, int64_t num_frames, sox_format_t **out,
                      char *err, size_t err_size)
{
    int ret = 0;
    int ch = opt->num_channels;
    sox_signalinfo_t signal = {0};
    signal.rate = opt->sample_rate;
    signal.channels = (unsigned)ch;
    signal.precision = opt->bits_per_sample > 0 && opt->bits_per_sample <= 32 ?
                       (unsigned)opt->bits_per_sample : 16;
    signal.length = (sox_uint64_t)num_frames * (sox_uint64_t)ch;
    /* sox_init_encodinginfo leaves opposite_endian unset */
    sox_encodinginfo_t enc;
    memset(&enc, 0, sizeof enc);
    sox_init_encodinginfo(&enc);
    enc.encoding = encoding;
    enc.bits_per_sample = (unsigned)opt->bits_per_sample;
    enc.compression = isnan(opt->compression) ? HUGE_VAL : opt->compression;
    sox_format_t *ft = sox_open_write(name, &signal, &enc, opt->format, NULL, may_overwrite);
    if (ft == NULL)
        return da__failmsg(AVERROR(EINVAL), err, err_size, "sox save '%s': %s", path,
                           reason(NULL, "libsox cannot write it"));
    /* libsox falls back to an encoding the format has instead of failing; we fail */
    if ((encoding != SOX_ENCODING_UNKNOWN && ft->encoding.encoding != encoding) ||
        (opt->bits_per_sample > 0 &&
         ft->encoding.bits_per_sample != (unsigned)opt->bits_per_sample)) {
        ret = da__failmsg(DA_ERR_ARGUMENT, err, err_size,
                          "sox save '%s': %s cannot hold encoding %s with %d bits per sample "
                          "(it would write %s, %u bits)", path, opt->format,
                          opt->encoding ? opt->encoding : encoding_name(ft->encoding.encoding),
                          opt->bits_per_sample > 0 ? opt->bits_per_sample :
                          (int)ft->encoding.bits_per_sample,
                          encoding_name(ft->encoding.encoding), ft->encoding.bits_per_sample);
    }
    *out = ft;
    return ret;
}

int da_sox_save(const char *path, const da_sox_save_options *opt, const void *data,
                int64_t num_frames, int64_t frame_step, int64_t channel_step, char *err,
                size_t err_size)
{
    char name[4096];
    sox_format_t *ft = NULL;
    sox_sample_t *chunk = NULL;
    int ret = 0, locked = 0;
    sox_encoding_t encoding;
    if (opt == NULL || path == NULL || (data == NULL && num_frames > 0) || num_frames < 0)
        return da__failmsg(DA_ERR_ARGUMENT, err, err_size, "sox save: no options or samples");
    int ch = opt->num_channels, size = da__dtype_size(opt->dtype);
    if (ch <= 0 || ch > 1024 || opt->sample_rate <= 0 || size == 0 ||
        opt->dtype == DA_DTYPE_INT8 || opt->format == NULL || opt->bits_per_sample < 0)
        return da__failmsg(DA_ERR_ARGUMENT, err, err_size,
                           "sox save '%s': bad rate, channel count, sample type or format", path);
    if (encoding_from_name(opt->encoding, &encoding) < 0)
        return da__failmsg(DA_ERR_ARGUMENT, err, err_size, "sox save '%s': unknown encoding %s",
                           path, opt->encoding);
    if (file_name(path, name, sizeof name) < 0)
        return da__fail(AVERROR(ENAMETOOLONG), err, err_size, "sox save '%s'", path);
    ret = enter(err, err_size, "sox save", path);
    if (ret < 0)
        return ret;
    locked = 1;
    ret = open_write(name, path, opt, encoding, num_frames, &ft, err, err_size);
    if (ret < 0)
        goto end;
    int64_t chunk_frames = CHUNK_SAMPLES / ch > 0 ? CHUNK_SAMPLES / ch : 1;
    chunk = malloc((size_t)chunk_frames * (size_t)ch * sizeof *chunk);
    if (chunk == NULL) {
        ret = da__fail(AVERROR(ENOMEM), err, err_size, "sox save '%s'", path);
        goto end;
    }
    enum AVSampleFormat fmt = da__dtype_sample_fmt(opt->dtype, 0);
    const uint8_t *base = data;
    for (int64_t f = 0; f < num_frames; f += chunk_frames) {
        int64_t n = num_frames - f < chunk_frames ? num_frames - f : chunk_frames;
        for (int c = 0; c < ch; c++)
            da__convert(fmt, base + (f * frame_step + c * channel_step) * size, frame_step,
                        DA_DTYPE_INT32, chunk + c, ch, n);
        if (sox_write(ft, chunk, (size_t)(n * ch)) != (size_t)(n * ch)) {
            ret = da__failmsg(AVERROR(EIO), err, err_size, "sox save '%s': %s", path,
                              reason(ft, "write failed"));
            goto end;
        }
    }
end:
    free(chunk);
    if (ft != NULL && sox_close(ft) != SOX_SUCCESS && ret == 0)
        ret = da__failmsg(AVERROR(EIO), err, err_size, "sox save '%s': %s", path,
                          reason(NULL, "closing failed"));
    if (locked)
        leave();
    return ret;
}

int da_sox_list_formats(int write, char **names, int64_t *size, char *err, size_t err_size)
{
    da__name_list list = {0};
    int ret;
    if (names == NULL || size == NULL)
        return da__failmsg(DA_ERR_ARGUMENT, err, err_size, "sox formats: no output");
    *names = NULL;
    *size = 0;
    ret = enter(err, err_size, "sox formats", "libsox");
    if (ret < 0)
        return ret;
    for (const sox_format_tab_t *t = sox_get_format_fns(); t->fn != NULL && ret >= 0; t++) {
        const sox_format_handler_t *h = t->fn();
        if (h == NULL || (h->flags & (SOX_FILE_DEVICE | SOX_FILE_PHONY)))
            continue;
        if (write ? h->startwrite == NULL && h->write == NULL
                  : h->startread == NULL && h->read == NULL)
            continue;
        const char *desc = h->description ? h->description : "";
        for (const char *const *n = h->names; n != NULL && *n != NULL && ret >= 0; n++)
            ret = da__names_append(&list, *n, desc);
    }
    if (ret >= 0)
        ret = da__names_finish(&list, names, size);
    if (ret < 0)
        da__fail(ret, err, err_size, "sox formats");
    free(list.data);
    leave();
    return ret;
}

#else /* !DA_HAVE_SOX */

static int unavailable(char *err, size_t err_size)
{
    return da__failmsg(AVERROR(ENOSYS), err, err_size,
                       "sox: libdecode_audio was built without libsox (install libsox-dev and "
                       "rebuild)");
}

int da_sox_available(void)
{
    return 0;
}

int da_sox_probe(const char *path, const char *format, da_info *info, char *err, size_t err_size)
{
    (void)path, (void)format;
    if (info != NULL)
        memset(info, 0, sizeof *info);
    return unavailable(err, err_size);
}

int da_sox_decode(const char *path, const da_decode_options *opt, da_audio **out, char *err,
                  size_t err_size)
{
    (void)path, (void)opt;
    if (out != NULL)
        *out = NULL;
    return unavailable(err, err_size);
}

int da_sox_save(const char *path, const da_sox_save_options *opt, const void *data,
                int64_t num_frames, int64_t frame_step, int64_t channel_step, char *err,
                size_t err_size)
{
    (void)path, (void)opt, (void)data, (void)num_frames, (void)frame_step, (void)channel_step;
    return unavailable(err, err_size);
}

int da_sox_list_formats(int write, char **names, int64_t *size, char *err, size_t err_size)
{
    (void)write;
    if (names != NULL)
        *names = NULL;
    if (size != NULL)
        *size = 0;
    return unavailable(err, err_size);
}

#endif /* DA_HAVE_SOX */
