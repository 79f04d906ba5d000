/*
 * rules.c - the waste rules and EC2 rightsizing, turned into
 * recommendations with a monthly saving:
 *
 *   idle-ec2-instance          daily (Trusted Advisor) or average CPU mode
 *   rightsize-ec2-instance     cheapest compatible type by p95/max CPU
 *   unattached-ebs-volume      available for more than ebs.unattachedDays
 *   gp2-to-gp3-volume          same size, gp3 is cheaper per GB-month
 *   orphaned-ebs-snapshot      old, source volume gone, no AMI uses it
 *   unassociated-elastic-ip    not attached to anything
 *   idle-load-balancer         few requests or no healthy targets
 *   idle-rds-instance          no connections, or low CPU and connections
 *   overprovisioned-lambda-memory  max memory used well below configured
 *   s3-bucket-without-lifecycle    Standard storage and no lifecycle rule
 *
 * Stage: engines (pure).  Inputs are the observed inventory (its
 * observed_at is the clock), the Policy objects of the spec set (a built-in
 * default policy when there are none) and the price catalogue.  Output is
 * an fc_recommendation_list the caller owns, sorted by id; each policy's
 * filters and exclusions decide which resources it looks at, and the first
 * policy by name wins when two produce the same recommendation.  Every
 * threshold comes from the policy; every saving is monthly (730 hours) in
 * the catalogue's currency.
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
#define RULE_RIGHTSIZE_EC2 "rightsize-ec2-instance"
#define RULE_UNATTACHED_EBS "unattached-ebs-volume"
#define RULE_GP2_GP3 "gp2-to-gp3-volume"
#define RULE_OLD_SNAPSHOT "orphaned-ebs-snapshot"
#define RULE_UNASSOCIATED_EIP "unassociated-elastic-ip"
#define RULE_IDLE_ELB "idle-load-balancer"
#define RULE_IDLE_RDS "idle-rds-instance"
#define RULE_LAMBDA_MEMORY "overprovisioned-lambda-memory"
#define RULE_S3_LIFECYCLE "s3-bucket-without-lifecycle"

#define ID_MAX 63          /* DNS-1123 label */
#define ID_KEEP 54         /* prefix kept when hashing: 54 + "-" + 8 hex */
#define MIN_COVERAGE 0.9   /* share of hourly points an idle verdict needs */
#define BYTES_PER_MB 1e6   /* Trusted Advisor's "5 MB" is decimal */
#define S3_IA_SHARE 0.4    /* share of Standard bytes cold after 30 days */

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
    if (r->slab) {
        free(r->slab);
        memset(r, 0, sizeof(*r));
        return;
    }
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

/* A draft (rec_start() to rec_pack()) borrows its names from the
 * resource, the Policy and literals, and its evidence and parameter keys
 * from literals: only the id, the summary and the values it formatted are
 * its own.  A 100k-resource pass builds tens of thousands of them. */
static char *borrow(const char *s)
{
    return (char *)(uintptr_t)s; /* read-only until rec_pack() copies it */
}

static void draft_values_free(fc_kv *kv, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        free(kv[i].value);
    free(kv);
}

static void draft_dispose(fc_recommendation *r)
{
    if (r->slab) { /* packed: an ordinary recommendation */
        rec_dispose(r);
        return;
    }
    free(r->id);
    free(r->summary);
    draft_values_free(r->evidence, r->nevidence);
    draft_values_free(r->parameters, r->nparameters);
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
    size_t i, n, nr = strlen(rule), ni = strlen(resource_id);
    char *raw = malloc(nr + 1 + ni + 1); /* "rule-id", once per finding */

    if (!raw)
        return NULL;
    memcpy(raw, rule, nr);
    raw[nr] = '-';
    memcpy(raw + nr + 1, resource_id, ni + 1);
    n = nr + 1 + ni;
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
    const fc_policy_spec *spec; /* effective: defaults filled in */
    size_t order;               /* position by name: duplicates keep lowest */
} policy_ref;

/* The loader's defaults (specs/validate.c), for a spec set without any
 * Policy. */
static const fc_policy_spec default_policy = {
    .ec2 = {.mode = "daily",
            .cpu_percent = 5.0,
            .idle_days = 7,
            .daily_cpu_percent = 10.0,
            .daily_network_mb = 5.0,
            .min_idle_days = 4,
            .lookback_days = 14},
    .rds = {.cpu_percent = 10.0, .connections_percent = 20.0, .idle_days = 7},
    .ebs = {.unattached_days = 7, .gp3 = 1},
    .snapshots = {.max_age_days = 90},
    .elb = {.min_requests = 100, .idle_days = 7},
    .lambda = {.memory_used_percent = 50, .lookback_days = 14},
    .s3 = {.lifecycle = 1},
    .rightsizing = {.target_p95_percent = 60,
                    .max_percent = 90,
                    .lookback_days = 14,
                    .min_coverage_percent = 25},
    .approvals = {.low = 1, .medium = 1, .high = 2},
};

/*
 * A policy with the zeros of a hand-built struct replaced by defaults where
 * zero means nothing (days, targets).  Switches (ebs.gp3, s3.lifecycle)
 * stay as given: zero is "off".  A NULL ec2.mode is "average", the meaning
 * policies had before modes existed.
 */
static void effective(fc_policy_spec *e, const fc_policy_spec *p)
{
    *e = *p;
#define DEF(field, value)                                                      \
    do {                                                                       \
        if (!(e->field > 0))                                                   \
            e->field = (value);                                                \
    } while (0)
    DEF(ec2.idle_days, 7);
    DEF(ec2.min_idle_days, 4);
    DEF(ec2.lookback_days, 14);
    DEF(rds.idle_days, 7);
    DEF(snapshots.max_age_days, 90);
    DEF(elb.idle_days, 7);
    DEF(lambda.lookback_days, 14);
    DEF(rightsizing.target_p95_percent, 60);
    DEF(rightsizing.max_percent, 90);
    DEF(rightsizing.lookback_days, 14);
#undef DEF
    if (!e->ec2.mode)
        e->ec2.mode = "average";
}

unsigned fc_policy_lookback_days(const fc_policy_spec *p)
{
    fc_policy_spec e;
    unsigned d;
    effective(&e, p ? p : &default_policy);
    d = e.ec2.idle_days;
    if (e.ec2.lookback_days > d)
        d = e.ec2.lookback_days;
    if (e.rds.idle_days > d)
        d = e.rds.idle_days;
    if (e.elb.idle_days > d)
        d = e.elb.idle_days;
    if (e.lambda.lookback_days > d)
        d = e.lambda.lookback_days;
    if (e.rightsizing.lookback_days > d)
        d = e.rightsizing.lookback_days;
    return d;
}

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
    /* Most figures are one string or one fixed-point number: 270,000 of
     * them at 100k resources, cheaper without vsnprintf. */
    if (fmt[0] == '%' && fmt[1] == 's' && !fmt[2]) {
        const char *v = va_arg(ap, const char *);
        fc_str_copy(val, sizeof(val), v ? v : "(null)"); /* NULL as glibc's printf */
    } else if (fmt[0] == '%' && fmt[1] == '.' && fmt[2] >= '0' && fmt[2] <= '6' &&
               fmt[3] == 'f' && !fmt[4]) {
        fc_fixed_text(val, sizeof(val), va_arg(ap, double), fmt[2] - '0');
    } else if (fmt[0] == '%' && fmt[1] == 'u' && !fmt[2]) {
        fc_u64_text(val, va_arg(ap, unsigned));
    } else if (fmt[0] == '%' && fmt[1] == 'z' && fmt[2] == 'u' && !fmt[3]) {
        fc_u64_text(val, va_arg(ap, size_t));
    } else {
        vsnprintf(val, sizeof(val), fmt, ap);
    }
    va_end(ap);
    /* Room by doubling from 8: a finding has a handful of figures. */
    if (r->nevidence == 0 || (r->nevidence >= 8 && !(r->nevidence & (r->nevidence - 1)))) {
        p = realloc(r->evidence, (r->nevidence ? 2 * r->nevidence : 8) * sizeof(*p));
        if (!p)
            return fc_error_set(FC_ENOMEM, "out of memory");
        r->evidence = p;
    }
    p = r->evidence;
    p[r->nevidence].key = borrow(key);
    p[r->nevidence].value = fc_strdup(val);
    r->nevidence++;
    if (!p[r->nevidence - 1].value)
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
    r->rule = borrow(rule);
    r->account = borrow(res->account ? res->account : "");
    r->region = borrow(res->region ? res->region : "");
    r->resource = borrow(res->id);
    r->currency = borrow(currency ? currency : "USD");
    r->action = borrow(action);
    r->policy = borrow(pol->name);
    if (!r->id)
        return fc_error_set(FC_ENOMEM, "out of memory");
    return FC_OK;
}

