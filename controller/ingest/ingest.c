/*
 * ingest.c - one billing export (FOCUS 1.0 or AWS CUR 2.0 CSV) to daily cost.
 *
 * Stage: cost ingest.  Input: an fc_csv_stream reader.  The header decides the
 * format and maps columns by name (aliases per role, first present wins);
 * each record is checked and its cost added to two hash tables keyed by
 * interned strings: day x account x service x region x currency, and the
 * same with usage type and resource id for root-cause analysis.  Rejected
 * records are counted and the first FC_INGEST_MAX_ERRORS are kept with their
 * line, column and reason.  Output: an fc_ingest_result that owns the
 * aggregation; the store (store.c) writes it out.
 *
 * Speed matters (exports run to millions of rows): no allocation per record,
 * dates and amounts parsed by hand, low-cardinality columns interned
 * through small per-column caches, and the hash-table slot of each row's
 * aggregate prefetched one row ahead (the tables outgrow the CPU caches).
 */
#include "controller/ingest/ingest_int.h"
#include "controller/core/fc_error.h"
#include "controller/core/fc_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- interned strings and hash tables ---------------------------------- */

#define CHUNK (1u << 20)

static uint64_t hash_bytes(const char *s, size_t n, uint64_t seed)
{
    uint64_t h = seed ^ (0x9e3779b97f4a7c15ULL * (n + 1));
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdULL;
        h ^= h >> 32;
        s += 8;
        n -= 8;
    }
    if (n) {
        uint64_t w = 0;
        memcpy(&w, s, n);
        h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
        h ^= h >> 29;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h | 1; /* never 0: 0 marks an empty slot */
}

static void agg_free(fc_cost_agg *a)
{
    size_t i;
    if (!a)
        return;
    for (i = 0; i < a->nchunks; i++)
        free(a->chunks[i]);
    free(a->chunks);
    free(a->strs);
    free(a->itab);
    free(a->daily.slots);
    free(a->detail.slots);
    free(a);
}

static int table_init(fc_agg_table *t, size_t cap)
{
    t->slots = calloc(cap, sizeof(*t->slots));
    t->cap = cap;
    t->n = 0;
    return t->slots ? FC_OK : fc_error_set(FC_ENOMEM, "cost aggregation");
}

static const char *arena_copy(fc_cost_agg *a, const char *s, size_t n)
{
    char *d;
    if (a->nchunks == 0 || a->chunk_used + n + 1 > a->chunk_cap) {
        size_t cap = n + 1 > CHUNK ? n + 1 : CHUNK;
        char **nc = realloc(a->chunks, (a->nchunks + 1) * sizeof(*nc));
        if (!nc)
            return NULL;
        a->chunks = nc;
        if (!(a->chunks[a->nchunks] = malloc(cap)))
            return NULL;
        a->nchunks++;
        a->chunk_used = 0;
        a->chunk_cap = cap;
    }
    d = a->chunks[a->nchunks - 1] + a->chunk_used;
    memcpy(d, s, n);
    d[n] = '\0';
    a->chunk_used += n + 1;
    return d;
}

static int intern_grow(fc_cost_agg *a)
{
    size_t ncap = a->icap ? a->icap * 2 : 1024, i;
    fc_agg_islot *nt = calloc(ncap, sizeof(*nt));
    if (!nt)
        return fc_error_set(FC_ENOMEM, "cost aggregation");
    for (i = 0; i < a->icap; i++) {
        size_t j;
        if (!a->itab[i].h)
            continue;
        for (j = a->itab[i].h & (ncap - 1); nt[j].h; j = (j + 1) & (ncap - 1))
            ;
        nt[j] = a->itab[i];
    }
    free(a->itab);
    a->itab = nt;
    a->icap = ncap;
    return FC_OK;
}

