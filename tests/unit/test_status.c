/*
 * test_status.c - the status tree and its deterministic YAML emitter.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "controller/core/fc_error.h"
#include "controller/status/fc_status.h"
#include "controller/core/fc_util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *emit(struct json_object *o)
{
    fc_buf b;
    fc_buf_init(&b);
    assert_int_equal(fc_yaml_emit(&b, o), FC_OK);
    return fc_buf_detach(&b);
}

static void test_status__keys_sorted_at_every_level(void **state)
{
    struct json_object *o = json_object_new_object();
    struct json_object *inner = json_object_new_object();
    char *y;
    (void)state;
    json_object_object_add(inner, "zeta", json_object_new_int(1));
    json_object_object_add(inner, "alpha", json_object_new_int(2));
    json_object_object_add(o, "b", inner);
    json_object_object_add(o, "a", json_object_new_string("x"));
    y = emit(o);
    assert_string_equal(y, "a: x\nb:\n  alpha: 2\n  zeta: 1\n");
    free(y);
    json_object_put(o);
}

static void test_status__insertion_order_does_not_change_bytes(void **state)
{
    struct json_object *a = json_object_new_object();
    struct json_object *b = json_object_new_object();
    char *ya, *yb;
    (void)state;
    json_object_object_add(a, "count", json_object_new_int(1));
    json_object_object_add(a, "saving", fc_status_number(2.5, 2));
    json_object_object_add(b, "saving", fc_status_number(2.5, 2));
    json_object_object_add(b, "count", json_object_new_int(1));
    ya = emit(a);
    yb = emit(b);
    assert_string_equal(ya, yb);
    assert_string_equal(ya, "count: 1\nsaving: 2.50\n");
    free(ya);
    free(yb);
    json_object_put(a);
    json_object_put(b);
}

static void test_status__ambiguous_strings_are_quoted(void **state)
{
    struct json_object *o = json_object_new_object();
    char *y;
    (void)state;
    json_object_object_add(o, "account", json_object_new_string("123456789012"));
    json_object_object_add(o, "flag", json_object_new_string("true"));
    json_object_object_add(o, "empty", json_object_new_string(""));
    json_object_object_add(o, "date", json_object_new_string("2026-11-01"));
    json_object_object_add(o, "plain", json_object_new_string("eu-west-1"));
    json_object_object_add(o, "real", json_object_new_boolean(1));
    y = emit(o);
    assert_non_null(strstr(y, "account: \"123456789012\"\n"));
    assert_non_null(strstr(y, "flag: \"true\"\n"));
    assert_non_null(strstr(y, "empty: \"\"\n"));
    assert_non_null(strstr(y, "date: \"2026-11-01\"\n"));
    assert_non_null(strstr(y, "plain: eu-west-1\n"));
    assert_non_null(strstr(y, "real: true\n"));
    free(y);
    json_object_put(o);
}

/* Emits o, which it then frees, and compares the bytes with want. */
static void expect_emit(struct json_object *o, const char *want, const char *what)
{
    char *y = emit(o);
    if (strcmp(y, want) != 0)
        fail_msg("'%s': got %s", what, y);
    free(y);
    json_object_put(o);
}

/* What strtod reads whole is quoted; what it stops in is not, whatever
 * bytes its quick checks skip it for.  Values and keys alike. */
static void test_status__number_like_strings(void **state)
{
    static const struct {
        const char *s;
        int quoted;
    } cases[] = {
        {"0.119", 1}, {"1e5", 1}, {"1.5e+3", 1}, {"0x1F", 1}, {"0x1p3", 1}, {"007", 1},
        {"1.", 1}, {".5", 1}, {"+1", 1}, {"-12", 1}, {" 1", 1}, {"nan", 1}, {"NaN", 1},
        {"nan(123)", 1}, {"inf", 1}, {"-inf", 1}, {"Infinity", 1}, {"12:30", 1},
        {"1-2", 1}, {"2026-11-20T12:00:00Z", 1}, {"12abc", 0}, {"1.2.3", 0}, {"1e", 0},
        {"0x", 0}, {"12 34", 0}, {"3 GiB", 0}, {"1/2", 0}, {"info", 0}, {"ninja", 0},
        {"infinityx", 0}, {"nano", 0}, {"index", 0}, {"Inferred", 0}, {"1_000", 0},
        /* words: YAML 1.1 bools and null in any case, and their neighbours */
        {"On", 1}, {"oN", 1}, {"OFF", 1}, {"Y", 1}, {"n", 1}, {"Null", 1}, {"yEs", 1},
        {"FALSE", 1}, {"INF", 1}, {"iNfInItY", 1}, {"one", 0}, {"offset", 0}, {"type", 0},
        {"id", 0}, {"yes-no", 0}, {"nulls", 0}, {"no.", 0}, {"name", 0}, {"o", 0},
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct json_object *value = json_object_new_object(), *key = json_object_new_object();
        char want[64];
        json_object_object_add(value, "v", json_object_new_string(cases[i].s));
        snprintf(want, sizeof(want), cases[i].quoted ? "v: \"%s\"\n" : "v: %s\n",
                 cases[i].s);
        expect_emit(value, want, cases[i].s);
        json_object_object_add(key, cases[i].s, json_object_new_int(1));
        snprintf(want, sizeof(want), cases[i].quoted ? "\"%s\": 1\n" : "%s: 1\n",
                 cases[i].s);
        expect_emit(key, want, cases[i].s);
    }
}

static void test_status__empty_containers_are_flow(void **state)
{
    struct json_object *o = json_object_new_object();
    char *y;
    (void)state;
    json_object_object_add(o, "list", json_object_new_array());
    json_object_object_add(o, "map", json_object_new_object());
    y = emit(o);
    assert_string_equal(y, "list: []\nmap: {}\n");
    free(y);
    json_object_put(o);
}

