/*
 * test_ingest.c - FOCUS 1.0 and AWS CUR 2.0 exports to daily cost: column
 * mapping, rejected rows with line numbers, the cost store (re-ingest
 * replaces, same bytes under another name are not counted twice, batched
 * inserts, the migration to the string table) and the merge with provider
 * costs.
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

/* Enough distinct keys for several insert batches and a remainder: every
 * aggregate comes back from the store with its sum, in key order. */
static void test_ingest__store_many_rows_round_trip(void **s)
{
    enum { ACCTS = 7, SVCS = 5, DAYS = 9, RES = 40 };
    double want[ACCTS][SVCS][DAYS], want_res[RES][DAYS];
    size_t cap = 4u * 1024u * 1024u, n = 0, i, k;
    char *csv = malloc(cap), *path;
    fc_state *st = NULL;
    fc_inventory inv;
    fc_ingest_result r;
    fc_cost_store_outcome out;
    size_t daily, detail;
    (void)s;
    memset(want, 0, sizeof(want));
    memset(want_res, 0, sizeof(want_res));
    n += (size_t)sprintf(csv, "BilledCost,BillingCurrency,ChargePeriodStart,SubAccountId,"
                              "ServiceName,RegionId,ResourceId,x_UsageType\r\n");
    for (i = 0; i < 20000; i++) {
        unsigned res = (unsigned)(i * 7919 % RES), d = (unsigned)(i * 31 % DAYS);
        unsigned a = res % ACCTS, v = res % SVCS;
        double amount = (double)(i % 97) / 4.0;
        n += (size_t)sprintf(csv + n,
                             "%.2f,USD,2026-11-%02uT%02u:00:00Z,%012u,\"Service, %u\",r-%u,"
                             "res-%u,use-%u\r\n",
                             amount, d + 1, (unsigned)(i % 24), 100000 + a, v, a % 3, res,
                             res % 2);
        want[a][v][d] += amount;
        want_res[res][d] += amount;
    }
    path = write_tmp(csv, n, ".csv");
    fc_ingest_result_init(&r);
    assert_int_equal(fc_ingest_file(&r, path), FC_OK);
    assert_int_equal(r.rows, 20000);
    assert_int_equal(r.rejected, 0);
    fc_ingest_counts(&r, &daily, &detail);
    assert_int_equal(daily, 7 * 5 * DAYS); /* res % 35 picks (account, service) */
    assert_int_equal(detail, RES * DAYS);
    assert_int_equal(fc_state_open_memory(&st), FC_OK);
    assert_int_equal(fc_cost_store_save(st, &r, path, 1, 2, 0, &out, NULL), FC_OK);
    fc_ingest_result_dispose(&r);

    fc_inventory_init(&inv);
    assert_int_equal(fc_cost_store_load(st, day("2026-11-01"), day("2026-12-01"), &inv),
                     FC_OK);
    assert_int_equal(inv.ncosts, daily);
    assert_int_equal(inv.ncost_details, detail);
    for (k = 0; k < inv.ncosts; k++) {
        const fc_cost_row *c = &inv.costs[k];
        unsigned a = (unsigned)atoi(c->account) - 100000, v, d;
        assert_int_equal(sscanf(c->service, "Service, %u", &v), 1);
        d = (unsigned)((c->day - day("2026-11-01")) / 86400);
        assert_true(a < ACCTS && v < SVCS && d < DAYS);
        assert_true(fabs(c->amount - want[a][v][d]) < 1e-6);
        if (k > 0) { /* ordered by account, service, region, currency, day */
            const fc_cost_row *p = &inv.costs[k - 1];
            int o = strcmp(p->account, c->account);
            if (!o)
                o = strcmp(p->service, c->service);
            if (!o)
                o = strcmp(p->region, c->region);
            assert_true(o < 0 || (o == 0 && p->day < c->day));
        }
    }
    for (k = 0; k < inv.ncost_details; k++) {
        const fc_cost_row *c = &inv.cost_details[k];
        unsigned res = (unsigned)atoi(c->resource_id + 4);
        unsigned d = (unsigned)((c->day - day("2026-11-01")) / 86400);
        char u[16];
        assert_true(res < RES && d < DAYS);
        snprintf(u, sizeof(u), "use-%u", res % 2);
        assert_string_equal(c->usage_type, u);
        assert_true(fabs(c->amount - want_res[res][d]) < 1e-6);
    }
    fc_inventory_dispose(&inv);
    fc_state_close(st);
    unlink(path);
    free(path);
    free(csv);
}

