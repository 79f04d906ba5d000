/*
 * fc_runs.h - workflow runs: every pass is a run (table runs, built into
 * the store) made of phases checkpointed as they start and end (table
 * run_phases, state-store module "runs").
 *
 * Phases, in order: sync, discovery, analysis, planning, execution, status.
 * A phase row is committed when the phase starts, so a crash leaves a run
 * without an end and a phase without an end.  The next start marks both
 * `interrupted` (fc_runs_recover) and the pass restarts from sync: every
 * stage is idempotent and the execution journal guarantees no action runs
 * twice, so restarting is the clean resume.  Old runs are pruned.
 *
 * Phase times are milliseconds since the epoch (runs.started/finished are
 * seconds, as the core table has them).
 */
#ifndef FC_RUNS_H
#define FC_RUNS_H

#include "controller/state/fc_state.h"

#include <stddef.h>
#include <stdint.h>

#define FC_RUN_RETENTION_DEFAULT (14 * 86400L)

int fc_runs_migrate(fc_state *s);

/* Checkpoints: begin inserts and commits a `running` row; end sets its
 * finish time, result (ok, failed, skipped, ...) and detail (may be NULL).
 * Each is followed by the crash point "phase.<name>.begin|end". */
int fc_state_phase_begin(fc_state *s, int64_t run_id, const char *phase, int64_t now_ms);
int fc_state_phase_end(fc_state *s, int64_t run_id, const char *phase, int64_t now_ms,
                       const char *result, const char *detail);

/* Marks runs that never ended, and their open phases, `interrupted`;
 * *n counts the runs.  Logs each with the phase it died in. */
int fc_runs_recover(fc_state *s, size_t *n);
/* Records the head commit a run read (runs.head). */
int fc_runs_set_head(fc_state *s, int64_t run_id, const char *head);
/* Deletes runs (and their phases) that started before `before` (seconds). */
int fc_runs_prune(fc_state *s, int64_t before, size_t *n);

/* A pass's phase tracker: fc_run_track_phase() ends the current phase ok
 * and begins the next; fc_run_track_end() ends the current one with a
 * result.  s == NULL or run_id == 0 only reaches the crash points. */
typedef struct {
    fc_state *s;
    int64_t run_id;
    const char *phase; /* current phase, static string, or NULL */
} fc_run_track;

void fc_run_track_phase(fc_run_track *t, const char *phase);
void fc_run_track_end(fc_run_track *t, const char *result, const char *detail);
/* Records the head the run read as soon as it is known, so an interrupted
 * run shows it too. */
void fc_run_track_head(fc_run_track *t, const char *head);

/* ---- reading, for `finops-controller status` ---- */
typedef struct {
    char *phase, *result, *detail;
    int64_t started, finished; /* ms; finished 0 = open */
} fc_phase_row;

typedef struct {
    int64_t id, started, finished; /* s; finished 0 = open */
    char *head, *result, *status_commit;
    fc_phase_row *phases;
    size_t nphases;
} fc_run_row;

typedef struct {
    fc_run_row *items;
    size_t n;
} fc_run_rows;

/* The newest `limit` runs, newest first, each with its phases in order. */
int fc_runs_list(fc_state *s, size_t limit, fc_run_rows *out);
void fc_run_rows_dispose(fc_run_rows *r);

#endif
