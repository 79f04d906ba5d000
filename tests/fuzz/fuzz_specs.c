/*
 * fuzz_specs.c - the spec loader (specs/specs.c, schema.c, validate.c and the
 * hostile-input limits of specs/limits.c) on one file's bytes, as gitsync
 * hands them over: fc_specs_load() with a virtual repo path.
 */
#include "tests/fuzz/fuzz.h"

#include "specs/fc_specs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fc_spec_set *set = NULL;
    fc_spec_file f = {.path = "finops/fuzz.yaml", .data = (const char *)data,
                      .len = size};
    char line[512];

    if (fc_specs_load(&set, &f, 1) == 0) {
        /* Formatting every error walks the strings the loader built. */
        for (size_t i = 0; i < set->nerrors; i++)
            fc_spec_error_format(&set->errors[i], line, sizeof(line));
        fc_spec_set_free(set);
    }
    return 0;
}
