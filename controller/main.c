/*
 * main.c - the finops-controller command line: parses flags and FINOPS_*
 * environment variables (flags win), then runs passes through fc_run_pass().
 *
 * Subcommands: run (default: a pass every --interval), reconcile --once,
 * plan, validate.  Dry-run is the only mode in this build: nothing is ever
 * executed against a cloud.
 */
#include "controller/core/fc_error.h"
#include "controller/core/fc_log.h"
#include "controller/http/fc_http.h"
#include "controller/ingest/fc_ingest.h"
#include "controller/pass/fc_run.h"

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

/* getopt codes of long-only flags, past any char */
enum {
    OPT_GIT_TOKEN_FILE = 0x4100,
    OPT_GIT_SSH_KEY,
    OPT_GIT_SSH_PASSPHRASE,
    OPT_GIT_KNOWN_HOSTS,
    OPT_VERIFY_SIGNATURES,
    OPT_GIT_AUTHOR_NAME,
    OPT_GIT_AUTHOR_EMAIL,
    OPT_FORCE,
    OPT_LIVE
};

/* HTTP server of `run` (controller/http). */
enum { OPT_LISTEN = 0x4300 };

/* Provider flags: --provider, --endpoint-url, --endpoint-url-<service>. */
enum { OPT_PROVIDER = 0x4200, OPT_ENDPOINT_URL, OPT_ENDPOINT_SVC };
static const char *const endpoint_services[] = {"ec2", "elbv2", "rds", "lambda",
                                                "s3",  "cloudwatch", "sts", "ce"};
#define N_ENDPOINT_SERVICES (sizeof(endpoint_services) / sizeof(endpoint_services[0]))

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static const char exit_codes[] =
    "Exit codes:\n"
    "  0  success (invalid specs are reported in status, not as failure)\n"
    "  1  the pass failed (git, provider, prices or i/o error)\n"
    "  2  usage error\n"
    "  3  validate found invalid specs\n";

static const char common_flags[] =
    "  --repo URL|PATH      git repository holding the specs (FINOPS_REPO)\n"
    "  --branch NAME        tracked branch (FINOPS_BRANCH, default main)\n"
    "  --path DIR           spec root inside the repo (FINOPS_PATH, default root)\n"
    "  --state-dir DIR      controller state and clone (FINOPS_STATE_DIR, default\n"
    "                       $XDG_STATE_HOME/finops-controller or ./.finops-state)\n"
    "  --sim-file FILE      estate of the sim cloud (FINOPS_SIM_FILE, default\n"
    "                       examples/sim/estate.yaml)\n"
    "  --prices PATH        price catalogue: AWS Price List CSV offer files or\n"
    "                       YAML, a file or a directory (FINOPS_PRICES, default\n"
    "                       examples/prices/aws-price-list)\n"
    "  --provider sim|aws   provider of Account specs without `provider:`\n"
    "                       (FINOPS_PROVIDER, default sim)\n"
    "  --endpoint-url URL   aws: one endpoint for every service, e.g. a local\n"
    "                       AWS-compatible server (FINOPS_ENDPOINT_URL)\n"
    "  --endpoint-url-SERVICE URL  aws: per service, SERVICE one of ec2, elbv2,\n"
    "                       rds, lambda, s3, cloudwatch, sts, ce\n"
    "                       (FINOPS_ENDPOINT_URL_<SERVICE>, e.g. _EC2); aws\n"
    "                       credentials come from the standard chain (AWS_*)\n"
    "  --now TIME           pass clock, YYYY-MM-DDTHH:MM:SSZ (FINOPS_NOW; default\n"
    "                       the wall clock); same inputs + clock = same status\n"
    "  --git-token-file FILE  https token, re-read each pass (FINOPS_GIT_TOKEN_FILE;\n"
    "                       else FINOPS_GIT_TOKEN); sent as basic auth, user from\n"
    "                       the URL or x-access-token\n"
    "  --git-ssh-key FILE   ssh private key (FINOPS_GIT_SSH_KEY; else ssh-agent)\n"
    "  --git-ssh-key-passphrase-file FILE  its passphrase\n"
    "                       (FINOPS_GIT_SSH_KEY_PASSPHRASE_FILE)\n"
    "  --git-known-hosts FILE  ssh host keys (FINOPS_GIT_KNOWN_HOSTS, default\n"
    "                       ~/.ssh/known_hosts); unknown or changed keys are refused\n"
    "  --git-author-name NAME, --git-author-email EMAIL  identity of status commits\n"
    "                       (FINOPS_GIT_AUTHOR_NAME/_EMAIL, default finops-controller\n"
    "                       <finops-controller@localhost>)\n"
    "  --verify-signatures  approving commits must be signed by a key listed in\n"
    "                       approvers.yaml (FINOPS_VERIFY_SIGNATURES=1)\n"
    "  --live               run and reconcile: execute approved Optimizations inside\n"
    "                       their window, journal first (FINOPS_LIVE=1); default is a\n"
    "                       dry run that changes nothing in the cloud\n"
    "  --log-level LEVEL    debug|info|warn|error (FINOPS_LOG_LEVEL, default info)\n"
    "  --log-format FORMAT  text|json (FINOPS_LOG_FORMAT, default text)\n"
    "  -h, --help           this help\n";

