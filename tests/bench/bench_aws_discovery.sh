#!/usr/bin/env bash
# bench_aws_discovery.sh - the C aws provider vs a boto3 script doing the same
# paginated describes one after another (as Cloud Custodian does per region),
# side by side against the loopback AWS server (tests/awsserver) holding
# ~20,000 resources over 2 accounts x 4 regions, LATENCY ms per request.
#
# Like with like: both sides run describes only (no CloudWatch, no Cost
# Explorer) and send the same requests - sts AssumeRole + GetCallerIdentity
# per account; per (account, region) DescribeInstances/Volumes/Snapshots/
# Addresses, ELBv2 DescribeLoadBalancers (+ DescribeTags per 20 ARNs),
# DescribeTargetGroups + DescribeTargetHealth per group, RDS
# DescribeDBInstances, Lambda ListFunctions + GetFunction per function; per
# account S3 ListBuckets + GetBucketLocation per bucket + GetBucketTagging
# per bucket in scope.  The script checks that from the server's request log.
# The C side is tests/bench/bench_aws.c (fc_aws_open + fc_cloud_discover,
# metric_days = cost_days = 0), so git, specs and engines are not timed.
#
# Also: the C provider on each (account, region) alone (the slowest is the
# floor a concurrent discovery can approach), and, for information, one C
# discovery with metrics and costs as a plan pass asks for them.
# Prints wall time, CPU (user + sys) and peak RSS (/usr/bin/time -v).
# Run by hand (not by ctest); needs python3-boto3 for the comparison:
#   bash tests/bench/bench_aws_discovery.sh [build-dir]
# Knobs: SCALE (155 = ~20,000 resources), LATENCY (20 ms), METRIC_DAYS (30),
# COST_DAYS (62), FULL=0 skips the run with metrics.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$SRC/build}
NOW=2026-11-20T12:00:00Z
SCALE=${SCALE:-155}          # ~129 estate resources x 155 = ~20,000
LATENCY=${LATENCY:-20}
METRIC_DAYS=${METRIC_DAYS:-30}
COST_DAYS=${COST_DAYS:-62}
FULL=${FULL:-1}
REGIONS=(eu-west-1 us-east-1 eu-central-1 us-west-2)
ACCOUNTS=(402918374651 518273640192)
[ -f "$BUILD/CMakeCache.txt" ] || { echo "configure first: $BUILD" >&2; exit 2; }
cmake --build "$BUILD" --target bench_aws >/dev/null
BIN=$BUILD/bench_aws
T=$(mktemp -d /tmp/fc-bench.XXXXXX)
SRV=
trap '[ -n "$SRV" ] && kill $SRV 2>/dev/null; rm -rf "$T"' EXIT

/usr/bin/python3 "$SRC/tests/awsserver/server.py" --estate "$SRC/examples/sim/estate.yaml" \
    --port 0 --port-file "$T/port" --now "$NOW" --resources-scale "$SCALE" --accounts 2 \
    --regions us-west-2 --latency-ms "$LATENCY" >"$T/server.log" 2>&1 &
SRV=$!
for _ in $(seq 1 600); do [ -s "$T/port" ] && break; sleep 0.1; done
URL="http://127.0.0.1:$(cat "$T/port")"
NRES=$(/usr/bin/python3 -c "import json,urllib.request;print(json.load(urllib.request.urlopen('$URL/__control/health'))['resources'])")
echo "server: $NRES resources, ${#ACCOUNTS[@]} accounts x ${#REGIONS[@]} regions," \
     "${LATENCY} ms latency per request, $(nproc) CPUs"

export AWS_ACCESS_KEY_ID=AKIDFINOPSTEST AWS_SECRET_ACCESS_KEY=finops-test-secret
export AWS_EC2_METADATA_DISABLED=true AWS_DEFAULT_REGION=us-east-1
ROLES=()
for a in "${ACCOUNTS[@]}"; do ROLES+=("$a:arn:aws:iam::$a:role/finops-controller"); done
ALL=$(IFS=,; echo "${REGIONS[*]}")

