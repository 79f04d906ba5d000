/*
 * status.c - the status tree and its deterministic YAML emitter.
 *
 * Stage: last of a pass.  Reconcilers add json-c documents; this file turns
 * each into YAML, keys sorted at every level (a direct writer for the usual
 * shapes, libyaml's emitter for the rest, byte for byte alike), and keeps
 * (path, bytes) pairs that gitsync writes into the status commit.  The tree
 * owns its paths and bytes.
 */
#include "controller/status/fc_status.h"
#include "controller/core/fc_error.h"

#include <ctype.h>
#include <inttypes.h>
#include <strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/linkhash.h>
#include <stdint.h>
#include <yaml.h>

void fc_status_tree_init(fc_status_tree *t)
{
    t->files = NULL;
    t->n = 0;
    t->cap = 0;
    t->index = NULL;
    t->indexed = 0;
}

void fc_status_tree_dispose(fc_status_tree *t)
{
    size_t i;
    for (i = 0; i < t->n; i++) {
        free(t->files[i].path);
        free(t->files[i].data);
    }
    free(t->files);
    if (t->index)
        lh_table_free(t->index);
    fc_status_tree_init(t);
}

/* Position + 1 of path in files, 0 when absent.  Keys are the files' own
 * path strings, which never move. */
static size_t index_get(const fc_status_tree *t, const char *path)
{
    void *v = NULL;
    return lh_table_lookup_ex(t->index, path, &v) ? (size_t)(uintptr_t)v : 0;
}

/* Brings the index up to files[0..n), also files a caller appended by
 * hand; a duplicate keeps the first, as a scan would. */
static int index_sync(fc_status_tree *t)
{
    if (!t->index && !(t->index = lh_kchar_table_new(256, NULL)))
        return FC_ENOMEM;
    for (; t->indexed < t->n; t->indexed++) {
        const char *path = t->files[t->indexed].path;
        if (!index_get(t, path) &&
            lh_table_insert(t->index, path, (void *)(uintptr_t)(t->indexed + 1)) != 0)
            return FC_ENOMEM;
    }
    return FC_OK;
}

static fc_status_file *tree_slot(fc_status_tree *t, const char *path)
{
    size_t at;
    if (index_sync(t) != FC_OK)
        return NULL;
    if ((at = index_get(t, path)) != 0) {
        fc_status_file *f = &t->files[at - 1];
        free(f->data);
        f->data = NULL;
        return f;
    }
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        fc_status_file *p = realloc(t->files, cap * sizeof(*p));
        if (!p)
            return NULL;
        t->files = p;
        t->cap = cap;
    }
    t->files[t->n].path = fc_strdup(path);
    t->files[t->n].data = NULL;
    t->files[t->n].len = 0;
    if (!t->files[t->n].path ||
        lh_table_insert(t->index, t->files[t->n].path, (void *)(uintptr_t)(t->n + 1)) != 0) {
        free(t->files[t->n].path);
        return NULL;
    }
    t->indexed = t->n + 1;
    return &t->files[t->n++];
}

int fc_status_tree_add_raw(fc_status_tree *t, const char *path,
                           const char *data, size_t len)
{
    fc_status_file *f = tree_slot(t, path);
    if (!f)
        return fc_error_set(FC_ENOMEM, "out of memory adding %s", path);
    f->data = malloc(len + 1);
    if (!f->data)
        return fc_error_set(FC_ENOMEM, "out of memory adding %s", path);
    memcpy(f->data, data, len);
    f->data[len] = '\0';
    f->len = len;
    return FC_OK;
}

int fc_status_tree_add(fc_status_tree *t, const char *path,
                       struct json_object *doc)
{
    fc_buf b;
    int rc;
    fc_buf_init(&b);
    rc = fc_yaml_emit(&b, doc);
    if (rc == FC_OK)
        rc = fc_status_tree_add_raw(t, path, b.data ? b.data : "", b.len);
    fc_buf_dispose(&b);
    return rc;
}

static int file_cmp(const void *a, const void *b)
{
    return strcmp(((const fc_status_file *)a)->path,
                  ((const fc_status_file *)b)->path);
}

void fc_status_tree_sort(fc_status_tree *t)
{
    if (t->n > 1)
        qsort(t->files, t->n, sizeof(*t->files), file_cmp);
    /* Positions moved: the index is rebuilt on the next add. */
    if (t->index)
        lh_table_free(t->index);
    t->index = NULL;
    t->indexed = 0;
}

