/*
 * test_http.c - the HTTP server's pure parts: Prometheus text rendering of
 * the metrics registry, API query parsing, pagination and filters, the
 * snapshot built from pass data, readiness, and --listen validation; the
 * write endpoints: HMAC-SHA256 (RFC 4231 vectors), webhook signatures of
 * GitHub, Gitea and GitLab, bearer tokens, and a live server's POST
 * /hooks/git and /api/v1/tasks with callbacks standing in for the loop.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "controller/core/fc_error.h"
#include "controller/gitsync/auth_int.h"
#include "controller/http/fc_http.h"
#include "controller/core/secure.h"

#include <curl/curl.h>
#include <stdio.h>
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

static void hex(const unsigned char *d, size_t n, char *out)
{
    size_t i;
    for (i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", d[i]);
}

static void check_hmac(const unsigned char *key, size_t klen, const void *msg, size_t mlen,
                       const char *want)
{
    unsigned char mac[32];
    char got[65];
    assert_int_equal(fc_gitsync__hmac_sha256(key, klen, msg, mlen, mac), FC_OK);
    hex(mac, 32, got);
    assert_string_equal(got, want);
}

static void test_http__hmac_sha256_rfc4231(void **state)
{
    unsigned char k[131], d[50];
    size_t i;
    (void)state;
    memset(k, 0x0b, 20);
    check_hmac(k, 20, "Hi There", 8,
               "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    check_hmac((const unsigned char *)"Jefe", 4, "what do ya want for nothing?", 28,
               "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    memset(k, 0xaa, 20);
    memset(d, 0xdd, 50);
    check_hmac(k, 20, d, 50,
               "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
    for (i = 0; i < 25; i++)
        k[i] = (unsigned char)(i + 1);
    memset(d, 0xcd, 50);
    check_hmac(k, 25, d, 50,
               "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
    memset(k, 0xaa, 131); /* keys longer than a block are hashed first */
    check_hmac(k, 131, "Test Using Larger Than Block-Size Key - Hash Key First", 54,
               "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    {
        static const char m[] = "This is a test using a larger than block-size key and a larger "
                                "than block-size data. The key needs to be hashed before being "
                                "used by the HMAC algorithm.";
        check_hmac(k, 131, m, sizeof(m) - 1,
                   "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
    }
    assert_true(fc_secure_equal("abc", 3, "abc", 3));
    assert_false(fc_secure_equal("abc", 3, "abd", 3));
    assert_false(fc_secure_equal("abc", 3, "abcd", 4));
    assert_false(fc_secure_equal("", 0, "a", 1));
}

/* "sha256=<hex>" of body under secret into out[72]. */
static void github_sig(const char *secret, const char *body, char *out)
{
    unsigned char mac[32];
    assert_int_equal(fc_gitsync__hmac_sha256(secret, strlen(secret), body, strlen(body), mac),
                     FC_OK);
    strcpy(out, "sha256=");
    hex(mac, 32, out + 7);
}

static void test_http__webhook_signatures(void **state)
{
    const char *body = "{\"ref\":\"refs/heads/main\"}";
    char sig[72], upper[72];
    size_t i;
    (void)state;
    github_sig("s3cret", body, sig);
    assert_true(fc_http_hook_verify("s3cret", body, strlen(body), sig, NULL, NULL));
    /* Gitea: the bare hex */
    assert_true(fc_http_hook_verify("s3cret", body, strlen(body), NULL, sig + 7, NULL));
    strcpy(upper, sig);
    for (i = 7; upper[i]; i++)
        upper[i] = (char)(upper[i] >= 'a' ? upper[i] - 32 : upper[i]);
    assert_true(fc_http_hook_verify("s3cret", body, strlen(body), upper, NULL, NULL));
    assert_false(fc_http_hook_verify("other", body, strlen(body), sig, NULL, NULL));
    assert_false(fc_http_hook_verify("s3cret", "{}", 2, sig, NULL, NULL));
    assert_false(fc_http_hook_verify("s3cret", body, strlen(body), sig + 7, NULL, NULL));
    sig[20] = sig[20] == 'a' ? 'b' : 'a';
    assert_false(fc_http_hook_verify("s3cret", body, strlen(body), sig, NULL, NULL));
    assert_false(fc_http_hook_verify("s3cret", body, strlen(body), "sha256=", NULL, NULL));
    assert_false(fc_http_hook_verify("s3cret", body, strlen(body), NULL, NULL, NULL));
    /* GitLab: the token itself */
    assert_true(fc_http_hook_verify("s3cret", body, strlen(body), NULL, NULL, "s3cret"));
    assert_false(fc_http_hook_verify("s3cret", body, strlen(body), NULL, NULL, "s3cre"));
    assert_false(fc_http_hook_verify(NULL, body, strlen(body), NULL, NULL, ""));
    assert_true(fc_http_bearer_ok("tok", "Bearer tok"));
    assert_true(fc_http_bearer_ok("tok", "bearer tok"));
    assert_false(fc_http_bearer_ok("tok", "Bearer to"));
    assert_false(fc_http_bearer_ok("tok", "Basic tok"));
    assert_false(fc_http_bearer_ok("tok", NULL));
    assert_false(fc_http_bearer_ok(NULL, "Bearer "));
}

