/*
 * test_sim.c - the sim provider and the inventory helpers: the shipped
 * estate loads and is rich enough for the demo, discovery is a pure
 * function of the clock, scopes filter, bad estates fail with file:line
 * messages, and a JSON Lines estate loads exactly as its YAML twin.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "controller/cloud/fc_cloud.h"
#include "controller/core/fc_error.h"
#include "controller/core/fc_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEV_ACCOUNT "518273640192"
#define PROD_ACCOUNT "402918374651"

static char *estate_path(void)
{
    const char *src = getenv("FC_SOURCE_DIR");
    return fc_asprintf("%s/examples/sim/estate.yaml", src ? src : ".");
}

static int64_t at(const char *iso)
{
    int64_t t = 0;
    assert_int_equal(fc_time_parse(iso, &t), 0);
    return t;
}

static fc_cloud *open_estate(void)
{
    fc_cloud *c = NULL;
    char *p = estate_path();
    int rc = fc_sim_open(&c, p);
    if (rc)
        fprintf(stderr, "fc_sim_open: %s\n", fc_error_last());
    assert_int_equal(rc, FC_OK);
    assert_non_null(c);
    free(p);
    return c;
}

static void discover(fc_cloud *c, int64_t now, int mdays, int cdays,
                     const fc_scope_account *acc, size_t nacc,
                     fc_inventory *inv)
{
    fc_discovery_scope s;
    memset(&s, 0, sizeof(s));
    s.accounts = acc;
    s.naccounts = nacc;
    s.now = now;
    s.metric_days = mdays;
    s.cost_days = cdays;
    fc_inventory_init(inv);
    assert_int_equal(fc_cloud_discover(c, &s, inv), FC_OK);
}

static const fc_resource *by_name(const fc_inventory *inv, const char *name)
{
    size_t i;
    for (i = 0; i < inv->nresources; i++)
        if (inv->resources[i].name && strcmp(inv->resources[i].name, name) == 0)
            return &inv->resources[i];
    return NULL;
}

/* Point i of a series, stored or generated. */
static double pt(const fc_metric_series *s, size_t i)
{
    double v;
    fc_metric_series_read(s, i, 1, &v);
    return v;
}

static double mean_of(const fc_metric_series *s)
{
    double sum = 0;
    size_t i;
    for (i = 0; i < s->n; i++)
        sum += pt(s, i);
    return s->n ? sum / (double)s->n : 0;
}

static void test_sim__type_names_round_trip(void **state)
{
    int t;
    (void)state;
    for (t = 0; t < FC_RES__COUNT; t++)
        assert_int_equal(fc_resource_type_parse(fc_resource_type_name(t)), t);
    assert_string_equal(fc_resource_type_name(FC_RES_ELASTIC_IP), "elastic-ip");
    assert_string_equal(fc_resource_type_name(FC_RES_S3_BUCKET), "s3-bucket");
    assert_int_equal(fc_resource_type_parse("nope"), -1);
    assert_int_equal(fc_resource_type_parse(NULL), -1);
}

static void test_sim__inventory_helpers(void **state)
{
    fc_inventory inv;
    fc_resource r;
    fc_tag tags[2] = {{"env", "prod"}, {"team", "web"}};
    double *v = malloc(3 * sizeof(*v));
    (void)state;

    fc_inventory_init(&inv);
    memset(&r, 0, sizeof(r));
    r.type = FC_RES_EC2_INSTANCE;
    r.id = "i-0abc";
    r.account = PROD_ACCOUNT;
    r.region = "eu-west-1";
    r.tags = tags;
    r.ntags = 2;
    assert_string_equal(fc_resource_tag(&r, "team"), "web");
    assert_null(fc_resource_tag(&r, "owner"));
    assert_int_equal(fc_inventory_add_resource(&inv, &r), FC_OK);
    r.id = "i-0def";
    r.region = "us-east-1";
    assert_int_equal(fc_inventory_add_resource(&inv, &r), FC_OK);
    v[0] = 1;
    v[1] = 2;
    v[2] = 3;
    assert_int_equal(fc_inventory_add_metric_take(&inv, "i-0abc", "CPUUtilization",
                                                  3600, 3600, v, 3),
                     FC_OK);
    assert_int_equal(fc_inventory_add_cost(&inv, PROD_ACCOUNT, "AWS Lambda",
                                           86400, 1.5),
                     FC_OK);

    assert_non_null(fc_inventory_find(&inv, NULL, NULL, "i-0def"));
    assert_non_null(fc_inventory_find(&inv, PROD_ACCOUNT, "us-east-1", "i-0def"));
    assert_null(fc_inventory_find(&inv, PROD_ACCOUNT, "eu-west-1", "i-0def"));
    assert_null(fc_inventory_find(&inv, DEV_ACCOUNT, NULL, "i-0abc"));
    assert_null(fc_inventory_find(&inv, NULL, NULL, "i-missing"));
    /* The copy owns its strings. */
    assert_ptr_not_equal(inv.resources[0].tags[0].key, tags[0].key);
    assert_string_equal(fc_resource_tag(&inv.resources[0], "env"), "prod");
    assert_non_null(fc_inventory_metric(&inv, "i-0abc", "CPUUtilization"));
    assert_null(fc_inventory_metric(&inv, "i-0abc", "NetworkIn"));
    assert_null(fc_inventory_metric(&inv, "i-0def", "CPUUtilization"));
    fc_inventory_dispose(&inv);
    assert_int_equal(inv.nresources, 0);
    assert_null(inv.resources);
    fc_inventory_dispose(&inv); /* idempotent */
}

