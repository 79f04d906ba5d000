/*
 * known_hosts.c - the ssh host key check: is the key a server offered the
 * one an OpenSSH known_hosts file lists for that host?
 *
 * Stage: git sync, called from libgit2's certificate_check callback
 * (auth.c) before any credential is sent.  Inputs: the file's path, the
 * host and port we connect to, the server's public key blob.  Output: match,
 * unknown, mismatch or revoked, with a one-line reason.  Nothing is cached:
 * the file is read per connection, so edits apply at the next fetch.
 *
 * The format is sshd(8)'s: "[@marker] hosts keytype base64 [comment]",
 * hosts a comma list of patterns (wildcards, '!' negation, "[host]:port")
 * or one hashed "|1|base64(salt)|base64(HMAC-SHA1(salt, name))".
 */
#include "auth_int.h"

#include "../core/fc_error.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longer lines are not keys anyone uses (RSA-16384 is ~2.8 KB). */
#define MAX_LINE 16384

/* '*' and '?' glob, case-insensitive, as ssh's match_pattern().  Linear
 * backtracking: on a mismatch only the last '*' absorbs one more character,
 * so "a*a*a*...b" cannot take exponential time (found by fuzz_known_hosts). */
static int glob_match(const char *s, const char *p, size_t plen)
{
    const char *end = p + plen;
    const char *star = NULL, *resume = NULL;

    while (*s) {
        if (p < end && *p == '*') {
            star = ++p;
            resume = s;
        } else if (p < end &&
                   (*p == '?' || tolower((unsigned char)*p) == tolower((unsigned char)*s))) {
            p++;
            s++;
        } else if (star) {
            p = star;
            s = ++resume;
        } else {
            return 0;
        }
    }
    while (p < end && *p == '*')
        p++;
    return p == end;
}

static int hashed_match(const char *field, size_t len, const char *name)
{
    const char *salt = field + 3; /* after "|1|" */
    const char *bar = memchr(salt, '|', len - 3);
    unsigned char *s = NULL, *h = NULL;
    unsigned char mac[20];
    size_t slen, hlen;
    int ok = 0;

    if (!bar)
        return 0;
    if (fc_gitsync__b64_decode(salt, (size_t)(bar - salt), &s, &slen) != FC_OK ||
        fc_gitsync__b64_decode(bar + 1, len - (size_t)(bar + 1 - field), &h, &hlen) !=
            FC_OK)
        goto done;
    if (hlen != sizeof(mac))
        goto done;
    fc_gitsync__hmac_sha1(s, slen, name, strlen(name), mac);
    ok = memcmp(mac, h, sizeof(mac)) == 0;
done:
    free(s);
    free(h);
    return ok;
}

/* 1 when the hosts field names `name`: a positive pattern matches and no
 * negated one does. */
static int hosts_match(const char *field, size_t len, const char *name)
{
    const char *p = field;
    const char *end = field + len;
    int hit = 0;

    if (len > 3 && strncmp(field, "|1|", 3) == 0)
        return hashed_match(field, len, name);
    while (p < end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *e = comma ? comma : end;
        int neg = *p == '!';
        const char *pat = p + neg;

        if (e > pat && glob_match(name, pat, (size_t)(e - pat))) {
            if (neg)
                return 0;
            hit = 1;
        }
        p = e + 1;
    }
    return hit;
}

/* Splits off the next space-separated field of *s. */
static const char *next_field(char **s, size_t *len)
{
    char *p = *s;
    char *start;

    while (*p == ' ' || *p == '\t')
        p++;
    start = p;
    while (*p && *p != ' ' && *p != '\t')
        p++;
    *len = (size_t)(p - start);
    *s = p;
    return *len ? start : NULL;
}

