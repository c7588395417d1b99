/* window.c - the window policy: where a window's decoding starts (from the start, by seeking or
 * by skipping packets), how far before it (the codec's preroll) and where the sink starts
 * keeping frames. */
#include <string.h>

#include "internal.h"

int da__window_valid(int64_t frame_offset, int64_t num_frames)
{
    return frame_offset >= 0 && num_frames >= -1;
}

/* A Vorbis stream's long block size, from the identification header in its extradata (FFmpeg
 * keeps the three headers there); 0 when it is not found. */
static int64_t vorbis_long_block(const AVCodecParameters *par)
{
    static const uint8_t id[7] = {1, 'v', 'o', 'r', 'b', 'i', 's'};
    for (int i = 0; par->extradata != NULL && i + 30 <= par->extradata_size && i < 64; i++)
        if (memcmp(par->extradata + i, id, sizeof id) == 0)
            return (int64_t)1 << (par->extradata[i + 28] >> 4);
    return 0;
}

/* An MP3 window's preroll for a decoder sent the packets from it on: the frame before the
 * window's first (the filter banks' overlap), the frames before that whose main data can hold
 * the bit reservoir's reach (main_data_begin: at most 511 bytes, 255 for MPEG-2 and 2.5), and
 * two more to spare, as csrc/mp3.c counts them from the real frames. Skipped packets are not
 * kept, so the count assumes every frame is the smallest the stream's version allows (8 kbit/s
 * for MPEG-2 and 2.5, 32 kbit/s for MPEG-1) with a CRC; never fewer than 16 frames. */
static int64_t mp3_preroll(const AVCodecParameters *par)
{
    int rate = par->sample_rate > 0 ? par->sample_rate : 44100;
    int lsf = rate < 32000;                       /* MPEG-2 or 2.5 */
    int64_t spf = par->frame_size > 0 ? par->frame_size : (lsf ? 576 : 1152);
    int mono = par->ch_layout.nb_channels == 1;
    int side_info = lsf ? (mono ? 9 : 17) : (mono ? 17 : 32);
    int64_t smallest = spf / 8 * (lsf ? 8000 : 32000) / rate;
    int64_t main_data = smallest - 4 - 2 - side_info; /* header, CRC */
    int64_t reach = lsf ? 255 : 511;
    int64_t frames = 1 + (reach + (main_data > 1 ? main_data : 1) - 1) /
                         (main_data > 1 ? main_data : 1) + 2;
    return (frames > 16 ? frames : 16) * spf;
}

/* How far before a window the decoder must start for its output to equal a full decode's,
 * and how to get there. Measured per codec (see FFMPEG-NOTES §7): PCM and FLAC need nothing;
 * Vorbis needs its previous packet (Ogg granule positions make its seeks land exactly, with
 * room to spare); MP3's bit reservoir reaches back a number of frames its frame size bounds
 * (mp3_preroll), and its seeks land by byte estimates, so its packets are skipped instead.
 * AAC (noise substitution draws from a decoder-wide random state) and Opus have no fixed
 * reach, so exact windows decode them from the start here; da__window_converge_preroll says
 * when converge.c may find the window by verified convergence instead. */