control() { # reset | requests FILE
    if [ "$1" = reset ]; then
        /usr/bin/python3 -c "import sys,urllib.request;urllib.request.urlopen(urllib.request.Request(sys.argv[1],data=b'{}',method='POST'))" "$URL/__control/reset"
    else
        /usr/bin/python3 -c "
import collections, json, sys, urllib.request
log = json.load(urllib.request.urlopen(sys.argv[1]))
c = collections.Counter(e['action'] for e in log)
json.dump(dict(sorted(c.items())), open(sys.argv[2], 'w'))
bad = [e for e in log if e['status'] >= 500 or e['status'] == 0]
print('%d requests, %d throttled/5xx/dropped' % (len(log), len(bad)))" "$URL/__control/requests" "$2"
    fi
}
secs() { # "m:ss.ss" or "h:mm:ss" -> seconds
    echo "$1" | awk -F: '{s=0; for (i=1;i<=NF;i++) s=s*60+$i; printf "%.2f", s}'
}
measure() { # name, time -v file -> "wall cpu rss" in $T/<name>.m, printed
    local wall user sys rss
    wall=$(secs "$(sed -n 's/.*Elapsed (wall clock) time.*: //p' "$2")")
    user=$(sed -n 's/.*User time (seconds): //p' "$2")
    sys=$(sed -n 's/.*System time (seconds): //p' "$2")
    rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$2")
    echo "$wall $(echo "$user + $sys" | bc -l) $rss" >"$T/$1.m"
    printf '%-44s wall %7.2f s  cpu %6.2f s  peak RSS %6.1f MiB\n' "$1" "$wall" \
        "$(echo "$user + $sys" | bc -l)" "$(echo "$rss / 1024" | bc -l)"
}
run_c() { # name, bench_aws args...
    local name=$1
    shift
    control reset
    /usr/bin/time -v "$BIN" --endpoint-url "$URL" --now "$NOW" "$@" >"$T/$name.out" \
        2>"$T/$name.err" || { cat "$T/$name.out"; tail "$T/$name.err"; exit 1; }
    sed 's/^bench_aws: /  /' "$T/$name.out"
    printf '  server: '
    control requests "$T/$name.req"
    measure "$name" "$T/$name.err"
}

echo
echo "== describes only =="
run_c "C, 2 accounts x 4 regions (16 conns)" --regions "$ALL" "${ROLES[@]}"
cp "$T/C, 2 accounts x 4 regions (16 conns).req" "$T/c.req"
slow=0 slow_name=
for a in "${ROLES[@]}"; do
    for r in "${REGIONS[@]}"; do
        n="C, ${a%%:*} $r alone"
        run_c "$n" --regions "$r" "$a" | sed 's/^/    /'
        w=$(cut -d' ' -f1 "$T/$n.m")
        if [ "$(echo "$w > $slow" | bc -l)" = 1 ]; then slow=$w; slow_name=$n; fi
    done
done

if /usr/bin/python3 -c "import boto3" 2>/dev/null; then
    cat >"$T/boto.py" <<'EOF'
"""Serial boto3 discovery: the requests the C provider sends, one at a time."""
import sys
import boto3
import botocore.config
from botocore.exceptions import ClientError

