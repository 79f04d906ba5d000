/*
 * approvals.c - the git half of approval by reviewed commit: for every
 * Optimization, and every Policy with preApproved entries, the commits on
 * the tracked branch that authored its current content (everything but
 * approval.approvedBy; see fc_optimization_fingerprint and
 * fc_policy_fingerprint), newest first.
 *
 * Stage: between spec loading and reconcile.  Reads history through
 * gitsync (one walk for all files), re-loads each historical version with
 * the spec loader and compares fingerprints.  The reconciler then judges
 * who counts; nothing here decides approval.
 */
#include "controller/pass/fc_approvals.h"
#include "controller/core/fc_error.h"
#include "controller/core/fc_log.h"
#include "specs/fc_approvers.h"

#include <stdlib.h>
#include <string.h>

/* Changes looked at per file: an approval older than this many edits to its
 * file is not found and the change must be re-approved. */
#define MAX_CHANGES 50

/* Objects whose approval is judged: Optimizations, and Policies that
 * pre-approve rules (issue 7.2). */
static int wants_evidence(const fc_object *o)
{
    return o->kind == FC_KIND_OPTIMIZATION ||
           (o->kind == FC_KIND_POLICY && o->spec.policy && o->spec.policy->npre_approved);
}

static char *fingerprint(const fc_object *o)
{
    return o->kind == FC_KIND_POLICY ? fc_policy_fingerprint(o) : fc_optimization_fingerprint(o);
}

/* Fingerprint of object (kind, name) in one historical version of a file,
 * or NULL when that version does not hold it (or does not load). */
static char *fingerprint_at(const char *path, const fc_file_change *ch, fc_kind kind,
                            const char *name)
{
    fc_spec_file f;
    fc_spec_set *set = NULL;
    const fc_object *o;
    char *fp = NULL;

    if (!ch->data)
        return NULL;
    f.path = path;
    f.data = ch->data;
    f.len = ch->len;
    if (fc_specs_load(&set, &f, 1) != FC_OK)
        return NULL;
    if ((o = fc_specs_find(set, kind, name)) != NULL && o->spec.any)
        fp = fingerprint(o);
    fc_spec_set_free(set);
    return fp;
}

static int add_vote(fc_approval_evidence *ev, const fc_file_change *ch)
{
    fc_approval_vote *p = realloc(ev->votes, (ev->nvotes + 1) * sizeof(*p));
    if (!p)
        return fc_error_set(FC_ENOMEM, "out of memory");
    ev->votes = p;
    memset(&p[ev->nvotes], 0, sizeof(*p));
    if (!(p[ev->nvotes].identity = fc_strdup(ch->author_email)))
        return fc_error_set(FC_ENOMEM, "out of memory");
    memcpy(p[ev->nvotes].commit, ch->commit, sizeof(ch->commit));
    ev->nvotes++;
    return FC_OK;
}

/* With verifySignatures, a vote counts only if its commit is signed by a key
 * listed for its author; the reason of a failure goes to status. */
static int verify_vote(fc_gitsync *git, const fc_approvers *list, fc_approval_vote *v)
{
    const fc_approver *ap = fc_approvers_find(list, v->identity);
    char *signer = NULL;
    int rc;

    if (!ap) /* not an approver: the reconciler ignores this vote anyway */
        return FC_OK;
    if (!ap->nkeys) {
        v->signature = -1;
        v->signature_error = fc_asprintf("%s has no keys in the approver list", ap->identity);
        return v->signature_error ? FC_OK : fc_error_set(FC_ENOMEM, "out of memory");
    }
    rc = fc_gitsync_verify_commit(git, v->commit, (const char *const *)ap->keys, ap->nkeys,
                                  &signer);
    free(signer);
    if (rc == FC_OK) {
        v->signature = 1;
        return FC_OK;
    }
    v->signature = -1;
    v->signature_error = fc_strdup(fc_error_last());
    if (!v->signature_error)
        return fc_error_set(FC_ENOMEM, "out of memory");
    /* Denied is a verdict; a missing verifier is the operator's problem,
     * also shown in status rather than failing the whole pass. */
    return FC_OK;
}

