/*
 * check.c - `finops-controller check`: can a pass do its job?
 *
 * Inputs: the resolved run options (repo, credentials, provider, endpoints).
 * Output: a table on `out`, one row per probe: git fetch, git push rights
 * (fc_gitsync_probe_push: a scratch ref pushed and deleted), the specs at
 * the head, and for every Account spec its provider's credentials and one
 * read-only call per service and region (aws: fc_aws_check; sim: the
 * account is in the estate and each region is read).  Nothing is written
 * to the repository's branches, the state store or the cloud.
 */
#include "controller/cloud/fc_cloud.h"
#include "controller/config/fc_config.h"
#include "controller/core/fc_error.h"
#include "controller/gitsync/fc_gitsync.h"
#include "specs/fc_specs.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    FILE *out;
    size_t ok, failed;
} table;

static void row(table *t, const char *account, const char *region, const char *service,
                int ok, const char *detail)
{
    fprintf(t->out, "%-14s %-14s %-16s %-5s %s\n", account, region, service,
            ok ? "ok" : "ERROR", detail);
    if (ok)
        t->ok++;
    else
        t->failed++;
}

static void on_cloud(const fc_cloud_check *c, void *payload)
{
    row(payload, c->account, c->region, c->service, c->ok, c->detail);
}

/* sim: the account must be in the estate; each region is read once. */
static void check_sim(table *t, const fc_run_opts *o, const fc_account_spec *a, int64_t now)
{
    fc_cloud *cloud = NULL;
    fc_scope_account sa;
    fc_discovery_scope scope;
    fc_inventory inv;
    size_t i, r, nres = 0, ncost = 0;
    char detail[256];

    fc_inventory_init(&inv);
    memset(&sa, 0, sizeof(sa));
    memset(&scope, 0, sizeof(scope));
    sa.account = a->account_id;
    sa.role_arn = a->role_arn;
    sa.regions = (const char *const *)a->regions;
    sa.nregions = a->nregions;
    scope.accounts = &sa;
    scope.naccounts = 1;
    scope.now = now;
    scope.metric_days = 1;
    scope.cost_days = 1;
    if (fc_sim_open_with_state(&cloud, o->sim_file, o->state_dir) != FC_OK ||
        fc_cloud_discover(cloud, &scope, &inv) != FC_OK) {
        row(t, a->account_id, "-", "sim", 0, fc_error_last());
        goto done;
    }
    for (i = 0; i < inv.nresources; i++)
        nres += strcmp(inv.resources[i].account, a->account_id) == 0;
    for (i = 0; i < inv.ncosts; i++)
        ncost += strcmp(inv.costs[i].account, a->account_id) == 0;
    if (!nres && !ncost) {
        snprintf(detail, sizeof(detail), "account is not in the sim estate %s", o->sim_file);
        row(t, a->account_id, "-", "sim", 0, detail);
        goto done;
    }
    row(t, a->account_id, "-", "sim", 1, "ok");
    for (r = 0; r < a->nregions; r++) {
        size_t n = 0;
        for (i = 0; i < inv.nresources; i++)
            n += strcmp(inv.resources[i].account, a->account_id) == 0 &&
                 inv.resources[i].region && strcmp(inv.resources[i].region, a->regions[r]) == 0;
        if (fc_inventory_is_stale(&inv, a->account_id, a->regions[r])) {
            row(t, a->account_id, a->regions[r], "sim", 0, "region could not be read");
            continue;
        }
        snprintf(detail, sizeof(detail), "ok (%zu resources)", n);
        row(t, a->account_id, a->regions[r], "sim", 1, detail);
    }
done:
    fc_inventory_dispose(&inv);
    fc_cloud_free(cloud);
}

