#!/usr/bin/python3
"""conformance.py - drives tests/awsserver/server.py with boto3.

    /usr/bin/python3 tests/awsserver/conformance.py PORT ESTATE

boto3 parses every response against its service model, so a wrong element
name, namespace or envelope shows up as a wrong count or an exception here.
Counts are checked against the estate file read independently with yaml.
Run by tests/integration/test_awsserver_conformance.sh against a server
started with --now 2026-11-20T12:00:00Z.  Prints "N passed, N failed".
"""
import collections
import concurrent.futures
import datetime
import http.client
import json
import os
import sys
import traceback
import urllib.request
from unittest import mock

import boto3
import botocore.auth
import botocore.exceptions
import botocore.utils
import yaml
from botocore.config import Config

PORT = int(sys.argv[1])
ESTATE = sys.argv[2]
URL = "http://127.0.0.1:%d" % PORT
KEY, SECRET = "AKIDFINOPSTEST", "finops-test-secret"
NOW = datetime.datetime(2026, 11, 20, 12, tzinfo=datetime.timezone.utc)

with open(ESTATE) as f:
    EST = yaml.safe_load(f)
ACCOUNTS = [str(a["id"]) for a in EST["accounts"]]
REGIONS = list(EST["regions"])
PROD, DEV = ACCOUNTS[0], ACCOUNTS[1]


def born(r):
    c = str(r.get("created", "1970-01-01"))
    c = c if "T" in c else c + "T00:00:00Z"
    return datetime.datetime.strptime(c, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc) <= NOW


RES = [r for r in EST["resources"] if born(r)]


def count(acct, region, rtype, pred=None):
    return sum(1 for r in RES if str(r["account"]) == acct and r["region"] == region
               and r["type"] == rtype and (pred is None or pred(r)))


def find(rtype, pred):
    return next(r for r in RES if r["type"] == rtype and pred(r))


PASSED, FAILED = [], []


def check(name):
    def deco(fn):
        try:
            fn()
            PASSED.append(name)
            print("ok: %s" % name)
        except Exception:
            FAILED.append(name)
            print("FAIL: %s" % name)
            traceback.print_exc(file=sys.stdout)
        return fn
    return deco


def eq(a, b, what=""):
    if a != b:
        raise AssertionError("%s: %r != %r" % (what, a, b))


def client(service, region="eu-west-1", key=KEY, secret=SECRET, token=None, retries=None,
           **cfg):
    conf = Config(retries={"total_max_attempts": 1} if retries is None else retries,
                  s3={"addressing_style": "path"}, **cfg)
    return boto3.client(service, region_name=region, endpoint_url=URL, aws_access_key_id=key,
                        aws_secret_access_key=secret, aws_session_token=token, config=conf)


def error_code(fn, *a, **kw):
    try:
        fn(*a, **kw)
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"]
    raise AssertionError("no error raised")


def control(method, what, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(URL + "/__control/" + what, data=data, method=method)
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read())


def paginate(c, op, key, **kw):
    out = []
    pages = 0
    for p in c.get_paginator(op).paginate(**kw):
        out.extend(p[key])
        pages += 1
    return out, pages


def assume(account, session="conformance"):
    sts = client("sts", "us-east-1")
    r = sts.assume_role(RoleArn="arn:aws:iam::%s:role/finops-reader" % account,
                        RoleSessionName=session, DurationSeconds=900)
    return r["Credentials"]


def as_account(account):
    if account == PROD:
        return {}
    c = assume(account)
    return {"key": c["AccessKeyId"], "secret": c["SecretAccessKey"], "token": c["SessionToken"]}


control("POST", "reset", {"estate": True})

# ---- STS and authentication --------------------------------------------


@check("sts: GetCallerIdentity maps the base key to the first account")
def _():
    r = client("sts", "us-east-1").get_caller_identity()
    eq(r["Account"], PROD, "account")
    assert r["Arn"].startswith("arn:aws:iam::%s:" % PROD), r["Arn"]


@check("auth: a bad secret is SignatureDoesNotMatch (ec2, sts, s3)")
def _():
    eq(error_code(client("ec2", secret="wrong").describe_instances), "SignatureDoesNotMatch")
    eq(error_code(client("sts", secret="wrong").get_caller_identity), "SignatureDoesNotMatch")
    eq(error_code(client("s3", secret="wrong").list_buckets), "SignatureDoesNotMatch")
    eq(error_code(client("lambda", secret="wrong").list_functions), "InvalidSignatureException")


