/*
 * run.c - one reconcile pass (DESIGN.md, "the spine").
 *
 * Inputs: options (repo, clock, files).  Outputs: a status commit pushed to
 * the tracked branch, or for plan/validate a report on opts->out.  Owns every
 * per-pass structure and frees them before returning.  A push rejected as
 * non-fast-forward re-runs the pass on the new head (bounded), so a human's
 * commit is never overwritten.
 */
#include "controller/pass/fc_run.h"
#include "controller/cloud/fc_cloud.h"
#include "controller/core/fc_error.h"
#include "controller/core/fc_log.h"
#include "controller/engines/fc_engines.h"
#include "controller/executor/fc_executor.h"
#include "controller/forge/fc_forge.h"
#include "controller/forge/fc_forge_status.h"
#include "controller/http/fc_http.h"
#include "controller/ingest/fc_ingest.h"
#include "controller/notify/fc_notify.h"
#include "controller/pass/fc_approvals.h"
#include "controller/pass/fc_memo.h"
#include "controller/report/fc_report.h"
#include "controller/core/crashpoint.h"
#include "controller/state/fc_runs.h"
#include "controller/shard/fc_shard.h"
#include "reconcilers/fc_reconcilers.h"
#include "specs/fc_approvers.h"
#include "specs/fc_specs.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

long fc_parse_duration(const char *s)
{
    char *end;
    long v;
    if (!s || !*s)
        return -1;
    v = strtol(s, &end, 10);
    if (end == s || v <= 0 || end[0] == '\0' || end[1] != '\0')
        return -1;
    switch (*end) {
    case 's':
        return v;
    case 'm':
        return v * 60;
    case 'h':
        return v * 3600;
    case 'd':
        return v * 86400;
    }
    return -1;
}

typedef struct {
    fc_gitsync *git;
    const char *head;
} prev_ctx;

static int read_prev(void *payload, const char *path, fc_buf *out)
{
    prev_ctx *c = payload;
    if (!c->head[0]) /* a status branch not created yet: no previous status */
        return fc_error_set(FC_ENOTFOUND, "%s: no previous status", path);
    return fc_gitsync_read_file(c->git, c->head, path, out);
}

/* Days of cost history the longest budget period needs. */
static int cost_days_for(const fc_spec_set *set)
{
    int days = 62;
    size_t i;
    for (i = 0; i < set->nobjects; i++) {
        const char *p;
        if (set->objects[i].kind != FC_KIND_BUDGET)
            continue;
        p = set->objects[i].spec.budget->period;
        if (p && strcmp(p, "annual") == 0 && days < 367)
            days = 367;
        else if (p && strcmp(p, "quarterly") == 0 && days < 93)
            days = 93;
    }
    return days;
}

static int metric_days_for(const fc_spec_set *set)
{
    int days = 30; /* commitments: 30 days of hourly usage */
    size_t i;
    for (i = 0; i < set->nobjects; i++) {
        const fc_object *o = &set->objects[i];
        if (o->kind != FC_KIND_POLICY)
            continue;
        /* Every rule's lookback (ec2, rds, elb, lambda, rightsizing). */
        if ((int)fc_policy_lookback_days(o->spec.policy) > days)
            days = (int)fc_policy_lookback_days(o->spec.policy);
    }
    return days;
}

/* The provider an Account spec uses: its own `provider:`, else --provider. */
static const char *effective_provider(const fc_run_opts *o, const fc_account_spec *a)
{
    if (a->provider)
        return a->provider;
    return o->provider ? o->provider : "sim";
}

static int open_provider(const fc_run_opts *o, const char *name, int64_t now,
                         fc_cloud **out)
{
    fc_aws_opts ao;
    if (strcmp(name, "sim") == 0) /* with the changes the executor made */
        return fc_sim_open_with_state(out, o->sim_file, o->state_dir);
    memset(&ao, 0, sizeof(ao));
    ao.endpoint_url = o->endpoint_url;
    ao.service_endpoints = o->service_endpoints;
    ao.nservice_endpoints = o->nservice_endpoints;
    ao.seed = fc_hash_str("aws-jitter", (uint64_t)now); /* reproducible retries */
    return fc_aws_open(out, &ao);
}

/* Discovers the accounts that Account specs declare, each with its provider
 * (sim or aws) into one inventory.  When one provider reads nothing while
 * another works, its accounts are marked stale instead of failing the pass. */
