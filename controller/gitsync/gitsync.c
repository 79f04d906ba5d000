/*
 * gitsync.c - the remote half of gitsync: the controller's bare clone under
 * <state_dir>/repo, fetching the tracked branch and pushing status commits
 * without force.
 *
 * Stage: the first and the last step of a pass (DESIGN.md: "git fetch" and
 * "status writer ... push").  Inputs: fc_gitsync_opts, borrowed and copied
 * on open; credentials and host keys are auth.c's business (token file or
 * FINOPS_GIT_TOKEN for https, key file or ssh-agent plus known_hosts for
 * ssh), read per operation and never stored, logged or put in an error
 * message.  Outputs: commit ids as hex strings.
 * Ownership: fc_gitsync owns the libgit2 repository and the copies of the
 * options; fc_gitsync_free() releases them and the libgit2 init reference.
 *
 * Every fetch and push talks to an in-memory remote built from the URL, not
 * to the configured "origin" (see ensure_origin for why), so url.insteadOf
 * rules in git config do not apply: the URL given is the URL used.
 */
#include "auth_int.h"
#include "gitsync_int.h"

#include "../core/fc_error.h"
#include "../core/fc_log.h"
#include "../http/fc_http.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_BRANCH "main"
#define DEFAULT_AUTHOR "finops-controller"
#define DEFAULT_EMAIL "finops-controller@localhost"

/* ---- errors ------------------------------------------------------------- */

static void strip_userinfo(char *s)
{
    char *p = s;

    while ((p = strstr(p, "://")) != NULL) {
        char *host = p + 3;
        char *q = host;
        char *at = NULL;

        /* userinfo ends at the last '@' before the path or the URL's end */
        while (*q && *q != '/' && *q != ' ' && *q != '\'' && *q != '"' &&
               *q != '\n' && *q != '>' && *q != ')') {
            if (*q == '@')
                at = q;
            q++;
        }
        if (at)
            memmove(host, at + 1, strlen(at + 1) + 1);
        p = host;
    }
}

void fc_gitsync__scrub(char *s)
{
    strip_userinfo(s);
    fc_gitsync__auth_mask(s);
}

static int classify(int gerr, const git_error *e)
{
    if (gerr == GIT_ENONFASTFORWARD)
        return FC_ECONFLICT;
    if (gerr == GIT_EAUTH || gerr == GIT_ECERTIFICATE)
        return FC_ENETWORK;
    if (e && (e->klass == GIT_ERROR_NET || e->klass == GIT_ERROR_SSL ||
              e->klass == GIT_ERROR_SSH || e->klass == GIT_ERROR_HTTP))
        return FC_ENETWORK;
    return FC_EGIT;
}

int fc_gitsync__error(int code, int gerr, const char *fmt, ...)
{
    const git_error *e = git_error_last();
    char ctx[512];
    char msg[768];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(ctx, sizeof(ctx), fmt, ap);
    va_end(ap);
    if (e && e->message && e->message[0])
        snprintf(msg, sizeof(msg), "%s", e->message);
    else
        snprintf(msg, sizeof(msg), "libgit2 error %d", gerr);
    if (!code)
        code = classify(gerr, e);
    fc_gitsync__scrub(ctx);
    fc_gitsync__scrub(msg);
    return fc_error_set(code, "%s: %s", ctx, msg);
}

/* ---- small helpers shared with gitsync_tree.c --------------------------- */

int fc_gitsync__commit(fc_gitsync *g, const char *hex, git_commit **out)
{
    git_oid oid;
    int err;

    *out = NULL;
    if (!hex || strlen(hex) != FC_OID_HEX - 1 || git_oid_fromstr(&oid, hex) < 0)
        return fc_error_set(FC_EINVALID, "gitsync: '%.64s' is not a full commit id",
                            hex ? hex : "(null)");
    err = git_commit_lookup(out, g->repo, &oid);
    if (err == GIT_ENOTFOUND)
        return fc_error_set(FC_ENOTFOUND,
                            "gitsync: commit %s is not in the local clone of %s",
                            hex, g->url_safe);
    if (err < 0)
        return fc_gitsync__error(FC_EGIT, err, "gitsync: cannot read commit %s", hex);
    return FC_OK;
}

