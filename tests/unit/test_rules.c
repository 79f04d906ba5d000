/*
 * test_rules.c - the waste rules and rightsizing over hand-built
 * inventories: every rule at, just under and just over its thresholds,
 * data coverage, policy filters and exclusions, missing prices, duplicate
 * resolution, ids, rightsizing picks and their explanation, and the
 * findings on the shipped demo estate (one of every rule).
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

#define PROD "402918374651"
#define DEV "518273640192"

static const char *price_yaml =
    "currency: USD\n"
    "ec2:\n"
    "  eu-west-1:\n"
    "    t3.micro: 0.0114\n"
    "    m5.large: {price: 0.107, vcpu: 2, memoryGiB: 8, processor: x86_64}\n"
    "    m5.xlarge: {price: 0.214, vcpu: 4, memoryGiB: 16, processor: x86_64}\n"
    "    m5.2xlarge: {price: 0.428, vcpu: 8, memoryGiB: 32, processor: x86_64}\n"
    "    m5.4xlarge: {price: 0.856, vcpu: 16, memoryGiB: 64, processor: x86_64}\n"
    "    c5.2xlarge: {price: 0.384, vcpu: 8, memoryGiB: 16, processor: x86_64}\n"
    "    m6g.xlarge: {price: 0.172, vcpu: 4, memoryGiB: 16, processor: arm64}\n"
    "    m6g.2xlarge: {price: 0.344, vcpu: 8, memoryGiB: 32, processor: arm64}\n"
    "    r5.2xlarge: {price: 0.564, vcpu: 8, memoryGiB: 64, processor: x86_64}\n"
    "  us-east-1: {m5.large: 0.096}\n"
    "ebs:\n"
    "  eu-west-1: {gp2: 0.11, gp3: 0.088}\n"
    "rds:\n"
    "  eu-west-1:\n"
    "    postgres:db.t3.medium: {price: 0.076, vcpu: 2, memoryGiB: 4}\n"
    "    mysql:db.t3.medium: {price: 0.072, vcpu: 2, memoryGiB: 4}\n"
    "other:\n"
    "  eu-west-1: {eip-idle: 0.005, snapshot: 0.05, alb-hour: 0.0252,\n"
    "              nlb-hour: 0.0252, lambda-gb-second: 0.0000166667,\n"
    "              s3-standard: 0.023, s3-standard-ia: 0.0125}\n";

static int64_t now_ts(void)
{
    int64_t t;
    assert_int_equal(fc_time_parse("2026-11-20T12:00:00Z", &t), 0);
    return t;
}

static fc_price_table *prices(void)
{
    fc_price_table *p = NULL;
    assert_int_equal(fc_prices_parse(&p, price_yaml, strlen(price_yaml), "t"),
                     FC_OK);
    return p;
}

static void inv_start(fc_inventory *inv)
{
    fc_inventory_init(inv);
    inv->observed_at = now_ts();
    inv->currency = fc_strdup("USD");
}

static void add_res(fc_inventory *inv, fc_resource_type type, const char *id,
                    const char *account, const char *region, const char *cls,
                    const char *state, double size, const char *attached,
                    int64_t created, const char *name, const char *tag_key,
                    const char *tag_value)
{
    fc_resource r;
    fc_tag tag;
    memset(&r, 0, sizeof(r));
    r.type = type;
    r.id = (char *)id;
    r.account = (char *)account;
    r.region = (char *)region;
    r.size_class = (char *)cls;
    r.state = (char *)state;
    r.size = size;
    r.attached_to = (char *)attached;
    r.created = created;
    r.name = (char *)name;
    if (tag_key) {
        tag.key = (char *)tag_key;
        tag.value = (char *)tag_value;
        r.tags = &tag;
        r.ntags = 1;
    }
    assert_int_equal(fc_inventory_add_resource(inv, &r), FC_OK);
}

static void add_instance(fc_inventory *inv, const char *id, const char *cls,
                         const char *state)
{
    add_res(inv, FC_RES_EC2_INSTANCE, id, DEV, "eu-west-1", cls, state, 0, NULL,
            now_ts() - 400 * FC_DAY, NULL, NULL, NULL);
}

/* n hourly points ending at observed_at; the newest `recent` points get
 * `recent_value`, the others `value`. */
static void add_cpu2(fc_inventory *inv, const char *id, size_t n, double value,
                     size_t recent, double recent_value)
{
    double *v = malloc(n * sizeof(*v));
    size_t i;
    for (i = 0; i < n; i++)
        v[i] = i + recent >= n ? recent_value : value;
    assert_int_equal(fc_inventory_add_metric_take(inv, id, "CPUUtilization",
                                                  inv->observed_at -
                                                      (int64_t)n * 3600,
                                                  3600, v, n),
                     FC_OK);
}

static void add_cpu(fc_inventory *inv, const char *id, size_t n, double value)
{
    add_cpu2(inv, id, n, value, 0, value);
}

/* n hourly points of a constant ending at observed_at. */
static void add_metric(fc_inventory *inv, const char *id, const char *metric,
                       size_t n, double value)
{
    double *v = malloc(n * sizeof(*v));
    size_t i;
    for (i = 0; i < n; i++)
        v[i] = value;
    assert_int_equal(fc_inventory_add_metric_take(inv, id, metric,
                                                  inv->observed_at -
                                                      (int64_t)n * 3600,
                                                  3600, v, n),
                     FC_OK);
}

/* n hourly points ending at observed_at; point i (oldest first) is f(i). */
static void add_metric_fn(fc_inventory *inv, const char *id, const char *metric,
                          size_t n, double (*f)(size_t i, size_t n))
{
    double *v = malloc(n * sizeof(*v));
    size_t i;
    for (i = 0; i < n; i++)
        v[i] = f(i, n);
    assert_int_equal(fc_inventory_add_metric_take(inv, id, metric,
                                                  inv->observed_at -
                                                      (int64_t)n * 3600,
                                                  3600, v, n),
                     FC_OK);
}

static void add_attr_res(fc_inventory *inv, fc_resource_type type,
                         const char *id, const char *cls, const char *state,
                         double size, const char *attached, int64_t created,
                         const char *k1, const char *v1, const char *k2,
                         const char *v2)
{
    fc_resource r;
    fc_tag attrs[2];
    memset(&r, 0, sizeof(r));
    r.type = type;
    r.id = (char *)id;
    r.account = DEV;
    r.region = "eu-west-1";
    r.size_class = (char *)cls;
    r.state = (char *)state;
    r.size = size;
    r.attached_to = (char *)attached;
    r.created = created;
    attrs[0].key = (char *)k1;
    attrs[0].value = (char *)v1;
    attrs[1].key = (char *)k2;
    attrs[1].value = (char *)v2;
    r.attrs = attrs;
    r.nattrs = k2 ? 2 : k1 ? 1 : 0;
    assert_int_equal(fc_inventory_add_resource(inv, &r), FC_OK);
}

/* The loader's defaults, with the average idle mode the older tests use. */
static fc_policy_spec policy_defaults(void)
{
    fc_policy_spec p;
    memset(&p, 0, sizeof(p));
    p.ec2.mode = "average";
    p.ec2.cpu_percent = 5;
    p.ec2.idle_days = 7;
    p.ec2.daily_cpu_percent = 10;
    p.ec2.daily_network_mb = 5;
    p.ec2.min_idle_days = 4;
    p.ec2.lookback_days = 14;
    p.rds.cpu_percent = 10;
    p.rds.connections_percent = 20;
    p.rds.idle_days = 7;
    p.ebs.unattached_days = 7;
    p.snapshots.max_age_days = 90;
    p.elb.min_requests = 100;
    p.elb.idle_days = 7;
    p.lambda.memory_used_percent = 50;
    p.lambda.lookback_days = 14;
    p.rightsizing.target_p95_percent = 60;
    p.rightsizing.max_percent = 90;
    p.rightsizing.lookback_days = 14;
    p.rightsizing.min_coverage_percent = 25;
    return p;
}

/* A spec set with one average-mode policy and every rule but the ones a
 * test turns on (gp3, lifecycle) at the loader's defaults. */
static fc_policy_spec avg_ps;
static fc_object avg_obj;
static fc_spec_set avg_set;

static const fc_spec_set *average(void)
{
    avg_ps = policy_defaults();
    memset(&avg_obj, 0, sizeof(avg_obj));
    avg_obj.kind = FC_KIND_POLICY;
    avg_obj.metadata.name = "avg";
    avg_obj.spec.policy = &avg_ps;
    memset(&avg_set, 0, sizeof(avg_set));
    avg_set.objects = &avg_obj;
    avg_set.nobjects = 1;
    return &avg_set;
}

static fc_object policy_obj(const char *name, fc_policy_spec *p)
{
    fc_object o;
    memset(&o, 0, sizeof(o));
    o.kind = FC_KIND_POLICY;
    o.metadata.name = (char *)name;
    o.spec.policy = p;
    return o;
}

static fc_spec_set one_policy(fc_object *o)
{
    fc_spec_set s;
    memset(&s, 0, sizeof(s));
    s.objects = o;
    s.nobjects = 1;
    return s;
}

static const char *ev(const fc_recommendation *r, const char *key)
{
    size_t i;
    for (i = 0; i < r->nevidence; i++)
        if (strcmp(r->evidence[i].key, key) == 0)
            return r->evidence[i].value;
    return NULL;
}

/* Runs the engine and returns the number of recommendations. */
static size_t run(fc_recommendation_list *l, const fc_inventory *inv,
                  const fc_spec_set *specs, const fc_price_table *p)
{
    size_t i;
    fc_recommendation_list_init(l);
    assert_int_equal(fc_engine_recommend(l, inv, specs, p), FC_OK);
    for (i = 1; i < l->n; i++)
        assert_true(strcmp(l->items[i - 1].id, l->items[i].id) < 0);
    for (i = 0; i < l->n; i++) {
        size_t j;
        for (j = 1; j < l->items[i].nevidence; j++)
            assert_true(strcmp(l->items[i].evidence[j - 1].key,
                               l->items[i].evidence[j].key) < 0);
    }
    return l->n;
}

