/*
 * aws_http.c - the aws provider's transport (stage: discovery and apply).
 *
 * Inputs: aws_req requests (method, URL, body, SigV4 scope, credentials).
 * Outputs: each request's status, body and AWS error code/message, handed
 * to its done() callback; the transport then frees the request.
 *
 * One curl multi handle drives every request of a pass, so accounts and
 * regions are read concurrently over a bounded connection pool (keep-alive
 * through the multi's connection cache; easy handles are reused).  Signing
 * is curl's CURLOPT_AWS_SIGV4 with the key pair as CURLOPT_USERPWD; session
 * tokens go in X-Amz-Security-Token.  Throttling, 5xx and connection errors
 * are retried with exponential backoff and full jitter drawn from a seeded
 * PRNG, at most max_attempts per request and retry_budget per transport.
 *
 * Ownership: aws_transport_new()/aws_transport_free(); a submitted request
 * belongs to the transport.
 */
#include "controller/cloud/aws_int.h"
#include "controller/core/fc_error.h"
#include "controller/core/fc_log.h"

#include <curl/curl.h>
#include <json-c/json.h>
#include <stdatomic.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define AWS_MAX_BODY (256u * 1024u * 1024u)

/* ---- PRNG and backoff --------------------------------------------------- */

void aws_rng_seed(aws_rng *r, uint64_t seed)
{
    r->s = seed;
}

