/*
 * inventory.c - the observed-state container every provider fills.
 *
 * Stage: discovery output.  Providers append resources, metric series and
 * cost rows to a caller-allocated fc_inventory; engines and reconcilers read
 * it.  The inventory owns every string and array inside it, so one
 * fc_inventory_dispose() releases a whole discovery.  Lookups return borrowed
 * pointers that live as long as the inventory.
 */
#include "controller/cloud/fc_cloud.h"
#include "controller/core/fc_error.h"
#include "controller/core/fc_util.h"

#include <assert.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

/* Indexed by fc_resource_type: the names used in status files and estates. */
static const char *const type_names[FC_RES__COUNT] = {
    "ec2-instance",   "ebs-volume",    "ebs-snapshot",    "elastic-ip",
    "load-balancer",  "rds-instance",  "lambda-function", "s3-bucket",
};

const char *fc_resource_type_name(fc_resource_type t)
{
    if ((int)t < 0 || t >= FC_RES__COUNT)
        return "unknown";
    return type_names[t];
}

int fc_resource_type_parse(const char *name)
{
    int i;
    if (!name)
        return -1;
    for (i = 0; i < FC_RES__COUNT; i++)
        if (strcmp(type_names[i], name) == 0)
            return i;
    return -1;
}

const char *fc_resource_tag(const fc_resource *r, const char *key)
{
    size_t i;
    if (!r || !key)
        return NULL;
    for (i = 0; i < r->ntags; i++)
        if (r->tags[i].key && strcmp(r->tags[i].key, key) == 0)
            return r->tags[i].value;
    return NULL;
}

const char *fc_resource_attr(const fc_resource *r, const char *key)
{
    size_t i;
    if (!r || !key)
        return NULL;
    for (i = 0; i < r->nattrs; i++)
        if (r->attrs[i].key && strcmp(r->attrs[i].key, key) == 0)
            return r->attrs[i].value;
    return NULL;
}

void fc_inventory_init(fc_inventory *inv) { memset(inv, 0, sizeof(*inv)); }

void fc_resource_dispose(fc_resource *r)
{
    size_t i;
    if (!r)
        return;
    if (r->slab) {
        free(r->slab);
        memset(r, 0, sizeof(*r));
        return;
    }
    free(r->id);
    free(r->account);
    free(r->region);
    free(r->name);
    free(r->state);
    free(r->size_class);
    free(r->attached_to);
    for (i = 0; i < r->ntags; i++) {
        free(r->tags[i].key);
        free(r->tags[i].value);
    }
    free(r->tags);
    for (i = 0; i < r->nattrs; i++) {
        free(r->attrs[i].key);
        free(r->attrs[i].value);
    }
    free(r->attrs);
    memset(r, 0, sizeof(*r));
}

/* strdup of an optional string: fails only when s was set. */
static int dup_opt(char **dst, const char *s)
{
    *dst = NULL;
    if (!s)
        return 0;
    *dst = fc_strdup(s);
    return *dst ? 0 : -1;
}

int fc_resource_copy(fc_resource *dst, const fc_resource *src)
{
    size_t i;

    memset(dst, 0, sizeof(*dst));
    dst->type = src->type;
    dst->size = src->size;
    dst->created = src->created;
    if (dup_opt(&dst->id, src->id) || dup_opt(&dst->account, src->account) ||
        dup_opt(&dst->region, src->region) || dup_opt(&dst->name, src->name) ||
        dup_opt(&dst->state, src->state) ||
        dup_opt(&dst->size_class, src->size_class) ||
        dup_opt(&dst->attached_to, src->attached_to))
        goto nomem;
    if (src->ntags) {
        dst->tags = calloc(src->ntags, sizeof(*dst->tags));
        if (!dst->tags)
            goto nomem;
        for (i = 0; i < src->ntags; i++) {
            dst->ntags = i + 1;
            if (dup_opt(&dst->tags[i].key, src->tags[i].key) ||
                dup_opt(&dst->tags[i].value, src->tags[i].value))
                goto nomem;
        }
    }
    if (src->nattrs) {
        dst->attrs = calloc(src->nattrs, sizeof(*dst->attrs));
        if (!dst->attrs)
            goto nomem;
        for (i = 0; i < src->nattrs; i++) {
            dst->nattrs = i + 1;
            if (dup_opt(&dst->attrs[i].key, src->attrs[i].key) ||
                dup_opt(&dst->attrs[i].value, src->attrs[i].value))
                goto nomem;
        }
    }
    return FC_OK;
nomem:
    fc_resource_dispose(dst);
    return fc_error_set(FC_ENOMEM, "out of memory copying resource");
}