static size_t count_for(fc_inventory *inv, const fc_spec_set *specs,
                        const fc_price_table *p)
{
    fc_recommendation_list l;
    size_t n = run(&l, inv, specs, p);
    fc_recommendation_list_dispose(&l);
    return n;
}

static void test_rules__idle_ec2_below_threshold(void **state)
{
    fc_price_table *p = prices();
    fc_inventory inv;
    fc_recommendation_list l;
    const fc_recommendation *r;
    (void)state;

    inv_start(&inv);
    add_res(&inv, FC_RES_EC2_INSTANCE, "i-0abc", DEV, "eu-west-1", "m5.large",
            "running", 0, NULL, now_ts() - 400 * FC_DAY, "build-box", NULL, NULL);
    add_cpu(&inv, "i-0abc", 168, 4.99);
    assert_int_equal(run(&l, &inv, average(), p), 1);
    r = &l.items[0];
    assert_string_equal(r->id, "idle-ec2-instance-i-0abc");
    assert_string_equal(r->rule, "idle-ec2-instance");
    assert_int_equal(r->resource_type, FC_RES_EC2_INSTANCE);
    assert_string_equal(r->account, DEV);
    assert_string_equal(r->region, "eu-west-1");
    assert_string_equal(r->resource, "i-0abc");
    assert_string_equal(r->action, "stop");
    assert_int_equal(r->risk, FC_RISK_LOW);
    assert_string_equal(fc_risk_name(r->risk), "low");
    assert_string_equal(r->currency, "USD");
    assert_string_equal(r->policy, "avg");
    assert_true(fabs(r->monthly_saving - 78.11) < 1e-9);
    assert_string_equal(ev(r, "mode"), "average");
    assert_string_equal(ev(r, "averageCpuPercent"), "4.99");
    assert_string_equal(ev(r, "maxCpuPercent"), "4.99");
    assert_string_equal(ev(r, "lookbackDays"), "7");
    assert_string_equal(ev(r, "dataPoints"), "168");
    assert_string_equal(ev(r, "thresholdPercent"), "5");
    assert_string_equal(ev(r, "instanceType"), "m5.large");
    assert_string_equal(ev(r, "hourlyPrice"), "0.107");
    assert_string_equal(ev(r, "priceKnown"), "true");
    assert_string_equal(r->summary,
                        "i-0abc (build-box) avg CPU 4.99% over 7 days (< 5%): "
                        "stop it to save 78.11 USD/month");
    fc_recommendation_list_dispose(&l);
    assert_int_equal(l.n, 0);
    fc_inventory_dispose(&inv);
    fc_prices_free(p);
}

static void test_rules__idle_ec2_at_or_above_threshold(void **state)
{
    fc_price_table *p = prices();
    fc_inventory inv;
    (void)state;

    inv_start(&inv);
    add_instance(&inv, "i-0at", "m5.large", "running");
    add_cpu(&inv, "i-0at", 168, 5.0);
    add_instance(&inv, "i-0above", "m5.large", "running");
    add_cpu(&inv, "i-0above", 168, 5.01);
    assert_int_equal(count_for(&inv, average(), p), 0);
    fc_inventory_dispose(&inv);
    fc_prices_free(p);
}

static void test_rules__idle_ec2_needs_enough_points(void **state)
{
    fc_price_table *p = prices();
    fc_inventory inv;
    fc_recommendation_list l;
    (void)state;

    /* 7 * 24 * 0.9 = 151.2 points. */
    inv_start(&inv);
    add_instance(&inv, "i-0few", "m5.large", "running");
    add_cpu(&inv, "i-0few", 151, 1.0);
    assert_int_equal(count_for(&inv, average(), p), 0);
    fc_inventory_dispose(&inv);

    inv_start(&inv);
    add_instance(&inv, "i-0enough", "m5.large", "running");
    add_cpu(&inv, "i-0enough", 152, 1.0);
    assert_int_equal(run(&l, &inv, average(), p), 1);
    assert_string_equal(ev(&l.items[0], "dataPoints"), "152");
    fc_recommendation_list_dispose(&l);
    fc_inventory_dispose(&inv);

    /* NaN marks a missing point. */
    inv_start(&inv);
    add_instance(&inv, "i-0gaps", "m5.large", "running");
    add_cpu2(&inv, "i-0gaps", 168, 1.0, 20, NAN);
    assert_int_equal(count_for(&inv, average(), p), 0);
    fc_inventory_dispose(&inv);

    /* No series at all. */
    inv_start(&inv);
    add_instance(&inv, "i-0blind", "m5.large", "running");
    assert_int_equal(count_for(&inv, average(), p), 0);
    fc_inventory_dispose(&inv);
    fc_prices_free(p);
}

static void test_rules__idle_ec2_looks_only_at_lookback(void **state)
{
    fc_price_table *p = prices();
    fc_inventory inv;
    fc_recommendation_list l;
    (void)state;

    /* Busy two weeks ago, idle for the last 7 days: idle. */
    inv_start(&inv);
    add_instance(&inv, "i-0calm", "m5.large", "running");
    add_cpu2(&inv, "i-0calm", 336, 60.0, 168, 1.5);
    /* Idle two weeks ago, busy this week: not idle. */
    add_instance(&inv, "i-0woke", "m5.large", "running");
    add_cpu2(&inv, "i-0woke", 336, 1.0, 168, 40.0);
    assert_int_equal(run(&l, &inv, average(), p), 1);
    assert_string_equal(l.items[0].resource, "i-0calm");
    assert_string_equal(ev(&l.items[0], "averageCpuPercent"), "1.50");
    assert_string_equal(ev(&l.items[0], "dataPoints"), "168");
    fc_recommendation_list_dispose(&l);
    fc_inventory_dispose(&inv);
    fc_prices_free(p);
}

static void test_rules__idle_ec2_skips_stopped_and_rates_prod(void **state)
{
    fc_price_table *p = prices();
    fc_inventory inv;
    fc_recommendation_list l;
    (void)state;

    inv_start(&inv);
    add_instance(&inv, "i-0off", "m5.large", "stopped");
    add_cpu(&inv, "i-0off", 168, 0.5);
    add_res(&inv, FC_RES_EC2_INSTANCE, "i-0prod", PROD, "eu-west-1", "t3.micro",
            "running", 0, NULL, 1, NULL, "env", "Production");
    add_cpu(&inv, "i-0prod", 168, 0.5);
    assert_int_equal(run(&l, &inv, average(), p), 1);
    assert_string_equal(l.items[0].resource, "i-0prod");
    assert_int_equal(l.items[0].risk, FC_RISK_MEDIUM);
    assert_true(fabs(l.items[0].monthly_saving - 8.32) < 1e-9);
    assert_string_equal(l.items[0].summary,
                        "i-0prod avg CPU 0.50% over 7 days (< 5%): stop it to "
                        "save 8.32 USD/month");
    fc_recommendation_list_dispose(&l);
    fc_inventory_dispose(&inv);
    fc_prices_free(p);
}

static void test_rules__exclusions_by_tag_and_name(void **state)
{
    fc_price_table *p = prices();
    fc_inventory inv;
    fc_recommendation_list l;
    fc_policy_spec ps = policy_defaults();
    fc_kv tags[1] = {{"finops.dev/skip", "true"}};
    char *names[2] = {"build-*", "i-0zz*"};
    fc_object o = policy_obj("team", &ps);
    fc_spec_set set = one_policy(&o);
    (void)state;

    inv_start(&inv);
    add_res(&inv, FC_RES_EC2_INSTANCE, "i-0tagged", DEV, "eu-west-1", "m5.large",
            "running", 0, NULL, 1, "licence", "finops.dev/skip", "true");
    add_cpu(&inv, "i-0tagged", 168, 1);
    add_res(&inv, FC_RES_EC2_INSTANCE, "i-0tagfalse", DEV, "eu-west-1",
            "m5.large", "running", 0, NULL, 1, "other", "finops.dev/skip", "false");
    add_cpu(&inv, "i-0tagfalse", 168, 1);
    add_res(&inv, FC_RES_EC2_INSTANCE, "i-0named", DEV, "eu-west-1", "m5.large",
            "running", 0, NULL, 1, "build-box-2", NULL, NULL);
    add_cpu(&inv, "i-0named", 168, 1);
    add_res(&inv, FC_RES_EC2_INSTANCE, "i-0zz9", DEV, "eu-west-1", "m5.large",
            "running", 0, NULL, 1, "whatever", NULL, NULL);
    add_cpu(&inv, "i-0zz9", 168, 1);
    add_res(&inv, FC_RES_EBS_VOLUME, "vol-0named", DEV, "eu-west-1", "gp2",
            "available", 10, NULL, 1, "build-cache", NULL, NULL);
    add_res(&inv, FC_RES_ELASTIC_IP, "eipalloc-0tag", DEV, "eu-west-1", NULL,
            NULL, 0, NULL, 1, NULL, "finops.dev/skip", "true");

    assert_int_equal(count_for(&inv, &set, p), 6);
    ps.exclusions.tags = tags;
    ps.exclusions.ntags = 1;
    ps.exclusions.names = names;
    ps.exclusions.nnames = 2;
    assert_int_equal(run(&l, &inv, &set, p), 1);
    assert_string_equal(l.items[0].resource, "i-0tagfalse");
    assert_string_equal(l.items[0].policy, "team");
    fc_recommendation_list_dispose(&l);
    fc_inventory_dispose(&inv);
    fc_prices_free(p);
}

