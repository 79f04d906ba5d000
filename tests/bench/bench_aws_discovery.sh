#!/usr/bin/env bash
# bench_aws_discovery.sh - the C aws provider vs a boto3 script doing the same
# paginated describes (and CloudWatch batches) serially, against the loopback
# AWS server with ~20,000 resources over 2 accounts x 4 regions and 20 ms of
# latency per request.  Prints wall time and peak RSS (/usr/bin/time -v).
# Run by hand (not by ctest):
#   bash tests/bench/bench_aws_discovery.sh [build-dir]
# Needs python3-boto3 (apt-get install python3-boto3) for the comparison.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$SRC/build}
BIN=$BUILD/finops-controller
NOW=2026-11-20T12:00:00Z
SCALE=${SCALE:-122}          # ~165 estate resources x 122 = ~20,000
LATENCY=${LATENCY:-20}
[ -x "$BIN" ] || { echo "build first: $BIN missing" >&2; exit 2; }
T=$(mktemp -d /tmp/fc-bench.XXXXXX)
trap 'kill $SRV 2>/dev/null || true; rm -rf "$T"' EXIT

/usr/bin/python3 "$SRC/tests/awsserver/server.py" --estate "$SRC/examples/sim/estate.yaml" \
    --port 0 --port-file "$T/port" --now "$NOW" --resources-scale "$SCALE" --accounts 2 \
    --regions us-west-2 --latency-ms "$LATENCY" >"$T/server.log" 2>&1 &
SRV=$!
for _ in $(seq 1 300); do [ -s "$T/port" ] && break; sleep 0.1; done
URL="http://127.0.0.1:$(cat "$T/port")"
NRES=$(/usr/bin/python3 -c "import json,urllib.request;print(json.load(urllib.request.urlopen('$URL/__control/health'))['resources'])")
echo "server: $NRES resources, 2 accounts x 4 regions, ${LATENCY} ms latency per request"

# Specs: the two accounts, every region, through their roles.
mkdir -p "$T/work/finops/accounts"
for a in 402918374651:prod 518273640192:dev; do
    cat >"$T/work/finops/accounts/${a#*:}.yaml" <<EOF
