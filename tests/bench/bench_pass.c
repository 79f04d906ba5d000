/*
 * bench_pass.c - one full reconcile pass without git, over a generated sim
 * estate and 10,000 generated specs (issue 6's engine target: 100,000
 * resources in at most 2 s CPU and 256 MiB peak).  Not a ctest: built on
 * demand and run by hand, one process per size so the peak is per size:
 *
 *   cmake --build build --target bench_pass
 *   for n in 10000 30000 100000; do
 *     python3 examples/sim/gen_estate.py --size $n --format jsonl > /tmp/estate-$n.jsonl
 *     build/bench_pass /tmp/estate-$n.jsonl [nspecs] [prices] [bare-repo]
 *   done
 *
 * The same estate as YAML (--format yaml) gives the same pass; only "sim
 * open" differs (libyaml's scanner alone needs ~1 s for 31 MB).  BENCH_DUMP=DIR
 * writes the status tree out, to compare two builds byte for byte.
 * BENCH_AGAIN=1 then runs the reconcilers once more with that tree as the
 * previous commit's status (every later pass reads it), after the TOTAL.
 *
 * With a bare repository (seeded like tests/integration/lib.sh seed_repo),
 * the status tree is also committed on its head and pushed (gitsync, in a
 * temporary state directory), so the git stages are timed too.
 *
 * Stages, in the pass's order of data (controller/pass/run.c without git,
 * the state store and notifications): sim open (estate parse) -> discover
 * -> sim close (run.c frees the provider after discovery) -> specs load -> prices -> rules + rightsizing -> anomalies ->
 * reconcilers (status tree + plan).  The specs are the demo repository's
 * (examples/demo-repo/finops) plus nspecs generated objects: half Budgets
 * (children of "company", scoped to one account or one team tag), half
 * Optimizations targeting discovered instances.  The Optimizations need
 * resource ids, so they are generated after discovery; the spec stage is
 * timed on its own either way.  CPU is user + system from getrusage.
 */
#include "controller/cloud/fc_cloud.h"
#include "controller/core/fc_error.h"
#include "controller/core/fc_util.h"
#include "controller/engines/fc_engines.h"
#include "controller/gitsync/fc_gitsync.h"
#include "controller/status/fc_status.h"
#include "reconcilers/fc_reconcilers.h"
#include "specs/fc_specs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define DEMO "examples/demo-repo/finops/"

static const char *const demo_files[] = {
    DEMO "accounts/prod.yaml",        DEMO "accounts/dev-and-data.yaml",
    DEMO "budgets/company.yaml",      DEMO "budgets/team-data.yaml",
    DEMO "budgets/team-platform.yaml", DEMO "policies/default.yaml",
    DEMO "schedule.yaml",
};

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* BENCH_DUMP=DIR: the status tree as files under DIR (DIR/status/..., DIR/proposals/...),
 * to compare two builds' output byte for byte. */
static int dump_tree(const fc_status_tree *st, const char *dir)
{
    char path[4096], cmd[4200];
    size_t i;
    snprintf(cmd, sizeof(cmd), "mkdir -p '%s/status/recommendations' '%s/status/budgets' "
             "'%s/status/optimizations' '%s/status/accounts' '%s/status/anomalies' "
             "'%s/status/schedules' '%s/status/policies' '%s/proposals'",
             dir, dir, dir, dir, dir, dir, dir, dir);
    if (system(cmd) != 0)
        return -1;
    for (i = 0; i < st->n; i++) {
        FILE *f;
        snprintf(path, sizeof(path), "%s/%s", dir, st->files[i].path);
        if (!(f = fopen(path, "wb")) || fwrite(st->files[i].data, 1, st->files[i].len, f) !=
                                            st->files[i].len) {
            fprintf(stderr, "bench_pass: cannot write %s\n", path);
            if (f)
                fclose(f);
            return -1;
        }
        fclose(f);
    }
    return 0;
}

static double peak_mib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *d = NULL;
    long n;
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (d = malloc((size_t)n + 1)) != NULL) {
        *len = fread(d, 1, (size_t)n, f);
        d[*len] = '\0';
    }
    fclose(f);
    return d;
}

static const char *const accounts[] = {"402918374651", "518273640192", "739104856213"};

