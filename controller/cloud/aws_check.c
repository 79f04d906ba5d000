/*
 * aws_check.c - `finops-controller check` for the aws provider.
 *
 * Inputs: the provider options (endpoints) and the Accounts to test.
 * Output: one fc_cloud_check per probe, handed to a callback: the base
 * credentials of the standard chain, AssumeRole into each roleArn,
 * sts:GetCallerIdentity (the account must be the one the spec names), then
 * per region one read-only call per regional service (ec2, elbv2, rds,
 * lambda, cloudwatch) and per account one for the global ones (s3, ce).
 * Requests go through the same transport as discovery, with two attempts
 * each so a broken service is reported quickly.  Nothing is kept.
 */
#include "controller/cloud/aws_int.h"
#include "controller/core/fc_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    aws_transport *t;
    aws_endpoints ep;
    fc_cloud_check_fn fn;
    void *payload;
    int failed;
} checker;

static void report(checker *k, const char *account, const char *region,
                   const char *service, int ok, const char *detail)
{
    fc_cloud_check c;
    c.account = account;
    c.region = region;
    c.service = service;
    c.ok = ok;
    c.detail = detail;
    if (!ok)
        k->failed++;
    k->fn(&c, k->payload);
}

/* One request; the short reason of a failure goes into why. */
static int probe(checker *k, const char *method, const char *signing, const char *region,
                 const char *path, const char *body, const char *content_type,
                 const char *target, const aws_creds *c, aws_result *res, char *why,
                 size_t size)
{
    char *base = aws_endpoint(&k->ep, signing, region), *url = NULL;
    aws_req *r = NULL;
    char hdr[160];
    int rc;

    memset(res, 0, sizeof(*res));
    fc_buf_init(&res->body);
    if (!base || !(url = fc_asprintf("%s%s", base, path))) {
        rc = fc_error_set(FC_ENOMEM, "aws: out of memory");
        goto done;
    }
    if ((rc = aws_req_new(&r, method, url, body, region, signing, c)) != FC_OK)
        goto done;
    if (content_type) {
        snprintf(hdr, sizeof(hdr), "Content-Type: %s", content_type);
        if ((rc = aws_req_header(r, hdr)) != FC_OK)
            goto done;
    }
    if (target) {
        snprintf(hdr, sizeof(hdr), "X-Amz-Target: %s", target);
        if ((rc = aws_req_header(r, hdr)) != FC_OK)
            goto done;
    }
    if (strcmp(signing, "s3") == 0 &&
        (rc = aws_req_header(r, "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae"
                                "41e4649b934ca495991b7852b855")) != FC_OK)
        goto done;
    rc = aws_call(k->t, r, res);
    r = NULL; /* the transport owns and frees it */
    if (rc != FC_OK) {
        if (res->err_code[0])
            snprintf(why, size, "%s%s%.120s (HTTP %ld)", res->err_code,
                     res->err_msg[0] ? ": " : "", res->err_msg, res->status);
        else
            snprintf(why, size, "%s", fc_error_last());
    }
done:
    aws_req_free(r);
    free(base);
    free(url);
    if (rc != FC_OK && !why[0])
        snprintf(why, size, "%s", fc_error_last());
    return rc;
}

static void one(checker *k, const char *account, const char *region, const char *service,
                const char *method, const char *signing, const char *path,
                const char *body, const char *ctype, const char *target, const aws_creds *c)
{
    aws_result res;
    char why[256] = "";
    int rc = probe(k, method, signing, region, path, body, ctype, target, c, &res, why,
                   sizeof(why));
    report(k, account, region, service, rc == FC_OK, rc == FC_OK ? "ok" : why);
    aws_result_dispose(&res);
}

