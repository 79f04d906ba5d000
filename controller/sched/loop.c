/*
 * loop.c - `finops-controller run`: the scheduler's long-running half.
 *
 * Inputs: the run options, the Schedule spec each pass reads (res.schedule)
 * and wake-ups: the HTTP thread (webhook, ctl run/enable/disable) and
 * SIGTERM/SIGINT write one byte to a self-pipe.  Output: passes through
 * fc_run_pass(), one at a time.
 *
 * Tasks: sync (every --interval / Schedule.interval, 5m), discovery (every
 * Schedule.discoveryInterval, 1h: the pass memo may not skip discovery),
 * optimization (daily at Schedule.optimizationTime: with --live, the only
 * pass that executes; without one every --live pass may), report (weekly:
 * sets fc_run_opts.report_due) and the Schedule's cron entries, which run
 * one of those four.  Everything due when the loop wakes runs as one pass
 * (the union of the tasks' flags); triggers that arrive during a pass are
 * kept as one pending request, so a long pass delays the next and nothing
 * piles up.  Every pass is a sync, so any pass restarts the sync interval.
 *
 * The task table is the only state shared with the HTTP thread; it sits
 * behind a mutex, and the HTTP thread only reads it or sets flags.
 */
#include "controller/sched/fc_loop.h"
#include "controller/core/fc_error.h"
#include "controller/core/fc_log.h"
#include "controller/core/fc_util.h"
#include "controller/http/fc_http.h"
#include "controller/sched/fc_sched.h"

#include <errno.h>
#include <fcntl.h>
#include <git2/global.h>
#include <json-c/json.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef enum { JOB_SYNC, JOB_DISCOVERY, JOB_OPTIMIZATION, JOB_REPORT } job_kind;

static const char *const job_names[] = {"sync", "discovery", "optimization", "report"};

typedef struct {
    char name[64];
    char schedule[192]; /* what GET /api/v1/tasks shows */
    job_kind job;
    fc_sched_rule rule;
    int enabled;
    int requested; /* run at the next wake-up (webhook, ctl run) */
    int running;
    int64_t next;      /* unix seconds */
    int64_t last_run;  /* start of the last pass that ran it; 0 = never */
    char last_result[32];
} task;

#define NTASKS_MAX (4 + FC_SCHED_CRON_MAX)

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static task tasks[NTASKS_MAX];
static size_t ntasks;
static int wake_rd = -1, wake_wr = -1;
static volatile sig_atomic_t stops;
static volatile sig_atomic_t in_pass;
static unsigned grace_s = 30;

/* ---- signals --------------------------------------------------------------- */

static void say(const char *msg)
{
    ssize_t w = write(2, msg, strlen(msg));
    (void)w;
}

static void on_signal(int sig)
{
    int saved = errno;
    (void)sig;
    stops++;
    if (stops >= 2 && in_pass) {
        say("finops-controller: second signal during a pass: exiting now with code 1\n");
        _exit(1);
    }
    if (stops == 1 && grace_s)
        alarm(grace_s); /* bounds the pass in flight and the shutdown */
    if (wake_wr >= 0) {
        ssize_t w = write(wake_wr, "s", 1);
        (void)w;
    }
    errno = saved;
}

/* The grace period ran out.  The state store is transactional and the
 * executor journals before it acts, so stopping mid-pass loses nothing;
 * the next start settles anything in flight. */
static void on_alarm(int sig)
{
    (void)sig;
    say("finops-controller: grace period expired before the pass finished: exiting with "
        "code 1\n");
    _exit(1);
}

static void wake(void)
{
    if (wake_wr >= 0) {
        ssize_t w = write(wake_wr, "w", 1);
        (void)w; /* a full pipe already holds a wake-up */
    }
}

/* ---- the task table ---------------------------------------------------------- */

static task *find_task(const char *name)
{
    size_t i;
    for (i = 0; i < ntasks; i++)
        if (strcmp(tasks[i].name, name) == 0)
            return &tasks[i];
    return NULL;
}

