/*
 * snapshot.c - what the HTTP server shows of the last pass: an immutable,
 * refcounted copy of its resources, recommendations, anomalies, budgets
 * and planned actions (pre-serialised JSON lists), the latest report, and
 * the gauges derived from them.
 *
 * Inputs: the pass's data, borrowed, right after reconciling (run.c calls
 * fc_http_publish).  Output: the current snapshot, swapped under a mutex;
 * readers hold a reference, so a pass never frees what a handler reads.
 * Budgets are evaluated again here with the pure budget engine: it is cheap
 * and keeps the reconcilers' interfaces unchanged.
 */
#include "controller/http/fc_http.h"
#include "controller/core/fc_error.h"
#include "controller/core/fc_log.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct fc_http_snapshot {
    int refs; /* under mu */
    char head[FC_OID_HEX];
    int64_t now;
    fc_api_list resources, recommendations, anomalies, budgets, actions;
    char *report;
    size_t report_len;
    fc_metrics *gauges;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static fc_http_snapshot *current;

void fc_http_snapshot_unref(fc_http_snapshot *s)
{
    int last;
    if (!s)
        return;
    pthread_mutex_lock(&mu);
    last = --s->refs == 0;
    pthread_mutex_unlock(&mu);
    if (!last)
        return;
    fc_api_list_dispose(&s->resources);
    fc_api_list_dispose(&s->recommendations);
    fc_api_list_dispose(&s->anomalies);
    fc_api_list_dispose(&s->budgets);
    fc_api_list_dispose(&s->actions);
    free(s->report);
    fc_metrics_free(s->gauges);
    free(s);
}

void fc_http_snapshot_publish(fc_http_snapshot *s)
{
    fc_http_snapshot *old;
    pthread_mutex_lock(&mu);
    old = current;
    current = s;
    pthread_mutex_unlock(&mu);
    fc_http_snapshot_unref(old);
}

fc_http_snapshot *fc_http_snapshot_current(void)
{
    fc_http_snapshot *s;
    pthread_mutex_lock(&mu);
    if ((s = current))
        s->refs++;
    pthread_mutex_unlock(&mu);
    return s;
}

const fc_api_list *fc_http_snapshot_list(const fc_http_snapshot *s, const char *what)
{
    if (strcmp(what, "resources") == 0)
        return &s->resources;
    if (strcmp(what, "recommendations") == 0)
        return &s->recommendations;
    if (strcmp(what, "anomalies") == 0)
        return &s->anomalies;
    if (strcmp(what, "budgets") == 0)
        return &s->budgets;
    if (strcmp(what, "actions") == 0)
        return &s->actions;
    return NULL;
}

const char *fc_http_snapshot_report(const fc_http_snapshot *s, size_t *len)
{
    *len = s->report_len;
    return s->report;
}

fc_metrics *fc_http_snapshot_gauges(const fc_http_snapshot *s)
{
    return s->gauges;
}

/* ---- building ------------------------------------------------------------ */

static void put_str(json_object *o, const char *k, const char *v)
{
    if (v)
        json_object_object_add(o, k, json_object_new_string(v));
}

/* A number with fixed decimals in the JSON text (money 2, ratios 4), so
 * clients read 0.48, not 0.47999999999999998. */
static json_object *num(double v, int decimals)
{
    char buf[64];
    snprintf(buf, sizeof(buf), "%.*f", decimals, v);
    return json_object_new_double_s(v, buf);
}

static void put_time(json_object *o, const char *k, int64_t t)
{
    char buf[32];
    if (!t)
        return;
    fc_time_format(buf, sizeof(buf), t);
    put_str(o, k, buf);
}