@check("auth: an unknown key is InvalidClientTokenId / UnrecognizedClientException")
def _():
    eq(error_code(client("sts", key="AKIDNOBODY").get_caller_identity), "InvalidClientTokenId")
    eq(error_code(client("ec2", key="AKIDNOBODY").describe_volumes), "InvalidClientTokenId")
    eq(error_code(client("ce", "us-east-1", key="AKIDNOBODY").get_cost_and_usage,
                  TimePeriod={"Start": "2026-11-01", "End": "2026-11-02"},
                  Granularity="DAILY", Metrics=["UnblendedCost"]),
       "UnrecognizedClientException")


@check("auth: a request signed 20 minutes ago is RequestTimeTooSkewed")
def _():
    real = datetime.datetime

    class Old(datetime.datetime):
        @classmethod
        def utcnow(cls):
            return real.utcnow() - datetime.timedelta(minutes=20)
    c = client("ec2")
    with mock.patch.object(botocore.auth.datetime, "datetime", Old):
        code = error_code(c.describe_addresses)
    eq(code, "RequestTimeTooSkewed")


@check("sts: AssumeRole creds map to the other account; need their session token")
def _():
    cr = assume(DEV)
    assert cr["AccessKeyId"].startswith("ASIA"), cr["AccessKeyId"]
    assert cr["Expiration"] > datetime.datetime.now(datetime.timezone.utc)
    who = client("sts", "us-east-1", cr["AccessKeyId"], cr["SecretAccessKey"],
                 cr["SessionToken"]).get_caller_identity()
    eq(who["Account"], DEV, "assumed account")
    assert ":assumed-role/finops-reader/conformance" in who["Arn"], who["Arn"]
    eq(error_code(client("sts", "us-east-1", cr["AccessKeyId"],
                         cr["SecretAccessKey"]).get_caller_identity), "InvalidClientTokenId")
    eq(error_code(client("sts", "us-east-1").assume_role,
                  RoleArn="arn:aws:iam::999999999999:role/x", RoleSessionName="s1"),
       "AccessDenied")


@check("sts: AssumeRoleWithWebIdentity (unsigned) returns creds for the role's account")
def _():
    sts = client("sts", "us-east-1")
    r = sts.assume_role_with_web_identity(
        RoleArn="arn:aws:iam::%s:role/finops-web" % ACCOUNTS[2], RoleSessionName="pod",
        WebIdentityToken="eyJhbGciOiJSUzI1NiJ9.e30.c2ln")
    c = r["Credentials"]
    who = client("sts", "us-east-1", c["AccessKeyId"], c["SecretAccessKey"],
                 c["SessionToken"]).get_caller_identity()
    eq(who["Account"], ACCOUNTS[2])
    log = control("GET", "requests")
    web = [e for e in log if e["action"] == "AssumeRoleWithWebIdentity"]
    eq(web[-1]["signed_ok"], False, "unsigned call logged")


# ---- EC2 -----------------------------------------------------------------

@check("ec2: paginated describes match the estate in every account and region")
def _():
    for acct in ACCOUNTS:
        who = as_account(acct)
        for region in REGIONS:
            ec2 = client("ec2", region, **who)
            inst, pages = paginate(ec2, "describe_instances", "Reservations",
                                   PaginationConfig={"PageSize": 5})
            inst = [i for res in inst for i in res["Instances"]]
            eq(len(inst), count(acct, region, "ec2-instance"), "instances %s %s" % (acct, region))
            vols, _ = paginate(ec2, "describe_volumes", "Volumes",
                               PaginationConfig={"PageSize": 5})
            eq(len(vols), count(acct, region, "ebs-volume"), "volumes %s %s" % (acct, region))
            snaps, _ = paginate(ec2, "describe_snapshots", "Snapshots", OwnerIds=["self"],
                                PaginationConfig={"PageSize": 5})
            eq(len(snaps), count(acct, region, "ebs-snapshot"), "snapshots")
            addrs = ec2.describe_addresses()["Addresses"]
            eq(len(addrs), count(acct, region, "elastic-ip"), "addresses")
            eq(len({i["InstanceId"] for i in inst}), len(inst), "unique instance ids")


