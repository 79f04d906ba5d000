/*
 * test_executor.c - the executor (window, limit, mapping, journal order,
 * resume, target re-check, irreversible refusal) against a fake provider and
 * an in-memory store, and the sim provider's apply/describe/overlay.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "controller/core/fc_error.h"
#include "controller/core/fc_util.h"
#include "controller/executor/fc_executor.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ACCT "123456789012"
#define REGION "eu-west-1"

/* ---- a fake provider: instances i-0..i-9, an address, a volume ---------- */

typedef struct {
    fc_cloud base;
    fc_resource res[12];
    size_t n;
    fc_state *store;       /* to look at the journal from inside apply */
    int applies;
    int started_seen;      /* apply saw its row `started` in the store */
    const char *fail_kind; /* apply fails on this kind */
    const char *stuck;     /* stop-instances leaves this state (verification) */
    const char *becomes;   /* a "stopping" resource turns into this once described */
    int describes;
} fake_cloud;

static fake_cloud *fake_of(fc_cloud *c)
{
    return (fake_cloud *)c;
}

static fc_resource *fake_find(fake_cloud *f, const char *id)
{
    size_t i;
    for (i = 0; i < f->n; i++)
        if (f->res[i].id && strcmp(f->res[i].id, id) == 0)
            return &f->res[i];
    return NULL;
}

static int fake_discover(fc_cloud *c, const fc_discovery_scope *s, fc_inventory *inv)
{
    fake_cloud *f = fake_of(c);
    size_t i;
    (void)s;
    for (i = 0; i < f->n; i++)
        if (f->res[i].id && fc_inventory_add_resource(inv, &f->res[i]) != FC_OK)
            return FC_ENOMEM;
    return FC_OK;
}

static int fake_describe(fc_cloud *c, fc_resource_type type, const char *account,
                         const char *region, const char *role, const char *id,
                         fc_resource *out)
{
    fake_cloud *f = fake_of(c);
    fc_resource *r = fake_find(f, id);
    int rc;
    (void)account, (void)region, (void)role;
    memset(out, 0, sizeof(*out));
    f->describes++;
    if (!r || r->type != type)
        return fc_error_set(FC_ENOTFOUND, "%s not found", id);
    rc = fc_resource_copy(out, r);
    if (f->becomes && r->state && strcmp(r->state, "stopping") == 0) {
        free(r->state); /* the transition finishes after this answer */
        r->state = fc_strdup(f->becomes);
    }
    return rc;
}

static int fake_apply(fc_cloud *c, const fc_action *a, fc_action_result *out)
{
    fake_cloud *f = fake_of(c);
    fc_resource *r = fake_find(f, a->resource);
    fc_exec_list rows;
    size_t i;

    memset(out, 0, sizeof(*out));
    f->applies++;
    /* Journal first: the row must already be committed as started. */
    fc_exec_list_init(&rows);
    assert_int_equal(fc_journal_list(f->store, FC_EXEC_STARTED, &rows), FC_OK);
    for (i = 0; i < rows.n; i++)
        if (strcmp(rows.items[i].resource, a->resource) == 0)
            f->started_seen++;
    fc_exec_list_dispose(&rows);
    if (f->fail_kind && strcmp(f->fail_kind, a->kind) == 0)
        return fc_error_set(FC_EIO, "injected failure");
    assert_non_null(r);
    if (strcmp(a->kind, "stop-instances") == 0) {
        free(r->state);
        r->state = fc_strdup(f->stuck ? f->stuck : "stopped");
    } else if (strcmp(a->kind, "start-instances") == 0) {
        free(r->state);
        r->state = fc_strdup("running");
    } else if (strcmp(a->kind, "release-address") == 0) {
        fc_resource_dispose(r);
    }
    out->state = fc_strdup("ok");
    return FC_OK;
}

static void fake_free(fc_cloud *c)
{
    (void)c; /* lives on the test's stack */
}

static const fc_cloud_ops fake_ops = {FC_CLOUD_OPS_VERSION, "fake", fake_discover,
                                      fake_describe, fake_apply, fake_free};

static void fake_add(fake_cloud *f, fc_resource_type t, const char *id, const char *state)
{
    fc_resource *r = &f->res[f->n++];
    memset(r, 0, sizeof(*r));
    r->type = t;
    r->id = fc_strdup(id);
    r->account = fc_strdup(ACCT);
    r->region = fc_strdup(REGION);
    r->state = fc_strdup(state);
    r->size_class = fc_strdup(t == FC_RES_EC2_INSTANCE ? "m5.large" : "");
}

static int cloud_for(void *payload, const char *account, fc_cloud **cloud, const char **role)
{
    (void)account;
    *cloud = payload;
    *role = NULL;
    return FC_OK;
}

/* ---- fixture: specs + plan + inventory + store ---------------------------- */

typedef struct {
    fake_cloud cloud;
    fc_spec_set *set;
    fc_plan plan;
    fc_inventory inv;
    fc_state *store;
    fc_exec_report rep;
    fc_executor_input in;
    unsigned slept;        /* seconds verification would have waited */
} fx;

/* Saturday 2026-11-21 03:00 UTC: inside sat/sun 02:00-06:00. */
#define SAT_0300 1795230000

/* Appended to every Optimization spec fx_setup writes (e.g. rollback:). */
static const char *opt_extra = "";

/* Verification waits: summed, never slept. */
static void count_sleep(void *payload, unsigned seconds)
{
    *(unsigned *)payload += seconds;
}

static const char policy_yaml[] = "apiVersion: finops.dev/v1alpha1\nkind: Policy\n"
                                  "metadata: {name: default}\nspec: {}\n";

static void fx_setup(fx *f, const char *extra_policy, size_t nopt, const char *action,
                     const char *id_prefix)
{
    char *docs[16];
    fc_spec_file files[16];
    size_t i, n = 0;

    memset(f, 0, sizeof(*f));
    f->cloud.base.ops = &fake_ops;
    assert_int_equal(fc_state_open_memory(&f->store), FC_OK);
    f->cloud.store = f->store;
    fc_plan_init(&f->plan);
    fc_inventory_init(&f->inv);
    fc_exec_report_init(&f->rep);
    docs[n] = fc_strdup(extra_policy ? extra_policy : policy_yaml);
    files[n].path = "policies/p.yaml";
    files[n].data = docs[n];
    files[n].len = strlen(docs[n]);
    n++;
    for (i = 0; i < nopt; i++) {
        char rid[32], name[32];
        snprintf(rid, sizeof(rid), "%s%zu", id_prefix, i);
        snprintf(name, sizeof(name), "opt-%zu", i);
        fake_add(&f->cloud,
                 strcmp(action, "release-address") == 0 ? FC_RES_ELASTIC_IP
                                                        : FC_RES_EC2_INSTANCE,
                 rid, strcmp(action, "release-address") == 0 ? "unassociated" : "running");
        docs[n] = fc_asprintf(
            "apiVersion: finops.dev/v1alpha1\nkind: Optimization\nmetadata: {name: %s}\n"
            "spec:\n  target: {account: \"%s\", region: %s, resource: %s}\n"
            "  action: %s\n  approval: {approvedBy: [alice@example.com]}\n"
            "  window: {days: [sat, sun], start: \"02:00\", end: \"06:00\", timezone: UTC}\n"
            "%s",
            name, ACCT, REGION, rid, action, opt_extra);
        files[n].path = "optimizations/o.yaml";
        files[n].data = docs[n];
        files[n].len = strlen(docs[n]);
        n++;
        {
            fc_plan_item *it;
            f->plan.items = realloc(f->plan.items, (f->plan.n + 1) * sizeof(*it));
            it = &f->plan.items[f->plan.n++];
            memset(it, 0, sizeof(*it));
            it->optimization = fc_strdup(name);
            it->action = fc_strdup(action);
            it->account = fc_strdup(ACCT);
            it->region = fc_strdup(REGION);
            it->resource = fc_strdup(rid);
            it->state = FC_PLAN_PLANNED;
            it->approved = 1;
        }
    }
    f->plan.cap = f->plan.n;
    assert_int_equal(fc_specs_load(&f->set, files, n), FC_OK);
    if (f->set->nerrors) {
        char line[512];
        fc_spec_error_format(&f->set->errors[0], line, sizeof(line));
        fail_msg("spec error: %s", line);
    }
    for (i = 0; i < n; i++)
        free(docs[i]);
    assert_int_equal(fake_discover(&f->cloud.base, NULL, &f->inv), FC_OK);
    f->in.plan = &f->plan;
    f->in.specs = f->set;
    f->in.inv = &f->inv;
    f->in.commit = "0123456789abcdef0123456789abcdef01234567";
    f->in.state = f->store;
    f->in.cloud_for = cloud_for;
    f->in.payload = &f->cloud.base;
    f->in.now = SAT_0300;
    f->in.live = 1;
    f->in.sleep_fn = count_sleep;
    f->in.sleep_payload = &f->slept;
}

