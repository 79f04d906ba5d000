/*
 * fc_http.h - the controller's HTTP server (libmicrohttpd): /healthz,
 * /readyz, /metrics (Prometheus text) and read-only JSON under /api/v1/,
 * plus the scheduler's two write endpoints, POST /hooks/git (signed
 * webhooks) and POST /api/v1/tasks/<name>/<verb> (bearer token), which only
 * call back into the run loop (fc_http_tasks; checks in hooks.c).
 *
 * Handlers never touch git, the cloud or a pass's live data.  After each
 * pass that computed findings, the pass publishes an immutable, refcounted
 * snapshot (fc_http_publish); handlers take a reference to the current one
 * under a mutex and render from it.  Process counters and histograms
 * (passes, durations, git) live in one global metrics registry; gauges
 * derived from a pass's data live in its snapshot, so a scrape never sees
 * half of two passes.  Runs are read from the state store (read-only
 * connection per request).
 */
#ifndef FC_HTTP_H
#define FC_HTTP_H

#include "controller/cloud/fc_cloud.h"
#include "controller/core/fc_util.h"
#include "controller/engines/fc_engines.h"
#include "controller/pass/fc_run.h"
#include "controller/status/fc_status.h"
#include "reconcilers/fc_reconcilers.h"
#include "specs/fc_specs.h"

#include <stddef.h>
#include <stdint.h>

/* ---- metrics registry (metrics.c) -------------------------------------- */

typedef enum { FC_METRIC_COUNTER, FC_METRIC_GAUGE, FC_METRIC_HISTOGRAM } fc_metric_type;

typedef struct fc_metrics fc_metrics;

int fc_metrics_new(fc_metrics **out);
void fc_metrics_free(fc_metrics *m);
/* Declares a family.  buckets (histograms only) are upper bounds in
 * increasing order, +Inf implied.  Defining a name twice is a no-op. */
int fc_metrics_define(fc_metrics *m, const char *name, fc_metric_type type,
                      const char *help, const double *buckets, size_t nbuckets);
/* labels: npairs name/value pairs ("result", "ok", ...); the series is
 * created on first use.  FC_ENOTFOUND for an undefined family. */
int fc_metrics_add(fc_metrics *m, const char *name, const char *const *labels,
                   size_t npairs, double delta);
int fc_metrics_set(fc_metrics *m, const char *name, const char *const *labels,
                   size_t npairs, double value);
int fc_metrics_observe(fc_metrics *m, const char *name, const char *const *labels,
                       size_t npairs, double value);
/* Appends the exposition text (format 0.0.4) of every family with series. */
int fc_metrics_render(fc_metrics *m, fc_buf *out);

/* The process registry (counters, histograms); thread-safe. */
fc_metrics *fc_metrics_global(void);
/* Monotonic seconds, for durations. */
double fc_metrics_clock(void);
/* One git operation ("sync" = fetch, "push") took seconds and ended rc. */
void fc_metrics_git(const char *op, double seconds, int rc);
/* The executor handled one plan item with this result ("done", "failed"). */
void fc_metrics_action(const char *result);

/* ---- API lists, pagination and filters (api.c) -------------------------- */

/* One pre-serialised JSON object and the fields a query can filter on. */
typedef struct {
    char *account; /* NULL when the kind has none */
    char *region;
    char *type;
    char *json;
} fc_api_item;

typedef struct {
    fc_api_item *items;
    size_t n, cap;
} fc_api_list;

void fc_api_list_init(fc_api_list *l);
void fc_api_list_dispose(fc_api_list *l);
/* Serialises obj (kept by the caller) with its filter fields. */
int fc_api_list_add(fc_api_list *l, const char *account, const char *region,
                    const char *type, struct json_object *obj);

#define FC_API_LIMIT_DEFAULT 100
#define FC_API_LIMIT_MAX 1000
#define FC_API_VALUE_MAX 256 /* longest accepted query value */

typedef struct {
    size_t limit;
    size_t offset;
    char account[FC_API_VALUE_MAX];
    char region[FC_API_VALUE_MAX];
    char type[FC_API_VALUE_MAX];
} fc_api_query;

/* Fills q from raw query values (NULL = absent): limit (1..1000, default
 * 100), offset or continue (the token a previous page returned).
 * FC_EINVALID with a message for a malformed or oversized value. */
int fc_api_query_parse(fc_api_query *q, const char *limit, const char *offset,
                       const char *cont, const char *account, const char *region,
                       const char *type);
/* {"items":[...],"total":N,"offset":O,"limit":L[,"continue":"T"]}: the
 * items matching q's filters, from offset, at most limit. */
int fc_api_page(fc_buf *out, const fc_api_list *l, const fc_api_query *q);

/* ---- snapshot (snapshot.c) ----------------------------------------------- */

typedef struct fc_http_snapshot fc_http_snapshot;

