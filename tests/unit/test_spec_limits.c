/*
 * test_spec_limits.c - unit tests of the hostile-input limits
 * (specs/limits.c) alone and through the loader: each limit is refused at
 * its line with "what: limit N", a file within the limits passes, syntax
 * errors are left to the loader, and a refused file does not stop the
 * other files of the same load.  The documents composed on the way are
 * those of libyaml's yaml_parser_load(), node for node, error for error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "controller/core/fc_error.h"
#include "specs/fc_specs.h"
#include "specs/limits_int.h"
#include "controller/core/fc_util.h"

#include <dirent.h>
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

/* ---- the composed documents are yaml_parser_load()'s ------------------ */

static void same_mark(yaml_mark_t a, yaml_mark_t b)
{
    assert_int_equal(a.index, b.index);
    assert_int_equal(a.line, b.line);
    assert_int_equal(a.column, b.column);
}

static void same_str(const yaml_char_t *a, const yaml_char_t *b)
{
    if (!a || !b)
        assert_ptr_equal(a, b);
    else
        assert_string_equal((const char *)a, (const char *)b);
}

static void same_doc(yaml_document_t *a, yaml_document_t *b)
{
    long n = a->nodes.top - a->nodes.start;

    assert_int_equal(n, b->nodes.top - b->nodes.start);
    assert_int_equal(a->start_implicit, b->start_implicit);
    assert_int_equal(a->end_implicit, b->end_implicit);
    same_mark(a->start_mark, b->start_mark);
    same_mark(a->end_mark, b->end_mark);
    assert_int_equal(!a->version_directive, !b->version_directive);
    if (a->version_directive) {
        assert_int_equal(a->version_directive->major, b->version_directive->major);
        assert_int_equal(a->version_directive->minor, b->version_directive->minor);
    }
    assert_int_equal(a->tag_directives.end - a->tag_directives.start,
                     b->tag_directives.end - b->tag_directives.start);
    for (long i = 0; i < a->tag_directives.end - a->tag_directives.start; i++) {
        same_str(a->tag_directives.start[i].handle, b->tag_directives.start[i].handle);
        same_str(a->tag_directives.start[i].prefix, b->tag_directives.start[i].prefix);
    }
    for (long i = 0; i < n; i++) {
        yaml_node_t *x = &a->nodes.start[i], *y = &b->nodes.start[i];
        assert_int_equal(x->type, y->type);
        same_str(x->tag, y->tag);
        same_mark(x->start_mark, y->start_mark);
        same_mark(x->end_mark, y->end_mark);
        switch (x->type) {
        case YAML_SCALAR_NODE:
            assert_int_equal(x->data.scalar.length, y->data.scalar.length);
            assert_memory_equal(x->data.scalar.value, y->data.scalar.value,
                                x->data.scalar.length + 1);
            assert_int_equal(x->data.scalar.style, y->data.scalar.style);
            break;
        case YAML_SEQUENCE_NODE: {
            long k = x->data.sequence.items.top - x->data.sequence.items.start;
            assert_int_equal(k, y->data.sequence.items.top -
                                    y->data.sequence.items.start);
            if (k)
                assert_memory_equal(x->data.sequence.items.start,
                                    y->data.sequence.items.start,
                                    (size_t)k * sizeof(yaml_node_item_t));
            assert_int_equal(x->data.sequence.style, y->data.sequence.style);
            break;
        }
        case YAML_MAPPING_NODE: {
            long k = x->data.mapping.pairs.top - x->data.mapping.pairs.start;
            assert_int_equal(k, y->data.mapping.pairs.top -
                                    y->data.mapping.pairs.start);
            for (long j = 0; j < k; j++) {
                assert_int_equal(x->data.mapping.pairs.start[j].key,
                                 y->data.mapping.pairs.start[j].key);
                assert_int_equal(x->data.mapping.pairs.start[j].value,
                                 y->data.mapping.pairs.start[j].value);
            }
            assert_int_equal(x->data.mapping.style, y->data.mapping.style);
            break;
        }
        default:
            fail();
        }
    }
}

/* fc_specs_compose() against yaml_parser_load() on one text within the
 * limits: the same documents, then the same error (or none). */
static void same_as_libyaml(const char *text, size_t len, size_t maxdocs)
{
    fc_specs_yaml y;
    yaml_parser_t p;
    yaml_document_t d;
    unsigned line = 0;
    char msg[128];
    size_t i = 0;
    int ok = 1;

    assert_int_equal(fc_specs_compose(&y, text, len, maxdocs, &line, msg,
                                      sizeof(msg)),
                     FC_OK);
    assert_true(yaml_parser_initialize(&p));
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    yaml_parser_set_encoding(&p, YAML_UTF8_ENCODING);
    while (i < maxdocs && (ok = yaml_parser_load(&p, &d)) != 0) {
        if (!yaml_document_get_root_node(&d)) {
            yaml_document_delete(&d);
            break;
        }
        assert_true(i < y.ndocs);
        same_doc(&y.docs[i++], &d);
        yaml_document_delete(&d);
    }
    assert_int_equal(y.ndocs, i);
    assert_int_equal(y.error, ok ? YAML_NO_ERROR : p.error);
    if (!ok) {
        assert_string_equal(y.problem, p.problem);
        same_mark(y.problem_mark, p.problem_mark);
        assert_int_equal(!y.context, !p.context);
        if (p.context) {
            assert_string_equal(y.context, p.context);
            same_mark(y.context_mark, p.context_mark);
        }
    }
    yaml_parser_delete(&p);
    fc_specs_yaml_dispose(&y);
}

