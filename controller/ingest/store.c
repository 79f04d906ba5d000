/*
 * store.c - ingested cost in the state store (module "costs"), and the
 * merge of stored costs into a pass's inventory.
 *
 * Stage: cost ingest / observation.  Tables:
 *   cost_files           one row per ingested file name: size, mtime, content
 *                        fingerprint, format, row counts
 *   cost_strings         every account, service, region, usage type, resource
 *                        id and currency once; the cost rows hold their ids
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
    /* 2: strings once in cost_strings, rows of integer ids (a row of a big
     * export shrinks from ~150 to ~25 bytes: the store wrote 4x the
     * compressed export before). Existing rows are carried over. */
    "CREATE TABLE cost_strings ("
    "  id INTEGER PRIMARY KEY,"
    "  s TEXT NOT NULL UNIQUE);"
    "INSERT OR IGNORE INTO cost_strings(s)"
    "  SELECT account FROM cost_daily UNION SELECT service FROM cost_daily"
    "  UNION SELECT region FROM cost_daily UNION SELECT currency FROM cost_daily"
    "  UNION SELECT account FROM cost_resource_daily"
    "  UNION SELECT service FROM cost_resource_daily"
    "  UNION SELECT region FROM cost_resource_daily"
    "  UNION SELECT usage_type FROM cost_resource_daily"
    "  UNION SELECT resource_id FROM cost_resource_daily"
    "  UNION SELECT currency FROM cost_resource_daily;"
    "CREATE TABLE cost_daily2 ("
    "  source INTEGER NOT NULL REFERENCES cost_files(id) ON DELETE CASCADE,"
    "  day INTEGER NOT NULL,"
    "  account INTEGER NOT NULL,"
    "  service INTEGER NOT NULL,"
    "  region INTEGER NOT NULL,"
    "  currency INTEGER NOT NULL,"
    "  amount REAL NOT NULL,"
    "  PRIMARY KEY (source, day, account, service, region, currency)) WITHOUT ROWID;"
    "INSERT INTO cost_daily2 SELECT source, day,"
    "  (SELECT id FROM cost_strings WHERE s = account),"
    "  (SELECT id FROM cost_strings WHERE s = service),"
    "  (SELECT id FROM cost_strings WHERE s = region),"
    "  (SELECT id FROM cost_strings WHERE s = currency), amount FROM cost_daily;"
    "DROP TABLE cost_daily;"
    "ALTER TABLE cost_daily2 RENAME TO cost_daily;"
    "CREATE TABLE cost_resource_daily2 ("
    "  source INTEGER NOT NULL REFERENCES cost_files(id) ON DELETE CASCADE,"
    "  day INTEGER NOT NULL,"
    "  account INTEGER NOT NULL,"
    "  service INTEGER NOT NULL,"
    "  region INTEGER NOT NULL,"
    "  usage_type INTEGER NOT NULL,"
    "  resource_id INTEGER NOT NULL,"
    "  currency INTEGER NOT NULL,"
    "  amount REAL NOT NULL,"
    "  PRIMARY KEY (source, day, account, service, region, usage_type, resource_id,"
    "               currency)) WITHOUT ROWID;"
    "INSERT INTO cost_resource_daily2 SELECT source, day,"
    "  (SELECT id FROM cost_strings WHERE s = account),"
    "  (SELECT id FROM cost_strings WHERE s = service),"
    "  (SELECT id FROM cost_strings WHERE s = region),"
    "  (SELECT id FROM cost_strings WHERE s = usage_type),"
    "  (SELECT id FROM cost_strings WHERE s = resource_id),"
    "  (SELECT id FROM cost_strings WHERE s = currency), amount FROM cost_resource_daily;"
    "DROP TABLE cost_resource_daily;"
    "ALTER TABLE cost_resource_daily2 RENAME TO cost_resource_daily;",
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

/* A row ready to insert: the primary key after the source (day, then
 * cost_strings ids in key order) in k, contiguous so the sort stays in
 * cache lines instead of chasing pointers into the hash table. */
typedef struct {
    uint32_t k[8];          /* k[7] = 0; compared as four big-endian-ordered words */
    double amount;
} out_row;

static uint64_t row_word(const uint32_t *k, int i)
{
    return (uint64_t)k[2 * i] << 32 | k[2 * i + 1];
}

static int cmp_out_row(const void *x, const void *y)
{
    const uint32_t *p = ((const out_row *)x)->k, *q = ((const out_row *)y)->k;
    int i;
    for (i = 0; i < 4; i++) {
        uint64_t a = row_word(p, i), b = row_word(q, i);
        if (a != b)
            return a < b ? -1 : 1;
    }
    return 0;
}

/* Rows of t in primary-key order, keyed by cost_strings ids (free them).
 * The daily key is (day, account, service, region, currency); the detail
 * key (day, account, service, region, usage type, resource, currency). */
