/*
 * test_csv_stream.c - the streaming CSV reader of controller/ingest: RFC 4180
 * quoting, CRLF, BOM, gzip (whole, multi-member, truncated), malformed
 * records with line numbers, records larger than the buffer; the threaded
 * gzip reader against the single-threaded one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "controller/core/fc_error.h"
#include "controller/ingest/fc_ingest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

/* gzip of data (one member). */
static unsigned char *gz(const char *data, size_t len, size_t *out_len)
{
    z_stream z;
    size_t cap = compressBound((uLong)len) + 64;
    unsigned char *out = malloc(cap);
    memset(&z, 0, sizeof(z));
    assert_non_null(out);
    assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = (Bytef *)data;
    z.avail_in = (uInt)len;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    *out_len = cap - z.avail_out;
    deflateEnd(&z);
    return out;
}

static fc_csv_stream *open_str(const char *s)
{
    fc_csv_stream *c = NULL;
    assert_int_equal(fc_csv_stream_open_mem(&c, s, strlen(s)), FC_OK);
    return c;
}

static void expect_row(fc_csv_stream *c, uint64_t line, size_t n, ...)
{
    fc_csv_stream_row r;
    va_list ap;
    size_t i;
    assert_int_equal(fc_csv_stream_next(c, &r), 1);
    assert_null(r.error);
    assert_int_equal(r.line, line);
    assert_int_equal(r.n, n);
    va_start(ap, n);
    for (i = 0; i < n; i++) {
        const char *want = va_arg(ap, const char *);
        assert_string_equal(r.fields[i], want);
        assert_int_equal(r.lens[i], strlen(want));
    }
    va_end(ap);
}

static void expect_end(fc_csv_stream *c)
{
    fc_csv_stream_row r;
    assert_int_equal(fc_csv_stream_next(c, &r), 0);
    assert_int_equal(fc_csv_stream_next(c, &r), 0);
}

static void test_csv_stream__quotes_commas_and_newlines(void **s)
{
    fc_csv_stream *c = open_str("a,\"b,c\",\"d\"\"e\",\"f\ng\"\n"
                                "1,,\"\",4\n"
                                "x,\"multi\nline\nfield\",z,\"\"\"\"\n"
                                "last,row,no,newline");
    (void)s;
    expect_row(c, 1, 4, "a", "b,c", "d\"e", "f\ng");
    expect_row(c, 3, 4, "1", "", "", "4");
    expect_row(c, 4, 4, "x", "multi\nline\nfield", "z", "\"");
    expect_row(c, 7, 4, "last", "row", "no", "newline");
    expect_end(c);
    fc_csv_stream_free(c);
}

static void test_csv_stream__crlf_bom_and_blank_lines(void **s)
{
    fc_csv_stream *c = open_str("\xEF\xBB\xBF" "id,\"name\"\r\n\r\n1,\"a\r\nb\"\r\n2,c\r\n\n3,\r\n");
    (void)s;
    expect_row(c, 1, 2, "id", "name");
    expect_row(c, 3, 2, "1", "a\r\nb");
    expect_row(c, 5, 2, "2", "c");
    expect_row(c, 7, 2, "3", "");
    expect_end(c);
    fc_csv_stream_free(c);
}

static void test_csv_stream__malformed_records_keep_line_numbers(void **s)
{
    fc_csv_stream *c = open_str("h1,h2\n"
                                "\"ok\",1\n"
                                "\"abc\"x,2\n"
                                "a\"b,3\n"
                                "fine,4\n"
                                "\"never closed,5\nmore\n");
    fc_csv_stream_row r;
    (void)s;
    expect_row(c, 1, 2, "h1", "h2");
    expect_row(c, 2, 2, "ok", "1");
    assert_int_equal(fc_csv_stream_next(c, &r), 1);
    assert_int_equal(r.line, 3);
    assert_non_null(r.error);
    assert_non_null(strstr(r.error, "after a closing quote"));
    assert_int_equal(fc_csv_stream_next(c, &r), 1);
    assert_int_equal(r.line, 4);
    assert_non_null(r.error);
    assert_non_null(strstr(r.error, "quote inside"));
    expect_row(c, 5, 2, "fine", "4");
    assert_int_equal(fc_csv_stream_next(c, &r), 1);
    assert_int_equal(r.line, 6);
    assert_non_null(r.error);
    assert_non_null(strstr(r.error, "end of file inside a quoted field"));
    expect_end(c);
    fc_csv_stream_free(c);
}