@check("ec2: shapes of instances, volumes, snapshots and addresses")
def _():
    want = find("ec2-instance", lambda r: r.get("name") == "api-eu-1")
    ec2 = client("ec2", "eu-west-1")
    i = ec2.describe_instances(InstanceIds=[want["id"]])["Reservations"][0]["Instances"][0]
    eq(i["InstanceType"], want["class"])
    eq(i["State"], {"Code": 16, "Name": "running"})
    eq(i["Placement"]["AvailabilityZone"], "eu-west-1a")
    assert isinstance(i["LaunchTime"], datetime.datetime)
    eq(i["LaunchTime"].date().isoformat(), want["created"])
    tags = {t["Key"]: t["Value"] for t in i["Tags"]}
    eq(tags.get("Name"), "api-eu-1")
    eq(tags.get("team"), "api")
    attached = {r["id"] for r in RES if r["type"] == "ebs-volume"
                and r.get("attachedTo") == want["id"]}
    eq({b["Ebs"]["VolumeId"] for b in i["BlockDeviceMappings"]}, attached, "block devices")
    eq(i["BlockDeviceMappings"][0]["DeviceName"], "/dev/xvda")
    loose = find("ebs-volume", lambda r: r.get("name") == "jenkins-data-old")
    v = client("ec2", "eu-west-1", **as_account(DEV)).describe_volumes(
        VolumeIds=[loose["id"]])["Volumes"][0]
    eq((v["Size"], v["VolumeType"], v["State"], v["Attachments"]), (500, "gp2", "available", []))
    assert isinstance(v["CreateTime"], datetime.datetime)
    snap = ec2.describe_snapshots(OwnerIds=["self"], Filters=[
        {"Name": "volume-id", "Values": [find("ebs-volume",
                                              lambda r: r.get("name") == "web-eu-1-root")["id"]]}
    ])["Snapshots"]
    eq(len(snap), 1, "snapshots of web-eu-1-root")
    eq((snap[0]["State"], snap[0]["VolumeSize"], snap[0]["OwnerId"]), ("completed", 50, PROD))
    addrs = {a["AllocationId"]: a for a in ec2.describe_addresses()["Addresses"]}
    api_ip = find("elastic-ip", lambda r: r.get("name") == "api-eu-1-ip")
    eq(addrs[api_ip["id"]]["InstanceId"], want["id"])
    assert addrs[api_ip["id"]]["AssociationId"].startswith("eipassoc-")
    eq(addrs[api_ip["id"]]["Domain"], "vpc")


@check("ec2: filters instance-state-name, status, volume-id, tag")
def _():
    ec2 = client("ec2", "eu-west-1", **as_account(DEV))
    res = ec2.describe_instances(Filters=[{"Name": "instance-state-name",
                                           "Values": ["stopped"]}])["Reservations"]
    eq(len(res), count(DEV, "eu-west-1", "ec2-instance", lambda r: r.get("state") == "stopped"))
    vols = ec2.describe_volumes(Filters=[{"Name": "status", "Values": ["available"]}])["Volumes"]
    eq(len(vols), count(DEV, "eu-west-1", "ebs-volume", lambda r: r.get("state") == "available"))
    res = ec2.describe_instances(Filters=[{"Name": "tag:team", "Values": ["platform"]},
                                          {"Name": "instance-state-name",
                                           "Values": ["running", "stopped"]}])["Reservations"]
    eq(len(res), count(DEV, "eu-west-1", "ec2-instance",
                       lambda r: r["tags"].get("team") == "platform"))
    eq(error_code(ec2.describe_instances, InstanceIds=["i-0000000000000dead"]),
       "InvalidInstanceID.NotFound")
    eq(error_code(ec2.describe_volumes, Filters=[{"Name": "no-such", "Values": ["x"]}]),
       "InvalidParameterValue")


