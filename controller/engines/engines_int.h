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
int fc_prices_csv_read(fc_price_builder *b, const char *path, const char *data,
                       size_t len, const char *name);

#endif
