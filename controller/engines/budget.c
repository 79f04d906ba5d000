/*
 * budget.c - evaluates one Budget against the observed daily costs.
 *
 * Stage: engines (pure).  Inputs are a Budget object (with the spec set for
 * its children), the inventory's daily cost rows and the clock `now`.
 * Output is an fc_budget_eval the caller disposes: actual spend in the
 * period so far split into own and children, a forecast to the period's
 * end with its method and inputs, percentages of the amount and which
 * thresholds are crossed.
 *
 * Scope: a cost row is in a budget's scope when it matches every filter
 * given (accounts, services, regions, tags).  Regions need cost rows that
 * carry a region ("" = a global charge, in no region) and tags need rows
 * that name a resource, matched against its tags in the inventory (a
 * resource no longer there matches nothing).  Rows without the dimension
 * cannot be judged: they are left out and the eval says so (unevaluable),
 * rather than guessing.
 *
 * Hierarchy, as sets of cost rows: T(b) = S(b) ∪ ⋃ T(child).  own =
 * S(b) \ ⋃ T(child), children = ⋃ T(child), total = own + children; each
 * row counts once, so overlapping scopes of parent and children (or of two
 * children) are never double counted.
 *
 * Forecast = spend of the complete days of the period + the daily run rate
 * for every day after the last complete one, scaled by that day's weekday
 * factor.  With at least 4 whole weeks of history (up to 8 are used) the
 * factors are each weekday's mean over those weeks divided by the mean of
 * the seven, and the rate is the mean of the last 7 complete days divided
 * by their factors; with less history the factors are 1 and the rate is
 * the plain mean of the last ≤7 complete days (flat run rate).  Counting
 * from the last complete day rather than from `now` keeps the forecast
 * right when cost data lags a day or two behind the clock.  A trend is not
 * extrapolated: the run rate is last week's level.
 *
 * Cost: scope answers are taken per scope key (account, service, region,
 * resource), not per row, and memoised per key in a tree.  A caller
 * evaluating many Budgets of one set passes an fc_budget_kids index: it
 * saves each evaluation a scan of the set for children, and keeps the
 * cost rows of each window grouped by key, so the Budgets of one period
 * share that work instead of each scanning every cost row.
 */
#include "controller/engines/fc_engines.h"
#include "controller/core/fc_error.h"
#include "controller/core/fc_util.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RATE_DAYS 7
#define MIN_SEASONAL_WEEKS 4
#define MAX_SEASONAL_WEEKS 8
#define MAX_DEPTH 32           /* parents form no cycle (loader); a guard */
#define PERCENT_EPSILON 1e-9   /* 80% of 100 must cross an 80% threshold */

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    int64_t era;
    int64_t yoe, doy, doe;
    while (m > 12) {
        m -= 12;
        y++;
    }
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int fc_budget_period(const char *period, int64_t now, int64_t *start,
                     int64_t *end)
{
    time_t tt = (time_t)now;
    struct tm tm;
    int64_t y;
    int m, first, months;

    if (!gmtime_r(&tt, &tm))
        return fc_error_set(FC_EINVALID, "time %lld out of range",
                            (long long)now);
    y = (int64_t)tm.tm_year + 1900;
    m = tm.tm_mon + 1;
    if (!period || strcmp(period, "monthly") == 0) {
        first = m;
        months = 1;
    } else if (strcmp(period, "quarterly") == 0) {
        first = (m - 1) / 3 * 3 + 1;
        months = 3;
    } else if (strcmp(period, "annual") == 0) {
        first = 1;
        months = 12;
    } else {
        return fc_error_set(FC_EINVALID,
                            "unknown budget period '%s' (monthly, quarterly, "
                            "annual)",
                            period);
    }
    *start = days_from_civil(y, first, 1) * FC_DAY;
    *end = days_from_civil(y, first + months, 1) * FC_DAY;
    return FC_OK;
}

void fc_budget_eval_dispose(fc_budget_eval *e)
{
    size_t i;
    if (!e)
        return;
    free(e->name);
    free(e->currency);
    for (i = 0; i < e->nthresholds; i++)
        free(e->thresholds[i].type);
    free(e->thresholds);
    memset(e, 0, sizeof(*e));
}

void fc_budget_alert_list_init(fc_budget_alert_list *l) { memset(l, 0, sizeof(*l)); }

void fc_budget_alert_list_dispose(fc_budget_alert_list *l)
{
    size_t i;
    for (i = 0; l && i < l->n; i++) {
        free(l->items[i].budget);
        free(l->items[i].type);
    }
    if (l) {
        free(l->items);
        fc_budget_alert_list_init(l);
    }
}

