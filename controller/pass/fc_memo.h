/*
 * fc_memo.h - what the last pass saw, so a pass with nothing due is skipped
 * before discovery: same remote head, same spec commit, discovery not due
 * (or the fresh inventory fingerprint unchanged).
 */
#ifndef FC_MEMO_H
#define FC_MEMO_H

#include "controller/cloud/fc_cloud.h"
#include "controller/state/fc_state.h"

#include <stdint.h>

typedef struct {
    int found;
    char head_after[41];   /* remote head after the last pass */
    char spec_commit[41];
    uint64_t inventory_fp;
    int64_t discovered_at;
    int64_t discovery_every; /* seconds, from the Schedule of that commit */
} fc_memo;

/* key: repo URL + branch + spec root, one memo per tracked tree. */
int fc_memo_load(fc_state *s, const char *key, fc_memo *out);
int fc_memo_save(fc_state *s, const char *key, const fc_memo *m);

/* A stable hash of everything discovery returned. */
uint64_t fc_inventory_fingerprint(const fc_inventory *inv);

#endif
