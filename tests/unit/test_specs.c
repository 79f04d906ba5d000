/*
 * test_specs.c - unit tests of the spec loader (specs/): typed loads with
 * defaults, multi-document files, every class of error with its file, line
 * and field, and the cross-object checks.  Inputs are in-memory files; no
 * git, no disk.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "specs/fc_specs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HDR(kind, name)                                                    \
    "apiVersion: finops.dev/v1alpha1\n"                                    \
    "kind: " kind "\n"                                                     \
    "metadata:\n"                                                          \
    "  name: " name "\n"

static fc_spec_set *load_n(const char *const *paths, const char *const *texts,
                           size_t n)
{
    fc_spec_file files[8];
    fc_spec_set *set = NULL;

    assert_true(n <= 8);
    for (size_t i = 0; i < n; i++) {
        files[i].path = paths[i];
        files[i].data = texts[i];
        files[i].len = strlen(texts[i]);
    }
    assert_int_equal(fc_specs_load(&set, files, n), 0);
    assert_non_null(set);
    return set;
}

static fc_spec_set *load1(const char *path, const char *text)
{
    return load_n(&path, &text, 1);
}

static void dump(const fc_spec_set *set)
{
    char buf[1024];
    for (size_t i = 0; i < set->nerrors; i++) {
        fc_spec_error_format(&set->errors[i], buf, sizeof(buf));
        print_message("  error: %s\n", buf);
    }
}

/* The error formatted exactly as `want`, or NULL. */
static const fc_spec_error *find_error(const fc_spec_set *set,
                                       const char *want)
{
    char buf[1024];
    for (size_t i = 0; i < set->nerrors; i++) {
        fc_spec_error_format(&set->errors[i], buf, sizeof(buf));
        if (strcmp(buf, want) == 0)
            return &set->errors[i];
    }
    return NULL;
}

static void expect_error(const fc_spec_set *set, const char *want)
{
    if (!find_error(set, want)) {
        print_message("missing error: %s\n", want);
        dump(set);
        fail();
    }
}

static void expect_errors(const fc_spec_set *set, size_t n)
{
    if (set->nerrors != n) {
        print_message("expected %zu errors, got %zu\n", n, set->nerrors);
        dump(set);
        fail();
    }
}

/* ---- valid loads ------------------------------------------------------- */

static void test_specs__budget_loads_with_defaults(void **state)
{
    fc_spec_set *set = load1("finops/budgets/team-a.yaml",
                             HDR("Budget", "team-a")
                             "  labels: {team: a, cost-center: \"42\"}\n"
                             "spec:\n"
                             "  amount: 1500.5\n"
                             "  scope: {accounts: [\"123456789012\"], "
                             "services: [AmazonEC2]}\n"
                             "  thresholds:\n"
                             "    - percent: 80\n"
                             "    - {percent: 100, type: forecast}\n"
                             "  notify: [team-a@example.com]\n");
    const fc_object *o;
    const fc_budget_spec *b;
    (void)state;

    expect_errors(set, 0);
    assert_int_equal(set->nobjects, 1);
    assert_int_equal(set->nfiles, 1);
    assert_string_equal(set->files[0], "finops/budgets/team-a.yaml");
    o = fc_specs_find(set, FC_KIND_BUDGET, "team-a");
    assert_ptr_equal(o, &set->objects[0]);
    assert_int_equal(o->kind, FC_KIND_BUDGET);
    assert_string_equal(o->api_version, FC_API_VERSION);
    assert_ptr_equal(o->file, set->files[0]);
    assert_int_equal(o->line, 1);
    assert_int_equal(o->metadata.nlabels, 2);
    assert_string_equal(o->metadata.labels[0].key, "team");
    assert_string_equal(o->metadata.labels[1].value, "42");
    b = o->spec.budget;
    assert_true(b->amount == 1500.5);
    assert_string_equal(b->currency, "USD");
    assert_string_equal(b->period, "monthly");
    assert_null(b->parent);
    assert_int_equal(b->scope.naccounts, 1);
    assert_string_equal(b->scope.accounts[0], "123456789012");
    assert_int_equal(b->scope.nservices, 1);
    assert_int_equal(b->nthresholds, 2);
    assert_true(b->thresholds[0].percent == 80);
    assert_string_equal(b->thresholds[0].type, "actual");
    assert_string_equal(b->thresholds[1].type, "forecast");
    assert_int_equal(b->nnotify, 1);
    assert_null(fc_specs_find(set, FC_KIND_ACCOUNT, "team-a"));
    assert_null(fc_specs_find(set, FC_KIND_BUDGET, "team-b"));
    fc_spec_set_free(set);
}

