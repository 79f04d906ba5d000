/*
 * fuzz_aws_json.c - the AWS JSON response parsers (controller/cloud/
 * aws_parse.c, json-c): IMDS credentials, Lambda ListFunctions and
 * ListTags, Cost Explorer GetCostAndUsage, JSON error bodies, and the ISO
 * 8601 time parser they share.  The first byte picks the parser.
 */
#include "tests/fuzz/fuzz.h"

#include "controller/cloud/aws_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *body = (const char *)data + 1;
    size_t len;
    char a[64], b[256];

    if (size < 1)
        return 0;
    len = size - 1;
    switch (data[0] % 6) {
    case 0: {
        aws_creds c = {0};
        aws_parse_imds_creds(body, len, &c);
        aws_creds_dispose(&c);
        break;
    }
    case 1: {
        aws_page p;
        aws_page_init(&p);
        aws_parse_lambda_functions(&p, body, len, "123456789012", "eu-west-1");
        aws_page_dispose(&p);
        break;
    }
    case 2: {
        aws_tagsets t = {0};
        aws_parse_json_tags(&t, body, len);
        aws_tagsets_dispose(&t);
        break;
    }
    case 3: {
        fc_inventory inv;
        char *next = NULL;
        fc_inventory_init(&inv);
        aws_parse_costs(&inv, &next, "123456789012", body, len);
        free(next);
        fc_inventory_dispose(&inv);
        break;
    }
    case 4:
        aws_parse_error(body, len, len ? "Fuzz#Error" : NULL, a, sizeof(a), b,
                        sizeof(b));
        break;
    default: {
        char *s = fuzz_strndup(data + 1, len);
        int64_t t;
        aws_parse_time(s, &t);
        free(s);
        break;
    }
    }
    return 0;
}
