/*
 * store.c - ingested cost in the state store (module "costs"), and the
 * merge of stored costs into a pass's inventory.
 *
 * Stage: cost ingest / observation.  Tables:
 *   cost_files           one row per ingested file name: size, mtime, content
 *                        fingerprint, format, row counts
 *   cost_daily           day x account x service x region x currency, per file
 *   cost_resource_daily  ... x usage type x resource id, per file
 * Every cost row names its file (source), so re-ingesting a file deletes
 * its earlier rows (ON DELETE CASCADE) and inserts the new ones in the same
 * transaction: a file counts once however often it is ingested.  The same
 * bytes under another name are recognised by fingerprint and not stored
 * twice.  Totals are the sum over files.
 */
#include "controller/ingest/ingest_int.h"
#include "controller/core/fc_error.h"
#include "controller/core/fc_log.h"
#include "controller/core/fc_util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Rows are keyed by their file first: a new file's rows append at the end
 * of the tree, dropping a file is a range delete, and a load reads the
 * day range of the files whose [first_day, last_day] overlaps it (no
 * secondary index to maintain on insert). */
static const char *const cost_steps[] = {
    "CREATE TABLE cost_files ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  name TEXT NOT NULL UNIQUE,"
    "  size INTEGER NOT NULL,"
    "  mtime INTEGER NOT NULL,"
    "  fingerprint TEXT NOT NULL,"
    "  format TEXT NOT NULL,"
    "  rows INTEGER NOT NULL,"
    "  rejected INTEGER NOT NULL,"
    "  first_day INTEGER,"
    "  last_day INTEGER,"
    "  ingested_at INTEGER NOT NULL);"
    "CREATE INDEX cost_files_fingerprint ON cost_files(fingerprint);"
    "CREATE TABLE cost_daily ("
    "  source INTEGER NOT NULL REFERENCES cost_files(id) ON DELETE CASCADE,"
    "  day INTEGER NOT NULL,"
    "  account TEXT NOT NULL,"
    "  service TEXT NOT NULL,"
    "  region TEXT NOT NULL,"
    "  currency TEXT NOT NULL,"
    "  amount REAL NOT NULL,"
    "  PRIMARY KEY (source, day, account, service, region, currency)) WITHOUT ROWID;"
    "CREATE TABLE cost_resource_daily ("
    "  source INTEGER NOT NULL REFERENCES cost_files(id) ON DELETE CASCADE,"
    "  day INTEGER NOT NULL,"
    "  account TEXT NOT NULL,"
    "  service TEXT NOT NULL,"
    "  region TEXT NOT NULL,"
    "  usage_type TEXT NOT NULL,"
    "  resource_id TEXT NOT NULL,"
    "  currency TEXT NOT NULL,"
    "  amount REAL NOT NULL,"
    "  PRIMARY KEY (source, day, account, service, region, usage_type, resource_id,"
    "               currency)) WITHOUT ROWID;",
};

int fc_cost_store_migrate(fc_state *s)
{
    return fc_state_migrate(s, "costs", cost_steps, FC_ARRAY_LEN(cost_steps));
}

static int prepare(fc_state *s, sqlite3_stmt **st, const char *sql)
{
    if (sqlite3_prepare_v2(fc_state_db(s), sql, -1, st, NULL) != SQLITE_OK)
        return fc_state_error(s, "prepare");
    return FC_OK;
}

int fc_cost_store_seen(fc_state *s, const char *name, int64_t size, int64_t mtime,
                       int *seen)
{
    sqlite3_stmt *st = NULL;
    int rc;
    *seen = 0;
    if ((rc = fc_cost_store_migrate(s)) != FC_OK ||
        (rc = prepare(s, &st, "SELECT 1 FROM cost_files WHERE name = ? AND size = ? "
                              "AND mtime = ?")) != FC_OK)
        return rc;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, size);
    sqlite3_bind_int64(st, 3, mtime);
    rc = sqlite3_step(st);
    *seen = rc == SQLITE_ROW;
    rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? FC_OK : fc_state_error(s, "cost files");
    sqlite3_finalize(st);
    return rc;
}

