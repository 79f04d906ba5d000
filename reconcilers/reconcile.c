/*
 * reconcile.c - the reconciler table and the driver of one reconcile step.
 *
 * Stage 4 of a pass.  fc_reconcile_all() walks valid objects in kind/name
 * order, gives each to its kind's reconciler, then reports invalid objects
 * (Valid=False, with file:line: field: message) and writes the
 * kind-independent files: specs.yaml, recommendations/, inventory.yaml.
 */
#include "reconcilers/reconcilers_int.h"
#include "controller/core/fc_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const fc_reconciler table[FC_KIND__COUNT] = {
    [FC_KIND_ACCOUNT] = {FC_KIND_ACCOUNT, "accounts", fc_reconcile_account},
    [FC_KIND_POLICY] = {FC_KIND_POLICY, "policies", fc_reconcile_policy},
    [FC_KIND_BUDGET] = {FC_KIND_BUDGET, "budgets", fc_reconcile_budget},
    [FC_KIND_OPTIMIZATION] = {FC_KIND_OPTIMIZATION, "optimizations",
                              fc_reconcile_optimization},
    [FC_KIND_SCHEDULE] = {FC_KIND_SCHEDULE, "schedules", fc_reconcile_schedule},
};

const fc_reconciler *fc_reconciler_for(fc_kind kind)
{
    if ((int)kind < 0 || kind >= FC_KIND__COUNT)
        return NULL;
    return &table[kind];
}

const char *fc_plan_state_name(fc_plan_state s)
{
    switch (s) {
    case FC_PLAN_PLANNED:
        return "planned";
    case FC_PLAN_BLOCKED:
        return "blocked";
    case FC_PLAN_NOOP:
        return "noop";
    }
    return "unknown";
}

void fc_approval_evidence_dispose(fc_approval_evidence *e)
{
    size_t i;
    if (!e)
        return;
    for (i = 0; i < e->nvotes; i++) {
        free(e->votes[i].identity);
        free(e->votes[i].signature_error);
    }
    free(e->votes);
    free(e->name);
    free(e->last_author);
    memset(e, 0, sizeof(*e));
}

void fc_plan_init(fc_plan *p) { memset(p, 0, sizeof(*p)); }

fc_plan_item *fc_plan_push(fc_plan *plan)
{
    fc_plan_item *it;
    if (plan->n == plan->cap) {
        size_t cap = plan->cap ? plan->cap * 2 : 16;
        fc_plan_item *p = realloc(plan->items, cap * sizeof(*p));
        if (!p) {
            fc_error_set(FC_ENOMEM, "plan");
            return NULL;
        }
        plan->items = p;
        plan->cap = cap;
    }
    it = &plan->items[plan->n++];
    memset(it, 0, sizeof(*it));
    return it;
}

void fc_plan_dispose(fc_plan *p)
{
    size_t i;
    for (i = 0; i < p->n; i++) {
        fc_plan_item *it = &p->items[i];
        free(it->optimization);
        free(it->action);
        free(it->account);
        free(it->region);
        free(it->resource);
        free(it->reason);
        free(it->message);
        free(it->policy);
        free(it->preapproval);
    }
    free(p->items);
    fc_plan_init(p);
}

/* ---- status documents -------------------------------------------------- */

/* Path and previous bytes of status/<dir>/<name>.yaml. */
static int sdoc_open(fc_sdoc *d, fc_pass *pass, const char *dir, const char *name)
{
    int n;

    memset(d, 0, sizeof(*d));
    fc_buf_init(&d->prev);
    n = snprintf(d->path, sizeof(d->path), "status/%s/%s.yaml", dir, name);
    if (n < 0 || (size_t)n >= sizeof(d->path))
        return fc_error_set(FC_EINVALID, "status path too long for %s", name);
    if (pass->prev && pass->prev(pass->prev_payload, d->path, &d->prev) != FC_OK)
        fc_buf_dispose(&d->prev);
    return FC_OK;
}

