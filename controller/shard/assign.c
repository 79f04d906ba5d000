/*
 * assign.c - which shard owns an account and a status file (docs/scaling.md).
 *
 * Inputs: account ids, status file paths and bytes, the set of held shards.
 * Outputs: shard numbers, a filtered spec view, the merged status tree a
 * sharded replica commits.  Pure except fc_shard_read_status_files(), which
 * reads the head's status/ and proposals/ from the pass's clone.  Owns
 * nothing past a call.
 */
#include "controller/shard/fc_shard.h"
#include "controller/core/fc_error.h"

#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Jump consistent hash (Lamping & Veach): a bucket in [0, n) such that
 * going from n to n+1 buckets moves a key only into the new bucket. */
static unsigned jump_hash(uint64_t key, unsigned n)
{
    int64_t b = -1, j = 0;
    while (j < (int64_t)n) {
        b = j;
        key = key * 2862933555777941757ULL + 1;
        j = (int64_t)((double)(b + 1) *
                      ((double)(1LL << 31) / (double)((key >> 33) + 1)));
    }
    return (unsigned)b;
}

unsigned fc_shard_of(const char *account_id, unsigned nshards)
{
    if (nshards <= 1 || !account_id)
        return 0;
    return jump_hash(fc_hash_str(account_id, 0), nshards);
}

static int starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The value of the first `key: value` line (any indentation), quotes
 * stripped, into buf; 0 when found. */
static int find_key(const char *data, size_t len, const char *key, char *buf, size_t size)
{
    size_t klen = strlen(key), i = 0;
    while (i < len) {
        size_t end = i, j = i, n = 0;
        while (end < len && data[end] != '\n')
            end++;
        while (j < end && (data[j] == ' ' || data[j] == '-'))
            j++;
        if (end - j > klen + 1 && memcmp(data + j, key, klen) == 0 &&
            data[j + klen] == ':') {
            j += klen + 1;
            while (j < end && (data[j] == ' ' || data[j] == '"' || data[j] == '\''))
                j++;
            while (j < end && data[j] != '"' && data[j] != '\'' && data[j] != ' ' &&
                   data[j] != '\r' && n + 1 < size)
                buf[n++] = data[j++];
            buf[n] = '\0';
            if (n)
                return 0;
        }
        i = end + 1;
    }
    return -1;
}

unsigned fc_shard_path_owner(const char *path, const char *data, size_t len,
                             unsigned nshards)
{
    char id[128];
    const char *key;
    if (nshards <= 1 || !path)
        return 0;
    if (starts_with(path, "status/accounts/"))
        key = "accountId";
    else if (starts_with(path, "status/recommendations/") ||
             starts_with(path, "status/anomalies/") || starts_with(path, "proposals/") ||
             starts_with(path, "status/optimizations/") || /* their target's account */
             starts_with(path, "status/executions/"))
        key = "account";
    else
        return 0; /* cluster-wide: the global shard */
    if (!data || find_key(data, len, key, id, sizeof(id)) != 0)
        return 0;
    return fc_shard_of(id, nshards);
}

void fc_shard_filter_view(fc_spec_set *view, const unsigned char *held, unsigned nshards)
{
    size_t i, n = 0;
    for (i = 0; i < view->nobjects; i++) {
        const fc_object *ob = &view->objects[i];
        if (ob->kind == FC_KIND_ACCOUNT &&
            !held[fc_shard_of(ob->spec.account->account_id, nshards)])
            continue;
        /* Budgets are cluster-wide: only the global shard judges them (and
         * raises their alerts), or every replica would alert on its part. */
        if (ob->kind == FC_KIND_BUDGET && !held[0])
            continue;
        view->objects[n++] = *ob;
    }
    view->nobjects = n;
}

int fc_shard_merge_status(fc_status_tree *out, const fc_status_tree *st,
                          const fc_status_tree *head_files, const unsigned char *held,
                          unsigned nshards)
{
    size_t i;
    int rc;
    for (i = 0; i < st->n; i++) {
        const fc_status_file *f = &st->files[i];
        if (!held[fc_shard_path_owner(f->path, f->data, f->len, nshards)])
            continue; /* another shard's: its holder writes it */
        if ((rc = fc_status_tree_add_raw(out, f->path, f->data, f->len)) != FC_OK)
            return rc;
    }
    for (i = 0; head_files && i < head_files->n; i++) {
        const fc_status_file *f = &head_files->files[i];
        if (held[fc_shard_path_owner(f->path, f->data, f->len, nshards)])
            continue; /* ours: what this pass wrote replaces it (or deletes it) */
        if ((rc = fc_status_tree_add_raw(out, f->path, f->data, f->len)) != FC_OK)
            return rc;
    }
    fc_status_tree_sort(out);
    return FC_OK;
}

typedef struct {
    git_repository *repo;
    fc_status_tree *out;
    const char *top;
    int rc;
} walk_ctx;

static int walk_cb(const char *root, const git_tree_entry *e, void *payload)
{
    walk_ctx *w = payload;
    git_blob *blob = NULL;
    char *path;
    if (git_tree_entry_type(e) != GIT_OBJECT_BLOB)
        return 0;
    if (!(path = fc_asprintf("%s/%s%s", w->top, root, git_tree_entry_name(e)))) {
        w->rc = fc_error_set(FC_ENOMEM, "out of memory");
        return -1;
    }
    if (git_blob_lookup(&blob, w->repo, git_tree_entry_id(e)) != 0)
        w->rc = fc_error_set(FC_EGIT, "%s: %s", path,
                             git_error_last() ? git_error_last()->message : "blob");
    else
        w->rc = fc_status_tree_add_raw(w->out, path, git_blob_rawcontent(blob),
                                       (size_t)git_blob_rawsize(blob));
    git_blob_free(blob);
    free(path);
    return w->rc == FC_OK ? 0 : -1;
}

int fc_shard_read_status_files(fc_status_tree *out, const char *repo_path,
                               const char *head_hex)
{
    static const char *const tops[] = {"status", "proposals"};
    git_repository *repo = NULL;
    git_commit *commit = NULL;
    git_tree *tree = NULL;
    git_oid oid;
    size_t i;
    int rc = FC_OK;

    if (git_repository_open_ext(&repo, repo_path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) !=
            0 ||
        git_oid_fromstr(&oid, head_hex) != 0 ||
        git_commit_lookup(&commit, repo, &oid) != 0 ||
        git_commit_tree(&tree, commit) != 0) {
        rc = fc_error_set(FC_EGIT, "%s at %.12s: %s", repo_path, head_hex,
                          git_error_last() ? git_error_last()->message : "unreadable");
        goto done;
    }
    for (i = 0; i < FC_ARRAY_LEN(tops) && rc == FC_OK; i++) {
        git_tree_entry *e = NULL;
        git_tree *sub = NULL;
        walk_ctx w = {repo, out, tops[i], FC_OK};
        if (git_tree_entry_bypath(&e, tree, tops[i]) != 0)
            continue; /* no such folder yet */
        if (git_tree_entry_type(e) == GIT_OBJECT_TREE &&
            git_tree_lookup(&sub, repo, git_tree_entry_id(e)) == 0 &&
            git_tree_walk(sub, GIT_TREEWALK_PRE, walk_cb, &w) != 0)
            rc = w.rc != FC_OK ? w.rc : fc_error_set(FC_EGIT, "walking %s", tops[i]);
        git_tree_free(sub);
        git_tree_entry_free(e);
    }
done:
    git_tree_free(tree);
    git_commit_free(commit);
    git_repository_free(repo);
    return rc;
}