/* splitmix64: tiny, seedable, good enough for jitter. */
uint64_t aws_rng_next(aws_rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

long aws_backoff_ms(aws_rng *r, int attempt, long base_ms, long cap_ms)
{
    long ceil_ms = base_ms;
    int i;
    if (base_ms <= 0 || cap_ms <= 0)
        return 0;
    for (i = 0; i < attempt && ceil_ms < cap_ms; i++)
        ceil_ms *= 2;
    if (ceil_ms > cap_ms)
        ceil_ms = cap_ms;
    return (long)(aws_rng_next(r) % (uint64_t)(ceil_ms + 1));
}

/* ---- errors ------------------------------------------------------------- */

static const char *const throttle_codes[] = {
    "Throttling",          "ThrottlingException",   "ThrottledException",
    "RequestLimitExceeded", "TooManyRequestsException", "RequestThrottled",
    "RequestThrottledException", "ProvisionedThroughputExceededException",
    "SlowDown",            "BandwidthLimitExceeded", "EC2ThrottledException",
    "PriorRequestNotComplete", "LimitExceededException", NULL};

int aws_is_throttle(const char *code, long http_status)
{
    size_t i;
    if (http_status == 429)
        return 1;
    for (i = 0; code && throttle_codes[i]; i++)
        if (strcmp(code, throttle_codes[i]) == 0)
            return 1;
    return 0;
}

int aws_is_retryable(const char *code, long http_status)
{
    if (aws_is_throttle(code, http_status))
        return 1;
    if (http_status >= 500)
        return 1;
    return code && (strcmp(code, "RequestTimeout") == 0 ||
                    strcmp(code, "RequestTimeoutException") == 0 ||
                    strcmp(code, "InternalError") == 0 ||
                    strcmp(code, "InternalFailure") == 0 ||
                    strcmp(code, "ServiceUnavailable") == 0 ||
                    strcmp(code, "Unavailable") == 0);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

int aws_error_map(const char *code, long http_status)
{
    const char *c = code ? code : "";
    if (aws_is_throttle(c, http_status))
        return FC_ETHROTTLED;
    if (strcmp(c, "IncorrectInstanceState") == 0 ||
        strcmp(c, "IncorrectState") == 0 || strcmp(c, "VolumeInUse") == 0 ||
        strcmp(c, "InvalidVolume.InUse") == 0 ||
        strcmp(c, "InvalidSnapshot.InUse") == 0 ||
        strcmp(c, "InvalidIPAddress.InUse") == 0 ||
        strcmp(c, "IdempotentParameterMismatch") == 0 ||
        strcmp(c, "InvalidDBInstanceState") == 0 ||
        strcmp(c, "ResourceConflictException") == 0 ||
        strcmp(c, "IncorrectModificationState") == 0)
        return FC_ECONFLICT;
    if (ends_with(c, "NotFound") || ends_with(c, "NotFoundFault") ||
        ends_with(c, "NotFoundException") || strncmp(c, "NoSuch", 6) == 0 ||
        strcmp(c, "InvalidAllocationID.NotFound") == 0 || http_status == 404)
        return FC_ENOTFOUND;
    if (strcmp(c, "UnauthorizedOperation") == 0 ||
        strcmp(c, "AccessDenied") == 0 || strcmp(c, "AccessDeniedException") == 0 ||
        strcmp(c, "AuthFailure") == 0 || strcmp(c, "InvalidClientTokenId") == 0 ||
        strcmp(c, "SignatureDoesNotMatch") == 0 ||
        strcmp(c, "UnrecognizedClientException") == 0 ||
        strcmp(c, "ExpiredToken") == 0 || strcmp(c, "ExpiredTokenException") == 0 ||
        strcmp(c, "InvalidAccessKeyId") == 0 || http_status == 401 ||
        http_status == 403)
        return FC_EDENIED;
    if (strcmp(c, "RequestTimeout") == 0 || strcmp(c, "RequestTimeoutException") == 0)
        return FC_ETIMEOUT;
    if (http_status >= 500 || aws_is_retryable(c, http_status))
        return FC_ENETWORK;
    if (strcmp(c, "UnsupportedOperation") == 0 || strcmp(c, "InvalidAction") == 0)
        return FC_EUNSUPPORTED;
    return FC_EINVALID;
}

static void copy_trunc(char *dst, size_t size, const char *src, size_t n)
{
    size_t i, j = 0;
    if (!size)
        return;
    /* One line: control characters become spaces. */
    for (i = 0; i < n && src[i] && j + 1 < size; i++)
        dst[j++] = (unsigned char)src[i] < 0x20 ? ' ' : src[i];
    dst[j] = '\0';
}

static xmlNode *find_elem(xmlNode *n, const char *name)
{
    for (; n; n = n->next) {
        xmlNode *f;
        if (n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0)
            return n;
        if ((f = find_elem(n->children, name)) != NULL)
            return f;
    }
    return NULL;
}

void aws_parse_error(const char *body, size_t len, const char *errtype,
                     char *code, size_t code_size, char *msg, size_t msg_size)
{
    size_t i = 0;
    code[0] = msg[0] = '\0';
    while (body && i < len && (body[i] == ' ' || body[i] == '\n' || body[i] == '\r' ||
                               body[i] == '\t'))
        i++;
    if (body && i < len && body[i] == '<') {
        xmlDoc *doc = xmlReadMemory(body, (int)len, NULL, NULL,
                                    XML_PARSE_NONET | XML_PARSE_NOERROR |
                                        XML_PARSE_NOWARNING);
        if (doc) {
            xmlNode *root = xmlDocGetRootElement(doc);
            xmlNode *c = find_elem(root, "Code");
            xmlNode *m = find_elem(root, "Message");
            if (c) {
                xmlChar *t = xmlNodeGetContent(c);
                if (t)
                    copy_trunc(code, code_size, (const char *)t, strlen((const char *)t));
                xmlFree(t);
            }
            if (m) {
                xmlChar *t = xmlNodeGetContent(m);
                if (t)
                    copy_trunc(msg, msg_size, (const char *)t, strlen((const char *)t));
                xmlFree(t);
            }
            xmlFreeDoc(doc);
        }
    } else if (body && i < len && body[i] == '{') {
        struct json_tokener *tok = json_tokener_new();
        struct json_object *o = tok ? json_tokener_parse_ex(tok, body, (int)len) : NULL;
        struct json_object *v;
        if (o && json_object_is_type(o, json_type_object)) {
            const char *s = NULL;
            if (json_object_object_get_ex(o, "__type", &v) ||
                json_object_object_get_ex(o, "code", &v) ||
                json_object_object_get_ex(o, "Code", &v))
                s = json_object_get_string(v);
            if (s) {
                const char *h = strrchr(s, '#');
                s = h ? h + 1 : s;
                copy_trunc(code, code_size, s, strcspn(s, ":"));
            }
            if (json_object_object_get_ex(o, "message", &v) ||
                json_object_object_get_ex(o, "Message", &v)) {
                s = json_object_get_string(v);
                if (s)
                    copy_trunc(msg, msg_size, s, strlen(s));
            }
        }
        json_object_put(o);
        if (tok)
            json_tokener_free(tok);
    }
    if (!code[0] && errtype && *errtype)
        copy_trunc(code, code_size, errtype, strcspn(errtype, ":"));
}

/* ---- endpoints ---------------------------------------------------------- */

int aws_urlencode(fc_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    char e[3];
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~') {
            if (fc_buf_append(b, s, 1))
                return FC_ENOMEM;
            continue;
        }
        e[0] = '%';
        e[1] = hex[c >> 4];
        e[2] = hex[c & 15];
        if (fc_buf_append(b, e, 3))
            return FC_ENOMEM;
    }
    return FC_OK;
}