int fc_resource_unpack(fc_resource *r)
{
    fc_resource loose;
    int rc;
    if (!r->slab)
        return FC_OK;
    if ((rc = fc_resource_copy(&loose, r)) != FC_OK)
        return rc;
    free(r->slab);
    *r = loose;
    return FC_OK;
}

/* fc_resource_copy into one allocation: the tag and attribute arrays first
 * (aligned), then every string. */
static int resource_copy_packed(fc_resource *dst, const fc_resource *src)
{
    size_t i, bytes = (src->ntags + src->nattrs) * sizeof(fc_tag);
    char *block, *at;

    bytes += fc_str_size(src->id) + fc_str_size(src->account) + fc_str_size(src->region) +
             fc_str_size(src->name) + fc_str_size(src->state) + fc_str_size(src->size_class) +
             fc_str_size(src->attached_to);
    for (i = 0; i < src->ntags; i++)
        bytes += fc_str_size(src->tags[i].key) + fc_str_size(src->tags[i].value);
    for (i = 0; i < src->nattrs; i++)
        bytes += fc_str_size(src->attrs[i].key) + fc_str_size(src->attrs[i].value);
    memset(dst, 0, sizeof(*dst));
    if (!(block = malloc(bytes ? bytes : 1)))
        return fc_error_set(FC_ENOMEM, "out of memory copying resource");
    dst->slab = block;
    dst->type = src->type;
    dst->size = src->size;
    dst->created = src->created;
    dst->ntags = src->ntags;
    dst->nattrs = src->nattrs;
    dst->tags = src->ntags ? (fc_tag *)(void *)block : NULL;
    dst->attrs = src->nattrs ? (fc_tag *)(void *)block + src->ntags : NULL;
    at = block + (src->ntags + src->nattrs) * sizeof(fc_tag);
    dst->id = fc_str_pack(&at, src->id);
    dst->account = fc_str_pack(&at, src->account);
    dst->region = fc_str_pack(&at, src->region);
    dst->name = fc_str_pack(&at, src->name);
    dst->state = fc_str_pack(&at, src->state);
    dst->size_class = fc_str_pack(&at, src->size_class);
    dst->attached_to = fc_str_pack(&at, src->attached_to);
    for (i = 0; i < src->ntags; i++) {
        dst->tags[i].key = fc_str_pack(&at, src->tags[i].key);
        dst->tags[i].value = fc_str_pack(&at, src->tags[i].value);
    }
    for (i = 0; i < src->nattrs; i++) {
        dst->attrs[i].key = fc_str_pack(&at, src->attrs[i].key);
        dst->attrs[i].value = fc_str_pack(&at, src->attrs[i].value);
    }
    return FC_OK;
}

void fc_inventory_dispose(fc_inventory *inv)
{
    size_t i;
    if (!inv)
        return;
    for (i = 0; i < inv->nresources; i++)
        fc_resource_dispose(&inv->resources[i]);
    free(inv->resources);
    for (i = 0; i < inv->nmetrics; i++) {
        free(inv->metrics[i].resource_id); /* metric is in the same block */
        free(inv->metrics[i].values);
        free(inv->metrics[i].gen);
    }
    free(inv->metrics);
    for (i = 0; i < inv->ncosts; i++)
        fc_cost_row_dispose(&inv->costs[i]);
    free(inv->costs);
    for (i = 0; i < inv->ncost_details; i++)
        fc_cost_row_dispose(&inv->cost_details[i]);
    free(inv->cost_details);
    for (i = 0; i < inv->nstale; i++) {
        free(inv->stale[i].account);
        free(inv->stale[i].region);
        free(inv->stale[i].service);
        free(inv->stale[i].error);
    }
    free(inv->stale);
    free(inv->currency);
    free(inv->by_id);
    free(inv->metric_by_key);
    free(inv->metric_keys);
    fc_inventory_init(inv);
}