int fc_sdoc_begin(fc_sdoc *d, fc_pass *pass, const char *kind,
                  const char *dir, const char *name)
{
    struct json_object *meta;
    int rc;

    if ((rc = sdoc_open(d, pass, dir, name)) != FC_OK)
        return rc;
    d->doc = json_object_new_object();
    meta = json_object_new_object();
    d->status = json_object_new_object();
    d->conds = json_object_new_array();
    if (!d->doc || !meta || !d->status || !d->conds) {
        json_object_put(meta);
        fc_sdoc_dispose(d);
        return fc_error_set(FC_ENOMEM, "status document");
    }
    json_object_object_add(d->doc, "apiVersion", json_object_new_string(FC_API_VERSION));
    json_object_object_add(d->doc, "kind", json_object_new_string(kind));
    json_object_object_add(meta, "name", json_object_new_string(name));
    json_object_object_add(d->doc, "metadata", meta);
    json_object_object_add(d->doc, "status", d->status);
    json_object_object_add(d->status, "conditions", d->conds);
    if (pass->commit)
        json_object_object_add(d->status, "observedCommit",
                               json_object_new_string(pass->commit));
    return FC_OK;
}

int fc_sdoc_cond(fc_sdoc *d, fc_pass *pass, const char *type, int ok,
                 const char *reason, const char *fmt, ...)
{
    char msg[1024];
    const char *text = msg;
    va_list ap;
    va_start(ap, fmt);
    /* A fixed message, or one string (a finding's summary), as it is when
     * it fits: 100,000 conditions a pass at 100k resources. */
    if (!strchr(fmt, '%') && strlen(fmt) < sizeof(msg)) {
        text = fmt;
    } else if (strcmp(fmt, "%s") == 0) {
        const char *arg = va_arg(ap, const char *);
        if (arg && strnlen(arg, sizeof(msg)) < sizeof(msg))
            text = arg;
        else
            snprintf(msg, sizeof(msg), "%s", arg);
    } else {
        vsnprintf(msg, sizeof(msg), fmt, ap);
    }
    va_end(ap);
    if (d->yw) /* streamed (fc_sdoc_ybegin) */
        return fc_yw_condition(d->yw, type, ok, reason, text, pass->now, d->prev.data,
                               d->prev.len);
    return fc_status_condition(d->conds, type, ok, reason, text, pass->now,
                               d->prev.data, d->prev.len);
}

void fc_sdoc_dispose(fc_sdoc *d)
{
    json_object_put(d->doc);
    d->doc = NULL;
    if (d->yw)
        fc_yw_reset(d->yw);
    d->yw = NULL;
    fc_buf_dispose(&d->prev);
}

int fc_sdoc_ybegin_status(fc_sdoc *d, fc_pass *pass, fc_yw *w, const char *kind,
                          const char *dir, const char *name)
{
    int rc;

    if ((rc = sdoc_open(d, pass, dir, name)) != FC_OK)
        return rc;
    d->yw = w;
    fc_yw_reset(w);
    fc_yw_map_begin(w);
    fc_yw_kstr(w, "apiVersion", FC_API_VERSION);
    fc_yw_kstr(w, "kind", kind);
    fc_yw_key(w, "metadata");
    fc_yw_map_begin(w);
    fc_yw_kstr(w, "name", name);
    fc_yw_map_end(w);
    fc_yw_key(w, "status");
    if ((rc = fc_yw_map_begin(w)) != FC_OK)
        fc_sdoc_dispose(d);
    return rc;
}

int fc_sdoc_yconds(fc_sdoc *d)
{
    fc_yw_key(d->yw, "conditions");
    return fc_yw_seq_begin(d->yw);
}

int fc_sdoc_ybegin(fc_sdoc *d, fc_pass *pass, fc_yw *w, const char *kind,
                   const char *dir, const char *name)
{
    int rc;

    if ((rc = fc_sdoc_ybegin_status(d, pass, w, kind, dir, name)) != FC_OK)
        return rc;
    if ((rc = fc_sdoc_yconds(d)) != FC_OK)
        fc_sdoc_dispose(d);
    return rc;
}

int fc_sdoc_ycommit(fc_sdoc *d, fc_pass *pass)
{
    /* fc_sdoc_begin adds the key only with a commit. */
    return pass->commit ? fc_yw_kstr(d->yw, "observedCommit", pass->commit) : FC_OK;
}

