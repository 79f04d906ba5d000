/*
 * forge.c - the pull-request client: one HTTP core (libcurl) and one small
 * back end per forge, each a table entry of paths and JSON field names.
 *
 * Inputs: fc_forge_opts (API base, project, token).  Outputs: parsed PRs.
 * The core follows Link rel="next" pages, honours rate-limit headers
 * (X-RateLimit-Remaining/-Reset on GitHub and Gitea, RateLimit-* on GitLab,
 * Retry-After everywhere) up to max_wait seconds, and retries 5xx and
 * network errors with jittered exponential backoff.  The token lives only in
 * the handle (wiped in free) and in the request header; messages carry the
 * method, the URL path and the status, never headers.
 */
#include "controller/forge/fc_forge.h"
#include "controller/core/fc_error.h"
#include "controller/core/fc_log.h"
#include "controller/core/fc_util.h"

#include <curl/curl.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* ---- back ends ----------------------------------------------------------- */

typedef struct {
    const char *name;
    const char *pulls;      /* collection path after /projects/<p> or /repos/<p> */
    const char *comments;   /* printf: number */
    const char *list_query; /* open PRs; page size appended */
    const char *number_key; /* "number" | "iid" */
    const char *body_key;   /* "body" | "description" */
    const char *head_key;   /* "head" ({ref}) | "source_branch" */
    const char *update_method;
} dialect;

static const dialect dialects[] = {
    [FC_FORGE_GITHUB] = {"github", "pulls", "issues/%ld/comments",
                         "state=open&per_page=%u", "number", "body", "head", "PATCH"},
    [FC_FORGE_GITLAB] = {"gitlab", "merge_requests", "merge_requests/%ld/notes",
                         "state=opened&per_page=%u", "iid", "description",
                         "source_branch", "PUT"},
    [FC_FORGE_GITEA] = {"gitea", "pulls", "issues/%ld/comments", "state=open&limit=%u",
                        "number", "body", "head", "PATCH"},
};

struct fc_forge {
    fc_forge_kind kind;
    const dialect *d;
    char *base; /* api + "/repos/<owner>/<name>" or "/projects/<enc>" */
    char *auth; /* the auth header line */
    int max_wait;
    int retries;
    unsigned page_size;
    unsigned seed;
};

int fc_forge_kind_parse(const char *s)
{
    size_t i;
    for (i = 0; s && i < FC_ARRAY_LEN(dialects); i++)
        if (strcmp(s, dialects[i].name) == 0)
            return (int)i;
    return -1;
}

const char *fc_forge_kind_name(fc_forge_kind k)
{
    return (size_t)k < FC_ARRAY_LEN(dialects) ? dialects[k].name : "?";
}

void fc_pr_dispose(fc_pr *p)
{
    if (!p)
        return;
    free(p->head);
    free(p->title);
    free(p->body);
    free(p->merged_by);
    memset(p, 0, sizeof(*p));
}

void fc_pr_list_dispose(fc_pr_list *l)
{
    size_t i;
    for (i = 0; l && i < l->n; i++)
        fc_pr_dispose(&l->items[i]);
    if (l) {
        free(l->items);
        l->items = NULL;
        l->n = 0;
    }
}

void fc_forge_token_free(char *s)
{
    if (s) {
        volatile char *p = s;
        while (*p)
            *p++ = 0;
        free(s);
    }
}

char *fc_forge_read_token(const char *token_file)
{
    const char *env = getenv("FINOPS_FORGE_TOKEN");
    char buf[4096];
    char *t = NULL;
    size_t n;
    FILE *f;

    if (!token_file || !*token_file)
        return env && *env ? fc_strdup(env) : NULL;
    if (!(f = fopen(token_file, "r"))) {
        fc_warn("forge: cannot read the token file %s", token_file);
        return NULL;
    }
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    n = strcspn(buf, "\r\n"); /* the first line */
    while (n && (buf[n - 1] == ' ' || buf[n - 1] == '\t'))
        n--;
    buf[n] = '\0';
    if (n)
        t = fc_strdup(buf);
    {
        volatile char *p = buf;
        size_t i;
        for (i = 0; i < sizeof(buf); i++)
            p[i] = 0;
    }
    return t;
}

