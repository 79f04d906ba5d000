# Rollback on the demo: an approved stop runs with --live; reverting the
# approval commit makes the next --live pass start the instance again
# (journal + status/executions/), and so do deleting the Optimization,
# spec.rollback.requested and `finops-controller rollback ID`.  A rollback
# is never repeated, and a dry-run never changes the sim.
. "$(dirname "$0")/lib.sh"
seed_repo
ID=i-08308ecbadbbe3216
OPT=finops/optimizations/stop-idle-build-box.yaml
overlay="$T/state/sim-state.json"
sim_state() { # state of $ID in the sim overlay ("untouched" before any apply)
    [ -e "$overlay" ] || { echo untouched; return; }
    /usr/bin/python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
print(next((r["state"] for r in d["resources"] if r["id"] == sys.argv[2]), "untouched"))' \
        "$overlay" "$ID"
}
opt_status() { remote_show status/optimizations/stop-idle-build-box.yaml; }
exec_id() { opt_status | grep -A3 '^  execution:' | awk '/ id:/ {print $2}'; }
nrecords() { remote_files | grep -c '^status/executions/' || true; }
snapshot_sim() { cat "$overlay" 2>/dev/null || echo none; }
as_carol() { GIT_AUTHOR_NAME=Carol GIT_AUTHOR_EMAIL=carol@example.com human_commit "$@"; }
as_alice() { GIT_AUTHOR_NAME=Alice GIT_AUTHOR_EMAIL=alice@example.com human_commit "$@"; }

# A proposal nobody approved yet, then alice's approval commit.
as_carol "Propose stopping the build box" "sed -i 's/approvedBy: \[alice@example.com\]/approvedBy: []/' $OPT"
as_alice "Approve stopping the build box" "sed -i 's/approvedBy: \[\]/approvedBy: [alice@example.com]/' $OPT"
APPROVAL=$(git -C "$WORK" rev-parse HEAD)

NOW=2026-11-21T03:00:00Z fc reconcile --once --live || fail "live pass exited $?"
[ "$(sim_state)" = stopped ] || fail "not stopped after the live pass: $(sim_state)"
[ "$(nrecords)" = 1 ] || fail "expected one execution record, got $(nrecords)"
E1=$(exec_id)
[ -n "$E1" ] || fail "no execution id in the Optimization status: $(opt_status)"
grep -q 'dryRun: false' <<<"$(opt_status)" || fail "a live pass still says dryRun: true"
pass "approved stop runs with --live and is recorded"

# Revert the approval commit.
git -C "$WORK" pull -q --rebase origin main
git -C "$WORK" revert --no-edit "$APPROVAL" >/dev/null
git -C "$WORK" push -q origin main

before=$(snapshot_sim)
NOW=2026-11-21T03:10:00Z fc reconcile --once || fail "dry-run pass exited $?"
[ "$before" = "$(snapshot_sim)" ] || fail "a dry-run pass changed the sim"
[ "$(nrecords)" = 1 ] || fail "a dry-run pass wrote a rollback record"
grep -q 'dryRun: true' <<<"$(opt_status)" || fail "a dry-run pass does not say dryRun: true"
pass "dry-run only plans the rollback"

# Monday: outside the window; a rollback does not wait for it.
NOW=2026-11-23T10:00:00Z fc reconcile --once --live || fail "rollback pass exited $?"
[ "$(sim_state)" = running ] || fail "not started again after the revert: $(sim_state)"
[ "$(nrecords)" = 2 ] || fail "expected the rollback record too, got $(nrecords)"
orig=$(remote_show "status/executions/$E1.yaml")
grep -q 'state: rolled-back' <<<"$orig" || fail "original not rolled-back: $orig"
grep -A6 '^  rollback:' <<<"$orig" | grep -q 'reason: ApprovalWithdrawn' ||
    fail "original lacks its rollback: $orig"
rb=$(remote_files | grep '^status/executions/' | grep -v "$E1" | head -1)
rbdoc=$(remote_show "$rb")
grep -q 'kind: rollback' <<<"$rbdoc" || fail "rollback record has no kind: $rbdoc"
grep -q "rollbackOf: $E1" <<<"$rbdoc" || fail "rollback record does not link $E1: $rbdoc"
grep -q 'state: done' <<<"$rbdoc" || fail "rollback not done: $rbdoc"
grep -q "kind: start-instances" <<<"$rbdoc" || fail "rollback did not start it: $rbdoc"
journal() { # state of execution $1 in the journal
    /usr/bin/python3 -c 'import sqlite3,sys
c = sqlite3.connect(sys.argv[1])
print(c.execute("SELECT state FROM executions WHERE id = ?", (sys.argv[2],)).fetchone()[0])' \
        "$T/state/state.db" "$1"
}
[ "$(journal "$E1")" = rolled-back ] || fail "journal row $E1 is $(journal "$E1")"
pass "git revert of the approval rolls the stop back, recorded in git"

before=$(snapshot_sim)
NOW=2026-11-23T10:10:00Z fc reconcile --once --live || fail "pass after rollback exited $?"
[ "$before" = "$(snapshot_sim)" ] || fail "the rollback was repeated"
[ "$(nrecords)" = 2 ] || fail "a second rollback record"
pass "a rollback is not repeated"

