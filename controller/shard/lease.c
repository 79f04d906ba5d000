/*
 * lease.c - one coordination.k8s.io/v1 Lease per shard, held through the
 * Kubernetes API (docs/scaling.md).
 *
 * Inputs: the API URL, service account token and CA (in-cluster files, or
 * flags for tests), the replica id, S and the lease duration D.  Outputs:
 * which shards this replica holds, for the pass (fc_shard_snapshot) and its
 * last-moment checks (fc_shard_check).  A thread renews held Leases every
 * D/3 and looks again at another holder's Lease the moment it expires, so a
 * dead replica's shards move within D.  Writes are optimistic: an update
 * carries metadata.resourceVersion and a 409 means another replica won; we
 * re-read on the next round.  The manager owns its strings, the curl handle
 * and the thread; fc_shard_stop() releases the Leases and frees it all.
 * The token is re-read every round (projected tokens rotate) and never
 * logged.
 */
#include "controller/shard/fc_shard.h"
#include "controller/core/fc_error.h"
#include "controller/core/fc_log.h"

#include <curl/curl.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

typedef struct {
    int held;
    int64_t safe_until_ms;   /* monotonic: act for this shard only before it */
    int64_t other_expiry_us; /* wall: when another holder's Lease runs out */
} shard_state;

struct fc_shard_mgr {
    char *api;
    char *token_file;
    char *ca_file;
    char *ns;
    char *me;
    unsigned n, target, offset;
    long dur;
    shard_state *s;
    CURL *curl;
    pthread_t thread;
    int started, stop;
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void fc_shard_microtime_format(char *buf, size_t size, int64_t us)
{
    char t[32];
    int64_t s = us >= 0 ? us / 1000000 : (us - 999999) / 1000000;
    fc_time_format(t, sizeof(t), s); /* 2026-11-23T14:00:00Z */
    t[19] = '\0';
    snprintf(buf, size, "%s.%06lldZ", t, (long long)(us - s * 1000000));
}

int fc_shard_microtime_parse(const char *s, int64_t *us)
{
    char base[24];
    int64_t sec, frac = 0, scale = 100000;
    size_t i;
    if (!s || strlen(s) < 20)
        return -1;
    memcpy(base, s, 19);
    base[19] = 'Z';
    base[20] = '\0';
    if (fc_time_parse(base, &sec) != 0)
        return -1;
    i = 19;
    if (s[i] == '.') /* MicroTime; a plain Time has no fraction */
        for (i++; s[i] >= '0' && s[i] <= '9'; i++) {
            frac += (s[i] - '0') * scale;
            scale /= 10;
        }
    if (s[i] != 'Z' || s[i + 1] != '\0')
        return -1;
    *us = sec * 1000000 + frac;
    return 0;
}

fc_lease_action fc_shard_decide(int exists, const char *holder, int64_t renew_us,
                                long duration_s, const char *me, int64_t now_us,
                                int under_target)
{
    int expired = renew_us + (int64_t)duration_s * 1000000 < now_us;
    if (!exists)
        return under_target ? FC_LEASE_TAKE : FC_LEASE_WAIT;
    if (holder && *holder && strcmp(holder, me) == 0)
        return FC_LEASE_RENEW;
    if (!holder || !*holder) /* released: our share first, anyone once it aged */
        return under_target || expired ? FC_LEASE_TAKE : FC_LEASE_WAIT;
    return expired ? FC_LEASE_TAKE : FC_LEASE_WAIT;
}

/* ---- HTTP ---------------------------------------------------------------- */

static size_t on_body(char *p, size_t size, size_t n, void *payload)
{
    return fc_buf_append(payload, p, size * n) == FC_OK ? size * n : 0;
}

static int read_small(const char *path, char **out)
{
    FILE *f = fopen(path, "rb");
    fc_buf b;
    char chunk[1024];
    size_t n;
    int rc = FC_OK;
    *out = NULL;
    if (!f)
        return fc_error_set(FC_EIO, "%s: cannot read", path);
    fc_buf_init(&b);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0 && rc == FC_OK)
        rc = b.len + n > 65536 ? fc_error_set(FC_ELIMIT, "%s: too large", path)
                               : fc_buf_append(&b, chunk, n);
    fclose(f);
    if (rc != FC_OK) {
        fc_buf_dispose(&b);
        return rc;
    }
    while (b.len && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == '\r' ||
                     b.data[b.len - 1] == ' '))
        b.data[--b.len] = '\0';
    if (!b.len) {
        fc_buf_dispose(&b);
        return fc_error_set(FC_EINVALID, "%s: empty", path);
    }
    *out = fc_buf_detach(&b);
    return FC_OK;
}

