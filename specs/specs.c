/*
 * specs.c - loads the user's finops.dev/v1alpha1 YAML into an fc_spec_set.
 *
 * Stage: desired state, right after gitsync hands over the files of one
 * commit (see fc_specs.h).  Per file: size limit, then one libyaml pass
 * checks the hostile-input limits and splits it into documents (node trees
 * whose marks are file lines; limits.c).  Per document: kind and
 * apiVersion from the tree, a typed load of the document's byte range with
 * the kind's libcyaml schema (schema.c), cyaml's log turned into
 * "file:line: field: message" errors, then semantic rules (validate.c).
 * Across documents: duplicate names per kind and Budget parents.
 *
 * Ownership: the set owns everything in it; each valid object keeps its
 * cyaml document in fc_object.raw and borrows its file name from set->files.
 * Nothing here is global, so loads may run on several threads at once.
 */
#include "specs/specs_int.h"
#include "specs/limits_int.h"

#include "controller/core/fc_error.h"
#include "controller/core/fc_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[FC_KIND__COUNT] = {
    [FC_KIND_ACCOUNT] = "Account",
    [FC_KIND_POLICY] = "Policy",
    [FC_KIND_BUDGET] = "Budget",
    [FC_KIND_OPTIMIZATION] = "Optimization",
    [FC_KIND_SCHEDULE] = "Schedule",
};

const char *fc_kind_name(fc_kind k)
{
    if ((int)k < 0 || k >= FC_KIND__COUNT)
        return "Unknown";
    return kind_names[k];
}

int fc_kind_parse(const char *name)
{
    for (int k = 0; name && k < FC_KIND__COUNT; k++)
        if (strcmp(name, kind_names[k]) == 0)
            return k;
    return -1;
}

/* One document that got as far as a kind and a name: what the cross-object
 * checks need, valid or not. */
typedef struct {
    int kind;
    char *name;
    const char *file;       /* borrowed from set->files */
    unsigned line;          /* first line of the document */
    unsigned name_line;
    unsigned parent_line;
    fc_specs_doc *doc;      /* typed load; NULL when it failed */
    int valid;
} record;

struct fc_specs_loader {
    fc_spec_error *errors;
    size_t nerrors, caperrors;
    record *recs;
    size_t nrecs, caprecs;
    int oom;
};

/* qsort, which must not see NULL even for zero elements. */
static void sort(void *base, size_t n, size_t size,
                 int (*cmp)(const void *, const void *))
{
    if (n > 1)
        qsort(base, n, size, cmp);
}

static int grow(void **arr, size_t *cap, size_t n, size_t size)
{
    void *p;
    size_t c;

    if (n < *cap)
        return FC_OK;
    c = *cap ? *cap * 2 : 16;
    p = realloc(*arr, c * size);
    if (!p)
        return FC_ENOMEM;
    *arr = p;
    *cap = c;
    return FC_OK;
}

static void error_dispose(fc_spec_error *e)
{
    free(e->file);
    free(e->field);
    free(e->message);
    free(e->name);
}

static int error_vpush(fc_specs_loader *ld, const char *file, unsigned line,
                       const char *field, int kind, const char *name,
                       const char *fmt, va_list ap)
{
    fc_spec_error e = {.line = line, .kind = kind};
    va_list cp;
    int n;

    if (ld->oom)
        return FC_ENOMEM;
    va_copy(cp, ap);
    n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n >= 0 && (e.message = malloc((size_t)n + 1)) != NULL)
        vsnprintf(e.message, (size_t)n + 1, fmt, ap);
    e.file = fc_strdup(file);
    e.field = fc_strdup(field ? field : "");
    e.name = name ? fc_strdup(name) : NULL;
    if (!e.message || !e.file || !e.field || (name && !e.name) ||
        grow((void **)&ld->errors, &ld->caperrors, ld->nerrors,
             sizeof(*ld->errors))) {
        error_dispose(&e);
        ld->oom = 1;
        return fc_error_set(FC_ENOMEM, "out of memory recording spec error");
    }
    ld->errors[ld->nerrors++] = e;
    return FC_OK;
}

static int error_push(fc_specs_loader *ld, const char *file, unsigned line,
                      const char *field, int kind, const char *name,
                      const char *fmt, ...) __attribute__((format(printf, 7, 8)));

static int error_push(fc_specs_loader *ld, const char *file, unsigned line,
                      const char *field, int kind, const char *name,
                      const char *fmt, ...)
{
    va_list ap;
    int rc;
    va_start(ap, fmt);
    rc = error_vpush(ld, file, line, field, kind, name, fmt, ap);
    va_end(ap);
    return rc;
}

