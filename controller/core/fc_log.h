/*
 * fc_log.h - one line per event on stderr, text or JSON.
 *
 * Callers must never pass secrets; URLs go through fc_redact_url() first.
 */
#ifndef FC_LOG_H
#define FC_LOG_H

#include <stddef.h>

typedef enum { FC_LOG_DEBUG, FC_LOG_INFO, FC_LOG_WARN, FC_LOG_ERROR } fc_log_level;

void fc_log_configure(fc_log_level min, int json);
void fc_log(fc_log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define fc_debug(...) fc_log(FC_LOG_DEBUG, __VA_ARGS__)
#define fc_info(...) fc_log(FC_LOG_INFO, __VA_ARGS__)
#define fc_warn(...) fc_log(FC_LOG_WARN, __VA_ARGS__)
#define fc_err(...) fc_log(FC_LOG_ERROR, __VA_ARGS__)

/* Copies url into out with any "user:password@" removed. */
void fc_redact_url(char *out, size_t size, const char *url);

#endif
