/*
 * sign.c - signed status (and proposal) commits: ssh (`ssh-keygen -Y sign
 * -n git`, what `git commit -S` makes with gpg.format=ssh) or OpenPGP
 * (`gpg --detach-sign --armor`), stored in the commit's "gpgsig" header so
 * forges show the commit as verified and `git verify-commit` accepts it.
 *
 * Stage: the status writer, between building the commit and packing it.
 * Inputs: the handle's sign_format, signing_key (ssh: a private key file,
 * or a public key file whose private half is in the ssh-agent; gpg: a key
 * id, keyring from GNUPGHOME) and signing_passphrase_file (gpg only; ssh
 * keys must be passphrase-less or in the agent).  Output: a commit object
 * in the repository's odb.
 *
 * Why subprocesses and not GPGME: GPGME itself drives the gpg binary, and
 * gpg and ssh-keygen are what git uses, so signatures are byte-for-byte
 * the kind verify.c and `git verify-commit` check, with no new library.
 * The commit text goes in on an anonymous memory file (memfd: nothing on
 * disk, and no SIGPIPE when a tool exits early); the key is read by the
 * tool itself and never passes through, or is logged by, this process.
 */
#define _GNU_SOURCE /* memfd_create */
#include "gitsync_int.h"

#include "../core/fc_error.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>


int fc_sign_format_parse(const char *s)
{
    if (!s || !s[0] || strcmp(s, "none") == 0)
        return FC_SIGN_NONE;
    if (strcmp(s, "ssh") == 0)
        return FC_SIGN_SSH;
    if (strcmp(s, "gpg") == 0 || strcmp(s, "openpgp") == 0)
        return FC_SIGN_GPG;
    return -1;
}

/* Runs argv (no shell) with `in` on stdin, from an anonymous memory file
 * so the commit text never touches the disk; collects stdout and stderr.
 * *status: exit code, 128+signal, 127 when it could not start. */
static int run_filter(char *const argv[], const char *in, size_t inlen, fc_buf *out,
                      fc_buf *err, int *status)
{
    int mfd;
    size_t off = 0;
    int rc = FC_OK;

    *status = 127;
    if ((mfd = memfd_create("finops-sign-input", MFD_CLOEXEC)) < 0)
        return fc_error_set(FC_EIO, "sign: memfd_create: %s", strerror(errno));
    while (off < inlen) {
        ssize_t n = write(mfd, in + off, inlen - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = fc_error_set(FC_EIO, "sign: cannot buffer the commit: %s", strerror(errno));
            goto done;
        }
        off += (size_t)n;
    }
    if (lseek(mfd, 0, SEEK_SET) < 0) {
        rc = fc_error_set(FC_EIO, "sign: lseek: %s", strerror(errno));
        goto done;
    }
    rc = fc_gitsync__run_tool(argv, mfd, out, err, status);
done:
    close(mfd);
    return rc;
}

/* First line of a tool's stderr, for the error message: the tools name the
 * key file at most, never its contents. */
static void first_line(const fc_buf *b, char *out, size_t size)
{
    size_t n = 0;

    if (b->data)
        while (n < b->len && b->data[n] != '\n' && n + 1 < size)
            n++;
    if (n)
        memcpy(out, b->data, n);
    out[n] = '\0';
    if (!n)
        snprintf(out, size, "no message");
}

int fc_gitsync_sign_buffer(fc_sign_format format, const char *key,
                           const char *passphrase_file, const char *data, size_t len,
                           fc_buf *sig)
{
    const char *argv[16];
    const char *begin, *tool;
    fc_buf err;
    char why[256];
    int n = 0, status = 0, rc;

    assert(sig);
    fc_buf_init(&err);
    sig->len = 0;
    if (format == FC_SIGN_SSH) {
        if (!key || !key[0])
            return fc_error_set(FC_EINVALID, "sign: --signing-key names no ssh key file");
        tool = "ssh-keygen";
        begin = "-----BEGIN SSH SIGNATURE-----";
        argv[n++] = "ssh-keygen";
        argv[n++] = "-q";
        argv[n++] = "-Y";
        argv[n++] = "sign";
        argv[n++] = "-n";
        argv[n++] = "git";
        argv[n++] = "-f";
        argv[n++] = key;
    } else if (format == FC_SIGN_GPG) {
        tool = "gpg";
        begin = "-----BEGIN PGP SIGNATURE-----";
        argv[n++] = "gpg";
        argv[n++] = "--batch";
        argv[n++] = "--no-tty";
        argv[n++] = "--quiet";
        if (passphrase_file && passphrase_file[0]) {
            argv[n++] = "--pinentry-mode";
            argv[n++] = "loopback";
            argv[n++] = "--passphrase-file";
            argv[n++] = passphrase_file;
        }
        if (key && key[0]) {
            argv[n++] = "--local-user";
            argv[n++] = key;
        }
        argv[n++] = "--detach-sign";
        argv[n++] = "--armor";
    } else {
        return fc_error_set(FC_EINVALID, "sign: no signing format configured");
    }
    argv[n] = NULL;
    rc = run_filter((char *const *)argv, data, len, sig, &err, &status);
    if (rc != FC_OK)
        goto done;
    if (status == 127) {
        rc = fc_error_set(FC_EUNSUPPORTED, "sign: %s is not installed", tool);
        goto done;
    }
    if (status != 0 || !sig->data || !strstr(sig->data, begin)) {
        first_line(&err, why, sizeof(why));
        rc = fc_error_set(FC_EDENIED, "sign: %s could not sign the commit (exit %d): %s",
                          tool, status, why);
        goto done;
    }
done:
    fc_buf_dispose(&err);
    return rc;
}

int fc_gitsync__create_commit(fc_gitsync *g, git_oid *out, const git_signature *sig,
                              const char *message, const git_tree *tree,
                              size_t nparents, const git_commit *parents[])
{
    git_buf content = {0};
    fc_buf signature;
    int err;
    int rc = FC_OK;

    if (g->sign_format == FC_SIGN_NONE) {
        err = git_commit_create(out, g->repo, NULL, sig, sig, NULL, message, tree, nparents,
                                parents);
        if (err < 0)
            return fc_gitsync__error(FC_EGIT, err, "gitsync: cannot create commit");
        return FC_OK;
    }
    fc_buf_init(&signature);
    err = git_commit_create_buffer(&content, g->repo, sig, sig, NULL, message, tree,
                                   nparents, parents);
    if (err < 0) {
        rc = fc_gitsync__error(FC_EGIT, err, "gitsync: cannot build commit");
        goto done;
    }
    if ((rc = fc_gitsync_sign_buffer(g->sign_format, g->signing_key,
                                     g->signing_passphrase_file, content.ptr, content.size,
                                     &signature)) != FC_OK)
        goto done;
    /* libgit2 indents continuation lines of the header itself; a trailing
     * newline would leave an empty continuation line */
    while (signature.len && signature.data[signature.len - 1] == '\n')
        signature.data[--signature.len] = '\0';
    err = git_commit_create_with_signature(out, g->repo, content.ptr, signature.data,
                                           "gpgsig");
    if (err < 0)
        rc = fc_gitsync__error(FC_EGIT, err, "gitsync: cannot write signed commit");
done:
    git_buf_dispose(&content);
    fc_buf_dispose(&signature);
    return rc;
}