const fc_status_file *fc_status_tree_get(const fc_status_tree *t,
                                         const char *path)
{
    size_t i;
    if (t->index && t->indexed == t->n) { /* the index is current: no scan */
        i = index_get(t, path);
        return i ? &t->files[i - 1] : NULL;
    }
    for (i = 0; i < t->n; i++)
        if (strcmp(t->files[i].path, path) == 0)
            return &t->files[i];
    return NULL;
}

/* ---- YAML emitter ------------------------------------------------------ */

static int write_handler(void *data, unsigned char *buffer, size_t size)
{
    return fc_buf_append(data, buffer, size) == FC_OK;
}

/* A string that a YAML 1.1 reader would not read back as a string. */
static int needs_quotes(const char *s)
{
    static const char *const words[] = {
        "true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"};
    size_t i;
    char *end;

    if (!*s)
        return 1;
    /* Every word starts with one of these letters (either case). */
    if (strchr("tfyno~TFYNO", s[0]))
        for (i = 0; i < FC_ARRAY_LEN(words); i++)
            if (strcasecmp(s, words[i]) == 0)
                return 1;
    /* strtod can only consume all of s from one of these (space, sign,
     * digit, point, inf, nan); any other first byte leaves it unconsumed. */
    if (strchr(" \t\n\v\f\r+-.0123456789iInN", s[0])) {
        strtod(s, &end);
        if (*end == '\0')
            return 1;
    }
    /* Leading digits with ':' or '-' can read as sexagesimals or dates. */
    if (isdigit((unsigned char)s[0]) && strpbrk(s, ":-"))
        return 1;
    return 0;
}

static int emit(yaml_emitter_t *em, struct json_object *o);

static int emit_scalar(yaml_emitter_t *em, const char *s, int plain)
{
    yaml_event_t ev;
    yaml_scalar_style_t style = YAML_ANY_SCALAR_STYLE;

    if (!plain && needs_quotes(s))
        style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
    if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s,
                                      (int)strlen(s), 1, 1, style))
        return fc_error_set(FC_ENOMEM, "yaml scalar");
    if (!yaml_emitter_emit(em, &ev))
        return fc_error_set(FC_EIO, "yaml emit: %s",
                            em->problem ? em->problem : "failed");
    return FC_OK;
}

static int key_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int emit_object(yaml_emitter_t *em, struct json_object *o)
{
    yaml_event_t ev;
    const char **keys;
    size_t n = 0, i;
    int rc = FC_OK;
    int len = json_object_object_length(o);

    keys = calloc((size_t)(len ? len : 1), sizeof(*keys));
    if (!keys)
        return fc_error_set(FC_ENOMEM, "yaml keys");
    {
        json_object_object_foreach(o, k, v)
        {
            (void)v;
            keys[n++] = k;
        }
    }
    qsort(keys, n, sizeof(*keys), key_cmp);
    yaml_mapping_start_event_initialize(
        &ev, NULL, NULL, 1, n ? YAML_BLOCK_MAPPING_STYLE : YAML_FLOW_MAPPING_STYLE);
    if (!yaml_emitter_emit(em, &ev)) {
        rc = fc_error_set(FC_EIO, "yaml emit mapping");
        goto done;
    }
    for (i = 0; i < n && rc == FC_OK; i++) {
        rc = emit_scalar(em, keys[i], 0);
        if (rc == FC_OK)
            rc = emit(em, json_object_object_get(o, keys[i]));
    }
    if (rc == FC_OK) {
        yaml_mapping_end_event_initialize(&ev);
        if (!yaml_emitter_emit(em, &ev))
            rc = fc_error_set(FC_EIO, "yaml emit mapping end");
    }
done:
    free(keys);
    return rc;
}

static int emit_array(yaml_emitter_t *em, struct json_object *o)
{
    yaml_event_t ev;
    size_t n = json_object_array_length(o), i;
    int rc = FC_OK;

    yaml_sequence_start_event_initialize(
        &ev, NULL, NULL, 1,
        n ? YAML_BLOCK_SEQUENCE_STYLE : YAML_FLOW_SEQUENCE_STYLE);
    if (!yaml_emitter_emit(em, &ev))
        return fc_error_set(FC_EIO, "yaml emit sequence");
    for (i = 0; i < n && rc == FC_OK; i++)
        rc = emit(em, json_object_array_get_idx(o, i));
    if (rc)
        return rc;
    yaml_sequence_end_event_initialize(&ev);
    if (!yaml_emitter_emit(em, &ev))
        return fc_error_set(FC_EIO, "yaml emit sequence end");
    return FC_OK;
}

