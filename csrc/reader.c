/* reader.c - the chunked reader: the decode loop (job.c) run a chunk at a time, frames
 * decoded past a chunk carried to the next. */
#include <string.h>

#include "internal.h"

struct da_reader {
    da_job j;
    da_audio *carry;          /* frames decoded past the last chunk, starting the next */
    int64_t carried;
    int64_t limit;            /* frames to deliver in all; -1: to the end */
    int64_t delivered;
};

int da_reader_open(const da_source *src, const da_decode_options *opt, da_reader **out,
                   char *err, size_t err_size)
{
    if (out == NULL)
        return da__failmsg(DA_ERR_ARGUMENT, err, err_size, "open reader: no output pointer");
    *out = NULL;
    if (opt != NULL && opt->out_data != NULL)
        return da__failmsg(DA_ERR_ARGUMENT, err, err_size,
                           "open reader: a reader allocates its chunks");
    da_reader *r = av_mallocz(sizeof *r);
    if (r == NULL)
        return da__fail(AVERROR(ENOMEM), err, err_size, "open reader");
    int ret = da__job_open(&r->j, src, opt, err, err_size);
    if (ret < 0) {
        da_reader_free(&r);
        return ret;
    }
    r->limit = opt->num_frames;
    *out = r;
    return 0;
}

/* Moves frames [from, from + count) of `a` to the start of `b` (both of one shape). */
static void move_frames(const da_audio *a, int64_t from, int64_t count, da_audio *b)
{
    size_t isz = (size_t)a->itemsize;
    if (a->channels_first) {
        size_t row_a = (size_t)da__audio_capacity(a) * isz;
        size_t row_b = (size_t)da__audio_capacity(b) * isz;
        for (int c = 0; c < a->num_channels; c++)
            memcpy((uint8_t *)b->data + (size_t)c * row_b,
                   (const uint8_t *)a->data + (size_t)c * row_a + (size_t)from * isz,
                   (size_t)count * isz);
    } else {
        size_t frame = isz * (size_t)a->num_channels;
        memcpy(b->data, (const uint8_t *)a->data + (size_t)from * frame, (size_t)count * frame);
    }
}

int da_reader_read(da_reader *r, int64_t num_frames, da_audio **out, char *err,
                   size_t err_size)
{
    if (out == NULL || r == NULL || num_frames <= 0)
        return da__failmsg(DA_ERR_ARGUMENT, err, err_size, "read: invalid arguments");
    *out = NULL;
    da_job *j = &r->j;
    da_sink *s = &j->s;
    da__log_reset();
    int ret = 0;
    da_audio *chunk = r->carry;
    r->carry = NULL;
    if (chunk == NULL)
        ret = da__job_alloc(j, num_frames, &chunk);
    if (ret >= 0)
        ret = da__audio_reserve(chunk, num_frames, r->carried);
    if (ret < 0) {
        da__fail(ret, err, err_size, "read '%s'", j->in->name);
        goto end;
    }
    s->audio = chunk;
    s->used = r->carried;
    /* the window's limit counts from the first chunk; the sink counts from this one */
    s->limit = r->limit < 0 ? -1 : r->limit - r->delivered;
    if (!j->ended && s->used < num_frames) {
        ret = da__job_pump(j, num_frames);
        if (ret < 0) {
            da__job_fail(j, ret, 0, err, err_size);
            goto end;
        }
    }
    int64_t n = s->used < num_frames ? s->used : num_frames;
    r->carried = s->used - n;
    if (r->carried > 0) {
        ret = da__job_alloc(j, r->carried > num_frames ? r->carried : num_frames, &r->carry);
        if (ret < 0) {
            da__fail(ret, err, err_size, "read '%s'", j->in->name);
            goto end;
        }
        move_frames(chunk, n, r->carried, r->carry);
    }
    ret = da__audio_finish(chunk, n);
    if (ret < 0) {
        da__fail(ret, err, err_size, "read '%s'", j->in->name);
        goto end;
    }
    r->delivered += n;
    chunk->decode_errors = j->in->decode_errors;
    *out = chunk;
    chunk = NULL;

end:
    s->audio = NULL;
    da_audio_release(&chunk);
    return ret;
}

void da_reader_free(da_reader **rp)
{
    if (rp == NULL || *rp == NULL)
        return;
    da_audio_release(&(*rp)->carry);
    da__job_close(&(*rp)->j);
    av_freep(rp);
}
