/*
 * bench_status.c - the status writer against the git CLI, side by side:
 * 10,000 status files written into a status commit on a repository that
 * already holds 10,000 (every file changed), then the same with nothing
 * changed.  Not a ctest; build and run by hand:
 *
 *   cmake --build build --target bench_status && build/bench_status [N]
 *
 * Prints wall-clock milliseconds of each and the ratio.  The git CLI side
 * is `git add -A && git commit` in a work tree holding the same files.
 */
#include "controller/core/fc_error.h"
#include "controller/core/fc_util.h"
#include "controller/gitsync/fc_gitsync.h"
#include "controller/status/fc_status.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    if (system(cmd) != 0) {
        fprintf(stderr, "bench: failed: %s\n", cmd);
        exit(1);
    }
}

/* n status files in 100 directories; `gen` changes every file's bytes. */
static void fill(fc_status_tree *t, size_t n, int gen)
{
    size_t i;
    char path[128], body[256];
    fc_status_tree_dispose(t);
    fc_status_tree_init(t);
    for (i = 0; i < n; i++) {
        int len;
        snprintf(path, sizeof(path), "status/recommendations/d%03zu/r%06zu.yaml", i % 100, i);
        len = snprintf(body, sizeof(body),
                       "apiVersion: finops.dev/v1alpha1\nkind: Recommendation\n"
                       "metadata:\n  name: r%06zu\nstatus:\n  generation: %d\n"
                       "  monthlySaving: %zu.%02zu\n",
                       i, gen, (i * 7) % 1000, i % 100);
        if (fc_status_tree_add_raw(t, path, body, (size_t)len) != FC_OK) {
            fprintf(stderr, "bench: %s\n", fc_error_last());
            exit(1);
        }
    }
    fc_status_tree_sort(t);
}

static void write_worktree(const char *dir, const fc_status_tree *t)
{
    size_t i;
    char path[4096];
    for (i = 0; i < t->n; i++) {
        FILE *f;
        snprintf(path, sizeof(path), "%s/%s", dir, t->files[i].path);
        f = fopen(path, "w");
        if (!f) {
            perror(path);
            exit(1);
        }
        fwrite(t->files[i].data, 1, t->files[i].len, f);
        fclose(f);
    }
}

static double writer_commit(fc_gitsync *g, const fc_status_tree *t, char head[FC_OID_HEX])
{
    char out[FC_OID_HEX];
    int changed = 0;
    double t0 = now_ms(), t1;
    if (fc_gitsync_commit_status(g, head, t, "bench", 1, out, &changed) != FC_OK) {
        fprintf(stderr, "bench: %s\n", fc_error_last());
        exit(1);
    }
    t1 = now_ms();
    if (changed)
        memcpy(head, out, FC_OID_HEX);
    return t1 - t0;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 10000;
    char dir[] = "/tmp/fc-bench-XXXXXX";
    char remote[256], work[256], state[256], head[FC_OID_HEX];
    fc_status_tree t;
    fc_gitsync_opts o;
    fc_gitsync *g = NULL;
    double w_full, w_noop, g_full, g_noop, t0;
    size_t d;

    if (!mkdtemp(dir))
        return 1;
    snprintf(remote, sizeof(remote), "%s/remote.git", dir);
    snprintf(work, sizeof(work), "%s/work", dir);
    snprintf(state, sizeof(state), "%s/state", dir);
    sh("git init -q --bare -b main %s && git clone -q %s %s 2>/dev/null", remote, remote,
       work);
    sh("cd %s && echo specs > README.md && git add -A && "
       "git -c user.name=b -c user.email=b@x commit -qm seed && git push -q origin main",
       work);
    for (d = 0; d < 100; d++)
        sh("mkdir -p %s/status/recommendations/d%03zu", work, d);

    fc_status_tree_init(&t);
    memset(&o, 0, sizeof(o));
    o.url = remote;
    o.branch = "main";
    o.state_dir = state;
    if (fc_gitsync_open(&g, &o) != FC_OK || fc_gitsync_fetch(g, head) != FC_OK) {
        fprintf(stderr, "bench: %s\n", fc_error_last());
        return 1;
    }
    /* Both sides start from a repository that holds n status files. */
    fill(&t, n, 0);
    writer_commit(g, &t, head);
    write_worktree(work, &t);
    sh("cd %s && git add -A && git -c user.name=b -c user.email=b@x commit -qm gen0", work);

    fill(&t, n, 1);
    w_full = writer_commit(g, &t, head);
    w_noop = writer_commit(g, &t, head);

    write_worktree(work, &t);
    t0 = now_ms();
    sh("cd %s && git add -A && git -c user.name=b -c user.email=b@x commit -qm gen1", work);
    g_full = now_ms() - t0;
    t0 = now_ms();
    sh("cd %s && git add -A && (git diff --cached --quiet || "
       "git -c user.name=b -c user.email=b@x commit -qm gen2)", work);
    g_noop = now_ms() - t0;

    printf("status files: %zu (all changed), then nothing changed\n", n);
    printf("  %-34s %9.1f ms\n", "status writer, all changed", w_full);
    printf("  %-34s %9.1f ms\n", "git add -A && git commit", g_full);
    printf("  %-34s %9.1fx\n", "ratio (git / writer)", g_full / w_full);
    printf("  %-34s %9.1f ms\n", "status writer, nothing changed", w_noop);
    printf("  %-34s %9.1f ms\n", "git add -A (+ commit), no change", g_noop);
    fc_gitsync_free(g);
    fc_status_tree_dispose(&t);
    sh("rm -rf %s", dir);
    return 0;
}
