#!/usr/bin/python3
"""Writes examples/prices/aws-price-list/*.csv: a subset of the AWS Price
List bulk offer files (AmazonEC2, AmazonRDS, AWSLambda, AmazonS3, AWSELB)
for the demo regions, in the offer files' own CSV format, so the real
files can be dropped in instead:

    curl -O https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/AmazonEC2/current/index.csv

Prices are public on-demand list prices (USD) transcribed to the best of
our knowledge (2025); regenerate from the real files for anything that
matters.  The subset also carries rows the loader must skip (reserved
terms, Windows, dedicated tenancy, capacity reservations, later price
tiers, Multi-AZ, Local Zones), as the real files do.  Deterministic:

    python3 examples/prices/gen_price_list.py
"""
import csv
import hashlib
import io
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "aws-price-list")

REGIONS = {
    "us-east-1": ("US East (N. Virginia)", ""),
    "eu-west-1": ("EU (Ireland)", "EU-"),
    "eu-central-1": ("EU (Frankfurt)", "EUC1-"),
}
PUBLISHED = "2025-06-02T18:25:40Z"
EFFECTIVE = "2025-06-01T00:00:00Z"
DISCLAIMER = ("This pricing list is for informational purposes only. All prices "
              "are subject to the additional terms included in the pricing pages "
              "on http://aws.amazon.com. All Free Tier prices are also subject to "
              "the terms included at https://aws.amazon.com/free/")

SIZES = {"nano": (2, 0.5), "micro": (2, 1), "small": (2, 2), "medium": (2, 4),
         "large": (2, 8), "xlarge": (4, 16), "2xlarge": (8, 32)}
# family -> (processor, memory GiB per vCPU for large+ (None: burstable table),
#            medium vCPU)
FAMILIES = {
    "t3": "Intel Skylake E5 2686 v5", "t3a": "AMD EPYC 7571",
    "t4g": "AWS Graviton2 Processor",
    "m5": "Intel Xeon Platinum 8175", "m5a": "AMD EPYC 7571",
    "m6i": "Intel Xeon 8375C (Ice Lake)", "m6g": "AWS Graviton2 Processor",
    "c5": "Intel Xeon Platinum 8124M", "c6i": "Intel Xeon 8375C (Ice Lake)",
    "c6g": "AWS Graviton2 Processor",
    "r5": "Intel Xeon Platinum 8175", "r6i": "Intel Xeon 8375C (Ice Lake)",
    "r6g": "AWS Graviton2 Processor",
    "g4dn": "Intel Xeon Family",
}
GIB_PER_VCPU = {"m": 4, "c": 2, "r": 8, "g": 4}
MULT = {"medium": 0.5, "large": 1, "xlarge": 2, "2xlarge": 4, "4xlarge": 8,
        "8xlarge": 16}

