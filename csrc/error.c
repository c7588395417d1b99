/* error.c - error messages ("what failed: why") and FFmpeg's log, caught per thread to quote in
 * them. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <libavutil/avutil.h>
#include <libavutil/error.h>

#include "internal.h"

/* FFmpeg's last log line of this thread at or below the log level, quoted in our messages. */
static _Thread_local char last_log[512];
/* The line before it: newer FFmpeg ends some failures with a line that only restates the
 * error code ("Error processing filtergraph: Invalid argument") after the one that says why. */
static _Thread_local char prev_log[512];
/* The last piece logged did not end its line: FFmpeg logs some lines in several calls
 * ("Error initializing filter 'volume'", " with args 'abc'", "\n"). */
static _Thread_local int line_open;
static pthread_once_t log_once = PTHREAD_ONCE_INIT;
/* The most verbose level recorded (da_set_log_level); read by every thread's callback. */
static atomic_int log_level = AV_LOG_ERROR;

static void log_callback(void *avcl, int level, const char *fmt, va_list vl)
{
    if (level > atomic_load_explicit(&log_level, memory_order_relaxed))
        return;
    /* "<component>: <message>", without the object address FFmpeg's own prefix carries */
    char line[sizeof last_log];
    int print_prefix = 0;
    size_t n = 0;
    const AVClass *cls = avcl != NULL ? *(const AVClass **)avcl : NULL;
    if (cls != NULL && cls->item_name != NULL && !line_open)
        n = (size_t)snprintf(line, sizeof line, "%s: ", cls->item_name(avcl));
    if (n >= sizeof line)
        n = 0;
    av_log_format_line2(avcl, level, fmt, vl, line + n, (int)(sizeof line - n), &print_prefix);
    n = strlen(line);
    int continues = line_open;
    line_open = n > 0 && line[n - 1] != '\n';
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' '))
        line[--n] = '\0';
    if (continues && last_log[0] != '\0') {
        size_t used = strlen(last_log);
        snprintf(last_log + used, sizeof last_log - used, "%s", line);
    } else if (n > 0) {
        memcpy(prev_log, last_log, sizeof prev_log);
        memcpy(last_log, line, n + 1);
    }
}

static void install_log(void)
{
    av_log_set_callback(log_callback);
}

void da__log_init(void)
{
    pthread_once(&log_once, install_log);
}

void da__log_reset(void)
{
    last_log[0] = '\0';
    prev_log[0] = '\0';
    line_open = 0;
}

/* Nonzero when line is "<anything>: <reason>": it says no more than the reason. */
static int restates(const char *line, const char *reason)
{
    size_t n = strlen(line), r = strlen(reason);
    return r > 0 && n >= r + 2 && strcmp(line + n - r, reason) == 0 &&
           strncmp(line + n - r - 2, ": ", 2) == 0;
}

/* Appends FFmpeg's last log line when it adds something the reason does not say (else the
 * line before, when that one does). */
static void append_log(char *err, size_t err_size, const char *reason)
{
    size_t n = strlen(err);
    const char *log = last_log;
    if (restates(log, reason) && prev_log[0] != '\0')
        log = prev_log;
    if (log[0] == '\0' || strstr(err, log) != NULL || n + 8 >= err_size)
        return;
    /* long lines (a whitelist spelled out) are cut to what a message needs */
    if (strlen(log) > 160)
        snprintf(err + n, err_size - n, " (%.157s...)", log);
    else
        snprintf(err + n, err_size - n, " (%s)", log);
}

int da__fail(int code, char *err, size_t err_size, const char *what, ...)
{
    if (err == NULL || err_size == 0)
        return code;
    va_list ap;
    va_start(ap, what);
    vsnprintf(err, err_size, what, ap);
    va_end(ap);
    size_t n = strlen(err);
    char reason[AV_ERROR_MAX_STRING_SIZE * 2];
    da_strerror(code, reason, sizeof reason);
    if (n + 3 < err_size)
        snprintf(err + n, err_size - n, ": %s", reason);
    append_log(err, err_size, reason);
    return code;
}

int da__failmsg(int code, char *err, size_t err_size, const char *fmt, ...)
{
    if (err == NULL || err_size == 0)
        return code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_size, fmt, ap);
    va_end(ap);
    return code;
}

int da__prefix(int code, char *err, size_t err_size, const char *fmt, ...)
{
    if (err == NULL || err_size == 0)
        return code;
    char head[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    size_t len = strlen(err);
    if (n <= 0 || (size_t)n >= sizeof head || (size_t)n + len + 1 > err_size)
        return code;
    memmove(err + n, err, len + 1);
    memcpy(err, head, (size_t)n);
    return code;
}

int da_strerror(int code, char *err, size_t err_size)
{
    if (err == NULL || err_size == 0)
        return 0;
    switch (code) {
    case DA_ERR_ARGUMENT: snprintf(err, err_size, "Invalid argument"); break;
    case DA_ERR_NO_AUDIO: snprintf(err, err_size, "No audio stream found"); break;
    case DA_ERR_TOO_SMALL: snprintf(err, err_size, "Output buffer too small"); break;
    case DA_ERR_CALLBACK: snprintf(err, err_size, "The read or seek callback failed"); break;
    default:
        if (av_strerror(code, err, err_size) < 0)
            snprintf(err, err_size, "Error number %d occurred", code);
    }
    return 0;
}

int da_set_log_level(int level)
{
    if (level < AV_LOG_QUIET || level > AV_LOG_TRACE)
        return DA_ERR_ARGUMENT;
    da__log_init();
    atomic_store_explicit(&log_level, level, memory_order_relaxed);
    return 0;
}

int da_get_log_level(int *level)
{
    if (level == NULL)
        return DA_ERR_ARGUMENT;
    *level = atomic_load_explicit(&log_level, memory_order_relaxed);
    return 0;
}
