/*
 * aws_parse.c - pure parsers of AWS response bodies (stage: discovery).
 *
 * Inputs: one response body (XML for EC2, ELBv2, RDS, STS, CloudWatch, S3;
 * JSON for Lambda, Cost Explorer and IMDS).  Outputs: fc_resource pages with
 * the type names, states and fields the sim provider uses, metric points,
 * cost rows, credentials.  No I/O: every function here is unit-tested on
 * fixtures shaped like the AWS API reference.
 *
 * XML is walked by local element name, so the parsers do not care about the
 * namespace (API versions change it) or about the wrapping *Result element.
 *
 * Ownership: pages, tag sets and metric pages are caller-owned and freed
 * with their _dispose(); strings inside are malloc'd.
 */
#include "controller/cloud/aws_int.h"
#include "controller/core/fc_error.h"

#include <errno.h>
#include <json-c/json.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- time ---------------------------------------------------------------- */

static int64_t days_from_civil(int y, unsigned m, unsigned d)
{
    /* Howard Hinnant's algorithm: exact for the proleptic Gregorian calendar. */
    int era;
    unsigned yoe, doy, doe;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (int64_t)era * 146097 + (int64_t)doe - 719468;
}

int aws_parse_time(const char *s, int64_t *out)
{
    int y, mo, d, h = 0, mi = 0, se = 0, n = 0, oh = 0, om = 0;
    const char *p;
    int64_t t;

    *out = 0;
    if (!s || sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || mo < 1 ||
        mo > 12 || d < 1 || d > 31)
        return -1;
    p = s + n;
    if (*p == 'T' || *p == ' ') {
        if (sscanf(p + 1, "%2d:%2d:%2d%n", &h, &mi, &se, &n) != 3)
            return -1;
        p += 1 + n;
        if (*p == '.')
            for (p++; *p >= '0' && *p <= '9'; p++)
                ;
        if (*p == '+' || *p == '-') {
            int sign = *p == '-' ? -1 : 1;
            if (sscanf(p + 1, "%2d:%2d", &oh, &om) != 2 &&
                sscanf(p + 1, "%2d%2d", &oh, &om) != 2)
                return -1;
            oh *= sign;
            om *= sign;
        }
    }
    t = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se;
    *out = t - oh * 3600 - om * 60;
    return 0;
}

/* ---- XML walking ------------------------------------------------------------ */

static xmlDoc *xml_read(const char *body, size_t len)
{
    if (!body || !len || len > 0x7fffffff)
        return NULL;
    return xmlReadMemory(body, (int)len, NULL, NULL,
                         XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                             XML_PARSE_HUGE);
}

static int is_elem(const xmlNode *n, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE &&
           strcmp((const char *)n->name, name) == 0;
}

/* Direct child by local name. */
static xmlNode *child(const xmlNode *n, const char *name)
{
    xmlNode *c;
    for (c = n ? n->children : NULL; c; c = c->next)
        if (is_elem(c, name))
            return c;
    return NULL;
}

/* First descendant (depth first, n included) by local name. */
static xmlNode *find(xmlNode *n, const char *name)
{
    for (; n; n = n->next) {
        xmlNode *f;
        if (is_elem(n, name))
            return n;
        if (n->type == XML_ELEMENT_NODE && (f = find(n->children, name)))
            return f;
    }
    return NULL;
}

/* Text of the direct child `name` (or of n itself when name is NULL),
 * malloc'd; NULL when absent or empty. */
static char *text(const xmlNode *n, const char *name)
{
    const xmlNode *c = name ? child(n, name) : n;
    xmlChar *t;
    char *s;
    if (!c)
        return NULL;
    t = xmlNodeGetContent(c);
    if (!t)
        return NULL;
    s = *t ? fc_strdup((const char *)t) : NULL;
    xmlFree(t);
    return s;
}

/* Text of a path of direct children ("instanceState/name"). */
static char *text_path(const xmlNode *n, const char *path)
{
    char part[64];
    const char *p = path, *slash;
    while ((slash = strchr(p, '/')) != NULL) {
        size_t l = (size_t)(slash - p);
        if (l >= sizeof(part))
            return NULL;
        memcpy(part, p, l);
        part[l] = '\0';
        if (!(n = child(n, part)))
            return NULL;
        p = slash + 1;
    }
    return text(n, p);
}

static double num(const xmlNode *n, const char *name)
{
    char *s = text(n, name);
    double v = s ? strtod(s, NULL) : 0;
    free(s);
    return isfinite(v) ? v : 0;
}

static int64_t when(const xmlNode *n, const char *name)
{
    char *s = text(n, name);
    int64_t t = 0;
    if (s)
        aws_parse_time(s, &t);
    free(s);
    return t;
}

/* ---- pages ---------------------------------------------------------------- */

