/*
 * pass.c - the cost steps of a reconcile pass: ingest new billing exports,
 * merge stored costs into the inventory, and keep the anomaly history.
 *
 * Stage: between discovery and the engines (controller/pass/run.c calls
 * fc_costs_observe() and fc_costs_anomalies()).  Inputs: the state store, the
 * Account specs' costExports directories, the clock.  Outputs: cost rows
 * in the caller's inventory, an anomaly list the caller owns, and rows in
 * the state store (tables of modules "costs" and "anomalies").  The anomaly
 * engine stays pure: this file only loads its previous output and saves the
 * new one.
 */
#include "controller/ingest/fc_ingest.h"
#include "controller/core/fc_error.h"
#include "controller/core/fc_log.h"
#include "controller/core/fc_util.h"

#include <dirent.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- export directories ------------------------------------------------------ */

#define MAX_DEPTH 6   /* focus/data/BILLING_PERIOD=2026-11/... */
#define MAX_FILES 100000

typedef struct {
    char **paths;
    size_t n, cap;
} path_list;

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static int is_export(const char *name)
{
    return name[0] != '.' && (ends_with(name, ".csv") || ends_with(name, ".csv.gz"));
}

static int list_add(path_list *l, const char *path)
{
    char *d;
    if (l->n >= MAX_FILES)
        return fc_error_set(FC_ELIMIT, "more than %d export files", MAX_FILES);
    if (l->n == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 16;
        char **np = realloc(l->paths, ncap * sizeof(*np));
        if (!np)
            return fc_error_set(FC_ENOMEM, "export list");
        l->paths = np;
        l->cap = ncap;
    }
    if (!(d = fc_strdup(path)))
        return fc_error_set(FC_ENOMEM, "export list");
    l->paths[l->n++] = d;
    return FC_OK;
}

static void list_dispose(path_list *l)
{
    size_t i;
    for (i = 0; i < l->n; i++)
        free(l->paths[i]);
    free(l->paths);
    memset(l, 0, sizeof(*l));
}

static int walk(path_list *l, const char *dir, int depth)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int rc = FC_OK;

    if (!d)
        return fc_error_set(FC_ENOTFOUND, "costExports %s: cannot open directory", dir);
    while (rc == FC_OK && (e = readdir(d)) != NULL) {
        char path[PATH_MAX];
        struct stat st;
        if (e->d_name[0] == '.')
            continue;
        if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path))
            continue;
        if (stat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            if (depth < MAX_DEPTH)
                rc = walk(l, path, depth + 1);
        } else if (S_ISREG(st.st_mode) && is_export(e->d_name)) {
            rc = list_add(l, path);
        }
    }
    closedir(d);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One file: skipped when stored with the same size and mtime. */
static void ingest_one(fc_state *s, const char *path, int64_t now, fc_export_stats *stats)
{
    fc_ingest_result r;
    fc_cost_store_outcome outcome;
    char real[PATH_MAX], *dup = NULL;
    struct stat st;
    int seen = 0, rc;
    size_t i;

    stats->files_seen++;
    if (!realpath(path, real) || stat(real, &st) != 0) {
        stats->files_failed++;
        fc_warn("cost export %s: cannot stat", path);
        return;
    }
    if (fc_cost_store_seen(s, real, (int64_t)st.st_size, (int64_t)st.st_mtime, &seen) !=
            FC_OK ||
        seen)
        return;
    fc_ingest_result_init(&r);
    rc = fc_ingest_file(&r, real);
    if (rc == FC_OK)
        rc = fc_cost_store_save(s, &r, real, (int64_t)st.st_size, (int64_t)st.st_mtime, now,
                                &outcome, &dup);
    if (rc != FC_OK) {
        stats->files_failed++;
        fc_warn("cost export %s not ingested: %s", real, fc_error_last());
    } else {
        stats->files_ingested++;
        stats->rows += r.rows;
        stats->rejected += r.rejected;
        fc_info("cost export %s: %s, %llu rows, %llu rejected, %zu days%s%s", real,
                fc_cost_format_name(r.format), (unsigned long long)r.rows,
                (unsigned long long)r.rejected, r.days,
                outcome == FC_COST_DUPLICATE ? ", same bytes as " : "",
                outcome == FC_COST_DUPLICATE && dup ? dup : "");
        for (i = 0; i < r.nerrors; i++)
            fc_warn("%s:%llu: %s: %s", real, (unsigned long long)r.errors[i].line,
                    r.errors[i].column, r.errors[i].message);
    }
    free(dup);
    fc_ingest_result_dispose(&r);
}

