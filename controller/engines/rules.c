/*
 * rules.c - the waste rules: idle EC2 instances, unattached EBS volumes and
 * unassociated Elastic IPs, turned into recommendations with a monthly
 * saving.
 *
 * Stage: engines (pure).  Inputs are the observed inventory (its
 * observed_at is the clock), the Policy objects of the spec set (a built-in
 * default policy when there are none) and the price table.  Output is an
 * fc_recommendation_list the caller owns, sorted by id; each policy's
 * filters and exclusions decide which resources it looks at, and the first
 * policy by name wins when two produce the same recommendation.
 */
#include "controller/engines/fc_engines.h"
#include "controller/core/fc_error.h"
#include "controller/core/fc_util.h"

#include <assert.h>
#include <ctype.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define RULE_IDLE_EC2 "idle-ec2-instance"
#define RULE_UNATTACHED_EBS "unattached-ebs-volume"
#define RULE_UNASSOCIATED_EIP "unassociated-elastic-ip"

#define ID_MAX 63          /* DNS-1123 label */
#define ID_KEEP 54         /* prefix kept when hashing: 54 + "-" + 8 hex */
#define MIN_COVERAGE 0.9   /* share of hourly points an idle verdict needs */

const char *fc_risk_name(fc_risk r)
{
    switch (r) {
    case FC_RISK_LOW:
        return "low";
    case FC_RISK_MEDIUM:
        return "medium";
    case FC_RISK_HIGH:
        return "high";
    }
    return "unknown";
}

void fc_recommendation_list_init(fc_recommendation_list *l)
{
    l->items = NULL;
    l->n = 0;
}

static void free_kvs(fc_kv *kv, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        free(kv[i].key);
        free(kv[i].value);
    }
    free(kv);
}

static void rec_dispose(fc_recommendation *r)
{
    free(r->id);
    free(r->rule);
    free(r->account);
    free(r->region);
    free(r->resource);
    free(r->summary);
    free_kvs(r->evidence, r->nevidence);
    free(r->currency);
    free(r->action);
    free_kvs(r->parameters, r->nparameters);
    free(r->policy);
    memset(r, 0, sizeof(*r));
}

void fc_recommendation_list_dispose(fc_recommendation_list *l)
{
    size_t i;
    if (!l)
        return;
    for (i = 0; i < l->n; i++)
        rec_dispose(&l->items[i]);
    free(l->items);
    fc_recommendation_list_init(l);
}

/* ---- ids --------------------------------------------------------------- */

/*
 * "<rule>-<resource id>" lowercased with everything outside [a-z0-9-]
 * mapped to '-'.  Too long ids keep a prefix and gain 8 hex digits of a
 * hash of the untouched "<rule>-<id>", so they stay stable and distinct.
 */
char *fc_recommendation_id(const char *rule, const char *resource_id)
{
    char *raw = fc_asprintf("%s-%s", rule, resource_id);
    size_t i, n;

    if (!raw)
        return NULL;
    n = strlen(raw);
    for (i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)tolower((unsigned char)raw[i]);
        raw[i] = (char)(((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
                         ch == '-')
                            ? ch
                            : '-');
    }
    while (n > 0 && raw[n - 1] == '-')
        raw[--n] = '\0';
    if (n > ID_MAX) {
        char *orig = fc_asprintf("%s-%s", rule, resource_id);
        uint32_t h;
        if (!orig) {
            free(raw);
            return NULL;
        }
        h = (uint32_t)fc_hash_str(orig, 0);
        free(orig);
        n = ID_KEEP;
        while (n > 0 && raw[n - 1] == '-')
            n--;
        snprintf(raw + n, ID_MAX + 1 - n, "-%08" PRIx32, h);
    }
    return raw;
}

/* ---- policies ---------------------------------------------------------- */

typedef struct {
    const char *name;           /* NULL: the built-in default */
    const fc_policy_spec *spec;
    size_t order;               /* position by name: duplicates keep lowest */
} policy_ref;