int fc_specs_error_vadd(fc_specs_docctx *dc, unsigned line, const char *field,
                        const char *fmt, va_list ap)
{
    fc_specs_loader *ld = dc->ld;
    int rc;

    if (!field)
        field = "";
    /* The document's errors are the last ones pushed; one per place. */
    for (size_t i = ld->nerrors - dc->nerrors; i < ld->nerrors; i++)
        if (ld->errors[i].line == line && strcmp(ld->errors[i].field, field) == 0)
            return FC_OK;
    rc = error_vpush(ld, dc->file, line, field, dc->kind, dc->name, fmt, ap);
    if (rc)
        dc->oom = 1;
    else
        dc->nerrors++;
    return rc;
}

int fc_specs_error_add(fc_specs_docctx *dc, unsigned line, const char *field,
                       const char *fmt, ...)
{
    va_list ap;
    int rc;
    va_start(ap, fmt);
    rc = fc_specs_error_vadd(dc, line, field, fmt, ap);
    va_end(ap);
    return rc;
}

/* ---- libcyaml's log, captured per call -------------------------------- */

#define MAX_FRAMES 16

typedef struct {
    char msg[512];
    int have_msg;
    int in_backtrace;
    struct {
        char field[96];     /* "" for "in mapping" */
        int seq;            /* "in sequence entry 'N'" */
        unsigned index;     /* N: cyaml counts entries from 1 */
        unsigned line;      /* relative to the slice cyaml parsed */
    } frames[MAX_FRAMES];   /* innermost first */
    unsigned nframes;
} capture;

static void capture_log(cyaml_log_t level, void *ctx, const char *fmt,
                        va_list args)
{
    capture *c = ctx;
    char line[600];
    char *s = line;
    size_t n;

    if (level < CYAML_LOG_ERROR)
        return;
    vsnprintf(line, sizeof(line), fmt, args);
    n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    if (strncmp(s, "Load: ", 6) == 0)
        s += 6;
    if (!c->have_msg) {
        snprintf(c->msg, sizeof(c->msg), "%.500s", s);
        c->have_msg = 1;
    } else if (strcmp(s, "Backtrace:") == 0) {
        c->in_backtrace = 1;
    } else if (c->in_backtrace && c->nframes < MAX_FRAMES) {
        unsigned i = c->nframes;
        c->frames[i].field[0] = '\0';
        c->frames[i].seq = 0;
        if (sscanf(s, "  in mapping field '%95[^']' (line: %u",
                   c->frames[i].field, &c->frames[i].line) == 2 ||
            sscanf(s, "  in mapping (line: %u", &c->frames[i].line) == 1)
            c->nframes++;
        else if (sscanf(s, "  in sequence entry '%u' (line: %u",
                        &c->frames[i].index, &c->frames[i].line) == 2) {
            c->frames[i].seq = 1;
            c->nframes++;
        }
    }
}

static int starts(const char *s, const char *prefix, const char **rest)
{
    size_t n = strlen(prefix);
    if (strncmp(s, prefix, n) != 0)
        return 0;
    *rest = s + n;
    return 1;
}

static const char *type_words(const char *t)
{
    static const char *const map[][2] = {
        {"MAPPING", "a map"},       {"SEQUENCE", "a list"},
        {"SEQUENCE_FIXED", "a list"}, {"STRING", "a string"},
        {"FLOAT", "a number"},      {"INT", "a whole number"},
        {"UINT", "a whole number"}, {"BOOL", "true or false"},
        {"SCALAR", "a single value"}, {"SEQUENCE_START", "a list"},
        {"MAPPING_START", "a map"}, {"ALIAS", "an alias"},
    };
    for (size_t i = 0; i < FC_ARRAY_LEN(map); i++)
        if (strcmp(t, map[i][0]) == 0)
            return map[i][1];
    return "something else";
}

/* Line (1-based, in the file) of the first alias in the document's text. */
static unsigned first_alias_line(const char *text, size_t len, unsigned line0)
{
    yaml_parser_t p;
    yaml_event_t ev;
    unsigned line = 0;

    if (!yaml_parser_initialize(&p))
        return 0;
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    while (!line && yaml_parser_parse(&p, &ev)) {
        int done = ev.type == YAML_STREAM_END_EVENT;
        if (ev.type == YAML_ALIAS_EVENT)
            line = (unsigned)ev.start_mark.line + 1 + line0;
        yaml_event_delete(&ev);
        if (done)
            break;
    }
    yaml_parser_delete(&p);
    return line;
}