static void test_sim__loads_shipped_estate(void **state)
{
    fc_cloud *c = open_estate();
    fc_inventory inv;
    int64_t now = at("2026-11-20T12:00:00Z");
    size_t counts[FC_RES__COUNT] = {0};
    size_t i, stopped = 0, loose_vols = 0, loose_gp2 = 0, free_eips = 0,
              orphan_snaps = 0, ami_snaps = 0, no_lifecycle = 0, no_targets = 0;
    (void)state;

    assert_string_equal(c->ops->name, "sim");
    assert_int_equal(c->ops->version, FC_CLOUD_OPS_VERSION);
    discover(c, now, 14, 60, NULL, 0, &inv);
    assert_string_equal(inv.currency, "USD");
    assert_true(inv.observed_at == now);
    assert_true(inv.nresources >= 60);
    for (i = 0; i < inv.nresources; i++) {
        const fc_resource *r = &inv.resources[i];
        counts[r->type]++;
        assert_non_null(r->id);
        assert_int_equal(strlen(r->account), 12);
        if (r->type == FC_RES_EC2_INSTANCE) {
            assert_memory_equal(r->id, "i-0", 3);
            if (strcmp(r->state, "stopped") == 0)
                stopped++;
        }
        if (r->type == FC_RES_EBS_VOLUME) {
            assert_memory_equal(r->id, "vol-0", 5);
            if (strcmp(r->state, "available") == 0) {
                loose_vols++;
                assert_true(r->created > 0);
                assert_null(r->attached_to);
                if (strcmp(r->size_class, "gp2") == 0)
                    loose_gp2++;
            }
        }
        if (r->type == FC_RES_EBS_SNAPSHOT) {
            assert_memory_equal(r->id, "snap-0", 6);
            assert_non_null(r->attached_to);
            if (!fc_inventory_find(&inv, NULL, NULL, r->attached_to))
                orphan_snaps++;
            /* Provider attributes: every snapshot says whether an AMI
             * uses it. */
            assert_non_null(fc_resource_attr(r, "usedByAmi"));
            if (strcmp(fc_resource_attr(r, "usedByAmi"), "true") == 0) {
                ami_snaps++;
                assert_memory_equal(fc_resource_attr(r, "amiIds"), "ami-0", 5);
            }
        }
        if (r->type == FC_RES_S3_BUCKET) {
            assert_non_null(fc_resource_attr(r, "lifecycleRules"));
            assert_string_equal(fc_resource_attr(r, "storageClass"), "STANDARD");
            if (strcmp(fc_resource_attr(r, "lifecycleRules"), "0") == 0)
                no_lifecycle++;
        }
        if (r->type == FC_RES_LOAD_BALANCER) {
            assert_non_null(fc_resource_attr(r, "healthyTargets"));
            assert_non_null(fc_inventory_metric(&inv, r->id, "HealthyHostCount"));
            if (strcmp(fc_resource_attr(r, "healthyTargets"), "0") == 0)
                no_targets++;
        }
        if (r->type == FC_RES_LAMBDA_FUNCTION) {
            assert_non_null(fc_inventory_metric(&inv, r->id, "MaxMemoryUsed"));
            assert_non_null(fc_inventory_metric(&inv, r->id, "Duration"));
        }
        if (r->type != FC_RES_EBS_SNAPSHOT && r->type != FC_RES_S3_BUCKET &&
            r->type != FC_RES_LOAD_BALANCER && r->type != FC_RES_LAMBDA_FUNCTION)
            assert_int_equal(r->nattrs, 0);
        if (r->type == FC_RES_ELASTIC_IP) {
            assert_memory_equal(r->id, "eipalloc-0", 10);
            if (!r->attached_to)
                free_eips++;
        }
    }
    /* The shipped estate as generated by examples/sim/gen_estate.py. */
    assert_int_equal(counts[FC_RES_EC2_INSTANCE], 39);
    assert_int_equal(counts[FC_RES_EBS_VOLUME], 51);
    assert_int_equal(counts[FC_RES_EBS_SNAPSHOT], 9);
    assert_int_equal(counts[FC_RES_ELASTIC_IP], 6);
    assert_int_equal(counts[FC_RES_LOAD_BALANCER], 6);
    assert_int_equal(counts[FC_RES_RDS_INSTANCE], 6);
    assert_int_equal(ami_snaps, 2);
    assert_int_equal(no_lifecycle, 2);
    assert_int_equal(no_targets, 1);
    assert_int_equal(counts[FC_RES_LAMBDA_FUNCTION], 6);
    assert_int_equal(counts[FC_RES_S3_BUCKET], 6);
    assert_true(stopped >= 2);
    assert_true(loose_vols >= 3);
    assert_true(loose_gp2 >= 2);
    assert_true(free_eips >= 2);
    assert_true(orphan_snaps >= 2);

    /* Cost rows: every line, 60 whole days ending yesterday. */
    assert_true(inv.ncosts >= 60 * 2);
    for (i = 0; i < inv.ncosts; i++) {
        assert_true(inv.costs[i].day % FC_DAY == 0);
        assert_true(inv.costs[i].day >= at("2026-09-21"));
        assert_true(inv.costs[i].day < at("2026-11-20"));
        assert_true(inv.costs[i].amount >= 0);
    }
    fc_inventory_dispose(&inv);
    fc_cloud_free(c);
}

static void test_sim__metric_windows_are_hour_aligned(void **state)
{
    fc_cloud *c = open_estate();
    fc_inventory inv;
    int64_t now = at("2026-11-20T12:34:56Z");
    int64_t end = at("2026-11-20T12:00:00Z");
    const fc_resource *fresh;
    const fc_metric_series *s;
    size_t i;
    (void)state;

    discover(c, now, 14, 0, NULL, 0, &inv);
    assert_true(inv.observed_at == end);
    assert_int_equal(inv.ncosts, 0);
    assert_true(inv.nmetrics > 40);
    for (i = 0; i < inv.nmetrics; i++) {
        s = &inv.metrics[i];
        assert_int_equal(s->step, 3600);
        assert_true(s->start % 3600 == 0);
        assert_true(s->start + (int64_t)s->n * 3600 == end);
        assert_non_null(fc_inventory_find(&inv, NULL, NULL, s->resource_id));
    }
    s = fc_inventory_metric(&inv, by_name(&inv, "web-eu-1")->id, "CPUUtilization");
    assert_non_null(s);
    assert_int_equal(s->n, 14 * 24);
    /* Created three days ago: its series starts at its first whole hour. */
    fresh = by_name(&inv, "new-experiment");
    assert_non_null(fresh);
    s = fc_inventory_metric(&inv, fresh->id, "CPUUtilization");
    assert_non_null(s);
    assert_true(s->start == at("2026-11-17T09:00:00Z"));
    /* Stopped instances report nothing. */
    assert_null(fc_inventory_metric(&inv, by_name(&inv, "old-vpn")->id,
                                    "CPUUtilization"));
    fc_inventory_dispose(&inv);
    fc_cloud_free(c);
}

/* Equal strings, or both NULL. */
static void assert_same_str(const char *x, const char *y)
{
    if (!x || !y)
        assert_ptr_equal(x, y);
    else
        assert_string_equal(x, y);
}