@check("ec2: actions mutate the estate (stop, resize, start, volumes, snapshots, addresses)")
def _():
    ec2 = client("ec2", "eu-west-1", **as_account(DEV))
    box = find("ec2-instance", lambda r: r.get("name") == "build-box-2")["id"]
    eq(error_code(ec2.modify_instance_attribute, InstanceId=box,
                  InstanceType={"Value": "c5.large"}), "IncorrectInstanceState")
    r = ec2.stop_instances(InstanceIds=[box])["StoppingInstances"][0]
    eq((r["PreviousState"]["Name"], r["CurrentState"]["Name"]), ("running", "stopping"))
    ec2.get_waiter("instance_stopped").wait(InstanceIds=[box],
                                            WaiterConfig={"Delay": 1, "MaxAttempts": 3})
    ec2.modify_instance_attribute(InstanceId=box, InstanceType={"Value": "c5.large"})
    i = ec2.describe_instances(InstanceIds=[box])["Reservations"][0]["Instances"][0]
    eq((i["State"]["Name"], i["InstanceType"]), ("stopped", "c5.large"))
    ec2.start_instances(InstanceIds=[box])
    i = ec2.describe_instances(InstanceIds=[box])["Reservations"][0]["Instances"][0]
    eq(i["State"]["Name"], "running")

    old = find("ebs-volume", lambda r: r.get("name") == "jenkins-data-old")["id"]
    m = ec2.modify_volume(VolumeId=old, VolumeType="gp3")["VolumeModification"]
    eq((m["OriginalVolumeType"], m["TargetVolumeType"]), ("gp2", "gp3"))
    eq(ec2.describe_volumes(VolumeIds=[old])["Volumes"][0]["VolumeType"], "gp3")
    s = ec2.create_snapshot(VolumeId=old, Description="before delete",
                            TagSpecifications=[{"ResourceType": "snapshot",
                                                "Tags": [{"Key": "finops", "Value": "yes"}]}])
    snap = ec2.describe_snapshots(SnapshotIds=[s["SnapshotId"]])["Snapshots"][0]
    eq((snap["VolumeId"], snap["VolumeSize"], snap["State"]), (old, 500, "completed"))
    in_use = find("ebs-volume", lambda r: r.get("name") == "build-box-1-root")["id"]
    eq(error_code(ec2.delete_volume, VolumeId=in_use), "VolumeInUse")
    ec2.delete_volume(VolumeId=old)
    eq(error_code(ec2.describe_volumes, VolumeIds=[old]), "InvalidVolume.NotFound")
    v1 = ec2.create_volume(SnapshotId=s["SnapshotId"], AvailabilityZone="eu-west-1a",
                           VolumeType="gp3", ClientToken="restore-1")
    v2 = ec2.create_volume(SnapshotId=s["SnapshotId"], AvailabilityZone="eu-west-1a",
                           VolumeType="gp3", ClientToken="restore-1")
    eq(v1["VolumeId"], v2["VolumeId"], "ClientToken idempotency")
    eq((v1["Size"], v1["SnapshotId"]), (500, s["SnapshotId"]))
    restored = ec2.describe_volumes(VolumeIds=[v1["VolumeId"]])["Volumes"][0]
    eq((restored["State"], restored["VolumeType"]), ("available", "gp3"))

    prod = client("ec2", "eu-west-1")
    used = find("elastic-ip", lambda r: r.get("name") == "api-eu-1-ip")["id"]
    eq(error_code(prod.release_address, AllocationId=used), "InvalidIPAddress.InUse")
    free = find("elastic-ip", lambda r: r.get("name") == "old-bastion-ip")["id"]
    ec2.release_address(AllocationId=free)
    eq(ec2.describe_addresses()["Addresses"], [], "released")
    ec2.create_tags(Resources=[box], Tags=[{"Key": "finops.dev/rightsized", "Value": "true"}])
    i = ec2.describe_instances(Filters=[{"Name": "tag:finops.dev/rightsized",
                                         "Values": ["true"]}])["Reservations"]
    eq([x["Instances"][0]["InstanceId"] for x in i], [box])


# ---- ELBv2, RDS -----------------------------------------------------------

@check("elbv2: load balancers, target groups and target health")
def _():
    total = 0
    for acct in ACCOUNTS:
        who = as_account(acct)
        for region in REGIONS:
            elb = client("elbv2", region, **who)
            lbs, _ = paginate(elb, "describe_load_balancers", "LoadBalancers",
                              PaginationConfig={"PageSize": 1})
            eq(len(lbs), count(acct, region, "load-balancer"), "lbs %s %s" % (acct, region))
            total += len(lbs)
    eq(total, sum(1 for r in RES if r["type"] == "load-balancer"))
    elb = client("elbv2", "eu-west-1")
    lbs = {lb["LoadBalancerName"]: lb for lb in elb.describe_load_balancers()["LoadBalancers"]}
    alb = lbs["web-eu-alb"]
    eq((alb["Type"], alb["State"]["Code"]), ("application", "active"))
    eq(lbs["api-eu-nlb"]["Type"], "network")
    assert alb["LoadBalancerArn"].startswith(
        "arn:aws:elasticloadbalancing:eu-west-1:%s:loadbalancer/app/web-eu-alb/" % PROD)
    tgs = elb.describe_target_groups(LoadBalancerArn=alb["LoadBalancerArn"])["TargetGroups"]
    eq(len(tgs), 1)
    th = elb.describe_target_health(TargetGroupArn=tgs[0]["TargetGroupArn"])
    states = [d["TargetHealth"]["State"] for d in th["TargetHealthDescriptions"]]
    want = find("load-balancer", lambda r: r["id"] == "web-eu-alb")
    eq(states, ["healthy"] * int((want.get("attrs") or {}).get("healthyTargets", 3)),
       "web-eu-alb targets")
    eq(error_code(elb.describe_load_balancers, Names=["nope"]), "LoadBalancerNotFound")


