/*
 * validate.c - what a typed spec must also satisfy: string maps, defaults
 * and the semantic rules of each kind.
 *
 * Stage: spec loading, after libcyaml has loaded a document (schema.c).
 * Input is the typed fc_specs_doc plus the libyaml node tree of the same
 * document; the tree answers "which line is spec.amount on" (locate) and
 * holds the string maps cyaml cannot type.  Output: defaults and maps
 * written into the doc (owned by it, freed by fc_specs_doc_free), and one
 * error per broken rule in the document's sink - every error, not the first.
 * No I/O, no globals.
 */
#include "specs/specs_int.h"
#include "specs/fc_crdgen.h"

#include "controller/core/fc_error.h"
#include "controller/core/fc_util.h"
#include "controller/sched/fc_sched.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- locating nodes by path ------------------------------------------ */

static int scalar_eq(const yaml_node_t *n, const char *s, size_t len)
{
    return n && n->type == YAML_SCALAR_NODE && n->data.scalar.length == len &&
           memcmp(n->data.scalar.value, s, len) == 0;
}

static yaml_node_t *map_get_n(yaml_document_t *doc, yaml_node_t *map,
                              const char *key, size_t keylen, unsigned nth,
                              unsigned *line)
{
    yaml_node_pair_t *pair;

    if (!map || map->type != YAML_MAPPING_NODE)
        return NULL;
    for (pair = map->data.mapping.pairs.start;
         pair < map->data.mapping.pairs.top; pair++) {
        yaml_node_t *k = yaml_document_get_node(doc, pair->key);
        if (!scalar_eq(k, key, keylen) || --nth > 0)
            continue;
        if (line)
            *line = (unsigned)k->start_mark.line + 1;
        return yaml_document_get_node(doc, pair->value);
    }
    return NULL;
}

yaml_node_t *fc_specs_map_get(yaml_document_t *doc, yaml_node_t *map,
                              const char *key, unsigned nth, unsigned *line)
{
    return map_get_n(doc, map, key, strlen(key), nth ? nth : 1, line);
}

yaml_node_t *fc_specs_locate(yaml_document_t *doc, const char *path,
                             unsigned *line)
{
    yaml_node_t *node = yaml_document_get_root_node(doc);
    unsigned l = node ? (unsigned)node->start_mark.line + 1 : 0;
    const char *p = path;

    while (node && *p) {
        if (*p == '[') {
            char *end;
            unsigned long i = strtoul(p + 1, &end, 10);
            yaml_node_item_t *items;
            if (*end != ']' || node->type != YAML_SEQUENCE_NODE) {
                node = NULL;
                break;
            }
            items = node->data.sequence.items.start;
            if (i >= (unsigned long)(node->data.sequence.items.top - items)) {
                node = NULL;
                break;
            }
            node = yaml_document_get_node(doc, items[i]);
            if (node)
                l = (unsigned)node->start_mark.line + 1;
            p = end + 1;
        } else {
            size_t n;
            if (*p == '.')
                p++;
            n = strcspn(p, ".[");
            node = map_get_n(doc, node, p, n, 1, &l);
            p += n;
        }
    }
    if (line)
        *line = node ? l : 0;
    return node;
}

/* ---- errors ------------------------------------------------------------ */

/* The line of `path`, or of its nearest ancestor that is written down
 * (a default-filled field has no line of its own). */
static unsigned line_of(fc_specs_docctx *dc, const char *path)
{
    char buf[256];
    unsigned line = 0;

    snprintf(buf, sizeof(buf), "%s", path);
    for (;;) {
        char *cut;
        if (fc_specs_locate(dc->ydoc, buf, &line) && line)
            return line;
        cut = strrchr(buf, '.');
        if (!cut || (strrchr(buf, '[') && strrchr(buf, '[') > cut))
            cut = strrchr(buf, '[');
        if (!cut)
            return dc->doc_line;
        *cut = '\0';
    }
}

