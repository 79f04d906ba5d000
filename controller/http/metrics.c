/*
 * metrics.c - a small Prometheus metrics registry and its text exposition
 * (format 0.0.4): counters, gauges and histograms with labels.
 *
 * Inputs: definitions and updates from the run loop, the pass (git timings)
 * and snapshot builders.  Output: text for /metrics.  A registry owns its
 * families and series; one mutex per registry makes updates and rendering
 * thread-safe (the HTTP thread renders while the pass updates).  Series
 * keep their creation order, so output is stable between scrapes.
 */
#include "controller/http/fc_http.h"
#include "controller/core/fc_error.h"

#include <assert.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    char **labels; /* npairs * 2 strings */
    size_t npairs;
    double value; /* counter, gauge */
    double sum;   /* histogram */
    uint64_t count;
    uint64_t *buckets; /* per bucket, not cumulative */
} series;

typedef struct {
    char *name;
    char *help;
    fc_metric_type type;
    double *bounds;
    size_t nbounds;
    series *s;
    size_t n, cap;
} family;

struct fc_metrics {
    pthread_mutex_t mu;
    family *f;
    size_t n, cap;
};

int fc_metrics_new(fc_metrics **out)
{
    fc_metrics *m = calloc(1, sizeof(*m));
    *out = NULL;
    if (!m)
        return fc_error_set(FC_ENOMEM, "metrics");
    pthread_mutex_init(&m->mu, NULL);
    *out = m;
    return FC_OK;
}

static void series_dispose(series *s)
{
    size_t i;
    for (i = 0; i < s->npairs * 2; i++)
        free(s->labels[i]);
    free(s->labels);
    free(s->buckets);
}

void fc_metrics_free(fc_metrics *m)
{
    size_t i, j;
    if (!m)
        return;
    for (i = 0; i < m->n; i++) {
        for (j = 0; j < m->f[i].n; j++)
            series_dispose(&m->f[i].s[j]);
        free(m->f[i].s);
        free(m->f[i].name);
        free(m->f[i].help);
        free(m->f[i].bounds);
    }
    free(m->f);
    pthread_mutex_destroy(&m->mu);
    free(m);
}

static family *find_family(fc_metrics *m, const char *name)
{
    size_t i;
    for (i = 0; i < m->n; i++)
        if (strcmp(m->f[i].name, name) == 0)
            return &m->f[i];
    return NULL;
}

int fc_metrics_define(fc_metrics *m, const char *name, fc_metric_type type,
                      const char *help, const double *buckets, size_t nbuckets)
{
    family *f;
    int rc = FC_OK;

    pthread_mutex_lock(&m->mu);
    if (find_family(m, name))
        goto done;
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 16;
        family *nf = realloc(m->f, cap * sizeof(*nf));
        if (!nf) {
            rc = fc_error_set(FC_ENOMEM, "metrics");
            goto done;
        }
        m->f = nf;
        m->cap = cap;
    }
    f = &m->f[m->n];
    memset(f, 0, sizeof(*f));
    f->type = type;
    f->name = fc_strdup(name);
    f->help = fc_strdup(help ? help : "");
    if (type == FC_METRIC_HISTOGRAM && nbuckets) {
        f->bounds = malloc(nbuckets * sizeof(double));
        if (f->bounds)
            memcpy(f->bounds, buckets, nbuckets * sizeof(double));
        f->nbounds = nbuckets;
    }
    if (!f->name || !f->help || (f->nbounds && !f->bounds)) {
        free(f->name);
        free(f->help);
        free(f->bounds);
        rc = fc_error_set(FC_ENOMEM, "metrics");
        goto done;
    }
    m->n++;
done:
    pthread_mutex_unlock(&m->mu);
    return rc;
}

static int same_labels(const series *s, const char *const *labels, size_t npairs)
{
    size_t i;
    if (s->npairs != npairs)
        return 0;
    for (i = 0; i < npairs * 2; i++)
        if (strcmp(s->labels[i], labels[i] ? labels[i] : "") != 0)
            return 0;
    return 1;
}

