/*
 * approvers.c - the approver list (see fc_approvers.h) and the fingerprint
 * of what an Optimization approval covers.
 *
 * Read with libyaml's document API so every error names file, line and
 * field; the format is small enough that a schema library adds nothing.
 */
#include "specs/fc_approvers.h"
#include "controller/core/fc_error.h"
#include "controller/core/fc_util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#define MAX_APPROVERS 10000
#define MAX_KEYS 64

typedef struct {
    yaml_document_t *doc;
    const char *path;
} ctx;

static int fail(const ctx *c, const yaml_node_t *n, const char *field, const char *msg)
{
    return fc_error_set(FC_EPARSE, "%s:%lu: %s: %s", c->path,
                        n ? (unsigned long)n->start_mark.line + 1 : 0UL, field, msg);
}

static const char *scalar(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static void approver_dispose(fc_approver *a)
{
    size_t i;
    free(a->identity);
    for (i = 0; i < a->nkeys; i++)
        free(a->keys[i]);
    free(a->keys);
}

void fc_approvers_free(fc_approvers *a)
{
    size_t i;
    if (!a)
        return;
    for (i = 0; i < a->n; i++)
        approver_dispose(&a->items[i]);
    free(a->items);
    free(a);
}

static char *lower_dup(const char *s)
{
    char *d = fc_strdup(s);
    size_t i;
    for (i = 0; d && d[i]; i++)
        d[i] = (char)tolower((unsigned char)d[i]);
    return d;
}

static int parse_approver(const ctx *c, yaml_node_t *n, size_t idx, fc_approver *out)
{
    yaml_node_pair_t *p;
    char field[64];

    memset(out, 0, sizeof(*out));
    snprintf(field, sizeof(field), "approvers[%zu]", idx);
    if (n->type != YAML_MAPPING_NODE)
        return fail(c, n, field, "expected a mapping with identity and keys");
    for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
        yaml_node_t *v = yaml_document_get_node(c->doc, p->value);
        const char *key = scalar(k);
        if (!key)
            return fail(c, k, field, "expected a string key");
        if (strcmp(key, "identity") == 0) {
            const char *id = scalar(v);
            if (!id || !strchr(id, '@') || out->identity) {
                snprintf(field, sizeof(field), "approvers[%zu].identity", idx);
                return fail(c, v, field, out->identity ? "duplicate key"
                                                       : "expected an email address");
            }
            if (!(out->identity = lower_dup(id)))
                return fc_error_set(FC_ENOMEM, "out of memory");
        } else if (strcmp(key, "keys") == 0) {
            yaml_node_item_t *it;
            snprintf(field, sizeof(field), "approvers[%zu].keys", idx);
            if (v->type != YAML_SEQUENCE_NODE || out->keys)
                return fail(c, v, field, "expected a list of public keys");
            for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
                const char *key_text = scalar(yaml_document_get_node(c->doc, *it));
                char **nk;
                if (!key_text || !*key_text || out->nkeys >= MAX_KEYS)
                    return fail(c, v, field, out->nkeys >= MAX_KEYS
                                                 ? "too many keys"
                                                 : "expected public key strings");
                if (!(nk = realloc(out->keys, (out->nkeys + 1) * sizeof(*nk))))
                    return fc_error_set(FC_ENOMEM, "out of memory");
                out->keys = nk;
                if (!(out->keys[out->nkeys] = fc_strdup(key_text)))
                    return fc_error_set(FC_ENOMEM, "out of memory");
                out->nkeys++;
            }
        } else if (strcmp(key, "name") != 0) {
            char f2[128];
            snprintf(f2, sizeof(f2), "approvers[%zu].%.40s", idx, key);
            return fail(c, k, f2, "unknown field");
        }
    }
    if (!out->identity) {
        snprintf(field, sizeof(field), "approvers[%zu].identity", idx);
        return fail(c, n, field, "missing required field");
    }
    return FC_OK;
}