static const fc_policy_spec default_policy = {
    .ec2 = {.cpu_percent = 5.0, .idle_days = 7},
    .rds = {.cpu_percent = 10.0, .connections_percent = 20.0, .idle_days = 7},
    .ebs = {.unattached_days = 7},
    .approvals = {.low = 1, .medium = 1, .high = 2},
};

static int cmp_policy(const void *a, const void *b)
{
    const policy_ref *x = a, *y = b;
    return strcmp(x->name, y->name);
}

static int service_enabled(const fc_policy_spec *p, const char *svc)
{
    unsigned i;
    if (!p->services || p->nservices == 0)
        return 1;
    for (i = 0; i < p->nservices; i++)
        if (p->services[i] && strcasecmp(p->services[i], svc) == 0)
            return 1;
    return 0;
}

static int in_scope(const fc_spec_set *specs, const fc_policy_spec *p,
                    const fc_resource *r)
{
    unsigned i;
    if (p->regions && p->nregions) {
        for (i = 0; i < p->nregions; i++)
            if (p->regions[i] && r->region &&
                strcmp(p->regions[i], r->region) == 0)
                break;
        if (i == p->nregions)
            return 0;
    }
    if (p->accounts && p->naccounts) {
        for (i = 0; i < p->naccounts; i++)
            if (fc_specs_account_matches(specs, p->accounts[i], r->account))
                break;
        if (i == p->naccounts)
            return 0;
    }
    return 1;
}

static int excluded(const fc_policy_spec *p, const fc_resource *r)
{
    const fc_policy_exclusions *x = &p->exclusions;
    unsigned i;
    for (i = 0; i < x->ntags; i++) {
        const char *v;
        if (!x->tags[i].key)
            continue;
        v = fc_resource_tag(r, x->tags[i].key);
        /* A key without a value excludes on the key alone. */
        if (v && (!x->tags[i].value || strcmp(x->tags[i].value, v) == 0))
            return 1;
    }
    for (i = 0; i < x->nnames; i++) {
        const char *pat = x->names[i];
        if (!pat)
            continue;
        if ((r->name && fnmatch(pat, r->name, 0) == 0) ||
            (r->id && fnmatch(pat, r->id, 0) == 0))
            return 1;
    }
    return 0;
}

/* ---- building one recommendation -------------------------------------- */

typedef struct {
    fc_recommendation rec;
    size_t order;       /* policy order, for duplicate resolution */
} draft;

typedef struct {
    draft *v;
    size_t n;
    size_t cap;
} draft_vec;

static int ev_add(fc_recommendation *r, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int ev_add(fc_recommendation *r, const char *key, const char *fmt, ...)
{
    fc_kv *p;
    va_list ap;
    char val[256];

    va_start(ap, fmt);
    vsnprintf(val, sizeof(val), fmt, ap);
    va_end(ap);
    p = realloc(r->evidence, (r->nevidence + 1) * sizeof(*p));
    if (!p)
        return fc_error_set(FC_ENOMEM, "out of memory");
    r->evidence = p;
    p[r->nevidence].key = fc_strdup(key);
    p[r->nevidence].value = fc_strdup(val);
    r->nevidence++;
    if (!p[r->nevidence - 1].key || !p[r->nevidence - 1].value)
        return fc_error_set(FC_ENOMEM, "out of memory");
    return FC_OK;
}

static int cmp_kv(const void *a, const void *b)
{
    return strcmp(((const fc_kv *)a)->key, ((const fc_kv *)b)->key);
}

/* Fills the fields every rule shares; the caller adds evidence/summary. */
static int rec_start(fc_recommendation *r, const char *rule,
                     const fc_resource *res, const policy_ref *pol,
                     const char *currency, const char *action, fc_risk risk,
                     double saving)
{
    memset(r, 0, sizeof(*r));
    r->resource_type = res->type;
    r->risk = risk;
    r->monthly_saving = round(saving * 100.0) / 100.0;
    r->id = fc_recommendation_id(rule, res->id);
    r->rule = fc_strdup(rule);
    r->account = fc_strdup(res->account ? res->account : "");
    r->region = fc_strdup(res->region ? res->region : "");
    r->resource = fc_strdup(res->id);
    r->currency = fc_strdup(currency ? currency : "USD");
    r->action = fc_strdup(action);
    if (pol->name)
        r->policy = fc_strdup(pol->name);
    if (!r->id || !r->rule || !r->account || !r->region || !r->resource ||
        !r->currency || !r->action || (pol->name && !r->policy))
        return fc_error_set(FC_ENOMEM, "out of memory");
    return FC_OK;
}

static int drafts_push(draft_vec *d, fc_recommendation *r, size_t order)
{
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 32;
        draft *p = realloc(d->v, cap * sizeof(*p));
        if (!p)
            return fc_error_set(FC_ENOMEM, "out of memory");
        d->v = p;
        d->cap = cap;
    }
    if (r->nevidence > 1) /* qsort(NULL, 0) is undefined */
        qsort(r->evidence, r->nevidence, sizeof(*r->evidence), cmp_kv);
    d->v[d->n].rec = *r;
    d->v[d->n].order = order;
    d->n++;
    memset(r, 0, sizeof(*r));
    return FC_OK;
}

