/*
 * decode_audio.h - the C API of libdecode_audio.
 *
 * libdecode_audio decodes any audio FFmpeg can read into one plain buffer owned by the
 * library, in the sample type and layout the caller asked for, ready to be shared without a
 * copy with NumPy, torch or any DLPack consumer.
 *
 * Example (error handling shortened):
 *
 *     da_source src = {0};
 *     src.kind = DA_SOURCE_PATH;
 *     src.path = "speech.flac";
 *     da_decode_options opt;
 *     da_decode_options_init(&opt);          // float32, native rate and channels
 *     da_audio *audio = NULL;
 *     char err[DA_ERROR_SIZE];
 *     if (da_decode(&src, &opt, &audio, err, sizeof err) < 0) { puts(err); return 1; }
 *     // audio->data holds audio->num_frames x audio->num_channels float32 samples
 *     da_audio_release(&audio);
 *
 * Definitions. A *frame* is one sample for every channel; a *packet* or *codec frame* is the
 * compressed unit a demuxer returns. Interleaved output is (frames, channels) in C order;
 * channels-first output is (channels, frames) in C order.
 *
 * Conventions.
 * - Every function that can fail returns 0 on success or a negative error code: an FFmpeg
 *   AVERROR value (AVERROR(ENOENT), AVERROR_INVALIDDATA, ...) or one of DA_ERR_* below.
 *   On failure it writes "what failed: why" into the caller's `err` buffer (when not NULL).
 * - Out-pointers are cleared on entry, so they are NULL/zero after a failure.
 * - Functions that free take a pointer to the pointer and set it to NULL; they accept NULL.
 * - Whatever the library allocates, only the library frees; each declaration says how.
 * - Every function is safe to call from several threads at once on different objects.
 *   FFmpeg's log is routed once, at first use, into a per-thread "last message" buffer that
 *   error messages quote; nothing process-global changes per call.
 */
#ifndef DECODE_AUDIO_H
#define DECODE_AUDIO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(DA_BUILDING_LIBRARY)
#  define DA_API __attribute__((visibility("default")))
#else
#  define DA_API
#endif

/* Size of an error buffer that always holds a whole message. */
#define DA_ERROR_SIZE 1024

/* Error codes of our own; everything else is an FFmpeg AVERROR value. */
#define DA_ERR_ARGUMENT   (-0x44410001) /* an argument is out of range or inconsistent */
#define DA_ERR_NO_AUDIO   (-0x44410002) /* the input has no audio stream */
#define DA_ERR_TOO_SMALL  (-0x44410003) /* a caller's output buffer cannot hold the result */
#define DA_ERR_CALLBACK   (-0x44410004) /* a caller's read/seek callback reported failure */

/* Output sample types. Integer types use FFmpeg's scaling (int16 full scale is 32767,
 * uint8 is offset by 128); float types are in [-1, 1]. */
typedef enum da_dtype {
    DA_DTYPE_UINT8 = 0,
    DA_DTYPE_INT8 = 1,
    DA_DTYPE_INT16 = 2,
    DA_DTYPE_INT32 = 3,
    DA_DTYPE_FLOAT32 = 4,
    DA_DTYPE_FLOAT64 = 5,
    /* For decoding only: the integer type of integer PCM (uint8, int16, or int32 for 24 and
     * 32 bits), float32 for everything else; torchaudio's load(normalize=False). */
    DA_DTYPE_AUTO = -1,
} da_dtype;

/* Where the compressed bytes come from. */
typedef enum da_source_kind {
    DA_SOURCE_PATH = 0,      /* a local file path, opened through FFmpeg's file protocol only */
    DA_SOURCE_URL = 1,       /* a URL; only the protocols of its scheme are allowed by default */
    DA_SOURCE_MEMORY = 2,    /* the caller's bytes, read in place */
    DA_SOURCE_CALLBACKS = 3, /* the caller's read (and optional seek) functions */
} da_source_kind;

