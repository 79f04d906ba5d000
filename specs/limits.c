/*
 * limits.c - keeps hostile spec files bounded while composing their YAML.
 *
 * Stage: desired state, inside the spec loader (specs.c load_file), per
 * file, after the size limit (FC_SPEC_MAX_FILE_BYTES).  Input: one file's
 * bytes.  Output: the file's libyaml documents, or the first limit
 * exceeded as "line + what: limit N" for the loader to turn into a spec
 * error naming the file.  The caller owns the documents
 * (fc_specs_yaml_dispose); nothing else outlives the call.
 *
 * Why limits here: libyaml's documents and libcyaml build whole trees and
 * some of our walkers recurse, so depth, huge scalars, long lists and maps
 * (libcyaml grows arrays one entry at a time) and alias fan-out are
 * refused event by event, before the event that breaks a limit is built
 * into anything.  What was built up to there is no larger than what a file
 * within the limits builds, and it is freed before returning.  Documents
 * are counted by the loader (FC_SPEC_MAX_DOCUMENTS); UTF-8, NUL bytes and
 * control characters are refused by libyaml's reader, duplicate keys by
 * the loader's schema pass.
 *
 * Why one pass: the same event stream composes the documents the way
 * libyaml's yaml_parser_load() does (same nodes, ids, tags, marks and
 * errors), so each file is parsed once instead of once per job.
 */
#include "specs/limits_int.h"

#include "controller/core/fc_error.h"
#include "controller/core/fc_util.h"
#include "specs/fc_specs.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The document being composed; ids as yaml_parser_load() gives them. */
typedef struct {
    fc_specs_yaml *out;
    size_t maxdocs;
    int composing;          /* 0 once maxdocs are kept or an error is kept */
    int open;               /* doc holds a document in progress */
    yaml_document_t doc;
    int node[FC_SPEC_MAX_DEPTH + 2]; /* open collection per depth */
    int key[FC_SPEC_MAX_DEPTH + 2];  /* its pending key (maps), 0 if none */
    struct {
        char *name;
        int id;
        yaml_mark_t mark;
    } anchors[FC_SPEC_MAX_ALIASES]; /* this document's; the file has <= 16 */
    unsigned nanchors;
} composer;

static void drop_anchors(composer *c)
{
    while (c->nanchors)
        free(c->anchors[--c->nanchors].name);
}

static void drop_doc(composer *c)
{
    if (c->open)
        yaml_document_delete(&c->doc);
    c->open = 0;
    drop_anchors(c);
}

/* Keeps the error yaml_parser_load() would have stopped at; no more
 * documents are composed after it. */
static void keep_error(composer *c, yaml_error_type_t error,
                       const char *problem, yaml_mark_t problem_mark,
                       const char *context, yaml_mark_t context_mark)
{
    c->out->error = error;
    c->out->problem = problem;
    c->out->problem_mark = problem_mark;
    c->out->context = context;
    c->out->context_mark = context_mark;
    drop_doc(c);
    c->composing = 0;
}

/* libyaml's loader: a node goes into the collection open at `level` (none
 * at 0: the root); a map takes keys and values in turn. */
static int add_to_parent(composer *c, unsigned level, int id)
{
    int p = c->node[level], key;

    if (!level)
        return 1;
    if (c->doc.nodes.start[p - 1].type == YAML_SEQUENCE_NODE)
        return yaml_document_append_sequence_item(&c->doc, p, id);
    if (!c->key[level]) {
        c->key[level] = id;
        return 1;
    }
    key = c->key[level];
    c->key[level] = 0;
    return yaml_document_append_mapping_pair(&c->doc, p, key, id);
}

/* Anchors are per document; a second one of the same name is the
 * composer's "duplicate anchor" error. */
static int add_anchor(composer *c, const yaml_char_t *anchor, int id,
                      yaml_mark_t mark)
{
    if (!anchor)
        return FC_OK;
    for (unsigned i = 0; i < c->nanchors; i++)
        if (strcmp(c->anchors[i].name, (const char *)anchor) == 0) {
            keep_error(c, YAML_COMPOSER_ERROR, "second occurrence", mark,
                       "found duplicate anchor; first occurrence",
                       c->anchors[i].mark);
            return FC_OK;
        }
    /* The anchor limit is checked first: at most 16 in the whole file. */
    assert(c->nanchors < FC_ARRAY_LEN(c->anchors));
    if (!(c->anchors[c->nanchors].name = fc_strdup((const char *)anchor)))
        return FC_ENOMEM;
    c->anchors[c->nanchors].id = id;
    c->anchors[c->nanchors++].mark = mark;
    return FC_OK;
}

/*
 * The node the parser just gave is moved into the document: tag, value and
 * directives change hands with the event (both are libyaml's allocations,
 * freed by yaml_event_delete and yaml_document_delete), so no value is
 * copied and the document holds exactly what yaml_parser_load() keeps.
 * `level` is the nesting before the event.
 */