/* A store written by the first schema (strings in every row) is carried
 * over to the string table without losing a row. */
static void test_ingest__store_schema_1_is_migrated(void **s)
{
    fc_state *st = NULL;
    fc_inventory inv;
    (void)s;
    assert_int_equal(fc_state_open_memory(&st), FC_OK);
    assert_int_equal(
        fc_state_exec(st,
            "CREATE TABLE cost_files (id INTEGER PRIMARY KEY AUTOINCREMENT,"
            " name TEXT NOT NULL UNIQUE, size INTEGER NOT NULL, mtime INTEGER NOT NULL,"
            " fingerprint TEXT NOT NULL, format TEXT NOT NULL, rows INTEGER NOT NULL,"
            " rejected INTEGER NOT NULL, first_day INTEGER, last_day INTEGER,"
            " ingested_at INTEGER NOT NULL);"
            "CREATE INDEX cost_files_fingerprint ON cost_files(fingerprint);"
            "CREATE TABLE cost_daily (source INTEGER NOT NULL REFERENCES cost_files(id)"
            " ON DELETE CASCADE, day INTEGER NOT NULL, account TEXT NOT NULL,"
            " service TEXT NOT NULL, region TEXT NOT NULL, currency TEXT NOT NULL,"
            " amount REAL NOT NULL, PRIMARY KEY (source, day, account, service, region,"
            " currency)) WITHOUT ROWID;"
            "CREATE TABLE cost_resource_daily (source INTEGER NOT NULL REFERENCES"
            " cost_files(id) ON DELETE CASCADE, day INTEGER NOT NULL, account TEXT NOT NULL,"
            " service TEXT NOT NULL, region TEXT NOT NULL, usage_type TEXT NOT NULL,"
            " resource_id TEXT NOT NULL, currency TEXT NOT NULL, amount REAL NOT NULL,"
            " PRIMARY KEY (source, day, account, service, region, usage_type, resource_id,"
            " currency)) WITHOUT ROWID;"
            "INSERT INTO schema_versions(module, version) VALUES('costs', 1);"
            "INSERT INTO cost_files VALUES(1, 'old.csv', 1, 1, 'f', 'FOCUS 1.0', 3, 0,"
            " 1793491200, 1793577600, 0);"
            "INSERT INTO cost_daily VALUES(1, 1793491200, '111', 'EC2', 'eu-west-1', 'USD', 2.5),"
            " (1, 1793577600, '111', 'EC2', 'eu-west-1', 'USD', 1.5),"
            " (1, 1793577600, '222', 'S3', '', 'USD', 4);"
            "INSERT INTO cost_resource_daily VALUES(1, 1793491200, '111', 'EC2', 'eu-west-1',"
            " 'Box', 'i-1', 'USD', 2.5);"),
        FC_OK);
    fc_inventory_init(&inv);
    assert_int_equal(fc_cost_store_load(st, day("2026-11-01"), day("2026-12-01"), &inv),
                     FC_OK);
    assert_int_equal(inv.ncosts, 3);
    assert_string_equal(inv.costs[0].account, "111");
    assert_string_equal(inv.costs[0].region, "eu-west-1");
    assert_int_equal(inv.costs[0].day, day("2026-11-01"));
    assert_true(inv.costs[0].amount == 2.5);
    assert_true(inv.costs[1].amount == 1.5);
    assert_string_equal(inv.costs[2].service, "S3");
    assert_string_equal(inv.costs[2].region, "");
    assert_int_equal(inv.ncost_details, 1);
    assert_string_equal(inv.cost_details[0].resource_id, "i-1");
    assert_string_equal(inv.cost_details[0].usage_type, "Box");
    fc_inventory_dispose(&inv);
    /* Dropping the file still cascades to its rows. */
    assert_int_equal(fc_state_exec(st, "DELETE FROM cost_files WHERE id = 1"), FC_OK);
    fc_inventory_init(&inv);
    assert_int_equal(fc_cost_store_load(st, day("2026-11-01"), day("2026-12-01"), &inv),
                     FC_OK);
    assert_int_equal(inv.ncosts + inv.ncost_details, 0);
    fc_inventory_dispose(&inv);
    fc_state_close(st);
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
        cmocka_unit_test(test_ingest__store_many_rows_round_trip),
        cmocka_unit_test(test_ingest__store_schema_1_is_migrated),
        cmocka_unit_test(test_ingest__merge_prefers_ingested_days),
        cmocka_unit_test(test_ingest__anomaly_history_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