static int emit(yaml_emitter_t *em, struct json_object *o)
{
    char num[64];

    switch (json_object_get_type(o)) {
    case json_type_null:
        return emit_scalar(em, "null", 1);
    case json_type_boolean:
        return emit_scalar(em, json_object_get_boolean(o) ? "true" : "false", 1);
    case json_type_int:
        snprintf(num, sizeof(num), "%" PRId64, json_object_get_int64(o));
        return emit_scalar(em, num, 1);
    case json_type_double:
        /* fc_status_number() sets the text; others print round-trip exact. */
        return emit_scalar(em, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), 1);
    case json_type_string:
        return emit_scalar(em, json_object_get_string(o), 0);
    case json_type_object:
        return emit_object(em, o);
    case json_type_array:
        return emit_array(em, o);
    }
    return fc_error_set(FC_EINVALID, "unknown json type");
}

/* ---- direct writer ---------------------------------------------------------
 *
 * libyaml's emitter costs most of a 100k-resource pass.  The writer below
 * produces the same bytes for the documents the reconcilers build, and
 * gives up (the caller then uses libyaml) on anything outside the shapes
 * it knows: root not a mapping, a sequence directly in a sequence, a key
 * over 100 bytes, or a scalar with bytes outside printable ASCII or with
 * " \ # or a leading or trailing space.  The layout is libyaml's block
 * style with indent 2: sequences in mappings are not indented, a scalar
 * continues 2 past its collection, and plain, single- and double-quoted
 * scalars fold at the first space of a run once the column passes the
 * width (100), as libyaml's writers do.  Style choice follows libyaml's
 * analysis in block context: plain unless an indicator forbids it, then
 * single quotes; double quotes when needs_quotes() asks.
 */
#define DW_WIDTH 100

typedef struct {
    fc_buf *out;
    int column;
    int failed;     /* out of memory */
} dwriter;

static void dw_put(dwriter *w, const char *s, size_t n)
{
    fc_buf *b = w->out;
    /* Most pieces are a few bytes: copy in place while they fit. */
    if (b->data && b->len + n < b->cap) {
        memcpy(b->data + b->len, s, n);
        b->len += n;
        b->data[b->len] = '\0';
    } else if (fc_buf_append(b, s, n) != FC_OK) {
        w->failed = 1;
    }
    w->column += (int)n;
}

static void dw_indent(dwriter *w, int indent)
{
    static const char spaces[] = "                                                                ";
    if (fc_buf_append(w->out, "\n", 1) != FC_OK)
        w->failed = 1;
    w->column = 0;
    while (indent > 0) {
        int k = indent < 64 ? indent : 64;
        dw_put(w, spaces, (size_t)k);
        indent -= k;
    }
}

enum { DW_PLAIN, DW_SINGLE, DW_DOUBLE };

/* Style for s, or -1 when the writer does not handle it. */
static int dw_style(const char *s, int want_double)
{
    size_t n = strlen(s), i;
    int block_ind = 0;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '#')
            return -1;
    }
    if (want_double)
        return n && (s[0] == ' ' || s[n - 1] == ' ') ? -1 : DW_DOUBLE;
    if (!n || s[0] == ' ' || s[n - 1] == ' ')
        return -1;
    if (n >= 3 && (strncmp(s, "---", 3) == 0 || strncmp(s, "...", 3) == 0))
        block_ind = 1;
    if (strchr(",[]{}&*!|>%@`'", s[0]))
        block_ind = 1;
    if (strchr("?:-", s[0]) && (n == 1 || s[1] == ' '))
        block_ind = 1;
    for (i = 1; i < n && !block_ind; i++)
        if (s[i] == ':' && (i + 1 == n || s[i + 1] == ' '))
            block_ind = 1;
    return block_ind ? DW_SINGLE : DW_PLAIN;
}

/* Writes s[0..n), doubling ' in single quotes. */
static void dw_text_out(dwriter *w, const char *s, size_t n, int style)
{
    const char *q;
    while (style == DW_SINGLE && n && (q = memchr(s, '\'', n)) != NULL) {
        dw_put(w, s, (size_t)(q - s) + 1);
        dw_put(w, "'", 1);
        n -= (size_t)(q - s) + 1;
        s = q + 1;
    }
    dw_put(w, s, n);
}

