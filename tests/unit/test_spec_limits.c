/*
 * test_spec_limits.c - unit tests of the hostile-input pre-scan
 * (specs/limits.c) alone and through the loader: each limit is refused at
 * its line with "what: limit N", a file within the limits passes, syntax
 * errors are left to the loader, and a refused file does not stop the
 * other files of the same load.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "controller/core/fc_error.h"
#include "specs/fc_specs.h"
#include "specs/limits_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GOOD                                                               \
    "apiVersion: finops.dev/v1alpha1\nkind: Budget\nmetadata:\n"           \
    "  name: ok\nspec:\n  amount: 10\n"

static int scan(const char *text, unsigned *line, char *msg, size_t size)
{
    return fc_specs_prescan(text, strlen(text), line, msg, size);
}

/* "[[[...]]]" n deep under a key, in a malloc'd string. */
static char *nested(unsigned n)
{
    char *s = malloc(2 * n + 16);
    size_t k = 0;
    if (!s) /* abort() is noreturn: GCC's -Warray-bounds then sees s != NULL */
        abort();
    k += (size_t)sprintf(s, "a:\n  b: ");
    memset(s + k, '[', n);
    memset(s + k + n, ']', n);
    strcpy(s + k + 2 * n, "\n");
    return s;
}

static void test_spec_limits__within_limits_passes(void **state)
{
    unsigned line = 7;
    char msg[128];
    char *s = nested(FC_SPEC_MAX_DEPTH - 2); /* + the two maps above it */
    (void)state;
    assert_int_equal(scan(GOOD, &line, msg, sizeof(msg)), FC_OK);
    assert_int_equal(line, 0);
    assert_int_equal(scan(s, &line, msg, sizeof(msg)), FC_OK);
    free(s);
}

static void test_spec_limits__depth_refused_at_its_line(void **state)
{
    unsigned line = 0;
    char msg[128];
    char *s = nested(FC_SPEC_MAX_DEPTH - 1);
    char *deep = nested(10000);
    (void)state;
    assert_int_equal(scan(s, &line, msg, sizeof(msg)), FC_EINVALID);
    assert_int_equal(line, 2);
    assert_string_equal(msg, "nesting too deep: limit 64");
    assert_int_equal(scan(deep, &line, msg, sizeof(msg)), FC_EINVALID);
    free(s);
    free(deep);
}

static void test_spec_limits__long_scalar_refused(void **state)
{
    size_t n = FC_SPEC_MAX_SCALAR_BYTES + 1;
    char *s = malloc(n + 32);
    unsigned line = 0;
    char msg[128];
    (void)state;
    if (!s)
        abort();
    strcpy(s, "x: 1\ny: ");
    memset(s + 8, 'v', n);
    strcpy(s + 8 + n, "\n");
    assert_int_equal(scan(s, &line, msg, sizeof(msg)), FC_EINVALID);
    assert_int_equal(line, 2);
    assert_string_equal(msg, "scalar of 65537 bytes: limit 65536");
    s[8 + n - 1] = '\n';
    s[8 + n] = '\0'; /* exactly the limit */
    assert_int_equal(scan(s, &line, msg, sizeof(msg)), FC_OK);
    free(s);
}

static void test_spec_limits__alias_bomb_refused(void **state)
{
    char text[4096];
    size_t k = 0;
    unsigned line = 0;
    char msg[128];
    (void)state;
    k += (size_t)snprintf(text + k, sizeof(text) - k, "a0: &a0 [x]\n");
    for (int i = 1; i < 6; i++)
        k += (size_t)snprintf(text + k, sizeof(text) - k,
                              "a%d: &a%d [*a%d, *a%d, *a%d, *a%d]\n", i, i,
                              i - 1, i - 1, i - 1, i - 1);
    assert_int_equal(scan(text, &line, msg, sizeof(msg)), FC_EINVALID);
    assert_string_equal(msg, "too many YAML aliases: limit 16");
    assert_int_equal(line, 6);
    /* One alias is within the limit (the loader refuses it per document). */
    assert_int_equal(scan("a: &x 1\nb: *x\n", &line, msg, sizeof(msg)), FC_OK);
}

