/*
 * anomaly.c - cost anomaly detection with root cause (pure engine).
 *
 * Stage: engines.  Input: inv->costs (daily cost per account x service x
 * region), inv->cost_details (the same split by region, usage type and
 * resource), the previous pass's anomalies and the clock.  Output: an
 * fc_anomaly_list sorted by id, owning its strings.  No I/O: the pass loads
 * and saves the previous list (controller/ingest).
 *
 * Baseline of day d: the median of the same weekday over the previous four
 * weeks blended with the median of the previous 28 days (0.8 / 0.2 when the
 * window shows a weekly pattern above its noise, else 0.3 / 0.7; with fewer
 * weekday samples the overall median weighs more).  Scale: 1.4826 x
 * the MAD of the window's residuals after removing each weekday's median,
 * so a weekly pattern does not inflate it (around the overall median while
 * there are fewer than three weeks of history).  A day opens an anomaly when it
 * is `sensitivity` z above the baseline and at least minPercent above it;
 * an open anomaly continues while the day stays above half of both
 * (hysteresis, so one quieter day does not split it), and resolves on the
 * first day back within that.  It is reported when its impact (the summed
 * excess) reaches minAmount.
 *
 * Root cause: for each dimension (region when the series is not split by
 * region, usage type, resource) the excess of each value over its own
 * median of the 28 days before the anomaly, ranked, with its share of the
 * anomaly's excess.
 */
#include "controller/engines/fc_engines.h"
#include "controller/core/fc_error.h"
#include "controller/core/fc_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAD_SCALE 1.4826
#define WEEKDAY_WEIGHT 0.8
#define MAX_CAUSES 5          /* per dimension */
#define MIN_CAUSE_SHARE 0.05

void fc_anomaly_params_default(fc_anomaly_params *p)
{
    p->min_percent = 20;
    p->min_amount = 50;
    p->sensitivity = 3;
}

const char *fc_anomaly_severity_name(fc_anomaly_severity s)
{
    switch (s) {
    case FC_ANOMALY_HIGH:
        return "high";
    case FC_ANOMALY_MEDIUM:
        return "medium";
    default:
        return "low";
    }
}

/* ---- lists ----------------------------------------------------------------- */

void fc_anomaly_list_init(fc_anomaly_list *l) { memset(l, 0, sizeof(*l)); }

void fc_anomaly_dispose(fc_anomaly *a)
{
    size_t i;
    if (!a)
        return;
    free(a->id);
    free(a->account);
    free(a->service);
    free(a->region);
    free(a->currency);
    free(a->policy);
    free(a->days);
    for (i = 0; i < a->ncauses; i++) {
        free(a->causes[i].dimension);
        free(a->causes[i].value);
    }
    free(a->causes);
    memset(a, 0, sizeof(*a));
}

void fc_anomaly_list_dispose(fc_anomaly_list *l)
{
    size_t i;
    for (i = 0; i < l->n; i++)
        fc_anomaly_dispose(&l->items[i]);
    free(l->items);
    fc_anomaly_list_init(l);
}

/* Moves *a into l (a is emptied either way). */
static int list_take(fc_anomaly_list *l, fc_anomaly *a)
{
    fc_anomaly *p = realloc(l->items, (l->n + 1) * sizeof(*p));
    if (!p) {
        fc_anomaly_dispose(a);
        return fc_error_set(FC_ENOMEM, "anomalies");
    }
    l->items = p;
    l->items[l->n++] = *a;
    memset(a, 0, sizeof(*a));
    return FC_OK;
}

static char *dup_or_null(const char *s, int *oom)
{
    char *d;
    if (!s)
        return NULL;
    if (!(d = fc_strdup(s)))
        *oom = 1;
    return d;
}

