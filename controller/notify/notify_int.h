/*
 * notify_int.h - what alerts.c and notify.c share: the outbox table.
 */
#ifndef FC_NOTIFY_INT_H
#define FC_NOTIFY_INT_H

#include "controller/notify/fc_notify.h"

/* Creates or upgrades the notify_outbox table (module "notify"). */
int fc_notify_migrate(fc_state *s);
/* Queues one body for one target; a second call with the same dedup key
 * is a no-op, so a re-run pass never sends twice. */
int fc_notify_enqueue(fc_state *s, const char *dedup, const char *target,
                      const char *body, int64_t now);

#endif
