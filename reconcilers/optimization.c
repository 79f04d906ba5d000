/*
 * optimization.c - reconciler for kind Optimization: is the target there,
 * does the action fit it, is it approved by enough people for its risk, and
 * what would run.  This stage plans only; the executor acts later, and only
 * on items planned here.
 */
#include "reconcilers/reconcilers_int.h"
#include "controller/core/fc_error.h"
#include "specs/fc_approvers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct {
    const char *action;
    fc_resource_type type;
    const char *needs_state;   /* NULL: any state */
    const char *done_state;    /* state in which there is nothing to do */
    fc_risk risk;
} action_rule;

static const action_rule rules[] = {
    {"stop", FC_RES_EC2_INSTANCE, "running", "stopped", FC_RISK_LOW},
    {"stop", FC_RES_RDS_INSTANCE, "available", "stopped", FC_RISK_LOW},
    {"start", FC_RES_EC2_INSTANCE, "stopped", "running", FC_RISK_LOW},
    {"rightsize", FC_RES_EC2_INSTANCE, NULL, NULL, FC_RISK_MEDIUM},
    {"modify-volume", FC_RES_EBS_VOLUME, NULL, NULL, FC_RISK_MEDIUM},
    {"snapshot-and-delete", FC_RES_EBS_VOLUME, "available", NULL, FC_RISK_MEDIUM},
    {"release-address", FC_RES_ELASTIC_IP, NULL, NULL, FC_RISK_LOW},
    {"delete-snapshot", FC_RES_EBS_SNAPSHOT, NULL, NULL, FC_RISK_HIGH},
};

static const char *param(const fc_optimization_spec *s, const char *key)
{
    unsigned i;
    for (i = 0; i < s->nparameters; i++)
        if (strcmp(s->parameters[i].key, key) == 0)
            return s->parameters[i].value;
    return NULL;
}

static fc_risk parse_risk(const char *s, fc_risk dflt)
{
    if (!s)
        return dflt;
    if (strcmp(s, "low") == 0)
        return FC_RISK_LOW;
    if (strcmp(s, "medium") == 0)
        return FC_RISK_MEDIUM;
    return FC_RISK_HIGH;
}

/* Approvals the first Policy (by name) covering the account asks for. */
static unsigned approvals_needed(const fc_spec_set *set, const char *account,
                                 fc_risk risk)
{
    size_t i;
    unsigned j;
    for (i = 0; i < set->nobjects; i++) {
        const fc_object *o = &set->objects[i];
        const fc_policy_spec *p;
        int covers;
        if (o->kind != FC_KIND_POLICY)
            continue;
        p = o->spec.policy;
        covers = p->naccounts == 0;
        for (j = 0; j < p->naccounts && !covers; j++)
            covers = fc_specs_account_matches(set, p->accounts[j], account);
        if (!covers)
            continue;
        return risk == FC_RISK_LOW ? p->approvals.low
               : risk == FC_RISK_MEDIUM ? p->approvals.medium
                                        : p->approvals.high;
    }
    return risk == FC_RISK_HIGH ? 2 : 1;
}

static const fc_approval_evidence *evidence_for(const fc_pass *pass, fc_kind kind,
                                                const char *name)
{
    size_t i;
    for (i = 0; i < pass->nevidence; i++)
        if ((pass->evidence[i].kind == FC_KIND_POLICY) == (kind == FC_KIND_POLICY) &&
            strcmp(pass->evidence[i].name, name) == 0)
            return &pass->evidence[i];
    return NULL;
}

fc_risk fc_action_risk(const char *action)
{
    fc_risk risk = FC_RISK_HIGH;
    int seen = 0;
    size_t i;
    for (i = 0; action && i < FC_ARRAY_LEN(rules); i++)
        if (strcmp(rules[i].action, action) == 0 && (!seen++ || rules[i].risk > risk))
            risk = rules[i].risk;
    return risk;
}

/* Did `identity` author a commit of the current content (with a good
 * signature when the repo asks for one)?  *sig_error gets a failed
 * signature's reason. */
static int authored(const fc_approval_evidence *ev, const char *identity, int verify,
                    const char **sig_error)
{
    size_t i;
    for (i = 0; ev && i < ev->nvotes; i++) {
        const fc_approval_vote *v = &ev->votes[i];
        if (strcasecmp(v->identity, identity) != 0)
            continue;
        if (!verify || v->signature == 1)
            return 1;
        if (v->signature_error)
            *sig_error = v->signature_error;
    }
    return 0;
}

/* Approval by reviewed commit (fc_reconcilers.h): the one judgement, for
 * Optimizations and Policy pre-approvals alike. */
