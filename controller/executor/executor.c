/*
 * executor.c - runs approved plan items against the provider, journal first.
 *
 * Stage: execution (after the reconcilers, before the status commit).
 * Inputs: fc_executor_input (plan, specs, inventory, approvals, store,
 * provider lookup, clock, live flag).  Outputs: journal rows and an
 * fc_exec_report.  Nothing happens without live.
 *
 * Order per item, and why:
 *   1. already journaled (same optimization, spec commit and action)? skip:
 *      an action never runs twice -- unless resume put the row back to
 *      `planned` (the crash came before the provider call and describe
 *      shows the target untouched): then it is retried under the same id,
 *      every check below made again;
 *   2. window, rollback.requested, irreversibility, limits (per pass, per
 *      account and pass, per account and hour from the journal), stale
 *      inventory: cheap and local, so judged before the cloud is asked;
 *   3. describe the target now and compare with discovery (state, type,
 *      size, attachment): a target that changed is skipped (TargetChanged),
 *      never acted on blindly;
 *   4. journal row `started` (before-state, action, inverse) committed;
 *   5. provider apply, step by step (a snapshot must complete and its id is
 *      journaled as the inverse before the volume is deleted);
 *   6. verification: poll describe until the expected state or the Policy's
 *      verifyTimeoutSeconds: row `done` with the after-state, or `failed`
 *      and, with spec.rollback.onFailure, rolled back at once.
 *
 * Before any of that, every pass (dry-run too) looks for executed rows to
 * roll back (rollback_sweep); without live they are only reported.
 *
 * rightsize needs a stopped instance (EC2 cannot change the type of a
 * running one).  The executor does not stop and restart it by itself: an
 * unplanned restart is an outage nobody approved.  A running target is
 * skipped with reason InstanceRunning; approve a stop first.
 *
 * Ownership: the report owns its strings; everything in the input is
 * borrowed.
 */
#include "controller/executor/fc_executor.h"
#include "controller/core/fc_error.h"
#include "controller/core/fc_log.h"
#include "controller/core/crashpoint.h"
#include "controller/core/fc_util.h"

#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <errno.h>
#include <time.h>

#define DEFAULT_MAX_PER_PASS 5
#define DEFAULT_VERIFY_TIMEOUT 300
#define MAX_POLL_DELAY 30 /* seconds between verification polls, at most */
#define INTERRUPTED "interrupted; not retried automatically"

/* ---- report ---------------------------------------------------------- */

void fc_exec_report_init(fc_exec_report *r)
{
    memset(r, 0, sizeof(*r));
}

void fc_exec_report_dispose(fc_exec_report *r)
{
    size_t i;
    for (i = 0; i < r->n; i++) {
        free(r->items[i].optimization);
        free(r->items[i].id);
        free(r->items[i].result);
        free(r->items[i].reason);
        free(r->items[i].message);
    }
    free(r->items);
    memset(r, 0, sizeof(*r));
}

