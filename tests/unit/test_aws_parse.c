/*
 * test_aws_parse.c - the aws provider's pure pieces: response parsers on
 * fixtures shaped like the AWS API reference, error bodies and their fc
 * codes, backoff with full jitter from a seeded PRNG, endpoints.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "controller/cloud/aws_int.h"
#include "controller/core/fc_error.h"

#include <stdlib.h>
#include <string.h>

#define LEN(s) (sizeof(s) - 1)

static const char instances_xml[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<DescribeInstancesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
    "<requestId>8f7724cf-496f-496e-8fe3-example</requestId>"
    "<reservationSet><item><reservationId>r-1234567890abcdef0</reservationId>"
    "<ownerId>123456789012</ownerId><instancesSet>"
    "<item><instanceId>i-1234567890abcdef0</instanceId><imageId>ami-0abc</imageId>"
    "<instanceState><code>16</code><name>running</name></instanceState>"
    "<instanceType>m5.large</instanceType><launchTime>2025-02-11T08:30:00.000Z</launchTime>"
    "<placement><availabilityZone>eu-west-1a</availabilityZone></placement>"
    "<tagSet><item><key>Name</key><value>web-1</value></item>"
    "<item><key>env</key><value>prod</value></item></tagSet></item>"
    "<item><instanceId>i-0fedcba987654321</instanceId>"
    "<instanceState><code>80</code><name>stopped</name></instanceState>"
    "<instanceType>t3.micro</instanceType><launchTime>2024-01-01T00:00:00Z</launchTime>"
    "</item></instancesSet></item></reservationSet>"
    "<nextToken>page-2</nextToken></DescribeInstancesResponse>";

static void test_aws_parse__ec2_instances(void **state)
{
    aws_page p;
    (void)state;
    aws_page_init(&p);
    assert_int_equal(aws_parse_ec2_instances(&p, instances_xml, LEN(instances_xml),
                                             "123456789012", "eu-west-1"),
                     FC_OK);
    assert_int_equal(p.n, 2);
    assert_int_equal(p.items[0].type, FC_RES_EC2_INSTANCE);
    assert_string_equal(p.items[0].id, "i-1234567890abcdef0");
    assert_string_equal(p.items[0].state, "running");
    assert_string_equal(p.items[0].size_class, "m5.large");
    assert_string_equal(p.items[0].name, "web-1");
    assert_string_equal(p.items[0].account, "123456789012");
    assert_string_equal(p.items[0].region, "eu-west-1");
    assert_int_equal(p.items[0].created, 1739262600);
    assert_int_equal(p.items[0].ntags, 2);
    assert_string_equal(fc_resource_tag(&p.items[0], "env"), "prod");
    assert_string_equal(p.items[1].state, "stopped");
    assert_null(p.items[1].name);
    assert_string_equal(p.next, "page-2");
    aws_page_dispose(&p);
}

static const char volumes_xml[] =
    "<DescribeVolumesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
    "<requestId>x</requestId><volumeSet>"
    "<item><volumeId>vol-1</volumeId><size>50</size><snapshotId/>"
    "<availabilityZone>eu-west-1a</availabilityZone><status>in-use</status>"
    "<createTime>2025-02-11T00:00:00.000Z</createTime>"
    "<attachmentSet><item><volumeId>vol-1</volumeId><instanceId>i-1</instanceId>"
    "<device>/dev/xvda</device><status>attached</status></item></attachmentSet>"
    "<volumeType>gp3</volumeType></item>"
    "<item><volumeId>vol-2</volumeId><size>500</size><status>available</status>"
    "<createTime>2024-03-01T00:00:00.000Z</createTime><attachmentSet/>"
    "<volumeType>gp2</volumeType><tagSet><item><key>Name</key><value>old</value></item>"
    "</tagSet></item></volumeSet></DescribeVolumesResponse>";

static void test_aws_parse__ec2_volumes_snapshots_addresses(void **state)
{
    static const char snaps[] =
        "<DescribeSnapshotsResponse><snapshotSet><item><snapshotId>snap-1</snapshotId>"
        "<volumeId>vol-1</volumeId><status>completed</status>"
        "<startTime>2026-11-15T00:00:00.000Z</startTime><ownerId>1</ownerId>"
        "<volumeSize>50</volumeSize><description>d</description></item></snapshotSet>"
        "</DescribeSnapshotsResponse>";
    static const char addrs[] =
        "<DescribeAddressesResponse><addressesSet>"
        "<item><publicIp>198.51.100.1</publicIp><allocationId>eipalloc-1</allocationId>"
        "<domain>vpc</domain><instanceId>i-1</instanceId><associationId>eipassoc-1"
        "</associationId></item>"
        "<item><publicIp>198.51.100.2</publicIp><allocationId>eipalloc-2</allocationId>"
        "<domain>vpc</domain></item></addressesSet></DescribeAddressesResponse>";
    aws_page p;
    (void)state;

    aws_page_init(&p);
    assert_int_equal(aws_parse_ec2_volumes(&p, volumes_xml, LEN(volumes_xml), "1", "r"), FC_OK);
    assert_int_equal(p.n, 2);
    assert_string_equal(p.items[0].state, "in-use");
    assert_string_equal(p.items[0].attached_to, "i-1");
    assert_string_equal(p.items[0].size_class, "gp3");
    assert_true(p.items[0].size == 50);
    assert_null(p.items[1].attached_to);
    assert_string_equal(p.items[1].name, "old");
    assert_null(p.next);
    aws_page_dispose(&p);

    assert_int_equal(aws_parse_ec2_snapshots(&p, snaps, LEN(snaps), "1", "r"), FC_OK);
    assert_int_equal(p.n, 1);
    assert_int_equal(p.items[0].type, FC_RES_EBS_SNAPSHOT);
    assert_string_equal(p.items[0].attached_to, "vol-1");
    assert_string_equal(p.items[0].state, "completed");
    assert_true(p.items[0].size == 50);
    aws_page_dispose(&p);

    assert_int_equal(aws_parse_ec2_addresses(&p, addrs, LEN(addrs), "1", "r"), FC_OK);
    assert_int_equal(p.n, 2);
    assert_string_equal(p.items[0].id, "eipalloc-1");
    assert_string_equal(p.items[0].state, "associated");
    assert_string_equal(p.items[0].attached_to, "i-1");
    assert_string_equal(p.items[1].state, "unassociated");
    aws_page_dispose(&p);
}

static void test_aws_parse__query_services(void **state)
{
    static const char lbs[] =
        "<DescribeLoadBalancersResponse xmlns=\"http://elasticloadbalancing.amazonaws.com/"
        "doc/2015-12-01/\"><DescribeLoadBalancersResult><LoadBalancers><member>"
        "<LoadBalancerArn>arn:aws:elasticloadbalancing:eu-west-1:1:loadbalancer/app/web/50dc"
        "</LoadBalancerArn><CreatedTime>2025-02-11T00:00:00.000Z</CreatedTime>"
        "<LoadBalancerName>web</LoadBalancerName><State><Code>active</Code></State>"
        "<Type>application</Type></member></LoadBalancers><NextMarker>m2</NextMarker>"
        "</DescribeLoadBalancersResult><ResponseMetadata><RequestId>x</RequestId>"
        "</ResponseMetadata></DescribeLoadBalancersResponse>";
    static const char rds[] =
        "<DescribeDBInstancesResponse><DescribeDBInstancesResult><DBInstances><DBInstance>"
        "<DBInstanceIdentifier>orders-db</DBInstanceIdentifier>"
        "<DBInstanceClass>db.r5.large</DBInstanceClass><Engine>postgres</Engine>"
        "<DBInstanceStatus>available</DBInstanceStatus><AllocatedStorage>500"
        "</AllocatedStorage><InstanceCreateTime>2024-11-04T00:00:00Z</InstanceCreateTime>"
        "<TagList><Tag><Key>env</Key><Value>prod</Value></Tag></TagList></DBInstance>"
        "</DBInstances></DescribeDBInstancesResult></DescribeDBInstancesResponse>";
    static const char tgs[] =
        "<DescribeTargetGroupsResponse><DescribeTargetGroupsResult><TargetGroups><member>"
        "<TargetGroupArn>arn:tg/1</TargetGroupArn><LoadBalancerArns><member>arn:lb/1"
        "</member></LoadBalancerArns></member></TargetGroups></DescribeTargetGroupsResult>"
        "</DescribeTargetGroupsResponse>";
    static const char health[] =
        "<DescribeTargetHealthResponse><DescribeTargetHealthResult><TargetHealthDescriptions>"
        "<member><Target><Id>i-1</Id><Port>80</Port></Target><TargetHealth><State>healthy"
        "</State></TargetHealth></member><member><Target><Id>i-2</Id></Target>"
        "<TargetHealth><State>unused</State></TargetHealth></member>"
        "</TargetHealthDescriptions></DescribeTargetHealthResult>"
        "</DescribeTargetHealthResponse>";
    aws_page p;
    aws_tagsets ts = {0};
    char *next = NULL;
    (void)state;

    aws_page_init(&p);
    assert_int_equal(aws_parse_elb_load_balancers(&p, lbs, LEN(lbs), "1", "eu-west-1"), FC_OK);
    assert_int_equal(p.n, 1);
    assert_string_equal(p.items[0].id, "web");
    assert_string_equal(p.items[0].state, "active");
    assert_string_equal(p.items[0].size_class, "application");
    assert_string_equal(p.arns[0], "arn:aws:elasticloadbalancing:eu-west-1:1:loadbalancer/app/web/50dc");
    assert_string_equal(p.next, "m2");
    aws_page_dispose(&p);

    assert_int_equal(aws_parse_rds_instances(&p, rds, LEN(rds), "1", "eu-west-1"), FC_OK);
    assert_int_equal(p.n, 1);
    assert_string_equal(p.items[0].id, "orders-db");
    assert_string_equal(p.items[0].state, "available");
    assert_string_equal(p.items[0].size_class, "db.r5.large");
    assert_true(p.items[0].size == 500);
    assert_string_equal(fc_resource_tag(&p.items[0], "env"), "prod");
    aws_page_dispose(&p);

    assert_int_equal(aws_parse_elb_target_groups(&ts, &next, tgs, LEN(tgs)), FC_OK);
    assert_int_equal(ts.n, 1);
    assert_string_equal(ts.sets[0].arn, "arn:tg/1");
    assert_string_equal(ts.sets[0].tags[0].key, "arn:lb/1");
    assert_null(next);
    aws_tagsets_dispose(&ts);
    assert_int_equal(aws_parse_elb_target_health(&ts, health, LEN(health)), FC_OK);
    assert_int_equal(ts.sets[0].ntags, 1);
    assert_string_equal(ts.sets[0].tags[0].key, "i-1");
    aws_tagsets_dispose(&ts);
}

static void test_aws_parse__lambda_s3_sts(void **state)
{
    static const char fns[] =
        "{\"Functions\":[{\"FunctionName\":\"orders-webhook\",\"FunctionArn\":"
        "\"arn:aws:lambda:eu-west-1:1:function:orders-webhook\",\"Runtime\":\"python3.12\","
        "\"MemorySize\":512,\"LastModified\":\"2025-02-11T00:00:00.000+0000\"}],"
        "\"NextMarker\":\"n2\"}";
    static const char tags[] = "{\"Configuration\":{},\"Tags\":{\"env\":\"prod\"}}";
    static const char buckets[] =
        "<ListAllMyBucketsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Owner>"
        "<ID>x</ID></Owner><Buckets><Bucket><Name>acme-logs</Name><CreationDate>"
        "2023-01-10T00:00:00.000Z</CreationDate></Bucket></Buckets></ListAllMyBucketsResult>";
    static const char loc_empty[] =
        "<LocationConstraint xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"/>";
    static const char loc_eu[] = "<LocationConstraint>EU</LocationConstraint>";
    static const char sts[] =
        "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
        "<AssumeRoleResult><Credentials><AccessKeyId>ASIAEXAMPLE</AccessKeyId>"
        "<SecretAccessKey>s3cr3t</SecretAccessKey><SessionToken>tok</SessionToken>"
        "<Expiration>2026-11-20T13:00:00Z</Expiration></Credentials></AssumeRoleResult>"
        "</AssumeRoleResponse>";
    static const char who[] =
        "<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:sts::518273640192:"
        "assumed-role/x/y</Arn><UserId>AROA:y</UserId><Account>518273640192</Account>"
        "</GetCallerIdentityResult></GetCallerIdentityResponse>";
    aws_page p;
    aws_tagsets ts = {0};
    aws_creds c;
    char region[32], account[16];
    (void)state;

    aws_page_init(&p);
    assert_int_equal(aws_parse_lambda_functions(&p, fns, LEN(fns), "1", "eu-west-1"), FC_OK);
    assert_int_equal(p.n, 1);
    assert_string_equal(p.items[0].state, "Active");
    assert_string_equal(p.items[0].size_class, "python3.12");
    assert_true(p.items[0].size == 512);
    assert_int_equal(p.items[0].created, 1739232000);
    assert_string_equal(p.next, "n2");
    aws_page_dispose(&p);
    assert_int_equal(aws_parse_json_tags(&ts, tags, LEN(tags)), FC_OK);
    assert_string_equal(ts.sets[0].tags[0].value, "prod");
    aws_tagsets_dispose(&ts);

    assert_int_equal(aws_parse_s3_buckets(&p, buckets, LEN(buckets), "1"), FC_OK);
    assert_int_equal(p.n, 1);
    assert_string_equal(p.items[0].id, "acme-logs");
    assert_null(p.items[0].region);
    aws_page_dispose(&p);
    assert_int_equal(aws_parse_s3_location(loc_empty, LEN(loc_empty), region, sizeof(region)),
                     FC_OK);
    assert_string_equal(region, "us-east-1");
    assert_int_equal(aws_parse_s3_location(loc_eu, LEN(loc_eu), region, sizeof(region)), FC_OK);
    assert_string_equal(region, "eu-west-1");

    assert_int_equal(aws_parse_sts_creds(sts, LEN(sts), &c), FC_OK);
    assert_string_equal(c.access_key, "ASIAEXAMPLE");
    assert_string_equal(c.token, "tok");
    assert_int_equal(c.expiration, 1795179600);
    assert_false(aws_creds_need_refresh(&c, 1795179600 - 301));
    assert_true(aws_creds_need_refresh(&c, 1795179600 - 300));
    aws_creds_dispose(&c);
    assert_int_equal(aws_parse_caller_account(who, LEN(who), account, sizeof(account)), FC_OK);
    assert_string_equal(account, "518273640192");
    assert_int_equal(aws_parse_sts_creds("<x/>", 4, &c), FC_EPARSE);
    assert_int_equal(aws_parse_ec2_instances(&p, "not xml", 7, "1", "r"), FC_EPARSE);
    aws_page_dispose(&p);
}

static void test_aws_parse__metrics_and_costs(void **state)
{
    static const char page1[] =
        "<GetMetricDataResponse><GetMetricDataResult><MetricDataResults><member><Id>m0</Id>"
        "<Label>CPUUtilization</Label><Timestamps><member>2026-11-20T09:00:00Z</member>"
        "<member>2026-11-20T10:00:00Z</member></Timestamps><Values><member>5.5</member>"
        "<member>7.25</member></Values><StatusCode>PartialData</StatusCode></member>"
        "</MetricDataResults><NextToken>t2</NextToken></GetMetricDataResult>"
        "</GetMetricDataResponse>";
    static const char page2[] =
        "<GetMetricDataResponse><GetMetricDataResult><MetricDataResults><member><Id>m0</Id>"
        "<Timestamps><member>2026-11-20T11:00:00Z</member></Timestamps><Values><member>9"
        "</member></Values><StatusCode>Complete</StatusCode></member></MetricDataResults>"
        "</GetMetricDataResult></GetMetricDataResponse>";
    static const char costs[] =
        "{\"ResultsByTime\":[{\"TimePeriod\":{\"Start\":\"2026-11-18\",\"End\":\"2026-11-19\"},"
        "\"Total\":{},\"Groups\":[{\"Keys\":[\"AWS Lambda\"],\"Metrics\":{\"UnblendedCost\":"
        "{\"Amount\":\"1.95\",\"Unit\":\"USD\"}}}],\"Estimated\":false}],"
        "\"NextPageToken\":\"p2\"}";
    aws_metric_page m;
    fc_inventory inv;
    int64_t start;
    double *v;
    size_t n;
    char *next = NULL;
    (void)state;

    memset(&m, 0, sizeof(m));
    assert_int_equal(aws_parse_metric_data(&m, page1, LEN(page1)), FC_OK);
    assert_string_equal(m.next, "t2");
    assert_int_equal(aws_parse_metric_data(&m, page2, LEN(page2)), FC_OK);
    assert_null(m.next);
    assert_int_equal(m.n, 1);
    assert_int_equal(m.q[0].n, 3);
    /* 09:00 .. 12:00 (exclusive); the 11:00 point came on page 2. */
    assert_int_equal(aws_points_series(&m.q[0], 1795176000, 3600, &start, &v, &n), FC_OK);
    assert_int_equal(start, 1795165200);
    assert_int_equal(n, 3);
    assert_true(v[0] == 5.5 && v[1] == 7.25 && v[2] == 9);
    free(v);
    aws_metric_page_dispose(&m);

    fc_inventory_init(&inv);
    assert_int_equal(aws_parse_costs(&inv, &next, "402918374651", costs, LEN(costs)), FC_OK);
    assert_int_equal(inv.ncosts, 1);
    assert_string_equal(inv.costs[0].service, "AWS Lambda");
    assert_int_equal(inv.costs[0].day, 1795132800 - 2 * 86400); /* 2026-11-18 */
    assert_true(inv.costs[0].amount == 1.95);
    assert_string_equal(next, "p2");
    free(next);
    fc_inventory_dispose(&inv);
}

