/*
 * limits_int.h - one spec file's YAML, composed within the hostile-input
 * limits (limits.c).
 *
 * The loader calls fc_specs_compose() on every file after its size check:
 * one libyaml event stream both enforces the limits and builds the
 * documents that yaml_parser_load() would build, before libcyaml sees a
 * byte.  The limits themselves are in fc_specs.h (FC_SPEC_MAX_*).
 */
#ifndef FC_SPECS_LIMITS_INT_H
#define FC_SPECS_LIMITS_INT_H

#include <stddef.h>

#include <yaml.h>

/* A file's documents, and the libyaml error that ended them early. */
typedef struct {
    yaml_document_t *docs;  /* in file order, as yaml_parser_load() builds */
    size_t ndocs, capdocs;
    /* YAML_NO_ERROR, or the syntax or composer error yaml_parser_load()
     * would have failed with after docs[ndocs - 1]: what, where, and the
     * construct it was in (context may be NULL).  Static strings. */
    yaml_error_type_t error;
    const char *problem, *context;
    yaml_mark_t problem_mark, context_mark;
} fc_specs_yaml;

/*
 * Streams data through libyaml's event parser, checks nesting depth, entries
 * per list or map, scalar length, anchors and aliases, and composes at most
 * maxdocs documents into *out (dispose it with fc_specs_yaml_dispose).  The
 * limits hold for the whole stream up to its end or its first syntax error,
 * also past the documents kept and past a composer error (undefined alias,
 * duplicate anchor), as when they were checked in a pass of their own.
 *
 * FC_OK when the file stays within the limits, also when it is not valid
 * YAML (out->error says why composing stopped; the loader reports it).
 * FC_EINVALID when a limit is exceeded: *line gets the 1-based line, msg
 * "<what>: limit N", and *out is empty.  FC_ENOMEM (*out empty).
 */
int fc_specs_compose(fc_specs_yaml *out, const char *data, size_t len,
                     size_t maxdocs, unsigned *line, char *msg, size_t msgsize);
void fc_specs_yaml_dispose(fc_specs_yaml *y);

/* The limits alone: fc_specs_compose() with no document kept. */
int fc_specs_prescan(const char *data, size_t len, unsigned *line, char *msg,
                     size_t msgsize);

#endif
