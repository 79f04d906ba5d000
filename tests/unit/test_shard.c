/*
 * test_shard.c - controller/shard: the account -> shard hash (stable, even,
 * few moves when S grows), status file ownership, the merged status tree of
 * a sharded replica, the Account filter, Kubernetes MicroTime and the Lease
 * decision table.  The Lease client itself runs against the loopback API in
 * tests/integration/test_sharding.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "controller/core/fc_error.h"
#include "controller/shard/fc_shard.h"

#include <stdio.h>
#include <string.h>

static void account_id(char *buf, size_t size, int i)
{
    snprintf(buf, size, "%012d", 100000000 + i * 7919);
}

static void test_shard__of_is_stable_and_in_range(void **state)
{
    char id[32];
    int i;
    (void)state;
    for (i = 0; i < 500; i++) {
        account_id(id, sizeof(id), i);
        assert_int_equal(fc_shard_of(id, 1), 0);
        assert_true(fc_shard_of(id, 7) < 7);
        assert_int_equal(fc_shard_of(id, 7), fc_shard_of(id, 7));
    }
    /* Pinned: a replica of another build must agree on the assignment. */
    assert_int_equal(fc_shard_of("402918374651", 3), 0);
    assert_int_equal(fc_shard_of("518273640192", 3), 2);
    assert_int_equal(fc_shard_of("739104856213", 3), 0);
    assert_int_equal(fc_shard_of(NULL, 3), 0);
}

static void test_shard__spread_is_even(void **state)
{
    unsigned count[4] = {0};
    char id[32];
    int i;
    (void)state;
    for (i = 0; i < 4000; i++) {
        account_id(id, sizeof(id), i);
        count[fc_shard_of(id, 4)]++;
    }
    for (i = 0; i < 4; i++) {
        assert_true(count[i] > 850);
        assert_true(count[i] < 1150);
    }
}

/* Jump hash: going from 4 to 5 shards moves about a fifth, all to shard 4. */
static void test_shard__growing_moves_few_accounts(void **state)
{
    char id[32];
    int i, moved = 0;
    (void)state;
    for (i = 0; i < 4000; i++) {
        unsigned a, b;
        account_id(id, sizeof(id), i);
        a = fc_shard_of(id, 4);
        b = fc_shard_of(id, 5);
        if (a != b) {
            assert_int_equal(b, 4);
            moved++;
        }
    }
    assert_true(moved > 600);
    assert_true(moved < 1000);
}

static const char REC[] = "apiVersion: finops.dev/v1alpha1\n"
                          "kind: Recommendation\n"
                          "status:\n"
                          "  target:\n"
                          "    accountName: prod\n"
                          "    account: \"%s\"\n";
#define ACCT "kind: Account\nstatus:\n  accountId: \"%s\"\n"

static unsigned owner(const char *path, const char *fmt, const char *id, unsigned n)
{
    char doc[512];
    snprintf(doc, sizeof(doc), fmt, id);
    return fc_shard_path_owner(path, doc, strlen(doc), n);
}

/* Two ids on different shards of 3, found once. */
static void two_ids(char a[32], char b[32], unsigned *sa, unsigned *sb)
{
    int i = 0;
    account_id(a, 32, i);
    *sa = fc_shard_of(a, 3);
    do
        account_id(b, 32, ++i);
    while ((*sb = fc_shard_of(b, 3)) == *sa || *sa == 0 || *sb == 0);
}

static void test_shard__path_owner(void **state)
{
    char a[32];
    unsigned sa;
    int i = 0;
    (void)state;
    do { /* a on a shard other than 0 */
        account_id(a, sizeof(a), i++);
    } while ((sa = fc_shard_of(a, 3)) == 0);
    assert_int_equal(owner("status/accounts/prod.yaml", ACCT, a, 3), sa);
    assert_int_equal(owner("status/recommendations/idle-x.yaml", REC, a, 3), sa);
    assert_int_equal(owner("proposals/idle-x.yaml", REC, a, 3), sa);
    assert_int_equal(owner("status/anomalies/anomaly-1.yaml", REC, a, 3), sa);
    assert_int_equal(owner("status/optimizations/stop-box.yaml", REC, a, 3), sa);
    assert_int_equal(owner("status/executions/exec-1.yaml", REC, a, 3), sa);
    /* cluster-wide files belong to shard 0 whatever they mention */
    assert_int_equal(owner("status/budgets/company.yaml", REC, a, 3), 0);
    assert_int_equal(owner("status/inventory.yaml", ACCT, a, 3), 0);
    assert_int_equal(owner("status/reports/latest.md", REC, a, 3), 0);
    /* accountName must not pass for account; no id at all: shard 0 */
    assert_int_equal(fc_shard_path_owner("status/recommendations/x.yaml",
                                         "  accountName: prod\n", 19, 3),
                     0);
    assert_int_equal(fc_shard_path_owner("status/accounts/x.yaml", NULL, 0, 3), 0);
    assert_int_equal(owner("status/accounts/prod.yaml", ACCT, a, 1), 0);
}