static int add_resources(fc_http_snapshot *s, const fc_inventory *inv)
{
    size_t i, j;
    int rc = FC_OK;
    for (i = 0; i < inv->nresources && rc == FC_OK; i++) {
        const fc_resource *r = &inv->resources[i];
        const char *type = fc_resource_type_name(r->type);
        const char *labels[] = {"type", type, "account", r->account, "region", r->region};
        json_object *o = json_object_new_object(), *tags = json_object_new_object();
        if (!o || !tags) {
            json_object_put(o);
            json_object_put(tags);
            return fc_error_set(FC_ENOMEM, "snapshot");
        }
        put_str(o, "id", r->id);
        put_str(o, "type", type);
        put_str(o, "account", r->account);
        put_str(o, "region", r->region);
        put_str(o, "name", r->name);
        put_str(o, "state", r->state);
        put_str(o, "sizeClass", r->size_class);
        if (r->size > 0)
            json_object_object_add(o, "size", num(r->size, 2));
        put_str(o, "attachedTo", r->attached_to);
        put_time(o, "created", r->created);
        /* Tags are the owner's labels, not secrets; attrs stay internal. */
        for (j = 0; j < r->ntags; j++)
            put_str(tags, r->tags[j].key, r->tags[j].value);
        json_object_object_add(o, "tags", tags);
        rc = fc_api_list_add(&s->resources, r->account, r->region, type, o);
        json_object_put(o);
        if (rc == FC_OK)
            rc = fc_metrics_add(s->gauges, "finops_resources", labels, 3, 1);
    }
    return rc;
}

static int add_recommendations(fc_http_snapshot *s, const fc_recommendation_list *recs)
{
    size_t i, j;
    int rc = FC_OK;
    for (i = 0; i < recs->n && rc == FC_OK; i++) {
        const fc_recommendation *r = &recs->items[i];
        const char *type = fc_resource_type_name(r->resource_type);
        const char *cur = r->currency ? r->currency : "USD";
        const char *rl[] = {"rule", r->rule};
        const char *sl[] = {"rule", r->rule, "currency", cur};
        json_object *o = json_object_new_object(), *ev = json_object_new_object(),
                    *par = json_object_new_object();
        if (!o || !ev || !par) {
            json_object_put(o);
            json_object_put(ev);
            json_object_put(par);
            return fc_error_set(FC_ENOMEM, "snapshot");
        }
        put_str(o, "id", r->id);
        put_str(o, "rule", r->rule);
        put_str(o, "resourceType", type);
        put_str(o, "account", r->account);
        put_str(o, "region", r->region);
        put_str(o, "resource", r->resource);
        put_str(o, "summary", r->summary);
        json_object_object_add(o, "monthlySaving", num(r->monthly_saving, 2));
        put_str(o, "currency", cur);
        put_str(o, "risk", fc_risk_name(r->risk));
        put_str(o, "action", r->action);
        put_str(o, "policy", r->policy);
        for (j = 0; j < r->nevidence; j++)
            put_str(ev, r->evidence[j].key, r->evidence[j].value);
        for (j = 0; j < r->nparameters; j++)
            put_str(par, r->parameters[j].key, r->parameters[j].value);
        json_object_object_add(o, "evidence", ev);
        json_object_object_add(o, "parameters", par);
        rc = fc_api_list_add(&s->recommendations, r->account, r->region, type, o);
        json_object_put(o);
        if (rc == FC_OK)
            rc = fc_metrics_add(s->gauges, "finops_recommendations", rl, 1, 1);
        if (rc == FC_OK)
            rc = fc_metrics_add(s->gauges, "finops_recommendations_monthly_savings", sl,
                                2, r->monthly_saving);
    }
    return rc;
}

static int add_anomalies(fc_http_snapshot *s, const fc_anomaly_list *al)
{
    size_t i, open = 0;
    int rc = FC_OK;
    for (i = 0; i < al->n && rc == FC_OK; i++) {
        const fc_anomaly *a = &al->items[i];
        json_object *o = json_object_new_object();
        if (!o)
            return fc_error_set(FC_ENOMEM, "snapshot");
        put_str(o, "id", a->id);
        put_str(o, "account", a->account);
        put_str(o, "service", a->service);
        put_str(o, "region", a->region);
        put_str(o, "currency", a->currency);
        put_str(o, "policy", a->policy);
        put_time(o, "firstDay", a->first_day);
        put_time(o, "lastDay", a->last_day);
        json_object_object_add(o, "open", json_object_new_boolean(a->open));
        put_time(o, "resolvedDay", a->resolved_day);
        json_object_object_add(o, "impact", num(a->impact, 2));
        json_object_object_add(o, "maxZ", num(a->max_z, 2));
        put_str(o, "severity", fc_anomaly_severity_name(a->severity));
        rc = fc_api_list_add(&s->anomalies, a->account,
                             a->region && a->region[0] ? a->region : NULL, NULL, o);
        json_object_put(o);
        open += a->open != 0;
    }
    if (rc == FC_OK)
        rc = fc_metrics_set(s->gauges, "finops_anomalies_open", NULL, 0, (double)open);
    return rc;
}

