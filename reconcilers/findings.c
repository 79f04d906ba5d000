/*
 * findings.c - status files that belong to no spec kind: one file per
 * recommendation the engines produced, and the inventory summary.
 */
#include "reconcilers/reconcilers_int.h"
#include "controller/core/fc_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Events the inventory's writer keeps before it drops them: a small
 * estate's inventory keeps its libyaml fallback; 100k resources would
 * otherwise hold 17 MiB of events next to the rendering. */
#define INVENTORY_LOG_BOUND ((size_t)64 * 1024)

static int kv_cmp(const void *a, const void *b)
{
    const fc_kv *x = *(const fc_kv *const *)a, *y = *(const fc_kv *const *)b;
    int c = strcmp(x->key, y->key);
    return c ? c : (x < y ? -1 : x > y); /* input order among equal keys */
}

int fc_yw_kv(fc_yw *w, const fc_kv *kv, size_t n)
{
    const fc_kv *stack[16], **v = stack;
    size_t i;
    int rc;

    /* The engines hand over evidence sorted, with distinct keys: written
     * as it is. */
    for (i = 1; i < n && strcmp(kv[i - 1].key, kv[i].key) < 0; i++)
        ;
    if (i >= n) {
        fc_yw_map_begin(w);
        for (i = 0; i < n; i++)
            fc_yw_kstr(w, kv[i].key, kv[i].value);
        return fc_yw_map_end(w);
    }
    if (n > 16 && !(v = malloc(n * sizeof(*v))))
        return fc_error_set(FC_ENOMEM, "out of memory");
    for (i = 0; i < n; i++)
        v[i] = &kv[i];
    qsort(v, n, sizeof(*v), kv_cmp);
    fc_yw_map_begin(w);
    for (i = 0; i < n; i++)
        if (i + 1 == n || strcmp(v[i]->key, v[i + 1]->key) != 0)
            fc_yw_kstr(w, v[i]->key, v[i]->value);
    rc = fc_yw_map_end(w);
    if (v != stack)
        free(v);
    return rc;
}

/* One file per recommendation, streamed: keys below in sorted order. */
static int write_recommendation(fc_pass *pass, fc_yw *w, const fc_recommendation *r)
{
    /* The Optimization (valid spec) that acts on it, if any. */
    const fc_object *opt = fc_index_opt(pass, r->resource, r->account, r->action);
    fc_sdoc d;
    int rc;

    if ((rc = fc_sdoc_ybegin(&d, pass, w, "Recommendation", "recommendations", r->id)))
        return rc;
    fc_sdoc_cond(&d, pass, "Open", 1, "Detected", "%s", r->summary);
    if (opt)
        fc_sdoc_cond(&d, pass, "Addressed", 1, "OptimizationExists",
                      "Optimization %s acts on it", opt->metadata.name);
    else
        fc_sdoc_cond(&d, pass, "Addressed", 0, "AwaitingApproval",
                      "no Optimization spec acts on it yet");
    fc_yw_seq_end(w);
    fc_yw_kstr(w, "currency", r->currency);
    fc_yw_key(w, "evidence");
    rc = fc_yw_kv(w, r->evidence, r->nevidence);
    fc_yw_key(w, "monthlySaving");
    fc_yw_number(w, r->monthly_saving, 2);
    fc_sdoc_ycommit(&d, pass);
    fc_yw_kstr(w, "policy", r->policy);
    fc_yw_key(w, "resource");
    fc_yw_map_begin(w);
    fc_yw_kstr(w, "account", r->account);
    fc_yw_kstr(w, "id", r->resource);
    fc_yw_kstr(w, "region", r->region);
    fc_yw_kstr(w, "type", fc_resource_type_name(r->resource_type));
    fc_yw_map_end(w);
    fc_yw_kstr(w, "risk", fc_risk_name(r->risk));
    fc_yw_kstr(w, "rule", r->rule);
    fc_yw_key(w, "suggested");
    fc_yw_map_begin(w);
    fc_yw_kstr(w, "action", r->action);
    fc_yw_key(w, "parameters");
    if (rc == FC_OK)
        rc = fc_yw_kv(w, r->parameters, r->nparameters);
    fc_yw_map_end(w);
    fc_yw_kstr(w, "summary", r->summary);
    if (rc != FC_OK) {
        fc_sdoc_dispose(&d);
        return rc;
    }
    return fc_sdoc_yfinish(&d, pass);
}

