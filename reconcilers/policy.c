/*
 * policy.c - reconciler for kind Policy: the effective thresholds it applies
 * and the recommendations it produced this pass.
 */
#include "reconcilers/reconcilers_int.h"

#include <string.h>

int fc_reconcile_policy(fc_pass *pass, const fc_object *obj)
{
    const fc_policy_spec *p = obj->spec.policy;
    struct json_object *eff = json_object_new_object();
    struct json_object *ec2 = json_object_new_object();
    struct json_object *rds = json_object_new_object();
    struct json_object *ebs = json_object_new_object();
    struct json_object *appr = json_object_new_object();
    struct json_object *pre = NULL;
    size_t n = 0, i;
    double saving = 0;
    const char *currency = "USD";
    fc_sdoc d;
    int rc;

    for (i = 0; pass->recs && i < pass->recs->n; i++) {
        const fc_recommendation *r = &pass->recs->items[i];
        if (r->policy && strcmp(r->policy, obj->metadata.name) == 0) {
            n++;
            saving += r->monthly_saving;
            currency = r->currency;
        }
    }
    json_object_object_add(ec2, "idleCpuPercent", fc_status_number(p->ec2.cpu_percent, 1));
    json_object_object_add(ec2, "idleDays", json_object_new_int((int)p->ec2.idle_days));
    json_object_object_add(rds, "cpuPercent", fc_status_number(p->rds.cpu_percent, 1));
    json_object_object_add(rds, "connectionsPercent",
                           fc_status_number(p->rds.connections_percent, 1));
    json_object_object_add(rds, "idleDays", json_object_new_int((int)p->rds.idle_days));
    json_object_object_add(ebs, "unattachedDays", json_object_new_int((int)p->ebs.unattached_days));
    json_object_object_add(appr, "low", json_object_new_int((int)p->approvals.low));
    json_object_object_add(appr, "medium", json_object_new_int((int)p->approvals.medium));
    json_object_object_add(appr, "high", json_object_new_int((int)p->approvals.high));
    json_object_object_add(eff, "ec2", ec2);
    json_object_object_add(eff, "rds", rds);
    json_object_object_add(eff, "ebs", ebs);
    json_object_object_add(eff, "approvals", appr);

    if ((rc = fc_sdoc_begin(&d, pass, "Policy", "policies", obj->metadata.name))) {
        json_object_put(eff);
        return rc;
    }
    json_object_object_add(d.status, "effective", eff);
    json_object_object_add(d.status, "recommendations", json_object_new_int64((int64_t)n));
    json_object_object_add(d.status, "monthlySaving", fc_status_number(saving, 2));
    json_object_object_add(d.status, "currency", json_object_new_string(currency));
    /* spec.preApproved: plan items and what each entry did (preapproved.c). */
    if ((rc = fc_preapproved_reconcile(pass, obj, &pre)) != FC_OK) {
        fc_sdoc_dispose(&d);
        return rc;
    }
    if (pre)
        json_object_object_add(d.status, "preApproved", pre);
    rc = fc_sdoc_cond(&d, pass, "Valid", 1, "SpecValid", "spec is valid");
    if (rc == FC_OK)
        rc = fc_sdoc_cond(&d, pass, "Ready", 1, "Evaluated",
                          "%zu recommendations, %.2f %s/month", n, saving, currency);
    if (rc != FC_OK) {
        fc_sdoc_dispose(&d);
        return rc;
    }
    return fc_sdoc_finish(&d, pass);
}
