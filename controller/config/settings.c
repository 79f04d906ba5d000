/*
 * settings.c - THE table of finops-controller settings (see fc_config.h).
 *
 * Adding a setting is one row here:
 *
 *   {"myThing", "my-thing", 0, "FINOPS_MY_THING", FC_CFG_DURATION, "5m", NULL,
 *    NULL, 0, "DURATION", "what it does"},
 *
 * which gives --my-thing, FINOPS_MY_THING, `myThing:` in the config file
 * (nested keys are dotted: "git.myThing" is `git: {myThing: ...}`),
 * validation by type, a --help line and a `config` line.  Read it with
 * fc_config_get(cfg, "myThing") / fc_config_bool / fc_config_long.
 * Secrets (a value, not a path to a file) carry FC_CFG_SECRET and
 * FC_CFG_NOFILE; command-line-only switches carry FC_CFG_NOFILE and no env.
 */
#include "controller/config/fc_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

/* A shipped data file: relative to the working directory, else installed. */
static void data_path(char *buf, size_t size, const char *rel)
{
    struct stat st;
    if (stat(rel, &st) == 0)
        snprintf(buf, size, "%s", rel);
    else
        snprintf(buf, size, "%s/%s", FC_DATADIR, rel + sizeof("examples/") - 1);
}

static void default_state_dir(char *buf, size_t size)
{
    const char *xdg = getenv("XDG_STATE_HOME");
    if (xdg && *xdg)
        snprintf(buf, size, "%s/finops-controller", xdg);
    else
        snprintf(buf, size, ".finops-state");
}

static void default_sim_file(char *buf, size_t size)
{
    data_path(buf, size, "examples/sim/estate.yaml");
}

static void default_prices(char *buf, size_t size)
{
    data_path(buf, size, "examples/prices/aws-price-list");
}

#define ENDPOINT(svc, SVC)                                                              \
    {"endpoints." svc, "endpoint-url-" svc, 0, "FINOPS_ENDPOINT_URL_" SVC, FC_CFG_URL,  \
     NULL, NULL, NULL, 0, "URL", "aws: endpoint of " svc " only (beats endpointUrl)"}

