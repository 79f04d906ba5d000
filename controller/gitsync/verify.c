/*
 * verify.c - was this commit signed by one of these keys?  Commit signature
 * verification for approvals (issue 4), SSH and OpenPGP.
 *
 * Stage: git sync, called by the pass when the approver list asks for
 * signed approvals.  Inputs: a commit in the clone and the keys listed for
 * one approver (fc_gitsync.h says the formats).  Output: FC_OK and the entry
 * that verified, or FC_EDENIED and a one-line reason for status.
 *
 * libgit2 gives the signature and the signed payload
 * (git_commit_extract_signature); the cryptography is left to the tools
 * git itself uses: `ssh-keygen -Y verify` (openssh-client) and `gpgv`
 * (gpgv), run with fork/execvp - no shell, so nothing from the repository
 * is ever parsed as a command.  Before either runs, the signing key is
 * matched against the listed keys here, so "signed, but by someone else"
 * and "listed key, bad signature" get different reasons.  Temp files are
 * 0600 in a 0700 directory under <state_dir>/tmp and removed before return.
 */
#define _GNU_SOURCE /* pipe2 */
#include "auth_int.h"
#include "gitsync_int.h"

#include "../core/fc_error.h"
#include "../core/fc_log.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define SSH_ARMOR "-----BEGIN SSH SIGNATURE-----"
#define SSH_ARMOR_END "-----END SSH SIGNATURE-----"
#define PGP_ARMOR "-----BEGIN PGP SIGNATURE-----"
#define PGP_KEY_ARMOR "-----BEGIN PGP PUBLIC KEY BLOCK-----"
#define PGP_KEY_ARMOR_END "-----END PGP PUBLIC KEY BLOCK-----"
#define OPENPGP_PREFIX "openpgp:"
/* What the tools say is a line or two; more is noise we do not keep. */
#define MAX_TOOL_OUTPUT 65536
/* The principal written in the temp allowed_signers file. */
#define PRINCIPAL "approver"

/* ---- temp files --------------------------------------------------------- */

typedef struct {
    char dir[4096];
} scratch;

static int scratch_open(scratch *s, const char *state_dir)
{
    char base[4096];

    s->dir[0] = '\0';
    snprintf(base, sizeof(base), "%s/tmp", state_dir);
    if (mkdir(base, 0700) < 0 && errno != EEXIST)
        return fc_error_set(FC_EIO, "verify: cannot create %s: %s", base,
                            strerror(errno));
    if (snprintf(s->dir, sizeof(s->dir), "%s/verify-XXXXXX", base) >=
            (int)sizeof(s->dir) ||
        !mkdtemp(s->dir)) {
        s->dir[0] = '\0';
        return fc_error_set(FC_EIO, "verify: cannot create a temp dir in %s: %s", base,
                            strerror(errno));
    }
    return FC_OK;
}

/* Removes the directory and whatever the tools left in it (gpgv may create
 * files in its --homedir). */
static void scratch_close(scratch *s)
{
    DIR *d;
    struct dirent *de;
    char path[4400];

    if (!s->dir[0])
        return;
    if ((d = opendir(s->dir)) != NULL) {
        while ((de = readdir(d)) != NULL) {
            if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                continue;
            snprintf(path, sizeof(path), "%s/%s", s->dir, de->d_name);
            unlink(path);
        }
        closedir(d);
    }
    rmdir(s->dir);
    s->dir[0] = '\0';
}

static int scratch_write(const scratch *s, const char *name, const void *data, size_t len,
                         char *path, size_t psize)
{
    const char *p = data;
    int fd;

    snprintf(path, psize, "%s/%s", s->dir, name);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return fc_error_set(FC_EIO, "verify: cannot create %s: %s", path,
                            strerror(errno));
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = errno;
            close(fd);
            return fc_error_set(FC_EIO, "verify: cannot write %s: %s", path, strerror(e));
        }
        p += n;
        len -= (size_t)n;
    }
    if (close(fd) < 0)
        return fc_error_set(FC_EIO, "verify: cannot write %s: %s", path, strerror(errno));
    return FC_OK;
}

