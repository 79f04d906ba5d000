/*
 * test_crashpoint.c - FC_CRASH_AT: named, N-th and seeded random crash
 * points kill the process with SIGKILL; unset or unmatched they do nothing.
 * Each case runs in a forked child (the setting is read once per process).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "controller/core/crashpoint.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Runs `reach` crash points a, b, a, b, ... under FC_CRASH_AT=spec in a
 * child; returns how many were passed before it died (-1: survived all). */
static int run_child(const char *spec, int reach)
{
    int fds[2], status, passed = 0;
    pid_t pid;
    char c;

    assert_int_equal(pipe(fds), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int i, devnull = open("/dev/null", O_WRONLY);
        close(fds[0]);
        if (devnull >= 0)
            dup2(devnull, STDERR_FILENO); /* the "crashpoint:" line */
        if (spec)
            setenv("FC_CRASH_AT", spec, 1);
        else
            unsetenv("FC_CRASH_AT");
        for (i = 0; i < reach; i++) {
            fc_crashpoint(i % 2 ? "b" : "a");
            if (write(fds[1], "x", 1) != 1)
                _exit(3);
        }
        _exit(0);
    }
    close(fds[1]);
    while (read(fds[0], &c, 1) == 1)
        passed++;
    close(fds[0]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (WIFEXITED(status)) {
        assert_int_equal(WEXITSTATUS(status), 0);
        return -1;
    }
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGKILL);
    return passed;
}

static void test_crashpoint__unset_or_unmatched_never_crashes(void **s)
{
    (void)s;
    assert_int_equal(run_child(NULL, 10), -1);
    assert_int_equal(run_child("", 10), -1);
    assert_int_equal(run_child("c", 10), -1);
    assert_int_equal(run_child("a:9", 10), -1); /* a is reached 5 times */
    assert_int_equal(run_child("bogus:x", 10), -1);
    assert_int_equal(run_child("random:1:0", 10), -1);
}

static void test_crashpoint__named_point_and_nth_time(void **s)
{
    (void)s;
    assert_int_equal(run_child("a", 10), 0);
    assert_int_equal(run_child("b", 10), 1);
    assert_int_equal(run_child("b:1", 10), 1);
    assert_int_equal(run_child("a:3", 10), 4); /* a, b, a, b, [a] */
}

static void test_crashpoint__random_is_reproducible(void **s)
{
    int first, again, i, differs = 0;
    (void)s;
    assert_int_equal(run_child("random:7:100", 10), 0);
    first = run_child("random:42:20", 200);
    again = run_child("random:42:20", 200);
    assert_true(first >= 0);
    assert_int_equal(first, again);
    for (i = 1; i < 20 && !differs; i++) {
        char spec[32];
        snprintf(spec, sizeof(spec), "random:%d:20", 42 + i);
        differs = run_child(spec, 200) != first;
    }
    assert_true(differs); /* the seed matters */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crashpoint__unset_or_unmatched_never_crashes),
        cmocka_unit_test(test_crashpoint__named_point_and_nth_time),
        cmocka_unit_test(test_crashpoint__random_is_reproducible),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
