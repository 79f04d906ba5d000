/*
 * fc_shard.h - scale-out across replicas (docs/scaling.md).
 *
 * Accounts are spread over S shards by a stable hash of the account id
 * (assign.c, pure).  Each shard is a coordination.k8s.io/v1 Lease named
 * finops-controller-shard-<i>; a replica reconciles the Accounts of the
 * shards whose Lease it holds and writes only the status files those shards
 * own, plus the cluster-wide files when it holds shard 0 (the global shard).
 * lease.c is the Kubernetes client and the manager thread that acquires,
 * renews every duration/3 and releases the Leases.
 *
 * Ownership: fc_shard_start() returns a manager you stop with
 * fc_shard_stop() (which releases the Leases it holds).  Everything else
 * borrows.
 */
#ifndef FC_SHARD_H
#define FC_SHARD_H

#include "controller/core/fc_util.h"
#include "controller/status/fc_status.h"
#include "specs/fc_specs.h"

#include <stddef.h>
#include <stdint.h>

#define FC_SHARD_MAX 1024
#define FC_SHARD_LEASE_PREFIX "finops-controller-shard-"

/* ---- assignment (assign.c, pure) ---------------------------------------- */

/* The shard of an account: jump consistent hash of FNV-1a(account id), so
 * growing S from n to n+1 moves only ~1/(n+1) of the accounts. */
unsigned fc_shard_of(const char *account_id, unsigned nshards);

/* The shard that owns a status/ or proposals/ file: for per-account files
 * (status/accounts/, status/recommendations/, status/anomalies/,
 * status/optimizations/, status/executions/, proposals/) the shard of the
 * account id the document names first (`accountId:` or `account:`); every
 * other file is cluster-wide: shard 0. */
unsigned fc_shard_path_owner(const char *path, const char *data, size_t len,
                             unsigned nshards);

/* Drops from an active view (fc_specs_active_view) the Account objects whose
 * shard is not held (held[shard] != 0), and the Budgets unless shard 0 is. */
void fc_shard_filter_view(fc_spec_set *view, const unsigned char *held, unsigned nshards);

/* The status tree a sharded replica commits: the files of st that held
 * shards own, plus every file of head_files (the status/ and proposals/
 * files at the head) owned by a shard not held.  out must be initialised. */
int fc_shard_merge_status(fc_status_tree *out, const fc_status_tree *st,
                          const fc_status_tree *head_files, const unsigned char *held,
                          unsigned nshards);

/* The status/ and proposals/ files of commit head_hex in the repository at
 * repo_path (the pass's clone, <state_dir>/repo), into out (initialised). */
int fc_shard_read_status_files(fc_status_tree *out, const char *repo_path,
                               const char *head_hex);

/* ---- leases (lease.c) ---------------------------------------------------- */

/* Kubernetes MicroTime "2026-11-23T14:00:00.123456Z" <-> microseconds. */
void fc_shard_microtime_format(char *buf, size_t size, int64_t us);
int fc_shard_microtime_parse(const char *s, int64_t *us);

typedef enum {
    FC_LEASE_WAIT,  /* someone else holds it, or we are at our share */
    FC_LEASE_RENEW, /* ours: renew */
    FC_LEASE_TAKE   /* free or expired: acquire */
} fc_lease_action;

/* What a replica does with one Lease (pure).  exists = 0: no Lease object.
 * A free Lease (no holder) is taken only while under_target (the replica
 * holds fewer than its share ceil(S/R)); an expired one (renewTime +
 * duration < now, by the local clock) whatever it holds, so the shards of a
 * dead replica are always taken over. */
fc_lease_action fc_shard_decide(int exists, const char *holder, int64_t renew_us,
                                long duration_s, const char *me, int64_t now_us,
                                int under_target);

typedef struct {
    const char *api_url;    /* NULL = https://$KUBERNETES_SERVICE_HOST:$PORT */
    const char *token_file; /* NULL = the service account's */
    const char *ca_file;    /* NULL = the service account's ca.crt */
    const char *ns;         /* NULL = the service account's namespace, else default */
    const char *replica_id; /* holderIdentity; required */
    unsigned nshards;       /* 2..FC_SHARD_MAX */
    unsigned nreplicas;     /* expected replicas (the chart's); 0 = 1 */
    long lease_seconds;     /* leaseDurationSeconds; >= 3 */
} fc_shard_opts;

typedef struct fc_shard_mgr fc_shard_mgr;

/* Runs one acquisition round synchronously, then starts the thread that
 * renews.  Fails only on unusable options (no token, bad URL). */
int fc_shard_start(fc_shard_mgr **out, const fc_shard_opts *opts);
/* Stops the thread and releases every held Lease (clears holderIdentity). */
void fc_shard_stop(fc_shard_mgr *m);

unsigned fc_shard_count(const fc_shard_mgr *m);
const char *fc_shard_replica(const fc_shard_mgr *m);
/* held[i] = 1 for the shards whose Lease this replica holds and whose
 * renewal is still within its safe window now; returns how many. */
unsigned fc_shard_snapshot(fc_shard_mgr *m, unsigned char held[FC_SHARD_MAX]);
/* FC_OK when every shard of held[] is still safely held; else FC_EDENIED
 * naming the lost shard (the pass must not act or commit for it). */
int fc_shard_check(fc_shard_mgr *m, const unsigned char held[FC_SHARD_MAX],
                   const char *stage);

/* The sharded end of a pass (pass.c): checks the Leases of held[] once more,
 * logs "reconciled account NAME shard I replica ID at MS" for the view's
 * Accounts, and replaces *st by fc_shard_merge_status() of it with the head's
 * status files (read from <state_dir>/repo).  FC_EDENIED when a Lease was
 * lost: nothing may be committed. */
int fc_shard_pass_status(fc_shard_mgr *m, const unsigned char held[FC_SHARD_MAX],
                         const char *state_dir, const char *head_hex,
                         const fc_spec_set *view, fc_status_tree *st);

/* ---- settings (config.c) ------------------------------------------------- */

/* From the shards/replicas/replicaId/leaseDuration/kube.* settings: *out =
 * NULL when shards is 1, else a started manager.  FC_EINVALID for unusable
 * settings (--live with shards > 1, no cluster and no --kube-api). */
struct fc_config;
int fc_shard_start_config(fc_shard_mgr **out, const struct fc_config *cfg, int live);

#endif
