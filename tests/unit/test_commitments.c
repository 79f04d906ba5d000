/*
 * test_commitments.c - the Savings Plan optimiser on synthetic hourly
 * series with hand-checked optima, hourly spend derived from instances and
 * their CPU datapoints, Reserved Instance floors, and the rate table.
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

#define HOURS 720
#define NOW "2026-11-20T12:30:00Z" /* window: the 720 hours before 12:00 */

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

static void test_commitments__optimum_constant_series(void **state)
{
    double s[HOURS], c, net;
    size_t i, levels;
    (void)state;

    /* 10/h every hour, 28 % off: commit the whole 10 of on-demand, paying
     * 7.20/h; net = 720 x 2.80. */
    for (i = 0; i < HOURS; i++)
        s[i] = 10;
    assert_int_equal(fc_commitment_optimise(s, HOURS, 0.28, &c, &net, &levels), FC_OK);
    near(c, 7.2);
    near(net, 2016);
    assert_int_equal(levels, 2); /* 0 and 10 */
}

static void test_commitments__optimum_diurnal_series(void **state)
{
    double s[HOURS], c, net;
    size_t i;
    (void)state;

    /* 20/h for 12 daytime hours, 10/h at night.  Covering K = 10 pays
     * 720 x (10 - 7.5) = 1800 at 25 % off; K = 20 only breaks even
     * (720 x 15 - 720 x 15): the extra 10 is used half the time, below the
     * 75 % break-even utilisation. */
    for (i = 0; i < HOURS; i++)
        s[i] = i % 24 >= 8 && i % 24 < 20 ? 20 : 10;
    assert_int_equal(fc_commitment_optimise(s, HOURS, 0.25, &c, &net, NULL), FC_OK);
    near(c, 7.5);
    near(net, 1800);

    /* At 60 % off break-even is 40 %: the daytime peak pays too.
     * K = 20: 720 x 15 - 720 x 8 = 5040 > K = 10: 7200 - 720 x 4 = 4320. */
    assert_int_equal(fc_commitment_optimise(s, HOURS, 0.60, &c, &net, NULL), FC_OK);
    near(c, 8);
    near(net, 5040);

    /* Nothing to cover, or a discount that is no discount. */
    assert_int_equal(fc_commitment_optimise(s, 0, 0.25, &c, &net, NULL), FC_OK);
    near(c, 0);
    assert_int_equal(fc_commitment_optimise(s, HOURS, 0, &c, &net, NULL), FC_EINVALID);
}

static const char prices_yaml[] = "currency: USD\n"
                                  "ec2:\n"
                                  "  eu-west-1:\n"
                                  "    m5.large: 0.10\n"
                                  "    m5.xlarge: 0.20\n"
                                  "    c5.large: 0.08\n";

static const char rates_yaml[] = "plan: Compute Savings Plan, 1 year, no upfront\n"
                                 "currency: USD\n"
                                 "default: 0.20\n"
                                 "families: {m5: 0.25, c5: 0.30}\n";

/* One instance with a CPU datapoint in the hours where on(h) says so. */
static void add_instance(fc_inventory *inv, const char *id, const char *type,
                         int (*on)(size_t h))
{
    fc_resource r;
    double *v = malloc(HOURS * sizeof(*v));
    size_t h;
    memset(&r, 0, sizeof(r));
    r.type = FC_RES_EC2_INSTANCE;
    r.id = (char *)id;
    r.account = "111111111111";
    r.region = "eu-west-1";
    r.state = "running";
    r.size_class = (char *)type;
    assert_int_equal(fc_inventory_add_resource(inv, &r), FC_OK);
    for (h = 0; h < HOURS; h++)
        v[h] = on(h) ? 30.0 : NAN;
    assert_int_equal(fc_inventory_add_metric_take(inv, id, "CPUUtilization",
                                                  at("2026-10-21T12:00:00Z"), FC_HOUR, v,
                                                  HOURS),
                     FC_OK);
}

static int always(size_t h)
{
    (void)h;
    return 1;
}

static int daytime(size_t h)
{
    return (h + 12) % 24 >= 8 && (h + 12) % 24 < 20; /* window starts at 12:00 */
}

