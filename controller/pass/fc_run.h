/*
 * fc_run.h - one reconcile pass end to end: git sync, specs, discovery,
 * engines, reconcilers, status commit and push.
 *
 * This is the only place that wires the stages together; each stage stays a
 * plain function call on in-memory data (DESIGN.md, "the spine").
 */
#ifndef FC_RUN_H
#define FC_RUN_H

#include "controller/gitsync/fc_gitsync.h"
#include "controller/sched/fc_sched.h"

#include <stdint.h>
#include <stdio.h>

typedef enum {
    FC_RUN_RECONCILE, /* write and push status */
    FC_RUN_PLAN,      /* print what would change; write nothing */
    FC_RUN_VALIDATE,  /* load and validate specs only */
    FC_RUN_REPORT     /* `report`: a plan-like pass (no commit, no push, no
                       * state written) that writes report_kind to report_out */
} fc_run_mode;

typedef struct {
    fc_run_mode mode;
    const char *repo;        /* path or URL */
    const char *branch;      /* default main */
    const char *path;        /* spec root in the repo; default "" (root) */
    const char *state_dir;
    const char *sim_file;    /* estate for the sim provider */
    const char *prices_file; /* price table */
    /* Provider of Account specs that do not name one: "sim" (NULL) or
     * "aws"; endpoints for aws (NULL = AWS), per service "ec2=URL". */
    const char *provider;
    const char *endpoint_url;
    const char *const *service_endpoints;
    size_t nservice_endpoints;
    int64_t now;             /* pass clock; 0 = wall clock */
    int push_retries;        /* attempts after a rejected push */
    FILE *out;               /* plan/validate report; NULL = stdout */
    int force;               /* run every stage even when nothing is due */
    const char *author_name;  /* status commits; NULL = finops-controller */
    const char *author_email;
    /* git credentials (fc_gitsync_opts); NULL = unset */
    const char *git_token_file;
    const char *git_ssh_key;
    const char *git_ssh_key_passphrase_file;
    const char *git_known_hosts;
    int verify_signatures;   /* approvals need signed commits, whatever
                              * approvers.yaml says */
    int live;                /* --live: the executor applies approved plans;
                              * 0 = dry-run (default) */
    const char *rollback_id; /* `rollback ID`: the pass undoes only this
                                execution (dry-run unless live) */
    const char *run_retention; /* --run-retention: runs older are pruned;
                                * NULL = 14d */
    /* Set by the run loop's scheduler (controller/sched): */
    int discovery_due;       /* the discovery task is due: the pass memo
                              * must not skip discovery */
    int report_due;          /* the weekly report task is due: write the
                              * report this pass */
    const char *report_kind; /* FC_RUN_REPORT: all | discovery | optimization |
                              * anomaly | budget (controller/report); NULL = all */
    const char *report_out;  /* FC_RUN_REPORT: folder; NULL = ./finops-report */
    /* --shards > 1 (controller/shard): the Leases this replica holds; the
     * pass reconciles only their Accounts and files.  NULL = all. */
    struct fc_shard_mgr *shards;
    /* --forge (controller/forge): proposals as pull requests; NULL = off */
    const char *forge;            /* github | gitlab | gitea */
    const char *forge_url;        /* API base */
    const char *forge_project;    /* owner/name */
    const char *forge_token_file; /* else FINOPS_FORGE_TOKEN */
    double forge_min_saving;      /* monthly */
    long forge_max_wait;          /* seconds */
    /* status placement and commit hygiene (controller/gitsync/status_branch.c,
     * sign.c, controller/forge/status.c); NULL/0 = off */
    const char *status_branch;    /* status commits go here, not to branch */
    const char *commit_trailers;  /* "[skip ci]" ends the subject; "K: v" lines
                                   * join the trailers */
    int sign_commits;             /* fc_sign_format */
    const char *signing_key;      /* ssh key file, or gpg key id */
    const char *signing_passphrase_file;
    int commit_status;            /* post a commit status on the forge */
} fc_run_opts;

typedef struct {
    char head[FC_OID_HEX];          /* remote head the pass read */
    char spec_commit[FC_OID_HEX];   /* newest commit that changed specs */
    char status_commit[FC_OID_HEX]; /* new status commit, or "" */
    char status_base[FC_OID_HEX];   /* where status was built: head, or the
                                     * status branch tip ("" = new branch) */
    int committed;                  /* a status commit was made and pushed */
    int skipped;                    /* nothing was due: no discovery, no commit */
    size_t nobjects;
    size_t nerrors;
    size_t nrecommendations;
    size_t nplanned;
    size_t nresources;
    double monthly_saving;
    char interval[32];              /* Schedule.interval when a spec sets it */
    fc_sched_config schedule;       /* the Schedule spec read (found = 0 when
                                     * none, or the pass stopped before specs) */
} fc_run_result;

int fc_run_pass(const fc_run_opts *opts, fc_run_result *res);

/* `finops-controller status [--state-dir D] [--limit N] [--json]`: the
 * recent workflow runs and their phases (status_cmd.c).  Returns the exit
 * code. */
int fc_status_command(int argc, char **argv);

/* Parses "30s", "5m", "1h", "1d" into seconds; -1 when malformed. */
long fc_parse_duration(const char *s);

#endif