int fc_approval_judge(const fc_pass *pass, fc_kind kind, const char *name,
                      char *const *approved_by, unsigned napproved_by, const char *account,
                      fc_risk risk, const char **reason, char *msg, size_t msize)
{
    const fc_approvers *list = pass->approvers;
    const fc_approval_evidence *ev = evidence_for(pass, kind, name);
    const char *sig_error = NULL;
    unsigned need = approvals_needed(pass->specs, account, risk);
    unsigned listed = 0, counted = 0, i, j;
    char who[256] = "", unknown[256] = "";

    if (!list) {
        *reason = "NoApproverList";
        snprintf(msg, msize, "no approver list: %s",
                 pass->approvers_error ? pass->approvers_error : "approvers.yaml is missing");
        return 0;
    }
    if (napproved_by == 0) {
        *reason = "NotApproved";
        snprintf(msg, msize, "%s risk needs %u distinct approver(s); approvedBy is empty",
                 fc_risk_name(risk), need);
        return 0;
    }
    for (i = 0; i < napproved_by; i++) {
        const char *id = approved_by[i];
        int dup = 0;
        for (j = 0; j < i && !dup; j++)
            dup = strcasecmp(approved_by[j], id) == 0;
        if (dup)
            continue;
        if (!fc_approvers_find(list, id)) {
            size_t l = strlen(unknown);
            snprintf(unknown + l, sizeof(unknown) - l, "%s%s", l ? ", " : "", id);
            continue;
        }
        listed++;
        if (authored(ev, id, list->verify_signatures, &sig_error)) {
            size_t l = strlen(who);
            snprintf(who + l, sizeof(who) - l, "%s%s", l ? ", " : "", id);
            counted++;
        }
    }
    if (counted >= need) {
        *reason = "Approved";
        snprintf(msg, msize, "approved by %s (%u of %u needed for %s risk)", who, counted,
                 need, fc_risk_name(risk));
        return 1;
    }
    if (listed == 0) {
        *reason = "UnknownApprover";
        snprintf(msg, msize, "approvedBy names %s; none is in the approver list", unknown);
    } else if (counted == 0 && sig_error) {
        *reason = "SignatureInvalid";
        snprintf(msg, msize, "the approving commit's signature does not verify: %s",
                 sig_error);
    } else if (counted == 0) {
        *reason = "ApprovalNotAuthored";
        snprintf(msg, msize,
                 "the current spec was last changed by %s in %.12s; an approver listed in "
                 "approvedBy must author the change",
                 ev && ev->last_author ? ev->last_author : "an unknown author",
                 ev ? ev->last_commit : "?");
    } else {
        *reason = "InsufficientApprovals";
        snprintf(msg, msize,
                 "%s risk needs %u distinct approvers who authored the change, has %u (%s)",
                 fc_risk_name(risk), need, counted, who);
    }
    if (unknown[0] && strlen(msg) + 40 < msize) {
        size_t l = strlen(msg);
        snprintf(msg + l, msize - l, "; not approvers: %s", unknown);
    }
    return 0;
}

static int judge_approval(const fc_pass *pass, const fc_object *obj, fc_risk risk,
                          const char **reason, char *msg, size_t msize)
{
    const fc_optimization_spec *s = obj->spec.optimization;
    return fc_approval_judge(pass, FC_KIND_OPTIMIZATION, obj->metadata.name,
                             s->approval.approved_by, s->approval.napproved_by,
                             s->target.account, risk, reason, msg, msize);
}

static int account_declared(const fc_spec_set *set, const char *account)
{
    size_t i;
    for (i = 0; i < set->nobjects; i++)
        if (set->objects[i].kind == FC_KIND_ACCOUNT &&
            strcmp(set->objects[i].spec.account->account_id, account) == 0)
            return 1;
    return 0;
}

static int plan_add(fc_plan *plan, const fc_object *obj, fc_plan_state st,
                    const char *reason, const char *message, double saving)
{
    const fc_optimization_spec *s = obj->spec.optimization;
    fc_plan_item *it = fc_plan_push(plan);
    if (!it)
        return FC_ENOMEM;
    it->optimization = fc_strdup(obj->metadata.name);
    it->action = fc_strdup(s->action);
    it->account = fc_strdup(s->target.account);
    it->region = fc_strdup(s->target.region);
    it->resource = fc_strdup(s->target.resource);
    it->state = st;
    it->reason = fc_strdup(reason);
    it->message = fc_strdup(message);
    it->monthly_saving = saving;
    if (!it->optimization || !it->action || !it->account || !it->region ||
        !it->resource || !it->reason || !it->message)
        return fc_error_set(FC_ENOMEM, "plan item");
    return FC_OK;
}

