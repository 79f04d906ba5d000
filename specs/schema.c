/*
 * schema.c - the libcyaml schema of every finops.dev/v1alpha1 kind.
 *
 * Stage: spec loading (see fc_specs.h).  One table per kind maps the YAML
 * keys (camelCase) onto the public structs of fc_specs.h, so a successful
 * cyaml_load_data() leaves a typed fc_specs_doc whose spec member points at
 * e.g. an fc_budget_spec.  Unknown keys, wrong types and duplicate keys are
 * rejected by libcyaml; string maps (labels, tags, parameters) have no cyaml
 * type and are declared IGNORE here, then read from the libyaml tree by
 * validate.c.  Loaded data belongs to the caller and is freed with
 * fc_specs_doc_free().
 */
#include "specs/specs_int.h"

#include <stddef.h>
#include <stdlib.h>

#define OPT CYAML_FLAG_OPTIONAL
#define REQ CYAML_FLAG_DEFAULT

#define STR(key, flags, type, member)                                      \
    CYAML_FIELD_STRING_PTR(key, flags, type, member, 0, CYAML_UNLIMITED)
#define STRS(key, flags, type, member, count)                              \
    CYAML_FIELD_SEQUENCE_COUNT(key, (flags) | CYAML_FLAG_POINTER, type,    \
                               member, count, &string_entry, 0,            \
                               CYAML_UNLIMITED)
#define MAP(key) CYAML_FIELD_IGNORE(key, OPT)

static const cyaml_schema_value_t string_entry = {
    CYAML_VALUE_STRING(CYAML_FLAG_POINTER, char, 0, CYAML_UNLIMITED),
};

/* metadata */
static const cyaml_schema_field_t meta_fields[] = {
    STR("name", REQ, fc_meta, name),
    MAP("labels"),
    CYAML_FIELD_END,
};

/* Account */
static const cyaml_schema_field_t cost_exports_fields[] = {
    STR("path", REQ, fc_account_cost_exports, path),
    CYAML_FIELD_END,
};

static const cyaml_schema_field_t account_fields[] = {
    STR("accountId", REQ, fc_account_spec, account_id),
    STR("roleArn", OPT, fc_account_spec, role_arn),
    STRS("regions", REQ, fc_account_spec, regions, nregions),
    STR("provider", OPT, fc_account_spec, provider),
    MAP("tags"),
    CYAML_FIELD_MAPPING_PTR("costExports", OPT, fc_account_spec, cost_exports,
                            cost_exports_fields),
    CYAML_FIELD_BOOL("suspend", OPT, fc_account_spec, suspend),
    CYAML_FIELD_END,
};

/* Policy */
static const cyaml_schema_field_t ec2_fields[] = {
    STR("mode", OPT, fc_policy_ec2, mode),
    CYAML_FIELD_FLOAT("idleCpuPercent", OPT, fc_policy_ec2, cpu_percent),
    CYAML_FIELD_UINT("idleDays", OPT, fc_policy_ec2, idle_days),
    CYAML_FIELD_FLOAT("dailyCpuPercent", OPT, fc_policy_ec2,
                      daily_cpu_percent),
    CYAML_FIELD_FLOAT("dailyNetworkMB", OPT, fc_policy_ec2, daily_network_mb),
    CYAML_FIELD_UINT("minIdleDays", OPT, fc_policy_ec2, min_idle_days),
    CYAML_FIELD_UINT("lookbackDays", OPT, fc_policy_ec2, lookback_days),
    CYAML_FIELD_END,
};

static const cyaml_schema_field_t rds_fields[] = {
    CYAML_FIELD_FLOAT("cpuPercent", OPT, fc_policy_rds, cpu_percent),
    CYAML_FIELD_FLOAT("connectionsPercent", OPT, fc_policy_rds,
                      connections_percent),
    CYAML_FIELD_UINT("idleDays", OPT, fc_policy_rds, idle_days),
    CYAML_FIELD_END,
};

static const cyaml_schema_field_t ebs_fields[] = {
    CYAML_FIELD_UINT("unattachedDays", OPT, fc_policy_ebs, unattached_days),
    CYAML_FIELD_BOOL("gp3", OPT, fc_policy_ebs, gp3),
    CYAML_FIELD_END,
};