static void assert_same_inventory(const fc_inventory *a, const fc_inventory *b)
{
    size_t i, j;
    assert_int_equal(a->nresources, b->nresources);
    assert_int_equal(a->nmetrics, b->nmetrics);
    assert_int_equal(a->ncosts, b->ncosts);
    assert_true(a->observed_at == b->observed_at);
    assert_same_str(a->currency, b->currency);
    for (i = 0; i < a->nresources; i++) {
        const fc_resource *x = &a->resources[i], *y = &b->resources[i];
        assert_int_equal(x->type, y->type);
        assert_string_equal(x->id, y->id);
        assert_string_equal(x->account, y->account);
        assert_string_equal(x->region, y->region);
        assert_same_str(x->name, y->name);
        assert_string_equal(x->state, y->state);
        assert_same_str(x->size_class, y->size_class);
        assert_true(x->size == y->size);
        assert_same_str(x->attached_to, y->attached_to);
        assert_true(x->created == y->created);
        assert_int_equal(x->ntags, y->ntags);
        for (j = 0; j < x->ntags; j++) {
            assert_string_equal(x->tags[j].key, y->tags[j].key);
            assert_string_equal(x->tags[j].value, y->tags[j].value);
        }
        assert_int_equal(x->nattrs, y->nattrs);
        for (j = 0; j < x->nattrs; j++) {
            assert_string_equal(x->attrs[j].key, y->attrs[j].key);
            assert_string_equal(x->attrs[j].value, y->attrs[j].value);
        }
    }
    for (i = 0; i < a->nmetrics; i++) {
        assert_string_equal(a->metrics[i].resource_id, b->metrics[i].resource_id);
        assert_string_equal(a->metrics[i].metric, b->metrics[i].metric);
        assert_int_equal(a->metrics[i].n, b->metrics[i].n);
        for (j = 0; j < a->metrics[i].n; j++)
            assert_true(pt(&a->metrics[i], j) == pt(&b->metrics[i], j));
    }
    for (i = 0; i < a->ncosts; i++) {
        assert_string_equal(a->costs[i].account, b->costs[i].account);
        assert_string_equal(a->costs[i].service, b->costs[i].service);
        assert_true(a->costs[i].day == b->costs[i].day);
        assert_true(a->costs[i].amount == b->costs[i].amount);
    }
}

static void test_sim__same_clock_same_inventory(void **state)
{
    fc_cloud *c1 = open_estate(), *c2 = open_estate();
    fc_inventory a, b, x;
    int64_t now = at("2026-11-20T12:00:00Z");
    (void)state;

    discover(c1, now, 14, 60, NULL, 0, &a);
    /* Another clock in between must not disturb anything. */
    discover(c1, now + 86400 * 3, 7, 7, NULL, 0, &x);
    discover(c1, now, 14, 60, NULL, 0, &b);
    assert_same_inventory(&a, &b);
    fc_inventory_dispose(&b);
    discover(c2, now, 14, 60, NULL, 0, &b);
    assert_same_inventory(&a, &b);
    fc_inventory_dispose(&a);
    fc_inventory_dispose(&b);
    fc_inventory_dispose(&x);
    fc_cloud_free(c1);
    fc_cloud_free(c2);
}

static void test_sim__overlapping_hours_agree_across_clocks(void **state)
{
    fc_cloud *c = open_estate();
    fc_inventory a, b;
    int64_t now1 = at("2026-11-20T12:00:00Z");
    int64_t now2 = now1 + 5 * 3600 + 17 * 60;
    size_t i, j, compared = 0;
    (void)state;

    discover(c, now1, 7, 60, NULL, 0, &a);
    discover(c, now2, 7, 61, NULL, 0, &b);
    for (i = 0; i < a.nmetrics; i++) {
        const fc_metric_series *x = &a.metrics[i];
        const fc_metric_series *y =
            fc_inventory_metric(&b, x->resource_id, x->metric);
        assert_non_null(y);
        for (j = 0; j < x->n; j++) {
            int64_t t = x->start + (int64_t)j * 3600;
            int64_t k = (t - y->start) / 3600;
            if (t < y->start)
                continue;
            assert_true(pt(x, j) == pt(y, k));
            compared++;
        }
    }
    assert_true(compared > 1000);
    /* Cost rows of a day are the same whatever the clock. */
    for (i = 0; i < a.ncosts; i++) {
        for (j = 0; j < b.ncosts; j++)
            if (b.costs[j].day == a.costs[i].day &&
                strcmp(b.costs[j].account, a.costs[i].account) == 0 &&
                strcmp(b.costs[j].service, a.costs[i].service) == 0)
                break;
        assert_true(j < b.ncosts);
        assert_true(b.costs[j].amount == a.costs[i].amount);
    }
    fc_inventory_dispose(&a);
    fc_inventory_dispose(&b);
    fc_cloud_free(c);
}

static void test_sim__profiles_shape_the_metrics(void **state)
{
    fc_cloud *c = open_estate();
    fc_inventory inv;
    const fc_metric_series *s;
    double m;
    size_t i;
    (void)state;

    discover(c, at("2026-11-20T12:00:00Z"), 7, 0, NULL, 0, &inv);
    s = fc_inventory_metric(&inv, by_name(&inv, "build-box-2")->id,
                            "CPUUtilization");
    m = mean_of(s);
    assert_true(m > 1.0 && m < 2.6);
    s = fc_inventory_metric(&inv, by_name(&inv, "web-eu-1")->id,
                            "CPUUtilization");
    assert_true(mean_of(s) > 40.0);
    for (i = 0; i < s->n; i++)
        assert_true(pt(s, i) >= 0 && pt(s, i) <= 100);
    /* Spiky: a low mean but real peaks. */
    s = fc_inventory_metric(&inv, by_name(&inv, "etl-runner")->id,
                            "CPUUtilization");
    m = 0;
    for (i = 0; i < s->n; i++)
        if (pt(s, i) > m)
            m = pt(s, i);
    assert_true(m > 80.0);
    /* Business hours: a weekday 10:00 beats the Sunday 03:00 of that week. */
    s = fc_inventory_metric(&inv, by_name(&inv, "build-box-1")->id,
                            "CPUUtilization");
    {
        int64_t wk = at("2026-11-18T10:00:00Z"), sun = at("2026-11-15T03:00:00Z");
        double vw = pt(s, (wk - s->start) / 3600);
        double vs = pt(s, (sun - s->start) / 3600);
        assert_true(vw > vs + 10);
    }
    fc_inventory_dispose(&inv);
    fc_cloud_free(c);
}

static void test_sim__cost_history_has_an_anomaly(void **state)
{
    fc_cloud *c = open_estate();
    fc_inventory inv;
    double spike = 0, normal = 0;
    int nnormal = 0;
    size_t i;
    (void)state;

    discover(c, at("2026-11-20T12:00:00Z"), 0, 60, NULL, 0, &inv);
    assert_int_equal(inv.nmetrics, 0);
    for (i = 0; i < inv.ncosts; i++) {
        const fc_cost_row *r = &inv.costs[i];
        if (strcmp(r->account, PROD_ACCOUNT) != 0 ||
            strcmp(r->service, "AWS Data Transfer") != 0)
            continue;
        if (r->day == at("2026-11-12"))
            spike = r->amount;
        else if (r->day < at("2026-11-12") || r->day > at("2026-11-13")) {
            normal += r->amount;
            nnormal++;
        }
    }
    assert_int_equal(nnormal, 58);
    normal /= nnormal;
    assert_true(spike > 4 * normal);
    fc_inventory_dispose(&inv);
    fc_cloud_free(c);
}

