/*
 * fc_cloud.h - the observed state (inventory, metrics, costs) and the
 * provider interface every cloud implements.
 *
 * A provider is a struct embedding fc_cloud as its first member, whose ops
 * table does the work.  Nothing above controller/cloud/ knows which cloud it
 * talks to: callers use the inline wrappers below.
 *
 * Ownership: fc_inventory is caller-allocated (fc_inventory_init /
 * fc_inventory_dispose) and owns every string and array inside it.
 */
#ifndef FC_CLOUD_H
#define FC_CLOUD_H

#include "controller/core/fc_util.h"

#include <stddef.h>
#include <stdint.h>

typedef enum {
    FC_RES_EC2_INSTANCE,
    FC_RES_EBS_VOLUME,
    FC_RES_EBS_SNAPSHOT,
    FC_RES_ELASTIC_IP,
    FC_RES_LOAD_BALANCER,
    FC_RES_RDS_INSTANCE,
    FC_RES_LAMBDA_FUNCTION,
    FC_RES_S3_BUCKET,
    FC_RES__COUNT
} fc_resource_type;

/* "ec2-instance", "ebs-volume", ...; NULL-safe inverse returns -1. */
const char *fc_resource_type_name(fc_resource_type t);
int fc_resource_type_parse(const char *name);

typedef struct {
    char *key;
    char *value;
} fc_tag;

typedef struct {
    fc_resource_type type;
    char *id;          /* i-..., vol-..., snap-..., eipalloc-..., name */
    char *account;     /* 12-digit account id */
    char *region;      /* eu-west-1 */
    char *name;        /* Name tag or resource name; may be NULL */
    char *state;       /* running, stopped, available, in-use, ... */
    char *size_class;  /* instance type, volume type, db class; may be NULL */
    double size;       /* GiB for volumes/snapshots, MB memory for lambda */
    char *attached_to; /* instance of a volume/EIP, volume of a snapshot */
    int64_t created;   /* unix time */
    fc_tag *tags;
    size_t ntags;
    /* Provider facts that are neither tags nor metrics, e.g. usedByAmi
     * (snapshot), healthyTargets (load balancer), lifecycleRules and
     * storageClass (bucket), engine (RDS), architecture (lambda). */
    fc_tag *attrs;
    size_t nattrs;
    /* Set when every string and array above lives in this one block
     * (inventory copies: one allocation per resource instead of a dozen);
     * such a resource is read-only and fc_resource_dispose frees the block. */
    void *slab;
} fc_resource;

/* Borrowed value of a tag, or NULL. */
const char *fc_resource_tag(const fc_resource *r, const char *key);
/* Borrowed value of an attribute (fc_resource.attrs), or NULL. */
const char *fc_resource_attr(const fc_resource *r, const char *key);

/* Writes points [from, from + n) of a generated series into out; gen is
 * the series' generator state (fc_metric_series.gen).  Pure. */
typedef void (*fc_metric_fill_fn)(const void *gen, int64_t start, int32_t step,
                                  size_t from, size_t n, double *out);

/* One hourly (or daily) series of one metric of one resource.  Either the
 * points are stored (values) or, for a generated series (the sim), values
 * is NULL and fill computes them from gen on demand: a 100k-resource
 * estate's month of hourly points would not fit in memory.  Read points
 * with fc_metric_series_read(), which handles both. */
typedef struct {
    char *resource_id; /* one allocation holding both strings */
    char *metric;      /* CPUUtilization, NetworkIn, NetworkOut,
                          DatabaseConnections, Invocations, RequestCount */
    int64_t start;     /* unix time of point 0 */
    int32_t step;      /* seconds between points, 3600 for hourly */
    size_t n;
    double *values;    /* n stored points, or NULL when generated */
    fc_metric_fill_fn fill; /* generated series only */
    void *gen;         /* owned (free()); gen_size bytes, hashed by memos */
    size_t gen_size;
} fc_metric_series;

/* Copies points [from, from + n) of s into out (from + n <= s->n).  Never
 * fails: generated points need no memory. */
void fc_metric_series_read(const fc_metric_series *s, size_t from, size_t n,
                           double *out);
/* Hash of s's points folded into h: the stored values, or the generator
 * state (equal state, equal points), so memos need not generate. */
uint64_t fc_metric_series_hash(const fc_metric_series *s, uint64_t h);