static void test_rules__service_region_account_filters(void **state)
{
    fc_price_table *p = prices();
    fc_inventory inv;
    fc_recommendation_list l;
    fc_policy_spec ps = policy_defaults();
    fc_account_spec acct;
    char *svc[1] = {"ebs"};
    char *regions[1] = {"us-east-1"};
    char *by_name[1] = {"acme-dev"};
    char *by_id[1] = {PROD};
    fc_object objs[2];
    fc_spec_set set;
    (void)state;

    memset(&acct, 0, sizeof(acct));
    acct.account_id = DEV;
    memset(&objs[0], 0, sizeof(objs[0]));
    objs[0].kind = FC_KIND_ACCOUNT;
    objs[0].metadata.name = "acme-dev";
    objs[0].spec.account = &acct;
    objs[1] = policy_obj("p", &ps);
    memset(&set, 0, sizeof(set));
    set.objects = objs;
    set.nobjects = 2;

    inv_start(&inv);
    add_instance(&inv, "i-0idle", "m5.large", "running");
    add_cpu(&inv, "i-0idle", 168, 1);
    add_res(&inv, FC_RES_EBS_VOLUME, "vol-0loose", DEV, "eu-west-1", "gp2",
            "available", 10, NULL, 1, NULL, NULL, NULL);
    add_res(&inv, FC_RES_ELASTIC_IP, "eipalloc-0free", DEV, "eu-west-1", NULL,
            NULL, 0, NULL, 1, NULL, NULL, NULL);
    assert_int_equal(count_for(&inv, &set, p), 3);

    ps.services = svc;
    ps.nservices = 1;
    assert_int_equal(run(&l, &inv, &set, p), 1);
    assert_string_equal(l.items[0].rule, "unattached-ebs-volume");
    fc_recommendation_list_dispose(&l);
    ps.services = NULL;
    ps.nservices = 0;

    ps.regions = regions;
    ps.nregions = 1;
    assert_int_equal(count_for(&inv, &set, p), 0);
    ps.regions = NULL;
    ps.nregions = 0;

    ps.accounts = by_name;
    ps.naccounts = 1;
    assert_int_equal(count_for(&inv, &set, p), 3);
    ps.accounts = by_id;
    assert_int_equal(count_for(&inv, &set, p), 0);
    fc_inventory_dispose(&inv);
    fc_prices_free(p);
}

static void test_rules__missing_price_still_recommends(void **state)
{
    fc_price_table *p = prices();
    fc_inventory inv;
    fc_recommendation_list l;
    (void)state;

    inv_start(&inv);
    add_instance(&inv, "i-0odd", "x9.mega", "running");
    add_cpu(&inv, "i-0odd", 168, 1);
    add_res(&inv, FC_RES_EBS_VOLUME, "vol-0odd", DEV, "eu-west-1", "io9",
            "available", 10, NULL, 1, NULL, NULL, NULL);
    add_res(&inv, FC_RES_ELASTIC_IP, "eipalloc-0far", DEV, "ap-south-1", NULL,
            NULL, 0, NULL, 1, NULL, NULL, NULL);
    assert_int_equal(run(&l, &inv, average(), p), 3);
    assert_string_equal(l.items[0].rule, "idle-ec2-instance");
    assert_true(l.items[0].monthly_saving == 0);
    assert_string_equal(ev(&l.items[0], "priceKnown"), "false");
    assert_null(ev(&l.items[0], "hourlyPrice"));
    assert_non_null(strstr(l.items[0].summary, "no price known for x9.mega"));
    assert_string_equal(l.items[1].rule, "unassociated-elastic-ip");
    assert_true(l.items[1].monthly_saving == 0);
    assert_string_equal(ev(&l.items[1], "priceKnown"), "false");
    assert_string_equal(l.items[2].rule, "unattached-ebs-volume");
    assert_true(l.items[2].monthly_saving == 0);
    assert_null(ev(&l.items[2], "pricePerGbMonth"));
    fc_recommendation_list_dispose(&l);

    /* No price table at all behaves the same. */
    assert_int_equal(run(&l, &inv, average(), NULL), 3);
    fc_recommendation_list_dispose(&l);
    fc_inventory_dispose(&inv);
    fc_prices_free(p);
}

static void test_rules__unattached_ebs(void **state)
{
    fc_price_table *p = prices();
    fc_inventory inv;
    fc_recommendation_list l;
    fc_policy_spec ps = policy_defaults();
    fc_object o = policy_obj("ebs", &ps);
    fc_spec_set set = one_policy(&o);
    int64_t now = now_ts();
    const fc_recommendation *r;
    (void)state;

    inv_start(&inv);
    add_res(&inv, FC_RES_EBS_VOLUME, "vol-0old", DEV, "eu-west-1", "gp2",
            "available", 500, NULL, now - 30 * FC_DAY - 3600, "jenkins-data",
            NULL, NULL);
    add_res(&inv, FC_RES_EBS_VOLUME, "vol-0used", DEV, "eu-west-1", "gp2",
            "in-use", 500, "i-0abc", now - 300 * FC_DAY, NULL, NULL, NULL);
    add_res(&inv, FC_RES_EBS_VOLUME, "vol-0edge", DEV, "eu-west-1", "gp3",
            "available", 100, NULL, now - 7 * FC_DAY, NULL, NULL, NULL);
    add_res(&inv, FC_RES_EBS_VOLUME, "vol-0past", DEV, "eu-west-1", "gp3",
            "available", 100, NULL, now - 7 * FC_DAY - 1, NULL, NULL, NULL);
    add_res(&inv, FC_RES_EBS_VOLUME, "vol-0undated", DEV, "eu-west-1", "gp3",
            "available", 100, NULL, 0, NULL, NULL, NULL);
    assert_int_equal(run(&l, &inv, &set, p), 2);
    r = &l.items[0];
    assert_string_equal(r->id, "unattached-ebs-volume-vol-0old");
    assert_string_equal(r->action, "snapshot-and-delete");
    assert_int_equal(r->risk, FC_RISK_MEDIUM);
    assert_string_equal(r->policy, "ebs");
    assert_true(fabs(r->monthly_saving - 55.0) < 1e-9);
    assert_string_equal(ev(r, "sizeGiB"), "500");
    assert_string_equal(ev(r, "volumeType"), "gp2");
    assert_string_equal(ev(r, "unattachedDays"), "30");
    assert_string_equal(ev(r, "pricePerGbMonth"), "0.11");
    assert_string_equal(ev(r, "priceKnown"), "true");
    assert_string_equal(r->summary,
                        "vol-0old (jenkins-data) 500 GiB gp2 volume unattached, "
                        "created 30 days ago (> 7): snapshot and delete it to "
                        "save 55.00 USD/month");
    assert_string_equal(l.items[1].resource, "vol-0past");
    assert_true(fabs(l.items[1].monthly_saving - 8.8) < 1e-9);
    fc_recommendation_list_dispose(&l);

    ps.ebs.unattached_days = 60;
    assert_int_equal(count_for(&inv, &set, p), 0);
    fc_inventory_dispose(&inv);
    fc_prices_free(p);
}

static void test_rules__unassociated_eip(void **state)
{
    fc_price_table *p = prices();
    fc_inventory inv;
    fc_recommendation_list l;
    (void)state;

    inv_start(&inv);
    add_res(&inv, FC_RES_ELASTIC_IP, "eipalloc-0free", DEV, "eu-west-1", NULL,
            "unassociated", 0, NULL, 1, "old-bastion-ip", NULL, NULL);
    add_res(&inv, FC_RES_ELASTIC_IP, "eipalloc-0used", DEV, "eu-west-1", NULL,
            "associated", 0, "i-0abc", 1, NULL, NULL, NULL);
    assert_int_equal(run(&l, &inv, NULL, p), 1);
    assert_string_equal(l.items[0].id, "unassociated-elastic-ip-eipalloc-0free");
    assert_string_equal(l.items[0].action, "release-address");
    assert_int_equal(l.items[0].risk, FC_RISK_LOW);
    assert_true(fabs(l.items[0].monthly_saving - 3.65) < 1e-9);
    assert_string_equal(ev(&l.items[0], "hourlyPrice"), "0.005");
    assert_string_equal(l.items[0].summary,
                        "eipalloc-0free (old-bastion-ip) is not associated with "
                        "anything: release it to save 3.65 USD/month");
    fc_recommendation_list_dispose(&l);
    fc_inventory_dispose(&inv);
    fc_prices_free(p);
}

static void test_rules__duplicates_keep_first_policy_by_name(void **state)
{
    fc_price_table *p = prices();
    fc_inventory inv;
    fc_recommendation_list l;
    fc_policy_spec lax = policy_defaults(), strict = policy_defaults();
    fc_object objs[2];
    fc_spec_set set;
    (void)state;

    lax.ec2.cpu_percent = 10;
    strict.ec2.cpu_percent = 3;
    /* Listed out of order on purpose: the engine sorts by name. */
    objs[0] = policy_obj("b-lax", &lax);
    objs[1] = policy_obj("a-strict", &strict);
    memset(&set, 0, sizeof(set));
    set.objects = objs;
    set.nobjects = 2;

    inv_start(&inv);
    add_instance(&inv, "i-0both", "m5.large", "running");
    add_cpu(&inv, "i-0both", 168, 2);
    add_instance(&inv, "i-0laxonly", "m5.large", "running");
    add_cpu(&inv, "i-0laxonly", 168, 4);
    assert_int_equal(run(&l, &inv, &set, p), 2);
    assert_string_equal(l.items[0].resource, "i-0both");
    assert_string_equal(l.items[0].policy, "a-strict");
    assert_string_equal(ev(&l.items[0], "thresholdPercent"), "3");
    assert_string_equal(l.items[1].resource, "i-0laxonly");
    assert_string_equal(l.items[1].policy, "b-lax");
    fc_recommendation_list_dispose(&l);
    fc_inventory_dispose(&inv);
    fc_prices_free(p);
}

