/*
 * test_http.c - the HTTP server's pure parts: Prometheus text rendering of
 * the metrics registry, API query parsing, pagination and filters, the
 * snapshot built from pass data, readiness, and --listen validation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "controller/core/fc_error.h"
#include "controller/http/fc_http.h"

#include <stdlib.h>
#include <string.h>

static char *render(fc_metrics *m)
{
    fc_buf b;
    fc_buf_init(&b);
    assert_int_equal(fc_metrics_render(m, &b), FC_OK);
    if (!b.data)
        fc_buf_puts(&b, "");
    return fc_buf_detach(&b);
}

static void test_http__help_and_type_lines(void **state)
{
    fc_metrics *m;
    char *text;
    const char *l[] = {"result", "committed"};
    (void)state;
    assert_int_equal(fc_metrics_new(&m), FC_OK);
    assert_int_equal(fc_metrics_define(m, "x_total", FC_METRIC_COUNTER,
                                       "Passes.\nSecond line with \\ backslash", NULL, 0),
                     FC_OK);
    assert_int_equal(fc_metrics_define(m, "g", FC_METRIC_GAUGE, "A gauge.", NULL, 0),
                     FC_OK);
    assert_int_equal(
        fc_metrics_define(m, "unused", FC_METRIC_GAUGE, "No series.", NULL, 0), FC_OK);
    assert_int_equal(fc_metrics_add(m, "x_total", l, 1, 1), FC_OK);
    assert_int_equal(fc_metrics_add(m, "x_total", l, 1, 2), FC_OK);
    assert_int_equal(fc_metrics_set(m, "g", NULL, 0, 0.25), FC_OK);
    assert_int_equal(fc_metrics_set(m, "g", NULL, 0, 0.1), FC_OK);
    text = render(m);
    assert_string_equal(text, "# HELP x_total Passes.\\nSecond line with \\\\ backslash\n"
                              "# TYPE x_total counter\n"
                              "x_total{result=\"committed\"} 3\n"
                              "# HELP g A gauge.\n"
                              "# TYPE g gauge\n"
                              "g 0.1\n");
    free(text);
    fc_metrics_free(m);
}

static void test_http__label_values_escaped(void **state)
{
    fc_metrics *m;
    char *text;
    const char *l[] = {"budget", "a\"b\\c\nd", "region", ""};
    (void)state;
    assert_int_equal(fc_metrics_new(&m), FC_OK);
    assert_int_equal(fc_metrics_define(m, "r", FC_METRIC_GAUGE, "R.", NULL, 0), FC_OK);
    assert_int_equal(fc_metrics_set(m, "r", l, 2, 1.5), FC_OK);
    text = render(m);
    assert_non_null(strstr(text, "r{budget=\"a\\\"b\\\\c\\nd\",region=\"\"} 1.5\n"));
    free(text);
    fc_metrics_free(m);
}

static void test_http__histogram_buckets_cumulative(void **state)
{
    static const double bounds[] = {0.1, 1, 10};
    fc_metrics *m;
    char *text;
    const char *l[] = {"op", "sync"};
    (void)state;
    assert_int_equal(fc_metrics_new(&m), FC_OK);
    assert_int_equal(
        fc_metrics_define(m, "d_seconds", FC_METRIC_HISTOGRAM, "D.", bounds, 3), FC_OK);
    /* 0.1 lands in le=0.1 (le is inclusive); 50 only in +Inf. */
    assert_int_equal(fc_metrics_observe(m, "d_seconds", l, 1, 0.05), FC_OK);
    assert_int_equal(fc_metrics_observe(m, "d_seconds", l, 1, 0.1), FC_OK);
    assert_int_equal(fc_metrics_observe(m, "d_seconds", l, 1, 5), FC_OK);
    assert_int_equal(fc_metrics_observe(m, "d_seconds", l, 1, 50), FC_OK);
    text = render(m);
    assert_string_equal(text, "# HELP d_seconds D.\n"
                              "# TYPE d_seconds histogram\n"
                              "d_seconds_bucket{op=\"sync\",le=\"0.1\"} 2\n"
                              "d_seconds_bucket{op=\"sync\",le=\"1\"} 2\n"
                              "d_seconds_bucket{op=\"sync\",le=\"10\"} 3\n"
                              "d_seconds_bucket{op=\"sync\",le=\"+Inf\"} 4\n"
                              "d_seconds_sum{op=\"sync\"} 55.15\n"
                              "d_seconds_count{op=\"sync\"} 4\n");
    free(text);
    fc_metrics_free(m);
}