/* Read up to `size` bytes into `buf`; return the count (> 0), 0 at end of input, or a
 * negative value on failure (the decode then fails with DA_ERR_CALLBACK). */
typedef int64_t (*da_read_fn)(void *opaque, uint8_t *buf, int64_t size);
/* Seek like lseek (whence 0, 1, 2) and return the new position; whence 0x10000 (AVSEEK_SIZE)
 * asks for the total size. Return a negative value when not possible. */
typedef int64_t (*da_seek_fn)(void *opaque, int64_t offset, int whence);

/* An input. Nothing here is owned by the library; it must stay valid for the call. */
typedef struct da_source {
    int32_t kind;          /* da_source_kind */
    int32_t seekable;      /* DA_SOURCE_CALLBACKS: nonzero when `seek` may be used */
    const char *path;      /* DA_SOURCE_PATH, DA_SOURCE_URL */
    const uint8_t *data;   /* DA_SOURCE_MEMORY */
    int64_t size;          /* DA_SOURCE_MEMORY: byte count */
    void *opaque;          /* DA_SOURCE_CALLBACKS: passed to read and seek */
    da_read_fn read;       /* DA_SOURCE_CALLBACKS */
    da_seek_fn seek;       /* DA_SOURCE_CALLBACKS, may be NULL */
    const char *name;      /* how error messages name the source; NULL: path or "<memory>" */
} da_source;

/* How to open an input; shared by probing and decoding. Zero means "default" throughout. */
typedef struct da_open_options {
    const char *format;     /* demuxer name, skipping probing; NULL: probe */
    const char *protocols;  /* protocol whitelist replacing the default for the source kind */
    const char *formats;    /* demuxer whitelist replacing the default list of audio demuxers;
                               "*" allows every demuxer */
    int32_t buffer_size;    /* I/O buffer size for memory and callback sources; 0: 65536 */
    int32_t stream_index;   /* the stream to use, as FFmpeg counts them; -1: best audio stream */
    const char *decoder;    /* FFmpeg decoder name ("mp3" rather than "mp3float"); NULL: the
                               default for the stream's codec */
    /* Decoder options as NULL-terminated alternating keys and values; may be NULL. */
    const char *const *decoder_options;
    /* Demuxer and protocol options, likewise (e.g. "probesize", "user_agent"); may be NULL. */
    const char *const *format_options;
} da_open_options;

