#!/usr/bin/python3
"""Generates examples/sim/estate.yaml, the simulated AWS estate of the demo.

The estate is checked in; this script is how it was made and how to change
it.  It is deterministic (ids are hashes of names, no randomness), and the
daily cost base of each account and service is derived from the resources
and examples/prices/aws-prices.yaml, so the cost history matches the estate.

    python3 examples/sim/gen_estate.py > examples/sim/estate.yaml

`--size N` writes a larger estate for benchmarks instead (tests/bench):
the demo resources cloned under new ids until there are N, one flow
mapping per line (the cost lines stay the demo's).

    python3 examples/sim/gen_estate.py --size 100000 > /tmp/estate-100k.yaml

`--format jsonl` writes the same estate as JSON Lines, which the sim
provider reads when the file name ends in .jsonl (much faster to write and
to load than YAML at that size).  examples/sim/estate.jsonl is the demo
estate in that form; tests/unit/test_sim.c checks that the two agree, so
regenerate both together:

    python3 examples/sim/gen_estate.py --format jsonl > examples/sim/estate.jsonl
    python3 examples/sim/gen_estate.py --size 100000 --format jsonl > /tmp/estate-100k.jsonl
"""
import argparse
import hashlib
import json
import os
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PRICES = os.path.join(HERE, "..", "prices", "aws-prices.yaml")

PROD, DEV, DATA = "402918374651", "518273640192", "739104856213"
ACCOUNTS = [(PROD, "acme-prod"), (DEV, "acme-dev"), (DATA, "acme-data")]
REGIONS = ["eu-west-1", "us-east-1", "eu-central-1"]
ENV = {PROD: "prod", DEV: "dev", DATA: "data"}


def hexid(prefix, key):
    return prefix + "0" + hashlib.sha256(key.encode()).hexdigest()[:16]


def cpu(profile, mean, jitter, **kw):
    d = {"profile": profile, "mean": mean, "jitter": jitter}
    d.update(kw)
    return d


def net(profile, mean, **kw):
    d = {"profile": profile, "mean": mean, "jitter": round(mean * 0.15, 1)}
    d.update(kw)
    return d


