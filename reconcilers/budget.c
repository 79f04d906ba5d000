/*
 * budget.c - reconciler for kind Budget: spend for the current period
 * against the amount, the forecast, and which thresholds are crossed.
 * Hierarchy is reported as parent and children names.
 */
#include "reconcilers/reconcilers_int.h"
#include "controller/core/fc_error.h"

#include <stdio.h>
#include <string.h>

static struct json_object *children_of(const fc_spec_set *set, const char *name)
{
    struct json_object *a = json_object_new_array();
    size_t i;
    for (i = 0; i < set->nobjects; i++) {
        const fc_object *o = &set->objects[i];
        if (o->kind == FC_KIND_BUDGET && o->spec.budget->parent &&
            strcmp(o->spec.budget->parent, name) == 0)
            json_object_array_add(a, json_object_new_string(o->metadata.name));
    }
    return a;
}

int fc_reconcile_budget(fc_pass *pass, const fc_object *obj)
{
    const fc_budget_spec *b = obj->spec.budget;
    fc_budget_eval ev;
    struct json_object *ths, *period;
    char start[16], end[16], crossed[512] = "";
    size_t i;
    fc_sdoc d;
    int rc, any = 0;

    memset(&ev, 0, sizeof(ev));
    if (!pass->inv)
        return fc_error_set(FC_EINVALID, "budget %s: no inventory", obj->metadata.name);
    if ((rc = fc_engine_budget(&ev, obj, pass->inv, pass->now)) != FC_OK)
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
    json_object_object_add(d.status, "children", children_of(pass->specs, obj->metadata.name));
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
    if (rc == FC_OK)
        rc = fc_sdoc_cond(&d, pass, "Ready", 1, "Evaluated", "budget evaluated");
    fc_budget_eval_dispose(&ev);
    if (rc != FC_OK) {
        fc_sdoc_dispose(&d);
        return rc;
    }
    return fc_sdoc_finish(&d, pass);
}
