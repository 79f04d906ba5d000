# Cost anomalies end to end: the sim estate's planted spikes appear in
# status/anomalies/, a second pass at the same clock changes nothing, the
# `ingest` command reads a FOCUS export (idempotently, rejected rows with
# file:line: column: message), and an Account's costExports directory feeds
# the pass, whose anomaly names the planted resource as root cause.
. "$(dirname "$0")/lib.sh"
seed_repo

fc reconcile --once || fail "reconcile exited $?"
files=$(remote_files)
dt=status/anomalies/anomaly-20261112-402918374651-aws-data-transfer.yaml
la=status/anomalies/anomaly-20261020-518273640192-aws-lambda.yaml
grep -qx "$dt" <<<"$files" || fail "acme-prod Data Transfer spike not found: $(grep anomalies <<<"$files")"
grep -qx "$la" <<<"$files" || fail "acme-dev Lambda spike not found: $(grep anomalies <<<"$files")"
a=$(remote_show "$dt")
grep -q 'firstDay: "2026-11-12"' <<<"$a" || fail "first day: $a"
grep -q 'lastDay: "2026-11-13"' <<<"$a" || fail "last day: $a"
grep -q 'resolvedDay: "2026-11-14"' <<<"$a" || fail "resolved day: $a"
grep -q 'severity: high' <<<"$a" || fail "severity: $a"
grep -q 'reason: Resolved' <<<"$a" || fail "Open condition: $a"
grep -A3 -- '- dimension: resource' <<<"$a" | grep -q 'value: acme-prod-backups' || fail "root cause: $a"
grep -q "observedCommit: $(git --git-dir="$REMOTE" rev-parse main^)" <<<"$a" || fail "observedCommit: $a"
l=$(remote_show "$la")
grep -q 'firstDay: "2026-10-20"' <<<"$l" || fail "lambda first day: $l"
grep -q 'accountName: dev' <<<"$l" || fail "lambda account name: $l"
grep -A3 -- '- dimension: resource' <<<"$l" | grep -q 'value: slack-notifier' || fail "lambda root cause: $l"
pass "sim spikes reported in status/anomalies/"

head1=$(remote_head)
fc reconcile --once || fail "second reconcile exited $?"
[ "$(remote_head)" = "$head1" ] || fail "a second pass at the same clock made a commit"
pass "anomaly history from the state store: second pass is a no-op"

# A FOCUS export for acme-dev: 50 days, a spike on one instance on 11-17/18.
mkdir -p "$T/exports/focus/BILLING_PERIOD=2026-11"
/usr/bin/python3 - "$T/exports/focus/BILLING_PERIOD=2026-11/export-00001.csv" <<'PY'
import csv, datetime, math, sys
out = open(sys.argv[1], "w", newline="")
w = csv.writer(out)
w.writerow(["BilledCost", "EffectiveCost", "BillingCurrency", "ChargePeriodStart",
            "ChargePeriodEnd", "ChargeCategory", "ServiceName", "SubAccountId",
            "RegionId", "ResourceId", "x_UsageType", "ChargeDescription"])
start = datetime.date(2026, 10, 1)
for d in range(50):
    day = start + datetime.timedelta(days=d)
    for i, (res, base) in enumerate([("i-0aaa", 30.0), ("i-0bbb", 20.0), ("i-0ccc", 10.0)]):
        v = base * (1 + 0.03 * math.sin(d * 1.3 + i))
        if res == "i-0ccc" and day.isoformat() in ("2026-11-17", "2026-11-18"):
            v *= 12   # the planted cause: a runaway instance
        for h in range(0, 24, 6):  # four rows a day
            w.writerow(["%.6f" % (v / 4), "%.6f" % (v / 4), "USD",
                        "%sT%02d:00:00Z" % (day, h), "%sT%02d:00:00Z" % (day, h + 6),
                        "Usage", "Amazon Elastic Compute Cloud", "518273640192",
                        "eu-west-1", res, "EU-BoxUsage:m5.large",
                        "m5.large, \"Linux\", on demand"])
PY
gzip -k "$T/exports/focus/BILLING_PERIOD=2026-11/export-00001.csv"

out=$("$FC_BIN" ingest --state-dir "$T/manual" "$T/exports/focus/BILLING_PERIOD=2026-11/export-00001.csv.gz") \
    || fail "ingest exited $?: $out"
grep -q "FOCUS 1.0, 600 rows read, 0 rejected, 50 days (2026-10-01 .. 2026-11-19), stored" <<<"$out" || fail "ingest output: $out"
total=$(grep -A1 '^total:' <<<"$out" | tail -1)
out2=$("$FC_BIN" ingest --state-dir "$T/manual" "$T/exports/focus/BILLING_PERIOD=2026-11/export-00001.csv.gz") \
    || fail "second ingest exited $?"
grep -q "replaced the earlier ingest" <<<"$out2" || fail "second ingest: $out2"
[ "$(grep -A1 '^total:' <<<"$out2" | tail -1)" = "$total" ] || fail "totals differ on re-ingest: $total vs $out2"
pass "ingest CLI: rows, days, totals; re-ingest replaces"

printf 'BilledCost,ChargePeriodStart,SubAccountId,ServiceName,BillingCurrency\n1.5,2026-11-01,518273640192,X,USD\nabc,2026-11-02,518273640192,X,USD\n2,2026-11-03\n' >"$T/bad.csv"
set +e
out=$("$FC_BIN" ingest --state-dir "$T/manual" "$T/bad.csv")
code=$?
set -e
[ "$code" -eq 3 ] || fail "rejected rows: exit $code, want 3: $out"
grep -q "bad.csv:3: BilledCost: expected a number, got \"abc\"" <<<"$out" || fail "error line: $out"
grep -q "bad.csv:4: (row): expected 5 fields as in the header, got 2" <<<"$out" || fail "error line: $out"
set +e
"$FC_BIN" ingest --state-dir "$T/manual" >/dev/null 2>&1; code=$?
set -e
[ "$code" -eq 2 ] || fail "no FILE: exit $code, want 2"
pass "ingest CLI: rejected rows reported with file:line: column"

# The pass ingests an Account's costExports directory.
rm "$T/exports/focus/BILLING_PERIOD=2026-11/export-00001.csv"
human_commit "Dev account cost exports" \
    "sed -i 's|  tags: {env: dev}|  tags: {env: dev}\n  costExports: {path: \"$T/exports\"}|' finops/accounts/dev-and-data.yaml"
fc reconcile --once || fail "reconcile with costExports exited $?"
# Long ids are cut to 63 characters with a hash suffix.
files=$(remote_files)
ec2=$(grep '^status/anomalies/anomaly-20261117-518273640192-amazon-elastic-compute' <<<"$files") \
    || fail "export anomaly not found: $(grep anomalies <<<"$files")"
e=$(remote_show "$ec2")
grep -q 'region: eu-west-1' <<<"$e" || fail "region: $e"
grep -A3 -- '- dimension: resource' <<<"$e" | grep -q 'value: i-0ccc' || fail "root cause resource: $e"
grep -A3 -- '- dimension: usageType' <<<"$e" | grep -q 'value: EU-BoxUsage:m5.large' || fail "root cause usage type: $e"
# Ingested days replace the sim's for that account: days still in the
# history are judged again, so the sim's Lambda spike of acme-dev (a day the
# export covers) is gone; acme-prod's stays.
files=$(remote_files)
grep -qx "$dt" <<<"$files" || fail "acme-prod spike lost"
grep -qx "$la" <<<"$files" && fail "sim costs of an ingested account still counted"

pass "costExports ingested by the pass; root cause names the planted resource"
