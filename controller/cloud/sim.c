/*
 * sim.c - the embedded simulated cloud ("sim" provider).
 *
 * Stage: discovery.  Input is an estate YAML file (examples/sim/estate.yaml):
 * accounts, regions, resources (with tags, provider attributes such as
 * usedByAmi or lifecycleRules, and a generator profile per metric), and
 * daily cost lines with a trend, a weekly pattern and injected spikes.
 * Output is an fc_inventory for a discovery scope and clock.
 *
 * An estate path ending in ".jsonl" holds the same estate as JSON Lines,
 * for estates too large for YAML to parse quickly: line 1 is an object
 * with the root keys other than resources and costs (seed, currency,
 * accounts, regions), then one {"resource": {...}} per resource, and once,
 * anywhere after line 1, {"costs": {...}}; blank lines are ignored.  The
 * mappings are those of the YAML estate, checked by the same code, and
 * errors name the file and line the same way.
 *
 * Every generated number is a pure function of (estate seed, resource id,
 * metric, hour since the epoch) or (seed, account, service, day), hashed
 * with fc_hash64: two discoveries at the same clock are identical, and an
 * hour seen from two different clocks has the same value.  Wall time and
 * call order never matter.
 *
 * Stage: execution too.  describe() and apply() (fc_cloud_ops v2) change the
 * in-memory estate; fc_sim_open_with_state() persists every change in an
 * overlay file in the state directory, laid over the estate at each open,
 * so later passes and processes see it.  The estate file is never written.
 *
 * Ownership: fc_sim_open() returns a cloud the caller frees with
 * fc_cloud_free(); it owns the parsed estate.  discover() and describe()
 * deep-copy into the caller's structs.  An estate resource is packed
 * (fc_resource.slab holds its tag arrays, id, name and attachedTo) and its
 * repeated strings (account, region, state, class, tag and attribute keys
 * and values, metric names) are the sim's interned copies, freed only with
 * the sim: whatever changes a resource unpacks it first.
 */
#include "controller/cloud/fc_cloud.h"
#include "controller/core/crashpoint.h"
#include "controller/core/fc_error.h"
#include "controller/core/fc_util.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include <json-c/linkhash.h>
#include <unistd.h>
#include <yaml.h>

#define SIM_MAX_FILE_BYTES (64u * 1024u * 1024u) /* 100k-resource bench */
#define SIM_MAX_METRIC_DAYS 455   /* CloudWatch keeps hourly data this long */
#define SIM_MAX_COST_DAYS 3660
#define SIM_COST_SALT 0x636f737473ULL

typedef enum {
    PROF_CONSTANT,
    PROF_IDLE,
    PROF_DIURNAL,
    PROF_WEEKLY,
    PROF_BUSY,
    PROF_SPIKY,
    PROF__COUNT
} profile_kind;

static const char *const profile_names[PROF__COUNT] = {
    "constant", "idle", "diurnal", "weekly", "busy", "spiky",
};

typedef struct {
    char *metric;
    profile_kind profile;
    double mean;
    double jitter;      /* absolute noise amplitude, uniform +-jitter */
    double amplitude;   /* relative swing of diurnal/weekly/busy */
    double spike;       /* spiky: value during a spike */
    double probability; /* spiky: chance an hour spikes */
    uint64_t key;       /* hash of (seed, resource id, metric) */
    int percent;        /* CPUUtilization: clamp to 100, two decimals */
} sim_metric;

typedef struct {
    fc_resource r;
    sim_metric *metrics;
    size_t nmetrics;
    size_t index;       /* position in the file, for errors */
    unsigned line;
    int touched;        /* changed by apply: kept in the overlay */
    int deleted;        /* deleted by apply: no longer discovered */
} sim_resource;

typedef struct {
    char *account;
    char *service;
    double base;        /* daily amount on the anchor day */
    double weekend;     /* multiplier on Saturday and Sunday */
    double trend;       /* relative change per day since the anchor */
    double noise;       /* relative noise amplitude */
    uint64_t key;
} sim_cost_line;

typedef struct {
    char *account;
    char *service;
    int64_t start;      /* first day, 00:00 UTC */
    int days;
    double factor;
    /* Optional: who spent the extra (cost detail rows for root cause). */
    char *region;
    char *usage_type;
    char *resource;
} sim_spike;

typedef struct {
    char *id;
    char *name;
} sim_account;

typedef struct {
    fc_cloud base;      /* first: fc_cloud * and fc_sim * convert */
    char *path;
    char *currency;
    uint64_t seed;
    sim_account *accounts;
    size_t naccounts;
    char **regions;
    size_t nregions;
    sim_resource *res;  /* sorted by account, region, type, id */
    size_t nres;
    sim_cost_line *lines; /* sorted by account, service */
    size_t nlines;
    sim_spike *spikes;
    size_t nspikes;
    int64_t cost_anchor;
    int64_t cost_since;
    char *overlay;      /* <state_dir>/sim-state.json, or NULL (in memory) */
    uint64_t seq;       /* ids of created resources */
    struct lh_table *strings; /* interned strings, keys owned by the table */
} fc_sim;

/* ---- deterministic numbers ------------------------------------------- */

/* splitmix64 finaliser: FNV-1a alone leaves the low bits poorly mixed. */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* FNV-1a's prime, and its 6th power mod 2^64: a zero byte only multiplies
 * by the prime, so a byte and five zero bytes after it are one multiply. */
#define FNV_PRIME 1099511628211ULL
#define FNV_PRIME_6 0xdc966432edf1c639ULL

/* Hash of a key and an integer, independent of host byte order: fc_hash64
 * (FNV-1a) of the integer's 8 little-endian bytes, unrolled here because
 * it runs once per generated point.  Hours since 1970 fit in 3 bytes, so
 * the other 5 take one multiply: the same value, in 4 multiplies, not 8. */
static uint64_t hash_at(uint64_t key, int64_t index)
{
    uint64_t v = (uint64_t)index, h = 1469598103934665603ULL ^ key;
    int i;
    if (v < (1ULL << 24)) {
        h = (h ^ (v & 0xff)) * FNV_PRIME;
        h = (h ^ ((v >> 8) & 0xff)) * FNV_PRIME;
        return mix64((h ^ (v >> 16)) * FNV_PRIME_6);
    }
    for (i = 0; i < 8; i++) {
        h ^= (v >> (8 * i)) & 0xff;
        h *= FNV_PRIME;
    }
    return mix64(h);
}

uint64_t fc_sim_hash_at(uint64_t key, int64_t index)
{
    return hash_at(key, index);
}

static double unit01(uint64_t h) { return (double)(h >> 11) * 0x1.0p-53; }
static double unit11(uint64_t h) { return unit01(h) * 2.0 - 1.0; }

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* 0 = Sunday; 1970-01-01 was a Thursday. */
static int weekday_of_day(int64_t day_index)
{
    return (int)((day_index % 7 + 7 + 4) % 7);
}

/* What every generated point looks up: sin() of each hour of the day, as
 * metric_value's wave (the same expression, so the same doubles, computed
 * 24 times instead of per point), and i / 100.0 for the 10,001 hundredths
 * a percentage rounds to (a load where a division was most of a point). */
typedef struct {
    double wave[24];
    double hundredth[10001];
} point_tables;

static const point_tables *tables(void)
{
    static point_tables t;
    static int ready;
    const double two_pi = 6.283185307179586;
    int i;
    if (!ready) {
        for (i = 0; i < 24; i++)
            t.wave[i] = sin(two_pi * (i - 8) / 24.0); /* peaks 14:00 UTC */
        for (i = 0; i <= 10000; i++)
            t.hundredth[i] = (double)i / 100.0;
        ready = 1;
    }
    return &t;
}

/* round() of v >= 0, inline: a point is a few nanoseconds and the libm
 * call was a fair part of them.  x - trunc(x) is exact below 2^52. */
static double round_pos(double v)
{
    double t;
    if (!(v < 4503599627370496.0) || v == 0) /* 2^52 or more, NaN, -0.0 */
        return round(v);
    t = (double)(int64_t)v;
    return t + (double)(v - t >= 0.5); /* no branch: the halves are random */
}

/* The value at `hour`, whose hour of day and weekday the caller gives
 * (fill_metric steps them instead of dividing per point). */
static double metric_value(const sim_metric *m, int64_t hour, int hod, int dow,
                           const point_tables *t)
{
    /* Business hours Mon-Fri 08-18 UTC are 50 of 168 hours; the off-hours
     * level is chosen so the weekly mean stays `mean`. */
    const double busy_share = 50.0 / 168.0;
    uint64_t h = hash_at(m->key, hour);
    double noise = m->jitter * unit11(h);
    double wave = t->wave[hod];
    double v;

    switch (m->profile) {
    case PROF_CONSTANT:
        v = m->mean;
        break;
    case PROF_IDLE:
        v = m->mean + noise;
        break;
    case PROF_DIURNAL:
        v = m->mean * (1.0 + m->amplitude * wave) + noise;
        break;
    case PROF_WEEKLY:
        if (dow >= 1 && dow <= 5 && hod >= 8 && hod < 18)
            v = m->mean * (1.0 + m->amplitude);
        else
            v = m->mean * (1.0 - m->amplitude * busy_share / (1.0 - busy_share));
        v += noise;
        break;
    case PROF_BUSY:
        v = m->mean * (1.0 + m->amplitude * wave) + noise;
        break;
    case PROF_SPIKY:
    default:
        if (unit01(mix64(h ^ 0x9e3779b97f4a7c15ULL)) < m->probability)
            v = m->spike + noise;
        else
            v = m->mean + noise;
        break;
    }
    if (v < 0)
        v = 0;
    /* Percentages to 0.01, counts and bytes to integers: keeps printed
     * status stable even if libm's sin() differs in the last ulp. */
    if (m->percent) {
        if (v > 100)
            v = 100;
        if (isnan(v))
            return v;
        return t->hundredth[(int)round_pos(v * 100.0)]; /* 0..10000 */
    }
    return round_pos(v);
}

static double cost_value(const fc_sim *s, const sim_cost_line *l, int64_t day)
{
    int64_t di = floor_div(day, FC_DAY);
    int dow = weekday_of_day(di);
    double v = l->base;
    size_t i;

    v *= 1.0 + l->trend * (double)(di - floor_div(s->cost_anchor, FC_DAY));
    if (dow == 0 || dow == 6)
        v *= l->weekend;
    v *= 1.0 + l->noise * unit11(hash_at(l->key, di));
    for (i = 0; i < s->nspikes; i++) {
        const sim_spike *sp = &s->spikes[i];
        if (day >= sp->start && day < sp->start + (int64_t)sp->days * FC_DAY &&
            strcmp(sp->account, l->account) == 0 &&
            strcmp(sp->service, l->service) == 0)
            v *= sp->factor;
    }
    if (v < 0)
        v = 0;
    return round(v * 100.0) / 100.0;
}

/* ---- estate parsing ---------------------------------------------------- */

typedef struct {
    const char *path;
    yaml_document_t *doc;
} pctx;

static unsigned line_of(const yaml_node_t *n)
{
    return n ? (unsigned)n->start_mark.line + 1 : 0;
}

static int perr(const pctx *c, const yaml_node_t *n, const char *field,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int perr(const pctx *c, const yaml_node_t *n, const char *field,
                const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return fc_error_set(FC_EPARSE, "%s:%u: %s: %s", c->path, line_of(n),
                        field, msg);
}

/* a, b and c into buf of size n, cut short as snprintf would: field names
 * are built for every resource and metric, and "%s%s%s" costs more. */
static void join3(char *buf, size_t n, const char *a, const char *b, const char *c)
{
    const char *part[3] = {a, b, c};
    size_t at = 0, k, len;
    for (k = 0; k < 3; k++) {
        len = strlen(part[k]);
        if (len > n - 1 - at)
            len = n - 1 - at;
        memcpy(buf + at, part[k], len);
        at += len;
    }
    buf[at] = '\0';
}

/* Decimal text of v into buf (at least 21 bytes); its length. */
static size_t u64_text(char *buf, uint64_t v)
{
    char tmp[20];
    size_t n = 0, i;
    do
        tmp[n++] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    for (i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    buf[n] = '\0';
    return n;
}

/* yaml_document_get_node(), inlined: it runs for every key and value. */
static yaml_node_t *node_at(const pctx *c, int id)
{
    if (id <= 0 || id > c->doc->nodes.top - c->doc->nodes.start)
        return NULL;
    return c->doc->nodes.start + id - 1;
}

static const char *scalar(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value
                                            : NULL;
}

/* Value of key in a mapping, or NULL. */
static yaml_node_t *map_get(const pctx *c, const yaml_node_t *map,
                            const char *key)
{
    yaml_node_pair_t *p;
    if (!map || map->type != YAML_MAPPING_NODE)
        return NULL;
    for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        const char *k = scalar(node_at(c, p->key));
        if (k && strcmp(k, key) == 0)
            return node_at(c, p->value);
    }
    return NULL;
}

/* Index of k in keys (NULL-terminated), or -1; the first byte is compared
 * inline since most keys differ there. */
static int key_index(const char *k, const char *const *keys)
{
    int i;
    for (i = 0; keys[i]; i++)
        if (keys[i][0] == k[0] && strcmp(keys[i], k) == 0)
            return i;
    return -1;
}

/* Rejects keys outside `allowed` (NULL-terminated): typos must not pass.
 * With vals (one slot per allowed key), also sets vals[i] to the value of
 * allowed[i], the first one as map_get() would find, or NULL: one pass
 * instead of a map_get() per field. */
static int gather_keys(const pctx *c, const yaml_node_t *map, const char *field,
                       const char *const *allowed, yaml_node_t **vals)
{
    yaml_node_pair_t *p;
    int i;
    if (vals)
        for (i = 0; allowed[i]; i++)
            vals[i] = NULL;
    for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        yaml_node_t *kn = node_at(c, p->key);
        const char *k = scalar(kn);
        if (!k)
            return perr(c, kn, field, "keys must be scalars");
        if ((i = key_index(k, allowed)) < 0)
            return perr(c, kn, field, "unknown key '%s'", k);
        if (vals && !vals[i])
            vals[i] = node_at(c, p->value);
    }
    return FC_OK;
}