static job_kind job_of(const char *name)
{
    int k;
    for (k = 0; k < 4; k++)
        if (strcmp(name, job_names[k]) == 0)
            return (job_kind)k;
    return JOB_SYNC;
}

/* Next due time of t after `from` (its last run ended then). */
static int64_t next_after(const task *t, int64_t from)
{
    int64_t n = fc_sched_next_due(&t->rule, from);
    if (n < 0) {
        fc_warn("task %s: %s; it will not run by schedule", t->name, fc_error_last());
        return INT64_MAX;
    }
    return n;
}

static int add_task(task *out, size_t *n, const char *name, job_kind job, const char *what,
                    const fc_sched_rule *rule)
{
    task *t;
    size_t i;
    for (i = 0; i < *n; i++)
        if (strcmp(out[i].name, name) == 0) {
            fc_warn("schedule: task name %s is taken; cron entry ignored", name);
            return -1;
        }
    t = &out[(*n)++];
    memset(t, 0, sizeof(*t));
    snprintf(t->name, sizeof(t->name), "%s", name);
    snprintf(t->schedule, sizeof(t->schedule), "%s", what);
    t->job = job;
    t->rule = *rule;
    t->enabled = 1;
    return 0;
}

/* Rebuilds the table from the Schedule (and --interval); keeps each
 * surviving task's enabled flag, history and, when its schedule did not
 * change, its next time. */
static void rebuild(const fc_sched_config *cfg, const char *interval_flag, int64_t now)
{
    task fresh[NTASKS_MAX];
    size_t n = 0, i;
    fc_sched_rule r;
    char what[192];
    const char *tz = cfg->timezone[0] ? cfg->timezone : "UTC";
    long every = interval_flag           ? fc_parse_duration(interval_flag)
                 : cfg->interval[0]      ? fc_parse_duration(cfg->interval)
                                         : 300;
    if (every <= 0)
        every = 300;
    fc_sched_rule_every(&r, every);
    snprintf(what, sizeof(what), "every %lds%s", every, interval_flag ? " (--interval)" : "");
    add_task(fresh, &n, "sync", JOB_SYNC, what, &r);
    every = cfg->discovery_interval[0] ? fc_parse_duration(cfg->discovery_interval) : 3600;
    fc_sched_rule_every(&r, every > 0 ? every : 3600);
    snprintf(what, sizeof(what), "every %lds", r.every);
    add_task(fresh, &n, "discovery", JOB_DISCOVERY, what, &r);
    if (cfg->optimization_time[0]) {
        if (fc_sched_rule_daily(&r, cfg->optimization_time, tz) == FC_OK) {
            snprintf(what, sizeof(what), "daily %s %s", cfg->optimization_time, tz);
            add_task(fresh, &n, "optimization", JOB_OPTIMIZATION, what, &r);
        } else {
            fc_warn("schedule: optimizationTime: %s", fc_error_last());
        }
    }
    if (cfg->report_weekday[0]) {
        const char *at = cfg->report_time[0] ? cfg->report_time : "08:00";
        if (fc_sched_rule_weekly(&r, cfg->report_weekday, at, tz) == FC_OK) {
            snprintf(what, sizeof(what), "weekly %s %s %s", cfg->report_weekday, at, tz);
            add_task(fresh, &n, "report", JOB_REPORT, what, &r);
        } else {
            fc_warn("schedule: report: %s", fc_error_last());
        }
    }
    for (i = 0; i < cfg->ncron; i++) {
        const fc_sched_cron_entry *e = &cfg->cron[i];
        if (fc_sched_rule_cron(&r, e->schedule, tz) != FC_OK) {
            fc_warn("schedule: cron %s: %s", e->name, fc_error_last());
            continue;
        }
        snprintf(what, sizeof(what), "cron %s %s -> %s", e->schedule, tz, e->task);
        add_task(fresh, &n, e->name, job_of(e->task), what, &r);
    }
    for (i = 0; i < n; i++) {
        task *old = find_task(fresh[i].name);
        if (old) {
            fresh[i].enabled = old->enabled;
            fresh[i].requested = old->requested;
            fresh[i].running = old->running;
            fresh[i].last_run = old->last_run;
            snprintf(fresh[i].last_result, sizeof(fresh[i].last_result), "%s",
                     old->last_result);
        }
        if (old && strcmp(old->schedule, fresh[i].schedule) == 0 && old->next)
            fresh[i].next = old->next;
        else
            fresh[i].next = next_after(&fresh[i], now);
    }
    memcpy(tasks, fresh, n * sizeof(task));
    ntasks = n;
}