static size_t kvs_size(const fc_kv *kv, size_t n)
{
    size_t i, bytes = n * sizeof(*kv);
    for (i = 0; i < n; i++)
        bytes += fc_str_size(kv[i].key) + fc_str_size(kv[i].value);
    return bytes;
}

static void put_kvs(char **at, fc_kv *dst, const fc_kv *src, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        dst[i].key = fc_str_pack(at, src[i].key);
        dst[i].value = fc_str_pack(at, src[i].value);
    }
}

/* Copies draft r's strings and arrays into one block, the recommendation
 * it becomes, and frees what the draft owned.  r is unchanged when memory
 * is short. */
static int rec_pack(fc_recommendation *r)
{
    fc_recommendation p = *r;
    size_t bytes = (r->nevidence + r->nparameters) * sizeof(fc_kv);
    char *block, *at;

    if (r->slab)
        return FC_OK;
    bytes += fc_str_size(r->id) + fc_str_size(r->rule) + fc_str_size(r->account) +
             fc_str_size(r->region) + fc_str_size(r->resource) + fc_str_size(r->summary) +
             fc_str_size(r->currency) + fc_str_size(r->action) + fc_str_size(r->policy);
    bytes += kvs_size(r->evidence, r->nevidence) - r->nevidence * sizeof(fc_kv);
    bytes += kvs_size(r->parameters, r->nparameters) - r->nparameters * sizeof(fc_kv);
    if (!(block = malloc(bytes ? bytes : 1)))
        return fc_error_set(FC_ENOMEM, "out of memory");
    p.slab = block;
    p.evidence = r->nevidence ? (fc_kv *)(void *)block : NULL;
    p.parameters = r->nparameters ? (fc_kv *)(void *)block + r->nevidence : NULL;
    at = block + (r->nevidence + r->nparameters) * sizeof(fc_kv);
    put_kvs(&at, p.evidence, r->evidence, r->nevidence);
    put_kvs(&at, p.parameters, r->parameters, r->nparameters);
    p.id = fc_str_pack(&at, r->id);
    p.rule = fc_str_pack(&at, r->rule);
    p.account = fc_str_pack(&at, r->account);
    p.region = fc_str_pack(&at, r->region);
    p.resource = fc_str_pack(&at, r->resource);
    p.summary = fc_str_pack(&at, r->summary);
    p.currency = fc_str_pack(&at, r->currency);
    p.action = fc_str_pack(&at, r->action);
    p.policy = fc_str_pack(&at, r->policy);
    draft_dispose(r);
    *r = p;
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
    if (rec_pack(r) != FC_OK)
        return FC_ENOMEM;
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
    const fc_metric_series **series; /* by (resource id, metric) */
    size_t nseries;
    const char **volumes;            /* EBS volume ids, sorted */
    size_t nvolumes;
    int indexed;                     /* inv's own (id, metric) index is current */
    struct points_cache *cache;      /* NULL: read every time */
} rule_ctx;

/* Several rules read the same generated series (the idle rule day by day,
 * then rightsizing over the whole window): the points computed for a series
 * are kept, and a read computes only what the kept range lacks.  Keyed by
 * series address, valid for one engine call (the inventory is not modified
 * during it). */
#define POINTS_SLOTS 4
struct points_cache {
    struct {
        const fc_metric_series *s;
        double *v;              /* indexed like the series */
        size_t cap, lo, hi;     /* points [lo, hi) are in v */
    } slot[POINTS_SLOTS];
    unsigned next;
};

static void points_cache_free(struct points_cache *pc)
{
    unsigned i;
    if (!pc)
        return;
    for (i = 0; i < POINTS_SLOTS; i++)
        free(pc->slot[i].v);
    free(pc);
}

/* Points [from, from + n) of s: through the cache for generated series,
 * else (or when the cache cannot grow) copied into scratch. */
static const double *points(const rule_ctx *c, const fc_metric_series *s, size_t from,
                            size_t n, double *scratch)
{
    struct points_cache *pc = c->cache;
    unsigned i;
    if (!pc || !s->fill || n == 0) {
        fc_metric_series_read(s, from, n, scratch);
        return scratch;
    }
    for (i = 0; i < POINTS_SLOTS && pc->slot[i].s != s; i++)
        ;
    if (i == POINTS_SLOTS) {
        i = pc->next++ % POINTS_SLOTS;
        if (pc->slot[i].cap < s->n) {
            double *v = realloc(pc->slot[i].v, s->n * sizeof(*v));
            if (!v) {
                pc->slot[i].s = NULL;
                fc_metric_series_read(s, from, n, scratch);
                return scratch;
            }
            pc->slot[i].v = v;
            pc->slot[i].cap = s->n;
        }
        pc->slot[i].s = s;
        pc->slot[i].lo = pc->slot[i].hi = from;
    }
    if (from < pc->slot[i].lo) {
        fc_metric_series_read(s, from, pc->slot[i].lo - from, pc->slot[i].v + from);
        pc->slot[i].lo = from;
    }
    if (from + n > pc->slot[i].hi) {
        fc_metric_series_read(s, pc->slot[i].hi, from + n - pc->slot[i].hi,
                              pc->slot[i].v + pc->slot[i].hi);
        pc->slot[i].hi = from + n;
    }
    return pc->slot[i].v + from;
}

static int cmp_series_ptr(const void *a, const void *b)
{
    const fc_metric_series *x = *(const fc_metric_series *const *)a;
    const fc_metric_series *y = *(const fc_metric_series *const *)b;
    int d = strcmp(x->resource_id, y->resource_id);
    return d ? d : strcmp(x->metric, y->metric);
}

