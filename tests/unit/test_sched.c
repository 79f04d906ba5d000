/*
 * test_sched.c - the pure scheduler: cron parsing (every feature and every
 * field's errors), daily/weekly/interval rules, next_due across DST
 * transitions in Europe/Berlin and America/New_York, and the Schedule
 * spec's cron entries through the loader.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "controller/core/fc_error.h"
#include "controller/core/fc_util.h"
#include "controller/sched/fc_sched.h"
#include "specs/fc_specs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int64_t T(const char *s)
{
    int64_t t = 0;
    assert_int_equal(fc_time_parse(s, &t), 0);
    return t;
}

/* next_due of a cron expression in tz after `after`, formatted. */
static const char *next_cron(const char *expr, const char *tz, const char *after, char *buf)
{
    fc_sched_rule r;
    int64_t n;
    assert_int_equal(fc_sched_rule_cron(&r, expr, tz), FC_OK);
    n = fc_sched_next_due(&r, T(after));
    if (n < 0)
        return "never";
    fc_time_format(buf, 32, n);
    return buf;
}

static const char *next_rule(const fc_sched_rule *r, const char *after, char *buf)
{
    int64_t n = fc_sched_next_due(r, T(after));
    if (n < 0)
        return "never";
    fc_time_format(buf, 32, n);
    return buf;
}

static void test_sched__cron_steps_lists_ranges(void **state)
{
    char b[32];
    (void)state;
    assert_string_equal(next_cron("*/15 * * * *", NULL, "2026-11-20T12:07:30Z", b),
                        "2026-11-20T12:15:00Z");
    /* strictly after: a due time equal to `after` is the next one's */
    assert_string_equal(next_cron("*/15 * * * *", NULL, "2026-11-20T12:15:00Z", b),
                        "2026-11-20T12:30:00Z");
    assert_string_equal(next_cron("5,10-12 3 * * *", NULL, "2026-11-20T03:10:00Z", b),
                        "2026-11-20T03:11:00Z");
    assert_string_equal(next_cron("5,10-12 3 * * *", NULL, "2026-11-20T03:12:00Z", b),
                        "2026-11-21T03:05:00Z");
    assert_string_equal(next_cron("10-40/10 * * * *", NULL, "2026-11-20T12:40:00Z", b),
                        "2026-11-20T13:10:00Z");
    assert_string_equal(next_cron("5/20 * * * *", NULL, "2026-11-20T12:26:00Z", b),
                        "2026-11-20T12:45:00Z");
    assert_string_equal(next_cron("0 0 1 */3 *", NULL, "2026-11-20T12:00:00Z", b),
                        "2027-01-01T00:00:00Z");
    assert_string_equal(next_cron("* * * * *", NULL, "2026-12-31T23:59:59Z", b),
                        "2027-01-01T00:00:00Z");
}

static void test_sched__cron_names_and_sunday(void **state)
{
    char b[32], c[32];
    (void)state;
    /* 2027-01-01 is a Friday */
    assert_string_equal(next_cron("0 9 * jan,JUL mon-fri", NULL, "2026-11-20T12:00:00Z", b),
                        "2027-01-01T09:00:00Z");
    assert_string_equal(next_cron("0 0 * * 0", NULL, "2026-11-20T12:00:00Z", b),
                        "2026-11-22T00:00:00Z");
    assert_string_equal(next_cron("0 0 * * 7", NULL, "2026-11-20T12:00:00Z", c), b);
    assert_string_equal(next_cron("0 0 * * sun", NULL, "2026-11-20T12:00:00Z", c), b);
    assert_string_equal(next_cron("30 6 * * sat-sun", NULL, "2026-11-20T12:00:00Z", b),
                        "2026-11-21T06:30:00Z");
}

