/*
 * config.c - resolves the settings of settings.c from four layers.
 *
 * Inputs: argv (getopt_long options built from the table), the FINOPS_*
 * environment, the YAML config file (libyaml document API, so every value
 * keeps its line), and the table's defaults.  Output: one fc_config holding
 * each layer's validated value and the effective one, with its source.
 * Each layer is kept so fc_config_reload() can replace the file layer alone
 * and fall back to the old config when the new file is invalid.
 */
#include "controller/config/fc_config.h"
#include "controller/core/fc_error.h"
#include "controller/core/fc_log.h"
#include "controller/core/fc_util.h"
#include "controller/pass/fc_run.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define OPT_BASE 0x1000

typedef struct {
    char **v;    /* per setting; NULL = not set in this layer */
    int *line;   /* file layer: line of the value */
} layer;

struct fc_config {
    layer flag, env, file, dflt;
    char *path;            /* config file, NULL = none */
    const char **eff;      /* effective value (borrowed from a layer) */
    fc_config_source *src;
};

/* ---- values ------------------------------------------------------------ */

static int parse_bool(const char *v, int *out)
{
    static const char *const yes[] = {"true", "1", "yes", "on"};
    static const char *const no[] = {"false", "0", "no", "off"};
    size_t i;
    for (i = 0; i < FC_ARRAY_LEN(yes); i++) {
        if (strcasecmp(v, yes[i]) == 0)
            return *out = 1, 0;
        if (strcasecmp(v, no[i]) == 0)
            return *out = 0, 0;
    }
    return -1;
}

static int parse_long(const char *v, long *out)
{
    char *end;
    long n;
    if (!isdigit((unsigned char)*v))
        return -1;
    errno = 0;
    n = strtol(v, &end, 10);
    if (*end || errno)
        return -1;
    *out = n;
    return 0;
}

static int in_choices(const char *choices, const char *v)
{
    size_t n = strlen(v);
    const char *p = choices;
    while (p && *p) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && strncmp(p, v, n) == 0)
            return 1;
        p = bar ? bar + 1 : NULL;
    }
    return 0;
}

static int valid_address(const char *v)
{
    const char *colon, *host_end;
    long port;
    if (*v == '[') {
        host_end = strchr(v, ']');
        if (!host_end || host_end == v + 1 || host_end[1] != ':')
            return 0;
        colon = host_end + 1;
    } else {
        colon = strrchr(v, ':');
        if (!colon || colon == v || memchr(v, ':', (size_t)(colon - v)))
            return 0;
    }
    return parse_long(colon + 1, &port) == 0 && port <= 65535;
}

/* 0 when v suits s; else -1 and a reason ("expected ..., got 'v'"). */
static int check_value(const fc_config_setting *s, const char *v, char *why, size_t size)
{
    int b;
    long n;
    int64_t t;

    switch (s->type) {
    case FC_CFG_STRING:
        return 0;
    case FC_CFG_PATH:
        if (*v)
            return 0;
        snprintf(why, size, "expected a path, got an empty value");
        return -1;
    case FC_CFG_BOOL:
        if (parse_bool(v, &b) == 0)
            return 0;
        snprintf(why, size, "expected true or false, got '%s'", v);
        return -1;
    case FC_CFG_INT:
        if (parse_long(v, &n) == 0)
            return 0;
        snprintf(why, size, "expected a whole number >= 0, got '%s'", v);
        return -1;
    case FC_CFG_DURATION:
        if (fc_parse_duration(v) > 0)
            return 0;
        snprintf(why, size, "expected a duration like 30s, 5m, 1h, 1d, got '%s'", v);
        return -1;
    case FC_CFG_ENUM:
        if (in_choices(s->choices, v))
            return 0;
        snprintf(why, size, "expected one of %s, got '%s'", s->choices, v);
        return -1;
    case FC_CFG_ADDRESS:
        if (valid_address(v))
            return 0;
        snprintf(why, size, "expected HOST:PORT, got '%s'", v);
        return -1;
    case FC_CFG_URL:
        if (strncmp(v, "http://", 7) == 0 || strncmp(v, "https://", 8) == 0)
            return 0;
        snprintf(why, size, "expected an http:// or https:// URL, got '%s'", v);
        return -1;
    case FC_CFG_TIME:
        if (fc_time_parse(v, &t) == 0)
            return 0;
        snprintf(why, size, "expected YYYY-MM-DDTHH:MM:SSZ, got '%s'", v);
        return -1;
    }
    return 0;
}

