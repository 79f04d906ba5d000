/*
 * fc_forge.h - pull-request mode: proposals opened as pull requests (merge
 * requests on GitLab) on GitHub, GitLab or Gitea, over libcurl + json-c.
 *
 * Two layers:
 *   - fc_forge: one client, one back end per forge (dialect.c) behind the
 *     same calls (list open PRs by head prefix, create, update, comment,
 *     close, get).  Rate limits and 5xx are handled in forge.c; the token is
 *     sent in the forge's header and never logged (errors name the path and
 *     the HTTP status only).
 *   - fc_forge_sync: the pass step (sync.c): every proposal above the
 *     threshold gets a branch finops/proposal/<id> and one PR; PRs whose
 *     recommendation no longer holds are commented on and closed; a PR a
 *     person closed is not reopened for the same evidence.  Memory lives in
 *     the state store (table forge_prs).
 */
#ifndef FC_FORGE_H
#define FC_FORGE_H

#include "controller/gitsync/fc_gitsync.h"
#include "controller/state/fc_state.h"

#include <stddef.h>
#include <stdint.h>

typedef enum { FC_FORGE_GITHUB, FC_FORGE_GITLAB, FC_FORGE_GITEA } fc_forge_kind;

typedef enum { FC_PR_OPEN, FC_PR_CLOSED, FC_PR_MERGED } fc_pr_state;

typedef struct {
    long number; /* GitHub/Gitea number, GitLab iid */
    fc_pr_state state;
    char *head; /* source branch */
    char *title;
    char *body;
    char *merged_by; /* login, or NULL */
} fc_pr;

typedef struct {
    fc_pr *items;
    size_t n;
} fc_pr_list;

void fc_pr_dispose(fc_pr *p);
void fc_pr_list_dispose(fc_pr_list *l);

typedef struct fc_forge fc_forge;

/* The forge token: first line of token_file, else FINOPS_FORGE_TOKEN;
 * NULL when there is none (an unreadable file is logged, never its
 * contents).  Free with fc_forge_token_free, which wipes it. */
char *fc_forge_read_token(const char *token_file);
void fc_forge_token_free(char *token);

typedef enum {
    FC_COMMIT_STATE_SUCCESS,
    FC_COMMIT_STATE_FAILURE,
    FC_COMMIT_STATE_PENDING
} fc_commit_state;

typedef struct {
    fc_forge_kind kind;
    const char *api_url; /* https://api.github.com, https://gitlab.example/api/v4,
                          * https://gitea.example/api/v1 */
    const char *project; /* owner/name (GitLab: the project path or id) */
    const char *token;   /* copied; wiped in free */
    int max_wait;        /* longest rate-limit wait honoured inline, seconds;
                          * longer = FC_ETHROTTLED (next pass) */
    int retries;         /* retries on 5xx / network errors */
    unsigned page_size;  /* per_page / limit; 0 = 50 */
} fc_forge_opts;

/* "github" | "gitlab" | "gitea"; -1 otherwise. */
int fc_forge_kind_parse(const char *s);
const char *fc_forge_kind_name(fc_forge_kind k);

int fc_forge_new(fc_forge **out, const fc_forge_opts *opts);
void fc_forge_free(fc_forge *f);

/* Open PRs whose head branch starts with prefix, every page followed. */
int fc_forge_list_open(fc_forge *f, const char *prefix, fc_pr_list *out);
int fc_forge_create(fc_forge *f, const char *head, const char *base, const char *title,
                    const char *body, long *number);
int fc_forge_update(fc_forge *f, long number, const char *title, const char *body);
int fc_forge_comment(fc_forge *f, long number, const char *body);
int fc_forge_close(fc_forge *f, long number);
int fc_forge_get(fc_forge *f, long number, fc_pr *out);

/* Posts a commit status on sha (GitHub/Gitea statuses, GitLab's "failed"
 * and "name" spelling); context NULL = "finops-controller"; target_url
 * and description optional (description cut at 140 characters). */
int fc_forge_commit_status(fc_forge *f, const char *sha, fc_commit_state state,
                           const char *context, const char *target_url,
                           const char *description);

/* The URL of rel="next" in a Link header value, or NULL (caller frees). */
char *fc_forge_link_next(const char *link);

/* ---- the pass step (sync.c) --------------------------------------------- */

typedef struct {
    fc_forge_kind kind;
    const char *api_url;
    const char *project;
    const char *token_file;  /* re-read every pass; else FINOPS_FORGE_TOKEN */
    double min_saving;       /* monthly; proposals below get no PR */
    const char *base;        /* tracked branch (the PR base) */
    const char *base_commit; /* its head: proposal branches start here and
                              * approvers.yaml is read here; NULL = tip */
    const char *spec_root;   /* --path; "" = repo root */
    int max_wait;            /* fc_forge_opts */
    unsigned page_size;
} fc_forge_sync_opts;

typedef struct {
    size_t created, updated, closed, skipped, failed;
} fc_forge_sync_result;

/* A proposal file read back from the status tree. */
typedef struct {
    char *id;
    char *summary;
    char *evidence;
    char *risk;
    char *currency;
    char *action; /* spec.action */
    double saving;
} fc_proposal_info;

/* Reads the figures the proposals reconciler writes in its comments. */
int fc_forge_proposal_parse(fc_proposal_info *out, const char *id, const char *data,
                            size_t len);
void fc_proposal_info_dispose(fc_proposal_info *p);

/* The PR description (markdown): evidence, saving, risk, rollback,
 * approvers required, how to approve.  approvers may be NULL. */
char *fc_forge_pr_body(const fc_proposal_info *p, const char *spec_path,
                       const char *const *approvers, size_t napprovers);

/*
 * One sync: proposals/ of `tip` (the status commit, or the head when
 * nothing changed) against the forge.  Forge or push failures are logged
 * and leave the rest for the next pass (res->failed); only memory and
 * state-store failures are returned.
 */
int fc_forge_sync(fc_gitsync *git, fc_state *state, const fc_forge_sync_opts *o,
                  const char *tip, int64_t now, fc_forge_sync_result *res);

#endif
