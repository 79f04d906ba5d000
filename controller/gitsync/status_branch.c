/*
 * status_branch.c - where status commits go and what their messages carry:
 * an optional status branch of their own (--status-branch) and the
 * configured trailers (--commit-trailer, e.g. "[skip ci]").
 *
 * Stage: the status writer (DESIGN.md, the last step of a pass).  Inputs:
 * the handle's status_branch and trailers (fc_gitsync_opts, copied on
 * open).  Outputs: the status branch tip (fetched like the tracked branch)
 * and commit messages as new strings the caller frees.
 *
 * With a status branch, the tracked branch only ever receives human
 * commits: specs are read from it, and status commits are built on the
 * status branch's own tip and pushed there without force.  A missing
 * status branch starts as an orphan holding only status/ and proposals/,
 * so it never carries a stale copy of the specs.
 */
#include "gitsync_int.h"

#include "../core/fc_error.h"

#include <assert.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

const char *fc_gitsync_status_branch(const fc_gitsync *g)
{
    return g->status_branch ? g->status_branch : g->branch;
}

int fc_gitsync_fetch_status(fc_gitsync *g, char tip_hex[FC_OID_HEX])
{
    int rc;

    assert(g && tip_hex);
    tip_hex[0] = '\0';
    if (!g->status_branch)
        return fc_gitsync_fetch(g, tip_hex);
    rc = fc_gitsync__fetch_branch(g, g->status_branch, tip_hex);
    if (rc == FC_ENOTFOUND) {
        tip_hex[0] = '\0'; /* created by the first status push */
        return FC_OK;
    }
    return rc;
}

/* ---- messages ----------------------------------------------------------- */

/* "Token: value" with a git trailer token (letters, digits, '-'). */
static int is_trailer(const char *s, size_t len)
{
    size_t i = 0;

    while (i < len && (isalnum((unsigned char)s[i]) || s[i] == '-'))
        i++;
    return i > 0 && i + 1 < len && s[i] == ':' && s[i + 1] == ' ';
}

/* 1 when every line of s[0..len) is a trailer (the last paragraph of a
 * message that already ends in a trailer block). */
static int all_trailers(const char *s, size_t len)
{
    size_t start = 0;

    if (!len)
        return 0;
    while (start < len) {
        const char *nl = memchr(s + start, '\n', len - start);
        size_t end = nl ? (size_t)(nl - s) : len;
        if (!is_trailer(s + start, end - start))
            return 0;
        start = end + 1;
    }
    return 1;
}

static void trim(const char **s, size_t *len)
{
    while (*len && isspace((unsigned char)**s)) {
        (*s)++;
        (*len)--;
    }
    while (*len && isspace((unsigned char)(*s)[*len - 1]))
        (*len)--;
}

char *fc_gitsync_format_message(const char *message, const char *trailers,
                                const char *spec_commit)
{
    fc_buf subject, body, tail;
    const char *nl, *p;
    const char *b;
    size_t blen, start;
    char *out = NULL;
    int ok = 1;

    if (!message || !message[0])
        message = "finops-controller: update status";
    fc_buf_init(&subject);
    fc_buf_init(&body);
    fc_buf_init(&tail);
    nl = strchr(message, '\n');
    ok &= fc_buf_append(&subject, message, nl ? (size_t)(nl - message) : strlen(message)) ==
          FC_OK;
    b = nl ? nl + 1 : "";
    blen = strlen(b);
    trim(&b, &blen);
    ok &= fc_buf_append(&body, b, blen) == FC_OK;

    /* Each line of trailers: "Token: value" joins the trailer block; any
     * other text ("[skip ci]") ends the subject line, where every CI looks
     * for it (GitHub and GitLab honour it anywhere in the message). */
    for (p = trailers ? trailers : ""; *p; p += start) {
        const char *item = p;
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        start = e ? len + 1 : len;
        trim(&item, &len);
        if (!len)
            continue;
        if (is_trailer(item, len)) {
            ok &= fc_buf_append(&tail, item, len) == FC_OK && fc_buf_puts(&tail, "\n") == FC_OK;
        } else {
            char *tag = malloc(len + 1);
            if (!tag) {
                ok = 0;
                break;
            }
            memcpy(tag, item, len);
            tag[len] = '\0';
            if (!subject.data || !strstr(subject.data, tag))
                ok &= fc_buf_printf(&subject, " %s", tag) == FC_OK;
            free(tag);
        }
    }
    if (spec_commit && spec_commit[0])
        ok &= fc_buf_printf(&tail, "Finops-Spec-Commit: %s\n", spec_commit) == FC_OK;
    if (!ok)
        goto done;

    {
        fc_buf m;
        const char *last;
        fc_buf_init(&m);
        ok &= fc_buf_append(&m, subject.data ? subject.data : "", subject.len) == FC_OK &&
              fc_buf_puts(&m, "\n") == FC_OK;
        if (body.len)
            ok &= fc_buf_printf(&m, "\n%s\n", body.data) == FC_OK;
        if (tail.len) {
            /* an existing trailer paragraph is extended, not split */
            last = body.len ? body.data : NULL;
            if (last) {
                const char *q = strstr(last, "\n\n");
                while (q) {
                    last = q + 2;
                    q = strstr(last, "\n\n");
                }
            }
            if (!last || !all_trailers(last, strlen(last)))
                ok &= fc_buf_puts(&m, "\n") == FC_OK;
            ok &= fc_buf_append(&m, tail.data, tail.len) == FC_OK;
        }
        if (ok)
            out = fc_buf_detach(&m);
        fc_buf_dispose(&m);
    }
done:
    if (!out)
        fc_error_set(FC_ENOMEM, "out of memory");
    fc_buf_dispose(&subject);
    fc_buf_dispose(&body);
    fc_buf_dispose(&tail);
    return out;
}

char *fc_gitsync_commit_message(const fc_gitsync *g, const char *message,
                                const char *spec_commit)
{
    return fc_gitsync_format_message(message, g->trailers, spec_commit);
}