static const cyaml_schema_field_t snapshots_fields[] = {
    CYAML_FIELD_UINT("maxAgeDays", OPT, fc_policy_snapshots, max_age_days),
    CYAML_FIELD_END,
};

static const cyaml_schema_field_t elb_fields[] = {
    CYAML_FIELD_FLOAT("minRequests", OPT, fc_policy_elb, min_requests),
    CYAML_FIELD_UINT("idleDays", OPT, fc_policy_elb, idle_days),
    CYAML_FIELD_END,
};

static const cyaml_schema_field_t lambda_fields[] = {
    CYAML_FIELD_FLOAT("memoryUsedPercent", OPT, fc_policy_lambda,
                      memory_used_percent),
    CYAML_FIELD_UINT("lookbackDays", OPT, fc_policy_lambda, lookback_days),
    CYAML_FIELD_END,
};

static const cyaml_schema_field_t s3_fields[] = {
    CYAML_FIELD_BOOL("lifecycle", OPT, fc_policy_s3, lifecycle),
    CYAML_FIELD_END,
};

static const cyaml_schema_field_t rightsizing_fields[] = {
    CYAML_FIELD_FLOAT("targetP95Percent", OPT, fc_policy_rightsizing,
                      target_p95_percent),
    CYAML_FIELD_FLOAT("maxPercent", OPT, fc_policy_rightsizing, max_percent),
    CYAML_FIELD_UINT("lookbackDays", OPT, fc_policy_rightsizing,
                     lookback_days),
    CYAML_FIELD_FLOAT("minCoveragePercent", OPT, fc_policy_rightsizing,
                      min_coverage_percent),
    CYAML_FIELD_BOOL("allowArchChange", OPT, fc_policy_rightsizing,
                     allow_arch_change),
    CYAML_FIELD_END,
};

static const cyaml_schema_field_t anomalies_fields[] = {
    CYAML_FIELD_FLOAT("minPercent", OPT, fc_policy_anomalies, min_percent),
    CYAML_FIELD_FLOAT("minAmount", OPT, fc_policy_anomalies, min_amount),
    CYAML_FIELD_FLOAT("sensitivity", OPT, fc_policy_anomalies, sensitivity),
    CYAML_FIELD_END,
};

static const cyaml_schema_field_t approvals_fields[] = {
    CYAML_FIELD_UINT("low", OPT, fc_policy_approvals, low),
    CYAML_FIELD_UINT("medium", OPT, fc_policy_approvals, medium),
    CYAML_FIELD_UINT("high", OPT, fc_policy_approvals, high),
    CYAML_FIELD_END,
};

static const cyaml_schema_field_t exclusions_fields[] = {
    MAP("tags"),
    STRS("names", OPT, fc_policy_exclusions, names, nnames),
    CYAML_FIELD_END,
};

static const cyaml_schema_field_t limits_fields[] = {
    CYAML_FIELD_UINT("maxActionsPerPass", OPT, fc_policy_limits, max_actions_per_pass),
    CYAML_FIELD_UINT("maxActionsPerAccount", OPT, fc_policy_limits, max_actions_per_account),
    CYAML_FIELD_UINT("maxActionsPerHour", OPT, fc_policy_limits, max_actions_per_hour),
    CYAML_FIELD_UINT("verifyTimeoutSeconds", OPT, fc_policy_limits, verify_timeout_seconds),
    CYAML_FIELD_END,
};

static const cyaml_schema_field_t preapproval_fields[] = {
    STR("name", REQ, fc_policy_preapproval, name),
    STR("rule", REQ, fc_policy_preapproval, rule),
    STR("action", REQ, fc_policy_preapproval, action),
    STRS("accounts", OPT, fc_policy_preapproval, accounts, naccounts),
    MAP("accountTags"),
    CYAML_FIELD_END,
};

static const cyaml_schema_value_t preapproval_entry = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, fc_policy_preapproval, preapproval_fields),
};

static const cyaml_schema_field_t policy_approval_fields[] = {
    STRS("approvedBy", OPT, fc_policy_approval, approved_by, napproved_by),
    CYAML_FIELD_END,
};

