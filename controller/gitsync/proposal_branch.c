/*
 * proposal_branch.c - the controller's own proposal branches
 * (finops/proposal/<id>) for pull-request mode (controller/forge).
 *
 * Stage: after the status push, when --forge is set.  Input: a base commit
 * (the tracked branch head), one file to add on top of it and the tip the
 * branch had when we last pushed it.  Output: a commit whose only parent is
 * the base, pushed to refs/heads/<branch> with lease semantics: the remote
 * ref must still be where we left it (absent, or our previous tip), so a
 * reviewer's commit on the branch is never overwritten.  Only refs under
 * refs/heads/finops/proposal/ are ever written here; the tracked branch is
 * never touched.  Also lists the file names of one tree folder (proposals/),
 * which fc_gitsync_read_specs deliberately skips.
 */
#include "controller/core/fc_error.h"
#include "controller/core/fc_log.h"
#include "controller/gitsync/auth_int.h"
#include "controller/gitsync/gitsync_int.h"

#include <git2/sys/mempack.h>
#include <stdlib.h>
#include <string.h>

#define PROPOSAL_PREFIX "finops/proposal/"
#define STAGING_REF "refs/finops-controller/proposal"

void fc_name_list_dispose(fc_name_list *l)
{
    size_t i;
    for (i = 0; l && i < l->n; i++)
        free(l->names[i]);
    if (l) {
        free(l->names);
        l->names = NULL;
        l->n = 0;
    }
}

int fc_gitsync_list_dir(fc_gitsync *g, const char *commit_hex, const char *dir,
                        fc_name_list *out)
{
    git_commit *c = NULL;
    git_tree *root = NULL;
    git_tree_entry *e = NULL;
    git_tree *sub = NULL;
    size_t i, n;
    int err, rc;

    out->names = NULL;
    out->n = 0;
    if ((rc = fc_gitsync__commit(g, commit_hex, &c)) != FC_OK)
        return rc;
    if ((err = git_commit_tree(&root, c)) < 0) {
        rc = fc_gitsync__error(FC_EGIT, err, "gitsync: tree of %.12s", commit_hex);
        goto done;
    }
    if (git_tree_entry_bypath(&e, root, dir) < 0 ||
        git_tree_entry_type(e) != GIT_OBJECT_TREE)
        goto done; /* no such folder: an empty list */
    if ((err = git_tree_lookup(&sub, g->repo, git_tree_entry_id(e))) < 0) {
        rc =
            fc_gitsync__error(FC_EGIT, err, "gitsync: tree %s of %.12s", dir, commit_hex);
        goto done;
    }
    n = git_tree_entrycount(sub);
    if (n && !(out->names = calloc(n, sizeof(*out->names)))) {
        rc = fc_error_set(FC_ENOMEM, "out of memory");
        goto done;
    }
    for (i = 0; i < n; i++) {
        const git_tree_entry *te = git_tree_entry_byindex(sub, i);
        if (git_tree_entry_filemode(te) != GIT_FILEMODE_BLOB)
            continue;
        if (!(out->names[out->n] = fc_strdup(git_tree_entry_name(te)))) {
            rc = fc_error_set(FC_ENOMEM, "out of memory");
            goto done;
        }
        out->n++;
    }
done:
    if (rc != FC_OK)
        fc_name_list_dispose(out);
    git_tree_free(sub);
    git_tree_entry_free(e);
    git_tree_free(root);
    git_commit_free(c);
    return rc;
}

/* gitsync_tree.c may have left its in-memory pack attached to the odb; then
 * our objects land there and must reach disk before the handle is freed. */
static int flush_pending(fc_gitsync *g)
{
    git_odb *odb = NULL;
    git_buf pack = {0};
    git_odb_writepack *wp = NULL;
    git_indexer_progress stats;
    int err = 0;
    int rc = FC_OK;

    if (!g->mempack)
        return FC_OK;
    memset(&stats, 0, sizeof(stats));
    if ((err = git_repository_odb(&odb, g->repo)) < 0 ||
        (err = git_mempack_dump(&pack, g->repo, g->mempack)) < 0 ||
        (err = git_odb_write_pack(&wp, odb, NULL, NULL)) < 0 ||
        (err = wp->append(wp, pack.ptr, pack.size, &stats)) < 0 ||
        (err = wp->commit(wp, &stats)) < 0)
        rc = fc_gitsync__error(FC_EGIT, err, "gitsync: cannot write the proposal pack");
    if (wp)
        wp->free(wp);
    git_buf_dispose(&pack);
    git_mempack_reset(g->mempack);
    git_odb_free(odb);
    return rc;
}

