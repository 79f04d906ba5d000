/*
 * fc_csv.h - one streaming RFC 4180 CSV reader for every CSV the controller
 * reads: billing exports (FOCUS, CUR) and AWS Price List offer files.
 *
 * Plain or gzip input (detected by magic bytes), bounded memory, no malloc
 * per field; rows point into the reader until the next call.
 */
#ifndef FC_CSV_H
#define FC_CSV_H

#include <stddef.h>
#include <stdint.h>

typedef struct fc_csv_stream fc_csv_stream;

typedef struct {
    char **fields;      /* NUL-terminated, unquoted; borrowed until next call */
    size_t *lens;
    size_t n;
    uint64_t line;      /* 1-based physical line where the record starts */
    const char *error;  /* non-NULL: malformed record (static text) */
} fc_csv_stream_row;

/* Opens a file; gzip when it starts with 1f 8b, else plain text. */
int fc_csv_stream_open(fc_csv_stream **out, const char *path);
/* Reads from memory (borrowed for the reader's life); gzip detected too. */
int fc_csv_stream_open_mem(fc_csv_stream **out, const void *data, size_t len);

/* Gzip input is inflated on a second thread by default; this flag keeps
 * the reader on the caller's thread (same rows, same errors). */
#define FC_CSV_NO_THREAD 1u
int fc_csv_stream_open_ex(fc_csv_stream **out, const char *path, unsigned flags);
int fc_csv_stream_open_mem_ex(fc_csv_stream **out, const void *data, size_t len,
                              unsigned flags);
/* 1 when an inflate thread runs for this reader. */
int fc_csv_stream_is_threaded(const fc_csv_stream *c);
void fc_csv_stream_free(fc_csv_stream *c);

/*
 * Next record: 1 and *row filled, 0 at the end, negative on failures that
 * stop the file (FC_EIO, FC_EPARSE for a corrupt or truncated gzip stream,
 * FC_ELIMIT for a record over FC_CSV_MAX_RECORD bytes).  A UTF-8 BOM is
 * skipped, CRLF accepted, blank lines skipped.  A malformed record (text
 * after a closing quote, a quote inside an unquoted field, end of file inside
 * quotes) is still returned, with row->error set, so callers count it.
 */
int fc_csv_stream_next(fc_csv_stream *c, fc_csv_stream_row *row);

int fc_csv_stream_is_gzip(const fc_csv_stream *c);
/* Bytes of the input (compressed) consumed so far. */
uint64_t fc_csv_stream_raw_bytes(const fc_csv_stream *c);
/* "crc32-adler32-size" of the raw input read so far: complete at the end. */
void fc_csv_stream_fingerprint(const fc_csv_stream *c, char *buf, size_t size);

#define FC_CSV_MAX_RECORD (64u * 1024u * 1024u)
#define FC_CSV_MAX_FIELDS 4096

#endif
