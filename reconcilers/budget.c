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

static const char *const weekday_names[7] = {"mon", "tue", "wed", "thu",
                                             "fri", "sat", "sun"};

static struct json_object *children_of(const fc_pass *pass, const fc_object *budget)
{
    const fc_spec_set *set = pass->specs;
    const char *name = budget->metadata.name;
    const fc_budget_kids *kids = fc_index_budget_kids(pass);
    struct json_object *a = json_object_new_array();
    const size_t *idx;
    size_t i, n;
    if (kids) {
        n = fc_budget_kids_of(kids, set, budget, &idx);
        for (i = 0; i < n; i++)
            json_object_array_add(
                a, json_object_new_string(set->objects[idx[i]].metadata.name));
        return a;
    }
    for (i = 0; i < set->nobjects; i++) {
        const fc_object *o = &set->objects[i];
        /* First byte before the call: this runs once per Budget per Budget. */
        if (o->kind == FC_KIND_BUDGET && o->spec.budget->parent &&
            o->spec.budget->parent[0] == name[0] &&
            strcmp(o->spec.budget->parent, name) == 0)
            json_object_array_add(a, json_object_new_string(o->metadata.name));
    }
    return a;
}

static struct json_object *spend_of(const fc_budget_eval *ev)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "own", fc_status_number(ev->own, 2));
    json_object_object_add(o, "children", fc_status_number(ev->children, 2));
    json_object_object_add(o, "total", fc_status_number(ev->actual, 2));
    json_object_object_add(o, "overlapAvoided", fc_status_number(ev->overlap, 2));
    json_object_object_add(o, "definition",
                           json_object_new_string(
                               "total = own + children; children = cost rows in any "
                               "child's total, each once; own = rows of this scope no "
                               "child claims"));
    return o;
}

static struct json_object *forecast_of(const fc_budget_eval *ev)
{
    const fc_budget_forecast *f = &ev->fc;
    struct json_object *o = json_object_new_object(), *w;
    char day[16];
    int i;

