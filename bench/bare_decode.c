/* bare_decode.c - the "limit" column of the benchmark: the least a libav decode to float32 costs.
 *
 * Usage: bare_decode FILE RUNS
 * Decodes FILE to interleaved float32 RUNS times in this process and prints the median time
 * of one decode in milliseconds, then the frame count. One open, stream info (with payload
 * probing cut to one 16 KiB packet), a decoder, a read/send/receive loop, and conversion with
 * plain loops into a buffer grown by doubling: nothing else. No windows, no resampling, no
 * checks beyond what keeps it from crashing on the benchmark's own files.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/opt.h>

typedef struct out_buf {
    float *data;
    size_t frames, cap;
    int channels;
} out_buf;

static int grow(out_buf *o, size_t need)
{
    if (o->frames + need <= o->cap)
        return 0;
    size_t cap = o->cap ? o->cap : 65536;
    while (cap < o->frames + need)
        cap *= 2;
    float *p = realloc(o->data, cap * (size_t)o->channels * sizeof(float));
    if (p == NULL)
        return -1;
    o->data = p;
    o->cap = cap;
    return 0;
}

/* Appends a frame's samples as interleaved float32. */
static int append(out_buf *o, const AVFrame *f)
{
    int ch = o->channels, n = f->nb_samples;
    if (grow(o, (size_t)n) < 0)
        return -1;
    float *dst = o->data + o->frames * (size_t)ch;
    switch (f->format) {
    case AV_SAMPLE_FMT_FLTP:
        for (int c = 0; c < ch; c++) {
            const float *s = (const float *)f->extended_data[c];
            for (int i = 0; i < n; i++)
                dst[(size_t)i * ch + c] = s[i];
        }
        break;
    case AV_SAMPLE_FMT_FLT:
        memcpy(dst, f->extended_data[0], (size_t)n * ch * sizeof(float));
        break;
    case AV_SAMPLE_FMT_S16P:
        for (int c = 0; c < ch; c++) {
            const int16_t *s = (const int16_t *)f->extended_data[c];
            for (int i = 0; i < n; i++)
                dst[(size_t)i * ch + c] = s[i] * (1.0f / 32768);
        }
        break;
    case AV_SAMPLE_FMT_S16: {
        const int16_t *s = (const int16_t *)f->extended_data[0];
        for (size_t i = 0; i < (size_t)n * ch; i++)
            dst[i] = s[i] * (1.0f / 32768);
        break;
    }
    case AV_SAMPLE_FMT_S32P:
        for (int c = 0; c < ch; c++) {
            const int32_t *s = (const int32_t *)f->extended_data[c];
            for (int i = 0; i < n; i++)
                dst[(size_t)i * ch + c] = s[i] * (1.0f / 2147483648.0f);
        }
        break;
    case AV_SAMPLE_FMT_S32: {
        const int32_t *s = (const int32_t *)f->extended_data[0];
        for (size_t i = 0; i < (size_t)n * ch; i++)
            dst[i] = s[i] * (1.0f / 2147483648.0f);
        break;
    }
    default:
        return -1;
    }
    o->frames += (size_t)n;
    return 0;
}

static long decode_once(const char *path)
{
    AVFormatContext *fmt = NULL;
    AVCodecContext *dec = NULL;
    AVPacket *pkt = av_packet_alloc();
    AVFrame *frame = av_frame_alloc();
    out_buf o = {0};
    long frames = -1;
    if (avformat_open_input(&fmt, path, NULL, NULL) < 0)
        goto end;
    if (strcmp(fmt->iformat->name, "wav") == 0) {
        fmt->probesize = 16384;
        av_opt_set_int(fmt->priv_data, "max_size", 16384, 0);
    }
    if (avformat_find_stream_info(fmt, NULL) < 0)
        goto end;
    int idx = av_find_best_stream(fmt, AVMEDIA_TYPE_AUDIO, -1, -1, NULL, 0);
    if (idx < 0)
        goto end;
    AVStream *st = fmt->streams[idx];
    const AVCodec *codec = avcodec_find_decoder(st->codecpar->codec_id);
    dec = avcodec_alloc_context3(codec);
    if (dec == NULL || avcodec_parameters_to_context(dec, st->codecpar) < 0)
        goto end;
    dec->pkt_timebase = st->time_base;
    if (avcodec_open2(dec, codec, NULL) < 0)
        goto end;
    o.channels = dec->ch_layout.nb_channels;
    for (int draining = 0;;) {
        int ret = avcodec_receive_frame(dec, frame);
        if (ret == 0) {
            if (append(&o, frame) < 0)
                goto end;
            av_frame_unref(frame);
            continue;
        }
        if (ret == AVERROR_EOF || (ret != AVERROR(EAGAIN)))
            break;
        if (draining)
            break;
        if (av_read_frame(fmt, pkt) < 0) {
            draining = 1;
            avcodec_send_packet(dec, NULL);
            continue;
        }
        if (pkt->stream_index == idx)
            avcodec_send_packet(dec, pkt);
        av_packet_unref(pkt);
    }
    frames = (long)o.frames;

end:
    free(o.data);
    av_frame_free(&frame);
    av_packet_free(&pkt);
    avcodec_free_context(&dec);
    avformat_close_input(&fmt);
    return frames;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s FILE RUNS\n", argv[0]);
        return 2;
    }
    av_log_set_level(AV_LOG_ERROR);
    int runs = atoi(argv[2]);
    if (runs < 1 || runs > 1000)
        runs = 5;
    double times[1000];
    long frames = decode_once(argv[1]); /* warm the page cache and the libraries */
    if (frames < 0) {
        fprintf(stderr, "%s: cannot decode\n", argv[1]);
        return 1;
    }
    for (int r = 0; r < runs; r++) {
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        decode_once(argv[1]);
        clock_gettime(CLOCK_MONOTONIC, &b);
        times[r] = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
    }
    qsort(times, (size_t)runs, sizeof times[0], cmp);
    printf("%.3f %ld\n", times[runs / 2], frames);
    return 0;
}
