/*
 * fuzz_cron.c - schedule expressions (controller/sched/sched.c): input lines
 * are a 5-field cron expression, an "HH:MM" time, a weekday and a time
 * zone.  Each rule that parses is asked for its next due time.
 */
#include "tests/fuzz/fuzz.h"

#include "controller/sched/fc_sched.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_strndup(data, size), *f[4];
    fc_sched_rule r;
    fc_cron c;
    /* A fixed instant: the result must not depend on the clock. */
    const int64_t after = 1767225600; /* 2026-01-01T00:00:00Z */
    /* Zones outside the system tz database only; a name with '/' or '..'
     * is still looked up, as the loop would. */
    const char *tz;

    fuzz_fields(s, f, 4);
    tz = f[3] && strlen(f[3]) < 64 ? f[3] : NULL;
    if (f[0]) {
        fc_cron_parse(&c, f[0]);
        if (fc_sched_rule_cron(&r, f[0], tz) == 0)
            fc_sched_next_due(&r, after);
    }
    if (f[1]) {
        if (fc_sched_rule_daily(&r, f[1], tz) == 0)
            fc_sched_next_due(&r, after);
        if (f[2] && fc_sched_rule_weekly(&r, f[2], f[1], tz) == 0)
            fc_sched_next_due(&r, after);
    }
    if (tz)
        fc_sched_tz_valid(tz);
    free(s);
    return 0;
}