static int step_done(fc_state *s, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? FC_OK : fc_state_error(s, what);
}

/* Sort order of the rows: the primary key's (day, then the strings in
 * key order), so inserts append to the tree instead of landing at random. */
typedef struct {
    const fc_cost_agg *a;
    const uint32_t *rank;   /* string id -> rank in byte order */
} sort_ctx;

static sort_ctx g_sort;     /* qsort has no payload; only used under the
                               store's transaction, one at a time */

static int cmp_str_id(const void *x, const void *y)
{
    uint32_t i = *(const uint32_t *)x, j = *(const uint32_t *)y;
    return strcmp(fc_agg_s(g_sort.a, i), fc_agg_s(g_sort.a, j));
}

static int cmp_entry(const void *x, const void *y)
{
    static const int order[] = {AGG_ACCOUNT, AGG_SERVICE, AGG_REGION, AGG_USAGE,
                                AGG_RESOURCE, AGG_CURRENCY};
    const fc_agg_entry *p = *(const fc_agg_entry *const *)x;
    const fc_agg_entry *q = *(const fc_agg_entry *const *)y;
    size_t k;
    if (p->day != q->day)
        return p->day < q->day ? -1 : 1;
    for (k = 0; k < FC_ARRAY_LEN(order); k++) {
        uint32_t a = g_sort.rank[p->k[order[k]]], b = g_sort.rank[q->k[order[k]]];
        if (a != b)
            return a < b ? -1 : 1;
    }
    return 0;
}

/* Entries of t in primary-key order (free the array). */
static int sorted_entries(const fc_cost_agg *a, const fc_agg_table *t, const uint32_t *rank,
                          const fc_agg_entry ***out)
{
    const fc_agg_entry **v = malloc((t->n ? t->n : 1) * sizeof(*v));
    size_t i, n = 0;
    if (!v)
        return fc_error_set(FC_ENOMEM, "cost store");
    for (i = 0; i < t->cap; i++)
        if (t->slots[i].h)
            v[n++] = &t->slots[i];
    g_sort.a = a;
    g_sort.rank = rank;
    if (n > 1)
        qsort(v, n, sizeof(*v), cmp_entry);
    *out = v;
    return FC_OK;
}

static void bind_str(sqlite3_stmt *st, int i, const fc_cost_agg *a, uint32_t id)
{
    sqlite3_bind_text(st, i, a->strs[id].s, (int)a->strs[id].len, SQLITE_STATIC);
}