static void test_specs__account_loads_with_defaults(void **state)
{
    fc_spec_set *set = load1("finops/accounts/prod.yaml",
                             HDR("Account", "prod")
                             "spec:\n"
                             "  accountId: \"123456789012\"\n"
                             "  roleArn: arn:aws:iam::123456789012:role/finops\n"
                             "  regions: [eu-west-1, us-east-1]\n"
                             "  tags: {env: prod}\n");
    const fc_account_spec *a;
    (void)state;

    expect_errors(set, 0);
    a = fc_specs_find(set, FC_KIND_ACCOUNT, "prod")->spec.account;
    assert_string_equal(a->account_id, "123456789012");
    assert_string_equal(a->role_arn, "arn:aws:iam::123456789012:role/finops");
    assert_int_equal(a->nregions, 2);
    assert_string_equal(a->regions[1], "us-east-1");
    assert_null(a->provider); /* absent: follows --provider */
    assert_int_equal(a->ntags, 1);
    assert_string_equal(a->tags[0].key, "env");
    assert_string_equal(a->tags[0].value, "prod");
    fc_spec_set_free(set);
}

static void test_specs__policy_loads_with_defaults(void **state)
{
    fc_spec_set *set = load1("finops/policies/default.yaml",
                             HDR("Policy", "default")
                             "spec:\n"
                             "  services: [ec2, ebs]\n"
                             "  rds: {cpuPercent: 15}\n"
                             "  ebs: {unattachedDays: 010}\n"
                             "  approvals: {high: 3}\n"
                             "  exclusions: {tags: {keep: \"true\"}, "
                             "names: [\"prod-*\"]}\n");
    const fc_policy_spec *p;
    (void)state;

    expect_errors(set, 0);
    p = fc_specs_find(set, FC_KIND_POLICY, "default")->spec.policy;
    assert_int_equal(p->nservices, 2);
    assert_null(p->regions);
    assert_null(p->accounts);
    assert_true(p->ec2.cpu_percent == 5);
    assert_int_equal(p->ec2.idle_days, 7);
    assert_true(p->rds.cpu_percent == 15);
    assert_true(p->rds.connections_percent == 20);
    assert_int_equal(p->rds.idle_days, 7);
    assert_int_equal(p->ebs.unattached_days, 10); /* decimal, not octal */
    assert_int_equal(p->approvals.low, 1);
    assert_int_equal(p->approvals.medium, 1);
    assert_int_equal(p->approvals.high, 3);
    assert_int_equal(p->exclusions.ntags, 1);
    assert_string_equal(p->exclusions.tags[0].value, "true");
    assert_int_equal(p->exclusions.nnames, 1);
    fc_spec_set_free(set);
}

static void test_specs__optimization_loads(void **state)
{
    fc_spec_set *set = load1(
        "finops/optimizations/stop.yaml",
        "apiVersion: finops.dev/v1alpha1\n"
        "kind: Optimization\n"
        "metadata: {name: stop-idle-build-box}\n"
        "spec:\n"
        "  target: {account: \"123456789012\", region: eu-west-1, "
        "resource: i-0abc123}\n"
        "  action: rightsize\n"
        "  parameters: {instanceType: m5.large}\n"
        "  approval: {approvedBy: [alice@example.com, bob@example.com]}\n"
        "  window: {days: [sat, sun], start: \"02:00\", end: \"06:00\"}\n"
        "  risk: medium\n"
        "  rollback: {onFailure: true}\n");
    const fc_optimization_spec *o;
    (void)state;

    expect_errors(set, 0);
    o = fc_specs_find(set, FC_KIND_OPTIMIZATION, "stop-idle-build-box")
            ->spec.optimization;
    assert_string_equal(o->target.account, "123456789012");
    assert_string_equal(o->target.region, "eu-west-1");
    assert_string_equal(o->target.resource, "i-0abc123");
    assert_string_equal(o->action, "rightsize");
    assert_int_equal(o->nparameters, 1);
    assert_string_equal(o->parameters[0].key, "instanceType");
    assert_string_equal(o->parameters[0].value, "m5.large");
    assert_int_equal(o->approval.napproved_by, 2);
    assert_non_null(o->window);
    assert_int_equal(o->window->ndays, 2);
    assert_string_equal(o->window->start, "02:00");
    assert_string_equal(o->window->end, "06:00");
    assert_string_equal(o->window->timezone, "UTC");
    assert_string_equal(o->risk, "medium");
    assert_int_equal(o->rollback.on_failure, 1);
    fc_spec_set_free(set);
}

static void test_specs__optimization_window_and_risk_optional(void **state)
{
    fc_spec_set *set = load1(
        "finops/optimizations/eip.yaml",
        HDR("Optimization", "release-eip")
        "spec:\n"
        "  target: {account: \"123456789012\", region: eu-west-1, "
        "resource: eipalloc-1}\n"
        "  action: release-address\n");
    const fc_optimization_spec *o;
    (void)state;

    expect_errors(set, 0);
    o = set->objects[0].spec.optimization;
    assert_null(o->window);
    assert_null(o->risk);
    assert_null(o->parameters);
    assert_int_equal(o->rollback.on_failure, 0);
    fc_spec_set_free(set);
}