void aws_page_init(aws_page *p)
{
    memset(p, 0, sizeof(*p));
}

void aws_page_dispose(aws_page *p)
{
    size_t i;
    for (i = 0; i < p->n; i++) {
        fc_resource_dispose(&p->items[i]);
        free(p->arns[i]);
    }
    free(p->items);
    free(p->arns);
    free(p->next);
    aws_page_init(p);
}

static fc_resource *page_add(aws_page *p, fc_resource_type type,
                             const char *account, const char *region)
{
    fc_resource *r;
    if (p->n == p->cap) {
        size_t nc = p->cap ? p->cap * 2 : 32;
        fc_resource *it = realloc(p->items, nc * sizeof(*it));
        char **ar;
        if (!it)
            return NULL;
        p->items = it;
        if (!(ar = realloc(p->arns, nc * sizeof(*ar))))
            return NULL;
        p->arns = ar;
        p->cap = nc;
    }
    r = &p->items[p->n];
    memset(r, 0, sizeof(*r));
    p->arns[p->n] = NULL;
    p->n++;
    r->type = type;
    if (!(r->account = fc_strdup(account)) ||
        (region && !(r->region = fc_strdup(region))))
        return NULL;
    return r;
}

static int oom(void)
{
    return fc_error_set(FC_ENOMEM, "aws: out of memory parsing a response");
}

/* The first `elem` element at or after n, or NULL: walks a list's members. */
static xmlNode *next_elem(xmlNode *n, const char *elem)
{
    for (; n; n = n->next)
        if (is_elem(n, elem))
            return n;
    return NULL;
}

/* Appends a resource whose id is the text of it/<id_field>; a member
 * without one is a parse error naming the call ("what without id"). */
static int add_item(aws_page *p, fc_resource **out, fc_resource_type type,
                    const char *account, const char *region, xmlNode *it,
                    const char *id_field, const char *what)
{
    fc_resource *r = page_add(p, type, account, region);
    *out = r;
    if (!r)
        return oom();
    if (!(r->id = text(it, id_field)))
        return fc_error_set(FC_EPARSE, "aws: %s without %s", what, id_field);
    return FC_OK;
}

static int add_tag(fc_tag **tags, size_t *n, const char *k, const char *v)
{
    fc_tag *t = realloc(*tags, (*n + 1) * sizeof(*t));
    if (!t)
        return FC_ENOMEM;
    *tags = t;
    t[*n].key = fc_strdup(k);
    t[*n].value = fc_strdup(v ? v : "");
    if (!t[*n].key || !t[*n].value) {
        free(t[*n].key);
        free(t[*n].value);
        return FC_ENOMEM;
    }
    (*n)++;
    return FC_OK;
}

/* A list of {key,value} elements: EC2 tagSet/item{key,value}, query
 * TagList/Tag{Key,Value}, ELBv2 Tags/member{Key,Value}. */
static int xml_tags(const xmlNode *list, fc_tag **tags, size_t *n)
{
    const xmlNode *it;
    for (it = list ? list->children : NULL; it; it = it->next) {
        char *k, *v;
        int rc;
        if (it->type != XML_ELEMENT_NODE)
            continue;
        k = text(it, "key");
        if (!k)
            k = text(it, "Key");
        v = text(it, "value");
        if (!v)
            v = text(it, "Value");
        rc = k ? add_tag(tags, n, k, v) : FC_OK;
        free(k);
        free(v);
        if (rc)
            return rc;
    }
    return FC_OK;
}

static int name_from_tags(fc_resource *r)
{
    const char *n = fc_resource_tag(r, "Name");
    if (n && !r->name && !(r->name = fc_strdup(n)))
        return FC_ENOMEM;
    return FC_OK;
}

static int set_next(aws_page *p, xmlNode *root, const char *name)
{
    xmlNode *n = find(root, name);
    free(p->next);
    p->next = n ? text(n, NULL) : NULL;
    return FC_OK;
}


/* Opens doc and checks the root element's local name. */
static int open_doc(xmlDoc **doc, xmlNode **root, const char *body, size_t len,
                    const char *what)
{
    *doc = xml_read(body, len);
    *root = *doc ? xmlDocGetRootElement(*doc) : NULL;
    if (!*root) {
        xmlFreeDoc(*doc);
        *doc = NULL;
        return fc_error_set(FC_EPARSE, "aws: %s: malformed XML response", what);
    }
    return FC_OK;
}

/* ---- EC2 ---------------------------------------------------------------------- */