int fc_forge_new(fc_forge **out, const fc_forge_opts *o)
{
    fc_forge *f;
    char *enc = NULL;
    size_t alen;

    *out = NULL;
    if ((size_t)o->kind >= FC_ARRAY_LEN(dialects) || !o->api_url || !o->project ||
        !o->token || !*o->token)
        return fc_error_set(FC_EINVALID,
                            "forge: needs a kind, an API URL, a project and a token");
    if (!(f = calloc(1, sizeof(*f))))
        return fc_error_set(FC_ENOMEM, "out of memory");
    f->kind = o->kind;
    f->d = &dialects[o->kind];
    f->max_wait = o->max_wait;
    f->retries = o->retries;
    f->page_size = o->page_size ? o->page_size : 50;
    f->seed = (unsigned)time(NULL);
    alen = strlen(o->api_url);
    while (alen && o->api_url[alen - 1] == '/')
        alen--;
    if (o->kind == FC_FORGE_GITLAB) {
        /* GitLab takes "group/name" URL-encoded as the project id */
        enc = curl_easy_escape(NULL, o->project, 0);
        f->base =
            enc ? fc_asprintf("%.*s/projects/%s", (int)alen, o->api_url, enc) : NULL;
        curl_free(enc);
        f->auth = fc_asprintf("PRIVATE-TOKEN: %s", o->token);
    } else {
        f->base = fc_asprintf("%.*s/repos/%s", (int)alen, o->api_url, o->project);
        f->auth = fc_asprintf(o->kind == FC_FORGE_GITHUB ? "Authorization: Bearer %s"
                                                         : "Authorization: token %s",
                              o->token);
    }
    if (!f->base || !f->auth) {
        fc_forge_free(f);
        return fc_error_set(FC_ENOMEM, "out of memory");
    }
    *out = f;
    return FC_OK;
}

void fc_forge_free(fc_forge *f)
{
    if (!f)
        return;
    fc_forge_token_free(f->auth);
    free(f->base);
    free(f);
}

/* ---- Link header --------------------------------------------------------- */

char *fc_forge_link_next(const char *link)
{
    const char *p = link;
    while (p && *p) {
        const char *lt = strchr(p, '<'), *gt, *end;
        if (!lt || !(gt = strchr(lt, '>')))
            return NULL;
        end = strchr(gt, ',');
        if (!end)
            end = gt + strlen(gt);
        {
            const char *r = gt;
            while ((r = strstr(r, "rel=")) && r < end) {
                r += 4;
                if (*r == '"')
                    r++;
                if (strncmp(r, "next", 4) == 0 &&
                    (r[4] == '"' || r[4] == ';' || r[4] == ',' || r[4] == ' ' || !r[4]))
                    return fc_asprintf("%.*s", (int)(gt - lt - 1), lt + 1);
            }
        }
        p = *end ? end + 1 : end;
    }
    return NULL;
}

/* ---- HTTP core ----------------------------------------------------------- */

typedef struct {
    long remaining;   /* -1 = no header */
    long reset;       /* epoch seconds, or 0 */
    long retry_after; /* seconds, or -1 */
    char *link;
} resp_headers;