/* Daily unblended cost of one service in one account.  The optional
 * dimensions are NULL when the source does not give them (Cost Explorer by
 * service, the sim); billing exports (controller/ingest) fill them. */
typedef struct {
    char *account;
    char *service;     /* "Amazon Elastic Compute Cloud - Compute", ... */
    int64_t day;       /* unix time of 00:00 UTC */
    double amount;
    char *region;      /* eu-west-1; "" = global charge; NULL = unknown */
    char *usage_type;  /* EU-DataTransfer-Out-Bytes; NULL = unknown */
    char *resource_id; /* i-..., arn:...; NULL = unknown */
} fc_cost_row;

/* One (account, region) the provider could not read after its retries: its
 * part of the inventory is missing or stale, and nothing may be executed
 * there this pass.  region "" = the whole account (e.g. AssumeRole failed). */
typedef struct {
    char *account;
    char *region;
    char *service;     /* "ec2", "rds", ...; "" = every service */
    char *error;       /* one line, no secrets */
} fc_stale_scope;

typedef struct {
    fc_resource *resources;
    size_t nresources;
    fc_metric_series *metrics;
    size_t nmetrics;
    fc_cost_row *costs;
    size_t ncosts;
    /* Finer rows (usage type, resource) of some of the costs above, for
     * root-cause analysis only: never add them to the totals. */
    fc_cost_row *cost_details;
    size_t ncost_details;
    /* Allocated rows of the two arrays above (appends double them); only
     * the fc_inventory_add_cost* functions touch them. */
    size_t costs_cap, cost_details_cap;
    fc_stale_scope *stale;
    size_t nstale;
    char *currency;    /* "USD" */
    int64_t observed_at;
    /* Resources sorted by (id, position), built by fc_inventory_index();
     * used by fc_inventory_find() while by_id_for == nresources (appends
     * after the index fall back to the scan). */
    size_t *by_id;
    size_t nby_id, by_id_for;
    /* Series sorted by (resource id, metric, position), same rules: used by
     * fc_inventory_metric() while metric_index_for == nmetrics. */
    size_t *metric_by_key;
    fc_str_key *metric_keys; /* the resource id's key of each metric_by_key entry */
    size_t nmetric_by_key, metric_index_for;
} fc_inventory;

/* Records a failed scope; FC_OK or FC_ENOMEM. */
int fc_inventory_add_stale(fc_inventory *inv, const char *account,
                           const char *region, const char *service,
                           const char *error);
/* 1 when (account, region) has a stale entry (any service). */
int fc_inventory_is_stale(const fc_inventory *inv, const char *account,
                          const char *region);

void fc_inventory_init(fc_inventory *inv);
void fc_inventory_dispose(fc_inventory *inv);
/* Borrowed pointers; NULL when absent.  A NULL account or region matches
 * any (resource ids are unique within a cloud). */
const fc_resource *fc_inventory_find(const fc_inventory *inv,
                                     const char *account, const char *region,
                                     const char *id);
const fc_metric_series *fc_inventory_metric(const fc_inventory *inv,
                                            const char *resource_id,
                                            const char *metric);
/* Indexes the resources by id and the series by (resource id, metric) so
 * that fc_inventory_find() and fc_inventory_metric() are binary searches
 * (the pass calls it once discovery is complete); FC_OK or FC_ENOMEM, and
 * the inventory stays usable either way. */
int fc_inventory_index(fc_inventory *inv);

/*
 * Building inventories (providers, tests).  Each returns FC_OK or
 * FC_ENOMEM and leaves inv disposable either way.
 */
/* Deep copy of src appended to inv->resources, packed into one block
 * (fc_resource.slab): inventory resources are never modified in place. */
int fc_inventory_add_resource(fc_inventory *inv, const fc_resource *src);
/* Appends a series; takes values (malloc'd, n doubles) even on failure. */
int fc_inventory_add_metric_take(fc_inventory *inv, const char *resource_id,
                                 const char *metric, int64_t start,
                                 int32_t step, double *values, size_t n);
/* Appends a generated series of n points (see fc_metric_series); takes gen
 * (malloc'd, gen_size bytes) even on failure. */
