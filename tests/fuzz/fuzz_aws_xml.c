/*
 * fuzz_aws_xml.c - the AWS XML response parsers (controller/cloud/
 * aws_parse.c, libxml2) and the error-body parser (aws_http.c).  The first
 * input byte picks the parser, the rest is the response body.
 */
#include "tests/fuzz/fuzz.h"

#include "controller/cloud/aws_int.h"

typedef int (*page_fn)(aws_page *, const char *, size_t, const char *,
                       const char *);
typedef int (*tags_fn)(aws_tagsets *, const char *, size_t);

static const page_fn pages[] = {
    aws_parse_ec2_instances, aws_parse_ec2_volumes, aws_parse_ec2_snapshots,
    aws_parse_ec2_addresses, aws_parse_elb_load_balancers,
    aws_parse_rds_instances,
};
static const tags_fn tagsets[] = {
    aws_parse_elb_tags, aws_parse_xml_tagset, aws_parse_elb_target_health,
};
static const char *const actions[] = {
    "stop-instances", "start-instances", "modify-volume-type",
    "create-snapshot", "create-volume-from-snapshot", "delete-volume",
    "release-address",
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *body = (const char *)data + 1;
    size_t len, pick;
    char a[64], b[256];

    if (size < 1)
        return 0;
    len = size - 1;
    pick = data[0] % (N(pages) + N(tagsets) + N(actions) + 7);
    if (pick < N(pages)) {
        aws_page p;
        aws_page_init(&p);
        pages[pick](&p, body, len, "123456789012", "eu-west-1");
        aws_page_dispose(&p);
        return 0;
    }
    pick -= N(pages);
    if (pick < N(tagsets)) {
        aws_tagsets t = {0};
        tagsets[pick](&t, body, len);
        aws_tagsets_dispose(&t);
        return 0;
    }
    pick -= N(tagsets);
    if (pick < N(actions)) {
        fc_action_result r;
        aws_parse_action(actions[pick], body, len, &r);
        fc_action_result_dispose(&r);
        return 0;
    }
    pick -= N(actions);
    switch (pick) {
    case 0: {
        aws_page p;
        aws_page_init(&p);
        aws_parse_s3_buckets(&p, body, len, "123456789012");
        aws_page_dispose(&p);
        break;
    }
    case 1:
        aws_parse_s3_location(body, len, a, sizeof(a));
        break;
    case 2: {
        aws_creds c = {0};
        aws_parse_sts_creds(body, len, &c);
        aws_creds_dispose(&c);
        break;
    }
    case 3:
        aws_parse_caller_account(body, len, a, sizeof(a));
        break;
    case 4: {
        aws_tagsets t = {0};
        char *next = NULL;
        aws_parse_elb_target_groups(&t, &next, body, len);
        free(next);
        aws_tagsets_dispose(&t);
        break;
    }
    case 5: {
        aws_metric_page m = {0};
        aws_parse_metric_data(&m, body, len);
        aws_metric_page_dispose(&m);
        break;
    }
    default:
        aws_parse_error(body, len, NULL, a, sizeof(a), b, sizeof(b));
        break;
    }
    return 0;
}
