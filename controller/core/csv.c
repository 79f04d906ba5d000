/*
 * csv.c - a streaming RFC 4180 CSV reader over plain or gzip input.
 *
 * Stage: input of cost ingest and of the price catalogue.  Input: a file or a memory block; gzip
 * is detected by its magic bytes and inflated with zlib (concatenated
 * members too).  Output: one record at a time, fields unquoted in place and
 * NUL-terminated inside the reader's buffer, so a record costs no malloc.
 *
 * The parser is a resumable state machine: when a record runs past the end
 * of the buffer, the record is moved to the front, more input is read, and
 * parsing continues where it stopped (offsets are relative to the record
 * start), so every byte is looked at once.  Memory is one buffer that grows
 * only for a record longer than itself, up to FC_CSV_MAX_RECORD.
 *
 * Gzip input is inflated on a second thread (unless FC_CSV_NO_THREAD) into
 * a ring of RING_BLOCKS blocks of RING_BLOCK bytes while the caller parses:
 * on two cores the wall time is about max(inflate, parse) instead of their
 * sum.  The thread owns the raw input, the inflater and the fingerprint;
 * each block carries the raw byte count and checksums as of its last byte,
 * so fc_csv_stream_raw_bytes() and the fingerprint describe what the parser
 * has consumed, and an inflate error travels in the block where it
 * happened, so records before it are still delivered in order.  Memory
 * bound: the text buffer (512 KiB, grows only for longer records) + the
 * ring (4 MiB) + the raw buffer (256 KiB) + zlib's window.
 *
 * Ownership: fc_csv_stream_open*() returns a reader freed with fc_csv_stream_free(); rows
 * point into it and are valid until the next fc_csv_stream_next().
 */
#include "controller/core/fc_csv.h"
#include "controller/core/fc_error.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define BUF_INITIAL (512u * 1024u)
#define RAW_SIZE (256u * 1024u)
#define RING_BLOCKS 4
#define RING_BLOCK (1024u * 1024u)

typedef struct {
    char *data;
    size_t len;
    int end;                      /* last block: no text after it */
    int err;                      /* negative: inflate failed after data */
    char msg[256];
    uint64_t raw_bytes;           /* raw input state as of this block */
    uLong crc, adler;
} ring_block;

typedef enum { ST_START, ST_UNQUOTED, ST_QUOTED, ST_AFTER_QUOTE } parse_state;

struct fc_csv_stream {
    int fd;                       /* -1 for memory input */
    const unsigned char *mem;
    size_t mem_len, mem_pos;
    int raw_eof;
    uint64_t raw_bytes;
    uLong crc, adler;

    int gzip;
    int z_live;                   /* inflateInit2 done */
    int z_member_done;            /* last inflate() hit Z_STREAM_END */
    z_stream z;
    unsigned char *raw;           /* compressed input (gzip only) */

    char *buf;                    /* decompressed text */
    size_t cap, len;
    int eof;                      /* no more text will come */
    int started;                  /* BOM check done */
    int fail;                     /* sticky error code */

    /* the record being parsed, offsets relative to rec */
    size_t rec;
    size_t p;
    size_t fstart, w;
    parse_state st;
    int in_record;
    int first_quoted;
    const char *bad;
    uint64_t line;                /* physical line at the parse point */
    uint64_t rec_line;

    size_t nf, fcap;
    size_t *off;
    size_t *lens;
    char **ptrs;

    /* inflate thread (gzip only); see the top of the file */
    int threaded;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv_full, cv_free;
    uint64_t produced, consumed;  /* blocks; produced - consumed <= RING_BLOCKS */
    int stop;                     /* free() asks the thread to end */
    size_t take_pos;              /* read offset in the block being consumed */
    ring_block ring[RING_BLOCKS];
    uint64_t t_raw_bytes;         /* consumer's view (the thread owns the c-> ones) */
    uLong t_crc, t_adler;
};

/* 1 for bytes that stop an unquoted field. */
static const unsigned char stops[256] = {[','] = 1, ['\n'] = 1, ['"'] = 1};