static int check_keys(const pctx *c, const yaml_node_t *map, const char *field,
                      const char *const *allowed)
{
    return gather_keys(c, map, field, allowed, NULL);
}

static int expect(const pctx *c, const yaml_node_t *n, yaml_node_type_t t,
                  const char *field)
{
    static const char *const what[] = {"", "a scalar", "a sequence",
                                       "a mapping"};
    if (!n || n->type != t)
        return perr(c, n, field, "must be %s", what[t]);
    return FC_OK;
}

/* n is the value of key in map, or NULL; *out borrows n's text. */
static int str_at(const pctx *c, const yaml_node_t *map, const yaml_node_t *n,
                  const char *key, const char *field, int required,
                  const char **out)
{
    const char *v;
    *out = NULL;
    if (!n) {
        if (required)
            return perr(c, map, field, "missing required key '%s'", key);
        return FC_OK;
    }
    v = scalar(n);
    if (!v || !*v)
        return perr(c, n, field, "must be a non-empty string");
    *out = v;
    return FC_OK;
}

static int get_str(const pctx *c, const yaml_node_t *map, const char *key,
                   const char *field, int required, char **out)
{
    const char *v;
    int rc = str_at(c, map, map_get(c, map, key), key, field, required, &v);
    *out = NULL;
    if (rc != FC_OK || !v)
        return rc;
    *out = fc_strdup(v);
    return *out ? FC_OK : fc_error_set(FC_ENOMEM, "out of memory");
}

static int num_at(const pctx *c, const yaml_node_t *n, const char *field,
                  double dflt, double *out)
{
    const char *v;
    char *end;
    double d;
    *out = dflt;
    if (!n)
        return FC_OK;
    v = scalar(n);
    if (!v || !*v)
        return perr(c, n, field, "must be a number");
    errno = 0;
    d = strtod(v, &end);
    if (*end || errno || !isfinite(d))
        return perr(c, n, field, "'%s' is not a number", v);
    *out = d;
    return FC_OK;
}

static int get_num(const pctx *c, const yaml_node_t *map, const char *key,
                   const char *field, double dflt, double *out)
{
    return num_at(c, map_get(c, map, key), field, dflt, out);
}

static int time_at(const pctx *c, const yaml_node_t *n, const char *field,
                   int64_t *out)
{
    const char *v;
    *out = 0;
    if (!n)
        return FC_OK;
    v = scalar(n);
    if (!v || fc_time_parse(v, out) != 0)
        return perr(c, n, field,
                    "'%s' is not a date (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)",
                    v ? v : "");
    return FC_OK;
}

static int get_time(const pctx *c, const yaml_node_t *map, const char *key,
                    const char *field, int64_t *out)
{
    return time_at(c, map_get(c, map, key), field, out);
}

static void free_interned(struct lh_entry *e)
{
    free(lh_entry_k(e));
}

/* The sim's one copy of v, or NULL when out of memory (error set). */
static char *intern(fc_sim *s, const char *v)
{
    struct lh_entry *e;
    unsigned long h;
    char *k;
    if (!s->strings && !(s->strings = lh_kchar_table_new(256, free_interned)))
        goto nomem;
    h = lh_get_hash(s->strings, v);
    if ((e = lh_table_lookup_entry_w_hash(s->strings, v, h)) != NULL)
        return lh_entry_k(e);
    if (!(k = fc_strdup(v)))
        goto nomem;
    if (lh_table_insert_w_hash(s->strings, k, k, h, 0) != 0) {
        free(k);
        goto nomem;
    }
    return k;
nomem:
    fc_error_set(FC_ENOMEM, "out of memory");
    return NULL;
}

static const sim_account *find_account(const fc_sim *s, const char *id)
{
    size_t i;
    for (i = 0; i < s->naccounts; i++)
        if (strcmp(s->accounts[i].id, id) == 0)
            return &s->accounts[i];
    return NULL;
}

static int has_region(const fc_sim *s, const char *r)
{
    size_t i;
    for (i = 0; i < s->nregions; i++)
        if (strcmp(s->regions[i], r) == 0)
            return 1;
    return 0;
}

static int valid_account_id(const char *id)
{
    size_t i;
    for (i = 0; id[i]; i++)
        if (id[i] < '0' || id[i] > '9')
            return 0;
    return i == 12;
}

static int parse_accounts(fc_sim *s, const pctx *c, const yaml_node_t *seq)
{
    static const char *const keys[] = {"id", "name", NULL};
    yaml_node_item_t *it;
    char field[64];
    int rc;

    if ((rc = expect(c, seq, YAML_SEQUENCE_NODE, "accounts")) != 0)
        return rc;
    s->accounts = calloc((size_t)(seq->data.sequence.items.top -
                                  seq->data.sequence.items.start) + 1,
                         sizeof(*s->accounts));
    if (!s->accounts)
        return fc_error_set(FC_ENOMEM, "out of memory");
    for (it = seq->data.sequence.items.start; it < seq->data.sequence.items.top;
         it++) {
        yaml_node_t *n = node_at(c, *it);
        sim_account *a = &s->accounts[s->naccounts];
        snprintf(field, sizeof(field), "accounts[%zu]", s->naccounts);
        if ((rc = expect(c, n, YAML_MAPPING_NODE, field)) != 0 ||
            (rc = check_keys(c, n, field, keys)) != 0)
            return rc;
        if ((rc = get_str(c, n, "id", field, 1, &a->id)) != 0)
            return rc;
        s->naccounts++; /* owned from here on, freed with the sim */
        if ((rc = get_str(c, n, "name", field, 0, &a->name)) != 0)
            return rc;
        if (!valid_account_id(a->id))
            return perr(c, map_get(c, n, "id"), field,
                        "id '%s' must be 12 digits (quote it in YAML)", a->id);
        if (s->naccounts > 1 && find_account(s, a->id) != a)
            return perr(c, n, field, "duplicate account id '%s'", a->id);
    }
    if (!s->naccounts)
        return perr(c, seq, "accounts", "at least one account is required");
    return FC_OK;
}

static int parse_regions(fc_sim *s, const pctx *c, const yaml_node_t *seq)
{
    yaml_node_item_t *it;
    int rc;

    if ((rc = expect(c, seq, YAML_SEQUENCE_NODE, "regions")) != 0)
        return rc;
    s->regions = calloc((size_t)(seq->data.sequence.items.top -
                                 seq->data.sequence.items.start) + 1,
                        sizeof(*s->regions));
    if (!s->regions)
        return fc_error_set(FC_ENOMEM, "out of memory");
    for (it = seq->data.sequence.items.start; it < seq->data.sequence.items.top;
         it++) {
        yaml_node_t *n = node_at(c, *it);
        const char *v = scalar(n);
        if (!v || !*v)
            return perr(c, n, "regions", "must be a list of region names");
        if (has_region(s, v))
            return perr(c, n, "regions", "duplicate region '%s'", v);
        if (!(s->regions[s->nregions] = fc_strdup(v)))
            return fc_error_set(FC_ENOMEM, "out of memory");
        s->nregions++;
    }
    if (!s->nregions)
        return perr(c, seq, "regions", "at least one region is required");
    return FC_OK;
}

/* tags: and attrs: are both string -> string maps, read into out (room
 * for every pair of map), keys and values interned. */
static int parse_kvs(fc_sim *s, fc_tag *out, size_t *nout, const pctx *c,
                     const yaml_node_t *map, const char *field,
                     const char *what)
{
    yaml_node_pair_t *p;
    size_t j;
    int rc;

    if ((rc = expect(c, map, YAML_MAPPING_NODE, field)) != 0)
        return rc;
    for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        yaml_node_t *kn = node_at(c, p->key), *vn = node_at(c, p->value);
        const char *k = scalar(kn), *v = scalar(vn);
        char *key;
        if (!k || !*k || !v)
            return perr(c, kn, field, "%ss must map strings to strings", what);
        if (!(key = intern(s, k)))
            return FC_ENOMEM;
        for (j = 0; j < *nout; j++)
            if (out[j].key == key) /* interned: equal strings, equal pointers */
                return perr(c, kn, field, "duplicate %s '%s'", what, k);
        out[*nout].key = key;
        if (!(out[*nout].value = intern(s, v)))
            return FC_ENOMEM;
        (*nout)++;
    }
    return FC_OK;
}

enum { MK_PROFILE, MK_MEAN, MK_JITTER, MK_AMPLITUDE, MK_SPIKE, MK_PROBABILITY, MK__COUNT };

static int parse_metric(sim_metric *m, const pctx *c, const yaml_node_t *map,
                        const char *field)
{
    static const char *const keys[] = {"profile", "mean",  "jitter",
                                       "amplitude", "spike", "probability",
                                       NULL};
    yaml_node_t *v[MK__COUNT];
    const char *pv;
    int rc, i;

    if ((rc = expect(c, map, YAML_MAPPING_NODE, field)) != 0 ||
        (rc = gather_keys(c, map, field, keys, v)) != 0)
        return rc;
    pv = scalar(v[MK_PROFILE]);
    if (!pv)
        return perr(c, v[MK_PROFILE] ? v[MK_PROFILE] : map, field,
                    "missing profile (constant, idle, diurnal, weekly, busy, "
                    "spiky)");
    for (i = 0; i < PROF__COUNT; i++)
        if (strcmp(profile_names[i], pv) == 0)
            break;
    if (i == PROF__COUNT)
        return perr(c, v[MK_PROFILE], field,
                    "unknown profile '%s' (constant, idle, diurnal, weekly, "
                    "busy, spiky)",
                    pv);
    m->profile = (profile_kind)i;
    if ((rc = num_at(c, v[MK_MEAN], field, 0, &m->mean)) != 0 ||
        (rc = num_at(c, v[MK_JITTER], field, 0, &m->jitter)) != 0 ||
        (rc = num_at(c, v[MK_AMPLITUDE], field,
                     m->profile == PROF_BUSY ? 0.1 : 0.5, &m->amplitude)) != 0 ||
        (rc = num_at(c, v[MK_SPIKE], field, m->mean * 10, &m->spike)) != 0 ||
        (rc = num_at(c, v[MK_PROBABILITY], field, 0.02, &m->probability)) != 0)
        return rc;
    if (m->mean < 0 || m->jitter < 0 || m->spike < 0)
        return perr(c, map, field, "mean, jitter and spike must be >= 0");
    if (m->probability < 0 || m->probability > 1 || m->amplitude < 0 ||
        m->amplitude > 1)
        return perr(c, map, field, "amplitude and probability must be in [0, 1]");
    return FC_OK;
}

static int parse_metrics(fc_sim *s, sim_resource *sr, const pctx *c,
                         const yaml_node_t *map, const char *field)
{
    yaml_node_pair_t *p;
    uint64_t idkey = fc_hash_str(sr->r.id, s->seed);
    char sub[160];
    int rc;

    if ((rc = expect(c, map, YAML_MAPPING_NODE, field)) != 0)
        return rc;
    sr->metrics = calloc((size_t)(map->data.mapping.pairs.top -
                                  map->data.mapping.pairs.start) + 1,
                         sizeof(*sr->metrics));
    if (!sr->metrics)
        return fc_error_set(FC_ENOMEM, "out of memory");
    for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        yaml_node_t *kn = node_at(c, p->key);
        const char *k = scalar(kn);
        sim_metric *m = &sr->metrics[sr->nmetrics];
        size_t j;
        if (!k || !*k)
            return perr(c, kn, field, "metric names must be strings");
        if (!(m->metric = intern(s, k)))
            return FC_ENOMEM;
        for (j = 0; j < sr->nmetrics; j++)
            if (sr->metrics[j].metric == m->metric) /* interned */
                return perr(c, kn, field, "duplicate metric '%s'", k);
        sr->nmetrics++;
        join3(sub, sizeof(sub), field, ".", k);
        if ((rc = parse_metric(m, c, node_at(c, p->value), sub)) != 0)
            return rc;
        m->key = fc_hash_str(k, idkey);
        m->percent = strcmp(k, "CPUUtilization") == 0 ||
                     strcmp(k, "MemoryUtilization") == 0;
    }
    return FC_OK;
}

static int cmp_metric(const void *a, const void *b)
{
    return strcmp(((const sim_metric *)a)->metric,
                  ((const sim_metric *)b)->metric);
}

static size_t npairs_of(const yaml_node_t *n)
{
    return n && n->type == YAML_MAPPING_NODE
               ? (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start)
               : 0;
}

enum {
    RK_TYPE, RK_ID, RK_ACCOUNT, RK_REGION, RK_NAME, RK_STATE, RK_CLASS, RK_SIZE,
    RK_ATTACHED, RK_CREATED, RK_TAGS, RK_METRICS, RK_ATTRS, RK__COUNT
};