static const fc_metric_series *series(const rule_ctx *c, const char *id,
                                      const char *metric)
{
    size_t lo = 0, hi = c->nseries;
    if (c->indexed) {
        const fc_metric_series *s = fc_inventory_metric(c->inv, id, metric);
        return s && s->step > 0 ? s : NULL;
    }
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int d = strcmp(c->series[mid]->resource_id, id);
        if (!d)
            d = strcmp(c->series[mid]->metric, metric);
        if (!d)
            return c->series[mid]->step > 0 ? c->series[mid] : NULL;
        if (d < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static int cmp_str_ptr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int volume_exists(const rule_ctx *c, const char *id)
{
    return id && c->nvolumes &&
           bsearch(&id, c->volumes, c->nvolumes, sizeof(*c->volumes),
                   cmp_str_ptr) != NULL;
}

/* Points of s in [start, end), NaN = missing. */
typedef struct {
    size_t n;
    double sum, max;
} wstats;

/* Index range [*first, *last) of the points of s in [start, end). */
static void window_range(const fc_metric_series *s, int64_t start, int64_t end,
                         size_t *first, size_t *last)
{
    size_t i;
    *first = *last = 0;
    if (!s || s->step <= 0)
        return;
    if (start > s->start)
        *first = (size_t)((start - s->start) / s->step);
    for (i = *first; i < s->n && s->start + (int64_t)i * s->step < start; i++)
        ;
    *first = i < s->n ? i : s->n;
    if (end <= s->start)
        *last = *first;
    else {
        int64_t k = (end - s->start + s->step - 1) / s->step; /* first t >= end */
        *last = k < (int64_t)s->n ? (size_t)k : s->n;
        if (*last < *first)
            *last = *first;
    }
}

/* Points are read in chunks: generated series (the sim) compute them on
 * demand and nothing is allocated. */
#define WINDOW_CHUNK 256

static void window(const rule_ctx *c, const fc_metric_series *s, int64_t start,
                   int64_t end, wstats *w)
{
    double buf[WINDOW_CHUNK], sum = 0, max = -INFINITY;
    size_t i, first, last, count = 0;
    memset(w, 0, sizeof(*w));
    window_range(s, start, end, &first, &last);
    /* Locals, not w's fields: the points may alias w for all the compiler
     * knows, which put a store and a load in every addition.  The sum is
     * taken in the same order. */
    for (i = first; i < last; i += WINDOW_CHUNK) {
        size_t k, n = last - i < WINDOW_CHUNK ? last - i : WINDOW_CHUNK;
        const double *p = points(c, s, i, n, buf);
        for (k = 0; k < n; k++) {
            double v = p[k];
            if (isnan(v))
                continue;
            sum += v;
            max = v > max ? v : max;
            count++;
        }
    }
    w->sum = sum;
    w->n = count;
    w->max = count ? max : 0;
}

/* The k-th smallest of v[0..n) (no NaN), reordering v: the value a sort
 * would put at v[k], in linear expected time (quickselect, Hoare
 * partition, middle pivot).  Equal values are interchangeable, so the
 * result is the sort's exactly. */
static double select_kth(double *v, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        double pivot = v[lo + (hi - lo) / 2], t;
        size_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i <= j) {
                t = v[i];
                v[i] = v[j];
                v[j] = t;
                i++;
                if (j == 0)
                    break;
                j--;
            }
        }
        /* v[lo..j] <= pivot <= v[i..hi], and j < i */
        if (k <= j && j != (size_t)-1)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return v[k];
    }
    return v[k];
}

/* Nearest-rank percentile of the points of s in [start, end). */
static int percentile(const rule_ctx *c, const fc_metric_series *s, int64_t start,
                      int64_t end, double pct, double *out, size_t *n)
{
    double *v;
    size_t i, k = 0, rank, first, last;

    *n = 0;
    *out = 0;
    window_range(s, start, end, &first, &last);
    if (first == last)
        return FC_OK;
    if (!(v = malloc((last - first) * sizeof(*v))))
        return fc_error_set(FC_ENOMEM, "out of memory");
    {
        const double *p = points(c, s, first, last - first, v);
        for (i = 0; i < last - first; i++)
            if (!isnan(p[i]))
                v[k++] = p[i];
    }
    *n = k;
    if (k == 0) {
        free(v);
        return FC_OK;
    }
    rank = (size_t)ceil(pct / 100.0 * (double)k);
    *out = select_kth(v, k, rank ? rank - 1 : 0);
    free(v);
    return FC_OK;
}