# (account, region, name, type, state, created, cpu profile, extra tags, root GiB, root type)
INSTANCES = [
    (PROD, "eu-west-1", "web-eu-1", "m5.large", "running", "2025-02-11",
     cpu("busy", 58, 8, amplitude=0.25), {"team": "web", "app": "storefront"}, 50, "gp3"),
    (PROD, "eu-west-1", "web-eu-2", "m5.large", "running", "2025-02-11",
     cpu("busy", 55, 8, amplitude=0.25), {"team": "web", "app": "storefront"}, 50, "gp3"),
    (PROD, "eu-west-1", "web-eu-3", "m5.large", "running", "2025-06-30",
     cpu("busy", 61, 9, amplitude=0.25), {"team": "web", "app": "storefront"}, 50, "gp3"),
    (PROD, "eu-west-1", "api-eu-1", "c5.xlarge", "running", "2024-11-04",
     cpu("diurnal", 38, 5, amplitude=0.4), {"team": "api", "app": "orders-api"}, 40, "gp3"),
    (PROD, "eu-west-1", "api-eu-2", "c5.xlarge", "running", "2024-11-04",
     cpu("diurnal", 36, 5, amplitude=0.4), {"team": "api", "app": "orders-api"}, 40, "gp3"),
    (PROD, "eu-west-1", "queue-worker-eu", "r5.large", "running", "2025-01-20",
     cpu("weekly", 24, 4, amplitude=0.6), {"team": "api", "app": "fulfilment"}, 40, "gp3"),
    (PROD, "eu-west-1", "bastion-eu", "t3.micro", "running", "2023-05-02",
     cpu("idle", 0.9, 0.4), {"team": "platform"}, 8, "gp2"),
    (PROD, "eu-west-1", "legacy-reporting", "m5.xlarge", "running", "2022-09-14",
     cpu("idle", 2.3, 0.9), {"team": "finance", "app": "reporting"}, 100, "gp2"),
    (PROD, "eu-west-1", "search-eu", "r5.xlarge", "running", "2025-03-03",
     cpu("busy", 47, 7, amplitude=0.2), {"team": "web", "app": "search"}, 50, "gp3"),
    (PROD, "us-east-1", "web-us-1", "m5.large", "running", "2025-04-08",
     cpu("busy", 52, 8, amplitude=0.25), {"team": "web", "app": "storefront"}, 50, "gp3"),
    (PROD, "us-east-1", "web-us-2", "m5.large", "running", "2025-04-08",
     cpu("busy", 50, 8, amplitude=0.25), {"team": "web", "app": "storefront"}, 50, "gp3"),
    (PROD, "us-east-1", "cache-us", "r5.xlarge", "running", "2025-04-08",
     cpu("busy", 64, 6, amplitude=0.15), {"team": "web", "app": "cache"}, 30, "gp3"),
    (PROD, "us-east-1", "batch-us", "c5.2xlarge", "running", "2024-08-19",
     cpu("spiky", 3, 1, spike=88, probability=0.05), {"team": "data", "app": "invoicing"}, 60, "gp3"),
    (PROD, "us-east-1", "mail-relay", "t3.small", "running", "2023-01-10",
     cpu("idle", 3.8, 1.2), {"team": "platform"}, 8, "gp2"),
    (PROD, "eu-central-1", "web-fra-1", "m5.large", "running", "2025-09-01",
     cpu("diurnal", 41, 6, amplitude=0.35), {"team": "web", "app": "storefront"}, 50, "gp3"),
    (PROD, "eu-central-1", "migration-tmp", "m5.2xlarge", "running", "2025-11-03",
     cpu("idle", 0.8, 0.3), {"env": "staging", "team": "platform"}, 200, "gp2"),
    (PROD, "eu-central-1", "old-vpn", "c5.large", "stopped", "2022-03-28",
     None, {"team": "platform"}, 20, "gp2"),
    (DEV, "eu-west-1", "build-box-1", "c5.2xlarge", "running", "2024-02-12",
     cpu("weekly", 14, 3, amplitude=0.8), {"team": "platform", "app": "ci"}, 200, "gp3"),
    (DEV, "eu-west-1", "build-box-2", "c5.xlarge", "running", "2024-02-12",
     cpu("idle", 1.8, 0.6), {"team": "platform", "app": "ci"}, 200, "gp3"),
    (DEV, "eu-west-1", "jenkins-agent-old", "m5.large", "running", "2021-10-05",
     cpu("idle", 2.2, 0.8), {"team": "platform", "app": "ci"}, 100, "gp2"),
    (DEV, "eu-west-1", "dev-sandbox-alice", "t3.large", "running", "2025-07-21",
     cpu("idle", 3.1, 1.4), {"team": "web", "owner": "alice"}, 30, "gp3"),
    (DEV, "eu-west-1", "dev-sandbox-bob", "t3.medium", "stopped", "2025-07-21",
     None, {"team": "web", "owner": "bob"}, 30, "gp3"),
    (DEV, "eu-west-1", "test-runner", "t3.xlarge", "stopped", "2024-05-13",
     None, {"team": "qa"}, 50, "gp3"),
    (DEV, "eu-west-1", "ci-gpu", "g4dn.xlarge", "running", "2025-05-06",
     cpu("idle", 0.7, 0.3), {"team": "ml", "app": "training"}, 125, "gp3"),
    (DEV, "eu-west-1", "load-test-driver", "c5.large", "running", "2025-08-18",
     cpu("idle", 5.4, 1.5), {"team": "qa"}, 20, "gp3"),
    (DEV, "us-east-1", "demo-env", "m5.xlarge", "running", "2025-10-01",
     cpu("idle", 4.6, 1.5), {"team": "sales"}, 50, "gp3"),
    (DEV, "us-east-1", "qa-runner-1", "t3.large", "running", "2025-03-17",
     cpu("weekly", 9, 2, amplitude=0.7), {"team": "qa"}, 30, "gp3"),
    (DEV, "us-east-1", "new-experiment", "t3.large", "running", "2026-11-17T09:00:00Z",
     cpu("idle", 0.5, 0.2), {"team": "ml", "owner": "carol"}, 30, "gp3"),
    (DEV, "us-east-1", "license-server", "t3.medium", "running", "2023-06-12",
     cpu("idle", 0.4, 0.2), {"team": "platform", "finops.dev/skip": "true"}, 20, "gp2"),
    (DEV, "eu-central-1", "dev-db-tunnel", "t3.nano", "running", "2024-09-09",
     cpu("idle", 0.3, 0.1), {"team": "platform"}, 8, "gp2"),
    (DATA, "eu-central-1", "spark-master", "r5.xlarge", "running", "2025-01-13",
     cpu("busy", 45, 6), {"team": "data", "app": "spark"}, 50, "gp3"),
    (DATA, "eu-central-1", "spark-worker-1", "r5.2xlarge", "running", "2025-01-13",
     cpu("busy", 72, 10, amplitude=0.2), {"team": "data", "app": "spark"}, 100, "gp3"),
    (DATA, "eu-central-1", "spark-worker-2", "r5.2xlarge", "running", "2025-01-13",
     cpu("busy", 69, 10, amplitude=0.2), {"team": "data", "app": "spark"}, 100, "gp3"),
    (DATA, "eu-central-1", "spark-worker-3", "r5.2xlarge", "running", "2025-06-02",
     cpu("diurnal", 60, 8, amplitude=0.3), {"team": "data", "app": "spark"}, 100, "gp3"),
    (DATA, "eu-central-1", "airflow-scheduler", "m5.large", "running", "2024-10-21",
     cpu("diurnal", 22, 4, amplitude=0.5), {"team": "data", "app": "airflow"}, 50, "gp3"),
    (DATA, "eu-central-1", "jupyter-notebook", "m5.xlarge", "running", "2025-04-14",
     cpu("idle", 1.1, 0.5), {"team": "analytics", "owner": "dave"}, 100, "gp3"),
    (DATA, "us-east-1", "analytics-jump", "t3.small", "stopped", "2024-03-04",
     None, {"team": "analytics"}, 8, "gp2"),
    (DATA, "us-east-1", "etl-runner", "c5.xlarge", "running", "2024-12-02",
     cpu("spiky", 2, 0.8, spike=95, probability=0.08), {"team": "data", "app": "etl"}, 50, "gp3"),
]