int fc_sdoc_yfinish(fc_sdoc *d, fc_pass *pass)
{
    int rc;
    fc_yw_map_end(d->yw); /* status */
    if ((rc = fc_yw_map_end(d->yw)) == FC_OK)
        rc = fc_status_tree_add_yw(pass->status, d->path, d->yw);
    fc_sdoc_dispose(d);
    return rc;
}

int fc_sdoc_finish(fc_sdoc *d, fc_pass *pass)
{
    int rc = fc_status_tree_add(pass->status, d->path, d->doc);
    fc_sdoc_dispose(d);
    return rc;
}

void fc_object_source(const fc_object *o, char *buf, size_t size)
{
    snprintf(buf, size, "%s:%u", o->file ? o->file : "?", o->line);
}

struct json_object *fc_json_strings(char *const *v, unsigned n)
{
    struct json_object *a = json_object_new_array();
    unsigned i;
    for (i = 0; a && i < n; i++)
        json_object_array_add(a, json_object_new_string(v[i]));
    return a;
}

/* ---- invalid specs ----------------------------------------------------- */

static int object_is_valid(const fc_spec_set *set, int kind, const char *name)
{
    return name && fc_specs_find(set, (fc_kind)kind, name) != NULL;
}

/* Invalid objects get their own status file: every error of that object. */
static int report_invalid_objects(fc_pass *pass)
{
    const fc_spec_set *set = pass->specs;
    size_t i, j;
    int rc = FC_OK;

    for (i = 0; i < set->nerrors && rc == FC_OK; i++) {
        const fc_spec_error *e = &set->errors[i];
        const fc_reconciler *r;
        struct json_object *errs;
        fc_sdoc d;
        char first[1024];
        int seen = 0;

        if (e->kind < 0 || !e->name || !(r = fc_reconciler_for((fc_kind)e->kind)))
            continue;
        /* A rejected duplicate must not overwrite the status of the valid
         * object of that name; specs.yaml lists it. */
        if (object_is_valid(set, e->kind, e->name))
            continue;
        for (j = 0; j < i; j++)
            if (set->errors[j].kind == e->kind && set->errors[j].name &&
                strcmp(set->errors[j].name, e->name) == 0)
                seen = 1;
        if (seen)
            continue;
        if ((rc = fc_sdoc_begin(&d, pass, fc_kind_name((fc_kind)e->kind), r->dir,
                                e->name)) != FC_OK)
            break;
        errs = json_object_new_array();
        for (j = i; j < set->nerrors; j++) {
            const fc_spec_error *f = &set->errors[j];
            char line[1024];
            if (f->kind != e->kind || !f->name || strcmp(f->name, e->name) != 0)
                continue;
            fc_spec_error_format(f, line, sizeof(line));
            json_object_array_add(errs, json_object_new_string(line));
        }
        fc_spec_error_format(e, first, sizeof(first));
        json_object_object_add(d.status, "errors", errs);
        rc = fc_sdoc_cond(&d, pass, "Valid", 0, "InvalidSpec", "%s", first);
        if (rc == FC_OK)
            rc = fc_sdoc_cond(&d, pass, "Ready", 0, "InvalidSpec",
                              "not reconciled: the spec is invalid");
        if (rc == FC_OK)
            rc = fc_sdoc_finish(&d, pass);
        else
            fc_sdoc_dispose(&d);
    }
    return rc;
}

