/*
 * fuzz_cost_csv.c - FOCUS / CUR cost exports: the streaming CSV reader
 * (controller/core/csv.c, plain or gzip by magic bytes) feeding the ingest
 * row mapper and aggregator (controller/ingest/ingest.c), in memory.
 */
#include "tests/fuzz/fuzz.h"

#include "controller/core/fc_csv.h"
#include "controller/ingest/fc_ingest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fc_csv_stream *csv = NULL;
    fc_ingest_result r;

    /* One thread: libFuzzer runs an input at a time and leaks are per input. */
    if (fc_csv_stream_open_mem_ex(&csv, data, size, FC_CSV_NO_THREAD) != 0)
        return 0;
    fc_ingest_result_init(&r);
    fc_ingest_csv(&r, csv, "fuzz.csv");
    fc_ingest_result_dispose(&r);
    fc_csv_stream_free(csv);
    return 0;
}