static void test_spec_limits__composes_like_libyaml(void **state)
{
    static const char *const texts[] = {
        GOOD,
        GOOD "---\n" GOOD "...\n--- ~\n---\n",
        "%YAML 1.1\n%TAG !e! tag:example.com,2000:\n--- !e!m\n"
        "a: !e!s x\nb: !!str 1\nc: ! y\n? [k, {z: 1}]\n: v\n",
        "a: &x [1, 2]\nb: *x\nc: &y {p: q}\nd: *y\ne: &z s\nf: *z\n",
        "s: \"\\u00e9\\x00t\"\nb: |\n  one\n  two\nf: >-\n  x\n  y\n"
        "q: 'it''s'\n\xc3\xa9t\xc3\xa9: \xe2\x82\xac\n",
        "- a\n- - b\n  - c\n- {d: [e, {f: g}]}\n- ? h\n- \n",
        GOOD "---\nx: *nope\n---\n" GOOD,          /* undefined alias */
        GOOD "---\nx: &a 1\ny: &a [2]\n---\n" GOOD, /* duplicate anchor */
        "x: &a 1\n---\ny: *a\n",                   /* anchors are per document */
        GOOD "---\na: [unclosed\n",                 /* syntax error */
        GOOD "---\na: 1\n b: 2\n",
        "a: b\n\x01\n",                            /* reader error */
        "",
        "# only a comment\n",
        "---\n--- !!null\n--- &a [*a]\n",
    };
    (void)state;
    for (size_t i = 0; i < FC_ARRAY_LEN(texts); i++) {
        same_as_libyaml(texts[i], strlen(texts[i]), 100);
        same_as_libyaml(texts[i], strlen(texts[i]), 1);
    }
}

/* The same over every spec file the tests keep (hostile corpus, golden and
 * demo specs, fuzz seeds) that is within the limits. */
static void test_spec_limits__composes_like_libyaml_on_corpus(void **state)
{
    static const char *const dirs[] = {
        "tests/hostile/specs", "tests/fuzz/corpus/specs",
        "tests/fuzz/regressions/specs", "examples/demo-repo/finops",
    };
    const char *root = getenv("FC_SOURCE_DIR");
    unsigned n = 0;
    (void)state;

    if (!root)
        skip();
    for (size_t i = 0; i < FC_ARRAY_LEN(dirs); i++) {
        char dir[4096], path[8192];
        struct dirent *e;
        DIR *d;

        snprintf(dir, sizeof(dir), "%s/%s", root, dirs[i]);
        if (!(d = opendir(dir)))
            continue;
        while ((e = readdir(d)) != NULL) {
            FILE *f;
            char *buf;
            long len;
            unsigned line;
            char msg[128];

            if (e->d_name[0] == '.')
                continue;
            snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
            if (!(f = fopen(path, "rb")))
                continue;
            if (fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 ||
                len > FC_SPEC_MAX_FILE_BYTES || fseek(f, 0, SEEK_SET) ||
                !(buf = malloc((size_t)len + 1))) {
                fclose(f);
                continue;
            }
            if (fread(buf, 1, (size_t)len, f) == (size_t)len &&
                fc_specs_prescan(buf, (size_t)len, &line, msg, sizeof(msg)) ==
                    FC_OK) {
                same_as_libyaml(buf, (size_t)len, FC_SPEC_MAX_DOCUMENTS + 1);
                n++;
            }
            free(buf);
            fclose(f);
        }
        closedir(d);
    }
    assert_true(n >= 100);
}

static void test_spec_limits__limit_after_a_composer_error_wins(void **state)
{
    char *deep = nested(100);
    size_t len = strlen(deep) + 64;
    char *text = malloc(len);
    fc_specs_yaml y;
    unsigned line = 0;
    char msg[128];
    (void)state;
    if (!text)
        abort();
    /* yaml_parser_load() stops at the alias; the limits go on past it. */
    snprintf(text, len, "a: 1\n---\nx: *nope\n---\n%s", deep);
    assert_int_equal(fc_specs_compose(&y, text, strlen(text), 10, &line, msg,
                                      sizeof(msg)),
                     FC_EINVALID);
    assert_int_equal(line, 6);
    assert_string_equal(msg, "nesting too deep: limit 64");
    assert_int_equal(y.ndocs, 0);
    assert_null(y.docs);
    free(text);
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
        cmocka_unit_test(test_spec_limits__composes_like_libyaml),
        cmocka_unit_test(test_spec_limits__composes_like_libyaml_on_corpus),
        cmocka_unit_test(test_spec_limits__limit_after_a_composer_error_wins),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