static void check_account(checker *k, const fc_scope_account *a, const aws_creds *base,
                          int64_t now)
{
    static const char form_ct[] = "application/x-www-form-urlencoded; charset=utf-8";
    aws_creds assumed;
    const aws_creds *c = base;
    aws_result res;
    char why[256] = "", acct[32] = "", body[1024], s[32], e[32], d0[16], d1[16];
    const char *id = a->account ? a->account : "?";
    size_t i;

    memset(&assumed, 0, sizeof(assumed));
    if (a->role_arn) {
        if (aws_assume_role(k->t, &k->ep, base, a->role_arn, "finops-controller", &assumed) !=
            FC_OK) {
            report(k, id, "-", "sts:AssumeRole", 0, fc_error_last());
            return;
        }
        report(k, id, "-", "sts:AssumeRole", 1, "ok");
        c = &assumed;
    }
    if (probe(k, "POST", "sts", "us-east-1", "/", "Action=GetCallerIdentity&Version=2011-06-15",
              form_ct, NULL, c, &res, why, sizeof(why)) != FC_OK) {
        report(k, id, "-", "sts", 0, why);
    } else if (aws_parse_caller_account(res.body.data, res.body.len, acct, sizeof(acct)) !=
               FC_OK) {
        report(k, id, "-", "sts", 0, "GetCallerIdentity: unreadable answer");
    } else if (a->account && strcmp(acct, a->account) != 0) {
        snprintf(why, sizeof(why), "credentials are for account %s", acct);
        report(k, id, "-", "sts", 0, why);
    } else {
        report(k, id, "-", "sts", 1, "ok");
    }
    aws_result_dispose(&res);

    fc_time_format(s, sizeof(s), now - now % FC_HOUR - FC_HOUR);
    fc_time_format(e, sizeof(e), now - now % FC_HOUR);
    for (i = 0; i < a->nregions; i++) {
        const char *r = a->regions[i];
        fc_buf f;
        one(k, id, r, "ec2", "POST", "ec2", "/",
            "Action=DescribeInstances&MaxResults=5&Version=2016-11-15", form_ct, NULL, c);
        one(k, id, r, "elbv2", "POST", "elasticloadbalancing", "/",
            "Action=DescribeLoadBalancers&PageSize=1&Version=2015-12-01", form_ct, NULL, c);
        one(k, id, r, "rds", "POST", "rds", "/",
            "Action=DescribeDBInstances&MaxRecords=20&Version=2014-10-31", form_ct, NULL, c);
        one(k, id, r, "lambda", "GET", "lambda", "/2015-03-31/functions/?MaxItems=1", NULL,
            NULL, NULL, c);
        /* CloudWatch: one metric of a made-up instance for the last hour */
        fc_buf_init(&f);
        if (fc_buf_puts(&f, "Action=GetMetricData&EndTime=") || aws_urlencode(&f, e) ||
            fc_buf_puts(&f, "&MetricDataQueries.member.1.Id=m0"
                            "&MetricDataQueries.member.1.MetricStat.Metric.MetricName="
                            "CPUUtilization"
                            "&MetricDataQueries.member.1.MetricStat.Metric.Namespace=AWS%2FEC2"
                            "&MetricDataQueries.member.1.MetricStat.Metric.Dimensions.member.1."
                            "Name=InstanceId"
                            "&MetricDataQueries.member.1.MetricStat.Metric.Dimensions.member.1."
                            "Value=i-finopscheck"
                            "&MetricDataQueries.member.1.MetricStat.Period=3600"
                            "&MetricDataQueries.member.1.MetricStat.Stat=Average"
                            "&StartTime=") ||
            aws_urlencode(&f, s) || fc_buf_puts(&f, "&Version=2010-08-01"))
            report(k, id, r, "cloudwatch", 0, "out of memory");
        else
            one(k, id, r, "cloudwatch", "POST", "monitoring", "/", f.data, form_ct, NULL, c);
        fc_buf_dispose(&f);
    }
    /* global services, once per account */
    one(k, id, "global", "s3", "GET", "s3", "/", NULL, NULL, NULL, c);
    fc_date_format(d0, sizeof(d0), now - now % FC_DAY - FC_DAY);
    fc_date_format(d1, sizeof(d1), now - now % FC_DAY);
    snprintf(body, sizeof(body),
             "{\"TimePeriod\":{\"Start\":\"%s\",\"End\":\"%s\"},\"Granularity\":\"DAILY\","
             "\"Metrics\":[\"UnblendedCost\"],\"Filter\":{\"Dimensions\":{\"Key\":"
             "\"LINKED_ACCOUNT\",\"Values\":[\"%s\"]}}}",
             d0, d1, id);
    one(k, id, "global", "ce", "POST", "ce", "/", body, "application/x-amz-json-1.1",
        "AWSInsightsIndexService.GetCostAndUsage", c);
    aws_creds_dispose(&assumed);
}

int fc_aws_check(const fc_aws_opts *o, const fc_scope_account *accts, size_t n, int64_t now,
                 fc_cloud_check_fn fn, void *payload)
{
    aws_transport_opts to;
    aws_creds base;
    checker k;
    size_t i;
    int rc;

    memset(&k, 0, sizeof(k));
    memset(&to, 0, sizeof(to));
    memset(&base, 0, sizeof(base));
    k.fn = fn;
    k.payload = payload;
    k.ep.endpoint_url = o->endpoint_url;
    k.ep.service_endpoints = o->service_endpoints;
    k.ep.nservice_endpoints = o->nservice_endpoints;
    to.max_connections = 4;
    to.max_attempts = 2; /* a check reports, it does not insist */
    to.timeout_ms = o->timeout_ms ? o->timeout_ms : 15000;
    to.base_delay_ms = 50;
    to.max_delay_ms = 500;
    to.seed = o->seed;
    if ((rc = aws_transport_new(&k.t, &to)) != FC_OK)
        return rc;
    if ((rc = aws_creds_resolve(k.t, &k.ep, &base)) != FC_OK) {
        for (i = 0; i < n; i++)
            report(&k, accts[i].account ? accts[i].account : "?", "-", "credentials", 0,
                   fc_error_last());
        rc = FC_OK;
        goto done;
    }
    for (i = 0; i < n; i++)
        check_account(&k, &accts[i], &base, now);
done:
    aws_creds_dispose(&base);
    aws_transport_free(k.t);
    return rc;
}
