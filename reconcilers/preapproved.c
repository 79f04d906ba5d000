/*
 * preapproved.c - risk-based pre-approval (issue 7.2): a Policy's
 * spec.preApproved entries turn matching low-risk recommendations into plan
 * items without an Optimization spec.
 *
 * Stage: reconcile, called by the Policy reconciler.  Inputs: the Policy,
 * the pass's recommendations, Account specs (names and tags), the approval
 * evidence of the Policy's own commits.  Outputs: plan items (state planned,
 * policy and preapproval set, id "<policy>-<recommendation id>", stable
 * across passes) and the Policy's status.preApproved, one entry per
 * spec.preApproved saying what it matched, planned or refused and why.
 *
 * The rules, and why:
 *   - the pre-approval is itself approved by a reviewed commit of the Policy,
 *     judged by fc_approval_judge() exactly like an Optimization (approvers
 *     list, authored commit, signatures, the low-risk approval count of the
 *     account's Policy): there is no second checker;
 *   - only low-risk actions, on low-risk recommendations: anything else is
 *     refused even when listed, so high-impact changes still need an
 *     Optimization spec;
 *   - a resource an Optimization already targets is left to that
 *     Optimization; a resource two entries match is planned once.
 * Pure: no I/O; the plan and status own what they are given.
 */
#include "reconcilers/reconcilers_int.h"
#include "controller/core/fc_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The Account spec of account id `account`, or NULL. */
static const fc_object *account_spec(const fc_spec_set *set, const char *account)
{
    size_t i;
    for (i = 0; set && i < set->nobjects; i++)
        if (set->objects[i].kind == FC_KIND_ACCOUNT && set->objects[i].spec.account &&
            strcmp(set->objects[i].spec.account->account_id, account) == 0)
            return &set->objects[i];
    return NULL;
}

static int tags_match(const fc_account_spec *a, const fc_kv *want, unsigned nwant)
{
    unsigned i, j;
    for (i = 0; i < nwant; i++) {
        int found = 0;
        for (j = 0; a && j < a->ntags && !found; j++)
            found = strcmp(a->tags[j].key, want[i].key) == 0 &&
                    strcmp(a->tags[j].value, want[i].value) == 0;
        if (!found)
            return 0;
    }
    return 1;
}

int fc_preapproval_covers_account(const fc_spec_set *set, const fc_policy_preapproval *e,
                                  const char *account)
{
    const fc_object *a;
    unsigned i;
    int named = 0;

    if (!account || (!e->naccounts && !e->naccount_tags))
        return 0; /* never implicitly everywhere */
    for (i = 0; i < e->naccounts && !named; i++)
        named = fc_specs_account_matches(set, e->accounts[i], account);
    if (e->naccounts && !named)
        return 0;
    if (!e->naccount_tags)
        return 1;
    a = account_spec(set, account);
    return a && tags_match(a->spec.account, e->account_tags, e->naccount_tags);
}

int fc_preapproval_matches(const fc_spec_set *set, const fc_policy_preapproval *e,
                           const fc_recommendation *r)
{
    return e->rule && r->rule && strcmp(e->rule, r->rule) == 0 && e->action && r->action &&
           strcmp(e->action, r->action) == 0 &&
           fc_preapproval_covers_account(set, e, r->account);
}

static int planned_already(const fc_plan *plan, const fc_recommendation *r)
{
    size_t i;
    for (i = 0; i < plan->n; i++)
        if (plan->items[i].policy && strcmp(plan->items[i].resource, r->resource) == 0 &&
            strcmp(plan->items[i].account, r->account) == 0 &&
            strcmp(plan->items[i].action, r->action) == 0)
            return 1;
    return 0;
}

static int plan_add(fc_plan *plan, const char *policy, const fc_policy_preapproval *e,
                    const fc_recommendation *r, const char *approval)
{
    fc_plan_item *it = fc_plan_push(plan);
    if (!it)
        return FC_ENOMEM;
    it->optimization = fc_asprintf("%s-%s", policy, r->id);
    it->action = fc_strdup(r->action);
    it->account = fc_strdup(r->account);
    it->region = fc_strdup(r->region);
    it->resource = fc_strdup(r->resource);
    it->state = FC_PLAN_PLANNED;
    it->reason = fc_strdup("PreApproved");
    it->message = fc_asprintf("dry-run: would %s %s (pre-approved by Policy %s, %s; %s)",
                              r->action, r->resource, policy, e->name, approval);
    it->monthly_saving = r->monthly_saving;
    it->approved = 1;
    it->policy = fc_strdup(policy);
    it->preapproval = fc_strdup(e->name);
    if (!it->optimization || !it->action || !it->account || !it->region || !it->resource ||
        !it->reason || !it->message || !it->policy || !it->preapproval)
        return fc_error_set(FC_ENOMEM, "plan item");
    return FC_OK;
}