@check("rds: DescribeDBInstances paginates (MaxRecords/Marker) with TagList")
def _():
    for acct in ACCOUNTS:
        who = as_account(acct)
        for region in REGIONS:
            rds = client("rds", region, **who)
            dbs, _ = paginate(rds, "describe_db_instances", "DBInstances",
                              PaginationConfig={"PageSize": 20})
            eq(len(dbs), count(acct, region, "rds-instance"), "dbs %s %s" % (acct, region))
    db = client("rds", "eu-west-1").describe_db_instances(
        DBInstanceIdentifier="orders-db")["DBInstances"][0]
    eq((db["DBInstanceClass"], db["Engine"], db["AllocatedStorage"], db["DBInstanceStatus"]),
       ("db.r5.large", "postgres", 500, "available"))
    eq({t["Key"]: t["Value"] for t in db["TagList"]}.get("engine"), "postgres")
    eq(error_code(client("rds", "eu-west-1").describe_db_instances,
                  DBInstanceIdentifier="nope"), "DBInstanceNotFound")


# ---- CloudWatch -------------------------------------------------------------

def mdq(qid, ns, metric, dim, value, stat="Average", period=3600):
    return {"Id": qid, "MetricStat": {"Metric": {"Namespace": ns, "MetricName": metric,
                                                 "Dimensions": [{"Name": dim, "Value": value}]},
                                      "Period": period, "Stat": stat}}


@check("cloudwatch: GetMetricData hourly values, periods, stats, pagination, limits")
def _():
    cw = client("cloudwatch", "eu-west-1")
    web = find("ec2-instance", lambda r: r.get("name") == "web-eu-1")["id"]
    bastion = find("ec2-instance", lambda r: r.get("name") == "bastion-eu")["id"]
    end = NOW
    start = end - datetime.timedelta(hours=48)
    r = cw.get_metric_data(MetricDataQueries=[
        mdq("web", "AWS/EC2", "CPUUtilization", "InstanceId", web),
        mdq("bastion", "AWS/EC2", "CPUUtilization", "InstanceId", bastion),
        mdq("webday", "AWS/EC2", "CPUUtilization", "InstanceId", web, "Average", 86400),
        mdq("webmax", "AWS/EC2", "CPUUtilization", "InstanceId", web, "Maximum", 86400),
        mdq("alb", "AWS/ApplicationELB", "RequestCount", "LoadBalancer", "app/web-eu-alb/x",
            "Sum"),
        mdq("none", "AWS/EC2", "CPUUtilization", "InstanceId", "i-0000000000000dead"),
    ], StartTime=start, EndTime=end, ScanBy="TimestampAscending")
    res = {m["Id"]: m for m in r["MetricDataResults"]}
    eq(len(res["web"]["Values"]), 48, "48 hourly points")
    eq(res["web"]["StatusCode"], "Complete")
    eq(res["web"]["Timestamps"][0], start, "first timestamp")
    assert 30 < sum(res["web"]["Values"]) / 48 < 90, res["web"]["Values"]
    assert max(res["bastion"]["Values"]) < 5, res["bastion"]["Values"]
    eq(len(res["webday"]["Values"]), 2, "daily points")
    day1 = res["web"]["Values"][:24]
    assert abs(res["webday"]["Values"][0] - sum(day1) / 24) < 1e-6
    eq(res["webmax"]["Values"][0], max(day1))
    eq(len(res["alb"]["Values"]), 48)
    eq(res["none"]["Values"], [])
    again = cw.get_metric_data(MetricDataQueries=[
        mdq("web", "AWS/EC2", "CPUUtilization", "InstanceId", web)],
        StartTime=start, EndTime=end, ScanBy="TimestampAscending")
    eq(again["MetricDataResults"][0]["Values"], res["web"]["Values"], "deterministic")

    pts = collections.defaultdict(list)
    pages = 0
    for p in cw.get_paginator("get_metric_data").paginate(
            MetricDataQueries=[mdq("a", "AWS/EC2", "CPUUtilization", "InstanceId", web),
                               mdq("b", "AWS/EC2", "NetworkIn", "InstanceId", web, "Sum")],
            StartTime=start, EndTime=end, MaxDatapoints=10):
        pages += 1
        for m in p["MetricDataResults"]:
            pts[m["Id"]].extend(m["Values"])
    eq((len(pts["a"]), len(pts["b"])), (48, 48), "paginated points")
    eq(pages, 10, "pages of 10 points")
    eq(sorted(pts["a"]), sorted(res["web"]["Values"]))

    too_many = [mdq("q%d" % i, "AWS/EC2", "CPUUtilization", "InstanceId", web)
                for i in range(501)]
    eq(error_code(cw.get_metric_data, MetricDataQueries=too_many, StartTime=start,
                  EndTime=end), "ValidationError")
    rds = cw.get_metric_data(MetricDataQueries=[
        mdq("c", "AWS/RDS", "DatabaseConnections", "DBInstanceIdentifier", "orders-db"),
        mdq("l", "AWS/Lambda", "Invocations", "FunctionName", "orders-webhook", "Sum")],
        StartTime=start, EndTime=end)
    eq([len(m["Values"]) for m in rds["MetricDataResults"]], [48, 48])