static int parse_resource(fc_sim *s, const pctx *c, const yaml_node_t *n,
                          size_t idx)
{
    static const char *const keys[] = {"type",       "id",      "account",
                                       "region",     "name",    "state",
                                       "class",      "size",    "attachedTo",
                                       "created",    "tags",    "metrics",
                                       "attrs",      NULL};
    sim_resource *sr = &s->res[s->nres];
    fc_resource *r = &sr->r;
    yaml_node_t *v[RK__COUNT];
    char field[64], f2[80];
    const char *type, *id, *account, *region, *name, *state, *cls, *attached;
    size_t ntags, nattrs, bytes;
    char *at;
    int t, rc;

    memcpy(field, "resources[", 10); /* snprintf costs more, 100k times */
    memcpy(field + 10 + u64_text(field + 10, idx), "]", 2);
    if ((rc = expect(c, n, YAML_MAPPING_NODE, field)) != 0 ||
        (rc = gather_keys(c, n, field, keys, v)) != 0)
        return rc;
    s->nres++; /* owned from here on; the sim frees partial entries */
    sr->index = idx;
    sr->line = line_of(n);
    if ((rc = str_at(c, n, v[RK_TYPE], "type", field, 1, &type)) != 0)
        return rc;
    t = fc_resource_type_parse(type);
    if (t < 0)
        return perr(c, v[RK_TYPE], field, "unknown type '%s'", type);
    r->type = (fc_resource_type)t;
    if ((rc = str_at(c, n, v[RK_ID], "id", field, 1, &id)) != 0 ||
        (rc = str_at(c, n, v[RK_ACCOUNT], "account", field, 1, &account)) != 0 ||
        (rc = str_at(c, n, v[RK_REGION], "region", field, 1, &region)) != 0 ||
        (rc = str_at(c, n, v[RK_NAME], "name", field, 0, &name)) != 0 ||
        (rc = str_at(c, n, v[RK_STATE], "state", field, 0, &state)) != 0 ||
        (rc = str_at(c, n, v[RK_CLASS], "class", field, 0, &cls)) != 0 ||
        (rc = str_at(c, n, v[RK_ATTACHED], "attachedTo", field, 0, &attached)) != 0 ||
        (rc = num_at(c, v[RK_SIZE], field, 0, &r->size)) != 0 ||
        (rc = time_at(c, v[RK_CREATED], field, &r->created)) != 0)
        return rc;
    if (!find_account(s, account))
        return perr(c, v[RK_ACCOUNT], field, "account '%s' is not in accounts",
                    account);
    if (!has_region(s, region))
        return perr(c, v[RK_REGION], field, "region '%s' is not in regions", region);
    if (r->size < 0)
        return perr(c, v[RK_SIZE], field, "size must be >= 0");
    if (!state) {
        /* The state AWS reports when the estate does not say. */
        state = "available";
        if (r->type == FC_RES_EC2_INSTANCE)
            state = "running";
        else if (r->type == FC_RES_EBS_VOLUME && attached)
            state = "in-use";
        else if (r->type == FC_RES_EBS_SNAPSHOT)
            state = "completed";
        else if (r->type == FC_RES_LOAD_BALANCER)
            state = "active";
        else if (r->type == FC_RES_LAMBDA_FUNCTION)
            state = "Active";
    }
    /* One block for what is the resource's own: the tag and attribute
     * arrays, then id, name and attachedTo. */
    ntags = npairs_of(v[RK_TAGS]);
    nattrs = npairs_of(v[RK_ATTRS]);
    bytes = (ntags + nattrs) * sizeof(fc_tag) + fc_str_size(id) +
            fc_str_size(name) + fc_str_size(attached);
    if (!(r->slab = malloc(bytes)))
        return fc_error_set(FC_ENOMEM, "out of memory");
    r->tags = r->slab;
    r->attrs = r->tags + ntags;
    at = (char *)(r->attrs + nattrs);
    r->id = fc_str_pack(&at, id);
    r->name = fc_str_pack(&at, name);
    r->attached_to = fc_str_pack(&at, attached);
    if (!(r->account = intern(s, account)) || !(r->region = intern(s, region)) ||
        !(r->state = intern(s, state)) || (cls && !(r->size_class = intern(s, cls))))
        return FC_ENOMEM;
    if (v[RK_TAGS]) {
        join3(f2, sizeof(f2), field, ".tags", "");
        if ((rc = parse_kvs(s, r->tags, &r->ntags, c, v[RK_TAGS], f2, "tag")) != 0)
            return rc;
    }
    if (v[RK_ATTRS]) {
        join3(f2, sizeof(f2), field, ".attrs", "");
        if ((rc = parse_kvs(s, r->attrs, &r->nattrs, c, v[RK_ATTRS], f2, "attr")) != 0)
            return rc;
    }
    if (!r->ntags)
        r->tags = NULL; /* as fc_resource_copy leaves an empty list */
    if (!r->nattrs)
        r->attrs = NULL;
    if (v[RK_METRICS]) {
        join3(f2, sizeof(f2), field, ".metrics", "");
        if ((rc = parse_metrics(s, sr, c, v[RK_METRICS], f2)) != 0)
            return rc;
        if (sr->nmetrics > 1) /* qsort(NULL, 0) is undefined */
            qsort(sr->metrics, sr->nmetrics, sizeof(*sr->metrics), cmp_metric);
    }
    return FC_OK;
}

/* Duplicate ids, found with a hash set of indexes (estates for benchmarks
 * hold 100k): the first resource in file order whose id came before. */
static int check_duplicate_ids(const fc_sim *s, const pctx *c)
{
    /* A slot keeps the id's hash beside its position: a probe reads
     * another record's id only when the hashes match. */
    struct {
        uint64_t hash;
        size_t at;
    } *slot;
    size_t cap = 16, i, h;
    int rc = FC_OK;

    if (s->nres < 2)
        return FC_OK;
    while (cap < s->nres * 2)
        cap *= 2;
    if (!(slot = malloc(cap * sizeof(*slot))))
        return fc_error_set(FC_ENOMEM, "out of memory");
    memset(slot, 0xff, cap * sizeof(*slot)); /* at SIZE_MAX: empty */
    for (i = 0; i < s->nres && rc == FC_OK; i++) {
        const sim_resource *sr = &s->res[i];
        uint64_t hash = fc_hash_str(sr->r.id, 0);
        for (h = hash & (cap - 1); slot[h].at != SIZE_MAX; h = (h + 1) & (cap - 1))
            if (slot[h].hash == hash && strcmp(s->res[slot[h].at].r.id, sr->r.id) == 0) {
                rc = fc_error_set(FC_EPARSE,
                                  "%s:%u: resources[%zu]: duplicate resource id '%s'",
                                  c->path, sr->line, sr->index, sr->r.id);
                break;
            }
        slot[h].hash = hash;
        slot[h].at = i;
    }
    free(slot);
    return rc;
}

static int parse_resources(fc_sim *s, const pctx *c, const yaml_node_t *seq)
{
    yaml_node_item_t *it;
    size_t i = 0;
    int rc;

    if ((rc = expect(c, seq, YAML_SEQUENCE_NODE, "resources")) != 0)
        return rc;
    s->res = calloc((size_t)(seq->data.sequence.items.top -
                             seq->data.sequence.items.start) + 1,
                    sizeof(*s->res));
    if (!s->res)
        return fc_error_set(FC_ENOMEM, "out of memory");
    for (it = seq->data.sequence.items.start; it < seq->data.sequence.items.top;
         it++, i++)
        if ((rc = parse_resource(s, c, node_at(c, *it), i)) != 0)
            return rc;
    return check_duplicate_ids(s, c);
}

static int parse_cost_lines(fc_sim *s, const pctx *c, const yaml_node_t *seq)
{
    static const char *const keys[] = {"account", "service", "base", "weekend",
                                       "trend",   "noise",   NULL};
    yaml_node_item_t *it;
    char field[64];
    size_t j;
    int rc;

    if ((rc = expect(c, seq, YAML_SEQUENCE_NODE, "costs.lines")) != 0)
        return rc;
    s->lines = calloc((size_t)(seq->data.sequence.items.top -
                               seq->data.sequence.items.start) + 1,
                      sizeof(*s->lines));
    if (!s->lines)
        return fc_error_set(FC_ENOMEM, "out of memory");
    for (it = seq->data.sequence.items.start; it < seq->data.sequence.items.top;
         it++) {
        yaml_node_t *n = node_at(c, *it);
        sim_cost_line *l = &s->lines[s->nlines];
        snprintf(field, sizeof(field), "costs.lines[%zu]", s->nlines);
        if ((rc = expect(c, n, YAML_MAPPING_NODE, field)) != 0 ||
            (rc = check_keys(c, n, field, keys)) != 0)
            return rc;
        s->nlines++;
        if ((rc = get_str(c, n, "account", field, 1, &l->account)) != 0 ||
            (rc = get_str(c, n, "service", field, 1, &l->service)) != 0 ||
            (rc = get_num(c, n, "base", field, 0, &l->base)) != 0 ||
            (rc = get_num(c, n, "weekend", field, 1, &l->weekend)) != 0 ||
            (rc = get_num(c, n, "trend", field, 0, &l->trend)) != 0 ||
            (rc = get_num(c, n, "noise", field, 0, &l->noise)) != 0)
            return rc;
        if (!find_account(s, l->account))
            return perr(c, map_get(c, n, "account"), field,
                        "account '%s' is not in accounts", l->account);
        if (l->base < 0 || l->weekend < 0 || l->noise < 0 || l->noise > 1)
            return perr(c, n, field,
                        "base and weekend must be >= 0, noise in [0, 1]");
        for (j = 0; j + 1 < s->nlines; j++)
            if (strcmp(s->lines[j].account, l->account) == 0 &&
                strcmp(s->lines[j].service, l->service) == 0)
                return perr(c, n, field, "duplicate line for %s / %s",
                            l->account, l->service);
        l->key = fc_hash_str(l->service,
                             fc_hash_str(l->account, s->seed ^ SIM_COST_SALT));
    }
    return FC_OK;
}

static int parse_spikes(fc_sim *s, const pctx *c, const yaml_node_t *seq)
{
    static const char *const keys[] = {"account", "service",   "start",
                                       "days",    "factor",    "note",
                                       "region",  "usageType", "resource",
                                       NULL};
    yaml_node_item_t *it;
    char field[64];
    int rc;

    if ((rc = expect(c, seq, YAML_SEQUENCE_NODE, "costs.spikes")) != 0)
        return rc;
    s->spikes = calloc((size_t)(seq->data.sequence.items.top -
                                seq->data.sequence.items.start) + 1,
                       sizeof(*s->spikes));
    if (!s->spikes)
        return fc_error_set(FC_ENOMEM, "out of memory");
    for (it = seq->data.sequence.items.start; it < seq->data.sequence.items.top;
         it++) {
        yaml_node_t *n = node_at(c, *it);
        sim_spike *sp = &s->spikes[s->nspikes];
        double days;
        snprintf(field, sizeof(field), "costs.spikes[%zu]", s->nspikes);
        if ((rc = expect(c, n, YAML_MAPPING_NODE, field)) != 0 ||
            (rc = check_keys(c, n, field, keys)) != 0)
            return rc;
        s->nspikes++;
        if ((rc = get_str(c, n, "account", field, 1, &sp->account)) != 0 ||
            (rc = get_str(c, n, "service", field, 1, &sp->service)) != 0 ||
            (rc = get_time(c, n, "start", field, &sp->start)) != 0 ||
            (rc = get_num(c, n, "days", field, 1, &days)) != 0 ||
            (rc = get_num(c, n, "factor", field, 1, &sp->factor)) != 0 ||
            (rc = get_str(c, n, "region", field, 0, &sp->region)) != 0 ||
            (rc = get_str(c, n, "usageType", field, 0, &sp->usage_type)) != 0 ||
            (rc = get_str(c, n, "resource", field, 0, &sp->resource)) != 0)
            return rc;
        if (!map_get(c, n, "start"))
            return perr(c, n, field, "missing required key 'start'");
        if (days < 1 || days > 366 || days != floor(days) || sp->factor < 0)
            return perr(c, n, field,
                        "days must be a whole number in [1, 366], factor >= 0");
        sp->days = (int)days;
        sp->start = floor_div(sp->start, FC_DAY) * FC_DAY;
    }
    return FC_OK;
}

static int parse_costs(fc_sim *s, const pctx *c, const yaml_node_t *map)
{
    static const char *const keys[] = {"anchor", "since", "lines", "spikes",
                                       NULL};
    yaml_node_t *n;
    int rc;

    if ((rc = expect(c, map, YAML_MAPPING_NODE, "costs")) != 0 ||
        (rc = check_keys(c, map, "costs", keys)) != 0 ||
        (rc = get_time(c, map, "anchor", "costs.anchor", &s->cost_anchor)) !=
            0 ||
        (rc = get_time(c, map, "since", "costs.since", &s->cost_since)) != 0)
        return rc;
    if ((n = map_get(c, map, "lines")) != NULL &&
        (rc = parse_cost_lines(s, c, n)) != 0)
        return rc;
    if ((n = map_get(c, map, "spikes")) != NULL &&
        (rc = parse_spikes(s, c, n)) != 0)
        return rc;
    if (s->nlines && !map_get(c, map, "anchor"))
        return perr(c, map, "costs", "missing required key 'anchor'");
    return FC_OK;
}

/* The estate's order: account, region, type, id.  Sorted by keys that
 * hold what the order reads (the record's strings are interned, the id's
 * first 24 bytes are in fc_str_key), so most comparisons of 100k
 * resources touch neither the 160-byte records nor the id strings. */
typedef struct {
    const char *account, *region, *id;
    fc_str_key key;
    size_t at; /* position in s->res */
    int type;
} res_key;

static int cmp_res_key(const void *a, const void *b)
{
    const res_key *x = a, *y = b;
    int d;
    /* Interned: the same account or region is the same pointer. */
    if (x->account != y->account && (d = strcmp(x->account, y->account)) != 0)
        return d;
    if (x->region != y->region && (d = strcmp(x->region, y->region)) != 0)
        return d;
    if (x->type != y->type)
        return x->type - y->type;
    return fc_str_key_cmp(&x->key, x->id, &y->key, y->id);
}

/* Sorts s->res into the estate's order (ties cannot occur: duplicate ids
 * are refused), then moves the records in place, cycle by cycle: a sorted
 * copy would touch another 16 MiB. */
static int sort_resources(fc_sim *s)
{
    res_key *k;
    size_t *from, i, j, n;

    if (s->nres < 2)
        return FC_OK;
    k = malloc(s->nres * sizeof(*k));
    from = malloc(s->nres * sizeof(*from));
    if (!k || !from) {
        free(k);
        free(from);
        return fc_error_set(FC_ENOMEM, "out of memory");
    }
    for (i = 0; i < s->nres; i++) {
        const fc_resource *r = &s->res[i].r;
        k[i].account = r->account;
        k[i].region = r->region;
        k[i].id = r->id;
        k[i].type = (int)r->type;
        k[i].at = i;
        fc_str_key_of(&k[i].key, r->id);
    }
    qsort(k, s->nres, sizeof(*k), cmp_res_key);
    for (i = 0; i < s->nres; i++)
        from[i] = k[i].at;
    free(k);
    /* res[i] takes what was at from[i]. */
    for (i = 0; i < s->nres; i++) {
        sim_resource tmp;
        if (from[i] == i)
            continue;
        tmp = s->res[i];
        for (j = i;; j = n) {
            n = from[j];
            from[j] = j;
            if (n == i) {
                s->res[j] = tmp;
                break;
            }
            s->res[j] = s->res[n];
        }
    }
    free(from);
    return FC_OK;
}