static void test_sched__cron_dom_dow_or_rule(void **state)
{
    char b[32];
    (void)state;
    /* both restricted: the 13th or a Friday, whichever comes first */
    assert_string_equal(next_cron("0 0 13 * fri", NULL, "2026-11-20T12:00:00Z", b),
                        "2026-11-27T00:00:00Z");
    assert_string_equal(next_cron("0 0 13 * fri", NULL, "2026-12-11T12:00:00Z", b),
                        "2026-12-13T00:00:00Z");
    /* only day-of-month restricted: weekday ignored */
    assert_string_equal(next_cron("0 0 13 * *", NULL, "2026-11-20T12:00:00Z", b),
                        "2026-12-13T00:00:00Z");
    /* "*\/1" in the dow field still counts as unrestricted */
    assert_string_equal(next_cron("0 0 13 * */1", NULL, "2026-11-20T12:00:00Z", b),
                        "2026-12-13T00:00:00Z");
    assert_string_equal(next_cron("0 0 29 2 *", NULL, "2026-11-20T12:00:00Z", b),
                        "2028-02-29T00:00:00Z");
    assert_string_equal(next_cron("0 0 31 2 *", NULL, "2026-11-20T12:00:00Z", b), "never");
}

static void expect_error(const char *expr, const char *field, const char *detail)
{
    fc_cron c;
    assert_int_equal(fc_cron_parse(&c, expr), FC_EINVALID);
    if (!strstr(fc_error_last(), field) || (detail && !strstr(fc_error_last(), detail)))
        fail_msg("\"%s\": message \"%s\" lacks \"%s\" / \"%s\"", expr, fc_error_last(), field,
                 detail ? detail : "");
}

static void test_sched__cron_errors_name_the_field(void **state)
{
    (void)state;
    expect_error("60 * * * *", "minute", "60 is out of range 0-59");
    expect_error("* 24 * * *", "hour", "24 is out of range 0-23");
    expect_error("* * 0 * *", "day-of-month", "out of range 1-31");
    expect_error("* * 32 * *", "day-of-month", "32");
    expect_error("* * * 13 *", "month", "13 is out of range 1-12");
    expect_error("* * * foo *", "month", "not a number or name");
    expect_error("* * * * 8", "day-of-week", "8 is out of range 0-7");
    expect_error("* * * * funday", "day-of-week", NULL);
    expect_error("* * * *", "expected 5 fields", "got 4");
    expect_error("* * * * * *", "expected 5 fields", NULL);
    expect_error("", "expected 5 fields", "got 0");
    expect_error("*/0 * * * *", "minute", "step");
    expect_error("*/x * * * *", "minute", "step must be a number");
    expect_error("5-1 * * * *", "minute", "backwards");
    expect_error("1,,2 * * * *", "minute", "empty list item");
    expect_error("1- * * * *", "minute", "range end");
    expect_error("1x * * * *", "minute", "unexpected");
}

static void test_sched__daily_weekly_interval(void **state)
{
    fc_sched_rule r;
    char b[32];
    (void)state;
    assert_int_equal(fc_sched_rule_every(&r, 300), FC_OK);
    assert_int_equal(fc_sched_next_due(&r, 1000), 1300);
    assert_int_equal(fc_sched_rule_every(&r, 0), FC_EINVALID);

    assert_int_equal(fc_sched_rule_daily(&r, "02:00", NULL), FC_OK);
    assert_string_equal(next_rule(&r, "2026-11-20T12:00:00Z", b), "2026-11-21T02:00:00Z");
    assert_string_equal(next_rule(&r, "2026-11-20T01:59:59Z", b), "2026-11-20T02:00:00Z");
    assert_int_equal(fc_sched_rule_daily(&r, "24:00", NULL), FC_EINVALID);
    assert_int_equal(fc_sched_rule_daily(&r, "2:00", NULL), FC_EINVALID);

    /* 2026-11-20 is a Friday */
    assert_int_equal(fc_sched_rule_weekly(&r, "mon", "08:00", "UTC"), FC_OK);
    assert_string_equal(next_rule(&r, "2026-11-20T12:00:00Z", b), "2026-11-23T08:00:00Z");
    assert_string_equal(next_rule(&r, "2026-11-23T08:00:00Z", b), "2026-11-30T08:00:00Z");
    assert_int_equal(fc_sched_rule_weekly(&r, "Monday", "08:00", "Europe/Berlin"), FC_OK);
    assert_string_equal(next_rule(&r, "2026-11-20T12:00:00Z", b), "2026-11-23T07:00:00Z");
    assert_int_equal(fc_sched_rule_weekly(&r, "funday", "08:00", NULL), FC_EINVALID);
    assert_non_null(strstr(fc_error_last(), "weekday"));
}

