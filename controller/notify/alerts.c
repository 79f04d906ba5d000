/*
 * alerts.c - edge-triggered budget alerts (see fc_notify.h).
 *
 * Stage: between the engines and the reconcilers.  Inputs: the spec set,
 * the inventory, the clock and the state store.  For every threshold of
 * every Budget it raises (crossed) or clears (not crossed) the alert
 * budget/<name>/<period start>/<type>/<percent> with fc_state_alert_raise /
 * fc_state_alert_clear, so an alert fires once per crossing: it fires
 * again only after spend fell back below (say, after the amount was
 * raised).  A new period has new keys.  A budget whose scope cannot be
 * evaluated changes no alert.  Each firing is logged in budget_alerts
 * (module "budget-alerts": when it fired, when it cleared, how often) for
 * the status, and queued once per notification target in the outbox.
 * Output: the alert memory of the current period of every budget, owned by
 * the caller.
 */
#include "controller/notify/fc_notify.h"
#include "controller/notify/notify_int.h"
#include "controller/core/fc_error.h"
#include "controller/core/fc_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const alert_steps[] = {
    "CREATE TABLE budget_alerts ("
    "  key TEXT PRIMARY KEY,"
    "  budget TEXT NOT NULL,"
    "  period_start INTEGER NOT NULL,"
    "  type TEXT NOT NULL,"
    "  percent REAL NOT NULL,"
    "  fired_at INTEGER NOT NULL,"
    "  cleared_at INTEGER,"
    "  active INTEGER NOT NULL,"
    "  times INTEGER NOT NULL)",
};

static int log_fired(fc_state *s, const char *key, const fc_budget_eval *ev,
                     const fc_threshold_eval *th, int64_t now)
{
    sqlite3_stmt *st = NULL;
    int rc;
    if (sqlite3_prepare_v2(fc_state_db(s),
                           "INSERT INTO budget_alerts(key, budget, period_start, type, "
                           "percent, fired_at, cleared_at, active, times) "
                           "VALUES(?, ?, ?, ?, ?, ?, NULL, 1, 1) ON CONFLICT(key) DO UPDATE "
                           "SET fired_at = excluded.fired_at, cleared_at = NULL, "
                           "active = 1, times = times + 1",
                           -1, &st, NULL) != SQLITE_OK)
        return fc_state_error(s, "budget alert log");
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, ev->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, ev->period_start);
    sqlite3_bind_text(st, 4, th->type, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 5, th->percent);
    sqlite3_bind_int64(st, 6, now);
    rc = sqlite3_step(st) == SQLITE_DONE ? FC_OK : fc_state_error(s, "budget alert log");
    sqlite3_finalize(st);
    return rc;
}

static int log_cleared(fc_state *s, const char *key, int64_t now)
{
    sqlite3_stmt *st = NULL;
    int rc;
    if (sqlite3_prepare_v2(fc_state_db(s),
                           "UPDATE budget_alerts SET active = 0, cleared_at = ? "
                           "WHERE key = ? AND active = 1",
                           -1, &st, NULL) != SQLITE_OK)
        return fc_state_error(s, "budget alert log");
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    rc = sqlite3_step(st) == SQLITE_DONE ? FC_OK : fc_state_error(s, "budget alert log");
    sqlite3_finalize(st);
    return rc;
}

/* Appends the logged alert of key to out, if there is one. */
static int read_alert(fc_state *s, const char *key, fc_budget_alert_list *out)
{
    sqlite3_stmt *st = NULL;
    fc_budget_alert a;
    int rc = FC_OK, step;

    if (sqlite3_prepare_v2(fc_state_db(s),
                           "SELECT budget, period_start, type, percent, fired_at, "
                           "cleared_at, active, times FROM budget_alerts WHERE key = ?",
                           -1, &st, NULL) != SQLITE_OK)
        return fc_state_error(s, "budget alert read");
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        memset(&a, 0, sizeof(a));
        a.budget = (char *)sqlite3_column_text(st, 0);
        a.period_start = sqlite3_column_int64(st, 1);
        a.type = (char *)sqlite3_column_text(st, 2);
        a.percent = sqlite3_column_double(st, 3);
        a.fired_at = sqlite3_column_int64(st, 4);
        a.cleared_at = sqlite3_column_int64(st, 5);
        a.active = sqlite3_column_int(st, 6);
        a.times = sqlite3_column_int(st, 7);
        rc = fc_budget_alert_list_add(out, &a);
    } else if (step != SQLITE_DONE) {
        rc = fc_state_error(s, "budget alert read");
    }
    sqlite3_finalize(st);
    return rc;
}

/* One outbox row per target; `times` (this crossing's number) makes the
 * dedup key unique per firing even when two firings share a clock. */
static int queue_firing(fc_state *s, const fc_budget_spec *b, const fc_budget_eval *ev,
                        const fc_threshold_eval *th, const char *key, int times,
                        int64_t now)
{
    fc_buf body, dedup;
    unsigned i;
    int rc = FC_OK;

    fc_buf_init(&body);
    fc_buf_init(&dedup);
    for (i = 0; i < b->nnotify && rc == FC_OK; i++) {
        fc_notify_target t;
        char desc[320];
        if (fc_notify_target_parse(&t, b->notify[i]) != FC_OK)
            continue;
        fc_notify_target_describe(desc, sizeof(desc), b->notify[i]);
        if (t.kind == FC_NOTIFY_EMAIL) {
            fc_info("notify: %s: email delivery not supported yet", desc);
            continue;
        }
        body.len = 0;
        dedup.len = 0;
        if ((rc = fc_notify_alert_json(&body, ev, th, key, now)) != FC_OK ||
            (rc = fc_buf_printf(&dedup, "%s#%d#%s", key, times, b->notify[i])))
            break;
        rc = fc_notify_enqueue(s, dedup.data, b->notify[i], body.data, now);
    }
    fc_buf_dispose(&body);
    fc_buf_dispose(&dedup);
    return rc;
}

