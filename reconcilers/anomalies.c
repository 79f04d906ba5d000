/*
 * anomalies.c - status/anomalies/<id>.yaml: one file per cost anomaly the
 * engine reports (open ones, and resolved ones for FC_ANOMALY_KEEP_DAYS).
 *
 * Input: pass->anomalies (engine output; the pass keeps their history in the
 * state store).  Output: status documents with the days, the impact, the
 * severity, the ranked root cause and an Open condition whose transition
 * time moves only when the anomaly opens or resolves.
 */
#include "reconcilers/reconcilers_int.h"

#include <stdio.h>
#include <string.h>

static struct json_object *day_str(int64_t t)
{
    char b[16];
    fc_date_format(b, sizeof(b), t);
    return json_object_new_string(b);
}

/* The Account spec that names this account id, if any. */
static const char *account_name(const fc_spec_set *set, const char *id)
{
    size_t i;
    for (i = 0; set && i < set->nobjects; i++)
        if (set->objects[i].kind == FC_KIND_ACCOUNT &&
            strcmp(set->objects[i].spec.account->account_id, id) == 0)
            return set->objects[i].metadata.name;
    return NULL;
}

static int one(fc_pass *pass, const fc_anomaly *a)
{
    struct json_object *days = json_object_new_array();
    struct json_object *causes = json_object_new_array();
    double actual = 0, expected = 0;
    char first[16], last[16], summary[768], top[256] = "", where[256];
    const char *name = account_name(pass->specs, a->account);
    fc_sdoc d;
    size_t i;
    int rc;

    for (i = 0; i < a->ndays; i++) {
        struct json_object *o = json_object_new_object();
        actual += a->days[i].actual;
        expected += a->days[i].expected;
        json_object_object_add(o, "day", day_str(a->days[i].day));
        json_object_object_add(o, "actual", fc_status_number(a->days[i].actual, 2));
        json_object_object_add(o, "expected", fc_status_number(a->days[i].expected, 2));
        json_object_object_add(o, "z", fc_status_number(a->days[i].z, 1));
        json_object_array_add(days, o);
    }
    for (i = 0; i < a->ncauses; i++) {
        struct json_object *o = json_object_new_object();
        json_object_object_add(o, "dimension", json_object_new_string(a->causes[i].dimension));
        json_object_object_add(o, "value", json_object_new_string(a->causes[i].value));
        json_object_object_add(o, "excess", fc_status_number(a->causes[i].excess, 2));
        json_object_object_add(o, "sharePercent",
                               fc_status_number(100 * a->causes[i].share, 1));
        json_object_array_add(causes, o);
    }
    /* The strongest resource, else the strongest cause, for the summary. */
    for (i = 0; i < a->ncauses; i++)
        if (!top[0] || strcmp(a->causes[i].dimension, "resource") == 0) {
            snprintf(top, sizeof(top), "; mostly %s %s (%.0f %%)", a->causes[i].dimension,
                     a->causes[i].value, 100 * a->causes[i].share);
            if (strcmp(a->causes[i].dimension, "resource") == 0)
                break;
        }
    fc_date_format(first, sizeof(first), a->first_day);
    fc_date_format(last, sizeof(last), a->last_day);
    if (name)
        snprintf(where, sizeof(where), "%s (%s)%s%s", name, a->account,
                 *a->region ? ", " : "", a->region);
    else
        snprintf(where, sizeof(where), "%s%s%s", a->account, *a->region ? ", " : "",
                 a->region);
    snprintf(summary, sizeof(summary),
             "%s in %s: %.2f %s above the baseline (%+.0f %%) on %s%s%s%s", a->service,
             where, a->impact, a->currency,
             expected > 0 ? 100 * (actual - expected) / expected : 100.0, first,
             a->last_day != a->first_day ? " .. " : "",
             a->last_day != a->first_day ? last : "", top);

    if ((rc = fc_sdoc_begin(&d, pass, "Anomaly", "anomalies", a->id)) != FC_OK) {
        json_object_put(days);
        json_object_put(causes);
        return rc;
    }
    json_object_object_add(d.status, "account", json_object_new_string(a->account));
    if (name)
        json_object_object_add(d.status, "accountName", json_object_new_string(name));
    json_object_object_add(d.status, "service", json_object_new_string(a->service));
    if (*a->region)
        json_object_object_add(d.status, "region", json_object_new_string(a->region));
    json_object_object_add(d.status, "currency", json_object_new_string(a->currency));
    json_object_object_add(d.status, "firstDay", day_str(a->first_day));
    json_object_object_add(d.status, "lastDay", day_str(a->last_day));
    if (!a->open && a->resolved_day)
        json_object_object_add(d.status, "resolvedDay", day_str(a->resolved_day));
    json_object_object_add(d.status, "impact", fc_status_number(a->impact, 2));
    json_object_object_add(d.status, "actual", fc_status_number(actual, 2));
    json_object_object_add(d.status, "expected", fc_status_number(expected, 2));
    json_object_object_add(d.status, "maxZ", fc_status_number(a->max_z, 1));
    json_object_object_add(d.status, "severity",
                           json_object_new_string(fc_anomaly_severity_name(a->severity)));
    json_object_object_add(d.status, "policy", FC_JSTR(a->policy));
    json_object_object_add(d.status, "summary", json_object_new_string(summary));
    json_object_object_add(d.status, "days", days);
    json_object_object_add(d.status, "rootCause", causes);
    if (a->open)
        rc = fc_sdoc_cond(&d, pass, "Open", 1, "Detected", "%s", summary);
    else {
        char back[16];
        fc_date_format(back, sizeof(back), a->resolved_day);
        rc = fc_sdoc_cond(&d, pass, "Open", 0, "Resolved",
                          "spend back within the baseline on %s", back);
    }
    if (rc != FC_OK) {
        fc_sdoc_dispose(&d);
        return rc;
    }
    return fc_sdoc_finish(&d, pass);
}

int fc_reconcile_anomalies(fc_pass *pass)
{
    size_t i;
    int rc = FC_OK;
    for (i = 0; pass->anomalies && i < pass->anomalies->n && rc == FC_OK; i++)
        rc = one(pass, &pass->anomalies->items[i]);
    return rc;
}
