/*
 * fc_util.c - buffer, strings, UTC time and hashing helpers (see fc_util.h).
 */
#include "fc_util.h"
#include "fc_error.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void fc_buf_init(fc_buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void fc_buf_dispose(fc_buf *b)
{
    free(b->data);
    fc_buf_init(b);
}

static int buf_grow(fc_buf *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    size_t cap;
    char *p;

    if (need <= b->cap)
        return FC_OK;
    cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    p = realloc(b->data, cap);
    if (!p)
        return fc_error_set(FC_ENOMEM, "out of memory growing buffer");
    b->data = p;
    b->cap = cap;
    return FC_OK;
}

int fc_buf_append(fc_buf *b, const void *data, size_t len)
{
    int rc = buf_grow(b, len);
    if (rc)
        return rc;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return FC_OK;
}

int fc_buf_puts(fc_buf *b, const char *s) { return fc_buf_append(b, s, strlen(s)); }

int fc_buf_printf(fc_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;
    int rc;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return fc_error_set(FC_EINVALID, "bad format");
    if ((rc = buf_grow(b, (size_t)n)) != 0)
        return rc;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return FC_OK;
}

char *fc_buf_detach(fc_buf *b)
{
    char *p = b->data;
    if (!p)
        p = calloc(1, 1);
    fc_buf_init(b);
    return p;
}

size_t fc_str_size(const char *s) { return s ? strlen(s) + 1 : 0; }

char *fc_str_pack(char **at, const char *s)
{
    char *dst = *at;
    size_t n;
    if (!s)
        return NULL;
    n = strlen(s) + 1;
    memcpy(dst, s, n);
    *at += n;
    return dst;
}

void fc_str_key_of(fc_str_key *k, const char *s)
{
    unsigned char b[24] = {0};
    int j;
    memcpy(b, s, strnlen(s, sizeof(b)));
    for (j = 0; j < 3; j++) { /* each word big-endian: byte 0 most significant */
        uint64_t w;
        memcpy(&w, b + 8 * j, sizeof(w));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        w = __builtin_bswap64(w);
#endif
        k->w[j] = w;
    }
}

int fc_str_key_order(const fc_str_key *ka, const fc_str_key *kb)
{
    int j;
    for (j = 0; j < 3; j++) {
        if (ka->w[j] != kb->w[j])
            return ka->w[j] < kb->w[j] ? -1 : 1;
        /* Equal words ending in a NUL: the strings ended, equal. */
        if ((ka->w[j] & 0xff) == 0)
            return 0;
    }
    return FC_STR_KEY_TIE;
}

int fc_str_key_cmp(const fc_str_key *ka, const char *a, const fc_str_key *kb, const char *b)
{
    int c = fc_str_key_order(ka, kb);
    return c == FC_STR_KEY_TIE ? strcmp(a + 24, b + 24) : c;
}