/* Stores v (canonical for booleans) into layer slot i. */
static int put(layer *l, size_t i, const char *v, int line)
{
    const fc_config_setting *s = &fc_config_settings[i];
    char *copy;
    int b;
    if (s->type == FC_CFG_BOOL && parse_bool(v, &b) == 0)
        v = b ? "true" : "false";
    if (!(copy = fc_strdup(v)))
        return fc_error_set(FC_ENOMEM, "config: out of memory");
    free(l->v[i]);
    l->v[i] = copy;
    if (l->line)
        l->line[i] = line;
    return FC_OK;
}

static int layer_init(layer *l, int with_lines)
{
    l->v = calloc(fc_config_nsettings, sizeof(*l->v));
    l->line = with_lines ? calloc(fc_config_nsettings, sizeof(*l->line)) : NULL;
    if (!l->v || (with_lines && !l->line))
        return fc_error_set(FC_ENOMEM, "config: out of memory");
    return FC_OK;
}

static void layer_dispose(layer *l)
{
    size_t i;
    if (l->v)
        for (i = 0; i < fc_config_nsettings; i++)
            free(l->v[i]);
    free(l->v);
    free(l->line);
    l->v = NULL;
    l->line = NULL;
}

static long find(const char *key)
{
    size_t i;
    for (i = 0; i < fc_config_nsettings; i++)
        if (strcmp(fc_config_settings[i].key, key) == 0)
            return (long)i;
    return -1;
}

/* ---- layers ------------------------------------------------------------ */

static int read_flags(layer *l, int argc, char **argv, int *first_arg)
{
    struct option *opts = calloc(fc_config_nsettings + 1, sizeof(*opts));
    char shorts[64] = ":";
    size_t i, n = 0, ns = 1;
    int c, rc = FC_OK;
    char why[512];

    if (!opts)
        return fc_error_set(FC_ENOMEM, "config: out of memory");
    for (i = 0; i < fc_config_nsettings; i++) {
        const fc_config_setting *s = &fc_config_settings[i];
        if (!s->flag)
            continue;
        opts[n].name = s->flag;
        opts[n].has_arg = s->type == FC_CFG_BOOL ? optional_argument : required_argument;
        opts[n].val = OPT_BASE + (int)i;
        n++;
        if (s->short_flag && ns + 2 < sizeof(shorts)) {
            shorts[ns++] = s->short_flag;
            if (s->type != FC_CFG_BOOL)
                shorts[ns++] = ':';
        }
    }
    optind = 0; /* GNU: full re-initialisation, so parsing can run twice */
    opterr = 0;
    while ((c = getopt_long(argc, argv, shorts, opts, NULL)) != -1) {
        const fc_config_setting *s;
        const char *v;
        if (c == '?' || c == ':') {
            const char *bad = argv[optind - 1];
            rc = fc_error_set(FC_EINVALID, c == ':' ? "%s: missing value"
                                                    : "%s: unknown flag",
                              bad ? bad : "?");
            goto done;
        }
        if (c < OPT_BASE) { /* a short flag */
            for (i = 0; i < fc_config_nsettings; i++)
                if (fc_config_settings[i].short_flag == c)
                    break;
            c = OPT_BASE + (int)i;
        }
        s = &fc_config_settings[c - OPT_BASE];
        v = optarg ? optarg : "true";
        if (check_value(s, v, why, sizeof(why)) != 0) {
            rc = fc_error_set(FC_EINVALID, "--%s: %s", s->flag, why);
            goto done;
        }
        if ((rc = put(l, (size_t)(c - OPT_BASE), v, 0)) != FC_OK)
            goto done;
    }
    if (first_arg)
        *first_arg = optind;
done:
    free(opts);
    return rc;
}

static int read_env(layer *l)
{
    size_t i;
    char why[512];
    for (i = 0; i < fc_config_nsettings; i++) {
        const fc_config_setting *s = &fc_config_settings[i];
        const char *v = s->env ? getenv(s->env) : NULL;
        int rc;
        if (!v || !*v) /* empty = unset, as before the table */
            continue;
        if (check_value(s, v, why, sizeof(why)) != 0)
            return fc_error_set(FC_EINVALID, "%s: %s", s->env, why);
        if ((rc = put(l, i, v, 0)) != FC_OK)
            return rc;
    }
    return FC_OK;
}

static const char *node_kind(const yaml_node_t *n)
{
    return n->type == YAML_MAPPING_NODE    ? "a mapping"
           : n->type == YAML_SEQUENCE_NODE ? "a list"
                                           : "a value";
}

