/*
 * sync.c - pull-request mode, the pass step: proposals/ of the status
 * commit become branches finops/proposal/<id> and pull requests.
 *
 * Stage: after the status push (controller/pass/run.c), when --forge is
 * set; it also runs on passes the memo skipped, so a proposal the forge
 * missed while it was down gets its PR on the next pass.  Inputs: the tip
 * commit's proposals/ and approvers.yaml, the forge's open PRs, and the
 * table forge_prs in the state store (what we opened and how each PR
 * ended).  Outputs: pushes to our own proposal branches and forge calls.
 *
 * Rules (README, "Pull-request mode"):
 *   - one open PR per recommendation, found by its head branch: an open one
 *     is updated (branch and description), never duplicated;
 *   - a PR whose proposal left the status tree (the recommendation no
 *     longer holds, or an Optimization now acts on it) is commented on and
 *     closed, unless it was merged;
 *   - a PR a person closed is not reopened while the evidence is the same:
 *     same proposed spec and a saving within 20 % of the one it was closed
 *     with; new evidence opens a new PR.
 * Forge and push failures are logged, never fatal: proposals stay in
 * status and the next pass tries again.
 */
#include "controller/forge/fc_forge.h"
#include "controller/core/fc_error.h"
#include "controller/core/fc_log.h"
#include "controller/core/fc_util.h"
#include "specs/fc_approvers.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BRANCH_PREFIX "finops/proposal/"
/* A saving that moved more than this (relative) is new evidence. */
#define NEW_EVIDENCE_RATIO 0.20

/* ---- proposal files ------------------------------------------------------ */

void fc_proposal_info_dispose(fc_proposal_info *p)
{
    if (!p)
        return;
    free(p->id);
    free(p->summary);
    free(p->evidence);
    free(p->risk);
    free(p->currency);
    free(p->action);
    memset(p, 0, sizeof(*p));
}

static const char *find_bytes(const char *hay, size_t len, const char *needle)
{
    size_t n = strlen(needle), i;
    for (i = 0; i + n <= len; i++)
        if (memcmp(hay + i, needle, n) == 0)
            return hay + i;
    return NULL;
}

/* The rest of the comment line that starts with prefix, or NULL. */
static char *comment_after(const char *data, size_t len, const char *prefix)
{
    const char *p = data, *end = data + len;
    size_t pl = strlen(prefix);
    while (p < end && *p == '#') {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (ll >= pl && memcmp(p, prefix, pl) == 0)
            return fc_asprintf("%.*s", (int)(ll - pl), p + pl);
        p += ll + (nl ? 1 : 0);
    }
    return NULL;
}

int fc_forge_proposal_parse(fc_proposal_info *out, const char *id, const char *data,
                            size_t len)
{
    char *fig = NULL, cur[16] = "", risk[16] = "";
    const char *line2;
    int rc = FC_OK;

    memset(out, 0, sizeof(*out));
    fig = comment_after(data, len, "# Estimated saving: ");
    if (!fig ||
        sscanf(fig, "%lf %15[^/]/month; risk: %15[a-z]", &out->saving, cur, risk) != 3) {
        rc = fc_error_set(FC_EPARSE, "proposals/%s.yaml: no \"Estimated saving\" line",
                          id);
        goto done;
    }
    /* the summary is the second comment line */
    line2 = memchr(data, '\n', len);
    if (line2 && line2 + 3 < data + len && line2[1] == '#' && line2[2] == ' ') {
        const char *s = line2 + 3, *nl = memchr(s, '\n', (size_t)(data + len - s));
        out->summary = fc_asprintf("%.*s", (int)(nl ? nl - s : data + len - s), s);
    } else {
        out->summary = fc_strdup(id);
    }
    out->id = fc_strdup(id);
    out->evidence = comment_after(data, len, "# Evidence: ");
    if (!out->evidence)
        out->evidence = fc_strdup("");
    {
        const char *a = find_bytes(data, len, "\n  action: ");
        if (a) {
            a += strlen("\n  action: ");
            out->action = fc_asprintf("%.*s", (int)strcspn(a, "\n"), a);
        } else {
            out->action = fc_strdup("");
        }
    }
    out->currency = fc_strdup(cur);
    out->risk = fc_strdup(risk);
    if (!out->id || !out->summary || !out->evidence || !out->currency || !out->risk ||
        !out->action)
        rc = fc_error_set(FC_ENOMEM, "out of memory");
done:
    free(fig);
    if (rc != FC_OK)
        fc_proposal_info_dispose(out);
    return rc;
}

