/*
 * schema_doc.c - what the libcyaml schema cannot say about a field: its
 * description, pattern, enumeration and numeric range, plus the printer
 * columns of each kind.
 *
 * Stage: spec loading / CRD generation.  schema.c says which keys exist and
 * their types; this one table, keyed by kind and field path, adds the rules
 * validate.c enforces on top.  crdgen.c merges both into
 * crd/<plural>.finops.dev.yaml, and the enumerations below are the very
 * lists validate.c checks against.  Patterns and ranges are restated here
 * (validate.c checks them in C): tests/crd runs every example and an
 * invalid corpus through both the loader and an independent JSON Schema
 * validator and fails where they disagree.  Static data only.
 */
#include "specs/fc_crdgen.h"

#include <stddef.h>
#include <string.h>

const char *const fc_schema_weekdays[] = {"mon", "tue", "wed", "thu",
                                          "fri", "sat", "sun", NULL};
const char *const fc_schema_services[] = {"ec2", "ebs",    "eip", "elb",
                                          "rds", "lambda", "s3",  NULL};
const char *const fc_schema_periods[] = {"monthly", "quarterly", "annual",
                                         NULL};
const char *const fc_schema_threshold_types[] = {"actual", "forecast", NULL};
const char *const fc_schema_risks[] = {"low", "medium", "high", NULL};
const char *const fc_schema_providers[] = {"sim", "aws", NULL};
const char *const fc_schema_actions[] = {
    "stop",          "start",           "rightsize",       "modify-volume",
    "snapshot-and-delete", "release-address", "delete-snapshot", NULL};
const char *const fc_schema_ec2_modes[] = {"daily", "average", NULL};
const char *const fc_schema_cron_tasks[] = {"sync", "discovery",
                                            "optimization", "report", NULL};
static const char *const timezones[] = {"UTC", NULL};

/* The syntax validate.c checks, as RE2/ECMA-compatible expressions (no
 * look-around: the API server compiles them with Go's regexp). */
#define DNS_LABEL "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
#define ACCOUNT_ID "^[0-9]{12}$"
#define REGION "^[a-z][a-z0-9]*(-[a-z0-9]+)+$"
#define HHMM "^([01][0-9]|2[0-3]):[0-5][0-9]$"
#define INTERVAL "^[1-9][0-9]{0,8}[smhd]$"

#define A FC_KIND_ACCOUNT
#define P FC_KIND_POLICY
#define B FC_KIND_BUDGET
#define O FC_KIND_OPTIMIZATION
#define S FC_KIND_SCHEDULE
#define ALL (-1)

#define MIN FC_DOC_MIN
#define MAX FC_DOC_MAX
#define XMIN (FC_DOC_MIN | FC_DOC_XMIN)
#define NONEMPTY FC_DOC_NONEMPTY
#define STRMAP FC_DOC_STRMAP

/* Helpers for the frequent shapes. */
#define PERCENT(k, p, d) {k, p, d, NULL, NULL, 0, 100, MIN | MAX, 0}
#define NONNEG(k, p, d) {k, p, d, NULL, NULL, 0, 0, MIN, 0}
#define DAYS(k, p, d) {k, p, d, NULL, NULL, 1, 0, MIN, 0}
/* CloudWatch keeps hourly data 455 days. */
#define LOOKBACK(k, p, d) {k, p, d, NULL, NULL, 1, 455, MIN | MAX, 0}
#define TEXT(k, p, d) {k, p, d, NULL, NULL, 0, 0, 0, 0}
#define ENUM(k, p, d, e) {k, p, d, NULL, e, 0, 0, 0, 0}
#define PAT(k, p, d, re, len) {k, p, d, re, NULL, 0, 0, 0, len}