/* Writes a scalar after its indicator (": " or "- " minus the space);
 * breaks only when allowed (values, not keys), continuing at indent. */
static void dw_scalar(dwriter *w, const char *s, int style, int breaks, int indent)
{
    size_t n = strlen(s), i, run = 0;
    int spaces = 0, runw = 0; /* runw: columns of the pending run */

    dw_put(w, " ", 1);
    if (style == DW_SINGLE)
        dw_put(w, "'", 1);
    else if (style == DW_DOUBLE)
        dw_put(w, "\"", 1);
    for (i = 0; i < n; i++) {
        int fold;
        if (s[i] != ' ') {
            run++;
            runw += style == DW_SINGLE && s[i] == '\'' ? 2 : 1;
            spaces = 0;
            continue;
        }
        fold = breaks && !spaces && w->column + runw > DW_WIDTH;
        if (style == DW_PLAIN)
            fold = fold && s[i + 1] != ' ';
        else if (style == DW_SINGLE)
            fold = fold && i != 0 && i != n - 1 && s[i + 1] != ' ';
        else
            fold = fold && i != 0 && i != n - 1;
        dw_text_out(w, s + i - run, run, style);
        run = 0;
        runw = 0;
        if (fold) {
            dw_indent(w, indent);
            if (style == DW_DOUBLE && s[i + 1] == ' ')
                dw_put(w, "\\", 1);
        } else {
            dw_put(w, " ", 1);
        }
        spaces = 1;
    }
    dw_text_out(w, s + n - run, run, style);
    if (style == DW_SINGLE)
        dw_put(w, "'", 1);
    else if (style == DW_DOUBLE)
        dw_put(w, "\"", 1);
}

/* Text and style of a scalar json value; 0 when not a scalar. */
static int dw_text(struct json_object *o, char *num, size_t size, const char **text,
                   int *want_double)
{
    *want_double = 0;
    switch (json_object_get_type(o)) {
    case json_type_null:
        *text = "null";
        return 1;
    case json_type_boolean:
        *text = json_object_get_boolean(o) ? "true" : "false";
        return 1;
    case json_type_int:
        snprintf(num, size, "%" PRId64, json_object_get_int64(o));
        *text = num;
        return 1;
    case json_type_double:
        *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
        return 1;
    case json_type_string:
        *text = json_object_get_string(o);
        *want_double = needs_quotes(*text);
        return 1;
    default:
        return 0;
    }
}

static int dw_mapping(dwriter *w, struct json_object *o, int indent, int inline_first);

/* A value after "key:" or "-": scalar, empty flow collection, or block. */
static int dw_value(dwriter *w, struct json_object *v, int indent, int in_sequence)
{
    char num[64];
    const char *text;
    int dq, style;

    if (dw_text(v, num, sizeof(num), &text, &dq)) {
        if ((style = dw_style(text, dq)) < 0)
            return 0;
        dw_scalar(w, text, style, 1, indent + 2);
        return 1;
    }
    if (json_object_is_type(v, json_type_object)) {
        if (json_object_object_length(v) == 0) {
            dw_put(w, " {}", 3);
            return 1;
        }
        if (in_sequence) {
            dw_put(w, " ", 1);
            return dw_mapping(w, v, indent + 2, 1);
        }
        return dw_mapping(w, v, indent + 2, 0);
    }
    if (json_object_is_type(v, json_type_array)) {
        size_t n = json_object_array_length(v), i;
        if (n == 0) {
            dw_put(w, " []", 3);
            return 1;
        }
        if (in_sequence)
            return 0; /* "- - x": not needed, left to libyaml */
        for (i = 0; i < n; i++) {
            dw_indent(w, indent); /* in a mapping: not indented */
            dw_put(w, "-", 1);
            if (!dw_value(w, json_object_array_get_idx(v, i), indent, 1))
                return 0;
        }
        return 1;
    }
    return 0;
}

/* A key with its value: sorting the pairs spares a lookup per key. */
typedef struct {
    const char *key;
    struct json_object *value;
} dw_pair;

static int pair_cmp(const void *a, const void *b)
{
    return strcmp(((const dw_pair *)a)->key, ((const dw_pair *)b)->key);
}

