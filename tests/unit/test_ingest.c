/*
 * test_ingest.c - FOCUS 1.0 and AWS CUR 2.0 exports to daily cost: column
 * mapping, rejected rows with line numbers, the cost store (re-ingest
 * replaces, same bytes under another name are not counted twice) and the
 * merge with provider costs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "controller/core/fc_error.h"
#include "controller/core/fc_util.h"
#include "controller/ingest/fc_ingest.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char focus_csv[] =
    "BilledCost,EffectiveCost,BillingCurrency,ChargePeriodStart,ChargePeriodEnd,"
    "ChargeCategory,ServiceName,SubAccountId,BillingAccountId,RegionId,ResourceId,"
    "x_UsageType\n"
    "10.5,10.5,USD,2026-11-01T00:00:00Z,2026-11-02T00:00:00Z,Usage,Amazon Elastic Compute "
    "Cloud,111111111111,999999999999,eu-west-1,i-1,BoxUsage:m5.large\n"
    "2.25,2.25,USD,2026-11-01T13:00:00Z,2026-11-01T14:00:00Z,Usage,Amazon Elastic Compute "
    "Cloud,111111111111,999999999999,eu-west-1,i-2,BoxUsage:m5.large\n"
    "1,1,USD,2026-11-02T00:00:00Z,2026-11-03T00:00:00Z,Usage,\"AWS Data Transfer\","
    "111111111111,999999999999,us-east-1,,\"USE1-DataTransfer-Out-Bytes\"\n"
    "abc,1,USD,2026-11-02T00:00:00Z,2026-11-03T00:00:00Z,Usage,AWS Lambda,111111111111,"
    "999999999999,eu-west-1,fn,Request\n"
    "3,3,USD,2026-11-02T00:00:00Z\n"
    "0.75,0.75,USD,2026-11-02T00:00:00Z,2026-11-03T00:00:00Z,Tax,Tax,,999999999999,,,\n"
    "4,4,EUR,2026-11-03T00:00:00Z,2026-11-04T00:00:00Z,Usage,Amazon Simple Storage "
    "Service,222222222222,999999999999,eu-central-1,bucket-a,TimedStorage-ByteHrs\n"
    "1,1,USD,11/03/2026,2026-11-04T00:00:00Z,Usage,X,111111111111,9,eu-west-1,,\n";

static const char cur_csv[] =
    "identity_line_item_id,line_item_usage_start_date,line_item_usage_end_date,"
    "line_item_usage_account_id,line_item_line_item_type,product_product_name,"
    "product_servicecode,product_region_code,line_item_resource_id,line_item_usage_type,"
    "line_item_unblended_cost,line_item_currency_code\n"
    "a,2026-11-05T00:00:00Z,2026-11-05T01:00:00Z,333333333333,Usage,Amazon Relational "
    "Database Service,AmazonRDS,eu-west-1,arn:aws:rds:eu-west-1:333333333333:db:main,"
    "EU-InstanceUsage:db.r5.large,0.29,USD\n"
    "b,2026-11-05T01:00:00Z,2026-11-05T02:00:00Z,333333333333,Usage,Amazon Relational "
    "Database Service,AmazonRDS,eu-west-1,arn:aws:rds:eu-west-1:333333333333:db:main,"
    "EU-InstanceUsage:db.r5.large,0.29,USD\n"
    "c,2026-11-05T00:00:00Z,2026-11-06T00:00:00Z,333333333333,Usage,,AWSDataTransfer,,,"
    "DataTransfer-Out-Bytes,1.2E-1,USD\n"
    "d,2026-11-05T00:00:00Z,2026-11-06T00:00:00Z,,Usage,X,Y,,,,1,USD\n";

static char *write_tmp(const char *data, size_t len, const char *suffix)
{
    char tmpl[64], *path;
    int fd;
    snprintf(tmpl, sizeof(tmpl), "/tmp/fc-ingest-XXXXXX");
    fd = mkstemp(tmpl);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
    path = fc_asprintf("%s%s", tmpl, suffix);
    assert_int_equal(rename(tmpl, path), 0);
    return path;
}

static int64_t day(const char *s)
{
    int64_t t;
    assert_int_equal(fc_time_parse(s, &t), 0);
    return t;
}

static double sum_where(const fc_inventory *inv, const char *account, const char *service,
                        int64_t d)
{
    double v = 0;
    size_t i;
    for (i = 0; i < inv->ncosts; i++)
        if ((!account || strcmp(inv->costs[i].account, account) == 0) &&
            (!service || strcmp(inv->costs[i].service, service) == 0) &&
            (d < 0 || inv->costs[i].day == d))
            v += inv->costs[i].amount;
    return v;
}

static void test_ingest__focus_mapping_and_rejections(void **s)
{
    fc_ingest_result r;
    fc_csv_stream *c = NULL;
    size_t daily, detail;
    (void)s;
    fc_ingest_result_init(&r);
    assert_int_equal(fc_csv_stream_open_mem(&c, focus_csv, strlen(focus_csv)), FC_OK);
    assert_int_equal(fc_ingest_csv(&r, c, "focus.csv"), FC_OK);
    fc_csv_stream_free(c);
    assert_int_equal(r.format, FC_COST_FORMAT_FOCUS);
    assert_int_equal(r.rows, 8);
    assert_int_equal(r.rejected, 3);
    assert_int_equal(r.nerrors, 3);
    assert_int_equal(r.errors[0].line, 5);
    assert_string_equal(r.errors[0].column, "BilledCost");
    assert_non_null(strstr(r.errors[0].message, "\"abc\""));
    assert_int_equal(r.errors[1].line, 6);
    assert_string_equal(r.errors[1].column, "(row)");
    assert_non_null(strstr(r.errors[1].message, "expected 12 fields"));
    assert_int_equal(r.errors[2].line, 9);
    assert_string_equal(r.errors[2].column, "ChargePeriodStart");
    assert_int_equal(r.days, 3);
    assert_true(r.first_day == day("2026-11-01"));
    assert_true(r.last_day == day("2026-11-03"));
    assert_int_equal(r.ncurrencies, 2);
    assert_string_equal(r.currencies[0].currency, "EUR"); /* sorted */
    assert_true(fabs(r.currencies[0].total - 4) < 1e-9);
    assert_string_equal(r.currencies[1].currency, "USD");
    assert_true(fabs(r.currencies[1].total - 14.5) < 1e-9);
    fc_ingest_counts(&r, &daily, &detail);
    /* EC2 eu-west-1 day 1; DT us-east-1 day 2; tax (billing account) day 2;
     * S3 EUR day 3. */
    assert_int_equal(daily, 4);
    /* i-1, i-2, DT usage type, bucket-a (tax has neither). */
    assert_int_equal(detail, 4);
    fc_ingest_result_dispose(&r);
}

