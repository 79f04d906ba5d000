/*
 * auth.c - who we are to the git server, and who the server is to us: the
 * credential and certificate callbacks of every fetch and push.
 *
 * Stage: git sync, inside fc_gitsync_fetch/push.  Inputs: the handle's
 * credential settings (token file, ssh key, passphrase file, known_hosts),
 * FINOPS_GIT_TOKEN, and what libgit2 asks for.  Outputs: libgit2
 * credentials, accept/refuse of a host key, and a reason when either
 * failed.  Ownership: fc_gitsync__auth lives on the caller's stack for one
 * operation; secrets read into it are wiped in fc_gitsync__auth_dispose.
 *
 * Rules kept here: secrets are read when the server asks for them (so a
 * rotated token file applies at the next operation), never logged and
 * masked out of every gitsync error message; a refused credential is not
 * offered twice (libgit2 would ask forever); an ssh server is trusted only
 * when known_hosts lists its key - there is no trust on first use.
 */
#include "auth_int.h"

#include "../core/fc_error.h"
#include "../core/fc_log.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TOKEN_USER "x-access-token"
#define SSH_DEFAULT_USER "git"
/* A token or a passphrase is a line, not a file. */
#define MAX_SECRET_BYTES 16384
/* libgit2 asks again after every refused credential; give up after this. */
#define MAX_AUTH_CALLS 4

/* Secrets in use by an operation on this thread, for fc_gitsync__auth_mask. */
static _Thread_local const char *live_secrets[2];

static void wipe(char *s)
{
    if (s) {
        volatile char *v = s;
        while (*v)
            *v++ = '\0';
    }
}

static void mask_one(char *s, const char *secret)
{
    size_t len;
    char *p;

    /* masking a 1-2 byte "secret" would shred the message, and it is no
     * secret worth the name; "***" must also never be longer than it */
    if (!secret || (len = strlen(secret)) < 3)
        return;
    while ((p = strstr(s, secret)) != NULL) {
        memcpy(p, "***", 3);
        memmove(p + 3, p + len, strlen(p + len) + 1);
    }
}

void fc_gitsync__auth_mask(char *s)
{
    size_t i;

    mask_one(s, getenv("FINOPS_GIT_TOKEN"));
    for (i = 0; i < FC_ARRAY_LEN(live_secrets); i++)
        mask_one(s, live_secrets[i]);
}

static void live_add(const char *secret)
{
    size_t i;

    for (i = 0; i < FC_ARRAY_LEN(live_secrets); i++) {
        if (!live_secrets[i]) {
            live_secrets[i] = secret;
            return;
        }
    }
}

static void live_remove(const char *secret)
{
    size_t i;

    for (i = 0; i < FC_ARRAY_LEN(live_secrets); i++)
        if (live_secrets[i] == secret)
            live_secrets[i] = NULL;
}

/* ---- URLs --------------------------------------------------------------- */

int fc_gitsync__url_is_ssh(const char *url)
{
    const char *colon, *slash;

    if (strncmp(url, "ssh://", 6) == 0 || strncmp(url, "git+ssh://", 10) == 0 ||
        strncmp(url, "ssh+git://", 10) == 0)
        return 1;
    if (strstr(url, "://"))
        return 0;
    /* git's rule: "host:path" without a '/' before the ':' is scp-style */
    colon = strchr(url, ':');
    slash = strchr(url, '/');
    return colon && (!slash || colon < slash) && colon != url;
}

int fc_gitsync__url_ssh_port(const char *url)
{
    const char *p = strstr(url, "://");
    const char *end, *at, *colon;
    long port;
    char *e;

    if (!p)
        return 22; /* scp-style has no port */
    p += 3;
    end = p + strcspn(p, "/");
    /* userinfo ends at the last '@' of the authority */
    for (at = end; at > p && at[-1] != '@'; at--)
        ;
    if (at > p)
        p = at;
    if (*p == '[') {
        const char *rb = memchr(p, ']', (size_t)(end - p));
        if (!rb)
            return -1;
        colon = rb + 1 < end && rb[1] == ':' ? rb + 1 : NULL;
    } else {
        colon = memchr(p, ':', (size_t)(end - p));
    }
    if (!colon || colon + 1 == end)
        return 22;
    errno = 0;
    port = strtol(colon + 1, &e, 10);
    if (errno || e != end || port <= 0 || port > 65535)
        return -1;
    return (int)port;
}

/* ---- secrets from files ------------------------------------------------- */

/* Reads a one-line secret file; the trailing newline (and CR) is dropped.
 * Messages name the file and the flag, never the content. */
