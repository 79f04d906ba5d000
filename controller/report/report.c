/*
 * report.c - builds the markdown reports and their charts from one pass's
 * data (stage: after the reconcilers and the executor, before the status
 * commit; or alone for `finops-controller report`).
 *
 * Inputs (fc_report_input, all borrowed): the clock, the inventory with its
 * daily cost rows, recommendations, anomalies, the plan, the execution
 * journal, the specs (Budgets are evaluated here with the budget engine, at
 * every day boundary of the period for the burn-down), the status tree so
 * far (which proposals exist) and the previous status (dated reports).
 * Output: files added to an fc_status_tree.  Pure: no I/O, no wall clock;
 * sorting always ends on a unique key and every number has fixed decimals,
 * so identical inputs give identical bytes.
 */
#include "controller/report/fc_report.h"
#include "controller/report/report_int.h"
#include "controller/core/fc_error.h"
#include "controller/executor/fc_executor.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COST_WINDOW_DAYS 90
#define TOP_SERVICES 6
#define MAX_ANOMALY_CHARTS 6
#define MAX_ROWS_PER_RULE 25
#define MAX_PRIORITY_ROWS 25
#define MAX_ANOMALY_ROWS 50
#define MAX_NEXT_PROPOSALS 5
#define KEEP_DATED 52

static const char *const kind_names[] = {"all", "discovery", "optimization", "anomaly",
                                         "budget"};
static const char *const weekday_names[7] = {"mon", "tue", "wed", "thu",
                                             "fri", "sat", "sun"};

int fc_report_kind_parse(const char *s)
{
    size_t i;
    for (i = 0; s && i < FC_ARRAY_LEN(kind_names); i++)
        if (strcmp(s, kind_names[i]) == 0)
            return (int)i;
    return -1;
}

const char *fc_report_kind_name(fc_report_kind k)
{
    return (size_t)k < FC_ARRAY_LEN(kind_names) ? kind_names[k] : "all";
}

/* Monday = 0 for a unix time (1970-01-01 was a Thursday). */
static int weekday_of(int64_t t)
{
    int64_t d = (t - ((t % FC_DAY) + FC_DAY) % FC_DAY) / FC_DAY;
    return (int)(((d + 3) % 7 + 7) % 7);
}

static int64_t day_of(int64_t t)
{
    return t - ((t % FC_DAY) + FC_DAY) % FC_DAY;
}

int fc_report_due(const fc_spec_set *specs, int64_t now)
{
    const fc_object *first = NULL;
    size_t i;
    for (i = 0; specs && i < specs->nobjects; i++) {
        const fc_object *o = &specs->objects[i];
        if (o->kind == FC_KIND_SCHEDULE && o->spec.schedule &&
            (!first || strcmp(o->metadata.name, first->metadata.name) < 0))
            first = o;
    }
    if (!first || !first->spec.schedule->report_day)
        return 1;
    return strcmp(first->spec.schedule->report_day, weekday_names[weekday_of(now)]) == 0;
}

/* ---- the builder's state ------------------------------------------------- */

/* One Budget: its evaluation now and its cumulative spend per day. */
typedef struct {
    const fc_object *obj;
    fc_budget_eval ev;
    int ok;               /* evaluated */
    double *ax, *ay;      /* actual: cumulative at day offsets */
    size_t na;
    double *fx, *fy;      /* forecast path to the period end */
    size_t nf;
} rbudget;

typedef struct {
    const fc_report_input *in;
    fc_report_kind kind;
    fc_status_tree *out;
    const char *dir;
    const char *cur;
    int64_t today;
    fc_buf md;
    int rc;
    rbudget *b;
    size_t nb;
    /* cost window: [ws, ws + wdays days) */
    int64_t ws;
    size_t wdays;
    int64_t last_cost_day; /* newest row before now; 0 = none */
    const char **props;   /* proposals/... paths of in->status, sorted */
    size_t nprops;
} rctx;

static void md(rctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void md(rctx *c, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    int n;
    if (c->rc != FC_OK)
        return;
    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof(tmp))
        n = (int)sizeof(tmp) - 1; /* a very long line is cut, not lost */
    if ((c->rc = fc_buf_append(&c->md, tmp, (size_t)n)) != FC_OK)
        fc_error_set(c->rc, "out of memory");
}

/* Escaped text for a table cell or a sentence. */
static void mde(rctx *c, const char *s)
{
    if (c->rc == FC_OK && (c->rc = fc_report_md_escape(&c->md, s ? s : "")) != FC_OK)
        fc_error_set(c->rc, "out of memory");
}

static const char *money(char *buf, size_t size, const rctx *c, double v)
{
    fc_report_money(buf, size, v, c->cur);
    return buf;
}

static void path_in(char *buf, size_t size, const char *dir, const char *name)
{
    if (dir && *dir)
        snprintf(buf, size, "%s/%s", dir, name);
    else
        snprintf(buf, size, "%s", name);
}

static void add_file(rctx *c, const char *rel, const fc_buf *b)
{
    char path[512];
    if (c->rc != FC_OK)
        return;
    path_in(path, sizeof(path), c->dir, rel);
    c->rc = fc_status_tree_add_raw(c->out, path, b->data ? b->data : "", b->len);
}