static size_t on_header(char *data, size_t size, size_t n, void *payload)
{
    resp_headers *h = payload;
    size_t len = size * n;
    char line[2048];
    char *colon, *v;
    size_t k;

    if (len >= sizeof(line))
        return len; /* no header we read is that long */
    memcpy(line, data, len);
    line[len] = '\0';
    while (len && (line[len - 1] == '\r' || line[len - 1] == '\n'))
        line[--len] = '\0';
    if (!(colon = strchr(line, ':')))
        return size * n;
    *colon = '\0';
    for (v = colon + 1; *v == ' '; v++)
        ;
    for (k = 0; line[k]; k++)
        line[k] = (char)(line[k] >= 'A' && line[k] <= 'Z' ? line[k] + 32 : line[k]);
    if (!strcmp(line, "x-ratelimit-remaining") || !strcmp(line, "ratelimit-remaining"))
        h->remaining = strtol(v, NULL, 10);
    else if (!strcmp(line, "x-ratelimit-reset") || !strcmp(line, "ratelimit-reset"))
        h->reset = strtol(v, NULL, 10);
    else if (!strcmp(line, "retry-after"))
        h->retry_after = strtol(v, NULL, 10);
    else if (!strcmp(line, "link")) {
        free(h->link);
        h->link = fc_strdup(v);
    }
    return size * n;
}

static size_t on_body(char *data, size_t size, size_t n, void *payload)
{
    return fc_buf_append(payload, data, size * n) == FC_OK ? size * n : 0;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The path of a URL, without the query: what messages may show. */
static void url_path(char *out, size_t size, const char *url)
{
    const char *p = strstr(url, "://");
    size_t n;
    p = p ? strchr(p + 3, '/') : url;
    if (!p)
        p = "/";
    n = strcspn(p, "?");
    snprintf(out, size, "%.*s", (int)(n < size ? n : size - 1), p);
}

/* The error text of a forge's JSON error body: {"message": ...} on GitHub
 * and Gitea, {"message": ...} or {"error": ...} on GitLab. */
static void error_text(char *out, size_t size, const fc_buf *body)
{
    struct json_object *j = body->len ? json_tokener_parse(body->data) : NULL;
    struct json_object *m = NULL;
    out[0] = '\0';
    if (j && (json_object_object_get_ex(j, "message", &m) ||
              json_object_object_get_ex(j, "error", &m)))
        snprintf(out, size, "%s", json_object_get_string(m));
    json_object_put(j);
}

/*
 * One request with retries.  url is absolute.  On success (2xx) *resp holds
 * the body and *next the rel="next" URL (when asked for).
 */
static int request(fc_forge *f, const char *method, const char *url,
                   struct json_object *body, fc_buf *resp, char **next)
{
    const char *payload =
        body ? json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN) : NULL;
    char path[512], msg[256];
    unsigned backoff = 250;
    int attempt, rc = FC_OK;

    url_path(path, sizeof(path), url);
    if (next)
        *next = NULL;
    for (attempt = 0;; attempt++) {
        CURL *c = curl_easy_init();
        struct curl_slist *hdr = NULL;
        resp_headers h = {-1, 0, -1, NULL};
        long status = 0;
        CURLcode cc;
        long wait = -1;

        fc_buf_dispose(resp);
        fc_buf_init(resp);
        if (!c) {
            rc = fc_error_set(FC_ENOMEM, "out of memory");
            break;
        }
        hdr = curl_slist_append(hdr, f->auth);
        hdr = curl_slist_append(hdr, "Accept: application/json");
        hdr = curl_slist_append(hdr, "Content-Type: application/json");
        hdr = curl_slist_append(hdr, "User-Agent: finops-controller");
        if (f->kind == FC_FORGE_GITHUB)
            hdr = curl_slist_append(hdr, "X-GitHub-Api-Version: 2022-11-28");
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
        if (payload)
            curl_easy_setopt(c, CURLOPT_POSTFIELDS, payload);
        cc = curl_easy_perform(c);
        if (cc == CURLE_OK)
            curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        curl_slist_free_all(hdr);
        curl_easy_cleanup(c);

        if (cc == CURLE_OK && status >= 200 && status < 300) {
            if (next && h.link)
                *next = fc_forge_link_next(h.link);
            free(h.link);
            rc = FC_OK;
            break;
        }
        free(h.link);
        if (cc != CURLE_OK) {
            rc = fc_error_set(FC_ENETWORK, "forge: %s %s: %s", method, path,
                              curl_easy_strerror(cc));
        } else if (status == 429 ||
                   (status == 403 && (h.remaining == 0 || h.retry_after >= 0 ||
                                      (resp->len && strstr(resp->data, "rate limit"))))) {
            /* primary limit (remaining 0, wait for reset) or a secondary
             * one (Retry-After, else at least a minute) */
            wait = h.retry_after >= 0 ? h.retry_after
                   : h.reset > 0      ? h.reset - (long)time(NULL)
                                      : 60;
            if (wait < 1)
                wait = 1;
            error_text(msg, sizeof(msg), resp);
            rc = fc_error_set(FC_ETHROTTLED,
                              "forge: %s %s: HTTP %ld rate limited for %lds%s%s", method,
                              path, status, wait, *msg ? ": " : "", msg);
            if (wait > f->max_wait || attempt >= f->retries)
                break;
            fc_warn("forge: rate limited on %s; waiting %lds", path, wait);
            sleep_ms((unsigned)wait * 1000u);
            continue;
        } else {
            error_text(msg, sizeof(msg), resp);
            rc = fc_error_set(status >= 500                    ? FC_ENETWORK
                              : status == 401 || status == 403 ? FC_EDENIED
                              : status == 404                  ? FC_ENOTFOUND
                              : status == 409 || status == 422 ? FC_ECONFLICT
                                                               : FC_EINVALID,
                              "forge: %s %s: HTTP %ld%s%s", method, path, status,
                              *msg ? ": " : "", msg);
            if (status < 500)
                break;
        }
        if (attempt >= f->retries)
            break;
        /* jitter: a quarter of the step either way */
        sleep_ms(backoff - backoff / 4 +
                 (unsigned)(rand_r(&f->seed) % (backoff / 2 + 1)));
        backoff = backoff < 4000 ? backoff * 2 : backoff;
    }
    return rc;
}

