/*
 * secure.c - constant-time comparison of secrets and start-up process
 * hardening (see secure.h).
 *
 * Inputs: bytes to compare; argv and the environment for the one opt-out.
 * Outputs: a yes/no; process state (umask, core limit, dumpable flag).
 * Nothing here allocates or logs.
 */
#define _GNU_SOURCE
#include "controller/core/secure.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

int fc_secure_equal(const void *secret, size_t slen, const void *given, size_t glen)
{
    const volatile unsigned char *s = secret;
    const volatile unsigned char *g = given;
    /* A length mismatch is a difference, but the loop still runs over all
     * of given, against the secret repeated, so timing shows neither the
     * secret's length nor the first differing byte. */
    volatile unsigned char diff = (unsigned char)(slen != glen || slen == 0);
    size_t i, j = 0;

    if (!secret || !given)
        return 0;
    for (i = 0; i < glen; i++) {
        unsigned char c = slen ? s[j] : 0;
        diff |= (unsigned char)(c ^ g[i]);
        j = j + 1 == slen ? 0 : j + 1;
    }
    return diff == 0;
}

static int wants_core_dumps(int argc, char **argv)
{
    const char *env = getenv("FINOPS_ALLOW_CORE_DUMPS");
    int i;

    for (i = 1; i < argc && argv && argv[i]; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strcmp(argv[i], "--allow-core-dumps") == 0 ||
            strcmp(argv[i], "--allow-core-dumps=true") == 0)
            return 1;
    }
    return env && (strcasecmp(env, "true") == 0 || strcmp(env, "1") == 0 ||
                   strcasecmp(env, "yes") == 0);
}

void fc_secure_harden(int argc, char **argv)
{
    struct rlimit rl;

    /* Files and directories the controller creates: 0600 / 0700. */
    umask(077);
    if (wants_core_dumps(argc, argv))
        return;
    rl.rlim_cur = 0;
    rl.rlim_max = 0;
    setrlimit(RLIMIT_CORE, &rl);
    /* Also stops core_pattern pipes and same-user ptrace from reading
     * memory that holds tokens; exec'd helpers (ssh-keygen, gpgv) reset it. */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}
