/*
 * fc_gitsync.h - the controller's view of the user's repository, through
 * libgit2 only.
 *
 * The controller keeps a bare clone under <state_dir>/repo.  It fetches the
 * tracked branch, reads files straight from commit trees (no work tree),
 * writes the status tree as a new commit on top of a given head, and pushes
 * it without force.  Only the paths status/ and proposals/ of the tree are
 * ever replaced.
 *
 * Commits are passed around as 40-char hex strings (char[FC_OID_HEX]).
 */
#ifndef FC_GITSYNC_H
#define FC_GITSYNC_H

#include "../../specs/fc_specs.h"
#include "../core/fc_util.h"
#include "../status/fc_status.h"

#include <stddef.h>
#include <stdint.h>

#define FC_OID_HEX 41

/* fc_gitsync_read_specs limits: over either is FC_ELIMIT (a single blob
 * over 8 MiB is skipped with a warning instead). */
#define FC_GITSYNC_MAX_SPEC_FILES 10000
#define FC_GITSYNC_MAX_SPEC_BYTES (256 << 20)

typedef struct fc_gitsync fc_gitsync;

typedef struct {
    const char *url;          /* path, file://, https://, ssh:// */
    const char *branch;       /* tracked branch, default "main" */
    const char *state_dir;    /* clone lives in <state_dir>/repo */
    const char *author_name;  /* status commits; default finops-controller */
    const char *author_email; /* default finops-controller@localhost */
    /* Credentials, each optional and read when a server asks (so a rotated
     * file applies at the next fetch/push); contents are never logged. */
    const char *token_file;   /* https token (basic auth, user from the URL
                               * or x-access-token); else FINOPS_GIT_TOKEN */
    const char *ssh_key;      /* ssh private key file; else the ssh-agent */
    const char *ssh_key_passphrase_file;
    const char *known_hosts;  /* ssh host keys; default ~/.ssh/known_hosts.
                               * A host not in it is refused, never trusted */
    /* status_branch.c / sign.c; NULL/0 = off */
    const char *status_branch;   /* status commits go here, not to branch */
    const char *commit_trailers; /* fc_gitsync_format_message's trailers */
    int sign_format;             /* fc_sign_format */
    const char *signing_key;     /* ssh: key file; gpg: key id (GNUPGHOME) */
    const char *signing_passphrase_file; /* gpg only */
} fc_gitsync_opts;

int fc_gitsync_open(fc_gitsync **out, const fc_gitsync_opts *opts);
void fc_gitsync_free(fc_gitsync *g);

/* Fetches the branch; head_hex receives the remote branch head.
 * FC_ENOTFOUND when the branch does not exist on the remote. */
int fc_gitsync_fetch(fc_gitsync *g, char head_hex[FC_OID_HEX]);

/* Files read from a commit, owned by the list. */
typedef struct {
    fc_spec_file *files;
    size_t n;
} fc_file_list;

void fc_file_list_dispose(fc_file_list *l);

/* Every *.yaml / *.yml blob under `root` ("" or "." = repo root) of commit,
 * excluding status/ and proposals/, sorted by path.  Symlinks and
 * submodules are skipped. */
int fc_gitsync_read_specs(fc_gitsync *g, const char *commit_hex,
                          const char *root, fc_file_list *out);

/* One blob by path; FC_ENOTFOUND when absent (or not a regular file).
 * out must be initialised (fc_buf_init); its content is replaced. */
int fc_gitsync_read_file(fc_gitsync *g, const char *commit_hex,
                         const char *path, fc_buf *out);

/* The newest first-parent ancestor of head (head included) whose tree,
 * ignoring status/ and proposals/, differs from its parent's: the commit
 * the specs were last changed in. */
int fc_gitsync_spec_commit(fc_gitsync *g, const char *head_hex,
                           char out_hex[FC_OID_HEX]);

/*
 * Builds head's tree with status/ and proposals/ replaced by `status`
 * (files whose path starts with one of those), and commits it with parent
 * head.  When the tree equals head's tree, nothing is written and
 * *changed = 0 (out_hex = head).  Commit time is `now`.  With a status
 * branch, head is its tip, or "" for a first (parentless) commit; the
 * local ref moved is the status branch's.  Signed per --sign-commits.
 */
int fc_gitsync_commit_status(fc_gitsync *g, const char *head_hex,
                             const fc_status_tree *status,
                             const char *message, int64_t now,
                             char out_hex[FC_OID_HEX], int *changed);

/* Pushes commit to the remote branch, never forced.  FC_ECONFLICT when the
 * remote rejects it as non-fast-forward. */
int fc_gitsync_push(fc_gitsync *g, const char *commit_hex);

/* `check` (probe.c): after fc_gitsync_fetch(), pushes the remote head to
 * refs/finops-controller/check and deletes it again, proving push rights
 * without touching the branch.  FC_EDENIED when the remote refuses. */
int fc_gitsync_probe_push(fc_gitsync *g);


/* ---- proposal branches (proposal_branch.c; pull-request mode) ----------- */

typedef struct {
    char **names;
    size_t n;
} fc_name_list;

void fc_name_list_dispose(fc_name_list *l);

/* Names of the regular files directly in folder `dir` of commit (tree
 * order); an absent folder is an empty list. */
int fc_gitsync_list_dir(fc_gitsync *g, const char *commit_hex, const char *dir,
                        fc_name_list *out);