/* Id of string s[0..n) whose hash_bytes() is h; n > 0. */
static int intern_h(fc_cost_agg *a, const char *s, size_t n, uint64_t h, uint32_t *id)
{
    size_t j;
    int rc;

    if ((size_t)a->nstrs * 2 >= a->icap && (rc = intern_grow(a)) != FC_OK)
        return rc;
    for (j = h & (a->icap - 1); a->itab[j].h; j = (j + 1) & (a->icap - 1)) {
        const fc_agg_islot *e = &a->itab[j];
        if (e->h == h && e->len == n && memcmp(e->s, s, n) == 0) {
            *id = e->id;
            return FC_OK;
        }
    }
    if (n > UINT32_MAX)
        return fc_error_set(FC_ELIMIT, "cost aggregation: value too long");
    if (a->nstrs == a->strs_cap) {
        uint32_t ncap = a->strs_cap * 2;
        fc_agg_str *ns = realloc(a->strs, ncap * sizeof(*ns));
        if (!ns)
            return fc_error_set(FC_ENOMEM, "cost aggregation");
        a->strs = ns;
        a->strs_cap = ncap;
    }
    if (!(a->strs[a->nstrs].s = arena_copy(a, s, n)))
        return fc_error_set(FC_ENOMEM, "cost aggregation");
    a->strs[a->nstrs].len = (uint32_t)n;
    a->itab[j].h = h;
    a->itab[j].s = a->strs[a->nstrs].s;
    a->itab[j].id = a->nstrs;
    a->itab[j].len = (uint32_t)n;
    *id = a->nstrs++;
    return FC_OK;
}

/* Id of string s[0..n); 0 is always "". */
static int intern(fc_cost_agg *a, const char *s, size_t n, uint32_t *id)
{
    if (n == 0) {
        *id = 0;
        return FC_OK;
    }
    return intern_h(a, s, n, hash_bytes(s, n, 0), id);
}

static uint64_t key_hash(int64_t day, const uint32_t *k)
{
    uint64_t h = (uint64_t)day * 0x9e3779b97f4a7c15ULL;
    int i;
    for (i = 0; i < AGG__KEYS; i++) {
        h ^= k[i];
        h *= 0xff51afd7ed558ccdULL;
        h ^= h >> 31;
    }
    return h | 1;
}

static int table_grow(fc_agg_table *t)
{
    fc_agg_table nt;
    size_t i;
    int rc;
    if ((rc = table_init(&nt, t->cap * 2)) != FC_OK)
        return rc;
    for (i = 0; i < t->cap; i++) {
        size_t j;
        if (!t->slots[i].h)
            continue;
        for (j = t->slots[i].h & (nt.cap - 1); nt.slots[j].h; j = (j + 1) & (nt.cap - 1))
            ;
        nt.slots[j] = t->slots[i];
    }
    nt.n = t->n;
    free(t->slots);
    *t = nt;
    return FC_OK;
}

static int table_add(fc_agg_table *t, int64_t day, const uint32_t *k, double amount,
                     uint64_t h)
{
    size_t j;
    int rc;

    if (t->n * 4 >= t->cap * 3 && (rc = table_grow(t)) != FC_OK)
        return rc;
    for (j = h & (t->cap - 1); t->slots[j].h; j = (j + 1) & (t->cap - 1)) {
        fc_agg_entry *e = &t->slots[j];
        if (e->h == h && e->day == day && memcmp(e->k, k, sizeof(e->k)) == 0) {
            e->amount += amount;
            return FC_OK;
        }
    }
    t->slots[j].h = h;
    t->slots[j].day = day;
    memcpy(t->slots[j].k, k, sizeof(t->slots[j].k));
    t->slots[j].amount = amount;
    t->n++;
    return FC_OK;
}

/* One row's addition to a table, held back for a row after its slot was
 * prefetched: the slot's cache miss overlaps the parse of the next row.
 * Additions stay in row order, so the sums are the same bit for bit. */
typedef struct {
    int live;
    int64_t day;
    uint32_t k[AGG__KEYS];
    double amount;
    uint64_t h;
} pending_add;

static int pending_flush(fc_agg_table *t, pending_add *p)
{
    if (!p->live)
        return FC_OK;
    p->live = 0;
    return table_add(t, p->day, p->k, p->amount, p->h);
}

