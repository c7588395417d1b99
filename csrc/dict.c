/* dict.c - the caller's "key", "value" option pairs as an AVDictionary, and the check that
 * whatever took them (demuxer, decoder, encoder, muxer) used every one. */
#include <stdarg.h>
#include <stdio.h>

#include "internal.h"

int da__dict_set_pairs(AVDictionary **dict, const char *const *pairs)
{
    for (const char *const *kv = pairs; kv != NULL && kv[0] != NULL; kv += 2) {
        int ret = av_dict_set(dict, kv[0], kv[1] ? kv[1] : "", 0);
        if (ret < 0)
            return ret;
    }
    return 0;
}

int da__dict_check_used(const AVDictionary *left, char *err, size_t err_size, const char *fmt,
                        ...)
{
    const AVDictionaryEntry *e = av_dict_get(left, "", NULL, AV_DICT_IGNORE_SUFFIX);
    if (e == NULL)
        return 0;
    if (err != NULL && err_size > 0) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(err, err_size, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < err_size)
            snprintf(err + n, err_size - (size_t)n, " has no option '%s'", e->key);
    }
    return AVERROR_OPTION_NOT_FOUND;
}
