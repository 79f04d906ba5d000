/*
 * test_preapproved.c - risk-based pre-approval (reconcilers/preapproved.c):
 * which recommendations a Policy's preApproved entry covers (rule, action,
 * account names, account tags), that the Policy's own approval is judged
 * like an Optimization's, that anything not low-risk is refused with the
 * reason in the Policy's status, and the spec checks of the new fields.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "controller/core/fc_error.h"
#include "reconcilers/fc_reconcilers.h"
#include "specs/fc_approvers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOW 1794484800 /* 2026-11-12T12:00:00Z */
#define DEV "111111111111"
#define PROD "222222222222"

static const char accounts_yaml[] =
    "apiVersion: finops.dev/v1alpha1\nkind: Account\nmetadata: {name: dev}\n"
    "spec: {accountId: \"" DEV "\", regions: [eu-west-1], tags: {env: dev, team: a}}\n"
    "---\n"
    "apiVersion: finops.dev/v1alpha1\nkind: Account\nmetadata: {name: prod}\n"
    "spec: {accountId: \"" PROD "\", regions: [eu-west-1], tags: {env: prod}}\n";

static const char approvers_yaml[] = "approvers:\n  - identity: alice@example.com\n";

/* The Policy: entries by tag, by name, and a high-risk one. */
static const char policy_yaml[] =
    "apiVersion: finops.dev/v1alpha1\nkind: Policy\nmetadata: {name: p}\n"
    "spec:\n"
    "  preApproved:\n"
    "    - {name: dev-eips, rule: unassociated-elastic-ip, action: release-address,\n"
    "       accountTags: {env: dev}}\n"
    "    - {name: named-stops, rule: idle-ec2-instance, action: stop, accounts: [prod]}\n"
    "    - {name: snapshots, rule: orphaned-ebs-snapshot, action: delete-snapshot,\n"
    "       accounts: [dev]}\n"
    "  approval: {approvedBy: [alice@example.com]}\n";

typedef struct {
    fc_approvers *approvers;
    fc_approval_evidence ev;
    fc_spec_set *set;
    fc_inventory inv;
    fc_recommendation_list recs;
    fc_status_tree st;
    fc_plan plan;
    fc_pass pass;
} fixture;

static int no_prev(void *payload, const char *path, fc_buf *out)
{
    (void)payload, (void)path, (void)out;
    return FC_ENOTFOUND;
}

static void add_rec(fc_recommendation_list *l, const char *rule, const char *action,
                    const char *account, const char *resource, fc_risk risk)
{
    fc_recommendation *r;
    l->items = realloc(l->items, (l->n + 1) * sizeof(*r));
    r = &l->items[l->n++];
    memset(r, 0, sizeof(*r));
    r->id = fc_asprintf("%s-%s", rule, resource);
    r->rule = strdup(rule);
    r->action = strdup(action);
    r->account = strdup(account);
    r->region = strdup("eu-west-1");
    r->resource = strdup(resource);
    r->summary = strdup("s");
    r->currency = strdup("USD");
    r->policy = strdup("p");
    r->risk = risk;
    r->monthly_saving = 3.6;
}

/* author: who authored the Policy's current content (NULL = nobody). */
static void run(fixture *f, const char *policy, const char *author)
{
    fc_spec_file files[2] = {
        {"finops/accounts/a.yaml", accounts_yaml, sizeof(accounts_yaml) - 1},
        {"finops/policies/p.yaml", policy, strlen(policy)},
    };
    memset(f, 0, sizeof(*f));
    assert_int_equal(fc_specs_load(&f->set, files, 2), FC_OK);
    assert_int_equal(f->set->nerrors, 0);
    fc_inventory_init(&f->inv);
    fc_recommendation_list_init(&f->recs);
    add_rec(&f->recs, "unassociated-elastic-ip", "release-address", DEV, "eipalloc-dev",
            FC_RISK_LOW);
    add_rec(&f->recs, "unassociated-elastic-ip", "release-address", PROD, "eipalloc-prod",
            FC_RISK_LOW);
    add_rec(&f->recs, "idle-ec2-instance", "stop", PROD, "i-prod", FC_RISK_LOW);
    add_rec(&f->recs, "idle-ec2-instance", "stop", DEV, "i-dev", FC_RISK_LOW);
    add_rec(&f->recs, "orphaned-ebs-snapshot", "delete-snapshot", DEV, "snap-dev",
            FC_RISK_HIGH);
    fc_status_tree_init(&f->st);
    fc_plan_init(&f->plan);
    f->pass.now = NOW;
    f->pass.commit = "0123456789abcdef0123456789abcdef01234567";
    f->pass.specs = f->set;
    f->pass.inv = &f->inv;
    f->pass.recs = &f->recs;
    f->pass.prev = no_prev;
    assert_int_equal(fc_approvers_parse(&f->approvers, "finops/approvers.yaml", approvers_yaml,
                                        sizeof(approvers_yaml) - 1), FC_OK);
    f->pass.approvers = f->approvers;
    f->ev.kind = FC_KIND_POLICY;
    f->ev.name = strdup("p");
    if (author) {
        f->ev.votes = calloc(1, sizeof(*f->ev.votes));
        f->ev.votes[0].identity = strdup(author);
        strcpy(f->ev.votes[0].commit, "1111111111111111111111111111111111111111");
        f->ev.nvotes = 1;
    }
    f->ev.last_author = strdup(author ? author : "nobody@example.com");
    strcpy(f->ev.last_commit, "1111111111111111111111111111111111111111");
    f->pass.evidence = &f->ev;
    f->pass.nevidence = 1;
    f->pass.status = &f->st;
    f->pass.plan = &f->plan;
    assert_int_equal(fc_reconcile_all(&f->pass), FC_OK);
}

