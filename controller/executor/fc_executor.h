/*
 * fc_executor.h - the executor: approved plan items become provider actions,
 * journal first (DESIGN.md, "State").
 *
 * Stage: execution, after the reconcilers and before the status commit.
 * Inputs: the pass's plan (items FC_PLAN_PLANNED only), the specs (windows,
 * Policy limits), the inventory seen at discovery, a provider per account,
 * the state store, the clock and the live flag.  Output: journal rows in
 * the store (table executions) and a report of what ran and what was
 * skipped and why.  Dry-run (live = 0) executes nothing.
 *
 * Journal rows move started -> done | failed | rolled-back; a row is
 * committed before its provider call.  Exactly once: fc_executor_resume()
 * settles rows left in `started` by reading the resource's real state --
 * done when the change is there; back to `planned` when the target is still
 * in its recorded before-state (the call never went out), so the next
 * execution retries it under the same id after every check again, at most
 * FC_EXEC_MAX_ATTEMPTS starts; polled like a verification when the target
 * is in between (e.g. stopping), never re-sent blindly.
 *
 * A plan item with `policy` set was pre-approved by that Policy (issue 7.2):
 * it runs without an Optimization spec (no window, no parameters, low-risk
 * actions only), its row's action JSON names the Policy and entry, and its
 * approvers are the Policy's.  It is rolled back when the Policy or the
 * entry is deleted.
 *
 * Rollback: a `done` forward row whose Optimization is deleted, no longer
 * approved at the current commit, or asks for it (spec.rollback.requested),
 * or the row named by `rollback ID`, gets its inverse steps run journal
 * first as a row of kind "rollback" (parent = the row it undoes); the
 * original becomes rolled-back when the inverse is verified.  A rollback
 * row's id is derived from its parent's, so it is never attempted twice.
 */
#ifndef FC_EXECUTOR_H
#define FC_EXECUTOR_H

#include "controller/cloud/fc_cloud.h"
#include "controller/state/fc_state.h"
#include "reconcilers/fc_reconcilers.h"
#include "specs/fc_specs.h"

#include <stddef.h>
#include <stdint.h>

typedef enum {
    FC_EXEC_PLANNED,
    FC_EXEC_STARTED,
    FC_EXEC_DONE,
    FC_EXEC_FAILED,
    FC_EXEC_ROLLED_BACK
} fc_exec_state;

const char *fc_exec_state_name(fc_exec_state s);
/* -1 when unknown. */
int fc_exec_state_parse(const char *s);

/* One journal row.  Every string is owned (fc_exec_record_dispose). */
typedef struct fc_exec_record {
    char *id;            /* <optimization>-<12 hex>: stable per (name, commit, action) */
    char *optimization;
    char *commit;        /* spec commit the approval was read at */
    char *approvers;     /* JSON array of {identity, commit} */
    char *account;
    char *region;
    char *resource;
    char *action;        /* JSON: {action, type, steps[], expect{}} */
    fc_exec_state state;
    char *before;        /* JSON: the resource as describe returned it */
    char *after;         /* JSON, or NULL */
    char *inverse;       /* JSON: the provider steps that undo it, or NULL */
    char *error;         /* why it failed, or NULL */
    int64_t created, started, finished;
    char *kind;          /* "forward" or "rollback" (NULL reads as forward) */
    char *parent;        /* rollback: the id of the row it undoes */
    int attempts;        /* times the row was started (0 on insert reads as 1) */
} fc_exec_record;

typedef struct fc_exec_list {
    fc_exec_record *items;
    size_t n, cap;
} fc_exec_list;

void fc_exec_record_dispose(fc_exec_record *r);
void fc_exec_list_init(fc_exec_list *l);
void fc_exec_list_dispose(fc_exec_list *l);

/* ---- journal (journal.c): state-store module "executor" ---- */
int fc_journal_migrate(fc_state *s);
/* Writes id: "<optimization>-" + 12 hex digits of a hash of the three. */
int fc_journal_id(char *out, size_t size, const char *optimization,
                  const char *commit, const char *action);
/* Inserts a new row and commits it (FC_ECONFLICT when the id exists). */
int fc_journal_insert(fc_state *s, const fc_exec_record *r);
/* Moves a row to state and sets the non-NULL fields; commits. */
int fc_journal_update(fc_state *s, const char *id, fc_exec_state state,
                      const char *after, const char *inverse, const char *error,
                      int64_t finished);
/* Starts a `planned` row again under the same id (a retry): attempts + 1,
 * state started, and the plan fields (commit, approvers, action, before,
 * inverse, started) taken from r; after and error cleared.  Commits.
 * FC_ECONFLICT when the row is not `planned`. */