int fc_csv_stream_is_gzip(const fc_csv_stream *c) { return c->gzip; }
int fc_csv_stream_is_threaded(const fc_csv_stream *c) { return c->threaded; }

uint64_t fc_csv_stream_raw_bytes(const fc_csv_stream *c)
{
    return c->threaded ? c->t_raw_bytes : c->raw_bytes;
}

void fc_csv_stream_fingerprint(const fc_csv_stream *c, char *buf, size_t size)
{
    if (c->threaded)
        snprintf(buf, size, "%08lx-%08lx-%llu", (unsigned long)c->t_crc,
                 (unsigned long)c->t_adler, (unsigned long long)c->t_raw_bytes);
    else
        snprintf(buf, size, "%08lx-%08lx-%llu", (unsigned long)c->crc,
                 (unsigned long)c->adler, (unsigned long long)c->raw_bytes);
}

/* Raw bytes from the source into dst; 0 at the end. */
static int raw_read(fc_csv_stream *c, unsigned char *dst, size_t want, size_t *got)
{
    *got = 0;
    if (c->raw_eof)
        return FC_OK;
    if (c->fd < 0) {
        size_t n = c->mem_len - c->mem_pos;
        if (n > want)
            n = want;
        memcpy(dst, c->mem + c->mem_pos, n);
        c->mem_pos += n;
        *got = n;
    } else {
        ssize_t n;
        do
            n = read(c->fd, dst, want);
        while (n < 0 && errno == EINTR);
        if (n < 0)
            return fc_error_set(FC_EIO, "read: %s", strerror(errno));
        *got = (size_t)n;
    }
    if (*got == 0) {
        c->raw_eof = 1;
        return FC_OK;
    }
    c->crc = crc32_z(c->crc, dst, *got);
    c->adler = adler32_z(c->adler, dst, *got);
    c->raw_bytes += *got;
    return FC_OK;
}

/* Inflates into dst; stops at the end of the last gzip member. */
static int inflate_some(fc_csv_stream *c, char *dst, size_t want, size_t *got)
{
    int rc;
    *got = 0;
    c->z.next_out = (Bytef *)dst;
    c->z.avail_out = (uInt)want;
    while (c->z.avail_out > 0) {
        if (c->z.avail_in == 0) {
            size_t n;
            if ((rc = raw_read(c, c->raw, RAW_SIZE, &n)) != FC_OK)
                return rc;
            c->z.next_in = c->raw;
            c->z.avail_in = (uInt)n;
            if (n == 0) {
                if (c->z_member_done)
                    break; /* clean end after a complete member */
                return fc_error_set(FC_EPARSE, "truncated gzip stream (%llu bytes "
                                    "read, the compressed data ends early)",
                                    (unsigned long long)c->raw_bytes);
            }
        }
        if (c->z_member_done) {
            /* Another member follows, or trailing garbage we ignore as gzip(1) does. */
            if (c->z.next_in[0] != 0x1f) {
                c->z.avail_in = 0;
                c->raw_eof = 1;
                break;
            }
            inflateReset(&c->z);
            c->z_member_done = 0;
        }
        rc = inflate(&c->z, Z_NO_FLUSH);
        if (rc == Z_STREAM_END) {
            c->z_member_done = 1;
        } else if (rc == Z_NEED_DICT || rc == Z_DATA_ERROR || rc == Z_MEM_ERROR) {
            return fc_error_set(rc == Z_MEM_ERROR ? FC_ENOMEM : FC_EPARSE,
                                "corrupt gzip data: %s",
                                c->z.msg ? c->z.msg : "inflate failed");
        } else if (rc == Z_BUF_ERROR && c->z.avail_in > 0) {
            return fc_error_set(FC_EPARSE, "corrupt gzip data");
        }
        if ((size_t)(want - c->z.avail_out) > 0 && c->z.avail_out < want / 2)
            break; /* enough for now */
    }
    *got = want - c->z.avail_out;
    return FC_OK;
}

/* The inflate thread: fills free ring blocks until the end, an error or
 * stop.  Only this thread touches the raw input and the inflater. */
