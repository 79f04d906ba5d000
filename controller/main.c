/*
 * main.c - the finops-controller command line: parses flags and FINOPS_*
 * environment variables (flags win), then runs passes through fc_run_pass().
 *
 * Subcommands: run (default: a pass every --interval), reconcile --once,
 * plan, validate.  Dry-run is the only mode in this build: nothing is ever
 * executed against a cloud.
 */
#include "controller/config/fc_config.h"
#include "controller/core/fc_error.h"
#include "controller/core/fc_log.h"
#include "controller/core/secure.h"
#include "controller/http/fc_http.h"
#include "controller/ingest/fc_ingest.h"
#include "controller/pass/fc_run.h"
#include "controller/report/fc_report.h"
#include "controller/sched/fc_loop.h"
#include "controller/shard/fc_shard.h"
#include "specs/fc_crdgen.h"

#include <ctype.h>
#include <getopt.h>
#include <git2/global.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { EXIT_PASS_FAILED = 1, EXIT_USAGE = 2, EXIT_INVALID_SPECS = 3 };

/* Per-service endpoint settings: endpoints.<service> in controller/config. */
static const char *const endpoint_services[] = {"ec2", "elbv2", "rds", "lambda",
                                                "s3",  "cloudwatch", "sts", "ce"};
#define N_ENDPOINT_SERVICES (sizeof(endpoint_services) / sizeof(endpoint_services[0]))

static volatile sig_atomic_t reload_requested; /* SIGHUP: re-read --config */

/* One-shot commands finish the pass in flight (journal, status commit) on
 * the first SIGTERM/SIGINT; a second one kills.  `run` replaces this with
 * the scheduler's handler. */
static void on_signal(int sig)
{
    struct sigaction dfl;
    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    sigaction(sig, &dfl, NULL);
}

static void on_hup(int sig)
{
    (void)sig;
    reload_requested = 1;
}

static const char exit_codes[] =
    "Exit codes:\n"
    "  0  success (invalid specs are reported in status, not as failure)\n"
    "  1  the pass failed (git, provider, prices or i/o error)\n"
    "  2  usage error\n"
    "  3  validate found invalid specs\n"
    "run: 0 after SIGTERM/SIGINT once the pass in flight has committed its status;\n"
    "  1 when a second signal or --grace-period (30s) cut that pass short (the\n"
    "  state store and the journal make this safe), or when the last pass of\n"
    "  --max-passes failed; 2 for an unusable --listen or secret file.\n";