/* Keeps only rows of accounts the specs declare (when they declare any). */
static void keep_declared(fc_inventory *inv, const fc_spec_set *specs)
{
    size_t i, j, k, declared = 0;
    fc_cost_row *lists[2] = {inv->costs, inv->cost_details};
    size_t *counts[2] = {&inv->ncosts, &inv->ncost_details};

    for (i = 0; specs && i < specs->nobjects; i++)
        declared += specs->objects[i].kind == FC_KIND_ACCOUNT;
    if (!declared)
        return;
    for (k = 0; k < 2; k++) {
        size_t kept = 0;
        for (i = 0; i < *counts[k]; i++) {
            fc_cost_row *c = &lists[k][i];
            int ok = 0;
            for (j = 0; !ok && j < specs->nobjects; j++)
                ok = specs->objects[j].kind == FC_KIND_ACCOUNT &&
                     strcmp(specs->objects[j].spec.account->account_id, c->account) == 0;
            if (ok)
                lists[k][kept++] = *c;
            else
                fc_cost_row_dispose(c);
        }
        *counts[k] = kept;
    }
}

int fc_costs_observe(fc_state *s, const fc_spec_set *specs, int64_t now, int cost_days,
                     int write, fc_inventory *inv, fc_export_stats *stats)
{
    fc_inventory stored;
    path_list files = {0};
    int64_t today = now - (now % FC_DAY + FC_DAY) % FC_DAY;
    size_t i;
    int rc = FC_OK;

    memset(stats, 0, sizeof(*stats));
    fc_inventory_init(&stored);
    for (i = 0; write && specs && i < specs->nobjects; i++) {
        const fc_object *o = &specs->objects[i];
        const fc_account_spec *a;
        if (o->kind != FC_KIND_ACCOUNT)
            continue;
        a = o->spec.account;
        if (!a->cost_exports || !a->cost_exports->path)
            continue;
        if (walk(&files, a->cost_exports->path, 0) != FC_OK)
            fc_warn("account %s: %s", o->metadata.name, fc_error_last());
    }
    if (files.n > 1)
        qsort(files.paths, files.n, sizeof(*files.paths), cmp_str);
    for (i = 0; i < files.n; i++)
        if (i == 0 || strcmp(files.paths[i], files.paths[i - 1]) != 0)
            ingest_one(s, files.paths[i], now, stats);

    if (inv->currency && !(stored.currency = fc_strdup(inv->currency))) {
        rc = fc_error_set(FC_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = fc_cost_store_load(s, today - (int64_t)cost_days * FC_DAY, today, &stored)) !=
        FC_OK)
        goto done;
    keep_declared(&stored, specs);
    rc = fc_costs_merge(inv, &stored);
done:
    list_dispose(&files);
    fc_inventory_dispose(&stored);
    return rc;
}

void fc_costs_pass_observe(fc_state *state, const fc_spec_set *specs, int64_t now,
                           int cost_days, int write, fc_inventory *inv)
{
    fc_export_stats stats;

    if (!state)
        return;
    if (fc_costs_observe(state, specs, now, cost_days, write, inv, &stats) != FC_OK) {
        fc_warn("stored costs not used this pass: %s", fc_error_last());
        return;
    }
    if (stats.files_ingested || stats.files_failed)
        fc_info("cost exports: %zu files ingested (%llu rows, %llu rejected), %zu failed",
                stats.files_ingested, (unsigned long long)stats.rows,
                (unsigned long long)stats.rejected, stats.files_failed);
}

/* ---- anomaly history ------------------------------------------------------------ */

static const char *const anomaly_steps[] = {
    "CREATE TABLE anomalies ("
    "  id TEXT PRIMARY KEY,"
    "  account TEXT NOT NULL,"
    "  service TEXT NOT NULL,"
    "  region TEXT NOT NULL,"
    "  currency TEXT NOT NULL,"
    "  policy TEXT,"
    "  first_day INTEGER NOT NULL,"
    "  last_day INTEGER NOT NULL,"
    "  open INTEGER NOT NULL,"
    "  resolved_day INTEGER NOT NULL,"
    "  impact REAL NOT NULL,"
    "  max_z REAL NOT NULL,"
    "  severity TEXT NOT NULL,"
    "  days TEXT NOT NULL,"     /* JSON [[day, actual, expected, z], ...] */
    "  causes TEXT NOT NULL)",  /* JSON [[dimension, value, excess, share], ...] */
};

static int anomaly_migrate(fc_state *s)
{
    return fc_state_migrate(s, "anomalies", anomaly_steps, FC_ARRAY_LEN(anomaly_steps));
}