static void fx_teardown(fx *f)
{
    size_t i;
    for (i = 0; i < f->cloud.n; i++)
        fc_resource_dispose(&f->cloud.res[i]);
    fc_exec_report_dispose(&f->rep);
    fc_plan_dispose(&f->plan);
    fc_inventory_dispose(&f->inv);
    fc_spec_set_free(f->set);
    fc_state_close(f->store);
}

static const fc_exec_outcome *outcome_of(const fx *f, const char *opt)
{
    size_t i;
    for (i = 0; i < f->rep.n; i++)
        if (strcmp(f->rep.items[i].optimization, opt) == 0)
            return &f->rep.items[i];
    return NULL;
}

/* ---- tests -------------------------------------------------------------- */

static void test_executor__window(void **s)
{
    char *sat_sun[] = {"sat", "sun"}, *fri[] = {"fri"};
    fc_opt_window w = {sat_sun, 2, "02:00", "06:00", "UTC"};
    fc_opt_window night = {fri, 1, "22:00", "02:00", NULL};
    fc_opt_window other_tz = {NULL, 0, "00:00", "00:00", "Europe/Paris"};
    (void)s;
    assert_true(fc_executor_in_window(NULL, SAT_0300));
    assert_true(fc_executor_in_window(&w, SAT_0300));
    assert_true(fc_executor_in_window(&w, SAT_0300 - 3600));      /* 02:00 opens */
    assert_false(fc_executor_in_window(&w, SAT_0300 + 3 * 3600)); /* 06:00 closes */
    assert_false(fc_executor_in_window(&w, SAT_0300 - 2 * 3600)); /* 01:00 */
    assert_false(fc_executor_in_window(&w, SAT_0300 - 86400));    /* Friday */
    assert_true(fc_executor_in_window(&w, SAT_0300 + 86400));     /* Sunday */
    assert_false(fc_executor_in_window(&w, SAT_0300 + 2 * 86400)); /* Monday */
    /* Spanning midnight: Friday 22:00 to Saturday 02:00. */
    assert_true(fc_executor_in_window(&night, SAT_0300 - 2 * 3600));  /* sat 01:00 */
    assert_true(fc_executor_in_window(&night, SAT_0300 - 5 * 3600));  /* fri 22:00 */
    assert_false(fc_executor_in_window(&night, SAT_0300 + 20 * 3600)); /* sat 23:00 */
    assert_false(fc_executor_in_window(&night, SAT_0300 - 86400));   /* fri 03:00 */
    /* Zones other than UTC are never guessed. */
    assert_false(fc_executor_in_window(&other_tz, SAT_0300));
}

static void test_executor__mapping(void **s)
{
    fc_exec_mapping m;
    (void)s;
    assert_int_equal(fc_executor_map("stop", &m), FC_OK);
    assert_string_equal(m.steps[0], "stop-instances");
    assert_string_equal(m.inverse, "start-instances");
    assert_string_equal(m.from_state, "running");
    assert_int_equal(fc_executor_map("start", &m), FC_OK);
    assert_string_equal(m.steps[0], "start-instances");
    assert_int_equal(fc_executor_map("rightsize", &m), FC_OK);
    assert_string_equal(m.steps[0], "modify-instance-type");
    assert_string_equal(m.from_state, "stopped");
    assert_int_equal(fc_executor_map("modify-volume", &m), FC_OK);
    assert_string_equal(m.steps[0], "modify-volume-type");
    assert_int_equal(fc_executor_map("snapshot-and-delete", &m), FC_OK);
    assert_int_equal(m.nsteps, 2);
    assert_string_equal(m.steps[0], "create-snapshot");
    assert_string_equal(m.steps[1], "delete-volume");
    assert_string_equal(m.inverse, "create-volume-from-snapshot");
    assert_int_equal(fc_executor_map("release-address", &m), FC_OK);
    assert_null(m.inverse);
    assert_int_equal(fc_executor_map("delete-snapshot", &m), FC_OK);
    assert_null(m.inverse);
    assert_int_equal(fc_executor_map("reboot", &m), FC_EUNSUPPORTED);
}

static void test_executor__dry_run_executes_nothing(void **s)
{
    fx f;
    fc_exec_list rows;
    (void)s;
    fx_setup(&f, NULL, 2, "stop", "i-");
    f.in.live = 0;
    assert_int_equal(fc_executor_run(&f.rep, &f.in), FC_OK);
    assert_int_equal(f.cloud.applies, 0);
    assert_int_equal(f.rep.n, 0);
    fc_exec_list_init(&rows);
    assert_int_equal(fc_journal_list(f.store, -1, &rows), FC_OK);
    assert_int_equal(rows.n, 0);
    fc_exec_list_dispose(&rows);
    fx_teardown(&f);
}

static void test_executor__journal_row_committed_before_apply(void **s)
{
    fx f;
    fc_exec_list rows;
    (void)s;
    fx_setup(&f, NULL, 1, "stop", "i-");
    assert_int_equal(fc_executor_run(&f.rep, &f.in), FC_OK);
    assert_int_equal(f.cloud.applies, 1);
    assert_int_equal(f.cloud.started_seen, 1);
    assert_int_equal(f.rep.done, 1);
    fc_exec_list_init(&rows);
    assert_int_equal(fc_journal_list(f.store, -1, &rows), FC_OK);
    assert_int_equal(rows.n, 1);
    assert_int_equal(rows.items[0].state, FC_EXEC_DONE);
    assert_non_null(strstr(rows.items[0].before, "\"state\":\"running\""));
    assert_non_null(strstr(rows.items[0].after, "\"state\":\"stopped\""));
    assert_non_null(strstr(rows.items[0].inverse, "start-instances"));
    assert_string_equal(rows.items[0].approvers, "[]"); /* no evidence given */
    fc_exec_list_dispose(&rows);
    /* Never twice: the same plan again is AlreadyExecuted, no apply. */
    fc_exec_report_dispose(&f.rep);
    free(f.cloud.res[0].state);
    f.cloud.res[0].state = fc_strdup("running");
    assert_int_equal(fc_executor_run(&f.rep, &f.in), FC_OK);
    assert_int_equal(f.cloud.applies, 1);
    assert_string_equal(outcome_of(&f, "opt-0")->reason, "AlreadyExecuted");
    fx_teardown(&f);
}

static void test_executor__failed_apply_is_journaled(void **s)
{
    fx f;
    fc_exec_record r;
    (void)s;
    fx_setup(&f, NULL, 1, "stop", "i-");
    f.cloud.fail_kind = "stop-instances";
    assert_int_equal(fc_executor_run(&f.rep, &f.in), FC_OK);
    assert_int_equal(f.rep.failed, 1);
    assert_non_null(f.rep.items[0].id);
    assert_int_equal(fc_journal_get(f.store, f.rep.items[0].id, &r), FC_OK);
    assert_int_equal(r.state, FC_EXEC_FAILED);
    assert_non_null(strstr(r.error, "injected failure"));
    fc_exec_record_dispose(&r);
    fx_teardown(&f);
}