/*
 * Commits `path` = data on top of base_hex (one parent) and pushes it to
 * refs/heads/<branch>, which must start with "finops/proposal/".  Lease:
 * the remote branch must be at expected_hex ("" or NULL = must not exist),
 * else FC_ECONFLICT and nothing is written.  out_hex gets the new tip.
 */
int fc_gitsync_push_proposal(fc_gitsync *g, const char *base_hex, const char *branch,
                             const char *path, const char *data, size_t len,
                             const char *message, int64_t now, const char *expected_hex,
                             char out_hex[FC_OID_HEX]);

/* ---- status branch, trailers, signing (status_branch.c, sign.c) -------- */

/* The branch status commits are pushed to: --status-branch, else branch. */
const char *fc_gitsync_status_branch(const fc_gitsync *g);

/* Fetches the status branch; tip_hex = "" when it does not exist yet (the
 * first status commit is then an orphan: fc_gitsync_commit_status with
 * head_hex "").  Without a status branch, the same as fc_gitsync_fetch. */
int fc_gitsync_fetch_status(fc_gitsync *g, char tip_hex[FC_OID_HEX]);

/*
 * The message of a controller commit: `message` (subject line, body) with
 * `trailers` applied, one per line: "Token: value" lines join the trailer
 * block at the end (an existing one is extended), anything else (such as
 * "[skip ci]") is appended to the subject line; then, when spec_commit is
 * given, "Finops-Spec-Commit: <spec_commit>".  Ends with one newline.
 * NULL on OOM; the caller frees.  fc_gitsync_commit_message uses the
 * handle's --commit-trailer (proposal commits: spec_commit NULL).
 */
char *fc_gitsync_format_message(const char *message, const char *trailers,
                                const char *spec_commit);
char *fc_gitsync_commit_message(const fc_gitsync *g, const char *message,
                                const char *spec_commit);

typedef enum { FC_SIGN_NONE = 0, FC_SIGN_SSH, FC_SIGN_GPG } fc_sign_format;

/* "none" | "" | NULL, "ssh", "gpg" (or "openpgp"); -1 otherwise. */
int fc_sign_format_parse(const char *s);

/*
 * Detached signature of data[0..len) in sig (armored text, replaced):
 * ssh: `ssh-keygen -Y sign -n git -f key`; gpg: `gpg --detach-sign
 * --armor [--local-user key]`.  FC_EUNSUPPORTED when the tool is missing,
 * FC_EDENIED when it refuses (its first stderr line in the message).
 */
int fc_gitsync_sign_buffer(fc_sign_format format, const char *key,
                           const char *passphrase_file, const char *data, size_t len,
                           fc_buf *sig);

/* ---- file history (approvals) ------------------------------------------ */

/* One commit on the first-parent line that changed a file. */
typedef struct {
    char commit[FC_OID_HEX];
    char *author_name;
    char *author_email;
    int64_t time;
    char *data;               /* the file after this commit; NULL = deleted */
    size_t len;
} fc_file_change;

typedef struct {
    char *path;
    fc_file_change *changes;  /* newest first */
    size_t n;
    int complete;             /* reached the commit that created the file */
} fc_file_history;

/*
 * Walks the first-parent line from head once and records, for each of
 * paths[0..npaths), the commits that changed it (newest first, at most
 * max_changes each), stopping early once every path is complete.  Commits
 * that touch only status/ and proposals/ are skipped cheaply.  out has
 * npaths entries, caller-allocated; dispose each with
 * fc_file_history_dispose.
 */
int fc_gitsync_files_history(fc_gitsync *g, const char *head_hex,
                             const char *const *paths, size_t npaths,
                             size_t max_changes, fc_file_history *out);
void fc_file_history_dispose(fc_file_history *h);

/* ---- commit signatures (verify.c) --------------------------------------- */

/*
 * Verifies the signature of a commit in the clone against allowed_keys, the
 * keys listed for one approver.  An entry is either
 *   - an OpenSSH public key line, "ssh-ed25519 AAAA... [comment]" (also
 *     ecdsa-sha2-*, ssh-rsa, sk-*): checked with `ssh-keygen -Y verify`,
 *     namespace "git" (what `git commit -S` with gpg.format=ssh makes); or
 *   - "openpgp:<FINGERPRINT>" followed, after a newline, by that key's
 *     ASCII-armored public key block (a YAML literal block in
 *     approvers.yaml): checked with `gpgv`, and the signing key's primary
 *     fingerprint (or the subkey's) must equal FINGERPRINT.  The keys live in
 *     the approvers file itself so that what is trusted is reviewed in the
 *     same place as who is trusted.  "openpgp:<FINGERPRINT>" alone cannot be
 *     checked and is reported as such.
 * FC_OK: *signer_out is a copy of the entry that verified (free it).
 * FC_EDENIED: unsigned, signed by a key not listed, or a bad signature; the
 * message (fc_error_last) is a one-line reason fit for status.  Other codes
 * are operational (FC_EUNSUPPORTED when ssh-keygen or gpgv is missing,
 * FC_EIO, FC_ENOTFOUND for an unknown commit).  Temp files (0600, in a 0700
 * directory under the state dir) are removed before returning.
 */
int fc_gitsync_verify_commit(fc_gitsync *g, const char *commit_hex,
                             const char *const *allowed_keys, size_t nkeys,
                             char **signer_out);

#endif