static int one_budget(fc_state *s, const fc_spec_set *set, const fc_budget_kids *kids,
                      const fc_object *o, const fc_inventory *inv, int64_t now,
                      fc_budget_alert_list *out, size_t *nfired)
{
    const fc_budget_spec *b = o->spec.budget;
    fc_budget_eval ev;
    size_t i, j;
    int rc;

    if ((rc = fc_engine_budget_tree_kids(&ev, set, kids, o, inv, now)) != FC_OK)
        return rc;
    for (i = 0; i < ev.nthresholds && rc == FC_OK; i++) {
        const fc_threshold_eval *th = &ev.thresholds[i];
        char key[512];
        int fired = 0, active = 0, dup = 0;

        for (j = 0; j < i; j++)
            dup |= ev.thresholds[j].percent == th->percent &&
                   strcmp(ev.thresholds[j].type, th->type) == 0;
        if (dup)
            continue;
        fc_notify_alert_key(key, sizeof(key), ev.name, ev.period_start, th->type,
                            th->percent);
        if (ev.unevaluable) {
            /* Partial data says nothing: leave the alert as it is. */
        } else if (th->crossed) {
            if ((rc = fc_state_alert_raise(s, key, now, &fired)) == FC_OK && fired) {
                fc_info("budget %s: %g%% %s threshold crossed", ev.name, th->percent,
                        th->type);
                (*nfired)++;
                size_t before = out->n;
                if ((rc = log_fired(s, key, &ev, th, now)) == FC_OK &&
                    (rc = read_alert(s, key, out)) == FC_OK)
                    rc = queue_firing(s, b, &ev, th, key,
                                      out->n > before ? out->items[before].times : 1, now);
                continue;
            }
        } else if ((rc = fc_state_alert_active(s, key, &active)) == FC_OK && active) {
            fc_info("budget %s: back below the %g%% %s threshold", ev.name, th->percent,
                    th->type);
            if ((rc = fc_state_alert_clear(s, key)) == FC_OK)
                rc = log_cleared(s, key, now);
        }
        if (rc == FC_OK)
            rc = read_alert(s, key, out);
    }
    fc_budget_eval_dispose(&ev);
    return rc;
}

int fc_notify_budget_alerts(fc_state *s, const fc_spec_set *set,
                            const fc_inventory *inv, int64_t now, int commit,
                            fc_budget_alert_list *out, size_t *nfired)
{
    fc_budget_kids *kids = NULL;
    size_t i;
    int rc;

    *nfired = 0;
    if ((rc = fc_state_migrate(s, "budget-alerts", alert_steps,
                               FC_ARRAY_LEN(alert_steps))) != FC_OK ||
        (rc = fc_notify_migrate(s)) != FC_OK)
        return rc;
    /* One index for all Budgets: children and cost windows are shared. */
    if ((rc = fc_budget_kids_new(&kids, set)) != FC_OK)
        return rc;
    if ((rc = fc_state_begin(s)) != FC_OK) {
        fc_budget_kids_free(kids);
        return rc;
    }
    for (i = 0; i < set->nobjects && rc == FC_OK; i++)
        if (set->objects[i].kind == FC_KIND_BUDGET)
            rc = one_budget(s, set, kids, &set->objects[i], inv, now, out, nfired);
    fc_budget_kids_free(kids);
    if (rc == FC_OK && commit)
        return fc_state_commit(s);
    fc_state_rollback(s);
    return rc;
}

int fc_notify_pass_alerts(fc_state *state, const fc_spec_set *set,
                          const fc_inventory *inv, int64_t now, int commit,
                          fc_budget_alert_list *out)
{
    size_t nfired = 0;

    if (!state)
        return 0;
    if (fc_notify_budget_alerts(state, set, inv, now, commit, out, &nfired) != FC_OK) {
        fc_warn("budget alerts off this pass: %s", fc_error_last());
        fc_budget_alert_list_dispose(out);
        return 0;
    }
    if (nfired)
        fc_info("budget alerts: %zu fired%s", nfired, commit ? "" : " (plan: not kept)");
    return 1;
}

void fc_notify_pass_flush(fc_state *state, int64_t now)
{
    fc_notify_opts o;
    fc_notify_stats st;
    const char *v;

    if (!state)
        return;
    memset(&o, 0, sizeof(o));
    if ((v = getenv("FINOPS_NOTIFY_BACKOFF_MS")) && atoi(v) > 0)
        o.backoff_ms = (unsigned)atoi(v);
    if ((v = getenv("FINOPS_NOTIFY_TIMEOUT")) && atol(v) > 0)
        o.timeout_s = atol(v);
    if (fc_notify_flush(state, &o, now, &st) != FC_OK) {
        fc_warn("notifications not sent: %s", fc_error_last());
        return;
    }
    if (st.sent || st.failed || st.dropped)
        fc_info("notifications: %zu sent, %zu kept for the next pass, %zu dropped",
                st.sent, st.failed, st.dropped);
}