static void test_ingest__cur_mapping(void **s)
{
    fc_ingest_result r;
    fc_state *st = NULL;
    fc_inventory inv;
    fc_cost_store_outcome out;
    char *path = write_tmp(cur_csv, strlen(cur_csv), ".csv");
    size_t i;
    int found_rds = 0, found_dt = 0;
    (void)s;
    fc_ingest_result_init(&r);
    fc_inventory_init(&inv);
    assert_int_equal(fc_ingest_file(&r, path), FC_OK);
    assert_int_equal(r.format, FC_COST_FORMAT_CUR);
    assert_int_equal(r.rows, 4);
    assert_int_equal(r.rejected, 1); /* no account */
    assert_int_equal(r.errors[0].line, 5);
    assert_string_equal(r.errors[0].column, "line_item_usage_account_id");
    assert_int_equal(fc_state_open_memory(&st), FC_OK);
    assert_int_equal(fc_cost_store_save(st, &r, path, 1, 1, 0, &out, NULL), FC_OK);
    assert_int_equal(out, FC_COST_STORED);
    assert_int_equal(fc_cost_store_load(st, day("2026-11-01"), day("2026-12-01"), &inv),
                     FC_OK);
    assert_string_equal(inv.currency, "USD");
    for (i = 0; i < inv.ncosts; i++) {
        const fc_cost_row *c = &inv.costs[i];
        assert_string_equal(c->account, "333333333333");
        assert_true(c->day == day("2026-11-05"));
        if (strcmp(c->service, "Amazon Relational Database Service") == 0) {
            assert_string_equal(c->region, "eu-west-1");
            assert_true(fabs(c->amount - 0.58) < 1e-9);
            found_rds = 1;
        } else {
            /* product name empty: the service code stands in */
            assert_string_equal(c->service, "AWSDataTransfer");
            assert_string_equal(c->region, "");
            assert_true(fabs(c->amount - 0.12) < 1e-9);
            found_dt = 1;
        }
    }
    assert_true(found_rds && found_dt);
    assert_int_equal(inv.ncost_details, 2);
    for (i = 0; i < inv.ncost_details; i++)
        if (inv.cost_details[i].resource_id)
            assert_string_equal(inv.cost_details[i].usage_type,
                                "EU-InstanceUsage:db.r5.large");
    fc_inventory_dispose(&inv);
    fc_state_close(st);
    fc_ingest_result_dispose(&r);
    unlink(path);
    free(path);
}