static void test_aws_parse__errors_map_to_codes(void **state)
{
    static const char ec2[] =
        "<Response><Errors><Error><Code>IncorrectInstanceState</Code><Message>The instance "
        "'i-1' is not in a state from which it can be stopped.</Message></Error></Errors>"
        "<RequestID>x</RequestID></Response>";
    static const char query[] =
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender"
        "</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error>"
        "<RequestId>x</RequestId></ErrorResponse>";
    static const char json[] =
        "{\"__type\":\"com.amazon.coral#ThrottlingException\",\"message\":\"slow down\"}";
    char code[96], msg[320];
    (void)state;

    aws_parse_error(ec2, LEN(ec2), NULL, code, sizeof(code), msg, sizeof(msg));
    assert_string_equal(code, "IncorrectInstanceState");
    assert_non_null(strstr(msg, "can be stopped"));
    assert_int_equal(aws_error_map(code, 400), FC_ECONFLICT);
    aws_parse_error(query, LEN(query), NULL, code, sizeof(code), msg, sizeof(msg));
    assert_string_equal(code, "Throttling");
    assert_true(aws_is_retryable(code, 400));
    assert_int_equal(aws_error_map(code, 400), FC_ETHROTTLED);
    aws_parse_error(json, LEN(json), NULL, code, sizeof(code), msg, sizeof(msg));
    assert_string_equal(code, "ThrottlingException");
    assert_string_equal(msg, "slow down");
    aws_parse_error("{\"Type\":\"User\",\"message\":\"m\"}", 30,
                    "TooManyRequestsException:http://x", code, sizeof(code), msg, sizeof(msg));
    assert_string_equal(code, "TooManyRequestsException");

    assert_int_equal(aws_error_map("VolumeInUse", 400), FC_ECONFLICT);
    assert_int_equal(aws_error_map("InvalidInstanceID.NotFound", 400), FC_ENOTFOUND);
    assert_int_equal(aws_error_map("DBInstanceNotFound", 404), FC_ENOTFOUND);
    assert_int_equal(aws_error_map("UnauthorizedOperation", 403), FC_EDENIED);
    assert_int_equal(aws_error_map("AccessDenied", 403), FC_EDENIED);
    assert_int_equal(aws_error_map("RequestLimitExceeded", 503), FC_ETHROTTLED);
    assert_int_equal(aws_error_map("", 429), FC_ETHROTTLED);
    assert_int_equal(aws_error_map("InternalError", 500), FC_ENETWORK);
    assert_true(aws_is_retryable("InternalError", 500));
    assert_true(aws_is_retryable("", 502));
    assert_false(aws_is_retryable("InvalidParameterValue", 400));
    assert_false(aws_is_retryable("AccessDenied", 403));
}