static void test_sim__scope_filters_accounts_and_regions(void **state)
{
    fc_cloud *c = open_estate();
    fc_inventory all, inv;
    const char *regions[] = {"eu-west-1"};
    fc_scope_account acc[2];
    size_t i, n = 0;
    int64_t now = at("2026-11-20T12:00:00Z");
    (void)state;

    memset(acc, 0, sizeof(acc));
    acc[0].account = DEV_ACCOUNT;
    acc[0].regions = regions;
    acc[0].nregions = 1;
    discover(c, now, 1, 3, NULL, 0, &all);
    discover(c, now, 1, 3, acc, 1, &inv);
    assert_true(inv.nresources > 5);
    for (i = 0; i < all.nresources; i++)
        if (strcmp(all.resources[i].account, DEV_ACCOUNT) == 0 &&
            strcmp(all.resources[i].region, "eu-west-1") == 0)
            n++;
    assert_int_equal(inv.nresources, n);
    for (i = 0; i < inv.nresources; i++) {
        assert_string_equal(inv.resources[i].account, DEV_ACCOUNT);
        assert_string_equal(inv.resources[i].region, "eu-west-1");
    }
    for (i = 0; i < inv.nmetrics; i++)
        assert_non_null(fc_inventory_find(&inv, DEV_ACCOUNT, "eu-west-1",
                                          inv.metrics[i].resource_id));
    assert_true(inv.ncosts > 0);
    for (i = 0; i < inv.ncosts; i++)
        assert_string_equal(inv.costs[i].account, DEV_ACCOUNT);
    fc_inventory_dispose(&inv);

    /* No regions listed: every region of that account; unknown accounts
     * add nothing. */
    acc[0].nregions = 0;
    acc[1].account = "000000000000";
    discover(c, now, 1, 3, acc, 2, &inv);
    for (i = 0, n = 0; i < all.nresources; i++)
        if (strcmp(all.resources[i].account, DEV_ACCOUNT) == 0)
            n++;
    assert_int_equal(inv.nresources, n);
    fc_inventory_dispose(&inv);
    fc_inventory_dispose(&all);
    fc_cloud_free(c);
}

static void test_sim__resources_appear_when_created(void **state)
{
    fc_cloud *c = open_estate();
    fc_inventory inv;
    (void)state;

    discover(c, at("2026-11-16T00:00:00Z"), 7, 7, NULL, 0, &inv);
    assert_null(by_name(&inv, "new-experiment"));
    assert_null(by_name(&inv, "tmp-volume"));
    assert_non_null(by_name(&inv, "build-box-2"));
    fc_inventory_dispose(&inv);
    fc_cloud_free(c);
}

static void test_sim__rejects_bad_lookbacks(void **state)
{
    fc_cloud *c = open_estate();
    fc_inventory inv;
    fc_discovery_scope s;
    (void)state;

    memset(&s, 0, sizeof(s));
    s.now = at("2026-11-20T12:00:00Z");
    s.metric_days = -1;
    fc_inventory_init(&inv);
    assert_int_equal(fc_cloud_discover(c, &s, &inv), FC_ELIMIT);
    s.metric_days = 7;
    s.cost_days = 100000;
    assert_int_equal(fc_cloud_discover(c, &s, &inv), FC_ELIMIT);
    fc_inventory_dispose(&inv);
    fc_cloud_free(c);
}

/* Writes text to a temp file named *ext and opens it as an estate. */
static int open_text_as(const char *text, const char *ext, char *path, size_t size,
                        fc_cloud **out)
{
    int fd;
    FILE *f;
    int rc;
    snprintf(path, size, "/tmp/fc-test-estate-XXXXXX%s", ext);
    fd = mkstemps(path, (int)strlen(ext));
    assert_true(fd >= 0);
    f = fdopen(fd, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    rc = fc_sim_open(out, path);
    unlink(path);
    return rc;
}

static int open_text(const char *text, char *path, size_t size, fc_cloud **out)
{
    return open_text_as(text, "", path, size, out);
}

static void expect_error_as(const char *text, const char *ext, const char *needle,
                            int line)
{
    char path[64], want[128];
    fc_cloud *c = (fc_cloud *)1;
    int rc = open_text_as(text, ext, path, sizeof(path), &c);
    assert_int_equal(rc, FC_EPARSE);
    assert_null(c);
    if (!strstr(fc_error_last(), needle))
        fail_msg("'%s' does not mention '%s'", fc_error_last(), needle);
    snprintf(want, sizeof(want), "%s:%d: ", path, line);
    if (!strstr(fc_error_last(), want))
        fail_msg("'%s' does not start with '%s'", fc_error_last(), want);
}

static void expect_error(const char *text, const char *needle, int line)
{
    expect_error_as(text, "", needle, line);
}

#define HEAD                                                                   \
    "seed: 1\n"                                                                \
    "accounts:\n"                                                              \
    "  - {id: \"111122223333\", name: a}\n"                                    \
    "regions: [eu-west-1]\n"

static void test_sim__bad_estates_name_file_and_line(void **state)
{
    fc_cloud *c = NULL;
    char path[64];
    (void)state;

    expect_error(HEAD "resources:\n"
                      "  - {type: ec2-instance, id: i-1, account: \"111122223333\","
                      " region: eu-west-1}\n"
                      "  - {type: warp-drive, id: w-1, account: \"111122223333\","
                      " region: eu-west-1}\n",
                 "resources[1]: unknown type 'warp-drive'", 7);
    expect_error("seed: 1\naccounts:\n  - {id: \"1234\"}\nregions: [a]\n"
                 "resources: []\n",
                 "must be 12 digits", 3);
    expect_error(HEAD "resources:\n"
                      "  - type: ec2-instance\n"
                      "    id: i-1\n"
                      "    account: \"111122223333\"\n"
                      "    region: eu-west-1\n"
                      "    metrics:\n"
                      "      CPUUtilization: {profile: sleepy, mean: 1}\n",
                 "resources[0].metrics.CPUUtilization: unknown profile 'sleepy'",
                 11);
    expect_error(HEAD "resources:\n"
                      "  - {type: ec2-instance, id: i-1, account: \"999999999999\","
                      " region: eu-west-1}\n",
                 "account '999999999999' is not in accounts", 6);
    expect_error(HEAD "resources:\n"
                      "  - {type: ec2-instance, id: i-1, account: \"111122223333\","
                      " region: mars-1}\n",
                 "region 'mars-1' is not in regions", 6);
    expect_error(HEAD "resources:\n"
                      "  - {type: ebs-volume, id: v-1, account: \"111122223333\","
                      " region: eu-west-1, created: yesterday}\n",
                 "'yesterday' is not a date", 6);
    expect_error(HEAD "resources:\n"
                      "  - {type: ebs-volume, id: v-1, account: \"111122223333\","
                      " region: eu-west-1, sise: 3}\n",
                 "unknown key 'sise'", 6);
    expect_error(HEAD "resources:\n"
                      "  - {type: ebs-volume, id: v-1, account: \"111122223333\","
                      " region: eu-west-1, size: lots}\n",
                 "'lots' is not a number", 6);
    expect_error(HEAD "resources:\n"
                      "  - {type: ebs-volume, id: v-1, account: \"111122223333\","
                      " region: eu-west-1}\n"
                      "  - {type: ebs-volume, id: v-1, account: \"111122223333\","
                      " region: eu-west-1}\n",
                 "duplicate resource id 'v-1'", 7);
    expect_error(HEAD "resources:\n"
                      "  - {type: ebs-snapshot, id: s-1, account: \"111122223333\","
                      " region: eu-west-1, attrs: {usedByAmi: [a]}}\n",
                 "resources[0].attrs: attrs must map strings to strings", 6);
    expect_error(HEAD "resources: []\ncosts:\n  lines:\n"
                      "    - {account: \"111122223333\", service: S, base: 1}\n",
                 "missing required key 'anchor'", 7);
    expect_error(HEAD "resources:\n  - [not, a, mapping\n",
                 "flow sequence started at line 6", 7);
    expect_error("accounts: [\n", "did not find expected node content", 2);
    expect_error(HEAD "resources:\n  - type: ec2-instance\n\tid: x\n",
                 "", 7);

    /* A minimal estate is fine. */
    assert_int_equal(open_text(HEAD "resources: []\n", path, sizeof(path), &c),
                     FC_OK);
    fc_cloud_free(c);
    assert_int_equal(fc_sim_open(&c, "/nonexistent/estate.yaml"), FC_ENOTFOUND);
    assert_null(c);
    assert_non_null(strstr(fc_error_last(), "/nonexistent/estate.yaml"));
    fc_cloud_free(NULL);
}

/* The estate text with its top-level `resources:` block moved first. */
static char *resources_first(const char *text)
{
    fc_buf head, res;
    const char *p = text;
    char *out;
    int in_res = 0;
    fc_buf_init(&head);
    fc_buf_init(&res);
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) + 1 : strlen(p);
        if (*p != ' ' && *p != '-' && *p != '#' && *p != '\n')
            in_res = strncmp(p, "resources:", 10) == 0;
        assert_int_equal(fc_buf_append(in_res ? &res : &head, p, len), FC_OK);
        p += len;
    }
    assert_int_equal(fc_buf_append(&res, head.data, head.len), FC_OK);
    assert_int_equal(fc_buf_append(&res, "", 1), FC_OK);
    out = fc_strdup(res.data);
    fc_buf_dispose(&head);
    fc_buf_dispose(&res);
    return out;
}