int da__window_policy(const da_input *in, int exact_window, int64_t *preroll)
{
    const AVCodecParameters *par = in->stream->codecpar;
    int seekable = in->fmt->pb != NULL && (in->fmt->pb->seekable & AVIO_SEEKABLE_NORMAL);
    /* containers whose seeks land on packets with exact timestamps (Ogg granules, an MP4
     * index), where the preroll of an inexact window is reached by seeking */
    const char *demuxer = in->fmt->iformat->name;
    int stamped = seekable && (strcmp(demuxer, "ogg") == 0 || strstr(demuxer, "mp4") != NULL);
    *preroll = 0;
    /* a window is placed by timestamps after a seek or skip: ones rounded to a coarser unit
     * than a sample (Matroska's milliseconds) cannot place it exactly */
    if (exact_window && !da__input_counts_samples(in))
        return DA_ENTER_FROM_START;
    /* nor can Ogg timestamps that are off by a block, or that start again in a chain */
    if (in->ogg_single_page || in->ogg_unplaced)
        return DA_ENTER_FROM_START;
    if (da__codec_is_pcm(par->codec_id)) {
        /* PCM demuxers seek by the header's byte rate; where it disagrees with the sample
         * rate and size, a seek lands elsewhere than its timestamps say, so such input is
         * entered by skipping packets, whose timestamps count their samples */
        int64_t bit_rate = (int64_t)par->sample_rate * par->ch_layout.nb_channels *
                           av_get_bits_per_sample(par->codec_id);
        return seekable && par->bit_rate == bit_rate && bit_rate > 0 ? DA_ENTER_SEEK : DA_ENTER_SKIP;
    }
    switch (par->codec_id) {
    case AV_CODEC_ID_FLAC:
    case AV_CODEC_ID_WAVPACK:
    case AV_CODEC_ID_TTA:
        return seekable ? DA_ENTER_SEEK : DA_ENTER_SKIP;
    case AV_CODEC_ID_MP3:
        *preroll = mp3_preroll(par);
        return DA_ENTER_SKIP;
    case AV_CODEC_ID_VORBIS:
        /* A page can hold a second of packets: after the seek, those that end before the
         * preroll are skipped. A packet's output overlaps the one before it by at most half
         * a long block, so the flushed decoder's first packet and the two whose stamps must
         * agree fit in two long blocks; a stream whose stamps take longer to agree is decoded
         * from the start. */
        *preroll = vorbis_long_block(par) >= 64 ? 2 * vorbis_long_block(par) : 16384;
        return seekable ? DA_ENTER_SEEK_SKIP : DA_ENTER_SKIP;
    case AV_CODEC_ID_OPUS:
        *preroll = 4 * (int64_t)(par->seek_preroll > 0 ? par->seek_preroll : 3840);
        return exact_window ? DA_ENTER_FROM_START : stamped ? DA_ENTER_SEEK : DA_ENTER_SKIP;
    default:
        *preroll = 8192;
        return exact_window ? DA_ENTER_FROM_START : stamped ? DA_ENTER_SEEK : DA_ENTER_SKIP;
    }
}

/* Sets where the sink starts keeping input and output for a window entered by `mode`;
 * returns the input index the demuxer must reach (before the codec's preroll). */
int64_t da__window_plan(da_sink *s, int mode, int64_t preroll, int64_t frame_offset)
{
    s->used = 0;
    s->next_idx = 0;
    s->use_pts = mode != DA_ENTER_FROM_START;
    s->need_pair = mode != DA_ENTER_FROM_START && preroll > 0;
    s->anchored = 0;
    s->prev_end = -1;
    swr_free(&s->swr);
    if (s->filter != NULL) {
        /* filters may change the length: the window is counted on their output */
        s->in_start = 0;
        s->out_skip = frame_offset;
        return 0;
    }
    if (s->out_rate == s->in_rate) {
        s->in_start = frame_offset;
        s->out_skip = 0;
        return frame_offset;
    }
    if (mode == DA_ENTER_FROM_START || s->swr_options != NULL) {
        /* a resampler of unknown filter length is run from the start */
        s->in_start = 0;
        s->out_skip = frame_offset;
        s->use_pts = 0;
        return 0;
    }
    /* A resampler started on a boundary of the rates' common period, with enough input
     * before the window to fill its filter, gives the same output as one that ran from 0. */
    int64_t g = av_gcd(s->in_rate, s->out_rate);
    int64_t in_period = s->in_rate / g, out_period = s->out_rate / g;
    int64_t filter = 256 * (s->in_rate > s->out_rate ? (s->in_rate + s->out_rate - 1) / s->out_rate : 1);
    int64_t periods = frame_offset / out_period - (filter + in_period - 1) / in_period - 1;
    if (periods < 0)
        periods = 0;
    s->in_start = periods * in_period;
    s->out_skip = frame_offset - periods * out_period;
    return s->in_start;
}

