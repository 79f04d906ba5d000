/*
 * aws.c - the "aws" provider: discovery, describe and apply against AWS (or
 * any AWS-compatible endpoint given with --endpoint-url).
 *
 * Stage: discovery (and the executor's describe/apply).  Inputs: a
 * discovery scope (accounts with role ARNs and regions, clock, lookbacks).
 * Outputs: fc_inventory resources (the sim's type names, states and
 * fields), hourly CloudWatch series, daily Cost Explorer rows, and a stale
 * entry for every (account, region, service) that failed after retries.
 *
 * A discovery runs in three waves over one curl multi transport, each wave
 * fully concurrent across accounts and regions: (1) credentials (the chain,
 * then sts:AssumeRole per Account role, cached until 5 minutes before
 * expiry) and sts:GetCallerIdentity to prove each account is the one the
 * spec names; (2) every paginated describe of every (account, region), S3
 * once per account, Cost Explorer once per account, with dependent calls
 * (bucket location and tags, ELB tags and target health, Lambda tags)
 * chained from their parents' callbacks; (3) CloudWatch GetMetricData, up
 * to 500 queries per call, per (account, region).
 *
 * Ownership: fc_aws_open() returns a cloud the caller frees with
 * fc_cloud_free(); it owns the transport, the base credentials and the role
 * cache.  Results are copied into the caller's inventory.
 */
#include "controller/cloud/aws_int.h"
#include "controller/core/crashpoint.h"
#include "controller/core/fc_error.h"
#include "controller/core/fc_log.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define AWS_METRIC_BATCH 500
#define AWS_ELB_TAG_BATCH 20
#define AWS_SESSION_NAME "finops-controller"

typedef struct {
    char *arn;
    aws_creds creds;
} role_cache;

typedef struct {
    fc_cloud base; /* first: fc_cloud * and fc_aws * convert */
    char *endpoint_url;
    char **svc;
    size_t nsvc;
    aws_endpoints ep;
    aws_transport_opts topts;
    aws_transport *t;
    aws_creds base_creds;
    role_cache **roles;   /* individually allocated: creds pointers stay valid */
    size_t nroles;
} fc_aws;

static int64_t wall_now(void)
{
    return (int64_t)time(NULL);
}

/* ---- credentials per account ---------------------------------------------- */

static int base_creds(fc_aws *a, const aws_creds **out)
{
    int rc;
    *out = NULL;
    if (aws_creds_need_refresh(&a->base_creds, wall_now())) {
        aws_creds_dispose(&a->base_creds);
        if ((rc = aws_creds_resolve(a->t, &a->ep, &a->base_creds)) != FC_OK)
            return rc;
        fc_debug("aws: base credentials from %s", a->base_creds.source);
    }
    *out = &a->base_creds;
    return FC_OK;
}

/* Credentials for an account: the role's (assumed and cached) or the base. */
static int creds_for(fc_aws *a, const char *role_arn, int force,
                     const aws_creds **out)
{
    const aws_creds *base;
    role_cache *rc_ent = NULL;
    size_t i;
    int rc;

    *out = NULL;
    if ((rc = base_creds(a, &base)) != FC_OK)
        return rc;
    if (!role_arn || !*role_arn) {
        *out = base;
        return FC_OK;
    }
    for (i = 0; i < a->nroles; i++)
        if (strcmp(a->roles[i]->arn, role_arn) == 0)
            rc_ent = a->roles[i];
    if (!rc_ent) {
        role_cache **n = realloc(a->roles, (a->nroles + 1) * sizeof(*n));
        if (!n)
            return fc_error_set(FC_ENOMEM, "aws: out of memory");
        a->roles = n;
        if (!(rc_ent = calloc(1, sizeof(*rc_ent))))
            return fc_error_set(FC_ENOMEM, "aws: out of memory");
        a->roles[a->nroles++] = rc_ent;
        if (!(rc_ent->arn = fc_strdup(role_arn)))
            return fc_error_set(FC_ENOMEM, "aws: out of memory");
    }
    if (force || aws_creds_need_refresh(&rc_ent->creds, wall_now())) {
        aws_creds_dispose(&rc_ent->creds);
        if ((rc = aws_assume_role(a->t, &a->ep, base, role_arn, AWS_SESSION_NAME,
                                  &rc_ent->creds)) != FC_OK)
            return rc;
    }
    *out = &rc_ent->creds;
    return FC_OK;
}

/* ---- request building ------------------------------------------------------ */

static int form_add(fc_buf *b, const char *k, const char *v)
{
    if ((b->len && fc_buf_puts(b, "&")) || aws_urlencode(b, k) || fc_buf_puts(b, "=") ||
        aws_urlencode(b, v))
        return fc_error_set(FC_ENOMEM, "aws: out of memory");
    return FC_OK;
}

static int form_addf(fc_buf *b, const char *v, const char *kfmt, ...)
    __attribute__((format(printf, 3, 4)));

static int form_addf(fc_buf *b, const char *v, const char *kfmt, ...)
{
    char k[160];
    va_list ap;
    va_start(ap, kfmt);
    vsnprintf(k, sizeof(k), kfmt, ap);
    va_end(ap);
    return form_add(b, k, v);
}

/* A signed form POST (EC2 and the query protocol). */
static int query_req(fc_aws *a, aws_req **out, const char *service, const char *region,
                     const aws_creds *c, const char *form, const char *what)
{
    char *url = aws_endpoint(&a->ep, service, region);
    int rc;
    *out = NULL;
    if (!url)
        return fc_error_set(FC_ENOMEM, "aws: out of memory");
    rc = aws_req_new(out, "POST", url, form, region, service, c);
    free(url);
    if (rc == FC_OK &&
        (rc = aws_req_header(*out, "Content-Type: application/x-www-form-urlencoded; "
                                   "charset=utf-8")) == FC_OK &&
        what && !((*out)->what = fc_strdup(what)))
        rc = fc_error_set(FC_ENOMEM, "aws: out of memory");
    if (rc) {
        aws_req_free(*out);
        *out = NULL;
    }
    return rc;
}