static int discover(const fc_run_opts *o, const fc_spec_set *set, int64_t now,
                    fc_inventory *inv)
{
    static const char *const providers[] = {"sim", "aws"};
    fc_scope_account *accts = NULL;
    fc_discovery_scope scope;
    fc_discovery_progress prog;
    size_t i, p, n, ok = 0, tried = 0, nscopes = 0, pscopes;
    int rc = FC_OK, last = FC_OK;

    accts = calloc(set->nobjects ? set->nobjects : 1, sizeof(*accts));
    if (!accts)
        return fc_error_set(FC_ENOMEM, "scope");
    for (i = 0; i < set->nobjects; i++) /* progress: regions of every Account */
        if (set->objects[i].kind == FC_KIND_ACCOUNT)
            nscopes += set->objects[i].spec.account->nregions;
    fc_discovery_progress_init(&prog, nscopes, inv);
    /* Nothing declared: an empty inventory, not the whole estate. */
    inv->observed_at = now - now % FC_HOUR;
    for (p = 0; p < FC_ARRAY_LEN(providers); p++) {
        fc_cloud *cloud = NULL;
        for (i = 0, n = 0, pscopes = 0; i < set->nobjects; i++) {
            const fc_object *ob = &set->objects[i];
            const fc_account_spec *a;
            if (ob->kind != FC_KIND_ACCOUNT)
                continue;
            a = ob->spec.account;
            if (strcmp(effective_provider(o, a), providers[p]) != 0)
                continue;
            accts[n].account = a->account_id;
            accts[n].role_arn = a->role_arn;
            accts[n].regions = (const char *const *)a->regions;
            accts[n].nregions = a->nregions;
            pscopes += a->nregions;
            n++;
        }
        if (n == 0)
            continue;
        memset(&scope, 0, sizeof(scope));
        scope.accounts = accts;
        scope.naccounts = n;
        scope.now = now;
        scope.metric_days = metric_days_for(set);
        scope.cost_days = cost_days_for(set);
        scope.progress = fc_discovery_progress_report;
        scope.progress_payload = &prog;
        tried++;
        if ((rc = open_provider(o, providers[p], now, &cloud)) == FC_OK)
            rc = fc_cloud_discover(cloud, &scope, inv);
        fc_cloud_free(cloud);
        fc_discovery_progress_provider_done(&prog, pscopes);
        if (rc == FC_OK) {
            ok++;
            continue;
        }
        last = rc;
        {
            char obj[32];
            snprintf(obj, sizeof(obj), "provider/%s", providers[p]);
            fc_log_obj(FC_LOG_ERROR, obj, "discovery failed: %s", fc_error_last());
        }
        for (i = 0; i < n; i++)
            if (fc_inventory_add_stale(inv, accts[i].account, "", "", fc_error_last()))
                break;
    }
    free(accts);
    if (tried && !ok)
        return last; /* the message of the last failure is still current */
    return FC_OK;
}

static void print_errors(FILE *out, const fc_spec_set *set)
{
    size_t i;
    char line[1024];
    for (i = 0; i < set->nerrors; i++) {
        fc_spec_error_format(&set->errors[i], line, sizeof(line));
        fprintf(out, "%s\n", line);
    }
}

static void print_plan(FILE *out, const fc_plan *plan,
                       const fc_recommendation_list *recs,
                       const fc_status_tree *st, prev_ctx *prev)
{
    size_t i, changed = 0;
    double saving = 0;
    fc_buf b;

    fprintf(out, "Optimizations (dry-run):\n");
    if (!plan->n)
        fprintf(out, "  none\n");
    for (i = 0; i < plan->n; i++) {
        const fc_plan_item *it = &plan->items[i];
        fprintf(out, "  %-8s %s: %s %s (%s/%s) - %s\n",
                fc_plan_state_name(it->state), it->optimization, it->action,
                it->resource, it->account, it->region, it->message);
    }
    fprintf(out, "Recommendations:\n");
    for (i = 0; i < recs->n; i++) {
        saving += recs->items[i].monthly_saving;
        fprintf(out, "  %s: %.2f %s/month (%s risk)\n", recs->items[i].id,
                recs->items[i].monthly_saving, recs->items[i].currency,
                fc_risk_name(recs->items[i].risk));
    }
    fprintf(out, "  total: %zu, %.2f/month\n", recs->n, saving);
    fprintf(out, "Status files that would change:\n");
    fc_buf_init(&b);
    for (i = 0; i < st->n; i++) {
        int rc;
        b.len = 0;
        rc = read_prev(prev, st->files[i].path, &b);
        if (rc == FC_ENOTFOUND) {
            fprintf(out, "  A %s\n", st->files[i].path);
            changed++;
        } else if (rc == FC_OK &&
                   (b.len != st->files[i].len ||
                    memcmp(b.data, st->files[i].data, b.len) != 0)) {
            fprintf(out, "  M %s\n", st->files[i].path);
            changed++;
        }
    }
    fc_buf_dispose(&b);
    if (!changed)
        fprintf(out, "  none\n");
}

/* "status: 21 recommendations, 2 budgets over threshold, 1 action planned":
 * what a reviewer scanning the log wants, then the figures behind it. */
static void commit_message(fc_buf *m, const fc_run_result *res, const fc_plan *plan,
                           size_t budgets_over)
{
    size_t i, blocked = 0;
    for (i = 0; i < plan->n; i++)
        blocked += plan->items[i].state == FC_PLAN_BLOCKED;
    fc_buf_printf(m, "status: %zu recommendation%s, %zu budget%s over threshold, "
                     "%zu action%s planned\n\n",
                  res->nrecommendations, res->nrecommendations == 1 ? "" : "s",
                  budgets_over, budgets_over == 1 ? "" : "s", res->nplanned,
                  res->nplanned == 1 ? "" : "s");
    fc_buf_printf(m, "%zu resources observed; recommendations save %.2f/month.\n",
                  res->nresources, res->monthly_saving);
    fc_buf_printf(m, "%zu specs valid, %zu errors; %zu actions planned (dry-run), "
                     "%zu blocked.\n\n",
                  res->nobjects, res->nerrors, res->nplanned, blocked);
    fc_buf_printf(m, "Observed-Commit: %s\n", res->spec_commit);
}