static int check_aws(table *t, const fc_run_opts *o, const fc_spec_set *set, int64_t now)
{
    fc_scope_account *accts = calloc(set->nobjects ? set->nobjects : 1, sizeof(*accts));
    fc_aws_opts ao;
    size_t i, n = 0;
    int rc;

    if (!accts)
        return fc_error_set(FC_ENOMEM, "check: out of memory");
    for (i = 0; i < set->nobjects; i++) {
        const fc_account_spec *a;
        if (set->objects[i].kind != FC_KIND_ACCOUNT)
            continue;
        a = set->objects[i].spec.account;
        if (strcmp(a->provider ? a->provider : o->provider ? o->provider : "sim", "aws"))
            continue;
        accts[n].account = a->account_id;
        accts[n].role_arn = a->role_arn;
        accts[n].regions = (const char *const *)a->regions;
        accts[n].nregions = a->nregions;
        n++;
    }
    memset(&ao, 0, sizeof(ao));
    ao.endpoint_url = o->endpoint_url;
    ao.service_endpoints = o->service_endpoints;
    ao.nservice_endpoints = o->nservice_endpoints;
    ao.seed = (uint64_t)now;
    rc = n ? fc_aws_check(&ao, accts, n, now, on_cloud, t) : FC_OK;
    free(accts);
    return rc;
}

int fc_check_command(const fc_run_opts *o, FILE *out)
{
    fc_gitsync_opts go;
    fc_gitsync *git = NULL;
    fc_file_list files;
    fc_spec_set *set = NULL;
    char head[FC_OID_HEX];
    char detail[512];
    table t = {out, 0, 0};
    int64_t now = o->now ? o->now : (int64_t)time(NULL);
    size_t i, naccounts = 0;

    memset(&files, 0, sizeof(files));
    memset(&go, 0, sizeof(go));
    go.url = o->repo;
    go.branch = o->branch;
    go.state_dir = o->state_dir;
    go.author_name = o->author_name;
    go.author_email = o->author_email;
    go.token_file = o->git_token_file;
    go.ssh_key = o->git_ssh_key;
    go.ssh_key_passphrase_file = o->git_ssh_key_passphrase_file;
    go.known_hosts = o->git_known_hosts;
    fprintf(out, "%-14s %-14s %-16s %-5s %s\n", "ACCOUNT", "REGION", "SERVICE", "RESULT",
            "DETAIL");
    if (fc_gitsync_open(&git, &go) != FC_OK) {
        row(&t, "git", "-", "open", 0, fc_error_last());
        goto done;
    }
    if (fc_gitsync_fetch(git, head) != FC_OK) {
        row(&t, "git", "-", "fetch", 0, fc_error_last());
        row(&t, "git", "-", "push", 0, "not tried: the fetch failed");
        goto done;
    }
    snprintf(detail, sizeof(detail), "ok (%s at %.12s)", o->branch ? o->branch : "main",
             head);
    row(&t, "git", "-", "fetch", 1, detail);
    if (fc_gitsync_probe_push(git) != FC_OK)
        row(&t, "git", "-", "push", 0, fc_error_last());
    else
        row(&t, "git", "-", "push", 1, "ok (refs/finops-controller/check pushed, deleted)");
    if (fc_gitsync_read_specs(git, head, o->path ? o->path : "", &files) != FC_OK ||
        fc_specs_load(&set, files.files, files.n) != FC_OK) {
        row(&t, "specs", "-", "load", 0, fc_error_last());
        goto done;
    }
    for (i = 0; i < set->nobjects; i++)
        naccounts += set->objects[i].kind == FC_KIND_ACCOUNT;
    snprintf(detail, sizeof(detail), "%zu files, %zu objects, %zu Accounts, %zu not loaded%s",
             files.n, set->nobjects, naccounts, set->nerrors,
             set->nerrors ? " (see validate)" : "");
    /* informational: invalid specs are reported in status, not a broken setup
     * (approvers.yaml, which the pass reads apart, counts as one here) */
    row(&t, "specs", "-", "load", 1, detail);
    for (i = 0; i < set->nobjects; i++) {
        const fc_account_spec *a;
        if (set->objects[i].kind != FC_KIND_ACCOUNT)
            continue;
        a = set->objects[i].spec.account;
        if (strcmp(a->provider ? a->provider : o->provider ? o->provider : "sim", "sim") == 0)
            check_sim(&t, o, a, now);
    }
    if (check_aws(&t, o, set, now) != FC_OK)
        row(&t, "aws", "-", "check", 0, fc_error_last());
done:
    fprintf(out, "\n%zu ok, %zu failed\n", t.ok, t.failed);
    fc_spec_set_free(set);
    fc_file_list_dispose(&files);
    fc_gitsync_free(git);
    return t.failed ? 1 : 0;
}
