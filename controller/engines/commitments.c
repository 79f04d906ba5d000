/*
 * commitments.c - Savings Plan and Reserved Instance recommendations from
 * the last 30 days of EC2 usage.  Recommendations only: nothing is bought.
 *
 * Stage: engines (pure; the rate table loader reads one file).  Inputs: the
 * inventory (EC2 instances and their hourly CPUUtilization series), the
 * on-demand price table, the Savings Plan discount rates per instance
 * family (examples/prices/savings-plans/) and the clock.  Output: an
 * fc_commitment_eval the caller disposes.
 *
 * Hourly on-demand spend: the window is the 720 whole hours before the hour
 * of `now`.  An instance counts as running in hour h when its
 * CPUUtilization series has a datapoint for h - CloudWatch reports CPU
 * only while an instance runs, and the sim generates none for stopped
 * ones.  (With an instance state history that would be the better source;
 * the inventory carries only the current state.)  spend_h = Σ running
 * instances' on-demand hourly price.  Hours no instance series covers at
 * all are unobserved and left out, so a short history does not read as
 * idle time.  Instances with no price are counted as unpriced hours.
 *
 * Savings Plan: one blended discount d (spend-weighted over the family
 * rates); a commitment of C $/h covers K = C / (1 - d) of on-demand spend
 * per hour; net savings = Σ_h min(s_h, K) - n C.  That is concave and
 * piecewise linear in K, so scanning K over 0 and every observed s_h finds
 * the optimum (ties keep the smaller commitment).  It lies where the share
 * of hours with s_h >= K is about 1 - d, which is also the break-even
 * utilisation.
 *
 * Reserved Instances: per family and region, the floor (minimum over the
 * observed hours) of running normalised units (AWS size factors: small 1,
 * medium 2, large 4, xlarge 8, Nxlarge 8N), counted in the family's most
 * run size.
 */
#include "controller/engines/fc_engines.h"
#include "controller/core/fc_error.h"
#include "controller/core/fc_util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#define WINDOW_HOURS (30 * 24)
#define MAX_SIZES 16
#define SP_DIR "savings-plans"
#define SP_FILE "compute-1y-no-upfront.yaml"
#define SP_MAX_BYTES (1024 * 1024)

/* ---- rate table -------------------------------------------------------- */

void fc_sp_rates_free(fc_sp_rates *r)
{
    size_t i;
    if (!r)
        return;
    for (i = 0; i < r->nrates; i++)
        free(r->rates[i].family);
    free(r->rates);
    free(r->plan);
    free(r->currency);
    free(r);
}

static int rate_cmp(const void *a, const void *b)
{
    return strcmp(((const fc_sp_rate *)a)->family, ((const fc_sp_rate *)b)->family);
}

static int parse_fraction(const char *name, const yaml_node_t *n, const char *field,
                          double *out)
{
    char *end;
    const char *s;
    if (n->type != YAML_SCALAR_NODE)
        return fc_error_set(FC_EPARSE, "%s:%zu: %s: expected a number", name,
                            n->start_mark.line + 1, field);
    s = (const char *)n->data.scalar.value;
    errno = 0;
    *out = strtod(s, &end);
    if (end == s || *end || errno || !(*out >= 0 && *out < 1))
        return fc_error_set(FC_EPARSE, "%s:%zu: %s: expected a fraction in [0, 1), got "
                                       "\"%.40s\"",
                            name, n->start_mark.line + 1, field, s);
    return FC_OK;
}