/* Builds a snapshot from one pass's data (all borrowed; nothing is kept). */
int fc_http_snapshot_build(fc_http_snapshot **out, const fc_spec_set *set,
                           const fc_inventory *inv, const fc_recommendation_list *recs,
                           const fc_anomaly_list *anomalies, const fc_plan *plan,
                           const fc_status_tree *st, const char *head, int64_t now);
/* Refcounting: the creator holds one reference. */
void fc_http_snapshot_unref(fc_http_snapshot *s);
/* Makes s current (takes the caller's reference); the previous one is
 * released when its last reader is done. */
void fc_http_snapshot_publish(fc_http_snapshot *s);
/* A reference to the current snapshot, or NULL before the first. */
fc_http_snapshot *fc_http_snapshot_current(void);

/* The pass calls this after reconciling: builds and publishes a snapshot
 * when a server is running (a no-op otherwise).  Failures are logged. */
void fc_http_publish(const fc_spec_set *set, const fc_inventory *inv,
                     const fc_recommendation_list *recs, const fc_anomaly_list *anomalies,
                     const fc_plan *plan, const fc_status_tree *st, const char *head,
                     int64_t now);

/* Borrowed views of a snapshot (api handlers, tests). */
const fc_api_list *fc_http_snapshot_list(const fc_http_snapshot *s, const char *what);
const char *fc_http_snapshot_report(const fc_http_snapshot *s, size_t *len);
fc_metrics *fc_http_snapshot_gauges(const fc_http_snapshot *s);

/* ---- server (server.c) --------------------------------------------------- */

typedef struct fc_http fc_http;

/* The run loop's side of the write endpoints (controller/sched/loop.c).
 * They run on the server thread and must only flag work and wake the loop. */
typedef struct {
    /* GET /api/v1/tasks: appends {"items":[...]} to out. */
    int (*tasks_json)(fc_buf *out, void *payload);
    /* POST /api/v1/tasks/<name>/<verb>, verb run|enable|disable:
     * FC_OK, FC_ENOTFOUND (no such task) or FC_EINVALID (verb). */
    int (*task_action)(const char *name, const char *verb, void *payload);
    /* POST /hooks/git with a valid signature: sync now (coalesced). */
    void (*git_hook)(void *payload);
    void *payload;
} fc_http_tasks;

typedef struct {
    const char *state_dir; /* for /api/v1/runs; NULL = no runs */
    /* Shared secret of POST /hooks/git (copied); NULL = the hook is 404. */
    const char *webhook_secret;
    /* Bearer token of the POST /api/v1/tasks/ endpoints (copied); NULL =
     * writes are refused (403). */
    const char *api_token;
    const fc_http_tasks *tasks; /* NULL = no task endpoints (404) */
} fc_http_opts;

/* ---- write endpoints' checks (hooks.c) ----------------------------------- */

#define FC_HTTP_BODY_MAX (1024 * 1024) /* POST bodies; larger is 413 */

/* 1 when a webhook body is signed with secret by any of: GitHub
 * X-Hub-Signature-256 "sha256=<hex HMAC-SHA256>", Gitea X-Gitea-Signature
 * "<hex HMAC-SHA256>", GitLab X-Gitlab-Token "<secret>" (NULL = header
 * absent).  Comparisons are constant-time; nothing is logged. */
int fc_http_hook_verify(const char *secret, const void *body, size_t len,
                        const char *github_sig256, const char *gitea_sig,
                        const char *gitlab_token);
/* 1 when the Authorization header is "Bearer <token>" (constant-time). */
int fc_http_bearer_ok(const char *token, const char *authorization);
/* Reads a secret file: the first line, trailing CR/LF/space removed.
 * FC_EIO / FC_EINVALID (empty) with a message naming the file only. */
int fc_http_read_secret(const char *path, char **out);

/* Listens on "HOST:PORT" (IPv4 or [IPv6]; port 0 = any free port) and
 * serves from a libmicrohttpd thread.  FC_EINVALID for a bad address,
 * FC_EIO when it cannot bind. */
int fc_http_start(fc_http **out, const char *listen, const fc_http_opts *opts);
/* The bound port. */
unsigned fc_http_port(const fc_http *srv);
/* Stops serving, waits for handlers in flight, frees srv (NULL ok). */
void fc_http_stop(fc_http *srv);
/* 1 while a server runs (the pass builds snapshots only then). */
int fc_http_serving(void);
/* 1 while a server runs without a snapshot: after a restart the loop forces
 * one full pass, even when the pass memo says nothing is due. */
int fc_http_needs_pass(void);

/* The run loop reports each pass: result, duration and the interval that
 * /readyz allows three of between successful passes. */
void fc_http_pass_done(int rc, const fc_run_result *res, double seconds, long interval_s);

/* /readyz: 1 when ready; else 0 and a one-line reason.  now_mono is
 * fc_metrics_clock(); exposed for tests. */
int fc_http_ready(double now_mono, char *why, size_t size);

#endif
