/* convert.c - sample format conversion in plain loops the compiler vectorises.
 *
 * Each conversion gives the same values as libswresample's (its reference C conversions):
 * integer widening shifts, float scaling by 2^(bits-1), rounding to nearest even and
 * saturation when narrowing. Clamping in the float domain before rounding gives the same result
 * as rounding then clipping, and lets the loops vectorise.
 */
#include <math.h>
#include <stdint.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "internal.h"

typedef void (*convert_fn)(const void *in, ptrdiff_t in_step, void *out, ptrdiff_t out_step,
                           int64_t count);

/* One loop with a unit-stride copy of itself, which is the one that vectorises. */
#define DEFINE_CONVERT(name, in_type, out_type, expr)                                          \
    static void name(const void *in_, ptrdiff_t in_step, void *out_, ptrdiff_t out_step,       \
                     int64_t count)                                                            \
    {                                                                                          \
        const in_type *restrict in = in_;                                                      \
        out_type *restrict out = out_;                                                         \
        if (in_step == 1 && out_step == 1) {                                                   \
            for (int64_t i = 0; i < count; i++) {                                              \
                in_type x = in[i];                                                             \
                out[i] = (out_type)(expr);                                                     \
            }                                                                                  \
        } else {                                                                               \
            for (int64_t i = 0; i < count; i++) {                                              \
                in_type x = in[i * in_step];                                                   \
                out[i * out_step] = (out_type)(expr);                                          \
            }                                                                                  \
        }                                                                                      \
    }

/* NaN compares false everywhere; it must end at the low end, as lrint's 0x80000000 does. */
static inline float clampf_nan(float v, float lo, float hi)
{
    return v >= lo ? (v > hi ? hi : v) : lo;
}

static inline double clampd_nan(double v, double lo, double hi)
{
    return v >= lo ? (v > hi ? hi : v) : lo;
}

static inline int32_t float_to_s32(float v)
{
    v *= 2147483648.0f;
    if (v >= 2147483648.0f)
        return INT32_MAX;
    if (!(v >= -2147483648.0f))
        return INT32_MIN;
    return (int32_t)lrintf(v);
}

static inline int32_t double_to_s32(double v)
{
    v = clampd_nan(v * 2147483648.0, -2147483648.0, 2147483647.0);
    return (int32_t)lrint(v);
}

/* from unsigned 8-bit */
DEFINE_CONVERT(u8_u8, uint8_t, uint8_t, x)
DEFINE_CONVERT(u8_s8, uint8_t, int8_t, x ^ 0x80)
DEFINE_CONVERT(u8_s16, uint8_t, int16_t, (x - 128) * 256)
DEFINE_CONVERT(u8_s32, uint8_t, int32_t, (x - 128) * 16777216)
DEFINE_CONVERT(u8_f32, uint8_t, float, (x - 128) * (1.0f / 128))
DEFINE_CONVERT(u8_f64, uint8_t, double, (x - 128) * (1.0 / 128))
/* from signed 16-bit */
DEFINE_CONVERT(s16_u8, int16_t, uint8_t, (x >> 8) + 128)
DEFINE_CONVERT(s16_s8, int16_t, int8_t, x >> 8)
DEFINE_CONVERT(s16_s16, int16_t, int16_t, x)
DEFINE_CONVERT(s16_s32, int16_t, int32_t, x * 65536)
DEFINE_CONVERT(s16_f32, int16_t, float, x * (1.0f / 32768))
DEFINE_CONVERT(s16_f64, int16_t, double, x * (1.0 / 32768))
/* from signed 32-bit */
DEFINE_CONVERT(s32_u8, int32_t, uint8_t, (x >> 24) + 128)
DEFINE_CONVERT(s32_s8, int32_t, int8_t, x >> 24)
DEFINE_CONVERT(s32_s16, int32_t, int16_t, x >> 16)
DEFINE_CONVERT(s32_s32, int32_t, int32_t, x)
DEFINE_CONVERT(s32_f32, int32_t, float, x * (1.0f / 2147483648.0f))
DEFINE_CONVERT(s32_f64, int32_t, double, x * (1.0 / 2147483648.0))
/* from 32-bit float */
DEFINE_CONVERT(f32_u8, float, uint8_t, lrintf(clampf_nan(x * 128.0f, -128.0f, 127.0f)) + 128)
DEFINE_CONVERT(f32_s8, float, int8_t, lrintf(clampf_nan(x * 128.0f, -128.0f, 127.0f)))
DEFINE_CONVERT(f32_s16, float, int16_t, lrintf(clampf_nan(x * 32768.0f, -32768.0f, 32767.0f)))
DEFINE_CONVERT(f32_s32, float, int32_t, float_to_s32(x))
DEFINE_CONVERT(f32_f32, float, float, x)
DEFINE_CONVERT(f32_f64, float, double, x)
/* from 64-bit float */
DEFINE_CONVERT(f64_u8, double, uint8_t, lrint(clampd_nan(x * 128.0, -128.0, 127.0)) + 128)
DEFINE_CONVERT(f64_s8, double, int8_t, lrint(clampd_nan(x * 128.0, -128.0, 127.0)))
DEFINE_CONVERT(f64_s16, double, int16_t, lrint(clampd_nan(x * 32768.0, -32768.0, 32767.0)))
DEFINE_CONVERT(f64_s32, double, int32_t, double_to_s32(x))
DEFINE_CONVERT(f64_f32, double, float, x)
DEFINE_CONVERT(f64_f64, double, double, x)

