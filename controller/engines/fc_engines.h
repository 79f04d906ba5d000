/*
 * fc_engines.h - pure functions from observed state (fc_inventory) and
 * policy (fc_spec_set) to findings: waste recommendations with monthly
 * savings, and budget evaluations.
 *
 * No I/O and no clock: time arrives in the inventory/arguments.  Outputs are
 * caller-allocated lists (…_init / …_dispose) owning their strings, sorted
 * by id so that status output is deterministic.
 */
#ifndef FC_ENGINES_H
#define FC_ENGINES_H

#include "../cloud/fc_cloud.h"
#include "../../specs/fc_specs.h"

#include <stddef.h>
#include <stdint.h>

/* ---- prices ------------------------------------------------------------ */

typedef struct {
    char *region;
    char *key;          /* instance type, volume type, "eip-idle", ... */
    double price;       /* per hour (ec2, eip) or per GB-month (ebs, snapshot) */
} fc_price;

typedef struct {
    char *currency;
    fc_price *ec2;      /* hourly on-demand, Linux, shared tenancy */
    size_t nec2;
    fc_price *ebs;      /* per GB-month by volume type */
    size_t nebs;
    fc_price *other;    /* eip-idle (hour), snapshot (GB-month), ... */
    size_t nother;
} fc_price_table;

/* Loads the YAML price file (examples/prices/aws-prices.yaml format). */
int fc_prices_load(fc_price_table **out, const char *path);
int fc_prices_parse(fc_price_table **out, const char *data, size_t len,
                    const char *name_for_errors);
void fc_prices_free(fc_price_table *p);
/* 0 and FC_ENOTFOUND when no price is known. */
int fc_prices_ec2_hourly(const fc_price_table *p, const char *region,
                         const char *instance_type, double *out);
int fc_prices_ebs_gb_month(const fc_price_table *p, const char *region,
                           const char *volume_type, double *out);
int fc_prices_other(const fc_price_table *p, const char *region,
                    const char *key, double *out);

#define FC_HOURS_PER_MONTH 730.0

/* ---- recommendations --------------------------------------------------- */

typedef enum { FC_RISK_LOW, FC_RISK_MEDIUM, FC_RISK_HIGH } fc_risk;
const char *fc_risk_name(fc_risk r);

typedef struct {
    char *id;            /* stable, DNS-1123: "<rule>-<resource id>" */
    char *rule;          /* idle-ec2-instance | unattached-ebs-volume |
                            unassociated-elastic-ip */
    fc_resource_type resource_type;
    char *account;
    char *region;
    char *resource;      /* resource id */
    char *summary;       /* one sentence for humans */
    fc_kv *evidence;     /* figures as formatted strings, sorted by key */
    size_t nevidence;
    double monthly_saving;
    char *currency;
    fc_risk risk;
    char *action;        /* the Optimization action that realises it */
    fc_kv *parameters;   /* action parameters */
    size_t nparameters;
    char *policy;        /* name of the Policy that produced it, or NULL */
} fc_recommendation;

typedef struct {
    fc_recommendation *items;
    size_t n;
} fc_recommendation_list;

void fc_recommendation_list_init(fc_recommendation_list *l);
void fc_recommendation_list_dispose(fc_recommendation_list *l);

/* The stable DNS-1123 id "<rule>-<resource id>" (lowercased, other chars
 * -> '-', at most 63 chars with a hash suffix when longer).  Free it. */
char *fc_recommendation_id(const char *rule, const char *resource_id);

/*
 * Runs every waste rule of every Policy in specs (a built-in default policy
 * when there is none) over inv.  Duplicates (same id from two policies)
 * keep the first policy by name.  Result sorted by id.  Results are
 * appended to out (normally empty); inv->observed_at is the clock.
 */
int fc_engine_recommend(fc_recommendation_list *out, const fc_inventory *inv,
                        const fc_spec_set *specs,
                        const fc_price_table *prices);

/* ---- budgets ----------------------------------------------------------- */

typedef struct {
    double percent;
    char *type;          /* actual | forecast */
    int crossed;
} fc_threshold_eval;

typedef struct {
    char *name;
    int64_t period_start;
    int64_t period_end;  /* exclusive */
    double amount;
    double actual;       /* spend in [period_start, now) */
    double forecast;     /* projected spend at period_end */
    double actual_percent;
    double forecast_percent;
    char *currency;
    fc_threshold_eval *thresholds;
    size_t nthresholds;
    int days_observed;   /* days with cost data in the period */
} fc_budget_eval;

void fc_budget_eval_dispose(fc_budget_eval *e);

/* [start, end) of the monthly | quarterly | annual (NULL = monthly) period
 * containing now, in UTC.  FC_EINVALID for an unknown period. */
int fc_budget_period(const char *period, int64_t now, int64_t *start,
                     int64_t *end);

/* Evaluates one Budget at time now from inv's daily cost rows. */
int fc_engine_budget(fc_budget_eval *out, const fc_object *budget,
                     const fc_inventory *inv, int64_t now);

#endif
