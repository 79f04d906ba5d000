/*
 * test_gitsync.c - gitsync against real repositories.
 *
 * Every test gets a fresh temp dir holding a bare "remote" (remote.git), a
 * human's work clone (work/) seeded with specs, status, proposals, a
 * symlink, a submodule entry and hidden files, and the controller's state
 * dir (state/).  Fixtures are made with the git CLI; what gitsync wrote is
 * checked with the git CLI too, so the two implementations cross-check.
 */
#include "controller/core/fc_error.h"
#include "controller/gitsync/fc_gitsync.h"
#include "controller/gitsync/gitsync_int.h" /* fc_gitsync__scrub */

#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#define NOW 1795435200 /* 2026-11-23T00:00:00Z */

typedef struct {
    char root[256];
    char remote[PATH_MAX];
    char work[PATH_MAX];
    char state[PATH_MAX];
    fc_gitsync *g;
} fixture;

static char home_dir[PATH_MAX];

/* ---- shell helpers ------------------------------------------------------ */

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    return system(cmd);
}

/* stdout of a command, trailing newline stripped; caller frees. */
static char *out_of(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *out_of(const char *fmt, ...)
{
    char cmd[8192];
    char *buf = NULL;
    size_t len = 0;
    size_t cap = 0;
    va_list ap;
    FILE *p;
    int c;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    p = popen(cmd, "r");
    assert_non_null(p);
    while ((c = fgetc(p)) != EOF) {
        if (len + 2 > cap) {
            cap = cap ? cap * 2 : 256;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        buf[len++] = (char)c;
    }
    pclose(p);
    if (!buf)
        buf = calloc(1, 1);
    else
        buf[len] = '\0';
    if (len && buf[len - 1] == '\n')
        buf[len - 1] = '\0';
    return buf;
}

static void put(const fixture *fx, const char *rel, const char *content)
{
    char path[PATH_MAX * 2];
    FILE *f;

    assert_int_equal(sh("mkdir -p \"$(dirname '%s/%s')\"", fx->work, rel), 0);
    snprintf(path, sizeof(path), "%s/%s", fx->work, rel);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(content, f);
    fclose(f);
}

/* Commits everything in the work clone, pushes it, returns the new head. */
static char *human_commit(const fixture *fx, const char *msg)
{
    assert_int_equal(sh("cd '%s' && git add -A && git commit -q --allow-empty -m '%s' && "
                        "git push -q origin main 2>/dev/null",
                        fx->work, msg),
                     0);
    return out_of("git -C '%s' rev-parse HEAD", fx->work);
}

static char *remote_head(const fixture *fx)
{
    return out_of("git --git-dir='%s' rev-parse main", fx->remote);
}

static fc_gitsync *open_at(fixture *fx, const char *url, const char *branch)
{
    fc_gitsync_opts o = {0};
    fc_gitsync *g = NULL;
    int rc;

    o.url = url;
    o.branch = branch;
    o.state_dir = fx->state;
    rc = fc_gitsync_open(&g, &o);
    if (rc)
        print_error("open: %s\n", fc_error_last());
    assert_int_equal(rc, FC_OK);
    return g;
}

static void fetch_ok(fixture *fx, char head[FC_OID_HEX])
{
    int rc = fc_gitsync_fetch(fx->g, head);

    if (rc)
        print_error("fetch: %s\n", fc_error_last());
    assert_int_equal(rc, FC_OK);
    assert_int_equal(strlen(head), 40);
}

/* ---- status trees built by hand (no fc_status_tree_* dependency) -------- */

static void st_add(fc_status_tree *t, const char *path, const char *data)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 8;
        t->files = realloc(t->files, t->cap * sizeof(*t->files));
        assert_non_null(t->files);
    }
    t->files[t->n].path = strdup(path);
    t->files[t->n].data = strdup(data);
    t->files[t->n].len = strlen(data);
    t->n++;
}

static void st_free(fc_status_tree *t)
{
    size_t i;

    for (i = 0; i < t->n; i++) {
        free(t->files[i].path);
        free(t->files[i].data);
    }
    free(t->files);
    memset(t, 0, sizeof(*t));
}

static void commit_ok(fixture *fx, const char *head, const fc_status_tree *t,
                      char out[FC_OID_HEX], int want_changed)
{
    int changed = -1;
    int rc = fc_gitsync_commit_status(fx->g, head, t, "finops-controller: status", NOW, out,
                                      &changed);

    if (rc)
        print_error("commit_status: %s\n", fc_error_last());
    assert_int_equal(rc, FC_OK);
    assert_int_equal(changed, want_changed);
}

/* ---- fixture ------------------------------------------------------------ */