/* ---- HTTP callbacks (server thread) --------------------------------------------- */

static void add_time(struct json_object *o, const char *key, int64_t t)
{
    char buf[32];
    if (t <= 0 || t == INT64_MAX) {
        json_object_object_add(o, key, NULL);
        return;
    }
    fc_time_format(buf, sizeof(buf), t);
    json_object_object_add(o, key, json_object_new_string(buf));
}

static int tasks_json(fc_buf *out, void *payload)
{
    struct json_object *root = json_object_new_object(), *items = json_object_new_array();
    size_t i;
    int rc;
    (void)payload;
    pthread_mutex_lock(&mu);
    for (i = 0; i < ntasks; i++) {
        const task *t = &tasks[i];
        struct json_object *o = json_object_new_object();
        json_object_object_add(o, "name", json_object_new_string(t->name));
        json_object_object_add(o, "task", json_object_new_string(job_names[t->job]));
        json_object_object_add(o, "schedule", json_object_new_string(t->schedule));
        json_object_object_add(o, "enabled", json_object_new_boolean(t->enabled));
        json_object_object_add(o, "running", json_object_new_boolean(t->running));
        json_object_object_add(o, "requested", json_object_new_boolean(t->requested));
        add_time(o, "nextRun", t->enabled ? t->next : 0);
        add_time(o, "lastRun", t->last_run);
        json_object_object_add(o, "lastResult",
                               t->last_result[0] ? json_object_new_string(t->last_result)
                                                 : NULL);
        json_object_array_add(items, o);
    }
    pthread_mutex_unlock(&mu);
    json_object_object_add(root, "items", items);
    rc = fc_buf_puts(out, json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN));
    json_object_put(root);
    return rc;
}

static int task_action(const char *name, const char *verb, void *payload)
{
    task *t;
    int rc = FC_OK;
    (void)payload;
    if (strcmp(verb, "run") != 0 && strcmp(verb, "enable") != 0 &&
        strcmp(verb, "disable") != 0)
        return fc_error_set(FC_EINVALID, "verb");
    pthread_mutex_lock(&mu);
    if (!(t = find_task(name)))
        rc = fc_error_set(FC_ENOTFOUND, "no task %s", name);
    else if (strcmp(verb, "run") == 0)
        t->requested = 1;
    else
        t->enabled = strcmp(verb, "enable") == 0;
    pthread_mutex_unlock(&mu);
    if (rc == FC_OK)
        wake();
    return rc;
}

static void git_hook(void *payload)
{
    task *t;
    (void)payload;
    pthread_mutex_lock(&mu);
    if ((t = find_task("sync")))
        t->requested = 1;
    pthread_mutex_unlock(&mu);
    wake();
}

/* ---- the loop -------------------------------------------------------------------- */

void fc_loop_opts_init(fc_loop_opts *lo)
{
    const char *v;
    memset(lo, 0, sizeof(*lo));
    lo->interval = (v = getenv("FINOPS_INTERVAL")) && *v ? v : NULL;
    lo->listen = (v = getenv("FINOPS_LISTEN")) && *v ? v : "127.0.0.1:8080";
    lo->webhook_secret_file = (v = getenv("FINOPS_WEBHOOK_SECRET_FILE")) && *v ? v : NULL;
    lo->api_token_file = (v = getenv("FINOPS_API_TOKEN_FILE")) && *v ? v : NULL;
    lo->grace_period = (v = getenv("FINOPS_GRACE_PERIOD")) && *v ? fc_parse_duration(v) : 30;
}

typedef struct {
    int discovery, optimization, report;
    size_t n;
} due_set;

