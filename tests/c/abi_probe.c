/* The C compiler's view of what python/decode_audio/_lib.py mirrors of decode_audio.h: the size
 * of each struct, the offset and size of each field, and the value of each constant, one per
 * line. tests/test_abi.py compares these lines with the ctypes declarations, both ways, so a
 * field added, moved or retyped on either side fails the test. */
#include <stddef.h>
#include <stdio.h>

#include "decode_audio.h"

#define STRUCT(T) printf("struct %s %zu\n", #T, sizeof(T))
#define FIELD(T, f) printf("field %s.%s %zu %zu\n", #T, #f, offsetof(T, f), sizeof(((T *)0)->f))
#define CONSTANT(c) printf("constant %s %lld\n", #c, (long long)(c))

int main(void)
{
    STRUCT(da_source);
    FIELD(da_source, kind);
    FIELD(da_source, seekable);
    FIELD(da_source, path);
    FIELD(da_source, data);
    FIELD(da_source, size);
    FIELD(da_source, opaque);
    FIELD(da_source, read);
    FIELD(da_source, seek);
    FIELD(da_source, name);

    STRUCT(da_open_options);
    FIELD(da_open_options, format);
    FIELD(da_open_options, protocols);
    FIELD(da_open_options, formats);
    FIELD(da_open_options, buffer_size);
    FIELD(da_open_options, stream_index);
    FIELD(da_open_options, decoder);
    FIELD(da_open_options, decoder_options);
    FIELD(da_open_options, format_options);

    STRUCT(da_decode_options);
    FIELD(da_decode_options, open);
    FIELD(da_decode_options, dtype);
    FIELD(da_decode_options, sample_rate);
    FIELD(da_decode_options, num_channels);
    FIELD(da_decode_options, channels_first);
    FIELD(da_decode_options, frame_offset);
    FIELD(da_decode_options, num_frames);
    FIELD(da_decode_options, exact);
    FIELD(da_decode_options, out_channels);
    FIELD(da_decode_options, out_data);
    FIELD(da_decode_options, out_capacity);
    FIELD(da_decode_options, filter_desc);
    FIELD(da_decode_options, resampler_options);
    FIELD(da_decode_options, on_error);
    FIELD(da_decode_options, num_threads);

    STRUCT(da_audio);
    FIELD(da_audio, data);
    FIELD(da_audio, num_frames);
    FIELD(da_audio, num_channels);
    FIELD(da_audio, sample_rate);
    FIELD(da_audio, dtype);
    FIELD(da_audio, itemsize);
    FIELD(da_audio, channels_first);
    FIELD(da_audio, owns_data);
    FIELD(da_audio, decode_errors);
    FIELD(da_audio, converged_preroll);
    FIELD(da_audio, num_threads);

    STRUCT(da_info);
    FIELD(da_info, sample_rate);
    FIELD(da_info, num_channels);
    FIELD(da_info, bits_per_sample);
    FIELD(da_info, stream_index);
    FIELD(da_info, num_frames);
    FIELD(da_info, num_frames_exact);
    FIELD(da_info, num_streams);
    FIELD(da_info, duration);
    FIELD(da_info, bit_rate);
    FIELD(da_info, codec);
    FIELD(da_info, codec_long);
    FIELD(da_info, container);
    FIELD(da_info, encoding);
    FIELD(da_info, sample_format);
    FIELD(da_info, tags);
    FIELD(da_info, tags_size);

    STRUCT(da_output);
    FIELD(da_output, kind);
    FIELD(da_output, seekable);
    FIELD(da_output, path);
    FIELD(da_output, opaque);
    FIELD(da_output, write);
    FIELD(da_output, seek);
    FIELD(da_output, name);

    STRUCT(da_audio_stream_options);
    FIELD(da_audio_stream_options, sample_rate);
    FIELD(da_audio_stream_options, num_channels);
    FIELD(da_audio_stream_options, dtype);
    FIELD(da_audio_stream_options, encoder_sample_rate);
    FIELD(da_audio_stream_options, encoder_num_channels);
    FIELD(da_audio_stream_options, compression_level);
    FIELD(da_audio_stream_options, bits_per_raw_sample);
    FIELD(da_audio_stream_options, reserved);
    FIELD(da_audio_stream_options, bit_rate);
    FIELD(da_audio_stream_options, quality);
    FIELD(da_audio_stream_options, encoder);
    FIELD(da_audio_stream_options, encoder_format);
    FIELD(da_audio_stream_options, encoder_options);
    FIELD(da_audio_stream_options, filter_desc);

    STRUCT(da_versions);
    FIELD(da_versions, decode_audio);
    FIELD(da_versions, avutil);
    FIELD(da_versions, avcodec);
    FIELD(da_versions, avformat);
    FIELD(da_versions, avfilter);
    FIELD(da_versions, swresample);
    FIELD(da_versions, ffmpeg);

    STRUCT(da_video_stream_options);
    FIELD(da_video_stream_options, frame_rate_num);
    FIELD(da_video_stream_options, frame_rate_den);
    FIELD(da_video_stream_options, width);
    FIELD(da_video_stream_options, height);
    FIELD(da_video_stream_options, format);
    FIELD(da_video_stream_options, encoder_frame_rate_num);
    FIELD(da_video_stream_options, encoder_frame_rate_den);
    FIELD(da_video_stream_options, encoder_width);
    FIELD(da_video_stream_options, encoder_height);
    FIELD(da_video_stream_options, gop_size);
    FIELD(da_video_stream_options, max_b_frames);
    FIELD(da_video_stream_options, compression_level);
    FIELD(da_video_stream_options, reserved);
    FIELD(da_video_stream_options, bit_rate);
    FIELD(da_video_stream_options, quality);
    FIELD(da_video_stream_options, encoder);
    FIELD(da_video_stream_options, encoder_format);
    FIELD(da_video_stream_options, encoder_options);
    FIELD(da_video_stream_options, filter_desc);

    STRUCT(da_sox_save_options);
    FIELD(da_sox_save_options, sample_rate);
    FIELD(da_sox_save_options, num_channels);
    FIELD(da_sox_save_options, dtype);
    FIELD(da_sox_save_options, bits_per_sample);
    FIELD(da_sox_save_options, encoding);
    FIELD(da_sox_save_options, format);
    FIELD(da_sox_save_options, compression);

    CONSTANT(DA_ERROR_SIZE);
    CONSTANT(DA_ERR_ARGUMENT);
    CONSTANT(DA_ERR_NO_AUDIO);
    CONSTANT(DA_ERR_TOO_SMALL);
    CONSTANT(DA_ERR_CALLBACK);
    CONSTANT(DA_DTYPE_UINT8);
    CONSTANT(DA_DTYPE_INT8);
    CONSTANT(DA_DTYPE_INT16);
    CONSTANT(DA_DTYPE_INT32);
    CONSTANT(DA_DTYPE_FLOAT32);
    CONSTANT(DA_DTYPE_FLOAT64);
    CONSTANT(DA_DTYPE_AUTO);
    CONSTANT(DA_SOURCE_PATH);
    CONSTANT(DA_SOURCE_URL);
    CONSTANT(DA_SOURCE_MEMORY);
    CONSTANT(DA_SOURCE_CALLBACKS);
    CONSTANT(DA_ON_ERROR_SKIP);
    CONSTANT(DA_ON_ERROR_RAISE);
    CONSTANT(DA_LIST_AUDIO_DECODERS);
    CONSTANT(DA_LIST_AUDIO_ENCODERS);
    CONSTANT(DA_LIST_MUXERS);
    CONSTANT(DA_LIST_DEMUXERS);
    CONSTANT(DA_LIST_INPUT_PROTOCOLS);
    CONSTANT(DA_LIST_OUTPUT_PROTOCOLS);
    return 0;
}