static int group_setup(void **state)
{
    (void)state;
    snprintf(home_dir, sizeof(home_dir), "/tmp/fc-gitsync-home-XXXXXX");
    if (!mkdtemp(home_dir))
        return -1;
    /* neither git nor libgit2 may see the developer's config */
    setenv("HOME", home_dir, 1);
    setenv("XDG_CONFIG_HOME", home_dir, 1);
    setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
    setenv("GIT_AUTHOR_NAME", "Alice", 1);
    setenv("GIT_AUTHOR_EMAIL", "alice@example.com", 1);
    setenv("GIT_COMMITTER_NAME", "Alice", 1);
    setenv("GIT_COMMITTER_EMAIL", "alice@example.com", 1);
    unsetenv("FINOPS_GIT_TOKEN");
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    return sh("rm -rf '%s'", home_dir) == 0 ? 0 : -1;
}

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof(*fx));
    char *head;

    if (!fx)
        return -1;
    snprintf(fx->root, sizeof(fx->root), "/tmp/fc-gitsync-XXXXXX");
    if (!mkdtemp(fx->root))
        return -1;
    snprintf(fx->remote, sizeof(fx->remote), "%s/remote.git", fx->root);
    snprintf(fx->work, sizeof(fx->work), "%s/work", fx->root);
    snprintf(fx->state, sizeof(fx->state), "%s/state", fx->root);
    if (sh("git init -q --bare -b main '%s' && git clone -q '%s' '%s' 2>/dev/null",
           fx->remote, fx->remote, fx->work))
        return -1;
    put(fx, "finops/budgets/a.yaml", "kind: Budget\nname: a\n");
    put(fx, "finops/budgets/b.yml", "kind: Budget\nname: b\n");
    put(fx, "finops/budgets-old.yaml", "kind: Budget\nname: old\n");
    put(fx, "finops/policies/p.yaml", "kind: Policy\n");
    put(fx, "finops/README.md", "# specs\n");
    put(fx, "finops/notes.txt", "not yaml\n");
    put(fx, "finops/.hidden/h.yaml", "hidden: 1\n");
    put(fx, "finops/.dot.yaml", "hidden: 2\n");
    put(fx, ".github/workflows/ci.yaml", "on: push\n");
    put(fx, "status/budgets/a.yaml", "spent: 1\n");
    put(fx, "proposals/p1.yaml", "kind: Optimization\n");
    put(fx, "top.yaml", "kind: Schedule\n");
    /* an embedded repository becomes a submodule entry (mode 160000) */
    if (sh("cd '%s' && ln -s budgets/a.yaml finops/link.yaml && chmod +x finops/budgets/b.yml "
           "&& git init -q finops/sub && git -C finops/sub commit -q --allow-empty -m sub "
           "&& git -c advice.addEmbeddedRepo=false add -A 2>/dev/null",
           fx->work))
        return -1;
    head = human_commit(fx, "seed");
    free(head);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;

    fc_gitsync_free(fx->g);
    sh("rm -rf '%s'", fx->root);
    free(fx);
    return 0;
}

/* ---- open / fetch ------------------------------------------------------- */

static void test_gitsync__fetch_returns_remote_head(void **state)
{
    fixture *fx = *state;
    char head[FC_OID_HEX];
    char *want = remote_head(fx);
    char *url;

    fx->g = open_at(fx, fx->remote, NULL);
    fetch_ok(fx, head);
    assert_string_equal(head, want);
    /* the clone is bare and tracks the branch; nothing is checked out */
    url = out_of("git --git-dir='%s/state/repo' rev-parse --is-bare-repository "
                 "refs/remotes/origin/main",
                 fx->root);
    assert_non_null(strstr(url, "true"));
    assert_non_null(strstr(url, want));
    assert_int_equal(sh("test -d '%s/state/repo/objects' && stat -c %%a '%s/state' | "
                        "grep -qx 700",
                        fx->root, fx->root),
                     0);
    free(url);
    free(want);
}

static void test_gitsync__fetch_sees_new_commits(void **state)
{
    fixture *fx = *state;
    char head[FC_OID_HEX];
    char *h2;

    fx->g = open_at(fx, fx->remote, "main");
    fetch_ok(fx, head);
    put(fx, "finops/budgets/c.yaml", "kind: Budget\nname: c\n");
    h2 = human_commit(fx, "add c");
    fetch_ok(fx, head);
    assert_string_equal(head, h2);
    free(h2);
}

static void test_gitsync__fetch_missing_branch_is_notfound(void **state)
{
    fixture *fx = *state;
    char head[FC_OID_HEX];

    fx->g = open_at(fx, fx->remote, "nope");
    assert_int_equal(fc_gitsync_fetch(fx->g, head), FC_ENOTFOUND);
    assert_non_null(strstr(fc_error_last(), "'nope'"));
    assert_non_null(strstr(fc_error_last(), "remote.git"));
    assert_string_equal(head, "");
    fc_gitsync_free(fx->g);

    /* a branch deleted after a fetch is gone, not served from a stale ref */
    fx->g = open_at(fx, fx->remote, "main");
    fetch_ok(fx, head);
    assert_int_equal(sh("git --git-dir='%s' branch -q -m main renamed", fx->remote), 0);
    assert_int_equal(fc_gitsync_fetch(fx->g, head), FC_ENOTFOUND);
    print_message("  %s\n", fc_error_last());
}