# Deleting the Optimization rolls it back.
as_alice "Approve again" "sed -i 's/approvedBy: \[\]/approvedBy: [alice@example.com]/' $OPT"
NOW=2026-11-28T03:00:00Z fc reconcile --once --live || fail "re-approved pass exited $?"
[ "$(sim_state)" = stopped ] || fail "re-approved stop did not run: $(sim_state)"
as_alice "Drop the optimization" "git rm -q $OPT"
NOW=2026-11-28T03:10:00Z fc reconcile --once --live || fail "pass after delete exited $?"
[ "$(sim_state)" = running ] || fail "deleting the Optimization did not roll back: $(sim_state)"
all=$(remote_files | grep '^status/executions/' | while read -r f; do remote_show "$f"; done)
grep -q 'reason: OptimizationDeleted' <<<"$all" || fail "no OptimizationDeleted rollback record"
pass "deleting the Optimization rolls it back"

# spec.rollback.requested rolls it back.
as_alice "Restore the optimization" "git checkout $APPROVAL -- $OPT"
NOW=2026-11-28T03:20:00Z fc reconcile --once --live || fail "restored pass exited $?"
[ "$(sim_state)" = stopped ] || fail "restored stop did not run: $(sim_state)"
as_alice "Ask for a rollback" "sed -i 's/rollback: {onFailure: true}/rollback: {onFailure: true, requested: true}/' $OPT"
NOW=2026-11-28T03:30:00Z fc reconcile --once --live || fail "requested pass exited $?"
[ "$(sim_state)" = running ] || fail "rollback.requested did not roll back: $(sim_state)"
NOW=2026-11-28T03:40:00Z fc reconcile --once --live || fail "pass after requested exited $?"
[ "$(sim_state)" = running ] || fail "stopped again while rollback.requested is set"
pass "spec.rollback.requested rolls it back and holds it"

# By hand: finops-controller rollback ID.
as_alice "Done rolling back" "sed -i 's/, requested: true//' $OPT"
NOW=2026-11-28T03:50:00Z fc reconcile --once --live || fail "pass exited $?"
[ "$(sim_state)" = stopped ] || fail "stop after clearing requested did not run: $(sim_state)"
E4=$(exec_id)
before=$(snapshot_sim)
NOW=2026-11-28T04:00:00Z fc rollback "$E4" || fail "dry-run rollback exited $?"
[ "$before" = "$(snapshot_sim)" ] || fail "rollback without --live changed the sim"
NOW=2026-11-28T04:00:00Z fc rollback "$E4" --live || fail "rollback --live exited $?"
[ "$(sim_state)" = running ] || fail "rollback ID did not start it: $(sim_state)"
remote_show "status/executions/$E4.yaml" | grep -q 'state: rolled-back' ||
    fail "status of $E4 not rolled-back"
remote_show "status/executions/$E4.yaml" | grep -q 'reason: RollbackByHand' ||
    fail "rollback by hand not recorded"
if NOW=2026-11-28T04:05:00Z fc rollback no-such-execution-000000000000 --live 2>/dev/null; then
    fail "rollback of an unknown id succeeded"
fi
pass "finops-controller rollback ID undoes it by hand"

# The aws provider (loopback server): snapshot-and-delete takes the snapshot,
# waits for it, deletes the volume; its rollback recreates the volume from
# the snapshot in the same zone, with the same type and tags.
. "$(dirname "$0")/aws_lib.sh"
NOW=2026-11-28T04:10:00Z
start_aws_server
base_env
VOL=vol-0210bfb9181421db7
as_alice "Delete an unattached volume" "cat > finops/optimizations/delete-old-volume.yaml <<'YAML'
apiVersion: finops.dev/v1alpha1
kind: Optimization
metadata: {name: delete-old-volume}
spec:
  target: {account: \"518273640192\", region: eu-west-1, resource: $VOL}
  action: snapshot-and-delete
  approval: {approvedBy: [alice@example.com]}
YAML"
fc_aws reconcile --once --live --state-dir "$T/aws-state" || fail "aws live pass exited $?"
[ "$(log_count 'r["action"] == "CreateSnapshot"')" = 1 ] || fail "no CreateSnapshot"
[ "$(log_count 'r["action"] == "DeleteVolume"')" = 1 ] || fail "no DeleteVolume"
EV=$(remote_show status/optimizations/delete-old-volume.yaml | grep -A3 '^  execution:' |
    awk '/ id:/ {print $2}')
[ -n "$EV" ] || fail "no execution for delete-old-volume"
remote_show "status/executions/$EV.yaml" | grep -q 'state: done' || fail "delete not done"
remote_show "status/executions/$EV.yaml" | grep -A8 '^  undo:' |
    grep -q 'kind: create-volume-from-snapshot' || fail "no restore step recorded"
fc_aws rollback "$EV" --live --state-dir "$T/aws-state" || fail "aws rollback exited $?"
[ "$(log_count 'r["action"] == "CreateVolume"')" = 1 ] || fail "no CreateVolume"
[ "$(log_count 'r["action"] == "CreateTags"')" = 1 ] || fail "tags not restored"
doc=$(remote_show "status/executions/$EV.yaml")
grep -q 'state: rolled-back' <<<"$doc" || fail "aws delete not rolled-back: $doc"
rb=$(remote_files | grep '^status/executions/delete-old-volume-' | grep -v "$EV" | head -1)
rbdoc=$(remote_show "$rb")
grep -A14 '^  after:' <<<"$rbdoc" | grep -q 'env: dev' || fail "restored volume lacks its tags: $rbdoc"
grep -A14 '^  after:' <<<"$rbdoc" | grep -q 'sizeClass: gp2' || fail "restored volume type: $rbdoc"
pass "aws: snapshot-and-delete and its rollback (same zone, type and tags)"
