/*
 * test_gitsync_sign.c - status commit messages (--commit-trailer,
 * Finops-Spec-Commit) and signed status commits (the "gpgsig" header),
 * the latter against a real bare repository and a fresh ssh key.
 */
#include "controller/core/fc_error.h"
#include "controller/gitsync/fc_gitsync.h"
#include "controller/gitsync/gitsync_int.h"

#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#define SPEC "0123456789abcdef0123456789abcdef01234567"

/* ---- messages ----------------------------------------------------------- */

static void test_gitsync__trailer_skip_ci_ends_subject(void **state)
{
    char *m = fc_gitsync_format_message("status: 2 recommendations\n\nBody text.\n",
                                        "[skip ci]", NULL);
    (void)state;
    assert_non_null(m);
    assert_string_equal(m, "status: 2 recommendations [skip ci]\n\nBody text.\n");
    free(m);
}

static void test_gitsync__trailer_extends_existing_block(void **state)
{
    char *m = fc_gitsync_format_message("status: x\n\nProse.\n\nObserved-Commit: abc\n",
                                        "  Finops-Run: 7  \n\n[skip ci]\n", SPEC);
    (void)state;
    assert_non_null(m);
    assert_string_equal(m, "status: x [skip ci]\n\nProse.\n\nObserved-Commit: abc\n"
                           "Finops-Run: 7\nFinops-Spec-Commit: " SPEC "\n");
    free(m);
}

static void test_gitsync__trailer_new_block_after_prose(void **state)
{
    char *m = fc_gitsync_format_message("subject\n\nProse: not only a trailer\nline two",
                                        NULL, SPEC);
    (void)state;
    assert_non_null(m);
    assert_string_equal(m, "subject\n\nProse: not only a trailer\nline two\n\n"
                           "Finops-Spec-Commit: " SPEC "\n");
    free(m);
}

static void test_gitsync__trailer_subject_only_and_no_duplicates(void **state)
{
    char *m = fc_gitsync_format_message("proposal: stop i-1 [skip ci]", "[skip ci]\n[ci skip]",
                                        NULL);
    char *d = fc_gitsync_format_message(NULL, NULL, NULL);
    (void)state;
    assert_non_null(m);
    assert_string_equal(m, "proposal: stop i-1 [skip ci] [ci skip]\n");
    assert_non_null(d);
    assert_string_equal(d, "finops-controller: update status\n");
    free(m);
    free(d);
}

static void test_gitsync__trailer_spec_commit_only(void **state)
{
    char *m = fc_gitsync_format_message("subject\n", "", SPEC);
    (void)state;
    assert_non_null(m);
    assert_string_equal(m, "subject\n\nFinops-Spec-Commit: " SPEC "\n");
    free(m);
}

static void test_gitsync__sign_format_parse(void **state)
{
    (void)state;
    assert_int_equal(fc_sign_format_parse(NULL), FC_SIGN_NONE);
    assert_int_equal(fc_sign_format_parse("none"), FC_SIGN_NONE);
    assert_int_equal(fc_sign_format_parse("ssh"), FC_SIGN_SSH);
    assert_int_equal(fc_sign_format_parse("gpg"), FC_SIGN_GPG);
    assert_int_equal(fc_sign_format_parse("x509"), -1);
}

/* ---- signed commits ----------------------------------------------------- */

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    return system(cmd);
}

static void read_all(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "r");
    size_t n;
    assert_non_null(f);
    n = fread(buf, 1, size - 1, f);
    fclose(f);
    buf[n] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
}

/* An orphan status commit on a new status branch, signed with a fresh
 * ed25519 key: the header is "gpgsig", the signed text is the commit
 * without it, and the signature verifies against the key (verify.c). */