/* How the executor undoes each action (controller/executor). */
static const char *rollback_text(const char *action)
{
    if (!strcmp(action, "stop"))
        return "the instance is started again (`start`)";
    if (!strcmp(action, "rightsize"))
        return "the instance goes back to its previous type";
    if (!strcmp(action, "modify-volume"))
        return "the volume goes back to its previous type";
    if (!strcmp(action, "snapshot-and-delete"))
        return "a volume is restored from the snapshot taken before deletion";
    if (!strcmp(action, "release-address"))
        return "a released address cannot be recovered: this action is one-way";
    return "the executor's rollback record drives the inverse action";
}

char *fc_forge_pr_body(const fc_proposal_info *p, const char *spec_path,
                       const char *const *approvers, size_t napprovers)
{
    fc_buf b;
    const char *e;
    size_t i;
    unsigned need = strcmp(p->risk, "high") == 0 ? 2 : 1;

    fc_buf_init(&b);
    fc_buf_printf(&b, "Proposed by finops-controller from recommendation `%s`.\n\n",
                  p->id);
    fc_buf_printf(&b, "%s\n\nAction: `%s`.\n\n", p->summary, p->action);
    fc_buf_printf(&b, "### Saving\n\n**%.2f %s per month** (estimated).\n\n", p->saving,
                  p->currency);
    fc_buf_puts(&b, "### Evidence\n\n");
    for (e = p->evidence; *e;) {
        size_t n = strcspn(e, " ");
        if (n)
            fc_buf_printf(&b, "- `%.*s`\n", (int)n, e);
        e += n;
        while (*e == ' ')
            e++;
    }
    fc_buf_printf(&b,
                  "\n### Risk\n\n%s. The Policy's `approvals` sets how many distinct "
                  "approvers this risk needs (default %u).\n\n",
                  p->risk, need);
    fc_buf_printf(&b,
                  "### Rollback\n\nRevert the merge commit (or delete `%s`): the "
                  "executor's rollback record drives the inverse action; %s. "
                  "`finops-controller rollback ID` does the same by hand.\n\n",
                  spec_path, rollback_text(p->action));
    fc_buf_puts(&b, "### Approvers\n\n");
    if (!napprovers)
        fc_buf_puts(&b, "No approvers.yaml was found: nobody can approve this yet.\n");
    for (i = 0; i < napprovers; i++)
        fc_buf_printf(&b, "- %s\n", approvers[i]);
    fc_buf_printf(
        &b,
        "\n### How to approve\n\nReview the spec in `%s`, then **merge with a merge "
        "commit** as one of the approvers above: the merge commit is authored by "
        "you, and an approver who authors the commit that brings the current spec "
        "onto the branch is an approval (squash or rebase merges are authored by "
        "the controller and do not count). High risk needs a further approver's "
        "commit. Close this pull request to decline; it is not reopened for the "
        "same evidence.\n",
        spec_path);
    return fc_buf_detach(&b);
}

/* ---- state --------------------------------------------------------------- */

static int migrate(fc_state *s)
{
    static const char *const steps[] = {
        "CREATE TABLE forge_prs ("
        " forge TEXT NOT NULL, project TEXT NOT NULL, rec_id TEXT NOT NULL,"
        " number INTEGER NOT NULL DEFAULT 0,"
        " state TEXT NOT NULL," /* pushed | open | merged | closed | obsolete */
        " evidence TEXT NOT NULL, saving REAL NOT NULL,"
        " branch_tip TEXT NOT NULL DEFAULT '', updated INTEGER NOT NULL,"
        " PRIMARY KEY (forge, project, rec_id))",
    };
    return fc_state_migrate(s, "forge", steps, FC_ARRAY_LEN(steps));
}

