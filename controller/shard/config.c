/*
 * config.c - the sharding settings (controller/config rows shards, replicas,
 * replicaId, leaseDuration, kube.*) into a started lease manager.
 *
 * Inputs: the resolved config; POD_NAME or the hostname as the default
 * replica id.  Output: a manager (fc_shard_stop() it) or NULL when shards
 * is 1.  Reads the config only while starting.
 */
#include "controller/config/fc_config.h"
#include "controller/core/fc_error.h"
#include "controller/shard/fc_shard.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int fc_shard_start_config(fc_shard_mgr **out, const fc_config *cfg, int live)
{
    fc_shard_opts so;
    char host[256];
    long shards = fc_config_long(cfg, "shards");
    long replicas = fc_config_long(cfg, "replicas");
    const char *id = fc_config_get(cfg, "replicaId");

    *out = NULL;
    if (shards <= 1)
        return FC_OK;
    if (shards > FC_SHARD_MAX)
        return fc_error_set(FC_EINVALID, "--shards: at most %d", FC_SHARD_MAX);
    /* Executions and Optimizations' status are cluster-wide (shard 0) while
     * actions target every shard's accounts: not split yet (docs/scaling.md). */
    if (live)
        return fc_error_set(FC_EINVALID,
                            "--live needs --shards 1 (docs/scaling.md, limits)");
    if (!id || !*id)
        id = getenv("POD_NAME");
    if (!id || !*id) {
        if (gethostname(host, sizeof(host)) != 0)
            return fc_error_set(FC_EINVALID, "--replica-id: no POD_NAME and no hostname");
        host[sizeof(host) - 1] = '\0';
        id = host;
    }
    memset(&so, 0, sizeof(so));
    so.api_url = fc_config_get(cfg, "kube.api");
    so.token_file = fc_config_get(cfg, "kube.tokenFile");
    so.ca_file = fc_config_get(cfg, "kube.caFile");
    so.ns = fc_config_get(cfg, "kube.namespace");
    so.replica_id = id;
    so.nshards = (unsigned)shards;
    so.nreplicas = replicas > 0 ? (unsigned)replicas : 1;
    so.lease_seconds = fc_config_long(cfg, "leaseDuration");
    return fc_shard_start(out, &so);
}
