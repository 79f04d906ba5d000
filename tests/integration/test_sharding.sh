# Scale-out (controller/shard, docs/scaling.md): three replicas share nine
# Accounts over three shards, one coordination.k8s.io/v1 Lease each, against
# a loopback Lease API with resourceVersion concurrency (tests/k8sserver).
# One replica is killed -9 mid-run.  Asserted from the replicas' logs and the
# server's write log: no account was reconciled by a replica that was not
# the Lease holder at that moment (nor after its renewal ran out), the dead
# replica's accounts were reconciled again by another within lease duration
# + one interval (+ pass slack) of the kill, every push fast-forwarded and
# every replica's status commit is on the branch.
. "$(dirname "$0")/lib.sh"
LEASE=4      # seconds
INTERVAL=1   # seconds
SLACK=${SHARD_SLACK:-4} # seconds: one pass on a loaded machine (ASan)

git init -q --bare -b main "$REMOTE"
git --git-dir="$REMOTE" config receive.denyNonFastForwards true
git --git-dir="$REMOTE" config core.logAllRefUpdates always
git clone -q "$REMOTE" "$WORK" 2>/dev/null
mkdir -p "$WORK/finops/accounts"
# Three accounts of the sim estate, six it does not know (empty inventories).
ids="402918374651 518273640192 739104856213 100000000001 100000000002 100000000003 100000000004 100000000005 100000000006"
i=0
for id in $ids; do
    cat > "$WORK/finops/accounts/acct-$i.yaml" <<YAML
apiVersion: finops.dev/v1alpha1
kind: Account
metadata:
  name: acct-$i
spec:
  accountId: "$id"
  regions: [eu-west-1]
  provider: sim
YAML
    i=$((i + 1))
done
cp "$FC_SOURCE_DIR/examples/demo-repo/finops/budgets/company.yaml" "$WORK/finops/"
git -C "$WORK" add -A
git -C "$WORK" commit -q -m "Nine accounts"
git -C "$WORK" push -q origin main

echo "test-token-$$" > "$T/token"
/usr/bin/python3 "$FC_SOURCE_DIR/tests/k8sserver/server.py" --token-file "$T/token" \
    --port-file "$T/port" --log "$T/writes.log" &