/* One request; *status is the HTTP status (0 when none arrived). */
static int request(fc_shard_mgr *m, const char *method, const char *name,
                   const char *body, long *status, fc_buf *resp)
{
    struct curl_slist *h = NULL;
    char *token = NULL, *auth = NULL, *url = NULL;
    CURLcode cc;
    int rc;

    *status = 0;
    resp->len = 0;
    if ((rc = read_small(m->token_file, &token)) != FC_OK)
        return rc;
    url = fc_asprintf("%s/apis/coordination.k8s.io/v1/namespaces/%s/leases%s%s", m->api,
                      m->ns, name ? "/" : "", name ? name : "");
    auth = fc_asprintf("Authorization: Bearer %s", token);
    if (!url || !auth) {
        rc = fc_error_set(FC_ENOMEM, "out of memory");
        goto done;
    }
    h = curl_slist_append(h, auth);
    h = curl_slist_append(h, "Accept: application/json");
    h = curl_slist_append(h, "Content-Type: application/json");
    curl_easy_reset(m->curl);
    curl_easy_setopt(m->curl, CURLOPT_URL, url);
    curl_easy_setopt(m->curl, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(m->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(m->curl, CURLOPT_PROTOCOLS_STR, "http,https");
    /* A request must not outlive the window it is meant to protect. */
    curl_easy_setopt(m->curl, CURLOPT_TIMEOUT_MS, m->dur * 1000 / 3);
    curl_easy_setopt(m->curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(m->curl, CURLOPT_WRITEDATA, resp);
    if (m->ca_file)
        curl_easy_setopt(m->curl, CURLOPT_CAINFO, m->ca_file);
    if (body) {
        curl_easy_setopt(m->curl, CURLOPT_CUSTOMREQUEST, method);
        curl_easy_setopt(m->curl, CURLOPT_POSTFIELDS, body);
    }
    if ((cc = curl_easy_perform(m->curl)) != CURLE_OK) {
        rc = fc_error_set(FC_ENETWORK, "kubernetes API %s: %s", method,
                          curl_easy_strerror(cc));
        goto done;
    }
    curl_easy_getinfo(m->curl, CURLINFO_RESPONSE_CODE, status);
    rc = FC_OK;
done:
    curl_easy_setopt(m->curl, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(h);
    if (auth) { /* the header held the token */
        memset(auth, 0, strlen(auth));
        free(auth);
    }
    if (token) {
        memset(token, 0, strlen(token));
        free(token);
    }
    free(url);
    return rc;
}

/* ---- Lease documents ----------------------------------------------------- */

typedef struct {
    int exists;
    char holder[256];
    char rv[64];
    char acquire[40];
    int64_t renew_us;
    long dur;
    long transitions;
} lease_view;

static const char *get_str(json_object *o, const char *a, const char *b)
{
    json_object *x = NULL, *y = NULL;
    if (!json_object_object_get_ex(o, a, &x) || !json_object_object_get_ex(x, b, &y) ||
        !json_object_is_type(y, json_type_string))
        return NULL;
    return json_object_get_string(y);
}

static long get_long(json_object *o, const char *a, const char *b, long dflt)
{
    json_object *x = NULL, *y = NULL;
    if (!json_object_object_get_ex(o, a, &x) || !json_object_object_get_ex(x, b, &y) ||
        !json_object_is_type(y, json_type_int))
        return dflt;
    return (long)json_object_get_int64(y);
}

static int parse_lease(const fc_buf *b, long dflt_dur, lease_view *v)
{
    json_object *o = json_tokener_parse(b->data ? b->data : "");
    const char *s;
    memset(v, 0, sizeof(*v));
    if (!o || !json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        return fc_error_set(FC_EPARSE, "kubernetes API: a Lease that is not JSON");
    }
    v->exists = 1;
    snprintf(v->holder, sizeof(v->holder), "%s",
             (s = get_str(o, "spec", "holderIdentity")) ? s : "");
    snprintf(v->rv, sizeof(v->rv), "%s",
             (s = get_str(o, "metadata", "resourceVersion")) ? s : "");
    snprintf(v->acquire, sizeof(v->acquire), "%s",
             (s = get_str(o, "spec", "acquireTime")) ? s : "");
    if (!(s = get_str(o, "spec", "renewTime")) ||
        fc_shard_microtime_parse(s, &v->renew_us) != 0)
        v->renew_us = 0; /* no renewal: expired */
    v->dur = get_long(o, "spec", "leaseDurationSeconds", dflt_dur);
    v->transitions = get_long(o, "spec", "leaseTransitions", 0);
    json_object_put(o);
    return FC_OK;
}

/* The Lease body for create (rv NULL) or update. */
static char *lease_doc(const fc_shard_mgr *m, const char *name, const char *rv,
                       const char *holder, const char *acquire, int64_t now_us,
                       long transitions)
{
    json_object *o = json_object_new_object(), *md = json_object_new_object(),
                *sp = json_object_new_object();
    char now[40];
    char *out;
    fc_shard_microtime_format(now, sizeof(now), now_us);
    json_object_object_add(o, "apiVersion",
                           json_object_new_string("coordination.k8s.io/v1"));
    json_object_object_add(o, "kind", json_object_new_string("Lease"));
    json_object_object_add(md, "name", json_object_new_string(name));
    json_object_object_add(md, "namespace", json_object_new_string(m->ns));
    if (rv)
        json_object_object_add(md, "resourceVersion", json_object_new_string(rv));
    json_object_object_add(o, "metadata", md);
    json_object_object_add(sp, "holderIdentity", json_object_new_string(holder));
    json_object_object_add(sp, "leaseDurationSeconds", json_object_new_int64(m->dur));
    json_object_object_add(sp, "acquireTime",
                           json_object_new_string(acquire && *acquire ? acquire : now));
    json_object_object_add(sp, "renewTime", json_object_new_string(now));
    json_object_object_add(sp, "leaseTransitions", json_object_new_int64(transitions));
    json_object_object_add(o, "spec", sp);
    out = fc_strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    json_object_put(o);
    return out;
}

static unsigned held_count(const fc_shard_mgr *m)
{
    unsigned i, n = 0;
    for (i = 0; i < m->n; i++)
        n += m->s[i].held;
    return n;
}

static void set_held(fc_shard_mgr *m, unsigned i, int held, int64_t t0_ms)
{
    pthread_mutex_lock(&m->mu);
    if (held)
        m->s[i].safe_until_ms = t0_ms + m->dur * 1000 - m->dur * 1000 / 5;
    else
        m->s[i].safe_until_ms = 0;
    m->s[i].held = held;
    pthread_mutex_unlock(&m->mu);
}

/* One look at shard i: renew, take, or note when another holder's runs out. */
static void visit(fc_shard_mgr *m, unsigned i)
{
    char name[64];
    fc_buf resp;
    lease_view v;
    long status;
    char *doc = NULL;
    int64_t t0 = mono_ms(), now = wall_us();
    fc_lease_action act;
    int was = m->s[i].held;

    snprintf(name, sizeof(name), FC_SHARD_LEASE_PREFIX "%u", i);
    fc_buf_init(&resp);
    if (request(m, "GET", name, NULL, &status, &resp) != FC_OK ||
        (status != 200 && status != 404)) {
        if (status)
            fc_error_set(FC_EIO, "kubernetes API: GET lease %s: HTTP %ld", name, status);
        fc_warn("shard %u: %s", i, fc_error_last()); /* the safe window runs out alone */
        goto done;
    }
    memset(&v, 0, sizeof(v));
    if (status == 200 && parse_lease(&resp, m->dur, &v) != FC_OK) {
        fc_warn("shard %u: %s", i, fc_error_last());
        goto done;
    }
    act = fc_shard_decide(v.exists, v.holder, v.renew_us, v.dur, m->me, now,
                          held_count(m) < m->target);
    m->s[i].other_expiry_us = 0;
    if (act == FC_LEASE_WAIT) {
        if (was)
            fc_warn("shard %u: lease now held by %s: stopping its accounts", i, v.holder);
        set_held(m, i, 0, 0);
        if (v.exists) /* fresh, or it would have been taken: expiry ahead */
            m->s[i].other_expiry_us = v.renew_us + (int64_t)v.dur * 1000000;
        if (!v.exists) { /* over our share: an unheld Lease that ages for everyone */
            doc = lease_doc(m, name, NULL, "", NULL, now, 0);
            if (doc && request(m, "POST", NULL, doc, &status, &resp) == FC_OK &&
                status == 201)
                m->s[i].other_expiry_us = now + (int64_t)m->dur * 1000000;
        }
        goto done;
    }
    if (act == FC_LEASE_RENEW)
        doc = lease_doc(m, name, v.rv, m->me, v.acquire, now, v.transitions);
    else if (v.exists) /* take over: a new holder is a transition */
        doc = lease_doc(m, name, v.rv, m->me, NULL, now,
                        v.transitions + (v.holder[0] != 0));
    else
        doc = lease_doc(m, name, NULL, m->me, NULL, now, 0);
    if (!doc) {
        fc_warn("shard %u: out of memory", i);
        goto done;
    }
    if (request(m, v.exists ? "PUT" : "POST", v.exists ? name : NULL, doc, &status,
                &resp) != FC_OK) {
        fc_warn("shard %u: %s", i, fc_error_last());
        goto done;
    }
    if (status == 200 || status == 201) {
        set_held(m, i, 1, t0);
        if (!was)
            fc_info("shard %u: acquired lease %s%s%s", i, name,
                    v.holder[0] ? " from " : "", v.holder[0] ? v.holder : "");
    } else {
        /* 409: another replica wrote first (stale resourceVersion or
         * AlreadyExists); the next round re-reads. */
        set_held(m, i, 0, 0);
        if (was || status != 409)
            fc_warn("shard %u: lease %s not %s: HTTP %ld", i, name,
                    act == FC_LEASE_RENEW ? "renewed" : "acquired", status);
    }
done:
    free(doc);
    fc_buf_dispose(&resp);
}

/* One round over every shard, starting at this replica's own offset so
 * that replicas starting together try different shards first.  Returns the
 * milliseconds until the next round is needed. */
static long round_all(fc_shard_mgr *m)
{
    long next = m->dur * 1000 / 3;
    unsigned k;
    for (k = 0; k < m->n; k++)
        visit(m, (k + m->offset) % m->n);
    for (k = 0; k < m->n; k++) {
        int64_t e = m->s[k].other_expiry_us;
        if (!m->s[k].held && e) { /* wake just after another holder's expiry */
            long in = (long)((e - wall_us()) / 1000) + 50;
            if (in < 50)
                in = 50;
            if (in < next)
                next = in;
        }
    }
    return next;
}

static void *run_thread(void *payload)
{
    fc_shard_mgr *m = payload;
    long wait_ms = m->dur * 1000 / 3;
    pthread_mutex_lock(&m->mu);
    while (!m->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_sec += wait_ms / 1000;
        ts.tv_nsec += (wait_ms % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        while (!m->stop && pthread_cond_timedwait(&m->cv, &m->mu, &ts) == 0)
            ;
        if (m->stop)
            break;
        pthread_mutex_unlock(&m->mu);
        wait_ms = round_all(m);
        pthread_mutex_lock(&m->mu);
    }
    pthread_mutex_unlock(&m->mu);
    return NULL;
}

/* Graceful exit: clear holderIdentity so others need not wait out D. */
static void release(fc_shard_mgr *m, unsigned i)
{
    char name[64];
    fc_buf resp;
    lease_view v;
    long status;
    char *doc = NULL;
    snprintf(name, sizeof(name), FC_SHARD_LEASE_PREFIX "%u", i);
    fc_buf_init(&resp);
    if (request(m, "GET", name, NULL, &status, &resp) == FC_OK && status == 200 &&
        parse_lease(&resp, m->dur, &v) == FC_OK && strcmp(v.holder, m->me) == 0 &&
        (doc = lease_doc(m, name, v.rv, "", v.acquire, wall_us(), v.transitions)) &&
        request(m, "PUT", name, doc, &status, &resp) == FC_OK && status == 200)
        fc_info("shard %u: released lease %s", i, name);
    else
        fc_warn("shard %u: lease %s not released; it expires in %ld s", i, name, m->dur);
    free(doc);
    fc_buf_dispose(&resp);
}

static char *dup_or(const char *v, const char *dflt)
{
    return fc_strdup(v && *v ? v : dflt);
}

int fc_shard_start(fc_shard_mgr **out, const fc_shard_opts *o)
{
    fc_shard_mgr *m;
    pthread_condattr_t ca;
    unsigned r = o->nreplicas ? o->nreplicas : 1;
    int rc = FC_OK;

    *out = NULL;
    if (o->nshards < 2 || o->nshards > FC_SHARD_MAX || !o->replica_id ||
        !*o->replica_id || o->lease_seconds < 3)
        return fc_error_set(
            FC_EINVALID, "sharding needs 2..%d shards, a replica id and a lease of >= 3s",
            FC_SHARD_MAX);
    if (!(m = calloc(1, sizeof(*m))) || !(m->s = calloc(o->nshards, sizeof(*m->s)))) {
        free(m);
        return fc_error_set(FC_ENOMEM, "out of memory");
    }
    pthread_mutex_init(&m->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&m->cv, &ca);
    pthread_condattr_destroy(&ca);
    m->n = o->nshards;
    m->target = (o->nshards + r - 1) / r;
    m->dur = o->lease_seconds;
    m->offset = (unsigned)(fc_hash_str(o->replica_id, 0) % o->nshards);
    if (o->api_url) {
        m->api = fc_strdup(o->api_url);
    } else {
        const char *host = getenv("KUBERNETES_SERVICE_HOST");
        const char *port = getenv("KUBERNETES_SERVICE_PORT");
        if (!host || !*host) {
            rc = fc_error_set(FC_EINVALID,
                              "sharding: not in a cluster "
                              "(KUBERNETES_SERVICE_HOST unset) and no --kube-api");
            goto done;
        }
        m->api = fc_asprintf(strchr(host, ':') ? "https://[%s]:%s" : "https://%s:%s",
                             host, port && *port ? port : "443");
    }
    m->token_file = dup_or(o->token_file, SA_DIR "/token");
    m->ca_file = o->ca_file ? fc_strdup(o->ca_file)
                            : (o->api_url ? NULL : fc_strdup(SA_DIR "/ca.crt"));
    if (o->ns && *o->ns) {
        m->ns = fc_strdup(o->ns);
    } else if (read_small(SA_DIR "/namespace", &m->ns) != FC_OK) {
        m->ns = fc_strdup("default");
    }
    m->me = fc_strdup(o->replica_id);
    if (!m->api || !m->token_file || !m->ns || !m->me || !(m->curl = curl_easy_init())) {
        rc = fc_error_set(FC_ENOMEM, "out of memory");
        goto done;
    }
    while (m->api[0] && m->api[strlen(m->api) - 1] == '/')
        m->api[strlen(m->api) - 1] = '\0';
    {
        char *probe = NULL; /* an unreadable token is a configuration error */
        if ((rc = read_small(m->token_file, &probe)) != FC_OK)
            goto done;
        memset(probe, 0, strlen(probe));
        free(probe);
    }
    fc_info("sharding: replica %s, %u shards, share %u, lease %ld s, namespace %s", m->me,
            m->n, m->target, m->dur, m->ns);
    round_all(m);
    if (pthread_create(&m->thread, NULL, run_thread, m) != 0) {
        rc = fc_error_set(FC_EIO, "sharding: cannot start the lease thread");
        goto done;
    }
    m->started = 1;
done:
    if (rc != FC_OK) {
        fc_shard_stop(m);
        return rc;
    }
    *out = m;
    return FC_OK;
}

void fc_shard_stop(fc_shard_mgr *m)
{
    unsigned i;
    if (!m)
        return;
    if (m->started) {
        pthread_mutex_lock(&m->mu);
        m->stop = 1;
        pthread_cond_signal(&m->cv);
        pthread_mutex_unlock(&m->mu);
        pthread_join(m->thread, NULL);
    }
    for (i = 0; m->curl && i < m->n; i++)
        if (m->s[i].held)
            release(m, i);
    if (m->curl)
        curl_easy_cleanup(m->curl);
    pthread_cond_destroy(&m->cv);
    pthread_mutex_destroy(&m->mu);
    free(m->api);
    free(m->token_file);
    free(m->ca_file);
    free(m->ns);
    free(m->me);
    free(m->s);
    free(m);
}

unsigned fc_shard_count(const fc_shard_mgr *m)
{
    return m->n;
}

const char *fc_shard_replica(const fc_shard_mgr *m)
{
    return m->me;
}

unsigned fc_shard_snapshot(fc_shard_mgr *m, unsigned char held[FC_SHARD_MAX])
{
    int64_t now = mono_ms();
    unsigned i, n = 0;
    memset(held, 0, FC_SHARD_MAX);
    pthread_mutex_lock(&m->mu);
    for (i = 0; i < m->n; i++) {
        held[i] = m->s[i].held && now < m->s[i].safe_until_ms;
        n += held[i];
    }
    pthread_mutex_unlock(&m->mu);
    return n;
}

int fc_shard_check(fc_shard_mgr *m, const unsigned char held[FC_SHARD_MAX],
                   const char *stage)
{
    unsigned char now[FC_SHARD_MAX];
    unsigned i;
    fc_shard_snapshot(m, now);
    for (i = 0; i < m->n; i++)
        if (held[i] && !now[i])
            return fc_error_set(FC_EDENIED,
                                "lease of shard %u lost mid-pass: stopping before %s", i,
                                stage);
    return FC_OK;
}
