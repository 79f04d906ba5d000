/*
 * test_log.c - controller/core/fc_log: levels, text and JSON lines with the
 * run id, the object and extra fields (JSON lines parsed with json-c).
 */
#include "controller/core/fc_log.h"

#include <json-c/json.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static char *buf;
static size_t len;
static FILE *out;

static int setup(void **state)
{
    (void)state;
    out = open_memstream(&buf, &len);
    fc_log_set_stream(out);
    fc_log_set_run(NULL);
    return out ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    fc_log_set_stream(NULL);
    fc_log_configure(FC_LOG_INFO, 0);
    fc_log_set_run(NULL);
    fclose(out);
    free(buf);
    buf = NULL;
    return 0;
}

/* The captured lines so far, NUL-separated into lines[]. */
static size_t lines(char **v, size_t max)
{
    size_t n = 0;
    char *p, *save = NULL;
    fflush(out);
    for (p = strtok_r(buf, "\n", &save); p && n < max; p = strtok_r(NULL, "\n", &save))
        v[n++] = p;
    return n;
}

static const char *str(json_object *o, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v))
        return NULL;
    return json_object_get_string(v);
}

static void test_log__json_lines_carry_run_object_and_fields(void **state)
{
    static const char *const kv[] = {"account", "402918374651", "region", "eu-west-1"};
    char *v[8];
    json_object *o;
    (void)state;
    fc_log_configure(FC_LOG_INFO, 1);
    fc_log(FC_LOG_INFO, "before any pass");
    fc_log_set_run("42");
    fc_log_obj(FC_LOG_WARN, "budget/team-a", "over \"threshold\"\tat %d%%", 80);
    fc_log_fields(FC_LOG_ERROR, "i-0abc", kv, 2, "discovery: %s", "slow");
    assert_int_equal(lines(v, 8), 3);

    o = json_tokener_parse(v[0]);
    assert_non_null(o);
    assert_string_equal(str(o, "level"), "info");
    assert_string_equal(str(o, "msg"), "before any pass");
    assert_string_equal(str(o, "run"), "");
    assert_null(str(o, "object"));
    assert_non_null(str(o, "ts"));
    json_object_put(o);

    o = json_tokener_parse(v[1]);
    assert_non_null(o);
    assert_string_equal(str(o, "level"), "warn");
    assert_string_equal(str(o, "msg"), "over \"threshold\"\tat 80%");
    assert_string_equal(str(o, "run"), "42");
    assert_string_equal(str(o, "object"), "budget/team-a");
    json_object_put(o);

    o = json_tokener_parse(v[2]);
    assert_non_null(o);
    assert_string_equal(str(o, "level"), "error");
    assert_string_equal(str(o, "object"), "i-0abc");
    assert_string_equal(str(o, "account"), "402918374651");
    assert_string_equal(str(o, "region"), "eu-west-1");
    assert_string_equal(str(o, "run"), "42");
    json_object_put(o);
}

static void test_log__level_filters(void **state)
{
    char *v[8];
    (void)state;
    fc_log_configure(FC_LOG_WARN, 1);
    fc_debug("no");
    fc_info("no");
    fc_warn("yes %d", 1);
    fc_err("yes %d", 2);
    assert_false(fc_log_enabled(FC_LOG_INFO));
    assert_true(fc_log_enabled(FC_LOG_ERROR));
    assert_int_equal(lines(v, 8), 2);
    assert_non_null(strstr(v[0], "\"yes 1\""));
    assert_non_null(strstr(v[1], "\"yes 2\""));
}

static void test_log__text_has_run_and_object(void **state)
{
    char *v[8];
    (void)state;
    fc_log_configure(FC_LOG_DEBUG, 0);
    fc_info("plain");
    fc_log_set_run("7");
    fc_log_obj(FC_LOG_INFO, "optimization/stop idle", "planned");
    assert_int_equal(lines(v, 8), 2);
    assert_non_null(strstr(v[0], " info  plain"));
    assert_null(strstr(v[0], "run="));
    assert_non_null(strstr(v[1], "planned run=7 object=\"optimization/stop idle\""));
}

static void test_log__progress_lines_are_rate_limited(void **state)
{
    char *v[8], n[32];
    (void)state;
    fc_log_configure(FC_LOG_INFO, 0);
    fc_log_set_progress_interval(3600); /* only the first and the final line */
    fc_log_progress("discovery", 3, 8, "3/8 regions, 12,345 resources", 0);
    fc_log_progress("discovery", 4, 8, "4/8 regions", 0);
    fc_log_progress("discovery", 8, 8, "8/8 regions", 1);
    fc_log_progress_rows((void *)"ingest", 512, 1024, 1234567); /* after a final: shown */
    fc_log_progress_rows((void *)"ingest", 768, 1024, 1500000); /* too soon */
    fc_log_progress_rows((void *)"ingest", 1024, 1024, 2000000); /* final */
    assert_int_equal(lines(v, 8), 4);
    assert_non_null(strstr(v[0], "discovery 37 % (3/8 regions, 12,345 resources)"));
    assert_non_null(strstr(v[1], "discovery 100 % (8/8 regions)"));
    assert_non_null(strstr(v[2], "ingest 50 % (512 B of 1.0 KiB, 1,234,567 rows)"));
    assert_non_null(strstr(v[3], "ingest 100 % (1.0 KiB of 1.0 KiB, 2,000,000 rows)"));
    fc_log_thousands(n, sizeof(n), 1234567);
    assert_string_equal(n, "1,234,567");
    fc_log_thousands(n, sizeof(n), 999);
    assert_string_equal(n, "999");
    fc_log_set_progress_interval(5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_log__json_lines_carry_run_object_and_fields,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_log__level_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_log__text_has_run_and_object, setup, teardown),
        cmocka_unit_test_setup_teardown(test_log__progress_lines_are_rate_limited, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