static void test_executor__limit_per_pass(void **s)
{
    fx f;
    size_t i, limited = 0;
    (void)s;
    fx_setup(&f, NULL, 7, "stop", "i-");
    assert_int_equal(fc_executor_run(&f.rep, &f.in), FC_OK);
    assert_int_equal(f.cloud.applies, 5); /* the default */
    assert_int_equal(f.rep.done, 5);
    for (i = 0; i < f.rep.n; i++)
        limited += f.rep.items[i].reason && strcmp(f.rep.items[i].reason, "LimitReached") == 0;
    assert_int_equal(limited, 2);
    fx_teardown(&f);

    fx_setup(&f,
             "apiVersion: finops.dev/v1alpha1\nkind: Policy\nmetadata: {name: p}\n"
             "spec: {limits: {maxActionsPerPass: 2}}\n",
             4, "stop", "i-");
    assert_int_equal(fc_executor_run(&f.rep, &f.in), FC_OK);
    assert_int_equal(f.cloud.applies, 2);
    assert_string_equal(outcome_of(&f, "opt-3")->reason, "LimitReached");
    fx_teardown(&f);
}

static void test_executor__outside_window_skipped(void **s)
{
    fx f;
    (void)s;
    fx_setup(&f, NULL, 1, "stop", "i-");
    f.in.now = SAT_0300 - 86400; /* Friday */
    assert_int_equal(fc_executor_run(&f.rep, &f.in), FC_OK);
    assert_int_equal(f.cloud.applies, 0);
    assert_string_equal(outcome_of(&f, "opt-0")->reason, "OutsideWindow");
    fx_teardown(&f);
}

static void test_executor__target_changed_is_not_touched(void **s)
{
    fx f;
    fc_exec_list rows;
    (void)s;
    fx_setup(&f, NULL, 2, "stop", "i-");
    /* After discovery: i-0 was stopped by someone, i-1 is gone. */
    free(f.cloud.res[0].state);
    f.cloud.res[0].state = fc_strdup("stopped");
    fc_resource_dispose(&f.cloud.res[1]);
    assert_int_equal(fc_executor_run(&f.rep, &f.in), FC_OK);
    assert_int_equal(f.cloud.applies, 0);
    assert_string_equal(outcome_of(&f, "opt-0")->reason, "TargetChanged");
    assert_string_equal(outcome_of(&f, "opt-1")->reason, "TargetChanged");
    fc_exec_list_init(&rows);
    assert_int_equal(fc_journal_list(f.store, -1, &rows), FC_OK);
    assert_int_equal(rows.n, 0);
    fc_exec_list_dispose(&rows);
    fx_teardown(&f);
}

static void test_executor__irreversible_needs_policy(void **s)
{
    fx f;
    (void)s;
    fx_setup(&f, NULL, 1, "release-address", "eipalloc-");
    assert_int_equal(fc_executor_run(&f.rep, &f.in), FC_OK);
    assert_int_equal(f.cloud.applies, 0);
    assert_string_equal(outcome_of(&f, "opt-0")->reason, "Irreversible");
    fx_teardown(&f);

    fx_setup(&f,
             "apiVersion: finops.dev/v1alpha1\nkind: Policy\nmetadata: {name: p}\n"
             "spec: {irreversible: true}\n",
             1, "release-address", "eipalloc-");
    assert_int_equal(fc_executor_run(&f.rep, &f.in), FC_OK);
    assert_int_equal(f.cloud.applies, 1);
    assert_int_equal(f.rep.done, 1);
    fx_teardown(&f);
}

/* A crash between journal and provider leaves a `started` row. */
static void insert_started(fc_state *st, const char *id, const char *resource)
{
    fc_exec_record r;
    memset(&r, 0, sizeof(r));
    r.id = (char *)id;
    r.optimization = "opt-0";
    r.commit = "c";
    r.account = ACCT;
    r.region = REGION;
    r.resource = (char *)resource;
    r.action = "{\"action\":\"stop\",\"type\":\"ec2-instance\",\"steps\":[{\"kind\":"
               "\"stop-instances\",\"resource\":\"i-0\",\"params\":{}}],"
               "\"expect\":{\"state\":\"stopped\"}}";
    r.before = "{\"state\":\"running\"}";
    r.state = FC_EXEC_STARTED;
    r.created = r.started = 1;
    assert_int_equal(fc_journal_insert(st, &r), FC_OK);
    assert_int_equal(fc_journal_insert(st, &r), FC_ECONFLICT);
}

static void test_executor__resume_marks_done_when_it_happened(void **s)
{
    fx f;
    fc_exec_record r;
    size_t n;
    (void)s;
    fx_setup(&f, NULL, 1, "stop", "i-");
    assert_int_equal(fc_journal_migrate(f.store), FC_OK);
    insert_started(f.store, "x-1", "i-0");
    free(f.cloud.res[0].state);
    f.cloud.res[0].state = fc_strdup("stopped"); /* the request had gone out */
    assert_int_equal(fc_executor_resume(f.store, cloud_for, &f.cloud.base, 9, &n), FC_OK);
    assert_int_equal(n, 1);
    assert_int_equal(fc_journal_get(f.store, "x-1", &r), FC_OK);
    assert_int_equal(r.state, FC_EXEC_DONE);
    assert_non_null(strstr(r.after, "stopped"));
    assert_int_equal(r.finished, 9);
    fc_exec_record_dispose(&r);
    assert_int_equal(f.cloud.applies, 0);
    fx_teardown(&f);
}

/* Interrupted before the call: back to planned, retried once under its id. */
static void test_executor__resume_retries_under_the_same_id(void **s)
{
    fx f;
    fc_exec_record r;
    char id[256];
    size_t n;
    (void)s;
    fx_setup(&f, NULL, 1, "stop", "i-");
    assert_int_equal(fc_journal_migrate(f.store), FC_OK);
    assert_int_equal(fc_journal_id(id, sizeof(id), "opt-0", f.in.commit, "stop"), FC_OK);
    insert_started(f.store, id, "i-0"); /* still running: it never happened */
    assert_int_equal(fc_executor_resume(f.store, cloud_for, &f.cloud.base, 9, &n), FC_OK);
    assert_int_equal(n, 1);
    assert_int_equal(fc_journal_get(f.store, id, &r), FC_OK);
    assert_int_equal(r.state, FC_EXEC_PLANNED);
    assert_int_equal(r.attempts, 1);
    assert_non_null(strstr(r.error, "retried at the next execution"));
    fc_exec_record_dispose(&r);
    assert_int_equal(f.cloud.applies, 0);

    assert_int_equal(fc_executor_run(&f.rep, &f.in), FC_OK);
    assert_int_equal(f.cloud.applies, 1);
    assert_int_equal(f.cloud.started_seen, 1); /* journal first on the retry too */
    assert_int_equal(f.rep.done, 1);
    assert_string_equal(f.rep.items[0].id, id);
    assert_int_equal(fc_journal_get(f.store, id, &r), FC_OK);
    assert_int_equal(r.state, FC_EXEC_DONE);
    assert_int_equal(r.attempts, 2);
    assert_null(r.error);
    /* Only a planned row is started again. */
    assert_int_equal(fc_journal_restart(f.store, &r), FC_ECONFLICT);
    fc_exec_record_dispose(&r);

    fc_exec_report_dispose(&f.rep);
    assert_int_equal(fc_executor_run(&f.rep, &f.in), FC_OK);
    assert_int_equal(f.cloud.applies, 1); /* never twice */
    assert_string_equal(f.rep.items[0].reason, "AlreadyExecuted");
    fc_exec_list rows;
    fc_exec_list_init(&rows);
    assert_int_equal(fc_journal_list(f.store, -1, &rows), FC_OK);
    assert_int_equal(rows.n, 1);
    fc_exec_list_dispose(&rows);
    fx_teardown(&f);
}