static void test_csv_stream__gzip_from_memory_and_file(void **s)
{
    const char *text = "a,b\n\"x,y\",2\n";
    size_t n;
    unsigned char *z = gz(text, strlen(text), &n);
    fc_csv_stream *c = NULL;
    char path[] = "/tmp/fc-csv-XXXXXX";
    int fd;
    (void)s;

    assert_int_equal(fc_csv_stream_open_mem(&c, z, n), FC_OK);
    assert_true(fc_csv_stream_is_gzip(c));
    expect_row(c, 1, 2, "a", "b");
    expect_row(c, 2, 2, "x,y", "2");
    expect_end(c);
    assert_int_equal(fc_csv_stream_raw_bytes(c), n);
    fc_csv_stream_free(c);

    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, z, n), (ssize_t)n);
    close(fd);
    assert_int_equal(fc_csv_stream_open(&c, path), FC_OK);
    assert_true(fc_csv_stream_is_gzip(c));
    expect_row(c, 1, 2, "a", "b");
    expect_row(c, 2, 2, "x,y", "2");
    expect_end(c);
    fc_csv_stream_free(c);
    unlink(path);
    free(z);
}

static void test_csv_stream__gzip_multi_member(void **s)
{
    size_t n1, n2;
    unsigned char *a = gz("h\n1\n", 4, &n1), *b = gz("2\n3\n", 4, &n2);
    unsigned char *both = malloc(n1 + n2);
    fc_csv_stream *c = NULL;
    (void)s;
    memcpy(both, a, n1);
    memcpy(both + n1, b, n2);
    assert_int_equal(fc_csv_stream_open_mem(&c, both, n1 + n2), FC_OK);
    expect_row(c, 1, 1, "h");
    expect_row(c, 2, 1, "1");
    expect_row(c, 3, 1, "2");
    expect_row(c, 4, 1, "3");
    expect_end(c);
    fc_csv_stream_free(c);
    free(a);
    free(b);
    free(both);
}

static void test_csv_stream__truncated_gzip_is_an_error(void **s)
{
    char *text = malloc(200000);
    size_t i, n, rows = 0;
    unsigned char *z;
    fc_csv_stream *c = NULL;
    fc_csv_stream_row r;
    int rc;
    (void)s;
    for (i = 0; i + 10 < 200000; i += 10)
        memcpy(text + i, "123456789\n", 10);
    z = gz(text, i, &n);
    assert_int_equal(fc_csv_stream_open_mem(&c, z, n - 10), FC_OK);
    while ((rc = fc_csv_stream_next(c, &r)) == 1)
        rows++;
    assert_int_equal(rc, FC_EPARSE);
    assert_non_null(strstr(fc_error_last(), "truncated gzip"));
    assert_true(rows < i / 10);
    /* The error sticks. */
    assert_int_equal(fc_csv_stream_next(c, &r), FC_EPARSE);
    fc_csv_stream_free(c);

    /* Only the magic bytes. */
    assert_int_equal(fc_csv_stream_open_mem(&c, z, 2), FC_OK);
    assert_int_equal(fc_csv_stream_next(c, &r), FC_EPARSE);
    fc_csv_stream_free(c);
    free(z);
    free(text);
}

/* Many records across buffer refills, and one field larger than the
 * initial buffer. */
