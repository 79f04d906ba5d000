/*
 * fc_specs.h - the desired state: every finops.dev/v1alpha1 object read from
 * the spec root of one commit, typed, validated, and the errors of the ones
 * that failed.
 *
 * Input is a list of files (repo path + bytes) so the loader needs no git;
 * controller/gitsync produces that list from a commit tree.  Output is an
 * fc_spec_set that owns everything in it (fc_spec_set_free).
 *
 * Field names below mirror the YAML keys (camelCase in YAML, snake_case
 * here).  Optional numbers are 0 when absent unless noted; optional strings
 * and arrays are NULL/0.
 */
#ifndef FC_SPECS_H
#define FC_SPECS_H

#include <stddef.h>
#include <stdint.h>

#define FC_API_VERSION "finops.dev/v1alpha1"

typedef enum {
    FC_KIND_ACCOUNT,
    FC_KIND_POLICY,
    FC_KIND_BUDGET,
    FC_KIND_OPTIMIZATION,
    FC_KIND_SCHEDULE,
    FC_KIND__COUNT
} fc_kind;

const char *fc_kind_name(fc_kind k);       /* "Budget" */
int fc_kind_parse(const char *name);       /* -1 when unknown */

typedef struct {
    char *key;
    char *value;
} fc_kv;

typedef struct {
    char *name;             /* DNS-1123 label */
    fc_kv *labels;
    unsigned nlabels;
} fc_meta;

/* costExports: where FOCUS / CUR CSV exports of the account land.  A local
 * directory for now (absolute, or relative to the controller's working
 * directory); S3 prefixes will be read through the aws provider later. */
typedef struct {
    char *path;
} fc_account_cost_exports;

/* kind: Account */
typedef struct {
    char *account_id;       /* accountId: 12 digits */
    char *role_arn;         /* roleArn */
    char **regions;         /* regions: at least one */
    unsigned nregions;
    char *provider;         /* provider: sim | aws; NULL = --provider */
    fc_kv *tags;            /* tags: {env: dev} */
    unsigned ntags;
    fc_account_cost_exports *cost_exports; /* costExports; NULL = none */
    int suspend;            /* suspend: true = not reconciled */
} fc_account_spec;

/* kind: Policy */
typedef struct {
    /* ec2.mode: "daily" (AWS Trusted Advisor: CPU <= dailyCpuPercent and
     * network <= dailyNetworkMB on >= minIdleDays of the last lookbackDays)
     * or "average" (mean CPU < idleCpuPercent over idleDays).  Default
     * daily, but average when idleCpuPercent or idleDays is given without
     * a mode, so older policies keep their meaning. */
    char *mode;
    double cpu_percent;     /* ec2.idleCpuPercent, default 5 (average) */
    unsigned idle_days;     /* ec2.idleDays, default 7 (average) */
    double daily_cpu_percent;   /* ec2.dailyCpuPercent, default 10 */
    double daily_network_mb;    /* ec2.dailyNetworkMB, default 5 (in + out) */
    unsigned min_idle_days;     /* ec2.minIdleDays, default 4 */
    unsigned lookback_days;     /* ec2.lookbackDays, default 14 */
} fc_policy_ec2;

typedef struct {
    double cpu_percent;         /* rds.cpuPercent, default 10 */
    double connections_percent; /* rds.connectionsPercent, default 20 */
    unsigned idle_days;         /* rds.idleDays, default 7 */
} fc_policy_rds;

typedef struct {
    unsigned unattached_days;   /* ebs.unattachedDays, default 7 */
    int gp3;                    /* ebs.gp3: suggest gp2 -> gp3, default true */
} fc_policy_ebs;

typedef struct {
    unsigned max_age_days;      /* snapshots.maxAgeDays, default 90 */
} fc_policy_snapshots;

typedef struct {
    double min_requests;        /* elb.minRequests over idleDays, default 100 */
    unsigned idle_days;         /* elb.idleDays, default 7 */
} fc_policy_elb;

typedef struct {
    double memory_used_percent; /* lambda.memoryUsedPercent, default 50 */
    unsigned lookback_days;     /* lambda.lookbackDays, default 14 */
} fc_policy_lambda;

typedef struct {
    int lifecycle;              /* s3.lifecycle: flag buckets without a
                                   lifecycle rule, default true */
} fc_policy_s3;

typedef struct {
    double target_p95_percent;  /* rightsizing.targetP95Percent, default 60 */
    double max_percent;         /* rightsizing.maxPercent, default 90 */
    unsigned lookback_days;     /* rightsizing.lookbackDays, default 14 */
    double min_coverage_percent;/* rightsizing.minCoveragePercent: share of
                                   lookback hours with data, default 25 */
    int allow_arch_change;      /* rightsizing.allowArchChange: x86 <->
                                   Graviton, default false */
} fc_policy_rightsizing;