/* "i-0abc (build-box)" or "i-0abc" for summaries. */
static void label(char *buf, size_t size, const fc_resource *r)
{
    if (r->name && *r->name && strcmp(r->name, r->id) != 0)
        snprintf(buf, size, "%s (%s)", r->id, r->name);
    else
        snprintf(buf, size, "%s", r->id);
}

static int is_prod(const fc_resource *r)
{
    static const char *const keys[] = {"env", "environment", "Environment"};
    size_t i;
    for (i = 0; i < FC_ARRAY_LEN(keys); i++) {
        const char *v = fc_resource_tag(r, keys[i]);
        if (v && (strcasecmp(v, "prod") == 0 || strcasecmp(v, "production") == 0))
            return 1;
    }
    return 0;
}

/* ---- rules ------------------------------------------------------------- */

typedef struct {
    const fc_inventory *inv;
    const fc_spec_set *specs;
    const fc_price_table *prices;
    const fc_metric_series **cpu;   /* CPUUtilization series by resource id */
    size_t ncpu;
} rule_ctx;

static int cmp_series_ptr(const void *a, const void *b)
{
    const fc_metric_series *x = *(const fc_metric_series *const *)a;
    const fc_metric_series *y = *(const fc_metric_series *const *)b;
    return strcmp(x->resource_id, y->resource_id);
}

