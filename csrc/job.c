/* job.c - the one decode loop: an input's frames into the sink, the window entered first;
 * da_decode() (decode.c) runs it to the end, the chunked reader (reader.c) a chunk at a time,
 * verified convergence (converge.c) once per preroll. */
#include <string.h>

#include "internal.h"

/* Initial room is capped: headers can claim anything, and real data grows the buffer. */
#define MAX_INITIAL_BYTES ((int64_t)256 << 20)

int da__decode_options_check(const da_decode_options *opt)
{
    if (opt == NULL || (opt->dtype != DA_DTYPE_AUTO && da__dtype_size(opt->dtype) == 0) ||
        opt->sample_rate < 0 || opt->num_channels < 0 || opt->num_channels > 64 ||
        !da__window_valid(opt->frame_offset, opt->num_frames) ||
        (opt->out_data != NULL && opt->out_capacity < 0) ||
        (opt->on_error != DA_ON_ERROR_SKIP && opt->on_error != DA_ON_ERROR_RAISE) ||
        opt->num_threads < 0)
        return DA_ERR_ARGUMENT;
    return 0;
}

void da__job_close(da_job *j)
{
    av_frame_free(&j->frame);
    da__sink_uninit(&j->s);
    da__input_close(&j->in);
}

int da__job_open(da_job *j, const da_source *src, const da_decode_options *opt, char *err,
                 size_t err_size)
{
    memset(j, 0, sizeof *j);
    if (da__decode_options_check(opt) < 0)
        return da__failmsg(DA_ERR_ARGUMENT, err, err_size, "decode: invalid options");
    int ret = da__input_open(src, &opt->open, &j->in, err, err_size);
    if (ret < 0)
        return ret;
    da_input *in = j->in;
    in->fail_on_error = opt->on_error == DA_ON_ERROR_RAISE;
    ret = da__sink_init(&j->s, in, opt, err, err_size);
    if (ret < 0)
        return ret;
    j->frame = av_frame_alloc();
    if (j->frame == NULL)
        return da__fail(AVERROR(ENOMEM), err, err_size, "decode '%s'", in->name);
    j->frame_offset = opt->frame_offset;
    j->mode = opt->frame_offset > 0 && j->s.filter == NULL
                  ? da__window_policy(in, opt->exact, &j->preroll)
                  : DA_ENTER_FROM_START;
    return 0;
}

/* Opens the job's input again, at its start: for a demuxer that can seek neither to the
 * window nor back (FLAC's search in a file of one short frame finds nothing, and leaves the
 * probe's packets dropped). */
static int reopen(da_job *j)
{
    const da_source *src = j->reopen_src;
    if (src->kind != DA_SOURCE_PATH && src->kind != DA_SOURCE_MEMORY)
        return AVERROR(ESPIPE);
    da_input *in = NULL;
    int ret = da__input_open(src, &j->reopen_opt->open, &in, NULL, 0);
    if (ret < 0)
        return ret;
    in->fail_on_error = j->in->fail_on_error;
    in->decode_errors = j->in->decode_errors;
    in->first_error = j->in->first_error;
    da__input_close(&j->in);
    j->in = in;
    return 0;
}

/* Decodes until the sink holds `want` frames or its window is full, or the input ends (then
 * the resampler or filter graph is flushed and j->ended set). The first call enters the
 * window; a seek or skip that cannot place it falls back to decoding from the start. */
int da__job_pump(da_job *j, int64_t want)
{
    da_sink *s = &j->s;
    da_input *in = j->in;
    int ret = 0;
    if (!j->entered) {
        j->entered = 1;
        int64_t target = da__window_plan(s, j->mode, j->preroll, j->frame_offset);
        if (j->mode != DA_ENTER_FROM_START && target - j->preroll <= 0) {
            /* the preroll reaches back to the start: decoded from there, frames are placed
             * by the running count of a full decode, not by timestamps (which an MP3 whose
             * LAME delay exceeds its first frames puts elsewhere) */
            j->mode = DA_ENTER_FROM_START;
            target = da__window_plan(s, j->mode, 0, j->frame_offset);
        }
        ret = da__window_enter(in, j->mode, target, j->preroll, s->origin);
    }
    int done = 0;
    for (;;) {
        int late = ret == DA_LANDED_LATE;
        if (ret >= 0 && !late) {
            while (s->used < want) {
                if (da__sink_room(s) <= 0 || (s->in_end >= 0 && s->next_idx >= s->in_end)) {
                    done = 1;
                    break;
                }
                ret = da__next_frame(in, j->frame);
                if (ret == AVERROR_EOF) {
                    ret = 0;
                    done = 1;
                    break;
                }
                /* a seek that left the demuxer unable to read (FLAC's search in a file of
                 * one short frame) is like one that could not place the window */
                if (ret < 0 && j->mode == DA_ENTER_SEEK && s->use_pts && !s->anchored)
                    break;
                if (ret < 0)
                    return ret;
                ret = da__sink_frame(s, j->frame);
                av_frame_unref(j->frame);
                if (ret != 0)
                    break;
            }
            /* the input ended before a timestamp could place the window */
            late = ret == DA_LANDED_LATE || (done && ret == 0 && s->use_pts && !s->anchored);
        }
        if (j->mode == DA_ENTER_FROM_START || !(late || (ret < 0 && j->mode != DA_ENTER_SKIP)))
            break;
        j->mode = DA_ENTER_FROM_START;
        da__window_plan(s, j->mode, 0, j->frame_offset);
        done = 0;
        ret = da__input_rewind(in);
        if (ret < 0 && j->reopen_src != NULL)
            ret = reopen(j);
        in = j->in;
    }
    if (ret < 0 || !done)
        return ret;
    j->ended = 1;
    return da__sink_flush(s);
}

/* A new output buffer for the job, sized for `frames` (capped: headers can claim anything). */
int da__job_alloc(da_job *j, int64_t frames, da_audio **out)
{
    const da_sink *s = &j->s;
    int64_t max_frames = MAX_INITIAL_BYTES / da__dtype_size(s->dtype) / s->num_channels;
    return da__audio_alloc(s->dtype, s->num_channels, s->out_rate, s->planar,
                           frames < max_frames ? frames : max_frames, out);
}

int da__job_fail(da_job *j, int ret, int64_t capacity, char *err, size_t err_size)
{
    if (ret == DA_ERR_TOO_SMALL)
        return da__failmsg(ret, err, err_size,
                           "decode '%s': the output buffer holds %lld frames; more are needed",
                           j->in->name, (long long)capacity);
    const da_input *in = j->in;
    if (in->fail_on_error && in->decode_errors > 0 && in->sent_pts != AV_NOPTS_VALUE)
        return da__fail(ret, err, err_size, "decode '%s': the packet at %.3f s", in->name,
                        (double)in->sent_pts * av_q2d(in->stream->time_base));
    return da__fail(ret, err, err_size, "decode '%s'", in->name);
}