/* The streaming loader (the usual key order) and the whole-document loader
 * it falls back to (here: resources before accounts) build the same sim. */
static void test_sim__streamed_and_whole_loads_agree(void **state)
{
    char *p = estate_path(), *text, *moved, path[64];
    size_t len = 0;
    fc_cloud *streamed = open_estate(), *whole = NULL;
    fc_inventory a, b;
    FILE *f;
    (void)state;

    f = fopen(p, "rb");
    assert_non_null(f);
    text = calloc(1, 4 << 20);
    assert_non_null(text);
    len = fread(text, 1, (4 << 20) - 1, f);
    fclose(f);
    assert_true(len > 1000);
    moved = resources_first(text);
    assert_true(strncmp(moved, "resources:", 10) == 0);
    assert_int_equal(open_text(moved, path, sizeof(path), &whole), FC_OK);
    discover(streamed, at("2026-11-20T12:00:00Z"), 14, 62, NULL, 0, &a);
    discover(whole, at("2026-11-20T12:00:00Z"), 14, 62, NULL, 0, &b);
    assert_true(a.nresources > 100);
    assert_same_inventory(&a, &b);
    fc_inventory_dispose(&a);
    fc_inventory_dispose(&b);
    fc_cloud_free(streamed);
    fc_cloud_free(whole);
    free(moved);
    free(text);
    free(p);
}

/* Shapes only the whole-document loader takes still load: an alias. */
static void test_sim__aliases_still_load(void **state)
{
    fc_cloud *c = NULL;
    fc_inventory inv;
    char path[64];
    (void)state;

    assert_int_equal(open_text(HEAD "resources:\n"
                                    "  - {type: ebs-volume, id: v-1, account: \"111122223333\","
                                    " region: eu-west-1, tags: &t {team: a}}\n"
                                    "  - {type: ebs-volume, id: v-2, account: \"111122223333\","
                                    " region: eu-west-1, tags: *t}\n",
                               path, sizeof(path), &c),
                     FC_OK);
    discover(c, at("2026-11-20T12:00:00Z"), 1, 1, NULL, 0, &inv);
    assert_int_equal(inv.nresources, 2);
    assert_string_equal(fc_resource_tag(&inv.resources[1], "team"), "a");
    fc_inventory_dispose(&inv);
    fc_cloud_free(c);
    /* A key after the streamed resources is still checked. */
    expect_error(HEAD "resources: []\ncolour: blue\n", "unknown key 'colour'", 6);
}

static fc_cloud *open_shipped(const char *name)
{
    const char *src = getenv("FC_SOURCE_DIR");
    char *p = fc_asprintf("%s/examples/sim/%s", src ? src : ".", name);
    fc_cloud *c = NULL;
    int rc = fc_sim_open(&c, p);
    if (rc)
        fail_msg("%s: %s", p, fc_error_last());
    free(p);
    return c;
}

/* examples/sim/estate.jsonl is estate.yaml as JSON Lines (both from
 * examples/sim/gen_estate.py): the two loaders build the same sim. */
static void test_sim__jsonl_and_yaml_estates_agree(void **state)
{
    fc_cloud *y = open_shipped("estate.yaml"), *j = open_shipped("estate.jsonl");
    fc_inventory a, b;
    fc_scope_account prod;
    (void)state;

    discover(y, at("2026-11-20T12:00:00Z"), 14, 62, NULL, 0, &a);
    discover(j, at("2026-11-20T12:00:00Z"), 14, 62, NULL, 0, &b);
    assert_true(a.nresources > 100);
    assert_true(a.nmetrics > 100);
    assert_true(a.ncosts > 100);
    assert_same_inventory(&a, &b);
    fc_inventory_dispose(&a);
    fc_inventory_dispose(&b);

    /* A scoped discovery, with the spikes' cost detail rows. */
    memset(&prod, 0, sizeof(prod));
    prod.account = "402918374651";
    discover(y, at("2026-11-14T00:00:00Z"), 3, 30, &prod, 1, &a);
    discover(j, at("2026-11-14T00:00:00Z"), 3, 30, &prod, 1, &b);
    assert_true(a.nresources > 10);
    assert_same_inventory(&a, &b);
    assert_int_equal(a.ncost_details, b.ncost_details);
    fc_inventory_dispose(&a);
    fc_inventory_dispose(&b);
    fc_cloud_free(y);
    fc_cloud_free(j);
}

