/*
 * state.c - the SQLite state store (see fc_state.h).
 *
 * Durability first: WAL journal with synchronous=FULL, so a row committed
 * before a cloud call survives a crash right after it.  The database and its
 * directory are private to the user.
 */
#include "controller/state/fc_state.h"
#include "controller/core/fc_error.h"
#include "controller/core/fc_util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct fc_state {
    sqlite3 *db;
};

static const char *const core_steps[] = {
    "CREATE TABLE runs ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  started INTEGER NOT NULL,"
    "  finished INTEGER,"
    "  head TEXT,"
    "  result TEXT,"
    "  status_commit TEXT)",
    "CREATE TABLE alerts ("
    "  key TEXT PRIMARY KEY,"
    "  active INTEGER NOT NULL,"
    "  since INTEGER NOT NULL)",
};

int fc_state_error(fc_state *s, const char *what)
{
    int ec = sqlite3_errcode(s->db);
    int code = ec == SQLITE_BUSY || ec == SQLITE_LOCKED ? FC_ECONFLICT
               : ec == SQLITE_NOMEM                     ? FC_ENOMEM
               : ec == SQLITE_CONSTRAINT                ? FC_ECONFLICT
                                                        : FC_EIO;
    return fc_error_set(code, "state store: %s: %s", what, sqlite3_errmsg(s->db));
}

int fc_state_exec(fc_state *s, const char *sql)
{
    if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return fc_state_error(s, "exec");
    return FC_OK;
}

int fc_state_begin(fc_state *s) { return fc_state_exec(s, "BEGIN IMMEDIATE"); }
int fc_state_commit(fc_state *s) { return fc_state_exec(s, "COMMIT"); }

