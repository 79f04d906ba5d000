/*
 * fc_ingest.h - cost data from billing exports: a streaming CSV reader, the
 * FOCUS 1.0 / AWS CUR 2.0 ingest that turns an export into daily cost, the
 * state-store tables that keep it, and the pass helpers that feed it to the
 * engines (merge with provider costs, anomaly history).
 *
 * Stage: observation, next to the providers.  Files are read in bounded
 * memory (one buffer plus the distinct aggregation keys), plain or gzip
 * (detected by magic bytes).  Everything that touches the disk or the state
 * store lives here; the anomaly engine itself stays pure (fc_engines.h).
 *
 * Ownership: fc_csv_stream and fc_ingest_result are _new/_free or _init/_dispose as
 * marked; rows handed out by fc_csv_stream_next() are borrowed until the next call.
 */
#ifndef FC_INGEST_H
#define FC_INGEST_H

#include "controller/cloud/fc_cloud.h"
#include "controller/core/fc_csv.h"
#include "controller/engines/fc_engines.h"
#include "controller/state/fc_state.h"
#include "specs/fc_specs.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>


/* ---- one export file -> daily cost ------------------------------------ */

typedef enum {
    FC_COST_FORMAT_UNKNOWN,
    FC_COST_FORMAT_FOCUS,   /* FOCUS 1.0 (BilledCost, ChargePeriodStart, ...) */
    FC_COST_FORMAT_CUR      /* AWS CUR 2.0 (line_item_unblended_cost, ...) */
} fc_cost_format;

const char *fc_cost_format_name(fc_cost_format f);

typedef struct {
    uint64_t line;
    char *column;       /* header name, or "(row)" */
    char *message;
} fc_ingest_error;

typedef struct {
    char currency[8];
    double total;
} fc_currency_total;

typedef struct fc_cost_agg fc_cost_agg;

#define FC_INGEST_MAX_ERRORS 20
#define FC_INGEST_MAX_CURRENCIES 16

typedef struct {
    char *file;             /* as given */
    fc_cost_format format;
    uint64_t rows;          /* data records read (header and blanks excluded) */
    uint64_t rejected;      /* records not counted, each with a reason */
    fc_ingest_error errors[FC_INGEST_MAX_ERRORS]; /* the first ones */
    size_t nerrors;
    int64_t first_day;      /* 00:00 UTC; 0 when no row was accepted */
    int64_t last_day;
    size_t days;            /* distinct days */
    int64_t *day_list;      /* those days (00:00 UTC), ascending; owned */
    fc_currency_total currencies[FC_INGEST_MAX_CURRENCIES];
    size_t ncurrencies;
    char fingerprint[64];   /* of the raw bytes */
    uint64_t bytes;
    fc_cost_agg *agg;       /* the aggregated rows, owned */
    /* Optional progress (set after _init): every 65,536 rows and at the
     * end, raw bytes read of total_bytes (0 = unknown) and rows so far;
     * fc_log_progress_rows fits, with a label ("ingest") as payload. */
    void (*progress)(void *payload, uint64_t bytes, uint64_t total, uint64_t rows);
    void *progress_payload;
    uint64_t total_bytes;
} fc_ingest_result;

void fc_ingest_result_init(fc_ingest_result *r);
void fc_ingest_result_dispose(fc_ingest_result *r);

/*
 * Reads one export into r (initialised): detects the format from the header,
 * maps columns by name and aggregates cost per day x account x service x
 * region x currency, and per usage type and resource id where present.
 * FC_OK even when rows were rejected; negative when the file cannot be read
 * to its end or its header is not a known format (r->errors says why).
 */
int fc_ingest_file(fc_ingest_result *r, const char *path);
int fc_ingest_csv(fc_ingest_result *r, fc_csv_stream *csv, const char *name);

/* Number of aggregated (daily, detail) rows. */
void fc_ingest_counts(const fc_ingest_result *r, size_t *daily, size_t *detail);

/* ---- the cost store (state-store tables of module "costs") ------------- */

typedef enum {
    FC_COST_STORED,     /* first time this name was stored */
    FC_COST_REPLACED,   /* replaced the earlier contribution of this name */
    FC_COST_DUPLICATE   /* same bytes already stored under another name */
} fc_cost_store_outcome;

int fc_cost_store_migrate(fc_state *s);

/*
 * Stores r as the whole contribution of file `name` (one transaction):
 * rows an earlier ingest of the same name contributed are replaced, so
 * ingesting a file twice never doubles it.  *dup_of (may be NULL) gets the
 * other name for FC_COST_DUPLICATE (free it).
 */
int fc_cost_store_save(fc_state *s, const fc_ingest_result *r, const char *name,
                       int64_t size, int64_t mtime, int64_t now,
                       fc_cost_store_outcome *outcome, char **dup_of);
/* 1 in *seen when `name` was stored with this size and mtime. */
int fc_cost_store_seen(fc_state *s, const char *name, int64_t size,
                       int64_t mtime, int *seen);
/* Appends every stored row with day in [from, to) to inv: daily rows to
 * inv->costs (region set), detail rows to inv->cost_details; sets
 * inv->currency when it was unset. */
int fc_cost_store_load(fc_state *s, int64_t from, int64_t to,
                       fc_inventory *inv);

/* Ingested costs win: for every (account, day) that `ingested` covers, the
 * provider's rows in inv are dropped, then ingested rows are appended. */
int fc_costs_merge(fc_inventory *inv, const fc_inventory *ingested);

/* ---- the pass ------------------------------------------------------------- */

typedef struct {
    size_t files_seen;
    size_t files_ingested;
    size_t files_failed;
    uint64_t rows;
    uint64_t rejected;
} fc_export_stats;

/*
 * Ingests new files (by name + size + mtime) under every Account's
 * costExports.path into the store (write = 0: nothing is stored, plan
 * mode), then merges stored costs for [now - cost_days, today) into inv.
 * Failures of single files are logged and counted, not returned.
 */
int fc_costs_observe(fc_state *s, const fc_spec_set *specs, int64_t now,
                     int cost_days, int write, fc_inventory *inv,
                     fc_export_stats *stats);

/* The pass's call: fc_costs_observe() on the pass's state store (NULL
 * when it could not be opened: the pass goes on with provider costs only).
 * Never fails the pass. */
void fc_costs_pass_observe(fc_state *state, const fc_spec_set *specs, int64_t now,
                           int cost_days, int write, fc_inventory *inv);

/* Anomaly history (state-store table "anomalies"). */
int fc_anomaly_store_load(fc_state *s, fc_anomaly_list *out);
int fc_anomaly_store_save(fc_state *s, const fc_anomaly_list *l);

/* Loads the previous anomalies, runs the engine, saves (when write). */
int fc_costs_anomalies(fc_state *s, const fc_spec_set *specs,
                       const fc_inventory *inv, int64_t now, int write,
                       fc_anomaly_list *out);

/* `finops-controller ingest`: argv[0] is "ingest".  Returns the exit code. */
int fc_ingest_command(int argc, char **argv, const char *default_state_dir);

#endif
