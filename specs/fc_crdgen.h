/*
 * fc_crdgen.h - Kubernetes CustomResourceDefinitions generated from the
 * loader's own schema.
 *
 * The libcyaml tables of schema.c say which keys exist, their types, which
 * are required and that unknown keys are rejected; schema_doc.c holds the
 * one annotation table for what cyaml cannot say (descriptions, patterns,
 * enums and numeric ranges that validate.c enforces, printer columns).  The
 * generator walks both at run time, so crd/<plural>.finops.dev.yaml
 * cannot drift from the loader without tests/crd noticing.
 */
#ifndef FC_CRDGEN_H
#define FC_CRDGEN_H

#include "controller/core/fc_util.h"
#include "specs/fc_specs.h"

/* One annotation of a field, keyed by kind and path ("spec.amount";
 * "spec.regions[]" is an entry of the sequence spec.regions). */
enum {
    FC_DOC_MIN = 1 << 0,       /* minimum is set */
    FC_DOC_MAX = 1 << 1,       /* maximum is set */
    FC_DOC_XMIN = 1 << 2,      /* minimum is exclusive (> not >=) */
    FC_DOC_NONEMPTY = 1 << 3,  /* strings: minLength 1; sequences: minItems 1 */
    FC_DOC_STRMAP = 1 << 4,    /* an IGNOREd key holding a map of strings */
};

typedef struct {
    int kind;                   /* fc_kind, or -1 for every kind */
    const char *path;
    const char *description;    /* NULL = none */
    const char *pattern;        /* ECMA regex for strings; NULL = none */
    const char *const *enumv;   /* NULL-terminated; NULL = any value */
    double minimum, maximum;    /* with FC_DOC_MIN / FC_DOC_MAX */
    unsigned flags;
    unsigned max_length;        /* strings; 0 = none */
} fc_schema_doc;

typedef struct {
    const char *name, *type, *json_path, *description;
} fc_crd_column;

/* What a CRD says about one kind besides its fields. */
typedef struct {
    const char *plural;
    const char *short_name;     /* NULL = none */
    const char *description;
    const fc_crd_column *columns; /* ends with a zero entry */
} fc_crd_kind_doc;

/* Borrowed; NULL when the path has no annotation.  A kind-specific entry
 * wins over an every-kind (-1) one. */
const fc_schema_doc *fc_schema_doc_find(fc_kind kind, const char *path);
const fc_crd_kind_doc *fc_crd_kind_doc_get(fc_kind kind);
/* The i-th annotation (borrowed), NULL past the end. */
const fc_schema_doc *fc_schema_doc_at(size_t i);

/* FC_EINVALID when an annotation names no field of its kind's schema. */
int fc_crdgen_check_docs(void);

/* Enumerations validate.c checks against (NULL-terminated). */
extern const char *const fc_schema_weekdays[];
extern const char *const fc_schema_services[];
extern const char *const fc_schema_periods[];
extern const char *const fc_schema_threshold_types[];
extern const char *const fc_schema_risks[];
extern const char *const fc_schema_providers[];
extern const char *const fc_schema_actions[];
extern const char *const fc_schema_ec2_modes[];
extern const char *const fc_schema_cron_tasks[];

/* Appends the CRD of `kind` as YAML to out: deterministic, byte-identical
 * for the same tables.  FC_OK, FC_ENOMEM, or FC_EINVALID when the schema has
 * a cyaml type the generator does not know (a new one must be mapped). */
int fc_crdgen_render(fc_buf *out, fc_kind kind);

/* `finops-controller crds [--out DIR]`: writes <plural>.finops.dev.yaml per
 * kind into DIR, or every CRD to stdout as one stream.  argv[0] is "crds".
 * Returns the exit code. */
int fc_crdgen_command(int argc, char **argv);

#endif
