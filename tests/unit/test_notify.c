/*
 * test_notify.c - budget alerts over a sequence of passes (edge-triggered:
 * fire once, clear, fire again), the outbox (retries, kept for the next
 * pass, never sent twice), target parsing and payloads, and that no secret
 * URL path reaches the log.  Transport is a fake at the module boundary;
 * tests/integration/test_budget_alerts.sh posts to a real HTTP server.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "controller/core/fc_error.h"
#include "controller/core/fc_log.h"
#include "controller/core/fc_util.h"
#include "controller/notify/fc_notify.h"

#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define A "111111111111"
#define EC2 "Amazon Elastic Compute Cloud - Compute"
#define HOOK "https://hooks.example.com/services/T000/B000/SECRETPATH"

static int64_t at(const char *iso)
{
    int64_t t = 0;
    assert_int_equal(fc_time_parse(iso, &t), 0);
    return t;
}

/* ---- a fake transport ---------------------------------------------------- */

typedef struct {
    int fail_first;   /* answer 500 to this many calls */
    int calls;
    char urls[8][256];
    char *bodies[8];
} fake;

static int fake_post(void *payload, const char *url, const char *body, long *status)
{
    fake *f = payload;
    if (f->calls < 8) {
        snprintf(f->urls[f->calls], sizeof(f->urls[0]), "%s", url);
        f->bodies[f->calls] = fc_strdup(body);
    }
    *status = f->calls < f->fail_first ? 500 : 200;
    f->calls++;
    return FC_OK;
}

static void fake_dispose(fake *f)
{
    int i;
    for (i = 0; i < 8; i++)
        free(f->bodies[i]);
    memset(f, 0, sizeof(*f));
}

/* ---- a budget and its costs --------------------------------------------- */

typedef struct {
    fc_budget_spec spec;
    fc_budget_threshold th[2];
    char *notify[3];
    fc_object obj;
    fc_spec_set set;
    fc_inventory inv;
} world;

/* 100/day for Nov 1-19: actual 1900 at Nov 20 noon, forecast 3000. */
static void world_init(world *w, double amount)
{
    int64_t d;
    memset(w, 0, sizeof(*w));
    w->spec.amount = amount;
    w->th[0].percent = 80;
    w->th[0].type = "actual";
    w->th[1].percent = 100;
    w->th[1].type = "forecast";
    w->spec.thresholds = w->th;
    w->spec.nthresholds = 2;
    w->notify[0] = "webhook:" HOOK;
    w->notify[1] = "slack:env:FC_TEST_SLACK_URL";
    w->notify[2] = "finance@example.com";
    w->spec.notify = w->notify;
    w->spec.nnotify = 3;
    w->obj.kind = FC_KIND_BUDGET;
    w->obj.metadata.name = "team-a";
    w->obj.spec.budget = &w->spec;
    w->set.objects = &w->obj;
    w->set.nobjects = 1;
    fc_inventory_init(&w->inv);
    for (d = at("2026-11-01"); d < at("2026-11-20"); d += FC_DAY)
        assert_int_equal(fc_inventory_add_cost(&w->inv, A, EC2, d, 100), FC_OK);
}

static size_t pending(fc_state *s)
{
    size_t n = 0;
    assert_int_equal(fc_notify_pending(s, &n), FC_OK);
    return n;
}

static void pass(fc_state *s, world *w, const char *now, size_t want_fired,
                 fc_budget_alert_list *alerts)
{
    size_t fired = 99;
    fc_budget_alert_list_dispose(alerts);
    assert_int_equal(fc_notify_budget_alerts(s, &w->set, &w->inv, at(now), 1, alerts, &fired),
                     FC_OK);
    assert_int_equal(fired, want_fired);
}