static const char *text_at(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : NULL;
}

static double num_at(struct json_object *a, size_t i)
{
    return json_object_get_double(json_object_array_get_idx(a, i));
}

static int parse_json_parts(fc_anomaly *a, const char *days, const char *causes)
{
    struct json_object *d = json_tokener_parse(days ? days : "[]");
    struct json_object *c = json_tokener_parse(causes ? causes : "[]");
    size_t i, n;
    int rc = FC_OK;

    if (!d || !c || !json_object_is_type(d, json_type_array) ||
        !json_object_is_type(c, json_type_array)) {
        rc = fc_error_set(FC_EPARSE, "anomaly %s: corrupt history", a->id);
        goto done;
    }
    n = json_object_array_length(d);
    if (n && !(a->days = calloc(n, sizeof(*a->days)))) {
        rc = fc_error_set(FC_ENOMEM, "out of memory");
        goto done;
    }
    for (i = 0; i < n; i++) {
        struct json_object *e = json_object_array_get_idx(d, i);
        a->days[i].day = json_object_get_int64(json_object_array_get_idx(e, 0));
        a->days[i].actual = num_at(e, 1);
        a->days[i].expected = num_at(e, 2);
        a->days[i].z = num_at(e, 3);
    }
    a->ndays = n;
    n = json_object_array_length(c);
    if (n && !(a->causes = calloc(n, sizeof(*a->causes)))) {
        rc = fc_error_set(FC_ENOMEM, "out of memory");
        goto done;
    }
    for (i = 0; i < n; i++) {
        struct json_object *e = json_object_array_get_idx(c, i);
        a->causes[i].dimension =
            fc_strdup(json_object_get_string(json_object_array_get_idx(e, 0)));
        a->causes[i].value = fc_strdup(json_object_get_string(json_object_array_get_idx(e, 1)));
        a->causes[i].excess = num_at(e, 2);
        a->causes[i].share = num_at(e, 3);
        a->ncauses = i + 1;
        if (!a->causes[i].dimension || !a->causes[i].value) {
            rc = fc_error_set(FC_ENOMEM, "out of memory");
            goto done;
        }
    }
done:
    json_object_put(d);
    json_object_put(c);
    return rc;
}

int fc_anomaly_store_load(fc_state *s, fc_anomaly_list *out)
{
    sqlite3_stmt *st = NULL;
    int rc, step;

    if ((rc = anomaly_migrate(s)) != FC_OK)
        return rc;
    if (sqlite3_prepare_v2(fc_state_db(s),
                           "SELECT id, account, service, region, currency, policy, first_day, "
                           "last_day, open, resolved_day, impact, max_z, severity, days, causes "
                           "FROM anomalies ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK)
        return fc_state_error(s, "anomalies");
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        fc_anomaly a;
        const char *sev = text_at(st, 12);
        memset(&a, 0, sizeof(a));
        a.id = fc_strdup(text_at(st, 0));
        a.account = fc_strdup(text_at(st, 1));
        a.service = fc_strdup(text_at(st, 2));
        a.region = fc_strdup(text_at(st, 3));
        a.currency = fc_strdup(text_at(st, 4));
        a.policy = text_at(st, 5) ? fc_strdup(text_at(st, 5)) : NULL;
        a.first_day = sqlite3_column_int64(st, 6);
        a.last_day = sqlite3_column_int64(st, 7);
        a.open = sqlite3_column_int(st, 8);
        a.resolved_day = sqlite3_column_int64(st, 9);
        a.impact = sqlite3_column_double(st, 10);
        a.max_z = sqlite3_column_double(st, 11);
        a.severity = sev && strcmp(sev, "high") == 0     ? FC_ANOMALY_HIGH
                     : sev && strcmp(sev, "medium") == 0 ? FC_ANOMALY_MEDIUM
                                                          : FC_ANOMALY_LOW;
        if (!a.id || !a.account || !a.service || !a.region || !a.currency) {
            fc_anomaly_dispose(&a);
            rc = fc_error_set(FC_ENOMEM, "out of memory");
            break;
        }
        if ((rc = parse_json_parts(&a, text_at(st, 13), text_at(st, 14))) != FC_OK) {
            fc_anomaly_dispose(&a);
            if (rc == FC_ENOMEM)
                break;
            fc_warn("%s (skipped)", fc_error_last());
            rc = FC_OK;
            continue;
        }
        rc = fc_anomaly_list_add(out, &a);
        fc_anomaly_dispose(&a);
        if (rc != FC_OK)
            break;
    }
    if (rc == FC_OK && step != SQLITE_DONE)
        rc = fc_state_error(s, "anomalies");
    sqlite3_finalize(st);
    return rc;
}

static char *days_json(const fc_anomaly *a)
{
    struct json_object *arr = json_object_new_array();
    char *out;
    size_t i;
    for (i = 0; i < a->ndays; i++) {
        struct json_object *e = json_object_new_array();
        json_object_array_add(e, json_object_new_int64(a->days[i].day));
        json_object_array_add(e, json_object_new_double(a->days[i].actual));
        json_object_array_add(e, json_object_new_double(a->days[i].expected));
        json_object_array_add(e, json_object_new_double(a->days[i].z));
        json_object_array_add(arr, e);
    }
    out = fc_strdup(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN));
    json_object_put(arr);
    return out;
}