static void test_rules__default_policy_without_policies(void **state)
{
    fc_price_table *p = prices();
    fc_inventory inv;
    fc_recommendation_list l;
    fc_account_spec acct;
    fc_object o;
    fc_spec_set set;
    (void)state;

    memset(&acct, 0, sizeof(acct));
    acct.account_id = DEV;
    memset(&o, 0, sizeof(o));
    o.kind = FC_KIND_ACCOUNT;
    o.metadata.name = "acme-dev";
    o.spec.account = &acct;
    set = one_policy(&o);

    /* The built-in default: Trusted Advisor's daily test, gp3 on. */
    inv_start(&inv);
    add_instance(&inv, "i-0idle", "m5.large", "running");
    add_metric(&inv, "i-0idle", "CPUUtilization", 336, 9.9);
    add_metric(&inv, "i-0idle", "NetworkIn", 336, 100000);
    add_metric(&inv, "i-0idle", "NetworkOut", 336, 100000);
    add_res(&inv, FC_RES_EBS_VOLUME, "vol-0loose", DEV, "eu-west-1", "gp2",
            "available", 10, NULL, now_ts() - 8 * FC_DAY, NULL, NULL, NULL);
    assert_int_equal(run(&l, &inv, &set, p), 3);
    assert_string_equal(l.items[0].rule, "gp2-to-gp3-volume");
    assert_string_equal(l.items[1].rule, "idle-ec2-instance");
    assert_null(l.items[1].policy);
    assert_string_equal(ev(&l.items[1], "mode"), "daily");
    assert_string_equal(ev(&l.items[1], "idleDays"), "14");
    assert_string_equal(ev(&l.items[1], "lookbackDays"), "14");
    assert_string_equal(ev(&l.items[1], "averageNetworkMBPerDay"), "4.80");
    assert_string_equal(l.items[2].rule, "unattached-ebs-volume");
    fc_recommendation_list_dispose(&l);
    fc_inventory_dispose(&inv);
    fc_prices_free(p);
}

static void test_rules__ids_are_dns_safe_and_stable(void **state)
{
    char *a, *b, *c;
    const char *longid = "arn:aws:elasticloadbalancing:eu-west-1:402918374651:"
                         "loadbalancer/app/web-eu-alb/50dc6c495c0c9188";
    (void)state;

    a = fc_recommendation_id("idle-ec2-instance", "i-0ABC");
    assert_string_equal(a, "idle-ec2-instance-i-0abc");
    free(a);
    a = fc_recommendation_id("unattached-ebs-volume", "My_Vol.1");
    assert_string_equal(a, "unattached-ebs-volume-my-vol-1");
    free(a);
    a = fc_recommendation_id("idle-ec2-instance", "trailing.");
    assert_string_equal(a, "idle-ec2-instance-trailing");
    free(a);

    a = fc_recommendation_id("unassociated-elastic-ip", longid);
    b = fc_recommendation_id("unassociated-elastic-ip", longid);
    c = fc_recommendation_id("unassociated-elastic-ip",
                             "arn:aws:elasticloadbalancing:eu-west-1:402918374651:"
                             "loadbalancer/app/web-eu-alb/ffffffffffffffff");
    assert_true(strlen(a) <= 63);
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    assert_memory_equal(a, "unassociated-elastic-ip-arn-aws-elasticloadbalanc", 49);
    assert_true(a[strlen(a) - 9] == '-');
    free(b);
    for (b = a; *b; b++)
        assert_true((*b >= 'a' && *b <= 'z') || (*b >= '0' && *b <= '9') ||
                    *b == '-');
    free(a);
    free(c);
}

static void test_rules__appends_to_existing_list(void **state)
{
    fc_price_table *p = prices();
    fc_inventory inv;
    fc_recommendation_list l;
    (void)state;

    inv_start(&inv);
    add_res(&inv, FC_RES_ELASTIC_IP, "eipalloc-0b", DEV, "eu-west-1", NULL, NULL,
            0, NULL, 1, NULL, NULL, NULL);
    fc_recommendation_list_init(&l);
    assert_int_equal(fc_engine_recommend(&l, &inv, NULL, p), FC_OK);
    fc_inventory_dispose(&inv);
    inv_start(&inv);
    add_res(&inv, FC_RES_ELASTIC_IP, "eipalloc-0a", DEV, "eu-west-1", NULL, NULL,
            0, NULL, 1, NULL, NULL, NULL);
    assert_int_equal(fc_engine_recommend(&l, &inv, NULL, p), FC_OK);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.items[0].resource, "eipalloc-0a");
    fc_recommendation_list_dispose(&l);
    fc_inventory_dispose(&inv);
    fc_prices_free(p);
}

/* ---- idle EC2, daily mode (Trusted Advisor) ----------------------------- */

static double g_cpu_idle, g_cpu_busy, g_net_idle, g_net_busy;
static unsigned g_idle_days;

/* The newest g_idle_days days are idle-valued, the rest busy-valued. */
static double daily_cpu(size_t i, size_t n)
{
    return i >= n - g_idle_days * 24 ? g_cpu_idle : g_cpu_busy;
}

static double daily_net(size_t i, size_t n)
{
    return i >= n - g_idle_days * 24 ? g_net_idle : g_net_busy;
}

/* One instance with 14 days of CPU and network; the number of findings
 * the daily rule makes. */
static size_t daily_case(const fc_price_table *p, fc_spec_set *set,
                         double cpu, double net_bytes_per_hour, unsigned days,
                         fc_recommendation_list *keep)
{
    fc_inventory inv;
    fc_recommendation_list l;
    size_t n;

    g_cpu_idle = cpu;
    g_cpu_busy = 50;
    g_net_idle = net_bytes_per_hour;
    g_net_busy = 1e7;
    g_idle_days = days;
    inv_start(&inv);
    add_instance(&inv, "i-0day", "m5.large", "running");
    add_metric_fn(&inv, "i-0day", "CPUUtilization", 336, daily_cpu);
    add_metric_fn(&inv, "i-0day", "NetworkIn", 336, daily_net);
    add_metric_fn(&inv, "i-0day", "NetworkOut", 336, daily_net);
    n = run(&l, &inv, set, p);
    if (keep)
        *keep = l;
    else
        fc_recommendation_list_dispose(&l);
    fc_inventory_dispose(&inv);
    return n;
}

/* ---- generated series (the sim) read like stored ones ------------------- */

/* A generated series over a table; counts the points it computes. */
typedef struct {
    const double *v;
    size_t *computed;
} table_gen;

static void table_fill(const void *gen, int64_t start, int32_t step, size_t from, size_t n,
                       double *out)
{
    const table_gen *g = gen;
    (void)start;
    (void)step;
    memcpy(out, g->v + from, n * sizeof(*out));
    *g->computed += n;
}

#define GEN_POINTS (30 * 24)
static double gen_cpu_idle[GEN_POINTS], gen_cpu_busy[GEN_POINTS], gen_net[GEN_POINTS];

/* Two instances, one idle and one to rightsize, with 30 days of points:
 * stored when computed is NULL, else generated (counted in *computed). */
static void gen_inventory(fc_inventory *inv, size_t *computed)
{
    static const struct {
        const char *id, *metric;
        const double *v;
    } series[] = {
        {"i-0idle", "CPUUtilization", gen_cpu_idle}, {"i-0idle", "NetworkIn", gen_net},
        {"i-0idle", "NetworkOut", gen_net},          {"i-0busy", "CPUUtilization", gen_cpu_busy},
        {"i-0busy", "NetworkIn", gen_net},           {"i-0busy", "NetworkOut", gen_net},
    };
    size_t i;
    for (i = 0; i < GEN_POINTS; i++) {
        gen_cpu_idle[i] = (i % 24) < 23 ? 1.0 + (double)(i % 7) * 0.1 : 30.0;
        gen_cpu_busy[i] = 8.0 + (double)((i * 7919) % 13);
        gen_net[i] = 50e3;
    }
    inv_start(inv);
    add_instance(inv, "i-0idle", "m5.large", "running");
    add_instance(inv, "i-0busy", "m5.2xlarge", "running");
    for (i = 0; i < sizeof(series) / sizeof(series[0]); i++) {
        int64_t start = inv->observed_at - (int64_t)GEN_POINTS * 3600;
        if (computed) {
            table_gen *g = malloc(sizeof(*g));
            assert_non_null(g);
            g->v = series[i].v;
            g->computed = computed;
            assert_int_equal(fc_inventory_add_metric_gen(inv, series[i].id, series[i].metric,
                                                         start, 3600, GEN_POINTS, table_fill,
                                                         g, sizeof(*g)),
                             FC_OK);
        } else {
            double *v = malloc(GEN_POINTS * sizeof(*v));
            assert_non_null(v);
            memcpy(v, series[i].v, GEN_POINTS * sizeof(*v));
            assert_int_equal(fc_inventory_add_metric_take(inv, series[i].id, series[i].metric,
                                                          start, 3600, v, GEN_POINTS),
                             FC_OK);
        }
    }
}

