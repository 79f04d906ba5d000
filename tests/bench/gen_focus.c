/*
 * gen_focus.c - writes a deterministic FOCUS 1.0 CSV.gz for bench_ingest.sh.
 *
 * Usage: gen_focus OUT.csv.gz ROWS
 * 20 columns like an AWS FOCUS export: 20,000 resources, each in one of
 * 20 accounts, 24 services and 8 regions with two of 40 usage types, over
 * 31 days of hourly-ish rows (about 1.2 million resource-days), quoted
 * descriptions with commas and quotes.  Built and run by the bench only.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <zlib.h>

static uint64_t s = 42;

static uint64_t rnd(void)
{
    uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static const char *const services[] = {
    "Amazon Elastic Compute Cloud", "Amazon Simple Storage Service", "AWS Lambda",
    "Amazon Relational Database Service", "AWS Data Transfer", "Amazon CloudWatch",
    "Amazon Virtual Private Cloud", "Elastic Load Balancing", "Amazon DynamoDB",
    "Amazon ElastiCache", "Amazon Elastic Container Service", "Amazon Elastic Kubernetes Service",
    "Amazon Simple Queue Service", "Amazon Simple Notification Service", "AWS Key Management Service",
    "Amazon Route 53", "AWS Glue", "Amazon Athena", "Amazon Kinesis", "Amazon Redshift",
    "AWS Backup", "Amazon Elastic File System", "AWS Secrets Manager", "Amazon API Gateway"};
static const char *const regions[] = {"us-east-1", "us-west-2", "eu-west-1", "eu-central-1",
                                      "ap-southeast-1", "ap-northeast-1", "sa-east-1",
                                      "ca-central-1"};

int main(int argc, char **argv)
{
    gzFile f;
    long rows, i;
    if (argc != 3 || (rows = atol(argv[2])) <= 0) {
        fprintf(stderr, "usage: gen_focus OUT.csv.gz ROWS\n");
        return 2;
    }
    if (!(f = gzopen(argv[1], "wb6"))) {
        perror(argv[1]);
        return 1;
    }
    gzbuffer(f, 1 << 20);
    gzprintf(f, "BilledCost,EffectiveCost,ListCost,BillingCurrency,BillingPeriodStart,"
                "ChargePeriodStart,ChargePeriodEnd,ChargeCategory,ChargeDescription,"
                "BillingAccountId,SubAccountId,SubAccountName,ProviderName,ServiceName,"
                "ServiceCategory,RegionId,ResourceId,ResourceType,x_UsageType,"
                "ConsumedQuantity\n");
    for (i = 0; i < rows; i++) {
        /* A resource lives in one account, service and region and has two
         * usage types, as in a real export. */
        uint64_t r = rnd();
        unsigned res = (unsigned)(r % 20000);
        unsigned acct = res % 20, svc = (res / 20) % 24, reg = (res / 480) % 8;
        unsigned ut = (res + (unsigned)((r >> 40) & 1)) % 40;
        unsigned day = (unsigned)(i * 31 / rows) + 1, hour = (unsigned)((r >> 48) % 24);
        double cost = (double)((r >> 20) % 100000) / 10000.0;
        gzprintf(f,
                 "%.6f,%.6f,%.6f,USD,2026-10-01T00:00:00Z,2026-10-%02uT%02u:00:00Z,"
                 "2026-10-%02uT%02u:59:59Z,Usage,\"%s, usage type %u, \"\"on demand\"\"\","
                 "999999999999,1000000000%02u,account-%02u,AWS,%s,Compute,%s,"
                 "arn:aws:ec2:%s:1000000000%02u:instance/i-%012u,Instance,"
                 "%s-UsageType-%02u,%.4f\n",
                 cost, cost * 0.9, cost * 1.1, day, hour, day, hour, services[svc], ut, acct,
                 acct, services[svc], regions[reg], regions[reg], acct, res, regions[reg], ut,
                 cost * 3.7);
    }
    return gzclose(f) == Z_OK ? 0 : 1;
}