# Instances added for the rightsizing rule: (account, region, name, type,
# created, cpu profile, MemoryUtilization profile or None, tags).  Their
# spend is not in the cost lines, which predate them (the costs part of
# this script is owned separately); they are small against the estate.
RIGHTSIZE = [
    (PROD, "eu-west-1", "checkout-worker", "m5.2xlarge", "2025-03-10",
     cpu("diurnal", 14, 2, amplitude=0.5), cpu("diurnal", 20, 2, amplitude=0.3),
     {"team": "web", "app": "checkout"}),
]

# Extra data volumes attached to instances: (instance name, GiB, type)
DATA_VOLUMES = [
    ("search-eu", 500, "io1"),
    ("spark-worker-1", 500, "st1"),
    ("spark-worker-2", 500, "st1"),
    ("spark-worker-3", 500, "st1"),
    ("legacy-reporting", 300, "gp2"),
]

# Unattached volumes: (account, region, name, GiB, type, created)
LOOSE_VOLUMES = [
    (DEV, "eu-west-1", "jenkins-data-old", 500, "gp2", "2026-05-14"),
    (PROD, "us-east-1", "restore-test-2026-08", 200, "gp2", "2026-08-21"),
    (DATA, "eu-central-1", "spark-scratch-old", 1000, "st1", "2026-09-15"),
    (DEV, "us-east-1", "tmp-volume", 100, "gp3", "2026-11-17"),
    (DATA, "eu-central-1", "archive-2025", 2000, "sc1", "2026-03-10"),
    (PROD, "eu-west-1", "db-migration-io1", 300, "io1", "2026-10-01"),
    (DEV, "eu-central-1", None, 30, "gp2", "2026-07-02"),
]

