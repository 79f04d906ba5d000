/*
 * fc_state.h - the controller's state store: one SQLite database in the
 * state directory (<state_dir>/state.db, WAL, synchronous=FULL, 0600).
 *
 * Each module owns its tables and their migrations: it calls
 * fc_state_migrate() with its own ordered list of SQL steps, and the store
 * remembers per module how many have run.  Modules then use the borrowed
 * sqlite3 handle with prepared statements.
 *
 * Built in here: run bookkeeping and edge-triggered alert memory.
 */
#ifndef FC_STATE_H
#define FC_STATE_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

typedef struct fc_state fc_state;

/* Opens (creating when absent) <dir>/state.db; dir is created 0700. */
int fc_state_open(fc_state **out, const char *dir);
/* ":memory:" database for tests. */
int fc_state_open_memory(fc_state **out);
void fc_state_close(fc_state *s);

/* Borrowed handle. */
sqlite3 *fc_state_db(fc_state *s);

/* Runs the steps of `module` that have not run yet, each in a transaction.
 * Steps are append-only: never edit or reorder a released step. */
int fc_state_migrate(fc_state *s, const char *module, const char *const *steps,
                     size_t nsteps);

/* Executes SQL without results; maps sqlite errors to fc codes. */
int fc_state_exec(fc_state *s, const char *sql);
int fc_state_begin(fc_state *s);
int fc_state_commit(fc_state *s);
void fc_state_rollback(fc_state *s);

/* Maps the last sqlite error on s to an fc code with a message. */
int fc_state_error(fc_state *s, const char *what);

/*
 * Alerts fire once per crossing.  fc_state_alert_raise() sets *fired = 1
 * only when `key` was not already active (and marks it active at now);
 * fc_state_alert_clear() ends the crossing so the next raise fires again.
 */
int fc_state_alert_raise(fc_state *s, const char *key, int64_t now, int *fired);
int fc_state_alert_clear(fc_state *s, const char *key);
int fc_state_alert_active(fc_state *s, const char *key, int *active);

/* Run bookkeeping: one row per pass. */
int fc_state_run_begin(fc_state *s, int64_t started, const char *head,
                       int64_t *run_id);
int fc_state_run_end(fc_state *s, int64_t run_id, int64_t finished,
                     const char *result, const char *status_commit);

#endif