static void test_aws_parse__backoff_full_jitter_is_seeded(void **state)
{
    aws_rng a, b;
    long x[8], i;
    int differs = 0;
    (void)state;

    aws_rng_seed(&a, 42);
    aws_rng_seed(&b, 42);
    for (i = 0; i < 8; i++) {
        x[i] = aws_backoff_ms(&a, (int)i, 100, 20000);
        assert_int_equal(x[i], aws_backoff_ms(&b, (int)i, 100, 20000));
        /* Full jitter: uniform in [0, min(cap, base * 2^attempt)]. */
        assert_true(x[i] >= 0);
        assert_true(x[i] <= (100L << i < 20000 ? 100L << i : 20000));
    }
    aws_rng_seed(&b, 43);
    for (i = 0; i < 8; i++)
        differs |= x[i] != aws_backoff_ms(&b, (int)i, 100, 20000);
    assert_true(differs);
    for (i = 0; i < 100; i++)
        assert_true(aws_backoff_ms(&a, 60, 100, 20000) <= 20000); /* no overflow */
    assert_int_equal(aws_backoff_ms(&a, 3, 0, 20000), 0);
}

static void test_aws_parse__endpoints_and_time(void **state)
{
    static const char *const svc[] = {"ec2=http://127.0.0.1:9/ec2/", "cloudwatch=http://cw"};
    aws_endpoints e = {"http://127.0.0.1:8", svc, 2};
    aws_endpoints none = {NULL, NULL, 0};
    fc_buf b;
    char *u;
    int64_t t;
    (void)state;

    u = aws_endpoint(&e, "ec2", "eu-west-1");
    assert_string_equal(u, "http://127.0.0.1:9/ec2");
    free(u);
    u = aws_endpoint(&e, "monitoring", "eu-west-1");
    assert_string_equal(u, "http://cw");
    free(u);
    u = aws_endpoint(&e, "rds", "eu-west-1");
    assert_string_equal(u, "http://127.0.0.1:8");
    free(u);
    u = aws_endpoint(&none, "ec2", "eu-west-1");
    assert_string_equal(u, "https://ec2.eu-west-1.amazonaws.com");
    free(u);
    u = aws_endpoint(&none, "s3", "us-east-1");
    assert_string_equal(u, "https://s3.amazonaws.com");
    free(u);

    fc_buf_init(&b);
    assert_int_equal(aws_urlencode(&b, "a b/c~d=e:f"), FC_OK);
    assert_string_equal(b.data, "a%20b%2Fc~d%3De%3Af");
    fc_buf_dispose(&b);

    assert_int_equal(aws_parse_time("2026-11-20T12:00:00Z", &t), 0);
    assert_int_equal(t, 1795176000);
    assert_int_equal(aws_parse_time("2026-11-20T13:00:00.123+01:00", &t), 0);
    assert_int_equal(t, 1795176000);
    assert_int_equal(aws_parse_time("2026-11-20", &t), 0);
    assert_int_equal(t, 1795132800);
    assert_int_equal(aws_parse_time("yesterday", &t), -1);
}

