/*
 * aws_creds.c - the standard AWS credential chain and STS AssumeRole
 * (stage: discovery and apply).
 *
 * Inputs: the environment (AWS_*), the shared credentials and config files,
 * a web identity token file, IMDSv2, STS.  Outputs: aws_creds (key pair,
 * optional session token and expiry) the caller owns (aws_creds_dispose).
 *
 * Order, first hit wins: env AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY
 * [/AWS_SESSION_TOKEN]; ~/.aws/credentials (AWS_SHARED_CREDENTIALS_FILE) then
 * ~/.aws/config (AWS_CONFIG_FILE, "[profile x]" sections) for AWS_PROFILE;
 * web identity (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN) through
 * sts:AssumeRoleWithWebIdentity; IMDSv2 (token PUT, then the role's
 * credentials), unless AWS_EC2_METADATA_DISABLED=true.  Secrets are never
 * put into error messages or logs.
 */
#include "controller/cloud/aws_int.h"
#include "controller/core/fc_error.h"
#include "controller/core/fc_log.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define AWS_MAX_TOKEN_FILE (64u * 1024u)

static void scrub_free(char *s)
{
    if (s) {
        memset(s, 0, strlen(s));
        free(s);
    }
}

void aws_creds_dispose(aws_creds *c)
{
    if (!c)
        return;
    scrub_free(c->access_key);
    scrub_free(c->secret_key);
    scrub_free(c->token);
    memset(c, 0, sizeof(*c));
}

int aws_creds_copy(aws_creds *dst, const aws_creds *src)
{
    memset(dst, 0, sizeof(*dst));
    dst->access_key = fc_strdup(src->access_key);
    dst->secret_key = fc_strdup(src->secret_key);
    dst->token = src->token ? fc_strdup(src->token) : NULL;
    dst->expiration = src->expiration;
    dst->source = src->source;
    if (!dst->access_key || !dst->secret_key || (src->token && !dst->token)) {
        aws_creds_dispose(dst);
        return fc_error_set(FC_ENOMEM, "aws: out of memory");
    }
    return FC_OK;
}

int aws_creds_need_refresh(const aws_creds *c, int64_t now)
{
    if (!c || !c->access_key)
        return 1;
    return c->expiration != 0 && c->expiration - 300 <= now;
}

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

int aws_creds_from_env(aws_creds *out)
{
    const char *k = env("AWS_ACCESS_KEY_ID"), *s = env("AWS_SECRET_ACCESS_KEY");
    const char *t = env("AWS_SESSION_TOKEN");
    aws_creds c;

    memset(out, 0, sizeof(*out));
    if (!k || !s)
        return FC_ENOTFOUND;
    memset(&c, 0, sizeof(c));
    c.access_key = (char *)k;
    c.secret_key = (char *)s;
    c.token = (char *)t;
    c.source = "env";
    return aws_creds_copy(out, &c);
}