int fc_gitsync__known_hosts_check(const char *file, const char *host, int port,
                                  const unsigned char *key, size_t keylen, char *why,
                                  size_t whysize)
{
    char name[300];
    char type[64];
    char fp[FC_SSH_FP_LEN];
    char other_fp[FC_SSH_FP_LEN] = "";
    char other_types[128] = "";
    char *line = NULL;
    FILE *f = NULL;
    unsigned lineno = 0;
    unsigned mismatch_line = 0;
    int result = FC_HOSTKEY_UNKNOWN;

    why[0] = '\0';
    if (port <= 0 || port == 22)
        snprintf(name, sizeof(name), "%s", host);
    else
        snprintf(name, sizeof(name), "[%s]:%d", host, port);
    fc_gitsync__ssh_fingerprint(key, keylen, fp);
    if (fc_gitsync__ssh_blob_type(key, keylen, type, sizeof(type)) < 0)
        snprintf(type, sizeof(type), "unknown-type");

    f = fopen(file, "r");
    if (!f && errno != ENOENT)
        return fc_error_set(FC_EIO, "gitsync: cannot read known_hosts %s: %s", file,
                            strerror(errno));
    if (f && !(line = malloc(MAX_LINE))) {
        fclose(f);
        return fc_error_set(FC_ENOMEM, "out of memory");
    }
    while (f && fgets(line, MAX_LINE, f)) {
        char *s = line;
        const char *hosts, *ktype, *kb64;
        size_t hlen, tlen, blen;
        unsigned char *blob = NULL;
        size_t bloblen = 0;
        int revoked = 0;

        lineno++;
        s[strcspn(s, "\r\n")] = '\0';
        if (!(hosts = next_field(&s, &hlen)) || hosts[0] == '#')
            continue;
        if (hosts[0] == '@') {
            if (hlen == 8 && strncmp(hosts, "@revoked", 8) == 0)
                revoked = 1;
            else
                continue; /* @cert-authority: certificates are not used here */
            if (!(hosts = next_field(&s, &hlen)))
                continue;
        }
        if (!(ktype = next_field(&s, &tlen)) || !(kb64 = next_field(&s, &blen)))
            continue;
        if (!hosts_match(hosts, hlen, name))
            continue;
        if (fc_gitsync__b64_decode(kb64, blen, &blob, &bloblen) != FC_OK)
            continue; /* a corrupt line names no key; not fatal for others */
        if (bloblen == keylen && memcmp(blob, key, keylen) == 0) {
            if (revoked) {
                free(blob);
                result = FC_HOSTKEY_REVOKED;
                snprintf(why, whysize,
                         "host key for %s (%s %s) is marked @revoked in %s:%u; "
                         "connection refused",
                         name, type, fp, file, lineno);
                goto done;
            }
            result = FC_HOSTKEY_MATCH;
        } else if (!revoked && tlen == strlen(type) && strncmp(ktype, type, tlen) == 0) {
            if (!mismatch_line) {
                mismatch_line = lineno;
                fc_gitsync__ssh_fingerprint(blob, bloblen, other_fp);
            }
        } else if (!revoked && strlen(other_types) + tlen + 3 < sizeof(other_types)) {
            if (other_types[0])
                strcat(other_types, ", ");
            strncat(other_types, ktype, tlen);
        }
        free(blob);
    }
    if (f && ferror(f)) {
        result = fc_error_set(FC_EIO, "gitsync: error reading known_hosts %s", file);
        goto done;
    }
    /* a match wins over a stale line of the same type, as in ssh */
    if (result == FC_HOSTKEY_MATCH)
        goto done;
    if (mismatch_line) {
        result = FC_HOSTKEY_MISMATCH;
        snprintf(why, whysize,
                 "host key mismatch for %s: the server offered %s %s but %s:%u lists "
                 "another %s key (%s); connection refused (a man-in-the-middle, or the "
                 "host key was changed: check, then update known_hosts)",
                 name, type, fp, file, mismatch_line, type, other_fp);
    } else {
        snprintf(why, whysize,
                 "unknown host key for %s: %s %s is not in %s%s%s%s; connection "
                 "refused (check the fingerprint with the server's owner, then add "
                 "the key to known_hosts)",
                 name, type, fp, file, f ? "" : " (no such file)",
                 other_types[0] ? ", which lists only " : "", other_types);
    }
done:
    free(line);
    if (f)
        fclose(f);
    return result;
}