static int read_secret(fc_gitsync__auth *a, const char *path, const char *flag,
                       char **out)
{
    struct stat st;
    char *buf = NULL;
    ssize_t n;
    size_t len = 0;
    int fd = -1;

    *out = NULL;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) < 0) {
        a->code = errno == EACCES ? FC_EDENIED : FC_EIO;
        snprintf(a->why, sizeof(a->why), "cannot read %s %s: %s", flag, path,
                 strerror(errno));
        goto fail;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > MAX_SECRET_BYTES) {
        a->code = FC_EINVALID;
        snprintf(a->why, sizeof(a->why), "%s %s is not a small regular file", flag, path);
        goto fail;
    }
    if (!(buf = malloc((size_t)st.st_size + 1))) {
        a->code = FC_ENOMEM;
        snprintf(a->why, sizeof(a->why), "out of memory");
        goto fail;
    }
    while (len < (size_t)st.st_size &&
           (n = read(fd, buf + len, (size_t)st.st_size - len)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            a->code = FC_EIO;
            snprintf(a->why, sizeof(a->why), "cannot read %s %s: %s", flag, path,
                     strerror(errno));
            goto fail;
        }
        len += (size_t)n;
    }
    buf[len] = '\0';
    while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
        buf[--len] = '\0';
    if (!len || strchr(buf, '\n')) {
        a->code = FC_EINVALID;
        snprintf(a->why, sizeof(a->why), "%s %s %s", flag, path,
                 len ? "holds more than one line" : "is empty");
        goto fail;
    }
    close(fd);
    *out = buf;
    return 0;
fail:
    if (fd >= 0)
        close(fd);
    if (buf) {
        buf[len] = '\0';
        wipe(buf);
        free(buf);
    }
    return -1;
}

/* ---- credentials -------------------------------------------------------- */

static int https_cred(fc_gitsync__auth *a, git_credential **out, const char *user)
{
    const char *token;

    if (a->userpass_calls++ > 0) {
        /* the server refused the token: asking again cannot help */
        a->gave_up = 1;
        return GIT_EAUTH;
    }
    if (a->g->token_file) {
        if (!a->token) {
            if (read_secret(a, a->g->token_file, "--git-token-file", &a->token) < 0)
                return GIT_EUSER;
            live_add(a->token);
        }
        token = a->token;
    } else {
        token = getenv("FINOPS_GIT_TOKEN");
    }
    if (!token || !token[0]) {
        a->no_token = 1;
        return GIT_PASSTHROUGH;
    }
    return git_credential_userpass_plaintext_new(out, user && user[0] ? user : TOKEN_USER,
                                                 token);
}

static int ssh_key_cred(fc_gitsync__auth *a, git_credential **out, const char *user)
{
    const fc_gitsync *g = a->g;
    char *pass = NULL;
    char *pub = NULL;
    int err;

    if (a->key_calls++ > 0) {
        a->gave_up = 1;
        return GIT_EAUTH;
    }
    if (!g->ssh_key)
        return git_credential_ssh_key_from_agent(out, user);
    if (access(g->ssh_key, R_OK) < 0) {
        a->code = errno == EACCES ? FC_EDENIED : FC_EIO;
        snprintf(a->why, sizeof(a->why), "cannot read --git-ssh-key %s: %s", g->ssh_key,
                 strerror(errno));
        return GIT_EUSER;
    }
    if (g->ssh_passphrase_file && read_secret(a, g->ssh_passphrase_file,
                                              "--git-ssh-key-passphrase-file", &pass) < 0)
        return GIT_EUSER;
    /* libssh2 derives the public key when it is not beside the private one */
    pub = fc_asprintf("%s.pub", g->ssh_key);
    if (pub && access(pub, R_OK) < 0) {
        free(pub);
        pub = NULL;
    }
    err = git_credential_ssh_key_new(out, user, pub, g->ssh_key, pass);
    free(pub);
    wipe(pass); /* libgit2 keeps its own copy inside the credential */
    free(pass);
    return err;
}

static int acquire_cred(git_credential **out, const char *url, const char *user_from_url,
                        unsigned int allowed, void *payload)
{
    fc_gitsync__auth *a = payload;
    const char *user = user_from_url && user_from_url[0] ? user_from_url : NULL;

    (void)url;
    if (++a->calls > MAX_AUTH_CALLS) {
        a->gave_up = 1;
        return GIT_EAUTH;
    }
    if (a->ssh) {
        if (allowed & GIT_CREDENTIAL_USERNAME)
            return git_credential_username_new(out, user ? user : SSH_DEFAULT_USER);
        if (allowed & GIT_CREDENTIAL_SSH_KEY)
            return ssh_key_cred(a, out, user ? user : SSH_DEFAULT_USER);
        /* password or keyboard-interactive only: we have no ssh password */
        a->gave_up = 1;
        return GIT_EAUTH;
    }
    if (allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT)
        return https_cred(a, out, user);
    if (allowed & GIT_CREDENTIAL_DEFAULT)
        return git_credential_default_new(out);
    return GIT_PASSTHROUGH;
}

