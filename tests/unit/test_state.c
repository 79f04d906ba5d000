/*
 * test_state.c - the SQLite state store: migrations, alerts, runs, files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "controller/core/fc_error.h"
#include "controller/state/fc_state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void test_state__migrations_run_once_per_module(void **s)
{
    fc_state *st;
    const char *const v1[] = {"CREATE TABLE t1(x)"};
    const char *const v2[] = {"CREATE TABLE t1(x)", "CREATE TABLE t2(y)"};
    (void)s;
    assert_int_equal(fc_state_open_memory(&st), FC_OK);
    assert_int_equal(fc_state_migrate(st, "m", v1, 1), FC_OK);
    assert_int_equal(fc_state_migrate(st, "m", v1, 1), FC_OK);
    assert_int_equal(fc_state_migrate(st, "m", v2, 2), FC_OK);
    assert_int_equal(fc_state_exec(st, "INSERT INTO t2 VALUES(1)"), FC_OK);
    /* A database from a newer build is refused, not silently used. */
    assert_int_equal(fc_state_migrate(st, "m", v1, 1), FC_EINVALID);
    /* A failing step leaves the version where it was. */
    {
        const char *const bad[] = {"CREATE TABLE t1(x)", "CREATE TABLE t2(y)", "NOT SQL"};
        assert_int_not_equal(fc_state_migrate(st, "m", bad, 3), FC_OK);
        assert_int_equal(fc_state_migrate(st, "m", v2, 2), FC_OK);
    }
    fc_state_close(st);
}

static void test_state__alert_fires_once_per_crossing(void **s)
{
    fc_state *st;
    int fired, active;
    (void)s;
    assert_int_equal(fc_state_open_memory(&st), FC_OK);
    assert_int_equal(fc_state_alert_raise(st, "budget/a/80", 100, &fired), FC_OK);
    assert_int_equal(fired, 1);
    assert_int_equal(fc_state_alert_raise(st, "budget/a/80", 200, &fired), FC_OK);
    assert_int_equal(fired, 0);
    assert_int_equal(fc_state_alert_active(st, "budget/a/80", &active), FC_OK);
    assert_int_equal(active, 1);
    assert_int_equal(fc_state_alert_clear(st, "budget/a/80"), FC_OK);
    assert_int_equal(fc_state_alert_raise(st, "budget/a/80", 300, &fired), FC_OK);
    assert_int_equal(fired, 1);
    assert_int_equal(fc_state_alert_active(st, "other", &active), FC_OK);
    assert_int_equal(active, 0);
    fc_state_close(st);
}

static void test_state__file_is_private_and_persistent(void **s)
{
    char dir[] = "/tmp/fc-state-XXXXXX";
    char sub[256], db[300];
    struct stat sb;
    fc_state *st;
    int64_t id = 0;
    int fired;
    (void)s;
    assert_non_null(mkdtemp(dir));
    snprintf(sub, sizeof(sub), "%s/a/b", dir);
    assert_int_equal(fc_state_open(&st, sub), FC_OK);
    assert_int_equal(fc_state_run_begin(st, 10, "abc", &id), FC_OK);
    assert_true(id > 0);
    assert_int_equal(fc_state_run_end(st, id, 20, "ok", ""), FC_OK);
    assert_int_equal(fc_state_alert_raise(st, "k", 1, &fired), FC_OK);
    fc_state_close(st);
    snprintf(db, sizeof(db), "%s/state.db", sub);
    assert_int_equal(stat(db, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(stat(sub, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0700);
    /* Reopen: the alert is still active, so it does not fire again. */
    assert_int_equal(fc_state_open(&st, sub), FC_OK);
    assert_int_equal(fc_state_alert_raise(st, "k", 2, &fired), FC_OK);
    assert_int_equal(fired, 0);
    fc_state_close(st);
    snprintf(db, sizeof(db), "rm -rf '%s'", dir);
    assert_int_equal(system(db), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_state__migrations_run_once_per_module),
        cmocka_unit_test(test_state__alert_fires_once_per_crossing),
        cmocka_unit_test(test_state__file_is_private_and_persistent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