static void test_status__number_text_is_fixed(void **state)
{
    struct json_object *o = json_object_new_object();
    char *y;
    (void)state;
    json_object_object_add(o, "a", fc_status_number(77.3799999, 2));
    json_object_object_add(o, "b", fc_status_number(-0.0, 1));
    y = emit(o);
    assert_string_equal(y, "a: 77.38\nb: 0.0\n");
    free(y);
    json_object_put(o);
}

/* Numbers are written without printf where the digits are certain: the
 * text must be printf's, ties and near ties included. */
static void test_status__number_text_matches_printf(void **state)
{
    static const double fixed[] = {0, 1, -1, 9, 10, 99, 100, 12345678, -987654321,
                                   999999999999999.0, -999999999999999.0, 1e15, -1e15,
                                   4e18, 0.5, -0.5, 2.5, 1.005, 77.3799999, 1e-9,
                                   0.125, 0.375, -0.125, 1.5, 0.0049999999, -0.001,
                                   999999999.995, 1e9, 0.045, 2.675, 1.0000005, -7.5e-7};
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    int i, d;
    (void)state;
    for (i = 0; i < 20000; i++) {
        double v;
        char want[64], *y;
        struct json_object *o = json_object_new_object();
        if (i < (int)(sizeof(fixed) / sizeof(fixed[0])))
            v = fixed[i];
        else {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            v = (double)(int64_t)(x % 2000000000001ULL) - 1e12;
            if (i % 3 == 0)
                v /= 100.0; /* cents: mostly not whole */
            if (i % 5 == 0)
                v *= 1e4; /* up to 1e16: past the fast path's range */
            if (i % 7 == 0)
                v /= 1e9; /* small, with more decimals than printed */
            if (i % 11 == 0)
                v = (double)(int64_t)(x % 20001) / 8.0 - 1250.0; /* exact halves */
        }
        d = i % 8; /* past the 6 decimals of the fast path too */
        snprintf(want, sizeof(want), "%s: %.*f\n", "a", d, v == 0 ? 0.0 : v);
        json_object_object_add(o, "a", fc_status_number(v, d));
        y = emit(o);
        assert_string_equal(y, want);
        free(y);
        json_object_put(o);
    }
}

/* The shared formatters alone (engines' evidence uses them without the
 * writer's -0 fold): printf's text for signed zeros, ties, and integers. */
static void test_status__fixed_text_matches_printf(void **state)
{
    static const double fixed[] = {-0.0, 0.0, -0.001, -0.004999, 0.005, -2.5, 1e9,
                                   -999999999.995, 123.456789, 5e-324, 1e300};
    uint64_t x = 0xd1b54a32d192ed03ULL;
    char got[64], want[64];
    int i, d;
    (void)state;
    for (i = 0; i < 200000; i++) {
        double v;
        if (i < (int)(sizeof(fixed) / sizeof(fixed[0])) * 8)
            v = fixed[i / 8];
        else {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            v = ((double)(x >> 11) * 0x1p-53 - 0.5) * (i % 2 ? 2e3 : 2e9);
            if (i % 3 == 0)
                v = (double)(int64_t)(v * 1000) / 1000;
        }
        d = i % 8;
        fc_fixed_text(got, sizeof(got), v, d);
        snprintf(want, sizeof(want), "%.*f", d, v);
        if (strcmp(got, want) != 0)
            fail_msg("%.17g with %d decimals: got %s, printf %s", v, d, got, want);
        fc_u64_text(got, x);
        snprintf(want, sizeof(want), "%" PRIu64, x);
        assert_string_equal(got, want);
    }
    assert_int_equal(fc_u64_text(got, 0), 1);
    assert_string_equal(got, "0");
    assert_int_equal(fc_u64_text(got, UINT64_MAX), 20);
    assert_string_equal(got, "18446744073709551615");
}

static void test_status__condition_keeps_transition_time_when_unchanged(void **state)
{
    struct json_object *conds = json_object_new_array();
    struct json_object *doc = json_object_new_object();
    struct json_object *st = json_object_new_object();
    struct json_object *c2;
    char *prev;
    (void)state;
    /* 2026-11-01T00:00:00Z */
    assert_int_equal(fc_status_condition(conds, "Ready", 1, "Ok", "fine",
                                         1793491200, NULL, 0), FC_OK);
    json_object_object_add(st, "conditions", conds);
    json_object_object_add(doc, "status", st);
    prev = emit(doc);
    assert_non_null(strstr(prev, "lastTransitionTime: \"2026-11-01T00:00:00Z\""));

    /* Same status a day later: time kept. */
    c2 = json_object_new_array();
    assert_int_equal(fc_status_condition(c2, "Ready", 1, "Ok", "other message",
                                         1793491200 + 86400, prev, strlen(prev)), FC_OK);
    assert_string_equal(json_object_get_string(json_object_object_get(
                            json_object_array_get_idx(c2, 0), "lastTransitionTime")),
                        "2026-11-01T00:00:00Z");
    /* Flipped status: time moves to now. */
    assert_int_equal(fc_status_condition(c2, "Ready", 0, "Broken", "x",
                                         1793491200 + 86400, prev, strlen(prev)), FC_OK);
    assert_string_equal(json_object_get_string(json_object_object_get(
                            json_object_array_get_idx(c2, 1), "lastTransitionTime")),
                        "2026-11-02T00:00:00Z");
    /* A condition type absent before starts now. */
    assert_int_equal(fc_status_condition(c2, "Valid", 1, "Ok", "x",
                                         1793491200 + 86400, prev, strlen(prev)), FC_OK);
    assert_string_equal(json_object_get_string(json_object_object_get(
                            json_object_array_get_idx(c2, 2), "lastTransitionTime")),
                        "2026-11-02T00:00:00Z");
    free(prev);
    json_object_put(c2);
    json_object_put(doc);
}

