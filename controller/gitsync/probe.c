/*
 * probe.c - does the controller have push rights? (`finops-controller check`)
 *
 * A push with no refspecs only negotiates and proves nothing, so the probe
 * really writes: it pushes the fetched branch head (already on the remote,
 * so no objects travel) to the scratch ref refs/finops-controller/check,
 * then deletes that ref with a second push.  The tracked branch is never
 * touched.  Uses the same credentials and host-key checks as a pass.
 */
#include "controller/core/fc_error.h"
#include "controller/gitsync/auth_int.h"
#include "controller/gitsync/gitsync_int.h"

#include <stdio.h>
#include <string.h>

#define CHECK_REF "refs/finops-controller/check"

/* Payload of the callbacks: auth.c's state must come first. */
typedef struct {
    fc_gitsync__auth auth;
    int rejected;
    char why[256];
} probe_ctx;

static int on_update(const char *refname, const char *status, void *payload)
{
    probe_ctx *ctx = payload;
    (void)refname;
    if (status) {
        ctx->rejected = 1;
        snprintf(ctx->why, sizeof(ctx->why), "%s", status);
    }
    return 0;
}

static int push_one(fc_gitsync *g, const char *spec, const char *what)
{
    git_remote_create_options co;
    git_push_options po;
    git_remote *remote = NULL;
    git_strarray specs;
    probe_ctx ctx;
    char *s = (char *)spec;
    int err, rc = FC_OK;

    memset(&ctx, 0, sizeof(ctx));
    fc_gitsync__auth_init(&ctx.auth, g);
    if ((rc = fc_gitsync__auth_preflight(g)) != FC_OK)
        goto done;
    git_remote_create_options_init(&co, GIT_REMOTE_CREATE_OPTIONS_VERSION);
    co.repository = g->repo;
    co.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
    if ((err = git_remote_create_with_opts(&remote, g->url, &co)) < 0) {
        rc = fc_gitsync__error(FC_EGIT, err, "gitsync: bad remote URL %s", g->url_safe);
        goto done;
    }
    git_push_options_init(&po, GIT_PUSH_OPTIONS_VERSION);
    fc_gitsync__auth_callbacks(&po.callbacks);
    po.callbacks.push_update_reference = on_update;
    po.callbacks.payload = &ctx;
    specs.strings = &s;
    specs.count = 1;
    err = git_remote_push(remote, &specs, &po);
    if (err < 0) {
        if ((rc = fc_gitsync__auth_error(&ctx.auth, err, what)) == 0)
            rc = fc_gitsync__error(0, err, "gitsync: %s %s", what, g->url_safe);
        goto done;
    }
    if (ctx.rejected) {
        fc_gitsync__scrub(ctx.why);
        rc = fc_error_set(FC_EDENIED, "gitsync: %s rejected %s: %s", g->url_safe, what,
                          ctx.why);
    }
done:
    if (remote) {
        git_remote_disconnect(remote);
        git_remote_free(remote);
    }
    fc_gitsync__auth_dispose(&ctx.auth);
    return rc;
}

int fc_gitsync_probe_push(fc_gitsync *g)
{
    char spec[512];
    int rc;

    /* fc_gitsync_fetch() left the remote head here */
    snprintf(spec, sizeof(spec), "refs/remotes/origin/%s:" CHECK_REF, g->branch);
    if ((rc = push_one(g, spec, "push to " CHECK_REF)) != FC_OK)
        return rc;
    return push_one(g, ":" CHECK_REF, "delete of " CHECK_REF);
}
