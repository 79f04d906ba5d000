/*
 * findings.c - status files that belong to no spec kind: one file per
 * recommendation the engines produced, and the inventory summary.
 */
#include "reconcilers/reconcilers_int.h"
#include "controller/core/fc_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct json_object *kv_object(const fc_kv *kv, size_t n)
{
    struct json_object *o = json_object_new_object();
    size_t i;
    for (i = 0; i < n; i++)
        json_object_object_add(o, kv[i].key, json_object_new_string(kv[i].value));
    return o;
}

int fc_reconcile_recommendations(fc_pass *pass)
{
    size_t i;
    int rc = FC_OK;

    for (i = 0; pass->recs && i < pass->recs->n && rc == FC_OK; i++) {
        const fc_recommendation *r = &pass->recs->items[i];
        /* The Optimization (valid spec) that acts on it, if any. */
        const fc_object *opt = fc_index_opt(pass, r->resource, r->account, r->action);
        struct json_object *res = json_object_new_object();
        struct json_object *act = json_object_new_object();
        fc_sdoc d;

        json_object_object_add(res, "type", json_object_new_string(fc_resource_type_name(r->resource_type)));
        json_object_object_add(res, "account", json_object_new_string(r->account));
        json_object_object_add(res, "region", json_object_new_string(r->region));
        json_object_object_add(res, "id", json_object_new_string(r->resource));
        json_object_object_add(act, "action", json_object_new_string(r->action));
        json_object_object_add(act, "parameters", kv_object(r->parameters, r->nparameters));
        if ((rc = fc_sdoc_begin(&d, pass, "Recommendation", "recommendations", r->id))) {
            json_object_put(res);
            json_object_put(act);
            break;
        }
        json_object_object_add(d.status, "rule", json_object_new_string(r->rule));
        json_object_object_add(d.status, "resource", res);
        json_object_object_add(d.status, "summary", json_object_new_string(r->summary));
        json_object_object_add(d.status, "evidence", kv_object(r->evidence, r->nevidence));
        json_object_object_add(d.status, "monthlySaving", fc_status_number(r->monthly_saving, 2));
        json_object_object_add(d.status, "currency", json_object_new_string(r->currency));
        json_object_object_add(d.status, "risk", json_object_new_string(fc_risk_name(r->risk)));
        json_object_object_add(d.status, "suggested", act);
        json_object_object_add(d.status, "policy", FC_JSTR(r->policy));
        rc = fc_sdoc_cond(&d, pass, "Open", 1, "Detected", "%s", r->summary);
        if (rc == FC_OK) {
            if (opt)
                rc = fc_sdoc_cond(&d, pass, "Addressed", 1, "OptimizationExists",
                                  "Optimization %s acts on it", opt->metadata.name);
            else
                rc = fc_sdoc_cond(&d, pass, "Addressed", 0, "AwaitingApproval",
                                  "no Optimization spec acts on it yet");
        }
        if (rc == FC_OK)
            rc = fc_sdoc_finish(&d, pass);
        else
            fc_sdoc_dispose(&d);
    }
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

static void count_into(struct json_object *o, const char *key)
{
    struct json_object *v;
    if (json_object_object_get_ex(o, key, &v))
        json_object_set_int64(v, json_object_get_int64(v) + 1);
    else
        json_object_object_add(o, key, json_object_new_int64(1));
}

/*
 * The inventory lists every resource: at 100k resources one json-c tree of
 * them costs over 100 MiB, so each resource is rendered on its own, as the
 * only item of a {resources: [item]} document (the same bytes it has in
 * the whole document: a root key's list is not indented), and the items
 * are spliced in place of "resources: []".  Takes o.
 */
static int append_item(fc_buf *items, struct json_object *o)
{
    static const char head[] = "resources:\n";
    struct json_object *wrap = json_object_new_object(), *one = json_object_new_array();
    fc_buf b;
    int rc;

    json_object_array_add(one, o);
    json_object_object_add(wrap, "resources", one);
    fc_buf_init(&b);
    rc = fc_yaml_emit(&b, wrap);
    if (rc == FC_OK && (b.len < sizeof(head) - 1 || memcmp(b.data, head, sizeof(head) - 1)))
        rc = fc_error_set(FC_EINVALID, "inventory: unexpected item layout");
    if (rc == FC_OK)
        rc = fc_buf_append(items, b.data + sizeof(head) - 1, b.len - (sizeof(head) - 1));
    fc_buf_dispose(&b);
    json_object_put(wrap);
    return rc;
}

static int add_with_items(fc_pass *pass, struct json_object *doc, const fc_buf *items)
{
    static const char slot[] = "\nresources: []\n";
    fc_buf b, out;
    const char *at;
    int rc;

    fc_buf_init(&b);
    fc_buf_init(&out);
    rc = fc_yaml_emit(&b, doc);
    /* Root keys start lines and values never do, so the slot is unique. */
    if (rc == FC_OK && !(at = strstr(b.data, slot)))
        rc = fc_error_set(FC_EINVALID, "inventory: no resources slot");
    if (rc == FC_OK) {
        size_t pre = (size_t)(at - b.data) + strlen("\nresources:");
        size_t post = (size_t)(at - b.data) + sizeof(slot) - 1;
        if ((rc = fc_buf_append(&out, b.data, pre)) == FC_OK &&
            (rc = fc_buf_append(&out, "\n", 1)) == FC_OK &&
            (rc = fc_buf_append(&out, items->data, items->len)) == FC_OK &&
            (rc = fc_buf_append(&out, b.data + post, b.len - post)) == FC_OK)
            rc = fc_status_tree_add_raw(pass->status, "status/inventory.yaml", out.data,
                                        out.len);
    }
    fc_buf_dispose(&b);
    fc_buf_dispose(&out);
    return rc;
}

int fc_reconcile_inventory(fc_pass *pass)
{
    const fc_inventory *inv = pass->inv;
    const fc_resource **sorted = NULL;
    struct json_object *doc, *by_type, *by_account, *by_region, *conds;
    size_t i, n = inv ? inv->nresources : 0;
    char msg[128];
    fc_buf prev, items;
    int rc = FC_OK;

    if (n && !(sorted = malloc(n * sizeof(*sorted))))
        return fc_error_set(FC_ENOMEM, "inventory");
    for (i = 0; i < n; i++)
        sorted[i] = &inv->resources[i];
    if (n)
        qsort(sorted, n, sizeof(*sorted), res_cmp);
    fc_buf_init(&prev);
    if (pass->prev && pass->prev(pass->prev_payload, "status/inventory.yaml", &prev) != FC_OK)
        fc_buf_dispose(&prev);
    conds = json_object_new_array();
    doc = json_object_new_object();
    by_type = json_object_new_object();
    by_account = json_object_new_object();
    by_region = json_object_new_object();
    fc_buf_init(&items);
    for (i = 0; i < n && rc == FC_OK; i++) {
        const fc_resource *r = sorted[i];
        struct json_object *o = json_object_new_object();
        count_into(by_type, fc_resource_type_name(r->type));
        count_into(by_account, r->account);
        count_into(by_region, r->region);
        json_object_object_add(o, "type", json_object_new_string(fc_resource_type_name(r->type)));
        json_object_object_add(o, "id", json_object_new_string(r->id));
        json_object_object_add(o, "account", json_object_new_string(r->account));
        json_object_object_add(o, "region", json_object_new_string(r->region));
        if (r->name)
            json_object_object_add(o, "name", json_object_new_string(r->name));
        if (r->state)
            json_object_object_add(o, "state", json_object_new_string(r->state));
        if (r->size_class)
            json_object_object_add(o, "class", json_object_new_string(r->size_class));
        if (r->size > 0)
            json_object_object_add(o, "size", fc_status_number(r->size, 0));
        if (r->attached_to)
            json_object_object_add(o, "attachedTo", json_object_new_string(r->attached_to));
        rc = append_item(&items, o);
    }
    free(sorted);
    if (rc != FC_OK) {
        fc_buf_dispose(&items);
        fc_buf_dispose(&prev);
        json_object_put(conds);
        json_object_put(doc);
        json_object_put(by_type);
        json_object_put(by_account);
        json_object_put(by_region);
        return rc;
    }
    snprintf(msg, sizeof(msg), "%zu resources in %d accounts and %d regions", n,
             json_object_object_length(by_account), json_object_object_length(by_region));
    json_object_object_add(doc, "apiVersion", json_object_new_string(FC_API_VERSION));
    json_object_object_add(doc, "kind", json_object_new_string("Inventory"));
    json_object_object_add(doc, "observedCommit", FC_JSTR(pass->commit));
    json_object_object_add(doc, "total", json_object_new_int64((int64_t)n));
    json_object_object_add(doc, "byType", by_type);
    json_object_object_add(doc, "byAccount", by_account);
    json_object_object_add(doc, "byRegion", by_region);
    /* Stands in for the list, spliced in as text below (n > 0). */
    json_object_object_add(doc, "resources", json_object_new_array());
    json_object_object_add(doc, "conditions", conds);
    if (inv && inv->nstale) {
        /* Scopes the provider could not read: listed, and the condition says so. */
        struct json_object *st = json_object_new_array();
        for (i = 0; i < inv->nstale; i++) {
            struct json_object *o = json_object_new_object();
            json_object_object_add(o, "account", json_object_new_string(inv->stale[i].account));
            json_object_object_add(o, "region", json_object_new_string(inv->stale[i].region));
            json_object_object_add(o, "service", json_object_new_string(inv->stale[i].service));
            json_object_object_add(o, "error", json_object_new_string(inv->stale[i].error));
            json_object_array_add(st, o);
        }
        json_object_object_add(doc, "stale", st);
    }
    if (pass->discovery_error)
        rc = fc_status_condition(conds, "Discovered", 0, "DiscoveryFailed",
                                 pass->discovery_error, pass->now, prev.data, prev.len);
    else if (inv && inv->nstale) {
        char smsg[600];
        snprintf(smsg, sizeof(smsg), "%s; %zu stale scope%s, first %s %s %s: %s", msg,
                 inv->nstale, inv->nstale == 1 ? "" : "s", inv->stale[0].account,
                 inv->stale[0].region[0] ? inv->stale[0].region : "(all regions)",
                 inv->stale[0].service, inv->stale[0].error);
        rc = fc_status_condition(conds, "Discovered", 0, "PartialDiscovery", smsg, pass->now,
                                 prev.data, prev.len);
    }
    else
        rc = fc_status_condition(conds, "Discovered", 1, "Discovered",
                                 msg, pass->now, prev.data, prev.len);
    if (rc == FC_OK && n == 0)
        rc = fc_status_tree_add(pass->status, "status/inventory.yaml", doc);
    else if (rc == FC_OK)
        rc = add_with_items(pass, doc, &items);
    json_object_put(doc);
    fc_buf_dispose(&items);
    fc_buf_dispose(&prev);
    return rc;
}