static void test_status__garbage_previous_file_is_ignored(void **state)
{
    struct json_object *conds = json_object_new_array();
    const char *junk = "{{{: [";
    (void)state;
    assert_int_equal(fc_status_condition(conds, "Ready", 1, "Ok", "m", 1793491200,
                                         junk, strlen(junk)), FC_OK);
    assert_string_equal(json_object_get_string(json_object_object_get(
                            json_object_array_get_idx(conds, 0), "lastTransitionTime")),
                        "2026-11-01T00:00:00Z");
    json_object_put(conds);
}

static void test_status__tree_replaces_and_sorts(void **state)
{
    fc_status_tree t;
    struct json_object *o = json_object_new_object();
    (void)state;
    fc_status_tree_init(&t);
    json_object_object_add(o, "k", json_object_new_string("v1"));
    assert_int_equal(fc_status_tree_add(&t, "status/b.yaml", o), FC_OK);
    assert_int_equal(fc_status_tree_add_raw(&t, "status/a.yaml", "x\n", 2), FC_OK);
    json_object_object_add(o, "k", json_object_new_string("v2"));
    assert_int_equal(fc_status_tree_add(&t, "status/b.yaml", o), FC_OK);
    fc_status_tree_sort(&t);
    assert_int_equal(t.n, 2);
    assert_string_equal(t.files[0].path, "status/a.yaml");
    assert_string_equal(t.files[1].data, "k: v2\n");
    assert_non_null(fc_status_tree_get(&t, "status/a.yaml"));
    assert_null(fc_status_tree_get(&t, "status/c.yaml"));
    fc_status_tree_dispose(&t);
    json_object_put(o);
}

/* Reserving is a hint: files before it stay found and replaceable, more
 * than reserved still fit, and a smaller reserve keeps the larger index. */
static void test_status__tree_reserve_keeps_files(void **state)
{
    fc_status_tree t;
    char path[64], data[32];
    size_t i;
    (void)state;
    fc_status_tree_init(&t);
    assert_int_equal(fc_status_tree_add_raw(&t, "status/early.yaml", "a\n", 2), FC_OK);
    assert_int_equal(fc_status_tree_reserve(&t, 1000), FC_OK);
    assert_true(t.cap >= 1000);
    assert_non_null(fc_status_tree_get(&t, "status/early.yaml"));
    for (i = 0; i < 3000; i++) {
        snprintf(path, sizeof(path), "status/f-%05zu.yaml", i % 2000);
        snprintf(data, sizeof(data), "n: %zu\n", i);
        assert_int_equal(fc_status_tree_add_raw(&t, path, data, strlen(data)), FC_OK);
        if (i == 1500)
            assert_int_equal(fc_status_tree_reserve(&t, 10), FC_OK);
    }
    assert_int_equal(fc_status_tree_add_raw(&t, "status/early.yaml", "b\n", 2), FC_OK);
    assert_int_equal(t.n, 2001);
    assert_string_equal(fc_status_tree_get(&t, "status/early.yaml")->data, "b\n");
    assert_string_equal(fc_status_tree_get(&t, "status/f-00007.yaml")->data, "n: 2007\n");
    assert_string_equal(fc_status_tree_get(&t, "status/f-01999.yaml")->data, "n: 1999\n");
    fc_status_tree_sort(&t);
    assert_string_equal(t.files[0].path, "status/early.yaml");
    assert_string_equal(t.files[2000].path, "status/f-01999.yaml");
    fc_status_tree_dispose(&t);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The tree sorts by path whatever the order of adds: sorted runs (as a
 * pass writes directories), many runs, reversed, shuffled. */
static void test_status__tree_sort_orders_any_runs(void **state)
{
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    int round;
    (void)state;
    for (round = 0; round < 300; round++) {
        fc_status_tree t;
        size_t n, i, nruns;
        char **want;
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        n = (size_t)(x % 400);
        nruns = 1 + (size_t)((x >> 9) % (round % 3 == 0 ? 200 : 6));
        fc_status_tree_init(&t);
        want = calloc(n + 1, sizeof(*want));
        assert_non_null(want);
        for (i = 0; i < n; i++) {
            char path[64];
            size_t run = i * nruns / n; /* runs added one after another */
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            /* Each run ascending, the runs' directories out of order; odd
             * rounds shuffle paths within a run too. */
            snprintf(path, sizeof(path), "status/d%03zu/%06zu-%llu.yaml", run * 37 % 211,
                     round % 2 ? (size_t)(x % 1000000) : i,
                     (unsigned long long)(round % 2 ? i : 0));
            if (round % 5 == 4) /* reversed order */
                snprintf(path, sizeof(path), "status/r/%06zu.yaml", n - i);
            want[i] = strdup(path);
            assert_int_equal(fc_status_tree_add_raw(&t, path, "x", 1), FC_OK);
        }
        fc_status_tree_sort(&t);
        if (n > 1)
            qsort(want, n, sizeof(*want), cmp_str);
        assert_int_equal(t.n, n);
        for (i = 0; i < n; i++) {
            assert_string_equal(t.files[i].path, want[i]);
            free(want[i]);
        }
        free(want);
        assert_true(n == 0 || fc_status_tree_get(&t, t.files[n / 2].path) == &t.files[n / 2]);
        fc_status_tree_dispose(&t);
    }
}

/* ---- the direct writer matches libyaml ---------------------------------- */

static uint64_t rng_state;
static int safe_only; /* pieces the direct writer takes, no "- - x" */

static unsigned rnd(unsigned n)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (unsigned)(rng_state >> 33) % n;
}