server=$!
pids=""
cleanup() {
    local p
    for p in $pids $server; do kill -9 "$p" 2>/dev/null || true; done
    [ -n "${KEEP_T:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
for _ in $(seq 1 50); do [ -s "$T/port" ] && break; sleep 0.1; done
[ -s "$T/port" ] || fail "lease server did not start"
API="http://127.0.0.1:$(cat "$T/port")"

# A wrong token is refused (the server checks it; the replica says so).
echo wrong > "$T/bad-token"
"$FC_BIN" reconcile --repo "$REMOTE" --state-dir "$T/state-bad" --shards 3 \
    --replica-id bad --kube-api "$API" --kube-token-file "$T/bad-token" \
    --sim-file "$FC_SOURCE_DIR/examples/sim/estate.yaml" \
    --prices "$FC_SOURCE_DIR/examples/prices/aws-prices.yaml" 2>"$T/bad.log" || true
grep -q "HTTP 401" "$T/bad.log" || fail "a wrong token was not refused: $(cat "$T/bad.log")"
grep -q "reconciled account" "$T/bad.log" && fail "a replica without leases reconciled"
grep -q "Sanitizer" "$T/bad.log" && fail "sanitizer report: $(cat "$T/bad.log")"
pass "without a valid token no lease is held and nothing is reconciled"

start_replica() {
    local id=$1
    "$FC_BIN" run --repo "$REMOTE" --state-dir "$T/state-$id" \
        --sim-file "$FC_SOURCE_DIR/examples/sim/estate.yaml" \
        --prices "$FC_SOURCE_DIR/examples/prices/aws-prices.yaml" \
        --listen 127.0.0.1:0 --interval "${INTERVAL}s" --log-level info \
        --shards 3 --replicas 3 --replica-id "$id" --lease-duration "${LEASE}s" \
        --kube-api "$API" --kube-token-file "$T/token" --kube-namespace finops \
        2>"$T/$id.log" &
    pids="$pids $!"
    eval "pid_$id=$!"
}
start_replica r1
start_replica r2
start_replica r3

# Accounts reconciled (by anyone, or by replicas other than $2) after ms $1.
reconciled_since() {
    cat "$T"/r?.log | sed -n 's/.*reconciled account \(acct-[0-9]*\) shard [0-9]* replica \(r[0-9]\) at \([0-9]*\).*/\1 \2 \3/p' |
        awk -v since="$1" -v not="${2:-}" '$3 >= since && $2 != not {print $1}' | sort -u | wc -l
}
for _ in $(seq 1 300); do
    [ "$(reconciled_since 0)" = 9 ] && break
    sleep 0.1
done
[ "$(reconciled_since 0)" = 9 ] || fail "not every account was reconciled: $(tail -5 "$T"/r?.log)"
pass "three replicas reconciled all nine accounts"

# The victim: the replica that reconciled acct-0's shard last; let it run a
# pass more so the kill lands mid-run.
victim=$(sed -n 's/.*reconciled account acct-0 shard [0-9]* replica \(r[0-9]\) at.*/\1/p' "$T"/r?.log | tail -1)
sleep 1.5
kill_ms=$(date +%s%3N)
eval "kill -9 \$pid_$victim"
echo "killed $victim at $kill_ms"

victim_accounts=$(cat "$T/$victim.log" | sed -n 's/.*reconciled account \(acct-[0-9]*\) shard .*/\1/p' | sort -u)
n_victim=$(echo "$victim_accounts" | wc -l)
deadline=$(( (LEASE + INTERVAL + SLACK) * 10 + 100 ))
for _ in $(seq 1 "$deadline"); do
    done_n=0
    for a in $victim_accounts; do
        grep -h "reconciled account $a shard" "$T"/r?.log | grep -v "replica $victim" |
            sed -n 's/.* at \([0-9]*\).*/\1/p' | awk -v k="$kill_ms" '$1 > k {f=1} END {exit !f}' &&
            done_n=$((done_n + 1))
    done
    [ "$done_n" = "$n_victim" ] && break
    sleep 0.1
done
sleep 1 # one more pass of every survivor
for id in r1 r2 r3; do
    [ "$id" = "$victim" ] && continue
    eval "kill -TERM \$pid_$id"
done
for id in r1 r2 r3; do
    [ "$id" = "$victim" ] && continue
    eval "wait \$pid_$id" || fail "replica $id did not stop cleanly: $(tail -5 "$T/$id.log")"
done
pids=""

/usr/bin/python3 - "$T" "$victim" "$kill_ms" "$LEASE" "$INTERVAL" "$SLACK" <<'PY' || fail "sharding assertions"
import json, re, subprocess, sys
T, victim, kill_ms, lease, interval, slack = sys.argv[1], sys.argv[2], int(sys.argv[3]), \
    int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
writes = [json.loads(l) for l in open(T + "/writes.log")]
ok = [w for w in writes if w["code"] in (200, 201)]
events = []
for rid in ("r1", "r2", "r3"):
    for line in open("%s/%s.log" % (T, rid)):
        m = re.search(r"reconciled account (\S+) shard (\d+) replica (\S+) at (\d+)", line)
        if m:
            events.append((int(m.group(4)), m.group(1), int(m.group(2)), m.group(3)))
bad = 0
for t, acct, shard, rid in events:
    name = "finops-controller-shard-%d" % shard
    hist = [w for w in ok if w["name"] == name and w["t"] <= t]
    holder = hist[-1]["holder"] if hist else ""
    renews = [w["t"] for w in hist if w["holder"] == rid]
    # The Lease server's record at that instant: the replica held the Lease,
    # and its last successful write was less than a lease duration before.
    if holder != rid or not renews or t - renews[-1] > lease * 1000:
        print("account %s reconciled by %s at %d while %s held shard %d" %
              (acct, rid, t, holder or "nobody", shard))
        bad += 1
# Two replicas at once: any pair of events for one account by different
# replicas closer than... they cannot both have held the Lease (checked
# above), so it is enough that holders never overlap: each successful write
# by a new holder comes after the old holder's last renewal + duration,
# or after the old holder released it.
for name in sorted({w["name"] for w in ok}):
    hist = [w for w in ok if w["name"] == name]
    for prev, cur in zip(hist, hist[1:]):
        if cur["holder"] and prev["holder"] and cur["holder"] != prev["holder"]:
            if cur["t"] - prev["t"] < lease * 1000:
                print("%s: %s took it from %s only %d ms after its renewal" %
                      (name, cur["holder"], prev["holder"], cur["t"] - prev["t"]))
                bad += 1
conflicts = sum(1 for w in writes if w["code"] == 409)
print("lease writes: %d accepted, %d refused with 409; %d reconcile events" %
      (len(ok), conflicts, len(events)))
victim_accts = sorted({a for t, a, s, r in events if r == victim})
worst = 0
for a in victim_accts:
    after = [t for t, acct, s, r in events if acct == a and r != victim and t > kill_ms]
    if not after:
        print("account %s of the killed replica was never taken over" % a)
        bad += 1
        continue
    worst = max(worst, after[0] - kill_ms)
if worst > (lease + interval + slack) * 1000:
    print("takeover took %d ms (bound %d)" % (worst, (lease + interval + slack) * 1000))
    bad += 1
print("killed %s held %d accounts; all reconciled again %d ms after the kill "
      "(lease %d s)" % (victim, len(victim_accts), worst, lease))
for t, a, s, r in events:
    if r == victim and t > kill_ms:
        print("the killed replica reconciled after its death?"); bad += 1
sys.exit(1 if bad else 0)
PY
pass "no account reconciled by a replica that did not hold its Lease; takeover within bound"

# Pushes: every update of main fast-forwarded; every pushed commit is there.
git --git-dir="$REMOTE" reflog show --format='%H' refs/heads/main > "$T/reflog"
prev=""
while read -r c; do
    if [ -n "$prev" ]; then
        git --git-dir="$REMOTE" merge-base --is-ancestor "$c" "$prev" ||
            fail "update to $prev was not a fast-forward from $c"
    fi
    prev=$c
done < "$T/reflog"
pushed=$(sed -n 's/.*pushed status commit \([0-9a-f]*\) on.*/\1/p' "$T"/r?.log | sort -u)
[ -n "$pushed" ] || fail "no status commit was pushed"
for c in $pushed; do
    git --git-dir="$REMOTE" merge-base --is-ancestor "$c" main ||
        fail "status commit $c was lost"
done
pass "$(echo "$pushed" | wc -l) status commits, all on main, every update a fast-forward"

# Every account's status file is on main, each written once per shard.
for i in $(seq 0 8); do
    remote_show "status/accounts/acct-$i.yaml" | grep -q "accountId" ||
        fail "status/accounts/acct-$i.yaml missing"
done
remote_show status/budgets/company.yaml > /dev/null || fail "the cluster-wide Budget status is missing"
pass "all nine account status files and the cluster-wide Budget are on main"

# Survivors released their Leases on SIGTERM: nobody has to wait them out.
released=$(/usr/bin/python3 -c '
import json, sys
last = {}
for l in open(sys.argv[1]):
    w = json.loads(l)
    if w["code"] in (200, 201):
        last[w["name"]] = w["holder"]
print(sum(1 for h in last.values() if h == ""))' "$T/writes.log")
[ "$released" = 3 ] || fail "only $released of 3 leases were released at exit"
pass "survivors released their leases on SIGTERM"
