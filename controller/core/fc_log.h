/*
 * fc_log.h - one line per event on stderr, text or JSON.
 *
 * Every line carries the run id of the pass in flight (fc_log_set_run) and,
 * through fc_log_obj/fc_log_fields, the object it is about ("kind/name" or a
 * resource id) and extra key/value fields.  Text:
 *   2026-11-20T12:00:00Z info  msg run=42 object=budget/team-a key=value
 * JSON, one object per line:
 *   {"ts":"...","level":"info","msg":"...","run":"42","object":"...","key":"value"}
 * ("run" is "" outside a pass; "object" only when given).
 *
 * Callers must never pass secrets; URLs go through fc_redact_url() first.
 */
#ifndef FC_LOG_H
#define FC_LOG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum { FC_LOG_DEBUG, FC_LOG_INFO, FC_LOG_WARN, FC_LOG_ERROR } fc_log_level;

void fc_log_configure(fc_log_level min, int json);
/* 1 when lvl would be written (skip building expensive messages). */
int fc_log_enabled(fc_log_level lvl);
/* Where lines go; NULL = stderr (tests capture them). */
void fc_log_set_stream(FILE *f);

/* The run id every line carries until the next call; NULL or "" clears.
 * Process-wide, so worker threads of a pass log under it too. */
void fc_log_set_run(const char *run_id);
/* Copies the current run id into buf ("" when none). */
void fc_log_get_run(char *buf, size_t size);

void fc_log(fc_log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The same, about one object ("optimization/stop-idle", "i-0abc"). */
void fc_log_obj(fc_log_level lvl, const char *object, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* With nfields key/value pairs: fields = {"k1", "v1", "k2", "v2", ...}. */
void fc_log_fields(fc_log_level lvl, const char *object, const char *const *fields,
                   size_t npairs, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#define fc_debug(...) fc_log(FC_LOG_DEBUG, __VA_ARGS__)
#define fc_info(...) fc_log(FC_LOG_INFO, __VA_ARGS__)
#define fc_warn(...) fc_log(FC_LOG_WARN, __VA_ARGS__)
#define fc_err(...) fc_log(FC_LOG_ERROR, __VA_ARGS__)

/*
 * Progress of a long stage ("discovery", "ingest"): done of total units and
 * a detail such as "3/8 regions, 12,345 resources".  On a terminal (stderr
 * a TTY, text format) a one-line bar is redrawn in place; otherwise an info
 * line "discovery 42 % (3/8 regions, 12,345 resources)" at most every
 * interval seconds (fc_log_set_progress_interval, default 5), and always
 * when final is set.
 */
void fc_log_progress(const char *what, double done, double total, const char *detail,
                     int final);
void fc_log_set_progress_interval(long seconds);
/* An fc_ingest_result.progress callback: payload is the label. */
void fc_log_progress_rows(void *label, uint64_t bytes, uint64_t total, uint64_t rows);
/* 12345 -> "12,345". */
void fc_log_thousands(char *buf, size_t size, unsigned long long n);

/* Copies url into out with any "user:password@" removed. */
void fc_redact_url(char *out, size_t size, const char *url);

#endif
