/*
 * test_budget.c - budget evaluation: periods, actual spend in scope, the
 * forecast from recent days, and threshold crossing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "controller/cloud/fc_cloud.h"
#include "controller/core/fc_error.h"
#include "controller/core/fc_util.h"
#include "controller/engines/fc_engines.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define A "111111111111"
#define B "222222222222"
#define EC2 "Amazon Elastic Compute Cloud - Compute"
#define S3 "Amazon Simple Storage Service"

static int64_t at(const char *iso)
{
    int64_t t = 0;
    assert_int_equal(fc_time_parse(iso, &t), 0);
    return t;
}

static void near(double got, double want)
{
    if (fabs(got - want) > 1e-6)
        fail_msg("got %.6f, want %.6f", got, want);
}

static fc_object budget_obj(fc_budget_spec *b)
{
    fc_object o;
    memset(&o, 0, sizeof(o));
    o.kind = FC_KIND_BUDGET;
    o.metadata.name = "team-a";
    o.spec.budget = b;
    return o;
}

static fc_budget_spec spec(double amount)
{
    fc_budget_spec b;
    memset(&b, 0, sizeof(b));
    b.amount = amount;
    return b;
}

/* Daily rows of `amount` for [first, last] (dates) of one account/service. */
static void add_days(fc_inventory *inv, const char *account, const char *svc,
                     const char *first, const char *last, double amount)
{
    int64_t d;
    for (d = at(first); d <= at(last); d += FC_DAY)
        assert_int_equal(fc_inventory_add_cost(inv, account, svc, d, amount),
                         FC_OK);
}

static void test_budget__periods(void **state)
{
    int64_t s, e;
    (void)state;

    assert_int_equal(fc_budget_period("monthly", at("2026-11-20T12:00:00Z"), &s, &e),
                     FC_OK);
    assert_true(s == at("2026-11-01") && e == at("2026-12-01"));
    assert_int_equal(fc_budget_period(NULL, at("2026-12-31T23:59:59Z"), &s, &e),
                     FC_OK);
    assert_true(s == at("2026-12-01") && e == at("2027-01-01"));
    assert_int_equal(fc_budget_period("monthly", at("2028-02-10"), &s, &e), FC_OK);
    assert_true(e - s == 29 * FC_DAY);
    assert_int_equal(fc_budget_period("quarterly", at("2026-11-20"), &s, &e),
                     FC_OK);
    assert_true(s == at("2026-10-01") && e == at("2027-01-01"));
    assert_int_equal(fc_budget_period("quarterly", at("2026-01-01"), &s, &e),
                     FC_OK);
    assert_true(s == at("2026-01-01") && e == at("2026-04-01"));
    assert_int_equal(fc_budget_period("quarterly", at("2026-06-30T23:00:00Z"), &s,
                                      &e),
                     FC_OK);
    assert_true(s == at("2026-04-01") && e == at("2026-07-01"));
    assert_int_equal(fc_budget_period("annual", at("2026-11-20"), &s, &e), FC_OK);
    assert_true(s == at("2026-01-01") && e == at("2027-01-01"));
    assert_int_equal(fc_budget_period("weekly", at("2026-11-20"), &s, &e),
                     FC_EINVALID);
}

static void test_budget__actual_and_forecast(void **state)
{
    fc_inventory inv;
    fc_budget_spec b = spec(3000);
    fc_object o = budget_obj(&b);
    fc_budget_eval e;
    (void)state;

    fc_inventory_init(&inv);
    inv.currency = fc_strdup("USD");
    add_days(&inv, A, EC2, "2026-10-25", "2026-11-19", 100);
    assert_int_equal(fc_engine_budget(&e, &o, &inv, at("2026-11-20T12:00:00Z")),
                     FC_OK);
    assert_string_equal(e.name, "team-a");
    assert_string_equal(e.currency, "USD");
    assert_true(e.period_start == at("2026-11-01"));
    assert_true(e.period_end == at("2026-12-01"));
    near(e.amount, 3000);
    near(e.actual, 1900);
    near(e.forecast, 3000);
    near(e.actual_percent, 1900.0 / 30.0);
    near(e.forecast_percent, 100);
    assert_int_equal(e.days_observed, 19);
    assert_int_equal(e.nthresholds, 0);
    fc_budget_eval_dispose(&e);
    assert_null(e.name);
    fc_inventory_dispose(&inv);
}

static void test_budget__forecast_uses_last_seven_days(void **state)
{
    fc_inventory inv;
    fc_budget_spec b = spec(5000);
    fc_object o = budget_obj(&b);
    fc_budget_eval e;
    (void)state;

    fc_inventory_init(&inv);
    add_days(&inv, A, EC2, "2026-11-01", "2026-11-12", 100);
    add_days(&inv, A, EC2, "2026-11-13", "2026-11-19", 200);
    assert_int_equal(fc_engine_budget(&e, &o, &inv, at("2026-11-20T12:00:00Z")),
                     FC_OK);
    near(e.actual, 2600);
    near(e.forecast, 2600 + 200 * 11);
    fc_budget_eval_dispose(&e);

    /* Early in the month: fewer than 7 complete days to average; the row
     * of the running day is spend but not a day's worth. */
    assert_int_equal(fc_engine_budget(&e, &o, &inv, at("2026-11-04T06:00:00Z")),
                     FC_OK);
    near(e.actual, 400);
    near(e.forecast, 300 + 100 * 27);
    assert_int_equal(e.days_observed, 4);
    fc_budget_eval_dispose(&e);
    fc_inventory_dispose(&inv);
}