static void bad(fc_specs_docctx *dc, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void bad(fc_specs_docctx *dc, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fc_specs_error_vadd(dc, line_of(dc, path), path, fmt, ap);
    va_end(ap);
}

/* "spec.regions[3]" into buf. */
static const char *at(char *buf, size_t size, const char *path, unsigned i)
{
    snprintf(buf, size, "%s[%u]", path, i);
    return buf;
}

static int present(fc_specs_docctx *dc, const char *path)
{
    return fc_specs_locate(dc->ydoc, path, NULL) != NULL;
}

static const char *scalar_of(fc_specs_docctx *dc, const char *path)
{
    yaml_node_t *n = fc_specs_locate(dc->ydoc, path, NULL);
    if (!n || n->type != YAML_SCALAR_NODE)
        return NULL;
    return (const char *)n->data.scalar.value;
}

static int set_default(fc_specs_docctx *dc, char **field, const char *value)
{
    if (*field)
        return FC_OK;
    *field = fc_strdup(value);
    if (!*field) {
        dc->oom = 1;
        return FC_ENOMEM;
    }
    return FC_OK;
}

/* ---- syntax of values -------------------------------------------------- */

static int in_list(const char *s, const char *const *list)
{
    for (; s && *list; list++)
        if (strcmp(s, *list) == 0)
            return 1;
    return 0;
}

static int all_digits(const char *s, size_t n)
{
    size_t i;
    for (i = 0; s[i]; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return n ? i == n : i > 0;
}

static int is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

int fc_specs_is_account_id(const char *s) { return s && all_digits(s, 12); }

int fc_specs_is_dns_label(const char *s)
{
    size_t n;
    if (!s)
        return 0;
    n = strlen(s);
    if (n == 0 || n > 63 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!is_lower_alnum(s[i]) && s[i] != '-')
            return 0;
    return 1;
}

/* eu-west-1, us-gov-east-1: lowercase words joined by dashes. */
static int is_region(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 32 || s[0] < 'a' || s[0] > 'z' || s[n - 1] == '-' ||
        !strchr(s, '-'))
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_lower_alnum(s[i]) && s[i] != '-')
            return 0;
        if (s[i] == '-' && s[i + 1] == '-')
            return 0;
    }
    return 1;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

static int is_hhmm(const char *s)
{
    if (!s || strlen(s) != 5 || s[2] != ':' || !is_digit(s[0]) ||
        !is_digit(s[1]) || !is_digit(s[3]) || !is_digit(s[4]))
        return 0;
    return (s[0] - '0') * 10 + (s[1] - '0') < 24 &&
           (s[3] - '0') * 10 + (s[4] - '0') < 60;
}

/* 30s, 5m, 1h, 1d */
static int is_interval(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 2 || n > 10 || s[0] == '0' || !strchr("smhd", s[n - 1]))
        return 0;
    for (size_t i = 0; i + 1 < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static int is_currency(const char *s)
{
    if (!s || strlen(s) != 3)
        return 0;
    for (int i = 0; i < 3; i++)
        if (s[i] < 'A' || s[i] > 'Z')
            return 0;
    return 1;
}

/* The enumerations live in schema_doc.c, shared with the generated CRDs. */
static const char *const *const weekdays = fc_schema_weekdays;
static const char *const *const services = fc_schema_services;
static const char *const *const periods = fc_schema_periods;
static const char *const *const threshold_types = fc_schema_threshold_types;
static const char *const *const risks = fc_schema_risks;
static const char *const *const providers = fc_schema_providers;
static const char *const *const actions = fc_schema_actions;

/* libcyaml reads numbers with strtod/strtoull and ignores trailing text
 * ("7days" loads as 7) and booleans as "anything not false is true"; these
 * re-read the scalar strictly.  Absent fields pass. */
static int strict_number(fc_specs_docctx *dc, const char *path, double *v)
{
    const char *s = scalar_of(dc, path);
    char *end;
    double d;

    if (!present(dc, path))
        return 1;
    if (s && *s) {
        errno = 0;
        d = strtod(s, &end);
        if (*end == '\0' && errno == 0 && isfinite(d)) {
            *v = d;
            return 1;
        }
    }
    bad(dc, path, "expected a number");
    return 0;
}

static int strict_uint(fc_specs_docctx *dc, const char *path, unsigned *v)
{
    const char *s = scalar_of(dc, path);
    unsigned long u;

    if (!present(dc, path))
        return 1;
    if (s && *s && strlen(s) <= 9 && all_digits(s, 0)) {
        u = strtoul(s, NULL, 10); /* decimal: "010" is ten, not eight */
        *v = (unsigned)u;
        return 1;
    }
    bad(dc, path, "expected a whole number");
    return 0;
}

static void strict_bool(fc_specs_docctx *dc, const char *path, int *v)
{
    static const char *const yes[] = {"true", "yes", "on"};
    static const char *const no[] = {"false", "no", "off"};
    const char *s = scalar_of(dc, path);

    if (!present(dc, path))
        return;
    for (size_t i = 0; s && i < FC_ARRAY_LEN(yes); i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *v = 1;
            return;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *v = 0;
            return;
        }
    }
    bad(dc, path, "expected true or false");
}

/* ---- string maps ------------------------------------------------------- */

typedef struct {
    const char *key;
    unsigned line;
} key_line;