int aws_parse_ec2_instances(aws_page *p, const char *body, size_t len,
                            const char *account, const char *region)
{
    xmlDoc *doc;
    xmlNode *root, *rs, *res, *is, *it;
    int rc;

    if ((rc = open_doc(&doc, &root, body, len, "DescribeInstances")))
        return rc;
    rs = find(root, "reservationSet");
    for (res = rs ? rs->children : NULL; res && rc == FC_OK; res = res->next) {
        if (!is_elem(res, "item"))
            continue;
        is = child(res, "instancesSet");
        for (it = next_elem(is ? is->children : NULL, "item"); it && rc == FC_OK;
             it = next_elem(it->next, "item")) {
            fc_resource *r;
            if ((rc = add_item(p, &r, FC_RES_EC2_INSTANCE, account, region, it,
                               "instanceId", "DescribeInstances: item")) != FC_OK)
                break;
            r->state = text_path(it, "instanceState/name");
            r->size_class = text(it, "instanceType");
            r->created = when(it, "launchTime");
            if (xml_tags(child(it, "tagSet"), &r->tags, &r->ntags) ||
                name_from_tags(r))
                rc = oom();
        }
    }
    if (rc == FC_OK)
        rc = set_next(p, root, "nextToken");
    xmlFreeDoc(doc);
    return rc;
}

int aws_parse_ec2_volumes(aws_page *p, const char *body, size_t len,
                          const char *account, const char *region)
{
    xmlDoc *doc;
    xmlNode *root, *vs, *it;
    int rc;

    if ((rc = open_doc(&doc, &root, body, len, "DescribeVolumes")))
        return rc;
    vs = find(root, "volumeSet");
    for (it = next_elem(vs ? vs->children : NULL, "item"); it && rc == FC_OK;
         it = next_elem(it->next, "item")) {
        fc_resource *r;
        xmlNode *att;
        if ((rc = add_item(p, &r, FC_RES_EBS_VOLUME, account, region, it, "volumeId",
                           "DescribeVolumes: item")) != FC_OK)
            break;
        r->state = text(it, "status");
        r->size_class = text(it, "volumeType");
        r->size = num(it, "size");
        r->created = when(it, "createTime");
        att = child(it, "attachmentSet");
        for (att = att ? att->children : NULL; att; att = att->next)
            if (is_elem(att, "item")) {
                r->attached_to = text(att, "instanceId");
                break;
            }
        if (xml_tags(child(it, "tagSet"), &r->tags, &r->ntags) || name_from_tags(r))
            rc = oom();
    }
    if (rc == FC_OK)
        rc = set_next(p, root, "nextToken");
    xmlFreeDoc(doc);
    return rc;
}

int aws_parse_ec2_snapshots(aws_page *p, const char *body, size_t len,
                            const char *account, const char *region)
{
    xmlDoc *doc;
    xmlNode *root, *ss, *it;
    int rc;

    if ((rc = open_doc(&doc, &root, body, len, "DescribeSnapshots")))
        return rc;
    ss = find(root, "snapshotSet");
    for (it = next_elem(ss ? ss->children : NULL, "item"); it && rc == FC_OK;
         it = next_elem(it->next, "item")) {
        fc_resource *r;
        if ((rc = add_item(p, &r, FC_RES_EBS_SNAPSHOT, account, region, it, "snapshotId",
                           "DescribeSnapshots: item")) != FC_OK)
            break;
        r->state = text(it, "status");
        r->size = num(it, "volumeSize");
        r->attached_to = text(it, "volumeId");
        r->created = when(it, "startTime");
        if (xml_tags(child(it, "tagSet"), &r->tags, &r->ntags) || name_from_tags(r))
            rc = oom();
    }
    if (rc == FC_OK)
        rc = set_next(p, root, "nextToken");
    xmlFreeDoc(doc);
    return rc;
}

int aws_parse_ec2_addresses(aws_page *p, const char *body, size_t len,
                            const char *account, const char *region)
{
    xmlDoc *doc;
    xmlNode *root, *as, *it;
    int rc;

    if ((rc = open_doc(&doc, &root, body, len, "DescribeAddresses")))
        return rc;
    as = find(root, "addressesSet");
    for (it = as ? as->children : NULL; it && rc == FC_OK; it = it->next) {
        fc_resource *r;
        char *assoc;
        if (!is_elem(it, "item"))
            continue;
        if (!(r = page_add(p, FC_RES_ELASTIC_IP, account, region))) {
            rc = oom();
            break;
        }
        r->id = text(it, "allocationId");
        if (!r->id)
            r->id = text(it, "publicIp"); /* EC2-Classic addresses */
        if (!r->id) {
            rc = fc_error_set(FC_EPARSE, "aws: DescribeAddresses: item without "
                                         "allocationId");
            break;
        }
        r->attached_to = text(it, "instanceId");
        if (!r->attached_to)
            r->attached_to = text(it, "networkInterfaceId");
        assoc = text(it, "associationId");
        r->state = fc_strdup(assoc || r->attached_to ? "associated" : "unassociated");
        free(assoc);
        if (!r->state || xml_tags(child(it, "tagSet"), &r->tags, &r->ntags) ||
            name_from_tags(r))
            rc = oom();
    }
    /* DescribeAddresses is not paginated. */
    if (rc == FC_OK) {
        free(p->next);
        p->next = NULL;
    }
    xmlFreeDoc(doc);
    return rc;
}