/* Alternative names accepted in --endpoint-url-<name> / "name=url". */
static int service_matches(const char *service, const char *name, size_t n)
{
    static const char *const alias[][2] = {
        {"elasticloadbalancing", "elbv2"}, {"elasticloadbalancing", "elb"},
        {"monitoring", "cloudwatch"},      {"ce", "costexplorer"},
    };
    size_t i;
    if (strlen(service) == n && strncasecmp(service, name, n) == 0)
        return 1;
    for (i = 0; i < FC_ARRAY_LEN(alias); i++)
        if (strcmp(service, alias[i][0]) == 0 && strlen(alias[i][1]) == n &&
            strncasecmp(alias[i][1], name, n) == 0)
            return 1;
    return 0;
}

char *aws_endpoint(const aws_endpoints *e, const char *service,
                   const char *region)
{
    const char *base = NULL;
    size_t i, n;
    char *u;

    for (i = 0; e && i < e->nservice_endpoints; i++) {
        const char *eq = strchr(e->service_endpoints[i], '=');
        if (eq && service_matches(service, e->service_endpoints[i],
                                  (size_t)(eq - e->service_endpoints[i])))
            base = eq + 1;
    }
    if (!base && e)
        base = e->endpoint_url;
    if (base) {
        u = fc_strdup(base);
        if (u && (n = strlen(u)) > 0 && u[n - 1] == '/')
            u[n - 1] = '\0';
        return u;
    }
    if (strcmp(service, "s3") == 0)
        return strcmp(region, "us-east-1") == 0
                   ? fc_strdup("https://s3.amazonaws.com")
                   : fc_asprintf("https://s3.%s.amazonaws.com", region);
    if (strcmp(service, "ce") == 0)
        return fc_strdup("https://ce.us-east-1.amazonaws.com");
    return fc_asprintf("https://%s.%s.amazonaws.com", service, region);
}

/* ---- API call counters (/metrics) ------------------------------------------- */

/* Process-wide and lock-free: a transport may run on any thread. */
const char *const fc_aws_api_services[FC_AWS_API_NSERVICES] = {
    "sts", "ec2", "elbv2", "rds", "lambda", "s3", "cloudwatch", "ce", "other"};
const char *const fc_aws_api_results[FC_AWS_API_NRESULTS] = {
    "ok", "throttled", "client_error", "server_error", "network_error"};
static atomic_ulong api_calls[FC_AWS_API_NSERVICES][FC_AWS_API_NRESULTS];
static atomic_ulong api_retries[FC_AWS_API_NSERVICES];

