/*
 * prices.c - the on-demand price table the waste rules turn into savings.
 *
 * Stage: engine input.  Reads a YAML file (examples/prices/aws-prices.yaml):
 * `currency`, then `ec2`, `ebs` and `other` sections, each a mapping of
 * region -> key -> price.  Output is an fc_price_table whose three arrays are
 * sorted by (region, key) so lookups are binary searches; the table owns all
 * its strings (fc_prices_free).  Errors name file:line and the field.
 */
#include "controller/engines/fc_engines.h"
#include "controller/core/fc_error.h"
#include "controller/core/fc_util.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define PRICES_MAX_FILE_BYTES (4 * 1024 * 1024)

typedef struct {
    const char *name;
    yaml_document_t *doc;
} pctx;

/* One parsed entry with the line it came from, for duplicate errors. */
typedef struct {
    fc_price p;
    unsigned line;
} entry;

typedef struct {
    entry *v;
    size_t n;
    size_t cap;
} entry_vec;

static unsigned line_of(const yaml_node_t *n)
{
    return n ? (unsigned)n->start_mark.line + 1 : 0;
}

static int perr(const pctx *c, unsigned line, const char *field,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int perr(const pctx *c, unsigned line, const char *field,
                const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return fc_error_set(FC_EPARSE, "%s:%u: %s: %s", c->name, line, field, msg);
}

static yaml_node_t *node_at(const pctx *c, int id)
{
    return yaml_document_get_node(c->doc, id);
}

static const char *scalar(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value
                                            : NULL;
}

static void entries_dispose(entry_vec *e)
{
    size_t i;
    for (i = 0; i < e->n; i++) {
        free(e->v[i].p.region);
        free(e->v[i].p.key);
    }
    free(e->v);
    memset(e, 0, sizeof(*e));
}

static int entries_push(entry_vec *e, const char *region, const char *key,
                        double price, unsigned line)
{
    entry *x;
    if (e->n == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 64;
        entry *p = realloc(e->v, cap * sizeof(*p));
        if (!p)
            return fc_error_set(FC_ENOMEM, "out of memory reading prices");
        e->v = p;
        e->cap = cap;
    }
    x = &e->v[e->n];
    x->p.region = fc_strdup(region);
    x->p.key = fc_strdup(key);
    x->p.price = price;
    x->line = line;
    if (!x->p.region || !x->p.key) {
        free(x->p.region);
        free(x->p.key);
        return fc_error_set(FC_ENOMEM, "out of memory reading prices");
    }
    e->n++;
    return FC_OK;
}

static int cmp_entry(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    int d = strcmp(x->p.region, y->p.region);
    if (d)
        return d;
    if ((d = strcmp(x->p.key, y->p.key)) != 0)
        return d;
    return x->line < y->line ? -1 : x->line > y->line;
}

/* Parses `section: {region: {key: price}}` into e. */
static int parse_section(const pctx *c, const char *section,
                         const yaml_node_t *map, entry_vec *e)
{
    yaml_node_pair_t *rp, *kp;
    char field[256];

    if (map->type != YAML_MAPPING_NODE)
        return perr(c, line_of(map), section,
                    "must map regions to {key: price}");
    for (rp = map->data.mapping.pairs.start; rp < map->data.mapping.pairs.top;
         rp++) {
        yaml_node_t *rk = node_at(c, rp->key), *rv = node_at(c, rp->value);
        const char *region = scalar(rk);
        if (!region || !*region)
            return perr(c, line_of(rk), section, "region must be a string");
        snprintf(field, sizeof(field), "%s.%s", section, region);
        if (!rv || rv->type != YAML_MAPPING_NODE)
            return perr(c, line_of(rv), field, "must map keys to prices");
        for (kp = rv->data.mapping.pairs.start; kp < rv->data.mapping.pairs.top;
             kp++) {
            yaml_node_t *kk = node_at(c, kp->key), *kv = node_at(c, kp->value);
            const char *key = scalar(kk), *val = scalar(kv);
            char *end;
            double d;
            int rc;
            if (!key || !*key)
                return perr(c, line_of(kk), field, "key must be a string");
            snprintf(field, sizeof(field), "%s.%s.%s", section, region, key);
            if (!val || !*val)
                return perr(c, line_of(kv), field, "price must be a number");
            errno = 0;
            d = strtod(val, &end);
            if (*end || errno || !isfinite(d))
                return perr(c, line_of(kv), field, "'%s' is not a number", val);
            if (d < 0)
                return perr(c, line_of(kv), field, "price must be >= 0");
            if ((rc = entries_push(e, region, key, d, line_of(kv))) != 0)
                return rc;
            snprintf(field, sizeof(field), "%s.%s", section, region);
        }
    }
    return FC_OK;
}

/* Sorts, rejects duplicates, and moves the entries into a price array. */
static int finish_section(const pctx *c, const char *section, entry_vec *e,
                          fc_price **out, size_t *nout)
{
    size_t i;
    fc_price *p;

    if (e->n > 1) /* qsort(NULL, 0) is undefined */
        qsort(e->v, e->n, sizeof(*e->v), cmp_entry);
    for (i = 1; i < e->n; i++)
        if (strcmp(e->v[i].p.region, e->v[i - 1].p.region) == 0 &&
            strcmp(e->v[i].p.key, e->v[i - 1].p.key) == 0) {
            char field[256];
            snprintf(field, sizeof(field), "%s.%s.%s", section,
                     e->v[i].p.region, e->v[i].p.key);
            return perr(c, e->v[i].line, field, "duplicate price (first at line %u)",
                        e->v[i - 1].line);
        }
    if (e->n == 0)
        return FC_OK;
    p = calloc(e->n, sizeof(*p));
    if (!p)
        return fc_error_set(FC_ENOMEM, "out of memory reading prices");
    for (i = 0; i < e->n; i++)
        p[i] = e->v[i].p;
    *out = p;
    *nout = e->n;
    free(e->v);
    memset(e, 0, sizeof(*e));
    return FC_OK;
}

static int parse_root(fc_price_table *t, const pctx *c)
{
    static const char *const sections[] = {"ec2", "ebs", "other"};
    yaml_node_t *root = yaml_document_get_root_node(c->doc);
    entry_vec e[3];
    yaml_node_pair_t *p;
    int seen[3] = {0, 0, 0};
    int rc = FC_OK, i;

    memset(e, 0, sizeof(e));
    if (!root)
        return fc_error_set(FC_EPARSE, "%s: empty price file", c->name);
    if (root->type != YAML_MAPPING_NODE)
        return perr(c, line_of(root), "(root)", "must be a mapping");
    for (p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
         p++) {
        yaml_node_t *kn = node_at(c, p->key), *vn = node_at(c, p->value);
        const char *k = scalar(kn);
        if (!k) {
            rc = perr(c, line_of(kn), "(root)", "keys must be strings");
            goto done;
        }
        if (strcmp(k, "currency") == 0) {
            const char *v = scalar(vn);
            if (!v || !*v) {
                rc = perr(c, line_of(vn), "currency", "must be a string");
                goto done;
            }
            if (t->currency) {
                rc = perr(c, line_of(kn), "currency", "given twice");
                goto done;
            }
            if (!(t->currency = fc_strdup(v))) {
                rc = fc_error_set(FC_ENOMEM, "out of memory reading prices");
                goto done;
            }
            continue;
        }
        for (i = 0; i < 3; i++)
            if (strcmp(k, sections[i]) == 0)
                break;
        if (i == 3) {
            rc = perr(c, line_of(kn), "(root)",
                      "unknown key '%s' (currency, ec2, ebs, other)", k);
            goto done;
        }
        if (seen[i]++) {
            rc = perr(c, line_of(kn), k, "section given twice");
            goto done;
        }
        if ((rc = parse_section(c, sections[i], vn, &e[i])) != 0)
            goto done;
    }
    if (!t->currency && !(t->currency = fc_strdup("USD"))) {
        rc = fc_error_set(FC_ENOMEM, "out of memory reading prices");
        goto done;
    }
    if ((rc = finish_section(c, "ec2", &e[0], &t->ec2, &t->nec2)) != 0 ||
        (rc = finish_section(c, "ebs", &e[1], &t->ebs, &t->nebs)) != 0 ||
        (rc = finish_section(c, "other", &e[2], &t->other, &t->nother)) != 0)
        goto done;
done:
    for (i = 0; i < 3; i++)
        entries_dispose(&e[i]);
    return rc;
}

int fc_prices_parse(fc_price_table **out, const char *data, size_t len,
                    const char *name_for_errors)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    fc_price_table *t = NULL;
    pctx c;
    int rc = FC_OK;

    *out = NULL;
    c.name = name_for_errors ? name_for_errors : "prices";
    if (len > PRICES_MAX_FILE_BYTES)
        return fc_error_set(FC_ELIMIT, "%s: larger than %d bytes", c.name,
                            PRICES_MAX_FILE_BYTES);
    if (!yaml_parser_initialize(&parser))
        return fc_error_set(FC_ENOMEM, "out of memory");
    yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
    if (!yaml_parser_load(&parser, &doc)) {
        if (parser.context)
            rc = fc_error_set(FC_EPARSE, "%s:%lu: %s started at line %lu: %s",
                              c.name,
                              (unsigned long)parser.problem_mark.line + 1,
                              parser.context,
                              (unsigned long)parser.context_mark.line + 1,
                              parser.problem ? parser.problem : "invalid YAML");
        else
            rc = fc_error_set(FC_EPARSE, "%s:%lu: %s", c.name,
                              (unsigned long)parser.problem_mark.line + 1,
                              parser.problem ? parser.problem : "invalid YAML");
        yaml_parser_delete(&parser);
        return rc;
    }
    c.doc = &doc;
    if (!(t = calloc(1, sizeof(*t))))
        rc = fc_error_set(FC_ENOMEM, "out of memory");
    else
        rc = parse_root(t, &c);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    if (rc) {
        fc_prices_free(t);
        return rc;
    }
    *out = t;
    return FC_OK;
}

