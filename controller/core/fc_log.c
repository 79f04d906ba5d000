/*
 * fc_log.c - stderr logger (see fc_log.h).
 */
#include "fc_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static fc_log_level min_level = FC_LOG_INFO;
static int as_json;

void fc_log_configure(fc_log_level min, int json)
{
    min_level = min;
    as_json = json;
}

static const char *level_name(fc_log_level l)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    return names[l];
}

static void json_escape(FILE *f, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
}

void fc_log(fc_log_level lvl, const char *fmt, ...)
{
    char msg[2048];
    char ts[32];
    struct timespec now;
    struct tm tm;
    va_list ap;

    if (lvl < min_level)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (as_json) {
        fprintf(stderr, "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":\"", ts,
                level_name(lvl));
        json_escape(stderr, msg);
        fputs("\"}\n", stderr);
    } else {
        fprintf(stderr, "%s %-5s %s\n", ts, level_name(lvl), msg);
    }
}

void fc_redact_url(char *out, size_t size, const char *url)
{
    const char *scheme = strstr(url, "://");
    const char *at;
    const char *slash;

    if (!scheme) {
        snprintf(out, size, "%s", url);
        return;
    }
    at = strchr(scheme + 3, '@');
    slash = strchr(scheme + 3, '/');
    if (at && (!slash || at < slash))
        snprintf(out, size, "%.*s://%s", (int)(scheme - url), url, at + 1);
    else
        snprintf(out, size, "%s", url);
}