typedef struct {
    double min_percent;         /* anomalies.minPercent, default 20 */
    double min_amount;          /* anomalies.minAmount, default 50 */
    double sensitivity;         /* anomalies.sensitivity (z), default 3 */
} fc_policy_anomalies;

typedef struct {
    unsigned low, medium, high; /* approvals: distinct approvers per risk */
} fc_policy_approvals;

typedef struct {
    fc_kv *tags;                /* exclusions.tags: skip matching resources */
    unsigned ntags;
    char **names;               /* exclusions.names: glob patterns */
    unsigned nnames;
} fc_policy_exclusions;

typedef struct {
    unsigned max_actions_per_pass; /* limits.maxActionsPerPass, default 5 */
    unsigned max_actions_per_account; /* limits.maxActionsPerAccount: per
                                         pass and account; 0 = no limit */
    unsigned max_actions_per_hour; /* limits.maxActionsPerHour, counted from
                                      the journal; 0 = no limit */
    unsigned verify_timeout_seconds; /* limits.verifyTimeoutSeconds: how long
                                        the executor polls for the expected
                                        state after an action, default 300 */
} fc_policy_limits;

/* preApproved[]: a named low-risk rule the Policy approves in advance
 * (issue 7.2).  Its recommendations run without an Optimization spec once
 * the Policy's own commit is approved (approval.approvedBy, judged like an
 * Optimization's); entries whose action is not low-risk are refused. */
typedef struct {
    char *name;             /* DNS-1123, unique in the Policy */
    char *rule;             /* finding rule id, e.g. unassociated-elastic-ip */
    char *action;           /* the action it approves, e.g. release-address */
    char **accounts;        /* account ids or Account names */
    unsigned naccounts;
    fc_kv *account_tags;    /* accountTags: Account spec tags, all must match */
    unsigned naccount_tags;
} fc_policy_preapproval;

typedef struct {
    char **approved_by;     /* approval.approvedBy: who approves preApproved */
    unsigned napproved_by;
} fc_policy_approval;

typedef struct {
    char **services;        /* services: ec2 ebs eip elb rds lambda s3; NULL=all */
    unsigned nservices;
    char **regions;         /* regions: NULL = all */
    unsigned nregions;
    char **accounts;        /* accounts: account ids or Account names; NULL=all */
    unsigned naccounts;
    fc_policy_ec2 ec2;      /* defaults filled by the loader */
    fc_policy_rds rds;
    fc_policy_ebs ebs;
    fc_policy_snapshots snapshots; /* "snapshot" rules follow services: ebs */
    fc_policy_elb elb;
    fc_policy_lambda lambda;
    fc_policy_s3 s3;
    fc_policy_rightsizing rightsizing; /* follows services: ec2 */
    fc_policy_approvals approvals; /* defaults 1, 1, 2 */
    fc_policy_exclusions exclusions;
    fc_policy_anomalies anomalies; /* cost anomaly thresholds */
    fc_policy_limits limits;    /* executor limits (--live) */
    int irreversible;       /* irreversible: true lets the executor run
                               actions without an inverse (release-address,
                               delete-snapshot) in the accounts it covers */
    fc_policy_preapproval *pre_approved; /* preApproved: NULL = none */
    unsigned npre_approved;
    fc_policy_approval approval; /* approval.approvedBy of preApproved */
    int suspend;            /* suspend: true = not reconciled */
} fc_policy_spec;

/* kind: Budget */
typedef struct {
    double percent;         /* > 0 */
    char *type;             /* actual | forecast (default actual) */
} fc_budget_threshold;

typedef struct {
    char **accounts;        /* account ids; NULL = all */
    unsigned naccounts;
    char **services;        /* cost service names; NULL = all */
    unsigned nservices;
    char **regions;         /* regions; NULL = all (needs per-region costs) */
    unsigned nregions;
    fc_kv *tags;            /* resource tags, all must match (needs
                               per-resource costs); NULL = any */
    unsigned ntags;
} fc_budget_scope;

typedef struct {
    double amount;          /* > 0 */
    char *currency;         /* default USD */
    char *period;           /* monthly | quarterly | annual (default monthly) */
    char *parent;           /* name of the parent Budget */
    fc_budget_scope scope;
    fc_budget_threshold *thresholds;
    unsigned nthresholds;
    char **notify;          /* targets: webhook:<url>, slack:<url>,
                               webhook:env:VAR / slack:env:VAR (the URL is
                               a secret in that environment variable), or
                               an email address (not delivered yet) */
    unsigned nnotify;
    int suspend;            /* suspend: true = not reconciled */
} fc_budget_spec;

/* kind: Optimization */
typedef struct {
    char *account;
    char *region;
    char *resource;
} fc_opt_target;

typedef struct {
    char **approved_by;
    unsigned napproved_by;
} fc_opt_approval;

typedef struct {
    char **days;            /* mon..sun; NULL = every day */
    unsigned ndays;
    char *start;            /* "HH:MM" */
    char *end;
    char *timezone;         /* default UTC */
} fc_opt_window;

