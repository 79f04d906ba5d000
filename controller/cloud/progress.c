/*
 * progress.c - discovery progress across providers (stage: discovery).
 *
 * Inputs: the pass's number of (account, region) scopes, the inventory
 * being filled, and reports from the driver (a provider finished) or from
 * a provider (fc_discovery_scope.progress).  Output: fc_log_progress()
 * lines or a terminal bar.  Owns nothing.
 */
#include "controller/cloud/fc_cloud.h"
#include "controller/core/fc_log.h"

#include <stdio.h>

void fc_discovery_progress_init(fc_discovery_progress *p, size_t total,
                                const fc_inventory *inv)
{
    p->total = total;
    p->base = 0;
    p->inv = inv;
}

static void show(const fc_discovery_progress *p, size_t done)
{
    char res[32], detail[96];
    if (done > p->total)
        done = p->total;
    fc_log_thousands(res, sizeof(res), (unsigned long long)p->inv->nresources);
    snprintf(detail, sizeof(detail), "%zu/%zu regions, %s resources", done, p->total, res);
    fc_log_progress("discovery", (double)done, (double)p->total, detail,
                    done >= p->total);
}

void fc_discovery_progress_report(void *payload, size_t scopes_done)
{
    fc_discovery_progress *p = payload;
    show(p, p->base + scopes_done);
}

void fc_discovery_progress_provider_done(fc_discovery_progress *p, size_t nscopes)
{
    p->base += nscopes;
    show(p, p->base);
}