static int add_budgets(fc_http_snapshot *s, const fc_spec_set *set,
                       const fc_inventory *inv, int64_t now)
{
    fc_budget_kids *kids = NULL;
    size_t i;
    int rc = FC_OK;
    if (set && (rc = fc_budget_kids_new(&kids, set)) != FC_OK)
        return rc;
    for (i = 0; set && i < set->nobjects && rc == FC_OK; i++) {
        const fc_object *ob = &set->objects[i];
        fc_budget_eval ev;
        json_object *o;
        const char *bl[] = {"budget", ob->metadata.name};
        double ratio;
        if (ob->kind != FC_KIND_BUDGET)
            continue;
        memset(&ev, 0, sizeof(ev));
        if (fc_engine_budget_tree_kids(&ev, set, kids, ob, inv, now) != FC_OK) {
            fc_budget_eval_dispose(&ev);
            continue; /* its status file says why */
        }
        ratio = ev.amount > 0 ? ev.actual / ev.amount : 0;
        if (!(o = json_object_new_object())) {
            fc_budget_eval_dispose(&ev);
            fc_budget_kids_free(kids);
            return fc_error_set(FC_ENOMEM, "snapshot");
        }
        put_str(o, "name", ob->metadata.name);
        put_str(o, "parent", ob->spec.budget->parent);
        put_str(o, "currency", ev.currency);
        put_time(o, "periodStart", ev.period_start);
        put_time(o, "periodEnd", ev.period_end);
        json_object_object_add(o, "amount", num(ev.amount, 2));
        json_object_object_add(o, "actual", num(ev.actual, 2));
        json_object_object_add(o, "forecast", num(ev.forecast, 2));
        json_object_object_add(o, "spendRatio", num(ratio, 4));
        json_object_object_add(o, "evaluable", json_object_new_boolean(!ev.unevaluable));
        rc = fc_api_list_add(&s->budgets, NULL, NULL, NULL, o);
        json_object_put(o);
        if (rc == FC_OK && !ev.unevaluable)
            rc = fc_metrics_set(s->gauges, "finops_budget_spend_ratio", bl, 1, ratio);
        if (rc == FC_OK && !ev.unevaluable && ev.amount > 0)
            rc = fc_metrics_set(s->gauges, "finops_budget_forecast_ratio", bl, 1,
                                ev.forecast / ev.amount);
        fc_budget_eval_dispose(&ev);
    }
    fc_budget_kids_free(kids);
    return rc;
}

static int add_actions(fc_http_snapshot *s, const fc_plan *plan)
{
    static const fc_plan_state states[] = {FC_PLAN_PLANNED, FC_PLAN_BLOCKED,
                                           FC_PLAN_NOOP};
    size_t i, k, count[3] = {0, 0, 0};
    int rc = FC_OK;
    for (i = 0; i < plan->n && rc == FC_OK; i++) {
        const fc_plan_item *it = &plan->items[i];
        json_object *o = json_object_new_object();
        if (!o)
            return fc_error_set(FC_ENOMEM, "snapshot");
        put_str(o, "optimization", it->optimization);
        put_str(o, "action", it->action);
        put_str(o, "account", it->account);
        put_str(o, "region", it->region);
        put_str(o, "resource", it->resource);
        put_str(o, "state", fc_plan_state_name(it->state));
        put_str(o, "reason", it->reason);
        put_str(o, "message", it->message);
        json_object_object_add(o, "monthlySaving", num(it->monthly_saving, 2));
        rc = fc_api_list_add(&s->actions, it->account, it->region, it->action, o);
        json_object_put(o);
        for (k = 0; k < 3; k++)
            count[k] += it->state == states[k];
    }
    /* Every result is present, zero included, so alerts can rely on it. */
    for (k = 0; k < 3 && rc == FC_OK; k++) {
        const char *l[] = {"result", fc_plan_state_name(states[k])};
        rc = fc_metrics_set(s->gauges, "finops_actions", l, 1, (double)count[k]);
    }
    return rc;
}

