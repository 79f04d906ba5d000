/*
 * journal.c - the execution journal: table `executions` in the state store
 * (module "executor").
 *
 * Stage: execution.  Every write is its own committed transaction on a WAL
 * database with synchronous=FULL (fc_state_open), so once fc_journal_insert()
 * returns the row survives a crash; the executor calls the provider only
 * after that.  Rows are never deleted.
 *
 * Ownership: rows read back (fc_journal_get, fc_journal_list) are deep
 * copies the caller disposes.
 */
#include "controller/executor/fc_executor.h"
#include "controller/core/fc_error.h"
#include "controller/core/fc_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const journal_steps[] = {
    "CREATE TABLE executions ("
    " id TEXT PRIMARY KEY,"
    " optimization TEXT NOT NULL,"
    " spec_commit TEXT NOT NULL,"
    " approvers TEXT NOT NULL,"
    " account TEXT NOT NULL,"
    " region TEXT NOT NULL,"
    " resource TEXT NOT NULL,"
    " action TEXT NOT NULL,"
    " state TEXT NOT NULL,"
    " before_state TEXT,"
    " after_state TEXT,"
    " inverse TEXT,"
    " error TEXT,"
    " created INTEGER NOT NULL,"
    " started INTEGER NOT NULL DEFAULT 0,"
    " finished INTEGER NOT NULL DEFAULT 0)",
    "CREATE INDEX executions_state ON executions(state)",
    /* Rollbacks are rows of their own, linked to the row they undo. */
    "ALTER TABLE executions ADD COLUMN kind TEXT NOT NULL DEFAULT 'forward'",
    "ALTER TABLE executions ADD COLUMN parent TEXT",
    /* Exactly once: an attempt interrupted before its provider call goes
     * back to `planned` and is retried under the same id; this counts the
     * starts so a row that keeps dying is given up on. */
    "ALTER TABLE executions ADD COLUMN attempts INTEGER NOT NULL DEFAULT 1",
};

static const char *const state_names[] = {
    "planned", "started", "done", "failed", "rolled-back",
};

const char *fc_exec_state_name(fc_exec_state s)
{
    if ((unsigned)s >= FC_ARRAY_LEN(state_names))
        return "unknown";
    return state_names[s];
}

int fc_exec_state_parse(const char *s)
{
    size_t i;
    for (i = 0; s && i < FC_ARRAY_LEN(state_names); i++)
        if (strcmp(s, state_names[i]) == 0)
            return (int)i;
    return -1;
}

void fc_exec_record_dispose(fc_exec_record *r)
{
    if (!r)
        return;
    free(r->id);
    free(r->optimization);
    free(r->commit);
    free(r->approvers);
    free(r->account);
    free(r->region);
    free(r->resource);
    free(r->action);
    free(r->before);
    free(r->after);
    free(r->inverse);
    free(r->error);
    free(r->kind);
    free(r->parent);
    memset(r, 0, sizeof(*r));
}

void fc_exec_list_init(fc_exec_list *l)
{
    memset(l, 0, sizeof(*l));
}

void fc_exec_list_dispose(fc_exec_list *l)
{
    size_t i;
    for (i = 0; i < l->n; i++)
        fc_exec_record_dispose(&l->items[i]);
    free(l->items);
    memset(l, 0, sizeof(*l));
}

int fc_journal_migrate(fc_state *s)
{
    return fc_state_migrate(s, "executor", journal_steps, FC_ARRAY_LEN(journal_steps));
}