/* Takes <root>/approvers.yaml out of the spec files and parses it.  A
 * missing or broken list leaves *out NULL and the reason in *why. */
static int take_approvers(fc_file_list *files, const char *root, fc_approvers **out,
                          char **why)
{
    char *path;
    size_t i;
    int rc = FC_OK;
    int at_root = !root || !*root || strcmp(root, ".") == 0;

    *out = NULL;
    *why = NULL;
    path = at_root ? fc_strdup(FC_APPROVERS_FILE)
                   : fc_asprintf("%s/%s", root, FC_APPROVERS_FILE);
    if (!path)
        return fc_error_set(FC_ENOMEM, "out of memory");
    for (i = 0; i < files->n; i++)
        if (strcmp(files->files[i].path, path) == 0)
            break;
    /* With the repo root as spec root, the conventional finops/ folder
     * (DESIGN.md) holds the list. */
    if (i == files->n && at_root) {
        free(path);
        if (!(path = fc_strdup("finops/" FC_APPROVERS_FILE)))
            return fc_error_set(FC_ENOMEM, "out of memory");
        for (i = 0; i < files->n; i++)
            if (strcmp(files->files[i].path, path) == 0)
                break;
    }
    if (i == files->n) {
        *why = fc_asprintf("%s is missing: no one can approve", path);
    } else {
        fc_spec_file f = files->files[i];
        if (fc_approvers_parse(out, f.path, f.data, f.len) != FC_OK)
            *why = fc_strdup(fc_error_last());
        free((char *)f.path);
        free((char *)f.data);
        memmove(&files->files[i], &files->files[i + 1],
                (files->n - i - 1) * sizeof(files->files[0]));
        files->n--;
    }
    if (!*out && !*why)
        rc = fc_error_set(FC_ENOMEM, "out of memory");
    free(path);
    return rc;
}

static int all_policies_suspended(const fc_spec_set *set)
{
    size_t i, n = 0, paused = 0;
    for (i = 0; i < set->nobjects; i++) {
        if (set->objects[i].kind != FC_KIND_POLICY)
            continue;
        n++;
        paused += set->objects[i].suspended != 0;
    }
    return n > 0 && paused == n;
}

/* Seconds between discoveries: the Schedule's discoveryInterval, else 1h. */
static int64_t discovery_every(const fc_spec_set *set)
{
    size_t i;
    for (i = 0; i < set->nobjects; i++) {
        const fc_object *ob = &set->objects[i];
        long v;
        if (ob->kind == FC_KIND_SCHEDULE && ob->spec.schedule->discovery_interval &&
            (v = fc_parse_duration(ob->spec.schedule->discovery_interval)) > 0)
            return v;
    }
    return 3600;
}

/* After a pass: the remote now stands at head_after. */
static void remember(fc_state *state, const char *key, fc_memo *memo, const char *head_after)
{
    if (!state)
        return;
    snprintf(memo->head_after, sizeof(memo->head_after), "%s", head_after);
    if (fc_memo_save(state, key, memo) != FC_OK)
        fc_warn("pass memo not saved: %s", fc_error_last());
}

/* One attempt: returns FC_ECONFLICT when the push lost a race. */
/* ---- executor wiring (controller/executor) ---- */

/* Providers opened lazily for execution, one per kind, for the pass. */
typedef struct {
    const fc_run_opts *o;
    const fc_spec_set *set;
    int64_t now;
    fc_cloud *clouds[2]; /* sim, aws */
} exec_clouds;

static int exec_cloud_for(void *payload, const char *account, fc_cloud **cloud,
                          const char **role_arn)
{
    exec_clouds *x = payload;
    const fc_account_spec *a = NULL;
    const char *name;
    size_t i;
    int k, rc;

    for (i = 0; i < x->set->nobjects && !a; i++)
        if (x->set->objects[i].kind == FC_KIND_ACCOUNT &&
            strcmp(x->set->objects[i].spec.account->account_id, account) == 0)
            a = x->set->objects[i].spec.account;
    if (!a)
        return fc_error_set(FC_ENOTFOUND, "no Account spec for %s", account);
    name = effective_provider(x->o, a);
    k = strcmp(name, "sim") == 0 ? 0 : 1;
    if (!x->clouds[k] && (rc = open_provider(x->o, name, x->now, &x->clouds[k])) != FC_OK)
        return rc;
    *cloud = x->clouds[k];
    *role_arn = a->role_arn;
    return FC_OK;
}

/* Runs the executor (journal first; nothing without --live) and re-reads
 * the journal into *rows for the status.  *executed counts actions sent. */
