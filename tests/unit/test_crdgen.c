/*
 * test_crdgen.c - the CRD generator walks the loader's cyaml schema and the
 * annotation table: every kind renders, deterministically, with the
 * required keys, ranges and enums of the loader; every annotation names a
 * real field.  (tests/crd compares the output with crd/ and with ajv.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "controller/core/fc_error.h"
#include "specs/fc_crdgen.h"

#include <stdio.h>
#include <string.h>

static void test_crdgen__renders_every_kind_deterministically(void **state)
{
    (void)state;
    for (int k = 0; k < FC_KIND__COUNT; k++) {
        fc_buf a, b;
        char name[96];
        fc_buf_init(&a);
        fc_buf_init(&b);
        assert_int_equal(fc_crdgen_render(&a, (fc_kind)k), FC_OK);
        assert_int_equal(fc_crdgen_render(&b, (fc_kind)k), FC_OK);
        assert_int_equal(a.len, b.len);
        assert_memory_equal(a.data, b.data, a.len);
        snprintf(name, sizeof(name), "  name: %s.finops.dev\n",
                 fc_crd_kind_doc_get((fc_kind)k)->plural);
        assert_non_null(strstr(a.data, name));
        assert_non_null(strstr(a.data, "        status: {}\n"));
        assert_non_null(strstr(a.data, "x-kubernetes-preserve-unknown-fields: true"));
        assert_non_null(strstr(a.data, "additionalPrinterColumns:"));
        fc_buf_dispose(&a);
        fc_buf_dispose(&b);
    }
}

static void test_crdgen__budget_carries_the_loader_rules(void **state)
{
    fc_buf b;
    (void)state;
    fc_buf_init(&b);
    assert_int_equal(fc_crdgen_render(&b, FC_KIND_BUDGET), FC_OK);
    /* amount is REQ in schema.c; > 0 and the period enum from schema_doc.c */
    assert_non_null(strstr(b.data, "required: ['amount']"));
    assert_non_null(strstr(b.data, "                amount:\n"
                                   "                  type: number\n"));
    assert_non_null(strstr(b.data, "exclusiveMinimum: true"));
    assert_non_null(strstr(b.data, "enum: ['monthly', 'quarterly', 'annual']"));
    /* thresholds: a sequence of mappings with a required percent */
    assert_non_null(strstr(b.data, "                thresholds:\n"
                                   "                  type: array\n"
                                   "                  items:\n"
                                   "                    type: object\n"
                                   "                    required: ['percent']\n"));
    /* scope.tags is IGNORE in cyaml: a map of strings */
    assert_non_null(strstr(b.data, "additionalProperties:\n"));
    fc_buf_dispose(&b);
}

static void test_crdgen__annotations_name_real_fields(void **state)
{
    (void)state;
    assert_int_equal(fc_crdgen_check_docs(), FC_OK);
    assert_non_null(fc_schema_doc_find(FC_KIND_BUDGET, "spec.amount"));
    /* a kind-specific entry wins over the every-kind one */
    assert_non_null(fc_schema_doc_find(FC_KIND_SCHEDULE, "metadata.name"));
    assert_null(fc_schema_doc_find(FC_KIND_BUDGET, "spec.nosuchfield"));
    assert_null(fc_schema_doc_at(100000));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crdgen__renders_every_kind_deterministically),
        cmocka_unit_test(test_crdgen__budget_carries_the_loader_rules),
        cmocka_unit_test(test_crdgen__annotations_name_real_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
