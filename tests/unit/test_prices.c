/*
 * test_prices.c - the price catalogue: the shipped YAML table and the
 * shipped AWS Price List CSV subset parse and cover the shipped estate,
 * lookups answer or say FC_ENOTFOUND, the streaming CSV reader handles
 * quoting, CRLF, BOM and malformed input with line numbers, offer-file
 * rows are filtered as AWS's files need, and bad files fail with file:line
 * and the field.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "controller/cloud/fc_cloud.h"
#include "controller/core/fc_error.h"
#include "controller/core/fc_util.h"
#include "controller/engines/engines_int.h"
#include "controller/engines/fc_engines.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
    expect_error("ec2: {}\nlambda:\n  x: 1\n", FC_EPARSE,
                 "p.yaml:2: (root): unknown key 'lambda'");
    expect_error("ec2:\n  eu-west-1:\n    m5.large: {price: 0.1, gpu: 1}\n",
                 FC_EPARSE, "p.yaml:3: ec2.eu-west-1.m5.large: unknown key 'gpu'");
    expect_error("ec2:\n  eu-west-1:\n    m5.large: {vcpu: 2}\n", FC_EPARSE,
                 "p.yaml:3: ec2.eu-west-1.m5.large: missing price");
    expect_error("ec2:\n  eu-west-1:\n    m5.large: {price: 1, processor: z80}\n",
                 FC_EPARSE, "ec2.eu-west-1.m5.large.processor: expected x86_64");
    expect_error("ec2: [1, 2]\n", FC_EPARSE, "p.yaml:1: ec2: must map regions");
    expect_error("other:\n  eu-west-1: 0.005\n", FC_EPARSE,
                 "p.yaml:2: other.eu-west-1: must map keys to prices");
    expect_error("ec2:\n  eu-west-1:\n    m5.large: {a: 1}\n", FC_EPARSE,
                 "p.yaml:3: ec2.eu-west-1.m5.large: unknown key 'a'");
    expect_error("ebs:\n  eu-west-1:\n    gp2: {price: 1}\n", FC_EPARSE,
                 "p.yaml:3: ebs.eu-west-1.gp2: price must be a number");
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


/* ---- the shipped AWS Price List subset --------------------------------- */

static fc_price_table *load_csv_dir(void)
{
    fc_price_table *p = NULL;
    char *path = source_path("examples/prices/aws-price-list");
    int rc = fc_prices_load(&p, path);
    if (rc)
        fprintf(stderr, "%s\n", fc_error_last());
    assert_int_equal(rc, FC_OK);
    free(path);
    return p;
}

