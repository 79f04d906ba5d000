/*
 * crdgen.c - writes one apiextensions.k8s.io/v1 CustomResourceDefinition per
 * kind by walking the loader's libcyaml schema at run time.
 *
 * Stage: tooling (`finops-controller crds`), no part of a pass.  Inputs: the
 * cyaml tables of schema.c (keys, types, required, sequence bounds, string
 * lengths) and the annotation table of schema_doc.c (descriptions, patterns,
 * enums, ranges, printer columns).  Output: YAML appended to a caller-owned
 * fc_buf, byte-identical for identical tables.
 *
 * Unknown keys: the loader rejects them (cyaml mappings, no
 * CYAML_CFG_IGNORE_UNKNOWN_KEYS), but a structural schema may not say
 * additionalProperties: false next to properties; the API server prunes or,
 * with strict field validation (kubectl's default), rejects unknown fields
 * of every object that lists properties.  tests/crd validates the same way.
 */
#include "specs/fc_crdgen.h"
#include "specs/specs_int.h"

#include "controller/core/fc_error.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* validate.c's strict_uint takes at most 9 digits. */
#define UINT_MAX_SPEC 999999999u

static int ind(fc_buf *b, int n)
{
    return fc_buf_printf(b, "%*s", n, "");
}

/* Single-quoted YAML scalar: only ' needs escaping (as ''). */
static int quoted(fc_buf *b, const char *s)
{
    int rc = fc_buf_puts(b, "'");
    for (; rc == FC_OK && *s; s++)
        rc = *s == '\'' ? fc_buf_puts(b, "''") : fc_buf_append(b, s, 1);
    return rc ? rc : fc_buf_puts(b, "'");
}

static int key_str(fc_buf *b, int n, const char *key, const char *value)
{
    int rc = ind(b, n);
    if (!rc)
        rc = fc_buf_printf(b, "%s: ", key);
    if (!rc)
        rc = quoted(b, value);
    return rc ? rc : fc_buf_puts(b, "\n");
}

static int string_list(fc_buf *b, int n, const char *key,
                       const char *const *v, size_t count)
{
    int rc = ind(b, n);
    if (!rc)
        rc = fc_buf_printf(b, "%s: [", key);
    for (size_t i = 0; rc == FC_OK && i < count; i++) {
        if (i)
            rc = fc_buf_puts(b, ", ");
        if (!rc)
            rc = quoted(b, v[i]);
    }
    return rc ? rc : fc_buf_puts(b, "]\n");
}

static size_t list_len(const char *const *v)
{
    size_t n = 0;
    while (v && v[n])
        n++;
    return n;
}

/* "%.17g" round-trips; the table holds small whole numbers in practice. */
static int number(fc_buf *b, int n, const char *key, double v)
{
    int rc = ind(b, n);
    return rc ? rc : fc_buf_printf(b, "%s: %.17g\n", key, v);
}

static int render_value(fc_buf *b, fc_kind kind, const char *path,
                        const cyaml_schema_value_t *v, int n, int root);

static int render_mapping(fc_buf *b, fc_kind kind, const char *path,
                          const cyaml_schema_field_t *fields, int n, int root)
{
    const char *req[64];
    size_t nreq = 0;
    char sub[256];
    int rc = FC_OK;

    for (const cyaml_schema_field_t *f = fields; f->key; f++) {
        /* apiVersion and kind are optional for cyaml only because the
         * loader checks them first; metadata is the API server's. */
        if (root && strcmp(f->key, "spec") != 0)
            continue;
        if (!(f->value.flags & CYAML_FLAG_OPTIONAL) && nreq < 64)
            req[nreq++] = f->key;
    }
    if (nreq)
        rc = string_list(b, n, "required", req, nreq);
    if (!rc)
        rc = ind(b, n);
    if (!rc)
        rc = fc_buf_puts(b, "properties:\n");
    for (const cyaml_schema_field_t *f = fields; rc == FC_OK && f->key; f++) {
        snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", f->key);
        if (!(rc = ind(b, n + 2)))
            rc = fc_buf_printf(b, "%s:\n", f->key);
        if (rc)
            break;
        if (root && (strcmp(f->key, "apiVersion") == 0 ||
                     strcmp(f->key, "kind") == 0)) {
            rc = ind(b, n + 4);
            if (!rc)
                rc = fc_buf_puts(b, "type: string\n");
        } else if (root && strcmp(f->key, "metadata") == 0) {
            /* Only name may be constrained in a CRD's metadata. */
            const cyaml_schema_field_t *mf = f->value.mapping.fields;
            rc = ind(b, n + 4);
            if (!rc)
                rc = fc_buf_puts(b, "type: object\n");
            if (!rc)
                rc = ind(b, n + 4);
            if (!rc)
                rc = fc_buf_puts(b, "properties:\n");
            for (; rc == FC_OK && mf->key; mf++) {
                if (strcmp(mf->key, "name") != 0)
                    continue;
                if (!(rc = ind(b, n + 6)))
                    rc = fc_buf_puts(b, "name:\n");
                if (!rc)
                    rc = render_value(b, kind, "metadata.name", &mf->value,
                                      n + 8, 0);
            }
        } else {
            rc = render_value(b, kind, sub, &f->value, n + 4, 0);
        }
    }
    return rc;
}

