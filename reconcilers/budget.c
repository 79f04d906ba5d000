/*
 * budget.c - reconciler for kind Budget: spend for the current period
 * against the amount, split into own scope and children, the forecast with
 * its method and inputs, which thresholds are crossed, the alerts they
 * fired (from the pass's alert memory) and where notifications go.
 *
 * Inputs: the Budget, the spec set (children), the inventory, the clock and
 * pass->budget_alerts (NULL when the pass keeps no alert memory).  Output:
 * status/budgets/<name>.yaml.  Pure: notifications are sent by the pass.
 */
#include "reconcilers/reconcilers_int.h"
#include "controller/core/fc_error.h"
#include "controller/notify/fc_notify.h"

#include <stdio.h>
#include <string.h>

/* weekday_factors[] is Monday first; the file lists the days by name. */
static const struct {
    const char *name;
    int day;
} weekdays_sorted[7] = {{"fri", 4}, {"mon", 0}, {"sat", 5}, {"sun", 6},
                        {"thu", 3}, {"tue", 1}, {"wed", 2}};

static void write_children(fc_yw *w, const fc_pass *pass, const fc_object *budget)
{
    const fc_spec_set *set = pass->specs;
    const char *name = budget->metadata.name;
    const fc_budget_kids *kids = fc_index_budget_kids(pass);
    const size_t *idx;
    size_t i, n;

    fc_yw_key(w, "children");
    fc_yw_seq_begin(w);
    if (kids) {
        n = fc_budget_kids_of(kids, set, budget, &idx);
        for (i = 0; i < n; i++)
            fc_yw_str(w, set->objects[idx[i]].metadata.name);
    } else {
        for (i = 0; i < set->nobjects; i++) {
            const fc_object *o = &set->objects[i];
            /* First byte before the call: this runs once per Budget per Budget. */
            if (o->kind == FC_KIND_BUDGET && o->spec.budget->parent &&
                o->spec.budget->parent[0] == name[0] &&
                strcmp(o->spec.budget->parent, name) == 0)
                fc_yw_str(w, o->metadata.name);
        }
    }
    fc_yw_seq_end(w);
}

static void write_spend(fc_yw *w, const fc_budget_eval *ev)
{
    fc_yw_key(w, "spend");
    fc_yw_map_begin(w);
    fc_yw_key(w, "children");
    fc_yw_number(w, ev->children, 2);
    fc_yw_kstr(w, "definition",
               "total = own + children; children = cost rows in any "
               "child's total, each once; own = rows of this scope no "
               "child claims");
    fc_yw_key(w, "overlapAvoided");
    fc_yw_number(w, ev->overlap, 2);
    fc_yw_key(w, "own");
    fc_yw_number(w, ev->own, 2);
    fc_yw_key(w, "total");
    fc_yw_number(w, ev->actual, 2);
    fc_yw_map_end(w);
}

static void write_forecast(fc_yw *w, const fc_budget_eval *ev)
{
    const fc_budget_forecast *f = &ev->fc;
    char day[16];
    int i;

    fc_yw_key(w, "forecastDetail");
    fc_yw_map_begin(w);
    fc_yw_key(w, "dailyRunRate");
    fc_yw_number(w, f->daily_rate, 2);
    fc_yw_key(w, "historyDays");
    fc_yw_int(w, f->history_days);
    if (f->last_complete_day) {
        fc_date_format(day, sizeof(day), f->last_complete_day);
        fc_yw_kstr(w, "lastCompleteDay", day);
    }
    fc_yw_kstr(w, "method", f->method ? f->method : "none");
    fc_yw_key(w, "remainingDays");
    fc_yw_int(w, f->remaining_days);
    fc_yw_key(w, "value");
    fc_yw_number(w, ev->forecast, 2);
    if (f->weeks) {
        fc_yw_key(w, "weekdayFactors");
        fc_yw_map_begin(w);
        for (i = 0; i < 7; i++) {
            fc_yw_key(w, weekdays_sorted[i].name);
            fc_yw_number(w, f->weekday_factors[weekdays_sorted[i].day], 3);
        }
        fc_yw_map_end(w);
    }
    fc_yw_key(w, "weeks");
    fc_yw_int(w, f->weeks);
    fc_yw_map_end(w);
}

static const fc_budget_alert *alert_for(const fc_pass *pass, const fc_budget_eval *ev,
                                        const fc_threshold_eval *t)
{
    size_t i;
    for (i = 0; pass->budget_alerts && i < pass->budget_alerts->n; i++) {
        const fc_budget_alert *a = &pass->budget_alerts->items[i];
        if (strcmp(a->budget, ev->name) == 0 && a->period_start == ev->period_start &&
            strcmp(a->type, t->type) == 0 && a->percent == t->percent)
            return a;
    }
    return NULL;
}