/* Builds the summary and moves r into the drafts (disposed on failure). */
static int finish(draft_vec *out, fc_recommendation *r, const policy_ref *pol,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int finish(draft_vec *out, fc_recommendation *r, const policy_ref *pol,
                  const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    int rc;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (!(r->summary = fc_strdup(buf)))
        rc = fc_error_set(FC_ENOMEM, "out of memory");
    else
        rc = drafts_push(out, r, pol->order);
    if (rc)
        draft_dispose(r);
    return rc;
}

static int param_add(fc_recommendation *r, const char *key, const char *value)
{
    fc_kv *p = realloc(r->parameters, (r->nparameters + 1) * sizeof(*p));
    if (!p)
        return fc_error_set(FC_ENOMEM, "out of memory");
    r->parameters = p;
    p[r->nparameters].key = borrow(key);
    p[r->nparameters].value = fc_strdup(value);
    r->nparameters++;
    if (!p[r->nparameters - 1].value)
        return fc_error_set(FC_ENOMEM, "out of memory");
    return FC_OK;
}

/* " to save 12.34 USD/month" or " (no price known for X in R)". */
static void money(char *buf, size_t size, const fc_recommendation *r, int known,
                  const char *what, const char *region)
{
    if (known)
        snprintf(buf, size, "save %.2f %s/month", r->monthly_saving,
                 r->currency);
    else
        snprintf(buf, size, "no price known for %s in %s", what,
                 region ? region : "?");
}

/* ---- EC2: idle --------------------------------------------------------- */

/* Average mode: mean CPU below the threshold over idleDays. */
static int idle_ec2_average(const rule_ctx *c, const policy_ref *pol,
                            const fc_resource *res, draft_vec *out, int *idle)
{
    const fc_policy_spec *p = pol->spec;
    unsigned days = p->ec2.idle_days;
    double threshold = p->ec2.cpu_percent;
    int64_t end = c->inv->observed_at;
    fc_recommendation r;
    double avg, price = 0, saving = 0;
    wstats w;
    int known, rc;
    char who[256], m[160];

    window(c, series(c, res->id, "CPUUtilization"),
           end - (int64_t)days * 24 * FC_HOUR, end, &w);
    /* A week with gaps is not a week of idleness. */
    if ((double)w.n < (double)days * 24.0 * MIN_COVERAGE)
        return FC_OK;
    avg = w.sum / (double)w.n;
    if (!(avg < threshold))
        return FC_OK;
    *idle = 1;
    known = fc_prices_ec2_hourly(c->prices, res->region, res->size_class,
                                 &price) == FC_OK;
    if (known)
        saving = price * FC_HOURS_PER_MONTH;
    if ((rc = rec_start(&r, RULE_IDLE_EC2, res, pol, c->inv->currency, "stop",
                        is_prod(res) ? FC_RISK_MEDIUM : FC_RISK_LOW, saving)) ||
        (rc = ev_add(&r, "mode", "average")) ||
        (rc = ev_add(&r, "averageCpuPercent", "%.2f", avg)) ||
        (rc = ev_add(&r, "maxCpuPercent", "%.2f", w.max)) ||
        (rc = ev_add(&r, "lookbackDays", "%u", days)) ||
        (rc = ev_add(&r, "dataPoints", "%zu", w.n)) ||
        (rc = ev_add(&r, "thresholdPercent", "%g", threshold)) ||
        (rc = ev_add(&r, "instanceType", "%s",
                     res->size_class ? res->size_class : "unknown")) ||
        (rc = ev_add(&r, "priceKnown", "%s", known ? "true" : "false")) ||
        (known && (rc = ev_add(&r, "hourlyPrice", "%g", price)))) {
        draft_dispose(&r);
        return rc;
    }
    label(who, sizeof(who), res);
    money(m, sizeof(m), &r, known, res->size_class ? res->size_class : "this type",
          res->region);
    return finish(out, &r, pol, "%s avg CPU %.2f%% over %u days (< %g%%): stop "
                  "it to %s",
                  who, avg, days, threshold, m);
}

/*
 * Daily mode, AWS Trusted Advisor's rule: a day is idle when its average
 * CPU is at most dailyCpuPercent and NetworkIn + NetworkOut is at most
 * dailyNetworkMB; the instance is idle with at least minIdleDays such days
 * in the last lookbackDays.  Days with less than 90 % of their hours in
 * either series are not judged.
 */
static int idle_ec2_daily(const rule_ctx *c, const policy_ref *pol,
                          const fc_resource *res, draft_vec *out, int *idle)
{
    const fc_policy_ec2 *p = &pol->spec->ec2;
    const fc_metric_series *cpu = series(c, res->id, "CPUUtilization");
    const fc_metric_series *nin = series(c, res->id, "NetworkIn");
    const fc_metric_series *nout = series(c, res->id, "NetworkOut");
    int64_t end = c->inv->observed_at;
    int64_t start = end - (int64_t)p->lookback_days * FC_DAY;
    unsigned d, idle_days = 0, judged = 0;
    double cpu_sum = 0, net_sum = 0, price = 0, saving = 0;
    size_t cpu_n = 0;
    fc_recommendation r;
    int known, rc;
    char who[256], m[160];

    if (!cpu || !nin || !nout)
        return FC_OK;
    for (d = 0; d < p->lookback_days; d++) {
        int64_t ds = start + (int64_t)d * FC_DAY, de = ds + FC_DAY;
        wstats wc, wi, wo;
        double avg, mb;
        window(c, cpu, ds, de, &wc);
        window(c, nin, ds, de, &wi);
        window(c, nout, ds, de, &wo);
        if (wc.n < 22 || wi.n < 22 || wo.n < 22) /* 90 % of 24 hours */
            continue;
        judged++;
        avg = wc.sum / (double)wc.n;
        /* Scale a day with a missing hour or two to 24 hours. */
        mb = (wi.sum / (double)wi.n + wo.sum / (double)wo.n) * 24.0 /
             BYTES_PER_MB;
        cpu_sum += wc.sum;
        cpu_n += wc.n;
        net_sum += mb;
        if (avg <= p->daily_cpu_percent && mb <= p->daily_network_mb)
            idle_days++;
    }
    if (idle_days < p->min_idle_days)
        return FC_OK;
    *idle = 1;
    known = fc_prices_ec2_hourly(c->prices, res->region, res->size_class,
                                 &price) == FC_OK;
    if (known)
        saving = price * FC_HOURS_PER_MONTH;
    if ((rc = rec_start(&r, RULE_IDLE_EC2, res, pol, c->inv->currency, "stop",
                        is_prod(res) ? FC_RISK_MEDIUM : FC_RISK_LOW, saving)) ||
        (rc = ev_add(&r, "mode", "daily")) ||
        (rc = ev_add(&r, "idleDays", "%u", idle_days)) ||
        (rc = ev_add(&r, "daysObserved", "%u", judged)) ||
        (rc = ev_add(&r, "lookbackDays", "%u", p->lookback_days)) ||
        (rc = ev_add(&r, "minIdleDays", "%u", p->min_idle_days)) ||
        (rc = ev_add(&r, "dailyCpuThresholdPercent", "%g",
                     p->daily_cpu_percent)) ||
        (rc = ev_add(&r, "dailyNetworkThresholdMB", "%g",
                     p->daily_network_mb)) ||
        (rc = ev_add(&r, "averageCpuPercent", "%.2f",
                     cpu_sum / (double)cpu_n)) ||
        (rc = ev_add(&r, "averageNetworkMBPerDay", "%.2f",
                     net_sum / (double)judged)) ||
        (rc = ev_add(&r, "instanceType", "%s",
                     res->size_class ? res->size_class : "unknown")) ||
        (rc = ev_add(&r, "priceKnown", "%s", known ? "true" : "false")) ||
        (known && (rc = ev_add(&r, "hourlyPrice", "%g", price)))) {
        draft_dispose(&r);
        return rc;
    }
    label(who, sizeof(who), res);
    money(m, sizeof(m), &r, known, res->size_class ? res->size_class : "this type",
          res->region);
    return finish(out, &r, pol,
                  "%s idle on %u of the last %u days (CPU <= %g%% and network "
                  "<= %g MB a day; %u needed): stop it to %s",
                  who, idle_days, p->lookback_days, p->daily_cpu_percent,
                  p->daily_network_mb, p->min_idle_days, m);
}

/* ---- EC2: rightsizing -------------------------------------------------- */

/* "m5" of "m5.large"; the whole type when there is no dot. */
static size_t family_len(const char *type)
{
    const char *dot = strchr(type, '.');
    return dot ? (size_t)(dot - type) : strlen(type);
}

/* Burstable (t*) and accelerated families only move within themselves. */
static int special_family(const char *type)
{
    static const char *const pre[] = {"t", "g", "p", "inf", "trn", "dl", "f",
                                      "vt", "mac"};
    size_t i, n = family_len(type);
    for (i = 0; i < FC_ARRAY_LEN(pre); i++) {
        size_t m = strlen(pre[i]);
        if (n > m && strncmp(type, pre[i], m) == 0 &&
            isdigit((unsigned char)type[m]))
            return 1;
    }
    return 0;
}

typedef struct {
    const fc_price *type;
    double p95, max, mem_p95, mem_max;
    int tier;          /* 1 same family, 2 same processor kind */
} pick;

static int rightsize_ec2(const rule_ctx *c, const policy_ref *pol,
                         const fc_resource *res, draft_vec *out)
{
    const fc_policy_rightsizing *p = &pol->spec->rightsizing;
    const fc_metric_series *cpu = series(c, res->id, "CPUUtilization");
    const fc_metric_series *mem = series(c, res->id, "MemoryUtilization");
    int64_t end = c->inv->observed_at;
    int64_t start = end - (int64_t)p->lookback_days * FC_DAY;
    const fc_price *cur, *all;
    size_t n, nall, i, mem_n = 0, flen;
    double p95, mem_p95 = 0, coverage, hours = p->lookback_days * 24.0;
    wstats w, wm;
    pick best;
    int tier, rc, cur_special;
    fc_recommendation r;
    const char *confidence;
    char who[256];

    if (!cpu || !res->size_class ||
        fc_prices_ec2_type(c->prices, res->region, res->size_class, &cur) ||
        !(cur->vcpu > 0))
        return FC_OK;
    window(c, cpu, start, end, &w);
    coverage = (double)w.n / hours;
    if (w.n == 0 || coverage * 100.0 < p->min_coverage_percent)
        return FC_OK;
    if ((rc = percentile(c, cpu, start, end, 95, &p95, &n)) != 0)
        return rc;
    window(c, mem, start, end, &wm);
    if (mem && wm.n && (rc = percentile(c, mem, start, end, 95, &mem_p95, &mem_n)))
        return rc;

    memset(&best, 0, sizeof(best));
    fc_prices_ec2_region(c->prices, res->region, &all, &nall);
    flen = family_len(res->size_class);
    cur_special = special_family(res->size_class);
    /* Same family and generation first; only when none fits, any family
     * with the same processor kind (never x86 <-> Graviton unless the
     * policy allows it). */
    for (tier = 1; tier <= 2 && !best.type; tier++) {
        for (i = 0; i < nall; i++) {
            const fc_price *t = &all[i];
            double ratio, pp95, pmax, mp95 = 0, mmax = 0;
            int same;
            /* Rightsizing shrinks: fewer vCPUs, and cheaper. */
            if (t == cur || !(t->vcpu > 0) || !(t->vcpu < cur->vcpu) ||
                !(t->price < cur->price))
                continue;
            /* Every test is a filter: the figures first, the names (string
             * work on each of a region's hundreds of types) after. */
            ratio = cur->vcpu / t->vcpu;
            pp95 = p95 * ratio;
            pmax = w.max * ratio;
            if (pp95 > p->target_p95_percent || pmax > p->max_percent)
                continue;
            same = family_len(t->key) == flen &&
                   strncmp(t->key, res->size_class, flen) == 0;
            if (tier == 1 && !same)
                continue;
            if (tier == 2 && (same || cur_special || special_family(t->key)))
                continue;
            if (!p->allow_arch_change &&
                (!t->processor || !cur->processor ||
                 strcmp(t->processor, cur->processor) != 0))
                continue;
            if (mem_n && cur->memory_gib > 0 && t->memory_gib > 0) {
                double mr = cur->memory_gib / t->memory_gib;
                mp95 = mem_p95 * mr;
                mmax = wm.max * mr;
                if (mp95 > p->target_p95_percent || mmax > p->max_percent)
                    continue;
            } else if (!(t->memory_gib > 0 && cur->memory_gib > 0) ||
                       t->memory_gib / t->vcpu < cur->memory_gib / cur->vcpu) {
                /* No memory data: keep at least the GiB per vCPU. */
                continue;
            }
            if (!best.type || t->price < best.type->price ||
                (t->price == best.type->price &&
                 strcmp(t->key, best.type->key) < 0)) {
                best.type = t;
                best.p95 = pp95;
                best.max = pmax;
                best.mem_p95 = mp95;
                best.mem_max = mmax;
                best.tier = tier;
            }
        }
    }
    if (!best.type)
        return FC_OK;
    confidence = coverage >= 0.9 ? "high" : coverage >= 0.5 ? "medium" : "low";
    if ((rc = rec_start(&r, RULE_RIGHTSIZE_EC2, res, pol, c->inv->currency,
                        "rightsize", FC_RISK_MEDIUM,
                        (cur->price - best.type->price) * FC_HOURS_PER_MONTH)) ||
        (rc = param_add(&r, "instanceType", best.type->key)) ||
        (rc = ev_add(&r, "currentType", "%s", res->size_class)) ||
        (rc = ev_add(&r, "currentVcpu", "%g", cur->vcpu)) ||
        (rc = ev_add(&r, "p95CpuPercent", "%.2f", p95)) ||
        (rc = ev_add(&r, "maxCpuPercent", "%.2f", w.max)) ||
        (rc = ev_add(&r, "proposedType", "%s", best.type->key)) ||
        (rc = ev_add(&r, "proposedVcpu", "%g", best.type->vcpu)) ||
        (rc = ev_add(&r, "projectedP95CpuPercent", "%.2f", best.p95)) ||
        (rc = ev_add(&r, "projectedMaxCpuPercent", "%.2f", best.max)) ||
        (rc = ev_add(&r, "targetP95Percent", "%g", p->target_p95_percent)) ||
        (rc = ev_add(&r, "maxPercent", "%g", p->max_percent)) ||
        (rc = ev_add(&r, "hourlyPriceBefore", "%g", cur->price)) ||
        (rc = ev_add(&r, "hourlyPriceAfter", "%g", best.type->price)) ||
        (rc = ev_add(&r, "confidence", "%s", confidence)) ||
        (rc = ev_add(&r, "dataPoints", "%zu", w.n)) ||
        (rc = ev_add(&r, "coveragePercent", "%.1f", coverage * 100.0)) ||
        (rc = ev_add(&r, "lookbackDays", "%u", p->lookback_days)) ||
        (rc = ev_add(&r, "candidates", "%s",
                     best.tier == 1 ? "same family" : "same processor kind")) ||
        (rc = ev_add(&r, "memoryData", "%s",
                     mem_n ? "MemoryUtilization"
                           : "none: GiB per vCPU kept")) ||
        (mem_n && (rc = ev_add(&r, "p95MemoryPercent", "%.2f", mem_p95))) ||
        (mem_n && (rc = ev_add(&r, "projectedP95MemoryPercent", "%.2f",
                               best.mem_p95)))) {
        draft_dispose(&r);
        return rc;
    }
    label(who, sizeof(who), res);
    return finish(out, &r, pol,
                  "%s p95 CPU %.2f%% (max %.2f%%) on %g vCPU: %s -> %s (%g "
                  "vCPU, projected p95 %.2f%% <= %g%%) to save %.2f %s/month, "
                  "confidence %s",
                  who, p95, w.max, cur->vcpu, res->size_class, best.type->key,
                  best.type->vcpu, best.p95, p->target_p95_percent,
                  r.monthly_saving, r.currency, confidence);
}

/* ---- EBS --------------------------------------------------------------- */

static int rule_unattached_ebs(const rule_ctx *c, const policy_ref *pol,
                               const fc_resource *res, draft_vec *out)
{
    unsigned limit = pol->spec->ebs.unattached_days;
    int64_t age;
    long long days;
    fc_recommendation r;
    double price = 0, saving = 0;
    int known, rc;
    char who[256], m[160];

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
        (known && (rc = ev_add(&r, "pricePerGbMonth", "%g", price)))) {
        draft_dispose(&r);
        return rc;
    }
    label(who, sizeof(who), res);
    money(m, sizeof(m), &r, known, res->size_class ? res->size_class : "this type",
          res->region);
    return finish(out, &r, pol,
                  "%s %g GiB %s volume unattached, created %lld days ago (> "
                  "%u): snapshot and delete it to %s",
                  who, res->size, res->size_class ? res->size_class : "", days,
                  limit, m);
}