int fc_inventory_add_metric_gen(fc_inventory *inv, const char *resource_id,
                                const char *metric, int64_t start,
                                int32_t step, size_t n, fc_metric_fill_fn fill,
                                void *gen, size_t gen_size);
int fc_inventory_add_cost(fc_inventory *inv, const char *account,
                          const char *service, int64_t day, double amount);
/* Deep copy of row (with its optional dimensions) into inv->costs. */
int fc_inventory_add_cost_ex(fc_inventory *inv, const fc_cost_row *row);
/* Deep copy of row into inv->cost_details. */
int fc_inventory_add_cost_detail(fc_inventory *inv, const fc_cost_row *row);
/* Frees what a cost row owns (not the row). */
void fc_cost_row_dispose(fc_cost_row *c);

/* Deep copy: dst is overwritten; on failure dst is left empty. */
int fc_resource_copy(fc_resource *dst, const fc_resource *src);
/* Turns a packed resource (slab set) into one whose fields can be freed and
 * replaced one by one, before a provider amends it; FC_OK or FC_ENOMEM. */
int fc_resource_unpack(fc_resource *r);
/* Frees what r owns (not r itself). */
void fc_resource_dispose(fc_resource *r);

/* What to discover: accounts x regions, the clock, and the lookbacks. */
typedef struct {
    const char *account;   /* 12-digit id */
    const char *role_arn;  /* may be NULL */
    const char *const *regions;
    size_t nregions;
} fc_scope_account;

typedef struct {
    const fc_scope_account *accounts;
    size_t naccounts;      /* 0 = every account the provider knows */
    int64_t now;           /* the pass clock */
    int metric_days;       /* hourly metrics for [now - days, now) */
    int cost_days;         /* daily costs for [now - days, now) */
    /* Optional progress hook: a provider may call it as (account, region)
     * scopes complete, with how many of this call's scopes are done. */
    void (*progress)(void *payload, size_t scopes_done);
    void *progress_payload;
} fc_discovery_scope;

/* The discovery driver's progress (progress.c): scopes done of the pass's
 * total, across providers, with the inventory's resource count, shown
 * through fc_log_progress() as "discovery 42 % (3/8 regions, 12,345
 * resources)". */
typedef struct {
    size_t total;             /* (account, region) scopes of the pass */
    size_t base;              /* scopes of providers already finished */
    const fc_inventory *inv;
} fc_discovery_progress;

void fc_discovery_progress_init(fc_discovery_progress *p, size_t total,
                                const fc_inventory *inv);
/* fc_discovery_scope.progress, with payload = the fc_discovery_progress. */
void fc_discovery_progress_report(void *payload, size_t scopes_done);
/* One provider finished its nscopes (ok or not). */
void fc_discovery_progress_provider_done(fc_discovery_progress *p, size_t nscopes);

typedef struct fc_cloud fc_cloud;

/*
 * One change to one resource, as the executor asks a provider for it.
 * Kinds (and their parameters):
 *   stop-instances, start-instances                 (-)
 *   modify-instance-type                            instanceType
 *   modify-volume-type                              volumeType
 *   create-snapshot                                 description
 *   delete-volume, release-address, delete-snapshot (-)
 *   create-volume-from-snapshot                     snapshotId, volumeType,
 *                                                   availabilityZone
 *   create-tags                                     every key=value given
 * client_token makes a retried request idempotent where the API allows it.
 */
typedef struct {
    const char *kind;
    const char *account;
    const char *region;
    const char *resource;
    const fc_tag *params;
    size_t nparams;
    const char *role_arn;     /* account role; may be NULL */
    const char *client_token; /* may be NULL */
} fc_action;

typedef struct {
    char *new_id;      /* id created by the action (snapshot, volume), or NULL */
    char *state;       /* resource state the API reported after the call */
} fc_action_result;

void fc_action_result_dispose(fc_action_result *r);

#define FC_CLOUD_OPS_VERSION 2