static void usage(FILE *f, const char *cmd)
{
    if (!cmd || strcmp(cmd, "run") == 0) {
        fprintf(f, "Usage: finops-controller [run] --repo URL|PATH [flags]\n"
                   "       finops-controller reconcile --once --repo URL|PATH\n"
                   "       finops-controller plan --repo URL|PATH\n"
                   "       finops-controller validate --repo URL|PATH\n"
                   "       finops-controller ingest [--state-dir DIR] FILE...\n"
                   "       finops-controller --version\n\n"
                   "GitOps FinOps controller: reads Budget, Policy, Optimization, Account\n"
                   "and Schedule specs from git, observes the cloud, and commits status.\n\n"
                   "run: reconcile every --interval until SIGTERM/SIGINT.\n"
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
    }
    fprintf(f, "\nFlags:\n%s\n%s", common_flags, exit_codes);
}

static const char *env_or(const char *name, const char *dflt)
{
    const char *v = getenv(name);
    return v && *v ? v : dflt;
}

static int file_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

/* A shipped data file: relative to the working directory, else installed. */
static const char *data_file(const char *rel, char *buf, size_t size)
{
    if (file_exists(rel))
        return rel;
    snprintf(buf, size, "%s/%s", FC_DATADIR, rel + strlen("examples/"));
    return buf;
}

static void sleep_interruptible(long seconds)
{
    struct timespec ts = {1, 0};
    long i;
    for (i = 0; i < seconds && !stop_requested; i++)
        nanosleep(&ts, NULL);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"repo", required_argument, 0, 'r'},
        {"branch", required_argument, 0, 'b'},
        {"path", required_argument, 0, 'p'},
        {"state-dir", required_argument, 0, 's'},
        {"sim-file", required_argument, 0, 'S'},
        {"prices", required_argument, 0, 'P'},
        {"now", required_argument, 0, 'n'},
        {"interval", required_argument, 0, 'i'},
        {"max-passes", required_argument, 0, 'm'},
        {"once", no_argument, 0, 'o'},
        {"listen", required_argument, 0, OPT_LISTEN},
        {"log-level", required_argument, 0, 'l'},
        {"log-format", required_argument, 0, 'f'},
        {"version", no_argument, 0, 'V'},
        {"help", no_argument, 0, 'h'},
        {"git-token-file", required_argument, 0, OPT_GIT_TOKEN_FILE},
        {"git-ssh-key", required_argument, 0, OPT_GIT_SSH_KEY},
        {"git-ssh-key-passphrase-file", required_argument, 0, OPT_GIT_SSH_PASSPHRASE},
        {"git-known-hosts", required_argument, 0, OPT_GIT_KNOWN_HOSTS},
        {"verify-signatures", no_argument, 0, OPT_VERIFY_SIGNATURES},
        {"git-author-name", required_argument, 0, OPT_GIT_AUTHOR_NAME},
        {"force", no_argument, 0, OPT_FORCE},
        {"live", no_argument, 0, OPT_LIVE},
        {"git-author-email", required_argument, 0, OPT_GIT_AUTHOR_EMAIL},
        {"provider", required_argument, 0, OPT_PROVIDER},
        {"endpoint-url", required_argument, 0, OPT_ENDPOINT_URL},
        {"endpoint-url-ec2", required_argument, 0, OPT_ENDPOINT_SVC + 0},
        {"endpoint-url-elbv2", required_argument, 0, OPT_ENDPOINT_SVC + 1},
        {"endpoint-url-rds", required_argument, 0, OPT_ENDPOINT_SVC + 2},
        {"endpoint-url-lambda", required_argument, 0, OPT_ENDPOINT_SVC + 3},
        {"endpoint-url-s3", required_argument, 0, OPT_ENDPOINT_SVC + 4},
        {"endpoint-url-cloudwatch", required_argument, 0, OPT_ENDPOINT_SVC + 5},
        {"endpoint-url-sts", required_argument, 0, OPT_ENDPOINT_SVC + 6},
        {"endpoint-url-ce", required_argument, 0, OPT_ENDPOINT_SVC + 7},
        {0, 0, 0, 0}};
    fc_run_opts o;
    fc_run_result res;
    const char *cmd = "run";
    const char *interval = env_or("FINOPS_INTERVAL", NULL);
    const char *now_s = env_or("FINOPS_NOW", NULL);
    const char *level = env_or("FINOPS_LOG_LEVEL", "info");
    const char *format = env_or("FINOPS_LOG_FORMAT", "text");
    const char *listen_addr = env_or("FINOPS_LISTEN", "127.0.0.1:8080");
    fc_http *http = NULL;
    fc_http_opts hopts;
    char state_buf[4096], sim_buf[4096], prices_buf[4096];
    long max_passes = 0, passes = 0;
    int c, rc, exit_code = 0;
    struct sigaction sa;
    const char *svc_url[N_ENDPOINT_SERVICES] = {0};
    static char svc_buf[N_ENDPOINT_SERVICES][2048];
    const char *svc_list[N_ENDPOINT_SERVICES];

    memset(&o, 0, sizeof(o));
    if (argc > 1 && argv[1][0] != '-') {
        cmd = argv[1];
        /* ingest has its own flags and exit codes (its --help lists them). */
        if (strcmp(cmd, "ingest") == 0)
            return fc_ingest_command(argc - 1, argv + 1, NULL);
        if (strcmp(cmd, "run") != 0 && strcmp(cmd, "reconcile") != 0 &&
            strcmp(cmd, "plan") != 0 &&
            strcmp(cmd, "validate") != 0) {
            fprintf(stderr, "finops-controller: unknown command '%s'\n\n", cmd);
            usage(stderr, NULL);
            return EXIT_USAGE;
        }
        argv++;
        argc--;
    }
    o.repo = env_or("FINOPS_REPO", NULL);
    o.branch = env_or("FINOPS_BRANCH", "main");
    o.path = env_or("FINOPS_PATH", "");
    o.state_dir = env_or("FINOPS_STATE_DIR", NULL);
    o.sim_file = env_or("FINOPS_SIM_FILE", NULL);
    o.prices_file = env_or("FINOPS_PRICES", NULL);
    o.push_retries = 5;
    o.provider = env_or("FINOPS_PROVIDER", "sim");
    o.endpoint_url = env_or("FINOPS_ENDPOINT_URL", NULL);
    for (c = 0; c < (int)N_ENDPOINT_SERVICES; c++) {
        char name[64];
        size_t k;
        snprintf(name, sizeof(name), "FINOPS_ENDPOINT_URL_%s", endpoint_services[c]);
        for (k = 0; name[k]; k++)
            name[k] = (char)toupper((unsigned char)name[k]);
        svc_url[c] = env_or(name, NULL);
    }
    o.author_name = env_or("FINOPS_GIT_AUTHOR_NAME", NULL);
    o.author_email = env_or("FINOPS_GIT_AUTHOR_EMAIL", NULL);
    o.git_token_file = env_or("FINOPS_GIT_TOKEN_FILE", NULL);
    o.git_ssh_key = env_or("FINOPS_GIT_SSH_KEY", NULL);
    o.git_ssh_key_passphrase_file = env_or("FINOPS_GIT_SSH_KEY_PASSPHRASE_FILE", NULL);
    o.git_known_hosts = env_or("FINOPS_GIT_KNOWN_HOSTS", NULL);
    o.live = strcmp(env_or("FINOPS_LIVE", "0"), "1") == 0 ||
             strcmp(env_or("FINOPS_LIVE", "0"), "true") == 0;
    o.verify_signatures = strcmp(env_or("FINOPS_VERIFY_SIGNATURES", "0"), "0") != 0 &&
                          strcmp(env_or("FINOPS_VERIFY_SIGNATURES", "0"), "false") != 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'r': o.repo = optarg; break;
        case 'b': o.branch = optarg; break;
        case 'p': o.path = optarg; break;
        case 's': o.state_dir = optarg; break;
        case 'S': o.sim_file = optarg; break;
        case 'P': o.prices_file = optarg; break;
        case 'n': now_s = optarg; break;
        case 'i': interval = optarg; break;
        case 'm': max_passes = strtol(optarg, NULL, 10); break;
        case 'o': break; /* reconcile always runs once */
        case OPT_LISTEN: listen_addr = optarg; break;
        case 'l': level = optarg; break;
        case 'f': format = optarg; break;
        case OPT_GIT_TOKEN_FILE: o.git_token_file = optarg; break;
        case OPT_GIT_SSH_KEY: o.git_ssh_key = optarg; break;
        case OPT_GIT_SSH_PASSPHRASE: o.git_ssh_key_passphrase_file = optarg; break;
        case OPT_GIT_KNOWN_HOSTS: o.git_known_hosts = optarg; break;
        case OPT_VERIFY_SIGNATURES: o.verify_signatures = 1; break;
        case OPT_GIT_AUTHOR_NAME: o.author_name = optarg; break;
        case OPT_FORCE: o.force = 1; break;
        case OPT_LIVE: o.live = 1; break;
        case OPT_GIT_AUTHOR_EMAIL: o.author_email = optarg; break;
        case OPT_PROVIDER: o.provider = optarg; break;
        case OPT_ENDPOINT_URL: o.endpoint_url = optarg; break;
        case OPT_ENDPOINT_SVC + 0: case OPT_ENDPOINT_SVC + 1: case OPT_ENDPOINT_SVC + 2:
        case OPT_ENDPOINT_SVC + 3: case OPT_ENDPOINT_SVC + 4: case OPT_ENDPOINT_SVC + 5:
        case OPT_ENDPOINT_SVC + 6: case OPT_ENDPOINT_SVC + 7:
            svc_url[c - OPT_ENDPOINT_SVC] = optarg;
            break;
        case 'V': printf("finops-controller %s\n", FC_VERSION); return 0;
        case 'h': usage(stdout, cmd); return 0;
        default: usage(stderr, cmd); return EXIT_USAGE;
        }
    }
    if (strcmp(o.provider, "sim") != 0 && strcmp(o.provider, "aws") != 0) {
        fprintf(stderr, "finops-controller: --provider: expected sim or aws, got '%s'\n",
                o.provider);
        return EXIT_USAGE;
    }
    for (c = 0; c < (int)N_ENDPOINT_SERVICES; c++)
        if (svc_url[c]) {
            snprintf(svc_buf[o.nservice_endpoints], sizeof(svc_buf[0]), "%s=%s",
                     endpoint_services[c], svc_url[c]);
            svc_list[o.nservice_endpoints] = svc_buf[o.nservice_endpoints];
            o.nservice_endpoints++;
        }
    o.service_endpoints = svc_list;
    if (optind < argc) {
        fprintf(stderr, "finops-controller: unexpected argument '%s'\n", argv[optind]);
        return EXIT_USAGE;
    }
    if (!o.repo) {
        fprintf(stderr, "finops-controller: --repo is required\n\n");
        usage(stderr, cmd);
        return EXIT_USAGE;
    }
    fc_log_configure(strcmp(level, "debug") == 0  ? FC_LOG_DEBUG
                     : strcmp(level, "warn") == 0  ? FC_LOG_WARN
                     : strcmp(level, "error") == 0 ? FC_LOG_ERROR
                                                   : FC_LOG_INFO,
                     strcmp(format, "json") == 0);
    if (now_s && fc_time_parse(now_s, &o.now) != 0) {
        fprintf(stderr, "finops-controller: --now: expected YYYY-MM-DDTHH:MM:SSZ, got '%s'\n",
                now_s);
        return EXIT_USAGE;
    }
    if (interval && fc_parse_duration(interval) < 0) {
        fprintf(stderr, "finops-controller: --interval: expected e.g. 30s, 5m, 1h, got '%s'\n",
                interval);
        return EXIT_USAGE;
    }
    if (!o.state_dir) {
        const char *xdg = getenv("XDG_STATE_HOME");
        if (xdg && *xdg)
            snprintf(state_buf, sizeof(state_buf), "%s/finops-controller", xdg);
        else
            snprintf(state_buf, sizeof(state_buf), ".finops-state");
        o.state_dir = state_buf;
    }
    if (!o.sim_file)
        o.sim_file = data_file("examples/sim/estate.yaml", sim_buf, sizeof(sim_buf));
    if (!o.prices_file)
        o.prices_file = data_file("examples/prices/aws-price-list", prices_buf,
                                  sizeof(prices_buf));
    o.mode = strcmp(cmd, "plan") == 0       ? FC_RUN_PLAN
             : strcmp(cmd, "validate") == 0 ? FC_RUN_VALIDATE
                                            : FC_RUN_RECONCILE;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    /* Only the long-running mode serves HTTP. */
    if (strcmp(cmd, "run") == 0) {
        memset(&hopts, 0, sizeof(hopts));
        hopts.state_dir = o.state_dir;
        if ((rc = fc_http_start(&http, listen_addr, &hopts)) != FC_OK) {
            fprintf(stderr, "finops-controller: %s\n", fc_error_last());
            return rc == FC_EINVALID ? EXIT_USAGE : EXIT_PASS_FAILED;
        }
    }

    /* libgit2 loads the system CA bundle on init (~15 ms): once per process,
     * not once per pass. */
    git_libgit2_init();
    for (;;) {
        struct timespec t0, t1;
        long every;
        int forced;

        clock_gettime(CLOCK_MONOTONIC, &t0);
        /* After a restart the HTTP API has no data until a full pass: run
         * one even when nothing is due (it still commits only changes). */
        forced = o.force;
        if (fc_http_needs_pass())
            o.force = 1;
        rc = fc_run_pass(&o, &res);
        o.force = forced;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        passes++;
        if (rc != FC_OK) {
            fc_err("pass failed: %s (%s)", fc_error_last(), fc_code_name(rc));
            exit_code = EXIT_PASS_FAILED;
        } else {
            exit_code = 0;
            if (o.mode == FC_RUN_VALIDATE && res.nerrors)
                exit_code = EXIT_INVALID_SPECS;
            if (o.mode == FC_RUN_RECONCILE)
                fc_info("pass done in %.3f s: %zu resources, %zu recommendations "
                        "(%.2f/month), %zu planned, %zu spec errors, %s",
                        (double)(t1.tv_sec - t0.tv_sec) +
                            (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
                        res.nresources, res.nrecommendations, res.monthly_saving,
                        res.nplanned, res.nerrors,
                        res.committed ? "status committed" : res.skipped ? "nothing due" : "no change");
        }
        if (strcmp(cmd, "run") != 0 || stop_requested ||
            (max_passes > 0 && passes >= max_passes))
            break;
        every = interval           ? fc_parse_duration(interval)
                : res.interval[0] ? fc_parse_duration(res.interval)
                                  : 300;
        if (every <= 0)
            every = 300;
        fc_http_pass_done(rc, &res,
                          (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
                          every);
        sleep_interruptible(every);
        if (stop_requested)
            break;
    }
    fc_http_stop(http);
    git_libgit2_shutdown();
    return exit_code;
}