static void test_prices__shipped_price_list_lookups(void **state)
{
    fc_price_table *p = load_csv_dir();
    const fc_price *e, *first;
    double v;
    size_t n, i;
    (void)state;

    assert_string_equal(p->currency, "USD");
    /* 66 instance types x 3 regions: Windows, dedicated, SQL, reserved,
     * capacity-reservation and Local Zone rows are filtered out. */
    assert_int_equal(p->nec2, 198);
    assert_int_equal(p->nebs, 21);
    assert_int_equal(p->nrds, 60); /* 10 classes x 2 engines x 3, Single-AZ */
    assert_int_equal(fc_prices_ec2_hourly(p, "eu-west-1", "m5.large", &v), FC_OK);
    assert_true(v == 0.107);
    assert_int_equal(fc_prices_ec2_hourly(p, "us-east-1", "t3.medium", &v), FC_OK);
    assert_true(v == 0.0416); /* not the Boston Local Zone's 0.0499 */
    assert_int_equal(fc_prices_ec2_type(p, "eu-central-1", "r6g.xlarge", &e), FC_OK);
    assert_true(e->price == 0.2432 && e->vcpu == 4 && e->memory_gib == 32);
    assert_string_equal(e->processor, "arm64");
    assert_int_equal(fc_prices_ec2_type(p, "us-east-1", "t3.nano", &e), FC_OK);
    assert_true(e->vcpu == 2 && e->memory_gib == 0.5);
    assert_string_equal(e->processor, "x86_64");
    assert_int_equal(fc_prices_ec2_type(p, "us-east-1", "x9.mega", &e),
                     FC_ENOTFOUND);
    assert_null(e);
    assert_int_equal(fc_prices_ebs_gb_month(p, "eu-central-1", "gp3", &v), FC_OK);
    assert_true(v == 0.0952);
    assert_int_equal(fc_prices_rds_hourly(p, "eu-west-1", "postgres",
                                          "db.r5.large", &v), FC_OK);
    assert_true(v == 0.28); /* Single-AZ, not Multi-AZ */
    assert_int_equal(fc_prices_rds_class(p, "us-east-1", "mysql", "db.t3.medium",
                                         &e), FC_OK);
    assert_true(e->price == 0.068 && e->vcpu == 2 && e->memory_gib == 4);
    assert_int_equal(fc_prices_rds_hourly(p, "eu-west-1", "oracle-ee",
                                          "db.r5.large", &v), FC_ENOTFOUND);
    assert_int_equal(fc_prices_other(p, "eu-west-1", "eip-idle", &v), FC_OK);
    assert_true(v == 0.005);
    assert_int_equal(fc_prices_other(p, "eu-central-1", "snapshot", &v), FC_OK);
    assert_true(v == 0.054);
    assert_int_equal(fc_prices_other(p, "us-east-1", "alb-hour", &v), FC_OK);
    assert_true(v == 0.0225); /* the hour, not the LCU */
    assert_int_equal(fc_prices_other(p, "eu-west-1", "nlb-hour", &v), FC_OK);
    assert_int_equal(fc_prices_other(p, "eu-west-1", "lambda-gb-second", &v),
                     FC_OK);
    assert_true(v == 0.0000166667); /* the first tier */
    assert_int_equal(fc_prices_other(p, "eu-west-1", "lambda-request", &v), FC_OK);
    assert_true(v == 0.0000002);
    assert_int_equal(fc_prices_other(p, "eu-central-1", "s3-standard", &v), FC_OK);
    assert_true(v == 0.0245); /* first 50 TB */
    assert_int_equal(fc_prices_other(p, "eu-central-1", "s3-standard-ia", &v),
                     FC_OK);
    assert_true(v == 0.0135);
    assert_int_equal(fc_prices_other(p, "us-east-1", "s3-glacier", &v), FC_OK);

    fc_prices_ec2_region(p, "eu-west-1", &first, &n);
    assert_int_equal(n, 66);
    for (i = 0; i < n; i++) {
        assert_string_equal(first[i].region, "eu-west-1");
        assert_true(first[i].vcpu > 0 && first[i].memory_gib > 0);
        if (i)
            assert_true(strcmp(first[i - 1].key, first[i].key) < 0);
    }
    fc_prices_ec2_region(p, "mars-1", &first, &n);
    assert_int_equal(n, 0);
    assert_null(first);
    fc_prices_ec2_region(NULL, "eu-west-1", &first, &n);
    assert_int_equal(n, 0);
    fc_prices_free(p);
}

/* The two shipped catalogues agree wherever both have a price. */
static void test_prices__yaml_and_price_list_agree(void **state)
{
    fc_price_table *y = load_shipped(), *c = load_csv_dir();
    size_t i, same = 0;
    double v;
    (void)state;

    for (i = 0; i < y->nec2; i++) {
        assert_int_equal(fc_prices_ec2_hourly(c, y->ec2[i].region, y->ec2[i].key,
                                              &v), FC_OK);
        assert_true(v == y->ec2[i].price);
        same++;
    }
    for (i = 0; i < y->nebs; i++) {
        assert_int_equal(fc_prices_ebs_gb_month(c, y->ebs[i].region,
                                                y->ebs[i].key, &v), FC_OK);
        assert_true(v == y->ebs[i].price);
        same++;
    }
    for (i = 0; i < y->nother; i++)
        if (fc_prices_other(c, y->other[i].region, y->other[i].key, &v) == FC_OK) {
            assert_true(v == y->other[i].price);
            same++;
        }
    assert_true(same > 150);
    fc_prices_free(y);
    fc_prices_free(c);
}

