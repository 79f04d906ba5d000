/*
 * fc_approvals.h - collects, from git history, who authored the current
 * content of every Optimization and of every Policy with preApproved
 * entries (see approvals.c).
 */
#ifndef FC_APPROVALS_H
#define FC_APPROVALS_H

#include "controller/gitsync/fc_gitsync.h"
#include "reconcilers/fc_reconcilers.h"
#include "specs/fc_approvers.h"
#include "specs/fc_specs.h"

/* *out has one entry per Optimization and per Policy with preApproved in
 * set (fc_approval_evidence.kind tells them apart); free with
 * fc_approvals_free.
 * When approvers asks for signatures, each vote's commit is verified
 * against the keys listed for its author. */
int fc_approvals_collect(fc_approval_evidence **out, size_t *nout, fc_gitsync *git,
                         const char *head, const fc_spec_set *set,
                         const fc_approvers *approvers);
void fc_approvals_free(fc_approval_evidence *ev, size_t n);

#endif