/* Strings built from pieces that hit every branch: words, spaces in runs,
 * indicators first and inside, quotes, '#', numbers, dates, booleans. */
static struct json_object *random_string(void)
{
    static const char *const pieces[] = {
        "word", "x", "dry-run:", ": ", ":", " ", "  ", "-", "- ", "'", "''", "#", " #",
        "\"", "\\", "12", "3.5", "2026-11-20T12:00:00Z", "true", "No", "~", "---", "...",
        "?", "? ", ",", "[a]", "{b}", "&", "*", "!", "|", ">", "%", "@", "`", "i-0abc123",
        "USD/month", "(old-vpn-root)", "a=b", "\t", "é", "null", "0x1F", "inf", "", "\x7f",
        "a-very-long-token-without-any-spaces-that-keeps-going-and-going-beyond-width",
    };
    char buf[600] = "";
    unsigned n = rnd(40), i;
    for (i = 0; i < n && strlen(buf) < 500; i++) {
        const char *p = pieces[rnd((unsigned)(sizeof(pieces) / sizeof(pieces[0])))];
        if (safe_only && strpbrk(p, "#\"\\\t\xc3\x7f"))
            continue;
        strcat(buf, p);
    }
    if (safe_only) { /* no leading or trailing space */
        size_t len = strlen(buf);
        while (len && buf[len - 1] == ' ')
            buf[--len] = '\0';
        return json_object_new_string(buf + strspn(buf, " "));
    }
    return json_object_new_string(buf);
}

static struct json_object *random_value(int depth);

static struct json_object *random_object(int depth)
{
    static const char *const keys[] = {"a", "message", "summary", "402918374651", "true",
                                       "b c", "x:y", "-k", "'q", "long key with spaces",
                                       "", "z", "account", "id", "name", "type", "on"};
    /* Plain words, and words a reader takes for something else: values a
     * status document writes most, "key: word" in one piece. */
    static const char *const words[] = {"word", "i-0abc123", "eu-west-1", "USD/month",
                                        "v1.2_x", "gp3", "idle", "No", "null", "y",
                                        "inf", "Running"};
    struct json_object *o = json_object_new_object();
    unsigned n = rnd(6), i;
    for (i = 0; i < n; i++) {
        const char *k = keys[rnd((unsigned)FC_ARRAY_LEN(keys))];
        if (rnd(3) == 0)
            json_object_object_add(o, k, json_object_new_string(words[rnd(12)]));
        else
            json_object_object_add(o, k, random_value(depth + 1));
    }
    return o;
}

static struct json_object *random_value(int depth)
{
    unsigned k = rnd(depth > 4 ? 5 : 8);
    struct json_object *a;
    unsigned n, i;
    switch (k) {
    case 0:
        return json_object_new_int((int)rnd(100000) - 500);
    case 1:
        return fc_status_number((double)rnd(100000) / 7.0, (int)rnd(4));
    case 2:
        return json_object_new_boolean((int)rnd(2));
    case 3:
        return NULL;
    case 4:
        return random_string();
    case 5:
    case 6:
        return random_object(depth);
    default:
        a = json_object_new_array();
        n = rnd(4);
        for (i = 0; i < n; i++) {
            struct json_object *v = random_value(depth + 1);
            if (safe_only && json_object_is_type(v, json_type_array) &&
                json_object_array_length(v)) {
                json_object_put(v);
                v = random_string();
            }
            json_object_array_add(a, v);
        }
        return a;
    }
}

static void test_status__direct_writer_matches_libyaml(void **state)
{
    unsigned i;
    (void)state;
    rng_state = 42;
    for (i = 0; i < 4000; i++) {
        struct json_object *doc;
        fc_buf a, b;
        safe_only = i % 2;
        doc = random_object(0);
        fc_buf_init(&a);
        fc_buf_init(&b);
        /* Safe documents (but an empty root) must take the direct path. */
        if (safe_only && json_object_object_length(doc))
            assert_int_equal(fc_yaml_emit_direct(&a, doc), FC_OK);
        else
            assert_int_equal(fc_yaml_emit(&a, doc), FC_OK);
        assert_int_equal(fc_yaml_emit_libyaml(&b, doc), FC_OK);
        if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
            fail_msg("document %u differs:\n--- direct\n%s\n--- libyaml\n%s", i, a.data,
                     b.data);
        fc_buf_dispose(&a);
        fc_buf_dispose(&b);
        json_object_put(doc);
    }
}

/* ---- the streaming writer matches fc_yaml_emit -------------------------- */

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Set while a bounded writer may refuse a document mid-way. */
static int yw_soft;
#define YW_CALL(x)                                                                        \
    do {                                                                                  \
        int rc_ = (x);                                                                    \
        if (!yw_soft)                                                                     \
            assert_int_equal(rc_, FC_OK);                                                 \
    } while (0)

/* Writes o through w as a caller would: keys sorted, numbers by decimals. */
static void yw_write(fc_yw *w, struct json_object *o)
{
    const char *text, *dot, *keys[64];
    size_t n = 0, i;

    switch (json_object_get_type(o)) {
    case json_type_null:
        YW_CALL(fc_yw_str(w, NULL));
        return;
    case json_type_boolean:
        YW_CALL(fc_yw_bool(w, json_object_get_boolean(o)));
        return;
    case json_type_int:
        YW_CALL(fc_yw_int(w, json_object_get_int64(o)));
        return;
    case json_type_double: /* made by fc_status_number(v, decimals) */
        text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
        dot = strchr(text, '.');
        YW_CALL(fc_yw_number(w, json_object_get_double(o),
                                      dot ? (int)strlen(dot + 1) : 0));
        return;
    case json_type_string:
        YW_CALL(fc_yw_str(w, json_object_get_string(o)));
        return;
    case json_type_array:
        YW_CALL(fc_yw_seq_begin(w));
        for (i = 0; i < json_object_array_length(o); i++)
            yw_write(w, json_object_array_get_idx(o, i));
        YW_CALL(fc_yw_seq_end(w));
        return;
    case json_type_object: {
        json_object_object_foreach(o, k, v)
        {
            (void)v;
            assert_true(n < 64);
            keys[n++] = k;
        }
        qsort(keys, n, sizeof(*keys), str_cmp);
        YW_CALL(fc_yw_map_begin(w));
        for (i = 0; i < n; i++) {
            YW_CALL(fc_yw_key(w, keys[i]));
            yw_write(w, json_object_object_get(o, keys[i]));
        }
        YW_CALL(fc_yw_map_end(w));
        return;
    }
    }
    fail();
}