static void test_gitsync__fetch_error_hides_credentials(void **state)
{
    fixture *fx = *state;
    char head[FC_OID_HEX];
    int rc;

    setenv("FINOPS_GIT_TOKEN", "t0ken-s3cret", 1);
    /* port 9 on loopback: refused at once, no network needed */
    fx->g = open_at(fx, "http://bob:pa55word@127.0.0.1:9/org/repo.git", NULL);
    rc = fc_gitsync_fetch(fx->g, head);
    unsetenv("FINOPS_GIT_TOKEN");
    print_message("  %s: %s\n", fc_code_name(rc), fc_error_last());
    assert_int_equal(rc, FC_ENETWORK);
    assert_null(strstr(fc_error_last(), "pa55word"));
    assert_null(strstr(fc_error_last(), "t0ken"));
    assert_non_null(strstr(fc_error_last(), "127.0.0.1:9"));
}

/* A loopback HTTP server that answers 401 to everything, logging the
 * Authorization header of each request. */
static const char auth401_py[] =
    "import http.server, sys\n"
    "class H(http.server.BaseHTTPRequestHandler):\n"
    "    def do_GET(self):\n"
    "        sys.stderr.write('auth=%r\\n' % self.headers.get('Authorization'))\n"
    "        sys.stderr.flush()\n"
    "        self.send_response(401)\n"
    "        self.send_header('WWW-Authenticate', 'Basic realm=\"x\"')\n"
    "        self.send_header('Content-Length', '0')\n"
    "        self.end_headers()\n"
    "    def log_message(self, *a): pass\n"
    "s = http.server.HTTPServer(('127.0.0.1', 0), H)\n"
    "open(sys.argv[1] + '.tmp', 'w').write(str(s.server_address[1]))\n"
    "import os; os.rename(sys.argv[1] + '.tmp', sys.argv[1])\n"
    "s.serve_forever()\n";

static void test_gitsync__fetch_auth_failure_gives_up(void **state)
{
    fixture *fx = *state;
    char head[FC_OID_HEX];
    char url[300];
    char *port = NULL;
    char *pid;
    char *n;
    FILE *f;
    int i;
    int rc;

    if (sh("command -v python3 >/dev/null"))
        skip();
    snprintf(url, sizeof(url), "%s/srv.py", fx->root);
    f = fopen(url, "w");
    assert_non_null(f);
    fputs(auth401_py, f);
    fclose(f);
    assert_int_equal(sh("python3 '%s/srv.py' '%s/port' 2>'%s/srv.log' & echo $! > '%s/pid'",
                        fx->root, fx->root, fx->root, fx->root),
                     0);
    for (i = 0; i < 100 && !port; i++) {
        if (sh("test -s '%s/port'", fx->root) == 0)
            port = out_of("cat '%s/port'", fx->root);
        else
            usleep(50000);
    }
    assert_non_null(port);
    snprintf(url, sizeof(url), "http://127.0.0.1:%s/org/repo.git", port);
    fx->g = open_at(fx, url, NULL);

    /* no token: said plainly */
    rc = fc_gitsync_fetch(fx->g, head);
    print_message("  %s: %s\n", fc_code_name(rc), fc_error_last());
    assert_int_equal(rc, FC_ENETWORK);
    assert_non_null(strstr(fc_error_last(), "FINOPS_GIT_TOKEN"));

    /* a refused token is offered once, not forever, and never shown */
    setenv("FINOPS_GIT_TOKEN", "t0ken-s3cret", 1);
    rc = fc_gitsync_fetch(fx->g, head);
    unsetenv("FINOPS_GIT_TOKEN");
    print_message("  %s: %s\n", fc_code_name(rc), fc_error_last());
    assert_int_equal(rc, FC_ENETWORK);
    assert_non_null(strstr(fc_error_last(), "authentication failed"));
    assert_null(strstr(fc_error_last(), "t0ken"));
    n = out_of("grep -c 'auth=.Basic' '%s/srv.log'", fx->root);
    print_message("  requests with credentials: %s\n", n);
    assert_true(atoi(n) >= 1 && atoi(n) <= 2);
    free(n);

    pid = out_of("cat '%s/pid'", fx->root);
    assert_true(atoi(pid) > 0);
    kill((pid_t)atoi(pid), SIGTERM);
    free(pid);
    free(port);
}