static void usage(FILE *f, const char *cmd)
{
    if (!cmd || strcmp(cmd, "run") == 0) {
        fprintf(f, "Usage: finops-controller [run] --repo URL|PATH [flags]\n"
                   "       finops-controller reconcile --once --repo URL|PATH\n"
                   "       finops-controller plan --repo URL|PATH\n"
                   "       finops-controller validate --repo URL|PATH\n"
                   "       finops-controller config [--config FILE] [flags]\n"
                   "       finops-controller check --repo URL|PATH [flags]\n"
                   "       finops-controller rollback ID --repo URL|PATH [--live]\n"
                   "       finops-controller report [KIND] [--out DIR] --repo URL|PATH\n"
                   "       finops-controller ingest [--state-dir DIR] FILE...\n"
                   "       finops-controller ctl [--server URL] [--token-file F] status|tasks|\n"
                   "                             run TASK|enable TASK|disable TASK\n"
                   "       finops-controller --version\n\n"
                   "GitOps FinOps controller: reads Budget, Policy, Optimization, Account\n"
                   "and Schedule specs from git, observes the cloud, and commits status.\n\n"
                   "run: the scheduler, until SIGTERM/SIGINT: tasks sync (every --interval),\n"
                   "  discovery (Schedule discoveryInterval), optimization (daily\n"
                   "  optimizationTime; with --live the only pass that executes), report\n"
                   "  (weekly) and the Schedule's cron entries, in its timezone; one pass at\n"
                   "  a time. POST /hooks/git (--webhook-secret-file) syncs now; the task API\n"
                   "  (--api-token-file) serves `ctl`.\n"
                   "  --interval DURATION  30s, 5m, 1h (FINOPS_INTERVAL; default the Schedule\n"
                   "                       spec's interval, else 5m)\n"
                   "  --max-passes N       stop after N passes (0 = no limit)\n"
                   "  --listen HOST:PORT   serve /healthz, /readyz, /metrics and read-only\n"
                   "                       /api/v1/ (FINOPS_LISTEN, default 127.0.0.1:8080)\n");
    } else if (strcmp(cmd, "reconcile") == 0) {
        fprintf(f, "Usage: finops-controller reconcile --once --repo URL|PATH [flags]\n\n"
                   "Runs one pass: sync, validate, discover, evaluate, reconcile, then\n"
                   "commits status/ and pushes it. No new commit when nothing changed.\n"
                   "A pass is skipped before discovery when the remote head and the specs\n"
                   "are those of the last pass and the Schedule's discoveryInterval (1h)\n"
                   "has not passed; --force runs every stage anyway.\n");
    } else if (strcmp(cmd, "plan") == 0) {
        fprintf(f, "Usage: finops-controller plan --repo URL|PATH [flags]\n\n"
                   "Runs a pass without writing: prints planned actions, recommendations\n"
                   "and the status files that would change, then exits.\n");
    } else if (strcmp(cmd, "validate") == 0) {
        fprintf(f, "Usage: finops-controller validate --repo URL|PATH [flags]\n\n"
                   "Loads the specs at the branch head and prints every error as\n"
                   "file:line: field: message. Exits 3 when any spec is invalid.\n");
    } else if (strcmp(cmd, "rollback") == 0) {
        fprintf(f, "Usage: finops-controller rollback ID --repo URL|PATH [--live] [flags]\n\n"
                   "Runs one pass that undoes execution ID (status/executions/ID.yaml)\n"
                   "with its recorded inverse steps and commits the rollback record.\n"
                   "Without --live it only shows what it would do.\n");
    } else if (strcmp(cmd, "report") == 0) {
        fprintf(f, "Usage: finops-controller report [discovery|optimization|anomaly|budget|all]\n"
                   "       [--out DIR] --repo URL|PATH [flags]\n\n"
                   "Runs a pass like plan (no commit, no push, no state written) and writes\n"
                   "the report (default all: latest.md) and its SVG charts (charts/) to\n"
                   "--out DIR (default ./finops-report).\n");
    } else if (strcmp(cmd, "config") == 0) {
        fprintf(f, "Usage: finops-controller config [--config FILE] [flags]\n\n"
                   "Prints every setting's effective value and its source (flag, env,\n"
                   "file:line or default); secret values show as <redacted>.\n");
    } else if (strcmp(cmd, "check") == 0) {
        fprintf(f, "Usage: finops-controller check --repo URL|PATH [flags]\n\n"
                   "Tests what a pass needs and prints a table of what works: git fetch of\n"
                   "the branch; push rights, by pushing the fetched head to the scratch ref\n"
                   "refs/finops-controller/check and deleting it (nothing else changes);\n"
                   "for every Account spec its credentials (aws: sts GetCallerIdentity,\n"
                   "AssumeRole into roleArn; sim: the account is in the estate) and, per\n"
                   "region, one read-only call per service (ec2, elbv2, rds, lambda, s3,\n"
                   "cloudwatch, ce). Exits 0 when everything works, 1 otherwise.\n");
    }
    fprintf(f, "\nFlags (each also a FINOPS_* variable and a config file key; flags beat\n"
               "the environment, which beats the --config file, which beats defaults):\n");
    fc_config_print_flags(f);
    fprintf(f, "\n%s", exit_codes);
}

/* `report --out DIR`: its own flag, taken out of argv before the shared
 * flags are parsed.  -1 when --out has no value. */