static int cmp_line(const void *a, const void *b)
{
    const sim_cost_line *x = a, *y = b;
    int d = strcmp(x->account, y->account);
    return d ? d : strcmp(x->service, y->service);
}

/* Root keys, seed, currency, accounts and regions: what resources are
 * checked against, so the streaming loader runs it before the first one. */
static const char *const root_keys[] = {"seed",      "currency", "accounts",
                                         "regions",   "resources", "costs",
                                         NULL};

static int parse_head(fc_sim *s, const pctx *c)
{
    yaml_node_t *root = yaml_document_get_root_node(c->doc);
    yaml_node_t *n;
    double seed;
    int rc;

    if (!root)
        return fc_error_set(FC_EPARSE, "%s: empty estate file", c->path);
    if ((rc = expect(c, root, YAML_MAPPING_NODE, "(root)")) != 0 ||
        (rc = check_keys(c, root, "(root)", root_keys)) != 0)
        return rc;
    if ((rc = get_num(c, root, "seed", "seed", 0, &seed)) != 0)
        return rc;
    if (seed < 0 || seed != floor(seed) || seed > 9007199254740992.0)
        return perr(c, map_get(c, root, "seed"), "seed",
                    "must be a non-negative integer");
    s->seed = (uint64_t)seed;
    if ((rc = get_str(c, root, "currency", "currency", 0, &s->currency)) != 0)
        return rc;
    if (!s->currency && !(s->currency = fc_strdup("USD")))
        return fc_error_set(FC_ENOMEM, "out of memory");
    if (!(n = map_get(c, root, "accounts")))
        return perr(c, root, "(root)", "missing required key 'accounts'");
    if ((rc = parse_accounts(s, c, n)) != 0)
        return rc;
    if (!(n = map_get(c, root, "regions")))
        return perr(c, root, "(root)", "missing required key 'regions'");
    return parse_regions(s, c, n);
}

/* Resources (unless the streaming loader did them), costs, and the sorts. */
static int parse_tail(fc_sim *s, const pctx *c, int resources_done)
{
    yaml_node_t *root = yaml_document_get_root_node(c->doc);
    yaml_node_t *n;
    int rc;

    /* Keys after `resources` arrived after parse_head() when streaming. */
    if (resources_done && (rc = check_keys(c, root, "(root)", root_keys)) != 0)
        return rc;
    if (!(n = map_get(c, root, "resources")))
        return perr(c, root, "(root)", "missing required key 'resources'");
    if (!resources_done && (rc = parse_resources(s, c, n)) != 0)
        return rc;
    if ((n = map_get(c, root, "costs")) != NULL &&
        (rc = parse_costs(s, c, n)) != 0)
        return rc;
    if (resources_done && s->res) {
        /* The streaming loaders grew s->res by doubling: give back the
         * spare room, kept for the whole pass otherwise. */
        sim_resource *fit = realloc(s->res, (s->nres + 1) * sizeof(*s->res));
        if (fit)
            s->res = fit;
    }
    if ((rc = sort_resources(s)) != FC_OK)
        return rc;
    if (s->nlines > 1) /* qsort(NULL, 0) is undefined */
        qsort(s->lines, s->nlines, sizeof(*s->lines), cmp_line);
    return FC_OK;
}

static int parse_estate(fc_sim *s, const pctx *c)
{
    int rc = parse_head(s, c);
    return rc ? rc : parse_tail(s, c, 0);
}

/* ---- streaming estate loader ---------------------------------------------
 *
 * A 100k-resource estate is 30 MB of YAML; as one libyaml document tree it
 * takes most of a gigabyte.  The streaming loader reads events
 * (yaml_parser_parse) and lays out each item of `resources` as nodes (a
 * view, see "YAML items as views" below), parsed by the same
 * parse_resource() and dropped at once; everything else
 * goes into one small document for parse_head()/parse_tail().  Nodes keep
 * their start marks, so messages name the same lines.
 *
 * It handles the common shape only.  Anything else (an alias, `resources`
 * before `accounts` or `regions`, more than one `resources`) and every
 * error make fc_sim_open() start over with the whole-document loader, so
 * odd files and error messages behave exactly as before.
 */

#define SIM_MAX_DEPTH 64
#define STREAM_GIVE_UP 1 /* not an fc_code: "use the whole-document loader" */

typedef struct {
    yaml_parser_t parser;
    int have_event;
    yaml_event_t ev;
} stream;

static int next_event(stream *st)
{
    if (st->have_event) {
        yaml_event_delete(&st->ev);
        st->have_event = 0;
    }
    if (!yaml_parser_parse(&st->parser, &st->ev))
        return STREAM_GIVE_UP; /* the whole-document loader words the error */
    st->have_event = 1;
    return FC_OK;
}

static int set_mark(yaml_document_t *doc, int id, const yaml_event_t *ev)
{
    yaml_node_t *n;
    if (!id || !(n = yaml_document_get_node(doc, id)))
        return fc_error_set(FC_ENOMEM, "out of memory");
    n->start_mark = ev->start_mark;
    n->end_mark = ev->end_mark;
    return FC_OK;
}

/* Appends to doc the node starting at the current event; *id its id.  On
 * return the current event is the node's last one. */
static int load_node(stream *st, yaml_document_t *doc, int depth, int *id)
{
    yaml_event_t *ev = &st->ev;
    int rc, child, key;

    *id = 0;
    if (depth > SIM_MAX_DEPTH)
        return STREAM_GIVE_UP;
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        if (ev->data.scalar.anchor)
            return STREAM_GIVE_UP;
        *id = yaml_document_add_scalar(doc, ev->data.scalar.tag, ev->data.scalar.value,
                                       (int)ev->data.scalar.length, ev->data.scalar.style);
        return set_mark(doc, *id, ev);
    case YAML_SEQUENCE_START_EVENT:
        if (ev->data.sequence_start.anchor)
            return STREAM_GIVE_UP;
        *id = yaml_document_add_sequence(doc, ev->data.sequence_start.tag,
                                         ev->data.sequence_start.style);
        if ((rc = set_mark(doc, *id, ev)) != FC_OK)
            return rc;
        for (;;) {
            if ((rc = next_event(st)) != FC_OK)
                return rc;
            if (ev->type == YAML_SEQUENCE_END_EVENT)
                return FC_OK;
            if ((rc = load_node(st, doc, depth + 1, &child)) != FC_OK)
                return rc;
            if (!yaml_document_append_sequence_item(doc, *id, child))
                return fc_error_set(FC_ENOMEM, "out of memory");
        }
    case YAML_MAPPING_START_EVENT:
        if (ev->data.mapping_start.anchor)
            return STREAM_GIVE_UP;
        *id = yaml_document_add_mapping(doc, ev->data.mapping_start.tag,
                                        ev->data.mapping_start.style);
        if ((rc = set_mark(doc, *id, ev)) != FC_OK)
            return rc;
        for (;;) {
            if ((rc = next_event(st)) != FC_OK)
                return rc;
            if (ev->type == YAML_MAPPING_END_EVENT)
                return FC_OK;
            if ((rc = load_node(st, doc, depth + 1, &key)) != FC_OK ||
                (rc = next_event(st)) != FC_OK ||
                (rc = load_node(st, doc, depth + 1, &child)) != FC_OK)
                return rc;
            if (!yaml_document_append_mapping_pair(doc, *id, key, child))
                return fc_error_set(FC_ENOMEM, "out of memory");
        }
    default: /* aliases: the whole-document loader resolves them */
        return STREAM_GIVE_UP;
    }
}

static int new_doc(yaml_document_t *doc)
{
    if (!yaml_document_initialize(doc, NULL, NULL, NULL, 1, 1))
        return fc_error_set(FC_ENOMEM, "out of memory");
    return FC_OK;
}

/* Room for one more resource, zeroed. */
static int grow_res(fc_sim *s, size_t *cap)
{
    if (s->nres == *cap) {
        sim_resource *p;
        size_t n = *cap ? *cap * 2 : 1024;
        if (!(p = realloc(s->res, (n + 1) * sizeof(*p))))
            return fc_error_set(FC_ENOMEM, "out of memory");
        s->res = p;
        *cap = n;
    }
    memset(&s->res[s->nres], 0, sizeof(*s->res));
    return FC_OK;
}

/* The items of `resources`, each checked on its own and freed (below, as
 * it borrows the JSON Lines loader's views); the current event is the
 * sequence start, and is its end on return. */
static int stream_resources(fc_sim *s, stream *st, const char *path);

static int doc_has_key(const pctx *c, const char *key)
{
    return map_get(c, yaml_document_get_root_node(c->doc), key) != NULL;
}

/* The streaming loader: FC_OK, or anything else to start over with the
 * whole-document loader (which then reports any error itself). */
static int stream_estate(fc_sim *s, const char *path, const char *data, size_t len)
{
    stream st;
    yaml_document_t top;
    const char *kname;
    pctx c;
    int rc, root = 0, key, val, done = 0;

    memset(&st, 0, sizeof(st));
    if (!yaml_parser_initialize(&st.parser))
        return fc_error_set(FC_ENOMEM, "out of memory");
    yaml_parser_set_input_string(&st.parser, (const unsigned char *)data, len);
    if ((rc = new_doc(&top)) != FC_OK) {
        yaml_parser_delete(&st.parser);
        return rc;
    }
    c.path = path;
    c.doc = &top;
    if ((rc = next_event(&st)) != FC_OK || st.ev.type != YAML_STREAM_START_EVENT ||
        (rc = next_event(&st)) != FC_OK || st.ev.type != YAML_DOCUMENT_START_EVENT ||
        (rc = next_event(&st)) != FC_OK || st.ev.type != YAML_MAPPING_START_EVENT ||
        st.ev.data.mapping_start.anchor) {
        rc = STREAM_GIVE_UP; /* empty, or not a mapping: the old loader says so */
        goto done;
    }
    root = yaml_document_add_mapping(&top, st.ev.data.mapping_start.tag,
                                     st.ev.data.mapping_start.style);
    if ((rc = set_mark(&top, root, &st.ev)) != FC_OK)
        goto done;
    for (;;) {
        if ((rc = next_event(&st)) != FC_OK)
            goto done;
        if (st.ev.type == YAML_MAPPING_END_EVENT)
            break;
        if ((rc = load_node(&st, &top, 1, &key)) != FC_OK ||
            (rc = next_event(&st)) != FC_OK)
            goto done;
        kname = scalar(yaml_document_get_node(&top, key));
        if (st.ev.type == YAML_SEQUENCE_START_EVENT && kname &&
            strcmp(kname, "resources") == 0) {
            /* The resources themselves stay out of `top`: an empty
             * sequence with the same mark stands in for them. */
            if (done || !doc_has_key(&c, "accounts") || !doc_has_key(&c, "regions") ||
                doc_has_key(&c, "resources")) {
                rc = STREAM_GIVE_UP;
                goto done;
            }
            val = yaml_document_add_sequence(&top, NULL, st.ev.data.sequence_start.style);
            if ((rc = set_mark(&top, val, &st.ev)) != FC_OK)
                goto done;
            if (!yaml_document_append_mapping_pair(&top, root, key, val)) {
                rc = fc_error_set(FC_ENOMEM, "out of memory");
                goto done;
            }
            if ((rc = parse_head(s, &c)) != FC_OK ||
                (rc = stream_resources(s, &st, path)) != FC_OK ||
                (rc = check_duplicate_ids(s, &c)) != FC_OK)
                goto done;
            done = 1;
            continue;
        }
        if ((rc = load_node(&st, &top, 1, &val)) != FC_OK)
            goto done;
        if (!yaml_document_append_mapping_pair(&top, root, key, val)) {
            rc = fc_error_set(FC_ENOMEM, "out of memory");
            goto done;
        }
    }
    /* The rest of the stream must parse too, as the whole-document loader
     * would have checked (it stops after the first document). */
    if ((rc = next_event(&st)) != FC_OK || st.ev.type != YAML_DOCUMENT_END_EVENT) {
        rc = STREAM_GIVE_UP;
        goto done;
    }
    if (!done) {
        rc = STREAM_GIVE_UP; /* no resources sequence: the old loader explains */
        goto done;
    }
    rc = parse_tail(s, &c, 1);
done:
    if (st.have_event)
        yaml_event_delete(&st.ev);
    yaml_parser_delete(&st.parser);
    yaml_document_delete(&top);
    return rc;
}

/* ---- JSON Lines estate ---------------------------------------------------
 *
 * YAML cannot be parsed fast enough at 100k resources, so an estate whose
 * path ends in ".jsonl" is read as JSON Lines instead: one JSON object per
 * line, parsed with one json_tokener and freed before the next: the file
 * is never held whole, nor as one JSON tree (json-c would take ~500 MB at
 * 100k resources).  Each object is laid out as yaml
 * nodes marked with its line and handed to the same parse_*() functions as
 * the YAML estate, so the checks and the messages are the same.
 *
 * The nodes are built in arrays reused from line to line, and scalars
 * borrow their text from the json objects, which outlive them: libyaml's
 * document API would copy every string and tag once more.  Only
 * yaml_document_get_node() and friends ever read such a document; it is
 * never given to yaml_document_delete().
 */

#define JSONL_HINT                                                                       \
    "lines after the first hold {\"resource\": {...}} or {\"costs\": {...}}"

static int lerr(const char *path, unsigned line, const char *field, const char *fmt,
                ...) __attribute__((format(printf, 4, 5)));

static int lerr(const char *path, unsigned line, const char *field, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return fc_error_set(FC_EPARSE, "%s:%u: %s: %s", path, line, field, msg);
}

typedef struct {
    yaml_document_t doc;  /* only doc.nodes is set: a view for parse_*() */
    yaml_node_pair_t *pairs;
    yaml_node_item_t *items;
    char *text;           /* integers, printed */
    size_t npairs, nitems, ntext;
    size_t node_cap, pair_cap, item_cap, text_cap;
    const char *path;
} jdoc;

#define JDOC_INT_TEXT 24 /* "-9223372036854775808" and a NUL */

