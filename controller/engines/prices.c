/*
 * prices.c - the on-demand price catalogue the waste rules and rightsizing
 * turn into monthly savings.
 *
 * Stage: engine input.  fc_prices_load() takes a file or a directory (every
 * *.csv, *.yaml and *.yml in it, by name).  Two formats:
 *   - AWS Price List bulk offer files (CSV: AmazonEC2, AmazonRDS, AWSLambda,
 *     AmazonS3, AWSELB), streamed by prices_csv.c;
 *   - the compact YAML table (examples/prices/aws-prices.yaml): `currency`,
 *     then `ec2`, `ebs`, `rds` and `other` sections mapping region -> key ->
 *     price, where an ec2/rds price may be a mapping {price, vcpu,
 *     memoryGiB, processor}.
 * Both feed one builder; the result is an fc_price_table whose arrays are
 * sorted by (region, key) for binary searches and which owns all its
 * strings (fc_prices_free).  The same key twice keeps the first when the
 * figures agree and is an error when they differ.  Errors name file:line
 * and the field.
 */
#include "controller/engines/engines_int.h"
#include "controller/core/fc_error.h"
#include "controller/core/fc_util.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#define PRICES_MAX_FILE_BYTES (4 * 1024 * 1024) /* YAML only; CSV streams */
#define PRICES_MAX_FILES 256

static const char *const section_names[PSEC__COUNT] = {"ec2", "ebs", "rds",
                                                        "other"};

/* ---- builder ----------------------------------------------------------- */

typedef struct {
    fc_price p;
    const char *file;
    unsigned line;
    size_t seq;         /* insertion order: the first of equal keys wins */
} entry;

typedef struct {
    entry *v;
    size_t n;
    size_t cap;
} entry_vec;

struct fc_price_builder {
    entry_vec sec[PSEC__COUNT];
    size_t seq;
    char *currency;
    const char *currency_file;
    unsigned currency_line;
    char **files;
    size_t nfiles;
    const char *const *regions; /* filter, borrowed; NULL = all */
    size_t nregions;
};

static void price_dispose(fc_price *p)
{
    free(p->region);
    free(p->key);
    free(p->processor);
}

static void builder_dispose(fc_price_builder *b)
{
    size_t i, s;
    for (s = 0; s < PSEC__COUNT; s++) {
        for (i = 0; i < b->sec[s].n; i++)
            price_dispose(&b->sec[s].v[i].p);
        free(b->sec[s].v);
    }
    for (i = 0; i < b->nfiles; i++)
        free(b->files[i]);
    free(b->files);
    free(b->currency);
    memset(b, 0, sizeof(*b));
}

const char *fc_price_builder_file(fc_price_builder *b, const char *name)
{
    char **p = realloc(b->files, (b->nfiles + 1) * sizeof(*p));
    if (!p)
        return NULL;
    b->files = p;
    if (!(p[b->nfiles] = fc_strdup(name)))
        return NULL;
    return p[b->nfiles++];
}

static int region_wanted(const fc_price_builder *b, const char *region)
{
    size_t i;
    if (!b->regions)
        return 1;
    for (i = 0; i < b->nregions; i++)
        if (b->regions[i] && strcmp(b->regions[i], region) == 0)
            return 1;
    return 0;
}

int fc_price_builder_add(fc_price_builder *b, fc_price_section sec,
                         const char *region, const char *key, double price,
                         double vcpu, double memory_gib, const char *processor,
                         const char *file, unsigned line)
{
    entry_vec *e = &b->sec[sec];
    entry *x;

    if (!region_wanted(b, region))
        return FC_OK;
    if (e->n == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 64;
        entry *p = realloc(e->v, cap * sizeof(*p));
        if (!p)
            return fc_error_set(FC_ENOMEM, "out of memory reading prices");
        e->v = p;
        e->cap = cap;
    }
    x = &e->v[e->n];
    memset(x, 0, sizeof(*x));
    x->p.region = fc_strdup(region);
    x->p.key = fc_strdup(key);
    x->p.processor = processor ? fc_strdup(processor) : NULL;
    x->p.price = price;
    x->p.vcpu = vcpu;
    x->p.memory_gib = memory_gib;
    x->file = file;
    x->line = line;
    x->seq = b->seq++;
    if (!x->p.region || !x->p.key || (processor && !x->p.processor)) {
        price_dispose(&x->p);
        return fc_error_set(FC_ENOMEM, "out of memory reading prices");
    }
    e->n++;
    return FC_OK;
}

