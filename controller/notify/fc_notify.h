/*
 * fc_notify.h - budget alerts and their notifications.
 *
 * Two steps of a pass, around the status commit:
 *
 *   before the reconcilers  fc_notify_budget_alerts(): evaluates every
 *       Budget (fc_engine_budget_tree), raises and clears its threshold
 *       alerts in the state store (edge-triggered: one firing per crossing,
 *       key budget/<name>/<period start>/<actual|forecast>/<percent>), queues
 *       one notification per target of spec.notify for each firing, and
 *       returns the alert memory of the current periods for the status.
 *   after the push          fc_notify_flush(): sends the queued
 *       notifications (JSON webhook or Slack incoming webhook, libcurl, with
 *       retries).  A notification that still fails stays queued and is
 *       retried by the next pass, so a lost push or a down receiver loses
 *       nothing, and the store's unique key keeps it from being sent twice.
 *
 * Targets (spec.notify): webhook:<http(s) URL>, slack:<http(s) URL>,
 * webhook:env:VAR, slack:env:VAR (the URL is read from the environment at
 * send time, so a secret webhook stays out of git), or an email address,
 * which is accepted and reported as not delivered yet.  Webhook URLs are
 * secrets: logs and status name only their host.
 */
#ifndef FC_NOTIFY_H
#define FC_NOTIFY_H

#include "controller/core/fc_util.h"
#include "controller/engines/fc_engines.h"
#include "controller/state/fc_state.h"
#include "specs/fc_specs.h"

#include <stddef.h>
#include <stdint.h>

typedef enum { FC_NOTIFY_WEBHOOK, FC_NOTIFY_SLACK, FC_NOTIFY_EMAIL } fc_notify_kind;

const char *fc_notify_kind_name(fc_notify_kind k); /* webhook slack email */

/* One parsed target; pointers are borrowed from the spec string. */
typedef struct {
    fc_notify_kind kind;
    const char *url;      /* literal URL, or NULL */
    const char *env;      /* environment variable holding the URL, or NULL */
    const char *address;  /* email address, or NULL */
} fc_notify_target;

/* FC_EINVALID for a string spec validation would reject. */
int fc_notify_target_parse(fc_notify_target *out, const char *spec);
/* Safe to log and to write to status: "slack:hooks.slack.com",
 * "webhook:env:VAR", "email:a@example.com"; never a URL's path. */
void fc_notify_target_describe(char *buf, size_t size, const char *spec);
/* "host[:port]" of a URL, without credentials or path. */
void fc_notify_url_host(char *buf, size_t size, const char *url);

/* The generic JSON webhook body of one alert firing (also what is queued). */
int fc_notify_alert_json(fc_buf *out, const fc_budget_eval *ev,
                         const fc_threshold_eval *th, const char *key,
                         int64_t fired_at);
/* The body for a target kind from the queued JSON: itself for webhook,
 * {"text": ..., "blocks": [...]} for Slack. */
int fc_notify_render(fc_buf *out, fc_notify_kind kind, const char *event_json);

/* The alert key of one threshold of one period. */
void fc_notify_alert_key(char *buf, size_t size, const char *budget,
                         int64_t period_start, const char *type, double percent);

/*
 * Evaluates every valid Budget of set, updates the alert memory in s and
 * queues notifications for new firings (*nfired counts them).  `out` gets
 * every alert that ever fired in the current period of each budget, in
 * spec order.  Runs in one transaction; callers that must not change the
 * store (plan) pass commit = 0 and it is rolled back.
 */
int fc_notify_budget_alerts(fc_state *s, const fc_spec_set *set,
                            const fc_inventory *inv, int64_t now, int commit,
                            fc_budget_alert_list *out, size_t *nfired);

typedef struct {
    int retries;          /* after the first attempt, per pass; 0 = the
                             default 3, -1 = none */
    unsigned backoff_ms;  /* before the first retry, doubled; default 250 */
    long timeout_s;       /* whole request; default 10 */
    int max_attempts;     /* over all passes, then dropped; default 50 */
    /* Transport; NULL = libcurl POST of a JSON body.  Returns FC_OK with the
     * HTTP status, or a negative code when no response came. */
    int (*post)(void *payload, const char *url, const char *body, long *status);
    void *post_payload;
} fc_notify_opts;

typedef struct {
    size_t sent;
    size_t failed;   /* still queued for the next pass */
    size_t dropped;  /* gave up (max_attempts, missing env variable) */
} fc_notify_stats;

/* Sends every queued notification.  FC_OK unless the store fails; delivery
 * failures are counted, logged (host only) and kept for the next pass. */
int fc_notify_flush(fc_state *s, const fc_notify_opts *o, int64_t now,
                    fc_notify_stats *st);

/* Queued (unsent, not dropped) notifications. */
int fc_notify_pending(fc_state *s, size_t *n);

/*
 * The pass's two calls.  fc_notify_pass_alerts() runs
 * fc_notify_budget_alerts() on the pass's state store (NULL when it could
 * not be opened: the pass goes on without alert memory) and returns 1 when
 * alerts were evaluated; commit = 0 rolls it back (plan).
 * fc_notify_pass_flush() sends what is queued once the status is pushed
 * (options from FINOPS_NOTIFY_BACKOFF_MS, FINOPS_NOTIFY_TIMEOUT); a NULL
 * state is a no-op.  Neither fails the pass.
 */
int fc_notify_pass_alerts(fc_state *state, const fc_spec_set *set,
                          const fc_inventory *inv, int64_t now, int commit,
                          fc_budget_alert_list *out);
void fc_notify_pass_flush(fc_state *state, int64_t now);

#endif