# Snapshots: (account, region, name, source volume key or None if gone, GiB,
# created, AMI name that uses it or None)
SNAPSHOTS = [
    (PROD, "eu-west-1", "web-eu-1-root-weekly", "root:web-eu-1", 50, "2026-11-15", None),
    (PROD, "eu-west-1", "search-eu-data-nightly", "data:search-eu", 500, "2026-11-19", None),
    (PROD, "eu-west-1", "legacy-reporting-2024", "gone:legacy-reporting-2024", 300, "2024-12-31",
     None),
    (PROD, "us-east-1", "pre-upgrade-cache", "gone:pre-upgrade-cache", 30, "2025-07-02", None),
    (DEV, "eu-west-1", "jenkins-before-migration", "gone:jenkins-before-migration", 500,
     "2024-01-18", "jenkins-agent-2024"),
    (DEV, "us-east-1", "demo-env-golden", "root:demo-env", 50, "2025-10-02", "demo-env-golden"),
    (DATA, "eu-central-1", "spark-worker-1-data", "data:spark-worker-1", 500, "2026-10-30", None),
    (DATA, "eu-central-1", "hadoop-cluster-2023", "gone:hadoop-cluster-2023", 1500, "2023-06-30",
     None),
    (DEV, "eu-west-1", "before-resize-build-box", "gone:before-resize-build-box", 200,
     "2026-10-02", None),
]

# Elastic IPs: (account, region, name, associated instance name or None)
EIPS = [
    (PROD, "eu-west-1", "api-eu-1-ip", "api-eu-1"),
    (PROD, "eu-west-1", "bastion-eu-ip", "bastion-eu"),
    (PROD, "us-east-1", "web-us-1-ip", "web-us-1"),
    (PROD, "us-east-1", "legacy-nat-ip", None),
    (DEV, "eu-west-1", "old-bastion-ip", None),
    (DATA, "eu-central-1", None, None),
]

# Load balancers: (account, region, name, kind, created, RequestCount metric or
# None, healthy targets)
LBS = [
    (PROD, "eu-west-1", "web-eu-alb", "application", "2025-02-11",
     net("diurnal", 42000, amplitude=0.6), 3),
    (PROD, "eu-west-1", "api-eu-nlb", "network", "2024-11-04", None, 2),
    (PROD, "us-east-1", "web-us-alb", "application", "2025-04-08",
     net("diurnal", 23000, amplitude=0.6), 2),
    (DEV, "eu-west-1", "staging-alb-old", "application", "2023-02-27",
     {"profile": "idle", "mean": 0.2, "jitter": 0.4}, 1),
    (DATA, "eu-central-1", "airflow-internal-alb", "application", "2024-10-21",
     net("weekly", 300, amplitude=0.8), 1),
    # Bots still knock, but every target was deregistered with the campaign.
    (PROD, "us-east-1", "promo-2025-alb", "application", "2025-05-12",
     net("diurnal", 900, amplitude=0.5), 0),
]

# RDS: (account, region, id, class, engine, GiB, created, cpu, connections)
RDS = [
    (PROD, "eu-west-1", "orders-db", "db.r5.large", "postgres", 500, "2024-11-04",
     cpu("diurnal", 38, 6, amplitude=0.4), net("diurnal", 85, amplitude=0.4)),
    (PROD, "eu-west-1", "orders-db-replica", "db.r5.large", "postgres", 500, "2024-11-04",
     cpu("diurnal", 12, 3, amplitude=0.4), net("diurnal", 20, amplitude=0.4)),
    (PROD, "us-east-1", "billing-db", "db.m5.large", "postgres", 200, "2024-08-19",
     cpu("weekly", 25, 4, amplitude=0.5), net("weekly", 40, amplitude=0.5)),
    (DEV, "eu-west-1", "dev-mysql", "db.t3.medium", "mysql", 100, "2023-09-11",
     cpu("idle", 2.1, 0.7), {"profile": "idle", "mean": 0.4, "jitter": 0.6}),
    (DATA, "eu-central-1", "airflow-metadata", "db.t3.medium", "postgres", 50, "2024-10-21",
     cpu("idle", 13, 1.5), {"profile": "constant", "mean": 12}),
    (PROD, "us-east-1", "legacy-wiki-db", "db.m5.large", "postgres", 100, "2022-06-14",
     cpu("idle", 1.4, 0.4), {"profile": "constant", "mean": 0}),
]
# Rough hourly RDS on-demand prices, only to size the cost history.
RDS_HOURLY = {"db.r5.large": 0.26, "db.m5.large": 0.18, "db.t3.medium": 0.076}

