/*
 * gitsync_tree.c - the tree half of gitsync: reading specs and single files
 * straight from commit trees, finding the commit the specs last changed in,
 * and writing the status tree as a new commit on top of a head.
 *
 * Stage: "specs at commit C" and "status writer" of a pass (DESIGN.md).
 * Inputs: commit ids as 40-hex strings; the status tree is borrowed and
 * never modified.  Outputs: fc_file_list (owns every path and byte; release
 * with fc_file_list_dispose), fc_buf (caller's), commit ids as hex.  No work
 * tree and no index are involved: everything goes object to object in the
 * bare clone, and only the top-level entries status and proposals of a tree
 * are ever replaced, so every other entry keeps its exact id and mode.
 */
#include "gitsync_int.h"

#include <git2/sys/mempack.h>

#include "../core/fc_error.h"
#include "../core/fc_log.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Cap on one spec blob; bigger ones are logged and skipped. */
#define MAX_SPEC_BLOB (8u << 20)
/* read_file serves status files too, which may be larger than specs. */
#define MAX_READ_BLOB (64u << 20)
/* A crafted tree should not recurse us off the stack. */
#define MAX_DEPTH 128
/* spec_commit gives up and calls the current commit the spec change. */
#define MAX_WALK 10000

static int is_status_name(const char *name)
{
    return strcmp(name, "status") == 0 || strcmp(name, "proposals") == 0;
}

/* "status/..." or "proposals/..." (repo-relative). */
static int under_status(const char *path)
{
    return strncmp(path, "status/", 7) == 0 || strncmp(path, "proposals/", 10) == 0 ||
           is_status_name(path);
}

/*
 * Normalises a repo-relative path: leading '/', "." components and empty
 * components are dropped, so "", "." and "./finops/" work as users type
 * them.  ".." is refused: a tree has no parent to climb to.
 */
static int normalize_path(char **out, const char *path, const char *what)
{
    size_t n = strlen(path);
    char *o = malloc(n + 1);
    const char *p = path;
    size_t len = 0;

    *out = NULL;
    if (!o)
        return fc_error_set(FC_ENOMEM, "out of memory");
    while (*p) {
        const char *e = strchr(p, '/');
        size_t cl = e ? (size_t)(e - p) : strlen(p);

        if (cl == 2 && p[0] == '.' && p[1] == '.') {
            free(o);
            return fc_error_set(FC_EINVALID, "gitsync: %s '%s' must not contain '..'",
                                what, path);
        }
        if (cl && !(cl == 1 && p[0] == '.')) {
            if (len)
                o[len++] = '/';
            memcpy(o + len, p, cl);
            len += cl;
        }
        p += cl;
        if (*p == '/')
            p++;
    }
    o[len] = '\0';
    *out = o;
    return FC_OK;
}

/* ---- file lists --------------------------------------------------------- */

void fc_file_list_dispose(fc_file_list *l)
{
    size_t i;

    if (!l)
        return;
    for (i = 0; i < l->n; i++) {
        free((char *)l->files[i].path);
        free((char *)l->files[i].data);
    }
    free(l->files);
    l->files = NULL;
    l->n = 0;
}

typedef struct {
    fc_gitsync *g;
    git_odb *odb;
    fc_file_list *list;
    size_t cap;
    size_t total;
    char short_id[13];
} walk_ctx;

static int has_yaml_ext(const char *name)
{
    size_t n = strlen(name);

    return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
           (n > 4 && strcmp(name + n - 4, ".yml") == 0);
}

