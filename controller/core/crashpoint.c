/*
 * crashpoint.c - FC_CRASH_AT parsing and the SIGKILL (see crashpoint.h).
 *
 * Inputs: the environment, once per process.  Output: none, or the death
 * of the process.  Holds only static state; nothing to free.
 */
#include "controller/core/crashpoint.h"

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { OFF, NAMED, RANDOM };

static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int mode = OFF;
static char target[128];
static unsigned long nth = 1, seen;
static uint64_t rng;
static unsigned pct;

static void configure(void)
{
    const char *v = getenv("FC_CRASH_AT");
    const char *colon;
    char *end;
    size_t n;

    if (!v || !*v)
        return;
    if (strncmp(v, "random:", 7) == 0) {
        unsigned long long seed = strtoull(v + 7, &end, 10);
        unsigned long p;
        if (end == v + 7 || *end != ':')
            return;
        p = strtoul(end + 1, &end, 10);
        if (*end || p > 100)
            return;
        /* splitmix64 needs a non-zero odd-ish state; mix the seed once. */
        rng = (uint64_t)seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull;
        pct = (unsigned)p;
        mode = RANDOM;
        return;
    }
    colon = strrchr(v, ':');
    n = colon ? (size_t)(colon - v) : strlen(v);
    if (n == 0 || n >= sizeof(target))
        return;
    if (colon) {
        nth = strtoul(colon + 1, &end, 10);
        if (end == colon + 1 || *end || nth == 0)
            return;
    }
    memcpy(target, v, n);
    target[n] = '\0';
    mode = NAMED;
}

static uint64_t next_random(void)
{
    uint64_t z = (rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void die(const char *name)
{
    char line[256];
    int n = snprintf(line, sizeof(line), "crashpoint: %s\n", name);
    if (n > 0 && write(STDERR_FILENO, line, (size_t)n < sizeof(line) ? (size_t)n
                                                                     : sizeof(line) - 1) < 0)
        n = 0; /* nothing to do about it: we are about to die */
    raise(SIGKILL);
    _exit(137); /* not reached */
}

void fc_crashpoint(const char *name)
{
    int hit = 0;
    pthread_once(&once, configure);
    if (mode == OFF)
        return;
    pthread_mutex_lock(&lock);
    if (mode == NAMED)
        hit = strcmp(name, target) == 0 && ++seen == nth;
    else
        hit = next_random() % 100 < pct;
    pthread_mutex_unlock(&lock);
    if (hit)
        die(name);
}