/* Index of the service a request signs for ("aws:amz:<region>:<service>"). */
static size_t api_service(const aws_req *r)
{
    static const char *const signing[FC_AWS_API_NSERVICES - 1] = {
        "sts", "ec2", "elasticloadbalancing", "rds", "lambda", "s3", "monitoring", "ce"};
    const char *svc = r->sigv4 ? strrchr(r->sigv4, ':') : NULL;
    size_t i;
    if (svc)
        for (i = 0; i < FC_AWS_API_NSERVICES - 1; i++)
            if (strcmp(svc + 1, signing[i]) == 0)
                return i;
    return FC_AWS_API_NSERVICES - 1;
}

void fc_aws_api_stats(unsigned long calls[FC_AWS_API_NSERVICES][FC_AWS_API_NRESULTS],
                      unsigned long retries[FC_AWS_API_NSERVICES])
{
    size_t i, j;
    for (i = 0; i < FC_AWS_API_NSERVICES; i++) {
        for (j = 0; j < FC_AWS_API_NRESULTS; j++)
            calls[i][j] = atomic_load(&api_calls[i][j]);
        retries[i] = atomic_load(&api_retries[i]);
    }
}

/* ---- requests ------------------------------------------------------------- */

struct aws_transport {
    CURLM *multi;
    aws_transport_opts o;
    aws_rng rng;
    aws_req *queue;      /* ready to start (FIFO) */
    aws_req *queue_tail;
    aws_req *waiting;    /* backing off, due_ms set */
    void **pool;         /* idle easy handles */
    size_t npool, cappool;
    size_t inflight;
    unsigned budget;
    unsigned long sent, retries;
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int aws_req_new(aws_req **out, const char *method, const char *url,
                const char *body, const char *region, const char *service,
                const aws_creds *creds)
{
    aws_req *r = calloc(1, sizeof(*r));
    int rc = FC_ENOMEM;

    *out = NULL;
    if (!r)
        return fc_error_set(FC_ENOMEM, "aws: out of memory");
    fc_buf_init(&r->resp);
    if (!(r->method = fc_strdup(method)) || !(r->url = fc_strdup(url)))
        goto done;
    if (body) {
        r->body_len = strlen(body);
        if (!(r->body = fc_strdup(body)))
            goto done;
    }
    /* libcurl adds "Expect: 100-continue" to large POSTs; AWS does not need
     * the extra round trip (an empty header removes it). */
    if (aws_req_header(r, "Expect:"))
        goto done;
    if (creds) {
        char *tok;
        if (!(r->sigv4 = fc_asprintf("aws:amz:%s:%s", region, service)) ||
            !(r->userpwd = fc_asprintf("%s:%s", creds->access_key, creds->secret_key)))
            goto done;
        if (creds->token) {
            if (!(tok = fc_asprintf("X-Amz-Security-Token: %s", creds->token)))
                goto done;
            rc = aws_req_header(r, tok);
            free(tok);
            if (rc)
                goto done;
        }
    }
    *out = r;
    return FC_OK;
done:
    aws_req_free(r);
    return fc_error_set(FC_ENOMEM, "aws: out of memory");
}

int aws_req_header(aws_req *r, const char *header)
{
    struct curl_slist *l = curl_slist_append(r->headers, header);
    if (!l)
        return fc_error_set(FC_ENOMEM, "aws: out of memory");
    r->headers = l;
    return FC_OK;
}

void aws_req_free(aws_req *r)
{
    if (!r)
        return;
    free(r->method);
    free(r->url);
    free(r->body);
    curl_slist_free_all(r->headers);
    free(r->sigv4);
    if (r->userpwd) {
        /* Scrub the secret before it goes back to the allocator. */
        memset(r->userpwd, 0, strlen(r->userpwd));
        free(r->userpwd);
    }
    free(r->what);
    fc_buf_dispose(&r->resp);
    free(r);
}

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
    aws_req *r = ud;
    size_t len = size * n;
    if (r->resp.len + len > AWS_MAX_BODY)
        return 0;
    return fc_buf_append(&r->resp, data, len) == FC_OK ? len : 0;
}

