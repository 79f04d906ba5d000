/*
 * test_anomaly.c - the cost anomaly engine: precision and recall on a
 * generated set of series with planted anomalies (and their root cause),
 * continuation across passes, resolution and retention.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "controller/core/fc_error.h"
#include "controller/core/fc_util.h"
#include "controller/engines/fc_engines.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int64_t at(const char *s)
{
    int64_t t;
    assert_int_equal(fc_time_parse(s, &t), 0);
    return t;
}

static uint64_t rng_state;

static uint64_t next_u64(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double uniform(double lo, double hi)
{
    return lo + (hi - lo) * ((double)(next_u64() >> 11) / 9007199254740992.0);
}

static void add_cost(fc_inventory *inv, const char *account, const char *service,
                     const char *region, int64_t day, double amount)
{
    fc_cost_row r;
    memset(&r, 0, sizeof(r));
    r.account = (char *)account;
    r.service = (char *)service;
    r.region = (char *)region;
    r.day = day;
    r.amount = amount;
    assert_int_equal(fc_inventory_add_cost_ex(inv, &r), FC_OK);
}

static void add_detail(fc_inventory *inv, const char *account, const char *service,
                       const char *region, const char *usage, const char *resource,
                       int64_t day, double amount)
{
    fc_cost_row r;
    memset(&r, 0, sizeof(r));
    r.account = (char *)account;
    r.service = (char *)service;
    r.region = (char *)region;
    r.usage_type = (char *)usage;
    r.resource_id = (char *)resource;
    r.day = day;
    r.amount = amount;
    assert_int_equal(fc_inventory_add_cost_detail(inv, &r), FC_OK);
}

#define NSERIES 240
#define NDAYS 90

typedef struct {
    char account[16], service[32], region[16], culprit[32];
    int planted;
    int64_t first, last; /* planted days */
    int found, named;
} truth;

static const char *const regions[] = {"eu-west-1", "us-east-1", "eu-central-1"};

/*
 * NSERIES series of NDAYS days: base 100..2000 a day, half with a weekly
 * pattern (weekend x0.6..1.1), a trend of -0.2..+0.3 % a day and uniform
 * noise of 2..12 %.  Half get an anomaly of 1-4 days at x1.5..5 in the last
 * 28 days (resolved ones are kept 30 days), its excess spent by one of three
 * resources (the planted cause).
 */
static void generate(fc_inventory *inv, truth *t, int64_t start)
{
    int i, d;
    for (i = 0; i < NSERIES; i++) {
        double base = uniform(100, 2000), weekend = i % 2 ? uniform(0.6, 1.1) : 1;
        double trend = uniform(-0.002, 0.003), noise = uniform(0.02, 0.12);
        double factor = uniform(1.5, 5);
        int culprit = (int)(next_u64() % 3), len = 1 + (int)(next_u64() % 4);
        int from = NDAYS - 28 + (int)(next_u64() % (28 - (uint64_t)len));
        char res[3][32];
        snprintf(t[i].account, sizeof(t[i].account), "1000000000%02d", i % 40);
        snprintf(t[i].service, sizeof(t[i].service), "service-%03d", i);
        snprintf(t[i].region, sizeof(t[i].region), "%s", regions[i % 3]);
        for (d = 0; d < 3; d++)
            snprintf(res[d], sizeof(res[d]), "res-%03d-%d", i, d);
        t[i].planted = i % 2 == 0;
        t[i].first = start + (int64_t)from * FC_DAY;
        t[i].last = start + (int64_t)(from + len - 1) * FC_DAY;
        snprintf(t[i].culprit, sizeof(t[i].culprit), "%s", res[culprit]);
        for (d = 0; d < NDAYS; d++) {
            int64_t day = start + (int64_t)d * FC_DAY;
            int dow = (int)((day / FC_DAY + 4) % 7); /* 0 = Sunday */
            double v = base * (1 + trend * d) * (dow == 0 || dow == 6 ? weekend : 1);
            double extra = 0;
            v *= 1 + uniform(-noise, noise);
            if (t[i].planted && day >= t[i].first && day <= t[i].last)
                extra = v * (factor - 1);
            add_cost(inv, t[i].account, t[i].service, t[i].region, day, v + extra);
            add_detail(inv, t[i].account, t[i].service, t[i].region, "Usage-A", res[0], day,
                       v * 0.5 + (culprit == 0 ? extra : 0));
            add_detail(inv, t[i].account, t[i].service, t[i].region, "Usage-B", res[1], day,
                       v * 0.3 + (culprit == 1 ? extra : 0));
            add_detail(inv, t[i].account, t[i].service, t[i].region, "Usage-B", res[2], day,
                       v * 0.2 + (culprit == 2 ? extra : 0));
        }
    }
}

