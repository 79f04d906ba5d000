/*
 * auth_int.h - what gitsync's transport security shares inside
 * controller/gitsync/: per-operation credential state (auth.c), the
 * OpenSSH known_hosts check (known_hosts.c) and the small codecs both need
 * (codec.c: SHA-1, HMAC-SHA1, SHA-256, base64).
 *
 * Nothing outside controller/gitsync/ includes this file (tests excepted).
 */
#ifndef FC_GITSYNC_AUTH_INT_H
#define FC_GITSYNC_AUTH_INT_H

#include "gitsync_int.h"

#include <git2.h>
#include <stddef.h>
#include <stdint.h>

/* ---- codecs (codec.c) ---------------------------------------------------- */

void fc_gitsync__sha1(const void *data, size_t len, unsigned char out[20]);
void fc_gitsync__sha256(const void *data, size_t len, unsigned char out[32]);
/* HMAC-SHA256 of a message of any length: FC_OK or FC_ENOMEM. */
int fc_gitsync__hmac_sha256(const void *key, size_t klen, const void *msg, size_t mlen,
                            unsigned char out[32]);
/* Secrets are compared with fc_secure_equal (controller/core/secure.h). */
void fc_gitsync__hmac_sha1(const void *key, size_t klen, const void *msg, size_t mlen,
                           unsigned char out[20]);

/* Standard base64 ('=' padding optional, whitespace skipped).  *out is
 * malloc'd (free it); FC_EPARSE on a bad character, FC_ENOMEM. */
int fc_gitsync__b64_decode(const char *s, size_t len, unsigned char **out,
                           size_t *outlen);
/* Encodes into out (NUL-terminated); pad = 0 drops the '=' (as OpenSSH's
 * fingerprints do).  out needs 4 * ((len + 2) / 3) + 1 bytes. */
void fc_gitsync__b64_encode(const unsigned char *in, size_t len, int pad, char *out);

/* "SHA256:<base64 without padding>" of an SSH public key blob; out needs
 * FC_SSH_FP_LEN bytes. */
#define FC_SSH_FP_LEN 52
void fc_gitsync__ssh_fingerprint(const unsigned char *blob, size_t len,
                                 char out[FC_SSH_FP_LEN]);

/* The key type string at the start of an SSH public key blob ("ssh-ed25519")
 * into out; 0 ok, -1 when the blob is malformed. */
int fc_gitsync__ssh_blob_type(const unsigned char *blob, size_t len, char *out,
                              size_t size);

/* ---- known_hosts (known_hosts.c) ----------------------------------------- */

typedef enum {
    FC_HOSTKEY_MATCH = 0,
    FC_HOSTKEY_UNKNOWN,  /* no entry for the host (or none of this key type) */
    FC_HOSTKEY_MISMATCH, /* an entry of the same type holds another key */
    FC_HOSTKEY_REVOKED   /* the key is listed under @revoked */
} fc_hostkey_result;

/*
 * Looks the server key (an SSH public key blob) up for host:port in an
 * OpenSSH known_hosts file: plain and hashed (|1|salt|hash) host fields,
 * comma lists, '*'/'?' wildcards and '!' negation, "[host]:port" for ports
 * other than 22, @revoked; @cert-authority lines are not used.  A missing
 * file is FC_HOSTKEY_UNKNOWN.  On anything but a match, why receives a
 * one-line explanation naming the host, the key's SHA256 fingerprint and
 * the file (and line, for a mismatch).  Returns the result, or a negative
 * fc_code when the file cannot be read.
 */
int fc_gitsync__known_hosts_check(const char *file, const char *host, int port,
                                  const unsigned char *key, size_t keylen, char *why,
                                  size_t whysize);

/* ---- credentials and certificates (auth.c) ------------------------------ */

/*
 * State for one fetch or push, on its caller's stack.  It is the payload of
 * the libgit2 callbacks, so a caller that needs more in the payload embeds
 * it as the first member of its own struct.
 */
typedef struct {
    fc_gitsync *g;
    int ssh;        /* the URL is ssh:// or scp-like */
    unsigned calls; /* credential callback calls, all kinds */
    unsigned userpass_calls;
    unsigned key_calls;
    int gave_up;  /* refused credentials were asked for again */
    int no_token; /* https asked for a password and none was set */
    int code;     /* set with why when a callback explains the failure */
    char why[768];
    char *token; /* read on demand; wiped in dispose */
} fc_gitsync__auth;

void fc_gitsync__auth_init(fc_gitsync__auth *a, fc_gitsync *g);
void fc_gitsync__auth_dispose(fc_gitsync__auth *a);

/* Sets credentials and certificate_check; cb->payload must be set by the
 * caller to a struct that starts with an fc_gitsync__auth. */
void fc_gitsync__auth_callbacks(git_remote_callbacks *cb);

/* FC_EUNSUPPORTED when the URL needs a transport libgit2 was built
 * without (ssh); FC_OK otherwise. */
int fc_gitsync__auth_preflight(const fc_gitsync *g);

/* When the callbacks know why an operation failed (refused host key,
 * refused or missing credentials, unreadable key file), records that and
 * returns its code; 0 when they know nothing. */
int fc_gitsync__auth_error(const fc_gitsync__auth *a, int gerr, const char *what);

/* Masks every live secret (FINOPS_GIT_TOKEN, a token or passphrase read for
 * an operation still running on this thread) in s with "***". */
void fc_gitsync__auth_mask(char *s);

/* 1 for ssh://, git+ssh://, ssh+git:// and scp-like "host:path" URLs. */
int fc_gitsync__url_is_ssh(const char *url);

/* The port of an ssh URL (22 when none is given); -1 when malformed. */
int fc_gitsync__url_ssh_port(const char *url);

#endif