static size_t on_header(char *data, size_t size, size_t n, void *ud)
{
    aws_req *r = ud;
    size_t len = size * n;
    static const char name[] = "x-amzn-errortype:";
    if (len > sizeof(name) - 1 && strncasecmp(data, name, sizeof(name) - 1) == 0) {
        const char *v = data + sizeof(name) - 1;
        size_t vl = len - (sizeof(name) - 1);
        while (vl && (*v == ' ' || *v == '\t')) {
            v++;
            vl--;
        }
        while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
            vl--;
        copy_trunc(r->errtype, sizeof(r->errtype), v, vl);
    }
    return len;
}

int aws_transport_new(aws_transport **out, const aws_transport_opts *o)
{
    aws_transport *t;
    static int global_done;

    *out = NULL;
    if (!global_done) {
        /* Once per process; the controller is single-threaded here. */
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            return fc_error_set(FC_ENETWORK, "aws: curl_global_init failed");
        global_done = 1;
    }
    if (!(t = calloc(1, sizeof(*t))))
        return fc_error_set(FC_ENOMEM, "aws: out of memory");
    t->o = *o;
    if (!t->o.max_connections)
        t->o.max_connections = 16;
    if (!t->o.max_attempts)
        t->o.max_attempts = 5;
    if (!t->o.timeout_ms)
        t->o.timeout_ms = 30000;
    if (!t->o.connect_timeout_ms)
        t->o.connect_timeout_ms = 5000;
    if (!t->o.base_delay_ms)
        t->o.base_delay_ms = 100;
    if (!t->o.max_delay_ms)
        t->o.max_delay_ms = 20000;
    t->budget = t->o.retry_budget ? t->o.retry_budget : 500;
    aws_rng_seed(&t->rng, t->o.seed);
    if (!(t->multi = curl_multi_init())) {
        free(t);
        return fc_error_set(FC_ENOMEM, "aws: curl_multi_init failed");
    }
    curl_multi_setopt(t->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)t->o.max_connections);
    curl_multi_setopt(t->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)t->o.max_connections);
    curl_multi_setopt(t->multi, CURLMOPT_MAXCONNECTS, (long)t->o.max_connections);
    *out = t;
    return FC_OK;
}

static void free_list(aws_req *r)
{
    while (r) {
        aws_req *n = r->next;
        aws_req_free(r);
        r = n;
    }
}

void aws_transport_free(aws_transport *t)
{
    size_t i;
    if (!t)
        return;
    free_list(t->queue);
    free_list(t->waiting);
    for (i = 0; i < t->npool; i++)
        curl_easy_cleanup(t->pool[i]);
    free(t->pool);
    curl_multi_cleanup(t->multi);
    free(t);
}

void aws_transport_set_budget(aws_transport *t, unsigned budget)
{
    t->budget = budget ? budget : 500;
}

unsigned aws_transport_budget(const aws_transport *t)
{
    return t->budget;
}

void aws_transport_stats(const aws_transport *t, unsigned long *sent,
                         unsigned long *retries)
{
    *sent = t->sent;
    *retries = t->retries;
}

int aws_submit(aws_transport *t, aws_req *r, aws_done_fn done, void *payload)
{
    r->done = done;
    r->payload = payload;
    r->next = NULL;
    if (t->queue_tail)
        t->queue_tail->next = r;
    else
        t->queue = r;
    t->queue_tail = r;
    return FC_OK;
}