/* Decoding options. Initialise with da_decode_options_init(), then change what you need. */
typedef struct da_decode_options {
    da_open_options open;
    int32_t dtype;          /* da_dtype; default DA_DTYPE_FLOAT32 */
    int32_t sample_rate;    /* output rate; 0: the stream's */
    int32_t num_channels;   /* output channel count; 0: the stream's */
    int32_t channels_first; /* nonzero: (channels, frames) output, else (frames, channels) */
    /* The window [frame_offset, frame_offset + num_frames) in output frames (after
     * resampling). It equals the same frames of a full decode bit for bit: the input is
     * seeked (or its packets skipped unread by the decoder) only where the codec allows that
     * exactly or where two decodes from different prerolls agree bit for bit (AAC, Opus in
     * seekable MP4 and Ogg), and decoded from the start otherwise. Reading stops once the
     * window is full. */
    int64_t frame_offset;
    int64_t num_frames;     /* -1: to the end */
    /* Nonzero (the default): windows are exact. Zero: codecs that cannot be entered exactly
     * mid-stream (AAC, Opus, ...) are entered after a preroll that lets the decoder converge,
     * which is fast but may differ from a full decode by a small amount. */
    int32_t exact;
    /* Decode into the caller's memory instead of allocating: `out_data` must hold
     * `out_capacity` frames of `out_channels` channels of the output type, in the output
     * layout (channels-first output uses `out_capacity` as the row length). NULL: allocate.
     * A result larger than out_capacity fails with DA_ERR_TOO_SMALL. */
    int32_t out_channels;
    void *out_data;
    int64_t out_capacity;
    /* An FFmpeg audio filter graph applied to the decoded audio ("atempo=1.5,highpass=f=200");
     * NULL: none. sample_rate and num_channels, when given, apply to its output; the window
     * counts its output frames (the input is then decoded from the start). */
    const char *filter_desc;
    /* libswresample options for resampling, "key=value:key=value" ("filter_size=64:
     * phase_shift=14", "resampler=soxr:precision=28"); NULL: FFmpeg's defaults, which equal
     * `ffmpeg -ar`. With options, resampled windows are decoded from the start. */
    const char *resampler_options;
    /* What a packet the decoder rejects does: DA_ON_ERROR_SKIP (the default) skips it and
     * counts it in da_audio.decode_errors, as the ffmpeg CLI does; DA_ON_ERROR_RAISE fails. */
    int32_t on_error;
    /* Threads to decode on. 1 (the default): the calling thread. N > 1: a local file or
     * memory whose codec enters exact windows without decoding from the start (PCM, FLAC,
     * MP3, Vorbis, WavPack, TTA; see da_decode) and whose output length is known without
     * decoding is split into N contiguous windows, each decoded on its own thread with its
     * own demuxer and decoder straight into its part of the one output buffer; the result
     * equals the one-thread decode bit for bit. Opus and AAC-LC in seekable Ogg or MP4, not
     * resampled, split too: the first window is decoded from the start and given twice the
     * others' length, the others are found by verified convergence (see frame_offset).
     * Anything else is decoded on the calling thread. 0 ("auto"): as many threads as the
     * process may run on, at most one per 30 s of output, and neither plain PCM WAV (read
     * natively on one thread) nor Opus and AAC (whose split costs more CPU) are split. */
    int32_t num_threads;
} da_decode_options;

/* Decoded audio. Created by da_decode(); released by da_audio_release(). */
typedef struct da_audio {
    void *data;             /* the samples; owned by this struct unless it was the caller's */
    int64_t num_frames;
    int32_t num_channels;
    int32_t sample_rate;
    int32_t dtype;          /* da_dtype */
    int32_t itemsize;       /* bytes per sample */
    int32_t channels_first; /* nonzero: data is (channels, frames) */
    int32_t owns_data;      /* zero when data is the caller's out_data */
    int64_t decode_errors;  /* packets the decoder rejected and skipped */
    /* How an exact Opus or AAC window was found: > 0, by two decodes that agreed bit for bit,
     * the longer after this many input frames of preroll; -1, decoded from the start after
     * they did not (or a seek could not place it); 0, not by convergence (not tried, or the
     * preroll reached the start). A split decode (num_threads): the longest of its windows'
     * parts, or -1 when one of them was decoded from the start. */
    int64_t converged_preroll;
    int32_t num_threads;    /* threads da_decode() split the output among (1: it did not) */
} da_audio;

/* What probing found. Filled by da_probe(); release with da_info_clear(). */
typedef struct da_info {
    int32_t sample_rate;
    int32_t num_channels;
    int32_t bits_per_sample;  /* coded depth of PCM and lossless codecs; 0 for lossy ones */
    int32_t stream_index;     /* the stream described, as FFmpeg counts them */
    int64_t num_frames;       /* frames decode() returns (an estimate unless num_frames_exact) */
    int32_t num_frames_exact; /* nonzero when num_frames is what a full decode returns */
    int32_t num_streams;      /* streams in the container, of any type */
    double duration;          /* seconds; num_frames / sample_rate when exact */
    int64_t bit_rate;         /* bits per second; 0 when unknown */
    char codec[32];           /* FFmpeg decoder name, e.g. "mp3float" is reported as "mp3" */
    char codec_long[128];     /* FFmpeg's long codec name */
    char container[64];       /* FFmpeg demuxer name, e.g. "wav", "mov,mp4,m4a,3gp,3g2,mj2" */
    char encoding[16];        /* "PCM_S", "FLAC", "MP3", ... (torchaudio's names) */
    char sample_format[16];   /* the decoder's native sample format, e.g. "s16", "fltp" */
    /* Tags of the container and the stream, as "key\0value\0" pairs, `tags_size` bytes in all.
     * Owned by this struct; freed by da_info_clear(). */
    char *tags;
    int64_t tags_size;
} da_info;

