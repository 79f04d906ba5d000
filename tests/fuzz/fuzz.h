/*
 * fuzz.h - what every tests/fuzz/fuzz_<target>.c shares.
 *
 * Each target defines LLVMFuzzerTestOneInput() and calls one parser's real
 * entry point on the input bytes.  Built with clang -fsanitize=fuzzer
 * (FC_FUZZ=ON) it is a libFuzzer binary; linked with replay.c in the normal
 * build it is a regression driver that feeds files through the same code
 * (tests/fuzz/regressions/<target>/ and corpus/<target>/).
 */
#ifndef FC_FUZZ_H
#define FC_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A NUL-terminated copy of data (the parsers that take C strings); free it. */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        abort();
    if (size)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* Splits a NUL-terminated copy in place at each '\n' into at most n fields;
 * missing fields are NULL.  Returns the number found. */
static inline size_t fuzz_fields(char *s, char **f, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        f[i] = NULL;
    while (s && k < n) {
        char *nl = k + 1 < n ? strchr(s, '\n') : NULL;
        f[k++] = s;
        if (!nl)
            break;
        *nl = '\0';
        s = nl + 1;
    }
    return k;
}

#endif
