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
    const char *nl;
    fc_buf_puts(b, "# ");
    while ((nl = strchr(text, '\n')) != NULL) {
        fc_buf_append(b, text, (size_t)(nl - text));
        fc_buf_append(b, " ", 1);
        text = nl + 1;
    }
    fc_buf_puts(b, text);
    fc_buf_puts(b, "\n");
}

/* Appends s to line[0..*at), truncated as snprintf would. */
static void line_cat(char *line, size_t size, size_t *at, const char *s)
{
    *at += fc_str_copy(line + *at, size - *at, s);
}

/* Streamed, keys in sorted order: {apiVersion, kind, metadata, spec}. */
static int write_proposal(fc_pass *pass, fc_yw *w, fc_buf *b, const fc_recommendation *r)
{
    char path[512], line[1024], money[64];
    size_t i, at;
    int rc;

    b->len = 0;
    /* Pieces, not snprintf: a pass writes up to one proposal per finding. */
    at = 0;
    line_cat(line, sizeof(line), &at, "Proposed by finops-controller from recommendation ");
    line_cat(line, sizeof(line), &at, r->id);
    line_cat(line, sizeof(line), &at, ".");
    comment(b, line);
    comment(b, r->summary);
    at = 0;
    fc_fixed_text(money, sizeof(money), r->monthly_saving, 2);
    line_cat(line, sizeof(line), &at, "Estimated saving: ");
    line_cat(line, sizeof(line), &at, money);
    line_cat(line, sizeof(line), &at, " ");
    line_cat(line, sizeof(line), &at, r->currency);
    line_cat(line, sizeof(line), &at, "/month; risk: ");
    line_cat(line, sizeof(line), &at, fc_risk_name(r->risk));
    line_cat(line, sizeof(line), &at, ".");
    comment(b, line);
    fc_buf_puts(b, "# Evidence:");
    for (i = 0; i < r->nevidence; i++) {
        fc_buf_puts(b, " ");
        fc_buf_puts(b, r->evidence[i].key ? r->evidence[i].key : "");
        fc_buf_puts(b, "=");
        fc_buf_puts(b, r->evidence[i].value ? r->evidence[i].value : "");
    }
    fc_buf_puts(b, "\n");
    comment(b, "To approve: copy this file into the spec root (e.g. finops/optimizations/),");
    comment(b, "add your identity to spec.approval.approvedBy and merge it after review.");

    fc_yw_map_begin(w);
    fc_yw_kstr(w, "apiVersion", FC_API_VERSION);
    fc_yw_kstr(w, "kind", "Optimization");
    fc_yw_key(w, "metadata");
    fc_yw_map_begin(w);
    fc_yw_key(w, "labels");
    fc_yw_map_begin(w);
    fc_yw_kstr(w, "recommendation", r->id);
    fc_yw_kstr(w, "rule", r->rule);
    fc_yw_map_end(w);
    fc_yw_kstr(w, "name", r->id);
    fc_yw_map_end(w);
    fc_yw_key(w, "spec");
    fc_yw_map_begin(w);
    fc_yw_kstr(w, "action", r->action);
    fc_yw_key(w, "approval");
    fc_yw_map_begin(w);
    fc_yw_key(w, "approvedBy");
    fc_yw_seq_begin(w);
    fc_yw_seq_end(w);
    fc_yw_map_end(w);
    fc_yw_key(w, "parameters");
    rc = fc_yw_kv(w, r->parameters, r->nparameters);
    fc_yw_kstr(w, "risk", fc_risk_name(r->risk));
    fc_yw_key(w, "target");
    fc_yw_map_begin(w);
    fc_yw_kstr(w, "account", r->account);
    fc_yw_kstr(w, "region", r->region);
    fc_yw_kstr(w, "resource", r->resource);
    fc_yw_map_end(w);
    fc_yw_map_end(w);
    fc_yw_map_end(w);
    if (rc != FC_OK) {
        fc_yw_reset(w);
        return rc;
    }
    rc = fc_yw_finish(w, b);
    at = 0;
    line_cat(path, sizeof(path), &at, "proposals/");
    line_cat(path, sizeof(path), &at, r->id);
    line_cat(path, sizeof(path), &at, ".yaml");
    if (rc == FC_OK)
        rc = fc_status_tree_add_raw(pass->status, path, b->data, b->len);
    return rc;
}

int fc_reconcile_proposals(fc_pass *pass)
{
    size_t i;
    int rc = FC_OK;
    fc_yw w;
    fc_buf b;

    fc_yw_init(&w);
    fc_buf_init(&b);
    for (i = 0; pass->recs && i < pass->recs->n && rc == FC_OK; i++) {
        const fc_recommendation *r = &pass->recs->items[i];
        /* Any Optimization on the target already speaks for it. */
        if (!executable(r->action) || fc_index_opt(pass, r->resource, r->account, NULL))
            continue;
        rc = write_proposal(pass, &w, &b, r);
    }
    fc_buf_dispose(&b);
    fc_yw_dispose(&w);
    return rc;
}