/* ---- certificates ------------------------------------------------------- */

static char *default_known_hosts(void)
{
    const char *home = getenv("HOME");
    struct passwd *pw;

    if (!home || !home[0]) {
        pw = getpwuid(getuid());
        home = pw ? pw->pw_dir : NULL;
    }
    return home ? fc_asprintf("%s/.ssh/known_hosts", home) : NULL;
}

static int check_cert(git_cert *cert, int valid, const char *host, void *payload)
{
    fc_gitsync__auth *a = payload;
    git_cert_hostkey *hk;
    char *path = NULL;
    int port;
    int res;

    /* TLS: libgit2 verified the chain against the system CAs; keep that */
    if (cert->cert_type != GIT_CERT_HOSTKEY_LIBSSH2)
        return valid ? 0 : GIT_PASSTHROUGH;
    hk = (git_cert_hostkey *)cert;
    a->code = FC_EDENIED;
    if (!(hk->type & GIT_CERT_SSH_RAW) || !hk->hostkey || !hk->hostkey_len) {
        snprintf(
            a->why, sizeof(a->why),
            "the ssh library did not give the server's host key; connection refused");
        return GIT_ECERTIFICATE;
    }
    port = fc_gitsync__url_ssh_port(a->g->url);
    path = a->g->known_hosts ? fc_strdup(a->g->known_hosts) : default_known_hosts();
    if (!path) {
        a->code = FC_ENOMEM;
        snprintf(a->why, sizeof(a->why), "out of memory");
        return GIT_ECERTIFICATE;
    }
    res = fc_gitsync__known_hosts_check(path, host ? host : "", port,
                                        (const unsigned char *)hk->hostkey,
                                        hk->hostkey_len, a->why, sizeof(a->why));
    free(path);
    if (res == FC_HOSTKEY_MATCH) {
        a->code = 0;
        a->why[0] = '\0';
        return 0;
    }
    if (res < 0) {
        a->code = res;
        snprintf(a->why, sizeof(a->why), "%s", fc_error_last());
    }
    return GIT_ECERTIFICATE;
}

/* ---- the operation ------------------------------------------------------ */

void fc_gitsync__auth_init(fc_gitsync__auth *a, fc_gitsync *g)
{
    memset(a, 0, sizeof(*a));
    a->g = g;
    a->ssh = fc_gitsync__url_is_ssh(g->url);
}

void fc_gitsync__auth_dispose(fc_gitsync__auth *a)
{
    if (!a)
        return;
    if (a->token) {
        live_remove(a->token);
        wipe(a->token);
        free(a->token);
        a->token = NULL;
    }
}

void fc_gitsync__auth_callbacks(git_remote_callbacks *cb)
{
    cb->credentials = acquire_cred;
    cb->certificate_check = check_cert;
}

int fc_gitsync__auth_preflight(const fc_gitsync *g)
{
    if (fc_gitsync__url_is_ssh(g->url) && !(git_libgit2_features() & GIT_FEATURE_SSH))
        return fc_error_set(FC_EUNSUPPORTED,
                            "gitsync: %s is an ssh URL, but this libgit2 was built "
                            "without ssh support (libssh2); use https or a local path",
                            g->url_safe);
    if (fc_gitsync__url_is_ssh(g->url) && fc_gitsync__url_ssh_port(g->url) < 0)
        return fc_error_set(FC_EINVALID, "gitsync: bad port in ssh URL %s", g->url_safe);
    return FC_OK;
}

int fc_gitsync__auth_error(const fc_gitsync__auth *a, int gerr, const char *what)
{
    const fc_gitsync *g = a->g;
    char why[sizeof(a->why)];

    (void)gerr;
    if (a->code) {
        memcpy(why, a->why, sizeof(why));
        fc_gitsync__scrub(why);
        return fc_error_set(a->code, "gitsync: %s %s: %s", what, g->url_safe, why);
    }
    if (a->no_token)
        return fc_error_set(FC_ENETWORK,
                            "gitsync: %s %s: authentication required (set "
                            "--git-token-file or FINOPS_GIT_TOKEN)",
                            what, g->url_safe);
    if (a->gave_up && a->ssh)
        return fc_error_set(FC_ENETWORK,
                            "gitsync: %s %s: authentication failed (the server refused "
                            "%s%s)",
                            what, g->url_safe, g->ssh_key ? "the ssh key " : "",
                            g->ssh_key ? g->ssh_key
                                       : "the ssh-agent's keys "
                                         "(no --git-ssh-key given)");
    if (a->gave_up)
        return fc_error_set(FC_ENETWORK,
                            "gitsync: %s %s: authentication failed (credentials refused: "
                            "the token from %s)",
                            what, g->url_safe,
                            g->token_file ? g->token_file : "FINOPS_GIT_TOKEN");
    return 0;
}
