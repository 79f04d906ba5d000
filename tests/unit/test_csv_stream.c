/*
 * test_csv_stream.c - the streaming CSV reader of controller/ingest: RFC 4180
 * quoting, CRLF, BOM, gzip (whole, multi-member, truncated), malformed
 * records with line numbers, records larger than the buffer.
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
        cmocka_unit_test(test_csv_stream__missing_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