static const fc_schema_doc docs[] = {
    /* every kind */
    PAT(ALL, "metadata.name", "DNS-1123 label: at most 63 lowercase letters, "
        "digits and '-', starting and ending with a letter or digit.",
        DNS_LABEL, 63),
    {ALL, "metadata.labels", "Labels (a map of strings).", NULL, NULL, 0, 0,
     STRMAP, 0},
    TEXT(ALL, "spec.suspend", "When true the controller reports the object "
         "as Suspended and does not reconcile it."),

    /* Account */
    PAT(A, "spec.accountId", "AWS account id, 12 digits (quote it in YAML).",
        ACCOUNT_ID, 0),
    PAT(A, "spec.roleArn", "IAM role the controller assumes in this account.",
        "^arn:(.*:)?role/", 0),
    {A, "spec.regions", "Regions to discover; at least one.", NULL, NULL, 0,
     0, NONEMPTY, 0},
    PAT(A, "spec.regions[]", NULL, REGION, 32),
    ENUM(A, "spec.provider", "Cloud provider; --provider when absent.",
         fc_schema_providers),
    {A, "spec.tags", "Tags of the account (a map of strings).", NULL, NULL, 0,
     0, STRMAP, 0},
    TEXT(A, "spec.costExports", "Where FOCUS 1.0 / AWS CUR 2.0 CSV exports "
         "(plain or gzip) of this account land."),
    {A, "spec.costExports.path", "A local directory (absolute, or relative "
     "to the controller's working directory); s3:// prefixes are not "
     "supported yet.", NULL, NULL, 0, 0, NONEMPTY, 0},

    /* Policy */
    TEXT(P, "spec.services", "Services to analyse; all when absent."),
    ENUM(P, "spec.services[]", NULL, fc_schema_services),
    TEXT(P, "spec.regions", "Regions to analyse; all when absent."),
    PAT(P, "spec.regions[]", NULL, REGION, 32),
    TEXT(P, "spec.accounts", "Account ids (12 digits) or Account names; all "
         "when absent."),
    PAT(P, "spec.accounts[]", NULL, DNS_LABEL, 63),
    TEXT(P, "spec.ec2", "Idle instances. mode daily (AWS Trusted Advisor): "
         "CPU <= dailyCpuPercent and network <= dailyNetworkMB on at least "
         "minIdleDays of the last lookbackDays; mode average: mean CPU < "
         "idleCpuPercent over idleDays."),
    ENUM(P, "spec.ec2.mode", "daily (default) or average (the default when "
         "only idleCpuPercent or idleDays is given).", fc_schema_ec2_modes),
    PERCENT(P, "spec.ec2.idleCpuPercent", "Default 5 (mode average)."),
    DAYS(P, "spec.ec2.idleDays", "Default 7 (mode average)."),
    PERCENT(P, "spec.ec2.dailyCpuPercent", "Default 10."),
    NONNEG(P, "spec.ec2.dailyNetworkMB", "Network in + out per day, default 5."),
    DAYS(P, "spec.ec2.minIdleDays", "Default 4; at most lookbackDays."),
    LOOKBACK(P, "spec.ec2.lookbackDays", "Default 14."),
    TEXT(P, "spec.rds", "Idle databases."),
    PERCENT(P, "spec.rds.cpuPercent", "Default 10."),
    PERCENT(P, "spec.rds.connectionsPercent", "Default 20."),
    DAYS(P, "spec.rds.idleDays", "Default 7."),
    TEXT(P, "spec.ebs", "Unattached volumes and gp2 volumes."),
    DAYS(P, "spec.ebs.unattachedDays", "Default 7."),
    TEXT(P, "spec.ebs.gp3", "Suggest gp2 to gp3 migrations (default true)."),
    TEXT(P, "spec.snapshots", "Orphaned snapshots (source volume gone, no AMI "
         "uses them); follows service ebs."),
    DAYS(P, "spec.snapshots.maxAgeDays", "Default 90."),
    TEXT(P, "spec.elb", "Idle load balancers."),
    NONNEG(P, "spec.elb.minRequests", "Requests over idleDays, default 100."),
    LOOKBACK(P, "spec.elb.idleDays", "Default 7."),
    TEXT(P, "spec.lambda", "Over-provisioned memory."),
    PERCENT(P, "spec.lambda.memoryUsedPercent", "Default 50."),
    LOOKBACK(P, "spec.lambda.lookbackDays", "Default 14."),
    TEXT(P, "spec.s3.lifecycle", "Flag buckets without a lifecycle rule "
         "(default true)."),
    TEXT(P, "spec.rightsizing", "EC2 rightsizing: the cheapest compatible type "
         "keeping projected p95 CPU under targetP95Percent; follows service "
         "ec2."),
    {P, "spec.rightsizing.targetP95Percent", "Default 60; above 0 and at most "
     "maxPercent.", NULL, NULL, 0, 100, XMIN | MAX, 0},
    PERCENT(P, "spec.rightsizing.maxPercent", "Default 90."),
    LOOKBACK(P, "spec.rightsizing.lookbackDays", "Default 14."),
    PERCENT(P, "spec.rightsizing.minCoveragePercent", "Share of lookback hours "
            "with data, default 25."),
    TEXT(P, "spec.rightsizing.allowArchChange", "Allow x86 to Graviton moves "
         "and back (default false)."),
    TEXT(P, "spec.approvals", "Distinct approvers required per risk level "
         "(defaults 1, 1, 2)."),
    TEXT(P, "spec.exclusions", "Resources never recommended."),
    {P, "spec.exclusions.tags", "Skip resources carrying all these tags.",
     NULL, NULL, 0, 0, STRMAP, 0},
    {P, "spec.exclusions.names[]", "Glob pattern of resource names.", NULL,
     NULL, 0, 0, NONEMPTY, 0},
    TEXT(P, "spec.anomalies", "Cost anomaly thresholds."),
    NONNEG(P, "spec.anomalies.minPercent", "Default 20."),
    NONNEG(P, "spec.anomalies.minAmount", "Default 50."),
    {P, "spec.anomalies.sensitivity", "z-score, default 3.", NULL, NULL, 0, 0,
     XMIN, 0},
    TEXT(P, "spec.limits", "Executor limits (--live)."),
    TEXT(P, "spec.limits.maxActionsPerPass", "Default 5."),
    TEXT(P, "spec.limits.maxActionsPerAccount", "Per pass and account; 0 = "
         "no limit."),
    TEXT(P, "spec.limits.maxActionsPerHour", "Counted from the journal; 0 = "
         "no limit."),
    TEXT(P, "spec.limits.verifyTimeoutSeconds", "How long the executor polls "
         "for the expected state after an action, default 300."),
    TEXT(P, "spec.irreversible", "Lets the executor run actions without an "
         "inverse (release-address, delete-snapshot) in the accounts this "
         "Policy covers."),
    TEXT(P, "spec.preApproved", "Low-risk rules approved in advance: their "
         "recommendations run with --live without an Optimization spec, once "
         "this Policy's commit is approved (spec.approval). Entries whose "
         "action is not low-risk are refused; the status says why."),
    PAT(P, "spec.preApproved[].name", "Unique in the Policy.", DNS_LABEL, 63),
    PAT(P, "spec.preApproved[].rule", "Finding rule id, e.g. "
        "unassociated-elastic-ip.", DNS_LABEL, 63),
    ENUM(P, "spec.preApproved[].action", "The action it approves; only "
         "low-risk actions run.", fc_schema_actions),
    TEXT(P, "spec.preApproved[].accounts", "Account ids or Account names; "
         "accounts or accountTags is required."),
    PAT(P, "spec.preApproved[].accounts[]", NULL, DNS_LABEL, 63),
    {P, "spec.preApproved[].accountTags", "Tags of the Account spec that must "
     "all match (e.g. env: dev).", NULL, NULL, 0, 0, STRMAP, 0},
    TEXT(P, "spec.approval", "Who approves spec.preApproved: judged like an "
         "Optimization's approval (approvers.yaml, authored commit, the "
         "low-risk approval count)."),
    {P, "spec.approval.approvedBy[]", "Identity of an approver listed in "
     "approvers.yaml.", NULL, NULL, 0, 0, NONEMPTY, 0},

    /* Budget */
    {B, "spec.amount", "Budget per period, above 0.", NULL, NULL, 0, 0, XMIN,
     0},
    PAT(B, "spec.currency", "ISO 4217 code, default USD.", "^[A-Z]{3}$", 0),
    ENUM(B, "spec.period", "Default monthly.", fc_schema_periods),
    PAT(B, "spec.parent", "Name of the parent Budget.", DNS_LABEL, 63),
    PAT(B, "spec.scope.accounts[]", NULL, ACCOUNT_ID, 0),
    {B, "spec.scope.services[]", NULL, NULL, NULL, 0, 0, NONEMPTY, 0},
    TEXT(B, "spec.scope.regions", "Needs cost rows that carry a region; "
         "otherwise the status says the scope cannot be evaluated."),
    PAT(B, "spec.scope.regions[]", NULL, REGION, 32),
    {B, "spec.scope.tags", "Resource tags that must all match; needs "
     "per-resource cost rows.", NULL, NULL, 0, 0, STRMAP, 0},
    {B, "spec.thresholds[].percent", "Percent of the amount, above 0.", NULL,
     NULL, 0, 0, XMIN, 0},
    ENUM(B, "spec.thresholds[].type", "Default actual.",
         fc_schema_threshold_types),
    TEXT(B, "spec.notify", "Where alerts go: webhook:<http(s) URL>, "
         "slack:<http(s) URL>, webhook:env:VAR or slack:env:VAR (the URL, a "
         "secret, is read from that environment variable), or an email "
         "address (accepted, not delivered yet)."),
    /* The loader also accepts ':' in the local part of an address; the
     * pattern cannot without look-ahead and stays stricter. */
    {B, "spec.notify[]", NULL,
     "^((webhook|slack):(env:[A-Z_][A-Z0-9_]*|https?://[^/ ][^ ]*)|"
     "(email:)?[^@ /:]+@[^ /]+)$",
     NULL, 0, 0, NONEMPTY, 0},

    /* Optimization */
    PAT(O, "spec.target.account", "AWS account id, 12 digits.", ACCOUNT_ID, 0),
    PAT(O, "spec.target.region", NULL, REGION, 32),
    {O, "spec.target.resource", "Resource id, e.g. i-0abc.", NULL, NULL, 0, 0,
     NONEMPTY, 0},
    ENUM(O, "spec.action", "rightsize needs parameters.instanceType, "
         "modify-volume parameters.volumeType.", fc_schema_actions),
    {O, "spec.parameters", "Action parameters (a map of strings).", NULL,
     NULL, 0, 0, STRMAP, 0},
    {O, "spec.approval.approvedBy[]", "Identity of an approver listed in "
     "approvers.yaml.", NULL, NULL, 0, 0, NONEMPTY, 0},
    TEXT(O, "spec.window", "When the executor may act; any time when absent."),
    ENUM(O, "spec.window.days[]", NULL, fc_schema_weekdays),
    PAT(O, "spec.window.start", "HH:MM; start and end go together.", HHMM, 0),
    PAT(O, "spec.window.end", "HH:MM; start and end go together.", HHMM, 0),
    ENUM(O, "spec.window.timezone", "Only UTC for now.", timezones),
    ENUM(O, "spec.risk", "Default from the action.", fc_schema_risks),
    TEXT(O, "spec.rollback.onFailure", "Undo the action when it fails."),
    TEXT(O, "spec.rollback.requested", "Undo the executed action at the "
         "next pass."),

    /* Schedule */
    PAT(S, "spec.interval", "Pass interval: 30s, 5m, 1h or 1d.", INTERVAL, 0),
    PAT(S, "spec.discoveryInterval", "Rediscovery interval when nothing "
        "changed, default 1h.", INTERVAL, 0),
    PAT(S, "spec.optimizationTime", "HH:MM.", HHMM, 0),
    ENUM(S, "spec.report.weekday", NULL, fc_schema_weekdays),
    PAT(S, "spec.report.time", "HH:MM.", HHMM, 0),
    /* Any IANA zone of the tz database (the loader asks the system's);
     * the pattern only keeps out what cannot be a zone name. */
    PAT(S, "spec.timezone", "IANA time zone, default UTC.",
        "^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$", 0),
    TEXT(S, "spec.cron", "Extra passes at cron times, in spec.timezone."),
    {S, "spec.cron[].name", "Unique in the Schedule.", NULL, NULL, 0, 0,
     NONEMPTY, 0},
    TEXT(S, "spec.cron[].schedule", "Five-field cron expression."),
    ENUM(S, "spec.cron[].task", "Default sync.", fc_schema_cron_tasks),
};