static char *trim(char *s)
{
    char *e;
    while (*s && isspace((unsigned char)*s))
        s++;
    e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

/* Does "[...]" name profile?  In config, "profile x" (and "default"). */
static int section_is(const char *sec, const char *profile, int config)
{
    if (strcmp(sec, profile) == 0)
        return 1;
    if (config && strncmp(sec, "profile", 7) == 0 && isspace((unsigned char)sec[7])) {
        const char *p = sec + 7;
        while (isspace((unsigned char)*p))
            p++;
        return strcmp(p, profile) == 0;
    }
    return 0;
}

int aws_ini_get(const char *path, const char *profile, int config,
                const char *key, char **out)
{
    FILE *f;
    char line[4096];
    int in = 0;

    *out = NULL;
    if (!(f = fopen(path, "r")))
        return errno == ENOENT || errno == ENOTDIR ? FC_ENOTFOUND
                                                   : fc_error_set(FC_EIO, "%s: cannot open: %s",
                                                                  path, strerror(errno));
    while (fgets(line, sizeof(line), f)) {
        char *l = trim(line), *eq;
        if (!*l || *l == '#' || *l == ';')
            continue;
        if (*l == '[') {
            char *end = strchr(l, ']');
            if (end)
                *end = '\0';
            in = section_is(trim(l + 1), profile, config);
            continue;
        }
        if (!in || !(eq = strchr(l, '=')))
            continue;
        *eq = '\0';
        if (strcasecmp(trim(l), key) == 0) {
            char *v = trim(eq + 1);
            fclose(f);
            if (!*v)
                return FC_ENOTFOUND;
            *out = fc_strdup(v);
            memset(line, 0, sizeof(line));
            return *out ? FC_OK : fc_error_set(FC_ENOMEM, "aws: out of memory");
        }
    }
    memset(line, 0, sizeof(line));
    fclose(f);
    return FC_ENOTFOUND;
}

static char *home_file(const char *envname, const char *rel)
{
    const char *p = env(envname), *home;
    if (p)
        return fc_strdup(p);
    if (!(home = env("HOME")))
        return NULL;
    return fc_asprintf("%s/%s", home, rel);
}

/* Key pair of profile in one file; FC_ENOTFOUND when the file lacks it. */
static int creds_in_file(const char *path, const char *profile, int config,
                         aws_creds *out)
{
    int rc;
    memset(out, 0, sizeof(*out));
    if ((rc = aws_ini_get(path, profile, config, "aws_access_key_id", &out->access_key)))
        return rc;
    if ((rc = aws_ini_get(path, profile, config, "aws_secret_access_key",
                          &out->secret_key))) {
        aws_creds_dispose(out);
        if (rc == FC_ENOTFOUND)
            return fc_error_set(FC_EINVALID, "%s: profile %s has aws_access_key_id "
                                "but no aws_secret_access_key", path, profile);
        return rc;
    }
    rc = aws_ini_get(path, profile, config, "aws_session_token", &out->token);
    if (rc != FC_OK && rc != FC_ENOTFOUND) {
        aws_creds_dispose(out);
        return rc;
    }
    out->source = config ? "config-file" : "shared-credentials-file";
    return FC_OK;
}

int aws_creds_from_files(aws_creds *out)
{
    const char *profile = env("AWS_PROFILE");
    char *cred = home_file("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials");
    char *conf = home_file("AWS_CONFIG_FILE", ".aws/config");
    int rc = FC_ENOTFOUND;

    if (!profile)
        profile = env("AWS_DEFAULT_PROFILE");
    if (!profile)
        profile = "default";
    memset(out, 0, sizeof(*out));
    if (cred)
        rc = creds_in_file(cred, profile, 0, out);
    if (rc == FC_ENOTFOUND && conf)
        rc = creds_in_file(conf, profile, 1, out);
    free(cred);
    free(conf);
    return rc;
}

static int read_small_file(const char *path, char **out)
{
    FILE *f = fopen(path, "rb");
    char *b;
    size_t n;

    *out = NULL;
    if (!f)
        return fc_error_set(FC_EIO, "aws: web identity token file %s: %s", path,
                            strerror(errno));
    if (!(b = malloc(AWS_MAX_TOKEN_FILE + 1))) {
        fclose(f);
        return fc_error_set(FC_ENOMEM, "aws: out of memory");
    }
    n = fread(b, 1, AWS_MAX_TOKEN_FILE, f);
    fclose(f);
    b[n] = '\0';
    while (n && (b[n - 1] == '\n' || b[n - 1] == '\r' || b[n - 1] == ' '))
        b[--n] = '\0';
    if (!n) {
        free(b);
        return fc_error_set(FC_EINVALID, "aws: web identity token file %s is empty", path);
    }
    *out = b;
    return FC_OK;
}

static const char *sts_region(void)
{
    const char *r = env("AWS_REGION");
    if (!r)
        r = env("AWS_DEFAULT_REGION");
    return r ? r : "us-east-1";
}

static int sts_call(aws_transport *t, const aws_endpoints *e, const aws_creds *signer,
                    const char *form, aws_creds *out, const char *what)
{
    const char *region = sts_region();
    char *url = aws_endpoint(e, "sts", region);
    aws_req *r = NULL;
    aws_result res;
    int rc;

    if (!url)
        return fc_error_set(FC_ENOMEM, "aws: out of memory");
    rc = aws_req_new(&r, "POST", url, form, region, "sts", signer);
    free(url);
    if (rc)
        return rc;
    if ((rc = aws_req_header(r, "Content-Type: application/x-www-form-urlencoded; "
                                "charset=utf-8"))) {
        aws_req_free(r);
        return rc;
    }
    r->what = fc_strdup(what);
    rc = aws_call(t, r, &res);
    if (rc == FC_OK)
        rc = aws_parse_sts_creds(res.body.data, res.body.len, out);
    else
        rc = fc_error_wrap(rc, "aws: %s", what);
    aws_result_dispose(&res);
    return rc;
}

static int form_add(fc_buf *b, const char *k, const char *v)
{
    if ((b->len && fc_buf_puts(b, "&")) || aws_urlencode(b, k) || fc_buf_puts(b, "=") ||
        aws_urlencode(b, v))
        return fc_error_set(FC_ENOMEM, "aws: out of memory");
    return FC_OK;
}

int aws_assume_role(aws_transport *t, const aws_endpoints *e, const aws_creds *base,
                    const char *role_arn, const char *session_name, aws_creds *out)
{
    fc_buf f;
    char what[256];
    int rc;

    memset(out, 0, sizeof(*out));
    fc_buf_init(&f);
    if ((rc = form_add(&f, "Action", "AssumeRole")) ||
        (rc = form_add(&f, "DurationSeconds", "3600")) ||
        (rc = form_add(&f, "RoleArn", role_arn)) ||
        (rc = form_add(&f, "RoleSessionName", session_name)) ||
        (rc = form_add(&f, "Version", "2011-06-15")))
        goto done;
    snprintf(what, sizeof(what), "sts:AssumeRole %s", role_arn);
    rc = sts_call(t, e, base, f.data, out, what);
done:
    fc_buf_dispose(&f);
    return rc;
}

static int from_web_identity(aws_transport *t, const aws_endpoints *e, aws_creds *out)
{
    const char *file = env("AWS_WEB_IDENTITY_TOKEN_FILE"), *role = env("AWS_ROLE_ARN");
    const char *session = env("AWS_ROLE_SESSION_NAME");
    char *token = NULL;
    fc_buf f;
    int rc;

    memset(out, 0, sizeof(*out));
    if (!file || !role)
        return FC_ENOTFOUND;
    if ((rc = read_small_file(file, &token)))
        return rc;
    fc_buf_init(&f);
    if ((rc = form_add(&f, "Action", "AssumeRoleWithWebIdentity")) ||
        (rc = form_add(&f, "RoleArn", role)) ||
        (rc = form_add(&f, "RoleSessionName", session ? session : "finops-controller")) ||
        (rc = form_add(&f, "Version", "2011-06-15")) ||
        (rc = form_add(&f, "WebIdentityToken", token)))
        goto done;
    /* AssumeRoleWithWebIdentity is unsigned: the token is the credential. */
    rc = sts_call(t, e, NULL, f.data, out, "sts:AssumeRoleWithWebIdentity");
    if (rc == FC_OK)
        out->source = "web-identity";
done:
    if (f.data)
        memset(f.data, 0, f.len);
    fc_buf_dispose(&f);
    scrub_free(token);
    return rc;
}

static int imds_get(aws_transport *t, const char *method, const char *url,
                    const char *header, aws_result *res)
{
    aws_req *r = NULL;
    int rc;
    if ((rc = aws_req_new(&r, method, url, NULL, NULL, NULL, NULL)))
        return rc;
    if ((rc = aws_req_header(r, header))) {
        aws_req_free(r);
        return rc;
    }
    r->max_attempts = 2; /* off EC2 this must fail fast */
    r->what = fc_strdup("imds");
    return aws_call(t, r, res);
}

static int from_imds(aws_transport *t, aws_creds *out)
{
    const char *base = env("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    const char *dis = env("AWS_EC2_METADATA_DISABLED");
    char *url = NULL, *hdr = NULL, *role = NULL;
    aws_result res;
    size_t n;
    int rc;

    memset(out, 0, sizeof(*out));
    memset(&res, 0, sizeof(res));
    if (dis && strcasecmp(dis, "true") == 0)
        return FC_ENOTFOUND;
    if (!base)
        base = "http://169.254.169.254";
    n = strlen(base);
    while (n && base[n - 1] == '/')
        n--;
    if (!(url = fc_asprintf("%.*s/latest/api/token", (int)n, base))) {
        rc = fc_error_set(FC_ENOMEM, "aws: out of memory");
        goto done;
    }
    if ((rc = imds_get(t, "PUT", url, "X-aws-ec2-metadata-token-ttl-seconds: 21600", &res))) {
        rc = fc_error_wrap(rc, "aws: IMDSv2 token");
        goto done;
    }
    if (!(hdr = fc_asprintf("X-aws-ec2-metadata-token: %s", res.body.data ? res.body.data : ""))) {
        rc = fc_error_set(FC_ENOMEM, "aws: out of memory");
        goto done;
    }
    aws_result_dispose(&res);
    free(url);
    if (!(url = fc_asprintf("%.*s/latest/meta-data/iam/security-credentials/", (int)n, base))) {
        rc = fc_error_set(FC_ENOMEM, "aws: out of memory");
        goto done;
    }
    if ((rc = imds_get(t, "GET", url, hdr, &res))) {
        rc = fc_error_wrap(rc, "aws: IMDS role");
        goto done;
    }
    role = fc_strdup(res.body.data ? res.body.data : "");
    aws_result_dispose(&res);
    if (!role) {
        rc = fc_error_set(FC_ENOMEM, "aws: out of memory");
        goto done;
    }
    role[strcspn(role, "\r\n")] = '\0';
    if (!*role) {
        rc = fc_error_set(FC_ENOTFOUND, "aws: IMDS has no instance role");
        goto done;
    }
    free(url);
    if (!(url = fc_asprintf("%.*s/latest/meta-data/iam/security-credentials/%s", (int)n,
                            base, role))) {
        rc = fc_error_set(FC_ENOMEM, "aws: out of memory");
        goto done;
    }
    if ((rc = imds_get(t, "GET", url, hdr, &res))) {
        rc = fc_error_wrap(rc, "aws: IMDS credentials");
        goto done;
    }
    rc = aws_parse_imds_creds(res.body.data, res.body.len, out);
done:
    aws_result_dispose(&res);
    free(url);
    scrub_free(hdr);
    free(role);
    return rc;
}

int aws_creds_resolve(aws_transport *t, const aws_endpoints *e, aws_creds *out)
{
    int rc;

    if ((rc = aws_creds_from_env(out)) != FC_ENOTFOUND)
        return rc;
    if ((rc = aws_creds_from_files(out)) != FC_ENOTFOUND)
        return rc;
    if ((rc = from_web_identity(t, e, out)) != FC_ENOTFOUND)
        return rc;
    if ((rc = from_imds(t, out)) == FC_OK)
        return rc;
    if (rc == FC_ENOTFOUND)
        return fc_error_set(FC_EDENIED, "aws: no credentials (env, shared files, web "
                            "identity; IMDS disabled or without a role)");
    return fc_error_wrap(FC_EDENIED, "aws: no credentials from env, shared files or web "
                         "identity, and IMDS failed");
}
