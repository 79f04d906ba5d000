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
    char *key;          /* instance type, volume type, "eip-idle", ...;
                           rds: "<engine>:<class>" ("postgres:db.r5.large") */
    double price;       /* per hour (ec2, rds, eip, load balancers) or per
                           GB-month (ebs, snapshot, s3), per GB-second or
                           request (lambda), in the table's currency */
    double vcpu;        /* ec2, rds: vCPUs; 0 when unknown */
    double memory_gib;  /* ec2, rds: memory; 0 when unknown */
    char *processor;    /* ec2: "x86_64" | "arm64"; NULL when unknown */
} fc_price;

typedef struct {
    char *currency;
    fc_price *ec2;      /* hourly on-demand, Linux, shared tenancy */
    size_t nec2;
    fc_price *ebs;      /* per GB-month by volume type */
    size_t nebs;
    fc_price *other;    /* eip-idle, alb-hour, nlb-hour (hour); snapshot,
                           snapshot-archive, s3-standard, s3-standard-ia,
                           s3-glacier (GB-month); lambda-gb-second,
                           lambda-gb-second-arm, lambda-request */
    size_t nother;
    fc_price *rds;      /* hourly on-demand, Single-AZ, by engine:class */
    size_t nrds;
} fc_price_table;

/*
 * Loads a price catalogue: a file or a directory of files (*.csv, *.yaml,
 * *.yml).  CSV files are AWS Price List bulk offer files (AmazonEC2,
 * AmazonRDS, AWSLambda, AmazonS3, AWSELB), streamed and filtered to
 * OnDemand / Linux / Shared / Used / no pre-installed software / first
 * price tier; YAML is the compact examples/prices/aws-prices.yaml format.
 * _regions keeps only the given region codes (NULL = all).
 */
int fc_prices_load(fc_price_table **out, const char *path);
int fc_prices_load_regions(fc_price_table **out, const char *path,
                           const char *const *regions, size_t nregions);
/* One file's bytes; CSV or YAML by content. */
int fc_prices_parse(fc_price_table **out, const char *data, size_t len,
                    const char *name_for_errors);
void fc_prices_free(fc_price_table *p);
/* 0 and FC_ENOTFOUND when no price is known. */
int fc_prices_ec2_hourly(const fc_price_table *p, const char *region,
                         const char *instance_type, double *out);
/* The catalogue entry of an instance type (price, vCPU, memory,
 * processor); borrowed. */
int fc_prices_ec2_type(const fc_price_table *p, const char *region,
                       const char *instance_type, const fc_price **out);
/* Every instance type of a region: *n entries from *first, sorted by type
 * (borrowed; *n is 0 when the region is unknown). */
void fc_prices_ec2_region(const fc_price_table *p, const char *region,
                          const fc_price **first, size_t *n);
int fc_prices_ebs_gb_month(const fc_price_table *p, const char *region,
                           const char *volume_type, double *out);
/* engine: postgres, mysql, mariadb, aurora-postgresql, aurora-mysql. */
int fc_prices_rds_hourly(const fc_price_table *p, const char *region,
                         const char *engine, const char *db_class, double *out);
int fc_prices_rds_class(const fc_price_table *p, const char *region,
                        const char *engine, const char *db_class,
                        const fc_price **out);
int fc_prices_other(const fc_price_table *p, const char *region,
                    const char *key, double *out);

#define FC_HOURS_PER_MONTH 730.0

/* ---- recommendations --------------------------------------------------- */

typedef enum { FC_RISK_LOW, FC_RISK_MEDIUM, FC_RISK_HIGH } fc_risk;
const char *fc_risk_name(fc_risk r);