/* ---- a live server with fake loop callbacks ---- */

typedef struct {
    int hooks, runs, enabled;
    char last[64];
} fake_loop;

static int fake_tasks_json(fc_buf *out, void *payload)
{
    fake_loop *f = payload;
    return fc_buf_printf(out, "{\"items\":[{\"name\":\"sync\",\"enabled\":%s}]}",
                         f->enabled ? "true" : "false");
}

static int fake_action(const char *name, const char *verb, void *payload)
{
    fake_loop *f = payload;
    if (strcmp(name, "sync") != 0)
        return FC_ENOTFOUND;
    snprintf(f->last, sizeof(f->last), "%s/%s", name, verb);
    if (strcmp(verb, "run") == 0)
        f->runs++;
    else if (strcmp(verb, "enable") == 0 || strcmp(verb, "disable") == 0)
        f->enabled = strcmp(verb, "enable") == 0;
    else
        return FC_EINVALID;
    return FC_OK;
}

static void fake_hook(void *payload)
{
    ((fake_loop *)payload)->hooks++;
}

static size_t sink(char *d, size_t s, size_t n, void *p)
{
    fc_buf *b = p;
    fc_buf_append(b, d, s * n);
    return s * n;
}

/* POST (body != NULL) or GET; returns the status, body into *out (freed
 * by the caller). */
static long http(unsigned port, const char *path, const char *body, size_t blen,
                 const char *h1, const char *h2, char **out)
{
    CURL *c = curl_easy_init();
    struct curl_slist *hdr = NULL;
    char url[256];
    fc_buf b;
    long code = 0;
    fc_buf_init(&b);
    snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", port, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)blen);
    }
    if (h1)
        hdr = curl_slist_append(hdr, h1);
    if (h2)
        hdr = curl_slist_append(hdr, h2);
    hdr = curl_slist_append(hdr, "Expect:");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(hdr);
    curl_easy_cleanup(c);
    if (!b.data)
        fc_buf_puts(&b, "");
    if (out)
        *out = fc_buf_detach(&b);
    else
        fc_buf_dispose(&b);
    return code;
}

