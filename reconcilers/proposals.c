/*
 * proposals.c - ready-to-approve Optimization specs for open
 * recommendations, written to proposals/<id>.yaml.
 *
 * Approving one = copying it into the spec root with approval.approvedBy
 * filled, in a reviewed pull request.  A recommendation that an Optimization
 * already acts on, or that no longer holds, has no proposal: the status
 * tree is rebuilt every pass, so its file disappears.
 */
#include "reconcilers/reconcilers_int.h"

#include <stdio.h>
#include <string.h>

/* Actions the executor knows; findings with other actions are advice only. */
static int executable(const char *action)
{
    static const char *const known[] = {"stop",           "start",
                                        "rightsize",      "modify-volume",
                                        "snapshot-and-delete", "release-address",
                                        "delete-snapshot"};
    size_t i;
    for (i = 0; i < FC_ARRAY_LEN(known); i++)
        if (strcmp(action, known[i]) == 0)
            return 1;
    return 0;
}

/* One comment line; newlines in figures would end the comment early. */
static void comment(fc_buf *b, const char *text)
{
    const char *p;
    fc_buf_puts(b, "# ");
    for (p = text; *p; p++)
        fc_buf_append(b, *p == '\n' ? " " : p, 1);
    fc_buf_puts(b, "\n");
}

static int write_proposal(fc_pass *pass, const fc_recommendation *r)
{
    struct json_object *doc = json_object_new_object();
    struct json_object *meta = json_object_new_object();
    struct json_object *labels = json_object_new_object();
    struct json_object *spec = json_object_new_object();
    struct json_object *target = json_object_new_object();
    struct json_object *params = json_object_new_object();
    struct json_object *approval = json_object_new_object();
    char path[512], line[1024];
    fc_buf b, y;
    size_t i;
    int rc;

    json_object_object_add(labels, "recommendation", json_object_new_string(r->id));
    json_object_object_add(labels, "rule", json_object_new_string(r->rule));
    json_object_object_add(meta, "name", json_object_new_string(r->id));
    json_object_object_add(meta, "labels", labels);
    json_object_object_add(target, "account", json_object_new_string(r->account));
    json_object_object_add(target, "region", json_object_new_string(r->region));
    json_object_object_add(target, "resource", json_object_new_string(r->resource));
    for (i = 0; i < r->nparameters; i++)
        json_object_object_add(params, r->parameters[i].key,
                               json_object_new_string(r->parameters[i].value));
    json_object_object_add(approval, "approvedBy", json_object_new_array());
    json_object_object_add(spec, "target", target);
    json_object_object_add(spec, "action", json_object_new_string(r->action));
    json_object_object_add(spec, "parameters", params);
    json_object_object_add(spec, "approval", approval);
    json_object_object_add(spec, "risk", json_object_new_string(fc_risk_name(r->risk)));
    json_object_object_add(doc, "apiVersion", json_object_new_string(FC_API_VERSION));
    json_object_object_add(doc, "kind", json_object_new_string("Optimization"));
    json_object_object_add(doc, "metadata", meta);
    json_object_object_add(doc, "spec", spec);

    fc_buf_init(&b);
    fc_buf_init(&y);
    snprintf(line, sizeof(line), "Proposed by finops-controller from recommendation %s.",
             r->id);
    comment(&b, line);
    comment(&b, r->summary);
    snprintf(line, sizeof(line), "Estimated saving: %.2f %s/month; risk: %s.",
             r->monthly_saving, r->currency, fc_risk_name(r->risk));
    comment(&b, line);
    fc_buf_puts(&b, "# Evidence:");
    for (i = 0; i < r->nevidence; i++)
        fc_buf_printf(&b, " %s=%s", r->evidence[i].key, r->evidence[i].value);
    fc_buf_puts(&b, "\n");
    comment(&b, "To approve: copy this file into the spec root (e.g. finops/optimizations/),");
    comment(&b, "add your identity to spec.approval.approvedBy and merge it after review.");
    rc = fc_yaml_emit(&y, doc);
    if (rc == FC_OK)
        rc = fc_buf_append(&b, y.data, y.len);
    snprintf(path, sizeof(path), "proposals/%s.yaml", r->id);
    if (rc == FC_OK)
        rc = fc_status_tree_add_raw(pass->status, path, b.data, b.len);
    fc_buf_dispose(&y);
    fc_buf_dispose(&b);
    json_object_put(doc);
    return rc;
}

int fc_reconcile_proposals(fc_pass *pass)
{
    size_t i;
    int rc = FC_OK;

    for (i = 0; pass->recs && i < pass->recs->n && rc == FC_OK; i++) {
        const fc_recommendation *r = &pass->recs->items[i];
        /* Any Optimization on the target already speaks for it. */
        if (!executable(r->action) || fc_index_opt(pass, r->resource, r->account, NULL))
            continue;
        rc = write_proposal(pass, r);
    }
    return rc;
}