static int request_json(fc_forge *f, const char *method, const char *url,
                        struct json_object *body, struct json_object **out, char **next)
{
    fc_buf resp;
    int rc;

    fc_buf_init(&resp);
    *out = NULL;
    rc = request(f, method, url, body, &resp, next);
    if (rc == FC_OK && out) {
        char path[512];
        url_path(path, sizeof(path), url);
        if (!resp.len || !(*out = json_tokener_parse(resp.data)))
            rc = fc_error_set(FC_EPARSE, "forge: %s %s: response is not JSON", method,
                              path);
    }
    fc_buf_dispose(&resp);
    if (rc != FC_OK && next) {
        free(*next);
        *next = NULL;
    }
    return rc;
}

/* ---- PR objects ---------------------------------------------------------- */

static const char *jstr(struct json_object *o, const char *key)
{
    struct json_object *v;
    return json_object_object_get_ex(o, key, &v) &&
                   json_object_is_type(v, json_type_string)
               ? json_object_get_string(v)
               : NULL;
}

static int parse_pr(fc_forge *f, struct json_object *j, fc_pr *out)
{
    struct json_object *v, *by;
    const char *state = jstr(j, "state"), *head = NULL, *login = NULL;
    int merged = 0;

    memset(out, 0, sizeof(*out));
    if (!json_object_is_type(j, json_type_object) ||
        !json_object_object_get_ex(j, f->d->number_key, &v) || !state)
        return fc_error_set(FC_EPARSE, "forge: a pull request without %s or state",
                            f->d->number_key);
    out->number = (long)json_object_get_int64(v);
    if (f->kind == FC_FORGE_GITLAB) {
        head = jstr(j, "source_branch");
        merged = strcmp(state, "merged") == 0;
    } else {
        if (json_object_object_get_ex(j, "head", &v))
            head = jstr(v, "ref");
        merged =
            (json_object_object_get_ex(j, "merged", &v) && json_object_get_boolean(v)) ||
            jstr(j, "merged_at") != NULL;
    }
    if (json_object_object_get_ex(j, "merged_by", &by) &&
        json_object_is_type(by, json_type_object))
        login = jstr(by, f->kind == FC_FORGE_GITLAB ? "username" : "login");
    out->state = merged ? FC_PR_MERGED
                 : (strcmp(state, "open") == 0 || strcmp(state, "opened") == 0)
                     ? FC_PR_OPEN
                     : FC_PR_CLOSED;
    out->head = fc_strdup(head ? head : "");
    out->title = fc_strdup(jstr(j, "title") ? jstr(j, "title") : "");
    out->body = fc_strdup(jstr(j, f->d->body_key) ? jstr(j, f->d->body_key) : "");
    out->merged_by = login ? fc_strdup(login) : NULL;
    if (!out->head || !out->title || !out->body || (login && !out->merged_by)) {
        fc_pr_dispose(out);
        return fc_error_set(FC_ENOMEM, "out of memory");
    }
    return FC_OK;
}