int64_t da__window_converge_preroll(da_input *in, const da_sink *s, int64_t frame_offset,
                                    int64_t remaining)
{
    const AVCodecParameters *par = in->stream->codecpar;
    int seekable = in->fmt->pb != NULL && (in->fmt->pb->seekable & AVIO_SEEKABLE_NORMAL);
    const char *demuxer = in->fmt->iformat->name;
    int stamped = seekable && (strcmp(demuxer, "ogg") == 0 || da__input_is_mov(in));
    if (frame_offset <= 0 || !stamped || s->filter != NULL || !da__input_counts_samples(in) ||
        in->ogg_single_page || in->ogg_unplaced)
        return 0;
    /* a resampler with the caller's options has an unknown filter length: run from 0 */
    if (s->out_rate != s->in_rate && s->swr_options != NULL)
        return 0;
    int64_t preroll;
    /* Opus needs far more than its 80 ms seek preroll to agree bit for bit (its band
     * energies are predicted from the previous frame's): 640 ms; AAC four frames */
    if (par->codec_id == AV_CODEC_ID_OPUS)
        preroll = 8 * (int64_t)(par->seek_preroll > 0 ? par->seek_preroll : 3840);
    else if (par->codec_id == AV_CODEC_ID_AAC)
        preroll = 4 * (int64_t)(par->frame_size > 0 ? par->frame_size : 1024);
    else
        return 0;
    /* decoding the window twice (and more when the first two differ) must cost less than
     * the frames before it (counted in output frames, as the window is) */
    int64_t preroll_out = av_rescale(preroll, s->out_rate, s->in_rate);
    if (remaining < 0 || remaining + 3 * preroll_out >= frame_offset)
        return 0;
    /* an AAC packet before the window that may decode to nothing (a frame holding only a
     * fill element) leaves the timestamps after it ahead of a full decode's count */
    if (par->codec_id == AV_CODEC_ID_AAC && da__input_is_mov(in)) {
        uint8_t quiet[DA_QUIET_MAX + AV_INPUT_BUFFER_PADDING_SIZE];
        int size = 0;
        int64_t i = 0, start = av_rescale_q(s->origin + av_rescale(frame_offset, s->in_rate,
                                                                   s->out_rate),
                                            (AVRational){1, s->in_rate}, in->stream->time_base);
        if (da__mov_aac_next_quiet(in, &i, start, quiet, &size) != 0)
            return 0;
    }
    return preroll;
}

/* Positions the input so the decoder's first frame starts at or before index `target`. */
int da__window_enter(da_input *in, int mode, int64_t target, int64_t preroll, int64_t origin)
{
    AVStream *st = in->stream;
    int rate = in->dec->sample_rate;
    int64_t from = target - preroll;
    if (mode == DA_ENTER_FROM_START || from <= 0)
        return 0;
    int64_t ts = av_rescale_q(origin + from, (AVRational){1, rate}, st->time_base);
    in->entry_pts = AV_NOPTS_VALUE;
    if (mode == DA_ENTER_SKIP) {
        in->discard_until = ts;
        return 0;
    }
    int ret = avformat_seek_file(in->fmt, in->stream_index, INT64_MIN, ts, ts, 0);
    if (ret < 0)
        return ret;
    /* what the packets before the landing decode to is not known */
    in->mpa_count = -1;
    if (mode != DA_ENTER_SEEK_KEEP)
        avcodec_flush_buffers(in->dec);
    in->draining = 0;
    if (mode == DA_ENTER_SEEK_SKIP || mode == DA_ENTER_SEEK_KEEP)
        in->discard_until = ts;
    return 0;
}