# USD per hour, Linux, shared tenancy: (us-east-1, eu-west-1, eu-central-1)
EC2 = {
    "t3.nano": (0.0052, 0.0057, 0.006), "t3.micro": (0.0104, 0.0114, 0.012),
    "t3.small": (0.0208, 0.0228, 0.024), "t3.medium": (0.0416, 0.0456, 0.048),
    "t3.large": (0.0832, 0.0912, 0.096), "t3.xlarge": (0.1664, 0.1824, 0.192),
    "t3.2xlarge": (0.3328, 0.3648, 0.384),
    "t3a.nano": (0.0047, 0.0051, 0.0054), "t3a.micro": (0.0094, 0.0102, 0.0108),
    "t3a.small": (0.0188, 0.0204, 0.0216), "t3a.medium": (0.0376, 0.0408, 0.0432),
    "t3a.large": (0.0752, 0.0816, 0.0864), "t3a.xlarge": (0.1504, 0.1632, 0.1728),
    "t3a.2xlarge": (0.3008, 0.3264, 0.3456),
    "t4g.nano": (0.0042, 0.0046, 0.0048), "t4g.micro": (0.0084, 0.0092, 0.0096),
    "t4g.small": (0.0168, 0.0184, 0.0192), "t4g.medium": (0.0336, 0.0368, 0.0384),
    "t4g.large": (0.0672, 0.0736, 0.0768), "t4g.xlarge": (0.1344, 0.1472, 0.1536),
    "t4g.2xlarge": (0.2688, 0.2944, 0.3072),
    "m5.large": (0.096, 0.107, 0.115), "m5.xlarge": (0.192, 0.214, 0.23),
    "m5.2xlarge": (0.384, 0.428, 0.46), "m5.4xlarge": (0.768, 0.856, 0.92),
    "m5.8xlarge": (1.536, 1.712, 1.84),
    "m5a.large": (0.086, 0.096, 0.104), "m5a.xlarge": (0.172, 0.192, 0.208),
    "m5a.2xlarge": (0.344, 0.384, 0.416),
    "m6i.large": (0.096, 0.107, 0.115), "m6i.xlarge": (0.192, 0.214, 0.23),
    "m6i.2xlarge": (0.384, 0.428, 0.46), "m6i.4xlarge": (0.768, 0.856, 0.92),
    "m6g.medium": (0.0385, 0.043, 0.046), "m6g.large": (0.077, 0.086, 0.092),
    "m6g.xlarge": (0.154, 0.172, 0.184), "m6g.2xlarge": (0.308, 0.344, 0.368),
    "m6g.4xlarge": (0.616, 0.688, 0.736),
    "c5.large": (0.085, 0.096, 0.097), "c5.xlarge": (0.17, 0.192, 0.194),
    "c5.2xlarge": (0.34, 0.384, 0.388), "c5.4xlarge": (0.68, 0.768, 0.776),
    "c6i.large": (0.085, 0.096, 0.097), "c6i.xlarge": (0.17, 0.192, 0.194),
    "c6i.2xlarge": (0.34, 0.384, 0.388), "c6i.4xlarge": (0.68, 0.768, 0.776),
    "c6g.medium": (0.034, 0.0386, 0.0388), "c6g.large": (0.068, 0.0772, 0.0776),
    "c6g.xlarge": (0.136, 0.1544, 0.1552), "c6g.2xlarge": (0.272, 0.3088, 0.3104),
    "c6g.4xlarge": (0.544, 0.6176, 0.6208),
    "r5.large": (0.126, 0.141, 0.152), "r5.xlarge": (0.252, 0.282, 0.304),
    "r5.2xlarge": (0.504, 0.564, 0.608), "r5.4xlarge": (1.008, 1.128, 1.216),
    "r6i.large": (0.126, 0.141, 0.152), "r6i.xlarge": (0.252, 0.282, 0.304),
    "r6i.2xlarge": (0.504, 0.564, 0.608), "r6i.4xlarge": (1.008, 1.128, 1.216),
    "r6g.medium": (0.0504, 0.0564, 0.0608), "r6g.large": (0.1008, 0.1128, 0.1216),
    "r6g.xlarge": (0.2016, 0.2256, 0.2432), "r6g.2xlarge": (0.4032, 0.4512, 0.4864),
    "r6g.4xlarge": (0.8064, 0.9024, 0.9728),
    "g4dn.xlarge": (0.526, 0.587, 0.658), "g4dn.2xlarge": (0.752, 0.838, 0.94),
}
# USD per GB-month
EBS = {
    "gp2": ("General Purpose", "SSD", (0.10, 0.11, 0.119)),
    "gp3": ("General Purpose", "SSD", (0.08, 0.088, 0.0952)),
    "io1": ("Provisioned IOPS", "SSD", (0.125, 0.138, 0.149)),
    "io2": ("Provisioned IOPS", "SSD", (0.125, 0.138, 0.149)),
    "st1": ("Throughput Optimized HDD", "HDD", (0.045, 0.05, 0.054)),
    "sc1": ("Cold HDD", "HDD", (0.015, 0.0168, 0.018)),
    "standard": ("Magnetic", "HDD", (0.05, 0.055, 0.059)),
}
SNAPSHOT = (0.05, 0.05, 0.054)
SNAPSHOT_ARCHIVE = (0.0125, 0.0125, 0.0135)
EIP_IDLE = (0.005, 0.005, 0.005)
# RDS Single-AZ, USD per hour: class -> (vCPU, GiB, {engine: prices})
RDS = {
    "db.t3.micro": (2, 1, {"MySQL": (0.017, 0.018, 0.02), "PostgreSQL": (0.018, 0.019, 0.021)}),
    "db.t3.small": (2, 2, {"MySQL": (0.034, 0.036, 0.04), "PostgreSQL": (0.036, 0.038, 0.042)}),
    "db.t3.medium": (2, 4, {"MySQL": (0.068, 0.072, 0.08), "PostgreSQL": (0.072, 0.076, 0.084)}),
    "db.t3.large": (2, 8, {"MySQL": (0.136, 0.144, 0.16), "PostgreSQL": (0.145, 0.152, 0.168)}),
    "db.m5.large": (2, 8, {"MySQL": (0.171, 0.19, 0.205), "PostgreSQL": (0.178, 0.198, 0.214)}),
    "db.m5.xlarge": (4, 16, {"MySQL": (0.342, 0.38, 0.41), "PostgreSQL": (0.356, 0.396, 0.428)}),
    "db.m5.2xlarge": (8, 32, {"MySQL": (0.684, 0.76, 0.82), "PostgreSQL": (0.712, 0.792, 0.856)}),
    "db.r5.large": (2, 16, {"MySQL": (0.24, 0.268, 0.29), "PostgreSQL": (0.25, 0.28, 0.303)}),
    "db.r5.xlarge": (4, 32, {"MySQL": (0.48, 0.536, 0.58), "PostgreSQL": (0.5, 0.56, 0.606)}),
    "db.r5.2xlarge": (8, 64, {"MySQL": (0.96, 1.072, 1.16), "PostgreSQL": (1.0, 1.12, 1.212)}),
}
ALB = (0.0225, 0.0252, 0.027)
ALB_LCU = (0.008, 0.008, 0.009)
NLB = (0.0225, 0.0252, 0.027)
CLB = (0.025, 0.028, 0.03)
LAMBDA_GBS = 0.0000166667
LAMBDA_GBS_ARM = 0.0000133334
LAMBDA_REQ = 0.0000002
S3 = {  # Volume Type -> (Storage Class, prices first 50 TB)
    "Standard": ("General Purpose", (0.023, 0.023, 0.0245)),
    "Standard - Infrequent Access": ("Infrequent Access", (0.0125, 0.0125, 0.0135)),
    "One Zone - Infrequent Access": ("Infrequent Access", (0.01, 0.01, 0.0108)),
    "Amazon Glacier": ("Archive", (0.0036, 0.0036, 0.0045)),
    "Glacier Deep Archive": ("Archive", (0.00099, 0.00099, 0.0018)),
}