static void test_sched__time_zones(void **state)
{
    fc_sched_rule r;
    (void)state;
    assert_true(fc_sched_tz_valid("UTC"));
    assert_true(fc_sched_tz_valid("Europe/Berlin"));
    assert_false(fc_sched_tz_valid("Mars/Olympus"));
    assert_false(fc_sched_tz_valid("../../etc/passwd"));
    assert_false(fc_sched_tz_valid("/etc/localtime"));
    assert_int_equal(fc_sched_rule_daily(&r, "02:00", "Mars/Olympus"), FC_EINVALID);
    assert_non_null(strstr(fc_error_last(), "Mars/Olympus"));
    /* TZ of the process is restored after a zoned computation */
    setenv("TZ", "Asia/Tokyo", 1);
    assert_int_equal(fc_sched_rule_daily(&r, "02:00", "Europe/Berlin"), FC_OK);
    assert_true(fc_sched_next_due(&r, T("2026-11-20T12:00:00Z")) > 0);
    assert_string_equal(getenv("TZ"), "Asia/Tokyo");
    unsetenv("TZ");
    assert_true(fc_sched_next_due(&r, T("2026-11-20T12:00:00Z")) > 0);
    assert_null(getenv("TZ"));
}

static void test_sched__dst_berlin(void **state)
{
    fc_sched_rule r;
    char b[32];
    (void)state;
    /* 2026-03-29: 02:00 CET jumps to 03:00 CEST (01:00Z).  02:30 does not
     * exist: it runs once, at 03:00 CEST, then 02:30 CEST the next day. */
    assert_int_equal(fc_sched_rule_daily(&r, "02:30", "Europe/Berlin"), FC_OK);
    assert_string_equal(next_rule(&r, "2026-03-28T12:00:00Z", b), "2026-03-29T01:00:00Z");
    assert_string_equal(next_rule(&r, "2026-03-29T01:00:00Z", b), "2026-03-30T00:30:00Z");
    /* 2026-10-25: 03:00 CEST falls back to 02:00 CET (01:00Z).  02:30 is
     * there twice: it runs at the first (CEST), not again at the second. */
    assert_string_equal(next_rule(&r, "2026-10-24T12:00:00Z", b), "2026-10-25T00:30:00Z");
    assert_string_equal(next_rule(&r, "2026-10-25T00:30:00Z", b), "2026-10-26T01:30:00Z");
    assert_string_equal(next_rule(&r, "2026-10-25T01:10:00Z", b), "2026-10-26T01:30:00Z");
    /* hourly across the gap: 01:00 CET, 03:00 CEST, 04:00 CEST */
    assert_int_equal(fc_sched_rule_cron(&r, "0 * * * *", "Europe/Berlin"), FC_OK);
    assert_string_equal(next_rule(&r, "2026-03-28T23:30:00Z", b), "2026-03-29T00:00:00Z");
    assert_string_equal(next_rule(&r, "2026-03-29T00:00:00Z", b), "2026-03-29T01:00:00Z");
    assert_string_equal(next_rule(&r, "2026-03-29T01:00:00Z", b), "2026-03-29T02:00:00Z");
    /* several skipped times coalesce into one run at the end of the gap */
    assert_int_equal(fc_sched_rule_cron(&r, "*/20 2 * * *", "Europe/Berlin"), FC_OK);
    assert_string_equal(next_rule(&r, "2026-03-29T00:30:00Z", b), "2026-03-29T01:00:00Z");
    assert_string_equal(next_rule(&r, "2026-03-29T01:00:00Z", b), "2026-03-30T00:00:00Z");
}

