/*
 * fc_util.h - small shared helpers: a growable byte buffer, checked string
 * duplication, time formatting and a stable 64-bit hash (FNV-1a) for ids.
 *
 * fc_buf is caller-allocated: fc_buf_init() / fc_buf_dispose().  Appends
 * return FC_OK or FC_ENOMEM; the data is always NUL-terminated.
 */
#ifndef FC_UTIL_H
#define FC_UTIL_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    char *data;
    size_t len;
    size_t cap;
} fc_buf;

void fc_buf_init(fc_buf *b);
void fc_buf_dispose(fc_buf *b);
int fc_buf_append(fc_buf *b, const void *data, size_t len);
int fc_buf_puts(fc_buf *b, const char *s);
int fc_buf_printf(fc_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Hands the NUL-terminated data to the caller (free() it); b is emptied. */
char *fc_buf_detach(fc_buf *b);

/* strdup that aborts nothing: returns NULL only when s is NULL or on OOM. */
char *fc_strdup(const char *s);
/* Packing strings into one block: the bytes s takes with its NUL (0 for
 * NULL), and a copy of s at *at that moves *at past it (NULL stays NULL). */
size_t fc_str_size(const char *s);
char *fc_str_pack(char **at, const char *s);
/* The first 24 bytes of s as three big-endian words, zero past its end:
 * compared word by word they order as strcmp does over those bytes, so
 * sorts of ids (i-0abc...-c12: clones share long prefixes) read the
 * strings themselves only on a 24-byte tie. */
typedef struct {
    uint64_t w[3];
} fc_str_key;
void fc_str_key_of(fc_str_key *k, const char *s);
/* strcmp(a, b) for strings whose keys are ka and kb. */
int fc_str_key_cmp(const fc_str_key *ka, const char *a, const fc_str_key *kb, const char *b);
/* The keys alone: -1, 0 or 1 as strcmp, or FC_STR_KEY_TIE when the strings
 * share 24 bytes and strcmp from byte 24 decides (read only then). */
#define FC_STR_KEY_TIE 2
int fc_str_key_order(const fc_str_key *ka, const fc_str_key *kb);
char *fc_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* snprintf(dst, size, "%s", src) without the format (size > 0): src
 * truncated to size - 1 bytes; the length copied. */
size_t fc_str_copy(char *dst, size_t size, const char *src);
/* printf's "%.*f" of v into text (size >= 32), without printf where the
 * digits are certain: whole numbers, and up to 6 decimals of values below
 * 1e9 not within rounding error of a tie. */
void fc_fixed_text(char *text, size_t size, double v, int decimals);
/* printf's "%" PRIu64 of u into text (21 bytes); its length. */
size_t fc_u64_text(char *text, uint64_t u);

/* "2026-11-23T14:00:00Z" for a unix time (UTC). buf needs 21 bytes. */
void fc_time_format(char *buf, size_t size, int64_t t);
/* "2026-11-23" (UTC). buf needs 11 bytes. */
void fc_date_format(char *buf, size_t size, int64_t t);
/* Parses "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SSZ" (UTC). 0 ok, -1 bad. */
int fc_time_parse(const char *s, int64_t *out);
/* Unix time of 00:00 UTC on the first day of t's month. */
int64_t fc_month_start(int64_t t);
/* Days in t's month (UTC). */
int fc_month_days(int64_t t);

/* FNV-1a 64: stable across runs and machines; used for ids and seeds. */
uint64_t fc_hash64(const void *data, size_t len, uint64_t seed);
uint64_t fc_hash_str(const char *s, uint64_t seed);

#define FC_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define FC_DAY 86400
#define FC_HOUR 3600

#endif
