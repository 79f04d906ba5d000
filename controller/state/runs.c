/*
 * runs.c - run phases, recovery of interrupted runs, retention, and the
 * listing `finops-controller status` prints (see fc_runs.h).
 *
 * Stage: bookkeeping around every pass.  Inputs: the state store.  Owns
 * the table run_phases (module "runs"); reads and prunes the core table
 * runs.  fc_run_rows owns its strings (fc_run_rows_dispose).
 */
#include "controller/state/fc_runs.h"
#include "controller/core/crashpoint.h"
#include "controller/core/fc_error.h"
#include "controller/core/fc_log.h"
#include "controller/core/fc_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const steps[] = {
    "CREATE TABLE run_phases ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  run_id INTEGER NOT NULL,"
    "  phase TEXT NOT NULL,"
    "  started INTEGER NOT NULL,"
    "  finished INTEGER,"
    "  result TEXT NOT NULL,"
    "  detail TEXT)",
    "CREATE INDEX run_phases_run ON run_phases(run_id, id)",
};

int fc_runs_migrate(fc_state *s)
{
    return fc_state_migrate(s, "runs", steps, FC_ARRAY_LEN(steps));
}

static void crash_at(const char *phase, const char *edge)
{
    char name[96];
    snprintf(name, sizeof(name), "phase.%s.%s", phase, edge);
    fc_crashpoint(name);
}

/* One statement: texts bind ?1..?3 (NULL binds NULL), integers ?4 and ?5;
 * slots the SQL does not use are skipped. */
static int exec_bound(fc_state *s, const char *sql, const char *what, const char *t1,
                      const char *t2, const char *t3, int64_t i4, int64_t i5)
{
    const char *texts[3] = {t1, t2, t3};
    sqlite3_stmt *st = NULL;
    int rc, k, n;
    if (sqlite3_prepare_v2(fc_state_db(s), sql, -1, &st, NULL) != SQLITE_OK)
        return fc_state_error(s, what);
    n = sqlite3_bind_parameter_count(st);
    for (k = 1; k <= 3 && k <= n; k++)
        sqlite3_bind_text(st, k, texts[k - 1], -1, SQLITE_STATIC); /* NULL binds NULL */
    if (n >= 4)
        sqlite3_bind_int64(st, 4, i4);
    if (n >= 5)
        sqlite3_bind_int64(st, 5, i5);
    rc = sqlite3_step(st) == SQLITE_DONE ? FC_OK : fc_state_error(s, what);
    sqlite3_finalize(st);
    return rc;
}

int fc_state_phase_begin(fc_state *s, int64_t run_id, const char *phase, int64_t now_ms)
{
    int rc = FC_OK;
    if (s && run_id)
        rc = exec_bound(s,
                        "INSERT INTO run_phases(phase, result, detail, run_id, started) "
                        "VALUES(?1, ?2, ?3, ?4, ?5)",
                        "phase begin", phase, "running", NULL, run_id, now_ms);
    crash_at(phase, "begin");
    return rc;
}

int fc_state_phase_end(fc_state *s, int64_t run_id, const char *phase, int64_t now_ms,
                       const char *result, const char *detail)
{
    int rc = FC_OK;
    /* The newest open row of that phase: a retried attempt reopens it. */
    if (s && run_id)
        rc = exec_bound(s,
                        "UPDATE run_phases SET result = ?1, detail = ?2, finished = ?4 "
                        "WHERE id = (SELECT max(id) FROM run_phases WHERE phase = ?3 "
                        "AND run_id = ?5 AND finished IS NULL)",
                        "phase end", result, detail, phase, now_ms, run_id);
    crash_at(phase, "end");
    return rc;
}

int fc_runs_recover(fc_state *s, size_t *n)
{
    sqlite3_stmt *st = NULL;
    sqlite3 *db = fc_state_db(s);
    int rc = FC_OK, step;

    *n = 0;
    if (sqlite3_prepare_v2(db,
                           "SELECT r.id, r.started, (SELECT p.phase FROM run_phases p "
                           "WHERE p.run_id = r.id ORDER BY p.id DESC LIMIT 1) "
                           "FROM runs r WHERE r.finished IS NULL ORDER BY r.id",
                           -1, &st, NULL) != SQLITE_OK)
        return fc_state_error(s, "interrupted runs");
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *ph = sqlite3_column_text(st, 2);
        fc_warn("run %lld (started %lld) was interrupted in phase %s; this pass "
                "restarts from sync",
                (long long)sqlite3_column_int64(st, 0), (long long)sqlite3_column_int64(st, 1),
                ph ? (const char *)ph : "(before the first phase)");
        (*n)++;
    }
    if (step != SQLITE_DONE)
        rc = fc_state_error(s, "interrupted runs");
    sqlite3_finalize(st);
    if (rc != FC_OK || *n == 0)
        return rc;
    /* Both updates or neither: a crash here is retried at the next start. */
    if ((rc = fc_state_begin(s)) != FC_OK)
        return rc;
    if ((rc = fc_state_exec(s, "UPDATE run_phases SET result = 'interrupted' "
                               "WHERE finished IS NULL AND run_id IN "
                               "(SELECT id FROM runs WHERE finished IS NULL)")) != FC_OK ||
        (rc = fc_state_exec(s, "UPDATE runs SET result = 'interrupted', finished = started "
                               "WHERE finished IS NULL")) != FC_OK) {
        fc_state_rollback(s);
        return rc;
    }
    return fc_state_commit(s);
}

int fc_runs_set_head(fc_state *s, int64_t run_id, const char *head)
{
    return exec_bound(s, "UPDATE runs SET head = ?1 WHERE id = ?4", "run head",
                      head && *head ? head : NULL, NULL, NULL, run_id, 0);
}