static void expect_same_bytes(fc_yw *w, struct json_object *doc, unsigned i)
{
    fc_buf a, b;
    fc_buf_init(&a);
    fc_buf_init(&b);
    assert_int_equal(fc_buf_puts(&a, "kept:"), FC_OK); /* finish appends */
    assert_int_equal(fc_buf_puts(&b, "kept:"), FC_OK);
    yw_write(w, doc);
    assert_int_equal(fc_yw_finish(w, &a), FC_OK);
    assert_int_equal(fc_yaml_emit(&b, doc), FC_OK);
    if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
        fail_msg("document %u differs:\n--- fc_yw\n%s\n--- fc_yaml_emit\n%s", i, a.data,
                 b.data);
    fc_buf_dispose(&a);
    fc_buf_dispose(&b);
}

static void test_status__stream_writer_matches_emit(void **state)
{
    static const char *const strings[] = {
        "plain words", "yes", "No", "on", "~", "null", "true", "1.0", "42", "-7", "0x1F",
        "2026-11-20", "12:30", "", " leading", "trailing ", "a: b", "a:b", "x #y", "#x",
        "- item", "-x", "? q", "'quoted'", "it's", "say \"hi\"", "back\\slash",
        "multi\nline", "tab\there", "unicode \xc3\xbc and \xe2\x82\xac", "---", "...x",
        "[a]", "{b}", "&a", "*a", "!t", "|", ">", "%p", "@a", "`b", ",c",
        "a long message that goes well beyond the hundred column width of the emitter so "
        "that it folds at a space once the column passes the width, twice even, with "
        "'quotes' and: colons",
    };
    struct json_object *doc = json_object_new_object();
    struct json_object *inner = json_object_new_object();
    struct json_object *list = json_object_new_array();
    fc_yw w;
    char key[16];
    unsigned i;
    (void)state;

    for (i = 0; i < FC_ARRAY_LEN(strings); i++) {
        struct json_object *item = json_object_new_object();
        snprintf(key, sizeof(key), "k%02u", i);
        json_object_object_add(doc, key, json_object_new_string(strings[i]));
        json_object_object_add(item, "text", json_object_new_string(strings[i]));
        json_object_object_add(item, "n", json_object_new_int((int)i - 3));
        json_object_array_add(list, item);
        json_object_array_add(list, json_object_new_string(strings[i]));
    }
    /* Keys that need quotes too. */
    json_object_object_add(inner, "yes", json_object_new_string("k"));
    json_object_object_add(inner, "a key: with colon", json_object_new_boolean(0));
    json_object_object_add(inner, "402918374651", NULL);
    json_object_object_add(inner, "empty map", json_object_new_object());
    json_object_object_add(inner, "empty seq", json_object_new_array());
    json_object_object_add(inner, "money", fc_status_number(-0.0, 2));
    json_object_object_add(inner, "ratio", fc_status_number(1234.5678, 3));
    json_object_object_add(inner, "whole", fc_status_number(7, 0));
    json_object_object_add(inner, "big", json_object_new_int64(INT64_MIN));
    json_object_object_add(doc, "inner", inner);
    json_object_object_add(doc, "list", list);
    json_object_object_add(doc, "nothing", NULL);

    fc_yw_init(&w);
    expect_same_bytes(&w, doc, 0);
    /* Each string alone as a value and as a key, in a mapping and a list. */
    for (i = 0; i < FC_ARRAY_LEN(strings); i++) {
        struct json_object *one = json_object_new_object();
        struct json_object *seq = json_object_new_array();
        json_object_array_add(seq, json_object_new_string(strings[i]));
        json_object_object_add(one, strings[i], json_object_new_string(strings[i]));
        json_object_object_add(one, "zz", seq);
        expect_same_bytes(&w, one, i + 1);
        json_object_put(one);
    }
    /* The random documents of the test above, every shape the writers know
     * and those only libyaml takes. */
    rng_state = 7;
    for (i = 0; i < 3000; i++) {
        struct json_object *r;
        safe_only = i % 2;
        r = random_object(0);
        expect_same_bytes(&w, r, 1000 + i);
        json_object_put(r);
    }
    fc_yw_dispose(&w);
    json_object_put(doc);
}

/* A bounded writer renders without its log: a document it can render gives
 * the same bytes, one it cannot fails with FC_EUNSUPPORTED and the same
 * writer, unbounded, writes it. */