static int execute(const fc_run_opts *o, fc_state *state, const fc_spec_set *set,
                   const fc_inventory *inv, const fc_plan *plan,
                   const fc_approval_evidence *ev, size_t nev, const char *commit,
                   int64_t now, fc_exec_list *rows, size_t *executed,
                   const fc_spec_set *all)
{
    exec_clouds x = {o, set, now, {NULL, NULL}};
    fc_executor_input in;
    fc_exec_report rep;
    size_t i;
    int rc;

    memset(&in, 0, sizeof(in));
    in.plan = plan;
    in.specs = set;
    in.inv = inv;
    in.evidence = ev;
    in.nevidence = nev;
    in.commit = commit;
    in.state = state;
    in.cloud_for = exec_cloud_for;
    in.payload = &x;
    in.now = now;
    in.live = o->live;
    in.all_specs = all;              /* a suspended Optimization is not deleted */
    in.rollback_id = o->rollback_id; /* `rollback ID` */
    fc_exec_report_init(&rep);
    rc = fc_executor_run(&rep, &in);
    for (i = 0; i < rep.n; i++) {
        char obj[300];
        snprintf(obj, sizeof(obj), "optimization/%s", rep.items[i].optimization);
        fc_metrics_action(rep.items[i].result);
        fc_log_obj(FC_LOG_INFO, obj, "execution: %s%s%s: %s", rep.items[i].result,
                   rep.items[i].reason ? " " : "",
                   rep.items[i].reason ? rep.items[i].reason : "", rep.items[i].message);
    }
    *executed = rep.done + rep.failed;
    fc_exec_report_dispose(&rep);
    fc_cloud_free(x.clouds[0]);
    fc_cloud_free(x.clouds[1]);
    if (rc == FC_OK) {
        fc_exec_list_dispose(rows);
        rc = fc_journal_list(state, -1, rows);
    }
    return rc;
}

/* ---- end executor wiring */

/* ---- reports (controller/report) */

/* Reconcile and plan: status/reports/ in the status tree (the dated weekly
 * report when the scheduler says it is due, or on the Schedule's report
 * weekday: `reconcile --once` has no scheduler).  `report`: only the asked
 * report, written to --out and nowhere else. */
static int write_reports(const fc_run_opts *o, const fc_spec_set *active,
                         const fc_inventory *inv, const fc_price_table *prices,
                         const fc_recommendation_list *recs, const fc_anomaly_list *anomalies,
                         const fc_plan *plan, const fc_exec_list *execs, fc_status_tree *st,
                         prev_ctx *prev, int64_t now)
{
    const char *dir = o->report_out ? o->report_out : "finops-report";
    fc_report_input in;
    fc_status_tree local;
    int kind, rc, dated = o->report_due || fc_report_due(active, now);

    memset(&in, 0, sizeof(in));
    in.now = now;
    in.currency = prices ? prices->currency : NULL;
    in.specs = active;
    in.inv = inv;
    in.recs = recs;
    in.anomalies = anomalies;
    in.plan = plan;
    in.executions = execs;
    in.status = st;
    in.prev = read_prev;
    in.prev_payload = prev;
    if (o->mode != FC_RUN_REPORT)
        return fc_report_build(st, &in, FC_REPORT_ALL, "status/reports", dated);
    if ((kind = fc_report_kind_parse(o->report_kind ? o->report_kind : "all")) < 0)
        return fc_error_set(FC_EINVALID, "report: unknown kind '%s'", o->report_kind);
    in.prev = NULL; /* a folder has no history of dated reports */
    fc_status_tree_init(&local);
    rc = fc_report_build(&local, &in, (fc_report_kind)kind, "", dated);
    if (rc == FC_OK) {
        fc_status_tree_sort(&local);
        rc = fc_report_write_dir(&local, dir);
    }
    if (rc == FC_OK)
        fprintf(o->out ? o->out : stdout, "%s report: %zu files in %s\n",
                fc_report_kind_name((fc_report_kind)kind), local.n, dir);
    fc_status_tree_dispose(&local);
    return rc;
}

/* ---- end reports */