url, regions, accounts = sys.argv[1], sys.argv[2].split(","), sys.argv[3:]
cfg = botocore.config.Config(retries={"max_attempts": 5, "mode": "standard"})
total = calls = 0
sts = boto3.client("sts", endpoint_url=url, region_name="us-east-1", config=cfg)
for acct in accounts:
    c = sts.assume_role(RoleArn="arn:aws:iam::%s:role/finops-controller" % acct,
                        RoleSessionName="finops-controller")["Credentials"]
    kw = dict(endpoint_url=url, config=cfg, aws_access_key_id=c["AccessKeyId"],
              aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"])
    boto3.client("sts", region_name=regions[0], **kw).get_caller_identity()
    for region in regions:
        ec2 = boto3.client("ec2", region_name=region, **kw)
        for op, key, args in (("describe_instances", "Reservations", {"MaxResults": 1000}),
                              ("describe_volumes", "Volumes", {"MaxResults": 500}),
                              ("describe_snapshots", "Snapshots",
                               {"MaxResults": 1000, "OwnerIds": ["self"]})):
            tok = None
            while True:
                p = getattr(ec2, op)(**args, **({"NextToken": tok} if tok else {}))
                total += (sum(len(r["Instances"]) for r in p[key]) if key == "Reservations"
                          else len(p[key]))
                tok = p.get("NextToken")
                if not tok:
                    break
        total += len(ec2.describe_addresses()["Addresses"])
        elb = boto3.client("elbv2", region_name=region, **kw)
        marker = None
        while True:
            p = elb.describe_load_balancers(PageSize=400, **({"Marker": marker} if marker else {}))
            arns = [lb["LoadBalancerArn"] for lb in p["LoadBalancers"]]
            total += len(arns)
            for b in range(0, len(arns), 20):
                try:
                    elb.describe_tags(ResourceArns=arns[b:b + 20])
                except ClientError:
                    pass  # not served by the test server; the C side skips it too
            marker = p.get("NextMarker")
            if not marker:
                break
        marker = None
        while True:
            p = elb.describe_target_groups(PageSize=400, **({"Marker": marker} if marker else {}))
            for tg in p["TargetGroups"]:
                if tg.get("LoadBalancerArns"):
                    elb.describe_target_health(TargetGroupArn=tg["TargetGroupArn"])
            marker = p.get("NextMarker")
            if not marker:
                break
        rds = boto3.client("rds", region_name=region, **kw)
        marker = None
        while True:
            p = rds.describe_db_instances(MaxRecords=100, **({"Marker": marker} if marker else {}))
            total += len(p["DBInstances"])
            marker = p.get("Marker")
            if not marker:
                break
        lam = boto3.client("lambda", region_name=region, **kw)
        marker = None
        while True:
            p = lam.list_functions(MaxItems=50, **({"Marker": marker} if marker else {}))
            for f in p["Functions"]:
                lam.get_function(FunctionName=f["FunctionName"])
            total += len(p["Functions"])
            marker = p.get("NextMarker")
            if not marker:
                break
    s3 = {"us-east-1": boto3.client("s3", region_name="us-east-1", **kw)}
    for b in s3["us-east-1"].list_buckets()["Buckets"]:
        loc = s3["us-east-1"].get_bucket_location(
            Bucket=b["Name"])["LocationConstraint"] or "us-east-1"
        if loc not in regions:
            continue
        total += 1
        if loc not in s3:  # tags are read in the bucket's region, as the C side does
            s3[loc] = boto3.client("s3", region_name=loc, **kw)
        try:
            s3[loc].get_bucket_tagging(Bucket=b["Name"])
        except ClientError as e:
            if e.response["Error"]["Code"] != "NoSuchTagSet":
                raise
print("%d resources, %d account(s) x %d region(s)" % (total, len(accounts), len(regions)))
EOF
    echo
    control reset
    /usr/bin/time -v /usr/bin/python3 "$T/boto.py" "$URL" "$ALL" "${ACCOUNTS[@]}" \
        >"$T/b.out" 2>"$T/b.err" || { tail "$T/b.err"; exit 1; }
    sed 's/^/  /' "$T/b.out"
    printf '  server: '
    control requests "$T/b.req"
    measure "boto3, serial, 2 accounts x 4 regions" "$T/b.err"
    if cmp -s "$T/c.req" "$T/b.req"; then
        echo "  same requests as the C run: $(cat "$T/c.req")"
    else
        echo "  REQUESTS DIFFER: C $(cat "$T/c.req")"
        echo "                   boto3 $(cat "$T/b.req")"
    fi
    cw=$(cut -d' ' -f1 "$T/C, 2 accounts x 4 regions (16 conns).m")
    bw=$(cut -d' ' -f1 "$T/boto3, serial, 2 accounts x 4 regions.m")
    printf '\nC vs boto3: %.1fx faster (target >= 3x)\n' "$(echo "$bw / $cw" | bc -l)"
else
    echo "python3-boto3 not installed: skipping the boto3 comparison"
    cw=$(cut -d' ' -f1 "$T/C, 2 accounts x 4 regions (16 conns).m")
fi
printf 'C all 8 scopes vs the slowest alone (%s): %.2f s vs %.2f s = %.2fx\n' \
    "$slow_name" "$cw" "$slow" "$(echo "$cw / $slow" | bc -l)"

if [ "$FULL" = 1 ]; then
    echo
    echo "== for information: C with ${METRIC_DAYS} days of metrics and ${COST_DAYS} of costs =="
    run_c "C, full (describes + metrics + costs)" --regions "$ALL" \
        --metric-days "$METRIC_DAYS" --cost-days "$COST_DAYS" "${ROLES[@]}"
fi
