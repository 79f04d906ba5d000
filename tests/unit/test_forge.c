/*
 * test_forge.c - pull-request mode without a forge: Link header paging,
 * reading a proposal's figures, the PR description, and the proposal
 * branch push with its lease on a real bare repository.  The REST calls
 * themselves run against tests/forgeserver in test_forge_pr.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "controller/core/fc_error.h"
#include "controller/forge/fc_forge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char proposal[] =
    "# Proposed by finops-controller from recommendation idle-ec2-instance-i-1.\n"
    "# i-1 (build-box) idle for 14 days: stop it to save 167.90 USD/month\n"
    "# Estimated saving: 167.90 USD/month; risk: medium.\n"
    "# Evidence: cpuP95=1.2 idleDays=14\n"
    "# To approve: copy this file into the spec root (e.g. finops/optimizations/),\n"
    "# add your identity to spec.approval.approvedBy and merge it after review.\n"
    "apiVersion: finops.dev/v1alpha1\n"
    "kind: Optimization\n"
    "metadata:\n"
    "  name: idle-ec2-instance-i-1\n"
    "spec:\n"
    "  action: stop\n"
    "  approval:\n"
    "    approvedBy: []\n";

static void test_forge__link_next_finds_rel_next_anywhere(void **state)
{
    char *n;
    (void)state;
    n = fc_forge_link_next(
        "<https://api.github.com/repos/a/b/pulls?page=2>; rel=\"next\", "
        "<https://api.github.com/repos/a/b/pulls?page=5>; rel=\"last\"");
    assert_string_equal(n, "https://api.github.com/repos/a/b/pulls?page=2");
    free(n);
    /* GitLab lists prev and first before next */
    n = fc_forge_link_next("<http://h/api/v4/x?page=1>; rel=\"prev\", "
                           "<http://h/api/v4/x?page=1>; rel=\"first\", "
                           "<http://h/api/v4/x?page=3>; rel=\"next\"");
    assert_string_equal(n, "http://h/api/v4/x?page=3");
    free(n);
    assert_null(fc_forge_link_next("<http://h/x?page=1>; rel=\"first\", "
                                   "<http://h/x?page=1>; rel=\"last\""));
    assert_null(fc_forge_link_next("<http://h/x?page=1>; rel=\"nextish\""));
    assert_null(fc_forge_link_next("garbage"));
    assert_null(fc_forge_link_next(""));
}

static void test_forge__kinds_parse(void **state)
{
    (void)state;
    assert_int_equal(fc_forge_kind_parse("github"), FC_FORGE_GITHUB);
    assert_int_equal(fc_forge_kind_parse("gitlab"), FC_FORGE_GITLAB);
    assert_int_equal(fc_forge_kind_parse("gitea"), FC_FORGE_GITEA);
    assert_int_equal(fc_forge_kind_parse("bitbucket"), -1);
    assert_string_equal(fc_forge_kind_name(FC_FORGE_GITLAB), "gitlab");
}

static void test_forge__proposal_figures_are_read_from_its_header(void **state)
{
    fc_proposal_info p;
    (void)state;
    assert_int_equal(
        fc_forge_proposal_parse(&p, "idle-ec2-instance-i-1", proposal, strlen(proposal)),
        FC_OK);
    assert_true(p.saving > 167.89 && p.saving < 167.91);
    assert_string_equal(p.currency, "USD");
    assert_string_equal(p.risk, "medium");
    assert_string_equal(p.action, "stop");
    assert_string_equal(p.evidence, "cpuP95=1.2 idleDays=14");
    assert_string_equal(p.summary,
                        "i-1 (build-box) idle for 14 days: stop it to save 167.90 "
                        "USD/month");
    fc_proposal_info_dispose(&p);
    assert_int_equal(fc_forge_proposal_parse(&p, "x", "kind: Optimization\n", 19),
                     FC_EPARSE);
    assert_null(p.id);
}

static void
test_forge__pr_body_explains_evidence_saving_risk_rollback_approvers(void **state)
{
    fc_proposal_info p;
    const char *who[] = {"alice@example.com", "bob@example.com"};
    char *body;
    (void)state;
    assert_int_equal(
        fc_forge_proposal_parse(&p, "idle-ec2-instance-i-1", proposal, strlen(proposal)),
        FC_OK);
    body =
        fc_forge_pr_body(&p, "finops/optimizations/idle-ec2-instance-i-1.yaml", who, 2);
    assert_non_null(body);
    assert_non_null(strstr(body, "**167.90 USD per month**"));
    assert_non_null(strstr(body, "- `cpuP95=1.2`\n- `idleDays=14`\n"));
    assert_non_null(strstr(body, "### Risk\n\nmedium."));
    assert_non_null(strstr(body, "started again"));
    assert_non_null(strstr(body, "- alice@example.com\n- bob@example.com\n"));
    assert_non_null(strstr(body, "merge commit"));
    assert_non_null(strstr(body, "finops/optimizations/idle-ec2-instance-i-1.yaml"));
    free(body);
    body = fc_forge_pr_body(&p, "o.yaml", NULL, 0);
    assert_non_null(strstr(body, "nobody can approve"));
    free(body);
    fc_proposal_info_dispose(&p);
}

