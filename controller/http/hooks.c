/*
 * hooks.c - the checks behind the HTTP write endpoints: webhook signatures
 * (GitHub, Gitea, GitLab), bearer tokens and reading secret files.
 *
 * Inputs: the configured secret or token and what the request carried.
 * Output: yes or no; server.c turns that into 401/404.  Every comparison
 * runs in time that depends only on lengths, and no secret, signature or
 * token ever reaches a log or an error message.
 */
#include "controller/http/fc_http.h"
#include "controller/core/fc_error.h"
#include "controller/core/secure.h"
#include "controller/gitsync/auth_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Lower-case hex of a 32-byte digest into out[65]. */
static void hex32(const unsigned char d[32], char out[65])
{
    static const char digits[] = "0123456789abcdef";
    int i;
    for (i = 0; i < 32; i++) {
        out[2 * i] = digits[d[i] >> 4];
        out[2 * i + 1] = digits[d[i] & 15];
    }
    out[64] = '\0';
}

/* Compares a received hex signature, any case, with ours. */
static int hex_sig_ok(const char *want_hex, const char *got)
{
    char low[65];
    size_t n = strlen(got), i;
    if (n != 64)
        return 0;
    for (i = 0; i < 64; i++)
        low[i] = (char)tolower((unsigned char)got[i]);
    low[64] = '\0';
    return fc_secure_equal(want_hex, 64, low, 64);
}

int fc_http_hook_verify(const char *secret, const void *body, size_t len,
                        const char *github_sig256, const char *gitea_sig,
                        const char *gitlab_token)
{
    unsigned char mac[32];
    char want[65];
    int ok = 0;

    if (!secret || !*secret)
        return 0;
    if (gitlab_token)
        return fc_secure_equal(secret, strlen(secret), gitlab_token, strlen(gitlab_token));
    if (!github_sig256 && !gitea_sig)
        return 0;
    if (fc_gitsync__hmac_sha256(secret, strlen(secret), body, len, mac) != FC_OK)
        return 0;
    hex32(mac, want);
    if (github_sig256)
        ok = strncmp(github_sig256, "sha256=", 7) == 0 && hex_sig_ok(want, github_sig256 + 7);
    else
        ok = hex_sig_ok(want, gitea_sig);
    memset(want, 0, sizeof(want));
    memset(mac, 0, sizeof(mac));
    return ok;
}

int fc_http_bearer_ok(const char *token, const char *authorization)
{
    const char *t;
    if (!token || !*token || !authorization || strncasecmp(authorization, "Bearer ", 7) != 0)
        return 0;
    for (t = authorization + 7; *t == ' '; t++)
        ;
    return fc_secure_equal(token, strlen(token), t, strlen(t));
}

int fc_http_read_secret(const char *path, char **out)
{
    char buf[4096];
    FILE *f;
    size_t n;
    *out = NULL;
    if (!(f = fopen(path, "r")))
        return fc_error_set(FC_EIO, "%s: cannot read the secret file", path);
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0';
    n = strlen(buf);
    while (n && (buf[n - 1] == ' ' || buf[n - 1] == '\t'))
        buf[--n] = '\0';
    if (!n)
        return fc_error_set(FC_EINVALID, "%s: the secret file is empty", path);
    *out = fc_strdup(buf);
    memset(buf, 0, sizeof(buf));
    return *out ? FC_OK : fc_error_set(FC_ENOMEM, "secret");
}