# ---- Lambda, S3 -------------------------------------------------------------

@check("lambda: ListFunctions paginates (MaxItems/NextMarker); ListTags")
def _():
    total = 0
    for acct in ACCOUNTS:
        who = as_account(acct)
        for region in REGIONS:
            lam = client("lambda", region, **who)
            fns, _ = paginate(lam, "list_functions", "Functions",
                              PaginationConfig={"PageSize": 1})
            eq(len(fns), count(acct, region, "lambda-function"), "fns %s %s" % (acct, region))
            total += len(fns)
    eq(total, sum(1 for r in RES if r["type"] == "lambda-function"))
    lam = client("lambda", "eu-west-1")
    fn = lam.list_functions()["Functions"][0]
    eq((fn["FunctionName"], fn["MemorySize"], fn["Runtime"]), ("orders-webhook", 512, "python3.12"))
    eq(fn["FunctionArn"], "arn:aws:lambda:eu-west-1:%s:function:orders-webhook" % PROD)
    eq(fn["LastModified"], "2025-02-11T00:00:00.000+0000")
    eq(lam.list_tags(Resource=fn["FunctionArn"])["Tags"], {"env": "prod"})
    eq(error_code(lam.list_tags, Resource=fn["FunctionArn"] + "x"), "ResourceNotFoundException")


@check("s3: ListBuckets, GetBucketLocation, lifecycle and tagging (path style)")
def _():
    for acct in ACCOUNTS:
        s3 = client("s3", "us-east-1", **as_account(acct))
        names = sorted(b["Name"] for b in s3.list_buckets()["Buckets"])
        want = sorted(r["id"] for r in RES if r["type"] == "s3-bucket" and str(r["account"]) == acct)
        eq(names, want, "buckets of %s" % acct)
        for b in want:
            region = find("s3-bucket", lambda r: r["id"] == b)["region"]
            loc = s3.get_bucket_location(Bucket=b)["LocationConstraint"]
            eq(loc, None if region == "us-east-1" else region, "location of %s" % b)
    s3 = client("s3", "us-east-1")
    for b in (r for r in RES if r["type"] == "s3-bucket" and str(r["account"]) == PROD):
        attrs = b.get("attrs") or {}
        n = int(attrs.get("lifecycleRules", 1 if "logs" in b["id"] or "backups" in b["id"]
                          else 0))
        if n == 0:
            eq(error_code(s3.get_bucket_lifecycle_configuration, Bucket=b["id"]),
               "NoSuchLifecycleConfiguration", b["id"])
            continue
        rules = s3.get_bucket_lifecycle_configuration(Bucket=b["id"])["Rules"]
        eq(len(rules), n, "rules of " + b["id"])
        eq(rules[0]["Status"], "Enabled")
        assert rules[0]["Transitions"][0]["StorageClass"], rules
    eq(s3.get_bucket_tagging(Bucket="acme-prod-assets")["TagSet"], [{"Key": "env", "Value": "prod"}])
    eq(error_code(s3.get_bucket_tagging, Bucket="acme-dev-scratch"), "AccessDenied")
    eq(error_code(s3.get_bucket_location, Bucket="no-such-bucket"), "NoSuchBucket")