/* Library and FFmpeg versions, each as AV_VERSION_INT (major << 16 | minor << 8 | micro). */
typedef struct da_versions {
    uint32_t decode_audio;
    uint32_t avutil;
    uint32_t avcodec;
    uint32_t avformat;
    uint32_t avfilter;
    uint32_t swresample;
    char ffmpeg[64];          /* FFmpeg's version string, e.g. "5.1.6-0+deb12u1" */
} da_versions;

/* Fills `opt` with the defaults: float32, native rate and channels, interleaved, whole input,
 * best audio stream, probing, default whitelists. */
DA_API int da_decode_options_init(da_decode_options *opt);

/* Probes `src` and describes its audio stream. With `count_exactly` nonzero, num_frames is
 * made exact (reading packets, or decoding as a last resort, where the header only estimates
 * it). */
DA_API int da_probe(const da_source *src, const da_open_options *opt, int count_exactly,
                    da_info *info, char *err, size_t err_size);

/* Frees what da_probe() allocated inside `info` and zeroes it. Accepts a zeroed struct. */
DA_API void da_info_clear(da_info *info);

/* Decodes `src` as `opt` says into a new da_audio, stored in *out.
 * Release it with da_audio_release().
 * With opt->num_threads other than 1, the output is split into windows decoded on threads
 * where that gives the same result (see da_decode_options.num_threads): a filter graph,
 * resampler options, callbacks or URLs as the source, a codec that cannot be entered exactly
 * mid-stream (AC-3, WMA, ...), resampled Opus and AAC or an output length only decoding can
 * tell keep one thread. A window that fails or skips a damaged packet stops the others, and
 * the input is decoded again on the calling thread, so errors and skipped packets are those
 * of one thread. */
DA_API int da_decode(const da_source *src, const da_decode_options *opt, da_audio **out,
                     char *err, size_t err_size);

/* A decoding delivered in chunks, for long inputs in bounded memory. Created by
 * da_reader_open(); freed by da_reader_free(). */
typedef struct da_reader da_reader;

/* Opens `src` for chunked decoding with `opt` (out_data must be NULL). Concatenated chunks
 * equal what da_decode() returns with the same options, bit for bit. */
DA_API int da_reader_open(const da_source *src, const da_decode_options *opt, da_reader **out,
                          char *err, size_t err_size);

/* Decodes the next `num_frames` frames (fewer only at the end) into a new da_audio, freed by
 * da_audio_release(); after the end, chunks have 0 frames. */
DA_API int da_reader_read(da_reader *r, int64_t num_frames, da_audio **chunk, char *err,
                          size_t err_size);

/* Frees the reader and closes its input. Accepts NULL. */
DA_API void da_reader_free(da_reader **r);

/* Drops one reference to `*audio` and sets *audio to NULL; the samples and the struct are
 * freed when the last reference goes (DLPack exports hold their own). Accepts NULL. */
DA_API void da_audio_release(da_audio **audio);

/* Exports `audio` as a DLPack tensor of two dimensions, shaped as the audio's layout.
 * `versioned` nonzero: *managed is a DLManagedTensorVersioned (DLPack 1.0), otherwise a
 * legacy DLManagedTensor. The export holds a reference to `audio`; it is released by the
 * tensor's deleter, which the consumer (or da_dlpack_release) calls exactly once. */
DA_API int da_audio_to_dlpack(da_audio *audio, int versioned, void **managed,
                              char *err, size_t err_size);