static int attempt(const fc_run_opts *o, fc_gitsync *git, fc_state *state, int64_t now,
                   fc_run_result *res, fc_run_track *tr)
{
    FILE *out = o->out ? o->out : stdout;
    fc_file_list files = {0};
    fc_spec_set *set = NULL;
    fc_spec_set active = {0}; /* set without suspended objects */
    fc_approvers *approvers = NULL;
    char *approvers_error = NULL;
    fc_approval_evidence *evidence = NULL;
    size_t nevidence = 0;
    fc_inventory inv;
    fc_price_table *prices = NULL;
    fc_sp_rates *sp_rates = NULL;
    fc_memo memo;
    char memo_key[1024];
    /* --live never skips on the memo: a window opening is a change the memo
     * cannot see, and an approved action must not wait for discovery. */
    int use_memo = state && o->mode == FC_RUN_RECONCILE && !o->force && !o->live &&
                   !o->shards; /* the memo knows no shards: always rediscover */
    unsigned char held[FC_SHARD_MAX]; /* --shards: the shards this pass serves */
    fc_anomaly_list anomalies;
    fc_budget_alert_list alerts;
    fc_recommendation_list recs;
    fc_status_tree st;
    fc_plan plan;
    fc_pass pass;
    fc_exec_list execs; /* execution journal rows, for status/executions */
    size_t nexecuted = 0;
    prev_ctx prev;
    fc_buf msg;
    char *disc_err = NULL;
    size_t i;
    int rc, changed = 0, alerts_on = 0;
    double t_git;
    char line_detail[64];

    fc_inventory_init(&inv);
    fc_anomaly_list_init(&anomalies);
    fc_budget_alert_list_init(&alerts);
    fc_recommendation_list_init(&recs);
    fc_status_tree_init(&st);
    fc_plan_init(&plan);
    fc_exec_list_init(&execs);
    fc_buf_init(&msg);

    fc_run_track_phase(tr, "sync"); /* workflow run checkpoints (fc_runs.h) */
    t_git = fc_metrics_clock(); /* http metrics: git sync duration */
    rc = fc_gitsync_fetch(git, res->head);
    fc_metrics_git("sync", fc_metrics_clock() - t_git, rc);
    if (rc != FC_OK)
        goto done;
    if ((rc = fc_gitsync_spec_commit(git, res->head, res->spec_commit)) != FC_OK)
        goto done;
    /* --status-branch: status is built on that branch's tip, specs on head */
    snprintf(res->status_base, sizeof(res->status_base), "%s", res->head);
    if (o->status_branch && (rc = fc_gitsync_fetch_status(git, res->status_base)) != FC_OK)
        goto done;
    fc_run_track_head(tr, res->head);
    if (use_memo) {
        snprintf(memo_key, sizeof(memo_key), "%s\n%s\n%s%s%s", o->repo,
                 o->branch ? o->branch : "main", o->path ? o->path : "",
                 o->status_branch ? "\nstatus:" : "", o->status_branch ? o->status_branch : "");
        if (fc_memo_load(state, memo_key, &memo) != FC_OK) {
            fc_warn("pass memo unavailable: %s", fc_error_last());
            use_memo = 0;
        }
    }
    /* Same head, same specs, discovery not due: nothing can have changed. */
    if (use_memo && memo.found && strcmp(memo.head_after, res->status_base) == 0 &&
        strcmp(memo.spec_commit, res->spec_commit) == 0 && now >= memo.discovered_at &&
        now - memo.discovered_at < memo.discovery_every && !o->discovery_due) {
        res->skipped = 1;
        fc_info("nothing due at %.12s: discovery due in %lld s", res->head,
                (long long)(memo.discovery_every - (now - memo.discovered_at)));
        fc_notify_pass_flush(state, now); /* earlier failed sends still go out */
        goto done;
    }
    if ((rc = fc_gitsync_read_specs(git, res->head, o->path ? o->path : "", &files)))
        goto done;
    if ((rc = take_approvers(&files, o->path, &approvers, &approvers_error)) != FC_OK)
        goto done;
    if (approvers_error)
        fc_warn("approvals: %s", approvers_error);
    if (approvers && o->verify_signatures)
        approvers->verify_signatures = 1; /* --verify-signatures: the operator's floor */
    if ((rc = fc_specs_load(&set, files.files, files.n)) != FC_OK)
        goto done;
    res->nobjects = set->nobjects;
    res->nerrors = set->nerrors;
    for (i = 0; i < set->nobjects; i++)
        if (set->objects[i].kind == FC_KIND_SCHEDULE) {
            if (set->objects[i].spec.schedule->interval)
                snprintf(res->interval, sizeof(res->interval), "%s",
                         set->objects[i].spec.schedule->interval);
            fc_sched_config_from_spec(&res->schedule, set->objects[i].spec.schedule);
        }
    fc_info("specs at %.12s: %zu files, %zu valid objects, %zu errors", res->head,
            files.n, set->nobjects, set->nerrors);
    if (o->mode == FC_RUN_VALIDATE) {
        print_errors(out, set);
        fprintf(out, "%zu files, %zu valid objects, %zu errors at %.12s\n", files.n,
                set->nobjects, set->nerrors, res->head);
        goto done;
    }
    for (i = 0; i < set->nerrors; i++) {
        char line[1024];
        fc_spec_error_format(&set->errors[i], line, sizeof(line));
        fc_log_obj(FC_LOG_WARN, set->errors[i].file ? set->errors[i].file : "",
                   "invalid spec: %s", line);
    }

    if ((rc = fc_specs_active_view(&active, set)) != FC_OK)
        goto done;
    /* ---- sharding (controller/shard): only the held shards' Accounts */
    if (o->shards) {
        if (!fc_shard_snapshot(o->shards, held)) {
            res->skipped = 1;
            fc_info("sharding: %s holds no shard yet", fc_shard_replica(o->shards));
            goto done;
        }
        fc_shard_filter_view(&active, held, fc_shard_count(o->shards));
    }
    /* ---- end sharding */
    fc_run_track_phase(tr, "discovery");
    rc = discover(o, &active, now, &inv);
    if (rc != FC_OK) {
        /* Reported in status; the pass still writes what it knows. */
        disc_err = fc_strdup(fc_error_last());
        fc_err("discovery failed: %s", fc_error_last());
        fc_inventory_dispose(&inv);
        fc_inventory_init(&inv);
    }
    res->nresources = inv.nresources;
    /* Lookups by id become binary searches; without the index they scan. */
    if (fc_inventory_index(&inv) != FC_OK)
        fc_warn("inventory not indexed: %s", fc_error_last());
    /* Billing exports (Account costExports) and stored costs: they win over
     * the provider's for the days they cover, before any engine runs. */
    fc_costs_pass_observe(state, &active, now, cost_days_for(&active), o->mode == FC_RUN_RECONCILE, &inv);
    if (use_memo) {
        uint64_t fp = fc_inventory_fingerprint(&inv);
        int same = memo.found && strcmp(memo.head_after, res->status_base) == 0 &&
                   strcmp(memo.spec_commit, res->spec_commit) == 0 && memo.inventory_fp == fp;
        memo.inventory_fp = fp;
        memo.discovered_at = now;
        memo.discovery_every = discovery_every(set);
        snprintf(memo.head_after, sizeof(memo.head_after), "%s", res->status_base);
        snprintf(memo.spec_commit, sizeof(memo.spec_commit), "%s", res->spec_commit);
        if (same) {
            res->skipped = 1;
            fc_info("inventory unchanged at %.12s: no commit", res->head);
            if (fc_memo_save(state, memo_key, &memo) != FC_OK)
                fc_warn("pass memo not saved: %s", fc_error_last());
            fc_notify_pass_flush(state, now);
            goto done;
        }
    }
    fc_run_track_phase(tr, "analysis");
    if ((rc = fc_prices_load(&prices, o->prices_file)) != FC_OK)
        goto done;
    if ((rc = fc_sp_rates_load_beside(&sp_rates, o->prices_file)) != FC_OK)
        goto done;
    /* Alerts are raised before the status is built, which shows them; a
     * plan rolls them back.  Notifications wait for the push. */
    alerts_on = fc_notify_pass_alerts(state, &active, &inv, now, o->mode == FC_RUN_RECONCILE, &alerts);
    /* The built-in default policy stands in only when the repo has no Policy
     * at all; suspending every Policy pauses the rules. */
    if ((rc = (all_policies_suspended(set) ? FC_OK
                                           : fc_engine_recommend(&recs, &inv, &active, prices))) !=
        FC_OK)
        goto done;
    res->nrecommendations = recs.n;
    for (i = 0; i < recs.n; i++)
        res->monthly_saving += recs.items[i].monthly_saving;
    if ((rc = fc_costs_anomalies(state, &active, &inv, now, o->mode == FC_RUN_RECONCILE,
                                 &anomalies)) != FC_OK)
        goto done;

    fc_run_track_phase(tr, "planning");
    prev.git = git;
    prev.head = res->status_base;
    memset(&pass, 0, sizeof(pass));
    pass.now = now;
    pass.commit = res->spec_commit;
    pass.specs = set;
    pass.inv = &inv;
    pass.prices = prices;
    pass.recs = &recs;
    pass.discovery_error = disc_err;
    pass.provider = o->provider;
    pass.budget_alerts = alerts_on ? &alerts : NULL;
    pass.sp_rates = sp_rates;
    pass.anomalies = &anomalies;
    pass.approvers = approvers;
    pass.approvers_error = approvers_error;
    if ((rc = fc_approvals_collect(&evidence, &nevidence, git, res->head, &active,
                                   approvers)) != FC_OK)
        goto done;
    pass.evidence = evidence;
    pass.nevidence = nevidence;
    pass.prev = read_prev;
    pass.prev_payload = &prev;
    pass.status = &st;
    pass.plan = &plan;
    if (state && (fc_journal_migrate(state) != FC_OK ||
                  fc_journal_list(state, -1, &execs) != FC_OK)) {
        rc = fc_error_set(FC_EIO, "execution journal: %s", fc_error_last());
        goto done;
    }
    pass.executions = &execs;
    pass.live = o->live;
    if ((rc = fc_reconcile_all(&pass)) != FC_OK)
        goto done;
    for (i = 0; i < plan.n; i++)
        res->nplanned += plan.items[i].state == FC_PLAN_PLANNED;
    /* ---- executor: journal first, provider after; only with --live */
    if (o->mode == FC_RUN_RECONCILE && state) {
        fc_run_track_phase(tr, "execution");
        if (o->shards && (rc = fc_shard_check(o->shards, held, "execution")) != FC_OK)
            goto done;
        if ((rc = execute(o, state, &active, &inv, &plan, evidence, nevidence,
                          res->spec_commit, now, &execs, &nexecuted, set)) != FC_OK ||
            (rc = fc_reconcile_after_execution(&pass)) != FC_OK)
            goto done;
        if (nexecuted)
            use_memo = 0; /* the cloud changed: the next pass must rediscover */
        snprintf(line_detail, sizeof(line_detail), "%zu actions", nexecuted);
        fc_run_track_end(tr, "ok", line_detail);
    }
    /* ---- end executor */
    /* ---- reports: status/reports/, or --out alone for `report` */
    if ((rc = write_reports(o, &active, &inv, prices, &recs, &anomalies, &plan, &execs, &st,
                            &prev, now)) != FC_OK || o->mode == FC_RUN_REPORT)
        goto done;
    /* ---- end reports */
    /* ---- HTTP API (controller/http): publish this pass's data read-only;
     * a no-op unless `run` serves.  Handlers never see the live structs. */
    if (o->mode == FC_RUN_RECONCILE)
        fc_http_publish(set, &inv, &recs, &anomalies, &plan, &st, res->head, now);
    /* ---- end HTTP API */

    if (o->mode == FC_RUN_PLAN) {
        print_plan(out, &plan, &recs, &st, &prev);
        goto done;
    }
    fc_run_track_phase(tr, "status");
    commit_message(&msg, res, &plan, pass.budgets_over);
    { /* --commit-trailer, and the spec commit this status reconciles */
        char *full = fc_gitsync_commit_message(git, msg.data, res->spec_commit);
        if (!full) {
            rc = FC_ENOMEM;
            goto done;
        }
        msg.len = 0;
        rc = fc_buf_puts(&msg, full);
        free(full);
        if (rc != FC_OK)
            goto done;
    }
    /* Sharded: only the held shards' files, the rest as at the head. */
    if (o->shards && (rc = fc_shard_pass_status(o->shards, held, o->state_dir,
                                                res->status_base[0] ? res->status_base
                                                                    : res->head,
                                                &active, &st)) != FC_OK)
        goto done;
    fc_crashpoint("pass.before-status-commit");
    /* Commit metadata carries the wall clock; status content the pass clock. */
    if ((rc = fc_gitsync_commit_status(git, res->status_base, &st, msg.data,
                                       (int64_t)time(NULL),
                                       res->status_commit, &changed)) != FC_OK)
        goto done;
    if (!changed) {
        res->status_commit[0] = '\0';
        fc_info("status unchanged at %.12s: no commit", res->head);
        fc_notify_pass_flush(state, now); /* the remote status is current */
        remember(use_memo ? state : NULL, memo_key, &memo, res->status_base);
        goto done;
    }
    fc_crashpoint("pass.after-status-commit"); /* committed locally, not pushed */
    t_git = fc_metrics_clock(); /* http metrics: git push duration */
    rc = fc_gitsync_push(git, res->status_commit);
    fc_metrics_git("push", fc_metrics_clock() - t_git, rc);
    if (rc != FC_OK)
        goto done;
    res->committed = 1;
    remember(use_memo ? state : NULL, memo_key, &memo, res->status_commit);
    fc_info("pushed status commit %.12s on %.12s", res->status_commit, res->head);
    fc_notify_pass_flush(state, now);
done:
    fc_run_track_end(tr, rc != FC_OK ? fc_code_name(rc) : res->skipped ? "skipped" : "ok",
                     rc != FC_OK ? fc_error_last() : NULL);
    free(disc_err);
    fc_buf_dispose(&msg);
    fc_plan_dispose(&plan);
    fc_exec_list_dispose(&execs);
    fc_status_tree_dispose(&st);
    fc_recommendation_list_dispose(&recs);
    fc_prices_free(prices);
    fc_sp_rates_free(sp_rates);
    fc_budget_alert_list_dispose(&alerts);
    fc_anomaly_list_dispose(&anomalies);
    fc_inventory_dispose(&inv);
    fc_approvals_free(evidence, nevidence);
    fc_approvers_free(approvers);
    free(approvers_error);
    fc_specs_view_dispose(&active);
    fc_spec_set_free(set);
    fc_file_list_dispose(&files);
    return rc;
}