/* nspecs generated objects, one per file like a real repository. */
static int gen_specs(fc_spec_file *files, char **bufs, size_t nspecs, const fc_inventory *inv)
{
    size_t i, ninst = 0, k = 0;
    const fc_resource **inst = calloc(inv->nresources + 1, sizeof(*inst));
    if (!inst)
        return -1;
    for (i = 0; i < inv->nresources; i++)
        if (inv->resources[i].type == FC_RES_EC2_INSTANCE)
            inst[ninst++] = &inv->resources[i];
    for (i = 0; i < nspecs; i++) {
        char path[128], body[1024];
        if (i % 2 == 0 || ninst == 0) {
            snprintf(path, sizeof(path), "finops/budgets/gen-%05zu.yaml", i);
            if (i % 4 == 0)
                snprintf(body, sizeof(body),
                         "apiVersion: finops.dev/v1alpha1\nkind: Budget\n"
                         "metadata: {name: gen-%05zu}\nspec:\n  amount: %zu\n"
                         "  period: monthly\n  parent: company\n"
                         "  scope: {accounts: [\"%s\"]}\n"
                         "  thresholds: [{percent: 80, type: actual}]\n",
                         i, 100 + i % 900, accounts[i % 3]);
            else
                snprintf(body, sizeof(body),
                         "apiVersion: finops.dev/v1alpha1\nkind: Budget\n"
                         "metadata: {name: gen-%05zu}\nspec:\n  amount: %zu\n"
                         "  period: monthly\n  parent: company\n"
                         "  scope: {tags: {team: t%zu}}\n"
                         "  thresholds: [{percent: 100, type: forecast}]\n",
                         i, 100 + i % 900, i % 50);
        } else {
            const fc_resource *r = inst[(k++ * 7919) % ninst];
            snprintf(path, sizeof(path), "finops/optimizations/gen-%05zu.yaml", i);
            snprintf(body, sizeof(body),
                     "apiVersion: finops.dev/v1alpha1\nkind: Optimization\n"
                     "metadata: {name: gen-%05zu}\nspec:\n"
                     "  target: {account: \"%s\", region: %s, resource: %s}\n"
                     "  action: stop\n  approval: {approvedBy: []}\n",
                     i, r->account, r->region, r->id);
        }
        bufs[i] = fc_strdup(body);
        files[i].path = fc_strdup(path);
        if (!bufs[i] || !files[i].path) {
            free(inst);
            return -1;
        }
        files[i].data = bufs[i];
        files[i].len = strlen(bufs[i]);
    }
    free(inst);
    return 0;
}

/* BENCH_AGAIN: a later pass reads each file's previous bytes (from git in
 * run.c; here from the first pass's tree). */
static int path_cmp(const void *key, const void *file)
{
    return strcmp(key, ((const fc_status_file *)file)->path);
}

/* The first tree, sorted by again(): a binary search,
 * as git's tree lookups are. */
static const fc_status_file *sorted_get(const fc_status_tree *t, const char *path)
{
    return bsearch(path, t->files, t->n, sizeof(*t->files), path_cmp);
}

static int prev_from_tree(void *payload, const char *path, fc_buf *out)
{
    const fc_status_file *f = sorted_get(payload, path);
    return f ? fc_buf_append(out, f->data, f->len)
             : fc_error_set(FC_ENOTFOUND, "%s: no previous status", path);
}

/* The second pass's reconcilers over the same inputs, the first pass's
 * status as the previous commit: it must write the same bytes. */
static int again(fc_pass *pass, fc_status_tree *first)
{
    fc_status_tree st2;
    fc_plan plan2;
    size_t i, same = 0;
    double t;
    int rc;

    fc_status_tree_init(&st2);
    fc_plan_init(&plan2);
    fc_status_tree_sort(first);
    pass->prev = prev_from_tree;
    pass->prev_payload = first;
    pass->status = &st2;
    pass->plan = &plan2;
    t = cpu_s();
    rc = fc_reconcile_all(pass);
    t = cpu_s() - t;
    if (rc == FC_OK) {
        for (i = 0; i < st2.n; i++) {
            const fc_status_file *f = sorted_get(first, st2.files[i].path);
            same += f && f->len == st2.files[i].len &&
                    memcmp(f->data, st2.files[i].data, f->len) == 0;
        }
        printf("  again, previous status present: reconcilers + status %.3f s CPU, "
               "peak %.1f MiB (both trees held); %zu of %zu files unchanged\n",
               t, peak_mib(), same, st2.n);
    }
    fc_plan_dispose(&plan2);
    fc_status_tree_dispose(&st2);
    return rc;
}

#define STAGE(label, expr)                                                   \
    do {                                                                     \
        double t_ = cpu_s();                                                 \
        if ((expr) != FC_OK) {                                               \
            fprintf(stderr, "bench_pass: %s: %s\n", label, fc_error_last()); \
            return 1;                                                        \
        }                                                                    \
        t_ = cpu_s() - t_;                                                   \
        total += t_;                                                         \
        printf("  %-22s %7.3f s CPU   peak %7.1f MiB\n", label, t_, peak_mib()); \
    } while (0)

