/*
 * pass.c - the sharded end of a pass: the last lease check before the
 * status commit, the "reconciled account" record, and the status tree cut
 * down to the held shards' files (docs/scaling.md).
 *
 * Inputs: the manager, the shards the pass started with, the pass's clone
 * (<state_dir>/repo) at head, the filtered spec view and the pass's status
 * tree.  Output: the tree replaced in place by the merged one.  Owns the
 * temporary trees it builds.
 */
#include "controller/core/fc_error.h"
#include "controller/core/fc_log.h"
#include "controller/shard/fc_shard.h"

#include <stdlib.h>
#include <time.h>

int fc_shard_pass_status(fc_shard_mgr *m, const unsigned char held[FC_SHARD_MAX],
                         const char *state_dir, const char *head_hex,
                         const fc_spec_set *view, fc_status_tree *st)
{
    fc_status_tree head, merged;
    struct timespec now;
    char *repo = NULL;
    unsigned n = fc_shard_count(m);
    size_t i;
    int rc;

    fc_status_tree_init(&head);
    fc_status_tree_init(&merged);
    /* A replica paused past its window must not write what another now owns. */
    if ((rc = fc_shard_check(m, held, "the status commit")) != FC_OK)
        goto done;
    clock_gettime(CLOCK_REALTIME, &now);
    for (i = 0; i < view->nobjects; i++) {
        const fc_object *ob = &view->objects[i];
        if (ob->kind != FC_KIND_ACCOUNT)
            continue;
        fc_log_obj(FC_LOG_INFO, "shard",
                   "reconciled account %s shard %u replica %s at %lld", ob->metadata.name,
                   fc_shard_of(ob->spec.account->account_id, n), fc_shard_replica(m),
                   (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000);
    }
    if (!state_dir) {
        rc = fc_error_set(FC_EINVALID, "sharding needs a state directory");
        goto done;
    }
    if (!(repo = fc_asprintf("%s/repo", state_dir))) {
        rc = fc_error_set(FC_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = fc_shard_read_status_files(&head, repo, head_hex)) != FC_OK ||
        (rc = fc_shard_merge_status(&merged, st, &head, held, n)) != FC_OK)
        goto done;
    { /* the merged tree takes the pass's place */
        fc_status_tree t = *st;
        *st = merged;
        merged = t;
    }
done:
    free(repo);
    fc_status_tree_dispose(&merged);
    fc_status_tree_dispose(&head);
    return rc;
}