int fc_gitsync__set_ref(fc_gitsync *g, const char *refname, const git_oid *oid,
                        const char *why)
{
    git_reference *ref = NULL;
    int err = git_reference_create(&ref, g->repo, refname, oid, 1, why);

    git_reference_free(ref);
    if (err < 0)
        return fc_gitsync__error(FC_EGIT, err, "gitsync: cannot update %s", refname);
    return FC_OK;
}

/* ---- open / free -------------------------------------------------------- */

/* mkdir -p; new directories get `mode`, existing ones are left alone. */
static int mkdir_p(const char *path, mode_t mode)
{
    char *p = fc_strdup(path);
    char *s;
    struct stat st;
    int rc = FC_OK;

    if (!p)
        return fc_error_set(FC_ENOMEM, "out of memory");
    for (s = p + 1;; s++) {
        if (*s != '/' && *s != '\0')
            continue;
        char c = *s;
        *s = '\0';
        if (mkdir(p, mode) < 0 && errno != EEXIST) {
            rc = fc_error_set(errno == EACCES ? FC_EDENIED : FC_EIO,
                              "gitsync: cannot create %s: %s", p, strerror(errno));
            goto done;
        }
        *s = c;
        if (!c)
            break;
    }
    if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
        rc = fc_error_set(FC_EIO, "gitsync: state dir %s is not a directory", path);
done:
    free(p);
    return rc;
}

/* 1 when dir does not exist or holds no entries. */
static int dir_is_empty(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int empty = 1;

    if (!d)
        return errno == ENOENT;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
            empty = 0;
            break;
        }
    }
    closedir(d);
    return empty;
}

/* git's rule: "host:path" without a '/' before the ':' is scp-style ssh. */
static int is_local_path(const char *url)
{
    const char *colon = strchr(url, ':');
    const char *slash = strchr(url, '/');

    if (strstr(url, "://"))
        return 0;
    return !colon || (slash && slash < colon);
}

/* A local path is stored absolute, so the clone survives a chdir. */
static char *resolve_url(const char *url)
{
    char cwd[PATH_MAX];
    char *abs;

    if (!is_local_path(url))
        return fc_strdup(url);
    abs = realpath(url, NULL);
    if (abs)
        return abs;
    if (url[0] == '/' || !getcwd(cwd, sizeof(cwd)))
        return fc_strdup(url);
    return fc_asprintf("%s/%s", cwd, url);
}

/*
 * Keeps remote.origin in the clone's config equal to the URL we were given,
 * for humans who run git in the state dir.  Written as plain config keys:
 * libgit2 1.5.1's git_remote_lookup/create leak pcre2 match data (~20 KiB
 * per config entry, fixed upstream after 1.5.1) while applying insteadOf
 * rules, too much for a process that runs for months.
 */
static int ensure_origin(fc_gitsync *g, int fresh)
{
    git_config *cfg = NULL;
    git_buf cur = {0};
    int had_url;
    int err;
    int rc = FC_OK;

    if ((err = git_repository_config(&cfg, g->repo)) < 0) {
        rc = fc_gitsync__error(FC_EGIT, err, "gitsync: cannot read config of the clone");
        goto done;
    }
    err = fresh ? GIT_ENOTFOUND : git_config_get_string_buf(&cur, cfg, "remote.origin.url");
    if (err < 0 && err != GIT_ENOTFOUND) {
        rc = fc_gitsync__error(FC_EGIT, err, "gitsync: cannot read remote.origin.url");
        goto done;
    }
    had_url = err == 0;
    /* url_safe: a password or token in the URL is not written to disk */
    if (had_url && strcmp(cur.ptr, g->url_safe) == 0)
        goto done;
    if ((err = git_config_set_string(cfg, "remote.origin.url", g->url_safe)) < 0) {
        rc = fc_gitsync__error(FC_EGIT, err, "gitsync: cannot set origin to %s",
                               g->url_safe);
        goto done;
    }
    if (had_url) {
        fc_info("gitsync: origin changed to %s", g->url_safe);
        goto done;
    }
    err = git_config_set_string(cfg, "remote.origin.fetch",
                                "+refs/heads/*:refs/remotes/origin/*");
    if (err < 0)
        rc = fc_gitsync__error(FC_EGIT, err, "gitsync: cannot set remote.origin.fetch");
done:
    git_buf_dispose(&cur);
    git_config_free(cfg);
    return rc;
}

/* An in-memory remote for one operation: no config lookup, no insteadOf
 * (see ensure_origin), and nothing written to the config. */
