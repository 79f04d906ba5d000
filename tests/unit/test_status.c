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
        "USD/month", "(old-vpn-root)", "a=b", "\t", "é", "null", "0x1F", "inf", "",
        "a-very-long-token-without-any-spaces-that-keeps-going-and-going-beyond-width",
    };
    char buf[600] = "";
    unsigned n = rnd(40), i;
    for (i = 0; i < n && strlen(buf) < 500; i++) {
        const char *p = pieces[rnd((unsigned)(sizeof(pieces) / sizeof(pieces[0])))];
        if (safe_only && strpbrk(p, "#\"\\\t\xc3"))
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
                                       "", "z"};
    struct json_object *o = json_object_new_object();
    unsigned n = rnd(6), i;
    for (i = 0; i < n; i++)
        json_object_object_add(o, keys[rnd(12)], random_value(depth + 1));
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status__keys_sorted_at_every_level),
        cmocka_unit_test(test_status__insertion_order_does_not_change_bytes),
        cmocka_unit_test(test_status__ambiguous_strings_are_quoted),
        cmocka_unit_test(test_status__empty_containers_are_flow),
        cmocka_unit_test(test_status__number_text_is_fixed),
        cmocka_unit_test(test_status__condition_keeps_transition_time_when_unchanged),
        cmocka_unit_test(test_status__garbage_previous_file_is_ignored),
        cmocka_unit_test(test_status__tree_replaces_and_sorts),
        cmocka_unit_test(test_status__direct_writer_matches_libyaml),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