int fc_reconcile_recommendations(fc_pass *pass)
{
    size_t i;
    int rc = FC_OK;
    fc_yw w;

    fc_yw_init(&w);
    for (i = 0; pass->recs && i < pass->recs->n && rc == FC_OK; i++)
        rc = write_recommendation(pass, &w, &pass->recs->items[i]);
    fc_yw_dispose(&w);
    return rc;
}

static int res_cmp(const void *a, const void *b)
{
    const fc_resource *x = *(const fc_resource *const *)a;
    const fc_resource *y = *(const fc_resource *const *)b;
    int c;
    if (x->type != y->type)
        return (int)x->type - (int)y->type;
    if ((c = strcmp(x->account, y->account)))
        return c;
    if ((c = strcmp(x->region, y->region)))
        return c;
    return strcmp(x->id, y->id);
}

/* A string with how often it occurs. */
typedef struct {
    const char *s;
    size_t n;
} tally;

static int tally_cmp(const void *a, const void *b)
{
    return strcmp(((const tally *)a)->s, ((const tally *)b)->s);
}

/* Counts s: the resources come sorted, so most are repeats of the last. */
static int tally_add(tally **v, size_t *n, size_t *cap, const char *s)
{
    if (*n && strcmp((*v)[*n - 1].s, s) == 0) {
        (*v)[*n - 1].n++;
        return FC_OK;
    }
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 64;
        tally *p = realloc(*v, c * sizeof(*p));
        if (!p)
            return fc_error_set(FC_ENOMEM, "inventory");
        *v = p;
        *cap = c;
    }
    (*v)[(*n)++] = (tally){s, 1};
    return FC_OK;
}

/* Sorts and merges equal strings; *n becomes the number of distinct ones. */
static void tally_merge(tally *v, size_t *n)
{
    size_t i, k = 0;
    if (*n > 1)
        qsort(v, *n, sizeof(*v), tally_cmp);
    for (i = 0; i < *n; i++) {
        if (k && strcmp(v[k - 1].s, v[i].s) == 0)
            v[k - 1].n += v[i].n;
        else
            v[k++] = v[i];
    }
    *n = k;
}

static void write_tally(fc_yw *w, const char *key, const tally *v, size_t n)
{
    size_t i;
    fc_yw_key(w, key);
    fc_yw_map_begin(w);
    for (i = 0; i < n; i++) {
        fc_yw_key(w, v[i].s);
        fc_yw_int(w, (int64_t)v[i].n);
    }
    fc_yw_map_end(w);
}

static void write_resource(fc_yw *w, const fc_resource *r)
{
    fc_yw_map_begin(w);
    fc_yw_kstr(w, "account", r->account);
    if (r->attached_to)
        fc_yw_kstr(w, "attachedTo", r->attached_to);
    if (r->size_class)
        fc_yw_kstr(w, "class", r->size_class);
    fc_yw_kstr(w, "id", r->id);
    if (r->name)
        fc_yw_kstr(w, "name", r->name);
    fc_yw_kstr(w, "region", r->region);
    if (r->size > 0) {
        fc_yw_key(w, "size");
        fc_yw_number(w, r->size, 0);
    }
    if (r->state)
        fc_yw_kstr(w, "state", r->state);
    fc_yw_kstr(w, "type", fc_resource_type_name(r->type));
    fc_yw_map_end(w);
}

/* The counts by type, account and region, for the inventory's head. */
typedef struct {
    tally *types, *accounts, *regions;
    size_t ntypes, naccounts, nregions;
} inventory_counts;

