/*
 * test_prices.c - the price table: the shipped file parses and covers the
 * shipped estate, lookups answer or say FC_ENOTFOUND, and bad files fail
 * with file:line and the field.
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

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *source_path(const char *rel)
{
    const char *src = getenv("FC_SOURCE_DIR");
    return fc_asprintf("%s/%s", src ? src : ".", rel);
}

static fc_price_table *load_shipped(void)
{
    fc_price_table *p = NULL;
    char *path = source_path("examples/prices/aws-prices.yaml");
    int rc = fc_prices_load(&p, path);
    if (rc)
        fprintf(stderr, "%s\n", fc_error_last());
    assert_int_equal(rc, FC_OK);
    free(path);
    return p;
}

static void test_prices__shipped_file_lookups(void **state)
{
    fc_price_table *p = load_shipped();
    double v = -1;
    (void)state;

    assert_string_equal(p->currency, "USD");
    assert_true(p->nec2 > 50 && p->nebs >= 21 && p->nother >= 6);
    assert_int_equal(fc_prices_ec2_hourly(p, "eu-west-1", "m5.large", &v), FC_OK);
    assert_true(v == 0.107);
    assert_int_equal(fc_prices_ec2_hourly(p, "eu-west-1", "t3.micro", &v), FC_OK);
    assert_true(v == 0.0114);
    assert_int_equal(fc_prices_ec2_hourly(p, "us-east-1", "m5.large", &v), FC_OK);
    assert_true(v == 0.096);
    assert_int_equal(fc_prices_ebs_gb_month(p, "eu-west-1", "gp2", &v), FC_OK);
    assert_true(v == 0.11);
    assert_int_equal(fc_prices_ebs_gb_month(p, "eu-west-1", "gp3", &v), FC_OK);
    assert_true(v == 0.088);
    assert_int_equal(fc_prices_other(p, "eu-central-1", "eip-idle", &v), FC_OK);
    assert_true(v == 0.005);
    assert_int_equal(fc_prices_other(p, "us-east-1", "snapshot", &v), FC_OK);
    assert_true(v == 0.05);

    v = 42;
    assert_int_equal(fc_prices_ec2_hourly(p, "eu-west-1", "x9.mega", &v),
                     FC_ENOTFOUND);
    assert_true(v == 42); /* untouched on a miss */
    assert_non_null(strstr(fc_error_last(), "x9.mega"));
    assert_int_equal(fc_prices_ec2_hourly(p, "ap-south-9", "m5.large", &v),
                     FC_ENOTFOUND);
    assert_int_equal(fc_prices_ebs_gb_month(p, "eu-west-1", "m5.large", &v),
                     FC_ENOTFOUND);
    assert_int_equal(fc_prices_other(p, "eu-west-1", "gp2", &v), FC_ENOTFOUND);
    assert_int_equal(fc_prices_ec2_hourly(p, "eu-west-1", NULL, &v),
                     FC_ENOTFOUND);
    assert_int_equal(fc_prices_ec2_hourly(NULL, "eu-west-1", "m5.large", &v),
                     FC_ENOTFOUND);
    fc_prices_free(p);
    fc_prices_free(NULL);
}

static void test_prices__cover_the_shipped_estate(void **state)
{
    fc_price_table *p = load_shipped();
    fc_cloud *c = NULL;
    fc_inventory inv;
    fc_discovery_scope s;
    char *path = source_path("examples/sim/estate.yaml");
    size_t i, checked = 0;
    double v;
    (void)state;

    assert_int_equal(fc_sim_open(&c, path), FC_OK);
    memset(&s, 0, sizeof(s));
    assert_int_equal(fc_time_parse("2026-11-20T12:00:00Z", &s.now), 0);
    fc_inventory_init(&inv);
    assert_int_equal(fc_cloud_discover(c, &s, &inv), FC_OK);
    for (i = 0; i < inv.nresources; i++) {
        const fc_resource *r = &inv.resources[i];
        int rc = FC_OK;
        if (r->type == FC_RES_EC2_INSTANCE)
            rc = fc_prices_ec2_hourly(p, r->region, r->size_class, &v);
        else if (r->type == FC_RES_EBS_VOLUME)
            rc = fc_prices_ebs_gb_month(p, r->region, r->size_class, &v);
        else if (r->type == FC_RES_ELASTIC_IP)
            rc = fc_prices_other(p, r->region, "eip-idle", &v);
        else if (r->type == FC_RES_EBS_SNAPSHOT)
            rc = fc_prices_other(p, r->region, "snapshot", &v);
        else
            continue;
        if (rc)
            fail_msg("%s %s: %s", r->id, r->size_class ? r->size_class : "",
                     fc_error_last());
        checked++;
    }
    assert_true(checked > 90);
    fc_inventory_dispose(&inv);
    fc_cloud_free(c);
    fc_prices_free(p);
    free(path);
}