static void test_budget__lagging_and_partial_days(void **state)
{
    fc_inventory inv;
    fc_budget_spec b = spec(3000);
    fc_object o = budget_obj(&b);
    fc_budget_eval e;
    (void)state;

    /* Data stops two days before the clock: those days are forecast too. */
    fc_inventory_init(&inv);
    add_days(&inv, A, EC2, "2026-11-01", "2026-11-17", 100);
    assert_int_equal(fc_engine_budget(&e, &o, &inv, at("2026-11-20T12:00:00Z")),
                     FC_OK);
    near(e.actual, 1700);
    near(e.forecast, 3000);
    fc_budget_eval_dispose(&e);
    fc_inventory_dispose(&inv);

    /* Today's partial row counts as spend but not in the daily average. */
    fc_inventory_init(&inv);
    add_days(&inv, A, EC2, "2026-11-01", "2026-11-19", 100);
    add_days(&inv, A, EC2, "2026-11-20", "2026-11-20", 30);
    add_days(&inv, A, EC2, "2026-11-21", "2026-11-21", 999); /* future */
    assert_int_equal(fc_engine_budget(&e, &o, &inv, at("2026-11-20T12:00:00Z")),
                     FC_OK);
    near(e.actual, 1930);
    near(e.forecast, 3000);
    assert_int_equal(e.days_observed, 20);
    fc_budget_eval_dispose(&e);
    fc_inventory_dispose(&inv);
}

static void test_budget__scope_filters(void **state)
{
    fc_inventory inv;
    fc_budget_spec b = spec(1000);
    fc_object o = budget_obj(&b);
    fc_budget_eval e;
    char *accounts[1] = {A};
    char *services[1] = {S3};
    (void)state;

    fc_inventory_init(&inv);
    add_days(&inv, A, EC2, "2026-11-01", "2026-11-10", 10);
    add_days(&inv, A, S3, "2026-11-01", "2026-11-10", 1);
    add_days(&inv, B, EC2, "2026-11-01", "2026-11-10", 100);
    add_days(&inv, B, S3, "2026-11-01", "2026-11-10", 1000);
    assert_int_equal(fc_engine_budget(&e, &o, &inv, at("2026-11-11")), FC_OK);
    near(e.actual, 11110);
    fc_budget_eval_dispose(&e);

    b.scope.accounts = accounts;
    b.scope.naccounts = 1;
    assert_int_equal(fc_engine_budget(&e, &o, &inv, at("2026-11-11")), FC_OK);
    near(e.actual, 110);
    fc_budget_eval_dispose(&e);

    b.scope.services = services;
    b.scope.nservices = 1;
    assert_int_equal(fc_engine_budget(&e, &o, &inv, at("2026-11-11")), FC_OK);
    near(e.actual, 10);
    near(e.forecast, 30);
    fc_budget_eval_dispose(&e);
    fc_inventory_dispose(&inv);
}

static void test_budget__thresholds_cross_at_their_percent(void **state)
{
    fc_inventory inv;
    fc_budget_spec b = spec(2375);
    fc_object o = budget_obj(&b);
    fc_budget_eval e;
    fc_budget_threshold th[4] = {
        {80, "actual"}, {90, NULL}, {100, "forecast"}, {130, "forecast"}};
    (void)state;

    b.thresholds = th;
    b.nthresholds = 4;
    b.currency = "EUR";
    fc_inventory_init(&inv);
    add_days(&inv, A, EC2, "2026-11-01", "2026-11-19", 100);
    assert_int_equal(fc_engine_budget(&e, &o, &inv, at("2026-11-20T12:00:00Z")),
                     FC_OK);
    near(e.actual_percent, 80);
    near(e.forecast_percent, 3000.0 / 2375.0 * 100.0);
    assert_string_equal(e.currency, "EUR");
    assert_int_equal(e.nthresholds, 4);
    assert_string_equal(e.thresholds[0].type, "actual");
    assert_true(e.thresholds[0].crossed);          /* 80% >= 80% */
    near(e.thresholds[0].percent, 80);
    assert_string_equal(e.thresholds[1].type, "actual");
    assert_false(e.thresholds[1].crossed);         /* 80% < 90% */
    assert_string_equal(e.thresholds[2].type, "forecast");
    assert_true(e.thresholds[2].crossed);          /* 126% >= 100% */
    assert_false(e.thresholds[3].crossed);         /* 126% < 130% */
    fc_budget_eval_dispose(&e);
    fc_inventory_dispose(&inv);
}

static void test_budget__no_data(void **state)
{
    fc_inventory inv;
    fc_budget_spec b = spec(100);
    fc_object o = budget_obj(&b);
    fc_budget_eval e;
    fc_budget_threshold th[1] = {{50, "forecast"}};
    (void)state;

    b.thresholds = th;
    b.nthresholds = 1;
    fc_inventory_init(&inv);
    assert_int_equal(fc_engine_budget(&e, &o, &inv, at("2026-11-20")), FC_OK);
    near(e.actual, 0);
    near(e.forecast, 0);
    assert_int_equal(e.days_observed, 0);
    assert_false(e.thresholds[0].crossed);
    assert_string_equal(e.currency, "USD");
    fc_budget_eval_dispose(&e);
    fc_inventory_dispose(&inv);
}

