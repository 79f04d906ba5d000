/*
 * prices_csv.c - AWS Price List bulk offer files (CSV) into the price
 * builder.
 *
 * Stage: engine input (price catalogue).  An offer file has a few metadata
 * records ("FormatVersion", "Disclaimer", "Publication Date", "Version",
 * "OfferCode"), then a header row naming the columns (SKU, OfferTermCode,
 * RateCode, TermType, PriceDescription, ..., Unit, PricePerUnit, Currency,
 * ..., Product Family, Region Code, Instance Type, vCPU, Memory, ...), then
 * one row per price dimension.  Columns are found by name, so any subset
 * and order works.  Rows are streamed (the real AmazonEC2 file is several
 * GB) and kept only when they are a price the rules use:
 *
 *   Compute Instance   OnDemand, Linux, Shared tenancy, CapacityStatus Used,
 *                      no pre-installed software, RunInstances  -> ec2
 *   Storage (EC2)      Volume API Name, GB-Mo                   -> ebs
 *   Storage Snapshot   EBS:SnapshotUsage / SnapshotArchiveStorage -> other
 *   IP Address         ...:IdleAddress                          -> eip-idle
 *   Load Balancer-*    ...LoadBalancerUsage, Hrs    -> alb/nlb/gwlb/clb-hour
 *   Database Instance  Single-AZ, open-source engines           -> rds
 *   Serverless         AWS-Lambda-Duration[-ARM], -Requests[-ARM] -> other
 *   Storage (S3)       Standard, Standard-IA, Glacier ...       -> other
 *
 * Only the first price tier (StartingRange 0) is kept.  Everything else is
 * skipped silently; malformed rows fail with file:line and the column.
 */
#include "controller/core/fc_csv.h"
#include "controller/engines/engines_int.h"
#include "controller/core/fc_error.h"
#include "controller/core/fc_util.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PREAMBLE 20 /* records before the header */

enum {
    C_TERM,
    C_PRICE,
    C_UNIT,
    C_CURRENCY,
    C_START_RANGE,
    C_FAMILY,
    C_SERVICE,
    C_REGION,
    C_LOCATION,
    C_LOCATION_TYPE,
    C_INSTANCE_TYPE,
    C_VCPU,
    C_MEMORY,
    C_PROCESSOR,
    C_ARCH,
    C_OS,
    C_TENANCY,
    C_PRE_SW,
    C_CAPACITY,
    C_LICENSE,
    C_OPERATION,
    C_VOLUME_API,
    C_USAGE,
    C_ENGINE,
    C_DEPLOYMENT,
    C_GROUP,
    C_VOLUME_TYPE,
    C__COUNT
};

static const char *const column_names[C__COUNT] = {
    "TermType",          "PricePerUnit",     "Unit",
    "Currency",          "StartingRange",    "Product Family",
    "serviceCode",       "Region Code",      "Location",
    "Location Type",     "Instance Type",    "vCPU",
    "Memory",            "Physical Processor", "Processor Architecture",
    "Operating System",  "Tenancy",          "Pre Installed S/W",
    "CapacityStatus",    "License Model",    "operation",
    "Volume API Name",   "usageType",        "Database Engine",
    "Deployment Option", "Group",            "Volume Type",
};

/* Old offer files carry only Location; these are the regions we map. */
static const struct {
    const char *location;
    const char *code;
} locations[] = {
    {"US East (N. Virginia)", "us-east-1"},
    {"US East (Ohio)", "us-east-2"},
    {"US West (N. California)", "us-west-1"},
    {"US West (Oregon)", "us-west-2"},
    {"Canada (Central)", "ca-central-1"},
    {"South America (Sao Paulo)", "sa-east-1"},
    {"EU (Ireland)", "eu-west-1"},
    {"EU (London)", "eu-west-2"},
    {"EU (Paris)", "eu-west-3"},
    {"EU (Frankfurt)", "eu-central-1"},
    {"EU (Stockholm)", "eu-north-1"},
    {"EU (Milan)", "eu-south-1"},
    {"Asia Pacific (Tokyo)", "ap-northeast-1"},
    {"Asia Pacific (Seoul)", "ap-northeast-2"},
    {"Asia Pacific (Singapore)", "ap-southeast-1"},
    {"Asia Pacific (Sydney)", "ap-southeast-2"},
    {"Asia Pacific (Mumbai)", "ap-south-1"},
};

/* Price List engine names -> the engine names RDS APIs report. */
static const struct {
    const char *list;
    const char *api;
} engines[] = {
    {"PostgreSQL", "postgres"},
    {"MySQL", "mysql"},
    {"MariaDB", "mariadb"},
    {"Aurora PostgreSQL", "aurora-postgresql"},
    {"Aurora MySQL", "aurora-mysql"},
};