int main(int argc, char **argv)
{
    const char *estate = argc > 1 ? argv[1] : "examples/sim/estate.yaml";
    size_t nspecs = argc > 2 ? (size_t)strtoul(argv[2], NULL, 10) : 10000;
    const char *pfile = argc > 3 ? argv[3] : "examples/prices/aws-price-list";
    size_t ndemo = FC_ARRAY_LEN(demo_files), nfiles = ndemo + nspecs, i, npoints = 0;
    size_t status_bytes = 0;
    fc_spec_file *files = calloc(nfiles, sizeof(*files));
    char **bufs = calloc(nfiles, sizeof(*bufs));
    fc_cloud *c = NULL;
    fc_spec_set *set = NULL;
    fc_price_table *prices = NULL;
    fc_sp_rates *sp = NULL;
    fc_inventory inv;
    fc_recommendation_list recs;
    fc_anomaly_list anoms;
    fc_status_tree st;
    fc_plan plan;
    fc_pass pass;
    fc_discovery_scope s;
    int64_t now;
    double total = 0, t0;

    if (!files || !bufs)
        return 1;
    fc_inventory_init(&inv);
    fc_recommendation_list_init(&recs);
    fc_anomaly_list_init(&anoms);
    fc_status_tree_init(&st);
    fc_plan_init(&plan);
    fc_time_parse("2026-11-20T12:00:00Z", &now);
    memset(&s, 0, sizeof(s));
    s.now = now;
    s.metric_days = 30; /* what run.c's metric_days_for picks for these specs */
    s.cost_days = 62;
    for (i = 0; i < ndemo; i++) {
        files[i].path = fc_strdup(demo_files[i] + strlen("examples/demo-repo/"));
        bufs[i] = slurp(demo_files[i], &files[i].len);
        files[i].data = bufs[i];
        if (!bufs[i]) {
            fprintf(stderr, "bench_pass: %s: run from the repository root\n", demo_files[i]);
            return 1;
        }
    }

    printf("%s, %zu generated specs\n", estate, nspecs);
    t0 = cpu_s();
    STAGE("sim open (estate)", fc_sim_open(&c, estate));
    STAGE("discover", fc_cloud_discover(c, &s, &inv));
    /* As run.c's discover(): the provider is closed once it has been read. */
    STAGE("sim close", (fc_cloud_free(c), c = NULL, FC_OK));
    STAGE("inventory index", fc_inventory_index(&inv));
    if (gen_specs(files + ndemo, bufs + ndemo, nspecs, &inv)) {
        fprintf(stderr, "bench_pass: out of memory\n");
        return 1;
    }
    STAGE("specs load", fc_specs_load(&set, files, nfiles));
    STAGE("prices", fc_prices_load(&prices, pfile) || fc_sp_rates_load_beside(&sp, pfile));
    STAGE("rules + rightsizing", fc_engine_recommend(&recs, &inv, set, prices));
    STAGE("anomalies", fc_engine_anomalies(&anoms, &inv, set, NULL, now));
    memset(&pass, 0, sizeof(pass));
    pass.now = now;
    pass.commit = "0000000000000000000000000000000000000000";
    pass.specs = set;
    pass.inv = &inv;
    pass.prices = prices;
    pass.recs = &recs;
    pass.sp_rates = sp;
    pass.anomalies = &anoms;
    pass.status = &st;
    pass.plan = &plan;
    STAGE("reconcilers + status", fc_reconcile_all(&pass));
    for (i = 0; i < inv.nmetrics; i++)
        npoints += inv.metrics[i].n;
    for (i = 0; i < st.n; i++)
        status_bytes += st.files[i].len;
    if (getenv("BENCH_DUMP") && dump_tree(&st, getenv("BENCH_DUMP")) != 0)
        return 1;
    if (argc > 4) {
        char tmpl[] = "/tmp/bench-pass-XXXXXX", head[FC_OID_HEX], out[FC_OID_HEX];
        fc_gitsync_opts go;
        fc_gitsync *g = NULL;
        int changed = 0;
        memset(&go, 0, sizeof(go));
        go.url = argv[4];
        go.state_dir = mkdtemp(tmpl);
        if (!go.state_dir) {
            fprintf(stderr, "bench_pass: mkdtemp failed\n");
            return 1;
        }
        STAGE("git fetch", fc_gitsync_open(&g, &go) || fc_gitsync_fetch(g, head));
        fc_status_tree_sort(&st);
        STAGE("status commit", fc_gitsync_commit_status(g, head, &st, "bench", now, out,
                                                        &changed));
        STAGE("push", fc_gitsync_push(g, out));
        fc_gitsync_free(g);
        printf("  git state in %s (remove by hand)\n", tmpl);
    }
    printf("  %zu resources, %zu series, %zu points, %zu objects (%zu invalid), "
           "%zu recommendations, %zu status files (%.1f MiB)\n",
           inv.nresources, inv.nmetrics, npoints, set->nobjects, set->nerrors, recs.n, st.n,
           (double)status_bytes / 1048576.0);
    printf("  TOTAL                  %7.3f s CPU   peak %7.1f MiB  (process CPU %.3f s)\n",
           total, peak_mib(), cpu_s() - t0);

    if (getenv("BENCH_AGAIN") && again(&pass, &st) != FC_OK) {
        fprintf(stderr, "bench_pass: again: %s\n", fc_error_last());
        return 1;
    }

    fc_plan_dispose(&plan);
    fc_status_tree_dispose(&st);
    fc_anomaly_list_dispose(&anoms);
    fc_recommendation_list_dispose(&recs);
    fc_spec_set_free(set);
    fc_sp_rates_free(sp);
    fc_prices_free(prices);
    fc_inventory_dispose(&inv);
    fc_cloud_free(c);
    for (i = 0; i < nfiles; i++) {
        free(bufs[i]);
        free((char *)files[i].path);
    }
    free(bufs);
    free(files);
    return 0;
}
