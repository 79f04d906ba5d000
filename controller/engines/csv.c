/*
 * csv.c - a streaming CSV reader for the AWS Price List offer files.
 *
 * Stage: engine input (price catalogue).  Input is a FILE (the real
 * AmazonEC2 file is gigabytes) or a memory buffer; output is one record at
 * a time, its fields NUL-terminated in a buffer the reader owns and reuses.
 * Memory stays bounded: a 64 KiB input block plus one record (at most
 * FC_CSV_MAX_RECORD bytes and FC_CSV_MAX_FIELDS fields).
 *
 * Grammar (RFC 4180, liberal about line ends): records end at LF, CRLF or a
 * lone CR; a field is either bare (no quotes inside) or wrapped in double
 * quotes, where "" is a quote and commas and line breaks are data.  A UTF-8
 * byte-order mark at the very start is skipped.  Errors name the physical
 * line: "name:line: message".
 */
#include "controller/engines/engines_int.h"
#include "controller/core/fc_error.h"
#include "controller/core/fc_util.h"

#include <stdlib.h>
#include <string.h>

#define CSV_BLOCK 65536

struct fc_csv {
    char *name;
    FILE *f;              /* NULL for memory input */
    const char *mem;
    size_t memlen, mempos;
    unsigned char *block; /* file input buffer */
    size_t blen, bpos;
    int eof;
    int started;          /* BOM check done */
    int pending_lf;       /* last record ended at CR: swallow one LF */
    unsigned line;        /* physical line of the next byte */
    char *rec;            /* fields, NUL-separated */
    size_t rlen, rcap;
    size_t *offs;         /* field start offsets into rec */
    char **fields;
    size_t nfields, fcap;
};

static int csv_new(fc_csv **out, const char *name)
{
    fc_csv *c = calloc(1, sizeof(*c));
    *out = NULL;
    if (!c || !(c->name = fc_strdup(name ? name : "csv"))) {
        free(c);
        return fc_error_set(FC_ENOMEM, "out of memory");
    }
    c->line = 1;
    *out = c;
    return FC_OK;
}

int fc_csv_open_file(fc_csv **out, FILE *f, const char *name)
{
    int rc = csv_new(out, name);
    if (rc)
        return rc;
    (*out)->f = f;
    if (!((*out)->block = malloc(CSV_BLOCK))) {
        fc_csv_free(*out);
        *out = NULL;
        return fc_error_set(FC_ENOMEM, "out of memory");
    }
    return FC_OK;
}

int fc_csv_open_mem(fc_csv **out, const char *data, size_t len,
                    const char *name)
{
    int rc = csv_new(out, name);
    if (rc)
        return rc;
    (*out)->mem = data ? data : "";
    (*out)->memlen = data ? len : 0;
    return FC_OK;
}

void fc_csv_free(fc_csv *c)
{
    if (!c)
        return;
    free(c->name);
    free(c->block);
    free(c->rec);
    free(c->offs);
    free(c->fields);
    free(c);
}

/* Next byte, or -1 at end of input (-2 on a read error). */
static int next_byte(fc_csv *c)
{
    if (!c->f) {
        if (c->mempos >= c->memlen)
            return -1;
        return (unsigned char)c->mem[c->mempos++];
    }
    if (c->bpos == c->blen) {
        if (c->eof)
            return -1;
        c->blen = fread(c->block, 1, CSV_BLOCK, c->f);
        c->bpos = 0;
        if (c->blen < CSV_BLOCK) {
            if (ferror(c->f))
                return -2;
            c->eof = 1;
        }
        if (c->blen == 0)
            return -1;
    }
    return c->block[c->bpos++];
}

static int put(fc_csv *c, char ch, unsigned start)
{
    if (c->rlen + 1 >= c->rcap) {
        size_t cap = c->rcap ? c->rcap * 2 : 4096;
        char *p;
        if (cap > FC_CSV_MAX_RECORD)
            cap = FC_CSV_MAX_RECORD;
        if (c->rlen + 1 >= cap)
            return fc_error_set(FC_EPARSE, "%s:%u: record longer than %d bytes",
                                c->name, start, FC_CSV_MAX_RECORD);
        if (!(p = realloc(c->rec, cap)))
            return fc_error_set(FC_ENOMEM, "out of memory");
        c->rec = p;
        c->rcap = cap;
    }
    c->rec[c->rlen++] = ch;
    return FC_OK;
}