static const char *type_name(const fc_config_setting *s)
{
    switch (s->type) {
    case FC_CFG_BOOL: return "true or false";
    case FC_CFG_INT: return "a whole number";
    case FC_CFG_DURATION: return "a duration";
    case FC_CFG_ENUM: return s->choices;
    case FC_CFG_ADDRESS: return "HOST:PORT";
    case FC_CFG_URL: return "a URL";
    case FC_CFG_TIME: return "a time";
    case FC_CFG_PATH: return "a path";
    default: return "a string";
    }
}

/* Is key the prefix of a nested setting ("git" of "git.tokenFile")? */
static int is_section(const char *key)
{
    size_t i, n = strlen(key);
    for (i = 0; i < fc_config_nsettings; i++)
        if (strncmp(fc_config_settings[i].key, key, n) == 0 &&
            fc_config_settings[i].key[n] == '.')
            return 1;
    return 0;
}

static int walk(layer *l, const char *file, yaml_document_t *doc, yaml_node_t *map,
                const char *prefix)
{
    yaml_node_pair_t *p;
    char why[512];

    for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(doc, p->key);
        yaml_node_t *v = yaml_document_get_node(doc, p->value);
        int line = (int)k->start_mark.line + 1;
        char key[256];
        const char *val;
        long i;
        int rc;

        if (k->type != YAML_SCALAR_NODE)
            return fc_error_set(FC_EINVALID, "%s:%d: expected a setting name", file,
                                (int)k->start_mark.line + 1);
        snprintf(key, sizeof(key), "%s%s%s", prefix, *prefix ? "." : "",
                 (const char *)k->data.scalar.value);
        i = find(key);
        if (i < 0) {
            if (is_section(key) && v->type == YAML_MAPPING_NODE) {
                if ((rc = walk(l, file, doc, v, key)) != FC_OK)
                    return rc;
                continue;
            }
            return fc_error_set(FC_EINVALID, "%s:%d: %s: %s", file, line, key,
                                is_section(key) ? "expected a mapping" : "unknown setting");
        }
        if (fc_config_settings[i].flags & FC_CFG_NOFILE)
            return fc_error_set(FC_EINVALID,
                                "%s:%d: %s: not accepted in a config file (flag or "
                                "environment only)",
                                file, line, key);
        if (v->type != YAML_SCALAR_NODE)
            return fc_error_set(FC_EINVALID, "%s:%d: %s: expected %s, got %s", file, line,
                                key, type_name(&fc_config_settings[i]), node_kind(v));
        val = (const char *)v->data.scalar.value;
        /* `key:` or `key: ~` leaves the setting unset */
        if (v->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
            (!*val || strcmp(val, "~") == 0 || strcmp(val, "null") == 0))
            continue;
        if (l->v[i])
            return fc_error_set(FC_EINVALID, "%s:%d: %s: set twice (first on line %d)",
                                file, line, key, l->line[i]);
        if (check_value(&fc_config_settings[i], val, why, sizeof(why)) != 0)
            return fc_error_set(FC_EINVALID, "%s:%d: %s: %s", file, line, key, why);
        if ((rc = put(l, (size_t)i, val, line)) != FC_OK)
            return rc;
    }
    return FC_OK;
}

static int read_file(layer *l, const char *path)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    yaml_node_t *root;
    FILE *f = fopen(path, "rb");
    int rc = FC_OK, loaded = 0;

    if (!f)
        return fc_error_set(FC_EINVALID, "%s: cannot read config file: %s", path,
                            strerror(errno));
    if (!yaml_parser_initialize(&parser)) {
        fclose(f);
        return fc_error_set(FC_ENOMEM, "config: out of memory");
    }
    yaml_parser_set_input_file(&parser, f);
    if (!yaml_parser_load(&parser, &doc)) {
        rc = fc_error_set(FC_EINVALID, "%s:%d: %s", path, (int)parser.problem_mark.line + 1,
                          parser.problem ? parser.problem : "malformed YAML");
        goto done;
    }
    loaded = 1;
    root = yaml_document_get_root_node(&doc);
    if (!root) /* an empty file sets nothing */
        goto done;
    if (root->type != YAML_MAPPING_NODE) {
        rc = fc_error_set(FC_EINVALID, "%s:%d: expected a mapping of settings", path,
                          (int)root->start_mark.line + 1);
        goto done;
    }
    rc = walk(l, path, &doc, root, "");
done:
    if (loaded)
        yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    fclose(f);
    return rc;
}

