/*
 * test_aws_creds.c - the static links of the aws credential chain: env,
 * shared credentials file, config file with "[profile x]" sections and
 * AWS_PROFILE, on a temporary HOME.  (Web identity and IMDSv2 need a server:
 * tests/integration/test_aws_provider.sh covers them.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "controller/cloud/aws_int.h"
#include "controller/core/fc_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char home[256];

static void write_file(const char *rel, const char *text)
{
    char p[512];
    FILE *f;
    snprintf(p, sizeof(p), "%s/%s", home, rel);
    assert_non_null(f = fopen(p, "w"));
    fputs(text, f);
    fclose(f);
}

static void clear_env(void)
{
    static const char *const vars[] = {
        "AWS_ACCESS_KEY_ID",  "AWS_SECRET_ACCESS_KEY",        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",        "AWS_DEFAULT_PROFILE",          "AWS_SHARED_CREDENTIALS_FILE",
        "AWS_CONFIG_FILE",    "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN"};
    size_t i;
    for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
        unsetenv(vars[i]);
}

static int setup(void **state)
{
    char p[300];
    (void)state;
    snprintf(home, sizeof(home), "/tmp/fc-aws-creds.XXXXXX");
    if (!mkdtemp(home))
        return -1;
    snprintf(p, sizeof(p), "%s/.aws", home);
    if (mkdir(p, 0700))
        return -1;
    setenv("HOME", home, 1);
    clear_env();
    return 0;
}

static int teardown(void **state)
{
    char cmd[400];
    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", home);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_aws_creds__env_first(void **state)
{
    aws_creds c;
    (void)state;
    clear_env();
    assert_int_equal(aws_creds_from_env(&c), FC_ENOTFOUND);
    setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
    assert_int_equal(aws_creds_from_env(&c), FC_ENOTFOUND); /* secret missing */
    setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
    setenv("AWS_SESSION_TOKEN", "envtoken", 1);
    assert_int_equal(aws_creds_from_env(&c), FC_OK);
    assert_string_equal(c.access_key, "AKIDENV");
    assert_string_equal(c.secret_key, "envsecret");
    assert_string_equal(c.token, "envtoken");
    assert_string_equal(c.source, "env");
    assert_int_equal(c.expiration, 0);
    assert_false(aws_creds_need_refresh(&c, 4000000000LL));
    aws_creds_dispose(&c);
    clear_env();
}

static void test_aws_creds__shared_file_and_profile(void **state)
{
    aws_creds c;
    (void)state;
    clear_env();
    assert_int_equal(aws_creds_from_files(&c), FC_ENOTFOUND);
    write_file(".aws/credentials",
               "# comment\n[default]\naws_access_key_id = AKIDDEFAULT\n"
               "aws_secret_access_key=defsecret\n\n"
               "[ci]\n  aws_access_key_id = AKIDCI  \naws_secret_access_key = cisecret\n"
               "aws_session_token = citoken\n");
    assert_int_equal(aws_creds_from_files(&c), FC_OK);
    assert_string_equal(c.access_key, "AKIDDEFAULT");
    assert_null(c.token);
    assert_string_equal(c.source, "shared-credentials-file");
    aws_creds_dispose(&c);
    setenv("AWS_PROFILE", "ci", 1);
    assert_int_equal(aws_creds_from_files(&c), FC_OK);
    assert_string_equal(c.access_key, "AKIDCI");
    assert_string_equal(c.secret_key, "cisecret");
    assert_string_equal(c.token, "citoken");
    aws_creds_dispose(&c);
    setenv("AWS_PROFILE", "nope", 1);
    assert_int_equal(aws_creds_from_files(&c), FC_ENOTFOUND);
    clear_env();
}

static void test_aws_creds__config_profile_sections(void **state)
{
    char path[400];
    aws_creds c;
    char *v = NULL;
    (void)state;
    clear_env();
    write_file("cfg", "[default]\nregion = eu-west-1\n"
                      "[profile finops]\naws_access_key_id = AKIDCFG\n"
                      "aws_secret_access_key = cfgsecret\n");
    snprintf(path, sizeof(path), "%s/cfg", home);
    setenv("AWS_CONFIG_FILE", path, 1);
    snprintf(path, sizeof(path), "%s/missing", home);
    setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
    setenv("AWS_PROFILE", "finops", 1);
    assert_int_equal(aws_creds_from_files(&c), FC_OK);
    assert_string_equal(c.access_key, "AKIDCFG");
    assert_string_equal(c.source, "config-file");
    aws_creds_dispose(&c);
    /* "[profile x]" only counts in the config file, not in credentials. */
    snprintf(path, sizeof(path), "%s/cfg", home);
    assert_int_equal(aws_ini_get(path, "finops", 0, "aws_access_key_id", &v), FC_ENOTFOUND);
    assert_int_equal(aws_ini_get(path, "default", 1, "region", &v), FC_OK);
    assert_string_equal(v, "eu-west-1");
    free(v);
    /* A key without its secret is an error, not a silent fall-through. */
    write_file("cfg", "[profile finops]\naws_access_key_id = AKIDONLY\n");
    assert_int_equal(aws_creds_from_files(&c), FC_EINVALID);
    assert_null(strstr(fc_error_last(), "AKIDONLY"));
    clear_env();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aws_creds__env_first),
        cmocka_unit_test(test_aws_creds__shared_file_and_profile),
        cmocka_unit_test(test_aws_creds__config_profile_sections),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
