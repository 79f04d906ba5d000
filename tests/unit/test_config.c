/*
 * test_config.c - controller/config: the settings table, the four layers
 * (flags > FINOPS_* environment > config file > defaults), validation and
 * its messages, reload and the `config` listing.
 */
#include "controller/config/fc_config.h"
#include "controller/core/fc_error.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static char dir[] = "/tmp/fc-test-config-XXXXXX";
static char file[256];

static void clear_env(void)
{
    size_t i;
    for (i = 0; i < fc_config_nsettings; i++)
        if (fc_config_settings[i].env)
            unsetenv(fc_config_settings[i].env);
}

static int setup(void **state)
{
    (void)state;
    clear_env();
    snprintf(file, sizeof(file), "%s/config.yaml", dir);
    return 0;
}

static void write_file(const char *text)
{
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Parses "prog" + args (NULL-terminated); returns the rc. */
static int parse(fc_config **out, ...)
{
    char *argv[32];
    int argc = 0;
    va_list ap;
    const char *a;
    argv[argc++] = (char *)"finops-controller";
    va_start(ap, out);
    while ((a = va_arg(ap, const char *)) != NULL)
        argv[argc++] = (char *)a;
    va_end(ap);
    argv[argc] = NULL;
    return fc_config_parse(out, argc, argv, NULL);
}

static void test_config__table_is_consistent(void **state)
{
    size_t i, j;
    (void)state;
    for (i = 0; i < fc_config_nsettings; i++) {
        const fc_config_setting *s = &fc_config_settings[i];
        assert_non_null(s->key);
        assert_non_null(s->help);
        if (s->env)
            assert_int_equal(strncmp(s->env, "FINOPS_", 7), 0);
        if (s->type == FC_CFG_ENUM)
            assert_non_null(s->choices);
        if (s->flags & FC_CFG_SECRET) /* secrets never sit in a file */
            assert_true(s->flags & FC_CFG_NOFILE);
        for (j = i + 1; j < fc_config_nsettings; j++) {
            const fc_config_setting *t = &fc_config_settings[j];
            assert_string_not_equal(s->key, t->key);
            if (s->flag && t->flag)
                assert_string_not_equal(s->flag, t->flag);
            if (s->env && t->env)
                assert_string_not_equal(s->env, t->env);
        }
    }
}

static void test_config__defaults(void **state)
{
    fc_config *c = NULL;
    (void)state;
    assert_int_equal(parse(&c, NULL), FC_OK);
    assert_string_equal(fc_config_get(c, "branch"), "main");
    assert_string_equal(fc_config_get(c, "provider"), "sim");
    assert_string_equal(fc_config_get(c, "listen"), "127.0.0.1:8080");
    assert_null(fc_config_get(c, "repo"));
    assert_false(fc_config_bool(c, "live"));
    assert_int_equal(fc_config_long(c, "log.progressInterval"), 5);
    assert_int_equal(fc_config_source_of(c, "branch"), FC_CFG_SRC_DEFAULT);
    assert_non_null(fc_config_get(c, "stateDir")); /* computed default */
    assert_null(fc_config_file(c));
    fc_config_free(c);
}

static void test_config__precedence_every_layer(void **state)
{
    fc_config *c = NULL;
    (void)state;
    write_file("# settings\n"
               "branch: from-file\n"
               "interval: 10m\n"
               "git:\n"
               "  tokenFile: /run/token\n"
               "log: {level: debug}\n");
    setenv("FINOPS_CONFIG", file, 1);
    setenv("FINOPS_INTERVAL", "20m", 1);
    setenv("FINOPS_LOG_LEVEL", "warn", 1);
    assert_int_equal(parse(&c, "--log-level", "error", NULL), FC_OK);
    /* file only */
    assert_string_equal(fc_config_get(c, "branch"), "from-file");
    assert_int_equal(fc_config_source_of(c, "branch"), FC_CFG_SRC_FILE);
    assert_string_equal(fc_config_get(c, "git.tokenFile"), "/run/token");
    /* env beats file */
    assert_string_equal(fc_config_get(c, "interval"), "20m");
    assert_int_equal(fc_config_long(c, "interval"), 1200);
    assert_int_equal(fc_config_source_of(c, "interval"), FC_CFG_SRC_ENV);
    /* flag beats env beats file */
    assert_string_equal(fc_config_get(c, "log.level"), "error");
    assert_int_equal(fc_config_source_of(c, "log.level"), FC_CFG_SRC_FLAG);
    /* default under all */
    assert_string_equal(fc_config_get(c, "provider"), "sim");
    assert_string_equal(fc_config_file(c), file);
    fc_config_free(c);
}

static void test_config__flag_forms(void **state)
{
    fc_config *c = NULL;
    (void)state;
    setenv("FINOPS_LIVE", "1", 1);
    assert_int_equal(parse(&c, "--repo=/r.git", "--live=false", "--verify-signatures",
                           "--endpoint-url-ec2", "http://127.0.0.1:9", "-h", NULL),
                     FC_OK);
    assert_string_equal(fc_config_get(c, "repo"), "/r.git");
    assert_false(fc_config_bool(c, "live"));
    assert_true(fc_config_bool(c, "verifySignatures"));
    assert_true(fc_config_bool(c, "help"));
    assert_string_equal(fc_config_get(c, "endpoints.ec2"), "http://127.0.0.1:9");
    fc_config_free(c);
    /* env booleans */
    setenv("FINOPS_LIVE", "true", 1);
    assert_int_equal(parse(&c, NULL), FC_OK);
    assert_true(fc_config_bool(c, "live"));
    fc_config_free(c);
}

static void test_config__errors_name_the_key(void **state)
{
    fc_config *c = NULL;
    char want[512];
    (void)state;

    /* flags */
    assert_int_equal(parse(&c, "--listen", "nowhere", NULL), FC_EINVALID);
    assert_null(c);
    assert_string_equal(fc_error_last(), "--listen: expected HOST:PORT, got 'nowhere'");
    assert_int_equal(parse(&c, "--no-such-flag", NULL), FC_EINVALID);
    assert_string_equal(fc_error_last(), "--no-such-flag: unknown flag");
    assert_int_equal(parse(&c, "--interval", "5 minutes", NULL), FC_EINVALID);
    assert_non_null(strstr(fc_error_last(), "--interval: expected a duration"));
    assert_int_equal(parse(&c, "--endpoint-url", "ftp://x", NULL), FC_EINVALID);
    assert_non_null(strstr(fc_error_last(), "--endpoint-url: expected an http"));
    assert_int_equal(parse(&c, "--now", "yesterday", NULL), FC_EINVALID);
    assert_non_null(strstr(fc_error_last(), "--now: expected YYYY-MM-DDTHH:MM:SSZ"));

    /* environment */
    setenv("FINOPS_PROVIDER", "gcp", 1);
    assert_int_equal(parse(&c, NULL), FC_EINVALID);
    assert_string_equal(fc_error_last(), "FINOPS_PROVIDER: expected one of sim|aws, got 'gcp'");
    unsetenv("FINOPS_PROVIDER");
    setenv("FINOPS_MAX_PASSES", "-3", 1);
    assert_int_equal(parse(&c, NULL), FC_EINVALID);
    assert_non_null(strstr(fc_error_last(), "FINOPS_MAX_PASSES: expected a whole number"));
    unsetenv("FINOPS_MAX_PASSES");

    /* file: unknown key, with its line */
    write_file("branch: main\ngit:\n  tokenFiel: /x\n");
    assert_int_equal(parse(&c, "--config", file, NULL), FC_EINVALID);
    snprintf(want, sizeof(want), "%s:3: git.tokenFiel: unknown setting", file);
    assert_string_equal(fc_error_last(), want);
    /* wrong type */
    write_file("live: maybe\n");
    assert_int_equal(parse(&c, "--config", file, NULL), FC_EINVALID);
    snprintf(want, sizeof(want), "%s:1: live: expected true or false, got 'maybe'", file);
    assert_string_equal(fc_error_last(), want);
    write_file("\nrepo: {url: x}\n");
    assert_int_equal(parse(&c, "--config", file, NULL), FC_EINVALID);
    snprintf(want, sizeof(want), "%s:2: repo: expected a string, got a mapping", file);
    assert_string_equal(fc_error_last(), want);
    write_file("git: /x\n");
    assert_int_equal(parse(&c, "--config", file, NULL), FC_EINVALID);
    snprintf(want, sizeof(want), "%s:1: git: expected a mapping", file);
    assert_string_equal(fc_error_last(), want);
    /* a secret is refused in a file */
    write_file("git:\n  token: abc\n");
    assert_int_equal(parse(&c, "--config", file, NULL), FC_EINVALID);
    assert_non_null(strstr(fc_error_last(), ":2: git.token: not accepted in a config file"));
    /* set twice */
    write_file("branch: a\nbranch: b\n");
    assert_int_equal(parse(&c, "--config", file, NULL), FC_EINVALID);
    snprintf(want, sizeof(want), "%s:2: branch: set twice (first on line 1)", file);
    assert_string_equal(fc_error_last(), want);
    /* not YAML, not a mapping, missing */
    write_file("branch: [a\n");
    assert_int_equal(parse(&c, "--config", file, NULL), FC_EINVALID);
    assert_non_null(strstr(fc_error_last(), file));
    write_file("- a\n");
    assert_int_equal(parse(&c, "--config", file, NULL), FC_EINVALID);
    assert_non_null(strstr(fc_error_last(), "expected a mapping of settings"));
    assert_int_equal(parse(&c, "--config", "/nonexistent/f.yaml", NULL), FC_EINVALID);
    assert_non_null(strstr(fc_error_last(), "/nonexistent/f.yaml: cannot read config file"));
    assert_null(c);
}

static void test_config__empty_file_and_null_values(void **state)
{
    fc_config *c = NULL;
    (void)state;
    write_file("");
    assert_int_equal(parse(&c, "--config", file, NULL), FC_OK);
    fc_config_free(c);
    write_file("interval:\nrepo: ~\n");
    assert_int_equal(parse(&c, "--config", file, NULL), FC_OK);
    assert_null(fc_config_get(c, "interval"));
    assert_null(fc_config_get(c, "repo"));
    fc_config_free(c);
}

static void test_config__reload(void **state)
{
    fc_config *c = NULL;
    size_t changed = 99;
    (void)state;
    write_file("interval: 5m\nbranch: one\n");
    setenv("FINOPS_BRANCH", "pinned", 1);
    assert_int_equal(parse(&c, "--config", file, NULL), FC_OK);
    assert_string_equal(fc_config_get(c, "interval"), "5m");
    write_file("interval: 15m\nbranch: two\nprovider: aws\n");
    assert_int_equal(fc_config_reload(c, &changed), FC_OK);
    assert_int_equal(changed, 2); /* interval, provider; branch stays the env's */
    assert_string_equal(fc_config_get(c, "interval"), "15m");
    assert_string_equal(fc_config_get(c, "provider"), "aws");
    assert_string_equal(fc_config_get(c, "branch"), "pinned");
    /* an invalid new file is refused and the running config kept */
    write_file("interval: soon\n");
    assert_int_equal(fc_config_reload(c, &changed), FC_EINVALID);
    assert_non_null(strstr(fc_error_last(), ":1: interval: expected a duration"));
    assert_string_equal(fc_config_get(c, "interval"), "15m");
    assert_string_equal(fc_config_get(c, "provider"), "aws");
    /* removed from the file: back to the default */
    write_file("interval: 15m\n");
    assert_int_equal(fc_config_reload(c, &changed), FC_OK);
    assert_int_equal(changed, 1);
    assert_string_equal(fc_config_get(c, "provider"), "sim");
    assert_int_equal(fc_config_source_of(c, "provider"), FC_CFG_SRC_DEFAULT);
    fc_config_free(c);
}

static void test_config__print_sources_and_hides_secrets(void **state)
{
    fc_config *c = NULL;
    char *buf = NULL, want[512];
    size_t len = 0;
    FILE *f;
    (void)state;
    write_file("\nbranch: release\n");
    setenv("FINOPS_GIT_TOKEN", "s3cr3t-token-value", 1);
    setenv("FINOPS_PROVIDER", "aws", 1);
    assert_int_equal(parse(&c, "--config", file, "--interval", "1h", NULL), FC_OK);
    f = open_memstream(&buf, &len);
    assert_non_null(f);
    fc_config_print(c, f);
    fclose(f);
    assert_null(strstr(buf, "s3cr3t"));
    assert_non_null(strstr(buf, "<redacted>"));
    assert_non_null(strstr(buf, "env FINOPS_GIT_TOKEN"));
    assert_non_null(strstr(buf, "flag --interval"));
    assert_non_null(strstr(buf, "env FINOPS_PROVIDER"));
    snprintf(want, sizeof(want), "file %s:2", file);
    assert_non_null(strstr(buf, want));
    assert_non_null(strstr(buf, "default"));
    free(buf);
    buf = NULL;
    /* --help's list comes from the same table */
    f = open_memstream(&buf, &len);
    fc_config_print_flags(f);
    fclose(f);
    assert_non_null(strstr(buf, "--git-token-file FILE"));
    assert_non_null(strstr(buf, "FINOPS_GIT_TOKEN_FILE, file: git.tokenFile"));
    assert_null(strstr(buf, "s3cr3t"));
    free(buf);
    fc_config_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_config__table_is_consistent, setup),
        cmocka_unit_test_setup(test_config__defaults, setup),
        cmocka_unit_test_setup(test_config__precedence_every_layer, setup),
        cmocka_unit_test_setup(test_config__flag_forms, setup),
        cmocka_unit_test_setup(test_config__errors_name_the_key, setup),
        cmocka_unit_test_setup(test_config__empty_file_and_null_values, setup),
        cmocka_unit_test_setup(test_config__reload, setup),
        cmocka_unit_test_setup(test_config__print_sources_and_hides_secrets, setup),
    };
    int rc;
    if (!mkdtemp(dir))
        return 1;
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    unlink(file);
    rmdir(dir);
    return rc;
}