/* The inventory document through w. */
static int write_inventory(fc_pass *pass, fc_yw *w, const fc_resource *const *sorted,
                           size_t n, const inventory_counts *k, int ok,
                           const char *reason, const char *text, const fc_buf *prev)
{
    const fc_inventory *inv = pass->inv;
    size_t i;

    fc_yw_map_begin(w);
    fc_yw_kstr(w, "apiVersion", FC_API_VERSION);
    write_tally(w, "byAccount", k->accounts, k->naccounts);
    write_tally(w, "byRegion", k->regions, k->nregions);
    write_tally(w, "byType", k->types, k->ntypes);
    fc_yw_key(w, "conditions");
    fc_yw_seq_begin(w);
    fc_yw_condition(w, "Discovered", ok, reason, text, pass->now, prev->data, prev->len);
    fc_yw_seq_end(w);
    fc_yw_kstr(w, "kind", "Inventory");
    fc_yw_kstr(w, "observedCommit", pass->commit);
    fc_yw_key(w, "resources");
    fc_yw_seq_begin(w);
    for (i = 0; i < n; i++)
        write_resource(w, sorted[i]);
    fc_yw_seq_end(w);
    if (inv && inv->nstale) {
        fc_yw_key(w, "stale");
        fc_yw_seq_begin(w);
        for (i = 0; i < inv->nstale; i++) {
            fc_yw_map_begin(w);
            fc_yw_kstr(w, "account", inv->stale[i].account);
            fc_yw_kstr(w, "error", inv->stale[i].error);
            fc_yw_kstr(w, "region", inv->stale[i].region);
            fc_yw_kstr(w, "service", inv->stale[i].service);
            fc_yw_map_end(w);
        }
        fc_yw_seq_end(w);
    }
    fc_yw_key(w, "total");
    fc_yw_int(w, (int64_t)n);
    fc_yw_map_end(w);
    return fc_status_tree_add_yw(pass->status, "status/inventory.yaml", w);
}

/*
 * The inventory lists every resource (17 MiB of YAML at 100k resources),
 * streamed: no json-c tree of them, and rendered as it is written, without
 * an event log, unless a name needs libyaml's quoting (then it is written
 * again with the log).  The counts by type, account and region come first
 * in the file, so they are taken before it is written.
 */
int fc_reconcile_inventory(fc_pass *pass)
{
    const fc_inventory *inv = pass->inv;
    const fc_resource **sorted = NULL;
    inventory_counts k;
    size_t ctypes = 0, caccounts = 0, cregions = 0;
    size_t i, n = inv ? inv->nresources : 0;
    char msg[128], smsg[600];
    const char *reason = "Discovered", *text = msg;
    fc_buf prev;
    fc_yw w;
    int rc = FC_OK, ok = 1;

    memset(&k, 0, sizeof(k));
    if (n && !(sorted = malloc(n * sizeof(*sorted))))
        return fc_error_set(FC_ENOMEM, "inventory");
    for (i = 0; i < n; i++)
        sorted[i] = &inv->resources[i];
    if (n)
        qsort(sorted, n, sizeof(*sorted), res_cmp);
    for (i = 0; i < n && rc == FC_OK; i++) {
        const fc_resource *r = sorted[i];
        if ((rc = tally_add(&k.types, &k.ntypes, &ctypes, fc_resource_type_name(r->type))) ||
            (rc = tally_add(&k.accounts, &k.naccounts, &caccounts, r->account)))
            break;
        rc = tally_add(&k.regions, &k.nregions, &cregions, r->region);
    }
    if (rc != FC_OK)
        goto done;
    tally_merge(k.types, &k.ntypes);
    tally_merge(k.accounts, &k.naccounts);
    tally_merge(k.regions, &k.nregions);

    snprintf(msg, sizeof(msg), "%zu resources in %d accounts and %d regions", n,
             (int)k.naccounts, (int)k.nregions);
    if (pass->discovery_error) {
        ok = 0;
        reason = "DiscoveryFailed";
        text = pass->discovery_error;
    } else if (inv && inv->nstale) {
        /* Scopes the provider could not read: listed, and the condition says so. */
        snprintf(smsg, sizeof(smsg), "%s; %zu stale scope%s, first %s %s %s: %s", msg,
                 inv->nstale, inv->nstale == 1 ? "" : "s", inv->stale[0].account,
                 inv->stale[0].region[0] ? inv->stale[0].region : "(all regions)",
                 inv->stale[0].service, inv->stale[0].error);
        ok = 0;
        reason = "PartialDiscovery";
        text = smsg;
    }
    fc_buf_init(&prev);
    if (pass->prev && pass->prev(pass->prev_payload, "status/inventory.yaml", &prev) != FC_OK)
        fc_buf_dispose(&prev);

    fc_yw_init(&w);
    fc_yw_bound(&w, INVENTORY_LOG_BOUND);
    rc = write_inventory(pass, &w, sorted, n, &k, ok, reason, text, &prev);
    if (rc == FC_EUNSUPPORTED) {
        fc_yw_bound(&w, 0);
        fc_yw_reset(&w);
        rc = write_inventory(pass, &w, sorted, n, &k, ok, reason, text, &prev);
    }
    fc_yw_dispose(&w);
    fc_buf_dispose(&prev);
done:
    free(sorted);
    free(k.types);
    free(k.accounts);
    free(k.regions);
    return rc;
}