static void jdoc_dispose(jdoc *b)
{
    free(b->doc.nodes.start);
    free(b->pairs);
    free(b->items);
    free(b->text);
}

typedef struct {
    size_t nodes, pairs, items, text;
} jdoc_size;

/* What v will take of b's arrays. */
static void jdoc_count(json_object *v, jdoc_size *z)
{
    z->nodes++;
    if (json_object_is_type(v, json_type_object)) {
        json_object_object_foreach(v, k, child) {
            (void)k;
            z->nodes++;
            z->pairs++;
            jdoc_count(child, z);
        }
    } else if (json_object_is_type(v, json_type_array)) {
        size_t i, n = json_object_array_length(v);
        z->items += n;
        for (i = 0; i < n; i++)
            jdoc_count(json_object_array_get_idx(v, i), z);
    } else if (json_object_is_type(v, json_type_int)) {
        z->text += JDOC_INT_TEXT;
    }
}

static int grow(void **p, size_t *cap, size_t want, size_t size)
{
    void *q;
    size_t n = *cap ? *cap : 64;
    if (want <= *cap && *p) /* allocated even for 0: no NULL + 0 */
        return FC_OK;
    while (n < want)
        n *= 2;
    if (!(q = realloc(*p, n * size)))
        return fc_error_set(FC_ENOMEM, "out of memory");
    *p = q;
    *cap = n;
    return FC_OK;
}

/* Empties b with room for z: nothing moves while it is filled, so the
 * nodes' pointers stay good. */
static int jdoc_reset(jdoc *b, const jdoc_size *z)
{
    void *p = b->doc.nodes.start;
    int rc;
    if ((rc = grow(&p, &b->node_cap, z->nodes, sizeof(yaml_node_t))) != FC_OK)
        return rc;
    b->doc.nodes.start = b->doc.nodes.top = p;
    b->doc.nodes.end = b->doc.nodes.start + b->node_cap;
    b->npairs = b->nitems = b->ntext = 0;
    p = b->pairs;
    if ((rc = grow(&p, &b->pair_cap, z->pairs, sizeof(*b->pairs))) != FC_OK)
        return rc;
    b->pairs = p;
    p = b->items;
    if ((rc = grow(&p, &b->item_cap, z->items, sizeof(*b->items))) != FC_OK)
        return rc;
    b->items = p;
    p = b->text;
    if ((rc = grow(&p, &b->text_cap, z->text, 1)) != FC_OK)
        return rc;
    b->text = p;
    return FC_OK;
}

/* A new node of type t; its id is its 1-based index, as in libyaml. */
static yaml_node_t *jdoc_node(jdoc *b, yaml_node_type_t t, const yaml_mark_t *mark,
                              int *id)
{
    yaml_node_t *n = b->doc.nodes.top++;
    assert(n < b->doc.nodes.end);
    memset(n, 0, sizeof(*n));
    n->type = t;
    n->start_mark = *mark;
    n->end_mark = *mark;
    *id = (int)(n - b->doc.nodes.start) + 1;
    return n;
}

static int jdoc_scalar(jdoc *b, const char *text, size_t len, const yaml_mark_t *mark)
{
    int id;
    yaml_node_t *n = jdoc_node(b, YAML_SCALAR_NODE, mark, &id);
    n->data.scalar.value = (yaml_char_t *)(uintptr_t)text; /* borrowed, read-only */
    n->data.scalar.length = len;
    n->data.scalar.style = YAML_PLAIN_SCALAR_STYLE;
    return id;
}

/* Mapping pairs of one node, contiguous, filled in by the caller. */
static yaml_node_t *jdoc_mapping(jdoc *b, size_t npairs, const yaml_mark_t *mark, int *id)
{
    yaml_node_t *n = jdoc_node(b, YAML_MAPPING_NODE, mark, id);
    assert(b->npairs + npairs <= b->pair_cap);
    n->data.mapping.pairs.start = b->pairs + b->npairs;
    n->data.mapping.pairs.top = n->data.mapping.pairs.start;
    n->data.mapping.pairs.end = n->data.mapping.pairs.start + npairs;
    n->data.mapping.style = YAML_FLOW_MAPPING_STYLE;
    b->npairs += npairs;
    return n;
}

/* A sequence node of n items; returns the items for the caller to fill. */
static yaml_node_item_t *jdoc_sequence(jdoc *b, size_t n, const yaml_mark_t *mark, int *id)
{
    yaml_node_t *seq = jdoc_node(b, YAML_SEQUENCE_NODE, mark, id);
    yaml_node_item_t *it = b->items + b->nitems;
    assert(b->nitems + n <= b->item_cap);
    b->nitems += n;
    seq->data.sequence.items.start = it;
    seq->data.sequence.items.top = it + n;
    seq->data.sequence.items.end = it + n;
    seq->data.sequence.style = YAML_FLOW_SEQUENCE_STYLE;
    return it;
}

/* Well-formed UTF-8 (RFC 3629), as libyaml demands of a YAML estate.
 * Checked on the raw line, cheaper than the tokener's check: JSON outside
 * strings is ASCII, and json-c decodes \u escapes to valid UTF-8. */
