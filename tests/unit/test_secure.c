/* test_secure.c - fc_secure_equal and the start-up hardening. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "controller/core/secure.h"

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

static void test_secure__equal_only_for_same_bytes(void **state)
{
    (void)state;
    assert_true(fc_secure_equal("s3cr3t", 6, "s3cr3t", 6));
    assert_false(fc_secure_equal("s3cr3t", 6, "s3cr3T", 6));
    assert_false(fc_secure_equal("s3cr3t", 6, "s3cr3", 5));
    /* the secret repeated must not match: the loop wraps over it */
    assert_false(fc_secure_equal("abc", 3, "abcabc", 6));
    assert_false(fc_secure_equal("abc", 3, "", 0));
    assert_false(fc_secure_equal("", 0, "", 0));
    assert_false(fc_secure_equal("", 0, "a", 1));
    assert_false(fc_secure_equal(NULL, 0, "a", 1));
    assert_false(fc_secure_equal("a", 1, NULL, 0));
    assert_true(fc_secure_equal("\0x", 2, "\0x", 2));
    assert_false(fc_secure_equal("\0x", 2, "\0y", 2));
}

static void test_secure__harden_sets_umask_and_core_limit(void **state)
{
    char *argv[] = {"finops-controller", "run", NULL};
    struct rlimit rl;
    mode_t old;

    (void)state;
    fc_secure_harden(2, argv);
    old = umask(022);
    assert_int_equal(old, 077);
    assert_int_equal(getrlimit(RLIMIT_CORE, &rl), 0);
    assert_int_equal(rl.rlim_cur, 0);
    assert_int_equal(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0); /* back to the default for the next test */
}

static void test_secure__allow_core_dumps_keeps_dumpable(void **state)
{
    char *argv[] = {"finops-controller", "run", "--allow-core-dumps", NULL};
    (void)state;
    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
    fc_secure_harden(3, argv);
    assert_int_equal(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 1);
    umask(022);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_secure__equal_only_for_same_bytes),
        cmocka_unit_test(test_secure__harden_sets_umask_and_core_limit),
        cmocka_unit_test(test_secure__allow_core_dumps_keeps_dumpable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
