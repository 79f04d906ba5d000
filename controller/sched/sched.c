/*
 * sched.c - the pure scheduler: cron parsing, task rules and next_due.
 *
 * Inputs: expressions and times from the Schedule spec or flags, and the
 * instant to look after.  Output: the next due instant (unix seconds).
 * Nothing is kept between calls.
 *
 * Time zones come from the system tz database: for a zone other than UTC,
 * next_due sets TZ, calls tzset and converts with localtime_r/mktime, then
 * restores TZ.  We chose that over parsing TZif files because glibc already
 * implements every zone rule (POSIX TZ footers, leap-free transitions) and
 * the only caller is the run loop's single thread; the HTTP thread never
 * calls in here (it reads times the loop computed).  Calendar walking itself
 * (days, weekdays) is plain arithmetic; only wall time -> instant asks libc.
 */
#include "controller/sched/fc_sched.h"
#include "controller/core/fc_error.h"
#include "controller/core/fc_log.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* ---- cron ---------------------------------------------------------------- */

static const char *const month_names[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                          "jul", "aug", "sep", "oct", "nov", "dec"};
static const char *const day_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

typedef struct {
    const char *name;
    int lo, hi;
    const char *const *names; /* names[i] is value i + name_base */
    int nnames, name_base;
} field_def;

static const field_def fields[5] = {
    {"minute", 0, 59, NULL, 0, 0},
    {"hour", 0, 23, NULL, 0, 0},
    {"day-of-month", 1, 31, NULL, 0, 0},
    {"month", 1, 12, month_names, 12, 1},
    {"day-of-week", 0, 7, day_names, 7, 0},
};

/* A number or (for month/dow) a three-letter name; advances *p. */
static int parse_value(const field_def *f, const char **p, int *out)
{
    const char *s = *p;
    int i;
    if (isdigit((unsigned char)*s)) {
        long v = 0;
        while (isdigit((unsigned char)*s) && v < 1000)
            v = v * 10 + (*s++ - '0');
        *out = (int)v;
        *p = s;
        return 0;
    }
    for (i = 0; i < f->nnames; i++)
        if (strncasecmp(s, f->names[i], 3) == 0 && !isalpha((unsigned char)s[3])) {
            *out = i + f->name_base;
            *p = s + 3;
            return 0;
        }
    return -1;
}

static int field_error(const char *expr, const field_def *f, const char *fmt, const char *item,
                       int a, int b)
{
    char msg[160];
    snprintf(msg, sizeof(msg), fmt, item, a, b);
    return fc_error_set(FC_EINVALID, "cron \"%.100s\": %s: %s", expr, f->name, msg);
}

/* One field "a,b-c,*\/n,d-e/m" of at most 63 chars into a bit set. */
static int parse_field(const char *expr, const field_def *f, const char *text, uint64_t *bits,
                       int *any)
{
    char buf[64];
    char *save = NULL, *item;
    *bits = 0;
    *any = text[0] == '*';
    if (strlen(text) >= sizeof(buf))
        return fc_error_set(FC_EINVALID, "cron \"%.100s\": %s: too long", expr, f->name);
    snprintf(buf, sizeof(buf), "%s", text);
    if (buf[0] == ',' || buf[strlen(buf) - 1] == ',' || strstr(buf, ",,"))
        return field_error(expr, f, "empty list item in \"%s\"", text, 0, 0);
    for (item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        const char *p = item;
        int lo, hi, step = 1, v;
        if (*p == '*') {
            lo = f->lo;
            hi = f->hi == 7 ? 6 : f->hi;
            p++;
        } else {
            if (parse_value(f, &p, &lo) != 0)
                return field_error(expr, f, "\"%s\" is not a number or name", item, 0, 0);
            hi = lo;
            if (*p == '-') {
                p++;
                if (parse_value(f, &p, &hi) != 0)
                    return field_error(expr, f, "\"%s\": bad range end", item, 0, 0);
                if (f->hi == 7 && hi == 0 && lo > 0)
                    hi = 7; /* "sat-sun": Sunday as 7 closes the week */
            } else if (*p == '/') {
                hi = f->hi == 7 ? 6 : f->hi; /* "5/15" = from 5 to the end */
            }
            if (lo < f->lo || lo > f->hi || hi < f->lo || hi > f->hi)
                return fc_error_set(FC_EINVALID, "cron \"%.100s\": %s: %d is out of range %d-%d",
                                    expr, f->name, lo < f->lo || lo > f->hi ? lo : hi, f->lo,
                                    f->hi);
            if (hi < lo)
                return field_error(expr, f, "%s: range %d-%d is backwards", item, lo, hi);
        }
        if (*p == '/') {
            long s = 0;
            p++;
            if (!isdigit((unsigned char)*p))
                return field_error(expr, f, "\"%s\": step must be a number", item, 0, 0);
            while (isdigit((unsigned char)*p) && s < 1000)
                s = s * 10 + (*p++ - '0');
            if (s <= 0 || s > f->hi)
                return field_error(expr, f, "\"%s\": step %d is out of range", item, (int)s, 0);
            step = (int)s;
        }
        if (*p)
            return field_error(expr, f, "unexpected \"%s\"", p, 0, 0);
        for (v = lo; v <= hi; v += step)
            *bits |= (uint64_t)1 << (f->hi == 7 && v == 7 ? 0 : v);
    }
    return FC_OK;
}