static void test_http__histogram_without_labels(void **state)
{
    static const double bounds[] = {1};
    fc_metrics *m;
    char *text;
    (void)state;
    assert_int_equal(fc_metrics_new(&m), FC_OK);
    assert_int_equal(fc_metrics_define(m, "h", FC_METRIC_HISTOGRAM, "H.", bounds, 1),
                     FC_OK);
    assert_int_equal(fc_metrics_observe(m, "h", NULL, 0, 2), FC_OK);
    text = render(m);
    assert_non_null(strstr(text, "h_bucket{le=\"1\"} 0\nh_bucket{le=\"+Inf\"} 1\n"
                                 "h_sum 2\nh_count 1\n"));
    free(text);
    fc_metrics_free(m);
}

static void test_http__undefined_metric_is_notfound(void **state)
{
    fc_metrics *m;
    (void)state;
    assert_int_equal(fc_metrics_new(&m), FC_OK);
    assert_int_equal(fc_metrics_add(m, "nope", NULL, 0, 1), FC_ENOTFOUND);
    fc_metrics_free(m);
}

static void test_http__query_parse(void **state)
{
    fc_api_query q;
    char big[FC_API_VALUE_MAX + 8];
    (void)state;
    assert_int_equal(fc_api_query_parse(&q, NULL, NULL, NULL, NULL, NULL, NULL), FC_OK);
    assert_int_equal(q.limit, FC_API_LIMIT_DEFAULT);
    assert_int_equal(q.offset, 0);
    assert_string_equal(q.account, "");
    assert_int_equal(
        fc_api_query_parse(&q, "5", "10", NULL, "123", "eu-west-1", "ebs-volume"), FC_OK);
    assert_int_equal(q.limit, 5);
    assert_int_equal(q.offset, 10);
    assert_string_equal(q.region, "eu-west-1");
    assert_int_equal(fc_api_query_parse(&q, NULL, NULL, "7", NULL, NULL, NULL), FC_OK);
    assert_int_equal(q.offset, 7);
    assert_int_equal(fc_api_query_parse(&q, "0", NULL, NULL, NULL, NULL, NULL),
                     FC_EINVALID);
    assert_int_equal(fc_api_query_parse(&q, "1001", NULL, NULL, NULL, NULL, NULL),
                     FC_EINVALID);
    assert_int_equal(fc_api_query_parse(&q, "-1", NULL, NULL, NULL, NULL, NULL),
                     FC_EINVALID);
    assert_int_equal(fc_api_query_parse(&q, "5x", NULL, NULL, NULL, NULL, NULL),
                     FC_EINVALID);
    assert_int_equal(fc_api_query_parse(&q, NULL, "1", "1", NULL, NULL, NULL),
                     FC_EINVALID);
    assert_int_equal(fc_api_query_parse(&q, NULL, NULL, "abc", NULL, NULL, NULL),
                     FC_EINVALID);
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(fc_api_query_parse(&q, NULL, NULL, NULL, big, NULL, NULL),
                     FC_EINVALID);
}

static void add_item(fc_api_list *l, const char *account, const char *region,
                     const char *type, int id)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_int(id));
    assert_int_equal(fc_api_list_add(l, account, region, type, o), FC_OK);
    json_object_put(o);
}

static char *page(const fc_api_list *l, const char *limit, const char *offset,
                  const char *cont, const char *account, const char *region,
                  const char *type)
{
    fc_api_query q;
    fc_buf b;
    assert_int_equal(fc_api_query_parse(&q, limit, offset, cont, account, region, type),
                     FC_OK);
    fc_buf_init(&b);
    assert_int_equal(fc_api_page(&b, l, &q), FC_OK);
    return fc_buf_detach(&b);
}