int fc_forge_list_open(fc_forge *f, const char *prefix, fc_pr_list *out)
{
    char query[64];
    char *url, *next = NULL;
    size_t i, pages = 0;
    int rc = FC_OK;

    out->items = NULL;
    out->n = 0;
    snprintf(query, sizeof(query), f->d->list_query, f->page_size);
    url = fc_asprintf("%s/%s?%s", f->base, f->d->pulls, query);
    while (url && rc == FC_OK) {
        struct json_object *arr = NULL;
        if (++pages > 1000) {
            rc = fc_error_set(FC_ELIMIT, "forge: more than 1000 pages of pull requests");
            break;
        }
        if ((rc = request_json(f, "GET", url, NULL, &arr, &next)) != FC_OK)
            break;
        if (!json_object_is_type(arr, json_type_array)) {
            rc = fc_error_set(FC_EPARSE, "forge: pull request list is not an array");
        } else {
            size_t n = json_object_array_length(arr);
            fc_pr *p = realloc(out->items, (out->n + n + 1) * sizeof(*p));
            if (!p)
                rc = fc_error_set(FC_ENOMEM, "out of memory");
            else
                out->items = p;
            for (i = 0; rc == FC_OK && i < n; i++) {
                fc_pr pr;
                if ((rc = parse_pr(f, json_object_array_get_idx(arr, i), &pr)) != FC_OK)
                    break;
                if (pr.state == FC_PR_OPEN &&
                    strncmp(pr.head, prefix, strlen(prefix)) == 0)
                    out->items[out->n++] = pr;
                else
                    fc_pr_dispose(&pr);
            }
        }
        json_object_put(arr);
        free(url);
        url = next;
        next = NULL;
    }
    free(url);
    free(next);
    if (rc != FC_OK)
        fc_pr_list_dispose(out);
    return rc;
}

int fc_forge_create(fc_forge *f, const char *head, const char *base, const char *title,
                    const char *body, long *number)
{
    struct json_object *req = json_object_new_object(), *resp = NULL;
    char *url = fc_asprintf("%s/%s", f->base, f->d->pulls);
    fc_pr pr;
    int rc;

    json_object_object_add(req, f->kind == FC_FORGE_GITLAB ? "source_branch" : "head",
                           json_object_new_string(head));
    json_object_object_add(req, f->kind == FC_FORGE_GITLAB ? "target_branch" : "base",
                           json_object_new_string(base));
    json_object_object_add(req, "title", json_object_new_string(title));
    json_object_object_add(req, f->d->body_key, json_object_new_string(body));
    if (f->kind == FC_FORGE_GITLAB) /* merging cleans up after itself */
        json_object_object_add(req, "remove_source_branch", json_object_new_boolean(1));
    rc = url ? request_json(f, "POST", url, req, &resp, NULL)
             : fc_error_set(FC_ENOMEM, "out of memory");
    if (rc == FC_OK && (rc = parse_pr(f, resp, &pr)) == FC_OK) {
        *number = pr.number;
        fc_pr_dispose(&pr);
    }
    json_object_put(resp);
    json_object_put(req);
    free(url);
    return rc;
}

