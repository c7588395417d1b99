/* internal.h - declarations shared between the library's source files; not installed. */
#ifndef DA_INTERNAL_H
#define DA_INTERNAL_H

#include <stdarg.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/samplefmt.h>
#include <libswresample/swresample.h>

#include "compat.h"
#include "decode_audio.h"

#define DA_PRIVATE __attribute__((visibility("hidden")))

/* Bytes of a non-seekable source kept from its start. */
#define DA_HEAD_SIZE 65536

/* ---- error.c: messages and FFmpeg's log ---- */

/* Routes FFmpeg's log into a per-thread buffer, once per process. */
DA_PRIVATE void da__log_init(void);
/* Forgets the calling thread's last FFmpeg log message. */
DA_PRIVATE void da__log_reset(void);
/* Writes "<what>: <FFmpeg's reason for code>" (plus FFmpeg's last logged error, when it says
 * more) into err and returns code. `what` is a printf format. */
DA_PRIVATE int da__fail(int code, char *err, size_t err_size, const char *what, ...)
    __attribute__((format(printf, 4, 5)));
/* Like da__fail, but the reason is given as text rather than taken from code. */
DA_PRIVATE int da__failmsg(int code, char *err, size_t err_size, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Puts the formatted text before the message already in err (naming the source a helper's
 * message leaves out) and returns code. */
DA_PRIVATE int da__prefix(int code, char *err, size_t err_size, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ---- avio.c: opening inputs ---- */

/* An opened input with its decoder, ready to produce frames. Freed by da__input_close(). */
typedef struct da_input {
    AVFormatContext *fmt;
    AVIOContext *pb;          /* custom I/O context, or NULL when FFmpeg opened a URL */
    AVCodecContext *dec;
    AVStream *stream;
    AVPacket *pkt;
    int stream_index;
    int draining;             /* the decoder was sent its flush packet */
    int64_t discard_until;    /* packets ending at or before this pts are not decoded */
    int64_t decode_errors;    /* packets rejected by the decoder and skipped */
    int first_error;          /* the first of those errors, reported if nothing decodes */
    int fail_on_error;        /* a rejected packet or a read error fails instead */
    int64_t sent_pts;         /* timestamp of the last packet sent to the decoder */
    int64_t sent_end;         /* where that packet ends, if known */
    const da_source *src;
    int64_t mem_pos;          /* DA_SOURCE_MEMORY read position */
    int callback_failed;      /* a caller's callback returned an error */
    /* The first bytes of a non-seekable source, kept for what the demuxer cannot go back
     * for (an MP3's LAME tag). */
    uint8_t *head;
    int head_size;
    int stream_info_skipped;  /* no stream info was read: the MP3 frame header or FLAC
                                 STREAMINFO (through the decoder) has what decoding needs */
    char name[256];           /* how messages name the source */
} da_input;

/* Opens `src`, finds the audio stream and opens its decoder. */
DA_PRIVATE int da__input_open(const da_source *src, const da_open_options *opt,
                              da_input **out, char *err, size_t err_size);
DA_PRIVATE void da__input_close(da_input **in);

/* ---- probe.c: what the stream is ---- */

/* Frames a full decode ends at, where the container says so more exactly than the decoder
 * (MP4's declared duration leaves out AAC's end padding); -1 otherwise. */
DA_PRIVATE int64_t da__stream_end(const da_input *in);
/* Nonzero when the container's index lies where a non-seekable input cannot reach it. */
DA_PRIVATE int da__index_unreachable(const da_input *in);
/* Says so in err and returns the error code for it. */
DA_PRIVATE int da__unreachable_error(const da_input *in, char *err, size_t err_size);

/* ---- filter.c: libavfilter graphs ---- */

typedef struct da_filter da_filter;
/* Builds "abuffer -> desc -> aformat(out) -> abuffersink"; with frame_size > 0 the sink hands
 * out frames of exactly that many samples (the last may be shorter). out_rate 0 and
 * out_layout NULL leave the rate and layout to the filters. */
DA_PRIVATE int da__filter_open(da_filter **f, const char *desc, int in_rate,
                               enum AVSampleFormat in_fmt, const AVChannelLayout *in_layout,
                               int out_rate, enum AVSampleFormat out_fmt,
                               const AVChannelLayout *out_layout, int frame_size, char *err,
                               size_t err_size);
/* The rate and channel count the graph settled on. */
DA_PRIVATE void da__filter_output(const da_filter *f, int *sample_rate, int *num_channels);
/* Feeds a frame (a reference is taken); NULL ends the input. */
DA_PRIVATE int da__filter_push(da_filter *f, AVFrame *frame);
/* Takes the next output frame: 0, AVERROR(EAGAIN) when more input is needed, AVERROR_EOF. */
DA_PRIVATE int da__filter_pull(da_filter *f, AVFrame *frame);
DA_PRIVATE void da__filter_close(da_filter **f);

/* ---- decode.c: the one decode loop ---- */

/* Returns the next decoded frame in `frame` (0), AVERROR_EOF once the decoder is drained,
 * or another negative code on failure. Skips packets the decoder rejects, counting them
 * (unless in->fail_on_error), and packets that end before `discard_until`. */
DA_PRIVATE int da__next_frame(da_input *in, AVFrame *frame);

/* ---- convert.c: sample conversion without libswresample ---- */

/* Converts `count` samples of `in_fmt` (packed AVSampleFormat) read every `in_step` samples
 * into `out_dtype` written every `out_step` samples, with FFmpeg's scaling and rounding.
 * Returns 0, or AVERROR(ENOSYS) when the pair is not covered (use libswresample). */
DA_PRIVATE int da__convert(enum AVSampleFormat in_fmt, const void *in, ptrdiff_t in_step,
                           int out_dtype, void *out, ptrdiff_t out_step, int64_t count);
DA_PRIVATE int da__dtype_size(int dtype);
/* The packed or planar AVSampleFormat that holds `dtype` (int8 is produced as uint8). */
DA_PRIVATE enum AVSampleFormat da__dtype_sample_fmt(int dtype, int planar);

/* ---- buffer.c: output buffers ---- */

/* Allocates a da_audio with room for `capacity` frames (no samples yet). */
DA_PRIVATE int da__audio_alloc(int dtype, int num_channels, int sample_rate, int channels_first,
                               int64_t capacity, da_audio **out);
/* Wraps the caller's memory of `capacity` frames without taking ownership. */
DA_PRIVATE int da__audio_wrap(int dtype, int num_channels, int sample_rate, int channels_first,
                              void *data, int64_t capacity, da_audio **out);
/* Room, in frames, of the audio's buffer. */
DA_PRIVATE int64_t da__audio_capacity(const da_audio *audio);
/* Makes room for at least `capacity` frames, keeping the first `used` frames of every channel. */
DA_PRIVATE int da__audio_reserve(da_audio *audio, int64_t capacity, int64_t used);
/* Sets num_frames to `used` and returns unused memory. */
DA_PRIVATE int da__audio_finish(da_audio *audio, int64_t used);
/* Adds a reference (for DLPack exports). */
DA_PRIVATE void da__audio_retain(da_audio *audio);

/* ---- encode.c and video.c: the writer's streams ---- */

/* A video stream's own state (video.c); its encoder belongs to the writer's stream. */
typedef struct da_vstream da_vstream;

/* 0 when `w` can take another stream; otherwise fails with the reason. */
DA_PRIVATE int da__writer_can_add(da_writer *w, char *err, size_t err_size);
/* The writer's muxer context and the name messages give the destination. */
DA_PRIVATE AVFormatContext *da__writer_context(da_writer *w);
DA_PRIVATE const char *da__writer_name(const da_writer *w);
/* Adds a stream for the opened encoder `*enc` with the video state `*video`; the writer owns
 * both from then on (they are freed on failure too) and the pointers are set to NULL. */
DA_PRIVATE int da__writer_add_stream(da_writer *w, AVCodecContext **enc, da_vstream **video,
                                     int *stream_index, char *err, size_t err_size);
/* Sets what every encoder of the writer shares (bit rate, compression level and fixed quality
 * where given, bit-exact output, one thread, a global header where the muxer wants one) and
 * opens `enc` with `encoder_options`, failing on any option it does not know; messages start
 * "<what> '<destination>'". */
DA_PRIVATE int da__writer_open_encoder(da_writer *w, AVCodecContext *enc, const AVCodec *codec,
                                       int64_t bit_rate, int compression_level, double quality,
                                       const char *const *encoder_options, const char *what,
                                       char *err, size_t err_size);
/* Stream `i`'s video state, when it is a video stream and frames may be written to it;
 * otherwise NULL with the reason in err. */
DA_PRIVATE da_vstream *da__writer_video(da_writer *w, int i, const char *what, char *err,
                                        size_t err_size);
/* Sends `frame` (NULL: drain) to stream `i`'s encoder and muxes what comes out. */
DA_PRIVATE int da__writer_encode(da_writer *w, int i, AVFrame *frame);
/* Like da__fail, naming the destination, and reporting a failed write callback as such. */
DA_PRIVATE int da__writer_fail(da_writer *w, int code, char *err, size_t err_size,
                               const char *what);
/* Feeds the end of the input through a video stream's filter graph to its encoder. */
DA_PRIVATE int da__video_drain(da_writer *w, int i, da_vstream *v);
DA_PRIVATE void da__video_free(da_vstream **v);

/* ---- utils.c: "name\0long name\0" lists (da_list_components, da_sox_list_formats) ---- */

/* A growing list; `data` is malloc'ed, so the caller frees it with da_names_free(). */
typedef struct da__name_list {
    char *data;
    size_t size;
    size_t capacity;
} da__name_list;

/* Appends one pair; AVERROR(ENOMEM) leaves the list as it was. */
DA_PRIVATE int da__names_append(da__name_list *l, const char *name, const char *long_name);
/* Hands the list over as *names and *size (an empty one too is a buffer to free) and clears
 * `l`; AVERROR(ENOMEM) leaves `l` to the caller to free. */
DA_PRIVATE int da__names_finish(da__name_list *l, char **names, int64_t *size);

/* ---- pcm.c: plain PCM WAV without libavformat ---- */

/* Setting this environment variable to "0" turns the fast paths of pcm.c and sniff.c off. */
#define DA_ENV_FAST_PATHS "DECODE_AUDIO_FAST_PATHS"

/* Returned by da__pcm_decode when the input or the options are not its to decode. */
#define DA_PCM_UNHANDLED 1
/* Decodes a plain PCM WAV (path or memory) as da_decode() would, when that is certain to give
 * the general path's bytes: 0 with *out set, DA_PCM_UNHANDLED, or a negative error code. */
DA_PRIVATE int da__pcm_decode(const da_source *src, const da_decode_options *opt,
                              da_audio **out, char *err, size_t err_size);

/* ---- sniff.c: the demuxer of a path whose extension and first bytes agree ---- */

/* The demuxer libavformat's probe would pick for `src`, when its extension and first bytes
 * make that certain (MP3, WAV, FLAC, Ogg, MP4/M4A); NULL: probe. For an MP3, *mpa_header
 * (when not NULL) gets its first frame's header. */
DA_PRIVATE const AVInputFormat *da__sniff_format(const da_source *src, uint32_t *mpa_header);
/* Length of the MPEG audio frame whose 4-byte header is at p, or 0 when it is not a valid
 * header (as FFmpeg's mpegaudiodecheader.c decides). */
DA_PRIVATE int da__mpa_frame_size(const uint8_t *p);
/* Sets the stream parameters stream info would find from an MPEG audio frame header. */
DA_PRIVATE int da__mpa_params(AVStream *st, uint32_t header);

#endif /* DA_INTERNAL_H */