static char *causes_json(const fc_anomaly *a)
{
    struct json_object *arr = json_object_new_array();
    char *out;
    size_t i;
    for (i = 0; i < a->ncauses; i++) {
        struct json_object *e = json_object_new_array();
        json_object_array_add(e, json_object_new_string(a->causes[i].dimension));
        json_object_array_add(e, json_object_new_string(a->causes[i].value));
        json_object_array_add(e, json_object_new_double(a->causes[i].excess));
        json_object_array_add(e, json_object_new_double(a->causes[i].share));
        json_object_array_add(arr, e);
    }
    out = fc_strdup(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN));
    json_object_put(arr);
    return out;
}

int fc_anomaly_store_save(fc_state *s, const fc_anomaly_list *l)
{
    sqlite3_stmt *st = NULL;
    size_t i;
    int rc;

    if ((rc = anomaly_migrate(s)) != FC_OK || (rc = fc_state_begin(s)) != FC_OK)
        return rc;
    if ((rc = fc_state_exec(s, "DELETE FROM anomalies")) != FC_OK)
        goto fail;
    if (sqlite3_prepare_v2(fc_state_db(s),
                           "INSERT INTO anomalies(id, account, service, region, currency, "
                           "policy, first_day, last_day, open, resolved_day, impact, max_z, "
                           "severity, days, causes) "
                           "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = fc_state_error(s, "anomalies");
        goto fail;
    }
    for (i = 0; i < l->n; i++) {
        const fc_anomaly *a = &l->items[i];
        char *days = days_json(a), *causes = causes_json(a);
        if (!days || !causes) {
            free(days);
            free(causes);
            rc = fc_error_set(FC_ENOMEM, "out of memory");
            goto fail;
        }
        sqlite3_bind_text(st, 1, a->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, a->account, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, a->service, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, a->region ? a->region : "", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, a->currency ? a->currency : "USD", -1, SQLITE_STATIC);
        if (a->policy)
            sqlite3_bind_text(st, 6, a->policy, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(st, 6);
        sqlite3_bind_int64(st, 7, a->first_day);
        sqlite3_bind_int64(st, 8, a->last_day);
        sqlite3_bind_int(st, 9, a->open);
        sqlite3_bind_int64(st, 10, a->resolved_day);
        sqlite3_bind_double(st, 11, a->impact);
        sqlite3_bind_double(st, 12, a->max_z);
        sqlite3_bind_text(st, 13, fc_anomaly_severity_name(a->severity), -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 14, days, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 15, causes, -1, SQLITE_TRANSIENT);
        free(days);
        free(causes);
        rc = sqlite3_step(st) == SQLITE_DONE ? FC_OK : fc_state_error(s, "anomalies");
        sqlite3_reset(st);
        if (rc != FC_OK)
            goto fail;
    }
    sqlite3_finalize(st);
    return fc_state_commit(s);
fail:
    sqlite3_finalize(st);
    fc_state_rollback(s);
    return rc;
}

int fc_costs_anomalies(fc_state *s, const fc_spec_set *specs, const fc_inventory *inv,
                       int64_t now, int write, fc_anomaly_list *out)
{
    fc_anomaly_list prev;
    int rc = FC_OK;

    fc_anomaly_list_init(&prev);
    if (s && (rc = fc_anomaly_store_load(s, &prev)) != FC_OK) {
        /* A broken history must not stop the pass: start over. */
        fc_warn("anomaly history unreadable (%s); starting afresh", fc_error_last());
        fc_anomaly_list_dispose(&prev);
        rc = FC_OK;
    }
    if ((rc = fc_engine_anomalies(out, inv, specs, &prev, now)) == FC_OK && s && write)
        rc = fc_anomaly_store_save(s, out);
    fc_anomaly_list_dispose(&prev);
    return rc;
}
