/*
 * server.c - the HTTP endpoints on libmicrohttpd: /healthz, /readyz,
 * /metrics and read-only /api/v1/{resources,recommendations,anomalies,
 * budgets,actions,runs,reports/latest}.
 *
 * Inputs: the current snapshot (snapshot.c), the process metrics registry,
 * the pass results the run loop reports (readiness) and, for runs, the
 * state store opened read-only per request.  Output: responses; nothing
 * here writes anywhere.  MHD serves from its own thread; everything shared
 * with the run loop sits behind a mutex or a snapshot reference.
 * GET and HEAD everywhere; POST only on the write endpoints: /hooks/git
 * (signed webhooks) and /api/v1/tasks/<name>/<verb> (bearer token), which
 * only flag work for the run loop through its callbacks.  Paths with ".."
 * and oversized queries are refused.
 */
#include "controller/http/fc_http.h"
#include "controller/core/fc_error.h"
#include "controller/core/fc_log.h"

#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define URL_MAX 1024
#define ARGS_MAX 16

struct fc_http {
    struct MHD_Daemon *d;
    char *state_dir;
    unsigned port;
    char *webhook_secret; /* NULL = no /hooks/git */
    char *api_token;      /* NULL = task writes refused */
    fc_http_tasks tasks;
    int has_tasks;
};

/* A POST body being received (MHD calls the handler once per chunk). */
typedef struct {
    fc_buf body;
    int too_big;
} post_ctx;

/* ---- readiness ----------------------------------------------------------- */

static pthread_mutex_t ready_mu = PTHREAD_MUTEX_INITIALIZER;
static double last_ok_mono = -1; /* monotonic end of the last good pass */
static long ready_interval = 300;
static int last_failed;
static char last_error[256];
static int serving;

void fc_http_pass_done(int rc, const fc_run_result *res, double seconds, long interval_s)
{
    fc_metrics *m = fc_metrics_global();
    const char *result = rc != FC_OK      ? "failed"
                         : res->skipped   ? "skipped"
                         : res->committed ? "committed"
                                          : "unchanged";
    const char *l[] = {"result", result};

    if (m) {
        fc_metrics_observe(m, "finops_reconcile_duration_seconds", NULL, 0, seconds);
        fc_metrics_add(m, "finops_passes_total", l, 1, 1);
        if (rc == FC_OK)
            fc_metrics_set(m, "finops_last_successful_pass_timestamp_seconds", NULL, 0,
                           (double)time(NULL));
    }
    pthread_mutex_lock(&ready_mu);
    if (interval_s > 0)
        ready_interval = interval_s;
    last_failed = rc != FC_OK;
    if (rc == FC_OK)
        last_ok_mono = fc_metrics_clock();
    else
        snprintf(last_error, sizeof(last_error), "%s", fc_error_last());
    pthread_mutex_unlock(&ready_mu);
}

int fc_http_ready(double now_mono, char *why, size_t size)
{
    int ok = 0;
    pthread_mutex_lock(&ready_mu);
    if (last_ok_mono < 0)
        snprintf(why, size, "no successful pass yet%s%s",
                 last_failed ? "; last pass failed: " : "",
                 last_failed ? last_error : "");
    else if (now_mono - last_ok_mono > 3.0 * (double)ready_interval)
        snprintf(why, size,
                 "last successful pass %.0f s ago, more than 3 intervals (%ld s)%s%s",
                 now_mono - last_ok_mono, ready_interval,
                 last_failed ? "; last pass failed: " : "",
                 last_failed ? last_error : "");
    else
        ok = 1;
    pthread_mutex_unlock(&ready_mu);
    if (ok)
        snprintf(why, size, "ok");
    return ok;
}

int fc_http_serving(void)
{
    int s;
    pthread_mutex_lock(&ready_mu);
    s = serving;
    pthread_mutex_unlock(&ready_mu);
    return s;
}