static int anomaly_copy(fc_anomaly *d, const fc_anomaly *s)
{
    int oom = 0;
    size_t i;
    *d = *s;
    d->id = dup_or_null(s->id, &oom);
    d->account = dup_or_null(s->account, &oom);
    d->service = dup_or_null(s->service, &oom);
    d->region = dup_or_null(s->region, &oom);
    d->currency = dup_or_null(s->currency, &oom);
    d->policy = dup_or_null(s->policy, &oom);
    d->days = NULL;
    d->causes = NULL;
    d->ncauses = 0;
    if (s->ndays && !oom) {
        if ((d->days = malloc(s->ndays * sizeof(*d->days))))
            memcpy(d->days, s->days, s->ndays * sizeof(*d->days));
        else
            oom = 1;
    }
    if (s->ncauses && !oom) {
        if (!(d->causes = calloc(s->ncauses, sizeof(*d->causes))))
            oom = 1;
        for (i = 0; !oom && i < s->ncauses; i++) {
            d->causes[i] = s->causes[i];
            d->causes[i].dimension = dup_or_null(s->causes[i].dimension, &oom);
            d->causes[i].value = dup_or_null(s->causes[i].value, &oom);
            d->ncauses = i + 1;
        }
    }
    if (oom) {
        if (!d->days)
            d->ndays = 0;
        fc_anomaly_dispose(d);
        return fc_error_set(FC_ENOMEM, "anomalies");
    }
    return FC_OK;
}

int fc_anomaly_list_add(fc_anomaly_list *l, const fc_anomaly *a)
{
    fc_anomaly c;
    int rc;
    if ((rc = anomaly_copy(&c, a)) != FC_OK)
        return rc;
    return list_take(l, &c);
}

/* ---- statistics ---------------------------------------------------------- */

