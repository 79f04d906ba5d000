/*
 * bench_engines.c - times sim discovery, every waste rule and rightsizing
 * (fc_engine_recommend) and a budget evaluation over an estate, and
 * reports the peak resident memory.  Not a ctest; build and run by hand:
 *
 *   cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -I. tests/bench/bench_engines.c \
 *      build/libfc.a $(pkg-config --libs libgit2 libcurl yaml-0.1 libcyaml \
 *      json-c libxml-2.0 sqlite3 zlib) -lm -o /tmp/bench_engines
 *   /tmp/bench_engines [estate.yaml] [prices file or dir] [iterations]
 *
 * Larger estates come from the generator (one process per size, so the
 * peak memory is per size):
 *
 *   for n in 10000 30000 100000; do
 *     python3 examples/sim/gen_estate.py --size $n > /tmp/estate-$n.yaml
 *     /tmp/bench_engines /tmp/estate-$n.yaml examples/prices/aws-price-list 3
 *   done
 */
#include "controller/cloud/fc_cloud.h"
#include "controller/core/fc_error.h"
#include "controller/core/fc_util.h"
#include "controller/engines/fc_engines.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
    const char *estate = argc > 1 ? argv[1] : "examples/sim/estate.yaml";
    const char *pfile = argc > 2 ? argv[2] : "examples/prices/aws-price-list";
    int iters = argc > 3 ? atoi(argv[3]) : 50;
    fc_cloud *c = NULL;
    fc_price_table *p = NULL;
    fc_discovery_scope s;
    fc_budget_spec b;
    fc_object o;
    double t0, t_open, t_disc = 0, t_rules = 0, t_budget = 0, saving = 0;
    size_t nres = 0, npoints = 0, nrec = 0, i;
    int k;

    t0 = now_ms();
    if (fc_sim_open(&c, estate) || fc_prices_load(&p, pfile)) {
        fprintf(stderr, "bench: %s\n", fc_error_last());
        return 1;
    }
    t_open = now_ms() - t0;
    memset(&s, 0, sizeof(s));
    fc_time_parse("2026-11-20T12:00:00Z", &s.now);
    s.metric_days = 14;
    s.cost_days = 90;
    memset(&b, 0, sizeof(b));
    b.amount = 10000;
    memset(&o, 0, sizeof(o));
    o.kind = FC_KIND_BUDGET;
    o.metadata.name = "bench";
    o.spec.budget = &b;

    for (k = 0; k < iters; k++) {
        fc_inventory inv;
        fc_recommendation_list l;
        fc_budget_eval e;

        fc_inventory_init(&inv);
        fc_recommendation_list_init(&l);
        t0 = now_ms();
        if (fc_cloud_discover(c, &s, &inv)) {
            fprintf(stderr, "bench: %s\n", fc_error_last());
            return 1;
        }
        t_disc += now_ms() - t0;
        t0 = now_ms();
        if (fc_engine_recommend(&l, &inv, NULL, p)) {
            fprintf(stderr, "bench: %s\n", fc_error_last());
            return 1;
        }
        t_rules += now_ms() - t0;
        t0 = now_ms();
        if (fc_engine_budget(&e, &o, &inv, s.now)) {
            fprintf(stderr, "bench: %s\n", fc_error_last());
            return 1;
        }
        t_budget += now_ms() - t0;
        nres = inv.nresources;
        for (i = 0, npoints = 0; i < inv.nmetrics; i++)
            npoints += inv.metrics[i].n;
        nrec = l.n;
        for (i = 0, saving = 0; i < l.n; i++)
            saving += l.items[i].monthly_saving;
        fc_budget_eval_dispose(&e);
        fc_recommendation_list_dispose(&l);
        fc_inventory_dispose(&inv);
    }
    printf("open (estate + prices)  %8.3f ms\n", t_open);
    printf("discover                %8.3f ms/iter  (%zu resources, %zu points)\n",
           t_disc / iters, nres, npoints);
    printf("recommend               %8.3f ms/iter  (%zu recommendations, "
           "%.2f USD/month)\n",
           t_rules / iters, nrec, saving);
    printf("budget                  %8.3f ms/iter\n", t_budget / iters);
    {
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        printf("peak RSS                %8.1f MiB\n", (double)ru.ru_maxrss / 1024.0);
    }
    fc_prices_free(p);
    fc_cloud_free(c);
    return 0;
}
