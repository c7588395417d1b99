/* parallel.c - da_decode(): one input decoded on the calling thread (decode.c), or split into
 * contiguous windows decoded on threads of their own, each with its own demuxer, decoder and
 * sink, straight into its part of the one output buffer. A window equals the same frames of
 * a full decode bit for bit (window.c; for Opus and AAC, converge.c's verified windows), so
 * the parts together are the one-thread decode. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* Returned by decode_windows when the input is decoded on the calling thread instead. */
#define ONE_THREAD 1
/* Frames a window decodes between looks at whether another window failed. */
#define PUMP_FRAMES 65536
/* num_threads 0: one thread per this many seconds of output, up to the CPUs there are. */
#define AUTO_SECONDS_PER_THREAD 30
/* ...and looks no further at an input smaller than two threads' length (60 s) at 32 kbit/s
 * or a window shorter than that at 8 kHz (nothing is opened), nor at an input whose header
 * says it is shorter (its header is opened once more), so short inputs pay little for it. */
#define AUTO_MIN_BYTES (2 * AUTO_SECONDS_PER_THREAD * 32000 / 8)
#define AUTO_MIN_FRAMES (2 * AUTO_SECONDS_PER_THREAD * 8000)
#define MAX_THREADS 64
/* The room given to an output whose length the header only estimates: this much more. */
#define SPARE_FRAMES(n) ((n) / 50 + 4096)
/* A window found by verified convergence is decoded in parts of at most this many seconds of
 * output (each decoded twice, into the output and a second buffer of its size): more parts
 * cost more prerolls (Opus: 1.9 s of decoding each, 6 % of a part), longer ones more memory. */
#define CONVERGE_SPAN_SECONDS 30

typedef struct shared {
    const da_source *src;
    da_decode_options opt;    /* the caller's, with exact windows and no caller buffer */
    da_audio *audio;          /* the whole output */
    int64_t first;            /* the output frame at audio's frame 0 */
    atomic_int failed;        /* a window failed: the others stop */
} shared;

/* One window [start, start + count) of the output and the job that decodes it. */
typedef struct window {
    shared *sh;
    da_job j;
    int opened;               /* j was opened (and must be closed) */
    int64_t start, count;
    int open_end;             /* the last window of an output whose length the header only
                                 estimates: decoded to the end, in at most `count` frames */
    int64_t wanted;           /* the frames its job was asked for (-1: to the end) */
    int64_t converge;         /* > 0: an Opus or AAC window found by verified convergence
                                 from this preroll (converge.c); 0: entered as window.c says */
    int ret;
    pthread_t thread;
    int running;              /* the thread was started and not yet joined */
    char err[DA_ERROR_SIZE];  /* a failing window's message: the one-thread decode that
                                 follows has the one reported */
} window;

/* Local files and memory can be opened once per thread; a caller's callbacks have one
 * position, and a URL is not read several times over. */
static int splittable(const da_source *src)
{
    return src != NULL && (src->kind == DA_SOURCE_PATH || src->kind == DA_SOURCE_MEMORY);
}

/* Bytes of a path or memory source; -1 when unknown. */
static int64_t source_bytes(const da_source *src)
{
    struct stat st;
    if (src->kind == DA_SOURCE_MEMORY)
        return src->size;
    return src->path != NULL && stat(src->path, &st) == 0 ? (int64_t)st.st_size : -1;
}