/* The series of f with these labels, created when absent (mutex held). */
static series *get_series(family *f, const char *const *labels, size_t npairs)
{
    series *s;
    size_t i;
    for (i = 0; i < f->n; i++)
        if (same_labels(&f->s[i], labels, npairs))
            return &f->s[i];
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 8;
        series *ns = realloc(f->s, cap * sizeof(*ns));
        if (!ns)
            return NULL;
        f->s = ns;
        f->cap = cap;
    }
    s = &f->s[f->n];
    memset(s, 0, sizeof(*s));
    if (npairs && !(s->labels = calloc(npairs * 2, sizeof(char *))))
        return NULL;
    s->npairs = npairs;
    if (f->type == FC_METRIC_HISTOGRAM &&
        !(s->buckets = calloc(f->nbounds + 1, sizeof(uint64_t))))
        goto fail;
    for (i = 0; i < npairs * 2; i++) {
        /* Label names are fixed by code: misuse is an assert, not an error. */
        assert(i % 2 || (labels[i] && labels[i][0] && !strchr(labels[i], '"')));
        if (!(s->labels[i] = fc_strdup(labels[i] ? labels[i] : "")))
            goto fail;
    }
    f->n++;
    return s;
fail:
    series_dispose(s);
    return NULL;
}

enum { OP_ADD, OP_SET, OP_OBSERVE };

static int update(fc_metrics *m, const char *name, const char *const *labels,
                  size_t npairs, double v, int op)
{
    family *f;
    series *s;
    size_t i;
    int rc = FC_OK;

    pthread_mutex_lock(&m->mu);
    if (!(f = find_family(m, name))) {
        rc = fc_error_set(FC_ENOTFOUND, "metric %s is not defined", name);
        goto done;
    }
    assert((op == OP_OBSERVE) == (f->type == FC_METRIC_HISTOGRAM));
    if (!(s = get_series(f, labels, npairs))) {
        rc = fc_error_set(FC_ENOMEM, "metrics");
        goto done;
    }
    switch (op) {
    case OP_ADD: s->value += v; break;
    case OP_SET: s->value = v; break;
    default:
        for (i = 0; i < f->nbounds && v > f->bounds[i]; i++)
            ;
        s->buckets[i]++; /* i == nbounds: only +Inf holds it */
        s->sum += v;
        s->count++;
    }
done:
    pthread_mutex_unlock(&m->mu);
    return rc;
}

int fc_metrics_add(fc_metrics *m, const char *name, const char *const *labels,
                   size_t npairs, double delta)
{
    return update(m, name, labels, npairs, delta, OP_ADD);
}

int fc_metrics_set(fc_metrics *m, const char *name, const char *const *labels,
                   size_t npairs, double value)
{
    return update(m, name, labels, npairs, value, OP_SET);
}

int fc_metrics_observe(fc_metrics *m, const char *name, const char *const *labels,
                       size_t npairs, double value)
{
    return update(m, name, labels, npairs, value, OP_OBSERVE);
}

/* Label values escape \, " and newline; HELP text escapes \ and newline. */
static int put_escaped(fc_buf *out, const char *s, int quote)
{
    int rc = FC_OK;
    for (; *s && rc == FC_OK; s++) {
        if (*s == '\\')
            rc = fc_buf_puts(out, "\\\\");
        else if (*s == '\n')
            rc = fc_buf_puts(out, "\\n");
        else if (*s == '"' && quote)
            rc = fc_buf_puts(out, "\\\"");
        else
            rc = fc_buf_append(out, s, 1);
    }
    return rc;
}

