/*
 * budget.c - evaluates one Budget against the observed daily costs.
 *
 * Stage: engines (pure).  Inputs are a Budget object, the inventory's daily
 * cost rows and the clock `now`.  Output is an fc_budget_eval the caller
 * disposes: actual spend in the period so far, a forecast to the period's
 * end, percentages of the amount and which thresholds are crossed.
 *
 * Forecast = spend of the complete days observed + the average of the last
 * min(7, observed) complete days for every day after the last complete one.
 * Counting from the last observed day rather than from `now` keeps the
 * forecast right when cost data lags a day or two behind the clock.
 */
#include "controller/engines/fc_engines.h"
#include "controller/core/fc_error.h"
#include "controller/core/fc_util.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FORECAST_DAYS 7
#define PERCENT_EPSILON 1e-9   /* 80% of 100 must cross an 80% threshold */

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    int64_t era;
    int64_t yoe, doy, doe;
    while (m > 12) {
        m -= 12;
        y++;
    }
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int fc_budget_period(const char *period, int64_t now, int64_t *start,
                     int64_t *end)
{
    time_t tt = (time_t)now;
    struct tm tm;
    int64_t y;
    int m, first, months;

    if (!gmtime_r(&tt, &tm))
        return fc_error_set(FC_EINVALID, "time %lld out of range",
                            (long long)now);
    y = (int64_t)tm.tm_year + 1900;
    m = tm.tm_mon + 1;
    if (!period || strcmp(period, "monthly") == 0) {
        first = m;
        months = 1;
    } else if (strcmp(period, "quarterly") == 0) {
        first = (m - 1) / 3 * 3 + 1;
        months = 3;
    } else if (strcmp(period, "annual") == 0) {
        first = 1;
        months = 12;
    } else {
        return fc_error_set(FC_EINVALID,
                            "unknown budget period '%s' (monthly, quarterly, "
                            "annual)",
                            period);
    }
    *start = days_from_civil(y, first, 1) * FC_DAY;
    *end = days_from_civil(y, first + months, 1) * FC_DAY;
    return FC_OK;
}

void fc_budget_eval_dispose(fc_budget_eval *e)
{
    size_t i;
    if (!e)
        return;
    free(e->name);
    free(e->currency);
    for (i = 0; i < e->nthresholds; i++)
        free(e->thresholds[i].type);
    free(e->thresholds);
    memset(e, 0, sizeof(*e));
}

static int listed(char *const *list, unsigned n, const char *v)
{
    unsigned i;
    if (!list || n == 0)
        return 1;
    if (!v)
        return 0;
    for (i = 0; i < n; i++)
        if (list[i] && strcmp(list[i], v) == 0)
            return 1;
    return 0;
}

int fc_engine_budget(fc_budget_eval *out, const fc_object *budget,
                     const fc_inventory *inv, int64_t now)
{
    const fc_budget_spec *b;
    double *daily = NULL, complete_sum = 0, recent = 0;
    unsigned char *seen = NULL;
    int64_t start, end;
    size_t ndays, i;
    long last_complete = -1;
    int k = 0, rc;
    unsigned t;

    memset(out, 0, sizeof(*out));
    if (!budget || budget->kind != FC_KIND_BUDGET || !budget->spec.budget)
        return fc_error_set(FC_EINVALID, "not a Budget object");
    b = budget->spec.budget;
    if (!(b->amount > 0))
        return fc_error_set(FC_EINVALID, "budget %s: amount must be > 0",
                            budget->metadata.name ? budget->metadata.name : "");
    if ((rc = fc_budget_period(b->period, now, &start, &end)) != 0)
        return rc;
    ndays = (size_t)((end - start) / FC_DAY);
    daily = calloc(ndays, sizeof(*daily));
    seen = calloc(ndays, 1);
    if (!daily || !seen) {
        rc = fc_error_set(FC_ENOMEM, "out of memory");
        goto fail;
    }

    out->period_start = start;
    out->period_end = end;
    out->amount = b->amount;
    for (i = 0; inv && i < inv->ncosts; i++) {
        const fc_cost_row *c = &inv->costs[i];
        size_t d;
        if (c->day < start || c->day >= now || c->day >= end)
            continue;
        if (!listed(b->scope.accounts, b->scope.naccounts, c->account) ||
            !listed(b->scope.services, b->scope.nservices, c->service))
            continue;
        d = (size_t)((c->day - start) / FC_DAY);
        daily[d] += c->amount;
        seen[d] = 1;
        out->actual += c->amount;
    }
    for (i = 0; i < ndays; i++) {
        if (!seen[i])
            continue;
        out->days_observed++;
        /* Today's row, if a provider sends one, is a partial day. */
        if (start + (int64_t)(i + 1) * FC_DAY <= now) {
            complete_sum += daily[i];
            last_complete = (long)i;
        }
    }
    for (i = ndays; i-- > 0 && k < FORECAST_DAYS;)
        if (seen[i] && start + (int64_t)(i + 1) * FC_DAY <= now) {
            recent += daily[i];
            k++;
        }
    if (k > 0) {
        out->forecast = complete_sum + recent / k *
                        (double)((long)ndays - (last_complete + 1));
        if (out->forecast < out->actual)
            out->forecast = out->actual;
    } else {
        out->forecast = out->actual;
    }
    out->actual_percent = out->actual / b->amount * 100.0;
    out->forecast_percent = out->forecast / b->amount * 100.0;

    out->name = fc_strdup(budget->metadata.name ? budget->metadata.name : "");
    out->currency = fc_strdup(b->currency                 ? b->currency
                              : inv && inv->currency ? inv->currency
                                                     : "USD");
    if (!out->name || !out->currency) {
        rc = fc_error_set(FC_ENOMEM, "out of memory");
        goto fail;
    }
    if (b->nthresholds) {
        out->thresholds = calloc(b->nthresholds, sizeof(*out->thresholds));
        if (!out->thresholds) {
            rc = fc_error_set(FC_ENOMEM, "out of memory");
            goto fail;
        }
    }
    for (t = 0; t < b->nthresholds; t++) {
        const fc_budget_threshold *th = &b->thresholds[t];
        fc_threshold_eval *ev = &out->thresholds[t];
        int forecast = th->type && strcmp(th->type, "forecast") == 0;
        double pct = forecast ? out->forecast_percent : out->actual_percent;
        out->nthresholds++;
        ev->percent = th->percent;
        ev->crossed = pct + PERCENT_EPSILON >= th->percent;
        if (!(ev->type = fc_strdup(forecast ? "forecast" : "actual"))) {
            rc = fc_error_set(FC_ENOMEM, "out of memory");
            goto fail;
        }
    }
    free(daily);
    free(seen);
    return FC_OK;
fail:
    free(daily);
    free(seen);
    fc_budget_eval_dispose(out);
    return rc;
}
