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
    fc_resource *r = fake_find(fake_of(c), id);
    (void)account, (void)region, (void)role;
    memset(out, 0, sizeof(*out));
    if (!r || r->type != type)
        return fc_error_set(FC_ENOTFOUND, "%s not found", id);
    return fc_resource_copy(out, r);
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
        r->state = fc_strdup("stopped");
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
} fx;

/* Saturday 2026-11-21 03:00 UTC: inside sat/sun 02:00-06:00. */
#define SAT_0300 1795230000

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
            "  window: {days: [sat, sun], start: \"02:00\", end: \"06:00\", timezone: UTC}\n",
            name, ACCT, REGION, rid, action);
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

static void test_executor__resume_marks_failed_and_never_retries(void **s)
{
    fx f;
    fc_exec_record r;
    size_t n;
    (void)s;
    fx_setup(&f, NULL, 1, "stop", "i-");
    assert_int_equal(fc_journal_migrate(f.store), FC_OK);
    insert_started(f.store, "x-1", "i-0"); /* still running: it never happened */
    assert_int_equal(fc_executor_resume(f.store, cloud_for, &f.cloud.base, 9, &n), FC_OK);
    assert_int_equal(n, 1);
    assert_int_equal(fc_journal_get(f.store, "x-1", &r), FC_OK);
    assert_int_equal(r.state, FC_EXEC_FAILED);
    assert_string_equal(r.error, "interrupted; not retried automatically");
    fc_exec_record_dispose(&r);
    assert_int_equal(f.cloud.applies, 0);
    fx_teardown(&f);
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
        cmocka_unit_test(test_executor__resume_marks_failed_and_never_retries),
        cmocka_unit_test(test_executor__sim_apply_persists_in_overlay),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