int fc_cron_parse(fc_cron *out, const char *expr)
{
    char buf[256];
    char *tok[6];
    char *save = NULL, *t;
    uint64_t bits[5];
    int any[5], n = 0, i, rc;

    memset(out, 0, sizeof(*out));
    if (!expr || strlen(expr) >= sizeof(buf))
        return fc_error_set(FC_EINVALID, "cron: expression missing or too long");
    snprintf(buf, sizeof(buf), "%s", expr);
    for (t = strtok_r(buf, " \t", &save); t && n < 6; t = strtok_r(NULL, " \t", &save))
        tok[n++] = t;
    if (n != 5)
        return fc_error_set(FC_EINVALID,
                            "cron \"%.100s\": expected 5 fields (minute hour day-of-month "
                            "month day-of-week), got %s%d",
                            expr, n > 5 ? "more than " : "", n > 5 ? 5 : n);
    for (i = 0; i < 5; i++)
        if ((rc = parse_field(expr, &fields[i], tok[i], &bits[i], &any[i])) != FC_OK)
            return rc;
    out->minute = bits[0];
    out->hour = (uint32_t)bits[1];
    out->dom = (uint32_t)bits[2];
    out->month = (uint32_t)bits[3];
    out->dow = (uint32_t)bits[4];
    out->dom_any = any[2];
    out->dow_any = any[4];
    return FC_OK;
}

/* ---- rules ----------------------------------------------------------------- */

int fc_sched_tz_valid(const char *tz)
{
    char path[512];
    const char *dir = getenv("TZDIR");
    struct stat st;
    size_t i;
    if (!tz || !*tz || strcmp(tz, "UTC") == 0)
        return 1;
    if (tz[0] == '/' || strstr(tz, "..") || strlen(tz) >= 64)
        return 0;
    for (i = 0; tz[i]; i++)
        if (!isalnum((unsigned char)tz[i]) && !strchr("/_-+", tz[i]))
            return 0;
    snprintf(path, sizeof(path), "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", tz);
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int set_tz(fc_sched_rule *r, const char *tz)
{
    if (!fc_sched_tz_valid(tz))
        return fc_error_set(FC_EINVALID, "timezone \"%.80s\" is not in the tz database",
                            tz ? tz : "");
    snprintf(r->tz, sizeof(r->tz), "%s", tz && strcmp(tz, "UTC") != 0 ? tz : "");
    return FC_OK;
}

int fc_sched_rule_every(fc_sched_rule *r, long seconds)
{
    memset(r, 0, sizeof(*r));
    if (seconds <= 0)
        return fc_error_set(FC_EINVALID, "interval must be positive");
    r->kind = FC_SCHED_EVERY;
    r->every = seconds;
    return FC_OK;
}

static int parse_hhmm(const char *s, int *h, int *m)
{
    if (!s || strlen(s) != 5 || !isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) ||
        s[2] != ':' || !isdigit((unsigned char)s[3]) || !isdigit((unsigned char)s[4]))
        return -1;
    *h = (s[0] - '0') * 10 + s[1] - '0';
    *m = (s[3] - '0') * 10 + s[4] - '0';
    return *h < 24 && *m < 60 ? 0 : -1;
}

