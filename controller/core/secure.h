/*
 * secure.h - the two things every secret-handling path shares: one
 * constant-time comparison, and the process hardening done at start.
 */
#ifndef FC_SECURE_H
#define FC_SECURE_H

#include <stddef.h>

/*
 * 1 when given[0..glen) equals secret[0..slen), else 0.  The time taken
 * depends only on glen (what the caller received), never on the secret's
 * bytes or length nor on where the first difference is.  Every comparison
 * of a secret (API token, webhook token or HMAC) goes through here.
 */
int fc_secure_equal(const void *secret, size_t slen, const void *given, size_t glen);

/*
 * Process hardening, first thing in main: umask 077 (the state directory
 * and everything under it is private to the user), and, unless
 * --allow-core-dumps is among argv or FINOPS_ALLOW_CORE_DUMPS is true,
 * RLIMIT_CORE 0 and PR_SET_DUMPABLE 0 so that no core file (and no
 * same-user ptrace) can expose credentials held in memory.
 */
void fc_secure_harden(int argc, char **argv);

#endif