static void test_notify__alerts_fire_once_clear_and_fire_again(void **state)
{
    fc_state *s;
    world w;
    fc_budget_alert_list al;
    (void)state;

    fc_budget_alert_list_init(&al);
    world_init(&w, 2375); /* actual 80.0 %, forecast 126 % */
    assert_int_equal(fc_state_open_memory(&s), FC_OK);

    /* Pass 1: both thresholds cross and fire; 2 targets x 2 alerts queued
     * (email is not delivered). */
    pass(s, &w, "2026-11-20T12:00:00Z", 2, &al);
    assert_int_equal(al.n, 2);
    assert_string_equal(al.items[0].type, "actual");
    assert_true(al.items[0].active && al.items[0].times == 1);
    assert_true(al.items[0].fired_at == at("2026-11-20T12:00:00Z"));
    assert_int_equal(pending(s), 4);

    /* Pass 2, an hour later, same spend: still crossed, nothing fires. */
    pass(s, &w, "2026-11-20T13:00:00Z", 0, &al);
    assert_int_equal(al.n, 2);
    assert_true(al.items[1].fired_at == at("2026-11-20T12:00:00Z"));
    assert_int_equal(pending(s), 4);

    /* Pass 3: the amount was raised; both clear, still listed. */
    w.spec.amount = 10000;
    pass(s, &w, "2026-11-20T14:00:00Z", 0, &al);
    assert_int_equal(al.n, 2);
    assert_false(al.items[0].active);
    assert_true(al.items[0].cleared_at == at("2026-11-20T14:00:00Z"));

    /* Pass 4: lowered again - a new crossing fires again. */
    w.spec.amount = 2375;
    pass(s, &w, "2026-11-20T15:00:00Z", 2, &al);
    assert_true(al.items[0].active && al.items[0].times == 2);
    assert_true(al.items[0].fired_at == at("2026-11-20T15:00:00Z"));
    assert_true(al.items[0].cleared_at == 0);
    assert_int_equal(pending(s), 8);

    /* A new month has new keys: no December spend yet, but November's run
     * rate forecasts 3100, so the forecast alert fires afresh. */
    pass(s, &w, "2026-12-01T12:00:00Z", 1, &al);
    assert_int_equal(al.n, 1);
    assert_string_equal(al.items[0].type, "forecast");
    assert_true(al.items[0].period_start == at("2026-12-01"));

    /* A plan (commit = 0) changes nothing. */
    {
        size_t fired = 0;
        w.spec.amount = 10000;
        fc_budget_alert_list_dispose(&al);
        assert_int_equal(fc_notify_budget_alerts(s, &w.set, &w.inv,
                                                 at("2026-11-20T16:00:00Z"), 0, &al, &fired),
                         FC_OK);
        assert_false(al.items[0].active); /* what the status would show */
        w.spec.amount = 2375;
        pass(s, &w, "2026-11-20T17:00:00Z", 0, &al); /* still active: rolled back */
        assert_true(al.items[0].active && al.items[0].times == 2);
    }
    fc_budget_alert_list_dispose(&al);
    fc_inventory_dispose(&w.inv);
    fc_state_close(s);
}

static void test_notify__unevaluable_scope_changes_no_alert(void **state)
{
    fc_state *s;
    world w;
    fc_budget_alert_list al;
    fc_kv tags[1] = {{"team", "a"}};
    (void)state;

    fc_budget_alert_list_init(&al);
    world_init(&w, 2375);
    assert_int_equal(fc_state_open_memory(&s), FC_OK);
    pass(s, &w, "2026-11-20T12:00:00Z", 2, &al);
    w.spec.scope.tags = tags;
    w.spec.scope.ntags = 1;
    pass(s, &w, "2026-11-20T13:00:00Z", 0, &al);
    assert_true(al.items[0].active); /* not cleared on data we cannot judge */
    fc_budget_alert_list_dispose(&al);
    fc_inventory_dispose(&w.inv);
    fc_state_close(s);
}

/* Runs flush with stderr captured; returns what was logged (free it). */
static char *flush_logged(fc_state *s, fc_notify_opts *o, fc_notify_stats *st)
{
    char path[] = "/tmp/fc-notify-log.XXXXXX";
    int fd = mkstemp(path), saved;
    char *buf = calloc(1, 65536);
    ssize_t n;

    assert_true(fd >= 0 && buf);
    fflush(stderr);
    saved = dup(2);
    dup2(fd, 2);
    assert_int_equal(fc_notify_flush(s, o, at("2026-11-20T12:00:00Z"), st), FC_OK);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    lseek(fd, 0, SEEK_SET);
    n = read(fd, buf, 65535);
    buf[n > 0 ? n : 0] = '\0';
    close(fd);
    unlink(path);
    return buf;
}