static void test_http__pagination_and_filters(void **state)
{
    fc_api_list l;
    char *s;
    (void)state;
    fc_api_list_init(&l);
    add_item(&l, "111", "eu-west-1", "ec2-instance", 1);
    add_item(&l, "111", "us-east-1", "ebs-volume", 2);
    add_item(&l, "222", "eu-west-1", "ebs-volume", 3);
    add_item(&l, "222", "eu-west-1", "ec2-instance", 4);
    add_item(&l, NULL, NULL, NULL, 5); /* a kind without these fields */

    s = page(&l, "2", NULL, NULL, NULL, NULL, NULL);
    assert_string_equal(s, "{\"items\":[{\"id\":1},{\"id\":2}],\"total\":5,\"offset\":0,"
                           "\"limit\":2,\"continue\":\"2\"}");
    free(s);
    /* The token of one page is the start of the next; the last has none. */
    s = page(&l, "2", NULL, "4", NULL, NULL, NULL);
    assert_string_equal(s,
                        "{\"items\":[{\"id\":5}],\"total\":5,\"offset\":4,\"limit\":2}");
    free(s);
    s = page(&l, NULL, "9", NULL, NULL, NULL, NULL);
    assert_string_equal(s, "{\"items\":[],\"total\":5,\"offset\":9,\"limit\":100}");
    free(s);
    s = page(&l, NULL, NULL, NULL, "222", "eu-west-1", NULL);
    assert_string_equal(s, "{\"items\":[{\"id\":3},{\"id\":4}],\"total\":2,\"offset\":0,"
                           "\"limit\":100}");
    free(s);
    s = page(&l, "1", NULL, NULL, NULL, "eu-west-1", "ec2-instance");
    assert_string_equal(s, "{\"items\":[{\"id\":1}],\"total\":2,\"offset\":0,\"limit\":1,"
                           "\"continue\":\"1\"}");
    free(s);
    s = page(&l, NULL, NULL, NULL, "333", NULL, NULL);
    assert_string_equal(s, "{\"items\":[],\"total\":0,\"offset\":0,\"limit\":100}");
    free(s);
    fc_api_list_dispose(&l);
}

static void test_http__snapshot_from_pass_data(void **state)
{
    fc_inventory inv;
    fc_recommendation_list recs;
    fc_recommendation r;
    fc_resource res[2];
    fc_plan_item items[2];
    fc_plan plan;
    fc_http_snapshot *s, *cur;
    const fc_api_list *l;
    fc_buf b;
    (void)state;

    fc_inventory_init(&inv);
    memset(res, 0, sizeof(res));
    res[0].type = FC_RES_EC2_INSTANCE;
    res[0].id = "i-1";
    res[0].account = "111";
    res[0].region = "eu-west-1";
    res[1] = res[0];
    res[1].id = "i-2";
    inv.resources = res;
    inv.nresources = 2;
    memset(&r, 0, sizeof(r));
    r.id = "idle-ec2-instance-i-1";
    r.rule = "idle-ec2-instance";
    r.account = "111";
    r.region = "eu-west-1";
    r.resource = "i-1";
    r.monthly_saving = 12.345;
    r.currency = "USD";
    recs.items = &r;
    recs.n = 1;
    memset(items, 0, sizeof(items));
    items[0].optimization = "a";
    items[0].state = FC_PLAN_PLANNED;
    items[1].optimization = "b";
    items[1].state = FC_PLAN_BLOCKED;
    plan.items = items;
    plan.n = 2;
    plan.cap = 2;

    assert_int_equal(fc_http_snapshot_build(&s, NULL, &inv, &recs, NULL, &plan, NULL,
                                            "abc", 1795608000),
                     FC_OK);
    l = fc_http_snapshot_list(s, "resources");
    assert_int_equal(l->n, 2);
    assert_string_equal(l->items[1].type, "ec2-instance");
    l = fc_http_snapshot_list(s, "recommendations");
    assert_int_equal(l->n, 1);
    assert_non_null(strstr(l->items[0].json, "\"monthlySaving\":12.35"));
    assert_null(fc_http_snapshot_list(s, "secrets"));
    fc_buf_init(&b);
    assert_int_equal(fc_metrics_render(fc_http_snapshot_gauges(s), &b), FC_OK);
    assert_non_null(strstr(b.data,
                           "finops_resources{type=\"ec2-instance\",account=\"111\","
                           "region=\"eu-west-1\"} 2\n"));
    assert_non_null(strstr(b.data, "finops_actions{result=\"planned\"} 1\n"
                                   "finops_actions{result=\"blocked\"} 1\n"
                                   "finops_actions{result=\"noop\"} 0\n"));
    assert_non_null(
        strstr(b.data, "finops_recommendations{rule=\"idle-ec2-instance\"} 1\n"));
    fc_buf_dispose(&b);

    /* Publishing swaps; a reader's reference outlives the swap. */
    fc_http_snapshot_publish(s);
    cur = fc_http_snapshot_current();
    assert_ptr_equal(cur, s);
    fc_http_snapshot_publish(NULL);
    assert_null(fc_http_snapshot_current());
    assert_int_equal(fc_http_snapshot_list(cur, "resources")->n, 2);
    fc_http_snapshot_unref(cur);
}

