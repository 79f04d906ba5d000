/*
 * bench_aws.c - one aws provider discovery (fc_aws_open + fc_cloud_discover)
 * against an AWS-compatible endpoint, timed, for bench_aws_discovery.sh.
 * Not a ctest; built on demand:
 *
 *   cmake --build build --target bench_aws
 *   build/bench_aws --endpoint-url http://127.0.0.1:PORT --now 2026-11-20T12:00:00Z \
 *       [--metric-days N] [--cost-days N] [--regions r1,r2] ACCOUNT[:ROLE_ARN]...
 *
 * Stage: discovery only (no git, specs, engines or status), so the figure is
 * the provider's own: the same paginated describes and chained calls as a
 * plan pass, and with --metric-days 0 --cost-days 0 (the defaults) no
 * CloudWatch or Cost Explorer calls.  Credentials come from the standard
 * chain (AWS_ACCESS_KEY_ID, ...).  Output: one line on stdout with the
 * counts and the wall time; stale scopes on stderr.  Exit 1 when anything
 * went stale, so a benchmark never reports a partial discovery.
 */
#include "controller/cloud/fc_cloud.h"
#include "controller/core/fc_error.h"
#include "controller/core/fc_log.h"
#include "controller/core/fc_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_ACCOUNTS 16
#define MAX_REGIONS 32

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int usage(void)
{
    fprintf(stderr, "usage: bench_aws --endpoint-url URL [--now T] [--metric-days N] "
                    "[--cost-days N] [--regions r1,r2] [--connections N] "
                    "ACCOUNT[:ROLE_ARN]...\n");
    return 2;
}

int main(int argc, char **argv)
{
    const char *url = NULL, *now_s = "2026-11-20T12:00:00Z";
    char *regbuf = NULL, *accbuf[MAX_ACCOUNTS] = {0};
    const char *regions[MAX_REGIONS];
    fc_scope_account acc[MAX_ACCOUNTS];
    fc_discovery_scope sc;
    fc_aws_opts o;
    fc_inventory inv;
    fc_cloud *c = NULL;
    size_t nreg = 0, nacc = 0, i, npoints = 0;
    int a, rc = 2;
    double t0, t1;

    memset(&sc, 0, sizeof(sc));
    memset(&o, 0, sizeof(o));
    memset(acc, 0, sizeof(acc));
    fc_inventory_init(&inv);
    fc_log_configure(FC_LOG_WARN, 0);
    for (a = 1; a < argc; a++) {
        const char *v = a + 1 < argc ? argv[a + 1] : NULL;
        if (strcmp(argv[a], "--endpoint-url") == 0 && v)
            url = argv[++a];
        else if (strcmp(argv[a], "--now") == 0 && v)
            now_s = argv[++a];
        else if (strcmp(argv[a], "--metric-days") == 0 && v)
            sc.metric_days = atoi(argv[++a]);
        else if (strcmp(argv[a], "--cost-days") == 0 && v)
            sc.cost_days = atoi(argv[++a]);
        else if (strcmp(argv[a], "--connections") == 0 && v)
            o.max_connections = (unsigned)atoi(argv[++a]);
        else if (strcmp(argv[a], "--regions") == 0 && v && !regbuf) {
            char *p, *save = NULL;
            if (!(regbuf = fc_strdup(argv[++a])))
                goto done;
            for (p = strtok_r(regbuf, ",", &save); p && nreg < MAX_REGIONS;
                 p = strtok_r(NULL, ",", &save))
                regions[nreg++] = p;
        } else if (argv[a][0] != '-' && nacc < MAX_ACCOUNTS) {
            char *colon;
            if (!(accbuf[nacc] = fc_strdup(argv[a])))
                goto done;
            /* ACCOUNT:arn:aws:iam::...: the first colon ends the account. */
            if ((colon = strchr(accbuf[nacc], ':'))) {
                *colon = '\0';
                acc[nacc].role_arn = colon + 1;
            }
            acc[nacc].account = accbuf[nacc];
            nacc++;
        } else {
            rc = usage();
            goto done;
        }
    }
    if (!url || !nacc || fc_time_parse(now_s, &sc.now) != FC_OK) {
        rc = usage();
        goto done;
    }
    if (!nreg)
        regions[nreg++] = "us-east-1";
    for (i = 0; i < nacc; i++) {
        acc[i].regions = regions;
        acc[i].nregions = nreg;
    }
    sc.accounts = acc;
    sc.naccounts = nacc;
    o.endpoint_url = url;

    t0 = now_ms();
    if (fc_aws_open(&c, &o) != FC_OK || fc_cloud_discover(c, &sc, &inv) != FC_OK) {
        fprintf(stderr, "bench_aws: %s\n", fc_error_last());
        rc = 1;
        goto done;
    }
    t1 = now_ms();
    for (i = 0; i < inv.nmetrics; i++)
        npoints += inv.metrics[i].n;
    printf("bench_aws: %zu resources, %zu metric series (%zu points), %zu cost rows, "
           "%zu stale, %zu account(s) x %zu region(s), discovery %.0f ms\n",
           inv.nresources, inv.nmetrics, npoints, inv.ncosts, inv.nstale, nacc, nreg,
           t1 - t0);
    for (i = 0; i < inv.nstale; i++)
        fprintf(stderr, "bench_aws: stale %s %s %s: %s\n", inv.stale[i].account,
                inv.stale[i].region, inv.stale[i].service, inv.stale[i].error);
    rc = inv.nstale ? 1 : 0;
done:
    fc_cloud_free(c);
    fc_inventory_dispose(&inv);
    for (i = 0; i < MAX_ACCOUNTS; i++)
        free(accbuf[i]);
    free(regbuf);
    return rc;
}