static int key_line_cmp(const void *a, const void *b)
{
    const key_line *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    if (c)
        return c;
    return x->line < y->line ? -1 : x->line > y->line;
}

static int is_null(const yaml_node_t *n)
{
    const char *s;
    if (n->type != YAML_SCALAR_NODE ||
        n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return 0;
    s = (const char *)n->data.scalar.value;
    return !*s || strcmp(s, "~") == 0 || strcmp(s, "null") == 0;
}

/*
 * Reads the string map at `path` (labels, tags, parameters) from the tree:
 * cyaml skipped it (IGNORE), so this also does cyaml's job there - types,
 * duplicate keys, and the map key itself written twice.
 */
static int load_map(fc_specs_docctx *dc, const char *path, fc_kv **out,
                    unsigned *nout)
{
    char parent[128], sub[512];
    const char *key = strrchr(path, '.');
    yaml_node_t *map, *pnode;
    yaml_node_pair_t *pair;
    key_line *order = NULL;
    fc_kv *kv = NULL;
    unsigned n = 0, cap, dupline = 0;

    *out = NULL;
    *nout = 0;
    snprintf(parent, sizeof(parent), "%.*s", (int)(key - path), path);
    key++;
    pnode = fc_specs_locate(dc->ydoc, parent, NULL);
    map = fc_specs_map_get(dc->ydoc, pnode, key, 1, NULL);
    if (!map)
        return FC_OK;
    if (fc_specs_map_get(dc->ydoc, pnode, key, 2, &dupline))
        fc_specs_error_add(dc, dupline, path, "duplicate key");
    if (is_null(map))
        return FC_OK;
    if (map->type != YAML_MAPPING_NODE) {
        bad(dc, path, "expected a map of strings");
        return FC_OK;
    }
    cap = (unsigned)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
    if (cap == 0)
        return FC_OK;
    kv = calloc(cap, sizeof(*kv));
    order = calloc(cap, sizeof(*order));
    if (!kv || !order)
        goto oom;
    for (pair = map->data.mapping.pairs.start;
         pair < map->data.mapping.pairs.top; pair++) {
        yaml_node_t *k = yaml_document_get_node(dc->ydoc, pair->key);
        yaml_node_t *v = yaml_document_get_node(dc->ydoc, pair->value);
        const char *ks = k->type == YAML_SCALAR_NODE
                             ? (const char *)k->data.scalar.value
                             : "";

        if (!*ks) {
            fc_specs_error_add(dc, (unsigned)k->start_mark.line + 1, path,
                               "expected a non-empty string key");
            continue;
        }
        snprintf(sub, sizeof(sub), "%s.%.300s", path, ks);
        if (v->type != YAML_SCALAR_NODE) {
            fc_specs_error_add(dc, (unsigned)v->start_mark.line + 1, sub,
                               "expected a string");
            continue;
        }
        kv[n].key = fc_strdup(ks);
        kv[n].value = fc_strdup((const char *)v->data.scalar.value);
        order[n].key = ks;
        order[n].line = (unsigned)k->start_mark.line + 1;
        n++;
        if (!kv[n - 1].key || !kv[n - 1].value)
            goto oom;
    }
    /* Sorted copy finds duplicates in n log n: maps can be large. */
    if (n > 1)
        qsort(order, n, sizeof(*order), key_line_cmp);
    for (unsigned i = 1; i < n; i++) {
        if (strcmp(order[i].key, order[i - 1].key) == 0) {
            snprintf(sub, sizeof(sub), "%s.%.300s", path, order[i].key);
            fc_specs_error_add(dc, order[i].line, sub, "duplicate key");
        }
    }
    free(order);
    *out = kv;
    *nout = n;
    return FC_OK;
oom:
    for (unsigned i = 0; kv && i < cap; i++) {
        free(kv[i].key);
        free(kv[i].value);
    }
    free(kv);
    free(order);
    dc->oom = 1;
    return FC_ENOMEM;
}

static const char *kv_get(const fc_kv *kv, unsigned n, const char *key)
{
    for (unsigned i = 0; i < n; i++)
        if (strcmp(kv[i].key, key) == 0)
            return kv[i].value;
    return NULL;
}

/* ---- shared rules ------------------------------------------------------ */

static void check_nonempty_list(fc_specs_docctx *dc, const char *path,
                                char **items, unsigned n)
{
    char buf[160];
    for (unsigned i = 0; i < n; i++)
        if (!items[i] || !*items[i])
            bad(dc, at(buf, sizeof(buf), path, i), "must not be empty");
}

static void check_regions(fc_specs_docctx *dc, const char *path,
                          char **regions, unsigned n)
{
    char buf[160];
    for (unsigned i = 0; i < n; i++)
        if (!is_region(regions[i]))
            bad(dc, at(buf, sizeof(buf), path, i),
                "\"%.80s\" is not a region name like eu-west-1", regions[i]);
}

static void check_timezone(fc_specs_docctx *dc, const char *path,
                           const char *tz)
{
    if (tz && strcmp(tz, "UTC") != 0)
        bad(dc, path, "unsupported timezone \"%.80s\": only UTC is accepted for now",
            tz);
}

static void check_hhmm(fc_specs_docctx *dc, const char *path, const char *s)
{
    if (s && !is_hhmm(s))
        bad(dc, path, "expected a time of day as HH:MM (00:00-23:59), got \"%.80s\"",
            s);
}

static void check_weekday(fc_specs_docctx *dc, const char *path,
                          const char *s)
{
    if (s && !in_list(s, weekdays))
        bad(dc, path, "expected a weekday (mon, tue, wed, thu, fri, sat, sun), "
                      "got \"%.80s\"", s);
}

static void check_percent(fc_specs_docctx *dc, const char *path, double *v,
                          double def)
{
    if (!present(dc, path)) {
        *v = def;
        return;
    }
    if (strict_number(dc, path, v) && (*v < 0 || *v > 100))
        bad(dc, path, "expected a percentage between 0 and 100");
}

static void check_days(fc_specs_docctx *dc, const char *path, unsigned *v,
                       unsigned def)
{
    if (!present(dc, path)) {
        *v = def;
        return;
    }
    if (strict_uint(dc, path, v) && *v < 1)
        bad(dc, path, "expected at least 1 day");
}

static void check_metadata(fc_specs_docctx *dc, fc_specs_doc *doc)
{
    if (!fc_specs_is_dns_label(doc->metadata.name))
        bad(dc, "metadata.name",
            "\"%.80s\" is not a valid name: use at most 63 lowercase letters, "
            "digits and '-', starting and ending with a letter or digit",
            doc->metadata.name ? doc->metadata.name : "");
    load_map(dc, "metadata.labels", &doc->metadata.labels,
             &doc->metadata.nlabels);
}

/* ---- kinds -------------------------------------------------------------- */

static void check_account(fc_specs_docctx *dc, fc_account_spec *a)
{
    if (!fc_specs_is_account_id(a->account_id))
        bad(dc, "spec.accountId", "expected a 12-digit AWS account id");
    if (a->role_arn &&
        (strncmp(a->role_arn, "arn:", 4) != 0 || !strstr(a->role_arn, ":role/")))
        bad(dc, "spec.roleArn",
            "expected an IAM role ARN like arn:aws:iam::123456789012:role/finops");
    if (a->nregions == 0)
        bad(dc, "spec.regions", "must list at least one region");
    check_regions(dc, "spec.regions", a->regions, a->nregions);
    /* No default: an absent provider follows --provider (sim by default). */
    if (a->provider && !in_list(a->provider, providers))
        bad(dc, "spec.provider", "expected sim or aws, got \"%.80s\"",
            a->provider);
    load_map(dc, "spec.tags", &a->tags, &a->ntags);
    if (a->cost_exports) {
        const char *path = a->cost_exports->path;
        if (!path || !*path)
            bad(dc, "spec.costExports.path", "must not be empty");
        else if (strncmp(path, "s3://", 5) == 0)
            bad(dc, "spec.costExports.path",
                "S3 prefixes are not supported yet (they will be read through the "
                "aws provider); give a local directory");
    }
}

/* A lookback in days: at least 1, at most the 455 days CloudWatch keeps
 * hourly data. */
static void check_lookback(fc_specs_docctx *dc, const char *path, unsigned *v,
                           unsigned def)
{
    check_days(dc, path, v, def);
    if (present(dc, path) && *v > 455)
        bad(dc, path, "expected at most 455 days (CloudWatch keeps hourly "
                      "data that long)");
}

static void check_nonneg(fc_specs_docctx *dc, const char *path, double *v,
                         double def)
{
    if (!present(dc, path)) {
        *v = def;
        return;
    }
    if (strict_number(dc, path, v) && *v < 0)
        bad(dc, path, "expected a number >= 0");
}

static void check_flag(fc_specs_docctx *dc, const char *path, int *v, int def)
{
    if (!present(dc, path))
        *v = def;
    strict_bool(dc, path, v);
}

/* The waste-rule and rightsizing thresholds (fc_policy_spec sub-structs). */
static void check_policy_rules(fc_specs_docctx *dc, fc_policy_spec *p)
{
    static const char *const *const modes = fc_schema_ec2_modes;
    fc_policy_ec2 *e = &p->ec2;
    fc_policy_rightsizing *rs = &p->rightsizing;

    /* Older policies that only set the average thresholds keep them. */
    if (set_default(dc, &e->mode,
                    present(dc, "spec.ec2.idleCpuPercent") ||
                            present(dc, "spec.ec2.idleDays")
                        ? "average"
                        : "daily"))
        return;
    if (!in_list(e->mode, modes))
        bad(dc, "spec.ec2.mode", "expected daily or average, got \"%.80s\"",
            e->mode);
    check_percent(dc, "spec.ec2.dailyCpuPercent", &e->daily_cpu_percent, 10);
    check_nonneg(dc, "spec.ec2.dailyNetworkMB", &e->daily_network_mb, 5);
    check_days(dc, "spec.ec2.minIdleDays", &e->min_idle_days, 4);
    check_lookback(dc, "spec.ec2.lookbackDays", &e->lookback_days, 14);
    if (e->min_idle_days > e->lookback_days)
        bad(dc, "spec.ec2.minIdleDays", "expected at most lookbackDays (%u)",
            e->lookback_days);
    check_flag(dc, "spec.ebs.gp3", &p->ebs.gp3, 1);
    check_days(dc, "spec.snapshots.maxAgeDays", &p->snapshots.max_age_days, 90);
    check_nonneg(dc, "spec.elb.minRequests", &p->elb.min_requests, 100);
    check_lookback(dc, "spec.elb.idleDays", &p->elb.idle_days, 7);
    check_percent(dc, "spec.lambda.memoryUsedPercent",
                  &p->lambda.memory_used_percent, 50);
    check_lookback(dc, "spec.lambda.lookbackDays", &p->lambda.lookback_days, 14);
    check_flag(dc, "spec.s3.lifecycle", &p->s3.lifecycle, 1);
    check_percent(dc, "spec.rightsizing.targetP95Percent",
                  &rs->target_p95_percent, 60);
    check_percent(dc, "spec.rightsizing.maxPercent", &rs->max_percent, 90);
    if (!(rs->target_p95_percent > 0))
        bad(dc, "spec.rightsizing.targetP95Percent", "expected more than 0");
    if (rs->target_p95_percent > rs->max_percent)
        bad(dc, "spec.rightsizing.targetP95Percent",
            "expected at most maxPercent (%g)", rs->max_percent);
    check_lookback(dc, "spec.rightsizing.lookbackDays", &rs->lookback_days, 14);
    check_percent(dc, "spec.rightsizing.minCoveragePercent",
                  &rs->min_coverage_percent, 25);
    check_flag(dc, "spec.rightsizing.allowArchChange", &rs->allow_arch_change,
               0);
}

/* preApproved[] (issue 7.2): each entry names a rule, an action the
 * executor knows and the accounts it covers (ids, names or tags: never
 * implicitly all); whether the action is low-risk enough is judged, and
 * reported, by the Policy reconciler. */
static void check_preapproved(fc_specs_docctx *dc, fc_policy_spec *p)
{
    char base[96], buf[160];

    for (unsigned i = 0; i < p->npre_approved; i++) {
        fc_policy_preapproval *e = &p->pre_approved[i];
        at(base, sizeof(base), "spec.preApproved", i);
        snprintf(buf, sizeof(buf), "%s.accountTags", base);
        load_map(dc, buf, &e->account_tags, &e->naccount_tags);
        if (!fc_specs_is_dns_label(e->name)) {
            snprintf(buf, sizeof(buf), "%s.name", base);
            bad(dc, buf, "expected a DNS-1123 label");
        }
        for (unsigned j = 0; j < i; j++)
            if (e->name && p->pre_approved[j].name &&
                strcmp(e->name, p->pre_approved[j].name) == 0) {
                snprintf(buf, sizeof(buf), "%s.name", base);
                bad(dc, buf, "duplicate preApproved name \"%.63s\"", e->name);
            }
        if (!fc_specs_is_dns_label(e->rule)) {
            snprintf(buf, sizeof(buf), "%s.rule", base);
            bad(dc, buf, "expected a finding rule id (e.g. unassociated-elastic-ip)");
        }
        if (!in_list(e->action, fc_schema_actions)) {
            snprintf(buf, sizeof(buf), "%s.action", base);
            bad(dc, buf, "unknown action \"%.80s\"", e->action ? e->action : "");
        }
        for (unsigned j = 0; j < e->naccounts; j++)
            if (!fc_specs_is_account_id(e->accounts[j]) &&
                !fc_specs_is_dns_label(e->accounts[j])) {
                snprintf(buf, sizeof(buf), "%s.accounts[%u]", base, j);
                bad(dc, buf, "expected a 12-digit account id or an Account name");
            }
        if (!e->naccounts && !e->naccount_tags)
            bad(dc, base, "expected accounts or accountTags: a pre-approval names "
                "where it applies");
    }
    check_nonempty_list(dc, "spec.approval.approvedBy", p->approval.approved_by,
                        p->approval.napproved_by);
}

static void check_policy(fc_specs_docctx *dc, fc_policy_spec *p)
{
    char buf[160];

    for (unsigned i = 0; i < p->nservices; i++)
        if (!in_list(p->services[i], services))
            bad(dc, at(buf, sizeof(buf), "spec.services", i),
                "unknown service \"%.80s\" (expected ec2, ebs, eip, elb, rds, "
                "lambda or s3)", p->services[i]);
    check_regions(dc, "spec.regions", p->regions, p->nregions);
    for (unsigned i = 0; i < p->naccounts; i++)
        if (!fc_specs_is_account_id(p->accounts[i]) &&
            !fc_specs_is_dns_label(p->accounts[i]))
            bad(dc, at(buf, sizeof(buf), "spec.accounts", i),
                "expected a 12-digit account id or an Account name");
    check_percent(dc, "spec.ec2.idleCpuPercent", &p->ec2.cpu_percent, 5);
    check_days(dc, "spec.ec2.idleDays", &p->ec2.idle_days, 7);
    check_percent(dc, "spec.rds.cpuPercent", &p->rds.cpu_percent, 10);
    check_percent(dc, "spec.rds.connectionsPercent",
                  &p->rds.connections_percent, 20);
    check_days(dc, "spec.rds.idleDays", &p->rds.idle_days, 7);
    check_days(dc, "spec.ebs.unattachedDays", &p->ebs.unattached_days, 7);
    check_policy_rules(dc, p);
    if (!present(dc, "spec.approvals.low"))
        p->approvals.low = 1;
    strict_uint(dc, "spec.approvals.low", &p->approvals.low);
    if (!present(dc, "spec.approvals.medium"))
        p->approvals.medium = 1;
    strict_uint(dc, "spec.approvals.medium", &p->approvals.medium);
    if (!present(dc, "spec.approvals.high"))
        p->approvals.high = 2;
    strict_uint(dc, "spec.approvals.high", &p->approvals.high);
    if (!present(dc, "spec.limits.maxActionsPerPass"))
        p->limits.max_actions_per_pass = 5;
    strict_uint(dc, "spec.limits.maxActionsPerPass", &p->limits.max_actions_per_pass);
    strict_uint(dc, "spec.limits.maxActionsPerAccount", &p->limits.max_actions_per_account);
    strict_uint(dc, "spec.limits.maxActionsPerHour", &p->limits.max_actions_per_hour);
    if (!present(dc, "spec.limits.verifyTimeoutSeconds"))
        p->limits.verify_timeout_seconds = 300;
    strict_uint(dc, "spec.limits.verifyTimeoutSeconds", &p->limits.verify_timeout_seconds);
    load_map(dc, "spec.exclusions.tags", &p->exclusions.tags,
             &p->exclusions.ntags);
    check_nonempty_list(dc, "spec.exclusions.names", p->exclusions.names,
                        p->exclusions.nnames);
    check_nonneg(dc, "spec.anomalies.minPercent", &p->anomalies.min_percent, 20);
    check_nonneg(dc, "spec.anomalies.minAmount", &p->anomalies.min_amount, 50);
    check_nonneg(dc, "spec.anomalies.sensitivity", &p->anomalies.sensitivity, 3);
    if (present(dc, "spec.anomalies.sensitivity") && !(p->anomalies.sensitivity > 0))
        bad(dc, "spec.anomalies.sensitivity", "expected a z-score above 0");
    check_preapproved(dc, p);
}

/* Budget notification targets (controller/notify parses them the same
 * way): a URL must be http(s) with a host; env:VAR names an environment
 * variable holding the URL, so a secret webhook stays out of git. */
static int is_notify_target(const char *s)
{
    const char *p = NULL;
    if (strncmp(s, "webhook:", 8) == 0)
        p = s + 8;
    else if (strncmp(s, "slack:", 6) == 0)
        p = s + 6;
    if (!p) {
        const char *at_sign = strchr(s, '@');
        if (strncmp(s, "email:", 6) == 0)
            s += 6;
        return at_sign && at_sign != s && at_sign[1] && !strchr(s, ' ') &&
               !strchr(s, '/');
    }
    if (strncmp(p, "env:", 4) == 0) {
        p += 4;
        if (!((*p >= 'A' && *p <= 'Z') || *p == '_'))
            return 0;
        for (; *p; p++)
            if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                  *p == '_'))
                return 0;
        return 1;
    }
    if (strncmp(p, "https://", 8) == 0)
        p += 8;
    else if (strncmp(p, "http://", 7) == 0)
        p += 7;
    else
        return 0;
    return *p && *p != '/' && !strchr(p, ' ');
}