# ---- Cost Explorer -----------------------------------------------------------

@check("ce: GetCostAndUsage DAILY by SERVICE pages with NextPageToken")
def _():
    ce = client("ce", "us-east-1")
    results, pages, token = [], 0, None
    while True:
        kw = {"NextPageToken": token} if token else {}
        r = ce.get_cost_and_usage(TimePeriod={"Start": "2026-08-22", "End": "2026-11-20"},
                                  Granularity="DAILY", Metrics=["UnblendedCost"],
                                  GroupBy=[{"Type": "DIMENSION", "Key": "SERVICE"}], **kw)
        results += r["ResultsByTime"]
        pages += 1
        token = r.get("NextPageToken")
        if not token:
            break
    eq(len(results), 90, "90 days")
    assert pages > 1, pages
    services = {l["service"] for l in EST["costs"]["lines"] if str(l["account"]) == PROD}
    for day in results:
        eq({g["Keys"][0] for g in day["Groups"]}, services, day["TimePeriod"]["Start"])
        for g in day["Groups"]:
            eq(g["Metrics"]["UnblendedCost"]["Unit"], "USD")
            assert float(g["Metrics"]["UnblendedCost"]["Amount"]) >= 0
    spike = {d["TimePeriod"]["Start"]: {g["Keys"][0]: float(g["Metrics"]["UnblendedCost"]["Amount"])
                                        for g in d["Groups"]} for d in results}
    dt = "AWS Data Transfer"
    assert spike["2026-11-12"][dt] > 4 * spike["2026-11-10"][dt], "injected spike"
    dev = client("ce", "us-east-1", **as_account(DEV)).get_cost_and_usage(
        TimePeriod={"Start": "2026-11-01", "End": "2026-11-08"}, Granularity="DAILY",
        Metrics=["UnblendedCost"])
    eq(len(dev["ResultsByTime"]), 7)
    assert float(dev["ResultsByTime"][0]["Total"]["UnblendedCost"]["Amount"]) > 0


# ---- faults, control API, IMDS, connections ------------------------------------

@check("faults: throttles surface as each service's throttling error")
def _():
    control("POST", "reset")
    cases = [
        ("ec2", "DescribeInstances", lambda: client("ec2").describe_instances(),
         "RequestLimitExceeded", 503),
        ("rds", "DescribeDBInstances", lambda: client("rds").describe_db_instances(),
         "Throttling", 400),
        ("elbv2", "DescribeLoadBalancers", lambda: client("elbv2").describe_load_balancers(),
         "Throttling", 400),
        ("lambda", "ListFunctions", lambda: client("lambda").list_functions(),
         "TooManyRequestsException", 429),
        ("ce", "GetCostAndUsage", lambda: client("ce", "us-east-1").get_cost_and_usage(
            TimePeriod={"Start": "2026-11-01", "End": "2026-11-02"}, Granularity="DAILY",
            Metrics=["UnblendedCost"]), "ThrottlingException", 400),
        ("s3", "ListBuckets", lambda: client("s3").list_buckets(), "SlowDown", 503),
    ]
    for svc, action, call, code, status in cases:
        control("POST", "faults", {"service": svc, "action": action, "region": None,
                                   "kind": "throttle", "count": 1})
        try:
            call()
            raise AssertionError("%s: no throttle" % svc)
        except botocore.exceptions.ClientError as e:
            eq(e.response["Error"]["Code"], code, svc)
            eq(e.response["ResponseMetadata"]["HTTPStatusCode"], status, svc)
        call()  # count 1: the next call goes through
    log = control("GET", "requests")
    eq(sum(1 for e in log if e.get("fault") == "throttle"), len(cases), "throttles logged")


