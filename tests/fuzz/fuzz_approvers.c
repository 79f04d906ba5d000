/*
 * fuzz_approvers.c - the approvers file parser (specs/approvers.c) on one
 * file's bytes.
 */
#include "tests/fuzz/fuzz.h"

#include "specs/fc_approvers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fc_approvers *a = NULL;

    if (fc_approvers_parse(&a, "finops/approvers.yaml", (const char *)data,
                           size) == 0) {
        fc_approvers_find(a, "alice@example.com");
        fc_approvers_free(a);
    }
    return 0;
}
