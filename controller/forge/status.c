/*
 * status.c - commit status checks on GitHub, GitLab and Gitea (see
 * fc_forge_status.h).
 *
 * Stage: after the status push; the pass calls fc_forge_post_status once
 * with the spec commit it reconciled.  Inputs: forge kind, API base,
 * project, a token file (or FINOPS_FORGE_TOKEN), read per call so that a
 * rotated token applies at once.  Output: one POST; nothing is kept.
 *
 * One small libcurl request of its own rather than forge.c's core, which
 * is private to the pull-request client (and being written alongside);
 * a status is a single idempotent POST, so no paging, and no retry here:
 * the next pass posts again.  The token goes only into the request header
 * and is wiped after use; messages carry the path and HTTP status only.
 */
#include "controller/forge/fc_forge_status.h"
#include "controller/core/fc_error.h"
#include "controller/core/fc_log.h"
#include "controller/core/fc_util.h"

#include <curl/curl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TOKEN 4096
#define MAX_REPLY (64 << 10)

enum { GITHUB, GITLAB, GITEA };

static int kind_of(const char *s)
{
    if (!s)
        return -1;
    if (strcmp(s, "github") == 0)
        return GITHUB;
    if (strcmp(s, "gitlab") == 0)
        return GITLAB;
    if (strcmp(s, "gitea") == 0)
        return GITEA;
    return -1;
}

static void wipe(char *s, size_t n)
{
    volatile char *p = s;
    while (n--)
        *p++ = 0;
}

/* The token from the file (first line) or FINOPS_FORGE_TOKEN, into buf. */
static int read_token(const fc_forge_status_opts *o, char *buf, size_t size)
{
    const char *env = getenv("FINOPS_FORGE_TOKEN");
    size_t n = 0;

    buf[0] = '\0';
    if (o->token_file && o->token_file[0]) {
        FILE *f = fopen(o->token_file, "r");
        if (!f)
            return fc_error_set(FC_EDENIED, "commit status: cannot read token file %s",
                                o->token_file);
        n = fread(buf, 1, size - 1, f);
        fclose(f);
        buf[n] = '\0';
    } else if (env && env[0]) {
        snprintf(buf, size, "%s", env);
    }
    buf[strcspn(buf, "\r\n")] = '\0';
    if (!buf[0])
        return fc_error_set(FC_EDENIED, "commit status: no forge token (--commit-status-"
                                        "token-file or FINOPS_FORGE_TOKEN)");
    return FC_OK;
}

static size_t on_body(char *data, size_t size, size_t n, void *payload)
{
    fc_buf *b = payload;
    if (b->len < MAX_REPLY)
        fc_buf_append(b, data, size * n);
    return size * n;
}

/* "owner/name" escaped for GitLab's :id; other forges keep the slash. */
static char *project_part(CURL *c, int kind, const char *project)
{
    char *esc, *out;
    if (kind != GITLAB)
        return fc_strdup(project);
    if (!(esc = curl_easy_escape(c, project, 0)))
        return NULL;
    out = fc_strdup(esc);
    curl_free(esc);
    return out;
}

static const char *state_word(int kind, fc_commit_state st)
{
    switch (st) {
    case FC_COMMIT_STATE_SUCCESS:
        return "success";
    case FC_COMMIT_STATE_PENDING:
        return "pending";
    case FC_COMMIT_STATE_FAILURE:
        break;
    }
    return kind == GITLAB ? "failed" : "failure";
}