int fc_inventory_add_stale(fc_inventory *inv, const char *account,
                           const char *region, const char *service,
                           const char *error)
{
    fc_stale_scope *p = realloc(inv->stale, (inv->nstale + 1) * sizeof(*p));
    fc_stale_scope *s;
    if (!p)
        return fc_error_set(FC_ENOMEM, "out of memory recording a stale scope");
    inv->stale = p;
    s = &inv->stale[inv->nstale];
    s->account = fc_strdup(account ? account : "");
    s->region = fc_strdup(region ? region : "");
    s->service = fc_strdup(service ? service : "");
    s->error = fc_strdup(error ? error : "");
    if (!s->account || !s->region || !s->service || !s->error) {
        free(s->account);
        free(s->region);
        free(s->service);
        free(s->error);
        return fc_error_set(FC_ENOMEM, "out of memory recording a stale scope");
    }
    inv->nstale++;
    return FC_OK;
}

int fc_inventory_is_stale(const fc_inventory *inv, const char *account,
                          const char *region)
{
    size_t i;
    for (i = 0; i < inv->nstale; i++) {
        const fc_stale_scope *s = &inv->stale[i];
        if (strcmp(s->account, account) == 0 &&
            (s->region[0] == '\0' || strcmp(s->region, region) == 0))
            return 1;
    }
    return 0;
}

void fc_action_result_dispose(fc_action_result *r)
{
    if (!r)
        return;
    free(r->new_id);
    free(r->state);
    r->new_id = NULL;
    r->state = NULL;
}

int fc_cloud_describe(fc_cloud *c, fc_resource_type type, const char *account,
                      const char *region, const char *role_arn, const char *id,
                      fc_resource *out)
{
    if (!c->ops->describe)
        return fc_error_set(FC_EUNSUPPORTED, "provider %s cannot describe resources",
                            c->ops->name);
    return c->ops->describe(c, type, account, region, role_arn, id, out);
}

int fc_cloud_apply(fc_cloud *c, const fc_action *a, fc_action_result *out)
{
    if (!c->ops->apply)
        return fc_error_set(FC_EUNSUPPORTED, "provider %s cannot apply %s", c->ops->name,
                            a->kind);
    return c->ops->apply(c, a, out);
}

/* NULL account or region matches any: resource ids are unique per cloud.
 * The sorts compare ids by fc_str_key first: 100,000 ids mostly differ in
 * their first 24 bytes, so strcmp runs only on a longer shared prefix. */
typedef struct {
    fc_str_key key;
    const char *id;
    size_t i;
} id_pos;

static int cmp_id_pos(const void *a, const void *b)
{
    const id_pos *x = a, *y = b;
    int c = fc_str_key_cmp(&x->key, x->id, &y->key, y->id);
    return c ? c : (x->i > y->i) - (x->i < y->i);
}

typedef struct {
    fc_str_key key;
    const char *id;
    const char *metric;
    size_t i;
} key_pos;

static int cmp_key_pos(const void *a, const void *b)
{
    const key_pos *x = a, *y = b;
    int c = fc_str_key_cmp(&x->key, x->id, &y->key, y->id);
    if (!c)
        c = strcmp(x->metric, y->metric);
    return c ? c : (x->i > y->i) - (x->i < y->i);
}