@check("faults: botocore retries a throttle, 500, drop and slow until it succeeds")
def _():
    control("POST", "reset")
    acct_eu = {"service": "ec2", "action": "DescribeVolumes", "region": "eu-west-1",
               "account": PROD}
    control("POST", "faults", dict(acct_eu, kind="throttle", count=1))
    control("POST", "faults", dict(acct_eu, kind="500", count=1))
    control("POST", "faults", dict(acct_eu, kind="slow", count=1, delay_ms=50))
    ec2 = client("ec2", retries={"mode": "standard", "total_max_attempts": 4})
    ec2.describe_volumes()
    log = [e for e in control("GET", "requests") if e["action"] == "DescribeVolumes"]
    eq([(e["status"], e.get("fault")) for e in log],
       [(503, "throttle"), (500, "500"), (200, "slow")])
    assert all(e["signed_ok"] and e["account"] == PROD for e in log), log
    control("POST", "faults", dict(acct_eu, kind="drop", count=1))
    try:
        client("ec2").describe_volumes()
        raise AssertionError("drop: no error")
    except (botocore.exceptions.ConnectionClosedError,
            botocore.exceptions.EndpointConnectionError):
        pass
    other = client("ec2", "us-east-1")
    control("POST", "faults", dict(acct_eu, kind="throttle", count=-1))
    other.describe_volumes()  # another region is not affected
    eq(error_code(client("ec2").describe_volumes), "RequestLimitExceeded")
    eq(error_code(client("ec2").describe_volumes), "RequestLimitExceeded")
    control("POST", "reset")
    client("ec2").describe_volumes()
    eq(control("POST", "latency", {"ms": 0}), {"ms": 0})


@check("imds: IMDSv2 token flow, 401 without token, credentials usable by boto3")
def _():
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
    conn.request("GET", "/latest/meta-data/iam/security-credentials/")
    r = conn.getresponse()
    r.read()
    eq(r.status, 401, "no token")
    conn.request("PUT", "/latest/api/token", headers={"X-aws-ec2-metadata-token-ttl-seconds": "60"})
    r = conn.getresponse()
    token = r.read().decode()
    eq(r.status, 200)
    hdr = {"X-aws-ec2-metadata-token": token}
    conn.request("GET", "/latest/meta-data/iam/security-credentials/", headers=hdr)
    r = conn.getresponse()
    role = r.read().decode().strip()
    eq(r.status, 200)
    conn.request("GET", "/latest/meta-data/iam/security-credentials/" + role, headers=hdr)
    r = conn.getresponse()
    doc = json.loads(r.read())
    eq(doc["Code"], "Success")
    assert doc["AccessKeyId"].startswith("ASIA") and doc["Token"] and doc["Expiration"]
    conn.close()
    who = client("sts", "us-east-1", doc["AccessKeyId"], doc["SecretAccessKey"],
                 doc["Token"]).get_caller_identity()
    eq(who["Account"], PROD)
    with mock.patch.dict(os.environ, {"AWS_EC2_METADATA_DISABLED": "false"}):
        fetcher = botocore.utils.InstanceMetadataFetcher(
            timeout=5, num_attempts=1, config={"ec2_metadata_service_endpoint": URL + "/"})
        creds = fetcher.retrieve_iam_role_credentials()
    eq(creds.get("role_name"), role)
    assert creds["access_key"].startswith("ASIA"), creds


@check("http: keep-alive on one connection and concurrent clients")
def _():
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
    for _ in range(3):
        conn.request("GET", "/__control/health")
        r = conn.getresponse()
        assert r.getheader("Content-Length"), "Content-Length"
        json.loads(r.read())
    sock = conn.sock
    conn.request("GET", "/__control/health")
    conn.getresponse().read()
    assert conn.sock is sock, "connection was not kept alive"
    conn.close()

    def one(region):
        return len(client("ec2", region).describe_volumes()["Volumes"])
    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        got = list(ex.map(one, REGIONS * 8))
    eq(got, [count(PROD, r, "ebs-volume") for r in REGIONS] * 8)


@check("log: every request above was signed correctly except the deliberate failures")
def _():
    control("POST", "reset")
    client("rds").describe_db_instances()
    error_code(client("ec2", secret="wrong").describe_instances)
    log = control("GET", "requests")
    eq([(e["service"], e["action"], e["region"], e["account"], e["status"], e["signed_ok"])
        for e in log],
       [("rds", "DescribeDBInstances", "eu-west-1", PROD, 200, True),
        ("ec2", "DescribeInstances", "eu-west-1", PROD, 403, False)])


control("POST", "reset", {"estate": True})
print("%d passed, %d failed" % (len(PASSED), len(FAILED)))
sys.exit(1 if FAILED else 0)