static const fc_anomaly_cause *top_cause(const fc_anomaly *a, const char *dimension)
{
    size_t i;
    for (i = 0; i < a->ncauses; i++)
        if (strcmp(a->causes[i].dimension, dimension) == 0)
            return &a->causes[i]; /* ranked: the first is the largest */
    return NULL;
}

static void test_anomaly__precision_and_recall_on_generated_set(void **s)
{
    static truth t[NSERIES];
    int64_t now = at("2026-11-20T12:00:00Z");
    int64_t start = at("2026-11-20") - (int64_t)NDAYS * FC_DAY;
    fc_inventory inv;
    fc_anomaly_list out;
    size_t i, j, tp = 0, planted = 0, found = 0, named = 0;
    double precision, recall;
    (void)s;

    rng_state = 20261120;
    fc_inventory_init(&inv);
    fc_anomaly_list_init(&out);
    inv.currency = fc_strdup("USD");
    generate(&inv, t, start);
    assert_int_equal(fc_engine_anomalies_params(&out, &inv, NULL, NULL, now), FC_OK);
    for (i = 0; i < out.n; i++) {
        const fc_anomaly *a = &out.items[i];
        int hit = 0;
        for (j = 0; j < NSERIES; j++) {
            if (!t[j].planted || strcmp(t[j].service, a->service) != 0)
                continue;
            if (a->first_day <= t[j].last && a->last_day >= t[j].first) {
                const fc_anomaly_cause *c = top_cause(a, "resource");
                hit = 1;
                if (!t[j].found) {
                    t[j].found = 1;
                    t[j].named = c && strcmp(c->value, t[j].culprit) == 0;
                }
            }
        }
        tp += hit;
    }
    for (j = 0; j < NSERIES; j++) {
        if (getenv("FC_DEBUG") && t[j].planted && !t[j].found)
            print_message("missed %s %lld..%lld\n", t[j].service,
                          (long long)(t[j].first - start) / FC_DAY,
                          (long long)(t[j].last - start) / FC_DAY);
        planted += t[j].planted;
        found += t[j].found;
        named += t[j].named;
    }
    precision = out.n ? (double)tp / (double)out.n : 0;
    recall = planted ? (double)found / (double)planted : 0;
    print_message("anomaly set: %d series x %d days, %zu planted anomalies; %zu detected, "
                  "precision %.3f, recall %.3f, planted root cause named first for "
                  "%zu of %zu found (%.3f)\n",
                  NSERIES, NDAYS, planted, out.n, precision, recall, named, found,
                  found ? (double)named / (double)found : 0);
    assert_true(precision >= 0.9);
    assert_true(recall >= 0.9);
    assert_true((double)named >= 0.9 * (double)found);
    fc_anomaly_list_dispose(&out);
    fc_inventory_dispose(&inv);
}

/* A flat series with a spike on [spike_from, spike_to) (day offsets from
 * start), optionally split by usage type with the spike on "spike". */
static void flat_series(fc_inventory *inv, int64_t start, int ndays, int spike_from,
                        int spike_to, double factor)
{
    int d;
    for (d = 0; d < ndays; d++) {
        int64_t day = start + (int64_t)d * FC_DAY;
        double v = 100 * (1 + 0.03 * sin(d * 1.7));
        double extra = d >= spike_from && d < spike_to ? v * (factor - 1) : 0;
        add_cost(inv, "123456789012", "AWS Data Transfer", NULL, day, v + extra);
        add_detail(inv, "123456789012", "AWS Data Transfer", "eu-west-1", "EU-Out", NULL, day,
                   v);
        if (extra > 0)
            add_detail(inv, "123456789012", "AWS Data Transfer", "us-east-1",
                       "USE1-EU-AWS-Out", "backups-bucket", day, extra);
    }
}