static void check_budget(fc_specs_docctx *dc, fc_budget_spec *b)
{
    char buf[160], sub[192];

    if (strict_number(dc, "spec.amount", &b->amount) && !(b->amount > 0))
        bad(dc, "spec.amount", "expected a positive number");
    if (set_default(dc, &b->currency, "USD") ||
        set_default(dc, &b->period, "monthly"))
        return;
    if (!is_currency(b->currency))
        bad(dc, "spec.currency",
            "expected a 3-letter currency code like USD, got \"%.80s\"",
            b->currency);
    if (!in_list(b->period, periods))
        bad(dc, "spec.period",
            "expected monthly, quarterly or annual, got \"%.80s\"", b->period);
    if (b->parent && !fc_specs_is_dns_label(b->parent))
        bad(dc, "spec.parent", "expected the name of a Budget");
    for (unsigned i = 0; i < b->scope.naccounts; i++)
        if (!fc_specs_is_account_id(b->scope.accounts[i]))
            bad(dc, at(buf, sizeof(buf), "spec.scope.accounts", i),
                "expected a 12-digit AWS account id");
    check_nonempty_list(dc, "spec.scope.services", b->scope.services,
                        b->scope.nservices);
    check_regions(dc, "spec.scope.regions", b->scope.regions,
                  b->scope.nregions);
    load_map(dc, "spec.scope.tags", &b->scope.tags, &b->scope.ntags);
    for (unsigned i = 0; i < b->nthresholds; i++) {
        fc_budget_threshold *t = &b->thresholds[i];
        at(buf, sizeof(buf), "spec.thresholds", i);
        snprintf(sub, sizeof(sub), "%s.percent", buf);
        if (strict_number(dc, sub, &t->percent) && !(t->percent > 0))
            bad(dc, sub, "expected a positive number");
        if (set_default(dc, &t->type, "actual"))
            return;
        snprintf(sub, sizeof(sub), "%s.type", buf);
        if (!in_list(t->type, threshold_types))
            bad(dc, sub, "expected actual or forecast, got \"%.80s\"", t->type);
    }
    check_nonempty_list(dc, "spec.notify", b->notify, b->nnotify);
    for (unsigned i = 0; i < b->nnotify; i++)
        if (b->notify[i] && *b->notify[i] && !is_notify_target(b->notify[i]))
            bad(dc, at(buf, sizeof(buf), "spec.notify", i),
                "expected webhook:<http(s) URL>, slack:<http(s) URL>, "
                "webhook:env:VAR, slack:env:VAR or an email address "
                "(the value is not echoed: it may hold a secret URL)");
}

