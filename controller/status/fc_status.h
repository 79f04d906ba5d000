/*
 * fc_status.h - the status tree a pass writes back to git: repo-relative
 * paths under status/ and proposals/ with their bytes.
 *
 * Documents are built as json-c objects and emitted as YAML with keys sorted
 * at every level, so identical inputs give byte-identical files.  Numbers
 * that should read well (money, percentages) are added with
 * fc_status_number(), which fixes their decimal places.  Bulk documents
 * skip json-c: fc_yw streams them, keys in sorted order, into the same
 * bytes.
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
/* Keeps data (malloc'd, at least len + 1 bytes) as the file's bytes, shrunk
 * to fit: the tree owns it from the call on, also on error. */
int fc_status_tree_add_take(fc_status_tree *t, const char *path, char *data,
                            size_t len);
void fc_status_tree_sort(fc_status_tree *t);
/* Room for n files in all (a hint: more still fit), so that adding them
 * neither grows the array nor the path index. */
int fc_status_tree_reserve(fc_status_tree *t, size_t n);
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

/*
 * fc_yw writes one document at a time as events, with no tree: the bytes
 * are fc_yaml_emit()'s for the json-c document of the same content.  Keys
 * of a mapping must come in strcmp order (fc_yaml_emit sorts them); a key
 * out of order or out of place fails with FC_EINVALID.  Errors are sticky:
 * every call returns the first one, so a caller may check only the last
 * call or fc_yw_finish().  _init/_dispose; one fc_yw serves many documents.
 */
#define FC_YW_DEPTH 32
#define FC_YW_PREV 8
/* A condition of the previous status document (private to status.c). */
typedef struct {
    char type[64], status[16], ltt[64];
} fc_yw_prev_cond;
typedef struct {
    const char *doc; /* the bytes read (reset with the document) */
    size_t len;
    int read;       /* doc was read */
    int n, more;    /* conditions kept; more: others past FC_YW_PREV */
    fc_yw_prev_cond c[FC_YW_PREV];
    /* The pass's clock as text, formatted once (kept across documents). */
    int64_t now;
    int now_ok;
    char now_text[64];
} fc_yw_prev;
typedef struct {
    /* Private to status.c. */
    fc_buf log;     /* the document's events, for libyaml when needed */
    fc_buf text;    /* the direct writer's rendering, reused */
    fc_buf *out;    /* where it renders: &text, or fc_yaml_emit's buffer */
    size_t mark;    /* out->len when the document began */
    size_t bound;   /* fc_yw_bound; 0 keeps every event */
    int column;     /* of the rendering */
    int direct;     /* the direct writer still renders the document */
    int unlogged;   /* events were dropped: no libyaml fallback */
    int depth;      /* open collections */
    int done;       /* the root value is complete */
    int rc;         /* first error */
    fc_yw_prev prev; /* conditions of the document's previous bytes */
    struct {
        char seq;        /* a sequence, else a mapping */
        char keyed;      /* a key waits for its value */
        char empty;      /* no entry rendered yet */
        char inline_first; /* the first key follows "- " (or is the root's) */
        char nested;     /* a sequence item of a sequence */
        int indent;      /* column of its keys or dashes */
        size_t last_key; /* log offset of the last key's text, 0 none */
    } open[FC_YW_DEPTH];
} fc_yw;

void fc_yw_init(fc_yw *w);
void fc_yw_dispose(fc_yw *w);
/* Drops the document under way (and a sticky error). */
void fc_yw_reset(fc_yw *w);
int fc_yw_map_begin(fc_yw *w);
int fc_yw_map_end(fc_yw *w);
int fc_yw_seq_begin(fc_yw *w);
int fc_yw_seq_end(fc_yw *w);
int fc_yw_key(fc_yw *w, const char *key);
/* A string; NULL writes null. */
int fc_yw_str(fc_yw *w, const char *s);
/* fc_yw_key then fc_yw_str. */
int fc_yw_kstr(fc_yw *w, const char *key, const char *s);
int fc_yw_int(fc_yw *w, int64_t v);
int fc_yw_bool(fc_yw *w, int v);
/* As fc_status_number(v, decimals). */
int fc_yw_number(fc_yw *w, double v, int decimals);
/*
 * Keeps at most about `bytes` of events for documents that follow (0: all,
 * the default).  The direct writer renders as events come, so a long
 * document (the inventory) needs no event log; one it cannot render (a
 * scalar libyaml must quote) then fails with FC_EUNSUPPORTED once its log
 * is gone: write it again after fc_yw_bound(w, 0).
 */
void fc_yw_bound(fc_yw *w, size_t bytes);
/* Appends the YAML of the complete document to out and starts the next. */
int fc_yw_finish(fc_yw *w, fc_buf *out);
/* fc_yw_finish into the tree under path; a large rendering moves into the
 * tree rather than being copied. */
int fc_status_tree_add_yw(fc_status_tree *t, const char *path, fc_yw *w);

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
/* The same condition as the next item of the sequence w is in. */
int fc_yw_condition(fc_yw *w, const char *type, int status, const char *reason,
                    const char *message, int64_t now, const char *prev_doc,
                    size_t prev_len);

#endif