static void done(fixture *f)
{
    fc_approval_evidence_dispose(&f->ev);
    fc_approvers_free(f->approvers);
    fc_plan_dispose(&f->plan);
    fc_status_tree_dispose(&f->st);
    fc_recommendation_list_dispose(&f->recs);
    fc_inventory_dispose(&f->inv);
    fc_spec_set_free(f->set);
}

static const char *status_of(const fixture *f, const char *path)
{
    size_t i;
    for (i = 0; i < f->st.n; i++)
        if (strcmp(f->st.files[i].path, path) == 0)
            return f->st.files[i].data;
    return NULL;
}

static const fc_plan_item *item_for(const fixture *f, const char *resource)
{
    size_t i;
    for (i = 0; i < f->plan.n; i++)
        if (strcmp(f->plan.items[i].resource, resource) == 0)
            return &f->plan.items[i];
    return NULL;
}

static const fc_policy_preapproval *entry(const fixture *f, unsigned i)
{
    const fc_object *o = fc_specs_find(f->set, FC_KIND_POLICY, "p");
    assert_non_null(o);
    assert_true(i < o->spec.policy->npre_approved);
    return &o->spec.policy->pre_approved[i];
}

static void test_preapproved__matches_rule_action_names_and_tags(void **s)
{
    fixture f;
    (void)s;
    run(&f, policy_yaml, "alice@example.com");
    /* entry 0: by tag env=dev */
    assert_true(fc_preapproval_matches(f.set, entry(&f, 0), &f.recs.items[0]));
    assert_false(fc_preapproval_matches(f.set, entry(&f, 0), &f.recs.items[1])); /* prod */
    assert_false(fc_preapproval_matches(f.set, entry(&f, 0), &f.recs.items[3])); /* rule */
    /* entry 1: by Account name (prod) and by id */
    assert_true(fc_preapproval_matches(f.set, entry(&f, 1), &f.recs.items[2]));
    assert_false(fc_preapproval_matches(f.set, entry(&f, 1), &f.recs.items[3])); /* dev */
    assert_true(fc_preapproval_covers_account(f.set, entry(&f, 1), PROD));
    assert_false(fc_preapproval_covers_account(f.set, entry(&f, 1), DEV));
    assert_false(fc_preapproval_covers_account(f.set, entry(&f, 0), "333333333333"));
    done(&f);
}

static void test_preapproved__tags_must_all_match_and_action_must_match(void **s)
{
    fixture f;
    fc_policy_preapproval e;
    fc_kv tags[2] = {{"env", "dev"}, {"team", "b"}};
    char *accounts[1] = {"dev"};
    (void)s;
    run(&f, policy_yaml, "alice@example.com");
    memset(&e, 0, sizeof(e));
    e.name = "x";
    e.rule = "unassociated-elastic-ip";
    e.action = "release-address";
    e.account_tags = tags;
    e.naccount_tags = 2;
    assert_false(fc_preapproval_covers_account(f.set, &e, DEV)); /* team: a, not b */
    tags[1].value = "a";
    assert_true(fc_preapproval_covers_account(f.set, &e, DEV));
    e.accounts = accounts; /* names and tags together: both must hold */
    e.naccounts = 1;
    assert_true(fc_preapproval_covers_account(f.set, &e, DEV));
    accounts[0] = "prod";
    assert_false(fc_preapproval_covers_account(f.set, &e, DEV));
    e.naccounts = 0;
    e.naccount_tags = 0; /* neither: never everywhere */
    assert_false(fc_preapproval_covers_account(f.set, &e, DEV));
    e.naccount_tags = 2;
    e.action = "stop";
    assert_false(fc_preapproval_matches(f.set, &e, &f.recs.items[0]));
    done(&f);
}

