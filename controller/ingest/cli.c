/*
 * cli.c - `finops-controller ingest [--state-dir D] FILE...`: reads FOCUS /
 * CUR exports into the state store by hand and says what it read.
 *
 * Stage: command line (controller/main.c dispatches here).  Output on
 * stdout: per file the format, rows read and rejected, days and totals per
 * currency; then the first errors of each file as file:line: column:
 * message; then the totals of the run.
 */
#include "controller/ingest/fc_ingest.h"
#include "controller/core/fc_error.h"
#include "controller/core/fc_log.h"
#include "controller/core/fc_util.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_REJECTED = 3 };

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: finops-controller ingest [--state-dir DIR] FILE...\n\n"
            "Reads billing exports into the state store: FOCUS 1.0 CSV (BilledCost,\n"
            "ChargePeriodStart, SubAccountId, ServiceName, RegionId, ResourceId, ...)\n"
            "or AWS CUR 2.0 CSV (line_item_unblended_cost, line_item_usage_start_date,\n"
            "...), plain or gzip. Costs are kept per day x account x service x region\n"
            "(and usage type x resource id). Ingesting a file again replaces what it\n"
            "contributed before; the same bytes under another name are not counted\n"
            "twice. Passes merge stored costs with the provider's (stored days win).\n\n"
            "Flags:\n"
            "  --state-dir DIR   controller state (FINOPS_STATE_DIR, default\n"
            "                    $XDG_STATE_HOME/finops-controller or ./.finops-state)\n"
            "  -h, --help        this help\n\n"
            "Exit codes:\n"
            "  0  every file stored, no row rejected\n"
            "  1  a file could not be read or stored (nothing of it is stored)\n"
            "  2  usage error\n"
            "  3  files stored, but some rows were rejected (listed as\n"
            "     file:line: column: message)\n");
}

typedef struct {
    int64_t *days;
    size_t n, cap;
} day_set;