typedef struct {
    int found;
    long number;
    char state[16];
    char evidence[24];
    double saving;
    char tip[FC_OID_HEX];
} pr_row;

static int row_get(fc_state *s, const char *forge, const char *project, const char *id,
                   pr_row *r)
{
    sqlite3_stmt *st = NULL;
    int rc = FC_OK, step;

    memset(r, 0, sizeof(*r));
    if (sqlite3_prepare_v2(
            fc_state_db(s),
            "SELECT number, state, evidence, saving, branch_tip FROM forge_prs"
            " WHERE forge = ?1 AND project = ?2 AND rec_id = ?3",
            -1, &st, NULL) != SQLITE_OK)
        return fc_state_error(s, "forge_prs");
    sqlite3_bind_text(st, 1, forge, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, project, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
    step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        r->found = 1;
        r->number = (long)sqlite3_column_int64(st, 0);
        snprintf(r->state, sizeof(r->state), "%s",
                 (const char *)sqlite3_column_text(st, 1));
        snprintf(r->evidence, sizeof(r->evidence), "%s",
                 (const char *)sqlite3_column_text(st, 2));
        r->saving = sqlite3_column_double(st, 3);
        snprintf(r->tip, sizeof(r->tip), "%s", (const char *)sqlite3_column_text(st, 4));
    } else if (step != SQLITE_DONE) {
        rc = fc_state_error(s, "forge_prs");
    }
    sqlite3_finalize(st);
    return rc;
}

