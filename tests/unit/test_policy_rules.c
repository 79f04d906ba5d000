/*
 * test_policy_rules.c - the Policy thresholds of the waste rules and
 * rightsizing as the spec loader reads them: defaults, the ec2 mode
 * inference that keeps older policies' meaning, and range checks that name
 * file:line and the field.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "controller/core/fc_error.h"
#include "specs/fc_specs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEAD                                                                   \
    "apiVersion: finops.dev/v1alpha1\n"                                        \
    "kind: Policy\n"                                                           \
    "metadata: {name: p}\n"                                                    \
    "spec:\n"

static fc_spec_set *load(const char *text)
{
    fc_spec_set *set = NULL;
    fc_spec_file f = {"finops/policies/p.yaml", text, strlen(text)};
    assert_int_equal(fc_specs_load(&set, &f, 1), FC_OK);
    return set;
}

static const fc_policy_spec *policy_of(const fc_spec_set *set)
{
    size_t i;
    if (set->nerrors) {
        char buf[512];
        fc_spec_error_format(&set->errors[0], buf, sizeof(buf));
        fail_msg("unexpected error: %s", buf);
    }
    for (i = 0; i < set->nobjects; i++)
        if (set->objects[i].kind == FC_KIND_POLICY)
            return set->objects[i].spec.policy;
    fail_msg("no policy");
    return NULL;
}

static void test_policy_rules__defaults(void **state)
{
    fc_spec_set *set = load(HEAD "  services: [ec2]\n");
    const fc_policy_spec *p = policy_of(set);
    (void)state;

    assert_string_equal(p->ec2.mode, "daily");
    assert_true(p->ec2.daily_cpu_percent == 10);
    assert_true(p->ec2.daily_network_mb == 5);
    assert_int_equal(p->ec2.min_idle_days, 4);
    assert_int_equal(p->ec2.lookback_days, 14);
    assert_true(p->ec2.cpu_percent == 5);
    assert_int_equal(p->ec2.idle_days, 7);
    assert_int_equal(p->ebs.gp3, 1);
    assert_int_equal(p->snapshots.max_age_days, 90);
    assert_true(p->elb.min_requests == 100);
    assert_int_equal(p->elb.idle_days, 7);
    assert_true(p->lambda.memory_used_percent == 50);
    assert_int_equal(p->lambda.lookback_days, 14);
    assert_int_equal(p->s3.lifecycle, 1);
    assert_true(p->rightsizing.target_p95_percent == 60);
    assert_true(p->rightsizing.max_percent == 90);
    assert_int_equal(p->rightsizing.lookback_days, 14);
    assert_true(p->rightsizing.min_coverage_percent == 25);
    assert_int_equal(p->rightsizing.allow_arch_change, 0);
    fc_spec_set_free(set);
}

static void test_policy_rules__explicit_values_and_mode(void **state)
{
    fc_spec_set *set;
    const fc_policy_spec *p;
    (void)state;

    /* The average thresholds alone keep their old meaning. */
    set = load(HEAD "  ec2: {idleCpuPercent: 3, idleDays: 10}\n");
    p = policy_of(set);
    assert_string_equal(p->ec2.mode, "average");
    assert_true(p->ec2.cpu_percent == 3);
    assert_int_equal(p->ec2.idle_days, 10);
    fc_spec_set_free(set);

    set = load(HEAD
               "  ec2: {mode: daily, idleCpuPercent: 3, dailyCpuPercent: 2.5,\n"
               "        dailyNetworkMB: 10, minIdleDays: 7, lookbackDays: 30}\n"
               "  ebs: {gp3: false}\n"
               "  snapshots: {maxAgeDays: 365}\n"
               "  elb: {minRequests: 0, idleDays: 30}\n"
               "  lambda: {memoryUsedPercent: 40, lookbackDays: 7}\n"
               "  s3: {lifecycle: no}\n"
               "  rightsizing: {targetP95Percent: 50, maxPercent: 80,\n"
               "                lookbackDays: 30, minCoveragePercent: 60,\n"
               "                allowArchChange: true}\n");
    p = policy_of(set);
    assert_string_equal(p->ec2.mode, "daily");
    assert_true(p->ec2.daily_cpu_percent == 2.5);
    assert_true(p->ec2.daily_network_mb == 10);
    assert_int_equal(p->ec2.min_idle_days, 7);
    assert_int_equal(p->ec2.lookback_days, 30);
    assert_int_equal(p->ebs.gp3, 0);
    assert_int_equal(p->snapshots.max_age_days, 365);
    assert_true(p->elb.min_requests == 0);
    assert_int_equal(p->elb.idle_days, 30);
    assert_true(p->lambda.memory_used_percent == 40);
    assert_int_equal(p->s3.lifecycle, 0);
    assert_true(p->rightsizing.target_p95_percent == 50);
    assert_true(p->rightsizing.max_percent == 80);
    assert_int_equal(p->rightsizing.lookback_days, 30);
    assert_true(p->rightsizing.min_coverage_percent == 60);
    assert_int_equal(p->rightsizing.allow_arch_change, 1);
    fc_spec_set_free(set);
}