static void test_executor__resume_gives_up_after_max_attempts(void **s)
{
    fx f;
    fc_exec_record r;
    size_t n;
    (void)s;
    fx_setup(&f, NULL, 1, "stop", "i-");
    assert_int_equal(fc_journal_migrate(f.store), FC_OK);
    memset(&r, 0, sizeof(r));
    r.id = "x-1";
    r.optimization = "opt-0";
    r.account = ACCT;
    r.region = REGION;
    r.resource = "i-0";
    r.action = "{\"action\":\"stop\",\"type\":\"ec2-instance\","
               "\"expect\":{\"state\":\"stopped\"}}";
    r.before = "{\"state\":\"running\"}";
    r.state = FC_EXEC_STARTED;
    r.attempts = FC_EXEC_MAX_ATTEMPTS;
    assert_int_equal(fc_journal_insert(f.store, &r), FC_OK);
    assert_int_equal(fc_executor_resume(f.store, cloud_for, &f.cloud.base, 9, &n), FC_OK);
    assert_int_equal(fc_journal_get(f.store, "x-1", &r), FC_OK);
    assert_int_equal(r.state, FC_EXEC_FAILED);
    assert_non_null(strstr(r.error, "not retried again"));
    fc_exec_record_dispose(&r);
    assert_int_equal(f.cloud.applies, 0);
    fx_teardown(&f);
}

/* Neither before nor after (stopping): polled, never re-sent. */
static void test_executor__resume_polls_a_state_in_between(void **s)
{
    fx f;
    fc_exec_record r;
    (void)s;
    fx_setup(&f, NULL, 1, "stop", "i-");
    assert_int_equal(fc_journal_migrate(f.store), FC_OK);
    insert_started(f.store, "x-1", "i-0");
    free(f.cloud.res[0].state);
    f.cloud.res[0].state = fc_strdup("stopping");
    f.cloud.becomes = "stopped";
    f.plan.n = 0; /* only the resume */
    assert_int_equal(fc_executor_run(&f.rep, &f.in), FC_OK);
    assert_int_equal(fc_journal_get(f.store, "x-1", &r), FC_OK);
    assert_int_equal(r.state, FC_EXEC_DONE);
    assert_non_null(strstr(r.after, "stopped"));
    fc_exec_record_dispose(&r);
    assert_true(f.cloud.describes >= 2); /* described again, not re-sent */
    assert_int_equal(f.cloud.applies, 0);

    /* Stuck in between for the whole verify timeout: failed, not re-sent. */
    insert_started(f.store, "x-2", "i-0");
    free(f.cloud.res[0].state);
    f.cloud.res[0].state = fc_strdup("stopping");
    f.cloud.becomes = NULL;
    f.slept = 0;
    assert_int_equal(fc_executor_run(&f.rep, &f.in), FC_OK);
    assert_int_equal(fc_journal_get(f.store, "x-2", &r), FC_OK);
    assert_int_equal(r.state, FC_EXEC_FAILED);
    assert_non_null(strstr(r.error, "not re-sent"));
    fc_exec_record_dispose(&r);
    assert_int_equal(f.slept, 300);
    assert_int_equal(f.cloud.applies, 0);
    f.plan.n = 1;
    fx_teardown(&f);
}

/* An interrupted rollback whose target is untouched is retried the same way. */
static void test_executor__resume_retries_interrupted_rollback(void **s)
{
    fx f;
    fc_exec_record r, rb;
    char id[256], fwd[256];
    (void)s;
    fx_setup(&f, NULL, 1, "stop", "i-");
    assert_int_equal(fc_executor_run(&f.rep, &f.in), FC_OK); /* i-0 stopped, row done */
    snprintf(fwd, sizeof(fwd), "%s", f.rep.items[0].id);
    assert_int_equal(fc_journal_id(id, sizeof(id), "opt-0", fwd, "rollback"), FC_OK);
    memset(&rb, 0, sizeof(rb));
    rb.id = id;
    rb.optimization = "opt-0";
    rb.commit = "c";
    rb.account = ACCT;
    rb.region = REGION;
    rb.resource = "i-0";
    rb.action = "{\"action\":\"rollback\",\"type\":\"ec2-instance\",\"steps\":[{\"kind\":"
                "\"start-instances\",\"resource\":\"i-0\",\"params\":{}}],"
                "\"expect\":{\"state\":\"running\"}}";
    rb.before = "{\"state\":\"stopped\"}";
    rb.state = FC_EXEC_STARTED;
    rb.kind = "rollback";
    rb.parent = fwd;
    rb.created = rb.started = 2;
    assert_int_equal(fc_journal_insert(f.store, &rb), FC_OK);
    f.plan.items[0].approved = 0; /* the approval was withdrawn: undo it */
    fc_exec_report_dispose(&f.rep);
    assert_int_equal(fc_executor_run(&f.rep, &f.in), FC_OK);
    assert_int_equal(f.cloud.applies, 2); /* the stop, then the start once */
    assert_int_equal(fc_journal_get(f.store, id, &r), FC_OK);
    assert_int_equal(r.state, FC_EXEC_DONE);
    assert_int_equal(r.attempts, 2);
    fc_exec_record_dispose(&r);
    assert_int_equal(fc_journal_get(f.store, fwd, &r), FC_OK);
    assert_int_equal(r.state, FC_EXEC_ROLLED_BACK);
    fc_exec_record_dispose(&r);
    assert_string_equal(f.cloud.res[0].state, "running");
    fx_teardown(&f);
}

/* ---- limits, re-check, verification, rollback ---------------------------- */

static size_t count_reason(const fx *f, const char *reason)
{
    size_t i, n = 0;
    for (i = 0; i < f->rep.n; i++)
        n += f->rep.items[i].reason && strcmp(f->rep.items[i].reason, reason) == 0;
    return n;
}

#define POLICY_WITH(limits)                                                             \
    "apiVersion: finops.dev/v1alpha1\nkind: Policy\nmetadata: {name: p}\n"              \
    "spec: {limits: {" limits "}}\n"

static void test_executor__limit_per_account(void **s)
{
    fx f;
    (void)s;
    /* Under the limit: both run. */
    fx_setup(&f, POLICY_WITH("maxActionsPerAccount: 3"), 2, "stop", "i-");
    assert_int_equal(fc_executor_run(&f.rep, &f.in), FC_OK);
    assert_int_equal(f.cloud.applies, 2);
    assert_int_equal(count_reason(&f, "LimitReached"), 0);
    fx_teardown(&f);
    /* At the limit: all three run. */
    fx_setup(&f, POLICY_WITH("maxActionsPerAccount: 3"), 3, "stop", "i-");
    assert_int_equal(fc_executor_run(&f.rep, &f.in), FC_OK);
    assert_int_equal(f.cloud.applies, 3);
    assert_int_equal(count_reason(&f, "LimitReached"), 0);
    fx_teardown(&f);
    /* Over it: the fourth waits, with the reason naming the limit. */
    fx_setup(&f, POLICY_WITH("maxActionsPerAccount: 3"), 4, "stop", "i-");
    assert_int_equal(fc_executor_run(&f.rep, &f.in), FC_OK);
    assert_int_equal(f.cloud.applies, 3);
    assert_string_equal(outcome_of(&f, "opt-3")->reason, "LimitReached");
    assert_non_null(strstr(outcome_of(&f, "opt-3")->message, "maxActionsPerAccount"));
    fx_teardown(&f);
}