# Lambda: (account, region, name, MB, created, Invocations metric, peak MB used
# per hour (MaxMemoryUsed), average ms (Duration))
LAMBDAS = [
    (PROD, "eu-west-1", "orders-webhook", 512, "2025-02-11", net("diurnal", 1800, amplitude=0.7),
     390, 120),
    (PROD, "us-east-1", "thumbnail-resizer", 1024, "2025-04-08", net("diurnal", 600, amplitude=0.6),
     300, 1200),
    (PROD, "eu-central-1", "log-shipper", 256, "2025-09-01", net("weekly", 3000, amplitude=0.5),
     180, 45),
    (DEV, "eu-west-1", "slack-notifier", 128, "2024-06-03", {"profile": "idle", "mean": 2, "jitter": 2},
     70, 300),
    (DATA, "eu-central-1", "nightly-report", 256, "2024-10-21",
     {"profile": "spiky", "mean": 0, "spike": 1, "probability": 0.04}, 210, 30000),
    (DATA, "us-east-1", "cost-exporter", 256, "2025-01-06", {"profile": "constant", "mean": 1},
     150, 8000),
]

# S3: (account, region, bucket, GiB stored, created, lifecycle rules)
BUCKETS = [
    (PROD, "eu-west-1", "acme-prod-assets", 1450, "2022-04-19", 1),
    (PROD, "eu-central-1", "acme-prod-backups", 8200, "2022-04-19", 2),
    (PROD, "us-east-1", "acme-prod-logs", 3100, "2023-01-10", 0),
    (DEV, "eu-west-1", "acme-dev-scratch", 240, "2023-03-02", 1),
    (DATA, "eu-central-1", "acme-data-lake-raw", 21500, "2024-10-21", 0),
    (DATA, "us-east-1", "acme-data-athena-results", 85, "2024-12-02", 1),
]

S_EC2 = "Amazon Elastic Compute Cloud - Compute"
S_EBS = "EC2 - Other"
S_RDS = "Amazon Relational Database Service"
S_S3 = "Amazon Simple Storage Service"
S_ELB = "Amazon Elastic Load Balancing"
S_LAMBDA = "AWS Lambda"
S_DT = "AWS Data Transfer"
S_CW = "AmazonCloudWatch"
S_VPC = "Amazon Virtual Private Cloud"