/*
 * cyaml stops at the first problem and says it in two parts: a message and
 * a backtrace of the fields it was in, innermost first.  The backtrace gives
 * the field path; the line comes from the document tree when the path can
 * be found there (cyaml's lines point at the last event it read, which for
 * an unknown or missing key is not the key).
 */
static void report_cyaml(fc_specs_docctx *dc, const capture *c,
                         cyaml_err_t err, const char *text, size_t len,
                         unsigned line0)
{
    char path[512] = "", field[1024], what[160];
    const char *rest = NULL, *key = NULL, *msg = c->msg;
    unsigned nth = 1, drop = 0, line = 0;
    size_t n = 0;

    if (err == CYAML_ERR_ALIAS) {
        fc_specs_error_add(dc, first_alias_line(text, len, line0), "",
                           "YAML aliases are not allowed");
        return;
    }
    if (!c->have_msg) {
        fc_specs_error_add(dc, dc->doc_line, "", "%s", cyaml_strerror(err));
        return;
    }

    if (starts(msg, "Unexpected key: ", &key))
        snprintf(what, sizeof(what), "unknown field");
    else if (starts(msg, "Mapping field already seen: ", &key)) {
        snprintf(what, sizeof(what), "duplicate key");
        nth = 2;
    } else if (starts(msg, "Missing required mapping field: ", &key)) {
        snprintf(what, sizeof(what), "missing required field");
        nth = 0;
    } else if (starts(msg, "Invalid FLOAT value: ", &rest))
        snprintf(what, sizeof(what), "expected a number");
    else if (starts(msg, "Invalid INT value: ", &rest) ||
             starts(msg, "Invalid UINT value: ", &rest) ||
             starts(msg, "Invalid uint64_t value: ", &rest))
        snprintf(what, sizeof(what), "expected a whole number");
    else if (starts(msg, "Expecting ", &rest)) {
        char want[32] = "", got[32] = "";
        sscanf(rest, "%31[A-Z_], got event: %31[A-Z_]", want, got);
        snprintf(what, sizeof(what), "expected %s, got %s", type_words(want),
                 type_words(got));
    } else if (starts(msg, "libyaml: ", &rest))
        snprintf(what, sizeof(what), "YAML syntax error: %.120s", rest);
    else if (starts(msg, "Excessive entries", &rest) ||
             starts(msg, "Insufficient entries", &rest)) {
        snprintf(what, sizeof(what), "%s",
                 msg[0] == 'E' ? "too many entries" : "too few entries");
        drop = 1; /* innermost frame is the sequence itself */
    } else
        snprintf(what, sizeof(what), "%.150s", msg);

    /* A key problem is reported by the mapping that holds the key; the
     * field that mapping names is stale (the last key it read). */
    if (key)
        drop = 1;
    for (unsigned i = c->nframes; i-- > drop && n < sizeof(path) - 1;) {
        if (c->frames[i].seq)
            n += (size_t)snprintf(path + n, sizeof(path) - n, "[%u]",
                                  c->frames[i].index ? c->frames[i].index - 1
                                                     : 0);
        else if (c->frames[i].field[0])
            n += (size_t)snprintf(path + n, sizeof(path) - n, "%s%s",
                                  n ? "." : "", c->frames[i].field);
    }
    if (n >= sizeof(path))
        path[sizeof(path) - 1] = '\0';

    if (key) {
        yaml_node_t *map = fc_specs_locate(dc->ydoc, path, &line);
        if (nth)
            fc_specs_map_get(dc->ydoc, map, key, nth, &line);
        snprintf(field, sizeof(field), "%s%s%.300s", path, *path ? "." : "",
                 key);
    } else {
        fc_specs_locate(dc->ydoc, path, &line);
        snprintf(field, sizeof(field), "%s", path);
    }
    if (!line && c->nframes > drop)
        line = c->frames[drop].line + line0;
    if (!line || (key && !nth && !*path))
        line = dc->doc_line;
    fc_specs_error_add(dc, line, field, "%s", what);
}

/* ---- one document ------------------------------------------------------ */