static int start(aws_transport *t, aws_req *r)
{
    CURL *e = t->npool ? t->pool[--t->npool] : curl_easy_init();
    if (!e)
        return FC_ENOMEM;
    curl_easy_reset(e);
    fc_buf_dispose(&r->resp);
    fc_buf_init(&r->resp);
    r->errtype[0] = '\0';
    curl_easy_setopt(e, CURLOPT_URL, r->url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, r);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, r->timeout_ms ? r->timeout_ms : t->o.timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, t->o.connect_timeout_ms);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_USERAGENT, "finops-controller/" FC_VERSION);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->headers);
    if (strcmp(r->method, "POST") == 0) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body ? r->body : "");
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)r->body_len);
    } else if (strcmp(r->method, "GET") != 0) {
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method);
        if (r->body) {
            curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body);
            curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)r->body_len);
        } else if (strcmp(r->method, "PUT") == 0) {
            curl_easy_setopt(e, CURLOPT_POSTFIELDS, "");
            curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, 0L);
        }
    }
    if (r->sigv4) {
        curl_easy_setopt(e, CURLOPT_AWS_SIGV4, r->sigv4);
        curl_easy_setopt(e, CURLOPT_USERPWD, r->userpwd);
    }
    r->easy = e;
    r->attempts++;
    t->sent++;
    if (curl_multi_add_handle(t->multi, e) != CURLM_OK) {
        r->easy = NULL;
        curl_easy_cleanup(e);
        return FC_ENETWORK;
    }
    t->inflight++;
    return FC_OK;
}

static void release_easy(aws_transport *t, aws_req *r)
{
    CURL *e = r->easy;
    r->easy = NULL;
    if (!e)
        return;
    curl_multi_remove_handle(t->multi, e);
    t->inflight--;
    if (t->npool == t->cappool) {
        size_t nc = t->cappool ? t->cappool * 2 : 16;
        void **p = realloc(t->pool, nc * sizeof(*p));
        if (!p) {
            curl_easy_cleanup(e);
            return;
        }
        t->pool = p;
        t->cappool = nc;
    }
    t->pool[t->npool++] = e;
}

static void finish(aws_transport *t, aws_req *r)
{
    if (r->done)
        r->done(r, r->payload);
    (void)t;
    aws_req_free(r);
}

static void backoff(aws_transport *t, aws_req *r)
{
    long d = aws_backoff_ms(&t->rng, (int)r->attempts - 1, t->o.base_delay_ms,
                            t->o.max_delay_ms);
    r->due_ms = mono_ms() + d;
    r->next = t->waiting;
    t->waiting = r;
    t->budget--;
    t->retries++;
    atomic_fetch_add(&api_retries[api_service(r)], 1);
    fc_debug("aws: %s: %s, retry %u in %ld ms", r->what ? r->what : "request",
             r->err_code[0] ? r->err_code : "error", r->attempts, d);
}

/* A transfer ended: classify, then retry or hand to done(). */
static void completed(aws_transport *t, aws_req *r, CURLcode cc)
{
    unsigned max = r->max_attempts ? r->max_attempts : t->o.max_attempts;
    int retry = 0;

    curl_easy_getinfo((CURL *)r->easy, CURLINFO_RESPONSE_CODE, &r->status);
    release_easy(t, r);
    r->err_code[0] = r->err_msg[0] = '\0';
    if (cc != CURLE_OK) {
        r->status = 0;
        snprintf(r->err_code, sizeof(r->err_code), "%s",
                 cc == CURLE_OPERATION_TIMEDOUT ? "RequestTimeout" : "ConnectionError");
        snprintf(r->err_msg, sizeof(r->err_msg), "%s", curl_easy_strerror(cc));
        r->rc = cc == CURLE_OPERATION_TIMEDOUT ? FC_ETIMEOUT : FC_ENETWORK;
        retry = cc != CURLE_WRITE_ERROR && cc != CURLE_UNSUPPORTED_PROTOCOL &&
                cc != CURLE_URL_MALFORMAT;
    } else if (r->status >= 200 && r->status < 300) {
        r->rc = FC_OK;
    } else {
        aws_parse_error(r->resp.data, r->resp.len, r->errtype, r->err_code,
                        sizeof(r->err_code), r->err_msg, sizeof(r->err_msg));
        r->rc = aws_error_map(r->err_code, r->status);
        retry = aws_is_retryable(r->err_code, r->status);
    }
    atomic_fetch_add(&api_calls[api_service(r)]
                               [r->rc == FC_OK                        ? 0
                                : aws_is_throttle(r->err_code, r->status) ? 1
                                : r->status >= 500                     ? 3
                                : r->status >= 400                     ? 2
                                                                       : 4],
                     1);
    if (retry && r->attempts < max && t->budget > 0) {
        backoff(t, r);
        return;
    }
    if (r->rc != FC_OK && retry && r->attempts >= max && aws_is_throttle(r->err_code, r->status))
        r->rc = FC_ETHROTTLED;
    finish(t, r);
}