def main():
    ap = argparse.ArgumentParser(description="Writes the sim estate to stdout.")
    ap.add_argument("--size", type=int, default=0,
                    help="clone the demo resources until there are N")
    ap.add_argument("--format", choices=("yaml", "jsonl"), default="yaml")
    args = ap.parse_args()
    with open(PRICES) as f:
        prices = yaml.safe_load(f)
    resources = []
    ids = {}
    daily = {}

    def spend(acct, svc, amount):
        daily[(acct, svc)] = daily.get((acct, svc), 0.0) + amount

    def tags(acct, extra):
        t = {"env": ENV[acct]}
        t.update(extra)
        return t

    for (acct, region, name, itype, state, created, prof, extra, root_gib,
         root_type) in INSTANCES:
        iid = hexid("i-", name)
        ids[name] = iid
        r = {"type": "ec2-instance", "id": iid, "account": acct, "region": region,
             "name": name, "state": state, "class": itype, "created": created,
             "tags": tags(acct, extra)}
        if prof:
            busy = prof["mean"] / 50.0
            if prof["profile"] == "idle":
                # Idle boxes barely talk: a few MB a day (Trusted Advisor's
                # idle test is <= 5 MB of NetworkIn + NetworkOut a day).
                nin, nout = 1.0e4 + busy * 0.8e6, 0.8e4 + busy * 0.6e6
            else:
                nin, nout = 2.0e5 + busy * 4.0e6, 1.0e5 + busy * 6.0e6
            r["metrics"] = {
                "CPUUtilization": prof,
                "NetworkIn": net(prof["profile"] if prof["profile"] != "spiky" else "idle",
                                 round(nin, -3)),
                "NetworkOut": net(prof["profile"] if prof["profile"] != "spiky" else "idle",
                                  round(nout, -3)),
            }
        if state == "running":
            spend(acct, S_EC2, prices["ec2"][region][itype] * 24)
        resources.append(r)
        vid = hexid("vol-", "root:" + name)
        ids["root:" + name] = vid
        resources.append({"type": "ebs-volume", "id": vid, "account": acct,
                          "region": region, "name": name + "-root", "state": "in-use",
                          "class": root_type, "size": root_gib, "attachedTo": iid,
                          "created": created, "tags": tags(acct, {})})
        spend(acct, S_EBS, prices["ebs"][region][root_type] * root_gib / 30.0)

    for acct, region, name, itype, created, prof, mem, extra in RIGHTSIZE:
        iid = hexid("i-", name)
        ids[name] = iid
        busy = prof["mean"] / 50.0
        metrics = {"CPUUtilization": prof,
                   "NetworkIn": net(prof["profile"], round(2.0e5 + busy * 4.0e6, -3)),
                   "NetworkOut": net(prof["profile"], round(1.0e5 + busy * 6.0e6, -3))}
        if mem:
            metrics["MemoryUtilization"] = mem
        resources.append({"type": "ec2-instance", "id": iid, "account": acct,
                          "region": region, "name": name, "state": "running",
                          "class": itype, "created": created,
                          "tags": tags(acct, extra), "metrics": metrics})
        vid = hexid("vol-", "root:" + name)
        ids["root:" + name] = vid
        resources.append({"type": "ebs-volume", "id": vid, "account": acct,
                          "region": region, "name": name + "-root", "state": "in-use",
                          "class": "gp3", "size": 50, "attachedTo": iid,
                          "created": created, "tags": tags(acct, {})})

    inst = {i[2]: i for i in INSTANCES}
    for name, gib, vtype in DATA_VOLUMES:
        acct, region = inst[name][0], inst[name][1]
        vid = hexid("vol-", "data:" + name)
        ids["data:" + name] = vid
        resources.append({"type": "ebs-volume", "id": vid, "account": acct,
                          "region": region, "name": name + "-data", "state": "in-use",
                          "class": vtype, "size": gib, "attachedTo": ids[name],
                          "created": inst[name][5], "tags": tags(acct, {})})
        spend(acct, S_EBS, prices["ebs"][region][vtype] * gib / 30.0)

    for i, (acct, region, name, gib, vtype, created) in enumerate(LOOSE_VOLUMES):
        r = {"type": "ebs-volume", "id": hexid("vol-", "loose:%d" % i), "account": acct,
             "region": region}
        if name:
            r["name"] = name
        r.update({"state": "available", "class": vtype, "size": gib,
                  "created": created, "tags": tags(acct, {})})
        resources.append(r)
        spend(acct, S_EBS, prices["ebs"][region][vtype] * gib / 30.0)

    for acct, region, name, src, gib, created, ami in SNAPSHOTS:
        vol = ids[src] if not src.startswith("gone:") else hexid("vol-", src)
        attrs = {"usedByAmi": "true" if ami else "false"}
        if ami:
            attrs["amiIds"] = hexid("ami-", ami)
        resources.append({"type": "ebs-snapshot", "id": hexid("snap-", name),
                          "account": acct, "region": region, "name": name,
                          "state": "completed", "size": gib, "attachedTo": vol,
                          "created": created, "tags": tags(acct, {}), "attrs": attrs})
        if name != "before-resize-build-box":  # newer than the cost lines
            spend(acct, S_EBS, prices["other"][region]["snapshot"] * gib * 0.4 / 30.0)

    for i, (acct, region, name, target) in enumerate(EIPS):
        r = {"type": "elastic-ip", "id": hexid("eipalloc-", "eip:%d" % i),
             "account": acct, "region": region}
        if name:
            r["name"] = name
        if target:
            r["state"] = "associated"
            r["attachedTo"] = ids[target]
        else:
            r["state"] = "unassociated"
        r["created"] = "2024-06-01"
        r["tags"] = tags(acct, {})
        resources.append(r)
        spend(acct, S_VPC, 0.005 * 24)

    for acct, region, name, kind, created, metric, healthy in LBS:
        r = {"type": "load-balancer", "id": name, "account": acct, "region": region,
             "name": name, "state": "active", "class": kind, "created": created,
             "tags": tags(acct, {}), "attrs": {"healthyTargets": str(healthy)},
             "metrics": {"HealthyHostCount": {"profile": "constant", "mean": healthy}}}
        if metric:
            r["metrics"]["RequestCount"] = metric
        resources.append(r)
        key = "alb-hour" if kind == "application" else "nlb-hour"
        if name != "promo-2025-alb":  # not in the cost lines, which predate it
            spend(acct, S_ELB, prices["other"][region][key] * 24 * 2.2)

    for acct, region, dbid, cls, engine, gib, created, c, conns in RDS:
        resources.append({"type": "rds-instance", "id": dbid, "account": acct,
                          "region": region, "name": dbid, "state": "available",
                          "class": cls, "size": gib, "created": created,
                          "tags": tags(acct, {"engine": engine}),
                          "metrics": {"CPUUtilization": c, "DatabaseConnections": conns}})
        if dbid != "legacy-wiki-db":  # not in the cost lines, which predate it
            spend(acct, S_RDS, RDS_HOURLY[cls] * 24 + gib * 0.115 / 30.0)

    for acct, region, fn, mb, created, metric, used, ms in LAMBDAS:
        resources.append({"type": "lambda-function", "id": fn, "account": acct,
                          "region": region, "name": fn, "state": "Active",
                          "class": "python3.12", "size": mb, "created": created,
                          "tags": tags(acct, {}), "attrs": {"architecture": "x86_64"},
                          "metrics": {"Invocations": metric,
                                      "MaxMemoryUsed": {"profile": "idle", "mean": used,
                                                        "jitter": round(used * 0.05)},
                                      "Duration": {"profile": "idle", "mean": ms,
                                                   "jitter": round(ms * 0.1)}}})
        per_day = metric["mean"] * 24 * 0.8 * mb / 1024.0 * 0.0000166667
        spend(acct, S_LAMBDA, per_day + metric["mean"] * 24 * 0.2e-6)
    for acct, _ in ACCOUNTS:
        # Provisioned concurrency, layers and logs keep Lambda off zero.
        spend(acct, S_LAMBDA, {PROD: 1.2, DEV: 0.4, DATA: 0.6}[acct])

    for acct, region, bucket, gib, created, rules in BUCKETS:
        resources.append({"type": "s3-bucket", "id": bucket, "account": acct,
                          "region": region, "name": bucket, "state": "available",
                          "class": "STANDARD", "size": gib, "created": created,
                          "tags": tags(acct, {}),
                          "attrs": {"storageClass": "STANDARD", "lifecycleRules": str(rules)}})
        spend(acct, S_S3, prices["other"][region]["s3-standard"] * gib / 30.0)

    for acct, _ in ACCOUNTS:
        spend(acct, S_CW, {PROD: 9.5, DEV: 2.1, DATA: 4.4}[acct])
        spend(acct, S_DT, {PROD: 38.0, DEV: 1.6, DATA: 12.5}[acct])

    trend = {PROD: 0.0012, DEV: -0.0004, DATA: 0.003}
    weekend = {PROD: 0.93, DEV: 0.72, DATA: 0.97}
    lines = []
    for (acct, svc), amount in sorted(daily.items()):
        lines.append({"account": acct, "service": svc, "base": round(amount, 2),
                      "weekend": weekend[acct] if svc in (S_EC2, S_DT, S_LAMBDA) else 1.0,
                      "trend": trend[acct] if svc not in (S_CW,) else 0.0,
                      "noise": 0.04 if svc != S_DT else 0.12})
    spikes = [
        # region / usageType / resource: who spent the extra, so the
        # anomaly engine can name the root cause.
        {"account": PROD, "service": S_DT, "start": "2026-11-12", "days": 2,
         "factor": 6.5,
         "note": "cross-region replication of acme-prod-backups turned on by mistake",
         "region": "eu-central-1", "usageType": "EUC1-USE1-AWS-Out-Bytes",
         "resource": "acme-prod-backups"},
        {"account": DEV, "service": S_LAMBDA, "start": "2026-10-20", "days": 1,
         "factor": 40.0, "note": "slack-notifier invoked itself recursively",
         "region": "eu-west-1", "usageType": "EU-Lambda-GB-Second",
         "resource": "slack-notifier"},
    ]

    estate = {
        "seed": 20261101,
        "currency": "USD",
        "accounts": [{"id": a, "name": n} for a, n in ACCOUNTS],
        "regions": REGIONS,
        "resources": resources,
        "costs": {"anchor": "2026-09-01", "since": "2025-06-01", "lines": lines,
                  "spikes": spikes},
    }
    if args.size:
        estate["resources"] = clone(resources, args.size)
    if args.format == "jsonl":
        emit_jsonl(estate, sys.stdout)
    else:
        emit(estate, sys.stdout, compact=bool(args.size))