static int collect_one(const fc_object *o, const fc_file_history *h,
                       fc_approval_evidence *ev)
{
    char *now_fp = fingerprint(o);
    size_t i;
    int rc = FC_OK;

    ev->kind = o->kind;
    if (!(ev->name = fc_strdup(o->metadata.name)) || !now_fp) {
        free(now_fp);
        return fc_error_set(FC_ENOMEM, "out of memory");
    }
    if (h->n) {
        ev->last_author = fc_strdup(h->changes[0].author_email);
        memcpy(ev->last_commit, h->changes[0].commit, sizeof(ev->last_commit));
    }
    for (i = 0; i < h->n && rc == FC_OK; i++) {
        char *fp = fingerprint_at(o->file, &h->changes[i], o->kind, o->metadata.name);
        int same = fp && strcmp(fp, now_fp) == 0;
        free(fp);
        /* An older version with other content: approvals before it are for
         * something else. */
        if (!same)
            break;
        rc = add_vote(ev, &h->changes[i]);
    }
    free(now_fp);
    return rc;
}

int fc_approvals_collect(fc_approval_evidence **out, size_t *nout, fc_gitsync *git,
                         const char *head, const fc_spec_set *set,
                         const fc_approvers *approvers)
{
    const char **paths = NULL;
    fc_file_history *hist = NULL;
    fc_approval_evidence *ev = NULL;
    size_t i, j, npaths = 0, nopt = 0;
    int rc = FC_OK;

    *out = NULL;
    *nout = 0;
    for (i = 0; i < set->nobjects; i++)
        nopt += wants_evidence(&set->objects[i]);
    if (!nopt)
        return FC_OK;
    paths = calloc(nopt, sizeof(*paths));
    ev = calloc(nopt, sizeof(*ev));
    if (!paths || !ev) {
        rc = fc_error_set(FC_ENOMEM, "out of memory");
        goto done;
    }
    for (i = 0; i < set->nobjects; i++) {
        const fc_object *o = &set->objects[i];
        int seen = 0;
        if (!wants_evidence(o))
            continue;
        for (j = 0; j < npaths && !seen; j++)
            seen = strcmp(paths[j], o->file) == 0;
        if (!seen)
            paths[npaths++] = o->file;
    }
    if (!(hist = calloc(npaths, sizeof(*hist)))) {
        rc = fc_error_set(FC_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = fc_gitsync_files_history(git, head, paths, npaths, MAX_CHANGES, hist)) != FC_OK)
        goto done;
    for (i = 0, j = 0; i < set->nobjects && rc == FC_OK; i++) {
        const fc_object *o = &set->objects[i];
        size_t k;
        if (!wants_evidence(o))
            continue;
        for (k = 0; k < npaths && strcmp(paths[k], o->file) != 0; k++)
            ;
        rc = collect_one(o, &hist[k], &ev[j]);
        if (rc == FC_OK && approvers && approvers->verify_signatures) {
            size_t v;
            for (v = 0; v < ev[j].nvotes && rc == FC_OK; v++)
                rc = verify_vote(git, approvers, &ev[j].votes[v]);
        }
        j++;
    }
    if (rc == FC_OK) {
        *out = ev;
        *nout = nopt;
        ev = NULL;
    }
done:
    for (i = 0; hist && i < npaths; i++)
        fc_file_history_dispose(&hist[i]);
    free(hist);
    if (ev)
        fc_approvals_free(ev, nopt);
    free(paths);
    return rc;
}

void fc_approvals_free(fc_approval_evidence *ev, size_t n)
{
    size_t i;
    for (i = 0; ev && i < n; i++)
        fc_approval_evidence_dispose(&ev[i]);
    free(ev);
}