static void test_sched__dst_new_york(void **state)
{
    fc_sched_rule r;
    char b[32];
    (void)state;
    /* 2026-03-08: 02:00 EST jumps to 03:00 EDT (07:00Z) */
    assert_int_equal(fc_sched_rule_daily(&r, "02:15", "America/New_York"), FC_OK);
    assert_string_equal(next_rule(&r, "2026-03-07T12:00:00Z", b), "2026-03-08T07:00:00Z");
    assert_string_equal(next_rule(&r, "2026-03-08T07:00:00Z", b), "2026-03-09T06:15:00Z");
    /* 2026-11-01: 02:00 EDT falls back to 01:00 EST; 01:30 is there twice */
    assert_int_equal(fc_sched_rule_daily(&r, "01:30", "America/New_York"), FC_OK);
    assert_string_equal(next_rule(&r, "2026-10-31T12:00:00Z", b), "2026-11-01T05:30:00Z");
    assert_string_equal(next_rule(&r, "2026-11-01T05:30:00Z", b), "2026-11-02T06:30:00Z");
    /* weekly on the fall-back Sunday */
    assert_int_equal(fc_sched_rule_weekly(&r, "sun", "01:30", "America/New_York"), FC_OK);
    assert_string_equal(next_rule(&r, "2026-10-30T12:00:00Z", b), "2026-11-01T05:30:00Z");
    assert_string_equal(next_rule(&r, "2026-11-01T05:30:00Z", b), "2026-11-08T06:30:00Z");
}

static void test_sched__spec_cron_entries(void **state)
{
    static const char ok[] = "apiVersion: finops.dev/v1alpha1\nkind: Schedule\n"
                             "metadata: {name: default}\n"
                             "spec:\n  timezone: Europe/Berlin\n  cron:\n"
                             "  - {name: nightly, schedule: \"0 3 * * *\", task: discovery}\n"
                             "  - {name: often, schedule: \"*/10 * * * *\"}\n";
    static const char bad[] = "apiVersion: finops.dev/v1alpha1\nkind: Schedule\n"
                              "metadata: {name: bad}\n"
                              "spec:\n  timezone: Mars/Olympus\n  cron:\n"
                              "  - {name: x, schedule: \"* 25 * * *\"}\n"
                              "  - {name: y, schedule: \"* * * * *\", task: dance}\n"
                              "  - {name: y, schedule: \"0 * * * *\"}\n";
    fc_spec_file f = {"finops/schedule.yaml", ok, sizeof(ok) - 1};
    fc_spec_set *set = NULL;
    fc_sched_config cfg;
    char line[512];
    size_t i;
    int hour = 0, task = 0, dup = 0, tz = 0;
    (void)state;

    assert_int_equal(fc_specs_load(&set, &f, 1), FC_OK);
    assert_int_equal(set->nerrors, 0);
    assert_int_equal(set->nobjects, 1);
    fc_sched_config_from_spec(&cfg, set->objects[0].spec.schedule);
    assert_int_equal(cfg.found, 1);
    assert_int_equal(cfg.ncron, 2);
    assert_string_equal(cfg.cron[0].name, "nightly");
    assert_string_equal(cfg.cron[0].task, "discovery");
    assert_string_equal(cfg.cron[1].task, "sync"); /* default */
    assert_string_equal(cfg.timezone, "Europe/Berlin");
    fc_spec_set_free(set);

    f.data = bad;
    f.len = sizeof(bad) - 1;
    set = NULL;
    assert_int_equal(fc_specs_load(&set, &f, 1), FC_OK);
    for (i = 0; i < set->nerrors; i++) {
        fc_spec_error_format(&set->errors[i], line, sizeof(line));
        hour |= strstr(line, "spec.cron[0]") && strstr(line, "hour: 25") != NULL;
        task |= strstr(line, "spec.cron[1]") && strstr(line, "task:") != NULL;
        dup |= strstr(line, "spec.cron[2]") && strstr(line, "duplicate name") != NULL;
        tz |= strstr(line, "spec.timezone") && strstr(line, "Mars/Olympus") != NULL;
    }
    assert_true(hour);
    assert_true(task);
    assert_true(dup);
    assert_true(tz);
    fc_spec_set_free(set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sched__cron_steps_lists_ranges),
        cmocka_unit_test(test_sched__cron_names_and_sunday),
        cmocka_unit_test(test_sched__cron_dom_dow_or_rule),
        cmocka_unit_test(test_sched__cron_errors_name_the_field),
        cmocka_unit_test(test_sched__daily_weekly_interval),
        cmocka_unit_test(test_sched__time_zones),
        cmocka_unit_test(test_sched__dst_berlin),
        cmocka_unit_test(test_sched__dst_new_york),
        cmocka_unit_test(test_sched__spec_cron_entries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