/* ---- ELBv2 ------------------------------------------------------------------------ */

int aws_parse_elb_load_balancers(aws_page *p, const char *body, size_t len,
                                 const char *account, const char *region)
{
    xmlDoc *doc;
    xmlNode *root, *lbs, *it;
    int rc;

    if ((rc = open_doc(&doc, &root, body, len, "DescribeLoadBalancers")))
        return rc;
    lbs = find(root, "LoadBalancers");
    for (it = next_elem(lbs ? lbs->children : NULL, "member"); it && rc == FC_OK;
         it = next_elem(it->next, "member")) {
        fc_resource *r;
        if ((rc = add_item(p, &r, FC_RES_LOAD_BALANCER, account, region, it,
                           "LoadBalancerName", "DescribeLoadBalancers: member")) != FC_OK)
            break;
        r->name = fc_strdup(r->id);
        r->state = text_path(it, "State/Code");
        r->size_class = text(it, "Type");
        r->created = when(it, "CreatedTime");
        p->arns[p->n - 1] = text(it, "LoadBalancerArn");
        if (!r->name)
            rc = oom();
    }
    if (rc == FC_OK)
        rc = set_next(p, root, "NextMarker");
    xmlFreeDoc(doc);
    return rc;
}

void aws_tagsets_dispose(aws_tagsets *t)
{
    size_t i, j;
    for (i = 0; i < t->n; i++) {
        free(t->sets[i].arn);
        for (j = 0; j < t->sets[i].ntags; j++) {
            free(t->sets[i].tags[j].key);
            free(t->sets[i].tags[j].value);
        }
        free(t->sets[i].tags);
    }
    free(t->sets);
    t->sets = NULL;
    t->n = 0;
}

static aws_tagset *tagset_add(aws_tagsets *t, char *arn_take)
{
    aws_tagset *s = realloc(t->sets, (t->n + 1) * sizeof(*s));
    if (!s) {
        free(arn_take);
        return NULL;
    }
    t->sets = s;
    s = &t->sets[t->n++];
    memset(s, 0, sizeof(*s));
    s->arn = arn_take;
    return s;
}

int aws_parse_elb_tags(aws_tagsets *out, const char *body, size_t len)
{
    xmlDoc *doc;
    xmlNode *root, *tds, *it;
    int rc;

    if ((rc = open_doc(&doc, &root, body, len, "DescribeTags")))
        return rc;
    tds = find(root, "TagDescriptions");
    for (it = tds ? tds->children : NULL; it && rc == FC_OK; it = it->next) {
        aws_tagset *s;
        if (!is_elem(it, "member"))
            continue;
        if (!(s = tagset_add(out, text(it, "ResourceArn"))) ||
            xml_tags(child(it, "Tags"), &s->tags, &s->ntags))
            rc = oom();
    }
    xmlFreeDoc(doc);
    return rc;
}

int aws_parse_xml_tagset(aws_tagsets *out, const char *body, size_t len)
{
    xmlDoc *doc;
    xmlNode *root;
    aws_tagset *s;
    int rc;

    if ((rc = open_doc(&doc, &root, body, len, "GetBucketTagging")))
        return rc;
    if (!(s = tagset_add(out, NULL)) || xml_tags(find(root, "TagSet"), &s->tags, &s->ntags))
        rc = oom();
    xmlFreeDoc(doc);
    return rc;
}

int aws_parse_elb_target_groups(aws_tagsets *out, char **next, const char *body,
                                size_t len)
{
    xmlDoc *doc;
    xmlNode *root, *tgs, *it, *n;
    int rc;

    if ((rc = open_doc(&doc, &root, body, len, "DescribeTargetGroups")))
        return rc;
    tgs = find(root, "TargetGroups");
    for (it = tgs ? tgs->children : NULL; it && rc == FC_OK; it = it->next) {
        aws_tagset *s;
        xmlNode *lb;
        if (!is_elem(it, "member"))
            continue;
        if (!(s = tagset_add(out, text(it, "TargetGroupArn")))) {
            rc = oom();
            break;
        }
        /* One tag per load balancer the group serves. */
        lb = child(it, "LoadBalancerArns");
        for (lb = lb ? lb->children : NULL; lb && rc == FC_OK; lb = lb->next) {
            char *a;
            if (!is_elem(lb, "member"))
                continue;
            a = text(lb, NULL);
            if (a && add_tag(&s->tags, &s->ntags, a, ""))
                rc = oom();
            free(a);
        }
    }
    free(*next);
    n = find(root, "NextMarker");
    *next = n ? text(n, NULL) : NULL;
    xmlFreeDoc(doc);
    return rc;
}