static int row_put(fc_state *s, const char *forge, const char *project, const char *id,
                   const pr_row *r, int64_t now)
{
    sqlite3_stmt *st = NULL;
    int rc = FC_OK;

    if (sqlite3_prepare_v2(
            fc_state_db(s),
            "INSERT OR REPLACE INTO forge_prs (forge, project, rec_id, number,"
            " state, evidence, saving, branch_tip, updated)"
            " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            -1, &st, NULL) != SQLITE_OK)
        return fc_state_error(s, "forge_prs");
    sqlite3_bind_text(st, 1, forge, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, project, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, r->number);
    sqlite3_bind_text(st, 5, r->state, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, r->evidence, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 7, r->saving);
    sqlite3_bind_text(st, 8, r->tip, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 9, now);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = fc_state_error(s, "forge_prs");
    sqlite3_finalize(st);
    return rc;
}

/* Rows still waiting on a PR (pushed/open) whose id is not in ids. */
static int rows_pending(fc_state *s, const char *forge, const char *project,
                        fc_name_list *out)
{
    sqlite3_stmt *st = NULL;
    int rc = FC_OK, step;

    out->names = NULL;
    out->n = 0;
    if (sqlite3_prepare_v2(
            fc_state_db(s),
            "SELECT rec_id FROM forge_prs WHERE forge = ?1 AND project = ?2"
            " AND state IN ('pushed', 'open') ORDER BY rec_id",
            -1, &st, NULL) != SQLITE_OK)
        return fc_state_error(s, "forge_prs");
    sqlite3_bind_text(st, 1, forge, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, project, -1, SQLITE_STATIC);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        char **p = realloc(out->names, (out->n + 1) * sizeof(*p));
        if (!p || !(p[out->n] = fc_strdup((const char *)sqlite3_column_text(st, 0)))) {
            if (p)
                out->names = p;
            rc = fc_error_set(FC_ENOMEM, "out of memory");
            break;
        }
        out->names = p;
        out->n++;
    }
    if (rc == FC_OK && step != SQLITE_DONE)
        rc = fc_state_error(s, "forge_prs");
    sqlite3_finalize(st);
    if (rc != FC_OK)
        fc_name_list_dispose(out);
    return rc;
}

/* ---- helpers ------------------------------------------------------------- */

/* FNV-1a of the proposed spec (everything after the comment header): what
 * a person declined when closing the PR. */
static void evidence_hash(char out[24], const char *data, size_t len)
{
    uint64_t h = 1469598103934665603ULL;
    const char *p = data, *end = data + len;
    while (p < end && *p == '#') {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        p = nl ? nl + 1 : end;
    }
    for (; p < end; p++) {
        h ^= (unsigned char)*p;
        h *= 1099511628211ULL;
    }
    snprintf(out, 24, "%016llx", (unsigned long long)h);
}

typedef struct {
    fc_approvers *list;
    const char **ids;
    size_t n;
    char spec_dir[512]; /* where a person commits Optimizations */
} approver_ctx;

/* approvers.yaml of the spec root (finops/ when the root is the repo's, as
 * the pass does), and the Optimization folder next to it. */
static int load_approvers(fc_gitsync *git, const char *tip, const char *root,
                          approver_ctx *a)
{
    int at_root = !root || !*root || strcmp(root, ".") == 0;
    char path[512];
    fc_buf b;
    size_t i;
    int rc;

    memset(a, 0, sizeof(*a));
    fc_buf_init(&b);
    snprintf(path, sizeof(path), "%s%s" FC_APPROVERS_FILE, at_root ? "" : root,
             at_root ? "" : "/");
    snprintf(a->spec_dir, sizeof(a->spec_dir), "%s%soptimizations", at_root ? "" : root,
             at_root ? "" : "/");
    rc = fc_gitsync_read_file(git, tip, path, &b);
    if (rc == FC_ENOTFOUND && at_root) {
        snprintf(path, sizeof(path), "finops/" FC_APPROVERS_FILE);
        snprintf(a->spec_dir, sizeof(a->spec_dir), "finops/optimizations");
        rc = fc_gitsync_read_file(git, tip, path, &b);
    }
    if (rc == FC_OK && fc_approvers_parse(&a->list, path, b.data, b.len) != FC_OK) {
        fc_warn("forge: %s: %s", path, fc_error_last());
        a->list = NULL;
    }
    fc_buf_dispose(&b);
    if (rc != FC_OK && rc != FC_ENOTFOUND)
        return rc;
    if (a->list && a->list->n) {
        if (!(a->ids = calloc(a->list->n, sizeof(*a->ids))))
            return fc_error_set(FC_ENOMEM, "out of memory");
        for (i = 0; i < a->list->n; i++)
            a->ids[a->n++] = a->list->items[i].identity;
    }
    return FC_OK;
}

/* The branch's file: the proposal with approvedBy naming the eligible
 * approvers (whoever of them authors the merge commit approves) and the
 * header's instructions replaced by pull-request ones. */
static char *branch_file(const char *data, size_t len, const approver_ctx *a)
{
    fc_buf b;
    const char *p = data, *end = data + len, *ab;
    size_t i;

    fc_buf_init(&b);
    while (p < end && *p == '#') {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t ll = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
        if (strncmp(p, "# To approve", 12) != 0 &&
            strncmp(p, "# add your identity", 19) != 0)
            fc_buf_append(&b, p, ll);
        p += ll;
    }
    fc_buf_puts(
        &b, "# Approve by merging this pull request (a merge commit) as an approver.\n");
    ab = strstr(p, "approvedBy: []");
    if (ab && a->n) {
        fc_buf_append(&b, p, (size_t)(ab - p));
        fc_buf_puts(&b, "approvedBy: [");
        for (i = 0; i < a->n; i++)
            fc_buf_printf(&b, "%s%s", i ? ", " : "", a->ids[i]);
        fc_buf_puts(&b, "]");
        p = ab + strlen("approvedBy: []");
    }
    fc_buf_append(&b, p, (size_t)(end - p));
    return fc_buf_detach(&b);
}

static const fc_pr *find_open(const fc_pr_list *l, const char *branch)
{
    size_t i;
    for (i = 0; i < l->n; i++)
        if (strcmp(l->items[i].head, branch) == 0)
            return &l->items[i];
    return NULL;
}

static int in_list(const char *const *ids, size_t n, const char *id)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (strcmp(ids[i], id) == 0)
            return 1;
    return 0;
}