/* ---- responses ----------------------------------------------------------- */

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type,
                             char *body, size_t len)
{
    struct MHD_Response *r;
    enum MHD_Result ret;
    /* body is malloc'd and handed to MHD (freed with free()). */
    r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result reply_buf(struct MHD_Connection *c, unsigned status,
                                 const char *type, fc_buf *b)
{
    size_t len = b->len;
    char *data = fc_buf_detach(b);
    if (!data)
        return MHD_NO;
    return reply(c, status, type, data, len);
}

static enum MHD_Result reply_text(struct MHD_Connection *c, unsigned status,
                                  const char *msg)
{
    char *s = fc_asprintf("%s\n", msg);
    if (!s)
        return MHD_NO;
    return reply(c, status, "text/plain; charset=utf-8", s, strlen(s));
}

static enum MHD_Result reply_error(struct MHD_Connection *c, unsigned status,
                                   const char *msg)
{
    json_object *o = json_object_new_object();
    char *s;
    if (!o)
        return MHD_NO;
    json_object_object_add(o, "error", json_object_new_string(msg));
    s = fc_strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    json_object_put(o);
    if (!s)
        return MHD_NO;
    return reply(c, status, "application/json", s, strlen(s));
}

/* ---- query limits -------------------------------------------------------- */

typedef struct {
    size_t n;
    int too_long;
} arg_check;

static enum MHD_Result count_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *value)
{
    arg_check *a = cls;
    (void)kind;
    a->n++;
    if (strlen(key) >= 64 || (value && strlen(value) >= FC_API_VALUE_MAX))
        a->too_long = 1;
    return MHD_YES;
}

static const char *arg(struct MHD_Connection *c, const char *k)
{
    return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, k);
}

/* ---- endpoints ----------------------------------------------------------- */

static enum MHD_Result do_metrics(struct MHD_Connection *c)
{
    fc_buf b;
    fc_http_snapshot *s = fc_http_snapshot_current();
    fc_metrics *g = fc_metrics_global();
    int rc = FC_OK;

    fc_buf_init(&b);
    if (g)
        rc = fc_metrics_render(g, &b);
    if (rc == FC_OK && s)
        rc = fc_metrics_render(fc_http_snapshot_gauges(s), &b);
    fc_http_snapshot_unref(s);
    if (rc != FC_OK) {
        fc_buf_dispose(&b);
        return reply_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    }
    if (!b.data && fc_buf_puts(&b, "") != FC_OK)
        return MHD_NO;
    return reply_buf(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", &b);
}

static enum MHD_Result do_runs(struct MHD_Connection *c, const fc_http *srv,
                               const fc_api_query *q)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    char *path = NULL;
    fc_buf b;
    json_object *o = NULL;
    sqlite3_int64 total = 0;
    size_t shown = 0;
    enum MHD_Result ret;

    fc_buf_init(&b);
    if (fc_buf_puts(&b, "{\"items\":[") != FC_OK)
        goto oom;
    if (!srv->state_dir || !(path = fc_asprintf("%s/state.db", srv->state_dir)))
        goto render;
    /* Read-only and per request: WAL lets it read while a pass writes. */
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        goto render; /* no store yet: no runs */
    sqlite3_busy_timeout(db, 2000);
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM runs", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        total = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    st = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT id, started, finished, head, result, status_commit "
                           "FROM runs ORDER BY id DESC LIMIT ? OFFSET ?",
                           -1, &st, NULL) != SQLITE_OK)
        goto render;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)q->limit);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)q->offset);
    while (sqlite3_step(st) == SQLITE_ROW) {
        char t[32];
        int k;
        static const char *const text_cols[] = {"",     "",       "",
                                                "head", "result", "statusCommit"};
        if (!(o = json_object_new_object()))
            goto oom;
        json_object_object_add(o, "id",
                               json_object_new_int64(sqlite3_column_int64(st, 0)));
        fc_time_format(t, sizeof(t), sqlite3_column_int64(st, 1));
        json_object_object_add(o, "started", json_object_new_string(t));
        if (sqlite3_column_type(st, 2) != SQLITE_NULL) {
            fc_time_format(t, sizeof(t), sqlite3_column_int64(st, 2));
            json_object_object_add(o, "finished", json_object_new_string(t));
        }
        for (k = 3; k <= 5; k++)
            if (sqlite3_column_type(st, k) != SQLITE_NULL)
                json_object_object_add(
                    o, text_cols[k],
                    json_object_new_string((const char *)sqlite3_column_text(st, k)));
        if (fc_buf_printf(&b, "%s%s", shown ? "," : "",
                          json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN)) !=
            FC_OK)
            goto oom;
        json_object_put(o);
        o = NULL;
        shown++;
    }