int fc_journal_id(char *out, size_t size, const char *optimization, const char *commit,
                  const char *action)
{
    uint64_t h = fc_hash_str(optimization, 0x6578656375746f72ULL);
    h = fc_hash_str(commit ? commit : "", h);
    h = fc_hash_str(action ? action : "", h);
    if ((size_t)snprintf(out, size, "%s-%012llx", optimization,
                         (unsigned long long)(h & 0xffffffffffffULL)) >= size)
        return fc_error_set(FC_ELIMIT, "execution id of %s too long", optimization);
    return FC_OK;
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

int fc_journal_insert(fc_state *s, const fc_exec_record *r)
{
    static const char sql[] =
        "INSERT INTO executions (id, optimization, spec_commit, approvers, account,"
        " region, resource, action, state, before_state, after_state, inverse, error,"
        " created, started, finished, kind, parent, attempts)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
    sqlite3_stmt *st = NULL;
    int rc;

    if (sqlite3_prepare_v2(fc_state_db(s), sql, -1, &st, NULL) != SQLITE_OK)
        return fc_state_error(s, "journal insert");
    bind_text(st, 1, r->id);
    bind_text(st, 2, r->optimization);
    bind_text(st, 3, r->commit ? r->commit : "");
    bind_text(st, 4, r->approvers ? r->approvers : "[]");
    bind_text(st, 5, r->account);
    bind_text(st, 6, r->region);
    bind_text(st, 7, r->resource);
    bind_text(st, 8, r->action);
    bind_text(st, 9, fc_exec_state_name(r->state));
    bind_text(st, 10, r->before);
    bind_text(st, 11, r->after);
    bind_text(st, 12, r->inverse);
    bind_text(st, 13, r->error);
    sqlite3_bind_int64(st, 14, r->created);
    sqlite3_bind_int64(st, 15, r->started);
    sqlite3_bind_int64(st, 16, r->finished);
    bind_text(st, 17, r->kind ? r->kind : "forward");
    bind_text(st, 18, r->parent);
    sqlite3_bind_int(st, 19, r->attempts > 0 ? r->attempts : 1);
    /* Autocommit: the statement is its own durable transaction. */
    rc = sqlite3_step(st);
    if (rc == SQLITE_CONSTRAINT)
        rc = fc_error_set(FC_ECONFLICT, "execution %s is already journaled", r->id);
    else if (rc != SQLITE_DONE)
        rc = fc_state_error(s, "journal insert");
    else
        rc = FC_OK;
    sqlite3_finalize(st);
    return rc;
}

int fc_journal_update(fc_state *s, const char *id, fc_exec_state state, const char *after,
                      const char *inverse, const char *error, int64_t finished)
{
    static const char sql[] =
        "UPDATE executions SET state = ?, after_state = coalesce(?, after_state),"
        " inverse = coalesce(?, inverse), error = coalesce(?, error),"
        " finished = CASE WHEN ? THEN ? ELSE finished END WHERE id = ?";
    sqlite3_stmt *st = NULL;
    int rc;

    if (sqlite3_prepare_v2(fc_state_db(s), sql, -1, &st, NULL) != SQLITE_OK)
        return fc_state_error(s, "journal update");
    bind_text(st, 1, fc_exec_state_name(state));
    bind_text(st, 2, after);
    bind_text(st, 3, inverse);
    bind_text(st, 4, error);
    sqlite3_bind_int(st, 5, finished != 0);
    sqlite3_bind_int64(st, 6, finished);
    bind_text(st, 7, id);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = fc_state_error(s, "journal update");
    else if (sqlite3_changes(fc_state_db(s)) != 1)
        rc = fc_error_set(FC_ENOTFOUND, "execution %s is not journaled", id);
    else
        rc = FC_OK;
    sqlite3_finalize(st);
    return rc;
}

int fc_journal_restart(fc_state *s, const fc_exec_record *r)
{
    static const char sql[] =
        "UPDATE executions SET state = 'started', attempts = attempts + 1,"
        " spec_commit = ?, approvers = ?, action = ?, before_state = ?, inverse = ?,"
        " after_state = NULL, error = NULL, started = ?, finished = 0"
        " WHERE id = ? AND state = 'planned'";
    sqlite3_stmt *st = NULL;
    int rc;

    if (sqlite3_prepare_v2(fc_state_db(s), sql, -1, &st, NULL) != SQLITE_OK)
        return fc_state_error(s, "journal restart");
    bind_text(st, 1, r->commit ? r->commit : "");
    bind_text(st, 2, r->approvers ? r->approvers : "[]");
    bind_text(st, 3, r->action);
    bind_text(st, 4, r->before);
    bind_text(st, 5, r->inverse);
    sqlite3_bind_int64(st, 6, r->started);
    bind_text(st, 7, r->id);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = fc_state_error(s, "journal restart");
    else if (sqlite3_changes(fc_state_db(s)) != 1)
        rc = fc_error_set(FC_ECONFLICT, "execution %s is not waiting for a retry", r->id);
    else
        rc = FC_OK;
    sqlite3_finalize(st);
    return rc;
}

static int col_dup(sqlite3_stmt *st, int i, char **out)
{
    const unsigned char *v = sqlite3_column_text(st, i);
    *out = NULL;
    if (!v)
        return FC_OK;
    if (!(*out = fc_strdup((const char *)v)))
        return fc_error_set(FC_ENOMEM, "out of memory");
    return FC_OK;
}

#define SELECT_COLS                                                                      \
    "SELECT id, optimization, spec_commit, approvers, account, region, resource,"      \
    " action, state, before_state, after_state, inverse, error, created, started,"     \
    " finished, kind, parent, attempts FROM executions"

static int read_row(sqlite3_stmt *st, fc_exec_record *r)
{
    int rc;
    memset(r, 0, sizeof(*r));
    if ((rc = col_dup(st, 0, &r->id)) || (rc = col_dup(st, 1, &r->optimization)) ||
        (rc = col_dup(st, 2, &r->commit)) || (rc = col_dup(st, 3, &r->approvers)) ||
        (rc = col_dup(st, 4, &r->account)) || (rc = col_dup(st, 5, &r->region)) ||
        (rc = col_dup(st, 6, &r->resource)) || (rc = col_dup(st, 7, &r->action)) ||
        (rc = col_dup(st, 9, &r->before)) || (rc = col_dup(st, 10, &r->after)) ||
        (rc = col_dup(st, 11, &r->inverse)) || (rc = col_dup(st, 12, &r->error)) ||
        (rc = col_dup(st, 16, &r->kind)) || (rc = col_dup(st, 17, &r->parent))) {
        fc_exec_record_dispose(r);
        return rc;
    }
    rc = fc_exec_state_parse((const char *)sqlite3_column_text(st, 8));
    r->state = rc < 0 ? FC_EXEC_FAILED : (fc_exec_state)rc;
    r->created = sqlite3_column_int64(st, 13);
    r->started = sqlite3_column_int64(st, 14);
    r->finished = sqlite3_column_int64(st, 15);
    r->attempts = sqlite3_column_int(st, 18);
    return FC_OK;
}

int fc_journal_get(fc_state *s, const char *id, fc_exec_record *out)
{
    sqlite3_stmt *st = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    if (sqlite3_prepare_v2(fc_state_db(s), SELECT_COLS " WHERE id = ?", -1, &st, NULL) !=
        SQLITE_OK)
        return fc_state_error(s, "journal read");
    bind_text(st, 1, id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        rc = read_row(st, out);
    else if (rc == SQLITE_DONE)
        rc = fc_error_set(FC_ENOTFOUND, "execution %s is not journaled", id);
    else
        rc = fc_state_error(s, "journal read");
    sqlite3_finalize(st);
    return rc;
}

int fc_journal_list(fc_state *s, int state, fc_exec_list *out)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if (sqlite3_prepare_v2(fc_state_db(s),
                           state < 0 ? SELECT_COLS " ORDER BY id"
                                     : SELECT_COLS " WHERE state = ? ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK)
        return fc_state_error(s, "journal list");
    if (state >= 0)
        bind_text(st, 1, fc_exec_state_name((fc_exec_state)state));
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (out->n == out->cap) {
            size_t cap = out->cap ? out->cap * 2 : 8;
            fc_exec_record *p = realloc(out->items, cap * sizeof(*p));
            if (!p) {
                rc = fc_error_set(FC_ENOMEM, "out of memory");
                goto done;
            }
            out->items = p;
            out->cap = cap;
        }
        if ((rc = read_row(st, &out->items[out->n])) != FC_OK)
            goto done;
        out->n++;
    }
    rc = rc == SQLITE_DONE ? FC_OK : fc_state_error(s, "journal list");
done:
    sqlite3_finalize(st);
    return rc;
}

int fc_journal_count_since(fc_state *s, const char *account, int64_t since, size_t *n)
{
    static const char sql[] =
        "SELECT count(*) FROM executions WHERE started >= ? AND state <> 'planned'"
        " AND (? IS NULL OR account = ?)";
    sqlite3_stmt *st = NULL;
    int rc;

    *n = 0;
    if (sqlite3_prepare_v2(fc_state_db(s), sql, -1, &st, NULL) != SQLITE_OK)
        return fc_state_error(s, "journal count");
    sqlite3_bind_int64(st, 1, since);
    bind_text(st, 2, account);
    bind_text(st, 3, account);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *n = (size_t)sqlite3_column_int64(st, 0);
        rc = FC_OK;
    } else {
        rc = fc_state_error(s, "journal count");
    }
    sqlite3_finalize(st);
    return rc;
}