/* A journal row of an earlier action started at t. */
static void insert_done(fc_state *st, const char *id, int64_t t)
{
    fc_exec_record r;
    memset(&r, 0, sizeof(r));
    r.id = (char *)id;
    r.optimization = "earlier";
    r.commit = "c";
    r.account = ACCT;
    r.region = REGION;
    r.resource = "i-9";
    r.action = "{}";
    r.state = FC_EXEC_DONE;
    r.created = r.started = r.finished = t;
    assert_int_equal(fc_journal_insert(st, &r), FC_OK);
}

static void test_executor__limit_per_hour(void **s)
{
    fx f;
    (void)s;
    /* Under: one action in the last hour, the limit is 2: it runs. */
    fx_setup(&f, POLICY_WITH("maxActionsPerHour: 2"), 1, "stop", "i-");
    assert_int_equal(fc_journal_migrate(f.store), FC_OK);
    insert_done(f.store, "e-1", SAT_0300 - 600);
    assert_int_equal(fc_executor_run(&f.rep, &f.in), FC_OK);
    assert_int_equal(f.cloud.applies, 1);
    fx_teardown(&f);
    /* At: two in the last hour (one 59:59 ago): nothing more runs. */
    fx_setup(&f, POLICY_WITH("maxActionsPerHour: 2"), 1, "stop", "i-");
    assert_int_equal(fc_journal_migrate(f.store), FC_OK);
    insert_done(f.store, "e-1", SAT_0300 - 600);
    insert_done(f.store, "e-2", SAT_0300 - 3599);
    assert_int_equal(fc_executor_run(&f.rep, &f.in), FC_OK);
    assert_int_equal(f.cloud.applies, 0);
    assert_string_equal(outcome_of(&f, "opt-0")->reason, "LimitReached");
    assert_non_null(strstr(outcome_of(&f, "opt-0")->message, "maxActionsPerHour"));
    fx_teardown(&f);
    /* An action exactly an hour old no longer counts. */
    fx_setup(&f, POLICY_WITH("maxActionsPerHour: 2"), 1, "stop", "i-");
    assert_int_equal(fc_journal_migrate(f.store), FC_OK);
    insert_done(f.store, "e-1", SAT_0300 - 600);
    insert_done(f.store, "e-2", SAT_0300 - 3600);
    assert_int_equal(fc_executor_run(&f.rep, &f.in), FC_OK);
    assert_int_equal(f.cloud.applies, 1);
    fx_teardown(&f);
    /* Over, counting this pass's own actions: 3 planned, limit 2. */
    fx_setup(&f, POLICY_WITH("maxActionsPerHour: 2"), 3, "stop", "i-");
    assert_int_equal(fc_executor_run(&f.rep, &f.in), FC_OK);
    assert_int_equal(f.cloud.applies, 2);
    assert_string_equal(outcome_of(&f, "opt-2")->reason, "LimitReached");
    fx_teardown(&f);
}

static void test_executor__recheck_skips_changed_type_and_attachment(void **s)
{
    fx f;
    (void)s;
    fx_setup(&f, NULL, 3, "stop", "i-");
    /* After discovery: i-0 was resized, i-1 got attached to something,
     * i-2 is untouched. */
    free(f.cloud.res[0].size_class);
    f.cloud.res[0].size_class = fc_strdup("m5.xlarge");
    f.cloud.res[1].attached_to = fc_strdup("asg-1");
    assert_int_equal(fc_executor_run(&f.rep, &f.in), FC_OK);
    assert_int_equal(f.cloud.applies, 1);
    assert_string_equal(outcome_of(&f, "opt-0")->reason, "TargetChanged");
    assert_non_null(strstr(outcome_of(&f, "opt-0")->message, "m5.xlarge"));
    assert_string_equal(outcome_of(&f, "opt-1")->reason, "TargetChanged");
    assert_non_null(strstr(outcome_of(&f, "opt-1")->message, "asg-1"));
    assert_string_equal(outcome_of(&f, "opt-2")->reason, "Executed");
    fx_teardown(&f);
}

static void test_executor__verification_timeout_rolls_back_on_failure(void **s)
{
    fx f;
    fc_exec_list rows;
    size_t i, rollbacks = 0;
    (void)s;
    opt_extra = "  rollback: {onFailure: true}\n";
    fx_setup(&f, POLICY_WITH("verifyTimeoutSeconds: 10"), 1, "stop", "i-");
    opt_extra = "";
    f.cloud.stuck = "stopping"; /* never reaches stopped */
    assert_int_equal(fc_executor_run(&f.rep, &f.in), FC_OK);
    assert_int_equal(f.slept, 10);          /* 1 + 2 + 4 + 3: bounded backoff */
    assert_int_equal(f.cloud.applies, 2);   /* stop, then start */
    assert_string_equal(f.cloud.res[0].state, "running");
    assert_int_equal(count_reason(&f, "VerificationFailed"), 1);
    assert_int_equal(count_reason(&f, "RolledBack"), 1);
    fc_exec_list_init(&rows);
    assert_int_equal(fc_journal_list(f.store, -1, &rows), FC_OK);
    assert_int_equal(rows.n, 2);
    for (i = 0; i < rows.n; i++) {
        if (rows.items[i].kind && strcmp(rows.items[i].kind, "rollback") == 0) {
            rollbacks++;
            assert_int_equal(rows.items[i].state, FC_EXEC_DONE);
            assert_non_null(rows.items[i].parent);
        } else {
            assert_int_equal(rows.items[i].state, FC_EXEC_ROLLED_BACK);
            assert_non_null(strstr(rows.items[i].error, "verification"));
        }
    }
    assert_int_equal(rollbacks, 1);
    fc_exec_list_dispose(&rows);
    fx_teardown(&f);
}

static void test_executor__verification_timeout_without_on_failure(void **s)
{
    fx f;
    fc_exec_list rows;
    (void)s;
    fx_setup(&f, POLICY_WITH("verifyTimeoutSeconds: 10"), 1, "stop", "i-");
    f.cloud.stuck = "stopping";
    assert_int_equal(fc_executor_run(&f.rep, &f.in), FC_OK);
    assert_int_equal(f.cloud.applies, 1); /* no rollback */
    assert_string_equal(f.cloud.res[0].state, "stopping");
    assert_string_equal(outcome_of(&f, "opt-0")->reason, "VerificationFailed");
    fc_exec_list_init(&rows);
    assert_int_equal(fc_journal_list(f.store, -1, &rows), FC_OK);
    assert_int_equal(rows.n, 1);
    assert_int_equal(rows.items[0].state, FC_EXEC_FAILED);
    fc_exec_list_dispose(&rows);
    /* A failed row is not rolled back by the next pass either. */
    fc_exec_report_dispose(&f.rep);
    f.plan.items[0].approved = 0;
    assert_int_equal(fc_executor_run(&f.rep, &f.in), FC_OK);
    assert_int_equal(f.cloud.applies, 1);
    fx_teardown(&f);
}

/* Executes opt-0 (stop i-0), then marks it as the reconciler would on the
 * next pass: the instance is stopped, nothing is planned. */
static void run_stop_then_settle(fx *f)
{
    assert_int_equal(fc_executor_run(&f->rep, &f->in), FC_OK);
    assert_int_equal(f->rep.done, 1);
    assert_string_equal(f->cloud.res[0].state, "stopped");
    fc_exec_report_dispose(&f->rep);
    f->plan.items[0].state = FC_PLAN_NOOP;
    fc_inventory_dispose(&f->inv);
    fc_inventory_init(&f->inv);
    assert_int_equal(fake_discover(&f->cloud.base, NULL, &f->inv), FC_OK);
}