static void write_alerts(fc_yw *w, const fc_pass *pass, const fc_budget_eval *ev,
                         size_t *nactive)
{
    char when[32];
    size_t i, j;

    fc_yw_key(w, "alerts");
    fc_yw_seq_begin(w);
    for (i = 0; i < ev->nthresholds; i++) {
        const fc_threshold_eval *t = &ev->thresholds[i];
        const fc_budget_alert *a = alert_for(pass, ev, t);
        int dup = 0;
        for (j = 0; j < i; j++)
            dup |= alert_for(pass, ev, &ev->thresholds[j]) == a;
        if (!a || dup)
            continue;
        fc_yw_map_begin(w);
        fc_yw_key(w, "active");
        fc_yw_bool(w, a->active);
        if (!a->active && a->cleared_at) {
            fc_time_format(when, sizeof(when), a->cleared_at);
            fc_yw_kstr(w, "clearedAt", when);
        }
        fc_time_format(when, sizeof(when), a->fired_at);
        fc_yw_kstr(w, "firedAt", when);
        fc_yw_key(w, "threshold");
        fc_yw_number(w, a->percent, 1);
        fc_yw_key(w, "timesFired");
        fc_yw_int(w, a->times);
        fc_yw_kstr(w, "type", a->type);
        fc_yw_map_end(w);
        *nactive += a->active != 0;
    }
    fc_yw_seq_end(w);
}

static void write_notify(fc_yw *w, const fc_budget_spec *b)
{
    unsigned i;

    fc_yw_key(w, "notify");
    fc_yw_seq_begin(w);
    for (i = 0; i < b->nnotify; i++) {
        fc_notify_target t;
        char desc[320];
        int ok = fc_notify_target_parse(&t, b->notify[i]) == FC_OK;
        fc_notify_target_describe(desc, sizeof(desc), b->notify[i]);
        fc_yw_map_begin(w);
        if (ok && t.kind == FC_NOTIFY_EMAIL)
            fc_yw_kstr(w, "message", "email delivery not supported yet");
        fc_yw_key(w, "supported");
        fc_yw_bool(w, ok && t.kind != FC_NOTIFY_EMAIL);
        fc_yw_kstr(w, "target", desc);
        fc_yw_kstr(w, "type", ok ? fc_notify_kind_name(t.kind) : "invalid");
        fc_yw_map_end(w);
    }
    fc_yw_seq_end(w);
}