int fc_approvers_parse(fc_approvers **out, const char *path, const char *data, size_t len)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    yaml_node_t *root;
    yaml_node_pair_t *p;
    fc_approvers *a = NULL;
    ctx c;
    int loaded = 0, rc = FC_OK;

    *out = NULL;
    if (!data || len > FC_SPEC_MAX_FILE_BYTES) /* data NULL: too big to read */
        return fc_error_set(FC_EPARSE, "%s: file is %zu bytes, more than the limit of %d",
                            path, len, FC_SPEC_MAX_FILE_BYTES);
    if (!yaml_parser_initialize(&parser))
        return fc_error_set(FC_ENOMEM, "yaml parser");
    yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
    if (!yaml_parser_load(&parser, &doc)) {
        rc = fc_error_set(FC_EPARSE, "%s:%lu: : %s", path,
                          (unsigned long)parser.problem_mark.line + 1,
                          parser.problem ? parser.problem : "invalid YAML");
        goto done;
    }
    loaded = 1;
    c.doc = &doc;
    c.path = path;
    if (!(a = calloc(1, sizeof(*a)))) {
        rc = fc_error_set(FC_ENOMEM, "out of memory");
        goto done;
    }
    root = yaml_document_get_root_node(&doc);
    if (!root || root->type != YAML_MAPPING_NODE) {
        rc = fail(&c, root, "approvers", "expected a mapping with an approvers list");
        goto done;
    }
    for (p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(&doc, p->key);
        yaml_node_t *v = yaml_document_get_node(&doc, p->value);
        const char *key = scalar(k);
        if (key && strcmp(key, "approvers") == 0) {
            yaml_node_item_t *it;
            size_t count;
            if (v->type != YAML_SEQUENCE_NODE) {
                rc = fail(&c, v, "approvers", "expected a list");
                goto done;
            }
            count = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
            if (count > MAX_APPROVERS) {
                rc = fail(&c, v, "approvers", "too many approvers");
                goto done;
            }
            /* A second approvers: key replaces the first list. */
            for (size_t i = 0; i < a->n; i++)
                approver_dispose(&a->items[i]);
            free(a->items);
            a->items = NULL;
            a->n = 0;
            if (count && !(a->items = calloc(count, sizeof(*a->items)))) {
                rc = fc_error_set(FC_ENOMEM, "out of memory");
                goto done;
            }
            for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
                rc = parse_approver(&c, yaml_document_get_node(&doc, *it), a->n,
                                    &a->items[a->n]);
                a->n++;
                if (rc != FC_OK)
                    goto done;
                if (fc_approvers_find(a, a->items[a->n - 1].identity) !=
                    &a->items[a->n - 1]) {
                    rc = fail(&c, yaml_document_get_node(&doc, *it), "approvers",
                              "identity listed twice");
                    goto done;
                }
            }
        } else if (key && strcmp(key, "verifySignatures") == 0) {
            const char *b = scalar(v);
            if (b && strcmp(b, "true") == 0)
                a->verify_signatures = 1;
            else if (b && strcmp(b, "false") == 0)
                a->verify_signatures = 0;
            else {
                rc = fail(&c, v, "verifySignatures", "expected true or false");
                goto done;
            }
        } else {
            char f[64];
            snprintf(f, sizeof(f), "%.40s", key ? key : "?");
            rc = fail(&c, k, f, "unknown field");
            goto done;
        }
    }
done:
    if (loaded)
        yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    if (rc != FC_OK) {
        fc_approvers_free(a);
        return rc;
    }
    *out = a;
    return FC_OK;
}

const fc_approver *fc_approvers_find(const fc_approvers *a, const char *identity)
{
    size_t i;
    if (!a || !identity)
        return NULL;
    for (i = 0; i < a->n; i++)
        if (strcasecmp(a->items[i].identity, identity) == 0)
            return &a->items[i];
    return NULL;
}

static void kv_append(fc_buf *b, const fc_kv *kv, unsigned n)
{
    unsigned i;
    /* Sorted, so that reordering parameters is not a change. */
    const fc_kv **s = calloc(n ? n : 1, sizeof(*s));
    unsigned j;
    if (!s)
        return;
    for (i = 0; i < n; i++)
        s[i] = &kv[i];
    for (i = 1; i < n; i++)
        for (j = i; j > 0 && strcmp(s[j - 1]->key, s[j]->key) > 0; j--) {
            const fc_kv *t = s[j];
            s[j] = s[j - 1];
            s[j - 1] = t;
        }
    for (i = 0; i < n; i++)
        fc_buf_printf(b, "%s=%s;", s[i]->key, s[i]->value);
    free(s);
}

char *fc_optimization_fingerprint(const fc_object *obj)
{
    const fc_optimization_spec *s;
    fc_buf b;
    unsigned i;

    if (!obj || obj->kind != FC_KIND_OPTIMIZATION)
        return NULL;
    s = obj->spec.optimization;
    fc_buf_init(&b);
    fc_buf_printf(&b, "name=%s\ntarget=%s/%s/%s\naction=%s\nparams=", obj->metadata.name,
                  s->target.account, s->target.region, s->target.resource, s->action);
    kv_append(&b, s->parameters, s->nparameters);
    fc_buf_printf(&b, "\nrisk=%s\nrollback=%d\nsuspend=%d\n", s->risk ? s->risk : "",
                  s->rollback.on_failure, s->suspend);
    if (s->window) {
        fc_buf_printf(&b, "window=%s-%s %s days=", s->window->start ? s->window->start : "",
                      s->window->end ? s->window->end : "",
                      s->window->timezone ? s->window->timezone : "");
        for (i = 0; i < s->window->ndays; i++)
            fc_buf_printf(&b, "%s,", s->window->days[i]);
        fc_buf_puts(&b, "\n");
    }
    return fc_buf_detach(&b);
}

char *fc_policy_fingerprint(const fc_object *obj)
{
    const fc_policy_spec *p;
    fc_buf b;
    unsigned i, j;

    if (!obj || obj->kind != FC_KIND_POLICY)
        return NULL;
    p = obj->spec.policy;
    fc_buf_init(&b);
    /* What a pre-approval means: where, which rules, how many approvals. */
    fc_buf_printf(&b, "name=%s\naccounts=", obj->metadata.name);
    for (i = 0; i < p->naccounts; i++)
        fc_buf_printf(&b, "%s,", p->accounts[i]);
    fc_buf_printf(&b, "\napprovals=%u/%u/%u\nirreversible=%d\nsuspend=%d\n", p->approvals.low,
                  p->approvals.medium, p->approvals.high, p->irreversible, p->suspend);
    for (i = 0; i < p->npre_approved; i++) {
        const fc_policy_preapproval *e = &p->pre_approved[i];
        fc_buf_printf(&b, "pre=%s rule=%s action=%s accounts=", e->name, e->rule, e->action);
        for (j = 0; j < e->naccounts; j++)
            fc_buf_printf(&b, "%s,", e->accounts[j]);
        fc_buf_puts(&b, " tags=");
        kv_append(&b, e->account_tags, e->naccount_tags);
        fc_buf_puts(&b, "\n");
    }
    return fc_buf_detach(&b);
}