static void check_optimization(fc_specs_docctx *dc, fc_optimization_spec *o)
{
    char buf[160];
    const char *need = NULL;

    if (!o->target.account || !*o->target.account)
        bad(dc, "spec.target.account", "must not be empty");
    else if (!fc_specs_is_account_id(o->target.account))
        bad(dc, "spec.target.account", "expected a 12-digit AWS account id");
    if (!o->target.region || !*o->target.region)
        bad(dc, "spec.target.region", "must not be empty");
    else if (!is_region(o->target.region))
        bad(dc, "spec.target.region",
            "\"%.80s\" is not a region name like eu-west-1", o->target.region);
    if (!o->target.resource || !*o->target.resource)
        bad(dc, "spec.target.resource", "must not be empty");
    if (!in_list(o->action, actions))
        bad(dc, "spec.action",
            "unknown action \"%.80s\" (expected stop, start, rightsize, "
            "modify-volume, snapshot-and-delete, release-address or "
            "delete-snapshot)", o->action ? o->action : "");
    if (load_map(dc, "spec.parameters", &o->parameters, &o->nparameters))
        return;
    if (o->action && strcmp(o->action, "rightsize") == 0)
        need = "instanceType";
    else if (o->action && strcmp(o->action, "modify-volume") == 0)
        need = "volumeType";
    if (need) {
        const char *v = kv_get(o->parameters, o->nparameters, need);
        snprintf(buf, sizeof(buf), "spec.parameters.%s", need);
        /* Point at the parameters when written, else at the action. */
        if (!v || !*v)
            fc_specs_error_add(dc,
                               line_of(dc, present(dc, "spec.parameters")
                                               ? "spec.parameters"
                                               : "spec.action"),
                               buf, "required when action is %s", o->action);
    }
    check_nonempty_list(dc, "spec.approval.approvedBy", o->approval.approved_by,
                        o->approval.napproved_by);
    if (o->risk && !in_list(o->risk, risks))
        bad(dc, "spec.risk", "expected low, medium or high, got \"%.80s\"",
            o->risk);
    strict_bool(dc, "spec.rollback.onFailure", &o->rollback.on_failure);
    strict_bool(dc, "spec.rollback.requested", &o->rollback.requested);
    if (o->window) {
        fc_opt_window *w = o->window;
        for (unsigned i = 0; i < w->ndays; i++)
            check_weekday(dc, at(buf, sizeof(buf), "spec.window.days", i),
                          w->days[i]);
        check_hhmm(dc, "spec.window.start", w->start);
        check_hhmm(dc, "spec.window.end", w->end);
        if (!w->start != !w->end)
            bad(dc, w->start ? "spec.window.start" : "spec.window.end",
                "start and end of a window go together");
        if (set_default(dc, &w->timezone, "UTC"))
            return;
        check_timezone(dc, "spec.window.timezone", w->timezone);
    }
}