def clone(base, size):
    """The base resources, then copies under new ids ("<id>-c<k>", attached
    to their own copies), until there are `size`."""
    out = list(base)
    k = 1
    while len(out) < size:
        ids = {r["id"] for r in base}
        for r in base:
            if len(out) >= size:
                break
            c = dict(r)
            c["id"] = "%s-c%d" % (r["id"], k)
            if "name" in r:
                c["name"] = "%s-c%d" % (r["name"], k)
            if r.get("attachedTo") in ids:
                c["attachedTo"] = "%s-c%d" % (r["attachedTo"], k)
            out.append(c)
        k += 1
    return out


def scalar(v):
    if isinstance(v, str):
        # Quote what YAML would read as something else (numbers, dates, bools).
        plain = (bool(v) and not any(ch in v for ch in ",[]{}#\"'") and ": " not in v
                 and yaml.safe_load(v) == v)
        return v if plain and not v[0] in "!&*[]{}|>'\"%@`,?-" else '"%s"' % v
    if isinstance(v, float):
        return repr(v)
    return str(v)


def flow(d):
    if isinstance(d, dict):
        return "{" + ", ".join("%s: %s" % (k if not needs_quote(k) else '"%s"' % k,
                                           flow(v)) for k, v in d.items()) + "}"
    return scalar(d)