static void take_tag(yaml_node_t *node, yaml_char_t **tag)
{
    yaml_char_t *t = *tag;

    if (t && strcmp((const char *)t, "!") != 0) {
        *tag = node->tag; /* the default tag, freed with the event */
        node->tag = t;
    }
}

static int compose(composer *c, yaml_event_t *ev, unsigned level)
{
    yaml_node_t *node;
    int id = 0, rc;

    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (!yaml_document_initialize(&c->doc, NULL, NULL, NULL,
                                      ev->data.document_start.implicit, 0))
            return FC_ENOMEM;
        c->open = 1;
        c->doc.version_directive = ev->data.document_start.version_directive;
        c->doc.tag_directives.start =
            ev->data.document_start.tag_directives.start;
        c->doc.tag_directives.end = ev->data.document_start.tag_directives.end;
        ev->data.document_start.version_directive = NULL;
        ev->data.document_start.tag_directives.start = NULL;
        ev->data.document_start.tag_directives.end = NULL;
        c->doc.start_mark = ev->start_mark;
        return FC_OK;
    case YAML_DOCUMENT_END_EVENT: {
        fc_specs_yaml *y = c->out;
        if (y->ndocs == y->capdocs) {
            size_t cap = y->capdocs ? y->capdocs * 2 : 4;
            yaml_document_t *d = realloc(y->docs, cap * sizeof(*d));
            if (!d)
                return FC_ENOMEM;
            y->docs = d;
            y->capdocs = cap;
        }
        c->doc.end_implicit = ev->data.document_end.implicit;
        c->doc.end_mark = ev->end_mark;
        y->docs[y->ndocs++] = c->doc;
        c->open = 0;
        drop_anchors(c);
        if (y->ndocs >= c->maxdocs)
            c->composing = 0;
        return FC_OK;
    }
    case YAML_ALIAS_EVENT:
        for (unsigned i = 0; i < c->nanchors; i++)
            if (strcmp(c->anchors[i].name,
                       (const char *)ev->data.alias.anchor) == 0)
                return add_to_parent(c, level, c->anchors[i].id) ? FC_OK
                                                                 : FC_ENOMEM;
        keep_error(c, YAML_COMPOSER_ERROR, "found undefined alias",
                   ev->start_mark, NULL, (yaml_mark_t){0, 0, 0});
        return FC_OK;
    case YAML_SCALAR_EVENT:
        if (!(id = yaml_document_add_scalar(&c->doc, NULL,
                                            (const yaml_char_t *)"", 0,
                                            ev->data.scalar.style)))
            return FC_ENOMEM;
        node = &c->doc.nodes.start[id - 1];
        take_tag(node, &ev->data.scalar.tag);
        {
            yaml_char_t *v = node->data.scalar.value;
            node->data.scalar.value = ev->data.scalar.value;
            node->data.scalar.length = ev->data.scalar.length;
            ev->data.scalar.value = v;
        }
        node->start_mark = ev->start_mark;
        node->end_mark = ev->end_mark;
        if ((rc = add_anchor(c, ev->data.scalar.anchor, id, ev->start_mark)))
            return rc;
        if (!c->composing) /* duplicate anchor */
            return FC_OK;
        return add_to_parent(c, level, id) ? FC_OK : FC_ENOMEM;
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
        int seq = ev->type == YAML_SEQUENCE_START_EVENT;
        id = seq ? yaml_document_add_sequence(&c->doc, NULL,
                                              ev->data.sequence_start.style)
                 : yaml_document_add_mapping(&c->doc, NULL,
                                             ev->data.mapping_start.style);
        if (!id)
            return FC_ENOMEM;
        node = &c->doc.nodes.start[id - 1];
        take_tag(node, seq ? &ev->data.sequence_start.tag
                           : &ev->data.mapping_start.tag);
        node->start_mark = ev->start_mark;
        node->end_mark = ev->end_mark;
        if ((rc = add_anchor(c, seq ? ev->data.sequence_start.anchor
                                    : ev->data.mapping_start.anchor,
                             id, ev->start_mark)))
            return rc;
        if (!c->composing)
            return FC_OK;
        if (!add_to_parent(c, level, id))
            return FC_ENOMEM;
        c->node[level + 1] = id;
        c->key[level + 1] = 0;
        return FC_OK;
    }
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        if (level)
            c->doc.nodes.start[c->node[level] - 1].end_mark = ev->end_mark;
        return FC_OK;
    default:
        return FC_OK;
    }
}