static int sorted_rows(const fc_agg_table *t, const uint32_t *sid, int detail,
                       out_row **out)
{
    out_row *v = malloc((t->n ? t->n : 1) * sizeof(*v));
    size_t i, n = 0;
    if (!v)
        return fc_error_set(FC_ENOMEM, "cost store");
    for (i = 0; i < t->cap; i++) {
        const fc_agg_entry *e = &t->slots[i];
        out_row *o;
        if (!e->h)
            continue;
        o = &v[n++];
        o->k[0] = (uint32_t)e->day;
        o->k[1] = sid[e->k[AGG_ACCOUNT]];
        o->k[2] = sid[e->k[AGG_SERVICE]];
        o->k[3] = sid[e->k[AGG_REGION]];
        if (detail) {
            o->k[4] = sid[e->k[AGG_USAGE]];
            o->k[5] = sid[e->k[AGG_RESOURCE]];
            o->k[6] = sid[e->k[AGG_CURRENCY]];
        } else {
            o->k[4] = sid[e->k[AGG_CURRENCY]];
            o->k[5] = o->k[6] = 0;
        }
        o->k[7] = 0;
        o->amount = e->amount;
    }
    if (n > 1)
        qsort(v, n, sizeof(*v), cmp_out_row);
    *out = v;
    return FC_OK;
}

/* Marks the strings the rows of t use. */
static void mark_used(const fc_agg_table *t, unsigned char *used, int detail)
{
    size_t i;
    int k;
    for (i = 0; i < t->cap; i++) {
        if (!t->slots[i].h)
            continue;
        for (k = 0; k < (detail ? AGG__KEYS : AGG_USAGE); k++)
            used[t->slots[i].k[k]] = 1;
    }
}

/* cost_strings ids of the strings the rows use, in sid (indexed by the
 * aggregation's ids); new strings are added.  One statement per distinct
 * string, not per row. */
static int store_strings(fc_state *s, const fc_cost_agg *a, uint32_t *sid)
{
    sqlite3_stmt *ins = NULL, *sel = NULL;
    unsigned char *used = calloc(a->nstrs, 1);
    uint32_t i;
    int rc;

    if (!used)
        return fc_error_set(FC_ENOMEM, "cost store");
    mark_used(&a->daily, used, 0);
    mark_used(&a->detail, used, 1);
    if ((rc = prepare(s, &ins, "INSERT INTO cost_strings(s) VALUES(?) "
                               "ON CONFLICT(s) DO NOTHING")) != FC_OK ||
        (rc = prepare(s, &sel, "SELECT id FROM cost_strings WHERE s = ?")) != FC_OK)
        goto done;
    for (i = 0; i < a->nstrs && rc == FC_OK; i++) {
        int64_t id;
        sid[i] = 0;
        if (!used[i])
            continue;
        sqlite3_bind_text(ins, 1, a->strs[i].s, (int)a->strs[i].len, SQLITE_STATIC);
        if ((rc = step_done(s, ins, "cost strings")) != FC_OK)
            break;
        if (sqlite3_changes(fc_state_db(s)) == 1) {
            id = sqlite3_last_insert_rowid(fc_state_db(s));
        } else {
            sqlite3_bind_text(sel, 1, a->strs[i].s, (int)a->strs[i].len, SQLITE_STATIC);
            if (sqlite3_step(sel) != SQLITE_ROW) {
                rc = fc_state_error(s, "cost strings");
                sqlite3_reset(sel);
                break;
            }
            id = sqlite3_column_int64(sel, 0);
            sqlite3_reset(sel);
        }
        if (id <= 0 || id > UINT32_MAX) {
            rc = fc_error_set(FC_ELIMIT, "cost store: string table full");
            break;
        }
        sid[i] = (uint32_t)id;
    }
done:
    free(used);
    sqlite3_finalize(ins);
    sqlite3_finalize(sel);
    return rc;
}

/* INSERT INTO <into> VALUES (...), ... with `tuples` tuples of 2 + nkeys
 * placeholders (source, day, keys..., amount). */
static int prepare_insert(fc_state *s, sqlite3_stmt **st, const char *into, int nkeys,
                          size_t tuples)
{
    size_t per = (size_t)(nkeys + 3) * 2 + 2, i; /* "(?,?,...)," */
    size_t cap = strlen(into) + 32 + tuples * (per + 1);
    char *sql = malloc(cap), *w;
    int j, rc;
    if (!sql)
        return fc_error_set(FC_ENOMEM, "cost store");
    w = sql + sprintf(sql, "INSERT INTO %s VALUES", into);
    for (i = 0; i < tuples; i++) {
        *w++ = i ? ',' : ' ';
        *w++ = '(';
        for (j = 0; j < nkeys + 3; j++) {
            *w++ = '?';
            *w++ = j < nkeys + 2 ? ',' : ')';
        }
    }
    *w = '\0';
    rc = prepare(s, st, sql);
    free(sql);
    return rc;
}