static void check_schedule(fc_specs_docctx *dc, fc_schedule_spec *s)
{
    if (s->interval && !is_interval(s->interval))
        bad(dc, "spec.interval",
            "expected a duration like 30s, 5m, 1h or 1d, got \"%.80s\"",
            s->interval);
    if (s->discovery_interval && !is_interval(s->discovery_interval))
        bad(dc, "spec.discoveryInterval",
            "expected a duration like 30s, 5m, 1h or 1d, got \"%.80s\"",
            s->discovery_interval);
    check_hhmm(dc, "spec.optimizationTime", s->optimization_time);
    check_weekday(dc, "spec.report.weekday", s->report_day);
    check_hhmm(dc, "spec.report.time", s->report_time);
    if (set_default(dc, &s->timezone, "UTC"))
        return;
    /* The scheduler reads the system tz database: any IANA zone. */
    if (!fc_sched_tz_valid(s->timezone))
        bad(dc, "spec.timezone", "unknown time zone \"%.80s\" (not in the tz database)",
            s->timezone);
    for (unsigned i = 0; i < s->ncron; i++) {
        char buf[96];
        fc_cron cron;
        if (fc_cron_parse(&cron, s->cron[i].schedule) != FC_OK)
            bad(dc, at(buf, sizeof(buf), "spec.cron", i), "%s", fc_error_last());
        if (s->cron[i].task && !fc_sched_task_known(s->cron[i].task))
            bad(dc, at(buf, sizeof(buf), "spec.cron", i),
                "task: expected sync, discovery, optimization or report, got \"%.40s\"",
                s->cron[i].task);
        for (unsigned j = 0; j < i; j++)
            if (strcmp(s->cron[j].name, s->cron[i].name) == 0)
                bad(dc, at(buf, sizeof(buf), "spec.cron", i), "duplicate name \"%.60s\"",
                    s->cron[i].name);
    }
}