int fc_budget_alert_list_add(fc_budget_alert_list *l, const fc_budget_alert *a)
{
    fc_budget_alert *items = realloc(l->items, (l->n + 1) * sizeof(*items));
    fc_budget_alert *x;
    if (!items)
        return fc_error_set(FC_ENOMEM, "out of memory");
    l->items = items;
    x = &items[l->n];
    *x = *a;
    x->budget = fc_strdup(a->budget);
    x->type = fc_strdup(a->type);
    if (!x->budget || !x->type) {
        free(x->budget);
        free(x->type);
        return fc_error_set(FC_ENOMEM, "out of memory");
    }
    l->n++;
    return FC_OK;
}

/* ---- scope ------------------------------------------------------------- */

/* Per-region and per-resource dimensions come from billing exports
 * (controller/ingest); Cost Explorer by service and the sim leave them
 * NULL.  A resource may be named by ARN: its id is the last segment. */
static const char *row_region(const fc_cost_row *c) { return c->region; }

static const char *row_resource(const fc_cost_row *c)
{
    const char *id = c->resource_id, *slash;
    if (id && strncmp(id, "arn:", 4) == 0) {
        if ((slash = strrchr(id, '/')) != NULL)
            return slash[1] ? slash + 1 : NULL;
        if ((slash = strrchr(id, ':')) != NULL)
            return slash[1] ? slash + 1 : NULL;
    }
    return id && *id ? id : NULL;
}

static int listed(char *const *list, unsigned n, const char *v)
{
    unsigned i;
    if (!list || n == 0)
        return 1;
    if (!v)
        return 0;
    for (i = 0; i < n; i++)
        if (list[i] && strcmp(list[i], v) == 0)
            return 1;
    return 0;
}

/* 1 in scope, 0 out; *why gets FC_BUDGET_NO_* when the row cannot be
 * judged (it is then out). */
static int in_scope(const fc_budget_spec *b, const fc_inventory *inv,
                    const fc_cost_row *c, int *why)
{
    const fc_resource *r;
    unsigned i;

    if (!listed(b->scope.accounts, b->scope.naccounts, c->account) ||
        !listed(b->scope.services, b->scope.nservices, c->service))
        return 0;
    if (b->scope.nregions) {
        const char *region = row_region(c);
        if (!region) {
            *why |= FC_BUDGET_NO_REGION;
            return 0;
        }
        if (!listed(b->scope.regions, b->scope.nregions, region))
            return 0;
    }
    if (b->scope.ntags) {
        const char *id = row_resource(c);
        if (!id) {
            *why |= FC_BUDGET_NO_TAGS;
            return 0;
        }
        /* A resource that is gone has no tags to match: out of scope. */
        if (!inv || !(r = fc_inventory_find(inv, c->account, NULL, id)))
            return 0;
        for (i = 0; i < b->scope.ntags; i++) {
            const char *v = fc_resource_tag(r, b->scope.tags[i].key);
            if (!v || strcmp(v, b->scope.tags[i].value) != 0)
                return 0;
        }
    }
    return 1;
}

/* The budget's subtree (itself at 0, then its descendants level by level,
 * each level in set order) with each node's children, so that memo rows
 * are indexed by budget and the walks visit children only: scanning every
 * Budget of the set per row made 10,000 Budgets cost minutes. */
typedef struct {
    const fc_spec_set *set;
    const fc_inventory *inv;
    const fc_object **budgets;
    size_t nb;
    size_t *kids_at;          /* nb + 1: children of k are kids[kids_at[k]..] */
    size_t *kids;
    const size_t *rep;        /* nkeys: a row of each scope key */
    signed char *memo;        /* nkeys x nb, key-major: -1 unknown, 0/1 in T(b) */
    int why;
} tree_ctx;

static int in_total(tree_ctx *t, size_t bi, size_t key, int depth)
{
    signed char *m = &t->memo[key * t->nb + bi];
    size_t j;
    int v;

    if (*m >= 0)
        return *m;
    v = in_scope(t->budgets[bi]->spec.budget, t->inv, &t->inv->costs[t->rep[key]], &t->why);
    for (j = t->kids_at[bi]; !v && depth < MAX_DEPTH && j < t->kids_at[bi + 1]; j++)
        v = in_total(t, t->kids[j], key, depth + 1);
    *m = (signed char)v;
    return v;
}

/* ---- cost windows ------------------------------------------------------ */

/* in_scope reads only a row's account, service, region and resource, so
 * rows sharing those four (the same line on other days) share every scope
 * answer: scopes are judged once per key, not once per row and child
 * (5,000 children of one Budget over 60 days of rows was most of a pass).
 * A window holds the rows of [ws, min(now, end)) grouped by key.  It
 * depends on no Budget, so the Budgets of one period in a pass share one
 * (window_cache) instead of each scanning every cost row. */