TERM_CODE = "JRTCKXETXF"   # OnDemand
RATE = "6YS6EN2CT7"


def sku(*parts):
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16].upper()


def money(v):
    return "%.10f" % v


class Offer:
    def __init__(self, code, product_cols):
        self.code = code
        self.cols = ["SKU", "OfferTermCode", "RateCode", "TermType", "PriceDescription",
                     "EffectiveDate", "StartingRange", "EndingRange", "Unit",
                     "PricePerUnit", "Currency", "RelatedTo", "LeaseContractLength",
                     "PurchaseOption", "OfferingClass", "Product Family", "serviceCode",
                     "Location", "Location Type"] + product_cols + ["serviceName"]
        self.rows = []

    def add(self, key, desc, unit, price, product, term="OnDemand", start="0",
            end="Inf", lease="", purchase="", offering=""):
        s = sku(self.code, key)
        code = TERM_CODE if term == "OnDemand" else "4NA7Y494T4"
        row = {"SKU": s, "OfferTermCode": code, "RateCode": "%s.%s.%s" % (s, code, RATE),
               "TermType": term, "PriceDescription": desc, "EffectiveDate": EFFECTIVE,
               "StartingRange": start, "EndingRange": end, "Unit": unit,
               "PricePerUnit": money(price), "Currency": "USD", "RelatedTo": "",
               "LeaseContractLength": lease, "PurchaseOption": purchase,
               "OfferingClass": offering, "serviceCode": self.code,
               "serviceName": NAMES[self.code]}
        row.update(product)
        self.rows.append(row)

    def write(self):
        buf = io.StringIO()
        w = csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\n")
        w.writerow(["FormatVersion", "v1.0"])
        w.writerow(["Disclaimer", DISCLAIMER])
        w.writerow(["Publication Date", PUBLISHED])
        w.writerow(["Version", PUBLISHED.replace("-", "").replace(":", "").replace("T", "")[:14]])
        w.writerow(["OfferCode", self.code])
        w.writerow(self.cols)
        for r in self.rows:
            w.writerow([r.get(c, "") for c in self.cols])
        with open(os.path.join(OUT, self.code + ".csv"), "w", newline="") as f:
            f.write(buf.getvalue())


