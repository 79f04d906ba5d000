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
} fc_resource;

/* Borrowed value of a tag, or NULL. */
const char *fc_resource_tag(const fc_resource *r, const char *key);
/* Borrowed value of an attribute (fc_resource.attrs), or NULL. */
const char *fc_resource_attr(const fc_resource *r, const char *key);

/* One hourly (or daily) series of one metric of one resource. */
typedef struct {
    char *resource_id;
    char *metric;      /* CPUUtilization, NetworkIn, NetworkOut,
                          DatabaseConnections, Invocations, RequestCount */
    int64_t start;     /* unix time of values[0] */
    int32_t step;      /* seconds between points, 3600 for hourly */
    size_t n;
    double *values;
} fc_metric_series;

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
/* Indexes the resources by id so that fc_inventory_find() is a binary
 * search (the pass calls it once discovery is complete); FC_OK or
 * FC_ENOMEM, and the inventory stays usable either way. */
int fc_inventory_index(fc_inventory *inv);

/*
 * Building inventories (providers, tests).  Each returns FC_OK or
 * FC_ENOMEM and leaves inv disposable either way.
 */
/* Deep copy of src appended to inv->resources. */
int fc_inventory_add_resource(fc_inventory *inv, const fc_resource *src);
/* Appends a series; takes values (malloc'd, n doubles) even on failure. */
int fc_inventory_add_metric_take(fc_inventory *inv, const char *resource_id,
                                 const char *metric, int64_t start,
                                 int32_t step, double *values, size_t n);
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
} fc_discovery_scope;

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

/* The embedded simulated cloud, loaded from a YAML estate file. */
int fc_sim_open(fc_cloud **out, const char *estate_path);
/* Same, with apply() persisting its changes in <state_dir>/sim-state.json,
 * which is laid over the estate at open (state_dir NULL = in memory only). */
int fc_sim_open_with_state(fc_cloud **out, const char *estate_path,
                           const char *state_dir);

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

#endif