static void *inflate_main(void *arg)
{
    fc_csv_stream *c = arg;
    int done = 0;

    while (!done) {
        ring_block *b;
        size_t got = 0;
        int rc;

        pthread_mutex_lock(&c->mu);
        while (!c->stop && c->produced - c->consumed == RING_BLOCKS)
            pthread_cond_wait(&c->cv_free, &c->mu);
        if (c->stop) {
            pthread_mutex_unlock(&c->mu);
            break;
        }
        b = &c->ring[c->produced % RING_BLOCKS];
        pthread_mutex_unlock(&c->mu);

        /* The block is ours until produced moves past it. */
        b->len = 0;
        b->end = 0;
        b->err = 0;
        while (b->len < RING_BLOCK / 2) {
            rc = inflate_some(c, b->data + b->len, RING_BLOCK - b->len, &got);
            if (rc != FC_OK) {
                b->err = rc;
                snprintf(b->msg, sizeof(b->msg), "%s", fc_error_last());
                done = 1;
                break;
            }
            b->len += got;
            if (got == 0 && c->raw_eof && c->z.avail_in == 0) {
                b->end = 1;
                done = 1;
                break;
            }
        }
        b->raw_bytes = c->raw_bytes;
        b->crc = c->crc;
        b->adler = c->adler;

        pthread_mutex_lock(&c->mu);
        c->produced++;
        pthread_cond_signal(&c->cv_full);
        pthread_mutex_unlock(&c->mu);
    }
    return NULL;
}

/* Consumer side: up to `want` bytes of text from the ring into dst.
 * Sets c->eof after the last block. */
static int ring_take(fc_csv_stream *c, char *dst, size_t want, size_t *got)
{
    ring_block *b;
    size_t n;

    *got = 0;
    pthread_mutex_lock(&c->mu);
    while (c->produced == c->consumed)
        pthread_cond_wait(&c->cv_full, &c->mu);
    pthread_mutex_unlock(&c->mu);
    b = &c->ring[c->consumed % RING_BLOCKS];
    c->t_raw_bytes = b->raw_bytes;
    c->t_crc = b->crc;
    c->t_adler = b->adler;
    n = b->len - c->take_pos;
    if (n > want)
        n = want;
    memcpy(dst, b->data + c->take_pos, n);
    c->take_pos += n;
    *got = n;
    if (c->take_pos < b->len)
        return FC_OK;
    /* Block used up: its end or error applies now, after its text. */
    if (b->err) {
        if (n > 0)
            return FC_OK; /* deliver the text first; the error on the next call */
        return fc_error_set(b->err, "%s", b->msg);
    }
    if (b->end) {
        c->eof = 1;
        return FC_OK;
    }
    c->take_pos = 0;
    pthread_mutex_lock(&c->mu);
    c->consumed++;
    pthread_cond_signal(&c->cv_free);
    pthread_mutex_unlock(&c->mu);
    return FC_OK;
}

/* Starts the inflate thread; on any failure the reader stays single-threaded. */
static void thread_start(fc_csv_stream *c)
{
    size_t i;
    for (i = 0; i < RING_BLOCKS; i++)
        if (!(c->ring[i].data = malloc(RING_BLOCK)))
            goto fail;
    if (pthread_mutex_init(&c->mu, NULL) != 0)
        goto fail;
    if (pthread_cond_init(&c->cv_full, NULL) != 0) {
        pthread_mutex_destroy(&c->mu);
        goto fail;
    }
    if (pthread_cond_init(&c->cv_free, NULL) != 0) {
        pthread_cond_destroy(&c->cv_full);
        pthread_mutex_destroy(&c->mu);
        goto fail;
    }
    c->t_raw_bytes = c->raw_bytes;
    c->t_crc = c->crc;
    c->t_adler = c->adler;
    if (pthread_create(&c->thread, NULL, inflate_main, c) != 0) {
        pthread_cond_destroy(&c->cv_free);
        pthread_cond_destroy(&c->cv_full);
        pthread_mutex_destroy(&c->mu);
        goto fail;
    }
    c->threaded = 1;
    return;
fail:
    for (i = 0; i < RING_BLOCKS; i++) {
        free(c->ring[i].data);
        c->ring[i].data = NULL;
    }
}