static void test_executor__rollback_when_approval_withdrawn(void **s)
{
    fx f;
    unsigned applies;
    (void)s;
    fx_setup(&f, NULL, 1, "stop", "i-");
    run_stop_then_settle(&f);
    f.plan.items[0].approved = 0; /* the approval commit was reverted */
    /* Dry-run: planned and shown, nothing sent. */
    f.in.live = 0;
    applies = (unsigned)f.cloud.applies;
    assert_int_equal(fc_executor_run(&f.rep, &f.in), FC_OK);
    assert_int_equal((unsigned)f.cloud.applies, applies);
    assert_string_equal(outcome_of(&f, "opt-0")->result, "planned");
    assert_string_equal(outcome_of(&f, "opt-0")->reason, "ApprovalWithdrawn");
    fc_exec_report_dispose(&f.rep);
    /* Live, outside the window (rollbacks ignore it): started again. */
    f.in.live = 1;
    f.in.now = SAT_0300 + 2 * 86400; /* Monday */
    assert_int_equal(fc_executor_run(&f.rep, &f.in), FC_OK);
    assert_int_equal(f.rep.done, 1);
    assert_string_equal(outcome_of(&f, "opt-0")->reason, "RolledBack");
    assert_string_equal(f.cloud.res[0].state, "running");
    assert_int_equal((unsigned)f.cloud.applies, applies + 1);
    fc_exec_report_dispose(&f.rep);
    /* Never repeated. */
    assert_int_equal(fc_executor_run(&f.rep, &f.in), FC_OK);
    assert_int_equal((unsigned)f.cloud.applies, applies + 1);
    assert_int_equal(f.rep.n, 0);
    fx_teardown(&f);
}

static void test_executor__rollback_when_deleted_or_requested(void **s)
{
    fx f;
    fc_spec_set *none = NULL;
    fc_spec_file file = {"policies/p.yaml", policy_yaml, sizeof(policy_yaml) - 1};
    (void)s;
    /* Deleted: the Optimization is gone from the spec tree. */
    fx_setup(&f, NULL, 1, "stop", "i-");
    run_stop_then_settle(&f);
    assert_int_equal(fc_specs_load(&none, &file, 1), FC_OK);
    f.in.all_specs = none;
    assert_int_equal(fc_executor_run(&f.rep, &f.in), FC_OK);
    assert_string_equal(outcome_of(&f, "opt-0")->reason, "RolledBack");
    assert_non_null(strstr(outcome_of(&f, "opt-0")->message, "OptimizationDeleted"));
    assert_string_equal(f.cloud.res[0].state, "running");
    fc_spec_set_free(none);
    fx_teardown(&f);

    /* Requested: spec.rollback.requested, still approved. */
    opt_extra = "  rollback: {requested: true}\n";
    fx_setup(&f, NULL, 1, "stop", "i-");
    opt_extra = "";
    assert_int_equal(fc_executor_run(&f.rep, &f.in), FC_OK);
    assert_string_equal(outcome_of(&f, "opt-0")->reason, "RollbackRequested");
    assert_int_equal(f.cloud.applies, 0); /* nothing runs forward either */
    fx_teardown(&f);
}

static void test_executor__rollback_by_hand(void **s)
{
    fx f;
    char id[256];
    fc_exec_record r;
    (void)s;
    fx_setup(&f, NULL, 2, "stop", "i-");
    assert_int_equal(fc_executor_run(&f.rep, &f.in), FC_OK);
    assert_int_equal(f.rep.done, 2);
    snprintf(id, sizeof(id), "%s", outcome_of(&f, "opt-0")->id);
    fc_exec_report_dispose(&f.rep);
    f.in.rollback_id = "opt-9-000000000000";
    assert_int_equal(fc_executor_run(&f.rep, &f.in), FC_ENOTFOUND);
    fc_exec_report_dispose(&f.rep);
    f.in.rollback_id = id;
    assert_int_equal(fc_executor_run(&f.rep, &f.in), FC_OK);
    assert_int_equal(f.rep.n, 1); /* only that one, and no forward item */
    assert_string_equal(f.rep.items[0].reason, "RolledBack");
    assert_string_equal(f.cloud.res[0].state, "running");
    assert_string_equal(f.cloud.res[1].state, "stopped");
    assert_int_equal(fc_journal_get(f.store, id, &r), FC_OK);
    assert_int_equal(r.state, FC_EXEC_ROLLED_BACK);
    fc_exec_record_dispose(&r);
    fx_teardown(&f);
}

static void test_executor__irreversible_is_not_rollbackable(void **s)
{
    fx f;
    char id[256];
    (void)s;
    fx_setup(&f,
             "apiVersion: finops.dev/v1alpha1\nkind: Policy\nmetadata: {name: p}\n"
             "spec: {irreversible: true}\n",
             1, "release-address", "eipalloc-");
    assert_int_equal(fc_executor_run(&f.rep, &f.in), FC_OK);
    assert_int_equal(f.rep.done, 1);
    snprintf(id, sizeof(id), "%s", f.rep.items[0].id);
    fc_exec_report_dispose(&f.rep);
    f.in.rollback_id = id;
    assert_int_equal(fc_executor_run(&f.rep, &f.in), FC_OK);
    assert_string_equal(f.rep.items[0].reason, "NotRollbackable");
    assert_int_equal(f.cloud.applies, 1);
    fx_teardown(&f);
}

static void test_executor__resume_settles_interrupted_rollback(void **s)
{
    fx f;
    fc_exec_record r, rb;
    size_t n;
    (void)s;
    fx_setup(&f, NULL, 1, "stop", "i-");
    assert_int_equal(fc_executor_run(&f.rep, &f.in), FC_OK); /* i-0 stopped, row done */
    /* A rollback (start i-0) was sent, then the process died. */
    memset(&rb, 0, sizeof(rb));
    rb.id = "rb-1";
    rb.optimization = "opt-0";
    rb.commit = "c";
    rb.account = ACCT;
    rb.region = REGION;
    rb.resource = "i-0";
    rb.action = "{\"action\":\"rollback\",\"type\":\"ec2-instance\","
                "\"expect\":{\"state\":\"running\"}}";
    rb.state = FC_EXEC_STARTED;
    rb.kind = "rollback";
    rb.parent = f.rep.items[0].id;
    rb.created = rb.started = 2;
    assert_int_equal(fc_journal_insert(f.store, &rb), FC_OK);
    free(f.cloud.res[0].state);
    f.cloud.res[0].state = fc_strdup("running");
    assert_int_equal(fc_executor_resume(f.store, cloud_for, &f.cloud.base, 9, &n), FC_OK);
    assert_int_equal(n, 1);
    assert_int_equal(fc_journal_get(f.store, "rb-1", &r), FC_OK);
    assert_int_equal(r.state, FC_EXEC_DONE);
    assert_string_equal(r.kind, "rollback");
    fc_exec_record_dispose(&r);
    assert_int_equal(fc_journal_get(f.store, f.rep.items[0].id, &r), FC_OK);
    assert_int_equal(r.state, FC_EXEC_ROLLED_BACK);
    fc_exec_record_dispose(&r);
    fx_teardown(&f);
}

/* ---- the executor on the sim: snapshot-first delete, injected faults ----- */

static int sim_cloud_for(void *payload, const char *account, fc_cloud **cloud,
                         const char **role)
{
    (void)account;
    *cloud = payload;
    *role = NULL;
    return FC_OK;
}

/* One Optimization (action on resource, extra spec lines) over the sim in
 * dir, executed live; returns the report, the store stays open in *store. */