static int patch(fc_forge *f, long number, struct json_object *req)
{
    struct json_object *resp = NULL;
    char *url = fc_asprintf("%s/%s/%ld", f->base, f->d->pulls, number);
    int rc = url ? request_json(f, f->d->update_method, url, req, &resp, NULL)
                 : fc_error_set(FC_ENOMEM, "out of memory");
    json_object_put(resp);
    json_object_put(req);
    free(url);
    return rc;
}

int fc_forge_update(fc_forge *f, long number, const char *title, const char *body)
{
    struct json_object *req = json_object_new_object();
    json_object_object_add(req, "title", json_object_new_string(title));
    json_object_object_add(req, f->d->body_key, json_object_new_string(body));
    return patch(f, number, req);
}

int fc_forge_close(fc_forge *f, long number)
{
    struct json_object *req = json_object_new_object();
    if (f->kind == FC_FORGE_GITLAB)
        json_object_object_add(req, "state_event", json_object_new_string("close"));
    else
        json_object_object_add(req, "state", json_object_new_string("closed"));
    return patch(f, number, req);
}

int fc_forge_comment(fc_forge *f, long number, const char *body)
{
    struct json_object *req = json_object_new_object(), *resp = NULL;
    char *url = NULL;
    char tail[64];
    int rc;

    snprintf(tail, sizeof(tail), f->d->comments, number);
    url = fc_asprintf("%s/%s", f->base, tail);
    json_object_object_add(req, "body", json_object_new_string(body));
    rc = url ? request_json(f, "POST", url, req, &resp, NULL)
             : fc_error_set(FC_ENOMEM, "out of memory");
    json_object_put(resp);
    json_object_put(req);
    free(url);
    return rc;
}

int fc_forge_get(fc_forge *f, long number, fc_pr *out)
{
    struct json_object *resp = NULL;
    char *url = fc_asprintf("%s/%s/%ld", f->base, f->d->pulls, number);
    int rc = url ? request_json(f, "GET", url, NULL, &resp, NULL)
                 : fc_error_set(FC_ENOMEM, "out of memory");
    memset(out, 0, sizeof(*out));
    if (rc == FC_OK)
        rc = parse_pr(f, resp, out);
    json_object_put(resp);
    free(url);
    return rc;
}

int fc_forge_commit_status(fc_forge *f, const char *sha, fc_commit_state state,
                           const char *context, const char *target_url,
                           const char *description)
{
    int gitlab = f->kind == FC_FORGE_GITLAB;
    const char *word = state == FC_COMMIT_STATE_SUCCESS   ? "success"
                       : state == FC_COMMIT_STATE_PENDING ? "pending"
                       : gitlab                           ? "failed"
                                                          : "failure";
    struct json_object *req = json_object_new_object(), *resp = NULL;
    char *url = fc_asprintf("%s/statuses/%s", f->base, sha);
    int rc;

    if (!req || !url) {
        json_object_put(req);
        free(url);
        return fc_error_set(FC_ENOMEM, "out of memory");
    }
    json_object_object_add(req, "state", json_object_new_string(word));
    json_object_object_add(req, gitlab ? "name" : "context",
                           json_object_new_string(context && context[0] ? context
                                                                        : "finops-controller"));
    if (target_url && target_url[0])
        json_object_object_add(req, "target_url", json_object_new_string(target_url));
    if (description && description[0]) /* GitHub caps it at 140 characters */
        json_object_object_add(req, "description",
                               json_object_new_string_len(description,
                                                          (int)(strlen(description) > 140
                                                                    ? 140
                                                                    : strlen(description))));
    rc = request_json(f, "POST", url, req, &resp, NULL);
    json_object_put(resp);
    json_object_put(req);
    free(url);
    return rc;
}