static int insert_rows(fc_state *s, const fc_cost_agg *a, int64_t source)
{
    sqlite3_stmt *d = NULL, *r = NULL;
    const fc_agg_entry **rows = NULL;
    uint32_t *ids = NULL, *rank = NULL, i;
    size_t k;
    int rc;

    /* Rank the interned strings once; rows then sort by integers. */
    ids = malloc(a->nstrs * sizeof(*ids));
    rank = malloc(a->nstrs * sizeof(*rank));
    if (!ids || !rank) {
        rc = fc_error_set(FC_ENOMEM, "cost store");
        goto done;
    }
    for (i = 0; i < a->nstrs; i++)
        ids[i] = i;
    g_sort.a = a;
    qsort(ids, a->nstrs, sizeof(*ids), cmp_str_id);
    for (i = 0; i < a->nstrs; i++)
        rank[ids[i]] = i;

    if ((rc = prepare(s, &d,
                      "INSERT INTO cost_daily(source, day, account, service, region, "
                      "currency, amount) VALUES(?, ?, ?, ?, ?, ?, ?) "
                      "ON CONFLICT DO UPDATE SET amount = excluded.amount")) != FC_OK ||
        (rc = prepare(s, &r,
                      "INSERT INTO cost_resource_daily(source, day, account, service, "
                      "region, usage_type, resource_id, currency, amount) "
                      "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?) "
                      "ON CONFLICT DO UPDATE SET amount = excluded.amount")) != FC_OK)
        goto done;
    if ((rc = sorted_entries(a, &a->daily, rank, &rows)) != FC_OK)
        goto done;
    for (k = 0; k < a->daily.n && rc == FC_OK; k++) {
        const fc_agg_entry *e = rows[k];
        sqlite3_bind_int64(d, 1, source);
        sqlite3_bind_int64(d, 2, e->day * FC_DAY);
        bind_str(d, 3, a, e->k[AGG_ACCOUNT]);
        bind_str(d, 4, a, e->k[AGG_SERVICE]);
        bind_str(d, 5, a, e->k[AGG_REGION]);
        bind_str(d, 6, a, e->k[AGG_CURRENCY]);
        sqlite3_bind_double(d, 7, e->amount);
        rc = step_done(s, d, "cost_daily");
    }
    free(rows);
    rows = NULL;
    if (rc != FC_OK || (rc = sorted_entries(a, &a->detail, rank, &rows)) != FC_OK)
        goto done;
    for (k = 0; k < a->detail.n && rc == FC_OK; k++) {
        const fc_agg_entry *e = rows[k];
        sqlite3_bind_int64(r, 1, source);
        sqlite3_bind_int64(r, 2, e->day * FC_DAY);
        bind_str(r, 3, a, e->k[AGG_ACCOUNT]);
        bind_str(r, 4, a, e->k[AGG_SERVICE]);
        bind_str(r, 5, a, e->k[AGG_REGION]);
        bind_str(r, 6, a, e->k[AGG_USAGE]);
        bind_str(r, 7, a, e->k[AGG_RESOURCE]);
        bind_str(r, 8, a, e->k[AGG_CURRENCY]);
        sqlite3_bind_double(r, 9, e->amount);
        rc = step_done(s, r, "cost_resource_daily");
    }
done:
    free(rows);
    free(ids);
    free(rank);
    sqlite3_finalize(d);
    sqlite3_finalize(r);
    return rc;
}

