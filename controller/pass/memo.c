/*
 * memo.c - the pass memo in the state store (see fc_memo.h).
 */
#include "controller/pass/fc_memo.h"
#include "controller/core/fc_error.h"
#include "controller/core/fc_util.h"

#include <stdio.h>
#include <string.h>

static const char *const memo_steps[] = {
    "CREATE TABLE pass_memo ("
    "  key TEXT PRIMARY KEY,"
    "  head_after TEXT NOT NULL,"
    "  spec_commit TEXT NOT NULL,"
    "  inventory_fp INTEGER NOT NULL,"
    "  discovered_at INTEGER NOT NULL,"
    "  discovery_every INTEGER NOT NULL)",
};

static int migrate(fc_state *s)
{
    return fc_state_migrate(s, "pass", memo_steps, FC_ARRAY_LEN(memo_steps));
}

int fc_memo_load(fc_state *s, const char *key, fc_memo *out)
{
    sqlite3_stmt *st = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = migrate(s)) != FC_OK)
        return rc;
    if (sqlite3_prepare_v2(fc_state_db(s),
                           "SELECT head_after, spec_commit, inventory_fp, discovered_at, discovery_every "
                           "FROM pass_memo WHERE key = ?",
                           -1, &st, NULL) != SQLITE_OK)
        return fc_state_error(s, "memo load");
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const unsigned char *h = sqlite3_column_text(st, 0);
        const unsigned char *c = sqlite3_column_text(st, 1);
        snprintf(out->head_after, sizeof(out->head_after), "%s", h ? (const char *)h : "");
        snprintf(out->spec_commit, sizeof(out->spec_commit), "%s", c ? (const char *)c : "");
        out->inventory_fp = (uint64_t)sqlite3_column_int64(st, 2);
        out->discovered_at = sqlite3_column_int64(st, 3);
        out->discovery_every = sqlite3_column_int64(st, 4);
        out->found = 1;
        rc = FC_OK;
    } else {
        rc = rc == SQLITE_DONE ? FC_OK : fc_state_error(s, "memo load");
    }
    sqlite3_finalize(st);
    return rc;
}

int fc_memo_save(fc_state *s, const char *key, const fc_memo *m)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if ((rc = migrate(s)) != FC_OK)
        return rc;
    if (sqlite3_prepare_v2(fc_state_db(s),
                           "INSERT INTO pass_memo(key, head_after, spec_commit, inventory_fp, "
                           "discovered_at, discovery_every) VALUES(?, ?, ?, ?, ?, ?) "
                           "ON CONFLICT(key) DO UPDATE SET head_after = excluded.head_after, "
                           "spec_commit = excluded.spec_commit, inventory_fp = "
                           "excluded.inventory_fp, discovered_at = excluded.discovered_at, "
                           "discovery_every = excluded.discovery_every",
                           -1, &st, NULL) != SQLITE_OK)
        return fc_state_error(s, "memo save");
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, m->head_after, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, m->spec_commit, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)m->inventory_fp);
    sqlite3_bind_int64(st, 5, m->discovered_at);
    sqlite3_bind_int64(st, 6, m->discovery_every);
    rc = sqlite3_step(st) == SQLITE_DONE ? FC_OK : fc_state_error(s, "memo save");
    sqlite3_finalize(st);
    return rc;
}

static uint64_t mix_str(uint64_t h, const char *s)
{
    /* The NUL separates fields, so "ab"+"c" and "a"+"bc" differ. */
    return s ? fc_hash64(s, strlen(s) + 1, h) : fc_hash64("", 1, h ^ 0x9e3779b97f4a7c15ULL);
}

uint64_t fc_inventory_fingerprint(const fc_inventory *inv)
{
    uint64_t h = 0x6a09e667f3bcc908ULL;
    size_t i, j;

    for (i = 0; i < inv->nresources; i++) {
        const fc_resource *r = &inv->resources[i];
        h = fc_hash64(&r->type, sizeof(r->type), h);
        h = mix_str(h, r->id);
        h = mix_str(h, r->account);
        h = mix_str(h, r->region);
        h = mix_str(h, r->name);
        h = mix_str(h, r->state);
        h = mix_str(h, r->size_class);
        h = mix_str(h, r->attached_to);
        h = fc_hash64(&r->size, sizeof(r->size), h);
        h = fc_hash64(&r->created, sizeof(r->created), h);
        for (j = 0; j < r->ntags; j++) {
            h = mix_str(h, r->tags[j].key);
            h = mix_str(h, r->tags[j].value);
        }
    }
    for (i = 0; i < inv->nmetrics; i++) {
        const fc_metric_series *m = &inv->metrics[i];
        h = mix_str(h, m->resource_id);
        h = mix_str(h, m->metric);
        h = fc_hash64(&m->start, sizeof(m->start), h);
        h = fc_metric_series_hash(m, h); /* generated series: their generator */
    }
    for (i = 0; i < inv->ncosts; i++) {
        const fc_cost_row *c = &inv->costs[i];
        h = mix_str(h, c->account);
        h = mix_str(h, c->service);
        h = fc_hash64(&c->day, sizeof(c->day), h);
        h = fc_hash64(&c->amount, sizeof(c->amount), h);
    }
    for (i = 0; i < inv->nstale; i++) {
        h = mix_str(h, inv->stale[i].account);
        h = mix_str(h, inv->stale[i].region);
        h = mix_str(h, inv->stale[i].error);
    }
    return h;
}
