# Crash injection: the controller is killed (SIGKILL, FC_CRASH_AT) at random
# instrumented points -- journal written, provider call made, journal done,
# status committed, every phase boundary -- pass after pass, until CRASHES
# crashes have happened.  The work comes in epochs: each epoch is a fresh
# repo and state dir with eight approved actions (stop, modify-volume,
# rightsize of a stopped instance), crashed until all eight are journaled,
# then finished by clean passes and checked against issue 7's invariant,
# strictly: every approved action reached the cloud exactly once (the sim's
# append-only action log: no zero, no two), every journal row is done (a
# crash before the provider call puts the row back to planned and it is
# retried under the same id), every record status/executions/<id>.yaml is
# pushed and says done, the sim state is the desired one, and the run table
# shows every interrupted pass.
#
#   CRASHES=1000 bash tests/integration/test_crash_injection.sh   (long run)
#   CRASH_SEED=7 ...     reproduces a sequence (pass i of epoch e uses
#                        random:<seed*1000000+e*10000+i>:<PCT>)
#   CRASH_PCT=6          probability per crash point, in percent
#   CRASHES_ASAN=N       the count when FC_BIN is an ASan build (default 60)
. "$(dirname "$0")/lib.sh"

# ASan passes are several times slower: fewer crashes keep the test within
# the CI budget (3 min on 2 cores); the normal build does the 200.
if ldd "$FC_BIN" 2>/dev/null | grep -q libasan; then
    CRASHES=${CRASHES_ASAN:-${CRASHES:-60}}
fi
CRASHES=${CRASHES:-200}
SEED=${CRASH_SEED:-20261121}
PCT=${CRASH_PCT:-6}
DEV=518273640192
# Saturday 03:00 UTC: inside the demo stop-idle-build-box's window.
NOW=2026-11-21T03:00:00Z

# A tiny estate (the acted-on dev resources of the demo estate) keeps each
# pass short: hundreds of passes must fit in CI.
/usr/bin/python3 - "$FC_SOURCE_DIR/examples/sim/estate.yaml" "$T/estate.yaml" <<'EOF'
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
keep = {"i-06288ccf1ddb6e746", "i-0547536f40c0c469d", "i-0597fbc141b11df74",
        "i-08308ecbadbbe3216", "i-08cdc1d2deb26162d", "i-0479733e2abdd1fcf",
        "vol-032d4d09f594e209d", "vol-0ab3e779307c71384", "vol-0210bfb9181421db7"}
d["resources"] = [r for r in d["resources"] if r["id"] in keep]
yaml.safe_dump(d, open(sys.argv[2], "w"), sort_keys=False)
EOF
fc() {
    local cmd=$1; shift
    "$FC_BIN" "$cmd" --repo "$REMOTE" --state-dir "$STATE" --sim-file "$T/estate.yaml" \
        --prices "$FC_SOURCE_DIR/examples/prices/aws-prices.yaml" \
        --now "$NOW" --log-level warn "$@"
}
opt() { # name action resource region [parameters]
    cat >"finops/optimizations/$1.yaml" <<EOF
apiVersion: finops.dev/v1alpha1
kind: Optimization
metadata:
  name: $1
spec:
  target: {account: "$DEV", region: $4, resource: $3}
  action: $2
  parameters: {${5:-}}
  approval: {approvedBy: [alice@example.com]}
EOF
}
export -f opt
export DEV

