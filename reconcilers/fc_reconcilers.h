/*
 * fc_reconcilers.h - one reconciler per spec kind, each diffing desired
 * (the spec) against observed (inventory + engine findings) and producing
 * status documents and, for Optimizations, a plan.
 *
 * Reconcilers do no I/O: the previous status of a file comes through the
 * pass's `prev` callback, output goes into pass->status and pass->plan.
 * They are level-based: the same inputs always give the same outputs.
 */
#ifndef FC_RECONCILERS_H
#define FC_RECONCILERS_H

#include "controller/cloud/fc_cloud.h"
#include "controller/core/fc_util.h"
#include "controller/engines/fc_engines.h"
#include "controller/status/fc_status.h"
#include "specs/fc_specs.h"

#include <stddef.h>
#include <stdint.h>

typedef enum { FC_PLAN_PLANNED, FC_PLAN_BLOCKED, FC_PLAN_NOOP } fc_plan_state;
const char *fc_plan_state_name(fc_plan_state s);

/* One Optimization turned into a concrete provider action. */
typedef struct {
    char *optimization;     /* spec name */
    char *action;           /* stop, modify-volume, ... */
    char *account;
    char *region;
    char *resource;
    fc_plan_state state;
    char *reason;           /* CamelCase reason when blocked or noop */
    char *message;          /* one line for humans */
    double monthly_saving;  /* from the matching recommendation, else 0 */
    int approved;           /* approved at this commit, whatever the state
                               (the executor rolls back what is not); 1
                               when the approver list is missing */
    char *policy;           /* pre-approved by this Policy (optimization is
                               then "<policy>-<recommendation id>" and no
                               Optimization spec exists), or NULL */
    char *preapproval;      /* the Policy's preApproved entry, or NULL */
} fc_plan_item;

typedef struct {
    fc_plan_item *items;    /* in reconcile order: Policies' pre-approved
                               items, then Optimizations by name */
    size_t n;
    size_t cap;
} fc_plan;

void fc_plan_init(fc_plan *p);
void fc_plan_dispose(fc_plan *p);

/* One commit that authored the current content of an Optimization. */
typedef struct {
    char *identity;              /* author email as committed */
    char commit[41];
    int signature;               /* 1 verified, 0 not checked, -1 failed */
    char *signature_error;       /* why it failed, or NULL */
} fc_approval_vote;

/*
 * What git history says about one Optimization: the commits on the tracked
 * branch whose resulting version has the same content as now (approval list
 * aside), newest first.  Computed by the pass, judged by the reconciler.
 */
typedef struct {
    fc_kind kind;                /* FC_KIND_POLICY for a Policy's preApproved;
                                    any other value is an Optimization's */
    char *name;                  /* its name */
    fc_approval_vote *votes;
    size_t nvotes;
    char *last_author;           /* author of the newest change, for messages */
    char last_commit[41];
} fc_approval_evidence;

void fc_approval_evidence_dispose(fc_approval_evidence *e);


struct fc_approvers;
struct fc_exec_list; /* controller/executor/fc_executor.h */

typedef struct fc_pass {
    int64_t now;
    const char *commit;          /* spec commit (hex) the specs came from */
    const fc_spec_set *specs;
    const fc_inventory *inv;
    const fc_price_table *prices;
    const fc_recommendation_list *recs;
    const char *discovery_error; /* non-NULL when discovery failed */
    const char *provider;        /* --provider for Accounts without one;
                                    NULL = sim */
    const struct fc_approvers *approvers; /* NULL when the list is missing */
    const char *approvers_error;         /* why it is missing or invalid */
    const fc_approval_evidence *evidence; /* one per Optimization */
    size_t nevidence;
    /* Budget alert memory from the state store; NULL = not tracked. */
    const fc_budget_alert_list *budget_alerts;
    /* Savings Plan rates for status/commitments.yaml; NULL = no report. */
    const fc_sp_rates *sp_rates;
    /* Cost anomalies for status/anomalies/ (open and recently resolved);
     * NULL = none written. */
    const fc_anomaly_list *anomalies;
    /* Previous bytes of a status file; FC_ENOTFOUND when there were none. */
    int (*prev)(void *payload, const char *path, fc_buf *out);
    void *prev_payload;
    fc_status_tree *status;      /* out */
    fc_plan *plan;               /* out */
    size_t budgets_over;         /* out: budgets with a threshold crossed */
    struct fc_reconcile_index *index; /* private to fc_reconcile_all */
    /* Execution journal rows read from the state store, for
     * status/executions/ and Optimization status.execution; NULL = none. */
    const struct fc_exec_list *executions;
    int live;                    /* --live: plan.dryRun is false */
} fc_pass;

typedef struct {
    fc_kind kind;
    const char *dir;             /* status/<dir>/<name>.yaml */
    int (*reconcile)(fc_pass *pass, const fc_object *obj);
} fc_reconciler;

/* The table, one entry per kind, in fc_kind order. */
const fc_reconciler *fc_reconciler_for(fc_kind kind);

/*
 * Runs every reconciler over the valid objects, reports invalid objects in
 * their own status files and in status/specs.yaml, and writes
 * status/recommendations/ and status/inventory.yaml.
 */
int fc_reconcile_all(fc_pass *pass);

/* status/executions/<id>.yaml for every row of pass->executions (the
 * rollback records); fc_reconcile_all() calls it. */
int fc_reconcile_executions(fc_pass *pass);
/* After the executor ran (pass->executions re-read): rewrites the status of
 * the Optimizations that have a row and every execution record, leaving
 * pass->plan as it was. */
int fc_reconcile_after_execution(fc_pass *pass);
/* Newest journal row of an Optimization: 1 and borrowed id/state, or 0. */
int fc_execution_latest(const fc_pass *pass, const char *optimization,
                        const char **id, const char **state);

/*
 * The one approval judgement (approval by reviewed commit), for an
 * Optimization and for a Policy's preApproved entries alike: an identity
 * counts when it is in approved_by, in the approver list, and authored a
 * commit whose version of the object (kind, name) is the current one (with
 * a good signature when the list asks for it).  Returns 1 when enough
 * distinct identities count for `risk` in `account` (the first Policy
 * covering it says how many); else 0 with *reason (CamelCase) and msg.
 */
int fc_approval_judge(const fc_pass *pass, fc_kind kind, const char *name,
                      char *const *approved_by, unsigned napproved_by, const char *account,
                      fc_risk risk, const char **reason, char *msg, size_t msize);

/* The risk of an action: the highest over the resource types it applies to
 * (HIGH for an unknown action). */
fc_risk fc_action_risk(const char *action);

/* ---- pre-approval (preapproved.c, issue 7.2) ---- */
struct json_object;
/* 1 when a Policy's preApproved entry covers account: in its accounts (ids
 * or Account names) and, with accountTags, an Account spec carrying every
 * tag.  An entry with neither covers nothing. */
int fc_preapproval_covers_account(const fc_spec_set *set, const fc_policy_preapproval *e,
                                  const char *account);
/* 1 when e covers recommendation r: same rule, same action, covered account
 * (risk is judged by the caller). */
int fc_preapproval_matches(const fc_spec_set *set, const fc_policy_preapproval *e,
                           const fc_recommendation *r);
/* The Policy's pre-approvals: plan items into pass->plan for approved,
 * low-risk matches, and *out = status.preApproved (a new JSON array; NULL
 * when the Policy has no entries). */
int fc_preapproved_reconcile(fc_pass *pass, const fc_object *policy, struct json_object **out);

#endif