/* A signed GET of path (with an already canonical query: sorted, encoded). */
static int get_req(fc_aws *a, aws_req **out, const char *service, const char *region,
                   const aws_creds *c, const char *path, const char *what)
{
    char *base = aws_endpoint(&a->ep, service, region), *url;
    int rc;
    *out = NULL;
    if (!base)
        return fc_error_set(FC_ENOMEM, "aws: out of memory");
    url = fc_asprintf("%s%s", base, path);
    free(base);
    if (!url)
        return fc_error_set(FC_ENOMEM, "aws: out of memory");
    rc = aws_req_new(out, "GET", url, NULL, region, service, c);
    free(url);
    /* S3 signs the payload hash as a header; this is SHA-256 of "". */
    if (rc == FC_OK && strcmp(service, "s3") == 0)
        rc = aws_req_header(*out, "x-amz-content-sha256: "
                                  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    if (rc == FC_OK && what && !((*out)->what = fc_strdup(what)))
        rc = FC_ENOMEM;
    if (rc != FC_OK && *out) {
        aws_req_free(*out);
        *out = NULL;
        rc = fc_error_set(FC_ENOMEM, "aws: out of memory");
    }
    return rc;
}

/* ---- discovery state --------------------------------------------------------- */

typedef enum {
    J_IDENTITY,
    J_INSTANCES,
    J_VOLUMES,
    J_SNAPSHOTS,
    J_ADDRESSES,
    J_LBS,
    J_ELB_TAGS,
    J_TARGET_GROUPS,
    J_TARGET_HEALTH,
    J_RDS,
    J_LAMBDA,
    J_LAMBDA_TAGS,
    J_BUCKETS,
    J_BUCKET_LOCATION,
    J_BUCKET_TAGS,
    J_COSTS,
    J_METRICS
} job_kind;

static const struct {
    const char *service;   /* signing name */
    const char *stale;     /* service name in stale entries */
    const char *action;
} job_info[] = {
    [J_IDENTITY] = {"sts", "sts", "GetCallerIdentity"},
    [J_INSTANCES] = {"ec2", "ec2", "DescribeInstances"},
    [J_VOLUMES] = {"ec2", "ec2", "DescribeVolumes"},
    [J_SNAPSHOTS] = {"ec2", "ec2", "DescribeSnapshots"},
    [J_ADDRESSES] = {"ec2", "ec2", "DescribeAddresses"},
    [J_LBS] = {"elasticloadbalancing", "elb", "DescribeLoadBalancers"},
    [J_ELB_TAGS] = {"elasticloadbalancing", "elb", "DescribeTags"},
    [J_TARGET_GROUPS] = {"elasticloadbalancing", "elb", "DescribeTargetGroups"},
    [J_TARGET_HEALTH] = {"elasticloadbalancing", "elb", "DescribeTargetHealth"},
    [J_RDS] = {"rds", "rds", "DescribeDBInstances"},
    [J_LAMBDA] = {"lambda", "lambda", "ListFunctions"},
    [J_LAMBDA_TAGS] = {"lambda", "lambda", "GetFunction"},
    [J_BUCKETS] = {"s3", "s3", "ListBuckets"},
    [J_BUCKET_LOCATION] = {"s3", "s3", "GetBucketLocation"},
    [J_BUCKET_TAGS] = {"s3", "s3", "GetBucketTagging"},
    [J_COSTS] = {"ce", "ce", "GetCostAndUsage"},
    [J_METRICS] = {"monitoring", "cloudwatch", "GetMetricData"},
};

typedef struct {
    const fc_scope_account *sa;
    char account[16];      /* "?" until GetCallerIdentity names it */
    const aws_creds *creds; /* borrowed from the provider */
    int usable;
} acct;

typedef struct {
    char *account, *region, *id, *arn;
    fc_resource_type type;
} arn_ent;

typedef struct {
    char *lb_arn;
    size_t healthy;
} health_ent;

typedef struct disc disc;

typedef struct {
    char *resource_id;
    size_t def;            /* index in metric_defs */
} mquery;

typedef struct {
    disc *d;
    acct *a;
    job_kind kind;
    char region[64];
    char *token;
    char *arg;            /* bucket name, ARN, target group ARN, function */
    char **args;          /* ELB DescribeTags ARNs */
    size_t nargs;
    fc_resource *held;    /* S3 bucket waiting for location and tags */
    mquery *q;            /* metrics */
    size_t nq;
    aws_metric_page mp;
} job;

struct disc {
    fc_aws *p;
    fc_inventory *inv;
    const fc_discovery_scope *sc;
    acct *accts;
    size_t naccts;
    size_t nok, nfail;
    int first_rc;
    char first_err[320];
    arn_ent *arns;
    size_t narns;
    health_ent *health;
    size_t nhealth;
    int64_t m_start, m_end;
};

static void job_free(job *j)
{
    size_t i;
    if (!j)
        return;
    free(j->token);
    free(j->arg);
    for (i = 0; i < j->nargs; i++)
        free(j->args[i]);
    free(j->args);
    if (j->held) {
        fc_resource_dispose(j->held);
        free(j->held);
    }
    for (i = 0; i < j->nq; i++)
        free(j->q[i].resource_id);
    free(j->q);
    aws_metric_page_dispose(&j->mp);
    free(j);
}

static job *job_new(disc *d, acct *a, job_kind kind, const char *region)
{
    job *j = calloc(1, sizeof(*j));
    if (!j)
        return NULL;
    j->d = d;
    j->a = a;
    j->kind = kind;
    snprintf(j->region, sizeof(j->region), "%s", region ? region : "");
    return j;
}

static void note_fail(disc *d, int rc, const char *msg)
{
    d->nfail++;
    if (!d->first_rc) {
        d->first_rc = rc;
        snprintf(d->first_err, sizeof(d->first_err), "%s", msg);
    }
}

static void stale(disc *d, const char *account, const char *region, const char *service,
                  int rc, const char *msg)
{
    fc_warn("aws: %s %s %s: %s", account, region && *region ? region : "(all regions)",
            service && *service ? service : "", msg);
    note_fail(d, rc, msg);
    if (fc_inventory_add_stale(d->inv, account, region ? region : "", service ? service : "",
                               msg) != FC_OK)
        fc_err("aws: out of memory recording a stale scope");
}

/* Marks the job's scope stale with the request's error. */
static void job_failed(job *j, const aws_req *r)
{
    char msg[480];
    const char *region = j->region;
    snprintf(msg, sizeof(msg), "%s:%s failed after %u attempt%s: %s%s%s%s",
             job_info[j->kind].service, job_info[j->kind].action, r->attempts,
             r->attempts == 1 ? "" : "s", r->err_code[0] ? r->err_code : "error",
             r->err_msg[0] ? ": " : "", r->err_msg,
             r->status ? "" : " (no response)");
    if (j->kind == J_IDENTITY) {
        region = ""; /* who we are decides the whole account */
        j->a->usable = 0;
    } else if (j->kind == J_BUCKETS || j->kind == J_BUCKET_LOCATION ||
        j->kind == J_BUCKET_TAGS || j->kind == J_COSTS)
        region = "global"; /* S3 and Cost Explorer are not regional */
    stale(j->d, j->a->account, region, job_info[j->kind].stale, r->rc, msg);
}

static int submit(disc *d, job *j, aws_req *r);

/* ---- request per job ------------------------------------------------------------ */

static int ec2_form(fc_buf *f, job *j, const char *action)
{
    int rc;
    if ((rc = form_add(f, "Action", action)))
        return rc;
    /* DescribeVolumes allows 5..500, instances and snapshots 5..1000. */
    if (j->kind != J_ADDRESSES &&
        (rc = form_add(f, "MaxResults", j->kind == J_VOLUMES ? "500" : "1000")))
        return rc;
    if (j->token && (rc = form_add(f, "NextToken", j->token)))
        return rc;
    if (j->kind == J_SNAPSHOTS && (rc = form_add(f, "OwnerId.1", "self")))
        return rc;
    return form_add(f, "Version", "2016-11-15");
}

/* Lambda function names and bucket names need no encoding beyond this. */
static int path_safe(const char *s)
{
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.'))
            return 0;
    return 1;
}

static int cost_body(fc_buf *b, const disc *d, const job *j)
{
    char s[16], e[16];
    int64_t end = d->sc->now - ((d->sc->now % FC_DAY) + FC_DAY) % FC_DAY;
    fc_date_format(s, sizeof(s), end - (int64_t)d->sc->cost_days * FC_DAY);
    fc_date_format(e, sizeof(e), end);
    if (fc_buf_printf(b, "{\"TimePeriod\":{\"Start\":\"%s\",\"End\":\"%s\"},"
                         "\"Granularity\":\"DAILY\",\"Metrics\":[\"UnblendedCost\"],"
                         "\"GroupBy\":[{\"Type\":\"DIMENSION\",\"Key\":\"SERVICE\"}],"
                         "\"Filter\":{\"Dimensions\":{\"Key\":\"LINKED_ACCOUNT\","
                         "\"Values\":[\"%s\"]}}",
                      s, e, j->a->account))
        return FC_ENOMEM;
    if (j->token) {
        if (fc_buf_puts(b, ",\"NextPageToken\":\""))
            return FC_ENOMEM;
        /* Tokens are opaque but JSON-safe in practice; escape quotes anyway. */
        for (const char *p = j->token; *p; p++)
            if ((*p == '"' || *p == '\\') ? fc_buf_printf(b, "\\%c", *p)
                                          : fc_buf_append(b, p, 1))
                return FC_ENOMEM;
        if (fc_buf_puts(b, "\""))
            return FC_ENOMEM;
    }
    return fc_buf_puts(b, "}");
}

static int metrics_form(fc_buf *f, const disc *d, const job *j);

static int build(disc *d, job *j, aws_req **out)
{
    fc_aws *p = d->p;
    const aws_creds *c = j->a->creds;
    const char *svc = job_info[j->kind].service;
    char what[200], *path = NULL;
    fc_buf f;
    size_t i;
    int rc = FC_OK;

    *out = NULL;
    fc_buf_init(&f);
    snprintf(what, sizeof(what), "%s:%s %s/%s", svc, job_info[j->kind].action,
             j->a->account, j->region);
    switch (j->kind) {
    case J_IDENTITY:
        rc = form_add(&f, "Action", "GetCallerIdentity") ||
             form_add(&f, "Version", "2011-06-15");
        break;
    case J_INSTANCES:
    case J_VOLUMES:
    case J_SNAPSHOTS:
    case J_ADDRESSES:
        rc = ec2_form(&f, j, job_info[j->kind].action);
        break;
    case J_LBS:
        rc = form_add(&f, "Action", "DescribeLoadBalancers") ||
             (j->token && form_add(&f, "Marker", j->token)) ||
             form_add(&f, "PageSize", "400") || form_add(&f, "Version", "2015-12-01");
        break;
    case J_ELB_TAGS:
        rc = form_add(&f, "Action", "DescribeTags");
        for (i = 0; i < j->nargs && !rc; i++)
            rc = form_addf(&f, j->args[i], "ResourceArns.member.%zu", i + 1);
        rc = rc || form_add(&f, "Version", "2015-12-01");
        break;
    case J_TARGET_GROUPS:
        rc = form_add(&f, "Action", "DescribeTargetGroups") ||
             (j->token && form_add(&f, "Marker", j->token)) ||
             form_add(&f, "PageSize", "400") || form_add(&f, "Version", "2015-12-01");
        break;
    case J_TARGET_HEALTH:
        rc = form_add(&f, "Action", "DescribeTargetHealth") ||
             form_add(&f, "TargetGroupArn", j->arg) || form_add(&f, "Version", "2015-12-01");
        break;
    case J_RDS:
        rc = form_add(&f, "Action", "DescribeDBInstances") ||
             (j->token && form_add(&f, "Marker", j->token)) ||
             form_add(&f, "MaxRecords", "100") || form_add(&f, "Version", "2014-10-31");
        break;
    case J_METRICS:
        rc = metrics_form(&f, d, j);
        break;
    case J_LAMBDA: {
        fc_buf q;
        fc_buf_init(&q);
        /* Query already in canonical order: SigV4 signs it as sent. */
        rc = fc_buf_puts(&q, "/2015-03-31/functions/?");
        if (!rc && j->token)
            rc = fc_buf_puts(&q, "Marker=") || aws_urlencode(&q, j->token) ||
                 fc_buf_puts(&q, "&");
        rc = rc || fc_buf_puts(&q, "MaxItems=50");
        if (rc == FC_OK)
            rc = get_req(p, out, svc, j->region, c, q.data, what);
        fc_buf_dispose(&q);
        goto done;
    }
    case J_LAMBDA_TAGS:
        if (!(path = fc_asprintf("/2015-03-31/functions/%s", j->arg)))
            rc = FC_ENOMEM;
        else
            rc = get_req(p, out, svc, j->region, c, path, what);
        goto done;
    case J_BUCKETS:
        rc = get_req(p, out, svc, "us-east-1", c, "/", what);
        goto done;
    case J_BUCKET_LOCATION:
    case J_BUCKET_TAGS:
        if (!(path = fc_asprintf("/%s?%s=", j->arg,
                                 j->kind == J_BUCKET_LOCATION ? "location" : "tagging")))
            rc = FC_ENOMEM;
        else
            rc = get_req(p, out, svc, j->kind == J_BUCKET_LOCATION ? "us-east-1" : j->region,
                         c, path, what);
        goto done;
    case J_COSTS: {
        char *url;
        if ((rc = cost_body(&f, d, j)))
            break;
        if (!(url = aws_endpoint(&p->ep, "ce", "us-east-1"))) {
            rc = FC_ENOMEM;
            break;
        }
        rc = aws_req_new(out, "POST", url, f.data, "us-east-1", "ce", c);
        free(url);
        if (rc == FC_OK &&
            ((rc = aws_req_header(*out, "Content-Type: application/x-amz-json-1.1")) ||
             (rc = aws_req_header(*out, "X-Amz-Target: "
                                        "AWSInsightsIndexService.GetCostAndUsage")) ||
             !((*out)->what = fc_strdup(what))))
            rc = FC_ENOMEM;
        goto done;
    }
    }
    if (rc == FC_OK)
        rc = query_req(p, out, svc, j->kind == J_IDENTITY && !*j->region ? "us-east-1"
                                                                            : j->region,
                       c, f.data, what);
    /* 500 queries x 14 days is a heavy call: give it more than a describe. */
    if (rc == FC_OK && j->kind == J_METRICS)
        (*out)->timeout_ms = 180000;
done:
    if (rc && *out) {
        aws_req_free(*out);
        *out = NULL;
    }
    free(path);
    fc_buf_dispose(&f);
    return rc ? fc_error_set(FC_ENOMEM, "aws: out of memory building a request") : FC_OK;
}

/* ---- merging pages into the inventory -------------------------------------------- */

static int remember_arn(disc *d, const fc_resource *r, const char *arn)
{
    arn_ent *n;
    if (!arn)
        return FC_OK;
    if (!(n = realloc(d->arns, (d->narns + 1) * sizeof(*n))))
        return FC_ENOMEM;
    d->arns = n;
    n = &d->arns[d->narns];
    n->account = fc_strdup(r->account);
    n->region = fc_strdup(r->region);
    n->id = fc_strdup(r->id);
    n->arn = fc_strdup(arn);
    n->type = r->type;
    d->narns++;
    if (!n->account || !n->region || !n->id || !n->arn)
        return FC_ENOMEM;
    return FC_OK;
}

static const arn_ent *arn_find(const disc *d, const char *arn)
{
    size_t i;
    for (i = 0; arn && i < d->narns; i++)
        if (strcmp(d->arns[i].arn, arn) == 0)
            return &d->arns[i];
    return NULL;
}

/* Adds tags to a resource already in the inventory (found by identity). */
static int attach_tags(disc *d, const char *account, const char *region, const char *id,
                       const fc_tag *tags, size_t n)
{
    fc_resource *r = (fc_resource *)fc_inventory_find(d->inv, account, region, id);
    size_t i;
    if (!r || !n)
        return FC_OK;
    if (fc_resource_unpack(r) != FC_OK)
        return FC_ENOMEM;
    for (i = 0; i < n; i++) {
        fc_tag *t;
        if (fc_resource_tag(r, tags[i].key))
            continue;
        if (!(t = realloc(r->tags, (r->ntags + 1) * sizeof(*t))))
            return FC_ENOMEM;
        r->tags = t;
        t[r->ntags].key = fc_strdup(tags[i].key);
        t[r->ntags].value = fc_strdup(tags[i].value);
        if (!t[r->ntags].key || !t[r->ntags].value) {
            free(t[r->ntags].key);
            free(t[r->ntags].value);
            return FC_ENOMEM;
        }
        r->ntags++;
        if (strcmp(tags[i].key, "Name") == 0 && !r->name && !(r->name = fc_strdup(tags[i].value)))
            return FC_ENOMEM;
    }
    return FC_OK;
}

static int region_in_scope(const acct *a, const char *region)
{
    size_t i;
    if (!a->sa || !a->sa->nregions)
        return 1;
    for (i = 0; i < a->sa->nregions; i++)
        if (a->sa->regions[i] && strcmp(a->sa->regions[i], region) == 0)
            return 1;
    return 0;
}

/* Queues follow-ups of a parsed page (tags, target groups). */
static int follow_ups(disc *d, job *j, aws_page *pg)
{
    size_t i;
    int rc = FC_OK;

    if (j->kind == J_LBS) {
        job *t = NULL;
        for (i = 0; i < pg->n && rc == FC_OK; i++) {
            if (!pg->arns[i])
                continue;
            if (!t && !(t = job_new(d, j->a, J_ELB_TAGS, j->region)))
                return FC_ENOMEM;
            if (!(t->args = t->args ? t->args : calloc(AWS_ELB_TAG_BATCH, sizeof(char *))) ||
                !(t->args[t->nargs++] = fc_strdup(pg->arns[i]))) {
                job_free(t);
                return FC_ENOMEM;
            }
            if (t->nargs == AWS_ELB_TAG_BATCH || i + 1 == pg->n) {
                rc = submit(d, t, NULL);
                t = NULL;
            }
        }
        if (t)
            rc = submit(d, t, NULL);
    } else if (j->kind == J_LAMBDA) {
        for (i = 0; i < pg->n && rc == FC_OK; i++) {
            job *t;
            if (!path_safe(pg->items[i].id))
                continue;
            if (!(t = job_new(d, j->a, J_LAMBDA_TAGS, j->region)) ||
                !(t->arg = fc_strdup(pg->items[i].id))) {
                job_free(t);
                return FC_ENOMEM;
            }
            rc = submit(d, t, NULL);
        }
    } else if (j->kind == J_BUCKETS) {
        /* S3 is global: every bucket's region decides whether it is kept. */
        for (i = 0; i < pg->n && rc == FC_OK; i++) {
            job *t;
            if (!path_safe(pg->items[i].id))
                continue;
            if (!(t = job_new(d, j->a, J_BUCKET_LOCATION, "us-east-1")) ||
                !(t->arg = fc_strdup(pg->items[i].id)) || !(t->held = malloc(sizeof(fc_resource)))) {
                job_free(t);
                return FC_ENOMEM;
            }
            *t->held = pg->items[i];
            memset(&pg->items[i], 0, sizeof(pg->items[i])); /* moved */
            rc = submit(d, t, NULL);
        }
    }
    return rc;
}

static int take_page(disc *d, job *j, aws_req *r)
{
    aws_page pg;
    const char *acc = j->a->account, *reg = j->region, *b = r->resp.data;
    size_t len = r->resp.len, i;
    int rc;

    aws_page_init(&pg);
    switch (j->kind) {
    case J_INSTANCES: rc = aws_parse_ec2_instances(&pg, b, len, acc, reg); break;
    case J_VOLUMES: rc = aws_parse_ec2_volumes(&pg, b, len, acc, reg); break;
    case J_SNAPSHOTS: rc = aws_parse_ec2_snapshots(&pg, b, len, acc, reg); break;
    case J_ADDRESSES: rc = aws_parse_ec2_addresses(&pg, b, len, acc, reg); break;
    case J_LBS: rc = aws_parse_elb_load_balancers(&pg, b, len, acc, reg); break;
    case J_RDS: rc = aws_parse_rds_instances(&pg, b, len, acc, reg); break;
    case J_LAMBDA: rc = aws_parse_lambda_functions(&pg, b, len, acc, reg); break;
    case J_BUCKETS: rc = aws_parse_s3_buckets(&pg, b, len, acc); break;
    default: rc = fc_error_set(FC_EINVALID, "aws: not a page job"); break;
    }
    for (i = 0; rc == FC_OK && i < pg.n && j->kind != J_BUCKETS; i++) {
        if ((rc = fc_inventory_add_resource(d->inv, &pg.items[i])) == FC_OK &&
            (j->kind == J_LBS || j->kind == J_LAMBDA))
            rc = remember_arn(d, &pg.items[i], pg.arns[i]);
    }
    if (rc == FC_OK)
        rc = follow_ups(d, j, &pg);
    if (rc == FC_OK) {
        free(j->token);
        j->token = pg.next;
        pg.next = NULL;
    }
    aws_page_dispose(&pg);
    return rc;
}

static int metrics_done(disc *d, job *j);

static void on_done(aws_req *r, void *payload)
{
    job *j = payload;
    disc *d = j->d;
    aws_tagsets ts = {0};
    int rc = FC_OK, again = 0;
    size_t i;

    if (r->rc != FC_OK) {
        /* A bucket without tags answers NoSuchTagSet: not a failure. */
        if (j->kind == J_BUCKET_TAGS && strcmp(r->err_code, "NoSuchTagSet") == 0) {
            rc = fc_inventory_add_resource(d->inv, j->held);
            goto out;
        }
        /* Tags are enrichment: an AWS-compatible endpoint without the tag
         * API must not make the whole scope stale. */
        if ((j->kind == J_ELB_TAGS || j->kind == J_LAMBDA_TAGS) &&
            r->rc == FC_EUNSUPPORTED) {
            fc_debug("aws: %s: %s unsupported here; resources keep no tags",
                     j->a->account, job_info[j->kind].action);
            job_free(j);
            return;
        }
        job_failed(j, r);
        job_free(j);
        return;
    }
    if (j->kind != J_IDENTITY)
        d->nok++;
    switch (j->kind) {
    case J_IDENTITY: {
        char got[32];
        if ((rc = aws_parse_caller_account(r->resp.data, r->resp.len, got, sizeof(got))))
            break;
        if (strcmp(j->a->account, "?") == 0)
            snprintf(j->a->account, sizeof(j->a->account), "%.12s", got);
        else if (strcmp(got, j->a->account) != 0) {
            char msg[200];
            j->a->usable = 0;
            snprintf(msg, sizeof(msg), "credentials reach account %s, not %s (check "
                     "roleArn and the credential chain)", got, j->a->account);
            stale(d, j->a->account, "", "", FC_EDENIED, msg);
        }
        break;
    }
    case J_INSTANCES:
    case J_VOLUMES:
    case J_SNAPSHOTS:
    case J_ADDRESSES:
    case J_LBS:
    case J_RDS:
    case J_LAMBDA:
    case J_BUCKETS:
        rc = take_page(d, j, r);
        again = rc == FC_OK && j->token != NULL;
        break;
    case J_ELB_TAGS:
        rc = aws_parse_elb_tags(&ts, r->resp.data, r->resp.len);
        for (i = 0; rc == FC_OK && i < ts.n; i++) {
            const arn_ent *e = arn_find(d, ts.sets[i].arn);
            if (e)
                rc = attach_tags(d, e->account, e->region, e->id, ts.sets[i].tags,
                                 ts.sets[i].ntags);
        }
        break;
    case J_TARGET_GROUPS: {
        char *next = NULL;
        rc = aws_parse_elb_target_groups(&ts, &next, r->resp.data, r->resp.len);
        for (i = 0; rc == FC_OK && i < ts.n; i++) {
            job *t;
            if (!ts.sets[i].arn || !ts.sets[i].ntags)
                continue; /* serves no load balancer */
            if (!(t = job_new(d, j->a, J_TARGET_HEALTH, j->region)) ||
                !(t->arg = fc_strdup(ts.sets[i].arn)) ||
                !(t->token = fc_strdup(ts.sets[i].tags[0].key))) {
                job_free(t);
                rc = FC_ENOMEM;
                break;
            }
            rc = submit(d, t, NULL);
        }
        free(j->token);
        j->token = next;
        again = rc == FC_OK && next != NULL;
        break;
    }
    case J_TARGET_HEALTH: {
        health_ent *h;
        rc = aws_parse_elb_target_health(&ts, r->resp.data, r->resp.len);
        if (rc == FC_OK && ts.n) {
            if (!(h = realloc(d->health, (d->nhealth + 1) * sizeof(*h)))) {
                rc = FC_ENOMEM;
                break;
            }
            d->health = h;
            h[d->nhealth].lb_arn = j->token; /* the load balancer's ARN */
            h[d->nhealth].healthy = ts.sets[0].ntags;
            j->token = NULL;
            d->nhealth++;
        }
        break;
    }
    case J_LAMBDA_TAGS:
        rc = aws_parse_json_tags(&ts, r->resp.data, r->resp.len);
        if (rc == FC_OK && ts.n)
            rc = attach_tags(d, j->a->account, j->region, j->arg, ts.sets[0].tags,
                             ts.sets[0].ntags);
        break;
    case J_BUCKET_LOCATION: {
        char region[64];
        if ((rc = aws_parse_s3_location(r->resp.data, r->resp.len, region, sizeof(region))))
            break;
        if (!region_in_scope(j->a, region))
            break; /* bucket lives outside the scope */
        free(j->held->region);
        if (!(j->held->region = fc_strdup(region))) {
            rc = FC_ENOMEM;
            break;
        }
        snprintf(j->region, sizeof(j->region), "%.31s", region);
        j->kind = J_BUCKET_TAGS;
        again = 1;
        break;
    }
    case J_BUCKET_TAGS:
        rc = aws_parse_xml_tagset(&ts, r->resp.data, r->resp.len);
        if (rc == FC_OK && ts.n) {
            j->held->tags = ts.sets[0].tags;
            j->held->ntags = ts.sets[0].ntags;
            ts.sets[0].tags = NULL;
            ts.sets[0].ntags = 0;
        }
        if (rc == FC_OK)
            rc = fc_inventory_add_resource(d->inv, j->held);
        break;
    case J_COSTS: {
        char *next = NULL;
        rc = aws_parse_costs(d->inv, &next, j->a->account, r->resp.data, r->resp.len);
        free(j->token);
        j->token = next;
        again = rc == FC_OK && next != NULL;
        break;
    }
    case J_METRICS:
        rc = aws_parse_metric_data(&j->mp, r->resp.data, r->resp.len);
        if (rc == FC_OK && j->mp.next) {
            free(j->token);
            j->token = fc_strdup(j->mp.next);
            again = j->token != NULL;
            if (!again)
                rc = FC_ENOMEM;
        } else if (rc == FC_OK) {
            rc = metrics_done(d, j);
        }
        break;
    }
out:
    aws_tagsets_dispose(&ts);
    if (rc != FC_OK) {
        char msg[400];
        snprintf(msg, sizeof(msg), "%s:%s: %s", job_info[j->kind].service,
                 job_info[j->kind].action, fc_error_last());
        stale(d, j->a->account, j->region, job_info[j->kind].stale, rc, msg);
        job_free(j);
        return;
    }
    if (again && submit(d, j, NULL) != FC_OK) {
        stale(d, j->a->account, j->region, job_info[j->kind].stale, FC_ENOMEM,
              "out of memory queueing the next page");
        return;
    }
    if (!again)
        job_free(j);
}

/* Builds (unless r is given) and queues a job's request; frees j on failure. */
static int submit(disc *d, job *j, aws_req *r)
{
    int rc;
    if (!r && (rc = build(d, j, &r)) != FC_OK) {
        stale(d, j->a->account, j->region, job_info[j->kind].stale, rc, fc_error_last());
        job_free(j);
        return rc;
    }
    return aws_submit(d->p->t, r, on_done, j);
}

/* ---- metrics ---------------------------------------------------------------------- */

static const struct {
    fc_resource_type type;
    const char *ns, *metric, *dim, *stat;
} metric_defs[] = {
    {FC_RES_EC2_INSTANCE, "AWS/EC2", "CPUUtilization", "InstanceId", "Average"},
    {FC_RES_EC2_INSTANCE, "AWS/EC2", "NetworkIn", "InstanceId", "Sum"},
    {FC_RES_EC2_INSTANCE, "AWS/EC2", "NetworkOut", "InstanceId", "Sum"},
    {FC_RES_RDS_INSTANCE, "AWS/RDS", "CPUUtilization", "DBInstanceIdentifier", "Average"},
    {FC_RES_RDS_INSTANCE, "AWS/RDS", "DatabaseConnections", "DBInstanceIdentifier",
     "Average"},
    {FC_RES_LAMBDA_FUNCTION, "AWS/Lambda", "Invocations", "FunctionName", "Sum"},
    {FC_RES_LOAD_BALANCER, "AWS/ApplicationELB", "RequestCount", "LoadBalancer", "Sum"},
};

/* CloudWatch's LoadBalancer dimension: "app/name/id" from the ARN. */
static const char *lb_dimension(const disc *d, const mquery *q, const job *j)
{
    size_t i;
    for (i = 0; i < d->narns; i++) {
        const arn_ent *e = &d->arns[i];
        const char *p;
        if (e->type == FC_RES_LOAD_BALANCER && strcmp(e->id, q->resource_id) == 0 &&
            strcmp(e->account, j->a->account) == 0 && strcmp(e->region, j->region) == 0 &&
            (p = strstr(e->arn, ":loadbalancer/")))
            return p + strlen(":loadbalancer/");
    }
    return NULL;
}

static int metrics_form(fc_buf *f, const disc *d, const job *j)
{
    char s[32], e[32];
    size_t i, k = 0;
    int rc = FC_OK;

    fc_time_format(s, sizeof(s), d->m_start);
    fc_time_format(e, sizeof(e), d->m_end);
    rc = form_add(f, "Action", "GetMetricData") || form_add(f, "EndTime", e);
    for (i = 0; i < j->nq && !rc; i++) {
        const mquery *q = &j->q[i];
        const char *dimv = q->resource_id;
        char id[24];
        size_t n = i + 1;
        k = q->def;
        if (metric_defs[k].type == FC_RES_LOAD_BALANCER && !(dimv = lb_dimension(d, q, j)))
            dimv = q->resource_id;
        snprintf(id, sizeof(id), "m%zu", i);
        rc = form_addf(f, id, "MetricDataQueries.member.%zu.Id", n) ||
             form_addf(f, metric_defs[k].metric,
                       "MetricDataQueries.member.%zu.MetricStat.Metric.MetricName", n) ||
             form_addf(f, metric_defs[k].ns,
                       "MetricDataQueries.member.%zu.MetricStat.Metric.Namespace", n) ||
             form_addf(f, metric_defs[k].dim,
                       "MetricDataQueries.member.%zu.MetricStat.Metric.Dimensions.member.1.Name",
                       n) ||
             form_addf(f, dimv,
                       "MetricDataQueries.member.%zu.MetricStat.Metric.Dimensions.member.1."
                       "Value",
                       n) ||
             form_addf(f, "3600", "MetricDataQueries.member.%zu.MetricStat.Period", n) ||
             form_addf(f, metric_defs[k].stat, "MetricDataQueries.member.%zu.MetricStat.Stat",
                       n);
    }
    rc = rc || (j->token && form_add(f, "NextToken", j->token)) ||
         form_add(f, "ScanBy", "TimestampAscending") || form_add(f, "StartTime", s) ||
         form_add(f, "Version", "2010-08-01");
    return rc ? FC_ENOMEM : FC_OK;
}

static int metrics_done(disc *d, job *j)
{
    size_t i, k;
    int rc = FC_OK;
    for (i = 0; i < j->mp.n && rc == FC_OK; i++) {
        const aws_points *pt = &j->mp.q[i];
        int64_t start;
        double *v;
        size_t n;
        if (pt->id[0] != 'm' || (k = strtoul(pt->id + 1, NULL, 10)) >= j->nq)
            continue;
        if ((rc = aws_points_series(pt, d->m_end, FC_HOUR, &start, &v, &n)) != FC_OK)
            break;
        if (!n)
            continue;
        rc = fc_inventory_add_metric_take(d->inv, j->q[k].resource_id,
                                          metric_defs[j->q[k].def].metric,
                                          start, FC_HOUR, v, n);
    }
    return rc;
}

/* One GetMetricData job per (account, region) and 500 queries. */
static int queue_metrics(disc *d, size_t from)
{
    size_t ai, i, m;
    int rc = FC_OK;

    if (d->sc->metric_days <= 0)
        return FC_OK;
    for (ai = 0; ai < d->naccts && rc == FC_OK; ai++) {
        acct *a = &d->accts[ai];
        size_t ri, nregions = a->sa ? a->sa->nregions : 0;
        if (!a->usable)
            continue;
        for (ri = 0; ri < nregions && rc == FC_OK; ri++) {
            const char *region = a->sa->regions[ri];
            job *j = NULL;
            for (i = from; i < d->inv->nresources && rc == FC_OK; i++) {
                const fc_resource *r = &d->inv->resources[i];
                if (strcmp(r->account, a->account) != 0 || !r->region ||
                    strcmp(r->region, region) != 0)
                    continue;
                if (r->type == FC_RES_LOAD_BALANCER &&
                    (!r->size_class || strcmp(r->size_class, "application") != 0))
                    continue; /* RequestCount is an ALB metric */
                for (m = 0; m < FC_ARRAY_LEN(metric_defs) && rc == FC_OK; m++) {
                    if (metric_defs[m].type != r->type)
                        continue;
                    if (!j) {
                        if (!(j = job_new(d, a, J_METRICS, region)) ||
                            !(j->q = calloc(AWS_METRIC_BATCH, sizeof(*j->q)))) {
                            job_free(j);
                            return fc_error_set(FC_ENOMEM, "aws: out of memory");
                        }
                    }
                    j->q[j->nq].def = m;
                    if (!(j->q[j->nq++].resource_id = fc_strdup(r->id))) {
                        job_free(j);
                        return fc_error_set(FC_ENOMEM, "aws: out of memory");
                    }
                    if (j->nq == AWS_METRIC_BATCH) {
                        rc = submit(d, j, NULL);
                        j = NULL;
                    }
                }
            }
            if (j)
                rc = submit(d, j, NULL);
        }
    }
    return rc;
}

/* ---- discover ------------------------------------------------------------------------ */

static int queue_account(disc *d, acct *a)
{
    static const job_kind regional[] = {J_INSTANCES, J_VOLUMES, J_SNAPSHOTS, J_ADDRESSES,
                                        J_LBS,       J_TARGET_GROUPS, J_RDS, J_LAMBDA};
    size_t ri, k, nregions = a->sa ? a->sa->nregions : 0;
    job *j;
    int rc = FC_OK;

    for (ri = 0; ri < nregions && rc == FC_OK; ri++)
        for (k = 0; k < FC_ARRAY_LEN(regional) && rc == FC_OK; k++) {
            if (!(j = job_new(d, a, regional[k], a->sa->regions[ri])))
                return fc_error_set(FC_ENOMEM, "aws: out of memory");
            rc = submit(d, j, NULL);
        }
    if (rc == FC_OK && nregions) {
        if (!(j = job_new(d, a, J_BUCKETS, "us-east-1")))
            return fc_error_set(FC_ENOMEM, "aws: out of memory");
        rc = submit(d, j, NULL);
    }
    if (rc == FC_OK && d->sc->cost_days > 0) {
        if (!(j = job_new(d, a, J_COSTS, "us-east-1")))
            return fc_error_set(FC_ENOMEM, "aws: out of memory");
        rc = submit(d, j, NULL);
    }
    return rc;
}

/* Load balancers get the number of healthy targets behind them. */
static int apply_health(disc *d)
{
    size_t i;
    for (i = 0; i < d->nhealth; i++) {
        const arn_ent *e = arn_find(d, d->health[i].lb_arn);
        fc_resource *r;
        size_t j, total = 0;
        char num[32];
        fc_tag *t;
        if (!e || !(r = (fc_resource *)fc_inventory_find(d->inv, e->account, e->region, e->id)))
            continue;
        if (fc_resource_attr(r, "healthyTargets"))
            continue;
        if (fc_resource_unpack(r) != FC_OK)
            return FC_ENOMEM;
        for (j = 0; j < d->nhealth; j++)
            if (strcmp(d->health[j].lb_arn, d->health[i].lb_arn) == 0)
                total += d->health[j].healthy;
        snprintf(num, sizeof(num), "%zu", total);
        if (!(t = realloc(r->attrs, (r->nattrs + 1) * sizeof(*t))))
            return FC_ENOMEM;
        r->attrs = t;
        t[r->nattrs].key = fc_strdup("healthyTargets");
        t[r->nattrs].value = fc_strdup(num);
        if (!t[r->nattrs].key || !t[r->nattrs].value) {
            free(t[r->nattrs].key);
            free(t[r->nattrs].value);
            return FC_ENOMEM;
        }
        r->nattrs++;
    }
    return FC_OK;
}

static void disc_dispose(disc *d)
{
    size_t i;
    for (i = 0; i < d->narns; i++) {
        free(d->arns[i].account);
        free(d->arns[i].region);
        free(d->arns[i].id);
        free(d->arns[i].arn);
    }
    free(d->arns);
    for (i = 0; i < d->nhealth; i++)
        free(d->health[i].lb_arn);
    free(d->health);
    free(d->accts);
}

static int aws_discover(fc_cloud *cloud, const fc_discovery_scope *sc, fc_inventory *inv)
{
    fc_aws *p = (fc_aws *)cloud;
    fc_scope_account self;
    static const char *default_region[1];
    disc d;
    size_t i, from = inv->nresources;
    unsigned long sent, retries;
    int rc = FC_OK;

    memset(&d, 0, sizeof(d));
    d.p = p;
    d.inv = inv;
    d.sc = sc;
    d.m_end = sc->now - ((sc->now % FC_HOUR) + FC_HOUR) % FC_HOUR;
    d.m_start = d.m_end - (int64_t)sc->metric_days * 24 * FC_HOUR;
    aws_transport_stats(p->t, &sent, &retries);
    aws_transport_set_budget(p->t, p->topts.retry_budget); /* per pass */
    if (!(d.accts = calloc(sc->naccounts ? sc->naccounts : 1, sizeof(*d.accts))))
        return fc_error_set(FC_ENOMEM, "aws: out of memory");
    if (sc->naccounts == 0) {
        /* No Account specs: the account the credentials reach, one region. */
        const char *r = getenv("AWS_REGION");
        if (!r || !*r)
            r = getenv("AWS_DEFAULT_REGION");
        default_region[0] = r && *r ? r : "us-east-1";
        memset(&self, 0, sizeof(self));
        self.regions = default_region;
        self.nregions = 1;
        d.accts[0].sa = &self;
        d.naccts = 1;
    } else {
        for (i = 0; i < sc->naccounts; i++)
            d.accts[i].sa = &sc->accounts[i];
        d.naccts = sc->naccounts;
    }
    free(inv->currency);
    inv->currency = fc_strdup("USD");
    inv->observed_at = d.m_end;

    /* Wave 1: credentials, then who we are in each account. */
    for (i = 0; i < d.naccts; i++) {
        acct *a = &d.accts[i];
        job *j;
        snprintf(a->account, sizeof(a->account), "%s", a->sa->account ? a->sa->account : "");
        if ((rc = creds_for(p, a->sa->role_arn, 0, &a->creds)) != FC_OK) {
            char msg[400];
            snprintf(msg, sizeof(msg), "%s", fc_error_last());
            stale(&d, a->account[0] ? a->account : "unknown", "", "sts", rc, msg);
            rc = FC_OK;
            continue;
        }
        a->usable = 1;
        if (!(j = job_new(&d, a, J_IDENTITY,
                          a->sa->nregions ? a->sa->regions[0] : "us-east-1"))) {
            rc = fc_error_set(FC_ENOMEM, "aws: out of memory");
            goto done;
        }
        if (!a->account[0]) {
            /* Whoever the credentials are: adopt the account they reach. */
            snprintf(a->account, sizeof(a->account), "?");
        }
        submit(&d, j, NULL);
    }
    aws_transport_run(p->t);
    for (i = 0; i < d.naccts; i++) {
        acct *a = &d.accts[i];
        if (a->usable && fc_inventory_is_stale(inv, a->account, "")) {
            size_t s;
            for (s = 0; s < inv->nstale; s++)
                if (strcmp(inv->stale[s].account, a->account) == 0 && !inv->stale[s].region[0])
                    a->usable = 0;
        }
    }

    /* Wave 2: every describe, every page, every chained call. */
    for (i = 0; i < d.naccts; i++)
        if (d.accts[i].usable && (rc = queue_account(&d, &d.accts[i])) != FC_OK)
            goto done;
    aws_transport_run(p->t);
    if ((rc = apply_health(&d)) != FC_OK) {
        rc = fc_error_set(FC_ENOMEM, "aws: out of memory");
        goto done;
    }

    /* Wave 3: hourly metrics of what wave 2 found. */
    if ((rc = queue_metrics(&d, from)) != FC_OK)
        goto done;
    aws_transport_run(p->t);
    {
        unsigned long s2, r2;
        aws_transport_stats(p->t, &s2, &r2);
        fc_info("aws: discovered %zu resources, %zu series, %zu cost rows in %zu accounts: "
                "%lu requests, %lu retries, %zu stale scopes",
                inv->nresources - from, inv->nmetrics, inv->ncosts, d.naccts, s2 - sent,
                r2 - retries, inv->nstale);
    }
    if (d.nok == 0 && d.nfail > 0)
        rc = fc_error_set(d.first_rc ? d.first_rc : FC_ENETWORK,
                          "aws: nothing could be discovered: %s", d.first_err);
done:
    disc_dispose(&d);
    return rc;
}

/* ---- describe and apply -------------------------------------------------------------- */

/* One synchronous query call; result body in *res. */
static int call_query(fc_aws *p, const char *service, const char *region,
                      const char *role_arn, const char *form, const char *what,
                      aws_result *res)
{
    const aws_creds *c;
    aws_req *r;
    int rc;
    memset(res, 0, sizeof(*res));
    if ((rc = creds_for(p, role_arn, 0, &c)) != FC_OK)
        return rc;
    if ((rc = query_req(p, &r, service, region, c, form, what)) != FC_OK)
        return rc;
    if ((rc = aws_call(p->t, r, res)) != FC_OK)
        return fc_error_wrap(rc, "aws: %s", what);
    return FC_OK;
}

static int aws_describe(fc_cloud *cloud, fc_resource_type type, const char *account,
                        const char *region, const char *role_arn, const char *id,
                        fc_resource *out)
{
    fc_aws *p = (fc_aws *)cloud;
    const char *svc = "ec2", *action = NULL, *key = NULL, *ver = "2016-11-15";
    aws_result res;
    aws_page pg;
    fc_buf f;
    char what[160];
    int rc;

    memset(out, 0, sizeof(*out));
    switch (type) {
    case FC_RES_EC2_INSTANCE: action = "DescribeInstances"; key = "InstanceId.1"; break;
    case FC_RES_EBS_VOLUME: action = "DescribeVolumes"; key = "VolumeId.1"; break;
    case FC_RES_EBS_SNAPSHOT: action = "DescribeSnapshots"; key = "SnapshotId.1"; break;
    case FC_RES_ELASTIC_IP: action = "DescribeAddresses"; key = "AllocationId.1"; break;
    case FC_RES_LOAD_BALANCER:
        svc = "elasticloadbalancing";
        action = "DescribeLoadBalancers";
        key = "Names.member.1";
        ver = "2015-12-01";
        break;
    case FC_RES_RDS_INSTANCE:
        svc = "rds";
        action = "DescribeDBInstances";
        key = "DBInstanceIdentifier";
        ver = "2014-10-31";
        break;
    default:
        return fc_error_set(FC_EUNSUPPORTED, "aws: cannot describe %s resources",
                            fc_resource_type_name(type));
    }
    fc_buf_init(&f);
    aws_page_init(&pg);
    snprintf(what, sizeof(what), "%s:%s %s", svc, action, id);
    if (form_add(&f, "Action", action) || form_add(&f, key, id) ||
        form_add(&f, "Version", ver)) {
        fc_buf_dispose(&f);
        return fc_error_set(FC_ENOMEM, "aws: out of memory");
    }
    rc = call_query(p, svc, region, role_arn, f.data, what, &res);
    if (rc == FC_OK) {
        const char *b = res.body.data;
        size_t len = res.body.len;
        switch (type) {
        case FC_RES_EC2_INSTANCE: rc = aws_parse_ec2_instances(&pg, b, len, account, region); break;
        case FC_RES_EBS_VOLUME: rc = aws_parse_ec2_volumes(&pg, b, len, account, region); break;
        case FC_RES_EBS_SNAPSHOT: rc = aws_parse_ec2_snapshots(&pg, b, len, account, region); break;
        case FC_RES_ELASTIC_IP: rc = aws_parse_ec2_addresses(&pg, b, len, account, region); break;
        case FC_RES_LOAD_BALANCER:
            rc = aws_parse_elb_load_balancers(&pg, b, len, account, region);
            break;
        default: rc = aws_parse_rds_instances(&pg, b, len, account, region); break;
        }
    }
    if (rc == FC_OK && pg.n == 0)
        rc = fc_error_set(FC_ENOTFOUND, "aws: %s %s not found in %s/%s",
                          fc_resource_type_name(type), id, account, region);
    if (rc == FC_OK) {
        *out = pg.items[0];
        memset(&pg.items[0], 0, sizeof(pg.items[0]));
    }
    aws_page_dispose(&pg);
    aws_result_dispose(&res);
    fc_buf_dispose(&f);
    return rc;
}

static const char *param(const fc_action *a, const char *key)
{
    size_t i;
    for (i = 0; i < a->nparams; i++)
        if (a->params[i].key && strcmp(a->params[i].key, key) == 0)
            return a->params[i].value;
    return NULL;
}

static int action_form(const fc_action *a, fc_buf *f, const char **ec2_action)
{
    const char *k = a->kind, *v;
    int rc = FC_OK;
    size_t i;

#define NEED(name)                                                                  \
    do {                                                                            \
        if (!(v = param(a, name)) || !*v)                                           \
            return fc_error_set(FC_EINVALID, "aws: %s needs parameter %s", k, name); \
    } while (0)
    if (strcmp(k, "stop-instances") == 0 || strcmp(k, "start-instances") == 0) {
        *ec2_action = k[2] == 'o' ? "StopInstances" : "StartInstances";
        rc = form_add(f, "Action", *ec2_action) || form_add(f, "InstanceId.1", a->resource);
    } else if (strcmp(k, "modify-instance-type") == 0) {
        NEED("instanceType");
        *ec2_action = "ModifyInstanceAttribute";
        rc = form_add(f, "Action", *ec2_action) || form_add(f, "InstanceId", a->resource) ||
             form_add(f, "InstanceType.Value", v);
    } else if (strcmp(k, "modify-volume-type") == 0) {
        NEED("volumeType");
        *ec2_action = "ModifyVolume";
        rc = form_add(f, "Action", *ec2_action) || form_add(f, "VolumeId", a->resource) ||
             form_add(f, "VolumeType", v);
    } else if (strcmp(k, "create-snapshot") == 0) {
        *ec2_action = "CreateSnapshot";
        v = param(a, "description");
        rc = form_add(f, "Action", *ec2_action) ||
             form_add(f, "Description", v ? v : "finops-controller snapshot") ||
             form_add(f, "VolumeId", a->resource);
    } else if (strcmp(k, "delete-volume") == 0) {
        *ec2_action = "DeleteVolume";
        rc = form_add(f, "Action", *ec2_action) || form_add(f, "VolumeId", a->resource);
    } else if (strcmp(k, "delete-snapshot") == 0) {
        *ec2_action = "DeleteSnapshot";
        rc = form_add(f, "Action", *ec2_action) || form_add(f, "SnapshotId", a->resource);
    } else if (strcmp(k, "release-address") == 0) {
        *ec2_action = "ReleaseAddress";
        rc = form_add(f, "Action", *ec2_action) || form_add(f, "AllocationId", a->resource);
    } else if (strcmp(k, "create-volume-from-snapshot") == 0) {
        const char *snap = param(a, "snapshotId"), *az = param(a, "availabilityZone");
        const char *vt = param(a, "volumeType");
        if (!snap || !*snap)
            snap = a->resource;
        if (!az || !*az)
            return fc_error_set(FC_EINVALID, "aws: %s needs parameter availabilityZone", k);
        *ec2_action = "CreateVolume";
        rc = form_add(f, "Action", *ec2_action) || form_add(f, "AvailabilityZone", az) ||
             (a->client_token && form_add(f, "ClientToken", a->client_token)) ||
             form_add(f, "SnapshotId", snap) || (vt && *vt && form_add(f, "VolumeType", vt));
    } else if (strcmp(k, "create-tags") == 0) {
        if (!a->nparams)
            return fc_error_set(FC_EINVALID, "aws: create-tags needs at least one tag");
        *ec2_action = "CreateTags";
        rc = form_add(f, "Action", *ec2_action) || form_add(f, "ResourceId.1", a->resource);
        for (i = 0; i < a->nparams && !rc; i++)
            rc = form_addf(f, a->params[i].key, "Tag.%zu.Key", i + 1) ||
                 form_addf(f, a->params[i].value ? a->params[i].value : "", "Tag.%zu.Value",
                           i + 1);
    } else {
        return fc_error_set(FC_EUNSUPPORTED, "aws: unknown action kind '%s'", k);
    }
#undef NEED
    rc = rc || form_add(f, "Version", "2016-11-15");
    return rc ? fc_error_set(FC_ENOMEM, "aws: out of memory") : FC_OK;
}

/*
 * Snapshot-first delete and its inverse: CreateVolume needs the availability
 * zone, which neither the snapshot nor fc_resource carries.  create-snapshot
 * reads the volume's zone and tags the snapshot with it (AZ_TAG); a
 * create-volume-from-snapshot without availabilityZone reads it back, so the
 * volume is recreated where it was.
 */
#define AZ_TAG "finops.dev/availability-zone"

/* Owned text of the first element called name in the tree, or NULL. */
static char *xml_first_text(xmlNode *n, const char *name)
{
    char *out = NULL;
    for (; n && !out; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        if (strcmp((const char *)n->name, name) == 0) {
            xmlChar *t = xmlNodeGetContent(n);
            out = t ? fc_strdup((const char *)t) : NULL;
            xmlFree(t);
        } else {
            out = xml_first_text(n->children, name);
        }
    }
    return out;
}

static int volume_zone(fc_aws *p, const fc_action *a, char **az)
{
    aws_result res;
    xmlDoc *doc = NULL;
    fc_buf f;
    char what[160];
    int rc;

    *az = NULL;
    fc_buf_init(&f);
    snprintf(what, sizeof(what), "ec2:DescribeVolumes %s", a->resource);
    if (form_add(&f, "Action", "DescribeVolumes") || form_add(&f, "VolumeId.1", a->resource) ||
        form_add(&f, "Version", "2016-11-15")) {
        fc_buf_dispose(&f);
        return fc_error_set(FC_ENOMEM, "aws: out of memory");
    }
    rc = call_query(p, "ec2", a->region, a->role_arn, f.data, what, &res);
    if (rc == FC_OK) {
        if (res.body.len && res.body.len < 0x7fffffff)
            doc = xmlReadMemory(res.body.data, (int)res.body.len, NULL, NULL,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
        *az = doc ? xml_first_text(xmlDocGetRootElement(doc), "availabilityZone") : NULL;
        if (!*az)
            rc = fc_error_set(FC_EPARSE, "aws: %s: no availabilityZone", what);
        xmlFreeDoc(doc);
        aws_result_dispose(&res);
    }
    fc_buf_dispose(&f);
    return rc;
}

static int snapshot_zone(fc_aws *p, const fc_action *a, const char *snap, char **az)
{
    fc_resource r;
    size_t i;
    int rc = aws_describe(&p->base, FC_RES_EBS_SNAPSHOT, a->account, a->region, a->role_arn,
                          snap, &r);
    *az = NULL;
    if (rc != FC_OK)
        return rc;
    for (i = 0; i < r.ntags && !*az; i++)
        if (strcmp(r.tags[i].key, AZ_TAG) == 0 && !(*az = fc_strdup(r.tags[i].value)))
            rc = fc_error_set(FC_ENOMEM, "aws: out of memory");
    fc_resource_dispose(&r);
    if (rc == FC_OK && !*az)
        rc = fc_error_set(FC_EINVALID, "aws: snapshot %s does not say where its volume was "
                          "(no %s tag); give availabilityZone", snap, AZ_TAG);
    return rc;
}

static int aws_apply(fc_cloud *cloud, const fc_action *a, fc_action_result *out)
{
    fc_aws *p = (fc_aws *)cloud;
    const char *ec2_action = NULL;
    aws_result res;
    char what[200];
    fc_buf f;
    fc_action with_az;
    fc_tag params[17];
    char *az = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    memset(&res, 0, sizeof(res));
    if (!a->kind || !a->resource || !a->region)
        return fc_error_set(FC_EINVALID, "aws: action needs kind, region and resource");
    fc_buf_init(&f);
    if (strcmp(a->kind, "create-snapshot") == 0) {
        if ((rc = volume_zone(p, a, &az)) != FC_OK)
            goto done;
    } else if (strcmp(a->kind, "create-volume-from-snapshot") == 0 &&
               !param(a, "availabilityZone") && a->nparams < FC_ARRAY_LEN(params)) {
        const char *snap = param(a, "snapshotId");
        if ((rc = snapshot_zone(p, a, snap && *snap ? snap : a->resource, &az)) != FC_OK)
            goto done;
        with_az = *a;
        memcpy(params, a->params, a->nparams * sizeof(*params));
        params[a->nparams].key = "availabilityZone";
        params[a->nparams].value = az;
        with_az.params = params;
        with_az.nparams = a->nparams + 1;
        a = &with_az;
    }
    if ((rc = action_form(a, &f, &ec2_action)) != FC_OK)
        goto done;
    if (strcmp(a->kind, "create-snapshot") == 0 &&
        (form_add(&f, "TagSpecification.1.ResourceType", "snapshot") ||
         form_add(&f, "TagSpecification.1.Tag.1.Key", AZ_TAG) ||
         form_add(&f, "TagSpecification.1.Tag.1.Value", az))) {
        rc = fc_error_set(FC_ENOMEM, "aws: out of memory");
        goto done;
    }
    snprintf(what, sizeof(what), "ec2:%s %s", ec2_action, a->resource);
    if ((rc = call_query(p, "ec2", a->region, a->role_arn, f.data, what, &res)) != FC_OK)
        goto done;
    fc_crashpoint("provider.aws.sent"); /* the cloud acted; we have not heard */
    rc = aws_parse_action(a->kind, res.body.data, res.body.len, out);
    if (rc == FC_OK)
        fc_info("aws: %s %s in %s/%s: %s", ec2_action, a->resource,
                a->account ? a->account : "", a->region, out->state ? out->state : "ok");
done:
    aws_result_dispose(&res);
    fc_buf_dispose(&f);
    free(az);
    return rc;
}

static void aws_free(fc_cloud *cloud)
{
    fc_aws *p = (fc_aws *)cloud;
    size_t i;
    if (!p)
        return;
    aws_transport_free(p->t);
    aws_creds_dispose(&p->base_creds);
    for (i = 0; i < p->nroles; i++) {
        free(p->roles[i]->arn);
        aws_creds_dispose(&p->roles[i]->creds);
        free(p->roles[i]);
    }
    free(p->roles);
    for (i = 0; i < p->nsvc; i++)
        free(p->svc[i]);
    free(p->svc);
    free(p->endpoint_url);
    free(p);
}

static const fc_cloud_ops aws_ops = {
    .version = FC_CLOUD_OPS_VERSION,
    .name = "aws",
    .discover = aws_discover,
    .describe = aws_describe,
    .apply = aws_apply,
    .free = aws_free,
};

int fc_aws_open(fc_cloud **out, const fc_aws_opts *o)
{
    fc_aws *p;
    size_t i;
    int rc;

    *out = NULL;
    if (!(p = calloc(1, sizeof(*p))))
        return fc_error_set(FC_ENOMEM, "aws: out of memory");
    p->base.ops = &aws_ops;
    if (o && o->endpoint_url && *o->endpoint_url &&
        !(p->endpoint_url = fc_strdup(o->endpoint_url)))
        goto oom;
    if (o && o->nservice_endpoints) {
        if (!(p->svc = calloc(o->nservice_endpoints, sizeof(*p->svc))))
            goto oom;
        for (i = 0; i < o->nservice_endpoints; i++) {
            if (!strchr(o->service_endpoints[i], '=')) {
                aws_free(&p->base);
                return fc_error_set(FC_EINVALID, "aws: service endpoint '%s' is not "
                                    "SERVICE=URL", o->service_endpoints[i]);
            }
            if (!(p->svc[p->nsvc] = fc_strdup(o->service_endpoints[i])))
                goto oom;
            p->nsvc++;
        }
    }
    p->ep.endpoint_url = p->endpoint_url;
    p->ep.service_endpoints = (const char *const *)p->svc;
    p->ep.nservice_endpoints = p->nsvc;
    if (o) {
        p->topts.max_connections = o->max_connections;
        p->topts.max_attempts = o->max_attempts;
        p->topts.retry_budget = o->retry_budget;
        p->topts.timeout_ms = o->timeout_ms;
        p->topts.base_delay_ms = o->base_delay_ms;
        p->topts.max_delay_ms = o->max_delay_ms;
        p->topts.seed = o->seed;
    }
    if ((rc = aws_transport_new(&p->t, &p->topts)) != FC_OK) {
        aws_free(&p->base);
        return rc;
    }
    *out = &p->base;
    return FC_OK;
oom:
    aws_free(&p->base);
    return fc_error_set(FC_ENOMEM, "aws: out of memory");
}
