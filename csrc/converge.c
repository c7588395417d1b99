/* converge.c - exact windows of codecs whose decoder state has no fixed reach (Opus, AAC),
 * found by verified convergence: the window is decoded after a preroll, and again after one
 * twice as long; when the two agree bit for bit, the decoder has forgotten where it started,
 * and the window is returned. When they differ, the preroll is doubled again, up to a limit;
 * past it the window is decoded from the start. AAC's noise substitution draws from a
 * decoder-wide random state that no preroll reproduces, so windows it reaches never verify
 * and are decoded from the start. */
#include <stdlib.h>
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

/* Decodes the window into `buf` after `preroll` input frames. The first decode starts with
 * the fresh decoder (as a full decode does); later ones keep the state the one before left,
 * so that any part of the decoder's state that their prerolls do not reach differs between
 * two decodes that are compared, and their agreeing means the window does not depend on it.
 * (Two decodes from the same flushed state agree on a part neither preroll touches, though
 * a full decode's differs: Opus's CELT state through a stretch of SILK-only packets.)
 * A decode from the start (a preroll of 0, or one that reaches the start, or a seek that
 * cannot place the window, or a decoder already drained at the input's end, whose state a
 * flush would reset) is made with a fresh input when something was decoded already: a
 * decoder sent back to the start keeps state a full decode does not have (AAC's random
 * state), and the demuxer does not send the first packet's skip again (Opus's pre-skip).
 * `*fresh`: nothing was decoded yet; cleared. `*reached`: set when the preroll reached the
 * start. */
static int run(da_job *j, da_audio *buf, int64_t preroll, int *fresh, int *reached,
               const da_source *src, const da_decode_options *opt, char *err, size_t err_size)
{
    da_sink *s = &j->s;
    int from_start = !*fresh && j->in->draining;
    s->audio = buf;
    for (;;) {
        j->entered = 0;
        j->ended = 0;
        int mode = *fresh ? DA_ENTER_SEEK_SKIP : DA_ENTER_SEEK_KEEP;
        int64_t target = da__window_plan(s, mode, preroll, j->frame_offset);
        j->preroll = preroll;
        j->mode = mode;
        *reached = !from_start && preroll > 0 && target - preroll <= 0;
        if (from_start || preroll <= 0 || target - preroll <= 0) {
            j->mode = mode = DA_ENTER_FROM_START;
            if (!*fresh) {
                da__input_close(&j->in);
                int ret = da__input_open(src, &opt->open, &j->in, err, err_size);
                if (ret < 0)
                    return ret;
                j->in->fail_on_error = opt->on_error == DA_ON_ERROR_RAISE;
            }
        }
        *fresh = 0;
        j->in->silk_packets = 0;
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
    const char *env = getenv(DA_ENV_CONVERGE_ALL);
    int all = env != NULL && strcmp(env, "1") == 0;
    int ret = run(j, out, preroll, &fresh, &reached, src, opt, err, err_size);
    j->converged_preroll = reached ? 0 : -1;
    used[0] = s->used;
    entry[0] = j->in->entry_pts;
    int64_t silk = j->in->silk_packets;
    for (int k = 1; ret >= 0 && j->mode != DA_ENTER_FROM_START; k++) {
        if (buf[1] == NULL && (ret = da__job_alloc(j, used[0] > 0 ? used[0] : 1, &buf[1])) < 0)
            break;
        b = k & 1;
        preroll *= 2;
        /* Past the limit, the start, always into the output buffer. So too for decoders
         * with long-lived floating-point filter state: two decodes can fall onto the same
         * rounding path before the window while a full decode runs one unit in the last
         * place beside it for thousands of samples into the window. FFmpeg's SILK decoder
         * does that (tests/test_convergence.py shows it), so any Opus packet with a SILK
         * layer ends the attempt; AAC is verified only as AAC-LC, whose frames depend on
         * the previous one's overlap and the noise state alone (not on SBR's or parametric
         * stereo's filters, nor on Main's or LTP's predictors). */
        int unsound = silk > 0 || (j->in->stream->codecpar->codec_id == AV_CODEC_ID_AAC &&
                                   j->in->dec->profile != DA_PROFILE_AAC_LOW);
        int give_up = k >= CONVERGE_RUNS || (unsound && !all);
        if (give_up)
            b = 0;
        ret = run(j, buf[b], give_up ? 0 : preroll, &fresh, &reached, src, opt, err, err_size);
        used[b] = s->used;
        entry[b] = j->in->entry_pts;
        silk += j->in->silk_packets;
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