/* Marks what is due now as running and returns the union of its needs. */
static due_set take_due(int64_t now)
{
    due_set d = {0, 0, 0, 0};
    size_t i;
    pthread_mutex_lock(&mu);
    for (i = 0; i < ntasks; i++) {
        task *t = &tasks[i];
        if (!t->requested && !(t->enabled && t->next <= now))
            continue;
        t->running = 1;
        t->requested = 0; /* a trigger during the pass asks for one more */
        d.n++;
        d.discovery |= t->job == JOB_DISCOVERY || t->job == JOB_REPORT;
        d.optimization |= t->job == JOB_OPTIMIZATION;
        d.report |= t->job == JOB_REPORT;
    }
    pthread_mutex_unlock(&mu);
    return d;
}

/* After a pass: the tasks it ran get their result and next time; sync's
 * interval restarts after any pass. */
static void settle(int64_t started, int64_t ended, const char *result)
{
    size_t i;
    pthread_mutex_lock(&mu);
    for (i = 0; i < ntasks; i++) {
        task *t = &tasks[i];
        if (!t->running && strcmp(t->name, "sync") != 0)
            continue;
        t->last_run = started;
        snprintf(t->last_result, sizeof(t->last_result), "%s", result);
        t->running = 0;
        t->next = next_after(t, ended);
    }
    pthread_mutex_unlock(&mu);
}

/* Milliseconds until the earliest enabled task (0 when something is due),
 * at most a minute so a wall-clock jump is noticed. */
static int wait_ms(int64_t now)
{
    int64_t first = INT64_MAX;
    size_t i;
    pthread_mutex_lock(&mu);
    for (i = 0; i < ntasks; i++) {
        if (tasks[i].requested)
            first = now;
        else if (tasks[i].enabled && tasks[i].next < first)
            first = tasks[i].next;
    }
    pthread_mutex_unlock(&mu);
    if (first <= now)
        return 0;
    return first - now > 60 ? 60000 : (int)(first - now) * 1000;
}

static void drain(void)
{
    char buf[64];
    while (read(wake_rd, buf, sizeof(buf)) > 0)
        ;
}

static const char *result_of(int rc, const fc_run_result *res)
{
    return rc != FC_OK       ? "failed"
           : res->committed ? "committed"
           : res->skipped   ? "skipped"
                            : "unchanged";
}