static void expect_error(const char *text, const char *needle)
{
    fc_spec_set *set = load(text);
    char buf[512];
    size_t i;
    for (i = 0; i < set->nerrors; i++) {
        fc_spec_error_format(&set->errors[i], buf, sizeof(buf));
        if (strstr(buf, needle))
            break;
    }
    if (i == set->nerrors) {
        if (set->nerrors) {
            fc_spec_error_format(&set->errors[0], buf, sizeof(buf));
            fail_msg("no error mentions '%s' (first: %s)", needle, buf);
        }
        fail_msg("no error mentions '%s' (no errors)", needle);
    }
    fc_spec_set_free(set);
}

static void test_policy_rules__range_checks(void **state)
{
    (void)state;
    expect_error(HEAD "  ec2: {mode: weekly}\n",
                 "p.yaml:5: spec.ec2.mode: expected daily or average");
    expect_error(HEAD "  ec2: {dailyCpuPercent: 101}\n",
                 "spec.ec2.dailyCpuPercent: expected a percentage");
    expect_error(HEAD "  ec2: {dailyNetworkMB: -1}\n",
                 "spec.ec2.dailyNetworkMB: expected a number >= 0");
    expect_error(HEAD "  ec2: {minIdleDays: 15}\n",
                 "spec.ec2.minIdleDays: expected at most lookbackDays (14)");
    expect_error(HEAD "  ec2: {lookbackDays: 456}\n",
                 "spec.ec2.lookbackDays: expected at most 455 days");
    expect_error(HEAD "  ec2: {lookbackDays: 0}\n",
                 "spec.ec2.lookbackDays: expected at least 1 day");
    expect_error(HEAD "  ebs: {gp3: maybe}\n", "spec.ebs.gp3: expected true or false");
    expect_error(HEAD "  snapshots: {maxAgeDays: 0}\n",
                 "spec.snapshots.maxAgeDays: expected at least 1 day");
    expect_error(HEAD "  elb: {minRequests: many}\n",
                 "spec.elb.minRequests: expected a number");
    expect_error(HEAD "  lambda: {memoryUsedPercent: 150}\n",
                 "spec.lambda.memoryUsedPercent: expected a percentage");
    expect_error(HEAD "  rightsizing: {targetP95Percent: 0}\n",
                 "spec.rightsizing.targetP95Percent: expected more than 0");
    expect_error(HEAD "  rightsizing: {targetP95Percent: 95}\n",
                 "spec.rightsizing.targetP95Percent: expected at most maxPercent (90)");
    expect_error(HEAD "  rightsizing: {colour: red}\n", "colour");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_policy_rules__defaults),
        cmocka_unit_test(test_policy_rules__explicit_values_and_mode),
        cmocka_unit_test(test_policy_rules__range_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