/* Starts a field at rlen. */
static int open_field(fc_csv *c, unsigned start)
{
    if (c->nfields == c->fcap) {
        size_t cap = c->fcap ? c->fcap * 2 : 64;
        size_t *p;
        char **q;
        if (c->nfields >= FC_CSV_MAX_FIELDS)
            return fc_error_set(FC_EPARSE, "%s:%u: more than %d fields",
                                c->name, start, FC_CSV_MAX_FIELDS);
        if (!(p = realloc(c->offs, cap * sizeof(*p))))
            return fc_error_set(FC_ENOMEM, "out of memory");
        c->offs = p;
        if (!(q = realloc(c->fields, cap * sizeof(*q))))
            return fc_error_set(FC_ENOMEM, "out of memory");
        c->fields = q;
        c->fcap = cap;
    }
    c->offs[c->nfields++] = c->rlen;
    return FC_OK;
}

/* Ends the current field with a NUL and, with open_next, opens another. */
static int end_field(fc_csv *c, unsigned start, int open_next)
{
    int rc = put(c, '\0', start);
    if (rc || !open_next)
        return rc;
    return open_field(c, start);
}

enum { ST_START, ST_BARE, ST_QUOTED, ST_AFTER_QUOTE };

int fc_csv_next(fc_csv *c, char *const **fields, size_t *nfields,
                unsigned *line)
{
    unsigned start, qline = 0;
    int st, ch, rc;
    size_t i;

    *fields = NULL;
    *nfields = 0;
    *line = 0;
    for (;;) { /* skip blank lines and the LF of a CRLF */
        ch = next_byte(c);
        if (ch == -2)
            return fc_error_set(FC_EIO, "%s: read error", c->name);
        if (!c->started) {
            c->started = 1;
            /* A UTF-8 BOM (EF BB BF) at the very start is not data. */
            if (ch == 0xEF) {
                int b1 = next_byte(c), b2 = next_byte(c);
                if (b1 != 0xBB || b2 != 0xBF)
                    return fc_error_set(FC_EPARSE, "%s:1: invalid byte-order mark",
                                        c->name);
                ch = next_byte(c);
            }
        }
        if (ch == '\n' && c->pending_lf) {
            c->pending_lf = 0;
            continue;
        }
        c->pending_lf = 0;
        if (ch == '\n' || ch == '\r') {
            c->line++;
            c->pending_lf = ch == '\r';
            continue;
        }
        break;
    }
    if (ch == -1)
        return FC_OK;
    if (ch == -2)
        return fc_error_set(FC_EIO, "%s: read error", c->name);

    start = c->line;
    c->rlen = 0;
    c->nfields = 0;
    if ((rc = open_field(c, start)) != 0)
        return rc;
    st = ST_START;
    for (;; ch = next_byte(c)) {
        if (ch == -2)
            return fc_error_set(FC_EIO, "%s: read error", c->name);
        switch (st) {
        case ST_START:
        case ST_BARE:
            if (ch == -1 || ch == '\n' || ch == '\r')
                goto record_done;
            if (ch == ',') {
                if ((rc = end_field(c, start, 1)) != 0)
                    return rc;
                st = ST_START;
            } else if (ch == '"') {
                if (st == ST_BARE)
                    return fc_error_set(FC_EPARSE,
                                        "%s:%u: field %zu: quote inside an "
                                        "unquoted field",
                                        c->name, c->line, c->nfields);
                st = ST_QUOTED;
                qline = c->line;
            } else {
                if ((rc = put(c, (char)ch, start)) != 0)
                    return rc;
                st = ST_BARE;
            }
            break;
        case ST_QUOTED:
            if (ch == -1)
                return fc_error_set(FC_EPARSE,
                                    "%s:%u: field %zu: unterminated quoted field "
                                    "(runs to the end of the input)",
                                    c->name, qline, c->nfields);
            if (ch == '"') {
                st = ST_AFTER_QUOTE;
                break;
            }
            if (ch == '\n')
                c->line++; /* data: the record goes on */
            if ((rc = put(c, (char)ch, start)) != 0)
                return rc;
            break;
        case ST_AFTER_QUOTE:
            if (ch == '"') {
                if ((rc = put(c, '"', start)) != 0)
                    return rc;
                st = ST_QUOTED;
            } else if (ch == ',') {
                if ((rc = end_field(c, start, 1)) != 0)
                    return rc;
                st = ST_START;
            } else if (ch == -1 || ch == '\n' || ch == '\r') {
                goto record_done;
            } else {
                return fc_error_set(FC_EPARSE,
                                    "%s:%u: field %zu: '%c' after a closing "
                                    "quote",
                                    c->name, c->line, c->nfields,
                                    ch >= 32 && ch < 127 ? ch : '?');
            }
            break;
        }
    }
record_done:
    if (ch == '\n' || ch == '\r') {
        c->line++;
        c->pending_lf = ch == '\r';
    }
    if ((rc = end_field(c, start, 0)) != 0)
        return rc;
    for (i = 0; i < c->nfields; i++)
        c->fields[i] = c->rec + c->offs[i];
    *fields = c->fields;
    *nfields = c->nfields;
    *line = start;
    return FC_OK;
}