/* Flushes the previous addition of t and holds back this one. */
static int pending_put(fc_agg_table *t, pending_add *p, int64_t day, const uint32_t *k,
                       double amount)
{
    int rc;
    if ((rc = pending_flush(t, p)) != FC_OK)
        return rc;
    p->h = key_hash(day, k);
    p->day = day;
    memcpy(p->k, k, sizeof(p->k));
    p->amount = amount;
    p->live = 1;
    __builtin_prefetch(&t->slots[p->h & (t->cap - 1)], 1);
    return FC_OK;
}

static int agg_new(fc_cost_agg **out)
{
    fc_cost_agg *a = calloc(1, sizeof(*a));
    int rc;
    *out = NULL;
    if (!a)
        return fc_error_set(FC_ENOMEM, "cost aggregation");
    a->strs_cap = 256;
    a->strs = malloc(a->strs_cap * sizeof(*a->strs));
    if (!a->strs || (rc = intern_grow(a)) != FC_OK ||
        (rc = table_init(&a->daily, 1024)) != FC_OK ||
        (rc = table_init(&a->detail, 1024)) != FC_OK) {
        agg_free(a);
        return fc_error_set(FC_ENOMEM, "cost aggregation");
    }
    a->strs[0].s = "";
    a->strs[0].len = 0;
    a->nstrs = 1;
    *out = a;
    return FC_OK;
}

/* ---- results -------------------------------------------------------------- */

const char *fc_cost_format_name(fc_cost_format f)
{
    switch (f) {
    case FC_COST_FORMAT_FOCUS:
        return "FOCUS 1.0";
    case FC_COST_FORMAT_CUR:
        return "AWS CUR 2.0";
    default:
        return "unknown";
    }
}

void fc_ingest_result_init(fc_ingest_result *r) { memset(r, 0, sizeof(*r)); }

void fc_ingest_result_dispose(fc_ingest_result *r)
{
    size_t i;
    free(r->file);
    free(r->day_list);
    for (i = 0; i < r->nerrors; i++) {
        free(r->errors[i].column);
        free(r->errors[i].message);
    }
    agg_free(r->agg);
    fc_ingest_result_init(r);
}

void fc_ingest_counts(const fc_ingest_result *r, size_t *daily, size_t *detail)
{
    *daily = r->agg ? r->agg->daily.n : 0;
    *detail = r->agg ? r->agg->detail.n : 0;
}