const fc_config_setting fc_config_settings[] = {
    {"repo", "repo", 0, "FINOPS_REPO", FC_CFG_STRING, NULL, NULL, NULL, 0, "URL|PATH",
     "git repository holding the specs (required)"},
    {"branch", "branch", 0, "FINOPS_BRANCH", FC_CFG_STRING, "main", NULL, NULL, 0, "NAME",
     "tracked branch"},
    {"path", "path", 0, "FINOPS_PATH", FC_CFG_STRING, "", NULL, NULL, 0, "DIR",
     "spec root inside the repo (default the repo root)"},
    {"stateDir", "state-dir", 0, "FINOPS_STATE_DIR", FC_CFG_PATH, NULL, default_state_dir,
     NULL, 0, "DIR",
     "controller state and clone (default $XDG_STATE_HOME/finops-controller or "
     "./.finops-state)"},
    {"simFile", "sim-file", 0, "FINOPS_SIM_FILE", FC_CFG_PATH, NULL, default_sim_file, NULL,
     0, "FILE", "estate of the sim cloud"},
    {"prices", "prices", 0, "FINOPS_PRICES", FC_CFG_PATH, NULL, default_prices, NULL, 0,
     "PATH", "price catalogue: AWS Price List CSV offer files or YAML, file or directory"},
    {"provider", "provider", 0, "FINOPS_PROVIDER", FC_CFG_ENUM, "sim", NULL, "sim|aws", 0,
     "sim|aws", "provider of Account specs without `provider:`"},
    {"endpointUrl", "endpoint-url", 0, "FINOPS_ENDPOINT_URL", FC_CFG_URL, NULL, NULL, NULL,
     0, "URL", "aws: one endpoint for every service (an AWS-compatible server)"},
    ENDPOINT("ec2", "EC2"),
    ENDPOINT("elbv2", "ELBV2"),
    ENDPOINT("rds", "RDS"),
    ENDPOINT("lambda", "LAMBDA"),
    ENDPOINT("s3", "S3"),
    ENDPOINT("cloudwatch", "CLOUDWATCH"),
    ENDPOINT("sts", "STS"),
    ENDPOINT("ce", "CE"),
    {"now", "now", 0, "FINOPS_NOW", FC_CFG_TIME, NULL, NULL, NULL, 0, "TIME",
     "pass clock, YYYY-MM-DDTHH:MM:SSZ (default the wall clock)"},
    {"interval", "interval", 0, "FINOPS_INTERVAL", FC_CFG_DURATION, NULL, NULL, NULL, 0,
     "DURATION", "run: time between passes, 30s, 5m, 1h (default the Schedule's, else 5m)"},
    {"maxPasses", "max-passes", 0, "FINOPS_MAX_PASSES", FC_CFG_INT, "0", NULL, NULL, 0, "N",
     "run: stop after N passes (0 = no limit)"},
    {"listen", "listen", 0, "FINOPS_LISTEN", FC_CFG_ADDRESS, "127.0.0.1:8080", NULL, NULL, 0,
     "HOST:PORT", "run: serve /healthz, /readyz, /metrics and /api/v1/ (read at start)"},
    {"webhookSecretFile", "webhook-secret-file", 0, "FINOPS_WEBHOOK_SECRET_FILE", FC_CFG_PATH,
     NULL, NULL, NULL, 0, "FILE",
     "run: secret of POST /hooks/git (GitHub/Gitea HMAC-SHA256, GitLab token); none = 404"},
    {"apiTokenFile", "api-token-file", 0, "FINOPS_API_TOKEN_FILE", FC_CFG_PATH, NULL, NULL,
     NULL, 0, "FILE", "run: bearer token of the task API (ctl run/enable/disable)"},
    {"gracePeriod", "grace-period", 0, "FINOPS_GRACE_PERIOD", FC_CFG_DURATION, "30s", NULL,
     NULL, 0, "DURATION", "run: on SIGTERM/SIGINT, time to finish the pass; then exit 1"},
    /* Scale-out (controller/shard, docs/scaling.md): Leases per shard. */
    {"shards", "shards", 0, "FINOPS_SHARDS", FC_CFG_INT, "1", NULL, NULL, 0, "N",
     "accounts spread over N shards, one Kubernetes Lease each (1 = no sharding)"},
    {"replicas", "replicas", 0, "FINOPS_REPLICAS", FC_CFG_INT, "1", NULL, NULL, 0, "N",
     "replicas expected (the chart's): each takes ceil(shards/N) free shards"},
    {"replicaId", "replica-id", 0, "FINOPS_REPLICA_ID", FC_CFG_STRING, NULL, NULL, NULL, 0,
     "ID", "Lease holderIdentity (default $POD_NAME, else the hostname)"},
    {"leaseDuration", "lease-duration", 0, "FINOPS_LEASE_DURATION", FC_CFG_DURATION, "15s",
     NULL, NULL, 0, "DURATION", "shard Lease duration; renewed every third of it"},
    {"kube.api", "kube-api", 0, "FINOPS_KUBE_API", FC_CFG_URL, NULL, NULL, NULL, 0, "URL",
     "Kubernetes API (default in-cluster https://$KUBERNETES_SERVICE_HOST)"},
    {"kube.tokenFile", "kube-token-file", 0, "FINOPS_KUBE_TOKEN_FILE", FC_CFG_PATH, NULL,
     NULL, NULL, 0, "FILE", "bearer token (default the service account's)"},
    {"kube.caFile", "kube-ca-file", 0, "FINOPS_KUBE_CA_FILE", FC_CFG_PATH, NULL, NULL, NULL,
     0, "FILE", "CA of the API server (default the service account's ca.crt)"},
    {"kube.namespace", "kube-namespace", 0, "FINOPS_KUBE_NAMESPACE", FC_CFG_STRING, NULL,
     NULL, NULL, 0, "NS", "namespace of the Leases (default the service account's)"},
    {"live", "live", 0, "FINOPS_LIVE", FC_CFG_BOOL, "false", NULL, NULL, 0, NULL,
     "execute approved Optimizations inside their window, journal first (default dry run)"},
    {"verifySignatures", "verify-signatures", 0, "FINOPS_VERIFY_SIGNATURES", FC_CFG_BOOL,
     "false", NULL, NULL, 0, NULL,
     "approving commits must be signed by a key listed in approvers.yaml"},
    {"git.tokenFile", "git-token-file", 0, "FINOPS_GIT_TOKEN_FILE", FC_CFG_PATH, NULL, NULL,
     NULL, 0, "FILE", "https token file, re-read each pass (sent as basic auth)"},
    {"git.token", NULL, 0, "FINOPS_GIT_TOKEN", FC_CFG_STRING, NULL, NULL, NULL,
     FC_CFG_SECRET | FC_CFG_NOFILE, NULL,
     "https token when no token file is given (environment only; never printed)"},
    {"git.sshKey", "git-ssh-key", 0, "FINOPS_GIT_SSH_KEY", FC_CFG_PATH, NULL, NULL, NULL, 0,
     "FILE", "ssh private key (default the ssh-agent)"},
    {"git.sshKeyPassphraseFile", "git-ssh-key-passphrase-file", 0,
     "FINOPS_GIT_SSH_KEY_PASSPHRASE_FILE", FC_CFG_PATH, NULL, NULL, NULL, 0, "FILE",
     "passphrase of the ssh key"},
    {"git.knownHosts", "git-known-hosts", 0, "FINOPS_GIT_KNOWN_HOSTS", FC_CFG_PATH, NULL,
     NULL, NULL, 0, "FILE",
     "trusted ssh host keys (default ~/.ssh/known_hosts); unknown keys are refused"},
    {"git.authorName", "git-author-name", 0, "FINOPS_GIT_AUTHOR_NAME", FC_CFG_STRING,
     "finops-controller", NULL, NULL, 0, "NAME", "author of status commits"},
    {"git.authorEmail", "git-author-email", 0, "FINOPS_GIT_AUTHOR_EMAIL", FC_CFG_STRING,
     "finops-controller@localhost", NULL, NULL, 0, "EMAIL", "its email"},
    /* Pull-request mode (controller/forge; README "Pull-request mode"). */
    {"forge.kind", "forge", 0, "FINOPS_FORGE", FC_CFG_ENUM, NULL, NULL, "github|gitlab|gitea",
     0, "github|gitlab|gitea", "open proposals as pull requests on this forge (default off)"},
    {"forge.url", "forge-url", 0, "FINOPS_FORGE_URL", FC_CFG_URL, NULL, NULL, NULL, 0, "URL",
     "forge API base: https://api.github.com, https://HOST/api/v4, https://HOST/api/v1"},
    {"forge.project", "forge-project", 0, "FINOPS_FORGE_PROJECT", FC_CFG_STRING, NULL, NULL,
     NULL, 0, "OWNER/NAME", "repository on the forge (GitLab: project path)"},
    {"forge.tokenFile", "forge-token-file", 0, "FINOPS_FORGE_TOKEN_FILE", FC_CFG_PATH, NULL,
     NULL, NULL, 0, "FILE", "forge API token file, re-read each pass"},
    {"forge.token", NULL, 0, "FINOPS_FORGE_TOKEN", FC_CFG_STRING, NULL, NULL, NULL,
     FC_CFG_SECRET | FC_CFG_NOFILE, NULL,
     "forge token when no token file is given (environment only; never printed)"},
    {"forge.minSaving", "forge-min-saving", 0, "FINOPS_FORGE_MIN_SAVING", FC_CFG_INT, "10",
     NULL, NULL, 0, "AMOUNT", "monthly saving (whole currency units) a proposal needs for a PR"},
    {"forge.maxWait", "forge-max-wait", 0, "FINOPS_FORGE_MAX_WAIT", FC_CFG_DURATION, "60s",
     NULL, NULL, 0, "DURATION", "longest rate-limit wait; longer waits defer to the next pass"},
    /* Status placement and commit hygiene (README "Status branch, quiet and
     * signed commits"). */
    {"statusBranch", "status-branch", 0, "FINOPS_STATUS_BRANCH", FC_CFG_STRING, NULL, NULL,
     NULL, 0, "NAME",
     "status commits go to this branch (created if missing, fast-forward only), not --branch"},
    {"commitTrailer", "commit-trailer", 0, "FINOPS_COMMIT_TRAILER", FC_CFG_STRING, NULL, NULL,
     NULL, 0, "TEXT",
     "added to controller commits, one per line: \"[skip ci]\" ends the subject, "
     "\"Key: value\" joins the trailers"},
    {"signCommits", "sign-commits", 0, "FINOPS_SIGN_COMMITS", FC_CFG_ENUM, "none", NULL,
     "none|ssh|gpg", 0, "none|ssh|gpg", "sign status and proposal commits (ssh-keygen or gpg)"},
    {"signingKey", "signing-key", 0, "FINOPS_SIGNING_KEY", FC_CFG_STRING, NULL, NULL, NULL, 0,
     "FILE|KEYID", "ssh: private key file without passphrase (or .pub with ssh-agent); "
     "gpg: key id, keyring in GNUPGHOME"},
    {"signingPassphraseFile", "signing-passphrase-file", 0, "FINOPS_SIGNING_PASSPHRASE_FILE",
     FC_CFG_PATH, NULL, NULL, NULL, 0, "FILE", "gpg: passphrase of the signing key"},
    {"forge.commitStatus", "commit-status", 0, "FINOPS_COMMIT_STATUS", FC_CFG_BOOL, "false",
     NULL, NULL, 0, NULL,
     "post a commit status (success/failure) for each reconciled spec commit on --forge"},
    {"runRetention", "run-retention", 0, "FINOPS_RUN_RETENTION", FC_CFG_DURATION, NULL, NULL,
     NULL, 0, "DURATION", "keep workflow runs this long (default 14d)"},
    {"log.level", "log-level", 0, "FINOPS_LOG_LEVEL", FC_CFG_ENUM, "info", NULL,
     "debug|info|warn|error", 0, "LEVEL", "lowest level logged"},
    {"log.format", "log-format", 0, "FINOPS_LOG_FORMAT", FC_CFG_ENUM, "text", NULL,
     "text|json", 0, "FORMAT", "one line per event: text, or one JSON object"},
    {"log.progressInterval", "progress-interval", 0, "FINOPS_PROGRESS_INTERVAL",
     FC_CFG_DURATION, "5s", NULL, NULL, 0, "DURATION",
     "discovery/ingest progress log lines at most this often (a bar on a terminal)"},
    {"allowCoreDumps", "allow-core-dumps", 0, "FINOPS_ALLOW_CORE_DUMPS", FC_CFG_BOOL,
     "false", NULL, NULL, FC_CFG_NOFILE, NULL,
     "keep core dumps possible (default off: they could hold credentials)"},
    {"force", "force", 0, NULL, FC_CFG_BOOL, "false", NULL, NULL, FC_CFG_NOFILE, NULL,
     "run every stage even when nothing is due"},
    {"once", "once", 0, NULL, FC_CFG_BOOL, "false", NULL, NULL, FC_CFG_NOFILE | FC_CFG_HIDDEN,
     NULL, "reconcile: one pass (always the case)"},
    {"config", "config", 0, "FINOPS_CONFIG", FC_CFG_PATH, NULL, NULL, NULL,
     FC_CFG_NOFILE | FC_CFG_HIDDEN, "FILE", "YAML config file (flags and env beat it)"},
    {"version", "version", 0, NULL, FC_CFG_BOOL, "false", NULL, NULL,
     FC_CFG_NOFILE | FC_CFG_HIDDEN, NULL, "print the version"},
    {"help", "help", 'h', NULL, FC_CFG_BOOL, "false", NULL, NULL,
     FC_CFG_NOFILE | FC_CFG_HIDDEN, NULL, "this help"},
};

const size_t fc_config_nsettings = sizeof(fc_config_settings) / sizeof(fc_config_settings[0]);