/* Proposals of the status just pushed (or of the head) as pull requests. */
static int forge_step(const fc_run_opts *o, fc_gitsync *git, fc_state *state,
                      const fc_run_result *res, int64_t now)
{
    fc_forge_sync_opts fo;
    fc_forge_sync_result fr;
    int kind = fc_forge_kind_parse(o->forge);

    if (kind < 0 || !o->forge_url || !o->forge_project || !state) {
        fc_warn("forge: --forge needs --forge-url, --forge-project and a state dir; "
                "no pull requests this pass");
        return FC_OK;
    }
    memset(&fo, 0, sizeof(fo));
    fo.kind = (fc_forge_kind)kind;
    fo.api_url = o->forge_url;
    fo.project = o->forge_project;
    fo.token_file = o->forge_token_file;
    fo.min_saving = o->forge_min_saving;
    fo.max_wait = o->forge_max_wait > 0 ? (int)o->forge_max_wait : 0;
    fo.base = o->branch ? o->branch : "main";
    fo.spec_root = o->path ? o->path : "";
    fo.base_commit = res->head; /* the tracked branch, whatever holds status */
    /* status_base: the status branch tip with --status-branch, else head */
    return fc_forge_sync(git, state, &fo,
                         res->committed        ? res->status_commit
                         : res->status_base[0] ? res->status_base
                                               : res->head,
                         now, &fr);
}