static int make_commit(fc_gitsync *g, const char *base_hex, const char *path,
                       const char *data, size_t len, const char *message, int64_t now,
                       git_oid *out)
{
    git_commit *base = NULL;
    git_tree *base_tree = NULL;
    git_tree *tree = NULL;
    git_signature *sig = NULL;
    git_tree_update up;
    git_oid blob, tree_id;
    const git_commit *parents[1];
    char *full = NULL;
    int err, rc;

    if ((rc = fc_gitsync__commit(g, base_hex, &base)) != FC_OK)
        return rc;
    if ((err = git_commit_tree(&base_tree, base)) < 0 ||
        (err = git_blob_create_from_buffer(&blob, g->repo, data, len)) < 0) {
        rc = fc_gitsync__error(FC_EGIT, err, "gitsync: proposal blob for %s", path);
        goto done;
    }
    memset(&up, 0, sizeof(up));
    up.action = GIT_TREE_UPDATE_UPSERT;
    up.id = blob;
    up.filemode = GIT_FILEMODE_BLOB;
    up.path = path;
    if ((err = git_tree_create_updated(&tree_id, g->repo, base_tree, 1, &up)) < 0 ||
        (err = git_tree_lookup(&tree, g->repo, &tree_id)) < 0) {
        rc = fc_gitsync__error(FC_EGIT, err, "gitsync: proposal tree for %s", path);
        goto done;
    }
    if ((err = git_signature_new(&sig, g->author_name, g->author_email, (git_time_t)now,
                                 0)) < 0) {
        rc = fc_gitsync__error(FC_EGIT, err, "gitsync: bad author identity");
        goto done;
    }
    parents[0] = base;
    /* Same trailers and signature as status commits (--commit-trailer,
     * --sign-commits). */
    if (!(full = fc_gitsync_commit_message(g, message, NULL))) {
        rc = fc_error_set(FC_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = fc_gitsync__create_commit(g, out, sig, full, tree, 1, parents)) != FC_OK)
        goto done;
    rc = flush_pending(g);
done:
    free(full);
    git_signature_free(sig);
    git_tree_free(tree);
    git_tree_free(base_tree);
    git_commit_free(base);
    return rc;
}

typedef struct {
    fc_gitsync__auth auth; /* first: the auth callbacks' payload */
    const char *dst;       /* refs/heads/finops/proposal/<id> */
    git_oid expected;      /* zero = the branch must not exist */
    int moved;
    int rejected;
    char why[256];
} lease_ctx;

/* The lease: the remote ref is where we left it, or already at our commit
 * (a retried push). */
static int on_negotiation(const git_push_update **updates, size_t len, void *payload)
{
    lease_ctx *ctx = payload;
    size_t i;
    for (i = 0; i < len; i++) {
        if (strcmp(updates[i]->dst_refname, ctx->dst) == 0 &&
            !git_oid_equal(&updates[i]->src, &ctx->expected) &&
            !git_oid_is_zero(&updates[i]->src) && /* deleted since (merged) */
            !git_oid_equal(&updates[i]->src, &updates[i]->dst)) {
            ctx->moved = 1;
            return GIT_ENONFASTFORWARD;
        }
    }
    return 0;
}

static int on_update(const char *refname, const char *status, void *payload)
{
    lease_ctx *ctx = payload;
    (void)refname;
    if (status) {
        ctx->rejected = 1;
        snprintf(ctx->why, sizeof(ctx->why), "%s", status);
    }
    return 0;
}

static int is_local(const fc_gitsync *g)
{
    return g->url[0] == '/' || strncmp(g->url, "file://", 7) == 0;
}

/* A local remote is written by libgit2 itself, without a server's checks:
 * the objects went to a staging ref; move the branch by compare-and-swap. */
static int local_cas(fc_gitsync *g, const char *dst, const git_oid *commit,
                     const git_oid *expected)
{
    git_repository *r = NULL;
    git_reference *ref = NULL;
    const char *path = strncmp(g->url, "file://", 7) == 0 ? g->url + 7 : g->url;
    int err, rc = FC_OK;

    if ((err = git_repository_open_ext(&r, path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL)) <
        0)
        return fc_gitsync__error(FC_EGIT, err, "gitsync: cannot open %s", g->url_safe);
    if (git_oid_is_zero(expected))
        err =
            git_reference_create(&ref, r, dst, commit, 0, "finops-controller: proposal");
    else
        err = git_reference_create_matching(&ref, r, dst, commit, 1, expected,
                                            "finops-controller: proposal");
    if (err == GIT_EMODIFIED || err == GIT_ENOTFOUND) {
        git_oid cur;
        /* deleted since (a merge removed it): ours to create again */
        if (git_reference_name_to_id(&cur, r, dst) == GIT_ENOTFOUND)
            err = git_reference_create(&ref, r, dst, commit, 0,
                                       "finops-controller: proposal");
    }
    if (err == GIT_EEXISTS || err == GIT_EMODIFIED) {
        git_oid cur;
        if (git_reference_name_to_id(&cur, r, dst) == 0 && git_oid_equal(&cur, commit))
            err = 0;
    }
    if (err == GIT_EEXISTS || err == GIT_EMODIFIED || err == GIT_ELOCKED)
        rc = fc_error_set(FC_ECONFLICT, "gitsync: %s moved on %s (not ours to overwrite)",
                          dst, g->url_safe);
    else if (err < 0)
        rc = fc_gitsync__error(FC_EGIT, err, "gitsync: cannot update %s", dst);
    git_reference_remove(r, STAGING_REF);
    git_reference_free(ref);
    git_repository_free(r);
    return rc;
}