/* A transport failure ends the sync for this pass; other failures skip one
 * proposal. */
static int fatal_for_pass(int rc)
{
    return rc == FC_ENETWORK || rc == FC_ETHROTTLED || rc == FC_ETIMEOUT ||
           rc == FC_EDENIED;
}

typedef struct {
    fc_gitsync *git;
    fc_state *state;
    fc_forge *forge;
    const fc_forge_sync_opts *o;
    const char *kind;
    const char *tip;  /* proposals/ are read here */
    const char *base; /* proposal branches start here */
    int64_t now;
    approver_ctx ap;
    fc_pr_list open;
    fc_forge_sync_result *res;
} sync_ctx;

/* One proposal above the threshold. */
static int sync_one(sync_ctx *c, const char *id, const char *data, size_t len)
{
    fc_proposal_info info;
    pr_row row;
    char branch[320], path[900], title[200], evidence[24], tip[FC_OID_HEX];
    const fc_pr *open;
    char *file = NULL, *body = NULL, *msg = NULL;
    long number = 0;
    int rc;

    if ((rc = fc_forge_proposal_parse(&info, id, data, len)) != FC_OK) {
        fc_warn("forge: %s", fc_error_last());
        c->res->skipped++;
        return FC_OK;
    }
    if (info.saving < c->o->min_saving) {
        fc_proposal_info_dispose(&info);
        return FC_OK;
    }
    snprintf(branch, sizeof(branch), BRANCH_PREFIX "%s", id);
    snprintf(path, sizeof(path), "%s/%s.yaml", c->ap.spec_dir, id);
    snprintf(title, sizeof(title), "FinOps: %.*s", 180, info.summary);
    evidence_hash(evidence, data, len);
    if ((rc = row_get(c->state, c->kind, c->o->project, id, &row)) != FC_OK)
        goto done;
    open = find_open(&c->open, branch);
    if (!open && row.found && row.number && strcmp(row.state, "open") == 0) {
        /* ours, and no longer open: merged or closed by a person */
        fc_pr pr;
        if ((rc = fc_forge_get(c->forge, row.number, &pr)) != FC_OK)
            goto done;
        if (pr.state != FC_PR_OPEN) {
            snprintf(row.state, sizeof(row.state), "%s",
                     pr.state == FC_PR_MERGED ? "merged" : "closed");
            fc_info("forge: PR #%ld (%s) was %s%s%s", row.number, id, row.state,
                    pr.merged_by ? " by " : "", pr.merged_by ? pr.merged_by : "");
            fc_pr_dispose(&pr);
            rc = row_put(c->state, c->kind, c->o->project, id, &row, c->now);
            c->res->skipped++;
            goto done;
        }
        fc_pr_dispose(&pr);
    }
    if (!open && row.found &&
        (strcmp(row.state, "closed") == 0 || strcmp(row.state, "merged") == 0) &&
        strcmp(row.evidence, evidence) == 0 &&
        fabs(info.saving - row.saving) <= NEW_EVIDENCE_RATIO * fabs(row.saving)) {
        c->res->skipped++; /* declined (or done) for this very evidence */
        goto done;
    }
    if (!(file = branch_file(data, len, &c->ap)) ||
        !(body = fc_forge_pr_body(&info, path, c->ap.ids, c->ap.n)) ||
        !(msg = fc_asprintf("Propose %s\n\n%s\n", id, info.summary))) {
        rc = fc_error_set(FC_ENOMEM, "out of memory");
        goto done;
    }
    /* Push when the branch's file is not this content yet, or for a new PR
     * after one that ended.  An open PR we have no row for (a lost state
     * store) is adopted as it is: its branch tip is unknown, so no lease. */
    {
        fc_buf cur;
        int same = 0, push;
        fc_buf_init(&cur);
        if (row.tip[0] && fc_gitsync_read_file(c->git, row.tip, path, &cur) == FC_OK)
            same = cur.len == strlen(file) && memcmp(cur.data, file, cur.len) == 0;
        fc_buf_dispose(&cur);
        snprintf(tip, sizeof(tip), "%s", row.tip);
        push = open ? !same && row.found
                    : !same || (strcmp(row.state, "open") != 0 &&
                                strcmp(row.state, "pushed") != 0);
        if (push) {
            rc = fc_gitsync_push_proposal(c->git, c->base, branch, path, file,
                                          strlen(file), msg, c->now, row.tip, tip);
            if (rc != FC_OK)
                goto done;
            if (!row.found || strcmp(row.state, "open") != 0)
                snprintf(row.state, sizeof(row.state), "pushed");
            snprintf(row.tip, sizeof(row.tip), "%s", tip);
            snprintf(row.evidence, sizeof(row.evidence), "%s", evidence);
            row.saving = info.saving;
            if ((rc = row_put(c->state, c->kind, c->o->project, id, &row, c->now)) !=
                FC_OK)
                goto done;
        }
    }
    if (open) {
        if (strcmp(open->body, body) != 0 || strcmp(open->title, title) != 0) {
            if ((rc = fc_forge_update(c->forge, open->number, title, body)) != FC_OK)
                goto done;
            c->res->updated++;
        }
        number = open->number;
    } else {
        if ((rc = fc_forge_create(c->forge, branch, c->o->base, title, body, &number)) !=
            FC_OK)
            goto done;
        c->res->created++;
        fc_info("forge: opened PR #%ld for %s (%.2f %s/month)", number, id, info.saving,
                info.currency);
    }
    row.number = number;
    snprintf(row.state, sizeof(row.state), "open");
    snprintf(row.evidence, sizeof(row.evidence), "%s", evidence);
    row.saving = info.saving;
    rc = row_put(c->state, c->kind, c->o->project, id, &row, c->now);
done:
    fc_proposal_info_dispose(&info);
    free(file);
    free(body);
    free(msg);
    return rc;
}