/* status/specs.yaml: what was read at which commit, and every error. */
static int report_specs(fc_pass *pass)
{
    const fc_spec_set *set = pass->specs;
    struct json_object *doc = json_object_new_object();
    struct json_object *errs = json_object_new_array();
    struct json_object *counts = json_object_new_object();
    struct json_object *bad_files = json_object_new_array();
    size_t i, k;
    int rc;
    int per_kind[FC_KIND__COUNT] = {0};

    for (i = 0; i < set->nobjects; i++)
        per_kind[set->objects[i].kind]++;
    for (k = 0; k < FC_KIND__COUNT; k++)
        json_object_object_add(counts, fc_kind_name((fc_kind)k),
                               json_object_new_int(per_kind[k]));
    for (i = 0; i < set->nerrors; i++) {
        const fc_spec_error *e = &set->errors[i];
        struct json_object *o = json_object_new_object();
        json_object_object_add(o, "file", json_object_new_string(e->file));
        json_object_object_add(o, "line", json_object_new_int((int)e->line));
        json_object_object_add(o, "field", json_object_new_string(e->field ? e->field : ""));
        json_object_object_add(o, "message", json_object_new_string(e->message));
        if (e->kind >= 0)
            json_object_object_add(o, "kind",
                                   json_object_new_string(fc_kind_name((fc_kind)e->kind)));
        if (e->name)
            json_object_object_add(o, "name", json_object_new_string(e->name));
        json_object_array_add(errs, o);
        if (i == 0 || strcmp(set->errors[i - 1].file, e->file) != 0)
            json_object_array_add(bad_files, json_object_new_string(e->file));
    }
    json_object_object_add(doc, "apiVersion", json_object_new_string(FC_API_VERSION));
    json_object_object_add(doc, "kind", json_object_new_string("SpecReport"));
    json_object_object_add(doc, "observedCommit", FC_JSTR(pass->commit));
    json_object_object_add(doc, "files", json_object_new_int((int)set->nfiles));
    json_object_object_add(doc, "validObjects", counts);
    json_object_object_add(doc, "invalidFiles", bad_files);
    json_object_object_add(doc, "errors", errs);
    rc = fc_status_tree_add(pass->status, "status/specs.yaml", doc);
    json_object_put(doc);
    return rc;
}

/* ---- target index --------------------------------------------------------- */

typedef struct {
    fc_str_key key;      /* of resource: most comparisons end in it */
    const char *resource;
    const char *account;
    const char *action;
    size_t pos;          /* input order: the tie-break a scan would give */
    const void *item;
} link;

struct fc_reconcile_index {
    link *recs;
    size_t nrecs;
    link *opts;
    size_t nopts;
    fc_budget_kids *budget_kids; /* children of each Budget */
};

static link link_of(const char *resource, const char *account, const char *action,
                    size_t pos, const void *item)
{
    link l;
    fc_str_key_of(&l.key, resource ? resource : "");
    l.resource = resource;
    l.account = account;
    l.action = action;
    l.pos = pos;
    l.item = item;
    return l;
}

static int link_cmp(const void *a, const void *b)
{
    const link *x = a, *y = b;
    int c;
    if ((c = fc_str_key_cmp(&x->key, x->resource, &y->key, y->resource)) != 0 ||
        (c = strcmp(x->account, y->account)) != 0)
        return c;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static int index_build(fc_pass *pass, struct fc_reconcile_index *ix)
{
    size_t i;
    memset(ix, 0, sizeof(*ix));
    if (pass->recs && pass->recs->n &&
        !(ix->recs = calloc(pass->recs->n, sizeof(*ix->recs))))
        return fc_error_set(FC_ENOMEM, "out of memory");
    for (i = 0; pass->recs && i < pass->recs->n; i++) {
        const fc_recommendation *r = &pass->recs->items[i];
        ix->recs[ix->nrecs++] = link_of(r->resource, r->account, r->action, i, r);
    }
    if (pass->specs->nobjects &&
        !(ix->opts = calloc(pass->specs->nobjects, sizeof(*ix->opts))))
        return fc_error_set(FC_ENOMEM, "out of memory");
    for (i = 0; i < pass->specs->nobjects; i++) {
        const fc_object *o = &pass->specs->objects[i];
        const fc_optimization_spec *s;
        if (o->kind != FC_KIND_OPTIMIZATION)
            continue;
        s = o->spec.optimization;
        ix->opts[ix->nopts++] = link_of(s->target.resource, s->target.account, s->action, i, o);
    }
    if (ix->nrecs > 1)
        qsort(ix->recs, ix->nrecs, sizeof(*ix->recs), link_cmp);
    if (ix->nopts > 1)
        qsort(ix->opts, ix->nopts, sizeof(*ix->opts), link_cmp);
    return fc_budget_kids_new(&ix->budget_kids, pass->specs);
}

static const void *index_find(const link *v, size_t n, const char *resource,
                              const char *account, const char *action)
{
    size_t lo = 0, hi = n;
    fc_str_key key;
    fc_str_key_of(&key, resource);
    /* First entry with (resource, account) >= the key. */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = fc_str_key_cmp(&v[mid].key, v[mid].resource, &key, resource);
        if (c == 0)
            c = strcmp(v[mid].account, account);
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < n && fc_str_key_cmp(&v[lo].key, v[lo].resource, &key, resource) == 0 &&
           strcmp(v[lo].account, account) == 0;
         lo++)
        if (!action || strcmp(v[lo].action, action) == 0)
            return v[lo].item;
    return NULL;
}