/* ---- the proposal branch and its lease ------------------------------------ */

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

static void test_forge__proposal_branch_push_keeps_others_commits(void **state)
{
    char root[] = "/tmp/fc-forge-XXXXXX", remote[128], work[128], sdir[128];
    char head[FC_OID_HEX], tip1[FC_OID_HEX], tip2[FC_OID_HEX], tip3[FC_OID_HEX];
    fc_gitsync_opts o;
    fc_gitsync *g = NULL;
    fc_name_list names;
    fc_buf b;
    (void)state;

    assert_non_null(mkdtemp(root));
    snprintf(remote, sizeof(remote), "%s/remote.git", root);
    snprintf(work, sizeof(work), "%s/work", root);
    snprintf(sdir, sizeof(sdir), "%s/state", root);
    assert_int_equal(
        sh("git init -q --bare -b main %s && git clone -q %s %s 2>/dev/null && "
           "cd %s && mkdir -p proposals && echo 'a: 1' > proposals/p1.yaml && "
           "echo 'b: 1' > proposals/p2.yaml && git add -A && "
           "git -c user.name=A -c user.email=a@x commit -q -m seed && "
           "git push -q origin main",
           remote, remote, work, work),
        0);
    memset(&o, 0, sizeof(o));
    o.url = remote;
    o.branch = "main";
    o.state_dir = sdir;
    assert_int_equal(fc_gitsync_open(&g, &o), FC_OK);
    assert_int_equal(fc_gitsync_fetch(g, head), FC_OK);

    assert_int_equal(fc_gitsync_list_dir(g, head, "proposals", &names), FC_OK);
    assert_int_equal(names.n, 2);
    assert_string_equal(names.names[0], "p1.yaml");
    fc_name_list_dispose(&names);
    assert_int_equal(fc_gitsync_list_dir(g, head, "nothing", &names), FC_OK);
    assert_int_equal(names.n, 0);

    /* first push: the branch must not exist */
    assert_int_equal(fc_gitsync_push_proposal(g, head, "finops/proposal/p1",
                                              "finops/optimizations/p1.yaml", "x: 1\n", 5,
                                              "Propose p1", 1700000000, "", tip1),
                     FC_OK);
    fc_buf_init(&b);
    assert_int_equal(fc_gitsync_read_file(g, tip1, "finops/optimizations/p1.yaml", &b),
                     FC_OK);
    assert_int_equal(b.len, 5);
    fc_buf_dispose(&b);
    assert_int_equal(sh("test \"$(git --git-dir=%s rev-parse finops/proposal/p1)\" = %s",
                        remote, tip1),
                     0);
    /* the tracked branch is untouched */
    assert_int_equal(sh("test \"$(git --git-dir=%s rev-parse main)\" = %s", remote, head),
                     0);
    /* replacing our own commit with the lease on it */
    assert_int_equal(fc_gitsync_push_proposal(g, head, "finops/proposal/p1",
                                              "finops/optimizations/p1.yaml", "x: 2\n", 5,
                                              "Propose p1", 1700000001, tip1, tip2),
                     FC_OK);
    assert_string_not_equal(tip1, tip2);
    /* a stale lease ("does not exist") is refused: someone else's ref */
    assert_int_equal(fc_gitsync_push_proposal(g, head, "finops/proposal/p1",
                                              "finops/optimizations/p1.yaml", "x: 3\n", 5,
                                              "Propose p1", 1700000002, "", tip3),
                     FC_ECONFLICT);
    /* a reviewer's commit on the branch is kept */
    assert_int_equal(
        sh("cd %s && git fetch -q origin finops/proposal/p1 && "
           "git checkout -q FETCH_HEAD && echo '# ok' >> "
           "finops/optimizations/p1.yaml && git -c user.name=R -c user.email=r@x "
           "commit -qam review && git push -q origin HEAD:finops/proposal/p1",
           work),
        0);
    assert_int_equal(fc_gitsync_push_proposal(g, head, "finops/proposal/p1",
                                              "finops/optimizations/p1.yaml", "x: 4\n", 5,
                                              "Propose p1", 1700000003, tip2, tip3),
                     FC_ECONFLICT);
    /* deleted (merged and removed): ours to create again */
    assert_int_equal(
        sh("git --git-dir=%s update-ref -d refs/heads/finops/proposal/p1", remote), 0);
    assert_int_equal(fc_gitsync_push_proposal(g, head, "finops/proposal/p1",
                                              "finops/optimizations/p1.yaml", "x: 5\n", 5,
                                              "Propose p1", 1700000004, tip2, tip3),
                     FC_OK);
    /* never anything but a proposal branch */
    assert_int_equal(fc_gitsync_push_proposal(g, head, "main", "a.yaml", "x", 1, "m",
                                              1700000005, "", tip3),
                     FC_EINVALID);
    fc_gitsync_free(g);
    sh("rm -rf %s", root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forge__link_next_finds_rel_next_anywhere),
        cmocka_unit_test(test_forge__kinds_parse),
        cmocka_unit_test(test_forge__proposal_figures_are_read_from_its_header),
        cmocka_unit_test(
            test_forge__pr_body_explains_evidence_saving_risk_rollback_approvers),
        cmocka_unit_test(test_forge__proposal_branch_push_keeps_others_commits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