static const cyaml_schema_field_t policy_fields[] = {
    STRS("services", OPT, fc_policy_spec, services, nservices),
    STRS("regions", OPT, fc_policy_spec, regions, nregions),
    STRS("accounts", OPT, fc_policy_spec, accounts, naccounts),
    CYAML_FIELD_MAPPING("ec2", OPT, fc_policy_spec, ec2, ec2_fields),
    CYAML_FIELD_MAPPING("rds", OPT, fc_policy_spec, rds, rds_fields),
    CYAML_FIELD_MAPPING("ebs", OPT, fc_policy_spec, ebs, ebs_fields),
    CYAML_FIELD_MAPPING("snapshots", OPT, fc_policy_spec, snapshots,
                        snapshots_fields),
    CYAML_FIELD_MAPPING("elb", OPT, fc_policy_spec, elb, elb_fields),
    CYAML_FIELD_MAPPING("lambda", OPT, fc_policy_spec, lambda, lambda_fields),
    CYAML_FIELD_MAPPING("s3", OPT, fc_policy_spec, s3, s3_fields),
    CYAML_FIELD_MAPPING("rightsizing", OPT, fc_policy_spec, rightsizing,
                        rightsizing_fields),
    CYAML_FIELD_MAPPING("approvals", OPT, fc_policy_spec, approvals,
                        approvals_fields),
    CYAML_FIELD_MAPPING("exclusions", OPT, fc_policy_spec, exclusions,
                        exclusions_fields),
    CYAML_FIELD_MAPPING("anomalies", OPT, fc_policy_spec, anomalies,
                        anomalies_fields),
    CYAML_FIELD_MAPPING("limits", OPT, fc_policy_spec, limits, limits_fields),
    CYAML_FIELD_BOOL("irreversible", OPT, fc_policy_spec, irreversible),
    CYAML_FIELD_SEQUENCE_COUNT("preApproved", OPT | CYAML_FLAG_POINTER, fc_policy_spec,
                               pre_approved, npre_approved, &preapproval_entry, 0,
                               CYAML_UNLIMITED),
    CYAML_FIELD_MAPPING("approval", OPT, fc_policy_spec, approval, policy_approval_fields),
    CYAML_FIELD_BOOL("suspend", OPT, fc_policy_spec, suspend),
    CYAML_FIELD_END,
};

/* Budget */
static const cyaml_schema_field_t threshold_fields[] = {
    CYAML_FIELD_FLOAT("percent", REQ, fc_budget_threshold, percent),
    STR("type", OPT, fc_budget_threshold, type),
    CYAML_FIELD_END,
};

static const cyaml_schema_value_t threshold_entry = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, fc_budget_threshold,
                        threshold_fields),
};

static const cyaml_schema_field_t scope_fields[] = {
    STRS("accounts", OPT, fc_budget_scope, accounts, naccounts),
    STRS("services", OPT, fc_budget_scope, services, nservices),
    STRS("regions", OPT, fc_budget_scope, regions, nregions),
    MAP("tags"),
    CYAML_FIELD_END,
};

static const cyaml_schema_field_t budget_fields[] = {
    CYAML_FIELD_FLOAT("amount", REQ, fc_budget_spec, amount),
    STR("currency", OPT, fc_budget_spec, currency),
    STR("period", OPT, fc_budget_spec, period),
    STR("parent", OPT, fc_budget_spec, parent),
    CYAML_FIELD_MAPPING("scope", OPT, fc_budget_spec, scope, scope_fields),
    CYAML_FIELD_SEQUENCE_COUNT("thresholds", OPT | CYAML_FLAG_POINTER,
                               fc_budget_spec, thresholds, nthresholds,
                               &threshold_entry, 0, CYAML_UNLIMITED),
    STRS("notify", OPT, fc_budget_spec, notify, nnotify),
    CYAML_FIELD_BOOL("suspend", OPT, fc_budget_spec, suspend),
    CYAML_FIELD_END,
};