static void test_specs__schedule_loads_with_defaults(void **state)
{
    fc_spec_set *set = load1("finops/schedule.yaml",
                             HDR("Schedule", "default")
                             "spec:\n"
                             "  interval: 5m\n"
                             "  discoveryInterval: 1h\n"
                             "  optimizationTime: \"02:00\"\n"
                             "  report: {weekday: mon, time: \"08:30\"}\n");
    const fc_schedule_spec *s;
    (void)state;

    expect_errors(set, 0);
    s = fc_specs_find(set, FC_KIND_SCHEDULE, "default")->spec.schedule;
    assert_string_equal(s->interval, "5m");
    assert_string_equal(s->discovery_interval, "1h");
    assert_string_equal(s->optimization_time, "02:00");
    assert_string_equal(s->report_day, "mon");
    assert_string_equal(s->report_time, "08:30");
    assert_string_equal(s->timezone, "UTC");
    fc_spec_set_free(set);
}

static void test_specs__multi_document_file(void **state)
{
    fc_spec_set *set = load1("finops/all.yaml",
                             "# everything in one file\n"         /* 1 */
                             "---\n"                              /* 2 */
                             HDR("Budget", "zeta")                /* 3-6 */
                             "spec: {amount: 10}\n"               /* 7 */
                             "---\n"                              /* 8 */
                             "# an empty document\n"              /* 9 */
                             "---\n"                              /* 10 */
                             HDR("Account", "prod")               /* 11-14 */
                             "spec:\n"                            /* 15 */
                             "  accountId: \"123456789012\"\n"    /* 16 */
                             "  regions: [eu-west-1]\n"           /* 17 */
                             "...\n"                              /* 18 */
                             "---\n"                              /* 19 */
                             "  apiVersion: finops.dev/v1alpha1\n" /* 20 */
                             "  kind: Budget\n"
                             "  metadata: {name: alpha}\n"
                             "  spec:\n"
                             "    amount: 1\n"
                             "    amount: 2\n");                   /* 25 */
    (void)state;

    /* Sorted by kind, then name; the indented last document is fine but
     * has a duplicate key. */
    assert_int_equal(set->nobjects, 2);
    assert_int_equal(set->objects[0].kind, FC_KIND_ACCOUNT);
    assert_string_equal(set->objects[0].metadata.name, "prod");
    assert_int_equal(set->objects[0].line, 11);
    assert_int_equal(set->objects[1].kind, FC_KIND_BUDGET);
    assert_string_equal(set->objects[1].metadata.name, "zeta");
    assert_int_equal(set->objects[1].line, 3);
    expect_errors(set, 1);
    expect_error(set, "finops/all.yaml:25: spec.amount: duplicate key");
    fc_spec_set_free(set);
}

/* ---- errors, one class at a time -------------------------------------- */

static void test_specs__yaml_syntax_error_has_line(void **state)
{
    fc_spec_set *set = load1("finops/budgets/x.yaml",
                             HDR("Budget", "before")
                             "spec: {amount: 1}\n"
                             "---\n"
                             HDR("Budget", "broken")
                             "spec:\n"
                             "  amount: 1\n"
                             " bad: indentation\n" /* line 13 */
                             "---\n"
                             HDR("Budget", "after")
                             "spec: {amount: 1}\n");
    (void)state;

    expect_errors(set, 1);
    assert_string_equal(set->errors[0].file, "finops/budgets/x.yaml");
    assert_int_equal(set->errors[0].line, 13);
    assert_string_equal(set->errors[0].field, "");
    assert_non_null(strstr(set->errors[0].message, "YAML syntax error"));
    assert_int_equal(set->errors[0].kind, -1);
    /* What was read before the error stands; the rest cannot be read. */
    assert_int_equal(set->nobjects, 1);
    assert_non_null(fc_specs_find(set, FC_KIND_BUDGET, "before"));
    fc_spec_set_free(set);
}

static void test_specs__unknown_field(void **state)
{
    fc_spec_set *set = load1("finops/budgets/a.yaml",
                             HDR("Budget", "a")
                             "spec:\n"
                             "  amount: 1\n"
                             "  scope:\n"
                             "    acounts: [\"123456789012\"]\n");
    const fc_spec_error *e;
    (void)state;

    expect_errors(set, 1);
    e = find_error(set, "finops/budgets/a.yaml:8: spec.scope.acounts: "
                        "unknown field");
    assert_non_null(e);
    assert_int_equal(e->kind, FC_KIND_BUDGET);
    assert_string_equal(e->name, "a");
    assert_int_equal(set->nobjects, 0);
    fc_spec_set_free(set);
}

static void test_specs__unknown_top_level_field(void **state)
{
    fc_spec_set *set = load1("a.yaml", HDR("Budget", "a")
                                       "spec: {amount: 1}\n"
                                       "status: {}\n");
    (void)state;

    expect_errors(set, 1);
    expect_error(set, "a.yaml:6: status: unknown field");
    fc_spec_set_free(set);
}

static void test_specs__wrong_type(void **state)
{
    const char *paths[] = {"a.yaml", "b.yaml", "c.yaml", "d.yaml"};
    const char *texts[] = {
        HDR("Budget", "a") "spec:\n  amount: lots\n",
        HDR("Budget", "b") "spec:\n  amount: [1]\n",
        HDR("Account", "c") "spec:\n  accountId: \"123456789012\"\n"
                            "  regions: eu-west-1\n",
        HDR("Budget", "d") "spec:\n  amount: 12abc\n",
    };
    fc_spec_set *set = load_n(paths, texts, 4);
    (void)state;

    expect_errors(set, 4);
    expect_error(set, "a.yaml:6: spec.amount: expected a number");
    expect_error(set, "b.yaml:6: spec.amount: expected a number, got a list");
    expect_error(set, "c.yaml:7: spec.regions: expected a list, got a single value");
    /* libcyaml would read "12abc" as 12; the loader does not. */
    expect_error(set, "d.yaml:6: spec.amount: expected a number");
    assert_int_equal(set->nobjects, 0);
    fc_spec_set_free(set);
}