int aws_parse_elb_target_health(aws_tagsets *out, const char *body, size_t len)
{
    xmlDoc *doc;
    xmlNode *root, *ds, *it;
    aws_tagset *s;
    int rc;

    if ((rc = open_doc(&doc, &root, body, len, "DescribeTargetHealth")))
        return rc;
    if (!(s = tagset_add(out, NULL))) {
        xmlFreeDoc(doc);
        return oom();
    }
    ds = find(root, "TargetHealthDescriptions");
    for (it = ds ? ds->children : NULL; it && rc == FC_OK; it = it->next) {
        char *id, *state;
        if (!is_elem(it, "member"))
            continue;
        id = text_path(it, "Target/Id");
        state = text_path(it, "TargetHealth/State");
        if (id && state && strcmp(state, "healthy") == 0 &&
            add_tag(&s->tags, &s->ntags, id, state))
            rc = oom();
        free(id);
        free(state);
    }
    xmlFreeDoc(doc);
    return rc;
}

/* ---- RDS ----------------------------------------------------------------------- */

int aws_parse_rds_instances(aws_page *p, const char *body, size_t len,
                            const char *account, const char *region)
{
    xmlDoc *doc;
    xmlNode *root, *dbs, *it;
    int rc;

    if ((rc = open_doc(&doc, &root, body, len, "DescribeDBInstances")))
        return rc;
    dbs = find(root, "DBInstances");
    for (it = next_elem(dbs ? dbs->children : NULL, "DBInstance"); it && rc == FC_OK;
         it = next_elem(it->next, "DBInstance")) {
        fc_resource *r;
        if ((rc = add_item(p, &r, FC_RES_RDS_INSTANCE, account, region, it,
                           "DBInstanceIdentifier", "DescribeDBInstances: instance")) != FC_OK)
            break;
        r->name = fc_strdup(r->id);
        r->state = text(it, "DBInstanceStatus");
        r->size_class = text(it, "DBInstanceClass");
        r->size = num(it, "AllocatedStorage");
        r->created = when(it, "InstanceCreateTime");
        p->arns[p->n - 1] = text(it, "DBInstanceArn");
        if (!r->name || xml_tags(child(it, "TagList"), &r->tags, &r->ntags))
            rc = oom();
        else {
            char *engine = text(it, "Engine");
            if (engine && add_tag(&r->attrs, &r->nattrs, "engine", engine))
                rc = oom();
            free(engine);
        }
    }
    if (rc == FC_OK)
        rc = set_next(p, root, "Marker");
    xmlFreeDoc(doc);
    return rc;
}

/* ---- S3 ------------------------------------------------------------------------------ */

int aws_parse_s3_buckets(aws_page *p, const char *body, size_t len,
                         const char *account)
{
    xmlDoc *doc;
    xmlNode *root, *bs, *it;
    int rc;

    if ((rc = open_doc(&doc, &root, body, len, "ListBuckets")))
        return rc;
    bs = find(root, "Buckets");
    for (it = next_elem(bs ? bs->children : NULL, "Bucket"); it && rc == FC_OK;
         it = next_elem(it->next, "Bucket")) {
        fc_resource *r;
        if ((rc = add_item(p, &r, FC_RES_S3_BUCKET, account, NULL, it, "Name",
                           "ListBuckets: bucket")) != FC_OK)
            break;
        r->name = fc_strdup(r->id);
        r->state = fc_strdup("available");
        r->created = when(it, "CreationDate");
        if (!r->name || !r->state)
            rc = oom();
    }
    if (rc == FC_OK)
        rc = set_next(p, root, "ContinuationToken");
    xmlFreeDoc(doc);
    return rc;
}

int aws_parse_s3_location(const char *body, size_t len, char *region, size_t size)
{
    xmlDoc *doc;
    xmlNode *root;
    char *t;
    int rc;

    if ((rc = open_doc(&doc, &root, body, len, "GetBucketLocation")))
        return rc;
    t = text(root, NULL);
    if (!t || !*t)
        snprintf(region, size, "us-east-1");
    else if (strcmp(t, "EU") == 0)
        snprintf(region, size, "eu-west-1");
    else
        snprintf(region, size, "%s", t);
    free(t);
    xmlFreeDoc(doc);
    return FC_OK;
}

/* ---- STS ------------------------------------------------------------------------------ */

