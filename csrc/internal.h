/* internal.h - declarations shared between the library's source files; not installed.
 * Sections follow the layers, lowest first (STRUCTURE.md): a unit uses only those above its
 * own section here. */
#ifndef DA_INTERNAL_H
#define DA_INTERNAL_H

#include <stdarg.h>

#include <libavcodec/avcodec.h>
#include <libavfilter/avfilter.h>
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

/* ---- dict.c: option pairs ---- */

/* Adds the NULL-terminated "key", "value" pairs (a NULL value is "") to *dict. */
DA_PRIVATE int da__dict_set_pairs(AVDictionary **dict, const char *const *pairs);
/* 0 when `left` (what avformat_open_input, avcodec_open2 or avformat_write_header left over)
 * is empty; otherwise writes "<fmt...> has no option '<key>'" and returns
 * AVERROR_OPTION_NOT_FOUND. */
DA_PRIVATE int da__dict_check_used(const AVDictionary *left, char *err, size_t err_size,
                                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* ---- convert.c: sample conversion without libswresample ---- */

/* Converts `count` samples of `in_fmt` (packed AVSampleFormat) read every `in_step` samples
 * into `out_dtype` written every `out_step` samples, with FFmpeg's scaling and rounding.
 * Returns 0, or AVERROR(ENOSYS) when the pair is not covered (use libswresample). */
DA_PRIVATE int da__convert(enum AVSampleFormat in_fmt, const void *in, ptrdiff_t in_step,
                           int out_dtype, void *out, ptrdiff_t out_step, int64_t count);
/* Converts `count` frames of `channels` planes of `in_fmt` (each plane's first sample at
 * planes[c]) into `out_dtype` interleaved at `out`; as da__convert, channel by channel. */
DA_PRIVATE int da__convert_planes(enum AVSampleFormat in_fmt, const uint8_t *const *planes,
                                  int channels, int out_dtype, void *out, int64_t count);
DA_PRIVATE int da__dtype_size(int dtype);
/* The packed or planar AVSampleFormat that holds `dtype` (int8 is produced as uint8). */
DA_PRIVATE enum AVSampleFormat da__dtype_sample_fmt(int dtype, int planar);
/* What DA_DTYPE_AUTO decodes to: integer PCM keeps the integer type its decoder gives (`fmt`:
 * u8, s16, s32, packed or planar), anything else is float32. */
DA_PRIVATE int da__native_dtype(int integer_pcm, enum AVSampleFormat fmt);

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
/* Adds a reference (for DLPack exports); da_audio_release() drops one. */
DA_PRIVATE void da__audio_retain(da_audio *audio);

/* ---- components.c: names and versions; the "name\0long name\0" lists ---- */

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

/* ---- mpeg.c: MPEG audio and ID3v2 headers ---- */

/* Bytes of the ID3v2 tag (header, body and footer) at the start of p[0..n), or 0 when p does
 * not start with a valid ID3v2 header. */
DA_PRIVATE int da__id3v2_size(const uint8_t *p, int n);
/* Length of the MPEG audio frame whose 4-byte header is at p, or 0 when it is not a valid
 * header (as FFmpeg's mpegaudiodecheader.c decides). */
DA_PRIVATE int da__mpa_frame_size(const uint8_t *p);
/* Sets the stream parameters stream info would find from an MPEG audio frame header. */
DA_PRIVATE int da__mpa_params(AVStream *st, uint32_t header);
/* The layer, rate, channel count and samples per frame of a frame header; 0 when invalid. */
DA_PRIVATE int da__mpa_header(uint32_t header, int *layer, int *rate, int *channels,
                              int *frame_samples);
/* Samples FFmpeg's MPEG audio decoder gives for the packet p[0..n): those of the frames
 * whose headers follow one another from its first byte; 0 when it does not start with a
 * valid header (the decoder rejects it). */
DA_PRIVATE int64_t da__mpa_packet_samples(const uint8_t *p, int n);
/* The Xing/Info tag of the layer III frame at p[0..size) with a LAME (or Lavf/Lavc) tag: its
 * frame count, the encoder delay and padding, and samples per frame; -1 without them. */
DA_PRIVATE int da__mpa_lame_tag(const uint8_t *p, int size, int64_t *frames, int *delay,
                                int *padding, int *frame_samples);

/* ---- avio.c: the I/O under a demuxer ---- */

/* How an input is read: FFmpeg's own protocols (pb NULL) or memory and callbacks. */
typedef struct da_io {
    const da_source *src;
    AVIOContext *pb;          /* custom I/O context, or NULL when FFmpeg opened a URL */
    int64_t mem_pos;          /* DA_SOURCE_MEMORY read position */
    int callback_failed;      /* a caller's callback returned an error */
    /* The first bytes of a non-seekable source, kept for what the demuxer cannot go back
     * for (an MP3's LAME tag). */
    uint8_t *head;
    int head_size;
} da_io;

/* 0 when `src` is complete for its kind, else DA_ERR_ARGUMENT. */
DA_PRIVATE int da__source_check(const da_source *src);
/* How messages name the source: its name, path, "<bytes>" or "<file-like>". */
DA_PRIVATE void da__source_name(const da_source *src, char *out, size_t out_size);
/* Prepares what avformat_open_input() takes for `src`: *url (freed by the caller), the format
 * whitelist on `fmt` (with the demuxer `named`, if any), the caller's format options and the
 * protocol whitelist in *options, and for memory and callbacks the custom I/O on `fmt`. */
DA_PRIVATE int da__io_prepare(da_io *io, const da_source *src, const da_open_options *opt,
                              const AVInputFormat *named, AVFormatContext *fmt,
                              AVDictionary **options, char **url);
DA_PRIVATE void da__io_close(da_io *io);
/* Reads up to `len` bytes at `pos` of a seekable `pb` (a demuxer's, mid-read) and goes back
 * to where it was: the bytes read (0 when `pb` cannot seek or has nothing there), or
 * AVERROR(EIO) when it cannot go back. */
DA_PRIVATE int da__io_read_at(AVIOContext *pb, int64_t pos, uint8_t *buf, int len);

/* ---- pcm.c: plain PCM WAV without libavformat ---- */

/* Returned by da__pcm_decode when the input or the options are not its to decode. */
#define DA_PCM_UNHANDLED 1
/* Decodes a plain PCM WAV (path or memory) as da_decode() would, when that is certain to give
 * the general path's bytes: 0 with *out set, DA_PCM_UNHANDLED, or a negative error code. */
DA_PRIVATE int da__pcm_decode(const da_source *src, const da_decode_options *opt,
                              da_audio **out, char *err, size_t err_size);

/* ---- mp3.c: plain MP3 files without libavformat ---- */

/* Decodes a plain MP3 file as da_decode() would, when that is certain to give the general
 * path's bytes: 0 with *out set, DA_PCM_UNHANDLED, or a negative error code. */
DA_PRIVATE int da__mp3_decode(const da_source *src, const da_decode_options *opt,
                              da_audio **out, char *err, size_t err_size);

/* Setting this environment variable to "0" turns the fast paths of pcm.c, mp3.c and sniff.c
 * off. */
#define DA_ENV_FAST_PATHS "DECODE_AUDIO_FAST_PATHS"
/* Setting this one to "1" lets converge.c verify the windows of a class known to fool
 * verification (Opus with SILK), for the test that shows it. */
#define DA_ENV_CONVERGE_ALL "DECODE_AUDIO_CONVERGE_ALL"

/* ---- sniff.c: the demuxer of a path whose extension and first bytes agree ---- */

/* The demuxer libavformat's probe would pick for `src`, when its extension and first bytes
 * make that certain (MP3, WAV, FLAC, Ogg, MP4/M4A); NULL: probe. For an MP3, *mpa_header
 * (when not NULL) gets its first frame's header. */
DA_PRIVATE const AVInputFormat *da__sniff_format(const da_source *src, uint32_t *mpa_header);
/* ---- input.c: an opened input ---- */

/* An opened input with its decoder, ready to produce frames. Freed by da__input_close(). */
typedef struct da_input {
    AVFormatContext *fmt;
    da_io io;
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
    int64_t entry_pts;        /* timestamp of the first packet sent since the input was last
                                 positioned (da__window_enter, da__input_rewind); NOPTS: none */
    int64_t silk_packets;     /* Opus packets with a SILK layer sent to the decoder (TOC
                                 configurations 0-15; counted for converge.c) */
    int stream_info_skipped;  /* no stream info was read: the MP3 frame header or FLAC
                                 STREAMINFO (through the decoder) has what decoding needs */
    /* Ogg with one logical stream (input.c, when it opens) */
    int ogg_single_page;      /* its first audio page ends it: FFmpeg 5.1 times those packets
                                 one block late and trims the end by that much too far */
    int64_t ogg_end;          /* that page's granule position: where the stream ends */
    int ogg_unplaced;         /* timestamps do not place samples: the first granule is not
                                 where FFmpeg starts counting, or another link follows
                                 (or may: the input cannot seek to its end) */
    /* MPEG audio (MP1/MP2/MP3): the packets' timestamps restated as where a full decode puts
     * their samples (da__read_packet), which they miss where the decoder rejects a packet
     * (garbage between frames) or the LAME padding is cut mid-stream */
    int mpa;                  /* the stream is MPEG audio */
    int64_t mpa_count;        /* frames the packets read so far decode to; -1: unknown (after
                                 a seek) */
    int64_t mpa_skip;         /* start skip the decoder still has to apply */
    int64_t mpa_first_discard; /* a non-seekable MP3's LAME padding, marked as FFmpeg marks it */
    int64_t mpa_last_discard; /* when it can seek: samples [first, last) are dropped; 0: none */
    char name[256];           /* how messages name the source */
} da_input;

/* Opens `src`, finds the audio stream and opens its decoder. */
DA_PRIVATE int da__input_open(const da_source *src, const da_open_options *opt,
                              da_input **out, char *err, size_t err_size);
DA_PRIVATE void da__input_close(da_input **in);
/* Returns the next decoded frame in `frame` (0), AVERROR_EOF once the decoder is drained,
 * or another negative code on failure. Skips packets the decoder rejects, counting them
 * (unless in->fail_on_error), and packets that end before `discard_until`. */
DA_PRIVATE int da__next_frame(da_input *in, AVFrame *frame);
/* Reads the next packet of any stream into in->pkt, as av_read_frame(); a packet of MPEG
 * audio gets the end padding marks FFmpeg sets only on seekable input, and a timestamp that
 * places its samples where a full decode puts them (the in->mpa_* fields). */
DA_PRIVATE int da__read_packet(da_input *in);
/* The skip-samples marks of a packet: 1 with the priming to drop at its start (never
 * negative) in *skip and the padding to drop at its end in *pad; 0, leaving both, without. */
DA_PRIVATE int da__packet_marks(const AVPacket *pkt, int64_t *skip, int64_t *pad);
/* What of a packet's `frames` the decoder keeps, applying the marks as libavcodec's
 * discard_samples does: the skip at the start runs on across packets until used up (*skip
 * keeps what is left), and the end padding counts only when not longer than what is left. */
DA_PRIVATE int64_t da__kept_frames(int64_t frames, int64_t *skip, int64_t pad);
/* Goes back to the stream's first packet, decoding everything again. */
DA_PRIVATE int da__input_rewind(da_input *in);
/* Nonzero for FFmpeg's PCM codecs ("pcm_*"). */
DA_PRIVATE int da__codec_is_pcm(enum AVCodecID id);
/* What DA_DTYPE_AUTO decodes the input to (da__native_dtype). */
DA_PRIVATE int da__input_native_dtype(const da_input *in);
/* Whether an AAC packet p[0..n) may decode to nothing: its raw data block (after the ADTS
 * header, where the stream has no extradata) does not start with an audio element (SCE, CPE
 * or LFE), as a frame holding only a fill or program config element does, or an ADTS frame
 * holds several blocks. */
DA_PRIVATE int da__aac_maybe_silent(const da_input *in, const uint8_t *p, int n);
/* The largest packet da__mov_aac_next_quiet reads: a frame holding no audio element is a few
 * bytes. */
#define DA_QUIET_MAX 64
/* An MP4's AAC: the next index entry from *i on, with a timestamp before `before`, whose
 * packet (of at most DA_QUIET_MAX bytes) may decode to nothing (da__aac_maybe_silent): 1 with
 * its bytes in buf (DA_QUIET_MAX bytes and the input padding) and their count in *size, *i
 * set past it; 0 when there is none; AVERROR(ESPIPE) when the input cannot seek to read one,
 * another negative code on failure. The read position moves (the MP4 demuxer seeks to each
 * packet it reads). */
DA_PRIVATE int da__mov_aac_next_quiet(da_input *in, int64_t *i, int64_t before, uint8_t *buf,
                                      int *size);
/* Nonzero when the demuxer is MP4/MOV's. */
DA_PRIVATE int da__input_is_mov(const da_input *in);
/* Frames a full decode ends at, where the container says so more exactly than the decoder
 * (MP4's declared duration leaves out AAC's end padding; an Ogg Vorbis or FLAC stream's last
 * granule position); -1 otherwise. */
DA_PRIVATE int64_t da__stream_end(const da_input *in);
/* Whether the stream's timestamps count whole samples (1/rate or a finer multiple of it), so
 * durations and positions convert to sample counts without rounding. Matroska's
 * milliseconds and MPEG's 90 kHz do not. */
DA_PRIVATE int da__input_counts_samples(const da_input *in);
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
/* Builds `*graph` as "<source>(source_args) -> desc -> <sink>" (filter names "in" and "out")
 * and configures it; the caller frees the graph, also on failure. */
DA_PRIVATE int da__graph_open(AVFilterGraph **graph, const char *source, const char *source_args,
                              const char *sink, const char *desc, AVFilterContext **source_ctx,
                              AVFilterContext **sink_ctx);
/* What a drain does with each frame a graph hands out: 0 goes on, a positive value stops
 * (without error), a negative one fails. The frame is unreferenced after. */
typedef int (*da_take_fn)(void *ctx, AVFrame *frame);
/* Hands every frame the graph ending in `buffersink` has ready to take(ctx, frame), until
 * the graph needs more input or has ended (0), or take stops it. */
DA_PRIVATE int da__graph_drain(AVFilterContext *buffersink, AVFrame *frame, da_take_fn take,
                               void *ctx);
/* The same for a graph of da__filter_open. */
DA_PRIVATE int da__filter_drain(da_filter *f, AVFrame *frame, da_take_fn take, void *ctx);
DA_PRIVATE void da__filter_close(da_filter **f);

/* ---- sink.c: where decoded frames go ---- */

/* Decoded frames windowed, converted and resampled into one buffer. Input frames are placed
 * by index (samples since the stream's first decoded sample): by a running count when
 * decoding from the start, by their timestamps after a seek or skip. */
typedef struct da_sink {
    da_audio *audio;
    int64_t used;             /* frames written */
    int64_t limit;            /* frames wanted at most; -1: all */
    int64_t out_skip;         /* output frames still to drop (resampled windows) */
    int64_t in_start;         /* first input index kept */
    int64_t in_end;           /* input index where the stream ends; -1: where decoding does */
    int64_t next_idx;         /* index of the next input frame when it carries no timestamp */
    int use_pts;              /* place the first frames by timestamp (after a seek or skip) */
    int need_pair;            /* ...and only once two frames' timestamps agree */
    int anchored;             /* a frame was placed; the running count takes over */
    int64_t prev_end;         /* index after the last unplaced frame; -1: none yet */
    int64_t origin;           /* timestamp of index 0, in input samples */
    AVRational time_base;     /* of frame timestamps */
    int in_rate;
    int dtype;                /* of the output */
    int num_channels;         /* of the output */
    int planar;               /* channels-first output */
    int out_rate;
    AVChannelLayout out_layout;
    enum AVSampleFormat out_fmt;
    int convert_only;         /* same rate and channels: plain loops, no resampler */
    const char *swr_options;  /* the caller's resampler options, or NULL */
    SwrContext *swr;
    da_filter *filter;        /* the caller's filter graph; its output is what is windowed */
    AVFrame *filtered;        /* what the graph hands out */
    int64_t filter_pts;       /* frames fed to the graph */
    /* the input the resampler was set up for */
    enum AVSampleFormat swr_fmt;
    int swr_rate;
    AVChannelLayout swr_layout;
} da_sink;

/* Returned by da__sink_frame when the first frame after a seek started after the window: the
 * index misled the demuxer. */
#define DA_LANDED_LATE 1

/* Sets the sink up for `in` as `opt` says (output type, rate, layout, filter graph, limit),
 * everything but its output buffer. */
DA_PRIVATE int da__sink_init(da_sink *s, const da_input *in, const da_decode_options *opt,
                             char *err, size_t err_size);
/* Frames the sink may still take (INT64_MAX: no limit). */
DA_PRIVATE int64_t da__sink_room(const da_sink *s);
/* Writes the part of `frame` inside the window: 0, DA_LANDED_LATE, or a negative code. */
DA_PRIVATE int da__sink_frame(da_sink *s, const AVFrame *frame);
/* At the end of the input: flushes the filter graph or resampler into the output. */
DA_PRIVATE int da__sink_flush(da_sink *s);
DA_PRIVATE void da__sink_uninit(da_sink *s);

/* ---- window.c: how a window is entered ---- */

/* How a window starts: decode from the start, seek, or skip packets without decoding them. */
enum { DA_ENTER_FROM_START, DA_ENTER_SEEK, DA_ENTER_SKIP, DA_ENTER_SEEK_SKIP, DA_ENTER_SEEK_KEEP };
/* DA_ENTER_SEEK_SKIP seeks, then skips the packets that end before the preroll, so decoding
 * starts on the packet that holds its first frame wherever the seek landed (an Ogg page may
 * start long before). DA_ENTER_SEEK_KEEP does the same without flushing the decoder, which
 * keeps the state its last decoding left (converge.c). */

/* Nonzero when a window's arguments make sense (offset >= 0, count >= -1). */
DA_PRIVATE int da__window_valid(int64_t frame_offset, int64_t num_frames);
/* How to enter a window of `in` (DA_ENTER_*) and the codec's preroll, in input frames;
 * `exact_window`: the window must equal the same frames of a full decode. */
DA_PRIVATE int da__window_policy(const da_input *in, int exact_window, int64_t *preroll);
/* Sets where the sink starts keeping input and output for a window entered by `mode`;
 * returns the input index the demuxer must reach (before the codec's preroll). */
DA_PRIVATE int64_t da__window_plan(da_sink *s, int mode, int64_t preroll,
                                   int64_t frame_offset);
/* The first preroll, in input frames, of an exact window whose codec is entered by verified
 * convergence (converge.c): Opus and AAC in a seekable Ogg or MP4 whose timestamps count
 * samples, when decoding the window a few times costs less than decoding from the start
 * (`remaining`: output frames from the window's start to its end, -1 when unknown); else 0. */
DA_PRIVATE int64_t da__window_converge_preroll(da_input *in, const da_sink *s,
                                               int64_t frame_offset, int64_t remaining);
/* Positions the input so the decoder's first frame starts at or before index `target`. */
DA_PRIVATE int da__window_enter(da_input *in, int mode, int64_t target, int64_t preroll,
                                int64_t origin);

/* ---- job.c: the one decode loop ---- */

/* One decoding of one input: the sink and where the input stands. Resumable, so the same
 * loop serves a whole decode and a chunked reader. */
typedef struct da_job {
    da_sink s;
    da_input *in;
    AVFrame *frame;
    int mode;                 /* how the window is entered (DA_ENTER_*) */
    int64_t preroll;
    int64_t frame_offset;
    int entered;              /* the window was planned and entered */
    int ended;                /* the input is finished and the sink flushed */
    int64_t converge;         /* > 0: the window is found by verified convergence from this
                                 preroll (da__job_converge) */
    int64_t converged_preroll; /* what da_audio.converged_preroll reports */
    /* Where a rewind that fails opens the input again (a path or memory, alive while the job
     * runs; NULL: the rewind's error is the pump's). Set by whole decodes, not the reader. */
    const da_source *reopen_src;
    const da_decode_options *reopen_opt;
} da_job;

/* 0 when `opt` makes sense, else DA_ERR_ARGUMENT (no message). */
DA_PRIVATE int da__decode_options_check(const da_decode_options *opt);
/* Opens the input and sets the sink up as `opt` says (everything but its output buffer). */
DA_PRIVATE int da__job_open(da_job *j, const da_source *src, const da_decode_options *opt,
                            char *err, size_t err_size);
/* Decodes until the sink holds `want` frames or its window is full, or the input ends (then
 * the sink is flushed and j->ended set). The first call enters the window; a seek or skip
 * that cannot place it falls back to decoding from the start. */
DA_PRIVATE int da__job_pump(da_job *j, int64_t want);
/* A new output buffer for the job, sized for `frames` (capped: headers can claim anything). */
DA_PRIVATE int da__job_alloc(da_job *j, int64_t frames, da_audio **out);
/* Writes the message for a failed pump (naming the packet, with on_error raise). */
DA_PRIVATE int da__job_fail(da_job *j, int ret, int64_t capacity, char *err, size_t err_size);
DA_PRIVATE void da__job_close(da_job *j);
/* Frames a full decode at `out_rate` will probably give (the header's duration), or -1 when
 * unknown; *certain says whether it is exact. */
DA_PRIVATE int64_t da__estimate_frames(const da_input *in, int out_rate, int *certain);
/* da_decode() on the calling thread. */
DA_PRIVATE int da__decode_one(const da_source *src, const da_decode_options *opt,
                              da_audio **out, char *err, size_t err_size);

/* ---- converge.c: exact windows by verified convergence ---- */

/* Decodes the job's exact window (not entered yet) into its sink's buffer after `preroll`
 * input frames and after twice that, doubling until two decodes that began on different
 * packets agree bit for bit, or past a limit from the start (with `src` and `opt` opened
 * again: j->in may be replaced). Sets j->converged_preroll. */
DA_PRIVATE int da__job_converge(da_job *j, int64_t preroll, const da_source *src,
                                const da_decode_options *opt, char *err, size_t err_size);

/* ---- writer.c: the writer core; audio.c and video.c: its streams ---- */

/* What a kind of stream does for the writer core. */
typedef struct da_stream_ops {
    const char *kind;         /* "an audio", "a video": how messages name a stream of it */
    /* Feeds what the stream still holds to stream `index`'s encoder (before its flush). */
    int (*drain)(da_writer *w, int index, void *state);
    void (*free)(void *state);
} da_stream_ops;

/* The settings every encoder of the writer takes from the caller. */
typedef struct da_encoder_settings {
    int64_t bit_rate;         /* 0: the encoder's default */
    int compression_level;    /* -1: the encoder's default */
    double quality;           /* fixed or variable quality; < -1e9: unset */
    const char *const *options;
} da_encoder_settings;

/* 0 when `w` can take another stream; otherwise fails with the reason. */
DA_PRIVATE int da__writer_can_add(da_writer *w, char *err, size_t err_size);
/* The writer's muxer context and the name messages give the destination. */
DA_PRIVATE AVFormatContext *da__writer_context(da_writer *w);
DA_PRIVATE const char *da__writer_name(const da_writer *w);
/* Sets what every encoder of the writer shares (the settings, bit-exact output, one thread,
 * a global header where the muxer wants one) and opens `enc`, failing on any option it does
 * not know; messages start "<what> '<destination>'". */
DA_PRIVATE int da__writer_open_encoder(da_writer *w, AVCodecContext *enc, const AVCodec *codec,
                                       const da_encoder_settings *settings, const char *what,
                                       char *err, size_t err_size);
/* Adds a stream for the opened encoder `*enc`, with `ops` and its `*state`; the writer owns
 * both from then on (they are freed on failure too) and the pointers are set to NULL. */
DA_PRIVATE int da__writer_add_stream(da_writer *w, AVCodecContext **enc,
                                     const da_stream_ops *ops, void **state, int *stream_index,
                                     char *err, size_t err_size);
/* Stream `i`'s state, when it is a stream of `ops` and frames may be written to it;
 * otherwise NULL with the reason in err ("<what> '<destination>': ..."). */
DA_PRIVATE void *da__writer_stream(da_writer *w, int i, const da_stream_ops *ops,
                                   const char *what, char *err, size_t err_size);
/* Sends `frame` (NULL: drain) to stream `i`'s encoder and muxes what comes out. */
DA_PRIVATE int da__writer_encode(da_writer *w, int i, AVFrame *frame);
/* Like da__fail, naming the destination, and reporting a failed write callback as such. */
DA_PRIVATE int da__writer_fail(da_writer *w, int code, char *err, size_t err_size,
                               const char *what);
/* What an encoder takes, as its AVCodec lists it (through compat.h); NULL where it does not
 * say (anything). The lists belong to FFmpeg and live as long as the process. */
DA_PRIVATE const enum AVSampleFormat *da__encoder_sample_fmts(const AVCodec *codec);
DA_PRIVATE const int *da__encoder_sample_rates(const AVCodec *codec);
DA_PRIVATE const AVChannelLayout *da__encoder_ch_layouts(const AVCodec *codec);
DA_PRIVATE const enum AVPixelFormat *da__encoder_pix_fmts(const AVCodec *codec);
DA_PRIVATE const AVRational *da__encoder_frame_rates(const AVCodec *codec);

#endif /* DA_INTERNAL_H */
