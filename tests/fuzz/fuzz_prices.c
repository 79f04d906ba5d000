/*
 * fuzz_prices.c - the price catalogue (controller/engines/prices.c for the
 * compact YAML, prices_csv.c for AWS Price List CSV offers), one file's
 * bytes through fc_prices_parse(), then a few look-ups on what loaded.
 */
#include "tests/fuzz/fuzz.h"

#include "controller/engines/fc_engines.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fc_price_table *p = NULL;
    const fc_price *first;
    size_t n;
    double v;

    if (fc_prices_parse(&p, (const char *)data, size, "fuzz-prices") != 0)
        return 0;
    fc_prices_ec2_hourly(p, "eu-west-1", "m5.large", &v);
    fc_prices_ebs_gb_month(p, "eu-west-1", "gp3", &v);
    fc_prices_rds_hourly(p, "us-east-1", "postgres", "db.t3.micro", &v);
    fc_prices_ec2_region(p, "us-east-1", &first, &n);
    fc_prices_free(p);
    return 0;
}
