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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