/* Moves the current record to the front, grows the buffer when the record
 * fills it, and reads more text.  Sets c->eof at the end of input. */
static int fill(fc_csv_stream *c)
{
    size_t got = 0, room;
    int rc;

    if (c->rec > 0) {
        memmove(c->buf, c->buf + c->rec, c->len - c->rec);
        c->len -= c->rec;
        c->rec = 0;
    }
    if (c->len + 1 >= c->cap) {
        size_t ncap = c->cap * 2;
        char *nb;
        if (c->cap > FC_CSV_MAX_RECORD)
            return fc_error_set(FC_ELIMIT, "line %llu: record longer than %u bytes",
                                (unsigned long long)c->rec_line, FC_CSV_MAX_RECORD);
        if (!(nb = realloc(c->buf, ncap)))
            return fc_error_set(FC_ENOMEM, "csv buffer");
        c->buf = nb;
        c->cap = ncap;
    }
    /* One byte stays free: the last field of a file without a final newline
     * is terminated there. */
    room = c->cap - 1 - c->len;
    while (got == 0 && !c->eof) {
        if (c->threaded) {
            if ((rc = ring_take(c, c->buf + c->len, room, &got)) != FC_OK)
                return rc;
            continue;
        }
        if (c->gzip)
            rc = inflate_some(c, c->buf + c->len, room, &got);
        else
            rc = raw_read(c, (unsigned char *)c->buf + c->len, room, &got);
        if (rc != FC_OK)
            return rc;
        if (got == 0 && (c->raw_eof && (!c->gzip || c->z.avail_in == 0)))
            c->eof = 1;
    }
    c->len += got;
    return FC_OK;
}

static int reader_new(fc_csv_stream **out, int fd, const void *mem, size_t len,
                      unsigned flags)
{
    fc_csv_stream *c = calloc(1, sizeof(*c));
    unsigned char magic[2];
    size_t got;
    int rc;

    *out = NULL;
    if (!c) {
        if (fd >= 0)
            close(fd);
        return fc_error_set(FC_ENOMEM, "csv reader");
    }
    c->fd = fd;
    c->mem = mem;
    c->mem_len = len;
    c->crc = crc32_z(0, NULL, 0);
    c->adler = adler32_z(0, NULL, 0);
    c->line = 1;
    c->cap = BUF_INITIAL;
    c->buf = malloc(c->cap);
    c->fcap = 64;
    c->off = malloc(c->fcap * sizeof(*c->off));
    c->lens = malloc(c->fcap * sizeof(*c->lens));
    c->ptrs = malloc(c->fcap * sizeof(*c->ptrs));
    if (!c->buf || !c->off || !c->lens || !c->ptrs) {
        fc_csv_stream_free(c);
        return fc_error_set(FC_ENOMEM, "csv reader");
    }
    /* Peek at the magic bytes through the normal path: they become the
     * first raw bytes of the inflater or of the text. */
    if ((rc = raw_read(c, magic, 2, &got)) != FC_OK) {
        fc_csv_stream_free(c);
        return rc;
    }
    if (got == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
        c->gzip = 1;
        c->raw = malloc(RAW_SIZE);
        if (!c->raw || inflateInit2(&c->z, 15 + 16) != Z_OK) {
            fc_csv_stream_free(c);
            return fc_error_set(FC_ENOMEM, "gzip reader");
        }
        c->z_live = 1;
        memcpy(c->raw, magic, 2);
        c->z.next_in = c->raw;
        c->z.avail_in = 2;
        if (!(flags & FC_CSV_NO_THREAD))
            thread_start(c);
    } else {
        memcpy(c->buf, magic, got);
        c->len = got;
    }
    *out = c;
    return FC_OK;
}

int fc_csv_stream_open(fc_csv_stream **out, const char *path)
{
    return fc_csv_stream_open_ex(out, path, 0);
}

int fc_csv_stream_open_ex(fc_csv_stream **out, const char *path, unsigned flags)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    *out = NULL;
    if (fd < 0)
        return fc_error_set(errno == ENOENT ? FC_ENOTFOUND : FC_EIO, "%s: %s", path,
                            strerror(errno));
