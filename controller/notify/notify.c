/*
 * notify.c - notification targets, payloads, the outbox in the state store
 * and delivery over HTTP (see fc_notify.h).
 *
 * Stage: after the status push.  Inputs: the outbox table notify_outbox
 * (module "notify" of the state store), filled by alerts.c.  Outputs: HTTP
 * POSTs with libcurl and the rows' delivery state.  Webhook URLs are
 * secrets (a Slack incoming-webhook URL is a bearer token): only their host
 * is ever logged or written to status; the full URL lives in the specs or
 * the environment and, for retries, in the private (0600) state store.
 */
#include "controller/notify/fc_notify.h"
#include "controller/notify/notify_int.h"
#include "controller/core/fc_error.h"
#include "controller/core/fc_log.h"

#include <curl/curl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const outbox_steps[] = {
    "CREATE TABLE notify_outbox ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  dedup TEXT NOT NULL UNIQUE," /* alert key @ fired_at # target */
    "  target TEXT NOT NULL,"
    "  body TEXT NOT NULL,"
    "  created INTEGER NOT NULL,"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  last_error TEXT,"
    "  state TEXT NOT NULL DEFAULT 'pending'," /* pending | sent | dropped */
    "  done_at INTEGER)",
};

int fc_notify_migrate(fc_state *s)
{
    return fc_state_migrate(s, "notify", outbox_steps, FC_ARRAY_LEN(outbox_steps));
}

const char *fc_notify_kind_name(fc_notify_kind k)
{
    switch (k) {
    case FC_NOTIFY_WEBHOOK:
        return "webhook";
    case FC_NOTIFY_SLACK:
        return "slack";
    case FC_NOTIFY_EMAIL:
        return "email";
    }
    return "unknown";
}

/* ---- targets ----------------------------------------------------------- */