/* --commit-status: the spec commit gets success (specs valid, status
 * pushed or current) or failure, linking to the status files.  A forge
 * failure is logged only: the next pass posts again. */
static void post_commit_status(const fc_run_opts *o, const fc_run_result *res, int pass_rc)
{
    fc_forge_status_opts so;
    const char *tip = res->committed ? res->status_commit : res->status_base;
    char desc[160];
    char *link;
    int ok = pass_rc == FC_OK && res->nerrors == 0;

    memset(&so, 0, sizeof(so));
    so.forge = o->forge;
    so.api_url = o->forge_url;
    so.project = o->forge_project;
    so.token_file = o->forge_token_file;
    if (pass_rc != FC_OK)
        snprintf(desc, sizeof(desc), "pass failed: %s", fc_error_last());
    else
        snprintf(desc, sizeof(desc), "%zu specs valid, %zu errors, %zu actions planned",
                 res->nobjects, res->nerrors, res->nplanned);
    link = tip[0] ? fc_forge_status_link(&so, tip, "status") : NULL;
    if (fc_forge_post_status(&so, res->spec_commit,
                             ok ? FC_COMMIT_STATE_SUCCESS : FC_COMMIT_STATE_FAILURE, link,
                             desc) != FC_OK)
        fc_warn("commit status for %.12s not posted: %s", res->spec_commit, fc_error_last());
    free(link);
}