static int read_defaults(layer *l)
{
    size_t i;
    char buf[4096];
    int rc;
    for (i = 0; i < fc_config_nsettings; i++) {
        const fc_config_setting *s = &fc_config_settings[i];
        const char *v = s->dflt;
        if (!v && s->dflt_fn) {
            s->dflt_fn(buf, sizeof(buf));
            v = buf;
        }
        if (v && (rc = put(l, i, v, 0)) != FC_OK)
            return rc;
    }
    return FC_OK;
}

static void resolve(fc_config *c)
{
    size_t i;
    for (i = 0; i < fc_config_nsettings; i++) {
        if (c->flag.v[i])
            c->eff[i] = c->flag.v[i], c->src[i] = FC_CFG_SRC_FLAG;
        else if (c->env.v[i])
            c->eff[i] = c->env.v[i], c->src[i] = FC_CFG_SRC_ENV;
        else if (c->file.v[i])
            c->eff[i] = c->file.v[i], c->src[i] = FC_CFG_SRC_FILE;
        else
            c->eff[i] = c->dflt.v[i], c->src[i] = FC_CFG_SRC_DEFAULT;
    }
}

/* ---- public ------------------------------------------------------------ */

void fc_config_free(fc_config *cfg)
{
    if (!cfg)
        return;
    layer_dispose(&cfg->flag);
    layer_dispose(&cfg->env);
    layer_dispose(&cfg->file);
    layer_dispose(&cfg->dflt);
    free(cfg->path);
    free(cfg->eff);
    free(cfg->src);
    free(cfg);
}

int fc_config_parse(fc_config **out, int argc, char **argv, int *first_arg)
{
    fc_config *c = calloc(1, sizeof(*c));
    long ci = find("config");
    int rc;

    *out = NULL;
    if (!c)
        return fc_error_set(FC_ENOMEM, "config: out of memory");
    c->eff = calloc(fc_config_nsettings, sizeof(*c->eff));
    c->src = calloc(fc_config_nsettings, sizeof(*c->src));
    if (!c->eff || !c->src) {
        rc = fc_error_set(FC_ENOMEM, "config: out of memory");
        goto done;
    }
    if ((rc = layer_init(&c->flag, 0)) || (rc = layer_init(&c->env, 0)) ||
        (rc = layer_init(&c->file, 1)) || (rc = layer_init(&c->dflt, 0)))
        goto done;
    if ((rc = read_flags(&c->flag, argc, argv, first_arg)) != FC_OK ||
        (rc = read_env(&c->env)) != FC_OK || (rc = read_defaults(&c->dflt)) != FC_OK)
        goto done;
    assert(ci >= 0);
    if (c->flag.v[ci] || c->env.v[ci]) {
        if (!(c->path = fc_strdup(c->flag.v[ci] ? c->flag.v[ci] : c->env.v[ci]))) {
            rc = fc_error_set(FC_ENOMEM, "config: out of memory");
            goto done;
        }
        if ((rc = read_file(&c->file, c->path)) != FC_OK)
            goto done;
    }
    resolve(c);
    *out = c;
    c = NULL;
done:
    fc_config_free(c);
    return rc;
}

static void describe_source(const fc_config *c, size_t i, char *buf, size_t size)
{
    const fc_config_setting *s = &fc_config_settings[i];
    switch (c->src[i]) {
    case FC_CFG_SRC_FLAG: snprintf(buf, size, "flag --%s", s->flag); break;
    case FC_CFG_SRC_ENV: snprintf(buf, size, "env %s", s->env); break;
    case FC_CFG_SRC_FILE: snprintf(buf, size, "file %s:%d", c->path, c->file.line[i]); break;
    default: snprintf(buf, size, "default"); break;
    }
}

static const char *shown(const fc_config_setting *s, const char *v)
{
    if (!v)
        return "(unset)";
    if (s->flags & FC_CFG_SECRET)
        return "<redacted>";
    return *v ? v : "\"\"";
}