typedef struct {
    int64_t ws, now, end;
    size_t nd;                /* days of [ws, end) */
    size_t nrows;
    size_t *row;              /* nrows: index into inv->costs, inventory order */
    size_t *rowkey;           /* nrows: key of each row */
    size_t nkeys;             /* numbered in first-seen order */
    size_t *rep;              /* nkeys: index into inv->costs of a row of each key */
    size_t *key_at;           /* nkeys + 1: key k's rows are key_row[key_at[k]..] */
    size_t *key_row;          /* nrows: positions in row[], ascending per key */
    int64_t *key_day;         /* nrows: the days of those rows, sorted per key */
    unsigned char *cov;       /* nd: days the provider reported (a row, even 0) */
} cost_window;

static uint64_t hash_str(uint64_t h, const char *s)
{
    if (!s)
        return (h ^ 0xff) * 1099511628211ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return (h ^ 0xfe) * 1099511628211ULL;
}

static int same_str(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static uint64_t row_hash(const fc_cost_row *c)
{
    uint64_t h = 14695981039346656037ULL;
    h = hash_str(h, c->account);
    h = hash_str(h, c->service);
    h = hash_str(h, row_region(c));
    return hash_str(h, row_resource(c));
}

static int same_key(const fc_cost_row *a, const fc_cost_row *b)
{
    return same_str(a->account, b->account) && same_str(a->service, b->service) &&
           same_str(row_region(a), row_region(b)) &&
           same_str(row_resource(a), row_resource(b));
}

static int cmp_day(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* calloc that gives a pointer for 0 elements too: NULL means no memory. */
static void *alloc_n(size_t n, size_t size)
{
    return calloc(n ? n : 1, size);
}

static void window_free(cost_window *w)
{
    if (!w)
        return;
    free(w->row);
    free(w->rowkey);
    free(w->rep);
    free(w->key_at);
    free(w->key_row);
    free(w->key_day);
    free(w->cov);
    free(w);
}

static int in_window(const fc_cost_row *c, int64_t ws, int64_t now, int64_t end)
{
    return c->day >= ws && c->day < now && c->day < end;
}

/* Groups the window's rows by key (open addressing, keys in first-seen
 * order) and lists each key's rows.  NULL when out of memory. */
static cost_window *window_new(const fc_inventory *inv, int64_t ws, int64_t now,
                               int64_t end)
{
    size_t ncosts = inv ? inv->ncosts : 0, cap = 16, n = 0, i, k, *slot = NULL,
           *fill = NULL;
    cost_window *w, *out = NULL;

    if (!(w = calloc(1, sizeof(*w))))
        return NULL;
    w->ws = ws;
    w->now = now;
    w->end = end;
    w->nd = (size_t)((end - ws) / FC_DAY);
    for (i = 0; i < ncosts; i++)
        n += in_window(&inv->costs[i], ws, now, end);
    w->nrows = n;
    while (cap < n * 2)
        cap *= 2;
    slot = malloc(cap * sizeof(*slot));
    fill = alloc_n(n, sizeof(*fill));
    if (!slot || !fill || !(w->cov = alloc_n(w->nd, 1)) ||
        !(w->row = alloc_n(n, sizeof(*w->row))) ||
        !(w->rowkey = alloc_n(n, sizeof(*w->rowkey))) ||
        !(w->rep = alloc_n(n, sizeof(*w->rep))) ||
        !(w->key_at = calloc(n + 1, sizeof(*w->key_at))) ||
        !(w->key_row = alloc_n(n, sizeof(*w->key_row))) ||
        !(w->key_day = alloc_n(n, sizeof(*w->key_day))))
        goto done;
    for (i = 0, n = 0; i < ncosts; i++)
        if (in_window(&inv->costs[i], ws, now, end))
            w->row[n++] = i;
    for (i = 0; i < cap; i++)
        slot[i] = SIZE_MAX;
    for (i = 0; i < w->nrows; i++) {
        const fc_cost_row *c = &inv->costs[w->row[i]];
        size_t s = (size_t)row_hash(c) & (cap - 1);
        while (slot[s] != SIZE_MAX && !same_key(&inv->costs[w->rep[slot[s]]], c))
            s = (s + 1) & (cap - 1);
        if (slot[s] == SIZE_MAX) {
            slot[s] = w->nkeys;
            w->rep[w->nkeys++] = w->row[i];
        }
        w->rowkey[i] = slot[s];
        w->key_at[slot[s] + 1]++;
        w->cov[(size_t)((c->day - ws) / FC_DAY)] = 1;
    }
    for (k = 0; k < w->nkeys; k++)
        w->key_at[k + 1] += w->key_at[k];
    for (i = 0; i < w->nrows; i++) {
        size_t j = w->key_at[w->rowkey[i]] + fill[w->rowkey[i]]++;
        w->key_row[j] = i;
        w->key_day[j] = inv->costs[w->row[i]].day;
    }
    for (k = 0; k < w->nkeys; k++)
        qsort(w->key_day + w->key_at[k], w->key_at[k + 1] - w->key_at[k],
              sizeof(*w->key_day), cmp_day);
    out = w;
    w = NULL;
done:
    window_free(w);
    free(slot);
    free(fill);
    return out;
}

/* Rows of key k on or after day start. */
static size_t key_rows_from(const cost_window *w, size_t k, int64_t start)
{
    size_t lo = w->key_at[k], hi = w->key_at[k + 1], top = hi;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (w->key_day[mid] < start)
            lo = mid + 1;
        else
            hi = mid;
    }
    return top - lo;
}

/* The windows built for the inventory a kids index is used with: a pass
 * has one per period kind (monthly, quarterly, annual), so a few are kept,
 * the oldest replaced first.  Another inventory, or rows appended, starts
 * over; rows changed in place are not seen (fc_engines.h says so). */
#define WINDOWS_KEPT 8

typedef struct {
    const fc_inventory *inv;
    const fc_cost_row *costs;
    size_t ncosts;
    cost_window *w[WINDOWS_KEPT];
    size_t n, next;           /* next: the one a new window replaces when full */
} window_cache;

static void window_cache_clear(window_cache *c)
{
    size_t i;
    for (i = 0; i < c->n; i++)
        window_free(c->w[i]);
    memset(c, 0, sizeof(*c));
}

/* The window, made when not yet kept; NULL when out of memory. */
static const cost_window *window_cache_get(window_cache *c, const fc_inventory *inv,
                                           int64_t ws, int64_t now, int64_t end)
{
    cost_window *w;
    size_t i;

    if (c->inv != inv || c->costs != (inv ? inv->costs : NULL) ||
        c->ncosts != (inv ? inv->ncosts : 0)) {
        window_cache_clear(c);
        c->inv = inv;
        c->costs = inv ? inv->costs : NULL;
        c->ncosts = inv ? inv->ncosts : 0;
    }
    for (i = 0; i < c->n; i++)
        if (c->w[i]->ws == ws && c->w[i]->now == now && c->w[i]->end == end)
            return c->w[i];
    if (!(w = window_new(inv, ws, now, end)))
        return NULL;
    if (c->n < WINDOWS_KEPT) {
        c->w[c->n++] = w;
    } else {
        window_free(c->w[c->next]);
        c->w[c->next] = w;
        c->next = (c->next + 1) % WINDOWS_KEPT;
    }
    return w;
}

/* Scope answers for one key: in own scope, claimed by how many children,
 * and why rows of it cannot be judged. */
typedef struct {
    unsigned char own, child;
    unsigned claims;
    int why;
} key_answer;

/* One named node of the current level (qsort has no payload pointer). */
typedef struct {
    const char *name;
    size_t k;
} level_name;

static int cmp_level_name(const void *a, const void *b)
{
    return strcmp(((const level_name *)a)->name, ((const level_name *)b)->name);
}

static int cmp_parent_key(const void *key, const void *elem)
{
    return strcmp((const char *)key, ((const level_name *)elem)->name);
}

/* t->kids_at / t->kids from each node's parent (up[k]; node 0 is the root):
 * a counting sort, so each node's children keep node order. */
static int index_children(tree_ctx *t, const size_t *up)
{
    size_t k, *fill;
    t->kids_at = calloc(t->nb + 1, sizeof(*t->kids_at));
    t->kids = calloc(t->nb, sizeof(*t->kids));
    fill = calloc(t->nb, sizeof(*fill));
    if (!t->kids_at || !t->kids || !fill) {
        free(fill);
        return fc_error_set(FC_ENOMEM, "out of memory");
    }
    for (k = 1; k < t->nb; k++)
        t->kids_at[up[k] + 1]++;
    for (k = 0; k < t->nb; k++)
        t->kids_at[k + 1] += t->kids_at[k];
    for (k = 1; k < t->nb; k++)
        t->kids[t->kids_at[up[k]] + fill[up[k]]++] = k;
    free(fill);
    return FC_OK;
}

/* Fills t->budgets, t->nb, t->kids_at and t->kids for budget's subtree
 * (MAX_DEPTH levels at most).  Each level's names are sorted once and every
 * other Budget's parent looked up in them: O(B log L) per level, and a leaf
 * budget costs one pass over the set. */
static int collect_subtree(tree_ctx *t, const fc_spec_set *set, const fc_object *budget)
{
    size_t nobj = set ? set->nobjects : 0, *up = NULL;
    level_name *sorted = NULL;
    size_t lo = 0, hi, i, k;
    unsigned char *taken = NULL;
    int depth, rc = FC_OK;

    t->budgets = calloc(nobj + 1, sizeof(*t->budgets));
    up = calloc(nobj + 1, sizeof(*up));
    sorted = calloc(nobj + 1, sizeof(*sorted));
    taken = calloc(nobj + 1, 1);
    if (!t->budgets || !up || !sorted || !taken) {
        rc = fc_error_set(FC_ENOMEM, "out of memory");
        goto done;
    }
    t->budgets[0] = budget;
    t->nb = hi = 1;
    for (i = 0; i < nobj; i++)
        if (&set->objects[i] == budget)
            taken[i] = 1;
    for (depth = 0; depth < MAX_DEPTH && lo < hi; depth++) {
        size_t nl = 0;
        for (k = lo; k < hi; k++)
            if (t->budgets[k]->metadata.name) {
                sorted[nl].name = t->budgets[k]->metadata.name;
                sorted[nl++].k = k;
            }
        qsort(sorted, nl, sizeof(*sorted), cmp_level_name);
        for (i = 0; nl && i < nobj; i++) {
            const fc_object *o = &set->objects[i];
            const level_name *hit;
            if (taken[i] || o->kind != FC_KIND_BUDGET || !o->spec.budget->parent)
                continue;
            /* One name (a leaf's level, every leaf budget): skip the calls. */
            if (nl == 1 && (o->spec.budget->parent[0] != sorted[0].name[0] ||
                            strcmp(o->spec.budget->parent, sorted[0].name) != 0))
                continue;
            hit = nl == 1 ? sorted
                          : bsearch(o->spec.budget->parent, sorted, nl, sizeof(*sorted),
                                    cmp_parent_key);
            if (!hit)
                continue;
            taken[i] = 1;
            up[t->nb] = hit->k;
            t->budgets[t->nb++] = o;
        }
        lo = hi;
        hi = t->nb;
    }
    /* Children lists in subtree order, which is set order within a level. */
    rc = index_children(t, up);
done:
    free(up);
    free(sorted);
    free(taken);
    return rc;
}

/* ---- children index ---------------------------------------------------- */

struct fc_budget_kids {
    size_t nobjects;          /* of the set it was built from */
    size_t *at;               /* nobjects + 1: children of i are list[at[i]..] */
    size_t *list;
    /* Per pass, shared by every evaluation with this index; a pointer so
     * that evaluations, which get the index const, can fill it. */
    window_cache *windows;
};

void fc_budget_kids_free(fc_budget_kids *k)
{
    if (!k)
        return;
    free(k->at);
    free(k->list);
    if (k->windows)
        window_cache_clear(k->windows);
    free(k->windows);
    free(k);
}

/* Budget names sorted once, every parent looked up: O(B log B) for the
 * set instead of a scan of the set per Budget. */
int fc_budget_kids_new(fc_budget_kids **out, const fc_spec_set *set)
{
    size_t nobj = set ? set->nobjects : 0, nl = 0, i, *parent = NULL, *fill = NULL;
    level_name *sorted = NULL;
    fc_budget_kids *k = NULL;
    int rc = FC_OK;

    *out = NULL;
    k = calloc(1, sizeof(*k));
    sorted = calloc(nobj + 1, sizeof(*sorted));
    parent = calloc(nobj + 1, sizeof(*parent));
    fill = calloc(nobj + 1, sizeof(*fill));
    if (!k || !sorted || !parent || !fill ||
        !(k->at = calloc(nobj + 1, sizeof(*k->at))) ||
        !(k->list = calloc(nobj + 1, sizeof(*k->list))) ||
        !(k->windows = calloc(1, sizeof(*k->windows)))) {
        rc = fc_error_set(FC_ENOMEM, "out of memory");
        goto done;
    }
    k->nobjects = nobj;
    for (i = 0; i < nobj; i++) {
        const fc_object *o = &set->objects[i];
        if (o->kind == FC_KIND_BUDGET && o->metadata.name) {
            sorted[nl].name = o->metadata.name;
            sorted[nl++].k = i;
        }
    }
    qsort(sorted, nl, sizeof(*sorted), cmp_level_name);
    for (i = 0; i < nobj; i++) {
        const fc_object *o = &set->objects[i];
        const level_name *hit;
        parent[i] = SIZE_MAX;
        if (o->kind != FC_KIND_BUDGET || !o->spec.budget->parent)
            continue;
        hit = bsearch(o->spec.budget->parent, sorted, nl, sizeof(*sorted), cmp_parent_key);
        if (hit && hit->k != i) {
            parent[i] = hit->k;
            k->at[hit->k + 1]++;
        }
    }
    for (i = 0; i < nobj; i++)
        k->at[i + 1] += k->at[i];
    for (i = 0; i < nobj; i++)
        if (parent[i] != SIZE_MAX)
            k->list[k->at[parent[i]] + fill[parent[i]]++] = i;
    *out = k;
    k = NULL;
done:
    fc_budget_kids_free(k);
    free(sorted);
    free(parent);
    free(fill);
    return rc;
}

size_t fc_budget_kids_of(const fc_budget_kids *k, const fc_spec_set *set,
                         const fc_object *budget, const size_t **idx)
{
    size_t i;
    *idx = NULL;
    if (!k || !set || k->nobjects != set->nobjects || budget < set->objects ||
        budget >= set->objects + set->nobjects)
        return 0;
    i = (size_t)(budget - set->objects);
    *idx = &k->list[k->at[i]];
    return k->at[i + 1] - k->at[i];
}

/* collect_subtree from the index: the same nodes, and each node's
 * children in set order as there. */
static int collect_subtree_kids(tree_ctx *t, const fc_spec_set *set,
                                const fc_budget_kids *kids, const fc_object *budget)
{
    size_t cap = 16, lo = 0, hi, k, j, n, *up = NULL, *grow;
    const fc_object **gb;
    const size_t *idx;
    int depth, rc = FC_OK;

    if (kids->nobjects != set->nobjects || budget < set->objects ||
        budget >= set->objects + set->nobjects)
        return collect_subtree(t, set, budget);
    t->budgets = malloc(cap * sizeof(*t->budgets));
    up = malloc(cap * sizeof(*up));
    if (!t->budgets || !up) {
        rc = fc_error_set(FC_ENOMEM, "out of memory");
        goto done;
    }
    t->budgets[0] = budget;
    up[0] = 0;
    t->nb = hi = 1;
    for (depth = 0; depth < MAX_DEPTH && lo < hi; depth++) {
        for (k = lo; k < hi; k++) {
            n = fc_budget_kids_of(kids, set, t->budgets[k], &idx);
            for (j = 0; j < n; j++) {
                if (t->nb == cap) {
                    cap *= 2;
                    if (!(gb = realloc(t->budgets, cap * sizeof(*gb)))) {
                        rc = fc_error_set(FC_ENOMEM, "out of memory");
                        goto done;
                    }
                    t->budgets = gb;
                    if (!(grow = realloc(up, cap * sizeof(*grow)))) {
                        rc = fc_error_set(FC_ENOMEM, "out of memory");
                        goto done;
                    }
                    up = grow;
                }
                up[t->nb] = k;
                t->budgets[t->nb++] = &set->objects[idx[j]];
            }
        }
        lo = hi;
        hi = t->nb;
    }
    /* Children of node k were appended in set order. */
    rc = index_children(t, up);
done:
    free(up);
    return rc;
}

/* ---- forecast ---------------------------------------------------------- */

/* Monday = 0 for a unix time at 00:00 UTC (1970-01-01 was a Thursday). */
static int weekday(int64_t day)
{
    int64_t d = day / FC_DAY;
    return (int)(((d + 3) % 7 + 7) % 7);
}

/*
 * v[i], cov[i]: spend and data coverage of day ws + i days, i < nd (the
 * last day is the period's last).  Fills out->forecast and out->fc.
 */
static void forecast(fc_budget_eval *out, const double *v,
                     const unsigned char *cov, int64_t ws, size_t nd,
                     int64_t now)
{
    fc_budget_forecast *f = &out->fc;
    long last = -1, first_hist = -1, i, span, weeks, k = 0;
    size_t p0 = (size_t)((out->period_start - ws) / FC_DAY), d;
    double sum[7] = {0}, mean_all = 0, complete = 0, rate = 0;
    int cnt[7] = {0}, w, flat = 0;

    for (w = 0; w < 7; w++)
        f->weekday_factors[w] = 1.0;
    for (i = (long)nd - 1; i >= 0; i--)
        if (cov[i] && ws + (int64_t)(i + 1) * FC_DAY <= now) {
            last = i;
            break;
        }
    if (last < 0) {
        f->method = "none";
        out->forecast = out->actual;
        return;
    }
    f->last_complete_day = ws + (int64_t)last * FC_DAY;
    for (i = last; i >= 0 && i > last - MAX_SEASONAL_WEEKS * 7; i--)
        if (cov[i])
            first_hist = i;
    span = last - first_hist + 1;
    weeks = span / 7 > MAX_SEASONAL_WEEKS ? MAX_SEASONAL_WEEKS : span / 7;
    if (weeks >= MIN_SEASONAL_WEEKS) {
        for (i = last - weeks * 7 + 1; i <= last; i++)
            if (cov[i]) {
                w = weekday(ws + (int64_t)i * FC_DAY);
                sum[w] += v[i];
                cnt[w]++;
            }
        for (w = 0; w < 7; w++) {
            if (!cnt[w])
                flat = 1;
            else
                mean_all += sum[w] / cnt[w] / 7.0;
        }
        if (!flat && mean_all > 0)
            for (w = 0; w < 7; w++)
                f->weekday_factors[w] = sum[w] / cnt[w] / mean_all;
        else
            flat = 1;
    } else {
        flat = 1;
    }
    if (flat) {
        weeks = 0;
        for (w = 0; w < 7; w++)
            f->weekday_factors[w] = 1.0;
    }
    for (i = last; i >= 0 && k < RATE_DAYS; i--) {
        double fw;
        if (!cov[i])
            continue;
        fw = f->weekday_factors[weekday(ws + (int64_t)i * FC_DAY)];
        if (fw > 0) {
            rate += v[i] / fw;
            k++;
        }
    }
    rate = k ? rate / (double)k : 0;
    for (i = 0; i <= last; i++)
        if (cov[i] && (size_t)i >= p0)
            complete += v[i];
    out->forecast = complete;
    for (d = (size_t)last + 1 > p0 ? (size_t)last + 1 : p0; d < nd; d++) {
        out->forecast += rate * f->weekday_factors[weekday(ws + (int64_t)d * FC_DAY)];
        f->remaining_days++;
    }
    if (out->forecast < out->actual)
        out->forecast = out->actual;
    for (i = first_hist; i <= last; i++)
        f->history_days += cov[i] != 0;
    f->weeks = (int)weeks;
    f->daily_rate = rate;
    f->method = weeks ? "weekday-seasonal" : "flat-run-rate";
}

/* ---- evaluation -------------------------------------------------------- */

static int evaluate(fc_budget_eval *out, const fc_spec_set *set,
                    const fc_budget_kids *kids, const fc_object *budget,
                    const fc_inventory *inv, int64_t now)
{
    const fc_budget_spec *b;
    const cost_window *win = NULL;
    cost_window *mine = NULL;
    tree_ctx t;
    key_answer *ans = NULL;
    uint64_t *hit = NULL;
    double *daily = NULL;
    unsigned char *seen = NULL;
    int64_t start, end, ws, today;
    size_t nd, i, j, k, nwords, self = 0, kid_lo = 0, kid_hi = 0;
    int rc;
    unsigned th;

    memset(out, 0, sizeof(*out));
    memset(&t, 0, sizeof(t));
    if (!budget || budget->kind != FC_KIND_BUDGET || !budget->spec.budget)
        return fc_error_set(FC_EINVALID, "not a Budget object");
    b = budget->spec.budget;
    if (!(b->amount > 0))
        return fc_error_set(FC_EINVALID, "budget %s: amount must be > 0",
                            budget->metadata.name ? budget->metadata.name : "");
    if ((rc = fc_budget_period(b->period, now, &start, &end)) != 0)
        return rc;
    /* History for the weekday factors reaches 8 weeks before today. */
    today = now - (now % FC_DAY + FC_DAY) % FC_DAY;
    ws = today - (int64_t)MAX_SEASONAL_WEEKS * 7 * FC_DAY;
    if (ws > start)
        ws = start;
    nd = (size_t)((end - ws) / FC_DAY);

    t.set = set;
    t.inv = inv;
    if ((rc = kids && set ? collect_subtree_kids(&t, set, kids, budget)
                          : collect_subtree(&t, set, budget)) != FC_OK)
        goto fail;
    /* The rows of the window: the pass's shared copy when there is one. */
    if (kids && set)
        win = window_cache_get(kids->windows, inv, ws, now, end);
    else
        win = mine = window_new(inv, ws, now, end);
    if (!win) {
        rc = fc_error_set(FC_ENOMEM, "out of memory");
        goto fail;
    }
    nwords = (win->nrows + 63) / 64;
    daily = calloc(nd, sizeof(*daily));
    seen = calloc(nd, 1);
    ans = alloc_n(win->nkeys, sizeof(*ans));
    hit = alloc_n(nwords, sizeof(*hit));
    if (!daily || !seen || !ans || !hit) {
        rc = fc_error_set(FC_ENOMEM, "out of memory");
        goto fail;
    }
    if (t.nb > 1 && win->nkeys) {
        t.rep = win->rep;
        if (!(t.memo = malloc(t.nb * win->nkeys))) {
            rc = fc_error_set(FC_ENOMEM, "out of memory");
            goto fail;
        }
        memset(t.memo, -1, t.nb * win->nkeys);
        kid_lo = t.kids_at[self];
        kid_hi = t.kids_at[self + 1];
    }

    out->period_start = start;
    out->period_end = end;
    out->amount = b->amount;
    /* Each key is judged once, and its rows marked when it counts. */
    for (k = 0; k < win->nkeys; k++) {
        key_answer *a = &ans[k];
        a->own = (unsigned char)in_scope(b, inv, &inv->costs[win->rep[k]], &a->why);
        for (j = kid_lo; j < kid_hi; j++) {
            t.why = 0;
            if (in_total(&t, t.kids[j], k, 1)) {
                a->child = 1;
                a->claims++;
            }
            a->why |= t.why;
        }
        if (a->why) {
            out->unevaluable |= a->why;
            out->rows_left_out += key_rows_from(win, k, start);
        }
        if (a->own || a->child)
            for (i = win->key_at[k]; i < win->key_at[k + 1]; i++)
                hit[win->key_row[i] / 64] |= (uint64_t)1 << (win->key_row[i] % 64);
    }
    /* The marked rows in inventory order: the sums add up in the order
     * the scan of every row did, so they come out the same to the bit. */
    for (i = 0; i < nwords; i++) {
        uint64_t m = hit[i];
        while (m) {
            size_t w = i * 64 + (size_t)__builtin_ctzll(m); /* GCC, Clang */
            const fc_cost_row *c = &inv->costs[win->row[w]];
            const key_answer *a = &ans[win->rowkey[w]];
            size_t d = (size_t)((c->day - ws) / FC_DAY);
            double claimed = 0;
            unsigned n;

            m &= m - 1;
            daily[d] += c->amount;
            if (c->day < start)
                continue;
            seen[d] = 1;
            out->actual += c->amount;
            if (a->child) {
                /* Added once per claiming child, as the per-row walk did. */
                for (n = 0; n < a->claims; n++)
                    claimed += c->amount;
                out->children += c->amount;
                out->overlap += claimed - c->amount;
            } else {
                out->own += c->amount;
            }
        }
    }
    for (i = (size_t)((start - ws) / FC_DAY); i < nd; i++)
        out->days_observed += seen[i];
    forecast(out, daily, win->cov, ws, nd, now);
    out->actual_percent = out->actual / b->amount * 100.0;
    out->forecast_percent = out->forecast / b->amount * 100.0;

    out->name = fc_strdup(budget->metadata.name ? budget->metadata.name : "");
    out->currency = fc_strdup(b->currency                 ? b->currency
                              : inv && inv->currency ? inv->currency
                                                     : "USD");
    if (!out->name || !out->currency) {
        rc = fc_error_set(FC_ENOMEM, "out of memory");
        goto fail;
    }
    if (b->nthresholds) {
        out->thresholds = calloc(b->nthresholds, sizeof(*out->thresholds));
        if (!out->thresholds) {
            rc = fc_error_set(FC_ENOMEM, "out of memory");
            goto fail;
        }
    }
    for (th = 0; th < b->nthresholds; th++) {
        const fc_budget_threshold *x = &b->thresholds[th];
        fc_threshold_eval *ev = &out->thresholds[th];
        int fcst = x->type && strcmp(x->type, "forecast") == 0;
        double pct = fcst ? out->forecast_percent : out->actual_percent;
        out->nthresholds++;
        ev->percent = x->percent;
        /* A scope we cannot judge must not raise alerts on partial data. */
        ev->crossed = !out->unevaluable && pct + PERCENT_EPSILON >= x->percent;
        if (!(ev->type = fc_strdup(fcst ? "forecast" : "actual"))) {
            rc = fc_error_set(FC_ENOMEM, "out of memory");
            goto fail;
        }
    }
    rc = FC_OK;
    goto done;
fail:
    fc_budget_eval_dispose(out);
done:
    free(t.budgets);
    free(t.kids_at);
    free(t.kids);
    free(t.memo);
    window_free(mine);
    free(ans);
    free(hit);
    free(daily);
    free(seen);
    return rc;
}

int fc_engine_budget(fc_budget_eval *out, const fc_object *budget,
                     const fc_inventory *inv, int64_t now)
{
    return evaluate(out, NULL, NULL, budget, inv, now);
}

int fc_engine_budget_tree(fc_budget_eval *out, const fc_spec_set *set,
                          const fc_object *budget, const fc_inventory *inv,
                          int64_t now)
{
    return evaluate(out, set, NULL, budget, inv, now);
}

int fc_engine_budget_tree_kids(fc_budget_eval *out, const fc_spec_set *set,
                               const fc_budget_kids *kids,
                               const fc_object *budget,
                               const fc_inventory *inv, int64_t now)
{
    return evaluate(out, set, kids, budget, inv, now);
}