/* ---- subprocesses ------------------------------------------------------- */

static void collect(int fd, fc_buf *b, int *open_fd)
{
    char chunk[4096];
    ssize_t n = read(fd, chunk, sizeof(chunk));

    if (n < 0 && errno == EINTR)
        return;
    if (n <= 0) {
        *open_fd = 0;
        return;
    }
    if (b->len < MAX_TOOL_OUTPUT)
        fc_buf_append(b, chunk, (size_t)n); /* on OOM the reason is just shorter */
}

/*
 * Runs argv[0] from PATH with argv (no shell), stdin from in_fd (borrowed),
 * and collects stdout and stderr (64 KiB each at most).  *status is the exit
 * code, 128+signal when killed, 127 when the program could not be started.
 * Signing (sign.c) and verifying both run their tools through here.
 */
int fc_gitsync__run_tool(char *const argv[], int in_fd, fc_buf *out, fc_buf *err,
                         int *status)
{
    int po[2] = {-1, -1}, pe[2] = {-1, -1};
    int o_open = 1, e_open = 1;
    int wst = 0;
    int rc = FC_OK;
    pid_t pid;

    *status = 127;
    if (pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0) {
        rc = fc_error_set(FC_EIO, "%s: pipe: %s", argv[0], strerror(errno));
        goto done;
    }
    if ((pid = fork()) < 0) {
        rc = fc_error_set(FC_EIO, "%s: fork: %s", argv[0], strerror(errno));
        goto done;
    }
    if (pid == 0) {
        /* child: only async-signal-safe calls until exec (dup2 clears
         * close-on-exec on the copies) */
        if (dup2(in_fd, 0) < 0 || dup2(po[1], 1) < 0 || dup2(pe[1], 2) < 0)
            _exit(127);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(po[1]);
    close(pe[1]);
    po[1] = pe[1] = -1;
    while (o_open || e_open) {
        struct pollfd fds[2] = {{po[0], POLLIN, 0}, {pe[0], POLLIN, 0}};
        if (!o_open)
            fds[0].fd = -1;
        if (!e_open)
            fds[1].fd = -1;
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (o_open && fds[0].revents)
            collect(po[0], out, &o_open);
        if (e_open && fds[1].revents)
            collect(pe[0], err, &e_open);
    }
    while (waitpid(pid, &wst, 0) < 0) {
        if (errno != EINTR) {
            rc = fc_error_set(FC_EIO, "%s: waitpid: %s", argv[0], strerror(errno));
            goto done;
        }
    }
    *status = WIFEXITED(wst) ? WEXITSTATUS(wst) : 128 + WTERMSIG(wst);
done:
    if (po[0] >= 0)
        close(po[0]);
    if (po[1] >= 0)
        close(po[1]);
    if (pe[0] >= 0)
        close(pe[0]);
    if (pe[1] >= 0)
        close(pe[1]);
    return rc;
}

/* fc_gitsync__run_tool with stdin from in_path (NULL = /dev/null). */
static int run_tool(char *const argv[], const char *in_path, fc_buf *out, fc_buf *err,
                    int *status)
{
    int in, rc;

    *status = 127;
    if ((in = open(in_path ? in_path : "/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
        return fc_error_set(FC_EIO, "verify: cannot open %s: %s",
                            in_path ? in_path : "/dev/null", strerror(errno));
    rc = fc_gitsync__run_tool(argv, in, out, err, status);
    close(in);
    return rc;
}

/* The first line of a tool's stderr, with our temp paths cut out, for a
 * reason string. */
static void first_line(const fc_buf *b, const scratch *s, char *out, size_t size)
{
    const char *p = b->data ? b->data : "";
    size_t dlen = strlen(s->dir);
    size_t n = 0;

    while (*p && *p != '\n' && n + 1 < size) {
        if (dlen && strncmp(p, s->dir, dlen) == 0) {
            p += dlen;
            if (*p == '/')
                p++;
            continue;
        }
        out[n++] = *p++;
    }
    out[n] = '\0';
}

/* ---- armor -------------------------------------------------------------- */

/* The base64 body of an ASCII-armored block starting at `begin`: armor
 * header lines ("Key: value") and the "=CRC" line are skipped. */
static int dearmor(const char *text, const char *begin, const char *end,
                   unsigned char **out, size_t *outlen)
{
    const char *p = strstr(text, begin);
    const char *stop;
    fc_buf b64;
    int rc;

    *out = NULL;
    if (!p || !(stop = strstr(p, end)))
        return fc_error_set(FC_EPARSE, "no %s block", begin);
    p += strlen(begin);
    fc_buf_init(&b64);
    while (p < stop) {
        const char *eol = memchr(p, '\n', (size_t)(stop - p));
        const char *e = eol ? eol : stop;
        size_t len = (size_t)(e - p);

        while (len && (p[len - 1] == '\r' || p[len - 1] == ' '))
            len--;
        if (len && p[0] != '=' && !memchr(p, ':', len) &&
            fc_buf_append(&b64, p, len) != FC_OK) {
            fc_buf_dispose(&b64);
            return fc_error_set(FC_ENOMEM, "out of memory");
        }
        p = eol ? eol + 1 : stop;
    }
    rc = fc_gitsync__b64_decode(b64.data ? b64.data : "", b64.len, out, outlen);
    fc_buf_dispose(&b64);
    return rc;
}

static uint32_t get_be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Reads an SSH wire "string" at *pos. */
static int ssh_string(const unsigned char *b, size_t len, size_t *pos,
                      const unsigned char **s, size_t *slen)
{
    uint32_t n;

    if (len - *pos < 4)
        return -1;
    n = get_be32(b + *pos);
    if (n > len - *pos - 4)
        return -1;
    *s = b + *pos + 4;
    *slen = n;
    *pos += 4 + n;
    return 0;
}

/* ---- SSH ---------------------------------------------------------------- */

/* "type base64 [comment]" -> decoded blob; -1 when the entry is not one. */
static int ssh_key_blob(const char *entry, char *type, size_t tsize, unsigned char **blob,
                        size_t *bloblen)
{
    const char *p = entry;
    const char *b;
    size_t tlen, blen;

    *blob = NULL;
    while (isspace((unsigned char)*p))
        p++;
    tlen = strcspn(p, " \t\r\n");
    if (!tlen || tlen >= tsize)
        return -1;
    memcpy(type, p, tlen);
    type[tlen] = '\0';
    b = p + tlen;
    while (*b == ' ' || *b == '\t')
        b++;
    blen = strcspn(b, " \t\r\n");
    if (!blen || fc_gitsync__b64_decode(b, blen, blob, bloblen) != FC_OK)
        return -1;
    return 0;
}

static int is_ssh_entry(const char *e)
{
    while (isspace((unsigned char)*e))
        e++;
    return !strncmp(e, "ssh-", 4) || !strncmp(e, "ecdsa-", 6) || !strncmp(e, "sk-", 3);
}

static int verify_ssh(fc_gitsync *g, const char *commit, const git_buf *sig,
                      const git_buf *data, const char *const *keys, size_t nkeys,
                      char **signer_out)
{
    unsigned char *raw = NULL;
    unsigned char *blob = NULL;
    const unsigned char *pub = NULL, *ns = NULL;
    size_t rawlen = 0, publen = 0, nslen = 0, bloblen = 0, pos;
    size_t i, match = nkeys, listed = 0;
    char type[64], b64[8192], fp[FC_SSH_FP_LEN], sigtype[64];
    char sig_path[4400], data_path[4400], allowed_path[4400];
    char reason[300];
    char *line = NULL;
    scratch s = {""};
    fc_buf out, err;
    int status;
    int rc = FC_OK;

    fc_buf_init(&out);
    fc_buf_init(&err);
    if (dearmor(sig->ptr, SSH_ARMOR, SSH_ARMOR_END, &raw, &rawlen) != FC_OK ||
        rawlen < 10 || memcmp(raw, "SSHSIG", 6) != 0) {
        rc = fc_error_set(FC_EDENIED, "commit %.12s has a malformed SSH signature",
                          commit);
        goto done;
    }
    pos = 10; /* magic + version */
    if (ssh_string(raw, rawlen, &pos, &pub, &publen) < 0 ||
        ssh_string(raw, rawlen, &pos, &ns, &nslen) < 0) {
        rc = fc_error_set(FC_EDENIED, "commit %.12s has a malformed SSH signature",
                          commit);
        goto done;
    }
    fc_gitsync__ssh_fingerprint(pub, publen, fp);
    if (fc_gitsync__ssh_blob_type(pub, publen, sigtype, sizeof(sigtype)) < 0)
        snprintf(sigtype, sizeof(sigtype), "unknown");
    for (i = 0; i < nkeys && match == nkeys; i++) {
        if (!keys[i] || !is_ssh_entry(keys[i]))
            continue;
        listed++;
        if (ssh_key_blob(keys[i], type, sizeof(type), &blob, &bloblen) == 0 &&
            bloblen == publen && memcmp(blob, pub, publen) == 0)
            match = i;
        free(blob);
        blob = NULL;
    }
    if (match == nkeys) {
        rc = fc_error_set(FC_EDENIED,
                          "commit %.12s is signed with SSH key %s %s, which is not among "
                          "the approver's %zu listed SSH key(s)",
                          commit, sigtype, fp, listed);
        goto done;
    }
    if (nslen != 3 || memcmp(ns, "git", 3) != 0) {
        rc = fc_error_set(
            FC_EDENIED,
            "commit %.12s has an SSH signature for namespace '%.*s', not 'git'", commit,
            (int)(nslen < 40 ? nslen : 40), (const char *)ns);
        goto done;
    }
    if (publen > (sizeof(b64) - 1) / 4 * 3) {
        rc = fc_error_set(FC_EDENIED, "commit %.12s: SSH key too large", commit);
        goto done;
    }
    /* the listed entry, re-encoded: its comment never reaches the file */
    fc_gitsync__b64_encode(pub, publen, 1, b64);
    line = fc_asprintf("%s namespaces=\"git\" %s %s\n", PRINCIPAL, sigtype, b64);
    if (!line) {
        rc = fc_error_set(FC_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = scratch_open(&s, g->state_dir)) != FC_OK ||
        (rc = scratch_write(&s, "allowed_signers", line, strlen(line), allowed_path,
                            sizeof(allowed_path))) != FC_OK ||
        (rc = scratch_write(&s, "commit.sig", sig->ptr, sig->size, sig_path,
                            sizeof(sig_path))) != FC_OK ||
        (rc = scratch_write(&s, "commit.data", data->ptr, data->size, data_path,
                            sizeof(data_path))) != FC_OK)
        goto done;
    {
        char *argv[] = {"ssh-keygen", "-Y", "verify", "-f", allowed_path, "-I",
                        PRINCIPAL,    "-n", "git",    "-s", sig_path,     NULL};
        if ((rc = run_tool(argv, data_path, &out, &err, &status)) != FC_OK)
            goto done;
    }
    if (status == 127) {
        rc = fc_error_set(FC_EUNSUPPORTED,
                          "verify: cannot run ssh-keygen (install openssh-client)");
        goto done;
    }
    if (status != 0) {
        first_line(&err, &s, reason, sizeof(reason));
        rc = fc_error_set(
            FC_EDENIED, "commit %.12s: the SSH signature by %s %s does not verify (%s)",
            commit, sigtype, fp, reason[0] ? reason : "ssh-keygen refused it");
        goto done;
    }
    if (!(*signer_out = fc_strdup(keys[match])))
        rc = fc_error_set(FC_ENOMEM, "out of memory");
done:
    scratch_close(&s);
    free(line);
    free(raw);
    fc_buf_dispose(&out);
    fc_buf_dispose(&err);
    return rc;
}

/* ---- OpenPGP ------------------------------------------------------------ */

/* Upper-case hex, spaces and a "0x" dropped: fingerprints compare equal
 * however they were written. */
static void norm_fpr(const char *in, size_t len, char *out, size_t size)
{
    size_t n = 0, i = 0;

    if (len >= 2 && in[0] == '0' && (in[1] == 'x' || in[1] == 'X'))
        i = 2;
    for (; i < len && n + 1 < size; i++)
        if (isxdigit((unsigned char)in[i]))
            out[n++] = (char)toupper((unsigned char)in[i]);
    out[n] = '\0';
}

/* The n-th (0-based) space-separated word after `tag` in gpgv's status
 * output, normalised as a fingerprint; "" when absent. */
static void status_word(const char *st, const char *tag, int n, char *out, size_t size)
{
    const char *p = st ? strstr(st, tag) : NULL;
    int i;

    out[0] = '\0';
    if (!p)
        return;
    p += strlen(tag);
    for (i = 0; i <= n; i++) {
        size_t len;
        while (*p == ' ')
            p++;
        len = strcspn(p, " \n");
        if (!len)
            return;
        if (i == n) {
            norm_fpr(p, len, out, size);
            return;
        }
        p += len;
    }
}

static int verify_pgp(fc_gitsync *g, const char *commit, const git_buf *sig,
                      const git_buf *data, const char *const *keys, size_t nkeys,
                      char **signer_out)
{
    char sig_path[4400], data_path[4400], ring_path[4400];
    char want[100], got[100], got_primary[100], issuer[100] = "";
    char reason[400] = "";
    char name[32];
    scratch s = {""};
    fc_buf out, err;
    size_t i, listed = 0, usable = 0;
    int status;
    int rc = FC_OK;

    fc_buf_init(&out);
    fc_buf_init(&err);
    if ((rc = scratch_open(&s, g->state_dir)) != FC_OK ||
        (rc = scratch_write(&s, "commit.sig", sig->ptr, sig->size, sig_path,
                            sizeof(sig_path))) != FC_OK ||
        (rc = scratch_write(&s, "commit.data", data->ptr, data->size, data_path,
                            sizeof(data_path))) != FC_OK)
        goto done;
    for (i = 0; i < nkeys; i++) {
        const char *e = keys[i];
        unsigned char *ring = NULL;
        size_t ringlen = 0, flen;

        if (!e || strncmp(e, OPENPGP_PREFIX, strlen(OPENPGP_PREFIX)) != 0)
            continue;
        listed++;
        e += strlen(OPENPGP_PREFIX);
        flen = strcspn(e, " \t\r\n");
        norm_fpr(e, flen, want, sizeof(want));
        if (!strstr(e, PGP_KEY_ARMOR) ||
            dearmor(e, PGP_KEY_ARMOR, PGP_KEY_ARMOR_END, &ring, &ringlen) != FC_OK) {
            if (!reason[0])
                snprintf(reason, sizeof(reason),
                         "openpgp:%s is listed without its armored public key", want);
            continue;
        }
        usable++;
        snprintf(name, sizeof(name), "key%zu.gpg", i);
        rc = scratch_write(&s, name, ring, ringlen, ring_path, sizeof(ring_path));
        free(ring);
        if (rc != FC_OK)
            goto done;
        fc_buf_dispose(&out);
        fc_buf_dispose(&err);
        {
            char *argv[] = {"gpgv",      "--homedir", s.dir,    "--status-fd", "1",
                            "--keyring", ring_path,   sig_path, data_path,     NULL};
            if ((rc = run_tool(argv, NULL, &out, &err, &status)) != FC_OK)
                goto done;
        }
        if (status == 127) {
            rc = fc_error_set(FC_EUNSUPPORTED, "verify: cannot run gpgv (install gpgv)");
            goto done;
        }
        status_word(out.data, "[GNUPG:] VALIDSIG ", 0, got, sizeof(got));
        status_word(out.data, "[GNUPG:] VALIDSIG ", 9, got_primary, sizeof(got_primary));
        if (status == 0 && got[0]) {
            if (!want[0] || !strcmp(want, got) || !strcmp(want, got_primary)) {
                if (!(*signer_out = fc_strdup(keys[i])))
                    rc = fc_error_set(FC_ENOMEM, "out of memory");
                goto done;
            }
            snprintf(reason, sizeof(reason),
                     "signed by OpenPGP key %s, whose key block is listed as openpgp:%s "
                     "(fingerprint mismatch)",
                     got_primary[0] ? got_primary : got, want);
            continue;
        }
        if (out.data && strstr(out.data, "[GNUPG:] BADSIG")) {
            snprintf(reason, sizeof(reason),
                     "the OpenPGP signature by listed key openpgp:%s does not verify "
                     "(BADSIG)",
                     want);
            continue;
        }
        if (out.data && (strstr(out.data, "[GNUPG:] EXPKEYSIG") ||
                         strstr(out.data, "[GNUPG:] REVKEYSIG"))) {
            snprintf(reason, sizeof(reason),
                     "the signing key openpgp:%s is expired or revoked", want);
            continue;
        }
        if (!issuer[0])
            status_word(out.data, "[GNUPG:] NO_PUBKEY ", 0, issuer, sizeof(issuer));
        if (!issuer[0])
            status_word(out.data, "[GNUPG:] ERRSIG ", 0, issuer, sizeof(issuer));
    }
    if (reason[0] && (usable == 0 || strstr(reason, "BADSIG") ||
                      strstr(reason, "expired") || strstr(reason, "fingerprint")))
        rc = fc_error_set(FC_EDENIED, "commit %.12s: %s", commit, reason);
    else
        rc =
            fc_error_set(FC_EDENIED,
                         "commit %.12s is signed with OpenPGP key %s, which is not among "
                         "the approver's %zu listed OpenPGP key(s)",
                         commit, issuer[0] ? issuer : "(unknown)", listed);
done:
    scratch_close(&s);
    fc_buf_dispose(&out);
    fc_buf_dispose(&err);
    return rc;
}

/* ---- entry point -------------------------------------------------------- */

int fc_gitsync_verify_commit(fc_gitsync *g, const char *commit_hex,
                             const char *const *allowed_keys, size_t nkeys,
                             char **signer_out)
{
    git_commit *c = NULL;
    git_buf sig = {0}, data = {0};
    int err;
    int rc;

    *signer_out = NULL;
    if ((rc = fc_gitsync__commit(g, commit_hex, &c)) != FC_OK)
        return rc;
    err = git_commit_extract_signature(&sig, &data, g->repo, (git_oid *)git_commit_id(c),
                                       NULL);
    if (err == GIT_ENOTFOUND) {
        rc = fc_error_set(FC_EDENIED, "commit %.12s is not signed", commit_hex);
        goto done;
    }
    if (err < 0) {
        rc = fc_gitsync__error(FC_EGIT, err, "verify: cannot read the signature of %.12s",
                               commit_hex);
        goto done;
    }
    if (nkeys == 0) {
        rc = fc_error_set(FC_EDENIED,
                          "commit %.12s is signed, but the approver lists no keys",
                          commit_hex);
        goto done;
    }
    if (strncmp(sig.ptr, SSH_ARMOR, strlen(SSH_ARMOR)) == 0)
        rc = verify_ssh(g, commit_hex, &sig, &data, allowed_keys, nkeys, signer_out);
    else if (strncmp(sig.ptr, PGP_ARMOR, strlen(PGP_ARMOR)) == 0)
        rc = verify_pgp(g, commit_hex, &sig, &data, allowed_keys, nkeys, signer_out);
    else
        rc = fc_error_set(FC_EDENIED,
                          "commit %.12s has a signature of an unsupported kind "
                          "(only SSH and OpenPGP are verified)",
                          commit_hex);
    if (rc == FC_OK)
        fc_debug("verify: commit %.12s signature verified", commit_hex);
done:
    git_buf_dispose(&sig);
    git_buf_dispose(&data);
    git_commit_free(c);
    return rc;
}