static int outcome(fc_exec_report *r, const char *opt, const char *id, const char *result,
                   const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static int outcome(fc_exec_report *r, const char *opt, const char *id, const char *result,
                   const char *reason, const char *fmt, ...)
{
    fc_exec_outcome *o;
    char msg[1024];
    va_list ap;

    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 8;
        fc_exec_outcome *p = realloc(r->items, cap * sizeof(*p));
        if (!p)
            return fc_error_set(FC_ENOMEM, "out of memory");
        r->items = p;
        r->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    o = &r->items[r->n];
    memset(o, 0, sizeof(*o));
    o->optimization = fc_strdup(opt);
    o->id = id ? fc_strdup(id) : NULL;
    o->result = fc_strdup(result);
    o->reason = reason ? fc_strdup(reason) : NULL;
    o->message = fc_strdup(msg);
    r->n++;
    if (strcmp(result, "done") == 0)
        r->done++;
    else if (strcmp(result, "failed") == 0)
        r->failed++;
    else
        r->skipped++;
    if (!o->optimization || !o->result || !o->message || (id && !o->id) ||
        (reason && !o->reason))
        return fc_error_set(FC_ENOMEM, "out of memory");
    return FC_OK;
}

/* ---- pure parts: window, mapping, policy ----------------------------- */

static const char *const day_names[7] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

static int parse_hhmm(const char *s, int *minutes)
{
    int h, m;
    char extra;
    if (!s || sscanf(s, "%2d:%2d%c", &h, &m, &extra) != 2 || h < 0 || h > 24 || m < 0 ||
        m > 59 || (h == 24 && m != 0))
        return -1;
    *minutes = h * 60 + m;
    return 0;
}

static int day_allowed(const fc_opt_window *w, int wday)
{
    unsigned i;
    if (!w->days || w->ndays == 0)
        return 1;
    for (i = 0; i < w->ndays; i++)
        if (w->days[i] && strcmp(w->days[i], day_names[wday]) == 0)
            return 1;
    return 0;
}

int fc_executor_in_window(const fc_opt_window *w, int64_t now)
{
    int64_t days = now >= 0 ? now / FC_DAY : -((-now + FC_DAY - 1) / FC_DAY);
    int minute = (int)((now - days * FC_DAY) / 60);
    int wday = (int)(((days % 7) + 7 + 4) % 7); /* 1970-01-01 was a Thursday */
    int start = 0, end = 24 * 60;

    if (!w)
        return 1;
    if (w->timezone && strcmp(w->timezone, "UTC") != 0 && strcmp(w->timezone, "Etc/UTC") != 0)
        return 0; /* only UTC windows are understood: never guess */
    if ((w->start && parse_hhmm(w->start, &start) != 0) ||
        (w->end && parse_hhmm(w->end, &end) != 0))
        return 0;
    if (start == end)
        return day_allowed(w, wday);
    if (start < end)
        return minute >= start && minute < end && day_allowed(w, wday);
    /* Spans midnight: after it, the window belongs to the previous day. */
    if (minute >= start)
        return day_allowed(w, wday);
    return minute < end && day_allowed(w, (wday + 6) % 7);
}

static const struct {
    const char *action;
    fc_exec_mapping map;
} mappings[] = {
    {"stop", {{"stop-instances", NULL}, 1, "start-instances", FC_RES_EC2_INSTANCE, "running"}},
    {"start", {{"start-instances", NULL}, 1, "stop-instances", FC_RES_EC2_INSTANCE, "stopped"}},
    {"rightsize",
     {{"modify-instance-type", NULL}, 1, "modify-instance-type", FC_RES_EC2_INSTANCE, "stopped"}},
    {"modify-volume",
     {{"modify-volume-type", NULL}, 1, "modify-volume-type", FC_RES_EBS_VOLUME, NULL}},
    {"snapshot-and-delete",
     {{"create-snapshot", "delete-volume"}, 2, "create-volume-from-snapshot", FC_RES_EBS_VOLUME,
      NULL}},
    {"release-address", {{"release-address", NULL}, 1, NULL, FC_RES_ELASTIC_IP, NULL}},
    {"delete-snapshot", {{"delete-snapshot", NULL}, 1, NULL, FC_RES_EBS_SNAPSHOT, NULL}},
};

int fc_executor_map(const char *action, fc_exec_mapping *out)
{
    size_t i;
    memset(out, 0, sizeof(*out));
    for (i = 0; action && i < FC_ARRAY_LEN(mappings); i++)
        if (strcmp(mappings[i].action, action) == 0) {
            *out = mappings[i].map;
            return FC_OK;
        }
    return fc_error_set(FC_EUNSUPPORTED, "the executor cannot run action %s",
                        action ? action : "(none)");
}

static int policy_covers(const fc_spec_set *specs, const fc_policy_spec *p, const char *account)
{
    unsigned i;
    if (!p->accounts || p->naccounts == 0)
        return 1;
    for (i = 0; i < p->naccounts; i++)
        if (fc_specs_account_matches(specs, p->accounts[i], account))
            return 1;
    return 0;
}

/* The stricter of two limits where 0 means none. */
static unsigned min_limit(unsigned a, unsigned b)
{
    if (!a)
        return b;
    if (!b)
        return a;
    return a < b ? a : b;
}

void fc_executor_limits(const fc_spec_set *specs, const char *account, fc_exec_limits *out)
{
    size_t i;
    int any = 0, all = 1, seen = 0;
    memset(out, 0, sizeof(*out));
    out->per_pass = DEFAULT_MAX_PER_PASS;
    out->verify_timeout = DEFAULT_VERIFY_TIMEOUT;
    for (i = 0; specs && i < specs->nobjects; i++) {
        const fc_object *ob = &specs->objects[i];
        const fc_policy_spec *p;
        if (ob->kind != FC_KIND_POLICY || ob->suspended)
            continue;
        p = ob->spec.policy;
        if (!seen++ || p->limits.max_actions_per_pass < out->per_pass)
            out->per_pass = p->limits.max_actions_per_pass;
        if (seen == 1 || p->limits.verify_timeout_seconds < out->verify_timeout)
            out->verify_timeout = p->limits.verify_timeout_seconds;
        if (account && policy_covers(specs, p, account)) {
            any = 1;
            all &= p->irreversible != 0;
            out->per_account = min_limit(out->per_account, p->limits.max_actions_per_account);
            out->per_hour = min_limit(out->per_hour, p->limits.max_actions_per_hour);
        }
    }
    out->irreversible = any && all;
}

void fc_executor_policy(const fc_spec_set *specs, const char *account, unsigned *max_per_pass,
                        int *irreversible)
{
    fc_exec_limits l;
    fc_executor_limits(specs, account, &l);
    *max_per_pass = l.per_pass;
    *irreversible = l.irreversible;
}

/* ---- JSON helpers ----------------------------------------------------- */

static json_object *resource_json(const fc_resource *r)
{
    json_object *o = json_object_new_object(), *tags = json_object_new_object();
    size_t i;
    json_object_object_add(o, "id", json_object_new_string(r->id ? r->id : ""));
    json_object_object_add(o, "type", json_object_new_string(fc_resource_type_name(r->type)));
    json_object_object_add(o, "account", json_object_new_string(r->account ? r->account : ""));
    json_object_object_add(o, "region", json_object_new_string(r->region ? r->region : ""));
    if (r->state)
        json_object_object_add(o, "state", json_object_new_string(r->state));
    if (r->size_class)
        json_object_object_add(o, "sizeClass", json_object_new_string(r->size_class));
    if (r->size > 0)
        json_object_object_add(o, "size", json_object_new_double(r->size));
    if (r->attached_to)
        json_object_object_add(o, "attachedTo", json_object_new_string(r->attached_to));
    for (i = 0; i < r->ntags; i++)
        json_object_object_add(tags, r->tags[i].key, json_object_new_string(r->tags[i].value));
    json_object_object_add(o, "tags", tags);
    return o;
}

/* Owned copy of the JSON text; NULL on allocation failure. */
static char *json_text(json_object *o)
{
    char *s = fc_strdup(json_object_to_json_string_ext(
        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
    return s;
}

static json_object *step_json(const char *kind, const char *resource, const char *k1,
                              const char *v1, const char *k2, const char *v2)
{
    json_object *s = json_object_new_object(), *p = json_object_new_object();
    json_object_object_add(s, "kind", json_object_new_string(kind));
    json_object_object_add(s, "resource", json_object_new_string(resource));
    if (k1 && v1)
        json_object_object_add(p, k1, json_object_new_string(v1));
    if (k2 && v2)
        json_object_object_add(p, k2, json_object_new_string(v2));
    json_object_object_add(s, "params", p);
    return s;
}

static const char *jget(json_object *o, const char *key)
{
    json_object *v;
    if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

/* Is identity in the object's approval.approvedBy?  Authors of the content
 * who are not named there never approved it; they stay out of the record.
 * Unknown object (a test without specs): everyone who authored it. */
static int named_approver(const fc_executor_input *in, fc_kind kind, const char *name,
                          const char *identity)
{
    const fc_object *o = fc_specs_find(in->specs, kind, name);
    char *const *by = NULL;
    unsigned n = 0, i;
    if (!o || !o->spec.any)
        return 1;
    if (kind == FC_KIND_POLICY) {
        by = o->spec.policy->approval.approved_by;
        n = o->spec.policy->approval.napproved_by;
    } else {
        by = o->spec.optimization->approval.approved_by;
        n = o->spec.optimization->approval.napproved_by;
    }
    for (i = 0; identity && i < n; i++)
        if (strcasecmp(by[i], identity) == 0)
            return 1;
    return 0;
}

static char *approvers_json(const fc_executor_input *in, fc_kind kind, const char *name)
{
    json_object *arr = json_object_new_array();
    size_t i, j;
    for (i = 0; i < in->nevidence; i++) {
        const fc_approval_evidence *e = &in->evidence[i];
        if (!e->name || strcmp(e->name, name) != 0 ||
            (e->kind == FC_KIND_POLICY) != (kind == FC_KIND_POLICY))
            continue;
        for (j = 0; j < e->nvotes; j++) {
            json_object *v;
            if (!named_approver(in, kind, name, e->votes[j].identity))
                continue;
            v = json_object_new_object();
            json_object_object_add(v, "identity",
                                   json_object_new_string(e->votes[j].identity
                                                              ? e->votes[j].identity : ""));
            json_object_object_add(v, "commit", json_object_new_string(e->votes[j].commit));
            json_object_array_add(arr, v);
        }
    }
    return json_text(arr);
}

/* ---- resume ------------------------------------------------------------ */

static int same_str(const char *a, const char *b);
static int verify(const fc_executor_input *in, fc_cloud *cloud, const char *role,
                  fc_resource_type type, const char *account, const char *region,
                  const char *id, json_object *expect, unsigned timeout, fc_resource *cur,
                  int *gone);

/* Did the change the row describes happen?  1 yes, 0 no. */
static int change_happened(json_object *expect, int gone, const fc_resource *now)
{
    const char *st = jget(expect, "state"), *sc = jget(expect, "sizeClass");
    json_object *g;
    if (json_object_object_get_ex(expect, "gone", &g) && json_object_get_boolean(g))
        return gone;
    if (gone)
        return 0;
    if (st && (!now->state || strcmp(st, now->state) != 0))
        return 0;
    if (sc && (!now->size_class || strcmp(sc, now->size_class) != 0))
        return 0;
    return st || sc;
}

static char *gone_json(const char *id)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_string(id));
    json_object_object_add(o, "gone", json_object_new_boolean(1));
    return json_text(o);
}

/* The target is still as the row recorded it before the call, in the
 * fields the action changes: the call never went out. */
static int still_before(json_object *expect, json_object *before, int gone,
                        const fc_resource *cur)
{
    json_object *g;
    int before_gone = json_object_object_get_ex(before, "gone", &g) &&
                      json_object_get_boolean(g);
    if (!before || gone || before_gone)
        return gone && before_gone;
    if (jget(expect, "sizeClass") && !same_str(jget(before, "sizeClass"), cur->size_class))
        return 0;
    if (!jget(expect, "sizeClass") && !same_str(jget(before, "state"), cur->state))
        return 0;
    return 1;
}

/* A step that makes a new resource (a snapshot, a restored volume) cannot
 * be matched to its call afterwards, so a retry could make a second one. */
static int creates_resource(json_object *action)
{
    json_object *steps;
    size_t k;
    if (!json_object_object_get_ex(action, "steps", &steps) ||
        !json_object_is_type(steps, json_type_array))
        return 0;
    for (k = 0; k < json_object_array_length(steps); k++) {
        const char *kind = jget(json_object_array_get_idx(steps, k), "kind");
        if (kind && strncmp(kind, "create-", 7) == 0 && strcmp(kind, "create-tags") != 0)
            return 1;
    }
    return 0;
}

static int mark_happened(fc_state *s, const fc_exec_record *r, int gone,
                         const fc_resource *cur, int64_t now)
{
    char *after = gone ? gone_json(r->resource) : json_text(resource_json(cur));
    int rc;
    if (!after)
        return fc_error_set(FC_ENOMEM, "out of memory");
    rc = fc_journal_update(s, r->id, FC_EXEC_DONE, after, NULL, NULL, now);
    if (rc == FC_OK && r->parent) /* an interrupted rollback that happened */
        rc = fc_journal_update(s, r->parent, FC_EXEC_ROLLED_BACK, NULL, NULL, NULL, 0);
    fc_info("execution %s: interrupted after the change; marked done", r->id);
    free(after);
    return rc;
}

/*
 * One row left `started` by a crash.  Did the change happen?  Yes: done.
 * The target still in its before-state: the call never went out, so the
 * row goes back to `planned` and the next execution retries it under the
 * same id (after every check again), unless it was started
 * FC_EXEC_MAX_ATTEMPTS times already or a retry could duplicate a created
 * resource.  Anything in between (stopping, modifying): poll as the
 * verification does, and decide on what the poll shows; never re-send.
 */
static int settle(const fc_executor_input *in, const fc_exec_record *r, int *settled)
{
    fc_state *s = in->state;
    json_object *action = NULL, *expect = NULL, *before = NULL;
    fc_cloud *cloud = NULL;
    const char *role = NULL, *type_s;
    fc_resource cur;
    fc_exec_limits lim;
    char *after = NULL, msg[512];
    int rc, type, gone = 0;

    memset(&cur, 0, sizeof(cur));
    *settled = 0;
    if (!(action = json_tokener_parse(r->action ? r->action : "")) ||
        !(type_s = jget(action, "type")) || (type = fc_resource_type_parse(type_s)) < 0) {
        rc = fc_journal_update(s, r->id, FC_EXEC_FAILED, NULL, NULL,
                               INTERRUPTED " (unreadable action)", in->now);
        *settled = rc == FC_OK;
        goto done;
    }
    json_object_object_get_ex(action, "expect", &expect);
    before = json_tokener_parse(r->before ? r->before : "");
    if ((rc = in->cloud_for(in->payload, r->account, &cloud, &role)) != FC_OK) {
        fc_warn("execution %s: cannot check its target yet: %s", r->id, fc_error_last());
        rc = FC_OK; /* stays started; the next run tries again */
        goto done;
    }
    rc = fc_cloud_describe(cloud, (fc_resource_type)type, r->account, r->region, role,
                           r->resource, &cur);
    if (rc == FC_ENOTFOUND)
        gone = 1;
    else if (rc != FC_OK) {
        fc_warn("execution %s: cannot check its target yet: %s", r->id, fc_error_last());
        rc = FC_OK;
        goto done;
    }
    if (change_happened(expect, gone, &cur)) {
        rc = mark_happened(s, r, gone, &cur, in->now);
        *settled = rc == FC_OK;
        goto done;
    }
    if (!still_before(expect, before, gone, &cur)) {
        /* In between: wait for it like a verification, then judge again. */
        fc_executor_limits(in->specs, r->account, &lim);
        fc_info("execution %s: interrupted with %s %s; polling", r->id, r->resource,
                gone ? "gone" : cur.state ? cur.state : "in an unknown state");
        if (verify(in, cloud, role, (fc_resource_type)type, r->account, r->region,
                   r->resource, expect, lim.verify_timeout, &cur, &gone)) {
            rc = mark_happened(s, r, gone, &cur, in->now);
            *settled = rc == FC_OK;
            goto done;
        }
        if (!still_before(expect, before, gone, &cur)) {
            after = gone ? gone_json(r->resource) : cur.id ? json_text(resource_json(&cur))
                                                           : NULL;
            snprintf(msg, sizeof(msg), "interrupted; %s stayed %s for %u s, neither as "
                     "before nor as expected; not re-sent", r->resource,
                     gone ? "gone" : cur.state ? cur.state : "unknown", lim.verify_timeout);
            rc = fc_journal_update(s, r->id, FC_EXEC_FAILED, after, NULL, msg, in->now);
            fc_warn("execution %s: %s", r->id, msg);
            *settled = rc == FC_OK;
            goto done;
        }
    }
    /* The call never went out (or left nothing behind). */
    if (creates_resource(action)) {
        rc = fc_journal_update(s, r->id, FC_EXEC_FAILED, NULL, NULL,
                               INTERRUPTED " (it creates a resource a retry could "
                               "duplicate)", in->now);
        fc_warn("execution %s: interrupted before the change; marked failed", r->id);
    } else if (r->attempts >= FC_EXEC_MAX_ATTEMPTS) {
        snprintf(msg, sizeof(msg), "interrupted before the provider call %d times; "
                 "not retried again", r->attempts);
        rc = fc_journal_update(s, r->id, FC_EXEC_FAILED, NULL, NULL, msg, in->now);
        fc_warn("execution %s: %s", r->id, msg);
    } else {
        snprintf(msg, sizeof(msg), "interrupted before the provider call (attempt %d); "
                 "retried at the next execution", r->attempts > 0 ? r->attempts : 1);
        rc = fc_journal_update(s, r->id, FC_EXEC_PLANNED, NULL, NULL, msg, 0);
        fc_info("execution %s: %s", r->id, msg);
    }
    *settled = rc == FC_OK;
done:
    free(after);
    fc_resource_dispose(&cur);
    json_object_put(action);
    json_object_put(before);
    return rc;
}

static int resume_rows(const fc_executor_input *in, size_t *nsettled)
{
    fc_exec_list rows;
    size_t i;
    int rc, one;

    if (nsettled)
        *nsettled = 0;
    fc_exec_list_init(&rows);
    if ((rc = fc_journal_migrate(in->state)) != FC_OK ||
        (rc = fc_journal_list(in->state, FC_EXEC_STARTED, &rows)) != FC_OK)
        goto done;
    for (i = 0; i < rows.n; i++) {
        if ((rc = settle(in, &rows.items[i], &one)) != FC_OK)
            goto done;
        if (nsettled)
            *nsettled += (size_t)one;
    }
done:
    fc_exec_list_dispose(&rows);
    return rc;
}

int fc_executor_resume(fc_state *s, fc_executor_cloud_fn cloud_for, void *payload,
                       int64_t now, size_t *nsettled)
{
    fc_executor_input in;
    memset(&in, 0, sizeof(in));
    in.state = s;
    in.cloud_for = cloud_for;
    in.payload = payload;
    in.now = now;
    return resume_rows(&in, nsettled);
}

/* ---- one plan item ------------------------------------------------------ */

static const char *opt_param(const fc_optimization_spec *s, const char *key)
{
    unsigned i;
    for (i = 0; i < s->nparameters; i++)
        if (s->parameters[i].key && strcmp(s->parameters[i].key, key) == 0)
            return s->parameters[i].value;
    return NULL;
}

static int same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Applies one provider step built from a JSON step.  A step whose resource
 * is CREATED acts on the id the previous step created (re-tagging a volume
 * restored from its snapshot). */
#define CREATED "@created"
static int apply_step(fc_cloud *cloud, const char *role, const char *account,
                      const char *region, const char *token, json_object *step,
                      const char *created, fc_action_result *res)
{
    json_object *params = NULL;
    fc_tag tags[16];
    fc_action a;
    size_t n = 0;

    memset(&a, 0, sizeof(a));
    if (json_object_object_get_ex(step, "params", &params)) {
        json_object_object_foreach(params, k, v) {
            if (n == FC_ARRAY_LEN(tags))
                break;
            tags[n].key = k;
            tags[n].value = (char *)json_object_get_string(v);
            n++;
        }
    }
    a.kind = jget(step, "kind");
    a.account = account;
    a.region = region;
    a.resource = jget(step, "resource");
    if (a.resource && strcmp(a.resource, CREATED) == 0) {
        if (!created)
            return fc_error_set(FC_EINVALID, "%s: no resource was created before it",
                                a.kind ? a.kind : "step");
        a.resource = created;
    }
    a.params = tags;
    a.nparams = n;
    a.role_arn = role;
    a.client_token = token;
    return fc_cloud_apply(cloud, &a, res);
}

static void default_sleep(void *payload, unsigned seconds)
{
    struct timespec ts = {(time_t)seconds, 0};
    (void)payload;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/*
 * Verification: describes the resource until it shows what expect says
 * (change_happened), waiting 1, 2, 4 ... MAX_POLL_DELAY seconds between
 * polls and giving up once the waits add up to timeout.  Returns 1 when
 * reached (cur holds the resource, or *gone is set), 0 when not.  The time
 * is the sum of the waits, not a clock: the same answers poll the same way.
 */
static int verify(const fc_executor_input *in, fc_cloud *cloud, const char *role,
                  fc_resource_type type, const char *account, const char *region,
                  const char *id, json_object *expect, unsigned timeout, fc_resource *cur,
                  int *gone)
{
    void (*sleep_fn)(void *, unsigned) = in->sleep_fn ? in->sleep_fn : default_sleep;
    unsigned waited = 0, delay = 1;
    int rc;

    for (;;) {
        fc_resource_dispose(cur);
        rc = fc_cloud_describe(cloud, type, account, region, role, id, cur);
        *gone = rc == FC_ENOTFOUND;
        if ((rc == FC_OK || *gone) && change_happened(expect, *gone, cur))
            return 1;
        if (waited >= timeout)
            return 0;
        if (delay > timeout - waited)
            delay = timeout - waited;
        sleep_fn(in->sleep_payload, delay);
        waited += delay;
        delay = delay * 2 > MAX_POLL_DELAY ? MAX_POLL_DELAY : delay * 2;
    }
}

typedef struct {
    char *account;
    unsigned n;
} account_count;

typedef struct {
    const fc_executor_input *in;
    fc_exec_report *rep;
    unsigned executed;
    account_count *accounts; /* actions sent this pass, per account */
    size_t naccounts;
} run_ctx;

static unsigned *account_slot(run_ctx *x, const char *account)
{
    account_count *p;
    size_t i;
    for (i = 0; i < x->naccounts; i++)
        if (strcmp(x->accounts[i].account, account) == 0)
            return &x->accounts[i].n;
    if (!(p = realloc(x->accounts, (x->naccounts + 1) * sizeof(*p))))
        return NULL;
    x->accounts = p;
    if (!(p[x->naccounts].account = fc_strdup(account)))
        return NULL;
    p[x->naccounts].n = 0;
    return &p[x->naccounts++].n;
}

/* Counts an action sent in account (limits are judged before sending). */
static int count_action(run_ctx *x, const char *account)
{
    unsigned *n = account_slot(x, account);
    if (!n)
        return fc_error_set(FC_ENOMEM, "out of memory");
    x->executed++;
    (*n)++;
    return FC_OK;
}

/* Same resource as discovery saw it: type, state, size and attachment. */
static int target_changed(const fc_resource *seen, const fc_resource *cur, char *why,
                          size_t size)
{
    if (!seen) {
        snprintf(why, size, "%s was not seen at discovery", cur->id ? cur->id : "?");
        return 1;
    }
    if (seen->type != cur->type)
        snprintf(why, size, "%s is a %s now, a %s at discovery", cur->id,
                 fc_resource_type_name(cur->type), fc_resource_type_name(seen->type));
    else if (!same_str(seen->state, cur->state))
        snprintf(why, size, "%s is %s now, %s at discovery", cur->id,
                 cur->state ? cur->state : "unknown", seen->state ? seen->state : "unknown");
    else if (!same_str(seen->size_class, cur->size_class))
        snprintf(why, size, "%s is of type %s now, %s at discovery", cur->id,
                 cur->size_class ? cur->size_class : "unknown",
                 seen->size_class ? seen->size_class : "unknown");
    else if (seen->size != cur->size)
        snprintf(why, size, "%s has size %g now, %g at discovery", cur->id, cur->size,
                 seen->size);
    else if (!same_str(seen->attached_to, cur->attached_to))
        snprintf(why, size, "%s is attached to %s now, %s at discovery", cur->id,
                 cur->attached_to ? cur->attached_to : "nothing",
                 seen->attached_to ? seen->attached_to : "nothing");
    else
        return 0;
    return 1;
}

static int run_rollback(run_ctx *x, const fc_exec_record *orig, const char *reason,
                        const char *why);

static int run_item(run_ctx *x, const fc_plan_item *it)
{
    const fc_executor_input *in = x->in;
    /* A pre-approved item (it->policy) has no Optimization spec: no window,
     * no parameters, no rollback settings; the Policy stands for it. */
    const fc_object *ob = it->policy
                              ? fc_specs_find(in->specs, FC_KIND_POLICY, it->policy)
                              : fc_specs_find(in->specs, FC_KIND_OPTIMIZATION, it->optimization);
    const fc_optimization_spec *spec = NULL;
    const fc_resource *seen;
    fc_exec_mapping m;
    fc_exec_record row, old;
    fc_resource cur;
    fc_action_result res;
    fc_cloud *cloud = NULL;
    const char *role = NULL, *want = NULL;
    json_object *action = NULL, *steps = NULL, *expect = NULL, *inverse = NULL;
    char id[256], token[64], why[512];
    char *after = NULL, *inverse_s = NULL, *err = NULL;
    fc_exec_limits lim;
    int rc, gone = 0, retry = 0;
    size_t k;

    memset(&row, 0, sizeof(row));
    memset(&old, 0, sizeof(old));
    memset(&cur, 0, sizeof(cur));
    memset(&res, 0, sizeof(res));
    if (it->policy && (!ob || !ob->spec.policy)) {
        rc = outcome(x->rep, it->optimization, NULL, "skipped", "SpecMissing",
                     "no valid Policy named %s pre-approves it", it->policy);
        goto done;
    }
    if (!it->policy && (!ob || !(spec = ob->spec.optimization))) {
        rc = outcome(x->rep, it->optimization, NULL, "skipped", "SpecMissing",
                     "no valid Optimization named %s", it->optimization);
        goto done;
    }
    if (it->policy && fc_action_risk(it->action) != FC_RISK_LOW) {
        rc = outcome(x->rep, it->optimization, NULL, "skipped", "NotLowRisk",
                     "%s is %s risk: a Policy pre-approves low-risk actions only",
                     it->action, fc_risk_name(fc_action_risk(it->action)));
        goto done;
    }
    if (fc_executor_map(it->action, &m) != FC_OK) {
        rc = outcome(x->rep, it->optimization, NULL, "skipped", "UnsupportedAction",
                     "the executor does not run %s", it->action);
        goto done;
    }
    if ((rc = fc_journal_id(id, sizeof(id), it->optimization, in->commit, it->action)) != FC_OK)
        goto done;
    rc = fc_journal_get(in->state, id, &old);
    if (rc == FC_OK && old.state != FC_EXEC_PLANNED) {
        rc = outcome(x->rep, it->optimization, id, "skipped", "AlreadyExecuted",
                     "execution %s is %s; never run twice", id, fc_exec_state_name(old.state));
        goto done;
    }
    /* planned: a crash stopped it before the call; retried under its id. */
    retry = rc == FC_OK;
    if (rc != FC_OK && rc != FC_ENOTFOUND)
        goto done;
    if (spec && !fc_executor_in_window(spec->window, in->now)) {
        rc = outcome(x->rep, it->optimization, NULL, "skipped", "OutsideWindow",
                     "outside spec.window (%s-%s %s)", spec->window->start ? spec->window->start : "00:00",
                     spec->window->end ? spec->window->end : "24:00",
                     spec->window->timezone ? spec->window->timezone : "UTC");
        goto done;
    }
    if (spec && spec->rollback.requested) {
        rc = outcome(x->rep, it->optimization, NULL, "skipped", "RollbackRequested",
                     "spec.rollback.requested is set: nothing runs forward");
        goto done;
    }
    fc_executor_limits(in->specs, it->account, &lim);
    if (!m.inverse && !lim.irreversible) {
        rc = outcome(x->rep, it->optimization, NULL, "skipped", "Irreversible",
                     "%s cannot be undone; a Policy covering account %s must set "
                     "irreversible: true", it->action, it->account);
        goto done;
    }
    if (x->executed >= lim.per_pass) {
        rc = outcome(x->rep, it->optimization, NULL, "skipped", "LimitReached",
                     "Policy limits.maxActionsPerPass (%u) reached this pass", lim.per_pass);
        goto done;
    }
    if (lim.per_account) {
        unsigned *n = account_slot(x, it->account);
        if (!n) {
            rc = fc_error_set(FC_ENOMEM, "out of memory");
            goto done;
        }
        if (*n >= lim.per_account) {
            rc = outcome(x->rep, it->optimization, NULL, "skipped", "LimitReached",
                         "Policy limits.maxActionsPerAccount (%u) reached this pass in %s",
                         lim.per_account, it->account);
            goto done;
        }
    }
    if (lim.per_hour) {
        size_t n;
        if ((rc = fc_journal_count_since(in->state, it->account, in->now - 3600 + 1, &n)) !=
            FC_OK)
            goto done;
        if (n >= lim.per_hour) {
            rc = outcome(x->rep, it->optimization, NULL, "skipped", "LimitReached",
                         "Policy limits.maxActionsPerHour (%u) reached in %s: %zu in the "
                         "last hour", lim.per_hour, it->account, n);
            goto done;
        }
    }
    if (in->inv && fc_inventory_is_stale(in->inv, it->account, it->region)) {
        rc = outcome(x->rep, it->optimization, NULL, "skipped", "StaleInventory",
                     "discovery of %s/%s failed this pass", it->account, it->region);
        goto done;
    }
    if (spec && strcmp(it->action, "rightsize") == 0)
        want = opt_param(spec, "instanceType");
    else if (spec && strcmp(it->action, "modify-volume") == 0)
        want = opt_param(spec, "volumeType");
    if ((strcmp(it->action, "rightsize") == 0 || strcmp(it->action, "modify-volume") == 0) &&
        !want) {
        rc = outcome(x->rep, it->optimization, NULL, "skipped", "MissingParameter",
                     "%s needs spec.parameters.%s", it->action,
                     it->action[0] == 'r' ? "instanceType" : "volumeType");
        goto done;
    }
    if (in->cloud_for(in->payload, it->account, &cloud, &role) != FC_OK) {
        rc = outcome(x->rep, it->optimization, NULL, "skipped", "ProviderUnavailable", "%s",
                     fc_error_last());
        goto done;
    }
    /* Re-check right before acting: the world may have moved since discovery. */
    rc = fc_cloud_describe(cloud, m.type, it->account, it->region, role, it->resource, &cur);
    if (rc == FC_ENOTFOUND) {
        rc = outcome(x->rep, it->optimization, NULL, "skipped", "TargetChanged",
                     "%s no longer exists", it->resource);
        goto done;
    }
    if (rc != FC_OK) {
        rc = outcome(x->rep, it->optimization, NULL, "skipped", "DescribeFailed", "%s",
                     fc_error_last());
        goto done;
    }
    seen = in->inv ? fc_inventory_find(in->inv, it->account, it->region, it->resource) : NULL;
    if (target_changed(seen, &cur, why, sizeof(why))) {
        rc = outcome(x->rep, it->optimization, NULL, "skipped", "TargetChanged",
                     "%s; not acted on", why);
        goto done;
    }
    if (m.from_state && (!cur.state || strcmp(cur.state, m.from_state) != 0)) {
        int running = strcmp(it->action, "rightsize") == 0 && cur.state &&
                      strcmp(cur.state, "running") == 0;
        rc = outcome(x->rep, it->optimization, NULL, "skipped",
                     running ? "InstanceRunning" : "TargetChanged",
                     running ? "rightsize needs a stopped instance; %s is %s (approve a stop "
                               "first: the executor never restarts an instance on its own)"
                             : "%s is %s, not the state this action starts from",
                     it->resource, cur.state ? cur.state : "unknown");
        goto done;
    }

    /* The plan as the journal keeps it: steps, expected result, inverse. */
    action = json_object_new_object();
    steps = json_object_new_array();
    expect = json_object_new_object();
    inverse = json_object_new_array();
    json_object_object_add(action, "action", json_object_new_string(it->action));
    json_object_object_add(action, "type", json_object_new_string(fc_resource_type_name(m.type)));
    if (it->policy) { /* who stands for it when there is no Optimization */
        json_object_object_add(action, "policy", json_object_new_string(it->policy));
        if (it->preapproval)
            json_object_object_add(action, "preApproved",
                                   json_object_new_string(it->preapproval));
    }
    if (strcmp(it->action, "stop") == 0 || strcmp(it->action, "start") == 0) {
        const char *to = it->action[2] == 'o' ? "stopped" : "running";
        json_object_array_add(steps, step_json(m.steps[0], it->resource, NULL, NULL, NULL, NULL));
        json_object_object_add(expect, "state", json_object_new_string(to));
        json_object_array_add(inverse, step_json(m.inverse, it->resource, NULL, NULL, NULL, NULL));
    } else if (want) {
        const char *key = m.type == FC_RES_EC2_INSTANCE ? "instanceType" : "volumeType";
        json_object_array_add(steps, step_json(m.steps[0], it->resource, key, want, NULL, NULL));
        json_object_object_add(expect, "sizeClass", json_object_new_string(want));
        json_object_array_add(inverse, step_json(m.inverse, it->resource, key,
                                                 cur.size_class ? cur.size_class : "", NULL,
                                                 NULL));
    } else {
        for (k = 0; k < m.nsteps; k++)
            json_object_array_add(steps, step_json(m.steps[k], it->resource, NULL, NULL, NULL,
                                                   NULL));
        json_object_object_add(expect, "gone", json_object_new_boolean(1));
    }
    json_object_object_add(action, "steps", json_object_get(steps));
    json_object_object_add(action, "expect", json_object_get(expect));

    row.id = id;
    row.optimization = it->optimization;
    row.commit = (char *)in->commit;
    row.account = it->account;
    row.region = it->region;
    row.resource = it->resource;
    row.state = FC_EXEC_STARTED;
    row.created = row.started = in->now;
    row.approvers = it->policy ? approvers_json(in, FC_KIND_POLICY, it->policy)
                               : approvers_json(in, FC_KIND_OPTIMIZATION, it->optimization);
    row.action = json_text(json_object_get(action));
    row.before = json_text(resource_json(&cur));
    row.inverse = m.inverse && json_object_array_length(inverse)
                      ? fc_strdup(json_object_to_json_string_ext(inverse, JSON_C_TO_STRING_PLAIN))
                      : NULL;
    if (!row.approvers || !row.action || !row.before ||
        (json_object_array_length(inverse) && !row.inverse)) {
        rc = fc_error_set(FC_ENOMEM, "out of memory");
        goto done;
    }
    /* Journal first: committed before the provider hears of it. */
    if ((rc = retry ? fc_journal_restart(in->state, &row) : fc_journal_insert(in->state, &row)) !=
        FC_OK)
        goto done;
    fc_crashpoint("executor.journal-started");
    if ((rc = count_action(x, it->account)) != FC_OK)
        goto done;
    snprintf(token, sizeof(token), "%.63s", id + (strlen(id) > 63 ? strlen(id) - 63 : 0));
    for (k = 0; k < json_object_array_length(steps); k++) {
        json_object *st = json_object_array_get_idx(steps, k);
        fc_action_result_dispose(&res);
        rc = apply_step(cloud, role, it->account, it->region, token, st, NULL, &res);
        if (rc != FC_OK)
            break;
        if (strcmp(jget(st, "kind"), "create-snapshot") == 0 && res.new_id) {
            /* The snapshot is what makes the delete reversible: wait until
             * it is complete and journal it before the delete goes out. */
            json_object *snap_expect = json_object_new_object();
            fc_resource snap;
            int snap_gone, ok;
            memset(&snap, 0, sizeof(snap));
            json_object_object_add(snap_expect, "state", json_object_new_string("completed"));
            ok = verify(in, cloud, role, FC_RES_EBS_SNAPSHOT, it->account, it->region,
                        res.new_id, snap_expect, lim.verify_timeout, &snap, &snap_gone);
            fc_resource_dispose(&snap);
            json_object_put(snap_expect);
            if (!ok) {
                rc = fc_error_set(FC_ETIMEOUT, "snapshot %s did not complete within %u s; "
                                  "the volume was not deleted", res.new_id,
                                  lim.verify_timeout);
                break;
            }
            json_object_array_add(inverse,
                                  step_json(m.inverse, res.new_id, "snapshotId", res.new_id,
                                            "volumeType", cur.size_class));
            if (cur.ntags) { /* restore the tags on the new volume */
                json_object *tagstep = step_json("create-tags", CREATED, NULL, NULL, NULL,
                                                 NULL), *tp;
                size_t t;
                json_object_object_get_ex(tagstep, "params", &tp);
                for (t = 0; t < cur.ntags; t++)
                    json_object_object_add(tp, cur.tags[t].key,
                                           json_object_new_string(cur.tags[t].value));
                json_object_array_add(inverse, tagstep);
            }
            free(inverse_s);
            inverse_s = fc_strdup(json_object_to_json_string_ext(inverse,
                                                                 JSON_C_TO_STRING_PLAIN));
            if (!inverse_s) {
                rc = fc_error_set(FC_ENOMEM, "out of memory");
                break;
            }
            if ((rc = fc_journal_update(in->state, id, FC_EXEC_STARTED, NULL, inverse_s, NULL,
                                        0)) != FC_OK)
                goto done; /* the journal is unusable: stop everything */
        }
    }
    if (rc != FC_OK) {
        if (!(err = fc_strdup(fc_error_last()))) {
            rc = fc_error_set(FC_ENOMEM, "out of memory");
            goto done;
        }
        if ((rc = fc_journal_update(in->state, id, FC_EXEC_FAILED, NULL, NULL, err, in->now)) !=
            FC_OK)
            goto done;
        fc_warn("execution %s (%s %s) failed: %s", id, it->action, it->resource, err);
        rc = outcome(x->rep, it->optimization, id, "failed", "ProviderError", "%s", err);
        goto done;
    }
    /* Verification: poll until the resource shows the change, or time out. */
    if (!verify(in, cloud, role, m.type, it->account, it->region, it->resource, expect,
                lim.verify_timeout, &cur, &gone)) {
        fc_exec_record failed;
        after = gone ? gone_json(it->resource) : cur.id ? json_text(resource_json(&cur)) : NULL;
        snprintf(why, sizeof(why), "verification: %s did not reach the expected state "
                 "within %u s (it is %s)", it->resource, lim.verify_timeout,
                 gone ? "gone" : cur.state ? cur.state : "unknown");
        if ((rc = fc_journal_update(in->state, id, FC_EXEC_FAILED, after, NULL, why,
                                    in->now)) != FC_OK)
            goto done;
        fc_warn("execution %s (%s %s) failed: %s", id, it->action, it->resource, why);
        if ((rc = outcome(x->rep, it->optimization, id, "failed", "VerificationFailed", "%s",
                          why)) != FC_OK)
            goto done;
        if (!spec || !spec->rollback.on_failure)
            goto done;
        /* rollback.onFailure: undo it now, journal first like any action. */
        if ((rc = fc_journal_get(in->state, id, &failed)) != FC_OK)
            goto done;
        rc = run_rollback(x, &failed, "AutoRollback",
                          "verification failed and spec.rollback.onFailure is true");
        fc_exec_record_dispose(&failed);
        goto done;
    }
    after = gone ? gone_json(it->resource) : json_text(resource_json(&cur));
    fc_crashpoint("executor.applied");
    if ((rc = fc_journal_update(in->state, id, FC_EXEC_DONE, after, NULL, NULL, in->now)) !=
        FC_OK)
        goto done;
    fc_crashpoint("executor.journal-done");
    fc_info("executed %s: %s %s (%s)", id, it->action, it->resource, it->optimization);
    rc = outcome(x->rep, it->optimization, id, "done", "Executed", "%s %s", it->action,
                 it->resource);
done:
    free(row.approvers);
    free(row.action);
    free(row.before);
    free(row.inverse);
    free(after);
    free(inverse_s);
    free(err);
    json_object_put(action);
    json_object_put(steps);
    json_object_put(expect);
    json_object_put(inverse);
    fc_action_result_dispose(&res);
    fc_resource_dispose(&cur);
    fc_exec_record_dispose(&old);
    return rc;
}

/* ---- rollback ------------------------------------------------------------ */

static const char *row_kind(const fc_exec_record *r)
{
    return r->kind ? r->kind : "forward";
}

/*
 * Undoes one executed row: its recorded inverse steps, journal first, as a
 * row of kind "rollback" whose id derives from the original's (never
 * attempted twice), then verification; the original becomes rolled-back.
 * Rollbacks ignore spec.window and the limits (they restore what a human
 * had before; see README, "Rollback") but count towards the limits of
 * forward actions.  Without live the rollback is only reported, "planned".
 */
static int run_rollback(run_ctx *x, const fc_exec_record *orig, const char *reason,
                        const char *why)
{
    const fc_executor_input *in = x->in;
    json_object *oaction = NULL, *steps = NULL, *before = NULL, *expect = NULL;
    json_object *action = NULL;
    fc_exec_record row, old;
    fc_resource cur;
    fc_action_result res;
    fc_exec_limits lim;
    fc_cloud *cloud = NULL;
    const char *role = NULL, *type_s = NULL, *fwd = NULL, *target;
    char id[256], token[64], msg[512];
    char *created = NULL, *after = NULL, *err = NULL;
    int rc = FC_OK, type = -1, gone = 0, restore, retry = 0;
    size_t k;

    memset(&row, 0, sizeof(row));
    memset(&old, 0, sizeof(old));
    memset(&cur, 0, sizeof(cur));
    memset(&res, 0, sizeof(res));
    if (!orig->inverse) {
        rc = outcome(x->rep, orig->optimization, orig->id, "skipped", "NotRollbackable",
                     "%s cannot be undone: the action has no inverse", orig->id);
        goto done;
    }
    if (!(oaction = json_tokener_parse(orig->action ? orig->action : "")) ||
        !(type_s = jget(oaction, "type")) || (type = fc_resource_type_parse(type_s)) < 0 ||
        !(steps = json_tokener_parse(orig->inverse)) ||
        !json_object_is_type(steps, json_type_array) || !json_object_array_length(steps)) {
        rc = outcome(x->rep, orig->optimization, orig->id, "skipped", "NotRollbackable",
                     "%s: the rollback record is unreadable", orig->id);
        goto done;
    }
    fwd = jget(oaction, "action");
    restore = fwd && strcmp(fwd, "snapshot-and-delete") == 0;
    if ((rc = fc_journal_id(id, sizeof(id), orig->optimization, orig->id, "rollback")) !=
        FC_OK)
        goto done;
    rc = fc_journal_get(in->state, id, &old);
    if (rc == FC_OK && old.state != FC_EXEC_PLANNED) {
        rc = outcome(x->rep, orig->optimization, id, "skipped", "RollbackAlreadyAttempted",
                     "rollback %s of %s is %s; never run twice", id, orig->id,
                     fc_exec_state_name(old.state));
        goto done;
    }
    retry = rc == FC_OK; /* interrupted before its call: retried like a forward row */
    if (rc != FC_OK && rc != FC_ENOTFOUND)
        goto done;
    if (!in->live) {
        rc = outcome(x->rep, orig->optimization, NULL, "planned", reason,
                     "dry-run: would undo %s (%s %s): %s", orig->id, fwd ? fwd : "?",
                     orig->resource, why);
        goto done;
    }
    if (in->cloud_for(in->payload, orig->account, &cloud, &role) != FC_OK) {
        rc = outcome(x->rep, orig->optimization, NULL, "skipped", "ProviderUnavailable", "%s",
                     fc_error_last());
        goto done;
    }
    /* What the inverse must lead back to: the before-state's state or type,
     * or for a deleted volume a new, available one. */
    before = json_tokener_parse(orig->before ? orig->before : "");
    expect = json_object_new_object();
    if (restore)
        json_object_object_add(expect, "state", json_object_new_string("available"));
    else if (fwd && (strcmp(fwd, "stop") == 0 || strcmp(fwd, "start") == 0))
        json_object_object_add(expect, "state",
                               json_object_new_string(jget(before, "state") ? jget(before, "state")
                                                                            : "running"));
    else if (jget(before, "sizeClass"))
        json_object_object_add(expect, "sizeClass",
                               json_object_new_string(jget(before, "sizeClass")));
    if (!restore) {
        /* Re-check: act only on the target as the action left it. */
        rc = fc_cloud_describe(cloud, (fc_resource_type)type, orig->account, orig->region,
                               role, orig->resource, &cur);
        if (rc == FC_ENOTFOUND) {
            rc = outcome(x->rep, orig->optimization, NULL, "skipped", "TargetChanged",
                         "%s no longer exists; nothing to undo", orig->resource);
            goto done;
        }
        if (rc != FC_OK) {
            rc = outcome(x->rep, orig->optimization, NULL, "skipped", "DescribeFailed", "%s",
                         fc_error_last());
            goto done;
        }
        if (change_happened(expect, 0, &cur)) {
            rc = outcome(x->rep, orig->optimization, NULL, "skipped", "TargetChanged",
                         "%s is already back to its previous state; not acted on",
                         orig->resource);
            goto done;
        }
    }
    action = json_object_new_object();
    json_object_object_add(action, "action", json_object_new_string("rollback"));
    json_object_object_add(action, "of", json_object_new_string(orig->id));
    json_object_object_add(action, "reason", json_object_new_string(reason));
    json_object_object_add(action, "message", json_object_new_string(why));
    json_object_object_add(action, "type",
                           json_object_new_string(restore ? "ebs-volume" : type_s));
    json_object_object_add(action, "steps", json_object_get(steps));
    json_object_object_add(action, "expect", json_object_get(expect));
    row.id = id;
    row.optimization = orig->optimization;
    row.commit = (char *)in->commit;
    row.account = orig->account;
    row.region = orig->region;
    row.resource = orig->resource;
    row.state = FC_EXEC_STARTED;
    row.created = row.started = in->now;
    row.kind = "rollback";
    row.parent = orig->id;
    row.approvers = approvers_json(in, FC_KIND_OPTIMIZATION, orig->optimization);
    row.action = json_text(json_object_get(action));
    row.before = restore ? fc_strdup(orig->after ? orig->after : "{}")
                         : json_text(resource_json(&cur));
    if (!row.approvers || !row.action || !row.before) {
        rc = fc_error_set(FC_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = retry ? fc_journal_restart(in->state, &row) : fc_journal_insert(in->state, &row)) !=
        FC_OK)
        goto done;
    fc_crashpoint("executor.rollback-started");
    if ((rc = count_action(x, orig->account)) != FC_OK)
        goto done;
    snprintf(token, sizeof(token), "%.63s", id + (strlen(id) > 63 ? strlen(id) - 63 : 0));
    for (k = 0; k < json_object_array_length(steps); k++) {
        fc_action_result_dispose(&res);
        rc = apply_step(cloud, role, orig->account, orig->region, token,
                        json_object_array_get_idx(steps, k), created, &res);
        if (rc != FC_OK)
            break;
        if (res.new_id) {
            free(created);
            if (!(created = fc_strdup(res.new_id))) {
                rc = fc_error_set(FC_ENOMEM, "out of memory");
                break;
            }
        }
    }
    if (rc == FC_OK && restore && !created)
        rc = fc_error_set(FC_EINVALID, "the restore created no volume");
    if (rc != FC_OK) {
        if (!(err = fc_strdup(fc_error_last()))) {
            rc = fc_error_set(FC_ENOMEM, "out of memory");
            goto done;
        }
        if ((rc = fc_journal_update(in->state, id, FC_EXEC_FAILED, NULL, NULL, err, in->now)) !=
            FC_OK)
            goto done;
        fc_warn("rollback %s of %s failed: %s", id, orig->id, err);
        rc = outcome(x->rep, orig->optimization, id, "failed", "RollbackFailed", "%s", err);
        goto done;
    }
    fc_executor_limits(in->specs, orig->account, &lim);
    target = restore ? created : orig->resource;
    if (!verify(in, cloud, role, restore ? FC_RES_EBS_VOLUME : (fc_resource_type)type,
                orig->account, orig->region, target, expect, lim.verify_timeout, &cur, &gone)) {
        after = !gone && cur.id ? json_text(resource_json(&cur)) : NULL;
        snprintf(msg, sizeof(msg), "verification: %s did not return to its previous state "
                 "within %u s", target, lim.verify_timeout);
        if ((rc = fc_journal_update(in->state, id, FC_EXEC_FAILED, after, NULL, msg,
                                    in->now)) != FC_OK)
            goto done;
        fc_warn("rollback %s of %s failed: %s", id, orig->id, msg);
        rc = outcome(x->rep, orig->optimization, id, "failed", "RollbackFailed", "%s", msg);
        goto done;
    }
    after = json_text(resource_json(&cur));
    if ((rc = fc_journal_update(in->state, id, FC_EXEC_DONE, after, NULL, NULL, in->now)) !=
            FC_OK ||
        (rc = fc_journal_update(in->state, orig->id, FC_EXEC_ROLLED_BACK, NULL, NULL, NULL,
                                0)) != FC_OK)
        goto done;
    fc_info("rolled back %s with %s (%s): %s", orig->id, id, reason, why);
    rc = outcome(x->rep, orig->optimization, id, "done", "RolledBack", "%s undone (%s): %s",
                 orig->id, reason, why);
done:
    free(row.approvers);
    free(row.action);
    free(row.before);
    free(created);
    free(after);
    free(err);
    json_object_put(oaction);
    json_object_put(steps);
    json_object_put(before);
    json_object_put(expect);
    json_object_put(action);
    fc_action_result_dispose(&res);
    fc_resource_dispose(&cur);
    fc_exec_record_dispose(&old);
    return rc;
}

static const fc_plan_item *plan_item_of(const fc_plan *plan, const char *optimization)
{
    size_t i;
    for (i = 0; plan && i < plan->n; i++)
        if (plan->items[i].optimization &&
            strcmp(plan->items[i].optimization, optimization) == 0)
            return &plan->items[i];
    return NULL;
}

/* 1 when the row ran on a Policy's pre-approval; its name and entry. */
static int preapproved_by(const fc_exec_record *r, char *pol, size_t psize, char *entry,
                          size_t esize)
{
    json_object *a = json_tokener_parse(r->action ? r->action : "");
    int yes = jget(a, "policy") != NULL;
    if (yes) {
        snprintf(pol, psize, "%s", jget(a, "policy"));
        snprintf(entry, esize, "%s", jget(a, "preApproved") ? jget(a, "preApproved") : "");
    }
    json_object_put(a);
    return yes;
}

/* Which executed rows to undo, and why (NULL = keep).  why gets a message. */
static const char *rollback_reason(const fc_executor_input *in, const fc_exec_record *r,
                                   char *why, size_t size)
{
    const fc_spec_set *all = in->all_specs ? in->all_specs : in->specs;
    const fc_object *ob;
    const fc_plan_item *it;
    char pol[256], entry[128];

    if (in->rollback_id) {
        if (strcmp(r->id, in->rollback_id) != 0)
            return NULL;
        snprintf(why, size, "requested by hand (finops-controller rollback %s)", r->id);
        return "RollbackByHand";
    }
    if (preapproved_by(r, pol, sizeof(pol), entry, sizeof(entry))) {
        /* Pre-approved: undone when its Policy or entry is deleted (a git
         * revert of the pre-approval). */
        const fc_policy_spec *p;
        unsigned i;
        ob = fc_specs_find(all, FC_KIND_POLICY, pol);
        if (ob && (ob->suspended || !(p = ob->spec.policy)))
            return NULL;
        for (i = 0; ob && i < p->npre_approved; i++)
            if (!entry[0] || strcmp(p->pre_approved[i].name, entry) == 0)
                return NULL;
        snprintf(why, size, ob ? "Policy %s no longer pre-approves %s" : "Policy %s was deleted",
                 pol, entry);
        return "PreApprovalWithdrawn";
    }
    ob = fc_specs_find(all, FC_KIND_OPTIMIZATION, r->optimization);
    if (!ob) {
        snprintf(why, size, "Optimization %s was deleted", r->optimization);
        return "OptimizationDeleted";
    }
    if (ob->suspended || !ob->spec.optimization)
        return NULL; /* suspended or invalid: neither forward nor back */
    if (ob->spec.optimization->rollback.requested) {
        snprintf(why, size, "spec.rollback.requested is set");
        return "RollbackRequested";
    }
    it = plan_item_of(in->plan, r->optimization);
    if (it && !it->approved) {
        snprintf(why, size, "Optimization %s is no longer approved at %.12s", r->optimization,
                 in->commit ? in->commit : "the current commit");
        return "ApprovalWithdrawn";
    }
    return NULL;
}

static int rollback_sweep(run_ctx *x)
{
    const fc_executor_input *in = x->in;
    fc_exec_list rows;
    char why[512];
    size_t i;
    int rc, found = 0;

    fc_exec_list_init(&rows);
    if ((rc = fc_journal_list(in->state, -1, &rows)) != FC_OK)
        goto done;
    for (i = 0; i < rows.n; i++) {
        const fc_exec_record *r = &rows.items[i];
        const char *reason;
        if (in->rollback_id && strcmp(r->id, in->rollback_id) == 0)
            found = 1;
        if (strcmp(row_kind(r), "forward") != 0) {
            if (in->rollback_id && strcmp(r->id, in->rollback_id) == 0 &&
                (rc = outcome(x->rep, r->optimization, r->id, "skipped", "NotRollbackable",
                              "%s is itself a rollback; approve the Optimization again to "
                              "re-apply it", r->id)) != FC_OK)
                goto done;
            continue;
        }
        if (r->state != FC_EXEC_DONE) {
            if (in->rollback_id && strcmp(r->id, in->rollback_id) == 0)
                rc = outcome(x->rep, r->optimization, r->id, "skipped", "NotRollbackable",
                             "execution %s is %s; only a done execution is undone", r->id,
                             fc_exec_state_name(r->state));
            if (rc != FC_OK)
                goto done;
            continue;
        }
        if (!(reason = rollback_reason(in, r, why, sizeof(why))))
            continue;
        if ((rc = run_rollback(x, r, reason, why)) != FC_OK)
            goto done;
    }
    if (in->rollback_id && !found)
        rc = fc_error_set(FC_ENOTFOUND, "no execution %s in the journal", in->rollback_id);
done:
    fc_exec_list_dispose(&rows);
    return rc;
}

int fc_executor_run(fc_exec_report *out, const fc_executor_input *in)
{
    run_ctx x;
    size_t i;
    int rc;

    if (!in->state)
        return fc_error_set(FC_EINVALID, "the executor needs the state store");
    if ((rc = fc_journal_migrate(in->state)) != FC_OK)
        return rc;
    if ((rc = resume_rows(in, NULL)) != FC_OK)
        return rc;
    memset(&x, 0, sizeof(x));
    x.in = in;
    x.rep = out;
    /* Rollbacks first: they are planned (and shown) even in a dry run. */
    if ((rc = rollback_sweep(&x)) != FC_OK)
        goto done;
    if (!in->live || in->rollback_id)
        goto done; /* dry-run: the status already shows the plan */
    for (i = 0; in->plan && i < in->plan->n; i++) {
        if (in->plan->items[i].state != FC_PLAN_PLANNED)
            continue;
        if ((rc = run_item(&x, &in->plan->items[i])) != FC_OK)
            goto done;
    }
done:
    for (i = 0; i < x.naccounts; i++)
        free(x.accounts[i].account);
    free(x.accounts);
    return rc;
}