static void test_budget__rejects_bad_input(void **state)
{
    fc_inventory inv;
    fc_budget_spec b = spec(0);
    fc_object o = budget_obj(&b);
    fc_budget_eval e;
    (void)state;

    fc_inventory_init(&inv);
    assert_int_equal(fc_engine_budget(&e, &o, &inv, at("2026-11-20")),
                     FC_EINVALID);
    b.amount = 10;
    b.period = "fortnightly";
    assert_int_equal(fc_engine_budget(&e, &o, &inv, at("2026-11-20")),
                     FC_EINVALID);
    assert_non_null(strstr(fc_error_last(), "fortnightly"));
    b.period = "quarterly";
    o.kind = FC_KIND_POLICY;
    assert_int_equal(fc_engine_budget(&e, &o, &inv, at("2026-11-20")),
                     FC_EINVALID);
    assert_int_equal(fc_engine_budget(&e, NULL, &inv, at("2026-11-20")),
                     FC_EINVALID);
    fc_budget_eval_dispose(&e); /* safe after a failure */
}

static void test_budget__shipped_estate(void **state)
{
    const char *src = getenv("FC_SOURCE_DIR");
    char *estate = fc_asprintf("%s/examples/sim/estate.yaml", src ? src : ".");
    fc_cloud *c = NULL;
    fc_inventory inv;
    fc_discovery_scope s;
    fc_budget_spec b = spec(4500);
    fc_object o = budget_obj(&b);
    fc_budget_eval e;
    char *accounts[1] = {"402918374651"};
    fc_budget_threshold th[2] = {{80, "actual"}, {100, "forecast"}};
    (void)state;

    b.scope.accounts = accounts;
    b.scope.naccounts = 1;
    b.thresholds = th;
    b.nthresholds = 2;
    assert_int_equal(fc_sim_open(&c, estate), FC_OK);
    memset(&s, 0, sizeof(s));
    s.now = at("2026-11-20T12:00:00Z");
    s.cost_days = 60;
    fc_inventory_init(&inv);
    assert_int_equal(fc_cloud_discover(c, &s, &inv), FC_OK);
    assert_int_equal(fc_engine_budget(&e, &o, &inv, s.now), FC_OK);
    printf("  acme-prod Nov 2026 @2026-11-20T12:00:00Z: actual %.2f (%.1f%%), "
           "forecast %.2f (%.1f%%) of %.2f\n",
           e.actual, e.actual_percent, e.forecast, e.forecast_percent, e.amount);
    assert_int_equal(e.days_observed, 19);
    assert_true(e.actual > 2000 && e.actual < 4500);
    assert_true(e.forecast > e.actual);
    fc_budget_eval_dispose(&e);
    fc_inventory_dispose(&inv);
    fc_cloud_free(c);
    free(estate);
}

/* ---- forecast methods -------------------------------------------------- */

/* Weekdays `wd`, Saturdays and Sundays `we`, for [first, last]. */
static void add_weekly(fc_inventory *inv, const char *first, const char *last,
                       double wd, double we)
{
    int64_t d;
    for (d = at(first); d <= at(last); d += FC_DAY) {
        int w = (int)(((d / FC_DAY) + 3) % 7); /* Mon = 0 */
        assert_int_equal(fc_inventory_add_cost(inv, A, EC2, d, w >= 5 ? we : wd),
                         FC_OK);
    }
}

static void test_budget__forecast_flat_series(void **state)
{
    fc_inventory inv;
    fc_budget_spec b = spec(3000);
    fc_object o = budget_obj(&b);
    fc_budget_eval e;
    int w;
    (void)state;

    /* 8 weeks of a flat 100/day: seasonal method, every factor exactly 1. */
    fc_inventory_init(&inv);
    add_days(&inv, A, EC2, "2026-09-25", "2026-11-19", 100);
    assert_int_equal(fc_engine_budget(&e, &o, &inv, at("2026-11-20T12:00:00Z")),
                     FC_OK);
    assert_string_equal(e.fc.method, "weekday-seasonal");
    assert_int_equal(e.fc.weeks, 8);
    assert_int_equal(e.fc.history_days, 56);
    assert_int_equal(e.fc.remaining_days, 11);
    assert_true(e.fc.last_complete_day == at("2026-11-19"));
    for (w = 0; w < 7; w++)
        near(e.fc.weekday_factors[w], 1.0);
    near(e.fc.daily_rate, 100);
    near(e.actual, 1900);
    near(e.forecast, 3000);
    fc_budget_eval_dispose(&e);
    fc_inventory_dispose(&inv);
}