static void reject(fc_ingest_result *r, uint64_t line, const char *column,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void reject(fc_ingest_result *r, uint64_t line, const char *column,
                   const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    r->rejected++;
    if (r->nerrors >= FC_INGEST_MAX_ERRORS)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    r->errors[r->nerrors].line = line;
    r->errors[r->nerrors].column = fc_strdup(column);
    r->errors[r->nerrors].message = fc_strdup(msg);
    r->nerrors++;
}

/* ---- column mapping ------------------------------------------------------- */

enum {
    ROLE_DAY,
    ROLE_AMOUNT,
    ROLE_ACCOUNT,
    ROLE_ACCOUNT_ALT,   /* used when ROLE_ACCOUNT is empty in a row */
    ROLE_SERVICE,
    ROLE_SERVICE_ALT,
    ROLE_REGION,
    ROLE_RESOURCE,
    ROLE_USAGE,
    ROLE_CURRENCY,
    ROLE__COUNT
};

/* Per role, header names in order of preference. */
static const char *const focus_names[ROLE__COUNT][4] = {
    [ROLE_DAY] = {"ChargePeriodStart"},
    [ROLE_AMOUNT] = {"BilledCost"},
    [ROLE_ACCOUNT] = {"SubAccountId"},
    [ROLE_ACCOUNT_ALT] = {"BillingAccountId"},
    [ROLE_SERVICE] = {"ServiceName"},
    [ROLE_SERVICE_ALT] = {"x_ServiceCode", "ProviderName"},
    [ROLE_REGION] = {"RegionId", "Region"},
    [ROLE_RESOURCE] = {"ResourceId"},
    [ROLE_USAGE] = {"x_UsageType", "UsageType", "ChargeDescription"},
    [ROLE_CURRENCY] = {"BillingCurrency"},
};

static const char *const cur_names[ROLE__COUNT][4] = {
    [ROLE_DAY] = {"line_item_usage_start_date", "lineItem/UsageStartDate"},
    [ROLE_AMOUNT] = {"line_item_unblended_cost", "lineItem/UnblendedCost"},
    [ROLE_ACCOUNT] = {"line_item_usage_account_id", "lineItem/UsageAccountId"},
    [ROLE_ACCOUNT_ALT] = {"bill_payer_account_id", "bill/PayerAccountId"},
    [ROLE_SERVICE] = {"product_product_name", "product/ProductName"},
    [ROLE_SERVICE_ALT] = {"product_servicecode", "line_item_product_code",
                          "lineItem/ProductCode"},
    [ROLE_REGION] = {"product_region_code", "product/regionCode", "product_region",
                     "product/region"},
    [ROLE_RESOURCE] = {"line_item_resource_id", "lineItem/ResourceId"},
    [ROLE_USAGE] = {"line_item_usage_type", "lineItem/UsageType"},
    [ROLE_CURRENCY] = {"line_item_currency_code", "lineItem/CurrencyCode"},
};

static int find_col(const fc_csv_stream_row *h, const char *name)
{
    size_t i;
    for (i = 0; i < h->n; i++)
        if (strcmp(h->fields[i], name) == 0)
            return (int)i;
    return -1;
}

static int map_roles(const fc_csv_stream_row *h, const char *const names[ROLE__COUNT][4],
                     int *col, char **colname)
{
    int r, found = 0;
    for (r = 0; r < ROLE__COUNT; r++) {
        int k;
        col[r] = -1;
        colname[r] = NULL;
        for (k = 0; k < 4 && names[r][k] && col[r] < 0; k++)
            if ((col[r] = find_col(h, names[r][k])) >= 0) {
                if (!(colname[r] = fc_strdup(names[r][k])))
                    return -1;
                found++;
            }
    }
    return found;
}

/* ---- values --------------------------------------------------------------- */

static int64_t days_from_civil(int y, unsigned m, unsigned d)
{
    /* Howard Hinnant's algorithm: exact for the proleptic Gregorian calendar. */
    int64_t era;
    unsigned yoe, doy, doe;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int dig(char c) { return c >= '0' && c <= '9'; }

/* "YYYY-MM-DD" with optional "T..." / " ..." after it -> days since epoch. */
static int parse_day(const char *s, size_t n, int64_t *out)
{
    unsigned y, m, d;
    if (n < 10 || !dig(s[0]) || !dig(s[1]) || !dig(s[2]) || !dig(s[3]) || s[4] != '-' ||
        !dig(s[5]) || !dig(s[6]) || s[7] != '-' || !dig(s[8]) || !dig(s[9]))
        return -1;
    if (n > 10 && s[10] != 'T' && s[10] != ' ')
        return -1;
    y = (unsigned)((s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0'));
    m = (unsigned)((s[5] - '0') * 10 + (s[6] - '0'));
    d = (unsigned)((s[8] - '0') * 10 + (s[9] - '0'));
    if (y < 1970 || m < 1 || m > 12 || d < 1 || d > 31)
        return -1;
    *out = days_from_civil((int)y, m, d);
    return 0;
}

static const double pow10_tab[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                   1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* A decimal number, the whole field.  Plain decimals with up to 18 digits
 * are exact to the last bit (integer mantissa over an exact power of ten);
 * anything else goes through strtod. */
static int parse_amount(const char *s, size_t n, double *out)
{
    const char *p = s, *e = s + n;
    uint64_t mant = 0;
    int digits = 0, frac = 0, neg = 0;
    char *end;

    if (n == 0)
        return -1;
    if (*p == '-' || *p == '+')
        neg = *p++ == '-';
    while (p < e && dig(*p)) {
        mant = mant * 10 + (uint64_t)(*p++ - '0');
        digits++;
    }
    if (p < e && *p == '.') {
        p++;
        while (p < e && dig(*p)) {
            mant = mant * 10 + (uint64_t)(*p++ - '0');
            digits++;
            frac++;
        }
    }
    if (p == e && digits > 0 && digits <= 18) {
        double v = (double)mant / pow10_tab[frac];
        *out = neg ? -v : v;
        return 0;
    }
    /* Exponents, long mantissas, "NaN" and friends. */
    *out = strtod(s, &end);
    if (end != e || end == s || *out != *out || *out > 1e15 || *out < -1e15)
        return -1;
    return 0;
}

static const char *excerpt(const char *s, char *buf, size_t size)
{
    snprintf(buf, size, "%s", s);
    if (strlen(s) >= size && size > 4)
        memcpy(buf + size - 4, "...", 4);
    return buf;
}

/* ---- the file ------------------------------------------------------------- */

/* Per column, a small direct-mapped cache of hash -> id in front of the
 * intern table: accounts, services, regions, usage types and currencies
 * have few distinct values, so their lookups stay in L1 instead of
 * missing in the (large, resource-sized) intern table. */
#define COL_CACHE 64

typedef struct {
    fc_agg_islot e[COL_CACHE];
} col_cache;

static int cached_intern(fc_cost_agg *a, col_cache *cc, const char *s, size_t n,
                         uint32_t *id)
{
    fc_agg_islot *e;
    uint64_t h;
    int rc;
    if (n == 0) {
        *id = 0;
        return FC_OK;
    }
    h = hash_bytes(s, n, 0);
    e = &cc->e[(h >> 20) & (COL_CACHE - 1)];
    if (e->h == h && e->len == n && memcmp(e->s, s, n) == 0) {
        *id = e->id;
        return FC_OK;
    }
    if ((rc = intern_h(a, s, n, h, id)) != FC_OK)
        return rc;
    e->h = h;
    e->s = a->strs[*id].s;
    e->id = *id;
    e->len = (uint32_t)n;
    return FC_OK;
}

static int add_currency_total(fc_ingest_result *r, const char *cur, double amount)
{
    size_t i;
    for (i = 0; i < r->ncurrencies; i++)
        if (strcmp(r->currencies[i].currency, cur) == 0) {
            r->currencies[i].total += amount;
            return 0;
        }
    if (r->ncurrencies == FC_INGEST_MAX_CURRENCIES)
        return -1;
    snprintf(r->currencies[i].currency, sizeof(r->currencies[i].currency), "%s", cur);
    r->currencies[i].total = amount;
    r->ncurrencies++;
    return 0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int cmp_currency(const void *a, const void *b)
{
    return strcmp(((const fc_currency_total *)a)->currency,
                  ((const fc_currency_total *)b)->currency);
}

/* first/last day, distinct days and per-currency totals from the table. */
static int summarise(fc_ingest_result *r)
{
    const fc_agg_table *t = &r->agg->daily;
    int64_t *days = malloc((t->n ? t->n : 1) * sizeof(*days));
    size_t i, n = 0, distinct = 0;
    int64_t prev = 0;
    if (!days)
        return fc_error_set(FC_ENOMEM, "ingest summary");
    r->ncurrencies = 0;
    for (i = 0; i < t->cap; i++) {
        const fc_agg_entry *e = &t->slots[i];
        if (!e->h)
            continue;
        days[n++] = e->day;
        add_currency_total(r, fc_agg_s(r->agg, e->k[AGG_CURRENCY]), e->amount);
    }
    if (n > 1)
        qsort(days, n, sizeof(*days), cmp_i64);
    for (i = 0; i < n; i++) {
        int64_t d = days[i];
        if (i == 0 || d != prev)
            days[distinct++] = d * FC_DAY;
        prev = d;
    }
    r->days = distinct;
    r->first_day = distinct ? days[0] : 0;
    r->last_day = distinct ? days[distinct - 1] : 0;
    free(r->day_list);
    r->day_list = days;
    if (r->ncurrencies > 1)
        qsort(r->currencies, r->ncurrencies, sizeof(*r->currencies), cmp_currency);
    return FC_OK;
}

int fc_ingest_csv(fc_ingest_result *r, fc_csv_stream *csv, const char *name)
{
    int col[ROLE__COUNT];
    char *colname[ROLE__COUNT] = {0};
    col_cache cache[ROLE__COUNT];
    pending_add pend_daily = {0}, pend_detail = {0};
    fc_csv_stream_row row;
    size_t ncols = 0;
    int64_t last_day = 0;
    char last_date[10] = {0};
    int rc, k, have_detail;
    char ex[48];

    memset(cache, 0, sizeof(cache));
    free(r->file);
    r->file = fc_strdup(name);
    if (!r->agg && (rc = agg_new(&r->agg)) != FC_OK)
        return rc;

    /* The header decides the format. */
    rc = fc_csv_stream_next(csv, &row);
    if (rc < 0) {
        fc_error_wrap(rc, "%s", name);
        goto done;
    }
    if (rc == 0) {
        rc = fc_error_set(FC_EPARSE, "%s: empty file (no header)", name);
        goto done;
    }
    ncols = row.n;
    if (find_col(&row, "BilledCost") >= 0 && find_col(&row, "ChargePeriodStart") >= 0)
        r->format = FC_COST_FORMAT_FOCUS;
    else if ((find_col(&row, "line_item_unblended_cost") >= 0 &&
              find_col(&row, "line_item_usage_start_date") >= 0) ||
             (find_col(&row, "lineItem/UnblendedCost") >= 0 &&
              find_col(&row, "lineItem/UsageStartDate") >= 0))
        r->format = FC_COST_FORMAT_CUR;
    else {
        rc = fc_error_set(FC_EPARSE,
                          "%s:%llu: not a FOCUS 1.0 or AWS CUR 2.0 export (no "
                          "BilledCost + ChargePeriodStart or line_item_unblended_cost + "
                          "line_item_usage_start_date column)",
                          name, (unsigned long long)row.line);
        goto done;
    }
    if (map_roles(&row, r->format == FC_COST_FORMAT_FOCUS ? focus_names : cur_names, col,
                  colname) < 0) {
        rc = fc_error_set(FC_ENOMEM, "ingest");
        goto done;
    }
    if (col[ROLE_ACCOUNT] < 0 && col[ROLE_ACCOUNT_ALT] >= 0) {
        col[ROLE_ACCOUNT] = col[ROLE_ACCOUNT_ALT];
        colname[ROLE_ACCOUNT] = colname[ROLE_ACCOUNT_ALT];
        colname[ROLE_ACCOUNT_ALT] = NULL;
        col[ROLE_ACCOUNT_ALT] = -1;
    }
    if (col[ROLE_ACCOUNT] < 0) {
        rc = fc_error_set(FC_EPARSE, "%s:%llu: %s export without an account column", name,
                          (unsigned long long)row.line, fc_cost_format_name(r->format));
        goto done;
    }
    have_detail = col[ROLE_RESOURCE] >= 0 || col[ROLE_USAGE] >= 0;

    for (;;) {
        uint32_t key[AGG__KEYS] = {0};
        const char *f;
        size_t fl;
        double amount;
        int64_t day;

        rc = fc_csv_stream_next(csv, &row);
        if (rc <= 0)
            break;
        r->rows++;
        if (r->progress && !(r->rows & 0xffff))
            r->progress(r->progress_payload, fc_csv_stream_raw_bytes(csv), r->total_bytes,
                        r->rows);
        if (row.error) {
            reject(r, row.line, "(row)", "%s", row.error);
            continue;
        }
        if (row.n != ncols) {
            reject(r, row.line, "(row)", "expected %zu fields as in the header, got %zu",
                   ncols, row.n);
            continue;
        }
        f = row.fields[col[ROLE_DAY]];
        fl = row.lens[col[ROLE_DAY]];
        if (fl >= 10 && memcmp(f, last_date, 10) == 0 && (fl == 10 || f[10] == 'T' || f[10] == ' ')) {
            day = last_day;
        } else if (parse_day(f, fl, &day) == 0) {
            memcpy(last_date, f, 10);
            last_day = day;
        } else {
            reject(r, row.line, colname[ROLE_DAY],
                   "expected a UTC date like 2026-11-01T00:00:00Z, got \"%s\"",
                   excerpt(f, ex, sizeof(ex)));
            continue;
        }
        f = row.fields[col[ROLE_AMOUNT]];
        if (parse_amount(f, row.lens[col[ROLE_AMOUNT]], &amount) != 0) {
            reject(r, row.line, colname[ROLE_AMOUNT], "expected a number, got \"%s\"",
                   excerpt(f, ex, sizeof(ex)));
            continue;
        }
        k = col[ROLE_ACCOUNT];
        if (row.lens[k] == 0 && col[ROLE_ACCOUNT_ALT] >= 0)
            k = col[ROLE_ACCOUNT_ALT];
        if (row.lens[k] == 0) {
            reject(r, row.line, colname[ROLE_ACCOUNT], "missing account id");
            continue;
        }
        if ((rc = cached_intern(r->agg, &cache[ROLE_ACCOUNT], row.fields[k], row.lens[k],
                                &key[AGG_ACCOUNT])) != FC_OK)
            goto done;
        k = col[ROLE_SERVICE] >= 0 ? col[ROLE_SERVICE] : col[ROLE_SERVICE_ALT];
        if (k >= 0 && row.lens[k] == 0 && col[ROLE_SERVICE_ALT] >= 0)
            k = col[ROLE_SERVICE_ALT];
        if (k >= 0 && (rc = cached_intern(r->agg, &cache[ROLE_SERVICE], row.fields[k],
                                          row.lens[k], &key[AGG_SERVICE])) != FC_OK)
            goto done;
        if ((k = col[ROLE_REGION]) >= 0 &&
            (rc = cached_intern(r->agg, &cache[ROLE_REGION], row.fields[k], row.lens[k],
                                &key[AGG_REGION])) != FC_OK)
            goto done;
        if ((k = col[ROLE_CURRENCY]) >= 0) {
            if (row.lens[k] == 0) {
                reject(r, row.line, colname[ROLE_CURRENCY], "missing currency");
                continue;
            }
            if ((rc = cached_intern(r->agg, &cache[ROLE_CURRENCY], row.fields[k],
                                    row.lens[k], &key[AGG_CURRENCY])) != FC_OK)
                goto done;
        } else if ((rc = cached_intern(r->agg, &cache[ROLE_CURRENCY], "USD", 3,
                                       &key[AGG_CURRENCY])) != FC_OK) {
            goto done; /* CUR without a currency column: AWS bills in USD */
        }
        if ((rc = pending_put(&r->agg->daily, &pend_daily, day, key, amount)) != FC_OK)
            goto done;
        if (!have_detail)
            continue;
        if ((k = col[ROLE_USAGE]) >= 0 &&
            (rc = cached_intern(r->agg, &cache[ROLE_USAGE], row.fields[k], row.lens[k],
                                &key[AGG_USAGE])) != FC_OK)
            goto done;
        if ((k = col[ROLE_RESOURCE]) >= 0 &&
            (rc = intern(r->agg, row.fields[k], row.lens[k], &key[AGG_RESOURCE])) != FC_OK)
            goto done;
        if ((key[AGG_USAGE] || key[AGG_RESOURCE]) &&
            (rc = pending_put(&r->agg->detail, &pend_detail, day, key, amount)) != FC_OK)
            goto done;
    }
    if (rc < 0) {
        fc_error_wrap(rc, "%s", name);
        goto done;
    }
    if ((rc = pending_flush(&r->agg->daily, &pend_daily)) != FC_OK ||
        (rc = pending_flush(&r->agg->detail, &pend_detail)) != FC_OK)
        goto done;
    rc = summarise(r);
done:
    for (k = 0; k < ROLE__COUNT; k++)
        free(colname[k]);
    r->bytes = fc_csv_stream_raw_bytes(csv);
    if (r->progress) /* the final report */
        r->progress(r->progress_payload, r->bytes, r->bytes, r->rows);
    fc_csv_stream_fingerprint(csv, r->fingerprint, sizeof(r->fingerprint));
    return rc;
}

int fc_ingest_file(fc_ingest_result *r, const char *path)
{
    fc_csv_stream *csv = NULL;
    int rc;
    if ((rc = fc_csv_stream_open(&csv, path)) != FC_OK)
        return rc;
    rc = fc_ingest_csv(r, csv, path);
    fc_csv_stream_free(csv);
    return rc;
}
