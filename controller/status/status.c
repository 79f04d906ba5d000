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

#include <assert.h>
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

int fc_status_tree_reserve(fc_status_tree *t, size_t n)
{
    size_t size = 256;
    if (n > t->cap) {
        fc_status_file *p = realloc(t->files, n * sizeof(*p));
        if (!p)
            return fc_error_set(FC_ENOMEM, "out of memory reserving %zu status files", n);
        t->files = p;
        t->cap = n;
    }
    /* At most half full: json-c's table compares the path of every entry a
     * probe passes (it keeps no hashes), and each growth hashes every path
     * again. */
    while (size < 2 * n && size < ((size_t)1 << 30))
        size *= 2;
    if (t->index && (size_t)t->index->size >= size)
        return FC_OK;
    if (t->index)
        lh_table_free(t->index);
    t->indexed = 0;
    if (!(t->index = lh_kchar_table_new((int)size, NULL)) || index_sync(t) != FC_OK)
        return fc_error_set(FC_ENOMEM, "out of memory reserving %zu status files", n);
    return FC_OK;
}

static fc_status_file *tree_slot(fc_status_tree *t, const char *path)
{
    struct lh_entry *e;
    unsigned long h;
    if (index_sync(t) != FC_OK)
        return NULL;
    /* One hash for the lookup and the insert: a pass adds ~75,000 files. */
    h = lh_get_hash(t->index, path);
    if ((e = lh_table_lookup_entry_w_hash(t->index, path, h)) != NULL) {
        fc_status_file *f = &t->files[(size_t)(uintptr_t)lh_entry_v(e) - 1];
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
        lh_table_insert_w_hash(t->index, t->files[t->n].path,
                               (void *)(uintptr_t)(t->n + 1), h, 0) != 0) {
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

int fc_status_tree_add_take(fc_status_tree *t, const char *path, char *data,
                            size_t len)
{
    fc_status_file *f = tree_slot(t, path);
    char *fit;
    if (!f) {
        free(data);
        return fc_error_set(FC_ENOMEM, "out of memory adding %s", path);
    }
    /* Shrinking cannot fail in practice; if it does, the larger block serves. */
    if ((fit = realloc(data, len + 1)) != NULL)
        data = fit;
    data[len] = '\0';
    f->data = data;
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
    if (rc == FC_OK && b.data) {
        size_t len = b.len;
        return fc_status_tree_add_take(t, path, fc_buf_detach(&b), len);
    }
    if (rc == FC_OK)
        rc = fc_status_tree_add_raw(t, path, "", 0);
    fc_buf_dispose(&b);
    return rc;
}

static int file_cmp(const void *a, const void *b)
{
    return strcmp(((const fc_status_file *)a)->path,
                  ((const fc_status_file *)b)->path);
}

/* Sorts f[0..n) by path.  A pass adds each directory in name order, so
 * the array is a few sorted runs: they are merged pairwise, about n
 * comparisons per round and a handful of rounds, where qsort would make
 * n log n.  Many short runs, or no memory, leave it to qsort. */
static void sort_files(fc_status_file *f, size_t n)
{
    size_t *run, nrun = 0, i, cap = 64;
    fc_status_file *tmp, *src = f, *dst;

    if (!(run = malloc((cap + 1) * sizeof(*run))))
        goto fallback;
    for (i = 0; i < n; i++)
        if (i == 0 || strcmp(f[i - 1].path, f[i].path) > 0) {
            if (nrun == cap)
                goto fallback;
            run[nrun++] = i;
        }
    run[nrun] = n;
    if (nrun == 1) {
        free(run);
        return;
    }
    if (!(tmp = malloc(n * sizeof(*tmp))))
        goto fallback;
    dst = tmp;
    while (nrun > 1) {
        size_t r, k = 0;
        for (r = 0; r < nrun; r += 2) {
            size_t a = run[r], am = run[r + 1], b = am, bm = r + 2 <= nrun ? run[r + 2] : am;
            size_t o = a; /* an odd run out (r + 1 == nrun) is copied as it is */
            /* Stable: on equal paths the earlier run's file comes first. */
            while (a < am && b < bm)
                dst[o++] = strcmp(src[b].path, src[a].path) < 0 ? src[b++] : src[a++];
            while (a < am)
                dst[o++] = src[a++];
            while (b < bm)
                dst[o++] = src[b++];
            run[k++] = run[r];
        }
        run[k] = n;
        nrun = k;
        dst = src;
        src = src == f ? tmp : f;
    }
    if (src != f)
        memcpy(f, src, n * sizeof(*f));
    free(tmp);
    free(run);
    return;
fallback:
    free(run);
    qsort(f, n, sizeof(*f), file_cmp);
}

void fc_status_tree_sort(fc_status_tree *t)
{
    if (t->n > 1)
        sort_files(t->files, t->n);
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

/* Classes of a scalar's first byte, for needs_quotes() and dw_style(). */
enum {
    FB_WORD = 1,  /* starts a word of needs_quotes(), either case */
    FB_NUM = 2,   /* strtod may consume all from it: space, sign, digit, point, inf, nan */
    FB_IND = 4,   /* an indicator: never plain */
    FB_IND2 = 8,  /* an indicator when alone or before a space */
};

static const unsigned char first_byte[256] = {
    ['t'] = FB_WORD, ['f'] = FB_WORD, ['y'] = FB_WORD, ['o'] = FB_WORD, ['~'] = FB_WORD,
    ['T'] = FB_WORD, ['F'] = FB_WORD, ['Y'] = FB_WORD, ['O'] = FB_WORD,
    ['n'] = FB_WORD | FB_NUM, ['N'] = FB_WORD | FB_NUM, ['i'] = FB_NUM, ['I'] = FB_NUM,
    [' '] = FB_NUM, ['\t'] = FB_NUM, ['\n'] = FB_NUM, ['\v'] = FB_NUM, ['\f'] = FB_NUM,
    ['\r'] = FB_NUM, ['+'] = FB_NUM, ['.'] = FB_NUM, ['-'] = FB_NUM | FB_IND2,
    ['0'] = FB_NUM, ['1'] = FB_NUM, ['2'] = FB_NUM, ['3'] = FB_NUM, ['4'] = FB_NUM,
    ['5'] = FB_NUM, ['6'] = FB_NUM, ['7'] = FB_NUM, ['8'] = FB_NUM, ['9'] = FB_NUM,
    [','] = FB_IND, ['['] = FB_IND, [']'] = FB_IND, ['{'] = FB_IND, ['}'] = FB_IND,
    ['&'] = FB_IND, ['*'] = FB_IND, ['!'] = FB_IND, ['|'] = FB_IND, ['>'] = FB_IND,
    ['%'] = FB_IND, ['@'] = FB_IND, ['`'] = FB_IND, ['\''] = FB_IND,
    ['?'] = FB_IND2, [':'] = FB_IND2,
};

/* Bytes strtod() may consume after a leading digit, '-' aside: decimal and
 * hexadecimal digits, points, exponents and their signs. */
static const unsigned char after_digit[256] = {
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1,
    ['7'] = 1, ['8'] = 1, ['9'] = 1, ['.'] = 1, ['+'] = 1, ['x'] = 1, ['X'] = 1,
    ['p'] = 1, ['P'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1,
    ['f'] = 1, ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
};

/* 1 when s[0..n) is, in any case, a word a YAML 1.1 reader takes for a
 * bool or a null. */
static int yaml11_word(const char *s, size_t n)
{
    static const char *const words[] = {
        "true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"};
    static const unsigned char lens[] = {4, 5, 3, 2, 2, 3, 4, 1, 1, 1};
    size_t i;
    for (i = 0; i < FC_ARRAY_LEN(words); i++)
        if (lens[i] == n && strncasecmp(s, words[i], n) == 0)
            return 1;
    return 0;
}

/* A string that a YAML 1.1 reader would not read back as a string. */
static int needs_quotes(const char *s)
{
    unsigned char first = (unsigned char)s[0];
    size_t i, n;
    char *end;

    if (!first)
        return 1;
    if ((first_byte[first] & FB_WORD) && (n = strnlen(s, 6)) <= 5 && yaml11_word(s, n))
        return 1;
    /* Any other first byte leaves strtod nothing to consume. */
    if (isdigit(first)) {
        /* Account ids and sizes: all digits is a number, no strtod needed. */
        for (i = 1; isdigit((unsigned char)s[i]); i++)
            ;
        if (s[i] == '\0')
            return 1;
        /* Leading digits with ':' or '-' can read as sexagesimals or dates
         * (timestamps): quoted whatever strtod says. */
        if (strpbrk(s + i, ":-"))
            return 1;
        /* strtod reads the whole string only if every byte can be a number's. */
        for (; s[i]; i++)
            if (!after_digit[(unsigned char)s[i]])
                return 0;
    } else if ((first | 0x20) == 'n' || (first | 0x20) == 'i') {
        /* strtod reads letters only as "nan" or "inf". */
        if (strncasecmp(s, "nan", 3) != 0 && strncasecmp(s, "inf", 3) != 0)
            return 0;
    }
    if (first_byte[first] & FB_NUM) {
        strtod(s, &end);
        if (*end == '\0')
            return 1;
    }
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
 *
 * It renders a document's events (fc_yw) as they come, with a frame per
 * open collection: json-c documents are sent as events with their keys
 * sorted, streaming callers send theirs as they go.  So both kinds share one
 * layout and one set of quoting rules, and a long document needs no tree
 * and, bounded, no event log.  An event it does not handle stops it; the
 * event log then goes to libyaml.
 */
#define DW_WIDTH 100

static int libyaml_run(fc_buf *out, int (*body)(yaml_emitter_t *, void *), void *payload);

typedef fc_yw dwriter; /* the renderer's state lives in the writer */

static int yw_fail(fc_yw *w, int rc);

/* Where w renders: its own text unless fc_yaml_emit lent a buffer. */
static fc_buf *yw_out(fc_yw *w)
{
    return w->out ? w->out : &w->text;
}

static void dw_append(dwriter *w, fc_buf *b, const char *s, size_t n)
{
    if (fc_buf_append(b, s, n) != FC_OK)
        yw_fail(w, FC_ENOMEM);
}

static inline void dw_put(dwriter *w, const char *s, size_t n)
{
    fc_buf *b = yw_out(w);
    /* Most pieces are a few bytes: copy in place while they fit. */
    if (b->data && b->len + n < b->cap) {
        memcpy(b->data + b->len, s, n);
        b->len += n;
        b->data[b->len] = '\0';
    } else {
        dw_append(w, b, s, n);
    }
    w->column += (int)n;
}

static void dw_indent(dwriter *w, int indent)
{
    static const char spaces[] = "                                                                ";
    dw_put(w, "\n", 1);
    w->column = 0;
    while (indent > 0) {
        int k = indent < 64 ? indent : 64;
        dw_put(w, spaces, (size_t)k);
        indent -= k;
    }
}

enum { DW_PLAIN, DW_SINGLE, DW_DOUBLE };

#define DW_ONES 0x0101010101010101ULL
#define DW_HIGH 0x8080808080808080ULL

/* 1 when a byte of the 8 in x is one dw_style() must look at: a control
 * byte, DEL or non-ASCII, '"', '\\', '#' or ':'.  The tests are exact for
 * "any byte" (Mycroft's zero-byte test), so a 0 is never wrong. */
static int dw_word_needs_look(uint64_t x)
{
#define DW_ZERO(v) (((v) - DW_ONES) & ~(v) & DW_HIGH)
    uint64_t low = (x - DW_ONES * 0x20) & ~x & DW_HIGH; /* < 0x20 (ASCII bytes) */
    return ((x & DW_HIGH) | low | DW_ZERO(x ^ (DW_ONES * 0x7f)) |
            DW_ZERO(x ^ (DW_ONES * '"')) | DW_ZERO(x ^ (DW_ONES * '\\')) |
            DW_ZERO(x ^ (DW_ONES * '#')) | DW_ZERO(x ^ (DW_ONES * ':'))) != 0;
#undef DW_ZERO
}

/* Style for s[0..n), or -1 when the writer does not handle it. */
static int dw_style(const char *s, size_t n, int want_double)
{
    size_t i = 0, end;
    int block_ind = 0;

    while (i < n) {
        if (i + 8 <= n) {
            uint64_t x;
            memcpy(&x, s + i, 8);
            if (!dw_word_needs_look(x)) { /* messages are long: 8 at a time */
                i += 8;
                continue;
            }
        }
        for (end = i + 8 < n ? i + 8 : n; i < end; i++) {
            unsigned char c = (unsigned char)s[i];
            if (c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '#')
                return -1;
            /* ": " or a final ':' after the first byte */
            if (c == ':' && i && (i + 1 == n || s[i + 1] == ' '))
                block_ind = 1;
        }
    }
    if (want_double)
        return n && (s[0] == ' ' || s[n - 1] == ' ') ? -1 : DW_DOUBLE;
    if (!n || s[0] == ' ' || s[n - 1] == ' ')
        return -1;
    if (n >= 3 && (memcmp(s, "---", 3) == 0 || memcmp(s, "...", 3) == 0))
        block_ind = 1;
    if (first_byte[(unsigned char)s[0]] & FB_IND)
        block_ind = 1;
    if ((first_byte[(unsigned char)s[0]] & FB_IND2) && (n == 1 || s[1] == ' '))
        block_ind = 1;
    return block_ind ? DW_SINGLE : DW_PLAIN;
}

static void dw_quote(dwriter *w, int style)
{
    if (style == DW_SINGLE)
        dw_put(w, "'", 1);
    else if (style == DW_DOUBLE)
        dw_put(w, "\"", 1);
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

/* Writes a value scalar s[0..n) (NUL-terminated) after its indicator
 * (": " or "- " minus the space), continuing folded lines at indent. */
static void dw_scalar(dwriter *w, const char *s, size_t n, int style, int indent)
{
    size_t i, run = 0;
    int spaces = 0, runw = 0; /* runw: columns of the pending run */

    dw_put(w, " ", 1);
    dw_quote(w, style);
    /* Ends before the width: no space can fold, nothing to look at. */
    if (w->column + (int)n + 1 <= DW_WIDTH && (style != DW_SINGLE || !memchr(s, '\'', n))) {
        dw_put(w, s, n);
        dw_quote(w, style);
        return;
    }
    for (i = 0; i < n; i++) {
        int fold;
        if (s[i] != ' ') { /* a word: to the next space at once */
            const char *sp = memchr(s + i, ' ', n - i);
            size_t end = sp ? (size_t)(sp - s) : n, k;
            run += end - i;
            runw += (int)(end - i);
            if (style == DW_SINGLE)
                for (k = i; k < end; k++)
                    runw += s[k] == '\'';
            spaces = 0;
            i = end - 1;
            continue;
        }
        fold = !spaces && w->column + runw > DW_WIDTH;
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
    dw_quote(w, style);
}

/* A key is a simple key: no space before it, never folded. */
/* Bytes a plain word may hold after its first letter. */
static const unsigned char word_byte[256] = {
    ['-'] = 1, ['.'] = 1, ['/'] = 1, ['_'] = 1,
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1,
    ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1,
    ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1,
    ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1,
    ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1,
    ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1,
    ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1,
    ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1,
};

/* 1 when the word s[0..n) (n <= 8, letters, digits and "-./_") is one
 * needs_quotes() objects to: a YAML 1.1 bool or null, or what strtod
 * reads whole from a letter (nan, inf, infinity), in any case. */
static int special_word(const char *s, size_t n)
{
    return yaml11_word(s, n) ||
           (n == 3 && (strncasecmp(s, "nan", 3) == 0 || strncasecmp(s, "inf", 3) == 0)) ||
           (n == 8 && strncasecmp(s, "infinity", 8) == 0);
}

/* 1 when s[0..n) is a word written plain whatever the checks: a letter,
 * then letters, digits and "-./_".  Such a word has no indicator, space or
 * ':', so dw_style() says plain; needs_quotes() can only object to one
 * starting with a flagged letter that is a special_word().  Most keys and
 * ids are words, and they skip both. */
static int plain_word(const char *s, size_t n)
{
    unsigned char c = (unsigned char)s[0];
    size_t i;
    if (!n || !isalpha(c) || c > 0x7f)
        return 0;
    for (i = 1; i < n; i++)
        if (!word_byte[(unsigned char)s[i]])
            return 0;
    return !(first_byte[c] && n <= 8 && special_word(s, n));
}

static int dw_key(dwriter *w, const char *key, size_t n)
{
    int style;
    if (n <= 100 && plain_word(key, n)) {
        dw_put(w, key, n);
        dw_put(w, ":", 1);
        return 1;
    }
    style = n > 100 ? -1 : dw_style(key, n, needs_quotes(key));
    if (style < 0)
        return 0;
    dw_quote(w, style);
    dw_text_out(w, key, n, style);
    dw_quote(w, style);
    dw_put(w, ":", 1);
    return 1;
}

/* ---- event log ----------------------------------------------------------
 *
 * One byte per event; keys and scalars follow theirs with a 4-byte length
 * and their bytes, NUL-terminated.  EV_STR is a string (quoted when a
 * reader would take it for something else), EV_PLAIN the text of a null,
 * bool or number.
 */
enum {
    EV_MAP = 'M',
    EV_MAP_END = 'm',
    EV_SEQ = 'S',
    EV_SEQ_END = 's',
    EV_KEY = 'K',
    EV_STR = 'Q',
    EV_PLAIN = 'P',
};

typedef struct {
    const char *p, *end;
} ycur;

static int cur_peek(const ycur *c)
{
    return c->p < c->end ? (unsigned char)*c->p : 0;
}

static int cur_next(ycur *c, const char **s, size_t *n)
{
    int ev = cur_peek(c);
    uint32_t len;

    *s = NULL;
    *n = 0;
    if (!ev)
        return 0;
    c->p++;
    if (ev == EV_KEY || ev == EV_STR || ev == EV_PLAIN) {
        memcpy(&len, c->p, sizeof(len));
        *s = c->p + sizeof(len);
        *n = len;
        c->p += sizeof(len) + len + 1;
    }
    return ev;
}

/* The log's events through libyaml, as emit() sends a json-c document. */
static int replay(yaml_emitter_t *em, void *payload)
{
    ycur *c = payload;
    yaml_event_t ev;
    const char *s;
    size_t n;
    int rc = FC_OK, e, empty;

    while (rc == FC_OK && (e = cur_next(c, &s, &n)) != 0) {
        switch (e) {
        case EV_KEY:
        case EV_STR:
            rc = emit_scalar(em, s, 0);
            continue;
        case EV_PLAIN:
            rc = emit_scalar(em, s, 1);
            continue;
        case EV_MAP:
            empty = cur_peek(c) == EV_MAP_END;
            yaml_mapping_start_event_initialize(
                &ev, NULL, NULL, 1, empty ? YAML_FLOW_MAPPING_STYLE : YAML_BLOCK_MAPPING_STYLE);
            break;
        case EV_MAP_END:
            yaml_mapping_end_event_initialize(&ev);
            break;
        case EV_SEQ:
            empty = cur_peek(c) == EV_SEQ_END;
            yaml_sequence_start_event_initialize(
                &ev, NULL, NULL, 1,
                empty ? YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE);
            break;
        default:
            yaml_sequence_end_event_initialize(&ev);
            break;
        }
        if (!yaml_emitter_emit(em, &ev))
            rc = fc_error_set(FC_EIO, "yaml emit: %s", em->problem ? em->problem : "failed");
    }
    return rc;
}

/* ---- streaming writer ---------------------------------------------------- */

/* Buffers kept for the next document up to this size; a larger rendering
 * moves into the status tree, a larger log is freed. */
#define YW_KEEP ((size_t)256 * 1024)

void fc_yw_init(fc_yw *w)
{
    memset(w, 0, sizeof(*w));
    fc_buf_init(&w->log);
    fc_buf_init(&w->text);
    w->direct = 1;
}

void fc_yw_dispose(fc_yw *w)
{
    fc_buf_dispose(&w->log);
    fc_buf_dispose(&w->text);
    fc_yw_init(w);
}

void fc_yw_bound(fc_yw *w, size_t bytes)
{
    w->bound = bytes;
}

void fc_yw_reset(fc_yw *w)
{
    fc_buf *out = yw_out(w);

    if (w->log.cap > YW_KEEP)
        fc_buf_dispose(&w->log);
    w->log.len = 0;
    if (w->log.data)
        w->log.data[0] = '\0';
    if (!w->out) {
        if (w->text.cap > YW_KEEP)
            fc_buf_dispose(&w->text);
        w->text.len = 0;
        if (w->text.data)
            w->text.data[0] = '\0';
    }
    w->mark = out->len;
    w->column = 0;
    w->direct = 1;
    w->unlogged = 0;
    w->depth = 0;
    w->done = 0;
    w->rc = FC_OK;
    w->prev.read = 0; /* the next document has other previous bytes */
}

static int yw_fail(fc_yw *w, int rc)
{
    if (w->rc == FC_OK)
        w->rc = rc;
    return w->rc;
}

/* The direct writer gives up on the document: libyaml renders it from the
 * log, if the log is still whole. */
static void rd_stop(fc_yw *w)
{
    w->direct = 0;
    if (w->unlogged)
        yw_fail(w, fc_error_set(FC_EUNSUPPORTED,
                                "yaml writer: a document past its %zu-byte event bound "
                                "needs libyaml",
                                w->bound));
}

/* The dash of an item of the innermost (sequence) collection. */
static void rd_item(fc_yw *w)
{
    if (w->open[w->depth - 1].nested) {
        rd_stop(w); /* "- - x": not needed, left to libyaml */
        return;
    }
    w->open[w->depth - 1].empty = 0;
    dw_indent(w, w->open[w->depth - 1].indent);
    dw_put(w, "-", 1);
}

static void rd_scalar(fc_yw *w, int ev, const char *s, size_t n)
{
    int style;
    if (w->depth == 0) {
        rd_stop(w); /* the root is a mapping */
        return;
    }
    if (w->open[w->depth - 1].seq && (rd_item(w), !w->direct))
        return;
    if (plain_word(s, n))
        dw_scalar(w, s, n, DW_PLAIN, w->open[w->depth - 1].indent + 2);
    else if ((style = dw_style(s, n, ev == EV_STR && needs_quotes(s))) < 0)
        rd_stop(w);
    else
        dw_scalar(w, s, n, style, w->open[w->depth - 1].indent + 2);
}

static void rd_key(fc_yw *w, const char *key, size_t n)
{
    int d = w->depth - 1;
    if (!w->open[d].empty || !w->open[d].inline_first)
        dw_indent(w, w->open[d].indent);
    else if (d > 0)
        dw_put(w, " ", 1); /* a mapping as a sequence item starts after "- " */
    w->open[d].empty = 0;
    if (!dw_key(w, key, n))
        rd_stop(w);
}

/* Drops the events but the open mappings' last keys (for the order check):
 * the document is rendered so far, and nothing will replay it. */
static void yw_compact(fc_yw *w)
{
    size_t at = 0;
    int d;
    for (d = 0; d < w->depth; d++) {
        size_t k = w->open[d].last_key, len;
        if (!k)
            continue;
        len = 5 + strlen(w->log.data + k) + 1;
        memmove(w->log.data + at, w->log.data + k - 5, len);
        w->open[d].last_key = at + 5;
        at += len;
    }
    w->log.len = at;
    w->log.data[at] = '\0';
    w->unlogged = 1;
}

/* Room for n more bytes of log (and its NUL); NULL on OOM. */
static char *yw_room(fc_yw *w, size_t n)
{
    fc_buf *b = &w->log;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        char *p;
        while (cap < b->len + n + 1)
            cap *= 2;
        if (!(p = realloc(b->data, cap)))
            return NULL;
        b->data = p;
        b->cap = cap;
    }
    return b->data + b->len;
}

/* Appends an event, with its text for keys and scalars. */
static int yw_record(fc_yw *w, int ev, const char *s, size_t n)
{
    size_t need = ev == EV_KEY || ev == EV_STR || ev == EV_PLAIN ? 1 + 4 + n + 1 : 1;
    uint32_t len = (uint32_t)n;
    char *p;

    if (n > UINT32_MAX)
        return yw_fail(w, fc_error_set(FC_ELIMIT, "yaml writer: scalar of %zu bytes", n));
    if (w->bound && w->direct && w->log.len + need > w->bound)
        yw_compact(w);
    if (!(p = yw_room(w, need)))
        return yw_fail(w, fc_error_set(FC_ENOMEM, "yaml writer"));
    *p = (char)ev;
    if (need > 1) {
        memcpy(p + 1, &len, 4);
        memcpy(p + 5, s, n);
        p[5 + n] = '\0';
    }
    w->log.len += need;
    w->log.data[w->log.len] = '\0';
    return FC_OK;
}

/* Takes the place of a value: the root, an item, or after a key. */
static int yw_value_slot(fc_yw *w)
{
    if (w->rc != FC_OK)
        return w->rc;
    if (w->depth == 0) {
        if (w->done)
            return yw_fail(w, fc_error_set(FC_EINVALID, "yaml writer: a second root value"));
        return FC_OK;
    }
    if (!w->open[w->depth - 1].seq) {
        if (!w->open[w->depth - 1].keyed)
            return yw_fail(w, fc_error_set(FC_EINVALID, "yaml writer: a value without a key"));
        w->open[w->depth - 1].keyed = 0;
    }
    return FC_OK;
}

static int yw_scalar(fc_yw *w, int ev, const char *s, size_t n)
{
    if (yw_value_slot(w) != FC_OK)
        return w->rc;
    if (w->direct)
        rd_scalar(w, ev, s, n);
    if (yw_record(w, ev, s, n) != FC_OK)
        return w->rc;
    if (w->depth == 0)
        w->done = 1;
    return w->rc;
}

static int yw_open(fc_yw *w, int seq)
{
    int d = w->depth;

    if (yw_value_slot(w) != FC_OK)
        return w->rc;
    if (d == FC_YW_DEPTH)
        return yw_fail(w, fc_error_set(FC_ELIMIT, "yaml writer: over %d levels", FC_YW_DEPTH));
    if (w->direct && d == 0 && seq)
        rd_stop(w); /* the root is a mapping */
    else if (w->direct && d > 0 && w->open[d - 1].seq)
        rd_item(w);
    if (yw_record(w, seq ? EV_SEQ : EV_MAP, NULL, 0) != FC_OK)
        return w->rc;
    w->open[d].seq = (char)seq;
    w->open[d].keyed = 0;
    w->open[d].last_key = 0;
    w->open[d].empty = 1;
    /* A mapping's keys sit 2 past its parent's; a sequence in a mapping is
     * not indented. */
    w->open[d].indent = d == 0 ? 0 : w->open[d - 1].indent + (seq ? 0 : 2);
    w->open[d].inline_first = (char)(d == 0 || w->open[d - 1].seq);
    w->open[d].nested = (char)(seq && d > 0 && w->open[d - 1].seq);
    w->depth++;
    return w->rc;
}

static int yw_close(fc_yw *w, int seq)
{
    if (w->rc != FC_OK)
        return w->rc;
    if (w->depth == 0 || w->open[w->depth - 1].seq != seq || w->open[w->depth - 1].keyed)
        return yw_fail(w, fc_error_set(FC_EINVALID, "yaml writer: unbalanced %s end",
                                       seq ? "sequence" : "mapping"));
    if (w->direct && w->open[w->depth - 1].empty) {
        if (w->depth == 1)
            rd_stop(w); /* an empty root: libyaml's "{}" */
        else
            dw_put(w, seq ? " []" : " {}", 3);
    }
    if (w->direct && w->depth == 1)
        dw_put(w, "\n", 1);
    if (yw_record(w, seq ? EV_SEQ_END : EV_MAP_END, NULL, 0) != FC_OK)
        return w->rc;
    if (--w->depth == 0)
        w->done = 1;
    return w->rc;
}

int fc_yw_map_begin(fc_yw *w) { return yw_open(w, 0); }
int fc_yw_map_end(fc_yw *w) { return yw_close(w, 0); }
int fc_yw_seq_begin(fc_yw *w) { return yw_open(w, 1); }
int fc_yw_seq_end(fc_yw *w) { return yw_close(w, 1); }

int fc_yw_key(fc_yw *w, const char *key)
{
    size_t n = strlen(key), at;

    if (w->rc != FC_OK)
        return w->rc;
    if (w->depth == 0 || w->open[w->depth - 1].seq || w->open[w->depth - 1].keyed)
        return yw_fail(w, fc_error_set(FC_EINVALID, "yaml writer: key \"%s\" out of place",
                                       key));
    at = w->open[w->depth - 1].last_key;
    /* fc_yaml_emit sorts keys: writing them sorted gives its bytes.  Most
     * keys differ from the last one in their first byte. */
    if (at && (unsigned char)w->log.data[at] >= (unsigned char)key[0] &&
        strcmp(w->log.data + at, key) >= 0)
        return yw_fail(w, fc_error_set(FC_EINVALID,
                                       "yaml writer: key \"%s\" after \"%s\", not in order",
                                       key, w->log.data + at));
    if (w->direct)
        rd_key(w, key, n);
    if (yw_record(w, EV_KEY, key, n) != FC_OK)
        return w->rc;
    /* After the record: a compaction may have moved the log. */
    w->open[w->depth - 1].last_key = w->log.len - n - 1;
    w->open[w->depth - 1].keyed = 1;
    return w->rc;
}

int fc_yw_str(fc_yw *w, const char *s)
{
    return s ? yw_scalar(w, EV_STR, s, strlen(s)) : yw_scalar(w, EV_PLAIN, "null", 4);
}

int fc_yw_kstr(fc_yw *w, const char *key, const char *s)
{
    int rc = fc_yw_key(w, key);
    return rc != FC_OK ? rc : fc_yw_str(w, s);
}

int fc_yw_int(fc_yw *w, int64_t v)
{
    char num[32];
    snprintf(num, sizeof(num), "%" PRId64, v);
    return yw_scalar(w, EV_PLAIN, num, strlen(num));
}

int fc_yw_bool(fc_yw *w, int v)
{
    return v ? yw_scalar(w, EV_PLAIN, "true", 4) : yw_scalar(w, EV_PLAIN, "false", 5);
}

/* The text fc_status_number() gives the value: printf's "%.*f". */
static void number_text(char *text, size_t size, double v, int decimals)
{
    if (v == 0)
        v = 0; /* folds -0.0 so the text is stable */
    fc_fixed_text(text, size, v, decimals);
}

int fc_yw_number(fc_yw *w, double v, int decimals)
{
    char text[64];
    number_text(text, sizeof(text), v, decimals);
    return yw_scalar(w, EV_PLAIN, text, strlen(text));
}

/* The complete document into w's own text: the direct rendering, else
 * libyaml's from the log. */
static int yw_render(fc_yw *w)
{
    ycur c = {w->log.data, w->log.data + w->log.len};
    if (w->rc != FC_OK)
        return w->rc;
    if (w->depth || !w->done)
        return fc_error_set(FC_EINVALID, "yaml writer: document not complete");
    assert(!w->out);
    if (w->direct)
        return FC_OK;
    w->text.len = 0;
    return libyaml_run(&w->text, replay, &c);
}

int fc_yw_finish(fc_yw *w, fc_buf *out)
{
    int rc = yw_render(w);
    if (rc == FC_OK)
        rc = fc_buf_append(out, w->text.data ? w->text.data : "", w->text.len);
    fc_yw_reset(w);
    return rc;
}

int fc_status_tree_add_yw(fc_status_tree *t, const char *path, fc_yw *w)
{
    int rc = yw_render(w);
    if (rc == FC_OK && w->text.cap > YW_KEEP) {
        /* The inventory's 17 MiB: moved, not copied, and not kept. */
        size_t len = w->text.len;
        rc = fc_status_tree_add_take(t, path, fc_buf_detach(&w->text), len);
    } else if (rc == FC_OK) {
        rc = fc_status_tree_add_raw(t, path, w->text.data ? w->text.data : "", w->text.len);
    }
    fc_yw_reset(w);
    return rc;
}

/* ---- json-c documents ---------------------------------------------------- */

/* A key with its value: sorting the pairs spares a lookup per key. */
typedef struct {
    const char *key;
    struct json_object *value;
} dw_pair;

static int pair_cmp(const void *a, const void *b)
{
    return strcmp(((const dw_pair *)a)->key, ((const dw_pair *)b)->key);
}

/* o as events, each mapping's keys sorted. */
static int yw_json(fc_yw *w, struct json_object *o)
{
    const char *text;
    size_t n = 0, i;

    switch (json_object_get_type(o)) {
    case json_type_null:
        return fc_yw_str(w, NULL);
    case json_type_boolean:
        return fc_yw_bool(w, json_object_get_boolean(o));
    case json_type_int:
        return fc_yw_int(w, json_object_get_int64(o));
    case json_type_double:
        /* fc_status_number() sets the text; others print round-trip exact. */
        text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
        return yw_scalar(w, EV_PLAIN, text, strlen(text));
    case json_type_string:
        return fc_yw_str(w, json_object_get_string(o));
    case json_type_array:
        n = json_object_array_length(o);
        fc_yw_seq_begin(w);
        for (i = 0; i < n && w->rc == FC_OK; i++)
            yw_json(w, json_object_array_get_idx(o, i));
        return fc_yw_seq_end(w);
    case json_type_object: {
        dw_pair stack_pairs[32], *pairs = stack_pairs;
        int len = json_object_object_length(o);
        if (len > 32 && !(pairs = malloc((size_t)len * sizeof(*pairs))))
            return yw_fail(w, fc_error_set(FC_ENOMEM, "yaml keys"));
        {
            json_object_object_foreach(o, k, v)
            {
                pairs[n].key = k;
                pairs[n++].value = v;
            }
        }
        qsort(pairs, n, sizeof(*pairs), pair_cmp);
        fc_yw_map_begin(w);
        for (i = 0; i < n && w->rc == FC_OK; i++)
            if (fc_yw_key(w, pairs[i].key) == FC_OK)
                yw_json(w, pairs[i].value);
        if (pairs != stack_pairs)
            free(pairs);
        return fc_yw_map_end(w);
    }
    }
    return yw_fail(w, fc_error_set(FC_EINVALID, "unknown json type"));
}

/* 1 with the document in out, 0 (out unchanged) to use libyaml. */
static int direct_emit(fc_buf *out, struct json_object *doc)
{
    fc_yw w;
    int ok;

    if (!json_object_is_type(doc, json_type_object) || json_object_object_length(doc) == 0)
        return 0;
    fc_yw_init(&w);
    w.out = out;
    w.mark = out->len;
    ok = yw_json(&w, doc) == FC_OK && w.direct;
    if (!ok) {
        out->len = w.mark; /* the libyaml path appends from here */
        if (out->data)
            out->data[out->len] = '\0';
    }
    fc_yw_dispose(&w);
    return ok;
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

static int emit_json(yaml_emitter_t *em, void *payload)
{
    return emit(em, payload);
}

int fc_yaml_emit_libyaml(fc_buf *out, struct json_object *doc)
{
    return libyaml_run(out, emit_json, doc);
}

/* A document through libyaml's emitter: body sends its events. */
static int libyaml_run(fc_buf *out, int (*body)(yaml_emitter_t *, void *), void *payload)
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
    if ((rc = body(&em, payload)) != FC_OK)
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
        v = 0; /* folds -0.0 */
    number_text(text, sizeof(text), v, decimals);
    return json_object_new_double_s(v, text);
}
/* ---- conditions -------------------------------------------------------- */

/*
 * The conditions of a previous status document: every later pass reads the
 * file it is about to replace, for each condition's lastTransitionTime.
 * libyaml's event parser, stopping once the conditions are read: a whole
 * document per condition made a pass with 75,000 previous files 15 times
 * slower than the first, and the 17 MiB inventory's tree alone most of the
 * memory budget.  Conditions live at the top level (the inventory) or under
 * status: (every object); the first such list is read, and nothing after
 * it.  A file that does not parse up to them has none.
 */
typedef struct {
    yaml_parser_t p;
    yaml_event_t ev;
    int have;
} ev_scan;

static int es_next(ev_scan *e)
{
    if (e->have)
        yaml_event_delete(&e->ev);
    e->have = yaml_parser_parse(&e->p, &e->ev);
    if (e->have && e->ev.type == YAML_NO_EVENT) {
        yaml_event_delete(&e->ev);
        e->have = 0;
    }
    return e->have;
}

/* Past the node whose first event is current; 0 on a parse error. */
static int es_skip(ev_scan *e)
{
    int depth = 0;
    do {
        switch (e->ev.type) {
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
            depth++;
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            depth--;
            break;
        default:
            break;
        }
        if (depth == 0)
            return 1;
    } while (es_next(e));
    return 0;
}

static int es_key_is(const ev_scan *e, const char *name)
{
    return e->ev.type == YAML_SCALAR_EVENT &&
           strcmp((const char *)e->ev.data.scalar.value, name) == 0;
}

/* The current event starts a sequence of conditions: into out, the first
 * of type `want` (all when NULL).  1 when the list was read to its end, 0
 * on a parse error (both kinds of read see the same list). */
static int es_conditions(ev_scan *e, const char *want, fc_yw_prev *out)
{
    out->n = 0;
    out->more = 0;
    while (es_next(e)) {
        char t[64] = "", st[16] = "", ltt[64] = "";
        int ht = 0, hs = 0, hl = 0, tfit = 1;
        if (e->ev.type == YAML_SEQUENCE_END_EVENT)
            return 1;
        if (e->ev.type != YAML_MAPPING_START_EVENT) {
            if (!es_skip(e))
                return 0;
            continue;
        }
        for (;;) {
            char *dst = NULL;
            size_t size = 0;
            int *has = NULL;
            if (!es_next(e))
                return 0;
            if (e->ev.type == YAML_MAPPING_END_EVENT)
                break;
            if (es_key_is(e, "type"))
                dst = t, size = sizeof(t), has = &ht;
            else if (es_key_is(e, "status"))
                dst = st, size = sizeof(st), has = &hs;
            else if (es_key_is(e, "lastTransitionTime"))
                dst = ltt, size = sizeof(ltt), has = &hl;
            if (!es_skip(e) || !es_next(e))
                return 0;
            if (e->ev.type == YAML_SCALAR_EVENT && dst) {
                const char *v = (const char *)e->ev.data.scalar.value;
                fc_str_copy(dst, size, v);
                if (dst == t)
                    tfit = strnlen(v, size) < size;
                *has = 1;
            } else if (!es_skip(e)) {
                return 0;
            }
        }
        if (!ht || !hs || !hl || (want && (!tfit || out->n || strcmp(t, want) != 0)))
            continue;
        if (!tfit || out->n == FC_YW_PREV) {
            out->more = 1; /* a typed scan finds it */
            continue;
        }
        memcpy(out->c[out->n].type, t, sizeof(t));
        memcpy(out->c[out->n].status, st, sizeof(st));
        memcpy(out->c[out->n].ltt, ltt, sizeof(ltt));
        out->n++;
    }
    return 0;
}

/* Reads doc's conditions into out (only the first of type `want`, when
 * set).  out->n == 0 when there are none or doc does not parse. */
static void prev_conditions(const char *doc, size_t len, const char *want, fc_yw_prev *out)
{
    ev_scan e;
    fc_yw_prev under_status;
    int depth = 0; /* 0: the root's keys, 1: status's */

    out->n = out->more = 0;
    under_status.n = under_status.more = 0;
    if (!doc || !len || !yaml_parser_initialize(&e.p))
        return;
    e.have = 0;
    yaml_parser_set_input_string(&e.p, (const unsigned char *)doc, len);
    if (!es_next(&e) || e.ev.type != YAML_STREAM_START_EVENT || !es_next(&e) ||
        e.ev.type != YAML_DOCUMENT_START_EVENT || !es_next(&e) ||
        e.ev.type != YAML_MAPPING_START_EVENT)
        goto done;
    for (;;) {
        int conds, status, rc;
        if (!es_next(&e))
            goto done; /* does not parse: no conditions */
        if (e.ev.type == YAML_MAPPING_END_EVENT) {
            if (depth == 0)
                break;
            depth = 0;
            continue;
        }
        conds = es_key_is(&e, "conditions");
        status = depth == 0 && es_key_is(&e, "status");
        if (!es_skip(&e) || !es_next(&e))
            goto done;
        if (conds && e.ev.type == YAML_SEQUENCE_START_EVENT) {
            /* The first list read is the one: the writer sorts keys, so a
             * top-level list comes before status:, and nothing after the
             * list is read (most of a large document). */
            rc = es_conditions(&e, want, depth ? &under_status : out);
            if (depth)
                *out = under_status;
            if (rc == 0) /* does not parse to the list's end: none */
                out->n = out->more = 0;
            goto done;
        }
        if (status && e.ev.type == YAML_MAPPING_START_EVENT) {
            depth = 1;
            continue;
        }
        if (!es_skip(&e))
            goto done;
    }
    *out = under_status;
done:
    if (e.have)
        yaml_event_delete(&e.ev);
    yaml_parser_delete(&e.p);
}

/* The condition `type` of prev, or NULL. */
static const fc_yw_prev_cond *prev_find(const fc_yw_prev *prev, const char *type)
{
    int i;
    for (i = 0; i < prev->n; i++)
        if (strcmp(prev->c[i].type, type) == 0)
            return &prev->c[i];
    return NULL;
}

/* lastTransitionTime of a condition now in status st: the previous one
 * while the status holds, else now.  cache, when given, keeps prev_doc's
 * conditions once read: one read per document, not per condition. */
static void condition_ltt(char *ltt, size_t size, const char *type, const char *st,
                          int64_t now, const char *prev_doc, size_t prev_len,
                          fc_yw_prev *cache)
{
    fc_yw_prev one;
    const fc_yw_prev_cond *c = NULL;

    if (prev_doc && prev_len) {
        if (cache && (!cache->read || cache->doc != prev_doc || cache->len != prev_len)) {
            prev_conditions(prev_doc, prev_len, NULL, cache);
            cache->doc = prev_doc;
            cache->len = prev_len;
            cache->read = 1;
        }
        if (cache)
            c = prev_find(cache, type);
        if (!c && (!cache || cache->more)) {
            prev_conditions(prev_doc, prev_len, type, &one);
            c = prev_find(&one, type);
        }
    }
    if (c && strcmp(c->status, st) == 0) {
        fc_str_copy(ltt, size, c->ltt);
    } else if (cache) {
        if (!cache->now_ok || cache->now != now) {
            fc_time_format(cache->now_text, sizeof(cache->now_text), now);
            cache->now = now;
            cache->now_ok = 1;
        }
        fc_str_copy(ltt, size, cache->now_text);
    } else {
        fc_time_format(ltt, size, now);
    }
}

int fc_status_condition(struct json_object *conds, const char *type,
                        int status, const char *reason, const char *message,
                        int64_t now, const char *prev_doc, size_t prev_len)
{
    struct json_object *c;
    const char *st = status ? "True" : "False";
    char ltt[64];

    condition_ltt(ltt, sizeof(ltt), type, st, now, prev_doc, prev_len, NULL);
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

int fc_yw_condition(fc_yw *w, const char *type, int status, const char *reason,
                    const char *message, int64_t now, const char *prev_doc, size_t prev_len)
{
    const char *st = status ? "True" : "False";
    char ltt[64];

    condition_ltt(ltt, sizeof(ltt), type, st, now, prev_doc, prev_len, &w->prev);
    fc_yw_map_begin(w);
    fc_yw_kstr(w, "lastTransitionTime", ltt);
    fc_yw_kstr(w, "message", message ? message : "");
    fc_yw_kstr(w, "reason", reason);
    fc_yw_kstr(w, "status", st);
    fc_yw_kstr(w, "type", type);
    return fc_yw_map_end(w);
}