/* JSON scalars read as the YAML scalars with the same text: numbers,
 * booleans, and null as an empty value. */
static void test_sim__jsonl_scalars_read_as_yaml(void **state)
{
    fc_cloud *y = NULL, *j = NULL;
    const fc_resource *r;
    fc_inventory a, b;
    char path[64];
    (void)state;

    assert_int_equal(
        open_text(HEAD "resources:\n"
                       "  - {type: ec2-instance, id: i-1, account: \"111122223333\","
                       " region: eu-west-1, created: 2026-01-02T03:00:00Z,"
                       " tags: {n: 7, f: 0.1, b: true, e: }, attrs: {big: 1e21},"
                       " metrics: {CPUUtilization: {profile: diurnal,"
                       " mean: 40.5, jitter: 3, amplitude: 0.3}}}\n"
                       "  - {type: ebs-volume, id: 12345, account: \"111122223333\","
                       " region: eu-west-1, size: 2.5e2, name: false}\n"
                       "costs:\n  anchor: 2026-01-01\n  lines:\n"
                       "    - {account: \"111122223333\", service: S, base: 12.25,"
                       " trend: -0.001}\n",
                  path, sizeof(path), &y),
        FC_OK);
    assert_int_equal(
        open_text_as(
            "{\"seed\":1,\"accounts\":[{\"id\":\"111122223333\",\"name\":\"a\"}],"
            "\"regions\":[\"eu-west-1\"]}\n"
            "\n"
            "{\"resource\":{\"type\":\"ec2-instance\",\"id\":\"i-1\","
            "\"account\":\"111122223333\",\"region\":\"eu-west-1\","
            "\"created\":\"2026-01-02T03:00:00Z\","
            "\"tags\":{\"n\":7,\"f\":0.1,\"b\":true,\"e\":null},"
            "\"attrs\":{\"big\":1e21},"
            "\"metrics\":{\"CPUUtilization\":{\"profile\":\"diurnal\","
            "\"mean\":40.5,\"jitter\":3,\"amplitude\":0.3}}}}\n"
            "  {\"resource\": {\"type\": \"ebs-volume\", \"id\": 12345,"
            " \"account\": \"111122223333\", \"region\": \"eu-west-1\","
            " \"size\": 250.0, \"name\": false}}  \r\n"
            "{\"costs\":{\"anchor\":\"2026-01-01\",\"lines\":[{\"account\":"
            "\"111122223333\",\"service\":\"S\",\"base\":12.25,\"trend\":-1e-3}]}}",
            ".jsonl", path, sizeof(path), &j),
        FC_OK);
    discover(y, at("2026-03-01T00:00:00Z"), 7, 30, NULL, 0, &a);
    discover(j, at("2026-03-01T00:00:00Z"), 7, 30, NULL, 0, &b);
    assert_int_equal(a.nresources, 2);
    assert_int_equal(a.ncosts, 30);
    assert_same_inventory(&a, &b);
    assert_non_null(r = fc_inventory_find(&b, NULL, NULL, "i-1"));
    assert_string_equal(fc_resource_tag(r, "n"), "7");
    assert_string_equal(fc_resource_tag(r, "f"), "0.1");
    assert_string_equal(fc_resource_tag(r, "b"), "true");
    assert_string_equal(fc_resource_tag(r, "e"), "");
    assert_string_equal(fc_resource_attr(r, "big"), "1e21");
    assert_non_null(fc_inventory_metric(&b, "i-1", "CPUUtilization"));
    assert_non_null(r = by_name(&b, "false"));
    assert_string_equal(r->id, "12345");
    assert_true(r->size == 250);
    fc_inventory_dispose(&a);
    fc_inventory_dispose(&b);
    fc_cloud_free(y);
    fc_cloud_free(j);
}

#define JHEAD                                                                            \
    "{\"seed\":1,\"accounts\":[{\"id\":\"111122223333\",\"name\":\"a\"}],"               \
    "\"regions\":[\"eu-west-1\"]}\n"
#define JVOL(id, extra)                                                                  \
    "{\"resource\":{\"type\":\"ebs-volume\",\"id\":\"" id "\","                          \
    "\"account\":\"111122223333\",\"region\":\"eu-west-1\"" extra "}}"

static void jsonl_error(const char *text, const char *needle, int line)
{
    expect_error_as(text, ".jsonl", needle, line);
}

static void test_sim__jsonl_errors_name_file_and_line(void **state)
{
    fc_cloud *c = (fc_cloud *)1;
    char path[64];
    (void)state;

    /* Not JSON, and JSON that does not end where the line does. */
    jsonl_error(JHEAD JVOL("v-1", "") "\n{resource: 1}\n", "(line): invalid JSON", 3);
    jsonl_error(JHEAD JVOL("v-1", "") " x\n", "(line): invalid JSON at column", 2);
    jsonl_error(JHEAD "\n" JVOL("v-1", "") JVOL("v-2", "") "\n",
                "(line): invalid JSON at column", 3);
    jsonl_error(JHEAD "{\"resource\":\n{}}\n", "does not end on this line", 2);
    jsonl_error("seed: 1\naccounts: []\n", "(line): invalid JSON", 1);
    /* Wrong-typed fields, in the YAML loader's words. */
    jsonl_error(JHEAD JVOL("v-1", "") "\n" JVOL("v-2", ",\"size\":\"lots\"") "\n",
                "resources[1]: 'lots' is not a number", 3);
    jsonl_error(JHEAD JVOL("v-1", ",\"size\":true") "\n", "'true' is not a number", 2);
    jsonl_error(JHEAD JVOL("v-1", ",\"size\":null") "\n",
                "resources[0]: must be a number", 2);
    jsonl_error(JHEAD JVOL("v-1", ",\"tags\":[\"a\"]") "\n",
                "resources[0].tags: must be a mapping", 2);
    jsonl_error(JHEAD JVOL("v-1", ",\"name\":{}") "\n",
                "resources[0]: must be a non-empty string", 2);
    jsonl_error(JHEAD JVOL("v-1", ",\"sise\":3") "\n", "resources[0]: unknown key 'sise'",
                2);
    jsonl_error(JHEAD "{\"resource\":[1]}\n", "resources[0]: must be a mapping", 2);
    jsonl_error(JHEAD JVOL("v-1", "") "\n" JVOL("v-1", "") "\n",
                "resources[1]: duplicate resource id 'v-1'", 3);
    jsonl_error("{\"seed\":1,\"accounts\":[{\"id\":1234}],\"regions\":[\"a\"]}\n",
                "accounts[0]: id '1234' must be 12 digits", 1);
    /* Unknown top-level keys, on the first line and after it. */
    jsonl_error(JHEAD JVOL("v-1", "") "\n{\"colour\":\"blue\"}\n",
                "(root): unknown key 'colour'", 3);
    jsonl_error("{\"seed\":1,\"colour\":\"blue\",\"accounts\":[],\"regions\":[]}\n",
                "(root): unknown key 'colour'", 1);
    jsonl_error(JHEAD "{\"resource\":{},\"costs\":{}}\n", "(line): lines after the first",
                2);
    jsonl_error(JHEAD "[1]\n", "(line): lines after the first", 2);
    jsonl_error(JHEAD "null\n", "(line): must be a JSON object", 2);
    jsonl_error("[]\n", "(root): must be a JSON object", 1);
    jsonl_error("{\"seed\":1,\"accounts\":[],\"regions\":[],\"resources\":[]}\n",
                "resources and costs are not in the first line", 1);
    /* Costs: checked as in YAML, given once. */
    jsonl_error(JHEAD "{\"costs\":{\"lines\":[{\"account\":\"111122223333\","
                      "\"service\":\"S\",\"base\":1}]}}\n",
                "costs: missing required key 'anchor'", 2);
    jsonl_error(JHEAD "{\"costs\":{}}\n\n{\"costs\":{}}\n", "costs: given twice", 4);
    /* Text the YAML reader would not take either. */
    jsonl_error(JHEAD JVOL("v-\xff", "") "\n", "(line): not valid UTF-8", 2);
    jsonl_error(JHEAD JVOL("v-\\u0000", "") "\n", "strings must not contain \\u0000", 2);
    /* Deeper than the loader goes. */
    jsonl_error(JHEAD "{\"resource\":{\"tags\":"
                      "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
                      "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"
                      "}}\n",
                "(line): invalid JSON", 2);

    /* Blank lines only: nothing to name a line by. */
    assert_int_equal(open_text_as("\n \n", ".jsonl", path, sizeof(path), &c), FC_EPARSE);
    assert_null(c);
    assert_non_null(strstr(fc_error_last(), "empty estate file"));
    /* A head alone is a minimal estate, as `resources: []` is in YAML. */
    assert_int_equal(open_text_as(JHEAD, ".jsonl", path, sizeof(path), &c), FC_OK);
    fc_cloud_free(c);
    assert_int_equal(fc_sim_open(&c, "/nonexistent/estate.jsonl"), FC_ENOTFOUND);
    assert_null(c);
    assert_non_null(strstr(fc_error_last(), "/nonexistent/estate.jsonl"));
}