int fc_price_builder_currency(fc_price_builder *b, const char *currency,
                              const char *file, unsigned line)
{
    if (b->currency) {
        if (strcmp(b->currency, currency) == 0)
            return FC_OK;
        return fc_error_set(FC_EPARSE,
                            "%s:%u: currency: %s differs from %s (%s:%u); one "
                            "catalogue has one currency",
                            file, line, currency, b->currency, b->currency_file,
                            b->currency_line);
    }
    if (!(b->currency = fc_strdup(currency)))
        return fc_error_set(FC_ENOMEM, "out of memory reading prices");
    b->currency_file = file;
    b->currency_line = line;
    return FC_OK;
}

static int cmp_entry(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    int d = strcmp(x->p.region, y->p.region);
    if (d)
        return d;
    if ((d = strcmp(x->p.key, y->p.key)) != 0)
        return d;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int same_figures(const fc_price *a, const fc_price *b)
{
    return a->price == b->price &&
           (a->vcpu == 0 || b->vcpu == 0 || a->vcpu == b->vcpu) &&
           (a->memory_gib == 0 || b->memory_gib == 0 ||
            a->memory_gib == b->memory_gib);
}

/* Sorts, folds agreeing duplicates, rejects disagreeing ones, and moves the
 * entries into a price array. */
static int finish_section(fc_price_builder *b, fc_price_section s,
                          fc_price **out, size_t *nout)
{
    entry_vec *e = &b->sec[s];
    size_t i, kept;
    fc_price *p;

    if (e->n > 1) /* qsort(NULL, 0) is undefined */
        qsort(e->v, e->n, sizeof(*e->v), cmp_entry);
    for (i = 0, kept = 0; i < e->n; i++) {
        entry *x = &e->v[i];
        if (kept) {
            entry *first = &e->v[kept - 1];
            if (strcmp(x->p.region, first->p.region) == 0 &&
                strcmp(x->p.key, first->p.key) == 0) {
                if (!same_figures(&x->p, &first->p)) {
                    int rc;
                    if (strcmp(x->file, first->file) == 0)
                        rc = fc_error_set(
                            FC_EPARSE,
                            "%s:%u: %s.%s.%s: duplicate price (first at line %u)",
                            x->file, x->line, section_names[s], x->p.region,
                            x->p.key, first->line);
                    else
                        rc = fc_error_set(
                            FC_EPARSE,
                            "%s:%u: %s.%s.%s: duplicate price (first at %s:%u)",
                            x->file, x->line, section_names[s], x->p.region,
                            x->p.key, first->file, first->line);
                    /* Slots [kept, i) were moved down or disposed: keep
                     * only owned entries for builder_dispose (a double
                     * free found by fuzz_prices). */
                    memmove(&e->v[kept], &e->v[i], (e->n - i) * sizeof(*e->v));
                    e->n = kept + (e->n - i);
                    return rc;
                }
                /* The same figures twice (two offer files both listing
                 * load balancers, say): keep the first. */
                if (!first->p.processor && x->p.processor) {
                    first->p.processor = x->p.processor;
                    x->p.processor = NULL;
                }
                price_dispose(&x->p);
                continue;
            }
        }
        e->v[kept++] = *x;
    }
    e->n = kept;
    if (e->n == 0)
        return FC_OK;
    if (!(p = calloc(e->n, sizeof(*p))))
        return fc_error_set(FC_ENOMEM, "out of memory reading prices");
    for (i = 0; i < e->n; i++)
        p[i] = e->v[i].p;
    *out = p;
    *nout = e->n;
    free(e->v);
    memset(e, 0, sizeof(*e));
    return FC_OK;
}

static int builder_finish(fc_price_builder *b, fc_price_table **out)
{
    fc_price_table *t = calloc(1, sizeof(*t));
    int rc;

    *out = NULL;
    if (!t)
        return fc_error_set(FC_ENOMEM, "out of memory reading prices");
    if (b->currency) {
        t->currency = b->currency;
        b->currency = NULL;
    } else if (!(t->currency = fc_strdup("USD"))) {
        fc_prices_free(t);
        return fc_error_set(FC_ENOMEM, "out of memory reading prices");
    }
    if ((rc = finish_section(b, PSEC_EC2, &t->ec2, &t->nec2)) != 0 ||
        (rc = finish_section(b, PSEC_EBS, &t->ebs, &t->nebs)) != 0 ||
        (rc = finish_section(b, PSEC_RDS, &t->rds, &t->nrds)) != 0 ||
        (rc = finish_section(b, PSEC_OTHER, &t->other, &t->nother)) != 0) {
        fc_prices_free(t);
        return rc;
    }
    *out = t;
    return FC_OK;
}

/* ---- YAML -------------------------------------------------------------- */

typedef struct {
    const char *name;
    yaml_document_t *doc;
    fc_price_builder *b;
} pctx;

static unsigned line_of(const yaml_node_t *n)
{
    return n ? (unsigned)n->start_mark.line + 1 : 0;
}

static int perr(const pctx *c, unsigned line, const char *field,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int perr(const pctx *c, unsigned line, const char *field,
                const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return fc_error_set(FC_EPARSE, "%s:%u: %s: %s", c->name, line, field, msg);
}

static yaml_node_t *node_at(const pctx *c, int id)
{
    return yaml_document_get_node(c->doc, id);
}

static const char *scalar(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value
                                            : NULL;
}

static int yaml_number(const pctx *c, const yaml_node_t *n, const char *field,
                       const char *what, double *out)
{
    const char *val = scalar(n);
    char *end;
    double d;
    if (!val || !*val)
        return perr(c, line_of(n), field, "%s must be a number", what);
    errno = 0;
    d = strtod(val, &end);
    if (*end || errno || !isfinite(d))
        return perr(c, line_of(n), field, "'%s' is not a number", val);
    if (d < 0)
        return perr(c, line_of(n), field, "%s must be >= 0", what);
    *out = d;
    return FC_OK;
}

/* A price: a number, or (ec2, rds) {price, vcpu, memoryGiB, processor}. */
static int yaml_price(const pctx *c, fc_price_section sec, const char *region,
                      const char *key, const yaml_node_t *v, const char *field)
{
    double price = -1, vcpu = 0, mem = 0;
    const char *proc = NULL;
    yaml_node_pair_t *p;
    char sub[320];
    int rc;

    if (v && v->type == YAML_MAPPING_NODE &&
        (sec == PSEC_EC2 || sec == PSEC_RDS)) {
        for (p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top;
             p++) {
            yaml_node_t *kn = node_at(c, p->key), *vn = node_at(c, p->value);
            const char *k = scalar(kn);
            snprintf(sub, sizeof(sub), "%s.%s", field, k ? k : "?");
            if (k && strcmp(k, "price") == 0)
                rc = yaml_number(c, vn, sub, "price", &price);
            else if (k && strcmp(k, "vcpu") == 0)
                rc = yaml_number(c, vn, sub, "vcpu", &vcpu);
            else if (k && strcmp(k, "memoryGiB") == 0)
                rc = yaml_number(c, vn, sub, "memoryGiB", &mem);
            else if (k && strcmp(k, "processor") == 0) {
                proc = scalar(vn);
                rc = proc && (strcmp(proc, "x86_64") == 0 ||
                              strcmp(proc, "arm64") == 0)
                         ? FC_OK
                         : perr(c, line_of(vn), sub, "expected x86_64 or arm64");
            } else
                rc = perr(c, line_of(kn), field,
                          "unknown key '%s' (price, vcpu, memoryGiB, processor)",
                          k ? k : "");
            if (rc)
                return rc;
        }
        if (price < 0)
            return perr(c, line_of(v), field, "missing price");
    } else if ((rc = yaml_number(c, v, field, "price", &price)) != 0) {
        return rc;
    }
    return fc_price_builder_add(c->b, sec, region, key, price, vcpu, mem, proc,
                                c->name, line_of(v));
}

/* Parses `section: {region: {key: price}}`. */
static int parse_section(const pctx *c, fc_price_section sec,
                         const yaml_node_t *map)
{
    const char *section = section_names[sec];
    yaml_node_pair_t *rp, *kp;
    char field[256];
    int rc;

    if (map->type != YAML_MAPPING_NODE)
        return perr(c, line_of(map), section,
                    "must map regions to {key: price}");
    for (rp = map->data.mapping.pairs.start; rp < map->data.mapping.pairs.top;
         rp++) {
        yaml_node_t *rk = node_at(c, rp->key), *rv = node_at(c, rp->value);
        const char *region = scalar(rk);
        if (!region || !*region)
            return perr(c, line_of(rk), section, "region must be a string");
        snprintf(field, sizeof(field), "%s.%s", section, region);
        if (!rv || rv->type != YAML_MAPPING_NODE)
            return perr(c, line_of(rv), field, "must map keys to prices");
        for (kp = rv->data.mapping.pairs.start; kp < rv->data.mapping.pairs.top;
             kp++) {
            yaml_node_t *kk = node_at(c, kp->key), *kv = node_at(c, kp->value);
            const char *key = scalar(kk);
            char kfield[300];
            if (!key || !*key)
                return perr(c, line_of(kk), field, "key must be a string");
            snprintf(kfield, sizeof(kfield), "%s.%s", field, key);
            if ((rc = yaml_price(c, sec, region, key, kv, kfield)) != 0)
                return rc;
        }
    }
    return FC_OK;
}

static int parse_root(const pctx *c)
{
    yaml_node_t *root = yaml_document_get_root_node(c->doc);
    yaml_node_pair_t *p;
    int seen[PSEC__COUNT] = {0, 0, 0, 0};
    int have_currency = 0, rc, i;

    if (!root)
        return fc_error_set(FC_EPARSE, "%s: empty price file", c->name);
    if (root->type != YAML_MAPPING_NODE)
        return perr(c, line_of(root), "(root)", "must be a mapping");
    for (p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
         p++) {
        yaml_node_t *kn = node_at(c, p->key), *vn = node_at(c, p->value);
        const char *k = scalar(kn);
        if (!k)
            return perr(c, line_of(kn), "(root)", "keys must be strings");
        if (strcmp(k, "currency") == 0) {
            const char *v = scalar(vn);
            if (!v || !*v)
                return perr(c, line_of(vn), "currency", "must be a string");
            if (have_currency++)
                return perr(c, line_of(kn), "currency", "given twice");
            if ((rc = fc_price_builder_currency(c->b, v, c->name,
                                                line_of(vn))) != 0)
                return rc;
            continue;
        }
        for (i = 0; i < PSEC__COUNT; i++)
            if (strcmp(k, section_names[i]) == 0)
                break;
        if (i == PSEC__COUNT)
            return perr(c, line_of(kn), "(root)",
                        "unknown key '%s' (currency, ec2, ebs, rds, other)", k);
        if (seen[i]++)
            return perr(c, line_of(kn), k, "section given twice");
        if ((rc = parse_section(c, (fc_price_section)i, vn)) != 0)
            return rc;
    }
    return FC_OK;
}

static int yaml_read(fc_price_builder *b, const char *data, size_t len,
                     const char *name)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    pctx c;
    int rc;

    if (len > PRICES_MAX_FILE_BYTES)
        return fc_error_set(FC_ELIMIT, "%s: larger than %d bytes", name,
                            PRICES_MAX_FILE_BYTES);
    if (!yaml_parser_initialize(&parser))
        return fc_error_set(FC_ENOMEM, "out of memory");
    yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
    if (!yaml_parser_load(&parser, &doc)) {
        if (parser.context)
            rc = fc_error_set(FC_EPARSE, "%s:%lu: %s started at line %lu: %s",
                              name, (unsigned long)parser.problem_mark.line + 1,
                              parser.context,
                              (unsigned long)parser.context_mark.line + 1,
                              parser.problem ? parser.problem : "invalid YAML");
        else
            rc = fc_error_set(FC_EPARSE, "%s:%lu: %s", name,
                              (unsigned long)parser.problem_mark.line + 1,
                              parser.problem ? parser.problem : "invalid YAML");
        yaml_parser_delete(&parser);
        return rc;
    }
    c.name = name;
    c.doc = &doc;
    c.b = b;
    rc = parse_root(&c);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return rc;
}

/* ---- format detection and loading -------------------------------------- */

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* An offer file starts with "FormatVersion" (or the header row). */
static int looks_like_csv(const char *name, const char *head, size_t len)
{
    if (name && ends_with(name, ".csv"))
        return 1;
    if (len >= 3 && (unsigned char)head[0] == 0xEF)
        head += 3, len -= 3;
    if (len && head[0] == '"')
        head++, len--;
    return (len >= 13 && strncmp(head, "FormatVersion", 13) == 0) ||
           (len >= 4 && strncmp(head, "SKU\"", 4) == 0) ||
           (len >= 4 && strncmp(head, "SKU,", 4) == 0);
}

int fc_prices_parse(fc_price_table **out, const char *data, size_t len,
                    const char *name_for_errors)
{
    fc_price_builder b;
    const char *name;
    int rc;

    *out = NULL;
    memset(&b, 0, sizeof(b));
    if (!(name = fc_price_builder_file(&b, name_for_errors ? name_for_errors
                                                             : "prices"))) {
        builder_dispose(&b);
        return fc_error_set(FC_ENOMEM, "out of memory");
    }
    if (looks_like_csv(NULL, data, len))
        rc = fc_prices_csv_read(&b, NULL, data, len, name);
    else
        rc = yaml_read(&b, data, len, name);
    if (rc == FC_OK)
        rc = builder_finish(&b, out);
    builder_dispose(&b);
    return rc;
}

static int load_one(fc_price_builder *b, const char *path)
{
    const char *name = fc_price_builder_file(b, path);
    char head[64];
    size_t n;
    FILE *f;
    int rc;

    if (!name)
        return fc_error_set(FC_ENOMEM, "out of memory");
    if (!(f = fopen(path, "rb")))
        return fc_error_set(errno == ENOENT ? FC_ENOTFOUND : FC_EIO,
                            "%s: cannot open: %s", path, strerror(errno));
    n = fread(head, 1, sizeof(head), f);
    if (looks_like_csv(path, head, n)) {
        fclose(f);
        return fc_prices_csv_read(b, path, NULL, 0, name);
    }
    {
        /* YAML is small: read it whole.  One byte over the limit tells
         * "too large" from "exactly at it". */
        char *buf = malloc(PRICES_MAX_FILE_BYTES + 2);
        if (!buf) {
            fclose(f);
            return fc_error_set(FC_ENOMEM, "out of memory");
        }
        memcpy(buf, head, n);
        n += fread(buf + n, 1, PRICES_MAX_FILE_BYTES + 1 - n, f);
        if (ferror(f))
            rc = fc_error_set(FC_EIO, "%s: read error", path);
        else {
            buf[n] = '\0';
            rc = yaml_read(b, buf, n, name);
        }
        free(buf);
    }
    fclose(f);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every *.csv, *.yaml, *.yml of a directory (not recursive), by name. */
static int load_dir(fc_price_builder *b, const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char **names = NULL;
    size_t n = 0, i;
    int rc = FC_OK;

    if (!d)
        return fc_error_set(FC_EIO, "%s: cannot open directory: %s", dir,
                            strerror(errno));
    while ((de = readdir(d)) != NULL) {
        char **p;
        if (de->d_name[0] == '.' ||
            !(ends_with(de->d_name, ".csv") || ends_with(de->d_name, ".yaml") ||
              ends_with(de->d_name, ".yml")))
            continue;
        if (n == PRICES_MAX_FILES) {
            rc = fc_error_set(FC_ELIMIT, "%s: more than %d price files", dir,
                              PRICES_MAX_FILES);
            goto done;
        }
        if (!(p = realloc(names, (n + 1) * sizeof(*p))) ||
            !(p[n] = fc_asprintf("%s/%s", dir, de->d_name))) {
            if (p)
                names = p;
            rc = fc_error_set(FC_ENOMEM, "out of memory");
            goto done;
        }
        names = p;
        n++;
    }
    if (n == 0) {
        rc = fc_error_set(FC_ENOTFOUND, "%s: no *.csv or *.yaml price files",
                          dir);
        goto done;
    }
    qsort(names, n, sizeof(*names), cmp_str);
    for (i = 0; i < n && rc == FC_OK; i++)
        rc = load_one(b, names[i]);
done:
    for (i = 0; i < n; i++)
        free(names[i]);
    free(names);
    closedir(d);
    return rc;
}

int fc_prices_load_regions(fc_price_table **out, const char *path,
                           const char *const *regions, size_t nregions)
{
    fc_price_builder b;
    struct stat st;
    int rc;

    *out = NULL;
    memset(&b, 0, sizeof(b));
    b.regions = regions;
    b.nregions = nregions;
    if (stat(path, &st) != 0)
        return fc_error_set(errno == ENOENT ? FC_ENOTFOUND : FC_EIO,
                            "%s: cannot open: %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode))
        rc = load_dir(&b, path);
    else
        rc = load_one(&b, path);
    if (rc == FC_OK)
        rc = builder_finish(&b, out);
    builder_dispose(&b);
    return rc;
}

int fc_prices_load(fc_price_table **out, const char *path)
{
    return fc_prices_load_regions(out, path, NULL, 0);
}

static void free_prices(fc_price *p, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        price_dispose(&p[i]);
    free(p);
}

void fc_prices_free(fc_price_table *p)
{
    if (!p)
        return;
    free_prices(p->ec2, p->nec2);
    free_prices(p->ebs, p->nebs);
    free_prices(p->rds, p->nrds);
    free_prices(p->other, p->nother);
    free(p->currency);
    free(p);
}

/* ---- lookups ----------------------------------------------------------- */

static const fc_price *find(const fc_price *v, size_t n, const char *region,
                            const char *key)
{
    size_t lo = 0, hi = n;
    if (!v || !region || !key)
        return NULL;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int d = strcmp(v[mid].region, region);
        if (!d)
            d = strcmp(v[mid].key, key);
        if (!d)
            return &v[mid];
        if (d < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static int lookup(const fc_price *v, size_t n, const char *what,
                  const char *region, const char *key, double *out)
{
    const fc_price *p = find(v, n, region, key);
    if (!p)
        return fc_error_set(FC_ENOTFOUND, "no %s price for %s in %s", what,
                            key ? key : "(none)", region ? region : "(none)");
    *out = p->price;
    return FC_OK;
}

int fc_prices_ec2_hourly(const fc_price_table *p, const char *region,
                         const char *instance_type, double *out)
{
    return lookup(p ? p->ec2 : NULL, p ? p->nec2 : 0, "ec2", region,
                  instance_type, out);
}

int fc_prices_ec2_type(const fc_price_table *p, const char *region,
                       const char *instance_type, const fc_price **out)
{
    *out = p ? find(p->ec2, p->nec2, region, instance_type) : NULL;
    if (!*out)
        return fc_error_set(FC_ENOTFOUND, "no ec2 price for %s in %s",
                            instance_type ? instance_type : "(none)",
                            region ? region : "(none)");
    return FC_OK;
}

void fc_prices_ec2_region(const fc_price_table *p, const char *region,
                          const fc_price **first, size_t *n)
{
    size_t lo = 0, hi, end;
    *first = NULL;
    *n = 0;
    if (!p || !p->ec2 || !region)
        return;
    hi = p->nec2;
    while (lo < hi) { /* lower bound of region */
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(p->ec2[mid].region, region) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    end = lo;
    hi = p->nec2;
    while (end < hi) { /* upper bound: a region has a hundred types or more */
        size_t mid = end + (hi - end) / 2;
        if (strcmp(p->ec2[mid].region, region) <= 0)
            end = mid + 1;
        else
            hi = mid;
    }
    if (end > lo) {
        *first = &p->ec2[lo];
        *n = end - lo;
    }
}

int fc_prices_ebs_gb_month(const fc_price_table *p, const char *region,
                           const char *volume_type, double *out)
{
    return lookup(p ? p->ebs : NULL, p ? p->nebs : 0, "ebs", region,
                  volume_type, out);
}

int fc_prices_rds_class(const fc_price_table *p, const char *region,
                        const char *engine, const char *db_class,
                        const fc_price **out)
{
    char key[160];
    *out = NULL;
    if (p && engine && db_class) {
        snprintf(key, sizeof(key), "%s:%s", engine, db_class);
        *out = find(p->rds, p->nrds, region, key);
    }
    if (!*out)
        return fc_error_set(FC_ENOTFOUND, "no rds price for %s %s in %s",
                            engine ? engine : "(none)",
                            db_class ? db_class : "(none)",
                            region ? region : "(none)");
    return FC_OK;
}

int fc_prices_rds_hourly(const fc_price_table *p, const char *region,
                         const char *engine, const char *db_class, double *out)
{
    const fc_price *e;
    int rc = fc_prices_rds_class(p, region, engine, db_class, &e);
    if (rc == FC_OK)
        *out = e->price;
    return rc;
}

int fc_prices_other(const fc_price_table *p, const char *region,
                    const char *key, double *out)
{
    return lookup(p ? p->other : NULL, p ? p->nother : 0, "other", region, key,
                  out);
}