static const fc_metric_series *cpu_series(const rule_ctx *c, const char *id)
{
    size_t lo = 0, hi = c->ncpu;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int d = strcmp(c->cpu[mid]->resource_id, id);
        if (!d)
            return c->cpu[mid];
        if (d < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static int rule_idle_ec2(const rule_ctx *c, const policy_ref *pol,
                         const fc_resource *res, draft_vec *out)
{
    const fc_policy_spec *p = pol->spec;
    unsigned days = p->ec2.idle_days ? p->ec2.idle_days : 7;
    double threshold = p->ec2.cpu_percent;
    int64_t end = c->inv->observed_at;
    int64_t start = end - (int64_t)days * 24 * FC_HOUR;
    const fc_metric_series *s;
    fc_recommendation r;
    double sum = 0, max = 0, avg, price = 0, saving = 0;
    size_t i, n = 0;
    int known, rc;
    char who[256], money[128];

    if (!res->state || strcmp(res->state, "running") != 0)
        return FC_OK;
    s = cpu_series(c, res->id);
    if (!s || s->step <= 0)
        return FC_OK;
    for (i = 0; i < s->n; i++) {
        int64_t t = s->start + (int64_t)i * s->step;
        double v = s->values[i];
        if (t < start || t >= end || isnan(v))
            continue;
        sum += v;
        if (n == 0 || v > max)
            max = v;
        n++;
    }
    /* A week with gaps is not a week of idleness. */
    if ((double)n < (double)days * 24.0 * MIN_COVERAGE)
        return FC_OK;
    avg = sum / (double)n;
    if (!(avg < threshold))
        return FC_OK;

    known = fc_prices_ec2_hourly(c->prices, res->region, res->size_class,
                                 &price) == FC_OK;
    if (known)
        saving = price * FC_HOURS_PER_MONTH;
    if ((rc = rec_start(&r, RULE_IDLE_EC2, res, pol, c->inv->currency, "stop",
                        is_prod(res) ? FC_RISK_MEDIUM : FC_RISK_LOW, saving)) ||
        (rc = ev_add(&r, "averageCpuPercent", "%.2f", avg)) ||
        (rc = ev_add(&r, "maxCpuPercent", "%.2f", max)) ||
        (rc = ev_add(&r, "lookbackDays", "%u", days)) ||
        (rc = ev_add(&r, "dataPoints", "%zu", n)) ||
        (rc = ev_add(&r, "thresholdPercent", "%g", threshold)) ||
        (rc = ev_add(&r, "instanceType", "%s",
                     res->size_class ? res->size_class : "unknown")) ||
        (rc = ev_add(&r, "priceKnown", "%s", known ? "true" : "false")) ||
        (known && (rc = ev_add(&r, "hourlyPrice", "%g", price))))
        goto fail;
    label(who, sizeof(who), res);
    if (known)
        snprintf(money, sizeof(money), "stop to save %.2f %s/month",
                 r.monthly_saving, r.currency);
    else
        snprintf(money, sizeof(money), "stop it (no price known for %s in %s)",
                 res->size_class ? res->size_class : "this type", res->region);
    if (!(r.summary = fc_asprintf("%s avg CPU %.2f%% over %u days (< %g%%): %s",
                                  who, avg, days, threshold, money))) {
        rc = fc_error_set(FC_ENOMEM, "out of memory");
        goto fail;
    }
    if ((rc = drafts_push(out, &r, pol->order)) != 0)
        goto fail;
    return FC_OK;
fail:
    rec_dispose(&r);
    return rc;
}

static int rule_unattached_ebs(const rule_ctx *c, const policy_ref *pol,
                               const fc_resource *res, draft_vec *out)
{
    unsigned limit = pol->spec->ebs.unattached_days;
    int64_t age;
    long long days;
    fc_recommendation r;
    double price = 0, saving = 0;
    int known, rc;
    char who[256], money[128];

    if (!res->state || strcmp(res->state, "available") != 0)
        return FC_OK;
    /* No detach time in the inventory: creation is the conservative proxy,
     * and an unknown creation time proves nothing. */
    if (res->created <= 0)
        return FC_OK;
    age = c->inv->observed_at - res->created;
    if (age <= (int64_t)limit * FC_DAY)
        return FC_OK;
    days = (long long)(age / FC_DAY);

    known = fc_prices_ebs_gb_month(c->prices, res->region, res->size_class,
                                   &price) == FC_OK;
    if (known)
        saving = res->size * price;
    if ((rc = rec_start(&r, RULE_UNATTACHED_EBS, res, pol, c->inv->currency,
                        "snapshot-and-delete", FC_RISK_MEDIUM, saving)) ||
        (rc = ev_add(&r, "sizeGiB", "%g", res->size)) ||
        (rc = ev_add(&r, "volumeType", "%s",
                     res->size_class ? res->size_class : "unknown")) ||
        (rc = ev_add(&r, "unattachedDays", "%lld", days)) ||
        (rc = ev_add(&r, "thresholdDays", "%u", limit)) ||
        (rc = ev_add(&r, "priceKnown", "%s", known ? "true" : "false")) ||
        (known && (rc = ev_add(&r, "pricePerGbMonth", "%g", price))))
        goto fail;
    label(who, sizeof(who), res);
    if (known)
        snprintf(money, sizeof(money),
                 "snapshot and delete to save %.2f %s/month", r.monthly_saving,
                 r.currency);
    else
        snprintf(money, sizeof(money),
                 "snapshot and delete it (no price known for %s in %s)",
                 res->size_class ? res->size_class : "this type", res->region);
    if (!(r.summary = fc_asprintf("%s %g GiB %s volume unattached, created %lld "
                                  "days ago (> %u): %s",
                                  who, res->size,
                                  res->size_class ? res->size_class : "",
                                  days, limit, money))) {
        rc = fc_error_set(FC_ENOMEM, "out of memory");
        goto fail;
    }
    if ((rc = drafts_push(out, &r, pol->order)) != 0)
        goto fail;
    return FC_OK;
fail:
    rec_dispose(&r);
    return rc;
}

static int rule_unassociated_eip(const rule_ctx *c, const policy_ref *pol,
                                 const fc_resource *res, draft_vec *out)
{
    fc_recommendation r;
    double price = 0, saving = 0;
    int known, rc;
    char who[256], money[128];

    if (res->attached_to && *res->attached_to)
        return FC_OK;
    known = fc_prices_other(c->prices, res->region, "eip-idle", &price) == FC_OK;
    if (known)
        saving = price * FC_HOURS_PER_MONTH;
    if ((rc = rec_start(&r, RULE_UNASSOCIATED_EIP, res, pol, c->inv->currency,
                        "release-address", FC_RISK_LOW, saving)) ||
        (rc = ev_add(&r, "associated", "false")) ||
        (rc = ev_add(&r, "priceKnown", "%s", known ? "true" : "false")) ||
        (known && (rc = ev_add(&r, "hourlyPrice", "%g", price))))
        goto fail;
    label(who, sizeof(who), res);
    if (known)
        snprintf(money, sizeof(money), "release it to save %.2f %s/month",
                 r.monthly_saving, r.currency);
    else
        snprintf(money, sizeof(money), "release it (no price known in %s)",
                 res->region);
    if (!(r.summary = fc_asprintf("%s is not associated with anything: %s", who,
                                  money))) {
        rc = fc_error_set(FC_ENOMEM, "out of memory");
        goto fail;
    }
    if ((rc = drafts_push(out, &r, pol->order)) != 0)
        goto fail;
    return FC_OK;
fail:
    rec_dispose(&r);
    return rc;
}

static int run_policy(const rule_ctx *c, const policy_ref *pol,
                      draft_vec *out)
{
    const fc_policy_spec *p = pol->spec;
    int ec2 = service_enabled(p, "ec2"), ebs = service_enabled(p, "ebs");
    int eip = service_enabled(p, "eip");
    size_t i;
    int rc = FC_OK;

    for (i = 0; i < c->inv->nresources && rc == FC_OK; i++) {
        const fc_resource *r = &c->inv->resources[i];
        if (!r->id)
            continue;
        if (!((r->type == FC_RES_EC2_INSTANCE && ec2) ||
              (r->type == FC_RES_EBS_VOLUME && ebs) ||
              (r->type == FC_RES_ELASTIC_IP && eip)))
            continue;
        if (!in_scope(c->specs, p, r) || excluded(p, r))
            continue;
        switch (r->type) {
        case FC_RES_EC2_INSTANCE:
            rc = rule_idle_ec2(c, pol, r, out);
            break;
        case FC_RES_EBS_VOLUME:
            rc = rule_unattached_ebs(c, pol, r, out);
            break;
        case FC_RES_ELASTIC_IP:
            rc = rule_unassociated_eip(c, pol, r, out);
            break;
        default:
            break;
        }
    }
    return rc;
}

static int cmp_draft(const void *a, const void *b)
{
    const draft *x = a, *y = b;
    int d = strcmp(x->rec.id, y->rec.id);
    if (d)
        return d;
    return x->order < y->order ? -1 : x->order > y->order;
}

static int cmp_rec(const void *a, const void *b)
{
    return strcmp(((const fc_recommendation *)a)->id,
                  ((const fc_recommendation *)b)->id);
}

int fc_engine_recommend(fc_recommendation_list *out, const fc_inventory *inv,
                        const fc_spec_set *specs,
                        const fc_price_table *prices)
{
    rule_ctx c;
    policy_ref *pols = NULL;
    size_t npols = 0, i, j, kept;
    draft_vec d = {NULL, 0, 0};
    fc_recommendation *items;
    int rc = FC_OK;

    assert(out && inv);
    memset(&c, 0, sizeof(c));
    c.inv = inv;
    c.specs = specs;
    c.prices = prices;

    if (specs)
        for (i = 0; i < specs->nobjects; i++)
            if (specs->objects[i].kind == FC_KIND_POLICY &&
                specs->objects[i].spec.policy)
                npols++;
    pols = calloc(npols ? npols : 1, sizeof(*pols));
    if (!pols)
        return fc_error_set(FC_ENOMEM, "out of memory");
    if (npols) {
        npols = 0;
        for (i = 0; i < specs->nobjects; i++) {
            const fc_object *o = &specs->objects[i];
            if (o->kind != FC_KIND_POLICY || !o->spec.policy)
                continue;
            pols[npols].name = o->metadata.name ? o->metadata.name : "";
            pols[npols].spec = o->spec.policy;
            npols++;
        }
        if (npols > 1) /* qsort(NULL, 0) is undefined */
            qsort(pols, npols, sizeof(*pols), cmp_policy);
    } else {
        pols[0].name = NULL;
        pols[0].spec = &default_policy;
        npols = 1;
    }
    for (i = 0; i < npols; i++)
        pols[i].order = i;

    if (inv->nmetrics) {
        c.cpu = malloc(inv->nmetrics * sizeof(*c.cpu));
        if (!c.cpu) {
            rc = fc_error_set(FC_ENOMEM, "out of memory");
            goto done;
        }
        for (i = 0; i < inv->nmetrics; i++)
            if (inv->metrics[i].resource_id && inv->metrics[i].metric &&
                strcmp(inv->metrics[i].metric, "CPUUtilization") == 0)
                c.cpu[c.ncpu++] = &inv->metrics[i];
        if (c.ncpu > 1) /* qsort(NULL, 0) is undefined */
            qsort(c.cpu, c.ncpu, sizeof(*c.cpu), cmp_series_ptr);
    }

    for (i = 0; i < npols && rc == FC_OK; i++)
        rc = run_policy(&c, &pols[i], &d);
    if (rc)
        goto done;

    /* Same id from several policies: keep the first policy by name. */
    if (d.n > 1) /* qsort(NULL, 0) is undefined */
        qsort(d.v, d.n, sizeof(*d.v), cmp_draft);
    for (i = 0, kept = 0; i < d.n; i++) {
        if (kept && strcmp(d.v[kept - 1].rec.id, d.v[i].rec.id) == 0) {
            rec_dispose(&d.v[i].rec);
            continue;
        }
        d.v[kept++] = d.v[i];
    }
    d.n = kept;

    items = realloc(out->items, (out->n + d.n + 1) * sizeof(*items));
    if (!items) {
        rc = fc_error_set(FC_ENOMEM, "out of memory");
        goto done;
    }
    out->items = items;
    for (j = 0; j < d.n; j++)
        out->items[out->n++] = d.v[j].rec;
    d.n = 0;
    if (out->n > 1) /* qsort(NULL, 0) is undefined */
        qsort(out->items, out->n, sizeof(*out->items), cmp_rec);
done:
    for (i = 0; i < d.n; i++)
        rec_dispose(&d.v[i].rec);
    free(d.v);
    free(c.cpu);
    free(pols);
    return rc;
}
