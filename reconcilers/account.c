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
    /* The spec's provider wins, else --provider, else sim. */
    const char *provider = a->provider ? a->provider : pass->provider ? pass->provider : "sim";
    const fc_stale_scope *first_stale = NULL;
    size_t nstale = 0;
    int ready;

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
    for (i = 0; pass->inv && i < pass->inv->nstale; i++)
        if (strcmp(pass->inv->stale[i].account, a->account_id) == 0 && nstale++ == 0)
            first_stale = &pass->inv->stale[i];
    for (i = 0; i < FC_RES__COUNT; i++)
        if (counts[i])
            json_object_object_add(by_type, fc_resource_type_name((fc_resource_type)i),
                                   json_object_new_int64((int64_t)counts[i]));
    json_object_object_add(d.status, "accountId", json_object_new_string(a->account_id));
    json_object_object_add(d.status, "provider", json_object_new_string(provider));
    json_object_object_add(d.status, "regions", fc_json_strings(a->regions, a->nregions));
    json_object_object_add(d.status, "resources", json_object_new_int64((int64_t)total));
    json_object_object_add(d.status, "resourcesByType", by_type);

    rc = fc_sdoc_cond(&d, pass, "Valid", 1, "SpecValid", "spec is valid");
    if (rc == FC_OK) {
        if (pass->discovery_error)
            rc = fc_sdoc_cond(&d, pass, "Discovered", 0, "DiscoveryFailed", "%s",
                              pass->discovery_error);
        else if (first_stale)
            rc = fc_sdoc_cond(&d, pass, "Discovered", 0, "PartialDiscovery",
                              "%zu stale scope%s, first %s%s%s: %s", nstale,
                              nstale == 1 ? "" : "s",
                              first_stale->region[0] ? first_stale->region : "all regions",
                              first_stale->service[0] ? " " : "", first_stale->service,
                              first_stale->error);
        else
            rc = fc_sdoc_cond(&d, pass, "Discovered", 1, "Discovered",
                              "%zu resources in %u regions", total, a->nregions);
    }
    ready = !pass->discovery_error && !first_stale;
    if (rc == FC_OK)
        rc = fc_sdoc_cond(&d, pass, "Ready", ready,
                          ready ? "Reconciled" : first_stale && !pass->discovery_error
                                                     ? "PartiallyDiscovered"
                                                     : "NotDiscovered",
                          ready ? "account reconciled"
                                : first_stale && !pass->discovery_error
                                    ? "account partly discovered; stale scopes are not acted on"
                                    : "account not discovered");
    if (rc != FC_OK) {
        fc_sdoc_dispose(&d);
        return rc;
    }
    return fc_sdoc_finish(&d, pass);
}