typedef struct {
    int version;           /* FC_CLOUD_OPS_VERSION */
    const char *name;      /* "sim", "aws" */
    /* Fills inv (already initialised) for the scope.  A failed account or
     * region is recorded with fc_inventory_add_stale() and the call still
     * returns FC_OK; a negative code means nothing usable was discovered. */
    int (*discover)(fc_cloud *cloud, const fc_discovery_scope *scope,
                    fc_inventory *inv);
    /* Reads one resource's current state right before acting on it.
     * FC_ENOTFOUND when it is gone.  May be NULL (v1 providers). */
    int (*describe)(fc_cloud *cloud, fc_resource_type type, const char *account,
                    const char *region, const char *role_arn, const char *id,
                    fc_resource *out);
    /* Performs one action.  May be NULL: the provider cannot change things. */
    int (*apply)(fc_cloud *cloud, const fc_action *action, fc_action_result *out);
    void (*free)(fc_cloud *cloud);
} fc_cloud_ops;

struct fc_cloud {
    const fc_cloud_ops *ops;
};

static inline int fc_cloud_discover(fc_cloud *c, const fc_discovery_scope *s,
                                    fc_inventory *inv)
{
    return c->ops->discover(c, s, inv);
}

int fc_cloud_describe(fc_cloud *c, fc_resource_type type, const char *account,
                      const char *region, const char *role_arn, const char *id,
                      fc_resource *out);
int fc_cloud_apply(fc_cloud *c, const fc_action *a, fc_action_result *out);

static inline void fc_cloud_free(fc_cloud *c)
{
    if (c)
        c->ops->free(c);
}

/* The embedded simulated cloud, loaded from an estate file: YAML, or JSON
 * Lines when the path ends in .jsonl (see sim.c). */
int fc_sim_open(fc_cloud **out, const char *estate_path);
/* Same, with apply() persisting its changes in <state_dir>/sim-state.json,
 * which is laid over the estate at open (state_dir NULL = in memory only). */
int fc_sim_open_with_state(fc_cloud **out, const char *estate_path,
                           const char *state_dir);
/* The hash behind each generated point: splitmix64's finaliser over
 * fc_hash64(index as 8 little-endian bytes, key).  Exposed for tests. */
uint64_t fc_sim_hash_at(uint64_t key, int64_t index);

/* The AWS provider (controller/cloud/aws.c): libcurl + SigV4, the standard
 * credential chain, sts:AssumeRole per Account role.  Zero fields take the
 * defaults in brackets. */
typedef struct {
    const char *endpoint_url;             /* every service; NULL = AWS */
    const char *const *service_endpoints; /* "ec2=http://...": per service
                                             (ec2, elbv2, rds, lambda, s3,
                                             cloudwatch, sts, ce) */
    size_t nservice_endpoints;
    unsigned max_connections;             /* total and per host [16] */
    unsigned max_attempts;                /* per request [5] */
    unsigned retry_budget;                /* retries per pass [500] */
    long timeout_ms;                      /* per request [30000] */
    long base_delay_ms;                   /* first backoff ceiling [100] */
    long max_delay_ms;                    /* backoff cap [20000] */
    uint64_t seed;                        /* jitter PRNG seed */
} fc_aws_opts;

int fc_aws_open(fc_cloud **out, const fc_aws_opts *opts);

/* HTTP requests the aws client sent since the process started (each
 * attempt counts), by service and result, and its retries by service;
 * thread-safe (aws_http.c).  /metrics reads them. */
#define FC_AWS_API_NSERVICES 9
#define FC_AWS_API_NRESULTS 5
extern const char *const fc_aws_api_services[FC_AWS_API_NSERVICES];
extern const char *const fc_aws_api_results[FC_AWS_API_NRESULTS];
void fc_aws_api_stats(unsigned long calls[FC_AWS_API_NSERVICES][FC_AWS_API_NRESULTS],
                      unsigned long retries[FC_AWS_API_NSERVICES]);

/* `finops-controller check` (aws_check.c): one probe's outcome. */
typedef struct {
    const char *account;
    const char *region;  /* "-" for account-wide probes, "global" for s3/ce */
    const char *service; /* "credentials", "sts:AssumeRole", "sts", "ec2", ... */
    int ok;
    const char *detail;  /* "ok" or a one-line reason, no secrets */
} fc_cloud_check;
typedef void (*fc_cloud_check_fn)(const fc_cloud_check *c, void *payload);

/* Tests the credential chain, each account's role and identity, and one
 * read-only call per service and region; fn gets every outcome.  Returns a
 * negative code only when nothing could be tried (out of memory). */
int fc_aws_check(const fc_aws_opts *o, const fc_scope_account *accts, size_t n,
                 int64_t now, fc_cloud_check_fn fn, void *payload);

#endif
