/* converge.c - exact windows of codecs whose decoder state has no fixed reach (Opus, AAC),
 * found by verified convergence: the window is decoded after a preroll, and again after one
 * twice as long; when the two agree bit for bit, the decoder has forgotten where it started,
 * and the window is returned. When they differ, the preroll is doubled again, up to a limit;
 * past it the window is decoded from the start. AAC's noise substitution draws from a
 * decoder-wide random state that no preroll reproduces, so windows it reaches never verify
 * and are decoded from the start. */
#include <string.h>

#include "internal.h"

/* Decodes after at most this many prerolls (P, 2P, 4P) before decoding from the start; see
 * bench/convergence.py for how often each verifies. */
#define CONVERGE_RUNS 3

/* Nonzero when the first `n` frames of a and b hold the same bytes. */
static int same_samples(const da_audio *a, const da_audio *b, int64_t n)
{
    size_t isz = (size_t)a->itemsize;
    if (!a->channels_first)
        return memcmp(a->data, b->data, (size_t)n * isz * (size_t)a->num_channels) == 0;
    size_t row_a = (size_t)da__audio_capacity(a) * isz, row_b = (size_t)da__audio_capacity(b) * isz;
    for (int c = 0; c < a->num_channels; c++)
        if (memcmp((const uint8_t *)a->data + c * row_a, (const uint8_t *)b->data + c * row_b,
                   (size_t)n * isz) != 0)
            return 0;
    return 1;
}

/* Copies the first `n` frames of src into dst (made room for). */
static int copy_samples(da_audio *dst, const da_audio *src, int64_t n)
{
    int ret = da__audio_reserve(dst, n, 0);
    if (ret < 0)
        return ret;
    size_t isz = (size_t)src->itemsize;
    if (!src->channels_first) {
        memcpy(dst->data, src->data, (size_t)n * isz * (size_t)src->num_channels);
        return 0;
    }
    size_t row_d = (size_t)da__audio_capacity(dst) * isz;
    size_t row_s = (size_t)da__audio_capacity(src) * isz;
    for (int c = 0; c < src->num_channels; c++)
        memcpy((uint8_t *)dst->data + c * row_d, (const uint8_t *)src->data + c * row_s,
               (size_t)n * isz);
    return 0;
}

/* Decodes the window into `buf` after `preroll` input frames. A decode from the start (a
 * preroll of 0 or one that reaches it, or a seek that cannot place the window) is made with a
 * fresh input when something was decoded already: a decoder that was flushed and sent back to
 * the start keeps state a full decode does not have (AAC's random state), and the demuxer
 * does not send the first packet's skip again (Opus's pre-skip). `*fresh`: nothing was
 * decoded yet; cleared. `*reached`: set when the preroll reached the start. */
static int run(da_job *j, da_audio *buf, int64_t preroll, int *fresh, int *reached,
               const da_source *src, const da_decode_options *opt, char *err, size_t err_size)
{
    da_sink *s = &j->s;
    int from_start = 0;
    s->audio = buf;
    for (;;) {
        j->entered = 0;
        j->ended = 0;
        int64_t target = da__window_plan(s, DA_ENTER_SEEK_SKIP, preroll, j->frame_offset);
        j->preroll = preroll;
        j->mode = DA_ENTER_SEEK_SKIP;
        *reached = !from_start && preroll > 0 && target - preroll <= 0;
        if (from_start || preroll <= 0 || target - preroll <= 0) {
            j->mode = DA_ENTER_FROM_START;
            if (!*fresh) {
                da__input_close(&j->in);
                int ret = da__input_open(src, &opt->open, &j->in, err, err_size);
                if (ret < 0)
                    return ret;
                j->in->fail_on_error = opt->on_error == DA_ON_ERROR_RAISE;
            }
        }
        *fresh = 0;
        int mode = j->mode;
        int ret = da__job_pump(j, INT64_MAX);
        /* the pump went back to the start itself: not with a fresh input, so again */
        if (ret < 0 || mode == j->mode)
            return ret;
        from_start = 1;
    }
}

int da__job_converge(da_job *j, int64_t preroll, const da_source *src,
                     const da_decode_options *opt, char *err, size_t err_size)
{
    da_sink *s = &j->s;
    da_audio *out = s->audio, *buf[2] = {out, NULL};
    int64_t used[2] = {0, 0}, entry[2] = {AV_NOPTS_VALUE, AV_NOPTS_VALUE};
    int b = 0, fresh = 1, reached = 0;
    int ret = run(j, out, preroll, &fresh, &reached, src, opt, err, err_size);
    j->converged_preroll = reached ? 0 : -1;
    used[0] = s->used;
    entry[0] = j->in->entry_pts;
    for (int k = 1; ret >= 0 && j->mode != DA_ENTER_FROM_START; k++) {
        if (buf[1] == NULL && (ret = da__job_alloc(j, used[0] > 0 ? used[0] : 1, &buf[1])) < 0)
            break;
        b = k & 1;
        preroll *= 2;
        /* past the limit, the start: always into the output buffer */
        if (k >= CONVERGE_RUNS)
            b = 0;
        ret = run(j, buf[b], k >= CONVERGE_RUNS ? 0 : preroll, &fresh, &reached, src, opt, err,
                  err_size);
        used[b] = s->used;
        entry[b] = j->in->entry_pts;
        if (ret < 0 || j->mode == DA_ENTER_FROM_START)
            break;
        /* two decodes that began on different packets agree: the window is verified */
        if (used[0] == used[1] && entry[0] != AV_NOPTS_VALUE && entry[1] != AV_NOPTS_VALUE &&
            entry[0] != entry[1] && same_samples(buf[0], buf[1], used[0])) {
            j->converged_preroll = preroll;
            b = 0;
            break;
        }
    }
    /* the result is in buf[b]; the caller's is buf[0] */
    if (ret >= 0 && b == 1) {
        ret = copy_samples(out, buf[1], used[1]);
        used[0] = used[1];
    }
    s->audio = out;
    s->used = used[0];
    da_audio_release(&buf[1]);
    return ret;
}