/* A PR of ours whose proposal is gone: merged, or no longer holds. */
static int retire(sync_ctx *c, const char *id)
{
    pr_row row;
    fc_pr pr;
    int rc;

    if ((rc = row_get(c->state, c->kind, c->o->project, id, &row)) != FC_OK || !row.found)
        return rc;
    if (!row.number) {
        snprintf(row.state, sizeof(row.state), "obsolete");
        return row_put(c->state, c->kind, c->o->project, id, &row, c->now);
    }
    if ((rc = fc_forge_get(c->forge, row.number, &pr)) != FC_OK)
        return rc;
    if (pr.state == FC_PR_OPEN) {
        rc =
            fc_forge_comment(c->forge, row.number,
                             "finops-controller: the recommendation behind this proposal "
                             "no longer holds (the resource changed, is excluded by a "
                             "Policy, or the saving fell below the threshold), so this "
                             "pull request is closed. A new one opens if it comes back.");
        if (rc == FC_OK)
            rc = fc_forge_close(c->forge, row.number);
        if (rc == FC_OK) {
            c->res->closed++;
            fc_info("forge: closed PR #%ld (%s): recommendation no longer holds",
                    row.number, id);
        }
        snprintf(row.state, sizeof(row.state), "obsolete");
    } else {
        snprintf(row.state, sizeof(row.state), "%s",
                 pr.state == FC_PR_MERGED ? "merged" : "closed");
    }
    fc_pr_dispose(&pr);
    if (rc == FC_OK)
        rc = row_put(c->state, c->kind, c->o->project, id, &row, c->now);
    return rc;
}