int fc_runs_prune(fc_state *s, int64_t before, size_t *n)
{
    int rc;
    *n = 0;
    if ((rc = fc_state_begin(s)) != FC_OK)
        return rc;
    if ((rc = exec_bound(s,
                         "DELETE FROM run_phases WHERE run_id IN "
                         "(SELECT id FROM runs WHERE started < ?4)",
                         "prune phases", NULL, NULL, NULL, before, 0)) != FC_OK ||
        (rc = exec_bound(s, "DELETE FROM runs WHERE started < ?4", "prune runs", NULL, NULL,
                         NULL, before, 0)) != FC_OK) {
        fc_state_rollback(s);
        return rc;
    }
    *n = (size_t)sqlite3_changes(fc_state_db(s));
    return fc_state_commit(s);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void fc_run_track_phase(fc_run_track *t, const char *phase)
{
    if (t->phase)
        fc_run_track_end(t, "ok", NULL);
    t->phase = phase;
    if (fc_state_phase_begin(t->s, t->run_id, phase, now_ms()) != FC_OK)
        fc_warn("run phase %s not recorded: %s", phase, fc_error_last());
}

void fc_run_track_end(fc_run_track *t, const char *result, const char *detail)
{
    const char *phase = t->phase;
    if (!phase)
        return;
    t->phase = NULL;
    if (fc_state_phase_end(t->s, t->run_id, phase, now_ms(), result, detail) != FC_OK)
        fc_warn("run phase %s not recorded: %s", phase, fc_error_last());
}

void fc_run_track_head(fc_run_track *t, const char *head)
{
    if (t->s && t->run_id && fc_runs_set_head(t->s, t->run_id, head) != FC_OK)
        fc_warn("run head not recorded: %s", fc_error_last());
}

/* ---- listing ---- */

static char *col_dup(sqlite3_stmt *st, int i)
{
    const unsigned char *v = sqlite3_column_text(st, i);
    return v ? fc_strdup((const char *)v) : NULL;
}

void fc_run_rows_dispose(fc_run_rows *r)
{
    size_t i, j;
    for (i = 0; i < r->n; i++) {
        fc_run_row *x = &r->items[i];
        for (j = 0; j < x->nphases; j++) {
            free(x->phases[j].phase);
            free(x->phases[j].result);
            free(x->phases[j].detail);
        }
        free(x->phases);
        free(x->head);
        free(x->result);
        free(x->status_commit);
    }
    free(r->items);
    memset(r, 0, sizeof(*r));
}

static int load_phases(fc_state *s, fc_run_row *run)
{
    sqlite3_stmt *st = NULL;
    size_t cap = 0;
    int rc = FC_OK, step;

    if (sqlite3_prepare_v2(fc_state_db(s),
                           "SELECT phase, started, finished, result, detail FROM run_phases "
                           "WHERE run_id = ? ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK)
        return fc_state_error(s, "run phases");
    sqlite3_bind_int64(st, 1, run->id);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        fc_phase_row *p;
        if (run->nphases == cap) {
            size_t nc = cap ? cap * 2 : 8;
            fc_phase_row *np = realloc(run->phases, nc * sizeof(*np));
            if (!np) {
                rc = fc_error_set(FC_ENOMEM, "out of memory");
                goto done;
            }
            run->phases = np;
            cap = nc;
        }
        p = &run->phases[run->nphases++];
        memset(p, 0, sizeof(*p));
        p->phase = col_dup(st, 0);
        p->started = sqlite3_column_int64(st, 1);
        p->finished = sqlite3_column_int64(st, 2);
        p->result = col_dup(st, 3);
        p->detail = col_dup(st, 4);
        if (!p->phase || !p->result) {
            rc = fc_error_set(FC_ENOMEM, "out of memory");
            goto done;
        }
    }
    if (step != SQLITE_DONE)
        rc = fc_state_error(s, "run phases");
done:
    sqlite3_finalize(st);
    return rc;
}

int fc_runs_list(fc_state *s, size_t limit, fc_run_rows *out)
{
    sqlite3_stmt *st = NULL;
    size_t cap = 0, i;
    int rc, step;

    memset(out, 0, sizeof(*out));
    if ((rc = fc_runs_migrate(s)) != FC_OK)
        return rc;
    if (sqlite3_prepare_v2(fc_state_db(s),
                           "SELECT id, started, finished, head, result, status_commit "
                           "FROM runs ORDER BY id DESC LIMIT ?",
                           -1, &st, NULL) != SQLITE_OK)
        return fc_state_error(s, "runs");
    sqlite3_bind_int64(st, 1, (sqlite3_int64)limit);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        fc_run_row *r;
        if (out->n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            fc_run_row *np = realloc(out->items, nc * sizeof(*np));
            if (!np) {
                rc = fc_error_set(FC_ENOMEM, "out of memory");
                goto done;
            }
            out->items = np;
            cap = nc;
        }
        r = &out->items[out->n++];
        memset(r, 0, sizeof(*r));
        r->id = sqlite3_column_int64(st, 0);
        r->started = sqlite3_column_int64(st, 1);
        r->finished = sqlite3_column_int64(st, 2);
        r->head = col_dup(st, 3);
        r->result = col_dup(st, 4);
        r->status_commit = col_dup(st, 5);
    }
    if (step != SQLITE_DONE)
        rc = fc_state_error(s, "runs");
    for (i = 0; rc == FC_OK && i < out->n; i++)
        rc = load_phases(s, &out->items[i]);
done:
    sqlite3_finalize(st);
    if (rc != FC_OK)
        fc_run_rows_dispose(out);
    return rc;
}