int fc_sp_rates_parse(fc_sp_rates **out, const char *data, size_t len,
                      const char *name)
{
    yaml_parser_t p;
    yaml_document_t doc;
    yaml_node_t *root;
    yaml_node_pair_t *pair, *fp;
    fc_sp_rates *r = NULL;
    int rc = FC_OK, have_doc = 0;

    *out = NULL;
    if (!yaml_parser_initialize(&p))
        return fc_error_set(FC_ENOMEM, "out of memory");
    yaml_parser_set_input_string(&p, (const unsigned char *)data, len);
    if (!yaml_parser_load(&p, &doc)) {
        rc = fc_error_set(FC_EPARSE, "%s:%zu: %s", name, p.problem_mark.line + 1,
                          p.problem ? p.problem : "YAML error");
        goto done;
    }
    have_doc = 1;
    root = yaml_document_get_root_node(&doc);
    if (!root || root->type != YAML_MAPPING_NODE) {
        rc = fc_error_set(FC_EPARSE, "%s: expected a mapping", name);
        goto done;
    }
    if (!(r = calloc(1, sizeof(*r)))) {
        rc = fc_error_set(FC_ENOMEM, "out of memory");
        goto done;
    }
    for (pair = root->data.mapping.pairs.start; pair < root->data.mapping.pairs.top && !rc;
         pair++) {
        yaml_node_t *k = yaml_document_get_node(&doc, pair->key);
        yaml_node_t *v = yaml_document_get_node(&doc, pair->value);
        const char *key = k->type == YAML_SCALAR_NODE ? (const char *)k->data.scalar.value : "";
        if (strcmp(key, "plan") == 0 || strcmp(key, "currency") == 0) {
            char **dst = key[0] == 'p' ? &r->plan : &r->currency;
            if (v->type != YAML_SCALAR_NODE)
                rc = fc_error_set(FC_EPARSE, "%s:%zu: %s: expected a string", name,
                                  v->start_mark.line + 1, key);
            else if (!*dst && !(*dst = fc_strdup((const char *)v->data.scalar.value)))
                rc = fc_error_set(FC_ENOMEM, "out of memory");
        } else if (strcmp(key, "default") == 0) {
            rc = parse_fraction(name, v, "default", &r->default_discount);
        } else if (strcmp(key, "families") == 0) {
            size_t cap;
            if (v->type != YAML_MAPPING_NODE) {
                rc = fc_error_set(FC_EPARSE, "%s:%zu: families: expected a mapping", name,
                                  v->start_mark.line + 1);
                break;
            }
            cap = (size_t)(v->data.mapping.pairs.top - v->data.mapping.pairs.start);
            free(r->rates);
            r->nrates = 0;
            if (cap && !(r->rates = calloc(cap, sizeof(*r->rates)))) {
                rc = fc_error_set(FC_ENOMEM, "out of memory");
                break;
            }
            for (fp = v->data.mapping.pairs.start; fp < v->data.mapping.pairs.top && !rc;
                 fp++) {
                yaml_node_t *fk = yaml_document_get_node(&doc, fp->key);
                yaml_node_t *fv = yaml_document_get_node(&doc, fp->value);
                char field[96];
                if (fk->type != YAML_SCALAR_NODE) {
                    rc = fc_error_set(FC_EPARSE, "%s:%zu: families: expected family names",
                                      name, fk->start_mark.line + 1);
                    break;
                }
                snprintf(field, sizeof(field), "families.%.60s",
                         (const char *)fk->data.scalar.value);
                if ((rc = parse_fraction(name, fv, field, &r->rates[r->nrates].discount)))
                    break;
                if (!(r->rates[r->nrates].family =
                          fc_strdup((const char *)fk->data.scalar.value)))
                    rc = fc_error_set(FC_ENOMEM, "out of memory");
                else
                    r->nrates++;
            }
        } else {
            rc = fc_error_set(FC_EPARSE, "%s:%zu: unknown key '%.40s' (plan, currency, "
                                         "default, families)",
                              name, k->start_mark.line + 1, key);
        }
    }
    if (rc == FC_OK && r->nrates > 1)
        qsort(r->rates, r->nrates, sizeof(*r->rates), rate_cmp);
    if (rc == FC_OK && ((!r->plan && !(r->plan = fc_strdup("Savings Plan"))) ||
                        (!r->currency && !(r->currency = fc_strdup("USD")))))
        rc = fc_error_set(FC_ENOMEM, "out of memory");
done:
    if (have_doc)
        yaml_document_delete(&doc);
    yaml_parser_delete(&p);
    if (rc != FC_OK) {
        fc_sp_rates_free(r);
        return rc;
    }
    *out = r;
    return FC_OK;
}

int fc_sp_rates_load(fc_sp_rates **out, const char *path)
{
    FILE *f;
    char *buf;
    size_t n;
    int rc;

    *out = NULL;
    if (!(f = fopen(path, "rb")))
        return fc_error_set(errno == ENOENT ? FC_ENOTFOUND : FC_EIO, "%s: cannot open: %s",
                            path, strerror(errno));
    if (!(buf = malloc(SP_MAX_BYTES + 1))) {
        fclose(f);
        return fc_error_set(FC_ENOMEM, "out of memory");
    }
    n = fread(buf, 1, SP_MAX_BYTES + 1, f);
    if (ferror(f))
        rc = fc_error_set(FC_EIO, "%s: read error", path);
    else if (n > SP_MAX_BYTES)
        rc = fc_error_set(FC_ELIMIT, "%s: larger than %d bytes", path, SP_MAX_BYTES);
    else
        rc = fc_sp_rates_parse(out, buf, n, path);
    fclose(f);
    free(buf);
    return rc;
}