static void test_notify__outbox_retries_and_keeps_failures(void **state)
{
    fc_state *s;
    world w;
    fc_budget_alert_list al;
    fc_notify_opts o;
    fc_notify_stats st;
    fake f;
    char *log;
    int i, slack = 0, hook = 0;
    (void)state;

    fc_log_configure(FC_LOG_DEBUG, 0);
    setenv("FC_TEST_SLACK_URL", "https://hooks.slack.example/services/T1/B1/SLACKSECRET", 1);
    fc_budget_alert_list_init(&al);
    world_init(&w, 2375);
    assert_int_equal(fc_state_open_memory(&s), FC_OK);
    pass(s, &w, "2026-11-20T12:00:00Z", 2, &al);

    /* Every attempt fails: 1 + 2 retries per notification, all kept. */
    memset(&f, 0, sizeof(f));
    memset(&o, 0, sizeof(o));
    o.retries = 2;
    o.backoff_ms = 1;
    o.post = fake_post;
    o.post_payload = &f;
    f.fail_first = 1000;
    log = flush_logged(s, &o, &st);
    assert_int_equal(f.calls, 4 * 3);
    assert_int_equal(st.sent, 0);
    assert_int_equal(st.failed, 4);
    assert_int_equal(pending(s), 4);
    assert_null(strstr(log, "SECRET"));
    assert_non_null(strstr(log, "hooks.example.com"));
    assert_non_null(strstr(log, "HTTP 500"));
    free(log);
    fake_dispose(&f);

    /* Next pass: the first call fails once more, then everything goes. */
    f.fail_first = 1;
    log = flush_logged(s, &o, &st);
    assert_int_equal(f.calls, 5);
    assert_int_equal(st.sent, 4);
    assert_int_equal(st.failed, 0);
    assert_int_equal(pending(s), 0);
    assert_null(strstr(log, "SECRET"));
    free(log);
    for (i = 1; i < f.calls; i++) {
        struct json_object *j = json_tokener_parse(f.bodies[i]), *v;
        assert_non_null(j);
        if (strstr(f.urls[i], "SLACKSECRET")) {
            slack++;
            assert_true(json_object_object_get_ex(j, "text", &v));
            assert_non_null(strstr(json_object_get_string(v), "Budget team-a"));
            assert_true(json_object_object_get_ex(j, "blocks", &v));
            assert_true(json_object_array_length(v) == 2);
        } else {
            hook++;
            assert_string_equal(f.urls[i], HOOK);
            assert_true(json_object_object_get_ex(j, "kind", &v));
            assert_string_equal(json_object_get_string(v), "BudgetAlert");
            assert_true(json_object_object_get_ex(j, "budget", &v));
            assert_string_equal(json_object_get_string(v), "team-a");
            assert_true(json_object_object_get_ex(j, "key", &v));
            assert_non_null(strstr(json_object_get_string(v), "budget/team-a/2026-11-01/"));
        }
        json_object_put(j);
    }
    assert_int_equal(slack, 2);
    assert_int_equal(hook, 2);
    fake_dispose(&f);

    /* Nothing is sent twice. */
    pass(s, &w, "2026-11-20T12:00:00Z", 0, &al);
    log = flush_logged(s, &o, &st);
    assert_int_equal(f.calls, 0);
    free(log);

    /* A missing environment URL waits for the next pass. */
    w.spec.amount = 100000;
    pass(s, &w, "2026-11-20T13:00:00Z", 0, &al);
    w.spec.amount = 2375;
    unsetenv("FC_TEST_SLACK_URL");
    pass(s, &w, "2026-11-20T14:00:00Z", 2, &al);
    log = flush_logged(s, &o, &st);
    assert_int_equal(st.sent, 2);   /* the webhooks */
    assert_int_equal(st.failed, 2); /* slack: no URL yet */
    assert_non_null(strstr(log, "FC_TEST_SLACK_URL"));
    free(log);
    fc_log_configure(FC_LOG_WARN, 0);
    fake_dispose(&f);
    fc_budget_alert_list_dispose(&al);
    fc_inventory_dispose(&w.inv);
    fc_state_close(s);
}