static void test_http__readiness(void **state)
{
    char why[256];
    fc_run_result res;
    double t;
    (void)state;
    memset(&res, 0, sizeof(res));
    assert_int_equal(fc_http_ready(fc_metrics_clock(), why, sizeof(why)), 0);
    assert_string_equal(why, "no successful pass yet");
    fc_error_set(FC_EIO, "cannot reach the remote");
    fc_http_pass_done(FC_EIO, &res, 0.5, 10);
    assert_int_equal(fc_http_ready(fc_metrics_clock(), why, sizeof(why)), 0);
    assert_non_null(strstr(why, "last pass failed: cannot reach the remote"));
    fc_http_pass_done(FC_OK, &res, 0.5, 10);
    t = fc_metrics_clock();
    assert_int_equal(fc_http_ready(t, why, sizeof(why)), 1);
    assert_int_equal(fc_http_ready(t + 29, why, sizeof(why)), 1);
    assert_int_equal(fc_http_ready(t + 31, why, sizeof(why)), 0);
    assert_non_null(strstr(why, "more than 3 intervals (10 s)"));
}

static void test_http__listen_validated(void **state)
{
    fc_http *srv = NULL;
    (void)state;
    assert_int_equal(fc_http_start(&srv, "8080", NULL), FC_EINVALID);
    assert_int_equal(fc_http_start(&srv, "127.0.0.1:", NULL), FC_EINVALID);
    assert_int_equal(fc_http_start(&srv, "127.0.0.1:99999", NULL), FC_EINVALID);
    assert_int_equal(fc_http_start(&srv, "[::1:80", NULL), FC_EINVALID);
    assert_null(srv);
    assert_int_equal(fc_http_start(&srv, "127.0.0.1:0", NULL), FC_OK);
    assert_true(fc_http_port(srv) > 0);
    assert_int_equal(fc_http_serving(), 1);
    fc_http_stop(srv);
    assert_int_equal(fc_http_serving(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http__help_and_type_lines),
        cmocka_unit_test(test_http__label_values_escaped),
        cmocka_unit_test(test_http__histogram_buckets_cumulative),
        cmocka_unit_test(test_http__histogram_without_labels),
        cmocka_unit_test(test_http__undefined_metric_is_notfound),
        cmocka_unit_test(test_http__query_parse),
        cmocka_unit_test(test_http__pagination_and_filters),
        cmocka_unit_test(test_http__snapshot_from_pass_data),
        cmocka_unit_test(test_http__readiness),
        cmocka_unit_test(test_http__listen_validated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