int fc_sched_rule_cron(fc_sched_rule *r, const char *expr, const char *tz)
{
    int rc;
    memset(r, 0, sizeof(*r));
    r->kind = FC_SCHED_CRON;
    if ((rc = fc_cron_parse(&r->cron, expr)) != FC_OK)
        return rc;
    return set_tz(r, tz);
}

int fc_sched_rule_daily(fc_sched_rule *r, const char *hhmm, const char *tz)
{
    char expr[32];
    int h, m;
    if (parse_hhmm(hhmm, &h, &m) != 0)
        return fc_error_set(FC_EINVALID, "time: expected HH:MM, got \"%.40s\"",
                            hhmm ? hhmm : "");
    snprintf(expr, sizeof(expr), "%d %d * * *", m, h);
    return fc_sched_rule_cron(r, expr, tz);
}

int fc_sched_rule_weekly(fc_sched_rule *r, const char *weekday, const char *hhmm,
                         const char *tz)
{
    static const char *const full[] = {"sunday",   "monday", "tuesday", "wednesday",
                                       "thursday", "friday", "saturday"};
    char expr[32];
    int h, m, d;
    if (parse_hhmm(hhmm, &h, &m) != 0)
        return fc_error_set(FC_EINVALID, "time: expected HH:MM, got \"%.40s\"",
                            hhmm ? hhmm : "");
    for (d = 0; d < 7 && weekday; d++)
        if (strcasecmp(weekday, day_names[d]) == 0 || strcasecmp(weekday, full[d]) == 0)
            break;
    if (!weekday || d == 7)
        return fc_error_set(FC_EINVALID, "weekday: expected sun..sat, got \"%.40s\"",
                            weekday ? weekday : "");
    snprintf(expr, sizeof(expr), "%d %d * * %d", m, h, d);
    return fc_sched_rule_cron(r, expr, tz);
}

/* ---- next_due -------------------------------------------------------------- */

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    int64_t era, yoe, doy, doe;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    int64_t era, doe, yoe, doy, mp;
    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

typedef struct {
    int utc;
} zone;

static void to_wall(const zone *z, int64_t t, struct tm *tm)
{
    time_t tt = (time_t)t;
    if (z->utc)
        gmtime_r(&tt, tm);
    else
        localtime_r(&tt, tm);
}

/* The earliest instant showing wall time y-m-d h:mi, or -1 when none does
 * (a spring-forward gap). */
static int64_t wall_instant(const zone *z, int y, int m, int d, int h, int mi)
{
    int64_t best = -1;
    int dst;
    if (z->utc)
        return days_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60;
    for (dst = 0; dst <= 1; dst++) {
        struct tm tm, chk;
        time_t t;
        memset(&tm, 0, sizeof(tm));
        tm.tm_year = y - 1900;
        tm.tm_mon = m - 1;
        tm.tm_mday = d;
        tm.tm_hour = h;
        tm.tm_min = mi;
        tm.tm_isdst = dst;
        t = mktime(&tm);
        if (t == (time_t)-1)
            continue;
        to_wall(z, (int64_t)t, &chk);
        if (chk.tm_year == y - 1900 && chk.tm_mon == m - 1 && chk.tm_mday == d &&
            chk.tm_hour == h && chk.tm_min == mi && (best < 0 || (int64_t)t < best))
            best = (int64_t)t;
    }
    return best;
}

/* Where a skipped wall time runs: the first wall minute after it that
 * exists, i.e. the end of the gap. */
static int64_t after_gap(const zone *z, int y, int m, int d, int h, int mi)
{
    int k;
    for (k = 1; k <= 24 * 60; k++) {
        int64_t days = days_from_civil(y, m, d), t;
        int yy, mm, dd, tot = h * 60 + mi + k;
        civil_from_days(days + tot / 1440, &yy, &mm, &dd);
        tot %= 1440;
        if ((t = wall_instant(z, yy, mm, dd, tot / 60, tot % 60)) >= 0)
            return t;
    }
    return -1;
}

