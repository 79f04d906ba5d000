/*
 * fc_forge_status.h - commit status checks (status.c): after a pass, the
 * spec commit it reconciled gets a status on the forge (GitHub, GitLab or
 * Gitea) - success when every spec was valid and the status pushed,
 * failure otherwise - linking to the status files.
 *
 * Kept apart from the pull-request client (fc_forge.h) so each can change
 * without the other; both speak the forges' REST APIs over libcurl.
 */
#ifndef FC_FORGE_STATUS_H
#define FC_FORGE_STATUS_H

#include "controller/forge/fc_forge.h"

#include <stddef.h>

/* fc_commit_state: controller/forge/fc_forge.h */

typedef struct {
    const char *forge;      /* "github" | "gitlab" | "gitea" */
    const char *api_url;    /* https://api.github.com, https://gitlab.example/api/v4,
                             * https://gitea.example/api/v1 */
    const char *project;    /* owner/name (GitLab: path or numeric id) */
    const char *token_file; /* re-read per call; else FINOPS_FORGE_TOKEN */
    const char *context;    /* the check's name; NULL = "finops-controller" */
    long timeout_s;         /* whole request; 0 = 20 s */
} fc_forge_status_opts;

/*
 * Posts one commit status for sha: GitHub POST /repos/{o}/{r}/statuses/{sha},
 * GitLab POST /projects/{id}/statuses/{sha}, Gitea POST
 * /repos/{o}/{r}/statuses/{sha}.  target_url and description may be NULL.
 * FC_EDENIED on 401/403, FC_ENOTFOUND on 404, FC_ETHROTTLED on 429,
 * FC_ENETWORK on transport errors and 5xx; the token is never logged.
 */
int fc_forge_post_status(const fc_forge_status_opts *o, const char *sha,
                         fc_commit_state state, const char *target_url,
                         const char *description);

/* The web page of `path` in commit on that forge, derived from the API
 * URL (api.github.com -> github.com; "/api/v3", "/api/v4", "/api/v1"
 * dropped).  NULL on OOM or an unknown forge; the caller frees. */
char *fc_forge_status_link(const fc_forge_status_opts *o, const char *commit,
                           const char *path);

#endif