static void test_anomaly__resolved_with_root_cause(void **s)
{
    int64_t start = at("2026-09-01"), now = start + 60 * FC_DAY + 12 * FC_HOUR;
    fc_inventory inv;
    fc_anomaly_list out;
    const fc_anomaly *a;
    const fc_anomaly_cause *c;
    (void)s;
    fc_inventory_init(&inv);
    fc_anomaly_list_init(&out);
    flat_series(&inv, start, 60, 40, 43, 4);
    assert_int_equal(fc_engine_anomalies_params(&out, &inv, NULL, NULL, now), FC_OK);
    assert_int_equal(out.n, 1);
    a = &out.items[0];
    assert_string_equal(a->id, "anomaly-20261011-123456789012-aws-data-transfer");
    assert_true(a->first_day == start + 40 * FC_DAY);
    assert_true(a->last_day == start + 42 * FC_DAY);
    assert_int_equal(a->ndays, 3);
    assert_false(a->open);
    assert_true(a->resolved_day == start + 43 * FC_DAY);
    assert_true(a->impact > 850 && a->impact < 950);
    assert_int_equal(a->severity, FC_ANOMALY_HIGH);
    assert_string_equal(a->currency, "USD");
    c = top_cause(a, "region");
    assert_non_null(c);
    assert_string_equal(c->value, "us-east-1");
    assert_true(c->share > 0.95);
    c = top_cause(a, "usageType");
    assert_string_equal(c->value, "USE1-EU-AWS-Out");
    c = top_cause(a, "resource");
    assert_string_equal(c->value, "backups-bucket");
    assert_true(c->share > 0.95);
    fc_anomaly_list_dispose(&out);
    fc_inventory_dispose(&inv);
}

static void test_anomaly__thresholds_filter_small_changes(void **s)
{
    int64_t start = at("2026-09-01"), now = start + 60 * FC_DAY;
    fc_anomaly_params p;
    fc_inventory inv;
    fc_anomaly_list out;
    (void)s;
    fc_inventory_init(&inv);
    fc_anomaly_list_init(&out);
    /* +15 % for a day: under minPercent 20. */
    flat_series(&inv, start, 60, 45, 46, 1.15);
    assert_int_equal(fc_engine_anomalies_params(&out, &inv, NULL, NULL, now), FC_OK);
    assert_int_equal(out.n, 0);
    /* x1.4 for one day is 40 of impact: under minAmount 50 ... */
    fc_inventory_dispose(&inv);
    fc_inventory_init(&inv);
    flat_series(&inv, start, 60, 45, 46, 1.4);
    assert_int_equal(fc_engine_anomalies_params(&out, &inv, NULL, NULL, now), FC_OK);
    assert_int_equal(out.n, 0);
    /* ... but not under minAmount 30. */
    fc_anomaly_params_default(&p);
    p.min_amount = 30;
    assert_int_equal(fc_engine_anomalies_params(&out, &inv, &p, NULL, now), FC_OK);
    assert_int_equal(out.n, 1);
    fc_anomaly_list_dispose(&out);
    fc_inventory_dispose(&inv);
}

/* Pass 1 sees an anomaly still going on; pass 2, two days later, sees it
 * continue one more day and end: same id, extended, resolved. */
static void test_anomaly__continues_across_passes_then_resolves(void **s)
{
    int64_t start = at("2026-09-01");
    fc_inventory inv;
    fc_anomaly_list one, two;
    (void)s;
    fc_inventory_init(&inv);
    fc_anomaly_list_init(&one);
    fc_anomaly_list_init(&two);
    flat_series(&inv, start, 50, 45, 48, 3);
    /* Pass 1 at day 47: data through day 46, the spike is open. */
    assert_int_equal(fc_engine_anomalies_params(&one, &inv, NULL, NULL,
                                                start + 47 * FC_DAY + 3600),
                     FC_OK);
    assert_int_equal(one.n, 1);
    assert_true(one.items[0].open);
    assert_int_equal(one.items[0].ndays, 2);
    assert_true(one.items[0].last_day == start + 46 * FC_DAY);
    assert_int_equal(one.items[0].resolved_day, 0);
    /* Pass 2 at day 50 with pass 1's output as history. */
    assert_int_equal(fc_engine_anomalies_params(&two, &inv, NULL, &one,
                                                start + 50 * FC_DAY + 3600),
                     FC_OK);
    assert_int_equal(two.n, 1);
    assert_string_equal(two.items[0].id, one.items[0].id);
    assert_true(two.items[0].first_day == one.items[0].first_day);
    assert_true(two.items[0].last_day == start + 47 * FC_DAY);
    assert_int_equal(two.items[0].ndays, 3);
    assert_false(two.items[0].open);
    assert_true(two.items[0].resolved_day == start + 48 * FC_DAY);
    assert_true(two.items[0].impact > one.items[0].impact);
    fc_anomaly_list_dispose(&one);
    fc_anomaly_list_dispose(&two);
    fc_inventory_dispose(&inv);
}

/* The history no longer reaches the anomaly's first day: its early days
 * come from the previous pass, the rest is judged again. */