int fc_gitsync_push_proposal(fc_gitsync *g, const char *base_hex, const char *branch,
                             const char *path, const char *data, size_t len,
                             const char *message, int64_t now, const char *expected_hex,
                             char out_hex[FC_OID_HEX])
{
    git_remote *remote = NULL;
    git_remote_create_options ro;
    git_push_options po;
    lease_ctx ctx;
    git_strarray specs;
    git_oid commit;
    char *local = NULL, *spec = NULL;
    int err, rc;

    out_hex[0] = '\0';
    if (strncmp(branch, PROPOSAL_PREFIX, strlen(PROPOSAL_PREFIX)) != 0 ||
        strstr(branch, "..") || strchr(branch, ':'))
        return fc_error_set(FC_EINVALID, "gitsync: %s is not a proposal branch", branch);
    memset(&ctx, 0, sizeof(ctx));
    fc_gitsync__auth_init(&ctx.auth, g);
    git_error_clear();
    git_push_options_init(&po, GIT_PUSH_OPTIONS_VERSION);
    if (expected_hex && *expected_hex &&
        git_oid_fromstr(&ctx.expected, expected_hex) < 0) {
        rc = fc_error_set(FC_EINVALID, "gitsync: bad lease %s", expected_hex);
        goto done;
    }
    if ((rc = make_commit(g, base_hex, path, data, len, message, now, &commit)) != FC_OK)
        goto done;
    local = fc_asprintf("refs/heads/%s", branch);
    ctx.dst = local;
    /* '+': the branch is ours and may replace our previous commit; the
     * lease (on_negotiation, local_cas) keeps anyone else's. */
    spec = is_local(g) ? fc_asprintf("+%s:%s", local ? local : "", STAGING_REF)
                       : fc_asprintf("+%s:%s", local ? local : "", local ? local : "");
    if (!local || !spec) {
        rc = fc_error_set(FC_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = fc_gitsync__set_ref(g, local, &commit, "finops-controller: proposal")) !=
        FC_OK)
        goto done;
    if ((rc = fc_gitsync__auth_preflight(g)) != FC_OK)
        goto done;
    git_remote_create_options_init(&ro, GIT_REMOTE_CREATE_OPTIONS_VERSION);
    ro.repository = g->repo;
    ro.flags =
        GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
    if ((err = git_remote_create_with_opts(&remote, g->url, &ro)) < 0) {
        rc = fc_gitsync__error(FC_EGIT, err, "gitsync: bad remote URL %s", g->url_safe);
        goto done;
    }
    fc_gitsync__auth_callbacks(&po.callbacks);
    po.callbacks.push_negotiation = on_negotiation;
    po.callbacks.push_update_reference = on_update;
    po.callbacks.payload = &ctx;
    specs.strings = &spec;
    specs.count = 1;
    err = git_remote_push(remote, &specs, &po);
    if (err == GIT_ENONFASTFORWARD || ctx.moved) {
        rc = fc_error_set(FC_ECONFLICT, "gitsync: %s moved on %s (not ours to overwrite)",
                          branch, g->url_safe);
        goto done;
    }
    if (err < 0) {
        if ((rc = fc_gitsync__auth_error(&ctx.auth, err, "cannot push to")) == 0)
            rc = fc_gitsync__error(0, err, "gitsync: cannot push %s to %s", branch,
                                   g->url_safe);
        goto done;
    }
    if (ctx.rejected) {
        fc_gitsync__scrub(ctx.why);
        rc = fc_error_set(FC_EDENIED, "gitsync: %s rejected %s: %s", g->url_safe, branch,
                          ctx.why);
        goto done;
    }
    if (is_local(g) && (rc = local_cas(g, local, &commit, &ctx.expected)) != FC_OK)
        goto done;
    git_oid_tostr(out_hex, FC_OID_HEX, &commit);
    fc_info("gitsync: pushed %.12s to %s %s", out_hex, g->url_safe, branch);
done:
    if (remote) {
        git_remote_disconnect(remote);
        git_remote_free(remote);
    }
    fc_gitsync__auth_dispose(&ctx.auth);
    free(local);
    free(spec);
    return rc;
}