NAMES = {"AmazonEC2": "Amazon Elastic Compute Cloud", "AmazonRDS": "Amazon Relational Database Service",
         "AWSLambda": "AWS Lambda", "AmazonS3": "Amazon Simple Storage Service",
         "AWSELB": "Elastic Load Balancing"}


def loc(region):
    name, prefix = REGIONS[region]
    return {"Location": name, "Location Type": "AWS Region", "Region Code": region}, prefix


def ec2():
    o = Offer("AmazonEC2", ["Instance Type", "Current Generation", "Instance Family", "vCPU",
                            "Physical Processor", "Clock Speed", "Memory", "Storage",
                            "Network Performance", "Processor Architecture", "Storage Media",
                            "Volume Type", "Tenancy", "Operating System", "License Model",
                            "Group", "usageType", "operation", "CapacityStatus",
                            "Pre Installed S/W", "Region Code", "Volume API Name"])
    for i, region in enumerate(REGIONS):
        l, pre = loc(region)
        for itype, prices in EC2.items():
            fam, size = itype.split(".")
            if fam.startswith("t"):
                vcpu, mem = SIZES[size]
            else:
                vcpu = int(2 * MULT[size]) if size != "medium" else 1
                mem = GIB_PER_VCPU[fam[0]] * vcpu
            p = dict(l)
            p.update({"Instance Type": itype, "Current Generation": "Yes",
                      "Instance Family": {"t": "General purpose", "m": "General purpose",
                                          "c": "Compute optimized", "r": "Memory optimized",
                                          "g": "GPU instance"}[fam[0]],
                      "vCPU": str(vcpu), "Physical Processor": FAMILIES[fam],
                      "Clock Speed": "Up to 3.1 GHz" if "Graviton" not in FAMILIES[fam] else "2.5 GHz",
                      "Memory": ("%g GiB" % mem), "Storage": "EBS only",
                      "Network Performance": "Up to 10 Gigabit",
                      "Processor Architecture": "64-bit", "Tenancy": "Shared",
                      "Operating System": "Linux", "License Model": "No License required",
                      "usageType": pre + "BoxUsage:" + itype, "operation": "RunInstances",
                      "CapacityStatus": "Used", "Pre Installed S/W": "NA"})
            desc = "$%g per On Demand Linux %s Instance Hour" % (prices[i], itype)
            o.add(region + itype, desc, "Hrs", prices[i], dict(p, **{"Product Family": "Compute Instance"}))
            if itype in ("m5.large", "t3.micro", "c5.xlarge"):
                # Rows a real file has and the loader must skip.
                w = dict(p, **{"Product Family": "Compute Instance", "Operating System": "Windows",
                               "operation": "RunInstances:0002",
                               "usageType": pre + "BoxUsage:" + itype})
                o.add(region + itype + "win", "$%g per On Demand Windows %s Instance Hour"
                      % (prices[i] * 1.9, itype), "Hrs", prices[i] * 1.9, w)
                d = dict(p, **{"Product Family": "Compute Instance", "Tenancy": "Dedicated",
                               "usageType": pre + "DedicatedUsage:" + itype})
                o.add(region + itype + "ded", "$%g per Dedicated Linux %s Instance Hour"
                      % (prices[i] * 1.1, itype), "Hrs", prices[i] * 1.1, d)
                u = dict(p, **{"Product Family": "Compute Instance",
                               "CapacityStatus": "UnusedCapacityReservation",
                               "usageType": pre + "UnusedBox:" + itype})
                o.add(region + itype + "ucr", "$%g per Unused Reservation Linux %s Instance Hour"
                      % (prices[i], itype), "Hrs", prices[i], u)
                s = dict(p, **{"Product Family": "Compute Instance", "Pre Installed S/W": "SQL Std",
                               "operation": "RunInstances:0004"})
                o.add(region + itype + "sql", "$%g per On Demand Linux with SQL Std %s Instance Hour"
                      % (prices[i] + 0.48, itype), "Hrs", prices[i] + 0.48, s)
                o.add(region + itype + "ri", "Linux/UNIX (Amazon VPC), %s reserved instance applied"
                      % itype, "Hrs", prices[i] * 0.62,
                      dict(p, **{"Product Family": "Compute Instance"}), term="Reserved",
                      lease="1yr", purchase="No Upfront", offering="standard")
        if region == "us-east-1":
            lz = dict(l, **{"Location": "US East (Boston)", "Location Type": "AWS Local Zone",
                            "Product Family": "Compute Instance", "Instance Type": "t3.medium",
                            "vCPU": "2", "Memory": "4 GiB", "Tenancy": "Shared",
                            "Operating System": "Linux", "CapacityStatus": "Used",
                            "Pre Installed S/W": "NA", "License Model": "No License required",
                            "operation": "RunInstances", "usageType": "USE1-BOS1-BoxUsage:t3.medium",
                            "Physical Processor": FAMILIES["t3"]})
            o.add("bos-t3.medium", "$0.0499 per On Demand Linux t3.medium Instance Hour",
                  "Hrs", 0.0499, lz)
        for api, (vtype, media, prices) in EBS.items():
            p = dict(l, **{"Product Family": "Storage", "Volume Type": vtype,
                           "Storage Media": media, "Volume API Name": api,
                           "usageType": pre + "EBS:VolumeUsage" + ("." + api if api != "standard" else ""),
                           "operation": ""})
            o.add(region + "ebs" + api, "$%g per GB-month of %s (%s) provisioned storage - %s"
                  % (prices[i], vtype, api, l["Location"]), "GB-Mo", prices[i], p)
        p = dict(l, **{"Product Family": "System Operation", "Volume API Name": "io1",
                       "Group": "EBS IOPS", "usageType": pre + "EBS:VolumeP-IOPS.piops"})
        o.add(region + "io1iops", "$0.065 per IOPS-month provisioned", "IOPS-Mo", 0.065, p)
        p = dict(l, **{"Product Family": "Storage Snapshot", "Storage Media": "Amazon S3",
                       "usageType": pre + "EBS:SnapshotUsage", "operation": ""})
        o.add(region + "snap", "$%g per GB-Month of snapshot data stored - %s"
              % (SNAPSHOT[i], l["Location"]), "GB-Mo", SNAPSHOT[i], p)
        p = dict(l, **{"Product Family": "Storage Snapshot", "Storage Media": "Amazon S3",
                       "usageType": pre + "EBS:SnapshotArchiveStorage", "operation": ""})
        o.add(region + "snaparch", "$%g per GB-Month of snapshot archive data stored"
              % SNAPSHOT_ARCHIVE[i], "GB-Mo", SNAPSHOT_ARCHIVE[i], p)
        p = dict(l, **{"Product Family": "IP Address", "Group": "VPCPublicIPv4Address",
                       "usageType": (pre or "USE1-") + "PublicIPv4:IdleAddress",
                       "operation": "AssociateAddressVPC"})
        o.add(region + "eipidle", "$%g per Idle public IPv4 address per hour" % EIP_IDLE[i],
              "Hrs", EIP_IDLE[i], p)
        p = dict(l, **{"Product Family": "IP Address", "Group": "VPCPublicIPv4Address",
                       "usageType": (pre or "USE1-") + "PublicIPv4:InUseAddress",
                       "operation": "AssociateAddressVPC"})
        o.add(region + "eipinuse", "$%g per In-use public IPv4 address per hour" % EIP_IDLE[i],
              "Hrs", EIP_IDLE[i], p)
    o.write()