static void test_commitments__from_instances(void **state)
{
    fc_price_table *p = NULL;
    fc_sp_rates *r = NULL;
    fc_inventory inv;
    fc_commitment_eval e;
    (void)state;

    assert_int_equal(fc_prices_parse(&p, prices_yaml, strlen(prices_yaml), "p.yaml"), FC_OK);
    assert_int_equal(fc_sp_rates_parse(&r, rates_yaml, strlen(rates_yaml), "r.yaml"), FC_OK);
    fc_inventory_init(&inv);
    /* Two m5.large always on (0.20/h), one m5.xlarge 12 h a day (0.20/h):
     * the diurnal series 0.20 / 0.40 at 25 % off -> cover 0.20. */
    add_instance(&inv, "i-1", "m5.large", always);
    add_instance(&inv, "i-2", "m5.large", always);
    add_instance(&inv, "i-3", "m5.xlarge", daytime);
    assert_int_equal(fc_engine_commitments(&e, &inv, p, r, at(NOW)), FC_OK);
    assert_true(e.window_end == at("2026-11-20T12:00:00Z"));
    assert_int_equal(e.hours, HOURS);
    assert_int_equal(e.instances, 3);
    near(e.on_demand, HOURS * 0.3);
    near(e.min_hourly, 0.2);
    near(e.max_hourly, 0.4);
    near(e.discount, 0.25);
    near(e.break_even_utilisation, 0.75);
    near(e.commitment, 0.15);
    near(e.covered_per_hour, 0.2);
    near(e.net_savings, HOURS * 0.05);
    near(e.monthly_savings, 0.05 * 730);
    near(e.coverage_after, 0.2 / 0.3);
    near(e.utilisation_after, 1.0);
    near(e.coverage_before, 0);
    /* RIs: m5 in eu-west-1 never falls below 2 x large = 8 units; the
     * large size ran most (1440 of 1800 instance-hours). */
    assert_int_equal(e.nris, 1);
    assert_string_equal(e.ris[0].family, "m5");
    assert_string_equal(e.ris[0].size, "large");
    near(e.ris[0].floor_units, 8);
    assert_int_equal(e.ris[0].count, 2);
    near(e.ris[0].instance_hours, 1800);
    fc_commitment_eval_dispose(&e);

    /* A c5.large (30 % off) always on as well: blended by spend. */
    add_instance(&inv, "i-4", "c5.large", always);
    assert_int_equal(fc_engine_commitments(&e, &inv, p, r, at(NOW)), FC_OK);
    near(e.discount, (216 * 0.25 + 57.6 * 0.30) / (216 + 57.6));
    assert_int_equal(e.nris, 2);
    assert_string_equal(e.ris[0].family, "c5");
    assert_int_equal(e.ris[0].count, 1);
    fc_commitment_eval_dispose(&e);
    fc_inventory_dispose(&inv);
    fc_sp_rates_free(r);
    fc_prices_free(p);
}

static void test_commitments__short_history_is_not_idle_time(void **state)
{
    fc_price_table *p = NULL;
    fc_sp_rates *r = NULL;
    fc_inventory inv;
    fc_commitment_eval e;
    fc_resource res;
    double *v = malloc(24 * sizeof(*v));
    size_t h;
    (void)state;

    assert_int_equal(fc_prices_parse(&p, prices_yaml, strlen(prices_yaml), "p.yaml"), FC_OK);
    assert_int_equal(fc_sp_rates_parse(&r, rates_yaml, strlen(rates_yaml), "r.yaml"), FC_OK);
    fc_inventory_init(&inv);
    memset(&res, 0, sizeof(res));
    res.type = FC_RES_EC2_INSTANCE;
    res.id = "i-1";
    res.account = "111111111111";
    res.region = "eu-west-1";
    res.size_class = "m5.large";
    assert_int_equal(fc_inventory_add_resource(&inv, &res), FC_OK);
    for (h = 0; h < 24; h++)
        v[h] = 5;
    assert_int_equal(fc_inventory_add_metric_take(&inv, "i-1", "CPUUtilization",
                                                  at("2026-11-19T12:00:00Z"), FC_HOUR, v, 24),
                     FC_OK);
    assert_int_equal(fc_engine_commitments(&e, &inv, p, r, at(NOW)), FC_OK);
    assert_int_equal(e.hours, 24);
    near(e.commitment, 0.075);
    assert_int_equal(e.ris[0].count, 1);
    fc_commitment_eval_dispose(&e);

    /* No usage at all: no commitment, no RIs. */
    fc_inventory_dispose(&inv);
    fc_inventory_init(&inv);
    assert_int_equal(fc_engine_commitments(&e, &inv, p, r, at(NOW)), FC_OK);
    assert_int_equal(e.hours, 0);
    near(e.commitment, 0);
    assert_int_equal(e.nris, 0);
    fc_commitment_eval_dispose(&e);
    fc_inventory_dispose(&inv);
    fc_sp_rates_free(r);
    fc_prices_free(p);
}

static void test_commitments__rate_table(void **state)
{
    const char *src = getenv("FC_SOURCE_DIR");
    char *prices = fc_asprintf("%s/examples/prices/aws-prices.yaml", src ? src : ".");
    fc_sp_rates *r = NULL;
    (void)state;

    assert_int_equal(fc_sp_rates_load_beside(&r, prices), FC_OK);
    assert_non_null(r);
    near(fc_sp_rates_discount(r, "m5"), 0.28);
    near(fc_sp_rates_discount(r, "t3"), 0.24);
    near(fc_sp_rates_discount(r, "x9z"), 0.20);
    assert_string_equal(r->currency, "USD");
    fc_sp_rates_free(r);
    free(prices);

    assert_int_equal(fc_sp_rates_load_beside(&r, "/nonexistent/prices.yaml"), FC_OK);
    assert_null(r);
    assert_int_equal(fc_sp_rates_parse(&r, "families: {m5: 1.5}\n", 20, "r.yaml"),
                     FC_EPARSE);
    assert_non_null(strstr(fc_error_last(), "r.yaml:1: families.m5"));
    assert_int_equal(fc_sp_rates_parse(&r, "bogus: 1\n", 9, "r.yaml"), FC_EPARSE);
    assert_null(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commitments__optimum_constant_series),
        cmocka_unit_test(test_commitments__optimum_diurnal_series),
        cmocka_unit_test(test_commitments__from_instances),
        cmocka_unit_test(test_commitments__short_history_is_not_idle_time),
        cmocka_unit_test(test_commitments__rate_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