static double median(double *v, size_t n)
{
    size_t i, j;
    if (n == 0)
        return 0;
    for (i = 1; i < n; i++) { /* n <= 28: insertion sort */
        double x = v[i];
        for (j = i; j > 0 && v[j - 1] > x; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Baseline and robust scale of day i from v[max(0, i-28) .. i). */
static void baseline(const double *v, size_t i, double *base, double *sigma)
{
    size_t lo = i >= FC_ANOMALY_BASELINE_DAYS ? i - FC_ANOMALY_BASELINE_DAYS : 0;
    size_t n = i - lo, j, r, nwd = 0;
    double tmp[FC_ANOMALY_BASELINE_DAYS], res[FC_ANOMALY_BASELINE_DAYS];
    double wdmed[7], med_all, med_wd, m;

    memcpy(tmp, v + lo, n * sizeof(*tmp));
    med_all = median(tmp, n);
    /* Per weekday (distance from i mod 7): its median in the window. */
    for (r = 0; r < 7; r++) {
        size_t k = 0;
        for (j = lo; j < i; j++)
            if ((i - j) % 7 == r)
                tmp[k++] = v[j];
        wdmed[r] = median(tmp, k);
        if (r == 0)
            nwd = k;
    }
    med_wd = wdmed[0];
    {
        /* Trust the weekday median (4 samples) only as far as the window
         * shows a weekly pattern above its noise; else the 28-day median,
         * which is steadier, weighs more. */
        double spread = 0, w;
        for (j = lo; j < i; j++)
            tmp[j - lo] = fabs(v[j] - med_all);
        spread = MAD_SCALE * median(tmp, n);
        for (r = 0, m = 0; r < 7; r++)
            if (fabs(wdmed[r] - med_all) > m)
                m = fabs(wdmed[r] - med_all);
        w = nwd >= 3 ? (m > spread ? WEEKDAY_WEIGHT : 0.3) : nwd == 2 ? 0.3 : 0;
        *base = w * med_wd + (1 - w) * med_all;
    }
    /* With fewer than three weeks, a weekday median of two samples is not
     * robust: measure the spread around the overall median instead. */
    for (j = lo; j < i; j++)
        res[j - lo] = v[j] - (n >= 21 ? wdmed[(i - j) % 7] : med_all);
    memcpy(tmp, res, n * sizeof(*tmp));
    m = median(tmp, n);
    for (j = 0; j < n; j++)
        res[j] = fabs(res[j] - m);
    *sigma = MAD_SCALE * median(res, n);
    /* Residuals from a median of 3-4 samples of their own weekday are
     * pulled towards 0 (one or two of each group sit on the median): the
     * MAD comes out 1.4x (4 weeks) to 2.1x (3 weeks) too small, measured by
     * simulation for uniform and normal noise. */
    if (n >= 21)
        *sigma *= n >= 28 ? 1.4 : 2.1 - 0.7 * (double)(n - 21) / 7.0;
    /* A perfectly flat history has no spread: keep z finite and meaningful. */
    if (*sigma < 0.01 * fabs(*base))
        *sigma = 0.01 * fabs(*base);
    if (*sigma < 0.01)
        *sigma = 0.01;
}

/* ---- series ---------------------------------------------------------------- */

typedef struct {
    const char *account;
    const char *service;
    const char *region;  /* "" when the rows carry none */
    int64_t first;       /* day number (days since epoch) of v[0] */
    size_t n;
    double *v;
} series;

static const char *nz(const char *s) { return s ? s : ""; }

static int cmp_row(const void *a, const void *b)
{
    const fc_cost_row *x = *(const fc_cost_row *const *)a;
    const fc_cost_row *y = *(const fc_cost_row *const *)b;
    int d;
    if ((d = strcmp(nz(x->account), nz(y->account))) != 0)
        return d;
    if ((d = strcmp(nz(x->service), nz(y->service))) != 0)
        return d;
    if ((d = strcmp(nz(x->region), nz(y->region))) != 0)
        return d;
    return x->day < y->day ? -1 : x->day > y->day;
}

static int64_t day_no(int64_t t) { return t >= 0 ? t / FC_DAY : -((-t + FC_DAY - 1) / FC_DAY); }

static void series_free(series *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        free(s[i].v);
    free(s);
}

/* Groups inv->costs into series over [their first day, end). */
static int build_series(const fc_inventory *inv, int64_t end, series **out, size_t *nout)
{
    const fc_cost_row **rows = NULL;
    series *s = NULL;
    size_t i, j, n = 0, ns = 0;
    int rc = FC_OK;

    *out = NULL;
    *nout = 0;
    if (!inv->ncosts)
        return FC_OK;
    if (!(rows = malloc(inv->ncosts * sizeof(*rows))))
        return fc_error_set(FC_ENOMEM, "anomalies");
    for (i = 0; i < inv->ncosts; i++)
        if (day_no(inv->costs[i].day) < end)
            rows[n++] = &inv->costs[i];
    if (n > 1)
        qsort(rows, n, sizeof(*rows), cmp_row);
    if (!(s = calloc(n ? n : 1, sizeof(*s)))) {
        rc = fc_error_set(FC_ENOMEM, "anomalies");
        goto done;
    }
    for (i = 0; i < n; i = j) {
        series *x = &s[ns];
        x->account = nz(rows[i]->account);
        x->service = nz(rows[i]->service);
        x->region = nz(rows[i]->region);
        x->first = day_no(rows[i]->day);
        for (j = i; j < n && strcmp(nz(rows[j]->account), x->account) == 0 &&
                    strcmp(nz(rows[j]->service), x->service) == 0 &&
                    strcmp(nz(rows[j]->region), x->region) == 0;
             j++)
            ;
        x->n = (size_t)(end - x->first);
        if (!(x->v = calloc(x->n ? x->n : 1, sizeof(double)))) {
            rc = fc_error_set(FC_ENOMEM, "anomalies");
            goto done;
        }
        ns++;
        for (size_t k = i; k < j; k++)
            x->v[day_no(rows[k]->day) - x->first] += rows[k]->amount;
    }
done:
    free(rows);
    if (rc != FC_OK) {
        series_free(s, s ? n : 0);
        return rc;
    }
    *out = s;
    *nout = ns;
    return FC_OK;
}

/* ---- root cause ------------------------------------------------------------ */

typedef struct {
    const char *value;
    int64_t day;
    double amount;
} dim_row;

static int cmp_dim(const void *a, const void *b)
{
    const dim_row *x = a, *y = b;
    int d = strcmp(x->value, y->value);
    if (d)
        return d;
    return x->day < y->day ? -1 : x->day > y->day;
}

static int cmp_cause(const void *a, const void *b)
{
    const fc_anomaly_cause *x = a, *y = b;
    int d = strcmp(x->dimension, y->dimension);
    if (d)
        return d;
    if (x->excess != y->excess)
        return x->excess > y->excess ? -1 : 1;
    return strcmp(x->value, y->value);
}

static int in_days(const fc_anomaly *a, int64_t day)
{
    size_t i;
    for (i = 0; i < a->ndays; i++)
        if (a->days[i].day == day)
            return 1;
    return 0;
}

/* Excess of each value of one dimension; appends to a->causes. */
static int causes_for(fc_anomaly *a, const fc_inventory *inv, const char *dimension,
                      int which, int64_t from, int64_t to, double total)
{
    dim_row *r = NULL;
    fc_anomaly_cause *found = NULL;
    size_t i, j, n = 0, nf = 0, nbase = (size_t)((to - from) / FC_DAY);
    double *base = NULL;
    int rc = FC_OK;

    /* to = first anomaly day; from = 28 days before (clipped to data). */
    if (!(r = malloc((inv->ncost_details ? inv->ncost_details : 1) * sizeof(*r))) ||
        !(base = calloc(nbase ? nbase : 1, sizeof(*base)))) {
        rc = fc_error_set(FC_ENOMEM, "anomalies");
        goto done;
    }
    for (i = 0; i < inv->ncost_details; i++) {
        const fc_cost_row *c = &inv->cost_details[i];
        const char *v = which == 0 ? c->region : which == 1 ? c->usage_type : c->resource_id;
        if (c->day < from || c->day > a->last_day) /* cheap test first */
            continue;
        if (!v || !*v || strcmp(nz(c->account), a->account) != 0 ||
            strcmp(nz(c->service), a->service) != 0 ||
            (*a->region && strcmp(nz(c->region), a->region) != 0))
            continue;
        if ((c->day >= from && c->day < to) || in_days(a, c->day)) {
            r[n].value = v;
            r[n].day = c->day;
            r[n].amount = c->amount;
            n++;
        }
    }
    if (n > 1)
        qsort(r, n, sizeof(*r), cmp_dim);
    for (i = 0; i < n; i = j) {
        double during = 0, excess;
        size_t k, during_days = 0;
        memset(base, 0, nbase * sizeof(*base));
        for (j = i; j < n && strcmp(r[j].value, r[i].value) == 0; j++) {
            if (r[j].day >= from && r[j].day < to)
                base[(r[j].day - from) / FC_DAY] += r[j].amount;
            else
                during += r[j].amount;
        }
        for (k = 0; k < a->ndays; k++)
            during_days += a->days[k].day >= to;
        excess = during - (double)during_days * median(base, nbase);
        if (!(excess > 0) || !(total > 0) || excess / total < MIN_CAUSE_SHARE)
            continue;
        {
            fc_anomaly_cause *p = realloc(found, (nf + 1) * sizeof(*p));
            if (!p) {
                rc = fc_error_set(FC_ENOMEM, "anomalies");
                goto done;
            }
            found = p;
            found[nf].dimension = (char *)dimension; /* duplicated below */
            found[nf].value = (char *)r[i].value;
            found[nf].excess = excess;
            found[nf].share = excess / total > 1 ? 1 : excess / total;
            nf++;
        }
    }
    if (nf > 1)
        qsort(found, nf, sizeof(*found), cmp_cause);
    if (nf > MAX_CAUSES)
        nf = MAX_CAUSES;
    for (i = 0; i < nf; i++) {
        fc_anomaly_cause *p = realloc(a->causes, (a->ncauses + 1) * sizeof(*p));
        if (!p) {
            rc = fc_error_set(FC_ENOMEM, "anomalies");
            goto done;
        }
        a->causes = p;
        p = &a->causes[a->ncauses];
        p->dimension = fc_strdup(found[i].dimension);
        p->value = fc_strdup(found[i].value);
        p->excess = found[i].excess;
        p->share = found[i].share;
        a->ncauses++;
        if (!p->dimension || !p->value) {
            rc = fc_error_set(FC_ENOMEM, "anomalies");
            goto done;
        }
    }
done:
    free(found);
    free(base);
    free(r);
    return rc;
}

/* Root cause over the days the inventory covers (from data_first on). */
static int root_cause(fc_anomaly *a, const fc_inventory *inv, int64_t data_first)
{
    int64_t to = a->first_day, from = to - (int64_t)FC_ANOMALY_BASELINE_DAYS * FC_DAY;
    double total = 0;
    size_t i;
    int rc = FC_OK;

    /* Without a week of history before it, the old causes stand. */
    if (!inv->ncost_details || to - data_first < 7 * FC_DAY)
        return FC_OK;
    if (from < data_first)
        from = data_first;
    for (i = 0; i < a->ndays; i++)
        if (a->days[i].day >= to)
            total += a->days[i].actual - a->days[i].expected;
    for (i = 0; i < a->ncauses; i++) {
        free(a->causes[i].dimension);
        free(a->causes[i].value);
    }
    free(a->causes);
    a->causes = NULL;
    a->ncauses = 0;
    if (!*a->region)
        rc = causes_for(a, inv, "region", 0, from, to, total);
    if (rc == FC_OK)
        rc = causes_for(a, inv, "usageType", 1, from, to, total);
    if (rc == FC_OK)
        rc = causes_for(a, inv, "resource", 2, from, to, total);
    return rc;
}

/* ---- anomalies ------------------------------------------------------------- */

typedef int (*params_fn)(void *ctx, const series *s, fc_anomaly_params *p,
                         const char **policy);

static void summarise(fc_anomaly *a, const fc_anomaly_params *p)
{
    size_t i;
    a->impact = 0;
    a->max_z = 0;
    for (i = 0; i < a->ndays; i++) {
        a->impact += a->days[i].actual - a->days[i].expected;
        if (a->days[i].z > a->max_z)
            a->max_z = a->days[i].z;
    }
    if (a->ndays) {
        a->first_day = a->days[0].day;
        a->last_day = a->days[a->ndays - 1].day;
    }
    if (a->impact >= 10 * p->min_amount ||
        (a->max_z >= 3 * p->sensitivity && a->impact >= 2 * p->min_amount))
        a->severity = FC_ANOMALY_HIGH;
    else if (a->impact >= 3 * p->min_amount || a->max_z >= 2 * p->sensitivity)
        a->severity = FC_ANOMALY_MEDIUM;
    else
        a->severity = FC_ANOMALY_LOW;
}

static char *anomaly_id(const char *account, const char *service, const char *region,
                        int64_t first_day)
{
    char date[16], *raw, *id;
    size_t i, k = 0;
    fc_date_format(date, sizeof(date), first_day);
    for (i = 0; date[i]; i++) /* 2026-11-12 -> 20261112 */
        if (date[i] != '-')
            date[k++] = date[i];
    date[k] = '\0';
    raw = *region ? fc_asprintf("%s-%s-%s-%s", date, account, service, region)
                  : fc_asprintf("%s-%s-%s", date, account, service);
    if (!raw)
        return NULL;
    id = fc_recommendation_id("anomaly", raw);
    free(raw);
    return id;
}

static int same_series(const fc_anomaly *a, const series *s)
{
    return strcmp(nz(a->account), s->account) == 0 &&
           strcmp(nz(a->service), s->service) == 0 && strcmp(nz(a->region), s->region) == 0;
}

static int fill_identity(fc_anomaly *a, const series *s, const char *currency,
                         const char *policy)
{
    a->account = fc_strdup(s->account);
    a->service = fc_strdup(s->service);
    a->region = fc_strdup(s->region);
    a->currency = fc_strdup(currency);
    a->policy = policy ? fc_strdup(policy) : NULL;
    if (!a->account || !a->service || !a->region || !a->currency || (policy && !a->policy))
        return fc_error_set(FC_ENOMEM, "anomalies");
    return FC_OK;
}

/* Keeps the days of a before `before`; returns how many remain. */
static size_t keep_days_before(fc_anomaly *a, int64_t before)
{
    size_t k = 0;
    while (k < a->ndays && a->days[k].day < before)
        k++;
    a->ndays = k;
    return k;
}

/* Detects, merges with prev and appends the anomalies of one series. */
static int one_series(fc_anomaly_list *out, const series *s, const fc_inventory *inv,
                      const fc_anomaly_params *p, const char *policy,
                      const fc_anomaly_list *prev, int *prev_used)
{
    const char *currency = inv->currency ? inv->currency : "USD";
    int64_t eval_start = (s->first + FC_ANOMALY_MIN_HISTORY) * FC_DAY;
    int64_t data_first = s->first * FC_DAY;
    const fc_anomaly *carry = NULL;
    size_t carry_idx = 0, i;
    fc_anomaly cur;
    int in_run = 0, rc = FC_OK;
    double pct = p->min_percent / 100.0;

    memset(&cur, 0, sizeof(cur));
    /* An earlier anomaly whose start the history no longer judges, still
     * open at the first judged day, carries on into it. */
    for (i = 0; prev && i < prev->n; i++) {
        const fc_anomaly *q = &prev->items[i];
        if (prev_used[i] || !same_series(q, s))
            continue;
        if (q->first_day >= eval_start) {
            prev_used[i] = 1; /* judged again below from the same history */
            continue;
        }
        if (q->open && q->last_day >= eval_start - FC_DAY && !carry &&
            s->n > FC_ANOMALY_MIN_HISTORY) {
            carry = q;
            carry_idx = i;
        }
    }
    if (carry) {
        prev_used[carry_idx] = 1;
        if ((rc = anomaly_copy(&cur, carry)) != FC_OK)
            return rc;
        keep_days_before(&cur, eval_start);
        in_run = 1;
    }

    for (i = FC_ANOMALY_MIN_HISTORY; i <= s->n; i++) {
        int flag = 0;
        double b = 0, sigma = 1, x = 0, ex = 0, z = 0;
        if (i < s->n) {
            baseline(s->v, i, &b, &sigma);
            x = s->v[i];
            ex = x - b;
            z = ex / sigma;
            flag = in_run ? ex > 0 && z >= p->sensitivity / 2 && ex >= pct / 2 * b
                          : ex > 0 && z >= p->sensitivity && ex >= pct * b;
        }
        if (flag) {
            fc_anomaly_day *d;
            if (!in_run) {
                memset(&cur, 0, sizeof(cur));
                in_run = 1;
            }
            d = realloc(cur.days, (cur.ndays + 1) * sizeof(*d));
            if (!d) {
                rc = fc_error_set(FC_ENOMEM, "anomalies");
                break;
            }
            cur.days = d;
            d[cur.ndays].day = (s->first + (int64_t)i) * FC_DAY;
            d[cur.ndays].actual = x;
            d[cur.ndays].expected = b;
            d[cur.ndays].z = z;
            cur.ndays++;
            continue;
        }
        if (!in_run)
            continue;
        /* The run ends before day i (or the history ends: still open). */
        in_run = 0;
        if (cur.ndays == 0) {
            fc_anomaly_dispose(&cur);
            continue;
        }
        cur.open = i == s->n;
        cur.resolved_day = cur.open ? 0 : (s->first + (int64_t)i) * FC_DAY;
        summarise(&cur, p);
        if (!cur.id) {
            if ((rc = fill_identity(&cur, s, currency, policy)) != FC_OK ||
                !(cur.id = anomaly_id(s->account, s->service, s->region, cur.first_day))) {
                rc = rc ? rc : fc_error_set(FC_ENOMEM, "anomalies");
                break;
            }
        }
        if (cur.impact < p->min_amount) {
            fc_anomaly_dispose(&cur);
            continue;
        }
        if ((rc = root_cause(&cur, inv, data_first)) != FC_OK ||
            (rc = list_take(out, &cur)) != FC_OK)
            break;
    }
    fc_anomaly_dispose(&cur);
    if (rc != FC_OK)
        return rc;

    /* Earlier anomalies of this series the history cannot judge in full:
     * their days before eval_start stand; days after it were judged again. */
    for (i = 0; prev && i < prev->n; i++) {
        const fc_anomaly *q = &prev->items[i];
        fc_anomaly c;
        if (prev_used[i] || !same_series(q, s))
            continue;
        prev_used[i] = 1;
        if ((rc = anomaly_copy(&c, q)) != FC_OK)
            return rc;
        if (s->n > FC_ANOMALY_MIN_HISTORY && c.last_day >= eval_start - FC_DAY) {
            if (keep_days_before(&c, eval_start) == 0) {
                fc_anomaly_dispose(&c);
                continue;
            }
            c.open = 0;
            c.resolved_day = c.days[c.ndays - 1].day + FC_DAY;
            summarise(&c, p);
        }
        if ((rc = list_take(out, &c)) != FC_OK)
            return rc;
    }
    return FC_OK;
}

static int cmp_anomaly(const void *a, const void *b)
{
    return strcmp(((const fc_anomaly *)a)->id, ((const fc_anomaly *)b)->id);
}

static int detect(fc_anomaly_list *out, const fc_inventory *inv, params_fn fn, void *ctx,
                  const fc_anomaly_list *prev, int64_t now)
{
    series *s = NULL;
    size_t ns = 0, i;
    int64_t today = day_no(now), end = INT64_MIN;
    int *used = NULL;
    fc_anomaly_list tmp;
    int rc;

    fc_anomaly_list_init(&tmp);
    /* Judge up to the last day with data, never today (it is not over). */
    for (i = 0; i < inv->ncosts; i++)
        if (day_no(inv->costs[i].day) + 1 > end)
            end = day_no(inv->costs[i].day) + 1;
    if (end > today)
        end = today;
    if ((rc = build_series(inv, end, &s, &ns)) != FC_OK)
        return rc;
    if (prev && prev->n && !(used = calloc(prev->n, sizeof(*used)))) {
        rc = fc_error_set(FC_ENOMEM, "anomalies");
        goto done;
    }
    for (i = 0; i < ns; i++) {
        fc_anomaly_params p;
        const char *policy = NULL;
        fc_anomaly_params_default(&p);
        if (fn && (rc = fn(ctx, &s[i], &p, &policy)) != FC_OK)
            goto done;
        if ((rc = one_series(&tmp, &s[i], inv, &p, policy, prev, used)) != FC_OK)
            goto done;
    }
    /* Anomalies of series no longer observed stand as they were. */
    for (i = 0; prev && i < prev->n; i++)
        if (!used[i] && (rc = fc_anomaly_list_add(&tmp, &prev->items[i])) != FC_OK)
            goto done;
    /* Resolved ones are kept FC_ANOMALY_KEEP_DAYS days. */
    for (i = 0; i < tmp.n; i++) {
        fc_anomaly *a = &tmp.items[i];
        if (!a->open && a->resolved_day &&
            today - day_no(a->resolved_day) > FC_ANOMALY_KEEP_DAYS)
            fc_anomaly_dispose(a);
        else if ((rc = list_take(out, a)) != FC_OK)
            goto done;
    }
    if (out->n > 1)
        qsort(out->items, out->n, sizeof(*out->items), cmp_anomaly);
    /* Two runs can never share an id (first days differ), but a carried
     * anomaly and a new one could in a hand-edited store: keep the first. */
    for (i = 1; i < out->n;)
        if (strcmp(out->items[i].id, out->items[i - 1].id) == 0) {
            fc_anomaly_dispose(&out->items[i]);
            memmove(&out->items[i], &out->items[i + 1],
                    (out->n - i - 1) * sizeof(*out->items));
            out->n--;
        } else {
            i++;
        }
done:
    free(tmp.items); /* every item was moved or disposed */
    if (rc != FC_OK)
        for (i = 0; i < tmp.n; i++)
            fc_anomaly_dispose(&tmp.items[i]);
    free(used);
    series_free(s, ns);
    return rc;
}

static int fixed_params(void *ctx, const series *s, fc_anomaly_params *p,
                        const char **policy)
{
    (void)s;
    *p = *(const fc_anomaly_params *)ctx;
    *policy = NULL;
    return FC_OK;
}

int fc_engine_anomalies_params(fc_anomaly_list *out, const fc_inventory *inv,
                               const fc_anomaly_params *params,
                               const fc_anomaly_list *prev, int64_t now)
{
    fc_anomaly_params p;
    if (!params) {
        fc_anomaly_params_default(&p);
        params = &p;
    }
    return detect(out, inv, fixed_params, (void *)params, prev, now);
}

/* The first Policy by name whose accounts and regions cover the series. */
static int policy_params(void *ctx, const series *s, fc_anomaly_params *p,
                         const char **policy)
{
    const fc_spec_set *set = ctx;
    size_t i;
    unsigned k;
    for (i = 0; set && i < set->nobjects; i++) {
        const fc_object *o = &set->objects[i];
        const fc_policy_spec *ps;
        int ok;
        if (o->kind != FC_KIND_POLICY)
            continue;
        ps = o->spec.policy;
        ok = ps->naccounts == 0;
        for (k = 0; !ok && k < ps->naccounts; k++)
            ok = fc_specs_account_matches(set, ps->accounts[k], s->account);
        if (ok && ps->nregions && *s->region) {
            ok = 0;
            for (k = 0; !ok && k < ps->nregions; k++)
                ok = strcmp(ps->regions[k], s->region) == 0;
        }
        if (!ok)
            continue;
        p->min_percent = ps->anomalies.min_percent;
        p->min_amount = ps->anomalies.min_amount;
        p->sensitivity = ps->anomalies.sensitivity > 0 ? ps->anomalies.sensitivity : 3;
        *policy = o->metadata.name;
        return FC_OK;
    }
    return FC_OK;
}

int fc_engine_anomalies(fc_anomaly_list *out, const fc_inventory *inv,
                        const fc_spec_set *specs, const fc_anomaly_list *prev,
                        int64_t now)
{
    return detect(out, inv, policy_params, (void *)specs, prev, now);
}