int aws_parse_sts_creds(const char *body, size_t len, aws_creds *out)
{
    xmlDoc *doc;
    xmlNode *root, *c;
    char *exp = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = open_doc(&doc, &root, body, len, "AssumeRole")))
        return rc;
    if (!(c = find(root, "Credentials"))) {
        xmlFreeDoc(doc);
        return fc_error_set(FC_EPARSE, "aws: STS response without Credentials");
    }
    out->access_key = text(c, "AccessKeyId");
    out->secret_key = text(c, "SecretAccessKey");
    out->token = text(c, "SessionToken");
    exp = text(c, "Expiration");
    if (exp)
        aws_parse_time(exp, &out->expiration);
    free(exp);
    xmlFreeDoc(doc);
    if (!out->access_key || !out->secret_key) {
        aws_creds_dispose(out);
        return fc_error_set(FC_EPARSE, "aws: STS credentials without a key pair");
    }
    out->source = "assume-role";
    return FC_OK;
}

int aws_parse_caller_account(const char *body, size_t len, char *account, size_t size)
{
    xmlDoc *doc;
    xmlNode *root, *a;
    char *t = NULL;
    int rc;

    if ((rc = open_doc(&doc, &root, body, len, "GetCallerIdentity")))
        return rc;
    if ((a = find(root, "Account")))
        t = text(a, NULL);
    xmlFreeDoc(doc);
    if (!t)
        return fc_error_set(FC_EPARSE, "aws: GetCallerIdentity without Account");
    snprintf(account, size, "%s", t);
    free(t);
    return FC_OK;
}

/* ---- JSON ---------------------------------------------------------------------------- */

static struct json_object *json_read(const char *body, size_t len)
{
    struct json_tokener *tok;
    struct json_object *o;
    if (!body || !len || len > 0x7fffffff)
        return NULL;
    if (!(tok = json_tokener_new_ex(64)))
        return NULL;
    o = json_tokener_parse_ex(tok, body, (int)len);
    if (json_tokener_get_error(tok) != json_tokener_success) {
        json_object_put(o);
        o = NULL;
    }
    json_tokener_free(tok);
    return o;
}

