/*
 * test_cost_specs.c - the spec fields of cost ingest and anomaly detection:
 * Account costExports and Policy anomalies (defaults, errors with lines).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "controller/core/fc_error.h"
#include "specs/fc_specs.h"

#include <stdio.h>
#include <string.h>

static fc_spec_set *load(const char *yaml)
{
    fc_spec_set *set = NULL;
    fc_spec_file f = {"finops/x.yaml", yaml, strlen(yaml)};
    assert_int_equal(fc_specs_load(&set, &f, 1), FC_OK);
    return set;
}

static void test_cost_specs__defaults_and_values(void **s)
{
    fc_spec_set *set = load("apiVersion: finops.dev/v1alpha1\n"
                            "kind: Account\n"
                            "metadata: {name: prod}\n"
                            "spec:\n"
                            "  accountId: \"123456789012\"\n"
                            "  regions: [eu-west-1]\n"
                            "  costExports: {path: /var/lib/exports}\n"
                            "---\n"
                            "apiVersion: finops.dev/v1alpha1\n"
                            "kind: Policy\n"
                            "metadata: {name: a}\n"
                            "spec:\n"
                            "  anomalies: {minAmount: 10}\n"
                            "---\n"
                            "apiVersion: finops.dev/v1alpha1\n"
                            "kind: Policy\n"
                            "metadata: {name: b}\n"
                            "spec: {}\n");
    const fc_object *acct = fc_specs_find(set, FC_KIND_ACCOUNT, "prod");
    const fc_object *a = fc_specs_find(set, FC_KIND_POLICY, "a");
    const fc_object *b = fc_specs_find(set, FC_KIND_POLICY, "b");
    (void)s;
    assert_int_equal(set->nerrors, 0);
    assert_non_null(acct->spec.account->cost_exports);
    assert_string_equal(acct->spec.account->cost_exports->path, "/var/lib/exports");
    assert_true(a->spec.policy->anomalies.min_amount == 10);
    assert_true(a->spec.policy->anomalies.min_percent == 20);
    assert_true(a->spec.policy->anomalies.sensitivity == 3);
    assert_true(b->spec.policy->anomalies.min_amount == 50);
    fc_spec_set_free(set);
}

static void test_cost_specs__errors_name_line_and_field(void **s)
{
    fc_spec_set *set = load("apiVersion: finops.dev/v1alpha1\n"
                            "kind: Account\n"
                            "metadata: {name: prod}\n"
                            "spec:\n"
                            "  accountId: \"123456789012\"\n"
                            "  regions: [eu-west-1]\n"
                            "  costExports:\n"
                            "    path: s3://bucket/focus/\n"
                            "---\n"
                            "apiVersion: finops.dev/v1alpha1\n"
                            "kind: Policy\n"
                            "metadata: {name: a}\n"
                            "spec:\n"
                            "  anomalies:\n"
                            "    minPercent: -1\n"
                            "    sensitivity: 0\n");
    char line[512];
    size_t i;
    int s3 = 0, pct = 0, z = 0;
    (void)s;
    for (i = 0; i < set->nerrors; i++) {
        fc_spec_error_format(&set->errors[i], line, sizeof(line));
        s3 |= strstr(line, "finops/x.yaml:8: spec.costExports.path: S3 prefixes") != NULL;
        pct |= strstr(line, "finops/x.yaml:15: spec.anomalies.minPercent:") != NULL;
        z |= strstr(line, "finops/x.yaml:16: spec.anomalies.sensitivity:") != NULL;
    }
    assert_true(s3 && pct && z);
    fc_spec_set_free(set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cost_specs__defaults_and_values),
        cmocka_unit_test(test_cost_specs__errors_name_line_and_field),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