/* Rows are written BATCH to a statement: a row then costs a few binds and
 * its b-tree insert, not a whole statement step. */
#define BATCH 128

/* Inserts n sorted rows of nkeys (4 or 6) string ids.  The source is a new
 * cost_files id, so no row can conflict. */
static int insert_sorted(fc_state *s, const char *into, int nkeys, const out_row *rows,
                         size_t n, int64_t source)
{
    sqlite3_stmt *many = NULL, *one = NULL;
    size_t k = 0;
    int rc, per = nkeys + 3;

    if ((rc = prepare_insert(s, &many, into, nkeys, BATCH)) != FC_OK ||
        (rc = prepare_insert(s, &one, into, nkeys, 1)) != FC_OK)
        goto done;
    while (k < n && rc == FC_OK) {
        sqlite3_stmt *st = n - k >= BATCH ? many : one;
        size_t m = st == many ? BATCH : 1, i;
        for (i = 0; i < m; i++, k++) {
            int b = (int)i * per, j;
            sqlite3_bind_int64(st, b + 1, source);
            sqlite3_bind_int64(st, b + 2, (int64_t)rows[k].k[0] * FC_DAY);
            for (j = 1; j <= nkeys; j++)
                sqlite3_bind_int64(st, b + 2 + j, rows[k].k[j]);
            sqlite3_bind_double(st, b + nkeys + 3, rows[k].amount);
        }
        rc = step_done(s, st, into);
    }
done:
    sqlite3_finalize(many);
    sqlite3_finalize(one);
    return rc;
}

static int insert_rows(fc_state *s, const fc_cost_agg *a, int64_t source)
{
    out_row *rows = NULL;
    uint32_t *sid = NULL;
    int rc;

    if (!(sid = malloc(a->nstrs * sizeof(*sid)))) {
        rc = fc_error_set(FC_ENOMEM, "cost store");
        goto done;
    }
    if ((rc = store_strings(s, a, sid)) != FC_OK)
        goto done;

    if ((rc = sorted_rows(&a->daily, sid, 0, &rows)) != FC_OK ||
        (rc = insert_sorted(s, "cost_daily(source, day, account, service, region, "
                               "currency, amount)", 4, rows, a->daily.n, source)) != FC_OK)
        goto done;
    free(rows);
    rows = NULL;
    if ((rc = sorted_rows(&a->detail, sid, 1, &rows)) != FC_OK ||
        (rc = insert_sorted(s, "cost_resource_daily(source, day, account, service, "
                               "region, usage_type, resource_id, currency, amount)", 6,
                            rows, a->detail.n, source)) != FC_OK)
        goto done;
done:
    free(rows);
    free(sid);
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
    /* Grouped by string ids (one id per string), ordered by the strings. */
    if ((rc = prepare(s, &st, "SELECT d.day, a.s, v.s, g.s, c.s, SUM(d.amount) "
                              "FROM cost_daily d JOIN cost_strings a ON a.id = d.account "
                              "JOIN cost_strings v ON v.id = d.service "
                              "JOIN cost_strings g ON g.id = d.region "
                              "JOIN cost_strings c ON c.id = d.currency "
                              "WHERE d.source IN (SELECT id FROM cost_files "
                              "WHERE last_day >= ?1 AND first_day < ?2) "
                              "AND d.day >= ?1 AND d.day < ?2 "
                              "GROUP BY d.account, d.service, d.region, d.currency, d.day "
                              "ORDER BY a.s, v.s, g.s, c.s, d.day")) != FC_OK)
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
    if ((rc = prepare(s, &st, "SELECT d.day, a.s, v.s, g.s, u.s, r.s, c.s, SUM(d.amount) "
                              "FROM cost_resource_daily d "
                              "JOIN cost_strings a ON a.id = d.account "
                              "JOIN cost_strings v ON v.id = d.service "
                              "JOIN cost_strings g ON g.id = d.region "
                              "JOIN cost_strings u ON u.id = d.usage_type "
                              "JOIN cost_strings r ON r.id = d.resource_id "
                              "JOIN cost_strings c ON c.id = d.currency "
                              "WHERE d.source IN (SELECT id FROM "
                              "cost_files WHERE last_day >= ?1 AND first_day < ?2) "
                              "AND d.day >= ?1 AND d.day < ?2 "
                              "GROUP BY d.account, d.service, d.region, d.usage_type, "
                              "d.resource_id, d.currency, d.day "
                              "ORDER BY a.s, v.s, g.s, u.s, r.s, c.s, d.day")) != FC_OK)
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