int aws_transport_run(aws_transport *t)
{
    size_t max_inflight = (size_t)t->o.max_connections * 4;

    for (;;) {
        int64_t now = mono_ms(), next_due = -1;
        aws_req **pp;
        CURLMsg *m;
        int running, left, timeout;

        /* Due retries go to the front of the line. */
        for (pp = &t->waiting; *pp;) {
            aws_req *r = *pp;
            if (r->due_ms <= now) {
                *pp = r->next;
                r->next = t->queue;
                t->queue = r;
                if (!t->queue_tail)
                    t->queue_tail = r;
            } else {
                if (next_due < 0 || r->due_ms < next_due)
                    next_due = r->due_ms;
                pp = &r->next;
            }
        }
        while (t->queue && t->inflight < max_inflight) {
            aws_req *r = t->queue;
            t->queue = r->next;
            if (!t->queue)
                t->queue_tail = NULL;
            r->next = NULL;
            if (start(t, r) != FC_OK) {
                r->rc = fc_error_set(FC_ENOMEM, "aws: cannot start a transfer");
                snprintf(r->err_msg, sizeof(r->err_msg), "cannot start a transfer");
                finish(t, r);
            }
        }
        if (!t->inflight && !t->queue && !t->waiting)
            break;
        curl_multi_perform(t->multi, &running);
        while ((m = curl_multi_info_read(t->multi, &left)) != NULL) {
            aws_req *r = NULL;
            if (m->msg != CURLMSG_DONE)
                continue;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
            completed(t, r, m->data.result);
        }
        if (t->queue && t->inflight < max_inflight)
            continue; /* callbacks queued work that can start now */
        if (!t->inflight && !t->queue && !t->waiting)
            break; /* the last transfer just finished: no idle wait */
        timeout = 200;
        if (next_due >= 0) {
            int64_t d = next_due - mono_ms();
            timeout = d < 0 ? 0 : d < timeout ? (int)d : timeout;
        }
        if (t->inflight)
            curl_multi_poll(t->multi, NULL, 0, timeout, NULL);
        else if (timeout > 0) {
            struct timespec ts = {timeout / 1000, (long)(timeout % 1000) * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    return FC_OK;
}

void aws_result_dispose(aws_result *r)
{
    fc_buf_dispose(&r->body);
}

static void call_done(aws_req *r, void *payload)
{
    aws_result *out = payload;
    out->status = r->status;
    out->body = r->resp;
    fc_buf_init(&r->resp);
    snprintf(out->err_code, sizeof(out->err_code), "%s", r->err_code);
    snprintf(out->err_msg, sizeof(out->err_msg), "%s", r->err_msg);
}

int aws_call(aws_transport *t, aws_req *r, aws_result *out)
{
    int rc;
    memset(out, 0, sizeof(*out));
    fc_buf_init(&out->body);
    /* Keep the rc: the request is freed inside the run. */
    out->status = -1;
    aws_submit(t, r, call_done, out);
    r = NULL;
    if ((rc = aws_transport_run(t)) != FC_OK)
        return rc;
    if (out->status >= 200 && out->status < 300)
        return FC_OK;
    if (out->status == 0 || out->status == -1)
        return fc_error_set(strcmp(out->err_code, "RequestTimeout") == 0 ? FC_ETIMEOUT
                                                                        : FC_ENETWORK,
                            "%s", out->err_msg[0] ? out->err_msg : "no response");
    rc = aws_error_map(out->err_code, out->status);
    return fc_error_set(rc, "%s%s%s (HTTP %ld)", out->err_code,
                        out->err_code[0] && out->err_msg[0] ? ": " : "", out->err_msg,
                        out->status);
}