static void test_ingest__unknown_format_is_an_error(void **s)
{
    fc_ingest_result r;
    fc_csv_stream *c = NULL;
    const char *csv = "a,b,c\n1,2,3\n";
    (void)s;
    fc_ingest_result_init(&r);
    assert_int_equal(fc_csv_stream_open_mem(&c, csv, strlen(csv)), FC_OK);
    assert_int_equal(fc_ingest_csv(&r, c, "x.csv"), FC_EPARSE);
    assert_non_null(strstr(fc_error_last(), "not a FOCUS 1.0 or AWS CUR 2.0 export"));
    fc_csv_stream_free(c);
    fc_ingest_result_dispose(&r);
}

/* Same file twice = same totals; changed content replaces; the same bytes
 * under another name are recognised. */
static void test_ingest__reingest_is_idempotent(void **s)
{
    fc_state *st = NULL;
    fc_inventory a, b;
    fc_cost_store_outcome out;
    char *path = write_tmp(focus_csv, strlen(focus_csv), ".csv");
    char *copy = write_tmp(focus_csv, strlen(focus_csv), ".csv");
    char *dup = NULL;
    fc_ingest_result r;
    int k;
    (void)s;
    assert_int_equal(fc_state_open_memory(&st), FC_OK);
    for (k = 0; k < 2; k++) {
        fc_ingest_result_init(&r);
        assert_int_equal(fc_ingest_file(&r, path), FC_OK);
        assert_int_equal(fc_cost_store_save(st, &r, path, 10, 20, 0, &out, NULL), FC_OK);
        assert_int_equal(out, k == 0 ? FC_COST_STORED : FC_COST_REPLACED);
        fc_ingest_result_dispose(&r);
        fc_inventory_init(&a);
        assert_int_equal(fc_cost_store_load(st, day("2026-10-01"), day("2026-12-01"), &a),
                         FC_OK);
        assert_true(fabs(sum_where(&a, NULL, NULL, -1) - 14.5) < 1e-9);
        assert_int_equal(a.ncosts, 3); /* EUR row left out of a USD inventory */
        fc_inventory_dispose(&a);
    }
    {
        int seen;
        assert_int_equal(fc_cost_store_seen(st, path, 10, 20, &seen), FC_OK);
        assert_int_equal(seen, 1);
        assert_int_equal(fc_cost_store_seen(st, path, 11, 20, &seen), FC_OK);
        assert_int_equal(seen, 0);
    }
    /* The same bytes under another name. */
    fc_ingest_result_init(&r);
    assert_int_equal(fc_ingest_file(&r, copy), FC_OK);
    assert_int_equal(fc_cost_store_save(st, &r, copy, 10, 20, 0, &out, &dup), FC_OK);
    assert_int_equal(out, FC_COST_DUPLICATE);
    assert_string_equal(dup, path);
    free(dup);
    fc_ingest_result_dispose(&r);
    /* A new version of the first file replaces its rows. */
    {
        const char *v2 = "BilledCost,ChargePeriodStart,SubAccountId,ServiceName,"
                         "BillingCurrency\n5,2026-11-01,111111111111,Amazon Elastic Compute "
                         "Cloud,USD\n";
        FILE *f = fopen(path, "w");
        fputs(v2, f);
        fclose(f);
        fc_ingest_result_init(&r);
        assert_int_equal(fc_ingest_file(&r, path), FC_OK);
        assert_int_equal(fc_cost_store_save(st, &r, path, 11, 21, 0, &out, NULL), FC_OK);
        assert_int_equal(out, FC_COST_REPLACED);
        fc_ingest_result_dispose(&r);
        fc_inventory_init(&b);
        assert_int_equal(fc_cost_store_load(st, day("2026-10-01"), day("2026-12-01"), &b),
                         FC_OK);
        assert_int_equal(b.ncosts, 1);
        assert_true(fabs(b.costs[0].amount - 5) < 1e-9);
        assert_int_equal(b.ncost_details, 0);
        fc_inventory_dispose(&b);
    }
    fc_state_close(st);
    unlink(path);
    unlink(copy);
    free(path);
    free(copy);
}