/* Calls the deleter of a DLPack tensor made by da_audio_to_dlpack() that was never consumed. */
DA_API void da_dlpack_release(void *managed, int versioned);

/* Number of da_audio buffers alive in this process (for leak tests). */
DA_API int da_live_buffers(int64_t *count);

/* A new da_audio shaped as `like` says (dtype, num_frames, num_channels, sample_rate,
 * channels_first, decode_errors; its data and the other fields are ignored), holding a copy of
 * the num_frames * num_channels samples at `data` (C-contiguous in that layout), or zeros
 * when `data` is NULL. Stored in *out; freed by da_audio_release(). For rebuilding a decoded
 * buffer elsewhere, e.g. one that crossed a process boundary. */
DA_API int da_audio_new(const da_audio *like, const void *data, da_audio **out, char *err,
                        size_t err_size);

/* ---- DLPack capsules for Python ----
 * A Python capsule holding a tensor of da_audio_to_dlpack() is freed by
 * da_dlpack_capsule_destructor(), a plain C function, so an unconsumed capsule is freed
 * without running Python code. It reaches the capsule through CPython's PyCapsule_IsValid and
 * PyCapsule_GetPointer, whose addresses the binding passes once; until then it frees
 * nothing. */
DA_API int da_dlpack_set_capsule_api(int (*is_valid)(void *capsule, const char *name),
                                     void *(*get_pointer)(void *capsule, const char *name));

/* A PyCapsule destructor: frees the tensor of a capsule named "dltensor" or
 * "dltensor_versioned"; a consumer renames the capsule it takes ("used_dltensor"), which is then
 * left alone. Called by Python with the GIL held. */
DA_API void da_dlpack_capsule_destructor(void *capsule);

/* ---- Encoding and muxing ---- */

/* Write `size` bytes; return the count written (== size), or a negative value on failure. */
typedef int64_t (*da_write_fn)(void *opaque, const uint8_t *buf, int64_t size);

/* A destination. Nothing here is owned by the library; it must outlive the writer. */
typedef struct da_output {
    int32_t kind;          /* DA_SOURCE_PATH, DA_SOURCE_URL or DA_SOURCE_CALLBACKS */
    int32_t seekable;      /* DA_SOURCE_CALLBACKS: nonzero when `seek` may be used */
    const char *path;      /* DA_SOURCE_PATH, DA_SOURCE_URL */
    void *opaque;          /* DA_SOURCE_CALLBACKS: passed to write and seek */
    da_write_fn write;     /* DA_SOURCE_CALLBACKS */
    da_seek_fn seek;       /* DA_SOURCE_CALLBACKS, may be NULL */
    const char *name;      /* how error messages name the destination */
} da_output;

/* An audio stream to encode. Zero means "default" throughout. */
typedef struct da_audio_stream_options {
    int32_t sample_rate;          /* of the samples written */
    int32_t num_channels;         /* of the samples written */
    int32_t dtype;                /* da_dtype of the samples written */
    int32_t encoder_sample_rate;  /* 0: sample_rate, or the supported rate nearest to it */
    int32_t encoder_num_channels; /* 0: num_channels */
    int32_t compression_level;    /* -1: the encoder's default */
    int32_t bits_per_raw_sample;  /* 0: the encoder's default (FLAC 24-bit: 24) */
    int32_t reserved;
    int64_t bit_rate;             /* bits per second; 0: the encoder's default */
    double quality;               /* variable-bit-rate quality (Vorbis -1..10); < -1e9: unset */
    const char *encoder;          /* FFmpeg encoder name; NULL: the muxer's default */
    const char *encoder_format;   /* the encoder's sample format ("s16", "fltp"); NULL: the
                                     one nearest the samples' type that the encoder takes */
    /* Encoder options as NULL-terminated alternating keys and values; may be NULL. */
    const char *const *encoder_options;
    /* An FFmpeg audio filter graph applied before encoding ("volume=0.5,highpass=f=200");
     * NULL: none. Its output is converted to what the encoder takes. */
    const char *filter_desc;
} da_audio_stream_options;