static void sim_execute(fc_cloud *c, fc_state *store, const fc_resource *target,
                        const char *action, const char *policy_extra, const char *opt_lines,
                        const char *rollback_id, fc_exec_report *rep, unsigned *slept)
{
    char *docs[2];
    fc_spec_file files[2];
    fc_spec_set *set = NULL;
    fc_plan plan;
    fc_plan_item *it;
    fc_inventory inv;
    fc_discovery_scope sc;
    fc_executor_input in;

    docs[0] = fc_asprintf("apiVersion: finops.dev/v1alpha1\nkind: Policy\nmetadata: {name: p}\n"
                          "spec: {irreversible: false%s}\n", policy_extra);
    docs[1] = fc_asprintf(
        "apiVersion: finops.dev/v1alpha1\nkind: Optimization\nmetadata: {name: o}\n"
        "spec:\n  target: {account: \"%s\", region: %s, resource: %s}\n"
        "  action: %s\n  approval: {approvedBy: [alice@example.com]}\n%s",
        target->account, target->region, target->id, action, opt_lines);
    files[0].path = "p.yaml";
    files[0].data = docs[0];
    files[0].len = strlen(docs[0]);
    files[1].path = "o.yaml";
    files[1].data = docs[1];
    files[1].len = strlen(docs[1]);
    assert_int_equal(fc_specs_load(&set, files, 2), FC_OK);
    assert_int_equal(set->nerrors, 0);
    fc_plan_init(&plan);
    plan.items = calloc(1, sizeof(*it));
    plan.n = plan.cap = 1;
    it = &plan.items[0];
    it->optimization = fc_strdup("o");
    it->action = fc_strdup(action);
    it->account = fc_strdup(target->account);
    it->region = fc_strdup(target->region);
    it->resource = fc_strdup(target->id);
    it->state = FC_PLAN_PLANNED;
    it->approved = 1;
    memset(&sc, 0, sizeof(sc));
    sc.now = SAT_0300;
    fc_inventory_init(&inv);
    assert_int_equal(fc_cloud_discover(c, &sc, &inv), FC_OK);
    memset(&in, 0, sizeof(in));
    in.plan = &plan;
    in.specs = set;
    in.inv = &inv;
    in.commit = "c0ffee";
    in.state = store;
    in.cloud_for = sim_cloud_for;
    in.payload = c;
    in.now = SAT_0300;
    in.live = 1;
    in.rollback_id = rollback_id;
    in.sleep_fn = count_sleep;
    in.sleep_payload = slept;
    assert_int_equal(fc_executor_run(rep, &in), FC_OK);
    fc_inventory_dispose(&inv);
    fc_plan_dispose(&plan);
    fc_spec_set_free(set);
    free(docs[0]);
    free(docs[1]);
}