static void test_preapproved__approved_low_risk_becomes_plan_items(void **s)
{
    fixture f;
    const fc_plan_item *it;
    const char *st;
    (void)s;
    run(&f, policy_yaml, "alice@example.com");
    it = item_for(&f, "eipalloc-dev");
    assert_non_null(it);
    assert_int_equal(it->state, FC_PLAN_PLANNED);
    assert_string_equal(it->optimization, "p-unassociated-elastic-ip-eipalloc-dev");
    assert_string_equal(it->policy, "p");
    assert_string_equal(it->preapproval, "dev-eips");
    assert_int_equal(it->approved, 1);
    assert_non_null(item_for(&f, "i-prod"));
    assert_null(item_for(&f, "eipalloc-prod")); /* not tagged env=dev */
    assert_null(item_for(&f, "i-dev"));         /* not named */
    assert_null(item_for(&f, "snap-dev"));      /* high risk: refused */
    st = status_of(&f, "status/policies/p.yaml");
    assert_non_null(st);
    assert_non_null(strstr(st, "reason: NotLowRisk"));
    assert_non_null(strstr(st, "- p-unassociated-elastic-ip-eipalloc-dev"));
    done(&f);
}

static void test_preapproved__unapproved_plans_nothing_and_says_why(void **s)
{
    fixture f;
    const char *st;
    (void)s;
    run(&f, policy_yaml, "mallory@example.com"); /* authored by a non-approver */
    assert_int_equal(f.plan.n, 0);
    st = status_of(&f, "status/policies/p.yaml");
    assert_non_null(st);
    assert_non_null(strstr(st, "state: NotApproved"));
    assert_non_null(strstr(st, "reason: ApprovalNotAuthored"));
    done(&f);

    run(&f, policy_yaml, NULL);
    assert_int_equal(f.plan.n, 0);
    done(&f);
}

static void test_preapproved__needs_the_approval_count_of_low_risk(void **s)
{
    fixture f;
    (void)s;
    /* The Policy needs two low approvals in prod: one vote is not enough. */
    run(&f,
        "apiVersion: finops.dev/v1alpha1\nkind: Policy\nmetadata: {name: p}\n"
        "spec:\n"
        "  approvals: {low: 2}\n"
        "  preApproved:\n"
        "    - {name: named-stops, rule: idle-ec2-instance, action: stop, accounts: [prod]}\n"
        "  approval: {approvedBy: [alice@example.com]}\n",
        "alice@example.com");
    assert_null(item_for(&f, "i-prod"));
    assert_non_null(strstr(status_of(&f, "status/policies/p.yaml"),
                           "reason: InsufficientApprovals"));
    done(&f);
}

static void test_preapproved__spec_checks(void **s)
{
    static const char *bad[] = {
        /* no accounts and no accountTags */
        "  preApproved:\n    - {name: a, rule: unassociated-elastic-ip, action: release-address}\n",
        /* unknown action */
        "  preApproved:\n    - {name: a, rule: r, action: explode, accounts: [dev]}\n",
        /* duplicate name */
        "  preApproved:\n    - {name: a, rule: r, action: stop, accounts: [dev]}\n"
        "    - {name: a, rule: r, action: stop, accounts: [dev]}\n",
        /* accountTags not a map of strings */
        "  preApproved:\n    - {name: a, rule: r, action: stop, accountTags: [env]}\n",
    };
    size_t i;
    (void)s;
    for (i = 0; i < FC_ARRAY_LEN(bad); i++) {
        char *doc = fc_asprintf("apiVersion: finops.dev/v1alpha1\nkind: Policy\n"
                                "metadata: {name: p}\nspec:\n%s", bad[i]);
        fc_spec_file f = {"finops/policies/p.yaml", doc, strlen(doc)};
        fc_spec_set *set = NULL;
        assert_int_equal(fc_specs_load(&set, &f, 1), FC_OK);
        if (set->nerrors == 0)
            fail_msg("accepted: %s", bad[i]);
        fc_spec_set_free(set);
        free(doc);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_preapproved__matches_rule_action_names_and_tags),
        cmocka_unit_test(test_preapproved__tags_must_all_match_and_action_must_match),
        cmocka_unit_test(test_preapproved__approved_low_risk_becomes_plan_items),
        cmocka_unit_test(test_preapproved__unapproved_plans_nothing_and_says_why),
        cmocka_unit_test(test_preapproved__needs_the_approval_count_of_low_risk),
        cmocka_unit_test(test_preapproved__spec_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