static int utf8_ok(const unsigned char *p, size_t n)
{
    size_t i, j, k;
    uint64_t any = 0, w;
    uint32_t cp;

    /* All ASCII, the usual case: one pass, eight bytes at a time. */
    for (i = 0; i + 8 <= n; i += 8) {
        memcpy(&w, p + i, 8);
        any |= w;
    }
    for (; i < n; i++)
        any |= p[i];
    if (!(any & 0x8080808080808080ULL))
        return 1;
    i = 0;
    while (i < n) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        if (p[i] >= 0xc2 && p[i] <= 0xdf)
            k = 1, cp = p[i] & 0x1f;
        else if (p[i] >= 0xe0 && p[i] <= 0xef)
            k = 2, cp = p[i] & 0x0f;
        else if (p[i] >= 0xf0 && p[i] <= 0xf4)
            k = 3, cp = p[i] & 0x07;
        else
            return 0;
        if (n - i <= k)
            return 0;
        for (j = 1; j <= k; j++) {
            if ((p[i + j] & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (p[i + j] & 0x3f);
        }
        if ((k == 2 && cp < 0x800) || (k == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += k + 1;
    }
    return 1;
}

/* A string scalar (a value or a key); the yaml nodes end at a NUL. */
static int jdoc_string(jdoc *b, const char *text, size_t len, const yaml_mark_t *mark,
                       int *id)
{
    if (memchr(text, '\0', len))
        return lerr(b->path, (unsigned)mark->line + 1, "(line)",
                    "strings must not contain \\u0000");
    *id = jdoc_scalar(b, text, len, mark);
    return FC_OK;
}

static int jdoc_add(jdoc *b, json_object *v, const yaml_mark_t *mark, int *id);

/* Appends key: v to mapping n (room reserved by jdoc_mapping). */
static int jdoc_pair(jdoc *b, yaml_node_t *n, const char *key, json_object *v,
                     const yaml_mark_t *mark)
{
    yaml_node_pair_t *p = n->data.mapping.pairs.top++;
    assert(p < n->data.mapping.pairs.end);
    /* A key is a C string: no NUL inside its strlen to look for. */
    p->key = jdoc_scalar(b, key, strlen(key), mark);
    return jdoc_add(b, v, mark, &p->value);
}

/* Appends v as nodes; *id the new node.  Scalars carry the text a YAML
 * scalar would: a number as written (json-c keeps the text of a parsed
 * double; integers past 64 bits saturate), true or false, and null as an
 * empty value, like `key:` in YAML.  The tokener's depth limit bounds the
 * recursion; jdoc_reset() made the room. */
static int jdoc_add(jdoc *b, json_object *v, const yaml_mark_t *mark, int *id)
{
    const char *text;
    int rc;

    switch (json_object_get_type(v)) {
    case json_type_null:
        *id = jdoc_scalar(b, "", 0, mark);
        return FC_OK;
    case json_type_string:
        return jdoc_string(b, json_object_get_string(v),
                           (size_t)json_object_get_string_len(v), mark, id);
    case json_type_array: {
        size_t i, n = json_object_array_length(v);
        yaml_node_item_t *it = jdoc_sequence(b, n, mark, id);
        for (i = 0; i < n; i++) {
            rc = jdoc_add(b, json_object_array_get_idx(v, i), mark, &it[i]);
            if (rc != FC_OK)
                return rc;
        }
        return FC_OK;
    }
    case json_type_object: {
        size_t n = (size_t)json_object_object_length(v);
        yaml_node_t *map = jdoc_mapping(b, n, mark, id);
        json_object_object_foreach(v, k, child) {
            if ((rc = jdoc_pair(b, map, k, child, mark)) != FC_OK)
                return rc;
        }
        return FC_OK;
    }
    case json_type_boolean:
        text = json_object_get_boolean(v) ? "true" : "false";
        break;
    case json_type_int: {
        char *t = b->text + b->ntext;
        int64_t i = json_object_get_int64(v);
        assert(b->ntext + JDOC_INT_TEXT <= b->text_cap);
        if (i == INT64_MAX) /* json-c keeps a uint64, or saturates */
            u64_text(t, json_object_get_uint64(v));
        else if (i < 0) {
            t[0] = '-';
            u64_text(t + 1, 0 - (uint64_t)i);
        } else {
            u64_text(t, (uint64_t)i);
        }
        b->ntext += JDOC_INT_TEXT;
        text = t;
        break;
    }
    default: /* double: the text json_tokener_parse_ex() keeps as userdata */
        text = json_object_get_userdata(v);
        if (!text)
            text = json_object_get_string(v);
        break;
    }
    *id = jdoc_scalar(b, text, strlen(text), mark);
    return FC_OK;
}

/* Room for the nodes of any JSON text of len bytes: every node takes at
 * least one byte of it, a pair four ("":1), an item two ([1,), an integer
 * one.  Cheaper than walking the tree (jdoc_count) for a line of a few
 * hundred bytes; long ones are counted, so the room stays small. */
#define JDOC_BOUND_LINE 8192

/* b holds v alone, v's root is node 1; len: the bytes v was parsed from
 * (0 = unknown). */
static int jdoc_load(jdoc *b, json_object *v, size_t len, const yaml_mark_t *mark)
{
    jdoc_size z = {0, 0, 0, 0};
    int rc, id;
    if (len && len <= JDOC_BOUND_LINE) {
        z.nodes = len;
        z.pairs = len / 4 + 1;
        z.items = len / 2 + 1;
        z.text = len * JDOC_INT_TEXT;
    } else {
        jdoc_count(v, &z);
    }
    if ((rc = jdoc_reset(b, &z)) != FC_OK)
        return rc;
    return jdoc_add(b, v, mark, &id);
}

/* ---- YAML items as views ----------------------------------------------
 *
 * stream_resources() takes the events of one item of `resources` and lays
 * them out as nodes in a jdoc, as the JSON Lines loader does: scalars
 * borrow the events' text, kept until the item is checked.  A libyaml
 * document per item copied every scalar, and its tag, once more: a quarter
 * of the time to load a large YAML estate.
 */

typedef struct {
    yaml_event_t *ev;
    size_t *kids; /* of a sequence or mapping start: its child nodes */
    size_t n, cap;
} evbuf;

static void evbuf_clear(evbuf *e)
{
    size_t i;
    for (i = 0; i < e->n; i++)
        yaml_event_delete(&e->ev[i]);
    e->n = 0;
}

/* Moves the current event into e. */
static int evbuf_take(evbuf *e, stream *st)
{
    if (e->n == e->cap) {
        size_t n = e->cap ? e->cap * 2 : 64;
        yaml_event_t *ev = realloc(e->ev, n * sizeof(*ev));
        size_t *kids;
        if (!ev)
            return fc_error_set(FC_ENOMEM, "out of memory");
        e->ev = ev;
        if (!(kids = realloc(e->kids, n * sizeof(*kids))))
            return fc_error_set(FC_ENOMEM, "out of memory");
        e->kids = kids;
        e->cap = n;
    }
    e->ev[e->n] = st->ev;
    e->kids[e->n++] = 0;
    st->have_event = 0; /* e frees it */
    return FC_OK;
}

/* The events of the node starting at the current event, into e, and what
 * its nodes take, into z; gives up where load_node() would (anchors,
 * aliases, depth).  On return every event of the node is in e. */
static int collect_node(stream *st, evbuf *e, jdoc_size *z)
{
    size_t open[SIM_MAX_DEPTH]; /* the containers not yet ended */
    size_t depth = 0;
    int rc;

    for (;;) {
        const yaml_event_t *ev = &st->ev;
        if (ev->type == YAML_SEQUENCE_END_EVENT || ev->type == YAML_MAPPING_END_EVENT) {
            size_t at = open[--depth];
            if (ev->type == YAML_MAPPING_END_EVENT)
                z->pairs += e->kids[at] / 2;
            else
                z->items += e->kids[at];
        } else {
            if (depth + 1 > SIM_MAX_DEPTH)
                return STREAM_GIVE_UP;
            if ((ev->type == YAML_SCALAR_EVENT && ev->data.scalar.anchor) ||
                (ev->type == YAML_SEQUENCE_START_EVENT &&
                 ev->data.sequence_start.anchor) ||
                (ev->type == YAML_MAPPING_START_EVENT && ev->data.mapping_start.anchor) ||
                (ev->type != YAML_SCALAR_EVENT && ev->type != YAML_SEQUENCE_START_EVENT &&
                 ev->type != YAML_MAPPING_START_EVENT))
                return STREAM_GIVE_UP; /* aliases: the whole-document loader */
            z->nodes++;
            if (depth)
                e->kids[open[depth - 1]]++;
            if (ev->type != YAML_SCALAR_EVENT)
                open[depth++] = e->n;
        }
        if ((rc = evbuf_take(e, st)) != FC_OK)
            return rc;
        if (!depth)
            return FC_OK;
        if ((rc = next_event(st)) != FC_OK)
            return rc;
    }
}

/* The node of e->ev[*i] and its children into b (room made by
 * jdoc_reset()); its id.  *i moves past its events. */
static int build_node(jdoc *b, const evbuf *e, size_t *i)
{
    const yaml_event_t *ev = &e->ev[*i];
    size_t k, n = e->kids[*i];
    int id;

    (*i)++;
    if (ev->type == YAML_SCALAR_EVENT)
        return jdoc_scalar(b, (const char *)ev->data.scalar.value,
                           ev->data.scalar.length, &ev->start_mark);
    if (ev->type == YAML_SEQUENCE_START_EVENT) {
        yaml_node_item_t *it = jdoc_sequence(b, n, &ev->start_mark, &id);
        for (k = 0; k < n; k++)
            it[k] = build_node(b, e, i);
    } else {
        yaml_node_t *map = jdoc_mapping(b, n / 2, &ev->start_mark, &id);
        for (k = 0; k < n / 2; k++) {
            yaml_node_pair_t *p = map->data.mapping.pairs.top++;
            p->key = build_node(b, e, i);
            p->value = build_node(b, e, i);
        }
    }
    (*i)++; /* the end event */
    return id;
}

static int stream_resources(fc_sim *s, stream *st, const char *path)
{
    jdoc b;
    evbuf e;
    size_t cap = 0, idx = 0, i;
    int rc;

    memset(&b, 0, sizeof(b));
    memset(&e, 0, sizeof(e));
    b.path = path;
    for (;;) {
        jdoc_size z = {0, 0, 0, 0};
        pctx c = {path, &b.doc};
        if ((rc = next_event(st)) != FC_OK || st->ev.type == YAML_SEQUENCE_END_EVENT)
            break;
        if ((rc = grow_res(s, &cap)) != FC_OK || (rc = collect_node(st, &e, &z)) != FC_OK ||
            (rc = jdoc_reset(&b, &z)) != FC_OK)
            break;
        i = 0;
        build_node(&b, &e, &i);
        rc = parse_resource(s, &c, node_at(&c, 1), idx++);
        evbuf_clear(&e);
        if (rc != FC_OK)
            break;
    }
    evbuf_clear(&e);
    free(e.ev);
    free(e.kids);
    jdoc_dispose(&b);
    return rc;
}

typedef struct {
    const char *path;
    json_tokener *tok;
    jdoc b;
    json_object *head;   /* line 1, kept for the root built at the end */
    json_object *costs;  /* the costs line's value, kept likewise */
    yaml_mark_t head_mark, costs_mark;
    size_t cap;          /* of s->res */
} jsonl;

/* The first line: the root keys other than resources and costs. */
static int jsonl_head(fc_sim *s, jsonl *j, json_object *o, const yaml_mark_t *mark)
{
    pctx c = {j->path, &j->b.doc};
    unsigned line = (unsigned)mark->line + 1;
    int rc;

    if (!json_object_is_type(o, json_type_object))
        return lerr(j->path, line, "(root)", "must be a JSON object");
    if (json_object_object_get_ex(o, "resources", NULL) ||
        json_object_object_get_ex(o, "costs", NULL))
        return lerr(j->path, line, "(root)",
                    "resources and costs are not in the first line; " JSONL_HINT);
    if ((rc = jdoc_load(&j->b, o, 0, mark)) != FC_OK || (rc = parse_head(s, &c)) != FC_OK)
        return rc;
    j->head = json_object_get(o);
    j->head_mark = *mark;
    return FC_OK;
}

static int jsonl_resource(fc_sim *s, jsonl *j, json_object *v, size_t len,
                          const yaml_mark_t *mark)
{
    pctx c = {j->path, &j->b.doc};
    int rc;

    if ((rc = grow_res(s, &j->cap)) != FC_OK ||
        (rc = jdoc_load(&j->b, v, len, mark)) != FC_OK)
        return rc;
    return parse_resource(s, &c, yaml_document_get_root_node(&j->b.doc), s->nres);
}

/* The root as the YAML loader would have it: the head's keys, resources
 * (an empty stand-in, as when streaming) and costs; for parse_tail(). */
static int jsonl_root(jsonl *j)
{
    jdoc_size z = {3, 1, 0, 0}; /* resources: [] */
    size_t npairs;
    yaml_node_t *root;
    int rc, id;

    jdoc_count(j->head, &z);
    if (j->costs) {
        z.nodes++;
        z.pairs++;
        jdoc_count(j->costs, &z);
    }
    if ((rc = jdoc_reset(&j->b, &z)) != FC_OK)
        return rc;
    npairs = (size_t)json_object_object_length(j->head) + 1 + (j->costs != NULL);
    root = jdoc_mapping(&j->b, npairs, &j->head_mark, &id);
    json_object_object_foreach(j->head, k, v) {
        if ((rc = jdoc_pair(&j->b, root, k, v, &j->head_mark)) != FC_OK)
            return rc;
    }
    root->data.mapping.pairs.top->key = jdoc_scalar(&j->b, "resources", 9, &j->head_mark);
    jdoc_node(&j->b, YAML_SEQUENCE_NODE, &j->head_mark,
              &root->data.mapping.pairs.top->value);
    root->data.mapping.pairs.top++;
    return j->costs ? jdoc_pair(&j->b, root, "costs", j->costs, &j->costs_mark) : FC_OK;
}

/* One line, without its end of line; blank lines are skipped. */
static int jsonl_line(fc_sim *s, jsonl *j, const char *text, size_t len, unsigned line)
{
    yaml_mark_t mark = {0, line - 1, 0};
    json_object *o, *v;
    struct json_object_iterator it;
    const char *key;
    size_t k;
    int rc;

    for (k = 0; k < len && (text[k] == ' ' || text[k] == '\t' || text[k] == '\r'); k++)
        ;
    if (k == len)
        return FC_OK;
    if (len > INT32_MAX)
        return lerr(j->path, line, "(line)", "line too long");
    if (!utf8_ok((const unsigned char *)text, len))
        return lerr(j->path, line, "(line)", "not valid UTF-8");
    json_tokener_reset(j->tok);
    o = json_tokener_parse_ex(j->tok, text, (int)len);
    if (!o) {
        enum json_tokener_error e = json_tokener_get_error(j->tok);
        if (e == json_tokener_continue) {
            /* The end of the line ends a bare literal (null, 1) or
             * leaves a value open. */
            o = json_tokener_parse_ex(j->tok, "", 1);
            if (!o && json_tokener_get_error(j->tok) != json_tokener_success)
                return lerr(j->path, line, "(line)",
                            "invalid JSON: the value does not end on this line");
        } else if (e != json_tokener_success) {
            return lerr(j->path, line, "(line)", "invalid JSON at column %zu: %s",
                        json_tokener_get_parse_end(j->tok) + 1,
                        json_tokener_error_desc(e));
        }
        if (!o || !json_object_is_type(o, json_type_object)) {
            json_object_put(o);
            return lerr(j->path, line, "(line)", "must be a JSON object");
        }
    } else if (json_tokener_get_parse_end(j->tok) != len) {
        rc = lerr(j->path, line, "(line)", "text after the JSON object");
        goto done;
    }
    if (!j->head) {
        rc = jsonl_head(s, j, o, &mark);
        goto done;
    }
    if (!json_object_is_type(o, json_type_object) || json_object_object_length(o) != 1) {
        rc = lerr(j->path, line, "(line)", "%s", JSONL_HINT);
        goto done;
    }
    it = json_object_iter_begin(o);
    key = json_object_iter_peek_name(&it);
    v = json_object_iter_peek_value(&it);
    rc = FC_OK;
    if (strcmp(key, "resource") == 0) {
        rc = jsonl_resource(s, j, v, len, &mark);
    } else if (strcmp(key, "costs") != 0) {
        rc = lerr(j->path, line, "(root)", "unknown key '%s'; %s", key, JSONL_HINT);
    } else if (j->costs) {
        rc = lerr(j->path, line, "costs", "given twice");
    } else {
        j->costs = json_object_get(v); /* read at the end, by parse_tail() */
        j->costs_mark = mark;
    }
done:
    json_object_put(o);
    return rc;
}

/* The JSON Lines loader: the whole estate, or the first error. */
static int jsonl_estate(fc_sim *s, const char *path)
{
    jsonl j;
    pctx c = {path, &j.b.doc};
    FILE *f;
    char *buf = NULL;
    size_t cap = 0, total = 0;
    ssize_t n;
    unsigned line = 0;
    int rc = FC_OK;

    memset(&j, 0, sizeof(j));
    j.path = path;
    j.b.path = path;
    if (!(f = fopen(path, "rb")))
        return fc_error_set(errno == ENOENT ? FC_ENOTFOUND : FC_EIO,
                            "%s: cannot open: %s", path, strerror(errno));
    if (!(j.tok = json_tokener_new_ex(SIM_MAX_DEPTH))) {
        rc = fc_error_set(FC_ENOMEM, "out of memory");
        goto done;
    }
    json_tokener_set_flags(j.tok, JSON_TOKENER_STRICT);
    while ((n = getline(&buf, &cap, f)) > 0) {
        total += (size_t)n;
        if (total > SIM_MAX_FILE_BYTES) {
            rc = fc_error_set(FC_ELIMIT, "%s: larger than %u bytes", path,
                              SIM_MAX_FILE_BYTES);
            goto done;
        }
        line++;
        if (buf[n - 1] == '\n')
            n--;
        if ((rc = jsonl_line(s, &j, buf, (size_t)n, line)) != FC_OK)
            goto done;
    }
    if (ferror(f)) {
        rc = fc_error_set(FC_EIO, "%s: read error", path);
        goto done;
    }
    if (!j.head) {
        rc = fc_error_set(FC_EPARSE, "%s: empty estate file", path);
        goto done;
    }
    if ((rc = check_duplicate_ids(s, &c)) == FC_OK && (rc = jsonl_root(&j)) == FC_OK)
        rc = parse_tail(s, &c, 1);
done:
    json_object_put(j.head);
    json_object_put(j.costs);
    jdoc_dispose(&j.b);
    if (j.tok)
        json_tokener_free(j.tok);
    free(buf);
    fclose(f);
    return rc;
}

/* ---- provider ---------------------------------------------------------- */

static void sim_free(fc_cloud *cloud)
{
    fc_sim *s = (fc_sim *)cloud;
    size_t i;
    if (!s)
        return;
    for (i = 0; i < s->naccounts; i++) {
        free(s->accounts[i].id);
        free(s->accounts[i].name);
    }
    free(s->accounts);
    for (i = 0; i < s->nregions; i++)
        free(s->regions[i]);
    free(s->regions);
    for (i = 0; i < s->nres; i++) {
        fc_resource_dispose(&s->res[i].r); /* the slab, or an unpacked copy */
        free(s->res[i].metrics);          /* names are interned */
    }
    free(s->res);
    for (i = 0; i < s->nlines; i++) {
        free(s->lines[i].account);
        free(s->lines[i].service);
    }
    free(s->lines);
    for (i = 0; i < s->nspikes; i++) {
        free(s->spikes[i].account);
        free(s->spikes[i].service);
        free(s->spikes[i].region);
        free(s->spikes[i].usage_type);
        free(s->spikes[i].resource);
    }
    free(s->spikes);
    free(s->currency);
    free(s->path);
    free(s->overlay);
    if (s->strings)
        lh_table_free(s->strings);
    free(s);
}

/* The scope entry of an account, NULL when out of scope. */
static int account_in_scope(const fc_discovery_scope *sc, const char *account,
                            const fc_scope_account **out)
{
    size_t i;
    *out = NULL;
    if (sc->naccounts == 0)
        return 1;
    for (i = 0; i < sc->naccounts; i++)
        if (sc->accounts[i].account &&
            strcmp(sc->accounts[i].account, account) == 0) {
            *out = &sc->accounts[i];
            return 1;
        }
    return 0;
}

static int region_in_scope(const fc_scope_account *a, const char *region)
{
    size_t i;
    if (!a || a->nregions == 0)
        return 1;
    for (i = 0; i < a->nregions; i++)
        if (a->regions[i] && strcmp(a->regions[i], region) == 0)
            return 1;
    return 0;
}

/* fc_metric_fill_fn of the sim's series: gen is a copy of the sim_metric
 * (its name pointer cleared), so the series outlives the cloud. */
static void fill_metric(const void *gen, int64_t start, int32_t step, size_t from,
                        size_t n, double *out)
{
    /* A local copy: out may alias *gen for all the compiler knows, which
     * would reload every field after each point is stored. */
    const sim_metric mm = *(const sim_metric *)gen, *m = &mm;
    const point_tables *t = tables();
    int64_t stride = step / FC_HOUR;
    int64_t h = floor_div(start, FC_HOUR) + (int64_t)from * stride;
    int64_t day = floor_div(h, 24);
    int hod = (int)(h - day * 24), dow = weekday_of_day(day);
    size_t k;
    for (k = 0; k < n; k++, h += stride) {
        out[k] = metric_value(m, h, hod, dow, t);
        if (stride == 1) {
            if (++hod == 24) {
                hod = 0;
                dow = dow == 6 ? 0 : dow + 1;
            }
        } else {
            day = floor_div(h + stride, 24);
            hod = (int)(h + stride - day * 24);
            dow = weekday_of_day(day);
        }
    }
}

/* Generated series: the points are computed when an engine reads them
 * (fc_metric_series_read), not stored — a month of hourly points for
 * 100k resources would be most of a gigabyte. */
static int discover_metrics(const sim_resource *sr, int64_t end, int days,
                            fc_inventory *inv)
{
    int64_t start = end - (int64_t)days * 24 * FC_HOUR;
    size_t j, n;
    int rc;

    /* No data before the resource existed: round its birth up to an hour. */
    if (sr->r.created > start)
        start = -floor_div(-sr->r.created, FC_HOUR) * FC_HOUR;
    if (start >= end)
        return FC_OK;
    n = (size_t)((end - start) / FC_HOUR);
    tables(); /* filled before any fill_metric call */
    for (j = 0; j < sr->nmetrics; j++) {
        sim_metric *g = calloc(1, sizeof(*g));
        if (!g)
            return fc_error_set(FC_ENOMEM, "out of memory generating metrics");
        *g = sr->metrics[j];
        g->metric = NULL; /* hashed by memos: only the generator's numbers */
        if ((rc = fc_inventory_add_metric_gen(inv, sr->r.id, sr->metrics[j].metric, start,
                                              FC_HOUR, n, fill_metric, g, sizeof(*g))) != 0)
            return rc;
    }
    return FC_OK;
}

/* A spike that names who spent the extra adds a cost detail row for it (the
 * excess over the day without the spike), so root-cause analysis sees it. */
static int spike_details(const fc_sim *s, const sim_cost_line *l, int64_t day,
                         fc_inventory *inv)
{
    size_t i;
    int rc;
    for (i = 0; i < s->nspikes; i++) {
        const sim_spike *sp = &s->spikes[i];
        fc_cost_row r;
        double v;
        if (!(sp->region || sp->usage_type || sp->resource) || sp->factor <= 0 ||
            day < sp->start || day >= sp->start + (int64_t)sp->days * FC_DAY ||
            strcmp(sp->account, l->account) != 0 || strcmp(sp->service, l->service) != 0)
            continue;
        v = cost_value(s, l, day);
        memset(&r, 0, sizeof(r));
        r.account = l->account;
        r.service = l->service;
        r.day = day;
        r.amount = v - v / sp->factor;
        r.region = sp->region;
        r.usage_type = sp->usage_type;
        r.resource_id = sp->resource;
        if ((rc = fc_inventory_add_cost_detail(inv, &r)) != 0)
            return rc;
    }
    return FC_OK;
}

static int sim_discover(fc_cloud *cloud, const fc_discovery_scope *sc,
                        fc_inventory *inv)
{
    fc_sim *s = (fc_sim *)cloud;
    int64_t now_h, day_end, day, since;
    size_t i, nscopes = 0;
    int rc;

    if (sc->metric_days < 0 || sc->metric_days > SIM_MAX_METRIC_DAYS)
        return fc_error_set(FC_ELIMIT, "sim: metric lookback %d days outside "
                            "[0, %d]", sc->metric_days, SIM_MAX_METRIC_DAYS);
    if (sc->cost_days < 0 || sc->cost_days > SIM_MAX_COST_DAYS)
        return fc_error_set(FC_ELIMIT, "sim: cost lookback %d days outside "
                            "[0, %d]", sc->cost_days, SIM_MAX_COST_DAYS);
    now_h = floor_div(sc->now, FC_HOUR) * FC_HOUR;
    free(inv->currency);
    if (!(inv->currency = fc_strdup(s->currency)))
        return fc_error_set(FC_ENOMEM, "out of memory");
    inv->observed_at = now_h;
    for (i = 0; i < sc->naccounts; i++)
        nscopes += sc->accounts[i].nregions;

    for (i = 0; i < s->nres; i++) {
        const sim_resource *sr = &s->res[i];
        const fc_scope_account *a;
        /* The estate is not grouped by scope: progress is the share of
         * resources walked, in scope units. */
        if (sc->progress && nscopes && (i & 8191) == 8191)
            sc->progress(sc->progress_payload, nscopes * i / s->nres);
        if (!account_in_scope(sc, sr->r.account, &a) ||
            !region_in_scope(a, sr->r.region))
            continue;
        if (sr->r.created > sc->now || sr->deleted) /* not born yet, or gone */
            continue;
        if ((rc = fc_inventory_add_resource(inv, &sr->r)) != 0)
            return rc;
        if ((rc = discover_metrics(sr, now_h, sc->metric_days, inv)) != 0)
            return rc;
    }

    day_end = floor_div(sc->now, FC_DAY) * FC_DAY;
    since = s->cost_since ? floor_div(s->cost_since, FC_DAY) * FC_DAY : INT64_MIN;
    for (i = 0; i < s->nlines; i++) {
        const sim_cost_line *l = &s->lines[i];
        const fc_scope_account *a;
        if (!account_in_scope(sc, l->account, &a))
            continue;
        for (day = day_end - (int64_t)sc->cost_days * FC_DAY; day < day_end;
             day += FC_DAY) {
            if (day < since)
                continue;
            if ((rc = fc_inventory_add_cost(inv, l->account, l->service, day,
                                            cost_value(s, l, day))) != 0 ||
                (rc = spike_details(s, l, day, inv)) != 0)
                return rc;
        }
    }
    return FC_OK;
}

/* ---- describe, apply and the overlay --------------------------------------
 *
 * apply() changes the in-memory estate and, when the sim was opened with a
 * state directory, rewrites <state_dir>/sim-state.json (temp file, fsync,
 * rename) before it returns: every touched resource as it is now, and the id
 * counter.  fc_sim_open_with_state() lays that file over the estate, so the
 * next discovery (another process, another pass) sees the change.  The
 * estate file itself is never written.
 */

static sim_resource *find_live(fc_sim *s, const char *account, const char *region,
                               const char *id)
{
    size_t i;
    for (i = 0; i < s->nres; i++) {
        sim_resource *sr = &s->res[i];
        if (sr->deleted || strcmp(sr->r.id, id) != 0)
            continue;
        if ((account && strcmp(sr->r.account, account) != 0) ||
            (region && strcmp(sr->r.region, region) != 0))
            continue;
        return sr;
    }
    return NULL;
}

static sim_resource *find_any(fc_sim *s, const char *id)
{
    size_t i;
    for (i = 0; i < s->nres; i++)
        if (strcmp(s->res[i].r.id, id) == 0)
            return &s->res[i];
    return NULL;
}

static int sim_describe(fc_cloud *cloud, fc_resource_type type, const char *account,
                        const char *region, const char *role_arn, const char *id,
                        fc_resource *out)
{
    fc_sim *s = (fc_sim *)cloud;
    sim_resource *sr;
    (void)role_arn;
    memset(out, 0, sizeof(*out));
    if (!id || !(sr = find_live(s, account, region, id)) || sr->r.type != type)
        return fc_error_set(FC_ENOTFOUND, "sim: %s %s not found",
                            fc_resource_type_name(type), id ? id : "(null)");
    if (fc_resource_copy(out, &sr->r) != FC_OK)
        return fc_error_set(FC_ENOMEM, "out of memory");
    return FC_OK;
}

static const char *param(const fc_action *a, const char *key)
{
    size_t i;
    for (i = 0; i < a->nparams; i++)
        if (a->params[i].key && strcmp(a->params[i].key, key) == 0)
            return a->params[i].value;
    return NULL;
}

static int set_str(char **dst, const char *v)
{
    char *n = NULL;
    if (v && !(n = fc_strdup(v)))
        return fc_error_set(FC_ENOMEM, "out of memory");
    free(*dst);
    *dst = n;
    return FC_OK;
}

static int set_tag(fc_resource *r, const char *key, const char *value)
{
    size_t i;
    fc_tag *t;
    for (i = 0; i < r->ntags; i++)
        if (strcmp(r->tags[i].key, key) == 0)
            return set_str(&r->tags[i].value, value);
    if (!(t = realloc(r->tags, (r->ntags + 1) * sizeof(*t))))
        return fc_error_set(FC_ENOMEM, "out of memory");
    r->tags = t;
    t[r->ntags].key = fc_strdup(key);
    t[r->ntags].value = fc_strdup(value);
    if (!t[r->ntags].key || !t[r->ntags].value) {
        free(t[r->ntags].key);
        free(t[r->ntags].value);
        return fc_error_set(FC_ENOMEM, "out of memory");
    }
    r->ntags++;
    return FC_OK;
}

/* Appends a resource created by apply (no metrics: it is new). */
static int add_created(fc_sim *s, const fc_resource *r, sim_resource **out)
{
    sim_resource *n = realloc(s->res, (s->nres + 1) * sizeof(*n));
    if (!n)
        return fc_error_set(FC_ENOMEM, "out of memory");
    s->res = n;
    memset(&n[s->nres], 0, sizeof(*n));
    if (fc_resource_copy(&n[s->nres].r, r) != FC_OK)
        return fc_error_set(FC_ENOMEM, "out of memory");
    n[s->nres].index = s->nres;
    n[s->nres].touched = 1;
    *out = &n[s->nres];
    s->nres++;
    return FC_OK;
}

/* Deterministic id for a created resource: prefix + 17 hex digits. */
static char *new_id(fc_sim *s, const char *prefix, const char *from)
{
    uint64_t h = fc_hash_str(from, s->seed ^ (++s->seq * 0x9e3779b97f4a7c15ULL));
    return fc_asprintf("%s-%017llx", prefix, (unsigned long long)(h & 0xfffffffffffffffULL));
}

static json_object *resource_json(const sim_resource *sr)
{
    json_object *o = json_object_new_object(), *tags = json_object_new_object();
    size_t i;
    const fc_resource *r = &sr->r;
    json_object_object_add(o, "id", json_object_new_string(r->id));
    json_object_object_add(o, "type", json_object_new_string(fc_resource_type_name(r->type)));
    json_object_object_add(o, "account", json_object_new_string(r->account));
    json_object_object_add(o, "region", json_object_new_string(r->region));
    if (r->state)
        json_object_object_add(o, "state", json_object_new_string(r->state));
    if (r->size_class)
        json_object_object_add(o, "sizeClass", json_object_new_string(r->size_class));
    if (r->attached_to)
        json_object_object_add(o, "attachedTo", json_object_new_string(r->attached_to));
    json_object_object_add(o, "size", json_object_new_double(r->size));
    json_object_object_add(o, "created", json_object_new_int64(r->created));
    json_object_object_add(o, "deleted", json_object_new_boolean(sr->deleted));
    for (i = 0; i < r->ntags; i++)
        json_object_object_add(tags, r->tags[i].key, json_object_new_string(r->tags[i].value));
    json_object_object_add(o, "tags", tags);
    return o;
}

/* Fault injection for tests: the overlay's "faults" object,
 * {"<resource id>": {"<action kind>": "<state>" | "error"}}, makes that
 * action leave the resource in <state> (a transition that never completes,
 * so verification times out) or fail with an error.  Read at each apply;
 * write_overlay() keeps it.  Returns a new reference, or NULL. */
static json_object *read_faults(const fc_sim *s)
{
    json_object *root, *f = NULL;
    if (!s->overlay || access(s->overlay, F_OK) != 0 ||
        !(root = json_object_from_file(s->overlay)))
        return NULL;
    if (json_object_object_get_ex(root, "faults", &f) &&
        json_object_is_type(f, json_type_object))
        json_object_get(f);
    else
        f = NULL;
    json_object_put(root);
    return f;
}

/* Owned copy of the injected outcome of kind on id, or NULL. */
static char *fault_for(const fc_sim *s, const char *id, const char *kind)
{
    json_object *faults = read_faults(s), *per, *v;
    char *out = NULL;
    if (faults && json_object_object_get_ex(faults, id, &per) &&
        json_object_object_get_ex(per, kind, &v) && json_object_is_type(v, json_type_string))
        out = fc_strdup(json_object_get_string(v));
    json_object_put(faults);
    return out;
}

static int write_overlay(fc_sim *s)
{
    json_object *root, *arr;
    const char *text;
    char *tmp = NULL;
    FILE *f = NULL;
    size_t i;
    int rc = FC_OK;

    if (!s->overlay)
        return FC_OK;
    root = json_object_new_object();
    arr = json_object_new_array();
    json_object_object_add(root, "estate", json_object_new_string(s->path));
    json_object_object_add(root, "seq", json_object_new_int64((int64_t)s->seq));
    for (i = 0; i < s->nres; i++)
        if (s->res[i].touched)
            json_object_array_add(arr, resource_json(&s->res[i]));
    json_object_object_add(root, "resources", arr);
    {
        json_object *faults = read_faults(s);
        if (faults)
            json_object_object_add(root, "faults", faults);
    }
    text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
                                                    JSON_C_TO_STRING_NOSLASHESCAPE);
    if (!(tmp = fc_asprintf("%s.tmp", s->overlay))) {
        rc = fc_error_set(FC_ENOMEM, "out of memory");
        goto done;
    }
    if (!(f = fopen(tmp, "wb"))) {
        rc = fc_error_set(FC_EIO, "%s: %s", tmp, strerror(errno));
        goto done;
    }
    if (fputs(text, f) == EOF || fflush(f) != 0 || fsync(fileno(f)) != 0) {
        rc = fc_error_set(FC_EIO, "%s: write failed: %s", tmp, strerror(errno));
        goto done;
    }
    if (fclose(f) != 0) {
        f = NULL;
        rc = fc_error_set(FC_EIO, "%s: close failed: %s", tmp, strerror(errno));
        goto done;
    }
    f = NULL;
    if (rename(tmp, s->overlay) != 0)
        rc = fc_error_set(FC_EIO, "%s: rename failed: %s", s->overlay, strerror(errno));
done:
    if (f)
        fclose(f);
    if (rc != FC_OK && tmp)
        remove(tmp);
    free(tmp);
    json_object_put(root);
    return rc;
}

static const char *jstr(json_object *o, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

/* Lays one overlay entry over the estate (or adds the resource it created). */
static int load_entry(fc_sim *s, json_object *e)
{
    const char *id = jstr(e, "id"), *type = jstr(e, "type");
    json_object *v, *tags;
    sim_resource *sr;
    int rc, t;

    if (!id || !type || (t = fc_resource_type_parse(type)) < 0 || !jstr(e, "account") ||
        !jstr(e, "region"))
        return fc_error_set(FC_EPARSE, "%s: malformed resource entry", s->overlay);
    if (!(sr = find_any(s, id))) {
        fc_resource r;
        memset(&r, 0, sizeof(r));
        r.type = (fc_resource_type)t;
        r.id = (char *)id;
        r.account = (char *)jstr(e, "account");
        r.region = (char *)jstr(e, "region");
        if ((rc = add_created(s, &r, &sr)) != FC_OK)
            return rc;
    }
    if ((rc = fc_resource_unpack(&sr->r)) != FC_OK) /* before set_str/set_tag */
        return rc;
    sr->touched = 1;
    if ((rc = set_str(&sr->r.state, jstr(e, "state"))) != FC_OK ||
        (rc = set_str(&sr->r.size_class, jstr(e, "sizeClass"))) != FC_OK ||
        (rc = set_str(&sr->r.attached_to, jstr(e, "attachedTo"))) != FC_OK)
        return rc;
    if (json_object_object_get_ex(e, "size", &v))
        sr->r.size = json_object_get_double(v);
    if (json_object_object_get_ex(e, "created", &v))
        sr->r.created = json_object_get_int64(v);
    sr->deleted = json_object_object_get_ex(e, "deleted", &v) && json_object_get_boolean(v);
    if (json_object_object_get_ex(e, "tags", &tags) &&
        json_object_is_type(tags, json_type_object)) {
        json_object_object_foreach(tags, k, tv) {
            if ((rc = set_tag(&sr->r, k, json_object_get_string(tv))) != FC_OK)
                return rc;
        }
    }
    return FC_OK;
}

static int load_overlay(fc_sim *s)
{
    json_object *root, *arr, *v;
    size_t i, n;
    int rc = FC_OK;

    if (access(s->overlay, F_OK) != 0)
        return FC_OK; /* nothing applied yet */
    if (!(root = json_object_from_file(s->overlay)))
        return fc_error_set(FC_EPARSE, "%s: %s", s->overlay, json_util_get_last_err());
    if (json_object_object_get_ex(root, "seq", &v))
        s->seq = (uint64_t)json_object_get_int64(v);
    if (json_object_object_get_ex(root, "resources", &arr) &&
        json_object_is_type(arr, json_type_array)) {
        n = json_object_array_length(arr);
        for (i = 0; i < n && rc == FC_OK; i++)
            rc = load_entry(s, json_object_array_get_idx(arr, i));
    }
    json_object_put(root);
    if (rc == FC_OK)
        rc = sort_resources(s);
    return rc;
}

static int need_type(const sim_resource *sr, fc_resource_type t, const fc_action *a)
{
    if (sr->r.type != t)
        return fc_error_set(FC_EINVALID, "sim: %s: %s is a %s, not a %s", a->kind,
                            sr->r.id, fc_resource_type_name(sr->r.type),
                            fc_resource_type_name(t));
    return FC_OK;
}

/* <state_dir>/sim-actions.log: one line per applied action, append-only,
 * so a test can count how often the "cloud" was really asked to act. */
static int log_action(const fc_sim *s, const fc_action *a)
{
    size_t dir = strlen(s->overlay) - strlen("sim-state.json");
    char *path = fc_asprintf("%.*ssim-actions.log", (int)dir, s->overlay);
    FILE *f;
    int rc = FC_OK;
    if (!path)
        return fc_error_set(FC_ENOMEM, "out of memory");
    if (!(f = fopen(path, "a")) ||
        fprintf(f, "%s %s %s %s\n", a->kind, a->account ? a->account : "-",
                a->region ? a->region : "-", a->resource) < 0 ||
        fflush(f) != 0 || fsync(fileno(f)) != 0)
        rc = fc_error_set(FC_EIO, "%s: %s", path, strerror(errno));
    if (f && fclose(f) != 0 && rc == FC_OK)
        rc = fc_error_set(FC_EIO, "%s: %s", path, strerror(errno));
    free(path);
    return rc;
}

static int sim_apply(fc_cloud *cloud, const fc_action *a, fc_action_result *out)
{
    fc_sim *s = (fc_sim *)cloud;
    sim_resource *sr;
    const char *k = a->kind, *v;
    char *id = NULL, *fault = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    if (!k || !a->resource)
        return fc_error_set(FC_EINVALID, "sim: action without kind or resource");
    if (!(sr = find_live(s, a->account, a->region, a->resource)))
        return fc_error_set(FC_ENOTFOUND, "sim: %s: %s not found", k, a->resource);
    if ((fault = fault_for(s, a->resource, k)) && strcmp(fault, "error") == 0) {
        free(fault);
        return fc_error_set(FC_EIO, "sim: %s %s: injected failure", k, a->resource);
    }
    free(fault); /* read again once the action succeeded */
    fault = NULL;
    if ((rc = fc_resource_unpack(&sr->r)) != FC_OK) /* before set_str/set_tag */
        return rc;
    if (strcmp(k, "stop-instances") == 0 || strcmp(k, "start-instances") == 0) {
        if ((rc = need_type(sr, FC_RES_EC2_INSTANCE, a)) != FC_OK)
            return rc;
        rc = set_str(&sr->r.state, k[2] == 'o' ? "stopped" : "running");
    } else if (strcmp(k, "modify-instance-type") == 0) {
        if ((rc = need_type(sr, FC_RES_EC2_INSTANCE, a)) != FC_OK)
            return rc;
        if (!(v = param(a, "instanceType")))
            return fc_error_set(FC_EINVALID, "sim: %s needs instanceType", k);
        if (!sr->r.state || strcmp(sr->r.state, "stopped") != 0)
            return fc_error_set(FC_ECONFLICT, "sim: %s: instance %s is %s, not stopped",
                                k, sr->r.id, sr->r.state ? sr->r.state : "unknown");
        rc = set_str(&sr->r.size_class, v);
    } else if (strcmp(k, "modify-volume-type") == 0) {
        if ((rc = need_type(sr, FC_RES_EBS_VOLUME, a)) != FC_OK)
            return rc;
        if (!(v = param(a, "volumeType")))
            return fc_error_set(FC_EINVALID, "sim: %s needs volumeType", k);
        rc = set_str(&sr->r.size_class, v);
    } else if (strcmp(k, "create-snapshot") == 0) {
        fc_resource snap;
        sim_resource *ns;
        if ((rc = need_type(sr, FC_RES_EBS_VOLUME, a)) != FC_OK)
            return rc;
        if (!(id = new_id(s, "snap", sr->r.id)))
            return fc_error_set(FC_ENOMEM, "out of memory");
        memset(&snap, 0, sizeof(snap));
        snap.type = FC_RES_EBS_SNAPSHOT;
        snap.id = id;
        snap.account = sr->r.account;
        snap.region = sr->r.region;
        snap.state = "completed";
        snap.size_class = sr->r.size_class; /* restores as the same type */
        snap.size = sr->r.size;
        snap.attached_to = sr->r.id;
        snap.created = sr->r.created;
        rc = add_created(s, &snap, &ns); /* may move sr */
    } else if (strcmp(k, "create-volume-from-snapshot") == 0) {
        fc_resource vol;
        sim_resource *nv;
        if ((rc = need_type(sr, FC_RES_EBS_SNAPSHOT, a)) != FC_OK)
            return rc;
        if (!(id = new_id(s, "vol", sr->r.id)))
            return fc_error_set(FC_ENOMEM, "out of memory");
        memset(&vol, 0, sizeof(vol));
        vol.type = FC_RES_EBS_VOLUME;
        vol.id = id;
        vol.account = sr->r.account;
        vol.region = sr->r.region;
        vol.state = "available";
        vol.size_class = (char *)((v = param(a, "volumeType")) ? v
                                  : sr->r.size_class ? sr->r.size_class : "gp3");
        vol.size = sr->r.size;
        vol.created = sr->r.created;
        rc = add_created(s, &vol, &nv);
    } else if (strcmp(k, "delete-volume") == 0) {
        if ((rc = need_type(sr, FC_RES_EBS_VOLUME, a)) != FC_OK)
            return rc;
        if (sr->r.attached_to || (sr->r.state && strcmp(sr->r.state, "in-use") == 0))
            return fc_error_set(FC_ECONFLICT, "sim: volume %s is in use", sr->r.id);
        sr->deleted = 1;
        rc = set_str(&sr->r.state, "deleted");
    } else if (strcmp(k, "release-address") == 0 || strcmp(k, "delete-snapshot") == 0) {
        if ((rc = need_type(sr, k[0] == 'r' ? FC_RES_ELASTIC_IP : FC_RES_EBS_SNAPSHOT,
                            a)) != FC_OK)
            return rc;
        sr->deleted = 1;
        rc = set_str(&sr->r.state, k[0] == 'r' ? "released" : "deleted");
    } else if (strcmp(k, "create-tags") == 0) {
        size_t i;
        for (i = 0, rc = FC_OK; i < a->nparams && rc == FC_OK; i++)
            rc = set_tag(&sr->r, a->params[i].key, a->params[i].value);
    } else {
        return fc_error_set(FC_EUNSUPPORTED, "sim: unknown action %s", k);
    }
    if (rc != FC_OK)
        goto done;
    /* Created ids are found again by name: add_created() and the sort move
     * the array. */
    if (id && (rc = sort_resources(s)) != FC_OK)
        goto done;
    if (!(sr = find_any(s, id ? id : a->resource))) {
        rc = fc_error_set(FC_EINVALID, "sim: lost %s", id ? id : a->resource);
        goto done;
    }
    sr->touched = 1;
    if (!id)
        sr = find_any(s, a->resource);
    fault = fault_for(s, a->resource, k);
    if (fault) { /* injected: the transition stops half-way */
        sim_resource *target = find_any(s, a->resource);
        if ((rc = fc_resource_unpack(&target->r)) != FC_OK ||
            (rc = set_str(&target->r.state, fault)) != FC_OK)
            goto done;
    }
    if ((rc = write_overlay(s)) != FC_OK || (s->overlay && (rc = log_action(s, a)) != FC_OK))
        goto done;
    fc_crashpoint("provider.sim.applied"); /* changed, before the caller hears it */
    if (!(out->state = fc_strdup(sr->r.state ? sr->r.state : ""))) {
        rc = fc_error_set(FC_ENOMEM, "out of memory");
        goto done;
    }
    out->new_id = id;
    id = NULL;
done:
    free(id);
    free(fault);
    return rc;
}

static const fc_cloud_ops sim_ops = {
    .version = FC_CLOUD_OPS_VERSION,
    .name = "sim",
    .discover = sim_discover,
    .describe = sim_describe,
    .apply = sim_apply,
    .free = sim_free,
};

static int read_file(const char *path, char **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0, cap = 0, got;

    *data = NULL;
    *len = 0;
    if (!f)
        return fc_error_set(errno == ENOENT ? FC_ENOTFOUND : FC_EIO,
                            "%s: cannot open: %s", path, strerror(errno));
    for (;;) {
        if (n == cap) {
            char *p;
            if (cap >= SIM_MAX_FILE_BYTES) {
                free(buf);
                fclose(f);
                return fc_error_set(FC_ELIMIT, "%s: larger than %u bytes", path,
                                    SIM_MAX_FILE_BYTES);
            }
            cap = cap ? cap * 2 : 65536;
            if (!(p = realloc(buf, cap + 1))) {
                free(buf);
                fclose(f);
                return fc_error_set(FC_ENOMEM, "out of memory reading %s", path);
            }
            buf = p;
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        free(buf);
        fclose(f);
        return fc_error_set(FC_EIO, "%s: read error", path);
    }
    fclose(f);
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return FC_OK;
}

/* The estate format follows the file name: ".jsonl" is JSON Lines. */
static int is_jsonl(const char *path)
{
    size_t n = strlen(path);
    return n >= 6 && strcmp(path + n - 6, ".jsonl") == 0;
}

int fc_sim_open(fc_cloud **out, const char *estate_path)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    fc_sim *s = NULL;
    char *data = NULL;
    size_t len;
    pctx c;
    int rc, have_doc = 0;

    *out = NULL;
    if (!estate_path)
        return fc_error_set(FC_EINVALID, "sim: no estate file given");
    if (is_jsonl(estate_path)) {
        if (!(s = calloc(1, sizeof(*s))) || !(s->path = fc_strdup(estate_path)))
            rc = fc_error_set(FC_ENOMEM, "out of memory");
        else {
            s->base.ops = &sim_ops;
            rc = jsonl_estate(s, estate_path);
        }
        if (rc == FC_OK)
            *out = &s->base;
        else if (s)
            sim_free(&s->base);
        return rc;
    }
    if ((rc = read_file(estate_path, &data, &len)) != 0)
        return rc;
    /* The streaming loader first; anything it does not take (odd shapes,
     * every error) goes through the whole-document loader below. */
    if (!(s = calloc(1, sizeof(*s))) || !(s->path = fc_strdup(estate_path))) {
        if (s)
            sim_free(&s->base);
        free(data);
        return fc_error_set(FC_ENOMEM, "out of memory");
    }
    s->base.ops = &sim_ops;
    if (stream_estate(s, estate_path, data, len) == FC_OK) {
        *out = &s->base;
        free(data);
        return FC_OK;
    }
    sim_free(&s->base);
    s = NULL;
    if (!yaml_parser_initialize(&parser)) {
        free(data);
        return fc_error_set(FC_ENOMEM, "out of memory");
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
    if (!yaml_parser_load(&parser, &doc)) {
        if (parser.context)
            rc = fc_error_set(FC_EPARSE, "%s:%lu: %s started at line %lu: %s",
                              estate_path,
                              (unsigned long)parser.problem_mark.line + 1,
                              parser.context,
                              (unsigned long)parser.context_mark.line + 1,
                              parser.problem ? parser.problem : "invalid YAML");
        else
            rc = fc_error_set(FC_EPARSE, "%s:%lu: %s", estate_path,
                              (unsigned long)parser.problem_mark.line + 1,
                              parser.problem ? parser.problem : "invalid YAML");
        goto done;
    }
    have_doc = 1;
    if (!(s = calloc(1, sizeof(*s))) || !(s->path = fc_strdup(estate_path))) {
        rc = fc_error_set(FC_ENOMEM, "out of memory");
        goto done;
    }
    s->base.ops = &sim_ops;
    c.path = estate_path;
    c.doc = &doc;
    if ((rc = parse_estate(s, &c)) != 0)
        goto done;
    *out = &s->base;
    s = NULL;
done:
    if (s)
        sim_free(&s->base);
    if (have_doc)
        yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    free(data);
    return rc;
}

int fc_sim_open_with_state(fc_cloud **out, const char *estate_path, const char *state_dir)
{
    fc_sim *s;
    int rc;
    if ((rc = fc_sim_open(out, estate_path)) != FC_OK || !state_dir)
        return rc;
    s = (fc_sim *)*out;
    if (!(s->overlay = fc_asprintf("%s/sim-state.json", state_dir)))
        rc = fc_error_set(FC_ENOMEM, "out of memory");
    else
        rc = load_overlay(s);
    if (rc != FC_OK) {
        sim_free(*out);
        *out = NULL;
    }
    return rc;
}