/* gp3 costs less per GB-month than gp2 at the same size, and its 3000 IOPS
 * baseline covers gp2 volumes up to 1000 GiB. */
static int rule_gp2_gp3(const rule_ctx *c, const policy_ref *pol,
                        const fc_resource *res, draft_vec *out)
{
    double gp2 = 0, gp3 = 0, saving = 0, iops;
    int known, rc;
    fc_recommendation r;
    char who[256], m[160], extra[160] = "";

    if (!pol->spec->ebs.gp3 || !res->size_class ||
        strcmp(res->size_class, "gp2") != 0 || !(res->size > 0))
        return FC_OK;
    known = fc_prices_ebs_gb_month(c->prices, res->region, "gp2", &gp2) ==
                FC_OK &&
            fc_prices_ebs_gb_month(c->prices, res->region, "gp3", &gp3) ==
                FC_OK;
    if (known && !(gp3 < gp2))
        return FC_OK;
    if (known)
        saving = res->size * (gp2 - gp3);
    /* gp2: 3 IOPS per GiB, at least 100, at most 16000. */
    iops = fmin(fmax(3.0 * res->size, 100.0), 16000.0);
    if ((rc = rec_start(&r, RULE_GP2_GP3, res, pol, c->inv->currency,
                        "modify-volume", FC_RISK_LOW, saving)) ||
        (rc = param_add(&r, "volumeType", "gp3")) ||
        (rc = ev_add(&r, "sizeGiB", "%g", res->size)) ||
        (rc = ev_add(&r, "state", "%s", res->state ? res->state : "unknown")) ||
        (rc = ev_add(&r, "gp2BaselineIops", "%.0f", iops)) ||
        (rc = ev_add(&r, "priceKnown", "%s", known ? "true" : "false")) ||
        (known && (rc = ev_add(&r, "gp2PricePerGbMonth", "%g", gp2))) ||
        (known && (rc = ev_add(&r, "gp3PricePerGbMonth", "%g", gp3)))) {
        draft_dispose(&r);
        return rc;
    }
    if (iops > 3000)
        snprintf(extra, sizeof(extra),
                 "; provision %.0f IOPS on gp3 to keep gp2's baseline (billed "
                 "extra)",
                 iops);
    label(who, sizeof(who), res);
    money(m, sizeof(m), &r, known, "gp2/gp3", res->region);
    return finish(out, &r, pol, "%s %g GiB gp2 volume: change it to gp3 to %s%s",
                  who, res->size, m, extra);
}