apiVersion: finops.dev/v1alpha1
kind: Account
metadata: {name: ${a#*:}}
spec:
  accountId: "${a%%:*}"
  roleArn: arn:aws:iam::${a%%:*}:role/finops-controller
  regions: [eu-west-1, us-east-1, eu-central-1, us-west-2]
EOF
done
git init -q -b main "$T/work"
git -C "$T/work" add -A
git -C "$T/work" -c user.name=bench -c user.email=bench@example.com commit -q -m specs
git init -q --bare -b main "$T/remote.git"
git -C "$T/work" push -q "$T/remote.git" main

export AWS_ACCESS_KEY_ID=AKIDFINOPSTEST AWS_SECRET_ACCESS_KEY=finops-test-secret
export AWS_EC2_METADATA_DISABLED=true AWS_DEFAULT_REGION=us-east-1

report() { # name, time -v output
    local wall rss
    wall=$(sed -n 's/.*Elapsed (wall clock) time.*: //p' "$2")
    rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$2")
    printf '%-34s wall %8s   peak RSS %7.1f MiB\n' "$1" "$wall" "$(echo "$rss / 1024" | bc -l)"
}

/usr/bin/python3 - "$URL/__control/reset" <<'EOF'
import sys, urllib.request
urllib.request.urlopen(urllib.request.Request(sys.argv[1], data=b"{}", method="POST"))
EOF
/usr/bin/time -v "$BIN" plan --repo "$T/remote.git" --state-dir "$T/state" --provider aws \
    --endpoint-url "$URL" --now "$NOW" --sim-file "$SRC/examples/sim/estate.yaml" \
    --prices "$SRC/examples/prices/aws-prices.yaml" --log-level info \
    >"$T/c.out" 2>"$T/c.err" || { tail "$T/c.err"; exit 1; }
grep "aws: discovered" "$T/c.err" | sed 's/^.*aws: /C provider: /'
report "C (curl multi, whole plan pass)" "$T/c.err"

if ! /usr/bin/python3 -c "import boto3" 2>/dev/null; then
    echo "python3-boto3 not installed: skipping the boto3 comparison"
    exit 0
fi
cat >"$T/boto.py" <<'EOF'
"""Serial boto3 discovery: the same paginated describes and metric batches."""
import datetime, sys, boto3, botocore.config
url, now = sys.argv[1], datetime.datetime(2026, 11, 20, 12, tzinfo=datetime.timezone.utc)
cfg = botocore.config.Config(retries={"max_attempts": 5, "mode": "standard"})
regions = ["eu-west-1", "us-east-1", "eu-central-1", "us-west-2"]
total = series = 0
sts = boto3.client("sts", endpoint_url=url, region_name="us-east-1", config=cfg)
for acct in ("402918374651", "518273640192"):
    c = sts.assume_role(RoleArn="arn:aws:iam::%s:role/finops-controller" % acct,
                        RoleSessionName="finops-controller")["Credentials"]
    kw = dict(endpoint_url=url, config=cfg, aws_access_key_id=c["AccessKeyId"],
              aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"])
    for region in regions:
        ec2 = boto3.client("ec2", region_name=region, **kw)
        ids = []
        for p in ec2.get_paginator("describe_instances").paginate():
            for res in p["Reservations"]:
                ids += [i["InstanceId"] for i in res["Instances"]]
        total += len(ids)
        for op, key in (("describe_volumes", "Volumes"), ("describe_snapshots", "Snapshots")):
            args = {"OwnerIds": ["self"]} if op == "describe_snapshots" else {}
            for p in ec2.get_paginator(op).paginate(**args):
                total += len(p[key])
        total += len(ec2.describe_addresses()["Addresses"])
        for p in boto3.client("elbv2", region_name=region, **kw).get_paginator(
                "describe_load_balancers").paginate():
            total += len(p["LoadBalancers"])
        for p in boto3.client("rds", region_name=region, **kw).get_paginator(
                "describe_db_instances").paginate():
            total += len(p["DBInstances"])
        for p in boto3.client("lambda", region_name=region, **kw).get_paginator(
                "list_functions").paginate():
            total += len(p["Functions"])
        cw = boto3.client("cloudwatch", region_name=region, **kw)
        qs = [{"Id": "m%d" % k, "MetricStat": {"Metric": {"Namespace": "AWS/EC2",
               "MetricName": m, "Dimensions": [{"Name": "InstanceId", "Value": i}]},
               "Period": 3600, "Stat": "Average" if m == "CPUUtilization" else "Sum"}}
              for k, (i, m) in enumerate((i, m) for i in ids
                                         for m in ("CPUUtilization", "NetworkIn", "NetworkOut"))]
        for b in range(0, len(qs), 500):
            for p in cw.get_paginator("get_metric_data").paginate(
                    MetricDataQueries=qs[b:b + 500], StartTime=now - datetime.timedelta(days=14),
                    EndTime=now, ScanBy="TimestampAscending"):
                series += len(p["MetricDataResults"])
print("boto3: %d resources, %d EC2 metric results" % (total, series))
EOF
/usr/bin/python3 - "$URL/__control/reset" <<'EOF'
import sys, urllib.request
urllib.request.urlopen(urllib.request.Request(sys.argv[1], data=b"{}", method="POST"))
EOF
/usr/bin/time -v /usr/bin/python3 "$T/boto.py" "$URL" >"$T/b.out" 2>"$T/b.err" ||
    { tail "$T/b.err"; exit 1; }
cat "$T/b.out"
report "boto3 (serial, describes + EC2 CW)" "$T/b.err"