static void test_gitsync__scrub_removes_userinfo_and_token(void **state)
{
    char msg[256] = "failed 'https://u:p@host/x' then https://h2/y and tok123456";

    (void)state;
    setenv("FINOPS_GIT_TOKEN", "tok123456", 1);
    fc_gitsync__scrub(msg);
    unsetenv("FINOPS_GIT_TOKEN");
    assert_string_equal(msg, "failed 'https://host/x' then https://h2/y and ***");
}

static void test_gitsync__reopen_existing_state_dir(void **state)
{
    fixture *fx = *state;
    char head[FC_OID_HEX];
    char c1[FC_OID_HEX];
    char again[FC_OID_HEX];
    fc_status_tree t = {0};
    fc_buf b;

    fx->g = open_at(fx, fx->remote, NULL);
    fetch_ok(fx, head);
    st_add(&t, "status/x.yaml", "x: 1\n");
    commit_ok(fx, head, &t, c1, 1);
    fc_gitsync_free(fx->g);

    fx->g = open_at(fx, fx->remote, NULL);
    fetch_ok(fx, again);
    assert_string_equal(again, head);
    /* objects written before the reopen are still there */
    fc_buf_init(&b);
    assert_int_equal(fc_gitsync_read_file(fx->g, c1, "status/x.yaml", &b), FC_OK);
    assert_string_equal(b.data, "x: 1\n");
    fc_buf_dispose(&b);
    st_free(&t);
}

static void test_gitsync__url_change_updates_origin(void **state)
{
    fixture *fx = *state;
    char head[FC_OID_HEX];
    char cwd[PATH_MAX];
    char *h2;
    char *url;
    char *want;

    fx->g = open_at(fx, fx->remote, NULL);
    fetch_ok(fx, head);
    fc_gitsync_free(fx->g);
    fx->g = NULL;

    /* a second remote, one commit ahead, named by a relative path */
    assert_int_equal(sh("git clone -q --bare '%s' '%s/other.git' && cd '%s' && "
                        "git commit -q --allow-empty -m other && "
                        "git push -q '%s/other.git' main 2>/dev/null",
                        fx->remote, fx->root, fx->work, fx->root),
                     0);
    h2 = out_of("git -C '%s' rev-parse HEAD", fx->work);
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    assert_int_equal(chdir(fx->root), 0);
    fx->g = open_at(fx, "other.git", NULL);
    assert_int_equal(chdir("/"), 0); /* the stored URL must not depend on cwd */
    fetch_ok(fx, head);
    assert_int_equal(chdir(cwd), 0);
    assert_string_equal(head, h2);

    url = out_of("git --git-dir='%s/repo' config remote.origin.url", fx->state);
    want = out_of("realpath '%s/other.git'", fx->root);
    assert_string_equal(url, want);
    free(url);
    free(want);
    free(h2);
}

static void test_gitsync__open_refuses_foreign_dir(void **state)
{
    fixture *fx = *state;
    fc_gitsync_opts o = {0};
    fc_gitsync *g = NULL;

    assert_int_equal(sh("mkdir -p '%s/repo' && echo hi > '%s/repo/file'", fx->state,
                        fx->state),
                     0);
    o.url = fx->remote;
    o.state_dir = fx->state;
    assert_int_equal(fc_gitsync_open(&g, &o), FC_EINVALID);
    assert_null(g);
    o.branch = "bad..name";
    assert_int_equal(fc_gitsync_open(&g, &o), FC_EINVALID);
    assert_null(g);
}

/* ---- read --------------------------------------------------------------- */

static void expect_paths(const fc_file_list *l, const char *const *want, size_t n)
{
    size_t i;

    for (i = 0; i < l->n; i++)
        print_message("  got %s\n", l->files[i].path);
    assert_int_equal(l->n, n);
    for (i = 0; i < n; i++)
        assert_string_equal(l->files[i].path, want[i]);
}

static void test_gitsync__read_specs_lists_yaml_under_root(void **state)
{
    fixture *fx = *state;
    char head[FC_OID_HEX];
    fc_file_list l = {0};
    static const char *const want[] = {
        "finops/budgets-old.yaml", "finops/budgets/a.yaml", "finops/budgets/b.yml",
        "finops/policies/p.yaml"};

    fx->g = open_at(fx, fx->remote, NULL);
    fetch_ok(fx, head);
    assert_int_equal(fc_gitsync_read_specs(fx->g, head, "finops", &l), FC_OK);
    expect_paths(&l, want, FC_ARRAY_LEN(want));
    assert_int_equal(l.files[1].len, strlen("kind: Budget\nname: a\n"));
    assert_string_equal(l.files[1].data, "kind: Budget\nname: a\n");
    fc_file_list_dispose(&l);
    assert_int_equal(l.n, 0);
    assert_null(l.files);

    /* the same root spelled the way people type it */
    assert_int_equal(fc_gitsync_read_specs(fx->g, head, "./finops/", &l), FC_OK);
    expect_paths(&l, want, FC_ARRAY_LEN(want));
    fc_file_list_dispose(&l);
}