static void test_rules__generated_series_match_stored(void **state)
{
    static char modes[2][8] = {"average", "daily"};
    fc_price_table *p = prices();
    fc_policy_spec ps = policy_defaults();
    fc_object o = policy_obj("gen", &ps);
    fc_spec_set set = one_policy(&o);
    size_t m, i, j, computed;
    (void)state;

    for (m = 0; m < 2; m++) {
        fc_inventory stored, generated;
        fc_recommendation_list a, b;
        ps.ec2.mode = modes[m];
        gen_inventory(&stored, NULL);
        computed = 0;
        gen_inventory(&generated, &computed);
        for (i = 0; i < 2; i++) { /* indexed, as in a pass, and not */
            if (i == 1) {
                assert_int_equal(fc_inventory_index(&stored), FC_OK);
                assert_int_equal(fc_inventory_index(&generated), FC_OK);
            }
            computed = 0;
            assert_int_equal(run(&a, &stored, &set, p), 2); /* idle + rightsize */
            assert_int_equal(run(&b, &generated, &set, p), a.n);
            for (j = 0; j < a.n; j++) {
                size_t k;
                assert_string_equal(a.items[j].id, b.items[j].id);
                assert_string_equal(a.items[j].summary, b.items[j].summary);
                assert_int_equal(a.items[j].nevidence, b.items[j].nevidence);
                for (k = 0; k < a.items[j].nevidence; k++)
                    assert_string_equal(a.items[j].evidence[k].value,
                                        b.items[j].evidence[k].value);
            }
            /* Each generated point is computed at most once per engine call,
             * although several rules read the CPU series. */
            assert_true(computed > 0);
            assert_true(computed <= 6 * 14 * 24); /* the 14-day lookback */
            fc_recommendation_list_dispose(&a);
            fc_recommendation_list_dispose(&b);
        }
        fc_inventory_dispose(&stored);
        fc_inventory_dispose(&generated);
    }
    fc_prices_free(p);
}

static void test_rules__idle_ec2_daily_thresholds(void **state)
{
    fc_price_table *p = prices();
    fc_policy_spec ps = policy_defaults();
    fc_object o = policy_obj("ta", &ps);
    fc_spec_set set = one_policy(&o);
    fc_recommendation_list l;
    const fc_recommendation *r;
    (void)state;

    ps.ec2.mode = "daily";
    ps.rightsizing.target_p95_percent = 1; /* keep rightsizing out of it */
    /* 2.5 MB in + 2.5 MB out a day = exactly 5 MB; CPU exactly 10 %. */
    assert_int_equal(daily_case(p, &set, 10.0, 2.5e6 / 24, 4, &l), 1);
    r = &l.items[0];
    assert_string_equal(r->rule, "idle-ec2-instance");
    assert_string_equal(ev(r, "mode"), "daily");
    assert_string_equal(ev(r, "idleDays"), "4");
    assert_string_equal(ev(r, "daysObserved"), "14");
    assert_string_equal(ev(r, "minIdleDays"), "4");
    assert_string_equal(ev(r, "dailyCpuThresholdPercent"), "10");
    assert_string_equal(ev(r, "dailyNetworkThresholdMB"), "5");
    assert_true(fabs(r->monthly_saving - 78.11) < 1e-9);
    assert_string_equal(r->summary,
                        "i-0day idle on 4 of the last 14 days (CPU <= 10% and "
                        "network <= 5 MB a day; 4 needed): stop it to save 78.11 "
                        "USD/month");
    fc_recommendation_list_dispose(&l);
    /* Just over either threshold, or one idle day too few: not idle. */
    assert_int_equal(daily_case(p, &set, 10.01, 2.5e6 / 24, 4, NULL), 0);
    assert_int_equal(daily_case(p, &set, 10.0, 2.51e6 / 24, 4, NULL), 0);
    assert_int_equal(daily_case(p, &set, 9.99, 2.49e6 / 24, 3, NULL), 0);
    assert_int_equal(daily_case(p, &set, 9.99, 2.49e6 / 24, 14, NULL), 1);
    /* Policy thresholds move the line. */
    ps.ec2.min_idle_days = 3;
    assert_int_equal(daily_case(p, &set, 9.99, 2.49e6 / 24, 3, NULL), 1);
    ps.ec2.daily_cpu_percent = 5;
    assert_int_equal(daily_case(p, &set, 9.99, 2.49e6 / 24, 3, NULL), 0);
    ps.ec2.daily_cpu_percent = 10;
    ps.ec2.daily_network_mb = 1;
    assert_int_equal(daily_case(p, &set, 9.99, 2.49e6 / 24, 3, NULL), 0);
    ps.ec2.daily_network_mb = 5;
    /* A shorter lookback only sees the newest days. */
    ps.ec2.lookback_days = 2;
    ps.ec2.min_idle_days = 2;
    assert_int_equal(daily_case(p, &set, 1, 1000, 2, NULL), 1);
    assert_int_equal(daily_case(p, &set, 1, 1000, 1, NULL), 0);
    fc_prices_free(p);
}

static void test_rules__idle_ec2_daily_needs_network_and_whole_days(void **state)
{
    fc_price_table *p = prices();
    fc_inventory inv;
    (void)state;

    /* No network series: Trusted Advisor's test cannot be made. */
    inv_start(&inv);
    add_instance(&inv, "i-0mute", "m5.large", "running");
    add_metric(&inv, "i-0mute", "CPUUtilization", 336, 1);
    assert_int_equal(count_for(&inv, NULL, p), 0);
    fc_inventory_dispose(&inv);
    /* Three whole days of data (a new instance): fewer than 4 idle days. */
    inv_start(&inv);
    add_instance(&inv, "i-0new", "m5.large", "running");
    add_metric(&inv, "i-0new", "CPUUtilization", 3 * 24 + 20, 1);
    add_metric(&inv, "i-0new", "NetworkIn", 3 * 24 + 20, 1000);
    add_metric(&inv, "i-0new", "NetworkOut", 3 * 24 + 20, 1000);
    assert_int_equal(count_for(&inv, NULL, p), 0);
    fc_inventory_dispose(&inv);
    inv_start(&inv);
    add_instance(&inv, "i-0new", "m5.large", "running");
    add_metric(&inv, "i-0new", "CPUUtilization", 3 * 24 + 22, 1);
    add_metric(&inv, "i-0new", "NetworkIn", 3 * 24 + 22, 1000);
    add_metric(&inv, "i-0new", "NetworkOut", 3 * 24 + 22, 1000);
    assert_int_equal(count_for(&inv, NULL, p), 1);
    fc_inventory_dispose(&inv);
    fc_prices_free(p);
}

/* ---- rightsizing -------------------------------------------------------- */

static double g_base, g_peak;

/* 95 % of the points at g_base, every 20th at g_peak: p95 = g_base. */
static double mostly(size_t i, size_t n)
{
    (void)n;
    return i % 20 == 19 ? g_peak : g_base;
}

static size_t rightsize_case(const fc_price_table *p, const fc_spec_set *set,
                             const char *type, double p95, double max,
                             size_t points, int mem, double mem_p95,
                             fc_recommendation_list *keep)
{
    fc_inventory inv;
    fc_recommendation_list l;
    size_t n;

    inv_start(&inv);
    add_instance(&inv, "i-0big", type, "running");
    g_base = p95;
    g_peak = max;
    add_metric_fn(&inv, "i-0big", "CPUUtilization", points, mostly);
    if (mem) {
        g_base = mem_p95;
        g_peak = mem_p95;
        add_metric_fn(&inv, "i-0big", "MemoryUtilization", points, mostly);
    }
    n = run(&l, &inv, set, p);
    if (keep)
        *keep = l;
    else
        fc_recommendation_list_dispose(&l);
    fc_inventory_dispose(&inv);
    return n;
}

static void test_rules__rightsize_picks_and_explains(void **state)
{
    fc_price_table *p = prices();
    fc_recommendation_list l;
    const fc_recommendation *r;
    (void)state;

    /* m5.4xlarge (16 vCPU) at p95 15 %: m5.xlarge (4) projects 60 % exactly. */
    assert_int_equal(rightsize_case(p, average(), "m5.4xlarge", 15, 20, 336, 0, 0,
                                    &l),
                     1);
    r = &l.items[0];
    assert_string_equal(r->id, "rightsize-ec2-instance-i-0big");
    assert_string_equal(r->rule, "rightsize-ec2-instance");
    assert_string_equal(r->action, "rightsize");
    assert_int_equal(r->nparameters, 1);
    assert_string_equal(r->parameters[0].key, "instanceType");
    assert_string_equal(r->parameters[0].value, "m5.xlarge");
    assert_int_equal(r->risk, FC_RISK_MEDIUM);
    assert_true(fabs(r->monthly_saving - (0.856 - 0.214) * 730) < 0.006);
    assert_string_equal(ev(r, "currentType"), "m5.4xlarge");
    assert_string_equal(ev(r, "currentVcpu"), "16");
    assert_string_equal(ev(r, "p95CpuPercent"), "15.00");
    assert_string_equal(ev(r, "maxCpuPercent"), "20.00");
    assert_string_equal(ev(r, "proposedType"), "m5.xlarge");
    assert_string_equal(ev(r, "proposedVcpu"), "4");
    assert_string_equal(ev(r, "projectedP95CpuPercent"), "60.00");
    assert_string_equal(ev(r, "projectedMaxCpuPercent"), "80.00");
    assert_string_equal(ev(r, "hourlyPriceBefore"), "0.856");
    assert_string_equal(ev(r, "hourlyPriceAfter"), "0.214");
    assert_string_equal(ev(r, "confidence"), "high");
    assert_string_equal(ev(r, "candidates"), "same family");
    assert_string_equal(ev(r, "memoryData"), "none: GiB per vCPU kept");
    assert_string_equal(r->summary,
                        "i-0big p95 CPU 15.00% (max 20.00%) on 16 vCPU: "
                        "m5.4xlarge -> m5.xlarge (4 vCPU, projected p95 60.00% "
                        "<= 60%) to save 468.66 USD/month, confidence high");
    fc_recommendation_list_dispose(&l);

    /* Just over the target on 4 vCPU: the next size up (8 vCPU). */
    assert_int_equal(rightsize_case(p, average(), "m5.4xlarge", 15.01, 20, 336, 0,
                                    0, &l),
                     1);
    assert_string_equal(l.items[0].parameters[0].value, "m5.2xlarge");
    assert_string_equal(ev(&l.items[0], "projectedP95CpuPercent"), "30.02");
    fc_recommendation_list_dispose(&l);
    /* The projected max caps it too: 22.5 % x 4 = 90 % fits, above not. */
    assert_int_equal(rightsize_case(p, average(), "m5.4xlarge", 10, 22.5, 336, 0,
                                    0, &l),
                     1);
    assert_string_equal(l.items[0].parameters[0].value, "m5.xlarge");
    fc_recommendation_list_dispose(&l);
    assert_int_equal(rightsize_case(p, average(), "m5.4xlarge", 10, 22.51, 336,
                                    0, 0, &l),
                     1);
    assert_string_equal(l.items[0].parameters[0].value, "m5.2xlarge");
    fc_recommendation_list_dispose(&l);
    /* Nothing fits: no finding. */
    assert_int_equal(rightsize_case(p, average(), "m5.4xlarge", 35, 40, 336, 0, 0,
                                    NULL),
                     0);
    fc_prices_free(p);
}