static int add_blob(walk_ctx *w, const char *path, const git_oid *id)
{
    git_blob *blob = NULL;
    git_object_t type;
    size_t size = 0;
    char *p = NULL;
    char *data = NULL;
    int err;
    int rc = FC_OK;

    if ((err = git_odb_read_header(&size, &type, w->odb, id)) < 0) {
        rc = fc_gitsync__error(FC_EGIT, err, "gitsync: cannot read %s", path);
        goto done;
    }
    /* An oversized blob is never read: it is listed with its size only
     * (data NULL) so the spec loader reports it in the file's status. */
    if (size > MAX_SPEC_BLOB) {
        fc_warn("gitsync: not reading %s at %s: %zu bytes is over the %u MiB limit",
                path, w->short_id, size, MAX_SPEC_BLOB >> 20);
        if (!(p = fc_strdup(path))) {
            rc = fc_error_set(FC_ENOMEM, "out of memory");
            goto done;
        }
        goto append;
    }
    if (w->list->n >= FC_GITSYNC_MAX_SPEC_FILES) {
        rc = fc_error_set(FC_ELIMIT, "gitsync: more than %d spec files at %s",
                          FC_GITSYNC_MAX_SPEC_FILES, w->short_id);
        goto done;
    }
    if (w->total + size > FC_GITSYNC_MAX_SPEC_BYTES) {
        rc = fc_error_set(FC_ELIMIT, "gitsync: spec files at %s exceed %d MiB in total",
                          w->short_id, FC_GITSYNC_MAX_SPEC_BYTES >> 20);
        goto done;
    }
    if ((err = git_blob_lookup(&blob, w->g->repo, id)) < 0) {
        rc = fc_gitsync__error(FC_EGIT, err, "gitsync: cannot read %s", path);
        goto done;
    }
    size = (size_t)git_blob_rawsize(blob);
    p = fc_strdup(path);
    data = malloc(size + 1);
    if (!p || !data) {
        rc = fc_error_set(FC_ENOMEM, "out of memory");
        goto done;
    }
    memcpy(data, git_blob_rawcontent(blob), size);
    data[size] = '\0';
append:
    if (w->list->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 32;
        fc_spec_file *f = realloc(w->list->files, cap * sizeof(*f));
        if (!f) {
            rc = fc_error_set(FC_ENOMEM, "out of memory");
            goto done;
        }
        w->list->files = f;
        w->cap = cap;
    }
    w->list->files[w->list->n].path = p;
    w->list->files[w->list->n].data = data;
    w->list->files[w->list->n].len = size;
    w->list->n++;
    if (data)
        w->total += size;
    p = data = NULL;
done:
    git_blob_free(blob);
    free(p);
    free(data);
    return rc;
}

/* 1 for a tree entry name that is a plausible file name: 1..255 bytes of
 * well-formed UTF-8 without control characters, not "." or "..", no '/'. */