static void test_gitsync__read_specs_repo_root_skips_status(void **state)
{
    fixture *fx = *state;
    char head[FC_OID_HEX];
    fc_file_list l = {0};
    static const char *const want[] = {
        "finops/budgets-old.yaml", "finops/budgets/a.yaml", "finops/budgets/b.yml",
        "finops/policies/p.yaml", "top.yaml"};

    fx->g = open_at(fx, fx->remote, NULL);
    fetch_ok(fx, head);
    assert_int_equal(fc_gitsync_read_specs(fx->g, head, "", &l), FC_OK);
    expect_paths(&l, want, FC_ARRAY_LEN(want));
    fc_file_list_dispose(&l);
    assert_int_equal(fc_gitsync_read_specs(fx->g, head, ".", &l), FC_OK);
    expect_paths(&l, want, FC_ARRAY_LEN(want));
    fc_file_list_dispose(&l);
    assert_int_equal(fc_gitsync_read_specs(fx->g, head, NULL, &l), FC_OK);
    expect_paths(&l, want, FC_ARRAY_LEN(want));
    fc_file_list_dispose(&l);
}

static void test_gitsync__read_specs_nested_and_missing_root(void **state)
{
    fixture *fx = *state;
    char head[FC_OID_HEX];
    fc_file_list l = {0};
    static const char *const want[] = {"finops/budgets/a.yaml", "finops/budgets/b.yml"};

    fx->g = open_at(fx, fx->remote, NULL);
    fetch_ok(fx, head);
    assert_int_equal(fc_gitsync_read_specs(fx->g, head, "finops/budgets", &l), FC_OK);
    expect_paths(&l, want, FC_ARRAY_LEN(want));
    fc_file_list_dispose(&l);
    assert_int_equal(fc_gitsync_read_specs(fx->g, head, "nope", &l), FC_ENOTFOUND);
    assert_non_null(strstr(fc_error_last(), "nope"));
    assert_int_equal(l.n, 0);
    assert_int_equal(fc_gitsync_read_specs(fx->g, head, "top.yaml", &l), FC_ENOTFOUND);
    assert_int_equal(fc_gitsync_read_specs(fx->g, head, "../etc", &l), FC_EINVALID);
    assert_int_equal(fc_gitsync_read_specs(fx->g, "abc", "", &l), FC_EINVALID);
    assert_int_equal(fc_gitsync_read_specs(fx->g, "0123456789012345678901234567890123456789",
                                           "", &l),
                     FC_ENOTFOUND);
}

static void test_gitsync__read_specs_lists_huge_blobs_unread(void **state)
{
    fixture *fx = *state;
    char head[FC_OID_HEX];
    fc_file_list l = {0};
    char *h;
    static const char *const want[] = {"finops/budgets/a.yaml", "finops/budgets/b.yml",
                                       "finops/budgets/big.yaml", "finops/budgets/c.yaml"};

    assert_int_equal(sh("head -c 9000000 /dev/zero > '%s/finops/budgets/big.yaml' && "
                        "head -c 2000000 /dev/zero > '%s/finops/budgets/c.yaml'",
                        fx->work, fx->work),
                     0);
    h = human_commit(fx, "big");
    free(h);
    fx->g = open_at(fx, fx->remote, NULL);
    fetch_ok(fx, head);
    assert_int_equal(fc_gitsync_read_specs(fx->g, head, "finops/budgets", &l), FC_OK);
    /* over 1 MiB is read (the loader explains); over 8 MiB is listed with
     * its size only, never read */
    expect_paths(&l, want, FC_ARRAY_LEN(want));
    assert_null(l.files[2].data);
    assert_int_equal(l.files[2].len, 9000000);
    assert_int_equal(l.files[3].len, 2000000);
    fc_file_list_dispose(&l);
}

static void test_gitsync__read_file_found_and_not_found(void **state)
{
    fixture *fx = *state;
    char head[FC_OID_HEX];
    fc_buf b;

    fx->g = open_at(fx, fx->remote, NULL);
    fetch_ok(fx, head);
    fc_buf_init(&b);
    assert_int_equal(fc_gitsync_read_file(fx->g, head, "status/budgets/a.yaml", &b), FC_OK);
    assert_string_equal(b.data, "spent: 1\n");
    assert_int_equal(b.len, 9);
    /* the buffer is replaced, not appended to */
    assert_int_equal(fc_gitsync_read_file(fx->g, head, "finops/budgets/a.yaml", &b), FC_OK);
    assert_string_equal(b.data, "kind: Budget\nname: a\n");
    assert_int_equal(fc_gitsync_read_file(fx->g, head, "finops/nope.yaml", &b),
                     FC_ENOTFOUND);
    assert_non_null(strstr(fc_error_last(), "finops/nope.yaml"));
    assert_int_equal(b.len, 0);
    assert_int_equal(fc_gitsync_read_file(fx->g, head, "finops", &b), FC_ENOTFOUND);
    assert_int_equal(fc_gitsync_read_file(fx->g, head, "finops/link.yaml", &b),
                     FC_ENOTFOUND);
    assert_int_equal(fc_gitsync_read_file(fx->g, head, "status/budgets/a.yaml/x", &b),
                     FC_ENOTFOUND);
    fc_buf_dispose(&b);
}