static void test_csv_stream__records_across_buffers(void **s)
{
    size_t big = 3u * 1024u * 1024u, n = 0, i, rows = 0;
    char *text = malloc(big + 8u * 1024u * 1024u);
    fc_csv_stream *c = NULL;
    fc_csv_stream_row r;
    (void)s;
    for (i = 0; i < 200000; i++)
        n += (size_t)sprintf(text + n, "%zu,\"q,%zu\",tail\n", i, i * 7);
    text[n++] = '"';
    memset(text + n, 'x', big);
    n += big;
    memcpy(text + n, "\",end\n", 6);
    n += 6;
    for (int pass = 0; pass < 2; pass++) {
    size_t zn = 0;
    unsigned char *z = pass ? gz(text, n, &zn) : NULL;
    if (pass)
        assert_int_equal(fc_csv_stream_open_mem(&c, z, zn), FC_OK);
    else
        assert_int_equal(fc_csv_stream_open_mem(&c, text, n), FC_OK);
    rows = 0;
    for (i = 0; i < 200000; i++) {
        char want[64];
        assert_int_equal(fc_csv_stream_next(c, &r), 1);
        assert_int_equal(r.n, 3);
        assert_int_equal(r.line, i + 1);
        assert_int_equal(strtoull(r.fields[0], NULL, 10), i);
        sprintf(want, "q,%zu", i * 7);
        assert_string_equal(r.fields[1], want);
        rows++;
    }
    assert_int_equal(fc_csv_stream_next(c, &r), 1);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.lens[0], big);
    assert_string_equal(r.fields[1], "end");
    assert_int_equal(r.line, 200001);
    expect_end(c);
    fc_csv_stream_free(c);
    free(z);
    }
    free(text);
    assert_int_equal(rows, 200000);
}

/* A text of several MB that exercises everything the parser resumes
 * across buffer and ring-block boundaries: quoted fields with commas, ""
 * and newlines, CRLF and LF endings, blank lines, malformed records. */
static char *mixed_text(size_t *len)
{
    size_t cap = 12u * 1024u * 1024u, n = 0, i;
    char *t = malloc(cap);
    assert_non_null(t);
    n += (size_t)sprintf(t, "\xEF\xBB\xBFid,desc,amount\r\n");
    for (i = 0; n + 1024 < cap - 1024u * 1024u; i++) {
        switch (i % 7) {
        case 0:
            n += (size_t)sprintf(t + n, "%zu,\"a, \"\"quoted\"\" %zu\",%zu.25\r\n", i, i, i);
            break;
        case 1:
            n += (size_t)sprintf(t + n, "%zu,\"two\nlines %zu\",1\n", i, i);
            break;
        case 2:
            n += (size_t)sprintf(t + n, "%zu,plain %zu,%zu\n\n", i, i * 3, i);
            break;
        case 3:
            n += (size_t)sprintf(t + n, "%zu,bad\"quote,2\n", i);
            break;
        case 4:
            n += (size_t)sprintf(t + n, "%zu,\"after\"x,3\r\n", i);
            break;
        case 5:
            n += (size_t)sprintf(t + n, "%zu,\"%0*zu\",4\n", i, (int)(i % 300), i);
            break;
        default:
            n += (size_t)sprintf(t + n, "%zu,,\n", i);
            break;
        }
    }
    *len = n;
    return t;
}

/* Reads c and ref (the reference reader over the same text) side by side
 * and checks every record is the same; returns the last rc. */
static int same_rows(fc_csv_stream *c, fc_csv_stream *ref, size_t *rows)
{
    fc_csv_stream_row a, b;
    int ra, rb;
    *rows = 0;
    for (;;) {
        size_t i;
        ra = fc_csv_stream_next(c, &a);
        rb = fc_csv_stream_next(ref, &b);
        assert_int_equal(ra, rb);
        if (ra != 1)
            return ra;
        assert_int_equal(a.line, b.line);
        assert_int_equal(a.n, b.n);
        assert_true((a.error == NULL) == (b.error == NULL));
        if (a.error)
            assert_string_equal(a.error, b.error);
        for (i = 0; i < a.n; i++) {
            assert_int_equal(a.lens[i], b.lens[i]);
            assert_memory_equal(a.fields[i], b.fields[i], a.lens[i] + 1);
        }
        (*rows)++;
    }
}