static int dw_mapping(dwriter *w, struct json_object *o, int indent, int inline_first)
{
    dw_pair stack_pairs[32], *pairs = stack_pairs;
    size_t n = 0, i;
    int len = json_object_object_length(o), ok = 1;

    if (len > 32 && !(pairs = malloc((size_t)len * sizeof(*pairs)))) {
        w->failed = 1;
        return 0;
    }
    {
        json_object_object_foreach(o, k, v)
        {
            pairs[n].key = k;
            pairs[n++].value = v;
        }
    }
    qsort(pairs, n, sizeof(*pairs), pair_cmp);
    for (i = 0; i < n && ok; i++) {
        const char *key = pairs[i].key;
        size_t klen = strlen(key);
        int style = klen > 100 ? -1 : dw_style(key, needs_quotes(key));
        if (style < 0) {
            ok = 0;
            break;
        }
        if (i > 0 || !inline_first)
            dw_indent(w, indent);
        /* A key is a simple key: no space before it, never folded. */
        if (style == DW_SINGLE)
            dw_put(w, "'", 1);
        else if (style == DW_DOUBLE)
            dw_put(w, "\"", 1);
        dw_text_out(w, key, klen, style);
        if (style == DW_SINGLE)
            dw_put(w, "'", 1);
        else if (style == DW_DOUBLE)
            dw_put(w, "\"", 1);
        dw_put(w, ":", 1);
        ok = dw_value(w, pairs[i].value, indent, 0);
    }
    if (pairs != stack_pairs)
        free(pairs);
    return ok;
}

/* 1 with the document in out, 0 (out unchanged) to use libyaml. */
static int direct_emit(fc_buf *out, struct json_object *doc)
{
    size_t mark = out->len;
    dwriter w;

    memset(&w, 0, sizeof(w));
    w.out = out;
    if (!json_object_is_type(doc, json_type_object) || json_object_object_length(doc) == 0)
        return 0;
    if (dw_mapping(&w, doc, 0, 1) && !w.failed) {
        if (fc_buf_append(out, "\n", 1) == FC_OK)
            return 1;
    }
    out->len = mark; /* the libyaml path appends from here */
    if (out->data)
        out->data[mark] = '\0';
    return 0;
}

int fc_yaml_emit_direct(fc_buf *out, struct json_object *doc)
{
    return direct_emit(out, doc) ? FC_OK : FC_EUNSUPPORTED;
}

int fc_yaml_emit(fc_buf *out, struct json_object *doc)
{
    if (direct_emit(out, doc))
        return FC_OK;
    return fc_yaml_emit_libyaml(out, doc);
}

int fc_yaml_emit_libyaml(fc_buf *out, struct json_object *doc)
{
    yaml_emitter_t em;
    yaml_event_t ev;
    int rc = FC_OK;

    if (!yaml_emitter_initialize(&em))
        return fc_error_set(FC_ENOMEM, "yaml emitter");
    yaml_emitter_set_output(&em, write_handler, out);
    yaml_emitter_set_unicode(&em, 1);
    yaml_emitter_set_width(&em, 100);
    yaml_emitter_set_indent(&em, 2);
    yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
    if (!yaml_emitter_emit(&em, &ev)) {
        rc = fc_error_set(FC_EIO, "yaml stream start");
        goto done;
    }
    yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
    if (!yaml_emitter_emit(&em, &ev)) {
        rc = fc_error_set(FC_EIO, "yaml document start");
        goto done;
    }
    if ((rc = emit(&em, doc)) != FC_OK)
        goto done;
    yaml_document_end_event_initialize(&ev, 1);
    if (!yaml_emitter_emit(&em, &ev)) {
        rc = fc_error_set(FC_EIO, "yaml document end");
        goto done;
    }
    yaml_stream_end_event_initialize(&ev);
    if (!yaml_emitter_emit(&em, &ev))
        rc = fc_error_set(FC_EIO, "yaml stream end");
done:
    yaml_emitter_delete(&em);
    return rc;
}

struct json_object *fc_status_number(double v, int decimals)
{
    char text[64];
    if (v == 0)
        v = 0; /* folds -0.0 so the text is stable */
    snprintf(text, sizeof(text), "%.*f", decimals, v);
    return json_object_new_double_s(v, text);
}

/* ---- conditions -------------------------------------------------------- */