/* Works out the plan state for one Optimization; fills reason/message. */
static fc_plan_state judge(const fc_pass *pass, const fc_object *obj,
                           const fc_resource **res_out, fc_risk *risk_out,
                           const char **reason, char *msg, size_t msize,
                           const char **failed_cond, char *amsg, size_t amsize)
{
    const fc_optimization_spec *s = obj->spec.optimization;
    const fc_resource *r;
    const action_rule *rule = NULL;
    const char *want;
    size_t i;

    *res_out = NULL;
    *risk_out = FC_RISK_HIGH;
    if (!account_declared(pass->specs, s->target.account)) {
        *failed_cond = "TargetFound";
        *reason = "AccountNotDeclared";
        snprintf(msg, msize, "account %s is not declared by any Account spec",
                 s->target.account);
        return FC_PLAN_BLOCKED;
    }
    r = pass->inv ? fc_inventory_find(pass->inv, s->target.account, s->target.region,
                                      s->target.resource)
                  : NULL;
    if (!r) {
        *failed_cond = "TargetFound";
        *reason = "TargetNotFound";
        snprintf(msg, msize, "%s not found in account %s region %s",
                 s->target.resource, s->target.account, s->target.region);
        return FC_PLAN_BLOCKED;
    }
    *res_out = r;
    for (i = 0; i < FC_ARRAY_LEN(rules); i++)
        if (strcmp(rules[i].action, s->action) == 0 && rules[i].type == r->type)
            rule = &rules[i];
    if (!rule) {
        *failed_cond = "ActionValid";
        *reason = "ActionNotApplicable";
        snprintf(msg, msize, "action %s does not apply to a %s", s->action,
                 fc_resource_type_name(r->type));
        return FC_PLAN_BLOCKED;
    }
    *risk_out = parse_risk(s->risk, rule->risk);
    if (rule->done_state && r->state && strcmp(r->state, rule->done_state) == 0) {
        *failed_cond = NULL;
        *reason = "AlreadyApplied";
        snprintf(msg, msize, "%s is already %s", r->id, r->state);
        return FC_PLAN_NOOP;
    }
    if (rule->needs_state && (!r->state || strcmp(r->state, rule->needs_state) != 0)) {
        *failed_cond = "ActionValid";
        *reason = "WrongState";
        snprintf(msg, msize, "%s needs %s to be %s, it is %s", s->action, r->id,
                 rule->needs_state, r->state ? r->state : "unknown");
        return FC_PLAN_BLOCKED;
    }
    if (strcmp(s->action, "release-address") == 0 && r->attached_to) {
        *failed_cond = "ActionValid";
        *reason = "AddressInUse";
        snprintf(msg, msize, "%s is associated with %s", r->id, r->attached_to);
        return FC_PLAN_BLOCKED;
    }
    want = strcmp(s->action, "rightsize") == 0       ? param(s, "instanceType")
           : strcmp(s->action, "modify-volume") == 0 ? param(s, "volumeType")
                                                     : NULL;
    if (want && r->size_class && strcmp(want, r->size_class) == 0) {
        *failed_cond = NULL;
        *reason = "AlreadyApplied";
        snprintf(msg, msize, "%s is already %s", r->id, want);
        return FC_PLAN_NOOP;
    }
    if (!judge_approval(pass, obj, *risk_out, reason, msg, msize)) {
        *failed_cond = "Approved";
        return FC_PLAN_BLOCKED;
    }
    snprintf(amsg, amsize, "%s", msg);
    *failed_cond = NULL;
    *reason = "Planned";
    if (want)
        snprintf(msg, msize, "dry-run: would %s %s from %s to %s", s->action, r->id,
                 r->size_class ? r->size_class : "?", want);
    else
        snprintf(msg, msize, "dry-run: would %s %s", s->action, r->id);
    return FC_PLAN_PLANNED;
}

static const char *const cond_order[] = {"TargetFound", "ActionValid", "Approved"};

/* Approved at this commit, judged even when the plan stopped earlier (the
 * target is already in the wanted state, or gone after a delete): the
 * executor rolls back executed actions whose approval is withdrawn. */
static int still_approved(const fc_pass *pass, const fc_object *obj)
{
    const fc_optimization_spec *s = obj->spec.optimization;
    fc_risk risk = FC_RISK_HIGH;
    const char *reason;
    char msg[512];
    size_t i;
    if (!pass->approvers)
        return 1; /* a broken approver list is reported; it must not undo everything */
    for (i = 0; i < FC_ARRAY_LEN(rules); i++)
        if (strcmp(rules[i].action, s->action) == 0) {
            risk = rules[i].risk;
            break;
        }
    return judge_approval(pass, obj, parse_risk(s->risk, risk), &reason, msg, sizeof(msg));
}