render:
    if (fc_buf_printf(&b, "],\"total\":%lld,\"offset\":%zu,\"limit\":%zu",
                      (long long)total, q->offset, q->limit) != FC_OK)
        goto oom;
    if (q->offset + shown < (size_t)total &&
        fc_buf_printf(&b, ",\"continue\":\"%zu\"", q->offset + shown) != FC_OK)
        goto oom;
    if (fc_buf_puts(&b, "}") != FC_OK)
        goto oom;
    ret = reply_buf(c, MHD_HTTP_OK, "application/json", &b);
    goto done;
oom:
    ret = reply_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
done:
    json_object_put(o);
    sqlite3_finalize(st);
    sqlite3_close(db);
    free(path);
    fc_buf_dispose(&b);
    return ret;
}

static int known_list(const char *what)
{
    static const char *const lists[] = {"resources", "recommendations", "anomalies",
                                        "budgets", "actions"};
    size_t i;
    for (i = 0; i < FC_ARRAY_LEN(lists); i++)
        if (strcmp(what, lists[i]) == 0)
            return 1;
    return 0;
}

static enum MHD_Result do_api(struct MHD_Connection *c, const fc_http *srv,
                              const char *what)
{
    fc_api_query q;
    fc_http_snapshot *s;
    const fc_api_list *l;
    fc_buf b;
    enum MHD_Result ret;

    if (fc_api_query_parse(&q, arg(c, "limit"), arg(c, "offset"), arg(c, "continue"),
                           arg(c, "account"), arg(c, "region"), arg(c, "type")) != FC_OK)
        return reply_error(c, MHD_HTTP_BAD_REQUEST, fc_error_last());
    if (strcmp(what, "runs") == 0)
        return do_runs(c, srv, &q);
    if (strcmp(what, "reports/latest") != 0 && !known_list(what))
        return reply_error(c, MHD_HTTP_NOT_FOUND, "no such resource");
    if (!(s = fc_http_snapshot_current()))
        return reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "no pass has completed yet");
    if (strcmp(what, "reports/latest") == 0) {
        size_t len;
        const char *rep = fc_http_snapshot_report(s, &len);
        char *copy = rep ? malloc(len + 1) : NULL;
        if (!rep) {
            ret = reply_error(c, MHD_HTTP_NOT_FOUND, "no report in the last pass");
        } else if (!copy) {
            ret = MHD_NO;
        } else {
            memcpy(copy, rep, len + 1);
            ret = reply(c, MHD_HTTP_OK, "text/markdown; charset=utf-8", copy, len);
        }
        fc_http_snapshot_unref(s);
        return ret;
    }
    l = fc_http_snapshot_list(s, what);
    fc_buf_init(&b);
    if (fc_api_page(&b, l, &q) == FC_OK)
        ret = reply_buf(c, MHD_HTTP_OK, "application/json", &b);
    else
        ret = reply_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    fc_buf_dispose(&b);
    fc_http_snapshot_unref(s);
    return ret;
}

/* ---- write endpoints ------------------------------------------------------ */

static enum MHD_Result do_tasks(struct MHD_Connection *c, const fc_http *srv)
{
    fc_buf b;
    enum MHD_Result ret;
    if (!srv->has_tasks)
        return reply_error(c, MHD_HTTP_NOT_FOUND, "no scheduler in this process");
    fc_buf_init(&b);
    if (srv->tasks.tasks_json(&b, srv->tasks.payload) == FC_OK)
        ret = reply_buf(c, MHD_HTTP_OK, "application/json", &b);
    else
        ret = reply_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    fc_buf_dispose(&b);
    return ret;
}

static const char *header(struct MHD_Connection *c, const char *k)
{
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, k);
}