static int render_value(fc_buf *b, fc_kind kind, const char *path,
                        const cyaml_schema_value_t *v, int n, int root)
{
    const fc_schema_doc *d = fc_schema_doc_find(kind, path);
    unsigned flags = d ? d->flags : 0;
    char sub[256];
    int rc = FC_OK;

#define LINE(s) (rc = rc ? rc : ind(b, n), rc = rc ? rc : fc_buf_puts(b, s "\n"))
    switch (v->type) {
    case CYAML_MAPPING:
        LINE("type: object");
        break;
    case CYAML_SEQUENCE:
    case CYAML_SEQUENCE_FIXED:
        LINE("type: array");
        break;
    case CYAML_STRING:
    case CYAML_ENUM:
    case CYAML_FLAGS:
        LINE("type: string");
        break;
    case CYAML_INT:
    case CYAML_UINT:
        LINE("type: integer");
        break;
    case CYAML_FLOAT:
        LINE("type: number");
        break;
    case CYAML_BOOL:
        LINE("type: boolean");
        break;
    case CYAML_IGNORE:
        if (!(flags & FC_DOC_STRMAP))
            return fc_error_set(FC_EINVALID,
                                "crdgen: %s is ignored by the schema and has "
                                "no FC_DOC_STRMAP annotation in schema_doc.c",
                                path);
        LINE("type: object");
        break;
    default:
        return fc_error_set(FC_EINVALID, "crdgen: %s: cyaml type %d is not mapped",
                            path, (int)v->type);
    }
    if (!rc && d && d->description)
        rc = key_str(b, n, "description", d->description);
    if (rc)
        return rc;

    switch (v->type) {
    case CYAML_MAPPING:
        rc = render_mapping(b, kind, path, v->mapping.fields, n, root);
        break;
    case CYAML_SEQUENCE:
    case CYAML_SEQUENCE_FIXED: {
        uint32_t min = v->sequence.min;
        if ((flags & FC_DOC_NONEMPTY) && min < 1)
            min = 1;
        if (min)
            rc = fc_buf_printf(b, "%*sminItems: %u\n", n, "", min);
        if (!rc && v->sequence.max != CYAML_UNLIMITED)
            rc = fc_buf_printf(b, "%*smaxItems: %u\n", n, "", v->sequence.max);
        snprintf(sub, sizeof(sub), "%s[]", path);
        if (!rc)
            LINE("items:");
        if (!rc)
            rc = render_value(b, kind, sub, v->sequence.entry, n + 2, 0);
        break;
    }
    case CYAML_STRING: {
        uint32_t min = v->string.min, max = v->string.max;
        if ((flags & FC_DOC_NONEMPTY) && min < 1)
            min = 1;
        if (d && d->max_length && (max == CYAML_UNLIMITED || d->max_length < max))
            max = d->max_length;
        if (min)
            rc = fc_buf_printf(b, "%*sminLength: %u\n", n, "", min);
        if (!rc && max != CYAML_UNLIMITED)
            rc = fc_buf_printf(b, "%*smaxLength: %u\n", n, "", max);
        if (!rc && d && d->pattern)
            rc = key_str(b, n, "pattern", d->pattern);
        if (!rc && d && d->enumv)
            rc = string_list(b, n, "enum", d->enumv, list_len(d->enumv));
        break;
    }
    case CYAML_ENUM:
    case CYAML_FLAGS: {
        const char *names[64];
        uint32_t count = v->enumeration.count < 64 ? v->enumeration.count : 64;
        for (uint32_t i = 0; i < count; i++)
            names[i] = v->enumeration.strings[i].str;
        rc = string_list(b, n, "enum", names, count);
        break;
    }
    case CYAML_INT:
    case CYAML_UINT:
    case CYAML_FLOAT: {
        int integer = v->type != CYAML_FLOAT;
        double min = (flags & FC_DOC_MIN) ? d->minimum : 0;
        int has_min = (flags & FC_DOC_MIN) || v->type == CYAML_UINT;
        if (has_min)
            rc = number(b, n, "minimum", integer ? (double)(long long)min : min);
        if (!rc && (flags & FC_DOC_XMIN))
            LINE("exclusiveMinimum: true");
        if (!rc && (flags & FC_DOC_MAX))
            rc = number(b, n, "maximum", d->maximum);
        else if (!rc && v->type == CYAML_UINT)
            rc = number(b, n, "maximum", UINT_MAX_SPEC);
        break;
    }
    case CYAML_IGNORE:
        LINE("additionalProperties:");
        if (!rc)
            rc = ind(b, n + 2);
        if (!rc)
            rc = fc_buf_puts(b, "type: string\n");
        break;
    default:
        break;
    }
#undef LINE
    return rc;
}