static void test_prices__price_list_covers_the_shipped_estate(void **state)
{
    fc_price_table *p = load_csv_dir();
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
        switch (r->type) {
        case FC_RES_EC2_INSTANCE:
            rc = fc_prices_ec2_hourly(p, r->region, r->size_class, &v);
            break;
        case FC_RES_EBS_VOLUME:
            rc = fc_prices_ebs_gb_month(p, r->region, r->size_class, &v);
            break;
        case FC_RES_ELASTIC_IP:
            rc = fc_prices_other(p, r->region, "eip-idle", &v);
            break;
        case FC_RES_EBS_SNAPSHOT:
            rc = fc_prices_other(p, r->region, "snapshot", &v);
            break;
        case FC_RES_RDS_INSTANCE:
            rc = fc_prices_rds_hourly(p, r->region, fc_resource_tag(r, "engine"),
                                      r->size_class, &v);
            break;
        case FC_RES_LOAD_BALANCER:
            rc = fc_prices_other(p, r->region,
                                 strcmp(r->size_class, "network") == 0
                                     ? "nlb-hour"
                                     : "alb-hour",
                                 &v);
            break;
        case FC_RES_LAMBDA_FUNCTION:
            rc = fc_prices_other(p, r->region, "lambda-gb-second", &v);
            break;
        case FC_RES_S3_BUCKET:
            if ((rc = fc_prices_other(p, r->region, "s3-standard", &v)) == FC_OK)
                rc = fc_prices_other(p, r->region, "s3-standard-ia", &v);
            break;
        default:
            continue;
        }
        if (rc)
            fail_msg("%s %s: %s", r->id, r->size_class ? r->size_class : "",
                     fc_error_last());
        checked++;
    }
    assert_int_equal(checked, inv.nresources);
    fc_inventory_dispose(&inv);
    fc_cloud_free(c);
    fc_prices_free(p);
    free(path);
}

/* The CSV reader itself (quoting, CRLF, BOM, gzip, malformed records,
 * bounded memory) is controller/core/csv.c, tested in test_csv_stream.c. */

/* ---- offer files -------------------------------------------------------- */

#define META                                                                   \
    "\"FormatVersion\",\"v1.0\"\n"                                             \
    "\"Disclaimer\",\"This pricing list is for informational purposes only, "  \
    "\"\"really\"\".\"\n"                                                      \
    "\"Publication Date\",\"2025-06-02T18:25:40Z\"\n"                          \
    "\"Version\",\"20250602182540\"\n"                                         \
    "\"OfferCode\",\"AmazonEC2\"\n"
#define EC2_HEADER                                                             \
    "\"SKU\",\"TermType\",\"StartingRange\",\"Unit\",\"PricePerUnit\","        \
    "\"Currency\",\"Product Family\",\"Location\",\"Location Type\","          \
    "\"Instance Type\",\"vCPU\",\"Memory\",\"Physical Processor\","            \
    "\"Tenancy\",\"Operating System\",\"CapacityStatus\","                     \
    "\"Pre Installed S/W\",\"Region Code\",\"Volume API Name\"\n"
#define ROW(term, price, os, ten, cap, sw, type, proc)                        \
    "\"S\",\"" term "\",\"0\",\"Hrs\",\"" price "\",\"USD\","                  \
    "\"Compute Instance\",\"EU (Ireland)\",\"AWS Region\",\"" type "\","       \
    "\"2\",\"1,024 GiB\",\"" proc "\",\"" ten "\",\"" os "\",\"" cap "\","     \
    "\"" sw "\",\"eu-west-1\",\"\"\n"

static fc_price_table *parse_ok(const char *text)
{
    fc_price_table *p = NULL;
    int rc = fc_prices_parse(&p, text, strlen(text), "AmazonEC2.csv");
    if (rc)
        fail_msg("%s", fc_error_last());
    return p;
}