/* CPUs this process may run on. */
static int usable_cpus(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

/* Windows to split `frames` of output at `rate` into, as `asked` (0: auto) says. */
static int thread_count(int asked, int64_t frames, int rate)
{
    int64_t n = asked;
    if (asked == 0) {
        n = frames / ((int64_t)AUTO_SECONDS_PER_THREAD * rate);
        if (n > usable_cpus())
            n = usable_cpus();
    }
    if (n > MAX_THREADS)
        n = MAX_THREADS;
    if (n > frames)
        n = frames;
    return (int)n;
}

/* The exact frames of an Opus or AAC stream, from its header (the Ogg's last granule,
 * MP4's sample table), in *total: 0, or ONE_THREAD when the header does not say exactly. */
static int exact_frames(const shared *sh, int64_t *total)
{
    da_info info;
    if (da_probe(sh->src, &sh->opt.open, 0, &info, NULL, 0) < 0)
        return ONE_THREAD;
    int exact = info.num_frames_exact && info.num_frames > 0;
    *total = info.num_frames;
    da_info_clear(&info);
    return exact ? 0 : ONE_THREAD;
}

/* The first preroll of windows entered by verified convergence (an AAC-LC or Opus stream
 * whose windows converge.c may verify), else 0. */
static int64_t converge_preroll(da_job *j)
{
    da_input *in = j->in;
    enum AVCodecID id = in->stream->codecpar->codec_id;
    /* AAC's other profiles never verify (converge.c): the windows would decode from the start */
    if (id == AV_CODEC_ID_AAC && in->dec->profile != DA_PROFILE_AAC_LOW)
        return 0;
    /* asked as for a window far from the start and short: what the codec and input allow
     * (for AAC in MP4, that no packet anywhere may decode to nothing) */
    return da__window_converge_preroll(in, &j->s, INT64_MAX / 4, 0);
}

/* Decodes the converging window `w` in parts of at most CONVERGE_SPAN_SECONDS, each by its
 * own job, so that the second buffer converge.c verifies with holds one part at a time: 0, or
 * a negative code. */
static int run_converging(window *w)
{
    shared *sh = w->sh;
    const da_audio *a = sh->audio;
    int64_t span = (int64_t)CONVERGE_SPAN_SECONDS * a->sample_rate;
    size_t isz = (size_t)a->itemsize;
    w->opened = 1; /* ran; its job stays zeroed, and each part's is closed here */
    w->j.converged_preroll = 0;
    for (int64_t done = 0; done < w->count; done += span) {
        int64_t start = w->start + done, count = w->count - done < span ? w->count - done : span;
        if (atomic_load(&sh->failed))
            return AVERROR_EXIT;
        da_decode_options o = sh->opt;
        o.frame_offset = start;
        o.num_frames = count;
        da_job j;
        int ret = da__job_open(&j, sh->src, &o, w->err, sizeof w->err);
        j.reopen_src = sh->src;
        j.reopen_opt = &sh->opt;
        size_t skip = (size_t)(start - sh->first) * isz;
        uint8_t *data = (uint8_t *)a->data + (a->channels_first ? skip : skip * (size_t)a->num_channels);
        if (ret >= 0 && (j.s.dtype != a->dtype || j.s.num_channels != a->num_channels ||
                         j.s.out_rate != a->sample_rate || j.s.planar != a->channels_first))
            ret = AVERROR_BUG;
        if (ret >= 0)
            ret = da__audio_wrap(a->dtype, a->num_channels, a->sample_rate, a->channels_first,
                                 data, a->channels_first ? da__audio_capacity(a) : count,
                                 &j.s.audio);
        if (ret >= 0)
            ret = da__job_converge(&j, w->converge, sh->src, &sh->opt, w->err, sizeof w->err);
        if (ret >= 0 && (j.in == NULL || j.s.used != count || j.in->decode_errors > 0))
            ret = AVERROR_BUG;
        /* the longest preroll that verified, or -1 when a part decoded from the start */
        int64_t p = j.converged_preroll;
        if (ret >= 0 && w->j.converged_preroll >= 0 && (p < 0 || p > w->j.converged_preroll))
            w->j.converged_preroll = p;
        da_audio_release(&j.s.audio);
        da__job_close(&j);
        if (ret < 0)
            return ret;
    }
    return 0;
}

/* Decodes window `w` into its part of the output: 0, or a negative code (AVERROR_EXIT when
 * another window failed first, AVERROR_BUG when the window did not come out whole). */
static int run_window(window *w)
{
    if (w->converge > 0)
        return run_converging(w);
    shared *sh = w->sh;
    da_job *j = &w->j;
    int ret;
    if (!w->opened) {
        da_decode_options o = sh->opt;
        o.frame_offset = w->start;
        o.num_frames = w->count;
        /* to the end (or the caller's last frame), which the room must not reach */
        if (w->open_end)
            o.num_frames = sh->opt.num_frames < 0
                               ? -1
                               : sh->opt.frame_offset + sh->opt.num_frames - w->start;
        w->wanted = o.num_frames;
        w->opened = 1;
        ret = da__job_open(j, sh->src, &o, w->err, sizeof w->err);
        if (ret < 0)
            return ret;
        j->reopen_src = sh->src;
        j->reopen_opt = &sh->opt;
    }
    const da_audio *a = sh->audio;
    da_sink *s = &j->s;
    if (s->dtype != a->dtype || s->num_channels != a->num_channels ||
        s->out_rate != a->sample_rate || s->planar != a->channels_first)
        return AVERROR_BUG;
    /* the part: channels-first rows keep the whole output's row length */
    size_t isz = (size_t)a->itemsize;
    size_t skip = (size_t)(w->start - sh->first) * isz;
    uint8_t *data = (uint8_t *)a->data;
    data += a->channels_first ? skip : skip * (size_t)a->num_channels;
    int64_t capacity = a->channels_first ? da__audio_capacity(a) : w->count;
    ret = da__audio_wrap(a->dtype, a->num_channels, a->sample_rate, a->channels_first, data,
                         capacity, &s->audio);
    if (s->limit < 0 || s->limit > w->count)
        s->limit = w->count;
    while (ret >= 0 && !j->ended) {
        if (atomic_load(&sh->failed))
            return AVERROR_EXIT;
        ret = da__job_pump(j, s->used + PUMP_FRAMES);
    }
    if (ret < 0 || j->in == NULL)
        return ret < 0 ? ret : AVERROR_BUG;
    /* a skipped packet may place a window's frames differently from a full decode; an open
     * end that filled its room may have had more to give */
    int full = s->used == w->count && (w->wanted < 0 || w->count < w->wanted);
    if ((w->open_end ? full : s->used != w->count) || j->in->decode_errors > 0)
        return AVERROR_BUG;
    w->count = s->used;
    return 0;
}

static void *window_thread(void *arg)
{
    window *w = arg;
    w->ret = run_window(w);
    if (w->ret < 0)
        atomic_store(&w->sh->failed, 1);
    return NULL;
}

/* The output split into windows decoded on threads: 0 with *out set, or ONE_THREAD when it
 * cannot be or a window failed (the one-thread decode then gives the result or the error). */
static int decode_windows(const da_source *src, const da_decode_options *opt, da_audio **out)
{
    if (opt->filter_desc != NULL || !splittable(src))
        return ONE_THREAD;
    int automatic = opt->num_threads == 0;
    if (automatic && (source_bytes(src) < AUTO_MIN_BYTES ||
                      (opt->num_frames >= 0 && opt->num_frames < AUTO_MIN_FRAMES)))
        return ONE_THREAD;
    shared sh = {.src = src, .opt = *opt};
    sh.opt.exact = 1;
    sh.opt.num_threads = 1;
    sh.opt.out_data = NULL;
    sh.opt.out_capacity = 0;
    sh.opt.out_channels = 0;
    atomic_init(&sh.failed, 0);
    window *w = calloc(MAX_THREADS, sizeof *w);
    if (w == NULL)
        return ONE_THREAD;
    int n = 0, ret = ONE_THREAD;
    /* the first window's job tells the output's shape and how windows are entered */
    w[0].sh = &sh;
    w[0].opened = 1;
    if (da__job_open(&w[0].j, src, &sh.opt, w[0].err, sizeof w[0].err) < 0)
        goto end;
    w[0].j.reopen_src = src;
    w[0].j.reopen_opt = &sh.opt;
    const da_sink *s = &w[0].j.s;
    int64_t preroll, converge = 0;
    if (s->filter != NULL || (s->out_rate != s->in_rate && s->swr_options != NULL))
        goto end;
    /* Opus and AAC: windows after the first by verified convergence, where it may verify */
    if (da__window_policy(w[0].j.in, 1, &preroll) == DA_ENTER_FROM_START &&
        (converge = converge_preroll(&w[0].j)) == 0)
        goto end;
    /* The last window reaches the end, where a resampler is flushed after the decoder is
     * drained; a drained decoder cannot keep its state for the second decode (converge.c),
     * which then starts from the start: resampled Opus and AAC keep one thread. */
    if (converge > 0 && s->out_rate != s->in_rate)
        goto end;
    /* Split, they cost 1.3-1.4 times the CPU of one thread (and a second buffer of a window's
     * size): only when asked for, never by "auto" */
    if (converge > 0 && automatic)
        goto end;
    int certain;
    int64_t total = da__estimate_frames(w[0].j.in, s->out_rate, &certain);
    int64_t two_threads = 2 * (int64_t)AUTO_SECONDS_PER_THREAD * s->out_rate;
    if (total < 0 || (automatic && (total - opt->frame_offset < two_threads ||
                                     (opt->num_frames >= 0 && opt->num_frames < two_threads))))
        goto end;
    /* Convergence needs an exact length: its last window must end before the decoder is
     * drained (converge.c). Other codecs' last window decodes to the end, in room for what
     * the header says and a little more; the header is not trusted even where it is exact. */
    if (converge > 0 && exact_frames(&sh, &total) != 0)
        goto end;
    if (opt->frame_offset >= total)
        goto end;
    int64_t count = total - opt->frame_offset;
    int open_end = converge == 0 && (opt->num_frames < 0 || opt->num_frames > count);
    if (opt->num_frames >= 0 && opt->num_frames < count)
        count = opt->num_frames;
    n = thread_count(opt->num_threads, count, s->out_rate);
    if (n <= 1)
        goto end;
    int64_t room = count + (open_end ? SPARE_FRAMES(count) : 0);
    if (opt->num_frames >= 0 && room > opt->num_frames)
        room = opt->num_frames;
    if (opt->out_data != NULL) {
        if (opt->out_channels != s->num_channels || opt->out_capacity < count)
            goto end;
        if (room > opt->out_capacity)
            room = opt->out_capacity;
        ret = da__audio_wrap(s->dtype, s->num_channels, s->out_rate, s->planar, opt->out_data,
                             opt->out_capacity, &sh.audio);
    } else {
        ret = da__audio_alloc(s->dtype, s->num_channels, s->out_rate, s->planar, room,
                              &sh.audio);
    }
    if (ret < 0) {
        ret = ONE_THREAD;
        goto end;
    }
    sh.first = opt->frame_offset;
    /* A window found by convergence is decoded twice (after a preroll and after one twice
     * as long), so where the first window decodes from the start, it is given twice the
     * others' length: weights 2, 1, 1, ... A window whose start comes too early for
     * convergence is decoded like the first (window.c decodes it from the start). */
    int first_weight = converge > 0 && opt->frame_offset == 0 ? 2 : 1;
    int64_t weights = n - 1 + first_weight;
    for (int k = 0; k < n; k++) {
        int64_t from = k == 0 ? 0 : first_weight + k - 1, to = first_weight + k;
        w[k].sh = &sh;
        w[k].start = sh.first + count * from / weights;
        w[k].count = sh.first + count * to / weights - w[k].start;
        if (k > 0 && converge > 0)
            w[k].converge = converge;
    }
    w[n - 1].open_end = open_end;
    w[n - 1].count = sh.first + room - w[n - 1].start;
    w[0].j.s.limit = w[0].count;
    for (int k = 1; k < n; k++) {
        if (pthread_create(&w[k].thread, NULL, window_thread, &w[k]) != 0) {
            atomic_store(&sh.failed, 1);
            break;
        }
        w[k].running = 1;
    }
    window_thread(&w[0]);
    ret = 0;
    for (int k = 0; k < n; k++) {
        if (w[k].running)
            pthread_join(w[k].thread, NULL);
        w[k].running = 0;
        if (w[k].ret < 0 || (k > 0 && !w[k].opened))
            ret = ONE_THREAD;
    }
    count = w[n - 1].start + w[n - 1].count - sh.first;
    if (ret == 0 && da__audio_finish(sh.audio, count) < 0)
        ret = ONE_THREAD;
    if (ret == 0) {
        /* the longest preroll that verified, or -1 when a window decoded from the start */
        for (int k = 1; k < n; k++)
            if (sh.audio->converged_preroll >= 0 &&
                (w[k].j.converged_preroll > sh.audio->converged_preroll ||
                 w[k].j.converged_preroll < 0))
                sh.audio->converged_preroll = w[k].j.converged_preroll;
        sh.audio->num_threads = n;
        *out = sh.audio;
        sh.audio = NULL;
    }

end:
    for (int k = 0; k < MAX_THREADS; k++) {
        if (w[k].opened) {
            da_audio_release(&w[k].j.s.audio);
            da__job_close(&w[k].j);
        }
    }
    da_audio_release(&sh.audio);
    free(w);
    return ret;
}

int da_decode(const da_source *src, const da_decode_options *opt, da_audio **out, char *err,
              size_t err_size)
{
    if (out != NULL && da__decode_options_check(opt) == 0 && opt->num_threads != 1) {
        *out = NULL;
        /* "auto" leaves plain PCM WAV to the native reader (pcm.c): its one thread copies
         * about as fast as memory allows, and windows through libavformat cost 1.4 times its
         * CPU for a gain only on an idle machine */
        if (opt->num_threads == 0) {
            int ret = da__pcm_decode(src, opt, out, err, err_size);
            if (ret != DA_PCM_UNHANDLED)
                return ret;
        }
        if (decode_windows(src, opt, out) == 0)
            return 0;
    }
    return da__decode_one(src, opt, out, err, err_size);
}