static enum MHD_Result do_hook(struct MHD_Connection *c, const fc_http *srv, post_ctx *p)
{
    if (!srv->webhook_secret || !srv->has_tasks)
        return reply_error(c, MHD_HTTP_NOT_FOUND, "no webhook secret configured");
    if (p->too_big)
        return reply_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "body too large");
    if (!fc_http_hook_verify(srv->webhook_secret, p->body.data ? p->body.data : "",
                             p->body.len, header(c, "X-Hub-Signature-256"),
                             header(c, "X-Gitea-Signature"), header(c, "X-Gitlab-Token"))) {
        fc_warn("http: webhook refused: missing or bad signature");
        return reply_error(c, MHD_HTTP_UNAUTHORIZED, "bad or missing signature");
    }
    fc_info("http: webhook accepted: sync requested");
    srv->tasks.git_hook(srv->tasks.payload);
    return reply(c, MHD_HTTP_ACCEPTED, "application/json", fc_strdup("{\"triggered\":\"sync\"}"),
                 strlen("{\"triggered\":\"sync\"}"));
}

/* POST /api/v1/tasks/<name>/<verb> */
static enum MHD_Result do_task_action(struct MHD_Connection *c, const fc_http *srv,
                                      const char *rest)
{
    char name[64], *msg;
    const char *slash = strchr(rest, '/'), *verb;
    int rc;
    if (!srv->has_tasks)
        return reply_error(c, MHD_HTTP_NOT_FOUND, "no scheduler in this process");
    if (!srv->api_token)
        return reply_error(c, MHD_HTTP_FORBIDDEN,
                           "task writes are disabled: start with --api-token-file");
    if (!fc_http_bearer_ok(srv->api_token, header(c, MHD_HTTP_HEADER_AUTHORIZATION)))
        return reply_error(c, MHD_HTTP_UNAUTHORIZED, "missing or bad bearer token");
    if (!slash || (size_t)(slash - rest) >= sizeof(name) || slash == rest)
        return reply_error(c, MHD_HTTP_NOT_FOUND, "expected /api/v1/tasks/NAME/VERB");
    memcpy(name, rest, (size_t)(slash - rest));
    name[slash - rest] = '\0';
    verb = slash + 1;
    rc = srv->tasks.task_action(name, verb, srv->tasks.payload);
    if (rc == FC_ENOTFOUND)
        return reply_error(c, MHD_HTTP_NOT_FOUND, "no such task");
    if (rc != FC_OK)
        return reply_error(c, MHD_HTTP_BAD_REQUEST, "verb must be run, enable or disable");
    fc_info("http: task %s: %s", name, verb);
    if (!(msg = fc_asprintf("{\"task\":\"%s\",\"action\":\"%s\"}", name, verb)))
        return MHD_NO;
    return reply(c, strcmp(verb, "run") == 0 ? MHD_HTTP_ACCEPTED : MHD_HTTP_OK,
                 "application/json", msg, strlen(msg));
}