static void test_budget__forecast_weekly_seasonal(void **state)
{
    fc_inventory inv;
    fc_budget_spec b = spec(2000);
    fc_object o = budget_obj(&b);
    fc_budget_eval e;
    (void)state;

    /* Weekdays 100, weekends 30: mean 80, factors 1.25 and 0.375.  Nov
     * 2026 starts on a Sunday: Nov 1-19 hold 14 weekdays and 5 weekend
     * days (1550); Nov 20-30 hold 7 weekdays and 4 weekend days (820). */
    fc_inventory_init(&inv);
    add_weekly(&inv, "2026-09-25", "2026-11-19", 100, 30);
    assert_int_equal(fc_engine_budget(&e, &o, &inv, at("2026-11-20T12:00:00Z")),
                     FC_OK);
    assert_string_equal(e.fc.method, "weekday-seasonal");
    assert_int_equal(e.fc.weeks, 8);
    near(e.fc.weekday_factors[0], 1.25);
    near(e.fc.weekday_factors[4], 1.25);
    near(e.fc.weekday_factors[5], 0.375);
    near(e.fc.weekday_factors[6], 0.375);
    near(e.fc.daily_rate, 80);
    near(e.actual, 1550);
    near(e.forecast, 1550 + 820);
    fc_budget_eval_dispose(&e);
    fc_inventory_dispose(&inv);

    /* Exactly 4 weeks still seasonal ... */
    fc_inventory_init(&inv);
    add_weekly(&inv, "2026-10-23", "2026-11-19", 100, 30);
    assert_int_equal(fc_engine_budget(&e, &o, &inv, at("2026-11-20T12:00:00Z")),
                     FC_OK);
    assert_int_equal(e.fc.weeks, 4);
    near(e.forecast, 2370);
    fc_budget_eval_dispose(&e);
    fc_inventory_dispose(&inv);

    /* ... 27 days fall back to the flat rate: last 7 days' mean (80) x 11. */
    fc_inventory_init(&inv);
    add_weekly(&inv, "2026-10-24", "2026-11-19", 100, 30);
    assert_int_equal(fc_engine_budget(&e, &o, &inv, at("2026-11-20T12:00:00Z")),
                     FC_OK);
    assert_string_equal(e.fc.method, "flat-run-rate");
    assert_int_equal(e.fc.weeks, 0);
    assert_int_equal(e.fc.history_days, 27);
    near(e.fc.weekday_factors[5], 1.0);
    near(e.fc.daily_rate, 80);
    near(e.forecast, 1550 + 80 * 11);
    fc_budget_eval_dispose(&e);
    fc_inventory_dispose(&inv);
}

static void test_budget__forecast_trending(void **state)
{
    fc_inventory inv;
    fc_budget_spec b = spec(5000);
    fc_object o = budget_obj(&b);
    fc_budget_eval e;
    int i;
    (void)state;

    /* Nov i costs 10 i: actual 1900; run rate = mean of Nov 13-19 = 160;
     * the trend is not extrapolated. */
    fc_inventory_init(&inv);
    for (i = 1; i <= 19; i++)
        assert_int_equal(fc_inventory_add_cost(&inv, A, EC2,
                                               at("2026-11-01") + (i - 1) * FC_DAY,
                                               10.0 * i),
                         FC_OK);
    assert_int_equal(fc_engine_budget(&e, &o, &inv, at("2026-11-20T12:00:00Z")),
                     FC_OK);
    assert_string_equal(e.fc.method, "flat-run-rate");
    near(e.fc.daily_rate, 160);
    near(e.actual, 1900);
    near(e.forecast, 1900 + 160 * 11);
    fc_budget_eval_dispose(&e);

    /* No complete day yet: nothing to project from. */
    assert_int_equal(fc_engine_budget(&e, &o, &inv, at("2026-10-15")), FC_OK);
    assert_string_equal(e.fc.method, "none");
    near(e.forecast, 0);
    fc_budget_eval_dispose(&e);
    fc_inventory_dispose(&inv);
}

/* ---- periods ----------------------------------------------------------- */

static void test_budget__quarter_and_year_boundaries(void **state)
{
    fc_inventory inv;
    fc_budget_spec b = spec(10000);
    fc_object o = budget_obj(&b);
    fc_budget_eval e;
    (void)state;

    fc_inventory_init(&inv);
    add_days(&inv, A, EC2, "2026-01-01", "2026-12-31", 10);

    /* First hours of Q4: no complete day in the quarter; the 8 weeks of
     * Q3 history project all 92 days. */
    b.period = "quarterly";
    assert_int_equal(fc_engine_budget(&e, &o, &inv, at("2026-10-01T06:00:00Z")),
                     FC_OK);
    assert_true(e.period_start == at("2026-10-01") && e.period_end == at("2027-01-01"));
    near(e.actual, 10); /* the running day's row is spend, not history */
    assert_int_equal(e.fc.remaining_days, 92);
    near(e.forecast, 920);
    fc_budget_eval_dispose(&e);
    /* Last day of Q1 (Jan-Mar 2026: 90 days). */
    assert_int_equal(fc_engine_budget(&e, &o, &inv, at("2026-03-31T12:00:00Z")),
                     FC_OK);
    assert_true(e.period_start == at("2026-01-01") && e.period_end == at("2026-04-01"));
    near(e.actual, 900);
    near(e.forecast, 900);
    fc_budget_eval_dispose(&e);

    b.period = "annual";
    assert_int_equal(fc_engine_budget(&e, &o, &inv, at("2026-12-31T12:00:00Z")),
                     FC_OK);
    assert_true(e.period_start == at("2026-01-01") && e.period_end == at("2027-01-01"));
    near(e.actual, 3650);
    near(e.forecast, 3650);
    assert_int_equal(e.days_observed, 365);
    fc_budget_eval_dispose(&e);
    /* New year at midnight: last year's run rate over 365 days. */
    assert_int_equal(fc_engine_budget(&e, &o, &inv, at("2027-01-01T00:00:00Z")),
                     FC_OK);
    assert_true(e.period_start == at("2027-01-01") && e.period_end == at("2028-01-01"));
    near(e.actual, 0);
    near(e.forecast, 3650);
    fc_budget_eval_dispose(&e);
    fc_inventory_dispose(&inv);
}