static void test_executor__sim_snapshot_and_delete_rolls_back(void **s)
{
    char dir[] = "/tmp/fc-exec-XXXXXX", path[256], estate[1024], id[256];
    fc_cloud *c = NULL;
    fc_state *store = NULL;
    fc_exec_report rep;
    fc_exec_list rows;
    fc_inventory inv;
    fc_discovery_scope sc;
    fc_resource vol, r;
    unsigned slept = 0;
    size_t i;
    const char *created = NULL;
    (void)s;

    snprintf(estate, sizeof(estate), "%s/examples/sim/estate.yaml", getenv("FC_SOURCE_DIR"));
    assert_non_null(mkdtemp(dir));
    assert_int_equal(fc_sim_open_with_state(&c, estate, dir), FC_OK);
    assert_int_equal(fc_state_open_memory(&store), FC_OK);
    memset(&sc, 0, sizeof(sc));
    sc.now = SAT_0300;
    fc_inventory_init(&inv);
    memset(&vol, 0, sizeof(vol));
    assert_int_equal(fc_cloud_discover(c, &sc, &inv), FC_OK);
    for (i = 0; i < inv.nresources && !vol.id; i++)
        if (inv.resources[i].type == FC_RES_EBS_VOLUME && !inv.resources[i].attached_to &&
            inv.resources[i].state && strcmp(inv.resources[i].state, "available") == 0)
            assert_int_equal(fc_resource_copy(&vol, &inv.resources[i]), FC_OK);
    fc_inventory_dispose(&inv);
    assert_non_null(vol.id);
    assert_true(vol.ntags > 0); /* so the re-tag step is exercised */

    fc_exec_report_init(&rep);
    sim_execute(c, store, &vol, "snapshot-and-delete", "", "", NULL, &rep, &slept);
    assert_int_equal(rep.done, 1);
    snprintf(id, sizeof(id), "%s", rep.items[0].id);
    fc_exec_report_dispose(&rep);
    assert_int_equal(fc_cloud_describe(c, FC_RES_EBS_VOLUME, NULL, NULL, NULL, vol.id, &r),
                     FC_ENOTFOUND);
    fc_resource_dispose(&r);

    /* By hand: a new volume from the snapshot, same type, size and tags. */
    fc_exec_report_init(&rep);
    sim_execute(c, store, &vol, "snapshot-and-delete", "", "", id, &rep, &slept);
    assert_int_equal(rep.n, 1);
    assert_string_equal(rep.items[0].reason, "RolledBack");
    fc_exec_report_dispose(&rep);
    fc_exec_list_init(&rows);
    assert_int_equal(fc_journal_list(store, -1, &rows), FC_OK);
    assert_int_equal(rows.n, 2);
    for (i = 0; i < rows.n; i++)
        if (rows.items[i].kind && strcmp(rows.items[i].kind, "rollback") == 0) {
            json_object *after = json_tokener_parse(rows.items[i].after), *v;
            assert_non_null(after);
            assert_true(json_object_object_get_ex(after, "id", &v));
            created = fc_strdup(json_object_get_string(v));
            json_object_put(after);
        } else {
            assert_int_equal(rows.items[i].state, FC_EXEC_ROLLED_BACK);
        }
    fc_exec_list_dispose(&rows);
    assert_non_null(created);
    assert_string_not_equal(created, vol.id);
    assert_int_equal(fc_cloud_describe(c, FC_RES_EBS_VOLUME, NULL, NULL, NULL, created, &r),
                     FC_OK);
    assert_string_equal(r.state, "available");
    assert_string_equal(r.size_class, vol.size_class);
    assert_true(r.size == vol.size);
    assert_int_equal(r.ntags, vol.ntags);
    for (i = 0; i < vol.ntags; i++) {
        size_t j;
        int found = 0;
        for (j = 0; j < r.ntags; j++)
            found |= strcmp(r.tags[j].key, vol.tags[i].key) == 0 &&
                     strcmp(r.tags[j].value, vol.tags[i].value) == 0;
        assert_true(found);
    }
    fc_resource_dispose(&r);
    free((char *)created);
    fc_resource_dispose(&vol);
    fc_state_close(store);
    fc_cloud_free(c);
    snprintf(path, sizeof(path), "%s/sim-state.json", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/sim-actions.log", dir);
    unlink(path);
    rmdir(dir);
}

static void test_executor__sim_fault_stalls_and_auto_rolls_back(void **s)
{
    char dir[] = "/tmp/fc-exec-XXXXXX", path[256], estate[1024];
    fc_cloud *c = NULL;
    fc_state *store = NULL;
    fc_exec_report rep;
    fc_resource inst;
    unsigned slept = 0;
    FILE *f;
    (void)s;

    snprintf(estate, sizeof(estate), "%s/examples/sim/estate.yaml", getenv("FC_SOURCE_DIR"));
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/sim-state.json", dir);
    assert_non_null(f = fopen(path, "w"));
    fputs("{\"resources\": [], \"faults\": {\"i-08308ecbadbbe3216\": "
          "{\"stop-instances\": \"stopping\"}}}", f);
    fclose(f);
    assert_int_equal(fc_sim_open_with_state(&c, estate, dir), FC_OK);
    assert_int_equal(fc_state_open_memory(&store), FC_OK);
    assert_int_equal(fc_cloud_describe(c, FC_RES_EC2_INSTANCE, NULL, NULL, NULL,
                                       "i-08308ecbadbbe3216", &inst), FC_OK);
    fc_exec_report_init(&rep);
    sim_execute(c, store, &inst, "stop", ", limits: {verifyTimeoutSeconds: 20}",
                "  rollback: {onFailure: true}\n", NULL, &rep, &slept);
    fc_resource_dispose(&inst);
    assert_int_equal(slept, 20);
    assert_int_equal(rep.failed, 1);
    assert_int_equal(rep.done, 1);
    assert_string_equal(rep.items[0].reason, "VerificationFailed");
    assert_non_null(strstr(rep.items[0].message, "stopping"));
    assert_string_equal(rep.items[1].reason, "RolledBack");
    assert_non_null(strstr(rep.items[1].message, "AutoRollback"));
    fc_exec_report_dispose(&rep);
    assert_int_equal(fc_cloud_describe(c, FC_RES_EC2_INSTANCE, NULL, NULL, NULL,
                                       "i-08308ecbadbbe3216", &inst), FC_OK);
    assert_string_equal(inst.state, "running");
    fc_resource_dispose(&inst);
    fc_state_close(store);
    fc_cloud_free(c);
    /* The overlay keeps its faults across rewrites. */
    assert_non_null(f = fopen(path, "r"));
    {
        char buf[8192];
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        buf[n] = '\0';
        assert_non_null(strstr(buf, "\"faults\""));
    }
    fclose(f);
    unlink(path);
    snprintf(path, sizeof(path), "%s/sim-actions.log", dir);
    unlink(path);
    rmdir(dir);
}

/* ---- the sim provider: apply, describe, overlay ------------------------- */

static void test_executor__sim_apply_persists_in_overlay(void **s)
{
    char dir[] = "/tmp/fc-exec-XXXXXX", path[256];
    char estate[1024];
    fc_cloud *c = NULL;
    fc_resource r;
    fc_action a;
    fc_action_result res;
    fc_tag p = {"volumeType", "gp3"};
    char *snap;
    (void)s;

    assert_non_null(getenv("FC_SOURCE_DIR"));
    snprintf(estate, sizeof(estate), "%s/examples/sim/estate.yaml", getenv("FC_SOURCE_DIR"));
    assert_non_null(mkdtemp(dir));
    assert_int_equal(fc_sim_open_with_state(&c, estate, dir), FC_OK);
    assert_int_equal(fc_cloud_describe(c, FC_RES_EC2_INSTANCE, NULL, NULL, NULL,
                                       "i-08308ecbadbbe3216", &r), FC_OK);
    assert_string_equal(r.state, "running");
    fc_resource_dispose(&r);
    memset(&a, 0, sizeof(a));
    a.kind = "stop-instances";
    a.resource = "i-08308ecbadbbe3216";
    assert_int_equal(fc_cloud_apply(c, &a, &res), FC_OK);
    assert_string_equal(res.state, "stopped");
    fc_action_result_dispose(&res);
    a.kind = "modify-instance-type"; /* needs a parameter */
    assert_int_equal(fc_cloud_apply(c, &a, &res), FC_EINVALID);
    fc_cloud_free(c);

    /* Another process sees it; the estate file is untouched. */
    assert_int_equal(fc_sim_open_with_state(&c, estate, dir), FC_OK);
    assert_int_equal(fc_cloud_describe(c, FC_RES_EC2_INSTANCE, NULL, NULL, NULL,
                                       "i-08308ecbadbbe3216", &r), FC_OK);
    assert_string_equal(r.state, "stopped");
    fc_resource_dispose(&r);
    /* Snapshot, delete, recreate from the snapshot. */
    {
        fc_inventory inv;
        fc_discovery_scope sc;
        size_t i;
        const char *vol = NULL;
        memset(&sc, 0, sizeof(sc));
        sc.now = SAT_0300;
        fc_inventory_init(&inv);
        assert_int_equal(fc_cloud_discover(c, &sc, &inv), FC_OK);
        for (i = 0; i < inv.nresources && !vol; i++)
            if (inv.resources[i].type == FC_RES_EBS_VOLUME && !inv.resources[i].attached_to)
                vol = inv.resources[i].id;
        assert_non_null(vol);
        a.kind = "create-snapshot";
        a.resource = vol;
        assert_int_equal(fc_cloud_apply(c, &a, &res), FC_OK);
        assert_non_null(res.new_id);
        snap = res.new_id;
        res.new_id = NULL;
        fc_action_result_dispose(&res);
        a.kind = "delete-volume";
        assert_int_equal(fc_cloud_apply(c, &a, &res), FC_OK);
        fc_action_result_dispose(&res);
        assert_int_equal(fc_cloud_describe(c, FC_RES_EBS_VOLUME, NULL, NULL, NULL, vol, &r),
                         FC_ENOTFOUND);
        fc_resource_dispose(&r);
        a.kind = "create-volume-from-snapshot";
        a.resource = snap;
        a.params = &p;
        a.nparams = 1;
        assert_int_equal(fc_cloud_apply(c, &a, &res), FC_OK);
        assert_non_null(res.new_id);
        fc_cloud_free(c);
        assert_int_equal(fc_sim_open_with_state(&c, estate, dir), FC_OK);
        assert_int_equal(fc_cloud_describe(c, FC_RES_EBS_VOLUME, NULL, NULL, NULL,
                                           res.new_id, &r), FC_OK);
        assert_string_equal(r.size_class, "gp3");
        fc_resource_dispose(&r);
        assert_int_equal(fc_cloud_describe(c, FC_RES_EBS_VOLUME, NULL, NULL, NULL, vol, &r),
                         FC_ENOTFOUND);
        fc_resource_dispose(&r);
        fc_action_result_dispose(&res);
        free(snap);
        fc_inventory_dispose(&inv);
    }
    fc_cloud_free(c);
    /* Without a state dir the sim still opens, changes stay in memory. */
    assert_int_equal(fc_sim_open(&c, estate), FC_OK);
    assert_int_equal(fc_cloud_describe(c, FC_RES_EC2_INSTANCE, NULL, NULL, NULL,
                                       "i-08308ecbadbbe3216", &r), FC_OK);
    assert_string_equal(r.state, "running");
    fc_resource_dispose(&r);
    fc_cloud_free(c);
    snprintf(path, sizeof(path), "%s/sim-state.json", dir);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_executor__window),
        cmocka_unit_test(test_executor__mapping),
        cmocka_unit_test(test_executor__dry_run_executes_nothing),
        cmocka_unit_test(test_executor__journal_row_committed_before_apply),
        cmocka_unit_test(test_executor__failed_apply_is_journaled),
        cmocka_unit_test(test_executor__limit_per_pass),
        cmocka_unit_test(test_executor__outside_window_skipped),
        cmocka_unit_test(test_executor__target_changed_is_not_touched),
        cmocka_unit_test(test_executor__irreversible_needs_policy),
        cmocka_unit_test(test_executor__resume_marks_done_when_it_happened),
        cmocka_unit_test(test_executor__resume_retries_under_the_same_id),
        cmocka_unit_test(test_executor__resume_gives_up_after_max_attempts),
        cmocka_unit_test(test_executor__resume_polls_a_state_in_between),
        cmocka_unit_test(test_executor__resume_retries_interrupted_rollback),
        cmocka_unit_test(test_executor__sim_apply_persists_in_overlay),
        cmocka_unit_test(test_executor__limit_per_account),
        cmocka_unit_test(test_executor__limit_per_hour),
        cmocka_unit_test(test_executor__recheck_skips_changed_type_and_attachment),
        cmocka_unit_test(test_executor__verification_timeout_rolls_back_on_failure),
        cmocka_unit_test(test_executor__verification_timeout_without_on_failure),
        cmocka_unit_test(test_executor__rollback_when_approval_withdrawn),
        cmocka_unit_test(test_executor__rollback_when_deleted_or_requested),
        cmocka_unit_test(test_executor__rollback_by_hand),
        cmocka_unit_test(test_executor__irreversible_is_not_rollbackable),
        cmocka_unit_test(test_executor__resume_settles_interrupted_rollback),
        cmocka_unit_test(test_executor__sim_snapshot_and_delete_rolls_back),
        cmocka_unit_test(test_executor__sim_fault_stalls_and_auto_rolls_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
