/*
 * history.c - who changed a file, and when: the first-parent history of the
 * Optimization files, which approval by reviewed commit is judged on.
 *
 * Stage: git sync.  Inputs: a head and repo-relative paths.  Outputs:
 * fc_file_history per path (owns its strings and blob copies).  One walk
 * serves every path; commits whose tree outside status/ and proposals/ did
 * not change are passed over without looking at any path.
 */
#include "gitsync_int.h"

#include "../core/fc_error.h"
#include "../core/fc_log.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* A history deeper than this is judged on what was seen. */
#define MAX_HISTORY_WALK 20000
/* An approval lives in a spec file; bigger blobs are not read. */
#define MAX_HISTORY_BLOB (1u << 20)

void fc_file_history_dispose(fc_file_history *h)
{
    size_t i;
    if (!h)
        return;
    for (i = 0; i < h->n; i++) {
        free(h->changes[i].author_name);
        free(h->changes[i].author_email);
        free(h->changes[i].data);
    }
    free(h->changes);
    free(h->path);
    memset(h, 0, sizeof(*h));
}

/* The blob id of path in tree, or zero when absent / not a regular file. */
static int entry_oid(git_tree *tree, const char *path, git_oid *out)
{
    git_tree_entry *e = NULL;
    int found = 0;
    if (tree && git_tree_entry_bypath(&e, tree, path) == 0) {
        if (git_tree_entry_type(e) == GIT_OBJECT_BLOB &&
            git_tree_entry_filemode(e) != GIT_FILEMODE_LINK) {
            git_oid_cpy(out, git_tree_entry_id(e));
            found = 1;
        }
        git_tree_entry_free(e);
    }
    if (!found)
        memset(out, 0, sizeof(*out));
    return found;
}

static int record(fc_gitsync *g, fc_file_history *h, git_commit *c, const git_oid *blob_id,
                  int present)
{
    const git_signature *a = git_commit_author(c);
    fc_file_change *p = realloc(h->changes, (h->n + 1) * sizeof(*p));
    fc_file_change *ch;
    git_blob *blob = NULL;

    if (!p)
        return fc_error_set(FC_ENOMEM, "out of memory");
    h->changes = p;
    ch = &h->changes[h->n];
    memset(ch, 0, sizeof(*ch));
    git_oid_tostr(ch->commit, FC_OID_HEX, git_commit_id(c));
    ch->author_name = fc_strdup(a && a->name ? a->name : "");
    ch->author_email = fc_strdup(a && a->email ? a->email : "");
    ch->time = a ? (int64_t)a->when.time : 0;
    if (!ch->author_name || !ch->author_email)
        goto nomem;
    if (present && git_blob_lookup(&blob, g->repo, blob_id) == 0) {
        size_t size = (size_t)git_blob_rawsize(blob);
        if (size <= MAX_HISTORY_BLOB) {
            ch->data = malloc(size + 1);
            if (!ch->data) {
                git_blob_free(blob);
                goto nomem;
            }
            memcpy(ch->data, git_blob_rawcontent(blob), size);
            ch->data[size] = '\0';
            ch->len = size;
        }
        git_blob_free(blob);
    }
    h->n++;
    return FC_OK;
nomem:
    free(ch->author_name);
    free(ch->author_email);
    return fc_error_set(FC_ENOMEM, "out of memory");
}

int fc_gitsync_files_history(fc_gitsync *g, const char *head_hex,
                             const char *const *paths, size_t npaths,
                             size_t max_changes, fc_file_history *out)
{
    git_commit *cur = NULL, *parent = NULL;
    git_tree *cur_tree = NULL, *parent_tree = NULL;
    unsigned char *closed = NULL; /* path needs no more commits */
    size_t i, open_paths = npaths;
    int steps, err, rc = FC_OK;

    assert(g && (paths || !npaths) && (out || !npaths));
    for (i = 0; i < npaths; i++) {
        memset(&out[i], 0, sizeof(out[i]));
        if (!(out[i].path = fc_strdup(paths[i])))
            return fc_error_set(FC_ENOMEM, "out of memory");
    }
    if (!npaths)
        return FC_OK;
    if (!(closed = calloc(npaths, 1)))
        return fc_error_set(FC_ENOMEM, "out of memory");
    if ((rc = fc_gitsync__commit(g, head_hex, &cur)) != FC_OK)
        goto done;
    if ((err = git_commit_tree(&cur_tree, cur)) < 0) {
        rc = fc_gitsync__error(FC_EGIT, err, "gitsync: cannot read tree of %.12s", head_hex);
        goto done;
    }
    for (steps = 0; open_paths > 0 && steps < MAX_HISTORY_WALK; steps++) {
        int root = git_commit_parentcount(cur) == 0;
        if (!root && ((err = git_commit_parent(&parent, cur, 0)) < 0 ||
                      (err = git_commit_tree(&parent_tree, parent)) < 0)) {
            rc = fc_gitsync__error(FC_EGIT, err, "gitsync: cannot read the parent of %s",
                                   git_oid_tostr_s(git_commit_id(cur)));
            goto done;
        }
        if (root || !fc_gitsync__same_spec_tree(cur_tree, parent_tree)) {
            for (i = 0; i < npaths; i++) {
                git_oid a, b;
                int in_cur, in_parent;
                if (closed[i])
                    continue;
                in_cur = entry_oid(cur_tree, paths[i], &a);
                in_parent = root ? 0 : entry_oid(parent_tree, paths[i], &b);
                if (in_cur == in_parent && (!in_cur || git_oid_equal(&a, &b)))
                    continue;
                if ((rc = record(g, &out[i], cur, &a, in_cur)) != FC_OK)
                    goto done;
                if (!in_parent)
                    out[i].complete = 1;
                if (!in_parent || out[i].n >= max_changes) {
                    closed[i] = 1;
                    open_paths--;
                }
            }
        }
        if (root)
            break;
        git_commit_free(cur);
        git_tree_free(cur_tree);
        cur = parent;
        cur_tree = parent_tree;
        parent = NULL;
        parent_tree = NULL;
    }
done:
    free(closed);
    git_tree_free(parent_tree);
    git_commit_free(parent);
    git_tree_free(cur_tree);
    git_commit_free(cur);
    return rc;
}