/* Old snapshots whose volume is gone and that no AMI uses. */
static int rule_old_snapshot(const rule_ctx *c, const policy_ref *pol,
                             const fc_resource *res, draft_vec *out)
{
    unsigned limit = pol->spec->snapshots.max_age_days;
    const char *ami = fc_resource_attr(res, "usedByAmi");
    const char *amis = fc_resource_attr(res, "amiIds");
    const char *stored = fc_resource_attr(res, "storedGiB");
    double price = 0, saving = 0, gib = res->size;
    long long days;
    int known, rc;
    fc_recommendation r;
    char who[256], m[160];

    if (res->created <= 0 ||
        c->inv->observed_at - res->created <= (int64_t)limit * FC_DAY)
        return FC_OK;
    if ((ami && strcmp(ami, "false") != 0) || (amis && *amis))
        return FC_OK;
    if (res->attached_to && volume_exists(c, res->attached_to))
        return FC_OK;
    days = (long long)((c->inv->observed_at - res->created) / FC_DAY);
    /* Snapshots store changed blocks only: the volume size is an upper
     * bound unless the provider says what is stored. */
    if (stored && strtod(stored, NULL) > 0)
        gib = strtod(stored, NULL);
    known = fc_prices_other(c->prices, res->region, "snapshot", &price) ==
            FC_OK;
    if (known)
        saving = gib * price;
    if ((rc = rec_start(&r, RULE_OLD_SNAPSHOT, res, pol, c->inv->currency,
                        "delete-snapshot", FC_RISK_HIGH, saving)) ||
        (rc = ev_add(&r, "ageDays", "%lld", days)) ||
        (rc = ev_add(&r, "maxAgeDays", "%u", limit)) ||
        (rc = ev_add(&r, "sourceVolume", "%s",
                     res->attached_to ? res->attached_to : "none")) ||
        (rc = ev_add(&r, "sourceVolumeExists", "false")) ||
        (rc = ev_add(&r, "usedByAmi", "false")) ||
        (rc = ev_add(&r, "sizeGiB", "%g", gib)) ||
        (rc = ev_add(&r, "sizeIsUpperBound", "%s", stored ? "false" : "true")) ||
        (rc = ev_add(&r, "priceKnown", "%s", known ? "true" : "false")) ||
        (known && (rc = ev_add(&r, "pricePerGbMonth", "%g", price)))) {
        draft_dispose(&r);
        return rc;
    }
    label(who, sizeof(who), res);
    if (known)
        snprintf(m, sizeof(m), "save %s%.2f %s/month", stored ? "" : "up to ",
                 r.monthly_saving, r.currency);
    else
        money(m, sizeof(m), &r, known, "snapshots", res->region);
    return finish(out, &r, pol,
                  "%s snapshot is %lld days old (> %u), its volume is gone and "
                  "no AMI uses it: delete it to %s",
                  who, days, limit, m);
}

/* ---- EIP --------------------------------------------------------------- */

static int rule_unassociated_eip(const rule_ctx *c, const policy_ref *pol,
                                 const fc_resource *res, draft_vec *out)
{
    fc_recommendation r;
    double price = 0, saving = 0;
    int known, rc;
    char who[256], m[160];

    if (res->attached_to && *res->attached_to)
        return FC_OK;
    known = fc_prices_other(c->prices, res->region, "eip-idle", &price) == FC_OK;
    if (known)
        saving = price * FC_HOURS_PER_MONTH;
    if ((rc = rec_start(&r, RULE_UNASSOCIATED_EIP, res, pol, c->inv->currency,
                        "release-address", FC_RISK_LOW, saving)) ||
        (rc = ev_add(&r, "associated", "false")) ||
        (rc = ev_add(&r, "priceKnown", "%s", known ? "true" : "false")) ||
        (known && (rc = ev_add(&r, "hourlyPrice", "%g", price)))) {
        draft_dispose(&r);
        return rc;
    }
    label(who, sizeof(who), res);
    money(m, sizeof(m), &r, known, "idle addresses", res->region);
    return finish(out, &r, pol, "%s is not associated with anything: release it "
                  "to %s",
                  who, m);
}

/* ---- load balancers ---------------------------------------------------- */

static int rule_idle_elb(const rule_ctx *c, const policy_ref *pol,
                         const fc_resource *res, draft_vec *out)
{
    const fc_policy_elb *p = &pol->spec->elb;
    int64_t end = c->inv->observed_at;
    int64_t start = end - (int64_t)p->idle_days * FC_DAY;
    const char *healthy = fc_resource_attr(res, "healthyTargets");
    const char *kind = res->size_class ? res->size_class : "application";
    const char *key;
    wstats req, hh;
    int few = 0, none_healthy = 0, known, rc;
    double price = 0, saving = 0, targets = -1;
    fc_recommendation r;
    char who[256], m[160], why[200];

    if (res->state && strcmp(res->state, "active") != 0)
        return FC_OK;
    window(c, series(c, res->id, "RequestCount"), start, end, &req);
    window(c, series(c, res->id, "HealthyHostCount"), start, end, &hh);
    /* Requests are summed over the window: needs the window covered. */
    if ((double)req.n >= (double)p->idle_days * 24.0 * MIN_COVERAGE &&
        req.sum < p->min_requests)
        few = 1;
    if (hh.n && (double)hh.n >= (double)p->idle_days * 24.0 * MIN_COVERAGE) {
        targets = hh.max;
        none_healthy = hh.max == 0;
    } else if (healthy && *healthy) {
        targets = strtod(healthy, NULL);
        none_healthy = targets == 0;
    }
    if (!few && !none_healthy)
        return FC_OK;
    key = strcmp(kind, "network") == 0   ? "nlb-hour"
          : strcmp(kind, "gateway") == 0 ? "gwlb-hour"
          : strcmp(kind, "classic") == 0 ? "clb-hour"
                                         : "alb-hour";
    known = fc_prices_other(c->prices, res->region, key, &price) == FC_OK;
    if (known)
        saving = price * FC_HOURS_PER_MONTH;
    /* No executor action deletes load balancers yet: a finding to act on
     * by hand, so action none. */
    if ((rc = rec_start(&r, RULE_IDLE_ELB, res, pol, c->inv->currency, "none",
                        FC_RISK_MEDIUM, saving)) ||
        (rc = ev_add(&r, "loadBalancerType", "%s", kind)) ||
        (rc = ev_add(&r, "lookbackDays", "%u", p->idle_days)) ||
        (rc = ev_add(&r, "minRequests", "%g", p->min_requests)) ||
        (req.n && (rc = ev_add(&r, "requestCount", "%.0f", req.sum))) ||
        (targets >= 0 &&
         (rc = ev_add(&r, "healthyTargets", "%g", targets))) ||
        (rc = ev_add(&r, "priceKnown", "%s", known ? "true" : "false")) ||
        (known && (rc = ev_add(&r, "hourlyPrice", "%g", price)))) {
        draft_dispose(&r);
        return rc;
    }
    if (few && none_healthy)
        snprintf(why, sizeof(why), "%.0f requests in %u days (< %g) and no "
                 "healthy targets", req.sum, p->idle_days, p->min_requests);
    else if (few)
        snprintf(why, sizeof(why), "%.0f requests in %u days (< %g)", req.sum,
                 p->idle_days, p->min_requests);
    else
        snprintf(why, sizeof(why), "no healthy targets");
    label(who, sizeof(who), res);
    money(m, sizeof(m), &r, known, key, res->region);
    return finish(out, &r, pol,
                  "%s %s load balancer has %s: delete it to %s (by hand or in "
                  "your IaC: the controller has no delete action for load "
                  "balancers yet)",
                  who, kind, why, m);
}

/* ---- RDS --------------------------------------------------------------- */

static const char *rds_engine(const fc_resource *r)
{
    const char *e = fc_resource_attr(r, "engine");
    return e ? e : fc_resource_tag(r, "engine");
}

/* The default max_connections of an engine for a class with mem GiB:
 * PostgreSQL LEAST(DBInstanceClassMemory/9531392, 5000), MySQL and MariaDB
 * DBInstanceClassMemory/12582880.  An estimate: the class memory is a
 * little more than DBInstanceClassMemory. */
static double rds_max_connections(const char *engine, double mem_gib)
{
    double bytes = mem_gib * 1073741824.0;
    if (!engine || !(mem_gib > 0))
        return 0;
    if (strstr(engine, "postgres"))
        return fmin(floor(bytes / 9531392.0), 5000.0);
    if (strstr(engine, "mysql") || strstr(engine, "mariadb"))
        return floor(bytes / 12582880.0);
    return 0;
}