def needs_quote(k):
    return scalar(k) != k


def emit(e, out, compact=False):
    w = out.write
    w("# Simulated AWS estate for the sim provider (see controller/cloud/sim.c).\n")
    w("# Generated by examples/sim/gen_estate.py; edit the script, not this file.\n")
    w("#\n")
    w("# Metric profiles: constant, idle (mean +- jitter), diurnal (24h sine,\n")
    w("# amplitude relative), weekly (business hours Mon-Fri 08-18 UTC), busy\n")
    w("# (high with a small daily swing), spiky (mean, with `spike` reached with\n")
    w("# `probability` per hour).  Hourly values depend only on seed, resource\n")
    w("# id, metric and hour.  Daily costs: base on the anchor day, x (1 + trend\n")
    w("# per day), x weekend on Sat/Sun, +- noise, x factor on spike days (a\n")
    w("# spike's region/usageType/resource get the extra as cost detail rows).\n")
    w("seed: %d\ncurrency: %s\n" % (e["seed"], e["currency"]))
    w("accounts:\n")
    for a in e["accounts"]:
        w("  - %s\n" % flow(a))
    w("regions: [%s]\n" % ", ".join(e["regions"]))
    w("resources:\n")
    for r in e["resources"]:
        first = True
        if compact:
            w("  - %s\n" % flow(r))
            continue
        for k, v in r.items():
            if k == "metrics":
                w("    metrics:\n")
                for m, p in v.items():
                    w("      %s: %s\n" % (m, flow(p)))
                continue
            w("%s%s: %s\n" % ("  - " if first else "    ", k, flow(v)))
            first = False
    c = e["costs"]
    w("costs:\n  anchor: %s\n  since: %s\n  lines:\n" % (c["anchor"], c["since"]))
    for line in c["lines"]:
        w("    - %s\n" % flow(line))
    w("  spikes:\n")
    for s in c["spikes"]:
        w("    - %s\n" % flow(s))


def emit_jsonl(e, out):
    """The estate as JSON Lines (controller/cloud/sim.c): the root keys
    other than resources and costs, one line per resource, then the costs."""
    def line(obj):
        out.write(json.dumps(obj, separators=(",", ":")) + "\n")
    line({k: v for k, v in e.items() if k not in ("resources", "costs")})
    for r in e["resources"]:
        line({"resource": r})
    line({"costs": e["costs"]})


if __name__ == "__main__":
    main()