/* ---- hierarchy --------------------------------------------------------- */

static fc_object named_budget(fc_budget_spec *b, const char *name, const char *parent)
{
    fc_object o = budget_obj(b);
    o.metadata.name = (char *)name;
    b->parent = (char *)parent;
    return o;
}

static void test_budget__hierarchy_rolls_up_without_double_counting(void **state)
{
    fc_inventory inv;
    fc_budget_spec org = spec(20000), team = spec(500), s3 = spec(50), ec2 = spec(2000);
    fc_object objs[4];
    fc_spec_set set;
    fc_budget_eval e;
    char *acct_a[1] = {A};
    char *svc_s3[1] = {S3};
    char *svc_ec2[1] = {EC2};
    (void)state;

    /* Per day: A/EC2 10, A/S3 1, B/EC2 100, B/S3 1000. */
    fc_inventory_init(&inv);
    add_days(&inv, A, EC2, "2026-11-01", "2026-11-10", 10);
    add_days(&inv, A, S3, "2026-11-01", "2026-11-10", 1);
    add_days(&inv, B, EC2, "2026-11-01", "2026-11-10", 100);
    add_days(&inv, B, S3, "2026-11-01", "2026-11-10", 1000);
    team.scope.accounts = acct_a;            /* A, any service */
    team.scope.naccounts = 1;
    s3.scope.accounts = acct_a;              /* A/S3, inside its parent */
    s3.scope.naccounts = 1;
    s3.scope.services = svc_s3;
    s3.scope.nservices = 1;
    ec2.scope.services = svc_ec2;            /* EC2 anywhere: overlaps team on A/EC2 */
    ec2.scope.nservices = 1;
    objs[0] = named_budget(&ec2, "ec2", "org");
    objs[1] = named_budget(&org, "org", NULL);
    objs[2] = named_budget(&team, "team", "org");
    objs[3] = named_budget(&s3, "team-s3", "team");
    memset(&set, 0, sizeof(set));
    set.objects = objs;
    set.nobjects = 4;

    assert_int_equal(fc_engine_budget_tree(&e, &set, &objs[2], &inv, at("2026-11-11")),
                     FC_OK);
    near(e.own, 100);
    near(e.children, 10);
    near(e.actual, 110);
    near(e.overlap, 0);
    fc_budget_eval_dispose(&e);

    /* org: children = (A, any) ∪ (any, EC2) = 111/day once, though their totals sum
     * to 121/day; own = what no child claims (B/S3). */
    assert_int_equal(fc_engine_budget_tree(&e, &set, &objs[1], &inv, at("2026-11-11")),
                     FC_OK);
    near(e.children, 1110);
    near(e.overlap, 100);
    near(e.own, 10000);
    near(e.actual, 11110);  /* every row exactly once */
    near(e.actual, e.own + e.children);
    near(e.forecast, 11110.0 / 10 * 30);
    fc_budget_eval_dispose(&e);

    /* A parent whose own scope is disjoint from its child's: both add up. */
    org.scope.services = svc_s3;
    org.scope.nservices = 1;
    set.objects = objs;
    set.nobjects = 3; /* org, ec2, team; team-s3 gone */
    objs[0] = named_budget(&ec2, "ec2", "org");
    assert_int_equal(fc_engine_budget_tree(&e, &set, &objs[1], &inv, at("2026-11-11")),
                     FC_OK);
    near(e.children, 1110);
    near(e.own, 10000);     /* B/S3: in org's scope, claimed by no child */
    near(e.actual, 11110);
    fc_budget_eval_dispose(&e);

    /* Alone, a budget has no children. */
    assert_int_equal(fc_engine_budget(&e, &objs[1], &inv, at("2026-11-11")), FC_OK);
    near(e.own, 10010);
    near(e.children, 0);
    fc_budget_eval_dispose(&e);
    fc_inventory_dispose(&inv);
}

/* The children index gives the scan's answers, field by field, for every
 * node of a three-level tree with overlapping and unjudgeable scopes. */
