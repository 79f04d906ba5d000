/*
 * test_runs.c - workflow runs: phase checkpoints, recovery of interrupted
 * runs, retention and the listing behind `finops-controller status`.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "controller/core/fc_error.h"
#include "controller/state/fc_runs.h"

#include <stdlib.h>
#include <string.h>

static fc_state *open_store(void)
{
    fc_state *st = NULL;
    assert_int_equal(fc_state_open_memory(&st), FC_OK);
    assert_int_equal(fc_runs_migrate(st), FC_OK);
    assert_int_equal(fc_runs_migrate(st), FC_OK); /* idempotent */
    return st;
}

static void test_runs__phases_are_checkpointed_in_order(void **s)
{
    fc_state *st = open_store();
    fc_run_rows rows;
    int64_t id;
    (void)s;
    assert_int_equal(fc_state_run_begin(st, 1000, NULL, &id), FC_OK);
    assert_int_equal(fc_state_phase_begin(st, id, "sync", 1000000), FC_OK);
    assert_int_equal(fc_state_phase_end(st, id, "sync", 1000250, "ok", NULL), FC_OK);
    assert_int_equal(fc_state_phase_begin(st, id, "execution", 1000300), FC_OK);
    assert_int_equal(fc_state_phase_end(st, id, "execution", 1000400, "ok", "2 actions"),
                     FC_OK);
    assert_int_equal(fc_runs_set_head(st, id, "abc123"), FC_OK);
    assert_int_equal(fc_state_run_end(st, id, 1001, "committed", "def456"), FC_OK);
    assert_int_equal(fc_runs_list(st, 10, &rows), FC_OK);
    assert_int_equal(rows.n, 1);
    assert_int_equal(rows.items[0].id, id);
    assert_string_equal(rows.items[0].result, "committed");
    assert_string_equal(rows.items[0].head, "abc123");
    assert_string_equal(rows.items[0].status_commit, "def456");
    assert_int_equal(rows.items[0].nphases, 2);
    assert_string_equal(rows.items[0].phases[0].phase, "sync");
    assert_int_equal(rows.items[0].phases[0].finished - rows.items[0].phases[0].started, 250);
    assert_string_equal(rows.items[0].phases[1].phase, "execution");
    assert_string_equal(rows.items[0].phases[1].detail, "2 actions");
    fc_run_rows_dispose(&rows);
    fc_state_close(st);
}

static void test_runs__open_runs_become_interrupted_with_their_phase(void **s)
{
    fc_state *st = open_store();
    fc_run_rows rows;
    int64_t a, b;
    size_t n;
    (void)s;
    assert_int_equal(fc_state_run_begin(st, 100, NULL, &a), FC_OK);
    assert_int_equal(fc_state_phase_begin(st, a, "sync", 100000), FC_OK);
    assert_int_equal(fc_state_phase_end(st, a, "sync", 100010, "ok", NULL), FC_OK);
    assert_int_equal(fc_state_phase_begin(st, a, "execution", 100020), FC_OK);
    /* the process dies here */
    assert_int_equal(fc_state_run_begin(st, 200, NULL, &b), FC_OK);
    assert_int_equal(fc_state_run_end(st, b, 201, "committed", NULL), FC_OK);
    assert_int_equal(fc_runs_recover(st, &n), FC_OK);
    assert_int_equal(n, 1);
    assert_int_equal(fc_runs_recover(st, &n), FC_OK); /* settled once */
    assert_int_equal(n, 0);
    assert_int_equal(fc_runs_list(st, 10, &rows), FC_OK);
    assert_int_equal(rows.n, 2);
    assert_int_equal(rows.items[0].id, b); /* newest first */
    assert_string_equal(rows.items[0].result, "committed");
    assert_string_equal(rows.items[1].result, "interrupted");
    assert_int_equal(rows.items[1].nphases, 2);
    assert_string_equal(rows.items[1].phases[0].result, "ok");
    assert_string_equal(rows.items[1].phases[1].phase, "execution");
    assert_string_equal(rows.items[1].phases[1].result, "interrupted");
    assert_int_equal(rows.items[1].phases[1].finished, 0);
    fc_run_rows_dispose(&rows);
    fc_state_close(st);
}

static void test_runs__retention_deletes_old_runs_and_phases(void **s)
{
    fc_state *st = open_store();
    fc_run_rows rows;
    int64_t old, young;
    size_t n;
    (void)s;
    assert_int_equal(fc_state_run_begin(st, 1000, NULL, &old), FC_OK);
    assert_int_equal(fc_state_phase_begin(st, old, "sync", 1000000), FC_OK);
    assert_int_equal(fc_state_run_begin(st, 5000, NULL, &young), FC_OK);
    assert_int_equal(fc_state_phase_begin(st, young, "sync", 5000000), FC_OK);
    assert_int_equal(fc_runs_prune(st, 2000, &n), FC_OK);
    assert_int_equal(n, 1);
    assert_int_equal(fc_runs_list(st, 10, &rows), FC_OK);
    assert_int_equal(rows.n, 1);
    assert_int_equal(rows.items[0].id, young);
    assert_int_equal(rows.items[0].nphases, 1);
    fc_run_rows_dispose(&rows);
    /* No orphaned phases of the deleted run. */
    {
        sqlite3_stmt *q;
        assert_int_equal(sqlite3_prepare_v2(fc_state_db(st),
                                            "SELECT count(*) FROM run_phases WHERE run_id = ?",
                                            -1, &q, NULL),
                         SQLITE_OK);
        sqlite3_bind_int64(q, 1, old);
        assert_int_equal(sqlite3_step(q), SQLITE_ROW);
        assert_int_equal(sqlite3_column_int(q, 0), 0);
        sqlite3_finalize(q);
    }
    fc_state_close(st);
}

static void test_runs__tracker_ends_each_phase_as_the_next_begins(void **s)
{
    fc_state *st = open_store();
    fc_run_track t = {NULL, 0, NULL};
    fc_run_rows rows;
    int64_t id;
    (void)s;
    assert_int_equal(fc_state_run_begin(st, 10, NULL, &id), FC_OK);
    t.s = st;
    t.run_id = id;
    fc_run_track_phase(&t, "sync");
    fc_run_track_phase(&t, "discovery");
    fc_run_track_end(&t, "EIO", "provider down");
    fc_run_track_end(&t, "ok", NULL); /* nothing open: no-op */
    assert_int_equal(fc_runs_list(st, 1, &rows), FC_OK);
    assert_int_equal(rows.items[0].nphases, 2);
    assert_string_equal(rows.items[0].phases[0].result, "ok");
    assert_true(rows.items[0].phases[0].finished >= rows.items[0].phases[0].started);
    assert_string_equal(rows.items[0].phases[1].result, "EIO");
    assert_string_equal(rows.items[0].phases[1].detail, "provider down");
    fc_run_rows_dispose(&rows);
    /* Without a store the tracker still walks the phases. */
    t.s = NULL;
    fc_run_track_phase(&t, "sync");
    fc_run_track_end(&t, "ok", NULL);
    fc_state_close(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runs__phases_are_checkpointed_in_order),
        cmocka_unit_test(test_runs__open_runs_become_interrupted_with_their_phase),
        cmocka_unit_test(test_runs__retention_deletes_old_runs_and_phases),
        cmocka_unit_test(test_runs__tracker_ends_each_phase_as_the_next_begins),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