/* One spec.preApproved entry: its plan items and its status. */
static int one_entry(fc_pass *pass, const fc_object *obj, const fc_policy_preapproval *e,
                     struct json_object *st)
{
    const fc_policy_spec *p = obj->spec.policy;
    fc_risk risk = fc_action_risk(e->action);
    struct json_object *items = json_object_new_array();
    const char *reason = NULL, *state;
    char msg[512] = "", first[512] = "";
    size_t i, matched = 0, planned = 0, risky = 0, owned = 0;
    int approved = -1, rc = FC_OK;

    json_object_object_add(st, "name", json_object_new_string(e->name));
    json_object_object_add(st, "rule", json_object_new_string(e->rule));
    json_object_object_add(st, "action", json_object_new_string(e->action));
    json_object_object_add(st, "risk", json_object_new_string(fc_risk_name(risk)));
    if (risk != FC_RISK_LOW) {
        json_object_object_add(st, "state", json_object_new_string("Refused"));
        json_object_object_add(st, "reason", json_object_new_string("NotLowRisk"));
        snprintf(msg, sizeof(msg), "%s is %s risk: only low-risk actions can be "
                 "pre-approved; write an Optimization spec for it", e->action,
                 fc_risk_name(risk));
        json_object_object_add(st, "message", json_object_new_string(msg));
        json_object_put(items);
        return FC_OK;
    }
    for (i = 0; pass->recs && i < pass->recs->n && rc == FC_OK; i++) {
        const fc_recommendation *r = &pass->recs->items[i];
        const char *why;
        char m[512];
        int ok;
        if (!fc_preapproval_matches(pass->specs, e, r))
            continue;
        matched++;
        if (r->risk != FC_RISK_LOW) {
            risky++;
            continue;
        }
        if (fc_index_opt(pass, r->resource, r->account, NULL)) {
            owned++; /* an Optimization decides about it */
            continue;
        }
        ok = fc_approval_judge(pass, FC_KIND_POLICY, obj->metadata.name,
                               p->approval.approved_by, p->approval.napproved_by, r->account,
                               FC_RISK_LOW, &why, m, sizeof(m));
        if (!ok) {
            if (approved != 0) { /* the first refusal says why */
                reason = why;
                snprintf(first, sizeof(first), "%s", m);
            }
            approved = 0;
            continue;
        }
        if (approved < 0)
            approved = 1;
        if (planned_already(pass->plan, r))
            continue;
        if ((rc = plan_add(pass->plan, obj->metadata.name, e, r, m)) == FC_OK) {
            json_object_array_add(items, json_object_new_string(
                                             pass->plan->items[pass->plan->n - 1].optimization));
            planned++;
        }
    }
    if (rc != FC_OK) {
        json_object_put(items);
        return rc;
    }
    if (approved == 0) {
        state = "NotApproved";
        snprintf(msg, sizeof(msg), "%zu matching recommendation(s) not planned: %s", matched,
                 first);
    } else if (!matched) {
        /* Judged even without a match, so a wrong approval shows at once. */
        if (!fc_approval_judge(pass, FC_KIND_POLICY, obj->metadata.name,
                               p->approval.approved_by, p->approval.napproved_by, "",
                               FC_RISK_LOW, &reason, first, sizeof(first))) {
            state = "NotApproved";
            snprintf(msg, sizeof(msg), "%s", first);
        } else {
            state = "Active";
            reason = "NoMatch";
            snprintf(msg, sizeof(msg), "no %s recommendation in the accounts it covers",
                     e->rule);
        }
    } else {
        state = "Active";
        reason = "Planned";
        snprintf(msg, sizeof(msg), "%zu planned of %zu matching", planned, matched);
    }
    if (risky || owned) {
        size_t l = strlen(msg);
        snprintf(msg + l, sizeof(msg) - l, "%s%zu not low-risk, %zu left to their "
                 "Optimization", l ? "; " : "", risky, owned);
    }
    json_object_object_add(st, "state", json_object_new_string(state));
    json_object_object_add(st, "reason", json_object_new_string(reason));
    json_object_object_add(st, "message", json_object_new_string(msg));
    json_object_object_add(st, "matched", json_object_new_int64((int64_t)matched));
    json_object_object_add(st, "planned", items);
    return FC_OK;
}

int fc_preapproved_reconcile(fc_pass *pass, const fc_object *obj, struct json_object **out)
{
    const fc_policy_spec *p = obj->spec.policy;
    struct json_object *arr;
    unsigned i;
    int rc = FC_OK;

    *out = NULL;
    if (!p->npre_approved)
        return FC_OK;
    arr = json_object_new_array();
    for (i = 0; i < p->npre_approved && rc == FC_OK; i++) {
        struct json_object *st = json_object_new_object();
        json_object_array_add(arr, st);
        rc = pass->plan ? one_entry(pass, obj, &p->pre_approved[i], st) : FC_OK;
    }
    if (rc != FC_OK) {
        json_object_put(arr);
        return rc;
    }
    *out = arr;
    return FC_OK;
}