/* Status keys below come in sorted order: fc_yw insists. */
static int write_budget(fc_pass *pass, fc_yw *w, const fc_object *obj, fc_budget_eval *ev)
{
    const fc_budget_spec *b = obj->spec.budget;
    const char *currency = ev->currency ? ev->currency : "USD";
    char start[16], end[16], crossed[512] = "";
    size_t i, nactive = 0;
    fc_sdoc d;
    int rc, any = 0;

    for (i = 0; i < ev->nthresholds; i++) {
        const fc_threshold_eval *t = &ev->thresholds[i];
        if (t->crossed) {
            size_t len = strlen(crossed);
            snprintf(crossed + len, sizeof(crossed) - len, "%s%.0f%% %s", any ? ", " : "",
                     t->percent, t->type);
            any = 1;
        }
    }
    if ((rc = fc_sdoc_ybegin_status(&d, pass, w, "Budget", "budgets", obj->metadata.name)))
        return rc;
    fc_yw_key(w, "actual");
    fc_yw_number(w, ev->actual, 2);
    fc_yw_key(w, "actualPercent");
    fc_yw_number(w, ev->actual_percent, 1);
    if (pass->budget_alerts)
        write_alerts(w, pass, ev, &nactive);
    fc_yw_key(w, "amount");
    fc_yw_number(w, ev->amount, 2);
    write_children(w, pass, obj);

    fc_sdoc_yconds(&d);
    rc = fc_sdoc_cond(&d, pass, "Valid", 1, "SpecValid", "spec is valid");
    if (rc == FC_OK) {
        if (ev->unevaluable)
            rc = fc_sdoc_cond(&d, pass, "ScopeEvaluable", 0,
                               ev->unevaluable & FC_BUDGET_NO_TAGS ? "NoResourceCosts"
                                                                   : "NoRegionCosts",
                               "%s%s%s; %zu cost rows of the period were left out and no "
                               "threshold is judged",
                               ev->unevaluable & FC_BUDGET_NO_TAGS
                                   ? "scope.tags needs per-resource cost rows, the provider "
                                     "gives per-service ones"
                                   : "",
                               ev->unevaluable == (FC_BUDGET_NO_TAGS | FC_BUDGET_NO_REGION)
                                   ? "; "
                                   : "",
                               ev->unevaluable & FC_BUDGET_NO_REGION
                                   ? "scope.regions needs cost rows with a region, the "
                                     "provider gives none"
                                   : "",
                               ev->rows_left_out);
        else
            rc = fc_sdoc_cond(&d, pass, "ScopeEvaluable", 1, "Evaluated",
                               "every cost row could be judged against the scope");
    }
    if (rc == FC_OK) {
        pass->budgets_over += any != 0;
        if (any)
            rc = fc_sdoc_cond(&d, pass, "WithinBudget", 0, "ThresholdCrossed",
                               "actual %.2f (%.1f%%), forecast %.2f (%.1f%%) of %.2f %s; crossed: %s",
                               ev->actual, ev->actual_percent, ev->forecast,
                               ev->forecast_percent, ev->amount, currency, crossed);
        else
            rc = fc_sdoc_cond(&d, pass, "WithinBudget", 1, "BelowThresholds",
                               "actual %.2f (%.1f%%), forecast %.2f (%.1f%%) of %.2f %s",
                               ev->actual, ev->actual_percent, ev->forecast,
                               ev->forecast_percent, ev->amount, currency);
    }
    if (rc == FC_OK && pass->budget_alerts) {
        if (nactive)
            rc = fc_sdoc_cond(&d, pass, "Alerting", 1, "AlertsActive",
                               "%zu threshold alert(s) active this period", nactive);
        else
            rc = fc_sdoc_cond(&d, pass, "Alerting", 0, "NoActiveAlerts",
                               "no threshold alert is active this period");
    }
    if (rc == FC_OK)
        rc = fc_sdoc_cond(&d, pass, "Ready", 1, "Evaluated", "budget evaluated");
    fc_yw_seq_end(w);

    fc_yw_kstr(w, "currency", currency);
    fc_yw_key(w, "daysObserved");
    fc_yw_int(w, ev->days_observed);
    fc_yw_key(w, "forecast");
    fc_yw_number(w, ev->forecast, 2);
    write_forecast(w, ev);
    fc_yw_key(w, "forecastPercent");
    fc_yw_number(w, ev->forecast_percent, 1);
    if (b->nnotify)
        write_notify(w, b);
    fc_sdoc_ycommit(&d, pass);
    fc_yw_kstr(w, "parent", b->parent);
    fc_date_format(start, sizeof(start), ev->period_start);
    fc_date_format(end, sizeof(end), ev->period_end);
    fc_yw_key(w, "period");
    fc_yw_map_begin(w);
    fc_yw_kstr(w, "end", end);
    fc_yw_kstr(w, "start", start);
    fc_yw_kstr(w, "type", b->period ? b->period : "monthly");
    fc_yw_map_end(w);
    write_spend(w, ev);
    fc_yw_key(w, "thresholds");
    fc_yw_seq_begin(w);
    for (i = 0; i < ev->nthresholds; i++) {
        const fc_threshold_eval *t = &ev->thresholds[i];
        fc_yw_map_begin(w);
        fc_yw_key(w, "crossed");
        fc_yw_bool(w, t->crossed);
        fc_yw_key(w, "percent");
        fc_yw_number(w, t->percent, 1);
        fc_yw_kstr(w, "type", t->type);
        fc_yw_map_end(w);
    }
    if (rc == FC_OK)
        rc = fc_yw_seq_end(w);
    if (rc != FC_OK) {
        fc_sdoc_dispose(&d);
        return rc;
    }
    return fc_sdoc_yfinish(&d, pass);
}

int fc_reconcile_budget(fc_pass *pass, const fc_object *obj)
{
    fc_budget_eval ev;
    fc_yw w;
    int rc;

    memset(&ev, 0, sizeof(ev));
    if (!pass->inv)
        return fc_error_set(FC_EINVALID, "budget %s: no inventory", obj->metadata.name);
    if ((rc = fc_engine_budget_tree_kids(&ev, pass->specs, fc_index_budget_kids(pass), obj,
                                         pass->inv, pass->now)) != FC_OK)
        return rc;
    fc_yw_init(&w);
    rc = write_budget(pass, &w, obj, &ev);
    fc_yw_dispose(&w);
    fc_budget_eval_dispose(&ev);
    return rc;
}