static int rule_idle_rds(const rule_ctx *c, const policy_ref *pol,
                         const fc_resource *res, draft_vec *out)
{
    const fc_policy_rds *p = &pol->spec->rds;
    int64_t end = c->inv->observed_at;
    int64_t start = end - (int64_t)p->idle_days * FC_DAY;
    double need = (double)p->idle_days * 24.0 * MIN_COVERAGE;
    const char *engine = rds_engine(res);
    const fc_price *cls = NULL;
    double maxconn = 0, cpu_avg, conn_pct = 0, saving = 0;
    wstats cpu, conn;
    int no_conn, low, known, rc;
    fc_recommendation r;
    char who[256], m[160], why[200];

    if (!res->state || strcmp(res->state, "available") != 0)
        return FC_OK;
    window(c, series(c, res->id, "CPUUtilization"), start, end, &cpu);
    window(c, series(c, res->id, "DatabaseConnections"), start, end, &conn);
    if ((double)conn.n < need)
        return FC_OK;
    known = fc_prices_rds_class(c->prices, res->region, engine,
                                res->size_class, &cls) == FC_OK;
    if (known)
        maxconn = rds_max_connections(engine, cls->memory_gib);
    no_conn = conn.max == 0;
    cpu_avg = cpu.n ? cpu.sum / (double)cpu.n : 0;
    if (maxconn > 0)
        conn_pct = conn.max / maxconn * 100.0;
    low = (double)cpu.n >= need && cpu_avg < p->cpu_percent && maxconn > 0 &&
          conn_pct < p->connections_percent;
    if (!no_conn && !low)
        return FC_OK;
    if (known)
        saving = cls->price * FC_HOURS_PER_MONTH;
    if ((rc = rec_start(&r, RULE_IDLE_RDS, res, pol, c->inv->currency, "stop",
                        FC_RISK_MEDIUM, saving)) ||
        (rc = ev_add(&r, "engine", "%s", engine ? engine : "unknown")) ||
        (rc = ev_add(&r, "instanceClass", "%s",
                     res->size_class ? res->size_class : "unknown")) ||
        (rc = ev_add(&r, "lookbackDays", "%u", p->idle_days)) ||
        (rc = ev_add(&r, "maxConnectionsObserved", "%.0f", conn.max)) ||
        (cpu.n && (rc = ev_add(&r, "averageCpuPercent", "%.2f", cpu_avg))) ||
        (rc = ev_add(&r, "cpuThresholdPercent", "%g", p->cpu_percent)) ||
        (rc = ev_add(&r, "connectionsThresholdPercent", "%g",
                     p->connections_percent)) ||
        (maxconn > 0 &&
         (rc = ev_add(&r, "maxConnectionsEstimate", "%.0f", maxconn))) ||
        (maxconn > 0 &&
         (rc = ev_add(&r, "connectionsPercent", "%.2f", conn_pct))) ||
        (rc = ev_add(&r, "priceKnown", "%s", known ? "true" : "false")) ||
        (known && (rc = ev_add(&r, "hourlyPrice", "%g", cls->price)))) {
        draft_dispose(&r);
        return rc;
    }
    if (no_conn)
        snprintf(why, sizeof(why), "had no connections in %u days",
                 p->idle_days);
    else
        snprintf(why, sizeof(why),
                 "averaged %.2f%% CPU (< %g%%) with at most %.0f connections "
                 "(%.2f%% of ~%.0f, < %g%%) over %u days",
                 cpu_avg, p->cpu_percent, conn.max, conn_pct, maxconn,
                 p->connections_percent, p->idle_days);
    label(who, sizeof(who), res);
    money(m, sizeof(m), &r, known, res->size_class ? res->size_class : "this class",
          res->region);
    return finish(out, &r, pol,
                  "%s %s: stop it to %s (storage is still billed, and RDS "
                  "starts a stopped instance again after 7 days)",
                  who, why, m);
}

/* ---- Lambda ------------------------------------------------------------ */

static int rule_lambda_memory(const rule_ctx *c, const policy_ref *pol,
                              const fc_resource *res, draft_vec *out)
{
    const fc_policy_lambda *p = &pol->spec->lambda;
    int64_t end = c->inv->observed_at;
    int64_t start = end - (int64_t)p->lookback_days * FC_DAY;
    const fc_metric_series *dur_s = series(c, res->id, "Duration");
    const char *arch = fc_resource_attr(res, "architecture");
    double configured = res->size, proposed, price = 0, saving = 0;
    double monthly_inv = 0, dur_ms = 0;
    wstats used, inv, dur;
    int known, rc, arm;
    fc_recommendation r;
    char who[256], m[160], mb[32];

    if (!(configured > 128))
        return FC_OK;
    window(c, series(c, res->id, "MaxMemoryUsed"), start, end, &used);
    /* A day of samples at least: the peak of an hour proves little. */
    if (used.n < 24 || !(used.max < configured * p->memory_used_percent / 100.0))
        return FC_OK;
    /* Half, as a power of two, never below 128 MB or the peak. */
    for (proposed = 128; proposed < configured / 2.0 || proposed <= used.max;
         proposed *= 2)
        ;
    if (!(proposed < configured))
        return FC_OK;
    window(c, series(c, res->id, "Invocations"), start, end, &inv);
    window(c, dur_s, start, end, &dur);
    if (inv.n)
        monthly_inv = inv.sum / (double)inv.n * FC_HOURS_PER_MONTH;
    if (dur.n)
        dur_ms = dur.sum / (double)dur.n;
    arm = arch && strcmp(arch, "arm64") == 0;
    known = fc_prices_other(c->prices, res->region,
                            arm ? "lambda-gb-second-arm" : "lambda-gb-second",
                            &price) == FC_OK;
    if (known)
        saving = monthly_inv * dur_ms / 1000.0 * (configured - proposed) /
                 1024.0 * price;
    snprintf(mb, sizeof(mb), "%.0f", proposed);
    if ((rc = rec_start(&r, RULE_LAMBDA_MEMORY, res, pol, c->inv->currency,
                        "none", FC_RISK_LOW, saving)) ||
        (rc = param_add(&r, "memorySize", mb)) ||
        (rc = ev_add(&r, "configuredMemoryMB", "%.0f", configured)) ||
        (rc = ev_add(&r, "maxMemoryUsedMB", "%.0f", used.max)) ||
        (rc = ev_add(&r, "usedPercent", "%.2f", used.max / configured * 100)) ||
        (rc = ev_add(&r, "thresholdPercent", "%g", p->memory_used_percent)) ||
        (rc = ev_add(&r, "proposedMemoryMB", "%s", mb)) ||
        (rc = ev_add(&r, "lookbackDays", "%u", p->lookback_days)) ||
        (rc = ev_add(&r, "monthlyInvocations", "%.0f", monthly_inv)) ||
        (rc = ev_add(&r, "averageDurationMs", "%.1f", dur_ms)) ||
        (rc = ev_add(&r, "architecture", "%s", arm ? "arm64" : "x86_64")) ||
        (rc = ev_add(&r, "priceKnown", "%s", known ? "true" : "false")) ||
        (known && (rc = ev_add(&r, "pricePerGbSecond", "%g", price)))) {
        draft_dispose(&r);
        return rc;
    }
    label(who, sizeof(who), res);
    money(m, sizeof(m), &r, known, "Lambda GB-seconds", res->region);
    return finish(out, &r, pol,
                  "%s used at most %.0f of %.0f MB over %u days (< %g%%): set "
                  "its memory to %s MB to %s if durations hold (CPU shrinks "
                  "with memory; change it in your deployment)",
                  who, used.max, configured, p->lookback_days,
                  p->memory_used_percent, mb, m);
}

/* ---- S3 ---------------------------------------------------------------- */