static int is_empty_doc(const yaml_node_t *root)
{
    const char *s;
    if (root->type != YAML_SCALAR_NODE ||
        root->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return 0;
    s = (const char *)root->data.scalar.value;
    return !*s || strcmp(s, "~") == 0 || strcmp(s, "null") == 0;
}

static const char *scalar(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value
                                            : NULL;
}

static int add_record(fc_specs_loader *ld, fc_specs_docctx *dc,
                      fc_specs_doc *doc)
{
    record r = {.kind = dc->kind, .file = dc->file, .line = dc->doc_line};

    if (!dc->name || !*dc->name) {
        fc_specs_doc_free((fc_kind)dc->kind, doc);
        return FC_OK;
    }
    r.name = fc_strdup(dc->name);
    if (!r.name ||
        grow((void **)&ld->recs, &ld->caprecs, ld->nrecs, sizeof(*ld->recs))) {
        free(r.name);
        fc_specs_doc_free((fc_kind)dc->kind, doc);
        ld->oom = 1;
        return fc_error_set(FC_ENOMEM, "out of memory loading specs");
    }
    fc_specs_locate(dc->ydoc, "metadata.name", &r.name_line);
    if (!r.name_line)
        r.name_line = dc->doc_line;
    fc_specs_locate(dc->ydoc, "spec.parent", &r.parent_line);
    if (!r.parent_line)
        r.parent_line = r.name_line;
    r.valid = doc && dc->nerrors == 0;
    if (r.valid) {
        r.doc = doc;
    } else {
        fc_specs_doc_free((fc_kind)dc->kind, doc);
    }
    ld->recs[ld->nrecs++] = r;
    return FC_OK;
}

static int load_document(fc_specs_loader *ld, const char *file,
                         yaml_document_t *ydoc, const char *text, size_t len)
{
    fc_specs_docctx dc = {.ld = ld, .file = file, .ydoc = ydoc, .kind = -1};
    yaml_node_t *root = yaml_document_get_root_node(ydoc);
    yaml_node_t *kind, *api;
    unsigned kline = 0, aline = 0, line0 = (unsigned)ydoc->start_mark.line;
    fc_specs_doc *doc = NULL;
    cyaml_err_t err;
    capture cap;
    cyaml_config_t cfg = {
        .log_fn = capture_log,
        .log_ctx = &cap,
        .mem_fn = fc_specs_cyaml_mem,
        .log_level = CYAML_LOG_ERROR,
        .flags = CYAML_CFG_NO_ALIAS,
    };

    dc.doc_line = line0 + 1;
    dc.name = scalar(fc_specs_locate(ydoc, "metadata.name", NULL));
    if (root->type != YAML_MAPPING_NODE) {
        fc_specs_error_add(&dc, (unsigned)root->start_mark.line + 1, "",
                           "expected a map with apiVersion, kind, metadata "
                           "and spec");
        return dc.oom ? FC_ENOMEM : FC_OK;
    }
    /* Top-level fields that are missing are reported where the map starts. */
    dc.doc_line = (unsigned)root->start_mark.line + 1;
    kind = fc_specs_map_get(ydoc, root, "kind", 1, &kline);
    if (!kind)
        fc_specs_error_add(&dc, dc.doc_line, "kind", "missing required field");
    else if (!scalar(kind))
        fc_specs_error_add(&dc, kline, "kind", "expected a string");
    else if ((dc.kind = fc_kind_parse(scalar(kind))) < 0)
        fc_specs_error_add(&dc, kline, "kind",
                           "unknown kind \"%.80s\" (expected Account, Policy, "
                           "Budget, Optimization or Schedule)",
                           scalar(kind));
    if (dc.kind < 0)
        return dc.oom ? FC_ENOMEM : FC_OK;

    api = fc_specs_map_get(ydoc, root, "apiVersion", 1, &aline);
    if (!api)
        fc_specs_error_add(&dc, dc.doc_line, "apiVersion",
                           "missing required field");
    else if (!scalar(api))
        fc_specs_error_add(&dc, aline, "apiVersion", "expected a string");
    else if (strcmp(scalar(api), FC_API_VERSION) != 0)
        fc_specs_error_add(&dc, aline, "apiVersion",
                           "unsupported apiVersion \"%.80s\" (expected "
                           FC_API_VERSION ")",
                           scalar(api));

    memset(&cap, 0, sizeof(cap));
    err = cyaml_load_data((const uint8_t *)text, len, &cfg,
                          fc_specs_schema((fc_kind)dc.kind),
                          (cyaml_data_t **)&doc, NULL);
    if (err == CYAML_ERR_OOM) {
        ld->oom = 1;
        return fc_error_set(FC_ENOMEM, "out of memory loading %s", file);
    }
    if (err != CYAML_OK) {
        doc = NULL;
        report_cyaml(&dc, &cap, err, text, len, line0);
    } else if (fc_specs_validate(&dc, doc) != FC_OK) {
        fc_specs_doc_free((fc_kind)dc.kind, doc);
        ld->oom = 1;
        return FC_ENOMEM;
    }
    if (dc.oom) {
        fc_specs_doc_free((fc_kind)dc.kind, doc);
        return FC_ENOMEM;
    }
    return add_record(ld, &dc, doc);
}

/* ---- one file ---------------------------------------------------------- */

/* libyaml marks count characters (code points), not bytes. */
typedef struct {
    size_t chars, bytes;
} cursor;

static size_t byte_offset(const char *data, size_t len, cursor *cur,
                          size_t chars)
{
    if (chars < cur->chars)
        cur->chars = cur->bytes = 0;
    while (cur->chars < chars && cur->bytes < len) {
        cur->bytes++;
        while (cur->bytes < len && ((unsigned char)data[cur->bytes] & 0xC0) == 0x80)
            cur->bytes++;
        cur->chars++;
    }
    return cur->bytes;
}

static int load_file(fc_specs_loader *ld, const char *path, const char *data,
                     size_t len)
{
    fc_specs_yaml y;
    cursor cur = {0, 0};
    unsigned bad_line;
    char why[128];
    int rc = FC_OK;

    if (len > FC_SPEC_MAX_FILE_BYTES)
        return error_push(ld, path, 0, "", -1, NULL,
                          "file is %zu bytes, more than the limit of %d",
                          len, FC_SPEC_MAX_FILE_BYTES);
    /* A UTF-8 byte order mark would shift libyaml's marks against ours. */
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
        data += 3;
        len -= 3;
    }
    /* One libyaml pass: depth, scalar size and aliases are refused before
     * anything is loaded from the file, and the documents come with it
     * (limits.c).  One document past the limit is kept to report it. */
    rc = fc_specs_compose(&y, data, len, FC_SPEC_MAX_DOCUMENTS + 1, &bad_line,
                          why, sizeof(why));
    if (rc == FC_EINVALID)
        return error_push(ld, path, bad_line, "", -1, NULL, "%s", why);
    if (rc) {
        ld->oom = 1;
        return rc;
    }
    for (size_t i = 0; i < y.ndocs && !rc; i++) {
        yaml_document_t *ydoc = &y.docs[i];
        size_t start, end;

        if (i >= FC_SPEC_MAX_DOCUMENTS) {
            rc = error_push(ld, path, (unsigned)ydoc->start_mark.line + 1, "",
                            -1, NULL,
                            "more than %d documents in one file; the rest "
                            "of the file is ignored",
                            FC_SPEC_MAX_DOCUMENTS);
            goto done; /* whatever follows is not reported */
        }
        if (is_empty_doc(yaml_document_get_root_node(ydoc)))
            continue;
        start = byte_offset(data, len, &cur, ydoc->start_mark.index);
        end = byte_offset(data, len, &cur, ydoc->end_mark.index);
        /* Start at the beginning of the line so cyaml sees the
         * document's own indentation. */
        while (start > 0 && (data[start - 1] == ' ' || data[start - 1] == '\t'))
            start--;
        rc = load_document(ld, path, ydoc, data + start,
                           end > start ? end - start : 0);
    }
    /* The syntax error after the last whole document. */
    if (!rc && y.error != YAML_NO_ERROR) {
        if (y.context)
            rc = error_push(ld, path, (unsigned)y.problem_mark.line + 1, "", -1,
                            NULL, "YAML syntax error: %s (%s at line %u)",
                            y.problem, y.context,
                            (unsigned)y.context_mark.line + 1);
        else
            rc = error_push(ld, path, (unsigned)y.problem_mark.line + 1, "", -1,
                            NULL, "YAML syntax error: %s",
                            y.problem ? y.problem : "unknown");
    }
done:
    fc_specs_yaml_dispose(&y);
    return rc;
}