static void test_specs__duplicate_key(void **state)
{
    fc_spec_set *set = load1("a.yaml", HDR("Budget", "a")
                                       "  labels: {x: \"1\"}\n"
                                       "  labels: {y: \"2\"}\n"
                                       "spec:\n"
                                       "  amount: 1\n"
                                       "  period: monthly\n"
                                       "  amount: 2\n");
    (void)state;

    /* cyaml stops at the first duplicate it sees (spec.amount); the map
     * field duplicate is found by the tree walk, which does not run then. */
    expect_errors(set, 1);
    expect_error(set, "a.yaml:10: spec.amount: duplicate key");
    fc_spec_set_free(set);
}

static void test_specs__duplicate_map_keys(void **state)
{
    fc_spec_set *set = load1("a.yaml", HDR("Account", "a")
                                       "  labels:\n"
                                       "    team: a\n"
                                       "    team: b\n"
                                       "spec:\n"
                                       "  accountId: \"123456789012\"\n"
                                       "  regions: [eu-west-1]\n"
                                       "  tags: {env: [dev]}\n");
    (void)state;

    expect_errors(set, 2);
    expect_error(set, "a.yaml:7: metadata.labels.team: duplicate key");
    expect_error(set, "a.yaml:11: spec.tags.env: expected a string");
    fc_spec_set_free(set);
}

static void test_specs__missing_required_field(void **state)
{
    const char *paths[] = {"a.yaml", "b.yaml", "c.yaml"};
    const char *texts[] = {
        "# no spec\n" HDR("Budget", "a"),
        HDR("Budget", "b") "spec:\n  currency: EUR\n",
        HDR("Budget", "c") "spec:\n  amount: 5\n  thresholds:\n"
                           "    - type: forecast\n",
    };
    fc_spec_set *set = load_n(paths, texts, 3);
    (void)state;

    expect_errors(set, 3);
    expect_error(set, "a.yaml:2: spec: missing required field");
    expect_error(set, "b.yaml:5: spec.amount: missing required field");
    expect_error(set, "c.yaml:8: spec.thresholds[0].percent: "
                      "missing required field");
    fc_spec_set_free(set);
}

static void test_specs__unknown_kind(void **state)
{
    fc_spec_set *set = load1("a.yaml", "apiVersion: finops.dev/v1alpha1\n"
                                       "kind: Bugdet\n"
                                       "metadata: {name: a}\n"
                                       "spec: {amount: 1}\n");
    const fc_spec_error *e;
    (void)state;

    expect_errors(set, 1);
    e = &set->errors[0];
    assert_int_equal(e->line, 2);
    assert_string_equal(e->field, "kind");
    assert_non_null(strstr(e->message, "unknown kind \"Bugdet\""));
    assert_int_equal(e->kind, -1);
    assert_string_equal(e->name, "a");
    fc_spec_set_free(set);
}

static void test_specs__bad_api_version(void **state)
{
    fc_spec_set *set = load1("a.yaml", "apiVersion: finops.dev/v1\n"
                                       "kind: Budget\n"
                                       "metadata: {name: a}\n"
                                       "spec: {amount: 1}\n");
    const fc_spec_error *e;
    (void)state;

    expect_errors(set, 1);
    e = &set->errors[0];
    assert_int_equal(e->line, 1);
    assert_string_equal(e->field, "apiVersion");
    assert_int_equal(e->kind, FC_KIND_BUDGET);
    assert_int_equal(set->nobjects, 0);
    fc_spec_set_free(set);
}

static void test_specs__bad_name(void **state)
{
    const char *paths[] = {"a.yaml", "b.yaml", "c.yaml"};
    const char *texts[] = {
        HDR("Budget", "Team_A") "spec: {amount: 1}\n",
        HDR("Budget", "-team") "spec: {amount: 1}\n",
        HDR("Budget", "a234567890123456789012345678901234567890123456789012"
                      "345678901234") "spec: {amount: 1}\n",
    };
    fc_spec_set *set = load_n(paths, texts, 3);
    (void)state;

    expect_errors(set, 3);
    for (size_t i = 0; i < set->nerrors; i++) {
        assert_int_equal(set->errors[i].line, 4);
        assert_string_equal(set->errors[i].field, "metadata.name");
    }
    assert_int_equal(set->nobjects, 0);
    fc_spec_set_free(set);
}