int fc_cost_store_save(fc_state *s, const fc_ingest_result *r, const char *name,
                       int64_t size, int64_t mtime, int64_t now,
                       fc_cost_store_outcome *outcome, char **dup_of)
{
    sqlite3_stmt *st = NULL;
    int64_t old_id = 0, id;
    int rc, step;

    *outcome = FC_COST_STORED;
    if (dup_of)
        *dup_of = NULL;
    if (!r->agg)
        return fc_error_set(FC_EINVALID, "%s: nothing ingested", name);
    if ((rc = fc_cost_store_migrate(s)) != FC_OK)
        return rc;
    /* A big export writes hundreds of MB of b-tree: keep it in memory until
     * the commit instead of spilling pages to the WAL as it goes. */
    fc_state_exec(s, "PRAGMA cache_size = -262144");
    if ((rc = fc_state_begin(s)) != FC_OK)
        return rc;

    /* The same bytes under another name: already counted. */
    if ((rc = prepare(s, &st, "SELECT name FROM cost_files WHERE fingerprint = ? AND "
                              "name <> ? ORDER BY name LIMIT 1")) != FC_OK)
        goto fail;
    sqlite3_bind_text(st, 1, r->fingerprint, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        *outcome = FC_COST_DUPLICATE;
        if (dup_of && !(*dup_of = fc_strdup((const char *)sqlite3_column_text(st, 0)))) {
            rc = fc_error_set(FC_ENOMEM, "out of memory");
            goto fail;
        }
        sqlite3_finalize(st);
        fc_state_rollback(s);
        return FC_OK;
    }
    if (step != SQLITE_DONE) {
        rc = fc_state_error(s, "cost files");
        goto fail;
    }
    sqlite3_finalize(st);
    st = NULL;

    if ((rc = prepare(s, &st, "SELECT id FROM cost_files WHERE name = ?")) != FC_OK)
        goto fail;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        old_id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    st = NULL;
    if (old_id) {
        /* Cascades to the rows it contributed. */
        *outcome = FC_COST_REPLACED;
        if ((rc = prepare(s, &st, "DELETE FROM cost_files WHERE id = ?")) != FC_OK)
            goto fail;
        sqlite3_bind_int64(st, 1, old_id);
        if ((rc = step_done(s, st, "cost files")) != FC_OK)
            goto fail;
        sqlite3_finalize(st);
        st = NULL;
    }
    if ((rc = prepare(s, &st,
                      "INSERT INTO cost_files(name, size, mtime, fingerprint, format, rows, "
                      "rejected, first_day, last_day, ingested_at) "
                      "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) != FC_OK)
        goto fail;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, size);
    sqlite3_bind_int64(st, 3, mtime);
    sqlite3_bind_text(st, 4, r->fingerprint, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, fc_cost_format_name(r->format), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, (int64_t)r->rows);
    sqlite3_bind_int64(st, 7, (int64_t)r->rejected);
    sqlite3_bind_int64(st, 8, r->first_day);
    sqlite3_bind_int64(st, 9, r->last_day);
    sqlite3_bind_int64(st, 10, now);
    if ((rc = step_done(s, st, "cost files")) != FC_OK)
        goto fail;
    sqlite3_finalize(st);
    st = NULL;
    id = sqlite3_last_insert_rowid(fc_state_db(s));
    if ((rc = insert_rows(s, r->agg, id)) != FC_OK)
        goto fail;
    return fc_state_commit(s);
fail:
    sqlite3_finalize(st);
    fc_state_rollback(s);
    return rc;
}

static const char *col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : "";
}

static const char *opt_text(sqlite3_stmt *st, int i)
{
    const char *t = col_text(st, i);
    return *t ? t : NULL;
}

int fc_cost_store_load(fc_state *s, int64_t from, int64_t to, fc_inventory *inv)
{
    sqlite3_stmt *st = NULL;
    size_t skipped = 0;
    int rc, step;

    if ((rc = fc_cost_store_migrate(s)) != FC_OK)
        return rc;
    if ((rc = prepare(s, &st, "SELECT day, account, service, region, currency, SUM(amount) "
                              "FROM cost_daily WHERE source IN (SELECT id FROM cost_files "
                              "WHERE last_day >= ?1 AND first_day < ?2) "
                              "AND day >= ?1 AND day < ?2 "
                              "GROUP BY account, service, region, currency, day "
                              "ORDER BY account, service, region, currency, day")) != FC_OK)
        return rc;
    sqlite3_bind_int64(st, 1, from);
    sqlite3_bind_int64(st, 2, to);
    while ((step = sqlite3_step(st)) == SQLITE_ROW && rc == FC_OK) {
        fc_cost_row c;
        const char *cur = col_text(st, 4);
        if (!inv->currency && !(inv->currency = fc_strdup(cur))) {
            rc = fc_error_set(FC_ENOMEM, "out of memory");
            break;
        }
        /* One currency per inventory: the rest are counted, not mixed in. */
        if (strcmp(cur, inv->currency) != 0) {
            skipped++;
            continue;
        }
        memset(&c, 0, sizeof(c));
        c.day = sqlite3_column_int64(st, 0);
        c.account = (char *)col_text(st, 1);
        c.service = (char *)col_text(st, 2);
        c.region = (char *)col_text(st, 3);
        c.amount = sqlite3_column_double(st, 5);
        rc = fc_inventory_add_cost_ex(inv, &c);
    }
    if (rc == FC_OK && step != SQLITE_DONE && step != SQLITE_ROW)
        rc = fc_state_error(s, "cost_daily");
    sqlite3_finalize(st);
    st = NULL;
    if (rc != FC_OK)
        return rc;
    if ((rc = prepare(s, &st, "SELECT day, account, service, region, usage_type, "
                              "resource_id, currency, SUM(amount) "
                              "FROM cost_resource_daily WHERE source IN (SELECT id FROM "
                              "cost_files WHERE last_day >= ?1 AND first_day < ?2) "
                              "AND day >= ?1 AND day < ?2 "
                              "GROUP BY account, service, region, usage_type, resource_id, "
                              "currency, day ORDER BY account, service, region, usage_type, "
                              "resource_id, currency, day")) != FC_OK)
        return rc;
    sqlite3_bind_int64(st, 1, from);
    sqlite3_bind_int64(st, 2, to);
    while ((step = sqlite3_step(st)) == SQLITE_ROW && rc == FC_OK) {
        fc_cost_row c;
        if (!inv->currency || strcmp(col_text(st, 6), inv->currency) != 0)
            continue;
        memset(&c, 0, sizeof(c));
        c.day = sqlite3_column_int64(st, 0);
        c.account = (char *)col_text(st, 1);
        c.service = (char *)col_text(st, 2);
        c.region = (char *)col_text(st, 3);
        c.usage_type = (char *)opt_text(st, 4);
        c.resource_id = (char *)opt_text(st, 5);
        c.amount = sqlite3_column_double(st, 7);
        rc = fc_inventory_add_cost_detail(inv, &c);
    }
    if (rc == FC_OK && step != SQLITE_DONE && step != SQLITE_ROW)
        rc = fc_state_error(s, "cost_resource_daily");
    sqlite3_finalize(st);
    if (skipped)
        fc_warn("cost store: %zu daily rows in currencies other than %s left out", skipped,
                inv->currency);
    return rc;
}

/* ---- merge ------------------------------------------------------------------- */

typedef struct {
    const char *account;
    int64_t day;
} acct_day;

static int cmp_acct_day(const void *a, const void *b)
{
    const acct_day *x = a, *y = b;
    int d = strcmp(x->account, y->account);
    if (d)
        return d;
    return x->day < y->day ? -1 : x->day > y->day;
}

/* Drops rows whose (account, day) is in keys; keeps the order. */
static void drop_covered(fc_cost_row *rows, size_t *n, const acct_day *keys, size_t nkeys)
{
    size_t i, k = 0;
    for (i = 0; i < *n; i++) {
        acct_day q = {rows[i].account ? rows[i].account : "", rows[i].day};
        if (nkeys && bsearch(&q, keys, nkeys, sizeof(*keys), cmp_acct_day)) {
            fc_cost_row_dispose(&rows[i]);
            continue;
        }
        rows[k++] = rows[i];
    }
    *n = k;
}

int fc_costs_merge(fc_inventory *inv, const fc_inventory *ingested)
{
    acct_day *keys = NULL;
    size_t i, n = 0;
    int rc = FC_OK;

    if (!ingested->ncosts)
        return FC_OK;
    if (!(keys = malloc(ingested->ncosts * sizeof(*keys))))
        return fc_error_set(FC_ENOMEM, "cost merge");
    for (i = 0; i < ingested->ncosts; i++) {
        keys[n].account = ingested->costs[i].account ? ingested->costs[i].account : "";
        keys[n].day = ingested->costs[i].day;
        n++;
    }
    if (n > 1)
        qsort(keys, n, sizeof(*keys), cmp_acct_day);
    drop_covered(inv->costs, &inv->ncosts, keys, n);
    drop_covered(inv->cost_details, &inv->ncost_details, keys, n);
    for (i = 0; i < ingested->ncosts && rc == FC_OK; i++)
        rc = fc_inventory_add_cost_ex(inv, &ingested->costs[i]);
    for (i = 0; i < ingested->ncost_details && rc == FC_OK; i++)
        rc = fc_inventory_add_cost_detail(inv, &ingested->cost_details[i]);
    if (rc == FC_OK && !inv->currency && ingested->currency &&
        !(inv->currency = fc_strdup(ingested->currency)))
        rc = fc_error_set(FC_ENOMEM, "cost merge");
    free(keys);
    return rc;
}