/* A file name from an id: [a-z0-9-] kept, anything else '-'. */
static void file_safe(char *buf, size_t size, const char *prefix, const char *id)
{
    size_t i, o;
    snprintf(buf, size, "%s", prefix);
    o = strlen(buf);
    for (i = 0; id[i] && o + 5 < size; i++) {
        char ch = id[i];
        buf[o++] = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' ? ch
                   : (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a')
                                              : '-';
    }
    snprintf(buf + o, size - o, ".svg");
}

/* Charts live in <dir>/charts/, which the markdown links relatively. */
static void add_chart(rctx *c, const char *file, const fc_buf *b)
{
    char rel[300];
    snprintf(rel, sizeof(rel), "charts/%s", file);
    add_file(c, rel, b);
}

static void chart_link(rctx *c, const char *alt, const char *file)
{
    md(c, "![");
    mde(c, alt);
    md(c, "](charts/%s)\n\n", file);
}

/* ---- budgets ------------------------------------------------------------------- */

static void rbudget_dispose(rbudget *r)
{
    fc_budget_eval_dispose(&r->ev);
    free(r->ax);
    free(r->ay);
    free(r->fx);
    free(r->fy);
}

/* The burn-down of one Budget: spend at the end of each complete day of the
 * period (the engine evaluated at that day boundary, so it is the very
 * figure the Budget status would have shown), the partial day up to now,
 * then the engine's forecast spread over the remaining days by its daily
 * rate and weekday factors. */
static int budget_prep(rbudget *r, const fc_spec_set *set, const fc_inventory *inv,
                       int64_t now)
{
    int64_t start, end, today = day_of(now), d0, d;
    size_t ndays, ncomplete, k;
    double base;
    int rc;

    if ((rc = fc_engine_budget_tree(&r->ev, set, r->obj, inv, now)) != FC_OK)
        return rc;
    r->ok = 1;
    start = r->ev.period_start;
    end = r->ev.period_end;
    ndays = (size_t)((end - start) / FC_DAY);
    ncomplete = today > start ? (size_t)((today - start) / FC_DAY) : 0;
    if (ncomplete > ndays)
        ncomplete = ndays;
    r->ax = calloc(ncomplete + 2, sizeof(double));
    r->ay = calloc(ncomplete + 2, sizeof(double));
    r->fx = calloc(ndays + 2, sizeof(double));
    r->fy = calloc(ndays + 2, sizeof(double));
    if (!r->ax || !r->ay || !r->fx || !r->fy)
        return fc_error_set(FC_ENOMEM, "out of memory");
    r->na = 1; /* (0, 0) */
    for (k = 0; k < ncomplete; k++) {
        fc_budget_eval e;
        int64_t t = start + (int64_t)(k + 1) * FC_DAY;
        if (t >= now)
            break;
        if ((rc = fc_engine_budget_tree(&e, set, r->obj, inv, t)) != FC_OK)
            return rc;
        r->ax[r->na] = (double)(k + 1);
        r->ay[r->na++] = e.actual;
        fc_budget_eval_dispose(&e);
    }
    /* The day in progress, when it has cost rows already. */
    if (now > start && now < end && (double)(now - start) / FC_DAY > r->ax[r->na - 1] &&
        r->ev.actual > r->ay[r->na - 1] + 0.005) {
        r->ax[r->na] = (double)(now - start) / FC_DAY;
        r->ay[r->na++] = r->ev.actual;
    }
    if (!r->ev.fc.method || strcmp(r->ev.fc.method, "none") == 0)
        return FC_OK;
    d0 = r->ev.fc.last_complete_day ? r->ev.fc.last_complete_day + FC_DAY : start;
    if (d0 < start)
        d0 = start;
    k = (size_t)((d0 - start) / FC_DAY);
    base = k == 0 ? 0 : k < r->na ? r->ay[k] : r->ev.actual;
    r->fx[0] = (double)k;
    r->fy[0] = base;
    r->nf = 1;
    for (d = d0; d < end; d += FC_DAY) {
        base += r->ev.fc.daily_rate * r->ev.fc.weekday_factors[weekday_of(d)];
        r->fx[r->nf] = (double)((d + FC_DAY - start) / FC_DAY);
        r->fy[r->nf++] = base;
    }
    return FC_OK;
}

static int cmp_budget(const void *a, const void *b)
{
    const rbudget *x = a, *y = b;
    return strcmp(x->obj->metadata.name, y->obj->metadata.name);
}

static int budgets_prep(rctx *c)
{
    const fc_spec_set *set = c->in->specs;
    size_t i, n = 0;
    int rc;
    for (i = 0; set && i < set->nobjects; i++)
        n += set->objects[i].kind == FC_KIND_BUDGET && !set->objects[i].suspended;
    if (!n)
        return FC_OK;
    if (!(c->b = calloc(n, sizeof(*c->b))))
        return fc_error_set(FC_ENOMEM, "out of memory");
    for (i = 0; i < set->nobjects; i++)
        if (set->objects[i].kind == FC_KIND_BUDGET && !set->objects[i].suspended)
            c->b[c->nb++].obj = &set->objects[i];
    qsort(c->b, c->nb, sizeof(*c->b), cmp_budget);
    for (i = 0; i < c->nb; i++)
        if (c->in->inv && (rc = budget_prep(&c->b[i], set, c->in->inv, c->in->now)) != FC_OK) {
            /* An invalid Budget is reported by its reconciler; skip it here. */
            if (rc == FC_ENOMEM)
                return rc;
            c->b[i].ok = 0;
        }
    return FC_OK;
}

static int budget_is_top(const rctx *c, const rbudget *r)
{
    size_t i;
    const char *p = r->obj->spec.budget->parent;
    if (!p)
        return 1;
    for (i = 0; i < c->nb; i++)
        if (strcmp(c->b[i].obj->metadata.name, p) == 0)
            return 0;
    return 1;
}

static int budget_crossed(const rbudget *r)
{
    size_t i;
    for (i = 0; i < r->ev.nthresholds; i++)
        if (r->ev.thresholds[i].crossed)
            return 1;
    return 0;
}

static void budget_chart(rctx *c, const rbudget *r, char *file, size_t fsize)
{
    fc_chart_series s[2];
    fc_chart_hline *h = NULL;
    fc_chart_time ch;
    char title[256], sd[16], ed[16], m[64], (*labels)[160] = NULL;
    fc_buf svg;
    size_t i, nh = 0;

    file_safe(file, fsize, "budget-", r->obj->metadata.name);
    h = calloc(r->ev.nthresholds + 1, sizeof(*h));
    labels = calloc(r->ev.nthresholds + 1, sizeof(*labels));
    if (!h || !labels) {
        c->rc = fc_error_set(FC_ENOMEM, "out of memory");
        goto done;
    }
    fc_date_format(sd, sizeof(sd), r->ev.period_start);
    fc_date_format(ed, sizeof(ed), r->ev.period_end - FC_DAY);
    snprintf(title, sizeof(title), "Budget %s: burn-down %s to %s", r->obj->metadata.name, sd, ed);
    memset(s, 0, sizeof(s));
    s[0].name = "actual spend (cumulative)";
    s[0].x = r->ax;
    s[0].y = r->ay;
    s[0].n = r->na;
    s[0].color = "#1f6fb4";
    s[1].name = "forecast to period end";
    s[1].x = r->fx;
    s[1].y = r->fy;
    s[1].n = r->nf;
    s[1].dashed = 1;
    s[1].color = "#f28e2b";
    fc_report_amount(m, sizeof(m), r->ev.amount, 0);
    snprintf(labels[nh], sizeof(labels[0]), "budget: %s %s", m, c->cur);
    h[nh].label = labels[nh];
    h[nh].y = r->ev.amount;
    h[nh++].color = "#333333";
    for (i = 0; i < r->ev.nthresholds; i++) {
        const fc_threshold_eval *t = &r->ev.thresholds[i];
        fc_report_amount(m, sizeof(m), r->ev.amount * t->percent / 100.0, 0);
        snprintf(labels[nh], sizeof(labels[0]), "%.0f%% %s%s: %s %s", t->percent, t->type,
                 t->crossed ? ", crossed" : "", m, c->cur);
        h[nh].label = labels[nh];
        h[nh].y = r->ev.amount * t->percent / 100.0;
        h[nh].dashed = 1;
        h[nh++].color = t->crossed ? "#d62728" : "#8c8c8c";
    }
    memset(&ch, 0, sizeof(ch));
    ch.title = title;
    ch.unit = c->cur;
    ch.day0 = r->ev.period_start;
    ch.xmax = (double)((r->ev.period_end - r->ev.period_start) / FC_DAY);
    ch.series = s;
    ch.nseries = r->nf ? 2 : 1;
    ch.hlines = h;
    ch.nhlines = nh;
    fc_buf_init(&svg);
    if ((c->rc = fc_chart_time_svg(&svg, &ch)) == FC_OK)
        add_chart(c, file, &svg);
    fc_buf_dispose(&svg);
done:
    free(h);
    free(labels);
}

static void section_budgets(rctx *c)
{
    char a[64], f[64], g[64], file[256], sd[16];
    size_t i, k;
    md(c, "## Budgets\n\n");
    if (!c->nb) {
        md(c, "No Budget specs.\n\n");
        return;
    }
    md(c, "| Budget | Period from | Amount | Actual | Actual %% | Forecast | Forecast %% | "
          "Thresholds crossed |\n|---|---|---:|---:|---:|---:|---:|---|\n");
    for (i = 0; i < c->nb; i++) {
        const rbudget *r = &c->b[i];
        int any = 0;
        md(c, "| ");
        mde(c, r->obj->metadata.name);
        if (!r->ok) {
            md(c, " | | | | | | | not evaluated: see status/budgets/ |\n");
            continue;
        }
        fc_date_format(sd, sizeof(sd), r->ev.period_start);
        md(c, " | %s | %s | %s | %.1f%% | %s | %.1f%% | ", sd, money(a, sizeof(a), c, r->ev.amount),
           money(f, sizeof(f), c, r->ev.actual), r->ev.actual_percent,
           money(g, sizeof(g), c, r->ev.forecast), r->ev.forecast_percent);
        for (k = 0; k < r->ev.nthresholds; k++)
            if (r->ev.thresholds[k].crossed) {
                md(c, "%s%.0f%% %s", any ? ", " : "", r->ev.thresholds[k].percent,
                   r->ev.thresholds[k].type);
                any = 1;
            }
        md(c, "%s |\n", any ? "" : "none");
    }
    md(c, "\n");
    for (i = 0; i < c->nb && c->rc == FC_OK; i++) {
        const rbudget *r = &c->b[i];
        if (!r->ok)
            continue;
        budget_chart(c, r, file, sizeof(file));
        md(c, "Burn-down of `%s`: forecast method %s, daily rate %s.\n\n", r->obj->metadata.name,
           r->ev.fc.method ? r->ev.fc.method : "none", money(a, sizeof(a), c, r->ev.fc.daily_rate));
        snprintf(a, sizeof(a), "Burn-down of budget %s", r->obj->metadata.name);
        chart_link(c, a, file);
    }
}

/* ---- cost window and cost by service ---------------------------------------- */

static void cost_window(rctx *c)
{
    const fc_inventory *inv = c->in->inv;
    int64_t lo = c->today - (int64_t)COST_WINDOW_DAYS * FC_DAY, first = 0;
    size_t i;
    for (i = 0; inv && i < inv->ncosts; i++) {
        int64_t d = inv->costs[i].day;
        if (d >= c->in->now)
            continue;
        if (d > c->last_cost_day)
            c->last_cost_day = d;
        if (d >= lo && d < c->today && (!first || d < first))
            first = d;
    }
    c->ws = first ? first : c->today;
    c->wdays = first ? (size_t)((c->today - first) / FC_DAY) : 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorted distinct strings from ptrs (sorted in place); returns the count. */
static size_t uniq(const char **ptrs, size_t n)
{
    size_t i, o = 0;
    qsort(ptrs, n, sizeof(*ptrs), cmp_str);
    for (i = 0; i < n; i++)
        if (!o || strcmp(ptrs[o - 1], ptrs[i]) != 0)
            ptrs[o++] = ptrs[i];
    return o;
}

typedef struct {
    size_t idx;
    double total;
} rank_item;

static int cmp_rank(const void *a, const void *b)
{
    const rank_item *x = a, *y = b;
    if (x->total != y->total)
        return x->total > y->total ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static void chart_cost_by_service(rctx *c, double *out_total)
{
    const fc_inventory *inv = c->in->inv;
    const char **names = NULL;
    double *m = NULL, *series_y = NULL;
    rank_item *rank = NULL;
    fc_chart_series *s = NULL;
    char (*labels)[96] = NULL;
    fc_chart_time ch;
    fc_buf svg;
    size_t i, j, n = 0, ns, W = c->wdays, top, nseries;
    char title[128];

    fc_buf_init(&svg);
    *out_total = 0;
    if (!W || !inv)
        return;
    if (!(names = malloc(inv->ncosts * sizeof(*names)))) {
        c->rc = fc_error_set(FC_ENOMEM, "out of memory");
        goto done;
    }
    for (i = 0; i < inv->ncosts; i++)
        if (inv->costs[i].day >= c->ws && inv->costs[i].day < c->today)
            names[n++] = inv->costs[i].service ? inv->costs[i].service : "";
    ns = uniq(names, n);
    m = calloc(ns * W + 1, sizeof(*m));
    rank = calloc(ns + 1, sizeof(*rank));
    if (!m || !rank) {
        c->rc = fc_error_set(FC_ENOMEM, "out of memory");
        goto done;
    }
    for (i = 0; i < inv->ncosts; i++) {
        const fc_cost_row *r = &inv->costs[i];
        const char *key = r->service ? r->service : "";
        const char **hit;
        if (r->day < c->ws || r->day >= c->today)
            continue;
        hit = bsearch(&key, names, ns, sizeof(*names), cmp_str);
        if (!hit)
            continue;
        m[(size_t)(hit - names) * W + (size_t)((r->day - c->ws) / FC_DAY)] += r->amount;
        rank[hit - names].total += r->amount;
        *out_total += r->amount;
    }
    for (i = 0; i < ns; i++)
        rank[i].idx = i;
    qsort(rank, ns, sizeof(*rank), cmp_rank);
    top = ns > TOP_SERVICES + 1 ? TOP_SERVICES : ns;
    nseries = top + (ns > top);
    s = calloc(nseries + 1, sizeof(*s));
    series_y = calloc(nseries * W + 1, sizeof(*series_y));
    labels = calloc(nseries + 1, sizeof(*labels));
    if (!s || !series_y || !labels) {
        c->rc = fc_error_set(FC_ENOMEM, "out of memory");
        goto done;
    }
    for (i = 0; i < ns; i++) {
        size_t slot = i < top ? i : top;
        for (j = 0; j < W; j++)
            series_y[slot * W + j] += m[rank[i].idx * W + j];
    }
    for (i = 0; i < nseries; i++) {
        if (i < top)
            snprintf(labels[i], sizeof(labels[0]), "%s", names[rank[i].idx][0] ? names[rank[i].idx] : "(no service)");
        else
            snprintf(labels[i], sizeof(labels[0]), "other (%zu services)", ns - top);
        s[i].name = labels[i];
        s[i].y = series_y + i * W;
        s[i].n = W;
    }
    snprintf(title, sizeof(title), "Daily cost by service, last %zu days", W);
    memset(&ch, 0, sizeof(ch));
    ch.title = title;
    ch.unit = c->cur;
    ch.day0 = c->ws;
    ch.xmax = W > 1 ? (double)(W - 1) : 1;
    ch.stacked = 1;
    ch.series = s;
    ch.nseries = nseries;
    if ((c->rc = fc_chart_time_svg(&svg, &ch)) == FC_OK)
        add_chart(c, "cost-by-service.svg", &svg);
done:
    fc_buf_dispose(&svg);
    free(names);
    free(m);
    free(rank);
    free(s);
    free(series_y);
    free(labels);
}

static void count_table(rctx *c, const char *what, const char **keys, size_t n)
{
    size_t i = 0, j;
    qsort(keys, n, sizeof(*keys), cmp_str);
    md(c, "| %s | Resources |\n|---|---:|\n", what);
    while (i < n) {
        for (j = i; j < n && strcmp(keys[j], keys[i]) == 0; j++)
            ;
        md(c, "| ");
        mde(c, keys[i]);
        md(c, " | %zu |\n", j - i);
        i = j;
    }
    md(c, "\n");
}

static void section_discovery(rctx *c)
{
    const fc_inventory *inv = c->in->inv;
    const char **keys = NULL;
    double total = 0;
    char a[64];
    size_t i;

    md(c, "## Inventory and cost\n\n");
    if (!inv || !inv->nresources) {
        md(c, "No resources were discovered.\n\n");
    } else if (!(keys = malloc(inv->nresources * sizeof(*keys)))) {
        c->rc = fc_error_set(FC_ENOMEM, "out of memory");
        return;
    } else {
        md(c, "%zu resources observed.\n\n", inv->nresources);
        for (i = 0; i < inv->nresources; i++)
            keys[i] = fc_resource_type_name(inv->resources[i].type);
        count_table(c, "Type", keys, inv->nresources);
        for (i = 0; i < inv->nresources; i++)
            keys[i] = inv->resources[i].account ? inv->resources[i].account : "";
        count_table(c, "Account", keys, inv->nresources);
        for (i = 0; i < inv->nresources; i++)
            keys[i] = inv->resources[i].region ? inv->resources[i].region : "";
        count_table(c, "Region", keys, inv->nresources);
        free(keys);
    }
    for (i = 0; inv && i < inv->nstale; i++) {
        md(c, "- Not discovered: account ");
        mde(c, inv->stale[i].account);
        md(c, "%s", inv->stale[i].region[0] ? " region " : "");
        mde(c, inv->stale[i].region);
        md(c, ": ");
        mde(c, inv->stale[i].error);
        md(c, "\n%s", i + 1 == inv->nstale ? "\n" : "");
    }
    chart_cost_by_service(c, &total);
    if (c->wdays) {
        md(c, "Cost of the last %zu days: %s.\n\n", c->wdays, money(a, sizeof(a), c, total));
        chart_link(c, "Daily cost by service", "cost-by-service.svg");
    } else {
        md(c, "No daily cost data.\n\n");
    }
}

/* ---- recommendations ---------------------------------------------------------- */

/* How sure a recommendation is to hold once acted on: lower-risk actions
 * are the surer savings. */
static double confidence(fc_risk r)
{
    return r == FC_RISK_LOW ? 0.9 : r == FC_RISK_MEDIUM ? 0.7 : 0.5;
}

static const fc_recommendation_list *recs_of(const rctx *c)
{
    static const fc_recommendation_list empty = {NULL, 0};
    return c->in->recs ? c->in->recs : &empty;
}

static int cmp_by_rule(const void *a, const void *b)
{
    const fc_recommendation *x = *(const fc_recommendation *const *)a;
    const fc_recommendation *y = *(const fc_recommendation *const *)b;
    int k = strcmp(x->rule, y->rule);
    if (k)
        return k;
    if (x->monthly_saving != y->monthly_saving)
        return x->monthly_saving > y->monthly_saving ? -1 : 1;
    return strcmp(x->id, y->id);
}

static int cmp_priority(const void *a, const void *b)
{
    const fc_recommendation *x = *(const fc_recommendation *const *)a;
    const fc_recommendation *y = *(const fc_recommendation *const *)b;
    double sx = x->monthly_saving * confidence(x->risk);
    double sy = y->monthly_saving * confidence(y->risk);
    if (sx != sy)
        return sx > sy ? -1 : 1;
    return strcmp(x->id, y->id);
}

static const fc_recommendation **sorted_recs(rctx *c, int (*cmp)(const void *, const void *))
{
    const fc_recommendation_list *l = recs_of(c);
    const fc_recommendation **v = calloc(l->n + 1, sizeof(*v));
    size_t i;
    if (!v) {
        c->rc = fc_error_set(FC_ENOMEM, "out of memory");
        return NULL;
    }
    for (i = 0; i < l->n; i++)
        v[i] = &l->items[i];
    qsort(v, l->n, sizeof(*v), cmp);
    return v;
}

/* The proposals the status tree holds, sorted for bsearch (the tree's own
 * lookup is a scan, and this runs once per recommendation). */
static int proposals_prep(rctx *c)
{
    const fc_status_tree *t = c->in->status;
    size_t i;
    if (!t || !t->n)
        return FC_OK;
    if (!(c->props = malloc(t->n * sizeof(*c->props))))
        return fc_error_set(FC_ENOMEM, "out of memory");
    for (i = 0; i < t->n; i++)
        if (strncmp(t->files[i].path, "proposals/", 10) == 0)
            c->props[c->nprops++] = t->files[i].path;
    qsort(c->props, c->nprops, sizeof(*c->props), cmp_str);
    return FC_OK;
}

static int has_proposal(const rctx *c, const fc_recommendation *r)
{
    char path[512];
    const char *key = path;
    if (!c->nprops || !r->action || strcmp(r->action, "none") == 0)
        return 0;
    snprintf(path, sizeof(path), "proposals/%s.yaml", r->id);
    return bsearch(&key, c->props, c->nprops, sizeof(*c->props), cmp_str) != NULL;
}

static void proposal_link(rctx *c, const char *id)
{
    /* Relative to status/reports/, the report's home in the repo, also in
     * a local copy (`report --out`), so both are the same bytes. */
    md(c, "[proposals/%s.yaml](../../proposals/%s.yaml)", id, id);
}

static void section_findings(rctx *c)
{
    const fc_recommendation_list *l = recs_of(c);
    const fc_recommendation **v;
    char a[64];
    size_t i = 0, j, k;

    md(c, "## Detailed findings\n\n");
    if (!l->n) {
        md(c, "No waste found.\n\n");
        return;
    }
    if (!(v = sorted_recs(c, cmp_by_rule)))
        return;
    while (i < l->n) {
        double sum = 0;
        for (j = i; j < l->n && strcmp(v[j]->rule, v[i]->rule) == 0; j++)
            sum += v[j]->monthly_saving;
        md(c, "### %s: %zu finding%s, %s/month\n\n", v[i]->rule, j - i, j - i == 1 ? "" : "s",
           money(a, sizeof(a), c, sum));
        md(c, "| Resource | Account | Region | Monthly saving | Evidence |\n"
              "|---|---|---|---:|---|\n");
        for (k = i; k < j && k < i + MAX_ROWS_PER_RULE; k++) {
            const fc_recommendation *r = v[k];
            size_t e;
            md(c, "| ");
            mde(c, r->resource);
            md(c, " | ");
            mde(c, r->account);
            md(c, " | ");
            mde(c, r->region);
            md(c, " | %s | ", money(a, sizeof(a), c, r->monthly_saving));
            for (e = 0; e < r->nevidence; e++) {
                md(c, "%s", e ? "; " : "");
                mde(c, r->evidence[e].key);
                md(c, "=");
                mde(c, r->evidence[e].value);
            }
            md(c, " |\n");
        }
        if (j - i > MAX_ROWS_PER_RULE)
            md(c, "\n%zu more in status/recommendations/.\n", j - i - MAX_ROWS_PER_RULE);
        md(c, "\n");
        i = j;
    }
    free(v);
}

static void chart_savings(rctx *c)
{
    const fc_recommendation_list *l = recs_of(c);
    const fc_recommendation **v;
    fc_chart_bar *bars = NULL;
    rank_item *rank = NULL;
    char (*labels)[96] = NULL, (*tips)[160] = NULL, a[64];
    fc_buf svg;
    size_t i = 0, j, n = 0, k;

    if (!l->n || !(v = sorted_recs(c, cmp_by_rule)))
        return;
    fc_buf_init(&svg);
    rank = calloc(l->n, sizeof(*rank));
    bars = calloc(l->n, sizeof(*bars));
    labels = calloc(l->n, sizeof(*labels));
    tips = calloc(l->n, sizeof(*tips));
    if (!rank || !bars || !labels || !tips) {
        c->rc = fc_error_set(FC_ENOMEM, "out of memory");
        goto done;
    }
    /* One bar per rule, largest first; rank idx is the first rec of the rule. */
    while (i < l->n) {
        rank[n].idx = i;
        for (j = i; j < l->n && strcmp(v[j]->rule, v[i]->rule) == 0; j++)
            rank[n].total += v[j]->monthly_saving;
        n++;
        i = j;
    }
    qsort(rank, n, sizeof(*rank), cmp_rank);
    for (k = 0; k < n; k++) {
        size_t cnt = 0;
        for (j = rank[k].idx; j < l->n && strcmp(v[j]->rule, v[rank[k].idx]->rule) == 0; j++)
            cnt++;
        snprintf(labels[k], sizeof(labels[0]), "%s (%zu)", v[rank[k].idx]->rule, cnt);
        snprintf(tips[k], sizeof(tips[0]), "%s: %s/month from %zu recommendation%s",
                 v[rank[k].idx]->rule, money(a, sizeof(a), c, rank[k].total), cnt,
                 cnt == 1 ? "" : "s");
        bars[k].label = labels[k];
        bars[k].value = rank[k].total;
        bars[k].tip = tips[k];
    }
    snprintf(a, sizeof(a), "%s / month", c->cur);
    if ((c->rc = fc_chart_bars_svg(&svg, "Potential savings by rule", a, bars, n)) == FC_OK)
        add_chart(c, "savings-by-rule.svg", &svg);
done:
    fc_buf_dispose(&svg);
    free(v);
    free(rank);
    free(bars);
    free(labels);
    free(tips);
}

static void section_recommendations(rctx *c)
{
    const fc_recommendation_list *l = recs_of(c);
    const fc_recommendation **v;
    char a[64];
    size_t i;

    md(c, "## Prioritised recommendations\n\n");
    if (!l->n) {
        md(c, "None.\n\n");
        return;
    }
    md(c, "Ranked by monthly saving x confidence (low risk 0.9, medium 0.7, high 0.5).\n\n");
    if (!(v = sorted_recs(c, cmp_priority)))
        return;
    md(c, "| # | Recommendation | Monthly saving | Risk | Score | Action |\n"
          "|---:|---|---:|---|---:|---|\n");
    for (i = 0; i < l->n && i < MAX_PRIORITY_ROWS; i++) {
        const fc_recommendation *r = v[i];
        md(c, "| %zu | ", i + 1);
        mde(c, r->summary ? r->summary : r->id);
        md(c, " (`%s`) | %s | %s | %.2f | ", r->id, money(a, sizeof(a), c, r->monthly_saving),
           fc_risk_name(r->risk), r->monthly_saving * confidence(r->risk));
        if (has_proposal(c, r)) {
            mde(c, r->action);
            md(c, ": ");
            proposal_link(c, r->id);
        } else if (r->action && strcmp(r->action, "none") != 0) {
            mde(c, r->action);
        } else {
            md(c, "by hand");
        }
        md(c, " |\n");
    }
    if (l->n > MAX_PRIORITY_ROWS)
        md(c, "\n%zu more in status/recommendations/.\n", l->n - MAX_PRIORITY_ROWS);
    md(c, "\n");
    free(v);
    chart_savings(c);
    chart_link(c, "Potential savings by rule", "savings-by-rule.svg");
}

/* ---- anomalies ---------------------------------------------------------------- */

static int cmp_anomaly(const void *a, const void *b)
{
    const fc_anomaly *x = *(const fc_anomaly *const *)a;
    const fc_anomaly *y = *(const fc_anomaly *const *)b;
    if (x->open != y->open)
        return x->open ? -1 : 1;
    if (x->impact != y->impact)
        return x->impact > y->impact ? -1 : 1;
    return strcmp(x->id, y->id);
}

static const fc_anomaly **sorted_anomalies(rctx *c, size_t *n)
{
    const fc_anomaly_list *l = c->in->anomalies;
    const fc_anomaly **v;
    size_t i;
    *n = l ? l->n : 0;
    if (!(v = calloc(*n + 1, sizeof(*v)))) {
        c->rc = fc_error_set(FC_ENOMEM, "out of memory");
        return NULL;
    }
    for (i = 0; i < *n; i++)
        v[i] = &l->items[i];
    qsort(v, *n, sizeof(*v), cmp_anomaly);
    return v;
}

/* The anomaly's own cost line over the window, its days marked. */
static void anomaly_chart(rctx *c, const fc_anomaly *an, char *file, size_t fsize)
{
    const fc_inventory *inv = c->in->inv;
    size_t W = c->wdays, i, nm = 0, ne = 0;
    double *y = NULL, *ex = NULL, *ey = NULL;
    fc_chart_marker *mk = NULL;
    char (*tips)[192] = NULL, title[256], day[16], a1[64], a2[64];
    fc_chart_series s[2];
    fc_chart_time ch;
    fc_buf svg;

    fc_buf_init(&svg);
    file_safe(file, fsize, "", an->id);
    y = calloc(W + 1, sizeof(*y));
    ex = calloc(an->ndays + 1, sizeof(*ex));
    ey = calloc(an->ndays + 1, sizeof(*ey));
    mk = calloc(an->ndays + 1, sizeof(*mk));
    tips = calloc(an->ndays + 1, sizeof(*tips));
    if (!y || !ex || !ey || !mk || !tips) {
        c->rc = fc_error_set(FC_ENOMEM, "out of memory");
        goto done;
    }
    for (i = 0; inv && i < inv->ncosts; i++) {
        const fc_cost_row *r = &inv->costs[i];
        if (r->day < c->ws || r->day >= c->today || strcmp(r->account, an->account) != 0 ||
            strcmp(r->service ? r->service : "", an->service) != 0)
            continue;
        if (an->region && an->region[0] && (!r->region || strcmp(r->region, an->region) != 0))
            continue;
        y[(r->day - c->ws) / FC_DAY] += r->amount;
    }
    for (i = 0; i < an->ndays; i++) {
        const fc_anomaly_day *d = &an->days[i];
        double x;
        if (d->day < c->ws || d->day >= c->today)
            continue;
        x = (double)((d->day - c->ws) / FC_DAY);
        fc_date_format(day, sizeof(day), d->day);
        snprintf(tips[nm], sizeof(tips[0]), "%s: %s, expected %s (z %.1f)", day,
                 money(a1, sizeof(a1), c, d->actual), money(a2, sizeof(a2), c, d->expected), d->z);
        mk[nm].x = x;
        mk[nm].y = d->actual;
        mk[nm].tip = tips[nm];
        nm++;
        ex[ne] = x;
        ey[ne++] = d->expected;
    }
    snprintf(title, sizeof(title), "Anomaly: %s in %s%s%s", an->service, an->account,
             an->region && an->region[0] ? " " : "", an->region ? an->region : "");
    memset(s, 0, sizeof(s));
    s[0].name = "daily cost";
    s[0].y = y;
    s[0].n = W;
    s[0].color = "#1f6fb4";
    s[1].name = "expected (baseline)";
    s[1].x = ex;
    s[1].y = ey;
    s[1].n = ne;
    s[1].dashed = 1;
    s[1].color = "#59a14f";
    memset(&ch, 0, sizeof(ch));
    ch.title = title;
    ch.unit = c->cur;
    ch.day0 = c->ws;
    ch.xmax = W > 1 ? (double)(W - 1) : 1;
    ch.series = s;
    ch.nseries = ne > 1 ? 2 : 1;
    ch.markers = mk;
    ch.nmarkers = nm;
    ch.marker_label = "anomalous day";
    if ((c->rc = fc_chart_time_svg(&svg, &ch)) == FC_OK)
        add_chart(c, file, &svg);
done:
    fc_buf_dispose(&svg);
    free(y);
    free(ex);
    free(ey);
    free(mk);
    free(tips);
}

static void section_anomalies(rctx *c)
{
    const fc_anomaly **v;
    char a[64], d1[16], d2[16], file[256];
    size_t n, i;

    md(c, "## Anomalies\n\n");
    if (!(v = sorted_anomalies(c, &n)))
        return;
    if (!n) {
        md(c, "No cost anomalies.\n\n");
        free(v);
        return;
    }
    md(c, "| Anomaly | Account | Service | Region | Days | Impact | Severity | State |\n"
          "|---|---|---|---|---|---:|---|---|\n");
    for (i = 0; i < n && i < MAX_ANOMALY_ROWS; i++) {
        const fc_anomaly *an = v[i];
        fc_date_format(d1, sizeof(d1), an->first_day);
        fc_date_format(d2, sizeof(d2), an->last_day);
        md(c, "| ");
        mde(c, an->id);
        md(c, " | ");
        mde(c, an->account);
        md(c, " | ");
        mde(c, an->service);
        md(c, " | ");
        mde(c, an->region);
        md(c, " | %s to %s | %s | %s | %s |\n", d1, d2, money(a, sizeof(a), c, an->impact),
           fc_anomaly_severity_name(an->severity), an->open ? "open" : "resolved");
    }
    md(c, "\n");
    for (i = 0; i < n && i < MAX_ANOMALY_CHARTS && c->wdays && c->rc == FC_OK; i++) {
        anomaly_chart(c, v[i], file, sizeof(file));
        snprintf(a, sizeof(a), "Cost line of %s", v[i]->id);
        chart_link(c, a, file);
    }
    free(v);
}

/* ---- summary and next steps ------------------------------------------------------ */

static void section_summary(rctx *c)
{
    const fc_inventory *inv = c->in->inv;
    const fc_recommendation_list *l = recs_of(c);
    const fc_exec_list *ex = c->in->executions;
    int64_t ms = fc_month_start(c->in->now), from30 = c->today - 30 * (int64_t)FC_DAY;
    double last30 = 0, mtd = 0, bamt = 0, bact = 0, bfc = 0, saving = 0, impact = 0;
    size_t i, over = 0, nprop = 0, open = 0, done = 0, failed = 0, rolled = 0, planned = 0,
              blocked = 0, ntop = 0;
    char a[64], b[64], sd[16];

    for (i = 0; inv && i < inv->ncosts; i++) {
        const fc_cost_row *r = &inv->costs[i];
        if (r->day >= from30 && r->day < c->today)
            last30 += r->amount;
        if (r->day >= ms && r->day < c->in->now)
            mtd += r->amount;
    }
    for (i = 0; i < c->nb; i++) {
        if (!c->b[i].ok)
            continue;
        over += budget_crossed(&c->b[i]);
        if (budget_is_top(c, &c->b[i])) {
            ntop++;
            bamt += c->b[i].ev.amount;
            bact += c->b[i].ev.actual;
            bfc += c->b[i].ev.forecast;
        }
    }
    for (i = 0; i < l->n; i++) {
        saving += l->items[i].monthly_saving;
        nprop += has_proposal(c, &l->items[i]);
    }
    for (i = 0; c->in->anomalies && i < c->in->anomalies->n; i++)
        if (c->in->anomalies->items[i].open) {
            open++;
            impact += c->in->anomalies->items[i].impact;
        }
    for (i = 0; ex && i < ex->n; i++) {
        done += ex->items[i].state == FC_EXEC_DONE;
        failed += ex->items[i].state == FC_EXEC_FAILED;
        rolled += ex->items[i].state == FC_EXEC_ROLLED_BACK;
    }
    for (i = 0; c->in->plan && i < c->in->plan->n; i++) {
        planned += c->in->plan->items[i].state == FC_PLAN_PLANNED;
        blocked += c->in->plan->items[i].state == FC_PLAN_BLOCKED;
    }
    fc_date_format(sd, sizeof(sd), ms);
    md(c, "## Executive summary\n\n| Figure | Value |\n|---|---:|\n");
    md(c, "| Cost, last 30 days | %s |\n", money(a, sizeof(a), c, last30));
    md(c, "| Month to date (since %s) | %s |\n", sd, money(a, sizeof(a), c, mtd));
    if (ntop) {
        md(c, "| Month to date vs budget (%zu top-level budget%s) | %s of %s (%.1f%%) |\n", ntop,
           ntop == 1 ? "" : "s", money(a, sizeof(a), c, bact), money(b, sizeof(b), c, bamt),
           bamt > 0 ? bact / bamt * 100 : 0);
        md(c, "| Forecast at period end | %s (%.1f%%) |\n", money(a, sizeof(a), c, bfc),
           bamt > 0 ? bfc / bamt * 100 : 0);
        md(c, "| Budgets over a threshold | %zu of %zu |\n", over, c->nb);
    } else {
        md(c, "| Budgets | none defined |\n");
    }
    md(c, "| Potential monthly savings | %s from %zu recommendation%s (%zu with a proposal) |\n",
       money(a, sizeof(a), c, saving), l->n, l->n == 1 ? "" : "s", nprop);
    md(c, "| Open anomalies | %zu (impact %s) |\n", open, money(a, sizeof(a), c, impact));
    md(c, "| Actions executed | %zu done, %zu failed, %zu rolled back |\n", done, failed, rolled);
    md(c, "| Actions planned (dry-run) | %zu planned, %zu blocked |\n\n", planned, blocked);
}

static void section_next_steps(rctx *c)
{
    const fc_recommendation_list *l = recs_of(c);
    const fc_exec_list *ex = c->in->executions;
    int opt = c->kind == FC_REPORT_ALL || c->kind == FC_REPORT_OPTIMIZATION;
    int bud = c->kind == FC_REPORT_ALL || c->kind == FC_REPORT_BUDGET;
    int ano = c->kind == FC_REPORT_ALL || c->kind == FC_REPORT_ANOMALY;
    const fc_recommendation **v = NULL;
    const fc_anomaly **av = NULL;
    char a[64], f[64], b[64];
    size_t i, n = 0, shown = 0, na = 0;

    md(c, "## Next steps\n\n");
    if (opt && l->n && (v = sorted_recs(c, cmp_priority)) != NULL) {
        for (i = 0; i < l->n && shown < MAX_NEXT_PROPOSALS; i++) {
            if (!has_proposal(c, v[i]))
                continue;
            shown++;
            md(c, "%zu. Approve ", ++n);
            proposal_link(c, v[i]->id);
            md(c, " (%s/month, %s risk): ", money(a, sizeof(a), c, v[i]->monthly_saving),
               fc_risk_name(v[i]->risk));
            mde(c, v[i]->summary);
            md(c, ". Copy it into the spec root's optimizations/ with your identity in "
                  "`approval.approvedBy`, in a reviewed pull request.\n");
        }
        free(v);
    }
    for (i = 0; opt && c->in->plan && i < c->in->plan->n; i++) {
        const fc_plan_item *it = &c->in->plan->items[i];
        if (it->state != FC_PLAN_BLOCKED)
            continue;
        md(c, "%zu. Unblock Optimization `%s` (%s): ", ++n, it->optimization,
           it->reason ? it->reason : "blocked");
        mde(c, it->message);
        md(c, ". See status/optimizations/%s.yaml.\n", it->optimization);
    }
    for (i = 0; opt && ex && i < ex->n; i++)
        if (ex->items[i].state == FC_EXEC_FAILED) {
            md(c, "%zu. Look into the failed execution status/executions/%s.yaml: ", ++n,
               ex->items[i].id);
            mde(c, ex->items[i].error ? ex->items[i].error : "no error recorded");
            md(c, "\n");
        }
    for (i = 0; bud && i < c->nb; i++) {
        const rbudget *r = &c->b[i];
        if (!r->ok || (!budget_crossed(r) && r->ev.forecast_percent < 100))
            continue;
        md(c, "%zu. Budget `%s` needs attention: actual %s (%.1f%%), forecast %s (%.1f%%) of %s. "
              "See status/budgets/%s.yaml.\n",
           ++n, r->obj->metadata.name, money(a, sizeof(a), c, r->ev.actual), r->ev.actual_percent,
           money(f, sizeof(f), c, r->ev.forecast), r->ev.forecast_percent,
           money(b, sizeof(b), c, r->ev.amount), r->obj->metadata.name);
    }
    if (ano && (av = sorted_anomalies(c, &na)) != NULL) {
        for (i = 0; i < na; i++) {
            const fc_anomaly *an = av[i];
            char d1[16];
            if (!an->open)
                continue;
            fc_date_format(d1, sizeof(d1), an->first_day);
            md(c, "%zu. Investigate `%s`: ", ++n, an->id);
            mde(c, an->service);
            md(c, " in %s since %s, impact %s", an->account, d1,
               money(a, sizeof(a), c, an->impact));
            if (an->ncauses) {
                md(c, "; top cause %s ", an->causes[0].dimension);
                mde(c, an->causes[0].value);
                md(c, " (%.0f%%)", an->causes[0].share * 100);
            }
            md(c, ". See status/anomalies/%s.yaml.\n", an->id);
        }
        free(av);
    }
    md(c, "%s\n", n ? "" : "Nothing needs attention.\n");
}

/* ---- dated reports ----------------------------------------------------------------- */

static int cmp_date_desc(const void *a, const void *b)
{
    return strcmp(*(const char *const *)b, *(const char *const *)a);
}

/* Re-adds the dated reports index.md listed last pass (the status tree is
 * rebuilt every pass) and writes the index with today's when dated. */
static void carry_dated(rctx *c, const char *date, int dated)
{
    char (*dates)[11] = NULL, path[512], name[32];
    const char **order = NULL;
    fc_buf prev, idx;
    size_t n = 0, cap = KEEP_DATED * 2 + 2, i;
    const char *p;

    fc_buf_init(&prev);
    fc_buf_init(&idx);
    dates = calloc(cap, sizeof(*dates));
    order = calloc(cap, sizeof(*order));
    if (!dates || !order) {
        c->rc = fc_error_set(FC_ENOMEM, "out of memory");
        goto done;
    }
    if (dated)
        memcpy(dates[n++], date, 11);
    path_in(path, sizeof(path), c->dir, "index.md");
    if (c->in->prev && c->in->prev(c->in->prev_payload, path, &prev) == FC_OK && prev.data) {
        for (p = prev.data; (p = strstr(p, "\n- [")) != NULL && n < cap; p++) {
            int64_t t;
            char d[11];
            memcpy(d, p + 4, 10);
            d[10] = '\0';
            if (fc_time_parse(d, &t) != 0 || (dated && strcmp(d, date) == 0))
                continue;
            memcpy(dates[n++], d, 11);
        }
    }
    for (i = 0; i < n; i++)
        order[i] = dates[i];
    n = uniq(order, n);
    qsort(order, n, sizeof(*order), cmp_date_desc);
    if (n > KEEP_DATED)
        n = KEEP_DATED;
    if (!n)
        goto done;
    fc_buf_puts(&idx, "# Weekly FinOps reports\n\n[Latest](latest.md)\n");
    for (i = 0; i < n && c->rc == FC_OK; i++) {
        if (!dated || strcmp(order[i], date) != 0) {
            snprintf(name, sizeof(name), "%s.md", order[i]);
            path_in(path, sizeof(path), c->dir, name);
            prev.len = 0;
            if (!c->in->prev || c->in->prev(c->in->prev_payload, path, &prev) != FC_OK)
                continue; /* gone: drop it from the index */
            c->rc = fc_status_tree_add_raw(c->out, path, prev.data ? prev.data : "", prev.len);
        }
        if (fc_buf_printf(&idx, "- [%s](%s.md)\n", order[i], order[i]) != FC_OK)
            c->rc = fc_error_set(FC_ENOMEM, "out of memory");
    }
    add_file(c, "index.md", &idx);
done:
    fc_buf_dispose(&prev);
    fc_buf_dispose(&idx);
    free(dates);
    free(order);
}

/* ---- entry point ----------------------------------------------------------------------- */

int fc_report_build(fc_status_tree *out, const fc_report_input *in, fc_report_kind kind,
                    const char *dir, int dated)
{
    rctx c;
    char date[16], last[16], name[64];
    size_t i;

    memset(&c, 0, sizeof(c));
    c.in = in;
    c.kind = kind;
    c.out = out;
    c.dir = dir ? dir : "";
    c.cur = in->currency ? in->currency
            : in->inv && in->inv->currency ? in->inv->currency
                                           : "USD";
    c.today = day_of(in->now);
    fc_buf_init(&c.md);
    cost_window(&c);
    if ((c.rc = budgets_prep(&c)) != FC_OK || (c.rc = proposals_prep(&c)) != FC_OK)
        goto done;

    fc_date_format(date, sizeof(date), in->now);
    if (kind == FC_REPORT_ALL)
        md(&c, "# FinOps report, %s\n\n", date);
    else
        md(&c, "# FinOps %s report, %s\n\n", fc_report_kind_name(kind), date);
    if (c.last_cost_day) {
        fc_date_format(last, sizeof(last), c.last_cost_day);
        md(&c, "Costs up to %s; amounts in %s. Written by finops-controller from the pass of "
               "%s; the figures behind it are under status/.\n\n",
           last, c.cur, date);
    } else {
        md(&c, "No cost data yet; amounts in %s.\n\n", c.cur);
    }
    section_summary(&c);
    if (kind == FC_REPORT_ALL || kind == FC_REPORT_OPTIMIZATION) {
        section_findings(&c);
        section_recommendations(&c);
    }
    if (kind == FC_REPORT_ALL || kind == FC_REPORT_BUDGET)
        section_budgets(&c);
    if (kind == FC_REPORT_ALL || kind == FC_REPORT_ANOMALY)
        section_anomalies(&c);
    if (kind == FC_REPORT_ALL || kind == FC_REPORT_DISCOVERY)
        section_discovery(&c);
    if (kind != FC_REPORT_DISCOVERY)
        section_next_steps(&c);
    if (c.rc != FC_OK)
        goto done;
    snprintf(name, sizeof(name), "%s.md", kind == FC_REPORT_ALL ? "latest" : fc_report_kind_name(kind));
    add_file(&c, name, &c.md);
    if (kind == FC_REPORT_ALL && dated) {
        snprintf(name, sizeof(name), "%s.md", date);
        add_file(&c, name, &c.md);
    }
    if (kind == FC_REPORT_ALL && c.rc == FC_OK)
        carry_dated(&c, date, dated);
done:
    for (i = 0; i < c.nb; i++)
        rbudget_dispose(&c.b[i]);
    free(c.b);
    free(c.props);
    fc_buf_dispose(&c.md);
    return c.rc;
}