int fc_config_reload(fc_config *cfg, size_t *changed)
{
    layer nl = {NULL, NULL}, old;
    const char **old_eff = NULL;
    fc_config_source *old_src = NULL;
    size_t i, n = 0;
    int rc;

    if (changed)
        *changed = 0;
    if (!cfg->path)
        return FC_OK; /* nothing to re-read */
    if ((rc = layer_init(&nl, 1)) != FC_OK)
        goto done;
    if ((rc = read_file(&nl, cfg->path)) != FC_OK)
        goto done;
    old_eff = malloc(fc_config_nsettings * sizeof(*old_eff));
    old_src = malloc(fc_config_nsettings * sizeof(*old_src));
    if (!old_eff || !old_src) {
        rc = fc_error_set(FC_ENOMEM, "config: out of memory");
        goto done;
    }
    memcpy(old_eff, cfg->eff, fc_config_nsettings * sizeof(*old_eff));
    memcpy(old_src, cfg->src, fc_config_nsettings * sizeof(*old_src));
    old = cfg->file;
    cfg->file = nl;
    nl = old; /* freed below, after the comparison */
    resolve(cfg);
    for (i = 0; i < fc_config_nsettings; i++) {
        const fc_config_setting *s = &fc_config_settings[i];
        const char *a = old_eff[i], *b = cfg->eff[i];
        char src[512];
        if ((!a && !b) || (a && b && strcmp(a, b) == 0))
            continue;
        n++;
        describe_source(cfg, i, src, sizeof(src));
        if (s->flags & FC_CFG_SECRET)
            fc_info("config: %s changed (%s)", s->key, src);
        else
            fc_info("config: %s: %s -> %s (%s)", s->key, shown(s, a), shown(s, b), src);
    }
    if (changed)
        *changed = n;
    fc_info("config: reloaded %s, %zu setting%s changed", cfg->path, n, n == 1 ? "" : "s");
done:
    layer_dispose(&nl);
    free(old_eff);
    free(old_src);
    return rc;
}

static size_t index_of(const char *key)
{
    long i = find(key);
    assert(i >= 0 && "unknown setting");
    return (size_t)i;
}

const char *fc_config_get(const fc_config *cfg, const char *key)
{
    return cfg->eff[index_of(key)];
}

int fc_config_bool(const fc_config *cfg, const char *key)
{
    const char *v = fc_config_get(cfg, key);
    int b = 0;
    if (v)
        parse_bool(v, &b);
    return b;
}

long fc_config_long(const fc_config *cfg, const char *key)
{
    size_t i = index_of(key);
    const char *v = cfg->eff[i];
    long n = -1;
    if (!v)
        return -1;
    if (fc_config_settings[i].type == FC_CFG_DURATION)
        return fc_parse_duration(v);
    if (parse_long(v, &n) != 0)
        return -1;
    return n;
}

fc_config_source fc_config_source_of(const fc_config *cfg, const char *key)
{
    return cfg->src[index_of(key)];
}

const char *fc_config_file(const fc_config *cfg)
{
    return cfg->path;
}

void fc_config_print(const fc_config *cfg, FILE *f)
{
    size_t i;
    char src[512];
    fprintf(f, "%-26s %-34s %s\n", "SETTING", "VALUE", "SOURCE");
    for (i = 0; i < fc_config_nsettings; i++) {
        const fc_config_setting *s = &fc_config_settings[i];
        if (s->flags & FC_CFG_HIDDEN)
            continue;
        describe_source(cfg, i, src, sizeof(src));
        fprintf(f, "%-26s %-34s %s\n", s->key, shown(s, cfg->eff[i]), src);
    }
    if (cfg->path)
        fprintf(f, "config file: %s\n", cfg->path);
}

void fc_config_print_flags(FILE *f)
{
    size_t i;
    for (i = 0; i < fc_config_nsettings; i++) {
        const fc_config_setting *s = &fc_config_settings[i];
        char head[128], where[256];
        size_t w = 0;
        int n;
        if (!s->flag && !s->env)
            continue;
        if (s->flag && s->short_flag)
            n = snprintf(head, sizeof(head), "  -%c, --%s", s->short_flag, s->flag);
        else if (s->flag)
            n = snprintf(head, sizeof(head), "  --%s%s%s", s->flag, s->arg ? " " : "",
                         s->arg ? s->arg : "");
        else
            n = snprintf(head, sizeof(head), "  (%s)", s->env);
        fprintf(f, "%s%*s%s\n", head, n < 32 ? 32 - n : 1, "", s->help);
        where[0] = '\0';
        if (s->env && s->flag)
            w += (size_t)snprintf(where + w, sizeof(where) - w, "%s", s->env);
        if (!(s->flags & FC_CFG_NOFILE))
            w += (size_t)snprintf(where + w, sizeof(where) - w, "%sfile: %s", w ? ", " : "",
                                  s->key);
        if (s->dflt && *s->dflt && s->type != FC_CFG_BOOL && w < sizeof(where))
            w += (size_t)snprintf(where + w, sizeof(where) - w, "%sdefault %s",
                                  w ? ", " : "", s->dflt);
        if (w)
            fprintf(f, "%32s%s\n", "", where);
    }
}