void fc_state_rollback(fc_state *s)
{
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

static int configure(fc_state *s)
{
    int rc;
    sqlite3_busy_timeout(s->db, 5000);
    if ((rc = fc_state_exec(s, "PRAGMA journal_mode=WAL")) != FC_OK ||
        (rc = fc_state_exec(s, "PRAGMA synchronous=FULL")) != FC_OK ||
        (rc = fc_state_exec(s, "PRAGMA foreign_keys=ON")) != FC_OK ||
        (rc = fc_state_exec(s, "CREATE TABLE IF NOT EXISTS schema_versions ("
                               "module TEXT PRIMARY KEY, version INTEGER NOT NULL)")))
        return rc;
    return fc_state_migrate(s, "core", core_steps, FC_ARRAY_LEN(core_steps));
}

static int open_path(fc_state **out, const char *path)
{
    fc_state *s = calloc(1, sizeof(*s));
    int rc;

    *out = NULL;
    if (!s)
        return fc_error_set(FC_ENOMEM, "state store");
    if (sqlite3_open_v2(path, &s->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        rc = fc_error_set(FC_EIO, "state store %s: %s", path,
                          s->db ? sqlite3_errmsg(s->db) : "cannot open");
        fc_state_close(s);
        return rc;
    }
    if ((rc = configure(s)) != FC_OK) {
        fc_state_close(s);
        return rc;
    }
    *out = s;
    return FC_OK;
}

static int mkdir_private(const char *dir)
{
    char path[4096];
    size_t i, n = strlen(dir);
    if (n == 0 || n >= sizeof(path))
        return fc_error_set(FC_EINVALID, "state dir path is empty or too long");
    memcpy(path, dir, n + 1);
    for (i = 1; i <= n; i++) {
        if (path[i] == '/' || path[i] == '\0') {
            char c = path[i];
            path[i] = '\0';
            if (mkdir(path, 0700) != 0 && errno != EEXIST)
                return fc_error_set(FC_EIO, "cannot create %s: %s", path, strerror(errno));
            path[i] = c;
        }
    }
    return FC_OK;
}

int fc_state_open(fc_state **out, const char *dir)
{
    char path[4096];
    int fd, rc;

    if ((rc = mkdir_private(dir)) != FC_OK)
        return rc;
    if (snprintf(path, sizeof(path), "%s/state.db", dir) >= (int)sizeof(path))
        return fc_error_set(FC_EINVALID, "state dir path too long");
    /* Create the file 0600 before sqlite does (it would honour the umask). */
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return fc_error_set(FC_EIO, "cannot create %s: %s", path, strerror(errno));
    close(fd);
    return open_path(out, path);
}

int fc_state_open_memory(fc_state **out) { return open_path(out, ":memory:"); }

void fc_state_close(fc_state *s)
{
    if (!s)
        return;
    sqlite3_close(s->db);
    free(s);
}

sqlite3 *fc_state_db(fc_state *s) { return s->db; }

int fc_state_migrate(fc_state *s, const char *module, const char *const *steps,
                     size_t nsteps)
{
    sqlite3_stmt *st = NULL;
    int64_t have = 0;
    size_t i;
    int rc = FC_OK;

    if (sqlite3_prepare_v2(s->db, "SELECT version FROM schema_versions WHERE module = ?",
                           -1, &st, NULL) != SQLITE_OK)
        return fc_state_error(s, "schema version");
    sqlite3_bind_text(st, 1, module, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        have = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (have > (int64_t)nsteps)
        return fc_error_set(FC_EINVALID,
                            "state store: module %s is at schema %lld, this build knows %zu "
                            "(a newer controller wrote it)",
                            module, (long long)have, nsteps);
    for (i = (size_t)have; i < nsteps && rc == FC_OK; i++) {
        if ((rc = fc_state_begin(s)) != FC_OK)
            break;
        if (sqlite3_exec(s->db, steps[i], NULL, NULL, NULL) != SQLITE_OK) {
            rc = fc_state_error(s, module);
            fc_state_rollback(s);
            break;
        }
        if (sqlite3_prepare_v2(s->db,
                               "INSERT INTO schema_versions(module, version) VALUES(?, ?) "
                               "ON CONFLICT(module) DO UPDATE SET version = excluded.version",
                               -1, &st, NULL) != SQLITE_OK) {
            rc = fc_state_error(s, "schema version");
            fc_state_rollback(s);
            break;
        }
        sqlite3_bind_text(st, 1, module, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)(i + 1));
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = fc_state_error(s, "schema version");
        sqlite3_finalize(st);
        if (rc == FC_OK)
            rc = fc_state_commit(s);
        else
            fc_state_rollback(s);
    }
    return rc;
}

int fc_state_alert_active(fc_state *s, const char *key, int *active)
{
    sqlite3_stmt *st = NULL;
    int rc;
    *active = 0;
    if (sqlite3_prepare_v2(s->db, "SELECT active FROM alerts WHERE key = ?", -1, &st,
                           NULL) != SQLITE_OK)
        return fc_state_error(s, "alert lookup");
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *active = sqlite3_column_int(st, 0) != 0;
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return fc_state_error(s, "alert lookup");
    return FC_OK;
}

int fc_state_alert_raise(fc_state *s, const char *key, int64_t now, int *fired)
{
    sqlite3_stmt *st = NULL;
    int active, rc;

    *fired = 0;
    if ((rc = fc_state_alert_active(s, key, &active)) != FC_OK)
        return rc;
    if (active)
        return FC_OK;
    if (sqlite3_prepare_v2(s->db,
                           "INSERT INTO alerts(key, active, since) VALUES(?, 1, ?) "
                           "ON CONFLICT(key) DO UPDATE SET active = 1, since = excluded.since",
                           -1, &st, NULL) != SQLITE_OK)
        return fc_state_error(s, "alert raise");
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, now);
    rc = sqlite3_step(st) == SQLITE_DONE ? FC_OK : fc_state_error(s, "alert raise");
    sqlite3_finalize(st);
    if (rc == FC_OK)
        *fired = 1;
    return rc;
}

int fc_state_alert_clear(fc_state *s, const char *key)
{
    sqlite3_stmt *st = NULL;
    int rc;
    if (sqlite3_prepare_v2(s->db, "UPDATE alerts SET active = 0 WHERE key = ?", -1, &st,
                           NULL) != SQLITE_OK)
        return fc_state_error(s, "alert clear");
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    rc = sqlite3_step(st) == SQLITE_DONE ? FC_OK : fc_state_error(s, "alert clear");
    sqlite3_finalize(st);
    return rc;
}

int fc_state_run_begin(fc_state *s, int64_t started, const char *head, int64_t *run_id)
{
    sqlite3_stmt *st = NULL;
    int rc;
    if (sqlite3_prepare_v2(s->db, "INSERT INTO runs(started, head) VALUES(?, ?)", -1, &st,
                           NULL) != SQLITE_OK)
        return fc_state_error(s, "run begin");
    sqlite3_bind_int64(st, 1, started);
    if (head)
        sqlite3_bind_text(st, 2, head, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 2);
    rc = sqlite3_step(st) == SQLITE_DONE ? FC_OK : fc_state_error(s, "run begin");
    sqlite3_finalize(st);
    if (rc == FC_OK)
        *run_id = sqlite3_last_insert_rowid(s->db);
    return rc;
}

int fc_state_run_end(fc_state *s, int64_t run_id, int64_t finished, const char *result,
                     const char *status_commit)
{
    sqlite3_stmt *st = NULL;
    int rc;
    if (sqlite3_prepare_v2(s->db,
                           "UPDATE runs SET finished = ?, result = ?, status_commit = ? "
                           "WHERE id = ?",
                           -1, &st, NULL) != SQLITE_OK)
        return fc_state_error(s, "run end");
    sqlite3_bind_int64(st, 1, finished);
    sqlite3_bind_text(st, 2, result, -1, SQLITE_STATIC);
    if (status_commit && *status_commit)
        sqlite3_bind_text(st, 3, status_commit, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 3);
    sqlite3_bind_int64(st, 4, run_id);
    rc = sqlite3_step(st) == SQLITE_DONE ? FC_OK : fc_state_error(s, "run end");
    sqlite3_finalize(st);
    return rc;
}