/* Ingested costs win for the (account, day) they cover. */
static void test_ingest__merge_prefers_ingested_days(void **s)
{
    fc_inventory inv, ing;
    fc_cost_row row;
    (void)s;
    fc_inventory_init(&inv);
    fc_inventory_init(&ing);
    assert_int_equal(fc_inventory_add_cost(&inv, "111111111111", "EC2", day("2026-11-01"), 100), FC_OK);
    assert_int_equal(fc_inventory_add_cost(&inv, "111111111111", "EC2", day("2026-11-02"), 100), FC_OK);
    assert_int_equal(fc_inventory_add_cost(&inv, "222222222222", "EC2", day("2026-11-01"), 50), FC_OK);
    memset(&row, 0, sizeof(row));
    row.account = "111111111111";
    row.service = "Amazon Elastic Compute Cloud";
    row.region = "eu-west-1";
    row.day = day("2026-11-01");
    row.amount = 90;
    assert_int_equal(fc_inventory_add_cost_ex(&ing, &row), FC_OK);
    row.usage_type = "BoxUsage";
    row.resource_id = "i-1";
    assert_int_equal(fc_inventory_add_cost_detail(&ing, &row), FC_OK);
    assert_int_equal(fc_costs_merge(&inv, &ing), FC_OK);
    assert_int_equal(inv.ncosts, 3);
    assert_true(sum_where(&inv, "111111111111", NULL, day("2026-11-01")) == 90);
    assert_true(sum_where(&inv, "111111111111", NULL, day("2026-11-02")) == 100);
    assert_true(sum_where(&inv, "222222222222", NULL, day("2026-11-01")) == 50);
    assert_int_equal(inv.ncost_details, 1);
    assert_string_equal(inv.cost_details[0].resource_id, "i-1");
    fc_inventory_dispose(&inv);
    fc_inventory_dispose(&ing);
}

/* The anomaly history survives a save and a load unchanged. */
static void test_ingest__anomaly_history_round_trip(void **s)
{
    fc_state *st = NULL;
    fc_anomaly_list l, back;
    fc_anomaly a;
    fc_anomaly_day days[2] = {{1000 * FC_DAY, 300, 100, 9.5}, {1001 * FC_DAY, 250, 100, 7.25}};
    fc_anomaly_cause causes[1] = {{"resource", "i-1", 345.5, 0.98}};
    (void)s;
    memset(&a, 0, sizeof(a));
    a.id = "anomaly-x";
    a.account = "123456789012";
    a.service = "EC2";
    a.region = "";
    a.currency = "USD";
    a.first_day = days[0].day;
    a.last_day = days[1].day;
    a.open = 0;
    a.resolved_day = 1002 * FC_DAY;
    a.impact = 350;
    a.max_z = 9.5;
    a.severity = FC_ANOMALY_HIGH;
    a.days = days;
    a.ndays = 2;
    a.causes = causes;
    a.ncauses = 1;
    fc_anomaly_list_init(&l);
    fc_anomaly_list_init(&back);
    assert_int_equal(fc_anomaly_list_add(&l, &a), FC_OK);
    assert_int_equal(fc_state_open_memory(&st), FC_OK);
    assert_int_equal(fc_anomaly_store_save(st, &l), FC_OK);
    assert_int_equal(fc_anomaly_store_save(st, &l), FC_OK); /* replaces */
    assert_int_equal(fc_anomaly_store_load(st, &back), FC_OK);
    assert_int_equal(back.n, 1);
    assert_string_equal(back.items[0].id, "anomaly-x");
    assert_null(back.items[0].policy);
    assert_int_equal(back.items[0].ndays, 2);
    assert_true(back.items[0].days[1].z == 7.25);
    assert_true(back.items[0].resolved_day == 1002 * FC_DAY);
    assert_int_equal(back.items[0].severity, FC_ANOMALY_HIGH);
    assert_int_equal(back.items[0].ncauses, 1);
    assert_string_equal(back.items[0].causes[0].value, "i-1");
    assert_true(back.items[0].causes[0].share == 0.98);
    fc_anomaly_list_dispose(&l);
    fc_anomaly_list_dispose(&back);
    fc_state_close(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ingest__focus_mapping_and_rejections),
        cmocka_unit_test(test_ingest__cur_mapping),
        cmocka_unit_test(test_ingest__unknown_format_is_an_error),
        cmocka_unit_test(test_ingest__reingest_is_idempotent),
        cmocka_unit_test(test_ingest__merge_prefers_ingested_days),
        cmocka_unit_test(test_ingest__anomaly_history_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