int fc_specs_validate(fc_specs_docctx *dc, fc_specs_doc *doc)
{
    int *suspend = NULL;

    check_metadata(dc, doc);
    switch ((fc_kind)dc->kind) {
    case FC_KIND_ACCOUNT:
        check_account(dc, doc->spec);
        suspend = &((fc_account_spec *)doc->spec)->suspend;
        break;
    case FC_KIND_POLICY:
        check_policy(dc, doc->spec);
        suspend = &((fc_policy_spec *)doc->spec)->suspend;
        break;
    case FC_KIND_BUDGET:
        check_budget(dc, doc->spec);
        suspend = &((fc_budget_spec *)doc->spec)->suspend;
        break;
    case FC_KIND_OPTIMIZATION:
        check_optimization(dc, doc->spec);
        suspend = &((fc_optimization_spec *)doc->spec)->suspend;
        break;
    case FC_KIND_SCHEDULE:
        check_schedule(dc, doc->spec);
        suspend = &((fc_schedule_spec *)doc->spec)->suspend;
        break;
    default:
        break;
    }
    /* cyaml reads every word but false/no/off as true ("suspend: maybe"):
     * tests/crd found it against the CRD's boolean. */
    if (suspend)
        strict_bool(dc, "spec.suspend", suspend);
    return dc->oom ? fc_error_set(FC_ENOMEM, "out of memory validating %s",
                                  dc->file)
                   : FC_OK;
}
