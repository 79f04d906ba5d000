/*
 * account.c - reconciler for kind Account: did discovery reach the account,
 * and what does it hold.
 */
#include "reconcilers/reconcilers_int.h"

#include <string.h>

int fc_reconcile_account(fc_pass *pass, const fc_object *obj)
{
    const fc_account_spec *a = obj->spec.account;
    struct json_object *by_type = json_object_new_object();
    size_t counts[FC_RES__COUNT] = {0}, total = 0, i;
    fc_sdoc d;
    int rc;
    int is_sim = !a->provider || strcmp(a->provider, "sim") == 0;

    if ((rc = fc_sdoc_begin(&d, pass, "Account", "accounts", obj->metadata.name))) {
        json_object_put(by_type);
        return rc;
    }
    for (i = 0; pass->inv && i < pass->inv->nresources; i++) {
        const fc_resource *r = &pass->inv->resources[i];
        if (strcmp(r->account, a->account_id) == 0) {
            counts[r->type]++;
            total++;
        }
    }
    for (i = 0; i < FC_RES__COUNT; i++)
        if (counts[i])
            json_object_object_add(by_type, fc_resource_type_name((fc_resource_type)i),
                                   json_object_new_int64((int64_t)counts[i]));
    json_object_object_add(d.status, "accountId", json_object_new_string(a->account_id));
    json_object_object_add(d.status, "provider", json_object_new_string(is_sim ? "sim" : a->provider));
    json_object_object_add(d.status, "regions", fc_json_strings(a->regions, a->nregions));
    json_object_object_add(d.status, "resources", json_object_new_int64((int64_t)total));
    json_object_object_add(d.status, "resourcesByType", by_type);

    rc = fc_sdoc_cond(&d, pass, "Valid", 1, "SpecValid", "spec is valid");
    if (rc == FC_OK) {
        if (!is_sim)
            rc = fc_sdoc_cond(&d, pass, "Discovered", 0, "ProviderUnavailable",
                              "provider %s is not available in this build; "
                              "only sim accounts are discovered", a->provider);
        else if (pass->discovery_error)
            rc = fc_sdoc_cond(&d, pass, "Discovered", 0, "DiscoveryFailed", "%s",
                              pass->discovery_error);
        else
            rc = fc_sdoc_cond(&d, pass, "Discovered", 1, "Discovered",
                              "%zu resources in %u regions", total, a->nregions);
    }
    if (rc == FC_OK)
        rc = fc_sdoc_cond(&d, pass, "Ready", is_sim && !pass->discovery_error,
                          is_sim && !pass->discovery_error ? "Reconciled" : "NotDiscovered",
                          is_sim && !pass->discovery_error ? "account reconciled"
                                                           : "account not discovered");
    if (rc != FC_OK) {
        fc_sdoc_dispose(&d);
        return rc;
    }
    return fc_sdoc_finish(&d, pass);
}