static void test_csv_stream__threaded_gzip_same_rows_as_single(void **s)
{
    size_t n, h, z1n, z2n, rows;
    char *text = mixed_text(&n);
    unsigned char *z1, *z2, *both;
    fc_csv_stream *c = NULL, *ref = NULL;
    char fa[64], fb[64];
    (void)s;

    /* Two gzip members, split in the middle of a record. */
    h = n / 2 + 3;
    z1 = gz(text, h, &z1n);
    z2 = gz(text + h, n - h, &z2n);
    both = malloc(z1n + z2n);
    memcpy(both, z1, z1n);
    memcpy(both + z1n, z2, z2n);

    assert_int_equal(fc_csv_stream_open_mem_ex(&c, both, z1n + z2n, 0), FC_OK);
    assert_int_equal(fc_csv_stream_open_mem_ex(&ref, both, z1n + z2n, FC_CSV_NO_THREAD),
                     FC_OK);
    assert_true(fc_csv_stream_is_threaded(c));
    assert_false(fc_csv_stream_is_threaded(ref));
    assert_int_equal(same_rows(c, ref, &rows), 0);
    assert_true(rows > 100000);
    assert_int_equal(fc_csv_stream_raw_bytes(c), z1n + z2n);
    assert_int_equal(fc_csv_stream_raw_bytes(ref), z1n + z2n);
    fc_csv_stream_fingerprint(c, fa, sizeof(fa));
    fc_csv_stream_fingerprint(ref, fb, sizeof(fb));
    assert_string_equal(fa, fb);
    fc_csv_stream_free(c);
    fc_csv_stream_free(ref);

    /* And against the plain text. */
    assert_int_equal(fc_csv_stream_open_mem_ex(&c, both, z1n + z2n, 0), FC_OK);
    assert_int_equal(fc_csv_stream_open_mem(&ref, text, n), FC_OK);
    assert_false(fc_csv_stream_is_threaded(ref));
    assert_int_equal(same_rows(c, ref, &rows), 0);
    fc_csv_stream_free(c);
    fc_csv_stream_free(ref);
    free(z1);
    free(z2);
    free(both);
    free(text);
}

/* Corrupt and truncated input: the threaded reader delivers the same
 * records before the same error, which then sticks. */
static void test_csv_stream__threaded_gzip_errors_match_single(void **s)
{
    size_t n, zn, rows, cut;
    char *text = mixed_text(&n);
    unsigned char *z = gz(text, n, &zn), *bad = malloc(zn);
    fc_csv_stream *c = NULL, *ref = NULL;
    fc_csv_stream_row r;
    (void)s;

    memcpy(bad, z, zn);
    for (cut = zn / 2; cut < zn / 2 + 64; cut++)
        bad[cut] ^= 0x5a;
    assert_int_equal(fc_csv_stream_open_mem_ex(&c, bad, zn, 0), FC_OK);
    assert_int_equal(fc_csv_stream_open_mem_ex(&ref, bad, zn, FC_CSV_NO_THREAD), FC_OK);
    assert_int_equal(same_rows(c, ref, &rows), FC_EPARSE);
    assert_true(rows > 1000);
    assert_int_equal(fc_csv_stream_next(c, &r), FC_EPARSE);
    fc_csv_stream_free(c);
    fc_csv_stream_free(ref);

    assert_int_equal(fc_csv_stream_open_mem_ex(&c, z, zn - 100, 0), FC_OK);
    assert_int_equal(fc_csv_stream_open_mem_ex(&ref, z, zn - 100, FC_CSV_NO_THREAD), FC_OK);
    assert_int_equal(same_rows(c, ref, &rows), FC_EPARSE);
    assert_non_null(strstr(fc_error_last(), "truncated gzip"));
    fc_csv_stream_free(c);
    fc_csv_stream_free(ref);

    /* Freed half way: the thread is stopped while it waits for room. */
    assert_int_equal(fc_csv_stream_open_mem_ex(&c, z, zn, 0), FC_OK);
    assert_int_equal(fc_csv_stream_next(c, &r), 1);
    fc_csv_stream_free(c);
    free(z);
    free(bad);
    free(text);
}

static void test_csv_stream__missing_file(void **s)
{
    fc_csv_stream *c = NULL;
    (void)s;
    assert_int_equal(fc_csv_stream_open(&c, "/nonexistent/x.csv"), FC_ENOTFOUND);
    assert_null(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_stream__quotes_commas_and_newlines),
        cmocka_unit_test(test_csv_stream__crlf_bom_and_blank_lines),
        cmocka_unit_test(test_csv_stream__malformed_records_keep_line_numbers),
        cmocka_unit_test(test_csv_stream__gzip_from_memory_and_file),
        cmocka_unit_test(test_csv_stream__gzip_multi_member),
        cmocka_unit_test(test_csv_stream__truncated_gzip_is_an_error),
        cmocka_unit_test(test_csv_stream__records_across_buffers),
        cmocka_unit_test(test_csv_stream__threaded_gzip_same_rows_as_single),
        cmocka_unit_test(test_csv_stream__threaded_gzip_errors_match_single),
        cmocka_unit_test(test_csv_stream__missing_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