static void test_budget__kids_index_matches_the_scan(void **state)
{
    fc_inventory inv;
    fc_budget_spec org = spec(20000), team = spec(500), s3 = spec(50), ec2 = spec(2000),
                   reg = spec(100);
    fc_object objs[5];
    fc_spec_set set;
    fc_budget_kids *kids = NULL;
    fc_budget_eval e, f;
    const size_t *idx;
    char *acct_a[1] = {A};
    char *svc_s3[1] = {S3};
    char *svc_ec2[1] = {EC2};
    char *eu[1] = {"eu-west-1"};
    size_t i;
    (void)state;

    fc_inventory_init(&inv);
    add_days(&inv, A, EC2, "2026-11-01", "2026-11-10", 10);
    add_days(&inv, A, S3, "2026-11-01", "2026-11-10", 1);
    add_days(&inv, B, EC2, "2026-11-01", "2026-11-10", 100);
    add_days(&inv, B, S3, "2026-11-01", "2026-11-10", 1000);
    team.scope.accounts = acct_a;
    team.scope.naccounts = 1;
    s3.scope.accounts = acct_a;
    s3.scope.naccounts = 1;
    s3.scope.services = svc_s3;
    s3.scope.nservices = 1;
    ec2.scope.services = svc_ec2;
    ec2.scope.nservices = 1;
    reg.scope.regions = eu;                   /* rows carry no region */
    reg.scope.nregions = 1;
    /* Sorted by name, as the loader keeps them. */
    objs[0] = named_budget(&ec2, "ec2", "org");
    objs[1] = named_budget(&org, "org", NULL);
    objs[2] = named_budget(&reg, "regional", "team");
    objs[3] = named_budget(&team, "team", "org");
    objs[4] = named_budget(&s3, "team-s3", "team");
    memset(&set, 0, sizeof(set));
    set.objects = objs;
    set.nobjects = 5;
    assert_int_equal(fc_budget_kids_new(&kids, &set), FC_OK);
    assert_int_equal(fc_budget_kids_of(kids, &set, &objs[1], &idx), 2);
    assert_int_equal(idx[0], 0);
    assert_int_equal(idx[1], 3);
    assert_int_equal(fc_budget_kids_of(kids, &set, &objs[3], &idx), 2);
    assert_int_equal(idx[0], 2);
    assert_int_equal(idx[1], 4);
    assert_int_equal(fc_budget_kids_of(kids, &set, &objs[4], &idx), 0);

    for (i = 0; i < 5; i++) {
        assert_int_equal(fc_engine_budget_tree(&e, &set, &objs[i], &inv, at("2026-11-11")),
                         FC_OK);
        assert_int_equal(
            fc_engine_budget_tree_kids(&f, &set, kids, &objs[i], &inv, at("2026-11-11")),
            FC_OK);
        assert_true(e.own == f.own && e.children == f.children && e.actual == f.actual);
        assert_true(e.overlap == f.overlap && e.forecast == f.forecast);
        assert_int_equal(e.unevaluable, f.unevaluable);
        assert_int_equal(e.rows_left_out, f.rows_left_out);
        if (i == 3) {                     /* team: a child it cannot judge */
            assert_int_equal(f.unevaluable, FC_BUDGET_NO_REGION);
            near(f.actual, 110);
        }
        fc_budget_eval_dispose(&e);
        fc_budget_eval_dispose(&f);
    }
    fc_budget_kids_free(kids);
    fc_inventory_dispose(&inv);
}

static void test_budget__tag_scope_is_not_guessed(void **state)
{
    fc_inventory inv;
    fc_budget_spec b = spec(10);
    fc_object o = budget_obj(&b);
    fc_budget_eval e;
    fc_kv tags[1] = {{"team", "a"}};
    char *regions[1] = {"eu-west-1"};
    fc_budget_threshold th[1] = {{1, "actual"}};
    (void)state;

    fc_inventory_init(&inv);
    add_days(&inv, A, EC2, "2026-11-01", "2026-11-10", 10);
    b.thresholds = th;
    b.nthresholds = 1;
    b.scope.tags = tags;
    b.scope.ntags = 1;
    assert_int_equal(fc_engine_budget(&e, &o, &inv, at("2026-11-11")), FC_OK);
    assert_int_equal(e.unevaluable, FC_BUDGET_NO_TAGS);
    assert_int_equal(e.rows_left_out, 10);
    near(e.actual, 0);
    assert_false(e.thresholds[0].crossed);
    fc_budget_eval_dispose(&e);

    b.scope.ntags = 0;
    b.scope.regions = regions;
    b.scope.nregions = 1;
    assert_int_equal(fc_engine_budget(&e, &o, &inv, at("2026-11-11")), FC_OK);
    assert_int_equal(e.unevaluable, FC_BUDGET_NO_REGION);
    fc_budget_eval_dispose(&e);
    fc_inventory_dispose(&inv);
}

static void add_row(fc_inventory *inv, const char *day, const char *region,
                    const char *resource, double amount)
{
    fc_cost_row r;
    memset(&r, 0, sizeof(r));
    r.account = A;
    r.service = EC2;
    r.day = at(day);
    r.amount = amount;
    r.region = (char *)region;
    r.resource_id = (char *)resource;
    assert_int_equal(fc_inventory_add_cost_ex(inv, &r), FC_OK);
}

static void test_budget__region_and_tag_scope_on_resource_rows(void **state)
{
    fc_inventory inv;
    fc_budget_spec b = spec(100);
    fc_object o = budget_obj(&b);
    fc_budget_eval e;
    fc_resource r;
    fc_tag rtags[1] = {{"team", "a"}};
    fc_kv tags[1] = {{"team", "a"}};
    char *regions[1] = {"eu-west-1"};
    (void)state;

    fc_inventory_init(&inv);
    memset(&r, 0, sizeof(r));
    r.type = FC_RES_EC2_INSTANCE;
    r.id = "i-1";
    r.account = A;
    r.region = "eu-west-1";
    r.tags = rtags;
    r.ntags = 1;
    assert_int_equal(fc_inventory_add_resource(&inv, &r), FC_OK);
    add_row(&inv, "2026-11-01", "eu-west-1", "i-1", 1);
    add_row(&inv, "2026-11-01", "eu-west-1", "arn:aws:ec2:eu-west-1:" A ":instance/i-1", 2);
    add_row(&inv, "2026-11-01", "us-east-1", "i-2", 4);  /* i-2 is gone */
    add_row(&inv, "2026-11-01", "", NULL, 8);            /* a global charge */

    b.scope.regions = regions;
    b.scope.nregions = 1;
    assert_int_equal(fc_engine_budget(&e, &o, &inv, at("2026-11-02")), FC_OK);
    assert_int_equal(e.unevaluable, 0);
    near(e.actual, 3);
    fc_budget_eval_dispose(&e);

    b.scope.nregions = 0;
    b.scope.tags = tags;
    b.scope.ntags = 1;
    /* The global charge names no resource: tags cannot be judged. */
    assert_int_equal(fc_engine_budget(&e, &o, &inv, at("2026-11-02")), FC_OK);
    assert_int_equal(e.unevaluable, FC_BUDGET_NO_TAGS);
    assert_int_equal(e.rows_left_out, 1);
    near(e.actual, 3);
    fc_budget_eval_dispose(&e);
    fc_inventory_dispose(&inv);
}

