/*
 * reconcilers_int.h - helpers shared by the reconcilers of this folder: a
 * status document under construction and the previous bytes of its file.
 */
#ifndef FC_RECONCILERS_INT_H
#define FC_RECONCILERS_INT_H

#include "controller/core/fc_error.h"
#include "reconcilers/fc_reconcilers.h"

#include <json-c/json.h>

typedef struct {
    char path[512];
    fc_yw *yw;                  /* streamed (fc_sdoc_ybegin), else json-c: */
    struct json_object *doc;    /* whole file */
    struct json_object *status; /* doc.status */
    struct json_object *conds;  /* doc.status.conditions */
    fc_buf prev;                /* previous bytes of path, empty if none */
} fc_sdoc;

/* Starts status/<dir>/<name>.yaml for an object of `kind`. */
int fc_sdoc_begin(fc_sdoc *d, fc_pass *pass, const char *kind,
                  const char *dir, const char *name);
/* A condition, in either kind of document (json-c or streamed). */
int fc_sdoc_cond(fc_sdoc *d, fc_pass *pass, const char *type, int ok,
                 const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
/* Adds the document to pass->status and releases d. */
int fc_sdoc_finish(fc_sdoc *d, fc_pass *pass);
/* Releases d without writing (error paths). */
void fc_sdoc_dispose(fc_sdoc *d);

/*
 * The same document streamed through w, no json-c: ybegin writes
 * apiVersion, kind, metadata and opens status.conditions; the caller adds
 * conditions with fc_sdoc_cond, closes them with fc_yw_seq_end(w), writes
 * its other status keys in order, observedCommit with fc_sdoc_ycommit where
 * it sorts, and ends with fc_sdoc_yfinish (or fc_sdoc_dispose).
 */
int fc_sdoc_ybegin(fc_sdoc *d, fc_pass *pass, fc_yw *w, const char *kind,
                   const char *dir, const char *name);
/* ybegin in two steps, for a status with keys before "conditions":
 * ybegin_status stops inside the open status mapping; yconds writes the
 * "conditions" key and opens its sequence. */
int fc_sdoc_ybegin_status(fc_sdoc *d, fc_pass *pass, fc_yw *w, const char *kind,
                          const char *dir, const char *name);
int fc_sdoc_yconds(fc_sdoc *d);
int fc_sdoc_ycommit(fc_sdoc *d, fc_pass *pass);
int fc_sdoc_yfinish(fc_sdoc *d, fc_pass *pass);

/* kv as a mapping (keys sorted; of equal keys the last wins, as json-c's). */
int fc_yw_kv(fc_yw *w, const fc_kv *kv, size_t n);

/* "finops/budgets/a.yaml:3" for an object. */
void fc_object_source(const fc_object *o, char *buf, size_t size);

/* Shortcuts for json-c. */
#define FC_JSTR(s) ((s) ? json_object_new_string(s) : json_object_new_null())
struct json_object *fc_json_strings(char *const *v, unsigned n);

/*
 * Lookups by target that would otherwise scan every recommendation for
 * every Optimization (and back): built once per fc_reconcile_all.  action
 * NULL matches any.  The first match in input order wins, as a scan would.
 */
const fc_recommendation *fc_index_rec(const fc_pass *pass, const char *resource,
                                      const char *account, const char *action);
/* Children of every Budget of pass->specs; NULL outside fc_reconcile_all. */
const fc_budget_kids *fc_index_budget_kids(const fc_pass *pass);
const fc_object *fc_index_opt(const fc_pass *pass, const char *resource,
                              const char *account, const char *action);

int fc_reconcile_account(fc_pass *pass, const fc_object *obj);
int fc_reconcile_policy(fc_pass *pass, const fc_object *obj);
int fc_reconcile_budget(fc_pass *pass, const fc_object *obj);
int fc_reconcile_optimization(fc_pass *pass, const fc_object *obj);
int fc_reconcile_schedule(fc_pass *pass, const fc_object *obj);

int fc_reconcile_recommendations(fc_pass *pass);
int fc_reconcile_proposals(fc_pass *pass);
int fc_reconcile_anomalies(fc_pass *pass);
int fc_reconcile_inventory(fc_pass *pass);
int fc_reconcile_commitments(fc_pass *pass);

/* A new zeroed item at the end of the plan; NULL (error set) on OOM. */
fc_plan_item *fc_plan_push(fc_plan *plan);

#endif