static int define_gauges(fc_metrics *m)
{
    int rc =
        fc_metrics_define(m, "finops_resources", FC_METRIC_GAUGE,
                          "Observed resources by type, account and region.", NULL, 0);
    if (rc == FC_OK)
        rc = fc_metrics_define(m, "finops_recommendations", FC_METRIC_GAUGE,
                               "Open recommendations by rule.", NULL, 0);
    if (rc == FC_OK)
        rc = fc_metrics_define(
            m, "finops_recommendations_monthly_savings", FC_METRIC_GAUGE,
            "Monthly savings of open recommendations by rule.", NULL, 0);
    if (rc == FC_OK)
        rc = fc_metrics_define(m, "finops_budget_spend_ratio", FC_METRIC_GAUGE,
                               "Budget spend so far in the period / amount.", NULL, 0);
    if (rc == FC_OK)
        rc = fc_metrics_define(m, "finops_budget_forecast_ratio", FC_METRIC_GAUGE,
                               "Budget forecast at period end / amount.", NULL, 0);
    if (rc == FC_OK)
        rc = fc_metrics_define(m, "finops_anomalies_open", FC_METRIC_GAUGE,
                               "Open cost anomalies.", NULL, 0);
    if (rc == FC_OK)
        rc = fc_metrics_define(m, "finops_actions", FC_METRIC_GAUGE,
                               "Optimization actions of the last plan by result.", NULL,
                               0);
    if (rc == FC_OK)
        rc = fc_metrics_define(m, "finops_snapshot_timestamp_seconds", FC_METRIC_GAUGE,
                               "Pass clock of the data served (unix time).", NULL, 0);
    return rc;
}

int fc_http_snapshot_build(fc_http_snapshot **out, const fc_spec_set *set,
                           const fc_inventory *inv, const fc_recommendation_list *recs,
                           const fc_anomaly_list *anomalies, const fc_plan *plan,
                           const fc_status_tree *st, const char *head, int64_t now)
{
    fc_http_snapshot *s = calloc(1, sizeof(*s));
    size_t i;
    int rc;

    *out = NULL;
    if (!s)
        return fc_error_set(FC_ENOMEM, "snapshot");
    s->refs = 1;
    s->now = now;
    snprintf(s->head, sizeof(s->head), "%s", head ? head : "");
    fc_api_list_init(&s->resources);
    fc_api_list_init(&s->recommendations);
    fc_api_list_init(&s->anomalies);
    fc_api_list_init(&s->budgets);
    fc_api_list_init(&s->actions);
    if ((rc = fc_metrics_new(&s->gauges)) != FC_OK || (rc = define_gauges(s->gauges)))
        goto done;
    if ((rc = fc_metrics_set(s->gauges, "finops_snapshot_timestamp_seconds", NULL, 0,
                             (double)now)) != FC_OK)
        goto done;
    if (inv && (rc = add_resources(s, inv)) != FC_OK)
        goto done;
    if (recs && (rc = add_recommendations(s, recs)) != FC_OK)
        goto done;
    if (anomalies && (rc = add_anomalies(s, anomalies)) != FC_OK)
        goto done;
    if (set && inv && (rc = add_budgets(s, set, inv, now)) != FC_OK)
        goto done;
    if (plan && (rc = add_actions(s, plan)) != FC_OK)
        goto done;
    for (i = 0; st && i < st->n; i++) {
        if (strcmp(st->files[i].path, "status/reports/latest.md") != 0)
            continue;
        if (!(s->report = malloc(st->files[i].len + 1))) {
            rc = fc_error_set(FC_ENOMEM, "snapshot");
            goto done;
        }
        memcpy(s->report, st->files[i].data, st->files[i].len);
        s->report[st->files[i].len] = '\0';
        s->report_len = st->files[i].len;
    }
done:
    if (rc != FC_OK) {
        fc_http_snapshot_unref(s);
        return rc;
    }
    *out = s;
    return FC_OK;
}

int fc_http_needs_pass(void)
{
    int none;
    if (!fc_http_serving())
        return 0;
    pthread_mutex_lock(&mu);
    none = current == NULL;
    pthread_mutex_unlock(&mu);
    return none;
}

void fc_http_publish(const fc_spec_set *set, const fc_inventory *inv,
                     const fc_recommendation_list *recs, const fc_anomaly_list *anomalies,
                     const fc_plan *plan, const fc_status_tree *st, const char *head,
                     int64_t now)
{
    fc_http_snapshot *s;
    if (!fc_http_serving())
        return;
    if (fc_http_snapshot_build(&s, set, inv, recs, anomalies, plan, st, head, now) !=
        FC_OK) {
        fc_warn("http: snapshot not published: %s", fc_error_last());
        return;
    }
    fc_http_snapshot_publish(s);
}