int fc_forge_sync(fc_gitsync *git, fc_state *state, const fc_forge_sync_opts *o,
                  const char *tip, int64_t now, fc_forge_sync_result *res)
{
    sync_ctx c;
    fc_forge_opts fo;
    fc_name_list files = {0}, pending = {0};
    const char **eligible = NULL;
    size_t i, neligible = 0;
    char *token = NULL;
    int rc;

    memset(res, 0, sizeof(*res));
    memset(&c, 0, sizeof(c));
    c.git = git;
    c.state = state;
    c.o = o;
    c.kind = fc_forge_kind_name(o->kind);
    c.tip = tip;
    c.base = o->base_commit && *o->base_commit ? o->base_commit : tip;
    c.now = now;
    c.res = res;
    if ((rc = migrate(state)) != FC_OK)
        return rc;
    if (!(token = fc_forge_read_token(o->token_file))) {
        fc_warn(
            "forge: no token (--forge-token-file or FINOPS_FORGE_TOKEN): pull requests "
            "wait for the next pass");
        res->failed++;
        return FC_OK;
    }
    memset(&fo, 0, sizeof(fo));
    fo.kind = o->kind;
    fo.api_url = o->api_url;
    fo.project = o->project;
    fo.token = token;
    fo.max_wait = o->max_wait;
    fo.retries = 3;
    fo.page_size = o->page_size;
    rc = fc_forge_new(&c.forge, &fo);
    fc_forge_token_free(token);
    if (rc != FC_OK)
        return rc;
    if ((rc = load_approvers(git, c.base, o->spec_root, &c.ap)) != FC_OK ||
        (rc = fc_gitsync_list_dir(git, tip, "proposals", &files)) != FC_OK)
        goto done;
    if ((rc = fc_forge_list_open(c.forge, BRANCH_PREFIX, &c.open)) != FC_OK)
        goto forge_failed;
    if (files.n && !(eligible = calloc(files.n, sizeof(*eligible)))) {
        rc = fc_error_set(FC_ENOMEM, "out of memory");
        goto done;
    }
    for (i = 0; i < files.n; i++) {
        char path[600], *id;
        size_t l = strlen(files.names[i]);
        fc_buf b;
        fc_proposal_info info;
        if (l < 6 || strcmp(files.names[i] + l - 5, ".yaml") != 0)
            continue;
        files.names[i][l - 5] = '\0';
        id = files.names[i];
        snprintf(path, sizeof(path), "proposals/%s.yaml", id);
        fc_buf_init(&b);
        rc = fc_gitsync_read_file(git, tip, path, &b);
        if (rc == FC_OK && fc_forge_proposal_parse(&info, id, b.data, b.len) == FC_OK) {
            if (info.saving >= o->min_saving)
                eligible[neligible++] = id;
            fc_proposal_info_dispose(&info);
        }
        if (rc == FC_OK)
            rc = sync_one(&c, id, b.data, b.len);
        fc_buf_dispose(&b);
        if (rc == FC_ENOMEM || rc == FC_EIO)
            goto done;
        if (rc != FC_OK) {
            fc_warn("forge: proposal %s: %s", id, fc_error_last());
            res->failed++;
            if (fatal_for_pass(rc))
                goto forge_failed;
            rc = FC_OK;
        }
    }
    if ((rc = rows_pending(state, c.kind, o->project, &pending)) != FC_OK)
        goto done;
    for (i = 0; i < pending.n; i++) {
        if (in_list(eligible, neligible, pending.names[i]))
            continue;
        if ((rc = retire(&c, pending.names[i])) == FC_ENOMEM || rc == FC_EIO)
            goto done;
        if (rc != FC_OK) {
            fc_warn("forge: retiring %s: %s", pending.names[i], fc_error_last());
            res->failed++;
            if (fatal_for_pass(rc))
                goto forge_failed;
            rc = FC_OK;
        }
    }
    goto done;
forge_failed:
    /* The forge (or the push) is unavailable: proposals stay in status and
     * the next pass picks them up. */
    fc_warn("forge: %s; pull requests wait for the next pass", fc_error_last());
    res->failed++;
    rc = FC_OK;
done:
    fc_info("forge: %zu opened, %zu updated, %zu closed, %zu skipped, %zu failed",
            res->created, res->updated, res->closed, res->skipped, res->failed);
    fc_name_list_dispose(&pending);
    fc_name_list_dispose(&files);
    free(eligible);
    fc_pr_list_dispose(&c.open);
    free(c.ap.ids);
    fc_approvers_free(c.ap.list);
    fc_forge_free(c.forge);
    return rc;
}