static void expect_error(const char *text, int code, const char *needle)
{
    fc_price_table *p = (fc_price_table *)1;
    assert_int_equal(fc_prices_parse(&p, text, strlen(text), "p.yaml"), code);
    assert_null(p);
    if (!strstr(fc_error_last(), needle))
        fail_msg("'%s' does not mention '%s'", fc_error_last(), needle);
}

static void test_prices__parse_errors_name_file_line_field(void **state)
{
    (void)state;
    expect_error("currency: USD\nec2:\n  eu-west-1:\n    t3.micro: cheap\n",
                 FC_EPARSE, "p.yaml:4: ec2.eu-west-1.t3.micro: 'cheap' is not a number");
    expect_error("ebs:\n  eu-west-1: {gp2: -0.1}\n", FC_EPARSE,
                 "p.yaml:2: ebs.eu-west-1.gp2: price must be >= 0");
    expect_error("ec2:\n  eu-west-1:\n    m5.large: 0.1\n    m5.large: 0.2\n",
                 FC_EPARSE,
                 "p.yaml:4: ec2.eu-west-1.m5.large: duplicate price (first at line 3)");
    expect_error("ec2: {}\nrds:\n  x: 1\n", FC_EPARSE,
                 "p.yaml:2: (root): unknown key 'rds'");
    expect_error("ec2: [1, 2]\n", FC_EPARSE, "p.yaml:1: ec2: must map regions");
    expect_error("other:\n  eu-west-1: 0.005\n", FC_EPARSE,
                 "p.yaml:2: other.eu-west-1: must map keys to prices");
    expect_error("ec2:\n  eu-west-1:\n    m5.large: {a: 1}\n", FC_EPARSE,
                 "p.yaml:3: ec2.eu-west-1.m5.large: price must be a number");
    expect_error("- 1\n- 2\n", FC_EPARSE, "p.yaml:1: (root): must be a mapping");
    expect_error("", FC_EPARSE, "p.yaml: empty price file");
    expect_error("ec2: {eu-west-1: {m5.large: 0.1}\n", FC_EPARSE, "p.yaml:2: ");
    expect_error("currency: [USD]\n", FC_EPARSE, "p.yaml:1: currency");
}

static void test_prices__minimal_table_defaults(void **state)
{
    const char *text = "ec2:\n  us-east-1: {t3.nano: 0.0052}\n"
                       "  eu-west-1: {t3.nano: 0.0057, c5.large: 0.096}\n";
    fc_price_table *p = NULL;
    double v;
    (void)state;

    assert_int_equal(fc_prices_parse(&p, text, strlen(text), NULL), FC_OK);
    assert_string_equal(p->currency, "USD");
    assert_int_equal(p->nec2, 3);
    assert_int_equal(p->nebs, 0);
    /* Sorted by region then key. */
    assert_string_equal(p->ec2[0].region, "eu-west-1");
    assert_string_equal(p->ec2[0].key, "c5.large");
    assert_string_equal(p->ec2[2].region, "us-east-1");
    assert_int_equal(fc_prices_ec2_hourly(p, "us-east-1", "t3.nano", &v), FC_OK);
    assert_true(v == 0.0052);
    assert_int_equal(fc_prices_ebs_gb_month(p, "us-east-1", "gp3", &v),
                     FC_ENOTFOUND);
    fc_prices_free(p);
}

static void test_prices__load_missing_file(void **state)
{
    fc_price_table *p = NULL;
    (void)state;
    assert_int_equal(fc_prices_load(&p, "/nonexistent/prices.yaml"),
                     FC_ENOTFOUND);
    assert_null(p);
    assert_non_null(strstr(fc_error_last(), "/nonexistent/prices.yaml"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prices__shipped_file_lookups),
        cmocka_unit_test(test_prices__cover_the_shipped_estate),
        cmocka_unit_test(test_prices__parse_errors_name_file_line_field),
        cmocka_unit_test(test_prices__minimal_table_defaults),
        cmocka_unit_test(test_prices__load_missing_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