typedef struct {
    char *id;            /* stable, DNS-1123: "<rule>-<resource id>" */
    char *rule;          /* idle-ec2-instance | rightsize-ec2-instance |
                            unattached-ebs-volume | gp2-to-gp3-volume |
                            orphaned-ebs-snapshot | unassociated-elastic-ip |
                            idle-load-balancer | idle-rds-instance |
                            overprovisioned-lambda-memory |
                            s3-bucket-without-lifecycle (rules.c) */
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
    char *action;        /* the Optimization action that realises it, or
                            "none" when no executor action exists (the
                            summary says what to do by hand) */
    fc_kv *parameters;   /* action parameters */
    size_t nparameters;
    char *policy;        /* name of the Policy that produced it, or NULL */
    /* Set when every string and array above lives in this one block (the
     * engine's output: one allocation per recommendation); read-only. */
    void *slab;
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

/* Days of hourly metrics the rules of policy p look at (the longest of its
 * lookbacks, defaults filled in; p NULL = the built-in default policy):
 * what discovery must fetch. */
unsigned fc_policy_lookback_days(const fc_policy_spec *p);

/* ---- budgets ----------------------------------------------------------- */

typedef struct {
    double percent;
    char *type;          /* actual | forecast */
    int crossed;
} fc_threshold_eval;

/* How the period-end forecast was made (exposed in status). */
typedef struct {
    const char *method;  /* static: weekday-seasonal | flat-run-rate | none */
    double daily_rate;   /* de-seasonalised run rate per day */
    int history_days;    /* complete days with cost data behind the rate */
    int weeks;           /* whole weeks behind the weekday factors; 0 = flat */
    double weekday_factors[7]; /* Mon..Sun, mean 1; all 1 when flat */
    int remaining_days;  /* days projected (after the last complete day) */
    int64_t last_complete_day; /* 00:00 UTC of it; 0 when none */
} fc_budget_forecast;

/* Why a scope cannot be evaluated exactly (flags of fc_budget_eval). */
#define FC_BUDGET_NO_REGION 1 /* scope.regions, but cost rows carry none */
#define FC_BUDGET_NO_TAGS 2   /* scope.tags, but cost rows are not per resource */

typedef struct {
    char *name;
    int64_t period_start;
    int64_t period_end;  /* exclusive */
    double amount;
    double actual;       /* spend in [period_start, now) = own + children */
    double forecast;     /* projected spend at period_end */
    double actual_percent;
    double forecast_percent;
    char *currency;
    fc_threshold_eval *thresholds;
    size_t nthresholds;
    int days_observed;   /* days with cost data in the period */
    /* Hierarchy (fc_engine_budget_tree): own = rows of this scope that no
     * descendant claims; children = rows any child's total claims, each row
     * once; overlap = what summing the children's totals would have
     * counted twice. */
    double own;
    double children;
    double overlap;
    fc_budget_forecast fc;
    int unevaluable;     /* FC_BUDGET_NO_* flags; thresholds never cross */
    size_t rows_left_out; /* cost rows the scope could not judge */
} fc_budget_eval;

void fc_budget_eval_dispose(fc_budget_eval *e);

/* [start, end) of the monthly | quarterly | annual (NULL = monthly) period
 * containing now, in UTC.  FC_EINVALID for an unknown period. */
int fc_budget_period(const char *period, int64_t now, int64_t *start,
                     int64_t *end);

/* Evaluates one Budget at time now from inv's daily cost rows, alone
 * (no children). */
int fc_engine_budget(fc_budget_eval *out, const fc_object *budget,
                     const fc_inventory *inv, int64_t now);
/* The same with its descendants in set rolled up (see fc_budget_eval). */
int fc_engine_budget_tree(fc_budget_eval *out, const fc_spec_set *set,
                          const fc_object *budget, const fc_inventory *inv,
                          int64_t now);

/* Children of every Budget of one spec set (set order), built once for
 * many evaluations of that set: without it each one scans the set.  It
 * also remembers, across those evaluations, the cost rows of each period's
 * window grouped by scope key, so it is meant for one pass: one inventory,
 * not changed while the index is in use (another inventory, or rows
 * appended, starts the memory over), and one thread at a time. */
typedef struct fc_budget_kids fc_budget_kids;
int fc_budget_kids_new(fc_budget_kids **out, const fc_spec_set *set);
void fc_budget_kids_free(fc_budget_kids *k);
/* Indexes into set->objects of budget's children; 0 when it has none or
 * is not an object of the set kids was built from. */
size_t fc_budget_kids_of(const fc_budget_kids *k, const fc_spec_set *set,
                         const fc_object *budget, const size_t **idx);
/* fc_engine_budget_tree with kids built from set (NULL = scan). */
int fc_engine_budget_tree_kids(fc_budget_eval *out, const fc_spec_set *set,
                               const fc_budget_kids *kids,
                               const fc_object *budget,
                               const fc_inventory *inv, int64_t now);

/* Alert memory of one threshold, read from the state store by the pass. */
typedef struct {
    char *budget;
    int64_t period_start;
    char *type;          /* actual | forecast */
    double percent;
    int64_t fired_at;    /* last time it fired */
    int64_t cleared_at;  /* 0 while active */
    int active;
    int times;           /* crossings this period */
} fc_budget_alert;

typedef struct {
    fc_budget_alert *items;
    size_t n;
} fc_budget_alert_list;

void fc_budget_alert_list_init(fc_budget_alert_list *l);
void fc_budget_alert_list_dispose(fc_budget_alert_list *l);
/* Appends a copy; FC_OK or FC_ENOMEM. */
int fc_budget_alert_list_add(fc_budget_alert_list *l, const fc_budget_alert *a);

/* ---- commitments (Savings Plans, Reserved Instances) ------------------- */

typedef struct {
    char *family;        /* instance family: m5, c5, t3, ... */
    double discount;     /* fraction off on-demand, 0.27 = 27 % */
} fc_sp_rate;

/* Discount rates of one Savings Plan offering per instance family
 * (examples/prices/savings-plans.yaml). */
typedef struct {
    char *plan;          /* "Compute Savings Plan, 1 year, no upfront" */
    char *currency;
    double default_discount; /* families not listed */
    fc_sp_rate *rates;   /* sorted by family */
    size_t nrates;
} fc_sp_rates;

int fc_sp_rates_load(fc_sp_rates **out, const char *path);
int fc_sp_rates_parse(fc_sp_rates **out, const char *data, size_t len,
                      const char *name_for_errors);
void fc_sp_rates_free(fc_sp_rates *r);
/* savings-plans.yaml in the directory of the price file; *out = NULL (and
 * FC_OK) when there is none. */
int fc_sp_rates_load_beside(fc_sp_rates **out, const char *prices_path);
double fc_sp_rates_discount(const fc_sp_rates *r, const char *family);

/* Reserved Instances for one family and region: the steady floor. */
typedef struct {
    char *family;
    char *region;
    double floor_units;  /* min over hours of running normalised units */
    char *size;          /* the size most run ("large"), counts are in it */
    double size_units;   /* normalisation factor of that size (large = 4) */
    unsigned count;      /* floor(floor_units / size_units) */
    double instance_hours;
} fc_ri_suggestion;

typedef struct {
    int64_t window_start;
    int64_t window_end;   /* exclusive, the hour of now */
    size_t hours;
    size_t instances;     /* EC2 instances with usage in the window */
    double on_demand;     /* on-demand EC2 compute spend in the window */
    double min_hourly, mean_hourly, max_hourly;
    double discount;      /* blended (spend-weighted) SP discount */
    double commitment;    /* recommended $/hour, 0 when none pays */
    double covered_per_hour; /* on-demand spend one hour of it covers */
    double net_savings;   /* over the window */
    double monthly_savings; /* net per hour x 730 */
    double coverage_before, coverage_after;       /* fractions */
    double utilisation_before, utilisation_after; /* fractions */
    double break_even_utilisation;                /* 1 - discount */
    size_t levels_scanned;
    size_t unpriced_hours; /* instance-hours with no on-demand price */
    char *currency;
    fc_ri_suggestion *ris; /* sorted by family, region */
    size_t nris;
} fc_commitment_eval;

void fc_commitment_eval_dispose(fc_commitment_eval *e);

/*
 * The Savings Plan commitment C ($/h) that maximises net savings over an
 * hourly on-demand spend series s[0..n): one hour of C covers
 * K = C / (1 - d) of on-demand spend, net = Σ_h min(s_h, K) - n C
 * (= covered x discount - unused commitment).  Scans every level K in {0}
 * ∪ {s_h}; the net is concave and piecewise linear between them.
 */
int fc_commitment_optimise(const double *s, size_t n, double discount,
                           double *commitment, double *net, size_t *levels);

/* Hourly EC2 on-demand spend of the 30 days before now from inv (see
 * commitments.c for the derivation) and the commitments it supports. */
int fc_engine_commitments(fc_commitment_eval *out, const fc_inventory *inv,
                          const fc_price_table *prices,
                          const fc_sp_rates *rates, int64_t now);

/* ---- cost anomalies ------------------------------------------------------ */

typedef struct {
    double min_percent;  /* Policy anomalies.minPercent, default 20 */
    double min_amount;   /* anomalies.minAmount, default 50 (currency) */
    double sensitivity;  /* anomalies.sensitivity: robust z, default 3 */
} fc_anomaly_params;

void fc_anomaly_params_default(fc_anomaly_params *p);

typedef enum {
    FC_ANOMALY_LOW,
    FC_ANOMALY_MEDIUM,
    FC_ANOMALY_HIGH
} fc_anomaly_severity;

const char *fc_anomaly_severity_name(fc_anomaly_severity s);

typedef struct {
    int64_t day;         /* 00:00 UTC */
    double actual;
    double expected;     /* the baseline */
    double z;            /* robust z-score of the day */
} fc_anomaly_day;

typedef struct {
    char *dimension;     /* region | usageType | resource */
    char *value;
    double excess;       /* over its own baseline, summed over the days */
    double share;        /* of the anomaly's excess, 0..1 */
} fc_anomaly_cause;

typedef struct {
    char *id;            /* "anomaly-<yyyymmdd>-<account>-<service>[-<region>]" */
    char *account;
    char *service;
    char *region;        /* "" when the costs are not split by region */
    char *currency;
    char *policy;        /* the Policy whose thresholds applied; NULL = defaults */
    int64_t first_day;   /* 00:00 UTC, inclusive */
    int64_t last_day;
    int open;
    int64_t resolved_day; /* first day back within the baseline; 0 while open */
    double impact;       /* sum of (actual - expected) over the days */
    double max_z;
    fc_anomaly_severity severity;
    fc_anomaly_day *days;
    size_t ndays;
    fc_anomaly_cause *causes; /* ranked by excess, per dimension */
    size_t ncauses;
} fc_anomaly;

typedef struct {
    fc_anomaly *items;   /* sorted by id */
    size_t n;
} fc_anomaly_list;

void fc_anomaly_list_init(fc_anomaly_list *l);
void fc_anomaly_list_dispose(fc_anomaly_list *l);
void fc_anomaly_dispose(fc_anomaly *a);
/* Appends a deep copy; FC_OK or FC_ENOMEM. */
int fc_anomaly_list_add(fc_anomaly_list *l, const fc_anomaly *a);

#define FC_ANOMALY_BASELINE_DAYS 28 /* rolling window of the baseline */
#define FC_ANOMALY_MIN_HISTORY 14   /* days needed before a day is judged */
#define FC_ANOMALY_KEEP_DAYS 30     /* resolved anomalies stay this long */

/*
 * Finds cost anomalies in inv->costs (daily cost per account x service x
 * region), root causes in inv->cost_details, and continues the anomalies of
 * prev (the last pass's output, from the state store): one that goes on
 * keeps its id and first day; days the history no longer covers are kept
 * from prev.  Thresholds come from the first Policy (by name) whose
 * accounts and regions cover the series, else the defaults.  Days up to
 * now's day (exclusive) are judged; out is sorted by id.
 */
int fc_engine_anomalies(fc_anomaly_list *out, const fc_inventory *inv,
                        const fc_spec_set *specs, const fc_anomaly_list *prev,
                        int64_t now);
/* The same with one set of thresholds for every series. */
int fc_engine_anomalies_params(fc_anomaly_list *out, const fc_inventory *inv,
                               const fc_anomaly_params *params,
                               const fc_anomaly_list *prev, int64_t now);

#endif