/* ---- commit_status ------------------------------------------------------ */

/* ls-tree -r of a commit without status/ and proposals/, into file `name`. */
static void spec_listing(const fixture *fx, const char *commit, const char *name)
{
    assert_int_equal(sh("git --git-dir='%s/repo' ls-tree -r --full-tree %s | "
                        "awk -F'\\t' '$2 !~ /^(status|proposals)\\//' > '%s/%s'",
                        fx->state, commit, fx->root, name),
                     0);
}

static void test_gitsync__commit_status_replaces_only_status(void **state)
{
    fixture *fx = *state;
    char head[FC_OID_HEX];
    char c1[FC_OID_HEX];
    fc_status_tree t = {0};
    char *s;

    fx->g = open_at(fx, fx->remote, NULL);
    fetch_ok(fx, head);
    /* unsorted on purpose */
    st_add(&t, "status/inventory.yaml", "resources: 3\n");
    st_add(&t, "status/budgets/a.yaml", "spent: 2\n");
    st_add(&t, "proposals/stop-idle.yaml", "kind: Optimization\n");
    st_add(&t, "status/reports/latest.md", "# report\n");
    st_add(&t, "status/budgets/b.yaml", "");
    commit_ok(fx, head, &t, c1, 1);
    assert_string_not_equal(c1, head);

    spec_listing(fx, head, "before.txt");
    spec_listing(fx, c1, "after.txt");
    /* every other entry, symlink and submodule included, kept byte for byte */
    assert_int_equal(sh("cmp -s '%s/before.txt' '%s/after.txt' && "
                        "grep -q '^120000 .*finops/link.yaml' '%s/after.txt' && "
                        "grep -q '^160000 .*finops/sub' '%s/after.txt' && "
                        "grep -q '^100755 .*finops/budgets/b.yml' '%s/after.txt'",
                        fx->root, fx->root, fx->root, fx->root, fx->root),
                     0);
    s = out_of("git --git-dir='%s/repo' ls-tree -r --name-only %s -- status proposals",
               fx->state, c1);
    assert_string_equal(s, "proposals/stop-idle.yaml\n"
                           "status/budgets/a.yaml\n"
                           "status/budgets/b.yaml\n"
                           "status/inventory.yaml\n"
                           "status/reports/latest.md");
    free(s);
    s = out_of("git --git-dir='%s/repo' cat-file -p %s:status/budgets/a.yaml", fx->state, c1);
    assert_string_equal(s, "spent: 2");
    free(s);
    s = out_of("git --git-dir='%s/repo' log -1 --format='%%P|%%an <%%ae>|%%cn|%%at|%%ct|%%s' %s",
               fx->state, c1);
    {
        char want[512];
        snprintf(want, sizeof(want),
                 "%s|finops-controller <finops-controller@localhost>|finops-controller|%d|%d|"
                 "finops-controller: status",
                 head, NOW, NOW);
        assert_string_equal(s, want);
    }
    free(s);
    /* the local branch moved; the remote did not */
    s = out_of("git --git-dir='%s/repo' rev-parse refs/heads/main", fx->state);
    assert_string_equal(s, c1);
    free(s);
    s = remote_head(fx);
    assert_string_equal(s, head);
    free(s);
    assert_int_equal(sh("git --git-dir='%s/repo' fsck --no-dangling --no-progress 2>/dev/null", fx->state),
                     0);
    st_free(&t);
}

static void test_gitsync__commit_status_same_tree_is_unchanged(void **state)
{
    fixture *fx = *state;
    char head[FC_OID_HEX];
    char c1[FC_OID_HEX];
    char c2[FC_OID_HEX];
    fc_status_tree t = {0};
    fc_status_tree same = {0};

    fx->g = open_at(fx, fx->remote, NULL);
    fetch_ok(fx, head);
    st_add(&t, "status/budgets/a.yaml", "spent: 2\n");
    st_add(&t, "proposals/p1.yaml", "kind: Optimization\n");
    commit_ok(fx, head, &t, c1, 1);
    commit_ok(fx, c1, &t, c2, 0);
    assert_string_equal(c2, c1);

    /* the seed already holds exactly this status: nothing to write */
    st_add(&same, "proposals/p1.yaml", "kind: Optimization\n");
    st_add(&same, "status/budgets/a.yaml", "spent: 1\n");
    commit_ok(fx, head, &same, c2, 0);
    assert_string_equal(c2, head);
    st_free(&t);
    st_free(&same);
}

