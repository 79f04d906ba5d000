/*
 * specs_int.h - what the three files of the spec loader share.
 *
 *   specs.c    splits files into documents, runs libcyaml, turns its log
 *              into errors, checks objects against each other, builds the set.
 *   schema.c   the libcyaml schema of each kind and how to free what it loads.
 *   validate.c string maps, defaults and the semantic rules of each kind.
 *
 * One document is checked through an fc_specs_docctx: the libyaml node tree
 * of the document (its marks are file lines, so it answers "which line is
 * spec.amount on") and the sink its errors go to.
 */
#ifndef FC_SPECS_INT_H
#define FC_SPECS_INT_H

#include "specs/fc_specs.h"

#include <stdarg.h>

#include <cyaml/cyaml.h>
#include <yaml.h>

/* What libcyaml loads one document into; the spec member's type depends on
 * the kind (fc_budget_spec * for a Budget, ...). */
typedef struct {
    char *api_version;
    char *kind;
    fc_meta metadata;
    void *spec;
} fc_specs_doc;

typedef struct fc_specs_loader fc_specs_loader;

/* One document being checked. */
typedef struct {
    fc_specs_loader *ld;
    const char *file;
    yaml_document_t *ydoc;  /* whole-file parse: node lines are file lines */
    unsigned doc_line;      /* 1-based line where the content starts */
    int kind;               /* fc_kind or -1 */
    const char *name;       /* metadata.name as written, or NULL */
    unsigned nerrors;       /* errors added for this document */
    int oom;
} fc_specs_docctx;

/* Adds "file:line: field: message" for the document; FC_OK or FC_ENOMEM
 * (also latched in dc->oom).  An error on the same line and field as an
 * earlier one of the same document is dropped. */
int fc_specs_error_add(fc_specs_docctx *dc, unsigned line, const char *field,
                       const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int fc_specs_error_vadd(fc_specs_docctx *dc, unsigned line, const char *field,
                        const char *fmt, va_list ap);

/*
 * Finds "spec.thresholds[1].percent" in the document.  Returns the value node
 * or NULL; *line (may be NULL) gets the 1-based line of the last key (or of
 * the sequence entry when the path ends in [i]), 0 when not found.  The empty
 * path is the root.
 */
yaml_node_t *fc_specs_locate(yaml_document_t *doc, const char *path,
                             unsigned *line);
/* The value of the nth (1-based) occurrence of `key` in mapping `map`;
 * *line gets the key's line. */
yaml_node_t *fc_specs_map_get(yaml_document_t *doc, yaml_node_t *map,
                              const char *key, unsigned nth, unsigned *line);

/* schema.c */
const cyaml_schema_value_t *fc_specs_schema(fc_kind kind);
/* Memory function for libcyaml: plain realloc/free, so strings the loader
 * strdup()s into loaded data are freed by cyaml_free. */
void *fc_specs_cyaml_mem(void *ctx, void *ptr, size_t size);
/* Frees what validate.c added (string maps) and the cyaml data. */
void fc_specs_doc_free(fc_kind kind, fc_specs_doc *doc);

/* validate.c: fills string maps and defaults, then adds one error per broken
 * rule.  FC_OK, or FC_ENOMEM. */
int fc_specs_validate(fc_specs_docctx *dc, fc_specs_doc *doc);
/* Shared syntax checks. */
int fc_specs_is_dns_label(const char *s);
int fc_specs_is_account_id(const char *s);

#endif