static int index_metrics(fc_inventory *inv)
{
    key_pos *tmp;
    size_t i, n = 0;

    free(inv->metric_by_key);
    free(inv->metric_keys);
    inv->metric_by_key = NULL;
    inv->metric_keys = NULL;
    inv->nmetric_by_key = inv->metric_index_for = 0;
    tmp = malloc((inv->nmetrics + 1) * sizeof(*tmp));
    inv->metric_by_key = malloc((inv->nmetrics + 1) * sizeof(*inv->metric_by_key));
    inv->metric_keys = malloc((inv->nmetrics + 1) * sizeof(*inv->metric_keys));
    if (!tmp || !inv->metric_by_key || !inv->metric_keys) {
        free(tmp);
        free(inv->metric_by_key);
        free(inv->metric_keys);
        inv->metric_by_key = NULL;
        inv->metric_keys = NULL;
        return fc_error_set(FC_ENOMEM, "out of memory indexing the inventory");
    }
    for (i = 0; i < inv->nmetrics; i++)
        if (inv->metrics[i].resource_id && inv->metrics[i].metric) {
            tmp[n].id = inv->metrics[i].resource_id;
            fc_str_key_of(&tmp[n].key, tmp[n].id);
            tmp[n].metric = inv->metrics[i].metric;
            tmp[n++].i = i;
        }
    /* Position breaks ties: the first match in array order wins, as in the scan. */
    qsort(tmp, n, sizeof(*tmp), cmp_key_pos);
    for (i = 0; i < n; i++) {
        inv->metric_by_key[i] = tmp[i].i;
        inv->metric_keys[i] = tmp[i].key;
    }
    inv->nmetric_by_key = n;
    inv->metric_index_for = inv->nmetrics;
    free(tmp);
    return FC_OK;
}

int fc_inventory_index(fc_inventory *inv)
{
    id_pos *tmp = NULL;
    size_t i, n = 0;
    int rc;

    if ((rc = index_metrics(inv)) != FC_OK)
        return rc;

    free(inv->by_id);
    inv->by_id = NULL;
    inv->nby_id = inv->by_id_for = 0;
    tmp = malloc((inv->nresources + 1) * sizeof(*tmp));
    inv->by_id = malloc((inv->nresources + 1) * sizeof(*inv->by_id));
    if (!tmp || !inv->by_id) {
        free(inv->by_id);
        inv->by_id = NULL;
        rc = fc_error_set(FC_ENOMEM, "out of memory indexing the inventory");
        goto done;
    }
    for (i = 0; i < inv->nresources; i++)
        if (inv->resources[i].id) {
            tmp[n].id = inv->resources[i].id;
            fc_str_key_of(&tmp[n].key, tmp[n].id);
            tmp[n++].i = i;
        }
    /* Position breaks ties: the first match in array order wins, as in the scan. */
    qsort(tmp, n, sizeof(*tmp), cmp_id_pos);
    for (i = 0; i < n; i++)
        inv->by_id[i] = tmp[i].i;
    inv->nby_id = n;
    inv->by_id_for = inv->nresources;
done:
    free(tmp);
    return rc;
}

static int res_matches(const fc_resource *r, const char *account, const char *region)
{
    if (account && (!r->account || strcmp(r->account, account) != 0))
        return 0;
    if (region && (!r->region || strcmp(r->region, region) != 0))
        return 0;
    return 1;
}