/* ---- shared windows ---------------------------------------------------- */

/* Every field, exactly: sharing must not move a single bit. */
static void same_eval(const fc_budget_eval *e, const fc_budget_eval *f)
{
    size_t i;
    int w;

    assert_string_equal(e->name, f->name);
    assert_string_equal(e->currency, f->currency);
    assert_true(e->period_start == f->period_start && e->period_end == f->period_end);
    assert_true(e->amount == f->amount && e->actual == f->actual);
    assert_true(e->forecast == f->forecast && e->actual_percent == f->actual_percent);
    assert_true(e->forecast_percent == f->forecast_percent);
    assert_true(e->own == f->own && e->children == f->children && e->overlap == f->overlap);
    assert_int_equal(e->days_observed, f->days_observed);
    assert_int_equal(e->unevaluable, f->unevaluable);
    assert_int_equal(e->rows_left_out, f->rows_left_out);
    assert_string_equal(e->fc.method, f->fc.method);
    assert_true(e->fc.daily_rate == f->fc.daily_rate);
    assert_int_equal(e->fc.history_days, f->fc.history_days);
    assert_int_equal(e->fc.weeks, f->fc.weeks);
    assert_int_equal(e->fc.remaining_days, f->fc.remaining_days);
    assert_true(e->fc.last_complete_day == f->fc.last_complete_day);
    for (w = 0; w < 7; w++)
        assert_true(e->fc.weekday_factors[w] == f->fc.weekday_factors[w]);
    assert_int_equal(e->nthresholds, f->nthresholds);
    for (i = 0; i < e->nthresholds; i++) {
        assert_string_equal(e->thresholds[i].type, f->thresholds[i].type);
        assert_true(e->thresholds[i].percent == f->thresholds[i].percent);
        assert_int_equal(e->thresholds[i].crossed, f->thresholds[i].crossed);
    }
}

static void cost_row(fc_inventory *inv, const char *account, const char *svc, int64_t day,
                     const char *region, const char *resource, double amount)
{
    fc_cost_row r;
    memset(&r, 0, sizeof(r));
    r.account = (char *)account;
    r.service = (char *)svc;
    r.day = day;
    r.amount = amount;
    r.region = (char *)region;
    r.resource_id = (char *)resource;
    assert_int_equal(fc_inventory_add_cost_ex(inv, &r), FC_OK);
}

/* Evaluates every Budget of set at now through kids (shared windows) and
 * without (each its own), and compares; *sum gathers the totals so the
 * caller can tell the data was seen at all. */
static void shared_matches_unshared(const fc_spec_set *set, const fc_budget_kids *kids,
                                    const fc_inventory *inv, int64_t now, double *sum,
                                    int *unevaluable)
{
    fc_budget_eval e, f;
    const size_t *idx;
    size_t i;

    for (i = 0; i < set->nobjects; i++) {
        const fc_object *o = &set->objects[i];
        assert_int_equal(fc_engine_budget_tree(&e, set, o, inv, now), FC_OK);
        assert_int_equal(fc_engine_budget_tree_kids(&f, set, kids, o, inv, now), FC_OK);
        same_eval(&e, &f);
        *sum += f.actual;
        *unevaluable |= f.unevaluable;
        if (fc_budget_kids_of(kids, set, o, &idx) == 0) {
            fc_budget_eval_dispose(&e);
            /* A leaf alone is the same Budget. */
            assert_int_equal(fc_engine_budget(&e, o, inv, now), FC_OK);
            same_eval(&e, &f);
        }
        fc_budget_eval_dispose(&e);
        fc_budget_eval_dispose(&f);
    }
}

/* Budgets of three periods, account, service, region and tag scopes, a
 * tree three levels deep and rows with and without region or resource:
 * each evaluation through the kids index (whose windows the Budgets of a
 * period share) gives what it gives alone, at several clocks in turn and
 * after rows are appended. */