static void test_gitsync__commit_status_removes_stale_files(void **state)
{
    fixture *fx = *state;
    char head[FC_OID_HEX];
    char c1[FC_OID_HEX];
    char c2[FC_OID_HEX];
    char c3[FC_OID_HEX];
    fc_status_tree t = {0};
    fc_status_tree less = {0};
    fc_status_tree none = {0};
    char *s;

    fx->g = open_at(fx, fx->remote, NULL);
    fetch_ok(fx, head);
    st_add(&t, "status/budgets/a.yaml", "spent: 2\n");
    st_add(&t, "status/anomalies/x.yaml", "x\n");
    commit_ok(fx, head, &t, c1, 1);
    s = out_of("git --git-dir='%s/repo' ls-tree -r --name-only %s -- status proposals",
               fx->state, c1);
    assert_string_equal(s, "status/anomalies/x.yaml\nstatus/budgets/a.yaml");
    free(s);

    st_add(&less, "status/budgets/a.yaml", "spent: 2\n");
    commit_ok(fx, c1, &less, c2, 1);
    s = out_of("git --git-dir='%s/repo' ls-tree -r --name-only %s -- status proposals",
               fx->state, c2);
    assert_string_equal(s, "status/budgets/a.yaml");
    free(s);

    commit_ok(fx, c2, &none, c3, 1);
    s = out_of("git --git-dir='%s/repo' ls-tree --name-only %s", fx->state, c3);
    assert_string_equal(s, ".github\nfinops\ntop.yaml");
    free(s);
    st_free(&t);
    st_free(&less);
}

static void test_gitsync__commit_status_rejects_other_paths(void **state)
{
    fixture *fx = *state;
    char head[FC_OID_HEX];
    char out[FC_OID_HEX];
    static const char *const bad[] = {
        "finops/x.yaml", "status", "status/", "status//a.yaml", "status/../x.yaml",
        "status/./x.yaml", "/status/x.yaml", "statusx/a.yaml", "status/.git/x"};
    size_t i;
    int changed = 7;

    fx->g = open_at(fx, fx->remote, NULL);
    fetch_ok(fx, head);
    for (i = 0; i < FC_ARRAY_LEN(bad); i++) {
        fc_status_tree t = {0};
        st_add(&t, bad[i], "x\n");
        print_message("  path %s\n", bad[i]);
        assert_int_equal(
            fc_gitsync_commit_status(fx->g, head, &t, "m", NOW, out, &changed),
            FC_EINVALID);
        st_free(&t);
    }
    {
        fc_status_tree t = {0};
        st_add(&t, "status/a", "x\n");
        st_add(&t, "status/a/b.yaml", "x\n");
        assert_int_equal(
            fc_gitsync_commit_status(fx->g, head, &t, "m", NOW, out, &changed),
            FC_EINVALID);
        st_free(&t);
        st_add(&t, "status/a.yaml", "x\n");
        st_add(&t, "status/a.yaml", "y\n");
        assert_int_equal(
            fc_gitsync_commit_status(fx->g, head, &t, "m", NOW, out, &changed),
            FC_EINVALID);
        st_free(&t);
    }
    assert_int_equal(changed, 0);
}

/* ---- push --------------------------------------------------------------- */

static void test_gitsync__push_fast_forwards_remote(void **state)
{
    fixture *fx = *state;
    char head[FC_OID_HEX];
    char c1[FC_OID_HEX];
    fc_status_tree t = {0};
    char *s;

    fx->g = open_at(fx, fx->remote, NULL);
    fetch_ok(fx, head);
    st_add(&t, "status/budgets/a.yaml", "spent: 2\n");
    commit_ok(fx, head, &t, c1, 1);
    assert_int_equal(fc_gitsync_push(fx->g, c1), FC_OK);
    s = remote_head(fx);
    assert_string_equal(s, c1);
    free(s);
    s = out_of("git --git-dir='%s/repo' rev-parse refs/remotes/origin/main", fx->state);
    assert_string_equal(s, c1);
    free(s);
    assert_int_equal(sh("git --git-dir='%s' fsck --no-progress 2>/dev/null", fx->remote), 0);
    /* pushing what the remote already has is fine */
    assert_int_equal(fc_gitsync_push(fx->g, c1), FC_OK);
    st_free(&t);
}

