/*
 * fc_loop.h - `finops-controller run`: the long-running loop.  It serves
 * HTTP, waits until the earliest due task or a wake-up (webhook, ctl run,
 * SIGTERM/SIGINT), runs one pass at a time for whatever is due, and stops
 * cleanly on a signal (loop.c).  `ctl` drives it over HTTP (ctl.c).
 */
#ifndef FC_LOOP_H
#define FC_LOOP_H

#include "controller/pass/fc_run.h"

typedef struct {
    const char *interval;            /* --interval; NULL = Schedule, else 5m */
    long max_passes;                 /* 0 = until a signal */
    const char *listen;              /* HOST:PORT */
    const char *webhook_secret_file; /* NULL = no /hooks/git */
    const char *api_token_file;      /* NULL = task writes refused */
    long grace_period;               /* seconds after SIGTERM; default 30 */
    /* Called while idle, between passes (e.g. a SIGHUP config reload);
     * may change the pass options, the interval and the pass limit. */
    void (*between_passes)(fc_run_opts *o, const char **interval, long *max_passes);
} fc_loop_opts;

/* Defaults and FINOPS_WEBHOOK_SECRET_FILE, FINOPS_API_TOKEN_FILE,
 * FINOPS_GRACE_PERIOD, FINOPS_LISTEN, FINOPS_INTERVAL. */
void fc_loop_opts_init(fc_loop_opts *lo);

/* Runs until a signal (exit 0 once the pass in flight has committed its
 * status), --max-passes (the last pass's code: 0 or 1), or a second signal
 * / the grace period running out (1).  Returns the process exit code;
 * 2 for unusable options (bad --listen, unreadable secret files). */
int fc_loop_run(fc_run_opts *o, const fc_loop_opts *lo);

/* `finops-controller ctl ...`; returns the exit code. */
int fc_ctl_command(int argc, char **argv);

#endif
