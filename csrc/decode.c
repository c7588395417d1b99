/* decode.c - da__decode_one(): a whole input in one call on the calling thread, through the
 * fast paths (pcm.c, mp3.c), verified convergence (converge.c) or the job loop (job.c) run to
 * the end. da_decode() (parallel.c) calls it, or splits the input into windows on threads. */
#include <string.h>

#include "internal.h"

int64_t da__estimate_frames(const da_input *in, int out_rate, int *certain)
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

int da_decode_options_init(da_decode_options *opt)
{
    if (opt == NULL)
        return DA_ERR_ARGUMENT;
    memset(opt, 0, sizeof *opt);
    opt->open.stream_index = -1;
    opt->dtype = DA_DTYPE_FLOAT32;
    opt->num_frames = -1;
    opt->exact = 1;
    opt->num_threads = 1;
    return 0;
}

int da__decode_one(const da_source *src, const da_decode_options *opt, da_audio **out,
                   char *err, size_t err_size)
{
    if (out == NULL)
        return da__failmsg(DA_ERR_ARGUMENT, err, err_size, "decode: no output pointer");
    *out = NULL;
    if (da__decode_options_check(opt) < 0)
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
    j.reopen_src = src;
    j.reopen_opt = opt;
    da_input *in = j.in;
    int certain = 0;
    int64_t cap = da__estimate_frames(in, s->out_rate, &certain);
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
        /* the input may be opened again (a rewind that fails) */
        ret = da__job_pump(&j, INT64_MAX);
        in = j.in;
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