const fc_schema_doc *fc_schema_doc_find(fc_kind kind, const char *path)
{
    const fc_schema_doc *any = NULL;

    for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        if (strcmp(docs[i].path, path) != 0)
            continue;
        if (docs[i].kind == (int)kind)
            return &docs[i];
        if (docs[i].kind == ALL)
            any = &docs[i];
    }
    return any;
}

const fc_schema_doc *fc_schema_doc_at(size_t i)
{
    return i < sizeof(docs) / sizeof(docs[0]) ? &docs[i] : NULL;
}

static const fc_crd_column account_cols[] = {
    {"Account ID", "string", ".spec.accountId", NULL},
    {"Provider", "string", ".spec.provider", NULL},
    {"Suspended", "boolean", ".spec.suspend", NULL},
    {"Age", "date", ".metadata.creationTimestamp", NULL},
    {0},
};
static const fc_crd_column policy_cols[] = {
    {"Services", "string", ".spec.services", NULL},
    {"Suspended", "boolean", ".spec.suspend", NULL},
    {"Age", "date", ".metadata.creationTimestamp", NULL},
    {0},
};
static const fc_crd_column budget_cols[] = {
    {"Amount", "number", ".spec.amount", NULL},
    {"Currency", "string", ".spec.currency", NULL},
    {"Period", "string", ".spec.period", NULL},
    {"Parent", "string", ".spec.parent", NULL},
    {"Age", "date", ".metadata.creationTimestamp", NULL},
    {0},
};
static const fc_crd_column optimization_cols[] = {
    {"Action", "string", ".spec.action", NULL},
    {"Resource", "string", ".spec.target.resource", NULL},
    {"Risk", "string", ".spec.risk", NULL},
    {"Age", "date", ".metadata.creationTimestamp", NULL},
    {0},
};
static const fc_crd_column schedule_cols[] = {
    {"Interval", "string", ".spec.interval", NULL},
    {"Optimization Time", "string", ".spec.optimizationTime", NULL},
    {"Age", "date", ".metadata.creationTimestamp", NULL},
    {0},
};

static const fc_crd_kind_doc kind_docs[FC_KIND__COUNT] = {
    [FC_KIND_ACCOUNT] = {"accounts", "fcacct",
                         "One cloud account the controller watches.",
                         account_cols},
    [FC_KIND_POLICY] = {"policies", "fcpol",
                        "Which waste and rightsizing rules run where, and "
                        "how many approvals each risk needs.",
                        policy_cols},
    [FC_KIND_BUDGET] = {"budgets", "fcbudget",
                        "An amount per period over a scope, with alert "
                        "thresholds and an optional parent Budget.",
                        budget_cols},
    [FC_KIND_OPTIMIZATION] = {"optimizations", "fcopt",
                              "One action on one resource, approved in git.",
                              optimization_cols},
    [FC_KIND_SCHEDULE] = {"schedules", "fcsched",
                          "When passes, discovery and reports run.",
                          schedule_cols},
};

const fc_crd_kind_doc *fc_crd_kind_doc_get(fc_kind kind)
{
    if ((int)kind < 0 || kind >= FC_KIND__COUNT)
        return NULL;
    return &kind_docs[kind];
}
