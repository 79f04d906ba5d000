/*
 * gitsync_int.h - what the two halves of gitsync share: the handle's layout
 * and the helpers that turn libgit2 failures into fc_error messages.
 *
 * gitsync.c owns the handle's life (open/free) and the network (fetch,
 * push); gitsync_tree.c reads and writes trees in the bare clone.  Nothing
 * outside controller/gitsync/ includes this file.
 */
#ifndef FC_GITSYNC_INT_H
#define FC_GITSYNC_INT_H

#include "fc_gitsync.h"

#include <git2.h>

struct fc_gitsync {
    git_repository *repo; /* <state_dir>/repo, bare */
    char *url;            /* origin's URL; local paths made absolute */
    char *url_safe;       /* url without user:password@, for messages */
    char *branch;
    char *author_name;
    char *author_email;
    int git_inited;       /* one git_libgit2_init() to undo in free */
    git_odb_backend *mempack; /* owned by the repo's odb once added */
    /* transport security (auth.c, verify.c); NULL = not set */
    char *token_file;          /* https token, read when the server asks */
    char *ssh_key;             /* private key file */
    char *ssh_passphrase_file;
    char *known_hosts;         /* NULL = $HOME/.ssh/known_hosts */
    char *state_dir;           /* signature verification's temp files */
    /* status branch, trailers, signing (status_branch.c, sign.c) */
    char *status_branch;       /* NULL = status goes on `branch` */
    char *trailers;            /* newline-separated; NULL = none */
    int sign_format;           /* fc_sign_format */
    char *signing_key;
    char *signing_passphrase_file;
};

/*
 * Records "<context>: <libgit2 message>" with credentials scrubbed and
 * returns the fc code.  code 0 means "classify gerr": network, TLS, SSH,
 * HTTP and auth failures become FC_ENETWORK, GIT_ENONFASTFORWARD becomes
 * FC_ECONFLICT, anything else FC_EGIT.
 */
int fc_gitsync__error(int code, int gerr, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Removes "user:password@" from every URL in s and masks the token from
 * FINOPS_GIT_TOKEN; s is edited in place and only ever shrinks. */
void fc_gitsync__scrub(char *s);

/* Looks up a full 40-hex commit id: FC_EINVALID for a malformed id,
 * FC_ENOTFOUND when the clone does not have it.  *out is git_commit_free'd
 * by the caller. */
int fc_gitsync__commit(fc_gitsync *g, const char *hex, git_commit **out);

/* 1 when two root trees agree on everything but status/ and proposals/. */
int fc_gitsync__same_spec_tree(const git_tree *a, const git_tree *b);

/* Points refs/heads/<branch> (or any full ref name) at oid. */
int fc_gitsync__set_ref(fc_gitsync *g, const char *refname,
                        const git_oid *oid, const char *why);

/* Fetches refs/heads/<branch> into refs/remotes/origin/<branch> (gitsync.c);
 * FC_ENOTFOUND when the remote has no such branch. */
int fc_gitsync__fetch_branch(fc_gitsync *g, const char *branch,
                             char head_hex[FC_OID_HEX]);

/* Runs argv[0] from PATH (no shell) with stdin from in_fd (borrowed);
 * collects stdout and stderr, 64 KiB each at most.  *status: exit code,
 * 128+signal, 127 when it could not start (verify.c). */
int fc_gitsync__run_tool(char *const argv[], int in_fd, fc_buf *out, fc_buf *err,
                         int *status);

/* git_commit_create without a ref update, signed when the handle says so
 * (sign.c): status and proposal commits both go through here. */
int fc_gitsync__create_commit(fc_gitsync *g, git_oid *out, const git_signature *sig,
                              const char *message, const git_tree *tree,
                              size_t nparents, const git_commit *parents[]);

#endif