/* A muxer with its streams. Created by da_writer_open(); freed by da_writer_close() (which
 * finishes the file) or da_writer_free() (which abandons it). */
typedef struct da_writer da_writer;

/* Opens `dst` for the muxer `format` (NULL: guessed from the path's extension). */
DA_API int da_writer_open(const da_output *dst, const char *format, da_writer **out,
                          char *err, size_t err_size);

/* Fills `opt` with the defaults (quality and compression level unset). */
DA_API int da_audio_stream_options_init(da_audio_stream_options *opt);

/* Adds an audio stream and opens its encoder; *stream_index gets its index. */
DA_API int da_writer_add_audio(da_writer *w, const da_audio_stream_options *opt,
                               int *stream_index, char *err, size_t err_size);

/* Sets a container tag; before da_writer_start() only. */
DA_API int da_writer_set_metadata(da_writer *w, const char *key, const char *value,
                                  char *err, size_t err_size);

/* Writes the header; `options` are muxer options as NULL-terminated key/value pairs. */
DA_API int da_writer_start(da_writer *w, const char *const *options, char *err,
                           size_t err_size);

/* Encodes `num_frames` frames of stream `stream_index`. Sample (frame f, channel c) is read
 * at data + (f * frame_step + c * channel_step) * itemsize, so any 2-D layout is read in
 * place. Chunks of any size give the same file as one write of all the frames. */
DA_API int da_writer_write_audio(da_writer *w, int stream_index, const void *data,
                                 int64_t num_frames, int64_t frame_step, int64_t channel_step,
                                 char *err, size_t err_size);

/* Encodes what the streams still hold and drains the encoders; nothing can be written after. */
DA_API int da_writer_flush(da_writer *w, char *err, size_t err_size);

/* Flushes, writes the trailer, closes the destination and frees the writer. */
DA_API int da_writer_close(da_writer **w, char *err, size_t err_size);

/* Frees the writer without finishing the file. Accepts NULL. */
DA_API void da_writer_free(da_writer **w);

/* Fills the versions of this library and of the FFmpeg libraries it runs with. */
DA_API int da_get_versions(da_versions *versions);

/* Writes FFmpeg's description of `code` into `err`; returns 0. */
DA_API int da_strerror(int code, char *err, size_t err_size);

/* ---- Video streams in the writer ----
 *
 * A writer from da_writer_open() also takes video (and still-image) streams, muxed with its
 * audio streams in one file. Frames are uint8 pictures of `channels x height x width` values,
 * read in place with any strides and converted with libswscale (or a libavfilter graph) to
 * what the encoder takes. A frame's timestamp counts frames at the stream's frame rate.
 */

/* A video stream to encode. Zero means "default" throughout. */
typedef struct da_video_stream_options {
    int32_t frame_rate_num;       /* frames per second of the frames written, as num/den */
    int32_t frame_rate_den;
    int32_t width;                /* of the frames written */
    int32_t height;
    /* Pixel format of the frames written: "rgb24" and "bgr24" (3 channels), "gray8"
     * (1 channel), "yuv444p" (3 channels: Y, U, V); NULL: "rgb24". */
    const char *format;
    int32_t encoder_frame_rate_num; /* 0: frame_rate (or the encoder's nearest rate); frames
                                       are dropped or repeated to convert */
    int32_t encoder_frame_rate_den;
    int32_t encoder_width;        /* 0: width (or what filter_desc makes); else scaled */
    int32_t encoder_height;
    int32_t gop_size;             /* frames between key frames; -1: the encoder's default */
    int32_t max_b_frames;         /* -1: the encoder's default */
    int32_t compression_level;    /* -1: the encoder's default */
    int32_t reserved;
    int64_t bit_rate;             /* bits per second; 0: the encoder's default */
    double quality;               /* fixed quality (qscale); < -1e9: unset */
    const char *encoder;          /* FFmpeg encoder name; NULL: the muxer's default for the
                                     destination (libx264 for mp4, png for .png, ...) */
    const char *encoder_format;   /* the encoder's pixel format ("yuv444p"); NULL: the first
                                     the encoder lists */
    /* Encoder options as NULL-terminated alternating keys and values; may be NULL. */
    const char *const *encoder_options;
    /* An FFmpeg video filter graph applied before encoding ("hflip,eq=contrast=2"); NULL:
     * none. Without encoder_width/height or encoder_frame_rate, its output decides them. */
    const char *filter_desc;
} da_video_stream_options;