static const char *jstr(struct json_object *o, const char *key)
{
    struct json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

int aws_parse_imds_creds(const char *body, size_t len, aws_creds *out)
{
    struct json_object *o = json_read(body, len);
    const char *code, *exp;

    memset(out, 0, sizeof(*out));
    if (!o || !json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        return fc_error_set(FC_EPARSE, "aws: IMDS credentials are not a JSON object");
    }
    code = jstr(o, "Code");
    if (code && strcmp(code, "Success") != 0) {
        /* code points into o: format the message before releasing it. */
        int rc = fc_error_set(FC_EDENIED, "aws: IMDS credentials: %.80s", code);
        json_object_put(o);
        return rc;
    }
    out->access_key = fc_strdup(jstr(o, "AccessKeyId"));
    out->secret_key = fc_strdup(jstr(o, "SecretAccessKey"));
    out->token = fc_strdup(jstr(o, "Token"));
    if ((exp = jstr(o, "Expiration")))
        aws_parse_time(exp, &out->expiration);
    json_object_put(o);
    if (!out->access_key || !out->secret_key) {
        aws_creds_dispose(out);
        return fc_error_set(FC_EPARSE, "aws: IMDS credentials without a key pair");
    }
    out->source = "imds";
    return FC_OK;
}

int aws_parse_lambda_functions(aws_page *p, const char *body, size_t len,
                               const char *account, const char *region)
{
    struct json_object *o = json_read(body, len), *fns;
    size_t i, n;
    int rc = FC_OK;

    if (!o || !json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        return fc_error_set(FC_EPARSE, "aws: ListFunctions: malformed JSON response");
    }
    if (json_object_object_get_ex(o, "Functions", &fns) &&
        json_object_is_type(fns, json_type_array)) {
        n = json_object_array_length(fns);
        for (i = 0; i < n && rc == FC_OK; i++) {
            struct json_object *f = json_object_array_get_idx(fns, i), *v;
            const char *name = jstr(f, "FunctionName"), *s;
            fc_resource *r;
            if (!name) {
                rc = fc_error_set(FC_EPARSE, "aws: ListFunctions: function without "
                                             "FunctionName");
                break;
            }
            if (!(r = page_add(p, FC_RES_LAMBDA_FUNCTION, account, region)) ||
                !(r->id = fc_strdup(name)) || !(r->name = fc_strdup(name))) {
                rc = oom();
                break;
            }
            /* ListFunctions leaves State out for most functions: Active. */
            s = jstr(f, "State");
            r->state = fc_strdup(s ? s : "Active");
            if ((s = jstr(f, "Runtime")))
                r->size_class = fc_strdup(s);
            else if ((s = jstr(f, "PackageType")))
                r->size_class = fc_strdup(s);
            if (json_object_object_get_ex(f, "MemorySize", &v))
                r->size = json_object_get_double(v);
            if ((s = jstr(f, "LastModified")))
                aws_parse_time(s, &r->created);
            if ((s = jstr(f, "FunctionArn")) && !(p->arns[p->n - 1] = fc_strdup(s)))
                rc = oom();
            if (json_object_object_get_ex(f, "Architectures", &v) &&
                json_object_is_type(v, json_type_array) && json_object_array_length(v) > 0 &&
                (s = json_object_get_string(json_object_array_get_idx(v, 0))) &&
                add_tag(&r->attrs, &r->nattrs, "architecture", s))
                rc = oom();
            if (!r->state)
                rc = oom();
        }
    }
    free(p->next);
    p->next = fc_strdup(jstr(o, "NextMarker"));
    json_object_put(o);
    return rc;
}

int aws_parse_json_tags(aws_tagsets *out, const char *body, size_t len)
{
    struct json_object *o = json_read(body, len), *tags;
    aws_tagset *s;
    int rc = FC_OK;

    if (!o || !json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        return fc_error_set(FC_EPARSE, "aws: ListTags: malformed JSON response");
    }
    if (!(s = tagset_add(out, NULL))) {
        json_object_put(o);
        return oom();
    }
    if (json_object_object_get_ex(o, "Tags", &tags) &&
        json_object_is_type(tags, json_type_object)) {
        json_object_object_foreach(tags, k, v)
        {
            if (rc == FC_OK && add_tag(&s->tags, &s->ntags, k, json_object_get_string(v)))
                rc = oom();
        }
    }
    json_object_put(o);
    return rc;
}

/* ---- CloudWatch -------------------------------------------------------------------------- */

void aws_metric_page_dispose(aws_metric_page *m)
{
    size_t i;
    for (i = 0; i < m->n; i++) {
        free(m->q[i].id);
        free(m->q[i].t);
        free(m->q[i].v);
    }
    free(m->q);
    free(m->next);
    memset(m, 0, sizeof(*m));
}

static aws_points *points_for(aws_metric_page *m, const char *id)
{
    aws_points *q;
    size_t i;
    for (i = 0; i < m->n; i++)
        if (strcmp(m->q[i].id, id) == 0)
            return &m->q[i];
    if (!(q = realloc(m->q, (m->n + 1) * sizeof(*q))))
        return NULL;
    m->q = q;
    q = &m->q[m->n];
    memset(q, 0, sizeof(*q));
    if (!(q->id = fc_strdup(id)))
        return NULL;
    m->n++;
    return q;
}

static int point_add(aws_points *q, int64_t t, double v)
{
    if (q->n == q->cap) {
        size_t nc = q->cap ? q->cap * 2 : 64;
        int64_t *nt = realloc(q->t, nc * sizeof(*nt));
        double *nv;
        if (!nt)
            return FC_ENOMEM;
        q->t = nt;
        if (!(nv = realloc(q->v, nc * sizeof(*nv))))
            return FC_ENOMEM;
        q->v = nv;
        q->cap = nc;
    }
    q->t[q->n] = t;
    q->v[q->n] = v;
    q->n++;
    return FC_OK;
}

int aws_parse_metric_data(aws_metric_page *m, const char *body, size_t len)
{
    xmlDoc *doc;
    xmlNode *root, *rs, *it, *n;
    int rc;

    if ((rc = open_doc(&doc, &root, body, len, "GetMetricData")))
        return rc;
    rs = find(root, "MetricDataResults");
    for (it = rs ? rs->children : NULL; it && rc == FC_OK; it = it->next) {
        xmlNode *ts, *vs, *t, *v;
        char *id;
        aws_points *q;
        if (!is_elem(it, "member"))
            continue;
        if (!(id = text(it, "Id"))) {
            rc = fc_error_set(FC_EPARSE, "aws: GetMetricData: result without Id");
            break;
        }
        q = points_for(m, id);
        free(id);
        if (!q) {
            rc = oom();
            break;
        }
        ts = child(it, "Timestamps");
        vs = child(it, "Values");
        t = ts ? ts->children : NULL;
        v = vs ? vs->children : NULL;
        for (;;) {
            char *st, *sv;
            int64_t when_t = 0;
            double val;
            while (t && !is_elem(t, "member"))
                t = t->next;
            while (v && !is_elem(v, "member"))
                v = v->next;
            if (!t || !v)
                break;
            st = text(t, NULL);
            sv = text(v, NULL);
            val = sv ? strtod(sv, NULL) : 0;
            if (!st || aws_parse_time(st, &when_t) != 0) {
                free(st);
                free(sv);
                rc = fc_error_set(FC_EPARSE, "aws: GetMetricData: bad timestamp");
                break;
            }
            free(st);
            free(sv);
            if (point_add(q, when_t, isfinite(val) ? val : 0)) {
                rc = oom();
                break;
            }
            t = t->next;
            v = v->next;
        }
    }
    free(m->next);
    n = find(root, "NextToken");
    m->next = n ? text(n, NULL) : NULL;
    xmlFreeDoc(doc);
    return rc;
}

int aws_points_series(const aws_points *p, int64_t end, int32_t step,
                      int64_t *start, double **values, size_t *n)
{
    int64_t first = INT64_MAX;
    size_t i, cnt;
    double *v;

    *values = NULL;
    *n = 0;
    *start = 0;
    for (i = 0; i < p->n; i++)
        if (p->t[i] < first && p->t[i] < end)
            first = p->t[i];
    if (first == INT64_MAX || step <= 0)
        return FC_OK;
    first -= ((first % step) + step) % step;
    cnt = (size_t)((end - first + step - 1) / step);
    if (!(v = calloc(cnt ? cnt : 1, sizeof(*v))))
        return FC_ENOMEM;
    for (i = 0; i < p->n; i++) {
        int64_t k;
        if (p->t[i] < first || p->t[i] >= end)
            continue;
        k = (p->t[i] - first) / step;
        v[k] = p->v[i];
    }
    *start = first;
    *values = v;
    *n = cnt;
    return FC_OK;
}

/* ---- Cost Explorer ---------------------------------------------------------------- */

int aws_parse_costs(fc_inventory *inv, char **next, const char *account,
                    const char *body, size_t len)
{
    struct json_object *o = json_read(body, len), *rbt;
    size_t i, j, n;
    int rc = FC_OK;

    if (!o || !json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        return fc_error_set(FC_EPARSE, "aws: GetCostAndUsage: malformed JSON response");
    }
    if (json_object_object_get_ex(o, "ResultsByTime", &rbt) &&
        json_object_is_type(rbt, json_type_array)) {
        n = json_object_array_length(rbt);
        for (i = 0; i < n && rc == FC_OK; i++) {
            struct json_object *r = json_object_array_get_idx(rbt, i), *tp, *gs;
            const char *start;
            int64_t day;
            if (!json_object_object_get_ex(r, "TimePeriod", &tp) ||
                !(start = jstr(tp, "Start")) || aws_parse_time(start, &day) != 0) {
                rc = fc_error_set(FC_EPARSE, "aws: GetCostAndUsage: result without "
                                             "TimePeriod.Start");
                break;
            }
            if (!json_object_object_get_ex(r, "Groups", &gs) ||
                !json_object_is_type(gs, json_type_array))
                continue;
            for (j = 0; j < json_object_array_length(gs) && rc == FC_OK; j++) {
                struct json_object *g = json_object_array_get_idx(gs, j), *keys, *ms, *uc;
                const char *svc, *amt;
                if (!json_object_object_get_ex(g, "Keys", &keys) ||
                    !json_object_is_type(keys, json_type_array) ||
                    json_object_array_length(keys) < 1 ||
                    !(svc = json_object_get_string(json_object_array_get_idx(keys, 0))))
                    continue;
                if (!json_object_object_get_ex(g, "Metrics", &ms) ||
                    !json_object_object_get_ex(ms, "UnblendedCost", &uc) ||
                    !(amt = jstr(uc, "Amount")))
                    continue;
                if (!inv->currency && jstr(uc, "Unit"))
                    inv->currency = fc_strdup(jstr(uc, "Unit"));
                rc = fc_inventory_add_cost(inv, account, svc, day, strtod(amt, NULL));
            }
        }
    }
    free(*next);
    *next = fc_strdup(jstr(o, "NextPageToken"));
    json_object_put(o);
    return rc;
}

/* ---- EC2 actions ---------------------------------------------------------------------- */

int aws_parse_action(const char *kind, const char *body, size_t len,
                     fc_action_result *out)
{
    xmlDoc *doc;
    xmlNode *root, *n;
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = open_doc(&doc, &root, body, len, kind)))
        return rc;
    if (strcmp(kind, "stop-instances") == 0 || strcmp(kind, "start-instances") == 0) {
        n = find(root, "currentState");
        out->state = n ? text(n, "name") : NULL;
    } else if (strcmp(kind, "modify-volume-type") == 0) {
        n = find(root, "volumeModification");
        out->state = n ? text(n, "modificationState") : NULL;
    } else if (strcmp(kind, "create-snapshot") == 0) {
        out->new_id = text(root, "snapshotId");
        out->state = text(root, "status");
    } else if (strcmp(kind, "create-volume-from-snapshot") == 0) {
        out->new_id = text(root, "volumeId");
        out->state = text(root, "status");
    } else if (strcmp(kind, "delete-volume") == 0 || strcmp(kind, "delete-snapshot") == 0) {
        out->state = fc_strdup("deleted");
    } else if (strcmp(kind, "release-address") == 0) {
        out->state = fc_strdup("released");
    }
    xmlFreeDoc(doc);
    return FC_OK;
}