#ifdef POSIX_FADV_SEQUENTIAL
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
    return reader_new(out, fd, NULL, 0, flags);
}

int fc_csv_stream_open_mem(fc_csv_stream **out, const void *data, size_t len)
{
    return fc_csv_stream_open_mem_ex(out, data, len, 0);
}

int fc_csv_stream_open_mem_ex(fc_csv_stream **out, const void *data, size_t len,
                              unsigned flags)
{
    return reader_new(out, -1, data, len, flags);
}

void fc_csv_stream_free(fc_csv_stream *c)
{
    size_t i;
    if (!c)
        return;
    if (c->threaded) {
        pthread_mutex_lock(&c->mu);
        c->stop = 1;
        pthread_cond_signal(&c->cv_free);
        pthread_mutex_unlock(&c->mu);
        pthread_join(c->thread, NULL);
        pthread_cond_destroy(&c->cv_free);
        pthread_cond_destroy(&c->cv_full);
        pthread_mutex_destroy(&c->mu);
    }
    for (i = 0; i < RING_BLOCKS; i++)
        free(c->ring[i].data);
    if (c->fd >= 0)
        close(c->fd);
    if (c->z_live)
        inflateEnd(&c->z);
    free(c->raw);
    free(c->buf);
    free(c->off);
    free(c->lens);
    free(c->ptrs);
    free(c);
}

/* Records field [fstart, fstart+flen) of the current record. */
static int add_field(fc_csv_stream *c, size_t start, size_t flen)
{
    if (c->nf == c->fcap) {
        size_t n = c->fcap * 2;
        size_t *o, *l;
        char **p;
        if (c->nf >= FC_CSV_MAX_FIELDS) {
            c->bad = "too many fields";
            return FC_OK;
        }
        o = realloc(c->off, n * sizeof(*o));
        if (o)
            c->off = o;
        l = realloc(c->lens, n * sizeof(*l));
        if (l)
            c->lens = l;
        p = realloc(c->ptrs, n * sizeof(*p));
        if (p)
            c->ptrs = p;
        if (!o || !l || !p)
            return fc_error_set(FC_ENOMEM, "csv fields");
        c->fcap = n;
    }
    c->off[c->nf] = start;
    c->lens[c->nf] = flen;
    c->nf++;
    return FC_OK;
}

/* Counts newlines in [s, s+n). */
static uint64_t count_nl(const char *s, size_t n)
{
    uint64_t k = 0;
    const char *e = s + n;
    while ((s = memchr(s, '\n', (size_t)(e - s))) != NULL) {
        k++;
        s++;
    }
    return k;
}

/* Parses from c->p; returns 1 when the record is complete, 0 when more
 * input is needed, negative on error. */