static void test_http__write_endpoints(void **state)
{
    fake_loop f = {0, 0, 1, ""};
    fc_http_tasks cb = {fake_tasks_json, fake_action, fake_hook, &f};
    fc_http_opts o;
    fc_http *srv = NULL;
    const char *body = "{\"after\":\"abc\"}";
    char sig[72], hdr[128], *big, *out = NULL;
    unsigned port;
    (void)state;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    /* No secret, no token: the hook is 404, task writes 403, reads work. */
    memset(&o, 0, sizeof(o));
    o.tasks = &cb;
    assert_int_equal(fc_http_start(&srv, "127.0.0.1:0", &o), FC_OK);
    port = fc_http_port(srv);
    assert_int_equal(http(port, "/hooks/git", body, strlen(body), NULL, NULL, NULL), 404);
    assert_int_equal(http(port, "/api/v1/tasks/sync/run", "", 0, "Authorization: Bearer x",
                          NULL, NULL),
                     403);
    assert_int_equal(http(port, "/api/v1/tasks", NULL, 0, NULL, NULL, &out), 200);
    assert_non_null(strstr(out, "\"name\":\"sync\""));
    free(out);
    assert_int_equal(f.hooks + f.runs, 0);
    fc_http_stop(srv);

    o.webhook_secret = "hook-secret";
    o.api_token = "api-token";
    assert_int_equal(fc_http_start(&srv, "127.0.0.1:0", &o), FC_OK);
    port = fc_http_port(srv);
    github_sig("hook-secret", body, sig);
    snprintf(hdr, sizeof(hdr), "X-Hub-Signature-256: %s", sig);
    assert_int_equal(http(port, "/hooks/git", body, strlen(body), hdr, NULL, NULL), 202);
    assert_int_equal(f.hooks, 1);
    snprintf(hdr, sizeof(hdr), "X-Gitea-Signature: %s", sig + 7);
    assert_int_equal(http(port, "/hooks/git", body, strlen(body), hdr, NULL, NULL), 202);
    assert_int_equal(http(port, "/hooks/git", body, strlen(body), "X-Gitlab-Token: hook-secret",
                          NULL, NULL),
                     202);
    assert_int_equal(f.hooks, 3);
    /* the signature of another body, none, or a wrong token: 401 */
    snprintf(hdr, sizeof(hdr), "X-Hub-Signature-256: %s", sig);
    assert_int_equal(http(port, "/hooks/git", "{}", 2, hdr, NULL, NULL), 401);
    assert_int_equal(http(port, "/hooks/git", body, strlen(body), NULL, NULL, NULL), 401);
    assert_int_equal(http(port, "/hooks/git", body, strlen(body), "X-Gitlab-Token: nope", NULL,
                          NULL),
                     401);
    assert_int_equal(f.hooks, 3);
    /* over the body limit: 413, never verified */
    big = malloc(FC_HTTP_BODY_MAX + 2);
    assert_non_null(big);
    memset(big, 'x', FC_HTTP_BODY_MAX + 1);
    big[FC_HTTP_BODY_MAX + 1] = '\0';
    assert_int_equal(http(port, "/hooks/git", big, FC_HTTP_BODY_MAX + 1,
                          "X-Gitlab-Token: hook-secret", NULL, NULL),
                     413);
    free(big);
    assert_int_equal(f.hooks, 3);

    /* tasks: bearer token required */
    assert_int_equal(http(port, "/api/v1/tasks/sync/run", "", 0, NULL, NULL, NULL), 401);
    assert_int_equal(http(port, "/api/v1/tasks/sync/run", "", 0, "Authorization: Bearer nope",
                          NULL, NULL),
                     401);
    assert_int_equal(f.runs, 0);
    assert_int_equal(http(port, "/api/v1/tasks/sync/run", "", 0,
                          "Authorization: Bearer api-token", NULL, NULL),
                     202);
    assert_int_equal(f.runs, 1);
    assert_int_equal(http(port, "/api/v1/tasks/sync/disable", "", 0,
                          "Authorization: Bearer api-token", NULL, NULL),
                     200);
    assert_int_equal(f.enabled, 0);
    assert_int_equal(http(port, "/api/v1/tasks", NULL, 0, NULL, NULL, &out), 200);
    assert_non_null(strstr(out, "\"enabled\":false"));
    free(out);
    assert_int_equal(http(port, "/api/v1/tasks/nope/run", "", 0,
                          "Authorization: Bearer api-token", NULL, NULL),
                     404);
    assert_int_equal(http(port, "/api/v1/tasks/sync/explode", "", 0,
                          "Authorization: Bearer api-token", NULL, NULL),
                     400);
    /* POST elsewhere is still refused */
    assert_int_equal(http(port, "/metrics", "", 0, NULL, NULL, NULL), 405);
    fc_http_stop(srv);
    curl_global_cleanup();
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
        cmocka_unit_test(test_http__hmac_sha256_rfc4231),
        cmocka_unit_test(test_http__webhook_signatures),
        cmocka_unit_test(test_http__write_endpoints),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
