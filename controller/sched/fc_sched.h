/*
 * fc_sched.h - the scheduler's pure half: 5-field cron expressions, the
 * rules of the controller's tasks (sync, discovery, optimization, report,
 * user cron entries) and next_due(rule, after) in an IANA time zone.
 *
 * Nothing here sleeps or reads a clock: time comes in as a parameter, so
 * every rule is unit-tested (tests/unit/test_sched.c).  The long-running
 * half (wait, wake-ups, one job at a time) is loop.c (fc_loop.h).
 */
#ifndef FC_SCHED_H
#define FC_SCHED_H

#include "specs/fc_specs.h"

#include <stddef.h>
#include <stdint.h>

/* A parsed "minute hour day-of-month month day-of-week" expression: one bit
 * per allowed value.  dow 0 and 7 are Sunday.  The standard rule: when both
 * day fields are restricted, a day matches if either does. */
typedef struct {
    uint64_t minute; /* bits 0-59 */
    uint32_t hour;   /* bits 0-23 */
    uint32_t dom;    /* bits 1-31 */
    uint32_t month;  /* bits 1-12 */
    uint32_t dow;    /* bits 0-6 */
    int dom_any;     /* the field was "*" (or "*\/N") */
    int dow_any;
} fc_cron;

/* Parses expr: lists (1,5), ranges (1-5), steps (*\/15, 10-40/5), names
 * (jan-dec, sun-sat), "@daily"-style macros are not accepted.  FC_EINVALID
 * with a message naming the field ("hour: 24 is out of range 0-23"). */
int fc_cron_parse(fc_cron *out, const char *expr);

typedef enum {
    FC_SCHED_EVERY, /* a fixed interval after the last run */
    FC_SCHED_CRON   /* wall-clock times: daily, weekly and cron rules */
} fc_sched_kind;

typedef struct {
    fc_sched_kind kind;
    long every;      /* seconds (EVERY) */
    fc_cron cron;    /* CRON */
    char tz[64];     /* IANA name; "" or "UTC" = UTC */
} fc_sched_rule;

/* Rules of the built-in tasks.  tz NULL = UTC. */
int fc_sched_rule_every(fc_sched_rule *r, long seconds);
/* "HH:MM" every day. */
int fc_sched_rule_daily(fc_sched_rule *r, const char *hhmm, const char *tz);
/* weekday (sun..sat, or full names) at "HH:MM". */
int fc_sched_rule_weekly(fc_sched_rule *r, const char *weekday, const char *hhmm,
                         const char *tz);
int fc_sched_rule_cron(fc_sched_rule *r, const char *expr, const char *tz);

/* 1 when tz is "UTC" or names a zone of the system tz database (tzdata). */
int fc_sched_tz_valid(const char *tz);

/* The first time strictly after `after` (unix seconds) the rule is due;
 * EVERY: after + every.  A wall time that a spring-forward gap skips runs
 * once, at the first valid instant after the gap; one that a fall-back
 * repeats runs once, at its first occurrence.  -1 (and an fc_error) when
 * nothing matches within 5 years (e.g. "0 0 31 2 *") or the zone is bad. */
int64_t fc_sched_next_due(const fc_sched_rule *r, int64_t after);

/* ---- the Schedule spec, flattened for the run loop ---------------------- */

#define FC_SCHED_CRON_MAX 16

typedef struct {
    char name[64];
    char schedule[128];
    char task[16]; /* sync | discovery | optimization | report */
} fc_sched_cron_entry;

typedef struct {
    int found;                   /* a Schedule spec was read */
    char interval[32];           /* "" = unset */
    char discovery_interval[32];
    char optimization_time[8];
    char report_weekday[16];
    char report_time[8];
    char timezone[64];
    fc_sched_cron_entry cron[FC_SCHED_CRON_MAX];
    size_t ncron;
} fc_sched_config;

/* Copies a (validated) Schedule spec; entries past FC_SCHED_CRON_MAX are
 * dropped with a warning. */
void fc_sched_config_from_spec(fc_sched_config *out, const fc_schedule_spec *s);

/* The task names a cron entry may run. */
int fc_sched_task_known(const char *task);

#endif