static int good_entry_name(const char *name)
{
    const unsigned char *p = (const unsigned char *)name;
    size_t n = strlen(name);

    if (n == 0 || n > 255 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return 0;
    while (*p) {
        unsigned c = *p;
        size_t k, len;
        unsigned cp;

        if (c < 0x20 || c == 0x7f || c == '/')
            return 0;
        if (c < 0x80) {
            p++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf)
            len = 2, cp = c & 0x1f;
        else if (c >= 0xe0 && c <= 0xef)
            len = 3, cp = c & 0x0f;
        else if (c >= 0xf0 && c <= 0xf4)
            len = 4, cp = c & 0x07;
        else
            return 0;
        for (k = 1; k < len; k++) {
            if ((p[k] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (p[k] & 0x3f);
        }
        /* overlong forms, surrogates, beyond U+10FFFF */
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        p += len;
    }
    return 1;
}

/* prefix is "" or "dir/sub/" (repo-relative, ending in '/'). */
static int walk_tree(walk_ctx *w, const git_tree *tree, const char *prefix, int depth)
{
    size_t i;
    size_t n = git_tree_entrycount(tree);
    int rc = FC_OK;

    if (depth > MAX_DEPTH)
        return fc_error_set(FC_ELIMIT, "gitsync: %s at %s is nested more than %d deep",
                            prefix, w->short_id, MAX_DEPTH);
    for (i = 0; i < n && rc == FC_OK; i++) {
        const git_tree_entry *e = git_tree_entry_byindex(tree, i);
        const char *name = git_tree_entry_name(e);
        git_filemode_t mode = git_tree_entry_filemode(e);
        char *path;

        /* A crafted tree can hold names git itself would refuse: "..",
         * "a/b", bytes that are not UTF-8, control characters, names
         * longer than any file system's.  Never a spec, whatever it is. */
        if (!good_entry_name(name)) {
            fc_warn("gitsync: ignoring an entry with a bad name under '%s' at %s "
                    "(not UTF-8, control bytes, '..', '/' or over 255 bytes)",
                    prefix[0] ? prefix : "/", w->short_id);
            continue;
        }
        /* hidden files and dirs (.github, .git-crypt) are tooling, not specs */
        if (name[0] == '.')
            continue;
        if (mode == GIT_FILEMODE_TREE && !prefix[0] && is_status_name(name))
            continue;
        /* never followed: a symlink's blob is a path, a gitlink is another
         * repository's commit that the clone does not have */
        if (mode == GIT_FILEMODE_LINK || mode == GIT_FILEMODE_COMMIT) {
            if (mode == GIT_FILEMODE_COMMIT || has_yaml_ext(name) || !prefix[0])
                fc_warn("gitsync: ignoring %s %s%s at %s (not followed)",
                        mode == GIT_FILEMODE_LINK ? "symlink" : "submodule", prefix, name,
                        w->short_id);
            continue;
        }
        if (mode != GIT_FILEMODE_TREE && !has_yaml_ext(name))
            continue;
        if (!(path = fc_asprintf("%s%s", prefix, name)))
            return fc_error_set(FC_ENOMEM, "out of memory");
        if (mode == GIT_FILEMODE_TREE) {
            git_tree *sub = NULL;
            int err = git_tree_lookup(&sub, w->g->repo, git_tree_entry_id(e));
            char *subprefix = fc_asprintf("%s/", path);

            if (err < 0)
                rc = fc_gitsync__error(FC_EGIT, err, "gitsync: cannot read %s/", path);
            else if (!subprefix)
                rc = fc_error_set(FC_ENOMEM, "out of memory");
            else
                rc = walk_tree(w, sub, subprefix, depth + 1);
            free(subprefix);
            git_tree_free(sub);
        } else {
            rc = add_blob(w, path, git_tree_entry_id(e));
        }
        free(path);
    }
    return rc;
}

static int cmp_spec_file(const void *a, const void *b)
{
    return strcmp(((const fc_spec_file *)a)->path, ((const fc_spec_file *)b)->path);
}

int fc_gitsync_read_specs(fc_gitsync *g, const char *commit_hex, const char *root,
                          fc_file_list *out)
{
    git_commit *commit = NULL;
    git_tree *top = NULL;
    git_tree *sub = NULL;
    git_tree_entry *entry = NULL;
    char *rel = NULL;
    char *prefix = NULL;
    walk_ctx w;
    int err;
    int rc;

    assert(g && out);
    out->files = NULL;
    out->n = 0;
    memset(&w, 0, sizeof(w));
    w.g = g;
    w.list = out;
    if ((rc = fc_gitsync__commit(g, commit_hex, &commit)) != FC_OK)
        goto done;
    snprintf(w.short_id, sizeof(w.short_id), "%.12s", commit_hex);
    if ((rc = normalize_path(&rel, root ? root : "", "spec root")) != FC_OK)
        goto done;
    if ((err = git_commit_tree(&top, commit)) < 0 ||
        (err = git_repository_odb(&w.odb, g->repo)) < 0) {
        rc = fc_gitsync__error(FC_EGIT, err, "gitsync: cannot read tree of %s",
                               w.short_id);
        goto done;
    }
    if (!rel[0]) {
        rc = walk_tree(&w, top, "", 0);
        goto sort;
    }
    err = git_tree_entry_bypath(&entry, top, rel);
    if (err == GIT_ENOTFOUND ||
        (err == 0 && git_tree_entry_type(entry) != GIT_OBJECT_TREE)) {
        rc = fc_error_set(FC_ENOTFOUND, "gitsync: spec root '%s' is not a directory at %s",
                          rel, w.short_id);
        goto done;
    }
    if (err < 0 || (err = git_tree_lookup(&sub, g->repo, git_tree_entry_id(entry))) < 0) {
        rc = fc_gitsync__error(FC_EGIT, err, "gitsync: cannot read %s at %s", rel,
                               w.short_id);
        goto done;
    }
    /* status/ and proposals/ are the controller's even when named as root */
    if (under_status(rel)) {
        fc_warn("gitsync: spec root '%s' is inside status/ or proposals/; no specs read",
                rel);
        goto sort;
    }
    if (!(prefix = fc_asprintf("%s/", rel))) {
        rc = fc_error_set(FC_ENOMEM, "out of memory");
        goto done;
    }
    rc = walk_tree(&w, sub, prefix, 0);
sort:
    if (rc == FC_OK && out->n > 1)
        qsort(out->files, out->n, sizeof(*out->files), cmp_spec_file);
done:
    if (rc != FC_OK)
        fc_file_list_dispose(out);
    git_odb_free(w.odb);
    git_tree_entry_free(entry);
    git_tree_free(sub);
    git_tree_free(top);
    git_commit_free(commit);
    free(rel);
    free(prefix);
    return rc;
}

/* ---- one file ----------------------------------------------------------- */

int fc_gitsync_read_file(fc_gitsync *g, const char *commit_hex, const char *path,
                         fc_buf *out)
{
    git_commit *commit = NULL;
    git_tree *tree = NULL;
    git_tree_entry *entry = NULL;
    git_blob *blob = NULL;
    char *rel = NULL;
    size_t size;
    int err;
    int rc;

    assert(g && path && out);
    out->len = 0;
    if (out->data)
        out->data[0] = '\0';
    if ((rc = fc_gitsync__commit(g, commit_hex, &commit)) != FC_OK)
        goto done;
    if ((rc = normalize_path(&rel, path, "path")) != FC_OK)
        goto done;
    if (!rel[0]) {
        rc = fc_error_set(FC_EINVALID, "gitsync: empty path");
        goto done;
    }
    if ((err = git_commit_tree(&tree, commit)) < 0) {
        rc = fc_gitsync__error(FC_EGIT, err, "gitsync: cannot read tree of %.12s",
                               commit_hex);
        goto done;
    }
    err = git_tree_entry_bypath(&entry, tree, rel);
    if (err == GIT_ENOTFOUND) {
        rc = fc_error_set(FC_ENOTFOUND, "gitsync: %s not found at %.12s", rel, commit_hex);
        goto done;
    }
    if (err < 0) {
        rc = fc_gitsync__error(FC_EGIT, err, "gitsync: cannot read %s at %.12s", rel,
                               commit_hex);
        goto done;
    }
    /* a symlink's blob is its target, not the file a reader expects */
    if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB ||
        git_tree_entry_filemode(entry) == GIT_FILEMODE_LINK) {
        rc = fc_error_set(FC_ENOTFOUND, "gitsync: %s is not a regular file at %.12s", rel,
                          commit_hex);
        goto done;
    }
    if ((err = git_blob_lookup(&blob, g->repo, git_tree_entry_id(entry))) < 0) {
        rc = fc_gitsync__error(FC_EGIT, err, "gitsync: cannot read %s at %.12s", rel,
                               commit_hex);
        goto done;
    }
    size = (size_t)git_blob_rawsize(blob);
    if (size > MAX_READ_BLOB) {
        rc = fc_error_set(FC_ELIMIT, "gitsync: %s at %.12s is %zu bytes, over %u MiB", rel,
                          commit_hex, size, MAX_READ_BLOB >> 20);
        goto done;
    }
    rc = fc_buf_append(out, git_blob_rawcontent(blob), size);
done:
    git_blob_free(blob);
    git_tree_entry_free(entry);
    git_tree_free(tree);
    git_commit_free(commit);
    free(rel);
    return rc;
}

/* ---- spec commit -------------------------------------------------------- */

static const git_tree_entry *next_spec_entry(const git_tree *t, size_t *i)
{
    size_t n = git_tree_entrycount(t);

    while (*i < n) {
        const git_tree_entry *e = git_tree_entry_byindex(t, (*i)++);
        if (!is_status_name(git_tree_entry_name(e)))
            return e;
    }
    return NULL;
}

/* 1 when a and b agree on every top-level entry but status and proposals.
 * Entries are in git's canonical order in both, so one merge pass does. */
int fc_gitsync__same_spec_tree(const git_tree *a, const git_tree *b)
{
    size_t i = 0;
    size_t j = 0;

    if (git_oid_equal(git_tree_id(a), git_tree_id(b)))
        return 1;
    for (;;) {
        const git_tree_entry *ea = next_spec_entry(a, &i);
        const git_tree_entry *eb = next_spec_entry(b, &j);

        if (!ea || !eb)
            return ea == eb;
        if (strcmp(git_tree_entry_name(ea), git_tree_entry_name(eb)) != 0 ||
            !git_oid_equal(git_tree_entry_id(ea), git_tree_entry_id(eb)) ||
            git_tree_entry_filemode_raw(ea) != git_tree_entry_filemode_raw(eb))
            return 0;
    }
}

int fc_gitsync_spec_commit(fc_gitsync *g, const char *head_hex, char out_hex[FC_OID_HEX])
{
    git_commit *cur = NULL;
    git_commit *parent = NULL;
    git_tree *cur_tree = NULL;
    git_tree *parent_tree = NULL;
    int steps;
    int err;
    int rc;

    assert(g && out_hex);
    out_hex[0] = '\0';
    if ((rc = fc_gitsync__commit(g, head_hex, &cur)) != FC_OK)
        goto done;
    if ((err = git_commit_tree(&cur_tree, cur)) < 0) {
        rc = fc_gitsync__error(FC_EGIT, err, "gitsync: cannot read tree of %.12s",
                               head_hex);
        goto done;
    }
    for (steps = 0; git_commit_parentcount(cur) > 0; steps++) {
        if (steps >= MAX_WALK) {
            fc_warn("gitsync: no spec change in the %d commits below %.12s; using the "
                    "oldest one seen", MAX_WALK, head_hex);
            break;
        }
        if ((err = git_commit_parent(&parent, cur, 0)) < 0 ||
            (err = git_commit_tree(&parent_tree, parent)) < 0) {
            rc = fc_gitsync__error(FC_EGIT, err, "gitsync: cannot read the parent of %s",
                                   git_oid_tostr_s(git_commit_id(cur)));
            goto done;
        }
        if (!fc_gitsync__same_spec_tree(cur_tree, parent_tree))
            break;
        git_commit_free(cur);
        git_tree_free(cur_tree);
        cur = parent;
        cur_tree = parent_tree;
        parent = NULL;
        parent_tree = NULL;
    }
    git_oid_tostr(out_hex, FC_OID_HEX, git_commit_id(cur));
done:
    git_tree_free(parent_tree);
    git_commit_free(parent);
    git_tree_free(cur_tree);
    git_commit_free(cur);
    return rc;
}

/* ---- status commit ------------------------------------------------------ */

/* Length of "status/" or "proposals/" when path starts with one, else 0. */
static size_t status_prefix(const char *path)
{
    if (strncmp(path, "status/", 7) == 0)
        return 7;
    if (strncmp(path, "proposals/", 10) == 0)
        return 10;
    return 0;
}

/* Every component non-empty, not "." or "..", at most 255 bytes. */
static int check_status_path(const char *path)
{
    size_t off = path ? status_prefix(path) : 0;
    const char *p;

    if (!off)
        return fc_error_set(FC_EINVALID,
                            "gitsync: status file '%s' is outside status/ and proposals/",
                            path ? path : "(null)");
    for (p = path + off;;) {
        const char *e = strchr(p, '/');
        size_t cl = e ? (size_t)(e - p) : strlen(p);

        if (cl == 0 || cl > 255 || (cl == 1 && p[0] == '.') ||
            (cl == 2 && p[0] == '.' && p[1] == '.'))
            return fc_error_set(FC_EINVALID, "gitsync: bad status file path '%s'", path);
        if (!e)
            return FC_OK;
        p = e + 1;
    }
}

static int cmp_status_ptr(const void *a, const void *b)
{
    const fc_status_file *fa = *(const fc_status_file *const *)a;
    const fc_status_file *fb = *(const fc_status_file *const *)b;

    return strcmp(fa->path, fb->path);
}

typedef struct {
    git_oid oid;
    git_filemode_t mode;
    char name[256];
} tree_item;

/* Counts for the commit message and the benchmark. */
typedef struct {
    size_t written;   /* new or changed blobs */
    size_t unchanged; /* blobs equal to the previous tree's */
    size_t removed;   /* previous entries that are gone */
} write_stats;

/* The previous tree's entry of that name as a tree, or NULL. */
static git_tree *old_subtree(fc_gitsync *g, git_tree *old, const char *name)
{
    const git_tree_entry *e = old ? git_tree_entry_byname(old, name) : NULL;
    git_tree *t = NULL;
    if (e && git_tree_entry_type(e) == GIT_OBJECT_TREE)
        git_tree_lookup(&t, g->repo, git_tree_entry_id(e));
    return t;
}

/* 1 when items[] is exactly old's entry list. */
static int same_as_old(git_tree *old, const tree_item *items, size_t n)
{
    size_t i;
    if (!old || git_tree_entrycount(old) != n)
        return 0;
    for (i = 0; i < n; i++) {
        const git_tree_entry *e = git_tree_entry_byname(old, items[i].name);
        if (!e || !git_oid_equal(git_tree_entry_id(e), &items[i].oid) ||
            git_tree_entry_filemode(e) != items[i].mode)
            return 0;
    }
    return 1;
}

/*
 * Writes the tree of files[0..n), sorted by path, whose paths continue at
 * byte `off`.  Sorted paths that share "dir/" are contiguous, so each
 * subdirectory is one run and one recursive call.  Against `old` (the same
 * directory in the previous status tree, may be NULL) only changed blobs
 * are written, and a directory whose entries all match is not written at
 * all: an unchanged pass touches no object.
 */
static int build_tree(fc_gitsync *g, const fc_status_file **files, size_t n, size_t off,
                      git_tree *old, git_oid *out, write_stats *ws)
{
    git_treebuilder *bld = NULL;
    tree_item *items = NULL;
    size_t i = 0, k, nitems = 0;
    int err;
    int rc = FC_OK;

    if (!(items = calloc(n ? n : 1, sizeof(*items))))
        return fc_error_set(FC_ENOMEM, "out of memory");
    while (i < n) {
        const char *rest = files[i]->path + off;
        const char *slash = strchr(rest, '/');
        size_t cl = slash ? (size_t)(slash - rest) : strlen(rest);
        tree_item *it = &items[nitems];
        size_t j = i + 1;

        if (cl >= sizeof(it->name)) {
            rc = fc_error_set(FC_EINVALID, "gitsync: status path component too long in %s",
                              files[i]->path);
            goto done;
        }
        memcpy(it->name, rest, cl);
        it->name[cl] = '\0';
        /* "a" next to "a/b", or a path given twice */
        if (nitems && strcmp(items[nitems - 1].name, it->name) == 0) {
            rc = fc_error_set(FC_EINVALID, "gitsync: status file '%s' clashes with another",
                              files[i]->path);
            goto done;
        }
        if (!slash) {
            const git_tree_entry *e = old ? git_tree_entry_byname(old, it->name) : NULL;
            const char *data = files[i]->data ? files[i]->data : "";
            /* the writer only ever writes paths it built under status/ and
             * proposals/, with no "..", "." or empty component */
            assert(check_status_path(files[i]->path) == FC_OK);
            if ((err = git_odb_hash(&it->oid, data, files[i]->len, GIT_OBJECT_BLOB)) < 0) {
                rc = fc_gitsync__error(FC_EGIT, err, "gitsync: cannot hash %s", files[i]->path);
                goto done;
            }
            if (e && git_oid_equal(git_tree_entry_id(e), &it->oid) &&
                git_tree_entry_filemode(e) == GIT_FILEMODE_BLOB) {
                ws->unchanged++;
            } else {
                err = git_blob_create_from_buffer(&it->oid, g->repo, data, files[i]->len);
                if (err < 0) {
                    rc = fc_gitsync__error(FC_EGIT, err, "gitsync: cannot write %s",
                                           files[i]->path);
                    goto done;
                }
                ws->written++;
            }
            it->mode = GIT_FILEMODE_BLOB;
        } else {
            git_tree *sub = old_subtree(g, old, it->name);
            while (j < n && strncmp(files[j]->path + off, rest, cl + 1) == 0)
                j++;
            rc = build_tree(g, files + i, j - i, off + cl + 1, sub, &it->oid, ws);
            git_tree_free(sub);
            if (rc != FC_OK)
                goto done;
            it->mode = GIT_FILEMODE_TREE;
        }
        nitems++;
        i = j;
    }
    for (k = 0; old && k < git_tree_entrycount(old); k++) {
        const char *name = git_tree_entry_name(git_tree_entry_byindex(old, k));
        size_t m;
        for (m = 0; m < nitems && strcmp(items[m].name, name) != 0; m++)
            ;
        ws->removed += m == nitems;
    }
    if (same_as_old(old, items, nitems)) {
        git_oid_cpy(out, git_tree_id(old));
        goto done;
    }
    if ((err = git_treebuilder_new(&bld, g->repo, NULL)) < 0) {
        rc = fc_gitsync__error(FC_EGIT, err, "gitsync: cannot build status tree");
        goto done;
    }
    for (k = 0; k < nitems; k++) {
        if ((err = git_treebuilder_insert(NULL, bld, items[k].name, &items[k].oid,
                                          items[k].mode)) < 0) {
            rc = fc_gitsync__error(FC_EINVALID, err, "gitsync: bad status file name '%s'",
                                   items[k].name);
            goto done;
        }
    }
    if ((err = git_treebuilder_write(out, bld)) < 0)
        rc = fc_gitsync__error(FC_EGIT, err, "gitsync: cannot write status tree");
done:
    git_treebuilder_free(bld);
    free(items);
    return rc;
}

/* Puts files (all under name/) at top-level entry name, or removes the
 * entry when there are none. */
static int replace_entry(fc_gitsync *g, git_treebuilder *root, git_tree *head_tree,
                         const char *name, const fc_status_file **files, size_t n,
                         write_stats *ws)
{
    const git_tree_entry *cur;
    git_tree *old;
    git_oid oid;
    int err;
    int rc;

    assert(is_status_name(name));
    cur = git_treebuilder_get(root, name);
    /* status and proposals are the controller's: a symlink, file or
     * submodule there is replaced by the tree (never written through). */
    if (cur && git_tree_entry_filemode(cur) != GIT_FILEMODE_TREE)
        fc_warn("gitsync: top-level '%s' is a %s, not a directory; replacing it", name,
                git_tree_entry_filemode(cur) == GIT_FILEMODE_LINK     ? "symlink"
                : git_tree_entry_filemode(cur) == GIT_FILEMODE_COMMIT ? "submodule"
                                                                      : "file");
    if (n == 0) {
        if (cur && (err = git_treebuilder_remove(root, name)) < 0)
            return fc_gitsync__error(FC_EGIT, err, "gitsync: cannot drop %s/", name);
        return FC_OK;
    }
    old = old_subtree(g, head_tree, name);
    rc = build_tree(g, files, n, strlen(name) + 1, old, &oid, ws);
    git_tree_free(old);
    if (rc != FC_OK)
        return rc;
    if ((err = git_treebuilder_insert(NULL, root, name, &oid, GIT_FILEMODE_TREE)) < 0)
        return fc_gitsync__error(FC_EGIT, err, "gitsync: cannot insert %s/", name);
    return FC_OK;
}

/*
 * New objects of a status commit go to an in-memory pack first and reach
 * disk as one packfile: thousands of loose objects would cost a file each.
 */
static int attach_mempack(fc_gitsync *g, git_odb **odb_out)
{
    int err;
    *odb_out = NULL;
    if ((err = git_repository_odb(odb_out, g->repo)) < 0)
        return fc_gitsync__error(FC_EGIT, err, "gitsync: cannot open the object database");
    if (!g->mempack) {
        if ((err = git_mempack_new(&g->mempack)) < 0 ||
            (err = git_odb_add_backend(*odb_out, g->mempack, 1000)) < 0) {
            g->mempack = NULL;
            return fc_gitsync__error(FC_EGIT, err, "gitsync: cannot set up an in-memory pack");
        }
    }
    return FC_OK;
}

/* Writes what the mempack holds as one packfile, then empties it. */
static int flush_mempack(fc_gitsync *g, git_odb *odb)
{
    git_buf pack = {0};
    git_odb_writepack *wp = NULL;
    git_indexer_progress stats;
    int err;
    int rc = FC_OK;

    memset(&stats, 0, sizeof(stats));
    if ((err = git_mempack_dump(&pack, g->repo, g->mempack)) < 0 ||
        (err = git_odb_write_pack(&wp, odb, NULL, NULL)) < 0 ||
        (err = wp->append(wp, pack.ptr, pack.size, &stats)) < 0 ||
        (err = wp->commit(wp, &stats)) < 0)
        rc = fc_gitsync__error(FC_EGIT, err, "gitsync: cannot write the status pack");
    if (wp)
        wp->free(wp);
    git_buf_dispose(&pack);
    git_mempack_reset(g->mempack);
    return rc;
}

int fc_gitsync_commit_status(fc_gitsync *g, const char *head_hex,
                             const fc_status_tree *status, const char *message,
                             int64_t now, char out_hex[FC_OID_HEX], int *changed)
{
    git_commit *head = NULL;
    git_tree *head_tree = NULL;
    git_tree *new_tree = NULL;
    git_treebuilder *root = NULL;
    git_signature *sig = NULL;
    const fc_status_file **sorted = NULL;
    const git_commit *parents[1];
    char *msg = NULL;
    char *ref = NULL;
    size_t nfiles = status ? status->n : 0;
    size_t nprop = 0;
    size_t i;
    git_oid tree_oid;
    git_oid commit_oid;
    git_odb *odb = NULL;
    write_stats ws;
    int err;
    int rc;

    assert(g && out_hex && changed);
    memset(&ws, 0, sizeof(ws));
    out_hex[0] = '\0';
    *changed = 0;
    /* "" = the first commit of a new status branch: an orphan */
    if (head_hex && !head_hex[0] && g->status_branch)
        head = NULL;
    else if ((rc = fc_gitsync__commit(g, head_hex, &head)) != FC_OK)
        goto done;
    for (i = 0; i < nfiles; i++)
        if ((rc = check_status_path(status->files[i].path)) != FC_OK)
            goto done;
    if (nfiles && !(sorted = malloc(nfiles * sizeof(*sorted)))) {
        rc = fc_error_set(FC_ENOMEM, "out of memory");
        goto done;
    }
    for (i = 0; i < nfiles; i++)
        sorted[i] = &status->files[i];
    if (nfiles > 1)
        qsort(sorted, nfiles, sizeof(*sorted), cmp_status_ptr);
    /* "proposals/" sorts before "status/": two runs */
    while (nprop < nfiles && sorted[nprop]->path[0] == 'p')
        nprop++;

    if ((head && (err = git_commit_tree(&head_tree, head)) < 0) ||
        (err = git_treebuilder_new(&root, g->repo, head_tree)) < 0) {
        rc = fc_gitsync__error(FC_EGIT, err, "gitsync: cannot read tree of %.12s",
                               head_hex);
        goto done;
    }
    if ((rc = attach_mempack(g, &odb)) != FC_OK)
        goto done;
    if ((rc = replace_entry(g, root, head_tree, "proposals", sorted, nprop, &ws)) != FC_OK ||
        (rc = replace_entry(g, root, head_tree, "status", sorted + nprop, nfiles - nprop,
                            &ws)) != FC_OK)
        goto done;
    if ((err = git_treebuilder_write(&tree_oid, root)) < 0) {
        rc = fc_gitsync__error(FC_EGIT, err, "gitsync: cannot write root tree");
        goto done;
    }
    if (head && git_oid_equal(&tree_oid, git_tree_id(head_tree))) {
        git_oid_tostr(out_hex, FC_OID_HEX, git_commit_id(head));
        git_mempack_reset(g->mempack);
        goto done;
    }

    if ((err = git_tree_lookup(&new_tree, g->repo, &tree_oid)) < 0 ||
        (err = git_signature_new(&sig, g->author_name, g->author_email, (git_time_t)now,
                                 0)) < 0) {
        rc = fc_gitsync__error(FC_EGIT, err, "gitsync: cannot prepare status commit");
        goto done;
    }
    if (!message || !message[0])
        message = "finops-controller: update status";
    /* git's own tools end messages with a newline; do the same */
    msg = message[strlen(message) - 1] == '\n' ? fc_strdup(message)
                                               : fc_asprintf("%s\n", message);
    ref = fc_asprintf("refs/heads/%s", fc_gitsync_status_branch(g));
    if (!msg || !ref) {
        rc = fc_error_set(FC_ENOMEM, "out of memory");
        goto done;
    }
    parents[0] = head;
    /* signed when --sign-commits says so (sign.c) */
    if ((rc = fc_gitsync__create_commit(g, &commit_oid, sig, msg, new_tree, head ? 1 : 0,
                                        parents)) != FC_OK)
        goto done;
    /* On disk before any ref points at it. */
    if ((rc = flush_mempack(g, odb)) != FC_OK)
        goto done;
    if ((rc = fc_gitsync__set_ref(g, ref, &commit_oid, "finops-controller: status")) !=
        FC_OK)
        goto done;
    git_oid_tostr(out_hex, FC_OID_HEX, &commit_oid);
    *changed = 1;
    fc_debug("gitsync: status commit %.12s on %.12s: %zu files written, %zu unchanged, "
             "%zu removed", out_hex, head ? head_hex : "(orphan)", ws.written, ws.unchanged,
             ws.removed);
done:
    if (rc != FC_OK && g->mempack)
        git_mempack_reset(g->mempack);
    git_odb_free(odb);
    git_signature_free(sig);
    git_treebuilder_free(root);
    git_tree_free(new_tree);
    git_tree_free(head_tree);
    git_commit_free(head);
    free(sorted);
    free(msg);
    free(ref);
    return rc;
}