static enum MHD_Result do_post(struct MHD_Connection *c, const fc_http *srv, const char *url,
                               post_ctx *p)
{
    if (strcmp(url, "/hooks/git") == 0)
        return do_hook(c, srv, p);
    if (strncmp(url, "/api/v1/tasks/", 14) == 0) {
        /* Task names are [a-z0-9-]: nothing else is looked up. */
        if (strspn(url + 14, "abcdefghijklmnopqrstuvwxyz0123456789-_/") != strlen(url + 14))
            return reply_error(c, MHD_HTTP_NOT_FOUND, "no such task");
        return do_task_action(c, srv, url + 14);
    }
    return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "GET and HEAD only here");
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version,
                              const char *upload_data, size_t *upload_data_size,
                              void **con_cls)
{
    const fc_http *srv = cls;
    arg_check args = {0, 0};
    char why[512];
    (void)version;

    if (strcmp(method, "POST") == 0) {
        post_ctx *p = *con_cls;
        if (!p) { /* headers only: set up the body */
            if (!(p = calloc(1, sizeof(*p))))
                return MHD_NO;
            fc_buf_init(&p->body);
            *con_cls = p;
            return MHD_YES;
        }
        if (*upload_data_size) {
            if (p->body.len + *upload_data_size > FC_HTTP_BODY_MAX)
                p->too_big = 1;
            else if (fc_buf_append(&p->body, upload_data, *upload_data_size) != FC_OK)
                return MHD_NO;
            *upload_data_size = 0;
            return MHD_YES;
        }
        if (strlen(url) > URL_MAX)
            return reply_text(c, MHD_HTTP_URI_TOO_LONG, "path too long");
        return do_post(c, srv, url, p);
    }
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "GET and HEAD only (POST on hooks and tasks)");
    if (strlen(url) > URL_MAX)
        return reply_text(c, MHD_HTTP_URI_TOO_LONG, "path too long");
    if (strstr(url, ".."))
        return reply_text(c, MHD_HTTP_BAD_REQUEST, "'..' is not allowed in paths");
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, count_arg, &args);
    if (args.n > ARGS_MAX || args.too_long)
        return reply_text(c, MHD_HTTP_BAD_REQUEST, "query too large");

    if (strcmp(url, "/healthz") == 0)
        return reply_text(c, MHD_HTTP_OK, "ok");
    if (strcmp(url, "/readyz") == 0) {
        int ok = fc_http_ready(fc_metrics_clock(), why, sizeof(why));
        return reply_text(c, ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, why);
    }
    if (strcmp(url, "/metrics") == 0)
        return do_metrics(c);
    if (strcmp(url, "/api/v1/tasks") == 0)
        return do_tasks(c, srv);
    if (strncmp(url, "/api/v1/", 8) == 0)
        return do_api(c, srv, url + 8);
    return reply_text(c, MHD_HTTP_NOT_FOUND, "not found");
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    post_ctx *p = *con_cls;
    (void)cls;
    (void)c;
    (void)toe;
    if (p) {
        fc_buf_dispose(&p->body);
        free(p);
        *con_cls = NULL;
    }
}

/* ---- lifecycle ----------------------------------------------------------- */

/* "HOST:PORT" or "[V6]:PORT" -> host and port strings. */
static int split_listen(const char *listen, char *host, size_t hsize, char *port,
                        size_t psize)
{
    const char *colon;
    size_t hl;
    if (listen[0] == '[') {
        const char *end = strchr(listen, ']');
        if (!end || end[1] != ':')
            return -1;
        hl = (size_t)(end - listen - 1);
        if (hl >= hsize)
            return -1;
        memcpy(host, listen + 1, hl);
        host[hl] = '\0';
        colon = end + 1;
    } else {
        if (!(colon = strrchr(listen, ':')))
            return -1;
        hl = (size_t)(colon - listen);
        if (hl == 0 || hl >= hsize || memchr(listen, ':', hl))
            return -1;
        memcpy(host, listen, hl);
        host[hl] = '\0';
    }
    if (!colon[1] || strlen(colon + 1) >= psize ||
        strspn(colon + 1, "0123456789") != strlen(colon + 1))
        return -1;
    snprintf(port, psize, "%s", colon + 1);
    return strtol(port, NULL, 10) > 65535 ? -1 : 0;
}

static void free_secret(char *s)
{
    if (s)
        memset(s, 0, strlen(s));
    free(s);
}

static void free_server(fc_http *srv)
{
    if (!srv)
        return;
    free(srv->state_dir);
    free_secret(srv->webhook_secret);
    free_secret(srv->api_token);
    free(srv);
}

/*
 * Limits that keep slow or idle clients from starving the server: at most
 * max_conn connections (further ones are accepted and closed at once), at
 * most max_per_ip from one address, and a connection idle (nothing received
 * or sent) for timeout_s seconds is closed, including one stalled half-way
 * through its request headers.  Handlers run on a pool of threads, so one
 * large /api/v1 page does not hold up /healthz.  Environment only:
 * FINOPS_HTTP_MAX_CONNECTIONS, FINOPS_HTTP_MAX_CONNECTIONS_PER_IP,
 * FINOPS_HTTP_TIMEOUT (seconds), FINOPS_HTTP_THREADS.
 */
typedef struct {
    unsigned max_conn, max_per_ip, timeout_s, threads;
} http_limits;

static unsigned env_unsigned(const char *name, unsigned def, unsigned lo, unsigned hi)
{
    const char *v = getenv(name);
    char *end = NULL;
    unsigned long n;

    if (!v || !*v)
        return def;
    n = strtoul(v, &end, 10);
    if (*end || n < lo || n > hi) {
        fc_warn("http: %s=%s is not a number in %u..%u; using %u", name, v, lo, hi, def);
        return def;
    }
    return (unsigned)n;
}