static int parse(fc_csv_stream *c)
{
    char *b = c->buf + c->rec;
    size_t n = c->len - c->rec;
    size_t p = c->p;
    int rc;

    while (p < n) {
        switch (c->st) {
        case ST_START:
            if (b[p] == '"') {
                if (c->nf == 0)
                    c->first_quoted = 1;
                c->st = ST_QUOTED;
                c->fstart = c->w = ++p;
                continue;
            }
            c->fstart = p;
            c->st = ST_UNQUOTED;
            /* fall through */
        case ST_UNQUOTED:
            while (p < n && !stops[(unsigned char)b[p]])
                p++;
            if (p == n)
                goto more;
            if (b[p] == ',') {
                if ((rc = add_field(c, c->fstart, p - c->fstart)) != FC_OK)
                    return rc;
                b[p++] = '\0';
                c->st = ST_START;
            } else if (b[p] == '\n') {
                size_t flen = p - c->fstart;
                if (flen && b[p - 1] == '\r')
                    b[p - 1] = '\0', flen--;
                if ((rc = add_field(c, c->fstart, flen)) != FC_OK)
                    return rc;
                b[p++] = '\0';
                c->line++;
                c->p = p;
                return 1;
            } else { /* '"' inside an unquoted field: kept, record flagged */
                if (!c->bad)
                    c->bad = "quote inside an unquoted field";
                p++;
            }
            break;
        case ST_QUOTED: {
            char *q = memchr(b + p, '"', n - p);
            size_t upto = q ? (size_t)(q - b) : n;
            c->line += count_nl(b + p, upto - p);
            if (c->w != p)
                memmove(b + c->w, b + p, upto - p);
            c->w += upto - p;
            p = upto;
            if (!q)
                goto more;
            if (p + 1 == n && !c->eof)
                goto more; /* need the next byte to tell "" from the end */
            if (p + 1 < n && b[p + 1] == '"') {
                b[c->w++] = '"';
                p += 2;
                continue;
            }
            b[c->w] = '\0';
            if ((rc = add_field(c, c->fstart, c->w - c->fstart)) != FC_OK)
                return rc;
            c->st = ST_AFTER_QUOTE;
            p++;
            break;
        }
        case ST_AFTER_QUOTE:
            if (b[p] == ',') {
                p++;
                c->st = ST_START;
            } else if (b[p] == '\n') {
                p++;
                c->line++;
                c->p = p;
                return 1;
            } else if (b[p] == '\r' && p + 1 == n && !c->eof) {
                goto more;
            } else if (b[p] == '\r' && p + 1 < n && b[p + 1] == '\n') {
                p++;
            } else {
                /* Text after the closing quote: dropped up to the next
                 * separator, and the record is flagged. */
                if (!c->bad)
                    c->bad = "text after a closing quote";
                p++;
            }
            break;
        }
    }
more:
    c->p = p;
    if (!c->eof)
        return 0;
    /* End of input: finish whatever is open. */
    switch (c->st) {
    case ST_START:
        if (c->nf == 0 && p == 0)
            return 0; /* nothing left */
        b[p] = '\0';
        if ((rc = add_field(c, p, 0)) != FC_OK)
            return rc;
        break;
    case ST_UNQUOTED: {
        size_t flen = p - c->fstart;
        if (flen && b[p - 1] == '\r')
            b[p - 1] = '\0', flen--;
        b[p] = '\0';
        if ((rc = add_field(c, c->fstart, flen)) != FC_OK)
            return rc;
        break;
    }
    case ST_QUOTED:
        b[c->w] = '\0';
        if ((rc = add_field(c, c->fstart, c->w - c->fstart)) != FC_OK)
            return rc;
        c->bad = "end of file inside a quoted field";
        break;
    case ST_AFTER_QUOTE:
        break;
    }
    return 1;
}

int fc_csv_stream_next(fc_csv_stream *c, fc_csv_stream_row *row)
{
    int rc;
    size_t i;

    memset(row, 0, sizeof(*row));
    if (c->fail)
        return c->fail;
    if (!c->started) {
        while (c->len < 3 && !c->eof)
            if ((rc = fill(c)) != FC_OK)
                return c->fail = rc;
        if (c->len >= 3 && memcmp(c->buf, "\xEF\xBB\xBF", 3) == 0)
            c->rec = 3;
        c->started = 1;
    }
    for (;;) {
        if (!c->in_record) {
            c->p = 0;
            c->nf = 0;
            c->st = ST_START;
            c->bad = NULL;
            c->first_quoted = 0;
            c->rec_line = c->line;
            c->in_record = 1;
        }
        while ((rc = parse(c)) == 0) {
            if (c->eof) {
                c->in_record = 0;
                return 0;
            }
            if ((rc = fill(c)) != FC_OK)
                return c->fail = rc;
        }
        if (rc < 0)
            return c->fail = rc;
        c->in_record = 0;
        {
            size_t start = c->rec;
            c->rec += c->p;
            /* A blank line is no record. */
            if (c->nf == 1 && c->lens[0] == 0 && !c->first_quoted && !c->bad)
                continue;
            for (i = 0; i < c->nf; i++)
                c->ptrs[i] = c->buf + start + c->off[i];
        }
        row->fields = c->ptrs;
        row->lens = c->lens;
        row->n = c->nf;
        row->line = c->rec_line;
        row->error = c->bad;
        return 1;
    }
}