static void test_rules__rightsize_family_processor_and_memory(void **state)
{
    fc_price_table *p = prices();
    fc_recommendation_list l;
    (void)state;

    /* c5.2xlarge has no smaller c5 in this table: same processor kind,
     * never Graviton, keeping GiB per vCPU (no memory data). */
    assert_int_equal(rightsize_case(p, average(), "c5.2xlarge", 10, 12, 336, 0, 0,
                                    &l),
                     1);
    assert_string_equal(l.items[0].parameters[0].value, "m5.large");
    assert_string_equal(ev(&l.items[0], "candidates"), "same processor kind");
    fc_recommendation_list_dispose(&l);
    /* 2 vCPU would run at 80 %: 4 vCPU, still x86. */
    assert_int_equal(rightsize_case(p, average(), "c5.2xlarge", 20, 25, 336, 0, 0,
                                    &l),
                     1);
    assert_string_equal(l.items[0].parameters[0].value, "m5.xlarge");
    fc_recommendation_list_dispose(&l);
    /* Allowing the architecture change finds the cheaper Graviton type. */
    average();
    avg_ps.rightsizing.allow_arch_change = 1;
    assert_int_equal(rightsize_case(p, &avg_set, "c5.2xlarge", 20, 25, 336, 0, 0,
                                    &l),
                     1);
    assert_string_equal(l.items[0].parameters[0].value, "m6g.xlarge");
    fc_recommendation_list_dispose(&l);
    /* r5.2xlarge without memory data keeps 8 GiB/vCPU: nothing smaller. */
    assert_int_equal(rightsize_case(p, average(), "r5.2xlarge", 10, 12, 336, 0, 0,
                                    NULL),
                     0);
    /* With memory data at 15 %, m5.xlarge (16 of 64 GiB) projects 60 %. */
    assert_int_equal(rightsize_case(p, average(), "r5.2xlarge", 10, 12, 336, 1,
                                    15, &l),
                     1);
    assert_string_equal(l.items[0].parameters[0].value, "m5.xlarge");
    assert_string_equal(ev(&l.items[0], "memoryData"), "MemoryUtilization");
    assert_string_equal(ev(&l.items[0], "p95MemoryPercent"), "15.00");
    assert_string_equal(ev(&l.items[0], "projectedP95MemoryPercent"), "60.00");
    fc_recommendation_list_dispose(&l);
    /* Just over: every smaller type would run memory above 60 %. */
    assert_int_equal(rightsize_case(p, average(), "r5.2xlarge", 10, 12, 336, 1,
                                    15.01, NULL),
                     0);
    /* Unknown type or price: nothing to compare. */
    assert_int_equal(rightsize_case(p, average(), "x9.mega", 10, 12, 336, 0, 0,
                                    NULL),
                     0);
    fc_prices_free(p);
}

static void test_rules__rightsize_confidence_and_idle_wins(void **state)
{
    fc_price_table *p = prices();
    fc_recommendation_list l;
    (void)state;

    /* 14 days = 336 hours: >= 90 % high, >= 50 % medium, >= 25 % low. */
    assert_int_equal(rightsize_case(p, average(), "m5.4xlarge", 15, 20, 303, 0, 0,
                                    &l), 1);
    assert_string_equal(ev(&l.items[0], "confidence"), "high");
    fc_recommendation_list_dispose(&l);
    assert_int_equal(rightsize_case(p, average(), "m5.4xlarge", 15, 20, 302, 0, 0,
                                    &l), 1);
    assert_string_equal(ev(&l.items[0], "confidence"), "medium");
    fc_recommendation_list_dispose(&l);
    assert_int_equal(rightsize_case(p, average(), "m5.4xlarge", 15, 20, 167, 0, 0,
                                    &l), 1);
    assert_string_equal(ev(&l.items[0], "confidence"), "low");
    assert_string_equal(ev(&l.items[0], "coveragePercent"), "49.7");
    fc_recommendation_list_dispose(&l);
    assert_int_equal(rightsize_case(p, average(), "m5.4xlarge", 15, 20, 84, 0, 0,
                                    &l), 1);
    fc_recommendation_list_dispose(&l);
    /* Below the minimum coverage: no recommendation. */
    assert_int_equal(rightsize_case(p, average(), "m5.4xlarge", 15, 20, 83, 0, 0,
                                    NULL), 0);
    /* Idle wins: an instance idle by the average test is not resized. */
    assert_int_equal(rightsize_case(p, average(), "m5.4xlarge", 1, 2, 336, 0, 0,
                                    &l), 1);
    assert_string_equal(l.items[0].rule, "idle-ec2-instance");
    fc_recommendation_list_dispose(&l);
    fc_prices_free(p);
}

/* ---- EBS: gp2 -> gp3, old snapshots ------------------------------------- */

static void test_rules__gp2_to_gp3(void **state)
{
    fc_price_table *p = prices();
    fc_inventory inv;
    fc_recommendation_list l;
    fc_policy_spec ps = policy_defaults();
    fc_object o = policy_obj("gp3", &ps);
    fc_spec_set set = one_policy(&o);
    const fc_recommendation *r;
    (void)state;

    ps.ebs.gp3 = 1;
    inv_start(&inv);
    add_res(&inv, FC_RES_EBS_VOLUME, "vol-0root", DEV, "eu-west-1", "gp2",
            "in-use", 100, "i-0abc", 1, "web-root", NULL, NULL);
    add_res(&inv, FC_RES_EBS_VOLUME, "vol-0big", DEV, "eu-west-1", "gp2",
            "in-use", 2000, "i-0abc", 1, NULL, NULL, NULL);
    add_res(&inv, FC_RES_EBS_VOLUME, "vol-0new", DEV, "eu-west-1", "gp3",
            "in-use", 100, "i-0abc", 1, NULL, NULL, NULL);
    add_res(&inv, FC_RES_EBS_VOLUME, "vol-0far", DEV, "ap-south-1", "gp2",
            "in-use", 100, "i-0abc", 1, NULL, NULL, NULL);
    assert_int_equal(run(&l, &inv, &set, p), 3);
    r = &l.items[0];
    assert_string_equal(r->id, "gp2-to-gp3-volume-vol-0big");
    assert_true(fabs(r->monthly_saving - 44.0) < 1e-9);
    assert_string_equal(ev(r, "gp2BaselineIops"), "6000");
    assert_non_null(strstr(r->summary, "provision 6000 IOPS on gp3"));
    assert_string_equal(l.items[1].resource, "vol-0far");
    assert_string_equal(ev(&l.items[1], "priceKnown"), "false");
    r = &l.items[2];
    assert_string_equal(r->action, "modify-volume");
    assert_string_equal(r->parameters[0].key, "volumeType");
    assert_string_equal(r->parameters[0].value, "gp3");
    assert_int_equal(r->risk, FC_RISK_LOW);
    assert_true(fabs(r->monthly_saving - 2.2) < 1e-9);
    assert_string_equal(ev(r, "gp2PricePerGbMonth"), "0.11");
    assert_string_equal(ev(r, "gp3PricePerGbMonth"), "0.088");
    assert_string_equal(r->summary, "vol-0root (web-root) 100 GiB gp2 volume: "
                                    "change it to gp3 to save 2.20 USD/month");
    fc_recommendation_list_dispose(&l);
    ps.ebs.gp3 = 0;
    assert_int_equal(count_for(&inv, &set, p), 0);
    fc_inventory_dispose(&inv);
    fc_prices_free(p);
}

