/*
 * executions.c - status/executions/<id>.yaml: the rollback records.
 *
 * Stage: status (reconcilers).  Input: the execution journal rows the pass
 * read from the state store (pass->executions).  Output: one document per
 * row with the before/after state, who approved it at which commit, when it
 * ran, its state and how to undo it (the inverse provider steps); a rolled
 * back row names its rollback and how that went, a rollback row the row it
 * undid (kind: rollback, rollbackOf).  Pure: no
 * I/O, the rows come in as data; times are the journal's, so the same rows
 * always give the same bytes.
 */
#include "controller/executor/fc_executor.h"
#include "reconcilers/reconcilers_int.h"

#include <stdio.h>
#include <string.h>

/* Parsed JSON text of a journal column, or NULL (json null in YAML). */
static struct json_object *parsed(const char *text)
{
    return text && *text ? json_tokener_parse(text) : NULL;
}

static struct json_object *when(int64_t t)
{
    char buf[32];
    if (!t)
        return NULL;
    fc_time_format(buf, sizeof(buf), t);
    return json_object_new_string(buf);
}

/* The newest rollback row of r, or NULL. */
static const fc_exec_record *rollback_of(const fc_exec_list *rows, const fc_exec_record *r)
{
    const fc_exec_record *best = NULL;
    size_t i;
    for (i = 0; rows && i < rows->n; i++) {
        const fc_exec_record *b = &rows->items[i];
        if (b->parent && strcmp(b->parent, r->id) == 0 &&
            (!best || b->created > best->created ||
             (b->created == best->created && strcmp(b->id, best->id) > 0)))
            best = b;
    }
    return best;
}

/* reason and message the executor recorded in a rollback row's action. */
static struct json_object *rollback_summary(const fc_exec_record *b)
{
    struct json_object *o = json_object_new_object(), *a = parsed(b->action), *v;
    json_object_object_add(o, "id", json_object_new_string(b->id));
    json_object_object_add(o, "state", json_object_new_string(fc_exec_state_name(b->state)));
    if (a && json_object_object_get_ex(a, "reason", &v))
        json_object_object_add(o, "reason", json_object_get(v));
    if (a && json_object_object_get_ex(a, "message", &v))
        json_object_object_add(o, "message", json_object_get(v));
    json_object_object_add(o, "at", when(b->finished ? b->finished : b->started));
    if (b->error)
        json_object_object_add(o, "error", json_object_new_string(b->error));
    json_object_put(a);
    return o;
}

static int write_one(fc_pass *pass, const fc_exec_record *r)
{
    const fc_exec_record *rb = rollback_of(pass->executions, r);
    int is_rollback = r->kind && strcmp(r->kind, "rollback") == 0;
    struct json_object *doc = json_object_new_object();
    struct json_object *meta = json_object_new_object();
    struct json_object *st = json_object_new_object();
    struct json_object *target = json_object_new_object();
    struct json_object *undo = json_object_new_object();
    char path[512];
    int rc;

    json_object_object_add(doc, "apiVersion", json_object_new_string(FC_API_VERSION));
    json_object_object_add(doc, "kind", json_object_new_string("Execution"));
    json_object_object_add(meta, "name", json_object_new_string(r->id));
    json_object_object_add(doc, "metadata", meta);
    json_object_object_add(target, "account", FC_JSTR(r->account));
    json_object_object_add(target, "region", FC_JSTR(r->region));
    json_object_object_add(target, "resource", FC_JSTR(r->resource));
    json_object_object_add(st, "optimization", FC_JSTR(r->optimization));
    json_object_object_add(st, "kind", json_object_new_string(is_rollback ? "rollback"
                                                                          : "forward"));
    if (is_rollback)
        json_object_object_add(st, "rollbackOf", FC_JSTR(r->parent));
    if (rb)
        json_object_object_add(st, "rollback", rollback_summary(rb));
    json_object_object_add(st, "specCommit", FC_JSTR(r->commit));
    json_object_object_add(st, "approvedBy", parsed(r->approvers));
    json_object_object_add(st, "target", target);
    json_object_object_add(st, "action", parsed(r->action));
    json_object_object_add(st, "state", json_object_new_string(fc_exec_state_name(r->state)));
    json_object_object_add(st, "before", parsed(r->before));
    json_object_object_add(st, "after", parsed(r->after));
    json_object_object_add(st, "startedAt", when(r->started));
    json_object_object_add(st, "finishedAt", when(r->finished));
    if (r->error)
        json_object_object_add(st, "error", json_object_new_string(r->error));
    if (is_rollback) {
        json_object_object_add(undo, "how", json_object_new_string(
                                   "a rollback is not undone automatically: approve the "
                                   "Optimization again to re-apply it"));
    } else if (r->inverse) {
        json_object_object_add(undo, "steps", parsed(r->inverse));
        json_object_object_add(undo, "how", json_object_new_string(
                                   "the next --live pass runs these inverse steps when the "
                                   "approval commit is reverted, the Optimization deleted or "
                                   "spec.rollback.requested set; or: finops-controller "
                                   "rollback ID --live"));
    } else {
        json_object_object_add(undo, "how", json_object_new_string(
                                   "irreversible: no inverse action exists"));
    }
    json_object_object_add(st, "undo", undo);
    json_object_object_add(doc, "status", st);
    snprintf(path, sizeof(path), "status/executions/%s.yaml", r->id);
    rc = fc_status_tree_add(pass->status, path, doc);
    json_object_put(doc);
    return rc;
}

int fc_reconcile_executions(fc_pass *pass)
{
    const fc_exec_list *rows = pass->executions;
    size_t i;
    int rc = FC_OK;
    for (i = 0; rows && i < rows->n && rc == FC_OK; i++)
        rc = write_one(pass, &rows->items[i]);
    return rc;
}

int fc_reconcile_after_execution(fc_pass *pass)
{
    const fc_exec_list *rows = pass->executions;
    fc_plan *plan = pass->plan, scratch;
    size_t i, j;
    int rc = FC_OK;

    /* The Optimizations that have a row get their `execution` again; their
     * plan items are already in pass->plan, so the rerun plans into scratch. */
    fc_plan_init(&scratch);
    pass->plan = &scratch;
    for (i = 0; rows && i < pass->specs->nobjects && rc == FC_OK; i++) {
        const fc_object *o = &pass->specs->objects[i];
        if (o->kind != FC_KIND_OPTIMIZATION || o->suspended)
            continue;
        for (j = 0; j < rows->n; j++)
            if (rows->items[j].optimization &&
                strcmp(rows->items[j].optimization, o->metadata.name) == 0)
                break;
        if (j < rows->n)
            rc = fc_reconcile_optimization(pass, o);
    }
    pass->plan = plan;
    fc_plan_dispose(&scratch);
    if (rc == FC_OK)
        rc = fc_reconcile_executions(pass);
    fc_status_tree_sort(pass->status);
    return rc;
}

int fc_execution_latest(const fc_pass *pass, const char *optimization, const char **id,
                        const char **state)
{
    const fc_exec_list *rows = pass->executions;
    const fc_exec_record *best = NULL;
    size_t i;
    for (i = 0; rows && i < rows->n; i++) {
        const fc_exec_record *r = &rows->items[i];
        if (!r->optimization || strcmp(r->optimization, optimization) != 0)
            continue;
        if (!best || r->created > best->created ||
            (r->created == best->created && strcmp(r->id, best->id) > 0))
            best = r;
    }
    if (!best)
        return 0;
    *id = best->id;
    *state = fc_exec_state_name(best->state);
    return 1;
}
