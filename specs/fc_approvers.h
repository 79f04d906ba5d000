/*
 * fc_approvers.h - who may approve: the repository's approver list,
 * <spec root>/approvers.yaml, read from the same commit as the specs.
 *
 *   approvers:
 *     - identity: alice@example.com      # commit author email
 *       keys: ["ssh-ed25519 AAAA... alice"] # for signature verification
 *   verifySignatures: false              # true: approving commits must be
 *                                        # signed by a listed key
 *
 * The file is not a spec object (no kind); the spec loader never sees it.
 */
#ifndef FC_APPROVERS_H
#define FC_APPROVERS_H

#include "specs/fc_specs.h"

#include <stddef.h>

#define FC_APPROVERS_FILE "approvers.yaml"

typedef struct {
    char *identity;     /* lower-cased email */
    char **keys;
    size_t nkeys;
} fc_approver;

typedef struct fc_approvers {
    fc_approver *items;
    size_t n;
    int verify_signatures;
} fc_approvers;

/*
 * Parses the file.  On bad input returns FC_EPARSE with
 * "file:line: field: message" in fc_error_last() and *out = NULL.
 */
int fc_approvers_parse(fc_approvers **out, const char *path, const char *data,
                       size_t len);
void fc_approvers_free(fc_approvers *a);

/* Borrowed; NULL when identity (case-insensitive) is not listed. */
const fc_approver *fc_approvers_find(const fc_approvers *a, const char *identity);

/* A stable text of everything an approval vouches for in an Optimization:
 * the whole spec but approval.approvedBy.  Two versions with the same
 * fingerprint need no new approval.  Caller frees. */
char *fc_optimization_fingerprint(const fc_object *obj);
/* The same for a Policy: its accounts, approval counts and preApproved
 * entries (approval.approvedBy aside), what a pre-approval approves.
 * Caller frees. */
char *fc_policy_fingerprint(const fc_object *obj);

#endif