static void test_rules__orphaned_snapshots(void **state)
{
    fc_price_table *p = prices();
    fc_inventory inv;
    fc_recommendation_list l;
    int64_t now = now_ts();
    const fc_recommendation *r;
    (void)state;

    inv_start(&inv);
    add_res(&inv, FC_RES_EBS_VOLUME, "vol-0here", DEV, "eu-west-1", "gp3",
            "in-use", 50, "i-0abc", 1, NULL, NULL, NULL);
    /* Exactly 90 days: not older than maxAgeDays. */
    add_attr_res(&inv, FC_RES_EBS_SNAPSHOT, "snap-0edge", NULL, "completed", 100,
                 "vol-0gone", now - 90 * FC_DAY, "usedByAmi", "false", NULL, NULL);
    add_attr_res(&inv, FC_RES_EBS_SNAPSHOT, "snap-0old", NULL, "completed", 100,
                 "vol-0gone", now - 90 * FC_DAY - 1, "usedByAmi", "false", NULL,
                 NULL);
    add_attr_res(&inv, FC_RES_EBS_SNAPSHOT, "snap-0live", NULL, "completed", 100,
                 "vol-0here", now - 400 * FC_DAY, NULL, NULL, NULL, NULL);
    add_attr_res(&inv, FC_RES_EBS_SNAPSHOT, "snap-0ami", NULL, "completed", 100,
                 "vol-0gone", now - 400 * FC_DAY, "usedByAmi", "true", NULL, NULL);
    add_attr_res(&inv, FC_RES_EBS_SNAPSHOT, "snap-0amis", NULL, "completed", 100,
                 "vol-0gone", now - 400 * FC_DAY, "amiIds", "ami-0abc", NULL, NULL);
    add_attr_res(&inv, FC_RES_EBS_SNAPSHOT, "snap-0stored", NULL, "completed",
                 100, "vol-0gone", now - 400 * FC_DAY, "storedGiB", "12", NULL,
                 NULL);
    assert_int_equal(run(&l, &inv, average(), p), 2);
    r = &l.items[0];
    assert_string_equal(r->id, "orphaned-ebs-snapshot-snap-0old");
    assert_string_equal(r->action, "delete-snapshot");
    assert_int_equal(r->risk, FC_RISK_HIGH);
    assert_true(fabs(r->monthly_saving - 5.0) < 1e-9);
    assert_string_equal(ev(r, "ageDays"), "90");
    assert_string_equal(ev(r, "sourceVolume"), "vol-0gone");
    assert_string_equal(ev(r, "sizeIsUpperBound"), "true");
    assert_string_equal(r->summary,
                        "snap-0old snapshot is 90 days old (> 90), its volume is "
                        "gone and no AMI uses it: delete it to save up to 5.00 "
                        "USD/month");
    assert_true(fabs(l.items[1].monthly_saving - 0.6) < 1e-9);
    assert_string_equal(ev(&l.items[1], "sizeGiB"), "12");
    fc_recommendation_list_dispose(&l);
    avg_ps.snapshots.max_age_days = 500;
    assert_int_equal(count_for(&inv, &avg_set, p), 0);
    fc_inventory_dispose(&inv);
    fc_prices_free(p);
}

/* ---- load balancers ---------------------------------------------------- */

static void test_rules__idle_load_balancers(void **state)
{
    fc_price_table *p = prices();
    fc_inventory inv;
    fc_recommendation_list l;
    const fc_recommendation *r;
    (void)state;

    inv_start(&inv);
    /* 168 hourly points summing to 99 and to 100 requests. */
    add_attr_res(&inv, FC_RES_LOAD_BALANCER, "alb-quiet", "application",
                 "active", 0, NULL, 1, "healthyTargets", "2", NULL, NULL);
    add_metric(&inv, "alb-quiet", "RequestCount", 168, 99.0 / 168);
    add_attr_res(&inv, FC_RES_LOAD_BALANCER, "alb-edge", "application", "active",
                 0, NULL, 1, "healthyTargets", "2", NULL, NULL);
    add_metric(&inv, "alb-edge", "RequestCount", 168, 100.0 / 168);
    add_attr_res(&inv, FC_RES_LOAD_BALANCER, "nlb-empty", "network", "active", 0,
                 NULL, 1, "healthyTargets", "0", NULL, NULL);
    add_attr_res(&inv, FC_RES_LOAD_BALANCER, "nlb-used", "network", "active", 0,
                 NULL, 1, "healthyTargets", "1", NULL, NULL);
    /* The HealthyHostCount series beats the attribute. */
    add_attr_res(&inv, FC_RES_LOAD_BALANCER, "alb-drained", "application",
                 "active", 0, NULL, 1, "healthyTargets", "3", NULL, NULL);
    add_metric(&inv, "alb-drained", "HealthyHostCount", 168, 0);
    add_metric(&inv, "alb-drained", "RequestCount", 168, 1000);
    /* A window with gaps proves nothing about requests. */
    add_attr_res(&inv, FC_RES_LOAD_BALANCER, "alb-gaps", "application", "active",
                 0, NULL, 1, NULL, NULL, NULL, NULL);
    add_metric(&inv, "alb-gaps", "RequestCount", 150, 0);
    assert_int_equal(run(&l, &inv, average(), p), 3);
    r = &l.items[0];
    assert_string_equal(r->id, "idle-load-balancer-alb-drained");
    assert_string_equal(ev(r, "healthyTargets"), "0");
    assert_non_null(strstr(r->summary, "has no healthy targets"));
    r = &l.items[1];
    assert_string_equal(r->resource, "alb-quiet");
    assert_string_equal(r->action, "none");
    assert_int_equal(r->risk, FC_RISK_MEDIUM);
    assert_true(fabs(r->monthly_saving - 18.40) < 1e-9);
    assert_string_equal(ev(r, "requestCount"), "99");
    assert_string_equal(ev(r, "lookbackDays"), "7");
    assert_string_equal(ev(r, "minRequests"), "100");
    assert_string_equal(r->summary,
                        "alb-quiet application load balancer has 99 requests in 7 "
                        "days (< 100): delete it to save 18.40 USD/month (by hand "
                        "or in your IaC: the controller has no delete action for "
                        "load balancers yet)");
    assert_string_equal(l.items[2].resource, "nlb-empty");
    assert_string_equal(ev(&l.items[2], "loadBalancerType"), "network");
    fc_recommendation_list_dispose(&l);
    avg_ps.elb.min_requests = 100.5;
    assert_int_equal(count_for(&inv, &avg_set, p), 4);
    fc_inventory_dispose(&inv);
    fc_prices_free(p);
}

/* ---- RDS ---------------------------------------------------------------- */

static void add_db(fc_inventory *inv, const char *id, const char *engine,
                   double cpu, double conns)
{
    add_attr_res(inv, FC_RES_RDS_INSTANCE, id, "db.t3.medium", "available", 20,
                 NULL, 1, "engine", engine, NULL, NULL);
    add_metric(inv, id, "CPUUtilization", 168, cpu);
    add_metric(inv, id, "DatabaseConnections", 168, conns);
}

static void test_rules__idle_rds(void **state)
{
    fc_price_table *p = prices();
    fc_inventory inv;
    fc_recommendation_list l;
    const fc_recommendation *r;
    (void)state;

    /* PostgreSQL on 4 GiB: max_connections ~ 4 GiB / 9531392 = 450; 20 % is
     * 90 connections.  MySQL: 4 GiB / 12582880 = 341. */
    inv_start(&inv);
    add_db(&inv, "db-empty", "postgres", 35, 0);      /* no connections */
    add_db(&inv, "db-low", "postgres", 9.99, 89);     /* 19.8 % */
    add_db(&inv, "db-conn-edge", "postgres", 9.99, 90); /* 20 %: not below */
    add_db(&inv, "db-cpu-edge", "postgres", 10, 1);   /* 10 %: not below */
    add_db(&inv, "db-mysql", "mysql", 2, 68);         /* 19.9 % of 341 */
    assert_int_equal(run(&l, &inv, average(), p), 3);
    r = &l.items[0];
    assert_string_equal(r->id, "idle-rds-instance-db-empty");
    assert_string_equal(r->action, "stop");
    assert_int_equal(r->risk, FC_RISK_MEDIUM);
    assert_true(fabs(r->monthly_saving - 55.48) < 1e-9);
    assert_non_null(strstr(r->summary, "had no connections in 7 days"));
    r = &l.items[1];
    assert_string_equal(r->resource, "db-low");
    assert_string_equal(ev(r, "maxConnectionsEstimate"), "450");
    assert_string_equal(ev(r, "connectionsPercent"), "19.78");
    assert_string_equal(ev(r, "averageCpuPercent"), "9.99");
    r = &l.items[2];
    assert_string_equal(r->resource, "db-mysql");
    assert_string_equal(ev(r, "maxConnectionsEstimate"), "341");
    assert_true(fabs(r->monthly_saving - 52.56) < 1e-9);
    fc_recommendation_list_dispose(&l);
    /* Thresholds from the policy. */
    avg_ps.rds.cpu_percent = 1;
    assert_int_equal(count_for(&inv, &avg_set, p), 1);
    fc_inventory_dispose(&inv);
    fc_prices_free(p);
}

/* ---- Lambda ------------------------------------------------------------- */

static void add_fn(fc_inventory *inv, const char *id, double mb, double used)
{
    add_attr_res(inv, FC_RES_LAMBDA_FUNCTION, id, "python3.12", "Active", mb,
                 NULL, 1, NULL, NULL, NULL, NULL);
    add_metric(inv, id, "MaxMemoryUsed", 336, used);
    add_metric(inv, id, "Invocations", 336, 1000);
    add_metric(inv, id, "Duration", 336, 500);
}

static void test_rules__lambda_memory(void **state)
{
    fc_price_table *p = prices();
    fc_inventory inv;
    fc_recommendation_list l;
    const fc_recommendation *r;
    (void)state;

    inv_start(&inv);
    add_fn(&inv, "fn-big", 1024, 511);   /* 49.9 %: half is 512 */
    add_fn(&inv, "fn-edge", 1024, 512);  /* 50 %: not below */
    add_fn(&inv, "fn-odd", 3008, 300);   /* half 1504 -> 2048 */
    add_fn(&inv, "fn-small", 128, 10);   /* cannot go lower */
    add_fn(&inv, "fn-256", 256, 100);    /* -> 128 */
    assert_int_equal(run(&l, &inv, average(), p), 3);
    r = &l.items[1];
    assert_string_equal(r->id, "overprovisioned-lambda-memory-fn-big");
    assert_string_equal(r->action, "none");
    assert_string_equal(r->parameters[0].key, "memorySize");
    assert_string_equal(r->parameters[0].value, "512");
    assert_string_equal(ev(r, "maxMemoryUsedMB"), "511");
    assert_string_equal(ev(r, "usedPercent"), "49.90");
    assert_string_equal(ev(r, "monthlyInvocations"), "730000");
    assert_string_equal(ev(r, "averageDurationMs"), "500.0");
    /* 730000 x 0.5 s x 0.5 GB x 0.0000166667 = 3.04 */
    assert_true(fabs(r->monthly_saving - 3.04) < 1e-9);
    assert_string_equal(l.items[0].resource, "fn-256");
    assert_string_equal(l.items[0].parameters[0].value, "128");
    assert_string_equal(l.items[2].resource, "fn-odd");
    assert_string_equal(l.items[2].parameters[0].value, "2048");
    fc_recommendation_list_dispose(&l);
    avg_ps.lambda.memory_used_percent = 20;
    assert_int_equal(count_for(&inv, &avg_set, p), 1);
    fc_inventory_dispose(&inv);
    fc_prices_free(p);
}

