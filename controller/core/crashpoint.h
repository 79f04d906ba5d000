/*
 * crashpoint.h - deliberate crashes for the crash-injection test.
 *
 * fc_crashpoint("name") marks a place where a crash must be survivable
 * (journal written, request sent, status committed, phase boundaries).
 * When the environment variable FC_CRASH_AT names the point the process
 * kills itself with SIGKILL, exactly as an OOM kill or power loss would:
 * no atexit handlers, no flushing, no cleanup.
 *
 *   FC_CRASH_AT=name             the first time `name` is reached
 *   FC_CRASH_AT=name:N           the N-th time `name` is reached
 *   FC_CRASH_AT=random:SEED:PCT  at any point, each with probability PCT%
 *                                (a PRNG seeded with SEED: reproducible)
 *
 * The variable is read once; unset, a crash point costs one load and a
 * branch.  Before dying it writes "crashpoint: <name>" to stderr so a test
 * can count where it crashed.
 */
#ifndef FC_CRASHPOINT_H
#define FC_CRASHPOINT_H

void fc_crashpoint(const char *name);

#endif
