/* decode.c - the one decode loop: an input's frames into the sink, the window entered first;
 * da_decode() runs it to the end, the chunked reader (reader.c) a chunk at a time. */
#include <string.h>

#include "internal.h"

/* Initial room is capped: headers can claim anything, and real data grows the buffer. */
#define MAX_INITIAL_BYTES ((int64_t)256 << 20)

/* Frames the output will probably hold, or -1 when unknown; `certain` says if it is. */
static int64_t estimate_frames(const da_input *in, int out_rate, int *certain)
{
    const AVStream *st = in->stream;
    int in_rate = in->dec->sample_rate;
    int64_t n = -1;
    *certain = 0;
    if (st->duration != AV_NOPTS_VALUE && st->duration > 0) {
        n = av_rescale_q(st->duration, st->time_base, (AVRational){1, in_rate});
        /* PCM and FLAC headers count samples exactly */
        enum AVCodecID id = st->codecpar->codec_id;
        const AVCodecDescriptor *d = avcodec_descriptor_get(id);
        *certain = id == AV_CODEC_ID_FLAC ||
                 (da__codec_is_pcm(id) && (d->props & AV_CODEC_PROP_LOSSLESS));
    } else if (in->fmt->duration != AV_NOPTS_VALUE && in->fmt->duration > 0) {
        n = av_rescale(in->fmt->duration, in_rate, AV_TIME_BASE);
    }
    if (n < 0 || in_rate <= 0)
        return -1;
    if (out_rate != in_rate) {
        n = av_rescale(n, out_rate, in_rate);
        *certain = 0;
    }
    return n;
}

static int check_options(const da_decode_options *opt)
{
    if (opt == NULL || (opt->dtype != DA_DTYPE_AUTO && da__dtype_size(opt->dtype) == 0) ||
        opt->sample_rate < 0 || opt->num_channels < 0 || opt->num_channels > 64 ||
        !da__window_valid(opt->frame_offset, opt->num_frames) ||
        (opt->out_data != NULL && opt->out_capacity < 0) ||
        (opt->on_error != DA_ON_ERROR_SKIP && opt->on_error != DA_ON_ERROR_RAISE))
        return DA_ERR_ARGUMENT;
    return 0;
}

int da_decode_options_init(da_decode_options *opt)
{
    if (opt == NULL)
        return DA_ERR_ARGUMENT;
    memset(opt, 0, sizeof *opt);
    opt->open.stream_index = -1;
    opt->dtype = DA_DTYPE_FLOAT32;
    opt->num_frames = -1;
    opt->exact = 1;
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
    if (check_options(opt) < 0)
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

int da_decode(const da_source *src, const da_decode_options *opt, da_audio **out, char *err,
              size_t err_size)
{
    if (out == NULL)
        return da__failmsg(DA_ERR_ARGUMENT, err, err_size, "decode: no output pointer");
    *out = NULL;
    if (check_options(opt) < 0)
        return da__failmsg(DA_ERR_ARGUMENT, err, err_size, "decode: invalid options");
    /* plain PCM WAV files are read without libavformat when that gives the same bytes */
    int ret = da__pcm_decode(src, opt, out, err, err_size);
    if (ret != DA_PCM_UNHANDLED)
        return ret;
    /* so are plain MP3 files */
    ret = da__mp3_decode(src, opt, out, err, err_size);
    if (ret != DA_PCM_UNHANDLED)
        return ret;
    da_job j;
    da_sink *s = &j.s;
    ret = da__job_open(&j, src, opt, err, err_size);
    if (ret < 0)
        goto end;
    da_input *in = j.in;
    int certain = 0;
    int64_t cap = estimate_frames(in, s->out_rate, &certain);
    if (cap >= 0)
        cap -= opt->frame_offset;
    /* an exact Opus or AAC window past enough audio is found by verified convergence */
    if (opt->exact && j.mode == DA_ENTER_FROM_START)
        j.converge = da__window_converge_preroll(in, s, opt->frame_offset,
                                                 s->limit >= 0 ? s->limit : cap);
    if (opt->out_data != NULL) {
        if (opt->out_channels != s->num_channels) {
            ret = da__failmsg(DA_ERR_ARGUMENT, err, err_size,
                              "decode '%s': the output has %d channels, the buffer %d", in->name,
                              s->num_channels, opt->out_channels);
            goto end;
        }
        ret = da__audio_wrap(s->dtype, s->num_channels, s->out_rate, s->planar, opt->out_data,
                             opt->out_capacity, &s->audio);
    } else {
        if (cap >= 0 && !certain)
            cap += cap / 50 + 4096;
        if (cap < 0)
            cap = s->out_rate;
        if (s->limit >= 0 && cap > s->limit)
            cap = s->limit;
        ret = da__job_alloc(&j, cap, &s->audio);
    }
    if (ret < 0) {
        da__fail(ret, err, err_size, "decode '%s'", in->name);
        goto end;
    }
    if (j.converge > 0) {
        /* the input may be opened again (a failed open leaves j.in NULL, its message in err) */
        ret = da__job_converge(&j, j.converge, src, opt, err, err_size);
        if (j.in == NULL)
            goto end;
        in = j.in;
    } else {
        ret = da__job_pump(&j, INT64_MAX);
    }
    if (ret < 0) {
        da__job_fail(&j, ret, opt->out_capacity, err, err_size);
        goto end;
    }
    if (s->used == 0 && in->decode_errors > 0 && opt->frame_offset == 0) {
        ret = da__fail(in->first_error, err, err_size, "decode '%s'", in->name);
        goto end;
    }
    if (s->used == 0 && s->next_idx == 0 && da__index_unreachable(in)) {
        ret = da__unreachable_error(in, err, err_size);
        goto end;
    }
    ret = da__audio_finish(s->audio, s->used);
    if (ret < 0) {
        da__fail(ret, err, err_size, "decode '%s'", in->name);
        goto end;
    }
    s->audio->decode_errors = in->decode_errors;
    s->audio->converged_preroll = j.converged_preroll;
    *out = s->audio;
    s->audio = NULL;

end:
    da_audio_release(&s->audio);
    da__job_close(&j);
    return ret;
}