/* Fills `opt` with the defaults (rgb24, codec settings unset); frame rate and size stay 0. */
DA_API int da_video_stream_options_init(da_video_stream_options *opt);

/* Adds a video stream and opens its encoder; *stream_index gets its index (audio and video
 * streams share one numbering). Before da_writer_start() only. `opt` and the strings it
 * points to are only read during the call; the stream belongs to the writer. On failure
 * nothing is added. */
DA_API int da_writer_add_video(da_writer *w, const da_video_stream_options *opt,
                               int *stream_index, char *err, size_t err_size);

/* Encodes `num_frames` frames of video stream `stream_index`. The value of frame t, channel
 * c, row y, column x is the byte at data + t * frame_step + c * channel_step + y * row_step +
 * x * column_step (steps in bytes, any sign), so any 4-D layout is read in place; the memory
 * is only read, and not kept after the call. `pts` >= 0 sets the first frame's timestamp, in
 * frames at the stream's frame rate, which must not be less than the next one expected;
 * `pts` < 0 continues after the last frame written. The following frames come one frame
 * apart. */
DA_API int da_writer_write_video(da_writer *w, int stream_index, const void *data,
                                 int64_t num_frames, int64_t frame_step, int64_t channel_step,
                                 int64_t row_step, int64_t column_step, int64_t pts,
                                 char *err, size_t err_size);

/* ---- FFmpeg utilities: what this build has, and its log (csrc/components.c, error.c) ---- */

/* What da_list_components() lists. */
typedef enum da_component_kind {
    DA_LIST_AUDIO_DECODERS = 0,   /* audio decoders, e.g. "mp3float" */
    DA_LIST_AUDIO_ENCODERS = 1,   /* audio encoders, e.g. "libmp3lame" */
    DA_LIST_MUXERS = 2,           /* muxers (not devices), e.g. "wav" */
    DA_LIST_DEMUXERS = 3,         /* demuxers (not devices), e.g. "mov,mp4,m4a,3gp,3g2,mj2" */
    DA_LIST_INPUT_PROTOCOLS = 4,  /* protocols that read, e.g. "file", "http" */
    DA_LIST_OUTPUT_PROTOCOLS = 5, /* protocols that write */
} da_component_kind;

/* Lists the components of `kind` in the FFmpeg the library runs with, in FFmpeg's order, as
 * "name\0long name\0" pairs (protocols have an empty long name), *size bytes in all.
 * *names is owned by the caller; free it with da_names_free(). */
DA_API int da_list_components(int kind, char **names, int64_t *size, char *err,
                              size_t err_size);

/* Frees a list made by da_list_components() (or the SoX listings) and sets *names to NULL.
 * Accepts NULL. */
DA_API void da_names_free(char **names);

/* *config: the flags FFmpeg was configured with. The string is FFmpeg's (static); never free
 * it. */
DA_API int da_get_build_config(const char **config);

/* Sets the most verbose FFmpeg log level the library records, from AV_LOG_QUIET (-8: none)
 * to AV_LOG_TRACE (56); the default is AV_LOG_ERROR (16). Each thread keeps the last message
 * at or below it, which error messages quote; nothing is printed. Process-wide, atomic, and
 * FFmpeg's own av_log_set_level() is left alone. Out of range: DA_ERR_ARGUMENT. */