static void test_specs__amount_not_positive(void **state)
{
    fc_spec_set *set = load1("finops/budgets/team-a.yaml",
                             "# Team A's monthly budget\n" /* 1 */
                             "apiVersion: finops.dev/v1alpha1\n"
                             "kind: Budget\n"
                             "metadata:\n"
                             "  name: team-a\n"
                             "spec:\n"
                             "  amount: -5\n"); /* 7 */
    char buf[256];
    (void)state;

    expect_errors(set, 1);
    fc_spec_error_format(&set->errors[0], buf, sizeof(buf));
    assert_string_equal(
        buf, "finops/budgets/team-a.yaml:7: spec.amount: expected a positive number");
    assert_string_equal(set->errors[0].message, "expected a positive number");
    assert_int_equal(set->errors[0].kind, FC_KIND_BUDGET);
    assert_string_equal(set->errors[0].name, "team-a");
    assert_int_equal(set->nobjects, 0);
    fc_spec_set_free(set);
}

static void test_specs__several_errors_in_one_document(void **state)
{
    fc_spec_set *set = load1("o.yaml",
                             HDR("Optimization", "Bad")              /* 1-4 */
                             "spec:\n"                               /* 5 */
                             "  target: {account: \"1234\", "
                             "region: EU, resource: \"\"}\n"        /* 6 */
                             "  action: rightsize\n"                 /* 7 */
                             "  window:\n"                           /* 8 */
                             "    days: [sat, funday]\n"             /* 9 */
                             "    start: \"2:00\"\n"                 /* 10 */
                             "    end: \"06:00\"\n"                  /* 11 */
                             "    timezone: Europe/Paris\n"          /* 12 */
                             "  risk: extreme\n");                   /* 13 */
    const fc_spec_error *e;
    (void)state;

    expect_errors(set, 9);
    expect_error(set, "o.yaml:4: metadata.name: \"Bad\" is not a valid name: "
                      "use at most 63 lowercase letters, digits and '-', "
                      "starting and ending with a letter or digit");
    expect_error(set, "o.yaml:6: spec.target.account: expected a 12-digit "
                      "AWS account id");
    expect_error(set, "o.yaml:6: spec.target.region: \"EU\" is not a region "
                      "name like eu-west-1");
    expect_error(set, "o.yaml:6: spec.target.resource: must not be empty");
    expect_error(set, "o.yaml:7: spec.parameters.instanceType: required "
                      "when action is rightsize");
    expect_error(set, "o.yaml:9: spec.window.days[1]: expected a weekday "
                      "(mon, tue, wed, thu, fri, sat, sun), got \"funday\"");
    expect_error(set, "o.yaml:10: spec.window.start: expected a time of day "
                      "as HH:MM (00:00-23:59), got \"2:00\"");
    e = find_error(set, "o.yaml:12: spec.window.timezone: unsupported "
                        "timezone \"Europe/Paris\": only UTC is accepted "
                        "for now");
    assert_non_null(e);
    expect_error(set, "o.yaml:13: spec.risk: expected low, medium or high, "
                      "got \"extreme\"");
    /* Sorted by line. */
    for (size_t i = 1; i < set->nerrors; i++)
        assert_true(set->errors[i - 1].line <= set->errors[i].line);
    fc_spec_set_free(set);
}

static void test_specs__policy_and_schedule_rules(void **state)
{
    const char *paths[] = {"p.yaml", "s.yaml"};
    const char *texts[] = {
        HDR("Policy", "p")
        "spec:\n"
        "  services: [ec2, floppy]\n"                          /* 6 */
        "  ec2: {idleCpuPercent: 101, idleDays: 0}\n"          /* 7 */
        "  rds: {idleDays: 7days}\n",                          /* 8 */
        HDR("Schedule", "s")
        "spec:\n"
        "  interval: 5 minutes\n"                              /* 6 */
        "  report: {weekday: monday}\n"                        /* 7 */
        "  timezone: Mars/Olympus\n",                          /* 8 */
    };
    fc_spec_set *set = load_n(paths, texts, 2);
    (void)state;

    expect_errors(set, 7);
    expect_error(set, "p.yaml:6: spec.services[1]: unknown service \"floppy\" "
                      "(expected ec2, ebs, eip, elb, rds, lambda or s3)");
    expect_error(set, "p.yaml:7: spec.ec2.idleCpuPercent: expected a "
                      "percentage between 0 and 100");
    expect_error(set, "p.yaml:7: spec.ec2.idleDays: expected at least 1 day");
    expect_error(set, "p.yaml:8: spec.rds.idleDays: expected a whole number");
    expect_error(set, "s.yaml:6: spec.interval: expected a duration like 30s, "
                      "5m, 1h or 1d, got \"5 minutes\"");
    expect_error(set, "s.yaml:7: spec.report.weekday: expected a weekday "
                      "(mon, tue, wed, thu, fri, sat, sun), got \"monday\"");
    /* any zone of the tz database; this one is not */
    expect_error(set, "s.yaml:8: spec.timezone: unknown time zone \"Mars/Olympus\" "
                      "(not in the tz database)");
    fc_spec_set_free(set);
}

