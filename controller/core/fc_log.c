/*
 * fc_log.c - stderr logger (see fc_log.h).
 *
 * A line is formatted into one buffer and written with a single fputs, so
 * lines from the HTTP thread and the pass never interleave.  The run id is
 * process state behind a mutex (set by the pass, read by every thread).
 */
#include "fc_log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static fc_log_level min_level = FC_LOG_INFO;
static int as_json;
static FILE *stream;
static pthread_mutex_t run_lock = PTHREAD_MUTEX_INITIALIZER;
static int progress_drawn; /* a progress bar is on the terminal's last line */
static char run_id[64];

void fc_log_configure(fc_log_level min, int json)
{
    min_level = min;
    as_json = json;
}

int fc_log_enabled(fc_log_level lvl)
{
    return lvl >= min_level;
}

void fc_log_set_stream(FILE *f)
{
    stream = f;
}

void fc_log_set_run(const char *id)
{
    pthread_mutex_lock(&run_lock);
    snprintf(run_id, sizeof(run_id), "%s", id ? id : "");
    pthread_mutex_unlock(&run_lock);
}

void fc_log_get_run(char *buf, size_t size)
{
    pthread_mutex_lock(&run_lock);
    snprintf(buf, size, "%s", run_id);
    pthread_mutex_unlock(&run_lock);
}

static const char *level_name(fc_log_level l)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    return names[l];
}

/* A growing line; on allocation failure the line is cut, never lost. */
typedef struct {
    char *s;
    size_t len, cap;
} line;

static void put(line *l, const char *s, size_t n)
{
    if (l->len + n + 1 > l->cap) {
        size_t cap = (l->len + n + 1) * 2;
        char *p = realloc(l->s, cap);
        if (!p)
            return;
        l->s = p;
        l->cap = cap;
    }
    memcpy(l->s + l->len, s, n);
    l->len += n;
    l->s[l->len] = '\0';
}

static void puts_(line *l, const char *s)
{
    put(l, s, strlen(s));
}

static void put_json_string(line *l, const char *s)
{
    char esc[8];
    put(l, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            put(l, esc, 2);
        } else if (c < 0x20) {
            snprintf(esc, sizeof(esc), "\\u%04x", c);
            put(l, esc, 6);
        } else {
            put(l, s, 1);
        }
    }
    put(l, "\"", 1);
}

/* key=value in text; values with spaces or quotes are quoted. */
static void put_text_field(line *l, const char *k, const char *v)
{
    put(l, " ", 1);
    puts_(l, k);
    put(l, "=", 1);
    if (!*v || strpbrk(v, " \t\"=\n"))
        put_json_string(l, v);
    else
        puts_(l, v);
}

static void emit(fc_log_level lvl, const char *object, const char *const *fields,
                 size_t npairs, const char *fmt, va_list ap)
{
    char msg[2048], ts[32], run[64];
    struct timespec now;
    struct tm tm;
    line l = {NULL, 0, 0};
    size_t i;

    if (lvl < min_level)
        return;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
    fc_log_get_run(run, sizeof(run));
    if (as_json) {
        puts_(&l, "{\"ts\":\"");
        puts_(&l, ts);
        puts_(&l, "\",\"level\":\"");
        puts_(&l, level_name(lvl));
        puts_(&l, "\",\"msg\":");
        put_json_string(&l, msg);
        puts_(&l, ",\"run\":");
        put_json_string(&l, run);
        if (object) {
            puts_(&l, ",\"object\":");
            put_json_string(&l, object);
        }
        for (i = 0; i < npairs; i++) {
            put(&l, ",", 1);
            put_json_string(&l, fields[2 * i]);
            put(&l, ":", 1);
            put_json_string(&l, fields[2 * i + 1] ? fields[2 * i + 1] : "");
        }
        puts_(&l, "}\n");
    } else {
        char head[64];
        snprintf(head, sizeof(head), "%s %-5s ", ts, level_name(lvl));
        puts_(&l, head);
        puts_(&l, msg);
        if (run[0])
            put_text_field(&l, "run", run);
        if (object)
            put_text_field(&l, "object", object);
        for (i = 0; i < npairs; i++)
            put_text_field(&l, fields[2 * i], fields[2 * i + 1] ? fields[2 * i + 1] : "");
        put(&l, "\n", 1);
    }
    if (l.s) {
        if (progress_drawn && !stream) {
            fputc('\n', stderr);
            progress_drawn = 0;
        }
        fputs(l.s, stream ? stream : stderr);
        fflush(stream ? stream : stderr);
    }
    free(l.s);
}

void fc_log(fc_log_level lvl, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit(lvl, NULL, NULL, 0, fmt, ap);
    va_end(ap);
}

void fc_log_obj(fc_log_level lvl, const char *object, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit(lvl, object, NULL, 0, fmt, ap);
    va_end(ap);
}

void fc_log_fields(fc_log_level lvl, const char *object, const char *const *fields,
                   size_t npairs, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit(lvl, object, fields, npairs, fmt, ap);
    va_end(ap);
}

/* ---- progress ------------------------------------------------------------ */

static long progress_every = 5;
static double progress_last = -1e9;

void fc_log_set_progress_interval(long seconds)
{
    progress_every = seconds > 0 ? seconds : 5;
}

void fc_log_thousands(char *buf, size_t size, unsigned long long n)
{
    char digits[32];
    size_t len, i, o = 0;
    len = (size_t)snprintf(digits, sizeof(digits), "%llu", n);
    for (i = 0; i < len && o + 2 < size; i++) {
        if (i && (len - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o < size ? o : size - 1] = '\0';
}

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void fc_log_progress(const char *what, double done, double total, const char *detail,
                     int final)
{
    double pct = total > 0 ? 100.0 * done / total : 0, now = mono_now();
    FILE *f = stream ? stream : stderr;

    if (pct > 100)
        pct = 100;
    if (!as_json && !stream && isatty(fileno(stderr))) {
        char bar[31];
        int i, fill = (int)(pct * 30 / 100);
        if (min_level > FC_LOG_INFO)
            return;
        for (i = 0; i < 30; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[30] = '\0';
        fprintf(f, "\r%s [%s] %3d %% (%s)\033[K%s", what, bar, (int)pct,
                detail ? detail : "", final ? "\n" : "");
        fflush(f);
        progress_drawn = !final;
        return;
    }
    if (!final && now - progress_last < (double)progress_every)
        return;
    progress_last = final ? -1e9 : now;
    fc_log(FC_LOG_INFO, "%s %d %% (%s)", what, (int)pct, detail ? detail : "");
}

static void human_bytes(char *buf, size_t size, uint64_t n)
{
    static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)n;
    size_t u = 0;
    while (v >= 1024 && u + 1 < sizeof(unit) / sizeof(unit[0])) {
        v /= 1024;
        u++;
    }
    snprintf(buf, size, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
}

void fc_log_progress_rows(void *label, uint64_t bytes, uint64_t total, uint64_t rows)
{
    char b[32], t[32], r[32], detail[128];
    human_bytes(b, sizeof(b), bytes);
    human_bytes(t, sizeof(t), total);
    fc_log_thousands(r, sizeof(r), (unsigned long long)rows);
    if (total)
        snprintf(detail, sizeof(detail), "%s of %s, %s rows", b, t, r);
    else
        snprintf(detail, sizeof(detail), "%s, %s rows", b, r);
    fc_log_progress(label ? (const char *)label : "ingest", (double)bytes,
                    (double)(total ? total : bytes), detail, total && bytes >= total);
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