int fc_loop_run(fc_run_opts *o, const fc_loop_opts *lo)
{
    static const fc_http_tasks callbacks = {tasks_json, task_action, git_hook, NULL};
    fc_http *http = NULL;
    fc_http_opts hopts;
    fc_sched_config cfg;
    char *secret = NULL, *token = NULL;
    struct sigaction sa;
    int fds[2], rc, exit_code = 0;
    long passes = 0, max_passes = lo->max_passes;
    const char *interval = lo->interval;

    memset(&cfg, 0, sizeof(cfg));
    if (lo->webhook_secret_file &&
        fc_http_read_secret(lo->webhook_secret_file, &secret) != FC_OK) {
        fprintf(stderr, "finops-controller: --webhook-secret-file: %s\n", fc_error_last());
        return 2;
    }
    if (lo->api_token_file && fc_http_read_secret(lo->api_token_file, &token) != FC_OK) {
        fprintf(stderr, "finops-controller: --api-token-file: %s\n", fc_error_last());
        exit_code = 2;
        goto done;
    }
    if (pipe(fds) != 0) {
        fprintf(stderr, "finops-controller: pipe: %s\n", strerror(errno));
        exit_code = 1;
        goto done;
    }
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    fcntl(fds[1], F_SETFL, O_NONBLOCK);
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    wake_rd = fds[0];
    wake_wr = fds[1];

    /* Until the first pass reads the Schedule: defaults, and run now. */
    pthread_mutex_lock(&mu);
    ntasks = 0;
    rebuild(&cfg, interval, (int64_t)time(NULL));
    tasks[0].requested = 1;
    pthread_mutex_unlock(&mu);

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART; /* a signal must not fail a syscall in the pass */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    grace_s = lo->grace_period > 0 ? (unsigned)lo->grace_period : 0;
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);

    memset(&hopts, 0, sizeof(hopts));
    hopts.state_dir = o->state_dir;
    hopts.webhook_secret = secret;
    hopts.api_token = token;
    hopts.tasks = &callbacks;
    if ((rc = fc_http_start(&http, lo->listen, &hopts)) != FC_OK) {
        fprintf(stderr, "finops-controller: %s\n", fc_error_last());
        exit_code = rc == FC_EINVALID ? 2 : 1;
        goto done;
    }
    fc_info("scheduler: webhook %s, task writes %s, grace period %ld s",
            secret ? "on" : "off (no secret)", token ? "on" : "off (no token)",
            lo->grace_period);

    git_libgit2_init();
    while (!stops) {
        fc_run_opts po = *o;
        fc_run_result res;
        due_set due;
        struct timespec t0, t1;
        int64_t started, now = (int64_t)time(NULL);
        double secs;
        long every;
        int ms = wait_ms(now);

        if (ms > 0 && lo->between_passes) {
            lo->between_passes(o, &interval, &max_passes);
            pthread_mutex_lock(&mu); /* a reload may have changed --interval */
            rebuild(&cfg, interval, now);
            pthread_mutex_unlock(&mu);
            ms = wait_ms(now);
        }
        if (ms > 0) {
            struct pollfd p = {wake_rd, POLLIN, 0};
            if (poll(&p, 1, ms) < 0 && errno != EINTR)
                fc_warn("scheduler: poll: %s", strerror(errno));
            drain();
            continue; /* re-evaluate: a wake-up, a signal or a due task */
        }
        due = take_due(now);
        if (!due.n)
            continue;
        po.discovery_due = due.discovery;
        po.report_due = due.report;
        /* --live executes only in the daily optimization run when the
         * Schedule names one; otherwise in every pass, as before. */
        po.live = o->live && (due.optimization || !cfg.optimization_time[0]);
        if (fc_http_needs_pass())
            po.force = 1; /* the API has no data until one full pass */
        fc_info("scheduler: pass for%s%s%s%s", " sync", due.discovery ? " discovery" : "",
                due.optimization ? (po.live ? " optimization(live)" : " optimization") : "",
                due.report ? " report" : "");
        clock_gettime(CLOCK_MONOTONIC, &t0);
        started = (int64_t)time(NULL);
        in_pass = 1;
        rc = fc_run_pass(&po, &res);
        in_pass = 0;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        passes++;
        if (rc != FC_OK) {
            fc_err("pass failed: %s (%s)", fc_error_last(), fc_code_name(rc));
            exit_code = 1;
        } else {
            exit_code = 0;
            fc_info("pass done in %.3f s: %zu resources, %zu recommendations (%.2f/month), "
                    "%zu planned, %zu spec errors, %s",
                    secs, res.nresources, res.nrecommendations, res.monthly_saving,
                    res.nplanned, res.nerrors,
                    res.committed ? "status committed" : res.skipped ? "nothing due" : "no change");
            /* A pass that read the specs brings the current Schedule. */
            if (res.schedule.found || res.nobjects || res.nerrors)
                cfg = res.schedule;
        }
        pthread_mutex_lock(&mu);
        rebuild(&cfg, interval, (int64_t)time(NULL));
        pthread_mutex_unlock(&mu);
        settle(started, (int64_t)time(NULL), result_of(rc, &res));
        pthread_mutex_lock(&mu);
        every = find_task("sync") ? find_task("sync")->rule.every : 300;
        pthread_mutex_unlock(&mu);
        fc_http_pass_done(rc, &res, secs, every);
        if (max_passes > 0 && passes >= max_passes)
            break;
    }
    if (stops) {
        fc_info("scheduler: stop requested: %ld passes, last status written; exiting 0",
                passes);
        exit_code = 0;
    }
    fc_http_stop(http);
    git_libgit2_shutdown();
done:
    if (wake_wr >= 0) {
        close(wake_rd);
        close(wake_wr);
        wake_rd = wake_wr = -1;
    }
    if (secret)
        memset(secret, 0, strlen(secret));
    if (token)
        memset(token, 0, strlen(token));
    free(secret);
    free(token);
    return exit_code;
}