static int rule_s3_lifecycle(const rule_ctx *c, const policy_ref *pol,
                             const fc_resource *res, draft_vec *out)
{
    const char *rules = fc_resource_attr(res, "lifecycleRules");
    const char *cls = fc_resource_attr(res, "storageClass");
    double std = 0, ia = 0, saving = 0;
    int known, rc;
    fc_recommendation r;
    char who[256], m[160];

    if (!cls)
        cls = res->size_class;
    /* Unknown lifecycle configuration proves nothing. */
    if (!pol->spec->s3.lifecycle || !rules || strtod(rules, NULL) != 0 ||
        !(res->size > 0) || !cls || strcasecmp(cls, "STANDARD") != 0)
        return FC_OK;
    known = fc_prices_other(c->prices, res->region, "s3-standard", &std) ==
                FC_OK &&
            fc_prices_other(c->prices, res->region, "s3-standard-ia", &ia) ==
                FC_OK;
    if (known && std > ia)
        saving = S3_IA_SHARE * res->size * (std - ia);
    if ((rc = rec_start(&r, RULE_S3_LIFECYCLE, res, pol, c->inv->currency,
                        "none", FC_RISK_LOW, saving)) ||
        (rc = ev_add(&r, "lifecycleRules", "0")) ||
        (rc = ev_add(&r, "sizeGiB", "%g", res->size)) ||
        (rc = ev_add(&r, "storageClass", "%s", cls)) ||
        (rc = ev_add(&r, "assumedColdPercent", "%.0f", S3_IA_SHARE * 100)) ||
        (rc = ev_add(&r, "priceKnown", "%s", known ? "true" : "false")) ||
        (known && (rc = ev_add(&r, "standardPricePerGbMonth", "%g", std))) ||
        (known && (rc = ev_add(&r, "standardIaPricePerGbMonth", "%g", ia)))) {
        draft_dispose(&r);
        return rc;
    }
    label(who, sizeof(who), res);
    money(m, sizeof(m), &r, known, "S3 storage classes", res->region);
    return finish(out, &r, pol,
                  "%s keeps %g GiB in S3 Standard with no lifecycle rule: a rule "
                  "moving objects to Standard-IA after 30 days would %s if "
                  "%.0f%% of the bytes are cold (an estimate; add the rule in "
                  "your IaC)",
                  who, res->size, m, S3_IA_SHARE * 100);
}

/* ---- driver ------------------------------------------------------------ */

static int run_policy(const rule_ctx *c, const policy_ref *pol,
                      draft_vec *out)
{
    const fc_policy_spec *p = pol->spec;
    int on[FC_RES__COUNT];
    int daily = strcmp(p->ec2.mode, "daily") == 0;
    size_t i;
    int rc = FC_OK;

    memset(on, 0, sizeof(on));
    on[FC_RES_EC2_INSTANCE] = service_enabled(p, "ec2");
    on[FC_RES_EBS_VOLUME] = service_enabled(p, "ebs");
    on[FC_RES_EBS_SNAPSHOT] = service_enabled(p, "ebs");
    on[FC_RES_ELASTIC_IP] = service_enabled(p, "eip");
    on[FC_RES_LOAD_BALANCER] = service_enabled(p, "elb");
    on[FC_RES_RDS_INSTANCE] = service_enabled(p, "rds");
    on[FC_RES_LAMBDA_FUNCTION] = service_enabled(p, "lambda");
    on[FC_RES_S3_BUCKET] = service_enabled(p, "s3");

    for (i = 0; i < c->inv->nresources && rc == FC_OK; i++) {
        const fc_resource *r = &c->inv->resources[i];
        int idle = 0;
        if (!r->id || (int)r->type < 0 || r->type >= FC_RES__COUNT ||
            !on[r->type])
            continue;
        if (!in_scope(c->specs, p, r) || excluded(p, r))
            continue;
        switch (r->type) {
        case FC_RES_EC2_INSTANCE:
            if (!r->state || strcmp(r->state, "running") != 0)
                break;
            rc = daily ? idle_ec2_daily(c, pol, r, out, &idle)
                       : idle_ec2_average(c, pol, r, out, &idle);
            /* Idle wins: stopping saves more than any smaller type. */
            if (rc == FC_OK && !idle)
                rc = rightsize_ec2(c, pol, r, out);
            break;
        case FC_RES_EBS_VOLUME:
            rc = rule_unattached_ebs(c, pol, r, out);
            if (rc == FC_OK)
                rc = rule_gp2_gp3(c, pol, r, out);
            break;
        case FC_RES_EBS_SNAPSHOT:
            rc = rule_old_snapshot(c, pol, r, out);
            break;
        case FC_RES_ELASTIC_IP:
            rc = rule_unassociated_eip(c, pol, r, out);
            break;
        case FC_RES_LOAD_BALANCER:
            rc = rule_idle_elb(c, pol, r, out);
            break;
        case FC_RES_RDS_INSTANCE:
            rc = rule_idle_rds(c, pol, r, out);
            break;
        case FC_RES_LAMBDA_FUNCTION:
            rc = rule_lambda_memory(c, pol, r, out);
            break;
        case FC_RES_S3_BUCKET:
            rc = rule_s3_lifecycle(c, pol, r, out);
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
    fc_policy_spec *eff = NULL;
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
    eff = calloc(npols ? npols : 1, sizeof(*eff));
    if (!pols || !eff) {
        rc = fc_error_set(FC_ENOMEM, "out of memory");
        goto done;
    }
    if (npols) {
        npols = 0;
        for (i = 0; i < specs->nobjects; i++) {
            const fc_object *o = &specs->objects[i];
            if (o->kind != FC_KIND_POLICY || !o->spec.policy)
                continue;
            pols[npols].name = o->metadata.name ? o->metadata.name : "";
            effective(&eff[npols], o->spec.policy);
            pols[npols].spec = &eff[npols];
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

    c.cache = calloc(1, sizeof(*c.cache)); /* optional: NULL reads every time */
    c.indexed = inv->metric_by_key && inv->metric_index_for == inv->nmetrics;
    if (inv->nmetrics && !c.indexed) {
        c.series = malloc(inv->nmetrics * sizeof(*c.series));
        if (!c.series) {
            rc = fc_error_set(FC_ENOMEM, "out of memory");
            goto done;
        }
        for (i = 0; i < inv->nmetrics; i++)
            if (inv->metrics[i].resource_id && inv->metrics[i].metric)
                c.series[c.nseries++] = &inv->metrics[i];
        if (c.nseries > 1) /* qsort(NULL, 0) is undefined */
            qsort(c.series, c.nseries, sizeof(*c.series), cmp_series_ptr);
    }
    if (inv->nresources) {
        c.volumes = malloc(inv->nresources * sizeof(*c.volumes));
        if (!c.volumes) {
            rc = fc_error_set(FC_ENOMEM, "out of memory");
            goto done;
        }
        for (i = 0; i < inv->nresources; i++)
            if (inv->resources[i].type == FC_RES_EBS_VOLUME &&
                inv->resources[i].id)
                c.volumes[c.nvolumes++] = inv->resources[i].id;
        if (c.nvolumes > 1) /* qsort(NULL, 0) is undefined */
            qsort(c.volumes, c.nvolumes, sizeof(*c.volumes), cmp_str_ptr);
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
    j = out->n; /* the drafts are sorted by id already: alone, they stay so */
    for (i = 0; i < d.n; i++)
        out->items[out->n++] = d.v[i].rec;
    d.n = 0;
    if (j > 0 && out->n > 1) /* qsort(NULL, 0) is undefined */
        qsort(out->items, out->n, sizeof(*out->items), cmp_rec);
done:
    for (i = 0; i < d.n; i++)
        rec_dispose(&d.v[i].rec);
    free(d.v);
    free(c.series);
    free(c.volumes);
    points_cache_free(c.cache);
    free(eff);
    free(pols);
    return rc;
}
