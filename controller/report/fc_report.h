/*
 * fc_report.h - the pass's reports: markdown (executive summary, detailed
 * findings, prioritised recommendations, budgets, anomalies, inventory,
 * next steps) with SVG charts it links relatively, so a git forge shows
 * them inline.
 *
 * fc_report_build() is pure: it reads what the pass already holds in memory
 * (inventory with its daily costs, recommendations, anomalies, plan,
 * execution journal, specs) and the clock, and adds files to a status tree.
 * Same inputs and clock give byte-identical files, so status commits do not
 * churn.  fc_report_write_dir() is the only I/O here (the `report` command).
 */
#ifndef FC_REPORT_H
#define FC_REPORT_H

#include "controller/cloud/fc_cloud.h"
#include "controller/engines/fc_engines.h"
#include "controller/status/fc_status.h"
#include "reconcilers/fc_reconcilers.h"
#include "specs/fc_specs.h"

#include <stddef.h>
#include <stdint.h>

typedef enum {
    FC_REPORT_ALL,          /* latest.md: every section */
    FC_REPORT_DISCOVERY,    /* discovery.md: inventory, cost by service */
    FC_REPORT_OPTIMIZATION, /* optimization.md: findings, recommendations */
    FC_REPORT_ANOMALY,      /* anomaly.md */
    FC_REPORT_BUDGET        /* budget.md: budgets and burn-down */
} fc_report_kind;

/* "all", "discovery", ...: the kind, or -1. */
int fc_report_kind_parse(const char *s);
const char *fc_report_kind_name(fc_report_kind k);

struct fc_exec_list;

typedef struct {
    int64_t now;                          /* the pass clock */
    const char *currency;                 /* catalogue currency; NULL = the
                                             inventory's, else USD */
    const fc_spec_set *specs;             /* Budgets are evaluated from it */
    const fc_inventory *inv;              /* resources and daily costs */
    const fc_recommendation_list *recs;
    const fc_anomaly_list *anomalies;     /* NULL = none */
    const fc_plan *plan;                  /* NULL = none */
    const struct fc_exec_list *executions; /* NULL = none */
    /* Files already in the pass's status tree (proposals/<id>.yaml is
     * named in next steps only when it exists); NULL = none known. */
    const fc_status_tree *status;
    /* Previous bytes of a status file (dated reports are carried forward
     * through status/reports/index.md); NULL = no history. */
    int (*prev)(void *payload, const char *path, fc_buf *out);
    void *prev_payload;
} fc_report_input;

/*
 * Adds the report of `kind` under dir ("status/reports", or "" for a plain
 * folder): <dir>/latest.md for FC_REPORT_ALL, else <dir>/<kind>.md, and
 * <dir>/charts/<chart>.svg for every chart it links.  With `dated`, the
 * full report is also <dir>/<YYYY-MM-DD>.md (the clock's day) and listed
 * in <dir>/index.md with the earlier dated reports in->prev still has.
 */
int fc_report_build(fc_status_tree *out, const fc_report_input *in, fc_report_kind kind,
                    const char *dir, int dated);

/* Whether the weekly report is due at now: the clock's weekday is the
 * Schedule's report weekday (the first Schedule by name), or always when
 * there is no Schedule or it names no weekday. */
int fc_report_due(const fc_spec_set *specs, int64_t now);

/* Writes every file of t under dir (created, with subfolders). */
int fc_report_write_dir(const fc_status_tree *t, const char *dir);

#endif