static void test_gitsync__signature_field(void **state)
{
    char root[] = "/tmp/fc-sign.XXXXXX";
    char remote[PATH_MAX], key[PATH_MAX], pub_path[PATH_MAX + 8], pub[512];
    char st_dir[PATH_MAX];
    char out[FC_OID_HEX];
    fc_gitsync_opts o = {0};
    fc_gitsync *g = NULL;
    fc_status_file files[1];
    fc_status_tree tree;
    git_buf sig = {0}, data = {0};
    git_oid oid;
    const char *keys[1];
    char *signer = NULL;
    int changed = 0;

    (void)state;
    if (sh("command -v ssh-keygen >/dev/null") != 0)
        skip();
    assert_non_null(mkdtemp(root));
    snprintf(remote, sizeof(remote), "%s/remote.git", root);
    snprintf(key, sizeof(key), "%s/key", root);
    snprintf(st_dir, sizeof(st_dir), "%s/state", root);
    assert_int_equal(sh("git init -q --bare -b main '%s' && ssh-keygen -q -t ed25519 -N '' "
                        "-C t -f '%s'", remote, key), 0);
    snprintf(pub_path, sizeof(pub_path), "%s.pub", key);
    read_all(pub_path, pub, sizeof(pub));
    o.url = remote;
    o.state_dir = st_dir;
    o.status_branch = "finops-status";
    o.commit_trailers = "[skip ci]";
    o.sign_format = FC_SIGN_SSH;
    o.signing_key = key;
    assert_int_equal(fc_gitsync_open(&g, &o), FC_OK);
    assert_string_equal(fc_gitsync_status_branch(g), "finops-status");

    files[0].path = (char *)"status/inventory.yaml";
    files[0].data = (char *)"resources: []\n";
    files[0].len = strlen(files[0].data);
    memset(&tree, 0, sizeof(tree));
    tree.files = files;
    tree.n = 1;
    assert_int_equal(fc_gitsync_commit_status(g, "", &tree, "status: test\n", 1795435200, out,
                                              &changed),
                     FC_OK);
    assert_int_equal(changed, 1);
    assert_int_equal(git_oid_fromstr(&oid, out), 0);
    assert_int_equal(git_commit_extract_signature(&sig, &data, g->repo, &oid, "gpgsig"), 0);
    assert_non_null(strstr(sig.ptr, "-----BEGIN SSH SIGNATURE-----"));
    assert_null(strstr(data.ptr, "gpgsig")); /* what was signed: no header */
    assert_non_null(strstr(data.ptr, "\nstatus: test\n"));
    keys[0] = pub;
    assert_int_equal(fc_gitsync_verify_commit(g, out, keys, 1, &signer), FC_OK);
    free(signer);

    /* Pushed to the new branch; the spec branch does not exist and is
     * not created. */
    assert_int_equal(fc_gitsync_push(g, out), FC_OK);
    assert_int_equal(sh("test \"$(git --git-dir='%s' rev-parse finops-status)\" = '%s'", remote,
                        out), 0);
    assert_int_not_equal(sh("git --git-dir='%s' rev-parse -q --verify main >/dev/null", remote),
                         0);

    /* Fast-forward only: a human commit pushed to the status branch after
     * ours was built wins (FC_ECONFLICT), as does a second orphan. */
    {
        char next[FC_OID_HEX], orphan[FC_OID_HEX];
        files[0].data = (char *)"resources: [a]\n";
        files[0].len = strlen(files[0].data);
        assert_int_equal(fc_gitsync_commit_status(g, out, &tree, "status: 2\n", 1795435300,
                                                  next, &changed),
                         FC_OK);
        assert_int_equal(changed, 1);
        assert_int_equal(fc_gitsync_commit_status(g, "", &tree, "status: 3\n", 1795435300,
                                                  orphan, &changed),
                         FC_OK);
        assert_int_equal(sh("cd '%s' && git clone -q -b finops-status '%s' w && cd w && "
                            "git -c user.name=h -c user.email=h@example.com commit -q "
                            "--allow-empty -m human && git push -q origin finops-status",
                            root, remote),
                         0);
        assert_int_equal(fc_gitsync_push(g, next), FC_ECONFLICT);
        assert_int_equal(fc_gitsync_push(g, orphan), FC_ECONFLICT);
        assert_int_equal(sh("test \"$(git --git-dir='%s' log -1 --format=%%s finops-status)\" "
                            "= human", remote),
                         0);
    }

    /* Proposal commits carry the same trailer and signature. */
    {
        static const char spec[] = "kind: Optimization\n";
        char prop[FC_OID_HEX];
        git_oid poid;
        git_buf psig = {0}, pdata = {0};
        assert_int_equal(fc_gitsync_push_proposal(g, out, "finops/proposal/t",
                                                  "finops/optimizations/t.yaml", spec,
                                                  strlen(spec), "finops: propose t\n",
                                                  1795435400, "", prop),
                         FC_OK);
        assert_int_equal(git_oid_fromstr(&poid, prop), 0);
        assert_int_equal(git_commit_extract_signature(&psig, &pdata, g->repo, &poid, "gpgsig"),
                         0);
        assert_non_null(strstr(pdata.ptr, "\nfinops: propose t [skip ci]\n"));
        assert_int_equal(fc_gitsync_verify_commit(g, prop, keys, 1, &signer), FC_OK);
        free(signer);
        git_buf_dispose(&psig);
        git_buf_dispose(&pdata);
    }

    /* A missing key: FC_EDENIED, nothing written. */
    {
        fc_buf s;
        fc_buf_init(&s);
        assert_int_equal(fc_gitsync_sign_buffer(FC_SIGN_SSH, "/nonexistent/key", NULL, "x", 1,
                                                &s),
                         FC_EDENIED);
        assert_non_null(strstr(fc_error_last(), "ssh-keygen"));
        fc_buf_dispose(&s);
    }

    git_buf_dispose(&sig);
    git_buf_dispose(&data);
    fc_gitsync_free(g);
    sh("rm -rf '%s'", root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gitsync__trailer_skip_ci_ends_subject),
        cmocka_unit_test(test_gitsync__trailer_extends_existing_block),
        cmocka_unit_test(test_gitsync__trailer_new_block_after_prose),
        cmocka_unit_test(test_gitsync__trailer_subject_only_and_no_duplicates),
        cmocka_unit_test(test_gitsync__trailer_spec_commit_only),
        cmocka_unit_test(test_gitsync__sign_format_parse),
        cmocka_unit_test(test_gitsync__signature_field),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
