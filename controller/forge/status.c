/*
 * status.c - commit status checks on GitHub, GitLab and Gitea (see
 * fc_forge_status.h).
 *
 * Stage: after the status push; the pass calls fc_forge_post_status once
 * with the spec commit it reconciled.  Inputs: forge kind, API base,
 * project, a token file (or FINOPS_FORGE_TOKEN), read per call so that a
 * rotated token applies at once.  Output: one POST; nothing is kept.
 *
 * The request goes through the pull-request client (forge.c: dialects,
 * auth headers, rate limits), without retries: a status is one idempotent
 * POST and the next pass posts again.  The token is wiped after use;
 * messages carry the path and HTTP status only.
 */
#include "controller/forge/fc_forge_status.h"
#include "controller/core/fc_error.h"
#include "controller/core/fc_log.h"
#include "controller/core/fc_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


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
    int kind = o && o->forge ? fc_forge_kind_parse(o->forge) : -1;
    char *token = NULL;
    fc_forge_opts fo;
    fc_forge *f = NULL;
    int rc;

    if (kind < 0 || !o->api_url || !o->api_url[0] || !o->project || !o->project[0])
        return fc_error_set(FC_EINVALID, "commit status: need a forge (github|gitlab|gitea), "
                                         "an API URL and a project");
    if (!sha || !valid_sha(sha))
        return fc_error_set(FC_EINVALID, "commit status: '%.64s' is not a commit id",
                            sha ? sha : "(null)");
    if (!(token = fc_forge_read_token(o->token_file))) {
        rc = fc_error_set(FC_EDENIED, "commit status: no forge token (--forge-token-file or "
                                      "FINOPS_FORGE_TOKEN)");
        goto done;
    }
    memset(&fo, 0, sizeof(fo));
    fo.kind = (fc_forge_kind)kind;
    fo.api_url = o->api_url;
    fo.project = o->project;
    fo.token = token; /* copied by the client, wiped in fc_forge_free */
    if ((rc = fc_forge_new(&f, &fo)) != FC_OK ||
        (rc = fc_forge_commit_status(f, sha, state, o->context, target_url, description)) !=
            FC_OK)
        goto done;
    fc_debug("commit status posted for %.12s on %s", sha, o->project);
done:
    fc_forge_token_free(token);
    fc_forge_free(f);
    return rc;
}

char *fc_forge_status_link(const fc_forge_status_opts *o, const char *commit,
                           const char *path)
{
    int kind = o && o->forge ? fc_forge_kind_parse(o->forge) : -1;
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
    if (kind == FC_FORGE_GITHUB)
        out = fc_asprintf("%s/%s/tree/%s/%s", web, o->project, commit, path);
    else if (kind == FC_FORGE_GITLAB)
        out = fc_asprintf("%s/%s/-/tree/%s/%s", web, o->project, commit, path);
    else
        out = fc_asprintf("%s/%s/src/commit/%s/%s", web, o->project, commit, path);
    free(web);
    return out;
}
