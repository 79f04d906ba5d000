/*
 * test_rules.c - the waste rules over hand-built inventories: thresholds,
 * data coverage, policy filters and exclusions, missing prices, duplicate
 * resolution, ids, and the findings on the shipped demo estate.
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
    "  eu-west-1: {m5.large: 0.107, t3.micro: 0.0114}\n"
    "  us-east-1: {m5.large: 0.096}\n"
    "ebs:\n"
    "  eu-west-1: {gp2: 0.11, gp3: 0.088}\n"
    "other:\n"
    "  eu-west-1: {eip-idle: 0.005}\n";

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

static fc_policy_spec policy_defaults(void)
{
    fc_policy_spec p;
    memset(&p, 0, sizeof(p));
    p.ec2.cpu_percent = 5;
    p.ec2.idle_days = 7;
    p.ebs.unattached_days = 7;
    return p;
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
    assert_int_equal(run(&l, &inv, NULL, p), 1);
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
    assert_null(r->policy);
    assert_true(fabs(r->monthly_saving - 78.11) < 1e-9);
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
                        "stop to save 78.11 USD/month");
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
    assert_int_equal(count_for(&inv, NULL, p), 0);
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
    assert_int_equal(count_for(&inv, NULL, p), 0);
    fc_inventory_dispose(&inv);

    inv_start(&inv);
    add_instance(&inv, "i-0enough", "m5.large", "running");
    add_cpu(&inv, "i-0enough", 152, 1.0);
    assert_int_equal(run(&l, &inv, NULL, p), 1);
    assert_string_equal(ev(&l.items[0], "dataPoints"), "152");
    fc_recommendation_list_dispose(&l);
    fc_inventory_dispose(&inv);

    /* NaN marks a missing point. */
    inv_start(&inv);
    add_instance(&inv, "i-0gaps", "m5.large", "running");
    add_cpu2(&inv, "i-0gaps", 168, 1.0, 20, NAN);
    assert_int_equal(count_for(&inv, NULL, p), 0);
    fc_inventory_dispose(&inv);

    /* No series at all. */
    inv_start(&inv);
    add_instance(&inv, "i-0blind", "m5.large", "running");
    assert_int_equal(count_for(&inv, NULL, p), 0);
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
    assert_int_equal(run(&l, &inv, NULL, p), 1);
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
    assert_int_equal(run(&l, &inv, NULL, p), 1);
    assert_string_equal(l.items[0].resource, "i-0prod");
    assert_int_equal(l.items[0].risk, FC_RISK_MEDIUM);
    assert_true(fabs(l.items[0].monthly_saving - 8.32) < 1e-9);
    assert_string_equal(l.items[0].summary,
                        "i-0prod avg CPU 0.50% over 7 days (< 5%): stop to save "
                        "8.32 USD/month");
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
    assert_int_equal(run(&l, &inv, NULL, p), 3);
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
    assert_int_equal(run(&l, &inv, NULL, NULL), 3);
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
                        "created 30 days ago (> 7): snapshot and delete to save "
                        "55.00 USD/month");
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

    inv_start(&inv);
    add_instance(&inv, "i-0idle", "m5.large", "running");
    add_cpu(&inv, "i-0idle", 168, 4.9);
    add_res(&inv, FC_RES_EBS_VOLUME, "vol-0loose", DEV, "eu-west-1", "gp2",
            "available", 10, NULL, now_ts() - 8 * FC_DAY, NULL, NULL, NULL);
    assert_int_equal(run(&l, &inv, &set, p), 2);
    assert_null(l.items[0].policy);
    assert_string_equal(ev(&l.items[0], "thresholdPercent"), "5");
    assert_string_equal(ev(&l.items[0], "lookbackDays"), "7");
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

/* The demo: the shipped estate and prices at a fixed clock. */
static void test_rules__shipped_estate_findings(void **state)
{
    const char *src = getenv("FC_SOURCE_DIR");
    char *estate = fc_asprintf("%s/examples/sim/estate.yaml", src ? src : ".");
    char *pfile = fc_asprintf("%s/examples/prices/aws-prices.yaml",
                              src ? src : ".");
    fc_cloud *c = NULL;
    fc_price_table *p = NULL;
    fc_inventory inv;
    fc_discovery_scope s;
    fc_recommendation_list l;
    size_t i, per_rule[3] = {0, 0, 0};
    double total = 0;
    (void)state;

    assert_int_equal(fc_sim_open(&c, estate), FC_OK);
    assert_int_equal(fc_prices_load(&p, pfile), FC_OK);
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
        assert_string_equal(ev(r, "priceKnown"), "true");
        if (strcmp(r->rule, "idle-ec2-instance") == 0)
            per_rule[0]++;
        else if (strcmp(r->rule, "unattached-ebs-volume") == 0)
            per_rule[1]++;
        else
            per_rule[2]++;
        if (getenv("FC_TEST_VERBOSE"))
            printf("  %-48s %8.2f  %s\n", r->id, r->monthly_saving, r->summary);
    }
    printf("  demo @2026-11-20T12:00:00Z: %zu recommendations (%zu idle ec2, "
           "%zu ebs, %zu eip), %.2f USD/month\n",
           l.n, per_rule[0], per_rule[1], per_rule[2], total);
    /* Idle by design: bastion-eu, legacy-reporting, mail-relay,
     * migration-tmp, build-box-2, jenkins-agent-old, dev-sandbox-alice,
     * ci-gpu, demo-env, license-server, dev-db-tunnel, jupyter-notebook.
     * Not: load-test-driver (5.4%), new-experiment (3 days of data), and
     * the spiky batch boxes. */
    assert_int_equal(per_rule[0], 12);
    assert_int_equal(per_rule[1], 6);
    assert_int_equal(per_rule[2], 3);
    assert_true(fabs(total - 1792.61) < 0.005);
    fc_recommendation_list_dispose(&l);
    fc_inventory_dispose(&inv);
    fc_prices_free(p);
    fc_cloud_free(c);
    free(estate);
    free(pfile);
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
        cmocka_unit_test(test_rules__shipped_estate_findings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