/* The shortest "%g" text that reads back as v: 0.1, not 0.10000000000000001. */
static const char *shortest(double v, char *buf, size_t size)
{
    int prec;
    for (prec = 6; prec < 17; prec++) {
        snprintf(buf, size, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return buf;
    }
    snprintf(buf, size, "%.17g", v);
    return buf;
}

static int put_number(fc_buf *out, double v)
{
    char buf[64];
    if (isnan(v))
        return fc_buf_puts(out, "NaN");
    if (isinf(v))
        return fc_buf_puts(out, v > 0 ? "+Inf" : "-Inf");
    return fc_buf_puts(out, shortest(v, buf, sizeof(buf)));
}

/* name{k="v",...,extra_k="extra_v"} */
static int put_series_name(fc_buf *out, const char *name, const char *suffix,
                           const series *s, const char *extra_k, const char *extra_v)
{
    size_t i;
    int rc = fc_buf_printf(out, "%s%s", name, suffix);
    if (rc == FC_OK && (s->npairs || extra_k)) {
        rc = fc_buf_puts(out, "{");
        for (i = 0; i < s->npairs && rc == FC_OK; i++) {
            rc = fc_buf_printf(out, "%s%s=\"", i ? "," : "", s->labels[2 * i]);
            if (rc == FC_OK)
                rc = put_escaped(out, s->labels[2 * i + 1], 1);
            if (rc == FC_OK)
                rc = fc_buf_puts(out, "\"");
        }
        if (rc == FC_OK && extra_k)
            rc =
                fc_buf_printf(out, "%s%s=\"%s\"", s->npairs ? "," : "", extra_k, extra_v);
        if (rc == FC_OK)
            rc = fc_buf_puts(out, "}");
    }
    return rc == FC_OK ? fc_buf_puts(out, " ") : rc;
}

static int render_family(fc_buf *out, const family *f)
{
    static const char *const types[] = {"counter", "gauge", "histogram"};
    size_t i, b;
    int rc;

    rc = fc_buf_printf(out, "# HELP %s ", f->name);
    if (rc == FC_OK)
        rc = put_escaped(out, f->help, 0);
    if (rc == FC_OK)
        rc = fc_buf_printf(out, "\n# TYPE %s %s\n", f->name, types[f->type]);
    for (i = 0; i < f->n && rc == FC_OK; i++) {
        const series *s = &f->s[i];
        uint64_t cum = 0;
        if (f->type != FC_METRIC_HISTOGRAM) {
            rc = put_series_name(out, f->name, "", s, NULL, NULL);
            if (rc == FC_OK)
                rc = put_number(out, s->value);
            if (rc == FC_OK)
                rc = fc_buf_puts(out, "\n");
            continue;
        }
        /* Buckets are cumulative: each counts every observation <= le. */
        for (b = 0; b <= f->nbounds && rc == FC_OK; b++) {
            char le[64];
            cum += s->buckets[b];
            if (b < f->nbounds)
                shortest(f->bounds[b], le, sizeof(le));
            else
                snprintf(le, sizeof(le), "+Inf");
            rc = put_series_name(out, f->name, "_bucket", s, "le", le);
            if (rc == FC_OK)
                rc = fc_buf_printf(out, "%llu\n", (unsigned long long)cum);
        }
        if (rc == FC_OK)
            rc = put_series_name(out, f->name, "_sum", s, NULL, NULL);
        if (rc == FC_OK)
            rc = put_number(out, s->sum);
        if (rc == FC_OK)
            rc = fc_buf_puts(out, "\n");
        if (rc == FC_OK)
            rc = put_series_name(out, f->name, "_count", s, NULL, NULL);
        if (rc == FC_OK)
            rc = fc_buf_printf(out, "%llu\n", (unsigned long long)s->count);
    }
    return rc;
}

static fc_metrics *global;
static void sync_api_calls(fc_metrics *m);

int fc_metrics_render(fc_metrics *m, fc_buf *out)
{
    size_t i;
    int rc = FC_OK;
    if (m == global) /* counters kept lock-free by the aws client */
        sync_api_calls(m);
    pthread_mutex_lock(&m->mu);
    for (i = 0; i < m->n && rc == FC_OK; i++)
        if (m->f[i].n)
            rc = render_family(out, &m->f[i]);
    pthread_mutex_unlock(&m->mu);
    if (rc != FC_OK)
        return fc_error_set(FC_ENOMEM, "metrics text");
    return FC_OK;
}

/* ---- the process registry ------------------------------------------------ */

static pthread_once_t global_once = PTHREAD_ONCE_INIT;

static const double pass_buckets[] = {0.1, 0.25, 0.5, 1,   2.5, 5,
                                      10,  30,   60,  120, 300, 600};
static const double git_buckets[] = {0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};

static void global_init(void)
{
    fc_metrics *m;
    if (fc_metrics_new(&m) != FC_OK || !m)
        return;
    fc_metrics_define(m, "finops_reconcile_duration_seconds", FC_METRIC_HISTOGRAM,
                      "Duration of reconcile passes.", pass_buckets,
                      FC_ARRAY_LEN(pass_buckets));
    fc_metrics_define(
        m, "finops_passes_total", FC_METRIC_COUNTER,
        "Reconcile passes by result (committed, unchanged, skipped, failed).", NULL, 0);
    fc_metrics_define(m, "finops_last_successful_pass_timestamp_seconds", FC_METRIC_GAUGE,
                      "Unix time the last successful pass ended.", NULL, 0);
    fc_metrics_define(m, "finops_git_sync_duration_seconds", FC_METRIC_HISTOGRAM,
                      "Duration of git fetches of the tracked branch.", git_buckets,
                      FC_ARRAY_LEN(git_buckets));
    fc_metrics_define(m, "finops_git_sync_failures_total", FC_METRIC_COUNTER,
                      "Failed git fetches.", NULL, 0);
    fc_metrics_define(m, "finops_git_push_duration_seconds", FC_METRIC_HISTOGRAM,
                      "Duration of status pushes.", git_buckets,
                      FC_ARRAY_LEN(git_buckets));
    fc_metrics_define(m, "finops_git_push_failures_total", FC_METRIC_COUNTER,
                      "Failed status pushes (a rejected push that is retried counts).",
                      NULL, 0);
    fc_metrics_define(m, "finops_api_calls_total", FC_METRIC_COUNTER,
                      "Cloud API requests sent (each attempt), by service and result "
                      "(ok, throttled, client_error, server_error, network_error).",
                      NULL, 0);
    fc_metrics_define(m, "finops_api_retries_total", FC_METRIC_COUNTER,
                      "Cloud API requests retried after throttling, 5xx or a "
                      "connection error, by service.",
                      NULL, 0);
    fc_metrics_define(m, "finops_actions_executed_total", FC_METRIC_COUNTER,
                      "Plan items the executor handled, by result (done, failed, "
                      "skipped, ...).",
                      NULL, 0);
    fc_metrics_define(m, "finops_git_history_rewrites_total", FC_METRIC_COUNTER,
                      "Fetches where the branch was rewritten (the last synced head is "
                      "not an ancestor of the new one); the controller re-synced.",
                      NULL, 0);
    /* Failure counters exist from the start, so rate() sees the first one. */
    fc_metrics_add(m, "finops_git_history_rewrites_total", NULL, 0, 0);
    fc_metrics_add(m, "finops_git_sync_failures_total", NULL, 0, 0);
    fc_metrics_add(m, "finops_git_push_failures_total", NULL, 0, 0);
    global = m;
}

fc_metrics *fc_metrics_global(void)
{
    pthread_once(&global_once, global_init);
    return global;
}

double fc_metrics_clock(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void fc_metrics_git(const char *op, double seconds, int rc)
{
    fc_metrics *m = fc_metrics_global();
    int push = strcmp(op, "push") == 0;
    if (!m)
        return;
    fc_metrics_observe(
        m, push ? "finops_git_push_duration_seconds" : "finops_git_sync_duration_seconds",
        NULL, 0, seconds);
    if (rc != FC_OK)
        fc_metrics_add(
            m, push ? "finops_git_push_failures_total" : "finops_git_sync_failures_total",
            NULL, 0, 1);
}

/* Copies the aws client's counters (fc_aws_api_stats) into the registry;
 * a service appears once it made a call. */
static void sync_api_calls(fc_metrics *m)
{
    unsigned long calls[FC_AWS_API_NSERVICES][FC_AWS_API_NRESULTS];
    unsigned long retries[FC_AWS_API_NSERVICES];
    size_t i, j;

    fc_aws_api_stats(calls, retries);
    for (i = 0; i < FC_AWS_API_NSERVICES; i++) {
        const char *l[4] = {"service", fc_aws_api_services[i], "result", NULL};
        unsigned long total = 0;
        for (j = 0; j < FC_AWS_API_NRESULTS; j++) {
            total += calls[i][j];
            if (!calls[i][j])
                continue;
            l[3] = fc_aws_api_results[j];
            fc_metrics_set(m, "finops_api_calls_total", l, 2, (double)calls[i][j]);
        }
        if (total)
            fc_metrics_set(m, "finops_api_retries_total", l, 1, (double)retries[i]);
    }
}

void fc_metrics_action(const char *result)
{
    fc_metrics *m = fc_metrics_global();
    const char *l[2] = {"result", result};
    if (m)
        fc_metrics_add(m, "finops_actions_executed_total", l, 1, 1);
}