const fc_resource *fc_inventory_find(const fc_inventory *inv,
                                     const char *account, const char *region,
                                     const char *id)
{
    size_t i;
    if (!inv || !id)
        return NULL;
    if (inv->by_id && inv->by_id_for == inv->nresources) {
        size_t lo = 0, hi = inv->nby_id;
        while (lo < hi) { /* first entry with id >= the key */
            size_t mid = lo + (hi - lo) / 2;
            if (strcmp(inv->resources[inv->by_id[mid]].id, id) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (; lo < inv->nby_id; lo++) {
            const fc_resource *r = &inv->resources[inv->by_id[lo]];
            if (strcmp(r->id, id) != 0)
                break;
            if (res_matches(r, account, region))
                return r;
        }
        return NULL;
    }
    for (i = 0; i < inv->nresources; i++) {
        const fc_resource *r = &inv->resources[i];
        if (!r->id || strcmp(r->id, id) != 0)
            continue;
        if (res_matches(r, account, region))
            return r;
    }
    return NULL;
}

const fc_metric_series *fc_inventory_metric(const fc_inventory *inv,
                                            const char *resource_id,
                                            const char *metric)
{
    size_t i;
    if (!inv || !resource_id || !metric)
        return NULL;
    if (inv->metric_by_key && inv->metric_keys && inv->metric_index_for == inv->nmetrics) {
        size_t lo = 0, hi = inv->nmetric_by_key;
        fc_str_key key;
        fc_str_key_of(&key, resource_id);
        while (lo < hi) { /* first entry with (id, metric) >= the key */
            size_t mid = lo + (hi - lo) / 2;
            const fc_metric_series *s = &inv->metrics[inv->metric_by_key[mid]];
            /* The keys, a compact array, settle most probes without
             * reading the series. */
            int c = fc_str_key_order(&inv->metric_keys[mid], &key);
            if (c == FC_STR_KEY_TIE)
                c = strcmp(s->resource_id + 24, resource_id + 24);
            if (!c)
                c = strcmp(s->metric, metric);
            if (c < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < inv->nmetric_by_key) {
            const fc_metric_series *s = &inv->metrics[inv->metric_by_key[lo]];
            if (strcmp(s->resource_id, resource_id) == 0 && strcmp(s->metric, metric) == 0)
                return s;
        }
        return NULL;
    }
    for (i = 0; i < inv->nmetrics; i++) {
        const fc_metric_series *s = &inv->metrics[i];
        if (s->resource_id && s->metric &&
            strcmp(s->resource_id, resource_id) == 0 &&
            strcmp(s->metric, metric) == 0)
            return s;
    }
    return NULL;
}

/*
 * Room for one more element of `size` bytes in *arr (n in use), by
 * doubling.  The capacity is the block's own (malloc_usable_size): a
 * capacity field would be wrong for arrays that tests allocate by hand,
 * and growing by one copied the arrays again and again once other blocks
 * sat after them (100k resources, 114k series).
 */
static int grow_one(void **arr, size_t n, size_t size)
{
    void *p;
    size_t cap = *arr ? malloc_usable_size(*arr) / size : 0;
    if (n < cap)
        return FC_OK;
    cap = n < 8 ? 8 : 2 * n;
    if (!(p = realloc(*arr, cap * size)))
        return FC_ENOMEM;
    *arr = p;
    return FC_OK;
}

int fc_inventory_add_resource(fc_inventory *inv, const fc_resource *src)
{
    fc_resource *p;
    void *arr = inv->resources;
    int rc;

    if (grow_one(&arr, inv->nresources, sizeof(*p)) != FC_OK)
        return fc_error_set(FC_ENOMEM, "out of memory adding resource");
    inv->resources = p = arr;
    if ((rc = resource_copy_packed(&p[inv->nresources], src)) != 0)
        return rc;
    inv->nresources++;
    return FC_OK;
}

int fc_inventory_add_metric_take(fc_inventory *inv, const char *resource_id,
                                 const char *metric, int64_t start,
                                 int32_t step, double *values, size_t n)
{
    fc_metric_series *p, *s;
    void *arr = inv->metrics;

    if (grow_one(&arr, inv->nmetrics, sizeof(*p)) != FC_OK) {
        free(values);
        return fc_error_set(FC_ENOMEM, "out of memory adding metric");
    }
    inv->metrics = p = arr;
    s = &p[inv->nmetrics];
    memset(s, 0, sizeof(*s));
    {
        /* One block: the metric name follows the resource id (freed with it). */
        size_t nid = strlen(resource_id) + 1, nm = strlen(metric) + 1;
        if (!(s->resource_id = malloc(nid + nm))) {
            free(values);
            return fc_error_set(FC_ENOMEM, "out of memory adding metric");
        }
        memcpy(s->resource_id, resource_id, nid);
        s->metric = s->resource_id + nid;
        memcpy(s->metric, metric, nm);
    }
    s->start = start;
    s->step = step;
    s->values = values;
    s->n = n;
    inv->nmetrics++;
    return FC_OK;
}

int fc_inventory_add_metric_gen(fc_inventory *inv, const char *resource_id,
                                const char *metric, int64_t start,
                                int32_t step, size_t n, fc_metric_fill_fn fill,
                                void *gen, size_t gen_size)
{
    fc_metric_series *s;
    int rc;

    /* Appended as an empty stored series, then turned into a generated one. */
    if ((rc = fc_inventory_add_metric_take(inv, resource_id, metric, start, step, NULL,
                                           0)) != FC_OK) {
        free(gen);
        return rc;
    }
    s = &inv->metrics[inv->nmetrics - 1];
    s->n = n;
    s->fill = fill;
    s->gen = gen;
    s->gen_size = gen_size;
    return FC_OK;
}

void fc_metric_series_read(const fc_metric_series *s, size_t from, size_t n,
                           double *out)
{
    assert(from <= s->n && n <= s->n - from);
    if (n == 0)
        return;
    if (s->values)
        memcpy(out, s->values + from, n * sizeof(*out));
    else if (s->fill)
        s->fill(s->gen, s->start, s->step, from, n, out);
    else
        assert(!"series without values or generator");
}

uint64_t fc_metric_series_hash(const fc_metric_series *s, uint64_t h)
{
    h = fc_hash64(&s->n, sizeof(s->n), h);
    if (s->values)
        return fc_hash64(s->values, s->n * sizeof(*s->values), h);
    return s->gen ? fc_hash64(s->gen, s->gen_size, h) : h;
}

void fc_cost_row_dispose(fc_cost_row *c)
{
    if (!c)
        return;
    free(c->account);
    free(c->service);
    free(c->region);
    free(c->usage_type);
    free(c->resource_id);
    memset(c, 0, sizeof(*c));
}

/* Appends with doubling: providers and stores add rows by the hundred
 * thousand. */
static int add_cost_row(fc_cost_row **rows, size_t *n, size_t *cap, const fc_cost_row *src)
{
    fc_cost_row *c;

    if (*n >= *cap) {
        size_t ncap = *cap ? *cap * 2 : 64;
        fc_cost_row *p = realloc(*rows, ncap * sizeof(*p));
        if (!p)
            return fc_error_set(FC_ENOMEM, "out of memory adding cost row");
        *rows = p;
        *cap = ncap;
    }
    c = &(*rows)[*n];
    memset(c, 0, sizeof(*c));
    c->day = src->day;
    c->amount = src->amount;
    if (!(c->account = fc_strdup(src->account ? src->account : "")) ||
        !(c->service = fc_strdup(src->service ? src->service : "")) ||
        dup_opt(&c->region, src->region) || dup_opt(&c->usage_type, src->usage_type) ||
        dup_opt(&c->resource_id, src->resource_id)) {
        fc_cost_row_dispose(c);
        return fc_error_set(FC_ENOMEM, "out of memory adding cost row");
    }
    (*n)++;
    return FC_OK;
}

int fc_inventory_add_cost_ex(fc_inventory *inv, const fc_cost_row *row)
{
    return add_cost_row(&inv->costs, &inv->ncosts, &inv->costs_cap, row);
}

int fc_inventory_add_cost_detail(fc_inventory *inv, const fc_cost_row *row)
{
    return add_cost_row(&inv->cost_details, &inv->ncost_details, &inv->cost_details_cap,
                        row);
}

int fc_inventory_add_cost(fc_inventory *inv, const char *account,
                          const char *service, int64_t day, double amount)
{
    fc_cost_row r;
    memset(&r, 0, sizeof(r));
    r.account = (char *)account;
    r.service = (char *)service;
    r.day = day;
    r.amount = amount;
    return fc_inventory_add_cost_ex(inv, &r);
}
