/*
 * fuzz_http_query.c - what the HTTP API takes from a request
 * (controller/http/api.c): the query values limit, offset, continue,
 * account, region and type (one per input line) through
 * fc_api_query_parse(), and when they parse, a page of a small list with
 * those filters; the last line is an Authorization header for
 * fc_http_bearer_ok().  libmicrohttpd itself splits and unescapes the URL.
 */
#include "tests/fuzz/fuzz.h"

#include "controller/core/fc_util.h"
#include "controller/http/fc_http.h"

#include <json-c/json.h>

/* One item whose JSON holds a fuzzed string (escaping on the way out). */
static int add(fc_api_list *l, const char *account, const char *region,
               const char *type, const char *id)
{
    struct json_object *o = json_object_new_object();
    int rc;
    json_object_object_add(o, "id", json_object_new_string(id ? id : ""));
    rc = fc_api_list_add(l, account, region, type, o);
    json_object_put(o);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_strndup(data, size), *f[7];
    fc_api_query q;
    fc_api_list l;
    fc_buf out;

    fc_buf_init(&out);
    fuzz_fields(s, f, 7);
    fc_api_list_init(&l);
    if (add(&l, "123456789012", "eu-west-1", "ec2-instance", f[2]) == 0 &&
        add(&l, "210987654321", "us-east-1", "ebs-volume", f[3]) == 0 &&
        fc_api_query_parse(&q, f[0], f[1], f[2], f[3], f[4], f[5]) == 0)
        fc_api_page(&out, &l, &q);
    fc_http_bearer_ok("s3cret-token", f[6]);
    fc_buf_dispose(&out);
    fc_api_list_dispose(&l);
    free(s);
    return 0;
}