/* ---- S3 ------------------------------------------------------------------ */

static void test_rules__s3_without_lifecycle(void **state)
{
    fc_price_table *p = prices();
    fc_inventory inv;
    fc_recommendation_list l;
    fc_policy_spec ps = policy_defaults();
    fc_object o = policy_obj("s3", &ps);
    fc_spec_set set = one_policy(&o);
    const fc_recommendation *r;
    (void)state;

    ps.s3.lifecycle = 1;
    inv_start(&inv);
    add_attr_res(&inv, FC_RES_S3_BUCKET, "logs", "STANDARD", "available", 1000,
                 NULL, 1, "lifecycleRules", "0", "storageClass", "STANDARD");
    add_attr_res(&inv, FC_RES_S3_BUCKET, "tidy", "STANDARD", "available", 1000,
                 NULL, 1, "lifecycleRules", "1", NULL, NULL);
    add_attr_res(&inv, FC_RES_S3_BUCKET, "unknown", "STANDARD", "available", 1000,
                 NULL, 1, NULL, NULL, NULL, NULL);
    add_attr_res(&inv, FC_RES_S3_BUCKET, "cold", "STANDARD", "available", 1000,
                 NULL, 1, "lifecycleRules", "0", "storageClass", "GLACIER");
    assert_int_equal(run(&l, &inv, &set, p), 1);
    r = &l.items[0];
    assert_string_equal(r->id, "s3-bucket-without-lifecycle-logs");
    assert_string_equal(r->action, "none");
    /* 40 % x 1000 GiB x (0.023 - 0.0125) */
    assert_true(fabs(r->monthly_saving - 4.2) < 1e-9);
    assert_string_equal(ev(r, "assumedColdPercent"), "40");
    fc_recommendation_list_dispose(&l);
    ps.s3.lifecycle = 0;
    assert_int_equal(count_for(&inv, &set, p), 0);
    fc_inventory_dispose(&inv);
    fc_prices_free(p);
}

static void test_rules__lookback_days_cover_every_rule(void **state)
{
    fc_policy_spec ps = policy_defaults();
    (void)state;
    assert_int_equal(fc_policy_lookback_days(NULL), 14);
    assert_int_equal(fc_policy_lookback_days(&ps), 14);
    ps.elb.idle_days = 30;
    assert_int_equal(fc_policy_lookback_days(&ps), 30);
    ps.rightsizing.lookback_days = 60;
    assert_int_equal(fc_policy_lookback_days(&ps), 60);
    memset(&ps, 0, sizeof(ps)); /* zeros take the defaults */
    assert_int_equal(fc_policy_lookback_days(&ps), 14);
}

/* The demo: the shipped estate and price list at a fixed clock, with the
 * built-in default policy: at least one finding of every rule. */
static void test_rules__shipped_estate_findings(void **state)
{
    static const char *const rules[] = {
        "gp2-to-gp3-volume",       "idle-ec2-instance",
        "idle-load-balancer",      "idle-rds-instance",
        "orphaned-ebs-snapshot",   "overprovisioned-lambda-memory",
        "rightsize-ec2-instance",  "s3-bucket-without-lifecycle",
        "unassociated-elastic-ip", "unattached-ebs-volume",
    };
    /* Pinned from the generated estate (examples/sim/gen_estate.py):
     * gp2 -> gp3 on every gp2 volume; idle by Trusted Advisor's daily
     * test: the 13 idle-profile instances but new-experiment (3 days of
     * data); staging-alb-old (22 requests) and promo-2025-alb (no
     * targets); dev-mysql (low) and legacy-wiki-db (no connections); the
     * three orphaned snapshots no AMI uses (jenkins-before-migration is an
     * AMI's, before-resize-build-box is 49 days old); thumbnail-resizer;
     * checkout-worker and build-box-1; acme-prod-logs and
     * acme-data-lake-raw. */
    static const size_t want[] = {13, 13, 2, 2, 3, 1, 2, 2, 3, 6};
    const char *src = getenv("FC_SOURCE_DIR");
    char *estate = fc_asprintf("%s/examples/sim/estate.yaml", src ? src : ".");
    char *pdir = fc_asprintf("%s/examples/prices/aws-price-list",
                             src ? src : ".");
    fc_cloud *c = NULL;
    fc_price_table *p = NULL;
    fc_inventory inv;
    fc_discovery_scope s;
    fc_recommendation_list l;
    size_t i, j, per_rule[FC_ARRAY_LEN(rules)];
    double total = 0;
    const fc_recommendation *rs = NULL;
    (void)state;

    memset(per_rule, 0, sizeof(per_rule));
    assert_int_equal(fc_sim_open(&c, estate), FC_OK);
    assert_int_equal(fc_prices_load(&p, pdir), FC_OK);
    memset(&s, 0, sizeof(s));
    s.now = now_ts();
    s.metric_days = 14;
    s.cost_days = 60;
    fc_inventory_init(&inv);
    assert_int_equal(fc_cloud_discover(c, &s, &inv), FC_OK);
    run(&l, &inv, NULL, p);
    for (i = 0; i < l.n; i++) {
        const fc_recommendation *r = &l.items[i];
        total += r->monthly_saving;
        if (i > 0 && strcmp(l.items[i - 1].id, r->id) >= 0) /* sorted, one per id */
            fail_msg("%s after %s", r->id, l.items[i - 1].id);
        if (strcmp(ev(r, "priceKnown") ? ev(r, "priceKnown") : "true", "true"))
            fail_msg("%s: no price", r->id);
        for (j = 0; j < FC_ARRAY_LEN(rules); j++)
            if (strcmp(r->rule, rules[j]) == 0)
                per_rule[j]++;
        if (strstr(r->id, "rightsize-ec2-instance-i-03ab409d645ba308e"))
            rs = r;
        if (getenv("FC_TEST_VERBOSE"))
            printf("  %-48s %8.2f  %s\n", r->id, r->monthly_saving, r->summary);
    }
    printf("  demo @2026-11-20T12:00:00Z: %zu recommendations, %.2f USD/month\n",
           l.n, total);
    for (j = 0; j < FC_ARRAY_LEN(rules); j++) {
        printf("    %-32s %zu\n", rules[j], per_rule[j]);
        if (per_rule[j] != want[j])
            fail_msg("%s: %zu findings, want %zu", rules[j], per_rule[j], want[j]);
    }
    assert_int_equal(l.n, 47);
    assert_true(fabs(total - 2618.92) < 0.005);
    /* The rightsizing explanation for checkout-worker (m5.2xlarge). */
    assert_non_null(rs);
    assert_string_equal(ev(rs, "currentType"), "m5.2xlarge");
    assert_string_equal(ev(rs, "proposedType"), "m5.xlarge");
    assert_string_equal(ev(rs, "currentVcpu"), "8");
    assert_string_equal(ev(rs, "proposedVcpu"), "4");
    assert_string_equal(ev(rs, "p95CpuPercent"), "21.85");
    assert_string_equal(ev(rs, "projectedP95CpuPercent"), "43.70");
    assert_string_equal(ev(rs, "projectedP95MemoryPercent"), "54.00");
    assert_string_equal(ev(rs, "confidence"), "high");
    assert_true(fabs(rs->monthly_saving - 156.22) < 1e-9);
    fc_recommendation_list_dispose(&l);
    fc_inventory_dispose(&inv);
    fc_prices_free(p);
    fc_cloud_free(c);
    free(estate);
    free(pdir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules__idle_ec2_below_threshold),
        cmocka_unit_test(test_rules__idle_ec2_at_or_above_threshold),
        cmocka_unit_test(test_rules__idle_ec2_needs_enough_points),
        cmocka_unit_test(test_rules__idle_ec2_looks_only_at_lookback),
        cmocka_unit_test(test_rules__idle_ec2_skips_stopped_and_rates_prod),
        cmocka_unit_test(test_rules__exclusions_by_tag_and_name),
        cmocka_unit_test(test_rules__service_region_account_filters),
        cmocka_unit_test(test_rules__missing_price_still_recommends),
        cmocka_unit_test(test_rules__unattached_ebs),
        cmocka_unit_test(test_rules__unassociated_eip),
        cmocka_unit_test(test_rules__duplicates_keep_first_policy_by_name),
        cmocka_unit_test(test_rules__default_policy_without_policies),
        cmocka_unit_test(test_rules__ids_are_dns_safe_and_stable),
        cmocka_unit_test(test_rules__appends_to_existing_list),
        cmocka_unit_test(test_rules__idle_ec2_daily_thresholds),
        cmocka_unit_test(test_rules__idle_ec2_daily_needs_network_and_whole_days),
        cmocka_unit_test(test_rules__rightsize_picks_and_explains),
        cmocka_unit_test(test_rules__rightsize_family_processor_and_memory),
        cmocka_unit_test(test_rules__rightsize_confidence_and_idle_wins),
        cmocka_unit_test(test_rules__gp2_to_gp3),
        cmocka_unit_test(test_rules__orphaned_snapshots),
        cmocka_unit_test(test_rules__idle_load_balancers),
        cmocka_unit_test(test_rules__idle_rds),
        cmocka_unit_test(test_rules__lambda_memory),
        cmocka_unit_test(test_rules__s3_without_lifecycle),
        cmocka_unit_test(test_rules__lookback_days_cover_every_rule),
        cmocka_unit_test(test_rules__shipped_estate_findings),
        cmocka_unit_test(test_rules__generated_series_match_stored),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