static void add(fc_status_tree *t, const char *path, const char *fmt, const char *id)
{
    char doc[512];
    snprintf(doc, sizeof(doc), fmt, id);
    assert_int_equal(fc_status_tree_add_raw(t, path, doc, strlen(doc)), FC_OK);
}

/* The pass wrote its own shard's files (and, from its partial view, other
 * shards' too); the head holds other shards' files and a stale file of
 * ours.  The commit keeps ours from the pass and theirs from the head. */
static void test_shard__merge_keeps_other_shards_files(void **state)
{
    fc_status_tree st, head, out;
    unsigned char held[FC_SHARD_MAX] = {0};
    char a[32], b[32];
    unsigned sa, sb;
    const fc_status_file *f;
    (void)state;
    two_ids(a, b, &sa, &sb);
    held[sa] = 1; /* not shard 0: cluster-wide files are not ours */
    fc_status_tree_init(&st);
    fc_status_tree_init(&head);
    fc_status_tree_init(&out);
    add(&st, "status/accounts/mine.yaml", ACCT, a);
    add(&st, "status/accounts/theirs.yaml", ACCT "  resources: 0\n", b);
    add(&st, "status/budgets/company.yaml", "kind: Budget\n%s", "");
    add(&head, "status/accounts/theirs.yaml", ACCT "  resources: 12\n", b);
    add(&head, "status/recommendations/theirs-rec.yaml", REC, b);
    add(&head, "status/recommendations/my-old-rec.yaml", REC, a);
    add(&head, "status/budgets/company.yaml", "kind: Budget\nold: true\n%s", "");
    assert_int_equal(fc_shard_merge_status(&out, &st, &head, held, 3), FC_OK);
    assert_int_equal(out.n, 4);
    assert_non_null(fc_status_tree_get(&out, "status/accounts/mine.yaml"));
    f = fc_status_tree_get(&out, "status/accounts/theirs.yaml");
    assert_non_null(f);
    assert_non_null(strstr(f->data, "resources: 12")); /* the head's, not ours */
    assert_non_null(fc_status_tree_get(&out, "status/recommendations/theirs-rec.yaml"));
    assert_null(fc_status_tree_get(&out, "status/recommendations/my-old-rec.yaml"));
    f = fc_status_tree_get(&out, "status/budgets/company.yaml");
    assert_non_null(f);
    assert_non_null(strstr(f->data, "old: true"));
    /* holding shard 0 as well: the pass's Budget wins */
    fc_status_tree_dispose(&out);
    fc_status_tree_init(&out);
    held[0] = 1;
    assert_int_equal(fc_shard_merge_status(&out, &st, &head, held, 3), FC_OK);
    f = fc_status_tree_get(&out, "status/budgets/company.yaml");
    assert_non_null(f);
    assert_null(strstr(f->data, "old: true"));
    fc_status_tree_dispose(&out);
    fc_status_tree_dispose(&head);
    fc_status_tree_dispose(&st);
}