static int take_report_out(int *argc, char **argv, fc_run_opts *o)
{
    int i, j;
    for (i = 1; i < *argc; i++) {
        int take;
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strncmp(argv[i], "--out=", 6) == 0) {
            o->report_out = argv[i] + 6;
            take = 1;
        } else if (strcmp(argv[i], "--out") == 0) {
            if (i + 1 >= *argc)
                return -1;
            o->report_out = argv[i + 1];
            take = 2;
        } else {
            continue;
        }
        for (j = i; j + take <= *argc; j++)
            argv[j] = argv[j + take];
        *argc -= take;
        i--;
    }
    return 0;
}

/* The resolved config; freed at exit (atexit) so every return path is clean. */
static fc_config *config;

static void free_config(void)
{
    fc_config_free(config);
    config = NULL;
}

/* Fills o (and the loop's interval and pass limit) from the resolved config;
 * the strings stay owned by config. */
static void apply_config(fc_run_opts *o, const char **interval, long *max_passes)
{
    static const char *svc_list[N_ENDPOINT_SERVICES];
    static char svc_buf[N_ENDPOINT_SERVICES][2048];
    const char *level = fc_config_get(config, "log.level");
    size_t i;

    o->repo = fc_config_get(config, "repo");
    o->branch = fc_config_get(config, "branch");
    o->path = fc_config_get(config, "path");
    o->state_dir = fc_config_get(config, "stateDir");
    o->sim_file = fc_config_get(config, "simFile");
    o->prices_file = fc_config_get(config, "prices");
    o->push_retries = 5;
    o->provider = fc_config_get(config, "provider");
    o->run_retention = fc_config_get(config, "runRetention");
    o->endpoint_url = fc_config_get(config, "endpointUrl");
    o->nservice_endpoints = 0;
    for (i = 0; i < N_ENDPOINT_SERVICES; i++) {
        char key[64];
        const char *v;
        snprintf(key, sizeof(key), "endpoints.%s", endpoint_services[i]);
        if (!(v = fc_config_get(config, key)))
            continue;
        snprintf(svc_buf[o->nservice_endpoints], sizeof(svc_buf[0]), "%s=%s",
                 endpoint_services[i], v);
        svc_list[o->nservice_endpoints] = svc_buf[o->nservice_endpoints];
        o->nservice_endpoints++;
    }
    o->service_endpoints = svc_list;
    o->author_name = fc_config_get(config, "git.authorName");
    o->author_email = fc_config_get(config, "git.authorEmail");
    o->git_token_file = fc_config_get(config, "git.tokenFile");
    o->git_ssh_key = fc_config_get(config, "git.sshKey");
    o->git_ssh_key_passphrase_file = fc_config_get(config, "git.sshKeyPassphraseFile");
    o->git_known_hosts = fc_config_get(config, "git.knownHosts");
    o->live = fc_config_bool(config, "live");
    o->verify_signatures = fc_config_bool(config, "verifySignatures");
    o->force = fc_config_bool(config, "force");
    o->forge = fc_config_get(config, "forge.kind");
    o->forge_url = fc_config_get(config, "forge.url");
    o->forge_project = fc_config_get(config, "forge.project");
    o->forge_token_file = fc_config_get(config, "forge.tokenFile");
    o->forge_min_saving = (double)fc_config_long(config, "forge.minSaving");
    o->forge_max_wait = fc_config_long(config, "forge.maxWait");
    o->status_branch = fc_config_get(config, "statusBranch");
    o->commit_trailers = fc_config_get(config, "commitTrailer");
    o->sign_commits = fc_sign_format_parse(fc_config_get(config, "signCommits"));
    o->signing_key = fc_config_get(config, "signingKey");
    o->signing_passphrase_file = fc_config_get(config, "signingPassphraseFile");
    o->commit_status = fc_config_bool(config, "forge.commitStatus");
    o->now = 0;
    if (fc_config_get(config, "now")) /* validated by the config layer */
        fc_time_parse(fc_config_get(config, "now"), &o->now);
    *interval = fc_config_get(config, "interval");
    *max_passes = fc_config_long(config, "maxPasses");
    fc_log_set_progress_interval(fc_config_long(config, "log.progressInterval"));
    fc_log_configure(strcmp(level, "debug") == 0   ? FC_LOG_DEBUG
                     : strcmp(level, "warn") == 0  ? FC_LOG_WARN
                     : strcmp(level, "error") == 0 ? FC_LOG_ERROR
                                                   : FC_LOG_INFO,
                     strcmp(fc_config_get(config, "log.format"), "json") == 0);
}