/* Optimization */
static const cyaml_schema_field_t target_fields[] = {
    STR("account", REQ, fc_opt_target, account),
    STR("region", REQ, fc_opt_target, region),
    STR("resource", REQ, fc_opt_target, resource),
    CYAML_FIELD_END,
};

static const cyaml_schema_field_t approval_fields[] = {
    STRS("approvedBy", OPT, fc_opt_approval, approved_by, napproved_by),
    CYAML_FIELD_END,
};

static const cyaml_schema_field_t window_fields[] = {
    STRS("days", OPT, fc_opt_window, days, ndays),
    STR("start", OPT, fc_opt_window, start),
    STR("end", OPT, fc_opt_window, end),
    STR("timezone", OPT, fc_opt_window, timezone),
    CYAML_FIELD_END,
};

static const cyaml_schema_field_t rollback_fields[] = {
    CYAML_FIELD_BOOL("onFailure", OPT, fc_opt_rollback, on_failure),
    CYAML_FIELD_BOOL("requested", OPT, fc_opt_rollback, requested),
    CYAML_FIELD_END,
};

static const cyaml_schema_field_t optimization_fields[] = {
    CYAML_FIELD_MAPPING("target", REQ, fc_optimization_spec, target,
                        target_fields),
    STR("action", REQ, fc_optimization_spec, action),
    MAP("parameters"),
    CYAML_FIELD_MAPPING("approval", OPT, fc_optimization_spec, approval,
                        approval_fields),
    CYAML_FIELD_MAPPING_PTR("window", OPT, fc_optimization_spec, window,
                            window_fields),
    STR("risk", OPT, fc_optimization_spec, risk),
    CYAML_FIELD_MAPPING("rollback", OPT, fc_optimization_spec, rollback,
                        rollback_fields),
    CYAML_FIELD_BOOL("suspend", OPT, fc_optimization_spec, suspend),
    CYAML_FIELD_END,
};

/* Schedule.  report.{weekday,time} are two adjacent members of the public
 * struct, not a nested struct; this twin has the same layout so cyaml can
 * load the nested mapping straight into them. */
typedef struct {
    char *weekday;
    char *time;
} schedule_report;

_Static_assert(offsetof(fc_schedule_spec, report_time) -
                       offsetof(fc_schedule_spec, report_day) ==
                   offsetof(schedule_report, time),
               "report_day/report_time must stay adjacent");

static const cyaml_schema_field_t report_fields[] = {
    STR("weekday", OPT, schedule_report, weekday),
    STR("time", OPT, schedule_report, time),
    CYAML_FIELD_END,
};

static const cyaml_schema_field_t cron_fields[] = {
    STR("name", REQ, fc_schedule_cron, name),
    STR("schedule", REQ, fc_schedule_cron, schedule),
    STR("task", OPT, fc_schedule_cron, task),
    CYAML_FIELD_END,
};

static const cyaml_schema_value_t cron_entry = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, fc_schedule_cron, cron_fields),
};

static const cyaml_schema_field_t schedule_fields[] = {
    STR("interval", OPT, fc_schedule_spec, interval),
    STR("discoveryInterval", OPT, fc_schedule_spec, discovery_interval),
    STR("optimizationTime", OPT, fc_schedule_spec, optimization_time),
    {
        .key = "report",
        .data_offset = offsetof(fc_schedule_spec, report_day),
        .value = {CYAML_VALUE_MAPPING(OPT, schedule_report, report_fields)},
    },
    STR("timezone", OPT, fc_schedule_spec, timezone),
    CYAML_FIELD_BOOL("suspend", OPT, fc_schedule_spec, suspend),
    CYAML_FIELD_SEQUENCE_COUNT("cron", OPT | CYAML_FLAG_POINTER, fc_schedule_spec, cron,
                               ncron, &cron_entry, 0, CYAML_UNLIMITED),
    CYAML_FIELD_END,
};

/* The document: apiVersion and kind are checked on the libyaml tree before
 * cyaml runs (the kind picks the schema), so they are optional here to
 * avoid reporting a missing one twice. */
#define SPEC_FIELD(type, fields)                                           \
    {                                                                      \
        .key = "spec", .data_offset = offsetof(fc_specs_doc, spec),        \
        .value = {CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, type, fields)},  \
    }