static void test_specs__account_rules(void **state)
{
    fc_spec_set *set = load1("a.yaml", HDR("Account", "a")
                                       "spec:\n"
                                       "  accountId: \"12345\"\n"
                                       "  regions: []\n"
                                       "  provider: gcp\n");
    (void)state;

    expect_errors(set, 3);
    expect_error(set, "a.yaml:6: spec.accountId: expected a 12-digit AWS "
                      "account id");
    expect_error(set, "a.yaml:7: spec.regions: must list at least one region");
    expect_error(set, "a.yaml:8: spec.provider: expected sim or aws, got \"gcp\"");
    fc_spec_set_free(set);
}

static void test_specs__budget_rules(void **state)
{
    fc_spec_set *set = load1("b.yaml", HDR("Budget", "b")
                                       "spec:\n"
                                       "  amount: 10\n"
                                       "  currency: usd\n"
                                       "  period: weekly\n"
                                       "  thresholds:\n"
                                       "    - {percent: 0, type: guess}\n");
    (void)state;

    expect_errors(set, 4);
    expect_error(set, "b.yaml:7: spec.currency: expected a 3-letter currency "
                      "code like USD, got \"usd\"");
    expect_error(set, "b.yaml:8: spec.period: expected monthly, quarterly or "
                      "annual, got \"weekly\"");
    expect_error(set, "b.yaml:10: spec.thresholds[0].percent: expected a "
                      "positive number");
    expect_error(set, "b.yaml:10: spec.thresholds[0].type: expected actual or "
                      "forecast, got \"guess\"");
    fc_spec_set_free(set);
}

static void test_specs__aliases_rejected(void **state)
{
    fc_spec_set *set = load1("a.yaml", HDR("Budget", "a")
                                       "spec:\n"
                                       "  scope: &s {services: [x]}\n"
                                       "  amount: 1\n"
                                       "  notify: *s\n");
    (void)state;

    expect_errors(set, 1);
    expect_error(set, "a.yaml:8: YAML aliases are not allowed");
    fc_spec_set_free(set);
}

/* ---- across objects and files ----------------------------------------- */

static void test_specs__duplicate_names_across_files(void **state)
{
    /* Given out of order: "first" means first by path. */
    const char *paths[] = {"finops/budgets/b.yaml", "finops/budgets/a.yaml"};
    const char *texts[] = {
        "# copy\n" HDR("Budget", "team") "spec: {amount: 2}\n",
        HDR("Budget", "team") "spec: {amount: 1}\n"
        "---\n" HDR("Account", "team")
        "spec: {accountId: \"123456789012\", regions: [eu-west-1]}\n",
    };
    fc_spec_set *set = load_n(paths, texts, 2);
    const fc_object *o;
    const fc_spec_error *e;
    (void)state;

    expect_errors(set, 1);
    e = find_error(set, "finops/budgets/b.yaml:5: metadata.name: duplicate "
                        "Budget name \"team\": first defined at "
                        "finops/budgets/a.yaml:4");
    assert_non_null(e);
    assert_int_equal(e->kind, FC_KIND_BUDGET);
    assert_string_equal(e->name, "team");
    /* Same name, other kind: fine. */
    assert_int_equal(set->nobjects, 2);
    o = fc_specs_find(set, FC_KIND_BUDGET, "team");
    assert_non_null(o);
    assert_string_equal(o->file, "finops/budgets/a.yaml");
    assert_true(o->spec.budget->amount == 1);
    assert_non_null(fc_specs_find(set, FC_KIND_ACCOUNT, "team"));
    assert_int_equal(set->nfiles, 2);
    assert_string_equal(set->files[0], "finops/budgets/a.yaml");
    assert_string_equal(set->files[1], "finops/budgets/b.yaml");
    fc_spec_set_free(set);
}

static void test_specs__unknown_parent(void **state)
{
    fc_spec_set *set = load1("b.yaml",
                             HDR("Budget", "org") "spec: {amount: 100}\n"
                             "---\n"
                             HDR("Budget", "team")
                             "spec: {amount: 10, parent: org}\n"
                             "---\n"
                             HDR("Budget", "lost")
                             "spec:\n"
                             "  amount: 10\n"
                             "  parent: nowhere\n"          /* 19 */
                             "---\n"
                             HDR("Budget", "lost-child")
                             "spec: {amount: 1, parent: lost}\n"); /* 25 */
    (void)state;

    expect_errors(set, 2);
    expect_error(set, "b.yaml:19: spec.parent: unknown parent Budget "
                      "\"nowhere\"");
    expect_error(set, "b.yaml:25: spec.parent: parent Budget \"lost\" is not "
                      "valid (see its errors)");
    assert_int_equal(set->nobjects, 2);
    assert_string_equal(
        fc_specs_find(set, FC_KIND_BUDGET, "team")->spec.budget->parent, "org");
    fc_spec_set_free(set);
}