int fc_journal_restart(fc_state *s, const fc_exec_record *r);
/* FC_ENOTFOUND when absent; out is disposable either way. */
int fc_journal_get(fc_state *s, const char *id, fc_exec_record *out);
/* Every row (state < 0) or the rows in one state, by id. */
int fc_journal_list(fc_state *s, int state, fc_exec_list *out);
/* Rows (any kind) started at or after since, in one account (NULL = all). */
int fc_journal_count_since(fc_state *s, const char *account, int64_t since, size_t *n);

/* ---- executor (executor.c) ---- */

/* Borrowed provider for an account (and its role), or a negative code. */
typedef int (*fc_executor_cloud_fn)(void *payload, const char *account,
                                    fc_cloud **cloud, const char **role_arn);

typedef struct {
    const fc_plan *plan;
    const fc_spec_set *specs;     /* windows, Policy limits */
    const fc_inventory *inv;      /* what discovery saw */
    const fc_approval_evidence *evidence; /* approvers per Optimization */
    size_t nevidence;
    const char *commit;           /* spec commit */
    fc_state *state;
    fc_executor_cloud_fn cloud_for;
    void *payload;
    int64_t now;
    int live;                     /* 0 = dry-run: nothing executes */
    const fc_spec_set *all_specs; /* with suspended objects, to tell a
                                     deleted Optimization from a suspended
                                     one; NULL = specs */
    const char *rollback_id;      /* `rollback ID`: run only this row's
                                     inverse, no forward action */
    /* Waits between verification polls; NULL = nanosleep.  Tests pass a
     * function that only counts. */
    void (*sleep_fn)(void *payload, unsigned seconds);
    void *sleep_payload;
} fc_executor_input;

typedef struct {
    char *optimization;
    char *id;                     /* journal id, or NULL when not journaled */
    char *result;                 /* done, failed, skipped, planned */
    char *reason;                 /* CamelCase, e.g. OutsideWindow */
    char *message;
} fc_exec_outcome;

typedef struct {
    fc_exec_outcome *items;
    size_t n, cap;
    size_t done, failed, skipped;
} fc_exec_report;

void fc_exec_report_init(fc_exec_report *r);
void fc_exec_report_dispose(fc_exec_report *r);

/* Runs resume, then every planned item (live only).  Per-item problems are
 * outcomes, not errors; a negative code means the journal failed and
 * nothing after it ran. */
int fc_executor_run(fc_exec_report *out, const fc_executor_input *in);

/* Starts of one row before it is given up on (failed). */
#define FC_EXEC_MAX_ATTEMPTS 5

/* Settles rows left in `started` (see the top of this file): done when
 * describe shows the change happened; `planned` (retry under the same id)
 * when the target is still in its before-state; failed after
 * FC_EXEC_MAX_ATTEMPTS starts, or when a retry could duplicate a created
 * resource (snapshot, restored volume); left `started` when the target
 * stays in between for the verify timeout or cannot be described. */
int fc_executor_resume(fc_state *s, fc_executor_cloud_fn cloud_for, void *payload,
                       int64_t now, size_t *nsettled);

/* 1 when now (UTC) is inside the window (NULL = always).  Days are mon..sun;
 * start > end spans midnight (the part after midnight belongs to the day
 * the window opened); start == end is the whole day. */
int fc_executor_in_window(const fc_opt_window *w, int64_t now);

/* How an Optimization action maps onto provider steps. */
typedef struct {
    const char *steps[2];         /* provider kinds, in order */
    size_t nsteps;
    const char *inverse;          /* kind that undoes it, NULL = irreversible */
    fc_resource_type type;        /* the target's type */
    const char *from_state;       /* required state before, or NULL */
} fc_exec_mapping;

/* FC_EUNSUPPORTED for actions the executor does not run. */
int fc_executor_map(const char *action, fc_exec_mapping *out);

/* Limit per pass and whether irreversible actions may run in account:
 * the strictest of the active Policies (min limit; every Policy covering the
 * account must say irreversible: true).  Without Policies: 5, no. */
void fc_executor_policy(const fc_spec_set *specs, const char *account,
                        unsigned *max_per_pass, int *irreversible);

/* Every executor limit for account, the strictest of the active Policies
 * (0 = no limit for per_account and per_hour). */
typedef struct {
    unsigned per_pass;            /* default 5 */
    unsigned per_account;         /* per pass, in this account; default 0 */
    unsigned per_hour;            /* journal rows started in the last hour */
    unsigned verify_timeout;      /* seconds, default 300 */
    int irreversible;
} fc_exec_limits;

void fc_executor_limits(const fc_spec_set *specs, const char *account, fc_exec_limits *out);

#endif