/* The per-point hash is its definition, byte by byte, wherever the hour
 * falls: the 3-byte fast path, its edges, and the general loop. */
static void test_sim__hash_at_is_fnv_of_le_bytes(void **state)
{
    static const int64_t idx[] = {0, 1, 255, 256, 65535, 65536, 493000, 509999,
                                  (1 << 24) - 1, 1 << 24, (int64_t)1 << 40, -1, -493000,
                                  INT64_MAX, INT64_MIN};
    uint64_t key = 0x9e3779b97f4a7c15ULL;
    size_t i, k;
    (void)state;
    for (k = 0; k < 64; k++, key = key * 6364136223846793005ULL + 1442695040888963407ULL) {
        for (i = 0; i < sizeof(idx) / sizeof(idx[0]) + 512; i++) {
            int64_t at = i < sizeof(idx) / sizeof(idx[0])
                             ? idx[i]
                             : 490000 + (int64_t)(i * 37 + k * 1009);
            unsigned char le[8];
            uint64_t z;
            int b;
            for (b = 0; b < 8; b++)
                le[b] = (unsigned char)((uint64_t)at >> (8 * b));
            z = fc_hash64(le, 8, key);
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
            z ^= z >> 31;
            assert_true(fc_sim_hash_at(key, at) == z);
        }
    }
}

/* Generated series: chunked reads equal point reads, the (resource,
 * metric) index finds what the scan finds, and the hash follows the
 * generator. */
static void test_sim__generated_series_read_index_hash(void **state)
{
    fc_cloud *c = open_estate();
    fc_inventory a, b;
    double *chunk;
    size_t i, j;
    (void)state;

    discover(c, at("2026-11-20T12:00:00Z"), 14, 0, NULL, 0, &a);
    discover(c, at("2026-11-20T12:00:00Z"), 14, 0, NULL, 0, &b);
    assert_true(a.nmetrics > 10);
    const fc_metric_series **scan = calloc(a.nmetrics, sizeof(*scan));
    assert_non_null(scan);
    for (i = 0; i < a.nmetrics; i++)
        scan[i] = fc_inventory_metric(&a, a.metrics[i].resource_id, a.metrics[i].metric);
    assert_int_equal(fc_inventory_index(&a), FC_OK);
    for (i = 0; i < a.nmetrics; i++) {
        const fc_metric_series *s = &a.metrics[i];
        assert_ptr_equal(fc_inventory_metric(&a, s->resource_id, s->metric), scan[i]);
        assert_null(s->values);
        assert_non_null(s->fill);
        chunk = malloc((s->n + 1) * sizeof(*chunk));
        assert_non_null(chunk);
        fc_metric_series_read(s, 3, s->n - 3, chunk);
        for (j = 3; j < s->n; j += 17)
            assert_true(chunk[j - 3] == pt(s, j));
        free(chunk);
        assert_true(fc_metric_series_hash(s, 7) == fc_metric_series_hash(&b.metrics[i], 7));
        if (i)
            assert_true(fc_metric_series_hash(s, 7) != fc_metric_series_hash(s - 1, 7));
    }
    assert_null(fc_inventory_metric(&a, a.metrics[0].resource_id, "NoSuchMetric"));
    assert_null(fc_inventory_metric(&a, "i-nope", "CPUUtilization"));
    free(scan);
    fc_inventory_dispose(&a);
    fc_inventory_dispose(&b);
    fc_cloud_free(c);
}

/* Dates: plain digits, and the odd forms %d also reads (sign, space,
 * one-digit fields), give what they always gave; the rest is rejected. */
static void test_sim__dates_parse_as_before(void **state)
{
    static const char *const bad[] = {
        "2025-02-30", "2025-13-01", "2025-00-10", "2025-01-00",
        "2025-01-01T24:00:00Z", "2025-01-01T10:60:00Z", "2025-01-01T10:00:00",
        "2025-01-01T10:00:00Zx", "2025-01-01x", "2025-1-05", "2025-01-0",
        "2025/01/01", "yesterday", "", NULL};
    int64_t t = 0;
    size_t i;
    (void)state;

    assert_int_equal(fc_time_parse("2025-02-11", &t), 0);
    assert_true(t == INT64_C(1739232000));
    assert_int_equal(fc_time_parse("2025-02-11T10:20:30Z", &t), 0);
    assert_true(t == INT64_C(1739269230));
    assert_int_equal(fc_time_parse("2024-02-29", &t), 0);
    assert_true(t == INT64_C(1709164800));
    assert_int_equal(fc_time_parse("2025-01-01T23:59:60Z", &t), 0);
    assert_true(t == INT64_C(1735776000));
    assert_int_equal(fc_time_parse("2025-+1-05", &t), 0);
    assert_true(t == at("2025-01-05"));
    assert_int_equal(fc_time_parse(" 999-01-01", &t), 0);
    assert_true(t == at("0999-01-01"));
    assert_int_equal(fc_time_parse("2025-01-01T1:02:03Z", &t), 0);
    assert_true(t == at("2025-01-01T01:02:03Z"));
    for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        t = 7;
        if (fc_time_parse(bad[i], &t) == 0)
            fail_msg("'%s' parsed as a date", bad[i] ? bad[i] : "(null)");
        assert_true(t == 7);
    }
    expect_error(HEAD "resources:\n"
                      "  - {type: ebs-volume, id: v-1, account: \"111122223333\","
                      " region: eu-west-1, created: \"2025-02-30\"}\n",
                 "resources[0]: '2025-02-30' is not a date", 6);
}