#define DOC_FIELDS(name, type, fields)                                     \
    static const cyaml_schema_field_t name[] = {                           \
        STR("apiVersion", OPT, fc_specs_doc, api_version),                 \
        STR("kind", OPT, fc_specs_doc, kind),                              \
        CYAML_FIELD_MAPPING("metadata", REQ, fc_specs_doc, metadata,       \
                            meta_fields),                                  \
        SPEC_FIELD(type, fields),                                          \
        CYAML_FIELD_END,                                                   \
    }

DOC_FIELDS(account_doc, fc_account_spec, account_fields);
DOC_FIELDS(policy_doc, fc_policy_spec, policy_fields);
DOC_FIELDS(budget_doc, fc_budget_spec, budget_fields);
DOC_FIELDS(optimization_doc, fc_optimization_spec, optimization_fields);
DOC_FIELDS(schedule_doc, fc_schedule_spec, schedule_fields);

static const cyaml_schema_value_t doc_schemas[FC_KIND__COUNT] = {
    [FC_KIND_ACCOUNT] = {CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, fc_specs_doc,
                                             account_doc)},
    [FC_KIND_POLICY] = {CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, fc_specs_doc,
                                            policy_doc)},
    [FC_KIND_BUDGET] = {CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, fc_specs_doc,
                                            budget_doc)},
    [FC_KIND_OPTIMIZATION] = {CYAML_VALUE_MAPPING(
        CYAML_FLAG_POINTER, fc_specs_doc, optimization_doc)},
    [FC_KIND_SCHEDULE] = {CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER,
                                              fc_specs_doc, schedule_doc)},
};

const cyaml_schema_value_t *fc_specs_schema(fc_kind kind)
{
    if ((int)kind < 0 || kind >= FC_KIND__COUNT)
        return NULL;
    return &doc_schemas[kind];
}

void *fc_specs_cyaml_mem(void *ctx, void *ptr, size_t size)
{
    (void)ctx;
    if (size == 0) {
        free(ptr);
        return NULL;
    }
    return realloc(ptr, size);
}

static void kv_free(fc_kv *kv, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        free(kv[i].key);
        free(kv[i].value);
    }
    free(kv);
}

void fc_specs_doc_free(fc_kind kind, fc_specs_doc *doc)
{
    static const cyaml_config_t cfg = {
        .mem_fn = fc_specs_cyaml_mem,
        .log_level = CYAML_LOG_ERROR,
    };

    if (!doc)
        return;
    /* String maps are invisible to cyaml (IGNORE fields): free them first. */
    kv_free(doc->metadata.labels, doc->metadata.nlabels);
    doc->metadata.labels = NULL;
    doc->metadata.nlabels = 0;
    if (doc->spec) {
        switch (kind) {
        case FC_KIND_ACCOUNT: {
            fc_account_spec *a = doc->spec;
            kv_free(a->tags, a->ntags);
            a->tags = NULL;
            a->ntags = 0;
            break;
        }
        case FC_KIND_POLICY: {
            fc_policy_spec *p = doc->spec;
            kv_free(p->exclusions.tags, p->exclusions.ntags);
            p->exclusions.tags = NULL;
            p->exclusions.ntags = 0;
            for (unsigned i = 0; p->pre_approved && i < p->npre_approved; i++) {
                kv_free(p->pre_approved[i].account_tags, p->pre_approved[i].naccount_tags);
                p->pre_approved[i].account_tags = NULL;
                p->pre_approved[i].naccount_tags = 0;
            }
            break;
        }
        case FC_KIND_BUDGET: {
            fc_budget_spec *b = doc->spec;
            kv_free(b->scope.tags, b->scope.ntags);
            b->scope.tags = NULL;
            b->scope.ntags = 0;
            break;
        }
        case FC_KIND_OPTIMIZATION: {
            fc_optimization_spec *o = doc->spec;
            kv_free(o->parameters, o->nparameters);
            o->parameters = NULL;
            o->nparameters = 0;
            break;
        }
        default:
            break;
        }
    }
    cyaml_free(&cfg, fc_specs_schema(kind), doc, 0);
}