static int valid_sha(const char *s)
{
    size_t i;
    for (i = 0; s[i]; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return i == 40 || i == 64;
}

int fc_forge_post_status(const fc_forge_status_opts *o, const char *sha,
                         fc_commit_state state, const char *target_url,
                         const char *description)
{
    int kind = kind_of(o ? o->forge : NULL);
    const char *context = o && o->context && o->context[0] ? o->context : "finops-controller";
    char token[MAX_TOKEN];
    char *auth = NULL, *proj = NULL, *url = NULL;
    struct curl_slist *hdr = NULL;
    struct json_object *req = NULL;
    fc_buf reply;
    CURL *c = NULL;
    long status = 0;
    CURLcode cc;
    int rc = FC_OK;

    token[0] = '\0';
    fc_buf_init(&reply);
    if (kind < 0 || !o->api_url || !o->api_url[0] || !o->project || !o->project[0])
        return fc_error_set(FC_EINVALID, "commit status: need a forge (github|gitlab|gitea), "
                                         "an API URL and a project");
    if (!sha || !valid_sha(sha))
        return fc_error_set(FC_EINVALID, "commit status: '%.64s' is not a commit id",
                            sha ? sha : "(null)");
    if ((rc = read_token(o, token, sizeof(token))) != FC_OK)
        goto done;
    if (!(c = curl_easy_init()) || !(req = json_object_new_object())) {
        rc = fc_error_set(FC_ENOMEM, "out of memory");
        goto done;
    }
    if (!(proj = project_part(c, kind, o->project))) {
        rc = fc_error_set(FC_ENOMEM, "out of memory");
        goto done;
    }
    {
        int blen = (int)strlen(o->api_url);
        while (blen > 0 && o->api_url[blen - 1] == '/') /* "…/api/v4/" works too */
            blen--;
        url = fc_asprintf("%.*s%s/%s/statuses/%s", blen, o->api_url,
                          kind == GITLAB ? "/projects" : "/repos", proj, sha);
    }
    auth = kind == GITHUB  ? fc_asprintf("Authorization: Bearer %s", token)
           : kind == GITEA ? fc_asprintf("Authorization: token %s", token)
                           : fc_asprintf("PRIVATE-TOKEN: %s", token);
    if (!url || !auth) {
        rc = fc_error_set(FC_ENOMEM, "out of memory");
        goto done;
    }
    json_object_object_add(req, "state", json_object_new_string(state_word(kind, state)));
    json_object_object_add(req, kind == GITLAB ? "name" : "context",
                           json_object_new_string(context));
    if (target_url && target_url[0])
        json_object_object_add(req, "target_url", json_object_new_string(target_url));
    if (description && description[0]) /* GitHub caps it at 140 characters */
        json_object_object_add(req, "description",
                               json_object_new_string_len(description,
                                                          (int)(strlen(description) > 140
                                                                    ? 140
                                                                    : strlen(description))));
    hdr = curl_slist_append(hdr, auth);
    hdr = curl_slist_append(hdr, "Content-Type: application/json");
    hdr = curl_slist_append(hdr, kind == GITHUB ? "Accept: application/vnd.github+json"
                                                : "Accept: application/json");
    hdr = curl_slist_append(hdr, "User-Agent: finops-controller");
    if (!hdr) {
        rc = fc_error_set(FC_ENOMEM, "out of memory");
        goto done;
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(c, CURLOPT_COPYPOSTFIELDS,
                     json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &reply);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, o->timeout_s > 0 ? o->timeout_s : 20L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    cc = curl_easy_perform(c);
    if (cc != CURLE_OK) {
        rc = fc_error_set(FC_ENETWORK, "commit status: POST %s/statuses/%.12s: %s",
                          o->project, sha, curl_easy_strerror(cc));
        goto done;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status > 299) {
        int code = status == 401 || status == 403 ? FC_EDENIED
                   : status == 404               ? FC_ENOTFOUND
                   : status == 429               ? FC_ETHROTTLED
                   : status >= 500               ? FC_ENETWORK
                                                 : FC_EINVALID;
        rc = fc_error_set(code, "commit status: POST %s/statuses/%.12s: HTTP %ld", o->project,
                          sha, status);
        goto done;
    }
    fc_debug("commit status %s posted for %.12s on %s", state_word(kind, state), sha,
             o->project);
done:
    if (auth)
        wipe(auth, strlen(auth));
    wipe(token, sizeof(token));
    free(auth);
    free(proj);
    free(url);
    curl_slist_free_all(hdr);
    json_object_put(req);
    if (c)
        curl_easy_cleanup(c);
    fc_buf_dispose(&reply);
    return rc;
}

char *fc_forge_status_link(const fc_forge_status_opts *o, const char *commit,
                           const char *path)
{
    int kind = kind_of(o ? o->forge : NULL);
    static const char *const api_tails[] = {"/api/v3", "/api/v4", "/api/v1", "/api"};
    char *web, *out = NULL;
    size_t len, i;

    if (kind < 0 || !o->api_url || !o->project || !commit)
        return NULL;
    if (strncmp(o->api_url, "https://api.github.com", 22) == 0)
        web = fc_strdup("https://github.com");
    else
        web = fc_strdup(o->api_url);
    if (!web)
        return NULL;
    len = strlen(web);
    while (len && web[len - 1] == '/')
        web[--len] = '\0';
    for (i = 0; i < sizeof(api_tails) / sizeof(api_tails[0]); i++) {
        size_t t = strlen(api_tails[i]);
        if (len >= t && strcmp(web + len - t, api_tails[i]) == 0) {
            web[len - t] = '\0';
            break;
        }
    }
    path = path ? path : "";
    if (kind == GITHUB)
        out = fc_asprintf("%s/%s/tree/%s/%s", web, o->project, commit, path);
    else if (kind == GITLAB)
        out = fc_asprintf("%s/%s/-/tree/%s/%s", web, o->project, commit, path);
    else
        out = fc_asprintf("%s/%s/src/commit/%s/%s", web, o->project, commit, path);
    free(web);
    return out;
}
