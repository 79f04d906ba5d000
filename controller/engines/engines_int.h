/*
 * engines_int.h - folder-private pieces of controller/engines: the
 * streaming CSV reader the price catalogue uses, and the price-table
 * builder shared by the YAML and the CSV (AWS Price List) loaders.
 */
#ifndef FC_ENGINES_INT_H
#define FC_ENGINES_INT_H

#include "controller/engines/fc_engines.h"

#include <stddef.h>
#include <stdio.h>

/* ---- streaming CSV (RFC 4180 with CRLF or LF, optional UTF-8 BOM) ------ */

#define FC_CSV_MAX_RECORD (1024 * 1024) /* bytes of one record */
#define FC_CSV_MAX_FIELDS 1024

typedef struct fc_csv fc_csv;

/* Reads from f (borrowed, not closed) or from memory (borrowed).  name is
 * copied and prefixes every error: "name:line: message". */
int fc_csv_open_file(fc_csv **out, FILE *f, const char *name);
int fc_csv_open_mem(fc_csv **out, const char *data, size_t len,
                    const char *name);
/*
 * The next record: *fields points at *nfields NUL-terminated strings owned
 * by the reader until the next call; *line is the physical line the record
 * starts on.  Blank lines are skipped.  At end of input *nfields is 0.
 * FC_EPARSE for malformed input (unterminated quote, stray quote, record
 * too long), FC_EIO on read errors.
 */
int fc_csv_next(fc_csv *c, char *const **fields, size_t *nfields,
                unsigned *line);
void fc_csv_free(fc_csv *c);

/* ---- price table builder ----------------------------------------------- */

typedef enum {
    PSEC_EC2,
    PSEC_EBS,
    PSEC_RDS,
    PSEC_OTHER,
    PSEC__COUNT
} fc_price_section;

typedef struct fc_price_builder fc_price_builder;

/* Adds one price; file is borrowed for the builder's lifetime (a string the
 * builder interned with fc_price_builder_file).  processor may be NULL. */
int fc_price_builder_add(fc_price_builder *b, fc_price_section sec,
                         const char *region, const char *key, double price,
                         double vcpu, double memory_gib, const char *processor,
                         const char *file, unsigned line);
/* Sets the catalogue currency; a different one from another file fails. */
int fc_price_builder_currency(fc_price_builder *b, const char *currency,
                              const char *file, unsigned line);
/* Interns a file name; NULL on out of memory. */
const char *fc_price_builder_file(fc_price_builder *b, const char *name);

/* Streams one AWS Price List offer file (CSV) from f, or from data/len
 * when f is NULL, into b (whose region filter applies). */
int fc_prices_csv_read(fc_price_builder *b, FILE *f, const char *data,
                       size_t len, const char *name);

#endif