static void test_shard__filter_view_keeps_held_accounts(void **state)
{
    fc_account_spec acc[6];
    fc_object obj[7];
    fc_spec_set view;
    unsigned char held[FC_SHARD_MAX] = {0};
    char ids[6][32];
    size_t i, kept = 0;
    (void)state;
    memset(acc, 0, sizeof(acc));
    memset(obj, 0, sizeof(obj));
    memset(&view, 0, sizeof(view));
    held[1] = 1;
    for (i = 0; i < 6; i++) {
        account_id(ids[i], sizeof(ids[i]), (int)i);
        acc[i].account_id = ids[i];
        obj[i].kind = FC_KIND_ACCOUNT;
        obj[i].spec.account = &acc[i];
        kept += fc_shard_of(ids[i], 3) == 1;
    }
    obj[6].kind = FC_KIND_BUDGET; /* cluster-wide: only with shard 0 */
    view.objects = obj;
    view.nobjects = 7;
    fc_shard_filter_view(&view, held, 3);
    assert_int_equal(view.nobjects, kept);
    for (i = 0; i < view.nobjects; i++) {
        assert_int_equal(view.objects[i].kind, FC_KIND_ACCOUNT);
        assert_int_equal(fc_shard_of(view.objects[i].spec.account->account_id, 3), 1);
    }
    held[0] = 1;
    view.objects = obj;
    view.nobjects = 7;
    fc_shard_filter_view(&view, held, 3);
    assert_int_equal(view.objects[view.nobjects - 1].kind, FC_KIND_BUDGET);
}

static void test_shard__microtime(void **state)
{
    char buf[40];
    int64_t us;
    (void)state;
    fc_shard_microtime_format(buf, sizeof(buf), 1795454914422318LL);
    assert_string_equal(buf, "2026-11-23T17:28:34.422318Z");
    assert_int_equal(fc_shard_microtime_parse(buf, &us), 0);
    assert_true(us == 1795454914422318LL);
    assert_int_equal(fc_shard_microtime_parse("2026-11-23T17:28:34Z", &us), 0);
    assert_true(us == 1795454914000000LL);
    assert_int_equal(fc_shard_microtime_parse("2026-11-23T17:28:34.5Z", &us), 0);
    assert_true(us == 1795454914500000LL);
    assert_int_equal(fc_shard_microtime_parse("2026-11-23T17:28:34.5+01:00", &us), -1);
    assert_int_equal(fc_shard_microtime_parse("yesterday", &us), -1);
    assert_int_equal(fc_shard_microtime_parse(NULL, &us), -1);
}

static void test_shard__decide(void **state)
{
    const int64_t now = 1000LL * 1000000, d = 15;
    (void)state;
    /* absent: only within our share */
    assert_int_equal(fc_shard_decide(0, NULL, 0, d, "a", now, 1), FC_LEASE_TAKE);
    assert_int_equal(fc_shard_decide(0, NULL, 0, d, "a", now, 0), FC_LEASE_WAIT);
    /* ours: renew, even when late */
    assert_int_equal(fc_shard_decide(1, "a", now - 1000000, d, "a", now, 0),
                     FC_LEASE_RENEW);
    assert_int_equal(fc_shard_decide(1, "a", now - 99 * 1000000LL, d, "a", now, 0),
                     FC_LEASE_RENEW);
    /* someone else's, fresh: wait; expired: take over whatever our share */
    assert_int_equal(fc_shard_decide(1, "b", now - 14 * 1000000LL, d, "a", now, 1),
                     FC_LEASE_WAIT);
    assert_int_equal(fc_shard_decide(1, "b", now - 15 * 1000000LL, d, "a", now, 1),
                     FC_LEASE_WAIT); /* not yet *past* renewTime + duration */
    assert_int_equal(fc_shard_decide(1, "b", now - 16 * 1000000LL, d, "a", now, 0),
                     FC_LEASE_TAKE);
    /* released: our share now, anyone once it aged a duration */
    assert_int_equal(fc_shard_decide(1, "", now - 1000000, d, "a", now, 1),
                     FC_LEASE_TAKE);
    assert_int_equal(fc_shard_decide(1, "", now - 1000000, d, "a", now, 0),
                     FC_LEASE_WAIT);
    assert_int_equal(fc_shard_decide(1, "", now - 16 * 1000000LL, d, "a", now, 0),
                     FC_LEASE_TAKE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shard__of_is_stable_and_in_range),
        cmocka_unit_test(test_shard__spread_is_even),
        cmocka_unit_test(test_shard__growing_moves_few_accounts),
        cmocka_unit_test(test_shard__path_owner),
        cmocka_unit_test(test_shard__merge_keeps_other_shards_files),
        cmocka_unit_test(test_shard__filter_view_keeps_held_accounts),
        cmocka_unit_test(test_shard__microtime),
        cmocka_unit_test(test_shard__decide),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