static int day_matches(const fc_cron *c, int m, int d, int wday)
{
    int dom_ok = (c->dom >> d) & 1, dow_ok = (c->dow >> wday) & 1;
    if (!((c->month >> m) & 1))
        return 0;
    if (c->dom_any && c->dow_any)
        return 1;
    if (c->dom_any)
        return dow_ok;
    if (c->dow_any)
        return dom_ok;
    return dom_ok || dow_ok; /* both restricted: either one (POSIX cron) */
}

static int64_t cron_next(const fc_cron *c, const zone *z, int64_t after)
{
    struct tm now;
    int64_t day0, k;
    to_wall(z, after, &now);
    day0 = days_from_civil(now.tm_year + 1900, now.tm_mon + 1, now.tm_mday);
    /* Start at the wall minute of `after` (it is <= after, so excluded by
     * the t > after test) and walk wall time forward. */
    for (k = 0; k < 5 * 366 + 2; k++) {
        int y, m, d, h, mi, wday = (int)(((day0 + k) % 7 + 11) % 7); /* 1970-01-01: Thu */
        civil_from_days(day0 + k, &y, &m, &d);
        if (!day_matches(c, m, d, wday))
            continue;
        for (h = k == 0 ? now.tm_hour : 0; h < 24; h++) {
            if (!((c->hour >> h) & 1))
                continue;
            for (mi = (k == 0 && h == now.tm_hour) ? now.tm_min : 0; mi < 60; mi++) {
                int64_t t;
                if (!((c->minute >> mi) & 1))
                    continue;
                t = wall_instant(z, y, m, d, h, mi);
                if (t < 0)
                    t = after_gap(z, y, m, d, h, mi);
                /* A repeated wall time counts at its first occurrence only:
                 * if that is past, so is this one. */
                if (t > after)
                    return t;
            }
        }
    }
    return -1;
}

int64_t fc_sched_next_due(const fc_sched_rule *r, int64_t after)
{
    zone z;
    char saved[256];
    const char *old;
    int had_old;
    int64_t t;

    if (r->kind == FC_SCHED_EVERY)
        return r->every > 0 ? after + r->every : -1;
    z.utc = r->tz[0] == '\0';
    if (z.utc) {
        t = cron_next(&r->cron, &z, after);
    } else {
        if (!fc_sched_tz_valid(r->tz)) {
            fc_error_set(FC_EINVALID, "timezone \"%s\" is not in the tz database", r->tz);
            return -1;
        }
        old = getenv("TZ");
        had_old = old != NULL;
        snprintf(saved, sizeof(saved), "%s", old ? old : "");
        setenv("TZ", r->tz, 1);
        tzset();
        t = cron_next(&r->cron, &z, after);
        if (had_old)
            setenv("TZ", saved, 1);
        else
            unsetenv("TZ");
        tzset();
    }
    if (t < 0)
        fc_error_set(FC_ENOTFOUND, "schedule never matches within 5 years");
    return t;
}

/* ---- Schedule spec ------------------------------------------------------------ */

int fc_sched_task_known(const char *task)
{
    return task && (strcmp(task, "sync") == 0 || strcmp(task, "discovery") == 0 ||
                    strcmp(task, "optimization") == 0 || strcmp(task, "report") == 0);
}

void fc_sched_config_from_spec(fc_sched_config *out, const fc_schedule_spec *s)
{
    unsigned i;
    memset(out, 0, sizeof(*out));
    out->found = 1;
#define COPY(dst, src) snprintf(dst, sizeof(dst), "%s", (src) ? (src) : "")
    COPY(out->interval, s->interval);
    COPY(out->discovery_interval, s->discovery_interval);
    COPY(out->optimization_time, s->optimization_time);
    COPY(out->report_weekday, s->report_day);
    COPY(out->report_time, s->report_time);
    COPY(out->timezone, s->timezone);
    for (i = 0; i < s->ncron; i++) {
        fc_sched_cron_entry *e;
        if (out->ncron == FC_SCHED_CRON_MAX) {
            fc_warn("schedule: more than %d cron entries; the rest are ignored",
                    FC_SCHED_CRON_MAX);
            break;
        }
        e = &out->cron[out->ncron++];
        COPY(e->name, s->cron[i].name);
        COPY(e->schedule, s->cron[i].schedule);
        COPY(e->task, s->cron[i].task ? s->cron[i].task : "sync");
    }
#undef COPY
}
