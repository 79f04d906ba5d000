/*
 * status_cmd.c - `finops-controller status`: the recent workflow runs.
 *
 * Inputs: the state store in --state-dir (FINOPS_STATE_DIR).  Output: a
 * table on stdout (run, start, duration, result, phases with durations,
 * head, actions), or one JSON document with --json.  Reads only: a run
 * still open is shown as `running`, or `interrupted` once the next pass
 * has settled it.
 */
#include "controller/core/fc_error.h"
#include "controller/core/fc_util.h"
#include "controller/pass/fc_run.h"
#include "controller/state/fc_runs.h"

#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define EXIT_USAGE 2
#define EXIT_FAIL 1

static const char usage_text[] =
    "Usage: finops-controller status [--state-dir DIR] [--limit N] [--json]\n\n"
    "Lists the most recent reconcile passes (workflow runs) from the state store:\n"
    "id, start (UTC), duration, result, each phase with its duration and result,\n"
    "the head commit read and the actions executed. A pass a crash interrupted is\n"
    "shown as `interrupted` with the phase it died in.\n\n"
    "  --state-dir DIR  state directory (FINOPS_STATE_DIR, default\n"
    "                   $XDG_STATE_HOME/finops-controller or ./.finops-state)\n"
    "  --limit N        runs to show (default 10)\n"
    "  --json           one JSON document instead of the table\n";

/* "12ms", "1.4s", "2m03s". */
static void fmt_ms(char *out, size_t size, int64_t ms)
{
    if (ms < 0)
        snprintf(out, size, "-");
    else if (ms < 1000)
        snprintf(out, size, "%lldms", (long long)ms);
    else if (ms < 60000)
        snprintf(out, size, "%.1fs", (double)ms / 1000.0);
    else
        snprintf(out, size, "%lldm%02llds", (long long)(ms / 60000),
                 (long long)((ms / 1000) % 60));
}

/* Actions executed: the execution phase's "<n> actions" detail, summed. */
static long run_actions(const fc_run_row *r)
{
    long n = -1;
    size_t i;
    for (i = 0; i < r->nphases; i++)
        if (strcmp(r->phases[i].phase, "execution") == 0 && r->phases[i].detail) {
            long v = strtol(r->phases[i].detail, NULL, 10);
            n = (n < 0 ? 0 : n) + v;
        }
    return n;
}

static const char *run_result(const fc_run_row *r)
{
    return r->result ? r->result : "running";
}

static void print_table(FILE *out, const fc_run_rows *rows)
{
    size_t i, j;
    fprintf(out, "%-6s %-20s %-9s %-12s %-12s %-7s %s\n", "RUN", "STARTED", "DURATION",
            "RESULT", "HEAD", "ACTIONS", "PHASES");
    for (i = 0; i < rows->n; i++) {
        const fc_run_row *r = &rows->items[i];
        char when[32], dur[32], acts[24];
        time_t t = (time_t)r->started;
        struct tm tm;
        long n = run_actions(r);
        gmtime_r(&t, &tm);
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
        if (r->finished && r->result && strcmp(r->result, "interrupted") != 0)
            /* Phases are timed in ms, the run row in seconds. */
            fmt_ms(dur, sizeof(dur),
                   r->nphases && r->phases[r->nphases - 1].finished
                       ? r->phases[r->nphases - 1].finished - r->phases[0].started
                       : (r->finished - r->started) * 1000);
        else
            snprintf(dur, sizeof(dur), "-");
        if (n >= 0)
            snprintf(acts, sizeof(acts), "%ld", n);
        else
            snprintf(acts, sizeof(acts), "-");
        fprintf(out, "%-6lld %-20s %-9s %-12s %-12.12s %-7s ", (long long)r->id, when, dur,
                run_result(r), r->head ? r->head : "-", acts);
        if (!r->nphases)
            fprintf(out, "-");
        for (j = 0; j < r->nphases; j++) {
            const fc_phase_row *p = &r->phases[j];
            char pd[32];
            fmt_ms(pd, sizeof(pd), p->finished ? p->finished - p->started : -1);
            fprintf(out, "%s%s %s", j ? ", " : "", p->phase, pd);
            if (strcmp(p->result, "ok") != 0)
                fprintf(out, " (%s)", p->result);
        }
        fputc('\n', out);
        if (r->result && strcmp(r->result, "interrupted") == 0 && r->nphases)
            fprintf(out, "       interrupted in phase %s\n", r->phases[r->nphases - 1].phase);
    }
    if (!rows->n)
        fprintf(out, "no runs recorded\n");
}