static void test_specs__parent_cycle(void **state)
{
    fc_spec_set *set = load1("b.yaml",
                             HDR("Budget", "a") "spec: {amount: 1, parent: b}\n"
                             "---\n"
                             HDR("Budget", "b") "spec: {amount: 1, parent: a}\n"
                             "---\n"
                             HDR("Budget", "c") "spec: {amount: 1, parent: c}\n"
                             "---\n"
                             HDR("Budget", "d") "spec: {amount: 1, parent: a}\n");
    (void)state;

    expect_errors(set, 4);
    expect_error(set, "b.yaml:5: spec.parent: parent cycle: a -> b -> a");
    expect_error(set, "b.yaml:11: spec.parent: parent cycle: a -> b -> a");
    expect_error(set, "b.yaml:17: spec.parent: a Budget cannot be its own "
                      "parent");
    expect_error(set, "b.yaml:23: spec.parent: parent Budget \"a\" is not "
                      "valid (see its errors)");
    assert_int_equal(set->nobjects, 0);
    fc_spec_set_free(set);
}

static void test_specs__broken_file_does_not_affect_other_file(void **state)
{
    const char *paths[] = {"finops/a.yaml", "finops/b.yaml", "finops/c.yaml"};
    const char *texts[] = {
        HDR("Budget", "a") "spec: {amount: 1}\n",
        "kind: Budget\nmetadata: {name: [\n", /* unterminated */
        HDR("Budget", "c") "spec: {amount: 0}\n",
    };
    fc_spec_set *set = load_n(paths, texts, 3);
    (void)state;

    expect_errors(set, 2);
    assert_string_equal(set->errors[0].file, "finops/b.yaml");
    assert_string_equal(set->errors[1].file, "finops/c.yaml");
    assert_int_equal(set->nobjects, 1);
    assert_non_null(fc_specs_find(set, FC_KIND_BUDGET, "a"));
    assert_int_equal(set->nfiles, 3);
    fc_spec_set_free(set);
}

static void test_specs__file_too_large(void **state)
{
    size_t n = FC_SPEC_MAX_FILE_BYTES + 1;
    char *big = malloc(n + 1);
    fc_spec_file files[2] = {
        {"finops/huge.yaml", big, n},
        {"finops/ok.yaml", HDR("Budget", "ok") "spec: {amount: 1}\n", 0},
    };
    fc_spec_set *set = NULL;
    char buf[256];
    (void)state;

    assert_non_null(big);
    memset(big, '#', n);
    big[n] = '\0';
    files[1].len = strlen(files[1].data);
    assert_int_equal(fc_specs_load(&set, files, 2), 0);
    expect_errors(set, 1);
    fc_spec_error_format(&set->errors[0], buf, sizeof(buf));
    assert_string_equal(buf, "finops/huge.yaml: file is 1048577 bytes, more "
                             "than the limit of 1048576");
    assert_int_equal(set->nobjects, 1);
    fc_spec_set_free(set);
    free(big);
}

/* libyaml's composer errors end the file like syntax errors: what came
 * before stands. */
static void test_specs__undefined_alias_and_duplicate_anchor(void **state)
{
    fc_spec_set *set = load1("a.yaml", HDR("Budget", "before")
                                       "spec: {amount: 1}\n"
                                       "---\n"
                                       "x: *nope\n"            /* line 7 */
                                       "---\n"
                                       HDR("Budget", "after")
                                       "spec: {amount: 1}\n");
    (void)state;

    expect_errors(set, 1);
    expect_error(set, "a.yaml:7: YAML syntax error: found undefined alias");
    assert_int_equal(set->nobjects, 1);
    assert_non_null(fc_specs_find(set, FC_KIND_BUDGET, "before"));
    fc_spec_set_free(set);

    set = load1("b.yaml", HDR("Budget", "b")
                          "spec:\n"
                          "  amount: &n 1\n"
                          "  parent: &n x\n");
    expect_errors(set, 1);
    expect_error(set, "b.yaml:7: YAML syntax error: second occurrence "
                      "(found duplicate anchor; first occurrence at line 6)");
    assert_int_equal(set->nobjects, 0);
    fc_spec_set_free(set);
}

/* A limit broken anywhere refuses the whole file, even past a document
 * libyaml cannot compose and past the documents already read. */
static void test_specs__limit_after_composer_error_refuses_file(void **state)
{
    char text[1024];
    size_t k;
    fc_spec_set *set;
    (void)state;

    k = (size_t)snprintf(text, sizeof(text), "%s",
                         HDR("Budget", "first") "spec: {amount: 1}\n"
                         "---\nx: *nope\n---\ndeep: ");
    for (int i = 0; i < FC_SPEC_MAX_DEPTH + 1; i++)
        text[k++] = '[';
    for (int i = 0; i < FC_SPEC_MAX_DEPTH + 1; i++)
        text[k++] = ']';
    text[k] = '\0';
    set = load1("deep.yaml", text);
    expect_errors(set, 1);
    expect_error(set, "deep.yaml:9: nesting too deep: limit 64");
    assert_int_equal(set->nobjects, 0);
    fc_spec_set_free(set);
}

static void test_specs__too_many_documents(void **state)
{
    const char *doc = "---\n" HDR("Budget", "b%04u") "spec: {amount: 1}\n";
    size_t cap = (FC_SPEC_MAX_DOCUMENTS + 2) * 128, len = 0;
    char *text = malloc(cap);
    fc_spec_set *set;
    (void)state;

    assert_non_null(text);
    for (unsigned i = 0; i < FC_SPEC_MAX_DOCUMENTS + 2; i++)
        len += (size_t)snprintf(text + len, cap - len, doc, i);
    set = load1("many.yaml", text);
    expect_errors(set, 1);
    assert_int_equal(set->errors[0].line, FC_SPEC_MAX_DOCUMENTS * 6 + 1);
    assert_int_equal(set->nobjects, FC_SPEC_MAX_DOCUMENTS);
    fc_spec_set_free(set);
    free(text);
}