int fc_prices_load(fc_price_table **out, const char *path)
{
    FILE *f;
    char *buf;
    size_t n;
    int rc;

    *out = NULL;
    if (!(f = fopen(path, "rb")))
        return fc_error_set(errno == ENOENT ? FC_ENOTFOUND : FC_EIO,
                            "%s: cannot open: %s", path, strerror(errno));
    /* One byte over the limit tells "too large" from "exactly at it". */
    if (!(buf = malloc(PRICES_MAX_FILE_BYTES + 2))) {
        fclose(f);
        return fc_error_set(FC_ENOMEM, "out of memory");
    }
    n = fread(buf, 1, PRICES_MAX_FILE_BYTES + 1, f);
    if (ferror(f)) {
        rc = fc_error_set(FC_EIO, "%s: read error", path);
    } else {
        buf[n] = '\0';
        rc = fc_prices_parse(out, buf, n, path);
    }
    fclose(f);
    free(buf);
    return rc;
}

static void free_prices(fc_price *p, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        free(p[i].region);
        free(p[i].key);
    }
    free(p);
}

void fc_prices_free(fc_price_table *p)
{
    if (!p)
        return;
    free_prices(p->ec2, p->nec2);
    free_prices(p->ebs, p->nebs);
    free_prices(p->other, p->nother);
    free(p->currency);
    free(p);
}