static void apply_ok(fc_cloud *c, const char *kind, const char *id, const char *key,
                     const char *value)
{
    fc_tag param = {(char *)key, (char *)value};
    fc_action a;
    fc_action_result r;
    memset(&a, 0, sizeof(a));
    a.kind = kind;
    a.resource = id;
    a.params = &param;
    a.nparams = key ? 1 : 0;
    if (fc_cloud_apply(c, &a, &r) != FC_OK)
        fail_msg("%s %s: %s", kind, id, fc_error_last());
    fc_action_result_dispose(&r);
}

/* Resources loaded together share one copy of their repeated strings
 * (state, class, tags): changing one resource leaves the others as they
 * were, and freeing the sim frees each string once (ASan checks it). */
static void test_sim__apply_changes_one_resource_only(void **state)
{
    static const char *const ext[] = {"", ".jsonl"};
    static const char *const text[] = {
        HEAD "resources:\n"
             "  - {type: ec2-instance, id: i-1, account: \"111122223333\","
             " region: eu-west-1, state: running, class: m5.large, tags: {env: prod}}\n"
             "  - {type: ec2-instance, id: i-2, account: \"111122223333\","
             " region: eu-west-1, state: running, class: m5.large, tags: {env: prod}}\n"
             "  - {type: ebs-volume, id: v-1, account: \"111122223333\","
             " region: eu-west-1, class: gp2, size: 8}\n",
        "{\"seed\": 1, \"accounts\": [{\"id\": \"111122223333\"}],"
        " \"regions\": [\"eu-west-1\"]}\n"
        "{\"resource\": {\"type\": \"ec2-instance\", \"id\": \"i-1\","
        " \"account\": \"111122223333\", \"region\": \"eu-west-1\","
        " \"state\": \"running\", \"class\": \"m5.large\", \"tags\": {\"env\": \"prod\"}}}\n"
        "{\"resource\": {\"type\": \"ec2-instance\", \"id\": \"i-2\","
        " \"account\": \"111122223333\", \"region\": \"eu-west-1\","
        " \"state\": \"running\", \"class\": \"m5.large\", \"tags\": {\"env\": \"prod\"}}}\n"
        "{\"resource\": {\"type\": \"ebs-volume\", \"id\": \"v-1\","
        " \"account\": \"111122223333\", \"region\": \"eu-west-1\","
        " \"class\": \"gp2\", \"size\": 8}}\n"};
    size_t k;
    (void)state;

    for (k = 0; k < 2; k++) {
        fc_cloud *c = NULL;
        fc_resource r;
        char path[64];
        assert_int_equal(open_text_as(text[k], ext[k], path, sizeof(path), &c), FC_OK);
        apply_ok(c, "stop-instances", "i-1", NULL, NULL);
        apply_ok(c, "modify-instance-type", "i-1", "instanceType", "m5.xlarge");
        apply_ok(c, "create-tags", "i-1", "env", "dev");
        apply_ok(c, "create-tags", "i-1", "owner", "ops");
        apply_ok(c, "create-snapshot", "v-1", NULL, NULL);
        apply_ok(c, "modify-volume-type", "v-1", "volumeType", "gp3");

        assert_int_equal(fc_cloud_describe(c, FC_RES_EC2_INSTANCE, NULL, NULL, NULL,
                                           "i-1", &r), FC_OK);
        assert_string_equal(r.state, "stopped");
        assert_string_equal(r.size_class, "m5.xlarge");
        assert_string_equal(fc_resource_tag(&r, "env"), "dev");
        assert_string_equal(fc_resource_tag(&r, "owner"), "ops");
        fc_resource_dispose(&r);
        assert_int_equal(fc_cloud_describe(c, FC_RES_EC2_INSTANCE, NULL, NULL, NULL,
                                           "i-2", &r), FC_OK);
        assert_string_equal(r.state, "running");
        assert_string_equal(r.size_class, "m5.large");
        assert_string_equal(fc_resource_tag(&r, "env"), "prod");
        assert_null(fc_resource_tag(&r, "owner"));
        assert_int_equal((int)r.ntags, 1);
        fc_resource_dispose(&r);
        assert_int_equal(fc_cloud_describe(c, FC_RES_EBS_VOLUME, NULL, NULL, NULL,
                                           "v-1", &r), FC_OK);
        assert_string_equal(r.size_class, "gp3");
        assert_string_equal(r.state, "available");
        fc_resource_dispose(&r);
        fc_cloud_free(c);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sim__type_names_round_trip),
        cmocka_unit_test(test_sim__inventory_helpers),
        cmocka_unit_test(test_sim__loads_shipped_estate),
        cmocka_unit_test(test_sim__metric_windows_are_hour_aligned),
        cmocka_unit_test(test_sim__same_clock_same_inventory),
        cmocka_unit_test(test_sim__overlapping_hours_agree_across_clocks),
        cmocka_unit_test(test_sim__profiles_shape_the_metrics),
        cmocka_unit_test(test_sim__cost_history_has_an_anomaly),
        cmocka_unit_test(test_sim__scope_filters_accounts_and_regions),
        cmocka_unit_test(test_sim__resources_appear_when_created),
        cmocka_unit_test(test_sim__rejects_bad_lookbacks),
        cmocka_unit_test(test_sim__bad_estates_name_file_and_line),
        cmocka_unit_test(test_sim__streamed_and_whole_loads_agree),
        cmocka_unit_test(test_sim__aliases_still_load),
        cmocka_unit_test(test_sim__jsonl_and_yaml_estates_agree),
        cmocka_unit_test(test_sim__jsonl_scalars_read_as_yaml),
        cmocka_unit_test(test_sim__jsonl_errors_name_file_and_line),
        cmocka_unit_test(test_sim__hash_at_is_fnv_of_le_bytes),
        cmocka_unit_test(test_sim__generated_series_read_index_hash),
        cmocka_unit_test(test_sim__dates_parse_as_before),
        cmocka_unit_test(test_sim__apply_changes_one_resource_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