static int days_add(day_set *d, const int64_t *v, size_t n)
{
    if (n == 0)
        return 0;
    if (d->n + n > d->cap) {
        size_t ncap = (d->n + n) * 2;
        int64_t *p = realloc(d->days, ncap * sizeof(*p));
        if (!p)
            return -1;
        d->days = p;
        d->cap = ncap;
    }
    memcpy(d->days + d->n, v, n * sizeof(*v));
    d->n += n;
    return 0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void add_total(fc_currency_total *t, size_t *n, const fc_currency_total *c)
{
    size_t i;
    for (i = 0; i < *n; i++)
        if (strcmp(t[i].currency, c->currency) == 0) {
            t[i].total += c->total;
            return;
        }
    if (*n < FC_INGEST_MAX_CURRENCIES)
        t[(*n)++] = *c;
}

int fc_ingest_command(int argc, char **argv, const char *default_state_dir)
{
    const char *state_dir = getenv("FINOPS_STATE_DIR");
    char state_buf[PATH_MAX];
    char **files = NULL;
    size_t nfiles = 0, i, j, ndays = 0, failed = 0, ntotals = 0;
    uint64_t rows = 0, rejected = 0;
    fc_currency_total totals[FC_INGEST_MAX_CURRENCIES];
    fc_state *s = NULL;
    day_set days = {0};
    int code = EXIT_OK, k, opts = 1;

    if (state_dir && !*state_dir)
        state_dir = NULL;
    if (!(files = calloc((size_t)argc, sizeof(*files))))
        return EXIT_FAILED;
    for (k = 1; k < argc; k++) {
        const char *a = argv[k];
        if (opts && strcmp(a, "--") == 0) {
            opts = 0;
        } else if (opts && (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)) {
            usage(stdout);
            free(files);
            return EXIT_OK;
        } else if (opts && strcmp(a, "--state-dir") == 0) {
            if (k + 1 >= argc) {
                fprintf(stderr, "finops-controller ingest: --state-dir needs a value\n");
                free(files);
                return EXIT_USAGE;
            }
            state_dir = argv[++k];
        } else if (opts && strncmp(a, "--state-dir=", 12) == 0) {
            state_dir = a + 12;
        } else if (opts && a[0] == '-' && a[1]) {
            fprintf(stderr, "finops-controller ingest: unknown flag '%s'\n\n", a);
            usage(stderr);
            free(files);
            return EXIT_USAGE;
        } else {
            files[nfiles++] = argv[k];
        }
    }
    if (nfiles == 0) {
        fprintf(stderr, "finops-controller ingest: no FILE given\n\n");
        usage(stderr);
        free(files);
        return EXIT_USAGE;
    }
    if (!state_dir)
        state_dir = default_state_dir;
    if (!state_dir) {
        const char *xdg = getenv("XDG_STATE_HOME");
        if (xdg && *xdg)
            snprintf(state_buf, sizeof(state_buf), "%s/finops-controller", xdg);
        else
            snprintf(state_buf, sizeof(state_buf), ".finops-state");
        state_dir = state_buf;
    }
    if (fc_state_open(&s, state_dir) != FC_OK || fc_cost_store_migrate(s) != FC_OK) {
        fprintf(stderr, "finops-controller ingest: %s\n", fc_error_last());
        fc_state_close(s);
        free(files);
        return EXIT_FAILED;
    }

    for (i = 0; i < nfiles; i++) {
        fc_ingest_result r;
        fc_cost_store_outcome outcome = FC_COST_STORED;
        char real[PATH_MAX], first[16], last[16], *dup = NULL;
        struct stat st;
        int rc;

        fc_ingest_result_init(&r);
        if (!realpath(files[i], real) || stat(real, &st) != 0) {
            printf("%s: error: cannot read the file\n", files[i]);
            failed++;
            continue;
        }
        r.progress = fc_log_progress_rows; /* a bar on a terminal, else log lines */
        r.progress_payload = (void *)"ingest";
        r.total_bytes = (uint64_t)st.st_size;
        rc = fc_ingest_file(&r, real);
        if (rc == FC_OK)
            rc = fc_cost_store_save(s, &r, real, (int64_t)st.st_size, (int64_t)st.st_mtime,
                                    (int64_t)time(NULL), &outcome, &dup);
        if (rc != FC_OK) {
            printf("%s: error: %s (nothing stored)\n", files[i], fc_error_last());
            failed++;
            fc_ingest_result_dispose(&r);
            continue;
        }
        fc_date_format(first, sizeof(first), r.first_day);
        fc_date_format(last, sizeof(last), r.last_day);
        printf("%s: %s, %llu rows read, %llu rejected, %zu days (%s .. %s), %s%s\n", files[i],
               fc_cost_format_name(r.format), (unsigned long long)r.rows,
               (unsigned long long)r.rejected, r.days, r.days ? first : "-",
               r.days ? last : "-",
               outcome == FC_COST_STORED     ? "stored"
               : outcome == FC_COST_REPLACED ? "stored (replaced the earlier ingest)"
                                             : "not stored: same bytes as ",
               outcome == FC_COST_DUPLICATE && dup ? dup : "");
        for (j = 0; j < r.ncurrencies; j++)
            printf("  %s %.2f\n", r.currencies[j].currency, r.currencies[j].total);
        for (j = 0; j < r.nerrors; j++)
            printf("  %s:%llu: %s: %s\n", files[i], (unsigned long long)r.errors[j].line,
                   r.errors[j].column, r.errors[j].message);
        if (r.rejected > r.nerrors)
            printf("  ... and %llu more rejected rows\n",
                   (unsigned long long)(r.rejected - r.nerrors));
        rows += r.rows;
        rejected += r.rejected;
        if (outcome != FC_COST_DUPLICATE) {
            for (j = 0; j < r.ncurrencies; j++)
                add_total(totals, &ntotals, &r.currencies[j]);
            if (days_add(&days, r.day_list, r.days) != 0)
                failed++;
        }
        free(dup);
        fc_ingest_result_dispose(&r);
    }
    if (days.n > 1)
        qsort(days.days, days.n, sizeof(*days.days), cmp_i64);
    for (i = 0; i < days.n; i++)
        ndays += i == 0 || days.days[i] != days.days[i - 1];
    printf("total: %zu files (%zu failed), %llu rows read, %llu rejected, %zu days covered\n",
           nfiles, failed, (unsigned long long)rows, (unsigned long long)rejected, ndays);
    for (i = 0; i < ntotals; i++)
        printf("  %s %.2f\n", totals[i].currency, totals[i].total);
    if (failed)
        code = EXIT_FAILED;
    else if (rejected)
        code = EXIT_REJECTED;
    free(days.days);
    free(files);
    fc_state_close(s);
    return code;
}