static void test_status__bounded_writer_matches_emit(void **state)
{
    fc_yw w;
    unsigned i, refused = 0, rendered_past_bound = 0;
    (void)state;

    fc_yw_init(&w);
    rng_state = 11;
    for (i = 0; i < 3000; i++) {
        struct json_object *r;
        fc_buf a, b;
        int rc;
        safe_only = i % 2;
        r = random_object(0);
        fc_buf_init(&a);
        fc_buf_init(&b);
        fc_yw_bound(&w, 48);
        yw_soft = 1;
        yw_write(&w, r);
        yw_soft = 0;
        rendered_past_bound += w.log.len < w.text.len && w.text.len > 48;
        rc = fc_yw_finish(&w, &a);
        if (rc == FC_EUNSUPPORTED) {
            refused++;
            fc_yw_bound(&w, 0);
            yw_write(&w, r);
            rc = fc_yw_finish(&w, &a);
        }
        assert_int_equal(rc, FC_OK);
        assert_int_equal(fc_yaml_emit(&b, r), FC_OK);
        if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
            fail_msg("document %u differs:\n--- bounded\n%s\n--- fc_yaml_emit\n%s", i,
                     a.data, b.data);
        fc_buf_dispose(&a);
        fc_buf_dispose(&b);
        json_object_put(r);
    }
    /* Both ways were taken. */
    assert_true(refused > 0);
    assert_true(rendered_past_bound > 0);

    /* Keys are still checked for order once the log is dropped. */
    fc_yw_bound(&w, 16);
    assert_int_equal(fc_yw_map_begin(&w), FC_OK);
    assert_int_equal(fc_yw_kstr(&w, "m", "a value longer than the bound"), FC_OK);
    assert_int_equal(fc_yw_key(&w, "n"), FC_OK);
    assert_int_equal(fc_yw_seq_begin(&w), FC_OK);
    for (i = 0; i < 20; i++)
        assert_int_equal(fc_yw_str(&w, "item"), FC_OK);
    assert_int_equal(fc_yw_seq_end(&w), FC_OK);
    assert_true(w.log.len < 40);
    assert_int_equal(fc_yw_key(&w, "n"), FC_EINVALID);
    fc_yw_reset(&w);
    fc_yw_dispose(&w);
}

/* The tree keeps a taken buffer (shrunk) and frees it when replaced or on
 * dispose; a large streamed document moves into the tree. */
static void test_status__tree_takes_buffers(void **state)
{
    fc_status_tree t;
    struct json_object *doc = json_object_new_object(), *list = json_object_new_array();
    const fc_status_file *f;
    char *big = malloc(1 << 20), *small = malloc(16);
    fc_buf want;
    fc_yw w;
    size_t i;
    (void)state;

    assert_non_null(big);
    assert_non_null(small);
    fc_status_tree_init(&t);
    memcpy(big, "a: 1\n", 5);
    assert_int_equal(fc_status_tree_add_take(&t, "status/a.yaml", big, 5), FC_OK);
    memcpy(small, "a: 2\n", 5);
    assert_int_equal(fc_status_tree_add_take(&t, "status/a.yaml", small, 5), FC_OK);
    assert_non_null(f = fc_status_tree_get(&t, "status/a.yaml"));
    assert_int_equal(f->len, 5);
    assert_string_equal(f->data, "a: 2\n");

    /* 20,000 items: past the writer's kept buffer size. */
    for (i = 0; i < 20000; i++) {
        struct json_object *o = json_object_new_object();
        json_object_object_add(o, "id", json_object_new_int64((int64_t)i));
        json_object_object_add(o, "name", json_object_new_string("resource"));
        json_object_array_add(list, o);
    }
    json_object_object_add(doc, "resources", list);
    fc_buf_init(&want);
    assert_int_equal(fc_yaml_emit(&want, doc), FC_OK);
    fc_yw_init(&w);
    fc_yw_bound(&w, 4096);
    yw_write(&w, doc);
    assert_int_equal(fc_status_tree_add_yw(&t, "status/big.yaml", &w), FC_OK);
    assert_null(w.text.data); /* moved, not kept */
    assert_non_null(f = fc_status_tree_get(&t, "status/big.yaml"));
    assert_int_equal(f->len, want.len);
    assert_memory_equal(f->data, want.data, want.len);
    /* The writer goes on with the next document. */
    assert_int_equal(fc_yw_map_begin(&w), FC_OK);
    assert_int_equal(fc_yw_kstr(&w, "k", "v"), FC_OK);
    assert_int_equal(fc_yw_map_end(&w), FC_OK);
    assert_int_equal(fc_status_tree_add_yw(&t, "status/small.yaml", &w), FC_OK);
    assert_string_equal(fc_status_tree_get(&t, "status/small.yaml")->data, "k: v\n");
    fc_yw_dispose(&w);
    fc_buf_dispose(&want);
    json_object_put(doc);
    fc_status_tree_dispose(&t);
}