/* Does `path` ("spec.thresholds[].percent") name a field of the schema
 * under v?  Used to refuse annotations that match nothing (a renamed field
 * would otherwise lose its rules silently). */
static int path_exists(const cyaml_schema_value_t *v, const char *path)
{
    while (*path) {
        if (strncmp(path, "[]", 2) == 0) {
            if (v->type != CYAML_SEQUENCE && v->type != CYAML_SEQUENCE_FIXED)
                return 0;
            v = v->sequence.entry;
            path += 2;
        } else {
            const cyaml_schema_field_t *f;
            size_t n;
            if (*path == '.')
                path++;
            n = strcspn(path, ".[");
            if (v->type != CYAML_MAPPING)
                return 0;
            for (f = v->mapping.fields; f->key; f++)
                if (strlen(f->key) == n && strncmp(f->key, path, n) == 0)
                    break;
            if (!f->key)
                return 0;
            v = &f->value;
            path += n;
        }
    }
    return 1;
}

int fc_crdgen_check_docs(void)
{
    const fc_schema_doc *d;

    for (size_t i = 0; (d = fc_schema_doc_at(i)) != NULL; i++) {
        int found = 0;
        for (int k = 0; k < FC_KIND__COUNT && !found; k++)
            if (d->kind < 0 || d->kind == k)
                found = path_exists(fc_specs_schema((fc_kind)k), d->path);
        if (!found)
            return fc_error_set(FC_EINVALID,
                                "crdgen: specs/schema_doc.c annotates %s%s%s, "
                                "which is no field of the schema",
                                d->kind < 0 ? "" : fc_kind_name((fc_kind)d->kind),
                                d->kind < 0 ? "" : " ", d->path);
    }
    return FC_OK;
}

static void lower(char *dst, size_t size, const char *src)
{
    size_t i;
    for (i = 0; i + 1 < size && src[i]; i++)
        dst[i] = (char)tolower((unsigned char)src[i]);
    dst[i] = '\0';
}