typedef struct {
    int on_failure;         /* rollback.onFailure */
    int requested;          /* rollback.requested (or `rollback: true`):
                               undo the executed action at the next pass */
} fc_opt_rollback;

typedef struct {
    fc_opt_target target;
    char *action;           /* stop | start | rightsize | modify-volume |
                               snapshot-and-delete | release-address |
                               delete-snapshot */
    fc_kv *parameters;
    unsigned nparameters;
    fc_opt_approval approval;
    fc_opt_window *window;  /* NULL = any time */
    char *risk;             /* low | medium | high; NULL = from action */
    fc_opt_rollback rollback;
    int suspend;            /* suspend: true = not reconciled */
} fc_optimization_spec;

/* kind: Schedule */
typedef struct {
    char *name;                 /* unique in the Schedule */
    char *schedule;             /* 5-field cron, in spec.timezone */
    char *task;                 /* sync | discovery | optimization | report;
                                 * default sync */
} fc_schedule_cron;

typedef struct {
    char *interval;             /* "5m" */
    char *discovery_interval;   /* "1h" */
    char *optimization_time;    /* "02:00" */
    char *report_day;           /* report.weekday */
    char *report_time;          /* report.time */
    char *timezone;             /* default UTC */
    int suspend;            /* suspend: true = not reconciled */
    fc_schedule_cron *cron;     /* user cron entries */
    unsigned ncron;
} fc_schedule_spec;

typedef struct {
    fc_kind kind;
    char *api_version;
    fc_meta metadata;
    const char *file;       /* borrowed from the set's file table */
    unsigned line;          /* first line of the document */
    union {
        fc_account_spec *account;
        fc_policy_spec *policy;
        fc_budget_spec *budget;
        fc_optimization_spec *optimization;
        fc_schedule_spec *schedule;
        void *any;
    } spec;
    void *raw;              /* loader-private (cyaml document); do not touch */
    int suspended;          /* spec.suspend of any kind */
} fc_object;

/* One validation error: "file:line: field: message". */
typedef struct {
    char *file;
    unsigned line;          /* 0 when unknown */
    char *field;            /* "spec.amount"; "" for the whole document */
    char *message;
    int kind;               /* fc_kind, or -1 when unknown */
    char *name;             /* metadata.name when known, else NULL */
} fc_spec_error;

typedef struct {
    fc_object *objects;     /* valid objects, sorted by kind then name */
    size_t nobjects;
    fc_spec_error *errors;  /* sorted by file then line */
    size_t nerrors;
    char **files;           /* every file read, sorted */
    size_t nfiles;
} fc_spec_set;

/* One input file. */
typedef struct {
    const char *path;       /* repo-relative path, e.g. finops/budgets/a.yaml */
    const char *data;
    size_t len;
} fc_spec_file;

/*
 * Loads and validates every file.  Returns FC_OK even when specs are
 * invalid (they land in set->errors); a negative code only for failures
 * of the loader itself (out of memory).  Cross-object checks (duplicate
 * names per kind, unknown Budget parent) are part of this call.
 */
int fc_specs_load(fc_spec_set **out, const fc_spec_file *files, size_t nfiles);
void fc_spec_set_free(fc_spec_set *set);

/* Writes "file:line: field: message" into buf. */
void fc_spec_error_format(const fc_spec_error *e, char *buf, size_t size);

/* Borrowed; NULL when absent. */
const fc_object *fc_specs_find(const fc_spec_set *set, fc_kind kind,
                               const char *name);

/* A Policy names accounts by id or by Account spec name: does `entry`
 * refer to account_id?  (set may be NULL: ids only.) */
int fc_specs_account_matches(const fc_spec_set *set, const char *entry,
                             const char *account_id);

/*
 * The objects that are not suspended, as a view over set: view->objects is
 * a new array of shallow copies (release with fc_specs_view_dispose, never
 * fc_spec_set_free); errors and files are borrowed.
 */
int fc_specs_active_view(fc_spec_set *view, const fc_spec_set *set);
void fc_specs_view_dispose(fc_spec_set *view);

/* Limits that keep hostile input bounded. */
#define FC_SPEC_MAX_FILE_BYTES (1024 * 1024)
#define FC_SPEC_MAX_DOCUMENTS 1000
/* Checked per file by specs/limits.c before the documents are composed:
 * mapping/sequence nesting and length, bytes in one scalar, and anchors or aliases
 * (aliases are refused in specs anyway; past this many the file is refused
 * whole, so an alias bomb never reaches a parser that expands). */
#define FC_SPEC_MAX_DEPTH 64
#define FC_SPEC_MAX_SCALAR_BYTES (64 * 1024)
#define FC_SPEC_MAX_ALIASES 16
/* Entries in one sequence, or key/value pairs in one mapping. */
#define FC_SPEC_MAX_ITEMS 4096

#endif