static void test_specs__not_a_map_and_missing_kind(void **state)
{
    fc_spec_set *set = load1("x.yaml", "- a list\n"
                                       "---\n"
                                       "apiVersion: finops.dev/v1alpha1\n"
                                       "metadata: {name: nokind}\n");
    (void)state;

    expect_errors(set, 2);
    expect_error(set, "x.yaml:1: expected a map with apiVersion, kind, "
                      "metadata and spec");
    expect_error(set, "x.yaml:3: kind: missing required field");
    assert_string_equal(set->errors[1].name, "nokind");
    fc_spec_set_free(set);
}

static void test_specs__empty_input(void **state)
{
    fc_spec_set *set = NULL;
    const char *path = "finops/empty.yaml", *text = "# nothing yet\n";
    (void)state;

    assert_int_equal(fc_specs_load(&set, NULL, 0), 0);
    assert_int_equal(set->nobjects + set->nerrors + set->nfiles, 0);
    fc_spec_set_free(set);
    set = load_n(&path, &text, 1);
    assert_int_equal(set->nobjects + set->nerrors, 0);
    assert_int_equal(set->nfiles, 1);
    fc_spec_set_free(set);
    fc_spec_set_free(NULL);
}

/* ---- small API --------------------------------------------------------- */

static void test_specs__error_format(void **state)
{
    fc_spec_error e = {.file = "f.yaml", .line = 3, .field = "spec.x",
                       .message = "bad", .kind = -1};
    char buf[64];
    (void)state;

    fc_spec_error_format(&e, buf, sizeof(buf));
    assert_string_equal(buf, "f.yaml:3: spec.x: bad");
    e.line = 0;
    fc_spec_error_format(&e, buf, sizeof(buf));
    assert_string_equal(buf, "f.yaml: spec.x: bad");
    e.field = "";
    fc_spec_error_format(&e, buf, sizeof(buf));
    assert_string_equal(buf, "f.yaml: bad");
    fc_spec_error_format(&e, buf, 4);
    assert_string_equal(buf, "f.y");
}

static void test_specs__kind_names(void **state)
{
    (void)state;
    for (int k = 0; k < FC_KIND__COUNT; k++)
        assert_int_equal(fc_kind_parse(fc_kind_name((fc_kind)k)), k);
    assert_string_equal(fc_kind_name(FC_KIND_OPTIMIZATION), "Optimization");
    assert_int_equal(fc_kind_parse("budget"), -1);
    assert_int_equal(fc_kind_parse(NULL), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_specs__budget_loads_with_defaults),
        cmocka_unit_test(test_specs__account_loads_with_defaults),
        cmocka_unit_test(test_specs__policy_loads_with_defaults),
        cmocka_unit_test(test_specs__optimization_loads),
        cmocka_unit_test(test_specs__optimization_window_and_risk_optional),
        cmocka_unit_test(test_specs__schedule_loads_with_defaults),
        cmocka_unit_test(test_specs__multi_document_file),
        cmocka_unit_test(test_specs__yaml_syntax_error_has_line),
        cmocka_unit_test(test_specs__unknown_field),
        cmocka_unit_test(test_specs__unknown_top_level_field),
        cmocka_unit_test(test_specs__wrong_type),
        cmocka_unit_test(test_specs__duplicate_key),
        cmocka_unit_test(test_specs__duplicate_map_keys),
        cmocka_unit_test(test_specs__missing_required_field),
        cmocka_unit_test(test_specs__unknown_kind),
        cmocka_unit_test(test_specs__bad_api_version),
        cmocka_unit_test(test_specs__bad_name),
        cmocka_unit_test(test_specs__amount_not_positive),
        cmocka_unit_test(test_specs__several_errors_in_one_document),
        cmocka_unit_test(test_specs__policy_and_schedule_rules),
        cmocka_unit_test(test_specs__account_rules),
        cmocka_unit_test(test_specs__budget_rules),
        cmocka_unit_test(test_specs__aliases_rejected),
        cmocka_unit_test(test_specs__duplicate_names_across_files),
        cmocka_unit_test(test_specs__unknown_parent),
        cmocka_unit_test(test_specs__parent_cycle),
        cmocka_unit_test(test_specs__broken_file_does_not_affect_other_file),
        cmocka_unit_test(test_specs__file_too_large),
        cmocka_unit_test(test_specs__undefined_alias_and_duplicate_anchor),
        cmocka_unit_test(test_specs__limit_after_composer_error_refuses_file),
        cmocka_unit_test(test_specs__too_many_documents),
        cmocka_unit_test(test_specs__not_a_map_and_missing_kind),
        cmocka_unit_test(test_specs__empty_input),
        cmocka_unit_test(test_specs__error_format),
        cmocka_unit_test(test_specs__kind_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