static void test_prices__offer_file_filters_rows(void **state)
{
    const char *text =
        "\xEF\xBB\xBF" META EC2_HEADER
        ROW("OnDemand", "0.107", "Linux", "Shared", "Used", "NA", "m5.large",
            "Intel Xeon Platinum 8175")
        ROW("Reserved", "0.061", "Linux", "Shared", "Used", "NA", "m5.large",
            "Intel Xeon Platinum 8175")
        ROW("OnDemand", "0.2", "Windows", "Shared", "Used", "NA", "m5.large",
            "Intel Xeon Platinum 8175")
        ROW("OnDemand", "0.11", "Linux", "Dedicated", "Used", "NA", "m5.large",
            "Intel Xeon Platinum 8175")
        ROW("OnDemand", "0.107", "Linux", "Shared", "UnusedCapacityReservation",
            "NA", "m5.large", "Intel Xeon Platinum 8175")
        ROW("OnDemand", "0.5", "Linux", "Shared", "Used", "SQL Std", "m5.large",
            "Intel Xeon Platinum 8175")
        ROW("OnDemand", "0.086", "Linux", "Shared", "Used", "NA", "m6g.large",
            "AWS Graviton2 Processor")
        "\"S\",\"OnDemand\",\"0\",\"GB-Mo\",\"0.11\",\"USD\",\"Storage\","
        "\"EU (Ireland)\",\"AWS Region\",\"\",\"\",\"\",\"\",\"\",\"\",\"\","
        "\"\",\"eu-west-1\",\"gp2\"\n";
    fc_price_table *p = parse_ok(text);
    const fc_price *e;
    (void)state;

    assert_int_equal(p->nec2, 2);
    assert_int_equal(p->nebs, 1);
    assert_int_equal(fc_prices_ec2_type(p, "eu-west-1", "m5.large", &e), FC_OK);
    assert_true(e->price == 0.107 && e->vcpu == 2 && e->memory_gib == 1024);
    assert_string_equal(e->processor, "x86_64");
    assert_int_equal(fc_prices_ec2_type(p, "eu-west-1", "m6g.large", &e), FC_OK);
    assert_string_equal(e->processor, "arm64");
    fc_prices_free(p);
}

static void expect_offer_error(const char *text, const char *needle)
{
    fc_price_table *p = (fc_price_table *)1;
    assert_int_equal(fc_prices_parse(&p, text, strlen(text), "AmazonEC2.csv"),
                     FC_EPARSE);
    assert_null(p);
    if (!strstr(fc_error_last(), needle))
        fail_msg("'%s' does not mention '%s'", fc_error_last(), needle);
}

static void test_prices__offer_file_errors_name_the_line(void **state)
{
    (void)state;
    /* Line 8: the second data row has a field too few. */
    expect_offer_error(META EC2_HEADER
                       ROW("OnDemand", "0.107", "Linux", "Shared", "Used", "NA",
                           "m5.large", "Intel")
                       "\"S\",\"OnDemand\"\n",
                       "AmazonEC2.csv:8: 2 fields, the header has 19");
    expect_offer_error(META EC2_HEADER
                       ROW("OnDemand", "cheap", "Linux", "Shared", "Used", "NA",
                           "m5.large", "Intel"),
                       "AmazonEC2.csv:7: PricePerUnit: 'cheap' is not a price");
    expect_offer_error(META "\"SKU\",\"Unit\"\n\"a\",\"b\"\n",
                       "AmazonEC2.csv: no header row");
    expect_offer_error(META "\"SKU\",\"TermType\",\"PricePerUnit\",\"Unit\"\n",
                       "AmazonEC2.csv:6: header lacks both Region Code and Location");
    expect_offer_error(META EC2_HEADER
                       ROW("OnDemand", "0.107", "Linux", "Shared", "Used", "NA",
                           "m5.large", "Intel")
                       ROW("OnDemand", "0.2", "Linux", "Shared", "Used", "NA",
                           "m5.large", "Intel"),
                       "AmazonEC2.csv:8: ec2.eu-west-1.m5.large: duplicate price "
                       "(first at line 7)");
    expect_offer_error(META EC2_HEADER
                       "\"S\",\"OnDemand\",\"0\",\"Hrs\",\"0.1\",\"EUR\","
                       "\"Compute Instance\",\"EU (Ireland)\",\"AWS Region\","
                       "\"m5.large\",\"2\",\"8 GiB\",\"Intel\",\"Shared\","
                       "\"Linux\",\"Used\",\"NA\",\"eu-west-1\",\"\"\n"
                       "\"S\",\"OnDemand\",\"0\",\"Hrs\",\"0.1\",\"USD\","
                       "\"Compute Instance\",\"EU (Ireland)\",\"AWS Region\","
                       "\"c5.large\",\"2\",\"4 GiB\",\"Intel\",\"Shared\","
                       "\"Linux\",\"Used\",\"NA\",\"eu-west-1\",\"\"\n",
                       "AmazonEC2.csv:8: currency: USD differs from EUR");
    expect_offer_error(META EC2_HEADER "\"unterminated\n",
                       "AmazonEC2.csv:7: end of file inside a quoted field");
    expect_offer_error(META EC2_HEADER "\"S\",x\"y\n",
                       "AmazonEC2.csv:7: quote inside an unquoted field");
}