static void test_aws_parse__action_results(void **state)
{
    static const char stop[] =
        "<StopInstancesResponse><instancesSet><item><instanceId>i-1</instanceId>"
        "<currentState><code>64</code><name>stopping</name></currentState><previousState>"
        "<code>16</code><name>running</name></previousState></item></instancesSet>"
        "</StopInstancesResponse>";
    static const char snap[] =
        "<CreateSnapshotResponse><requestId>x</requestId><snapshotId>snap-9</snapshotId>"
        "<volumeId>vol-1</volumeId><status>pending</status></CreateSnapshotResponse>";
    fc_action_result r;
    (void)state;

    assert_int_equal(aws_parse_action("stop-instances", stop, LEN(stop), &r), FC_OK);
    assert_string_equal(r.state, "stopping");
    assert_null(r.new_id);
    fc_action_result_dispose(&r);
    assert_int_equal(aws_parse_action("create-snapshot", snap, LEN(snap), &r), FC_OK);
    assert_string_equal(r.new_id, "snap-9");
    assert_string_equal(r.state, "pending");
    fc_action_result_dispose(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aws_parse__ec2_instances),
        cmocka_unit_test(test_aws_parse__ec2_volumes_snapshots_addresses),
        cmocka_unit_test(test_aws_parse__query_services),
        cmocka_unit_test(test_aws_parse__lambda_s3_sts),
        cmocka_unit_test(test_aws_parse__metrics_and_costs),
        cmocka_unit_test(test_aws_parse__errors_map_to_codes),
        cmocka_unit_test(test_aws_parse__backoff_full_jitter_is_seeded),
        cmocka_unit_test(test_aws_parse__endpoints_and_time),
        cmocka_unit_test(test_aws_parse__action_results),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