# A fresh repo and state dir with eight approved actions (the demo's own
# stop-idle-build-box is the eighth): more than maxActionsPerPass (5), so
# every epoch needs two executing passes at least.
new_epoch() {
    REMOTE="$T/e$1/remote.git" WORK="$T/e$1/work" STATE="$T/e$1/state"
    mkdir -p "$T/e$1"
    seed_repo
    human_commit "Approve seven optimizations" '
        git rm -q finops/accounts/prod.yaml finops/budgets/team-data.yaml
        /usr/bin/python3 -c "
p = \"finops/accounts/dev-and-data.yaml\"
first = open(p).read().split(\"---\")[0]
open(p, \"w\").write(first)"
        opt stop-build-box-1 stop i-06288ccf1ddb6e746 eu-west-1
        opt stop-demo-env stop i-0547536f40c0c469d us-east-1
        opt stop-jenkins-old stop i-08cdc1d2deb26162d eu-west-1
        opt gp3-jenkins-root modify-volume vol-032d4d09f594e209d eu-west-1 "volumeType: gp3"
        opt gp3-license-root modify-volume vol-0ab3e779307c71384 us-east-1 "volumeType: gp3"
        opt gp3-jenkins-data modify-volume vol-0210bfb9181421db7 eu-west-1 "volumeType: gp3"
        opt rightsize-test-runner rightsize i-0597fbc141b11df74 eu-west-1 "instanceType: t3.large"
    '
}

journaled() { sqlite3 "$STATE/state.db" "SELECT count(*) FROM executions" 2>/dev/null || echo 0; }
finished() {
    sqlite3 "$STATE/state.db" "SELECT count(*) FROM executions WHERE state = 'done'" \
        2>/dev/null || echo 0
}

# Checks one finished epoch (see the header).
check_epoch() {
    local e=$1 ecrashes=$2 epasses=$3 log="$STATE/sim-actions.log" rows id res st err calls
    local ndone=0 nint=0
    [ -s "$log" ] || fail "epoch $e: no sim action log"
    sort "$log" | uniq -d | grep . && fail "epoch $e: an action ran twice: $(cat "$log")"
    rows=$(sqlite3 -separator ' ' "$STATE/state.db" \
        "SELECT id, resource, state, replace(coalesce(error, '-'), ' ', '_'), attempts
         FROM executions ORDER BY id")
    [ "$(wc -l <<<"$rows")" = 8 ] || fail "epoch $e: expected 8 journal rows: $rows"
    : >"$T/settled"
    while read -r id res st err attempts; do
        calls=$(grep -c " $res\$" "$log" || true)
        [ "$st" = done ] || fail "epoch $e: journal row $id ($res) is $st: $err"
        [ "$calls" = 1 ] || fail "epoch $e: $id ($res) done after $calls provider calls"
        ndone=$((ndone + 1))
        [ "$attempts" -le 1 ] || nint=$((nint + 1))
        rec=$(remote_show "status/executions/$id.yaml") || fail "epoch $e: no record for $id"
        grep -q "state: done" <<<"$rec" || fail "epoch $e: record $id is not done: $rec"
        echo "$res $st" >>"$T/settled"
    done <<<"$rows"
    [ "$(wc -l <"$log")" = 8 ] ||
        fail "epoch $e: $(wc -l <"$log") provider calls for 8 approved actions: $(cat "$log")"
    /usr/bin/python3 - "$STATE/sim-state.json" "$T/settled" <<'EOF' || fail "epoch $e: sim state"
import json, sys
res = {r["id"]: r for r in json.load(open(sys.argv[1]))["resources"]}
want = {"i-06288ccf1ddb6e746": ("state", "stopped"), "i-0547536f40c0c469d": ("state", "stopped"),
        "i-08cdc1d2deb26162d": ("state", "stopped"), "i-08308ecbadbbe3216": ("state", "stopped"),
        "vol-032d4d09f594e209d": ("sizeClass", "gp3"), "vol-0ab3e779307c71384": ("sizeClass", "gp3"),
        "vol-0210bfb9181421db7": ("sizeClass", "gp3"), "i-0597fbc141b11df74": ("sizeClass", "t3.large")}
bad = []
for line in open(sys.argv[2]):
    rid, st = line.split()
    field, value = want[rid]
    got = res.get(rid, {}).get(field)
    if st != "done" or got != value:
        bad.append((rid, st, field, got))
if len(res) and sum(1 for _ in open(sys.argv[2])) != len(want):
    bad.append(("rows", sum(1 for _ in open(sys.argv[2]))))
if bad:
    print("sim state not as the journal says:", bad, file=sys.stderr)
    sys.exit(1)
EOF
    "$FC_BIN" status --state-dir "$STATE" --limit 100000 --json >"$T/runs.json" ||
        fail "epoch $e: status failed"
    read -r ninterrupted nrunning nruns <<<"$(/usr/bin/python3 -c '
import json, sys
runs = json.load(open(sys.argv[1]))["runs"]
print(sum(r["result"] == "interrupted" for r in runs), sum(r["result"] == "running" for r in runs),
      len(runs))' "$T/runs.json")"
    [ "$ninterrupted" = "$ecrashes" ] || fail "epoch $e: $ninterrupted runs interrupted, $ecrashes crashes"
    [ "$nrunning" = 0 ] || fail "epoch $e: $nrunning runs still open"
    [ "$nruns" = "$epasses" ] || fail "epoch $e: $nruns runs recorded for $epasses passes"
    "$FC_BIN" status --state-dir "$STATE" --limit 4 >"$T/table" || fail "status table"
    grep -Eq '^[0-9]+ .*(committed|unchanged) ' "$T/table" ||
        fail "epoch $e: run table lacks the clean passes: $(cat "$T/table")"
    tot_done=$((tot_done + ndone)) tot_int=$((tot_int + nint))
}

crashes=0 completed=0 passes=0 e=0 tot_done=0 tot_int=0
: >"$T/points"
start=$(date +%s%N)
while [ "$crashes" -lt "$CRASHES" ]; do
    e=$((e + 1))
    new_epoch "$e"
    if [ "$e" = 1 ]; then
        fc plan >"$T/plan.txt" 2>&1 || fail "plan failed: $(cat "$T/plan.txt")"
        n=$(grep -c '^  planned ' "$T/plan.txt" || true)
        [ "$n" = 8 ] || fail "expected 8 planned actions, got $n: $(cat "$T/plan.txt")"
    fi
    ecrashes=0 epasses=0 after=0
    # Crash until all eight actions are journaled and one pass after that
    # got through (settling, status commit and push crash too), or enough.
    while [ "$after" = 0 ] && [ "$crashes" -lt "$CRASHES" ]; do
        [ "$(journaled)" -lt 8 ] || after=-1
        epasses=$((epasses + 1)) passes=$((passes + 1))
        [ "$epasses" -le 400 ] || fail "epoch $e: no progress after $epasses passes"
        at="random:$((SEED * 1000000 + e * 10000 + epasses)):$PCT"
        rc=0
        FC_CRASH_AT=$at fc reconcile --once --live 2>"$T/err" || rc=$?
        if [ "$rc" = 137 ]; then
            crashes=$((crashes + 1)) ecrashes=$((ecrashes + 1))
            point=$(sed -n 's/^crashpoint: //p' "$T/err" | tail -1)
            # SIGKILL from outside (the OOM killer on a loaded machine,
            # ASan's shadow memory makes it likelier) names no point.
            [ -n "$point" ] || fail "epoch $e pass $epasses (FC_CRASH_AT=$at) was killed" \
                "without reaching a crash point (killed from outside? dmesg): $(cat "$T/err")"
            echo "$point" >>"$T/points"
        elif [ "$rc" = 0 ]; then
            completed=$((completed + 1))
            [ "$after" = 0 ] || after=1
        else
            fail "epoch $e pass $epasses (FC_CRASH_AT=$at) exited $rc: $(cat "$T/err")"
        fi
        [ "$after" = 1 ] || after=0
    done
    # Clean passes until one starts with all eight done: before that, they
    # settle what a crash left started, retry what never reached the cloud
    # (at most 5 actions run per pass) and push every record.
    for k in 1 2 3 4 5 6; do
        n=$(finished)
        epasses=$((epasses + 1)) passes=$((passes + 1))
        fc reconcile --once --live 2>"$T/err" || fail "epoch $e: clean pass exited: $(cat "$T/err")"
        [ "$n" -lt 8 ] || break
    done
    check_epoch "$e" "$ecrashes" "$epasses"
done
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "crash loop: $crashes crashes in $e epochs, $passes passes ($completed crash-free under" \
     "FC_CRASH_AT), ${elapsed_ms} ms, $((elapsed_ms / passes)) ms per pass," \
     "$((elapsed_ms / (crashes > 0 ? crashes : 1))) ms per crash"
echo "actions: $tot_done done, each exactly once; $tot_int of them retried under the same id" \
     "after a crash between journal and call"
echo "crashes per point:"
sort "$T/points" | uniq -c | sort -rn
if [ "$CRASHES" -ge 200 ]; then # every kind of point was reached
    for p in executor.journal-started provider.sim.applied executor.applied \
             executor.journal-done pass.before-status-commit phase.execution.begin; do
        grep -qx "$p" "$T/points" || fail "never crashed at $p"
    done
fi
pass "$crashes crashes over $e epochs: every approved action exactly once, every row done," \
     "every record pushed, sim as desired, every crash an interrupted run"