static void test_status__stream_writer_refuses_misuse(void **state)
{
    fc_yw w;
    fc_buf out;
    (void)state;
    fc_yw_init(&w);
    fc_buf_init(&out);

    /* Keys out of strcmp order would not give fc_yaml_emit's bytes. */
    assert_int_equal(fc_yw_map_begin(&w), FC_OK);
    assert_int_equal(fc_yw_kstr(&w, "b", "x"), FC_OK);
    assert_int_equal(fc_yw_key(&w, "a"), FC_EINVALID);
    assert_int_equal(fc_yw_str(&w, "y"), FC_EINVALID); /* sticky */
    assert_int_equal(fc_yw_map_end(&w), FC_EINVALID);
    assert_int_equal(fc_yw_finish(&w, &out), FC_EINVALID);
    assert_int_equal(out.len, 0);

    /* Upper case sorts before lower case, as strcmp has it. */
    assert_int_equal(fc_yw_map_begin(&w), FC_OK);
    assert_int_equal(fc_yw_kstr(&w, "lastTransitionTime", "t"), FC_OK);
    assert_int_equal(fc_yw_kstr(&w, "Zeta", "z"), FC_EINVALID);
    fc_yw_reset(&w);

    /* A repeated key, in a nested mapping; order is per mapping. */
    assert_int_equal(fc_yw_map_begin(&w), FC_OK);
    assert_int_equal(fc_yw_key(&w, "m"), FC_OK);
    assert_int_equal(fc_yw_map_begin(&w), FC_OK);
    assert_int_equal(fc_yw_kstr(&w, "z", "1"), FC_OK);
    assert_int_equal(fc_yw_map_end(&w), FC_OK);
    assert_int_equal(fc_yw_key(&w, "n"), FC_OK);
    assert_int_equal(fc_yw_map_begin(&w), FC_OK);
    assert_int_equal(fc_yw_kstr(&w, "a", "1"), FC_OK);
    assert_int_equal(fc_yw_kstr(&w, "a", "2"), FC_EINVALID);
    fc_yw_reset(&w);

    /* A value without a key, a key in a sequence, unbalanced ends. */
    assert_int_equal(fc_yw_map_begin(&w), FC_OK);
    assert_int_equal(fc_yw_str(&w, "v"), FC_EINVALID);
    fc_yw_reset(&w);
    assert_int_equal(fc_yw_seq_begin(&w), FC_OK);
    assert_int_equal(fc_yw_key(&w, "k"), FC_EINVALID);
    fc_yw_reset(&w);
    assert_int_equal(fc_yw_map_begin(&w), FC_OK);
    assert_int_equal(fc_yw_seq_end(&w), FC_EINVALID);
    fc_yw_reset(&w);
    assert_int_equal(fc_yw_map_begin(&w), FC_OK);
    assert_int_equal(fc_yw_finish(&w, &out), FC_EINVALID); /* not closed */
    assert_int_equal(out.len, 0);

    /* After a reset the writer serves the next document. */
    assert_int_equal(fc_yw_map_begin(&w), FC_OK);
    assert_int_equal(fc_yw_kstr(&w, "a", NULL), FC_OK);
    assert_int_equal(fc_yw_map_end(&w), FC_OK);
    assert_int_equal(fc_yw_finish(&w, &out), FC_OK);
    assert_string_equal(out.data, "a: null\n");
    fc_buf_dispose(&out);
    fc_yw_dispose(&w);
}

static void test_status__stream_condition_matches_json(void **state)
{
    static const char prev[] = "status:\n"
                               "  conditions:\n"
                               "  - lastTransitionTime: '2020-01-01T00:00:00Z'\n"
                               "    status: 'True'\n"
                               "    type: Ready\n"
                               "  - lastTransitionTime: '2020-01-02T00:00:00Z'\n"
                               "    status: 'True'\n"
                               "    type: Valid\n";
    struct json_object *doc = json_object_new_object(), *conds = json_object_new_array();
    fc_yw w;
    fc_buf a, b;
    (void)state;
    /* Ready held (time kept), Valid flipped (now). */
    assert_int_equal(fc_status_condition(conds, "Ready", 1, "Ok", "fine", 1700000000, prev,
                                         sizeof(prev) - 1), FC_OK);
    assert_int_equal(fc_status_condition(conds, "Valid", 0, "Bad", NULL, 1700000000, prev,
                                         sizeof(prev) - 1), FC_OK);
    json_object_object_add(doc, "conditions", conds);
    fc_yw_init(&w);
    fc_buf_init(&a);
    fc_buf_init(&b);
    fc_yw_map_begin(&w);
    fc_yw_key(&w, "conditions");
    fc_yw_seq_begin(&w);
    assert_int_equal(fc_yw_condition(&w, "Ready", 1, "Ok", "fine", 1700000000, prev,
                                     sizeof(prev) - 1), FC_OK);
    assert_int_equal(fc_yw_condition(&w, "Valid", 0, "Bad", NULL, 1700000000, prev,
                                     sizeof(prev) - 1), FC_OK);
    fc_yw_seq_end(&w);
    fc_yw_map_end(&w);
    assert_int_equal(fc_yw_finish(&w, &a), FC_OK);
    assert_int_equal(fc_yaml_emit(&b, doc), FC_OK);
    assert_string_equal(a.data, b.data);
    assert_non_null(strstr(a.data, "lastTransitionTime: \"2020-01-01T00:00:00Z\""));
    assert_null(strstr(a.data, "2020-01-02"));
    fc_buf_dispose(&a);
    fc_buf_dispose(&b);
    fc_yw_dispose(&w);
    json_object_put(doc);
}

/* lastTransitionTime kept (1) or now (0) for type in prev, through both the
 * json-c path and the writer. */
static int keeps(const char *prev, const char *type)
{
    struct json_object *conds = json_object_new_array();
    fc_yw w;
    fc_buf a;
    int kept_json, kept_yw;
    assert_int_equal(fc_status_condition(conds, type, 1, "Ok", "x", 1700000000, prev,
                                         strlen(prev)), FC_OK);
    kept_json = strstr(json_object_to_json_string(conds), "2020-") != NULL;
    json_object_put(conds);
    fc_yw_init(&w);
    fc_buf_init(&a);
    fc_yw_map_begin(&w);
    fc_yw_key(&w, "c");
    fc_yw_seq_begin(&w);
    assert_int_equal(fc_yw_condition(&w, type, 1, "Ok", "x", 1700000000, prev,
                                     strlen(prev)), FC_OK);
    fc_yw_seq_end(&w);
    fc_yw_map_end(&w);
    assert_int_equal(fc_yw_finish(&w, &a), FC_OK);
    kept_yw = strstr(a.data, "2020-") != NULL;
    fc_buf_dispose(&a);
    fc_yw_dispose(&w);
    assert_int_equal(kept_json, kept_yw);
    return kept_yw;
}

/* Where previous conditions are found: at the top (the inventory, before a
 * long list that is not read), else under status:, the top-level list
 * winning; more than the 8 a writer keeps; a file that does not parse up
 * to them; one writer over documents with other previous bytes. */