char *fc_strdup(const char *s)
{
    size_t n;
    char *p;
    if (!s)
        return NULL;
    n = strlen(s) + 1;
    p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

char *fc_asprintf(const char *fmt, ...)
{
    va_list ap;
    int n;
    char *p;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    p = malloc((size_t)n + 1);
    if (!p)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void fc_time_format(char *buf, size_t size, int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void fc_date_format(char *buf, size_t size, int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(buf, size, "%Y-%m-%d", &tm);
}

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t era;
    unsigned yoe, doy, doe;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* Value of the n ASCII digits at s, or -1 if one is not a digit (a NUL
 * stops it, so s may be shorter than n). */
static int digits(const char *s, int n)
{
    int v = 0;
    for (; n > 0; n--, s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (*s - '0');
    }
    return v;
}

int fc_time_parse(const char *s, int64_t *out)
{
    int y, mo, d, h = 0, mi = 0, se = 0, n = 0;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    if (!s)
        return -1;
    /* Plain digits, the usual case, without sscanf (it dominated loading
     * large estates); anything else (signs, spaces, short fields, which
     * %d takes too) goes through sscanf, so both accept the same. */
    if (!((y = digits(s, 4)) >= 0 && s[4] == '-' && (mo = digits(s + 5, 2)) >= 0 &&
          s[7] == '-' && (d = digits(s + 8, 2)) >= 0 &&
          (s[10] == '\0' ||
           (s[10] == 'T' && (h = digits(s + 11, 2)) >= 0 && s[13] == ':' &&
            (mi = digits(s + 14, 2)) >= 0 && s[16] == ':' &&
            (se = digits(s + 17, 2)) >= 0 && s[19] == 'Z' && s[20] == '\0')))) {
        h = mi = se = 0;
        if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
            return -1;
        if (s[10] != '\0') {
            int m2 = 0;
            if (sscanf(s + 10, "T%2d:%2d:%2dZ%n", &h, &mi, &se, &m2) != 3 ||
                s[10 + m2] != '\0')
                return -1;
        }
    }
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 ||
        se > 60 || h < 0 || mi < 0 || se < 0)
        return -1;
    *out = days_from_civil(y, (unsigned)mo, (unsigned)d) * FC_DAY + h * 3600 +
           mi * 60 + se;
    return 0;
}

int64_t fc_month_start(int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    return days_from_civil(tm.tm_year + 1900, (unsigned)tm.tm_mon + 1, 1) * FC_DAY;
}

int fc_month_days(int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    int64_t a, b;
    gmtime_r(&tt, &tm);
    a = days_from_civil(tm.tm_year + 1900, (unsigned)tm.tm_mon + 1, 1);
    if (tm.tm_mon == 11)
        b = days_from_civil(tm.tm_year + 1901, 1, 1);
    else
        b = days_from_civil(tm.tm_year + 1900, (unsigned)tm.tm_mon + 2, 1);
    return (int)(b - a);
}

uint64_t fc_hash64(const void *data, size_t len, uint64_t seed)
{
    const unsigned char *p = data;
    uint64_t h = 1469598103934665603ULL ^ seed;
    size_t i;
    for (i = 0; i < len; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

uint64_t fc_hash_str(const char *s, uint64_t seed)
{
    return fc_hash64(s, strlen(s), seed);
}

/* u's digits with a point before the last `decimals` of them (at least
 * one digit before it); the text's length.  text has room for 24 +
 * decimals bytes. */
static size_t fixed_digits(char *text, uint64_t u, int negative, int decimals)
{
    char digits[24];
    size_t n = 0, at = 0;
    do {
        digits[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    while (n < (size_t)decimals + 1)
        digits[n++] = '0';
    if (negative)
        text[at++] = '-';
    while (n > (size_t)decimals)
        text[at++] = digits[--n];
    if (decimals > 0) {
        text[at++] = '.';
        while (n)
            text[at++] = digits[--n];
    }
    text[at] = '\0';
    return at;
}

size_t fc_str_copy(char *dst, size_t size, const char *src)
{
    size_t n = strnlen(src, size - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
    return n;
}

size_t fc_u64_text(char *text, uint64_t u)
{
    return fixed_digits(text, u, 0, 0);
}

void fc_fixed_text(char *text, size_t size, double v, int decimals)
{
    static const double pow10[] = {1, 10, 100, 1e3, 1e4, 1e5, 1e6};
    /* Whole numbers (sizes, counts) are most of them: printf's "%.*f" of an
     * integer is its digits and zeros. */
    if (v > -1e15 && v < 1e15 && v == (double)(int64_t)v && decimals >= 0 &&
        (size_t)decimals + 20 < size) {
        int64_t i = (int64_t)v;
        size_t at = fixed_digits(text, i < 0 ? 0 - (uint64_t)i : (uint64_t)i,
                                 i < 0 || (v == 0 && signbit(v)), 0);
        if (decimals > 0) {
            text[at++] = '.';
            memset(text + at, '0', (size_t)decimals);
            text[at + (size_t)decimals] = '\0';
        }
        return;
    }
    /* Money and percentages: printf rounds the exact value a * 10^d to the
     * nearest integer.  x, its double, is within x * 2^-53 of it, so a
     * fraction farther than that from one half rounds the same way; near
     * a half (a tie, or too close to tell), printf decides. */
    if (decimals >= 0 && decimals <= 6 && (size_t)decimals + 20 < size && v > -1e9 &&
        v < 1e9) {
        double a = v < 0 ? -v : v, x = a * pow10[decimals];
        double t = (double)(uint64_t)x, f = x - t;
        double d = f - 0.5;
        if (d < 0)
            d = -d;
        if (d > x * 0x1p-51) {
            fixed_digits(text, (uint64_t)t + (f > 0.5), v < 0, decimals);
            return;
        }
    }
    snprintf(text, size, "%.*f", decimals, v);
}