static void test_anomaly__history_shorter_than_the_anomaly(void **s)
{
    int64_t start = at("2026-09-01");
    fc_inventory full, recent;
    fc_anomaly_list one, two;
    size_t i;
    (void)s;
    fc_inventory_init(&full);
    fc_inventory_init(&recent);
    fc_anomaly_list_init(&one);
    fc_anomaly_list_init(&two);
    flat_series(&full, start, 60, 40, 48, 3); /* 8 days */
    assert_int_equal(fc_engine_anomalies_params(&one, &full, NULL, NULL,
                                                start + 44 * FC_DAY),
                     FC_OK);
    assert_int_equal(one.n, 1);
    assert_true(one.items[0].open);
    assert_int_equal(one.items[0].ndays, 4);
    /* Pass 2 sees only the last 30 days (from day 30): its judged window
     * starts at day 44, after the anomaly's first day. */
    for (i = 0; i < full.ncosts; i++)
        if (full.costs[i].day >= start + 30 * FC_DAY)
            add_cost(&recent, full.costs[i].account, full.costs[i].service, NULL,
                     full.costs[i].day, full.costs[i].amount);
    assert_int_equal(fc_engine_anomalies_params(&two, &recent, NULL, &one,
                                                start + 60 * FC_DAY),
                     FC_OK);
    assert_int_equal(two.n, 1);
    assert_string_equal(two.items[0].id, one.items[0].id);
    assert_true(two.items[0].first_day == start + 40 * FC_DAY);
    assert_int_equal(two.items[0].ndays, 8);
    assert_false(two.items[0].open);
    assert_true(two.items[0].last_day == start + 47 * FC_DAY);
    assert_true(two.items[0].resolved_day == start + 48 * FC_DAY);
    fc_anomaly_list_dispose(&one);
    fc_anomaly_list_dispose(&two);
    fc_inventory_dispose(&full);
    fc_inventory_dispose(&recent);
}

static void test_anomaly__resolved_ones_kept_thirty_days(void **s)
{
    int64_t start = at("2026-09-01");
    fc_inventory inv;
    fc_anomaly_list one, two;
    (void)s;
    fc_inventory_init(&inv);
    fc_anomaly_list_init(&one);
    fc_anomaly_list_init(&two);
    flat_series(&inv, start, 40, 30, 31, 5);
    assert_int_equal(fc_engine_anomalies_params(&one, &inv, NULL, NULL, start + 40 * FC_DAY),
                     FC_OK);
    assert_int_equal(one.n, 1);
    assert_true(one.items[0].resolved_day == start + 31 * FC_DAY);
    /* No cost data any more (e.g. the account left): the stored anomaly
     * stands for 30 days after it resolved, then goes. */
    fc_inventory_dispose(&inv);
    fc_inventory_init(&inv);
    assert_int_equal(fc_engine_anomalies_params(&two, &inv, NULL, &one,
                                                start + 61 * FC_DAY + 3600),
                     FC_OK);
    assert_int_equal(two.n, 1);
    fc_anomaly_list_dispose(&two);
    fc_anomaly_list_init(&two);
    assert_int_equal(fc_engine_anomalies_params(&two, &inv, NULL, &one,
                                                start + 62 * FC_DAY + 3600),
                     FC_OK);
    assert_int_equal(two.n, 0);
    fc_anomaly_list_dispose(&one);
    fc_anomaly_list_dispose(&two);
    fc_inventory_dispose(&inv);
}

/* A weekly pattern is not an anomaly. */
static void test_anomaly__weekly_pattern_is_normal(void **s)
{
    int64_t start = at("2026-08-03"), now = start + 84 * FC_DAY;
    fc_inventory inv;
    fc_anomaly_list out;
    int d;
    (void)s;
    fc_inventory_init(&inv);
    fc_anomaly_list_init(&out);
    for (d = 0; d < 84; d++) {
        int dow = (int)(((start / FC_DAY) + d + 4) % 7);
        /* weekend batch jobs: x2.5 on Saturdays */
        add_cost(&inv, "123456789012", "AWS Batch", "eu-west-1", start + d * FC_DAY,
                 dow == 6 ? 500 + d : 200 + d);
    }
    assert_int_equal(fc_engine_anomalies_params(&out, &inv, NULL, NULL, now), FC_OK);
    assert_int_equal(out.n, 0);
    fc_anomaly_list_dispose(&out);
    fc_inventory_dispose(&inv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_anomaly__precision_and_recall_on_generated_set),
        cmocka_unit_test(test_anomaly__resolved_with_root_cause),
        cmocka_unit_test(test_anomaly__thresholds_filter_small_changes),
        cmocka_unit_test(test_anomaly__continues_across_passes_then_resolves),
        cmocka_unit_test(test_anomaly__history_shorter_than_the_anomaly),
        cmocka_unit_test(test_anomaly__resolved_ones_kept_thirty_days),
        cmocka_unit_test(test_anomaly__weekly_pattern_is_normal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