static void test_status__previous_conditions_are_found(void **state)
{
    char many[4096];
    size_t at = 0;
    int i;
    fc_yw w;
    fc_buf a;
    const char *p1 = "status:\n  conditions:\n  - {type: A, status: 'True', "
                     "lastTransitionTime: '2020-01-01T00:00:00Z'}\n";
    const char *p2 = "status:\n  conditions:\n  - {type: A, status: 'False', "
                     "lastTransitionTime: '2020-01-01T00:00:00Z'}\n";
    (void)state;

    assert_true(keeps("apiVersion: v\nconditions:\n- lastTransitionTime: '2020-01-01T00:00:00Z'\n"
                      "  status: 'True'\n  type: Discovered\nresources:\n- {id: a}\n- [unclosed\n",
                      "Discovered"));
    assert_true(keeps("kind: K\nstatus:\n  children: [a, b]\n  conditions:\n"
                      "  - {type: Ready, status: 'True', lastTransitionTime: '2020-01-01T00:00:00Z'}\n"
                      "  plan: {x: 1}\n", "Ready"));
    /* The first list is the one: a top-level list before status: wins (the
     * writer sorts keys), and nothing after a list is read. */
    assert_true(keeps("status:\n  conditions:\n  - {type: R, status: 'True', "
                      "lastTransitionTime: '2020-01-01T00:00:00Z'}\n"
                      "  zz: [unclosed\n", "R"));
    assert_true(keeps("status:\n  conditions:\n  - {type: R, status: 'True', "
                      "lastTransitionTime: '2020-01-01T00:00:00Z'}\nzz: 1\n", "R"));
    assert_false(keeps("conditions:\n- {type: Q, status: 'True', "
                       "lastTransitionTime: '2020-01-01T00:00:00Z'}\nstatus:\n  conditions:\n"
                       "  - {type: R, status: 'True', lastTransitionTime: '2020-01-01T00:00:00Z'}\n",
                       "R"));
    /* A condition missing a field, or nested elsewhere, does not count. */
    assert_false(keeps("status:\n  conditions:\n  - {type: R, status: 'True'}\n", "R"));
    assert_false(keeps("spec:\n  conditions:\n  - {type: R, status: 'True', "
                       "lastTransitionTime: '2020-01-01T00:00:00Z'}\n", "R"));
    /* A syntax error inside the list, at the top or under status: none. */
    assert_false(keeps("conditions:\n- {type: R, status: 'True', "
                       "lastTransitionTime: '2020-01-01T00:00:00Z'}\n- {type: [\n", "R"));
    assert_false(keeps("status:\n  conditions:\n  - {type: R, status: 'True', "
                       "lastTransitionTime: '2020-01-01T00:00:00Z'}\n  - {type: [\n", "R"));
    /* Syntax error before the conditions: none. */
    assert_false(keeps("status: [\n  conditions:\n  - {type: R, status: 'True', "
                       "lastTransitionTime: '2020-01-01T00:00:00Z'}\n", "R"));
    /* Twelve conditions: past the eight kept, found by a second read. */
    at += (size_t)snprintf(many + at, sizeof(many) - at, "status:\n  conditions:\n");
    for (i = 0; i < 12; i++)
        at += (size_t)snprintf(many + at, sizeof(many) - at,
                               "  - {type: T%d, status: 'True', "
                               "lastTransitionTime: '2020-01-01T00:00:00Z'}\n", i);
    assert_true(keeps(many, "T0"));
    assert_true(keeps(many, "T7"));
    assert_true(keeps(many, "T11"));
    assert_false(keeps(many, "T12"));

    /* One writer, two documents: the second's previous bytes are read anew
     * (A held in p1, flipped in p2). */
    fc_yw_init(&w);
    fc_buf_init(&a);
    for (i = 0; i < 2; i++) {
        const char *prev = i ? p2 : p1;
        fc_yw_map_begin(&w);
        fc_yw_key(&w, "c");
        fc_yw_seq_begin(&w);
        assert_int_equal(fc_yw_condition(&w, "A", 1, "Ok", "x", 1700000000, prev,
                                         strlen(prev)), FC_OK);
        fc_yw_seq_end(&w);
        fc_yw_map_end(&w);
        a.len = 0;
        assert_int_equal(fc_yw_finish(&w, &a), FC_OK);
        assert_int_equal(strstr(a.data, "2020-") != NULL, i == 0);
    }
    fc_buf_dispose(&a);
    fc_yw_dispose(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status__keys_sorted_at_every_level),
        cmocka_unit_test(test_status__insertion_order_does_not_change_bytes),
        cmocka_unit_test(test_status__ambiguous_strings_are_quoted),
        cmocka_unit_test(test_status__number_like_strings),
        cmocka_unit_test(test_status__empty_containers_are_flow),
        cmocka_unit_test(test_status__number_text_is_fixed),
        cmocka_unit_test(test_status__number_text_matches_printf),
        cmocka_unit_test(test_status__fixed_text_matches_printf),
        cmocka_unit_test(test_status__previous_conditions_are_found),
        cmocka_unit_test(test_status__condition_keeps_transition_time_when_unchanged),
        cmocka_unit_test(test_status__garbage_previous_file_is_ignored),
        cmocka_unit_test(test_status__tree_replaces_and_sorts),
        cmocka_unit_test(test_status__tree_reserve_keeps_files),
        cmocka_unit_test(test_status__tree_sort_orders_any_runs),
        cmocka_unit_test(test_status__direct_writer_matches_libyaml),
        cmocka_unit_test(test_status__stream_writer_matches_emit),
        cmocka_unit_test(test_status__stream_writer_refuses_misuse),
        cmocka_unit_test(test_status__bounded_writer_matches_emit),
        cmocka_unit_test(test_status__tree_takes_buffers),
        cmocka_unit_test(test_status__stream_condition_matches_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