int fc_crdgen_render(fc_buf *out, fc_kind kind)
{
    const fc_crd_kind_doc *kd = fc_crd_kind_doc_get(kind);
    const cyaml_schema_value_t *schema = fc_specs_schema(kind);
    const char *api = FC_API_VERSION;
    const char *slash = strchr(api, '/');
    char group[64], singular[64];
    int rc;

    if (!kd || !schema || !slash)
        return fc_error_set(FC_EINVALID, "crdgen: no schema for kind %d",
                            (int)kind);
    snprintf(group, sizeof(group), "%.*s", (int)(slash - api), api);
    lower(singular, sizeof(singular), fc_kind_name(kind));
    rc = fc_buf_printf(
        out,
        "# Generated by `finops-controller crds --out crd` from the loader's\n"
        "# schema (specs/schema.c) and its annotations (specs/schema_doc.c).\n"
        "# Do not edit: change those and regenerate.\n"
        "apiVersion: apiextensions.k8s.io/v1\n"
        "kind: CustomResourceDefinition\n"
        "metadata:\n"
        "  name: %s.%s\n"
        "spec:\n"
        "  group: %s\n"
        "  scope: Namespaced\n"
        "  names:\n"
        "    kind: %s\n"
        "    listKind: %sList\n"
        "    plural: %s\n"
        "    singular: %s\n",
        kd->plural, group, group, fc_kind_name(kind), fc_kind_name(kind),
        kd->plural, singular);
    if (!rc && kd->short_name)
        rc = fc_buf_printf(out, "    shortNames: [%s]\n", kd->short_name);
    if (!rc)
        rc = fc_buf_printf(out,
                           "    categories: [finops]\n"
                           "  versions:\n"
                           "    - name: %s\n"
                           "      served: true\n"
                           "      storage: true\n"
                           "      subresources:\n"
                           "        status: {}\n"
                           "      additionalPrinterColumns:\n",
                           slash + 1);
    for (const fc_crd_column *c = kd->columns; rc == FC_OK && c->name; c++) {
        rc = fc_buf_printf(out, "        - name: %s\n          type: %s\n"
                                "          jsonPath: %s\n",
                           c->name, c->type, c->json_path);
        if (!rc && c->description)
            rc = key_str(out, 10, "description", c->description);
    }
    if (!rc)
        rc = fc_buf_puts(out, "      schema:\n        openAPIV3Schema:\n");
    if (!rc)
        rc = fc_buf_puts(out, "          type: object\n");
    if (!rc && kd->description)
        rc = key_str(out, 10, "description", kd->description);
    if (!rc)
        rc = render_mapping(out, kind, "", schema->mapping.fields, 10, 1);
    /* The status subtree is the controller's, written to git; the API
     * server keeps whatever it holds. */
    if (!rc)
        rc = fc_buf_puts(out, "            status:\n"
                              "              type: object\n"
                              "              x-kubernetes-preserve-unknown-fields: true\n");
    return rc;
}

static int write_file(const char *dir, const char *name, const fc_buf *b)
{
    char path[4096];
    FILE *f;
    int rc = FC_OK;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "wb");
    if (!f)
        return fc_error_set(FC_EIO, "crds: cannot write %s: %s", path,
                            strerror(errno));
    if (fwrite(b->data, 1, b->len, f) != b->len)
        rc = fc_error_set(FC_EIO, "crds: cannot write %s", path);
    if (fclose(f) != 0 && rc == FC_OK)
        rc = fc_error_set(FC_EIO, "crds: cannot write %s", path);
    return rc;
}

int fc_crdgen_command(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"out", required_argument, 0, 'o'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *out_dir = NULL;
    fc_buf b;
    int c, rc = FC_OK, code = 0;

    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'o':
            out_dir = optarg;
            break;
        case 'h':
            printf("Usage: finops-controller crds [--out DIR]\n\n"
                   "Writes the CustomResourceDefinition of every kind, generated "
                   "from the\nloader's schema: DIR/<plural>.finops.dev.yaml, or "
                   "one YAML stream on\nstdout without --out.\n");
            return 0;
        default:
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "finops-controller crds: unexpected argument '%s'\n",
                argv[optind]);
        return 2;
    }
    if (out_dir && mkdir(out_dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "finops-controller crds: cannot create %s: %s\n",
                out_dir, strerror(errno));
        return 1;
    }
    fc_buf_init(&b);
    rc = fc_crdgen_check_docs();
    for (int k = 0; k < FC_KIND__COUNT && rc == FC_OK; k++) {
        char name[128];
        if (!out_dir && k > 0)
            rc = fc_buf_puts(&b, "---\n");
        if (!rc)
            rc = fc_crdgen_render(&b, (fc_kind)k);
        if (rc || !out_dir)
            continue;
        snprintf(name, sizeof(name), "%s.finops.dev.yaml",
                 fc_crd_kind_doc_get((fc_kind)k)->plural);
        rc = write_file(out_dir, name, &b);
        b.len = 0;
        b.data[0] = '\0';
    }
    if (rc == FC_OK && !out_dir &&
        fwrite(b.data, 1, b.len, stdout) != b.len)
        rc = fc_error_set(FC_EIO, "crds: cannot write stdout");
    if (rc) {
        fprintf(stderr, "finops-controller crds: %s\n", fc_error_last());
        code = 1;
    }
    fc_buf_dispose(&b);
    return code;
}