static void test_notify__targets_and_descriptions(void **state)
{
    fc_notify_target t;
    char d[256];
    (void)state;

    assert_int_equal(fc_notify_target_parse(&t, "webhook:" HOOK), FC_OK);
    assert_int_equal(t.kind, FC_NOTIFY_WEBHOOK);
    assert_string_equal(t.url, HOOK);
    fc_notify_target_describe(d, sizeof(d), "webhook:" HOOK);
    assert_string_equal(d, "webhook:hooks.example.com");
    fc_notify_target_describe(d, sizeof(d), "slack:https://u:pw@hooks.slack.com:8443/x/y");
    assert_string_equal(d, "slack:hooks.slack.com:8443");
    assert_int_equal(fc_notify_target_parse(&t, "slack:env:MY_HOOK_1"), FC_OK);
    assert_int_equal(t.kind, FC_NOTIFY_SLACK);
    assert_string_equal(t.env, "MY_HOOK_1");
    assert_int_equal(fc_notify_target_parse(&t, "ops@example.com"), FC_OK);
    assert_int_equal(t.kind, FC_NOTIFY_EMAIL);
    assert_int_equal(fc_notify_target_parse(&t, "email:ops@example.com"), FC_OK);
    assert_string_equal(t.address, "ops@example.com");
    assert_int_equal(fc_notify_target_parse(&t, "webhook:ftp://x"), FC_EINVALID);
    assert_int_equal(fc_notify_target_parse(&t, "slack:env:lower"), FC_EINVALID);
    assert_int_equal(fc_notify_target_parse(&t, "nobody"), FC_EINVALID);
    fc_notify_alert_key(d, sizeof(d), "b", at("2026-10-01"), "forecast", 80);
    assert_string_equal(d, "budget/b/2026-10-01/forecast/80");
    fc_notify_alert_key(d, sizeof(d), "b", at("2026-10-01"), "actual", 87.5);
    assert_string_equal(d, "budget/b/2026-10-01/actual/87.5");
}

/* The loader takes scope.regions, scope.tags and notify targets, and
 * rejects a bad target without echoing it (it may hold a secret). */
static void test_notify__budget_spec_targets_and_scope(void **state)
{
    static const char good[] =
        "apiVersion: finops.dev/v1alpha1\nkind: Budget\nmetadata: {name: b}\n"
        "spec:\n  amount: 10\n"
        "  scope: {regions: [eu-west-1], tags: {team: a, env: prod}}\n"
        "  notify: [\"webhook:https://h.example/x\", \"slack:env:SLACK_URL\", a@b.example]\n";
    static const char bad[] =
        "apiVersion: finops.dev/v1alpha1\nkind: Budget\nmetadata: {name: b}\n"
        "spec:\n  amount: 10\n"
        "  scope: {regions: [Nowhere]}\n"
        "  notify: [\"slack:ftp://h.example/T0/SECRETX\"]\n";
    fc_spec_file f = {"finops/budgets/b.yaml", good, sizeof(good) - 1};
    fc_spec_set *set = NULL;
    const fc_budget_spec *b;
    char line[512];
    size_t i;
    int saw_notify = 0, saw_region = 0;
    (void)state;

    assert_int_equal(fc_specs_load(&set, &f, 1), FC_OK);
    assert_int_equal(set->nerrors, 0);
    b = set->objects[0].spec.budget;
    assert_int_equal(b->scope.nregions, 1);
    assert_int_equal(b->scope.ntags, 2);
    assert_int_equal(b->nnotify, 3);
    fc_spec_set_free(set);

    f.data = bad;
    f.len = sizeof(bad) - 1;
    assert_int_equal(fc_specs_load(&set, &f, 1), FC_OK);
    for (i = 0; i < set->nerrors; i++) {
        fc_spec_error_format(&set->errors[i], line, sizeof(line));
        assert_null(strstr(line, "SECRETX"));
        saw_notify |= strstr(line, "spec.notify[0]") != NULL;
        saw_region |= strstr(line, "spec.scope.regions[0]") != NULL;
    }
    assert_true(saw_notify && saw_region);
    fc_spec_set_free(set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_notify__alerts_fire_once_clear_and_fire_again),
        cmocka_unit_test(test_notify__unevaluable_scope_changes_no_alert),
        cmocka_unit_test(test_notify__outbox_retries_and_keeps_failures),
        cmocka_unit_test(test_notify__targets_and_descriptions),
        cmocka_unit_test(test_notify__budget_spec_targets_and_scope),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