static void test_budget__shared_windows_match_each_alone(void **state)
{
    fc_inventory inv;
    fc_resource r1, r2;
    fc_tag t1[1] = {{"team", "a"}}, t2[1] = {{"team", "b"}};
    fc_kv tag_a[1] = {{"team", "a"}}, tag_b[1] = {{"team", "b"}};
    char *acct_a[1] = {A}, *svc_ec2[1] = {EC2}, *eu[1] = {"eu-west-1"};
    fc_budget_threshold th[2] = {{50, "actual"}, {90, "forecast"}};
    fc_budget_spec org = spec(90000), acct = spec(20000), ec2 = spec(5000),
                   tags = spec(3000), region = spec(40000), alone = spec(700);
    fc_object objs[6];
    fc_spec_set set;
    fc_budget_kids *kids = NULL;
    const int64_t nows[4] = {at("2026-11-11T06:00:00Z"), at("2026-12-02T00:00:00Z"),
                             at("2027-01-01T13:00:00Z"), at("2026-11-11T06:00:00Z")};
    double sum = 0;
    int64_t d;
    int unevaluable = 0, k;
    (void)state;

    fc_inventory_init(&inv);
    inv.currency = fc_strdup("USD");
    memset(&r1, 0, sizeof(r1));
    r1.type = FC_RES_EC2_INSTANCE;
    r1.id = "i-1";
    r1.account = A;
    r1.region = "eu-west-1";
    r1.tags = t1;
    r1.ntags = 1;
    r2 = r1;
    r2.id = "i-2";
    r2.account = B;
    r2.region = "us-east-1";
    r2.tags = t2;
    assert_int_equal(fc_inventory_add_resource(&inv, &r1), FC_OK);
    assert_int_equal(fc_inventory_add_resource(&inv, &r2), FC_OK);
    /* Amounts that do not add up exactly, so any change of order shows. */
    for (d = at("2026-08-20"), k = 0; d <= at("2026-12-31"); d += FC_DAY, k++) {
        cost_row(&inv, A, EC2, d, NULL, NULL, 10.1 + 0.37 * (k % 7));
        cost_row(&inv, B, S3, d, NULL, NULL, 3.3 + 0.01 * k);
        cost_row(&inv, A, EC2, d, "eu-west-1", "i-1", 1.7 + 0.1 * (k % 5));
        cost_row(&inv, A, EC2, d, "eu-west-1", "arn:aws:ec2:eu-west-1:" A ":instance/i-1",
                 0.3);
        cost_row(&inv, B, EC2, d, "us-east-1", "i-2", 2.9 + 0.03 * (k % 11));
        cost_row(&inv, B, EC2, d, "us-east-1", "i-3", 0.7); /* i-3 is gone */
        if (k % 3 == 0)
            cost_row(&inv, A, S3, d, "", NULL, 0.11 * k); /* a global charge */
    }

    acct.scope.accounts = acct_a;
    acct.scope.naccounts = 1;
    ec2.scope.services = svc_ec2;
    ec2.scope.nservices = 1;
    ec2.period = "quarterly";
    tags.scope.tags = tag_a;
    tags.scope.ntags = 1;
    tags.period = "quarterly";
    tags.thresholds = th;
    tags.nthresholds = 2;
    region.scope.regions = eu;
    region.scope.nregions = 1;
    region.period = "annual";
    alone.scope.tags = tag_b;
    alone.scope.ntags = 1;
    alone.thresholds = th;
    alone.nthresholds = 2;
    org.thresholds = th;
    org.nthresholds = 2;
    objs[0] = named_budget(&acct, "acct-a", "org");
    objs[1] = named_budget(&alone, "alone", NULL);
    objs[2] = named_budget(&ec2, "ec2", "acct-a");
    objs[3] = named_budget(&org, "org", NULL);
    objs[4] = named_budget(&region, "region-eu", "org");
    objs[5] = named_budget(&tags, "tags-a", "org");
    memset(&set, 0, sizeof(set));
    set.objects = objs;
    set.nobjects = 6;
    assert_int_equal(fc_budget_kids_new(&kids, &set), FC_OK);

    /* Three windows a clock, more than the index keeps: the last clock's
     * were made again, after the first clock's had been replaced. */
    for (k = 0; k < 4; k++)
        shared_matches_unshared(&set, kids, &inv, nows[k], &sum, &unevaluable);
    assert_true(sum > 0);
    assert_int_equal(unevaluable, FC_BUDGET_NO_TAGS | FC_BUDGET_NO_REGION);

    /* Rows appended after its windows were made are counted. */
    for (d = at("2026-11-01"); d <= at("2026-11-10"); d += FC_DAY)
        cost_row(&inv, A, EC2, d, "eu-west-1", "i-1", 1000.5);
    shared_matches_unshared(&set, kids, &inv, nows[3], &sum, &unevaluable);
    fc_budget_kids_free(kids);
    fc_inventory_dispose(&inv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_budget__periods),
        cmocka_unit_test(test_budget__actual_and_forecast),
        cmocka_unit_test(test_budget__forecast_uses_last_seven_days),
        cmocka_unit_test(test_budget__lagging_and_partial_days),
        cmocka_unit_test(test_budget__scope_filters),
        cmocka_unit_test(test_budget__thresholds_cross_at_their_percent),
        cmocka_unit_test(test_budget__no_data),
        cmocka_unit_test(test_budget__rejects_bad_input),
        cmocka_unit_test(test_budget__shipped_estate),
        cmocka_unit_test(test_budget__forecast_flat_series),
        cmocka_unit_test(test_budget__forecast_weekly_seasonal),
        cmocka_unit_test(test_budget__forecast_trending),
        cmocka_unit_test(test_budget__quarter_and_year_boundaries),
        cmocka_unit_test(test_budget__hierarchy_rolls_up_without_double_counting),
        cmocka_unit_test(test_budget__kids_index_matches_the_scan),
        cmocka_unit_test(test_budget__tag_scope_is_not_guessed),
        cmocka_unit_test(test_budget__region_and_tag_scope_on_resource_rows),
        cmocka_unit_test(test_budget__shared_windows_match_each_alone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