static json_object *jstr_or_null(const char *s)
{
    return s ? json_object_new_string(s) : NULL;
}

static void print_json(FILE *out, const fc_run_rows *rows)
{
    json_object *arr = json_object_new_array();
    size_t i, j;
    for (i = 0; i < rows->n; i++) {
        const fc_run_row *r = &rows->items[i];
        json_object *o = json_object_new_object(), *ph = json_object_new_array();
        long n = run_actions(r);
        json_object_object_add(o, "id", json_object_new_int64(r->id));
        json_object_object_add(o, "started", json_object_new_int64(r->started));
        json_object_object_add(o, "finished",
                               r->finished ? json_object_new_int64(r->finished) : NULL);
        json_object_object_add(o, "result", json_object_new_string(run_result(r)));
        json_object_object_add(o, "head", jstr_or_null(r->head));
        json_object_object_add(o, "statusCommit", jstr_or_null(r->status_commit));
        json_object_object_add(o, "actions", n >= 0 ? json_object_new_int64(n) : NULL);
        for (j = 0; j < r->nphases; j++) {
            const fc_phase_row *p = &r->phases[j];
            json_object *po = json_object_new_object();
            json_object_object_add(po, "phase", json_object_new_string(p->phase));
            json_object_object_add(po, "result", json_object_new_string(p->result));
            json_object_object_add(po, "startedMs", json_object_new_int64(p->started));
            json_object_object_add(po, "durationMs",
                                   p->finished ? json_object_new_int64(p->finished - p->started)
                                               : NULL);
            json_object_object_add(po, "detail", jstr_or_null(p->detail));
            json_object_array_add(ph, po);
        }
        json_object_object_add(o, "phases", ph);
        json_object_array_add(arr, o);
    }
    {
        json_object *root = json_object_new_object();
        json_object_object_add(root, "runs", arr);
        fprintf(out, "%s\n",
                json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
                                                         JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(root);
    }
}

int fc_status_command(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"state-dir", required_argument, 0, 's'},
        {"limit", required_argument, 0, 'n'},
        {"json", no_argument, 0, 'j'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *dir = getenv("FINOPS_STATE_DIR"), *xdg = getenv("XDG_STATE_HOME");
    char buf[4096];
    struct stat sb;
    fc_state *s = NULL;
    fc_run_rows rows = {0};
    long limit = 10;
    int c, json = 0, code = 0;
    char *end;

    if ((!dir || !*dir) && xdg && *xdg) { /* the same default as run */
        snprintf(buf, sizeof(buf), "%s/finops-controller", xdg);
        dir = buf;
    } else if (!dir || !*dir) {
        dir = ".finops-state";
    }
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 's': dir = optarg; break;
        case 'n':
            limit = strtol(optarg, &end, 10);
            if (end == optarg || *end || limit <= 0) {
                fprintf(stderr, "finops-controller status: --limit: expected a positive "
                                "number, got '%s'\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'j': json = 1; break;
        case 'h': fputs(usage_text, stdout); return 0;
        default: fputs(usage_text, stderr); return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "finops-controller status: unexpected argument '%s'\n", argv[optind]);
        return EXIT_USAGE;
    }
    {
        char db[4200];
        snprintf(db, sizeof(db), "%s/state.db", dir);
        if (stat(db, &sb) != 0) { /* a read-only command creates nothing */
            fprintf(stderr, "finops-controller status: no state store in %s\n", dir);
            return EXIT_FAIL;
        }
    }
    if (fc_state_open(&s, dir) != FC_OK || fc_runs_list(s, (size_t)limit, &rows) != FC_OK) {
        fprintf(stderr, "finops-controller status: %s\n", fc_error_last());
        code = EXIT_FAIL;
        goto done;
    }
    if (json)
        print_json(stdout, &rows);
    else
        print_table(stdout, &rows);
done:
    fc_run_rows_dispose(&rows);
    fc_state_close(s);
    return code;
}