/* Rows: packed input formats in AVSampleFormat order (U8, S16, S32, FLT, DBL);
 * columns: da_dtype order (uint8, int8, int16, int32, float32, float64). */
static const convert_fn table[5][6] = {
    {u8_u8, u8_s8, u8_s16, u8_s32, u8_f32, u8_f64},
    {s16_u8, s16_s8, s16_s16, s16_s32, s16_f32, s16_f64},
    {s32_u8, s32_s8, s32_s16, s32_s32, s32_f32, s32_f64},
    {f32_u8, f32_s8, f32_s16, f32_s32, f32_f32, f32_f64},
    {f64_u8, f64_s8, f64_s16, f64_s32, f64_f32, f64_f64},
};

int da__convert(enum AVSampleFormat in_fmt, const void *in, ptrdiff_t in_step, int out_dtype,
                void *out, ptrdiff_t out_step, int64_t count)
{
    in_fmt = av_get_packed_sample_fmt(in_fmt);
    if (in_fmt < AV_SAMPLE_FMT_U8 || in_fmt > AV_SAMPLE_FMT_DBL || out_dtype < 0 || out_dtype > 5)
        return AVERROR(ENOSYS);
    table[in_fmt][out_dtype](in, in_step, out, out_step, count);
    return 0;
}

/* Two planes of floats interleaved: the stereo float32 output of every lossy decoder, which
 * the strided loop above writes a sample at a time. */
static void interleave_f32x2(const float *restrict l, const float *restrict r, float *restrict out,
                             int64_t count)
{
    int64_t i = 0;
#ifdef __SSE2__
    for (; i + 4 <= count; i += 4) {
        __m128 a = _mm_loadu_ps(l + i), b = _mm_loadu_ps(r + i);
        _mm_storeu_ps(out + 2 * i, _mm_unpacklo_ps(a, b));
        _mm_storeu_ps(out + 2 * i + 4, _mm_unpackhi_ps(a, b));
    }
#endif
    for (; i < count; i++) {
        out[2 * i] = l[i];
        out[2 * i + 1] = r[i];
    }
}

int da__convert_planes(enum AVSampleFormat in_fmt, const uint8_t *const *planes, int channels,
                       int out_dtype, void *out, int64_t count)
{
    in_fmt = av_get_packed_sample_fmt(in_fmt);
    if (channels == 2 && in_fmt == AV_SAMPLE_FMT_FLT && out_dtype == DA_DTYPE_FLOAT32) {
        interleave_f32x2((const float *)planes[0], (const float *)planes[1], out, count);
        return 0;
    }
    int osz = da__dtype_size(out_dtype), ret = 0;
    for (int c = 0; c < channels && ret >= 0; c++)
        ret = da__convert(in_fmt, planes[c], 1, out_dtype, (uint8_t *)out + (size_t)c * (size_t)osz,
                          channels, count);
    return ret;
}

int da__dtype_size(int dtype)
{
    static const int sizes[6] = {1, 1, 2, 4, 4, 8};
    return dtype >= 0 && dtype < 6 ? sizes[dtype] : 0;
}

enum AVSampleFormat da__dtype_sample_fmt(int dtype, int planar)
{
    static const enum AVSampleFormat packed[6] = {
        AV_SAMPLE_FMT_U8, AV_SAMPLE_FMT_U8, AV_SAMPLE_FMT_S16,
        AV_SAMPLE_FMT_S32, AV_SAMPLE_FMT_FLT, AV_SAMPLE_FMT_DBL,
    };
    if (dtype < 0 || dtype > 5)
        return AV_SAMPLE_FMT_NONE;
    return planar ? av_get_planar_sample_fmt(packed[dtype]) : packed[dtype];
}

int da__native_dtype(int integer_pcm, enum AVSampleFormat fmt)
{
    if (!integer_pcm)
        return DA_DTYPE_FLOAT32;
    switch (av_get_packed_sample_fmt(fmt)) {
    case AV_SAMPLE_FMT_U8: return DA_DTYPE_UINT8;
    case AV_SAMPLE_FMT_S16: return DA_DTYPE_INT16;
    case AV_SAMPLE_FMT_S32: return DA_DTYPE_INT32;
    default: return DA_DTYPE_FLOAT32;
    }
}