static void test_spec_limits__anchors_refused(void **state)
{
    char text[4096];
    size_t k = 0;
    unsigned line = 0;
    char msg[128];
    (void)state;
    for (int i = 0; i <= FC_SPEC_MAX_ALIASES; i++)
        k += (size_t)snprintf(text + k, sizeof(text) - k, "k%d: &n%d v\n", i, i);
    assert_int_equal(scan(text, &line, msg, sizeof(msg)), FC_EINVALID);
    assert_string_equal(msg, "too many YAML anchors: limit 16");
    assert_int_equal(line, FC_SPEC_MAX_ALIASES + 1);
}

static void test_spec_limits__long_lists_and_maps_refused(void **state)
{
    size_t n = FC_SPEC_MAX_ITEMS + 1, k = 0;
    char *s = malloc(n * 16 + 32);
    unsigned line = 0;
    char msg[128];
    (void)state;
    assert_non_null(s);
    k += (size_t)sprintf(s, "l:\n");
    for (size_t i = 0; i < n; i++)
        k += (size_t)sprintf(s + k, "  - i%zu\n", i);
    assert_int_equal(scan(s, &line, msg, sizeof(msg)), FC_EINVALID);
    assert_string_equal(msg, "more than 4096 entries in one list: limit 4096");
    assert_int_equal(line, FC_SPEC_MAX_ITEMS + 2);
    /* One fewer is fine. */
    *strrchr(s, '-') = '\0';
    assert_int_equal(scan(s, &line, msg, sizeof(msg)), FC_OK);
    k = (size_t)sprintf(s, "m:\n");
    for (size_t i = 0; i < n; i++)
        k += (size_t)sprintf(s + k, "  k%zu: v\n", i);
    assert_int_equal(scan(s, &line, msg, sizeof(msg)), FC_EINVALID);
    assert_string_equal(msg, "more than 4096 entries in one map: limit 4096");
    free(s);
}

static void test_spec_limits__syntax_errors_left_to_the_loader(void **state)
{
    unsigned line = 0;
    char msg[128];
    static const char nul[] = "a: b\0c\n";
    (void)state;
    assert_int_equal(scan("a: [unclosed\n", &line, msg, sizeof(msg)), FC_OK);
    assert_int_equal(fc_specs_prescan(nul, sizeof(nul) - 1, &line, msg, sizeof(msg)),
                     FC_OK);
    assert_int_equal(scan("a: \xff\n", &line, msg, sizeof(msg)), FC_OK);
}

static void test_spec_limits__loader_names_file_and_keeps_others(void **state)
{
    char *deep = nested(200);
    fc_spec_file files[2] = {
        {.path = "finops/deep.yaml", .data = deep, .len = strlen(deep)},
        {.path = "finops/ok.yaml", .data = GOOD, .len = strlen(GOOD)},
    };
    fc_spec_set *set = NULL;
    char buf[256];
    (void)state;
    assert_int_equal(fc_specs_load(&set, files, 2), FC_OK);
    assert_int_equal(set->nerrors, 1);
    fc_spec_error_format(&set->errors[0], buf, sizeof(buf));
    assert_string_equal(buf, "finops/deep.yaml:2: nesting too deep: limit 64");
    assert_int_equal(set->nobjects, 1);
    assert_non_null(fc_specs_find(set, FC_KIND_BUDGET, "ok"));
    fc_spec_set_free(set);
    free(deep);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_limits__within_limits_passes),
        cmocka_unit_test(test_spec_limits__depth_refused_at_its_line),
        cmocka_unit_test(test_spec_limits__long_scalar_refused),
        cmocka_unit_test(test_spec_limits__alias_bomb_refused),
        cmocka_unit_test(test_spec_limits__anchors_refused),
        cmocka_unit_test(test_spec_limits__long_lists_and_maps_refused),
        cmocka_unit_test(test_spec_limits__syntax_errors_left_to_the_loader),
        cmocka_unit_test(test_spec_limits__loader_names_file_and_keeps_others),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