DA_API int da_set_log_level(int level);

/* *level: the level da_set_log_level() set. */
DA_API int da_get_log_level(int *level);

/* ---- The SoX backend: paths through libsox (csrc/sox.c) ----
 *
 * Built when libsox's headers are found (DA_HAVE_SOX); otherwise every function below but
 * da_sox_available() fails with AVERROR(ENOSYS). Paths only: a path is always a file name
 * (libsox's "-", "|command" and URL forms are not used). libsox keeps global state, so calls
 * into it are serialised; it never prints. */

/* 1 when the library was built with libsox, else 0. */
DA_API int da_sox_available(void);

/* Describes the file at `path` through libsox. `format` is a SoX file type ("sph", "htk");
 * NULL: from the header or the extension. `container` is SoX's type, `encoding` torchaudio's
 * name ("PCM_S", "FLAC", ...; "UNKNOWN" for the rest), `codec` is empty. Release `info`
 * with da_info_clear(). */
DA_API int da_sox_probe(const char *path, const char *format, da_info *info, char *err,
                        size_t err_size);

/* Decodes the file at `path` through libsox into a new da_audio, released by
 * da_audio_release().
 * From `opt` only open.format (a SoX file type), dtype (DA_DTYPE_AUTO included),
 * channels_first, frame_offset and num_frames are used; resampling, remixing, filters,
 * out_data and a stream index fail with DA_ERR_ARGUMENT. */
DA_API int da_sox_decode(const char *path, const da_decode_options *opt, da_audio **out,
                         char *err, size_t err_size);

/* How da_sox_save() encodes. */
typedef struct da_sox_save_options {
    int32_t sample_rate;
    int32_t num_channels;
    int32_t dtype;            /* da_dtype of the samples given (not int8) */
    int32_t bits_per_sample;  /* 0: the format's default for 16-bit samples */
    const char *encoding;     /* "PCM_S" "PCM_U" "PCM_F" "ULAW" "ALAW" ...; NULL: the format's */
    const char *format;       /* SoX file type ("wav", "sph", "amb", "htk", ...); required */
    double compression;       /* SoX's -C value (FLAC level, MP3 kbit/s, Vorbis quality);
                                 NaN: the format's default */
} da_sox_save_options;

/* Writes `num_frames` frames to `path` (created or replaced) through libsox. Sample (frame f,
 * channel c) is read at data + (f * frame_step + c * channel_step) * itemsize. */
DA_API int da_sox_save(const char *path, const da_sox_save_options *opt, const void *data,
                       int64_t num_frames, int64_t frame_step, int64_t channel_step,
                       char *err, size_t err_size);

/* SoX's file types that read (write nonzero: that write), as "name\0description\0" pairs,
 * *size bytes in all; free *names with da_names_free(). */
DA_API int da_sox_list_formats(int write, char **names, int64_t *size, char *err,
                               size_t err_size);

/* ---- Damaged input ---- */

/* da_decode_options.on_error. Either way a decode in which nothing decodes fails, with the
 * first decoder error; damage the demuxer itself drops (an Ogg page whose CRC fails) is not
 * seen by the decoder and not counted. */
#define DA_ON_ERROR_SKIP  0 /* skip rejected packets and count them (the ffmpeg CLI's way) */
#define DA_ON_ERROR_RAISE 1 /* fail at the first packet the decoder rejects, or a read error */

/* ---- Fast paths ----
 *
 * da_decode() reads plain PCM WAV files (paths and memory) without libavformat. Every open
 * of a path whose extension and first bytes agree (MP3, WAV, FLAC, Ogg, MP4) names its
 * demuxer instead of probing, and decoding an MP3 or FLAC opened so skips stream info. Each
 * gives what the general path gives, and anything unusual takes the general path. Setting
 * the environment variable DECODE_AUDIO_FAST_PATHS=0 turns them off. */

#ifdef __cplusplus
}
#endif
#endif /* DECODE_AUDIO_H */