int fc_run_pass(const fc_run_opts *o, fc_run_result *res)
{
    fc_gitsync_opts gopts;
    fc_gitsync *git = NULL;
    fc_state *state = NULL;
    int64_t now = o->now ? o->now : (int64_t)time(NULL);
    int64_t run_id = 0;
    fc_run_track track = {NULL, 0, NULL};
    long retention = fc_parse_duration(o->run_retention ? o->run_retention : "14d");
    size_t nruns;
    int tries, rc;
    unsigned delay_ms = 200;

    memset(&gopts, 0, sizeof(gopts));
    gopts.url = o->repo;
    gopts.branch = o->branch;
    gopts.state_dir = o->state_dir;
    gopts.author_name = o->author_name;
    gopts.author_email = o->author_email;
    gopts.token_file = o->git_token_file;
    gopts.ssh_key = o->git_ssh_key;
    gopts.ssh_key_passphrase_file = o->git_ssh_key_passphrase_file;
    gopts.known_hosts = o->git_known_hosts;
    gopts.status_branch = o->status_branch;
    gopts.commit_trailers = o->commit_trailers;
    gopts.sign_format = o->sign_commits;
    gopts.signing_key = o->signing_key;
    gopts.signing_passphrase_file = o->signing_passphrase_file;
    if ((rc = fc_gitsync_open(&git, &gopts)) != FC_OK)
        return rc;
    /* One store per pass (memo, costs, anomalies, alerts).  Without it the
     * pass still runs, only without memory. */
    if (o->state_dir && fc_state_open(&state, o->state_dir) != FC_OK) {
        fc_warn("state store unavailable, running without memory: %s", fc_error_last());
        state = NULL;
    }
    /* Workflow runs: settle the ones a crash left open, drop old ones. */
    if (retention < 0)
        fc_warn("run retention '%s' is not a duration like 14d: keeping every run",
                o->run_retention);
    if (state && o->mode == FC_RUN_RECONCILE &&
        (fc_runs_migrate(state) != FC_OK || fc_runs_recover(state, &nruns) != FC_OK ||
         (retention > 0 &&
          fc_runs_prune(state, (int64_t)time(NULL) - retention, &nruns) != FC_OK)))
        fc_warn("run bookkeeping: %s", fc_error_last());
    if (state && o->mode == FC_RUN_RECONCILE &&
        fc_state_run_begin(state, (int64_t)time(NULL), NULL, &run_id) != FC_OK)
        run_id = 0;
    track.s = run_id ? state : NULL;
    track.run_id = run_id;
    { /* every log line of this pass (and the loop's summary) carries its run */
        static unsigned long local_runs;
        char id[40];
        if (run_id)
            snprintf(id, sizeof(id), "%lld", (long long)run_id);
        else
            snprintf(id, sizeof(id), "%ld-%lu", (long)getpid(), ++local_runs);
        fc_log_set_run(id);
    }
    for (tries = 0;; tries++) {
        memset(res, 0, sizeof(*res));
        rc = attempt(o, git, state, now, res, &track);
        if (rc != FC_ECONFLICT || tries >= o->push_retries)
            break;
        /* Someone pushed meanwhile: rebuild on their head, never force. */
        fc_warn("push rejected (remote moved); retrying on the new head in %u ms",
                delay_ms);
        {
            struct timespec ts = {(time_t)(delay_ms / 1000), (long)(delay_ms % 1000) * 1000000L};
            nanosleep(&ts, NULL);
        }
        if (delay_ms < 5000)
            delay_ms *= 2;
    }
    /* ---- pull-request mode (controller/forge): after the push, and on
     * skipped passes too, so a forge outage only delays the PRs */
    if (rc == FC_OK && o->forge && o->mode == FC_RUN_RECONCILE && res->head[0] &&
        forge_step(o, git, state, res, now) != FC_OK) /* status is pushed: warn only */
        fc_warn("forge: %s; pull requests wait for the next pass", fc_error_last());
    /* ---- end pull-request mode */
    if (o->commit_status && o->mode == FC_RUN_RECONCILE && res->spec_commit[0] &&
        !res->skipped) {
        char keep[512]; /* the pass's own error outlives the post */
        snprintf(keep, sizeof(keep), "%s", rc != FC_OK ? fc_error_last() : "");
        post_commit_status(o, res, rc);
        if (rc != FC_OK)
            fc_error_set(rc, "%s", keep);
    }
    if (run_id && res->head[0])
        fc_runs_set_head(state, run_id, res->head);
    fc_crashpoint("pass.before-run-end");
    if (run_id)
        fc_state_run_end(state, run_id, (int64_t)time(NULL),
                         rc != FC_OK ? fc_code_name(rc)
                         : res->skipped ? "skipped"
                         : res->committed ? "committed" : "unchanged",
                         res->status_commit);
    fc_state_close(state);
    fc_gitsync_free(git);
    return rc;
}