static void get_limits(http_limits *l)
{
    l->max_conn = env_unsigned("FINOPS_HTTP_MAX_CONNECTIONS", 64, 4, 100000);
    l->max_per_ip = env_unsigned("FINOPS_HTTP_MAX_CONNECTIONS_PER_IP", 16, 1, 100000);
    l->timeout_s = env_unsigned("FINOPS_HTTP_TIMEOUT", 10, 1, 3600);
    l->threads = env_unsigned("FINOPS_HTTP_THREADS", 2, 1, 64);
    if (l->max_per_ip > l->max_conn)
        l->max_per_ip = l->max_conn;
}

int fc_http_start(fc_http **out, const char *listen, const fc_http_opts *opts)
{
    struct addrinfo hints, *ai = NULL;
    const union MHD_DaemonInfo *info;
    fc_http *srv = NULL;
    char host[256], port[8];
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO;
    int rc = FC_OK, gai;
    sigset_t block, old_mask;
    http_limits lim;

    *out = NULL;
    if (!listen || split_listen(listen, host, sizeof(host), port, sizeof(port)) != 0)
        return fc_error_set(FC_EINVALID, "--listen: expected HOST:PORT, got '%s'",
                            listen ? listen : "");
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    if ((gai = getaddrinfo(host, port, &hints, &ai)) != 0)
        return fc_error_set(FC_EINVALID, "--listen %s: %s", listen, gai_strerror(gai));
    if (!(srv = calloc(1, sizeof(*srv))) ||
        (opts && opts->state_dir && !(srv->state_dir = fc_strdup(opts->state_dir))) ||
        (opts && opts->webhook_secret &&
         !(srv->webhook_secret = fc_strdup(opts->webhook_secret))) ||
        (opts && opts->api_token && !(srv->api_token = fc_strdup(opts->api_token)))) {
        rc = fc_error_set(FC_ENOMEM, "http server");
        goto done;
    }
    if (opts && opts->tasks) {
        srv->tasks = *opts->tasks;
        srv->has_tasks = 1;
    }
    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    /* The server thread inherits a mask without SIGTERM/SIGINT, so they
     * reach the run loop's thread and cut its sleep short. */
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    pthread_sigmask(SIG_BLOCK, &block, &old_mask);
    get_limits(&lim);
    srv->d = MHD_start_daemon(
        flags, 0, NULL, NULL, handle, srv, MHD_OPTION_SOCK_ADDR, ai->ai_addr,
        MHD_OPTION_CONNECTION_LIMIT, lim.max_conn, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        lim.max_per_ip, MHD_OPTION_CONNECTION_TIMEOUT, lim.timeout_s,
        MHD_OPTION_THREAD_POOL_SIZE, lim.threads, MHD_OPTION_LISTEN_BACKLOG_SIZE,
        lim.max_conn, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_END);
    pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
    if (!srv->d) {
        rc = fc_error_set(FC_EIO, "cannot listen on %s (address in use or not local?)",
                          listen);
        goto done;
    }
    info = MHD_get_daemon_info(srv->d, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? info->port : (unsigned)strtol(port, NULL, 10);
    pthread_mutex_lock(&ready_mu);
    serving = 1;
    pthread_mutex_unlock(&ready_mu);
    fc_info("http: listening on %s (port %u; %u connections, %u per client, %u s idle "
            "timeout, %u threads)", listen, srv->port, lim.max_conn, lim.max_per_ip,
            lim.timeout_s, lim.threads);
done:
    freeaddrinfo(ai);
    if (rc != FC_OK) {
        free_server(srv);
        return rc;
    }
    *out = srv;
    return FC_OK;
}

unsigned fc_http_port(const fc_http *srv)
{
    return srv->port;
}

void fc_http_stop(fc_http *srv)
{
    if (!srv)
        return;
    pthread_mutex_lock(&ready_mu);
    serving = 0;
    pthread_mutex_unlock(&ready_mu);
    MHD_stop_daemon(srv->d); /* joins the thread: no handler runs after this */
    fc_http_snapshot_publish(NULL);
    free_server(srv);
}
