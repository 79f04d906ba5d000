/*
 * fc_status.h - the status tree a pass writes back to git: repo-relative
 * paths under status/ and proposals/ with their bytes.
 *
 * Documents are built as json-c objects and emitted as YAML with keys sorted
 * at every level, so identical inputs give byte-identical files.  Numbers
 * that should read well (money, percentages) are added with
 * fc_status_number(), which fixes their decimal places.
 */
#ifndef FC_STATUS_H
#define FC_STATUS_H

#include "../core/fc_util.h"

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    char *path;         /* status/budgets/team-a.yaml */
    char *data;
    size_t len;
} fc_status_file;

typedef struct {
    fc_status_file *files;  /* sorted by path after fc_status_tree_sort */
    size_t n;
    size_t cap;
    /* Private to status.c: json-c hash table from path to position + 1, so
     * that adding 100k files is not quadratic; files[0..indexed) are in it.
     * A zeroed tree is valid. */
    struct lh_table *index;
    size_t indexed;
} fc_status_tree;

void fc_status_tree_init(fc_status_tree *t);
void fc_status_tree_dispose(fc_status_tree *t);
/* Emits doc as YAML under path (replacing an earlier file of that path).
 * doc stays the caller's. */
int fc_status_tree_add(fc_status_tree *t, const char *path,
                       struct json_object *doc);
int fc_status_tree_add_raw(fc_status_tree *t, const char *path,
                           const char *data, size_t len);
void fc_status_tree_sort(fc_status_tree *t);
const fc_status_file *fc_status_tree_get(const fc_status_tree *t,
                                         const char *path);

/* Deterministic YAML: sorted keys, block style, strings quoted when needed. */
int fc_yaml_emit(fc_buf *out, struct json_object *doc);
/* The same through libyaml's emitter for every document: the reference
 * fc_yaml_emit() matches byte for byte (it writes the common shapes
 * itself, several times faster). */
int fc_yaml_emit_libyaml(fc_buf *out, struct json_object *doc);
/* Only the direct writer: FC_EUNSUPPORTED (out unchanged) for a document
 * it leaves to libyaml.  For tests. */
int fc_yaml_emit_direct(fc_buf *out, struct json_object *doc);

/* A double printed with `decimals` places, kept as that text in YAML. */
struct json_object *fc_status_number(double v, int decimals);

/*
 * Appends a condition {type, status, reason, message, lastTransitionTime}
 * to the array `conds`.  lastTransitionTime is taken from prev_doc (the
 * previous YAML of the same file, may be NULL) when the condition had the
 * same status there, else it is `now`.
 */
int fc_status_condition(struct json_object *conds, const char *type,
                        int status, const char *reason, const char *message,
                        int64_t now, const char *prev_doc, size_t prev_len);

#endif
