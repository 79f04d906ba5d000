# Workflow runs (issue 7.6): every reconcile pass is a run with checkpointed
# phases; `finops-controller status` lists them (table and --json); a pass
# killed mid-phase is reported `interrupted` with its phase at the next
# start; runs older than --run-retention (FINOPS_RUN_RETENTION) are deleted.
. "$(dirname "$0")/lib.sh"
seed_repo
st() { "$FC_BIN" status --state-dir "$T/state" "$@"; }

fc reconcile --once || fail "first pass"
st >"$T/table" || fail "status exited $?"
grep -Eq '^1 +[0-9T:-]+Z +[0-9.]+m?s +committed +[0-9a-f]{12} +0 +sync [0-9.]+m?s, discovery .*, analysis .*, planning .*, execution .*, status ' "$T/table" ||
    fail "run table: $(cat "$T/table")"
pass "a pass is a run with six timed phases"

rc=0
FC_CRASH_AT=phase.analysis.begin fc reconcile --once --force 2>"$T/err" || rc=$?
[ "$rc" = 137 ] || fail "expected SIGKILL, exit $rc"
st --json | /usr/bin/python3 -c '
import json, sys
r = json.load(sys.stdin)["runs"][0]
assert r["result"] == "running", r
assert r["head"] and len(r["head"]) == 40, r  # known from the sync phase on
assert [p["phase"] for p in r["phases"]] == ["sync", "discovery", "analysis"], r' ||
    fail "open run not shown running"
fc reconcile --once --force --log-level warn 2>"$T/err" || fail "pass after crash"
grep -q 'run 2 .*interrupted in phase analysis' "$T/err" || fail "no log of the interrupted run: $(cat "$T/err")"
st --limit 2 >"$T/table"
grep -q '^2 .* interrupted ' "$T/table" && grep -q 'interrupted in phase analysis' "$T/table" ||
    fail "table lacks the interrupted run: $(cat "$T/table")"
[ "$(st --limit 1 --json | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)["runs"]))')" = 1 ] ||
    fail "--limit ignored"
pass "a killed pass is reported interrupted in its phase, in the log and the table"

# Retention: a run from long ago and its phases go at the next start.
sqlite3 "$T/state/state.db" "INSERT INTO runs(id, started, finished, result) VALUES(100, 1000, 1001, 'committed');
    INSERT INTO run_phases(run_id, phase, started, finished, result) VALUES(100, 'sync', 1000000, 1000001, 'ok')"
FINOPS_RUN_RETENTION=30d fc reconcile --once --force || fail "pass with retention"
[ "$(sqlite3 "$T/state/state.db" "SELECT count(*) FROM runs WHERE id = 100")" = 0 ] || fail "old run kept"
[ "$(sqlite3 "$T/state/state.db" "SELECT count(*) FROM run_phases WHERE run_id = 100")" = 0 ] ||
    fail "old run's phases kept"
[ "$(sqlite3 "$T/state/state.db" "SELECT count(*) FROM runs")" = 4 ] || fail "recent runs pruned"
pass "runs older than the retention are deleted with their phases"

st --limit 0 2>/dev/null && fail "--limit 0 accepted"
"$FC_BIN" status --state-dir "$T/nostate" 2>/dev/null && fail "status without a store succeeded"
[ ! -e "$T/nostate" ] || fail "status created a state dir"
pass "usage errors and a missing store are reported"