/* S3 Volume Type -> key in the `other` section. */
static const struct {
    const char *volume_type;
    const char *key;
} s3_classes[] = {
    {"Standard", "s3-standard"},
    {"Standard - Infrequent Access", "s3-standard-ia"},
    {"One Zone - Infrequent Access", "s3-onezone-ia"},
    {"Amazon Glacier", "s3-glacier"},
    {"Glacier Flexible Retrieval", "s3-glacier"},
    {"Glacier Instant Retrieval", "s3-glacier-ir"},
    {"Glacier Deep Archive", "s3-deep-archive"},
};

typedef struct {
    fc_price_builder *b;
    const char *name;
    int col[C__COUNT];     /* field index, -1 when the file lacks it */
    char offer[64];        /* OfferCode from the preamble, "" when absent */
    char *const *f;
    size_t nf;
    unsigned line;
    size_t kept;
} ctx;

static const char *col(const ctx *c, int which)
{
    int i = c->col[which];
    if (i < 0 || (size_t)i >= c->nf)
        return NULL;
    return c->f[i];
}

/* Column equals value; an absent column passes (older files lack some). */
static int is_or_absent(const ctx *c, int which, const char *value)
{
    const char *v = col(c, which);
    return !v || strcmp(v, value) == 0;
}

static int eq(const char *a, const char *b)
{
    return a && strcmp(a, b) == 0;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n, m;
    if (!s)
        return 0;
    n = strlen(s);
    m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static const char *region_of(const ctx *c)
{
    const char *r = col(c, C_REGION), *loc;
    size_t i;
    if (r && *r)
        return r;
    if (!(loc = col(c, C_LOCATION)))
        return NULL;
    for (i = 0; i < FC_ARRAY_LEN(locations); i++)
        if (strcmp(locations[i].location, loc) == 0)
            return locations[i].code;
    return NULL;
}

/* "8 GiB", "0.5 GiB", "1,952 GiB"; 0 for "NA" or empty. */
static double parse_memory(const char *s)
{
    char buf[64];
    size_t n = 0;
    if (!s)
        return 0;
    for (; *s && n + 1 < sizeof(buf); s++) {
        if (*s == ',')
            continue;
        if (!((*s >= '0' && *s <= '9') || *s == '.'))
            break;
        buf[n++] = *s;
    }
    buf[n] = '\0';
    return n ? strtod(buf, NULL) : 0;
}

static int number(const ctx *c, int which, double *out)
{
    const char *v = col(c, which);
    char *end;
    double d;
    if (!v || !*v)
        return fc_error_set(FC_EPARSE, "%s:%u: %s: missing value", c->name,
                            c->line, column_names[which]);
    errno = 0;
    d = strtod(v, &end);
    if (*end || errno || !isfinite(d) || d < 0)
        return fc_error_set(FC_EPARSE,
                            "%s:%u: %s: '%.40s' is not a price (a number >= 0)",
                            c->name, c->line, column_names[which], v);
    *out = d;
    return FC_OK;
}

static int add(ctx *c, fc_price_section sec, const char *region,
               const char *key, double price, double vcpu, double mem,
               const char *proc)
{
    c->kept++;
    return fc_price_builder_add(c->b, sec, region, key, price, vcpu, mem, proc,
                                c->name, c->line);
}

static int ec2_instance(ctx *c, const char *region, double price)
{
    const char *type = col(c, C_INSTANCE_TYPE), *proc = col(c, C_PROCESSOR);
    const char *arch = col(c, C_ARCH), *vcpu = col(c, C_VCPU);
    int arm;

    if (!eq(col(c, C_OS), "Linux") || !is_or_absent(c, C_TENANCY, "Shared") ||
        !is_or_absent(c, C_PRE_SW, "NA") ||
        !is_or_absent(c, C_CAPACITY, "Used") ||
        !is_or_absent(c, C_LICENSE, "No License required") ||
        !is_or_absent(c, C_OPERATION, "RunInstances") ||
        !eq(col(c, C_UNIT), "Hrs") || !type || !*type)
        return FC_OK;
    arm = (proc && strstr(proc, "Graviton")) || (arch && strstr(arch, "ARM")) ||
          (arch && strstr(arch, "Arm"));
    return add(c, PSEC_EC2, region, type, price,
               vcpu ? strtod(vcpu, NULL) : 0, parse_memory(col(c, C_MEMORY)),
               arm ? "arm64" : "x86_64");
}

static int rds_instance(ctx *c, const char *region, double price)
{
    const char *engine = col(c, C_ENGINE), *type = col(c, C_INSTANCE_TYPE);
    const char *vcpu = col(c, C_VCPU);
    char key[160];
    size_t i;

    if (!eq(col(c, C_DEPLOYMENT), "Single-AZ") || !eq(col(c, C_UNIT), "Hrs") ||
        !engine || !type || !*type)
        return FC_OK;
    /* Oracle and SQL Server prices vary by edition and licence: skipped. */
    for (i = 0; i < FC_ARRAY_LEN(engines); i++)
        if (strcmp(engines[i].list, engine) == 0)
            break;
    if (i == FC_ARRAY_LEN(engines))
        return FC_OK;
    snprintf(key, sizeof(key), "%s:%s", engines[i].api, type);
    return add(c, PSEC_RDS, region, key, price, vcpu ? strtod(vcpu, NULL) : 0,
               parse_memory(col(c, C_MEMORY)), NULL);
}

/* One data row. */
static int row(ctx *c)
{
    const char *service = col(c, C_SERVICE), *family = col(c, C_FAMILY);
    const char *usage = col(c, C_USAGE), *unit = col(c, C_UNIT);
    const char *region, *range = col(c, C_START_RANGE), *cur;
    double price = 0;
    size_t i;
    int rc;

    if (!eq(col(c, C_TERM), "OnDemand"))
        return FC_OK;
    if (range && *range && strtod(range, NULL) != 0)
        return FC_OK; /* a later price tier */
    if (!is_or_absent(c, C_LOCATION_TYPE, "AWS Region"))
        return FC_OK; /* Local Zones, Wavelength, Outposts */
    if (!(region = region_of(c)))
        return FC_OK;
    if (!service || !*service)
        service = c->offer;
    if (!family)
        family = "";

    /* Classify first: a bad price in a row we skip must not fail. */
    if (strcmp(family, "Compute Instance") == 0 ||
        strcmp(family, "Database Instance") == 0 ||
        (strcmp(family, "Storage") == 0 && strcmp(service, "AmazonEC2") == 0 &&
         col(c, C_VOLUME_API) && *col(c, C_VOLUME_API)) ||
        strcmp(family, "Storage Snapshot") == 0 ||
        strcmp(family, "IP Address") == 0 ||
        strncmp(family, "Load Balancer", 13) == 0 ||
        (strcmp(service, "AWSLambda") == 0) ||
        (strcmp(family, "Storage") == 0 && strcmp(service, "AmazonS3") == 0))
        ;
    else
        return FC_OK;

    if ((rc = number(c, C_PRICE, &price)) != 0)
        return rc;
    if ((cur = col(c, C_CURRENCY)) != NULL && *cur &&
        (rc = fc_price_builder_currency(c->b, cur, c->name, c->line)) != 0)
        return rc;

    if (strcmp(family, "Compute Instance") == 0)
        return strcmp(service, "AmazonEC2") == 0 ? ec2_instance(c, region, price)
                                                 : FC_OK;
    if (strcmp(family, "Database Instance") == 0)
        return rds_instance(c, region, price);
    if (strcmp(family, "Storage Snapshot") == 0) {
        if (!eq(unit, "GB-Mo"))
            return FC_OK;
        if (ends_with(usage, "EBS:SnapshotUsage"))
            return add(c, PSEC_OTHER, region, "snapshot", price, 0, 0, NULL);
        if (ends_with(usage, "EBS:SnapshotArchiveStorage"))
            return add(c, PSEC_OTHER, region, "snapshot-archive", price, 0, 0,
                       NULL);
        return FC_OK;
    }
    if (strcmp(family, "IP Address") == 0) {
        if (eq(unit, "Hrs") && (ends_with(usage, "ElasticIP:IdleAddress") ||
                                ends_with(usage, "PublicIPv4:IdleAddress")))
            return add(c, PSEC_OTHER, region, "eip-idle", price, 0, 0, NULL);
        return FC_OK;
    }
    if (strncmp(family, "Load Balancer", 13) == 0) {
        const char *key = strcmp(family, "Load Balancer-Application") == 0
                              ? "alb-hour"
                          : strcmp(family, "Load Balancer-Network") == 0
                              ? "nlb-hour"
                          : strcmp(family, "Load Balancer-Gateway") == 0
                              ? "gwlb-hour"
                          : strcmp(family, "Load Balancer") == 0 ? "clb-hour"
                                                                 : NULL;
        if (key && eq(unit, "Hrs") && ends_with(usage, "LoadBalancerUsage"))
            return add(c, PSEC_OTHER, region, key, price, 0, 0, NULL);
        return FC_OK;
    }
    if (strcmp(service, "AWSLambda") == 0) {
        const char *g = col(c, C_GROUP);
        if (eq(g, "AWS-Lambda-Duration"))
            return add(c, PSEC_OTHER, region, "lambda-gb-second", price, 0, 0,
                       NULL);
        if (eq(g, "AWS-Lambda-Duration-ARM"))
            return add(c, PSEC_OTHER, region, "lambda-gb-second-arm", price, 0,
                       0, NULL);
        if (eq(g, "AWS-Lambda-Requests"))
            return add(c, PSEC_OTHER, region, "lambda-request", price, 0, 0,
                       NULL);
        if (eq(g, "AWS-Lambda-Requests-ARM"))
            return add(c, PSEC_OTHER, region, "lambda-request-arm", price, 0,
                       0, NULL);
        return FC_OK;
    }
    if (strcmp(service, "AmazonS3") == 0) {
        const char *vt = col(c, C_VOLUME_TYPE);
        if (!eq(unit, "GB-Mo") || !vt)
            return FC_OK;
        for (i = 0; i < FC_ARRAY_LEN(s3_classes); i++)
            if (strcmp(s3_classes[i].volume_type, vt) == 0)
                return add(c, PSEC_OTHER, region, s3_classes[i].key, price, 0,
                           0, NULL);
        return FC_OK;
    }
    /* EBS volume storage (GB-Mo; IOPS and throughput rows have other
     * units). */
    if (eq(unit, "GB-Mo"))
        return add(c, PSEC_EBS, region, col(c, C_VOLUME_API), price, 0, 0,
                   NULL);
    return FC_OK;
}

static int header(ctx *c)
{
    size_t i;
    int j;
    for (j = 0; j < C__COUNT; j++)
        c->col[j] = -1;
    for (i = 0; i < c->nf; i++)
        for (j = 0; j < C__COUNT; j++)
            if (c->col[j] < 0 && strcmp(c->f[i], column_names[j]) == 0)
                c->col[j] = (int)i;
    if (c->col[C_TERM] < 0 || c->col[C_PRICE] < 0 || c->col[C_UNIT] < 0)
        return fc_error_set(FC_EPARSE,
                            "%s:%u: header lacks TermType, Unit or PricePerUnit",
                            c->name, c->line);
    if (c->col[C_REGION] < 0 && c->col[C_LOCATION] < 0)
        return fc_error_set(FC_EPARSE,
                            "%s:%u: header lacks both Region Code and Location",
                            c->name, c->line);
    return FC_OK;
}

static int is_header(const ctx *c)
{
    size_t i;
    int price = 0, term = 0;
    for (i = 0; i < c->nf; i++) {
        price |= strcmp(c->f[i], "PricePerUnit") == 0;
        term |= strcmp(c->f[i], "TermType") == 0;
    }
    return price && term;
}

int fc_prices_csv_read(fc_price_builder *b, const char *path, const char *data,
                       size_t len, const char *name)
{
    fc_csv_stream *csv = NULL;
    fc_csv_stream_row r;
    ctx c;
    size_t nrec = 0, ncols = 0;
    int have_header = 0, rc;

    memset(&c, 0, sizeof(c));
    c.b = b;
    c.name = name;
    rc = path ? fc_csv_stream_open(&csv, path) : fc_csv_stream_open_mem(&csv, data, len);
    if (rc)
        return fc_error_wrap(rc, "%s", name);
    for (;;) {
        if ((rc = fc_csv_stream_next(csv, &r)) < 0) {
            rc = fc_error_wrap(rc, "%s", name);
            goto done;
        }
        if (rc == 0)
            break;
        rc = FC_OK;
        c.f = r.fields;
        c.nf = r.n;
        c.line = (unsigned)r.line;
        if (r.error) {
            rc = fc_error_set(FC_EPARSE, "%s:%u: %s", name, c.line, r.error);
            goto done;
        }
        nrec++;
        if (!have_header) {
            if (is_header(&c)) {
                if ((rc = header(&c)) != 0)
                    goto done;
                have_header = 1;
                ncols = c.nf;
                continue;
            }
            if (c.nf >= 2 && strcmp(c.f[0], "OfferCode") == 0)
                snprintf(c.offer, sizeof(c.offer), "%s", c.f[1]);
            if (nrec >= MAX_PREAMBLE) {
                rc = fc_error_set(FC_EPARSE,
                                  "%s:%u: no header row (TermType, ..., "
                                  "PricePerUnit) in the first %d records",
                                  name, c.line, MAX_PREAMBLE);
                goto done;
            }
            continue;
        }
        if (c.nf != ncols) {
            rc = fc_error_set(FC_EPARSE,
                              "%s:%u: %zu fields, the header has %zu", name,
                              c.line, c.nf, ncols);
            goto done;
        }
        if ((rc = row(&c)) != 0)
            goto done;
    }
    if (!have_header)
        rc = fc_error_set(FC_EPARSE,
                          "%s: no header row (TermType, ..., PricePerUnit)",
                          name);
done:
    fc_csv_stream_free(csv);
    return rc;
}