/* ---- across documents -------------------------------------------------- */

static int rec_cmp(const void *a, const void *b)
{
    const record *x = *(record *const *)a, *y = *(record *const *)b;
    int c;
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    if ((c = strcmp(x->name, y->name)) != 0)
        return c;
    return x < y ? -1 : x > y; /* load order: files sorted, then documents */
}

static int rec_error(fc_specs_loader *ld, record *r, unsigned line,
                     const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int rec_error(fc_specs_loader *ld, record *r, unsigned line,
                     const char *field, const char *fmt, ...)
{
    va_list ap;
    int rc;
    va_start(ap, fmt);
    rc = error_vpush(ld, r->file, line, field, r->kind, r->name, fmt, ap);
    va_end(ap);
    r->valid = 0;
    return rc;
}

/* Budgets by name, first occurrence only; bsearch key is the name. */
typedef struct {
    record **v;
    size_t n;
} budget_index;

static int budget_key_cmp(const void *key, const void *elem)
{
    return strcmp(key, (*(record *const *)elem)->name);
}

#define NONE ((size_t)-1)

static size_t budget_find_idx(const budget_index *bi, const char *name)
{
    record **r;
    if (!name)
        return NONE;
    r = bsearch(name, bi->v, bi->n, sizeof(*bi->v), budget_key_cmp);
    return r ? (size_t)(r - bi->v) : NONE;
}

static record *budget_find(const budget_index *bi, const char *name)
{
    size_t i = budget_find_idx(bi, name);
    return i == NONE ? NULL : bi->v[i];
}

static const char *parent_of(const record *r)
{
    return r->doc ? ((fc_budget_spec *)r->doc->spec)->parent : NULL;
}

/* Reports a parent cycle through r to every member and invalidates them. */
static int report_cycle(fc_specs_loader *ld, const budget_index *bi,
                        record *r)
{
    char chain[512];
    size_t n = 0;
    record *x = r;
    int rc = FC_OK;

    n += (size_t)snprintf(chain, sizeof(chain), "%s", r->name);
    do {
        x = budget_find(bi, parent_of(x));
        if (n < sizeof(chain))
            n += (size_t)snprintf(chain + n, sizeof(chain) - n, " -> %s",
                                  x->name);
    } while (x != r);
    if (n >= sizeof(chain))
        memcpy(chain + sizeof(chain) - 4, "...", 4);
    x = r;
    do {
        record *next = budget_find(bi, parent_of(x));
        if (!rc)
            rc = rec_error(ld, x, x->parent_line, "spec.parent",
                           "parent cycle: %s", chain);
        x->valid = 0;
        x = next;
    } while (x != r);
    return rc;
}

static int check_parents(fc_specs_loader *ld, const budget_index *bi)
{
    size_t *walk = calloc(bi->n ? bi->n : 1, sizeof(*walk));
    int changed, rc = FC_OK;

    if (!walk) {
        ld->oom = 1;
        return fc_error_set(FC_ENOMEM, "out of memory checking budgets");
    }
    do {
        changed = 0;
        /* A parent must exist and be valid; invalidating one budget can
         * orphan its children, hence the loop. */
        for (size_t i = 0; i < bi->n && !rc; i++) {
            record *r = bi->v[i], *p;
            const char *parent = parent_of(r);
            if (!r->valid || !parent)
                continue;
            p = budget_find(bi, parent);
            if (strcmp(parent, r->name) == 0)
                rc = rec_error(ld, r, r->parent_line, "spec.parent",
                               "a Budget cannot be its own parent");
            else if (!p)
                rc = rec_error(ld, r, r->parent_line, "spec.parent",
                               "unknown parent Budget \"%.80s\"", parent);
            else if (!p->valid)
                rc = rec_error(ld, r, r->parent_line, "spec.parent",
                               "parent Budget \"%.80s\" is not valid (see "
                               "its errors)", parent);
            else
                continue;
            changed = 1;
        }
        if (changed || rc)
            continue;
        /* Every valid budget now has a valid parent or none: walk up from
         * each one, marking the walk; meeting the same walk again is a
         * cycle. */
        memset(walk, 0, bi->n * sizeof(*walk));
        for (size_t i = 0; i < bi->n && !rc; i++) {
            size_t x = i;
            while (x != NONE && bi->v[x]->valid && !walk[x]) {
                walk[x] = i + 1;
                x = budget_find_idx(bi, parent_of(bi->v[x]));
            }
            if (x != NONE && walk[x] == i + 1 && bi->v[x]->valid) {
                rc = report_cycle(ld, bi, bi->v[x]);
                changed = 1;
            }
        }
    } while (changed && !rc);
    free(walk);
    return rc;
}

static int check_objects(fc_specs_loader *ld)
{
    record **sorted = NULL;
    budget_index bi = {NULL, 0};
    int rc = FC_OK;

    if (ld->nrecs == 0)
        return FC_OK;
    sorted = malloc(ld->nrecs * sizeof(*sorted));
    bi.v = malloc(ld->nrecs * sizeof(*bi.v));
    if (!sorted || !bi.v) {
        ld->oom = 1;
        rc = fc_error_set(FC_ENOMEM, "out of memory checking specs");
        goto done;
    }
    for (size_t i = 0; i < ld->nrecs; i++)
        sorted[i] = &ld->recs[i];
    sort(sorted, ld->nrecs, sizeof(*sorted), rec_cmp);

    /* Duplicate names per kind: the first one (file path order) stays. */
    for (size_t i = 0, first = 0; i < ld->nrecs && !rc; i++) {
        record *r = sorted[i], *f;
        if (i == 0 || r->kind != sorted[first]->kind ||
            strcmp(r->name, sorted[first]->name) != 0) {
            first = i;
            if (r->kind == FC_KIND_BUDGET)
                bi.v[bi.n++] = r;
            continue;
        }
        f = sorted[first];
        rc = rec_error(ld, r, r->name_line, "metadata.name",
                       "duplicate %s name \"%s\": first defined at %s:%u",
                       fc_kind_name((fc_kind)r->kind), r->name, f->file,
                       f->name_line);
    }
    if (!rc)
        rc = check_parents(ld, &bi);
done:
    free(sorted);
    free(bi.v);
    return rc;
}

/* ---- the set ----------------------------------------------------------- */

static int obj_cmp(const void *a, const void *b)
{
    const fc_object *x = a, *y = b;
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    return strcmp(x->metadata.name, y->metadata.name);
}

static int err_cmp(const void *a, const void *b)
{
    const fc_spec_error *x = a, *y = b;
    int c = strcmp(x->file, y->file);
    if (c)
        return c;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    if ((c = strcmp(x->field, y->field)) != 0)
        return c;
    return strcmp(x->message, y->message);
}

typedef struct {
    const fc_spec_file *f;
    size_t i;
} file_ref;

static int file_ref_cmp(const void *a, const void *b)
{
    const file_ref *x = a, *y = b;
    int c = strcmp(x->f->path, y->f->path);
    if (c)
        return c;
    return x->i < y->i ? -1 : x->i > y->i;
}

static void loader_dispose(fc_specs_loader *ld)
{
    for (size_t i = 0; i < ld->nrecs; i++) {
        if (ld->recs[i].doc)
            fc_specs_doc_free((fc_kind)ld->recs[i].kind, ld->recs[i].doc);
        free(ld->recs[i].name);
    }
    free(ld->recs);
    for (size_t i = 0; i < ld->nerrors; i++)
        error_dispose(&ld->errors[i]);
    free(ld->errors);
    memset(ld, 0, sizeof(*ld));
}

int fc_specs_load(fc_spec_set **out, const fc_spec_file *files, size_t nfiles)
{
    fc_specs_loader ld;
    fc_spec_set *set;
    file_ref *order = NULL;
    size_t nvalid = 0;
    int rc = FC_OK;

    *out = NULL;
    memset(&ld, 0, sizeof(ld));
    set = calloc(1, sizeof(*set));
    if (!set || (nfiles && !(order = calloc(nfiles, sizeof(*order)))) ||
        (nfiles && !(set->files = calloc(nfiles, sizeof(*set->files))))) {
        rc = fc_error_set(FC_ENOMEM, "out of memory loading specs");
        goto fail;
    }
    /* Files in path order: "first" in duplicate checks means this order. */
    for (size_t i = 0; i < nfiles; i++)
        order[i] = (file_ref){&files[i], i};
    sort(order, nfiles, sizeof(*order), file_ref_cmp);
    for (size_t i = 0; i < nfiles; i++) {
        set->files[i] = fc_strdup(order[i].f->path);
        if (!set->files[i]) {
            rc = fc_error_set(FC_ENOMEM, "out of memory loading specs");
            goto fail;
        }
        set->nfiles++;
    }
    for (size_t i = 0; i < nfiles; i++) {
        rc = load_file(&ld, set->files[i], order[i].f->data, order[i].f->len);
        if (rc)
            goto fail;
    }
    if ((rc = check_objects(&ld)) != FC_OK)
        goto fail;

    for (size_t i = 0; i < ld.nrecs; i++)
        nvalid += ld.recs[i].valid;
    if (nvalid && !(set->objects = calloc(nvalid, sizeof(*set->objects)))) {
        rc = fc_error_set(FC_ENOMEM, "out of memory loading specs");
        goto fail;
    }
    for (size_t i = 0; i < ld.nrecs; i++) {
        record *r = &ld.recs[i];
        fc_object *o;
        if (!r->valid)
            continue;
        o = &set->objects[set->nobjects++];
        o->kind = (fc_kind)r->kind;
        o->api_version = r->doc->api_version;
        o->metadata = r->doc->metadata;
        o->file = r->file;
        o->line = r->line;
        o->spec.any = r->doc->spec;
        o->raw = r->doc;
        switch (o->kind) {
        case FC_KIND_ACCOUNT: o->suspended = o->spec.account->suspend; break;
        case FC_KIND_POLICY: o->suspended = o->spec.policy->suspend; break;
        case FC_KIND_BUDGET: o->suspended = o->spec.budget->suspend; break;
        case FC_KIND_OPTIMIZATION: o->suspended = o->spec.optimization->suspend; break;
        case FC_KIND_SCHEDULE: o->suspended = o->spec.schedule->suspend; break;
        case FC_KIND__COUNT: break;
        }
        r->doc = NULL; /* the set owns it now */
    }
    sort(set->objects, set->nobjects, sizeof(*set->objects), obj_cmp);
    sort(ld.errors, ld.nerrors, sizeof(*ld.errors), err_cmp);
    set->errors = ld.errors;
    set->nerrors = ld.nerrors;
    ld.errors = NULL;
    ld.nerrors = 0;
    loader_dispose(&ld);
    free(order);
    *out = set;
    return FC_OK;

fail:
    loader_dispose(&ld);
    free(order);
    fc_spec_set_free(set);
    return rc < 0 ? rc : FC_ENOMEM;
}

void fc_spec_set_free(fc_spec_set *set)
{
    if (!set)
        return;
    for (size_t i = 0; i < set->nobjects; i++)
        fc_specs_doc_free(set->objects[i].kind, set->objects[i].raw);
    free(set->objects);
    for (size_t i = 0; i < set->nerrors; i++)
        error_dispose(&set->errors[i]);
    free(set->errors);
    for (size_t i = 0; i < set->nfiles; i++)
        free(set->files[i]);
    free(set->files);
    free(set);
}

void fc_spec_error_format(const fc_spec_error *e, char *buf, size_t size)
{
    char line[16] = "";

    if (!buf || size == 0)
        return;
    if (e->line)
        snprintf(line, sizeof(line), ":%u", e->line);
    snprintf(buf, size, "%s%s: %s%s%s", e->file ? e->file : "", line,
             e->field && *e->field ? e->field : "",
             e->field && *e->field ? ": " : "", e->message ? e->message : "");
}

typedef struct {
    fc_kind kind;
    const char *name;
} find_key;

static int find_cmp(const void *key, const void *elem)
{
    const find_key *k = key;
    const fc_object *o = elem;
    if (k->kind != o->kind)
        return k->kind < o->kind ? -1 : 1;
    return strcmp(k->name, o->metadata.name);
}

const fc_object *fc_specs_find(const fc_spec_set *set, fc_kind kind,
                               const char *name)
{
    find_key k = {kind, name};
    if (!set || !name || set->nobjects == 0)
        return NULL;
    return bsearch(&k, set->objects, set->nobjects, sizeof(*set->objects),
                   find_cmp);
}

int fc_specs_account_matches(const fc_spec_set *set, const char *entry,
                             const char *account_id)
{
    const fc_object *a;
    if (!entry || !account_id)
        return 0;
    if (strcmp(entry, account_id) == 0)
        return 1;
    a = set ? fc_specs_find(set, FC_KIND_ACCOUNT, entry) : NULL;
    return a && strcmp(a->spec.account->account_id, account_id) == 0;
}

int fc_specs_active_view(fc_spec_set *view, const fc_spec_set *set)
{
    size_t i;
    *view = *set;
    view->objects = NULL;
    view->nobjects = 0;
    if (!set->nobjects)
        return FC_OK;
    if (!(view->objects = calloc(set->nobjects, sizeof(*view->objects))))
        return fc_error_set(FC_ENOMEM, "out of memory");
    for (i = 0; i < set->nobjects; i++)
        if (!set->objects[i].suspended)
            view->objects[view->nobjects++] = set->objects[i];
    return FC_OK;
}

void fc_specs_view_dispose(fc_spec_set *view)
{
    free(view->objects);
    memset(view, 0, sizeof(*view));
}