int fc_specs_compose(fc_specs_yaml *out, const char *data, size_t len,
                     size_t maxdocs, unsigned *line, char *msg, size_t msgsize)
{
    yaml_parser_t parser;
    yaml_event_t ev;
    composer c;
    unsigned depth = 0, aliases = 0, anchors = 0;
    /* Per open collection: entries so far (a mapping counts keys and
     * values) and whether it is a mapping.  [0] is the document level. */
    unsigned long items[FC_SPEC_MAX_DEPTH + 2];
    unsigned char is_map[FC_SPEC_MAX_DEPTH + 2];
    int rc = FC_OK, done = 0;

    memset(out, 0, sizeof(*out));
    memset(&c, 0, sizeof(c));
    c.out = out;
    c.maxdocs = maxdocs;
    c.composing = maxdocs > 0;
    *line = 0;
    if (msgsize)
        msg[0] = '\0';
    if (!yaml_parser_initialize(&parser))
        return fc_error_set(FC_ENOMEM, "out of memory creating YAML parser");
    yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
    yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
    while (!done && rc == FC_OK) {
        const char *anchor = NULL;
        unsigned level = depth;

        if (!yaml_parser_parse(&parser, &ev)) {
            if (parser.error == YAML_MEMORY_ERROR)
                rc = fc_error_set(FC_ENOMEM, "out of memory scanning YAML");
            else if (c.composing) /* a syntax error: the loader reports it */
                keep_error(&c, parser.error, parser.problem,
                           parser.problem_mark, parser.context,
                           parser.context_mark);
            break;
        }
        *line = (unsigned)ev.start_mark.line + 1;
        /* libcyaml grows arrays one entry at a time: long lists and maps
         * cost quadratic time, so their length is bounded too. */
        if (ev.type == YAML_SCALAR_EVENT || ev.type == YAML_ALIAS_EVENT ||
            ev.type == YAML_SEQUENCE_START_EVENT ||
            ev.type == YAML_MAPPING_START_EVENT) {
            if (depth && ++items[depth] > (is_map[depth] ? 2ul : 1ul) *
                                              FC_SPEC_MAX_ITEMS) {
                snprintf(msg, msgsize, "more than %d entries in one %s: limit %d",
                         FC_SPEC_MAX_ITEMS, is_map[depth] ? "map" : "list",
                         FC_SPEC_MAX_ITEMS);
                rc = FC_EINVALID;
                yaml_event_delete(&ev);
                break;
            }
        }
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = 1;
            break;
        case YAML_DOCUMENT_START_EVENT:
            depth = 0;
            break;
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
            anchor = ev.type == YAML_MAPPING_START_EVENT
                         ? (const char *)ev.data.mapping_start.anchor
                         : (const char *)ev.data.sequence_start.anchor;
            if (++depth > FC_SPEC_MAX_DEPTH) {
                snprintf(msg, msgsize, "nesting too deep: limit %d",
                         FC_SPEC_MAX_DEPTH);
                rc = FC_EINVALID;
                break;
            }
            items[depth] = 0;
            is_map[depth] = ev.type == YAML_MAPPING_START_EVENT;
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            if (depth)
                depth--;
            break;
        case YAML_SCALAR_EVENT:
            anchor = (const char *)ev.data.scalar.anchor;
            if (ev.data.scalar.length > FC_SPEC_MAX_SCALAR_BYTES) {
                snprintf(msg, msgsize, "scalar of %zu bytes: limit %d",
                         ev.data.scalar.length, FC_SPEC_MAX_SCALAR_BYTES);
                rc = FC_EINVALID;
            }
            break;
        case YAML_ALIAS_EVENT:
            /* Aliases are refused per document anyway (libcyaml's
             * NO_ALIAS); more than a few is an expansion bomb. */
            if (++aliases > FC_SPEC_MAX_ALIASES) {
                snprintf(msg, msgsize, "too many YAML aliases: limit %d",
                         FC_SPEC_MAX_ALIASES);
                rc = FC_EINVALID;
            }
            break;
        default:
            break;
        }
        if (rc == FC_OK && anchor && ++anchors > FC_SPEC_MAX_ALIASES) {
            snprintf(msg, msgsize, "too many YAML anchors: limit %d",
                     FC_SPEC_MAX_ALIASES);
            rc = FC_EINVALID;
        }
        /* Only an event within the limits is built into a document. */
        if (rc == FC_OK && c.composing &&
            (rc = compose(&c, &ev, level)) == FC_ENOMEM)
            fc_error_set(FC_ENOMEM, "out of memory composing YAML");
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    drop_doc(&c);
    if (rc != FC_OK) {
        fc_specs_yaml_dispose(out);
        return rc;
    }
    *line = 0;
    return FC_OK;
}

void fc_specs_yaml_dispose(fc_specs_yaml *y)
{
    for (size_t i = 0; i < y->ndocs; i++)
        yaml_document_delete(&y->docs[i]);
    free(y->docs);
    memset(y, 0, sizeof(*y));
}

int fc_specs_prescan(const char *data, size_t len, unsigned *line, char *msg,
                     size_t msgsize)
{
    fc_specs_yaml y;
    int rc = fc_specs_compose(&y, data, len, 0, line, msg, msgsize);

    fc_specs_yaml_dispose(&y);
    return rc;
}