static void test_gitsync__push_after_human_push_conflicts(void **state)
{
    fixture *fx = *state;
    char head[FC_OID_HEX];
    char c1[FC_OID_HEX];
    char c2[FC_OID_HEX];
    fc_status_tree t = {0};
    char *human;
    char *s;

    fx->g = open_at(fx, fx->remote, NULL);
    fetch_ok(fx, head);
    st_add(&t, "status/budgets/a.yaml", "spent: 2\n");
    commit_ok(fx, head, &t, c1, 1);

    put(fx, "finops/budgets/a.yaml", "kind: Budget\nname: a\namount: 10\n");
    human = human_commit(fx, "raise a");
    assert_int_equal(fc_gitsync_push(fx->g, c1), FC_ECONFLICT);
    print_message("  %s\n", fc_error_last());
    s = remote_head(fx);
    assert_string_equal(s, human);
    free(s);

    /* the documented retry: fetch, rebuild on the new head, push */
    fetch_ok(fx, head);
    assert_string_equal(head, human);
    commit_ok(fx, head, &t, c2, 1);
    assert_int_equal(fc_gitsync_push(fx->g, c2), FC_OK);
    s = remote_head(fx);
    assert_string_equal(s, c2);
    free(s);
    assert_int_equal(sh("git --git-dir='%s' merge-base --is-ancestor %s main", fx->remote,
                        human),
                     0);

    /* an old commit is never forced over a newer remote */
    assert_int_equal(fc_gitsync_push(fx->g, c1), FC_ECONFLICT);
    s = remote_head(fx);
    assert_string_equal(s, c2);
    free(s);
    free(human);
    st_free(&t);
}

/* ---- spec_commit -------------------------------------------------------- */

static void test_gitsync__spec_commit_skips_status_only_commits(void **state)
{
    fixture *fx = *state;
    char seed[FC_OID_HEX];
    char head[FC_OID_HEX];
    char c1[FC_OID_HEX];
    char out[FC_OID_HEX];
    fc_status_tree t = {0};
    char *spec_change;
    char *h;

    fx->g = open_at(fx, fx->remote, NULL);
    fetch_ok(fx, seed);
    /* the seed is a root commit: it is its own spec commit */
    assert_int_equal(fc_gitsync_spec_commit(fx->g, seed, out), FC_OK);
    assert_string_equal(out, seed);

    put(fx, "finops/budgets/a.yaml", "kind: Budget\nname: a\namount: 5\n");
    spec_change = human_commit(fx, "spec change");
    fetch_ok(fx, head);
    st_add(&t, "status/budgets/a.yaml", "spent: 3\n");
    commit_ok(fx, head, &t, c1, 1);
    assert_int_equal(fc_gitsync_push(fx->g, c1), FC_OK);

    /* a human touches only proposals/, then an empty commit */
    assert_int_equal(sh("cd '%s' && git pull -q --ff-only 2>/dev/null", fx->work), 0);
    put(fx, "proposals/p1.yaml", "kind: Optimization\n# reviewed\n");
    h = human_commit(fx, "proposal tweak");
    free(h);
    h = human_commit(fx, "empty");
    free(h);
    fetch_ok(fx, head);

    assert_int_equal(fc_gitsync_spec_commit(fx->g, head, out), FC_OK);
    assert_string_equal(out, spec_change);
    assert_int_equal(fc_gitsync_spec_commit(fx->g, spec_change, out), FC_OK);
    assert_string_equal(out, spec_change);

    /* a non-spec file outside status/ still counts as a change */
    put(fx, "finops/README.md", "# specs v2\n");
    h = human_commit(fx, "docs");
    fetch_ok(fx, head);
    assert_int_equal(fc_gitsync_spec_commit(fx->g, head, out), FC_OK);
    assert_string_equal(out, h);
    free(h);
    free(spec_change);
    st_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_gitsync__fetch_returns_remote_head, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_gitsync__fetch_sees_new_commits, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_gitsync__fetch_missing_branch_is_notfound,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_gitsync__fetch_error_hides_credentials, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_gitsync__fetch_auth_failure_gives_up, setup,
                                        teardown),
        cmocka_unit_test(test_gitsync__scrub_removes_userinfo_and_token),
        cmocka_unit_test_setup_teardown(test_gitsync__reopen_existing_state_dir, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_gitsync__url_change_updates_origin, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_gitsync__open_refuses_foreign_dir, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_gitsync__read_specs_lists_yaml_under_root,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_gitsync__read_specs_repo_root_skips_status,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_gitsync__read_specs_nested_and_missing_root,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_gitsync__read_specs_lists_huge_blobs_unread, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_gitsync__read_file_found_and_not_found, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_gitsync__commit_status_replaces_only_status,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_gitsync__commit_status_same_tree_is_unchanged,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_gitsync__commit_status_removes_stale_files,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_gitsync__commit_status_rejects_other_paths,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_gitsync__push_fast_forwards_remote, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_gitsync__push_after_human_push_conflicts,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_gitsync__spec_commit_skips_status_only_commits,
                                        setup, teardown),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
