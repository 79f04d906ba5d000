/*
 * commitments.c - status/commitments.yaml: the Savings Plan commitment and
 * the Reserved Instances the last 30 days of EC2 usage support.
 *
 * Inputs: the inventory, the on-demand prices and pass->sp_rates (no file
 * when the pass has no rate table).  Output: one status document.  A
 * recommendation only: the controller never buys commitments.
 */
#include "reconcilers/reconcilers_int.h"
#include "controller/core/fc_error.h"

#include <stdio.h>
#include <string.h>

static struct json_object *pct(double fraction)
{
    return fc_status_number(fraction * 100.0, 1);
}

int fc_reconcile_commitments(fc_pass *pass)
{
    fc_commitment_eval ev;
    struct json_object *doc, *win, *od, *sp, *before, *after, *ris, *conds;
    char t0[32], t1[32];
    fc_buf prev;
    size_t i;
    int rc;

    if (!pass->sp_rates)
        return FC_OK;
    if ((rc = fc_engine_commitments(&ev, pass->inv, pass->prices, pass->sp_rates,
                                    pass->now)) != FC_OK)
        return rc;
    fc_buf_init(&prev);
    if (pass->prev &&
        pass->prev(pass->prev_payload, "status/commitments.yaml", &prev) != FC_OK)
        fc_buf_dispose(&prev);
    fc_time_format(t0, sizeof(t0), ev.window_start);
    fc_time_format(t1, sizeof(t1), ev.window_end);
    win = json_object_new_object();
    json_object_object_add(win, "start", json_object_new_string(t0));
    json_object_object_add(win, "end", json_object_new_string(t1));
    json_object_object_add(win, "observedHours", json_object_new_int64((int64_t)ev.hours));
    od = json_object_new_object();
    json_object_object_add(od, "spend", fc_status_number(ev.on_demand, 2));
    json_object_object_add(od, "minHourly", fc_status_number(ev.min_hourly, 4));
    json_object_object_add(od, "meanHourly", fc_status_number(ev.mean_hourly, 4));
    json_object_object_add(od, "maxHourly", fc_status_number(ev.max_hourly, 4));
    json_object_object_add(od, "instances", json_object_new_int64((int64_t)ev.instances));
    json_object_object_add(od, "unpricedInstanceHours",
                           json_object_new_int64((int64_t)ev.unpriced_hours));
    json_object_object_add(
        od, "derivation",
        json_object_new_string("an instance runs in an hour when its CPUUtilization "
                               "series has a datapoint for it; hourly spend = sum of "
                               "the running instances' on-demand hourly prices"));
    before = json_object_new_object();
    json_object_object_add(before, "coveragePercent", pct(ev.coverage_before));
    json_object_object_add(before, "utilisationPercent", pct(ev.utilisation_before));
    json_object_object_add(before, "note",
                           json_object_new_string("no existing commitments are known "
                                                  "to the controller"));
    after = json_object_new_object();
    json_object_object_add(after, "coveragePercent", pct(ev.coverage_after));
    json_object_object_add(after, "utilisationPercent", pct(ev.utilisation_after));
    sp = json_object_new_object();
    json_object_object_add(sp, "offering", json_object_new_string(pass->sp_rates->plan));
    json_object_object_add(sp, "blendedDiscountPercent", pct(ev.discount));
    json_object_object_add(sp, "hourlyCommitment", fc_status_number(ev.commitment, 4));
    json_object_object_add(sp, "coveredOnDemandPerHour",
                           fc_status_number(ev.covered_per_hour, 4));
    json_object_object_add(sp, "netSavingsInWindow", fc_status_number(ev.net_savings, 2));
    json_object_object_add(sp, "monthlySavings", fc_status_number(ev.monthly_savings, 2));
    json_object_object_add(sp, "breakEvenUtilisationPercent",
                           pct(ev.break_even_utilisation));
    json_object_object_add(sp, "levelsScanned",
                           json_object_new_int64((int64_t)ev.levels_scanned));
    json_object_object_add(sp, "before", before);
    json_object_object_add(sp, "after", after);
    ris = json_object_new_array();
    for (i = 0; i < ev.nris; i++) {
        const fc_ri_suggestion *s = &ev.ris[i];
        struct json_object *o = json_object_new_object();
        json_object_object_add(o, "family", json_object_new_string(s->family));
        json_object_object_add(o, "region", json_object_new_string(s->region));
        json_object_object_add(o, "floorUnits", fc_status_number(s->floor_units, 2));
        json_object_object_add(o, "size", json_object_new_string(s->size));
        json_object_object_add(o, "sizeUnits", fc_status_number(s->size_units, 2));
        json_object_object_add(o, "count", json_object_new_int((int)s->count));
        json_object_object_add(o, "instanceHours", fc_status_number(s->instance_hours, 0));
        json_object_array_add(ris, o);
    }
    conds = json_object_new_array();
    doc = json_object_new_object();
    json_object_object_add(doc, "apiVersion", json_object_new_string(FC_API_VERSION));
    json_object_object_add(doc, "kind", json_object_new_string("CommitmentReport"));
    json_object_object_add(doc, "observedCommit", FC_JSTR(pass->commit));
    json_object_object_add(doc, "currency", json_object_new_string(ev.currency));
    json_object_object_add(doc, "window", win);
    json_object_object_add(doc, "onDemand", od);
    json_object_object_add(doc, "savingsPlan", sp);
    json_object_object_add(doc, "reservedInstances", ris);
    json_object_object_add(doc, "purchase",
                           json_object_new_string("never: recommendations only"));
    json_object_object_add(doc, "conditions", conds);
    if (ev.hours == 0)
        rc = fc_status_condition(conds, "Computed", 0, "NoUsage",
                                 "no hourly EC2 usage in the last 30 days", pass->now,
                                 prev.data, prev.len);
    else if (ev.commitment > 0) {
        char msg[256];
        snprintf(msg, sizeof(msg),
                 "commit %.4f %s/h: %.2f %s/month net, coverage %.1f%%, utilisation %.1f%%",
                 ev.commitment, ev.currency, ev.monthly_savings, ev.currency,
                 ev.coverage_after * 100, ev.utilisation_after * 100);
        rc = fc_status_condition(conds, "Computed", 1, "CommitmentPays", msg, pass->now,
                                 prev.data, prev.len);
    } else
        rc = fc_status_condition(conds, "Computed", 1, "NoCommitmentPays",
                                 "no commitment level saves money on this usage", pass->now,
                                 prev.data, prev.len);
    if (rc == FC_OK)
        rc = fc_status_tree_add(pass->status, "status/commitments.yaml", doc);
    json_object_put(doc);
    fc_buf_dispose(&prev);
    fc_commitment_eval_dispose(&ev);
    return rc;
}