def rds():
    o = Offer("AmazonRDS", ["Instance Type", "Current Generation", "Instance Family", "vCPU",
                            "Memory", "Storage", "Network Performance",
                            "Processor Architecture", "Engine Code", "Database Engine",
                            "Database Edition", "License Model", "Deployment Option",
                            "Group", "usageType", "operation", "Region Code"])
    codes = {"MySQL": ("2", "CreateDBInstance:0002"), "PostgreSQL": ("14", "CreateDBInstance:0014")}
    for i, region in enumerate(REGIONS):
        l, pre = loc(region)
        for cls, (vcpu, mem, engines) in RDS.items():
            for engine, prices in engines.items():
                for dep, mult in (("Single-AZ", 1), ("Multi-AZ", 2)):
                    p = dict(l, **{"Product Family": "Database Instance", "Instance Type": cls,
                                   "Current Generation": "Yes",
                                   "Instance Family": "General purpose" if ".r" not in cls else "Memory optimized",
                                   "vCPU": str(vcpu), "Memory": "%g GiB" % mem,
                                   "Storage": "EBS Only", "Processor Architecture": "64-bit",
                                   "Engine Code": codes[engine][0], "Database Engine": engine,
                                   "License Model": "No license required",
                                   "Deployment Option": dep,
                                   "usageType": pre + ("InstanceUsage:" if dep == "Single-AZ" else "Multi-AZUsage:") + cls,
                                   "operation": codes[engine][1]})
                    o.add(region + cls + engine + dep, "$%g per RDS %s %s instance hour (or partial hour) running %s"
                          % (prices[i] * mult, cls, dep, engine), "Hrs", prices[i] * mult, p)
    o.write()


