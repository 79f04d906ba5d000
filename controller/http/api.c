/*
 * api.c - the lists behind /api/v1/: pre-serialised JSON items with the
 * fields a query filters on, query parsing (limit, offset/continue,
 * account, region, type) and one page of a list as JSON.
 *
 * Pure: no I/O.  A list owns its items; items are serialised once when a
 * snapshot is built, so readers on several threads only read bytes (json-c
 * objects cache their text on serialisation, which is a write).
 */
#include "controller/http/fc_http.h"
#include "controller/core/fc_error.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

void fc_api_list_init(fc_api_list *l)
{
    memset(l, 0, sizeof(*l));
}

void fc_api_list_dispose(fc_api_list *l)
{
    size_t i;
    for (i = 0; i < l->n; i++) {
        free(l->items[i].account);
        free(l->items[i].region);
        free(l->items[i].type);
        free(l->items[i].json);
    }
    free(l->items);
    fc_api_list_init(l);
}

int fc_api_list_add(fc_api_list *l, const char *account, const char *region,
                    const char *type, struct json_object *obj)
{
    fc_api_item *it;
    const char *text;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        fc_api_item *ni = realloc(l->items, cap * sizeof(*ni));
        if (!ni)
            return fc_error_set(FC_ENOMEM, "api list");
        l->items = ni;
        l->cap = cap;
    }
    it = &l->items[l->n];
    memset(it, 0, sizeof(*it));
    text = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
                                                   JSON_C_TO_STRING_NOSLASHESCAPE);
    it->json = fc_strdup(text);
    it->account = account ? fc_strdup(account) : NULL;
    it->region = region ? fc_strdup(region) : NULL;
    it->type = type ? fc_strdup(type) : NULL;
    if (!it->json || (account && !it->account) || (region && !it->region) ||
        (type && !it->type)) {
        free(it->json);
        free(it->account);
        free(it->region);
        free(it->type);
        return fc_error_set(FC_ENOMEM, "api list");
    }
    l->n++;
    return FC_OK;
}

/* A non-negative decimal without sign or junk, at most max. */
static int parse_count(const char *s, size_t max, size_t *out)
{
    size_t v = 0;
    if (!*s || strlen(s) > 9)
        return -1;
    for (; *s; s++) {
        if (!isdigit((unsigned char)*s))
            return -1;
        v = v * 10 + (size_t)(*s - '0');
    }
    if (v > max)
        return -1;
    *out = v;
    return 0;
}

static int copy_value(char *dst, const char *src, const char *name)
{
    dst[0] = '\0';
    if (!src)
        return FC_OK;
    if (strlen(src) >= FC_API_VALUE_MAX)
        return fc_error_set(FC_EINVALID, "%s: longer than %d bytes", name,
                            FC_API_VALUE_MAX - 1);
    memcpy(dst, src, strlen(src) + 1);
    return FC_OK;
}

int fc_api_query_parse(fc_api_query *q, const char *limit, const char *offset,
                       const char *cont, const char *account, const char *region,
                       const char *type)
{
    int rc;
    memset(q, 0, sizeof(*q));
    q->limit = FC_API_LIMIT_DEFAULT;
    if (limit && (parse_count(limit, FC_API_LIMIT_MAX, &q->limit) || q->limit == 0))
        return fc_error_set(FC_EINVALID, "limit: expected 1..%d", FC_API_LIMIT_MAX);
    if (offset && cont)
        return fc_error_set(FC_EINVALID, "offset and continue: give one");
    /* The continue token is the next offset: opaque to clients, stable for
     * one snapshot. */
    if (offset && parse_count(offset, 999999999, &q->offset))
        return fc_error_set(FC_EINVALID, "offset: expected a non-negative integer");
    if (cont && parse_count(cont, 999999999, &q->offset))
        return fc_error_set(FC_EINVALID, "continue: not a token this server issued");
    if ((rc = copy_value(q->account, account, "account")) != FC_OK ||
        (rc = copy_value(q->region, region, "region")) != FC_OK ||
        (rc = copy_value(q->type, type, "type")) != FC_OK)
        return rc;
    return FC_OK;
}

/* An empty filter matches everything; a filter on a field the kind does not
 * have matches nothing. */
static int field_ok(const char *want, const char *have)
{
    return !want[0] || (have && strcmp(want, have) == 0);
}

int fc_api_page(fc_buf *out, const fc_api_list *l, const fc_api_query *q)
{
    size_t i, total = 0, shown = 0;
    int rc = fc_buf_puts(out, "{\"items\":[");
    for (i = 0; i < l->n && rc == FC_OK; i++) {
        const fc_api_item *it = &l->items[i];
        if (!field_ok(q->account, it->account) || !field_ok(q->region, it->region) ||
            !field_ok(q->type, it->type))
            continue;
        if (total >= q->offset && shown < q->limit) {
            rc = fc_buf_printf(out, "%s%s", shown ? "," : "", it->json);
            shown++;
        }
        total++;
    }
    if (rc == FC_OK)
        rc = fc_buf_printf(out, "],\"total\":%zu,\"offset\":%zu,\"limit\":%zu", total,
                           q->offset, q->limit);
    if (rc == FC_OK && q->offset + shown < total)
        rc = fc_buf_printf(out, ",\"continue\":\"%zu\"", q->offset + shown);
    if (rc == FC_OK)
        rc = fc_buf_puts(out, "}");
    if (rc != FC_OK)
        return fc_error_set(FC_ENOMEM, "api page");
    return FC_OK;
}