static int is_env_name(const char *p)
{
    if (!((*p >= 'A' && *p <= 'Z') || *p == '_'))
        return 0;
    for (; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return 0;
    return 1;
}

static int is_http_url(const char *p)
{
    if (strncmp(p, "https://", 8) == 0)
        p += 8;
    else if (strncmp(p, "http://", 7) == 0)
        p += 7;
    else
        return 0;
    return *p && *p != '/' && !strchr(p, ' ');
}

int fc_notify_target_parse(fc_notify_target *out, const char *spec)
{
    const char *p = NULL;

    memset(out, 0, sizeof(*out));
    if (!spec)
        return fc_error_set(FC_EINVALID, "empty notification target");
    if (strncmp(spec, "webhook:", 8) == 0) {
        out->kind = FC_NOTIFY_WEBHOOK;
        p = spec + 8;
    } else if (strncmp(spec, "slack:", 6) == 0) {
        out->kind = FC_NOTIFY_SLACK;
        p = spec + 6;
    }
    if (!p) {
        const char *a = strncmp(spec, "email:", 6) == 0 ? spec + 6 : spec;
        const char *at = strchr(a, '@');
        if (!at || at == a || !at[1] || strchr(a, ' ') || strchr(a, '/'))
            return fc_error_set(FC_EINVALID, "notification target is neither "
                                             "webhook:, slack: nor an email address");
        out->kind = FC_NOTIFY_EMAIL;
        out->address = a;
        return FC_OK;
    }
    if (strncmp(p, "env:", 4) == 0 && is_env_name(p + 4)) {
        out->env = p + 4;
        return FC_OK;
    }
    if (is_http_url(p)) {
        out->url = p;
        return FC_OK;
    }
    return fc_error_set(FC_EINVALID, "%s target: expected an http(s) URL or env:VAR",
                        fc_notify_kind_name(out->kind));
}

void fc_notify_url_host(char *buf, size_t size, const char *url)
{
    const char *p = strstr(url ? url : "", "://"), *end, *at;
    p = p ? p + 3 : (url ? url : "");
    end = p + strcspn(p, "/?#");
    /* user:password@host: drop the credentials. */
    at = memchr(p, '@', (size_t)(end - p));
    if (at)
        p = at + 1;
    snprintf(buf, size, "%.*s", (int)(end - p), p);
}

void fc_notify_target_describe(char *buf, size_t size, const char *spec)
{
    fc_notify_target t;
    char host[256];

    if (fc_notify_target_parse(&t, spec) != FC_OK) {
        snprintf(buf, size, "invalid");
        return;
    }
    if (t.kind == FC_NOTIFY_EMAIL) {
        snprintf(buf, size, "email:%s", t.address);
    } else if (t.env) {
        snprintf(buf, size, "%s:env:%s", fc_notify_kind_name(t.kind), t.env);
    } else {
        fc_notify_url_host(host, sizeof(host), t.url);
        snprintf(buf, size, "%s:%s", fc_notify_kind_name(t.kind), host);
    }
}

/* ---- payloads ---------------------------------------------------------- */

static struct json_object *money(double v)
{
    char s[64];
    snprintf(s, sizeof(s), "%.2f", v);
    return json_object_new_double_s(v, s);
}

void fc_notify_alert_key(char *buf, size_t size, const char *budget,
                         int64_t period_start, const char *type, double percent)
{
    char day[16];
    fc_date_format(day, sizeof(day), period_start);
    snprintf(buf, size, "budget/%s/%s/%s/%g", budget, day, type, percent);
}

int fc_notify_alert_json(fc_buf *out, const fc_budget_eval *ev,
                         const fc_threshold_eval *th, const char *key,
                         int64_t fired_at)
{
    struct json_object *o = json_object_new_object(), *t, *per;
    char start[16], last[16], when[32], text[768];
    int forecast = strcmp(th->type, "forecast") == 0;
    int rc;

    if (!o)
        return fc_error_set(FC_ENOMEM, "out of memory");
    fc_date_format(start, sizeof(start), ev->period_start);
    fc_date_format(last, sizeof(last), ev->period_end - FC_DAY);
    fc_time_format(when, sizeof(when), fired_at);
    snprintf(text, sizeof(text),
             "Budget %s: %s spend %.2f %s is %.1f%% of %.2f %s, crossing the "
             "%g%% %s threshold (period %s to %s).",
             ev->name, forecast ? "forecast period-end" : "actual",
             forecast ? ev->forecast : ev->actual, ev->currency,
             forecast ? ev->forecast_percent : ev->actual_percent, ev->amount,
             ev->currency, th->percent, th->type, start, last);
    t = json_object_new_object();
    json_object_object_add(t, "percent", json_object_new_double(th->percent));
    json_object_object_add(t, "type", json_object_new_string(th->type));
    per = json_object_new_object();
    json_object_object_add(per, "start", json_object_new_string(start));
    json_object_object_add(per, "end", json_object_new_string(last));
    json_object_object_add(o, "apiVersion", json_object_new_string(FC_API_VERSION));
    json_object_object_add(o, "kind", json_object_new_string("BudgetAlert"));
    json_object_object_add(o, "key", json_object_new_string(key));
    json_object_object_add(o, "budget", json_object_new_string(ev->name));
    json_object_object_add(o, "threshold", t);
    json_object_object_add(o, "period", per);
    json_object_object_add(o, "actual", money(ev->actual));
    json_object_object_add(o, "forecast", money(ev->forecast));
    json_object_object_add(o, "amount", money(ev->amount));
    json_object_object_add(o, "currency", json_object_new_string(ev->currency));
    json_object_object_add(o, "firedAt", json_object_new_string(when));
    json_object_object_add(o, "text", json_object_new_string(text));
    rc = fc_buf_puts(out, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                              JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
    return rc;
}

static const char *jstr(struct json_object *o, const char *key)
{
    struct json_object *v;
    return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : "";
}

int fc_notify_render(fc_buf *out, fc_notify_kind kind, const char *event_json)
{
    struct json_object *ev, *slack, *blocks, *sec, *txt, *ctx, *els, *el, *per;
    char head[512], foot[256];
    int rc;

    if (kind != FC_NOTIFY_SLACK)
        return fc_buf_puts(out, event_json);
    if (!(ev = json_tokener_parse(event_json)))
        return fc_error_set(FC_EPARSE, "queued notification is not JSON");
    json_object_object_get_ex(ev, "period", &per);
    snprintf(head, sizeof(head), ":warning: *Budget %s*: %s", jstr(ev, "budget"),
             jstr(ev, "text"));
    snprintf(foot, sizeof(foot), "finops-controller · %s · period %s to %s",
             jstr(ev, "key"), per ? jstr(per, "start") : "", per ? jstr(per, "end") : "");
    slack = json_object_new_object();
    blocks = json_object_new_array();
    sec = json_object_new_object();
    txt = json_object_new_object();
    json_object_object_add(txt, "type", json_object_new_string("mrkdwn"));
    json_object_object_add(txt, "text", json_object_new_string(head));
    json_object_object_add(sec, "type", json_object_new_string("section"));
    json_object_object_add(sec, "text", txt);
    json_object_array_add(blocks, sec);
    ctx = json_object_new_object();
    els = json_object_new_array();
    el = json_object_new_object();
    json_object_object_add(el, "type", json_object_new_string("mrkdwn"));
    json_object_object_add(el, "text", json_object_new_string(foot));
    json_object_array_add(els, el);
    json_object_object_add(ctx, "type", json_object_new_string("context"));
    json_object_object_add(ctx, "elements", els);
    json_object_array_add(blocks, ctx);
    json_object_object_add(slack, "text", json_object_new_string(jstr(ev, "text")));
    json_object_object_add(slack, "blocks", blocks);
    rc = fc_buf_puts(out, json_object_to_json_string_ext(slack, JSON_C_TO_STRING_PLAIN |
                                                                  JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(slack);
    json_object_put(ev);
    return rc;
}

/* ---- outbox ------------------------------------------------------------ */

int fc_notify_enqueue(fc_state *s, const char *dedup, const char *target,
                      const char *body, int64_t now)
{
    sqlite3_stmt *st = NULL;
    int rc;
    if (sqlite3_prepare_v2(fc_state_db(s),
                           "INSERT OR IGNORE INTO notify_outbox(dedup, target, body, created) "
                           "VALUES(?, ?, ?, ?)",
                           -1, &st, NULL) != SQLITE_OK)
        return fc_state_error(s, "notify enqueue");
    sqlite3_bind_text(st, 1, dedup, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, target, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, body, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, now);
    rc = sqlite3_step(st) == SQLITE_DONE ? FC_OK : fc_state_error(s, "notify enqueue");
    sqlite3_finalize(st);
    return rc;
}

int fc_notify_pending(fc_state *s, size_t *n)
{
    sqlite3_stmt *st = NULL;
    int rc;
    *n = 0;
    if ((rc = fc_notify_migrate(s)) != FC_OK)
        return rc;
    if (sqlite3_prepare_v2(fc_state_db(s),
                           "SELECT count(*) FROM notify_outbox WHERE state = 'pending'", -1,
                           &st, NULL) != SQLITE_OK)
        return fc_state_error(s, "notify pending");
    if (sqlite3_step(st) == SQLITE_ROW) {
        *n = (size_t)sqlite3_column_int64(st, 0);
        rc = FC_OK;
    } else {
        rc = fc_state_error(s, "notify pending");
    }
    sqlite3_finalize(st);
    return rc;
}

static int mark(fc_state *s, int64_t id, const char *state, const char *err, int64_t now)
{
    sqlite3_stmt *st = NULL;
    int rc;
    if (sqlite3_prepare_v2(fc_state_db(s),
                           "UPDATE notify_outbox SET attempts = attempts + 1, state = ?, "
                           "last_error = ?, done_at = ? WHERE id = ?",
                           -1, &st, NULL) != SQLITE_OK)
        return fc_state_error(s, "notify mark");
    sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC);
    if (err)
        sqlite3_bind_text(st, 2, err, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 2);
    if (strcmp(state, "pending") != 0)
        sqlite3_bind_int64(st, 3, now);
    else
        sqlite3_bind_null(st, 3);
    sqlite3_bind_int64(st, 4, id);
    rc = sqlite3_step(st) == SQLITE_DONE ? FC_OK : fc_state_error(s, "notify mark");
    sqlite3_finalize(st);
    return rc;
}

/* ---- delivery ---------------------------------------------------------- */

static size_t discard(char *p, size_t size, size_t n, void *u)
{
    (void)p;
    (void)u;
    return size * n;
}

static int curl_post(void *payload, const char *url, const char *body, long *status)
{
    const fc_notify_opts *o = payload;
    struct curl_slist *h = NULL;
    CURL *c = curl_easy_init();
    CURLcode res;
    int rc = FC_OK;

    *status = 0;
    if (!c)
        return fc_error_set(FC_ENOMEM, "curl_easy_init failed");
    h = curl_slist_append(h, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    curl_easy_setopt(c, CURLOPT_USERAGENT, "finops-controller/" FC_VERSION);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, o && o->timeout_s > 0 ? o->timeout_s : 10L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    res = curl_easy_perform(c);
    if (res == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    else
        /* curl's text names no URL; its error buffer might, so it is unused. */
        rc = fc_error_set(res == CURLE_OPERATION_TIMEDOUT ? FC_ETIMEOUT : FC_ENETWORK,
                          "%s", curl_easy_strerror(res));
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return rc;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* One notification with retries; FC_OK when delivered, else the last error
 * (message set, host only). */
static int deliver(const fc_notify_opts *o, const char *url, const char *host,
                   const char *body)
{
    int (*post)(void *, const char *, const char *, long *) =
        o->post ? o->post : curl_post;
    void *payload = o->post ? o->post_payload : (void *)o;
    unsigned delay = o->backoff_ms;
    int attempt, rc = FC_OK;

    for (attempt = 0; attempt <= o->retries; attempt++) {
        long status = 0;
        int retry;
        if (attempt > 0) {
            fc_warn("notify: %s: retry %d/%d in %u ms", host, attempt, o->retries, delay);
            sleep_ms(delay);
            delay *= 2;
        }
        rc = post(payload, url, body, &status);
        if (rc == FC_OK && status >= 200 && status < 300)
            return FC_OK;
        if (rc == FC_OK) {
            /* 429 and 5xx may pass; another 4xx will not this pass. */
            retry = status == 429 || status >= 500;
            rc = fc_error_set(retry ? FC_ENETWORK : FC_EINVALID, "%s answered HTTP %ld",
                              host, status);
        } else {
            retry = !fc_code_is_terminal(rc);
            fc_error_wrap(rc, "%s", host);
        }
        fc_warn("notify: %s", fc_error_last());
        if (!retry)
            break;
    }
    return rc;
}

int fc_notify_flush(fc_state *s, const fc_notify_opts *opts, int64_t now,
                    fc_notify_stats *stats)
{
    fc_notify_opts o;
    sqlite3_stmt *st = NULL;
    int64_t *ids = NULL;
    size_t n = 0, cap = 0, i;
    int rc;

    memset(stats, 0, sizeof(*stats));
    memset(&o, 0, sizeof(o));
    if (opts)
        o = *opts;
    if (o.retries == 0)
        o.retries = 3;
    else if (o.retries < 0)
        o.retries = 0;
    if (!o.backoff_ms)
        o.backoff_ms = 250;
    if (o.max_attempts <= 0)
        o.max_attempts = 50;
    if ((rc = fc_notify_migrate(s)) != FC_OK)
        return rc;
    /* Ids first: rows are updated while we go, and no statement stays open
     * across the (slow) network calls. */
    if (sqlite3_prepare_v2(fc_state_db(s),
                           "SELECT id FROM notify_outbox WHERE state = 'pending' ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK)
        return fc_state_error(s, "notify flush");
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            int64_t *p = realloc(ids, (cap = cap ? cap * 2 : 16) * sizeof(*ids));
            if (!p) {
                sqlite3_finalize(st);
                free(ids);
                return fc_error_set(FC_ENOMEM, "out of memory");
            }
            ids = p;
        }
        ids[n++] = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        free(ids);
        return fc_state_error(s, "notify flush");
    }
    rc = FC_OK;
    for (i = 0; i < n && rc == FC_OK; i++) {
        fc_notify_target t;
        char *target = NULL, *body = NULL, host[256], desc[320];
        const char *url;
        int attempts = 0, drc;
        fc_buf out;

        if (sqlite3_prepare_v2(fc_state_db(s),
                               "SELECT target, body, attempts FROM notify_outbox WHERE id = ?",
                               -1, &st, NULL) != SQLITE_OK) {
            rc = fc_state_error(s, "notify flush");
            break;
        }
        sqlite3_bind_int64(st, 1, ids[i]);
        if (sqlite3_step(st) == SQLITE_ROW) {
            target = fc_strdup((const char *)sqlite3_column_text(st, 0));
            body = fc_strdup((const char *)sqlite3_column_text(st, 1));
            attempts = sqlite3_column_int(st, 2);
        }
        sqlite3_finalize(st);
        if (!target || !body) {
            free(target);
            free(body);
            continue;
        }
        fc_notify_target_describe(desc, sizeof(desc), target);
        fc_buf_init(&out);
        url = NULL;
        if (fc_notify_target_parse(&t, target) != FC_OK || t.kind == FC_NOTIFY_EMAIL) {
            rc = mark(s, ids[i], "dropped", "target cannot be delivered", now);
            stats->dropped++;
        } else if (t.env && !((url = getenv(t.env)) && is_http_url(url))) {
            fc_warn("notify: %s: environment variable %s holds no http(s) URL", desc, t.env);
            if (attempts + 1 >= o.max_attempts) {
                rc = mark(s, ids[i], "dropped", "no URL in the environment", now);
                stats->dropped++;
            } else {
                rc = mark(s, ids[i], "pending", "no URL in the environment", now);
                stats->failed++;
            }
        } else if ((drc = fc_notify_render(&out, t.kind, body)) != FC_OK) {
            rc = mark(s, ids[i], "dropped", fc_error_last(), now);
            stats->dropped++;
        } else {
            if (!url)
                url = t.url;
            fc_notify_url_host(host, sizeof(host), url);
            drc = deliver(&o, url, host, out.data);
            if (drc == FC_OK) {
                fc_info("notify: sent %s to %s", fc_notify_kind_name(t.kind), desc);
                rc = mark(s, ids[i], "sent", NULL, now);
                stats->sent++;
            } else if (attempts + 1 >= o.max_attempts) {
                fc_err("notify: giving up on %s after %d passes: %s", desc, attempts + 1,
                       fc_error_last());
                rc = mark(s, ids[i], "dropped", fc_error_last(), now);
                stats->dropped++;
            } else {
                fc_warn("notify: %s failed, kept for the next pass: %s", desc,
                        fc_error_last());
                rc = mark(s, ids[i], "pending", fc_error_last(), now);
                stats->failed++;
            }
        }
        fc_buf_dispose(&out);
        free(target);
        free(body);
    }
    free(ids);
    return rc;
}