/*
 * Finds, in a previous status document, the condition of `type` and copies
 * its status and lastTransitionTime.  Reads with libyaml's document API; a
 * previous file that does not parse simply has no conditions.
 */
static int prev_condition(const char *doc, size_t len, const char *type,
                          char *status, size_t ssize, char *ltt, size_t lsize)
{
    yaml_parser_t p;
    yaml_document_t d;
    yaml_node_t *root, *conds = NULL;
    yaml_node_pair_t *pair;
    yaml_node_item_t *item;
    int found = 0;

    if (!doc || !len)
        return 0;
    if (!yaml_parser_initialize(&p))
        return 0;
    yaml_parser_set_input_string(&p, (const unsigned char *)doc, len);
    if (!yaml_parser_load(&p, &d)) {
        yaml_parser_delete(&p);
        return 0;
    }
    root = yaml_document_get_root_node(&d);
    if (!root || root->type != YAML_MAPPING_NODE)
        goto done;
    /* conditions live at the top level or under status: */
    for (int depth = 0; depth < 2 && !conds && root; depth++) {
        yaml_node_t *next = NULL;
        for (pair = root->data.mapping.pairs.start;
             pair < root->data.mapping.pairs.top; pair++) {
            yaml_node_t *k = yaml_document_get_node(&d, pair->key);
            yaml_node_t *v = yaml_document_get_node(&d, pair->value);
            if (!k || k->type != YAML_SCALAR_NODE || !v)
                continue;
            if (strcmp((char *)k->data.scalar.value, "conditions") == 0 &&
                v->type == YAML_SEQUENCE_NODE)
                conds = v;
            else if (strcmp((char *)k->data.scalar.value, "status") == 0 &&
                     v->type == YAML_MAPPING_NODE)
                next = v;
        }
        root = next;
    }
    if (!conds)
        goto done;
    for (item = conds->data.sequence.items.start;
         item < conds->data.sequence.items.top && !found; item++) {
        yaml_node_t *c = yaml_document_get_node(&d, *item);
        const char *t = NULL, *s = NULL, *l = NULL;
        if (!c || c->type != YAML_MAPPING_NODE)
            continue;
        for (pair = c->data.mapping.pairs.start;
             pair < c->data.mapping.pairs.top; pair++) {
            yaml_node_t *k = yaml_document_get_node(&d, pair->key);
            yaml_node_t *v = yaml_document_get_node(&d, pair->value);
            if (!k || !v || k->type != YAML_SCALAR_NODE ||
                v->type != YAML_SCALAR_NODE)
                continue;
            if (strcmp((char *)k->data.scalar.value, "type") == 0)
                t = (char *)v->data.scalar.value;
            else if (strcmp((char *)k->data.scalar.value, "status") == 0)
                s = (char *)v->data.scalar.value;
            else if (strcmp((char *)k->data.scalar.value, "lastTransitionTime") == 0)
                l = (char *)v->data.scalar.value;
        }
        if (t && s && l && strcmp(t, type) == 0) {
            snprintf(status, ssize, "%s", s);
            snprintf(ltt, lsize, "%s", l);
            found = 1;
        }
    }
done:
    yaml_document_delete(&d);
    yaml_parser_delete(&p);
    return found;
}

int fc_status_condition(struct json_object *conds, const char *type,
                        int status, const char *reason, const char *message,
                        int64_t now, const char *prev_doc, size_t prev_len)
{
    struct json_object *c;
    const char *st = status ? "True" : "False";
    char prev_status[16], prev_ltt[64], ltt[64];

    if (prev_condition(prev_doc, prev_len, type, prev_status,
                       sizeof(prev_status), prev_ltt, sizeof(prev_ltt)) &&
        strcmp(prev_status, st) == 0)
        snprintf(ltt, sizeof(ltt), "%s", prev_ltt);
    else
        fc_time_format(ltt, sizeof(ltt), now);

    c = json_object_new_object();
    if (!c)
        return fc_error_set(FC_ENOMEM, "condition");
    json_object_object_add(c, "type", json_object_new_string(type));
    json_object_object_add(c, "status", json_object_new_string(st));
    json_object_object_add(c, "reason", json_object_new_string(reason));
    json_object_object_add(c, "message", json_object_new_string(message ? message : ""));
    json_object_object_add(c, "lastTransitionTime", json_object_new_string(ltt));
    json_object_array_add(conds, c);
    return FC_OK;
}