static int lookup(const fc_price *v, size_t n, const char *what,
                  const char *region, const char *key, double *out)
{
    size_t lo = 0, hi = n;
    if (!v || !region || !key)
        return fc_error_set(FC_ENOTFOUND, "no %s price for %s in %s", what,
                            key ? key : "(none)", region ? region : "(none)");
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int d = strcmp(v[mid].region, region);
        if (!d)
            d = strcmp(v[mid].key, key);
        if (!d) {
            *out = v[mid].price;
            return FC_OK;
        }
        if (d < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return fc_error_set(FC_ENOTFOUND, "no %s price for %s in %s", what, key,
                        region);
}

int fc_prices_ec2_hourly(const fc_price_table *p, const char *region,
                         const char *instance_type, double *out)
{
    return lookup(p ? p->ec2 : NULL, p ? p->nec2 : 0, "ec2", region,
                  instance_type, out);
}

int fc_prices_ebs_gb_month(const fc_price_table *p, const char *region,
                           const char *volume_type, double *out)
{
    return lookup(p ? p->ebs : NULL, p ? p->nebs : 0, "ebs", region,
                  volume_type, out);
}

int fc_prices_other(const fc_price_table *p, const char *region,
                    const char *key, double *out)
{
    return lookup(p ? p->other : NULL, p ? p->nother : 0, "other", region, key,
                  out);
}