static int make_remote(fc_gitsync *g, git_remote **out)
{
    git_remote_create_options o;
    int err;

    if ((err = fc_gitsync__auth_preflight(g)) != FC_OK)
        return err;
    git_remote_create_options_init(&o, GIT_REMOTE_CREATE_OPTIONS_VERSION);
    o.repository = g->repo;
    o.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
    if ((err = git_remote_create_with_opts(out, g->url, &o)) < 0)
        return fc_gitsync__error(FC_EGIT, err, "gitsync: bad remote URL %s", g->url_safe);
    return FC_OK;
}

static int open_repo(fc_gitsync *g, const char *path)
{
    git_repository_init_options io;
    int err;

    /* the _INIT macros trip -Wmissing-field-initializers; the functions don't */
    git_repository_init_options_init(&io, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
    err = git_repository_open_ext(&g->repo, path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL);
    if (err == 0) {
        if (!git_repository_is_bare(g->repo))
            return fc_error_set(FC_EINVALID,
                                "gitsync: %s is a repository with a work tree; "
                                "the controller needs its own bare clone", path);
        return ensure_origin(g, 0);
    }
    if (err != GIT_ENOTFOUND)
        return fc_gitsync__error(FC_EGIT, err, "gitsync: cannot open %s", path);
    /* never scribble a repository into someone else's files */
    if (!dir_is_empty(path))
        return fc_error_set(FC_EINVALID,
                            "gitsync: %s exists and is not a git repository", path);
    io.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH |
               GIT_REPOSITORY_INIT_NO_REINIT;
    io.initial_head = g->branch;
    err = git_repository_init_ext(&g->repo, path, &io);
    if (err < 0)
        return fc_gitsync__error(FC_EGIT, err, "gitsync: cannot create %s", path);
    fc_info("gitsync: created bare clone %s of %s", path, g->url_safe);
    return ensure_origin(g, 1);
}

/* Copies an optional string ("" = unset = NULL); -1 on OOM. */
static int dup_opt(char **out, const char *s)
{
    *out = s && s[0] ? fc_strdup(s) : NULL;
    return s && s[0] && !*out ? -1 : 0;
}

int fc_gitsync_open(fc_gitsync **out, const fc_gitsync_opts *opts)
{
    fc_gitsync *g = NULL;
    char *refname = NULL;
    char *repo_path = NULL;
    char safe[1024];
    int valid = 0;
    int err;
    int rc = FC_OK;

    assert(out && opts);
    *out = NULL;
    if (!opts->url || !opts->url[0])
        return fc_error_set(FC_EINVALID, "gitsync: no repository URL given");
    if (!opts->state_dir || !opts->state_dir[0])
        return fc_error_set(FC_EINVALID, "gitsync: no state directory given");
    if ((err = git_libgit2_init()) < 0)
        return fc_gitsync__error(FC_EGIT, err, "gitsync: libgit2 init failed");
    g = calloc(1, sizeof(*g));
    if (!g) {
        git_libgit2_shutdown();
        return fc_error_set(FC_ENOMEM, "out of memory");
    }
    g->git_inited = 1;

    g->url = resolve_url(opts->url);
    g->branch = fc_strdup(opts->branch && opts->branch[0] ? opts->branch : DEFAULT_BRANCH);
    g->author_name = fc_strdup(opts->author_name && opts->author_name[0]
                                   ? opts->author_name : DEFAULT_AUTHOR);
    g->author_email = fc_strdup(opts->author_email && opts->author_email[0]
                                    ? opts->author_email : DEFAULT_EMAIL);
    if (!g->url || !g->branch || !g->author_name || !g->author_email) {
        rc = fc_error_set(FC_ENOMEM, "out of memory");
        goto done;
    }
    /* paths only: secrets themselves are read per operation (auth.c) */
    if (!(g->state_dir = fc_strdup(opts->state_dir)) ||
        dup_opt(&g->token_file, opts->token_file) < 0 ||
        dup_opt(&g->ssh_key, opts->ssh_key) < 0 ||
        dup_opt(&g->ssh_passphrase_file, opts->ssh_key_passphrase_file) < 0 ||
        dup_opt(&g->known_hosts, opts->known_hosts) < 0 ||
        dup_opt(&g->status_branch, opts->status_branch) < 0 ||
        dup_opt(&g->trailers, opts->commit_trailers) < 0 ||
        dup_opt(&g->signing_key, opts->signing_key) < 0 ||
        dup_opt(&g->signing_passphrase_file, opts->signing_passphrase_file) < 0) {
        rc = fc_error_set(FC_ENOMEM, "out of memory");
        goto done;
    }
    fc_redact_url(safe, sizeof(safe), g->url);
    if (!(g->url_safe = fc_strdup(safe))) {
        rc = fc_error_set(FC_ENOMEM, "out of memory");
        goto done;
    }

    refname = fc_asprintf("refs/heads/%s", g->branch);
    if (!refname) {
        rc = fc_error_set(FC_ENOMEM, "out of memory");
        goto done;
    }
    if (git_reference_name_is_valid(&valid, refname) < 0 || !valid) {
        rc = fc_error_set(FC_EINVALID, "gitsync: '%s' is not a valid branch name",
                          g->branch);
        goto done;
    }
    g->sign_format = opts->sign_format;
    if (g->status_branch) { /* --status-branch: same rules as the branch */
        free(refname);
        if (!(refname = fc_asprintf("refs/heads/%s", g->status_branch))) {
            rc = fc_error_set(FC_ENOMEM, "out of memory");
            goto done;
        }
        if (git_reference_name_is_valid(&valid, refname) < 0 || !valid ||
            strcmp(g->status_branch, g->branch) == 0) {
            rc = fc_error_set(FC_EINVALID, "gitsync: status branch '%s' is not a valid "
                              "branch name other than '%s'", g->status_branch, g->branch);
            goto done;
        }
    }

    if ((rc = mkdir_p(opts->state_dir, 0700)) != FC_OK)
        goto done;
    repo_path = fc_asprintf("%s/repo", opts->state_dir);
    if (!repo_path) {
        rc = fc_error_set(FC_ENOMEM, "out of memory");
        goto done;
    }
    rc = open_repo(g, repo_path);

done:
    free(refname);
    free(repo_path);
    if (rc != FC_OK) {
        fc_gitsync_free(g);
        return rc;
    }
    *out = g;
    return FC_OK;
}

void fc_gitsync_free(fc_gitsync *g)
{
    if (!g)
        return;
    git_repository_free(g->repo);
    free(g->url);
    free(g->url_safe);
    free(g->branch);
    free(g->author_name);
    free(g->author_email);
    free(g->state_dir);
    free(g->token_file);
    free(g->ssh_key);
    free(g->ssh_passphrase_file);
    free(g->known_hosts);
    free(g->status_branch);
    free(g->trailers);
    free(g->signing_key);
    free(g->signing_passphrase_file);
    if (g->git_inited)
        git_libgit2_shutdown();
    free(g);
}

/* ---- credentials -------------------------------------------------------- */

/* The payload of one fetch or push: auth.c's state first (its callbacks
 * cast the payload to it), then what the push callbacks collect. */
typedef struct {
    fc_gitsync__auth auth;
    /* push only */
    int rejected;
    char reject_ref[256];
    char reject_why[256];
    const char *branch_ref; /* refs/heads/<branch> */
    git_oid expected_old;   /* where it must be for a fast-forward */
    int moved;              /* the remote branch is elsewhere */
} remote_ctx;

/*
 * Refuses, before any object is sent, a push whose branch is no longer
 * where the status commit was built: libgit2 skips its own fast-forward
 * check when it has never seen the remote's new tip.
 */
static int on_negotiation(const git_push_update **updates, size_t len, void *payload)
{
    remote_ctx *ctx = payload;
    size_t i;

    for (i = 0; i < len; i++) {
        if (ctx->branch_ref && strcmp(updates[i]->dst_refname, ctx->branch_ref) == 0 &&
            !git_oid_equal(&updates[i]->src, &ctx->expected_old) &&
            !git_oid_equal(&updates[i]->src, &updates[i]->dst)) {
            ctx->moved = 1;
            return GIT_ENONFASTFORWARD;
        }
    }
    return 0;
}

static int on_push_update(const char *refname, const char *status, void *payload)
{
    remote_ctx *ctx = payload;

    if (status) {
        ctx->rejected = 1;
        snprintf(ctx->reject_ref, sizeof(ctx->reject_ref), "%s", refname);
        snprintf(ctx->reject_why, sizeof(ctx->reject_why), "%s", status);
    }
    return 0;
}

static void init_callbacks(git_remote_callbacks *cb, remote_ctx *ctx)
{
    fc_gitsync__auth_callbacks(cb);
    cb->push_update_reference = on_push_update;
    cb->push_negotiation = on_negotiation;
    cb->payload = ctx;
}

/* A remote failure, with the auth story told plainly when that was it. */
static int remote_error(fc_gitsync *g, const remote_ctx *ctx, int err,
                        const char *what)
{
    const git_error *e;
    int rc;

    /* libgit2's text here is about the missing callback, or stale: the
     * callbacks know better (refused host key, refused credentials) */
    if ((rc = fc_gitsync__auth_error(&ctx->auth, err, what)) != 0)
        return rc;
    if (err == GIT_EAUTH)
        return fc_gitsync__error(FC_ENETWORK, err,
                                 "gitsync: %s %s: authentication failed", what,
                                 g->url_safe);
    /* during a remote operation an OS error is a socket or a pipe to ssh */
    e = git_error_last();
    return fc_gitsync__error(e && e->klass == GIT_ERROR_OS ? FC_ENETWORK : 0, err,
                             "gitsync: %s %s", what, g->url_safe);
}

/* ---- fetch -------------------------------------------------------------- */

int fc_gitsync_fetch(fc_gitsync *g, char head_hex[FC_OID_HEX])
{
    return fc_gitsync__fetch_branch(g, g->branch, head_hex);
}

int fc_gitsync__fetch_branch(fc_gitsync *g, const char *branch, char head_hex[FC_OID_HEX])
{
    git_remote *remote = NULL;
    git_remote_connect_options co;
    git_fetch_options fo;
    const git_remote_head **heads = NULL;
    remote_ctx ctx;
    git_strarray specs;
    char *src = NULL;
    char *dst = NULL;
    char *spec = NULL;
    size_t nheads = 0;
    size_t i;
    int found = 0;
    int had_old;
    git_oid oid, old_oid;
    int err;
    int rc = FC_OK;

    assert(g && head_hex);
    head_hex[0] = '\0';
    memset(&ctx, 0, sizeof(ctx));
    fc_gitsync__auth_init(&ctx.auth, g);
    git_error_clear(); /* so a message we report is this call's own */
    git_remote_connect_options_init(&co, GIT_REMOTE_CONNECT_OPTIONS_VERSION);
    git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
    src = fc_asprintf("refs/heads/%s", branch);
    dst = fc_asprintf("refs/remotes/origin/%s", branch);
    spec = fc_asprintf("+%s:%s", src ? src : "", dst ? dst : "");
    if (!src || !dst || !spec) {
        rc = fc_error_set(FC_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = make_remote(g, &remote)) != FC_OK)
        goto done;
    init_callbacks(&co.callbacks, &ctx);
    if ((err = git_remote_connect_ext(remote, GIT_DIRECTION_FETCH, &co)) < 0) {
        rc = remote_error(g, &ctx, err, "cannot connect to");
        goto done;
    }
    /* An explicit refspec for a missing branch fetches nothing and leaves a
     * stale tracking ref behind, so ask the advertisement first. */
    if ((err = git_remote_ls(&heads, &nheads, remote)) < 0) {
        rc = remote_error(g, &ctx, err, "cannot list refs of");
        goto done;
    }
    for (i = 0; i < nheads && !found; i++)
        found = strcmp(heads[i]->name, src) == 0;
    if (!found) {
        rc = fc_error_set(FC_ENOTFOUND, "gitsync: branch '%s' not found on %s",
                          branch, g->url_safe);
        goto done;
    }

    specs.strings = &spec;
    specs.count = 1;
    fo.callbacks = co.callbacks;
    fo.prune = GIT_FETCH_NO_PRUNE;
    fo.update_fetchhead = 0;
    fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
    if ((err = git_remote_download(remote, &specs, &fo)) < 0) {
        rc = remote_error(g, &ctx, err, "cannot fetch from");
        goto done;
    }
    /* The tracking ref is the last head we synced (fetched or pushed). */
    had_old = git_reference_name_to_id(&old_oid, g->repo, dst) == 0;
    err = git_remote_update_tips(remote, &fo.callbacks, 0,
                                 GIT_REMOTE_DOWNLOAD_TAGS_NONE,
                                 "finops-controller: fetch");
    if (err < 0) {
        rc = fc_gitsync__error(FC_EGIT, err, "gitsync: cannot update %s", dst);
        goto done;
    }
    if ((err = git_reference_name_to_id(&oid, g->repo, dst)) < 0) {
        rc = fc_gitsync__error(FC_EGIT, err, "gitsync: fetched %s but cannot resolve %s",
                               g->url_safe, dst);
        goto done;
    }
    /* A force-push: sync to the new history as it is.  Status commits are
     * built on the head returned here and pushed without force, so nothing
     * based on the old history can land over the new one. */
    if (had_old && !git_oid_equal(&old_oid, &oid) &&
        git_graph_descendant_of(g->repo, &oid, &old_oid) != 1) {
        char o[FC_OID_HEX], n[FC_OID_HEX];
        git_oid_tostr(o, sizeof(o), &old_oid);
        git_oid_tostr(n, sizeof(n), &oid);
        fc_warn("gitsync: history rewritten: %s is not an ancestor of %s (%s %s); "
                "re-syncing to the new history", o, n, g->url_safe, branch);
        fc_metrics_add(fc_metrics_global(), "finops_git_history_rewrites_total", NULL, 0, 1);
    }
    git_oid_tostr(head_hex, FC_OID_HEX, &oid);
    fc_debug("gitsync: fetched %s %s at %.12s", g->url_safe, branch, head_hex);

done:
    if (remote) {
        git_remote_disconnect(remote);
        git_remote_free(remote);
    }
    fc_gitsync__auth_dispose(&ctx.auth);
    free(src);
    free(dst);
    free(spec);
    return rc;
}

/* ---- push --------------------------------------------------------------- */

static int is_conflict_reason(const char *why)
{
    return strstr(why, "non-fast-forward") || strstr(why, "fetch first") ||
           strstr(why, "stale info") || strstr(why, "already exists") ||
           strstr(why, "failed to update ref") || strstr(why, "cannot lock ref");
}

/* Where a push to a local remote parks the objects before the branch moves. */
#define INCOMING_REF "refs/finops-controller/incoming"

static int open_local_remote(fc_gitsync *g, git_repository **out)
{
    const char *path = strncmp(g->url, "file://", 7) == 0 ? g->url + 7 : g->url;
    int err = git_repository_open_ext(out, path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL);
    if (err < 0)
        return fc_gitsync__error(FC_EGIT, err, "gitsync: cannot open %s", g->url_safe);
    return FC_OK;
}

/* A leftover private ref from a pass that died mid-push would make the next
 * (non-forced) push of it fail. */
static int local_drop_incoming(fc_gitsync *g)
{
    git_repository *r = NULL;
    int err, rc;
    if ((rc = open_local_remote(g, &r)) != FC_OK)
        return rc;
    err = git_reference_remove(r, INCOMING_REF);
    git_repository_free(r);
    if (err < 0 && err != GIT_ENOTFOUND)
        return fc_gitsync__error(FC_EGIT, err, "gitsync: cannot clear %s in %s",
                                 INCOMING_REF, g->url_safe);
    return FC_OK;
}

/* Moves the local remote's branch from old to commit only if it is still
 * at old: an atomic compare-and-swap, so a concurrent human push wins and
 * we rebuild. */
static int local_advance(fc_gitsync *g, const char *branch, const git_oid *commit,
                         const git_oid *old)
{
    git_repository *r = NULL;
    git_reference *ref = NULL;
    char *name = fc_asprintf("refs/heads/%s", branch);
    int err, rc;

    if (!name)
        return fc_error_set(FC_ENOMEM, "out of memory");
    if ((rc = open_local_remote(g, &r)) != FC_OK)
        goto done;
    /* zero old: a new status branch, which must not exist yet */
    err = git_oid_is_zero(old)
              ? git_reference_create(&ref, r, name, commit, 0, "push: finops-controller status")
              : git_reference_create_matching(&ref, r, name, commit, 1, old,
                                              "push: finops-controller status");
    if (err == GIT_EEXISTS)
        err = GIT_EMODIFIED;
    if (err == GIT_EMODIFIED) {
        git_oid cur;
        /* Already there (a retried push): nothing to do. */
        if (git_reference_name_to_id(&cur, r, name) == 0 && git_oid_equal(&cur, commit))
            err = 0;
    }
    if (err == GIT_EMODIFIED || err == GIT_ELOCKED) {
        rc = fc_error_set(FC_ECONFLICT,
                          "gitsync: push to %s %s rejected (branch moved; fetch and rebuild)",
                          g->url_safe, branch);
    } else if (err < 0) {
        rc = fc_gitsync__error(FC_EGIT, err, "gitsync: cannot update %s in %s", name,
                               g->url_safe);
    }
    git_reference_remove(r, INCOMING_REF);
done:
    git_reference_free(ref);
    git_repository_free(r);
    free(name);
    return rc;
}

int fc_gitsync_push(fc_gitsync *g, const char *commit_hex)
{
    const char *branch = fc_gitsync_status_branch(g);
    git_commit *commit = NULL;
    git_remote *remote = NULL;
    git_push_options po;
    remote_ctx ctx;
    git_strarray specs;
    char *local = NULL;
    char *tracking = NULL;
    char *spec = NULL;
    int err;
    int rc;

    assert(g);
    memset(&ctx, 0, sizeof(ctx));
    fc_gitsync__auth_init(&ctx.auth, g);
    git_error_clear();
    git_push_options_init(&po, GIT_PUSH_OPTIONS_VERSION);
    if ((rc = fc_gitsync__commit(g, commit_hex, &commit)) != FC_OK)
        goto done;
    /* no parent: the first commit of a new status branch (status_branch.c),
     * which must not exist on the remote (expected_old stays zero) */
    if (git_commit_parentcount(commit) > 1 ||
        (git_commit_parentcount(commit) == 0 && !g->status_branch)) {
        rc = fc_error_set(FC_EINVALID, "gitsync: %.12s is not a status commit", commit_hex);
        goto done;
    }
    if (git_commit_parentcount(commit) == 1)
        git_oid_cpy(&ctx.expected_old, git_commit_parent_id(commit, 0));
    local = fc_asprintf("refs/heads/%s", branch);
    tracking = fc_asprintf("refs/remotes/origin/%s", branch);
    /* never a leading '+': the remote decides whether it fast-forwards.
     * A local remote is written by libgit2 itself, without the checks a
     * server makes, so objects go to a private ref and the branch moves
     * by compare-and-swap afterwards (local_advance). */
    spec = is_local_path(g->url) || strncmp(g->url, "file://", 7) == 0
               ? fc_asprintf("%s:%s", local ? local : "", INCOMING_REF)
               : fc_asprintf("%s:%s", local ? local : "", local ? local : "");
    if (!local || !tracking || !spec) {
        rc = fc_error_set(FC_ENOMEM, "out of memory");
        goto done;
    }
    ctx.branch_ref = local;
    /* libgit2 pushes refs, not bare ids: stage the commit on our own branch */
    rc = fc_gitsync__set_ref(g, local, git_commit_id(commit), "finops-controller: push");
    if (rc != FC_OK)
        goto done;
    if ((rc = make_remote(g, &remote)) != FC_OK)
        goto done;
    init_callbacks(&po.callbacks, &ctx);
    specs.strings = &spec;
    specs.count = 1;
    if (strstr(spec, INCOMING_REF) && (rc = local_drop_incoming(g)) != FC_OK)
        goto done;
    err = git_remote_push(remote, &specs, &po);
    if (err == GIT_ENONFASTFORWARD || ctx.moved) {
        rc = fc_gitsync__error(FC_ECONFLICT, err,
                               "gitsync: push of %.12s to %s %s rejected "
                               "(branch moved; fetch and rebuild)",
                               commit_hex, g->url_safe, branch);
        goto done;
    }
    if (err < 0) {
        rc = remote_error(g, &ctx, err, "cannot push to");
        goto done;
    }
    if (ctx.rejected) {
        fc_gitsync__scrub(ctx.reject_why);
        rc = fc_error_set(is_conflict_reason(ctx.reject_why) ? FC_ECONFLICT : FC_EDENIED,
                          "gitsync: %s rejected push of %.12s to %s: %s",
                          g->url_safe, commit_hex, ctx.reject_ref, ctx.reject_why);
        goto done;
    }
    if (strstr(spec, INCOMING_REF) &&
        (rc = local_advance(g, branch, git_commit_id(commit), &ctx.expected_old)) != FC_OK)
        goto done;
    rc = fc_gitsync__set_ref(g, tracking, git_commit_id(commit),
                             "finops-controller: push");
    if (rc == FC_OK)
        fc_info("gitsync: pushed %.12s to %s %s", commit_hex, g->url_safe, branch);

done:
    if (remote) {
        git_remote_disconnect(remote);
        git_remote_free(remote);
    }
    fc_gitsync__auth_dispose(&ctx.auth);
    git_commit_free(commit);
    free(local);
    free(tracking);
    free(spec);
    return rc;
}
