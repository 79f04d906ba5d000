/*
 * schedule.c - reconciler for kind Schedule: echoes the effective schedule
 * (defaults filled) so users see what the controller will run.
 */
#include "reconcilers/reconcilers_int.h"

int fc_reconcile_schedule(fc_pass *pass, const fc_object *obj)
{
    const fc_schedule_spec *s = obj->spec.schedule;
    struct json_object *eff = json_object_new_object();
    fc_sdoc d;
    int rc;

    json_object_object_add(eff, "interval", json_object_new_string(s->interval ? s->interval : "5m"));
    json_object_object_add(eff, "discoveryInterval",
                           json_object_new_string(s->discovery_interval ? s->discovery_interval : "1h"));
    json_object_object_add(eff, "optimizationTime", FC_JSTR(s->optimization_time));
    json_object_object_add(eff, "reportWeekday", FC_JSTR(s->report_day));
    json_object_object_add(eff, "reportTime", FC_JSTR(s->report_time));
    json_object_object_add(eff, "timezone", json_object_new_string(s->timezone ? s->timezone : "UTC"));
    if (s->ncron) {
        struct json_object *cron = json_object_new_array();
        unsigned i;
        for (i = 0; i < s->ncron; i++) {
            struct json_object *e = json_object_new_object();
            json_object_object_add(e, "name", FC_JSTR(s->cron[i].name));
            json_object_object_add(e, "schedule", FC_JSTR(s->cron[i].schedule));
            json_object_object_add(e, "task",
                                   json_object_new_string(s->cron[i].task ? s->cron[i].task : "sync"));
            json_object_array_add(cron, e);
        }
        json_object_object_add(eff, "cron", cron);
    }
    if ((rc = fc_sdoc_begin(&d, pass, "Schedule", "schedules", obj->metadata.name))) {
        json_object_put(eff);
        return rc;
    }
    json_object_object_add(d.status, "effective", eff);
    rc = fc_sdoc_cond(&d, pass, "Valid", 1, "SpecValid", "spec is valid");
    if (rc == FC_OK)
        rc = fc_sdoc_cond(&d, pass, "Ready", 1, "Accepted", "schedule accepted");
    if (rc != FC_OK) {
        fc_sdoc_dispose(&d);
        return rc;
    }
    return fc_sdoc_finish(&d, pass);
}