const fc_recommendation *fc_index_rec(const fc_pass *pass, const char *resource,
                                      const char *account, const char *action)
{
    return pass->index ? index_find(pass->index->recs, pass->index->nrecs, resource,
                                    account, action)
                       : NULL;
}

const fc_budget_kids *fc_index_budget_kids(const fc_pass *pass)
{
    return pass->index ? pass->index->budget_kids : NULL;
}

const fc_object *fc_index_opt(const fc_pass *pass, const char *resource,
                              const char *account, const char *action)
{
    return pass->index ? index_find(pass->index->opts, pass->index->nopts, resource,
                                    account, action)
                       : NULL;
}

/* A suspended object keeps a status file that says so, and nothing else:
 * no evaluation, no plan, nothing its kind would otherwise do. */
static int report_suspended(fc_pass *pass, const fc_object *o, const fc_reconciler *r)
{
    fc_sdoc d;
    int rc = fc_sdoc_begin(&d, pass, fc_kind_name(o->kind), r->dir, o->metadata.name);
    if (rc != FC_OK)
        return rc;
    rc = fc_sdoc_cond(&d, pass, "Valid", 1, "SpecValid", "spec is valid");
    if (rc == FC_OK)
        rc = fc_sdoc_cond(&d, pass, "Ready", 0, "Suspended",
                          "spec.suspend is true: not reconciled until it is removed");
    if (rc != FC_OK) {
        fc_sdoc_dispose(&d);
        return rc;
    }
    json_object_object_add(d.status, "suspended", json_object_new_boolean(1));
    return fc_sdoc_finish(&d, pass);
}

int fc_reconcile_all(fc_pass *pass)
{
    struct fc_reconcile_index ix;
    size_t i;
    int rc;

    if ((rc = index_build(pass, &ix)) != FC_OK)
        goto out;
    pass->index = &ix;
    /* A file per object, per recommendation and per proposal (at most one
     * per recommendation), besides a few: 75,000 at 100k resources. */
    if ((rc = fc_status_tree_reserve(pass->status,
                                     pass->status->n + pass->specs->nobjects + 64 +
                                         (pass->recs ? 2 * pass->recs->n : 0))) != FC_OK)
        goto out;

    /* First: the inventory document is the largest (17 MiB at 100k
     * resources) and its render buffer peaks at twice that, best while
     * the rest of the tree is still empty. */
    rc = fc_reconcile_inventory(pass);
    for (i = 0; i < pass->specs->nobjects && rc == FC_OK; i++) {
        const fc_object *o = &pass->specs->objects[i];
        const fc_reconciler *r = fc_reconciler_for(o->kind);
        rc = o->suspended ? report_suspended(pass, o, r) : r->reconcile(pass, o);
    }
    if (rc == FC_OK)
        rc = report_invalid_objects(pass);
    if (rc == FC_OK)
        rc = report_specs(pass);
    if (rc == FC_OK)
        rc = fc_reconcile_recommendations(pass);
    if (rc == FC_OK)
        rc = fc_reconcile_proposals(pass);
    if (rc == FC_OK)
        rc = fc_reconcile_anomalies(pass);
    if (rc == FC_OK)
        rc = fc_reconcile_commitments(pass);
    if (rc == FC_OK)
        rc = fc_reconcile_executions(pass);
    fc_status_tree_sort(pass->status);
out:
    pass->index = NULL;
    free(ix.recs);
    free(ix.opts);
    fc_budget_kids_free(ix.budget_kids);
    return rc;
}