    json_object_object_add(o, "method", json_object_new_string(f->method ? f->method : "none"));
    json_object_object_add(o, "value", fc_status_number(ev->forecast, 2));
    json_object_object_add(o, "dailyRunRate", fc_status_number(f->daily_rate, 2));
    json_object_object_add(o, "historyDays", json_object_new_int(f->history_days));
    json_object_object_add(o, "weeks", json_object_new_int(f->weeks));
    json_object_object_add(o, "remainingDays", json_object_new_int(f->remaining_days));
    if (f->last_complete_day) {
        fc_date_format(day, sizeof(day), f->last_complete_day);
        json_object_object_add(o, "lastCompleteDay", json_object_new_string(day));
    }
    if (f->weeks) {
        w = json_object_new_object();
        for (i = 0; i < 7; i++)
            json_object_object_add(w, weekday_names[i],
                                   fc_status_number(f->weekday_factors[i], 3));
        json_object_object_add(o, "weekdayFactors", w);
    }
    return o;
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

static struct json_object *alerts_of(const fc_pass *pass, const fc_budget_eval *ev,
                                     size_t *nactive)
{
    struct json_object *arr = json_object_new_array();
    char when[32];
    size_t i, j;

    for (i = 0; i < ev->nthresholds; i++) {
        const fc_threshold_eval *t = &ev->thresholds[i];
        const fc_budget_alert *a = alert_for(pass, ev, t);
        struct json_object *o;
        int dup = 0;
        for (j = 0; j < i; j++)
            dup |= alert_for(pass, ev, &ev->thresholds[j]) == a;
        if (!a || dup)
            continue;
        o = json_object_new_object();
        json_object_object_add(o, "threshold", fc_status_number(a->percent, 1));
        json_object_object_add(o, "type", json_object_new_string(a->type));
        fc_time_format(when, sizeof(when), a->fired_at);
        json_object_object_add(o, "firedAt", json_object_new_string(when));
        json_object_object_add(o, "active", json_object_new_boolean(a->active));
        json_object_object_add(o, "timesFired", json_object_new_int(a->times));
        if (!a->active && a->cleared_at) {
            fc_time_format(when, sizeof(when), a->cleared_at);
            json_object_object_add(o, "clearedAt", json_object_new_string(when));
        }
        *nactive += a->active != 0;
        json_object_array_add(arr, o);
    }
    return arr;
}

static struct json_object *notify_of(const fc_budget_spec *b)
{
    struct json_object *arr = json_object_new_array();
    unsigned i;
    for (i = 0; i < b->nnotify; i++) {
        fc_notify_target t;
        struct json_object *o = json_object_new_object();
        char desc[320];
        int ok = fc_notify_target_parse(&t, b->notify[i]) == FC_OK;
        fc_notify_target_describe(desc, sizeof(desc), b->notify[i]);
        json_object_object_add(o, "target", json_object_new_string(desc));
        json_object_object_add(o, "type",
                               json_object_new_string(ok ? fc_notify_kind_name(t.kind)
                                                         : "invalid"));
        json_object_object_add(o, "supported",
                               json_object_new_boolean(ok && t.kind != FC_NOTIFY_EMAIL));
        if (ok && t.kind == FC_NOTIFY_EMAIL)
            json_object_object_add(o, "message",
                                   json_object_new_string("email delivery not supported yet"));
        json_object_array_add(arr, o);
    }
    return arr;
}

int fc_reconcile_budget(fc_pass *pass, const fc_object *obj)
{
    const fc_budget_spec *b = obj->spec.budget;
    fc_budget_eval ev;
    struct json_object *ths, *period;
    char start[16], end[16], crossed[512] = "";
    size_t i, nactive = 0;
    fc_sdoc d;
    int rc, any = 0;

    memset(&ev, 0, sizeof(ev));
    if (!pass->inv)
        return fc_error_set(FC_EINVALID, "budget %s: no inventory", obj->metadata.name);
    if ((rc = fc_engine_budget_tree_kids(&ev, pass->specs, fc_index_budget_kids(pass), obj,
                                         pass->inv, pass->now)) != FC_OK)
        return rc;
    if ((rc = fc_sdoc_begin(&d, pass, "Budget", "budgets", obj->metadata.name))) {
        fc_budget_eval_dispose(&ev);
        return rc;
    }
    fc_date_format(start, sizeof(start), ev.period_start);
    fc_date_format(end, sizeof(end), ev.period_end);
    period = json_object_new_object();
    json_object_object_add(period, "type", json_object_new_string(b->period ? b->period : "monthly"));
    json_object_object_add(period, "start", json_object_new_string(start));
    json_object_object_add(period, "end", json_object_new_string(end));
    json_object_object_add(d.status, "period", period);
    json_object_object_add(d.status, "amount", fc_status_number(ev.amount, 2));
    json_object_object_add(d.status, "actual", fc_status_number(ev.actual, 2));
    json_object_object_add(d.status, "forecast", fc_status_number(ev.forecast, 2));
    json_object_object_add(d.status, "actualPercent", fc_status_number(ev.actual_percent, 1));
    json_object_object_add(d.status, "forecastPercent", fc_status_number(ev.forecast_percent, 1));
    json_object_object_add(d.status, "currency", json_object_new_string(ev.currency ? ev.currency : "USD"));
    json_object_object_add(d.status, "daysObserved", json_object_new_int(ev.days_observed));
    json_object_object_add(d.status, "parent", FC_JSTR(b->parent));
    json_object_object_add(d.status, "children", children_of(pass, obj));
    json_object_object_add(d.status, "spend", spend_of(&ev));
    json_object_object_add(d.status, "forecastDetail", forecast_of(&ev));
    if (pass->budget_alerts)
        json_object_object_add(d.status, "alerts", alerts_of(pass, &ev, &nactive));
    if (b->nnotify)
        json_object_object_add(d.status, "notify", notify_of(b));
    ths = json_object_new_array();
    for (i = 0; i < ev.nthresholds; i++) {
        const fc_threshold_eval *t = &ev.thresholds[i];
        struct json_object *o = json_object_new_object();
        json_object_object_add(o, "percent", fc_status_number(t->percent, 1));
        json_object_object_add(o, "type", json_object_new_string(t->type));
        json_object_object_add(o, "crossed", json_object_new_boolean(t->crossed));
        json_object_array_add(ths, o);
        if (t->crossed) {
            size_t len = strlen(crossed);
            snprintf(crossed + len, sizeof(crossed) - len, "%s%.0f%% %s", any ? ", " : "",
                     t->percent, t->type);
            any = 1;
        }
    }
    json_object_object_add(d.status, "thresholds", ths);

    rc = fc_sdoc_cond(&d, pass, "Valid", 1, "SpecValid", "spec is valid");
    if (rc == FC_OK) {
        if (ev.unevaluable)
            rc = fc_sdoc_cond(&d, pass, "ScopeEvaluable", 0,
                              ev.unevaluable & FC_BUDGET_NO_TAGS ? "NoResourceCosts"
                                                                 : "NoRegionCosts",
                              "%s%s%s; %zu cost rows of the period were left out and no "
                              "threshold is judged",
                              ev.unevaluable & FC_BUDGET_NO_TAGS
                                  ? "scope.tags needs per-resource cost rows, the provider "
                                    "gives per-service ones"
                                  : "",
                              ev.unevaluable == (FC_BUDGET_NO_TAGS | FC_BUDGET_NO_REGION)
                                  ? "; "
                                  : "",
                              ev.unevaluable & FC_BUDGET_NO_REGION
                                  ? "scope.regions needs cost rows with a region, the "
                                    "provider gives none"
                                  : "",
                              ev.rows_left_out);
        else
            rc = fc_sdoc_cond(&d, pass, "ScopeEvaluable", 1, "Evaluated",
                              "every cost row could be judged against the scope");
    }
    if (rc == FC_OK) {
        pass->budgets_over += any != 0;
        if (any)
            rc = fc_sdoc_cond(&d, pass, "WithinBudget", 0, "ThresholdCrossed",
                              "actual %.2f (%.1f%%), forecast %.2f (%.1f%%) of %.2f %s; crossed: %s",
                              ev.actual, ev.actual_percent, ev.forecast, ev.forecast_percent,
                              ev.amount, ev.currency ? ev.currency : "USD", crossed);
        else
            rc = fc_sdoc_cond(&d, pass, "WithinBudget", 1, "BelowThresholds",
                              "actual %.2f (%.1f%%), forecast %.2f (%.1f%%) of %.2f %s",
                              ev.actual, ev.actual_percent, ev.forecast, ev.forecast_percent,
                              ev.amount, ev.currency ? ev.currency : "USD");
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
    fc_budget_eval_dispose(&ev);
    if (rc != FC_OK) {
        fc_sdoc_dispose(&d);
        return rc;
    }
    return fc_sdoc_finish(&d, pass);
}