def lam():
    o = Offer("AWSLambda", ["Group", "Group Description", "usageType", "operation", "Region Code"])
    for region in REGIONS:
        l, pre = loc(region)
        for group, unit, price, start, usage, desc in (
                ("AWS-Lambda-Duration", "Lambda-GB-Second", LAMBDA_GBS, "0", "Lambda-GB-Second",
                 "AWS Lambda - Total Compute - %s" % l["Location"]),
                ("AWS-Lambda-Duration", "Lambda-GB-Second", 0.000015, "6000000000", "Lambda-GB-Second",
                 "AWS Lambda - Total Compute (next 9 billion GB-seconds)"),
                ("AWS-Lambda-Duration-ARM", "Lambda-GB-Second", LAMBDA_GBS_ARM, "0",
                 "Lambda-GB-Second-ARM", "AWS Lambda - Total Compute (Arm) - %s" % l["Location"]),
                ("AWS-Lambda-Requests", "Requests", LAMBDA_REQ, "0", "Request",
                 "AWS Lambda - Total Requests - %s" % l["Location"]),
                ("AWS-Lambda-Requests-ARM", "Requests", LAMBDA_REQ, "0", "Request-ARM",
                 "AWS Lambda - Total Requests (Arm) - %s" % l["Location"])):
            p = dict(l, **{"Product Family": "Serverless", "Group": group,
                           "Group Description": "Invocation call for a Lambda function",
                           "usageType": (pre or "USE1-") + usage, "operation": "Invoke"})
            o.add(region + group + start, desc, unit, price, p, start=start,
                  end="6000000000" if start == "0" and group == "AWS-Lambda-Duration" else "Inf")
    o.write()


def s3():
    o = Offer("AmazonS3", ["Availability", "Storage Class", "Volume Type", "Durability",
                           "usageType", "operation", "Region Code"])
    for i, region in enumerate(REGIONS):
        l, pre = loc(region)
        for vt, (sc, prices) in S3.items():
            p = dict(l, **{"Product Family": "Storage", "Storage Class": sc, "Volume Type": vt,
                           "Durability": "99.999999999%", "Availability": "99.99%",
                           "usageType": (pre or "USE1-") + "TimedStorage-ByteHrs", "operation": ""})
            o.add(region + vt, "$%g per GB - first 50 TB / month of storage used" % prices[i],
                  "GB-Mo", prices[i], p, end="51200" if vt == "Standard" else "Inf")
            if vt == "Standard":
                o.add(region + vt + "t2", "$%g per GB - next 450 TB / month of storage used"
                      % (prices[i] - 0.001), "GB-Mo", prices[i] - 0.001, p,
                      start="51200", end="512000")
    o.write()


def elb():
    o = Offer("AWSELB", ["Group", "Group Description", "usageType", "operation", "Region Code"])
    for i, region in enumerate(REGIONS):
        l, pre = loc(region)
        for fam, usage, unit, price, desc in (
                ("Load Balancer-Application", "LoadBalancerUsage", "Hrs", ALB[i],
                 "$%g per Application LoadBalancer-hour (or partial hour)" % ALB[i]),
                ("Load Balancer-Application", "LCUUsage", "LCU-Hrs", ALB_LCU[i],
                 "$%g per used Application load balancer capacity unit-hour (or partial hour)" % ALB_LCU[i]),
                ("Load Balancer-Network", "LoadBalancerUsage", "Hrs", NLB[i],
                 "$%g per Network LoadBalancer-hour (or partial hour)" % NLB[i]),
                ("Load Balancer", "LoadBalancerUsage", "Hrs", CLB[i],
                 "$%g per LoadBalancer-hour (or partial hour)" % CLB[i])):
            p = dict(l, **{"Product Family": fam, "Group": "ELB:Balancer",
                           "Group Description": "LoadBalancer hourly usage",
                           "usageType": (pre or "USE1-") + usage, "operation": "LoadBalancing"})
            o.add(region + fam + usage, desc, unit, price, p)
    o.write()


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    ec2()
    rds()
    lam()
    s3()
    elb()
