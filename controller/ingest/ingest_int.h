/*
 * ingest_int.h - what the files of controller/ingest share: the in-memory
 * aggregation an ingest builds (interned strings + two open-addressing hash
 * tables) that the store writes out in one transaction.
 */
#ifndef FC_INGEST_INT_H
#define FC_INGEST_INT_H

#include "controller/ingest/fc_ingest.h"

#include <stdint.h>

/* Key slots of an aggregate. */
enum {
    AGG_ACCOUNT,
    AGG_SERVICE,
    AGG_REGION,
    AGG_CURRENCY,
    AGG_USAGE,      /* detail only */
    AGG_RESOURCE,   /* detail only */
    AGG__KEYS
};

typedef struct {
    uint64_t h;                 /* 0 = empty slot */
    int64_t day;                /* days since the epoch */
    uint32_t k[AGG__KEYS];      /* interned string ids */
    double amount;
} fc_agg_entry;

typedef struct {
    fc_agg_entry *slots;
    size_t cap;                 /* power of two */
    size_t n;
} fc_agg_table;

typedef struct {
    const char *s;
    uint32_t len;
} fc_agg_str;

typedef struct {
    uint64_t h;                 /* hash of the string; 0 = empty slot */
    const char *s;              /* the string itself: no detour through strs */
    uint32_t id;
    uint32_t len;
} fc_agg_islot;

struct fc_cost_agg {
    char **chunks;              /* string arena */
    size_t nchunks;
    size_t chunk_used, chunk_cap;
    fc_agg_str *strs;           /* id -> string; id 0 is "" */
    uint32_t nstrs, strs_cap;
    fc_agg_islot *itab;         /* intern table (one cache line visit per probe) */
    size_t icap;
    fc_agg_table daily;         /* day x account x service x region x currency */
    fc_agg_table detail;        /* ... x usage type x resource id */
};

/* The string of an id (borrowed). */
static inline const char *fc_agg_s(const fc_cost_agg *a, uint32_t id)
{
    return a->strs[id].s;
}

#endif