int fc_sp_rates_load_beside(fc_sp_rates **out, const char *prices_path)
{
    const char *slash;
    char *dir, *path;
    size_t dlen;
    struct stat st;
    int rc, isdir;

    *out = NULL;
    if (!prices_path)
        return FC_OK;
    /* A --prices directory holds savings-plans/ itself; a file, beside it. */
    isdir = stat(prices_path, &st) == 0 && S_ISDIR(st.st_mode);
    slash = strrchr(prices_path, '/');
    dlen = isdir ? strlen(prices_path) : slash ? (size_t)(slash - prices_path) : 1;
    if (!(dir = fc_asprintf("%.*s", (int)dlen, isdir || slash ? prices_path : ".")))
        return fc_error_set(FC_ENOMEM, "out of memory");
    path = fc_asprintf("%s/%s/%s", dir, SP_DIR, SP_FILE);
    free(dir);
    if (!path)
        return fc_error_set(FC_ENOMEM, "out of memory");
    rc = fc_sp_rates_load(out, path);
    free(path);
    if (rc == FC_ENOTFOUND)
        rc = FC_OK;
    return rc;
}

double fc_sp_rates_discount(const fc_sp_rates *r, const char *family)
{
    size_t lo = 0, hi;
    if (!r)
        return 0;
    hi = r->nrates;
    while (family && lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(r->rates[mid].family, family);
        if (c == 0)
            return r->rates[mid].discount;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return r->default_discount;
}

/* ---- the optimiser ----------------------------------------------------- */

static int dbl_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int fc_commitment_optimise(const double *s, size_t n, double d, double *commitment,
                           double *net, size_t *levels)
{
    double *v, below = 0, best = 0, best_k = 0;
    size_t i, nl = 1;

    *commitment = 0;
    *net = 0;
    if (levels)
        *levels = 0;
    if (!(d > 0 && d < 1))
        return fc_error_set(FC_EINVALID, "discount %.3f outside (0, 1)", d);
    if (n == 0)
        return FC_OK;
    if (!(v = malloc(n * sizeof(*v))))
        return fc_error_set(FC_ENOMEM, "out of memory");
    memcpy(v, s, n * sizeof(*v));
    qsort(v, n, sizeof(*v), dbl_cmp);
    /* K = v[i]: hours below i are covered in full, the rest up to K. */
    for (i = 0; i < n; i++) {
        double k = v[i], got;
        if (i == 0 || v[i] != v[i - 1]) {
            got = below + k * (double)(n - i) - (double)n * k * (1 - d);
            nl++;
            if (got > best + 1e-9) {
                best = got;
                best_k = k;
            }
        }
        below += v[i];
    }
    free(v);
    *commitment = best_k * (1 - d);
    *net = best;
    if (levels)
        *levels = nl;
    return FC_OK;
}

/* ---- usage ------------------------------------------------------------- */

typedef struct {
    char *size;
    double units;
    double hours;
} size_use;

typedef struct {
    char *family;
    char *region;
    double *units;  /* per window hour */
    size_use sizes[MAX_SIZES];
    int nsizes;
} ri_group;

/* AWS normalisation factor of a size ("large" = 4); 0 when unknown. */
static double size_units(const char *size)
{
    static const struct {
        const char *name;
        double units;
    } fixed[] = {{"nano", 0.25}, {"micro", 0.5}, {"small", 1},
                 {"medium", 2},  {"large", 4},   {"xlarge", 8}};
    size_t i;
    char *end;
    long mult;
    for (i = 0; i < FC_ARRAY_LEN(fixed); i++)
        if (strcmp(size, fixed[i].name) == 0)
            return fixed[i].units;
    mult = strtol(size, &end, 10);
    if (end != size && mult > 0 && strcmp(end, "xlarge") == 0)
        return 8.0 * (double)mult;
    return 0;
}

static ri_group *group_for(ri_group **gs, size_t *n, const char *family,
                           const char *region, size_t hours)
{
    ri_group *g, *grown;
    size_t i;
    for (i = 0; i < *n; i++)
        if (strcmp((*gs)[i].family, family) == 0 && strcmp((*gs)[i].region, region) == 0)
            return &(*gs)[i];
    if (!(grown = realloc(*gs, (*n + 1) * sizeof(*grown))))
        return NULL;
    *gs = grown;
    g = &grown[*n];
    memset(g, 0, sizeof(*g));
    g->family = fc_strdup(family);
    g->region = fc_strdup(region);
    g->units = calloc(hours, sizeof(*g->units));
    if (!g->family || !g->region || !g->units) {
        free(g->family);
        free(g->region);
        free(g->units);
        return NULL;
    }
    (*n)++;
    return g;
}

static void groups_free(ri_group *gs, size_t n)
{
    size_t i;
    int j;
    for (i = 0; i < n; i++) {
        free(gs[i].family);
        free(gs[i].region);
        free(gs[i].units);
        for (j = 0; j < gs[i].nsizes; j++)
            free(gs[i].sizes[j].size);
    }
    free(gs);
}

static int ri_cmp(const void *a, const void *b)
{
    const fc_ri_suggestion *x = a, *y = b;
    int c = strcmp(x->family, y->family);
    return c ? c : strcmp(x->region, y->region);
}

void fc_commitment_eval_dispose(fc_commitment_eval *e)
{
    size_t i;
    if (!e)
        return;
    for (i = 0; i < e->nris; i++) {
        free(e->ris[i].family);
        free(e->ris[i].region);
        free(e->ris[i].size);
    }
    free(e->ris);
    free(e->currency);
    memset(e, 0, sizeof(*e));
}

/* Adds instance usage of one series to spend/units; marks observed hours. */
static int add_instance(const fc_resource *r, const fc_metric_series *m,
                        const fc_price_table *prices, const fc_sp_rates *rates,
                        fc_commitment_eval *out, double *spend, double *disc,
                        unsigned char *observed, ri_group **gs, size_t *ng)
{
    const char *dot = r->size_class ? strchr(r->size_class, '.') : NULL;
    char family[64];
    double price = 0, units, d;
    ri_group *g = NULL;
    size_use *su = NULL;
    size_t k;
    int priced, used = 0, j;

    if (!dot || (size_t)(dot - r->size_class) >= sizeof(family))
        return FC_OK;
    snprintf(family, sizeof(family), "%.*s", (int)(dot - r->size_class), r->size_class);
    priced = prices && fc_prices_ec2_hourly(prices, r->region, r->size_class, &price) == FC_OK;
    d = fc_sp_rates_discount(rates, family);
    units = size_units(dot + 1);
    if (units > 0) {
        if (!(g = group_for(gs, ng, family, r->region, WINDOW_HOURS)))
            return fc_error_set(FC_ENOMEM, "out of memory");
        for (j = 0; j < g->nsizes; j++)
            if (strcmp(g->sizes[j].size, dot + 1) == 0)
                su = &g->sizes[j];
        if (!su && g->nsizes < MAX_SIZES) {
            su = &g->sizes[g->nsizes];
            if (!(su->size = fc_strdup(dot + 1)))
                return fc_error_set(FC_ENOMEM, "out of memory");
            su->units = units;
            g->nsizes++;
        }
    }
    for (k = 0; k < m->n; k++) {
        int64_t t = m->start + (int64_t)k * m->step;
        size_t h;
        double v;
        if (t < out->window_start || t >= out->window_end)
            continue;
        h = (size_t)((t - out->window_start) / FC_HOUR);
        observed[h] = 1;
        fc_metric_series_read(m, k, 1, &v); /* generated series have no values[] */
        if (isnan(v))
            continue;
        used = 1;
        if (priced) {
            spend[h] += price;
            *disc += price * d;
        } else {
            out->unpriced_hours++;
        }
        if (g) {
            g->units[h] += units;
            if (su)
                su->hours += 1;
        }
    }
    out->instances += used;
    return FC_OK;
}

int fc_engine_commitments(fc_commitment_eval *out, const fc_inventory *inv,
                          const fc_price_table *prices, const fc_sp_rates *rates,
                          int64_t now)
{
    double *spend = NULL, *obs = NULL, disc = 0, k;
    unsigned char *observed = NULL;
    ri_group *gs = NULL;
    size_t ng = 0, i, h, n = 0;
    int rc = FC_OK;

    memset(out, 0, sizeof(*out));
    out->window_end = now - (now % FC_HOUR + FC_HOUR) % FC_HOUR;
    out->window_start = out->window_end - (int64_t)WINDOW_HOURS * FC_HOUR;
    spend = calloc(WINDOW_HOURS, sizeof(*spend));
    obs = calloc(WINDOW_HOURS, sizeof(*obs));
    observed = calloc(WINDOW_HOURS, 1);
    out->currency = fc_strdup(rates && rates->currency ? rates->currency
                              : inv && inv->currency   ? inv->currency
                                                       : "USD");
    if (!spend || !obs || !observed || !out->currency) {
        rc = fc_error_set(FC_ENOMEM, "out of memory");
        goto done;
    }
    for (i = 0; inv && i < inv->nresources && rc == FC_OK; i++) {
        const fc_resource *r = &inv->resources[i];
        const fc_metric_series *m;
        if (r->type != FC_RES_EC2_INSTANCE ||
            !(m = fc_inventory_metric(inv, r->id, "CPUUtilization")) || m->step != FC_HOUR)
            continue;
        rc = add_instance(r, m, prices, rates, out, spend, &disc, observed, &gs, &ng);
    }
    if (rc != FC_OK)
        goto done;
    for (h = 0; h < WINDOW_HOURS; h++) {
        if (!observed[h])
            continue;
        obs[n++] = spend[h];
        out->on_demand += spend[h];
        if (n == 1 || spend[h] < out->min_hourly)
            out->min_hourly = spend[h];
        if (spend[h] > out->max_hourly)
            out->max_hourly = spend[h];
    }
    out->hours = n;
    if (n)
        out->mean_hourly = out->on_demand / (double)n;
    out->discount = out->on_demand > 0 ? disc / out->on_demand : 0;
    out->break_even_utilisation = 1 - out->discount;
    if (out->discount > 0 && out->discount < 1 &&
        (rc = fc_commitment_optimise(obs, n, out->discount, &out->commitment,
                                     &out->net_savings, &out->levels_scanned)) != FC_OK)
        goto done;
    k = out->discount < 1 ? out->commitment / (1 - out->discount) : 0;
    out->covered_per_hour = k;
    if (n && k > 0) {
        double covered = 0;
        for (h = 0; h < n; h++)
            covered += obs[h] < k ? obs[h] : k;
        out->coverage_after = out->on_demand > 0 ? covered / out->on_demand : 0;
        out->utilisation_after = covered / (k * (double)n);
        out->monthly_savings = out->net_savings / (double)n * FC_HOURS_PER_MONTH;
    }

    if (ng && !(out->ris = calloc(ng, sizeof(*out->ris)))) {
        rc = fc_error_set(FC_ENOMEM, "out of memory");
        goto done;
    }
    for (i = 0; i < ng; i++) {
        ri_group *g = &gs[i];
        fc_ri_suggestion *s = &out->ris[out->nris];
        double low = -1, total = 0;
        int j, best = -1;
        for (h = 0; h < WINDOW_HOURS; h++)
            if (observed[h] && (low < 0 || g->units[h] < low))
                low = g->units[h];
        for (j = 0; j < g->nsizes; j++) {
            total += g->sizes[j].hours;
            if (best < 0 || g->sizes[j].hours > g->sizes[best].hours ||
                (g->sizes[j].hours == g->sizes[best].hours &&
                 g->sizes[j].units < g->sizes[best].units))
                best = j;
        }
        if (best < 0 || total <= 0)
            continue;
        s->family = fc_strdup(g->family);
        s->region = fc_strdup(g->region);
        s->size = fc_strdup(g->sizes[best].size);
        out->nris++;
        if (!s->family || !s->region || !s->size) {
            rc = fc_error_set(FC_ENOMEM, "out of memory");
            goto done;
        }
        s->floor_units = low < 0 ? 0 : low;
        s->size_units = g->sizes[best].units;
        s->count = (unsigned)floor(s->floor_units / s->size_units + 1e-9);
        s->instance_hours = total;
    }
    if (out->nris > 1)
        qsort(out->ris, out->nris, sizeof(*out->ris), ri_cmp);
done:
    groups_free(gs, ng);
    free(spend);
    free(obs);
    free(observed);
    if (rc != FC_OK)
        fc_commitment_eval_dispose(out);
    return rc;
}