/* Writes text to dir/name. */
static void write_file(const char *dir, const char *name, const char *text)
{
    char *path = fc_asprintf("%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    free(path);
}

static void remove_dir(const char *dir, const char *const *names, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        char *path = fc_asprintf("%s/%s", dir, names[i]);
        unlink(path);
        free(path);
    }
    rmdir(dir);
}

static void test_prices__directory_merges_files_and_filters_regions(void **state)
{
    static const char *const names[] = {"a.yaml", "AmazonEC2.csv", "notes.txt"};
    char dir[] = "/tmp/fc-test-prices-XXXXXX";
    const char *want[] = {"eu-west-1"};
    fc_price_table *p = NULL;
    double v;
    (void)state;

    assert_non_null(mkdtemp(dir));
    write_file(dir, "AmazonEC2.csv",
               META EC2_HEADER
               ROW("OnDemand", "0.107", "Linux", "Shared", "Used", "NA",
                   "m5.large", "Intel")
               "\"S\",\"OnDemand\",\"0\",\"Hrs\",\"0.096\",\"USD\","
               "\"Compute Instance\",\"US East (N. Virginia)\",\"AWS Region\","
               "\"m5.large\",\"2\",\"8 GiB\",\"Intel\",\"Shared\",\"Linux\","
               "\"Used\",\"NA\",\"\",\"\"\n");
    /* The same m5.large price again (folded), plus an EIP price. */
    write_file(dir, "a.yaml",
               "currency: USD\nec2:\n  eu-west-1: {m5.large: 0.107}\n"
               "other:\n  eu-west-1: {eip-idle: 0.005}\n");
    write_file(dir, "notes.txt", "not a price file");
    assert_int_equal(fc_prices_load(&p, dir), FC_OK);
    assert_int_equal(p->nec2, 2);
    /* Region Code empty: the Location names the region. */
    assert_int_equal(fc_prices_ec2_hourly(p, "us-east-1", "m5.large", &v), FC_OK);
    assert_true(v == 0.096);
    assert_int_equal(fc_prices_other(p, "eu-west-1", "eip-idle", &v), FC_OK);
    fc_prices_free(p);

    assert_int_equal(fc_prices_load_regions(&p, dir, want, 1), FC_OK);
    assert_int_equal(p->nec2, 1);
    assert_string_equal(p->ec2[0].region, "eu-west-1");
    fc_prices_free(p);

    /* A disagreeing price in another file names both places. */
    write_file(dir, "a.yaml", "ec2:\n  eu-west-1: {m5.large: 0.2}\n");
    p = (fc_price_table *)1;
    assert_int_equal(fc_prices_load(&p, dir), FC_EPARSE);
    assert_null(p);
    assert_non_null(strstr(fc_error_last(), "ec2.eu-west-1.m5.large: duplicate "
                                            "price (first at "));
    assert_non_null(strstr(fc_error_last(), "a.yaml:2"));
    remove_dir(dir, names, 3);

    strcpy(dir, "/tmp/fc-test-prices-XXXXXX");
    assert_non_null(mkdtemp(dir));
    assert_int_equal(fc_prices_load(&p, dir), FC_ENOTFOUND);
    assert_non_null(strstr(fc_error_last(), "no *.csv or *.yaml price files"));
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prices__shipped_file_lookups),
        cmocka_unit_test(test_prices__cover_the_shipped_estate),
        cmocka_unit_test(test_prices__parse_errors_name_file_line_field),
        cmocka_unit_test(test_prices__minimal_table_defaults),
        cmocka_unit_test(test_prices__load_missing_file),
        cmocka_unit_test(test_prices__shipped_price_list_lookups),
        cmocka_unit_test(test_prices__yaml_and_price_list_agree),
        cmocka_unit_test(test_prices__price_list_covers_the_shipped_estate),
        cmocka_unit_test(test_prices__offer_file_filters_rows),
        cmocka_unit_test(test_prices__offer_file_errors_name_the_line),
        cmocka_unit_test(test_prices__directory_merges_files_and_filters_regions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