/* Status keys below come in sorted order: fc_yw insists. */
static int write_optimization(fc_pass *pass, fc_yw *w, const fc_object *obj,
                              const fc_resource *r, const fc_recommendation *rec,
                              fc_plan_state st, fc_risk risk, const char *reason,
                              const char *failed, const char *msg, const char *amsg)
{
    const fc_optimization_spec *s = obj->spec.optimization;
    const char *eid, *estate; /* the executor's newest journal row */
    fc_sdoc d;
    unsigned j;
    size_t i;
    int rc, reached = 1;

    if ((rc = fc_sdoc_ybegin(&d, pass, w, "Optimization", "optimizations",
                             obj->metadata.name)))
        return rc;
    rc = fc_sdoc_cond(&d, pass, "Valid", 1, "SpecValid", "spec is valid");
    /* Conditions up to the failing check are True, the failing one False,
     * later ones are not evaluated and not reported. */
    for (i = 0; i < FC_ARRAY_LEN(cond_order) && rc == FC_OK && reached; i++) {
        if (failed && strcmp(failed, cond_order[i]) == 0) {
            rc = fc_sdoc_cond(&d, pass, cond_order[i], 0, reason, "%s", msg);
            reached = 0;
        } else if (st == FC_PLAN_NOOP && i > 0) {
            reached = 0;
        } else {
            rc = fc_sdoc_cond(&d, pass, cond_order[i], 1, "Checked", "%s",
                               i == 0 ? "target exists"
                               : i == 1 ? "action applies to the target"
                                        : amsg);
        }
    }
    if (rc == FC_OK)
        rc = fc_sdoc_cond(&d, pass, "Ready", st != FC_PLAN_BLOCKED, reason, "%s", msg);
    fc_yw_seq_end(w);
    if (fc_execution_latest(pass, obj->metadata.name, &eid, &estate)) {
        fc_yw_key(w, "execution");
        fc_yw_map_begin(w);
        fc_yw_kstr(w, "id", eid);
        fc_yw_kstr(w, "state", estate);
        fc_yw_map_end(w);
    }
    fc_sdoc_ycommit(&d, pass);
    fc_yw_key(w, "plan");
    fc_yw_map_begin(w);
    fc_yw_kstr(w, "action", s->action);
    fc_yw_key(w, "approvedBy");
    fc_yw_seq_begin(w);
    for (j = 0; j < s->approval.napproved_by; j++)
        fc_yw_str(w, s->approval.approved_by[j]);
    fc_yw_seq_end(w);
    if (rec)
        fc_yw_kstr(w, "currency", rec->currency);
    fc_yw_key(w, "dryRun");
    fc_yw_bool(w, !pass->live);
    fc_yw_kstr(w, "message", msg);
    if (rec) {
        fc_yw_key(w, "monthlySaving");
        fc_yw_number(w, rec->monthly_saving, 2);
        fc_yw_kstr(w, "recommendation", rec->id);
    }
    fc_yw_kstr(w, "risk", fc_risk_name(risk));
    fc_yw_kstr(w, "state", fc_plan_state_name(st));
    fc_yw_key(w, "target");
    fc_yw_map_begin(w);
    fc_yw_kstr(w, "account", s->target.account);
    if (r)
        fc_yw_kstr(w, "observedState", r->state);
    fc_yw_kstr(w, "region", s->target.region);
    fc_yw_kstr(w, "resource", s->target.resource);
    if (r)
        fc_yw_kstr(w, "type", fc_resource_type_name(r->type));
    fc_yw_map_end(w);
    if (rc == FC_OK)
        rc = fc_yw_map_end(w); /* plan */
    if (rc != FC_OK) {
        fc_sdoc_dispose(&d);
        return rc;
    }
    return fc_sdoc_yfinish(&d, pass);
}

int fc_reconcile_optimization(fc_pass *pass, const fc_object *obj)
{
    const fc_optimization_spec *s = obj->spec.optimization;
    const fc_resource *r;
    const fc_recommendation *rec =
        fc_index_rec(pass, s->target.resource, s->target.account, s->action);
    const char *reason, *failed = NULL;
    char msg[512], amsg[512] = "";
    fc_risk risk;
    fc_plan_state st;
    fc_yw w;
    int rc;

    st = judge(pass, obj, &r, &risk, &reason, msg, sizeof(msg), &failed, amsg, sizeof(amsg));
    if ((rc = plan_add(pass->plan, obj, st, reason, msg, rec ? rec->monthly_saving : 0)))
        return rc;
    pass->plan->items[pass->plan->n - 1].approved = still_approved(pass, obj);
    fc_yw_init(&w);
    rc = write_optimization(pass, &w, obj, r, rec, st, risk, reason, failed, msg, amsg);
    fc_yw_dispose(&w);
    return rc;
}