/* SIGHUP, between passes: an invalid file is refused with its key named and
 * the running config kept; --listen needs a restart (the socket is bound). */
static void reload_config(fc_run_opts *o, const char **interval, long *max_passes)
{
    fc_run_opts keep = *o;
    reload_requested = 0;
    if (fc_config_reload(config, NULL) != FC_OK) {
        fc_err("config: reload refused, keeping the running config: %s", fc_error_last());
        return;
    }
    apply_config(o, interval, max_passes);
    o->force = keep.force; /* per command, not configuration */
    o->mode = keep.mode;
    o->rollback_id = keep.rollback_id;
}

/* The scheduler calls this while idle: SIGHUP reloads between passes. */
static void between_passes(fc_run_opts *o, const char **interval, long *max_passes)
{
    if (reload_requested)
        reload_config(o, interval, max_passes);
}

int main(int argc, char **argv)
{
    fc_run_opts o;
    fc_run_result res;
    const char *cmd = "run";
    const char *interval = NULL;
    const char *listen_addr = NULL;
    fc_shard_mgr *shards = NULL;
    long max_passes = 0;
    struct timespec t0, t1;
    int rc, exit_code = 0;
    struct sigaction sa;

    fc_secure_harden(argc, argv); /* umask 077, no core dumps: before any secret */
    memset(&o, 0, sizeof(o));
    if (argc > 1 && argv[1][0] != '-') {
        cmd = argv[1];
        /* ingest has its own flags and exit codes (its --help lists them). */
        if (strcmp(cmd, "ingest") == 0)
            return fc_ingest_command(argc - 1, argv + 1, NULL);
        if (strcmp(cmd, "ctl") == 0) return fc_ctl_command(argc - 1, argv + 1);
        if (strcmp(cmd, "crds") == 0) return fc_crdgen_command(argc - 1, argv + 1);
        if (strcmp(cmd, "status") == 0) return fc_status_command(argc - 1, argv + 1);
        if (strcmp(cmd, "run") != 0 && strcmp(cmd, "reconcile") != 0 &&
            strcmp(cmd, "plan") != 0 && strcmp(cmd, "rollback") != 0 &&
            strcmp(cmd, "validate") != 0 && strcmp(cmd, "config") != 0 &&
            strcmp(cmd, "check") != 0 && strcmp(cmd, "report") != 0) {
            fprintf(stderr, "finops-controller: unknown command '%s'\n\n", cmd);
            usage(stderr, NULL);
            return EXIT_USAGE;
        }
        argv++;
        argc--;
    }
    if (strcmp(cmd, "report") == 0 && take_report_out(&argc, argv, &o) != 0) {
        fprintf(stderr, "finops-controller: --out needs a folder\n");
        return EXIT_USAGE;
    }
    /* flags > FINOPS_* environment > --config file > defaults
     * (controller/config); getopt leaves optind at the first argument. */
    atexit(free_config);
    if (fc_config_parse(&config, argc, argv, NULL) != FC_OK) {
        fprintf(stderr, "finops-controller: %s\n(see finops-controller %s --help)\n",
                fc_error_last(), cmd);
        return EXIT_USAGE;
    }
    if (fc_config_bool(config, "version")) {
        printf("finops-controller %s\n", FC_VERSION);
        return 0;
    }
    if (fc_config_bool(config, "help")) {
        usage(stdout, cmd);
        return 0;
    }
    apply_config(&o, &interval, &max_passes);
    listen_addr = fc_config_get(config, "listen");
    if (strcmp(cmd, "config") == 0) {
        fc_config_print(config, stdout);
        return 0;
    }
    if (strcmp(cmd, "rollback") == 0) { /* one positional: the execution id */
        if (optind >= argc) {
            fprintf(stderr, "finops-controller: rollback needs an execution ID\n\n");
            usage(stderr, cmd);
            return EXIT_USAGE;
        }
        o.rollback_id = argv[optind++];
        o.force = 1; /* never skipped on the pass memo */
    }
    if (strcmp(cmd, "report") == 0 && optind < argc) { /* optional: the kind */
        o.report_kind = argv[optind++];
        if (fc_report_kind_parse(o.report_kind) < 0) {
            fprintf(stderr, "finops-controller: report: unknown kind '%s'\n\n", o.report_kind);
            usage(stderr, cmd);
            return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "finops-controller: unexpected argument '%s'\n", argv[optind]);
        return EXIT_USAGE;
    }
    if (!o.repo) {
        fprintf(stderr, "finops-controller: --repo is required\n\n");
        usage(stderr, cmd);
        return EXIT_USAGE;
    }
    if (strcmp(cmd, "check") == 0) {
        git_libgit2_init();
        rc = fc_check_command(&o, stdout);
        git_libgit2_shutdown();
        return rc;
    }
    o.mode = strcmp(cmd, "plan") == 0       ? FC_RUN_PLAN
             : strcmp(cmd, "validate") == 0 ? FC_RUN_VALIDATE
             : strcmp(cmd, "report") == 0   ? FC_RUN_REPORT
                                            : FC_RUN_RECONCILE;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_hup;
    sigaction(SIGHUP, &sa, NULL);
    /* --shards > 1: hold this replica's shard Leases (controller/shard). */
    if (o.mode == FC_RUN_RECONCILE &&
        (rc = fc_shard_start_config(&shards, config, o.live)) != FC_OK) {
        fprintf(stderr, "finops-controller: %s\n", fc_error_last());
        return rc == FC_EINVALID ? EXIT_USAGE : EXIT_PASS_FAILED;
    }
    o.shards = shards;
    if (strcmp(cmd, "run") == 0) { /* scheduler, HTTP, signals: controller/sched */
        fc_loop_opts lo;
        fc_loop_opts_init(&lo);
        lo.interval = interval;
        lo.max_passes = max_passes;
        lo.listen = listen_addr;
        lo.webhook_secret_file = fc_config_get(config, "webhookSecretFile");
        lo.api_token_file = fc_config_get(config, "apiTokenFile");
        lo.grace_period = fc_config_long(config, "gracePeriod");
        lo.between_passes = between_passes;
        rc = fc_loop_run(&o, &lo);
        fc_shard_stop(shards); /* releases the Leases: others need not wait */
        return rc;
    }
    /* One pass: reconcile --once, plan, validate, report, rollback.
     * libgit2 loads the system CA bundle on init (~15 ms). */
    git_libgit2_init();
    clock_gettime(CLOCK_MONOTONIC, &t0);
    rc = fc_run_pass(&o, &res);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rc != FC_OK) {
        fc_err("pass failed: %s (%s)", fc_error_last(), fc_code_name(rc));
        exit_code = EXIT_PASS_FAILED;
    } else {
        if (o.mode == FC_RUN_VALIDATE && res.nerrors)
            exit_code = EXIT_INVALID_SPECS;
        if (o.mode == FC_RUN_RECONCILE)
            fc_info("pass done in %.3f s: %zu resources, %zu recommendations "
                    "(%.2f/month), %zu planned, %zu spec errors, %s",
                    (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
                    res.nresources, res.nrecommendations, res.monthly_saving, res.nplanned,
                    res.nerrors,
                    res.committed ? "status committed" : res.skipped ? "nothing due" : "no change");
    }
    fc_shard_stop(shards);
    git_libgit2_shutdown();
    return exit_code;
}
